// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_hostile.c: a client that breaks the netmapd protocol in every way
 * we could think of, one connection per attempt. Each broken connection
 * must be closed by the daemon (we see EOF) or answered with an error;
 * the daemon must stay up, and a well-behaved port opened before the
 * attack must keep working through it (checked by the caller's script
 * and at the end here).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* A connection past HELLO, with its doorbell mapped. */
static int
hello(struct nmd_bell **bell)
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
	close(fd);
	if (*bell == MAP_FAILED)
		exit(1);
	return s;
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

int
main(void)
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
	b->op = NMD_OP_TXSYNC;
	__atomic_store_n(&b->req_seq, 41, __ATOMIC_RELEASE);
	msg_init(&m, NMD_MSG_KICK, sizeof(m));
	nmd_send(s, &m, sizeof(m), -1, 0);
	for (i = 0; i < 5000 && __atomic_load_n(&b->done_seq,
	    __ATOMIC_ACQUIRE) != 41; i++)
		usleep(1000);
	EXPECT(b->done_seq == 41 && b->result == ENXIO, "sync unbound");
	/* and the region of an unbound port is EINVAL */
	msg_init(&m, NMD_MSG_REGION, sizeof(m));
	nmd_send(s, &m, sizeof(m), -1, 0);
	__atomic_add_fetch(&b->ctrl_seq, 1, __ATOMIC_RELEASE);
	EXPECT(nmd_recv(s, &m, sizeof(m), &fd, 0) == sizeof(m) &&
	    m.error == EINVAL && fd < 0, "region unbound");
	close(s);
	munmap(b, NMD_BELL_SIZE);

	if (nfail)
		return 1;
	printf("nmd_hostile: every attack ended in a disconnect or an "
	    "error\n");
	return 0;
}
