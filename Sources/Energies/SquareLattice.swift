import GFNCore

/// Boundary conditions of a lattice.
public enum Boundary: String, Sendable, Codable, CaseIterable {
    /// The lattice wraps around (a torus).
    case periodic
    /// Sites on the border have fewer neighbours.
    case open
}

/// A rows × cols square lattice with its nearest-neighbour structure.
///
/// Bonds are each site's bond to its right and to its lower neighbour, so every bond is
/// counted once. With periodic boundaries and 2 columns (or rows) a site's right and left
/// neighbour are the same site: that pair is then joined by two bonds, which is what the
/// torus (and Kaufman's formula) means.
public struct SquareLattice: Sendable, Hashable, Codable {
    public let rows: Int
    public let cols: Int
    public let boundary: Boundary

    /// - Throws: `GFNError.invalidInput` for sizes that do not make a lattice.
    public init(rows: Int, cols: Int, boundary: Boundary) throws {
        guard rows >= 1, cols >= 1 else {
            throw GFNError.invalidInput("lattice \(rows)x\(cols) is empty: rows and columns must be at least 1")
        }
        if boundary == .periodic && (rows < 2 || cols < 2) {
            throw GFNError.invalidInput("a periodic lattice needs at least 2 rows and 2 columns (got \(rows)x\(cols)); use --boundary open for a chain")
        }
        guard rows <= 4096, cols <= 4096, rows * cols <= 1 << 24 else {
            throw GFNError.invalidInput("lattice \(rows)x\(cols) is too large: at most 4096 per side and 2^24 sites")
        }
        self.rows = rows; self.cols = cols; self.boundary = boundary
    }

    public var siteCount: Int { rows * cols }

    /// The bonds, each once: (site, right neighbour) and (site, lower neighbour).
    public var bonds: [Bond] {
        var result: [Bond] = []
        result.reserveCapacity(2 * siteCount)
        for r in 0..<rows {
            for c in 0..<cols {
                let s = r * cols + c
                if c + 1 < cols { result.append(Bond(s, s + 1)) } else if boundary == .periodic { result.append(Bond(s, r * cols)) }
                if r + 1 < rows { result.append(Bond(s, s + cols)) } else if boundary == .periodic { result.append(Bond(s, c)) }
            }
        }
        return result
    }

    /// "RxC", the form `--lattice` takes.
    public var label: String { "\(rows)x\(cols)" }
}

