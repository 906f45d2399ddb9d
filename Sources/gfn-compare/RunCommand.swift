import ArgumentParser
import Comparison
import Energies
import Exact
import Foundation
import GFNCore
import Reporting
import Settings

/// A lattice size given as "RxC" (or "L" for L×L).
struct LatticeSize: Equatable {
    var rows: Int
    var cols: Int

    static func parse(_ text: String) throws -> LatticeSize {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        let numbers = parts.map { Int($0) }
        guard (1...2).contains(parts.count), numbers.allSatisfy({ $0 != nil }) else {
            throw ValidationError("expected ROWSxCOLS with positive integers, e.g. 4x4")
        }
        let r = numbers[0]!, c = numbers.count == 2 ? numbers[1]! : numbers[0]!
        guard r >= 1, c >= 1 else { throw ValidationError("rows and columns must be at least 1") }
        return LatticeSize(rows: r, cols: c)
    }
}

/// A finite floating-point flag value: rejects NaN and infinities at parse time.
func finiteDouble(_ text: String) throws -> Double {
    guard let v = Double(text) else { throw ValidationError("not a number") }
    guard v.isFinite else { throw ValidationError("must be a finite number") }
    return v
}

/// A seed: a non-negative integer that fits in 64 bits.
func parseSeed(_ text: String) throws -> UInt64 {
    guard let v = UInt64(text) else { throw ValidationError("must be an integer from 0 to 18446744073709551615") }
    return v
}

/// Edwards–Anderson coupling distribution.
enum Disorder: String, ExpressibleByArgument, CaseIterable {
    case pm
    case gaussian
}

