import Foundation

/// A NumPy `.npy` file (format version 1.0): the magic string, a little-endian header length,
/// a Python-literal header padded with spaces to a multiple of 64 bytes and ending in a newline,
/// then the raw C-ordered data. Written by hand because the format is that small.
public enum NumPyArray {
    /// The element types written here.
    public enum DType: String, Sendable {
        case int8 = "|i1", uint8 = "|u1", float64 = "<f8"
        /// The name `numpy.dtype` prints (used in the index).
        public var name: String {
            switch self { case .int8: return "int8"; case .uint8: return "uint8"; case .float64: return "float64" }
        }
    }

    /// The header that precedes data of `dtype` with `shape` (C order).
    public static func header(dtype: DType, shape: [Int]) -> Data {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(dims), }"
        let prefix = 10  // magic (6) + version (2) + header length (2)
        let total = (prefix + dict.utf8.count + 1 + 63) / 64 * 64
        dict += String(repeating: " ", count: total - prefix - dict.utf8.count - 1) + "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        d.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        d.append(contentsOf: Array(dict.utf8))
        return d
    }

    /// A `.npy` file of bytes (int8 or uint8).
    public static func file(bytes: [UInt8], dtype: DType, shape: [Int]) -> Data {
        precondition(dtype != .float64 && shape.reduce(1, *) == bytes.count, "shape and data disagree")
        var d = header(dtype: dtype, shape: shape)
        d.append(contentsOf: bytes)
        return d
    }

    /// A `.npy` file of float64 values, little-endian.
    public static func file(doubles: [Double], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == doubles.count, "shape and data disagree")
        var d = header(dtype: .float64, shape: shape)
        d.reserveCapacity(d.count + 8 * doubles.count)
        doubles.withUnsafeBufferPointer { buffer in
            for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        }
        return d
    }
}

/// One sampler's draws as `--save-draws` writes them: per chain, in the order drawn.
public struct SamplerDraws: Sendable {
    /// The sampler's name in the run record ("mh", "gfn", "gfn-mh").
    public var name: String
    public var chains: Int
    public var drawsPerChain: Int
    public var variables: Int
    /// Independent draws (the GFlowNet's), stored as one chain.
    public var independent: Bool
    /// chains × draws × variables values x_i ∈ {0, …, q−1}.
    public var states: [UInt8]
    /// Per-draw series, each chains × draws, e.g. ("energy", …), ("magnetization", …), ("log_pf", …).
    public var series: [(name: String, values: [Double])]
    /// What the series mean beyond the common ones, said in the index.
    public var notes: [String: String]

    public init(name: String, chains: Int, drawsPerChain: Int, variables: Int, independent: Bool, states: [UInt8],
                series: [(name: String, values: [Double])], notes: [String: String] = [:]) {
        self.name = name; self.chains = chains; self.drawsPerChain = drawsPerChain; self.variables = variables
        self.independent = independent; self.states = states; self.series = series; self.notes = notes
    }
}

/// Collects the draws of a run's samplers (filled by the pipeline when asked) and turns them into
/// the files of a draws folder: one `.npy` per array and a `draws.json` index.
public final class DrawArchive: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [SamplerDraws] = []
    private var spins: [Double] = []

    public init() {}

    /// The samplers added so far, in the order they were added.
    public var samplers: [SamplerDraws] { lock.lock(); defer { lock.unlock() }; return stored }

    /// spin(v) for each value v of the energy's variables (set by the pipeline).
    public var spinValues: [Double] {
        get { lock.lock(); defer { lock.unlock() }; return spins }
        set { lock.lock(); spins = newValue; lock.unlock() }
    }

    /// Adds one sampler's draws.
    public func add(_ draws: SamplerDraws) { lock.lock(); stored.append(draws); lock.unlock() }

    /// Bytes the states of `draws` draws of `variables` variables take, twice over (the draws and
    /// the file written from them): the memory `--save-draws` adds to a run.
    public static func stateBytes(draws: Double, variables: Int) -> Double { 2 * draws * Double(variables) }

    /// The index of a draws folder (`draws.json`).
    public struct Index: Codable, Equatable, Sendable {
        /// One `.npy` file: where it is, its NumPy dtype and shape.
        public struct ArrayFile: Codable, Equatable, Sendable {
            public var file: String
            public var dtype: String
            public var shape: [Int]
            public init(file: String, dtype: String, shape: [Int]) { self.file = file; self.dtype = dtype; self.shape = shape }
        }
        public struct Sampler: Codable, Equatable, Sendable {
            public var name: String
            public var chains: Int
            public var drawsPerChain: Int
            public var independent: Bool
            /// Array name → file; `states` and one entry per series.
            public var arrays: [String: ArrayFile]
            public var notes: [String: String]
        }
        public var format: String
        public var tool: ToolInfo
        public var config: RunConfig
        /// spin(v) for each value v (magnetisation M = Σ_i spin(x_i)), e.g. [-1, 1] for Ising.
        public var spinValues: [Double]
        public var states: String
        public var samplers: [Sampler]
    }

    /// The folder's files (relative path → contents): `draws.json` and one `.npy` per array.
    public func files(tool: ToolInfo, config: RunConfig) throws -> [String: Data] {
        let spinValues = self.spinValues
        var files: [String: Data] = [:]
        var index: [Index.Sampler] = []
        for s in samplers {
            var arrays: [String: Index.ArrayFile] = [:]
            let dtype: NumPyArray.DType = spinValues.count <= 128 ? .int8 : .uint8
            let stateShape = [s.chains, s.drawsPerChain, s.variables]
            files["\(s.name)/states.npy"] = NumPyArray.file(bytes: s.states, dtype: dtype, shape: stateShape)
            arrays["states"] = Index.ArrayFile(file: "\(s.name)/states.npy", dtype: dtype.name, shape: stateShape)
            for (name, values) in s.series {
                files["\(s.name)/\(name).npy"] = NumPyArray.file(doubles: values, shape: [s.chains, s.drawsPerChain])
                arrays[name] = Index.ArrayFile(file: "\(s.name)/\(name).npy", dtype: NumPyArray.DType.float64.name, shape: [s.chains, s.drawsPerChain])
            }
            index.append(Index.Sampler(name: s.name, chains: s.chains, drawsPerChain: s.drawsPerChain, independent: s.independent,
                                       arrays: arrays, notes: s.notes))
        }
        let record = Index(format: "gfn-compare draws 1", tool: tool, config: config, spinValues: spinValues,
                           states: "x_i ∈ {0, …, q−1} in the energy's own variable order, one row per draw; spin(x_i) = spin_values[x_i]",
                           samplers: index)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.keyEncodingStrategy = .convertToSnakeCase
        var json = try enc.encode(record)
        json.append(0x0A)
        files["draws.json"] = json
        return files
    }
}
