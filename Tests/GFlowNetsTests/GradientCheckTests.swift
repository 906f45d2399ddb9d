import Energies
import GFlowNets
import GFNCore
import NeuralNet
import Settings
import Testing
import TestSupport

@Suite struct GradientCheckTests {
    init() { TestSupport.singleThreadedBLAS() }
    struct Case: CustomStringConvertible, Sendable {
        let objective: Objective
        let order: ConstructionOrder
        let backward: BackwardPolicy
        var head: PolicyHead = .shared
        var layers = 2
        var forwardLooking = false
        /// The patch input (`--policy-input patch`, radius 1) on a 2×3 Ising torus instead of the one-hot one.
        var patch = false
        /// Training workers (`--train-workers`): the batch of 3 split into shards of 2 and 1.
        var workers = 1
        /// The learned P_B in a network of its own (`--backward-network separate`).
        var separate = false
        /// The 3×3 hypergrid (variable-length trajectories, a dense first layer) instead of a set-variable energy.
        var hypergrid = false
        var description: String {
            "\(objective.rawValue)/\(order.rawValue)/\(backward.rawValue)\(separate ? " (own network)" : "")/\(head.rawValue)×\(layers)\(forwardLooking ? "/forward-looking" : "")\(patch ? "/patch" : "")\(workers > 1 ? "/\(workers) workers" : "")\(hypergrid ? "/hypergrid" : "")"
        }
    }
    // Flow matching sums over all parents, so it has no backward policy to learn (nor a per-step
    // head: its parents sit at other steps). The per-step head with one and two hidden layers:
    // one layer has no product but the output blocks, two have a shared product as well.
    static let cases: [Case] = Objective.allCases.flatMap { o in
        [Case(objective: o, order: .fixed, backward: .uniform), Case(objective: o, order: .any, backward: .uniform)]
            + (o == .fm ? [] : [Case(objective: o, order: .any, backward: .learned),
                                Case(objective: o, order: .fixed, backward: .uniform, head: .perStep, layers: 1),
                                Case(objective: o, order: .fixed, backward: .uniform, head: .perStep, layers: 2)])
            + (o == .db || o == .subtb ? [Case(objective: o, order: .fixed, backward: .uniform, forwardLooking: true),
                                          Case(objective: o, order: .fixed, backward: .uniform, head: .perStep, layers: 1, forwardLooking: true)] : [])
            + [Case(objective: o, order: .fixed, backward: .uniform, forwardLooking: o == .db || o == .subtb, patch: true)]
            // Sharded training: the summed shard gradients are the gradient of the whole batch's loss.
            + (o == .fm ? [] : [Case(objective: o, order: .any, backward: .learned, workers: 2),
                                Case(objective: o, order: .fixed, backward: .uniform, head: .perStep, layers: 1, forwardLooking: o == .db || o == .subtb, workers: 3)])
    } + separateBackwardCases
    /// P_B in its own network, with one hidden layer and two, and with two workers.
    static let separateBackwardCases: [Case] = Objective.allCases.filter { $0 != .fm }.flatMap { o in
        [Case(objective: o, order: .any, backward: .learned, separate: true),
         Case(objective: o, order: .any, backward: .learned, layers: 1, separate: true),
         Case(objective: o, order: .any, backward: .learned, workers: 2, separate: true),
         Case(objective: o, order: .any, backward: .learned, separate: true, hypergrid: true)]
    }

    /// Every objective's analytic gradient (w.r.t. every network parameter and log Z) equals
    /// central finite differences of the same loss on the same sampled batch, in Double.
    @Test(arguments: cases) func gradientsMatchFiniteDifferences(_ c: Case) throws {
        if c.patch {
            try check(c, energy: try IsingModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .periodic)))
        } else if c.hypergrid {
            try check(c, environment: HypergridEnvironment(grid: try HypergridModel(dims: 2, side: 3)), settings: settings(c))
        } else {
            try check(c, energy: try TabulatedEnergy.random(variables: 3, scale: 1, rng: RandomStream(seed: 8)))
        }
    }

    func check<E: EnergyModel>(_ c: Case, energy: E) throws {
        let settings = settings(c)
        try check(c, environment: SetVariableEnvironment(energy: energy, beta: 1, order: c.order, patchRadius: settings.patchRadius), settings: settings)
    }

    func settings(_ c: Case) -> GFlowNetSettings {
        var settings = GFlowNetSettings()
        settings.objective = c.objective; settings.order = c.order; settings.backward = c.backward
        settings.hidden = 4; settings.layers = c.layers; settings.activation = .tanh; settings.batch = 3
        settings.head = c.head == .shared ? nil : c.head
        settings.forwardLooking = c.forwardLooking ? true : nil
        settings.epsilon = 0.3; settings.subtbLambda = 0.8
        settings.patchRadius = c.patch ? 1 : nil
        settings.trainWorkers = c.workers > 1 ? c.workers : nil
        settings.backwardNetwork = c.separate ? .separate : nil
        return settings
    }

    func check<Env: ConstructionEnvironment>(_ c: Case, environment env: Env, settings: GFlowNetSettings) throws {
        let model = try GFlowNetModel<Env, Double>(environment: env, settings: settings, seed: 2)
        // Move away from the near-zero output layer of the initialisation.
        let rng = RandomStream(seed: 99)
        for i in model.parameters.indices { model.parameters[i] += 0.3 * rng.gaussian() }
        model.logZ = 0.7
        let trainer = Trainer(model: model, seed: 5)
        let (loss, grad, gLogZ) = trainer.sampleBatchAndGradient()
        #expect(abs(trainer.replayLoss() - loss) < 1e-12)
        let h = 1e-6
        func check(_ analytic: Double, _ fd: Double, _ what: String) {
            // Relative 1e-5, with an absolute floor for gradients that are exactly 0 (unused heads).
            #expect(abs(analytic - fd) <= 1e-5 * max(abs(analytic), abs(fd)) + 1e-9, "\(c) \(what): analytic \(analytic), finite difference \(fd)")
        }
        for i in model.parameters.indices {
            let keep = model.parameters[i]
            model.parameters[i] = keep + h; let up = trainer.replayLoss()
            model.parameters[i] = keep - h; let down = trainer.replayLoss()
            model.parameters[i] = keep
            check(grad[i], (up - down) / (2 * h), "parameter \(i)")
        }
        let keep = model.logZ
        model.logZ = keep + h; let up = trainer.replayLoss()
        model.logZ = keep - h; let down = trainer.replayLoss()
        model.logZ = keep
        check(gLogZ, (up - down) / (2 * h), "log Z")
    }
}
