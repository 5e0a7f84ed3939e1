#!/usr/bin/env bash
# tests/oracle/run.sh — the C2S engine against OpenFisca-France (see oracle.py's docstring).
#
# Creates infra/.venv-openfisca on first use (re-installed when requirements.txt or the Python
# version changes: stamp .installed-<sha256>, as infra/lib/stack.sh's ensure_venv), builds the
# engine's command line (cargo build -p c2s-domain --example estimate) and runs oracle.py.
# Arguments go to oracle.py (--cases N, --seed S, --all). C2S_ESTIMATE_BIN=PATH runs another
# binary with the same contract and skips the build. Exit status: oracle.py's (0 iff no
# disagreement).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=infra/.venv-openfisca
req=tests/oracle/requirements.txt
log=infra/.run/pip-openfisca.log
hash="$({ cat "$req"; python3 -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
stamp="$venv/.installed-$hash"
if [[ ! -f "$stamp" || ! -x "$venv/bin/python" ]]; then
    mkdir -p infra/.run
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "[oracle] création du venv / creating venv: $venv" >&2
        rm -rf "$venv"
        if ! python3 -m venv "$venv" >"$log" 2>&1; then
            cat "$log" >&2
            echo "[oracle] échec python3 -m venv / venv creation failed" >&2
            exit 1
        fi
    fi
    # The venv ignores itself, so it never shows in git status.
    printf '*\n' >"$venv/.gitignore"
    echo "[oracle] installation / installing $req (log: $log)" >&2
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "[oracle] échec pip install / pip install failed" >&2
        exit 1
    fi
    rm -f "$venv"/.installed-*
    : >"$stamp"
fi

if [[ -n "${C2S_ESTIMATE_BIN:-}" ]]; then
    engine="$C2S_ESTIMATE_BIN"
else
    cargo build -q -p c2s-domain --example estimate
    engine="${CARGO_TARGET_DIR:-target}/debug/examples/estimate"
fi
exec "$venv/bin/python" tests/oracle/oracle.py --engine "$engine" "$@"
