import Dispatch
import Foundation
import GFNCore
import NeuralNet

/// Terminal states drawn from a trained GFlowNet's forward policy.
public struct GFlowNetSamples: Sendable {
    /// Mixed-radix keys of the terminal states.
    public var keys: [UInt64]
    /// log P_F(τ) of each sampled trajectory.
    public var logPF: [Double]
    /// log P_B(τ | x) of each sampled trajectory under the model's backward policy.
    public var logPB: [Double]
    public var seconds: Double
}

/// Draws terminal states from the model's forward policy (temperature 1, no exploration):
/// one network pass per construction step, batched.
public enum GFlowNetSampler {
    /// Draws `count` samples from stream (seed, sampling), `batch` trajectories at a time.
    ///
    /// Keys wrap when the states do not fit 64 bits; such callers use
    /// ``forEachSample(_:count:rng:batch:visit:)``, which hands over the states themselves.
    public static func sample<Env: ConstructionEnvironment>(_ model: GFlowNetModel<Env, Float>, count: Int, seed: UInt64, batch: Int = 512) -> GFlowNetSamples {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let env = model.environment
        var result = GFlowNetSamples(keys: [], logPF: [], logPB: [], seconds: 0)
        result.keys.reserveCapacity(count); result.logPF.reserveCapacity(count); result.logPB.reserveCapacity(count)
        forEachSample(model, count: count, rng: RandomStream(seed: seed, stream: GFlowNetStreams.sampling), batch: batch) { s, pf, pb in
            result.keys.append(env.key(of: s)); result.logPF.append(pf); result.logPB.append(pb)
        }
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return result
    }

