#!/usr/bin/env bash
# Auto-test de infra/lib/stack.sh / self test of infra/lib/stack.sh.
set -euo pipefail

# shellcheck source=infra/lib/stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
stack_trap

root="$(stack_root)"
ensure_venv
start_moto
curl -sf -o /dev/null "http://127.0.0.1:4566/moto-api/"
ensure_clamd
if [[ -n "${CLAMD_ADDRESS:-}" ]]; then
    python3 "$root/infra/lib/clamd_check.py" "$CLAMD_ADDRESS"
else
    echo "[stack] clamd indisponible, test antivirus ignoré / clamd unavailable, AV check skipped" >&2
fi
stack_cleanup
echo "stack selftest ok"
