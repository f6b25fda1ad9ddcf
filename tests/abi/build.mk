# SPDX-License-Identifier: BSD-2-Clause
# tests/abi/build.mk - the ABI test (included by the top-level Makefile).
#
# `make test-abi` builds abi_test from the sanitized objects of abi_test.c
# and abi_libs.c and runs it. Before that it makes sure the public headers
# build everywhere they are meant to: with clang as well as $(CC), as
# strict C99, and in the core's no-headers mode (NM_CORE).

ABI_TEST	:= $(O)/tests/abi_test
ABI_TEST_OBJS	:= $(O)/san/tests/abi/abi_test.o $(O)/san/tests/abi/abi_libs.o
ABI_HEADERS	:= include/net/netmap.h include/net/netmap_legacy.h \
		   include/net/netmap_user.h
# Warnings for the header-only checks; not ALL_CFLAGS, which fixes gnu11.
ABI_HDR_FLAGS	:= $(WARN) -Iinclude -fsyntax-only

TESTS		+= test-abi

$(ABI_TEST): $(ABI_TEST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(ABI_TEST_OBJS) $(LDLIBS)

.PHONY: test-abi test-abi-headers
test-abi: $(ABI_TEST) test-abi-headers
	$(ABI_TEST)

test-abi-headers: $(ABI_HEADERS)
	$(CLANG) $(ALL_CFLAGS) -fsyntax-only tests/abi/abi_test.c
	$(CLANG) $(ALL_CFLAGS) -fsyntax-only tests/abi/abi_libs.c
	@for cc in $(CC) $(CLANG); do \
		for libs in "" "-DNETMAP_WITH_LIBS"; do \
			echo "$$cc -std=c99 -pedantic $$libs netmap_user.h"; \
			printf '#include <net/netmap_user.h>\n' | \
			    $$cc -std=c99 -pedantic $$libs $(ABI_HDR_FLAGS) \
			    -x c - || exit 1; \
		done; \
		echo "$$cc -DNM_CORE netmap.h (no system headers)"; \
		printf '%s\n' \
		    '#include <stdint.h>' '#include <sys/types.h>' \
		    '#include <sys/time.h>' \
		    '#ifdef _IOWR' '#error ioctl.h came in early' '#endif' \
		    '#define NM_CORE 1' '#include <net/netmap.h>' \
		    '#if defined(_IOWR) || defined(IF_NAMESIZE)' \
		    '#error netmap.h included system headers' '#endif' \
		    '_Static_assert(NIOCCTRL == 0xC0586997U, "NIOCCTRL");' \
		    '_Static_assert(NIOCREGIF == 0xC03C6992U, "NIOCREGIF");' \
		    '_Static_assert(sizeof(struct netmap_ring) == 256, "");' | \
		    $$cc -std=gnu11 $(ABI_HDR_FLAGS) -x c - || exit 1; \
	done
