# Shared by the benchmark scripts (sourced after common.sh's bench_setup): a throwaway PostgreSQL 15 on a loopback
# port with its data in $work/pg, started the way deploy/cluster-local.sh does (as the postgres OS user when run as
# root, password auth on TCP, trust on its own socket directory). bench_cleanup stops it with the other $pids
# (SIGTERM: a smart shutdown, done once the replicas stopped with it have disconnected).
#   pg_start PORT       sets $pg_pid and $pg_password; fsync stays on: commits cost what they cost in production
#   pg_sql DB SQL       runs SQL in database DB as postgres, unaligned tuples only
#   pg_conn DB          an Npgsql connection string for DB (pass it through the environment only)
#   pg_procs            the postmaster and its children (backends, checkpointer, WAL writer, ...), one pid a line
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
as_pg() { if [[ $EUID -eq 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }

pg_start() {
  pg_port=$1
  [[ -x "$pg_bin/initdb" ]] || { echo "PostgreSQL 15 not found in $pg_bin (Debian package postgresql)" >&2; exit 2; }
  chmod 755 "$work"
  mkdir "$work/pg"
  pg_password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  printf '%s' "$pg_password" > "$work/pg/pw"
  if [[ $EUID -eq 0 ]]; then chown -R postgres:postgres "$work/pg"; fi
  as_pg "$pg_bin/initdb" -D "$work/pg/data" -U postgres --pwfile "$work/pg/pw" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C --no-sync > "$work/pg/initdb.log" 2>&1 || { cat "$work/pg/initdb.log" >&2; exit 1; }
  rm -f "$work/pg/pw"
  # Started directly (not through as_pg) so that $! is the postmaster itself.
  local cmd=("$pg_bin/postgres" -D "$work/pg/data" -p "$pg_port" -c listen_addresses=127.0.0.1 -c unix_socket_directories="$work/pg")
  if [[ $EUID -eq 0 ]]; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "${cmd[@]}" > "$work/pg/postgres.log" 2>&1 &
  else
    "${cmd[@]}" > "$work/pg/postgres.log" 2>&1 &
  fi
  pg_pid=$!
  pids+=("$pg_pid")
  for _ in $(seq 1 60); do "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.5; done
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { cat "$work/pg/postgres.log" >&2; exit 1; }
}

pg_sql() { as_pg "$pg_bin/psql" -qAtX -v ON_ERROR_STOP=1 -h "$work/pg" -p "$pg_port" -U postgres -d "$1" -c "$2"; }
pg_conn() { echo "Host=127.0.0.1;Port=$pg_port;Database=$1;Username=postgres;Password=$pg_password"; }
pg_procs() { echo "$pg_pid"; pgrep -P "$pg_pid" || true; }
