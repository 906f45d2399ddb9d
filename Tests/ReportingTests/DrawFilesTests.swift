import Foundation
import Reporting
import Testing
import TestSupport

/// The NumPy format written by hand and the draws folder's index (`--save-draws`).
@Suite struct DrawFilesTests {
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

    @Test func theIndexNamesEveryArrayWithItsShape() throws {
        let record = try RunRecord.decode(Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("Tests/ComparisonTests/FuzzCorpus/run.json")))
        let archive = DrawArchive()
        archive.spinValues = [-1, 1]
        archive.add(SamplerDraws(name: "mh", chains: 2, drawsPerChain: 3, variables: 4, independent: false,
                                 states: [UInt8](repeating: 1, count: 24), series: [("energy", [1, 2, 3, 4, 5, 6])]))
        let files = try archive.files(tool: record.tool, config: record.config)
        #expect(Set(files.keys) == ["draws.json", "mh/states.npy", "mh/energy.npy"])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let index = try decoder.decode(DrawArchive.Index.self, from: try #require(files["draws.json"]))
        #expect(index.samplers[0].arrays["states"] == DrawArchive.Index.ArrayFile(file: "mh/states.npy", dtype: "int8", shape: [2, 3, 4]))
        #expect(index.samplers[0].arrays["energy"] == DrawArchive.Index.ArrayFile(file: "mh/energy.npy", dtype: "float64", shape: [2, 3]))
        #expect(index.config == record.config && index.spinValues == [-1, 1])
        // The same draws give the same bytes (nothing time- or machine-dependent in the index).
        #expect(try archive.files(tool: record.tool, config: record.config) == files)
    }
}

/// The run record: what `report`, `reproduce` and `check` read back.
@Suite struct RunRecordTests {
    static let corpus = TestSupport.packageRoot.appendingPathComponent("Tests/ComparisonTests/FuzzCorpus/run.json")

    @Test func aRecordSurvivesAnEncodeDecodeRoundTripByteForByte() throws {
        let record = try RunRecord.decode(Data(contentsOf: Self.corpus))
        let once = try record.jsonData()
        let again = try RunRecord.decode(once)
        #expect(again == record)
        #expect(try again.jsonData() == once)
        // The renderer is a function of the record: two renders give the same files.
        #expect(try ReportFiles.render(record) == ReportFiles.render(again))
    }

    @Test func missingOptionalValuesAreWrittenAsNullNotDropped() throws {
        let record = try RunRecord.decode(Data(contentsOf: Self.corpus))
        let json = try #require(try JSONSerialization.jsonObject(with: record.jsonData()) as? [String: Any])
        let metrics = try #require(((json["samplers"] as? [[String: Any]])?.first)?["metrics"] as? [String: Any])
        // A key the schema lists is present even when its value is unknown.
        for key in ["tv", "rhat_energy", "ess_bulk_energy", "mean_energy_mcse"] { #expect(metrics.keys.contains(key), "\(key)") }
    }

    /// Every record committed under reports/ decodes and encodes back to its own bytes: the schema
    /// (keys, explicit nulls, absent fields) is what the binary that wrote them wrote.
    @Test func everyCommittedRecordReEncodesToItsOwnBytes() throws {
        let root = TestSupport.packageRoot.appendingPathComponent("reports")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.lastPathComponent == "run.json" } ?? []
        #expect(files.count >= 30)
        for url in files {
            let bytes = try Data(contentsOf: url)
            let record = try RunRecord.decode(bytes)
            #expect(try record.jsonData() == bytes, "\(url.path)")
        }
    }
}
