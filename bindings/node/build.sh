#!/bin/sh
# Builds the addon, build/qwen3vl.node, with the C compiler against Node's headers (no node-gyp, no
# download): NODE_INCLUDE names the headers' directory (default: include/node beside the bin/ of the
# node on PATH, /usr/include/node for Debian's), pkg-config finds libqwen3vl (set PKG_CONFIG_PATH
# for an uninstalled build).
set -eu
cd "$(dirname "$0")"
NODE_INCLUDE=${NODE_INCLUDE:-$(node -p 'require("path").resolve(process.execPath, "../../include/node")')}
mkdir -p build
# shellcheck disable=SC2046
${CC:-cc} -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -I"$NODE_INCLUDE" \
  $(pkg-config --cflags qwen3vl) src/addon.c $(pkg-config --libs qwen3vl) -o build/qwen3vl.node
