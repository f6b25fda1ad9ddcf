# SPDX-License-Identifier: BSD-2-Clause
# Top-level build: one Makefile, with a build.mk fragment per directory.
# Every fragment appends to BINS (what `make` builds), TESTS (phony test
# targets run by `make test`) and FUZZ (targets run by `make fuzz`).

O		?= build
CC		?= cc
CLANG		?= clang
WARN		:= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wno-unused-parameter
CFLAGS		?= -O2 -g
CPPFLAGS	:= -Iinclude -Icore -Iuser -D_GNU_SOURCE
SAN		:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
ALL_CFLAGS	= -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS) -pthread
LDLIBS		:= -pthread

BINS		:=
TESTS		:=
FUZZ		:=

.PHONY: all test fuzz clean deps demo bench
all:

# Libraries first: later fragments use their variables in prerequisites
# (which expand at read time): lib/ links user/'s client objects in.
FIRST_MK	:= core/build.mk user/build.mk lib/build.mk
include $(FIRST_MK)
include $(filter-out $(FIRST_MK),$(sort $(wildcard */build.mk */*/build.mk)))

all: $(BINS)

# Tests need a few Debian packages; install them when missing so that
# `make test` works on a fresh machine.
deps:
	@./scripts/deps.sh test

test: deps
	@$(MAKE) --no-print-directory all
	@MAKE="$(MAKE)" ./scripts/run-tests.sh $(TESTS)

fuzz: deps $(FUZZ)

clean:
	rm -rf $(O)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Sanitized objects for unit tests.
$(O)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)
