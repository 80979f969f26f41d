#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server for the test suite on 127.0.0.1 and print
# its URL. Durability is switched off: this server only ever holds test data.
#   scripts/test-postgres.sh start   -> prints postgresql://postgres@127.0.0.1:PORT/kcc_test
#   scripts/test-postgres.sh stop
set -euo pipefail

port="${KCC_TEST_PG_PORT:-54329}"
data_dir="${KCC_TEST_PG_DIR:-/tmp/kcc-test-postgres}"
database="kcc_test"
bin_dir="$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)")"
if [ ! -x "$bin_dir/pg_ctl" ]; then
  echo "PostgreSQL is not installed; run scripts/install-test-deps.sh" >&2
  exit 1
fi

# pg_ctl refuses to run as root: run the server as the postgres user then.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  if [ ! -f "$data_dir/PG_VERSION" ]; then
    mkdir -p "$data_dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data_dir"
    as_server_user "$bin_dir/initdb" -D "$data_dir" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_server_user "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
    as_server_user "$bin_dir/pg_ctl" -D "$data_dir" -l "$data_dir/server.log" -w -t 60 \
      -o "-p $port -k $data_dir -c listen_addresses=127.0.0.1 -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
  fi
  if ! "$bin_dir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
  fi
  echo "postgresql://postgres@127.0.0.1:$port/$database"
}

stop() {
  as_server_user "$bin_dir/pg_ctl" -D "$data_dir" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
