// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_func.c: functional tests of netmap served by netmapd, through the
 * raw ABI (open, ioctl, mmap, poll) of a program linked with libnetmap.a,
 * which carries the client. Each test is a function; `nmd_func NAME`
 * runs one, `nmd_func` all of them. The daemon is the caller's
 * ($NETMAP_SOCKET, see tests/user/lib.sh).
 *
 *   frames  60..9000-byte frames over VALE, multi-slot, payload compared
 *   learn   a 4-port learning switch: unicast reaches only the learned port
 *   pipe    both directions of a pipe, payload compared
 *   poll    poll/ppoll/select/epoll: timeouts, wake-ups from another
 *           process, implicit syncs
 *   wake    no lost wake-up: poll() ends when a frame arrives
 *   fork    a child syncs the parent's descriptor
 *   scm     a descriptor passed with SCM_RIGHTS is mapped and synced
 *   dup     dup/dup2/fcntl(F_DUPFD_CLOEXEC), closing the original
 *   crange  close_range and epoll: a set closed by it loses its netmap
 *           registrations (its number reused by a new set, low or
 *           above 1024), and so does a netmap descriptor (its number
 *           reused by a new port); bad flags and ranges fail with
 *           EINVAL and CLOSE_RANGE_CLOEXEC closes nothing, both
 *           leaving the registrations; CLOSE_RANGE_UNSHARE while the
 *           process has a netmap descriptor or registration:
 *           EOPNOTSUPP, nothing closed
 *   epdup   an epoll set copied by dup, dup2, dup3 and fcntl(F_DUPFD,
 *           F_DUPFD_CLOEXEC): each copy reports the netmap descriptor
 *           with the application's data, MOD/DEL through a copy are
 *           seen by all, closing one copy keeps the others, and once
 *           the last is closed a new set on a copy's number is empty
 *   ctrl    NIOCCTRL errors and write-backs, options, legacy requests
 *   kill    children SIGKILLed at random moments (the caller then checks
 *           that the daemon released everything)
 */
#include <linux/close_range.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <net/netmap_legacy.h>

#include "nmd_test.h"

int unit_checks;

static uint8_t fbuf[NT_MAXFRAME], rbuf[NT_MAXFRAME];

static struct netmap_ring *
txr(struct unit_port *p)
{
	return NETMAP_TXRING(p->nifp, 0);
}

static struct netmap_ring *
rxr(struct unit_port *p)
{
	return NETMAP_RXRING(p->nifp, 0);
}

static void
txsync(struct unit_port *p)
{
	CHECK_EQ(ioctl(p->fd, NIOCTXSYNC, NULL), 0);
}

static void
rxsync(struct unit_port *p)
{
	CHECK_EQ(ioctl(p->fd, NIOCRXSYNC, NULL), 0);
}

/* Send len bytes a -> b and check that b gets exactly them. */
static void
xfer(struct unit_port *a, struct unit_port *b, size_t len, uint32_t seed)
{
	uint8_t src[6];
	size_t got;

	nt_mac(src, 1);
	nt_frame(fbuf, len, NULL, src, seed);
	CHECK_EQ(nt_send(txr(a), fbuf, len), 0);
	txsync(a);
	rxsync(b);
	got = nt_recv(rxr(b), rbuf, sizeof(rbuf));
	CHECK_EQ(got, len);
	CHECK(memcmp(fbuf, rbuf, len) == 0);
}

