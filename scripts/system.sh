#!/usr/bin/env bash
# System packages and services that `make demo` and `make test` need, checked (and installed
# where permitted) before anything else runs. Debian/Ubuntu (apt-get).
#
#   scripts/system.sh packages   Chromium, poppler-utils, Java 17 (Spark), WeasyPrint's HarfBuzz,
#                                fonts, Node.js and npm (web assets)
#   scripts/system.sh postgres   PostgreSQL answering at 127.0.0.1:5432 (started if installed)
set -euo pipefail

# package name -> how to tell it is present
declare -A PROBE=(
  [chromium]="command -v chromium"
  [poppler-utils]="command -v pdftoppm"
  [openjdk-17-jre-headless]="command -v java"
  [libharfbuzz-subset0]="dpkg -s libharfbuzz-subset0"
  [fonts-dejavu-core]="dpkg -s fonts-dejavu-core"
  [nodejs]="command -v node"
  [npm]="command -v npm"
)
ORDER=(chromium poppler-utils openjdk-17-jre-headless libharfbuzz-subset0 fonts-dejavu-core nodejs npm)

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 126
  fi
}

packages() {
  local missing=() pkg
  for pkg in "${ORDER[@]}"; do
    eval "${PROBE[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "system packages missing: ${missing[*]}; installing them with apt-get" >&2
  if ! command -v apt-get >/dev/null; then
    echo "error: no apt-get on this machine; install these packages: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get update -qq || ! as_root apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "error: cannot install system packages (not root and no passwordless sudo)." >&2
    echo "Run this once, then run make again:" >&2
    echo "    sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  for pkg in "${missing[@]}"; do
    if ! eval "${PROBE[$pkg]}" >/dev/null 2>&1; then
      echo "error: $pkg is still missing after apt-get install" >&2
      exit 1
    fi
  done
}

postgres() {
  local url="${SAFEGUARD_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
  if ! command -v pg_isready >/dev/null; then
    echo "error: PostgreSQL is not installed; the tests need it at 127.0.0.1:5432 or SAFEGUARD_TEST_POSTGRES_URL." >&2
    echo "Run this once, then run make again:" >&2
    echo "    sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  pg_isready -q -d "$url" && return 0
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do
      pg_isready -q -d "$url" && return 0
      sleep 1
    done
  fi
  echo "error: PostgreSQL does not answer (SAFEGUARD_TEST_POSTGRES_URL or 127.0.0.1:5432)." >&2
  echo "Start it (e.g. sudo pg_ctlcluster <version> main start), or point the tests elsewhere" >&2
  echo "with SAFEGUARD_TEST_POSTGRES_URL, then run make again." >&2
  exit 1
}

case "${1:-}" in
  packages) packages ;;
  postgres) postgres ;;
  *) echo "usage: $0 packages|postgres" >&2; exit 2 ;;
esac
