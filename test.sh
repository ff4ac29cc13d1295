#!/usr/bin/env bash
# The whole test suite: installs the system packages the tests use (dnsmasq, unbound, prometheus/promtool,
# alertmanager, chromium ...) when missing, builds once, then runs the unit tests (seconds, no sockets) and the
# functional tests (real servers on loopback). TRX results land in TestResults/, one file per project.
# Extra arguments go to both `dotnet test` runs (e.g. --filter "FullyQualifiedName~Drain").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tests/setup/install-packages.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf TestResults
dotnet build DnsBridge.sln -c Release
status=0
for project in UnitTests FunctionalTests; do
  dotnet test "tests/DnsBridge.$project/DnsBridge.$project.csproj" -c Release --no-build \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" --results-directory TestResults "$@" || status=$?
done
exit "$status"
