# SPDX-License-Identifier: BSD-2-Clause
# pkt-gen: the traffic generator/sink, its packet-template unit test and
# command-line checks that need no netmap backend.
#
# apps/ sorts before lib/, so $(LIBNETMAP) is not defined yet when this
# fragment is read; set it here to the same value lib/build.mk gives it,
# because prerequisites are expanded at read time.

LIBNETMAP	?= $(O)/libnetmap.a

PKTGEN_SRCS	:= apps/pkt-gen/pkt-gen.c apps/pkt-gen/pkt-io.c \
		   apps/pkt-gen/pktbuild.c apps/pkt-gen/nic.c
PKTGEN_OBJS	:= $(PKTGEN_SRCS:%.c=$(O)/%.o)

BINS		+= $(O)/pkt-gen

$(O)/pkt-gen: $(PKTGEN_OBJS) $(LIBNETMAP)
	$(CC) $(ALL_CFLAGS) -o $@ $(PKTGEN_OBJS) $(LIBNETMAP) $(LDLIBS) -lm

# Frame building, checksums, ranges, sequence numbers, unit normaliser.
PKTGEN_UNIT	:= $(O)/san/apps/pkt-gen/test_pktbuild

$(PKTGEN_UNIT): $(O)/san/apps/pkt-gen/test_pktbuild.o \
    $(O)/san/apps/pkt-gen/pktbuild.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# Which ports are interfaces; their MAC and MTU (test_nic.sh makes a
# veth in a namespace of its own for that).
PKTGEN_NIC	:= $(O)/san/apps/pkt-gen/test_nic

$(PKTGEN_NIC): $(O)/san/apps/pkt-gen/test_nic.o \
    $(O)/san/apps/pkt-gen/nic.o $(O)/san/apps/pkt-gen/pktbuild.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

.PHONY: test-pkt-gen-unit test-pkt-gen-cli
test-pkt-gen-unit: $(PKTGEN_UNIT) $(PKTGEN_NIC)
	$(PKTGEN_UNIT)
	sh apps/pkt-gen/test_nic.sh $(PKTGEN_NIC)

# -h, bad arguments and a port that cannot exist: exit codes and messages.
test-pkt-gen-cli: $(O)/pkt-gen
	sh apps/pkt-gen/test_cli.sh $(O)/pkt-gen

TESTS		+= test-pkt-gen-unit test-pkt-gen-cli

# The data paths against a stand-in port (test_fakeport.c replaces
# libnetmap and wraps poll/ioctl): tx, txseq with fragments, random
# sizes and addresses, rx, rxseq with a hole and a swap, threads, -W,
# drain timeout, ping/pong, signals.  No netmap backend needed.
PKTGEN_FAKE	:= $(O)/san/apps/pkt-gen/pkt-gen-fake

$(PKTGEN_FAKE): $(PKTGEN_SRCS:%.c=$(O)/san/%.o) \
    $(O)/san/apps/pkt-gen/test_fakeport.o
	$(CC) $(ALL_CFLAGS) $(SAN) -Wl,--wrap=poll -Wl,--wrap=ioctl \
	    -o $@ $^ $(LDLIBS) -lm

.PHONY: test-pkt-gen-fake
test-pkt-gen-fake: $(PKTGEN_FAKE)
	sh apps/pkt-gen/test_fake.sh $(PKTGEN_FAKE)

TESTS		+= test-pkt-gen-fake
