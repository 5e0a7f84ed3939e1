# shellcheck shell=bash
# infra/lib/web.sh — the web front-end's packages and build, and the browser tests' own.
#
#   ensure_npm DIR      npm ci in DIR when its package-lock.json changed since the last install.
#   ensure_web_built    installs web/'s packages and builds web/dist when a source is newer.
#   ensure_chromium     installs Debian's chromium where apt-get is allowed (root), else fails
#                       with the command to run.

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
    local chromium="${CHROMIUM:-/usr/bin/chromium}" log
    if [[ -x "$chromium" ]]; then
        return 0
    fi
    # A newcomer's machine: install Debian's, as the antivirus is, where apt-get is allowed.
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        mkdir -p "$_web_root/infra/.run"
        log="$_web_root/infra/.run/apt-chromium.log"
        echo "[web] installation de chromium (Debian) pour les tests du navigateur / installing Debian's chromium for the browser tests (a few minutes; log: infra/.run/apt-chromium.log)…" >&2
        if apt-get update -qq >"$log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$log" 2>&1 &&
            [[ -x "$chromium" ]]; then
            return 0
        fi
        tail -n 15 "$log" >&2 || true
    fi
    echo "[web] Debian's chromium is missing for the browser tests: apt-get install -y chromium" >&2
    return 1
}
