#!/usr/bin/env bash
# Publishes DnsBridge (Release, framework-dependent, ReadyToRun) into the given directory. The Dockerfile's build
# stage runs exactly this, and so do the tests (tests/DnsBridge.FunctionalTests/Deploy), since no Docker engine runs there.
set -euo pipefail
out="${1:?usage: publish.sh OUTPUT_DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish "$root/src/DnsBridge/DnsBridge.csproj" -c Release -o "$out" --nologo -p:UseAppHost=true -p:PublishReadyToRun=true -p:DebugType=none
test -x "$out/dnsbridge"
