import Foundation
import Metrics

/// The machine-readable record of one comparison run (`run.json`).
///
/// Contract (documented in docs/run-json.md): field names and meanings are stable within a
/// `schema_version`. Fields that measure time (`wall_seconds` and every key ending in `_seconds`
/// or `_per_second`) and the `environment` block describe the machine and the moment; every
/// other field is a deterministic function of the configuration, the seed and the binary.
public struct RunRecord: Codable, Equatable, Sendable {
    public static let currentSchemaVersion = 2

    public var schemaVersion: Int
    public var tool: ToolInfo
    /// The exact command line that produced this record.
    public var command: String
    public var config: RunConfig
    public var exact: ExactRecord
    public var samplers: [SamplerRecord]
    /// The two samplers against each other (null with one sampler; written as an explicit null).
    public var comparison: ComparisonRecord?
    public var environment: EnvironmentRecord

    public init(tool: ToolInfo, command: String, config: RunConfig, exact: ExactRecord, samplers: [SamplerRecord],
                comparison: ComparisonRecord?, environment: EnvironmentRecord) {
        schemaVersion = Self.currentSchemaVersion
        self.tool = tool; self.command = command; self.config = config
        self.exact = exact; self.samplers = samplers; self.comparison = comparison; self.environment = environment
    }

    /// Encodes as stable, pretty-printed JSON with sorted keys and snake_case names.
    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.keyEncodingStrategy = .convertToSnakeCase
        // A divergence that is genuinely infinite (KL to a distribution with an empty state) is
        // written as the string "Infinity" rather than failing the whole record.
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var d = try enc.encode(self)
        d.append(0x0A)
        return d
    }

    /// Decodes a record, checking its schema version.
    public static func decode(_ data: Data) throws -> RunRecord {
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        struct Version: Decodable { var schemaVersion: Int }
        let v = try dec.decode(Version.self, from: data)
        guard v.schemaVersion == currentSchemaVersion else {
            throw RecordError.unsupportedSchema(v.schemaVersion)
        }
        let record = try dec.decode(RunRecord.self, from: data)
        try record.validate()
        return record
    }

    enum CodingKeys: String, CodingKey { case schemaVersion, tool, command, config, exact, samplers, comparison, environment }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(tool, forKey: .tool)
        try c.encode(command, forKey: .command)
        try c.encode(config, forKey: .config)
        try c.encode(exact, forKey: .exact)
        try c.encode(samplers, forKey: .samplers)
        try c.encode(comparison, forKey: .comparison)
        try c.encode(environment, forKey: .environment)
    }

    /// Checks the record's internal consistency (array lengths, counts), so nothing downstream
    /// indexes past an array of a damaged or hand-edited record.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String) throws { if !ok { throw RecordError.inconsistent(field) } }
        try check(samplers.count <= 16, "samplers")
        if let levels = exact.energyLevels { try check(exact.energyLevelProbabilities?.count == levels.count, "exact.energy_level_probabilities") }
        for (i, s) in samplers.enumerated() {
            let m = s.metrics
            try check(m.samples >= 0, "samplers[\(i)].metrics.samples")
            if let t = s.training {
                try check(t.iteration.count == t.loss.count && t.loss.count == t.logZ.count, "samplers[\(i)].training")
            }
            if let c = m.curve {
                try check(c.energyEvaluations.count == c.tv.count && c.wallSeconds.count == c.tv.count, "samplers[\(i)].metrics.curve")
            }
            if let h = m.energyHistogram { try check(h.count == exact.energyLevels?.count, "samplers[\(i)].metrics.energy_histogram") }
            if let h = m.magnetizationHistogram { try check(h.count == exact.magnetizationProbabilities?.count, "samplers[\(i)].metrics.magnetization_histogram") }
            if let u = m.marginalsUp, let e = exact.marginalsUp { try check(u.count == e.count, "samplers[\(i)].metrics.marginals_up") }
            if let u = m.marginals, let e = exact.marginals {
                try check(u.count == e.count && zip(u, e).allSatisfy { $0.count == $1.count }, "samplers[\(i)].metrics.marginals")
            }
        }
    }
}

