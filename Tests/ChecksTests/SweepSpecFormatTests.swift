import Checks
import Comparison
import Foundation
import GFNCore
import Testing
import TestSupport

/// YAML sweep specs: the same schema as JSON, decoded to the same `SweepSpec`, with documents
/// whose anchors and aliases expand beyond `SweepSpec.maximumYAMLNodes` refused before decoding.
@Suite struct SweepSpecFormatTests {
    static let corpus = TestSupport.packageRoot.appendingPathComponent("Tests/ComparisonTests/FuzzCorpus")

    @Test func theFormatFollowsTheExtension() {
        #expect(SweepSpec.Format(path: "a/b.yaml") == .yaml)
        #expect(SweepSpec.Format(path: "b.YML") == .yaml)
        #expect(SweepSpec.Format(path: "b.json") == .json)
        #expect(SweepSpec.Format(path: "spec") == .json)
    }

    @Test func aYAMLSpecDecodesToTheSameSpecAsItsJSONTwin() throws {
        let json = try SweepSpec.read(Self.corpus.appendingPathComponent("sweep-spec.json").path)
        let yaml = try SweepSpec.read(Self.corpus.appendingPathComponent("sweep-spec.yaml").path)
        #expect(yaml == json)
        // Bare numbers keep their spelling: "0.4406868" and "50000", not a re-printed Double.
        #expect(yaml.axes[0].values == ["0.2", "0.3", "0.4406868", "0.6"])
        #expect(yaml.runs.map(\.arguments) == json.runs.map(\.arguments))
    }

    @Test func aliasesWithinTheLimitAreFollowed() throws {
        let text = """
        name: shared
        base: [--lattice, 2x2]
        axes:
          - {flag: seed, values: &s [1, 2, 3]}
          - {flag: chains, values: *s}
        """
        let spec = try SweepSpec.parse(Data(text.utf8), path: "shared.yaml")
        #expect(spec.axes[1].values == ["1", "2", "3"])
        #expect(spec.runs.count == 9)
    }

    @Test func anAliasBombIsRefusedQuicklyAndNamed() throws {
        // Nine levels of ten aliases: 10^9 scalars once expanded, from about 400 bytes of text.
        var lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1...8 {
            lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines += ["name: bomb", "base: []", "axes: []"]
        let start = Date()
        #expect {
            try SweepSpec.parse(Data(lines.joined(separator: "\n").utf8), path: "bomb.yaml")
        } throws: { error in
            "\(error)".contains("anchors and aliases expand to more than \(SweepSpec.maximumYAMLNodes)")
        }
        #expect(Date().timeIntervalSince(start) < 10)  // the walk stops at the limit; expanding would take hours
    }

    @Test(arguments: [
        ("name: x\nbase: [\n", "not valid YAML"),
        ("name: x\naxes: []\n", "'base' is missing"),
        ("", "empty"),
        ("name: x\nbase: []\naxes: [{flag: beta, values: []}]\n", "has no values"),
        ("name: x\nbase: [--out, here]\naxes: []\n", "may not set --out"),
        ("- just\n- a list\n", "not a valid spec"),
    ])
    func badYAMLIsRefusedWithAMessage(text: String, expected: String) {
        #expect {
            try SweepSpec.parse(Data(text.utf8), path: "bad.yaml")
        } throws: { error in
            guard case GFNError.invalidInput(let message) = error else { return false }
            return message.contains(expected) && message.contains("bad.yaml")
        }
    }
}
