#!/usr/bin/env bash
# perf-v1.sh measures the /v1 API against the raw-disk baseline on this machine, in one run,
# and prints a Markdown report on stdout (progress goes to stderr).
#
# It builds jcs, then for each object size (64 MiB x 20 ops, 1 GiB x 4 ops by default) runs
# `jcs bench` at concurrency 1 for: disk put, disk get (the baseline: the same bytes x1.5 in
# the 4+2 layout, written straight to files and fsynced), then, on a freshly started
# `jcs serve` with a fresh data directory, v1 put and v1 get. The server is started anew for
# each size so that its peak RSS (VmHWM) reflects that size's workload. The baseline directory
# and the server's data directory are in one temp directory, so on one filesystem.
#
# Usage: scripts/perf-v1.sh
# Environment:
#   JCS_PERF_DIR    where the temp directory goes (default: $TMPDIR or /tmp); put it on the
#                   filesystem you mean to measure
#   JCS_PERF_SIZES  size:count pairs (default "64MiB:20 1GiB:4")
#   JCS_PERF_SERVE_FLAGS  extra flags for jcs serve, e.g. "--chunk-size 262144"
# Needs go, curl and jq. Nothing outlives the script: the trap stops the server and removes
# the temp directory. Page caches are not dropped (that would disturb the rest of the
# machine), so gets read data written moments before, for the baseline and the server alike.
set -euo pipefail

SCRIPT=perf-v1.sh
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
perf_setup

# measure runs jcs bench with the given flags (after a label) and sets RESULT to
# "MiB/s p50ms". It runs in the script's own shell, so that COMMANDS keeps what it adds.
RESULT=""
measure() {
	local label=$1
	shift
	local cmd=("$JCS" bench "$@" --json)
	COMMANDS+=("${cmd[*]}")
	log "$label ..."
	if ! "${cmd[@]}" >"$WORK/result.json" 2>"$WORK/bench.err"; then
		log "failed: ${cmd[*]}"
		tr '\r' '\n' <"$WORK/bench.err" | tail -5 >&2
		cat "$WORK/result.json" >&2
		exit 1
	fi
	RESULT=$(jq -r '"\(.total.mibPerSec) \(.total.p50Ms)"' "$WORK/result.json")
	log "$label: $(awk '{printf "%.1f MiB/s, p50 %.1f ms", $1, $2}' <<<"$RESULT")"
}

ROWS=()
RSS=()
mkdir -p "$WORK/disk"
for pair in ${JCS_PERF_SIZES:-64MiB:20 1GiB:4}; do
	size=${pair%%:*}
	count=${pair##*:}
	common=(--size "$size" --count "$count" --concurrency 1)
	measure "$size disk put" --target disk --dir "$WORK/disk" --op put "${common[@]}"
	disk_put=$RESULT
	measure "$size disk get" --target disk --dir "$WORK/disk" --op get "${common[@]}"
	disk_get=$RESULT
	# shellcheck disable=SC2086 # word splitting of the extra flags is intended
	start_server ${JCS_PERF_SERVE_FLAGS:-}
	measure "$size v1 put" --target v1 --endpoint "$ENDPOINT" --op put "${common[@]}"
	v1_put=$RESULT
	measure "$size v1 get" --target v1 --endpoint "$ENDPOINT" --op get "${common[@]}"
	v1_get=$RESULT
	hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
	stop_server
	for op in put get; do
		d=disk_$op v=v1_$op
		ROWS+=("$(awk -v size="$size" -v op="$op" -v d="${!d}" -v v="${!v}" -v w="$disk_put" 'BEGIN {
			split(d, a, " "); split(v, b, " "); split(w, c, " ")
			printf "| %s | %s | %.1f | %.1f ms | %.1f | %.1f ms | %.2f | %.2f |", size, op, a[1], a[2], b[1], b[2], b[1] / a[1], b[1] / c[1]
		}')")
	done
	RSS+=("| $size | $(awk -v k="$hwm_kib" 'BEGIN {printf "%.0f MiB", k / 1024}') |")
done

fs_type=$(df -T "$WORK" | awk 'NR == 2 {print $2}')
fs_dev=$(df -T "$WORK" | awk 'NR == 2 {print $1}')
fs_opts=$(findmnt -no OPTIONS --target "$WORK" 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || rev="$rev (with uncommitted changes)"

cat <<REPORT
## /v1 throughput against the raw-disk baseline

Concurrency 1. MiB/s is object bytes over wall time; p50 is the median operation latency.
"disk" writes the same bytes x1.5 in the 4+2 layout straight to six files and fsyncs them
(and reads the four data files back). v1/disk is the ratio of MiB/s to the baseline doing the
same operation; v1/write is the ratio to the baseline's write, the raw figure of the issue.

| size | op | disk MiB/s | disk p50 | v1 MiB/s | v1 p50 | v1/disk | v1/write |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

Server peak RSS (VmHWM of a server started fresh for each size, after its put and get runs):

| size | peak RSS |
|---|---|
$(printf '%s\n' "${RSS[@]}")

Machine:

- CPUs: $(nproc) x $cpu
- memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
- kernel: $(uname -sr)
- go: $(go version | cut -d' ' -f3-)
- data directory filesystem: $fs_type on $fs_dev ($fs_opts)
- jcs revision: $rev
- extra serve flags: ${JCS_PERF_SERVE_FLAGS:-none}
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)

Commands (in order; \$JCS_ACCESS_KEY/\$JCS_SECRET_KEY were set for the run):

\`\`\`sh
go build -o $JCS ./cmd/jcs
$(printf '%s\n' "${COMMANDS[@]}")
\`\`\`
REPORT