public enum RecordError: Error, CustomStringConvertible {
    case unsupportedSchema(Int)
    case inconsistent(String)
    public var description: String {
        switch self {
        case .unsupportedSchema(let v): return "run.json has schema_version \(v); this gfn-compare reads schema_version \(RunRecord.currentSchemaVersion)"
        case .inconsistent(let field): return "run.json is inconsistent at \(field) (damaged or hand-edited)"
        }
    }
}

public struct ToolInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public init(name: String, version: String) { self.name = name; self.version = version }
}

/// Everything needed to rerun: the energy, the seed, the generator and each sampler's settings.
public struct RunConfig: Codable, Equatable, Sendable {
    public var energy: EnergyConfig
    public var seed: UInt64
    public var rng: String
    public var mh: MHConfig
    /// The GFlowNet's settings; null when the run has no GFlowNet.
    public var gfn: GFNConfig?
    public init(energy: EnergyConfig, seed: UInt64, rng: String, mh: MHConfig, gfn: GFNConfig?) {
        self.energy = energy; self.seed = seed; self.rng = rng; self.mh = mh; self.gfn = gfn
    }
}

/// The GFlowNet's architecture, training and sampling settings.
public struct GFNConfig: Codable, Equatable, Sendable {
    public var objective: String
    public var order: String
    public var backward: String
    public var hidden: Int
    public var layers: Int
    public var activation: String
    public var batch: Int
    public var iterations: Int
    public var learningRate: Double
    public var learningRateLogZ: Double
    public var epsilon: Double
    public var temperature: Double
    public var subtbLambda: Double
    public var clipNorm: Double
    /// OpenBLAS threads (results depend on it).
    public var blasThreads: Int
    /// Samples drawn after training.
    public var samples: Int
    /// The model file the parameters were loaded from (no training), or null.
    public var loadedModel: String?
    /// Where log Z started: "zero" or "batch" (absent: zero).
    public var logZStart: String?
    /// The fraction of the iterations over which β was annealed up to its target (absent: none).
    public var annealFraction: Double?
    public init(objective: String, order: String, backward: String, hidden: Int, layers: Int, activation: String, batch: Int,
                iterations: Int, learningRate: Double, learningRateLogZ: Double, epsilon: Double, temperature: Double,
                subtbLambda: Double, clipNorm: Double, blasThreads: Int, samples: Int, loadedModel: String?) {
        self.objective = objective; self.order = order; self.backward = backward; self.hidden = hidden; self.layers = layers
        self.activation = activation; self.batch = batch; self.iterations = iterations; self.learningRate = learningRate
        self.learningRateLogZ = learningRateLogZ; self.epsilon = epsilon; self.temperature = temperature
        self.subtbLambda = subtbLambda; self.clipNorm = clipNorm; self.blasThreads = blasThreads; self.samples = samples; self.loadedModel = loadedModel
    }
}

public struct EnergyConfig: Codable, Equatable, Sendable {
    public var name: String
    /// "RxC".
    public var lattice: String
    public var rows: Int
    public var cols: Int
    public var boundary: String
    public var beta: Double
    public var coupling: Double
    public var field: Double
    /// Values per variable (Potts); absent for Ising.
    public var q: Int?
    /// Spin glasses: "pm" (±J) or "gaussian" couplings (EA), the number of spins (SK), and the
    /// seed the couplings were drawn from, independent of the sampling seed.
    public var disorder: String?
    public var spins: Int?
    public var instanceSeed: UInt64?
    /// A model file's path and the FNV-1a fingerprint of its bytes (a rerun checks it is unchanged).
    public var file: String?
    public var fileFingerprint: String?
    /// Hypergrid: dimensions, side and (R0, R1, R2).
    public var dims: Int?
    public var side: Int?
    public var rewards: [Double]?
    /// The energy convention, spelled out for readers of the JSON alone.
    public var convention: String
    public init(name: String, rows: Int, cols: Int, boundary: String, beta: Double, coupling: Double, field: Double, q: Int?, convention: String) {
        self.name = name; self.lattice = "\(rows)x\(cols)"; self.rows = rows; self.cols = cols
        self.boundary = boundary; self.beta = beta; self.coupling = coupling; self.field = field; self.q = q; self.convention = convention
    }
}

