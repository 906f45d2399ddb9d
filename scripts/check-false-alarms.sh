#!/usr/bin/env bash
# Runs `gfn-compare check` on every committed baseline under 20 seeds outside its calibration
# set and counts false alarms (the current code must pass them all).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
bin=.build/release/gfn-compare
alarms=0; runs=0
for baseline in reports/baselines/*.json; do
    for seed in $(seq 1001 1020); do
        runs=$((runs + 1))
        if ! $bin check "$baseline" --seed "$seed" --quiet > /tmp/gfn-check.out; then
            alarms=$((alarms + 1)); echo "false alarm: $baseline seed $seed"; grep REGRESSED /tmp/gfn-check.out || true
        fi
    done
done
echo "$alarms false alarms in $runs checks"
