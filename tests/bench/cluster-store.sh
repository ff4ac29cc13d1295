#!/usr/bin/env bash
# Cluster mode's load on PostgreSQL: N replicas x M cutovers, each replica under bounded residual load (wrk, few
# connections, every request to one of the M cutovers in turn), against one throwaway PostgreSQL 15 (fsync on).
# Over each run it reads pg_stat_user_tables (n_tup_ins + n_tup_upd + n_tup_del per table), pg_stat_database
# (xact_commit) and the PostgreSQL processes' user + system CPU from /proc, before and after, and prints rows/s and
# commits/s (in total and per replica per cutover) and PostgreSQL CPU per 1000 rows: the figures to size one
# PostgreSQL from. Each combination gets a fresh database; the replicas flush every second (off the request path).
#   tests/bench/cluster-store.sh [--quick] [--duration SECONDS] [--replicas "1 3"] [--cutovers "1 50"]
#                                [--active K] [--connections C] [--bin DIR]
# --quick: 10 s runs; default 30 s. --connections: wrk connections per replica (default 4: bounded, not saturating).
# --active K: the load goes to the first K cutovers only (default: all of them), the others configured and idle: a
# wave where few names still see residual traffic. --bin DIR: an already published build instead of publishing one.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=30 replica_counts="1 3" cutover_counts="1 50" connections=4 settle=8 active="" bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=10 ;;
    --duration) duration="$2"; shift ;;
    --replicas) replica_counts="$2"; shift ;;
    --cutovers) cutover_counts="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --active) active="$2"; shift ;;
    --bin) bin="$(cd "$2" && pwd)"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=postgres.sh
. "$here/postgres.sh"
bench_setup cluster-store
if [ -n "$bin" ]; then
  ln -s "$bin" "$work/dnsbridge"
else
  "$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null
fi

base=$(( 10000 + RANDOM % 20000 ))  # below the ephemeral port range
up=$base
pg_start $((base + 1))
mkdir -p "$work/nginx-up"
cat > "$work/nginx-up/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-up/pid; error_log $work/nginx-up/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$up backlog=1024; location / { return 200 "ok"; } } }
CONF
nginx -c "$work/nginx-up/nginx.conf" & pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$up/" && break; sleep 0.1; done

clk=$(getconf CLK_TCK)
ticks() { local p; for p in "$@"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $12 + $13 } END { print s + 0 }'; }
# Rows changed in the database, and committed transactions (the stats are flushed by each backend at most once a
# second: both snapshots lag alike, so the difference over a run of many seconds holds).
rows() { pg_sql "$1" "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"; }
per_table() { pg_sql "$1" "SELECT relname || '=' || (n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables ORDER BY relname"; }
commits() { pg_sql "$1" "SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'"; }

echo "| replicas | cutovers | with traffic | forwarded req/s (all replicas) | rows/s | commits/s | rows/s per replica per cutover | commits/s per replica | PostgreSQL CPU % of a core | PostgreSQL CPU ms per 1000 rows | PostgreSQL CPU ms/s per replica per cutover |" > "$work/table.md"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |" >> "$work/table.md"
for n in $replica_counts; do
  for m in $cutover_counts; do
    db="bench_${n}_$m"
    pg_sql postgres "CREATE DATABASE $db"
    {
      echo '{ "DnsBridge": { "Cutovers": ['
      for c in $(seq 1 "$m"); do
        [ "$c" -gt 1 ] && echo ','
        echo "{ \"Name\": \"c$c\", \"Hosts\": [ \"c$c.bench.test\" ], \"Target\": { \"Address\": \"127.0.0.1\", \"Port\": $up, \"Scheme\": \"http\" } }"
      done
      echo '], "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },'
      echo '"Propagation": { "Enabled": false } } }'
    } > "$work/$db.json"
    # wrk: each request to the next cutover's host, so every cutover with traffic has residual traffic in every flush.
    k=$m; [ -n "$active" ] && [ "$active" -lt "$m" ] && k=$active
    cat > "$work/$db.lua" <<LUA
local i = 0
request = function()
  i = i % $k + 1
  return wrk.format("GET", "/", { Host = "c" .. i .. ".bench.test" })
