# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of the core, run in-process through the test host under
# AddressSanitizer and UBSan. One binary per tests/unit/test_core_*.c.

UNIT_SRCS	:= $(wildcard tests/unit/test_core_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
UNIT_TESTS	:= $(UNIT_SRCS:tests/unit/test_core_%.c=test-core-%)

$(O)/tests/test_core_%: $(O)/san/tests/unit/test_core_%.o \
    $(TESTHOST_SAN_OBJS) $(LIBNETMAP_SAN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(TESTHOST_LIBS)

.PHONY: $(UNIT_TESTS)
$(UNIT_TESTS): test-core-%: $(O)/tests/test_core_%
	$<

TESTS		+= $(UNIT_TESTS)
