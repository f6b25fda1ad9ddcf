// SPDX-License-Identifier: BSD-2-Clause
/*
 * A stand-in netmap port for testing pkt-gen's data paths without any
 * netmap backend.  Linked into a test build of pkt-gen in place of
 * libnetmap, with poll(2) and ioctl(2) wrapped (ld --wrap), it plays the
 * kernel's side of the ring protocol on a private in-memory region:
 *
 *  - txsync consumes the slots in [hwcur, head), reassembles NS_MOREFRAG
 *    chains and checks every frame (IPv4/UDP checksums, lengths, and
 *    sequence continuity when FAKE_CHECK_SEQ is set), and checks that
 *    the last slot of each push carries NS_REPORT;
 *  - rxsync fills free RX slots with FAKE_RX_COUNT sequence-numbered
 *    frames per ring, optionally with a hole (FAKE_RX_SKIP: five numbers
 *    missing from there) and a swap (FAKE_RX_SWAP: two numbers
 *    exchanged), each split in FAKE_RX_FRAGS slots, on the first
 *    FAKE_RX_RINGS rings (all);
 *  - FAKE_ECHO loops transmitted frames back, addresses swapped, as a
 *    pong would; FAKE_TX_HOLD never completes transmissions.
 *
 * Geometry: FAKE_RINGS ring pairs (1) of FAKE_SLOTS slots (256).  At
 * exit one line "fake: ..." with the totals goes to stderr, for
 * apps/pkt-gen/test_fake.sh to check.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetmap.h>

#include "pktbuild.h"

#define BUFSZ		2048
#define MAX_FDS		1024

int nmctx_threadsafe;		/* what libnetmap.h links against */

int	__real_poll(struct pollfd *, nfds_t, int);
int	__real_ioctl(int, unsigned long, ...);
int	__wrap_poll(struct pollfd *, nfds_t, int);
int	__wrap_ioctl(int, unsigned long, ...);

/* Per RX ring: the sequence numbers still to deliver. */
struct rx_gen {
	uint32_t	*seqs;
	size_t		 n, next;
	struct pkt_tmpl	 pkt;
};

struct fake_port {
	struct nmport_d	*d;
	char		*region;
	int		 nrings, nslots;
	uint32_t	 tx_hwcur[64];
	struct rx_gen	 gen[64];
	uint8_t		 frame[PKT_MAX_LEN + BUFSZ];
	size_t		 flen;
	int		 have_seq;
	uint32_t	 seq_exp;
};

static struct {
	pthread_mutex_t	lock;
	uint64_t	tx_pkts, tx_bytes, bad, seq_err, no_report, rx_pkts;
	uint64_t	echoed;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct fake_port *ports[MAX_FDS];

static long
env(const char *name, long dflt)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? strtol(v, NULL, 0) : dflt);
}

static void __attribute__((destructor))
fake_report(void)
{
	fprintf(stderr, "fake: tx_pkts %llu tx_bytes %llu bad %llu "
	    "seq_err %llu no_report %llu rx_pkts %llu echoed %llu\n",
	    (unsigned long long)st.tx_pkts, (unsigned long long)st.tx_bytes,
	    (unsigned long long)st.bad, (unsigned long long)st.seq_err,
	    (unsigned long long)st.no_report, (unsigned long long)st.rx_pkts,
	    (unsigned long long)st.echoed);
}

static struct fake_port *
fake_of(int fd)
{
	return (fd >= 0 && fd < MAX_FDS ? ports[fd] : NULL);
}

struct nmport_d *
nmport_prepare(const char *spec)
{
	struct nmport_d *d;
	const char *dash;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return (NULL);
	if (strncmp(spec, "netmap:", 7) == 0)
		spec += 7;
	snprintf(d->hdr.nr_name, sizeof(d->hdr.nr_name), "%s", spec);
	d->hdr.nr_version = NETMAP_API;
	d->hdr.nr_reqtype = NETMAP_REQ_REGISTER;
	d->reg.nr_mode = NR_REG_ALL_NIC;
	dash = strchr(spec, '-');
	if (dash != NULL) {
		d->hdr.nr_name[dash - spec] = '\0';
		d->reg.nr_mode = NR_REG_ONE_NIC;
		d->reg.nr_ringid = (uint16_t)atoi(dash + 1);
	}
	d->fd = -1;
	return (d);
}

void
nmport_undo_prepare(struct nmport_d *d)
{
	free(d);
}

