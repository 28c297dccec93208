#!/usr/bin/env bash
# perf-heal.sh measures reads while two user spaces are lost, and the repair that follows, on one
# jcs serve in one run, and prints a Markdown report on stdout (progress goes to stderr).
#
# The server is the default embedded setup: six Local user spaces under DATA/spaces/space1..6,
# erasure coding 4+2 (every object here is larger than the 256 KiB replica limit), probes every
# 300 ms, no background scrub, no unprompted repair within the run, and shards of a space down
# for less than an hour are left where they are (waiting for the space) rather than moved.
# The run:
#
#  1. Fill: for each size (64 MiB x 24, 1 MiB x 256 by default) `jcs bench --target s3 --op put
#     --concurrency 1`, which names its objects PREFIX/put/0/0..N-1, so the keys are known.
#  2. Healthy: GETs of those keys for a fixed time (see "The GET client" below); one SHA-256 of
#     every object is kept for the checks that follow. A `jcs bench --op get` of its own
#     objects at the same size and concurrency is run beside it, to compare the two clients.
#  3. Degraded: rm -rf two space directories (n-k = 2), wait until `jcs admin status` says both
#     are down, GET again, and check every object's SHA-256.
#  4. Repair: mkdir the first directory again (empty) and wait until the server's own probe
#     has reopened it (status "ok"). Its return wakes the server's repair pass at once; `jcs
#     admin repair` then runs the pass or, if that one already runs, waits for it and runs a
#     second one that finds nothing left (one pass at a time). The time is from the server's
#     log line "user space is back" (the moment the pass is woken; the status poll sees it a
#     little later) to the return of `jcs admin repair`, and the bytes are the growth of the
#     server's bytesRebuilt counter (`jcs admin status`), whichever pass did the work. The
#     script does not call `jcs admin probe` to hurry the return: a probe run beside the
#     server's own can open the space twice, and the second opening closes the handle the
#     repair pass is using.
#  5. Repair under load: the GET client starts on the first size, and after a second the
#     second directory is brought back and repaired the same way. GET throughput is counted
#     within the repair's window only (each request's bytes prorated by its overlap with it).
#  6. `jcs admin fsck --verify` must be clean, and every object must still hash the same.
#  7. Healthy again: the GETs of step 2 once more, to show how far the machine drifted.
#
# The GET client. `jcs bench --op get` uploads the objects it reads before it reads them, and
# an upload of a 4+2 object needs six usable spaces: with two down it fails, so bench cannot
# measure degraded reads. GETs of the fixed keys are made by curl instead (SigV4 with
# --aws-sigv4, the run's root keys from a 0600 config file, not the command line):
# JCS_PERF_CONCURRENCY workers, each running curl over the keys round robin, up to 512 MiB of
# objects per curl process, on one keep-alive connection. Each object's status and length are
# checked; contents are checked by the SHA-256 passes, which are not timed. MiB/s is object
# bytes over wall time. curl gets somewhat less than bench from the same server (0.8-1.0x
# here): the report gives both on the healthy server. The CPU of the server, of the client and
# of the rest of the machine (cores busy, from /proc) is sampled over the same interval.
#
# Usage: scripts/perf-heal.sh
# Environment:
#   JCS_PERF_DIR          where the temp directory goes (default: $TMPDIR or /tmp); jcs serve's
#                         data directory is in it
#   JCS_PERF_HEAL_SIZES   size:count pairs to fill and read (default "64MiB:24 1MiB:256"); the
#                         first is the one read during the loaded repair
#   JCS_PERF_HEAL_SPACES  the two space directories to take away (default "2 5")
#   JCS_PERF_DURATION     whole seconds per GET measurement (default 5)
#   JCS_PERF_CONCURRENCY  GETs in flight (default 4)
#   JCS_PERF_SERVE_FLAGS  extra flags for jcs serve
# Needs go, curl (7.75 or later, for --aws-sigv4), jq and sha256sum. Nothing outlives the script:
# the trap stops the GET workers and the server and removes the temp directory. It exits 1 if
# any GET failed, an object's content changed, or fsck is not clean.
set -euo pipefail

SCRIPT=perf-heal.sh
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

