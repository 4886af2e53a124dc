#!/usr/bin/env bash
# The cluster path, tested on a real SLURM: a throwaway one-node cluster on this machine,
# the small config (.test/) run through profiles/slurm on it, every table compared with a
# local run of the same config, and the daemons stopped again.
#
#   make test-slurm            # or: sudo bash tests/slurm/run.sh
#
# Needs root on a Debian-like machine where you may start daemons (a container or a VM of
# your own, not a machine that has a SLURM already: the script stops if it finds one).
# Installs slurm-wlm and munge with apt-get if they are missing (with ACCOUNTING=1 also
# slurmdbd and mariadb-server).  Every daemon runs from a temporary folder, on its own
# ports and munge socket; the only file written outside it is /etc/slurm/slurm.conf (and
# slurmdbd.conf), because the executor plugin strips SLURM_CONF from the jobs' environment;
# both are removed on exit.  What it proves and what it does not: docs/cluster.md.
#
# Settings (environment variables):
#   SNAKEMAKE      the snakemake to run (default: .venv/bin/snakemake of this checkout)
#   ACCOUNTING=1   also run slurmdbd on a MariaDB, so that sacct works (default: no
#                  accounting, as on many small clusters)
#   CANCEL=0       do not scancel a running job (default: one job is cancelled mid-run,
#                  and the run must resubmit it and finish)
#   PROFILE        the profile of the cluster run (default: profiles/slurm)
#   CLUSTER_ARGS   more arguments for the cluster run, e.g. "--slurm-status-command sacct"
#   RUN_TIMEOUT    seconds before a cluster run counts as hung (default 1200)
#   KEEP=1         keep the work folder (it is kept anyway when the test fails)
#   WORK           the work folder (default: a new one under /tmp)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SNAKEMAKE="${SNAKEMAKE:-$ROOT/.venv/bin/snakemake}"
PYTHON="$(dirname "$SNAKEMAKE")/python"
ACCOUNTING="${ACCOUNTING:-0}"
CANCEL="${CANCEL:-1}"
PROFILE="${PROFILE:-profiles/slurm}"
CLUSTER_ARGS="${CLUSTER_ARGS:-}"
RUN_TIMEOUT="${RUN_TIMEOUT:-1200}"
KEEP="${KEEP:-0}"
# The checkout's package, whatever the venv's editable install points at; one BLAS thread.
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

CONF=/etc/slurm/slurm.conf
DBD_CONF=/etc/slurm/slurmdbd.conf
MARK="# Written by backprop-landscape tests/slurm/run.sh; removed when it exits."
CTLD_PORT=16817 SLURMD_PORT=16818 DBD_PORT=16819 DB_PORT=16306

