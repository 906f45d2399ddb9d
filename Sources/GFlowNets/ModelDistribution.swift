import Energies
import Foundation
import GFNCore
import NeuralNet

/// The distribution P_T(x) a trained set-variable GFlowNet samples terminal states from.
public enum ModelDistribution {
    /// Largest number of partial states the any-order dynamic programme visits ((q+1)^n).
    public static let maximumPartialStates = 5_000_000

    /// Why P_T cannot be computed exactly for this model, or nil if it can.
    public static func inexactReason<E: EnergyModel>(_ model: GFlowNetModel<SetVariableEnvironment<E>, Float>) -> String? {
        let env = model.environment
        switch env.order {
        case .fixed:
            guard let states = env.energy.stateCount, states <= 1 << 24 else {
                return "exact P_T needs every state: \(env.energy.variableCount) variables exceed 2^24 states"
            }
            return nil
        case .any:
            let partial = pow(Double(env.q + 1), Double(env.n))
            return partial <= Double(maximumPartialStates) ? nil
                : String(format: "exact P_T of the any-order DAG visits (q+1)^n = %.3g partial states, beyond the limit of %d", partial, maximumPartialStates)
        }
    }

    /// log P_T(x) for every state x, indexed by its mixed-radix key.
    ///
    /// Fixed order: the product of the policy's probabilities along x's single path, computed
    /// level by level over all prefixes (Σ_t q^t network rows). Any order: the forward dynamic
    /// programme P(s′) = Σ_s P(s)·P_F(s′|s) over all (q+1)^n partial states, level by level.
    /// - Throws: `GFNError.invalidInput` when the model is too large (see ``inexactReason(_:)``).
    public static func exact<E: EnergyModel>(_ model: GFlowNetModel<SetVariableEnvironment<E>, Float>, chunk: Int = 4096) throws -> [Double] {
        if let why = inexactReason(model) { throw GFNError.invalidInput(why) }
        switch model.environment.order {
        case .fixed: return fixedOrder(model, chunk: chunk)
        case .any: return anyOrder(model, chunk: chunk)
        }
    }

