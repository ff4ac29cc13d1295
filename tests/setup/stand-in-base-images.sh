#!/usr/bin/env bash
# Builds local stand-ins for the Dockerfile's two Microsoft base images, which cannot be pulled here, under their
# real names in the podman storage in use (CONTAINERS_CONF / CONTAINERS_STORAGE_CONF), from the host's own Debian
# sources with mmdebstrap:
# - mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled: like the real one, only the native libraries a .NET
#   app needs (libc, libgcc, libstdc++, libssl, zlib, tzdata), the CA bundle and the `app` user (uid 1654); packages
#   extracted, not installed, so there is no shell, no package manager and nothing else.
# - mcr.microsoft.com/dotnet/sdk:10.0: a Debian root filesystem with apt (publish.sh installs clang there), this
#   machine's .NET SDK, and its CA bundle, so that restores inside the build trust what the host trusts.
# Used by the container tests (tests/DnsBridge.FunctionalTests/Deploy/ImageFixture.cs).
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
. /etc/os-release
suite="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
mirrors=()
for s in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
  [ -s "$s" ] && mirrors+=("$s")
done
sdk="$(dirname "$(readlink -f "$(command -v dotnet)")")"
bundle=/etc/ssl/certs/ca-certificates.crt
apt_opts=(--quiet --mode=root --aptopt='Acquire::Check-Valid-Until "false"')

users='mkdir -p "$1/etc" "$1/home/app" "$1/tmp" && chmod 1777 "$1/tmp" && chown 1654:1654 "$1/home/app"
printf "root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:1654:1654::/home/app:/usr/sbin/nologin\n" > "$1/etc/passwd"
printf "root:x:0:\napp:x:1654:\n" > "$1/etc/group"'
mmdebstrap "${apt_opts[@]}" --variant=extract --include=libc6,libgcc-s1,libstdc++6,libssl3,zlib1g,tzdata \
  --customize-hook="$users" --customize-hook="mkdir -p \"\$1/etc/ssl/certs\" && cp $bundle \"\$1$bundle\"" \
  --customize-hook='rm -rf "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/locale "$1"/var/lib/apt "$1"/var/cache/apt' \
  "$suite" "$work/runtime-deps.tar" "${mirrors[@]}"
podman import --quiet --change 'ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true' \
  "$work/runtime-deps.tar" mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled >/dev/null

mmdebstrap "${apt_opts[@]}" --variant=minbase --include=ca-certificates,libicu72,libssl3,zlib1g \
  --customize-hook='chroot "$1" useradd --uid 1654 --user-group --create-home app' \
  --customize-hook="mkdir -p \"\$1/usr/share/dotnet\" && cp -a \"$sdk/.\" \"\$1/usr/share/dotnet/\" && ln -s /usr/share/dotnet/dotnet \"\$1/usr/bin/dotnet\"" \
  --customize-hook="cp $bundle \"\$1$bundle\"" \
  "$suite" "$work/sdk.tar" "${mirrors[@]}"
# NuGet's revocation setting is the host's: where the host cannot reach revocation servers, neither can the build.
podman import --quiet --change 'ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1' \
  ${NUGET_CERT_REVOCATION_MODE:+--change "ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE"} \
  "$work/sdk.tar" mcr.microsoft.com/dotnet/sdk:10.0 >/dev/null
