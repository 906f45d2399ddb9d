import Dispatch
import Foundation
import GFNCore
import NeuralNet

/// The objectives a ``Trainer`` evaluates on a rolled-out batch: trajectory balance (and its
/// log-partition-variance form), detailed balance, sub-trajectory balance and flow matching.
extension Trainer {
    /// The batch mean of ζ = log R + Σ log P_B − Σ log P_F: an ELBO-type estimate of log Z
    /// on-policy (VarGrad's log Z, and `--log-z-start batch`'s starting value).
    func batchMeanZeta() -> Double {
        let B = batch
        var mean = 0.0
        for b in 0..<B {
            var zeta = logR[b]
            for t in 0..<lengths[b] { zeta += logPB[t * B + b] - logPF[t * B + b] }
            mean += zeta / Double(B)
        }
        return mean
    }

    // MARK: Balance objectives (TB, DB, SubTB)

    /// The loss, the per-step gradients dL/d(log P_F), dL/d(log P_B), dL/d(log F), and dL/d log Z.
    /// Flows: F(s₀) = Z (the log Z parameter), F(x) = R(x) at terminal states.
    func balanceObjective() -> (Double, Double) {
        let B = batch
        let logZ = model.logZ
        var loss = 0.0, gLogZ = 0.0
        for r in 0..<usedRows { gPF[r] = 0; gPB[r] = 0; gF[r] = 0 }
        switch model.settings.objective {
        case .tb, .vargrad:
            // VarGrad: log Z is the batch mean of ζ_b = log R + Σ log P_B − Σ log P_F; the
            // variance's gradient w.r.t. ζ_b is 2(ζ_b − ẑ)/B (the mean's own term sums to 0).
            var zHat = 0.0
            if model.settings.objective == .vargrad {
                zHat = batchMeanZeta()
                model.logZ = zHat
            }
            let logZUsed = model.settings.objective == .vargrad ? zHat : logZ
            for b in 0..<B {
                var delta = logZUsed - logR[b]
                for t in 0..<lengths[b] { delta += logPF[t * B + b] - logPB[t * B + b] }
                loss += delta * delta / Double(B)
                let g = 2 * delta / Double(B)
                for t in 0..<lengths[b] { gPF[t * B + b] = g; gPB[t * B + b] = -g }
                gLogZ += g
            }
            if model.settings.objective == .vargrad { gLogZ = 0 }  // no learned scalar
        case .db:
            let transitions = Double((0..<B).reduce(0) { $0 + lengths[$1] })
            for b in 0..<B {
                let len = lengths[b]
                for t in 0..<len {
                    let fT = t == 0 ? logZ : logF[t * B + b] + forwardLookingTerm(t * B + b)
                    let fNext = t + 1 == len ? logR[b] : logF[(t + 1) * B + b] + forwardLookingTerm((t + 1) * B + b)
                    let delta = fT + logPF[t * B + b] - fNext - logPB[t * B + b]
                    loss += delta * delta / transitions
                    let g = 2 * delta / transitions
                    if t == 0 { gLogZ += g } else { gF[t * B + b] += g }
                    if t + 1 < len { gF[(t + 1) * B + b] -= g }
                    gPF[t * B + b] += g
                    gPB[t * B + b] -= g
                }
            }
        case .subtb:
            let lambda = model.settings.subtbLambda
            // Sub-trajectories longer than maxSpan weigh less than 10⁻⁹ of the shortest (λ^L, λ < 1)
            // and are skipped: on 32×32 (n = 1024) that cuts the pairs per trajectory from 524,800 to
            // about 200,000 at λ = 0.9, and changes nothing where n ≤ maxSpan.
            let maxSpan = lambda < 1 ? min(steps + 1, Int((log(1e-9) / log(lambda)).rounded(.up)) + 1) : steps + 1
            var weightedLength = -1, totalWeight = 0.0
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * (steps + 1)) { buf in
                let c = buf.baseAddress!, gC = c + (steps + 1), flow = gC + (steps + 1)
                for b in 0..<B {
                    let len = lengths[b]
                    // C_k = Σ_{m<k} (log P_F − log P_B): residual of (i, j) is F_i + C_j − C_i − F_j.
                    c[0] = 0
                    for k in 0..<len { c[k + 1] = c[k] + logPF[k * B + b] - logPB[k * B + b] }
                    for k in 0...len { flow[k] = k == 0 ? logZ : (k == len ? logR[b] : logF[k * B + b] + forwardLookingTerm(k * B + b)); gC[k] = 0 }
                    // Weights λ^(j−i), normalised over the trajectory's sub-trajectories: their total
                    // depends on the length only, so it is summed once per length (the fixed order has one).
                    if len != weightedLength {
                        totalWeight = 0
                        for i in 0..<len { var w = 1.0; for _ in (i + 1)...min(len, i + maxSpan) { w *= lambda; totalWeight += w } }
                        weightedLength = len
                    }
                    for i in 0..<len {
                        var w = 1.0
                        for j in (i + 1)...min(len, i + maxSpan) {
                            w *= lambda
                            let delta = flow[i] + c[j] - c[i] - flow[j]
                            let scaled = w / totalWeight / Double(B)
                            loss += scaled * delta * delta
                            let g = 2 * scaled * delta
                            if i == 0 { gLogZ += g } else { gF[i * B + b] += g }
                            if j < len { gF[j * B + b] -= g }
                            gC[j] += g
                            gC[i] -= g
                        }
                    }
                    // dL/d(log P_F at step m) = Σ_{k > m} dL/dC_k.
                    var suffix = 0.0
                    for m in stride(from: len - 1, through: 0, by: -1) {
                        suffix += gC[m + 1]
                        gPF[m * B + b] = suffix
                        gPB[m * B + b] = -suffix
                    }
                }
            }
        case .fm:
            break
        }
        if partialLogR != nil {
            // The forward-looking flows' log Z share (see forwardLookingTerm): d log F(s_t)/d log Z = 1 − t/n.
            for r in B..<usedRows where gF[r] != 0 { gLogZ += gF[r] * (1 - Double(r / B) / Double(steps)) }
        }
        return (loss, gLogZ)
    }

    /// What forward-looking flows add to the network's log F̃ at row r (0 without them):
    /// log F(s_t) = log F̃(s_t) + log R̃(s_t) + (1 − t/n)·log Z. log R̃ is the reward the first t
    /// variables fix; the log Z share puts the flow at the right scale from the first step (on
    /// 16×16, log F(s_t) runs from log Z ≈ 225 down to log R), so the network learns only the
    /// boundary's correction instead of climbing by the learning rate to hundreds.
    @inline(__always) func forwardLookingTerm(_ r: Int) -> Double {
        guard let partial = partialLogR else { return 0 }
        return partial[r] + (1 - Double(r / batch) / Double(steps)) * model.logZ
    }

    /// dL/d(output) of every used row from the per-step gradients.
    func fillOutputGradient() {
        let B = batch, A = env.forwardActionCount
        let layout = model.layout
        let width = layout.width
        let og = workspace.outputGradient
        og.update(repeating: 0, count: usedRows * width)
        for r in 0..<usedRows {
            let t = r / B, b = r % B
            let row = og + r * width
            if t < lengths[b] {
                // d log π_a / d logit_j = 1[j = a] − π_j over the valid actions.
                let g = T(gPF[r])
                let probs = forwardProbs + r * A
                for j in 0..<A { row[j] = -g * probs[j] }
                row[Int(actions[r])] += g
                if let f = layout.flow, t >= 1 { row[f] = T(gF[r]) }
            }
            if t >= 1 && t <= lengths[b], let range = layout.backward, let probs = backwardProbs {
                let g = T(gPB[r - B])
                let p = probs + r * range.count
                for j in 0..<range.count { row[range.lowerBound + j] = -g * p[j] }
                row[range.lowerBound + Int(backwardActions[r])] += g
            }
        }
    }

    // MARK: Flow matching

    /// Flow matching with edge flows F(s→s′) = exp(forward logit): at every visited state s ≠ s₀,
    /// log Σ_parents F(p→s) = log(Σ_children F(s→c)) (or log R(s) at a terminal state). The loss
    /// is the mean squared difference; with `computeGradient` it also fills ``gradient``.
    func flowMatching(computeGradient: Bool) -> Double {
        let B = batch, S = env.stateSize, A = env.forwardActionCount, W = env.encodingWidth
        let Bk = env.backwardActionCount
        let width = model.layout.width
        // Every parent of every visited non-initial state.
        parentStates.removeAll(keepingCapacity: true)
        parentActions.removeAll(keepingCapacity: true)
        parentOwners.removeAll(keepingCapacity: true)
        let mask = UnsafeMutablePointer<Bool>.allocate(capacity: Bk)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: S)
        defer { mask.deallocate(); scratch.deallocate() }
        for b in 0..<B {
            for t in 1...lengths[b] {
                let s = states + (t * B + b) * S
                env.backwardMask(UnsafePointer(s), into: mask)
                let first = parentActions.count
                for k in 0..<Bk where mask[k] {
                    scratch.update(from: s, count: S)
                    parentActions.append(env.undo(k, in: scratch))
                    parentStates.append(contentsOf: UnsafeBufferPointer(start: scratch, count: S))
                }
                parentOwners.append((t * B + b, first, parentActions.count - first))
            }
        }
        let parentRows = parentActions.count
        if parentWorkspace == nil || parentWorkspace!.capacity < parentRows {
            parentWorkspace = MLPWorkspace<T>(shape: model.network.shape, capacity: parentRows)
        }
        let pws = parentWorkspace!
        parentStates.withUnsafeBufferPointer { ps in
            for r in 0..<parentRows { env.encode(ps.baseAddress! + r * S, into: pws.inputRow(r, width: W)) }
        }
        let parentOut = model.parameters.withUnsafeBufferPointer {
            model.network.forward(parameters: $0.baseAddress!, workspace: pws, start: 0, rows: parentRows)
        }
        let mainOut = workspace.activations[model.network.layerCount]
        let og = workspace.outputGradient, pog = pws.outputGradient
        if computeGradient {
            og.update(repeating: 0, count: usedRows * width)
            pog.update(repeating: 0, count: parentRows * width)
        }
        let count = Double(parentOwners.count)
        var loss = 0.0
        for o in parentOwners {
            var m = -Double.infinity
            for k in 0..<o.count { m = max(m, Double(parentOut[(o.first + k) * width + parentActions[o.first + k]])) }
            var sum = 0.0
            for k in 0..<o.count { sum += exp(Double(parentOut[(o.first + k) * width + parentActions[o.first + k]]) - m) }
            let inflow = m + log(sum)
            let t = o.row / B, b = o.row % B
            let terminal = t == lengths[b]
            let outflow = terminal ? logR[b] : maskedLogSumExp(mainOut + o.row * width, mask: forwardMasks + o.row * A, count: A)
            let delta = inflow - outflow
            loss += delta * delta / count
            guard computeGradient else { continue }
            let g = 2 * delta / count
            for k in 0..<o.count {
                let idx = (o.first + k) * width + parentActions[o.first + k]
                pog[idx] += T(g * exp(Double(parentOut[idx]) - inflow))
            }
            if !terminal {
                let probs = forwardProbs + o.row * A
                for j in 0..<A { og[o.row * width + j] -= T(g) * probs[j] }
            }
        }
        if computeGradient {
            gradient.withUnsafeMutableBufferPointer { grad in
                grad.update(repeating: 0)
                model.parameters.withUnsafeBufferPointer { p in
                    model.network.backward(parameters: p.baseAddress!, workspace: workspace, rows: usedRows, gradient: grad.baseAddress!)
                    model.network.backward(parameters: p.baseAddress!, workspace: pws, rows: parentRows, gradient: grad.baseAddress!)
                }
            }
        }
        return loss
    }
}
