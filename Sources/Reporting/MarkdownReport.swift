import Foundation

/// Renders `report.md` from a ``RunRecord`` alone, so a saved record re-renders the same report.
public enum MarkdownReport {
    public static func render(_ r: RunRecord) -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let e = r.config.energy
        line("# gfn-compare report: \(e.name) \(e.lattice) \(e.boundary), β = \(fmt(e.beta))")
        line()
        line("Target: p(x) ∝ exp(−β·E(x)) with \(e.convention)")
        line("J = \(fmt(e.coupling)), h = \(fmt(e.field)), β = \(fmt(e.beta)).")
        line()
        line("## Summary")
        line()
        line("| metric | " + r.samplers.map { "`\($0.name)`" }.joined(separator: " | ") + " | exact |")
        line("|---|" + r.samplers.map { _ in "---:|" }.joined() + "---:|")
        func row(_ name: String, exact: String, _ value: (SamplerMetrics) -> String) {
            line("| \(name) | " + r.samplers.map { value($0.metrics) }.joined(separator: " | ") + " | \(exact) |")
        }
        row("samples", exact: "") { "\($0.samples)" }
        row("TV distance to target (empirical)", exact: "0") { opt($0.tv) }
        if r.samplers.contains(where: { $0.metrics.tvModelExact != nil }) {
            row("TV of the exact model distribution P_T", exact: "0") { opt($0.tvModelExact) }
        }
        if r.samplers.contains(where: { $0.metrics.logZLearned != nil }) {
            row("learned log Z", exact: opt(r.exact.logZ)) { opt($0.logZLearned) }
        }
        row("chi-square p-value (thinned draws)", exact: "") { m in m.chiSquare.map { fmt($0.pValue) } ?? "n/a" }
        row("mean energy ± MCSE", exact: opt(r.exact.meanEnergy)) { m in
            fmt(m.meanEnergy) + (m.meanEnergyMcse.map { " ± " + fmt($0) } ?? "")
        }
        row("mean \\|m\\| per site", exact: opt(r.exact.meanAbsMagnetizationPerSite)) { fmt($0.meanAbsMagnetizationPerSite) }
        row("max marginal error", exact: "0") { opt($0.maxMarginalError) }
        row("max NN-correlation error", exact: "0") { opt($0.maxCorrelationError) }
        row("mass on m > 0 / m < 0", exact: r.exact.modeMass.map { "\(fmt($0.positive)) / \(fmt($0.negative))" } ?? "n/a") {
            "\(fmt($0.modeMass.positive)) / \(fmt($0.modeMass.negative))"
        }
        row("energy evaluations", exact: "") { "\($0.energyEvaluations)" }
        row("wall time (s)", exact: "") { fmt($0.wallSeconds) }
        line()
        line("## Exact reference")
        line()
        line("- log Z = \(opt(r.exact.logZ)) (\(r.exact.logZMethod ?? "unknown"))")
        if let k = r.exact.logZKaufman { line("- log Z by Kaufman's finite-lattice formula = \(fmt(k))") }
        if let n = r.exact.nStates { line("- states: \(fmtInt(n))") }
        line("- ⟨E⟩ = \(opt(r.exact.meanEnergy))\(r.exact.meanEnergyMethod.map { " (\($0))" } ?? "")")
        for note in r.exact.notes { line("- \(note)") }
        line()
        for s in r.samplers {
            line("## Sampler `\(s.name)`")
            line()
            let m = s.metrics
            if s.name == "mh" {
                let c = r.config.mh
                line("\(c.kernel) kernel, \(c.scan) scan, \(c.chains) chains × \(c.samplesPerChain) samples, burn-in \(c.burnInSweeps) sweeps, thinning \(c.thinSweeps) sweep(s).")
                line("Each recorded sample is the chain's state at that moment, whether or not the last move was accepted.")
                line()
            }
            if s.name == "gfn", let g = r.config.gfn {
                line("GFlowNet: \(g.objective) objective, \(g.order) construction order, \(g.backward) backward policy; MLP \(g.layers) × \(g.hidden) (\(g.activation)); batch \(g.batch), \(g.iterations) iterations, Adam lr \(fmt(g.learningRate)) (log Z: \(fmt(g.learningRateLogZ))), exploration ε = \(fmt(g.epsilon)), temperature \(fmt(g.temperature))\(g.loadedModel.map { "; loaded from `\($0)` (not retrained)" } ?? "").")
                line("Samples are independent draws from the trained policy (one network pass per construction step, no Markov chain).")
                line()
                line("- learned log Z: \(opt(m.logZLearned)) (exact \(opt(r.exact.logZ))\(zip2(m.logZLearned, r.exact.logZ).map { ", error \(fmt($0 - $1))" } ?? ""))")
                line("- TV of the exact model distribution P_T to the target: \(opt(m.tvModelExact))\(m.tvModelExactNote.map { " (\($0))" } ?? "")")
                line("- training: \(m.trainingTrajectories.map(String.init) ?? "n/a") trajectories in \(opt(m.trainingSeconds)) s; sampling: \(m.samples) samples in \(opt(m.samplingSeconds)) s")
                if let t = s.training, !t.loss.isEmpty {
                    line()
                    line("| iteration | loss | learned log Z |")
                    line("|---:|---:|---:|")
                    let picks = Set(stride(from: 0, to: t.loss.count, by: max(1, t.loss.count / 10)).map { $0 } + [t.loss.count - 1])
                    for i in picks.sorted() {
                        line("| \(t.iteration[i]) | \(fmt(t.loss[i])) | \(t.logZ[i].map(fmt) ?? "n/a") |")
                    }
                    line()
                }
            }
            if s.name == "mh" { line("- acceptance rate: \(opt(m.acceptanceRate))") }
            line("- τ_int of the energy trace: \(opt(m.tauIntEnergy)) samples; ESS ≈ \(opt(m.essEnergy))\(s.name == "gfn" ? " (independent draws: τ = 1 by construction; the measured τ is a check)" : "")")
            if let c = m.chiSquare {
                let which = c.thin == 1 ? "all draws" : "every \(c.thin)-th sample of each chain, ⌈2·τ_int⌉ apart, so nearly independent"
                line("- chi-square: χ² = \(fmt(c.statistic)) on \(c.degreesOfFreedom) df, p = \(fmt(c.pValue)), on \(c.draws) draws (\(which))")
            }
            line("- distinct states visited: \(m.distinctStates.map(String.init) ?? "n/a")")
            line("- cost: \(m.energyEvaluations) energy evaluations (\(m.deltaEnergyEvaluations) local ΔE, \(m.fullEnergyEvaluations) full E(x)\(s.name == "gfn" ? ", all during training: sampling needs none" : "")); one local ΔE is O(degree), one full E(x) is O(n)")
            line("- wall time: \(fmt(m.wallSeconds)) s" + (m.burnInSeconds.map { " (burn-in \(fmt($0)) s, sampling \(fmt(m.samplingSeconds ?? 0)) s per chain)" } ?? ""))
            line()
        }
        line("## Reproduce")
        line()
        line("```")
        line(r.command)
        line("```")
        line()
        line("- seed \(r.config.seed), RNG \(r.config.rng) (GSL), tool \(r.tool.name) \(r.tool.version)\(r.environment.gitCommit.map { " at commit \($0)" } ?? "")")
        line("- Swift \(r.environment.swiftVersion), GSL \(r.environment.gslVersion), OpenBLAS \(r.environment.openblas)")
        line("- CPU \(r.environment.cpuModel), \(r.environment.cores) cores; run on \(r.environment.date), \(fmt(r.environment.totalWallSeconds)) s in all")
        return out
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
