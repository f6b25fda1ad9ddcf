// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmtest.c - the multi-process tests of netmap.ko, run inside the test VM
 * by the scripts in tests/vm/.  One static program, several commands.
 *
 * It speaks only the raw ABI: open("/dev/netmap"), ioctl(NIOCCTRL) with a
 * REGISTER request built by hand, mmap of nr_memsize bytes, the ring
 * macros of net/netmap_user.h, NIOCTXSYNC/NIOCRXSYNC, poll and epoll; no
 * libnetmap.  So it also is the check that a program written against the
 * ABI alone works.
 *
 * Frames carry a sequence number, their own length and a payload that is
 * a function of both, so the receiver checks order, loss and every byte,
 * including across the slots of a multi-slot (NS_MOREFRAG) frame.
 *
 *   nmtest send [-b batch] [-D dst] [-F frags] [-l len] [-n count]
 *               [-S src] [-qw] PORT
 *   nmtest recv [-egux] [-l len] [-n count] [-t ms] PORT
 *   nmtest afsend [-D dst] [-l len] [-n count] [-S src] IFNAME
 *   nmtest afrecv [-Pu] [-D dst] [-l len] [-n count] [-S src] [-t ms]
 *                 IFNAME
 *   nmtest nicerr IFNAME       what REGISTER of an interface refuses
 *   nmtest nicrings IFNAME TX RX   the interface has TX/RX ring pairs
 *   nmtest nichost IFNAME      host ring modes and counts
 *   nmtest transparent IFNAME  transparent mode until SIGTERM
 *
 * A PORT ending in ^ binds the host rings (NR_REG_SW), in * the NIC and
 * host rings (NR_REG_NIC_SW).
 *   nmtest learn BRIDGE        4-port learning switch: who gets what
 *   nmtest scm BRIDGE          a registered fd passed with SCM_RIGHTS
 *   nmtest hostile BRIDGE      malformed requests and rings
 *   nmtest conform BRIDGE      flags and option lists as upstream
 *   nmtest monitor BRIDGE      monitors see exactly what their port
 *                              sent and received; SIGKILL mid-traffic
 *   nmtest indirect [-r] BRIDGE NS_INDIRECT frames, good and bad pointers
 *                              (-r: the host refuses NS_INDIRECT)
 *   nmtest persist BRIDGE PORT persistent port PORT: NEWIF, ATTACH to
 *                              BRIDGE, traffic, DETACH, DELIF
 *   nmtest cycles N BRIDGE     N open/register/mmap/close cycles (most
 *                              with 64-slot rings)
 *
 * recv -M opens PORT as a monitor (/t, /r, /rt, /z), once PORT is bound.
 * send -n 0 / recv -n 0 run until killed.  recv -g tolerates gaps (VALE
 * drops when a receiver's ring is full) but not reordering or damage;
 * -e waits with epoll instead of poll; -w makes send wait with poll
 * (else it spins on NIOCTXSYNC and sched_yield), -q spreads the frames
 * over all its TX rings in turn.  recv -x skips frames that are not test
 * frames (a NIC's RX rings get the peer stack's traffic too); -u takes
 * frames 0 to count - 1 in any order, each once (the path between two
 * interfaces may reorder).  MACs are
 * 02:00:00:00:00:XX with XX = src/dst; dst 255 is broadcast (the default).
 *
 * afsend and afrecv are the other end of a NIC port: the same frames
 * over an AF_PACKET socket on an interface (the veth peer).  afrecv
 * counts test frames (other frames are skipped) and checks each; with -P
 * it takes pkt-gen's frames instead: from MAC src to MAC dst, IPv4 with
 * a correct header checksum and UDP, of length len; with -u the test
 * frames may come in any order (sent on several queues), each once.
 */

#include <sys/epoll.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

#define ETH_HLEN	14
#define HDR_LEN		(ETH_HLEN + 8)	/* + seq + total length */
#define MAX_FRAME	65536
#define ETHERTYPE_TEST	0x88b5		/* IEEE local experimental */

struct port {
	int fd;
	char *mem;
	struct netmap_if *nifp;
	struct nmreq_register reg;
	char name[NETMAP_REQ_IFNAMSIZ];
	unsigned tx0, ntx, rx0, nrx;	/* the bound rings */
};

static const char *cmd = "nmtest";
static uint32_t reg_slots;	/* slots asked for on REGISTER, 0 = default */
static uint64_t reg_flags;	/* nr_flags of REGISTER (monitors) */
static const char *prog;	/* argv[0], for the children of monitor */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: nmtest send [-b batch] [-D dst] [-F frags] [-l len] "
	    "[-n count] [-S src] [-qw] PORT\n"
	    "       nmtest recv [-egux] [-l len] [-M t|r|rt|z] [-n count] "
	    "[-t ms] PORT\n"
	    "       nmtest afsend [-D dst] [-l len] [-n count] [-S src] "
	    "IFNAME\n"
	    "       nmtest afrecv [-Pu] [-D dst] [-l len] [-n count] "
	    "[-S src] [-t ms] IFNAME\n"
	    "       nmtest nicerr IFNAME\n"
	    "       nmtest nicrings IFNAME TX RX\n"
	    "       nmtest nichost|transparent IFNAME\n"
	    "       nmtest learn|scm|hostile|conform|monitor BRIDGE\n"
	    "       nmtest indirect [-r] BRIDGE\n"
	    "       nmtest persist BRIDGE PORT\n"
	    "       nmtest valenic BRIDGE IFNAME\n"
	    "       nmtest cycles N BRIDGE\n");
	exit(2);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the raw ABI ---- */

static void
hdr_init(struct nmreq_header *h, uint16_t type, const char *name, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uintptr_t)body;
}

/* REGISTER fd to name; returns 0 or errno. */
static int
do_register(int fd, const char *name, uint32_t mode, uint64_t flags,
    uint32_t slots, struct nmreq_register *reg)
{
	struct nmreq_header h;

	memset(reg, 0, sizeof(*reg));
	reg->nr_tx_slots = reg->nr_rx_slots = slots;
	reg->nr_mode = mode;
	reg->nr_flags = flags;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, reg);
	return ioctl(fd, NIOCCTRL, &h) == 0 ? 0 : errno;
}

/*
 * The rings a registration bound: the non-zero ring_ofs entries (spec
 * 2.3), in [*first, *first + *n).
 */
static void
bound_rings(const struct netmap_if *nifp, unsigned base, unsigned total,
    unsigned *first, unsigned *n)
{
	unsigned i;

	*first = *n = 0;
	for (i = 0; i < total; i++) {
		if (nifp->ring_ofs[base + i] == 0)
			continue;
		if (*n == 0)
			*first = i;
		(*n)++;
	}
}

/* PORT, or PORT^ (host rings) or PORT* (NIC and host rings). */
static int
port_try_open(struct port *p, const char *name)
{
	uint32_t mode = NR_REG_ALL_NIC;
	size_t l = strlen(name);
	unsigned htx;
	int error;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (l > 0 && (name[l - 1] == '^' || name[l - 1] == '*')) {
		mode = name[l - 1] == '^' ? NR_REG_SW : NR_REG_NIC_SW;
		p->name[l - 1] = '\0';
	}
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		err(1, "%s: open /dev/netmap", cmd);
	error = do_register(p->fd, p->name, mode, reg_flags, reg_slots,
	    &p->reg);
	if (error) {
		close(p->fd);
		p->fd = -1;
		return error;
	}
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		err(1, "%s: %s: mmap %" PRIu64, cmd, name, p->reg.nr_memsize);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	htx = p->nifp->ni_host_tx_rings;
	bound_rings(p->nifp, 0, p->nifp->ni_tx_rings + htx, &p->tx0, &p->ntx);
	bound_rings(p->nifp, p->nifp->ni_tx_rings + htx,
	    p->nifp->ni_rx_rings + p->nifp->ni_host_rx_rings, &p->rx0,
	    &p->nrx);
	return 0;
}

static void
port_open(struct port *p, const char *name)
{
	int error = port_try_open(p, name);

	if (error)
		errx(1, "%s: register %s: %s", cmd, name, strerror(error));
}

static void
port_close(struct port *p)
{
	if (p->mem != NULL && p->mem != MAP_FAILED)
		munmap(p->mem, p->reg.nr_memsize);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->mem = NULL;
}

static void
sync_or_die(struct port *p, unsigned long req)
{
	if (ioctl(p->fd, req, NULL) != 0)
		err(1, "%s: %s: %s", cmd, p->name,
		    req == NIOCTXSYNC ? "NIOCTXSYNC" : "NIOCRXSYNC");
}

/* ---- frames ---- */

static void
mac(uint8_t *m, unsigned int id)
{
	if (id == 255) {
		memset(m, 0xff, 6);
		return;
	}
	m[0] = 0x02;
	m[1] = m[2] = m[3] = m[4] = 0;
	m[5] = (uint8_t)id;
}

static uint8_t
pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

static void
frame_build(uint8_t *f, uint32_t len, uint32_t seq, unsigned dst, unsigned src)
{
	uint32_t i;

	mac(f, dst);
	mac(f + 6, src);
	f[12] = ETHERTYPE_TEST >> 8;
	f[13] = ETHERTYPE_TEST & 0xff;
	memcpy(f + ETH_HLEN, &seq, 4);
	memcpy(f + ETH_HLEN + 4, &len, 4);
	for (i = HDR_LEN; i < len; i++)
		f[i] = pattern(seq, i);
}

/* Returns NULL if the frame is ours and intact, else what is wrong. */
static const char *
frame_check(const uint8_t *f, uint32_t len, uint32_t *seqp, unsigned *srcp)
{
	uint32_t seq, flen, i;

	if (len < HDR_LEN)
		return "runt";
	if (f[12] != ETHERTYPE_TEST >> 8 || f[13] != (ETHERTYPE_TEST & 0xff))
		return "not a test frame";
	memcpy(&seq, f + ETH_HLEN, 4);
	memcpy(&flen, f + ETH_HLEN + 4, 4);
	if (flen != len)
		return "length differs from the sent one";
	for (i = HDR_LEN; i < len; i++)
		if (f[i] != pattern(seq, i))
			return "payload differs";
	*seqp = seq;
	if (srcp != NULL)
		*srcp = f[11];
	return NULL;
}

static int
is_test_frame(const uint8_t *f, int len)
{
	return len >= ETH_HLEN && f[12] == ETHERTYPE_TEST >> 8 &&
	    f[13] == (ETHERTYPE_TEST & 0xff);
}

/*
 * Put one frame in a TX ring as nfrags slots; the caller made sure there
 * is room.  All slots but the last carry NS_MOREFRAG.
 */
