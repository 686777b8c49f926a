#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if any is missing. Only Debian
# packages: Swift 6.3 is not one (README.md, "Building from source"); the tests' Python tools come
# from PyPI into a virtualenv of their own.
set -euo pipefail
need=(pkg-config libcurl4-openssl-dev libjansson-dev libuv1-dev python3 python3-venv valgrind gcc make binutils openssl nginx-light
      cmake doxygen dpkg-dev lintian)
need+=(sqlite3 libsqlite3-dev)  # the SQLite extension and its tests
# The image codecs of the client-side resize: headers to build, libraries (dlopen'ed) to run the tests.
need+=(libjpeg62-turbo-dev libspng-dev libwebp-dev libjpeg62-turbo libspng0 libwebp7 libwebpdemux2)
need+=(g++ golang-go luajit)  # the C++, Go and LuaJIT bindings and their tests
need+=(libc6-dev-arm64-cross)  # the C shims' compile check for 64-bit ARM
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
