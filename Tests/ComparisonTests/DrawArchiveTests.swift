import Comparison
import Energies
import Foundation
import GFNCore
import GFlowNets
import MCMC
import Reporting
import Settings
import Testing
import TestSupport

/// `--save-draws` in the pipeline: draws that are the run's own (the states give back the energies
/// and magnetisations the record was computed from). The file format: ReportingTests.
@Suite struct DrawArchiveTests {
    init() { TestSupport.singleThreadedBLAS() }

    @Test func theSavedDrawsAreTheRunsOwnAndChangeNothingInTheRecord() throws {
        var s = ComparisonRunTests.settings(seed: 5, gfn: true)
        s.energy = .ising(rows: 2, cols: 3, boundary: .open, coupling: 1, field: 0)
        s.gfnMH = GFlowNetMHSettings(every: nil, samples: 2000)
        let archive = DrawArchive()
        let withDraws = try ComparisonRun.run(s, command: "x", draws: archive)
        let without = try ComparisonRun.run(s, command: "x")
        #expect(try Reproducibility.differences(withDraws.jsonData(), without.jsonData()) == [])

        let model = try IsingModel(lattice: try SquareLattice(rows: 2, cols: 3, boundary: .open), coupling: 1, field: 0)
        #expect(archive.spinValues == [-1, 1])
        #expect(archive.samplers.map(\.name) == ["mh", "gfn", "gfn-mh"])
        for draws in archive.samplers {
            let record = try #require(withDraws.samplers.first { $0.name == draws.name })
            #expect(draws.chains * draws.drawsPerChain == record.metrics.samples)
            #expect(draws.states.count == record.metrics.samples * 6)
            let energy = try #require(draws.series.first { $0.name == "energy" }?.values)
            let magnetization = try #require(draws.series.first { $0.name == "magnetization" }?.values)
            // Every state gives back its energy and magnetisation exactly; the energies' mean is the record's.
            draws.states.withUnsafeBufferPointer { x in
                for k in 0..<energy.count {
                    let state = x.baseAddress! + 6 * k
                    #expect(model.energy(state) == energy[k])
                    #expect((0..<6).reduce(0.0) { $0 + model.spin(state[$1]) } == magnetization[k])
                }
            }
            let mean = energy.reduce(0, +) / Double(energy.count)
            #expect(abs(mean - record.metrics.meanEnergy) <= 1e-12 * abs(mean))
        }
        // The GFlowNet's draws carry their trajectory log-probabilities; in the fixed order P_B = 1,
        // so log P_T = log P_F is written too. The independence gfn-mh chain carries its log weight.
        let gfn = archive.samplers[1]
        #expect(gfn.independent && gfn.chains == 1)
        #expect(gfn.series.map(\.name) == ["energy", "magnetization", "log_pf", "log_pb", "log_pt"])
        #expect(gfn.series[4].values == gfn.series[2].values && gfn.series[3].values.allSatisfy { $0 == 0 })
        #expect(archive.samplers[2].series.map(\.name) == ["energy", "magnetization", "log_weight"])
    }

    @Test func statesTooLargeForMemoryAreRefusedNamingTheFlags() throws {
        var s = ComparisonRunTests.settings(seed: 1)
        s.energy = .ising(rows: 128, cols: 128, boundary: .periodic, coupling: 1, field: 0)
        s.schedule = ChainSchedule(chains: 4, burnInSweeps: 0, samplesPerChain: 200_000, thinSweeps: 1)
        try s.validate()  // without the states it fits
        s.keepStates = true
        #expect {
            try s.validate()
        } throws: { error in
            "\(error)".contains("--save-draws would hold") && "\(error)".contains("--samples")
        }
    }
}
