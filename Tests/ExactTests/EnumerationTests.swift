import Energies
import Exact
import Foundation
import GFNCore
import Testing

/// An independent brute-force reference, written without the library's odometer, ΔE or scaling.
struct BruteForce {
    let logZ: Double
    let meanEnergy: Double
    let upMarginals: [Double]
    let correlations: [Double]
    let meanAbsM: Double

    init(rows: Int, cols: Int, periodic: Bool, j: Double, h: Double, beta: Double) {
        let n = rows * cols
        var bonds: [(Int, Int)] = []
        for r in 0..<rows {
            for c in 0..<cols {
                if c + 1 < cols { bonds.append((r * cols + c, r * cols + c + 1)) } else if periodic { bonds.append((r * cols + c, r * cols)) }
                if r + 1 < rows { bonds.append((r * cols + c, (r + 1) * cols + c)) } else if periodic { bonds.append((r * cols + c, c)) }
            }
        }
        var logW: [Double] = [], energies: [Double] = [], spins: [[Double]] = []
        for state in 0..<(1 << n) {
            let s = (0..<n).map { (state >> $0) & 1 == 1 ? 1.0 : -1.0 }
            var e = 0.0
            for (a, b) in bonds { e -= j * s[a] * s[b] }
            for v in s { e -= h * v }
            energies.append(e); logW.append(-beta * e); spins.append(s)
        }
        let m = logW.max()!
        let w = logW.map { exp($0 - m) }
        let z = w.reduce(0, +)
        logZ = m + log(z)
        meanEnergy = zip(w, energies).map { $0 * $1 }.reduce(0, +) / z
        upMarginals = (0..<n).map { i in zip(w, spins).map { $1[i] > 0 ? $0 : 0 }.reduce(0, +) / z }
        correlations = bonds.map { (a, b) in zip(w, spins).map { $0 * $1[a] * $1[b] }.reduce(0, +) / z }
        meanAbsM = zip(w, spins).map { $0 * abs($1.reduce(0, +)) }.reduce(0, +) / z / Double(n)
    }
}

@Suite struct EnumerationTests {
    @Test(arguments: [0.0, 0.1, 0.44, 1.0, 3.0])
    func periodic2x2MatchesTheClosedForm(_ beta: Double) throws {
        // Right + down bonds on the 2×2 torus: 8 bonds, Z = 2e^{8β} + 2e^{−8β} + 12 = 4cosh(8β) + 12.
        let model = try IsingModel(lattice: SquareLattice(rows: 2, cols: 2, boundary: .periodic))
        let d = try Enumerator.enumerate(model, beta: beta)
        #expect(abs(d.logZ - log(4 * cosh(8 * beta) + 12)) < 1e-12)
        #expect(abs(d.meanEnergy - (-32 * sinh(8 * beta) / (4 * cosh(8 * beta) + 12))) < 1e-12)
    }

    @Test(arguments: [(3, 3, true, 1.0, 0.0, 0.3), (3, 3, false, 0.8, 0.2, 0.5), (2, 5, true, -1.0, 0.1, 0.7), (3, 4, false, 1.0, -0.4, 2.0)])
    func agreesWithBruteForce(_ c: (Int, Int, Bool, Double, Double, Double)) throws {
        let (rows, cols, periodic, j, h, beta) = c
        let model = try IsingModel(lattice: SquareLattice(rows: rows, cols: cols, boundary: periodic ? .periodic : .open), coupling: j, field: h)
        let d = try Enumerator.enumerate(model, beta: beta)
        let b = BruteForce(rows: rows, cols: cols, periodic: periodic, j: j, h: h, beta: beta)
        #expect(abs(d.logZ - b.logZ) < 1e-12 * max(1, abs(b.logZ)))
        #expect(abs(d.meanEnergy - b.meanEnergy) < 1e-12 * max(1, abs(b.meanEnergy)))
        #expect(abs(d.meanAbsMagnetizationPerSite - b.meanAbsM) < 1e-12)
        for i in 0..<model.variableCount { #expect(abs(d.marginals[2 * i + 1] - b.upMarginals[i]) < 1e-12) }
        for k in b.correlations.indices { #expect(abs(d.bondCorrelations[k] - b.correlations[k]) < 1e-12) }
        #expect(abs(d.modeMass.positive + d.modeMass.zero + d.modeMass.negative - 1) < 1e-12)
    }

    @Test func densityOfStatesOf4x4PeriodicMatchesTheLiterature() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .periodic))
        let d = try Enumerator.enumerate(model, beta: 0)
        let expected: [Double: Double] = [-32: 2, -24: 32, -20: 64, -16: 424, -12: 1728, -8: 6688, -4: 13568, 0: 20524,
                                          4: 13568, 8: 6688, 12: 1728, 16: 424, 20: 64, 24: 32, 32: 2]
        let got = Dictionary(uniqueKeysWithValues: d.energyHistogram.map { ($0.energy, $0.states) })
        #expect(got == expected)
        #expect(d.energyHistogram.map(\.states).reduce(0, +) == 65536)
    }

    @Test func largeBetaStaysFinite() throws {
        // β = 200 on 3×3 periodic: Z ≈ 2·e^{200·18}; log Z = 3600 + log 2 + (tiny).
        let model = try IsingModel(lattice: SquareLattice(rows: 3, cols: 3, boundary: .periodic))
        let d = try Enumerator.enumerate(model, beta: 200)
        #expect(abs(d.logZ - (3600 + log(2.0))) < 1e-9)
        #expect(abs(d.meanEnergy - -18) < 1e-9)
        #expect(abs(d.modeMass.positive - 0.5) < 1e-12)
    }

    @Test func resultDoesNotDependOnTheNumberOfWorkers() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 4, cols: 4, boundary: .open), coupling: 0.9, field: 0.1)
        let one = try Enumerator.enumerate(model, beta: 0.6, workers: 1)
        let two = try Enumerator.enumerate(model, beta: 0.6, workers: 2)
        #expect(one.logZ == two.logZ)
        #expect(one.marginals == two.marginals)
        #expect(one.bondCorrelations == two.bondCorrelations)
    }

    @Test func storedEnergiesAreIndexedByKey() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 2, cols: 3, boundary: .open), coupling: 1, field: 0.3)
        let d = try Enumerator.enumerate(model, beta: 0.5, storeEnergies: true)
        let table = try #require(d.energies)
        // Energies are updated by ΔE along the enumeration: equal up to rounding (1e-12 absolute here).
        for key in 0..<64 { #expect(abs(table[key] - model.energy(ofKey: UInt64(key))) < 1e-12) }
        let total = table.map { exp(d.logProbability(energy: $0)) }.reduce(0, +)
        #expect(abs(total - 1) < 1e-12)
    }

    @Test func refusesModelsBeyondTheLimitNamingTheSize() throws {
        let model = try IsingModel(lattice: SquareLattice(rows: 5, cols: 5, boundary: .periodic))
        do {
            _ = try Enumerator.enumerate(model, beta: 0.3)
            Issue.record("enumeration of 2^25 states should be refused")
        } catch let GFNError.invalidInput(message) {
            #expect(message.contains("33554432 states"))
            #expect(message.contains("2^24"))
        }
        #expect(throws: GFNError.self) { try Enumerator.enumerate(try IsingModel(lattice: SquareLattice(rows: 2, cols: 2, boundary: .open)), beta: .nan) }
    }
}
