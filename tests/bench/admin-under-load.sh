#!/usr/bin/env bash
# The admin listener while the proxy listener is saturated (issue 25 item 8): one `dnsbridge serve` (published as
# the container runs it) forwarding to nginx, wrk at 256 keep-alive connections on the proxy for the whole run, and
# meanwhile GET /healthz, /readyz and /metrics asked one after another on the admin listener, --samples times each.
# Prints each endpoint's p50, p99 and worst latency, and how many answers were not 200; the goal is p99 under 1 s
# (Kubernetes' default probe timeout). Figures from a busy machine say little: run it on a quiet one.
#   tests/bench/admin-under-load.sh [--bin DIR] [--samples N] [--connections N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="" samples=200 connections=256
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift ;;
    --samples) [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "--samples takes a whole number" >&2; exit 2; }; samples=$2; shift ;;
    --connections) [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "--connections takes a whole number" >&2; exit 2; }; connections=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup admin-under-load
bench_dnsbridge

base=$(( 10000 + RANDOM % 20000 ))
up=$base proxy=$((base + 1)) admin=$((base + 2))
bench_ok_target "$up"
cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$proxy", "Admin": "http://127.0.0.1:$admin" },
  "Cutovers": [ { "Name": "shop", "Hosts": [ "shop.example.test" ], "Target": { "Address": "127.0.0.1", "Port": $up, "Scheme": "http" } } ],
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/state.db" } } }
CONF
"$bin/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/run.log" 2>&1 & pids+=($!)
[ "$(bench_first_answer "$proxy" shop.example.test)" = 200 ] || { echo "no 200 through the proxy" >&2; cat "$work/run.log" >&2; exit 1; }

# Long enough for every sample (a slow answer stretches the loop), bounded all the same; stopped when they are done.
wrk -t2 -c"$connections" -d300s -H "Host: shop.example.test" "http://127.0.0.1:$proxy/" > "$work/wrk.txt" 2>&1 & load=$!
pids+=("$load")
sleep 3

echo "| endpoint | p50 | p99 | worst | not 200 |"
echo "| --- | ---: | ---: | ---: | ---: |"
for path in /healthz /readyz /metrics; do
  : > "$work/times"
  bad=0
  for _ in $(seq 1 "$samples"); do
    read -r code seconds < <(curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$admin$path" || echo "000 10")
    [ "$code" = 200 ] || bad=$((bad + 1))
    echo "$seconds" >> "$work/times"
  done
  sort -n "$work/times" | awk -v p="$path" -v bad="$bad" '{ a[NR] = $1 * 1000 } END {
    i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i99 > NR) i99 = NR
    printf "| %s | %.1f ms | %.1f ms | %.1f ms | %d |\n", p, a[i50], a[i99], a[NR], bad }'
done
kill "$load" 2>/dev/null || true
echo
echo "($samples samples each, one after another, while wrk held $connections connections on the proxy listener; $(nproc) cores)"
