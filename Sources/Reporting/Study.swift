import Foundation
import Metrics

/// One sampler in one cell of a study, reduced to what the study's rules read.
public struct StudySampler: Codable, Equatable, Sendable {
    /// "consistent" (within its floor: the exact target's, or the Wolff reference's histograms,
    /// or — with neither — its mean energy within 3 MCSE of the exact ⟨E⟩), "off", or "no-verdict"
    /// (R-hat / ESS refused it, or nothing to judge it by).
    public var verdict: String
    /// How far above exact sampling its draws lie, in floor sds: (TV − floor mean)/floor sd of the
    /// thinned draws (the largest of the energy and magnetisation histograms' beyond enumeration).
    public var excess: Double?
    /// Wall seconds it cost, training included (the GFlowNet-in-MH chain: the training it reuses too).
    public var wallSeconds: Double
    /// Energy work it spent (training included for both GFlowNet samplers).
    public var energyWork: Double?
    /// MH only: energy work per effective draw of its slowest observable.
    public var workPerEffectiveDraw: Double?
    /// Wall seconds per further effective draw, training excluded: MH's and the GFlowNet-in-MH
    /// chain's run over their effective draws, the GFlowNet's sampling over its draws.
    public var secondsPerEffectiveDraw: Double?
    /// The GFlowNet samplers: the training's wall seconds.
    public var trainingSeconds: Double?
    public init(verdict: String, excess: Double?, wallSeconds: Double, energyWork: Double?, workPerEffectiveDraw: Double? = nil,
                secondsPerEffectiveDraw: Double? = nil, trainingSeconds: Double? = nil) {
        self.verdict = verdict; self.excess = excess; self.wallSeconds = wallSeconds; self.energyWork = energyWork
        self.workPerEffectiveDraw = workPerEffectiveDraw; self.secondsPerEffectiveDraw = secondsPerEffectiveDraw; self.trainingSeconds = trainingSeconds
    }
}

/// One run of a study: a lattice, a β and an equal budget of energy work for every sampler.
public struct StudyCell: Codable, Equatable, Sendable {
    public var lattice: String
    public var sites: Int
    public var beta: Double
    public var budget: Double
    /// By sampler name: "mh", "gfn", "gfn-mh".
    public var samplers: [String: StudySampler]
    /// The decision rule's call of MH against each other sampler ("gfn", "gfn-mh").
    public var decisions: [String: String]
    public init(lattice: String, sites: Int, beta: Double, budget: Double, samplers: [String: StudySampler], decisions: [String: String]) {
        self.lattice = lattice; self.sites = sites; self.beta = beta; self.budget = budget; self.samplers = samplers; self.decisions = decisions
    }

    /// The cell of a run record made with `--budget-work`.
    public init?(record r: RunRecord) {
        guard let budget = r.config.budget else { return nil }
        lattice = r.config.energy.lattice
        sites = r.config.energy.rows * r.config.energy.cols
        beta = r.config.energy.beta
        self.budget = Double(budget.energyWork)
        let training = r.samplers.first { $0.name == "gfn" }?.metrics
        samplers = [:]
        for s in r.samplers {
            let m = s.metrics
            var wall = m.wallSeconds
            var work = m.energyWork.map(Double.init)
            if s.name == "gfn-mh", let t = training {
                wall += t.trainingSeconds ?? 0
                work = work.map { $0 + Double(t.energyWork ?? 0) }
            }
            let perEffective = s.name == "mh" ? Self.zip2(m.energyWork.map(Double.init), m.effectiveDraws).map { $0 / max($1, 1) } : nil
            let seconds: Double? = s.name == "gfn" ? (m.samplingSeconds ?? 0) / Double(max(m.samples, 1)) : m.effectiveDraws.map { m.wallSeconds / max($0, 1) }
            samplers[s.name] = StudySampler(verdict: Self.verdict(m), excess: Self.excess(m), wallSeconds: wall, energyWork: work,
                                            workPerEffectiveDraw: perEffective, secondsPerEffectiveDraw: seconds,
                                            trainingSeconds: s.name == "mh" ? nil : training?.trainingSeconds)
        }
        decisions = [:]
        if let c = r.comparison { decisions["gfn"] = c.decision }
        if let c = r.gfnMhComparison { decisions["gfn-mh"] = c.decision }
    }

