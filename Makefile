# banger — build, test, install.
#
# Every source file is found by wildcard, so adding a helper is adding
# helpers/<verb>.c: it becomes build/libexec/banger/<verb>, linked with
# lib/libbanger.a.  Unit tests are t/unit/<name>.c: each becomes
# build/t/<name>, compiled with ASan+UBSan together with the library
# sources, and is run by a t/NNNN-*.t wrapper under prove.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec/banger
SHAREDIR    ?= $(PREFIX)/share/banger
SYSCONFDIR  ?= /etc
UNITDIR     ?= /etc/systemd/system
B           := build
# What `banger --version` and install.toml say: the commit, from git.
VERSION     := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CC          ?= cc
PKGS        := libcjson libarchive libzstd libnftables ext2fs com_err libsodium libsystemd
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN        := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wformat-security \
               -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
               -Wno-unused-parameter
HARDEN      := -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
               -fstack-clash-protection -fcf-protection -fPIE
HARDEN_LD   := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
DEFS        := -D_GNU_SOURCE -DBG_LIBEXECDIR='"$(LIBEXECDIR)"' \
               -DBG_BINDIR='"$(BINDIR)"' -DBG_SHAREDIR='"$(SHAREDIR)"'
CFLAGS      ?= -O2 -g
ALL_CFLAGS  := $(WARN) $(DEFS) -Ilib -I$(B)/gen $(PKG_CFLAGS) $(CFLAGS)
# skalibs is linked statically (its .so costs a library load per exec).
# Every program gets the same list, and --as-needed (HARDEN_LD) keeps
# only the libraries it really calls: libbanger.a is static, so only the
# modules a program references come in, and with them their libraries.
# t/0025-linkage.t holds the root programs to their short lists
# (docs/architecture.md, "What each program links").
LIBS        := -Wl,-Bstatic -lskarnet -Wl,-Bdynamic -lbearssl $(PKG_LIBS)
SAN         := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -O1 -g

