#!/usr/bin/env bash
# perf-small.sh measures the small-object policy: for each object size it runs `jcs bench`
# put and get against a server that stores every object up to 1 MiB as 3 replicas
# (--small-object-size 1048576) and against one that erasure-codes everything 4+2
# (--small-object-size -1), and prints a Markdown table of ops/s. Both tolerate the loss of
# any two of the six user spaces; the question is which is faster at each size.
#
# Usage: scripts/perf-small.sh
# Environment:
#   JCS_PERF_DIR          where the temp directory goes (default: $TMPDIR or /tmp)
#   JCS_PERF_SMALL_SIZES  sizes (default "4KiB 16KiB 64KiB 128KiB 256KiB 1MiB")
#   JCS_PERF_DURATION     per run (default 6s); JCS_PERF_CONCURRENCY (default 8)
# Needs go, curl and jq. The trap stops the server and removes the temp directory.
set -euo pipefail

SCRIPT=perf-small.sh
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
perf_setup

DURATION=${JCS_PERF_DURATION:-6s}
CONC=${JCS_PERF_CONCURRENCY:-8}

# ops runs one bench and prints its ops/s.
ops() {
	local cmd=("$JCS" bench --target v1 --endpoint "$ENDPOINT" --concurrency "$CONC" --duration "$DURATION" --json "$@")
	COMMANDS+=("${cmd[*]}")
	"${cmd[@]}" 2>/dev/null | jq -r '.total.opsPerSec'
}

declare -A RESULT
for policy in rep ec; do
	if [[ $policy == rep ]]; then flag=1048576; else flag=-1; fi
	start_server --small-object-size "$flag"
	for size in ${JCS_PERF_SMALL_SIZES:-4KiB 16KiB 64KiB 128KiB 256KiB 1MiB}; do
		log "$policy $size"
		RESULT[$policy,$size,put]=$(ops --op put --size "$size")
		RESULT[$policy,$size,get]=$(ops --op get --size "$size")
	done
	stop_server
done

echo "## Small objects: 3 replicas against 4+2 erasure coding"
echo
echo "jcs bench, concurrency $CONC, $DURATION per run; ops/s."
echo
echo "| size | rep put | ec put | rep/ec put | rep get | ec get | rep/ec get |"
echo "|---|---|---|---|---|---|---|"
for size in ${JCS_PERF_SMALL_SIZES:-4KiB 16KiB 64KiB 128KiB 256KiB 1MiB}; do
	awk -v s="$size" -v rp="${RESULT[rep,$size,put]}" -v ep="${RESULT[ec,$size,put]}" \
		-v rg="${RESULT[rep,$size,get]}" -v eg="${RESULT[ec,$size,get]}" \
		'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |\n", s, rp, ep, rp/ep, rg, eg, rg/eg }'
done
echo
echo "Machine: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr), $(go version | cut -d' ' -f3), jcs $(git rev-parse --short HEAD)."
echo
echo '```sh'
printf '%s\n' "${COMMANDS[@]}"
echo '```'
