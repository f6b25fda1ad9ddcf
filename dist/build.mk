# SPDX-License-Identifier: BSD-2-Clause
# make install / make uninstall: the headers, libnetmap (static and
# shared), its pkg-config file, the preload library, netmapd and its
# systemd unit, the tools and their man pages, under PREFIX (default
# /usr/local) in DESTDIR.  Each directory has its usual variable
# (BINDIR, LIBDIR, ...) for packagers; debian/rules sets them.
# netmapd goes to BINDIR, not sbin: ordinary users' clients start their
# own daemon, found next to the client or in PATH (user/nmc_daemon.c), and
# Debian gives ordinary users no sbin in PATH.
# Nothing is rebuilt for a PREFIX: only the pkg-config file and the unit
# name paths, and install writes them.
#
# uninstall removes the files of INSTALLED, the list of what install
# writes, and the directories of our own (include/net is shared with
# libc: only if empty).  test-install (dist/test-install.sh) fails if
# anything is left, so a file added to install and not to INSTALLED shows.

# The version is debian/changelog's (its upstream part), for everything.
NETMAP_VERSION	?= $(shell sed -n '1s/^netmap (\([^)-]*\).*/\1/p' \
		   debian/changelog)

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
INCLUDEDIR	?= $(PREFIX)/include
# /usr/lib/<triplet> for /usr (Debian's layout), PREFIX/lib elsewhere.
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR		?= $(PREFIX)/lib$(if $(filter /usr,$(PREFIX)),$(if \
		   $(MULTIARCH),/$(MULTIARCH)))
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
NETMAPLIBDIR	?= $(LIBDIR)/netmap
MANDIR		?= $(PREFIX)/share/man
UNITDIR		?= $(PREFIX)/lib/systemd/system

INST_HDRS	:= net/netmap.h net/netmap_user.h net/netmap_legacy.h \
		   libnetmap.h
