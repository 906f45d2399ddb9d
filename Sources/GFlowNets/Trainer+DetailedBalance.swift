import Foundation
import GFNCore
import NeuralNet

extension Trainer {
    /// Detailed balance: per transition s_t → s_{t+1} the squared residual
    /// δ = log F(s_t) + log P_F(s_{t+1}|s_t) − log F(s_{t+1}) − log P_B(s_t|s_{t+1}),
    /// with F(s₀) = Z (the log Z parameter) and F(x) = R(x) at the terminal state, averaged over
    /// every transition of the batch. Fills dL/d log P_F, dL/d log P_B and dL/d log F; returns the
    /// loss and dL/d log Z.
    func detailedBalance(logZ: Double) -> (Double, Double) {
        let B = batch
        var loss = 0.0, gLogZ = 0.0
        // Every transition of the whole batch (also on a shard).
        let transitions = Double(wholeBatch?.transitions ?? transitionCount)
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
        return (loss, gLogZ)
    }
}