    static func fixedOrder<E: EnergyModel>(_ model: GFlowNetModel<SetVariableEnvironment<E>, Float>, chunk: Int) -> [Double] {
        let env = model.environment
        let n = env.n, q = env.q, W = env.encodingWidth, width = model.layout.width
        let ws = MLPWorkspace<Float>(shape: model.network.shape, capacity: chunk)
        var level: [Double] = [0]  // log P of each prefix of length t, indexed by its key over variables < t
        var state = [Int32](repeating: -1, count: env.stateSize)
        model.parameters.withUnsafeBufferPointer { params in
            for t in 0..<n {
                var next = [Double](repeating: -.infinity, count: level.count * q)
                var start = 0
                while start < level.count {
                    let rows = min(chunk, level.count - start)
                    for r in 0..<rows {
                        var k = start + r
                        state.withUnsafeMutableBufferPointer { s in
                            env.writeInitialState(s.baseAddress!)
                            for i in 0..<t { _ = env.apply(k % q, to: s.baseAddress!, step: i); k /= q }
                        }
                        state.withUnsafeBufferPointer { env.encode($0.baseAddress!, into: ws.inputRow(r, width: W)) }
                    }
                    let out = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: rows, group: t)
                    let stride = level.count  // q^t: variable t's digit weight
                    for r in 0..<rows {
                        let row = out + r * width
                        var m = -Double.infinity
                        for v in 0..<q { m = max(m, Double(row[v])) }
                        var s = 0.0
                        for v in 0..<q { s += exp(Double(row[v]) - m) }
                        let lse = m + log(s)
                        for v in 0..<q { next[start + r + v * stride] = level[start + r] + Double(row[v]) - lse }
                    }
                    start += rows
                }
                level = next
            }
        }
        if model.mixesSpinFlips {
            // P_T(x) = ½·q(x) + ½·q(x̄); x̄ flips every digit, so its key is qⁿ − 1 − key.
            let last = level.count - 1
            return (0...last).map { LogSpace.add(level[$0], level[last - $0]) - M_LN2 }
        }
        return level
    }

    static func anyOrder<E: EnergyModel>(_ model: GFlowNetModel<SetVariableEnvironment<E>, Float>, chunk: Int) -> [Double] {
        let env = model.environment
        let n = env.n, q = env.q, W = env.encodingWidth, width = model.layout.width, A = env.forwardActionCount
        let base = q + 1
        var power = [Int](repeating: 1, count: n + 1)
        for i in 0..<n { power[i + 1] = power[i] * base }
        let total = power[n]
        // Bucket partial states by level (number of set variables).
        var levelOf = [UInt8](repeating: 0, count: total)
        var counts = [Int](repeating: 0, count: n + 1)
        for s in 0..<total {
            var k = s, l = 0
            for _ in 0..<n { if k % base != 0 { l += 1 }; k /= base }
            levelOf[s] = UInt8(l); counts[l] += 1
        }
        var probability = [Double](repeating: 0, count: total)
        probability[0] = 1
        let ws = MLPWorkspace<Float>(shape: model.network.shape, capacity: chunk)
        var state = [Int32](repeating: -1, count: n)
        var mask = [Bool](repeating: false, count: A)
        model.parameters.withUnsafeBufferPointer { params in
            for l in 0..<n {
                let members = (0..<total).filter { levelOf[$0] == l && probability[$0] > 0 }
                var start = 0
                while start < members.count {
                    let rows = min(chunk, members.count - start)
                    for r in 0..<rows {
                        var k = members[start + r]
                        for i in 0..<n { state[i] = Int32(k % base) - 1; k /= base }
                        state.withUnsafeBufferPointer { env.encode($0.baseAddress!, into: ws.inputRow(r, width: W)) }
                    }
                    let out = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: rows)
                    for r in 0..<rows {
                        let s = members[start + r]
                        var k = s
                        for i in 0..<n { state[i] = Int32(k % base) - 1; k /= base }
                        state.withUnsafeBufferPointer { st in mask.withUnsafeMutableBufferPointer { env.forwardMask(st.baseAddress!, step: l, into: $0.baseAddress!) } }
                        let row = out + r * width
                        let lse = mask.withUnsafeBufferPointer { maskedLogSumExp(row, mask: $0.baseAddress!, count: A) }
                        for a in 0..<A where mask[a] {
                            let i = a / q, v = a % q
                            probability[s + (v + 1) * power[i]] += probability[s] * exp(Double(row[a]) - lse)
                        }
                    }
                    start += rows
                }
            }
        }
        // Terminal states: every digit set; key digit = digit − 1 in base q.
        var logPT = [Double](repeating: -.infinity, count: Int(pow(Double(q), Double(n))))
        for s in 0..<total where levelOf[s] == n {
            var k = s, key = 0, weight = 1
            for _ in 0..<n { key += (k % base - 1) * weight; weight *= q; k /= base }
            logPT[key] = log(probability[s])
        }
        return logPT
    }

    /// Importance-sampling estimate of log P_T(x) from K backward trajectories τ ~ P_B(·|x):
    /// log P_T(x) ≈ log mean_k exp(log P_F(τ_k) − log P_B(τ_k|x)), with the delta-method standard
    /// error sd(w)/(mean(w)·√K) of that logarithm.
    public static func importanceEstimate<Env: ConstructionEnvironment>(
        _ model: GFlowNetModel<Env, Float>, terminal x: [Int32], trajectories K: Int, seed: UInt64
    ) -> (logPT: Double, standardError: Double) {
        let S = model.environment.stateSize
        let scorer = BackwardTrajectoryScorer(model, capacity: K)
        var states = [Int32](repeating: 0, count: K * S)
        for k in 0..<K { for i in 0..<S { states[k * S + i] = x[i] } }
        var logW = [Double](repeating: 0, count: K)
        let rng = RandomStream(seed: seed, stream: GFlowNetStreams.importanceSampling)
        states.withUnsafeMutableBufferPointer { st in
            logW.withUnsafeMutableBufferPointer { scorer.score(st.baseAddress!, rows: K, rng: rng, into: $0.baseAddress!) }
        }
        let estimate = LogSpace.logMeanExp(logW)
        // Relative weights w_k / mean(w): their sd over √K is the delta-method SE of log mean w.
        let rel = logW.map { exp($0 - estimate) }
        let variance = rel.reduce(0) { $0 + ($1 - 1) * ($1 - 1) } / Double(max(K - 1, 1))
        return (estimate, (variance / Double(K)).squareRoot())
    }
}