static void
t_frames(void)
{
	static const size_t sizes[] = {
		60, 61, 64, 128, 1514, 2047, 2048, 2049, 4000, 4096, 6000,
		8191, 9000,
	};
	struct unit_port a, b;
	uint64_t seed = 12345;
	size_t i, n, lens[64];

	unit_port_open(&a, "valeF:a", NULL);
	unit_port_open(&b, "valeF:b", NULL);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		xfer(&a, &b, sizes[i], (uint32_t)i);
	/* Batches of random sizes: queue many, sync once, compare all. */
	for (n = 0; n < 20; n++) {
		uint8_t src[6];

		nt_mac(src, 1);
		for (i = 0; i < 64; i++) {
			lens[i] = 60 + unit_rand(&seed) % (9000 - 60 + 1);
			nt_frame(fbuf, lens[i], NULL, src,
			    (uint32_t)(n * 64 + i));
			if (nt_send(txr(&a), fbuf, lens[i]) != 0)
				break;
		}
		txsync(&a);
		rxsync(&b);
		for (size_t k = 0; k < i; k++) {
			uint8_t want[NT_MAXFRAME];

			nt_frame(want, lens[k], NULL, src,
			    (uint32_t)(n * 64 + k));
			CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)),
			    lens[k]);
			CHECK(memcmp(want, rbuf, lens[k]) == 0);
		}
		CHECK(nm_ring_empty(rxr(&b)));
	}
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
t_learn(void)
{
	struct unit_port p[4];
	uint8_t mac[4][6];
	char name[32];
	int i, j, k;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "valeL:p%d", i);
		unit_port_open(&p[i], name, NULL);
		nt_mac(mac[i], 0x100 + (unsigned)i);
	}
	/* Everyone speaks once (broadcast): the switch learns all four. */
	for (i = 0; i < 4; i++) {
		nt_frame(fbuf, 60, NULL, mac[i], (uint32_t)i);
		CHECK_EQ(nt_send(txr(&p[i]), fbuf, 60), 0);
		txsync(&p[i]);
	}
	for (i = 0; i < 4; i++) {
		rxsync(&p[i]);
		for (k = 0; k < 3; k++)
			CHECK_EQ(nt_recv(rxr(&p[i]), rbuf, sizeof(rbuf)), 60);
		CHECK(nm_ring_empty(rxr(&p[i])));
	}
	/* Unicast i -> j reaches j only. */
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 4; j++) {
			if (i == j)
				continue;
			nt_frame(fbuf, 100, mac[j], mac[i],
			    (uint32_t)(i * 4 + j));
			CHECK_EQ(nt_send(txr(&p[i]), fbuf, 100), 0);
			txsync(&p[i]);
			for (k = 0; k < 4; k++) {
				size_t got;

				rxsync(&p[k]);
				got = nt_recv(rxr(&p[k]), rbuf, sizeof(rbuf));
				CHECK_EQ(got, k == j ? 100 : 0);
				if (k == j)
					CHECK(memcmp(fbuf, rbuf, 100) == 0);
			}
		}
	}
	for (i = 0; i < 4; i++)
		unit_port_close(&p[i]);
}

static void
t_pipe(void)
{
	struct unit_port m, s;
	size_t i;

	unit_port_open(&m, "nmdpipe{1", NULL);
	unit_port_open(&s, "nmdpipe}1", NULL);
	for (i = 0; i < 50; i++) {
		size_t len = 60 + i * 173;

		xfer(&m, &s, len, (uint32_t)i);
		xfer(&s, &m, len, (uint32_t)(i + 1000));
	}
	unit_port_close(&m);
	unit_port_close(&s);
}

/* A child that sends one broadcast frame on its own port after ms. */
static pid_t
late_sender(const char *name, int ms)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct unit_port c;
		uint8_t src[6];

		unit_port_open(&c, name, NULL);
		usleep((useconds_t)ms * 1000);
		nt_mac(src, 7);
		nt_frame(fbuf, 60, NULL, src, 7);
		CHECK_EQ(nt_send(txr(&c), fbuf, 60), 0);
		txsync(&c);
		unit_port_close(&c);
		_exit(0);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
