#!/usr/bin/env bash
# A stand-in for sbatch or qsub, for testing the cluster-generic executor on one machine.
#
# Snakemake calls `local_submit.sh <jobscript>` once per job.  The job script is started
# as an independent background process (its own session, detached from the caller and
# from Snakemake), and the job id is printed at once, as a batch system would.  Each job
# leaves one record, $LOCAL_SUBMIT_RECORDS/<id>.json: its id, the pid that ran it and the
# job's properties (rule, wildcards, ...) from the script's header.  Only files are shared
# with the Snakemake that submitted it.
set -euo pipefail

jobscript="${!#}"
records="${LOCAL_SUBMIT_RECORDS:?set LOCAL_SUBMIT_RECORDS to a folder for the job records}"
mkdir -p "$records"
id="local-$(date +%s%N)-$$"
properties="$(sed -n 's/^# properties = //p' "$jobscript")"

nohup setsid bash -c '
    printf "{\"id\": \"%s\", \"pid\": %d, \"properties\": %s}\n" "$1" "$$" "$2" > "$3/$1.json"
    exec bash "$4"
' local_submit "$id" "$properties" "$records" "$jobscript" > "$records/$id.out" 2>&1 < /dev/null &

echo "$id"
