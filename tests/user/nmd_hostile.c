// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_hostile.c: a client that attacks netmapd, one way per mode:
 *
 *   protocol (default)  breaks the protocol in every way we could think
 *                       of, one connection per attempt: each must be
 *                       closed by the daemon (we see EOF) or answered
 *                       with an error (hostile.sh)
 *   seals, memid        what a client can do with the memfds it receives,
 *                       and whose regions it can receive (seals.sh)
 *   conns, pending, silent, emfile, quota, kstate
 *                       each limit of the daemon, hit (limits.sh)
 *
 * The daemon must stay up, and a well-behaved pair of ports opened
 * before the attack must keep working through it (checked by the
 * caller's script).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <net/netmap_user.h>

#include "nmd_proto.h"

static int nfail;

#define EXPECT(cond, what) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "nmd_hostile: %s: failed: %s\n",	\
		    (what), #cond);					\
		nfail++;						\
	}								\
} while (0)

static int
conn(void)
{
	char path[108];
	struct sockaddr_un sa;
	socklen_t len;
	sa_family_t fam = AF_UNIX;
	int s;

	if (nmd_socket_path(path, sizeof(path)) != 0 ||
	    nmd_sockaddr(&sa, &len, path) != 0)
		exit(1);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&fam, sizeof(fam)) < 0 ||
	    connect(s, (struct sockaddr *)&sa, len) < 0) {
		perror("connect");
		exit(1);
	}
	return s;
}

/* Wait for the daemon to hang up on us (with a deadline). */
static int
hung_up(int s)
{
	char buf[256];
	struct pollfd p = { s, POLLIN, 0 };

	for (;;) {
		ssize_t n;

		if (poll(&p, 1, 5000) != 1)
			return 0;
		n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0 && errno != EAGAIN)
			return 0;
	}
}

static void
msg_init(struct nmd_msg *m, uint16_t type, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->magic = NMD_MAGIC;
	m->type = type;
	m->len = (uint32_t)len;
}

/*
 * A connection past HELLO, with its doorbell mapped; the doorbell's
 * memfd goes to *bellfd, or is closed if bellfd is NULL.
 */
static int
hello_fd(struct nmd_bell **bell, int *bellfd)
{
	struct nmd_msg m;
	int s = conn(), fd;

	msg_init(&m, NMD_MSG_HELLO, sizeof(m));
	m.arg = NMD_VERSION;
	if (nmd_send(s, &m, sizeof(m), -1, 0) != 0 ||
	    nmd_recv(s, &m, sizeof(m), &fd, 0) != sizeof(m) || fd < 0 ||
	    m.error != 0) {
		fprintf(stderr, "nmd_hostile: HELLO refused\n");
		exit(1);
	}
	*bell = mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (*bell == MAP_FAILED)
		exit(1);
	if (bellfd != NULL)
		*bellfd = fd;
	else
		close(fd);
	return s;
}

static int
hello(struct nmd_bell **bell)
{
	return hello_fd(bell, NULL);
}

static void
raw_attack(const char *what, const void *buf, size_t len, int after_hello)
{
	struct nmd_bell *b = NULL;
	int s = after_hello ? hello(&b) : conn();

	EXPECT(send(s, buf, len, MSG_NOSIGNAL) == (ssize_t)len ||
	    len > NMD_MSG_MAX, what);
	if (b != NULL)	/* tell a spinning daemon */
		__atomic_add_fetch(&b->ctrl_seq, 1, __ATOMIC_RELEASE);
	EXPECT(hung_up(s), what);
	close(s);
	if (b != NULL)
		munmap(b, NMD_BELL_SIZE);
}

static void
bell_attack(const char *what, uint32_t op, uint32_t arg)
{
	struct nmd_bell *b;
	struct nmd_msg kick;
	int s = hello(&b);

	b->op = op;
	b->arg = arg;
	__atomic_add_fetch(&b->req_seq, 1, __ATOMIC_RELEASE);
	msg_init(&kick, NMD_MSG_KICK, sizeof(kick));
	nmd_send(s, &kick, sizeof(kick), -1, MSG_DONTWAIT);
	EXPECT(hung_up(s), what);
	close(s);
	munmap(b, NMD_BELL_SIZE);
}

/*
 * Scribble on every futex word and flag of the page, with no message,
 * then post a bad op the way a client does (kick the futex): the daemon
 * thread must neither hang nor crash, and must still drop the client.
 */