SIZES=${JCS_PERF_HEAL_SIZES:-64MiB:24 1MiB:256}
read -r LOST1 LOST2 <<<"${JCS_PERF_HEAL_SPACES:-2 5}"
DURATION=${JCS_PERF_DURATION:-5}
CONC=${JCS_PERF_CONCURRENCY:-4}
[[ $DURATION =~ ^[1-9][0-9]*$ && $CONC =~ ^[1-9][0-9]*$ ]] || {
	echo "$SCRIPT: JCS_PERF_DURATION and JCS_PERF_CONCURRENCY must be positive whole numbers" >&2
	exit 1
}
BUCKET=jcs-perf-heal
SERVE_FLAGS=(--probe-interval 300ms --repair-after 1h --repair-interval 1h --scrub-interval -1s)
# bench prefers AWS_ keys to the run's JCS_ keys; the server knows only the latter.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

command -v sha256sum >/dev/null || { echo "$SCRIPT: sha256sum is required" >&2; exit 1; }
perf_setup
WORKERS=()
trap 'stop_workers; stop_server; rm -rf "$WORK"' EXIT
TCK=$(getconf CLK_TCK)

# stop_workers ends the GET workers still running.
stop_workers() {
	local pid
	for pid in "${WORKERS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	WORKERS=()
}

# bytes_of converts a size as bench reads it (4KiB, 1MiB, 64MiB, 1GiB, or bytes) to bytes.
bytes_of() {
	case $1 in
	*KiB) echo $((${1%KiB} * 1024)) ;;
	*MiB) echo $((${1%MiB} * 1048576)) ;;
	*GiB) echo $((${1%GiB} * 1073741824)) ;;
	*) echo "$1" ;;
	esac
}

# admin runs jcs admin against the server, signed with the run's root keys, and lists the
# command in the report.
admin() {
	local cmd=("$JCS" admin --api "$ENDPOINT" "$@")
	COMMANDS+=("${cmd[*]}")
	"${cmd[@]}"
}

# status prints jcs admin status, unlisted: the script polls it.
status() { "$JCS" admin --api "$ENDPOINT" status; }

# now_us prints the wall clock in microseconds.
now_us() { echo "${EPOCHREALTIME/./}"; }

# cpu_snap prints "time_us server_ticks machine_busy_ticks client_ticks", the last being the
# CPU time of this script's finished children: the GET workers and their curls once waited for.
cpu_snap() {
	local t
	t=$(now_us)
	echo "$t $(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat") $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat) $(awk '{print $16 + $17}' "/proc/$$/stat")"
}

# cpu_between prints "server machine client rest" in cores busy between two cpu_snap outputs;
# rest is the machine less the server and the client: anything else running.
cpu_between() {
	awk -v a="$1" -v b="$2" -v tck="$TCK" 'BEGIN {
		split(a, x, " "); split(b, y, " "); s = (y[1] - x[1]) / 1e6 * tck
		sv = (y[2] - x[2]) / s; m = (y[3] - x[3]) / s; c = (y[4] - x[4]) / s
		printf "%.2f %.2f %.2f %.2f", sv, m, c, m - sv - c
	}'
}

# health_of prints the health of the space named localN (directory spaceN).
health_of() {
	status 2>/dev/null | jq -r --arg n "local$1" '.spaces[] | select(.name == $n) | .health'
}

# wait_health waits until space N has the given health, for at most 30 s.
wait_health() {
	local n=$1 want=$2 got=""
	for _ in $(seq 300); do
		got=$(health_of "$n")
		[[ $got == "$want" ]] && return 0
		sleep 0.1
	done
	log "space$n is still '$got' after 30 s, want '$want'"
	exit 1
}

# note_hwm appends the server's peak RSS so far (VmHWM) after the named phase to HWMS.
HWMS=()
note_hwm() {
	HWMS+=("$1 $(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status")")
}

# repair_counters prints the server's "shardsRebuilt bytesRebuilt" since it started.
repair_counters() {
	status | jq -r '.repair | "\(.shardsRebuilt) \(.bytesRebuilt)"'
}

