import Foundation
import GFlowNets
import NeuralNet

/// Which injected fault a check run should plant (for testing that `check` catches regressions).
public enum InjectedFault: String, Sendable, CaseIterable {
    /// Metropolis-Hastings accepts with 0.9·β.
    case mhBeta = "mh-beta-0.9"
    /// Metropolis-Hastings never lets site 0 leave the value 0.
    case mhFrozenSite = "mh-frozen-site"
    /// The GFlowNet trains for a tenth of its iterations.
    case gfnUndertrained = "gfn-undertrained"
    /// The GFlowNet's uniform backward policy is misstated (normalised by the forward action
    /// count): the learned log Z is off; see `MisstatedBackwardEnvironment`.
    case gfnWrongBackward = "gfn-wrong-backward"
}

/// The environment of the planted fault ``InjectedFault/gfnWrongBackward``: identical to `base`
/// except that it misstates the uniform backward policy as P_B/A, A being the number of forward
/// actions (the slip of normalising by the forward instead of the backward action count). With
/// trajectory balance every trajectory's Σ log P_B moves by −L·log A, so the learned log Z (and the
/// importance-sampling estimate, which uses the same P_B) is off by that much; runs with a learned
/// backward policy do not use the uniform one and are unaffected.
struct MisstatedBackwardEnvironment<Base: ExactTerminalDistribution>: ExactTerminalDistribution {
    let base: Base

    var stateSize: Int { base.stateSize }
    var maxSteps: Int { base.maxSteps }
    var forwardActionCount: Int { base.forwardActionCount }
    var backwardActionCount: Int { base.backwardActionCount }
    var encodingWidth: Int { base.encodingWidth }
    var hasAdditiveEncoding: Bool { base.hasAdditiveEncoding }

    func writeInitialState(_ s: UnsafeMutablePointer<Int32>) { base.writeInitialState(s) }
    func encode<T: BLASScalar>(_ s: UnsafePointer<Int32>, into row: UnsafeMutablePointer<T>) { base.encode(s, into: row) }
    func forwardMask(_ s: UnsafePointer<Int32>, step: Int, into mask: UnsafeMutablePointer<Bool>) { base.forwardMask(s, step: step, into: mask) }
    func apply(_ a: Int, to s: UnsafeMutablePointer<Int32>, step: Int) -> Bool { base.apply(a, to: s, step: step) }
    func backwardMask(_ s: UnsafePointer<Int32>, into mask: UnsafeMutablePointer<Bool>) { base.backwardMask(s, into: mask) }
    func backwardAction(undoing a: Int, in s: UnsafePointer<Int32>) -> Int { base.backwardAction(undoing: a, in: s) }
    func undo(_ b: Int, in s: UnsafeMutablePointer<Int32>) -> Int { base.undo(b, in: s) }
    func logReward(_ x: UnsafePointer<Int32>) -> Double { base.logReward(x) }
    func key(of x: UnsafePointer<Int32>) -> UInt64 { base.key(of: x) }
    func depth(of s: UnsafePointer<Int32>) -> Int { base.depth(of: s) }
    var assignmentSize: Int { base.assignmentSize }
    func assignment(of s: UnsafePointer<Int32>, into x: UnsafeMutablePointer<UInt8>) { base.assignment(of: s, into: x) }
    func writeTerminal(assignment x: UnsafePointer<UInt8>, into s: UnsafeMutablePointer<Int32>) { base.writeTerminal(assignment: x, into: s) }
    func addedInput(byAction a: Int, step: Int, from s: UnsafePointer<Int32>) -> Int { base.addedInput(byAction: a, step: step, from: s) }
    var hasLogRewardIncrements: Bool { base.hasLogRewardIncrements }
    func logRewardIncrement(after s: UnsafePointer<Int32>, step: Int) -> Double { base.logRewardIncrement(after: s, step: step) }
    var hasValueMirror: Bool { base.hasValueMirror }
    func mirroredAction(_ a: Int, step: Int) -> Int { base.mirroredAction(a, step: step) }
    func mirror(_ s: UnsafeMutablePointer<Int32>) { base.mirror(s) }
    var patchRadius: Int? { base.patchRadius }

    /// The fault.
    func uniformBackwardLogProbability(_ s: UnsafePointer<Int32>) -> Double {
        base.uniformBackwardLogProbability(s) - log(Double(base.forwardActionCount))
    }

    // P_T depends on the forward policy only: computed by the base environment on the same parameters.
    static func inexactReason(_ model: GFlowNet<Self>) -> String? {
        guard let m = try? baseModel(model) else { return "the model could not be rebuilt on its base environment" }
        return Base.inexactReason(m)
    }

    static func terminalDistribution(_ model: GFlowNet<Self>) throws -> [Double] {
        try Base.terminalDistribution(try baseModel(model))
    }

    static func baseModel(_ model: GFlowNet<Self>) throws -> GFlowNet<Base> {
        try GFlowNet(environment: model.environment.base, settings: model.settings, parameters: model.parameters, logZ: model.logZ)
    }
}
