# SPDX-License-Identifier: BSD-2-Clause
# vale-ctl: VALE switch administration through NIOCCTRL, and tests of
# its command line and of the requests it sends, against a stand-in
# /dev/netmap (test_fakectl.c); no netmap backend needed.
#
# apps/ sorts before lib/: set the library names to the values
# lib/build.mk gives them, because prerequisites expand at read time.

LIBNETMAP	?= $(O)/libnetmap.a
LIBNETMAP_SAN	?= $(O)/san/libnetmap.a

BINS		+= $(O)/vale-ctl

$(O)/vale-ctl: $(O)/apps/vale-ctl/vale-ctl.o $(LIBNETMAP)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

VALECTL_FAKE	:= $(O)/san/apps/vale-ctl/vale-ctl-fake

$(VALECTL_FAKE): $(O)/san/apps/vale-ctl/vale-ctl.o \
    $(O)/san/apps/vale-ctl/test_fakectl.o $(LIBNETMAP_SAN)
	$(CC) $(ALL_CFLAGS) $(SAN) -Wl,--wrap=open -Wl,--wrap=ioctl \
	    -o $@ $^ $(LDLIBS)

.PHONY: test-vale-ctl-cli
test-vale-ctl-cli: $(O)/vale-ctl $(VALECTL_FAKE)
	sh apps/vale-ctl/test_cli.sh $(O)/vale-ctl $(VALECTL_FAKE)

TESTS		+= test-vale-ctl-cli
