import Foundation
import Metrics

/// Renders `report.md` from a ``RunRecord`` alone, so a saved record re-renders the same report.
public enum MarkdownReport {
    /// Rows that judge draws beyond enumeration: histograms, specific heat and susceptibility against
    /// the reference estimate, and the GFlowNet's importance-weighted estimates (none in records without them).
    static func referenceRows(_ r: RunRecord, row: (String, String, (SamplerMetrics) -> String) -> Void) {
        let ref = r.exact.referenceEstimate
        if r.samplers.contains(where: { $0.metrics.referenceComparison != nil }) {
            func histogram(_ h: HistogramComparison?) -> String {
                h.map { "\(fmt($0.tv)) (N \($0.draws); floor \(fmt($0.floorMean)) ± \(fmt($0.floorSd)))" } ?? "n/a"
            }
            let referenceDraws = ref?.energyHistogram.map { "reference: \($0.counts.reduce(0, +)) draws" } ?? ""
            row("energy histogram: TV to the reference", referenceDraws) { histogram($0.referenceComparison?.energy) }
            row("magnetisation (signed m) histogram: TV to the reference", referenceDraws) { histogram($0.referenceComparison?.magnetization) }
            row("histograms consistent with the reference? (E, m)", "") { m in
                // Like "indistinguishable from exact sampling?": draws refused by R-hat/ESS get no yes or no.
                if m.verdictRefusal != nil { return "no verdict (see below)" }
                guard let e = m.referenceComparison?.energy, let a = m.referenceComparison?.magnetization else { return "n/a" }
                return (e.withinFloor ? "yes" : "no") + " / " + (a.withinFloor ? "yes" : "no")
            }
            func withSe(_ v: Double?, _ se: Double?) -> String { v.map { fmt($0) + (se.map { " ± " + fmt($0) } ?? "") } ?? "n/a" }
            let exactC = r.exact.specificHeatPerSite.map(fmt) ?? withSe(ref?.specificHeatPerSite, ref?.specificHeatPerSiteSe)
            row("specific heat per site ± SE", exactC) { withSe($0.referenceComparison?.specificHeatPerSite, $0.referenceComparison?.specificHeatPerSiteSe) }
            row("susceptibility χ ± SE", withSe(ref?.susceptibility, ref?.susceptibilitySe) + (ref == nil ? "" : " (reference)")) {
                withSe($0.referenceComparison?.susceptibility, $0.referenceComparison?.susceptibilitySe)
            }
        }
        if r.samplers.contains(where: { $0.metrics.importanceWeighted != nil }) {
            func weighted(_ m: SamplerMetrics, _ f: (ImportanceWeightedEstimates) -> (Double, Double)) -> String {
                guard let w = m.importanceWeighted else { return "n/a" }
                if w.ess < DecisionRule.minImportanceEss { return "unusable (ESS \(fmt(w.ess)))" }
                let (v, se) = f(w)
                return "\(fmt(v)) ± \(fmt(se)) (\(fmt(w.ess)))"
            }
            row("importance-weighted mean energy ± SE (weight ESS)", opt(r.exact.meanEnergy)) { weighted($0) { ($0.meanEnergy, $0.meanEnergySe) } }
            row("importance-weighted mass on m > 0 ± SE", r.exact.spinFlipSymmetric == true ? "(1 − P(M = 0))/2 by symmetry" : "") { weighted($0) { ($0.positiveMass, $0.positiveMassSe) } }
        }
    }

    public static func render(_ r: RunRecord) -> String {
        let line = ReportLines()
        let e = r.config.energy
        line("# gfn-compare report: \(e.name)\(e.q.map { " q = \($0)" } ?? "") \(e.lattice) \(e.boundary), β = \(fmt(e.beta))")
        line()
        line("Target: p(x) ∝ exp(−β·E(x)) with \(e.convention)")
        line("J = \(fmt(e.coupling)), h = \(fmt(e.field)), β = \(fmt(e.beta)).")
        line()
        summaryTable(r, line)
        verdictSection(r, line)
        exactSection(r, line)
        for s in r.samplers {
            samplerSettings(s, r, line)
            samplerDistances(s.metrics, line)
            if s.name == "gfn" { gflowNetEstimates(s.metrics, r, line) }
            samplerDiagnostics(s, line)
        }
        costSection(r, line)
        reproduceSection(r, line)
        return line.text
    }

