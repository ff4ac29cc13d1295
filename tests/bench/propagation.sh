#!/usr/bin/env bash
# Propagation polling benchmark: the monitor's own poller asking 40 resolvers x 100 host names (4,000 queries a
# cycle) of loopback dnsmasq servers, beside dnsperf sending the same number of queries to the same servers (the
# practical limit of those servers on this machine). Prints cycle time, queries/s and memory per cycle.
#   tests/bench/propagation.sh [--cycles N] [--resolvers N] [--hosts N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cycles=5 resolvers=40 hosts=100 servers=4
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="$2"; shift ;;
    --resolvers) resolvers="$2"; shift ;;
    --hosts) hosts="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup polling
dotnet build "$root/tests/DnsBridge.Benchmarks/DnsBridge.Benchmarks.csproj" -c Release --nologo -v q >/dev/null

for ((i = 0; i < hosts; i++)); do echo "127.0.0.1 h$i.bench.test"; done > "$work/hosts"
for ((i = 0; i < hosts; i++)); do echo "h$i.bench.test A"; done > "$work/queries"
base=$(( 10000 + RANDOM % 20000 ))
list=()
for ((s = 0; s < servers; s++)); do
  port=$((base + s))
  # No cache and a fixed answer: every query is answered from the hosts file, the same work for both clients.
  dnsmasq --no-daemon --no-resolv --no-hosts --no-poll --addn-hosts="$work/hosts" --port="$port" --listen-address=127.0.0.1 \
      --bind-interfaces --local-ttl=60 --local=/test/ --cache-size=0 -u root --pid-file= >/dev/null 2>&1 & pids+=($!)
  list+=("127.0.0.1:$port")
done
sleep 0.5

echo
dotnet "$root/tests/DnsBridge.Benchmarks/bin/Release/net10.0/DnsBridge.Benchmarks.dll" polling \
  --servers "$(IFS=,; echo "${list[*]}")" --resolvers "$resolvers" --hosts "$hosts" --cycles "$cycles" --concurrency 32 --timeout 2

# dnsperf: the same number of queries per cycle, split over the same servers, 8 outstanding per server (32 in all).
per_server=$(( resolvers * hosts / servers / hosts ))
echo
for ((c = 1; c <= cycles; c++)); do
  start=$(date +%s.%N)
  perf=()
  for ((s = 0; s < servers; s++)); do
    dnsperf -s 127.0.0.1 -p "$((base + s))" -d "$work/queries" -n "$per_server" -q 8 -t 2 > "$work/dnsperf.$s" 2>&1 & perf+=($!)
  done
  for p in "${perf[@]}"; do wait "$p" || true; done
  end=$(date +%s.%N)
  sent=$(awk '/Queries sent:/ {s += $3} END {print s}' "$work"/dnsperf.*)
  lost=$(awk '/Queries lost:/ {s += $3} END {print s}' "$work"/dnsperf.*)
  awk -v c="$c" -v a="$start" -v b="$end" -v n="$sent" -v l="$lost" 'BEGIN { t = b - a; printf "dnsperf cycle %d: %.3f s, %.0f queries/s, %d sent, %d lost\n", c, t, n / t, n, l }'
done
