import Energies
import Foundation
import GFNCore
import Metrics
import Reporting

/// Judging draws where the target cannot be enumerated: against the reference estimate's
/// histograms, and through importance weights.
extension SampleAnalysis {
    /// β²·Var(E)/n of a set of draws.
    static func specificHeatPerSite(_ energies: [Double], beta: Double, variables n: Int) -> Double {
        beta * beta * BatchMeans.variance(energies) / Double(n)
    }

    /// χ = β·n·(⟨m²⟩ − ⟨|m|⟩²), m = M/n, of a set of magnetisations M.
    static func susceptibility(_ magnetizations: [Double], beta: Double, variables n: Int) -> Double {
        let m = magnetizations.map { abs($0) / Double(n) }
        let mean = m.reduce(0, +) / Double(m.count), meanSquare = m.reduce(0) { $0 + $1 * $1 } / Double(m.count)
        return beta * Double(n) * (meanSquare - mean * mean)
    }

    /// The draws against the reference estimate: thinned histograms of E and |M|/n with their
    /// floors (stream `rng`), and the specific heat and susceptibility of all draws with
    /// batch-means errors, with the thinned E and M/n compared. Nil when the reference has no histograms.
    static func referenceComparison(energies: [[Double]], magnetizations: [[Double]], thinning: Int, beta: Double, variables n: Int,
                                    reference: ReferenceEstimate, rng: RandomStream) -> (comparison: ReferenceComparison, energies: [Double], magnetizations: [Double])? {
        guard let eh = reference.energyHistogram, let mh = reference.magnetizationHistogram else { return nil }
        var c = ReferenceComparison(thinning: thinning)
        func thinned(_ chains: [[Double]]) -> [Double] {
            chains.flatMap { chain in stride(from: thinning - 1, to: chain.count, by: thinning).map { chain[$0] } }
        }
        let thinnedE = thinned(energies), thinnedM = thinned(magnetizations).map { $0 / Double(n) }
        c.energy = compare(thinnedE, with: eh, rng: rng)
        c.magnetization = compare(thinnedM, with: mh, rng: rng)
        if let e = BatchMeans.estimate(energies, statistic: { specificHeatPerSite($0, beta: beta, variables: n) }) {
            c.specificHeatPerSite = e.value; c.specificHeatPerSiteSe = e.se
        }
        if let x = BatchMeans.estimate(magnetizations, statistic: { susceptibility($0, beta: beta, variables: n) }) {
            c.susceptibility = x.value; c.susceptibilitySe = x.se
        }
        return (c, thinnedE, thinnedM)
    }

    /// `values` against a reference histogram: its bins plus one for values the reference never
    /// drew (where the floor's simulated samples, drawn from the reference's histogram, put no mass).
    static func compare(_ values: [Double], with h: ObservableHistogram, rng: RandomStream) -> HistogramComparison? {
        let (counts, outside) = h.counts(of: values)
        return HistogramComparison.compare(sample: counts + [outside], reference: h.counts + [0], rng: rng)
    }

    /// The reference estimate's histograms, specific heat and susceptibility from a cluster run's
    /// series of E and M/n (one chain). The thinning follows the slower of E and |M| (a cluster
    /// algorithm flips the sign of M freely, so signed M decorrelates at least as fast as |M|).
    static func describeReference(_ estimate: inout ReferenceEstimate, energies: [Double], magnetizationPerSite: [Double], beta: Double, variables n: Int) {
        let absolute = magnetizationPerSite.map(abs)
        let tau = max(Autocorrelation.integratedTime([energies]), Autocorrelation.integratedTime([absolute]),
                      Autocorrelation.integratedTime([magnetizationPerSite]), 1)
        let thin = SampleThinning.interval(tau: tau.isFinite ? tau : Double(energies.count))
        estimate.thinning = thin
        func thinned(_ v: [Double]) -> [Double] { stride(from: thin - 1, to: v.count, by: thin).map { v[$0] } }
        estimate.energyHistogram = ObservableHistogram(thinned(energies))
        estimate.magnetizationHistogram = ObservableHistogram(thinned(magnetizationPerSite))
        if let e = BatchMeans.estimate([energies], statistic: { specificHeatPerSite($0, beta: beta, variables: n) }) {
            estimate.specificHeatPerSite = e.value; estimate.specificHeatPerSiteSe = e.se
        }
        let m = magnetizationPerSite.map { $0 * Double(n) }
        if let x = BatchMeans.estimate([m], statistic: { susceptibility($0, beta: beta, variables: n) }) {
            estimate.susceptibility = x.value; estimate.susceptibilitySe = x.se
        }
    }

    /// Self-normalised importance-weighted ⟨E⟩, ⟨|m|⟩ and P(M > 0) of independent draws with log
    /// weights `logWeights`, each with its delta-method standard error
    /// √(Σ w̃ᵢ²·(fᵢ − f̂)²) (w̃ the normalised weights), and the weights' Kish ESS.
    public static func importanceWeighted(logWeights: [Double], energies: [Double], magnetizations: [Double], variables n: Int) -> ImportanceWeightedEstimates? {
        guard logWeights.count >= 2, let top = logWeights.max(), top.isFinite else { return nil }
        let w = logWeights.map { exp($0 - top) }
        let total = w.reduce(0, +)
        let wn = w.map { $0 / total }
        func estimate(_ f: [Double]) -> (Double, Double) {
            let mean = zip(wn, f).reduce(0) { $0 + $1.0 * $1.1 }
            let variance = zip(wn, f).reduce(0) { $0 + $1.0 * $1.0 * ($1.1 - mean) * ($1.1 - mean) }
            return (mean, variance.squareRoot())
        }
        let (e, eSe) = estimate(energies)
        let (m, mSe) = estimate(magnetizations.map { abs($0) / Double(n) })
        let (p, pSe) = estimate(magnetizations.map { $0 > 0.5 ? 1 : 0 })
        return ImportanceWeightedEstimates(ess: 1 / wn.reduce(0) { $0 + $1 * $1 }, meanEnergy: e, meanEnergySe: eSe,
                                           meanAbsMagnetizationPerSite: m, meanAbsMagnetizationPerSiteSe: mSe, positiveMass: p, positiveMassSe: pSe)
    }
}