# get_worker GETs the keys PREFIX/put/0/0..COUNT-1 round robin from key NEXT on, BATCH keys
# per curl process (one keep-alive connection), until the stop file exists or the clock passes
# UNTIL_US, and appends "start_us end_us bytes ok failed" per object to LOG. curl reports how
# long each transfer took; the transfers of a process ran back to back and the last ended when
# curl did, which places each of them in time.
get_worker() {
	local prefix=$1 count=$2 size=$3 batch=$4 next=$5 until=$6 log=$7
	local t0 t1 out i args
	while :; do
		t0=$(now_us)
		if ((t0 >= until)) || [[ -e $WORK/stop ]]; then
			break
		fi
		args=()
		for ((i = 0; i < batch; i++)); do
			args+=("$S3_URL/$BUCKET/${prefix}put/0/$(((next + i) % count))" -o /dev/null)
		done
		next=$(((next + batch) % count))
		out=$(curl -s -K "$WORK/curl.cfg" -w '%{http_code} %{size_download} %{time_total}\n' "${args[@]}" 2>>"$WORK/curl.err") || true
		t1=$(now_us)
		awk -v t0="$t0" -v t1="$t1" -v size="$size" '
			{code[NR] = $1; got[NR] = $2; took[NR] = $3 * 1e6}
			END {
				end = t1
				for (i = NR; i >= 1; i--) {
					start = end - took[i]
					if (start < t0) start = t0
					ok = code[i] == 200 && got[i] == size
					line[i] = sprintf("%.0f %.0f %.0f %d %d", start, end, ok ? got[i] : 0, ok, !ok)
					end = start
				}
				for (i = 1; i <= NR; i++) print line[i]
			}' <<<"$out" >>"$log"
	done
}

# start_gets starts CONC workers on PREFIX's COUNT objects of SIZE bytes for SECONDS (0: until
# the stop file appears) and sets GETLOG to the glob of their logs.
GETLOG=""
GETRUN=0
start_gets() {
	local prefix=$1 count=$2 size=$3 seconds=$4 batch until w
	batch=$((536870912 / size))
	((batch >= 1)) || batch=1
	((batch <= count)) || batch=$count
	until=$(($(now_us) + seconds * 1000000))
	((seconds > 0)) || until=$((1 << 62))
	rm -f "$WORK/stop"
	GETRUN=$((GETRUN + 1))
	GETLOG="$WORK/gets.$GETRUN"
	for ((w = 0; w < CONC; w++)); do
		: >"$GETLOG.$w"
		get_worker "$prefix" "$count" "$size" "$batch" $((w * count / CONC)) "$until" "$GETLOG.$w" &
		WORKERS+=($!)
	done
}

# wait_gets waits for the workers (touching the stop file first if asked: wait_gets stop).
wait_gets() {
	[[ ${1:-} != stop ]] || touch "$WORK/stop"
	local pid
	for pid in "${WORKERS[@]}"; do
		wait "$pid"
	done
	WORKERS=()
}

# gets_summary prints "MiB/s objects errors p50ms seconds" for the workers' logs of GETLOG:
# over [FROM_US, TO_US] with each request's bytes prorated by its overlap with the window,
# or over the whole run (first start to last end) without a window. p50 is the median time
# of one object's transfer.
gets_summary() {
	cat "$GETLOG".* | awk -v from="${1:-}" -v to="${2:-}" '
		{t0[NR] = $1; t1[NR] = $2; b[NR] = $3; n[NR] = $4; e[NR] = $5
		 if (lo == "" || $1 < lo) lo = $1; if (hi == "" || $2 > hi) hi = $2}
		END {
			if (from == "") {from = lo; to = hi}
			for (i = 1; i <= NR; i++) {
				ov = (t1[i] < to ? t1[i] : to) - (t0[i] > from ? t0[i] : from)
				if (ov <= 0) continue
				f = t1[i] > t0[i] ? ov / (t1[i] - t0[i]) : 1
				bytes += b[i] * f; objs += n[i] * f; errs += e[i]
				if (n[i] == 1) lat[++m] = (t1[i] - t0[i]) / 1000
			}
			p50 = "-"
			if (m > 0) {
				for (i = 2; i <= m; i++) { # insertion sort: mawk has no asort
					v = lat[i]
					for (j = i - 1; j >= 1 && lat[j] > v; j--) lat[j + 1] = lat[j]
					lat[j + 1] = v
				}
				p50 = sprintf("%.0f", lat[int((m + 1) / 2)])
			}
			s = (to - from) / 1e6
			printf "%.1f %.0f %d %s %.2f", bytes / 1048576 / s, objs, errs, p50, s
		}'
}

