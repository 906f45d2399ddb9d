import Energies
import Foundation
import GFNCore
import NeuralNet

/// The hypergrid's usual GFlowNet construction: start at the origin, at each step either
/// increment one coordinate (not past H − 1) or stop; the reward is R(x) at the stopping point.
/// Trajectories have different lengths, and the terminal state's only parent is the same point
/// before "stop" (so P_B of that step is 1).
///
/// State: D coordinates and a terminal flag. Forward actions: d (increment coordinate d) and D
/// (stop). Backward actions: d (decrement coordinate d) and D (undo the stop). Network input:
/// one-hot per coordinate (D·H floats).
public struct HypergridEnvironment: ConstructionEnvironment {
    public let grid: HypergridModel
    public let beta: Double
    public init(grid: HypergridModel, beta: Double = 1) { self.grid = grid; self.beta = beta }

    var d: Int { grid.dims }
    var h: Int { grid.side }
    public var stateSize: Int { d + 1 }
    public var maxSteps: Int { d * (h - 1) + 1 }
    public var forwardActionCount: Int { d + 1 }
    public var backwardActionCount: Int { d + 1 }
    public var encodingWidth: Int { d * h }

    public func writeInitialState(_ s: UnsafeMutablePointer<Int32>) { s.update(repeating: 0, count: d + 1) }

    public func encode<T: BLASScalar>(_ s: UnsafePointer<Int32>, into row: UnsafeMutablePointer<T>) {
        row.update(repeating: 0, count: d * h)
        for i in 0..<d { row[i * h + Int(s[i])] = 1 }
    }

    public func forwardMask(_ s: UnsafePointer<Int32>, step: Int, into mask: UnsafeMutablePointer<Bool>) {
        for i in 0..<d { mask[i] = Int(s[i]) < h - 1 }
        mask[d] = true
    }

    public func apply(_ a: Int, to s: UnsafeMutablePointer<Int32>, step: Int) -> Bool {
        if a == d { s[d] = 1; return true }
        s[a] += 1
        return false
    }

    public func backwardMask(_ s: UnsafePointer<Int32>, into mask: UnsafeMutablePointer<Bool>) {
        let terminal = s[d] == 1
        for i in 0..<d { mask[i] = !terminal && s[i] > 0 }
        mask[d] = terminal
    }

    public func backwardAction(undoing a: Int, in s: UnsafePointer<Int32>) -> Int { a }

    public func undo(_ b: Int, in s: UnsafeMutablePointer<Int32>) -> Int {
        if b == d { s[d] = 0 } else { s[b] -= 1 }
        return b
    }

    public func uniformBackwardLogProbability(_ s: UnsafePointer<Int32>) -> Double {
        if s[d] == 1 { return 0 }
        var parents = 0
        for i in 0..<d where s[i] > 0 { parents += 1 }
        return -log(Double(parents))
    }

    public func logReward(_ x: UnsafePointer<Int32>) -> Double { beta * log(grid.reward { Int(x[$0]) }) }

    public func key(of x: UnsafePointer<Int32>) -> UInt64 {
        var k: UInt64 = 0
        var i = d - 1
        while i >= 0 { k = k * UInt64(h) + UInt64(x[i]); i -= 1 }
        return k
    }

    public var assignmentSize: Int { d }
    public func assignment(of s: UnsafePointer<Int32>, into x: UnsafeMutablePointer<UInt8>) {
        for i in 0..<d { x[i] = UInt8(truncatingIfNeeded: s[i]) }
    }
    /// A terminal state is the point with its exit flag (s[d] = 1) set.
    public func writeTerminal(assignment x: UnsafePointer<UInt8>, into s: UnsafeMutablePointer<Int32>) {
        for i in 0..<d { s[i] = Int32(x[i]) }
        s[d] = 1
    }

    public func depth(of s: UnsafePointer<Int32>) -> Int {
        var total = Int(s[d])
        for i in 0..<d { total += Int(s[i]) }
        return total
    }

    /// The exact distribution P_T(x) of a trained model over all H^D points (by key), by the
    /// forward dynamic programme in order of Σ x_d: P(s + e_d) += P(s)·π_d(s), P_T(s) = P(s)·π_stop(s).
    public static func exactTerminalDistribution(_ model: GFlowNet<HypergridEnvironment>) -> [Double] {
        let env = model.environment
        let (d, h) = (env.d, env.h)
        let total = Self.pow(h, d)
        var reach = [Double](repeating: 0, count: total)
        var terminal = [Double](repeating: 0, count: total)
        reach[0] = 1
        let order = (0..<total).sorted { sumOfDigits($0, base: h) < sumOfDigits($1, base: h) }
        let ws = MLPWorkspace<Float>(shape: model.network.shape, capacity: 1)
        var state = [Int32](repeating: 0, count: d + 1)
        var mask = [Bool](repeating: false, count: d + 1)
        model.parameters.withUnsafeBufferPointer { params in
            for key in order where reach[key] > 0 {
                var k = key
                for i in 0..<d { state[i] = Int32(k % h); k /= h }
                state[d] = 0
                state.withUnsafeBufferPointer { env.encode($0.baseAddress!, into: ws.inputRow(0, width: env.encodingWidth)) }
                let out = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: 1)
                state.withUnsafeBufferPointer { st in mask.withUnsafeMutableBufferPointer { env.forwardMask(st.baseAddress!, step: 0, into: $0.baseAddress!) } }
                var m = -Double.infinity
                for a in 0...d where mask[a] { m = max(m, Double(out[a])) }
                var z = 0.0
                for a in 0...d where mask[a] { z += exp(Double(out[a]) - m) }
                for a in 0...d where mask[a] {
                    let p = exp(Double(out[a]) - m) / z
                    if a == d { terminal[key] += reach[key] * p } else { reach[key + Self.pow(h, a)] += reach[key] * p }
                }
            }
        }
        return terminal
    }

    static func sumOfDigits(_ key: Int, base: Int) -> Int {
        var k = key, s = 0
        while k > 0 { s += k % base; k /= base }
        return s
    }

    static func pow(_ b: Int, _ e: Int) -> Int { var r = 1; for _ in 0..<e { r *= b }; return r }
}

extension HypergridEnvironment: ExactTerminalDistribution {
    public static func inexactReason(_ model: GFlowNet<Self>) -> String? {
        let states = Foundation.pow(Double(model.environment.h), Double(model.environment.d))
        return states <= Double(1 << 22) ? nil : String(format: "exact P_T visits all %.3g grid points, beyond 2^22", states)
    }
    public static func terminalDistribution(_ model: GFlowNet<Self>) throws -> [Double] {
        if let why = inexactReason(model) { throw GFNError.invalidInput(why) }
        return exactTerminalDistribution(model)
    }
}