t_poll(void)
{
	struct unit_port a, b;
	struct pollfd pfd;
	struct epoll_event ev, out[4];
	struct timeval tv;
	fd_set rd;
	uint64_t t0;
	pid_t pid;
	int ep, n;

	unit_port_open(&a, "valeP:a", NULL);
	unit_port_open(&b, "valeP:b", NULL);

	/* TX has room: POLLOUT at once; RX is empty: a timeout. */
	pfd.fd = a.fd;
	pfd.events = POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK(pfd.revents & POLLOUT);
	pfd.fd = b.fd;
	pfd.events = POLLIN;
	t0 = nt_now_ms();
	CHECK_EQ(poll(&pfd, 1, 100), 0);
	CHECK(nt_now_ms() - t0 >= 90);
	CHECK_EQ(poll(&pfd, 1, 0), 0);

	/* poll: woken by another process's txsync (implicit rxsync). */
	pid = late_sender("valeP:c", 150);
	t0 = nt_now_ms();
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK(nt_now_ms() - t0 < 4000);
	CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 60);
	reap(pid);

	/* The implicit txsync of poll pushes what we queued. */
	nt_mac(fbuf, 1);
	nt_frame(fbuf, 60, NULL, fbuf, 1);
	CHECK_EQ(nt_send(txr(&a), fbuf, 60), 0);
	pfd.fd = a.fd;
	pfd.events = POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	pfd.fd = b.fd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 60);

	/* A netmap descriptor and another one in the same set. */
	{
		struct pollfd two[2];
		int sp[2];

		CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		two[0].fd = b.fd;
		two[0].events = POLLIN;
		two[1].fd = sp[0];
		two[1].events = POLLIN;
		CHECK_EQ(write(sp[1], "x", 1), 1);
		CHECK_EQ(poll(two, 2, 1000), 1);
		CHECK_EQ(two[0].revents, 0);
		CHECK(two[1].revents & POLLIN);
		close(sp[0]);
		close(sp[1]);
	}

	/* select */
	pid = late_sender("valeP:c", 100);
	FD_ZERO(&rd);
	FD_SET(b.fd, &rd);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK_EQ(select(b.fd + 1, &rd, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(b.fd, &rd));
	CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 60);
	reap(pid);

	/* epoll, with the application's data given back */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	ev.events = EPOLLIN;
	ev.data.u64 = 0xfeedf00dull;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, b.fd, &ev), 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 50), 0);
	pid = late_sender("valeP:c", 100);
	n = epoll_wait(ep, out, 4, 5000);
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].data.u64, 0xfeedf00dull);
	CHECK(out[0].events & EPOLLIN);
	CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 60);
	reap(pid);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, b.fd, NULL), 0);
	close(ep);

	unit_port_close(&a);
	unit_port_close(&b);
}

/*
 * Lost wake-ups: a child and we play ping-pong with single frames,
 * each side waiting in poll() with a long timeout, the child after a
 * random pause. A lost wake-up stalls the game until the timeout.
 */
static void
pingpong(struct unit_port *me, int n, uint64_t *seed, uint64_t *worst)
{
	struct pollfd pfd = { me->fd, POLLIN, 0 };
	uint8_t src[6];
	int i;

	nt_mac(src, seed != NULL ? 4 : 5);
	for (i = 0; i < n; i++) {
		uint64_t t0;

		if (seed != NULL) {	/* the child serves first */
			usleep((useconds_t)(unit_rand(seed) % 1000));
			nt_frame(fbuf, 60, NULL, src, (uint32_t)i);
			CHECK_EQ(nt_send(txr(me), fbuf, 60), 0);
			txsync(me);
		}
		t0 = nt_now_ms();
		CHECK_EQ(poll(&pfd, 1, 10000), 1);
		if (worst != NULL && nt_now_ms() - t0 > *worst)
			*worst = nt_now_ms() - t0;
		CHECK_EQ(nt_recv(rxr(me), rbuf, sizeof(rbuf)), 60);
		if (seed == NULL) {
			nt_frame(fbuf, 60, NULL, src, (uint32_t)i);
			CHECK_EQ(nt_send(txr(me), fbuf, 60), 0);
			txsync(me);
		}
	}
}

static void
t_wake(void)
{
	uint64_t seed = unit_seed("wake"), worst = 0;
	struct unit_port a, b;
	const int n = 300;
	pid_t pid;

	unit_port_open(&b, "valeW:b", NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unit_port_open(&a, "valeW:a", NULL);
		pingpong(&a, n, &seed, NULL);
		_exit(0);
	}
	pingpong(&b, n, NULL, &worst);
	reap(pid);
	printf("wake: %d round trips, longest poll %llu ms\n", n,
	    (unsigned long long)worst);
	unit_port_close(&b);
}

