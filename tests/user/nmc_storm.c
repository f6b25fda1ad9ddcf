// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_storm.c: a storm of netmap calls through the client library
 * against a netmapd (issue 12, "beyond the list"). NPROC processes with
 * NTHR threads each do random sequences of open, REGISTER (good and
 * bad), txsync, rxsync, poll, mmap/munmap, fork and close on a table of
 * descriptors: some slots private to a thread, the others shared by all
 * threads of the process, and inherited by the children they fork.
 *
 * Nothing may crash (the client is built with ASan/UBSan), hang (every
 * wait is bounded; the parent has an alarm), or fail with an error that
 * means the client and the daemon lost each other (EIO, EPROTO,
 * ETIMEDOUT, EFAULT). The caller checks that the daemon is back to its
 * baseline afterwards (tests/user/storm.sh).
 *
 * `nmc_storm [SECONDS]` (default 20); the seed is printed and taken
 * from UNIT_SEED.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "nmd_test.h"

int unit_checks;

#define NPROC		3
#define NTHR		3
#define NSLOT		8	/* 0..NTHR-1 private, the rest shared */

struct slot {
	pthread_mutex_t mu;	/* fd and memsize; held only briefly */
	int fd;
	size_t memsize;
};

static struct slot slots[NSLOT];
static uint64_t deadline_ms;

enum { OP_OPEN, OP_REG, OP_BADREG, OP_TXSYNC, OP_RXSYNC, OP_POLL,
    OP_MMAP, OP_FORK, OP_CLOSE, OP_N };
static const char *const op_names[OP_N] = {
	"open", "register", "bad-register", "txsync", "rxsync", "poll",
	"mmap", "fork", "close",
};
static unsigned long op_count[OP_N];

/* An error that means the client and the daemon lost each other. */
static void
check_errno(int op, int rv)
{
	if (rv == 0)
		return;
	if (errno == EIO || errno == EPROTO || errno == ETIMEDOUT ||
	    errno == EFAULT) {
		fprintf(stderr, "storm: %s: %s\n", op_names[op],
		    strerror(errno));
		exit(1);
	}
}

static int
slot_fd(int k)
{
	int fd;

	pthread_mutex_lock(&slots[k].mu);
	fd = slots[k].fd;
	pthread_mutex_unlock(&slots[k].mu);
	return fd;
}

static void
name_of(char *buf, size_t size, uint64_t r)
{
	switch (r % 3) {
	case 0:
		snprintf(buf, size, "valeZ%u:p%u", (unsigned)(r >> 8) % 2,
		    (unsigned)(r >> 16) % 4);
		break;
	case 1:
		snprintf(buf, size, "zpipe%u%c1", (unsigned)(r >> 8) % 2,
		    (r >> 16) & 1 ? '{' : '}');
		break;
	default:
		snprintf(buf, size, "valeZ2:p%u", (unsigned)(r >> 8) % 3);
		break;
	}
}

/* A REGISTER that must fail: wrong version, unknown option, bad name. */
static int
bad_register(int fd, uint64_t r)
{
	struct nmreq_register reg;
	struct nmreq_header h;
	struct nmreq_option opt;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	unit_hdr(&h, NETMAP_REQ_REGISTER, "valeZ0:bad", &reg);
	switch (r % 4) {
	case 0:
		h.nr_version = NETMAP_API + 7;
		break;
	case 1:
		memset(&opt, 0, sizeof(opt));
		opt.nro_reqtype = NETMAP_REQ_OPT_MAX + 3;
		h.nr_options = (uintptr_t)&opt;
		break;
	case 2:
		snprintf(h.nr_name, sizeof(h.nr_name), "nosuchif0");
		break;
	default:
		reg.nr_mode = 77;
		break;
	}
	return ioctl(fd, NIOCCTRL, &h);
}

static void do_op(int op, int k, uint64_t r);

/*
 * A forked child: a few operations on the descriptors it inherited,
 * then exit. The child of a multi-threaded process may only use what is
 * safe after fork(): syncs, poll and mmap, which the client serves
 * without allocating; opening, registering and closing allocate (and
 * the sanitizer's allocator may have been locked by a thread of the
 * parent at the fork).
 */
static void
storm_child(uint64_t seed)
{
	static const int child_ops[] = { OP_TXSYNC, OP_RXSYNC, OP_POLL,
	    OP_MMAP };
	int i;

	/* Their holders are threads of the parent, which we do not have. */
	for (i = 0; i < NSLOT; i++)
		pthread_mutex_init(&slots[i].mu, NULL);
	for (i = 0; i < 20; i++) {
		uint64_t r = unit_rand(&seed);

		do_op(child_ops[r % 4], (int)((r >> 40) % NSLOT), r >> 8);
	}
	_exit(0);
}

