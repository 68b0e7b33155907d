#!/usr/bin/env bash
# Local PostgreSQL 15 + pgvector for development and tests.
#
#   db/local-postgres.sh install   install PostgreSQL 15 and build pgvector if missing (needs root or sudo)
#   db/local-postgres.sh start     install if needed, initdb under .spillway/pg, start on 127.0.0.1, create roles/db
#   db/local-postgres.sh stop      stop the server this script started
#   db/local-postgres.sh status    exit 0 when running
#   db/local-postgres.sh env       print SPILLWAY_DB_* for the running server
#
# Port: SPILLWAY_PG_PORT (default 55432), applied on every start, so checkouts with different ports run side by side.
# A server that is already running keeps its port until it is stopped; `status` and `env` tell the port it has.
# Idempotent: a second `start` on a running server returns in about a second.
# Everything lives under $SPILLWAY_HOME (default: <repo>/.spillway), never in the system cluster on :5432.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPILLWAY_HOME=${SPILLWAY_HOME:-$ROOT/.spillway}
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_PORT=${SPILLWAY_PG_PORT:-55432}
PG_DIR_LINK=$SPILLWAY_HOME/pg
DB_ENV=$SPILLWAY_HOME/db.env
APP_DB=spillway
APP_ROLE=spillway

log() { printf '[db] %s\n' "$*" >&2; }
die() { printf '[db] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else die "need root (or sudo) to run: $*"; fi
}

# The server must not run as root; when we are root it runs as the postgres user.
pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

vector_installed() {
  [ -f "$($PG_BIN/pg_config --sharedir 2>/dev/null)/extension/vector.control" ] 2>/dev/null
}

install_postgres() {
  if [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/pg_config" ] && command -v make >/dev/null && command -v gcc >/dev/null \
     && [ -d "/usr/include/postgresql/$PG_MAJOR/server" ]; then
    return 0
  fi
  log "installing PostgreSQL $PG_MAJOR and build tools (apt)"
  # Keep the Debian package from creating and starting its own cluster on :5432.
  as_root mkdir -p /etc/postgresql-common
  if ! grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf; then
    echo 'create_main_cluster = false' | as_root tee -a /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" postgresql-contrib make gcc libc6-dev \
    ca-certificates debian-archive-keyring dpkg-dev >/dev/null
}

install_pgvector() {
  vector_installed && return 0
  log "building pgvector from Debian trixie's source package"
  local work; work=$(mktemp -d)
  local apt_dir=$work/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  # A private sources list: the system's apt configuration stays untouched.
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$apt_dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=-"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
              -o "APT::Sandbox::User=root")
  as_root apt-get "${opts[@]}" update -qq
  (cd "$work" && as_root apt-get "${opts[@]}" source -qq --download-only pgvector >/dev/null)
  local dsc; dsc=$(ls "$work"/pgvector_*.dsc | head -n1)
  [ -n "$dsc" ] || die "apt-get source pgvector fetched nothing"
  # apt verified the files against the signed Sources index; dpkg-source has no maintainer keyring here.
  (cd "$work" && dpkg-source -x "$dsc" src >/dev/null 2>&1)
  # OPTFLAGS="" avoids -march=native, so the build runs on any x86-64 machine.
  as_root make -s -C "$work/src" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >/dev/null
  as_root make -s -C "$work/src" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" install >/dev/null
  as_root rm -rf "$work"
  vector_installed || die "pgvector build finished but vector.control is missing"
}

cmd_install() {
  install_postgres
  install_pgvector
}

# The data directory must be reachable by the postgres user. When the checkout sits under a private
# directory (e.g. /root), keep the cluster in /var/tmp and link it from .spillway/pg.
data_dir() {
  if [ -L "$PG_DIR_LINK" ] || [ -d "$PG_DIR_LINK" ]; then readlink -f "$PG_DIR_LINK"; return; fi
  mkdir -p "$SPILLWAY_HOME"
  local target=$PG_DIR_LINK
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$SPILLWAY_HOME" 2>/dev/null; then
    target=/var/tmp/spillway-pg-$(printf '%s' "$SPILLWAY_HOME" | sha256sum | cut -c1-12)
    mkdir -p "$target"
    ln -s "$target" "$PG_DIR_LINK"
    log "data directory $target (linked from $PG_DIR_LINK: $SPILLWAY_HOME is not readable by postgres)"
  else
    mkdir -p "$target"
  fi
  readlink -f "$PG_DIR_LINK"
}

