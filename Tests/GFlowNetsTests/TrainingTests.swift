import Energies
import Exact
import Foundation
@testable import GFlowNets
import GFNCore
import NeuralNet
import Settings
import Testing
import TestSupport

/// Training on a 4-variable model with a random energy: every objective reaches a near-zero
/// loss and an exact P_T within TV 0.01 of the target (P_T computed exactly, so no sampling
/// noise enters; the seeds are fixed, so each case is deterministic).
@Suite struct TrainingTests {
    init() { TestSupport.singleThreadedBLAS() }
    struct Case: CustomStringConvertible, Sendable {
        let objective: Objective
        let order: ConstructionOrder
        var workers = 1
        /// A learned P_B in a network of its own (`--backward-network separate`).
        var separateBackward = false
        var description: String { "\(objective.rawValue)/\(order.rawValue)\(workers > 1 ? "/\(workers) workers" : "")\(separateBackward ? "/P_B in its own network" : "")" }
    }
    // Sharded training (`--train-workers 2`) reaches the same bar, and so does a learned P_B in a
    // network of its own.
    static let cases = Objective.allCases.flatMap { [Case(objective: $0, order: .fixed), Case(objective: $0, order: .any)] }
        + [Case(objective: .tb, order: .any, workers: 2), Case(objective: .db, order: .fixed, workers: 2), Case(objective: .subtb, order: .fixed, workers: 2)]
        + [Case(objective: .tb, order: .any, separateBackward: true), Case(objective: .subtb, order: .any, workers: 2, separateBackward: true)]

    static let energy = try! TabulatedEnergy.random(variables: 4, scale: 1, rng: RandomStream(seed: 8))

    @Test(arguments: cases) func objectiveConvergesToTheTarget(_ c: Case) throws {
        var settings = GFlowNetSettings()
        settings.objective = c.objective; settings.order = c.order
        settings.hidden = 32; settings.batch = 16
        settings.learningRate = c.order == .any ? 3e-3 : 1e-3
        settings.trainWorkers = c.workers > 1 ? c.workers : nil
        if c.separateBackward { settings.backward = .learned; settings.backwardNetwork = .separate }
        let iterations = c.order == .any ? 3000 : 2000
        let env = SetVariableEnvironment(energy: Self.energy, beta: 1, order: c.order)
        let model = try GFlowNet(environment: env, settings: settings, seed: 1)
        let trainer = Trainer(model: model, seed: 1)
        try trainer.train(iterations: iterations)
        let exact = try Enumerator.enumerate(Self.energy, beta: 1, storeEnergies: true)
        let target = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        let pt = try ModelDistribution.exact(model).map { exp($0) }
        let tv = 0.5 * zip(pt, target).map { abs($0 - $1) }.reduce(0, +)
        let firstLoss = trainer.record.steps.prefix(20).map(\.loss).reduce(0, +) / 20
        let lastLoss = trainer.record.steps.suffix(50).map(\.loss).reduce(0, +) / 50
        #expect(tv <= 0.01, "\(c): TV \(tv)")
        #expect(lastLoss < 0.01 && lastLoss < firstLoss / 50, "\(c): loss \(firstLoss) → \(lastLoss)")
        #expect(abs(model.learnedLogZ() - exact.logZ) < 0.05, "\(c): log Z \(model.learnedLogZ()) vs \(exact.logZ)")
        #expect(trainer.record.energyEvaluations == iterations * settings.batch)
    }