public struct MHConfig: Codable, Equatable, Sendable {
    public var kernel: String
    public var scan: String
    public var chains: Int
    public var burnInSweeps: Int
    public var samplesPerChain: Int
    public var thinSweeps: Int
    public init(kernel: String, scan: String, chains: Int, burnInSweeps: Int, samplesPerChain: Int, thinSweeps: Int) {
        self.kernel = kernel; self.scan = scan; self.chains = chains
        self.burnInSweeps = burnInSweeps; self.samplesPerChain = samplesPerChain; self.thinSweeps = thinSweeps
    }
}

/// The exact reference. Unknown values are null, never 0.
public struct ExactRecord: Codable, Equatable, Sendable {
    public var logZ: Double?
    /// "enumeration", "kaufman" or null.
    public var logZMethod: String?
    public var nStates: Double?
    public var meanEnergy: Double?
    public var meanEnergyMethod: String?
    public var meanAbsMagnetizationPerSite: Double?
    /// P(M > 0), P(M = 0), P(M < 0).
    public var modeMass: ModeMassRecord?
    /// Kaufman's log Z where it applies (a cross-check of enumeration on periodic zero-field lattices).
    public var logZKaufman: Double?
    /// Why a value is unknown (e.g. the state space is too large to enumerate).
    public var notes: [String] = []
    /// H(p) = log Z + β⟨E⟩, in nats.
    public var entropy: Double?
    /// The target is symmetric under flipping every spin (Ising at h = 0): P(M > 0) = P(M < 0) exactly.
    public var spinFlipSymmetric: Bool?
    /// Context, not a reference for this lattice: Onsager's infinite-lattice energy per site and
    /// Yang's spontaneous magnetisation (Ising, J > 0, h = 0).
    public var onsagerEnergyPerSite: Double?
    public var yangMagnetization: Double?
    /// Spin glasses: every coupling as [i, j, J_ij].
    public var couplings: [[Double]]?
    /// Where no exact ⟨E⟩ is known: a labelled *estimate* from a long cluster-algorithm run.
    public var referenceEstimate: ReferenceEstimate?
    /// Exact energy levels and their probabilities (enumeration).
    public var energyLevels: [Double]?
    public var energyLevelProbabilities: [Double]?
    /// Exact P(M = m) for m = −n…n (enumeration; index k is M = k − n).
    public var magnetizationProbabilities: [Double]?
    /// Exact P(xᵢ = 1) per site (enumeration; binary models).
    public var marginalsUp: [Double]?
    /// Exact P(xᵢ = v) per site i and value v (enumeration; models with more than two values,
    /// up to 1,024 sites).
    public var marginals: [[Double]]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case logZ, logZMethod, nStates, meanEnergy, meanEnergyMethod, meanAbsMagnetizationPerSite, modeMass, logZKaufman, notes
        case entropy, spinFlipSymmetric, onsagerEnergyPerSite, yangMagnetization, couplings, referenceEstimate, energyLevels, energyLevelProbabilities, magnetizationProbabilities, marginalsUp, marginals
    }
    // Encode absent values as explicit nulls: readers can tell "unknown" from "missing field".
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logZ, forKey: .logZ)
        try c.encode(logZMethod, forKey: .logZMethod)
        try c.encode(nStates, forKey: .nStates)
        try c.encode(meanEnergy, forKey: .meanEnergy)
        try c.encode(meanEnergyMethod, forKey: .meanEnergyMethod)
        try c.encode(meanAbsMagnetizationPerSite, forKey: .meanAbsMagnetizationPerSite)
        try c.encode(modeMass, forKey: .modeMass)
        try c.encode(logZKaufman, forKey: .logZKaufman)
        try c.encode(notes, forKey: .notes)
        try c.encode(entropy, forKey: .entropy)
        try c.encode(spinFlipSymmetric, forKey: .spinFlipSymmetric)
        try c.encode(onsagerEnergyPerSite, forKey: .onsagerEnergyPerSite)
        try c.encode(yangMagnetization, forKey: .yangMagnetization)
        try c.encode(couplings, forKey: .couplings)
        try c.encode(referenceEstimate, forKey: .referenceEstimate)
        try c.encode(energyLevels, forKey: .energyLevels)
        try c.encode(energyLevelProbabilities, forKey: .energyLevelProbabilities)
        try c.encode(magnetizationProbabilities, forKey: .magnetizationProbabilities)
        try c.encode(marginalsUp, forKey: .marginalsUp)
        try c.encode(marginals, forKey: .marginals)
    }
}