static void
bell_storm(const char *what)
{
	struct nmd_bell *b;
	uint32_t x = 12345;
	int s = hello(&b), i;

	for (i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		__atomic_store_n(&b->kick, x, __ATOMIC_RELAXED);
		__atomic_store_n(&b->poll_sleeping, x >> 7, __ATOMIC_RELAXED);
		__atomic_store_n(&b->cli_sleeping, x >> 3, __ATOMIC_RELAXED);
		__atomic_store_n(&b->wake_seq, x >> 5, __ATOMIC_RELAXED);
		__atomic_store_n(&b->srv_sleeping, x >> 9, __ATOMIC_RELAXED);
		nmd_futex_wake(&b->kick);
	}
	b->op = 77;
	__atomic_add_fetch(&b->req_seq, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&b->kick, 1, __ATOMIC_SEQ_CST);
	nmd_futex_wake(&b->kick);
	EXPECT(hung_up(s), what);
	close(s);
	munmap(b, NMD_BELL_SIZE);
}

/*
 * Post one doorbell op as the client library does, and wait (at most
 * 5 s) for its completion: the result, or -1 if none came.
 */
static int
bell_op(int s, struct nmd_bell *b, uint32_t op, uint32_t arg)
{
	uint32_t seq = __atomic_load_n(&b->req_seq, __ATOMIC_RELAXED) + 1;
	struct nmd_msg m;
	int i;

	b->op = op;
	b->arg = arg;
	__atomic_store_n(&b->req_seq, seq, __ATOMIC_RELEASE);
	/* A message makes the socket watch kick a sleeping daemon thread. */
	msg_init(&m, NMD_MSG_KICK, sizeof(m));
	nmd_send(s, &m, sizeof(m), -1, 0);
	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&b->done_seq, __ATOMIC_ACQUIRE) == seq)
			return b->result;
		usleep(1000);
	}
	return -1;
}

/* Legacy NIOCREGIF by hand: the reply's error; the region memfd. */
static int
regif(int s, struct nmreq *nmr, int *regfd, uint64_t *size)
{
	uint8_t buf[sizeof(struct nmd_msg) + 64];
	struct nmd_msg *m = (struct nmd_msg *)buf;

	_Static_assert(sizeof(*nmr) <= 64, "nmreq size");
	memset(buf, 0, sizeof(buf));
	msg_init(m, NMD_MSG_IOCTL, sizeof(buf));
	m->cmd = NIOCREGIF;
	memcpy(buf + sizeof(*m), nmr, sizeof(*nmr));
	if (nmd_send(s, buf, sizeof(buf), -1, 0) != 0 ||
	    nmd_recv(s, buf, sizeof(buf), regfd, 0) != sizeof(buf) ||
	    m->type != NMD_MSG_IOCTL)
		return -1;
	memcpy(nmr, buf + sizeof(*m), sizeof(*nmr));
	*size = m->arg;
	return m->error;
}

static off_t
fstat_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* An IOCTL message with the given shape. */
static void
ioctl_attack(const char *what, uint64_t cmd, uint16_t nseg,
    uint32_t seglen, size_t datalen, uint32_t lie)
{
	size_t len = sizeof(struct nmd_msg) + 88 +
	    (size_t)(nseg < 200 ? nseg : 200) * sizeof(struct nmd_seg) +
	    datalen;
	uint8_t *buf = calloc(1, len);
	struct nmd_msg *m = (struct nmd_msg *)buf;
	struct nmd_seg *sg = (struct nmd_seg *)(buf + sizeof(*m) + 88);
	struct nmreq_header *h = (struct nmreq_header *)(buf + sizeof(*m));
	unsigned i;

	msg_init(m, NMD_MSG_IOCTL, len + lie);
	m->cmd = cmd;
	m->nseg = nseg;
	h->nr_version = NETMAP_API;
	h->nr_reqtype = NETMAP_REQ_PORT_INFO_GET;
	h->nr_body = 0x1000;
	for (i = 0; i < nseg && i < 200; i++) {
		sg[i].uaddr = 0x1000 + i * 4096ull;
		sg[i].len = seglen;
	}
	raw_attack(what, buf, len, 1);
	free(buf);
}

