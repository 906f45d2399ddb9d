#!/usr/bin/env bash
# Measures the false-call rate of the reference rule beyond enumeration (README, "Reading a
# report", rule 2): MH, which is correct, on a lattice beyond enumeration, judged against the
# Wolff reference's energy and signed-magnetisation histograms; among the runs that pass R-hat/ESS,
# every "measurably different from the reference" (either histogram above its floor's mean + 3 sd)
# is a false call. Also counts the specific heat's |z| > 3 against Kaufman's exact value.
# Usage: scripts/reference-rule-rates.sh [SEEDS] [extra gfn-compare flags]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-200}; shift || true
bin=.build/release/gfn-compare
[ -x "$bin" ] || swift build -c release
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
for seed in $(seq 1 "$seeds"); do
  "$bin" --energy ising --lattice 8x8 --beta 0.3 --no-gfn --samples 40000 --seed "$seed" "$@" --quiet --out "$dir/r" --force > /dev/null
  python3 - "$dir/r/run.json" >> "$dir/calls.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r["samplers"][0]["metrics"]
c = m["reference_comparison"]
if m["verdict_refusal"] is not None:
    print("refused")
else:
    z = (c["specific_heat_per_site"] - r["exact"]["specific_heat_per_site"]) / c["specific_heat_per_site_se"]
    print(int(not c["energy"]["within_floor"]), int(not c["magnetization"]["within_floor"]), z)
PY
done
python3 - "$dir/calls.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
judged = [r for r in rows if r[0] != "refused"]
e = sum(int(r[0]) for r in judged); m = sum(int(r[1]) for r in judged)
either = sum(int(r[0]) or int(r[1]) for r in judged)
zs = [float(r[2]) for r in judged]
c = sum(abs(z) > 3 for z in zs)
n = max(len(judged), 1)
print(f"{len(rows)} runs, {len(rows) - len(judged)} refused a verdict; of {len(judged)} judged: energy histogram off {e}, magnetisation histogram off {m}, "
      f"'measurably different from the reference' {either} ({100 * either / n:.2f}%); specific heat |z| > 3: {c} ({100 * c / n:.2f}%), z mean {sum(zs) / n:+.3f}, sd {(sum(z * z for z in zs) / n) ** 0.5:.3f}")
PY