LIB_SRC     := $(sort $(wildcard lib/*.c))
LIB_HDR     := $(wildcard lib/*.h)
LIB_OBJ     := $(LIB_SRC:lib/%.c=$(B)/obj/lib/%.o)
HELPER_SRC  := $(sort $(wildcard helpers/*.c))
HELPERS     := $(HELPER_SRC:helpers/%.c=$(B)/libexec/banger/%)
CLI_SRC     := $(sort $(wildcard cli/*.c))
CLI_OBJ     := $(CLI_SRC:cli/%.c=$(B)/obj/cli/%.o)
UNIT_SRC    := $(sort $(wildcard t/unit/*.c))
UNITS_T     := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)
FUZZ_SRC    := $(sort $(wildcard t/fuzz/*.c))
FUZZ_BIN    := $(FUZZ_SRC:t/fuzz/%.c=$(B)/fuzz/%)
BENCH_SRC   := $(sort $(wildcard bench/*.c))
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
IMG_SRC     := $(sort $(wildcard images/*/*.c))
IMG_BIN     := $(foreach f,$(IMG_SRC),$(B)/images/bin/$(basename $(notdir $(f))))
UNIT_FILES  := $(sort $(wildcard units/*.in))
UNITS_OUT   := $(UNIT_FILES:units/%.in=$(B)/units/%)
# What `system install` copies besides the programs: the unit templates
# and conf/, in the layout of an installed tree (SHAREDIR), so a build
# tree installs the same way an installed one reinstalls.
CONF_FILES  := conf/slice.conf conf/access/owner.allow conf/config.toml.example
SHARE_OUT   := $(UNIT_FILES:units/%.in=$(B)/share/banger/units/%) \
               $(CONF_FILES:%=$(B)/share/banger/%)

# The guest tar (images/guest/build.sh): what `image pull` lays over a
# container image so that it boots and takes banger's ssh
# (docs/oci-import.md).  Debian's dropbear, fetched with apt-get download.
GUEST_TAR   := $(B)/share/banger/guest.tar

.PHONY: all build check test deps deps-check clean install lint images image-debian demo bundles serve-bundles
all build: $(B)/bin/banger $(HELPERS) lib/libbanger.a $(UNITS_T) $(BENCH_BIN) $(UNITS_OUT) $(SHARE_OUT) $(IMG_BIN) \
    $(B)/t/fc-fixture $(B)/t/vmm-client $(FUZZ_BIN) $(GUEST_TAR)

# The version, rewritten only when it changes (lib/version.c).
$(B)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@v='#define BG_VERSION "$(VERSION)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
$(B)/obj/lib/version.o: $(B)/gen/version.h
.PHONY: FORCE

# The built-in catalog (lib/catalog-builtin.c): conf/catalog.json as a
# C string literal, one line of JSON per line of C.
$(B)/gen/catalog.inc: conf/catalog.json
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< > $@
$(B)/obj/lib/catalog-builtin.o: $(B)/gen/catalog.inc

$(B)/obj/lib/%.o: lib/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -c -o $@ $<

lib/libbanger.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/obj/cli/%.o: cli/%.c cli/cli.h $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -c -o $@ $<

$(B)/bin/banger: $(CLI_OBJ) lib/libbanger.a
	@mkdir -p $(@D)
	$(CC) $(HARDEN) $(HARDEN_LD) -o $@ $(CLI_OBJ) lib/libbanger.a $(LIBS)

$(B)/libexec/banger/%: helpers/%.c lib/libbanger.a $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HARDEN) $(HARDEN_LD) -o $@ $< lib/libbanger.a $(LIBS)

# The dispatchers run for every request: it links libc and skalibs
# statically (static-pie, still ASLR and full RELRO) and no cJSON, so
# its exec costs no dynamic loading (bench/request-latency).
$(B)/libexec/banger/dispatch $(B)/libexec/banger/root-dispatch $(B)/libexec/banger/serve: \
    $(B)/libexec/banger/%: helpers/%.c lib/libbanger.a $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HARDEN) -static-pie -Wl,-z,relro,-z,now \
	    -Wl,-z,noexecstack -o $@ $< lib/libbanger.a -lskarnet

# Unit tests: library sources rebuilt with sanitizers, one binary each.
$(B)/t/%: t/unit/%.c t/unit/tap.h $(LIB_SRC) $(LIB_HDR) $(B)/gen/version.h $(B)/gen/catalog.inc
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) -Ilib -I$(B)/gen -It/unit $(PKG_CFLAGS) $(SAN) -o $@ $< $(LIB_SRC) $(LIBS)

# The DNS parser's fuzz target (t/0061-dns-fuzz.t): libFuzzer with
# ASan+UBSan, lib/dns.c alone (it has no other dependency).
$(B)/fuzz/dns: t/fuzz/dns.c lib/dns.c lib/dns.h
	@mkdir -p $(@D)
	clang -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Ilib -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $@ t/fuzz/dns.c lib/dns.c

# Programs of the image recipes (images/<recipe>/<prog>.c): guest-side
# ones such as banger-init must be static; host-side ones are too, for
# simplicity.  They do not link libbanger: the guest has none of it.
define img_rule
$(B)/images/bin/$(basename $(notdir $(1))): $(1)
	@mkdir -p $$(@D)
	$$(CC) $$(WARN) -D_GNU_SOURCE $$(CFLAGS) $$(HARDEN) -static-pie \
	    -Wl,-z,relro,-z,now -Wl,-z,noexecstack -o $$@ $$<
endef
$(foreach f,$(IMG_SRC),$(eval $(call img_rule,$(f))))

# The kernel bundle and the test image, built from Debian's packages
# (apt-get download, no root needed) into build/images/.
# Rebuilt only when their recipe or programs change (downloads are cached).
images: $(B)/images/kernel/manifest.json $(B)/images/test/manifest.json

$(B)/images/kernel/manifest.json: $(wildcard images/kernel/*) $(IMG_BIN)
	sh images/kernel/build.sh $(B)/images/kernel

$(B)/images/test/manifest.json: $(wildcard images/test/*) images/lib.sh $(IMG_BIN)
	sh images/test/build.sh $(B)/images/test

$(GUEST_TAR): images/guest/build.sh images/lib.sh $(B)/images/bin/banger-init
	BANGER_IMAGE_CACHE="$${BANGER_IMAGE_CACHE:-$(B)/images/cache}" sh images/guest/build.sh $@

# The debian-bookworm golden image (debootstrap: root, network, ~75 s).
# Not part of `images`; t/1300 builds its own cached copy.
image-debian: $(B)/images/debian-bookworm/manifest.json

$(B)/images/debian-bookworm/manifest.json: images/debian-bookworm/build.sh images/lib.sh $(IMG_BIN)
	sh images/debian-bookworm/build.sh $(B)/images/debian-bookworm

# Bundles of the kernel, the test image and (when built) the golden
# image, and a catalog naming them at BUNDLES_URL (images/bundles.sh,
# docs/bundles.md): what a release publishes, and what `make demo`
# serves.
BUNDLES_URL ?= https://localhost:8443
bundles: all images
	sh images/bundles.sh $(B)/bundles $(BUNDLES_URL)

# Serve build/bundles at https://localhost:8443 with a CA of its own,
# until stopped (images/serve-bundles.sh prints the config lines).
serve-bundles:
	sh images/serve-bundles.sh $(B)/bundles 8443

# The main job, for real: build, make the kernel and the test image from
# Debian's packages, bundle them, serve them over HTTPS on loopback, and
# let `vm run` pull them and boot a guest through the socket-activated
# helper chain in a private state root and network namespace (needs
# root; t/demo).
demo: all images
	t/demo

$(B)/bench/%: bench/%.c lib/libbanger.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HARDEN) $(HARDEN_LD) -o $@ $< lib/libbanger.a $(LIBS)

$(B)/units/%: units/%.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' $< > $@
$(B)/share/banger/units/%: $(B)/units/%
	@mkdir -p $(@D)
	cp $< $@
$(B)/share/banger/conf/%: conf/%
	@mkdir -p $(@D)
	cp $< $@

include t/fc-fixture/rules.mk

deps:
	@sh conf/deps.sh install

deps-check:
	@sh conf/deps.sh check

# Formatting (clang-format), shellcheck, the test habits: t/lint.sh.
lint:
	sh t/lint.sh

# make check: dependencies present, everything built, lint clean, every
# test run.  BANGER_NO_SKIP=1 (set by .ci/run) turns any skip into a failure.
check: deps-check all images lint
	prove -j2 --timer --failures --comments t/

test: check

# The files only; `sudo banger system install` does the rest
# (docs/install.md).  Packagers: make install PREFIX=/usr DESTDIR=...
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(SHAREDIR)/units $(DESTDIR)$(SHAREDIR)/conf/access
	install -m 0755 $(B)/bin/banger $(DESTDIR)$(BINDIR)/banger
	install -m 0755 $(HELPERS) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 $(B)/share/banger/units/* $(DESTDIR)$(SHAREDIR)/units/
	install -m 0644 $(B)/share/banger/conf/*.* $(DESTDIR)$(SHAREDIR)/conf/
	install -m 0644 $(B)/share/banger/conf/access/* $(DESTDIR)$(SHAREDIR)/conf/access/
	install -m 0644 $(GUEST_TAR) $(DESTDIR)$(SHAREDIR)/guest.tar

clean:
	rm -rf $(B) lib/libbanger.a
