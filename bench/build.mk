# SPDX-License-Identifier: BSD-2-Clause
# bench/: `make bench` measures VALE and netmap pipes (pkt-gen through
# netmapd) against the peers a user would pick instead, DPDK memif and
# AF_PACKET over veth, and against a plain shared-memory copy ring (the
# ceiling), and prints figures, never pass/fail.  See bench/README.md.
# The AF_PACKET pair, the copy ring and xsk-bench (AF_XDP used directly,
# for the rows of interfaces through netmapd) are built with everything
# else so that they always compile.

BENCH_BINS	:= $(O)/bench/afp-tx $(O)/bench/afp-rx $(O)/bench/copyring \
		   $(O)/bench/xsk-bench $(O)/bench/c2c
BINS		+= $(BENCH_BINS)

# AF_XDP used directly (rxdrop, txonly), against netmapd's interfaces.
$(O)/bench/xsk-bench: $(O)/bench/xsk-bench.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ -lxdp -lbpf $(LDLIBS)

# The shared-memory copy ring: the ceiling row.
$(O)/bench/copyring: $(O)/bench/copyring.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The probe of the machine state: cross-CPU cache-line costs, next to
# each pinned row.
$(O)/bench/c2c: $(O)/bench/c2c.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# The memif round trip's pinger needs DPDK's headers (libdpdk-dev, from
# scripts/deps.sh bench): built by `make bench` only, its row reads n/a
# without them. DPDK's headers are system headers to our warnings.
MEMIF_PING	:= $(O)/bench/memif-ping
DPDK_CFLAGS	= $(patsubst -I%,-isystem %,\
		  $(shell pkg-config --cflags libdpdk))
DPDK_LIBS	= $(shell pkg-config --libs libdpdk)

$(MEMIF_PING): bench/memif-ping.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DPDK_CFLAGS) -o $@ $< $(DPDK_LIBS) $(LDLIBS)

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
	@$(MAKE) --no-print-directory $(MEMIF_PING) || \
	    echo "bench: memif-ping did not build; its row will read n/a"
	@O=$(O) ./bench/run.sh

# The plots: bench/plot.sh draws every record in bench/results/ (or the
# ones named in JSON=...) as an SVG next to it; make bench and make
# bench-vm draw theirs as they write them.
.PHONY: plots test-plot test-c2c
plots:
	@./bench/plot.sh $(JSON)

test-plot:
	@./bench/test-plot.sh

# The machine-state probe: its line, and its refusals.
test-c2c: $(O)/bench/c2c
	@sh bench/test-c2c.sh $(O)/bench/c2c

TESTS		+= test-plot test-c2c
