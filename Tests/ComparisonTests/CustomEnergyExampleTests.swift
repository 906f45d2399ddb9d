// A worked example of the library product: a user-defined energy, compared by both samplers
// against the exact reference, with a report — all from code, with the one import a library user
// writes. (README: "Your own energy in Swift"; the DocC article GettingStarted.)
import Foundation
import GFNCompareKit
import Testing
import TestSupport

/// A ring of n Ising spins with nearest- and next-nearest-neighbour couplings:
/// E(x) = −J₁·Σᵢ sᵢsᵢ₊₁ − J₂·Σᵢ sᵢsᵢ₊₂ (indices mod n). Frustrated when J₂ < 0.
struct NextNearestNeighbourRing: EnergyModel {
    let n: Int
    let j1: Double
    let j2: Double

    var variableCount: Int { n }
    var domainSize: Int { 2 }
    func spin(_ v: UInt8) -> Double { v == 0 ? -1 : 1 }
    var bonds: [Bond] { (0..<n).map { Bond($0, ($0 + 1) % n) } }
    var energyBounds: ClosedRange<Double> { let b = Double(n) * (abs(j1) + abs(j2)); return -b...b }
    var summary: String { "ring of \(n) spins, J1 = \(j1), J2 = \(j2)" }

    func energy(_ x: UnsafePointer<UInt8>) -> Double {
        var e = 0.0
        for i in 0..<n {
            e -= j1 * spin(x[i]) * spin(x[(i + 1) % n])
            e -= j2 * spin(x[i]) * spin(x[(i + 2) % n])
        }
        return e
    }

    func deltaEnergy(_ x: UnsafePointer<UInt8>, site i: Int, to value: UInt8) -> Double {
        if value == x[i] { return 0 }
        let s = spin(x[i])
        let near = spin(x[(i + 1) % n]) + spin(x[(i + n - 1) % n])
        let next = spin(x[(i + 2) % n]) + spin(x[(i + n - 2) % n])
        return 2 * s * (j1 * near + j2 * next)
    }
}

@Suite struct CustomEnergyExampleTests {
    init() { TestSupport.singleThreadedBLAS() }

    @Test func aUserDefinedEnergyRunsThroughTheWholePipeline() throws {
        let model = NextNearestNeighbourRing(n: 10, j1: 1, j2: -0.6)
        var gfn = GFlowNetSettings()
        gfn.hidden = 32; gfn.batch = 32; gfn.iterations = 400; gfn.blasThreads = 1
        let settings = RunSettings(energy: .custom(name: "nnn-ring", variables: 10), beta: 0.7, seed: 5,
                                   schedule: ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 20_000, thinSweeps: 1),
                                   gfn: gfn, gfnSamples: 5000)
        let record = try ComparisonRun.run(custom: model, name: "nnn-ring", settings: settings, command: "swift test (custom energy example)")

        // The exact reference is an enumeration of all 2^10 states; check it by brute force.
        var terms: [Double] = []
        for key in 0..<1024 {
            let x = (0..<10).map { UInt8((key >> $0) & 1) }
            terms.append(-0.7 * model.energy(of: x))
        }
        #expect(abs(try #require(record.exact.logZ) - LogSpace.logSumExp(terms)) < 1e-12)
        #expect(record.config.energy.name == "nnn-ring")
        // MH agrees with the exact ⟨E⟩ within 4 MCSE; the GFlowNet learned a finite log Z.
        let mh = record.samplers[0].metrics
        #expect(abs(mh.meanEnergy - mh.meanEnergyExact!) < 4 * mh.meanEnergyMcse!)
        #expect(record.samplers[1].metrics.logZLearned?.isFinite == true)
        // And the report renders from the record.
        let files = try ReportFiles.render(record)
        #expect(String(decoding: files["report.md"]!, as: UTF8.self).contains("nnn-ring"))
    }

    /// The getting-started article shows this file's model, character for character: the
    /// documentation cannot drift from the code the tests compile and run.
    @Test func theGettingStartedArticleShowsTheModelTheTestsCompile() throws {
        let article = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("Sources/GFNCompareKit/GFNCompareKit.docc/GettingStarted.md"), encoding: .utf8)
        let source = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("Tests/ComparisonTests/CustomEnergyExampleTests.swift"), encoding: .utf8)
        let start = try #require(article.range(of: "```swift\n"))
        let end = try #require(article.range(of: "```", range: start.upperBound..<article.endIndex))
        let shown = String(article[start.upperBound..<end.lowerBound])
        #expect(shown.hasPrefix("struct NextNearestNeighbourRing: EnergyModel {"))
        #expect(source.contains(shown))
    }

    @Test func badCustomSettingsAreRefused() {
        let model = NextNearestNeighbourRing(n: 4, j1: 1, j2: 0)
        let settings = RunSettings(energy: .custom(name: "x", variables: 4), beta: .nan, seed: 1)
        #expect(throws: GFNError.self) { try ComparisonRun.run(custom: model, name: "x", settings: settings, command: "x") }
    }
}