static void
ring_put(struct netmap_ring *r, const uint8_t *f, uint32_t len, int nfrags)
{
	uint32_t fsz = (len + nfrags - 1) / nfrags, off = 0, i = r->head;
	int k;

	for (k = 0; k < nfrags; k++) {
		struct netmap_slot *s = &r->slot[i];
		uint32_t n = len - off < fsz ? len - off : fsz;

		memcpy(NETMAP_BUF(r, s->buf_idx), f + off, n);
		s->len = (uint16_t)n;
		s->flags = k + 1 < nfrags ? NS_MOREFRAG : 0;
		off += n;
		i = nm_ring_next(r, i);
	}
	r->head = r->cur = i;
}

/*
 * Take one complete frame out of an RX ring into f.  Returns its length,
 * 0 if the ring holds no complete frame (a partial one stays there), or
 * -1 if it is too long.
 */
static int
ring_get(struct netmap_ring *r, uint8_t *f, int *nslots)
{
	uint32_t i = r->head, len = 0;
	int n = 0;

	while (i != r->tail) {
		struct netmap_slot *s = &r->slot[i];

		if (len + s->len > MAX_FRAME || s->len > r->nr_buf_size)
			return -1;
		memcpy(f + len, NETMAP_BUF(r, s->buf_idx), s->len);
		len += s->len;
		n++;
		i = nm_ring_next(r, i);
		if (!(s->flags & NS_MOREFRAG)) {
			r->head = r->cur = i;
			*nslots = n;
			return (int)len;
		}
	}
	return 0;
}

/* ---- send / recv ---- */

/* -M t|r|rt|z: the nr_flags of a monitor. */
static uint64_t
monitor_flags(const char *s)
{
	uint64_t f = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case 't': f |= NR_MONITOR_TX; break;
		case 'r': f |= NR_MONITOR_RX; break;
		case 'z': f |= NR_ZCOPY_MON; break;
		default: usage();
		}
	}
	return f;
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cmd_send(int argc, char **argv)
{
	uint8_t *f = malloc(MAX_FRAME);
	unsigned dst = 255, src = 1, batch = 64;
	uint32_t len = 60, seq = 0, count = 1000, i;
	int frags = 1, waitpoll = 0, spread = 0, ch;
	struct netmap_ring *r;
	struct pollfd pfd;
	struct port p;
	uint64_t t0, tdrain;
	unsigned nrings, ri;

	while ((ch = getopt(argc, argv, "b:D:F:l:n:qS:w")) != -1) {
		switch (ch) {
		case 'b': batch = (unsigned)atoi(optarg); break;
		case 'D': dst = (unsigned)atoi(optarg); break;
		case 'F': frags = atoi(optarg); break;
		case 'l': len = (uint32_t)atoi(optarg); break;
		case 'n': count = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': spread = 1; break;
		case 'S': src = (unsigned)atoi(optarg); break;
		case 'w': waitpoll = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || f == NULL || len < HDR_LEN ||
	    len > MAX_FRAME || frags < 1 || frags > 64 || batch < 1)
		usage();
	port_open(&p, argv[optind]);
	nrings = spread ? p.ntx : 1;
	r = NETMAP_TXRING(p.nifp, p.tx0);
	if ((len + frags - 1) / frags > r->nr_buf_size)
		errx(1, "send: %u bytes in %d slots of %u", len, frags,
		    r->nr_buf_size);
	signal(SIGTERM, on_signal);
	pfd.fd = p.fd;
	pfd.events = POLLOUT;
	t0 = now_ms();
	while (!stop && (count == 0 || seq < count)) {
		for (i = 0; i < batch && (count == 0 || seq < count); i++) {
			r = NETMAP_TXRING(p.nifp, p.tx0 + seq % nrings);
			if (nm_ring_space(r) < (uint32_t)frags)
				break;
			frame_build(f, len, seq, dst, src);
			ring_put(r, f, len, frags);
			seq++;
		}
		if (i > 0) {
			sync_or_die(&p, NIOCTXSYNC);
			continue;
		}
		/* Ring full (a pipe whose reader lags). */
		if (waitpoll) {
			pfd.revents = 0;
			if (poll(&pfd, 1, 2000) < 0 && errno != EINTR)
				err(1, "send: poll");
			if (pfd.revents & POLLERR)
				errx(1, "send: %s: POLLERR at seq %u", p.name,
				    seq);
		} else {
			sched_yield();
			sync_or_die(&p, NIOCTXSYNC);
		}
	}
	/*
	 * Until the receiver took everything (pipes; VALE forwards within
	 * the sync).  A receiver that is gone releases nothing more: give
	 * up after a while, it is not the sender's business.
	 */
	tdrain = now_ms();
	for (ri = 0; ri < nrings; ri++) {
		r = NETMAP_TXRING(p.nifp, p.tx0 + ri);
		while (!stop && nm_tx_pending(r) &&
		    now_ms() - tdrain < 3000) {
			pfd.revents = 0;
			poll(&pfd, 1, 100);
		}
		if (nm_tx_pending(r))
			break;
	}
	printf("send: %s: %u frames of %u bytes in %d slot(s), %.2f s%s\n",
	    p.name, seq, len, frags, (now_ms() - t0) / 1000.0,
	    nm_tx_pending(r) ? " (some never taken)" : "");
	port_close(&p);
	return 0;
}

static int
cmd_recv(int argc, char **argv)
{
	uint8_t *f = malloc(MAX_FRAME);
	uint32_t want_len = 0, count = 1000, got = 0, seq, gaps = 0;
	int64_t last = -1;
	int use_epoll = 0, gaps_ok = 0, timeout = 10000, ch, ep = -1, i;
	int skip_foreign = 0, unordered = 0;
	uint64_t bytes = 0, slots = 0, foreign = 0, t0, tlast;
	uint8_t *seen = NULL;
	struct port p;

	while ((ch = getopt(argc, argv, "egl:M:n:t:ux")) != -1) {
		switch (ch) {
		case 'e': use_epoll = 1; break;
		case 'M': reg_flags = monitor_flags(optarg); break;
		case 'g': gaps_ok = 1; break;
		case 'l': want_len = (uint32_t)atoi(optarg); break;
		case 'n': count = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': timeout = atoi(optarg); break;
		case 'u': unordered = 1; break;
		case 'x': skip_foreign = 1; break;
		default: usage();
		}
	}
	if (unordered)
		seen = calloc(count + 1, 1);
	if (optind + 1 != argc || f == NULL || (unordered && seen == NULL))
		usage();
	/* a monitor waits for its port to exist and be in netmap mode */
	for (i = 0; reg_flags != 0 && i < 100; i++) {
		int e = port_try_open(&p, argv[optind]);

		if (e != EINVAL && e != ENXIO)
			break;
		usleep(50000);
	}
	if (reg_flags == 0 || p.fd < 0)
		port_open(&p, argv[optind]);
	signal(SIGTERM, on_signal);
	if (use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN };

		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev) != 0)
			err(1, "recv: epoll");
	}
	/* Ready for traffic: the script may start the sender now. */
	printf("recv: %s: ready\n", p.name);
	fflush(stdout);
	t0 = tlast = now_ms();
	while (!stop && (count == 0 || got < count)) {
		unsigned ri;
		int n, progress = 0;

		if (use_epoll) {
			struct epoll_event ev;

			n = epoll_wait(ep, &ev, 1, 200);
		} else {
			struct pollfd pfd = { .fd = p.fd, .events = POLLIN };

			n = poll(&pfd, 1, 200);
			if (n > 0 && (pfd.revents & POLLERR))
				errx(1, "recv: POLLERR");
		}
		if (n < 0 && errno != EINTR)
			err(1, "recv: wait");
		for (ri = p.rx0; ri < p.rx0 + p.nrx; ri++) {
			struct netmap_ring *r = NETMAP_RXRING(p.nifp, ri);
			const char *why;
			int len, ns;

			if (use_epoll)
				sync_or_die(&p, NIOCRXSYNC);
			while ((len = ring_get(r, f, &ns)) != 0) {
				if (len < 0)
					errx(1, "recv: frame too long");
				if (skip_foreign && !is_test_frame(f, len)) {
					foreign++;
					continue;
				}
				why = frame_check(f, (uint32_t)len, &seq, NULL);
				if (why != NULL)
					errx(1, "recv: frame %u (%d bytes): %s",
					    got, len, why);
				if (want_len && (uint32_t)len != want_len)
					errx(1, "recv: frame %u: %d bytes, "
					    "expected %u", got, len, want_len);
				if (unordered) {
					if (seq >= count || seen[seq]++)
						errx(1, "recv: seq %u: out "
						    "of range or duplicated",
						    seq);
					got++;
					bytes += (uint64_t)len;
					slots += (uint64_t)ns;
					progress = 1;
					continue;
				}
				if ((int64_t)seq <= last)
					errx(1, "recv: seq %u after %" PRId64
					    ": reordered or duplicated",
					    seq, last);
				if ((int64_t)seq != last + 1) {
					if (!gaps_ok)
						errx(1, "recv: seq %u after %"
						    PRId64 ": lost frames",
						    seq, last);
					gaps += seq - (uint32_t)(last + 1);
				}
				last = seq;
				got++;
				bytes += (uint64_t)len;
				slots += (uint64_t)ns;
				progress = 1;
			}
		}
		if (progress)
			tlast = now_ms();
		else if (timeout > 0 && now_ms() - tlast > (uint64_t)timeout)
			errx(1, "recv: %s: %u of %u frames, then nothing for "
			    "%d ms", p.name, got, count, timeout);
	}
	/* Give the last slots back: a pipe's sender waits for them. */
	sync_or_die(&p, NIOCRXSYNC);
	printf("recv: %s: %u frames, %" PRIu64 " bytes in %" PRIu64
	    " slots, %u lost, %.2f s", p.name, got, bytes, slots, gaps,
	    (now_ms() - t0) / 1000.0);
	if (skip_foreign)
		printf(", %" PRIu64 " other frames skipped", foreign);
	printf("\n");
	port_close(&p);
	return 0;
}

/* ---- the AF_PACKET end of a NIC port ---- */

/* A raw socket on ifname, receiving nothing it sends itself. */
static int
af_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1, rcvbuf = 64 << 20;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		err(1, "%s: AF_PACKET socket", cmd);
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0)
		err(1, "%s: %s", cmd, ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		err(1, "%s: bind %s", cmd, ifname);
	/* lossless counts: room for every frame of a test */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one)) != 0)
		err(1, "%s: setsockopt", cmd);
	return fd;
}