    /// The summary table: one column per sampler, one row per measured quantity.
    static func summaryTable(_ r: RunRecord, _ line: ReportLines) {
        line("## Summary")
        line()
        line("| metric | " + r.samplers.map { "`\($0.name)`" }.joined(separator: " | ") + " | exact / noise floor |")
        line("|---|" + r.samplers.map { _ in "---:|" }.joined() + "---:|")
        func row(_ name: String, exact: String, _ value: (SamplerMetrics) -> String) {
            line("| \(name) | " + r.samplers.map { value($0.metrics) }.joined(separator: " | ") + " | \(exact) |")
        }
        /// A row of numbers (no bold: only the decision rule's row marks a winner).
        func numbers(_ name: String, exact: String, _ value: (SamplerMetrics) -> Double?) {
            row(name, exact: exact) { opt(value($0)) }
        }
        row("samples", exact: "") { "\($0.samples)" }
        row("effective draws (slowest observable)", exact: "") { m in m.effectiveDraws.map { "\(fmt($0)) (\(m.slowestObservable ?? "independent draws"))" } ?? "n/a" }
        numbers("TV distance to target (all draws)", exact: "0") { $0.tv }
        row("TV of thinned draws (N)", exact: "") { m in m.thinnedTv.map { "\(fmt($0)) (\(m.noiseFloor?.draws ?? 0))" } ?? "n/a" }
        row("noise floor: TV of as many exact draws", exact: "") { m in m.noiseFloor.map { "\(fmt($0.mean.tv)) ± \(fmt($0.sd.tv))" } ?? "n/a" }
        row("indistinguishable from exact sampling?", exact: "") { m in
            m.verdictRefusal != nil ? "no verdict (see below)" : m.withinNoiseFloor.map { $0 ? "yes" : "no" } ?? "n/a"
        }
        // The rows where bold means "better": by the decision rule, MH against each other sampler at an equal number of draws.
        for c in [r.comparison, r.gfnMhComparison].compactMap({ $0 }) {
            guard let n = c.matchedDraws, let a = c.mhMatchedTv, let b = c.gfnMatchedTv else { continue }
            let second = c.second ?? "gfn"
            let cells = r.samplers.map { s -> String in
                if s.name == "mh" { return c.decision == "mh-better" ? "**\(fmt(a))**" : fmt(a) }
                if s.name == second { return c.decision == "\(second)-better" ? "**\(fmt(b))**" : fmt(b) }
                return ""
            }
            let label = r.gfnMhComparison == nil ? "each" : "(mh vs \(second))"
            line("| TV at an equal \(n) draws \(label) | " + cells.joined(separator: " | ") + " | \(fmt(c.matchedFloorMean ?? .nan)) ± \(fmt(c.matchedFloorSd ?? .nan)) |")
        }
        if r.samplers.contains(where: { $0.metrics.tvModelExact != nil }) {
            numbers("TV of the exact model distribution P_T", exact: "0") { $0.tvModelExact }
        }
        numbers("\\|mean energy − exact\\|", exact: "0") { m in m.meanEnergyExact.map { abs(m.meanEnergy - $0) } }
        row("mean energy ± MCSE", exact: opt(r.exact.meanEnergy)) { m in fmt(m.meanEnergy) + (m.meanEnergyMcse.map { " ± " + fmt($0) } ?? "") }
        numbers("max marginal error", exact: "0") { $0.maxMarginalError }
        row("max marginal error in MCSE units", exact: "") { opt($0.maxMarginalErrorInMcse) }
        numbers("max NN-correlation error", exact: "0") { $0.maxCorrelationError }
        if r.exact.modeMass != nil || r.exact.spinFlipSymmetric == true { row("mass on m > 0 / m < 0", exact: r.exact.modeMass.map { "\(fmt($0.positive)) / \(fmt($0.negative))" } ?? "n/a") {
            "\(fmt($0.modeMass.positive)) / \(fmt($0.modeMass.negative))"
        } }
        if r.samplers.contains(where: { $0.metrics.logZLearned != nil }) {
            row("learned log Z", exact: opt(r.exact.logZ)) { opt($0.logZLearned) }
            if r.samplers.contains(where: { $0.metrics.logZElbo != nil }) {
                row("ELBO (lower bound on log Z) ± SE", exact: opt(r.exact.logZ)) { m in m.logZElbo.map { fmt($0) + (m.logZElboSe.map { " ± " + fmt($0) } ?? "") } ?? "n/a" }
            }
            if r.samplers.contains(where: { $0.metrics.logZEubo != nil }) {
                row("EUBO (upper bound on log Z, from the reference's states) ± MCSE", exact: opt(r.exact.logZ)) { m in
                    m.logZEubo.map { fmt($0) + (m.logZEuboSe.map { " ± " + fmt($0) } ?? "") } ?? "n/a"
                }
            }
            // Records made before the standard error existed keep their table (the row needs it).
            if r.samplers.contains(where: { $0.metrics.logZImportanceSe != nil }) {
                row("importance-sampled log Z ± SE (weight ESS)", exact: opt(r.exact.logZ)) { m in
                    guard let value = m.logZImportance, let se = m.logZImportanceSe, let ess = m.logZImportanceEss else { return "n/a" }
                    return ess < DecisionRule.minImportanceEss ? "unusable (ESS \(fmt(ess)))" : "\(fmt(value)) ± \(fmt(se)) (\(fmt(ess)))"
                }
            }
        }
        referenceRows(r, row: row)
        row("energy evaluations", exact: "") { "\($0.energyEvaluations)" }
        row("energy work (local ΔE units)", exact: "") { m in m.energyWork.map(String.init) ?? "n/a" }
        numbers("wall time (s)", exact: "") { $0.wallSeconds }
        line()
    }

