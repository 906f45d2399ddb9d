import Foundation
import GFNCore

/// Reads user-supplied pairwise models from a plain-text file (`--energy file:PATH`).
///
///     # comments run to the end of the line; blank lines are ignored
///     variables 6 domain 2      # header, first: the number of variables and values per variable
///     coupling 0 1 1.0          # J_ij (also accepted bare: `0 1 1.0`)
///     field 3 -0.5              # h_i  (also accepted bare: `3 -0.5`)
///
/// Domain 2 gives Ising spins, E = −Σ J_ij sᵢsⱼ − Σ hᵢsᵢ; domain q > 2 gives Potts-style terms,
/// E = −Σ J_ij δ(xᵢ, xⱼ) − Σ hᵢ δ(xᵢ, 0). Variables are numbered from 0. Every problem is reported
/// with the file and line; nothing is sampled from a half-read model.
public enum PairwiseModelFile {
    /// Largest model file read: 256 MiB (about ten million coupling lines); larger ones are
    /// refused before reading, so one flag cannot exhaust memory.
    public static let maxFileBytes = 256 << 20
    /// Longest line: 4,096 bytes (a line holds at most a keyword and three numbers).
    public static let maxLineBytes = 4096

    /// Reads the file line by line in 1 MiB chunks (never whole), checking for a stop request
    /// between chunks.
    public static func load(path: String) throws -> PairwiseModel {
        var st = stat()
        guard stat(path, &st) == 0 else { throw GFNError.invalidInput("\(path): cannot read the model file") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw GFNError.invalidInput("\(path): not a regular file") }
        guard Int(st.st_size) <= maxFileBytes else {
            throw GFNError.invalidInput("\(path): the model file has \(st.st_size) bytes; the limit is \(maxFileBytes) (256 MiB)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw GFNError.invalidInput("\(path): cannot read the model file") }
        defer { try? handle.close() }
        var parser = Parser(name: path)
        var pending = Data()
        var lineNumber = 0
        var total = 0
        while true {
            try Interruption.check()
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw GFNError.invalidInput("\(path): cannot read the model file") }
            total += chunk.count
            guard total <= maxFileBytes else { throw GFNError.invalidInput("\(path): the model file grew past the \(maxFileBytes)-byte limit while being read") }
            if chunk.isEmpty { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                lineNumber += 1
                try parser.consume(pending[start..<newline], line: lineNumber)
                start = pending.index(after: newline)
            }
            pending = Data(pending[start...])
            guard pending.count <= maxLineBytes else { throw parser.fail(lineNumber + 1, "line longer than \(maxLineBytes) bytes") }
        }
        if !pending.isEmpty { lineNumber += 1; try parser.consume(pending[...], line: lineNumber) }
        return try parser.finish()
    }

    /// Parses a whole model file held in memory (tests, fuzzing).
    public static func parse(_ data: Data, name: String) throws -> PairwiseModel {
        var parser = Parser(name: name)
        var lineNumber = 0
        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard raw.count <= maxLineBytes else { throw parser.fail(lineNumber, "line longer than \(maxLineBytes) bytes") }
            try parser.consume(raw, line: lineNumber)
        }
        return try parser.finish()
    }

    /// The line-by-line state of one file being read.
    struct Parser {
        let name: String
        var header: (n: Int, q: Int)?
        var edges: [(Int, Int, Double)] = []
        var seen = Set<Bond>()
        var fields: [Double] = []
        var fieldSet = Set<Int>()
        var sawContent = false

        init(name: String) { self.name = name }

        func fail(_ line: Int?, _ message: String) -> GFNError {
            .invalidInput(line.map { "\(name):\($0): \(message)" } ?? "\(name): \(message)")
        }

        mutating func consume(_ bytes: Data.SubSequence, line lineNumber: Int) throws {
            guard !bytes.contains(0), let text = String(data: Data(bytes), encoding: .utf8) else {
                throw fail(lineNumber, "not a text file (binary data or invalid UTF-8)")
            }
            let content = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var tokens = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if tokens.isEmpty { return }
            sawContent = true
            var keyword: String?
            if let first = tokens.first, first.first?.isLetter == true, Double(first) == nil {
                keyword = first
                tokens.removeFirst()
            }
            if keyword == "variables" {
                guard header == nil else { throw fail(lineNumber, "a second header line") }
                guard tokens.count == 1 || (tokens.count == 3 && tokens[1] == "domain"),
                      let n = Int(tokens[0]), n >= 1, n <= 1 << 24 else {
                    throw fail(lineNumber, "the header must read `variables N [domain Q]` with 1 ≤ N ≤ 16777216")
                }
                let q = tokens.count == 3 ? Int(tokens[2]) : 2
                guard let q, (2...255).contains(q) else { throw fail(lineNumber, "the domain must be an integer from 2 to 255") }
                header = (n, q)
                fields = [Double](repeating: 0, count: n)
                return
            }
            guard let (n, _) = header else {
                throw fail(lineNumber, "missing header: the first line must be `variables N [domain Q]`")
            }
            let kind: String
            switch keyword {
            case nil: kind = tokens.count == 3 ? "coupling" : (tokens.count == 2 ? "field" : "?")
            case "coupling", "field": kind = keyword!
            default: throw fail(lineNumber, "unknown keyword '\(keyword!)' (expected variables, coupling or field)")
            }
            func index(_ s: String) throws -> Int {
                guard let i = Int(s) else { throw fail(lineNumber, "'\(s)' is not a variable index") }
                guard (0..<n).contains(i) else { throw fail(lineNumber, "variable index \(i) is out of range 0…\(n - 1)") }
                return i
            }
            func number(_ s: String) throws -> Double {
                guard let v = Double(s) else { throw fail(lineNumber, "'\(s)' is not a number") }
                guard v.isFinite else { throw fail(lineNumber, "'\(s)' is not a finite number") }
                return v
            }
            switch kind {
            case "coupling":
                guard tokens.count == 3 else { throw fail(lineNumber, "a coupling line needs `i j J`") }
                let i = try index(tokens[0]), j = try index(tokens[1]), value = try number(tokens[2])
                guard i != j else { throw fail(lineNumber, "coupling \(i)–\(j) is a self-loop") }
                guard seen.insert(Bond(min(i, j), max(i, j))).inserted else { throw fail(lineNumber, "duplicate edge \(i)–\(j)") }
                edges.append((i, j, value))
            case "field":
                guard tokens.count == 2 else { throw fail(lineNumber, "a field line needs `i h`") }
                let i = try index(tokens[0]), value = try number(tokens[1])
                guard fieldSet.insert(i).inserted else { throw fail(lineNumber, "duplicate field for variable \(i)") }
                fields[i] = value
            default:
                throw fail(lineNumber, "expected `i j J` (a coupling) or `i h` (a field), found \(tokens.count) numbers")
            }
        }

        func finish() throws -> PairwiseModel {
            guard sawContent else { throw fail(nil, "the model file is empty") }
            guard let (n, q) = header else { throw fail(nil, "missing header `variables N [domain Q]`") }
            return try PairwiseModel(variables: n, domain: q, edges: edges, fields: fields, name: "model file \(name)")
        }
    }

    /// FNV-1a (64-bit) of the file's bytes: recorded so a rerun can tell the file changed.
    public static func fingerprint(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var h = FNV1a()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty, !Interruption.requested { h.add(chunk) }
        return h.hex
    }
}
