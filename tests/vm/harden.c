// SPDX-License-Identifier: BSD-2-Clause
/*
 * harden.c - what a hostile local user can do with /dev/netmap's
 * REGISTER and mmap, run inside the test VM by race.sh and region.sh.
 * One static program, several commands; raw ABI only.
 *
 *   harden race SECONDS     threads of one process sync, poll and mmap a
 *                           descriptor while another thread keeps making
 *                           REGISTERs on it that must fail (an unknown
 *                           option, EXTMEM, CSB); a second descriptor
 *                           keeps making and dropping ports meanwhile
 *   harden exec PORT        the region can never be mapped executable;
 *                           mappings are bounded in whole pages, and
 *                           split and forked ones keep their region
 *   harden reg PORT RINGS SLOTS EXTRA ERRNO
 *                           one REGISTER, expected to fail with ERRNO
 *                           (a name such as ENOMEM) or succeed (0)
 *   harden hold PORT RINGS SLOTS EXTRA
 *                           REGISTER, map and touch the whole region,
 *                           print "ready", then wait to be killed
 *   harden concurrent PORT RINGS SLOTS EXTRA
 *                           a child REGISTERs a big port; while its
 *                           region is being allocated, control requests
 *                           of this process must complete
 *
 * Exit status 0 on success; failures say why on stderr.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

static void
usage(void)
{
	fprintf(stderr,
	    "usage: harden race SECONDS\n"
	    "       harden exec PORT\n"
	    "       harden reg PORT RINGS SLOTS EXTRA ERRNO\n"
	    "       harden hold|concurrent PORT RINGS SLOTS EXTRA\n");
	exit(2);
}

static int
nm_open(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0)
		err(1, "open /dev/netmap");
	return fd;
}

static void
hdr_init(struct nmreq_header *h, uint16_t type, const char *name, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uintptr_t)body;
}

/* REGISTER with the given geometry and options; 0 or errno. */
static int
do_register(int fd, const char *name, uint32_t rings, uint32_t slots,
    uint32_t extra, void *opts, struct nmreq_register *reg)
{
	struct nmreq_header h;

	memset(reg, 0, sizeof(*reg));
	reg->nr_mode = NR_REG_ALL_NIC;
	reg->nr_tx_rings = reg->nr_rx_rings = (uint16_t)rings;
	reg->nr_tx_slots = reg->nr_rx_slots = slots;
	reg->nr_extra_bufs = extra;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, reg);
	h.nr_options = (uintptr_t)opts;
	return ioctl(fd, NIOCCTRL, &h) == 0 ? 0 : errno;
}

static uint32_t
arg_u32(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > UINT32_MAX)
		usage();
	return (uint32_t)v;
}

/* ---- race ---- */

struct race {
	int fd;
	int stop;
	time_t end;
	long registers, cycles;
	long syncs_ok, polls_ok, maps_ok;
	unsigned long touched;
};