    /// The equal budget, the decision rule's verdict sentences, warnings and plots.
    static func verdictSection(_ r: RunRecord, _ line: ReportLines) {
        if let b = r.config.budget {
            let spent = r.samplers.map { s -> String in
                let work = s.metrics.energyWork.map(String.init) ?? "n/a"
                switch s.name {
                case "gfn": return "the GFlowNet's training \(work)"
                case "gfn-mh": return "the GFlowNet-in-MH chains \(work) of their own on top of that training"
                default: return "`\(s.name)` \(work)"
                }
            }
            let share = r.samplers.contains { $0.name == "gfn-mh" } ? " (the GFlowNet trains on \(fmt(b.trainingShare)) of it, the GFlowNet-in-MH chains spend the rest)" : ""
            line("**Equal budget.** Every sampler was given \(b.energyWork) units of energy work (`--budget-work`)\(share); counted: \(spent.joined(separator: ", ")).")
            line()
        }
        if r.comparison != nil {
            line("Bold marks the sampler that the decision rule (README, \"Reading a report\") calls better at an equal number of draws; no bold means no measurable difference or no verdict.")
            line()
        }
        if let c = r.comparison, let mh = r.samplers.first(where: { $0.name == "mh" }), let gfn = r.samplers.first(where: { $0.name == "gfn" }) {
            line("**Verdict.** \(Verdict.words(mh: mh.metrics, gfn: gfn.metrics, comparison: c, exact: r.exact))")
            line()
            if let c2 = r.gfnMhComparison, let chain = r.samplers.first(where: { $0.name == "gfn-mh" }) {
                line("**GFlowNet inside MH.** \(Verdict.gfnMHWords(gfnMH: chain.metrics, comparison: c2, exact: r.exact))")
                line()
            }
        } else if let mh = r.samplers.first {
            line("**Verdict.** \(Verdict.floorSentence(mh.metrics, reference: Verdict.referenceName(r.exact)))")
            line()
        }
        let warnings = r.samplers.flatMap { s in s.metrics.warnings.map { "`\(s.name)`: \($0)" } }
        if !warnings.isEmpty {
            line("### Warnings")
            line()
            for w in warnings { line("- ⚠️ \(w)") }
            line()
        }
        let plots = ReportPlots.render(r).keys.sorted()
        if !plots.isEmpty {
            line("## Plots")
            line()
            for p in plots { line("![\(p)](\(p))") }
            line()
        }
    }

