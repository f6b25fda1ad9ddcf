# SPDX-License-Identifier: BSD-2-Clause
# pcap/: libpcap with its netmap module, built from Debian's source
# against our installed headers (pcap/build.sh; docs/pcap.md), once: it
# is rebuilt only when the headers or the recipe change.  test-pcap runs the
# system's tcpdump on it, and pcap-replay, a libpcap program of ours that
# injects, through netmapd (pcap/test.sh), and on netmap.ko in the test VM
# (test-pcap-vm, pcap/vm.sh).

PCAP_DIR	:= $(O)/pcap
PCAP_LIB	:= $(PCAP_DIR)/lib/libpcap.so.0.8
PCAP_REPLAY	:= $(PCAP_DIR)/pcap-replay

# What `make install` puts under /usr (dist/build.mk), in a DESTDIR of
# ours: libpcap is built against the installed headers, and test-pcap
# runs the installed pkt-gen and preload library, as a user would.
# Refreshed when anything installed changes (it is quick); libpcap is
# rebuilt only when the headers change.
PCAP_ROOT	:= $(PCAP_DIR)/root
PCAP_INSTALLED	:= $(PCAP_ROOT)/.installed
PCAP_LIBDIR	:= $(PCAP_ROOT)/usr/lib$(if $(MULTIARCH),/$(MULTIARCH))
PCAP_PRELOAD	:= $(PCAP_LIBDIR)/netmap/$(notdir $(PRELOAD))

.PHONY: pcap test-pcap test-pcap-vm
pcap: $(PCAP_LIB) $(PCAP_REPLAY)

$(PCAP_INSTALLED): $(INSTALLABLES) $(wildcard include/*.h include/net/*.h)
	rm -rf $(PCAP_ROOT)
	+@$(MAKE) --no-print-directory install PREFIX=/usr \
	    DESTDIR=$(abspath $(PCAP_ROOT)) >/dev/null
	touch $@

$(PCAP_LIB): pcap/build.sh pcap/build.mk include/net/netmap.h \
    include/net/netmap_user.h include/net/netmap_legacy.h | $(PCAP_INSTALLED)
	+O=$(O) NETMAP_INCLUDE=$(abspath $(PCAP_ROOT))/usr/include \
	    ./pcap/build.sh

# Linked against the library above, which it finds by its rpath.
$(PCAP_REPLAY): pcap/pcap-replay.c $(PCAP_LIB)
	$(CC) $(ALL_CFLAGS) -I$(PCAP_DIR)/include -o $@ $< \
	    -L$(PCAP_DIR)/lib -Wl,-rpath,'$$ORIGIN/lib' -lpcap

test-pcap: $(PCAP_LIB) $(PCAP_REPLAY) $(PCAP_INSTALLED) $(NETMAPD_SAN)
	O=$(O) PCAP_ROOT=$(PCAP_ROOT) PCAP_PRELOAD=$(PCAP_PRELOAD) \
	    sh pcap/test.sh

TESTS		+= test-pcap

# The same on netmap.ko in the test VM (pcap/vm.sh): the system's tcpdump
# and its libraries go into the guest, with our libpcap found first
# (LD_LIBRARY_PATH while run-vm.sh collects libraries, /test in the
# guest).
test-pcap-vm: vm-progs $(PCAP_LIB) $(PCAP_REPLAY)
	@LD_LIBRARY_PATH=$(PCAP_DIR)/lib $(VM_RUN) -t $(VM_TIMEOUT) \
	    pcap/vm.sh $(MODULE) $(VM_DIR)/pkt-gen $(VM_FILES) pcap/cases.sh \
	    $$(command -v tcpdump) $(PCAP_LIB) $(PCAP_REPLAY)

TESTS		+= test-pcap-vm
