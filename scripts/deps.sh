#!/usr/bin/env bash
# Installs what kfk needs to build and test on Debian 12 (or a close
# relative): compilers and tools, MIT Kerberos (the test KDC), the
# Perl/Ruby/Python test dependencies, Go modules and the Kafka broker jars
# (the current release, and the 3.9 compatibility release the Go tests check
# against). Idempotent and quiet when everything is there: each part is
# checked first, and apt-get update runs only when a package is missing.
# Needs no terminal and no stdin.
#
#   KFK_SKIP_KAFKA=1     skip the Kafka jars
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
[ -d /usr/local/go/bin ] && PATH="/usr/local/go/bin:$PATH"
exec </dev/null

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
say() { echo "deps: $*"; }

# Java 17 or newer, somewhere the broker script looks for it.
java_ok() {
  local j v
  for j in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$j" ] && [ -x "$j" ] || continue
    v=$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n1)
    [ -n "$v" ] && [ "$v" -ge 17 ] && return 0
  done
  return 1
}

# ---- Debian packages ------------------------------------------------------------
packages=(
  gcc make cmake pkg-config openssl ca-certificates git valgrind
  kcat librdkafka-dev
  krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit
  perl libffi-platypus-perl libev-perl libanyevent-perl
  ruby ruby-dev ruby-ffi ruby-minitest
  python3 pypy3 pypy3-venv
)
java_ok || packages+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)

# Python test dependencies missing from this interpreter (names only).
py_missing=$(python3 - tests/requirements.txt <<'EOF' 2>/dev/null || echo all
import re, sys
from importlib import metadata
missing = []
for line in open(sys.argv[1]):
    name = re.split(r"[\s<>=!~;\[#]", line.strip(), maxsplit=1)[0]
    if name:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
print(" ".join(missing))
EOF
)
if [ -n "$py_missing" ] && ! python3 -m pip --version >/dev/null 2>&1; then
  packages+=(python3-pip)
fi

missing=()
while read -r name status; do
  [ "$status" = "ii" ] || missing+=("$name")
done < <(for p in "${packages[@]}"; do
  s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | tr -d ' ' || true)
  echo "$p ${s:-none}"
done)

# The Kerberos packages are only for the test KDC that tests/kafka/kafka runs
# on loopback with configs of its own (krb5kdc, kdb5_util: krb5-kdc;
# kadmin.local: krb5-admin-server; kinit, which librdkafka runs: krb5-user;
# the GSSAPI plugin of Cyrus SASL, which librdkafka/kcat use:
# libsasl2-modules-gssapi-mit). No system KDC or kadmind may run: debconf
# is told not to write /etc/krb5kdc/kdc.conf, no service starts during the
# install (policy-rc.d), and neither is enabled at boot.
policy_rc=""
no_service_starts() {
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    trap '$SUDO rm -f $policy_rc' EXIT
    $SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
  fi
}
disable_krb5_services() {
  local s
  for s in krb5-kdc krb5-admin-server; do
    $SUDO update-rc.d "$s" disable >/dev/null 2>&1 || true
    $SUDO deb-systemd-helper disable "$s.service" >/dev/null 2>&1 || true
  done
}

if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_opts=(-q -y -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  echo "krb5-kdc krb5-kdc/debconf boolean false" | $SUDO debconf-set-selections
  no_service_starts
  $SUDO apt-get -o DPkg::Lock::Timeout=900 -qq update
  $SUDO apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$policy_rc" ] || $SUDO rm -f "$policy_rc"
  disable_krb5_services
fi

# ---- Python ----------------------------------------------------------------------
if [ -n "$py_missing" ]; then
  say "pip install -r tests/requirements.txt ($py_missing missing)"
  pip_args=(-q install -r tests/requirements.txt)
  # Debian marks its Python as externally managed (PEP 668).
  if python3 -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
    pip_args+=(--break-system-packages)
  fi
  python3 -m pip "${pip_args[@]}"
fi

# ---- PyPy --------------------------------------------------------------------------
# The Python suite runs under PyPy too (make test-python), in a venv of
# Debian's pypy3 with pytest; confluent-kafka has no PyPy build, and its
# tests skip there.
PYPY_VENV=build/pypy-venv
if ! "$PYPY_VENV/bin/python" -c 'import pytest' >/dev/null 2>&1; then
  say "pytest for pypy3 in $PYPY_VENV"
  rm -rf "$PYPY_VENV"
  pypy3 -m venv "$PYPY_VENV"
  "$PYPY_VENV/bin/python" -m pip -q install 'pytest>=7'
fi

# ---- Go ----------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  say "Go is missing: kfk needs the Go release named in go.mod (Debian's is too old)"
  exit 1
fi
go mod download
(cd bench/go && go mod download)   # franz-go, for the benchmark

# ---- Kafka -------------------------------------------------------------------------
if [ "${KFK_SKIP_KAFKA:-0}" != 1 ]; then
  tests/kafka/kafka fetch --compat >/dev/null
fi
say "ready"