    static func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? { a.flatMap { a in b.map { (a, $0) } } }

    /// A sampler's own verdict against exact sampling, by the report's rules (README, "Reading a report").
    static func verdict(_ m: SamplerMetrics) -> String {
        if m.verdictRefusal != nil { return "no-verdict" }
        if let w = m.withinNoiseFloor { return w ? "consistent" : "off" }
        if let c = m.referenceComparison, let e = c.energy, let g = c.magnetization { return e.withinFloor && g.withinFloor ? "consistent" : "off" }
        if let exact = m.meanEnergyExact, let mcse = m.meanEnergyMcse, mcse > 0 {
            return DecisionRule.meanEnergy(estimate: m.meanEnergy, exact: exact, mcse: mcse).consistent ? "consistent" : "off"
        }
        return "no-verdict"
    }

    static func excess(_ m: SamplerMetrics) -> Double? {
        if let t = m.thinnedTv, let f = m.noiseFloor, f.sd.tv > 0 { return (t - f.mean.tv) / f.sd.tv }
        let parts = [m.referenceComparison?.energy, m.referenceComparison?.magnetization].compactMap { $0 }.filter { $0.floorSd > 0 }
        return parts.isEmpty ? nil : parts.map { ($0.tv - $0.floorMean) / $0.floorSd }.max()
    }
}

/// A study's answer, generated by stated rules from its cells: where a GFlowNet-based sampler
/// reaches the quality MH reaches at an equal budget, and at what cost.
public enum Study {
    /// The GFlowNet-based samplers a study judges against MH.
    public static let challengers = ["gfn", "gfn-mh"]
    static let names = ["mh": "MH", "gfn": "the GFlowNet", "gfn-mh": "the GFlowNet-in-MH chain"]

    /// Whether `second` reaches MH's quality in `cell`: its own draws are consistent with exact
    /// sampling, and the decision rule does not call MH better — either it calls the second
    /// sampler better or finds no measurable difference, or MH's own draws are not consistent
    /// (off, or refused a verdict by R-hat / ESS).
    public static func reaches(_ second: String, in cell: StudyCell) -> Bool {
        guard let s = cell.samplers[second], s.verdict == "consistent" else { return false }
        let decision = cell.decisions[second] ?? "no-verdict"
        if decision == "mh-better" { return false }
        if decision == "\(second)-better" || decision == "no-measurable-difference" { return true }
        return cell.samplers["mh"]?.verdict != "consistent"
    }

    /// How one configuration (lattice, β) ends at its largest budget.
    public enum Outcome: String, Codable, Sendable {
        /// MH is better by the rule, or consistent where the challenger is not.
        case mhWins = "mh-wins"
        /// The challenger is better by the rule, or consistent where MH is not.
        case challengerWins = "challenger-wins"
        /// Both consistent and the rule finds no measurable difference.
        case noDifference = "no-difference"
        /// Neither sampler's draws support a call.
        case undecided
    }

    public static func outcome(_ second: String, in cell: StudyCell) -> Outcome {
        let mh = cell.samplers["mh"]?.verdict, s = cell.samplers[second]?.verdict
        switch cell.decisions[second] {
        case "mh-better": return .mhWins
        case "\(second)-better": return .challengerWins
        case "no-measurable-difference" where mh == "consistent" && s == "consistent": return .noDifference
        default:
            if mh == "consistent" && s != "consistent" { return .mhWins }
            if s == "consistent" && mh != "consistent" { return .challengerWins }
            return .undecided
        }
    }

    /// The configurations of `cells`, each with its cells by increasing budget.
    public static func configurations(_ cells: [StudyCell]) -> [(lattice: String, beta: Double, cells: [StudyCell])] {
        var keys: [String] = []
        var groups: [String: [StudyCell]] = [:]
        for c in cells {
            let k = "\(c.sites)|\(c.lattice)|\(c.beta)"
            if groups[k] == nil { keys.append(k) }
            groups[k, default: []].append(c)
        }
        return keys.map { k in
            let g = groups[k]!.sorted { $0.budget < $1.budget }
            return (g[0].lattice, g[0].beta, g)
        }.sorted { ($0.cells[0].sites, $0.beta) < ($1.cells[0].sites, $1.beta) }
    }

