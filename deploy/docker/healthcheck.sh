#!/usr/bin/env bash
# spillway-healthcheck PORT PATH
#
# Exits 0 when GET http://127.0.0.1:PORT/PATH answers 200, 1 otherwise. Used by the images' HEALTHCHECK.
#
# Why not curl or wget: the eclipse-temurin images stopped shipping them (curl is gone from the newer tags,
# wget from others), and installing one only for a health check adds a package and its CVEs to every image.
# Why not Java: a JVM per probe costs ~50 MB and a CPU spike every few seconds, and the JRE image has no
# compiler for a single-file source program. bash's /dev/tcp is in the Ubuntu base image already.
#
# HTTP/1.0 with "Connection: close" so both servers (Tomcat, Netty) answer once and close; only the status
# line is read. The whole probe is bounded by `timeout` as well as by Docker's --timeout.
set -u

port=${1:?usage: spillway-healthcheck PORT PATH}
path=${2:?usage: spillway-healthcheck PORT PATH}

# What it prints ends up in `docker inspect --format '{{json .State.Health}}'`, so failures say why.
probe() {
  if ! exec 3<>"/dev/tcp/127.0.0.1/$1"; then
    echo "GET $2: nothing listens on 127.0.0.1:$1"
    exit 1
  fi
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&3 || exit 1
  local proto status
  IFS=' ' read -r proto status _ <&3 || { echo "GET $2: no response"; exit 1; }
  exec 3<&- 3>&-
  if [[ $proto == HTTP/* && $status == 200 ]]; then
    echo "GET $2: 200"
  else
    echo "GET $2: ${status:-no status}"
    exit 1
  fi
}

# Docker reads exit code 1 as unhealthy and reserves 2, so every failure (including timeout's 124) becomes 1.
export -f probe
# shellcheck disable=SC2016  # $1 and $2 are expanded by the inner bash, from the arguments after the script.
timeout 4 bash -c 'probe "$1" "$2"' spillway-healthcheck "$port" "$path" 2>/dev/null
rc=$?
if [[ $rc == 124 ]]; then
  echo "GET $path: no answer within 4s"
fi
[[ $rc == 0 ]] || exit 1
