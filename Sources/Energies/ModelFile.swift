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
    public static func load(path: String) throws -> PairwiseModel {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw GFNError.invalidInput("\(path): cannot read the model file")
        }
        return try parse(data, name: path)
    }

    public static func parse(_ data: Data, name: String) throws -> PairwiseModel {
        func fail(_ line: Int?, _ message: String) -> GFNError {
            .invalidInput(line.map { "\(name):\($0): \(message)" } ?? "\(name): \(message)")
        }
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) else {
            throw fail(nil, "not a text file (binary data or invalid UTF-8)")
        }
        var header: (n: Int, q: Int)?
        var edges: [(Int, Int, Double)] = []
        var seen = Set<Bond>()
        var fields: [Double] = []
        var fieldSet = Set<Int>()
        var sawContent = false
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = k + 1
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var tokens = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if tokens.isEmpty { continue }
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
                continue
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
        guard sawContent else { throw fail(nil, "the model file is empty") }
        guard let (n, q) = header else { throw fail(nil, "missing header `variables N [domain Q]`") }
        return try PairwiseModel(variables: n, domain: q, edges: edges, fields: fields, name: "model file \(name)")
    }

    /// FNV-1a (64-bit) of the file's bytes: recorded so a rerun can tell the file changed.
    public static func fingerprint(path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(format: "%016llx", h)
    }
}
