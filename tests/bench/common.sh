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
