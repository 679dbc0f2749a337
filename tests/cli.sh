#!/bin/sh
# SPDX-License-Identifier: PostgreSQL
# The techmv command against real servers (a primary and a streaming hot
# standby): every subcommand, format and exit code. Pages are compared with
# plain SQL run by psql, never with the library; JSON and Prometheus output
# go through real parsers (tests/cli-check.py).
set -eu
src=${top_srcdir:-.}
build=${top_builddir:-.}
if [ -z "${TECHMV_CLI_INSIDE:-}" ]; then
  TECHMV_CLI_INSIDE=1
  TECHMV_HARNESS_EXTRAS=standby
  export TECHMV_CLI_INSIDE TECHMV_HARNESS_EXTRAS
  exec sh "$src/tests/pg-harness.sh" sh "$0" "$@"
fi

techmv=$build/cli/techmv
# Debian's python3, where python3-prometheus-client installs (a python3
# earlier in PATH, such as a pyenv one, would not have it).
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
check_py="$python $src/tests/cli-check.py"
psql="psql -X -q -v ON_ERROR_STOP=1"
tmp=$(mktemp -d)
holder=""
drainer=""
cleanup() {
  [ -z "$holder" ] || kill "$holder" 2>/dev/null || true
  [ -z "$drainer" ] || kill "$drainer" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
  for f in out err; do
    [ -s "$tmp/$f" ] && head -c 2000 "$tmp/$f" | sed "s/^/#   $f: /"
  done
  return 0
}
# run ARGS...: the command's output in $tmp/out and $tmp/err, status in $rc.
run() {
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
}
# expect STATUS DESCRIPTION ARGS...: run, and check the exit status.
expect() {
  expected=$1 desc=$2
  shift 2
  run "$@"
  if [ "$rc" -eq "$expected" ]; then ok "$desc: exit $expected"; else
    not_ok "$desc: exit $rc, want $expected"; fi
}
# assert DESCRIPTION COMMAND...: a check that needs no output of its own.
assert() {
  desc=$1
  shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
grep_out() { grep -q -e "$1" "$tmp/out"; }
grep_err() { grep -q -e "$1" "$tmp/err"; }
usage_line() { grep -q "^Try \"techmv.* --help\" for more information\.$" "$tmp/err"; }
# py MODE ARGS...: one check by the parsers.
py() { $check_py "$@" >"$tmp/py" 2>&1 || { cat "$tmp/py"; return 1; }; }
sql() { $psql -d "$1" -Atc "$2"; }
# want DB SQL: the rows of SQL as COPY TO STDOUT writes them, in $tmp/want.
want() { $psql -d "$1" -c "COPY ($2) TO STDOUT" >"$tmp/want"; }
# want_json DB SQL: the single-column rows of SQL as a JSON array.
want_json() {
  $psql -d "$1" -Atc "SELECT coalesce(json_agg(v ORDER BY o), '[]')
                      FROM (SELECT v, row_number() OVER () AS o
                            FROM ($2) AS q(v)) AS r" >"$tmp/want.json"
}
# same_list DESCRIPTION DB SQL ARGS...: techmv list prints what SQL returns.
same_list() {
  desc=$1 list_db=$2 q=$3
  shift 3
  want "$list_db" "$q"
  run "$techmv" list -d "$list_db" "$@"
  if [ "$rc" -eq 0 ] && cmp -s "$tmp/want" "$tmp/out"; then
    ok "list $desc = SQL"
  else
    not_ok "list $desc: exit $rc, output differs from SQL"
    diff "$tmp/want" "$tmp/out" | head -n 10 | sed 's/^/#   /' || true
  fi
}

free_port() {
  p=$((PGPORT + 300))
  while ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

db=techmv_cli
$psql -d postgres -c "CREATE DATABASE $db TEMPLATE $TECHMV_TEST_TEMPLATE"
# Values that need escaping in every output format.
$psql -d "$db" >/dev/null <<'SQL'
INSERT INTO companies (id, name, technologies) VALUES
  (900001, 'hostile', ARRAY[E'new\nline', E'tab\there', E'back\\slash',
   'quo"te', E'cr\rhere', E'bell\x07', E'form\ffeed\x0bvt\bbs', '日本語', 'UPPER sql', '%_\', '']);
SELECT * FROM mv_distinct_technologies_refresh(true, 0);
SQL
distinct="SELECT DISTINCT t FROM companies AS c, unnest(c.technologies) AS t
          WHERE t IS NOT NULL"
all="SELECT t FROM companies AS c, unnest(c.technologies) AS t
     WHERE t IS NOT NULL"

echo "# help, version and bad invocations"
expect 0 "--help" "$techmv" --help
assert "--help lists the commands and exit codes" \
  sh -c 'grep -q "^Usage:" "$1" && grep -q "refresh" "$1" &&
         grep -q "^Exit status:" "$1"' sh "$tmp/out"
expect 0 "--version" "$techmv" --version
assert "--version names the library's version" \
  grep -Eq '^techmv \(libtechmv\) [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"
for cmd in list refresh status; do
  expect 0 "$cmd --help" "$techmv" "$cmd" --help
  assert "$cmd --help has a usage line" \
    grep -q "^  techmv $cmd \[OPTION\]\.\.\. \[DBNAME\]$" "$tmp/out"
  expect 0 "$cmd -?" "$techmv" "$cmd" "-?"
  expect 0 "$cmd --version" "$techmv" "$cmd" --version
done
expect 3 "no command" "$techmv"
assert "no command: usage line" usage_line
expect 3 "unknown command" "$techmv" frobnicate
expect 3 "option before the command" "$techmv" --limit 5 list
bad() { # DESCRIPTION ARGS...: a bad invocation, refused with a usage line
  desc=$1
  shift
  expect 3 "$desc" "$techmv" "$@" -d "$db"
  assert "$desc: message and usage line" \
    sh -c '[ ! -s "$1" ] && grep -q "^techmv [a-z]*: " "$2" &&
           grep -q "^Try \"techmv [a-z]* --help\"" "$2"' \
    sh "$tmp/out" "$tmp/err"
}
bad "--limit 0" list --limit 0
bad "--limit 10001" list --limit 10001
bad "--limit 99999999999" list --limit 99999999999
bad "--limit 99999999999999999999" list --limit 99999999999999999999
bad "--limit 5x" list --limit 5x
bad "--limit ''" list --limit ''
bad "--limit ' 5'" list --limit ' 5'
bad "--limit +5" list --limit +5
bad "--limit 0x10" list --limit 0x10
bad "--offset -1" list --offset -1
bad "--offset 10000001" list --offset 10000001
bad "--company 1.5" list --company 1.5
bad "--company 9223372036854775808" list --company 9223372036854775808
bad "--format xml" list --format xml
bad "--after with --all" list --all --after x
bad "--statements sometimes" list --statements sometimes
bad "unknown option" list --frobnicate
bad "missing value" list --limit
bad "two databases" list "$db"
bad "--lock-timeout abc" refresh --lock-timeout abc
bad "--lock-timeout -1" refresh --lock-timeout -1
bad "--lock-timeout 2147483648" refresh --lock-timeout 2147483648
bad "--max-age soon" status --max-age soon
bad "--max-age -5" status --max-age -5
bad "--format yaml" status --format yaml
bad "--nowait on status" status --nowait
bad "--quiet on list" list --quiet
expect 3 "malformed connection string" "$techmv" list -d "host=x port"
assert "malformed connection string: libpq's reason and a usage line" \
  sh -c 'grep -q "missing \"=\"" "$1" && grep -q "^Try " "$1"' sh "$tmp/err"
# Refused by the library before anything is sent, so also a bad invocation.
bad "--search not valid UTF-8" list --format json --search "$(printf 'a\377')"
bad "--search of 257 bytes" list --search "$(printf '%0257d' 0)"
bad "--view name too long" status --view "$(printf 'v%.0s' $(seq 60))"

echo "# list: the pages SQL gives"
same_list "first page" "$db" "$distinct ORDER BY 1 LIMIT 25"
same_list "everything" "$db" "$distinct ORDER BY 1" --limit 10000
same_list "--desc" "$db" "$distinct ORDER BY 1 DESC" --desc --limit 10000
same_list "--limit 7 --offset 5" "$db" "$distinct ORDER BY 1 LIMIT 7 OFFSET 5" \
  --limit=7 --offset=5
same_list "--search sql" "$db" \
  "$distinct AND strpos(lower(t), 'sql') > 0 ORDER BY 1" --search sql --limit 10000
same_list "--search SQL (case-insensitive)" "$db" \
  "$distinct AND strpos(lower(t), 'sql') > 0 ORDER BY 1" --search SQL --limit 10000
same_list "--search %_\\ (literal)" "$db" \
  "$distinct AND strpos(t, '%_\\') > 0 ORDER BY 1" --search '%_\' --limit 10000
same_list "--company 1 --company 2" "$db" \
  "$distinct AND c.id IN (1, 2) ORDER BY 1" --company 1 --company 2 --limit 10000
same_list "--all --company 1..3" "$db" \
  "$all AND c.id IN (1, 2, 3) ORDER BY 1" --all --company 1 --company 2 \
  --company 3 --limit 10000
same_list "--all --limit 40 --desc" "$db" "$all ORDER BY 1 DESC LIMIT 40" \
  --all --limit 40 --desc
same_list "--base" "$db" "$distinct ORDER BY 1" --base --limit 10000
same_list "-h -p -U and a positional DBNAME" "$db" "$distinct ORDER BY 1" \
  --limit 10000 -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER"
same_list "a URI" "$db" "$distinct ORDER BY 1 LIMIT 5" \
  --limit 5 -d "postgresql://$PGUSER@127.0.0.1:$PGPORT/$db"
same_list "--statements=unnamed" "$db" "$distinct ORDER BY 1 LIMIT 5" \
  --limit 5 --statements=unnamed
same_list "escaped values (COPY's text format)" "$db" \
  "$distinct AND c.id = 900001 ORDER BY 1" --company 900001
assert "a newline in a value is printed as \\n" grep -qx 'new\\nline' "$tmp/out"
expect 0 "--verbose" "$techmv" list -d "$db" --limit 3 --verbose
assert "--verbose: path and cursor on stderr" \
  grep_err 'values from the view path.*has_more=true, cursor="'
assert "--verbose: stdout has only the values" \
  sh -c '[ "$(wc -l <"$1")" -eq 3 ]' sh "$tmp/out"
expect 0 "PG* environment alone" env PGDATABASE="$db" "$techmv" list
assert "PG* environment: 25 values" \
  sh -c '[ "$(wc -l <"$1")" -eq 25 ]' sh "$tmp/out"

echo "# list --format json and -0"
want_json "$db" "$distinct ORDER BY 1"
run "$techmv" list -d "$db" --format json --limit 10000
assert "json: every value, path view, has_more false" \
  py list "$tmp/out" view false "$tmp/want.json"
cp "$tmp/out" "$tmp/all.json"
run "$techmv" list -d "$db" -0 --limit 10000
assert "-0: the same values, NUL-terminated" py nul "$tmp/out" "$tmp/all.json"
want_json "$db" "$distinct ORDER BY 1 LIMIT 10"
run "$techmv" list -d "$db" --format=json --limit 10
assert "json first page: has_more true, cursor the last value" \
  py list "$tmp/out" view true "$tmp/want.json"
cursor=$($python -c 'import json,sys; print(json.load(open(sys.argv[1]))["cursor"])' "$tmp/out")
same_list "--after the cursor" "$db" "$distinct ORDER BY 1 LIMIT 10 OFFSET 10" \
  --limit 10 --after "$cursor"
want_json "$db" "$distinct ORDER BY 1 DESC LIMIT 5"
run "$techmv" list -d "$db" --format json --limit 5 --desc
assert "json --desc" py list "$tmp/out" view true "$tmp/want.json"
want_json "$db" "$distinct AND c.id = 1 ORDER BY 1"
run "$techmv" list -d "$db" --format json --company 1 --limit 10000
assert "json --company: path base" py list "$tmp/out" base false "$tmp/want.json"
run "$techmv" list -d "$db" --format json --search 'no such value at all'
assert "json empty page: cursor null" py list "$tmp/out" view false

echo "# list: exit 1 and 2"
expect 1 "list from a missing source table" \
  "$techmv" list -d "$db" --base --source-table no_such_table
assert "list failure: the server's SQLSTATE" grep_err 'SQLSTATE 42P01'
port=$(free_port)
expect 2 "list on a closed port" "$techmv" list -h 127.0.0.1 -p "$port" -d "$db"
assert "closed port: libpq's message" grep_err 'techmv list: error: connection to server'
expect 2 "refresh on a closed port" "$techmv" refresh -h 127.0.0.1 -p "$port"
expect 2 "status on a closed port" "$techmv" status -h 127.0.0.1 -p "$port"
expect 2 "status --format prometheus on a closed port" \
  "$techmv" status -h 127.0.0.1 -p "$port" -d "$db" --format prometheus
assert "closed port: techmv_up 0 and nothing else" \
  py prom "$tmp/out" techmv_up=0 techmv_rows=absent "label:database=$db"

echo "# refresh"
expect 0 "refresh" "$techmv" refresh -d "$db"
assert "refresh reports a concurrent refresh" grep_out '^refreshed concurrently: [0-9]* values in '
expect 0 "refresh --quiet" "$techmv" refresh -q "$db"
assert "refresh --quiet prints nothing" sh -c '[ ! -s "$1" ] && [ ! -s "$2" ]' sh "$tmp/out" "$tmp/err"
same_list "after the refresh, the view has the new values" "$db" \
  "$distinct ORDER BY 1" --limit 10000

echo "# status on a healthy view"
expect 0 "status" "$techmv" status -d "$db"
assert "status text: healthy" grep_out '^healthy: yes$'
assert "status text: RFC 3339 last refresh" \
  grep -Eq '^last_refresh_at: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$' "$tmp/out"
rows=$(sql "$db" "SELECT count(*) FROM ($distinct) AS d")
expect 0 "status --format json" "$techmv" status -d "$db" --format json
assert "status json: types, keys, values" \
  py status "$tmp/out" healthy=true installed=true populated=true "rows=$rows" \
  is_standby=false refresh_running=false last_failure_at=null \
  named_statements=true "database=\"$db\"" 'view="mv_distinct_technologies"' \
  failures_since_last_refresh=0 problems=[] replay_lag_s=null
cp "$tmp/out" "$tmp/status.json"
expect 0 "status --format prometheus" "$techmv" status -d "$db" --format=prometheus
assert "prometheus: parsed; up, healthy, rows" \
  py prom "$tmp/out" techmv_up=1 techmv_healthy=1 techmv_installed=1 \
  "techmv_rows=$rows" techmv_standby=0 techmv_last_refresh_timestamp_seconds=present \
  techmv_last_failure_timestamp_seconds=absent "label:database=$db" \
  label:view=mv_distinct_technologies
assert "prometheus and json agree" py same-time "$tmp/status.json" "$tmp/out"
assert "prometheus: HELP and TYPE for each family" \
  sh -c '[ "$(grep -c "^# HELP techmv_" "$1")" -eq "$(grep -c "^# TYPE techmv_[a-z_]* gauge$" "$1")" ] &&
         [ "$(grep -c "^# HELP" "$1")" -ge 20 ]' sh "$tmp/out"
expect 1 "status --max-age 0" "$techmv" status -d "$db" --max-age 0 --format json
assert "--max-age 0: unhealthy, says why" \
  py status "$tmp/out" healthy=false 'problems~="--max-age 0"'
expect 1 "status --max-age 0, prometheus" "$techmv" status -d "$db" --max-age=0 --format prometheus
assert "--max-age 0: techmv_healthy 0, techmv_up 1" py prom "$tmp/out" techmv_up=1 techmv_healthy=0
expect 1 "status --quiet --max-age 0" "$techmv" status -q -d "$db" --max-age 0
assert "status --quiet prints nothing" sh -c '[ ! -s "$1" ]' sh "$tmp/out"
expect 0 "status --max-age 3153600000" "$techmv" status -d "$db" --max-age 3153600000
expect 0 "status --statements=unnamed" "$techmv" status -d "$db" --statements=unnamed --format json
assert "status --statements=unnamed: named_statements false" \
  py status "$tmp/out" named_statements=false
weird=$(printf 'w\303\251"ird\\na\nme')
expect 1 "status of a view with a hostile name" \
  "$techmv" status -d "$db" --schema public --view "$weird" --format prometheus
assert "prometheus label escaping round-trips" \
  py prom "$tmp/out" techmv_up=1 techmv_installed=0 "label:view=public.$weird"
expect 1 "status json of a view with a hostile name" \
  "$techmv" status -d "$db" --schema public --view "$weird" --format json
assert "json string escaping round-trips" \
  py status "$tmp/out" installed=false "view=$($python -c 'import json,sys; print(json.dumps(sys.argv[1]))' "public.$weird")"

echo "# refresh while another session holds the view"
mkfifo "$tmp/fifo"
$psql -d "$db" <"$tmp/fifo" >"$tmp/holder.out" 2>&1 &
holder=$!
exec 3>"$tmp/fifo"
# A refresh left open in a transaction: LOCK TABLE refuses materialized
# views, REFRESH ... CONCURRENTLY holds their ExclusiveLock until commit.
echo "BEGIN; REFRESH MATERIALIZED VIEW CONCURRENTLY mv_distinct_technologies;" >&3
held="SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ExclusiveLock'
      AND relation = 'mv_distinct_technologies'::regclass"
i=0
until [ "$(sql "$db" "$held")" = 1 ]; do
  i=$((i + 1))
  if [ "$i" -ge 5000 ] || ! kill -0 "$holder" 2>/dev/null; then
    echo "the lock holder never got its lock:"; cat "$tmp/holder.out"; exit 1
  fi
done
expect 0 "refresh --nowait while locked" "$techmv" refresh --nowait -d "$db"
assert "refresh --nowait: silent" sh -c '[ ! -s "$1" ] && [ ! -s "$2" ]' sh "$tmp/out" "$tmp/err"
expect 0 "refresh --nowait --verbose while locked" "$techmv" refresh --nowait --verbose -d "$db"
assert "refresh --nowait --verbose: says it skipped" grep_err 'skipped: another refresh is running'
expect 0 "status while locked (readers are not blocked)" \
  "$techmv" status -d "$db" --format json
assert "status while locked: a refresh is running" \
  py status "$tmp/out" healthy=true refresh_running=true
expect 1 "refresh --lock-timeout 50 while locked" "$techmv" refresh --lock-timeout 50 -d "$db"
expect 1 "status after a lock timeout" "$techmv" status -d "$db" --format json
cp "$tmp/out" "$tmp/failed.json"
echo "COMMIT;" >&3
exec 3>&-
wait "$holder"
holder=""
reports_failures=$($python -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["schema_installed"] is not None))' "$tmp/failed.json")
if [ "$reports_failures" = 1 ]; then
  cp "$tmp/failed.json" "$tmp/out"
  assert "the failed refresh is reported" \
    py status "$tmp/out" healthy=false 'last_failure_sqlstate="55P03"' \
    'problems~="failed"'
  expect 1 "status after a failed refresh" "$techmv" status -d "$db" --format prometheus
  assert "prometheus: the failure's timestamp with its sqlstate" \
    py prom "$tmp/out" techmv_last_failure_timestamp_seconds=present \
    techmv_failures_since_last_refresh=present techmv_healthy=0
  expect 0 "refresh after the failure" "$techmv" refresh -d "$db"
  expect 0 "status: healthy again" "$techmv" status -d "$db"
else
  echo "ok # skip the library does not report schema versions and failed refreshes yet"
fi

echo "# a view never populated, and no view at all"
db2=techmv_cli_nopop
$psql -d postgres -c "CREATE DATABASE $db2 TEMPLATE $TECHMV_TEST_TEMPLATE"
$psql -d "$db2" -f "$TECHMV_TEST_SQLDIR/rollback.sql" >/dev/null
$psql -d "$db2" -v populate=off -f "$TECHMV_TEST_SQLDIR/install.sql" >/dev/null
expect 1 "status of an unpopulated view" "$techmv" status -d "$db2" --format json
assert "unpopulated: populated false, rows null" \
  py status "$tmp/out" healthy=false installed=true populated=false rows=null \
  last_refresh_at=null 'problems~="not populated"'
expect 1 "status text of an unpopulated view" "$techmv" status -d "$db2"
assert "text: problem line" grep_out '^problem: not populated$'
want_json "$db2" "$distinct ORDER BY 1 LIMIT 25"
run "$techmv" list -d "$db2" --format json
assert "list of an unpopulated view: the fallback path" \
  py list "$tmp/out" fallback true "$tmp/want.json"
expect 0 "refresh populates it" "$techmv" refresh -d "$db2"
assert "first refresh is plain" grep_out '^refreshed: '
expect 0 "status once populated" "$techmv" status -d "$db2"
$psql -d "$db2" -f "$TECHMV_TEST_SQLDIR/rollback.sql" >/dev/null
expect 1 "status without the view" "$techmv" status -d "$db2" --format json
assert "no view: installed false, sizes null" \
  py status "$tmp/out" healthy=false installed=false total_bytes=null \
  rows=null 'problems~="not installed"'
same_list "without the view (fallback)" "$db2" "$distinct ORDER BY 1" --limit 10000
expect 1 "refresh without the view" "$techmv" refresh -d "$db2"

echo "# a live set kept drained by refresh --every"
db4=techmv_cli_live
$psql -d postgres -c "CREATE DATABASE $db4 TEMPLATE $TECHMV_TEST_TEMPLATE"
$psql -d "$db4" -f "$TECHMV_TEST_SQLDIR/rollback.sql" >/dev/null
$psql -d "$db4" -v mode=live -f "$TECHMV_TEST_SQLDIR/install.sql" >/dev/null
"$techmv" refresh --every 20 -d "$db4" 2>"$tmp/every.err" &
drainer=$!
$psql -d "$db4" -c "INSERT INTO companies SELECT max(id) + 1, 'new',
                    '{Brand-New-Tech}' FROM companies"
# Until the drainer has applied it; no sleep, a bounded number of looks.
i=0
until [ -n "$("$techmv" list -d "$db4" --search brand-new-tech)" ] ||
      [ "$i" -ge 20000 ]; do
  i=$((i + 1))
done
assert "refresh --every applies a new value" [ "$i" -lt 20000 ]
kill -TERM "$drainer"
code=0
wait "$drainer" || code=$?
drainer=""
assert "refresh --every exits 0 on SIGTERM" [ "$code" -eq 0 ]
assert "refresh --every: nothing failed" [ ! -s "$tmp/every.err" ]
expect 0 "status of the live set" "$techmv" status -d "$db4" --format json
assert "live status: mode, no backlog" \
  py status "$tmp/out" 'mode="live"' pending_changes=0 needs_rebuild=false \
  healthy=true
expect 3 "refresh --every 0" "$techmv" refresh --every 0 -d "$db4"
assert "refresh --every 0: usage" usage_line

echo "# bytes that are not UTF-8"
db3=techmv_cli_ascii
$psql -d postgres -c "CREATE DATABASE $db3 TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'"
$psql -d "$db3" <<'SQL'
CREATE TABLE companies (id bigint PRIMARY KEY, name text NOT NULL,
                        technologies text[] NOT NULL);
INSERT INTO companies VALUES (1, 'bytes', ARRAY[E'a\xffb', E'\xc3(', 'ok']);
SQL
run "$techmv" list -d "$db3" --format json
assert "json: invalid bytes become U+FFFD, still valid JSON" \
  sh -c '"$2" -c "
import json, sys
page = json.loads(open(sys.argv[1], \"rb\").read().decode(\"utf-8\"))
assert page[\"values\"] == [\"a\ufffdb\", \"ok\", \"\ufffd(\"], page
assert page[\"path\"] == \"fallback\", page
" "$1"' sh "$tmp/out" "$python"
run "$techmv" list -d "$db3" -0
assert "-0: the bytes as stored" \
  sh -c 'printf "a\377b\000ok\000\303(\000" | cmp -s - "$1"' sh "$tmp/out"

echo "# reads on the standby, refresh on the primary"
sport=$TECHMV_TEST_STANDBY_PORT
lsn=$(sql postgres "SELECT pg_current_wal_insert_lsn()")
i=0
until [ "$(psql -X -Atc "SELECT pg_last_wal_replay_lsn() >= '$lsn'" \
           "host=127.0.0.1 port=$sport dbname=postgres")" = t ]; do
  i=$((i + 1))
  [ "$i" -lt 10000 ] || { echo "the standby never caught up"; exit 1; }
done
prefer="host=127.0.0.1,127.0.0.1 port=$sport,$PGPORT dbname=$db target_session_attrs=prefer-standby"
rw="host=127.0.0.1,127.0.0.1 port=$sport,$PGPORT dbname=$db target_session_attrs=read-write"
assert "prefer-standby lands on the standby (psql)" \
  sh -c '[ "$(psql -X -Atc "SELECT pg_is_in_recovery()" "$1")" = t ]' sh "$prefer"
expect 0 "status through prefer-standby" "$techmv" status -d "$prefer" --format json
assert "status reports the standby" py status "$tmp/out" is_standby=true healthy=true
same_list "through prefer-standby (standby)" "$db" "$distinct ORDER BY 1" \
  -d "$prefer" --limit 10000
expect 1 "refresh on the standby alone" \
  "$techmv" refresh -d "host=127.0.0.1 port=$sport dbname=$db"
assert "refresh on the standby: the library's refusal" grep_err 'standby\|read-only'
expect 0 "refresh through read-write (the primary)" "$techmv" refresh -d "$rw"
expect 0 "status through read-write" "$techmv" status -d "$rw" --format json
assert "read-write: the primary" py status "$tmp/out" is_standby=false
as_owner "$TECHMV_TEST_BINDIR/pg_ctl" -D "$TECHMV_TEST_STANDBY_DATADIR" \
  -m fast -w stop >/dev/null
assert "prefer-standby with the standby down lands on the primary (psql)" \
  sh -c '[ "$(psql -X -Atc "SELECT pg_is_in_recovery()" "$1")" = f ]' sh "$prefer"
expect 0 "status through prefer-standby, standby down" \
  "$techmv" status -d "$prefer" --format json
assert "status reports the primary" py status "$tmp/out" is_standby=false healthy=true
same_list "through prefer-standby, standby down (primary)" "$db" \
  "$distinct ORDER BY 1" -d "$prefer" --limit 10000
expect 2 "the standby alone, down" \
  "$techmv" list -d "host=127.0.0.1 port=$sport dbname=$db"

echo "cli: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
