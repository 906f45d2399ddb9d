#!/usr/bin/env bash
# A Slurm job array that runs a gfn-compare sweep on N nodes, one shard each, then merges.
#
#   N=$(.build/release/gfn-compare sweep examples/sweep-beta.json --list | wc -l)   # runs in the sweep
#   SHARDS=8
#   jobid=$(sbatch --parsable --array=0-$((SHARDS - 1)) scripts/slurm-sweep.sh examples/sweep-beta.json $SHARDS)
#   sbatch --dependency=afterok:$jobid --wrap ".build/release/gfn-compare merge sweeps/shard-* --out sweeps/merged"
#
# Shard K runs the runs whose index ≡ K (mod SHARDS). A preempted or failed task can simply be
# resubmitted: finished runs (those with a run.json, which is written atomically) are skipped.
# Environment (pass with sbatch --export=ALL,…): GFN_COMPARE, the binary (default
# .build/release/gfn-compare); SWEEP_DIR, where the shard folders go (default sweeps).
# scripts/test-slurm.sh runs this script on a one-node Slurm cluster it starts itself.
#SBATCH --job-name=gfn-sweep
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
set -euo pipefail
spec=$1
shards=$2
k=${SLURM_ARRAY_TASK_ID:?run this as a Slurm array task}
cd "${SLURM_SUBMIT_DIR:-.}"
"${GFN_COMPARE:-.build/release/gfn-compare}" sweep "$spec" --shard "$k/$shards" --out "${SWEEP_DIR:-sweeps}/shard-$k" \
    --jobs "${SLURM_CPUS_PER_TASK:-2}" --quiet
