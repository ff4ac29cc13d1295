# DnsBridge container: the forwarder, the propagation monitor, the drain detector and the admin listener.
#   docker build -t dnsbridge .
#   export DNSBRIDGE__Listen__AdminToken="$(openssl rand -hex 32)"
#   docker run -p 8080:8080 -p 127.0.0.1:8081:8081 -e DNSBRIDGE__Listen__AdminToken -v $PWD/dnsbridge.json:/etc/dnsbridge/dnsbridge.json:ro -v dnsbridge-state:/var/lib/dnsbridge dnsbridge
# The build stage runs deploy/container/publish.sh, the same script the test suite runs: a Native AOT publish (it
# apt-gets clang and zlib1g-dev for the native link). The result is one native executable, so the final stage needs
# only the runtime's native dependencies, not the .NET or ASP.NET Core runtime.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN ./deploy/container/publish.sh /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS final
LABEL org.opencontainers.image.title="DnsBridge" \
      org.opencontainers.image.description="Safety net of a DNS cutover: forwards residual traffic to the target, watches DNS propagation, signals when the source can go." \
      org.opencontainers.image.source="https://example.invalid/dnsbridge" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /etc/dnsbridge /var/lib/dnsbridge && chown app:app /var/lib/dnsbridge
# The admin listener must be reachable from outside the container for Prometheus and the LB health check;
# inside the pod/container network that is what publishing 8081 means. Keep it off the public LB. Beyond loopback
# DnsBridge refuses to start without Listen:AdminToken: pass it at run time (-e DNSBRIDGE__Listen__AdminToken), never
# bake it into the image. /healthz (the HEALTHCHECK below) and /readyz need no token.
ENV DNSBRIDGE__Listen__Proxy=http://0.0.0.0:8080 \
    DNSBRIDGE__Listen__Admin=http://0.0.0.0:8081 \
    DNSBRIDGE__State__Path=/var/lib/dnsbridge/dnsbridge.db
USER app
VOLUME /var/lib/dnsbridge
EXPOSE 8080 8081
# No curl in the image: bash's /dev/tcp asks the admin listener for /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8081 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/dnsbridge"]
CMD ["serve", "--config", "/etc/dnsbridge/dnsbridge.json"]