extension Boundary: ExpressibleByArgument {}
extension Objective: ExpressibleByArgument {}
extension ConstructionOrder: ExpressibleByArgument {}
extension BackwardPolicy: ExpressibleByArgument {}
extension BackwardNetwork: ExpressibleByArgument {}
extension ProductPrecision: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension LogZStart: ExpressibleByArgument {}
extension PolicyHead: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension PolicyInput: ExpressibleByArgument {}
extension RandomAlgorithm: ExpressibleByArgument {}
extension KernelKind: ExpressibleByArgument {}
extension ScanOrder: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train, sample, score and write a report (the default subcommand)."
    )

    @Option(help: "Energy model: \(EnergyCatalogue.names.joined(separator: ", ")).")
    var energy: String = "ising"

    @Option(parsing: .unconditional, help: "Values per variable of the Potts model (2 to 255).")
    var q: Int = 3

    @Option(help: "Edwards–Anderson couplings: pm (±J) or gaussian.")
    var disorder: Disorder = .pm

    @Option(name: .customLong("instance-seed"), parsing: .unconditional, help: "Seed of a spin glass's couplings (independent of --seed).", transform: parseSeed)
    var instanceSeed: UInt64 = 1

    @Option(parsing: .unconditional, help: "Number of spins of the Sherrington–Kirkpatrick model.")
    var spins: Int = 16

    @Option(help: "Lattice size ROWSxCOLS.", transform: LatticeSize.parse)
    var lattice: LatticeSize = LatticeSize(rows: 4, cols: 4)

    @Option(parsing: .unconditional, help: "Inverse temperature β ≥ 0 (default: the critical β_c = ln(1+√2)/2, rounded; 1 for the hypergrid).", transform: finiteDouble)
    var beta: Double?

    @Option(parsing: .unconditional, help: "Hypergrid dimensions D.")
    var dims: Int = 2

    @Option(parsing: .unconditional, help: "Hypergrid side H (values 0…H−1 per coordinate).")
    var side: Int = 8

    @Option(parsing: .unconditional, help: "Hypergrid reward R0.", transform: finiteDouble)
    var r0: Double = 0.1

    @Option(parsing: .unconditional, help: "Hypergrid reward R1.", transform: finiteDouble)
    var r1: Double = 0.5

    @Option(parsing: .unconditional, help: "Hypergrid reward R2.", transform: finiteDouble)
    var r2: Double = 2.0

    @Option(parsing: .unconditional, help: "Coupling J (> 0 ferromagnetic).", transform: finiteDouble)
    var coupling: Double = 1

    @Option(parsing: .unconditional, help: "External field h.", transform: finiteDouble)
    var field: Double = 0

    @Option(help: "Boundary conditions: periodic or open.")
    var boundary: Boundary = .periodic

    @Option(parsing: .unconditional, help: "Master seed (0 to 2^64−1); every random stream is derived from it.", transform: parseSeed)
    var seed: UInt64 = 1

    @Option(help: "GSL generator of the MH chains: \(RandomAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")) (every other stream uses taus2).")
    var rng: RandomAlgorithm = .taus2

    @Option(help: "MCMC kernel: metropolis, heat-bath or grid-step (±1 moves; the default for the hypergrid).")
    var kernel: KernelKind?

    @Option(help: "Site order within a sweep: random, systematic, or checkerboard (one colour of the lattice, then the other; heat-bath on Ising takes a fast path).")
    var scan: ScanOrder = .random

    @Option(parsing: .unconditional, help: "Independent MCMC chains (run in parallel on all cores).")
    var chains: Int = 4

    @Option(name: .customLong("burn-in"), parsing: .unconditional, help: "Burn-in sweeps per chain.")
    var burnIn: Int = 1000

    @Option(parsing: .unconditional, help: "Total MCMC samples, shared between the chains.")
    var samples: Int = 1_000_000

    @Option(parsing: .unconditional, help: "Sweeps between recorded samples.")
    var thin: Int = 1

    @OptionGroup(title: "GFlowNet")
    var gfn: GFlowNetOptions

    @OptionGroup(title: "GFlowNet inside Metropolis-Hastings")
    var gfnMH: GFlowNetMHOptions

    @Option(name: .customLong("budget-work"), parsing: .unconditional, help: "Give every sampler this many units of energy work (local ΔE = 1, full E(x) = n), GFlowNet training included; replaces --samples, --iterations and --gfn-mh-samples.")
    var budgetWork: Int?

    @Option(name: .customLong("budget-training-share"), parsing: .unconditional, help: "With --budget-work and --gfn-mh: the fraction of the budget the GFlowNet trains on; the gfn-mh chains spend the rest.", transform: finiteDouble)
    var budgetTrainingShare: Double = 0.5

    @Option(help: "Output folder (default: gfn-compare-runs/<energy>-<lattice>-<UTC time>).")
    var out: String?

    @Option(name: .customLong("time-limit"), parsing: .unconditional, help: "Stop GFlowNet training after this many seconds of the run (results are then marked partial).", transform: finiteDouble)
    var timeLimit: Double?

    @Option(name: .customLong("save-draws"), help: "Also write every sampler's draws (states, energy, magnetisation, per chain in order; the GFlowNet's log P_F, log P_B and, in the fixed order, log P_T) as NumPy .npy files with a draws.json index into this folder.")
    var saveDraws: String?

    @Flag(help: "Replace --out (and --save-draws) if it already exists.")
    var force = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func settings() throws -> RunSettings {
        guard let entry = EnergyCatalogue.entry(named: energy) else {
            throw GFNError.invalidInput("unknown --energy '\(energy)'; available: \(EnergyCatalogue.names.joined(separator: ", "))")
        }
        guard samples >= chains else {
            throw GFNError.invalidInput("--samples (\(samples)) must be at least --chains (\(chains))")
        }
        guard (1...4096).contains(chains) else { throw GFNError.invalidInput("--chains must be between 1 and 4096 (got \(chains))") }
        let spec = try energySpec()
        var s = RunSettings(
            energy: spec,
            beta: beta ?? entry.defaultBeta, seed: seed, rng: rng,
            kernel: kernel ?? entry.defaultKernel,
            schedule: ChainSchedule(chains: chains, burnInSweeps: burnIn, samplesPerChain: samples / chains, thinSweeps: thin, scan: scan),
            gfn: gfn.noGFN ? nil : gfn.settings(setVariables: entry.setsOneVariablePerStep,
                                                beyondEnumeration: (spec.log2StateCount ?? 0) > Double(Enumerator.maximumStates.trailingZeroBitCount),
                                                spinFlipSymmetric: spec.isSpinFlipSymmetric, uniformLattice: spec.hasUniformLattice),
            gfnSamples: gfn.gfnSamples,
            loadModel: gfn.loadModel.map { URL(fileURLWithPath: $0) }, saveModel: gfn.saveModel.map { URL(fileURLWithPath: $0) })
        s.gfnMH = gfnMH.settings()
        if let budgetWork {
            guard budgetWork > 0 else { throw GFNError.invalidInput("--budget-work must be a positive number of energy-work units (got \(budgetWork))") }
            s.budget = WorkBudget(energyWork: budgetWork, trainingShare: s.gfnMH == nil ? 1 : budgetTrainingShare)
        }
        if budgetWork == nil || s.gfnMH == nil, budgetTrainingShare != 0.5 {
            throw GFNError.invalidInput("--budget-training-share only applies with --budget-work and --gfn-mh")
        }
        s.keepStates = saveDraws != nil
        try s.validate()
        return s
    }

    func energySpec() throws -> EnergySpec {
        switch energy {
        case "potts": return .potts(rows: lattice.rows, cols: lattice.cols, boundary: boundary, q: q, coupling: coupling, field: field)
        case "ea":
            guard field == 0 else { throw GFNError.invalidInput("--field is not supported with --energy ea") }
            return .ea(rows: lattice.rows, cols: lattice.cols, boundary: boundary, gaussian: disorder == .gaussian, coupling: coupling, instanceSeed: instanceSeed)
        case let name where name.hasPrefix("file:"):
            let path = String(name.dropFirst(5))
            guard !path.isEmpty else { throw GFNError.invalidInput("--energy file:PATH needs a path") }
            return .file(path: path)
        case "hypergrid":
            return .hypergrid(dims: dims, side: side, r0: r0, r1: r1, r2: r2)
        case "sk":
            guard spins >= 2 else { throw GFNError.invalidInput("--spins must be at least 2 (got \(spins))") }
            return .sk(spins: spins, instanceSeed: instanceSeed)
        default: return .ising(rows: lattice.rows, cols: lattice.cols, boundary: boundary, coupling: coupling, field: field)
        }
    }

    func outputDirectory() -> URL {
        if let out { return URL(fileURLWithPath: out) }
        let stamp = MachineInfo.now.replacingOccurrences(of: ":", with: "-")
        let label = energy.hasPrefix("file:") ? "file-" + URL(fileURLWithPath: String(energy.dropFirst(5))).deletingPathExtension().lastPathComponent : energy
        return URL(fileURLWithPath: "gfn-compare-runs/\(label)-\(lattice.rows)x\(lattice.cols)-\(stamp)")
    }

    func run() throws {
        let settings = try settings()
        let dir = outputDirectory()
        try AtomicOutput.checkWritable(directory: dir, replace: force)
        if let timeLimit {
            guard timeLimit > 0 else { throw GFNError.invalidInput("--time-limit must be > 0 seconds (got \(timeLimit))") }
            Interruption.setDeadline(seconds: timeLimit)
        }
        if let save = settings.saveModel {
            try AtomicOutput.checkWritableFile(save, flag: "--save-model")
        }
        let drawsDir = try saveDraws.map { try Self.checkDrawsFolder($0, out: dir, force: force) }
        let archive = drawsDir == nil ? nil : DrawArchive()
        let record = try ComparisonRun.run(settings, command: commandLine(), progress: ProgressReporter(enabled: !quiet), draws: archive)
        try AtomicOutput.publish(files: try ReportFiles.render(record), to: dir, replace: force)
        if let drawsDir, let archive {
            try AtomicOutput.publish(files: try archive.files(tool: record.tool, config: record.config), to: drawsDir,
                                     replace: force || Self.isEmptyFolder(drawsDir))
        }
        print(Summary.text(record))
        print("report: \(dir.appendingPathComponent("report.md").path)")
        if let drawsDir { print("draws: \(drawsDir.appendingPathComponent("draws.json").path)") }
    }

    /// Checks `--save-draws` before any work: a new folder, an empty one, or (with --force) one
    /// this tool wrote; never the --out folder or one that holds it (publishing would replace it).
    static func checkDrawsFolder(_ path: String, out: URL, force: Bool) throws -> URL {
        let url = URL(fileURLWithPath: path)
        let draws = url.standardizedFileURL.path, report = out.standardizedFileURL.path
        guard draws != report, !(report + "/").hasPrefix(draws + "/") else {
            throw GFNError.invalidInput("--save-draws \(path) is, or holds, the --out folder \(out.path); give the draws their own folder")
        }
        try AtomicOutput.checkWritable(directory: url, replace: force || isEmptyFolder(url), flag: "--save-draws")
        return url
    }

    static func isEmptyFolder(_ url: URL) -> Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty ?? false
    }

    /// The command line as typed (arguments quoted where needed).
    func commandLine() -> String {
        let args = CommandLine.arguments.dropFirst().map { a in
            a.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:+".contains($0) }) ? a : "'\(a.replacingOccurrences(of: "'", with: "'\\''"))'"
        }
        return (["gfn-compare"] + args).joined(separator: " ")
    }
}

