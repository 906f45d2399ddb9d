import Foundation
import GFNCore
import NeuralNet

extension Trainer {
    /// Trajectory balance: the squared residual per trajectory,
    /// δ_b = log Z + Σ_t log P_F(s_{t+1}|s_t) − log R(x_b) − Σ_t log P_B(s_t|s_{t+1}),
    /// averaged over the batch. VarGrad (log-partition variance) replaces log Z by the batch
    /// mean ẑ of ζ_b = log R + Σ log P_B − Σ log P_F: the loss is then the batch variance of ζ
    /// and has no learned scalar (ẑ is written into log Z as its estimate).
    /// Fills dL/d log P_F and dL/d log P_B per step; returns the loss and dL/d log Z.
    func trajectoryBalance(logZ: Double) -> (Double, Double) {
        let B = batch
        var loss = 0.0, gLogZ = 0.0
        // VarGrad: log Z is the batch mean of ζ_b = log R + Σ log P_B − Σ log P_F; the
        // variance's gradient w.r.t. ζ_b is 2(ζ_b − ẑ)/B (the mean's own term sums to 0).
        var zHat = 0.0
        if model.settings.objective == .vargrad {
            if let mean = wholeBatch?.varGradMean {
                zHat = mean  // a shard: the whole batch's mean, which its owner wrote into log Z
            } else {
                zHat = batchMeanZeta()
                model.logZ = zHat
            }
        }
        let logZUsed = model.settings.objective == .vargrad ? zHat : logZ
        for b in 0..<B {
            var delta = logZUsed - logR[b]
            for t in 0..<lengths[b] { delta += logPF[t * B + b] - logPB[t * B + b] }
            loss += delta * delta / Double(batchTrajectories)
            let g = 2 * delta / Double(batchTrajectories)
            for t in 0..<lengths[b] { gPF[t * B + b] = g; gPB[t * B + b] = -g }
            gLogZ += g
        }
        if model.settings.objective == .vargrad { gLogZ = 0 }  // no learned scalar
        return (loss, gLogZ)
    }

    /// The batch mean of ζ = log R + Σ log P_B − Σ log P_F: an ELBO-type estimate of log Z
    /// on-policy (VarGrad's log Z, and `--log-z-start batch`'s starting value). On a shard, its
    /// share of the whole batch's mean (its ζ's over the whole batch's count).
    func batchMeanZeta() -> Double {
        let B = batch
        var mean = 0.0
        for b in 0..<B {
            var zeta = logR[b]
            for t in 0..<lengths[b] { zeta += logPB[t * B + b] - logPF[t * B + b] }
            mean += zeta / Double(batchTrajectories)
        }
        return mean
    }
}
