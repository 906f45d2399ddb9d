#!/usr/bin/env bash
# Regenerates the example reports under reports/ with the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release
bin=.build/release/gfn-compare
$bin --energy ising --out reports/ising-4x4-default --force
$bin --energy ising --lattice 3x3 --beta 0.3 --out reports/ising-3x3-beta0.3 --force
$bin --energy ising --lattice 16x16 --beta 0.4 --samples 200000 --out reports/ising-16x16-beta0.4 --force
