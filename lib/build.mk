# SPDX-License-Identifier: BSD-2-Clause
# libnetmap: the static library applications link (normal objects), the
# shared library `make install` installs next to it, and a sanitized twin
# for the unit tests; plus the portspec/option parse test.
#
# Other fragments link against $(LIBNETMAP) or, in sanitized tests,
# $(LIBNETMAP_SAN).  Programs that include libnetmap.h without
# LIBNETMAP_NOTHREADSAFE also need $(LDLIBS) (-pthread).

LIBNETMAP_SRCS	:= lib/nmctx.c lib/nmctx-pthreads.c lib/nmreq.c \
		   lib/nmport.c
LIBNETMAP	:= $(O)/libnetmap.a
LIBNETMAP_SAN	:= $(O)/san/libnetmap.a

BINS		+= $(LIBNETMAP)

# The application library carries the netmapd client (user/build.mk), so
# that every libnetmap program runs without the kernel module too; the
# sanitized twin does not (unit tests bring their in-process host).
LIBNETMAP_CLIENT_OBJS := $(NMC_SRCS:%.c=$(O)/%.o)
$(O)/lib/nmport.o $(O)/lib/nmreq.o: CPPFLAGS += -DNM_LINK_CLIENT

$(LIBNETMAP): $(LIBNETMAP_SRCS:%.c=$(O)/%.o) $(LIBNETMAP_CLIENT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# The shared library: the same objects, position-independent (the $(O)/pic
# rule of user/build.mk).  It exports libc's entry points like the static
# library does, so a program linked with it has its /dev/netmap calls
# served by netmapd; the map keeps the client's internals (nmc_*, nmd_*)
# out of the ABI.  The map is anonymous on purpose: versioned definitions
# of open() and the like would no longer interpose libc's for the other
# libraries of the process.  Bump LIBNETMAP_SOMAJOR when the ABI breaks.
LIBNETMAP_SOMAJOR := 1
LIBNETMAP_SONAME := libnetmap.so.$(LIBNETMAP_SOMAJOR)
LIBNETMAP_SO	:= $(O)/$(LIBNETMAP_SONAME).0.0

BINS		+= $(LIBNETMAP_SO)

$(O)/pic/lib/nmport.o $(O)/pic/lib/nmreq.o: CPPFLAGS += -DNM_LINK_CLIENT

$(LIBNETMAP_SO): $(LIBNETMAP_SRCS:%.c=$(O)/pic/%.o) \
    $(LIBNETMAP_CLIENT_OBJS:$(O)/%=$(O)/pic/%) lib/libnetmap.map
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(LIBNETMAP_SONAME) \
	    -Wl,-z,defs -Wl,--version-script=lib/libnetmap.map \
	    -o $@ $(filter %.o,$^) $(LDLIBS)

$(LIBNETMAP_SAN): $(LIBNETMAP_SRCS:%.c=$(O)/san/%.o)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# tests/unit/test_nmreq_parse.c: parse table, options, option lists,
# contexts, and mmap/inject on a fake region; needs no device.
$(O)/tests/test_nmreq_parse: $(O)/san/tests/unit/test_nmreq_parse.o \
    $(LIBNETMAP_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

.PHONY: test-nmreq-parse
test-nmreq-parse: $(O)/tests/test_nmreq_parse
	$(O)/tests/test_nmreq_parse

TESTS		+= test-nmreq-parse