    /// 3×3 periodic Ising at β = 0.3: the learned log Z is within 0.05 of the exact value.
    /// At temperature 1 the rollout scores the sampled rows itself (one exp per logit instead of
    /// two); its log P_F and forward probabilities are bit-identical to scoring them afresh, with
    /// exploration (ε) and without, in both orders, with a learned backward policy too.
    @Test(arguments: [(ConstructionOrder.fixed, BackwardPolicy.uniform, 0.05), (.any, .learned, 0.05), (.any, .uniform, 0.0)])
    func rolloutScoringIsBitIdenticalToScoringAfresh(_ c: (ConstructionOrder, BackwardPolicy, Double)) throws {
        var settings = GFlowNetSettings()
        settings.order = c.0; settings.backward = c.1; settings.epsilon = c.2
        settings.hidden = 32; settings.batch = 16
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: c.0), settings: settings, seed: 4)
        let trainer = Trainer(model: model, seed: 4)
        try trainer.train(iterations: 20)  // a policy that is not uniform
        trainer.rollout()
        #expect(trainer.forwardScoredInRollout)
        let A = model.environment.forwardActionCount, rows = trainer.usedRows
        let cachedLogPF = Array(UnsafeBufferPointer(start: trainer.logPF, count: rows))
        let cachedProbs = Array(UnsafeBufferPointer(start: trainer.forwardProbs, count: rows * A))
        trainer.forwardScoredInRollout = false
        trainer.logPF.update(repeating: .nan, count: rows)
        trainer.forwardProbs.update(repeating: .nan, count: rows * A)
        trainer.scoreRows()
        var scored = 0
        for r in 0..<rows where r / settings.batch < trainer.lengths[r % settings.batch] {
            scored += 1
            #expect(trainer.logPF[r].bitPattern == cachedLogPF[r].bitPattern, "row \(r)")
            for j in 0..<A { #expect(trainer.forwardProbs[r * A + j].bitPattern == cachedProbs[r * A + j].bitPattern) }
        }
        #expect(scored == settings.batch * 4)  // every trajectory sets 4 variables
    }

    @Test func learnedLogZOn3x3IsingIsExact() throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        var settings = GFlowNetSettings()
        settings.hidden = 64; settings.batch = 32
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: ising, beta: 0.3, order: .fixed), settings: settings, seed: 3)
        try Trainer(model: model, seed: 3).train(iterations: 1500)
        let exact = try Enumerator.enumerate(ising, beta: 0.3)
        #expect(abs(model.logZ - exact.logZ) < 0.05, "log Z \(model.logZ) vs \(exact.logZ)")
    }

    /// `--log-z-start batch`: before the first update log Z is the first batch's mean of
    /// ζ = log R + Σ log P_B − Σ log P_F. On 3×3 Ising at β = 0.3 a near-uniform policy's ζ has
    /// mean −β⟨E⟩_uniform + 9 ln 2 ≈ 6.24 against the exact 7.35, with a batch-mean sd of about
    /// sd(β·E)/√64 ≈ 0.1; so after one step (log Z's own rate ~0) it is within 2 of exact,
    /// while a start at 0 is still ~7 off. VarGrad reports the same batch mean every step.
    @Test func logZStartsFromTheFirstBatchWhenAsked() throws {
        let ising = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let exact = try Enumerator.enumerate(ising, beta: 0.3).logZ
        func afterOneStep(_ start: LogZStart?, _ objective: Objective = .tb) throws -> Double {
            var settings = GFlowNetSettings()
            settings.hidden = 16; settings.batch = 64; settings.learningRateLogZ = 1e-9
            settings.logZStart = start; settings.objective = objective
            let model = try GFlowNet(environment: SetVariableEnvironment(energy: ising, beta: 0.3, order: .fixed), settings: settings, seed: 4)
            try Trainer(model: model, seed: 4).train(iterations: 1)
            return model.learnedLogZ()
        }
        #expect(abs(try afterOneStep(.batch) - exact) < 2)
        #expect(abs(try afterOneStep(nil)) < 1e-6)
        #expect(abs(try afterOneStep(nil, .vargrad) - exact) < 2)
    }

    /// `--anneal F`: log R is scaled by min(1, (step + 1)/(F·iterations)) — β ramps linearly up
    /// to its target — and the recorded rewards show it: with F = 1 and 10 iterations the first
    /// step's log R is a tenth of the untempered one for the same trajectories (same seeds).
    @Test func annealingRampsTheRewardUpToTheTarget() throws {
        func firstLogR(_ anneal: Double?) throws -> [Double] {
            var settings = GFlowNetSettings()
            settings.hidden = 8; settings.batch = 8; settings.iterations = 10; settings.annealFraction = anneal
            let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: .fixed), settings: settings, seed: 2)
            let trainer = Trainer(model: model, seed: 2)
            #expect(trainer.rewardScale == (anneal == nil ? 1 : 0.1))
            trainer.rollout()
            return (0..<8).map { trainer.logR[$0] }
        }
        let plain = try firstLogR(nil), tempered = try firstLogR(1)
        #expect(zip(plain, tempered).allSatisfy { abs($0 * 0.1 - $1) < 1e-12 }, "\(plain) vs \(tempered)")
        var settings = GFlowNetSettings()
        settings.hidden = 8; settings.batch = 8; settings.iterations = 10; settings.annealFraction = 0.5
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: .fixed), settings: settings, seed: 2)
        let trainer = Trainer(model: model, seed: 2)
        try trainer.train(iterations: 4)
        #expect(abs(trainer.rewardScale - 1) < 1e-12, "after 4 of the 5 ramp steps the 5th uses β itself")
    }

    /// `--lr-schedule cosine`: the factor is 1 at the first step, 0.01 at the last, decreasing in
    /// between; the first Adam step moves log Z by lr-logz (Adam's first step is ±rate) and the
    /// last by at most a few hundredths of it.
    @Test func cosineScheduleDecaysBothRatesToAHundredth() throws {
        var settings = GFlowNetSettings()
        settings.iterations = 11
        #expect(settings.learningRateFactor(iteration: 5) == 1)
        settings.learningRateSchedule = .cosine
        let factors = (0..<11).map { settings.learningRateFactor(iteration: $0) }
        #expect(abs(factors[0] - 1) < 1e-12 && abs(factors[10] - 0.01) < 1e-12 && abs(factors[5] - 0.505) < 1e-12)
        #expect(zip(factors, factors.dropFirst()).allSatisfy { $0 > $1 })
        func logZSteps(_ schedule: LearningRateSchedule?) throws -> (first: Double, last: Double) {
            var g = GFlowNetSettings()
            g.hidden = 8; g.batch = 8; g.iterations = 11; g.learningRateLogZ = 0.5; g.learningRateSchedule = schedule
            let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: .fixed), settings: g, seed: 2)
            let trainer = Trainer(model: model, seed: 2)
            try trainer.train(iterations: 1)
            let first = abs(model.logZ)
            try trainer.train(iterations: 9)
            let before = model.logZ
            try trainer.train(iterations: 1)
            return (first, abs(model.logZ - before))
        }
        let constant = try logZSteps(nil), cosine = try logZSteps(.cosine)  // the same first step
        #expect(abs(cosine.first - 0.5) < 1e-6 && abs(constant.first - 0.5) < 1e-6)
        // Adam's step is rate·m̂/√v̂, and |m̂|/√v̂ ≤ (1 − β₁)/√(1 − β₂) ≈ 3.2 after a change of sign.
        #expect(cosine.last <= 0.01 * 0.5 * 3.2, "the last cosine step \(cosine.last) should be about 0.005")
    }

    @Test func absurdLearningRateStopsWithTheNonFiniteMessage() throws {
        var settings = GFlowNetSettings()
        settings.hidden = 16; settings.batch = 8; settings.learningRate = 1e30; settings.learningRateLogZ = 1e30
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: Self.energy, beta: 1, order: .fixed), settings: settings, seed: 1)
        do {
            try Trainer(model: model, seed: 1).train(iterations: 50)
            Issue.record("training with lr 1e30 should have stopped")
        } catch let GFNError.runtime(message) {
            #expect(message.contains("training diverged at iteration"))
            #expect(message.contains("--lr"))
        }
    }

    @Test func settingsAreValidatedWithMessagesNamingTheFlag() {
        var s = GFlowNetSettings(); s.hidden = 0
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.learningRate = .nan
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.epsilon = 2
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.backward = .learned  // with the fixed order
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.head = .perStep; s.order = .any
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.head = .perStep; s.objective = .fm
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.forwardLooking = true  // with TB
        #expect(throws: GFNError.self) { try s.validate() }
        s = GFlowNetSettings(); s.forwardLooking = true; s.objective = .subtb; s.order = .any
        #expect(throws: GFNError.self) { try s.validate() }
    }

    /// The per-step head (one output block per variable, one hidden layer) learns the 4-variable
    /// random target of `objectiveConvergesToTheTarget` to the same tolerances, with TB and VarGrad,
    /// and its exact P_T sums to one.
    /// Forward-looking flows (DB, SubTB) converge too: the split of log R over the steps changes
    /// what the flow head learns, not the fixed point of the balance conditions.
    @Test(arguments: [(Objective.tb, false), (.vargrad, false), (.subtb, false), (.db, true), (.subtb, true)])
    func perStepHeadConvergesToTheTarget(_ c: (Objective, Bool)) throws {
        let objective = c.0
        var settings = GFlowNetSettings()
        settings.objective = objective; settings.head = .perStep; settings.layers = 1
        settings.forwardLooking = c.1 ? true : nil
        settings.hidden = 32; settings.batch = 16; settings.learningRate = 3e-3
        let env = SetVariableEnvironment(energy: Self.energy, beta: 1, order: .fixed)
        let model = try GFlowNet(environment: env, settings: settings, seed: 1)
        #expect(model.network.shape.outputGroups == 4)
        let trainer = Trainer(model: model, seed: 1)
        try trainer.train(iterations: 3000)
        let exact = try Enumerator.enumerate(Self.energy, beta: 1, storeEnergies: true)
        let target = exact.energies!.map { exp(exact.logProbability(energy: $0)) }
        let pt = try ModelDistribution.exact(model).map { exp($0) }
        #expect(abs(pt.reduce(0, +) - 1) < 1e-9)
        let tv = 0.5 * zip(pt, target).map { abs($0 - $1) }.reduce(0, +)
        #expect(tv <= 0.01, "\(c): TV \(tv)")
        #expect(abs(model.learnedLogZ() - exact.logZ) < 0.05, "\(c): log Z \(model.learnedLogZ()) vs \(exact.logZ)")
    }
}