static void
do_op(int op, int k, uint64_t r)
{
	struct nmreq_register reg;
	struct pollfd pfd;
	char name[NETMAP_REQ_IFNAMSIZ];
	int fd, rv, st;
	size_t size;
	char *m;
	pid_t pid;

	__atomic_add_fetch(&op_count[op], 1, __ATOMIC_RELAXED);
	switch (op) {
	case OP_OPEN:
		pthread_mutex_lock(&slots[k].mu);
		if (slots[k].fd < 0) {
			slots[k].fd = open("/dev/netmap", O_RDWR);
			CHECK(slots[k].fd >= 0);
			slots[k].memsize = 0;
		}
		pthread_mutex_unlock(&slots[k].mu);
		break;
	case OP_REG:
		if ((fd = slot_fd(k)) < 0)
			break;
		name_of(name, sizeof(name), r);
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		rv = unit_register(fd, name, &reg, NULL);
		check_errno(op, rv);
		if (rv == 0) {
			pthread_mutex_lock(&slots[k].mu);
			if (slots[k].fd == fd)
				slots[k].memsize = reg.nr_memsize;
			pthread_mutex_unlock(&slots[k].mu);
		}
		break;
	case OP_BADREG:
		if ((fd = slot_fd(k)) < 0)
			break;
		rv = bad_register(fd, r);
		CHECK(rv == -1);
		check_errno(op, rv);
		break;
	case OP_TXSYNC:
	case OP_RXSYNC:
		if ((fd = slot_fd(k)) < 0)
			break;
		rv = ioctl(fd, op == OP_TXSYNC ? NIOCTXSYNC : NIOCRXSYNC,
		    NULL);
		check_errno(op, rv);
		break;
	case OP_POLL:
		if ((fd = slot_fd(k)) < 0)
			break;
		pfd.fd = fd;
		pfd.events = (r & 1) ? POLLIN : POLLOUT;
		rv = poll(&pfd, 1, (int)((r >> 4) % 5));
		CHECK(rv >= 0 || errno == EINTR);
		break;
	case OP_MMAP:
		pthread_mutex_lock(&slots[k].mu);
		fd = slots[k].fd;
		size = slots[k].memsize;
		pthread_mutex_unlock(&slots[k].mu);
		if (fd < 0 || size == 0)
			break;
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			check_errno(op, -1);
			break;
		}
		(void)*(volatile char *)m;
		munmap(m, size);
		break;
	case OP_FORK:
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			storm_child(r);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		break;
	case OP_CLOSE:
		pthread_mutex_lock(&slots[k].mu);
		if (slots[k].fd >= 0) {
			CHECK_EQ(close(slots[k].fd), 0);
			slots[k].fd = -1;
			slots[k].memsize = 0;
		}
		pthread_mutex_unlock(&slots[k].mu);
		break;
	}
}

struct thr {
	int id;
	uint64_t seed;
};

static void *
storm_thread(void *arg)
{
	struct thr *t = arg;

	while (nt_now_ms() < deadline_ms) {
		uint64_t r = unit_rand(&t->seed);
		int op = (int)(r % OP_N);
		int k = (r >> 40) & 1 ? t->id :
		    NTHR + (int)((r >> 41) % (NSLOT - NTHR));

		/* Forks are costly under ASan: one in eight draws. */
		if (op == OP_FORK && (r >> 50) % 8 != 0)
			op = OP_POLL;
		do_op(op, k, r >> 8);
	}
	return NULL;
}

static void
storm_process(uint64_t seed)
{
	struct thr t[NTHR];
	pthread_t tid[NTHR];
	int i;

	for (i = 0; i < NSLOT; i++) {
		pthread_mutex_init(&slots[i].mu, NULL);
		slots[i].fd = -1;
	}
	for (i = 0; i < NTHR; i++) {
		t[i].id = i;
		t[i].seed = seed * 31 + (uint64_t)i + 1;
		CHECK_EQ(pthread_create(&tid[i], NULL, storm_thread, &t[i]), 0);
	}
	for (i = 0; i < NTHR; i++)
		CHECK_EQ(pthread_join(tid[i], NULL), 0);
	for (i = 0; i < NSLOT; i++)
		if (slots[i].fd >= 0)
			CHECK_EQ(close(slots[i].fd), 0);
	for (i = 0; i < OP_N; i++)
		printf("%s%s %lu", i ? ", " : "storm process: ", op_names[i],
		    op_count[i]);
	printf("\n");
	exit(0);
}

int
main(int argc, char **argv)
{
	uint64_t seed = unit_seed("storm");
	int secs = argc > 1 ? atoi(argv[1]) : 20;
	pid_t pid[NPROC];
	int i, st, failed = 0;

	setenv("NETMAP_HOST", "user", 1);
	CHECK(secs > 0 && secs < 600);
	deadline_ms = nt_now_ms() + (uint64_t)secs * 1000;
	fflush(stdout);
	for (i = 0; i < NPROC; i++) {
		pid[i] = fork();
		CHECK(pid[i] >= 0);
		if (pid[i] == 0)
			storm_process(seed + (uint64_t)i * 7919);
	}
	alarm((unsigned)secs + 60);	/* a hang detector */
	for (i = 0; i < NPROC; i++) {
		CHECK_EQ(waitpid(pid[i], &st, 0), pid[i]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "storm process %d: status 0x%x\n", i,
			    st);
			failed++;
		}
	}
	alarm(0);
	CHECK_EQ(failed, 0);
	printf("nmc_storm: %d processes x %d threads for %d s: ok\n", NPROC,
	    NTHR, secs);
	return 0;
}
