# SPDX-License-Identifier: BSD-2-Clause
# bench/: `make bench` measures VALE and netmap pipes (pkt-gen through
# netmapd) against the peers a user would pick instead, DPDK memif and
# AF_PACKET over veth, and prints figures, never pass/fail.  See
# bench/README.md.  The AF_PACKET sender and receiver are built with
# everything else so that they always compile, as is xsk-bench (AF_XDP
# used directly, for the rows of interfaces through netmapd).

BENCH_BINS	:= $(O)/bench/afp-tx $(O)/bench/afp-rx $(O)/bench/xsk-bench
BINS		+= $(BENCH_BINS)

# AF_XDP used directly (rxdrop, txonly), against netmapd's interfaces.
$(O)/bench/xsk-bench: $(O)/bench/xsk-bench.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ -lxdp -lbpf $(LDLIBS)

$(O)/bench/afp-tx: $(O)/bench/afp-tx.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(O)/bench/afp-rx: $(O)/bench/afp-rx.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# pkt-gen and netmapd are built here but may fail or not exist yet: their
# rows then read "n/a" and the rest still runs.
bench: $(BENCH_BINS)
	@./scripts/deps.sh bench || \
	    echo "bench: packages missing; their rows will read n/a"
	@$(MAKE) --no-print-directory -k $(O)/pkt-gen $(O)/netmapd || \
	    echo "bench: pkt-gen or netmapd did not build; their rows will read n/a"
	@O=$(O) ./bench/run.sh

# The plots: bench/plot.sh draws every record in bench/results/ (or the
# ones named in JSON=...) as an SVG next to it; make bench and make
# bench-vm draw theirs as they write them.
.PHONY: plots test-plot
plots:
	@./bench/plot.sh $(JSON)

test-plot:
	@./bench/test-plot.sh

TESTS		+= test-plot
