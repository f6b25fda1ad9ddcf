# SPDX-License-Identifier: BSD-2-Clause
# The portable core. Its objects are built with NM_CORE and -nostdinc, so
# any OS header sneaking into core/ breaks the build: nm_os.h is the only
# door. Hosts link $(CORE_OBJS) (netmapd) or $(CORE_SAN_OBJS) (tests).

CORE_SRCS	:= $(wildcard core/*.c)
CORE_OBJS	:= $(CORE_SRCS:%.c=$(O)/%.o)
CORE_SAN_OBJS	:= $(CORE_SRCS:%.c=$(O)/san/%.o)
CORE_CFLAGS	:= -DNM_CORE -nostdinc -I$(O)/gen

# The table of port kinds, collected from the sources (see core/kinds.sh).
# kinds.sh rewrites it only when it changes, so nm_port.o is rebuilt only
# when a kind comes or goes.
NM_KINDS_H	:= $(O)/gen/nm_kinds.h
$(NM_KINDS_H): core/kinds.sh $(CORE_SRCS)
	@mkdir -p $(dir $@)
	@./core/kinds.sh $@ $(CORE_SRCS)
$(O)/core/nm_port.o $(O)/san/core/nm_port.o: $(NM_KINDS_H)

$(O)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/san/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(CORE_CFLAGS) -MMD -MP -c -o $@ $<

BINS		+= $(CORE_OBJS)
