#!/usr/bin/env bash
# Publishes DnsBridge as a Native AOT executable (Release, self-contained linux-x64, no JIT: fast start, small RSS)
# into the given directory. The Dockerfile's build stage runs exactly this, and so do the tests
# (tests/DnsBridge.FunctionalTests/Deploy). The native link needs clang and zlib1g-dev: installed first when missing
# (tests/setup/install-packages.sh). Any trim/AOT warning fails the publish (TreatWarningsAsErrors in
# Directory.Build.props also covers the ILLink and ILCompiler warnings).
# With --restore instead of a directory: only the packages and the restore, for the Dockerfile's cached layer (the
# sources are not there yet); the publish that follows then restores nothing.
set -euo pipefail
out="${1:?usage: publish.sh OUTPUT_DIR | --restore}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/tests/setup/install-packages.sh" "$root/deploy/container/build-packages.txt"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
project="$root/src/DnsBridge/DnsBridge.csproj"
if [ "$out" = "--restore" ]; then
  exec dotnet restore "$project" -r linux-x64 -p:PublishAot=true --nologo
fi
dotnet publish "$project" -c Release -r linux-x64 -o "$out" --nologo \
  -p:PublishAot=true -p:DebugType=none -p:StripSymbols=true
test -x "$out/dnsbridge"