static int
cmd_afsend(int argc, char **argv)
{
	uint8_t *f = malloc(MAX_FRAME);
	unsigned dst = 255, src = 2;
	uint32_t len = 60, count = 1000, seq;
	cpu_set_t cpus;
	int fd, ch;

	while ((ch = getopt(argc, argv, "D:l:n:S:")) != -1) {
		switch (ch) {
		case 'D': dst = (unsigned)atoi(optarg); break;
		case 'l': len = (uint32_t)atoi(optarg); break;
		case 'n': count = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'S': src = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || f == NULL || len < HDR_LEN ||
	    len > MAX_FRAME)
		usage();
	/*
	 * veth hands a frame to the backlog of the CPU that sent it: a
	 * sender that moves to another CPU may see its frames reordered.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	fd = af_open(argv[optind]);
	for (seq = 0; seq < count; seq++) {
		frame_build(f, len, seq, dst, src);
		while (send(fd, f, len, 0) != (ssize_t)len) {
			if (errno != ENOBUFS && errno != EAGAIN)
				err(1, "afsend: frame %u", seq);
			usleep(1000);
		}
	}
	printf("afsend: %s: %u frames of %u bytes\n", argv[optind], count,
	    len);
	close(fd);
	return 0;
}

static uint16_t
ip_csum(const uint8_t *p, int n)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A pkt-gen frame from src to dst: NULL if intact, else what is wrong. */
static const char *
pktgen_check(const uint8_t *f, uint32_t len, uint32_t want_len, unsigned dst)
{
	uint8_t m[6];

	if (len != want_len)
		return "wrong length";
	mac(m, dst);
	if (memcmp(f, m, 6) != 0)
		return "wrong destination MAC";
	if (f[12] != 0x08 || f[13] != 0x00 || len < 14 + 20 + 8 ||
	    (f[14] >> 4) != 4)
		return "not IPv4";
	if (ip_csum(f + 14, (f[14] & 15) * 4) != 0)
		return "bad IPv4 header checksum";
	if ((uint32_t)(f[16] << 8 | f[17]) != len - 14)
		return "IPv4 length differs from the frame's";
	if (f[23] != 17)
		return "not UDP";
	return NULL;
}

static int
cmd_afrecv(int argc, char **argv)
{
	uint8_t *f = malloc(MAX_FRAME), m[6];
	unsigned dst = 255, src = 1;
	uint32_t want_len = 0, count = 1000, got = 0, seq;
	int fd, ch, timeout = 10000, pktgen = 0, unordered = 0;
	int64_t last = -1;
	uint64_t other = 0;
	uint8_t *seen;

	while ((ch = getopt(argc, argv, "D:l:n:PS:t:u")) != -1) {
		switch (ch) {
		case 'D': dst = (unsigned)atoi(optarg); break;
		case 'l': want_len = (uint32_t)atoi(optarg); break;
		case 'n': count = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'P': pktgen = 1; break;
		case 'S': src = (unsigned)atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'u': unordered = 1; break;
		default: usage();
		}
	}
	seen = calloc(count + 1, 1);
	if (optind + 1 != argc || f == NULL || seen == NULL ||
	    (pktgen && want_len == 0))
		usage();
	fd = af_open(argv[optind]);
	mac(m, src);
	printf("afrecv: %s: ready\n", argv[optind]);
	fflush(stdout);
	while (got < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		const char *why;
		ssize_t n;

		if (poll(&pfd, 1, timeout) == 0)
			errx(1, "afrecv: %u of %u frames, then nothing for "
			    "%d ms", got, count, timeout);
		n = recv(fd, f, MAX_FRAME, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			err(1, "afrecv");
		}
		if (pktgen) {
			if (n < 14 || memcmp(f + 6, m, 6) != 0) {
				other++;
				continue;
			}
			why = pktgen_check(f, (uint32_t)n, want_len, dst);
			if (why != NULL)
				errx(1, "afrecv: frame %u (%zd bytes): %s",
				    got, n, why);
			got++;
			continue;
		}
		if (!is_test_frame(f, (int)n)) {
			other++;
			continue;
		}
		why = frame_check(f, (uint32_t)n, &seq, NULL);
		if (why == NULL && want_len && (uint32_t)n != want_len)
			why = "wrong length";
		if (why != NULL)
			errx(1, "afrecv: frame %u (%zd bytes): %s", got, n,
			    why);
		if (unordered) {
			if (seq >= count || seen[seq]++)
				errx(1, "afrecv: seq %u: out of range or "
				    "duplicated", seq);
		} else if ((int64_t)seq != last + 1) {
			errx(1, "afrecv: seq %u after %" PRId64 ": lost, "
			    "reordered or duplicated", seq, last);
		}
		last = seq;
		got++;
	}
	printf("afrecv: %s: %u frames, %" PRIu64 " other frames skipped\n",
	    argv[optind], got, other);
	close(fd);
	return 0;
}

/* ---- learn: a 4-port switch forwards unicast only where it learned ---- */

#define NPORTS 4

/* Send one frame from port i to MAC dst, then count what each port got. */
static void
learn_step(struct port *ps, int from, unsigned dst, const int *expect,
    const char *what)
{
	static uint32_t seq;
	uint8_t f[128];
	int i;

	frame_build(f, 64, seq++, dst, (unsigned)from);
	ring_put(NETMAP_TXRING(ps[from].nifp, 0), f, 64, 1);
	sync_or_die(&ps[from], NIOCTXSYNC);
	for (i = 0; i < NPORTS; i++) {
		struct netmap_ring *r = NETMAP_RXRING(ps[i].nifp, 0);
		uint32_t s;
		unsigned src;
		int n = 0, len, ns;

		sync_or_die(&ps[i], NIOCRXSYNC);
		while ((len = ring_get(r, f, &ns)) > 0) {
			if (frame_check(f, (uint32_t)len, &s, &src) != NULL ||
			    src != (unsigned)from)
				errx(1, "learn: %s: port %d got a bad frame",
				    what, i);
			n++;
		}
		if (n != expect[i])
			errx(1, "learn: %s: port %d got %d frames, expected %d",
			    what, i, n, expect[i]);
	}
}

static int
cmd_learn(int argc, char **argv)
{
	static const int flood[NPORTS][NPORTS] = {
		{ 0, 1, 1, 1 }, { 1, 0, 1, 1 }, { 1, 1, 0, 1 }, { 1, 1, 1, 0 },
	};
	struct port ps[NPORTS];
	char name[64];
	int i, e[NPORTS];

	if (argc != 2)
		usage();
	for (i = 0; i < NPORTS; i++) {
		snprintf(name, sizeof(name), "%s:p%d", argv[1], i);
		port_open(&ps[i], name);
	}
	/* Nothing learned: unknown unicast floods, never back to the sender. */
	learn_step(ps, 0, 3, flood[0], "unknown unicast from p0");
	/* Broadcasts from everyone: all learned, all flooded. */
	for (i = 0; i < NPORTS; i++)
		learn_step(ps, i, 255, flood[i], "broadcast");
	/* Unicast now reaches exactly the learned port. */
	memset(e, 0, sizeof(e));
	e[0] = 1;
	learn_step(ps, 1, 0, e, "p1 -> p0");
	memset(e, 0, sizeof(e));
	e[2] = 1;
	learn_step(ps, 3, 2, e, "p3 -> p2");
	memset(e, 0, sizeof(e));
	e[3] = 1;
	learn_step(ps, 0, 3, e, "p0 -> p3");
	/* To oneself: dropped. */
	memset(e, 0, sizeof(e));
	learn_step(ps, 1, 1, e, "p1 -> p1");
	/* An unknown MAC still floods. */
	learn_step(ps, 2, 77, flood[2], "p2 -> unknown");
	/* Moved station: p3 now sends as MAC 0; unicast to 0 goes to p3. */
	{
		uint8_t f[128];

		frame_build(f, 64, 1000, 255, 0);
		ring_put(NETMAP_TXRING(ps[3].nifp, 0), f, 64, 1);
		sync_or_die(&ps[3], NIOCTXSYNC);
		for (i = 0; i < NPORTS; i++) {
			struct netmap_ring *r = NETMAP_RXRING(ps[i].nifp, 0);

			sync_or_die(&ps[i], NIOCRXSYNC);
			r->head = r->cur = r->tail;
		}
		memset(e, 0, sizeof(e));
		e[3] = 1;
		frame_build(f, 64, 1001, 0, 2);
		ring_put(NETMAP_TXRING(ps[2].nifp, 0), f, 64, 1);
		sync_or_die(&ps[2], NIOCTXSYNC);
		for (i = 0; i < NPORTS; i++) {
			struct netmap_ring *r = NETMAP_RXRING(ps[i].nifp, 0);

			sync_or_die(&ps[i], NIOCRXSYNC);
			if ((int)nm_ring_space(r) != e[i])
				errx(1, "learn: after the move, port %d has "
				    "%u frames, expected %d", i,
				    nm_ring_space(r), e[i]);
			r->head = r->cur = r->tail;
		}
	}
	for (i = 0; i < NPORTS; i++)
		port_close(&ps[i]);
	printf("learn: %s: flooding, learning, unicast, move ok\n", argv[1]);
	return 0;
}

/*
 * ---- scm: a registered descriptor in another process ----
 * Every other frame the receiving process sends is NS_INDIRECT, from its
 * own memory: whoever syncs reads the memory of the process that asked.
 */

struct scm_msg {
	struct nmreq_register reg;
};

static int
cmd_scm(int argc, char **argv)
{
	char name_a[64], name_b[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct port a, b;
	struct scm_msg m;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	uint8_t *f = malloc(MAX_FRAME);
	const uint32_t n = 100;
	int sv[2], status, len, ns;
	uint32_t got = 0, seq;
	pid_t pid;

	if (argc != 2 || f == NULL)
		usage();
	snprintf(name_a, sizeof(name_a), "%s:a", argv[1]);
	snprintf(name_b, sizeof(name_b), "%s:b", argv[1]);
	port_open(&b, name_b);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		err(1, "scm: socketpair");
	pid = fork();
	if (pid < 0)
		err(1, "scm: fork");
	if (pid == 0) {
		/* The child: receive fd + REGISTER results, map, send. */
		struct netmap_if *nifp;
		struct netmap_ring *r;
		char *mem;
		uint32_t i;
		int fd;

		close(sv[0]);
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &m;
		iov.iov_len = sizeof(m);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &mh, MSG_WAITALL) != sizeof(m))
			err(1, "scm child: recvmsg");
		c = CMSG_FIRSTHDR(&mh);
		if (c == NULL || c->cmsg_type != SCM_RIGHTS)
			errx(1, "scm child: no descriptor");
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		mem = mmap(NULL, m.reg.nr_memsize, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			err(1, "scm child: mmap");
		nifp = NETMAP_IF(mem, m.reg.nr_offset);
		r = NETMAP_TXRING(nifp, 0);
		for (i = 0; i < n; i++) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 2000) != 1 ||
			    !(pfd.revents & POLLOUT))
				errx(1, "scm child: poll: revents 0x%x",
				    pfd.revents);
			frame_build(f, 200, i, 255, 5);
			if (i % 2) {
				struct netmap_slot *s = &r->slot[r->head];

				memset(NETMAP_BUF(r, s->buf_idx), 0, 200);
				s->len = 200;
				s->flags = NS_INDIRECT;
				s->ptr = (uintptr_t)f;
				r->head = r->cur = nm_ring_next(r, r->head);
			} else {
				ring_put(r, f, 200, 1);
			}
			if (ioctl(fd, NIOCTXSYNC, NULL) != 0)
				err(1, "scm child: NIOCTXSYNC");
		}
		munmap(mem, m.reg.nr_memsize);
		close(fd);
		_exit(0);
	}
	close(sv[1]);
	port_open(&a, name_a);
	/* The parent lets go of everything but the fd in flight. */
	m.reg = a.reg;
	munmap(a.mem, a.reg.nr_memsize);
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = &m;
	iov.iov_len = sizeof(m);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &a.fd, sizeof(int));
	if (sendmsg(sv[0], &mh, 0) != sizeof(m))
		err(1, "scm: sendmsg");
	close(a.fd);
	close(sv[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "scm: the child failed");
	sync_or_die(&b, NIOCRXSYNC);
	while ((len = ring_get(NETMAP_RXRING(b.nifp, 0), f, &ns)) > 0) {
		if (frame_check(f, (uint32_t)len, &seq, NULL) != NULL ||
		    seq != got)
			errx(1, "scm: frame %u bad", got);
		got++;
	}
	if (got != n)
		errx(1, "scm: received %u of %u frames", got, n);
	port_close(&b);
	printf("scm: %u frames sent by another process through a passed "
	    "descriptor\n", got);
	return 0;
}

