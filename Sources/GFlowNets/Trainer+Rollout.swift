import Foundation
import GFNCore
import NeuralNet

/// Rolling out a batch from the behaviour policy and scoring its rows: the sampling half of a
/// training step (the objectives are in Trainer+Objectives.swift).
extension Trainer {
    /// Samples `batch` trajectories from the behaviour policy, keeping every state, action and
    /// network output (rows 0..<usedRows).
    func rollout() {
        forgetPackedWeights()
        let B = batch, S = env.stateSize, A = env.forwardActionCount, W = env.encodingWidth
        let width = model.layout.width
        let eps = model.settings.epsilon, invT = 1 / model.settings.temperature
        // P_B on the trunk needs the forward network's row of each terminal state too; P_B in
        // its own network is evaluated after the rollout, on every row at once.
        let trunkPB = model.layout.backwardOnTrunk
        // At temperature 1 the behaviour policy's exponentials are the policy's own: the scoring
        // of the sampled rows (probabilities, log P_F) is done here, once, with the same numbers
        // in the same order as `logSoftmax` (bit-identical), instead of a second exp per logit.
        let scoreHere = invT == 1
        forwardScoredInRollout = scoreHere
        for b in 0..<B { env.writeInitialState(states + b * S); lengths[b] = Int.max; partialLogR?[b] = 0 }
        usedRows = 0
        let H = model.network.widths[1]
        let z0 = workspace.firstPreActivations
        model.parameters.withUnsafeBufferPointer { params in
            if let columns = firstColumns { model.network.firstLayerColumns(parameters: params.baseAddress!, into: columns) }
            let bias0 = params.baseAddress! + model.network.biasOffsets[0]
            for t in 0...steps {
                // Rows at step t serve trajectories still sampling, and (learned P_B) those just finished.
                var needed = false
                for b in 0..<B where t < lengths[b] || (trunkPB && t == lengths[b]) { needed = true; break }
                if !needed { break }
                for b in 0..<B {
                    // A finished trajectory's state is carried forward, so every row holds a valid state.
                    if t > lengths[b] { (states + (t * B + b) * S).update(from: states + ((t - 1) * B + b) * S, count: S) }
                    if let columns = firstColumns {
                        // z₀ of step t's rows in half (t mod 2) of a two-step ring: only the next
                        // step reads them, and the ring stays in cache where rows for every step
                        // were written to memory and read back.
                        let z = z0 + ((t & 1) * B + b) * H
                        if t == 0 {
                            z.update(from: bias0, count: H)
                        } else {
                            advanceFirstPreActivation(from: z0 + (((t - 1) & 1) * B + b) * H, input: addedInputs[(t - 1) * B + b], columns: columns,
                                                      into: z, width: H)
                        }
                    } else {
                        env.encode(UnsafePointer(states + (t * B + b) * S), into: workspace.inputRow(t * B + b, width: W))
                    }
                    addedInputs[t * B + b] = -1
                }
                let out = model.network.forward(parameters: params.baseAddress!, workspace: workspace, start: t * B, rows: B,
                                                firstPreActivations: incremental ? UnsafePointer(z0 + (t & 1) * B * H) : nil, group: t)
                usedRows = (t + 1) * B
                for b in 0..<B where t < lengths[b] {
                    let r = t * B + b
                    let s = states + r * S
                    let mask = forwardMasks + r * A
                    env.forwardMask(UnsafePointer(s), step: t, into: mask)
                    let a: Int
                    if scoreHere {
                        let logits = out + b * width
                        let (m, total): (Double, Double)
                        if eps > 0 && rng.uniform() < eps {
                            (m, total) = shiftedExponentials(logits, mask: mask, count: A, into: behaviour)
                            a = uniformValidAction(mask: mask, count: A)
                        } else {
                            // The policy's draw from the weights it keeps (`behaviour`), as rng.categorical draws.
                            (a, m, total) = softmaxDraw(logits, mask: mask, count: A, uniform: rng.uniform(), scratch: behaviour, spreadWeights: true)
                        }
                        logPF[r] = normalise(behaviour, max: m, total: total, logits: logits, count: A, probs: forwardProbs + r * A, pick: a)
                    } else {
                        a = sampleBehaviour(out + b * width, mask: mask, count: A, epsilon: eps, inverseTemperature: invT)
                    }
                    actions[r] = Int32(a)
                    if incremental { addedInputs[r] = Int32(env.addedInput(byAction: a, step: t, from: UnsafePointer(s))) }
                    let next = states + ((t + 1) * B + b) * S
                    next.update(from: s, count: S)
                    let terminal = env.apply(a, to: next, step: t)
                    if let partial = partialLogR {
                        partial[(t + 1) * B + b] = partial[r] + rewardScale * env.logRewardIncrement(after: UnsafePointer(next), step: t)
                    }
                    if terminal {
                        lengths[b] = t + 1
                        logR[b] = rewardScale * env.logReward(UnsafePointer(next))
                        record.energyEvaluations += 1
                    }
                }
            }
            evaluateBackwardNetwork(parameters: params.baseAddress!)
        }
    }

