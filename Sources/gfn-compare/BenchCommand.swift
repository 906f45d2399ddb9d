import ArgumentParser
import CGSL
import CReference
import Dispatch
import Energies
import Exact
import Foundation
import GFNCore
import GFlowNets
import MCMC

/// Speed measurements, each as a ratio against a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure sampler and enumeration speed (release builds only give meaningful numbers)."
    )

    @Flag(help: "Short measurements (for CI smoke runs).")
    var quick = false

    @Option(help: "GSL generator for both the Swift and the C loop.")
    var rng: RandomAlgorithm = .taus2

    func run() throws {
        let side = 64
        let attempts = quick ? 2_000_000 : 40_000_000
        let beta = 0.4406868
        let model = try IsingModel(lattice: SquareLattice(rows: side, cols: side, boundary: .periodic))
        let n = model.variableCount

        // Swift: single-site Metropolis, random scan, same work per attempt as the C loop.
        func swiftRate(_ kernelKind: KernelKind) -> Double {
            let rng = RandomStream(seed: 7, stream: 0, algorithm: rng)
            let schedule = ChainSchedule(chains: 1, burnInSweeps: attempts / n, samplesPerChain: 1, thinSweeps: 1, scan: .random)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let trace: ChainTrace
            switch kernelKind {
            case .metropolis: trace = ChainRunner.runChain(kernel: MetropolisKernel(energy: model, beta: beta), schedule: schedule, rng: rng)
            case .heatBath: trace = ChainRunner.runChain(kernel: HeatBathKernel(energy: model, beta: beta), schedule: schedule, rng: rng)
            }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            return Double(trace.counters.proposals) / dt
        }
        func cRate() -> Double {
            let rng = RandomStream(seed: 7, stream: 0, algorithm: rng)
            var spins = (0..<n).map { _ in UInt8(rng.integer(below: 2)) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = spins.withUnsafeMutableBufferPointer { gfn_c_reference_metropolis($0.baseAddress, Int32(side), beta, attempts, rng.pointer) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            return Double(attempts) / dt
        }
        // Interleave repetitions so drift in machine speed hits both alike; keep the best of each.
        var c = 0.0, metropolis = 0.0, heatBath = 0.0
        for _ in 0..<3 {
            c = max(c, cRate())
            metropolis = max(metropolis, swiftRate(.metropolis))
            heatBath = max(heatBath, swiftRate(.heatBath))
        }
        print("| measurement | value | ratio |")
        print("|---|---:|---:|")
        print(String(format: "| C reference Metropolis, 64×64, %@ | %.3g flips/s | 1.00 |", rng.rawValue, c))
        print(String(format: "| Swift Metropolis, 64×64 | %.3g flips/s | %.2f× C |", metropolis, metropolis / c))
        print(String(format: "| Swift heat-bath, 64×64 | %.3g updates/s | %.2f× C |", heatBath, heatBath / c))

        // GFlowNet training and sampling on 10×10 (and 4×4) at β_c.
        var torchgfnLike = GFlowNetSettings()
        torchgfnLike.order = .any; torchgfnLike.backward = .learned; torchgfnLike.hidden = 256; torchgfnLike.layers = 2; torchgfnLike.batch = 64
        var projectDefault = GFlowNetSettings()
        projectDefault.batch = 64
        for (side, label, settings) in [(10, "any order, learned P_B, 256×2, batch 64 (torchgfn-like)", torchgfnLike),
                                        (10, "project default (fixed order), batch 64", projectDefault),
                                        (4, "project default (fixed order, batch 128)", GFlowNetSettings())] {
            let r = try GFNBench.measure(side: side, settings: settings, iterations: quick ? 3 : (side == 10 ? 30 : 300),
                                         warmup: quick ? 1 : 5, samples: quick ? 500 : 20_000)
            let achieved = r.stepFLOPs / r.stepSeconds / 1e9
            print(String(format: "| GFlowNet %d×%d %@: training | %.0f trajectories/s | %.1f GFLOP/s = %.0f%% of sgemm at these shapes (%.1f GFLOP/s) |",
                         side, side, label, r.trajectoriesPerSecond, achieved, 100 * achieved / r.sgemmGFLOPS, r.sgemmGFLOPS))
            print(String(format: "| GFlowNet %d×%d %@: sampling | %.0f samples/s | |", side, side, label, r.samplesPerSecond))
        }

        // Enumeration speed.
        for bits in quick ? [16] : [20, 24] {
            let rows = 4, cols = bits / 4
            let m = try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: .periodic))
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try Enumerator.enumerate(m, beta: beta)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            print(String(format: "| enumeration 2^%d states (%d×%d) | %.3f s | %.3g states/s |", bits, rows, cols, dt, Double(1 << bits) / dt))
        }
    }
}
