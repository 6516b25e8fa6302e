#!/usr/bin/env bash
# Installs everything trove needs to build, test, fuzz and benchmark on a
# fresh Debian 12 (bookworm). Idempotent: when every package is already
# installed it only checks (dpkg-query) and returns within a second.
#
#   bash scripts/setup.sh          # as root, or with sudo available
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config g++ clang libclang-rt-14-dev
  # libraries
  libpcap-dev libsqlite3-dev sqlite3 libssl-dev libcli11-dev nlohmann-json3-dev
  libtomlplusplus-dev libgtest-dev googletest libbenchmark-dev
  # test oracles and tools
  python3 tcpdump tshark wireshark-common tcpreplay libtrace-tools
  iproute2 iputils-ping time hyperfine valgrind util-linux procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  if [[ "$status" != ii* ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it up front.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
  "${SUDO[@]}" debconf-set-selections 2>/dev/null || true
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
echo "setup: done"
