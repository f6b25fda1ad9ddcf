# Userspace hosts of the core. The unit-test host is the core plus
# nm_os_user.c plus testhost.c, which serves /dev/netmap in-process.

USER_OS_SRCS	:= user/nm_os_user.c
TESTHOST_SAN_OBJS := $(CORE_SAN_OBJS) $(USER_OS_SRCS:%.c=$(O)/san/%.o) \
		   $(O)/san/user/testhost.o
TESTHOST_LIBS	:= -pthread
