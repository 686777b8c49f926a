# Builds libqwen3vl.so into build/ and installs it. The Swift package does the compiling; this file
# names the result the way C users expect (SONAME link, header, pkg-config file).
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0
SONAME := libqwen3vl.so.0
OUT := build
SWIFT_BUILD := swift build -c release --product qwen3vl

.PHONY: all lib install uninstall test clean

all: lib

# build/lib/libqwen3vl.so.0.1.0 with its links, build/include/qwen3vl.h, build/lib/pkgconfig/qwen3vl.pc
lib:
	$(SWIFT_BUILD)
	mkdir -p $(OUT)/lib/pkgconfig $(OUT)/include
	strip --strip-unneeded -o $(OUT)/lib/libqwen3vl.so.$(VERSION) "$$($(SWIFT_BUILD) --show-bin-path)/libqwen3vl.so"
	ln -sf libqwen3vl.so.$(VERSION) $(OUT)/lib/$(SONAME)
	ln -sf $(SONAME) $(OUT)/lib/libqwen3vl.so
	cp include/qwen3vl.h $(OUT)/include/
	sed -e 's|@PREFIX@|$(abspath $(OUT))|' -e 's|@VERSION@|$(VERSION)|' qwen3vl.pc.in > $(OUT)/lib/pkgconfig/qwen3vl.pc

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(OUT)/lib/libqwen3vl.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libqwen3vl.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libqwen3vl.so
	install -m 644 include/qwen3vl.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' qwen3vl.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/qwen3vl.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libqwen3vl.so* $(DESTDIR)$(PREFIX)/include/qwen3vl.h \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/qwen3vl.pc

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
