#!/usr/bin/env bash
# Connection forwarding benchmark: DnsBridge (port forward and TLS passthrough) against HAProxy `mode tcp` (SNI by
# req_ssl_sni), nginx `stream` (ssl_preread) and direct (the limit), measured in one run, interleaved, on loopback.
# iperf3 bulk throughput with 1 and 8 streams through each TCP relay; new TLS connections/s through each SNI router
# and the p99 of TCP connect + TLS handshake, from two python ssl clients making sequential new connections with SNI
# (openssl 3.0's s_time cannot send SNI) to an ECDSA target, so the handshake is cheap and the relay shows; peak RSS
# of each relay. Prints a Markdown table of medians and ratios.
# --idle N instead holds N idle connections open through each relay, first through the port forward, then through
# passthrough (a full TLS ClientHello, then nothing), to a loopback target that never answers, and reports each
# relay's RSS with all of them open (needs 2N+ descriptors per relay: N is capped to what `ulimit -n` allows).
#   tests/bench/connections.sh [--quick] [--duration SECONDS] [--runs N] [--idle N]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration=5 runs=3 idle=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) duration=3 runs=1 ;;
    --duration) duration="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --idle) idle="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=common.sh
. "$here/common.sh"
bench_setup connections
"$root/deploy/container/publish.sh" "$work/dnsbridge" >/dev/null

base=$(( 10000 + RANDOM % 20000 ))
up=$base tls_up=$((base + 1)) bridge_tcp=$((base + 2)) bridge_tls=$((base + 3)) admin=$((base + 4)) proxy=$((base + 5))
hap_tcp=$((base + 6)) hap_tls=$((base + 7)) ng_tcp=$((base + 8)) ng_tls=$((base + 9))
host=bench.local.test
nofile=20000 maxconn=4096 limits=""
if [ "$idle" -gt 0 ]; then
  # Each relay holds two descriptors per connection (client and target side).
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  nofile=$(ulimit -n)
  if [ $((2 * idle + 400)) -gt "$nofile" ]; then
    echo "ulimit -n is $nofile: holding $(( (nofile - 400) / 2 )) idle connections instead of $idle" >&2
    idle=$(( (nofile - 400) / 2 ))
  fi
  maxconn=$((idle + 20)) limits="\"Limits\": { \"MaxConnections\": $((idle + 50)) },"
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=$host" \
  -addext "subjectAltName=DNS:$host" -keyout "$work/tls.key" -out "$work/tls.pem" 2>/dev/null
if [ "$idle" -eq 0 ]; then
  iperf3 -s -p "$up" > "$work/iperf3.log" 2>&1 & pids+=($!)
  openssl s_server -quiet -accept "127.0.0.1:$tls_up" -cert "$work/tls.pem" -key "$work/tls.key" -www > "$work/s_server.log" 2>&1 & pids+=($!)
fi

cat > "$work/dnsbridge.json" <<CONF
{ "DnsBridge": {
  "Listen": { "Proxy": "http://127.0.0.1:$proxy", "Admin": "http://127.0.0.1:$admin", "Passthrough": "127.0.0.1:$bridge_tls" },
  "Logging": { "AccessLog": false }, $limits
  "Cutovers": [
    { "Name": "tls", "Hosts": ["$host"], "Target": { "Address": "127.0.0.1", "Port": $tls_up, "Scheme": "tls" } },
    { "Name": "tcp", "Hosts": ["tcp.$host"], "Target": { "Address": "127.0.0.1", "Scheme": "tcp" }, "Ports": [ { "Listen": "127.0.0.1:$bridge_tcp", "Target": $up } ] } ],
  "Resolvers": { "Preset": "none", "Authoritative": false, "Custom": [ { "Name": "none", "Address": "127.0.0.1:9" } ] },
  "Propagation": { "Enabled": false },
  "State": { "Path": "$work/state.db" } } }
CONF
"$work/dnsbridge/dnsbridge" serve --config "$work/dnsbridge.json" > "$work/dnsbridge.log" 2>&1 & bridge_pid=$!; pids+=($bridge_pid)

