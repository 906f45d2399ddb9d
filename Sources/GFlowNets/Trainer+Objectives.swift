import Dispatch
import Foundation
import GFNCore
import NeuralNet

/// The objectives a ``Trainer`` evaluates on a rolled-out batch: the balance objectives'
/// dispatch (trajectory balance and VarGrad, detailed balance and sub-trajectory balance have a
/// file each), the forward-looking flows, the output gradient, and flow matching.
extension Trainer {
    // MARK: Balance objectives (TB, DB, SubTB)

    /// The balance objective of the settings (trajectory balance and VarGrad, detailed balance,
    /// sub-trajectory balance; each in its own file): the loss, the per-step gradients
    /// dL/d(log P_F), dL/d(log P_B), dL/d(log F), and dL/d log Z, with the forward-looking
    /// flows' share of dL/d log Z added.
    func balanceObjective() -> (Double, Double) {
        let B = batch
        let logZ = model.logZ
        var loss = 0.0, gLogZ = 0.0
        for r in 0..<usedRows { gPF[r] = 0; gPB[r] = 0; gF[r] = 0 }
        switch model.settings.objective {
        case .tb, .vargrad: (loss, gLogZ) = trajectoryBalance(logZ: logZ)
        case .db: (loss, gLogZ) = detailedBalance(logZ: logZ)
        case .subtb: (loss, gLogZ) = subTrajectoryBalance(logZ: logZ)
        case .fm: break
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
        // P_B in its own network: its gradient rows, 0..<backwardRows.
        let ownOG = backwardWorkspace?.outputGradient
        if let ownOG, let range = layout.backward { ownOG.update(repeating: 0, count: backwardRows * range.count) }
        for r in 0..<(ownOG == nil ? usedRows : backwardRows) {
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
                let logits = ownOG.map { $0 + r * range.count } ?? row + range.lowerBound
                for j in 0..<range.count { logits[j] = -g * p[j] }
                logits[Int(backwardActions[r])] += g
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
