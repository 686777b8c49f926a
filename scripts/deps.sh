#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if any is missing.
set -euo pipefail
need=(pkg-config libcurl4-openssl-dev libjansson-dev libuv1-dev python3 python3-venv valgrind gcc g++ make binutils openssl nginx-light golang-go luajit)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The Node binding's addon needs Node's headers: Debian's nodejs + libnode-dev, unless a Node that
# has them is there already (NodeSource's nodejs package carries them, and conflicts with libnode-dev).
if ! command -v node >/dev/null || [[ ! -f /usr/include/node/node_api.h ]]; then missing+=(nodejs libnode-dev); fi
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