static int
race_stopped(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static void
race_count(long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/*
 * Each REGISTER names a new port (the first REGISTER of a name creates
 * it) and carries an option REGISTER refuses.
 */
static void *
race_register(void *arg)
{
	static const char *const names[] = { "vale1:r", "rp{1", "vale1:s{2" };
	struct race *r = arg;
	union {
		struct nmreq_option o;
		struct nmreq_opt_extmem em;
		struct nmreq_opt_csb csb;
	} opt;
	struct nmreq_register reg;
	long i;
	int e;

	for (i = 0; time(NULL) < r->end; i++) {
		memset(&opt, 0, sizeof(opt));
		opt.o.nro_reqtype = i % 3 == 0 ? NETMAP_REQ_OPT_MAX + 1 :
		    i % 3 == 1 ? NETMAP_REQ_OPT_EXTMEM : NETMAP_REQ_OPT_CSB;
		e = do_register(r->fd, names[i % 3], 2, 256, 0, &opt, &reg);
		if (e != EOPNOTSUPP || opt.o.nro_status != EOPNOTSUPP) {
			warnx("race: REGISTER with option %u: error %d, "
			    "status %u", opt.o.nro_reqtype, e,
			    opt.o.nro_status);
			exit(1);
		}
	}
	r->registers = i;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *
race_sync(void *arg)
{
	struct race *r = arg;

	while (!race_stopped(r)) {
		if (ioctl(r->fd, NIOCTXSYNC, 0) == 0)
			race_count(&r->syncs_ok);
		if (ioctl(r->fd, NIOCRXSYNC, 0) == 0)
			race_count(&r->syncs_ok);
	}
	return NULL;
}

static void *
race_poll(void *arg)
{
	struct race *r = arg;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN | POLLOUT };

	while (!race_stopped(r)) {
		if (poll(&pfd, 1, 0) == 1 && pfd.revents != POLLERR)
			race_count(&r->polls_ok);
	}
	return NULL;
}

/* A mapping that succeeds is touched, then kept for a while. */
static void *
race_mmap(void *arg)
{
	struct race *r = arg;
	volatile char *keep[16];
	int n = 0, i;

	while (!race_stopped(r)) {
		volatile char *p = mmap(NULL, 1 << 16, PROT_READ, MAP_SHARED,
		    r->fd, 0);

		if (p == MAP_FAILED)
			continue;
		race_count(&r->maps_ok);
		if (n == 16) {
			for (i = 0; i < n; i++)
				munmap((void *)keep[i], 1 << 16);
			n = 0;
		}
		keep[n++] = p;
		for (i = 0; i < n; i++)
			r->touched += (unsigned char)keep[i][4096 * (i % 16)];
	}
	for (i = 0; i < n; i++)
		munmap((void *)keep[i], 1 << 16);
	return NULL;
}

/* Other ports come and go, so freed memory gets reused at once. */
static void *
race_churn(void *arg)
{
	struct race *r = arg;
	struct nmreq_register reg;

	while (!race_stopped(r)) {
		int fd = nm_open();
		char *mem;

		if (do_register(fd, "vale2:c", 2, 256, 0, NULL, &reg) != 0)
			errx(1, "race: REGISTER vale2:c failed");
		mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			err(1, "race: mmap vale2:c");
		memset(mem, 0x5a, 4096);
		munmap(mem, reg.nr_memsize);
		close(fd);
		race_count(&r->cycles);
	}
	return NULL;
}

static int
cmd_race(int argc, char **argv)
{
	void *(*const fn[])(void *) = { race_register, race_sync, race_sync,
	    race_poll, race_mmap, race_churn };
	pthread_t th[sizeof(fn) / sizeof(fn[0])];
	struct nmreq_register reg;
	struct race r;
	unsigned i;
	char *mem;

	if (argc != 2)
		usage();
	memset(&r, 0, sizeof(r));
	r.end = time(NULL) + arg_u32(argv[1]);
	r.fd = nm_open();
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		if ((errno = pthread_create(&th[i], NULL, fn[i], &r)) != 0)
			err(1, "pthread_create");
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		pthread_join(th[i], NULL);
	printf("race: %ld refused REGISTERs, %ld port cycles; succeeded: "
	    "%ld syncs, %ld polls, %ld mmaps\n", r.registers, r.cycles,
	    r.syncs_ok, r.polls_ok, r.maps_ok);
	if (r.registers == 0 || r.cycles == 0)
		errx(1, "race: nothing ran");
	if (r.syncs_ok || r.polls_ok || r.maps_ok)
		errx(1, "race: the descriptor was seen bound");
	/* the descriptor is still free, and binds normally */
	if (do_register(r.fd, "vale1:r", 2, 256, 0, NULL, &reg) != 0)
		errx(1, "race: REGISTER after the race failed");
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    r.fd, 0);
	if (mem == MAP_FAILED)
		err(1, "race: mmap after REGISTER");
	/* the mapping keeps its region after the descriptor is closed */
	close(r.fd);
	memset(mem, 0xa5, reg.nr_memsize);
	munmap(mem, reg.nr_memsize);
	printf("race: ok\n");
	return 0;
}

/* ---- exec ---- */

static void
expect_map_fail(int fd, size_t len, int prot, off_t off, int e,
    const char *what)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p != MAP_FAILED)
		errx(1, "exec: %s: mmap succeeded", what);
	if (errno != e)
		errx(1, "exec: %s: errno %d (%s), expected %d", what, errno,
		    strerror(errno), e);
}