    /// Rows of the learned P_B's own network: every kept row and the last state of each trajectory.
    var backwardRows: Int { usedRows + batch }

    /// The learned P_B's own network on rows 0..<``backwardRows`` (row 0, the initial states, has no
    /// parent and is not scored), after the rollout: products B·(steps+1) rows tall (with bf16
    /// products and additive encodings, 8·B) instead of the rollout's B. No-op when P_B is on
    /// the trunk or uniform. `chunked: false` makes bf16 take one pass too (for the test that the
    /// chunks give its bits).
    func evaluateBackwardNetwork(parameters p: UnsafePointer<T>, chunked: Bool = true) {
        guard let net = model.backwardNetwork, let ws = backwardWorkspace else { return }
        let B = batch, S = env.stateSize, rows = backwardRows
        let params = p + model.backwardParameterOffset
        // The rollout stops at the step after the longest trajectory; earlier-finished ones carry
        // their terminal state into that last row, as the rollout does into the rows it computes.
        let last = usedRows / B
        for b in 0..<B where lengths[b] < last {
            (states + (last * B + b) * S).update(from: states + ((last - 1) * B + b) * S, count: S)
        }
        if let columns = backwardColumns {
            let H = net.widths[1], z0 = ws.firstPreActivations
            net.firstLayerColumns(parameters: params, into: columns)
            // bf16 products give each row the same bits whatever the product's height, so the rows
            // go through in chunks of 8 steps, their z₀ in a two-chunk ring that stays in cache
            // (z₀ of every row written to memory and read back was ~1% of a bf16 10×10 step).
            // OpenBLAS's bits depend on the height: fp32 keeps one pass.
            let chunk = chunked && net.precision == .bf16 && rows > 16 * B ? 8 * B : rows
            for start in stride(from: 0, to: rows, by: chunk) {
                let ring = z0 + (start / chunk & 1) * chunk * H
                for r in start..<min(rows, start + chunk) {
                    let z = ring + (r - start) * H
                    if r < B {
                        z.update(from: params + net.biasOffsets[0], count: H)
                    } else {
                        let q = r - B, previous = z0 + ((q / chunk & 1) * chunk + q % chunk) * H
                        advanceFirstPreActivation(from: previous, input: addedInputs[q], columns: columns, into: z, width: H)
                    }
                }
                net.forward(parameters: params, workspace: ws, start: start, rows: min(rows, start + chunk) - start, firstPreActivations: ring)
            }
        } else {
            let W = env.encodingWidth
            for r in 0..<rows { env.encode(UnsafePointer(states + r * S), into: ws.inputRow(r, width: W)) }
            net.forward(parameters: params, workspace: ws, start: 0, rows: rows)
        }
    }

    /// A row's first-layer pre-activation (additive encodings) into `z`: the same trajectory's
    /// previous row's, `previous`, plus the weight column (of `columns`, W₀ transposed) of the
    /// input the previous row's action switched on (`input`), or a copy when no action was taken there (−1).
    @inline(__always)
    func advanceFirstPreActivation(from previous: UnsafePointer<T>, input: Int32, columns: UnsafePointer<T>, into z: UnsafeMutablePointer<T>, width H: Int) {
        let c = Int(input)
        if c >= 0 {
            T.sum(previous, columns + c * H, into: z, count: H)
        } else {
            z.update(from: previous, count: H)
        }
    }

