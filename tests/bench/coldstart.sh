#!/usr/bin/env bash
# Cold start: `dnsbridge serve` (published as the container runs it) with a 50-cutover config, propagation on
# against a local dnsmasq. Measures, per start, the time from exec to the first forwarded response (a request
# already waiting for the proxy port, as a load balancer's would be), the CPU time (user + system) the process used
# until then — the figure that holds on a busy machine, where the wall time mostly measures the wait for a core —
# and the resident memory then and one second later; prints medians over the runs.
#   tests/bench/coldstart.sh [--runs N] [--bin DIR] [--env NAME=VALUE]...
# --bin takes an already published directory (to compare builds); --env sets a runtime variable for the starts.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs=7 bin="" envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --env) [[ "$2" == *=* ]] || { echo "--env NAME=VALUE" >&2; exit 2; }; envs+=("$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup coldstart
bench_dnsbridge

base=$(( 10000 + RANDOM % 20000 ))
up=$base proxy=$((base + 1)) admin=$((base + 2)) dns=$((base + 3))
bench_ok_target "$up"

# 50 cutovers of two hosts each; the resolver still answers the source address, so every cutover is propagating.
: > "$work/hosts"
cutovers=""
for i in $(seq 1 50); do
  echo "127.0.0.2 c$i.example.test www.c$i.example.test" >> "$work/hosts"
  cutovers="$cutovers${cutovers:+,}
    { \"Name\": \"c$i\", \"Hosts\": [ \"c$i.example.test\", \"www.c$i.example.test\" ],
      \"Target\": { \"Address\": \"127.0.0.1\", \"Port\": $up, \"Scheme\": \"http\" },
      \"Drain\": { \"Exclude\": { \"Paths\": [ \"/healthz\" ], \"UserAgents\": [ \"ELB-HealthChecker*\" ] } } }"
done
cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$proxy", "Admin": "http://127.0.0.1:$admin" },
  "Cutovers": [ $cutovers ],
  "Resolvers": { "Preset": "none", "AuthoritativeServers": [ "127.0.0.1:$dns" ], "Custom": [ { "Name": "local", "Address": "127.0.0.1:$dns" } ] },
  "Propagation": { "Enabled": true, "Interval": "00:00:30", "Timeout": "00:00:01" },
  "State": { "Path": "$work/state.db" } } }
CONF
dnsmasq --no-daemon --no-resolv --no-hosts --no-poll --addn-hosts="$work/hosts" --port="$dns" --listen-address=127.0.0.1 \
    --bind-interfaces --local-ttl=30 --local=/test/ -u root --pid-file= >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$up/" && break; sleep 0.1; done

rss() { awk -v k="$2" '$1 == k":" {print int($2/1024)}' "/proc/$1/status"; }

: > "$work/results"
for ((r = 1; r <= runs; r++)); do
  rm -f "$work"/state.db*
  start=$(date +%s%N)
  env "${envs[@]}" "$bin/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/run.log" 2>&1 & pid=$!
  status=$(bench_first_answer "$proxy" c1.example.test)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  cpu_ms=$(bench_cpu_ms "$pid")
  rss_first=$(rss "$pid" VmRSS)
  sleep 1
  rss_later=$(rss "$pid" VmRSS)
  kill -TERM "$pid"; wait "$pid" || true
  cp "$work/run.log" "$work/run.$r.log"
  [ "$status" = 200 ] || { echo "run $r: first answer $status, not 200" >&2; cat "$work/run.log" >&2; exit 1; }
  echo "$ms $rss_first $rss_later $cpu_ms" >> "$work/results"
  echo "run $r: first forwarded response after $ms ms ($cpu_ms ms of CPU), RSS $rss_first MiB then, $rss_later MiB 1 s later" >&2
done

echo
echo "Cold start of dnsbridge serve, 50 cutovers (100 hosts), propagation on, median of $runs starts${envs[*]:+ with ${envs[*]}}:"
echo "first forwarded response after $(awk '{print $1}' "$work/results" | bench_median) ms, $(awk '{print $4}' "$work/results" | bench_median) ms of CPU;" \
     "RSS $(awk '{print $2}' "$work/results" | bench_median) MiB then, $(awk '{print $3}' "$work/results" | bench_median) MiB 1 s later"
