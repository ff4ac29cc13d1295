#!/usr/bin/env bash
# Cluster mode through database trouble, under load: three replicas (the shipped Native AOT build) on one throwaway
# PostgreSQL 15, a dnsmasq resolver that flips to the target at the start, a webhook receiver, and bounded wrk load on
# every replica while PostgreSQL is paused (SIGSTOP, 10 s), then locked (the tables the replicas write held for 6 s),
# then the leader's lock session is terminated (pg_terminate_backend). Meanwhile each replica's /healthz, /metrics and
# /api/cluster are timed every 250 ms. Prints what a user would notice: replicas still up, forwarded requests that
# failed, leaders at the end, residual counted vs answered, drain_complete deliveries, admin latency p50/p99/max.
#   tests/bench/cluster-trouble.sh [--connections C]   (wrk connections per replica, default 8)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
connections=8 duration=40
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) connections="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=postgres.sh
. "$here/postgres.sh"
bench_setup cluster-trouble
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null

base=$(( 10000 + RANDOM % 20000 ))
up=$base dns=$((base + 1)) hook=$((base + 2))
pg_start $((base + 3))
pg_sql postgres "CREATE DATABASE trouble"
mkdir -p "$work/nginx-up"
cat > "$work/nginx-up/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-up/pid; error_log $work/nginx-up/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$up backlog=1024; location / { return 200 "ok"; } } }
CONF
nginx -c "$work/nginx-up/nginx.conf" & pids+=($!)

# The webhook receiver: one line per delivery (event and Idempotency-Key).
cat > "$work/hook.py" <<PY
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open("$work/deliveries.txt", "a") as f: f.write(body["event"] + " " + self.headers.get("Idempotency-Key", "") + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", $hook), H).serve_forever()
PY
touch "$work/deliveries.txt"
python3 "$work/hook.py" & pids+=($!)

dnsmasq_pid=""
resolve_to() {  # resolve_to ADDRESS: (re)starts dnsmasq answering shop.bench.test with ADDRESS, TTL 1
  [ -z "$dnsmasq_pid" ] || { kill "$dnsmasq_pid" 2>/dev/null || true; wait "$dnsmasq_pid" 2>/dev/null || true; }
  dnsmasq --keep-in-foreground --no-resolv --no-hosts --port="$dns" --listen-address=127.0.0.1 --bind-interfaces \
    --address="/shop.bench.test/$1" --local-ttl=1 --pid-file="$work/dnsmasq.pid" & dnsmasq_pid=$!; pids+=($!)
}
resolve_to 198.51.100.7

cat > "$work/dnsbridge.json" <<JSON
{ "DnsBridge": {
  "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.bench.test" ], "Target": { "Address": "127.0.0.1", "Port": $up, "Scheme": "http" },
                  "SourceAddresses": [ "198.51.100.7" ], "Dns": { "Expect": [ "127.0.0.1" ] }, "Drain": { "QuietPeriod": "00:00:03" } } ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "local", "Address": "127.0.0.1:$dns", "Region": "loopback" } ] },
  "Propagation": { "Interval": "00:00:01", "Timeout": "00:00:00.500" },
  "Alerts": { "Webhooks": [ { "Url": "http://127.0.0.1:$hook/hook" } ] } } }
JSON
replicas=()
for r in 1 2 3; do
  DNSBRIDGE__State__Provider=postgres DNSBRIDGE__State__ConnectionString="$(pg_conn trouble)" DNSBRIDGE__Cluster__ReplicaName="r$r" \
  DNSBRIDGE__Listen__Proxy="http://127.0.0.1:$((base + 10 + 2 * r))" DNSBRIDGE__Listen__Admin="http://127.0.0.1:$((base + 11 + 2 * r))" \
    "$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/r$r.log" 2>&1 & replicas+=($!); pids+=($!)
done
admin() { echo "http://127.0.0.1:$((base + 11 + 2 * $1))"; }
for r in 1 2 3; do
  for _ in $(seq 1 150); do curl -fs -o /dev/null "$(admin "$r")/readyz" && break; sleep 0.2; done
  curl -fs -o /dev/null "$(admin "$r")/readyz" || { echo "replica r$r not ready:" >&2; tail -20 "$work/r$r.log" >&2; exit 1; }
