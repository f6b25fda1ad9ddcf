# SPDX-License-Identifier: BSD-2-Clause
# bridge: forwards frames between two netmap ports (or a NIC and its
# host rings), and the checks of its command line that need no netmap
# backend.  Its data paths are tested against netmapd
# (tests/user/bridge.sh) and netmap.ko (tests/vm/bridge.sh).
#
# apps/ sorts before lib/: set the library name to the value
# lib/build.mk gives it, because prerequisites expand at read time.

LIBNETMAP	?= $(O)/libnetmap.a

BRIDGE		:= $(O)/bridge
BINS		+= $(BRIDGE)

$(BRIDGE): $(O)/apps/bridge/bridge.o $(LIBNETMAP)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: test-bridge-cli
test-bridge-cli: $(BRIDGE)
	sh apps/bridge/test_cli.sh $(BRIDGE)

TESTS		+= test-bridge-cli
