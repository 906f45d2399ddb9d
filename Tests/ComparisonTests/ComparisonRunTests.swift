import Comparison
import Energies
import Foundation
import GFNCore
import MCMC
import Reporting
import GFlowNets
import Settings
import Testing
import TestSupport

@Suite struct ComparisonRunTests {
    init() { TestSupport.singleThreadedBLAS() }

    static func settings(seed: UInt64, gfn: Bool = false) -> RunSettings {
        var g = GFlowNetSettings()
        g.hidden = 16; g.batch = 16; g.iterations = 100; g.blasThreads = 1
        return RunSettings(energy: .ising(rows: 3, cols: 3, boundary: .periodic, coupling: 1, field: 0), beta: 0.3, seed: seed,
                           schedule: ChainSchedule(chains: 2, burnInSweeps: 50, samplesPerChain: 5_000, thinSweeps: 1),
                           gfn: gfn ? g : nil, gfnSamples: 3000)
    }

    @Test func sameSeedGivesTheSameRecordBarTimingDifferentSeedDoesNot() throws {
        let a = try ComparisonRun.run(Self.settings(seed: 3, gfn: true), command: "gfn-compare test").jsonData()
        let b = try ComparisonRun.run(Self.settings(seed: 3, gfn: true), command: "gfn-compare test").jsonData()
        let c = try ComparisonRun.run(Self.settings(seed: 4, gfn: true), command: "gfn-compare test").jsonData()
        #expect(try Reproducibility.differences(a, b) == [])
        let changed = try Reproducibility.differences(a, c)
        #expect(changed.contains("samplers[0].metrics.tv"))
        #expect(changed.contains("samplers[1].metrics.log_z_learned"))
        #expect(changed.contains("config.seed"))
        #expect(!changed.contains { $0.hasPrefix("exact") })
    }

    @Test func recordHonoursTheRunJSONContract() throws {
        let data = try ComparisonRun.run(Self.settings(seed: 1, gfn: true), command: "gfn-compare --energy ising").jsonData()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema_version"] as? Int == RunRecord.currentSchemaVersion)
        #expect(json["command"] as? String == "gfn-compare --energy ising")
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["seed"] as? Int == 1)
        let exact = try #require(json["exact"] as? [String: Any])
        #expect(exact["log_z_method"] as? String == "enumeration")
        #expect(exact["n_states"] as? Double == 512)
        #expect(exact["log_z"] is Double)
        let samplers = try #require(json["samplers"] as? [[String: Any]])
        #expect(samplers.map { $0["name"] as? String } == ["mh", "gfn"])
        for sampler in samplers {
            let metrics = try #require(sampler["metrics"] as? [String: Any])
            for key in ["samples", "tv", "mean_energy", "mean_energy_exact", "energy_evaluations", "wall_seconds", "log_z_learned", "tv_model_exact"] {
                #expect(metrics[key] != nil, "missing metrics.\(key)")
            }
        }
        let mh = try #require(samplers[0]["metrics"] as? [String: Any])
        #expect(mh["samples"] as? Int == 10_000)
        #expect(mh["log_z_learned"] is NSNull)
        let gfn = try #require(samplers[1]["metrics"] as? [String: Any])
        #expect(gfn["samples"] as? Int == 3000)
        #expect(gfn["log_z_learned"] is Double && gfn["tv_model_exact"] is Double)
        #expect(gfn["full_energy_evaluations"] as? Int == 100 * 16)
        // Round trip.
        let decoded = try RunRecord.decode(data)
        #expect(try decoded.jsonData() == data)
    }

    @Test func unknownValuesAreNullNotZero() throws {
        // 6×6 = 36 spins: beyond enumeration; periodic zero field, so Kaufman gives log Z.
        var s = Self.settings(seed: 1)
        s.energy = .ising(rows: 6, cols: 6, boundary: .periodic, coupling: 1, field: 0)
        let r = try ComparisonRun.run(s, command: "x")
        #expect(r.exact.logZMethod == "kaufman")
        #expect(r.exact.meanEnergy != nil)
        #expect(r.samplers[0].metrics.tv == nil)
        let json = String(decoding: try r.jsonData(), as: UTF8.self)
        #expect(json.contains("\"tv\" : null"))
        // With a field, nothing exact is known.
        s.energy = .ising(rows: 6, cols: 6, boundary: .periodic, coupling: 1, field: 0.1)
        let r2 = try ComparisonRun.run(s, command: "x")
        #expect(r2.exact.logZ == nil && r2.exact.logZMethod == nil && r2.exact.meanEnergy == nil)
    }

    /// 32×32 has 2^1024 states, more than a Double holds: the record still encodes (n_states null),
    /// with Kaufman's exact log Z and Onsager/Yang context.
    @Test func hugeStateSpacesStillMakeAValidRecord() throws {
        var s = Self.settings(seed: 1)
        s.energy = .ising(rows: 32, cols: 32, boundary: .periodic, coupling: 1, field: 0)
        s.beta = 0.5
        s.schedule = ChainSchedule(chains: 2, burnInSweeps: 10, samplesPerChain: 50, thinSweeps: 1)
        let r = try ComparisonRun.run(s, command: "x")
        #expect(r.exact.nStates == nil && r.exact.logZMethod == "kaufman")
        #expect(abs(try #require(r.exact.yangMagnetization) - 0.911319377877) < 1e-11)
        #expect(try RunRecord.decode(try r.jsonData()) == r)
    }

    @Test func estimatesAgreeWithTheExactValuesWithinTheirErrors() throws {
        var s = Self.settings(seed: 2)
        s.schedule = ChainSchedule(chains: 4, burnInSweeps: 200, samplesPerChain: 25_000, thinSweeps: 1)
        let m = try ComparisonRun.run(s, command: "x").samplers[0].metrics
        // Mean energy within 4 MCSE of the exact value (false alarm ~6e-5 for a correct sampler).
        let mcse = try #require(m.meanEnergyMcse)
        #expect(abs(m.meanEnergy - m.meanEnergyExact!) < 4 * mcse)
        // chi-square on thinned draws does not reject at 1e-3.
        #expect(try #require(m.chiSquare).pValue > 1e-3)
    }

    @Test func badSettingsAreRefusedBeforeAnyWork() {
        var s = Self.settings(seed: 1)
        s.beta = -1
        #expect(throws: GFNError.self) { try ComparisonRun.run(s, command: "x") }
        s.beta = .nan
        #expect(throws: GFNError.self) { try ComparisonRun.run(s, command: "x") }
        s = Self.settings(seed: 1)
        s.schedule.scan = .systematic
        #expect(throws: GFNError.self) { try ComparisonRun.run(s, command: "x") }
        s.kernel = .heatBath
        #expect((try? ComparisonRun.run(s, command: "x")) != nil)
    }
}
