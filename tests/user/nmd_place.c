// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_place.c: the daemon thread of a connection follows its client's
 * CPU (docs/netmapd.md, "Placement"). `nmd_place PID`, PID being the
 * netmapd of $NETMAP_SOCKET (tests/user/place.sh):
 *
 *   - through the client library: a client pinned to CPU k that syncs
 *     has a daemon thread whose affinity equals its own, {k}; when the
 *     client moves to another CPU and syncs, that thread moves too;
 *   - by hand on a doorbell: every hint the daemon cannot use (none,
 *     past CPU_SETSIZE, a CPU not the daemon's) puts that connection's
 *     thread back on all of the daemon's CPUs, the connection is still
 *     served, and the other connections' threads stay where they are.
 *
 * The affinities are read with sched_getaffinity on each of the
 * daemon's threads; a thread is known by its mask, so the checks count
 * threads per mask. It needs two CPUs that both the test and the
 * daemon may use; with fewer there is no move to see: it says so and
 * passes.
 */
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include "nmd_proto.h"
#include "nmd_test.h"

int unit_checks;

static pid_t nmd_pid;
static cpu_set_t nmd_all;	/* the daemon's CPUs (its main thread's) */

/* How many of the daemon's threads have exactly the affinity `want`. */
static int
threads_with(const cpu_set_t *want)
{
	char path[64];
	struct dirent *e;
	cpu_set_t set;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)nmd_pid);
	d = opendir(path);
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (sched_getaffinity(atoi(e->d_name), sizeof(set), &set) == 0
		    && CPU_EQUAL(&set, want))
			n++;
	}
	closedir(d);
	return n;
}

static cpu_set_t
one_cpu(int k)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(k, &set);
	return set;
}

static void
pin(const cpu_set_t *set)
{
	CHECK_EQ(sched_setaffinity(0, sizeof(*set), set), 0);
}

static void
txsync(struct unit_port *p)
{
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, NULL), 0);
}

/* A raw connection past HELLO, its doorbell mapped (as nmd_hostile.c). */
static int
raw_hello(struct nmd_bell **bell)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	socklen_t len;
	struct nmd_msg m;
	int s, fd;

	CHECK_EQ(nmd_socket_path(path, sizeof(path)), 0);
	CHECK_EQ(nmd_sockaddr(&sa, &len, path), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	CHECK_EQ(connect(s, (struct sockaddr *)&sa, len), 0);
	memset(&m, 0, sizeof(m));
	m.magic = NMD_MAGIC;
	m.type = NMD_MSG_HELLO;
	m.len = sizeof(m);
	m.arg = NMD_VERSION;
	CHECK_EQ(nmd_send(s, &m, sizeof(m), -1, 0), 0);
	CHECK_EQ(nmd_recv(s, &m, sizeof(m), &fd, 0), sizeof(m));
	CHECK_EQ(m.error, 0);
	CHECK(fd >= 0);
	*bell = mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	CHECK(*bell != MAP_FAILED);
	close(fd);
	return s;
}

/*
 * Post a TXSYNC with `hint` as the poster's CPU, as the client library
 * does, and wait (5 s at most) for its completion. The connection has
 * no port, so the sync itself fails; that it completes shows that the
 * daemon still serves us.
 */
static void
raw_post(int s, struct nmd_bell *b, uint32_t hint)
{
	uint32_t seq = __atomic_load_n(&b->req_seq, __ATOMIC_RELAXED) + 1;
	struct nmd_msg m;
	int i;

	b->op = NMD_OP_TXSYNC;
	b->arg = 0;
	b->cli_cpu = hint;
	__atomic_store_n(&b->req_seq, seq, __ATOMIC_RELEASE);
	/* A message makes the socket watch kick a sleeping daemon thread. */
	memset(&m, 0, sizeof(m));
	m.magic = NMD_MAGIC;
	m.type = NMD_MSG_KICK;
	m.len = sizeof(m);
	CHECK_EQ(nmd_send(s, &m, sizeof(m), -1, 0), 0);
	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&b->done_seq, __ATOMIC_ACQUIRE) == seq)
			break;
		usleep(1000);
	}
	CHECK_EQ(__atomic_load_n(&b->done_seq, __ATOMIC_ACQUIRE), seq);
	CHECK(b->result != 0);
}

