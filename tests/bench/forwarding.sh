#!/usr/bin/env bash
# Forwarding benchmark: DnsBridge (published, every feature on) against nginx proxy_pass, HAProxy and a minimal
# YARP app, all in front of the same nginx upstream (`return 200`), measured in one run, interleaved, on loopback.
# Two shapes: plain HTTP in and out, and the production shape, TLS terminated at the proxy and re-encrypted to an
# https upstream dialled by IP with SNI and certificate validation (HTTP/2 clients with h2load, HTTPS/1.1 clients
# with wrk). Prints Markdown tables of medians, ratios, p99, CPU per forwarded request (user + system CPU of the
# proxy's processes over a run, from /proc, divided by the requests answered: the figure that survives a noisy
# machine) and peak RSS, and checks that residual accounting is exact.
#   tests/bench/forwarding.sh [--quick] [--duration SECONDS] [--runs N] [--connections "64 256"]
#                             [--shapes "plain tls"] [--variant NAME=ENV=VALUE[,ENV=VALUE]]... [--cluster]
# --variant adds a second DnsBridge process started with those environment variables (rows dnsbridge-NAME), to
# measure a runtime setting side by side with the default, e.g. --variant conserve=DOTNET_GCConserveMemory=5.
# The pseudo-variable BIN=DIR runs another published build from DIR instead (e.g. a ReadyToRun publish beside the
# shipped Native AOT one): --variant r2r=BIN=/tmp/r2r.
# --cluster adds the row dnsbridge-postgres: one replica in cluster mode (State:Provider=postgres) against a throwaway
# PostgreSQL 15 started here (tests/bench/postgres.sh), side by side with the SQLite-mode dnsbridge row. Its CPU per
# request is the replica's plus the PostgreSQL server's (SQLite's work is inside the SQLite-mode process).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=6 runs=3 connections="64 256" warmup=5 shapes="plain tls" variants=() cluster=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=3 runs=1 warmup=3 ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --shapes) shapes="$2"; shift ;;
    --variant) [[ "$2" =~ ^[a-z0-9]+=[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || { echo "--variant NAME=ENV=VALUE[,ENV=VALUE]" >&2; exit 2; }
               variants+=("$2"); shift ;;
    --cluster) cluster=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
has_shape() { [[ " $shapes " == *" $1 "* ]]; }

# shellcheck source=common.sh
. "$here/common.sh"
# shellcheck source=postgres.sh
. "$here/postgres.sh"
bench_setup bench
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null
dotnet publish "$here/MinimalYarp/MinimalYarp.csproj" -c Release -o "$work/yarp" --nologo -v q >/dev/null

base=$(( 10000 + RANDOM % 20000 ))  # below the ephemeral port range (32768+), where outgoing connections would collide
up=$base nginx_port=$((base + 1)) haproxy_port=$((base + 2)) yarp_port=$((base + 3)) bridge_port=$((base + 4)) admin_port=$((base + 5))
nudge_port=$((base + 6)) nudge_admin=$((base + 7)) dns_port=$((base + 8))
up_tls=$((base + 9)) nginx_tls=$((base + 10)) yarp_tls=$((base + 11)) bridge_tls=$((base + 12))
tls_host=tls.example.test

# Test certificates: one private CA (ECDSA P-256) and one leaf for both names, presented by the upstream and by
# every proxy's TLS listener; the proxies validate the upstream against the CA and the name.
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key" 2>/dev/null
openssl req -x509 -new -key "$work/ca.key" -subj "/CN=DnsBridge bench CA" -days 2 -out "$work/ca.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$work/leaf.key" 2>/dev/null
openssl req -new -key "$work/leaf.key" -subj "/CN=$tls_host" -out "$work/leaf.csr" 2>/dev/null
printf "subjectAltName=DNS:%s,DNS:bench.example.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" "$tls_host" > "$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 -extfile "$work/leaf.ext" \
    -out "$work/leaf.pem" 2>/dev/null
# The leaf key as PKCS#8, which every listener here reads.
openssl pkcs8 -topk8 -nocrypt -in "$work/leaf.key" -out "$work/leaf.p8" 2>/dev/null

mkdir -p "$work/nginx-up" "$work/nginx-proxy"
# The upstream also answers https: HTTP/2 by ALPN, as the target's load balancer would.
cat > "$work/nginx-up/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-up/pid; error_log $work/nginx-up/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$up backlog=4096; listen 127.0.0.1:$up_tls ssl http2 backlog=4096;
    ssl_certificate $work/leaf.pem; ssl_certificate_key $work/leaf.p8; ssl_session_cache shared:up:10m;
    location / { return 200 "ok"; } } }
