import ArgumentParser
import Exact

/// `gfn-compare energies`: every energy with its parameters and defaults.
struct EnergiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "energies", abstract: "List the energy models, their parameters and defaults.")

    func run() {
        print("""
        ising   2D Ising model on a square lattice.
                E(x) = −J·Σ_<ij> s_i s_j − h·Σ_i s_i, s_i = ±1, each nearest-neighbour bond once
                (torchgfn's DiscreteEBM counts bonds twice: its J is 2J here).
                --lattice RxC (4x4)  --boundary periodic|open (periodic)  --coupling J (1)  --field h (0)  --beta β (\(defaultBeta) = β_c)
                Exact: enumeration up to 2^24 states; Kaufman's log Z and ⟨E⟩ on periodic zero-field lattices of any size;
                Onsager/Yang infinite-lattice values for context.
        potts   q-state Potts model on a square lattice.
                E(x) = −J·Σ_<ij> δ(x_i, x_j) − h·Σ_i δ(x_i, 0), x_i ∈ {0, …, q−1}, each bond once.
                --q Q (3)  --lattice RxC (4x4)  --boundary periodic|open  --coupling J (1)  --field h (0)  --beta β
                Exact: enumeration up to 2^24 states (q^n).
        ea      Edwards–Anderson spin glass on a square lattice: E(x) = −Σ_<ij> J_ij s_i s_j.
                --disorder pm|gaussian (pm: J_ij = ±J; gaussian: J·N(0, 1))  --instance-seed S (1)  --coupling J (1)
                --lattice RxC (4x4)  --boundary periodic|open  --beta β. The couplings come from S alone and are written into run.json.
                Exact: enumeration up to 2^24 states.
        sk      Sherrington–Kirkpatrick: E(x) = −Σ_{i<j} J_ij s_i s_j, J_ij ~ N(0, 1)/√n.
                --spins N (16)  --instance-seed S (1)  --beta β. Exact: enumeration up to 24 spins.
        hypergrid  The GFlowNet benchmark: a D-dimensional grid of side H, p(x) ∝ R(x) with
                R = R0 + R1·Π 1[0.25 < |x_d/(H−1) − 0.5| ≤ 0.5] + R2·Π 1[0.3 < |x_d/(H−1) − 0.5| < 0.4] (E = −log R, β = 1).
                --dims D (2)  --side H (8)  --r0 (0.1)  --r1 (0.5)  --r2 (2.0). MH: ±1 moves with reflecting borders
                (--kernel grid-step); GFlowNet: increment a coordinate or stop. Exact: enumeration of the H^D points.
        file:PATH  A pairwise model from a text file (docs/model-files.md; examples/frustrated-ring.txt,
                examples/potts-triangles.txt): `variables N [domain Q]`, then `coupling i j J` / `field i h`
                lines (or bare `i j J` / `i h`), `#` comments. Domain 2: Ising spins; domain q > 2: Potts-style δ terms.
        """)
    }
}
