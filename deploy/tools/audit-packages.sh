#!/usr/bin/env bash
# The NuGet vulnerability audit, kept out of the build (NuGetAudit is off in Directory.Build.props, so that a new
# advisory cannot fail a rebuild of an old commit): restores, then lists every direct and transitive package with a
# known advisory. Exit 0 none, 1 vulnerable packages found (the report says which and how severe), 2 the audit could
# not run (no advisory data, restore failed). Run it on a schedule and before a release.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore DnsBridge.sln --nologo -v quiet || exit 2
report="$(dotnet list DnsBridge.sln package --vulnerable --include-transitive 2>&1)" || { echo "$report" >&2; exit 2; }
echo "$report"
if grep -q "has the following vulnerable packages" <<<"$report"; then
  exit 1
fi
