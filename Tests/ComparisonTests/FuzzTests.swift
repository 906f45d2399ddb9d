import Checks
import Comparison
import Foundation
import GFlowNets
import GFNCore
import Reporting
import Testing
import TestSupport

/// A seeded random-mutation fuzz test of every loader: run records (and rendering a report
/// from whatever decodes), baselines and model files. Each mutant must be either refused with an
/// error or handled — never a trap. The corpus lives in `FuzzCorpus/`; the budget is fixed
/// (mutants per file), so CI time is bounded and the run is reproducible.
@Suite struct FuzzTests {
    static let corpus = TestSupport.packageRoot.appendingPathComponent("Tests/ComparisonTests/FuzzCorpus")

    /// Byte-level and JSON-aware mutations of `data`, from `rng`.
    static func mutate(_ data: Data, rng: RandomStream) -> Data {
        var bytes = [UInt8](data)
        let tokens: [String] = ["null", "-1", "1e308", "0", "\"\"", "[]", "{}", "true", "99", "-0.5", "\"x\"", "18446744073709551616"]
        for _ in 0...rng.integer(below: 4) {
            guard !bytes.isEmpty else { break }
            let i = rng.integer(below: bytes.count)
            switch rng.integer(below: 6) {
            case 0: bytes[i] = UInt8(rng.integer(below: 256))                         // flip a byte
            case 1: bytes.removeSubrange(i..<min(bytes.count, i + 1 + rng.integer(below: 40)))  // delete a run
            case 2: bytes = Array(bytes[0..<i])                                        // truncate
            case 3:                                                                    // replace a JSON value
                if let colon = bytes[i...].firstIndex(of: UInt8(ascii: ":")) {
                    let end = bytes[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\n") } ?? bytes.count
                    bytes.replaceSubrange((colon + 1)..<end, with: Array((" " + tokens[rng.integer(below: tokens.count)]).utf8))
                }
            case 4:                                                                    // duplicate a run
                let chunk = Array(bytes[i..<min(bytes.count, i + 64)])
                bytes.insert(contentsOf: chunk, at: rng.integer(below: bytes.count))
            default:                                                                   // drop a line (a field)
                if let nl = bytes[i...].firstIndex(of: 10), let next = bytes[(nl + 1)...].firstIndex(of: 10) { bytes.removeSubrange(nl..<next) }
            }
        }
        return Data(bytes)
    }

    @Test func runRecordsNeverTrap() throws {
        let seed = try Data(contentsOf: Self.corpus.appendingPathComponent("run.json"))
        let rng = RandomStream(seed: 2024)
        var decoded = 0
        for _ in 0..<3000 {
            let mutant = Self.mutate(seed, rng: rng)
            guard let record = try? RunRecord.decode(mutant) else { continue }
            decoded += 1
            _ = try? ReportFiles.render(record)
            _ = try? RunSettings(config: record.config).validate()
            _ = try? Reproducibility.differences(seed, mutant)
        }
        #expect(decoded > 100)  // the mutants reach the renderer, not just the parser
    }

    @Test(arguments: ["sweep-spec.json", "sweep-spec.yaml"])
    func sweepSpecsNeverTrap(file: String) throws {
        let seed = try Data(contentsOf: Self.corpus.appendingPathComponent(file))
        let rng = RandomStream(seed: 99)
        var parsed = 0
        for _ in 0..<3000 {
            guard let spec = try? SweepSpec.parse(Self.mutate(seed, rng: rng), path: "fuzz-" + file) else { continue }
            parsed += 1
            _ = spec.runs.map { spec.folder($0.index) }
        }
        #expect(parsed > 50)
    }

    @Test func baselinesAndModelFilesNeverTrap() throws {
        let dir = TestSupport.temporaryDirectory()
        let rng = RandomStream(seed: 7)
        let target = ["energy": "ising", "lattice": "2x2", "boundary": "periodic", "coupling": "1.0", "field": "0.0", "beta": "0.4406868"]
        let original = try SavedModel.read(from: Self.corpus.appendingPathComponent("model.json"), expecting: target)
        var baselinesParsed = 0, modelsLoaded = 0
        for name in ["baseline.json", "model.json"] {
            let seed = try Data(contentsOf: Self.corpus.appendingPathComponent(name))
            for k in 0..<600 {
                let url = dir.appendingPathComponent("\(k)-\(name)")
                try Self.mutate(seed, rng: rng).write(to: url)
                if name == "baseline.json" {
                    if let b = try? Baseline.read(url) { baselinesParsed += 1; _ = try? RunSettings(config: b.config).validate() }
                } else if let m = try? SavedModel.read(from: url, expecting: target) {
                    // The checksum lets only mutants that change no value through (whitespace, a
                    // dropped blank line): whatever loads is the original model, never a changed one.
                    modelsLoaded += 1
                    #expect(m == original, "mutant \(k) changed the model and still loaded")
                    _ = try? m.decodedParameters()
                    _ = try? m.settings.validate()
                }
            }
        }
        #expect(baselinesParsed >= 10)  // some mutants reach the validation, not just the parser (15 of 600 with this seed)
        #expect(modelsLoaded < 600)    // and the checksum refuses the model files' changed ones
    }
}