    /// What is exactly known about the target (or estimated, beyond enumeration).
    static func exactSection(_ r: RunRecord, _ line: ReportLines) {
        line("## Exact reference")
        line()
        line("- log Z = \(opt(r.exact.logZ)) (\(r.exact.logZMethod ?? "unknown"))")
        if let k = r.exact.logZKaufman { line("- log Z by Kaufman's finite-lattice formula = \(fmt(k))") }
        if let n = r.exact.nStates { line("- states: \(fmtInt(n))") }
        line("- ⟨E⟩ = \(opt(r.exact.meanEnergy))\(r.exact.meanEnergyMethod.map { " (\($0))" } ?? "")")
        for note in r.exact.notes { line("- \(note)") }
        if let e = r.exact.referenceEstimate {
            line("- reference **estimate** (\(e.method), \(e.samples) samples): ⟨E⟩ ≈ \(fmt(e.meanEnergy)) ± \(fmt(e.meanEnergyMcse)) (MCSE), ⟨|m|⟩ ≈ \(fmt(e.meanAbsMagnetizationPerSite)) ± \(fmt(e.meanAbsMagnetizationPerSiteMcse))")
            if let t = e.thinning, let h = e.energyHistogram {
                line("- the reference's histograms of E and m = M/n (what the samplers are compared with here): every \(t)th step (⌈2·τ_int⌉), \(h.counts.reduce(0, +)) draws; specific heat per site \(opt(e.specificHeatPerSite)) ± \(opt(e.specificHeatPerSiteSe)), susceptibility χ \(opt(e.susceptibility)) ± \(opt(e.susceptibilitySe)) (batch means)")
            }
        }
        if let c = r.exact.specificHeatPerSite { line("- specific heat per site β²·Var(E)/n = \(fmt(c)) (\(r.exact.logZMethod == "kaufman" ? "Kaufman's log Z differentiated twice" : "enumeration"))") }
        if let u = r.exact.onsagerEnergyPerSite {
            line("- context (infinite lattice, not this one): Onsager's energy per site \(fmt(u))\(r.exact.yangMagnetization.map { ", Yang's spontaneous magnetisation \(fmt($0))" } ?? "")")
        }
        line()
    }

    /// Break-even against MH (GFlowNet, and GFlowNet inside MH).
    static func costSection(_ r: RunRecord, _ line: ReportLines) {
        if let c = r.comparison {
            line("## Cost")
            line()
            line("Break-even: how many MH effective draws (bulk ESS of its slowest observable) the GFlowNet's training is worth; beyond it, drawing from the trained GFlowNet is the cheaper way to get more. It is quoted only when the GFlowNet's draws are within their noise floor or no worse than MH's at an equal number of draws.")
            line()
            if let note = c.breakEvenNote {
                line("- no break-even: \(note)")
            } else {
                if let gfn = r.samplers.first(where: { $0.name == "gfn" })?.metrics, gfn.withinNoiseFloor == false, let n = c.matchedDraws {
                    line("- caveat: the GFlowNet's own \(gfn.samples) draws are measurably off the target; the break-even holds for needs of up to about \(n) draws, where the rule found no difference")
                }
                line("- MH: \(opt(c.mhEnergyWorkPerEffectiveDraw)) units of energy work per effective draw (\(opt(c.mhEffectiveDraws)) effective draws); GFlowNet training: \(c.gfnTrainingEnergyWork.map(String.init) ?? "n/a") units")
                line("- in energy work: " + (c.breakEvenByEnergyWork.map { "after \(fmt($0)) effective draws (GFlowNet sampling needs no energy evaluations)" } ?? "never"))
                line("- in wall time: " + (c.wallBreakEvenSamples.map { "after \(fmt($0)) effective draws" }
                                           ?? "never (a trained GFlowNet sample takes longer than an MH effective draw here)"))
            }
            line()
        }
        if let c = r.gfnMhComparison {
            line("### GFlowNet inside MH")
            line()
            line("Break-even: how many MH effective draws the training is worth when the GFlowNet-in-MH chain's own energy work per effective draw is below MH's; quoted only when its draws are no worse than MH's at an equal number of draws.")
            line()
            if let note = c.breakEvenNote {
                line("- no break-even: \(note)")
            } else {
                line("- MH: \(opt(c.mhEnergyWorkPerEffectiveDraw)) units per effective draw; GFlowNet-in-MH: \(opt(c.secondEnergyWorkPerEffectiveDraw)) units per effective draw plus the training's \(c.gfnTrainingEnergyWork.map(String.init) ?? "n/a")")
                line("- in energy work: " + (c.breakEvenByEnergyWork.map { "after \(fmt($0)) effective draws" } ?? "never"))
                line("- in wall time: " + (c.wallBreakEvenSamples.map { "after \(fmt($0)) effective draws" } ?? "never (an effective draw of the GFlowNet-in-MH chain takes longer than MH's here)"))
            }
            line()
        }
    }

    /// The command, seed and machine.
    static func reproduceSection(_ r: RunRecord, _ line: ReportLines) {
        line("## Reproduce")
        line()
        line("```")
        line(r.command)
        line("```")
        line()
        line("- seed \(r.config.seed), RNG \(r.config.rng.rawValue) (GSL), tool \(r.tool.name) \(r.tool.version)\(r.environment.gitCommit.map { " at commit \($0)" } ?? "")")
        line("- Swift \(r.environment.swiftVersion), GSL \(r.environment.gslVersion), OpenBLAS \(r.environment.openblas)")
        line("- CPU \(r.environment.cpuModel), \(r.environment.cores) cores; run on \(r.environment.date), \(fmt(r.environment.totalWallSeconds)) s in all")
    }

    /// Whether the GFlowNet kept both magnetised modes, measured, and what in its settings works
    /// against collapsing onto one (torchgfn's any-order default sampled a single mode of 4×4
    /// Ising at β_c for its first ~270 s).
    static func modeCoverage(model mass: ModeMassRecord, exactModel: Bool, target: ModeMassRecord, symmetric: Bool, settings g: GFNConfig) -> String {
        let source = exactModel ? "the exact model distribution" : "its samples"
        let smaller = min(mass.positive / target.positive, mass.negative / target.negative)
        guard smaller >= 0.5 else {
            return "Mode collapse: \(source) put\(exactModel ? "s" : "") \(fmt(mass.positive)) / \(fmt(mass.negative)) on m > 0 / m < 0 "
                + "against the target's \(fmt(target.positive)) / \(fmt(target.negative)); " + collapseRemedies(g, symmetric: symmetric) + " may recover the missing mode."
        }
        var reasons = ["the policy starts near uniform (output layer scaled by 0.1), so both signs are drawn from the first iteration"]
        if g.spinFlipMixture == true {
            reasons.insert("the draws are spin-flip mixed (P_T(x) = ½·q(x) + ½·q(x̄)), so the two signs hold equal mass by construction, whatever the policy q puts on each", at: 0)
        }
        if g.order == .fixed {
            reasons.append("in the fixed order each x has one trajectory and P_B = 1, so trajectory balance fits log P_F(x) to log R(x) − log Z for every sampled x, with no backward policy that could concentrate the flow")
        }
        if g.epsilon > 0 {
            reasons.append("ε = \(fmt(g.epsilon)) uniform exploration while training keeps drawing trajectories into a mode the policy starts to neglect (the loss still uses the model's own P_F)")
        }
        if g.temperature != 1 {
            reasons.append("the behaviour policy's temperature \(fmt(g.temperature)) flattens it while training")
        }
        return "Both magnetised modes kept: \(source) put\(exactModel ? "s" : "") \(fmt(mass.positive)) / \(fmt(mass.negative)) on m > 0 / m < 0 "
            + "(target \(fmt(target.positive)) / \(fmt(target.negative))). What works against mode collapse here: " + reasons.joined(separator: "; ") + "."
    }

    /// What to try against a collapsed mode, from what this run did not already use.
    static func collapseRemedies(_ g: GFNConfig, symmetric: Bool) -> String {
        var out: [String] = []
        out.append(g.epsilon > 0 ? "more exploration (--epsilon above its \(fmt(g.epsilon)))" : "uniform exploration while training (--epsilon, 0 in this run)")
        out.append(g.temperature > 1 ? "a higher behaviour temperature (--temperature above its \(fmt(g.temperature)))" : "a behaviour temperature above 1 (--temperature, \(fmt(g.temperature)) in this run)")
        out.append("more iterations (--iterations above its \(g.iterations))")
        if g.order != .fixed { out.append("the fixed construction order (--order fixed; this run used \(g.order.rawValue))") }
        if symmetric && g.order == .fixed && g.spinFlipMixture != true { out.append("the spin-flip mixture (--spin-flip-mixture: both signs get equal mass by construction)") }
        return out.count > 1 ? out.dropLast().joined(separator: ", ") + " or " + out.last! : out[0]
    }

    static func opt(_ x: Double?) -> String { x.map(fmt) ?? "n/a" }

    static func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }

    /// Six significant digits: stable, readable, and enough for every metric here.
    public static func fmt(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x == 0 { return "0" }
        if abs(x) >= 1e6 || abs(x) < 1e-4 { return String(format: "%.4e", x) }
        var s = String(format: "%.6g", x)
        if s.contains("e") { s = String(format: "%.4e", x) }
        return s
    }

    static func fmtInt(_ x: Double) -> String { x < 1e15 ? String(Int64(x)) : fmt(x) }
}

/// Every file of a report folder, rendered from the record alone.
public enum ReportFiles {
    public static func render(_ r: RunRecord) throws -> [String: Data] {
        var files = ["report.md": Data(MarkdownReport.render(r).utf8), "run.json": try r.jsonData()]
        for (name, svg) in ReportPlots.render(r) { files[name] = Data(svg.utf8) }
        return files
    }
}

/// The report's text as it is written, one line at a time (`line("…")`, `line()` for a blank line).
final class ReportLines {
    private(set) var text = ""
    func callAsFunction(_ s: String = "") { text += s + "\n" }
}