static void
t_fork(void)
{
	struct unit_port a, b;
	pid_t pid;
	int i;

	unit_port_open(&a, "valeK:a", NULL);
	unit_port_open(&b, "valeK:b", NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint8_t src[6];

		nt_mac(src, 3);
		for (i = 0; i < 10; i++) {
			nt_frame(fbuf, 200, NULL, src, (uint32_t)i);
			CHECK_EQ(nt_send(txr(&a), fbuf, 200), 0);
		}
		txsync(&a);
		_exit(0);
	}
	reap(pid);
	rxsync(&b);
	for (i = 0; i < 10; i++)
		CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 200);
	/* The parent's descriptor still works after the child exited. */
	xfer(&a, &b, 300, 1);
	unit_port_close(&a);
	unit_port_close(&b);
}

static int
send_fd(int sock, int fd, const void *data, size_t len)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)data, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.b, .msg_controllen = sizeof(cm.b),
	};

	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -1;
}

static int
recv_fd(int sock, void *data, size_t len)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { data, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.b, .msg_controllen = sizeof(cm.b),
	};
	int fd;

	if (recvmsg(sock, &mh, 0) != (ssize_t)len ||
	    CMSG_FIRSTHDR(&mh) == NULL)
		return -1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	return fd;
}

/*
 * The child exists before the port is opened, so the descriptor it
 * receives is unknown to its client library: it must recognise it.
 */
static void
t_scm(void)
{
	struct unit_port a, b;
	struct nmreq_register reg;
	int sp[2], i;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct netmap_if *nifp;
		struct netmap_ring *r;
		struct pollfd pfd;
		uint8_t src[6];
		char *mem;
		int fd;

		close(sp[0]);
		fd = recv_fd(sp[1], &reg, sizeof(reg));
		CHECK(fd >= 0);
		mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		CHECK(mem != MAP_FAILED);
		nifp = NETMAP_IF(mem, reg.nr_offset);
		r = NETMAP_TXRING(nifp, 0);
		nt_mac(src, 5);
		for (i = 0; i < 10; i++) {
			nt_frame(fbuf, 1000, NULL, src, (uint32_t)i);
			CHECK_EQ(nt_send(r, fbuf, 1000), 0);
		}
		CHECK_EQ(ioctl(fd, NIOCTXSYNC, NULL), 0);
		/* and poll's implicit txsync on it */
		CHECK_EQ(nt_send(r, fbuf, 1000), 0);
		pfd.fd = fd;
		pfd.events = POLLOUT;
		CHECK_EQ(poll(&pfd, 1, 1000), 1);
		munmap(mem, reg.nr_memsize);
		close(fd);
		_exit(0);
	}
	close(sp[1]);
	unit_port_open(&a, "valeS:a", NULL);
	unit_port_open(&b, "valeS:b", NULL);
	reg = a.reg;
	CHECK_EQ(send_fd(sp[0], a.fd, &reg, sizeof(reg)), 0);
	reap(pid);
	rxsync(&b);
	for (i = 0; i < 11; i++) {
		CHECK_EQ(nt_recv(rxr(&b), rbuf, sizeof(rbuf)), 1000);
		nt_frame(fbuf, 1000, NULL, rbuf + 6,
		    (uint32_t)(i < 10 ? i : 9));
		CHECK(memcmp(fbuf, rbuf, 1000) == 0);
	}
	xfer(&a, &b, 100, 2);
	close(sp[0]);
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
t_dup(void)
{
	struct unit_port a, b;
	int d, d2;

	unit_port_open(&a, "valeD:a", NULL);
	unit_port_open(&b, "valeD:b", NULL);
	d = dup(a.fd);
	CHECK(d >= 0);
	close(a.fd);
	a.fd = d;
	xfer(&a, &b, 500, 1);
	d2 = dup2(d, d + 10);
	CHECK_EQ(d2, d + 10);
	close(d);
	a.fd = d2;
	xfer(&a, &b, 600, 2);
	/* dup2 over a netmap descriptor closes that one */
	d = dup(b.fd);
	CHECK_EQ(dup2(d2, d), d);
	a.fd = d;
	xfer(&a, &b, 700, 3);
	close(d2);
	/* fcntl(F_DUPFD_CLOEXEC) is a dup too */
	d2 = fcntl(d, F_DUPFD_CLOEXEC, 0);
	CHECK(d2 >= 0);
	CHECK_EQ(fcntl(d2, F_GETFD), FD_CLOEXEC);
	close(d);
	a.fd = d2;
	xfer(&a, &b, 800, 4);
	unit_port_close(&a);
	unit_port_close(&b);
}