/* ---- hostile: malformed requests and rings ---- */

static int failures;

/* An errno (0 = success) against the one expected. */
static void
expect_err(const char *what, int e, int want)
{
	if (e != want) {
		warnx("hostile: %s: %s, expected %s", what,
		    e ? strerror(e) : "success",
		    want ? strerror(want) : "success");
		failures++;
	}
}

/* A system call's return (0 or -1 and errno) against the errno expected. */
static void
expect(const char *what, int ret, int want)
{
	expect_err(what, ret == 0 ? 0 : errno, want);
}

static int
ctrl(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h);
}

static void
hostile_requests(const char *bridge)
{
	struct nmreq_register reg;
	struct nmreq_header h;
	struct nmreq_option opt[3];
	struct nmreq legacy;
	char name[64];
	void *ro;
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0)
		err(1, "hostile: open");
	snprintf(name, sizeof(name), "%s:h", bridge);

	/* Before REGISTER: no sync, no mmap, poll says POLLERR. */
	expect("TXSYNC before register", ioctl(fd, NIOCTXSYNC, NULL), ENXIO);
	expect("RXSYNC before register", ioctl(fd, NIOCRXSYNC, NULL), ENXIO);
	expect("mmap before register", mmap(NULL, 4096, PROT_READ, MAP_SHARED,
	    fd, 0) == MAP_FAILED ? -1 : 0, EINVAL);

	/* Headers. */
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	h.nr_version = 13;
	expect("version 13", ctrl(fd, &h), EINVAL);
	h.nr_version = 16;
	expect("version 16", ctrl(fd, &h), EINVAL);
	hdr_init(&h, 0, name, &reg);
	expect("reqtype 0", ctrl(fd, &h), EINVAL);
	hdr_init(&h, 999, name, &reg);
	expect("reqtype 999", ctrl(fd, &h), EINVAL);
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	h.nr_reserved = 1;
	expect("reserved != 0", ctrl(fd, &h), EINVAL);
	hdr_init(&h, NETMAP_REQ_REGISTER, name, NULL);
	expect("REGISTER without body", ctrl(fd, &h), EINVAL);
	hdr_init(&h, NETMAP_REQ_REGISTER, name, (void *)8);
	expect("body at address 8", ctrl(fd, &h), EFAULT);
	hdr_init(&h, NETMAP_REQ_REGISTER, name, (void *)-4096L);
	expect("body in kernel space", ctrl(fd, &h), EFAULT);
	expect("header at NULL", ioctl(fd, NIOCCTRL, NULL), EFAULT);
	expect("header in kernel space",
	    ioctl(fd, NIOCCTRL, (void *)0xffffffff81000000UL), EFAULT);
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	memset(h.nr_name, 'A', sizeof(h.nr_name));	/* no NUL */
	expect("unterminated name", ctrl(fd, &h), ENXIO);
	hdr_init(&h, NETMAP_REQ_REGISTER, "nosuchport", &reg);
	expect("unknown port", ctrl(fd, &h), ENXIO);
	hdr_init(&h, NETMAP_REQ_REGISTER, "vale:", &reg);
	if (ctrl(fd, &h) == 0) {
		warnx("hostile: REGISTER vale: (no port) succeeded");
		failures++;
	}
	reg.nr_mode = NR_REG_DEFAULT;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	expect("mode NR_REG_DEFAULT", ctrl(fd, &h), EINVAL);
	reg.nr_mode = 1000;
	expect("mode 1000", ctrl(fd, &h), EINVAL);
	reg.nr_mode = NR_REG_ONE_NIC;
	reg.nr_ringid = 500;
	expect("ring 500", ctrl(fd, &h), EINVAL);
	reg.nr_mode = NR_REG_ALL_NIC;
	reg.nr_ringid = 0;
	reg.nr_mem_id = 4000;
	expect("unknown mem_id", ctrl(fd, &h), EINVAL);
	reg.nr_mem_id = 0;

	/* Options: zero type, a loop, a bad pointer, unknown and dups. */
	memset(opt, 0, sizeof(opt));
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	h.nr_options = (uintptr_t)&opt[0];
	expect("option type 0", ctrl(fd, &h), EINVAL);
	opt[0].nro_reqtype = NETMAP_REQ_OPT_OFFSETS + 50;
	opt[0].nro_next = (uintptr_t)&opt[0];
	expect("unknown option loop", ctrl(fd, &h), EMSGSIZE);
	opt[0].nro_next = 16;
	expect("option next at 16", ctrl(fd, &h), EFAULT);
	opt[0].nro_next = 0;
	opt[0].nro_size = ~0ULL;
	expect("unknown option", ctrl(fd, &h), EOPNOTSUPP);
	if (opt[0].nro_status != EOPNOTSUPP) {
		warnx("hostile: unknown option status %u", opt[0].nro_status);
		failures++;
	}
	memset(opt, 0, sizeof(opt));
	opt[0].nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	opt[0].nro_next = (uintptr_t)&opt[1];
	opt[1].nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	expect("duplicate option", ctrl(fd, &h), EINVAL);
	memset(opt, 0, sizeof(opt));
	opt[0].nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	opt[0].nro_size = 1ULL << 40;
	/* The option body runs past opt[] into the stack: fine, bounded. */
	if (ctrl(fd, &h) == 0) {
		warnx("hostile: garbage offsets option accepted");
		failures++;
	}
	/* An option whose body is unmapped. */
	ro = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		err(1, "hostile: mmap");
	munmap((char *)ro + 4096, 4096);
	{
		struct nmreq_option *o = (void *)((char *)ro + 4096 -
		    sizeof(*o));

		memset(o, 0, sizeof(*o));
		o->nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
		h.nr_options = (uintptr_t)o;
		expect("option body unmapped", ctrl(fd, &h), EFAULT);
	}
	/* A header in read-only memory: read fine, written back fails. */
	hdr_init(&h, NETMAP_REQ_PORT_INFO_GET, "nosuchport", &reg);
	memcpy(ro, &h, sizeof(h));
	mprotect(ro, 4096, PROT_READ);
	expect("read-only header", ioctl(fd, NIOCCTRL, ro), ENXIO);
	munmap(ro, 4096);

	/* Control requests with bad names, and legacy ones. */
	hdr_init(&h, NETMAP_REQ_VALE_NEWIF, "x.y", &reg);
	expect("VALE_NEWIF x.y", ctrl(fd, &h), EINVAL);
	hdr_init(&h, NETMAP_REQ_VALE_DELIF, "nosuchport", NULL);
	expect("VALE_DELIF nosuchport", ctrl(fd, &h), ENXIO);
	memset(&legacy, 0, sizeof(legacy));
	legacy.nr_version = 13;
	memcpy(legacy.nr_name, name, sizeof(legacy.nr_name) - 1);
	expect("legacy version 13", ioctl(fd, NIOCREGIF, &legacy), EINVAL);
	expect("legacy at NULL", ioctl(fd, NIOCREGIF, NULL), EFAULT);
	/* not a command of this device at all: ENOTTY, as for any file */
	expect("unknown ioctl", ioctl(fd, _IOWR('i', 199, struct nmreq)),
	    ENOTTY);
	close(fd);
}

