#!/usr/bin/env bash
# Makes sure the services the tests talk to answer on loopback: PostgreSQL on 127.0.0.1:5432 and
# Redis on 127.0.0.1:6379. Starts them when installed but stopped, installs them with apt when
# missing. Idempotent; safe to run on a developer machine where they already run.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root (or sudo) to run: $*"; return 1
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do port_open "$port" && return 0; sleep 0.5; done
  log "$name did not come up on 127.0.0.1:$port"; return 1
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

postgres() {
  if port_open 5432; then return 0; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main >/dev/null
  fi
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The tests connect over loopback without a password (no secrets in the repository), so this
  # cluster must trust loopback connections. Say so loudly: it changes the machine's settings.
  if ! as_root grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    log "WARNING: adding loopback trust authentication to $hba for the tests"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting postgresql $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster "$version" main start 2>/dev/null || true
  # A cluster that was already running (apt starts it on systemd hosts) must re-read pg_hba.conf.
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null \
    || as_root pg_ctlcluster "$version" main reload 2>/dev/null || true
  wait_port 5432 postgresql
  local me
  me=$(id -un)
  for role in postgres root ${SUDO_USER:-} "$me"; do
    as_root su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='$role'\" | grep -q 1 \
      || psql -qc 'create role \"$role\" superuser login'" >/dev/null
  done
  as_root su postgres -c "psql -qtAc \"select 1 from pg_database where datname='test'\" | grep -q 1 \
    || createdb test" >/dev/null
}

redis() {
  if port_open 6379; then return 0; fi
  if ! command -v redis-server >/dev/null; then
    log "installing redis"
    apt_install redis-server
  fi
  log "starting redis"
  local dir=/var/lib/redis
  as_root mkdir -p "$dir"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" \
    --appendonly no --dir "$dir" --logfile "$dir/sift-test.log" >/dev/null
  wait_port 6379 redis
}

# Headless Chromium and its WebDriver for the web UI's browser tests (crates/sift/tests/browser.rs).
chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then return 0; fi
  log "installing chromium and chromium-driver"
  apt_install chromium chromium-driver
}

postgres
redis
chromium
log "postgresql and redis answer on 127.0.0.1"
