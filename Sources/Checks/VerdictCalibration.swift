import Comparison
import CGSL
import Energies
import Foundation
import GFNCore
import MCMC
import Metrics
import Reporting
import Settings

/// Measures the false-call rates of `DecisionRule` where the truth is known: every sampler
/// below is correct, so every "better", "worse" or "measurably off" it produces is a false call.
///
/// Per seed, on a small enumerable Ising model: MH (4 chains, the pipeline's analysis and
/// thinning) against exact independent draws (`gsl_ran_discrete`), and exact draws against
/// exact draws of another size, each judged at an equal number of draws as a report would.
public enum VerdictCalibration {
    public struct Rates: Codable, Sendable, Equatable {
        public var seeds: Int
        /// "better"/"worse" declared between MH and exact draws (seeds where MH was judged).
        public var mhVsExactCalls: Int
        public var mhVsExactJudged: Int
        /// "better"/"worse" declared between two sets of exact draws.
        public var exactVsExactCalls: Int
        /// Exact draw sets called "measurably further from the target than exact sampling".
        public var exactFloorFalseAlarms: Int
        public var exactFloorJudged: Int
        /// MH draw sets called "measurably further from the target than exact sampling".
        public var mhFloorFalseAlarms: Int
        /// MH runs whose draws were refused a verdict (R-hat or ESS out of bounds).
        public var mhRefusals: Int
    }

    /// - Parameters:
    ///   - lattice: the Ising lattice (default 3×3 periodic).
    ///   - beta: the inverse temperature.
    ///   - schedule: the MH chains of every replicate.
    ///   - seeds: the seeds to run, each a replicate.
    ///   - exactDraws: the size of the larger exact set (the smaller is MH's thinned count).
    ///   - progress: called with the number of replicates done.
    public static func measure(lattice: SquareLattice? = nil, beta: Double = 0.3,
                               schedule: ChainSchedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 5_000, thinSweeps: 1),
                               seeds: [UInt64], exactDraws: Int = 20_000,
                               progress: ((Int) -> Void)? = nil) throws -> Rates {
        let model = try IsingModel(lattice: lattice ?? SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let reference = try ExactReference.compute(model, beta: beta)
        guard let p = reference.probabilities else { throw GFNError.invalidInput("the calibration model must be enumerable (at most 2^22 states)") }
        let table = p.withUnsafeBufferPointer { gsl_ran_discrete_preproc(p.count, $0.baseAddress) }
        defer { gsl_ran_discrete_free(table) }
        var r = Rates(seeds: seeds.count, mhVsExactCalls: 0, mhVsExactJudged: 0, exactVsExactCalls: 0, exactFloorFalseAlarms: 0,
                      exactFloorJudged: 0, mhFloorFalseAlarms: 0, mhRefusals: 0)
        for (done, seed) in seeds.enumerated() {
            try Interruption.check()
            // Streams: MH chains 0…chains−1 as in a run; exact draws and floors from their own.
            func exact(_ count: Int, stream: Int) -> SamplerAnalysis {
                let rng = RandomStream(seed: seed, stream: StreamPlan.calibrationDraws(stream))
                let keys = (0..<count).map { _ in UInt64(gsl_ran_discrete(rng.pointer, table)) }
                return SampleAnalysis.analyse(model: model, beta: beta, draws: DrawSet(independentKeys: keys, model: model), reference: reference,
                                              seed: seed, floorStream: StreamPlan.noiseFloor(sampler: 10 + stream))
            }
            let traces = try ChainRunner.run(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule, seed: seed)
            let mh = SampleAnalysis.analyse(model: model, beta: beta, draws: DrawSet(traces: traces), reference: reference,
                                            seed: seed, floorStream: StreamPlan.noiseFloor(sampler: 0))
            let big = exact(exactDraws, stream: 0)
            let small = exact(max(mh.thinnedKeys.count, 100), stream: 1)
            for a in [big, small] {
                if let w = a.metrics.withinNoiseFloor { r.exactFloorJudged += 1; if !w { r.exactFloorFalseAlarms += 1 } }
            }
            if mh.metrics.verdictRefusal != nil {
                r.mhRefusals += 1
            } else {
                if mh.metrics.withinNoiseFloor == false { r.mhFloorFalseAlarms += 1 }
                r.mhVsExactJudged += 1
                if Judgement.quality(mh: mh, gfn: big, reference: reference, seed: seed).decision != "no-measurable-difference" { r.mhVsExactCalls += 1 }
            }
            if Judgement.quality(mh: small, gfn: big, reference: reference, seed: seed).decision != "no-measurable-difference" { r.exactVsExactCalls += 1 }
            progress?(done + 1)
        }
        return r
    }
}
