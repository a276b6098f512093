#!/usr/bin/env bash
# Install everything the platform and its tests need, idempotently.
#
#   1. Debian packages: the PostgreSQL server (the tests start a real one), docker.io (the
#      `docker` isolation backend; scripts/start-dockerd.sh starts the engine where no init
#      system does) and bubblewrap (the `bwrap` backend). apt-get runs only when one of them
#      is missing.
#   2. The virtualenv .venv with the project and its client distribution (client/, which the
#      project depends on) installed in editable mode, pinned by requirements.lock. pip runs
#      only when requirements.lock or either pyproject.toml changed since the last successful
#      install (a stamp file in .venv records their hash).
#
# Run as root (or with sudo available). A second run with nothing to do takes well under a second.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
VENV=".venv"
LOCK="requirements.lock"

log() { printf 'install-deps: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
deb_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in postgresql docker.io bubblewrap chromium; do
    deb_installed "$pkg" || missing+=("$pkg")
done
# Node.js and npm build the web console's assets (console/). A host may have them from
# elsewhere (NodeSource's nodejs carries npm and conflicts with Debian's npm package), so
# the commands are what counts; Debian's packages are installed only when they are absent.
if ! command -v node >/dev/null 2>&1; then
    missing+=("nodejs")
fi
if ! command -v npm >/dev/null 2>&1 && ! deb_installed npm; then
    if ! dpkg-query -W -f='${Version}' nodejs 2>/dev/null | grep -q nodesource; then
        missing+=("npm")
    fi
fi
# Debian's python3 cannot create a virtualenv without python3-venv (ensurepip).
if [[ ! -x "$VENV/bin/python" ]] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=("python3-venv")
fi

if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null 2>&1; then
        log "missing packages (${missing[*]}) and no apt-get: install them by hand"
        exit 1
    fi
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo)
        else
            log "missing packages (${missing[*]}): run this script as root"
            exit 1
        fi
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update
    "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- Python virtualenv -----------------------------------------------------------------------
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    log "$PYTHON is $("$PYTHON" -V 2>&1); Python 3.11 or newer is required"
    exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

stamp_hash=$(cat "$LOCK" pyproject.toml client/pyproject.toml | sha256sum | cut -d' ' -f1)
stamp="$VENV/.installed-$stamp_hash"
if [[ ! -e "$stamp" ]]; then
    log "installing Python packages into $VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$LOCK" -e ./client -e '.[dev]'
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi

# --- Web console assets ----------------------------------------------------------------------
# The console's scripts (code editor, charts, Swagger UI, axe-core) come from npm, pinned by
# console/package-lock.json, and are built into console/dist: nothing loads from a CDN.
# `npm ci` and the build run only when the lock or the build changed (a stamp, as above).
console_hash=$(cat console/package-lock.json console/build.mjs console/src/*.js | sha256sum | cut -d' ' -f1)
console_stamp="console/dist/.built-$console_hash"
if [[ ! -e "$console_stamp" ]]; then
    log "building the console's assets (npm ci)"
    (cd console && npm ci --no-audit --no-fund --ignore-scripts && npm run --silent build)
    touch "$console_stamp"
fi