struct nmport_d *
nmport_clone(struct nmport_d *d)
{
	struct nmport_d *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return (NULL);
	c->hdr = d->hdr;
	c->reg = d->reg;
	c->fd = -1;
	return (c);
}

static void
gen_init(struct fake_port *p, struct rx_gen *g)
{
	struct pkt_params pp;
	long n = env("FAKE_RX_COUNT", 0), skip = env("FAKE_RX_SKIP", -1);
	long swap = env("FAKE_RX_SWAP", -1), i, s = 0;
	uint32_t tmp;

	memset(g, 0, sizeof(*g));
	memset(&pp, 0, sizeof(pp));
	pp.af = AF_INET;
	pp.len = pp.maxlen = (size_t)env("FAKE_RX_LEN", 60);
	pp.vh = (size_t)env("FAKE_VH", 0);
	pkt_parse_range("10.0.0.1", AF_INET, &pp.src);
	pkt_parse_range("10.1.0.1", AF_INET, &pp.dst);
	if (pkt_init(&g->pkt, &pp) != 0)
		abort();
	g->seqs = calloc((size_t)n + 1, sizeof(*g->seqs));
	for (i = 0; i < n; i++, s++) {
		if (s == skip)
			s += 5;
		g->seqs[i] = (uint32_t)s;
	}
	if (swap >= 0 && swap + 1 < n) {
		tmp = g->seqs[swap];
		g->seqs[swap] = g->seqs[swap + 1];
		g->seqs[swap + 1] = tmp;
	}
	g->n = (size_t)n;
	(void)p;
}

int
nmport_open_desc(struct nmport_d *d)
{
	struct fake_port *p;
	struct netmap_if *nifp;
	struct netmap_ring *ring;
	size_t ifsize, ringsize, off, nbufs;
	ssize_t *ofs;
	uint32_t buf = 2, j;
	int i, k, fd, bound;

	if (strstr(d->hdr.nr_name, "nonexistent") != NULL) {
		errno = ENXIO;
		return (-1);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || fd >= MAX_FDS)
		return (-1);
	p = calloc(1, sizeof(*p));
	p->d = d;
	p->nrings = (int)env("FAKE_RINGS", 1);
	p->nslots = (int)env("FAKE_SLOTS", 256);
	ifsize = 4096;
	ringsize = (sizeof(struct netmap_ring) + p->nslots *
	    sizeof(struct netmap_slot) + 4095) & ~(size_t)4095;
	nbufs = (size_t)2 * p->nrings * p->nslots + 2;
	if (posix_memalign((void **)&p->region, 4096, ifsize + 2 *
	    p->nrings * ringsize + nbufs * BUFSZ) != 0)
		abort();
	memset(p->region, 0, ifsize + 2 * p->nrings * ringsize);
	nifp = (struct netmap_if *)p->region;
	memcpy(nifp->ni_name, d->hdr.nr_name, sizeof(nifp->ni_name) - 1);
	*(uint32_t *)&nifp->ni_tx_rings = (uint32_t)p->nrings;
	*(uint32_t *)&nifp->ni_rx_rings = (uint32_t)p->nrings;
	*(uint32_t *)&nifp->ni_host_tx_rings = 1;
	*(uint32_t *)&nifp->ni_host_rx_rings = 1;
	ofs = (ssize_t *)(uintptr_t)nifp->ring_ofs;
	off = ifsize;
	d->first_tx_ring = d->first_rx_ring = 0xffff;
	for (k = 0; k < 2; k++) {		/* TX, then RX */
		for (i = 0; i < p->nrings; i++, off += ringsize) {
			ring = (struct netmap_ring *)(p->region + off);
			*(int64_t *)&ring->buf_ofs = (int64_t)(ifsize + 2 *
			    p->nrings * ringsize) - (int64_t)off;
			*(uint32_t *)&ring->num_slots = (uint32_t)p->nslots;
			*(uint32_t *)&ring->nr_buf_size = BUFSZ;
			*(uint16_t *)&ring->ringid = (uint16_t)i;
			*(uint16_t *)&ring->dir = (uint16_t)k;
			for (j = 0; j < (uint32_t)p->nslots; j++) {
				ring->slot[j].buf_idx = buf++;
				ring->slot[j].len = BUFSZ;
			}
			ring->tail = k == 0 ? (uint32_t)p->nslots - 1 : 0;
			bound = d->reg.nr_mode != NR_REG_ONE_NIC ||
			    d->reg.nr_ringid == i;
			if (!bound)
				continue;
			ofs[i + k * (p->nrings + 1)] = (ssize_t)off;
			if (k == 0) {
				if (d->first_tx_ring == 0xffff)
					d->first_tx_ring = (uint16_t)i;
				d->last_tx_ring = (uint16_t)i;
			} else {
				if (d->first_rx_ring == 0xffff)
					d->first_rx_ring = (uint16_t)i;
				d->last_rx_ring = (uint16_t)i;
				if (i < env("FAKE_RX_RINGS", p->nrings))
					gen_init(p, &p->gen[i]);
			}
		}
	}
	d->nifp = nifp;
	d->fd = fd;
	d->reg.nr_tx_rings = d->reg.nr_rx_rings = (uint16_t)p->nrings;
	d->reg.nr_tx_slots = d->reg.nr_rx_slots = (uint32_t)p->nslots;
	d->reg.nr_mem_id = 1;
	d->register_done = d->mmap_done = 1;
	ports[fd] = p;
	return (0);
}

