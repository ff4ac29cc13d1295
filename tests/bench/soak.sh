#!/usr/bin/env bash
# Soak: DnsBridge (published, every feature on) under 256 connections for several minutes. Fails (exit 1) on any
# non-2xx answer or socket error, on a residual count that differs from the requests forwarded, or when peak RSS
# in the last minute is more than 10 % above the first minute's.
#   tests/bench/soak.sh [--minutes N] [--connections N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
minutes=3 connections=256
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$minutes" -ge 2 ] || { echo "--minutes must be at least 2 (first and last minute are compared)" >&2; exit 2; }

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup soak
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null

base=$(( 10000 + RANDOM % 20000 ))
up=$base bridge_port=$((base + 1)) admin_port=$((base + 2))
cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$up backlog=4096; location / { return 200 "ok"; } } }
CONF
cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$bridge_port", "Admin": "http://127.0.0.1:$admin_port" },
  "Cutovers": [ { "Name": "soak", "Hosts": [ "soak.example.test" ], "Target": { "Address": "127.0.0.1", "Port": $up, "Scheme": "http" },
                  "Drain": { "Exclude": { "Paths": [ "/healthz" ], "UserAgents": [ "ELB-HealthChecker*" ] } } } ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/dnsbridge.db" } } }
CONF
nginx -c "$work/nginx.conf" & pids+=($!)
"$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & bridge_pid=$!; pids+=($bridge_pid)
for _ in $(seq 1 100); do curl -s -o /dev/null -H "Host: soak.example.test" "http://127.0.0.1:$bridge_port/" && break; sleep 0.1; done

metric() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk -v m="$1" 'index($0, m) == 1 {s += $2} END {printf "%d", s}'; }
before_residual=$(metric 'dnsbridge_residual_requests_total{cutover="soak"}')
before_forwarded=$(metric 'dnsbridge_forwarded_requests_total{cutover="soak"')

# RSS sampled every 5 s while wrk runs; the first and last minute are compared.
( while kill -0 "$bridge_pid" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$bridge_pid/status")"; sleep 5
  done ) > "$work/rss" & pids+=($!)
start=$(date +%s)
echo "soak: $connections connections for $minutes minute(s) ..." >&2
wrk -t2 -c"$connections" -d"${minutes}m" --latency -H "Host: soak.example.test" "http://127.0.0.1:$bridge_port/" > "$work/wrk.txt"
end=$(date +%s)

sleep 1.5  # the drain detector's next one-second tick writes the last buckets
residual=$(( $(metric 'dnsbridge_residual_requests_total{cutover="soak"}') - before_residual ))
forwarded=$(( $(metric 'dnsbridge_forwarded_requests_total{cutover="soak"') - before_forwarded ))
not_ok=$(( $(metric 'dnsbridge_forwarded_requests_total{cutover="soak",code="5xx"}') + $(metric 'dnsbridge_forwarded_requests_total{cutover="soak",code="4xx"}') ))
errors=$(grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true)
first=$(awk -v s="$start" '$1 < s + 60 {if ($2 > m) m = $2} END {print m + 0}' "$work/rss")
last=$(awk -v e="$end" '$1 >= e - 60 {if ($2 > m) m = $2} END {print m + 0}' "$work/rss")

echo
grep -E "Requests/sec|Latency|99%" "$work/wrk.txt"
echo "forwarded $forwarded, counted as residual $residual, 4xx/5xx $not_ok${errors:+, wrk: $errors}"
echo "peak RSS: first minute $first MiB, last minute $last MiB"
fail=0
[ -z "$errors" ] && [ "$not_ok" = 0 ] || { echo "FAIL: errors under load"; fail=1; }
[ "$forwarded" = "$residual" ] || { echo "FAIL: residual count differs from requests forwarded"; fail=1; }
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b <= a * 1.10) }' || { echo "FAIL: memory grew by more than 10 % between the first and the last minute"; fail=1; }
[ "$fail" = 0 ] && echo "soak passed: no error, exact counts, flat memory"
exit "$fail"
