# shellcheck shell=bash
# infra/lib/web.sh — the web front-end's packages and build, and the browser tests' own.
#
#   ensure_npm DIR      npm ci in DIR when its package-lock.json changed since the last install.
#   ensure_web_built    installs web/'s packages and builds web/dist when a source is newer.
#   ensure_chromium     fails with the command to run when Debian's chromium is missing.

_web_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ensure_npm() {
    local dir=$1 stamp want
    stamp="$dir/node_modules/.c2s-lock-sha256"
    want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    echo "[web] npm ci in ${dir#"$_web_root"/}…" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$want" >"$stamp"
}

ensure_web_built() {
    local web="$_web_root/web"
    ensure_npm "$web"
    local built="$web/dist/index.html"
    if [[ -f "$built" ]] && [[ -z "$(find "$web/src" "$web/index.html" "$web/vite.config.js" "$web/package-lock.json" -newer "$built" -print -quit)" ]]; then
        return 0
    fi
    echo "[web] vite build…" >&2
    (cd "$web" && npx vite build --logLevel warn) >&2
}

ensure_chromium() {
    if [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
        return 0
    fi
    echo "[web] Debian's chromium is missing for the browser tests: apt-get install -y chromium" >&2
    return 1
}
