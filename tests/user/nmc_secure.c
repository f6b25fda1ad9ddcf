// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_secure.c: opens /dev/netmap and says how that went; nothing else.
 * tests/user/secure.sh runs it as a setuid program (AT_SECURE), where
 * the client library must ignore NETMAP_HOST, NETMAP_SOCKET and
 * NETMAP_DAEMON and must not start a daemon, and as a plain program,
 * where it obeys them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	printf("open: %s\n", fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
	return 0;
}