/// A reference *estimate* (not exact) with its Monte Carlo standard errors.
public struct ReferenceEstimate: Codable, Equatable, Sendable {
    public var method: String
    public var samples: Int
    public var meanEnergy: Double
    public var meanEnergyMcse: Double
    public var meanAbsMagnetizationPerSite: Double
    public var meanAbsMagnetizationPerSiteMcse: Double
    public init(method: String, samples: Int, meanEnergy: Double, meanEnergyMcse: Double, meanAbsMagnetizationPerSite: Double, meanAbsMagnetizationPerSiteMcse: Double) {
        self.method = method; self.samples = samples; self.meanEnergy = meanEnergy; self.meanEnergyMcse = meanEnergyMcse
        self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite; self.meanAbsMagnetizationPerSiteMcse = meanAbsMagnetizationPerSiteMcse
    }
}

public struct ModeMassRecord: Codable, Equatable, Sendable {
    public var positive: Double
    public var zero: Double
    public var negative: Double
    public init(positive: Double, zero: Double, negative: Double) { self.positive = positive; self.zero = zero; self.negative = negative }
}

/// One sampler's results.
public struct SamplerRecord: Codable, Equatable, Sendable {
    /// "mh" or "gfn".
    public var name: String
    public var metrics: SamplerMetrics
    /// The training curve (GFlowNet only), at most 500 evenly spaced iterations.
    public var training: TrainingCurve?
    public init(name: String, metrics: SamplerMetrics, training: TrainingCurve? = nil) {
        self.name = name; self.metrics = metrics; self.training = training
    }
}

/// Loss and learned log Z against the training iteration.
public struct TrainingCurve: Codable, Equatable, Sendable {
    public var iteration: [Int]
    public var loss: [Double]
    /// null entries where the objective has no log Z parameter (flow matching).
    public var logZ: [Double?]
    public init(iteration: [Int], loss: [Double], logZ: [Double?]) { self.iteration = iteration; self.loss = loss; self.logZ = logZ }
}

