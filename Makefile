# Builds libqwen3vl.so into build/ and installs it. The Swift package does the compiling; this file
# names the result the way C users expect (SONAME link, header, pkg-config file, CMake package).
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
OUT := build
SWIFT_BUILD := swift build -c release --product qwen3vl --disable-local-rpath

# The version is the header's QWEN3VL_VERSION_MAJOR/MINOR/PATCH, its one source.
header_number = $(shell sed -nE 's/^\#define QWEN3VL_VERSION_$(1)[[:space:]]+([0-9]+).*/\1/p' include/qwen3vl.h)
VERSION_MAJOR := $(call header_number,MAJOR)
VERSION_MINOR := $(call header_number,MINOR)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(call header_number,PATCH)
ifeq ($(shell echo '$(VERSION)' | grep -Ex '[0-9]+\.[0-9]+\.[0-9]+'),)
$(error include/qwen3vl.h gives no version in QWEN3VL_VERSION_MAJOR/MINOR/PATCH (read "$(VERSION)"))
endif
SONAME := libqwen3vl.so.$(VERSION_MAJOR)
REALNAME := libqwen3vl.so.$(VERSION)
CMAKEDIR := $(LIBDIR)/cmake/Qwen3VL
INSTALLED := $(OUT)/lib/$(REALNAME) $(OUT)/include/qwen3vl.h $(OUT)/include/qwen3vl.hpp $(OUT)/lib/pkgconfig/qwen3vl.pc

.PHONY: all lib install uninstall deb docs version test clean

all: lib

# build/lib/libqwen3vl.so.X.Y.Z with its links, build/include/qwen3vl.h (and the C++ qwen3vl.hpp),
# build/lib/pkgconfig/qwen3vl.pc.
# The build tree's .pc adds an rpath, so programs built against it run without an install; the
# installed one has none (the loader's own paths find an installed library).
lib:
	$(SWIFT_BUILD)
	mkdir -p $(OUT)/lib/pkgconfig $(OUT)/include
	strip --strip-unneeded -R .comment -o $(OUT)/lib/$(REALNAME) "$$($(SWIFT_BUILD) --show-bin-path)/libqwen3vl.so"
	ln -sf $(REALNAME) $(OUT)/lib/$(SONAME)
	ln -sf $(SONAME) $(OUT)/lib/libqwen3vl.so
	cp include/qwen3vl.h include/qwen3vl.hpp $(OUT)/include/
	$(call pc_file,$(abspath $(OUT)),$(abspath $(OUT))/lib,$(abspath $(OUT))/include) \
	  -e 's|^Libs: |Libs: -Wl,-rpath,$${libdir} |' > $(OUT)/lib/pkgconfig/qwen3vl.pc

# pc_file PREFIX LIBDIR INCLUDEDIR: the sed that fills in qwen3vl.pc.in
pc_file = sed -e 's|@PREFIX@|$(1)|' -e 's|@LIBDIR@|$(2)|' -e 's|@INCLUDEDIR@|$(3)|' -e 's|@VERSION@|$(VERSION)|' qwen3vl.pc.in

