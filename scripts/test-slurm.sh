#!/usr/bin/env bash
# The cluster check: a real one-node Slurm cluster on this machine runs scripts/slurm-sweep.sh as
# a 4-task job array over a small sweep; the merged sweep.json must equal the unsharded sweep's
# byte for byte. Run as root on Debian (it installs slurm-wlm and munge when missing):
#
#   scripts/test-slurm.sh [path/to/gfn-compare]     (default .build/release/gfn-compare)
#
# It starts munged, slurmctld and slurmd itself (no systemd) with every socket, state, spool and
# log file in a temporary folder, and stops exactly those daemons when it ends, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=$(realpath "${1:-.build/release/gfn-compare}")
[ -x "$binary" ] || { echo "test-slurm: no gfn-compare binary at $binary (swift build -c release)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-slurm: run as root (it installs Slurm and starts its daemons)" >&2; exit 2; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null
fi
say() { echo "test-slurm: $*" >&2; }

work=$(mktemp -d /tmp/gfn-slurm.XXXXXX)
chmod 755 "$work"
mkdir -p "$work"/{munge,state,spool,log,sweeps}
export SLURM_CONF="$work/slurm.conf"
stop() {
    status=$?
    for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munge/munged.pid"; do
        [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 1
    if [ $status -ne 0 ]; then
        say "FAILED; the daemons' logs:"
        tail -n 20 "$work"/log/*.log "$work"/sweeps/*.out 2>/dev/null >&2 || true
    fi
    rm -rf "$work"
    exit $status
}
trap stop EXIT INT TERM

# munge: a fresh key, its own socket.
dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
    --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" --seed-file="$work/munge/munged.seed"

host=$(hostname -s)
# Ports away from the defaults, so a Slurm already on this machine is not disturbed.
cat > "$SLURM_CONF" <<CONF
ClusterName=gfncompare
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -i
slurmd
for _ in $(seq 60); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && break
    sleep 1
done
sinfo -h -o %T | grep -q idle || { say "the node never became idle"; sinfo >&2 || true; exit 1; }
say "one-node cluster up ($(sinfo -h -o '%N %c CPUs %T'))"

# The sweep: 4 runs of a small model, 4 shards.
cat > "$work/spec.json" <<'SPEC'
{"name": "slurm-check", "base": ["--lattice", "2x3", "--boundary", "open", "--samples", "4000", "--chains", "2", "--burn-in", "50",
  "--iterations", "30", "--hidden", "8", "--batch", "8", "--gfn-samples", "500", "--blas-threads", "1"],
 "axes": [{"flag": "beta", "values": ["0.2", "0.9"]}, {"flag": "seed", "values": ["1", "2"]}]}
SPEC
"$binary" sweep "$work/spec.json" --out "$work/whole" --jobs 2 --quiet

jobid=$(sbatch --parsable --array=0-3 --chdir="$repo" --output="$work/sweeps/%A_%a.out" \
    --export=ALL,GFN_COMPARE="$binary",SWEEP_DIR="$work/sweeps" scripts/slurm-sweep.sh "$work/spec.json" 4)
say "submitted job array $jobid (4 tasks)"
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$jobid" 2>/dev/null)" ] && break
    sleep 1
done
[ -z "$(squeue -h -j "$jobid")" ] || { say "the job array did not finish within 10 minutes"; squeue >&2; exit 1; }
for k in 0 1 2 3; do
    [ -d "$work/sweeps/shard-$k" ] || { say "task $k left no shard folder"; exit 1; }
done
"$binary" merge "$work"/sweeps/shard-* --out "$work/merged" >/dev/null
cmp "$work/merged/sweep.json" "$work/whole/sweep.json"
say "OK: the 4 shards run by Slurm merge into a sweep.json byte-identical to the unsharded sweep's"
