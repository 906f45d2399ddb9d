import Energies
import GFNCore
import NeuralNet

/// A GFlowNet construction environment: states are built by discrete actions from an initial
/// state s₀ until a terminal state x, whose reward R(x) is given as log R(x) (never exponentiated).
///
/// A state is `stateSize` 32-bit integers. Trajectories step in lockstep in batches; a
/// trajectory that reaches a terminal state stops. When a terminal state's only action would be
/// "exit", the environment makes it implicit (probability 1) and does not list it.
public protocol ConstructionEnvironment: Sendable {
    /// Integers per state.
    var stateSize: Int { get }
    /// The longest trajectory, in actions.
    var maxSteps: Int { get }
    /// Number of forward actions (the policy's forward logits).
    var forwardActionCount: Int { get }
    /// Number of backward actions (learned P_B logits); 1 when every state has a single parent.
    var backwardActionCount: Int { get }
    /// Floats per encoded state (the network's input width).
    var encodingWidth: Int { get }

    func writeInitialState(_ s: UnsafeMutablePointer<Int32>)
    /// Writes the network input for state `s` (zeroing what it does not set).
    func encode<T: BLASScalar>(_ s: UnsafePointer<Int32>, into row: UnsafeMutablePointer<T>)
    /// Marks the forward actions allowed in the non-terminal state `s` (reached after `step` actions).
    func forwardMask(_ s: UnsafePointer<Int32>, step: Int, into mask: UnsafeMutablePointer<Bool>)
    /// Applies forward action `a` to `s` in place; returns whether `s` is now terminal.
    func apply(_ a: Int, to s: UnsafeMutablePointer<Int32>, step: Int) -> Bool
    /// Marks the backward actions allowed from the non-initial state `s`.
    func backwardMask(_ s: UnsafePointer<Int32>, into mask: UnsafeMutablePointer<Bool>)
    /// The backward action that undoes forward action `a`, seen from the state `s` it produced.
    func backwardAction(undoing a: Int, in s: UnsafePointer<Int32>) -> Int
    /// Undoes backward action `b` in place: `s` becomes the parent; returns the forward action from parent to child.
    func undo(_ b: Int, in s: UnsafeMutablePointer<Int32>) -> Int
    /// log P_B(parent | s) of the default (fixed, uniform) backward policy.
    func uniformBackwardLogProbability(_ s: UnsafePointer<Int32>) -> Double
    /// log R(x) of a terminal state.
    func logReward(_ x: UnsafePointer<Int32>) -> Double
    /// The mixed-radix key of a terminal state, for comparison with the exact target.
    func key(of x: UnsafePointer<Int32>) -> UInt64
    /// Number of actions taken to reach `s` from s₀.
    func depth(of s: UnsafePointer<Int32>) -> Int
    /// Number of values in the energy model's assignment of a terminal state.
    var assignmentSize: Int { get }
    /// Writes the energy model's assignment x of terminal state `s` (one value per variable), so
    /// states that do not fit a 64-bit key are still evaluated exactly.
    func assignment(of s: UnsafePointer<Int32>, into x: UnsafeMutablePointer<UInt8>)
    /// Writes the terminal state whose assignment is x (the inverse of ``assignment(of:into:)``).
    func writeTerminal(assignment x: UnsafePointer<UInt8>, into s: UnsafeMutablePointer<Int32>)

    /// Whether the encoding is additive one-hot: s₀ encodes to all zeros, and every forward
    /// action switches exactly one more input from 0 to 1 and changes no other. Then a state's
    /// first-layer pre-activation is the bias plus one weight column per action taken, which
    /// training and sampling update in place (O(width) per step) instead of recomputing (O(input × width)).
    var hasAdditiveEncoding: Bool { get }
    /// The input that forward action `a`, taken at `step` from state `s`, switches on (only
    /// called when ``hasAdditiveEncoding``).
    func addedInput(byAction a: Int, step: Int, from s: UnsafePointer<Int32>) -> Int

    /// Whether log R splits over the steps of a trajectory (``logRewardIncrement(after:step:)``),
    /// for forward-looking flows.
    var hasLogRewardIncrements: Bool { get }
    /// The share of log R(x) that the action taken at `step` fixes, seen from the state `s` it
    /// produced; over a trajectory the shares add up to log R(x). Only called when
    /// ``hasLogRewardIncrements``.
    func logRewardIncrement(after s: UnsafePointer<Int32>, step: Int) -> Double