cat > "$work/haproxy.cfg" <<CONF
global
  maxconn $maxconn
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend tcp
  bind 127.0.0.1:$hap_tcp
  default_backend up
frontend tls
  bind 127.0.0.1:$hap_tls
  tcp-request inspect-delay 5s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend tls_up if { req.ssl_sni -i $host }
backend up
  server s 127.0.0.1:$up
backend tls_up
  server s 127.0.0.1:$tls_up
CONF
haproxy -f "$work/haproxy.cfg" -db > "$work/haproxy.log" 2>&1 & hap_pid=$!; pids+=($hap_pid)

mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes auto; worker_rlimit_nofile $nofile; daemon off; pid $work/nginx/pid; error_log $work/nginx/error.log;
events { worker_connections $((maxconn * 2)); }
stream {
  map \$ssl_preread_server_name \$tls_backend { $host 127.0.0.1:$tls_up; default 127.0.0.1:1; }
  server { listen 127.0.0.1:$ng_tcp; proxy_pass 127.0.0.1:$up; }
  server { listen 127.0.0.1:$ng_tls; ssl_preread on; proxy_pass \$tls_backend; proxy_half_close on; }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & ng_pid=$!; pids+=($ng_pid)

for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null && break; sleep 0.2; done
sleep 1

if [ "$idle" -gt 0 ]; then
  ng_workers=$(pgrep -P "$ng_pid" | paste -sd, -)
  echo "Idle connections: $idle held open through each relay (port forward, then passthrough after a full ClientHello) to a loopback target that never answers; RSS (VmRSS, all processes of the relay) before and with all of them open"
  echo
  echo "| relay | path | connections | RSS before (MiB) | RSS with all open (MiB) | per connection (bytes) |"
  echo "| --- | --- | --- | --- | --- | --- |"
  python3 - "$idle" "$host" "$up" "$tls_up" "dnsbridge:$bridge_tcp:$bridge_tls:$bridge_pid" "haproxy:$hap_tcp:$hap_tls:$hap_pid" \
    "nginx:$ng_tcp:$ng_tls:$ng_pid,$ng_workers" <<'PY'
import multiprocessing, selectors, socket, ssl, sys, time
n, host, up, tls_up = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
relays = [r.split(":") for r in sys.argv[5:]]

def target(ports, held):
    # Accepts and holds every connection, reading (and dropping) what arrives, closing on the peer's end of stream.
    sel = selectors.DefaultSelector()
    for port in ports:
        l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind(("127.0.0.1", port)); l.listen(4096); l.setblocking(False); sel.register(l, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    c, _ = key.fileobj.accept()
                except OSError:
                    continue
                c.setblocking(False); sel.register(c, selectors.EVENT_READ, 1)
                with held.get_lock(): held.value += 1
            else:
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fileobj); key.fileobj.close()
                    with held.get_lock(): held.value -= 1

def rss(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) * 1024
        except (OSError, StopIteration):
            pass
    return total

def wait(cond, seconds):
    end = time.monotonic() + seconds
    while not cond() and time.monotonic() < end:
        time.sleep(0.2)
    return cond()

ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
bio_in, bio_out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(bio_in, bio_out, server_hostname=host)
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = bio_out.read()

held = multiprocessing.Value("i", 0)
multiprocessing.Process(target=target, args=([up, tls_up], held), daemon=True).start()
time.sleep(1)
for name, tcp_port, tls_port, pids in relays:
    pids = [p for p in pids.split(",") if p]
    for path, port in (("port forward", int(tcp_port)), ("passthrough", int(tls_port))):
        time.sleep(2)
        before = rss(pids)
        socks = []
        for i in range(n):
            # Several source addresses, so the client side never runs short of ephemeral ports.
            s = socket.socket(); s.bind((f"127.0.0.{2 + i % 8}", 0)); s.connect(("127.0.0.1", port))
            if path == "passthrough":
                s.sendall(hello)
            socks.append(s)
        ok = wait(lambda: held.value >= n, 120)
        time.sleep(2)
        during = rss(pids)
        per = (during - before) // n if ok else "-"
        print(f"| {name} | {path} | {held.value if ok else f'{held.value} (of {n})'} | {before / 2**20:.0f} | {during / 2**20:.0f} | {per} |", flush=True)
        for s in socks:
            s.close()
        wait(lambda: held.value == 0, 60)
PY
  exit 0
fi

tcp_port() { case $1 in direct) echo "$up" ;; dnsbridge) echo "$bridge_tcp" ;; haproxy) echo "$hap_tcp" ;; nginx) echo "$ng_tcp" ;; esac; }
tls_port() { case $1 in direct) echo "$tls_up" ;; dnsbridge) echo "$bridge_tls" ;; haproxy) echo "$hap_tls" ;; nginx) echo "$ng_tls" ;; esac; }
gbits() { iperf3 -c 127.0.0.1 -p "$1" -t "$duration" -P "$2" -J 2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9, 2))' || echo 0; }
# Two clients for $duration s of sequential new connections with SNI: "connections/s p99_ms".
tls_run() {
  python3 - "$1" "$host" "$work/tls.pem" "$duration" <<'PY'
import multiprocessing, socket, ssl, sys, time
port, host, ca, duration = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
def client(out):
    ctx = ssl.create_default_context(cafile=ca)
    samples, end = [], time.monotonic() + duration
    while time.monotonic() < end:
        t = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as s:
            with ctx.wrap_socket(s, server_hostname=host):
                samples.append((time.perf_counter() - t) * 1000)
    out.put(samples)
q = multiprocessing.Queue()
ps = [multiprocessing.Process(target=client, args=(q,)) for _ in range(2)]
for p in ps: p.start()
samples = sorted(q.get() + q.get())
for p in ps: p.join()
print(round(len(samples) / duration), round(samples[max(0, int(len(samples) * 0.99) - 1)], 2))
PY
}
rss() { local total=0; for p in "$@"; do v=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$p/status" 2>/dev/null || echo 0); total=$((total + v)); done; echo $total; }
median() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

results="$work/results"
order="direct dnsbridge haproxy nginx"
for run in $(seq "$runs"); do
  for t in $order; do
    echo "run $run/$runs: $t ..." >&2
    echo "$t bulk1 $(gbits "$(tcp_port $t)" 1)" >> "$results"
    echo "$t bulk8 $(gbits "$(tcp_port $t)" 8)" >> "$results"
    read -r rate p99 < <(tls_run "$(tls_port $t)")
    echo "$t tls $rate" >> "$results"
    echo "$t p99 $p99" >> "$results"
  done
done

med() { awk -v t="$1" -v m="$2" '$1 == t && $2 == m {print $3}' "$results" | median; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}x' if b else '-')" "$1" "$2"; }
ng_workers=$(pgrep -P "$ng_pid" | tr '\n' ' ')
declare -A peak=([direct]="-" [dnsbridge]=$(rss $bridge_pid) [haproxy]=$(rss $hap_pid) [nginx]=$(rss $ng_pid $ng_workers))

echo "Connection forwarding benchmark: ${duration}s per measurement, median of $runs interleaved run(s), loopback, $(nproc) cores shared by client, relay and server"
echo
echo "| relay | bulk 1 stream (Gbit/s) | bulk 8 streams (Gbit/s) | new TLS conn/s | p99 connect+handshake (ms) | peak RSS (MiB) | bulk 1 vs HAProxy | new conn/s vs HAProxy |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for t in $order; do
  echo "| $t | $(med $t bulk1) | $(med $t bulk8) | $(med $t tls) | $(med $t p99) | ${peak[$t]} | $(ratio "$(med $t bulk1)" "$(med haproxy bulk1)") | $(ratio "$(med $t tls)" "$(med haproxy tls)") |"
done
echo
echo "DnsBridge counted $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^dnsbridge_residual_connections_total/ {s += $2} END {print s}') residual connections; rejected: $(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^dnsbridge_rejected_connections_total/ {s += $2} END {print s}')"
