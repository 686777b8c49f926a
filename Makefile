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

# build/lib/libqwen3vl.so.0.1.0 with its links, build/include/qwen3vl.h (and the C++ qwen3vl.hpp),
# build/lib/pkgconfig/qwen3vl.pc
lib:
	$(SWIFT_BUILD)
	mkdir -p $(OUT)/lib/pkgconfig $(OUT)/include
	strip --strip-unneeded -o $(OUT)/lib/libqwen3vl.so.$(VERSION) "$$($(SWIFT_BUILD) --show-bin-path)/libqwen3vl.so"
	ln -sf libqwen3vl.so.$(VERSION) $(OUT)/lib/$(SONAME)
	ln -sf $(SONAME) $(OUT)/lib/libqwen3vl.so
	cp include/qwen3vl.h include/qwen3vl.hpp $(OUT)/include/
	sed -e 's|@PREFIX@|$(abspath $(OUT))|' -e 's|@VERSION@|$(VERSION)|' qwen3vl.pc.in > $(OUT)/lib/pkgconfig/qwen3vl.pc

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(OUT)/lib/libqwen3vl.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libqwen3vl.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libqwen3vl.so
	install -m 644 include/qwen3vl.h include/qwen3vl.hpp $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' qwen3vl.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/qwen3vl.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libqwen3vl.so* $(DESTDIR)$(PREFIX)/include/qwen3vl.h $(DESTDIR)$(PREFIX)/include/qwen3vl.hpp \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/qwen3vl.pc

test:
	./scripts/test.sh

clean:
	rm -rf $(OUT) .build
