#!/usr/bin/env bash
# Installs everything kfk needs to build and test on a Debian/Ubuntu machine:
# compilers and tools, Perl/Ruby/Python test dependencies, Go modules and the
# Kafka broker jars. Idempotent: what is present is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages, each checked before apt is asked for anything.
packages=(
  gcc make cmake pkg-config openssl ca-certificates git
  maven valgrind kcat librdkafka-dev
  perl libffi-platypus-perl libev-perl libanyevent-perl
  ruby ruby-dev ruby-ffi ruby-minitest
  python3 python3-pip
)
command -v java >/dev/null 2>&1 || packages+=(default-jdk-headless)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go toolchain: the machine's own (go.mod asks for 1.26).
command -v go >/dev/null 2>&1 || { echo "deps: Go 1.26 is required (https://go.dev/dl)"; exit 1; }
go mod download

# Python test dependencies.
if ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install -q -r tests/requirements.txt || python3 -m pip install -q --break-system-packages -r tests/requirements.txt
fi

# The Kafka broker jars (and, on request, a 3.9 release for compatibility runs).
tests/kafka/kafka fetch >/dev/null
if [ "${KFK_FETCH_COMPAT:-0}" = 1 ]; then
  KAFKA_VERSION=3.9.1 tests/kafka/kafka fetch >/dev/null
fi
echo "deps: ready"
