#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make deb`: build/deb/libqwen3vl0_VERSION-1_ARCH.deb (the run-time library) and
# libqwen3vl-dev_VERSION-1_ARCH.deb (header, linker link, pkg-config and CMake files) from what
# `make` built, with dpkg-deb; no Debian source package. Depends come from dpkg-shlibdeps.
# VERSION and SONAME come from the Makefile.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${VERSION:?run through make deb}" "${SONAME:?run through make deb}"
here=packaging/deb
out=build/deb
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debversion=$VERSION-1
libdir=usr/lib/$multiarch
soversion=${SONAME#libqwen3vl.so.}
maintainer=${DEB_MAINTAINER:-The qwen3vl authors <maintainers@qwen3vl.invalid>}
runtime=libqwen3vl$soversion
# Before 1.0 a minor release may change the ABI (docs/ABI.md), so packages built against 0.y take
# 0.y.z only; from 1.0 any later release of the same SONAME.
if [[ $VERSION == 0.* ]]; then
  minor=${VERSION#0.}; minor=${minor%%.*}
  dep="$runtime (>= $VERSION), $runtime (<< 0.$((minor + 1)))"
else
  dep="$runtime (>= $VERSION)"
fi

rm -rf "$out"
mkdir -p "$out"
stage=$out/stage
make --no-print-directory install DESTDIR="$PWD/$stage" PREFIX=/usr LIBDIR="/$libdir" >/dev/null

# pkg_tree NAME: an empty package tree with its docs (copyright from LICENSE, changelogs), printed
pkg_tree() {
  local root=$out/$1 doc=$out/$1/usr/share/doc/$1
  mkdir -p "$root/DEBIAN" "$doc"
  { printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: qwen3vl\n\n'
    printf 'Files: *\nCopyright: %s\nLicense: Expat\n\nLicense: Expat\n' "$(sed -n 's/^Copyright (c) //p' LICENSE)"
    sed -e '1,/^Copyright/d' LICENSE | sed -e '/./,$!d' -e 's/^$/./' -e 's/^/ /'
  } > "$doc/copyright"
  { echo "qwen3vl ($debversion) unstable; urgency=medium"; echo
    echo "  * Built from the qwen3vl source tree by make deb; the upstream changes are"
    echo "    in changelog.gz."; echo
    echo " -- $maintainer  $(date -R -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
  } | gzip -9n > "$doc/changelog.Debian.gz"
  gzip -9nc CHANGELOG.md > "$doc/changelog.gz"
  # Built outside Debian's archive, so no ITP bug to close.
  mkdir -p "$root/usr/share/lintian/overrides"
  echo "$1: initial-upload-closes-no-bugs" > "$root/usr/share/lintian/overrides/$1"
  echo "$root"
}
# move_in ROOT PATH...: moves staged files into a package tree
move_in() {
  local root=$1 p; shift
  for p in "$@"; do mkdir -p "$root/$(dirname "$p")"; mv "$stage/$p" "$root/$p"; done
}
# control ROOT PACKAGE SECTION DEPENDS DESCRIPTION...: DEBIAN/control, with the tree's size
control() {
  local root=$1 package=$2 section=$3 depends=$4; shift 4
  { echo "Package: $package"
    echo "Source: qwen3vl"
    echo "Version: $debversion"
    echo "Architecture: $arch"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    echo "Depends: $depends"
    echo "Section: $section"
    echo "Priority: optional"
    echo "Multi-Arch: same"
    echo "Description: $1"
    shift
    printf ' %s\n' "$@"
  } > "$root/DEBIAN/control"
}
# finish ROOT: md5sums, modes, and the .deb
finish() {
  local root=$1
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0r md5sum) > "$root/DEBIAN/md5sums"
  find "$root" -type d -exec chmod 755 {} + && find "$root" -type f -exec chmod 644 {} +
  if [[ -d $root/usr/bin ]]; then chmod 755 "$root"/usr/bin/*; fi
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
}
about="libqwen3vl calls the vision-language model Qwen3-VL-32B-Instruct through an
OpenAI-compatible chat-completions endpoint (the AI/ML API by default, or vLLM,
DashScope, llama.cpp, Ollama by base URL): blocking, streamed and non-blocking
calls, local images and videos, image token counts and grounding boxes in
pixels."
mapfile -t about <<<"$about"

# The run-time library: the real file and its SONAME link; ldconfig runs through the trigger.
lib=$(pkg_tree "$runtime")
move_in "$lib" "$libdir/libqwen3vl.so.$VERSION" "$libdir/$SONAME"
# dpkg-shlibdeps reads debian/control of a source package; an empty one in a scratch folder serves.
mkdir -p "$out/shlibdeps/debian" && touch "$out/shlibdeps/debian/control"
depends=$(cd "$out/shlibdeps" && dpkg-shlibdeps -O "../$runtime/$libdir/libqwen3vl.so.$VERSION" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[[ $depends == *libcurl* && $depends == *libjansson* ]] || { echo "deb: dpkg-shlibdeps gave '$depends'" >&2; exit 1; }
control "$lib" "$runtime" libs "$depends" "Qwen3-VL client library for C" \
  "${about[@]}" "." "This package holds the shared library."
# The image codecs of the resize option are dlopen'ed when it is used: suggested, not depended on.
sed -i '/^Description:/i Suggests: libjpeg62-turbo, libspng0, libwebp7, libwebpdemux2' "$lib/DEBIAN/control"
echo "libqwen3vl $soversion $dep" > "$lib/DEBIAN/shlibs"
echo "activate-noawait ldconfig" > "$lib/DEBIAN/triggers"
finish "$lib"

# The development files: headers (C, and the header-only C++), libqwen3vl.so link, pkg-config and CMake package files.
dev=$(pkg_tree libqwen3vl-dev)
move_in "$dev" usr/include/qwen3vl.h usr/include/qwen3vl.hpp "$libdir/libqwen3vl.so" "$libdir/pkgconfig/qwen3vl.pc" "$libdir/cmake/Qwen3VL" \
  usr/share/man/man3
gzip -9n "$dev"/usr/share/man/man3/*.3
control "$dev" libqwen3vl-dev libdevel "$runtime (= $debversion)" \
  "Qwen3-VL client library for C - development files" \
  "${about[@]}" "." "This package holds the header, the pkg-config file, the CMake package" \
  "(find_package(Qwen3VL), target Qwen3VL::qwen3vl) and the man pages."
finish "$dev"

# The qwen3vl command with its man page, and the SQLite extension (in its plugin folder), in package
# qwen3vl. dpkg-shlibdeps learns from debian/shlibs.local that libqwen3vl.so.0 is the runtime's.
tools=$(pkg_tree qwen3vl)
move_in "$tools" usr/bin/qwen3vl usr/share/man/man1/qwen3vl.1 "$libdir/qwen3vl/libqwen3vl_sqlite.so"
gzip -9n "$tools"/usr/share/man/man1/qwen3vl.1
echo "libqwen3vl $soversion $dep" > "$out/shlibdeps/debian/shlibs.local"
depends=$(cd "$out/shlibdeps" && dpkg-shlibdeps -O -l"../$runtime/$libdir" ../qwen3vl/usr/bin/qwen3vl \
  "../qwen3vl/$libdir/qwen3vl/libqwen3vl_sqlite.so" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ $depends == *"$runtime"* && $depends == *libjansson* ]] || { echo "deb: dpkg-shlibdeps gave '$depends' for qwen3vl" >&2; exit 1; }
control "$tools" qwen3vl utils "$depends" "Qwen3-VL from the shell and from SQLite" \
  "${about[@]}" "." "This package holds the qwen3vl command (chat; batch: every image under" \
  "some paths into resumable JSONL, many calls in flight) and a SQLite extension" \
  "with qwen3vl_chat() and more, for the sqlite3 shell's .load:" "  /$libdir/qwen3vl/libqwen3vl_sqlite"
sed -i '/^Multi-Arch: same$/d' "$tools/DEBIAN/control"  # a command: not co-installable per architecture
finish "$tools"

left=$(cd "$stage" && find . -type f -o -type l)
[[ -z $left ]] || { echo "deb: installed files in no package: $left" >&2; exit 1; }
rm -rf "$stage" "$out/shlibdeps"
ls "$out"/*.deb