/// A sampler's metrics. Every estimate is measured against the exact reference where known;
/// unknown values are null.
public struct SamplerMetrics: Codable, Equatable, Sendable {
    /// Number of recorded samples N.
    public var samples: Int
    /// ½·Σ|p̂ − p| of the empirical distribution to the exact target (null unless enumerable).
    public var tv: Double?
    /// Distinct states among the samples.
    public var distinctStates: Int?
    /// Pearson chi-square goodness of fit against the exact target on draws thinned to be
    /// nearly independent (null unless the state space has at most 2^20 states).
    public var chiSquare: ChiSquareRecord?
    public var meanEnergy: Double
    public var meanEnergyExact: Double?
    /// Monte Carlo standard error of mean_energy (from τ_int of the energy trace).
    public var meanEnergyMcse: Double?
    public var meanAbsMagnetizationPerSite: Double
    public var meanAbsMagnetizationPerSiteExact: Double?
    /// max over sites |P̂(sᵢ = +1) − P(sᵢ = +1)|.
    public var maxMarginalError: Double?
    /// max over sites of |P̂(sᵢ = +1) − P(sᵢ = +1)| / MCSE, MCSE = sqrt(P̂(1 − P̂)/ESS) with ESS = N for
    /// independent draws and the smaller bulk ESS of energy and magnetisation for MCMC.
    public var maxMarginalErrorInMcse: Double?
    /// max over bonds |⟨sᵢsⱼ⟩̂ − ⟨sᵢsⱼ⟩|.
    public var maxCorrelationError: Double?
    public var modeMass: ModeMassRecord
    /// Integrated autocorrelation time of the energy trace, in recorded samples.
    public var tauIntEnergy: Double?
    /// Integrated autocorrelation time of the signed magnetisation trace, in recorded samples.
    public var tauIntMagnetization: Double?
    /// N / τ_int(energy).
    public var essEnergy: Double?
    /// The tracked observable that mixes slowest ("energy" or "magnetisation"): its τ_int sets the
    /// thinning and its bulk ESS the effective draws.
    public var slowestObservable: String?
    /// The smallest bulk ESS over the tracked observables (MCMC), N for independent draws: what
    /// verdicts and the cost per effective draw use.
    public var effectiveDraws: Double?
    /// Why these draws support no verdict (R-hat or bulk ESS of some observable out of bounds,
    /// see the README's decision rule); null when they do.
    public var verdictRefusal: String?
    /// Energy work: local ΔE evaluations plus n per full E(x) evaluation (one full E(x) touches
    /// every site, a local ΔE one site's neighbourhood). The common unit of cost.
    public var energyWork: Int?
    public var acceptanceRate: Double?
    /// The GFlowNet's learned log Z (null for MCMC).
    public var logZLearned: Double?
    /// TV of the GFlowNet's exact model distribution P_T to the target: no sampling noise (null when P_T is not computable, and for MCMC).
    public var tvModelExact: Double?
    /// Why tv_model_exact is null, when it is.
    public var tvModelExactNote: String?
    /// TV, KL both ways, Jensen–Shannon and Hellinger of the empirical distribution to the target.
    public var distances: DistanceSet?
    /// TV of the nearly independent draws the floor and the chi-square test use: every ⌈2·τ_int⌉-th
    /// sample of each chain for MCMC (see chi_square.thin), all draws for an independent sampler.
    public var thinnedTv: Double?
    /// The distances of as many exact independent draws as thinned_tv uses (mean and sd over 50 replicates).
    public var noiseFloor: NoiseFloor?
    /// Whether thinned_tv lies within the noise floor (≤ mean + 3 sd): indistinguishable from exact
    /// sampling at that size. Null when the draws support no verdict (see verdict_refusal).
    public var withinNoiseFloor: Bool?
    /// The GFlowNet's exact model distribution P_T against the target: every distance, no sampling noise.
    public var modelDistances: DistanceSet?
    /// Mode masses of the exact model distribution P_T (GFlowNet).
    public var modeMassModelExact: ModeMassRecord?
    /// Rank-normalised split R-hat (ArviZ) of the energy and magnetisation traces (MCMC).
    public var rhatEnergy: Double?
    public var rhatMagnetization: Double?
    /// Bulk and tail ESS (ArviZ) of the energy and magnetisation traces.
    public var essBulkEnergy: Double?
    public var essTailEnergy: Double?
    public var essBulkMagnetization: Double?
    public var essTailMagnetization: Double?
    /// Importance-sampling log Z: log mean exp(log R(x) + log P_B(τ|x) − log P_F(τ)) over the GFlowNet's samples.
    public var logZImportance: Double?
    /// Kish effective sample size of those importance weights.
    public var logZImportanceEss: Double?
    /// Plain-words warnings (mode collapse, R-hat > 1.01, ESS < 100 per chain, …).
    public var warnings: [String] = []
    /// The sampler's frequency of each exact energy level (aligned with exact.energy_levels).
    public var energyHistogram: [Double]?
    /// The sampler's frequency of M = k − n (aligned with exact.magnetization_probabilities).
    public var magnetizationHistogram: [Double]?
    /// Estimated P(xᵢ = 1) per site (binary models, up to 1,024 sites).
    public var marginalsUp: [Double]?
    /// Estimated P(xᵢ = v) per site and value (models with more than two values, up to 1,024 sites).
    public var marginals: [[Double]]?
    /// Quality against cost, recorded at checkpoints during the run.
    public var curve: QualityCurve?
    /// True when `--time-limit` cut the run short (volatile: depends on the machine's speed).
    public var wallLimited: Bool?
    /// Training trajectories (GFlowNet).
    public var trainingTrajectories: Int?
    /// Wall time of training (GFlowNet; volatile).
    public var trainingSeconds: Double?
    /// Energy evaluations: local ΔE evaluations plus full E(x) evaluations.
    public var energyEvaluations: Int
    public var deltaEnergyEvaluations: Int
    public var fullEnergyEvaluations: Int
    public var wallSeconds: Double
    public var burnInSeconds: Double?
    public var samplingSeconds: Double?