@Suite struct ModelDistributionTests {
    init() { TestSupport.singleThreadedBLAS() }
    static let energy = try! TabulatedEnergy.random(variables: 5, scale: 1.5, rng: RandomStream(seed: 12))

    static func untrained(order: ConstructionOrder, backward: BackwardPolicy = .uniform, head: PolicyHead = .shared,
                          backwardNetwork: BackwardNetwork? = nil) throws -> GFlowNet<SetVariableEnvironment<TabulatedEnergy>> {
        var settings = GFlowNetSettings()
        settings.order = order; settings.backward = backward; settings.hidden = 16; settings.backwardNetwork = backwardNetwork
        if head == .perStep { settings.head = head; settings.layers = 1 }
        let model = try GFlowNet(environment: SetVariableEnvironment(energy: energy, beta: 1, order: order), settings: settings, seed: 4)
        // A far-from-uniform policy, so the checks are not trivial.
        let rng = RandomStream(seed: 5)
        for i in model.parameters.indices { model.parameters[i] += Float(0.3 * rng.gaussian()) }
        return model
    }

    @Test func fixedOrderSumsToOne() throws {
        let logPT = try ModelDistribution.exact(try Self.untrained(order: .fixed))
        #expect(abs(logPT.map { exp($0) }.reduce(0, +) - 1) < 1e-9)
        #expect(logPT.count == 32)
    }