/// The short result printed on standard output.
enum Summary {
    static func text(_ r: RunRecord) -> String {
        var lines = ["\(r.config.energy.name) \(r.config.energy.lattice) \(r.config.energy.boundary) β=\(r.config.energy.beta): exact log Z = \(r.exact.logZ.map(MarkdownReport.fmt) ?? "n/a") (\(r.exact.logZMethod ?? "none"))"]
        for s in r.samplers {
            let m = s.metrics
            lines.append("  \(s.name): \(m.samples) samples, TV \(m.tv.map(MarkdownReport.fmt) ?? "n/a"), ⟨E⟩ \(MarkdownReport.fmt(m.meanEnergy)) (exact \(m.meanEnergyExact.map(MarkdownReport.fmt) ?? "n/a")), \(m.energyEvaluations) energy evaluations, \(MarkdownReport.fmt(m.wallSeconds)) s")
        }
        return lines.joined(separator: "\n")
    }
}

/// The `gfn-mh` sampler's flags: off unless one of them is given.
struct GFlowNetMHOptions: ParsableArguments {
    @Flag(name: .customLong("gfn-mh"), help: "Add the gfn-mh sampler: Metropolis-Hastings with the trained GFlowNet's draws as independence proposals (exact whatever the GFlowNet's bias).")
    var enabled = false

