import Comparison
import Foundation
import GFNCore
import Yams

/// A sweep specification: shared arguments and the axes to cross (see docs/sweeps.md).
public struct SweepSpec: Codable, Equatable, Sendable {
    public struct Axis: Codable, Equatable, Sendable {
        /// A `run` flag without its dashes, e.g. "beta".
        public var flag: String
        public var values: [String]
        public init(flag: String, values: [String]) { self.flag = flag; self.values = values }
    }
    public var name: String
    /// Arguments every run shares, e.g. ["--lattice", "4x4", "--samples", "100000"].
    public var base: [String]
    /// Crossed in order; the last axis varies fastest.
    public var axes: [Axis]

    /// Reads and structurally validates a spec (the CLI also validates every run's arguments).
    /// YAML for `.yaml` / `.yml` paths, JSON otherwise.
    public static func read(_ path: String) throws -> SweepSpec {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw GFNError.invalidInput("sweep spec \(path): cannot read the file") }
        return try parse(data, path: path)
    }

    /// The text formats a spec may be written in; both decode to the same `SweepSpec`.
    public enum Format: Sendable {
        case json, yaml
        /// YAML for `.yaml` / `.yml` files, JSON otherwise.
        public init(path: String) {
            let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
            self = (ext == "yaml" || ext == "yml") ? .yaml : .json
        }
    }

    /// The most YAML nodes a spec may expand to once anchors and aliases are followed. The
    /// largest legal spec (100,000 runs on one axis plus a long base) stays far below it; a
    /// "billion laughs" document of a few hundred bytes exceeds it and is refused before decoding.
    public static let maximumYAMLNodes = 1_000_000

    /// Parses and structurally validates spec text (`format` from the path's extension unless given).
    public static func parse(_ data: Data, path: String, format: Format? = nil) throws -> SweepSpec {
        let spec: SweepSpec
        switch format ?? Format(path: path) {
        case .json:
            do { spec = try JSONDecoder().decode(SweepSpec.self, from: data) } catch {
                throw GFNError.invalidInput("sweep spec \(path): not a valid spec (\(error.localizedDescription)); see docs/sweeps.md")
            }
        case .yaml:
            spec = try parseYAML(data, path: path)
        }
        try spec.validate(path)
        return spec
    }

    private static func parseYAML(_ data: Data, path: String) throws -> SweepSpec {
        guard let text = String(data: data, encoding: .utf8) else {
            throw GFNError.invalidInput("sweep spec \(path): not UTF-8 text")
        }
        // Compose first: the parser shares an anchored node between its aliases, so the tree costs
        // memory in proportion to the text; only walking it expands the aliases, and that walk
        // is counted and cut off.
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw GFNError.invalidInput("sweep spec \(path): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? "")); see docs/sweeps.md")
        }
        guard let root else { throw GFNError.invalidInput("sweep spec \(path): the YAML document is empty") }
        guard expandedNodeCount(root, limit: maximumYAMLNodes) <= maximumYAMLNodes else {
            throw GFNError.invalidInput("sweep spec \(path): its anchors and aliases expand to more than \(maximumYAMLNodes) YAML nodes; refusing it (write the values out, or use fewer nested aliases)")
        }
        do { return try YAMLDecoder().decode(SweepSpec.self, from: root) } catch {
            throw GFNError.invalidInput("sweep spec \(path): not a valid spec (\(Self.describe(error))); see docs/sweeps.md")
        }
    }

    /// Nodes in `node` with every alias followed, counting stops once it passes `limit`.
    static func expandedNodeCount(_ node: Node, limit: Int) -> Int {
        var count = 0
        var stack = [node]
        while let n = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch n {
            case .scalar, .alias: break
            case .sequence(let s): stack.append(contentsOf: s)
            case .mapping(let m): for (k, v) in m { stack.append(k); stack.append(v) }
            }
        }
        return count
    }

    /// A one-line account of a decoding error: which field, what was wrong.
    private static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return String(describing: error).split(separator: "\n").first.map(String.init) ?? "" }
        func at(_ path: [CodingKey]) -> String { path.isEmpty ? "the top level" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case .keyNotFound(let key, let c): return "'\(key.stringValue)' is missing at \(at(c.codingPath))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        @unknown default: return String(describing: e)
        }
    }

    public func validate(_ path: String) throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw GFNError.invalidInput("sweep spec \(path): name must be letters, digits, '-', '_' or '.'")
        }
        let reserved: Set<String> = ["out", "force", "quiet", "save-model", "load-model"]
        for a in axes {
            guard !a.values.isEmpty else { throw GFNError.invalidInput("sweep spec \(path): axis '\(a.flag)' has no values") }
            guard !reserved.contains(a.flag), a.flag.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw GFNError.invalidInput("sweep spec \(path): '\(a.flag)' cannot be a sweep axis")
            }
        }
        // Both spellings: `--out DIR` and `--out=DIR` (and a value that smuggles one in).
        func managed(_ token: String) -> Bool {
            guard token.hasPrefix("--") else { return false }
            let name = token.dropFirst(2).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return ["out", "force", "save-model", "load-model"].contains(name)
        }
        guard !base.contains(where: managed), !axes.contains(where: { $0.values.contains(where: managed) }) else {
            throw GFNError.invalidInput("sweep spec \(path): base arguments and axis values may not set --out, --force, --save-model or --load-model, in either the `--flag value` or the `--flag=value` form (the sweep manages them; a saved model per run would be overwritten by every run)")
        }
        var count = 1
        for a in axes { count *= a.values.count; guard count <= 100_000 else { break } }
        guard count <= 100_000 else { throw GFNError.invalidInput("sweep spec \(path): more than 100000 runs") }
    }

    public struct Run: Sendable {
        public var index: Int
        public var values: [String]
        public var arguments: [String]
        public var label: String
    }

    /// The numbered runs: the Cartesian product of the axes, last axis fastest.
    public var runs: [Run] {
        var combos: [[String]] = [[]]
        for a in axes { combos = combos.flatMap { c in a.values.map { c + [$0] } } }
        return combos.enumerated().map { i, values in
            let extra = zip(axes, values).flatMap { ["--\($0.flag)", $1] }
            return Run(index: i, values: values, arguments: base + extra,
                       label: zip(axes, values).map { "\($0.flag)=\($1)" }.joined(separator: " "))
        }
    }

    public func folder(_ i: Int) -> String { String(format: "run-%05d", i) }
}

