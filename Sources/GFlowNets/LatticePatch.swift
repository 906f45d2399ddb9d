import Energies
import NeuralNet

/// The local input of a fixed-order policy on a square lattice: the (2k+1)×(2k+1) window
/// around the site the next action sets, read with the same weights at every site — a masked
/// convolution whose mask is "already set", the autoregressive structure of PixelCNN-style
/// samplers (variational autoregressive networks) — plus the share of all sites set to each value.
///
/// Per window offset, q + 1 inputs: a one-hot of the value when that site is already set (all
/// zero while it is unset), and 1 when the offset falls outside an open lattice. A periodic
/// lattice wraps, so near the end of the order the window sees the first rows again, already set:
/// the conditional knows both of a site's neighbours across the seam. The q global inputs (the
/// fraction of the n sites set to each value) carry what no window sees: how far construction has
/// come and which way the lattice is magnetised so far.
///
/// Compared with the one-hot encoding of the whole state, the network has O(k²·q·width)
/// first-layer weights whatever the lattice size, and each conditional is learned from every
/// site at once.
public struct LatticePatch: Sendable {
    /// k: the window reaches k sites in each direction.
    public let radius: Int
    /// The lattice the window moves over (it wraps when periodic).
    public let lattice: SquareLattice
    /// Values per site.
    public let q: Int
    /// Window offsets (the site itself excluded: it is the one being set).
    public let offsets: Int
    /// neighbours[i·offsets + o]: the site at offset o from site i, or −1 outside an open lattice.
    @usableFromInline let neighbours: [Int32]

    /// Why a target without a uniform square lattice cannot have a patch input (the model's
    /// refusal and the command line's up-front check say it alike).
    public static let unsupportedTarget = "--policy-input patch needs a square lattice whose couplings and field are the same everywhere (Ising, Potts) in the fixed order; this target has none"

    /// The largest radius accepted: a 33×33 window.
    public static let maxRadius = 16

    /// The window of `radius` on `lattice` with `q` values per site; its neighbour table is
    /// built once (n × offsets entries).
    public init(radius: Int, lattice: SquareLattice, q: Int) {
        self.radius = radius; self.lattice = lattice; self.q = q
        let side = 2 * radius + 1
        offsets = side * side - 1
        var table: [Int32] = []
        table.reserveCapacity(lattice.siteCount * offsets)
        for r in 0..<lattice.rows {
            for c in 0..<lattice.cols {
                for dr in -radius...radius {
                    for dc in -radius...radius where dr != 0 || dc != 0 {
                        var rr = r + dr, cc = c + dc
                        if lattice.boundary == .periodic {
                            rr = ((rr % lattice.rows) + lattice.rows) % lattice.rows
                            cc = ((cc % lattice.cols) + lattice.cols) % lattice.cols
                            table.append(Int32(rr * lattice.cols + cc))
                        } else {
                            table.append(rr >= 0 && rr < lattice.rows && cc >= 0 && cc < lattice.cols ? Int32(rr * lattice.cols + cc) : -1)
                        }
                    }
                }
            }
        }
        neighbours = table
    }

    /// Inputs per state: (q + 1) per offset, q global shares.
    public var width: Int { offsets * (q + 1) + q }

    /// Writes the input for fixed-order state `s`: one integer per site, −1 while unset, then q
    /// counts of the sites holding each value (`SetVariableEnvironment`'s patch state). The sites
    /// are set in index order, so the next site is the number set so far.
    @inlinable
    public func encode<T: BLASScalar>(_ s: UnsafePointer<Int32>, into row: UnsafeMutablePointer<T>) {
        let n = lattice.siteCount
        row.update(repeating: 0, count: width)
        let globals = row + offsets * (q + 1)
        var next = 0
        for v in 0..<q {
            next += Int(s[n + v])
            globals[v] = T(Double(s[n + v]) / Double(n))
        }
        guard next < n else { return }
        neighbours.withUnsafeBufferPointer { table in
            let window = table.baseAddress! + next * offsets
            for o in 0..<offsets {
                let j = Int(window[o])
                let cell = row + o * (q + 1)
                if j < 0 { cell[q] = 1 } else if s[j] >= 0 { cell[Int(s[j])] = 1 }
            }
        }
    }
}
