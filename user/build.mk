# SPDX-License-Identifier: BSD-2-Clause
# Userspace hosts of the core.
#
# The unit-test host is the core plus nm_os_user.c plus testhost.c, which
# serves /dev/netmap in-process.
#
# netmapd hosts the core for other processes (netmapd.c); the client side
# (nmclient.c and the nmc_*.c it is split into, see nmc.h) is linked into libnetmap.a (lib/build.mk) and built as an
# LD_PRELOAD object for programs that use the raw ABI. nmd_proto.c is
# what both sides share.

USER_OS_SRCS	:= user/nm_os_user.c user/nm_os_nonic.c
TESTHOST_SAN_OBJS := $(CORE_SAN_OBJS) $(USER_OS_SRCS:%.c=$(O)/san/%.o) \
		   $(O)/san/user/testhost.o
TESTHOST_LIBS	:= -pthread

# Interfaces (nm_os_nic_*): AF_XDP through Debian's libxdp and libbpf,
# AF_PACKET as the fallback; host rings through a tap and tc programs;
# persistent ports' taps (nm_os_vp_ifnet_*).
NETMAPD_NIC_SRCS := user/nm_nic_user.c user/nm_xdp.c user/nm_afp.c \
		    user/nm_host_user.c user/nm_tap_user.c
NETMAPD_LIBS	:= -lxdp -lbpf $(LDLIBS)
NETMAPD_OBJS	:= $(CORE_OBJS) $(O)/user/nm_os_user.o $(O)/user/netmapd.o \
		   $(O)/user/netmapd_cs.o $(O)/user/nmd_proto.o \
		   $(O)/user/nmd_csync.o $(NETMAPD_NIC_SRCS:%.c=$(O)/%.o)
NETMAPD_SAN_OBJS := $(CORE_SAN_OBJS) $(O)/san/user/nm_os_user.o \
		   $(O)/san/user/netmapd.o $(O)/san/user/netmapd_cs.o \
		   $(O)/san/user/nmd_proto.o $(O)/san/user/nmd_csync.o \
		   $(NETMAPD_NIC_SRCS:%.c=$(O)/san/%.o)
NETMAPD		:= $(O)/netmapd
NETMAPD_SAN	:= $(O)/san/netmapd
PRELOAD		:= $(O)/libnetmap-preload.so
NMC_SRCS	:= user/nmclient.c user/nmc_req.c user/nmc_poll.c \
		   user/nmc_daemon.c user/nmc_csync.c user/nmd_proto.c \
		   user/nmd_csync.c user/nmc_ind.c

BINS		+= $(NETMAPD) $(PRELOAD)

$(NETMAPD): $(NETMAPD_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(NETMAPD_LIBS)

# netmapd under AddressSanitizer and UBSan, for the multi-process tests,
# which can make its allocations fail (NM_FAULT_ALLOC, nm_os_user.c).
$(O)/san/user/nm_os_user.o $(O)/san/user/netmapd.o: \
    CPPFLAGS += -DNM_FAULT_INJECT
$(NETMAPD_SAN): $(NETMAPD_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(NETMAPD_LIBS)

# Position-independent objects for the preload library.
$(O)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(PRELOAD): $(NMC_SRCS:%.c=$(O)/pic/%.o)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-z,defs -o $@ $^ $(LDLIBS)

# The demo: netmapd started on demand, pkt-gen over VALE, then a pipe.
# netmapd links libxdp and libbpf: installed first (as root) if missing.
demo:
	@./scripts/deps.sh build
	@$(MAKE) --no-print-directory $(NETMAPD) $(O)/pkt-gen
	@O=$(O) sh user/demo.sh
