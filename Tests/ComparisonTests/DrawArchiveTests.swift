import Comparison
import Energies
import Foundation
import GFNCore
import GFlowNets
import MCMC
import Reporting
import Testing
import TestSupport

/// `--save-draws`: the NumPy format written by hand, and draws that are the run's own draws
/// (the states give back the energies and magnetisations the record was computed from).
@Suite struct DrawArchiveTests {
    init() { TestSupport.singleThreadedBLAS() }

    /// Parses a `.npy` file's header as NumPy's format 1.0 defines it: returns the header text and
    /// where the data begin.
    static func parseHeader(_ d: Data) throws -> (header: String, dataOffset: Int) {
        let bytes = [UInt8](d)
        try #require(bytes.count >= 10)
        #expect(bytes[0] == 0x93 && Array(bytes[1..<6]) == Array("NUMPY".utf8) && bytes[6] == 1 && bytes[7] == 0)
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
        return (header, 10 + length)
    }

    @Test func npyFilesFollowFormatOnePointZero() throws {
        let doubles = NumPyArray.file(doubles: [1.5, -2, .pi, 0, 1e300, -0.0], shape: [2, 3])
        let (header, offset) = try Self.parseHeader(doubles)
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
        #expect(header == dict + String(repeating: " ", count: offset - 10 - dict.utf8.count - 1) + "\n")
        #expect(offset % 64 == 0)  // NumPy aligns the data to 64 bytes
        #expect(doubles.count == offset + 6 * 8)
        let values = (0..<6).map { i in Double(bitPattern: doubles[(offset + 8 * i)..<(offset + 8 * i + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        #expect(values.map(\.bitPattern) == [1.5, -2, .pi, 0, 1e300, -0.0].map(\.bitPattern))

        let bytes = NumPyArray.file(bytes: [0, 1, 1, 0], dtype: .int8, shape: [4])
        let (h1, o1) = try Self.parseHeader(bytes)
        #expect(h1.hasPrefix("{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }") && h1.hasSuffix("\n"))
        #expect(o1 % 64 == 0 && Array(bytes[o1...]) == [0, 1, 1, 0])
    }

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

    @Test func theIndexNamesEveryArrayWithItsShape() throws {
        let archive = DrawArchive()
        archive.spinValues = [-1, 1]
        archive.add(SamplerDraws(name: "mh", chains: 2, drawsPerChain: 3, variables: 4, independent: false,
                                 states: [UInt8](repeating: 1, count: 24), series: [("energy", [1, 2, 3, 4, 5, 6])]))
        let record = try ComparisonRun.run(ComparisonRunTests.settings(seed: 1), command: "x")
        let files = try archive.files(tool: record.tool, config: record.config)
        #expect(Set(files.keys) == ["draws.json", "mh/states.npy", "mh/energy.npy"])
        let index = try JSONDecoder.snakeCase.decode(DrawArchive.Index.self, from: try #require(files["draws.json"]))
        #expect(index.samplers[0].arrays["states"] == DrawArchive.Index.ArrayFile(file: "mh/states.npy", dtype: "int8", shape: [2, 3, 4]))
        #expect(index.samplers[0].arrays["energy"] == DrawArchive.Index.ArrayFile(file: "mh/energy.npy", dtype: "float64", shape: [2, 3]))
        #expect(index.config == record.config && index.spinValues == [-1, 1])
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

extension JSONDecoder {
    static var snakeCase: JSONDecoder { let d = JSONDecoder(); d.keyDecodingStrategy = .convertFromSnakeCase; return d }
}