INST_TOOLS	:= pkt-gen vale-ctl
# apps/bridge is installed as netmap-bridge, with its man page renamed to
# match: iproute2 has a bridge(8) in every Debian system (and PATH puts
# /usr/local/bin before /usr/sbin, so ours would shadow it for root).
INST_MAN8	:= $(filter-out bridge.8,$(notdir $(wildcard docs/man/*.8)))

INSTALLED	= $(addprefix $(INCLUDEDIR)/,$(INST_HDRS)) \
		  $(addprefix $(BINDIR)/,$(INST_TOOLS) netmap-bridge) \
		  $(BINDIR)/netmapd \
		  $(LIBDIR)/libnetmap.a $(LIBDIR)/$(notdir $(LIBNETMAP_SO)) \
		  $(LIBDIR)/$(LIBNETMAP_SONAME) $(LIBDIR)/libnetmap.so \
		  $(PKGCONFIGDIR)/libnetmap.pc \
		  $(NETMAPLIBDIR)/libnetmap-preload.so \
		  $(UNITDIR)/netmapd.service \
		  $(addprefix $(MANDIR)/man8/,$(INST_MAN8) netmap-bridge.8)

INSTALL		?= install
D		= $(DESTDIR)

# What install copies; debian/rules builds it before installing.
INSTALLABLES	= $(LIBNETMAP) $(LIBNETMAP_SO) $(PRELOAD) $(NETMAPD) \
		  $(addprefix $(O)/,$(INST_TOOLS) bridge)

.PHONY: install uninstall installables
installables: $(INSTALLABLES)

install: $(INSTALLABLES)
	$(INSTALL) -d $(D)$(INCLUDEDIR)/net $(D)$(BINDIR) \
	    $(D)$(LIBDIR) $(D)$(PKGCONFIGDIR) $(D)$(NETMAPLIBDIR) \
	    $(D)$(UNITDIR) $(D)$(MANDIR)/man8
	$(INSTALL) -m 644 $(addprefix include/,$(filter net/%,$(INST_HDRS))) \
	    $(D)$(INCLUDEDIR)/net/
	$(INSTALL) -m 644 include/libnetmap.h $(D)$(INCLUDEDIR)/
	$(INSTALL) -m 755 $(addprefix $(O)/,$(INST_TOOLS)) $(D)$(BINDIR)/
	$(INSTALL) -m 755 $(O)/bridge $(D)$(BINDIR)/netmap-bridge
	$(INSTALL) -m 755 $(NETMAPD) $(D)$(BINDIR)/
	$(INSTALL) -m 644 $(LIBNETMAP) $(LIBNETMAP_SO) $(D)$(LIBDIR)/
	ln -sf $(notdir $(LIBNETMAP_SO)) $(D)$(LIBDIR)/$(LIBNETMAP_SONAME)
	ln -sf $(LIBNETMAP_SONAME) $(D)$(LIBDIR)/libnetmap.so
	$(INSTALL) -m 644 $(PRELOAD) $(D)$(NETMAPLIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(NETMAP_VERSION)|' \
	    -e '/^# /d' dist/libnetmap.pc.in >$(D)$(PKGCONFIGDIR)/libnetmap.pc
	sed 's|/usr/local/sbin/netmapd|$(BINDIR)/netmapd|' \
	    user/netmapd.service >$(D)$(UNITDIR)/netmapd.service
	$(INSTALL) -m 644 $(addprefix docs/man/,$(INST_MAN8)) \
	    $(D)$(MANDIR)/man8/
	sed -e 's/^\.Dt BRIDGE /.Dt NETMAP-BRIDGE /' \
	    -e 's/^\.\(Nm\|Dl\) bridge\>/.\1 netmap-bridge/' \
	    docs/man/bridge.8 >$(D)$(MANDIR)/man8/netmap-bridge.8
	$(LDCONFIG)

# The dynamic linker's cache, when installing for real as root.
LDCONFIG	= @if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then \
		      ldconfig; fi

uninstall:
	rm -f $(addprefix $(D),$(INSTALLED))
	rmdir $(D)$(INCLUDEDIR)/net $(D)$(NETMAPLIBDIR) 2>/dev/null || :
	$(LDCONFIG)

# install-dkms: netmap.ko's sources as DKMS wants them, a self-contained
# tree under /usr/src/netmap-VERSION with dkms.conf: DKMS copies it and
# runs linux/build.sh there, which makes its symlink farm inside the copy
# (see linux/Kbuild).  Not part of install: DKMS builds for every
# installed kernel, which is the netmap-dkms package's business; from a
# source tree, `make install-dkms` then `dkms install netmap/VERSION`.
DKMSDIR		?= /usr/src/netmap-$(NETMAP_VERSION)
DKMS_SRCS	= linux/Kbuild $(wildcard linux/*.c linux/*.h \
		  linux/probes/*.c core/*.c core/*.h include/net/*.h)
DKMS_SCRIPTS	:= linux/build.sh linux/kdir.sh linux/probe.sh core/kinds.sh
DKMS_INSTALLED	= $(addprefix $(DKMSDIR)/,$(DKMS_SRCS) $(DKMS_SCRIPTS) \
		  dkms.conf)

.PHONY: install-dkms uninstall-dkms
install-dkms:
	for f in $(DKMS_SRCS); do \
		$(INSTALL) -D -m 644 $$f $(D)$(DKMSDIR)/$$f || exit 1; \
	done
	for f in $(DKMS_SCRIPTS); do \
		$(INSTALL) -D -m 755 $$f $(D)$(DKMSDIR)/$$f || exit 1; \
	done
	sed -e 's|@VERSION@|$(NETMAP_VERSION)|' dist/dkms.conf.in \
	    >$(D)$(DKMSDIR)/dkms.conf

uninstall-dkms:
	rm -f $(addprefix $(D),$(DKMS_INSTALLED))
	cd $(D)$(DKMSDIR) 2>/dev/null && rmdir linux/probes linux core \
	    include/net include 2>/dev/null; rmdir $(D)$(DKMSDIR) || :

# make deb: the Debian packages (debian/), built by dpkg-buildpackage in a
# copy of the tree under $(DEB_DIR), where the .debs land (it writes to
# the parent of the tree it builds), then checked with lintian: the tags
# it still reports are overridden in debian/*.lintian-overrides, each with
# its reason, so any output is news.
DEB_DIR		:= $(O)/deb
DEB_TREE	= $(DEB_DIR)/netmap-$(NETMAP_VERSION)

.PHONY: deb
deb:
	@./scripts/deps.sh deb
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_TREE)
	tar -cf - --exclude-vcs --exclude=./$(O) . | tar -xf - -C $(DEB_TREE)
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc \
	    -j$$(nproc) >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	lintian --fail-on error,warning $(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb

# Install into a temporary DESTDIR, build and run a program against it
# with pkg-config, uninstall, compare the file lists.
.PHONY: test-install
test-install: $(INSTALLABLES)
	O=$(O) MAKE="$(MAKE)" sh dist/test-install.sh

TESTS		+= test-install

# Build the packages, install them on this machine, use them, purge them
# (dist/test-deb.sh: root only; it restores the machine on any exit).
# tests/vm/'s programs and nmd_raw are built by name: their fragments
# come after this one.
.PHONY: test-deb
test-deb:
	+@$(MAKE) -s --no-print-directory $(VM_PROGS) $(O)/tests/user/nmd_raw
	O=$(O) MAKE="$(MAKE)" sh dist/test-deb.sh $(VM_PROGS)

TESTS		+= test-deb