    @Test(arguments: [(BackwardPolicy.uniform, BackwardNetwork?.none), (.learned, nil), (.learned, .separate)])
    func anyOrderSumsToOneAndAgreesWithImportanceSampling(_ c: (BackwardPolicy, BackwardNetwork?)) throws {
        let model = try Self.untrained(order: .any, backward: c.0, backwardNetwork: c.1)
        let logPT = try ModelDistribution.exact(model)
        #expect(abs(logPT.map { exp($0) }.reduce(0, +) - 1) < 1e-9)
        // The IS estimate is within 4 of its standard errors of the exact value for every x
        // (P_B's choice does not bias it: any P_B with full support gives an unbiased P_T).
        for key in [0, 7, 19, 31] {
            let x = (0..<5).map { Int32((key >> $0) & 1) }
            let (estimate, se) = ModelDistribution.importanceEstimate(model, terminal: x, trajectories: 2000, seed: UInt64(key))
            #expect(se > 0 && se < 0.1)
            #expect(abs(estimate - logPT[key]) < 4 * se + 1e-9, "x = \(key): \(estimate) ± \(se) vs \(logPT[key])")
        }
    }

    /// The sampler's importance weights, whether P_B is uniform, a head on the trunk or a network
    /// of its own: over 40,000 draws of a far-from-uniform policy, the mean of R(x)·P_B(τ|x)/P_F(τ)
    /// (unbiased for Z whenever P_B is a distribution over each state's parents, so this checks
    /// normalisation, not which logits were read: see the next test) is within 4 of its
    /// delta-method standard errors of the exact Z.
    @Test(arguments: [(BackwardPolicy.uniform, BackwardNetwork?.none), (.learned, nil), (.learned, .separate)])
    func samplerImportanceWeightsEstimateZ(_ c: (BackwardPolicy, BackwardNetwork?)) throws {
        let model = try Self.untrained(order: .any, backward: c.0, backwardNetwork: c.1)
        let exact = try Enumerator.enumerate(Self.energy, beta: 1, storeEnergies: true)
        let samples = GFlowNetSampler.sample(model, count: 40_000, seed: 7, batch: 256)
        let logW = samples.keys.indices.map { -exact.energies![Int(samples.keys[$0])] + samples.logPB[$0] - samples.logPF[$0] }
        let estimate = LogSpace.logMeanExp(logW)
        let rel = logW.map { exp($0 - estimate) }
        let se = (rel.reduce(0) { $0 + ($1 - 1) * ($1 - 1) } / Double(rel.count - 1) / Double(rel.count)).squareRoot()
        #expect(se > 0 && se < 0.05)
        #expect(abs(estimate - exact.logZ) < 4 * se, "\(c): \(estimate) ± \(se) against \(exact.logZ)")
    }

