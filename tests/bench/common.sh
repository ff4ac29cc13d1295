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
