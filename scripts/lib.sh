# lib.sh is sourced by the perf scripts: a temp work directory cleaned on exit, a jcs build,
# throwaway root credentials, and a jcs serve started on a fresh data directory.
# The sourcing script sets SCRIPT (its name, for messages) and calls perf_setup first.

log() { echo "$SCRIPT: $*" >&2; }

SERVER_PID=""
COMMANDS=()
ENDPOINT=""

# perf_setup checks the tools, makes $WORK, builds $JCS and sets the run's credentials.
perf_setup() {
	cd "$(dirname "$0")/.."
	for tool in go curl jq; do
		command -v "$tool" >/dev/null || { echo "$SCRIPT: $tool is required" >&2; exit 1; }
	done
	WORK=$(mktemp -d "${JCS_PERF_DIR:-${TMPDIR:-/tmp}}/$SCRIPT.XXXXXX")
	trap 'stop_server; rm -rf "$WORK"' EXIT
	trap 'exit 130' INT TERM
	JCS="$WORK/jcs"
	log "building jcs into $WORK"
	go build -o "$JCS" ./cmd/jcs
	# Root credentials for this run only.
	JCS_ACCESS_KEY="PERF$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
	JCS_SECRET_KEY="$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"
	export JCS_ACCESS_KEY JCS_SECRET_KEY
}

# start_server starts jcs serve with the given extra flags on a fresh data directory and a
# free port, and sets ENDPOINT once it answers /healthz.
start_server() {
	rm -rf "$WORK/data"
	mkdir -p "$WORK/data"
	local cmd=("$JCS" serve --data "$WORK/data" --api-addr 127.0.0.1:0 "$@")
	COMMANDS+=("${cmd[*]}")
	"${cmd[@]}" >"$WORK/server.out" 2>>"$WORK/server.log" &
	SERVER_PID=$!
	for _ in $(seq 300); do
		ENDPOINT=$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/server.out" 2>/dev/null | head -1 || true)
		if [[ -n "$ENDPOINT" ]] && curl -fsS "$ENDPOINT/healthz" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	log "the server did not become ready; its log:"
	tail -20 "$WORK/server.log" >&2
	exit 1
}

# stop_server stops the server with SIGTERM and waits for it.
stop_server() {
	if [[ -n "$SERVER_PID" ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
