#!/usr/bin/env bash
# perf-s3.sh measures jcs's S3 API against an in-memory S3 server with the same client, in one
# run, and prints a Markdown report on stdout (progress goes to stderr).
#
# The baseline is gofakes3 with its s3mem backend, served by `jcs bench baseline-s3mem`: S3 over
# HTTP with no storage behind it. The client is `jcs bench --target s3` for both: SigV4 with
# UNSIGNED-PAYLOAD (the client hashes no body), path-style URLs, one keep-alive connection per
# worker, bodies streamed from a prepared random buffer, and gets compared byte for byte with
# what was put (--verify).
#
# For each row of the matrix (default: 1 MiB put, 1 MiB get, 64 MiB put, 64 MiB get, 4 KiB put)
# it starts a fresh baseline, runs the bench, stops it, then starts a fresh `jcs serve` (fresh
# data directory, API and S3 ports picked free), runs the same bench, and stops it. Fresh
# servers per row mean every row starts from an empty store, and the baseline, which keeps
# every object in memory, does not grow from row to row. Only one server runs at a time.
#
# jcs serve runs with authentication on: its root keys are the throwaway JCS_ACCESS_KEY and
# JCS_SECRET_KEY that lib.sh makes for the run, and bench signs with them. The baseline accepts
# any signature; the requests to it are signed all the same, so both sides get the same client.
# AWS_ACCESS_KEY_ID and friends are unset, since bench would prefer them to the JCS_ keys.
#
# Usage: scripts/perf-s3.sh
# Environment:
#   JCS_PERF_DIR          where the temp directory goes (default: $TMPDIR or /tmp); jcs serve's
#                         data directory is in it
#   JCS_PERF_MATRIX       size:op rows (default "1MiB:put 1MiB:get 64MiB:put 64MiB:get 4KiB:put");
#                         op is put, get or mixed (half reads)
#   JCS_PERF_DURATION     per run (default 5s)
#   JCS_PERF_CONCURRENCY  operations in flight, and connections (default 4)
#   JCS_PERF_SERVE_FLAGS  extra flags for jcs serve
#   JCS_PERF_S3_AGAINST   what the "jcs" columns measure:
#                           serve     (default) a fresh jcs serve per row, its S3 API on --s3-addr;
#                                     the script fails at once if that port does not answer
#                           baseline  a second baseline instead: tests this script (ratios near 1)
#                           URL       an S3 server already running there, e.g. MinIO, not restarted
#                                     between rows; requests are signed with AWS_ACCESS_KEY_ID and
#                                     AWS_SECRET_ACCESS_KEY, which must then be set unless the
#                                     server ignores signatures
#   JCS_PERF_S3_BUCKET    bucket for the runs (default jcs-perf-s3; created if missing)
# Needs go, curl and jq. Nothing outlives the script: the trap stops the servers and removes the
# temp directory. It exits 1 if a run could not be made or any operation failed.
set -euo pipefail

SCRIPT=perf-s3.sh
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

MATRIX=${JCS_PERF_MATRIX:-1MiB:put 1MiB:get 64MiB:put 64MiB:get 4KiB:put}
DURATION=${JCS_PERF_DURATION:-5s}
CONC=${JCS_PERF_CONCURRENCY:-4}
AGAINST=${JCS_PERF_S3_AGAINST:-serve}
BUCKET=${JCS_PERF_S3_BUCKET:-jcs-perf-s3}
case $AGAINST in
serve | baseline) unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN ;;
http://* | https://*) ;;
*)
	echo "$SCRIPT: JCS_PERF_S3_AGAINST=$AGAINST: want serve, baseline or an http(s) URL" >&2
	exit 1
	;;
esac

perf_setup
S3MEM_PIDS=()
trap 'stop_s3mem; stop_server; rm -rf "$WORK"' EXIT

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local port
	for _ in $(seq 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	log "found no free port"
	exit 1
}

# answers reports whether anything answers HTTP at the URL within about 5 s (any status will do:
# a 403 from an S3 server is an answer).
answers() {
	local code
	for _ in $(seq 50); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true)
		[[ $code != 000 ]] && return 0
		sleep 0.1
	done
	return 1
}

