#!/usr/bin/env bash
# The browser tests: Debian's Chromium, driven by playwright-core, through the three
# journeys against a server started by ./infra/run on a free port with its own resource
# prefix. Screenshots and axe results land in tests/browser/artifacts/.
# Usage: tests/browser/run.sh [test files…]   (all of tests/browser/*.test.mjs by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/lib/web.sh
source infra/lib/serve.sh

ensure_chromium
ensure_npm tests/browser
ensure_web_built
rm -rf tests/browser/artifacts
mkdir -p tests/browser/artifacts infra/.run

serve_locally "c2s-browser-$$" tests/browser/artifacts/server.log

echo "[browser] against $SERVED_URL" >&2
status=0
# Every journey, or only the files named: tests/browser/run.sh tests/browser/agent.test.mjs
if [[ $# -eq 0 ]]; then set -- tests/browser/*.test.mjs; fi
C2S_URL="$SERVED_URL" node --test --test-concurrency=1 "$@" || status=$?

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
