#!/usr/bin/env bash
# Start the Docker engine if none answers, and wait until it does (idempotent).
#
# The `docker` isolation backend and its tests need a running engine (Debian package
# `docker.io`, installed by scripts/install-deps.sh). On a host with systemd this asks systemd;
# elsewhere (containers, CI machines) it starts /usr/sbin/dockerd in the background, detached
# from this shell, logging to $DOCKERD_LOG. The engine is left running: like a system service it
# is shared by every process on the host. An engine that already answers is left alone.
#
# Run as root. Environment: DOCKER (client, default /usr/bin/docker), DOCKERD (default
# dockerd on PATH or /usr/sbin/dockerd), DOCKERD_LOG (default /var/log/dockerd.log),
# DOCKERD_TIMEOUT (seconds to wait, default 30); DOCKER_SOCKET, DOCKERD_PIDFILE,
# DOCKERD_DATA_ROOT and DOCKERD_ARGS (extra arguments) only to run a second, private engine.
set -euo pipefail

DOCKER="${DOCKER:-/usr/bin/docker}"
[[ -x "$DOCKER" ]] || DOCKER="$(command -v docker || true)"
DOCKERD="${DOCKERD:-$(command -v dockerd || echo /usr/sbin/dockerd)}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKERD_TIMEOUT="${DOCKERD_TIMEOUT:-30}"
SOCKET="${DOCKER_SOCKET:-/var/run/docker.sock}"
PIDFILE="${DOCKERD_PIDFILE:-/var/run/docker.pid}"
DATA_ROOT="${DOCKERD_DATA_ROOT:-/var/lib/docker}"
read -r -a EXTRA_ARGS <<<"${DOCKERD_ARGS:-}"
LOCK="/tmp/sandbox-start-dockerd-$(printf %s "$SOCKET" | cksum | cut -d' ' -f1).lock"

log() { printf 'start-dockerd: %s\n' "$*" >&2; }

if [[ -z "$DOCKER" ]]; then
    log "no docker client: install the Debian package docker.io (scripts/install-deps.sh)"
    exit 1
fi

answers() {
    timeout 10 "$DOCKER" --host "unix://$SOCKET" version --format '{{.Server.Version}}' \
        >/dev/null 2>&1
}

answers && exit 0

# One starter at a time (parallel test workers all get here); the others wait, then find it up.
exec 9>"$LOCK"
if ! flock -w $((DOCKERD_TIMEOUT + 30)) 9; then
    log "timed out waiting for $LOCK"
    exit 1
fi
answers && exit 0

if [[ $(id -u) -ne 0 ]]; then
    log "the Docker engine is not running and only root can start it: run $0 as root"
    exit 1
fi
if [[ ! -x "$DOCKERD" ]]; then
    log "no dockerd at $DOCKERD: install the Debian package docker.io (scripts/install-deps.sh)"
    exit 1
fi

if [[ -z "${DOCKER_SOCKET:-}" && -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    log "starting docker.service"
    timeout "$DOCKERD_TIMEOUT" systemctl start docker.service || true
else
    # A pid file left by a dead dockerd makes a new one refuse to start.
    if [[ -f "$PIDFILE" ]] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        rm -f "$PIDFILE"
    fi
    log "starting $DOCKERD (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    setsid "$DOCKERD" --data-root "$DATA_ROOT" --host "unix://$SOCKET" --pidfile "$PIDFILE" \
        "${EXTRA_ARGS[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
fi

deadline=$((SECONDS + DOCKERD_TIMEOUT))
until answers; do
    if [[ -n "${pid:-}" ]] && ! kill -0 "$pid" 2>/dev/null; then
        log "dockerd exited; the end of $DOCKERD_LOG:"
        tail -n 30 "$DOCKERD_LOG" >&2 || true
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        log "the Docker engine did not answer within ${DOCKERD_TIMEOUT}s"
        [[ -f "$DOCKERD_LOG" ]] && tail -n 30 "$DOCKERD_LOG" >&2
        exit 1
    fi
    sleep 0.2
done
log "the Docker engine answers"