    @Option(name: .customLong("gfn-mh-every"), parsing: .unconditional, help: "Mixed gfn-mh chains: K sweeps of the local kernel between GFlowNet proposals (implies --gfn-mh).")
    var every: Int?

    @Option(name: .customLong("gfn-mh-samples"), parsing: .unconditional, help: "Samples the gfn-mh chains record, shared between the chains (default: as many as MH).")
    var samples: Int?

    func settings() -> GFlowNetMHSettings? {
        guard enabled || every != nil || samples != nil else { return nil }
        return GFlowNetMHSettings(every: every, samples: samples)
    }
}

/// The GFlowNet's flags. Defaults: `GFlowNetSettings()`.
struct GFlowNetOptions: ParsableArguments {
    static let defaults = GFlowNetSettings()

    @Flag(name: .customLong("no-gfn"), help: "Run the MCMC sampler only.")
    var noGFN = false

    @Option(help: "Objective: tb (trajectory balance), db (detailed balance), subtb (sub-trajectory balance), fm (flow matching), vargrad (default: tb; subtb beyond 2^24 states in the fixed order, except on Ising and Potts lattices).")
    var objective: Objective?

    @Option(help: "Construction order: fixed (variable i at step i) or any (any unset variable).")
    var order: ConstructionOrder = defaults.order

    @Option(help: "Backward policy: uniform or learned (learned needs --order any).")
    var backward: BackwardPolicy = defaults.backward

    @Option(name: .customLong("backward-network"), help: "Where a learned backward policy's logits come from: trunk (a second head on the forward policy's network) or separate (a network of its own with the same hidden layers, as torchgfn's and gfnx's separate P_B; twice the hidden layers' work).")
    var backwardNetwork: BackwardNetwork = .trunk

    @Option(help: "Arithmetic of the network's matrix products: fp32, or bf16 (operands rounded to bf16 and accumulated in fp32, on CPUs with AVX512_BF16; parameters and the optimiser stay fp32). Part of the configuration: training, sampling and the exact P_T all use it.")
    var precision: ProductPrecision = .fp32