    /// Whether every state has a mirror — each set variable's value v replaced by q − 1 − v, two
    /// values per variable, the fixed order — built action by action (``mirroredAction(_:step:)``):
    /// what the spin-flip mixture needs to score x̄ beside x.
    var hasValueMirror: Bool { get }
    /// The forward action that builds, at `step`, the mirror of what action `a` builds (only
    /// called when ``hasValueMirror``).
    func mirroredAction(_ a: Int, step: Int) -> Int
    /// Replaces `s` by its mirror in place (only called when ``hasValueMirror``).
    func mirror(_ s: UnsafeMutablePointer<Int32>)

    /// The radius of the local window the encoding reads (``LatticePatch``), nil when it encodes
    /// the whole state.
    var patchRadius: Int? { get }
}

extension ConstructionEnvironment {
    public var hasLogRewardIncrements: Bool { false }
    public func logRewardIncrement(after s: UnsafePointer<Int32>, step: Int) -> Double { 0 }
    public var hasAdditiveEncoding: Bool { false }
    public func addedInput(byAction a: Int, step: Int, from s: UnsafePointer<Int32>) -> Int { -1 }
    public var hasValueMirror: Bool { false }
    public func mirroredAction(_ a: Int, step: Int) -> Int { a }
    public func mirror(_ s: UnsafeMutablePointer<Int32>) {}
    public var patchRadius: Int? { nil }
}

/// Builds an assignment of an `EnergyModel`'s variables one at a time; R(x) = exp(−β·E(x)).
///
/// State: one integer per variable, −1 while unset (with a ``LatticePatch``, then q counts: how
/// many variables hold each value, so the patch's global inputs cost O(q), not O(n)). Forward actions: any order, `i·q + v`
/// (set variable i to v); fixed order, `v` (set the next variable to v). Backward actions
/// (any order): `i` (unset variable i). The network input is one-hot, q floats per variable,
/// all zero while the variable is unset — or, with a ``LatticePatch``, the window around the
/// next site.
public struct SetVariableEnvironment<Energy: EnergyModel>: ConstructionEnvironment {
    public let energy: Energy
    public let beta: Double
    public let order: ConstructionOrder
    public let n: Int
    public let q: Int
    /// The local input (`GFlowNetSettings.patchRadius`): nil for the one-hot encoding of the whole state.
    public let patch: LatticePatch?

    /// - Parameter energy: the model whose variables are set, one per step.
    /// - Parameter beta: the inverse temperature: log R(x) = −β·E(x).
    /// - Parameter order: which variable a step may set.
    /// - Parameter patchRadius: read the window of this radius around the next site instead of
    ///   the whole state; only taken up by the fixed order on a translation-invariant lattice
    ///   (`EnergyModel.translationInvariantLattice`), where ``patch`` is otherwise nil and the
    ///   model refuses the setting.
    public init(energy: Energy, beta: Double, order: ConstructionOrder, patchRadius: Int? = nil) {
        self.energy = energy; self.beta = beta; self.order = order
        n = energy.variableCount; q = energy.domainSize
        if let k = patchRadius, order == .fixed, let lattice = energy.translationInvariantLattice, (1...LatticePatch.maxRadius).contains(k) {
            patch = LatticePatch(radius: k, lattice: lattice, q: q)
        } else {
            patch = nil
        }
    }

    public var stateSize: Int { patch == nil ? n : n + q }
    public var maxSteps: Int { n }
    public var forwardActionCount: Int { order == .fixed ? q : n * q }
    public var backwardActionCount: Int { order == .fixed ? 1 : n }
    public var encodingWidth: Int { patch?.width ?? n * q }

    public func writeInitialState(_ s: UnsafeMutablePointer<Int32>) {
        s.update(repeating: -1, count: n)
        if patch != nil { (s + n).update(repeating: 0, count: q) }
    }

    @inlinable public func encode<T: BLASScalar>(_ s: UnsafePointer<Int32>, into row: UnsafeMutablePointer<T>) {
        if let patch { patch.encode(s, into: row); return }
        row.update(repeating: 0, count: n * q)
        for i in 0..<n where s[i] >= 0 { row[i * q + Int(s[i])] = 1 }
    }

    @inlinable public func forwardMask(_ s: UnsafePointer<Int32>, step: Int, into mask: UnsafeMutablePointer<Bool>) {
        if order == .fixed {
            mask.update(repeating: true, count: q)
        } else if q == 2 {
            // Both of a site's actions in one 2-byte store (a Bool is the byte 0 or 1): the loop
            // over q was 2.6% of 10×10 any-order sampling's CPU time.
            let pairs = UnsafeMutableRawPointer(mask)
            for i in 0..<n { pairs.storeBytes(of: s[i] < 0 ? 0x0101 : 0, toByteOffset: 2 * i, as: UInt16.self) }
        } else {
            for i in 0..<n {
                let free = s[i] < 0
                for v in 0..<q { mask[i * q + v] = free }
            }
        }
    }