static void
t_ctrl(void)
{
	struct nmreq_header h;
	struct nmreq_register reg;
	struct nmreq_port_info_get pi;
	struct nmreq_vale_list vl;
	struct nmreq_opt_offsets off;
	struct nmreq_option loop, bad;
	struct nmreq nmr;
	struct unit_port a;
	int fd, n;
	char *mem;

	fd = unit_open();
	CHECK_ERR(ioctl(fd, NIOCTXSYNC, NULL), ENXIO);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	unit_hdr(&h, NETMAP_REQ_REGISTER, "valeC:a", &reg);
	h.nr_version = 13;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &h), EINVAL);
	unit_hdr(&h, NETMAP_REQ_REGISTER, "valeC:a", (void *)16);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &h), EFAULT);
	CHECK_ERR(ioctl(fd, NIOCCTRL, (void *)16), EFAULT);

	/*
	 * Option lists (spec 2.7): a loop of an unknown type ends in
	 * EMSGSIZE; a zero or a repeated type stops the walk with EINVAL;
	 * a bad pointer is EFAULT.
	 */
	memset(&loop, 0, sizeof(loop));
	loop.nro_reqtype = 1000;
	loop.nro_next = (uintptr_t)&loop;
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, &loop), EMSGSIZE);
	loop.nro_reqtype = 0;
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, &loop), EINVAL);
	CHECK_EQ(loop.nro_status, EINVAL);
	memset(&off, 0, sizeof(off));
	off.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	off.nro_opt.nro_next = (uintptr_t)&off;
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, &off), EINVAL);
	CHECK_EQ(off.nro_opt.nro_status, EINVAL);
	CHECK_EQ(off.nro_opt.nro_next, (uintptr_t)&off);
	memset(&bad, 0, sizeof(bad));
	bad.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	bad.nro_next = 8;
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, &bad), EFAULT);
	/* An option nobody handles: EOPNOTSUPP, and written back so. */
	memset(&bad, 0, sizeof(bad));
	bad.nro_reqtype = 1000;
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, &bad), EOPNOTSUPP);
	CHECK_EQ(bad.nro_status, EOPNOTSUPP);
	/* nr_flags bits the core does not implement are refused */
	for (n = 0; n < 64; n++) {
		uint64_t bit = 1ull << n;

		if (bit & (NR_EXCLUSIVE | NR_RX_RINGS_ONLY |
		    NR_TX_RINGS_ONLY | NR_ACCEPT_VNET_HDR | NR_DO_RX_POLL |
		    NR_NO_TX_POLL | NR_MONITOR_TX | NR_MONITOR_RX |
		    NR_ZCOPY_MON))
			continue;
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_flags = bit;
		CHECK_ERR(unit_register(fd, "valeC:a", &reg, NULL),
		    EOPNOTSUPP);
	}
	unit_reg_init(&reg, NR_REG_ALL_NIC);

	/* Offsets: accepted, status and body written back. */
	memset(&off, 0, sizeof(off));
	off.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	off.nro_offset_bits = 8;
	off.nro_max_offset = 64;
	off.nro_initial_offset = 32;
	off.nro_opt.nro_status = 12345;
	CHECK_EQ(unit_register(fd, "valeC:a", &reg, &off), 0);
	CHECK_EQ(off.nro_opt.nro_status, 0);
	CHECK(reg.nr_memsize > 0);
	CHECK_ERR(unit_register(fd, "valeC:a", &reg, NULL), EBUSY);
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK(NETMAP_TXRING(NETMAP_IF(mem, reg.nr_offset), 0)->offset_mask
	    != 0);
	CHECK(mmap(NULL, reg.nr_memsize + 4096, PROT_READ, MAP_SHARED, fd,
	    0) == MAP_FAILED);
	munmap(mem, reg.nr_memsize);
	close(fd);

	/* PORT_INFO_GET of an existing port: the body comes back. */
	unit_port_open(&a, "valeC:b", NULL);
	fd = unit_open();
	memset(&pi, 0, sizeof(pi));
	unit_hdr(&h, NETMAP_REQ_PORT_INFO_GET, "valeC:b", &pi);
	CHECK_EQ(ioctl(fd, NIOCCTRL, &h), 0);
	CHECK_EQ(pi.nr_memsize, a.reg.nr_memsize);
	CHECK_EQ(pi.nr_tx_rings, 1);

	/* VALE_LIST iteration: the header's name is written back. */
	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, "", &vl);
	for (n = 0; ioctl(fd, NIOCCTRL, &h) == 0 && n < 100; n++) {
		CHECK(h.nr_name[0] != '\0');
		vl.nr_port_idx++;
		h.nr_name[0] = '\0';
	}
	CHECK(n >= 1);
	close(fd);
	unit_port_close(&a);

	/* Legacy NIOCGINFO / NIOCREGIF. */
	fd = unit_open();
	memset(&nmr, 0, sizeof(nmr));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "valeC:c");
	nmr.nr_version = 14;
	nmr.nr_flags = NR_REG_ALL_NIC;
	CHECK_EQ(ioctl(fd, NIOCREGIF, &nmr), 0);
	CHECK(nmr.nr_memsize > 0);
	mem = mmap(NULL, nmr.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	CHECK(mem != MAP_FAILED);
	CHECK_EQ(NETMAP_IF(mem, nmr.nr_offset)->ni_tx_rings, 1);
	munmap(mem, nmr.nr_memsize);
	nmr.nr_version = 13;
	CHECK_ERR(ioctl(fd, NIOCGINFO, &nmr), EINVAL);
	close(fd);
}