static int
cmd_exec(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct nmreq_register reg;
	int fd, status;
	size_t size;
	pid_t pid;
	char *mem;

	if (argc != 2)
		usage();
	fd = nm_open();
	expect_map_fail(fd, (size_t)pg, PROT_READ, 0, EINVAL, "unbound");
	if (do_register(fd, argv[1], 1, 256, 0, NULL, &reg) != 0)
		errx(1, "exec: REGISTER %s failed", argv[1]);
	size = ((size_t)reg.nr_memsize + (size_t)pg - 1) & ~((size_t)pg - 1);
	expect_map_fail(fd, size, PROT_READ | PROT_EXEC, 0, EPERM,
	    "PROT_EXEC");
	expect_map_fail(fd, size + (size_t)pg, PROT_READ, 0, EINVAL,
	    "a page past the end");
	expect_map_fail(fd, (size_t)pg, PROT_READ, (off_t)size, EINVAL,
	    "at the end");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		err(1, "exec: mmap of the page-rounded region");
	if (mprotect(mem, (size_t)pg, PROT_READ | PROT_EXEC) == 0)
		errx(1, "exec: mprotect(PROT_EXEC) succeeded");
	if (errno != EACCES)
		errx(1, "exec: mprotect(PROT_EXEC): errno %d (%s), expected "
		    "EACCES", errno, strerror(errno));
	/*
	 * A hole splits the vma in two and a fork copies both: each vma
	 * holds the region once (the harness's unload finds any imbalance,
	 * as a leak or a kref underflow).
	 */
	mem[size - 1] = 1;
	if (munmap(mem + pg, (size_t)pg) != 0)
		err(1, "exec: munmap of the second page");
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		mem[0] = mem[size - 1];
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "exec: the child could not use the mapping");
	munmap(mem, size);
	mem = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd,
	    (off_t)(size - (size_t)pg));
	if (mem == MAP_FAILED)
		err(1, "exec: mmap of the last page");
	munmap(mem, (size_t)pg);
	close(fd);
	printf("exec: ok\n");
	return 0;
}

/* ---- reg, hold ---- */

static int
errno_value(const char *name)
{
	static const struct {
		const char *name;
		int e;
	} tab[] = { { "0", 0 }, { "ENOMEM", ENOMEM }, { "EINVAL", EINVAL },
	    { "EBUSY", EBUSY } };
	unsigned i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].e;
	usage();
	return -1;
}

static int
cmd_reg(int argc, char **argv)
{
	struct nmreq_register reg;
	int fd, e, want;

	if (argc != 6)
		usage();
	want = errno_value(argv[5]);
	fd = nm_open();
	e = do_register(fd, argv[1], arg_u32(argv[2]), arg_u32(argv[3]),
	    arg_u32(argv[4]), NULL, &reg);
	if (e != want)
		errx(1, "reg %s: error %d (%s), expected %s", argv[1], e,
		    strerror(e), argv[5]);
	printf("reg %s: %s", argv[1], e ? strerror(e) : "ok");
	if (e == 0)
		printf(", %" PRIu64 " bytes", reg.nr_memsize);
	printf("\n");
	close(fd);
	return 0;
}