/* Every way of breaking the protocol, one connection each. */
static void
attack_protocol(char **argv)
{
	uint8_t junk[512];
	struct nmd_msg m;
	struct nmd_bell *b;
	size_t i;
	int s, fd, p[2];

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);

	/* Before HELLO. */
	raw_attack("garbage first", junk, sizeof(junk), 0);
	raw_attack("one byte", junk, 1, 0);
	msg_init(&m, NMD_MSG_HELLO, sizeof(m));
	m.magic = 0xdeadbeef;
	raw_attack("bad magic", &m, sizeof(m), 0);
	msg_init(&m, 999, sizeof(m));
	raw_attack("bad type", &m, sizeof(m), 0);
	msg_init(&m, NMD_MSG_IOCTL, sizeof(m));
	raw_attack("ioctl before hello", &m, sizeof(m), 0);
	msg_init(&m, NMD_MSG_HELLO, sizeof(m) + 8);
	raw_attack("length lies", &m, sizeof(m), 0);
	{
		/* HELLO with a wrong version gets an error, then EOF */
		int fd2;

		s = conn();
		msg_init(&m, NMD_MSG_HELLO, sizeof(m));
		m.arg = 99;
		nmd_send(s, &m, sizeof(m), -1, 0);
		EXPECT(nmd_recv(s, &m, sizeof(m), &fd2, 0) == sizeof(m) &&
		    m.error == EPROTONOSUPPORT, "hello version");
		EXPECT(hung_up(s), "hello version");
		close(s);
	}
	{
		/* ATTACH with something that is not one of ours */
		int fd2;

		s = conn();
		if (pipe(p) != 0)
			exit(1);
		msg_init(&m, NMD_MSG_ATTACH, sizeof(m));
		nmd_send(s, &m, sizeof(m), p[0], 0);
		EXPECT(nmd_recv(s, &m, sizeof(m), &fd2, 0) == sizeof(m) &&
		    m.error != 0 && fd2 < 0, "attach a pipe");
		close(s);
		close(p[0]);
		close(p[1]);
	}

	/* After HELLO. */
	raw_attack("garbage after hello", junk, sizeof(junk), 1);
	msg_init(&m, NMD_MSG_HELLO, sizeof(m));
	raw_attack("second hello", &m, sizeof(m), 1);
	msg_init(&m, NMD_MSG_WAKE, sizeof(m));
	raw_attack("wake to the daemon", &m, sizeof(m), 1);
	msg_init(&m, NMD_MSG_KICK, sizeof(m) + 8);
	raw_attack("kick with a lie", &m, sizeof(m), 1);
	{
		uint8_t *big = calloc(1, NMD_MSG_MAX + 4096);

		msg_init((struct nmd_msg *)big, NMD_MSG_IOCTL,
		    NMD_MSG_MAX + 4096);
		raw_attack("oversized", big, NMD_MSG_MAX + 4096, 1);
		free(big);
	}
	ioctl_attack("unknown ioctl", 0x12345678, 0, 0, 0, 0);
	ioctl_attack("sync as a message", NIOCTXSYNC, 0, 0, 0, 0);
	ioctl_attack("too many segments", NIOCCTRL, 60000, 8, 0, 0);
	ioctl_attack("segments beyond the message", NIOCCTRL, 4, 4096, 64, 0);
	ioctl_attack("huge segment", NIOCCTRL, 1, 0xfffffff0u, 64, 0);
	ioctl_attack("empty segment", NIOCCTRL, 1, 0, 0, 0);
	ioctl_attack("truncated", NIOCCTRL, 2, 64, 64, 0);
	ioctl_attack("length lies", NIOCCTRL, 1, 8, 8, 16);
	{
		/* a descriptor riding along a message */
		s = hello(&b);
		msg_init(&m, NMD_MSG_KICK, sizeof(m));
		nmd_send(s, &m, sizeof(m), 0, 0);
		__atomic_add_fetch(&b->ctrl_seq, 1, __ATOMIC_RELEASE);
		EXPECT(hung_up(s), "fd with a kick");
		close(s);
		munmap(b, NMD_BELL_SIZE);
	}
	bell_attack("bad op", 77, 0);
	bell_attack("op zero", 0, 0);
	bell_attack("poll with junk", NMD_OP_POLL, 0x7fff0000u);
	bell_storm("futex words scribbled");

	/* A sync on an unbound connection is just ENXIO, not a crime. */
	s = hello(&b);
	EXPECT(bell_op(s, b, NMD_OP_TXSYNC, 0) == ENXIO, "sync unbound");
	/* and the region of an unbound port is EINVAL */
	msg_init(&m, NMD_MSG_REGION, sizeof(m));
	nmd_send(s, &m, sizeof(m), -1, 0);
	__atomic_add_fetch(&b->ctrl_seq, 1, __ATOMIC_RELEASE);
	EXPECT(nmd_recv(s, &m, sizeof(m), &fd, 0) == sizeof(m) &&
	    m.error == EINVAL && fd < 0, "region unbound");
	close(s);
	munmap(b, NMD_BELL_SIZE);
	if (nfail == 0)
		printf("nmd_hostile: every attack ended in a disconnect or "
		    "an error\n");
}

