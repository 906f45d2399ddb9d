#!/usr/bin/env bash
# Measures the false-call rate of the beyond-enumeration rule (README, "Reading a report", rule 2):
# MH, which is correct, on a lattice beyond enumeration with Kaufman's exact ⟨E⟩; every
# "measurably off" (|⟨E⟩ − exact| > 3 MCSE) among the runs that pass R-hat/ESS is a false call.
# Usage: scripts/mean-energy-rule-rates.sh [SEEDS] [extra gfn-compare flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-200}; shift || true
bin=.build/release/gfn-compare
[ -x "$bin" ] || swift build -c release
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
for seed in $(seq 1 "$seeds"); do
  "$bin" --energy ising --lattice 8x8 --beta 0.4 --no-gfn --samples 40000 --seed "$seed" "$@" --quiet --out "$dir/r" --force > /dev/null
  python3 - "$dir/r/run.json" >> "$dir/z.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["samplers"][0]["metrics"]
if m["verdict_refusal"] is None:
    print((m["mean_energy"] - m["mean_energy_exact"]) / m["mean_energy_mcse"])
else:
    print("refused")
PY
done
python3 - "$dir/z.txt" <<'PY'
import sys
zs = [l.strip() for l in open(sys.argv[1])]
judged = [float(z) for z in zs if z != "refused"]
off = sum(abs(z) > 3 for z in judged)
print(f"{len(zs)} runs, {len(zs) - len(judged)} refused a verdict, {off} of {len(judged)} called 'measurably off' ({100 * off / max(len(judged), 1):.2f}%); mean z {sum(judged) / len(judged):+.3f}, sd {(sum(z * z for z in judged) / len(judged)) ** 0.5:.3f}")
PY
