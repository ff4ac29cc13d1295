# Shared by the benchmark scripts (sourced): installs their Debian packages, makes a work directory, and on exit
# stops every process recorded in $pids and removes the directory (KEEP_WORK=1 keeps it, to read the logs).
#   bench_setup NAME     sets $work; add background processes with: cmd & pids+=($!)
bench_setup() {
  "$root/tests/setup/install-packages.sh" "$here/packages.txt"
  work="$(mktemp -d "/tmp/dnsbridge-$1.XXXXXX")"
  pids=()
  trap bench_cleanup EXIT
  echo "building (Release) ..." >&2
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}

# Sets $bin to a directory holding the dnsbridge executable: the one given (--bin), else the Native AOT build,
# published into $work as the container's is.
bench_dnsbridge() {
  if [ -z "$bin" ]; then
    bin="$work/dnsbridge"
    "$root/deploy/container/publish.sh" "$bin" >/dev/null
  fi
  [ -x "$bin/dnsbridge" ] || { echo "no dnsbridge executable in $bin" >&2; exit 2; }
}

# An nginx on 127.0.0.1:PORT answering 200 "ok" to everything: the target of the start and scale benchmarks.
bench_ok_target() {
  cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$1; location / { return 200 "ok"; } } }
CONF
  nginx -c "$work/nginx.conf" & pids+=($!)
}

# The status code of the first answer of 127.0.0.1:PORT to a GET / for HOST, polling until one comes. No process per
# attempt (bash's /dev/tcp; a read with a timeout on a FIFO nobody writes is a 5 ms sleep without a fork), so polling
# takes no CPU from the process that is starting.
bench_first_answer() {
  local status line
  [ -p "$work/never" ] || mkfifo "$work/never"
  exec 4<>"$work/never"
  while read -rt 0.005 -u 4 _ || true; do
    if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
      printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" >&3
      read -r line <&3 || line=""
      exec 3>&-
      status=$(awk '{print $2}' <<<"$line")
      [ -n "$status" ] && { echo "$status"; return; }
    fi
  done
}

# CPU time (user + system) of process PID so far, in ms.
bench_cpu_ms() { sed 's/.*) //' "/proc/$1/stat" | awk -v k="$(getconf CLK_TCK)" '{ printf "%d", ($12 + $13) * 1000 / k }'; }

# The median of the numbers on stdin, one a line.
bench_median() { sort -n | awk '{a[NR]=$1} END { if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
