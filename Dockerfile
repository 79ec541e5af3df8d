# syntax=docker/dockerfile:1
#
# The ingest image: the distribution of ingest-cli (bin/, lib/, plugins/) on a Java 17 runtime, run as a
# non-root user. nats-server is not included: point --queue-endpoint at a JetStream-enabled server.
#
#   docker build --build-arg GIT_COMMIT="$(git rev-parse --short=12 HEAD)" -t ingest:0.1.0 .
#   docker run --rm ingest:0.1.0 --version
#   docker run --rm -p 9090:9090 -v "$PWD/ingest.yaml:/etc/ingest/ingest.yaml:ro" ingest:0.1.0 \
#       --mode=all --config=/etc/ingest/ingest.yaml --queue-endpoint=nats://nats.example:4222
#
# ingest-cli/src/test/java/dev/ingest/cli/DockerfileIT.java checks this file against the build output.

ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

# ---- build: the whole reactor, tests skipped (they need nats-server and run in CI instead) ----------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
# The commit `ingest --version` prints: the build context holds no .git (see .dockerignore).
ARG GIT_COMMIT=unknown
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -DskipTests -Dingest.git.commit="${GIT_COMMIT}" package

# ---- runtime -------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="ingest" \
      org.opencontainers.image.description="Keeps objects flowing from any API into object storage through NATS JetStream." \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 ingest \
 && useradd --system --uid 10001 --gid ingest --home-dir /home/ingest --create-home --shell /usr/sbin/nologin ingest
# Owned by root and read-only for the user that runs it.
COPY --from=build /src/ingest-cli/target/ingest/ /opt/ingest/
ENV PATH="/opt/ingest/bin:${PATH}" \
    JAVA_OPTS="-XX:MaxRAMPercentage=75"
USER 10001:10001
WORKDIR /home/ingest
# --listen (default :9090): /live, /ready and /metrics
EXPOSE 9090
ENTRYPOINT ["/opt/ingest/bin/ingest"]
CMD ["--help"]
