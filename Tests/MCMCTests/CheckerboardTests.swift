import Energies
import Exact
import Foundation
import GFNCore
@testable import MCMC
import Metrics
import Settings
import Testing

@Suite struct CheckerboardTests {
    /// The order is the even sites (row + column even), then the odd ones, and no bond joins two
    /// sites of one colour.
    @Test func orderIsTheTwoColoursOfTheLattice() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic))
        let order = try Checkerboard.order(model).map(Int.init)
        #expect(order.count == 16 && Set(order).count == 16)
        #expect(order.prefix(8).allSatisfy { ($0 / 4 + $0 % 4) % 2 == 0 })
        #expect(order.suffix(8).allSatisfy { ($0 / 4 + $0 % 4) % 2 == 1 })
        let even = Set(order.prefix(8))
        #expect(model.bonds.allSatisfy { even.contains($0.a) != even.contains($0.b) })
        _ = try Checkerboard.order(try IsingModel(lattice: SquareLattice(rows: 3, cols: 5, boundary: .open)))
    }

    /// A lattice without a two-colouring (an odd periodic side), an energy that declares no bonds,
    /// and Metropolis on two-valued spins (forced flips, as for the systematic scan) are refused
    /// before any chain runs, each naming --scan.
    @Test func refusesWhatHasNoCheckerboard() throws {
        let schedule = ChainSchedule(chains: 1, burnInSweeps: 0, samplesPerChain: 10, scan: .checkerboard)
        let odd = try IsingModel(lattice: SquareLattice(rows: 3, cols: 4, boundary: .periodic))
        #expect { try ChainRunner.run(kernel: HeatBathKernel(energy: odd, beta: 0.3), schedule: schedule, seed: 1) } throws: {
            "\($0)".contains("--scan checkerboard") && "\($0)".contains("odd")
        }
        let table = try TabulatedEnergy(variables: 2, domain: 2, energies: [0, 1, 1, 0])
        #expect { try ChainRunner.run(kernel: HeatBathKernel(energy: table, beta: 0.3), schedule: schedule, seed: 1) } throws: {
            "\($0)".contains("--scan checkerboard")
        }
        let even = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic))
        #expect { try ChainRunner.run(kernel: MetropolisKernel(energy: even, beta: 0.3), schedule: schedule, seed: 1) } throws: {
            "\($0)".contains("checkerboard scan")
        }
        #expect { try ChainRunner.runChain(kernel: HeatBathKernel(energy: odd, beta: 0.3), schedule: schedule, rng: RandomStream(seed: 1)) } throws: { _ in true }
    }

    /// The Ising heat-bath fast path (uniforms first, then the C pass) makes exactly the generic
    /// loop's moves: after every sweep the states, counters and running energy are bit-equal, for
    /// four-neighbour (periodic) and mixed-degree (open) lattices, with a field, both fixed scans.
    @Test(arguments: [ScanOrder.systematic, .checkerboard]) func fastPathIsTheGenericLoop(_ scan: ScanOrder) throws {
        for lattice in try [SquareLattice(rows: 6, cols: 4, boundary: .periodic), try SquareLattice(rows: 3, cols: 5, boundary: .open)] {
            let model = try IsingModel(lattice: lattice, coupling: 0.8, field: 0.3)
            let kernel = HeatBathKernel(energy: model, beta: 0.45)
            let sites = try SiteSweeper<HeatBathKernel<IsingModel>>.sites(for: scan, model: model)
            let fast = SiteSweeper(kernel: kernel, scan: scan, sites: sites)
            let generic = SiteSweeper(kernel: kernel, scan: scan, sites: sites, allowFastPath: false)
            #expect(fast.usesFastPath && !generic.usesFastPath)
            let n = model.variableCount
            var a = [UInt8](repeating: 0, count: n), b = a
            let ra = RandomStream(seed: 4, stream: 2), rb = RandomStream(seed: 4, stream: 2)
            for i in 0..<n { a[i] = UInt8(ra.integer(below: 2)); b[i] = UInt8(rb.integer(below: 2)) }
            var ca = MoveCounters(), cb = MoveCounters()
            var ea = a.withUnsafeBufferPointer { model.energy($0.baseAddress!) }, eb = ea
            for _ in 0..<300 {
                a.withUnsafeMutableBufferPointer { fast.sweep($0.baseAddress!, rng: ra, counters: &ca, energy: &ea) }
                b.withUnsafeMutableBufferPointer { generic.sweep($0.baseAddress!, rng: rb, counters: &cb, energy: &eb) }
                #expect(a == b)
                #expect(ea.bitPattern == eb.bitPattern)
            }
            #expect(ca == cb && ca.acceptances > 0 && ca.proposals == 300 * n)
            // The running energy is the state's energy (up to rounding).
            #expect(abs(ea - a.withUnsafeBufferPointer { model.energy($0.baseAddress!) }) < 1e-9)
        }
    }

    /// Checkerboard heat-bath chains pass the chi-square test against enumeration on a 3×4 open
    /// lattice with a field (4,096 states; draws thinned by ⌈2·τ_int⌉; level 1e-3 at a fixed seed,
    /// as for the other kernels), and the same test rejects the chain run at 0.9·β.
    @Test func checkerboardHeatBathPassesChiSquare() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 4, boundary: .open), coupling: 1, field: 0.2)
        let schedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 60_000, thinSweeps: 1, scan: .checkerboard)
        let expected = try exactProbabilities(model, beta: 0.4)
        let good = try thinnedChiSquare(try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: 0.4), schedule: schedule, seed: 3), expected: expected)
        #expect(good.pValue > 1e-3, "χ² = \(good.statistic) on \(good.degreesOfFreedom) df")
        #expect(good.sampleSize > 5_000)
        let biased = try thinnedChiSquare(try ChainRunner.run(kernel: HeatBathKernel(energy: model, beta: 0.36), schedule: schedule, seed: 3), expected: expected)
        #expect(biased.pValue < 1e-6, "χ² = \(biased.statistic) on \(biased.degreesOfFreedom) df")
    }
}
