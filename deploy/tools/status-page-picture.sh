#!/usr/bin/env bash
# Regenerates the README's picture of the status page (docs/images/status-page.png) from a running demo: builds,
# starts `dnsbridge demo` on loopback, waits until DNS has switched and about half of the resolvers answer the
# target (the map then shows both answers, the charts the switch), then has the system Chromium take a screenshot of
# the cutover's page. Needs chromium (tests/setup/system-packages.txt) and the .NET SDK.
#   deploy/tools/status-page-picture.sh [OUTPUT.png]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${1:-docs/images/status-page.png}"
port="${ADMIN_PORT:-18581}"
dotnet build src/DnsBridge/DnsBridge.csproj -c Release -v quiet -nologo >/dev/null
mkdir -p "$(dirname "$out")"
log="$(mktemp)"
dotnet src/DnsBridge/bin/Release/net10.0/dnsbridge.dll demo --admin-port "$port" --proxy-port 0 --no-live >"$log" 2>&1 &
demo=$!
trap 'kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -f "$log"' EXIT

# Bounded: the demo switches DNS after 4 s and its resolvers flip between 8 s and 36 s.
halfway() {
  curl -fsS "http://127.0.0.1:$port/api/cutovers/shop" 2>/dev/null | grep -Eo '"ratio":[0-9.]+' | head -1 | cut -d: -f2 |
    awk '{ exit !($1 >= 0.35 && $1 <= 0.75) }'
}
for _ in $(seq 1 400); do
  if halfway; then break; fi
  sleep 0.2
done
halfway || { echo "the demo never reached half propagation:" >&2; cat "$log" >&2; exit 1; }

profile="$(mktemp -d)"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" --window-size=1300,1500 \
  --virtual-time-budget=5000 --screenshot="$out" "http://127.0.0.1:$port/cutovers/shop" 2>/dev/null
rm -rf "$profile"
echo "$out: $(stat -c %s "$out") bytes"