/*
 * Children bound to ports, syncing and polling in a loop, killed at
 * random moments; the parent makes sure the switch still works.
 */
static void
t_kill(void)
{
	uint64_t seed = unit_seed("kill");
	struct unit_port a, b;
	int i;

	for (i = 0; i < 30; i++) {
		pid_t pid = fork();
		int st;

		CHECK(pid >= 0);
		if (pid == 0) {
			struct unit_port c;
			struct pollfd pfd;
			char name[32];
			uint8_t src[6];

			snprintf(name, sizeof(name), "valeX:k%d", i % 3);
			unit_port_open(&c, name, NULL);
			nt_mac(src, 9);
			nt_frame(fbuf, 1500, NULL, src, 9);
			pfd.fd = c.fd;
			pfd.events = POLLIN | POLLOUT;
			for (;;) {
				while (nt_send(txr(&c), fbuf, 1500) == 0)
					;
				poll(&pfd, 1, 10);
				ioctl(c.fd, NIOCRXSYNC, NULL);
				rxr(&c)->head = rxr(&c)->cur = rxr(&c)->tail;
			}
		}
		usleep((useconds_t)(unit_rand(&seed) % 20000));
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
	}
	unit_port_open(&a, "valeX:k0", NULL);
	unit_port_open(&b, "valeX:k1", NULL);
	xfer(&a, &b, 1500, 1);
	unit_port_close(&a);
	unit_port_close(&b);
}

/* ---- crange: close_range and the client's epoll registrations ---- */

/* The data (never 0) of ep's one ready descriptor (EPOLLOUT), or 0. */
static uint64_t
ep_ready(int ep)
{
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 0);

	CHECK(n == 0 || n == 1);
	if (n != 1)
		return 0;
	CHECK_EQ(out[0].events, EPOLLOUT);
	return out[0].data.u64;
}

/* A new epoll set numbered `want` (free), any if -1. */
static int
ep_at(int want)
{
	int ep = epoll_create1(0), nep;

	CHECK(ep >= 0);
	if (want < 0 || ep == want)
		return ep;
	nep = fcntl(ep, F_DUPFD, want);
	CHECK_EQ(nep, want);
	CHECK_EQ(close(ep), 0);
	return nep;
}

/* fd (TX has room: EPOLLOUT at once) in a new set numbered `want`. */
static int
ep_with(int want, int fd, uint64_t data)
{
	struct epoll_event ev = { EPOLLOUT, { .u64 = data } };
	int ep = ep_at(want);

	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	CHECK_EQ(ep_ready(ep), data);
	return ep;
}