# start_s3mem starts an in-memory baseline on a free port and sets S3MEM_URL.
S3MEM_URL=""
start_s3mem() {
	local cmd=("$JCS" bench baseline-s3mem --addr 127.0.0.1:0) out="$WORK/baseline.${#S3MEM_PIDS[@]}.out"
	COMMANDS+=("${cmd[*]} &")
	"${cmd[@]}" >"$out" 2>>"$WORK/baseline.log" &
	S3MEM_PIDS+=($!)
	for _ in $(seq 100); do
		S3MEM_URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$out" 2>/dev/null | head -1 || true)
		[[ -n $S3MEM_URL ]] && answers "$S3MEM_URL/" && return 0
		kill -0 "${S3MEM_PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	log "the baseline did not start; its log:"
	tail -20 "$WORK/baseline.log" >&2
	exit 1
}

# stop_s3mem stops every baseline started.
stop_s3mem() {
	local pid
	for pid in "${S3MEM_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	S3MEM_PIDS=()
}

# start_jcs starts jcs serve on a fresh data directory with its /v1 API and S3 API on free
# ports, and sets JCS_S3_URL once /healthz says ready and the S3 port answers. It sets
# SERVER_PID, so lib.sh's stop_server stops it.
JCS_S3_URL=""
start_jcs() {
	rm -rf "$WORK/data"
	mkdir -p "$WORK/data"
	local api s3
	api=$(free_port)
	s3=$(free_port)
	# shellcheck disable=SC2206 # word splitting of the extra flags is intended
	local cmd=("$JCS" serve --data "$WORK/data" --api-addr "127.0.0.1:$api" --s3-addr "127.0.0.1:$s3" ${JCS_PERF_SERVE_FLAGS:-})
	COMMANDS+=("${cmd[*]} &")
	"${cmd[@]}" >"$WORK/server.out" 2>>"$WORK/server.log" &
	SERVER_PID=$!
	local ready=""
	for _ in $(seq 300); do
		if curl -fsS "http://127.0.0.1:$api/healthz" >/dev/null 2>&1; then
			ready=1
			break
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z $ready ]]; then
		log "jcs serve did not become ready; its log:"
		tail -20 "$WORK/server.log" >&2
		exit 1
	fi
	JCS_S3_URL="http://127.0.0.1:$s3"
	if ! answers "$JCS_S3_URL/"; then
		log "jcs serve is ready (/v1 API on 127.0.0.1:$api) but nothing answers on its S3 address"
		log "127.0.0.1:$s3 (--s3-addr): is the S3 API (package s3compat) in this build? Its log:"
		tail -20 "$WORK/server.log" >&2
		exit 1
	fi
}

# measure runs jcs bench against an S3 endpoint with the given flags (after a label and the
# endpoint) and sets RESULT to "MiB/s ops/s p50ms p99ms errors". A run whose operations failed
# is kept (its first error goes to FAILURES); one that could not be made at all stops the
# script.
RESULT=""
FAILURES=()
measure() {
	local label=$1 endpoint=$2
	shift 2
	local cmd=("$JCS" bench --target s3 --endpoint "$endpoint" --bucket "$BUCKET" --concurrency "$CONC"
		--duration "$DURATION" --verify --json "$@")
	COMMANDS+=("${cmd[*]}")
	log "$label ..."
	if ! "${cmd[@]}" >"$WORK/result.json" 2>"$WORK/bench.err"; then
		if ! jq -e '.errors > 0' "$WORK/result.json" >/dev/null 2>&1; then
			log "failed: ${cmd[*]}"
			tr '\r' '\n' <"$WORK/bench.err" | tail -5 >&2
			exit 1
		fi
		FAILURES+=("$label: $(jq -r '"\(.errors) failed, e.g. \(.errorSamples[0])"' "$WORK/result.json")")
	fi
	RESULT=$(jq -r '"\(.total.mibPerSec) \(.total.opsPerSec) \(.total.p50Ms) \(.total.p99Ms) \(.errors)"' "$WORK/result.json")
	log "$label: $(awk '{printf "%.1f MiB/s, %.0f ops/s, p50 %.2f ms, p99 %.2f ms, %d errors", $1, $2, $3, $4, $5}' <<<"$RESULT")"
}

