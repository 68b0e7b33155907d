# syntax=docker/dockerfile:1
#
# Spillway data-plane node: the OpenAI/Anthropic-compatible gateway on the request path. Build from the repository
# root:
#
#   docker build -f deploy/docker/node.Dockerfile -t spillway/node .
#
# BuildKit (the default builder since Docker 23) is required: the build uses a cache mount for ~/.m2, and it
# reads node.Dockerfile.dockerignore beside this file, which keeps .git, .spillway/ (local secrets and database
# files) and stale target/ directories out of the build context.

ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
# The Ubuntu-based JRE image (not -alpine): Netty's native epoll transport needs glibc, and bash runs the
# health check.
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

# ---------------------------------------------------------------------------------------------------------------
FROM ${MAVEN_IMAGE} AS build
WORKDIR /src
COPY . .
# Same instruction as in control-plane.Dockerfile, so BuildKit builds both deployables once and shares the layer.
# -DskipTests: the tests run in CI (.ci/run) with services an image build does not have; tests still compile.
RUN --mount=type=cache,id=spillway-m2,target=/root/.m2/repository,sharing=locked \
    mvn -B -q -DskipTests -pl control-plane,data-plane -am package
# The shaded jar (classifier "node") carries every dependency and the NodeMain manifest entry.
RUN cp "$(ls data-plane/target/data-plane-*-node.jar)" /spillway-node.jar

# ---------------------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

LABEL org.opencontainers.image.title="spillway-node" \
      org.opencontainers.image.description="Spillway AI gateway data-plane node (OpenAI- and Anthropic-compatible)"

# A fixed, non-root UID/GID (not 1000, which the Ubuntu base image gives to its "ubuntu" user) so Kubernetes
# runAsNonRoot can verify it and the state volume's ownership is predictable.
ARG SPILLWAY_UID=10001
RUN groupadd --system --gid "${SPILLWAY_UID}" spillway \
 && useradd --system --uid "${SPILLWAY_UID}" --gid spillway --home-dir /opt/spillway --no-create-home \
            --shell /usr/sbin/nologin spillway \
 && install -d -o "${SPILLWAY_UID}" -g "${SPILLWAY_UID}" -m 0750 /var/lib/spillway /var/lib/spillway/node

COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/spillway-healthcheck
# Owned by root: the process can read but not rewrite its own code. node.jvm.options: the node's JVM options (GC,
# young generation, exit on OutOfMemoryError), the same file ./spillway starts nodes with.
COPY --from=build /spillway-node.jar /opt/spillway/spillway-node.jar
COPY data-plane/node.jvm.options /opt/spillway/node.jvm.options

# Heap at 50% of the memory limit, not the usual 75%: the node keeps request and response bodies (up to
# SPILLWAY_DP_MAX_BODY_BYTES each) in Netty's direct, off-heap buffers, which the JVM caps at the heap size by
# default; half the limit for the heap leaves that room without the kernel OOM-killing the container.
# Override the whole set with JAVA_OPTS at run time (it comes after node.jvm.options, so its flags win).
ENV JAVA_OPTS="-XX:MaxRAMPercentage=50 -Dfile.encoding=UTF-8" \
    SPILLWAY_DP_PORT=8000 \
    SPILLWAY_NODE_STATE_DIR=/var/lib/spillway/node

# The last good snapshot (static stability: a node that cannot reach the control plane at boot serves from it).
# Nodes are otherwise stateless; a fresh volume only means the node needs the control plane once before it becomes ready.
# Declared after the directory got its owner, so a new volume starts out writable by the node user.
VOLUME ["/var/lib/spillway/node"]

USER ${SPILLWAY_UID}:${SPILLWAY_UID}
WORKDIR /opt/spillway
EXPOSE 8000

# /readyz = 200 only with a valid config snapshot: an unhealthy node is one that cannot serve traffic yet.
# Shell form so SPILLWAY_DP_PORT is read at run time (keep it in sync if you pass --port instead).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD spillway-healthcheck "${SPILLWAY_DP_PORT:-8000}" /readyz

# sh -c only to expand JAVA_OPTS; exec hands PID 1 to the JVM so SIGTERM reaches the node's shutdown hook
# directly. Arguments after the image name (--port N, --state-dir DIR) are passed on to NodeMain.
ENTRYPOINT ["/bin/sh", "-c", "exec java @/opt/spillway/node.jvm.options $JAVA_OPTS -jar /opt/spillway/spillway-node.jar \"$@\"", "spillway-node"]
