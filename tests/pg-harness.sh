#!/bin/sh
# Run a command against a throwaway PostgreSQL cluster made for it, with a
# template database "techmv_tpl" holding sample data and the installed view.
#
#   sh tests/pg-harness.sh COMMAND [ARG...]
#
# The cluster (Debian's pg_virtualenv, which works as root or not) is
# destroyed when COMMAND exits. The command gets the PG* variables and
# TECHMV_TEST_TEMPLATE, TECHMV_TEST_SQLDIR.
#
# TECHMV_HARNESS_EXTRAS (comma-separated) adds: standby (a streaming hot
# standby: TECHMV_TEST_STANDBY_PORT, TECHMV_TEST_STANDBY_DATADIR,
# TECHMV_TEST_BINDIR), pooler (PgBouncer in transaction and session mode,
# TECHMV_TEST_POOLER_TX_PORT and _SESSION_PORT), cron (pg_cron preloaded,
# cron.database_name = techmv_cron, a database left to create).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sqldir=$(cd "$here/../sql" && pwd)

if [ -z "${TECHMV_HARNESS_INSIDE:-}" ]; then
  if ! command -v pg_virtualenv >/dev/null 2>&1; then
    echo "pg-harness: pg_virtualenv not found; install the PostgreSQL server" \
         "(Debian: apt-get install postgresql)" >&2
    exit 99 # a hard error: these tests must not pass by not running
  fi
  TECHMV_HARNESS_INSIDE=1
  export TECHMV_HARNESS_INSIDE
  # pg_virtualenv takes the first free port from 5432, which races with any
  # other cluster starting at the same time: start from one of our own.
  port=$((20000 + $$ % 20000))
  while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
    port=$((port + 1))
  done
  # pg_cron, opt-in: it must be preloaded, and works in one database only.
  cron_opts=""
  case ",${TECHMV_HARNESS_EXTRAS:-}," in *,cron,*)
    cron_opts="-o shared_preload_libraries=pg_cron -o cron.database_name=techmv_cron" ;;
  esac
  # Durability buys nothing in a cluster that lives for one test run; and
  # clients under valgrind can take longer than the default minute to
  # authenticate when several connect at once.
  exec pg_virtualenv -t -c "-p $port" -o fsync=off -o synchronous_commit=off \
    -o full_page_writes=off -o max_connections=60 \
    -o authentication_timeout=600s $cron_opts \
    sh "$0" "$@"
fi

psql="psql -X -q -v ON_ERROR_STOP=1"

# Servers that must run as the cluster's owner: "postgres" when we are root
# (pg_virtualenv's choice), else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

next_port() {
  p=$(( ${1:-$PGPORT} + 1 ))
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}

answers_within() { # port seconds: whether the server (or pooler) answers
  # in time; bounded by the clock, not by a count of tries, which a loaded
  # machine runs through faster than a daemon starts.
  until=$(($(date +%s) + $2))
  until pg_isready -q -h 127.0.0.1 -p "$1"; do
    [ "$(date +%s)" -lt "$until" ] || return 1
  done
}

wait_ready() { # port
  answers_within "$1" 120 || { echo "pg-harness: nothing answers on port $1" >&2; exit 99; }
}

extras_dir=""
cleanup() {
  [ -n "$extras_dir" ] || return 0
  for pid in "$extras_dir"/pgb-*.pid; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
  done
  if [ -d "$extras_dir/standby" ]; then
    as_owner "$bindir/pg_ctl" -D "$extras_dir/standby" -m immediate stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$extras_dir"
}
trap cleanup EXIT