# measure_gets runs the GET workers for DURATION on one size and sets RESULT to
# "MiB/s objects errors p50ms seconds server_cores machine_cores".
RESULT=""
FAILURES=()
measure_gets() {
	local label=$1 prefix=$2 count=$3 size=$4 a b
	log "$label ..."
	a=$(cpu_snap)
	start_gets "$prefix" "$count" "$size" "$DURATION"
	wait_gets
	b=$(cpu_snap)
	RESULT="$(gets_summary) $(cpu_between "$a" "$b")"
	read -r mib _ errs _ <<<"$RESULT"
	((errs == 0)) || FAILURES+=("$label: $errs GETs failed or came back short")
	log "$label: $mib MiB/s, $errs errors"
}

# hash_all prints the SHA-256 of every object of PREFIX, one per line.
hash_all() {
	local prefix=$1 count=$2 i h
	for ((i = 0; i < count; i++)); do
		if ! h=$(curl -sf -K "$WORK/curl.cfg" "$S3_URL/$BUCKET/${prefix}put/0/$i" | sha256sum); then
			log "GET ${prefix}put/0/$i failed"
			exit 1
		fi
		echo "${h%% *}"
	done
}

# check_hashes compares every object of every size with the hashes taken while healthy.
check_hashes() {
	local when=$1 pair size prefix count bad
	for pair in $SIZES; do
		size=${pair%%:*} count=${pair##*:} prefix="h$size/"
		hash_all "$prefix" "$count" >"$WORK/hash.$size.$when"
		bad=$(diff "$WORK/hash.$size.healthy" "$WORK/hash.$size.$when" | grep -c '^>' || true)
		if ((bad > 0)); then
			FAILURES+=("$when: $bad of the $size objects read back different bytes")
			log "$when: $bad $size objects differ"
		fi
	done
	log "$when: contents checked"
}

# back_time prints when the server logged space N back (microseconds), or FALLBACK if the
# log does not say.
back_time() {
	local at
	at=$(sed -n "s/^time=\([^ ]*\) .*msg=\"user space is back\" space=$1 .*/\1/p" "$WORK/server.log" | tail -1)
	if [[ -n $at ]] && at=$(date -u -d "$at" +%s%6N 2>/dev/null) && ((at <= $2)); then
		echo "$at"
	else
		echo "$2"
	fi
}

# repair_space brings space N back empty and times its repair (see the header), setting
# REPAIR to "shards bytes seconds from_us to_us back_after_s server_cores machine_cores" and
# writing the command's report to FILE.
REPAIR=""
repair_space() {
	local n=$1 file=$2 before after t0 tb t1 ca cb got=""
	read -r -a before <<<"$(repair_counters)"
	t0=$(now_us)
	mkdir "$WORK/data/spaces/space$n"
	for _ in $(seq 600); do
		got=$(health_of "$n")
		[[ $got == ok ]] && break
		sleep 0.05
	done
	[[ $got == ok ]] || { log "space$n is still '$got' 30 s after it came back"; exit 1; }
	ca=$(cpu_snap)
	admin repair >"$file"
	t1=$(now_us)
	cb=$(cpu_snap)
	tb=$(back_time "$n" "${ca%% *}")
	for _ in $(seq 300); do
		[[ $(status | jq -r .repair.running) == false ]] && break
		sleep 0.1
	done
	read -r -a after <<<"$(repair_counters)"
	REPAIR="$((after[0] - before[0])) $((after[1] - before[1])) $(awk -v a="$tb" -v b="$t1" -v z="$t0" 'BEGIN {
		printf "%.3f %.0f %.0f %.2f", (b - a) / 1e6, a, b, (a - z) / 1e6
	}') $(cpu_between "$ca" "$cb")"
	log "space$n back after $(awk '{print $6}' <<<"$REPAIR") s, repaired: $(awk '{printf "%d shards, %.1f MiB in %.2f s", $1, $2 / 1048576, $3}' <<<"$REPAIR")"
}

