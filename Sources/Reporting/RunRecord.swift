import Foundation
import Metrics

/// The machine-readable record of one comparison run (`run.json`).
///
/// Contract (documented in docs/run-json.md): field names and meanings are stable within a
/// `schema_version`. Fields that measure time (`wall_seconds` and every key ending in `_seconds`
/// or `_per_second`) and the `environment` block describe the machine and the moment; every
/// other field is a deterministic function of the configuration, the seed and the binary.
public struct RunRecord: Codable, Equatable, Sendable {
    public static let currentSchemaVersion = 2

    public var schemaVersion: Int
    public var tool: ToolInfo
    /// The exact command line that produced this record.
    public var command: String
    public var config: RunConfig
    public var exact: ExactRecord
    public var samplers: [SamplerRecord]
    /// The two samplers against each other (null with one sampler; written as an explicit null).
    @Nullable public var comparison: ComparisonRecord?
    /// MH against the GFlowNet-in-MH sampler, by the same rule (absent when the run has no `gfn-mh`).
    public var gfnMhComparison: ComparisonRecord?
    public var environment: EnvironmentRecord

    public init(tool: ToolInfo, command: String, config: RunConfig, exact: ExactRecord, samplers: [SamplerRecord],
                comparison: ComparisonRecord?, environment: EnvironmentRecord) {
        schemaVersion = Self.currentSchemaVersion
        self.tool = tool; self.command = command; self.config = config
        self.exact = exact; self.samplers = samplers; self.comparison = comparison; self.environment = environment
    }

    /// Encodes as stable, pretty-printed JSON with sorted keys and snake_case names.
    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.keyEncodingStrategy = .convertToSnakeCase
        // A divergence that is genuinely infinite (KL to a distribution with an empty state) is
        // written as the string "Infinity" rather than failing the whole record.
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        var d = try enc.encode(self)
        d.append(0x0A)
        return d
    }

    /// Decodes a record, checking its schema version.
    public static func decode(_ data: Data) throws -> RunRecord {
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        struct Version: Decodable { var schemaVersion: Int }
        let v = try dec.decode(Version.self, from: data)
        guard v.schemaVersion == currentSchemaVersion else {
            throw RecordError.unsupportedSchema(v.schemaVersion)
        }
        let record: RunRecord
        do { record = try dec.decode(RunRecord.self, from: data) } catch let e as DecodingError { throw RecordError.malformed(e) }
        try record.validate()
        return record
    }

    /// Checks the record's internal consistency (array lengths, counts), so nothing downstream
    /// indexes past an array of a damaged or hand-edited record.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String) throws { if !ok { throw RecordError.inconsistent(field) } }
        try check(samplers.count <= 16, "samplers")
        if let levels = exact.energyLevels { try check(exact.energyLevelProbabilities?.count == levels.count, "exact.energy_level_probabilities") }
        for (i, s) in samplers.enumerated() {
            let m = s.metrics
            try check(m.samples >= 0, "samplers[\(i)].metrics.samples")
            if let t = s.training {
                try check(t.iteration.count == t.loss.count && t.loss.count == t.logZ.count, "samplers[\(i)].training")
            }
            if let c = m.curve {
                try check(c.energyEvaluations.count == c.tv.count && c.wallSeconds.count == c.tv.count, "samplers[\(i)].metrics.curve")
            }
            if let h = m.energyHistogram { try check(h.count == exact.energyLevels?.count, "samplers[\(i)].metrics.energy_histogram") }
            if let h = m.magnetizationHistogram { try check(h.count == exact.magnetizationProbabilities?.count, "samplers[\(i)].metrics.magnetization_histogram") }
            if let u = m.marginalsUp, let e = exact.marginalsUp { try check(u.count == e.count, "samplers[\(i)].metrics.marginals_up") }
            if let u = m.marginals, let e = exact.marginals {
                try check(u.count == e.count && zip(u, e).allSatisfy { $0.count == $1.count }, "samplers[\(i)].metrics.marginals")
            }
        }
    }
}

public enum RecordError: Error, CustomStringConvertible {
    case unsupportedSchema(Int)
    case inconsistent(String)
    /// A field that is missing, of the wrong type, or holds a value this version does not know.
    case malformed(DecodingError)
    public var description: String {
        switch self {
        case .malformed(let e): return "run.json has an unreadable field: " + Self.describe(e)
        case .unsupportedSchema(let v): return "run.json has schema_version \(v); this gfn-compare reads schema_version \(RunRecord.currentSchemaVersion)"
        case .inconsistent(let field): return "run.json is inconsistent at \(field) (damaged or hand-edited)"
        }
    }

    /// The field's path in the file's own snake_case spelling, and what is wrong with it.
    static func describe(_ e: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { k in k.intValue.map { "[\($0)]" } ?? "." + snakeCase(k.stringValue) }.joined().drop { $0 == "." }.description
        }
        switch e {
        case let .keyNotFound(key, c): return "\(path(c.codingPath + [key])) is missing"
        case let .valueNotFound(_, c): return "\(path(c.codingPath)) is null where a value is needed"
        case let .typeMismatch(type, c): return "\(path(c.codingPath)) is not a \(type)"
        case let .dataCorrupted(c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { out, ch in
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
    }
}

public struct ToolInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public init(name: String, version: String) { self.name = name; self.version = version }
}

/// The machine and the moment: excluded from reproducibility comparisons.
public struct EnvironmentRecord: Codable, Equatable, Sendable {
    public var date: String
    public var gitCommit: String?
    public var swiftVersion: String
    public var gslVersion: String
    public var openblas: String
    public var cpuModel: String
    public var cores: Int
    public var totalWallSeconds: Double
    public init(date: String, gitCommit: String?, swiftVersion: String, gslVersion: String, openblas: String, cpuModel: String, cores: Int, totalWallSeconds: Double) {
        self.date = date; self.gitCommit = gitCommit; self.swiftVersion = swiftVersion; self.gslVersion = gslVersion
        self.openblas = openblas; self.cpuModel = cpuModel; self.cores = cores; self.totalWallSeconds = totalWallSeconds
    }
}