CONF
# nginx as the TLS proxy is set up the way DnsBridge works: the upstream by IP, SNI and the verified name from the
# request's host, upstream keepalive.
cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes auto; daemon off; pid $work/nginx-proxy/pid; error_log $work/nginx-proxy/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream u { server 127.0.0.1:$up; keepalive 64; }
  upstream u_tls { server 127.0.0.1:$up_tls; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port backlog=4096;
    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host;
                 proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; } }
  server { listen 127.0.0.1:$nginx_tls ssl http2 backlog=4096;
    ssl_certificate $work/leaf.pem; ssl_certificate_key $work/leaf.p8;
    location / { proxy_pass https://u_tls; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host \$host;
                 proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
                 proxy_ssl_server_name on; proxy_ssl_name \$host; proxy_ssl_verify on;
                 proxy_ssl_trusted_certificate $work/ca.pem; proxy_ssl_session_reuse on; } } }
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
  "Listen": { "Proxy": "http://127.0.0.1:$bridge_port", "ProxyHttps": "https://127.0.0.1:$bridge_tls", "Admin": "http://127.0.0.1:$admin_port",
              "Certificates": [ { "CertFile": "$work/leaf.pem", "KeyFile": "$work/leaf.p8" } ] },
  "Cutovers": [ { "Name": "bench", "Hosts": [ "bench.example.test" ],
                  "Target": { "Address": "127.0.0.1", "Port": $up, "Scheme": "http" },
                  "Drain": { "Exclude": { "Paths": [ "/healthz" ], "UserAgents": [ "ELB-HealthChecker*" ], "ClientCidrs": [ "10.0.0.0/8" ] } } },
                { "Name": "bench-tls", "Hosts": [ "$tls_host" ],
                  "Target": { "Address": "127.0.0.1", "Port": $up_tls, "Scheme": "https", "CaFile": "$work/ca.pem" },
                  "Drain": { "Exclude": { "Paths": [ "/healthz" ], "UserAgents": [ "ELB-HealthChecker*" ], "ClientCidrs": [ "10.0.0.0/8" ] } } } ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/dnsbridge.db" } } }
CONF

# A second DnsBridge whose cutover has completed propagation (a dnsmasq answers the target address), so every
# residual client is nudged: the cost of nudging at full load, side by side with the first.
echo "127.0.0.1 bench.example.test" > "$work/hosts"
sed -e "s/$bridge_port/$nudge_port/" -e "s/$admin_port/$nudge_admin/" -e "s#$work/dnsbridge.db#$work/nudge.db#" \
    -e "s#\"ProxyHttps\": \"https://127.0.0.1:$bridge_tls\", ##" \
    -e "s#\"Propagation\": { \"Enabled\": false }#\"Propagation\": { \"Enabled\": true, \"Interval\": \"00:00:01\", \"Timeout\": \"00:00:00.500\" }#" \
    -e "s#\"Resolvers\": { \"Preset\": \"none\", \"Authoritative\": false, \"Custom\": \[ { \"Name\": \"none\", \"Address\": \"127.0.0.1:9\" } \] }#\"Resolvers\": { \"Preset\": \"none\", \"AuthoritativeServers\": [ \"127.0.0.1:$dns_port\" ], \"Custom\": [ { \"Name\": \"local\", \"Address\": \"127.0.0.1:$dns_port\" } ] }#" \
    "$work/dnsbridge.json" > "$work/nudge.json"
dnsmasq --no-daemon --no-resolv --no-hosts --no-poll --addn-hosts="$work/hosts" --port="$dns_port" --listen-address=127.0.0.1 \
    --bind-interfaces --local-ttl=1 --local=/test/ --cache-size=0 -u root --pid-file= >/dev/null 2>&1 & pids+=($!)
"$work/dnsbridge/dnsbridge" serve --config "$work/nudge.json" > "$work/nudge.log" 2>&1 & nudge_pid=$!; pids+=($nudge_pid)

nginx -c "$work/nginx-up/nginx.conf" & pids+=($!)
nginx -c "$work/nginx-proxy/nginx.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 & haproxy_pid=$!; pids+=($haproxy_pid)
dotnet "$work/yarp/MinimalYarp.dll" --urls "http://127.0.0.1:$yarp_port" --upstream "http://127.0.0.1:$up" >/dev/null 2>&1 & yarp_pid=$!; pids+=($yarp_pid)
dotnet "$work/yarp/MinimalYarp.dll" --urls "https://127.0.0.1:$yarp_tls" --upstream "https://127.0.0.1:$up_tls" --host "$tls_host" --ca "$work/ca.pem" \
    --Kestrel:Certificates:Default:Path="$work/leaf.pem" --Kestrel:Certificates:Default:KeyPath="$work/leaf.p8" >/dev/null 2>&1 & yarp_tls_pid=$!; pids+=($yarp_tls_pid)
# Every feature on: the access log (compact JSON) goes to a file, as a log shipper would read it.
"$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & bridge_pid=$!; pids+=($bridge_pid)

declare -A proc_of=()
declare -A port_of=([direct]=$up [nginx]=$nginx_port [haproxy]=$haproxy_port [yarp]=$yarp_port [dnsbridge]=$bridge_port [dnsbridge-nudging]=$nudge_port)
declare -A tls_port_of=([direct]=$up_tls [nginx]=$nginx_tls [yarp]=$yarp_tls [dnsbridge]=$bridge_tls)
order="direct nginx haproxy yarp dnsbridge dnsbridge-nudging"
tls_order="direct nginx yarp dnsbridge"
n=0
for v in "${variants[@]}"; do
  name=${v%%=*} envs=${v#*=} n=$((n + 1))
  p=$((base + 20 + 3 * n)) a=$((base + 21 + 3 * n)) pt=$((base + 22 + 3 * n))
  sed -e "s/127.0.0.1:$bridge_port\"/127.0.0.1:$p\"/" -e "s/127.0.0.1:$admin_port\"/127.0.0.1:$a\"/" -e "s/127.0.0.1:$bridge_tls\"/127.0.0.1:$pt\"/" \
      -e "s#$work/dnsbridge.db#$work/$name.db#" "$work/dnsbridge.json" > "$work/$name.json"
  bin="$work/dnsbridge" settings=()
  for setting in $(tr ',' ' ' <<<"$envs"); do
    if [[ "$setting" == BIN=* ]]; then bin=${setting#BIN=}; else settings+=("$setting"); fi
  done
  test -x "$bin/dnsbridge" || { echo "--variant $name: no dnsbridge executable in $bin" >&2; exit 2; }
  env "${settings[@]}" "$bin/dnsbridge" serve --config "$work/$name.json" > "$work/$name.log" 2>&1 & proc_of[dnsbridge-$name]=$!; pids+=($!)
  port_of[dnsbridge-$name]=$p tls_port_of[dnsbridge-$name]=$pt
  order="$order dnsbridge-$name" tls_order="$tls_order dnsbridge-$name"
done

if [ -n "$cluster" ]; then
  p=$((base + 40)) a=$((base + 41)) pt=$((base + 42))
  pg_start $((base + 43))
  pg_sql postgres "CREATE DATABASE dnsbridge"
  sed -e "s/127.0.0.1:$bridge_port\"/127.0.0.1:$p\"/" -e "s/127.0.0.1:$admin_port\"/127.0.0.1:$a\"/" -e "s/127.0.0.1:$bridge_tls\"/127.0.0.1:$pt\"/" \
      "$work/dnsbridge.json" > "$work/postgres.json"
  # The connection string through the environment only, as in production.
  DNSBRIDGE__State__Provider=postgres DNSBRIDGE__State__ConnectionString="$(pg_conn dnsbridge)" DNSBRIDGE__Cluster__ReplicaName=bench-1 \
    "$work/dnsbridge/dnsbridge" serve --config "$work/postgres.json" > "$work/postgres.log" 2>&1 & proc_of[dnsbridge-postgres]=$!; pids+=($!)
  port_of[dnsbridge-postgres]=$p tls_port_of[dnsbridge-postgres]=$pt
  order="$order dnsbridge-postgres" tls_order="$tls_order dnsbridge-postgres"
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$a/readyz" && break; sleep 0.2; done
  curl -fs -o /dev/null "http://127.0.0.1:$a/readyz" || { echo "the cluster-mode replica did not get ready:" >&2; tail -20 "$work/postgres.log" >&2; exit 1; }
fi

for port in $up $nginx_port $haproxy_port $yarp_port $bridge_port "${port_of[@]}"; do
  for _ in $(seq 1 100); do curl -s -o /dev/null -H "Host: bench.example.test" "http://127.0.0.1:$port/" && break; sleep 0.1; done
done
for port in "${tls_port_of[@]}"; do
  for _ in $(seq 1 100); do curl -s -o /dev/null --cacert "$work/ca.pem" --resolve "$tls_host:$port:127.0.0.1" "https://$tls_host:$port/" && break; sleep 0.1; done
  curl -sf -o /dev/null --cacert "$work/ca.pem" --resolve "$tls_host:$port:127.0.0.1" "https://$tls_host:$port/" \
    || { echo "https on port $port does not answer" >&2; exit 1; }
done

# The processes whose CPU a row is charged: a proxy's own (nginx: master and workers); for direct, the upstream's.
children() { local p; for p in "$@"; do echo "$p"; pgrep -P "$p" || true; done; }
declare -A procs_of=(
  [direct]="$(children "$(cat "$work/nginx-up/pid")")" [nginx]="$(children "$(cat "$work/nginx-proxy/pid")")"
  [haproxy]="$haproxy_pid" [yarp]="$yarp_pid" [dnsbridge]="$bridge_pid" [dnsbridge-nudging]="$nudge_pid")
declare -A tls_procs_of=([direct]="${procs_of[direct]}" [nginx]="${procs_of[nginx]}" [yarp]="$yarp_tls_pid" [dnsbridge]="$bridge_pid")
for t in "${!proc_of[@]}"; do procs_of[$t]=${proc_of[$t]} tls_procs_of[$t]=${proc_of[$t]}; done
clk=$(getconf CLK_TCK)
# user + system ticks of the given processes (fields 14 and 15 of /proc/PID/stat, counted after the command name).
ticks() { local p; for p in "$@"; do sed 's/.*) //' "/proc/$p/stat"; done | awk '{ s += $12 + $13 } END { print s + 0 }'; }
us_per_request() { awk -v t="$1" -v k="$clk" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", t / k * 1e6 / n; else print "?" }'; }
for _ in $(seq 1 300); do
  curl -s "http://127.0.0.1:$nudge_admin/api/cutovers/bench" | grep -q '"state":"draining"' && break; sleep 0.1
done
curl -s "http://127.0.0.1:$nudge_admin/api/cutovers/bench" | grep -q '"state":"draining"' || { echo "the nudging instance did not reach draining" >&2; exit 1; }
results="$work/results.txt"
residual() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk '/^dnsbridge_residual_requests_total\{cutover="bench"\}/ {print $2}'; }
forwarded() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk '/^dnsbridge_forwarded_requests_total\{cutover="bench"/ {s += $2} END {printf "%d", s}'; }
# One run of a client mix against one proxy: appends "shape mix proxy req/s latency requests cpu-us/request errors".
#   plain C    wrk, C connections, plain HTTP
#   tls h2     h2load, 16 connections x 10 streams, HTTP/2 over TLS (SNI and :authority the cutover's host)
#   tls h1     wrk, 64 connections, HTTPS/1.1
load() {
  local shape=$1 mix=$2 t=$3 seconds=$4 out rps lat total errors port
  if [ "$shape" = plain ]; then
    wrk -t2 -c"$mix" -d"${seconds}s" --latency -H "Host: bench.example.test" "http://127.0.0.1:${port_of[$t]}/"
  elif [ "$mix" = h1 ]; then
    wrk -t2 -c64 -d"${seconds}s" --latency -H "Host: $tls_host" "https://127.0.0.1:${tls_port_of[$t]}/"
  else
    port=${tls_port_of[$t]}
    h2load -t2 -c16 -m10 -D "$seconds" --connect-to="127.0.0.1:$port" "https://$tls_host:$port/"
  fi
}
measure() {
  local shape=$1 mix=$2 t=$3 procs before_ticks out rps lat total errors cpu
  if [ "$shape" = plain ]; then procs=${procs_of[$t]}; else procs=${tls_procs_of[$t]}; fi
  # shellcheck disable=SC2086 # one word per process
  before_ticks=$(ticks $procs)
  out=$(load "$shape" "$mix" "$t" "$duration")
  # shellcheck disable=SC2086
  cpu=$(( $(ticks $procs) - before_ticks ))
  if grep -q '^Requests/sec' <<<"$out"; then
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    lat=$(awk '$1 == "99%" {print $2}' <<<"$out")
    total=$(awk '/requests in/ {print $1}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  else
    rps=$(awk '/^finished in/ {print $4}' <<<"$out")
    lat=$(awk '/^time for request:/ {print $6}' <<<"$out")
    total=$(awk '/^requests:/ {print $8}' <<<"$out")
    errors=$(awk '/^requests:/ && ($10 + $12 + $14) > 0 {print "failed/errored/timeout:", $10, $12, $14}' <<<"$out")
    grep -q '^status codes: [0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx' <<<"$out" || errors="$errors $(grep '^status codes' <<<"$out")"
  fi
  echo "$shape $mix $t $rps $lat $total $(us_per_request "$cpu" "$total") ${errors:-}" >> "$results"
  echo "run $r $shape $mix $t: $rps req/s, latency $lat, $(us_per_request "$cpu" "$total") us CPU/request ${errors:-}" >&2
}

# Warm every proxy first (the .NET ones JIT and tier up their hot paths during the first seconds), unrecorded.
r=warm-up
if has_shape plain; then
  for t in $order; do load plain 64 "$t" "$warmup" >/dev/null; done
fi
if has_shape tls; then
  for t in $tls_order; do load tls h2 "$t" "$warmup" >/dev/null; load tls h1 "$t" "$warmup" >/dev/null; done
fi
if [ -n "$cluster" ]; then
  # After the warm-up, when the replica's pooled connections (PostgreSQL backends) exist.
  procs_of[dnsbridge-postgres]="${proc_of[dnsbridge-postgres]} $(pg_procs)" tls_procs_of[dnsbridge-postgres]=${procs_of[dnsbridge-postgres]}
fi
before=$(residual) before_forwarded=$(forwarded)
for ((r = 1; r <= runs; r++)); do
  if has_shape plain; then
    for c in $connections; do for t in $order; do measure plain "$c" "$t"; done; done
  fi
  if has_shape tls; then
    for mix in h2 h1; do for t in $tls_order; do measure tls "$mix" "$t"; done; done
  fi
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

# table SHAPE "MIXES" "PROXIES": one row per mix and proxy, medians over the runs.
table() {
  local shape=$1 mixes=$2 proxies=$3 mix t m
  for mix in $mixes; do
    declare -A med=()
    for t in $proxies; do med[$t]=$(awk -v s="$shape" -v m="$mix" -v t="$t" '$1 == s && $2 == m && $3 == t {print $4}' "$results" | median); done
    for t in $proxies; do
      lat=$(awk -v s="$shape" -v m="$mix" -v t="$t" '$1 == s && $2 == m && $3 == t {print $5}' "$results" | while read -r v; do to_ms <<<"$v"; echo; done | grep -v '^$' | median)
      cpu=$(awk -v s="$shape" -v m="$mix" -v t="$t" '$1 == s && $2 == m && $3 == t {print $7}' "$results" | median)
      case "$shape $mix" in
        "tls h2") m="HTTP/2 16x10" ;;
        "tls h1") m="HTTPS/1.1 64" ;;
        *) m=$mix ;;
      esac
      printf "| %s | %s | %.0f | %.2fx | %.2fx | %s | %s |\n" "$m" "$t" "${med[$t]}" "$(awk -v a="${med[$t]}" -v b="${med[nginx]}" 'BEGIN {print a/b}')" \
        "$(awk -v a="${med[$t]}" -v b="${med[yarp]}" 'BEGIN {print a/b}')" "$lat" "$cpu"
    done
  done
}