/*
 * Everything a client can do to a memfd it was handed: shrink it (the
 * daemon's next access past the new end would be SIGBUS), grow it, add
 * or drop seals. Sealed memfds refuse all of it with EPERM.
 */
static int
seal_attack(const char *what, int fd, off_t size)
{
	int bad = nfail;
	char c;

	EXPECT(fcntl(fd, F_GET_SEALS) ==
	    (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), what);
	EXPECT(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM,
	    what);
	EXPECT(ftruncate(fd, size + 4096) < 0 && errno == EPERM, what);
	EXPECT(fallocate(fd, 0, size, 4096) < 0 && errno == EPERM, what);
	EXPECT(pwrite(fd, "x", 1, size) < 0 && errno == EPERM, what);
	/* Writing inside is allowed (the same byte: the page is live). */
	EXPECT(pread(fd, &c, 1, 0) == 1 && pwrite(fd, &c, 1, 0) == 1, what);
	EXPECT(ftruncate(fd, size / 2) < 0 && errno == EPERM, what);
	EXPECT(ftruncate(fd, 0) < 0 && errno == EPERM, what);
	EXPECT(fstat_size(fd) == size, what);
	return nfail == bad ? 0 : -1;
}

/*
 * Item 5 of issue 12: a client attacks the memfds it received (doorbell
 * and region) and then syncs and polls, which is when an unsealed,
 * truncated memfd made the daemon die of SIGBUS. The region is also
 * wiped (allowed: it is the client's memory to write), which must cost
 * only this client's traffic. The caller checks that a witness pair and
 * the daemon carry on.
 */
static void
attack_seals(char **argv)
{
	struct nmd_bell *b;
	struct nmreq nmr;
	uint64_t size = 0;
	int s, bellfd, regfd = -1, r;
	void *mem;

	s = hello_fd(&b, &bellfd);
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "valeS:evil");
	nmr.nr_version = NETMAP_API;
	nmr.nr_flags = NR_REG_ALL_NIC;
	EXPECT(regif(s, &nmr, &regfd, &size) == 0 && regfd >= 0 && size > 0,
	    "register");
	if (nfail)
		return;
	if (seal_attack("doorbell memfd", bellfd, NMD_BELL_SIZE) != 0 ||
	    seal_attack("region memfd", regfd, (off_t)size) != 0) {
		/* Truncated: the client's own mapping would fault now. */
		struct nmd_msg m;

		msg_init(&m, NMD_MSG_KICK, sizeof(m));
		nmd_send(s, &m, sizeof(m), -1, 0);
		sleep(1);
		return;
	}
	EXPECT(bell_op(s, b, NMD_OP_TXSYNC, 0) == 0, "txsync");
	EXPECT(bell_op(s, b, NMD_OP_RXSYNC, 0) == 0, "rxsync");
	r = bell_op(s, b, NMD_OP_POLL, POLLOUT);
	EXPECT(r == POLLOUT, "poll");
	/* Scribble over the whole region, punch it out, sync again. */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, regfd, 0);
	EXPECT(mem != MAP_FAILED, "map region");
	if (mem != MAP_FAILED) {
		memset(mem, 0xa5, size);
		EXPECT(bell_op(s, b, NMD_OP_TXSYNC, 0) >= 0, "txsync junk");
		EXPECT(bell_op(s, b, NMD_OP_POLL, POLLIN | POLLOUT) >= 0,
		    "poll junk");
		munmap(mem, size);
	}
	EXPECT(fallocate(regfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    0, (off_t)size) == 0, "punch the region");
	EXPECT(bell_op(s, b, NMD_OP_TXSYNC, 0) >= 0, "txsync zeroed");
	EXPECT(bell_op(s, b, NMD_OP_RXSYNC, 0) >= 0, "rxsync zeroed");
	close(regfd);
	close(bellfd);
	close(s);
	munmap(b, NMD_BELL_SIZE);
	if (nfail == 0)
		printf("nmd_hostile: sealed memfds refused every change\n");
}