    public init(samples: Int, meanEnergy: Double, meanAbsMagnetizationPerSite: Double, modeMass: ModeMassRecord,
                energyEvaluations: Int, deltaEnergyEvaluations: Int, fullEnergyEvaluations: Int, wallSeconds: Double) {
        self.samples = samples; self.meanEnergy = meanEnergy; self.meanAbsMagnetizationPerSite = meanAbsMagnetizationPerSite
        self.modeMass = modeMass; self.energyEvaluations = energyEvaluations
        self.deltaEnergyEvaluations = deltaEnergyEvaluations; self.fullEnergyEvaluations = fullEnergyEvaluations
        self.wallSeconds = wallSeconds
    }

    enum CodingKeys: String, CodingKey {
        case samples, tv, distinctStates, chiSquare, meanEnergy, meanEnergyExact, meanEnergyMcse
        case meanAbsMagnetizationPerSite, meanAbsMagnetizationPerSiteExact, maxMarginalError, maxMarginalErrorInMcse, maxCorrelationError
        case modeMass, tauIntEnergy, tauIntMagnetization, essEnergy, slowestObservable, effectiveDraws, verdictRefusal, energyWork, acceptanceRate, logZLearned, tvModelExact, tvModelExactNote
        case distances, thinnedTv, noiseFloor, withinNoiseFloor, modelDistances, modeMassModelExact, rhatEnergy, rhatMagnetization
        case essBulkEnergy, essTailEnergy, essBulkMagnetization, essTailMagnetization, logZImportance, logZImportanceEss
        case warnings, energyHistogram, magnetizationHistogram, marginalsUp, marginals, curve, wallLimited
        case trainingTrajectories, trainingSeconds, energyEvaluations, deltaEnergyEvaluations
        case fullEnergyEvaluations, wallSeconds, burnInSeconds, samplingSeconds
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        try c.encode(tv, forKey: .tv)
        try c.encode(distinctStates, forKey: .distinctStates)
        try c.encode(chiSquare, forKey: .chiSquare)
        try c.encode(meanEnergy, forKey: .meanEnergy)
        try c.encode(meanEnergyExact, forKey: .meanEnergyExact)
        try c.encode(meanEnergyMcse, forKey: .meanEnergyMcse)
        try c.encode(meanAbsMagnetizationPerSite, forKey: .meanAbsMagnetizationPerSite)
        try c.encode(meanAbsMagnetizationPerSiteExact, forKey: .meanAbsMagnetizationPerSiteExact)
        try c.encode(maxMarginalError, forKey: .maxMarginalError)
        try c.encode(maxMarginalErrorInMcse, forKey: .maxMarginalErrorInMcse)
        try c.encode(maxCorrelationError, forKey: .maxCorrelationError)
        try c.encode(modeMass, forKey: .modeMass)
        try c.encode(tauIntEnergy, forKey: .tauIntEnergy)
        try c.encode(tauIntMagnetization, forKey: .tauIntMagnetization)
        try c.encode(essEnergy, forKey: .essEnergy)
        try c.encode(slowestObservable, forKey: .slowestObservable)
        try c.encode(effectiveDraws, forKey: .effectiveDraws)
        try c.encode(verdictRefusal, forKey: .verdictRefusal)
        try c.encode(energyWork, forKey: .energyWork)
        try c.encode(acceptanceRate, forKey: .acceptanceRate)
        try c.encode(logZLearned, forKey: .logZLearned)
        try c.encode(tvModelExact, forKey: .tvModelExact)
        try c.encode(tvModelExactNote, forKey: .tvModelExactNote)
        try c.encode(distances, forKey: .distances)
        try c.encode(thinnedTv, forKey: .thinnedTv)
        try c.encode(noiseFloor, forKey: .noiseFloor)
        try c.encode(withinNoiseFloor, forKey: .withinNoiseFloor)
        try c.encode(modelDistances, forKey: .modelDistances)
        try c.encode(modeMassModelExact, forKey: .modeMassModelExact)
        try c.encode(rhatEnergy, forKey: .rhatEnergy)
        try c.encode(rhatMagnetization, forKey: .rhatMagnetization)
        try c.encode(essBulkEnergy, forKey: .essBulkEnergy)
        try c.encode(essTailEnergy, forKey: .essTailEnergy)
        try c.encode(essBulkMagnetization, forKey: .essBulkMagnetization)
        try c.encode(essTailMagnetization, forKey: .essTailMagnetization)
        try c.encode(logZImportance, forKey: .logZImportance)
        try c.encode(logZImportanceEss, forKey: .logZImportanceEss)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(energyHistogram, forKey: .energyHistogram)
        try c.encode(magnetizationHistogram, forKey: .magnetizationHistogram)
        try c.encode(marginalsUp, forKey: .marginalsUp)
        try c.encode(marginals, forKey: .marginals)
        try c.encode(curve, forKey: .curve)
        try c.encode(wallLimited, forKey: .wallLimited)
        try c.encode(trainingTrajectories, forKey: .trainingTrajectories)
        try c.encode(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(energyEvaluations, forKey: .energyEvaluations)
        try c.encode(deltaEnergyEvaluations, forKey: .deltaEnergyEvaluations)
        try c.encode(fullEnergyEvaluations, forKey: .fullEnergyEvaluations)
        try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encode(burnInSeconds, forKey: .burnInSeconds)
        try c.encode(samplingSeconds, forKey: .samplingSeconds)
    }
}

/// A distance to the target against cost, at checkpoints of a run.
public struct QualityCurve: Codable, Equatable, Sendable {
    /// What is measured: "empirical TV" (MCMC draws so far) or "exact model TV" (GFlowNet P_T so far).
    public var measure: String
    public var energyEvaluations: [Int]
    /// Elapsed wall time at each checkpoint (volatile).
    public var wallSeconds: [Double]
    public var tv: [Double]
    public init(measure: String, energyEvaluations: [Int], wallSeconds: [Double], tv: [Double]) {
        self.measure = measure; self.energyEvaluations = energyEvaluations; self.wallSeconds = wallSeconds; self.tv = tv
    }
}

/// Sampler against sampler: quality at an equal number of draws, and where the GFlowNet's
/// training cost pays off. Every field is decided by ``DecisionRule`` (README, "Reading a report").
public struct ComparisonRecord: Codable, Equatable, Sendable {
    /// "mh-better", "gfn-better", "no-measurable-difference" or "no-verdict".
    public var decision: String
    /// Why there is no verdict (decision "no-verdict"), in words; null otherwise.
    public var decisionReason: String?
    /// Draws each sampler is judged on: the smaller of the two thinned draw counts (the larger set
    /// is subsampled evenly to it), so like is compared with like.
    public var matchedDraws: Int?
    /// TV to the target of each sampler's matched draws.
    public var mhMatchedTv: Double?
    public var gfnMatchedTv: Double?
    /// The noise floor (TV of as many exact draws): mean and sd over its replicates.
    public var matchedFloorMean: Double?
    public var matchedFloorSd: Double?
    /// (mh_matched_tv − gfn_matched_tv) / (√2·matched_floor_sd): below −3 MH is better, above 3 the GFlowNet.
    public var differenceZ: Double?
    /// MH's effective draws (smallest bulk ESS over its tracked observables).
    public var mhEffectiveDraws: Double?
    /// MH's energy work per effective draw (burn-in included).
    public var mhEnergyWorkPerEffectiveDraw: Double?
    /// The GFlowNet's training energy work (sampling needs none).
    public var gfnTrainingEnergyWork: Int?
    /// MH effective draws whose energy work equals the GFlowNet's training; null when no
    /// break-even is quoted (see break_even_note).
    public var breakEvenByEnergyWork: Double?
    /// The same in wall time (volatile).
    public var wallBreakEvenSamples: Double?
    /// Why no break-even is quoted, when it is not.
    public var breakEvenNote: String?