static void
hostile_rings(const char *bridge)
{
	struct netmap_ring *tx, *rx;
	struct pollfd pfd;
	struct port p, q;
	char name[64];
	void *m;
	int64_t buf_ofs;
	uint32_t n, i;
	int error;

	snprintf(name, sizeof(name), "%s:r", bridge);
	port_open(&p, name);
	snprintf(name, sizeof(name), "%s:s", bridge);
	port_open(&q, name);
	tx = NETMAP_TXRING(p.nifp, 0);
	rx = NETMAP_RXRING(q.nifp, 0);
	n = tx->num_slots;

	/* A second REGISTER on a bound descriptor. */
	{
		struct nmreq_register reg;

		error = do_register(p.fd, name, NR_REG_ALL_NIC, 0, 0, &reg);
		expect_err("second REGISTER", error, EBUSY);
	}

	/* mmap: within the region only. */
	m = mmap(NULL, p.reg.nr_memsize + 4096, PROT_READ, MAP_SHARED, p.fd,
	    0);
	expect("mmap past the end", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, p.fd,
	    (off_t)p.reg.nr_memsize);
	expect("mmap at the end", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, p.fd, (off_t)1 << 50);
	expect("mmap at 2^50", m == MAP_FAILED ? -1 : 0, EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, p.fd,
	    (off_t)(p.reg.nr_memsize - 4096));
	if (m == MAP_FAILED) {
		warn("hostile: mmap of the last page");
		failures++;
	} else {
		volatile char c = ((char *)m)[4095];

		(void)c;
		munmap(m, 4096);
	}

	/* Indices out of range: the ring is reset, sync still returns 0. */
	tx->head = n + 5;
	expect("TXSYNC head past the end", ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	if (tx->head >= n || tx->cur != tx->head)
		errx(1, "hostile: ring not restored (head %u cur %u)",
		    tx->head, tx->cur);
	tx->cur = tx->head + 1 >= n ? 0 : tx->head + 1;
	tx->head = tx->tail;		/* head beyond cur */
	pfd.fd = p.fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLERR)) {
		warnx("hostile: poll on a bad ring: revents 0x%x",
		    pfd.revents);
		failures++;
	}
	rx->head = rx->tail + 7;
	rx->cur = ~0u;
	expect("RXSYNC bad head", ioctl(q.fd, NIOCRXSYNC, NULL), 0);
	buf_ofs = tx->buf_ofs;
	*(uint32_t *)(uintptr_t)&tx->num_slots = ~0u;
	*(int64_t *)(uintptr_t)&tx->buf_ofs = -(1LL << 40);
	expect("TXSYNC after num_slots/buf_ofs changed",
	    ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	/* The core keeps its own copies; ours are put back by hand. */
	*(uint32_t *)(uintptr_t)&tx->num_slots = n;
	*(int64_t *)(uintptr_t)&tx->buf_ofs = buf_ofs;

	/* Hostile slots: huge buffer index, huge length, indirect junk. */
	i = tx->head;
	tx->slot[i].buf_idx = 0xfffffff0u;
	tx->slot[i].len = 64;
	tx->slot[i].flags = 0;
	i = nm_ring_next(tx, i);
	tx->slot[i].len = 65535;
	tx->slot[i].flags = 0;
	i = nm_ring_next(tx, i);
	tx->slot[i].len = 1000;
	tx->slot[i].flags = NS_INDIRECT;
	tx->slot[i].ptr = 0xdead0000;
	i = nm_ring_next(tx, i);
	tx->slot[i].len = 0;
	tx->slot[i].flags = NS_MOREFRAG;	/* a chain left open */
	i = nm_ring_next(tx, i);
	tx->head = tx->cur = i;
	expect("TXSYNC of hostile slots", ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	expect("RXSYNC after hostile slots", ioctl(q.fd, NIOCRXSYNC, NULL), 0);
	rx->head = rx->cur = rx->tail;
	expect("RXSYNC release", ioctl(q.fd, NIOCRXSYNC, NULL), 0);

	port_close(&q);
	port_close(&p);
}

/* Legacy NIOCREGIF works too, and an extra-buffer list set to garbage. */
static void
hostile_legacy(const char *bridge)
{
	struct nmreq nmr;
	struct netmap_if *nifp;
	char *mem;
	int fd = open("/dev/netmap", O_RDWR);

	if (fd < 0)
		err(1, "hostile: open");
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	nmr.nr_flags = NR_REG_ALL_NIC;
	nmr.nr_arg3 = 16;		/* extra buffers */
	if ((size_t)snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%.12s:l",
	    bridge) >= sizeof(nmr.nr_name))
		errx(1, "hostile: bridge name too long");
	if (ioctl(fd, NIOCREGIF, &nmr) != 0) {
		warn("hostile: legacy NIOCREGIF");
		failures++;
		close(fd);
		return;
	}
	mem = mmap(NULL, nmr.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (mem == MAP_FAILED)
		err(1, "hostile: mmap after NIOCREGIF");
	nifp = NETMAP_IF(mem, nmr.nr_offset);
	/* The close below frees a list that now loops on itself. */
	if (nifp->ni_bufs_head != 0) {
		struct netmap_ring *r = NETMAP_TXRING(nifp, 0);
		uint32_t b = nifp->ni_bufs_head;

		*(uint32_t *)(void *)NETMAP_BUF(r, b) = b;
	}
	munmap(mem, nmr.nr_memsize);
	close(fd);
}

/*
 * conform: what the issue-8 review found accepted and ignored, or
 * answered otherwise than upstream: every nr_flags bit the core does not
 * implement is refused with EOPNOTSUPP (the monitor bits make a
 * monitor, see cmd_monitor); an option list stops at the first zero or
 * repeated type with EINVAL (spec 2.7).
 */
static int
cmd_conform(int argc, char **argv)
{
	struct nmreq_register reg;
	struct nmreq_header h;
	struct nmreq_option opt;
	char name[64], what[64];
	int i, fd;

	if (argc != 2)
		usage();
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "conform: open");
	snprintf(name, sizeof(name), "%s:c", argv[1]);
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_ALL_NIC;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, &reg);
	for (i = 0; i < 64; i++) {
		uint64_t bit = 1ull << i;

		if (bit & (NR_EXCLUSIVE | NR_RX_RINGS_ONLY |
		    NR_TX_RINGS_ONLY | NR_ACCEPT_VNET_HDR | NR_DO_RX_POLL |
		    NR_NO_TX_POLL | NR_MONITOR_TX | NR_MONITOR_RX |
		    NR_ZCOPY_MON))
			continue;
		reg.nr_flags = bit;
		snprintf(what, sizeof(what), "nr_flags %#llx",
		    (unsigned long long)bit);
		expect(what, ctrl(fd, &h), EOPNOTSUPP);
	}
	reg.nr_flags = 0;

	memset(&opt, 0, sizeof(opt));
	opt.nro_next = (uintptr_t)&opt;
	h.nr_options = (uintptr_t)&opt;
	opt.nro_reqtype = NETMAP_REQ_OPT_MAX + 7;
	expect("unknown option loop", ctrl(fd, &h), EMSGSIZE);
	opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	expect("offsets option loop", ctrl(fd, &h), EINVAL);
	expect_err("offsets option loop status", (int)opt.nro_status, EINVAL);
	opt.nro_reqtype = 0;
	expect("zero option loop", ctrl(fd, &h), EINVAL);
	expect_err("zero option loop status", (int)opt.nro_status, EINVAL);

	/* after all that, the descriptor binds */
	h.nr_options = 0;
	expect("register", ctrl(fd, &h), 0);
	close(fd);
	if (failures)
		errx(1, "conform: %d checks failed", failures);
	printf("conform: flags and option lists as upstream\n");
	return 0;
}

/* ---- monitor: /t, /r, /rt, /z on VALE ports and pipes ---- */

static void
mon_open(struct port *p, const char *name, uint64_t flags)
{
	reg_flags = flags;
	port_open(p, name);
	reg_flags = 0;
}

/* Send frames [seq, seq + n) from p (src), of varied lengths and slots. */
static void
mon_send(struct port *p, uint32_t seq, uint32_t n, unsigned src)
{
	struct netmap_ring *r = NETMAP_TXRING(p->nifp, 0);
	uint8_t f[3000];
	uint32_t i;

	for (i = 0; i < n; i++, seq++) {
		uint32_t len = 60 + seq * 97 % 2900;
		int frags = (int)(len + r->nr_buf_size - 1) / r->nr_buf_size;

		if (nm_ring_space(r) < (uint32_t)frags)
			errx(1, "monitor: %s: no room", p->name);
		frame_build(f, len, seq, 255, src);
		ring_put(r, f, len, frags);
	}
	sync_or_die(p, NIOCTXSYNC);
}

/*
 * p's RX ring 0 holds exactly frames [seq, seq + n), intact, whose first
 * slots have NS_TXMON iff txmon; released.
 */
static void
mon_expect(struct port *p, uint32_t seq, uint32_t n, int txmon)
{
	struct netmap_ring *r = NETMAP_RXRING(p->nifp, 0);
	uint8_t f[3000];
	uint32_t i, got;
	int len, ns;

	sync_or_die(p, NIOCRXSYNC);
	for (i = 0; i < n; i++, seq++) {
		const char *why;
		int flag;

		if (nm_ring_empty(r))
			errx(1, "monitor: %s: %u frames, expected %u",
			    p->name, i, n);
		flag = (r->slot[r->head].flags & NS_TXMON) != 0;
		len = ring_get(r, f, &ns);
		if (len <= 0 || len > (int)sizeof(f))
			errx(1, "monitor: %s: bad frame", p->name);
		why = frame_check(f, (uint32_t)len, &got, NULL);
		if (why != NULL || got != seq)
			errx(1, "monitor: %s: frame %u: %s (seq %u)", p->name,
			    seq, why ? why : "out of order", got);
		if (flag != txmon)
			errx(1, "monitor: %s: frame %u: NS_TXMON %d", p->name,
			    seq, flag);
	}
	sync_or_die(p, NIOCRXSYNC);
	if (!nm_ring_empty(r))
		errx(1, "monitor: %s: more than %u frames", p->name, n);
}

/* A child running this program with args, its stdout to /dev/null. */
static pid_t
mon_spawn(char *const args[])
{
	pid_t pid = fork();

	if (pid < 0)
		err(1, "monitor: fork");
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(1);
		execv(prog, args);
		_exit(127);
	}
	return pid;
}

