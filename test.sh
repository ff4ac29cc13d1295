#!/usr/bin/env bash
# The whole test suite: installs the system packages the tests use (dnsmasq, unbound, prometheus/promtool,
# alertmanager, chromium ...) when missing, then runs every xunit test of the solution against real servers
# on loopback. TRX results land in TestResults/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tests/setup/install-packages.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf TestResults
dotnet test DnsBridge.sln -c Release --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory TestResults "$@"