if [[ $AGAINST != serve && $AGAINST != baseline ]]; then
	answers "$AGAINST" || {
		log "nothing answers at $AGAINST"
		exit 1
	}
fi

ROWS=()
for row in $MATRIX; do
	size=${row%%:*}
	op=${row##*:}
	flags=(--size "$size" --op "$op")

	start_s3mem
	measure "$size $op baseline" "$S3MEM_URL" "${flags[@]}"
	base=$RESULT
	stop_s3mem

	rss="-"
	case $AGAINST in
	serve)
		start_jcs
		measure "$size $op jcs" "$JCS_S3_URL" "${flags[@]}"
		rss=$(awk '/^VmHWM:/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER_PID/status")
		stop_server
		;;
	baseline)
		start_s3mem
		measure "$size $op second baseline" "$S3MEM_URL" "${flags[@]}"
		stop_s3mem
		;;
	*) measure "$size $op $AGAINST" "$AGAINST" "${flags[@]}" ;;
	esac
	ROWS+=("$(awk -v size="$size" -v op="$op" -v b="$base" -v j="$RESULT" -v rss="$rss" 'BEGIN {
		split(b, x, " "); split(j, y, " ")
		ratio = x[1] > 0 ? sprintf("%.2f", y[1] / x[1]) : "-"
		printf "| %s | %s | %.1f | %.0f | %.2f | %.2f | %.1f | %.0f | %.2f | %.2f | %s | %d / %d | %s |",
			size, op, x[1], x[2], x[3], x[4], y[1], y[2], y[3], y[4], ratio, x[5], y[5], rss
	}')")
done

case $AGAINST in
serve) against="a fresh \`jcs serve\` per row (authentication on), its S3 API" ;;
baseline) against="a second baseline (a test of this script: the ratios should be near 1)" ;;
*) against="the S3 server at $AGAINST" ;;
esac
failed=""
if ((${#FAILURES[@]} > 0)); then
	failed=$(printf '\nFailed operations (the script exits 1):\n\n'; printf -- '- %s\n' "${FAILURES[@]}")
	failed+=$'\n'
fi
fs_type=$(df -T "$WORK" | awk 'NR == 2 {print $2}')
fs_dev=$(df -T "$WORK" | awk 'NR == 2 {print $1}')
fs_opts=$(findmnt -no OPTIONS --target "$WORK" 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || rev="$rev (with uncommitted changes)"

cat <<REPORT
## S3 API against an in-memory S3 server

\`jcs bench --target s3\` at concurrency $CONC for $DURATION per run, against the baseline
(gofakes3 with its s3mem backend, \`jcs bench baseline-s3mem\`) and, in the jcs columns,
against $against.
MiB/s and ops/s are over the run's wall time; p50 and p99 are operation latencies in ms; gets
read objects uploaded before the timing starts and compare every byte with what was put.
jcs/baseline is the ratio of MiB/s (equally of ops/s). Peak RSS is the VmHWM of the jcs
server, started fresh for the row. The client runs on the same machine as the servers.

| object | op | baseline MiB/s | baseline ops/s | baseline p50 | baseline p99 | jcs MiB/s | jcs ops/s | jcs p50 | jcs p99 | jcs/baseline | errors (baseline / jcs) | jcs peak RSS |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
${failed}
Machine:

- CPUs: $(nproc) x $cpu
- memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
- kernel: $(uname -sr)
- go: $(go version | cut -d' ' -f3-)
- data directory filesystem: $fs_type on $fs_dev ($fs_opts)
- jcs revision: $rev
- extra serve flags: ${JCS_PERF_SERVE_FLAGS:-none}
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)

Commands (in order; \$JCS_ACCESS_KEY/\$JCS_SECRET_KEY were set for the run; "&" marks a server
started in the background and stopped after the run that follows it):

\`\`\`sh
go build -o $JCS ./cmd/jcs
$(printf '%s\n' "${COMMANDS[@]}")
\`\`\`
REPORT
((${#FAILURES[@]} == 0)) || exit 1
