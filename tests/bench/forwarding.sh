#!/usr/bin/env bash
# Forwarding benchmark: DnsBridge (published, every feature on) against nginx proxy_pass, HAProxy and a minimal
# YARP app, all in front of the same nginx upstream (`return 200`), measured in one run, interleaved, on loopback.
# Prints a Markdown table of medians, ratios, p99 and peak RSS, and checks that residual accounting is exact.
#   tests/bench/forwarding.sh [--quick] [--duration SECONDS] [--runs N] [--connections "64 256"]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=6 runs=3 connections="64 256"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=3 runs=1 ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

"$root/tests/setup/install-packages.sh" "$here/packages.txt"
work="$(mktemp -d /tmp/dnsbridge-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "building (Release) ..." >&2
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null
dotnet publish "$here/MinimalYarp/MinimalYarp.csproj" -c Release -o "$work/yarp" --nologo -v q >/dev/null

base=$(( 10000 + RANDOM % 20000 ))  # below the ephemeral port range (32768+), where outgoing connections would collide
up=$base nginx_port=$((base + 1)) haproxy_port=$((base + 2)) yarp_port=$((base + 3)) bridge_port=$((base + 4)) admin_port=$((base + 5))

mkdir -p "$work/nginx-up" "$work/nginx-proxy"
cat > "$work/nginx-up/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-up/pid; error_log $work/nginx-up/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$up backlog=4096; location / { return 200 "ok"; } } }
CONF
cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes auto; daemon off; pid $work/nginx-proxy/pid; error_log $work/nginx-proxy/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream u { server 127.0.0.1:$up; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port backlog=4096;
    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host;
                 proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; } } }
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option forwardfor
frontend f
  bind 127.0.0.1:$haproxy_port
  default_backend b
backend b
  http-reuse always
  server s 127.0.0.1:$up
CONF
cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$bridge_port", "Admin": "http://127.0.0.1:$admin_port" },
  "Cutovers": [ { "Name": "bench", "Hosts": [ "bench.example.test" ],
                  "Target": { "Address": "127.0.0.1", "Port": $up, "Scheme": "http" },
                  "Drain": { "Exclude": { "Paths": [ "/healthz" ], "UserAgents": [ "ELB-HealthChecker*" ], "ClientCidrs": [ "10.0.0.0/8" ] } } } ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/dnsbridge.db" } } }
CONF

nginx -c "$work/nginx-up/nginx.conf" & pids+=($!)
nginx -c "$work/nginx-proxy/nginx.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & pids+=($!)
dotnet "$work/yarp/MinimalYarp.dll" --urls "http://127.0.0.1:$yarp_port" --upstream "http://127.0.0.1:$up" >/dev/null 2>&1 & yarp_pid=$!; pids+=($yarp_pid)
# Every feature on: the access log (compact JSON) goes to a file, as a log shipper would read it.
"$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & bridge_pid=$!; pids+=($bridge_pid)

for port in $up $nginx_port $haproxy_port $yarp_port $bridge_port; do
  for _ in $(seq 1 100); do curl -s -o /dev/null -H "Host: bench.example.test" "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

declare -A port_of=([direct]=$up [nginx]=$nginx_port [haproxy]=$haproxy_port [yarp]=$yarp_port [dnsbridge]=$bridge_port)
order="direct nginx haproxy yarp dnsbridge"
results="$work/results.txt"
residual() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk '/^dnsbridge_residual_requests_total\{cutover="bench"\}/ {print $2}'; }
sent_to_bridge=0
before=$(residual)
for ((r = 1; r <= runs; r++)); do
  for c in $connections; do
    for t in $order; do
      out=$(wrk -t2 -c"$c" -d"${duration}s" --latency -H "Host: bench.example.test" "http://127.0.0.1:${port_of[$t]}/")
      rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      total=$(awk '/requests in/ {print $1}' <<<"$out")
      errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
      echo "$t $c $rps $p99 $total ${errors:-}" >> "$results"
      [ "$t" = dnsbridge ] && sent_to_bridge=$((sent_to_bridge + total))
      echo "run $r c=$c $t: $rps req/s p99 $p99 ${errors:-}" >&2
    done
  done
done
after=$(residual)
counted=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%d", a - b }')

rss() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo "?"; }
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); printf "%.2f", v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.2f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.2f", v*1000 } else print v }'; }
median() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

echo
echo "Forwarding benchmark: wrk -t2, ${duration}s per run, median of $runs interleaved run(s), loopback, $(nproc) cores shared by load, proxies and upstream"
echo
echo "| connections | proxy | req/s (median) | vs nginx | vs minimal YARP | p99 (ms, median) |"
echo "| --- | --- | --- | --- | --- | --- |"
for c in $connections; do
  declare -A med=()
  for t in $order; do med[$t]=$(awk -v t="$t" -v c="$c" '$1 == t && $2 == c {print $3}' "$results" | median); done
  for t in $order; do
    p99=$(awk -v t="$t" -v c="$c" '$1 == t && $2 == c {print $4}' "$results" | while read -r v; do echo "$v" | to_ms; echo; done | grep -v '^$' | median)
    printf "| %s | %s | %.0f | %.2fx | %.2fx | %s |\n" "$c" "$t" "${med[$t]}" "$(awk -v a="${med[$t]}" -v b="${med[nginx]}" 'BEGIN {print a/b}')" "$(awk -v a="${med[$t]}" -v b="${med[yarp]}" 'BEGIN {print a/b}')" "$p99"
  done
done
echo
echo "Peak RSS: dnsbridge $(rss $bridge_pid) MiB, minimal YARP $(rss $yarp_pid) MiB"
echo "Residual accounting: wrk sent $sent_to_bridge requests to DnsBridge, DnsBridge counted $counted: $([ "$sent_to_bridge" = "$counted" ] && echo exact || echo MISMATCH)"
grep -h -E "Non-2xx|Socket" "$results" >&2 || true
