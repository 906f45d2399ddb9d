import Checks
import Comparison
import Foundation
import GFNCore
import Reporting
import Settings
import Testing
import TestSupport

@Suite(.serialized) struct RegressionCheckTests {
    init() { TestSupport.singleThreadedBLAS() }

    /// 3×3 periodic Ising at β = 0.3 with a 16-wide GFlowNet: a baseline calibrates in seconds.
    static func smallRun(seed: UInt64) -> RunSettings {
        var g = GFlowNetSettings()
        g.hidden = 16; g.batch = 16; g.iterations = 100; g.blasThreads = 1
        return RunSettings(energy: .ising(rows: 3, cols: 3, boundary: .periodic, coupling: 1, field: 0), beta: 0.3, seed: seed,
                           schedule: ChainSchedule(chains: 2, burnInSweeps: 50, samplesPerChain: 5_000, thinSweeps: 1),
                           gfn: g, gfnSamples: 3000)
    }

    static let baseline: Baseline = {
        TestSupport.singleThreadedBLAS()
        let config = try! ComparisonRun.run(Self.smallRun(seed: 100), command: "x").config
        return try! RegressionCheck.calibrate(config: config, seeds: Array(100..<108), progress: ProgressReporter(enabled: false))
    }()

    static func check(seed: UInt64, fault: InjectedFault? = nil) throws -> [MetricVerdict] {
        var s = try RunSettings(config: baseline.config)
        s.seed = seed
        s.fault = fault
        return RegressionCheck.compare(try ComparisonRun.run(s, command: "x"), with: baseline)
    }

    /// No false alarm over 20 seeds outside the calibration set (threshold mean + 5 sd + allowance).
    @Test func currentCodePassesUnderTwentySeeds() throws {
        for seed in UInt64(1)...20 {
            let regressed = try Self.check(seed: seed).filter { $0.outcome == .regressed }
            #expect(regressed.isEmpty, "seed \(seed): \(regressed.map { "\($0.sampler).\($0.metric) = \(String(describing: $0.value)) > \($0.threshold)" })")
        }
    }

    @Test(arguments: [(InjectedFault.mhBeta, "mh."), (.mhFrozenSite, "mh."), (.gfnUndertrained, "gfn."), (.gfnWrongBackward, "gfn.")])
    func plantedRegressionsAreCaught(_ c: (InjectedFault, String)) throws {
        let regressed = try Self.check(seed: 3, fault: c.0).filter { $0.outcome == .regressed }.map { "\($0.sampler).\($0.metric)" }
        #expect(!regressed.isEmpty)
        #expect(regressed.allSatisfy { $0.hasPrefix(c.1) }, "\(regressed)")
    }

    @Test func baselineRoundTripsThroughJSON() throws {
        let url = TestSupport.temporaryDirectory().appendingPathComponent("b.json")
        try Self.baseline.jsonData().write(to: url)
        #expect(try Baseline.read(url) == Self.baseline)
    }
}
