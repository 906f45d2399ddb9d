import Foundation
import GFNCore
import NeuralNet
import Settings

/// Where each head sits in the network's output row.
public struct OutputLayout: Sendable, Equatable {
    public let forward: Range<Int>
    /// The learned P_B's logits: in the forward network's output row, or — with
    /// ``backwardInOwnNetwork`` — the whole output row of the backward network (0..<count).
    public let backward: Range<Int>?
    public let flow: Int?
    /// Whether the learned P_B has a network of its own (`GFlowNetSettings.backwardNetwork`).
    public let backwardInOwnNetwork: Bool
    /// The forward network's output width.
    public var width: Int { (flow.map { $0 + 1 }) ?? (backwardInOwnNetwork ? nil : backward?.upperBound) ?? forward.upperBound }
    /// Whether P_B's logits are a head of the forward network's output.
    public var backwardOnTrunk: Bool { backward != nil && !backwardInOwnNetwork }

    init(forwardCount: Int, backwardCount: Int?, flow: Bool, backwardInOwnNetwork: Bool = false) {
        forward = 0..<forwardCount
        self.backwardInOwnNetwork = backwardInOwnNetwork && backwardCount != nil
        if self.backwardInOwnNetwork {
            backward = backwardCount.map { 0..<$0 }
            self.flow = flow ? forwardCount : nil
        } else {
            backward = backwardCount.map { forwardCount..<(forwardCount + $0) }
            let end = backward?.upperBound ?? forward.upperBound
            self.flow = flow ? end : nil
        }
    }
}

/// A GFlowNet: environment, settings, the policy network's parameters and log Z.
/// `T` is the network's scalar: `Float` for speed (the default, see ``GFlowNet``), `Double` for gradient checks.
public final class GFlowNetModel<Env: ConstructionEnvironment, T: BLASScalar>: @unchecked Sendable {
    public let environment: Env
    public let settings: GFlowNetSettings
    public let layout: OutputLayout
    public let network: MLP<T>
    /// The learned P_B's own network (`--backward-network separate`), whose parameters follow the
    /// forward network's in ``parameters`` (from ``backwardParameterOffset``); nil when P_B is a
    /// head of ``network`` or uniform.
    public let backwardNetwork: MLP<T>?
    /// Where ``backwardNetwork``'s parameters start in ``parameters``.
    public var backwardParameterOffset: Int { network.shape.parameterCount }
    public var parameters: [T]
    /// The learned log Z (trajectory, detailed and sub-trajectory balance). Flow matching reads
    /// Z off the initial state's outflow instead; see ``learnedLogZ()``.
    public var logZ: Double

    /// A new model with seeded initial parameters (PyTorch's default `Linear` initialisation,
    /// output layer scaled by 0.1 so the policy starts near uniform) and log Z = 0.
    public convenience init(environment: Env, settings: GFlowNetSettings, seed: UInt64) throws {
        let (layout, shape, backwardShape) = try Self.architecture(environment: environment, settings: settings)
        // Parameters come from their own stream, so the initialisation is independent of training
        // draws; a backward network of its own is drawn after the forward one, from the same stream.
        let rng = RandomStream(seed: seed, stream: GFlowNetStreams.initialisation)
        var parameters = MLP<T>(shape: shape).initialParameters(rng: rng, outputScale: 0.1)
        if let backwardShape { parameters += MLP<T>(shape: backwardShape).initialParameters(rng: rng, outputScale: 0.1) }
        try self.init(environment: environment, settings: settings, layout: layout, shape: shape, backwardShape: backwardShape, parameters: parameters, logZ: 0)
    }

    /// Restores a model from saved parameters.
    public convenience init(environment: Env, settings: GFlowNetSettings, parameters: [T], logZ: Double) throws {
        let (layout, shape, backwardShape) = try Self.architecture(environment: environment, settings: settings)
        try self.init(environment: environment, settings: settings, layout: layout, shape: shape, backwardShape: backwardShape, parameters: parameters, logZ: logZ)
    }

    init(environment: Env, settings: GFlowNetSettings, layout: OutputLayout, shape: MLPShape, backwardShape: MLPShape?, parameters: [T], logZ: Double) throws {
        let needed = shape.parameterCount + (backwardShape?.parameterCount ?? 0)
        guard parameters.count == needed else {
            throw GFNError.invalidInput("the saved model has \(parameters.count) parameters; this architecture needs \(needed)")
        }
        self.environment = environment
        self.settings = settings
        self.layout = layout
        network = MLP<T>(shape: shape, precision: settings.productPrecision)
        backwardNetwork = backwardShape.map { MLP<T>(shape: $0, precision: settings.productPrecision) }
        self.parameters = parameters
        self.logZ = logZ
    }

