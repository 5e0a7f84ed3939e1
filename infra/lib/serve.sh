# shellcheck shell=bash
# infra/lib/serve.sh — a whole local stack of one's own, for the suites that drive it over
# HTTP (tests/browser/run.sh, infra/contract).
#
#   serve_locally PREFIX LOG   starts ./infra/run on a free port with its own resource prefix
#                              (so a developer's ./infra/run is left alone), its output in LOG;
#                              waits until it serves (the first build included), stops it on
#                              exit. Sets SERVED_URL. Fails with the log's tail if it stops first.
#                              SERVE_PORT, set, chooses the port.

serve_locally() {
    local prefix=$1 log=$2 port
    port="${SERVE_PORT:-}"
    [[ -n "$port" ]] || port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    PORT="$port" C2S_PREFIX="$prefix" ./infra/run >"$log" 2>&1 &
    _served_pid=$!
    trap _stop_served EXIT
    # 20 minutes: a first ./infra/run builds every binary (6 to 8 minutes on 2 cores).
    for _ in $(seq 1 2400); do
        if curl -fsS "http://127.0.0.1:$port/dev/stack" >/dev/null 2>&1; then
            SERVED_URL="http://127.0.0.1:$port"
            return 0
        fi
        if ! kill -0 "$_served_pid" 2>/dev/null; then
            echo "[serve] ./infra/run stopped before serving:" >&2
            tail -n 30 "$log" >&2
            return 1
        fi
        sleep 0.5
    done
    echo "[serve] ./infra/run did not serve within 20 minutes (log: $log)" >&2
    return 1
}

_stop_served() {
    kill -TERM "$_served_pid" 2>/dev/null || true
    wait "$_served_pid" 2>/dev/null || true
}
