# SPDX-License-Identifier: BSD-2-Clause
# netmap.ko, the Linux kernel host: `make module` builds $(MODULE) against
# the kernel headers in KDIR (`make module KDIR=...`; by default the running
# kernel's, else the newest installed under /lib/modules/*/build; see
# linux/kdir.sh).  linux/build.sh does the work in $(O)/linux/ (see
# linux/Kbuild for why there) and fails on any compiler warning.
# `make module NM_CORE=y` also compiles the core in (see linux/Kbuild).
#
# Not part of `make`: it needs kernel headers, which `scripts/deps.sh vm`
# installs; test-vm (tests/vm/build.mk) builds it.

MODULE_DIR	:= $(O)/linux
MODULE		:= $(MODULE_DIR)/netmap.ko

.PHONY: module
module:
	+@MAKE="$(MAKE)" $(if $(KDIR),KDIR="$(KDIR)") ./linux/build.sh $(MODULE_DIR)