end
LUA
    replicas=()
    for r in $(seq 1 "$n"); do
      DNSBRIDGE__State__Provider=postgres DNSBRIDGE__State__ConnectionString="$(pg_conn "$db")" DNSBRIDGE__Cluster__ReplicaName="r$r" \
      DNSBRIDGE__Listen__Proxy="http://127.0.0.1:$((base + 10 + 2 * r))" DNSBRIDGE__Listen__Admin="http://127.0.0.1:$((base + 11 + 2 * r))" \
        "$work/dnsbridge/dnsbridge" serve --config "$work/$db.json" > "$work/$db-r$r.log" 2>&1 & replicas+=($!); pids+=($!)
    done
    for r in $(seq 1 "$n"); do
      for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$((base + 11 + 2 * r))/readyz" && break; sleep 0.2; done
      curl -fs -o /dev/null "http://127.0.0.1:$((base + 11 + 2 * r))/readyz" || { echo "replica r$r not ready:" >&2; tail -20 "$work/$db-r$r.log" >&2; exit 1; }
    done
    # Warm-up under load, so that the runs measure the steady state (pooled connections open, leader elected).
    load() {  # load SECONDS OUT-PREFIX: one wrk per replica, all at once, until they end
      local r w=()
      for r in $(seq 1 "$n"); do
        wrk -t1 -c"$connections" -d"$1s" -s "$work/$db.lua" "http://127.0.0.1:$((base + 10 + 2 * r))/" > "$2$r.txt" & w+=($!)
      done
      wait "${w[@]}"
    }
    load "$settle" "$work/$db-warm"
    # shellcheck disable=SC2046
    rows0=$(rows "$db") commits0=$(commits "$db") cpu0=$(ticks $(pg_procs)) t0=$(date +%s.%N)
    load "$duration" "$work/$db-wrk"
    # shellcheck disable=SC2046
    rows1=$(rows "$db") commits1=$(commits "$db") cpu1=$(ticks $(pg_procs)) t1=$(date +%s.%N)
    rps=$(cat "$work/$db"-wrk*.txt | awk '/^Requests\/sec/ { s += $2 } END { printf "%.0f", s }')
    errors=$(cat "$work/$db"-wrk*.txt | grep -E 'Non-2xx|Socket errors' || true)
    [ -z "$errors" ] || echo "$n x $m: $errors" >&2
    per_table "$db" | tr '\n' ' ' >&2; echo " ($n replicas x $m cutovers, cumulative)" >&2
    awk -v n="$n" -v m="$m" -v k="$k" -v rps="$rps" -v dr=$((rows1 - rows0)) -v dc=$((commits1 - commits0)) -v cpu=$((cpu1 - cpu0)) -v hz="$clk" \
        -v t0="$t0" -v t1="$t1" 'BEGIN {
      s = t1 - t0; rs = dr / s; cs = dc / s; c = cpu / hz
      printf "| %d | %d | %d | %s | %.1f | %.1f | %.2f | %.2f | %.1f | %s | %.3f |\n", n, m, k, rps, rs, cs, rs / (n * m), cs / n, 100 * c / s,
        (dr > 0 ? sprintf("%.1f", 1000 * c * 1000 / dr) : "?"), 1000 * c / s / (n * m) }' | tee -a "$work/table.md" >&2
    # Stop this combination's replicas (graceful: they write their last counts), bounded.
    for p in "${replicas[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 1 100); do alive=0; for p in "${replicas[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done; [ $alive = 0 ] && break; sleep 0.2; done
    for p in "${replicas[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  done
done

echo
echo "Cluster store load: ${duration}s per combination after ${settle}s of warm-up, wrk -t1 -c$connections per replica (Host cycling over the cutovers),"
echo "one PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') (fsync on) on loopback, $(nproc) cores shared by load, replicas, upstream and PostgreSQL."
echo "rows = n_tup_ins + n_tup_upd + n_tup_del over pg_stat_user_tables; commits = pg_stat_database.xact_commit; CPU = user + system of the postmaster and its children."
echo
cat "$work/table.md"
