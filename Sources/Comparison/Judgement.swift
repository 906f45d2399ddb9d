import Exact
import Foundation
import GFNCore
import Metrics
import Reporting

/// MH against the GFlowNet by `DecisionRule`: quality at an equal number of draws, then cost in
/// energy work and wall time, with a break-even quoted only where the quality allows it.
public enum Judgement {
    /// The comparison record of two analysed samplers.
    ///
    /// - Parameter variables: n, the sites one full E(x) touches (the energy-work unit).
    static func compare(mh: SamplerAnalysis, gfn: SamplerAnalysis, reference: ExactReference, seed: UInt64) -> ComparisonRecord {
        var c = quality(mh: mh, gfn: gfn, reference: reference, seed: seed)
        cost(mh: mh.metrics, gfn: gfn.metrics, into: &c)
        return c
    }

    /// MH against the GFlowNet-in-MH chain: the same quality rule at an equal number of draws,
    /// and a break-even where the chain's own work per effective draw plus the training it
    /// reuses equals MH's. Decision "gfn-mh-better" when the chain wins.
    static func compare(mh: SamplerAnalysis, gfnMH: SamplerAnalysis, trainingEnergyWork: Int, trainingSeconds: Double,
                        reference: ExactReference, seed: UInt64) -> ComparisonRecord {
        var c = quality(mh: mh, gfn: gfnMH, reference: reference, seed: seed, second: "gfn-mh", secondName: "the GFlowNet-in-MH chain")
        c.second = "gfn-mh"
        c.gfnTrainingEnergyWork = trainingEnergyWork
        let m = mh.metrics, g = gfnMH.metrics
        guard let (mhEffective, mhPerEffective) = mhCost(m, into: &c) else { return c }
        guard g.verdictRefusal == nil, let effective = g.effectiveDraws, effective >= 1, let work = g.energyWork else {
            c.breakEvenNote = "the GFlowNet-in-MH chain's draws support no verdict, so its cost per effective draw is not measured reliably: no break-even is quoted"
            return c
        }
        let perEffective = Double(work) / effective
        c.secondEnergyWorkPerEffectiveDraw = perEffective
        guard c.decision != "mh-better" else {
            c.breakEvenNote = "the GFlowNet-in-MH chain's draws are measurably worse than MH's at an equal number of draws: no break-even is quoted"
            return c
        }
        if perEffective < mhPerEffective {
            c.breakEvenByEnergyWork = Double(trainingEnergyWork) / (mhPerEffective - perEffective)
        } else {
            c.breakEvenNote = String(format: "each effective draw of the GFlowNet-in-MH chain costs %.3g units of energy work against MH's %.3g, so its training (%d units) is never paid back",
                                     perEffective, mhPerEffective, trainingEnergyWork)
        }
        let mhSeconds = m.wallSeconds / mhEffective, seconds = g.wallSeconds / effective
        if mhSeconds > seconds { c.wallBreakEvenSamples = trainingSeconds / (mhSeconds - seconds) }
        return c
    }

    /// Decision at an equal number of draws: the larger thinned set is subsampled evenly to the
    /// smaller, whose noise floor (N exact draws) then serves both.
    public static func quality(mh: SamplerAnalysis, gfn: SamplerAnalysis, reference: ExactReference, seed: UInt64,
                        second: String = "gfn", secondName: String = "the GFlowNet") -> ComparisonRecord {
        let refusals = [("MH", mh.metrics.verdictRefusal), (secondName, gfn.metrics.verdictRefusal)]
            .compactMap { name, why in why.map { "\(name)'s draws support no verdict (\($0))" } }
        guard refusals.isEmpty else {
            var c = ComparisonRecord(decision: "no-verdict")
            c.decisionReason = refusals.joined(separator: "; ")
            return c
        }
        if reference.probabilities == nil, let estimate = reference.exact.referenceEstimate,
           let matched = referenceQuality(mh: mh, second: gfn, estimate: estimate, seed: seed, second: second) {
            return matched
        }
        guard let p = reference.probabilities, let entropy = reference.exact.entropy,
              !mh.thinnedKeys.isEmpty, !gfn.thinnedKeys.isEmpty,
              let mhFloor = mh.metrics.noiseFloor, let gfnFloor = gfn.metrics.noiseFloor else {
            var c = ComparisonRecord(decision: "no-verdict")
            c.decisionReason = reference.probabilities == nil
                ? "the target's probabilities are not known state by state (not enumerated, or more than 2^22 states), so the samplers' distributions cannot be compared with it"
                : "a sampler recorded no draws that can be compared with the target"
            return c
        }
        let n = min(mh.thinnedKeys.count, gfn.thinnedKeys.count)
        func tv(_ keys: [UInt64]) -> Double {
            let sub = DecisionRule.evenSubsample(keys, count: n)
            let empirical = EmpiricalDistribution(keys: sub)
            let visited = zip(empirical.counts, empirical.keys).map { ($0, p[Int($1)]) }
            return DistanceSet.empirical(visited: visited, draws: n, targetEntropy: entropy, stateCount: Double(p.count)).tv
        }
        // The floor simulated for exactly n draws: the smaller set's own.
        let floor = mhFloor.draws == n ? mhFloor : gfnFloor
        let mhTv = tv(mh.thinnedKeys), gfnTv = tv(gfn.thinnedKeys)
        let (z, outcome) = DecisionRule.compare(tvFirst: mhTv, tvSecond: gfnTv, floorSd: floor.sd.tv)
        var c = ComparisonRecord(decision: outcome == .firstBetter ? "mh-better" : outcome == .secondBetter ? "\(second)-better" : "no-measurable-difference")
        c.matchedDraws = n
        c.mhMatchedTv = mhTv
        c.gfnMatchedTv = gfnTv
        c.matchedFloorMean = floor.mean.tv
        c.matchedFloorSd = floor.sd.tv
        c.differenceZ = z.isFinite ? z : nil
        return c
    }