    public init(decision: String) { self.decision = decision }

    enum CodingKeys: String, CodingKey {
        case decision, decisionReason, matchedDraws, mhMatchedTv, gfnMatchedTv, matchedFloorMean, matchedFloorSd, differenceZ
        case mhEffectiveDraws, mhEnergyWorkPerEffectiveDraw, gfnTrainingEnergyWork, breakEvenByEnergyWork, wallBreakEvenSamples, breakEvenNote
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decision, forKey: .decision)
        try c.encode(decisionReason, forKey: .decisionReason)
        try c.encode(matchedDraws, forKey: .matchedDraws)
        try c.encode(mhMatchedTv, forKey: .mhMatchedTv)
        try c.encode(gfnMatchedTv, forKey: .gfnMatchedTv)
        try c.encode(matchedFloorMean, forKey: .matchedFloorMean)
        try c.encode(matchedFloorSd, forKey: .matchedFloorSd)
        try c.encode(differenceZ, forKey: .differenceZ)
        try c.encode(mhEffectiveDraws, forKey: .mhEffectiveDraws)
        try c.encode(mhEnergyWorkPerEffectiveDraw, forKey: .mhEnergyWorkPerEffectiveDraw)
        try c.encode(gfnTrainingEnergyWork, forKey: .gfnTrainingEnergyWork)
        try c.encode(breakEvenByEnergyWork, forKey: .breakEvenByEnergyWork)
        try c.encode(wallBreakEvenSamples, forKey: .wallBreakEvenSamples)
        try c.encode(breakEvenNote, forKey: .breakEvenNote)
    }
}

