# test-vm: netmap.ko inside a QEMU guest booting the distribution's kernel
# (tests/vm/run-vm.sh; the machines we test on cannot load modules).
# Installs what it needs (scripts/deps.sh vm), builds the module and the
# static test programs, then boots once per script in VM_SCRIPTS, each
# given the module and every program in VM_PROGS.  KDIR= picks the kernel,
# as for `make module`; the guest boots that same kernel.

VM_PROGS	:= $(O)/tests/vm/smoke
VM_SCRIPTS	:= tests/vm/smoke.sh
VM_TIMEOUT	?= 300

# Static: the guest has no libraries but the few run-vm.sh copies.
$(VM_PROGS): $(O)/tests/vm/%: tests/vm/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $< $(LDLIBS)

.PHONY: test-vm
test-vm:
	@./scripts/deps.sh vm
	+@$(MAKE) --no-print-directory module $(VM_PROGS)
	@failed=; for t in $(VM_SCRIPTS); do \
		$(if $(KDIR),KDIR="$(KDIR)") ./tests/vm/run-vm.sh \
		    -t $(VM_TIMEOUT) $$t $(MODULE) $(VM_PROGS) || \
		    failed="$$failed $$t"; \
	done; \
	[ -z "$$failed" ] || { echo "test-vm: failed:$$failed" >&2; exit 1; }

TESTS		+= test-vm
