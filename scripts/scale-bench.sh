#!/usr/bin/env bash
# The scale benchmark (issue 14): periodic zero-field Ising at β = 0.4 and β_c on 8×8, 16×16 and
# 32×32 with the default GFlowNet settings, each judged against Kaufman's exact log Z and ⟨E⟩.
# Writes one run folder per configuration under OUT (default reports/scale) and OUT/scale.md, a
# table of training time, |Δ log Z| (learned, importance-sampled, ELBO), mode masses, the ⟨E⟩ error
# in MCSE units and peak memory. Release build, 2 cores; about 25 minutes with the defaults below.
#
#   scripts/scale-bench.sh [OUT] [SIZES] [EXTRA FLAGS...]
#   scripts/scale-bench.sh /tmp/scale "8 16" --iterations 500     # a quick look
#   GFN_COMPARE=/tmp/gfn-compare scripts/scale-bench.sh            # a fixed copy of the binary
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-reports/scale}"
sizes="${2:-8 16 32}"
shift 2 2>/dev/null || shift $#
# GFN_COMPARE=/path/to/binary uses that build (e.g. a copy, so rebuilding meanwhile cannot touch the runs).
if [ -z "${GFN_COMPARE:-}" ]; then swift build -c release 2>&1 | tail -1; fi
bin="${GFN_COMPARE:-.build/release/gfn-compare}"
mkdir -p "$out"
for L in $sizes; do
    for beta in 0.4 0.4406868; do
        name="ising-${L}x${L}-beta${beta}"
        echo "[scale] $name" >&2
        # MH: 4 chains × 50,000 sweeps; the GFlowNet: 20,000 draws after training with the defaults.
        /usr/bin/time -v -o "$out/$name.time" "$bin" --energy ising --lattice "${L}x${L}" --beta "$beta" --seed 1 \
            --samples 200000 --gfn-samples 20000 --out "$out/$name" --force --quiet "$@" >/dev/null
    done
done
python3 scripts/scale-table.py "$out" > "$out/scale.md.tmp" && mv "$out/scale.md.tmp" "$out/scale.md"
cat "$out/scale.md"