static void
t_crange(void)
{
	struct epoll_event ev = { EPOLLOUT, { .u64 = 2 } };
	struct rlimit rl;
	struct unit_port a, c;
	int ep, num, hi = 1100, pfd[2];

	unit_port_open(&a, "valeR:a", NULL);

	/* A set closed by close_range: its number's next set is empty. */
	ep = ep_with(-1, a.fd, 1);
	num = ep;
	CHECK_EQ(close_range((unsigned)ep, (unsigned)ep, 0), 0);
	ep = ep_at(num);
	CHECK_EQ(ep_ready(ep), 0);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 20), 0);
	CHECK_EQ(close(ep), 0);

	/* The same, the set's number in another 1024-descriptor chunk. */
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur <= (rlim_t)hi) {
		rl.rlim_cur = (rlim_t)hi + 1;
		CHECK(rl.rlim_max >= rl.rlim_cur);
		CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ep = ep_with(hi, a.fd, 1);
	CHECK_EQ(close_range((unsigned)hi - 1, (unsigned)hi + 5, 0), 0);
	ep = ep_at(hi);
	CHECK_EQ(ep_ready(ep), 0);
	CHECK_EQ(close(ep), 0);

	/*
	 * A netmap descriptor closed by close_range in an open set: no
	 * event for it; a new port on its number is not in the set until
	 * registered, then with its own data.
	 */
	ep = ep_with(-1, a.fd, 1);
	num = a.fd;
	CHECK_EQ(close_range((unsigned)num, (unsigned)num, 0), 0);
	CHECK_EQ(munmap(a.mem, a.reg.nr_memsize), 0);
	CHECK_EQ(ep_ready(ep), 0);
	unit_port_open(&c, "valeR:c", NULL);
	CHECK_EQ(c.fd, num);
	CHECK_EQ(ep_ready(ep), 0);
	ev.data.u64 = 2;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev), 0);
	CHECK_EQ(ep_ready(ep), 2);

	/* Refused flags and ranges close nothing, forget nothing. */
	errno = 0;
	CHECK_EQ(close_range((unsigned)ep, (unsigned)c.fd, 0), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(close_range((unsigned)c.fd, (unsigned)ep, 1u << 30), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(ep_ready(ep), 2);

	/* CLOSE_RANGE_CLOEXEC only marks them. */
	CHECK_EQ(close_range((unsigned)c.fd, (unsigned)ep,
	    CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(fcntl(c.fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(ep_ready(ep), 2);

	/*
	 * CLOSE_RANGE_UNSHARE gives this thread a table of its own: refused
	 * (nothing closed) while the process has a netmap descriptor or a
	 * registration, over them or not; done once it has none.
	 */
	CHECK_EQ(pipe(pfd), 0);
	errno = 0;
	CHECK_EQ(close_range((unsigned)c.fd, (unsigned)c.fd,
	    CLOSE_RANGE_UNSHARE), -1);
	CHECK_EQ(errno, EOPNOTSUPP);
	errno = 0;
	CHECK_EQ(close_range((unsigned)ep, (unsigned)ep,
	    CLOSE_RANGE_UNSHARE), -1);
	CHECK_EQ(errno, EOPNOTSUPP);
	errno = 0;
	CHECK_EQ(close_range((unsigned)pfd[0], (unsigned)pfd[0],
	    CLOSE_RANGE_UNSHARE), -1);
	CHECK_EQ(errno, EOPNOTSUPP);
	CHECK_EQ(fcntl(pfd[0], F_GETFD), 0);
	CHECK_EQ(ep_ready(ep), 2);
	CHECK_EQ(close_range((unsigned)c.fd, (unsigned)ep,
	    CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(ep_ready(ep), 2);

	CHECK_EQ(close(ep), 0);
	unit_port_close(&c);
	CHECK_EQ(close_range((unsigned)pfd[0], (unsigned)pfd[0],
	    CLOSE_RANGE_UNSHARE), 0);
	CHECK_EQ(fcntl(pfd[0], F_GETFD), -1);
	CHECK_EQ(close(pfd[1]), 0);
}

/* ---- epdup: copies of an epoll set share its registrations ---- */

static void
t_epdup(void)
{
	struct epoll_event ev = { EPOLLOUT, { .u64 = 3 } };
	struct unit_port a;
	int ep, d, d2, x, y, i, nums[3];

	unit_port_open(&a, "valeE:a", NULL);
	ep = ep_with(-1, a.fd, 1);
	d = dup(ep);
	CHECK(d >= 0);
	CHECK_EQ(ep_ready(d), 1);
	d2 = fcntl(ep, F_DUPFD_CLOEXEC, 0);
	CHECK(d2 >= 0);
	CHECK_EQ(fcntl(d2, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(ep_ready(d2), 1);
	/* dup2 and dup3 onto an empty set: it becomes the copy. */
	x = ep_at(-1);
	CHECK_EQ(dup2(ep, x), x);
	CHECK_EQ(ep_ready(x), 1);
	y = ep_at(-1);
	CHECK_EQ(dup3(ep, y, O_CLOEXEC), y);
	CHECK_EQ(ep_ready(y), 1);
	CHECK_EQ(close(y), 0);
	y = fcntl(ep, F_DUPFD, 0);
	CHECK(y >= 0);
	CHECK_EQ(ep_ready(y), 1);

	/* MOD through a copy is seen by every number of the set. */
	CHECK_EQ(epoll_ctl(d, EPOLL_CTL_MOD, a.fd, &ev), 0);
	CHECK_EQ(ep_ready(ep), 3);
	CHECK_EQ(ep_ready(d2), 3);

	/* Closing the original keeps the copies' registrations. */
	CHECK_EQ(close(ep), 0);
	CHECK_EQ(ep_ready(d), 3);
	CHECK_EQ(ep_ready(x), 3);

	/* DEL through one copy, ADD again through another. */
	CHECK_EQ(epoll_ctl(d2, EPOLL_CTL_DEL, a.fd, NULL), 0);
	CHECK_EQ(ep_ready(d), 0);
	errno = 0;
	CHECK_EQ(epoll_ctl(d, EPOLL_CTL_DEL, a.fd, NULL), -1);
	CHECK_EQ(errno, ENOENT);
	ev.data.u64 = 4;
	CHECK_EQ(epoll_ctl(x, EPOLL_CTL_ADD, a.fd, &ev), 0);
	CHECK_EQ(ep_ready(d2), 4);
	CHECK_EQ(ep_ready(y), 4);

	/* dup2 onto a copy: that number leaves the set, the others stay. */
	CHECK_EQ(close(x), 0);
	x = ep_at(-1);
	CHECK_EQ(dup2(x, y), y);
	CHECK_EQ(ep_ready(y), 0);
	CHECK_EQ(ep_ready(d), 4);
	CHECK_EQ(close(x), 0);

	/* The last copy closed: nothing left under any of the numbers. */
	nums[0] = d;
	nums[1] = d2;
	nums[2] = y;
	CHECK_EQ(close(d), 0);
	CHECK_EQ(ep_ready(d2), 4);
	CHECK_EQ(close(d2), 0);
	CHECK_EQ(close(y), 0);
	for (i = 0; i < 3; i++) {
		ep = ep_at(nums[i]);
		CHECK_EQ(ep_ready(ep), 0);
		CHECK_EQ(close(ep), 0);
	}
	unit_port_close(&a);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "frames", t_frames },
	{ "learn", t_learn },
	{ "pipe", t_pipe },
	{ "poll", t_poll },
	{ "wake", t_wake },
	{ "fork", t_fork },
	{ "scm", t_scm },
	{ "dup", t_dup },
	{ "crange", t_crange },
	{ "epdup", t_epdup },
	{ "ctrl", t_ctrl },
	{ "kill", t_kill },
};

int
main(int argc, char **argv)
{
	size_t i;
	int ran = 0;

	setenv("NETMAP_HOST", "user", 1);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		tests[i].fn();
		printf("nmd_func %s: ok\n", tests[i].name);
		ran++;
	}
	if (ran == 0) {
		fprintf(stderr, "nmd_func: no test %s\n", argv[1]);
		return 1;
	}
	printf("nmd_func: %d checks passed\n", unit_checks);
	return 0;
}