static int
cmd_hold(int argc, char **argv)
{
	struct nmreq_register reg;
	uint64_t i;
	char *mem;
	int fd, e;

	if (argc != 5)
		usage();
	fd = nm_open();
	e = do_register(fd, argv[1], arg_u32(argv[2]), arg_u32(argv[3]),
	    arg_u32(argv[4]), NULL, &reg);
	if (e != 0)
		errx(1, "hold %s: %s", argv[1], strerror(e));
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (mem == MAP_FAILED)
		err(1, "hold: mmap");
	for (i = 0; i < reg.nr_memsize; i += 4096)
		mem[i] = 1;
	printf("hold %s: ready, %" PRIu64 " bytes\n", argv[1],
	    reg.nr_memsize);
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- concurrent ---- */

/* MemFree in kB. */
static long
mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		err(1, "/proc/meminfo");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		errx(1, "no MemFree in /proc/meminfo");
	return kb;
}

struct conc {
	int started, done, error;
};

/* Requests that take the core lock; the first needs no port. */
static void
small_requests(void)
{
	struct nmreq_port_info_get pi;
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	int fd = nm_open();

	memset(&pi, 0, sizeof(pi));
	pi.nr_mem_id = 1;
	hdr_init(&h, NETMAP_REQ_PORT_INFO_GET, "", &pi);
	if (ioctl(fd, NIOCCTRL, &h) != 0)
		err(1, "concurrent: PORT_INFO_GET");
	memset(&vl, 0, sizeof(vl));
	hdr_init(&h, NETMAP_REQ_VALE_LIST, "", &vl);
	if (ioctl(fd, NIOCCTRL, &h) != 0 && errno != ENOENT)
		err(1, "concurrent: VALE_LIST");
	close(fd);
}

/*
 * The order of events decides, not time: the child marks its REGISTER
 * started and done in shared memory; once MemFree has dropped by 32 MB
 * its region is being allocated, and the small requests made from then
 * on must return while `done` is still 0.  They can also lose to a
 * REGISTER that finishes just then, which proves nothing either way:
 * the attempt is repeated, and only requests that never once returned
 * before the REGISTER did (they waited for it) fail the test.
 */
static int
cmd_concurrent(int argc, char **argv)
{
	struct conc *c;
	int attempt, status, fd, seen = 0;
	pid_t pid;

	if (argc != 5)
		usage();
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		err(1, "mmap");
	for (attempt = 1; attempt <= 3; attempt++) {
		long base = mem_free_kb();
		bool overlapped = false;

		memset(c, 0, sizeof(*c));
		pid = fork();
		if (pid < 0)
			err(1, "fork");
		if (pid == 0) {
			struct nmreq_register reg;

			fd = nm_open();
			__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
			c->error = do_register(fd, argv[1], arg_u32(argv[2]),
			    arg_u32(argv[3]), arg_u32(argv[4]), NULL, &reg);
			__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
			_exit(0);
		}
		while (!__atomic_load_n(&c->started, __ATOMIC_ACQUIRE))
			;
		while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
			if (base - mem_free_kb() < 32 * 1024)
				continue;
			seen++;
			small_requests();
			overlapped = !__atomic_load_n(&c->done,
			    __ATOMIC_ACQUIRE);
			break;
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			errx(1, "concurrent: the child failed");
		if (c->error != 0)
			errx(1, "concurrent: REGISTER %s: %s", argv[1],
			    strerror(c->error));
		if (overlapped) {
			printf("concurrent: control requests completed while "
			    "REGISTER %s was allocating\n", argv[1]);
			return 0;
		}
		printf("concurrent: attempt %d: %s\n", attempt, seen ?
		    "the requests returned after the REGISTER" :
		    "the allocation was not observed");
	}
	errx(1, "concurrent: %s", seen ? "control requests waited for the "
	    "REGISTER's allocation" : "the allocation was never observed");
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "race") == 0)
		return cmd_race(argc - 1, argv + 1);
	if (strcmp(argv[1], "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(argv[1], "reg") == 0)
		return cmd_reg(argc - 1, argv + 1);
	if (strcmp(argv[1], "hold") == 0)
		return cmd_hold(argc - 1, argv + 1);
	if (strcmp(argv[1], "concurrent") == 0)
		return cmd_concurrent(argc - 1, argv + 1);
	usage();
	return 2;
}
