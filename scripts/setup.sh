#!/usr/bin/env bash
# Installs the Debian 12 packages Weft builds, tests and benchmarks with.
# Idempotent and non-interactive: only what is missing is installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libcaf-dev libnats-dev nats-server
  libpq-dev postgresql
  nlohmann-json3-dev libspdlog-dev catch2
  libboost-dev libboost-system-dev prometheus-cpp-dev libsodium-dev libssl-dev
  curl libcurl4-openssl-dev wrk nginx python3 openssl libyaml-cpp-dev
  clang libclang-rt-14-dev llvm  # make fuzz / fuzz-smoke: libFuzzer, ASan, UBSan, symbolizer
  lld                            # the linker of every build (faster than ld.bfd)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