public struct ChiSquareRecord: Codable, Equatable, Sendable {
    public var statistic: Double
    public var degreesOfFreedom: Int
    public var pValue: Double
    /// Draws tested (after thinning).
    public var draws: Int
    /// Every `thin`-th recorded sample of each chain was tested (⌈2·τ_int⌉ of the slowest trace).
    public var thin: Int
    public init(statistic: Double, degreesOfFreedom: Int, pValue: Double, draws: Int, thin: Int) {
        self.statistic = statistic; self.degreesOfFreedom = degreesOfFreedom; self.pValue = pValue
        self.draws = draws; self.thin = thin
    }
}

/// The machine and the moment: excluded from reproducibility comparisons.
public struct EnvironmentRecord: Codable, Equatable, Sendable {
    public var date: String
    public var gitCommit: String?
    public var swiftVersion: String
    public var gslVersion: String
    public var openblas: String
    public var cpuModel: String
    public var cores: Int
    public var totalWallSeconds: Double
    public init(date: String, gitCommit: String?, swiftVersion: String, gslVersion: String, openblas: String, cpuModel: String, cores: Int, totalWallSeconds: Double) {
        self.date = date; self.gitCommit = gitCommit; self.swiftVersion = swiftVersion; self.gslVersion = gslVersion
        self.openblas = openblas; self.cpuModel = cpuModel; self.cores = cores; self.totalWallSeconds = totalWallSeconds
    }
}