    /// The output heads and network shapes the settings call for (validating the settings): the
    /// forward network's, and the learned P_B's when it has a network of its own.
    static func architecture(environment: Env, settings: GFlowNetSettings) throws -> (OutputLayout, MLPShape, MLPShape?) {
        try settings.validate()
        if settings.productPrecision == .bf16 {
            guard T.self == Float.self else { throw GFNError.invalidInput("--precision bf16 needs a single-precision (Float) network") }
            try BF16Products.requireSupport(for: settings.precision)
        }
        if settings.forwardLooking == true && !environment.hasLogRewardIncrements {
            throw GFNError.invalidInput("--forward-looking needs an environment whose reward splits over the steps (a set-variable energy in the fixed order)")
        }
        if settings.spinFlipMixture == true && !environment.hasValueMirror {
            throw GFNError.invalidInput("--spin-flip-mixture needs two values per variable in the fixed order (a spin model: Ising, a glass, a pairwise model file)")
        }
        if settings.patchRadius != environment.patchRadius {
            throw GFNError.invalidInput(LatticePatch.unsupportedTarget)
        }
        let layout = OutputLayout(forwardCount: environment.forwardActionCount,
                                  backwardCount: settings.backward == .learned ? environment.backwardActionCount : nil,
                                  flow: settings.objective == .db || settings.objective == .subtb,
                                  backwardInOwnNetwork: settings.backwardInOwnNetwork)
        let hidden = Array(repeating: settings.hidden, count: settings.layers)
        let shape = MLPShape(input: environment.encodingWidth, hidden: hidden, output: layout.width, activation: settings.activation,
                             outputGroups: settings.head == .perStep ? environment.maxSteps : 1)
        let backwardShape = layout.backwardInOwnNetwork
            ? MLPShape(input: environment.encodingWidth, hidden: hidden, output: environment.backwardActionCount, activation: settings.activation) : nil
        return (layout, shape, backwardShape)
    }

    /// Whether draws are spin-flip mixed (`GFlowNetSettings.spinFlipMixture`).
    public var mixesSpinFlips: Bool { settings.spinFlipMixture == true }

    /// log Z as the model states it: the learned scalar, or for flow matching the total outflow of s₀.
    public func learnedLogZ() -> Double {
        guard settings.objective == .fm else { return logZ }
        let ws = MLPWorkspace<T>(shape: network.shape, capacity: 1)
        let s = UnsafeMutablePointer<Int32>.allocate(capacity: environment.stateSize)
        defer { s.deallocate() }
        environment.writeInitialState(s)
        environment.encode(UnsafePointer(s), into: ws.inputRow(0, width: environment.encodingWidth))
        let out = parameters.withUnsafeBufferPointer { network.forward(parameters: $0.baseAddress!, workspace: ws, start: 0, rows: 1) }
        let mask = UnsafeMutablePointer<Bool>.allocate(capacity: layout.forward.count)
        defer { mask.deallocate() }
        environment.forwardMask(UnsafePointer(s), step: 0, into: mask)
        return maskedLogSumExp(out, mask: mask, count: layout.forward.count)
    }
}

/// A GFlowNet with a single-precision network: the one the tool trains and samples.
public typealias GFlowNet<Env: ConstructionEnvironment> = GFlowNetModel<Env, Float>

/// Stream indices of the GFlowNet's random draws (MCMC chains use 0, 1, 2, …).
public enum GFlowNetStreams {
    public static let initialisation = StreamPlan.gfnInitialisation
    public static let training = StreamPlan.gfnTraining
    public static let sampling = StreamPlan.gfnSampling
    public static let importanceSampling = StreamPlan.gfnImportanceSampling
}

/// weights[j] = exp(scale·x_j − m) for the valid j (0 elsewhere), m = max over the valid j of
/// scale·x_j: one exp per valid logit. Returns m and Σ weights (log-sum-exp = m + log total).
/// In C (`BLASScalar.shiftedExponentials`), with libm's exp bit for bit.
@inlinable func shiftedExponentials<T: BLASScalar>(_ x: UnsafePointer<T>, mask: UnsafePointer<Bool>, count: Int, scale: Double = 1,
                                                  into weights: UnsafeMutablePointer<Double>) -> (max: Double, total: Double) {
    T.shiftedExponentials(x, mask: mask, count: count, scale: scale, into: weights)
}

/// log Σ_{valid j} exp(x_j), in Double: m + log Σ exp(x_j − m), m the largest valid x_j (−∞
/// when there is none), through the softmax row kernel — the bits of the two scalar loops it
/// replaced (the same max, the same exps summed in index order; tested).
@inlinable func maskedLogSumExp<T: BLASScalar>(_ x: UnsafePointer<T>, mask: UnsafePointer<Bool>, count: Int) -> Double {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(count, 1)) { scratch in
        let (m, total) = T.softmaxTotal(x, mask: mask, count: count, scale: 1, scratch: scratch.baseAddress!)
        return m > -.infinity ? m + log(total) : -.infinity
    }
}

/// The action `RandomStream.categorical(weights:total:uniform:)` draws with `uniform` from the
/// weights ``shiftedExponentials(_:mask:count:scale:into:)`` computes, and their m and total,
/// bit for bit (`scratch`: 2·`count` Doubles, whose first `count` hold the weights afterwards
/// when `spreadWeights`).
@inlinable func softmaxDraw<T: BLASScalar>(_ x: UnsafePointer<T>, mask: UnsafePointer<Bool>, count: Int, scale: Double = 1, uniform: Double,
                                          scratch: UnsafeMutablePointer<Double>, spreadWeights: Bool = false) -> (action: Int, max: Double, total: Double) {
    let (a, m, total) = T.softmaxDraw(x, mask: mask, count: count, scale: scale, uniform: uniform, scratch: scratch, spreadWeights: spreadWeights)
    return (a, m, total)
}
