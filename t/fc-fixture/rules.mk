# t/fc-fixture/rules.mk — build rules for the Firecracker API fixture
# (fc-fixture.c) and the VMM test client (vmm-client.c, which links the
# library sources so the tests drive lib/vmm-*.c themselves).  Both are
# built with the unit tests' sanitizers.
#
# The top Makefile includes this file and lists $(FC_FIXTURE_BIN) in
# `all`; t/1010-fc-fixture.t also uses it on its own:
#   make -f Makefile -f t/fc-fixture/rules.mk build/t/fc-fixture build/t/vmm-client
ifndef BG_FC_FIXTURE_RULES
BG_FC_FIXTURE_RULES := 1

FC_FIXTURE_BIN := $(B)/t/fc-fixture $(B)/t/vmm-client

# Stand-alone on purpose: it plays Firecracker, it does not use banger's code.
$(B)/t/fc-fixture: t/fc-fixture/fc-fixture.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -D_GNU_SOURCE $(PKG_CFLAGS) $(SAN) -o $@ $< \
	    $(shell pkg-config --libs libcjson)

$(B)/t/vmm-client: t/fc-fixture/vmm-client.c $(LIB_SRC) $(LIB_HDR) $(B)/gen/catalog.inc
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) -Ilib -I$(B)/gen $(PKG_CFLAGS) $(SAN) -o $@ $< $(LIB_SRC) $(LIBS)

endif