# Installs what `make` built and never builds (so `sudo make install` runs no swift build as root).
# ldconfig refreshes the loader's cache after a system install (not into a DESTDIR staging tree).
# The CMake package finds its files relative to itself, so a staged tree may be moved. Man pages go
# too when `make docs` made them.
install:
	@for f in $(INSTALLED); do [ -e "$$f" ] || { \
	  echo "make install: $$f is missing: run 'make' first (as yourself, not root); install never builds" >&2; exit 1; }; done
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(CMAKEDIR)
	install -m 644 $(OUT)/lib/$(REALNAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libqwen3vl.so
	install -m 644 $(OUT)/include/qwen3vl.h $(OUT)/include/qwen3vl.hpp $(DESTDIR)$(INCLUDEDIR)/
	$(call pc_file,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) > $(DESTDIR)$(LIBDIR)/pkgconfig/qwen3vl.pc
	sed -e 's|@INCLUDEDIR_FROM_HERE@|'"$$(realpath -m --relative-to=$(CMAKEDIR) $(INCLUDEDIR))"'|' \
	    -e 's|@REALNAME@|$(REALNAME)|' -e 's|@SONAME@|$(SONAME)|' \
	    packaging/cmake/Qwen3VLConfig.cmake.in > $(DESTDIR)$(CMAKEDIR)/Qwen3VLConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|' packaging/cmake/Qwen3VLConfigVersion.cmake.in \
	    > $(DESTDIR)$(CMAKEDIR)/Qwen3VLConfigVersion.cmake
	if [ -d $(OUT)/docs/man/man3 ]; then install -d $(DESTDIR)$(MANDIR)/man3 && \
	  install -m 644 $(OUT)/docs/man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/; fi
	@[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || { echo ldconfig; ldconfig; }

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libqwen3vl.so* $(DESTDIR)$(INCLUDEDIR)/qwen3vl.h $(DESTDIR)$(INCLUDEDIR)/qwen3vl.hpp \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/qwen3vl.pc
	rm -rf $(DESTDIR)$(CMAKEDIR)
	rm -f $(DESTDIR)$(MANDIR)/man3/qwen3vl[-_.]*.3 $(DESTDIR)$(MANDIR)/man3/QWEN3VL_*.3
	@[ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || { echo ldconfig; ldconfig; }

# build/deb/libqwen3vl0_*.deb and libqwen3vl-dev_*.deb (with the man pages) from what `make` built.
deb: docs
	VERSION=$(VERSION) SONAME=$(SONAME) ./packaging/deb/build.sh

# build/docs/html and build/docs/man: the API reference from the header's comments (Doxygen;
# warnings are errors). Doxygen's man pages print quotes as ', which at a line's start would make it
# a troff request: the sed escapes it.
docs:
	rm -rf $(OUT)/docs && mkdir -p $(OUT)/docs
	( cat packaging/docs/Doxyfile; echo "PROJECT_NUMBER = $(VERSION)" ) | doxygen -
	sed -i "s/^'/\\\\\&'/" $(OUT)/docs/man/man3/*.3

version:
	@echo $(VERSION)

test:
	./scripts/test.sh

clean:
	rm -rf $(OUT) .build

# The qwen3vl command (cli/) and the SQLite extension (sqlite/, needs libsqlite3-dev), C11 on the
# public C API. Each is linked twice from the same objects: into build/bin and build/lib with a run
# path to build/lib, to be used in the tree, and into build/install without one and stripped, for
# `make install` (installed files need no run path: the loader's own paths find the library). The extension
# stays loaded once loaded (-z nodelete), so closing a connection never unloads the library's
# runtime under other threads; installed, it goes to LIBDIR/qwen3vl, outside the linker's path, as a
# plugin without a SONAME should. install never builds: it installs them when `make` made them.
BINDIR ?= $(PREFIX)/bin
PLUGINDIR ?= $(LIBDIR)/qwen3vl
TOOL_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -I$(CURDIR)/include
TOOL_LIBS := -L$(OUT)/lib -lqwen3vl -ljansson
TREE_RPATH := -Wl,-rpath,$(abspath $(OUT))/lib
.PHONY: cli sqlite install-cli install-sqlite uninstall-cli uninstall-sqlite
all: cli sqlite
deb: cli sqlite
cli: lib
	mkdir -p $(OUT)/obj/cli $(OUT)/bin $(OUT)/install
	cd $(OUT)/obj/cli && $(CC) $(TOOL_CFLAGS) -c $(CURDIR)/cli/*.c
	$(CC) $(OUT)/obj/cli/*.o $(TOOL_LIBS) $(TREE_RPATH) -o $(OUT)/bin/qwen3vl
	$(CC) $(OUT)/obj/cli/*.o $(TOOL_LIBS) -o $(OUT)/install/qwen3vl
	strip --strip-unneeded -R .comment $(OUT)/install/qwen3vl
sqlite: lib
	mkdir -p $(OUT)/obj $(OUT)/install
	$(CC) $(TOOL_CFLAGS) -fvisibility=hidden -c sqlite/qwen3vl_sqlite.c -o $(OUT)/obj/qwen3vl_sqlite.o
	$(CC) -shared -Wl,-z,nodelete $(OUT)/obj/qwen3vl_sqlite.o $(TOOL_LIBS) $(TREE_RPATH) -o $(OUT)/lib/libqwen3vl_sqlite.so
	$(CC) -shared -Wl,-z,nodelete $(OUT)/obj/qwen3vl_sqlite.o $(TOOL_LIBS) -o $(OUT)/install/libqwen3vl_sqlite.so
	strip --strip-unneeded -R .comment $(OUT)/install/libqwen3vl_sqlite.so
install: install-cli install-sqlite
install-cli:
	if [ -f $(OUT)/install/qwen3vl ]; then install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 && \
	  install -m 755 $(OUT)/install/qwen3vl $(DESTDIR)$(BINDIR)/ && install -m 644 cli/qwen3vl.1 $(DESTDIR)$(MANDIR)/man1/; fi
install-sqlite:
	if [ -f $(OUT)/install/libqwen3vl_sqlite.so ]; then install -d $(DESTDIR)$(PLUGINDIR) && \
	  install -m 644 $(OUT)/install/libqwen3vl_sqlite.so $(DESTDIR)$(PLUGINDIR)/; fi
uninstall: uninstall-cli uninstall-sqlite
uninstall-cli:
	rm -f $(DESTDIR)$(BINDIR)/qwen3vl $(DESTDIR)$(MANDIR)/man1/qwen3vl.1
uninstall-sqlite:
	rm -f $(DESTDIR)$(PLUGINDIR)/libqwen3vl_sqlite.so
	rmdir $(DESTDIR)$(PLUGINDIR) 2>/dev/null || true
