#!/usr/bin/env bash
# Cutover phases under load: wrk at 64 HTTP/1.1 keep-alive connections through DnsBridge while its cutover goes
# rehearsal → frozen → (2 s later) switched → rolled_back → switched, driven through the admin API. The source and
# the target are two nginx servers answering "source" and "target"; a wrk Lua script counts the answers by body.
# Reports requests, errors (wrk's socket errors and non-2xx), which side answered, held/released/rejected from
# /metrics and the longest hold (wrk's max latency over the run: every other answer takes milliseconds).
# Then, in the same DnsBridge, side by side and interleaved: rehearsal without mirroring vs switched (the forwarding
# cost of the phase), and rehearsal with Mirror.Share 0.1 vs without (client-facing throughput and p99), at
# saturation and at a paced load of 60 % of the switched throughput (each wrk connection waits between requests), with
# how many copies were compared and how many dropped in each (copies use spare capacity only: at saturation they
# wait, then are dropped).
#   tests/bench/cutover-switch.sh [--quick] [--duration SECONDS] [--runs N] [--bin DIR] [--mirror-share S]
# --mirror-share S sets the mirrored row's Mirror.Share (default 0.1); 0 makes it a second rehearsal row, which shows
# how far two rows of the same work differ on this machine (the noise of the comparison).
# --bin DIR runs the dnsbridge executable found in DIR (e.g. src/DnsBridge/bin/Release/net10.0 after a Release build)
# instead of publishing the Native AOT build first. Figures are only worth publishing from a quiet machine.
# On a machine with 2 cores or more, DnsBridge runs on core 1 and wrk and nginx on core 0 (taskset; --no-pin: all
# anywhere): DnsBridge is then the bottleneck on a core of its own, so the side-by-side ratios measure its cost per
# request in each phase, instead of how four processes happened to share two cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=6 runs=3 warmup=10 bin= pin=1 mirror_share=0.1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-pin) pin=0 ;;
    --quick) duration=3 runs=1 warmup=2 ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --bin) bin="$(cd "$2" && pwd)"; shift ;;
    --mirror-share) mirror_share="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup cutover
bench_dnsbridge

base=$(( 10000 + RANDOM % 20000 ))  # below the ephemeral port range (32768+)
source_port=$base target_port=$((base + 1)) bridge_port=$((base + 2)) admin_port=$((base + 3)) twin_port=$((base + 4))
token="bench-token-0123456789abcdef"
admin="http://127.0.0.1:$admin_port"

mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx/pid; error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$source_port backlog=4096; location / { return 200 "source"; } }
  server { listen 127.0.0.1:$target_port backlog=4096; location / { return 200 "target"; } }
  server { listen 127.0.0.1:$twin_port backlog=4096; location / { return 200 "source"; } } }