static int
cmd_monitor(int argc, char **argv)
{
	char a[64], b[64], pm[64], ps[64];
	struct port pa, pb, mt, mr, mz, ppm, pps, mpz, mprt;
	uint32_t round, seq = 0;
	pid_t pids[8];
	int i, st;

	if (argc != 2)
		usage();
	snprintf(a, sizeof(a), "%s:ma", argv[1]);
	snprintf(b, sizeof(b), "%s:mb", argv[1]);
	snprintf(pm, sizeof(pm), "%s:mp{1", argv[1]);
	snprintf(ps, sizeof(ps), "%s:mp}1", argv[1]);

	/* VALE: /t and /r of a, /z of b; every frame, in order */
	port_open(&pa, a);
	port_open(&pb, b);
	mon_open(&mt, a, NR_MONITOR_TX);
	mon_open(&mr, a, NR_MONITOR_RX);
	mon_open(&mz, b, NR_ZCOPY_MON);
	for (round = 0; round < 20; round++, seq += 50) {
		mon_send(&pa, seq, 30, 1);
		mon_expect(&pb, seq, 30, 0);
		mon_expect(&mt, seq, 30, 1);
		mon_expect(&mz, seq, 30, 0);	/* b released them */
		mon_send(&pb, seq + 30, 20, 2);
		mon_expect(&mz, seq + 30, 20, 1);
		mon_expect(&pa, seq + 30, 20, 0);
		mon_expect(&mr, seq + 30, 20, 0);
	}
	port_close(&mt);
	port_close(&mr);
	port_close(&mz);
	port_close(&pa);
	port_close(&pb);

	/* a pipe: /z of the master, /rt of the slave */
	port_open(&ppm, pm);
	port_open(&pps, ps);
	mon_open(&mpz, pm, NR_ZCOPY_MON);
	mon_open(&mprt, ps, NR_MONITOR_TX | NR_MONITOR_RX);
	for (round = 0; round < 20; round++, seq += 50) {
		mon_send(&ppm, seq, 30, 1);
		mon_expect(&pps, seq, 30, 0);
		mon_expect(&mprt, seq, 30, 0);
		sync_or_die(&ppm, NIOCTXSYNC);	/* the slots come back */
		mon_expect(&mpz, seq, 30, 1);
		mon_send(&pps, seq + 30, 20, 2);
		mon_expect(&mprt, seq + 30, 20, 1);
		mon_expect(&ppm, seq + 30, 20, 0);
		mon_expect(&mpz, seq + 30, 20, 0);
	}
	port_close(&mpz);
	port_close(&mprt);
	port_close(&ppm);
	port_close(&pps);
	printf("monitor: copy and zero-copy monitors of VALE ports and "
	    "pipes saw every frame\n");

	/* SIGKILL of monitors and monitored ports mid-traffic */
	snprintf(a, sizeof(a), "%s:ka", argv[1]);
	snprintf(b, sizeof(b), "%s:kb", argv[1]);
	snprintf(pm, sizeof(pm), "%s:kp{1", argv[1]);
	snprintf(ps, sizeof(ps), "%s:kp}1", argv[1]);
	{
		char *c0[] = { "nmtest", "send", "-n", "0", "-l", "300", a,
		    NULL };
		char *c1[] = { "nmtest", "recv", "-g", "-n", "0", "-t", "0",
		    b, NULL };
		char *c2[] = { "nmtest", "recv", "-M", "rt", "-g", "-n", "0",
		    "-t", "0", a, NULL };
		char *c3[] = { "nmtest", "recv", "-M", "z", "-g", "-n", "0",
		    "-t", "0", b, NULL };
		char *c4[] = { "nmtest", "send", "-w", "-n", "0", pm, NULL };
		char *c5[] = { "nmtest", "recv", "-n", "0", "-t", "0", ps,
		    NULL };
		char *c6[] = { "nmtest", "recv", "-M", "z", "-g", "-n", "0",
		    "-t", "0", pm, NULL };
		char *c7[] = { "nmtest", "recv", "-M", "t", "-g", "-n", "0",
		    "-t", "0", ps, NULL };
		char *const *cs[] = { c1, c0, c2, c3, c5, c4, c6, c7 };

		for (i = 0; i < 8; i++)
			pids[i] = mon_spawn(cs[i]);
	}
	sleep(2);
	/* a monitor, then its port under another monitor, and so on */
	for (i = 0; i < 8; i++) {
		static const int order[8] = { 2, 1, 3, 0, 6, 5, 7, 4 };
		pid_t pid = pids[order[i]];

		if (waitpid(pid, &st, WNOHANG) != 0)
			errx(1, "monitor: child %d ended before its kill",
			    order[i]);
		kill(pid, SIGKILL);
		if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))
			errx(1, "monitor: child %d: status %#x", order[i], st);
		usleep(100000);
	}
	/* the ports and their monitors work as new */
	port_open(&pa, a);
	mon_open(&mt, a, NR_MONITOR_TX);
	mon_send(&pa, 0, 10, 1);
	mon_expect(&mt, 0, 10, 1);
	port_close(&mt);
	port_close(&pa);
	port_open(&ppm, pm);
	port_open(&pps, ps);
	mon_open(&mpz, ps, NR_ZCOPY_MON);
	mon_send(&ppm, 0, 10, 1);
	mon_expect(&pps, 0, 10, 0);
	mon_expect(&mpz, 0, 10, 0);
	port_close(&mpz);
	port_close(&ppm);
	port_close(&pps);
	printf("monitor: SIGKILL of monitors and ports mid-traffic: ok\n");
	return 0;
}

/* ---- persist: VALE_NEWIF, _DELIF, _ATTACH, _DETACH ---- */

static int
pctl(uint16_t type, const char *name, void *body)
{
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR), e;

	if (fd < 0)
		err(1, "persist: open");
	hdr_init(&h, type, name, body);
	e = ioctl(fd, NIOCCTRL, &h) == 0 ? 0 : errno;
	close(fd);
	return e;
}

/*
 * persist: a persistent port PORT, made with the request's geometry,
 * alive with nobody using it, attached to BRIDGE where it takes frames
 * while nobody has it open, opened as PORT and as BRIDGE:PORT, detached
 * and deleted; each refusal with upstream's errno.
 */
static int
cmd_persist(int argc, char **argv)
{
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach at;
	struct nmreq_vale_detach dt;
	struct port e, p, q;
	char bp[64], other[64], eph[64];

	if (argc != 3)
		usage();
	snprintf(bp, sizeof(bp), "%s:%s", argv[1], argv[2]);
	snprintf(other, sizeof(other), "%sx:%s", argv[1], argv[2]);
	snprintf(eph, sizeof(eph), "%s:eph", argv[1]);
	memset(&nif, 0, sizeof(nif));
	nif.nr_tx_rings = nif.nr_rx_rings = 2;
	nif.nr_tx_slots = nif.nr_rx_slots = 256;
	expect_err("NEWIF", pctl(NETMAP_REQ_VALE_NEWIF, argv[2], &nif), 0);
	expect_err("NEWIF rings", nif.nr_rx_rings == 2 &&
	    nif.nr_tx_slots == 256 ? 0 : EINVAL, 0);
	expect_err("NEWIF again", pctl(NETMAP_REQ_VALE_NEWIF, argv[2], &nif),
	    EEXIST);
	expect_err("NEWIF vale0:x", pctl(NETMAP_REQ_VALE_NEWIF, "vale0:x",
	    &nif), EINVAL);
	expect_err("DELIF nosuch", pctl(NETMAP_REQ_VALE_DELIF, "nosuchp",
	    NULL), ENXIO);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_NIC_SW;
	expect_err("ATTACH NIC_SW", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at),
	    EOPNOTSUPP);
	at.reg.nr_mode = NR_REG_ALL_NIC;
	expect_err("ATTACH nosuch", pctl(NETMAP_REQ_VALE_ATTACH,
	    "vale0:nosuchp", &at), ENXIO);

	port_open(&p, argv[2]);
	expect_err("DELIF while open", pctl(NETMAP_REQ_VALE_DELIF, argv[2],
	    NULL), EBUSY);
	port_close(&p);
	port_open(&e, eph);
	expect_err("ATTACH", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at), 0);
	expect_err("ATTACH port_index", at.port_index == 1 ? 0 : EINVAL, 0);
	expect_err("ATTACH again", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at),
	    EBUSY);
	expect_err("ATTACH elsewhere", pctl(NETMAP_REQ_VALE_ATTACH, other,
	    &at), EBUSY);
	expect_err("DELIF while attached", pctl(NETMAP_REQ_VALE_DELIF,
	    argv[2], NULL), EBUSY);
	/* frames while nobody has it open; then as BRIDGE:PORT and PORT */
	mon_send(&e, 0, 10, 1);
	port_open(&p, bp);
	mon_expect(&p, 0, 10, 0);
	port_open(&q, argv[2]);
	mon_send(&q, 10, 5, 2);
	mon_expect(&e, 10, 5, 0);
	port_close(&q);
	port_close(&p);
	expect_err("DETACH elsewhere", pctl(NETMAP_REQ_VALE_DETACH, other,
	    &dt), EINVAL);
	expect_err("DETACH", pctl(NETMAP_REQ_VALE_DETACH, bp, &dt), 0);
	expect_err("DETACH again", pctl(NETMAP_REQ_VALE_DETACH, bp, &dt),
	    EINVAL);
	port_close(&e);
	expect_err("DELIF", pctl(NETMAP_REQ_VALE_DELIF, argv[2], NULL), 0);
	expect_err("DELIF again", pctl(NETMAP_REQ_VALE_DELIF, argv[2], NULL),
	    ENXIO);
	if (failures)
		errx(1, "persist: %d checks failed", failures);
	printf("persist: NEWIF, ATTACH, traffic, DETACH, DELIF ok\n");
	return 0;
}

/*
 * indirect: NS_INDIRECT on VALE TX. Frames whose slot points (ptr) at
 * the sender's own memory arrive intact and in order with the others;
 * a bad one is dropped and nothing else is: a bad pointer (address 8,
 * an unmapped page), a length over the buffer size, a buffer index that
 * is no buffer's (the slot's own is put back after the sync). The sync
 * leaves the sender's slots as it wrote them. With -r the host refuses
 * NS_INDIRECT: every such frame is dropped, the others still arrive.
 */
