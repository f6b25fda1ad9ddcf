# SPDX-License-Identifier: BSD-2-Clause
# test-vm: netmap.ko inside a QEMU guest booting the distribution's kernel
# (tests/vm/run-vm.sh; the machines we test on cannot load modules).
# Installs what it needs (scripts/deps.sh vm), builds the module and the
# static test programs, then boots once per script in VM_SCRIPTS, each
# given the module, every program in VM_PROGS and the files in VM_FILES.
# KDIR= picks the kernel, as for `make module`; the guest boots that same
# kernel.
#
# demo-vm and bench-vm boot the same guest once with demo.sh / bench.sh:
# pkt-gen over VALE and pipes (and, for bench, AF_PACKET and the kernel's
# pktgen over veth for comparison).  Figures, not pass/fail.

VM_DIR		:= $(O)/tests/vm
VM_C_PROGS	:= smoke nmtest harden params storm
VM_PROGS	:= $(VM_C_PROGS:%=$(VM_DIR)/%) $(VM_DIR)/pkt-gen \
		   $(VM_DIR)/bridge $(VM_DIR)/vale-ctl $(VM_DIR)/nmd_close
VM_FILES	:= tests/vm/lib.sh
VM_SCRIPTS	:= tests/vm/smoke.sh tests/vm/vale.sh tests/vm/pipe.sh \
		   tests/vm/robust.sh tests/vm/race.sh tests/vm/region.sh \
		   tests/vm/params.sh tests/vm/storm.sh tests/vm/bridge.sh \
		   tests/vm/nic.sh tests/vm/nicvirtio.sh tests/vm/bridge-nic.sh \
		   tests/vm/persist.sh tests/vm/netns.sh tests/vm/valenic.sh \
		   tests/vm/monports.sh tests/vm/close.sh
VM_TIMEOUT	?= 300

# Static: the guest has no libraries but the few run-vm.sh copies.
$(VM_C_PROGS:%=$(VM_DIR)/%): $(VM_DIR)/%: tests/vm/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $< $(LDLIBS)

# netmapd's close test (tests/user), raw ABI only: the module's answers.
$(VM_DIR)/nmd_close: tests/user/nmd_close.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $< $(LDLIBS)

# The AF_PACKET peers of bench/, for bench-vm only.
VM_AFP		:= $(VM_DIR)/afp-tx $(VM_DIR)/afp-rx
$(VM_AFP): $(VM_DIR)/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $< $(LDLIBS)

# vale-ctl as built for the host, linked static for the guest.
$(VM_DIR)/vale-ctl: $(O)/apps/vale-ctl/vale-ctl.o $(LIBNETMAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LDLIBS)

# pkt-gen as built for the host, linked static for the guest.
$(VM_DIR)/pkt-gen: $(PKTGEN_OBJS) $(LIBNETMAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $(PKTGEN_OBJS) $(LIBNETMAP) \
	    $(LDLIBS) -lm

# bridge, likewise.
$(VM_DIR)/bridge: $(O)/apps/bridge/bridge.o $(LIBNETMAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LDLIBS)

VM_RUN		= $(if $(KDIR),KDIR="$(KDIR)") ./tests/vm/run-vm.sh

.PHONY: test-vm demo-vm bench-vm vm-progs
vm-progs:
	@./scripts/deps.sh vm
	+@$(MAKE) --no-print-directory module $(VM_PROGS)

# A script that needs more of the guest says so in a line of its own:
# "# run-vm-args: -n 2" (nicvirtio.sh: two virtio-net interfaces).
test-vm: vm-progs
	@t0=$$(date +%s); failed=; for t in $(VM_SCRIPTS); do \
		args=$$(sed -n 's/^# run-vm-args: //p' $$t); \
		$(VM_RUN) -t $(VM_TIMEOUT) $$args $$t $(MODULE) $(VM_PROGS) \
		    $(VM_FILES) || failed="$$failed $$t"; \
	done; \
	echo "test-vm: $$(( $$(date +%s) - t0 )) s"; \
	[ -z "$$failed" ] || { echo "test-vm: failed:$$failed" >&2; exit 1; }

# The demo: about 5 s of pkt-gen over VALE, then over a pipe.
demo-vm: vm-progs
	@$(VM_RUN) -D -t 300 tests/vm/demo.sh $(MODULE) $(VM_PROGS) $(VM_FILES)

# The kernel's pktgen, bench-vm's other peer: the guest kernel's own
# pktgen.ko, given to the guest in /test/ like the programs (run-vm.sh
# copies only veth.ko and tun.ko into its initramfs), decompressed here
# when the distribution compresses modules, since busybox's insmod may
# not read .xz/.zst/.gz.  Copied at every bench-vm (KDIR may change the
# kernel); left out when there is none, and bench.sh then prints n/a.
VM_PKTGEN	:= $(VM_DIR)/pktgen.ko
define vm_pktgen_ko
kver=$$($(if $(KDIR),KDIR="$(KDIR)") linux/kdir.sh -r) && \
ko=$$(find /lib/modules/$$kver/kernel/net/core -name 'pktgen.ko*' \
    2>/dev/null | head -n 1) && rm -f $(VM_PKTGEN) && \
if [ -z "$$ko" ]; then \
	echo "bench-vm: no pktgen.ko for $$kver: pktgen n/a" >&2; \
else \
	case $$ko in \
	*.xz) xz -dc ;; *.zst) zstd -dc ;; *.gz) gzip -dc ;; *) cat ;; \
	esac <"$$ko" >$(VM_PKTGEN).tmp && mv $(VM_PKTGEN).tmp $(VM_PKTGEN); \
fi
endef

# Measurements (-D: no SLUB debugging).  The guest's figures come back
# on its output; tests/vm/bench-json.sh turns them into
# bench/results/vm-*.json (and vm-latest.json), bench/plot.sh draws
# each as an SVG next to it.
bench-vm: vm-progs $(VM_AFP)
	@mkdir -p bench/results
	@$(vm_pktgen_ko)
	@echo "HOSTLOAD before $$(cut -d' ' -f1-3 /proc/loadavg)" \
	    >$(VM_DIR)/bench.out
	@$(VM_RUN) -D -t 500 tests/vm/bench.sh $(MODULE) $(VM_PROGS) \
	    $(VM_AFP) $$(ls $(VM_PKTGEN) 2>/dev/null) $(VM_FILES) 2>&1 | \
	    tee -a $(VM_DIR)/bench.out
	@echo "HOSTLOAD after $$(cut -d' ' -f1-3 /proc/loadavg)" \
	    >>$(VM_DIR)/bench.out
	@json=bench/results/vm-$$(date +%Y%m%d-%H%M%S).json && \
	    ./tests/vm/bench-json.sh $(VM_DIR)/bench.out $$json && \
	    cp $$json bench/results/vm-latest.json && \
	    { ./bench/plot.sh $$json bench/results/vm-latest.json || \
	    echo "bench-vm: no plot (bench/plot.sh failed)" >&2; }

TESTS		+= test-vm
