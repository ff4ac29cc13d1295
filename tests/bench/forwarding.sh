#!/usr/bin/env bash
# Forwarding benchmark: DnsBridge (published, every feature on) against nginx proxy_pass, HAProxy and a minimal
# YARP app, all in front of the same nginx upstream (`return 200`), measured in one run, interleaved, on loopback.
# Prints a Markdown table of medians, ratios, p99 and peak RSS, and checks that residual accounting is exact.
#   tests/bench/forwarding.sh [--quick] [--duration SECONDS] [--runs N] [--connections "64 256"]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=6 runs=3 connections="64 256" warmup=5
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=3 runs=1 warmup=3 ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup bench
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null
dotnet publish "$here/MinimalYarp/MinimalYarp.csproj" -c Release -o "$work/yarp" --nologo -v q >/dev/null

base=$(( 10000 + RANDOM % 20000 ))  # below the ephemeral port range (32768+), where outgoing connections would collide
up=$base nginx_port=$((base + 1)) haproxy_port=$((base + 2)) yarp_port=$((base + 3)) bridge_port=$((base + 4)) admin_port=$((base + 5))
nudge_port=$((base + 6)) nudge_admin=$((base + 7)) dns_port=$((base + 8))

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

# A second DnsBridge whose cutover has completed propagation (a dnsmasq answers the target address), so every
# residual client is nudged: the cost of nudging at full load, side by side with the first.
echo "127.0.0.1 bench.example.test" > "$work/hosts"
sed -e "s/$bridge_port/$nudge_port/" -e "s/$admin_port/$nudge_admin/" -e "s#$work/dnsbridge.db#$work/nudge.db#" \
    -e "s#\"Propagation\": { \"Enabled\": false }#\"Propagation\": { \"Enabled\": true, \"Interval\": \"00:00:01\", \"Timeout\": \"00:00:00.500\" }#" \
    -e "s#\"Resolvers\": { \"Preset\": \"none\", \"Authoritative\": false, \"Custom\": \[ { \"Name\": \"none\", \"Address\": \"127.0.0.1:9\" } \] }#\"Resolvers\": { \"Preset\": \"none\", \"AuthoritativeServers\": [ \"127.0.0.1:$dns_port\" ], \"Custom\": [ { \"Name\": \"local\", \"Address\": \"127.0.0.1:$dns_port\" } ] }#" \
    "$work/dnsbridge.json" > "$work/nudge.json"
dnsmasq --no-daemon --no-resolv --no-hosts --no-poll --addn-hosts="$work/hosts" --port="$dns_port" --listen-address=127.0.0.1 \
    --bind-interfaces --local-ttl=1 --local=/test/ --cache-size=0 -u root --pid-file= >/dev/null 2>&1 & pids+=($!)
"$work/dnsbridge/dnsbridge" serve --config "$work/nudge.json" > "$work/nudge.log" 2>&1 & nudge_pid=$!; pids+=($nudge_pid)

nginx -c "$work/nginx-up/nginx.conf" & pids+=($!)
nginx -c "$work/nginx-proxy/nginx.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & pids+=($!)
dotnet "$work/yarp/MinimalYarp.dll" --urls "http://127.0.0.1:$yarp_port" --upstream "http://127.0.0.1:$up" >/dev/null 2>&1 & yarp_pid=$!; pids+=($yarp_pid)
# Every feature on: the access log (compact JSON) goes to a file, as a log shipper would read it.
"$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & bridge_pid=$!; pids+=($bridge_pid)

for port in $up $nginx_port $haproxy_port $yarp_port $bridge_port; do
  for _ in $(seq 1 100); do curl -s -o /dev/null -H "Host: bench.example.test" "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

declare -A port_of=([direct]=$up [nginx]=$nginx_port [haproxy]=$haproxy_port [yarp]=$yarp_port [dnsbridge]=$bridge_port [dnsbridge-nudging]=$nudge_port)
order="direct nginx haproxy yarp dnsbridge dnsbridge-nudging"
for _ in $(seq 1 300); do
  curl -s "http://127.0.0.1:$nudge_admin/api/cutovers/bench" | grep -q '"state":"draining"' && break; sleep 0.1
done
curl -s "http://127.0.0.1:$nudge_admin/api/cutovers/bench" | grep -q '"state":"draining"' || { echo "the nudging instance did not reach draining" >&2; exit 1; }
results="$work/results.txt"
residual() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk '/^dnsbridge_residual_requests_total\{cutover="bench"\}/ {print $2}'; }
forwarded() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk '/^dnsbridge_forwarded_requests_total\{cutover="bench"/ {s += $2} END {printf "%d", s}'; }
# Warm every proxy first (the .NET ones JIT and tier up their hot paths during the first seconds), unrecorded.
for t in $order; do wrk -t2 -c64 -d"${warmup}s" -H "Host: bench.example.test" "http://127.0.0.1:${port_of[$t]}/" >/dev/null; done
before=$(residual) before_forwarded=$(forwarded)
for ((r = 1; r <= runs; r++)); do
  for c in $connections; do
    for t in $order; do
      out=$(wrk -t2 -c"$c" -d"${duration}s" --latency -H "Host: bench.example.test" "http://127.0.0.1:${port_of[$t]}/")
      rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      total=$(awk '/requests in/ {print $1}' <<<"$out")
      errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
      echo "$t $c $rps $p99 $total ${errors:-}" >> "$results"
      echo "run $r c=$c $t: $rps req/s p99 $p99 ${errors:-}" >&2
    done
  done
done
after=$(residual) after_forwarded=$(forwarded)
counted=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%d", a - b }')
served=$((after_forwarded - before_forwarded))

# wrk's own totals leave out the requests still in flight when it stops, so exactness is proven with a burst of a
# known size: every one of them must be counted once, no more, no less.
burst=20000
before_burst=$(residual)
ok=$(curl -s --no-progress-meter --parallel --parallel-max 64 -H "Host: bench.example.test" -w '\n%{http_code}\n' "http://127.0.0.1:$bridge_port/exact/[1-$burst]" | grep -c '^200$' || true)
burst_counted=$(awk -v a="$(residual)" -v b="$before_burst" 'BEGIN { printf "%d", a - b }')

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
nudged=$(curl -s "http://127.0.0.1:$nudge_admin/metrics" | awk '/^dnsbridge_nudged_connections_total\{cutover="bench",kind="http1"\}/ {printf "%d", $2}')
echo "dnsbridge-nudging: propagation complete, $nudged connections nudged (Connection: close, at most 100/s), each followed by a reconnect from wrk"
echo "Residual accounting under wrk load: $served requests forwarded, $counted counted as residual: $([ "$served" = "$counted" ] && echo exact || echo MISMATCH)"
echo "Residual accounting, burst of $burst (curl, 64 in parallel): $ok answered 200, $burst_counted counted: $([ "$ok" = "$burst" ] && [ "$burst_counted" = "$burst" ] && echo exact || echo MISMATCH)"
grep -h -E "Non-2xx|Socket" "$results" >&2 || true