static int
cmd_indirect(int argc, char **argv)
{
	static uint8_t frames[200][1600];
	struct port a, b;
	struct netmap_ring *tx, *rx;
	char na[64], nb[64];
	uint8_t f[2048];
	uint32_t seq, got = 0, want = 0, len, saved[50];
	uint64_t ptrs[50];
	int refused = 0, ch, round;
	long pg = sysconf(_SC_PAGESIZE);
	char *hole;

	while ((ch = getopt(argc, argv, "r")) != -1) {
		switch (ch) {
		case 'r': refused = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	hole = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (hole == MAP_FAILED)
		err(1, "indirect: mmap");
	snprintf(na, sizeof(na), "%s:ia", argv[optind]);
	snprintf(nb, sizeof(nb), "%s:ib", argv[optind]);
	port_open(&a, na);
	port_open(&b, nb);
	tx = NETMAP_TXRING(a.nifp, 0);
	rx = NETMAP_RXRING(b.nifp, 0);
	for (round = 0, seq = 0; round < 4; round++) {
		uint32_t first = seq;

		/* 50 frames: odd ones indirect, every 7th of them bad */
		for (; seq < first + 50; seq++) {
			struct netmap_slot *s = &tx->slot[tx->head];
			int ind = seq % 2, bad = ind && seq % 7 == 0;
			int kind = (int)(seq / 14 % 4);	/* of a bad one */

			len = 60 + seq * 53 % 1500;
			frame_build(frames[seq], len, seq, 255, 1);
			saved[seq - first] = s->buf_idx;
			s->len = (uint16_t)len;
			s->flags = ind ? NS_INDIRECT : 0;
			s->ptr = (uintptr_t)frames[seq];
			if (bad && kind == 0)
				s->ptr = 8;
			else if (bad && kind == 1)
				s->ptr = (uintptr_t)hole;
			else if (bad && kind == 2)
				s->len = (uint16_t)(tx->nr_buf_size + 1);
			else if (bad)
				s->buf_idx = 1;	/* reserved: no buffer */
			ptrs[seq - first] = s->ptr;
			if (!ind)
				memcpy(NETMAP_BUF(tx, s->buf_idx), frames[seq],
				    len);
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
			want += !bad && !(ind && refused);
		}
		sync_or_die(&a, NIOCTXSYNC);
		for (seq = first; seq < first + 50; seq++) {
			struct netmap_slot *s = &tx->slot[(tx->head +
			    tx->num_slots - 50 + seq - first) % tx->num_slots];

			if (s->flags != (seq % 2 ? NS_INDIRECT : 0) ||
			    s->ptr != ptrs[seq - first])
				errx(1, "indirect: slot of frame %u changed",
				    seq);
			s->buf_idx = saved[seq - first];
		}
		sync_or_die(&b, NIOCRXSYNC);
		for (seq = first; seq < first + 50; seq++) {
			int ind = seq % 2, bad = ind && seq % 7 == 0, ns, l;
			uint32_t s2;
			const char *why;

			if (bad || (ind && refused))
				continue;
			l = ring_get(rx, f, &ns);
			if (l <= 0)
				errx(1, "indirect: frame %u missing", seq);
			why = frame_check(f, (uint32_t)l, &s2, NULL);
			if (why != NULL || s2 != seq)
				errx(1, "indirect: frame %u: %s (seq %u)", seq,
				    why ? why : "not the expected one", s2);
			got++;
		}
		if (!nm_ring_empty(rx))
			errx(1, "indirect: more frames than sent");
		sync_or_die(&b, NIOCRXSYNC);
	}
	if (got != want)
		errx(1, "indirect: %u frames, expected %u", got, want);
	port_close(&a);
	port_close(&b);
	munmap(hole, (size_t)pg);
	printf("indirect: %u of 200 frames arrived, as expected%s\n", got,
	    refused ? " (NS_INDIRECT refused by this host)" : "");
	return 0;
}

static int
cmd_hostile(int argc, char **argv)
{
	if (argc != 2)
		usage();
	hostile_requests(argv[1]);
	hostile_rings(argv[1]);
	hostile_legacy(argv[1]);
	/* Still serving: a clean port works after all that. */
	{
		struct port p;
		char name[64];

		snprintf(name, sizeof(name), "%s:after", argv[1]);
		port_open(&p, name);
		sync_or_die(&p, NIOCTXSYNC);
		port_close(&p);
	}
	if (failures)
		errx(1, "hostile: %d checks failed", failures);
	printf("hostile: malformed requests, rings, slots and mappings "
	    "handled\n");
	return 0;
}

/* ---- cycles: open, register, map, touch, close ---- */

/* ---- NIC ports: what REGISTER refuses, how many rings ---- */

static int
nic_register(const char *name, uint32_t mode, uint32_t ringid, void *opt,
    struct nmreq_register *reg)
{
	struct nmreq_header h;
	int fd = open("/dev/netmap", O_RDWR), e;

	if (fd < 0)
		err(1, "%s: open /dev/netmap", cmd);
	memset(reg, 0, sizeof(*reg));
	reg->nr_mode = mode;
	reg->nr_ringid = ringid;
	hdr_init(&h, NETMAP_REQ_REGISTER, name, reg);
	h.nr_options = (uintptr_t)opt;
	e = ctrl(fd, &h) == 0 ? 0 : errno;
	close(fd);
	return e;
}

static int
cmd_nicerr(int argc, char **argv)
{
	struct nmreq_opt_offsets oo;
	struct nmreq_register reg;
	const char *ifname;

	if (argc != 2)
		usage();
	ifname = argv[1];
	expect_err("an unknown interface",
	    nic_register("nm_nosuch0", NR_REG_ALL_NIC, 0, NULL, &reg), ENXIO);
	expect_err("a non-Ethernet interface (lo)",
	    nic_register("lo", NR_REG_ALL_NIC, 0, NULL, &reg), EOPNOTSUPP);
	memset(&oo, 0, sizeof(oo));
	oo.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	oo.nro_offset_bits = 8;
	oo.nro_max_offset = 64;
	expect_err("slot offsets on an interface",
	    nic_register(ifname, NR_REG_ALL_NIC, 0, &oo, &reg), EOPNOTSUPP);
	expect_err("slot offsets: the option's status",
	    (int)oo.nro_opt.nro_status, EOPNOTSUPP);
	expect_err("ring 9 of a 1-queue interface",
	    nic_register(ifname, NR_REG_ONE_NIC, 9, NULL, &reg), EINVAL);
	expect_err("an interface", nic_register(ifname, NR_REG_ALL_NIC, 0,
	    NULL, &reg), 0);
	if (reg.nr_mem_id != 1) {
		warnx("nicerr: mem_id %u, expected 1 (global)", reg.nr_mem_id);
		failures++;
	}
	if (failures)
		errx(1, "nicerr: %d failures", failures);
	printf("nicerr: %s: ok\n", ifname);
	return 0;
}

static int
cmd_nicrings(int argc, char **argv)
{
	struct nmreq_register reg;
	uint32_t tx, rx;

	if (argc != 4)
		usage();
	tx = (uint32_t)atoi(argv[2]);
	rx = (uint32_t)atoi(argv[3]);
	expect_err("an interface", nic_register(argv[1], NR_REG_ALL_NIC, 0,
	    NULL, &reg), 0);
	if (reg.nr_tx_rings != tx || reg.nr_rx_rings != rx)
		errx(1, "nicrings: %s: %u/%u rings, expected %u/%u", argv[1],
		    reg.nr_tx_rings, reg.nr_rx_rings, tx, rx);
	expect_err("the last ring alone", nic_register(argv[1],
	    NR_REG_ONE_NIC, tx - 1, NULL, &reg), 0);
	if (failures)
		errx(1, "nicrings: %d failures", failures);
	printf("nicrings: %s: %u TX, %u RX rings\n", argv[1], tx, rx);
	return 0;
}

/*
 * Host rings: SW and ONE_SW bind them, the counts asked for by the
 * REGISTER that makes the port are what it gets (none may be bound).
 */
static int
cmd_nichost(int argc, char **argv)
{
	struct nmreq_register reg;
	struct nmreq_header h;
	int fd, e;

	if (argc != 2)
		usage();
	expect_err("host rings", nic_register(argv[1], NR_REG_SW, 0, NULL,
	    &reg), 0);
	if (reg.nr_host_tx_rings != 1 || reg.nr_host_rx_rings != 1)
		errx(1, "nichost: %u/%u host rings, expected 1/1",
		    reg.nr_host_tx_rings, reg.nr_host_rx_rings);
	expect_err("NIC and host rings", nic_register(argv[1], NR_REG_NIC_SW,
	    0, NULL, &reg), 0);
	expect_err("host ring 0", nic_register(argv[1], NR_REG_ONE_SW, 0,
	    NULL, &reg), 0);
	expect_err("host ring 1 of 1", nic_register(argv[1], NR_REG_ONE_SW, 1,
	    NULL, &reg), EINVAL);
	/* two host rings each way, bound one by one while the port lives */
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "nichost: open");
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_SW;
	reg.nr_host_tx_rings = reg.nr_host_rx_rings = 2;
	hdr_init(&h, NETMAP_REQ_REGISTER, argv[1], &reg);
	e = ctrl(fd, &h) == 0 ? 0 : errno;
	expect_err("2 host rings", e, 0);
	if (e == 0 && (reg.nr_host_tx_rings != 2 || reg.nr_host_rx_rings != 2))
		errx(1, "nichost: %u/%u host rings, expected 2/2",
		    reg.nr_host_tx_rings, reg.nr_host_rx_rings);
	expect_err("host ring 1 of 2", nic_register(argv[1], NR_REG_ONE_SW, 1,
	    NULL, &reg), 0);
	close(fd);
	/* more than the adapter has room for: at most 8 (small rings) */
	memset(&reg, 0, sizeof(reg));
	reg.nr_mode = NR_REG_NIC_SW;
	reg.nr_tx_slots = reg.nr_rx_slots = 64;
	reg.nr_host_tx_rings = reg.nr_host_rx_rings = 100;
	fd = open("/dev/netmap", O_RDWR);
	if (fd < 0)
		err(1, "nichost: open");
	hdr_init(&h, NETMAP_REQ_REGISTER, argv[1], &reg);
	e = ctrl(fd, &h) == 0 ? 0 : errno;
	expect_err("100 host rings asked", e, 0);
	if (e == 0 && (reg.nr_host_tx_rings != 8 || reg.nr_host_rx_rings != 8))
		errx(1, "nichost: %u/%u host rings, expected 8/8",
		    reg.nr_host_tx_rings, reg.nr_host_rx_rings);
	close(fd);
	if (failures)
		errx(1, "nichost: %d failures", failures);
	printf("nichost: %s: ok\n", argv[1]);
	return 0;
}

/*
 * Transparent mode on IFNAME's NIC and host rings until SIGTERM:
 * NR_FORWARD on the RX rings, every frame released with NS_FORWARD, so
 * that the kernel passes the wire's frames up the stack and the stack's
 * out on the wire.
 */
static int
cmd_transparent(int argc, char **argv)
{
	char name[NETMAP_REQ_IFNAMSIZ + 1];
	struct netmap_if *nifp;
	struct port p;
	unsigned i;

	if (argc != 2)
		usage();
	snprintf(name, sizeof(name), "%s*", argv[1]);
	port_open(&p, name);
	nifp = p.nifp;
	/* the NIC RX rings and the first host RX ring */
	for (i = 0; i <= nifp->ni_rx_rings; i++)
		NETMAP_RXRING(nifp, i)->flags |= NR_FORWARD;
	signal(SIGTERM, on_signal);
	printf("transparent: %s: ready\n", argv[1]);
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { .fd = p.fd, .events = POLLIN };

		if (poll(&pfd, 1, 500) < 0 && errno != EINTR)
			err(1, "transparent: poll");
		for (i = 0; i <= nifp->ni_rx_rings; i++) {
			struct netmap_ring *rx = NETMAP_RXRING(nifp, i);

			for (; rx->head != rx->tail;
			    rx->head = nm_ring_next(rx, rx->head))
				rx->slot[rx->head].flags |= NS_FORWARD;
			rx->cur = rx->head;
		}
		if (ioctl(p.fd, NIOCRXSYNC, NULL) != 0)
			err(1, "transparent: NIOCRXSYNC");
	}
	port_close(&p);
	return 0;
}

