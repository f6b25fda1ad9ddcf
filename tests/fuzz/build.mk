# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer targets, built with clang. ctrl and sync: the core objects
# with NM_CORE and -nostdinc as everywhere, plus the userspace OS layer,
# but not the test host (the targets call nm_ioctl/nm_poll directly).
# decode: netmapd's message decoder (user/nmd_proto.c) alone.
#   make fuzz             each target for FUZZ_SECONDS (default 60)
#   make fuzz-long        each target for FUZZ_SECONDS (default 300), then
#                         the new inputs that add coverage are merged into
#                         tests/fuzz/corpus/<target> (commit them)
#   make test-fuzz        each target for ~5 s from its committed seeds
# New inputs go to $(O)/fuzz-corpus/<target>; tests/fuzz/corpus/<target>
# (small, committed) is only written by fuzz-long's merge.

FUZZ_SECONDS	?= 60
FUZZ_LONG_SECONDS := $(if $(filter command line environment, \
		   $(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),300)
FUZZ_TARGETS	:= ctrl sync decode
FUZZ_SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
FUZZ_CFLAGS	= -std=gnu11 $(WARN) -O1 -g $(CPPFLAGS) $(FUZZ_SAN) \
		  -fsanitize=fuzzer-no-link
FUZZ_CORE_OBJS	:= $(CORE_SRCS:%.c=$(O)/fuzz/%.o)
FUZZ_BINS	:= $(FUZZ_TARGETS:%=$(O)/tests/fuzz_%)

$(O)/fuzz/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(CORE_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/fuzz/core/nm_port.o: $(NM_KINDS_H)

$(O)/fuzz/user/%.o: user/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/fuzz/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/tests/fuzz_%: $(O)/fuzz/tests/fuzz/fuzz_%.o $(FUZZ_CORE_OBJS) \
    $(O)/fuzz/user/nm_os_user.o $(O)/fuzz/user/nm_os_nonic.o
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -pthread

$(O)/tests/fuzz_decode: $(O)/fuzz/tests/fuzz/fuzz_decode.o \
    $(O)/fuzz/user/nmd_proto.o
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -pthread

# -rss_limit_mb: regions are sparse memfds, but mapped pages count.
FUZZ_RUN	= mkdir -p $(O)/fuzz-corpus/$* $(O)/fuzz-artifacts && \
		  $< -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
		  -artifact_prefix=$(O)/fuzz-artifacts/$*- \
		  $(O)/fuzz-corpus/$* tests/fuzz/corpus/$*

# Messages up to NMD_MSG_MAX and a little past it.
FUZZ_ARGS_decode := -max_len=65600

.PHONY: $(FUZZ_TARGETS:%=fuzz-%) $(FUZZ_TARGETS:%=test-fuzz-%) test-fuzz \
	$(FUZZ_TARGETS:%=fuzz-long-%) fuzz-long
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(O)/tests/fuzz_%
	$(FUZZ_RUN) $(FUZZ_ARGS_$*) -max_total_time=$(FUZZ_SECONDS)

$(FUZZ_TARGETS:%=fuzz-long-%): fuzz-long-%: $(O)/tests/fuzz_%
	$(FUZZ_RUN) $(FUZZ_ARGS_$*) -max_total_time=$(FUZZ_LONG_SECONDS)
	$< -merge=1 $(FUZZ_ARGS_$*) tests/fuzz/corpus/$* $(O)/fuzz-corpus/$*

fuzz-long: deps $(FUZZ_TARGETS:%=fuzz-long-%)

$(FUZZ_TARGETS:%=test-fuzz-%): test-fuzz-%: $(O)/tests/fuzz_%
	$(FUZZ_RUN) $(FUZZ_ARGS_$*) -max_total_time=5

test-fuzz: $(FUZZ_TARGETS:%=test-fuzz-%)

TESTS		+= test-fuzz
FUZZ		+= $(FUZZ_TARGETS:%=fuzz-%)