echo
echo "Forwarding benchmark: ${duration}s per run, median of $runs interleaved run(s), loopback, $(nproc) cores shared by load, proxies and upstream."
echo "CPU/request: user + system CPU of the proxy's processes (for direct: the upstream's) over the run, divided by the requests answered."
if has_shape plain; then
  echo
  echo "Plain HTTP in and out (wrk -t2):"
  echo
  echo "| connections | proxy | req/s (median) | vs nginx | vs minimal YARP | p99 (ms, median) | CPU/request (µs, median) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  table plain "$connections" "$order"
fi
if has_shape tls; then
  echo
  echo "TLS production shape: TLS ends at the proxy, re-encrypted to the https upstream by IP with SNI and certificate validation"
  echo "(HTTP/2 clients: h2load -t2 -c16 -m10; HTTPS/1.1 clients: wrk -t2 -c64):"
  echo
  echo "| clients | proxy | req/s (median) | vs nginx | vs minimal YARP | latency (ms, median; wrk p99, h2load mean) | CPU/request (µs, median) |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  table tls "h2 h1" "$tls_order"
fi
echo
echo "Peak RSS over the whole benchmark: dnsbridge $(rss $bridge_pid) MiB (both shapes in one process), minimal YARP $(rss $yarp_pid) MiB (plain), $(rss $yarp_tls_pid) MiB (TLS)$(for t in "${!proc_of[@]}"; do echo -n ", $t $(rss "${proc_of[$t]}") MiB"; done)"
nudged=$(curl -s "http://127.0.0.1:$nudge_admin/metrics" | awk '/^dnsbridge_nudged_connections_total\{cutover="bench",kind="http1"\}/ {printf "%d", $2}')
echo "dnsbridge-nudging: propagation complete, $nudged connections nudged (Connection: close, at most 100/s), each followed by a reconnect from wrk"
if [ -n "$cluster" ] && has_shape plain; then
  for c in $connections; do
    col() { awk -v m="$c" -v t="$2" '$1 == "plain" && $2 == m && $3 == t {print $'"$1"'}' "$results" | median; }
    echo "Cluster mode, plain $c connections: dnsbridge-postgres $(awk -v a="$(col 4 dnsbridge-postgres)" -v b="$(col 4 dnsbridge)" 'BEGIN {printf "%.2fx", a/b}') the req/s of SQLite-mode dnsbridge, CPU/request $(col 7 dnsbridge-postgres) µs (replica + PostgreSQL) vs $(col 7 dnsbridge) µs"
  done
fi
echo "Residual accounting under wrk load: $served requests forwarded, $counted counted as residual: $([ "$served" = "$counted" ] && echo exact || echo MISMATCH)"
echo "Residual accounting, burst of $burst (curl, 64 in parallel): $ok answered 200, $burst_counted counted: $([ "$ok" = "$burst" ] && [ "$burst_counted" = "$burst" ] && echo exact || echo MISMATCH)"
grep -h -E "Non-2xx|Socket|failed|status codes" "$results" >&2 || true
