# SPDX-License-Identifier: BSD-2-Clause
# tests/user: netmapd and its clients, many processes, no kernel module.
#
# Each test target runs a script of tests/user/ that starts its own
# netmapd (the ASan/UBSan build) on a private socket in a temporary
# directory, runs clients against it, checks the daemon's counters
# (connections, regions, heap) against their baseline, and stops it by
# PID with SIGTERM: a leak or a bad access makes the daemon's exit status
# fail the test.

NMD_TDIR	:= $(O)/tests/user
NMD_TPROGS	:= $(NMD_TDIR)/nmd_func $(NMD_TDIR)/nmd_hostile \
		   $(NMD_TDIR)/nmd_raw $(NMD_TDIR)/nmd_syncbench \
		   $(NMD_TDIR)/nmc_harden $(NMD_TDIR)/nmc_fake \
		   $(NMD_TDIR)/nmc_secure $(NMD_TDIR)/nmc_storm \
		   $(NMD_TDIR)/nmd_csync $(NMD_TDIR)/nmd_place \
		   $(NMD_TDIR)/nmd_close
NMD_TDEPS	:= $(NMD_TPROGS) $(NETMAPD) $(NETMAPD_SAN) $(PRELOAD) \
		   $(O)/pkt-gen $(O)/bridge $(O)/vale-ctl $(NMD_TDIR)/nmtest

# Functional tests through the client, all of it under ASan/UBSan.
NMC_SAN_OBJS	:= $(NMC_SRCS:%.c=$(O)/san/%.o)

$(NMD_TDIR)/nmd_func: $(O)/san/tests/user/nmd_func.o $(NMC_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# The client's guarantees when things go wrong, and against fake daemons;
# where the daemon runs a client's syncs; syncs in the client; close.
$(NMD_TDIR)/nmc_harden $(NMD_TDIR)/nmc_fake $(NMD_TDIR)/nmc_storm \
    $(NMD_TDIR)/nmd_place $(NMD_TDIR)/nmd_csync $(NMD_TDIR)/nmd_close: \
    $(NMD_TDIR)/%: \
    $(O)/san/tests/user/%.o $(NMC_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# Run setuid by secure.sh: no sanitizer (it would not run with AT_SECURE).
$(NMD_TDIR)/nmc_secure: $(O)/tests/user/nmc_secure.o \
    $(NMC_SRCS:%.c=$(O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Speaks the protocol by hand: garbage, truncation, lies.
$(NMD_TDIR)/nmd_hostile: $(O)/san/tests/user/nmd_hostile.o \
    $(O)/san/user/nmd_proto.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# A raw-ABI program that knows nothing of netmapd: run under LD_PRELOAD.
$(NMD_TDIR)/nmd_raw: tests/user/nmd_raw.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

# tests/vm's raw-ABI test program, for LD_PRELOAD (nmtest.sh) and as
# the sender and checking receiver of the bridge test.
$(NMD_TDIR)/nmtest: tests/vm/nmtest.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

# The cost of a sync through the doorbell (not a pass/fail test).
$(NMD_TDIR)/nmd_syncbench: $(O)/tests/user/nmd_syncbench.o \
    $(NMC_SRCS:%.c=$(O)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

NMD_TESTS	:= test-netmapd-func test-netmapd-pktgen test-netmapd-kill \
		   test-netmapd-preload test-netmapd-hostile \
		   test-netmapd-seals test-netmapd-files test-netmapd-limits \
		   test-netmapd-harden test-netmapd-secure test-netmapd-storm \
		   test-netmapd-bridge test-netmapd-nmtest test-netmapd-place \
		   test-netmapd-csync test-netmapd-nic test-netmapd-tap \
		   test-netmapd-host test-netmapd-close test-netmapd-fault

.PHONY: $(NMD_TESTS) netmapd-syncbench
$(NMD_TESTS): test-netmapd-%: $(NMD_TDEPS)
	O=$(O) sh tests/user/$*.sh

netmapd-syncbench: $(NMD_TDEPS)
	O=$(O) sh tests/user/syncbench.sh

TESTS		+= $(NMD_TESTS)