    @Option(parsing: .unconditional, help: "Width of each hidden layer (default: 256; beyond 2^24 states in the fixed order 128 with the patch input, 1024 with the one-hot one).")
    var hidden: Int?

    @Option(parsing: .unconditional, help: "Number of hidden layers (default: 1 with the per-step head, else 2).")
    var layers: Int?

    @Option(help: "Output layer: shared, or per-step (one per variable: an autoregressive policy; the default for the fixed order on set-variable energies).")
    var head: PolicyHead?

    @Option(name: .customLong("policy-input"), help: "What the policy reads: one-hot (the whole state) or patch (the window around the next site of a square lattice, the same weights at every site; fixed order, Ising and Potts; the default for them beyond 2^24 states).")
    var policyInput: PolicyInput?

    @Option(name: .customLong("patch-radius"), parsing: .unconditional, help: "Radius k of the patch: a (2k+1)×(2k+1) window (default: \(GFlowNetSettings.defaultPatchRadius); implies --policy-input patch).")
    var patchRadius: Int?

    @Option(help: "Hidden activation: relu, leaky-relu or tanh.")
    var activation: Activation = defaults.activation

    @Option(parsing: .unconditional, help: "Trajectories per training step.")
    var batch: Int = defaults.batch

    @Option(parsing: .unconditional, help: "Training steps (default: 3000; 1000 beyond 2^24 states in the fixed order).")
    var iterations: Int?

    @Option(parsing: .unconditional, help: "Adam learning rate of the network.", transform: finiteDouble)
    var lr: Double = defaults.learningRate

    @Option(name: .customLong("lr-logz"), parsing: .unconditional, help: "Adam learning rate of log Z (default: 0.1; 1 beyond 2^24 states in the fixed order).", transform: finiteDouble)
    var lrLogZ: Double?

    @Option(name: .customLong("lr-schedule"), help: "Learning-rate schedule of the network and log Z: constant, or cosine (decay to a hundredth of the rates at the last iteration).")
    var lrSchedule: LearningRateSchedule?

    @Option(parsing: .unconditional, help: "Exploration: probability of a uniformly random action while training.", transform: finiteDouble)
    var epsilon: Double = defaults.epsilon

    @Option(parsing: .unconditional, help: "Temperature of the behaviour policy while training.", transform: finiteDouble)
    var temperature: Double = defaults.temperature

    @Option(name: .customLong("subtb-lambda"), parsing: .unconditional, help: "λ of sub-trajectory balance.", transform: finiteDouble)
    var subtbLambda: Double = defaults.subtbLambda

    @Option(name: .customLong("log-z-start"), help: "Where log Z starts: zero, or batch (the first batch's ELBO-type estimate; the default beyond 2^24 states in the fixed order).")
    var logZStart: LogZStart?

    @Option(parsing: .unconditional, help: "Anneal β up to its target over this fraction of the iterations (0 < F ≤ 1; off by default).", transform: finiteDouble)
    var anneal: Double?

    @Flag(name: .customLong("forward-looking"), inversion: .prefixedNo, help: "Forward-looking flows (db, subtb; fixed order): each step's residual carries its own share of log R, so credit stays local (default: on beyond 2^24 states in the fixed order with db or subtb).")
    var forwardLooking: Bool?

    @Flag(name: .customLong("spin-flip-mixture"), inversion: .prefixedNo, help: "Flip each GFlowNet draw whole with probability ½ (fixed order, spin models symmetric under s → −s): P_T(x) = ½·q(x) + ½·q(x̄), scored exactly, so both magnetised modes hold equal mass whatever the policy learned.")
    var spinFlipMixture: Bool?

    @Option(name: .customLong("train-seconds"), parsing: .unconditional, help: "Stop training after this many seconds of it (wall time; the run is marked wall-bounded and reproduces in its iteration count).", transform: finiteDouble)
    var trainSeconds: Double?

    @Option(name: .customLong("clip-norm"), parsing: .unconditional, help: "Maximum gradient norm.", transform: finiteDouble)
    var clipNorm: Double = defaults.clipNorm

