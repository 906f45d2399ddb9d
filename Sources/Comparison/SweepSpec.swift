import Foundation
import GFNCore

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
    public static func read(_ path: String) throws -> SweepSpec {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw GFNError.invalidInput("sweep spec \(path): cannot read the file") }
        return try parse(data, path: path)
    }

    /// Parses and structurally validates spec text.
    public static func parse(_ data: Data, path: String) throws -> SweepSpec {
        let spec: SweepSpec
        do { spec = try JSONDecoder().decode(SweepSpec.self, from: data) } catch {
            throw GFNError.invalidInput("sweep spec \(path): not a valid spec (\(error.localizedDescription)); see docs/sweeps.md")
        }
        try spec.validate(path)
        return spec
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

