import Foundation
import Metrics

/// Sampler against sampler: quality at an equal number of draws, and where the GFlowNet's
/// training cost pays off. Every field is decided by `DecisionRule` (README, "Reading a report").
public struct ComparisonRecord: Codable, Equatable, Sendable {
    /// "mh-better", "<second>-better" ("gfn-better", "gfn-mh-better"), "no-measurable-difference" or "no-verdict".
    public var decision: String
    /// The sampler MH is compared with: "gfn" (absent in older records) or "gfn-mh".
    public var second: String?
    /// Why there is no verdict (decision "no-verdict"), in words; null otherwise.
    @Nullable public var decisionReason: String?
    /// Draws each sampler is judged on: the smaller of the two thinned draw counts (the larger set
    /// is subsampled evenly to it), so like is compared with like.
    @Nullable public var matchedDraws: Int?
    /// TV to the target of each sampler's matched draws.
    @Nullable public var mhMatchedTv: Double?
    /// The second sampler's (named gfn_* for the first comparison it was made for).
    @Nullable public var gfnMatchedTv: Double?
    /// The noise floor (TV of as many exact draws): mean and sd over its replicates.
    @Nullable public var matchedFloorMean: Double?
    @Nullable public var matchedFloorSd: Double?
    /// (mh_matched_tv − gfn_matched_tv) / (√2·matched_floor_sd): below −3 MH is better, above 3 the GFlowNet.
    @Nullable public var differenceZ: Double?
    /// MH's effective draws (smallest bulk ESS over its tracked observables).
    @Nullable public var mhEffectiveDraws: Double?
    /// MH's energy work per effective draw (burn-in included).
    @Nullable public var mhEnergyWorkPerEffectiveDraw: Double?
    /// The GFlowNet's training energy work (sampling needs none).
    @Nullable public var gfnTrainingEnergyWork: Int?
    /// The second sampler's own energy work per effective draw, training excluded (0 for the
    /// GFlowNet's independent draws, whose sampling needs no energy; absent in older records).
    public var secondEnergyWorkPerEffectiveDraw: Double?
    /// MH effective draws whose energy work equals the GFlowNet's training plus the second
    /// sampler's own work for as many effective draws; null when no break-even is quoted (see break_even_note).
    @Nullable public var breakEvenByEnergyWork: Double?
    /// The same in wall time (volatile).
    @Nullable public var wallBreakEvenSamples: Double?
    /// Why no break-even is quoted, when it is not.
    @Nullable public var breakEvenNote: String?

    /// Beyond enumeration: the two samplers' histograms against the reference estimate at an equal
    /// number of thinned draws, which decided `decision` (absent where the target was enumerated).
    public var referenceMatch: ReferenceMatchRecord?

    public init(decision: String) { self.decision = decision }
}

/// Two samplers' histograms of one observable against the reference's, at an equal number of draws.
public struct MatchedHistograms: Codable, Equatable, Sendable {
    /// TV to the reference's histogram of MH's and of the second sampler's matched draws.
    public var mhTv: Double
    public var secondTv: Double
    /// The TV two exact samples of these sizes show: mean and sd.
    public var floorMean: Double
    public var floorSd: Double
    /// (mh_tv − second_tv) / (√2·floor_sd), as for the state-level TV.
    public var differenceZ: Double
    public init(mhTv: Double, secondTv: Double, floorMean: Double, floorSd: Double, differenceZ: Double) {
        self.mhTv = mhTv; self.secondTv = secondTv; self.floorMean = floorMean; self.floorSd = floorSd; self.differenceZ = differenceZ
    }
}

/// The beyond-enumeration comparison: energy and magnetisation histograms at `draws` thinned draws each.
public struct ReferenceMatchRecord: Codable, Equatable, Sendable {
    public var draws: Int
    public var referenceDraws: Int
    public var energy: MatchedHistograms
    public var magnetization: MatchedHistograms
    public init(draws: Int, referenceDraws: Int, energy: MatchedHistograms, magnetization: MatchedHistograms) {
        self.draws = draws; self.referenceDraws = referenceDraws; self.energy = energy; self.magnetization = magnetization
    }
}
