import Energies
import Foundation
@testable import GFlowNets
import GFNCore
import NeuralNet
import Settings
import Testing
import TestSupport

/// `--train-workers W`: a step's batch split into W shards, each rolled out and backpropagated on
/// its own thread and stream. (The gradient of the summed loss is checked against finite
/// differences in GradientCheckTests, and training to the exact target in TrainingTests.)
@Suite struct ShardedTrainingTests {
    init() { TestSupport.singleThreadedBLAS() }

    static let energy = try! TabulatedEnergy.random(variables: 4, scale: 1, rng: RandomStream(seed: 8))

    func trainer(objective: Objective, order: ConstructionOrder, workers: Int, batch: Int = 7, seed: UInt64 = 3) throws -> Trainer<SetVariableEnvironment<TabulatedEnergy>, Float> {
        var settings = GFlowNetSettings()
        settings.objective = objective; settings.order = order; settings.backward = order == .any ? .learned : .uniform
        settings.hidden = 16; settings.batch = batch
        settings.trainWorkers = workers > 1 ? workers : nil
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: order), settings: settings, seed: seed)
        return Trainer(model: model, seed: seed)
    }

    /// The batch of 7 is split 3 + 2 + 2, and the whole batch's loss is each shard's own mean
    /// weighted by its share: trajectories for TB and SubTB, transitions for DB (whose mean is
    /// over transitions; the any order's trajectories differ in length, so the two weights differ).
    @Test(arguments: [Objective.tb, .db, .subtb])
    func theLossIsTheWholeBatchMean(_ objective: Objective) throws {
        let t = try trainer(objective: objective, order: .any, workers: 3)
        try t.train(iterations: 5)
        #expect(t.shards.map(\.batch) == [3, 2, 2])
        #expect(t.record.energyEvaluations == 5 * 7)  // every shard's terminal states, counted once
        let (loss, _, _) = t.sampleBatchAndGradient()
        let total = objective == .db ? Double(t.shards.reduce(0) { $0 + $1.transitionCount }) : 7
        var weighted = 0.0
        for s in t.shards {
            let whole = s.wholeBatch
            s.wholeBatch = nil
            let alone = s.balanceObjective().0
            s.wholeBatch = whole
            weighted += alone * (objective == .db ? Double(s.transitionCount) : Double(s.batch)) / total
        }
        #expect(abs(loss - weighted) <= 1e-12 * max(1, abs(loss)), "sharded loss \(loss), weighted shard means \(weighted)")
    }

    /// Same seed, same workers → the same parameters bit for bit, whatever the threads'
    /// scheduling (each shard draws from its own stream and the sums run in shard order); the
    /// shards really are separate (one worker gives other draws).
    @Test func shardedTrainingIsReproducible() throws {
        func trained(_ workers: Int) throws -> ([Float], Double, [Double]) {
            let t = try trainer(objective: .tb, order: .any, workers: workers, batch: 16)
            try t.train(iterations: 30)
            return (t.model.parameters, t.model.logZ, t.record.steps.map(\.loss))
        }
        let first = try trained(2)
        for _ in 0..<3 {
            let again = try trained(2)
            #expect(again.0 == first.0 && again.1 == first.1 && again.2 == first.2)
        }
        #expect(try trained(1).2 != first.2)
    }

    /// Shard 0 draws from the unsharded training stream, the others from their own.
    @Test func shardStreamsAreDistinct() {
        let streams = (0..<64).map(StreamPlan.gfnTrainingShard)
        #expect(streams[0] == StreamPlan.gfnTraining)
        #expect(Set(streams).count == 64)
        let others: Set<UInt64> = [StreamPlan.gfnInitialisation, StreamPlan.gfnSampling, StreamPlan.gfnImportanceSampling, StreamPlan.gfnEubo,
                                   StreamPlan.gfnMHChain(0), StreamPlan.gfnMHProposals(0), StreamPlan.referenceEstimate]
        #expect(Set(streams.dropFirst()).isDisjoint(with: others))
    }

    /// Workers beyond the batch, outside 1–64, or with flow matching are refused, naming the flag.
    @Test func badWorkerCountsAreRefused() {
        for (workers, batch, objective) in [(0, 8, Objective.tb), (65, 128, .tb), (9, 8, .tb), (2, 8, .fm)] {
            var s = GFlowNetSettings()
            s.trainWorkers = workers; s.batch = batch; s.objective = objective
            #expect(throws: GFNError.self) { try s.validate() }
            do { try s.validate() } catch { #expect("\(error)".contains("--train-workers")) }
        }
        #expect(GFlowNetSettings.defaultTrainWorkers(objective: .fm, batch: 128) == nil)
        #expect(GFlowNetSettings.defaultTrainWorkers(objective: .tb, batch: 1) == nil)
        #expect(GFlowNetSettings.defaultTrainWorkers(objective: .subtb, batch: 128) == 2)
    }
}