/* netmapd's note on the port, as FAKE_NOTE says (none: the module). */
size_t
nmreq_note(int fd, char *buf, size_t size)
{
	const char *note = getenv("FAKE_NOTE");

	if (size == 0)
		return (0);
	snprintf(buf, size, "%s", fake_of(fd) != NULL && note != NULL ?
	    note : "");
	return (strlen(buf));
}

void
nmport_close(struct nmport_d *d)
{
	struct fake_port *p;
	int i;

	if (d == NULL)
		return;
	p = fake_of(d->fd);
	if (p != NULL) {
		for (i = 0; i < p->nrings; i++) {
			free(p->gen[i].seqs);
			if (p->gen[i].pkt.buf != NULL)
				pkt_fini(&p->gen[i].pkt);
		}
		ports[d->fd] = NULL;
		close(d->fd);
		free(p->region);
		free(p);
	}
	free(d);
}

static struct netmap_ring *
ring_of(struct fake_port *p, int i, int rx)
{
	return ((struct netmap_ring *)(p->region + 4096 +
	    (size_t)(i + rx * p->nrings) * ((sizeof(struct netmap_ring) +
	    p->nslots * sizeof(struct netmap_slot) + 4095) &
	    ~(size_t)4095)));
}

static uint32_t
next(const struct fake_port *p, uint32_t i)
{
	return (i + 1 == (uint32_t)p->nslots ? 0 : i + 1);
}

/* A frame came out of TX ring i: check it, maybe loop it back. */
static void
tx_frame(struct fake_port *p, int i)
{
	size_t vh = (size_t)env("FAKE_VH", 0);
	struct netmap_ring *rx;
	uint32_t seq;
	uint8_t *f = p->frame + vh;
	size_t len = p->flen - vh;
	int bad = 0, seq_err = 0;

	if (p->flen < vh || pkt_verify(f, len) != 0)
		bad = 1;
	if (env("FAKE_CHECK_SEQ", 0) && pkt_get_seq(f, len, &seq) == 0) {
		if (p->have_seq && seq != p->seq_exp)
			seq_err = 1;
		p->have_seq = 1;
		p->seq_exp = seq + 1;
	}
	pthread_mutex_lock(&st.lock);
	st.tx_pkts++;
	st.tx_bytes += p->flen;
	st.bad += bad;
	st.seq_err += seq_err;
	pthread_mutex_unlock(&st.lock);

	if (!env("FAKE_ECHO", 0) || p->flen > BUFSZ)
		return;
	rx = ring_of(p, i, 1);
	if (next(p, rx->tail) == rx->head)
		return;		/* RX full: dropped, as a NIC would */
	memcpy(NETMAP_BUF(rx, rx->slot[rx->tail].buf_idx), p->frame,
	    p->flen);
	pkt_swap_addrs((uint8_t *)NETMAP_BUF(rx, rx->slot[rx->tail].buf_idx)
	    + vh, len, NULL);
	rx->slot[rx->tail].len = (uint16_t)p->flen;
	rx->slot[rx->tail].flags = 0;
	rx->tail = next(p, rx->tail);
	pthread_mutex_lock(&st.lock);
	st.echoed++;
	pthread_mutex_unlock(&st.lock);
}

