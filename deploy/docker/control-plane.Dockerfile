# syntax=docker/dockerfile:1
#
# Spillway control plane: admin API, dashboard, snapshot publisher. Build from the repository root:
#
#   docker build -f deploy/docker/control-plane.Dockerfile -t spillway/control-plane .
#
# BuildKit (the default builder since Docker 23) is required: the build uses a cache mount for ~/.m2, and it
# reads control-plane.Dockerfile.dockerignore beside this file, which keeps .git, .spillway/ (local secrets and
# database files) and stale target/ directories out of the build context.

ARG MAVEN_IMAGE=maven:3.9-eclipse-temurin-17
# The Ubuntu-based JRE image (not -alpine): it has bash for the health check and glibc for Netty/JDBC natives.
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

# ---------------------------------------------------------------------------------------------------------------
FROM ${MAVEN_IMAGE} AS build
WORKDIR /src
COPY . .
# Both deployables are built in both Dockerfiles on purpose: the instruction and its inputs are identical, so
# BuildKit runs Maven once and the second image reuses this layer. -DskipTests: the tests run in CI (.ci/run),
# they need PostgreSQL and browsers that an image build does not have; tests are still compiled.
# The cache id is shared by both Dockerfiles; sharing=locked because a Maven local repository is not safe for
# two concurrent writers.
RUN --mount=type=cache,id=spillway-m2,target=/root/.m2/repository,sharing=locked \
    mvn -B -q -DskipTests -pl control-plane,data-plane -am package
# Spring Boot's layered extraction: third-party libraries (rarely change) and the application (changes every
# build) become separate image layers, so a code change pushes a few hundred KB instead of the whole fat jar.
# The mkdir keeps the COPYs below valid if a layer is ever empty (e.g. no SNAPSHOT dependencies on a release).
RUN set -eux; \
    jar="$(ls control-plane/target/control-plane-*-exec.jar)"; \
    java -Djarmode=tools -jar "$jar" extract --layers --application-filename application.jar \
        --destination /extracted; \
    mkdir -p /extracted/dependencies /extracted/spring-boot-loader /extracted/snapshot-dependencies \
             /extracted/application; \
    test -f /extracted/application/application.jar

# ---------------------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

LABEL org.opencontainers.image.title="spillway-control-plane" \
      org.opencontainers.image.description="Spillway AI gateway control plane: admin API, dashboard, config snapshots"

# A fixed, non-root UID/GID (not 1000, which the Ubuntu base image gives to its "ubuntu" user) so Kubernetes
# runAsNonRoot can verify it and volume permissions are predictable.
ARG SPILLWAY_UID=10001
RUN groupadd --system --gid "${SPILLWAY_UID}" spillway \
 && useradd --system --uid "${SPILLWAY_UID}" --gid spillway --home-dir /opt/spillway --no-create-home \
            --shell /usr/sbin/nologin spillway

COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/spillway-healthcheck

# Application files stay owned by root: the process can read but not rewrite its own code.
WORKDIR /opt/spillway
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./

# Container-aware heap: 75% of the memory limit (the rest covers metaspace, thread stacks, Tomcat's buffers and
# the JDBC driver). ExitOnOutOfMemoryError: a JVM that ran out of heap is in an unknown state, so let the
# orchestrator restart it instead of limping on. Override the whole set with JAVA_OPTS at run time.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -Dfile.encoding=UTF-8" \
    SPILLWAY_CP_PORT=8080

USER ${SPILLWAY_UID}:${SPILLWAY_UID}
EXPOSE 8080

# /healthz = the process is up (liveness). Shell form so SPILLWAY_CP_PORT is read at run time. start-period
# covers JVM start plus the Flyway migrations of a first boot.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD spillway-healthcheck "${SPILLWAY_CP_PORT:-8080}" /healthz

# sh -c only to expand JAVA_OPTS; exec hands PID 1 to the JVM so SIGTERM from `docker stop` or Kubernetes starts
# Spring's graceful shutdown (server.shutdown=graceful) directly. Arguments after the image name are passed on.
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar /opt/spillway/application.jar \"$@\"", "spillway-control-plane"]