/*
 * memid: the trust boundary docs/netmapd.md describes. A REGISTER that
 * names another port's nr_mem_id joins that region and receives its
 * memfd, with the other port's netmap_if and rings in it; a region that
 * does not exist is EINVAL.
 */
static void
attack_memid(char **argv)
{
	struct nmd_bell *ba, *bb;
	struct nmreq a, b;
	uint64_t sa = 0, sb = 0;
	int s1, s2, fa = -1, fb = -1;
	void *mem;

	s1 = hello(&ba);
	memset(&a, 0, sizeof(a));
	snprintf(a.nr_name, sizeof(a.nr_name), "valeM:a");
	a.nr_version = NETMAP_API;
	a.nr_flags = NR_REG_ALL_NIC;
	EXPECT(regif(s1, &a, &fa, &sa) == 0 && fa >= 0 && a.nr_arg2 != 0,
	    "register valeM:a");
	s2 = hello(&bb);
	b = a;
	snprintf(b.nr_name, sizeof(b.nr_name), "valeM:b");
	b.nr_arg2 = 60000;
	EXPECT(regif(s2, &b, &fb, &sb) == EINVAL && fb < 0, "no such region");
	b.nr_arg2 = a.nr_arg2;
	EXPECT(regif(s2, &b, &fb, &sb) == 0 && fb >= 0, "join its region");
	EXPECT(b.nr_arg2 == a.nr_arg2 && sb == sa, "the same region");
	if (nfail != 0)
		return;
	mem = mmap(NULL, sb, PROT_READ, MAP_SHARED, fb, 0);
	EXPECT(mem != MAP_FAILED, "map it");
	if (mem != MAP_FAILED) {
		EXPECT(strcmp(NETMAP_IF(mem, a.nr_offset)->ni_name,
		    "valeM:a") == 0, "the other port's netmap_if");
		munmap(mem, sb);
	}
	close(fa);
	close(fb);
	close(s1);
	close(s2);
	munmap(ba, NMD_BELL_SIZE);
	munmap(bb, NMD_BELL_SIZE);
	if (nfail == 0)
		printf("nmd_hostile: a port joined another's region by "
		    "nr_mem_id, as documented\n");
}

/* The daemon's counters, by a STATS request. */
static void
stats(struct nmd_stats *st)
{
	struct {
		struct nmd_msg m;
		struct nmd_stats s;
	} r;
	int s = conn(), fd;

	memset(&r, 0, sizeof(r));
	msg_init(&r.m, NMD_MSG_STATS, sizeof(r.m));
	if (nmd_send(s, &r.m, sizeof(r.m), -1, 0) != 0 ||
	    nmd_recv(s, &r, sizeof(r), &fd, 0) <
	    (ssize_t)(sizeof(r.m) + NMD_STATS_V2)) {
		fprintf(stderr, "nmd_hostile: no STATS answer\n");
		exit(1);
	}
	close(s);
	*st = r.s;
}