start_standby() {
  # A streaming hot standby on loopback, as pg_basebackup -R makes it.
  sport=$(next_port "$PGPORT")
  as_owner env PGPASSWORD="$PGPASSWORD" "$bindir/pg_basebackup" \
    -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" -D "$extras_dir/standby" \
    -R -X stream -c fast
  hba=$(psql -X -Atc 'SHOW hba_file')
  as_owner sh -c "cp '$hba' '$extras_dir/standby/pg_hba.conf' &&
    : >'$extras_dir/standby/pg_ident.conf' &&
    printf '%s\n' \"listen_addresses = '127.0.0.1'\" 'port = $sport' \
      \"unix_socket_directories = '$extras_dir'\" 'hot_standby = on' \
      'fsync = off' >'$extras_dir/standby/postgresql.conf'"
  as_owner "$bindir/pg_ctl" -D "$extras_dir/standby" \
    -l "$extras_dir/standby.log" -w start >/dev/null
  wait_ready "$sport"
  TECHMV_TEST_STANDBY_PORT=$sport
  # For tests that stop the standby themselves (pg_ctl, as its owner).
  TECHMV_TEST_STANDBY_DATADIR=$extras_dir/standby
  TECHMV_TEST_BINDIR=$bindir
  export TECHMV_TEST_STANDBY_PORT TECHMV_TEST_STANDBY_DATADIR TECHMV_TEST_BINDIR
}

start_pooler() { # mode [attempt after_port]
  pport=$(next_port "${3:-$((PGPORT + 20))}")
  ini="$extras_dir/pgb-$1.ini"
  # Few server connections, handed out round robin, so that consecutive
  # transactions of one client land on different server connections.
  cat >"$ini" <<INI
[databases]
* = host=127.0.0.1 port=$PGPORT user=$PGUSER password=$PGPASSWORD
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pport
unix_socket_dir =
auth_type = any
pool_mode = $1
default_pool_size = 3
server_round_robin = 1
max_client_conn = 200
pidfile = $extras_dir/pgb-$1.pid
logfile = $extras_dir/pgb-$1.log
INI
  as_owner pgbouncer -q -d "$ini" || true
  # Another process may take the port between the check and the bind: then
  # PgBouncer exits, saying so in its log, and the next port is tried.
  if ! answers_within "$pport" 60; then
    cat "$extras_dir/pgb-$1.log" >&2 2>/dev/null || true
    [ "${2:-0}" -lt 3 ] || { echo "pg-harness: PgBouncer does not start" >&2; exit 99; }
    [ ! -f "$extras_dir/pgb-$1.pid" ] || kill "$(cat "$extras_dir/pgb-$1.pid")" 2>/dev/null || true
    rm -f "$extras_dir/pgb-$1.pid" "$extras_dir/pgb-$1.log"
    start_pooler "$1" "$(( ${2:-0} + 1 ))" "$pport"
    return
  fi
  echo "$pport"
}

if [ -n "${TECHMV_HARNESS_EXTRAS:-}" ]; then
  bindir=$(pg_config --bindir 2>/dev/null || echo "/usr/lib/postgresql/$PGVERSION/bin")
  [ -x "$bindir/pg_ctl" ] || bindir=/usr/lib/postgresql/$PGVERSION/bin
  extras_dir=$(mktemp -d)
  chmod 755 "$extras_dir"
  [ "$(id -u)" -ne 0 ] || chown postgres "$extras_dir"
  case ",$TECHMV_HARNESS_EXTRAS," in *,standby,*) start_standby ;; esac
  case ",$TECHMV_HARNESS_EXTRAS," in *,pooler,*)
    if ! command -v pgbouncer >/dev/null 2>&1; then
      echo "pg-harness: pgbouncer not found (Debian: apt-get install pgbouncer)" >&2
      exit 99
    fi
    TECHMV_TEST_POOLER_TX_PORT=$(start_pooler transaction)
    TECHMV_TEST_POOLER_SESSION_PORT=$(start_pooler session)
    export TECHMV_TEST_POOLER_TX_PORT TECHMV_TEST_POOLER_SESSION_PORT ;;
  esac
fi
$psql -d postgres -c 'CREATE DATABASE techmv_tpl'
case ",${TECHMV_HARNESS_EXTRAS:-}," in *,cron,*)
  # pg_cron's launcher retries (and logs) every second until it exists.
  $psql -d postgres -c 'CREATE DATABASE techmv_cron' ;;
esac
$psql -d techmv_tpl -v companies="${TECHMV_TEST_COMPANIES:-400}" \
  -v technologies=300 -f "$sqldir/sample_data.sql" >/dev/null
$psql -d techmv_tpl -f "$sqldir/install.sql" >/dev/null
TECHMV_TEST_TEMPLATE=techmv_tpl
TECHMV_TEST_SQLDIR=$sqldir
export TECHMV_TEST_TEMPLATE TECHMV_TEST_SQLDIR
"$@"
