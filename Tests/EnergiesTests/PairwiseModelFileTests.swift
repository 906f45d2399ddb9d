import Energies
import Foundation
import GFNCore
import Testing

@Suite struct PairwiseModelFileTests {
    static func parse(_ text: String) throws -> PairwiseModel { try PairwiseModelFile.parse(Data(text.utf8), name: "m.txt") }

    static func message(_ text: String) -> String {
        do { _ = try parse(text); return "" } catch let GFNError.invalidInput(m) { return m } catch { return "\(error)" }
    }

    @Test func theExamplesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let ring = try PairwiseModelFile.load(path: root.appendingPathComponent("examples/frustrated-ring.txt").path)
        #expect(ring.variableCount == 8 && ring.domainSize == 2 && ring.edges.count == 8 && ring.fields[4] == -0.25)
        let potts = try PairwiseModelFile.load(path: root.appendingPathComponent("examples/potts-triangles.txt").path)
        #expect(potts.variableCount == 6 && potts.domainSize == 3 && potts.edges.count == 7 && potts.fields[0] == 0.3)
    }

    @Test func keywordAndBareFormsAgree() throws {
        let a = try Self.parse("variables 3\ncoupling 0 1 0.5\nfield 2 1\n")
        let b = try Self.parse("# same model\nvariables 3 domain 2\n0 1 0.5   # bare\n2 1\n")
        #expect(a.edges.map(\.coupling) == b.edges.map(\.coupling) && a.fields == b.fields)
    }

    /// One test per malformed-input class; each message names the file and the line.
    @Test(arguments: [
        ("variables 3\nbond 0 1 1\n", "m.txt:2: unknown keyword 'bond'"),
        ("variables 3\ncoupling 0 3 1\n", "m.txt:2: variable index 3 is out of range"),
        ("variables 3\n0 1 1\n# x\n1 0 2\n", "m.txt:4: duplicate edge 1–0"),
        ("variables 3\n0 1 nan\n", "m.txt:2: 'nan' is not a finite number"),
        ("variables 3\nfield 1 inf\n", "m.txt:2: 'inf' is not a finite number"),
        ("0 1 1.0\n", "m.txt:1: missing header"),
        ("", "m.txt: the model file is empty"),
        ("# only a comment\n\n", "m.txt: the model file is empty"),
        ("variables 3\n0 1 2 3\n", "m.txt:2: expected `i j J`"),
        ("variables 3\n1 1 1\n", "m.txt:2: coupling 1–1 is a self-loop"),
        ("variables 3 domain 300\n", "m.txt:1: the domain must be"),
        ("variables 3\nvariables 4\n", "m.txt:2: a second header line"),
    ])
    func malformedInputNamesTheLine(_ c: (String, String)) {
        #expect(Self.message(c.0).hasPrefix(c.1), "\(Self.message(c.0))")
    }

    @Test func binaryGarbageIsRefused() {
        var bytes: [UInt8] = Array("variables 3\n".utf8)
        bytes += [0, 0xFF, 0xFE, 7]
        #expect(throws: GFNError.invalidInput("m.txt:2: not a text file (binary data or invalid UTF-8)")) {
            try PairwiseModelFile.parse(Data(bytes), name: "m.txt")
        }
    }

    /// Seeded random mutations of an example never trap the parser.
    @Test func parserFuzz() {
        let seed = Array("variables 8 domain 2\ncoupling 0 1 1.0\n1 2 -0.5\nfield 3 0.25\n# c\n4 0.1\n".utf8)
        let rng = RandomStream(seed: 31)
        var parsed = 0
        for _ in 0..<4000 {
            var b = seed
            for _ in 0...rng.integer(below: 3) where !b.isEmpty {
                let i = rng.integer(below: b.count)
                switch rng.integer(below: 3) {
                case 0: b[i] = UInt8(rng.integer(below: 256))
                case 1: b.remove(at: i)
                default: b.insert(UInt8(rng.integer(below: 128)), at: i)
                }
            }
            if (try? PairwiseModelFile.parse(Data(b), name: "fuzz")) != nil { parsed += 1 }
        }
        #expect(parsed > 100)
    }
}
