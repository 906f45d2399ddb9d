#!/usr/bin/env bash
# Regenerates the example reports under reports/ with the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release 2>&1 | tail -1
bin=.build/release/gfn-compare
# The default comparison: 4×4 periodic Ising at β_c, both samplers.
$bin --energy ising --out reports/ising-4x4-default --force --quiet
# A small, fast-mixing model where both samplers reach their noise floor.
$bin --energy ising --lattice 3x3 --beta 0.3 --out reports/ising-3x3-beta0.3 --force --quiet
# Beyond enumeration: 16×16 (2^256 states), exact log Z and ⟨E⟩ from Kaufman's formula; the
# GFlowNet with the scale profile (the default beyond 2^24 states).
$bin --energy ising --lattice 16x16 --beta 0.4 --samples 200000 --gfn-samples 20000 \
     --out reports/ising-16x16-beta0.4 --force --quiet
# The 3-state Potts model on 3×3 (3^9 states, enumerated).
$bin --energy potts --q 3 --lattice 3x3 --beta 0.6 --out reports/potts3-3x3-beta0.6 --force --quiet
# The hypergrid benchmark, 2-D, H = 8 (β = 1, grid-step MH, increment-or-stop GFlowNet).
$bin --energy hypergrid --dims 2 --side 8 --out reports/hypergrid-2d-8 --force --quiet
# The three budget examples below keep the GFlowNet settings they were made and described with
# (the shared two-layer head and, on 8×8, trajectory balance with 256 hidden units — the defaults
# before the per-step head and the scale profile), so the README's figures stay theirs.
pinned="--head shared --layers 2"
# The ordered phase, where single-site moves fail: 8×8 periodic Ising at β = 0.6 (2^64 states;
# exact log Z and ⟨E⟩ by Kaufman), MH, the GFlowNet and mixed GFlowNet-in-MH chains at an equal
# budget of energy work.
$bin --energy ising --lattice 8x8 --beta 0.6 --seed 3 --budget-work 20000000 --gfn-mh-every 10 \
     $pinned --objective tb --hidden 256 --log-z-start zero --no-forward-looking \
     --out reports/ising-8x8-beta0.6-ordered --force --quiet
# A low-temperature ±J spin glass (4×5, 2^20 states: enumerated, so every distance is exact),
# the same three samplers at an equal budget.
$bin --energy ea --lattice 4x5 --beta 2 --seed 3 --budget-work 20000000 --gfn-mh-every 10 $pinned \
     --out reports/ea-4x5-beta2-glass --force --quiet
# The same glass with β annealed over the first half of training: the GFlowNet keeps both halves
# and the GFlowNet-in-MH chains reach the noise floor.
$bin --energy ea --lattice 4x5 --beta 2 --seed 3 --budget-work 20000000 --gfn-mh-every 10 --anneal 0.5 $pinned \
     --out reports/ea-4x5-beta2-glass-annealed --force --quiet
