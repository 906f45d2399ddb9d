import Foundation
import GFNCore
import NeuralNet

extension Trainer {
    /// Sub-trajectory balance: for every sub-trajectory s_i … s_j of a trajectory, the squared
    /// residual δ_ij = log F(s_i) + Σ_{i≤k<j} (log P_F − log P_B) − log F(s_j), weighted by
    /// λ^(j−i) normalised over the trajectory's sub-trajectories, averaged over the batch
    /// (F(s₀) = Z, F(x) = R(x)). Fills dL/d log P_F, dL/d log P_B and dL/d log F; returns the
    /// loss and dL/d log Z.
    func subTrajectoryBalance(logZ: Double) -> (Double, Double) {
        let B = batch
        var loss = 0.0, gLogZ = 0.0
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
                        let scaled = w / totalWeight / Double(batchTrajectories)
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
        return (loss, gLogZ)
    }
}