static void
txsync(struct fake_port *p)
{
	struct netmap_ring *ring;
	struct netmap_slot *s;
	uint32_t j, last;
	int i;

	for (i = p->d->first_tx_ring; i <= p->d->last_tx_ring; i++) {
		ring = ring_of(p, i, 0);
		j = p->tx_hwcur[i];
		if (j == ring->head)
			continue;
		last = ring->head == 0 ? (uint32_t)p->nslots - 1 :
		    ring->head - 1;
		if (!(ring->slot[last].flags & NS_REPORT)) {
			pthread_mutex_lock(&st.lock);
			st.no_report++;
			pthread_mutex_unlock(&st.lock);
		}
		for (; j != ring->head; j = next(p, j)) {
			s = &ring->slot[j];
			if (p->flen + s->len <= sizeof(p->frame)) {
				memcpy(p->frame + p->flen, NETMAP_BUF(ring,
				    s->buf_idx), s->len);
				p->flen += s->len;
			}
			if (s->flags & NS_MOREFRAG)
				continue;
			tx_frame(p, i);
			p->flen = 0;
		}
		p->tx_hwcur[i] = ring->head;
		if (env("FAKE_TX_HOLD", 0))
			continue;	/* never complete: tail stays */
		ring->tail = ring->head == 0 ? (uint32_t)p->nslots - 1 :
		    ring->head - 1;
	}
}

static void
rxsync(struct fake_port *p)
{
	struct netmap_ring *ring;
	struct rx_gen *g;
	uint32_t t, k, room;
	size_t left, n, fs;
	int i, nfrags = (int)env("FAKE_RX_FRAGS", 1);
	const uint8_t *src;

	for (i = p->d->first_rx_ring; i <= p->d->last_rx_ring; i++) {
		ring = ring_of(p, i, 1);
		g = &p->gen[i];
		for (;;) {
			t = ring->tail;
			room = (ring->head + p->nslots - t - 1) % p->nslots;
			if (g->next >= g->n || room < (uint32_t)nfrags)
				break;
			pkt_set_seq(&g->pkt, g->seqs[g->next++]);
			src = g->pkt.buf;
			left = g->pkt.vh + g->pkt.len;
			fs = (left + nfrags - 1) / nfrags;
			for (k = 0; left > 0; k++) {
				n = left < fs ? left : fs;
				memcpy(NETMAP_BUF(ring, ring->slot[t].buf_idx),
				    src, n);
				ring->slot[t].len = (uint16_t)n;
				src += n;
				left -= n;
				ring->slot[t].flags = left ? NS_MOREFRAG : 0;
				t = next(p, t);
			}
			ring->tail = t;
			pthread_mutex_lock(&st.lock);
			st.rx_pkts++;
			pthread_mutex_unlock(&st.lock);
		}
	}
}

static int
ready(struct fake_port *p, short events)
{
	struct netmap_ring *ring;
	short rev = 0;
	int i;

	for (i = p->d->first_tx_ring; i <= p->d->last_tx_ring; i++) {
		ring = ring_of(p, i, 0);
		if ((events & POLLOUT) && ring->cur != ring->tail)
			rev |= POLLOUT;
	}
	for (i = p->d->first_rx_ring; i <= p->d->last_rx_ring; i++) {
		ring = ring_of(p, i, 1);
		if ((events & POLLIN) && ring->cur != ring->tail)
			rev |= POLLIN;
	}
	return (rev);
}

int
__wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct fake_port *p;
	struct timespec t0, now;
	short rev;

	if (n != 1 || (p = fake_of(fds[0].fd)) == NULL)
		return (__real_poll(fds, n, timeout));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (!(p->d->reg.nr_flags & NR_NO_TX_POLL) ||
		    (fds[0].events & POLLOUT))
			txsync(p);
		if (fds[0].events & POLLIN)
			rxsync(p);
		rev = (short)ready(p, fds[0].events);
		fds[0].revents = rev;
		if (rev != 0)
			return (1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout >= 0 && (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 >= timeout)
			return (0);
		usleep(200);
	}
}

int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	struct fake_port *p = fake_of(fd);
	struct nmreq_header *hdr;
	struct nmreq_port_hdr *ph;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (p == NULL)
		return (__real_ioctl(fd, req, arg));
	switch (req) {
	case NIOCTXSYNC:
		txsync(p);
		return (0);
	case NIOCRXSYNC:
		rxsync(p);
		return (0);
	case NIOCCTRL:
		hdr = arg;
		ph = (struct nmreq_port_hdr *)(uintptr_t)hdr->nr_body;
		if (hdr->nr_reqtype == NETMAP_REQ_PORT_HDR_GET)
			ph->nr_hdr_len = (uint32_t)env("FAKE_VH", 0);
		else if (hdr->nr_reqtype != NETMAP_REQ_PORT_HDR_SET) {
			errno = EINVAL;
			return (-1);
		}
		return (0);
	}
	errno = ENOTTY;
	return (-1);
}