    /// Which logits P_B reads: the trainer's rollout and the sampler, on the same stream at
    /// temperature 1 with no exploration, draw the same trajectories (the same draws in the same
    /// order), and both give each one the log P_F and log P_B that an independent pass gives: every
    /// state of the trajectory encoded afresh, one dense forward pass of the network P_B sits in
    /// (the trunk's head or its own network), log-softmax over the state's parents. Float
    /// networks, tolerance 1e-4 on sums of ≤ 5 log-probabilities (products of different heights
    /// round differently).
    @Test(arguments: [BackwardNetwork?.none, .separate]) func trainerAndSamplerScoreTrajectoriesAsAnIndependentPassDoes(_ network: BackwardNetwork?) throws {
        let model = try Self.untrained(order: .any, backward: .learned, backwardNetwork: network)
        var settings = model.settings
        settings.epsilon = 0; settings.batch = 16
        let m = try GFlowNet(environment: model.environment, settings: settings, parameters: model.parameters, logZ: 0)
        let trainer = Trainer(model: m, seed: 5)
        trainer.rollout(); trainer.scoreRows()
        var drawn: [(state: [Int32], pf: Double, pb: Double)] = []
        GFlowNetSampler.forEachSample(m, count: 16, rng: RandomStream(seed: 5, stream: GFlowNetStreams.training), batch: 16) { s, pf, pb in
            drawn.append((Array(UnsafeBufferPointer(start: s, count: m.environment.stateSize)), pf, pb))
        }
        let env = m.environment, S = env.stateSize, B = 16, Bk = env.backwardActionCount, range = m.layout.backward!
        let net = m.backwardNetwork ?? m.network
        let ws = MLPWorkspace<Float>(shape: net.shape, capacity: 1)
        var mask = [Bool](repeating: false, count: Bk)
        for b in 0..<B {
            let n = trainer.lengths[b]
            var pf = 0.0, pb = 0.0, independentPB = 0.0
            for t in 0..<n { pf += trainer.logPF[t * B + b]; pb += trainer.logPB[t * B + b] }
            for t in 1...n {
                let s = UnsafePointer(trainer.states + (t * B + b) * S)
                env.encode(s, into: ws.inputRow(0, width: env.encodingWidth))
                let out = m.parameters.withUnsafeBufferPointer { p in
                    net.forward(parameters: p.baseAddress! + (m.backwardNetwork == nil ? 0 : m.backwardParameterOffset), workspace: ws, start: 0, rows: 1)
                } + (m.layout.backwardInOwnNetwork ? 0 : range.lowerBound)
                mask.withUnsafeMutableBufferPointer { env.backwardMask(s, into: $0.baseAddress!) }
                let pick = env.backwardAction(undoing: Int(trainer.actions[(t - 1) * B + b]), in: s)
                var top = -Double.infinity
                for j in 0..<Bk where mask[j] { top = max(top, Double(out[j])) }
                var total = 0.0
                for j in 0..<Bk where mask[j] { total += exp(Double(out[j]) - top) }
                independentPB += Double(out[pick]) - top - log(total)
            }
            let terminal = Array(UnsafeBufferPointer(start: trainer.states + (n * B + b) * S, count: S))
            #expect(drawn[b].state == terminal, "trajectory \(b): the sampler drew another x")
            #expect(abs(pb - independentPB) < 1e-4, "trajectory \(b): the trainer's log P_B \(pb), an independent pass \(independentPB)")
            #expect(abs(drawn[b].pb - independentPB) < 1e-4, "trajectory \(b): the sampler's log P_B \(drawn[b].pb), an independent pass \(independentPB)")
            #expect(abs(drawn[b].pf - pf) < 1e-4, "trajectory \(b): the sampler's log P_F \(drawn[b].pf), the trainer's \(pf)")
        }
    }

