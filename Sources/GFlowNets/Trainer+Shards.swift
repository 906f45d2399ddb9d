import Dispatch
import GFNCore
import NeuralNet

/// Training workers: a step's batch split into shards, each rolled out, scored and
/// backpropagated on its own thread (see ``Trainer``).
extension Trainer {
    /// Runs `body` on every shard, concurrently, with single-threaded BLAS in each.
    func onEveryShard(_ body: (Trainer) -> Void) {
        let shards = UncheckedSendable(self.shards)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: shards.value.count) { work.value(shards.value[$0]) }
        }
    }

    /// One sharded step's loss and gradient: every shard rolls out and scores its trajectories;
    /// the whole batch's normalisers (transitions, the mean of ζ) are summed from the shards; every
    /// shard evaluates the objective and backpropagates; losses and gradients are summed in shard order.
    func shardedLossAndGradient() -> Double {
        // Each shard's products on its own thread; OpenBLAS's thread count is process-wide, so
        // it is put back as it was (not to the settings' value: a caller may have chosen 1).
        let blasThreads = BLASThreads.current
        if blasThreads != 1 { BLASThreads.set(1) }
        defer { if blasThreads != 1 { BLASThreads.set(blasThreads) } }
        for s in shards { s.wholeBatch = WholeBatch(trajectories: batch, iteration: record.steps.count) }
        onEveryShard { $0.rollout(); $0.scoreRows() }
        return combineShards(training: true)
    }

    /// The serial middle and the concurrent end of a sharded step, on scored shards (`training`:
    /// also the log Z start and the backward pass).
    func combineShards(training: Bool) -> Double {
        // Only DB averages over transitions; only VarGrad and the log Z start need the batch mean
        // of ζ (each shard's share of it: its ζ's divided by the whole batch's count, summed).
        let transitions = model.settings.objective == .db ? shards.reduce(0) { $0 + $1.transitionCount } : 0
        let varGrad = model.settings.objective == .vargrad, starts = training && startsLogZ
        if varGrad || starts {
            let meanZeta = shards.reduce(0.0) { $0 + $1.batchMeanZeta() }
            if starts { startLogZ(at: meanZeta) }
            if varGrad { model.logZ = meanZeta }
        }
        for s in shards {
            s.wholeBatch?.transitions = transitions
            s.wholeBatch?.varGradMean = varGrad ? model.logZ : nil
        }
        onEveryShard { s in s.shardLoss = training ? s.objectiveAndGradient() : s.balanceObjective().0 }
        var loss = 0.0
        for s in shards { loss += s.shardLoss }
        guard training else { return loss }
        logZGradient = 0
        gradient.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            for s in shards {
                logZGradient += s.logZGradient
                s.gradient.withUnsafeBufferPointer { T.add($0.baseAddress!, to: g.baseAddress!, count: g.count) }
            }
        }
        for s in shards { record.energyEvaluations += s.record.energyEvaluations; s.record.energyEvaluations = 0 }
        return loss
    }

    /// Transitions in this trainer's rolled-out trajectories.
    var transitionCount: Int { (0..<batch).reduce(0) { $0 + lengths[$1] } }
}