/* A field of /proc/PID/status ("Threads"), or -1. */
static long
proc_status(uint64_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%llu/status",
	    (unsigned long long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/* HELLO: the reply's error (0: *s and *b are a live connection). */
static int
try_hello(int *sp, struct nmd_bell **bell)
{
	struct nmd_msg m;
	int s = conn(), fd = -1;
	ssize_t n;

	msg_init(&m, NMD_MSG_HELLO, sizeof(m));
	m.arg = NMD_VERSION;
	if (nmd_send(s, &m, sizeof(m), -1, 0) != 0 ||
	    (n = nmd_recv(s, &m, sizeof(m), &fd, 0)) != sizeof(m)) {
		close(s);
		return -1;
	}
	if (m.error != 0) {
		EXPECT(fd < 0 && hung_up(s), "refused, then EOF");
		close(s);
		return m.error;
	}
	*bell = mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	close(fd);
	if (*bell == MAP_FAILED)
		exit(1);
	*sp = s;
	return 0;
}

#define MAXCONN	512

/*
 * conns N ERRNO: the daemon runs with a cap on connections that leaves
 * room for N more; the next HELLO is refused with ERRNO (by number),
 * the connections we hold keep working, and closing one makes room.
 */
static void
attack_conns(char **argv)
{
	static int socks[MAXCONN];
	static struct nmd_bell *bells[MAXCONN];
	int want = atoi(argv[0]), errnum = atoi(argv[1]), n = 0, r = 0, i;

	while (n < MAXCONN && (r = try_hello(&socks[n], &bells[n])) == 0)
		n++;
	EXPECT(n == want, "connections before the cap");
	EXPECT(r == errnum, "refused with the right errno");
	if (n == 0)
		return;
	/* Over the cap we are refused, and the others are served. */
	for (i = 0; i < 3; i++) {
		struct nmd_bell *b;
		int s;

		EXPECT(try_hello(&s, &b) == errnum, "refused again");
	}
	EXPECT(bell_op(socks[0], bells[0], NMD_OP_TXSYNC, 0) == ENXIO,
	    "a held connection still served");
	/* One goes, one may come (once the daemon has seen the EOF). */
	close(socks[--n]);
	munmap(bells[n], NMD_BELL_SIZE);
	for (i = 0; i < 500; i++) {
		r = try_hello(&socks[n], &bells[n]);
		if (r == 0)
			break;
		usleep(10000);
	}
	EXPECT(r == 0, "room again after a close");
	if (r == 0)
		n++;
	while (n > 0) {
		close(socks[--n]);
		munmap(bells[n], NMD_BELL_SIZE);
	}
	if (nfail == 0)
		printf("nmd_hostile: %d connections, then %s\n", want,
		    strerror(errnum));
}

/*
 * silent N: N connections that never say a word cost the daemon no
 * thread, and each is closed (we see EOF) once the daemon's first-message
 * timeout passes.
 */
static void
attack_silent(char **argv)
{
	static int socks[MAXCONN];
	struct nmd_stats st0, st1;
	long t0, t1;
	int n = atoi(argv[0]), i;

	if (n > MAXCONN)
		n = MAXCONN;
	stats(&st0);
	t0 = proc_status(st0.pid, "Threads");
	for (i = 0; i < n; i++)
		socks[i] = conn();
	stats(&st1);		/* after all of them were accepted */
	t1 = proc_status(st0.pid, "Threads");
	EXPECT(t0 > 0 && t1 <= t0 + 2, "no thread per silent connection");
	for (i = 0; i < n; i++) {
		EXPECT(hung_up(socks[i]), "silent connection dropped");
		close(socks[i]);
	}
	stats(&st1);
	EXPECT(st1.first_timeouts - st0.first_timeouts == (uint64_t)n,
	    "first_timeouts counted");
	if (nfail == 0)
		printf("nmd_hostile: %d silent connections, %ld threads "
		    "before and %ld with them, all dropped\n", n, t0, t1);
}

/*
 * pending N: the daemon holds at most N connections that have not
 * spoken yet (-c N, long -w); one more is closed at once, the others
 * stay open.
 */
static void
attack_pending(char **argv)
{
	static int socks[MAXCONN];
	struct pollfd p;
	int n = atoi(argv[0]), i, s;

	if (n >= MAXCONN)
		n = MAXCONN - 1;
	for (i = 0; i < n; i++)
		socks[i] = conn();
	s = conn();
	EXPECT(hung_up(s), "one connection too many dropped");
	close(s);
	for (i = 0; i < n; i++) {
		p.fd = socks[i];
		p.events = POLLIN;
		p.revents = 0;
		EXPECT(poll(&p, 1, 0) == 0, "pending connections kept");
		close(socks[i]);
	}
	if (nfail == 0)
		printf("nmd_hostile: %d pending connections held, one more "
		    "dropped\n", n);
}

/* utime + stime of a process, in clock ticks. */
static long
proc_cpu(uint64_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%llu/stat",
	    (unsigned long long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the name may hold spaces */
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u "
	    "%*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/*
 * emfile: the daemon runs short of descriptors (a low RLIMIT_NOFILE).
 * Fill it with connections until one gets no answer, queue more, and
 * check that the daemon does not spin on accept() meanwhile (it spent
 * less than half of the 2 s we waited on a CPU; a spinning accept loop
 * takes all of it). Then free the descriptors: new clients are served.
 */
static void
attack_emfile(char **argv)
{
	static int socks[MAXCONN];
	static struct nmd_bell *bells[MAXCONN];
	struct nmd_stats st;
	struct nmd_msg m;
	struct pollfd p;
	long hz = sysconf(_SC_CLK_TCK), c0, c1;
	int n = 0, waiting = 0, i, r = -1;

	stats(&st);
	while (n < MAXCONN) {
		int s = conn();

		msg_init(&m, NMD_MSG_HELLO, sizeof(m));
		m.arg = NMD_VERSION;
		nmd_send(s, &m, sizeof(m), -1, 0);
		p.fd = s;
		p.events = POLLIN;
		if (poll(&p, 1, 1000) == 0) {	/* not accepted */
			socks[n++] = s;
			waiting++;
			break;
		}
		/* Answered: with its doorbell, or refused (ENOMEM). */
		close(s);
		r = try_hello(&socks[n], &bells[n]);
		if (r != 0)
			break;
		n++;
	}
	EXPECT(n > 0 && n < MAXCONN, "the daemon ran out of descriptors");
	/* A few more clients queue up behind the full daemon. */
	for (i = 0; i < 10 && n < MAXCONN; i++, waiting++)
		socks[n++] = conn();
	c0 = proc_cpu(st.pid);
	sleep(2);
	c1 = proc_cpu(st.pid);
	EXPECT(c0 >= 0 && c1 - c0 < hz, "no busy accept loop");
	for (i = 0; i < n; i++) {
		close(socks[i]);
		if (i < n - waiting)
			munmap(bells[i], NMD_BELL_SIZE);
	}
	/* Served again once descriptors are back. */
	for (i = 0; i < 500; i++) {
		int s;
		struct nmd_bell *b;

		r = try_hello(&s, &b);
		if (r == 0) {
			close(s);
			munmap(b, NMD_BELL_SIZE);
			break;
		}
		usleep(10000);
	}
	EXPECT(r == 0, "served again");
	if (nfail == 0)
		printf("nmd_hostile: %d connections filled the daemon; it "
		    "used %ld of %ld ticks while clients waited\n",
		    n - waiting, c1 - c0, 2 * hz);
}

/* A fresh connection bound to vale port `name` with `extra` buffers. */
static int
quota_port(const char *name, uint32_t extra, int *sp, struct nmd_bell **bp,
    uint64_t *size)
{
	struct nmreq nmr;
	int error, regfd = -1;

	*sp = hello(bp);
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s", name);
	nmr.nr_version = NETMAP_API;
	nmr.nr_flags = NR_REG_ALL_NIC;
	nmr.nr_arg3 = extra;
	*size = 0;
	error = regif(*sp, &nmr, &regfd, size);
	if (regfd >= 0)
		close(regfd);
	return error;
}

/*
 * quota PER TOTAL: the daemon runs with -m PER -M TOTAL (bytes). A
 * REGISTER whose region passes PER fails with ENOMEM; small ones
 * succeed until the regions of all add up to TOTAL, then ENOMEM, by
 * value and at exactly the count the sizes predict; closing makes room.
 */
static void
attack_quota(char **argv)
{
	static int socks[MAXCONN];
	static struct nmd_bell *bells[MAXCONN];
	uint64_t per = strtoull(argv[0], NULL, 0);
	uint64_t total = strtoull(argv[1], NULL, 0), size, small;
	struct nmd_stats st, now;
	char name[32];
	int n = 0, r, i, want, fit;

	/* Twice the per-connection quota in extra buffers of 2 KiB. */
	EXPECT(quota_port("valeQ:big", (uint32_t)(per / 1024), &socks[0],
	    &bells[0], &size) == ENOMEM, "over the connection quota");
	close(socks[0]);
	munmap(bells[0], NMD_BELL_SIZE);

	/*
	 * Regions of others (the witness's) may go while we fill the
	 * quota, never come: at least as many as fit at the start fit,
	 * and a refusal must come when the daemon's own count says ours
	 * does not fit.
	 */
	stats(&st);
	r = quota_port("valeQ:p0", 0, &socks[n], &bells[n], &small);
	EXPECT(r == 0 && small > 0 && small <= per, "a small region");
	if (r != 0)
		return;
	n++;
	want = (int)((total - st.region_bytes) / small);
	for (;;) {
		stats(&now);
		snprintf(name, sizeof(name), "valeQ:p%d", n);
		r = quota_port(name, 0, &socks[n], &bells[n], &size);
		if (r != 0 || n + 1 == MAXCONN)
			break;
		EXPECT(size == small, "regions of one size");
		n++;
	}
	fit = n;
	EXPECT(r == ENOMEM, "over the total quota: ENOMEM");
	EXPECT(now.region_bytes + small > total, "refused only when over");
	EXPECT(fit >= want, "as many regions as fit");
	stats(&now);
	EXPECT(now.region_bytes <= total, "never over the total");
	close(socks[n]);
	munmap(bells[n], NMD_BELL_SIZE);
	/* The one who left makes room for one more. */
	close(socks[--n]);
	munmap(bells[n], NMD_BELL_SIZE);
	for (i = 0; i < 500; i++) {
		r = quota_port("valeQ:again", 0, &socks[n], &bells[n], &size);
		if (r != ENOMEM)
			break;
		close(socks[n]);
		munmap(bells[n], NMD_BELL_SIZE);
		usleep(10000);
	}
	EXPECT(r == 0, "room again after a close");
	if (r == 0)
		n++;
	else if (r != ENOMEM)
		close(socks[n]);
	while (n > 0) {
		close(socks[--n]);
		munmap(bells[n], NMD_BELL_SIZE);
	}
	if (nfail == 0)
		printf("nmd_hostile: regions of %llu bytes: %d fit in %llu "
		    "(%d expected)\n", (unsigned long long)small, fit,
		    (unsigned long long)(total - st.region_bytes), want);
}

/*
 * kstate PER: a pipe end's region and the kring state memfd the daemon
 * makes for it (nmd_csync.h) are both charged to the connection. PER 0
 * (no quota in the way): the port syncs in the client, and the region
 * bytes grow by more than the region's charge (its size in whole host
 * pages) by the kring state, in pages; the charge is printed for the
 * next run. PER, that charge, given by -m: the region fits, the kring
 * state does not: the REGISTER succeeds, the port keeps to the
 * doorbell, and the region bytes grow by the region's charge only.
 */
static void
attack_kstate(char **argv)
{
	uint64_t per = strtoull(argv[0], NULL, 0), size, grown, charged;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	struct nmd_stats st, now;
	struct nmd_bell *bell;
	struct nmreq nmr;
	uint32_t cs_ready;
	int s, r, regfd = -1;

	stats(&st);
	s = hello(&bell);
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "valeK:ks{1");
	nmr.nr_version = NETMAP_API;
	nmr.nr_flags = NR_REG_ALL_NIC;
	r = regif(s, &nmr, &regfd, &size);
	stats(&now);
	grown = now.region_bytes - st.region_bytes;
	cs_ready = bell->cs_ready;
	/* what the region costs: whole pages of the host's */
	charged = (size + pg - 1) & ~(pg - 1);
	EXPECT(r == 0 && size > 0, "a pipe end registered");
	if (per == 0) {
		EXPECT(cs_ready == 1, "syncs in the client");
		EXPECT(grown > charged && (grown - charged) % pg == 0,
		    "the kring state charged");
		printf("%llu\n", (unsigned long long)charged);
	} else {
		EXPECT(charged == per, "the region of the earlier run");
		EXPECT(cs_ready == 0, "over the quota: the doorbell");
		EXPECT(grown == charged, "no kring state over the quota");
	}
	if (regfd >= 0)
		close(regfd);
	close(s);
	munmap(bell, NMD_BELL_SIZE);
	if (nfail != 0)
		fprintf(stderr, "nmd_hostile: kstate: region %llu bytes, "
		    "region bytes grew by %llu, cs_ready %u\n",
		    (unsigned long long)size, (unsigned long long)grown,
		    cs_ready);
}

static const struct {
	const char *name;
	int nargs;
	void (*run)(char **argv);
} attacks[] = {
	{ "protocol", 0, attack_protocol },
	{ "seals", 0, attack_seals },
	{ "memid", 0, attack_memid },
	{ "conns", 2, attack_conns },
	{ "silent", 1, attack_silent },
	{ "pending", 1, attack_pending },
	{ "emfile", 0, attack_emfile },
	{ "quota", 2, attack_quota },
	{ "kstate", 1, attack_kstate },
};

int
main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "protocol";
	int nargs = argc > 1 ? argc - 2 : 0;
	size_t i;

	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (strcmp(attacks[i].name, name) == 0 &&
		    nargs == attacks[i].nargs) {
			attacks[i].run(argv + 2);
			return nfail ? 1 : 0;
		}
	}
	fprintf(stderr, "usage: nmd_hostile [protocol | seals | memid | "
	    "conns N ERRNO | silent N | pending N | emfile |\n"
	    "                   quota PER TOTAL | kstate PER]\n");
	return 2;
}