    /// Beyond enumeration: both samplers' thinned E and M/n, subsampled evenly to the smaller count,
    /// against the reference estimate's histograms; each observable decided by
    /// `DecisionRule.compare` (3 sd of the difference two exact samplers show). A sampler is
    /// better when it wins on one observable and loses on neither; when the observables disagree
    /// there is no verdict. Two 3-sd tests: under the null at most twice the single test's
    /// false-call rate; the reference's noise is shared by both samplers, which makes the
    /// difference's sd smaller than √2 floor sd's, so the rule errs towards "no difference".
    static func referenceQuality(mh: SamplerAnalysis, second s: SamplerAnalysis, estimate: ReferenceEstimate, seed: UInt64, second: String) -> ComparisonRecord? {
        guard let eh = estimate.energyHistogram, let mhist = estimate.magnetizationHistogram,
              !mh.thinnedEnergies.isEmpty, !s.thinnedEnergies.isEmpty else { return nil }
        let n = min(mh.thinnedEnergies.count, s.thinnedEnergies.count)
        let rng = RandomStream(seed: seed, stream: StreamPlan.referenceMatchedFloor)
        func matched(_ a: [Double], _ b: [Double], _ h: ObservableHistogram) -> (MatchedHistograms, DecisionRule.Outcome)? {
            guard let ca = SampleAnalysis.compare(DecisionRule.evenSubsample(a, count: n), with: h, rng: rng),
                  let cb = SampleAnalysis.compare(DecisionRule.evenSubsample(b, count: n), with: h, rng: rng) else { return nil }
            // Both floors are for n against the reference's draws; the first one's serves both.
            let (z, outcome) = DecisionRule.compare(tvFirst: ca.tv, tvSecond: cb.tv, floorSd: ca.floorSd)
            return (MatchedHistograms(mhTv: ca.tv, secondTv: cb.tv, floorMean: ca.floorMean, floorSd: ca.floorSd, differenceZ: z), outcome)
        }
        guard let (energy, eOutcome) = matched(mh.thinnedEnergies, s.thinnedEnergies, eh),
              let (magnetization, mOutcome) = matched(mh.thinnedMagnetizations, s.thinnedMagnetizations, mhist) else { return nil }
        let outcomes = [eOutcome, mOutcome]
        let mhWins = outcomes.contains(.firstBetter), secondWins = outcomes.contains(.secondBetter)
        var c = ComparisonRecord(decision: mhWins && secondWins ? "no-verdict" : mhWins ? "mh-better" : secondWins ? "\(second)-better" : "no-measurable-difference")
        if mhWins && secondWins { c.decisionReason = "against the reference, one sampler's energy histogram and the other's magnetisation histogram are measurably closer, so neither is better on both" }
        c.referenceMatch = ReferenceMatchRecord(draws: n, referenceDraws: eh.counts.reduce(0, +), energy: energy, magnetization: magnetization)
        return c
    }

    /// MH's effective draws and energy work per effective draw, recorded in `c`; nil (with the
    /// note why) when its draws support no verdict.
    static func mhCost(_ mh: SamplerMetrics, into c: inout ComparisonRecord) -> (effective: Double, workPerEffective: Double)? {
        guard mh.verdictRefusal == nil, let effective = mh.effectiveDraws, effective >= 1, let work = mh.energyWork else {
            c.breakEvenNote = "MH's draws support no verdict, so its cost per effective draw is not measured reliably: no break-even is quoted"
            return nil
        }
        c.mhEffectiveDraws = effective
        c.mhEnergyWorkPerEffectiveDraw = Double(work) / effective
        return (effective, Double(work) / effective)
    }

    /// Cost per effective draw in energy work and wall time, and the break-even where the
    /// GFlowNet's quality is within its noise floor or no worse than MH's.
    static func cost(mh: SamplerMetrics, gfn: SamplerMetrics, into c: inout ComparisonRecord) {
        c.gfnTrainingEnergyWork = gfn.energyWork
        guard let (mhEffective, workPerEffective) = mhCost(mh, into: &c) else { return }
        let consistentWithReference = gfn.referenceComparison.map { $0.energy?.withinFloor == true && $0.magnetization?.withinFloor == true } ?? false
        let gfnGoodEnough = gfn.withinNoiseFloor == true || consistentWithReference || c.decision == "gfn-better" || c.decision == "no-measurable-difference"
        guard gfnGoodEnough else {
            c.breakEvenNote = c.decision == "mh-better"
                ? "the GFlowNet's draws are measurably worse than MH's at an equal number of draws, so no number of them buys MH's quality: no break-even is quoted"
                : "without a quality verdict (see above) the GFlowNet's draws cannot be shown to match MH's, so no break-even is quoted"
            return
        }
        if let training = gfn.energyWork, workPerEffective > 0 { c.breakEvenByEnergyWork = Double(training) / workPerEffective }
        let mhSecondsPerEffective = mh.wallSeconds / mhEffective
        let gfnSecondsPerSample = (gfn.samplingSeconds ?? 0) / Double(max(gfn.samples, 1))
        if mhSecondsPerEffective > gfnSecondsPerSample {
            c.wallBreakEvenSamples = (gfn.trainingSeconds ?? 0) / (mhSecondsPerEffective - gfnSecondsPerSample)
        }
    }
}