/* A CPU id the daemon may not use, below CPU_SETSIZE. */
static int
foreign_cpu(void)
{
	int k;

	for (k = CPU_SETSIZE - 1; k >= 0; k--)
		if (!CPU_ISSET(k, &nmd_all))
			return k;
	return -1;
}

int
main(int argc, char **argv)
{
	static const uint32_t bad[] = { 0, 0xffffffffu, CPU_SETSIZE + 1,
	    0x80000000u };
	struct unit_port a, b, m, mon;
	struct nmreq_register reg;
	struct nmd_bell *bell;
	cpu_set_t mine, use, s0, s1;
	int k0 = -1, k1 = -1, k, n0, n1, nall, s;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: nmd_place NETMAPD_PID\n");
		return 1;
	}
	nmd_pid = atoi(argv[1]);
	setenv("NETMAP_HOST", "user", 1);
	CHECK_EQ(sched_getaffinity(nmd_pid, sizeof(nmd_all), &nmd_all), 0);
	CHECK_EQ(sched_getaffinity(0, sizeof(mine), &mine), 0);
	CPU_AND(&use, &mine, &nmd_all);
	for (k = 0; k < CPU_SETSIZE; k++) {
		if (!CPU_ISSET(k, &use))
			continue;
		if (k0 < 0)
			k0 = k;
		else if (k1 < 0)
			k1 = k;
	}
	if (k1 < 0) {
		printf("nmd_place: fewer than two CPUs: nothing to check\n");
		return 0;
	}
	s0 = one_cpu(k0);
	s1 = one_cpu(k1);
	/*
	 * A monitor on the switch keeps its syncs on the doorbell, where
	 * the daemon thread does them (a plain switch forwards in its
	 * clients, and their threads have nothing to follow).
	 */
	unit_port_open(&m, "valeP:m", NULL);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_MONITOR_TX;
	unit_port_open(&mon, "valeP:m", &reg);
	n0 = threads_with(&s0);
	n1 = threads_with(&s1);
	nall = threads_with(&nmd_all);

	/* A client pinned to k0 syncs: its daemon thread is on {k0}. */
	pin(&s0);
	unit_port_open(&a, "valeP:a", NULL);
	txsync(&a);
	CHECK_EQ(threads_with(&s0), n0 + 1);
	/* Another, pinned to k1. */
	pin(&s1);
	unit_port_open(&b, "valeP:b", NULL);
	txsync(&b);
	CHECK_EQ(threads_with(&s0), n0 + 1);
	CHECK_EQ(threads_with(&s1), n1 + 1);
	/* The first one moves to k1 and syncs: its thread follows. */
	txsync(&a);
	CHECK_EQ(threads_with(&s0), n0);
	CHECK_EQ(threads_with(&s1), n1 + 2);
	/* And back. */
	pin(&s0);
	txsync(&a);
	CHECK_EQ(threads_with(&s0), n0 + 1);
	CHECK_EQ(threads_with(&s1), n1 + 1);
	CHECK_EQ(threads_with(&nmd_all), nall);

	/* Hints the daemon cannot use put that thread on all its CPUs. */
	s = raw_hello(&bell);
	k = foreign_cpu();
	for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		raw_post(s, bell, (uint32_t)k0 + 1);
		CHECK_EQ(threads_with(&s0), n0 + 2);
		CHECK_EQ(threads_with(&nmd_all), nall);
		if (i < sizeof(bad) / sizeof(bad[0]))
			raw_post(s, bell, bad[i]);
		else if (k >= 0)
			raw_post(s, bell, (uint32_t)k + 1);
		else
			continue;
		CHECK_EQ(threads_with(&s0), n0 + 1);
		CHECK_EQ(threads_with(&nmd_all), nall + 1);
	}
	/* The well-behaved clients are where they were, and served. */
	txsync(&a);
	pin(&s1);
	txsync(&b);
	CHECK_EQ(threads_with(&s0), n0 + 1);
	CHECK_EQ(threads_with(&s1), n1 + 1);
	close(s);
	munmap(bell, NMD_BELL_SIZE);
	unit_port_close(&a);
	unit_port_close(&b);
	unit_port_close(&mon);
	unit_port_close(&m);
	printf("nmd_place: %d checks passed\n", unit_checks);
	return 0;
}