say() { printf '\n== %s\n' "$*"; }
die() { printf 'test-slurm: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------- checks
[ "$(id -u)" -eq 0 ] || die "needs root (it installs packages and starts daemons)"
[ -x "$SNAKEMAKE" ] || die "no snakemake at $SNAKEMAKE (run make first, or set SNAKEMAKE)"
for daemon in slurmctld slurmd slurmdbd; do
    if pgrep -x "$daemon" > /dev/null; then
        die "a $daemon is running already: this test only runs on a machine without SLURM"
    fi
done
for file in "$CONF" "$DBD_CONF"; do
    if [ -e "$file" ]; then
        die "$file exists: this machine has a SLURM set up; refusing to replace it"
    fi
done

packages=(slurm-wlm munge)
commands=(slurmctld slurmd sbatch squeue munged)
if [ "$ACCOUNTING" = 1 ]; then
    packages+=(slurmdbd mariadb-server)
    commands+=(slurmdbd mariadbd)
fi
missing=0
for command in "${commands[@]}"; do command -v "$command" > /dev/null || missing=1; done
if [ "$missing" = 1 ]; then
    command -v apt-get > /dev/null || die "missing SLURM commands and no apt-get to install them"
    say "installing ${packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" > /dev/null
fi

WORK="${WORK:-$(mktemp -d /tmp/test-slurm.XXXXXX)}"
mkdir -p "$WORK"/{munge,state,spool,log}
chmod 755 "$WORK" "$WORK/munge"
failed=1
snakemake_pid=""
watcher_pid=""

# ------------------------------------------------------------------------- tear-down
stop_pidfile() {  # stop the daemon whose pid is in $1, wait up to 20 s for it to exit
    local file="$1" pid
    [ -s "$file" ] || return 0
    pid="$(cat "$file")"
    kill "$pid" 2> /dev/null || return 0
    for _ in $(seq 40); do kill -0 "$pid" 2> /dev/null || return 0; sleep 0.5; done
    kill -9 "$pid" 2> /dev/null || true
}

teardown() {
    set +e
    [ -n "$watcher_pid" ] && kill "$watcher_pid" 2> /dev/null
    if [ -n "$snakemake_pid" ] && kill -0 "$snakemake_pid" 2> /dev/null; then
        # timeout(1) and the snakemake under it; a hung run ignores SIGTERM.
        pkill -KILL -P "$snakemake_pid" 2> /dev/null
        kill -KILL "$snakemake_pid" 2> /dev/null
    fi
    if [ -s "$WORK/slurmctld.pid" ]; then
        scancel --quiet --user root 2> /dev/null  # our cluster: only this test's jobs
        sleep 1
    fi
    stop_pidfile "$WORK/slurmd.pid"
    stop_pidfile "$WORK/slurmctld.pid"
    stop_pidfile "$WORK/slurmdbd.pid"
    stop_pidfile "$WORK/mariadb.pid"
    stop_pidfile "$WORK/munge/munged.pid"
    for file in "$CONF" "$DBD_CONF"; do
        if [ -f "$file" ] && grep -qxF "$MARK" "$file"; then rm -f "$file"; fi
    done
    if [ "$failed" = 0 ] && [ "$KEEP" != 1 ]; then
        rm -rf "$WORK"
    else
        echo "test-slurm: work folder kept: $WORK (logs: $WORK/*.log, $WORK/log/)" >&2
    fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------- cluster
say "starting a one-node SLURM in $WORK"
host="$(hostname -s)"
# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), less 10 % memory.
hardware="$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=.*//')"
memory="$(slurmd -C | head -1 | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
memory=$((memory * 9 / 10))
# The largest request of the small config: xor_backprop, 3000 MB (profiles/default).
[ "$memory" -ge 3000 ] || die "this machine has ${memory} MB for jobs; the small config asks up to 3000"

head -c 1024 /dev/urandom > "$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
munged --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
    --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/log/munged.log" \
    --seed-file="$WORK/munge/munged.seed"

if [ "$ACCOUNTING" = 1 ]; then
    accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$WORK/munge/munge.socket
JobAcctGatherType=jobacct_gather/linux"
else
    accounting="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi
mkdir -p "$(dirname "$CONF")"
cat > "$CONF" << EOF
$MARK
ClusterName=testcluster
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobCompType=jobcomp/none
$accounting
# Finished jobs stay visible to squeue this long (the default): the profile's status
# command needs more than the plugin's longest pause between checks (180 s).
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 $hardware RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

if [ "$ACCOUNTING" = 1 ]; then
    say "starting MariaDB and slurmdbd (accounting)"
    mkdir -p "$WORK/mariadb"
    mariadb-install-db --user=root --datadir="$WORK/mariadb" --skip-test-db \
        > "$WORK/log/mariadb-install.log" 2>&1
    mariadbd --user=root --datadir="$WORK/mariadb" --socket="$WORK/mariadb.sock" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$WORK/mariadb.pid" \
        --log-error="$WORK/log/mariadb.log" --skip-log-bin > /dev/null 2>&1 &
    for _ in $(seq 60); do
        mariadb --socket="$WORK/mariadb.sock" -e "select 1" > /dev/null 2>&1 && break
        sleep 1
    done
    mariadb --socket="$WORK/mariadb.sock" -e "
        CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"
    cat > "$DBD_CONF" << EOF
$MARK
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$WORK/slurmdbd.pid
LogFile=$WORK/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$DBD_CONF"
    slurmdbd
    for _ in $(seq 30); do
        timeout 5 sacctmgr -n list cluster > /dev/null 2>&1 && break
        sleep 1
    done
    timeout 10 sacctmgr -i add cluster testcluster > /dev/null ||
        die "slurmdbd does not answer (see $WORK/log/slurmdbd.log)"
fi

slurmctld -c
slurmd
for _ in $(seq 60); do
    state="$(sinfo -h -N -o %T 2> /dev/null || true)"
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || die "the node did not become idle (state: '${state:-none}'; see $WORK/log)"
sinfo

# ----------------------------------------------------------------------- cluster run
say "the small config through $PROFILE (log: $WORK/slurm.log)"
# The small config without what earlier runs left in .test/ (results/, .snakemake/).
fresh_copy() { cp -r "$ROOT/.test" "$1" && rm -rf "$1/results" "$1/.snakemake"; }
fresh_copy "$WORK/slurm"
cd "$ROOT"
start=$(date +%s)
# A run that hangs gets SIGINT (Ctrl-C: it cancels its jobs and releases its lock; SIGTERM
# would wait for ever), and SIGKILL 2 min later.
# shellcheck disable=SC2086  # CLUSTER_ARGS is a list of words
timeout --signal=INT --kill-after=120 "$RUN_TIMEOUT" "$SNAKEMAKE" --profile "$PROFILE" \
    --directory "$WORK/slurm" $CLUSTER_ARGS > "$WORK/slurm.log" 2>&1 &
snakemake_pid=$!
if [ "$CANCEL" = 1 ]; then
    # Cancel a cluster job while it runs, as a user's scancel would: the first one that
    # is still running when scancel reaches it.
    (
        for _ in $(seq 600); do
            job="$(squeue -h -t RUNNING -o %i 2> /dev/null | head -1)"
            if [ -n "$job" ] && scancel "$job" 2> /dev/null; then
                sleep 1
                if [ "$(squeue -h -t all -j "$job" -o %T 2> /dev/null)" = CANCELLED ]; then
                    echo "$job" > "$WORK/cancelled"
                    exit 0
                fi
            fi
            sleep 0.5
        done
    ) &
    watcher_pid=$!
fi
status=0
wait "$snakemake_pid" || status=$?
snakemake_pid=""
seconds=$(($(date +%s) - start))
[ -z "$watcher_pid" ] || wait "$watcher_pid" || true
watcher_pid=""
if [ "$status" -ne 0 ]; then
    tail -40 "$WORK/slurm.log" >&2
    [ "$status" -lt 124 ] || die "the cluster run hung: interrupted after $RUN_TIMEOUT s"
    die "the cluster run failed (exit $status)"
fi
jobs_submitted="$(grep -c 'has been submitted with SLURM jobid' "$WORK/slurm.log" || true)"
jobs_local="$(grep -c '^localrule ' "$WORK/slurm.log" || true)"
echo "cluster run: ${seconds} s; ${jobs_submitted} SLURM submissions, ${jobs_local} local jobs"
if [ "$CANCEL" = 1 ]; then
    [ -s "$WORK/cancelled" ] || die "no job was seen running, so none was cancelled"
    cancelled="$(cat "$WORK/cancelled")"
    # The Snakemake job (or group) that SLURM job was, and its resubmission.
    job="$(sed -n "s/^Job \(.*\) has been submitted with SLURM jobid $cancelled (.*/\1/p" \
        "$WORK/slurm.log" | head -1)"
    [ -n "$job" ] || die "the log does not say which job SLURM job $cancelled was"
    grep -qxF "Trying to restart job $job." "$WORK/slurm.log" ||
        die "the run finished but never resubmitted job $job (SLURM job $cancelled, cancelled)"
    echo "SLURM job $cancelled (job $job) was cancelled mid-run: seen, resubmitted, and the run finished"
fi

# ------------------------------------------------------------------------- local run
say "the same config locally (log: $WORK/local.log)"
fresh_copy "$WORK/local"
start=$(date +%s)
"$SNAKEMAKE" --cores 2 --directory "$WORK/local" > "$WORK/local.log" 2>&1 ||
    { tail -40 "$WORK/local.log" >&2; die "the local run failed"; }
echo "local run: $(($(date +%s) - start)) s"

# ------------------------------------------------------------------------ comparison
# Two result folders agree when every table holds the same data (compared column by
# column by the package), the Parquet files, the summary and the figures are the same
# bytes, and the manifests (rows and sha256 of every table) are identical.
checksums() {
    (cd "$1" && find . -type f \( -name '*.parquet' -o -name '*.png' -o -name '*.pdf' \
        -o -path ./summary.md -o -path ./manifest.tsv \) -print0 | sort -z | xargs -0 sha256sum)
}
compare_results() {  # compare_results A B: 0 if the two results/ folders agree
    local a="$1" b="$2" ok=0 tables
    tables="$(find "$a" -name '*.parquet' | wc -l)"
    [ "$tables" -gt 0 ] || { echo "no tables under $a"; return 1; }
    "$PYTHON" -m backprop_landscape.pipeline.compare "$a" "$b" || ok=1
    diff <(checksums "$a") <(checksums "$b") || ok=1
    diff "$a/manifest.tsv" "$b/manifest.tsv" > /dev/null || { echo "manifests differ"; ok=1; }
    return $ok
}

say "comparing the SLURM run's results with the local run's"
compare_results "$WORK/local/results" "$WORK/slurm/results" ||
    die "the SLURM run's results differ from the local run's (see above)"
echo "same tables, figures, summary and manifest: $(checksums "$WORK/local/results" | wc -l) files"

say "the comparison must fail when one table differs: one value changed in a copy"
cp -r "$WORK/slurm/results" "$WORK/tampered"
tampered="tables/critical_points.parquet"
"$PYTHON" - "$WORK/tampered/$tampered" << 'EOF'
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

path = sys.argv[1]
table = pq.read_table(path)
name = next(f.name for f in table.schema if pa.types.is_floating(f.type))
values = table.column(name).to_numpy(zero_copy_only=False).copy()
values[0] = np.nextafter(values[0], np.inf)  # the smallest change a float allows
table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
pq.write_table(table, path)
print(f"{path}: {name}[0] moved by one ulp")
EOF
if compare_results "$WORK/local/results" "$WORK/tampered" > "$WORK/tampered.log" 2>&1; then
    die "the comparison did not notice the changed table $tampered"
fi
grep -q "^$tampered:" "$WORK/tampered.log" || die "the comparison did not name $tampered"
echo "the comparison failed as it must, naming $tampered"

failed=0
say "test-slurm passed: cluster run ${seconds} s, results identical to the local run"
