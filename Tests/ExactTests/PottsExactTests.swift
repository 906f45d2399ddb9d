import Energies
import Exact
import Foundation
import GFNCore
import Testing

@Suite struct PottsExactTests {
    /// log Z from enumeration equals an independent brute-force sum over all q^n states.
    @Test func enumerationMatchesBruteForce() throws {
        let (rows, cols, q, j, h, beta) = (2, 3, 3, 0.9, 0.3, 0.7)
        let model = try PottsModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: .open), q: q, coupling: j, field: h)
        var terms: [Double] = []
        for state in 0..<Int(pow(Double(q), Double(rows * cols))) {
            var x = [Int](), k = state
            for _ in 0..<(rows * cols) { x.append(k % q); k /= q }
            var e = 0.0
            for r in 0..<rows { for c in 0..<cols {
                let i = r * cols + c
                if c + 1 < cols, x[i] == x[i + 1] { e -= j }
                if r + 1 < rows, x[i] == x[i + cols] { e -= j }
                if x[i] == 0 { e -= h }
            } }
            terms.append(-beta * e)
        }
        let d = try Enumerator.enumerate(model, beta: beta)
        #expect(abs(d.logZ - LogSpace.logSumExp(terms)) < 1e-12)
        #expect(abs(d.marginals.reduce(0, +) - Double(rows * cols)) < 1e-12)
    }

    /// q = 2 Potts with coupling 2J is Ising with coupling J up to a constant: same distribution.
    @Test func twoStatePottsIsIsing() throws {
        let lattice = try SquareLattice(rows: 3, cols: 3, boundary: .periodic)
        let potts = try PottsModel(lattice: lattice, q: 2, coupling: 2 * 0.7)
        let ising = try IsingModel(lattice: lattice, coupling: 0.7)
        let a = try Enumerator.enumerate(potts, beta: 0.4, storeEnergies: true)
        let b = try Enumerator.enumerate(ising, beta: 0.4, storeEnergies: true)
        for key in 0..<512 {
            #expect(abs(a.logProbability(energy: a.energies![key]) - b.logProbability(energy: b.energies![key])) < 1e-12)
        }
        // The constant: E_potts = E_ising − J·(number of bonds).
        #expect(abs((a.meanEnergy - b.meanEnergy) - (-0.7 * 18)) < 1e-9)
    }
}
