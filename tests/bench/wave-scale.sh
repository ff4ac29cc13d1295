#!/usr/bin/env bash
# Cost vs number of cutovers (issue 28): `dnsbridge serve` (published as the container runs it) with 1, 50 and 500
# cutovers of two hosts each, SQLite, no traffic but the probes below, the propagation monitor asking 8 loopback
# resolvers (one dnsmasq on 8 addresses; --resolvers N) every 5 s (--interval S). Per size: the time from exec to the first forwarded 200 and the CPU used until
# then (three starts, median), the resident memory right after that answer, the resident memory after the monitor
# ran for a while (10 minutes; 20 s with --quick), the CPU it used meanwhile, and the sizes of GET /api/cutovers and
# GET /api/summary then. Prints a markdown table. With --browser, the wave overview of the largest size is then opened
# in Debian's Chromium (the OverviewBenchmark of tests/DnsBridge.Benchmarks): first frame with every row, and
# Chromium's CPU over a minute with the tab open.
#   tests/bench/wave-scale.sh [--quick] [--bin DIR] [--sizes "1 50 500"] [--minutes N] [--resolvers N] [--interval S] [--browser]
# --bin takes an already published directory (to compare builds); figures from a busy machine say little.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="" sizes="1 50 500" monitor_s=600 runs=3 resolvers=8 interval=5 browser=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) monitor_s=20 ;;
    --bin) bin="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --minutes) [[ "$2" =~ ^[0-9]+$ ]] || { echo "--minutes takes a whole number" >&2; exit 2; }; monitor_s=$(( $2 * 60 )); shift ;;
    --resolvers) [[ "$2" =~ ^[1-9][0-9]?$ ]] || { echo "--resolvers takes 1 to 99" >&2; exit 2; }; resolvers=$2; shift ;;
    --interval) [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "--interval takes whole seconds" >&2; exit 2; }; interval=$2; shift ;;
    --browser) browser=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup wave-scale
bench_dnsbridge
if [ "$browser" = 1 ]; then
  dotnet build -c Release "$root/tests/DnsBridge.Benchmarks" >/dev/null
  overview="$root/tests/DnsBridge.Benchmarks/bin/Release/net10.0/DnsBridge.Benchmarks.dll"
fi

base=$(( 10000 + RANDOM % 20000 ))
up=$base proxy=$((base + 1)) admin=$((base + 2)) dns=$((base + 3))
bench_ok_target "$up"

# Every host of the largest size; the resolver still answers the source address, so every cutover is propagating.
largest=$(tr ' ' '\n' <<<"$sizes" | sort -n | tail -1)
: > "$work/hosts"
for i in $(seq 1 "$largest"); do echo "127.0.0.2 c$i.example.test www.c$i.example.test" >> "$work/hosts"; done
# One dnsmasq on 9 loopback addresses: each resolver row (and the authoritative server, the last) has an address of
# its own, and so its own question pacer (Propagation:MaxQuestionsPerSecondPerResolver), as public resolvers do.
listen=$(for r in $(seq 1 $((resolvers + 1))); do printf -- '--listen-address=127.0.1.%d ' "$r"; done)
# shellcheck disable=SC2086
dnsmasq --no-daemon --no-resolv --no-hosts --no-poll --addn-hosts="$work/hosts" --port="$dns" $listen \
    --bind-interfaces --local-ttl=30 --local=/test/ -u root --pid-file= >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$up/" && break; sleep 0.1; done

