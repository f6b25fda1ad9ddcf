// SPDX-License-Identifier: BSD-2-Clause
/*
 * params.c - reads netmap.ko's read-only *_curr_* module parameters in a
 * loop, for params.sh, which loads and unloads the module meanwhile.
 * Their sysfs files appear before the module's init runs and stay until
 * after its exit, so a read can land while the core does not exist.
 *
 *   params read MAXLOOPS MAXSECONDS
 *   params show
 *   params info
 *   params global
 *
 * Each loop opens, reads and closes every *_curr_* file; a file that is
 * not there (module not loaded, or half loaded) is skipped.  The reader
 * stops on SIGTERM, after MAXLOOPS loops or after MAXSECONDS, and prints
 * how many reads found the file.  Any other open or read error fails.
 *
 * show drops to an unprivileged user (uid/gid 65534) and prints each
 * *_curr_* value as NAME=VALUE: what any user can read.
 *
 * info prints the nr_memsize that PORT_INFO_GET with no name reports for
 * the global allocator (a query: it lays nothing out), so that params.sh
 * can check the parameters against it. global lays the global allocator
 * out, as a port does: a VALE port registered on it (nr_mem_id 1), then
 * closed (the allocator keeps its geometry).
 */

#include <sys/ioctl.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap.h>

#define PARAMS_DIR	"/sys/module/netmap/parameters/"

static const char *const curr[] = {
	"if_curr_size", "if_curr_num", "ring_curr_size", "ring_curr_num",
	"buf_curr_size", "buf_curr_num",
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* 1 if the file was read, 0 if it was not there. */
static int
read_one(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAMS_DIR "%s", name);
	fd = open(path, O_RDONLY);
	/* ENODEV: the module is going or coming (kernfs node inactive) */
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV)
			return 0;
		err(1, "open %s", path);
	}
	n = read(fd, buf, sizeof(buf));
	/* ENODEV: the file was removed (rmmod) while open */
	if (n < 0 && errno != ENODEV)
		err(1, "read %s", path);
	close(fd);
	return n > 0;
}

/* One NIOCCTRL request on a new descriptor, closed after; exit on error. */
static void
ctrl(uint16_t type, const char *name, void *body, const char *what)
{
	struct nmreq_header h;
	int fd;

	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "open /dev/netmap");
	memset(&h, 0, sizeof(h));
	h.nr_version = NETMAP_API;
	h.nr_reqtype = type;
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)body;
	if (ioctl(fd, NIOCCTRL, &h) != 0)
		err(1, "%s", what);
	close(fd);
}

static int
cmd_info(void)
{
	struct nmreq_port_info_get pi;

	memset(&pi, 0, sizeof(pi));
	ctrl(NETMAP_REQ_PORT_INFO_GET, "", &pi, "PORT_INFO_GET");
	printf("%llu\n", (unsigned long long)pi.nr_memsize);
	return 0;
}

static int
cmd_global(void)
{
	struct nmreq_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	reg.nr_mem_id = 1;
	ctrl(NETMAP_REQ_REGISTER, "vale0:global", &reg,
	    "REGISTER vale0:global on mem_id 1");
	return 0;
}

static int
cmd_show(void)
{
	char path[128], buf[64];
	ssize_t n;
	size_t i;
	int fd;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0)
		err(1, "dropping privileges");
	for (i = 0; i < sizeof(curr) / sizeof(curr[0]); i++) {
		snprintf(path, sizeof(path), PARAMS_DIR "%s", curr[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			err(1, "open %s", path);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			err(1, "read %s", path);
		close(fd);
		buf[n] = '\0';
		printf("%s=%s", curr[i], buf);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long loops, max, found = 0;
	struct sigaction sa;
	time_t end;
	size_t i;

	if (argc == 2 && strcmp(argv[1], "info") == 0)
		return cmd_info();
	if (argc == 2 && strcmp(argv[1], "global") == 0)
		return cmd_global();
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return cmd_show();
	if (argc != 4 || strcmp(argv[1], "read") != 0)
		errx(2, "usage: params read MAXLOOPS MAXSECONDS | "
		    "params show | params info | params global");
	max = strtoul(argv[2], NULL, 0);
	end = time(NULL) + (time_t)strtoul(argv[3], NULL, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	for (loops = 0; loops < max && !stop; loops++) {
		for (i = 0; i < sizeof(curr) / sizeof(curr[0]); i++)
			found += (unsigned long)read_one(curr[i]);
		if ((loops & 63) == 0 && time(NULL) >= end)
			break;
	}
	printf("params: %lu loops, %lu reads found the file\n", loops, found);
	return 0;
}