static int
cmd_cycles(int argc, char **argv)
{
	char name[64];
	struct port p;
	long n, i;

	if (argc != 3)
		usage();
	n = atol(argv[1]);
	for (i = 0; i < n; i++) {
		/*
		 * Mostly small ports: a default VALE port's private region
		 * is some 40 MB, and zeroing that 1000 times is slow under
		 * TCG without testing anything more.
		 */
		reg_slots = i % 10 == 9 ? 0 : 64;
		switch (i % 4) {
		case 0:
		case 1:
			snprintf(name, sizeof(name), "%s:c%ld", argv[2], i % 3);
			break;
		case 2:
			snprintf(name, sizeof(name), "%s:cp{%ld", argv[2],
			    i % 5);
			break;
		default:
			snprintf(name, sizeof(name), "%s:cp}%ld", argv[2],
			    i % 5);
			break;
		}
		port_open(&p, name);
		NETMAP_TXRING(p.nifp, 0)->flags = 0;	/* touch the pages */
		sync_or_die(&p, NIOCTXSYNC);
		port_close(&p);
	}
	printf("cycles: %ld open/register/mmap/close cycles\n", n);
	return 0;
}

/* The first port index of BRIDGE:NAME in VALE_LIST, or -1 if none. */
static int
list_port(const char *name)
{
	struct nmreq_vale_list vl;

	memset(&vl, 0, sizeof(vl));
	if (pctl(NETMAP_REQ_VALE_LIST, name, &vl) != 0 ||
	    vl.nr_port_idx == 255)
		return -1;
	return vl.nr_port_idx;
}

static int
polling(uint16_t type, const char *name, uint32_t mode, uint32_t first,
    uint32_t n)
{
	struct nmreq_vale_polling pl;

	memset(&pl, 0, sizeof(pl));
	pl.nr_mode = mode;
	pl.nr_first_cpu_id = first;
	pl.nr_num_polling_cpus = n;
	return pctl(type, name, &pl);
}

/*
 * valenic BRIDGE IFNAME: an interface on a switch, every request with
 * its errno (upstream's): REGISTER of BRIDGE:IFNAME (EINVAL, EBUSY once
 * attached), netmap:IFNAME while attached (EBUSY), ATTACH (bad modes,
 * twice, on two switches, of an interface a descriptor has), DETACH,
 * the host port (NIC_SW, listed as BRIDGE:IFNAME^), polling (bad
 * configurations, twice, detach while polling). Leaves nothing attached.
 */
static int
cmd_valenic(int argc, char **argv)
{
	const uint16_t on = NETMAP_REQ_VALE_POLLING_ENABLE;
	const uint16_t off = NETMAP_REQ_VALE_POLLING_DISABLE;
	const uint32_t single = NETMAP_POLLING_MODE_SINGLE_CPU;
	const uint32_t multi = NETMAP_POLLING_MODE_MULTI_CPU;
	struct nmreq_vale_attach at;
	struct nmreq_vale_detach dt;
	struct nmreq_register reg;
	char bp[64], other[64], host[72];
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct port p;

	if (argc != 3)
		usage();
	snprintf(bp, sizeof(bp), "%s:%s", argv[1], argv[2]);
	snprintf(other, sizeof(other), "%sx:%s", argv[1], argv[2]);
	snprintf(host, sizeof(host), "%s^", bp);
	expect_err("REGISTER before ATTACH",
	    nic_register(bp, NR_REG_ALL_NIC, 0, NULL, &reg), EINVAL);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_ONE_NIC;
	expect_err("ATTACH ONE_NIC", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at),
	    EINVAL);
	at.reg.nr_mode = NR_REG_ALL_NIC;
	at.reg.nr_ringid = 1;
	expect_err("ATTACH ringid 1", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at),
	    EINVAL);
	at.reg.nr_ringid = 0;
	expect_err("ATTACH nosuch", pctl(NETMAP_REQ_VALE_ATTACH,
	    "vale0:nm_nosuch0", &at), ENXIO);
	expect_err("DETACH before ATTACH", pctl(NETMAP_REQ_VALE_DETACH, bp,
	    &dt), ENXIO);
	expect_err("polling before ATTACH", polling(on, bp, single, 0, 1),
	    ENXIO);
	/* a descriptor has it */
	port_open(&p, argv[2]);
	expect_err("ATTACH while bound", pctl(NETMAP_REQ_VALE_ATTACH, bp,
	    &at), EBUSY);
	port_close(&p);

	expect_err("ATTACH", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at), 0);
	expect_err("ATTACH's port index", list_port(bp) ==
	    (int)at.port_index ? 0 : EINVAL, 0);
	expect_err("no host port without NIC_SW", list_port(host) < 0 ? 0 :
	    EEXIST, 0);
	expect_err("ATTACH again", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at),
	    EBUSY);
	expect_err("ATTACH to a second switch",
	    pctl(NETMAP_REQ_VALE_ATTACH, other, &at), EBUSY);
	expect_err("REGISTER BRIDGE:IFNAME while attached",
	    nic_register(bp, NR_REG_ALL_NIC, 0, NULL, &reg), EBUSY);
	expect_err("REGISTER IFNAME while attached",
	    nic_register(argv[2], NR_REG_ALL_NIC, 0, NULL, &reg), EBUSY);
	expect_err("REGISTER IFNAME^ while attached",
	    nic_register(argv[2], NR_REG_SW, 0, NULL, &reg), EBUSY);
	{
		int fd = open("/dev/netmap", O_RDWR);

		if (fd < 0)
			err(1, "valenic: open");
		expect_err("a monitor of IFNAME while attached",
		    do_register(fd, argv[2], NR_REG_ALL_NIC, NR_MONITOR_RX,
		    0, &reg), EBUSY);
		close(fd);
	}
	expect_err("DETACH from a second switch",
	    pctl(NETMAP_REQ_VALE_DETACH, other, &dt), ENXIO);

	/* polling: upstream's configuration rules and errnos */
	expect_err("polling off before on", polling(off, bp, single, 0, 1),
	    EFAULT);
	expect_err("polling 0 CPUs", polling(on, bp, single, 0, 0), EINVAL);
	expect_err("polling all CPUs", polling(on, bp, single, 0,
	    (uint32_t)ncpus), EINVAL);
	expect_err("polling single, 2 CPUs", polling(on, bp, single, 0, 2),
	    EINVAL);
	expect_err("polling mode 3", polling(on, bp, 3, 0, 1), EINVAL);
	expect_err("polling multi, rings past the last", polling(on, bp,
	    multi, 1, 1), EINVAL);
	expect_err("polling multi, first ring past the last", polling(on,
	    bp, multi, 2, 1), EINVAL);
	expect_err("polling a name without valeX:", polling(on, "nm_x",
	    single, 0, 1), EINVAL);
	if (ncpus >= 2) {
		expect_err("polling on", polling(on, bp, single, 0, 1), 0);
		expect_err("polling on again", polling(on, bp, single, 0, 1),
		    EFAULT);
		expect_err("DETACH while polling",
		    pctl(NETMAP_REQ_VALE_DETACH, bp, &dt), EBUSY);
		expect_err("polling off", polling(off, bp, single, 0, 1), 0);
		expect_err("polling multi, ring 0", polling(on, bp, multi,
		    0, 1), 0);
		expect_err("polling off (multi)", polling(off, bp, multi, 0,
		    1), 0);
	}
	memset(&dt, 0, sizeof(dt));
	expect_err("DETACH", pctl(NETMAP_REQ_VALE_DETACH, bp, &dt), 0);
	expect_err("DETACH's port index", dt.port_index == at.port_index ?
	    0 : EINVAL, 0);
	expect_err("DETACH again", pctl(NETMAP_REQ_VALE_DETACH, bp, &dt),
	    ENXIO);
	expect_err("REGISTER after DETACH",
	    nic_register(argv[2], NR_REG_ALL_NIC, 0, NULL, &reg), 0);

	/* with the host stack: a second port */
	at.reg.nr_mode = NR_REG_NIC_SW;
	expect_err("ATTACH NIC_SW", pctl(NETMAP_REQ_VALE_ATTACH, bp, &at), 0);
	expect_err("the host port listed", list_port(host) >= 0 &&
	    list_port(host) != list_port(bp) ? 0 : ENXIO, 0);
	expect_err("DETACH of the host port", pctl(NETMAP_REQ_VALE_DETACH,
	    host, &dt), EINVAL);
	expect_err("DETACH NIC_SW", pctl(NETMAP_REQ_VALE_DETACH, bp, &dt), 0);
	expect_err("the host port gone", list_port(host) < 0 ? 0 : EBUSY, 0);
	if (failures)
		errx(1, "valenic: %d failures", failures);
	printf("valenic: %s: ok\n", bp);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	cmd = argv[1];
	prog = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(cmd, "recv") == 0)
		return cmd_recv(argc - 1, argv + 1);
	if (strcmp(cmd, "afsend") == 0)
		return cmd_afsend(argc - 1, argv + 1);
	if (strcmp(cmd, "afrecv") == 0)
		return cmd_afrecv(argc - 1, argv + 1);
	if (strcmp(cmd, "nicerr") == 0)
		return cmd_nicerr(argc - 1, argv + 1);
	if (strcmp(cmd, "nicrings") == 0)
		return cmd_nicrings(argc - 1, argv + 1);
	if (strcmp(cmd, "nichost") == 0)
		return cmd_nichost(argc - 1, argv + 1);
	if (strcmp(cmd, "transparent") == 0)
		return cmd_transparent(argc - 1, argv + 1);
	if (strcmp(cmd, "learn") == 0)
		return cmd_learn(argc - 1, argv + 1);
	if (strcmp(cmd, "scm") == 0)
		return cmd_scm(argc - 1, argv + 1);
	if (strcmp(cmd, "hostile") == 0)
		return cmd_hostile(argc - 1, argv + 1);
	if (strcmp(cmd, "conform") == 0)
		return cmd_conform(argc - 1, argv + 1);
	if (strcmp(cmd, "monitor") == 0)
		return cmd_monitor(argc - 1, argv + 1);
	if (strcmp(cmd, "indirect") == 0)
		return cmd_indirect(argc - 1, argv + 1);
	if (strcmp(cmd, "persist") == 0)
		return cmd_persist(argc - 1, argv + 1);
	if (strcmp(cmd, "cycles") == 0)
		return cmd_cycles(argc - 1, argv + 1);
	if (strcmp(cmd, "valenic") == 0)
		return cmd_valenic(argc - 1, argv + 1);
	usage();
	return 2;
}
