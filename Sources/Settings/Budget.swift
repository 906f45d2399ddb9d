import GFNCore

/// An equal budget of energy work (a local ΔE is one unit, a full E(x) n units) for every sampler.
///
/// MH spends it on its chains (burn-in included); the GFlowNet on training (`training_share` of it;
/// its sampling needs no energy); the `gfn-mh` chains reuse that training and spend the rest on
/// their own proposals and local moves. The schedules are derived from the budget before the run
/// (they replace `--samples`, `--iterations` and `--gfn-mh-samples`), and each sampler's counted
/// work is at most the budget and short of it by less than one step of every chain (MH: one sweep
/// per chain; GFlowNet: one training batch; `gfn-mh`: one step, or one sweep and one proposal,
/// per chain) — see `RunSettings.budgetTolerance(model:)`.
public struct WorkBudget: Sendable, Codable, Equatable {
    /// Units of energy work each sampler may spend.
    public var energyWork: Int
    /// The fraction of the budget the GFlowNet trains on (the rest is `gfn-mh`'s); 1 without `gfn-mh`.
    public var trainingShare: Double
    public init(energyWork: Int, trainingShare: Double) { self.energyWork = energyWork; self.trainingShare = trainingShare }
}

/// The GFlowNet-in-MH sampler's settings (see `GFlowNetMH`).
public struct GFlowNetMHSettings: Sendable, Codable, Equatable {
    /// nil: an independence chain (a GFlowNet proposal at every step); K: K local sweeps of the
    /// run's MH kernel between GFlowNet proposals (mixed chains).
    public var every: Int?
    /// Recorded samples over all chains; nil: as many as MH records.
    public var samples: Int?
    public init(every: Int? = nil, samples: Int? = nil) { self.every = every; self.samples = samples }

    /// Burn-in of the independence chain, in proposals: it starts from a GFlowNet draw, so it
    /// needs few; the mixed chains burn in like MH, in sweeps.
    public static let independenceBurnIn = 100
}