/// Draws a trajectory τ ~ P_B(·|x) back from each of a batch of terminal states and scores it:
/// log P_F(τ) − log P_B(τ|x). Its exponential is an unbiased estimate of P_T(x) (the importance
/// estimate), and on the fixed order (one path, P_B = 1) it is log P_T(x) exactly. Keeps its
/// network workspace between calls (for chains that score one state at a time).
public final class BackwardTrajectoryScorer<Env: ConstructionEnvironment> {
    let model: GFlowNetModel<Env, Float>
    let capacity: Int
    let workspace: MLPWorkspace<Float>
    /// The learned P_B's own network's workspace (nil when P_B is on the trunk or uniform).
    let backwardWorkspace: MLPWorkspace<Float>?
    var forwardAction: [Int], depth: [Int], mask: [Bool], weights: [Double]
    /// The spin-flip mixture's rows: each state and its mirror, and their scores.
    let pairs: UnsafeMutablePointer<Int32>?
    var pairScores: [Double]

    /// A scorer for batches of up to `capacity` states.
    public init(_ model: GFlowNetModel<Env, Float>, capacity: Int) {
        let env = model.environment
        self.model = model
        self.capacity = max(capacity, 1)
        let rows = model.mixesSpinFlips ? 2 * self.capacity : self.capacity
        workspace = MLPWorkspace<Float>(shape: model.network.shape, capacity: rows)
        backwardWorkspace = model.backwardNetwork.map { MLPWorkspace<Float>(shape: $0.shape, capacity: rows) }
        forwardAction = [Int](repeating: 0, count: rows)
        depth = [Int](repeating: 0, count: rows)
        mask = [Bool](repeating: false, count: max(env.forwardActionCount, env.backwardActionCount))
        weights = [Double](repeating: 0, count: max(env.backwardActionCount, 1))
        pairs = model.mixesSpinFlips ? UnsafeMutablePointer<Int32>.allocate(capacity: rows * env.stateSize) : nil
        pairScores = [Double](repeating: 0, count: model.mixesSpinFlips ? rows : 0)
    }

    deinit { pairs?.deallocate() }

    /// Walks each of `rows` states (row r at `states + r·stateSize`) back to s₀ — the states are
    /// consumed — and writes log P_F(τ) − log P_B(τ|x) of its trajectory to `logW[r]`. Random
    /// choices (only where P_B has a choice) come from `rng` step by step, row by row.
    ///
    /// With the spin-flip mixture it writes log P_T(x) = log(½·q(x) + ½·q(x̄)) instead — the
    /// mixture's P_F/P_B ratio for either of its trajectories (see `GFlowNetSampler`) — scoring
    /// x̄ beside x in the same passes.
    public func score(_ states: UnsafeMutablePointer<Int32>, rows: Int, rng: RandomStream, into logW: UnsafeMutablePointer<Double>) {
        precondition(rows <= capacity, "BackwardTrajectoryScorer: \(rows) rows exceed its capacity \(capacity)")
        guard let pairs else { return scoreTrajectories(states, rows: rows, rng: rng, into: logW) }
        let env = model.environment, S = env.stateSize
        pairs.update(from: states, count: rows * S)
        (pairs + rows * S).update(from: states, count: rows * S)
        for r in 0..<rows { env.mirror(pairs + (rows + r) * S) }
        pairScores.withUnsafeMutableBufferPointer { scoreTrajectories(pairs, rows: 2 * rows, rng: rng, into: $0.baseAddress!) }
        for r in 0..<rows { logW[r] = LogSpace.add(pairScores[r], pairScores[rows + r]) - M_LN2 }
    }

