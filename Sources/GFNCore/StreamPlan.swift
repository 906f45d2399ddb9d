/// Every random stream a run draws from, as an index under the run's seed (`RandomStream(seed:
/// stream:)`): one map, so no two consumers share a stream and a reader sees them all at once.
/// The indices are part of the record's reproducibility; changing one changes results.
public enum StreamPlan {
    /// MH chain c (0 ≤ c < 4096) draws from stream c, with the run's `--rng` generator. Every
    /// other stream uses taus2.
    public static func mhChain(_ c: Int) -> UInt64 { UInt64(c) }
    /// The GFlowNet's streams: initialisation, training, sampling, importance sampling.
    public static let gfnInitialisation: UInt64 = 1 << 32
    public static let gfnTraining: UInt64 = (1 << 32) + 1
    public static let gfnSampling: UInt64 = (1 << 32) + 2
    public static let gfnImportanceSampling: UInt64 = (1 << 32) + 3
    /// Training shard w ≥ 1 of `--train-workers` (shard 0 draws from ``gfnTraining``, so one
    /// worker is the unsharded trainer).
    public static func gfnTrainingShard(_ w: Int) -> UInt64 { w == 0 ? gfnTraining : (1 << 38) + UInt64(w) }
    /// The backward trajectories the EUBO draws from the reference states.
    public static let gfnEubo: UInt64 = (1 << 32) + 4
    /// GFlowNet-in-MH chain c: its local moves, backward trajectories and acceptances.
    public static func gfnMHChain(_ c: Int) -> UInt64 { (1 << 36) + UInt64(c) }
    /// GFlowNet-in-MH chain c: the GFlowNet draws it proposes.
    public static func gfnMHProposals(_ c: Int) -> UInt64 { (1 << 37) + UInt64(c) }
    /// The noise-floor simulation of sampler k (0: MH, 1: the GFlowNet, 2: GFlowNet-in-MH; `verdict-rates` uses 10, 11).
    public static func noiseFloor(sampler k: Int) -> UInt64 { (1 << 33) + UInt64(k) }
    /// The Wolff cluster run behind a reference estimate where nothing exact is known.
    public static let referenceEstimate: UInt64 = 1 << 34
    /// The floor of two samplers' histograms compared with the reference estimate at an equal number of draws.
    public static let referenceMatchedFloor: UInt64 = (1 << 34) + 1
    /// `verdict-rates`: the exact draws of set k.
    public static func calibrationDraws(_ k: Int) -> UInt64 { (1 << 35) + UInt64(k) }
}