    @Option(name: .customLong("blas-threads"), parsing: .unconditional, help: "OpenBLAS threads for the network's products outside sharded training: sampling, scoring, and training with --train-workers 1 (part of the configuration: Float sums depend on it).")
    var blasThreads: Int = defaults.blasThreads

    @Option(name: .customLong("train-workers"), parsing: .unconditional, help: "Training workers: each step's batch is split into W shards, each on its own thread and random stream with single-threaded products, gradients summed in shard order (part of the configuration; default: 2, 1 for flow matching).")
    var trainWorkers: Int?

    @Option(name: .customLong("gfn-samples"), parsing: .unconditional, help: "Samples drawn from the trained GFlowNet.")
    var gfnSamples: Int = 100_000

    @Option(name: .customLong("save-model"), help: "Save the trained GFlowNet to this file.")
    var saveModel: String?

    @Option(name: .customLong("load-model"), help: "Load a trained GFlowNet from this file instead of training.")
    var loadModel: String?

    /// - Parameter setVariables: whether the energy is built one variable per step (every energy
    ///   but the hypergrid), where the fixed order defaults to the per-step head.
    /// - Parameter beyondEnumeration: whether the target has more than 2^24 states, where the fixed
    ///   order starts from the scale profile (``GFlowNetSettings/commandLineDefaults(order:beyondEnumeration:spinFlipSymmetric:uniformLattice:)``).
    /// - Parameter spinFlipSymmetric: whether the target is symmetric under flipping every spin,
    ///   where the scale profile mixes the draws with their flips.
    /// - Parameter uniformLattice: whether the target is a square lattice with uniform couplings,
    ///   where the scale profile's policy reads the window around the next site (unless
    ///   `--policy-input one-hot` says otherwise).
    func settings(setVariables: Bool = true, beyondEnumeration: Bool = false, spinFlipSymmetric: Bool = false, uniformLattice: Bool = false) -> GFlowNetSettings {
        var s = GFlowNetSettings.commandLineDefaults(order: order, beyondEnumeration: beyondEnumeration && setVariables,
                                                     spinFlipSymmetric: spinFlipSymmetric, uniformLattice: uniformLattice && policyInput != .oneHot)
        if let objective { s.objective = objective }
        s.order = order; s.backward = backward
        s.backwardNetwork = backwardNetwork == .trunk ? nil : backwardNetwork
        s.precision = precision == .fp32 ? nil : precision
        if policyInput == .patch || (policyInput == nil && patchRadius != nil) {
            s.patchRadius = patchRadius ?? s.patchRadius ?? GFlowNetSettings.defaultPatchRadius
        } else if policyInput == .oneHot {
            s.patchRadius = nil
        }
        let resolvedHead = head ?? GFlowNetSettings.defaultHead(order: order, objective: s.objective, setVariables: setVariables, patch: s.patchRadius != nil)
        s.head = resolvedHead == .shared ? nil : resolvedHead
        if let hidden { s.hidden = hidden }
        s.layers = layers ?? GFlowNetSettings.defaultLayers(head: resolvedHead); s.activation = activation; s.batch = batch
        if let iterations { s.iterations = iterations }
        s.learningRate = lr; if let lrLogZ { s.learningRateLogZ = lrLogZ }; s.epsilon = epsilon; s.temperature = temperature
        s.subtbLambda = subtbLambda; s.clipNorm = clipNorm; s.blasThreads = blasThreads
        s.trainWorkers = trainWorkers.map { $0 == 1 ? nil : $0 } ?? GFlowNetSettings.defaultTrainWorkers(objective: s.objective, batch: s.batch)
        if let logZStart { s.logZStart = logZStart == .zero ? nil : logZStart }
        s.annealFraction = anneal
        // The profile's forward-looking flows only where they apply (an explicit --objective tb
        // beyond enumeration drops them); an explicit flag always wins, and is validated.
        if s.forwardLooking == true && s.objective != .db && s.objective != .subtb { s.forwardLooking = nil }
        if let forwardLooking { s.forwardLooking = forwardLooking ? true : nil }
        if let spinFlipMixture { s.spinFlipMixture = spinFlipMixture ? true : nil }
        s.trainSeconds = trainSeconds
        if let lrSchedule { s.learningRateSchedule = lrSchedule == .constant ? nil : lrSchedule }
        return s
    }
}