# --- start ---------------------------------------------------------------------------------

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
umask 077
printf 'user = "%s:%s"\naws-sigv4 = "aws:amz:us-east-1:s3"\n' "$JCS_ACCESS_KEY" "$JCS_SECRET_KEY" >"$WORK/curl.cfg"
# shellcheck disable=SC2086 # word splitting of the extra flags is intended
start_server --s3-addr 127.0.0.1:0 "${SERVE_FLAGS[@]}" ${JCS_PERF_SERVE_FLAGS:-}
S3_URL=$(sed -n 's|.*S3 API on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$WORK/server.out")
[[ -n $S3_URL ]] || { log "jcs serve printed no S3 address"; exit 1; }
for n in 1 2 3 4 5 6; do
	[[ -d $WORK/data/spaces/space$n ]] || { log "no $WORK/data/spaces/space$n: not the default six spaces"; exit 1; }
done
log "jcs serve: /v1 API $ENDPOINT, S3 API $S3_URL"

# 1. Fill.
declare -A FILL HEALTHY DEGRADED AGAIN BENCH
for pair in $SIZES; do
	size=${pair%%:*} count=${pair##*:}
	cmd=("$JCS" bench --target s3 --endpoint "$S3_URL" --bucket "$BUCKET" --prefix "h$size/"
		--op put --size "$size" --count "$count" --concurrency 1 --json)
	COMMANDS+=("${cmd[*]}")
	log "fill: $count x $size ..."
	"${cmd[@]}" >"$WORK/fill.json" 2>"$WORK/bench.err" || {
		log "fill failed"
		tr '\r' '\n' <"$WORK/bench.err" | tail -5 >&2
		exit 1
	}
	FILL[$size]=$(jq -r '.total.mibPerSec' "$WORK/fill.json")
done
stored=$(status | jq '[.spaces[].usedBytes] | add')
note_hwm fill

# 2. Healthy.
for pair in $SIZES; do
	size=${pair%%:*} count=${pair##*:}
	hash_all "h$size/" "$count" >"$WORK/hash.$size.healthy"
	measure_gets "$size healthy" "h$size/" "$count" "$(bytes_of "$size")"
	HEALTHY[$size]=$RESULT
	note_hwm "$size healthy"
	cmd=("$JCS" bench --target s3 --endpoint "$S3_URL" --bucket "$BUCKET" --prefix "bench$size/"
		--op get --size "$size" --concurrency "$CONC" --duration "${DURATION}s" --json)
	COMMANDS+=("${cmd[*]}")
	log "$size healthy, jcs bench on its own objects ..."
	"${cmd[@]}" >"$WORK/bench.json" 2>"$WORK/bench.err" || {
		log "bench failed"
		tr '\r' '\n' <"$WORK/bench.err" | tail -5 >&2
		exit 1
	}
	BENCH[$size]=$(jq -r '.total.mibPerSec' "$WORK/bench.json")
	note_hwm "$size bench"
done

# 3. Degraded: two spaces gone.
log "removing space$LOST1 and space$LOST2"
COMMANDS+=("rm -rf $WORK/data/spaces/space$LOST1 $WORK/data/spaces/space$LOST2")
t_rm=$(now_us)
for n in "$LOST1" "$LOST2"; do
	# The server keeps writing probes into the directory while rm walks it ("Directory not
	# empty"); once the directory itself is unlinked, nothing more can be created in it.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		rm -rf "$WORK/data/spaces/space$n" 2>/dev/null && break
	done
	[[ ! -e $WORK/data/spaces/space$n ]] || { log "could not remove space$n"; exit 1; }
done
wait_health "$LOST1" down
wait_health "$LOST2" down
down_after=$(awk -v a="$t_rm" -v b="$(now_us)" 'BEGIN {printf "%.1f", (b - a) / 1e6}')
log "both down after $down_after s"
for pair in $SIZES; do
	size=${pair%%:*} count=${pair##*:}
	measure_gets "$size degraded" "h$size/" "$count" "$(bytes_of "$size")"
	DEGRADED[$size]=$RESULT
	note_hwm "$size degraded"
done
check_hashes degraded

# 4. Repair of one space, nothing else running.
COMMANDS+=("mkdir $WORK/data/spaces/space$LOST1")
repair_space "$LOST1" "$WORK/repair1.json"
REPAIR1=$REPAIR
note_hwm repair

# 5. Repair of the other space under GET load.
first=${SIZES%% *}
size=${first%%:*} count=${first##*:}
log "$size GETs during the repair of space$LOST2 ..."
COMMANDS+=("mkdir $WORK/data/spaces/space$LOST2   # during GETs of $size")
start_gets "h$size/" "$count" "$(bytes_of "$size")" 0
sleep 1
repair_space "$LOST2" "$WORK/repair2.json"
REPAIR2=$REPAIR
sleep 1
wait_gets stop
read -r _ _ _ from to _ sc mc <<<"$REPAIR2"
LOADED="$(gets_summary "$from" "$to") $sc $mc"
read -r _ _ lerrs _ <<<"$(gets_summary)"
((lerrs == 0)) || FAILURES+=("GETs during repair: $lerrs failed or came back short")
LOADED_SIZE=$size LOADED_COUNT=$count
note_hwm "loaded repair"

# 6. Everything back and intact.
log "fsck --verify ..."
if ! admin fsck --verify >"$WORK/fsck.json"; then
	FAILURES+=("fsck --verify is not clean: $(jq -c . "$WORK/fsck.json")")
fi
note_hwm fsck
check_hashes repaired
admin status >"$WORK/status.json"

# 7. Healthy again, as a check on the machine's drift during the run.
for pair in $SIZES; do
	size=${pair%%:*} count=${pair##*:}
	measure_gets "$size healthy again" "h$size/" "$count" "$(bytes_of "$size")"
	AGAIN[$size]=$RESULT
	note_hwm "$size healthy again"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
hwm=$(printf '%s\n' "${HWMS[@]}" | awk '{n = $NF; $NF = ""; printf "%s%s%d", sep, $0, n; sep = ", "}')
degraded_warns=$(grep -c 'msg="degraded read"' "$WORK/server.log" || true)
other_warns=$(grep -E 'level=(WARN|ERROR)' "$WORK/server.log" | grep -v 'msg="degraded read"' |
	sed -n 's/.*level=\([A-Z]*\) msg=\("[^"]*"\|[^ ]*\).*/\1 \2/p' | sort | uniq -c |
	awk '{n = $1; $1 = ""; printf "%s%s x%d", sep, substr($0, 2), n; sep = "; "}')
stop_server
if ((${#FAILURES[@]} > 0)); then
	log "the server's warnings and errors (other than degraded reads), last 20:"
	grep -E 'level=(WARN|ERROR)' "$WORK/server.log" | grep -v 'msg="degraded read"' | tail -20 >&2 || true
fi

# --- report ----------------------------------------------------------------------------------

ROWS=()
for pair in $SIZES; do
	size=${pair%%:*} count=${pair##*:}
	for phase in healthy degraded "healthy again"; do
		case $phase in
		healthy) r=${HEALTHY[$size]} ;;
		degraded) r=${DEGRADED[$size]} ;;
		*) r=${AGAIN[$size]} ;;
		esac
		ROWS+=("$(awk -v size="$size" -v count="$count" -v phase="$phase" -v r="$r" -v h="${HEALTHY[$size]}" -v g="${AGAIN[$size]}" 'BEGIN {
			split(r, x, " "); split(h, y, " "); split(g, z, " ")
			printf "| %s x %d | %s | %.0f | %s | %.2f | %s | %s | %s | %s |", size, count, phase, x[1], x[4], 2 * x[1] / (y[1] + z[1]),
				x[6], x[8], x[9], x[3]
		}')")
	done
done
ROWS+=("$(awk -v size="$LOADED_SIZE" -v count="$LOADED_COUNT" -v r="$LOADED" -v h="${HEALTHY[$LOADED_SIZE]}" -v g="${AGAIN[$LOADED_SIZE]}" 'BEGIN {
	split(r, x, " "); split(h, y, " "); split(g, z, " ")
	printf "| %s x %d | during the loaded repair (%.2f s) | %.0f | %s | %.2f | %s | - | - (machine %s) | %s |", size, count, x[5], x[1], x[4],
		2 * x[1] / (y[1] + z[1]), x[6], x[7], x[3]
}')")
BENCHROWS=()
for pair in $SIZES; do
	size=${pair%%:*}
	BENCHROWS+=("$(awk -v size="$size" -v b="${BENCH[$size]}" -v h="${HEALTHY[$size]}" -v f="${FILL[$size]}" 'BEGIN {
		split(h, y, " "); printf "| %s | %.0f | %.0f | %.0f |", size, f, y[1], b
	}')")
done
repair_row() {
	awk -v what="$1" -v r="$2" -v cmd="$3" 'BEGIN {
		split(r, x, " ")
		printf "| %s | %.2f | %d | %.1f | %.2f | %.0f | %.0f | %s | %s | %s |", what, x[6], x[1], x[2] / 1048576, x[3],
			x[2] / 1e6 / x[3], x[2] / 1048576 / x[3], x[7], x[8], cmd
	}'
}
cmd_said() { jq -r '"\(.shardsRebuilt) shards, \(.bytesRebuilt) bytes"' "$1"; }
failed=""
if ((${#FAILURES[@]} > 0)); then
	failed=$(printf '\n**Failures** (the script exits 1):\n\n'; printf -- '- %s\n' "${FAILURES[@]}")
	failed+=$'\n'
fi
fs_type=$(df -T "$WORK" | awk 'NR == 2 {print $2}')
fs_dev=$(df -T "$WORK" | awk 'NR == 2 {print $1}')
fs_opts=$(findmnt -no OPTIONS --target "$WORK" 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || rev="$rev (with uncommitted changes)"

cat <<REPORT
## Degraded reads and repair

One \`jcs serve\` (six Local spaces, 4+2; flags: ${SERVE_FLAGS[*]} ${JCS_PERF_SERVE_FLAGS:-}),
$(awk -v s="$stored" 'BEGIN {printf "%.0f MiB", s / 1048576}') of shards stored before the failure.
GETs: $CONC in flight, ${DURATION} s per row, S3 API, curl with SigV4 on the fixed keys (bench cannot read
objects it did not upload in the same run). "/ healthy" is the ratio to the mean of the healthy
and healthy-again rows of the same size. "cores" are CPU cores busy over the row: the server
process, the GET client (the curls and the script's workers), and the rest of the machine
(other processes, kernel threads); a busy "other" means the row was disturbed. space$LOST1 and space$LOST2 were removed (rm -rf);
both were marked down ${down_after} s later.

| objects | state | GET MiB/s | p50 ms | / healthy | server cores | client cores | other cores | errors |
|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

Repair: the space's directory recreated empty; "back after" is until the server logged it back
(its probe reopened it, which starts a repair pass); "seconds" from then until
\`jcs admin repair\` returned; bytes are rebuilt shard bytes, the growth of the server's
bytesRebuilt counter, whichever pass rebuilt them; MB = 10^6 bytes:

| repair | back after s | shards | MiB rebuilt | seconds | MB/s | MiB/s | server cores | machine cores | \`jcs admin repair\` itself reported |
|---|---|---|---|---|---|---|---|---|---|
$(repair_row "space$LOST1, idle" "$REPAIR1" "$(cmd_said "$WORK/repair1.json")")
$(repair_row "space$LOST2, under $LOADED_SIZE GETs" "$REPAIR2" "$(cmd_said "$WORK/repair2.json")")

Client check (healthy, same server): fill rate (bench put, concurrency 1), the curl GET client
above, and \`jcs bench --op get\` at the same concurrency on objects it uploaded itself:

| size | fill put MiB/s | curl GET MiB/s | bench GET MiB/s |
|---|---|---|---|
$(printf '%s\n' "${BENCHROWS[@]}")

After: \`jcs admin fsck --verify\`: $(jq -c '{clean}' "$WORK/fsck.json" 2>/dev/null || echo "unreadable");
repair counters $(jq -c '.repair | {passes, shardsRebuilt, bytesRebuilt, unrepairable, failures}' "$WORK/status.json");
server peak RSS (VmHWM, MiB) after each phase: $hwm. Server log: $degraded_warns "degraded read" warnings; others: ${other_warns:-none}.
${failed}
Machine:

- CPUs: $(nproc) x $cpu
- memory: $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
- kernel: $(uname -sr)
- go: $(go version | cut -d' ' -f3-)
- data directory filesystem: $fs_type on $fs_dev ($fs_opts)
- jcs revision: $rev
- load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $LOAD_END
- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)

Commands (in order; \$JCS_ACCESS_KEY/\$JCS_SECRET_KEY were set for the run; GETs by curl are
described above):

\`\`\`sh
go build -o $JCS ./cmd/jcs
$(printf '%s\n' "${COMMANDS[@]}")
\`\`\`
REPORT
((${#FAILURES[@]} == 0)) || exit 1