CONF
# cut: the cutover switched under load. rehearsal, switched, mirrored: the side-by-side throughput rows, all three
# forwarding to the same nginx worker (the target is a twin of the source backend, same answer), so the rows differ
# only by the phase and the mirroring.
cutover() { # NAME SOURCE_PORT TARGET_PORT MIRROR_SHARE
  cat <<CONF
    { "Name": "$1", "Hosts": [ "$1.example.test" ],
      "Target": { "Address": "127.0.0.1", "Port": $3, "Scheme": "http" },
      "SourceBackend": { "Address": "127.0.0.1", "Port": $2, "Scheme": "http" },
      "Freeze": { "Hold": "00:00:30", "MaxHeld": 10000 },
      "Mirror": { "Share": $4 } }
CONF
}
cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$bridge_port", "Admin": "http://127.0.0.1:$admin_port", "AdminToken": "$token" },
  "Cutovers": [
$(cutover cut "$source_port" "$target_port" 0),
$(cutover rehearsal "$source_port" "$twin_port" 0),
$(cutover switched "$source_port" "$twin_port" 0),
$(cutover mirrored "$source_port" "$twin_port" "$mirror_share") ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/dnsbridge.db" } } }
CONF

pin_bridge=() pin_load=()
if [ "$pin" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null; then
  pin_bridge=(taskset -c 1) pin_load=(taskset -c 0)
  echo "pinned: DnsBridge on core 1, wrk and nginx on core 0" >&2
fi
"${pin_load[@]}" nginx -c "$work/nginx/nginx.conf" & pids+=($!)
"${pin_bridge[@]}" "$bin/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & pids+=($!) bridge_pid=$!
for _ in $(seq 1 150); do curl -fs -o /dev/null "$admin/readyz" && break; sleep 0.2; done
curl -fs -o /dev/null "$admin/readyz" || { echo "DnsBridge did not get ready:" >&2; tail -20 "$work/dnsbridge.log" >&2; exit 1; }
for port in $source_port $target_port $twin_port; do
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

phase() { # CUTOVER PHASE: the admin API, as `dnsbridge freeze|switch|rollback` calls it
  curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    --data "{\"phase\":\"$2\"}" "$admin/api/cutovers/$1/phase" || { echo "phase $2 of $1 refused" >&2; exit 1; }
}
metric() { # NAME LABELS: the sum of the series whose labels contain LABELS
  curl -fs -H "Authorization: Bearer $token" "$admin/metrics" | awk -v n="$1" -v l="$2" \
    'index($0, n "{") == 1 && index($0, l) { v += $NF } END { print v + 0 }'
}
phase switched switched

# Counts the answers by body per wrk thread; done() sums them.
cat > "$work/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) src = 0; tgt = 0; other = 0 end
function response(status, headers, body)
  if body == "source" then src = src + 1 elseif body == "target" then tgt = tgt + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local s, t, o = 0, 0, 0
  for _, thread in ipairs(threads) do s = s + thread:get("src"); t = t + thread:get("tgt"); o = o + thread:get("other") end
  io.write(string.format("answers: source %d, target %d, other %d\n", s, t, o))
  io.write(string.format("max latency (ms): %.1f\n", latency.max / 1000))
end
LUA

# 1. The switch under load. wrk's timeout (default 2 s) is raised above Freeze.Hold: a held request is not an error.
step=2 total=$((3 * step + 2 + 3))
echo "switch under load: wrk -t2 -c64 -d${total}s; rehearsal ${step} s, freeze, switch 2 s later, rollback and switch again ${step} s apart" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"${pin_load[@]}" wrk -t2 -c64 -d"${total}s" --timeout 35s --latency -s "$work/count.lua" -H "Host: cut.example.test" "http://127.0.0.1:$bridge_port/" \
  > "$work/switch.txt" 2>&1 & wrk_pid=$!
sleep "$step"; phase cut frozen
sleep 2;       phase cut switched
sleep "$step"; phase cut rolled_back
sleep "$step"; phase cut switched
wait "$wrk_pid"
requests=$(awk '/requests in/ {print $1}' "$work/switch.txt")
socket_errors=$(awk '/Socket errors/ {sub(/.*Socket errors: /, ""); print}' "$work/switch.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/switch.txt")
released=$(metric dnsbridge_held_requests_total 'cutover="cut",outcome="released"')
rejected=$(metric dnsbridge_held_requests_total 'cutover="cut",outcome="rejected"')

# 2. Side by side: rehearsal vs switched vs mirrored, interleaved, $runs rounds of $duration s each after a warm-up.
for h in rehearsal switched mirrored; do
  "${pin_load[@]}" wrk -t2 -c64 -d"${warmup}s" -H "Host: $h.example.test" "http://127.0.0.1:$bridge_port/" > /dev/null
done
declare -A rps=() p99=()
# The order turns each round (rehearsal switched mirrored, then switched mirrored rehearsal, ...): the process forwards
# more slowly for its first minute or so (measured: 21.4k, 19.5k, 19.4k, 19.1k req/s in four rounds of the same
# cutover), so a fixed order would always hand the last place, and the slowest moment, to the same cutover.
order=(rehearsal switched mirrored)
for r in $(seq 1 "$runs"); do
  shift_by=$(( (r - 1) % 3 ))
  for h in "${order[@]:$shift_by}" "${order[@]:0:$shift_by}"; do
    out=$("${pin_load[@]}" wrk -t2 -c64 -d"${duration}s" --latency -H "Host: $h.example.test" "http://127.0.0.1:$bridge_port/")
    if grep -qE "Non-2xx|Socket errors" <<<"$out"; then echo "$h run $r: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ')" >&2; fi
    rps[$h]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") "
    p99[$h]+="$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' <<<"$out") "
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
saturated_dropped=$(metric dnsbridge_mirror_requests_total 'cutover="mirrored",outcome="dropped"')
saturated_copies=$(( $(metric dnsbridge_mirror_requests_total 'cutover="mirrored"') - saturated_dropped ))

# 3. Below saturation: 64 connections that each wait between requests, so that together they offer 60 % of the
# switched throughput; rehearsal and mirrored interleaved as above. Throughput is then what was offered; what mirroring
# may cost is latency and CPU, and the copies are made.
r_sw_saturated=$(median "${rps[switched]}")
paced_delay=$(awk -v r="$r_sw_saturated" 'BEGIN { printf "%.3f", 64 * 1000 / (0.6 * r) }')
cat > "$work/paced.lua" <<LUA
-- wrk takes whole milliseconds: round at random so that the mean wait is $paced_delay ms.
local mean = $paced_delay
function delay() local d = math.floor(mean); if math.random() < mean - d then d = d + 1 end; return d end
LUA
declare -A paced_rps=() paced_p99=() paced_cpu=()
for r in $(seq 1 "$runs"); do
  for h in $( [ $((r % 2)) = 1 ] && echo "rehearsal mirrored" || echo "mirrored rehearsal" ); do
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$bridge_pid/stat")
    out=$("${pin_load[@]}" wrk -t2 -c64 -d"${duration}s" --latency -s "$work/paced.lua" -H "Host: $h.example.test" "http://127.0.0.1:$bridge_port/")
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$bridge_pid/stat")
    paced_rps[$h]+="$(awk '/Requests\/sec/ {print $2}' <<<"$out") "
    paced_p99[$h]+="$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' <<<"$out") "
    paced_cpu[$h]+="$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v s="$duration" 'BEGIN { printf "%.1f", t * 100 / hz / s }') "
  done
done
paced_dropped=$(( $(metric dnsbridge_mirror_requests_total 'cutover="mirrored",outcome="dropped"') - saturated_dropped ))
paced_copies=$(( $(metric dnsbridge_mirror_requests_total 'cutover="mirrored"') - saturated_copies - saturated_dropped - paced_dropped ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "## Switch under load (wrk -t2 -c64, ${total} s)"
echo
echo "| requests | socket errors | non-2xx | answers | held released | held rejected | longest hold (ms, wrk max latency) |"
echo "|---:|---|---:|---|---:|---:|---:|"
echo "| $requests | ${socket_errors:-none} | ${non2xx:-0} | $(sed -n 's/^answers: //p' "$work/switch.txt") | $released | $rejected | $(sed -n 's/^max latency (ms): //p' "$work/switch.txt") |"
echo
echo "## Phases side by side (wrk -t2 -c64, median of $runs × ${duration} s$([ ${#pin_bridge[@]} -gt 0 ] && echo ", DnsBridge alone on one core"))"
echo
r_reh=$(median "${rps[rehearsal]}") r_sw=$(median "${rps[switched]}") r_mir=$(median "${rps[mirrored]}")
p_reh=$(median "${p99[rehearsal]}") p_sw=$(median "${p99[switched]}") p_mir=$(median "${p99[mirrored]}")
echo "| cutover | req/s | p99 (ms) | ratio |"
echo "|---|---:|---:|---|"
echo "| switched | $r_sw | $p_sw | 1 |"
echo "| rehearsal, no mirroring | $r_reh | $p_reh | $(awk -v a="$r_reh" -v b="$r_sw" 'BEGIN { printf "%.3f × switched (goal ≥ 0.95)", a / b }') |"
echo "| rehearsal, Mirror.Share $mirror_share | $r_mir | $p_mir | $(awk -v a="$r_mir" -v b="$r_reh" -v p="$p_mir" -v q="$p_reh" 'BEGIN { printf "%.3f × rehearsal throughput (goal ≥ 0.9), p99 %+.1f %% (goal ≤ +10 %%)", a / b, (p / q - 1) * 100 }') |"
echo
echo "per round, req/s: switched ${rps[switched]}| rehearsal ${rps[rehearsal]}| mirrored ${rps[mirrored]}"
echo "per round, p99 (ms): switched ${p99[switched]}| rehearsal ${p99[rehearsal]}| mirrored ${p99[mirrored]}"
echo
echo "copies at saturation: $saturated_copies compared, $saturated_dropped dropped"
echo
echo "## Below saturation (wrk -t2 -c64 paced to 60 % of the switched throughput: $paced_delay ms between requests per connection, median of $runs × ${duration} s)"
echo
p_reh=$(median "${paced_p99[rehearsal]}") p_mir=$(median "${paced_p99[mirrored]}")
echo "| cutover | req/s | p99 (ms) | DnsBridge CPU (% of a core) |"
echo "|---|---:|---:|---:|"
echo "| rehearsal, no mirroring | $(median "${paced_rps[rehearsal]}") | $p_reh | $(median "${paced_cpu[rehearsal]}") |"
echo "| rehearsal, Mirror.Share $mirror_share | $(median "${paced_rps[mirrored]}") | $p_mir | $(median "${paced_cpu[mirrored]}") |"
echo
echo "offered: $(awk -v a="$(median "${paced_rps[rehearsal]}")" -v b="$r_sw_saturated" 'BEGIN { printf "%.0f %%", a * 100 / b }') of the saturated switched throughput; p99 with mirroring: $(awk -v p="$p_mir" -v q="$p_reh" 'BEGIN { printf "%+.1f %%", (p / q - 1) * 100 }'); copies: $paced_copies compared, $paced_dropped dropped"
echo
echo "load average before: $load_before, after: $load_after"
if [ "${non2xx:-0}" != 0 ] || [ -n "$socket_errors" ] || [ "$rejected" != 0 ] || [ "$released" = 0 ]; then
  echo "FAILED: errors or rejected holds during the switch under load, or nothing was held" >&2
  cat "$work/switch.txt" >&2
  exit 1
fi