done
for _ in $(seq 1 100); do [ -n "$(pg_sql trouble "SELECT replica FROM cluster_leader" 2>/dev/null)" ] && break; sleep 0.2; done

# Admin latency: every 250 ms, each replica's /healthz, /metrics and /api/cluster (5 s client timeout), until told to stop.
( while [ ! -e "$work/stop" ]; do
    for r in 1 2 3; do for p in /healthz /metrics /api/cluster; do
      curl -s -o /dev/null -m 5 -w "$p %{time_total} %{http_code}\n" "$(admin "$r")$p" >> "$work/admin.txt" || echo "$p 5.000 000" >> "$work/admin.txt"
    done; done
    sleep 0.25
  done ) & pids+=($!)

resolve_to 127.0.0.1
w=()
for r in 1 2 3; do
  wrk -t1 -c"$connections" -d"${duration}s" -H "Host: shop.bench.test" "http://127.0.0.1:$((base + 10 + 2 * r))/" > "$work/wrk$r.txt" & w+=($!)
done
sleep 5
echo "pause: SIGSTOP PostgreSQL for 10 s" >&2
# shellcheck disable=SC2046
kill -STOP $(pg_procs); sleep 10; kill -CONT $(pg_procs)
sleep 5
echo "lock: the replicas' tables held ACCESS EXCLUSIVE for 6 s" >&2
pg_sql trouble "BEGIN; LOCK TABLE cluster_residual, cutover_state, cluster_snapshots, outbox IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT" >/dev/null
sleep 3
holder=$(pg_sql trouble "SELECT replica FROM cluster_leader")
echo "terminate: the lock session of the leader $holder" >&2
pg_sql trouble "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dnsbridge-leader:$holder'" >/dev/null
wait "${w[@]}"
touch "$work/stop"

# After the load: the drain completes (quiet period 3 s) and every count arrives.
for _ in $(seq 1 300); do grep -q '^drain_complete' "$work/deliveries.txt" && break; sleep 0.2; done
sleep 3
answered=$(cat "$work"/wrk*.txt | awk '/requests in/ { s += $1 } END { print s + 0 }')
errors=$(cat "$work"/wrk*.txt | grep -E 'Non-2xx|Socket errors' | tr '\n' ' ' || true)
alive=0; for p in "${replicas[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
leaders=$(for r in 1 2 3; do curl -s -m 5 "$(admin "$r")/api/cluster" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"])' 2>/dev/null || echo "?"; done | sort | uniq -c | tr '\n' ' ')
counted=$(curl -s -m 5 "$(admin 1)/api/cutovers/shop" | python3 -c 'import json,sys; print(json.load(sys.stdin)["residual"]["total"])' 2>/dev/null || echo "?")
echo
echo "Three replicas (Native AOT) on one PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), wrk -c$connections per replica for ${duration}s, $(nproc) cores shared by everything:"
echo "- replicas still running: $alive of 3; leaders named by the replicas: $leaders; term: $(pg_sql trouble "SELECT term FROM cluster_leader")"
echo "- requests answered by wrk: $answered; failures: ${errors:-none}"
echo "- residual counted cluster-wide (r1's API): $counted"
echo "- deliveries: $(cut -d' ' -f1 "$work/deliveries.txt" | sort | uniq -c | tr '\n' ' ') (distinct drain_complete keys: $(grep '^drain_complete' "$work/deliveries.txt" | sort -u | wc -l))"
echo "- drain status in the store: $(pg_sql trouble "SELECT status->>'state' FROM cutover_state WHERE name = 'shop'")"
echo "- admin latency while it all happened (seconds, every replica):"
for p in /healthz /metrics /api/cluster; do
  grep "^$p " "$work/admin.txt" | awk '{ print $2 }' | sort -n | awk -v p="$p" '{ v[NR] = $1 } END {
    i50 = int(NR * 0.5) + 1; i99 = int(NR * 0.99) + 1; if (i50 > NR) i50 = NR; if (i99 > NR) i99 = NR
    printf "  %-12s n=%d p50=%.3f p99=%.3f max=%.3f\n", p, NR, v[i50], v[i99], v[NR] }'
done
grep -h -E '"(Level|@l)":"(Error|Fatal)"|BackgroundService|lost the leadership' "$work"/r*.log | head -5 || true