    @inlinable public func apply(_ a: Int, to s: UnsafeMutablePointer<Int32>, step: Int) -> Bool {
        if order == .fixed { s[step] = Int32(a) } else { s[a / q] = Int32(a % q) }
        if patch != nil { s[n + a] += 1 }
        return step + 1 == n
    }

    @inlinable public func backwardMask(_ s: UnsafePointer<Int32>, into mask: UnsafeMutablePointer<Bool>) {
        if order == .fixed { mask[0] = true } else { for i in 0..<n { mask[i] = s[i] >= 0 } }
    }

    @inlinable public func backwardAction(undoing a: Int, in s: UnsafePointer<Int32>) -> Int {
        order == .fixed ? 0 : a / q
    }

    public func undo(_ b: Int, in s: UnsafeMutablePointer<Int32>) -> Int {
        if order == .fixed {
            let i = depth(of: UnsafePointer(s)) - 1
            let v = Int(s[i]); s[i] = -1
            if patch != nil { s[n + v] -= 1 }
            return v
        }
        let v = Int(s[b]); s[b] = -1
        return b * q + v
    }

    @inlinable public func uniformBackwardLogProbability(_ s: UnsafePointer<Int32>) -> Double {
        order == .fixed ? 0 : -_log(Double(depth(of: s)))
    }

    public func logReward(_ x: UnsafePointer<Int32>) -> Double {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { buf in
            for i in 0..<n { buf[i] = UInt8(x[i]) }
            return -beta * energy.energy(UnsafePointer(buf.baseAddress!))
        }
    }

    @inlinable public func key(of x: UnsafePointer<Int32>) -> UInt64 {
        var k: UInt64 = 0
        var i = n - 1
        while i >= 0 { k = k &* UInt64(q) &+ UInt64(x[i]); i -= 1 }
        return k
    }

    @inlinable public func depth(of s: UnsafePointer<Int32>) -> Int {
        var d = 0
        for i in 0..<n where s[i] >= 0 { d += 1 }
        return d
    }

    public var assignmentSize: Int { n }
    @inlinable public func assignment(of s: UnsafePointer<Int32>, into x: UnsafeMutablePointer<UInt8>) {
        for i in 0..<n { x[i] = UInt8(truncatingIfNeeded: s[i]) }
    }
    @inlinable public func writeTerminal(assignment x: UnsafePointer<UInt8>, into s: UnsafeMutablePointer<Int32>) {
        for i in 0..<n { s[i] = Int32(x[i]) }
        if patch != nil {
            (s + n).update(repeating: 0, count: q)
            for i in 0..<n { s[n + Int(x[i])] += 1 }
        }
    }

    /// The fixed order sets variable `step` at step `step`: its share of log R is −β times the
    /// energy it adds to the variables before it (`EnergyModel.orderedIncrement(_:site:)`).
    public var hasLogRewardIncrements: Bool { order == .fixed }

    @inlinable public func logRewardIncrement(after s: UnsafePointer<Int32>, step: Int) -> Double {
        -beta * energy.orderedIncrement(s, site: step)
    }

    /// One-hot per variable, all zero while unset: setting a variable switches on one input.
    /// (A patch is not additive: its window moves with the next site.)
    public var hasAdditiveEncoding: Bool { patch == nil }
    public var patchRadius: Int? { patch?.radius }

    @inlinable public func addedInput(byAction a: Int, step: Int, from s: UnsafePointer<Int32>) -> Int {
        order == .fixed ? step * q + a : a
    }

    /// The fixed order with two values per variable: the mirror sets value 1 − v where x sets v.
    public var hasValueMirror: Bool { order == .fixed && q == 2 }
    @inlinable public func mirroredAction(_ a: Int, step: Int) -> Int { q - 1 - a }
    @inlinable public func mirror(_ s: UnsafeMutablePointer<Int32>) {
        for i in 0..<n where s[i] >= 0 { s[i] = Int32(q - 1) - s[i] }
        if patch != nil { for v in 0..<(q / 2) { let c = s[n + v]; s[n + v] = s[n + q - 1 - v]; s[n + q - 1 - v] = c } }
    }
}

import Foundation
import Settings
@usableFromInline func _log(_ x: Double) -> Double { Foundation.log(x) }
