#!/usr/bin/env bash
# The browser tests: Debian's Chromium, driven by playwright-core, through the three
# journeys against a server started by ./infra/run on a free port with its own resource
# prefix. Screenshots and axe results land in tests/browser/artifacts/.
# Usage: tests/browser/run.sh [test files…]   (all of tests/browser/*.test.mjs by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/lib/web.sh

ensure_chromium
ensure_npm tests/browser
ensure_web_built
rm -rf tests/browser/artifacts
mkdir -p tests/browser/artifacts infra/.run

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log=tests/browser/artifacts/server.log
PORT="$port" C2S_PREFIX="c2s-browser-$$" ./infra/run >"$log" 2>&1 &
run_pid=$!
stop_server() {
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$port/dev/stack" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$run_pid" 2>/dev/null; then
        echo "[browser] ./infra/run stopped before serving:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    sleep 0.5
done

echo "[browser] against http://127.0.0.1:$port" >&2
status=0
# Every journey, or only the files named: tests/browser/run.sh tests/browser/agent.test.mjs
if [[ $# -eq 0 ]]; then set -- tests/browser/*.test.mjs; fi
C2S_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 "$@" || status=$?

# The report: the first page's weight and axe's findings on every page.
node -e '
const fs = require("fs"), dir = "tests/browser/artifacts/";
try {
  const w = JSON.parse(fs.readFileSync(dir + "first-page-weight.json"));
  console.error(`[browser] first page: ${w.requests} files, ${(w.gzip_bytes / 1024).toFixed(0)} KB gzip, ${(w.brotli_bytes / 1024).toFixed(0)} KB brotli`);
} catch {}
try {
  const pages = fs.readFileSync(dir + "axe.jsonl", "utf8").trim().split("\n").map(JSON.parse);
  const sum = (k) => pages.reduce((n, p) => n + p[k], 0);
  console.error(`[browser] axe on ${pages.length} pages: ${sum("critical")} critical, ${sum("serious")} serious, ${sum("moderate")} moderate, ${sum("minor")} minor`);
} catch {}
' || true
exit "$status"