    /// Draws `count` trajectories from `rng`, `batch` at a time, and calls `visit` with each
    /// terminal state, log P_F(τ) and log P_B(τ | x) in the order drawn. Stops early (fewer
    /// visits) when a stop is requested.
    ///
    /// With the spin-flip mixture (``GFlowNetModel/mixesSpinFlips``) each batch row has a mirror
    /// row in the same network passes, which follows the mirrored actions and scores ȳ beside the
    /// drawn y; after the batch each draw is flipped with probability ½ (one uniform per row, in
    /// row order). It is then a GFlowNet with a first action — the sign, probability ½ — whose
    /// P_B is the exact posterior of the two trajectories to x: log P_F = log q(y) − log 2 and
    /// log P_B = log q(y) − log(q(y) + q(ȳ)), so log P_F − log P_B = log P_T(x) exactly.
    public static func forEachSample<Env: ConstructionEnvironment>(
        _ model: GFlowNetModel<Env, Float>, count: Int, rng: RandomStream, batch: Int = 512,
        visit: (UnsafePointer<Int32>, Double, Double) -> Void
    ) {
        let env = model.environment
        let mixture = model.mixesSpinFlips
        // The mixture's mirrors share the network passes: half the batch's draws, the same rows.
        let B = max(1, min(mixture ? batch / 2 : batch, count))
        let S = env.stateSize, A = env.forwardActionCount, W = env.encodingWidth
        let width = model.layout.width
        let learnedPB = model.layout.backward
        let rowCapacity = mixture ? 2 * B : B  // rows B… hold the mirrors
        let ws = MLPWorkspace<Float>(shape: model.network.shape, capacity: rowCapacity)
        let states = UnsafeMutablePointer<Int32>.allocate(capacity: rowCapacity * S)
        // The rows of a step are shared out in `parts` (as many as the products' threads), each
        // with its own mask and draw scratch, when a step's rows have enough logits to outweigh
        // the hand-off to WorkTeam's spinning helper: 2^13 (512 rows of 10×10's 100 actions and 100
        // backward ones, 4×4's 17 + 16: sampling 0.95× the time; fixed order's 2 were not faster).
        // The uniforms are drawn first, one per running row in row order, so the draws do not
        // depend on the split.
        let logitsPerRow = A + (learnedPB?.count ?? 0)
        let parts = B * logitsPerRow >= 1 << 13 ? max(1, min(BLASThreads.current, B / 64)) : 1
        let scratchWidth = max(A, env.backwardActionCount)
        let masks = UnsafeMutablePointer<Bool>.allocate(capacity: parts * scratchWidth)
        let drawScratch = UnsafeMutablePointer<Double>.allocate(capacity: parts * 2 * scratchWidth)  // softmaxDraw's, per part
        let finishedAt = UnsafeMutablePointer<Int>.allocate(capacity: B)
        let lastAction = UnsafeMutablePointer<Int>.allocate(capacity: B)
        let uniforms = UnsafeMutablePointer<Double>.allocate(capacity: B)
        let pf = UnsafeMutablePointer<Double>.allocate(capacity: B), pb = UnsafeMutablePointer<Double>.allocate(capacity: B)
        let pfMirror = UnsafeMutablePointer<Double>.allocate(capacity: B)
        defer {
            states.deallocate(); masks.deallocate(); drawScratch.deallocate(); finishedAt.deallocate(); lastAction.deallocate()
            uniforms.deallocate(); pf.deallocate(); pb.deallocate(); pfMirror.deallocate()
        }
        // Additive encodings: each row's first-layer pre-activation is updated in place by the
        // weight column of the input its action switches on (see ConstructionEnvironment.hasAdditiveEncoding).
        let incremental = env.hasAdditiveEncoding
        let H = model.network.widths[1]
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: incremental ? W * H : 1)
        defer { columns.deallocate() }
        let z0 = ws.firstPreActivations
        // P_B in its own network (`--backward-network separate`): a pass of it on the batch's rows
        // at every step t ≥ 1, its first layer updated in place like the forward network's.
        let own = model.backwardNetwork
        let ownWS = own.map { MLPWorkspace<Float>(shape: $0.shape, capacity: B) }
        let ownColumns = UnsafeMutablePointer<Float>.allocate(capacity: incremental && own != nil ? W * H : 1)
        defer { ownColumns.deallocate() }
        // A whole input encoding per row and step (a fixed-order patch input) written on the caller
        // alone left the products' helper idle for it: 11% of fixed-order 10×10 sampling's CPU
        // time (the rows' encoding and zeroing). From 2^14 input values a step it is shared out.
        func encode(rows: Int, into workspace: MLPWorkspace<Float>) {
            let encodeParts = rows * W >= 1 << 14 ? max(1, min(BLASThreads.current, rows / 64)) : 1
            WorkTeam.perform(parts: encodeParts) { k in
                for b in (rows * k / encodeParts)..<(rows * (k + 1) / encodeParts) {
                    env.encode(UnsafePointer(states + b * S), into: workspace.inputRow(b, width: W))
                }
            }
        }
        model.parameters.withUnsafeBufferPointer { params in
            if incremental { model.network.firstLayerColumns(parameters: params.baseAddress!, into: columns) }
            let bias0 = params.baseAddress! + model.network.biasOffsets[0]
            let ownParams = params.baseAddress! + model.backwardParameterOffset
            if incremental, let own { own.firstLayerColumns(parameters: ownParams, into: ownColumns) }
            var remaining = count
            while remaining > 0 && !Interruption.requested {
                let rows = min(B, remaining)
                let networkRows = mixture ? 2 * rows : rows
                for b in 0..<rows {
                    env.writeInitialState(states + b * S); finishedAt[b] = Int.max; pf[b] = 0; pb[b] = 0; pfMirror[b] = 0
                    if incremental { (z0 + b * H).update(from: bias0, count: H) }
                    if incremental, let own, let ownWS { (ownWS.firstPreActivations + b * H).update(from: ownParams + own.biasOffsets[0], count: H) }
                }
                for b in rows..<networkRows {
                    env.writeInitialState(states + b * S)
                    if incremental { (z0 + b * H).update(from: bias0, count: H) }
                }
                for t in 0...env.maxSteps {
                    // The network is needed by trajectories still running, and (learned P_B) by
                    // those that reached their terminal state at this step.
                    var needed = false
                    for b in 0..<rows where t < finishedAt[b] || (learnedPB != nil && t == finishedAt[b]) { needed = true; break }
                    if !needed { break }
                    if !incremental { encode(rows: networkRows, into: ws) }
                    let out = model.network.forward(parameters: params.baseAddress!, workspace: ws, start: 0, rows: networkRows,
                                                    firstPreActivations: incremental ? UnsafePointer(z0) : nil, group: t)
                    var ownOut: UnsafeMutablePointer<Float>?
                    if t >= 1, let own, let ownWS {
                        if !incremental { encode(rows: rows, into: ownWS) }
                        ownOut = own.forward(parameters: ownParams, workspace: ownWS, start: 0, rows: rows,
                                             firstPreActivations: incremental ? UnsafePointer(ownWS.firstPreActivations) : nil)
                    }
                    for b in 0..<rows where t < finishedAt[b] { uniforms[b] = rng.uniform() }
                    // Row b at step t, with scratch `part`: its log P_B term, then its action.
                    func advance(_ b: Int, _ part: Int) {
                        guard t <= finishedAt[b] else { return }
                        let mask = masks + part * scratchWidth, scratch = drawScratch + part * 2 * scratchWidth
                        let s = states + b * S
                        let row = out + b * width
                        if t >= 1, let range = learnedPB {
                            // log P_B(s_{t−1} | s_t) from the learned backward logits.
                            env.backwardMask(UnsafePointer(s), into: mask)
                            let logits = ownOut.map { $0 + b * range.count } ?? row + range.lowerBound
                            let lse = maskedLogSumExp(logits, mask: mask, count: range.count)
                            pb[b] += Double(logits[env.backwardAction(undoing: lastAction[b], in: UnsafePointer(s))]) - lse
                        }
                        guard t < finishedAt[b] else { return }
                        env.forwardMask(UnsafePointer(s), step: t, into: mask)
                        let (a, m, total) = softmaxDraw(row, mask: mask, count: A, uniform: uniforms[b], scratch: scratch)
                        pf[b] += Double(row[a]) - (m + log(total))
                        lastAction[b] = a
                        if mixture {
                            // The mirror row takes the mirrored action and scores it: log q(ȳ), step by step.
                            let sm = states + (rows + b) * S, rowMirror = out + (rows + b) * width
                            let am = env.mirroredAction(a, step: t)
                            env.forwardMask(UnsafePointer(sm), step: t, into: mask)
                            pfMirror[b] += Double(rowMirror[am]) - maskedLogSumExp(rowMirror, mask: mask, count: A)
                            if incremental {
                                Float.add(columns + env.addedInput(byAction: am, step: t, from: UnsafePointer(sm)) * H, to: z0 + (rows + b) * H, count: H)
                            }
                            _ = env.apply(am, to: sm, step: t)
                        }
                        if incremental {
                            let c = env.addedInput(byAction: a, step: t, from: UnsafePointer(s))
                            Float.add(columns + c * H, to: z0 + b * H, count: H)
                            if let ownWS { Float.add(ownColumns + c * H, to: ownWS.firstPreActivations + b * H, count: H) }
                        }
                        if env.apply(a, to: s, step: t) { finishedAt[b] = t + 1 }
                        if learnedPB == nil { pb[b] += env.uniformBackwardLogProbability(UnsafePointer(s)) }
                    }
                    if parts > 1 && rows * logitsPerRow >= 1 << 13 {
                        WorkTeam.perform(parts: parts) { k in
                            for b in (rows * k / parts)..<(rows * (k + 1) / parts) { advance(b, k) }
                        }
                    } else {
                        for b in 0..<rows { advance(b, 0) }
                    }
                }
                if mixture {
                    for b in 0..<rows {
                        let flip = rng.uniform() < 0.5
                        let logMixture = LogSpace.add(pf[b], pfMirror[b])
                        visit(UnsafePointer(states + (flip ? rows + b : b) * S), pf[b] - M_LN2, pf[b] - logMixture)
                    }
                } else {
                    for b in 0..<rows { visit(UnsafePointer(states + b * S), pf[b], pb[b]) }
                }
                remaining -= rows
            }
        }
    }
}