    /// From the kept outputs: log P_F of each action (and the policy's probabilities), log P_B of
    /// each transition, and log F of each intermediate state.
    func scoreRows() {
        let B = batch, S = env.stateSize, A = env.forwardActionCount
        let layout = model.layout
        let width = layout.width
        let out = workspace.activations[model.network.layerCount]
        // P_B in its own network: its output row r holds the logits of row r's state.
        let ownOut = model.backwardNetwork.flatMap { net in backwardWorkspace.map { $0.activations[net.layerCount] } }
        for r in 0..<(ownOut == nil ? usedRows : backwardRows) {
            let t = r / B, b = r % B
            let row = out + r * width
            let s = states + r * S
            if t < lengths[b] {
                if !forwardScoredInRollout {
                    logPF[r] = logSoftmax(row, mask: forwardMasks + r * A, count: A, probs: forwardProbs + r * A, pick: Int(actions[r]), scratch: behaviour)
                }
                if let f = layout.flow, t >= 1 { logF[r] = Double(row[f]) }
            }
            if t >= 1 && t <= lengths[b], let range = layout.backward, let probs = backwardProbs, let masks = backwardMasks {
                // Learned log P_B(s_{t−1} | s_t), stored with the transition's source row.
                let bAction = env.backwardAction(undoing: Int(actions[r - B]), in: UnsafePointer(s))
                backwardActions[r] = Int32(bAction)
                let mask = masks + r * range.count
                env.backwardMask(UnsafePointer(s), into: mask)
                let logits = ownOut.map { $0 + r * range.count } ?? row + range.lowerBound
                logPB[r - B] = logSoftmax(logits, mask: mask, count: range.count, probs: probs + r * range.count, pick: bAction, scratch: behaviour)
            }
        }
        // The fixed backward policy needs no network output, so the terminal state (which has no
        // row of its own) is scored from the stored states.
        if layout.backward == nil {
            for b in 0..<B {
                for t in 1...lengths[b] {
                    logPB[(t - 1) * B + b] = env.uniformBackwardLogProbability(UnsafePointer(states + (t * B + b) * S))
                }
            }
        }
    }

    /// log softmax of the valid logits; writes the probabilities (0 where masked) and returns log p[pick].
    /// One exp per valid logit: exp(x − max) is kept (in Double, in `scratch`) and normalised
    /// afterwards (measured: scoring a 10×10 any-order batch went from 14.5 to 8.3 ms).
    @inline(__always)
    func logSoftmax(_ logits: UnsafePointer<T>, mask: UnsafePointer<Bool>, count: Int, probs: UnsafeMutablePointer<T>, pick: Int,
                    scratch: UnsafeMutablePointer<Double>) -> Double {
        let (m, total) = shiftedExponentials(logits, mask: mask, count: count, into: scratch)
        return normalise(scratch, max: m, total: total, logits: logits, count: count, probs: probs, pick: pick)
    }

    /// From the shifted exponentials exp(x − max) and their total: the probabilities (into
    /// `probs`) and log p[pick]. Shared by the rollout and `logSoftmax`, so both give the same bits.
    @inline(__always)
    func normalise(_ exponentials: UnsafePointer<Double>, max m: Double, total: Double, logits: UnsafePointer<T>, count: Int,
                   probs: UnsafeMutablePointer<T>, pick: Int) -> Double {
        let scale = 1 / total
        for j in 0..<count { probs[j] = T(exponentials[j] * scale) }
        return Double(logits[pick]) - (m + log(total))
    }

    /// Draws from (1 − ε)·softmax(logits/T) + ε·uniform over the valid actions.
    @inline(__always)
    func sampleBehaviour(_ logits: UnsafePointer<T>, mask: UnsafePointer<Bool>, count: Int, epsilon: Double, inverseTemperature: Double) -> Int {
        if epsilon > 0 && rng.uniform() < epsilon { return uniformValidAction(mask: mask, count: count) }
        return softmaxDraw(logits, mask: mask, count: count, scale: inverseTemperature, uniform: rng.uniform(), scratch: behaviour).action
    }

    /// A uniformly drawn valid action (the ε part of the behaviour policy).
    @inline(__always)
    func uniformValidAction(mask: UnsafePointer<Bool>, count: Int) -> Int {
        var valid = 0
        for j in 0..<count where mask[j] { valid += 1 }
        var k = rng.integer(below: valid)
        for j in 0..<count where mask[j] { if k == 0 { return j }; k -= 1 }
        return -1
    }
}