    /// The smallest budget at which `second` reaches MH's quality, or nil.
    public static func breakEven(_ second: String, _ cells: [StudyCell]) -> StudyCell? {
        cells.sorted { $0.budget < $1.budget }.first { reaches(second, in: $0) }
    }

    /// The plain-words conclusion: for each challenger, where it reaches MH's quality and where
    /// it loses, from ``outcome(_:in:)`` at each configuration's largest budget and ``breakEven(_:_:)``.
    public static func conclusion(_ cells: [StudyCell]) -> [String] {
        let configs = configurations(cells)
        guard !configs.isEmpty else { return ["The study has no runs."] }
        let f = MarkdownReport.fmt
        let largest = cells.map(\.budget).max() ?? 0
        func label(_ c: (lattice: String, beta: Double, cells: [StudyCell])) -> String { "\(c.lattice) at β = \(f(c.beta))" }
        func list(_ items: [String]) -> String {
            items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
        var sentences: [String] = []
        for second in challengers where cells.contains(where: { $0.samplers[second] != nil }) {
            let name = names[second]!
            var wins: [String] = [], losses: [String] = [], ties: [String] = [], undecided: [String] = []
            var reached: [String] = []
            var wallRatios: [Double] = []
            for c in configs {
                guard let last = c.cells.last else { continue }
                switch outcome(second, in: last) {
                case .mhWins: losses.append(label(c))
                case .challengerWins: wins.append(label(c))
                case .noDifference: ties.append(label(c))
                case .undecided: undecided.append(label(c))
                }
                if let b = breakEven(second, c.cells) {
                    reached.append("\(label(c)) from \(MarkdownReport.fmtInt(b.budget)) units" + (reaches(second, in: last) ? "" : " (not at the largest budget)"))
                    if let mine = b.samplers[second]?.wallSeconds, let mh = b.samplers["mh"]?.wallSeconds, mh > 0 { wallRatios.append(mine / mh) }
                }
            }
            let total = configs.count
            if wins.isEmpty && ties.isEmpty {
                func on(_ items: [String]) -> String { items.count == total ? "every configuration tried" : list(items) }
                let parts = (losses.isEmpty ? [] : ["MH is the better sampler on \(on(losses))"])
                    + (undecided.isEmpty ? [] : ["the draws support no call on \(on(undecided))"])
                sentences.append("Within budgets up to \(MarkdownReport.fmtInt(largest)) units of energy work, \(name) never matches MH: \(parts.joined(separator: ", and ")).")
                continue
            }
            if !wins.isEmpty {
                sentences.append("At the largest budget, \(name) is the better sampler on \(list(wins)).")
            }
            if !ties.isEmpty {
                sentences.append("On \(list(ties)) there is no measurable difference between \(name) and MH: both are consistent with exact sampling and their difference is within the rule's noise.")
            }
            if !losses.isEmpty { sentences.append("\(name.prefix(1).uppercased() + name.dropFirst()) loses to MH on \(list(losses)).") }
            if !undecided.isEmpty { sentences.append("On \(list(undecided)) the draws support no call.") }
            if !reached.isEmpty { sentences.append("It reaches MH's quality on \(list(reached)).") }
            if let lo = wallRatios.min(), let hi = wallRatios.max() {
                let range = lo == hi ? "\(f(lo))×" : "\(f(lo))–\(f(hi))×"
                sentences.append(hi < 1 ? "At those break-even budgets its whole run, training included, takes \(range) MH's wall time: it pays off in wall time too."
                                        : lo > 1 ? "At those break-even budgets its whole run, training included, takes \(range) MH's wall time at the same budget: in wall time it does not pay off within this grid."
                                                 : "At those break-even budgets its whole run, training included, takes \(range) MH's wall time at the same budget.")
            }
        }
        return sentences
    }

    /// Least-squares slope of log y against log x and its standard error (nil with fewer than 3 points).
    public static func powerLaw(_ points: [(x: Double, y: Double)]) -> (exponent: Double, se: Double)? {
        let p = points.filter { $0.x > 0 && $0.y > 0 }.map { (log($0.x), log($0.y)) }
        guard p.count >= 3 else { return nil }
        let n = Double(p.count)
        let mx = p.reduce(0) { $0 + $1.0 } / n, my = p.reduce(0) { $0 + $1.1 } / n
        let sxx = p.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        guard sxx > 0 else { return nil }
        let slope = p.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
        let residual = p.reduce(0) { $0 + pow($1.1 - my - slope * ($1.0 - mx), 2) }
        return (slope, (residual / (n - 2) / sxx).squareRoot())
    }

    /// Quality against budget, one plot per configuration: each sampler's excess over exact
    /// sampling (floor sds) against the budget, with the rule's line at 3.
    public static func plots(_ cells: [StudyCell]) -> [String: String] {
        var files: [String: String] = [:]
        for c in configurations(cells) {
            var plot = SVGPlot(title: "\(c.lattice), β = \(MarkdownReport.fmt(c.beta)): excess over exact sampling against budget",
                               xLabel: "budget (energy work)", yLabel: "(TV − floor mean) / floor sd")
            plot.logX = true
            for name in ["mh"] + challengers {
                let points = c.cells.compactMap { cell in cell.samplers[name]?.excess.map { (cell.budget, $0) } }
                if !points.isEmpty { plot.series.append(.init(name: names[name]!, points: points, style: .lineAndMarkers)) }
            }
            guard !plot.series.isEmpty, let lo = c.cells.first?.budget, let hi = c.cells.last?.budget else { continue }
            plot.series.append(.init(name: "rule: 3 sd", points: [(lo, 3), (hi, 3)]))
            files["quality-\(c.lattice)-beta\(MarkdownReport.fmt(c.beta)).svg"] = plot.render()
        }
        return files
    }

    /// The study's report: break-even maps, quality against budget, cost growth and the conclusion.
    /// `notes` are lines printed under the title (e.g. what the grid leaves out and why); the column
    /// of `criticalBeta` (the caller's β_c, if any) is marked in the maps.
    public static func report(name: String, cells: [StudyCell], notes: [String], criticalBeta: Double? = nil) -> String {
        let f = MarkdownReport.fmt
        var out: [String] = ["# gfn-compare study: \(name)", ""]
        out += notes + (notes.isEmpty ? [] : [""])
        let configs = configurations(cells)
        let lattices = configs.reduce(into: [String]()) { if !$0.contains($1.lattice) { $0.append($1.lattice) } }
        let betas = Array(Set(cells.map(\.beta))).sorted()
        let budgets = Array(Set(cells.map(\.budget))).sorted()
        out.append("\(cells.count) runs: \(lattices.count) lattices × \(betas.count) β × \(budgets.count) budgets of energy work (\(budgets.map(MarkdownReport.fmtInt).joined(separator: ", ")) units), every sampler given the same budget in each run.")
        out.append("")
        out.append("## Conclusion")
        out.append("")
        out += conclusion(cells).map { "- " + $0 }
        out.append("")
        out.append("The rules: a sampler's own verdict is the report's (consistent with exact sampling: within the noise floor of exact draws, or beyond enumeration within the floor of the reference chain's — Wolff's or parallel tempering's — energy and magnetisation histograms); a challenger *reaches MH's quality* at a budget when its draws are consistent and the decision rule does not call MH better (it calls the challenger better, finds no measurable difference, or MH's own draws are off or refused a verdict). The outcome of a configuration is read at its largest budget: the decision rule's call there, or, where it makes none (a sampler refused a verdict), the sampler whose draws are consistent where the other's are not; a wall-time ratio compares whole runs, training included, at the same budget.")
        out.append("")
        func betaHeader(_ b: Double) -> String { criticalBeta.map { abs(b - $0) < 1e-6 } == true ? "β = \(f(b)) (β_c)" : "β = \(f(b))" }
        for second in challengers where cells.contains(where: { $0.samplers[second] != nil }) {
            out.append("## Break-even map: \(names[second]!) against MH")
            out.append("")
            out.append("The smallest budget at which \(names[second]!) reaches MH's quality, with both samplers' wall seconds there; \"never\" if no budget up to the largest tried.")
            out.append("")
            out.append("| lattice | " + betas.map(betaHeader).joined(separator: " | ") + " |")
            out.append("|---|" + betas.map { _ in "---|" }.joined())
            for l in lattices {
                let cellsText = betas.map { b -> String in
                    guard let c = configs.first(where: { $0.lattice == l && $0.beta == b }) else { return "" }
                    guard let hit = breakEven(second, c.cells) else { return "never ≤ \(MarkdownReport.fmtInt(c.cells.last!.budget))" }
                    let mine = hit.samplers[second]!.wallSeconds, mh = hit.samplers["mh"]?.wallSeconds ?? .nan
                    let kept = reaches(second, in: c.cells.last!) ? "" : "; not at \(MarkdownReport.fmtInt(c.cells.last!.budget))"
                    return "\(MarkdownReport.fmtInt(hit.budget)) (\(f(mine)) s vs MH \(f(mh)) s\(kept))"
                }
                out.append("| \(l) | " + cellsText.joined(separator: " | ") + " |")
            }
            out.append("")
        }
        out.append("## Quality against budget")
        out.append("")
        out.append("Each sampler's verdict and its excess over exact sampling in floor sds ((TV − floor mean)/floor sd; beyond enumeration the larger of the energy and magnetisation histograms' against the reference chain), and the decision rule's call against MH.")
        out.append("")
        out.append("| lattice | β | budget | mh | gfn | gfn-mh | MH vs gfn | MH vs gfn-mh |")
        out.append("|---|---:|---:|---|---|---|---|---|")
        for c in configs {
            for cell in c.cells {
                func s(_ n: String) -> String {
                    guard let s = cell.samplers[n] else { return "" }
                    return s.verdict + (s.excess.map { " (\(f($0)))" } ?? "") + ", \(f(s.wallSeconds)) s"
                }
                out.append("| \(c.lattice) | \(f(c.beta)) | \(MarkdownReport.fmtInt(cell.budget)) | \(s("mh")) | \(s("gfn")) | \(s("gfn-mh")) | \(cell.decisions["gfn"] ?? "") | \(cell.decisions["gfn-mh"] ?? "") |")
            }
        }
        out.append("")
        out.append("## How the costs grow with n")
        out.append("")
        out.append("Fitted exponents of cost ∝ n^a over the lattices (least squares on log–log, ± the slope's standard error; n/a with fewer than three lattices): at the largest budget, MH's energy work and wall seconds per effective draw of its slowest observable, the GFlowNet's sampling seconds per draw and the GFlowNet-in-MH chain's seconds per effective draw; and the GFlowNet's training seconds at its break-even budget (where it has one).")
        out.append("")
        out.append("| β | MH work per effective draw | MH s per effective draw | gfn training s to MH's quality | gfn s per draw | gfn-mh s per effective draw |")
        out.append("|---:|---:|---:|---:|---:|---:|")
        for b in betas {
            let group = configs.filter { $0.beta == b }
            let last = group.compactMap { $0.cells.last }
            func fit(_ points: [(Double, Double)]) -> String {
                guard let e = powerLaw(points.map { (x: $0.0, y: $0.1) }) else { return "n/a" }
                return "\(f(e.exponent)) ± \(f(e.se))"
            }
            func atLargest(_ value: (StudyCell) -> Double?) -> String { fit(last.compactMap { c in value(c).map { (Double(c.sites), $0) } }) }
            let training = fit(group.compactMap { g in breakEven("gfn", g.cells).flatMap { c in c.samplers["gfn"]?.trainingSeconds.map { (Double(c.sites), $0) } } })
            out.append("| \(f(b)) | \(atLargest { $0.samplers["mh"]?.workPerEffectiveDraw }) | \(atLargest { $0.samplers["mh"]?.secondsPerEffectiveDraw }) | \(training) | \(atLargest { $0.samplers["gfn"]?.secondsPerEffectiveDraw }) | \(atLargest { $0.samplers["gfn-mh"]?.secondsPerEffectiveDraw }) |")
        }
        out.append("")
        for name in plots(cells).keys.sorted() { out.append("![\(name)](\(name))") }
        out.append("")
        out.append("Each run's full report is in `runs/run-NNNNN/report.md`; the table of every run in `sweep.md`.")
        return out.joined(separator: "\n") + "\n"
    }
}