    /// 40,000 draws (seed 3) against the exact P_T: each frequency has sd ≤ sqrt(p(1−p)/N);
    /// tolerance 5 sd per state. Returns the draws.
    @discardableResult
    static func expectDrawsFollow(_ model: GFlowNet<SetVariableEnvironment<TabulatedEnergy>>, _ pt: [Double]) -> GFlowNetSamples {
        let n = 40_000
        let samples = GFlowNetSampler.sample(model, count: n, seed: 3, batch: 256)
        var counts = [Int](repeating: 0, count: pt.count)
        for k in samples.keys { counts[Int(k)] += 1 }
        for k in pt.indices {
            let sd = (pt[k] * (1 - pt[k]) / Double(n)).squareRoot()
            #expect(abs(Double(counts[k]) / Double(n) - pt[k]) <= 5 * sd + 1e-12, "state \(k)")
        }
        return samples
    }

    /// Both heads: the sampler, the exact P_T and the backward scorer read the same output block
    /// at each step (a per-step head read at the wrong step would fail the frequencies).
    @Test(arguments: [PolicyHead.shared, .perStep]) func samplerFollowsTheExactModelDistribution(_ head: PolicyHead) throws {
        let model = try Self.untrained(order: .fixed, head: head)
        let pt = try ModelDistribution.exact(model).map { exp($0) }
        let samples = Self.expectDrawsFollow(model, pt)
        // Each sample's log P_F is its exact log P_T (fixed order: one path per x).
        for (k, lp) in zip(samples.keys.prefix(100), samples.logPF.prefix(100)) { #expect(abs(lp - log(pt[Int(k)])) < 1e-4) }
        // The backward scorer gives the same log P_T (fixed order: one path, P_B = 1).
        for key in [0, 9, 31] {
            let x = (0..<5).map { Int32((key >> $0) & 1) }
            let (estimate, _) = ModelDistribution.importanceEstimate(model, terminal: x, trajectories: 1, seed: 1)
            #expect(abs(estimate - log(pt[key])) < 1e-4, "x = \(key)")
        }
    }
}

extension ModelDistributionTests {
    /// The spin-flip mixture of a far-from-symmetric policy q: its exact P_T is ½·q(x) + ½·q(x̄)
    /// for every x, its draws follow it (40,000 draws, 5 sd per state, as above), each draw's
    /// log P_F − log P_B is its exact log P_T, and the backward scorer returns the same.
    @Test(arguments: [PolicyHead.shared, .perStep]) func spinFlipMixtureSamplesAndScoresTheMixture(_ head: PolicyHead) throws {
        let policy = try Self.untrained(order: .fixed, head: head)
        var settings = policy.settings
        settings.spinFlipMixture = true
        let mixed = try GFlowNet(environment: policy.environment, settings: settings, parameters: policy.parameters, logZ: 0)
        let q = try ModelDistribution.exact(policy).map { exp($0) }
        let pt = try ModelDistribution.exact(mixed).map { exp($0) }
        #expect((0..<32).contains { abs(q[$0] - q[31 - $0]) > 0.01 }, "the policy should not be symmetric already")
        for k in 0..<32 { #expect(abs(pt[k] - 0.5 * (q[k] + q[31 - k])) < 1e-12, "state \(k)") }
        #expect(abs(pt.reduce(0, +) - 1) < 1e-9)
        let samples = Self.expectDrawsFollow(mixed, pt)
        for i in 0..<200 { #expect(abs(samples.logPF[i] - samples.logPB[i] - log(pt[Int(samples.keys[i])])) < 1e-4) }
        for key in [0, 9, 22, 31] {
            let x = (0..<5).map { Int32((key >> $0) & 1) }
            let (estimate, _) = ModelDistribution.importanceEstimate(mixed, terminal: x, trajectories: 1, seed: 1)
            #expect(abs(estimate - log(pt[key])) < 1e-4, "x = \(key)")
        }
    }
}

@Suite struct SavedModelTests {
    init() { TestSupport.singleThreadedBLAS() }
    @Test(arguments: [BackwardNetwork?.none, .separate]) func saveLoadSampleGivesTheSameSamples(_ backwardNetwork: BackwardNetwork?) throws {
        let energy = try TabulatedEnergy.random(variables: 4, rng: RandomStream(seed: 1))
        let env = SetVariableEnvironment(energy: energy, beta: 1, order: .any)
        var settings = GFlowNetSettings(); settings.order = .any; settings.backward = .learned; settings.hidden = 16; settings.batch = 8
        settings.backwardNetwork = backwardNetwork
        let model = try GFlowNet(environment: env, settings: settings, seed: 6)
        let trainer = Trainer(model: model, seed: 6)
        try trainer.train(iterations: 30)
        let direct = GFlowNetSampler.sample(model, count: 500, seed: 9)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gfn-model-\(UUID().uuidString).json")
        let target = ["energy": "tabulated", "beta": "1"]
        try SavedModel(model: model, target: target, seed: 6, training: trainer.record, toolVersion: "test").write(to: url)
        let saved = try SavedModel.read(from: url, expecting: target)
        let loaded = try GFlowNet(environment: env, settings: saved.settings, parameters: try saved.decodedParameters(), logZ: saved.logZ)
        #expect(loaded.parameters == model.parameters)
        #expect(loaded.logZ == model.logZ)
        let again = GFlowNetSampler.sample(loaded, count: 500, seed: 9)
        #expect(again.keys == direct.keys)
        #expect(again.logPF == direct.logPF)
        #expect(again.logPB == direct.logPB)
        #expect(saved.training == trainer.record)
        // A different target is refused, naming what differs.
        do {
            _ = try SavedModel.read(from: url, expecting: ["energy": "tabulated", "beta": "2"])
            Issue.record("a model for another β must be refused")
        } catch let GFNError.invalidInput(message) {
            #expect(message.contains("beta is 1 in the model but 2 here"))
        }
        // A corrupt file is refused.
        try Data("{\"format\": 1".utf8).write(to: url)
        #expect(throws: GFNError.self) { try SavedModel.read(from: url, expecting: target) }
    }
}
