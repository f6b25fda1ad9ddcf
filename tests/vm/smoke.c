// SPDX-License-Identifier: BSD-2-Clause
/*
 * smoke.c - the first check of netmap.ko inside the test VM: /dev/netmap
 * opens, rejects what an unbound descriptor must reject (a bad header,
 * unknown ioctls, mmap, poll), and survives many open/close cycles.
 * Built static; run by smoke.sh.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * NIOCCTRL is _IOWR('i', 151, struct nmreq_header), the header being 88
 * bytes (shared/spec/netmap-abi.md); spelled out so that this test does
 * not depend on the ABI headers.
 */
#define SMOKE_NIOCCTRL		0xC0586997UL
#define SMOKE_NMREQ_HDR_SIZE	88
/* A zeroed header has version 0, which the core rejects. */
#define SMOKE_NIOCCTRL_ERRNO	EINVAL
#define SMOKE_CYCLES		1000

static void
expect_errno(const char *what, int ret, int want)
{
	if (ret != -1)
		errx(1, "%s: returned %d, expected failure with %s", what,
		    ret, strerror(want));
	if (errno != want)
		errx(1, "%s: failed with %s, expected %s", what,
		    strerror(errno), strerror(want));
}

int
main(void)
{
	uint64_t hdr[SMOKE_NMREQ_HDR_SIZE / sizeof(uint64_t)];
	struct pollfd pfd;
	void *p;
	int fd, i;

	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "open /dev/netmap");

	memset(hdr, 0, sizeof(hdr));
	expect_errno("NIOCCTRL", ioctl(fd, SMOKE_NIOCCTRL, hdr),
	    SMOKE_NIOCCTRL_ERRNO);
	/*
	 * Unknown commands fail with ENOTTY, the errno of "no such ioctl
	 * for this file", whatever their number.
	 */
	expect_errno("unknown ioctl", ioctl(fd, _IO('i', 200)), ENOTTY);
	expect_errno("unknown ioctl", ioctl(fd, 0x12345678, 0), ENOTTY);

	/* Nothing is mapped or polled before a port is bound. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		errx(1, "mmap of an unbound descriptor succeeded");
	if (errno != EINVAL)
		errx(1, "mmap of an unbound descriptor: %s, expected %s",
		    strerror(errno), strerror(EINVAL));
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLERR))
		errx(1, "poll of an unbound descriptor: revents 0x%x, "
		    "expected POLLERR", pfd.revents);
	if (close(fd) != 0)
		err(1, "close");

	for (i = 0; i < SMOKE_CYCLES; i++) {
		fd = open("/dev/netmap", O_RDWR);
		if (fd < 0)
			err(1, "open /dev/netmap (cycle %d)", i);
		if (close(fd) != 0)
			err(1, "close (cycle %d)", i);
	}
	printf("smoke: unbound ioctl, mmap, poll and %d open/close cycles ok\n",
	    SMOKE_CYCLES);
	return 0;
}