is_running() {
  local dir; dir=$(readlink -f "$PG_DIR_LINK" 2>/dev/null) || return 1
  [ -f "$dir/data/postmaster.pid" ] || return 1
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# The port the running server listens on (line 4 of postmaster.pid), whatever SPILLWAY_PG_PORT says now.
running_port() {
  local dir; dir=$(readlink -f "$PG_DIR_LINK" 2>/dev/null) || return 1
  sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null
}

# initdb wrote the port of the first start into postgresql.conf; every start writes the port asked for now.
set_port() { # data-dir port
  if grep -q '^port = ' "$1/postgresql.conf"; then
    as_pg sed -i "s/^port = .*/port = $2/" "$1/postgresql.conf"
  else
    echo "port = $2" | as_pg tee -a "$1/postgresql.conf" >/dev/null
  fi
}

write_db_env() { # password
  umask 077
  cat > "$DB_ENV" <<EOF
SPILLWAY_DB_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/$APP_DB
SPILLWAY_DB_USER=$APP_ROLE
SPILLWAY_DB_PASSWORD=$1
EOF
}

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | cut -c1-28; }

psql_super() {
  local dir; dir=$(readlink -f "$PG_DIR_LINK")
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$PG_PORT" -U postgres "$@"
}

cmd_start() {
  if is_running; then
    local port; port=$(running_port)
    if [ -n "${SPILLWAY_PG_PORT:-}" ] && [ "$port" != "$SPILLWAY_PG_PORT" ]; then
      log "already running on 127.0.0.1:$port, not $SPILLWAY_PG_PORT: using it (SPILLWAY_PG_PORT applies when it" \
        "starts; db/local-postgres.sh stop, or ./spillway down, stops it)"
    fi
    PG_PORT=$port
    if [ -f "$DB_ENV" ] && grep -q "^SPILLWAY_DB_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/" "$DB_ENV"; then
      cat_env_hint; return 0
    fi
  fi
  cmd_install
  local dir; dir=$(data_dir)
  mkdir -p "$dir/run"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initdb $dir/data"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$dir/data/postgresql.conf" <<EOF
# spillway local development server
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir/run'
max_connections = 300
shared_buffers = 256MB
fsync = on
log_min_messages = warning
EOF
  fi
  if ! is_running; then
    set_port "$dir/data" "$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null \
      || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  local password
  if [ -f "$DB_ENV" ]; then
    password=$(sed -n 's/^SPILLWAY_DB_PASSWORD=//p' "$DB_ENV")
  else
    password=$(random_secret)
  fi
  # The extension goes into template1 so every database created later (one per test class) has it.
  psql_super -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
SQL
  psql_super -d template1 -c 'SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector'
  if ! psql_super -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$APP_DB'" | grep -q 1; then
    psql_super -d postgres -c "CREATE DATABASE $APP_DB OWNER $APP_ROLE"
  fi
  psql_super -d "$APP_DB" -c 'SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector'
  write_db_env "$password"
  cat_env_hint
}

cat_env_hint() { log "PostgreSQL $PG_MAJOR + pgvector running on 127.0.0.1:$PG_PORT (settings in ${DB_ENV#$ROOT/})"; }

cmd_stop() {
  if is_running; then
    local dir; dir=$(readlink -f "$PG_DIR_LINK")
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  fi
}

cmd_env() {
  is_running || die "not running (db/local-postgres.sh start)"
  # The port of the server that runs, even if db.env was written for another one.
  sed "s#^SPILLWAY_DB_URL=jdbc:postgresql://127.0.0.1:[0-9]*/#SPILLWAY_DB_URL=jdbc:postgresql://127.0.0.1:$(running_port)/#" \
    "$DB_ENV"
}

cmd_status() {
  is_running || return 1
  log "running on 127.0.0.1:$(running_port)"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