    func scoreTrajectories(_ states: UnsafeMutablePointer<Int32>, rows: Int, rng: RandomStream, into logW: UnsafeMutablePointer<Double>) {
        let env = model.environment
        let S = env.stateSize, A = env.forwardActionCount, W = env.encodingWidth, Bk = env.backwardActionCount
        let width = model.layout.width
        let ws = workspace
        var maxDepth = 0
        for r in 0..<rows { logW[r] = 0; depth[r] = env.depth(of: UnsafePointer(states + r * S)); maxDepth = max(maxDepth, depth[r]) }
        model.parameters.withUnsafeBufferPointer { params in
            for t in stride(from: maxDepth, to: 0, by: -1) {
                // Backward step: choose the parent with P_B (learned logits need a pass on s_t).
                var out: UnsafeMutablePointer<Float>?
                if let range = model.layout.backward {
                    if let own = model.backwardNetwork, let bws = backwardWorkspace {
                        for r in 0..<rows { env.encode(UnsafePointer(states + r * S), into: bws.inputRow(r, width: W)) }
                        out = own.forward(parameters: params.baseAddress! + model.backwardParameterOffset, workspace: bws, start: 0, rows: rows)
                    } else {
                        for r in 0..<rows { env.encode(UnsafePointer(states + r * S), into: ws.inputRow(r, width: W)) }
                        out = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: rows, group: t) + range.lowerBound
                    }
                }
                for r in 0..<rows where depth[r] >= t {
                    let s = states + r * S
                    mask.withUnsafeMutableBufferPointer { env.backwardMask(UnsafePointer(s), into: $0.baseAddress!) }
                    if let out {
                        // Row r's P_B logits: a row of the forward network's output (the trunk), or of P_B's own.
                        let row = out + r * (model.layout.backwardInOwnNetwork ? Bk : width)
                        let (lse, total) = mask.withUnsafeBufferPointer { m in
                            let lse = maskedLogSumExp(row, mask: m.baseAddress!, count: Bk)
                            return (lse, weights.withUnsafeMutableBufferPointer { Float.exponentials(row, mask: m.baseAddress!, count: Bk, shift: lse, into: $0.baseAddress!) })
                        }
                        let b = weights.withUnsafeBufferPointer { rng.categorical(weights: $0, total: total) }
                        logW[r] -= Double(row[b]) - lse
                        forwardAction[r] = env.undo(b, in: s)
                    } else {
                        let logPB = env.uniformBackwardLogProbability(UnsafePointer(s))
                        var valid = 0
                        for j in 0..<Bk where mask[j] { valid += 1 }
                        var pick = rng.integer(below: valid)  // drawn even when valid = 1: the stream's use is part of the record
                        var b = 0
                        for j in 0..<Bk where mask[j] { if pick == 0 { b = j; break }; pick -= 1 }
                        logW[r] -= logPB
                        forwardAction[r] = env.undo(b, in: s)
                    }
                }
                // Forward probability of the undone action from the parent.
                for r in 0..<rows { env.encode(UnsafePointer(states + r * S), into: ws.inputRow(r, width: W)) }
                // Every row sits at depth t − 1 when a per-step head is allowed (the fixed order).
                let fout = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: rows, group: t - 1)
                for r in 0..<rows where depth[r] >= t {
                    mask.withUnsafeMutableBufferPointer { env.forwardMask(UnsafePointer(states + r * S), step: t - 1, into: $0.baseAddress!) }
                    let row = fout + r * width
                    let lse = mask.withUnsafeBufferPointer { maskedLogSumExp(row, mask: $0.baseAddress!, count: A) }
                    logW[r] += Double(row[forwardAction[r]]) - lse
                }
            }
        }
    }
}

/// Environments whose trained model's terminal distribution P_T can be computed exactly.
public protocol ExactTerminalDistribution: ConstructionEnvironment {
    /// Why P_T cannot be computed exactly for this model, or nil if it can.
    static func inexactReason(_ model: GFlowNet<Self>) -> String?
    /// P_T(x) for every terminal state, indexed by its key.
    static func terminalDistribution(_ model: GFlowNet<Self>) throws -> [Double]
}

extension SetVariableEnvironment: ExactTerminalDistribution {
    public static func inexactReason(_ model: GFlowNet<Self>) -> String? { ModelDistribution.inexactReason(model) }
    public static func terminalDistribution(_ model: GFlowNet<Self>) throws -> [Double] { try ModelDistribution.exact(model).map { exp($0) } }
}