write_config() {
  local n=$1 cutovers="" custom=""
  for i in $(seq 1 "$n"); do
    cutovers="$cutovers${cutovers:+,}
    { \"Name\": \"c$i\", \"Hosts\": [ \"c$i.example.test\", \"www.c$i.example.test\" ],
      \"Target\": { \"Address\": \"127.0.0.1\", \"Port\": $up, \"Scheme\": \"http\" },
      \"Drain\": { \"Exclude\": { \"Paths\": [ \"/healthz\" ], \"UserAgents\": [ \"ELB-HealthChecker*\" ] } } }"
  done
  for r in $(seq 1 "$resolvers"); do custom="$custom${custom:+, }{ \"Name\": \"local$r\", \"Address\": \"127.0.1.$r:$dns\" }"; done
  cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$proxy", "Admin": "http://127.0.0.1:$admin" },
  "Cutovers": [ $cutovers ],
  "Resolvers": { "Preset": "none", "AuthoritativeServers": [ "127.0.1.$((resolvers + 1)):$dns" ], "Custom": [ $custom ] },
  "Propagation": { "Enabled": true, "Interval": "$(printf '%02d:%02d:%02d' $((interval / 3600)) $((interval % 3600 / 60)) $((interval % 60)))", "Timeout": "00:00:01" },
  "State": { "Path": "$work/state.db" } } }
CONF
}

rss() { awk '$1 == "VmRSS:" {print int($2/1024)}' "/proc/$1/status"; }

# One start: prints "ms cpu_ms rss_mib"; with keep=1 leaves the process running as $pid.
start_once() {
  local keep=$1 start status ms
  rm -f "$work"/state.db*
  start=$(date +%s%N)
  "$bin/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/run.log" 2>&1 & pid=$!
  status=$(bench_first_answer "$proxy" c1.example.test)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$status" = 200 ] || { echo "first answer $status, not 200" >&2; cat "$work/run.log" >&2; exit 1; }
  echo "$ms $(bench_cpu_ms "$pid") $(rss "$pid")" >> "$work/starts"
  if [ "$keep" = 0 ]; then kill -TERM "$pid"; wait "$pid" || true; fi
}

if [ $((monitor_s % 60)) = 0 ]; then monitored="$((monitor_s / 60)) min"; else monitored="$monitor_s s"; fi
table="| cutovers | cold start (median of $runs) | CPU to first 200 | RSS after start | RSS after $monitored of monitor | CPU while monitoring (one core) | GET /api/cutovers | GET /api/summary |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in $sizes; do
  write_config "$n"
  : > "$work/starts"
  for ((r = 1; r < runs; r++)); do start_once 0; done
  start_once 1
  pids+=("$pid")
  echo "$n cutovers: starts (ms, CPU ms, RSS MiB): $(tr '\n' ';' < "$work/starts")" >&2
  cpu_before=$(bench_cpu_ms "$pid")
  sleep "$monitor_s"
  monitor_cpu=$(awk -v a="$cpu_before" -v b="$(bench_cpu_ms "$pid")" -v s="$monitor_s" 'BEGIN { printf "%.1f", (b - a) / (s * 10) }')
  rss_later=$(rss "$pid")
  bytes=$(curl -s "http://127.0.0.1:$admin/api/cutovers" | wc -c)
  summary_bytes=$(curl -s "http://127.0.0.1:$admin/api/summary" | wc -c)
  if [ "$browser" = 1 ] && [ "$n" = "$largest" ]; then
    browser_line=$(dotnet "$overview" overview --url "http://127.0.0.1:$admin/" --rows "$n" --seconds 60)
  fi
  kill -TERM "$pid"; wait "$pid" || true
  cp "$work/run.log" "$work/run.$n.log"
  table="$table
| $n | $(awk '{print $1}' "$work/starts" | bench_median) ms | $(awk '{print $2}' "$work/starts" | bench_median) ms | $(awk '{print $3}' "$work/starts" | bench_median) MiB | $rss_later MiB | $monitor_cpu % | $(( bytes / 1024 )) KiB | $(( summary_bytes / 1024 )) KiB |"
done

echo
echo "Cost vs number of cutovers: dnsbridge serve, SQLite, no traffic, $resolvers loopback resolvers every $interval s ($(uname -m), $(nproc) cores):"
echo
echo "$table"
[ -z "${browser_line:-}" ] || { echo; echo "$browser_line"; }
