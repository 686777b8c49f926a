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
INSTALLED := $(OUT)/lib/$(REALNAME) $(OUT)/include/qwen3vl.h $(OUT)/lib/pkgconfig/qwen3vl.pc

.PHONY: all lib install uninstall deb docs version test clean

all: lib

# build/lib/libqwen3vl.so.X.Y.Z with its links, build/include/qwen3vl.h, build/lib/pkgconfig/qwen3vl.pc.
# The build tree's .pc adds an rpath, so programs built against it run without an install; the
# installed one has none (the loader's own paths find an installed library).
lib:
	$(SWIFT_BUILD)
	mkdir -p $(OUT)/lib/pkgconfig $(OUT)/include
	strip --strip-unneeded -R .comment -o $(OUT)/lib/$(REALNAME) "$$($(SWIFT_BUILD) --show-bin-path)/libqwen3vl.so"
	ln -sf $(REALNAME) $(OUT)/lib/$(SONAME)
	ln -sf $(SONAME) $(OUT)/lib/libqwen3vl.so
	cp include/qwen3vl.h $(OUT)/include/
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
	install -m 644 $(OUT)/include/qwen3vl.h $(DESTDIR)$(INCLUDEDIR)/
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
	rm -f $(DESTDIR)$(LIBDIR)/libqwen3vl.so* $(DESTDIR)$(INCLUDEDIR)/qwen3vl.h \
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

# The qwen3vl command (cli/, C11 on the public C API) and its man page. build/bin/qwen3vl finds
# libqwen3vl.so.0 in ../lib, in the build tree and in an installed prefix alike.
TOOL_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror
.PHONY: cli install-cli uninstall-cli
all: cli
cli: lib
	mkdir -p $(OUT)/bin
	$(CC) $(TOOL_CFLAGS) -Iinclude cli/*.c -L$(OUT)/lib -Wl,-rpath,'$$ORIGIN/../lib' -lqwen3vl -ljansson -o $(OUT)/bin/qwen3vl
install: install-cli
install-cli: cli
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(OUT)/bin/qwen3vl $(DESTDIR)$(PREFIX)/bin/
	install -m 644 cli/qwen3vl.1 $(DESTDIR)$(PREFIX)/share/man/man1/
uninstall: uninstall-cli
uninstall-cli:
	rm -f $(DESTDIR)$(PREFIX)/bin/qwen3vl $(DESTDIR)$(PREFIX)/share/man/man1/qwen3vl.1

# The SQLite extension (sqlite/, needs libsqlite3-dev): libqwen3vl_sqlite.so for the sqlite3 shell's
# .load. It finds libqwen3vl.so.0 beside itself, and stays loaded once loaded (-z nodelete), so that
# closing a connection never unloads the library's runtime under other threads.
.PHONY: sqlite install-sqlite uninstall-sqlite
all: sqlite
sqlite: lib
	$(CC) $(TOOL_CFLAGS) -fPIC -shared -fvisibility=hidden -Wl,-z,nodelete -Iinclude sqlite/qwen3vl_sqlite.c \
	  -L$(OUT)/lib -Wl,-rpath,'$$ORIGIN' -lqwen3vl -ljansson -o $(OUT)/lib/libqwen3vl_sqlite.so
install: install-sqlite
install-sqlite: sqlite
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(OUT)/lib/libqwen3vl_sqlite.so $(DESTDIR)$(PREFIX)/lib/
uninstall: uninstall-sqlite
uninstall-sqlite:
	rm -f $(DESTDIR)$(PREFIX)/lib/libqwen3vl_sqlite.so
