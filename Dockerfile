# DnsBridge container: the forwarder, the propagation monitor, the drain detector and the admin listener.
#   docker build -t dnsbridge:1.0.0 .
#     (podman/buildah: add --format docker, or the HEALTHCHECK below is dropped: the OCI image format has no field
#     for it. Kubernetes ignores it either way: the probes in deploy/kubernetes/deployment.yaml are what counts.)
#   export DNSBRIDGE__Listen__AdminToken="$(openssl rand -hex 32)"
#   docker run --stop-timeout 60 -p 8080:8080 -p 127.0.0.1:8081:8081 -e DNSBRIDGE__Listen__AdminToken \
#     -v $PWD/config:/etc/dnsbridge:ro -v dnsbridge-state:/var/lib/dnsbridge dnsbridge:1.0.0
# Mount the directory that holds dnsbridge.json, not the file alone: an edit by rename (what editors and config
# management do) never reaches a container that has the old file bind-mounted. --stop-timeout 60: DnsBridge gives
# requests in flight 45 s after SIGTERM and then flushes its state; the engine's default of 10 s would cut both.
#
# The build stage runs deploy/container/publish.sh, the same script the test suite runs: a Native AOT publish (it
# apt-gets clang and zlib1g-dev for the native link). The result is one native executable, so the final stage needs
# only the runtime's native dependencies, not the .NET or ASP.NET Core runtime.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The restore layer: only what decides the packages, so that a source change starts at the publish below instead of
# installing the linker and restoring again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY tests/setup/install-packages.sh tests/setup/
COPY deploy/container/ deploy/container/
COPY src/DnsBridge/DnsBridge.csproj src/DnsBridge/
RUN ./deploy/container/publish.sh --restore
COPY .editorconfig ./
# The config schema is embedded in the executable (init writes it beside a new config).
COPY config/dnsbridge.schema.json config/
COPY src/ src/
RUN ./deploy/container/publish.sh /app \
 && mkdir -p /rootfs/etc/dnsbridge /rootfs/var/lib/dnsbridge

# Chiseled on purpose: no shell, no package manager, nothing but the native libraries (about 30 MB smaller than
# runtime-deps:10.0 and far less to patch). Nothing needs a shell here: the HEALTHCHECK is the binary's own `health`
# verb and the Kubernetes preStop is the kubelet's native sleep action. To look around in a running container, attach
# a debug container (kubectl debug, or docker run --pid container:NAME with any image). Hence no RUN in this stage:
# the directories come from the build stage.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS final
LABEL org.opencontainers.image.title="DnsBridge" \
      org.opencontainers.image.description="Safety net of a DNS cutover: forwards residual traffic to the target, watches DNS propagation, signals when the source can go." \
      org.opencontainers.image.source="https://example.invalid/dnsbridge" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
COPY --from=build /app .
COPY --from=build /rootfs/etc/dnsbridge /etc/dnsbridge
COPY --from=build --chown=1654:1654 /rootfs/var/lib/dnsbridge /var/lib/dnsbridge
# The admin listener must be reachable from outside the container for Prometheus and the LB health check;
# inside the pod/container network that is what publishing 8081 means. Keep it off the public LB. Beyond loopback
# DnsBridge refuses to start without Listen:AdminToken: pass it at run time (-e DNSBRIDGE__Listen__AdminToken), never
# bake it into the image. /healthz (the HEALTHCHECK below) and /readyz need no token.
ENV DNSBRIDGE__Listen__Proxy=http://0.0.0.0:8080 \
    DNSBRIDGE__Listen__Admin=http://0.0.0.0:8081 \
    DNSBRIDGE__State__Path=/var/lib/dnsbridge/dnsbridge.db
# app (uid 1654) of the base image; numeric so that runAsNonRoot can verify it.
USER 1654
VOLUME /var/lib/dnsbridge
EXPOSE 8080 8081
# The health verb reads the same file and DNSBRIDGE__ environment as serve: a moved admin listener is followed.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/app/dnsbridge", "health", "--config", "/etc/dnsbridge/dnsbridge.json"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/dnsbridge"]
CMD ["serve", "--config", "/etc/dnsbridge/dnsbridge.json"]
