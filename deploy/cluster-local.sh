#!/usr/bin/env bash
# Cluster mode on one machine, for a first look: a throwaway PostgreSQL 15 and three `dnsbridge serve` replicas,
# all on loopback. Prints the admin URLs and each replica's /api/cluster, then runs until Ctrl-C, which stops
# everything and deletes the database.
#
#   deploy/cluster-local.sh              # needs Debian's postgresql (15) package and the .NET SDK
#   CLUSTER_LOCAL_ONCE=1 deploy/cluster-local.sh   # start, show /api/cluster, stop (a smoke check)
#
# Ports: PostgreSQL on 127.0.0.1:55432, replica N proxies on 127.0.0.1:1808N and serves admin on 127.0.0.1:1809N
# (override with PG_PORT, PROXY_BASE, ADMIN_BASE). The one cutover forwards app.local.test to 127.0.0.2:9000.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_port="${PG_PORT:-55432}"
proxy_base="${PROXY_BASE:-18080}"
admin_base="${ADMIN_BASE:-18090}"
replicas=3

[[ -x "$pg_bin/initdb" ]] || { echo "PostgreSQL 15 not found in $pg_bin: apt-get install postgresql" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "dotnet (the .NET 10 SDK) not found" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found" >&2; exit 2; }

work="$(mktemp -d /tmp/dnsbridge-cluster.XXXXXX)"
chmod 755 "$work"
pids=()
pg_pid=""

# PostgreSQL refuses to run as root: as root, run it as the postgres OS user.
as_pg() {
  if [[ $EUID -eq 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  # Replicas first (a graceful stop writes their last counts), then PostgreSQL (fast shutdown).
  # Bounded: a replica still running after its shutdown timeout (Limits:ShutdownTimeout, 45 s) plus a margin is killed.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then echo "a replica (pid $pid) did not stop in time: killed" >&2; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  # SIGTERM: a smart shutdown, immediate once the replicas have disconnected.
  if [[ -n "$pg_pid" ]]; then kill -TERM "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  echo "stopped; $work removed"
}
trap stop INT TERM EXIT

echo "building dnsbridge (once)..."
dotnet build "$repo/src/DnsBridge/DnsBridge.csproj" -c Release -o "$work/bin" -v quiet -nologo >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }

echo "starting PostgreSQL 15 on 127.0.0.1:$pg_port (data in $work/pg)..."
password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
mkdir "$work/pg"
printf '%s' "$password" >"$work/pg/pw"
[[ $EUID -eq 0 ]] && chown -R postgres:postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -U postgres --pwfile "$work/pg/pw" --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C --no-sync >"$work/pg/initdb.log" 2>&1 || { cat "$work/pg/initdb.log" >&2; exit 1; }
rm -f "$work/pg/pw"
# Started directly (not through the function) so that $! is the postmaster itself and receives the stop signal.
pg_cmd=("$pg_bin/postgres" -D "$work/pg/data" -p "$pg_port" -c listen_addresses=127.0.0.1 -c unix_socket_directories="$work/pg" -c fsync=off)
if [[ $EUID -eq 0 ]]; then
  setpriv --reuid=postgres --regid=postgres --init-groups -- "${pg_cmd[@]}" >"$work/pg/postgres.log" 2>&1 &
else
  "${pg_cmd[@]}" >"$work/pg/postgres.log" 2>&1 &
fi
pg_pid=$!
for _ in $(seq 1 60); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 0.5
done
"$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { cat "$work/pg/postgres.log" >&2; exit 1; }
as_pg "$pg_bin/psql" -q -h "$work/pg" -p "$pg_port" -U postgres -c "CREATE DATABASE dnsbridge" >/dev/null

cat >"$work/dnsbridge.json" <<'EOF'
{
  "DnsBridge": {
    "Cutovers": [
      {
        "Name": "local",
        "Hosts": [ "app.local.test" ],
        "Target": { "Address": "127.0.0.2", "Port": 9000, "Scheme": "http" },
        "SourceAddresses": [ "127.0.0.1" ],
        "Drain": { "QuietPeriod": "00:05:00", "Exclude": { "Paths": [ "/healthz" ] } }
      }
    ],
    "Resolvers": { "Preset": "none", "Authoritative": false,
                   "Custom": [ { "Name": "local", "Address": "127.0.0.1:53", "Region": "loopback" } ] }
  }
}
EOF

# The connection string goes through the environment only (never a file or a command line).
export DNSBRIDGE__State__Provider=postgres
export DNSBRIDGE__State__ConnectionString="Host=127.0.0.1;Port=$pg_port;Database=dnsbridge;Username=postgres;Password=$password"
for n in $(seq 1 $replicas); do
  DNSBRIDGE__Cluster__ReplicaName="replica-$n" \
  DNSBRIDGE__Listen__Proxy="http://127.0.0.1:$((proxy_base + n))" \
  DNSBRIDGE__Listen__Admin="http://127.0.0.1:$((admin_base + n))" \
    dotnet "$work/bin/dnsbridge.dll" serve --config "$work/dnsbridge.json" --log-format text >"$work/replica-$n.log" 2>&1 &
  pids+=($!)
done

echo "waiting for the replicas to be ready and a leader to be elected..."
for n in $(seq 1 $replicas); do
  url="http://127.0.0.1:$((admin_base + n))"
  for _ in $(seq 1 120); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "$url/readyz" >/dev/null 2>&1 || { echo "replica-$n did not get ready; its log:" >&2; tail -20 "$work/replica-$n.log" >&2; exit 1; }
done
for _ in $(seq 1 40); do
  curl -fsS "http://127.0.0.1:$((admin_base + 1))/api/cluster" | grep -q '"leader":"' && break
  sleep 0.5
done

for n in $(seq 1 $replicas); do
  url="http://127.0.0.1:$((admin_base + n))"
  echo
  echo "replica-$n: status page $url/  proxy http://127.0.0.1:$((proxy_base + n))  log $work/replica-$n.log"
  echo "  GET $url/api/cluster"
  echo "  $(curl -fsS "$url/api/cluster")"
done
echo
echo "try: curl -H 'Host: app.local.test' http://127.0.0.1:$((proxy_base + 1))/ (forwards to 127.0.0.2:9000)"

if [[ -n "${CLUSTER_LOCAL_ONCE:-}" ]]; then
  exit 0
fi
echo "running; Ctrl-C stops the three replicas and PostgreSQL"
wait "${pids[@]}"
