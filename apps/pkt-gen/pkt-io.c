// SPDX-License-Identifier: BSD-2-Clause
/*
 * pkt-gen data paths: one function per -f mode, each run by a worker
 * thread on its own netmap descriptor (see pkt-gen.h for the threads).
 *
 * The rule for every loop here is one system call per batch, never one
 * per packet: senders fill as many slots as the ring and -b allow, then
 * poll(POLLOUT), which pushes them with an implicit txsync and waits for
 * room; receivers poll(POLLIN), which runs rxsync, and then consume
 * every slot that arrived.  The last slot of each transmitted batch
 * carries NS_REPORT so that drivers signal its completion.
 */

#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetmap.h>

#include "pkt-gen.h"

#ifndef NETMAP_MAX_FRAGS
#define NETMAP_MAX_FRAGS	64
#endif

#define POLL_MS		100	/* short, so that a stop is seen quickly */
#define DRAIN_MS	2000	/* give up draining after this long idle */
#define PING_WAIT_MS	1000	/* how long ping waits for replies */

/* At most `lps' messages per second from one call site. */
struct ratelog {
	time_t	sec;
	int	count;
};

/* Token bucket for -R: `budget' packets may go before the next tick. */
struct rate {
	struct timespec	next;
	int		budget;
};

/* How a frame of `size' bytes is cut into slots. */
struct frag_plan {
	size_t	size;		/* bytes, virtio-net header included */
	size_t	fsize;		/* all fragments but the last */
	u_int	nfrags;
};

/*
 * Receive state kept across batches for each ring.  rxseq copies the
 * first bytes of each packet aside, because with -F the sequence number
 * may lie beyond the first slot.
 */
struct rx_state {
	uint32_t	seq_exp;
	int		have_seq;
	u_int		nfrag;		/* slots of the packet being read */
	u_int		frags_exp;	/* slots of the previous packet */
	size_t		hlen;		/* bytes in head[] */
	uint8_t		head[128];	/* vnet header, headers, sequence */
};

static inline int
stopped(void)
{
	return (atomic_load_explicit(&pg_stop, memory_order_relaxed));
}

static int
ratelog_ok(struct ratelog *r, int lps)
{
	time_t now = time(NULL);

	if (now != r->sec) {
		r->sec = now;
		r->count = 0;
	}
	return (r->count++ < lps);
}

static struct timespec
ts_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts);
}

static int64_t
ts_diff_ns(struct timespec a, struct timespec b)
{
	return ((int64_t)(a.tv_sec - b.tv_sec) * 1000000000 +
	    (a.tv_nsec - b.tv_nsec));
}

static struct timespec
ts_add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000;
	}
	return (a);
}

static void
publish(struct pg_thread *t, uint64_t pkts, uint64_t bytes, uint64_t events)
{
	atomic_store_explicit(&t->ctr.pkts, pkts, memory_order_relaxed);
	atomic_store_explicit(&t->ctr.bytes, bytes, memory_order_relaxed);
	atomic_store_explicit(&t->ctr.events, events, memory_order_relaxed);
}

static void
note_space(struct pg_thread *t, uint32_t space)
{
	if (space < atomic_load_explicit(&t->ctr.min_space,
	    memory_order_relaxed))
		atomic_store_explicit(&t->ctr.min_space, space,
		    memory_order_relaxed);
}

static void
thread_setup(struct pg_thread *t)
{
	cpu_set_t set;
	int error;

	if (t->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	error = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (error != 0)
		pg_log("thread %d: unable to set affinity to cpu %d: %s",
		    t->id, t->cpu, strerror(error));
}

static void
rate_init(struct rate *r)
{
	r->next = ts_now();
	r->budget = 0;
}

/* Sleep until the next burst may go; no-op while budget remains. */
static void
rate_wait(struct rate *r, const struct pg_glob *g)
{
	struct timespec now;

	if (g->tx_rate == 0 || r->budget > 0)
		return;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &r->next,
	    NULL) == EINTR && !stopped())
		;
	r->next = ts_add(r->next, g->tx_period);
	/* After a long stall, do not try to catch up in one go. */
	now = ts_now();
	if (ts_diff_ns(now, r->next) > 1000000000)
		r->next = now;
	r->budget = g->burst;
}

static u_int
batch_limit(const struct pg_thread *t, const struct rate *r, uint64_t done)
{
	uint64_t limit = t->g->tx_rate ? (uint64_t)r->budget : (uint64_t)
	    t->g->burst;

	if (t->quota > 0 && t->quota - done < limit)
		limit = t->quota - done;
	return ((u_int)limit);
}

static void
plan_frags(const struct pg_glob *g, size_t size, size_t bufsz,
    struct frag_plan *fp)
{
	size_t maxf = g->frag_size < bufsz ? g->frag_size : bufsz;
	size_t fs = (size + g->frags - 1) / g->frags;

	if (fs > maxf)
		fs = maxf;
	if (fs == 0)
		fs = 1;
	fp->size = size;
	fp->fsize = fs;
	fp->nfrags = (u_int)((size + fs - 1) / fs);
}

/* Pick a random length for the next batch (-l given twice). */
static void
random_len(struct pg_thread *t, size_t bufsz, struct frag_plan *fp)
{
	const struct pg_glob *g = t->g;
	size_t span = g->len - g->minlen + 1;
	size_t len = g->minlen + pkt_random(&t->pkt.rng) % span;

	pkt_set_len(&t->pkt, len);
	plan_frags(g, t->pkt.vh + len, bufsz, fp);
}

static void
dump_slot(struct netmap_ring *ring, u_int i, const void *p, size_t len)
{
	struct netmap_slot *slot = &ring->slot[i];

	flockfile(stdout);
	printf("ring %u slot %5u [buf %6u flags 0x%04x len %5u]\n",
	    ring->ringid, i, slot->buf_idx, slot->flags, slot->len);
	pkt_dump(stdout, p, len);
	funlockfile(stdout);
}

/* Ask for a completion notice on the slot before `head'. */
static void
mark_report(struct netmap_ring *ring, u_int head)
{
	ring->slot[head == 0 ? ring->num_slots - 1 : head - 1].flags |=
	    NS_REPORT;
}

/*
 * Put up to `limit' packets in a TX ring, each split by `fp'.  Returns
 * the number of packets queued; the caller's next poll() sends them.
 */
static u_int
tx_fill(struct pg_thread *t, struct netmap_ring *ring, u_int limit,
    const struct frag_plan *fp, uint32_t *seq)
{
	const struct pg_glob *g = t->g;
	struct pkt_tmpl *pkt = &t->pkt;
	u_int space = nm_ring_space(ring);
	u_int head = ring->head, last = head, sent = 0;
	uint32_t *filled = t->filled != NULL && fp->nfrags == 1 ?
	    t->filled[ring->ringid] : NULL;
	struct netmap_slot *slot;
	const uint8_t *src;
	size_t left, n;
	char *p;

	note_space(t, space);
	while (sent < limit && space >= fp->nfrags) {
		if (g->func == PG_TXSEQ)
			pkt_set_seq(pkt, (*seq)++);
		src = pkt->buf;
		left = fp->size;
		for (;;) {
			slot = &ring->slot[head];
			p = NETMAP_BUF(ring, slot->buf_idx);
			n = left < fp->fsize ? left : fp->fsize;
			if (filled != NULL) {
				/*
				 * As upstream: a buffer keeps its frame, so
				 * only the bytes that vary are rewritten, and
				 * the whole frame when the slot's buffer is
				 * one we have not filled (first use, swap).
				 */
				if (filled[head] != slot->buf_idx) {
					nm_pkt_copy(src, p, (int)n);
					filled[head] = slot->buf_idx;
				} else if (t->hot_len > 0) {
					nm_pkt_copy(src, p, (int)(n <
					    t->hot_len ? n : t->hot_len));
				}
				slot->flags = 0;
			} else if (g->options & OPT_INDIRECT) {
				/* VALE copies straight from our memory. */
				n = left;
				slot->flags = NS_INDIRECT;
				slot->ptr = (uint64_t)(uintptr_t)src;
			} else {
				if (!(g->options & OPT_RUBBISH))
					nm_pkt_copy(src, p, (int)n);
				slot->flags = 0;
			}
			slot->len = (uint16_t)n;
			left -= n;
			if (left > 0)
				slot->flags |= NS_MOREFRAG;
			if (g->options & OPT_DUMP)
				dump_slot(ring, head, src, n);
			src += n;
			last = head;
			head = nm_ring_next(ring, head);
			space--;
			if (left == 0)
				break;
		}
		pkt_next_addr(pkt);
		sent++;
	}
	if (sent > 0) {
		ring->slot[last].flags |= NS_REPORT;
		ring->head = ring->cur = head;
	}
	/* Out of room: cur = tail makes poll() wait for more. */
	if (sent < limit)
		ring->cur = ring->tail;
	return (sent);
}

static void
tx_filled_free(struct pg_thread *t)
{
	struct nmport_d *d = t->nmd;
	u_int i;

	if (t->filled == NULL)
		return;
	for (i = 0; i <= d->last_tx_ring; i++)
		free(t->filled[i]);
	free(t->filled);
	t->filled = NULL;
}

/*
 * Frames fit in one slot, have one length and are not copied on purpose
 * (-o COPY, MEMCPY, RUBBISH, INDIRECT): then each buffer is written in
 * full once and afterwards only in the bytes that change per packet, the
 * headers and the sequence number (upstream pkt-gen does not copy at all
 * by default). Otherwise t->filled stays NULL and tx_fill copies all.
 */
static int
tx_filled_init(struct pg_thread *t, const struct frag_plan *fp)
{
	const struct pg_glob *g = t->g;
	struct nmport_d *d = t->nmd;
	u_int i, n = d->last_tx_ring + 1;

	t->filled = NULL;
	if (fp->nfrags != 1 || g->minlen > 0 || (g->options & (OPT_COPY |
	    OPT_MEMCPY | OPT_RUBBISH | OPT_INDIRECT)))
		return (0);
	t->filled = calloc(n, sizeof(*t->filled));
	if (t->filled == NULL)
		goto nomem;
	for (i = d->first_tx_ring; i < n; i++) {
		struct netmap_ring *ring = NETMAP_TXRING(d->nifp, i);

		t->filled[i] = calloc(ring->num_slots, sizeof(uint32_t));
		if (t->filled[i] == NULL)
			goto nomem;
	}
	t->hot_len = 0;
	if (t->pkt.vary || g->func == PG_TXSEQ)
		t->hot_len = t->pkt.vh + t->pkt.hdrlen + sizeof(uint32_t);
	return (0);
nomem:
	pg_log("thread %d: out of memory", t->id);
	tx_filled_free(t);
	return (-1);
}

/*
 * Push what is left and wait for the rings to empty.  A pipe peer that
 * never reads keeps slots pending forever, hence the idle timeout.
 */
static void
tx_drain(struct pg_thread *t)
{
	struct nmport_d *d = t->nmd;
	struct netmap_ring *ring;
	struct timespec deadline, now;
	uint64_t sig, last_sig = 0;
	u_int pending;
	int i;

	ioctl(t->fd, NIOCTXSYNC, NULL);
	deadline = ts_add(ts_now(), (struct timespec){ DRAIN_MS / 1000,
	    (DRAIN_MS % 1000) * 1000000 });
	while (!stopped()) {
		pending = 0;
		sig = 0;
		for (i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
			ring = NETMAP_TXRING(d->nifp, i);
			if (nm_tx_pending(ring))
				pending += (ring->head + ring->num_slots -
				    ring->tail - 1) % ring->num_slots;
			sig = sig * 31 + ring->tail;
		}
		if (pending == 0)
			break;
		now = ts_now();
		if (sig != last_sig) {
			last_sig = sig;
			deadline = ts_add(now, (struct timespec){
			    DRAIN_MS / 1000, (DRAIN_MS % 1000) * 1000000 });
		} else if (ts_diff_ns(now, deadline) > 0) {
			pg_log("thread %d: %u slots still pending, "
			    "not waiting any longer", t->id, pending);
			break;
		}
		usleep(10);
		ioctl(t->fd, NIOCTXSYNC, NULL);
	}
}

/* -f tx and -f txseq. */
void *
pg_tx_body(void *arg)
{
	struct pg_thread *t = arg;
	const struct pg_glob *g = t->g;
	struct nmport_d *d = t->nmd;
	struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };
	struct netmap_ring *ring;
	struct frag_plan fp;
	struct ratelog rl = { 0, 0 };
	struct rate rate;
	uint64_t sent = 0, bytes = 0, events = 0;
	uint32_t seq = 0;
	int i, last, rv;
	size_t bufsz;
	u_int limit, m;

	thread_setup(t);
	ring = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	bufsz = ring->nr_buf_size;
	/* The template starts at the largest length: check that one. */
	plan_frags(g, t->pkt.vh + t->pkt.len, bufsz, &fp);
	if (g->options & OPT_INDIRECT) {
		fp.fsize = fp.size;
		fp.nfrags = 1;
	}
	if (fp.nfrags > NETMAP_MAX_FRAGS || fp.nfrags >= ring->num_slots ||
	    fp.fsize > 65535) {
		pg_log("thread %d: %zu byte packets do not fit: %u fragments "
		    "of at most %zu bytes", t->id, fp.size, fp.nfrags,
		    fp.fsize);
		t->failed = 1;
		goto out;
	}
	/* A sequence must stay on one ring to arrive in order. */
	last = g->func == PG_TXSEQ ? d->first_tx_ring : d->last_tx_ring;
	if (tx_filled_init(t, &fp) != 0) {
		t->failed = 1;
		goto out;
	}

	t->tic = ts_now();
	rate_init(&rate);
	while (!stopped() && (t->quota == 0 || sent < t->quota)) {
		rate_wait(&rate, g);
		rv = poll(&pfd, 1, POLL_MS);
		if (rv < 0) {
			if (errno == EINTR)
				continue;
			pg_log("thread %d: poll: %s", t->id, strerror(errno));
			t->failed = 1;
			break;
		}
		if (pfd.revents & POLLERR) {
			pg_log("poll error on queue %d ring %d-%d", t->id,
			    d->first_tx_ring, d->last_tx_ring);
			t->failed = 1;
			break;
		}
		if (rv == 0) {
			if (g->verbose && ratelog_ok(&rl, 1))
				pg_log("thread %d: no room in tx rings",
				    t->id);
			continue;
		}
		for (i = d->first_tx_ring; i <= last; i++) {
			limit = batch_limit(t, &rate, sent);
			if (limit == 0)
				break;
			ring = NETMAP_TXRING(d->nifp, i);
			if (nm_ring_empty(ring))
				continue;
			if (g->minlen > 0 && !(g->options & OPT_INDIRECT))
				random_len(t, bufsz, &fp);
			m = tx_fill(t, ring, limit, &fp, &seq);
			if (m == 0)
				continue;
			sent += m;
			bytes += (uint64_t)m * fp.size;
			events++;
			publish(t, sent, bytes, events);
			if (g->tx_rate && (rate.budget -= (int)m) <= 0)
				break;
		}
	}
	if (!t->failed)
		tx_drain(t);
	t->toc = ts_now();
out:
	publish(t, sent, bytes, events);
	tx_filled_free(t);
	atomic_store(&t->done, 1);
	return (NULL);
}

static void
check_seq(struct pg_thread *t, struct rx_state *st, uint32_t seq,
    struct ratelog *rl)
{
	uint32_t delta;

	if (st->have_seq && seq != st->seq_exp) {
		delta = seq - st->seq_exp;
		if (delta < 0x80000000u) {
			t->seq_gaps++;
			t->seq_lost += delta;
			if (ratelog_ok(rl, 2))
				pg_log("Sequence GAP: exp %u found %u",
				    st->seq_exp, seq);
		} else {
			t->seq_ooo++;
			if (ratelog_ok(rl, 2))
				pg_log("Sequence OUT OF ORDER: exp %u "
				    "found %u", st->seq_exp, seq);
		}
	}
	st->have_seq = 1;
	st->seq_exp = seq + 1;
}

/*
 * Consume up to `limit' slots, stopping early after `want' complete
 * packets (0: no limit).  Returns complete packets; adds to *bytes.
 */
static u_int
rx_ring(struct pg_thread *t, struct netmap_ring *ring, struct rx_state *st,
    u_int limit, uint64_t want, uint64_t *bytes, struct ratelog *rl)
{
	const struct pg_glob *g = t->g;
	size_t vh = g->pp.vh;
	u_int head = ring->head, i, pkts = 0;
	struct netmap_slot *slot;
	uint32_t seq;
	size_t n;
	char *p;

	for (i = 0; i < limit; i++) {
		slot = &ring->slot[head];
		p = NETMAP_BUF(ring, slot->buf_idx);
		*bytes += slot->len;
		if (g->options & OPT_DUMP)
			dump_slot(ring, head, p, slot->len);
		if (g->func == PG_RXSEQ && st->hlen < sizeof(st->head)) {
			n = sizeof(st->head) - st->hlen;
			if (n > slot->len)
				n = slot->len;
			memcpy(st->head + st->hlen, p, n);
			st->hlen += n;
		}
		st->nfrag++;
		head = nm_ring_next(ring, head);
		if (slot->flags & NS_MOREFRAG)
			continue;
		if (g->func == PG_RXSEQ) {
			if (st->hlen < vh || pkt_get_seq(st->head + vh,
			    st->hlen - vh, &seq) != 0) {
				if (ratelog_ok(rl, 1))
					pg_log("packet too small or not UDP "
					    "(len=%zu)", st->hlen);
			} else
				check_seq(t, st, seq, rl);
			st->hlen = 0;
		}
		if (g->func == PG_RXSEQ && st->frags_exp != 0 &&
		    st->nfrag != st->frags_exp) {
			t->seq_frag_err++;
			if (ratelog_ok(rl, 1))
				pg_log("Received packets with %u frags, "
				    "expected %u", st->nfrag, st->frags_exp);
		}
		st->frags_exp = st->nfrag;
		st->nfrag = 0;
		if (++pkts == want) {
			i++;
			break;
		}
	}
	ring->head = ring->cur = head;
	return (pkts);
}

/*
 * -n counts packets over all receiving threads, since traffic need not
 * be spread evenly over the rings.  True when `more' packets on top of
 * those already added up would complete the count.
 */
static _Atomic uint64_t rx_total;

static int
rx_count_reached(const struct pg_glob *g, uint64_t more)
{
	return (g->npackets > 0 && atomic_load(&rx_total) + more >=
	    g->npackets);
}

/* -f rx and -f rxseq. */
void *
pg_rx_body(void *arg)
{
	struct pg_thread *t = arg;
	const struct pg_glob *g = t->g;
	struct nmport_d *d = t->nmd;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	struct netmap_ring *ring;
	struct rx_state *st;
	struct ratelog rl = { 0, 0 };
	struct timespec start, now;
	uint64_t pkts = 0, bytes = 0, events = 0, want, total;
	uint32_t space, avail;
	int i, rv, nrings;
	u_int m, limit;

	thread_setup(t);
	nrings = d->last_rx_ring - d->first_rx_ring + 1;
	st = calloc(nrings, sizeof(*st));
	if (st == NULL) {
		pg_log("thread %d: out of memory", t->id);
		t->failed = 1;
		goto out;
	}

	/* The clock starts with the first packet. */
	start = ts_now();
	for (;;) {
		if (stopped() || rx_count_reached(g, 0))
			goto out;
		rv = poll(&pfd, 1, POLL_MS);
		if (rv < 0 && errno != EINTR) {
			pg_log("thread %d: poll: %s", t->id, strerror(errno));
			t->failed = 1;
			goto out;
		}
		if (rv > 0 && (pfd.revents & POLLERR)) {
			pg_log("thread %d: poll error", t->id);
			t->failed = 1;
			goto out;
		}
		if (rv > 0)
			break;
		if (g->idle_exit && ts_diff_ns(ts_now(), start) >
		    (int64_t)PG_IDLE_FIRST_MS * 1000000) {
			pg_log("thread %d: no traffic in %d s, giving up",
			    t->id, PG_IDLE_FIRST_MS / 1000);
			goto out;
		}
	}
	t->tic = t->toc = ts_now();

	while (!stopped() && !rx_count_reached(g, 0)) {
		space = 0;
		m = 0;
		total = atomic_load(&rx_total);
		for (i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
			ring = NETMAP_RXRING(d->nifp, i);
			avail = nm_ring_space(ring);
			/* Room the kernel still has to deliver into. */
			space += ring->num_slots - 1 - avail;
			if (avail == 0)
				continue;
			limit = avail < (u_int)g->burst ? avail :
			    (u_int)g->burst;
			want = g->npackets ? g->npackets - total - m : 0;
			m += rx_ring(t, ring, &st[i - d->first_rx_ring],
			    limit, want, &bytes, &rl);
			if (rx_count_reached(g, m))
				break;
		}
		note_space(t, space);
		if (m > 0) {
			pkts += m;
			events++;
			t->toc = ts_now();
			publish(t, pkts, bytes, events);
			atomic_fetch_add(&rx_total, m);
			if (rx_count_reached(g, 0))
				break;
		}
		rv = poll(&pfd, 1, POLL_MS);
		if (rv < 0 && errno != EINTR) {
			pg_log("thread %d: poll: %s", t->id, strerror(errno));
			t->failed = 1;
			break;
		}
		if (rv > 0 && (pfd.revents & POLLERR)) {
			pg_log("thread %d: poll error", t->id);
			t->failed = 1;
			break;
		}
		if (rv == 0 && g->idle_exit) {
			now = ts_now();
			if (ts_diff_ns(now, t->toc) >
			    (int64_t)PG_IDLE_MS * 1000000)
				break;
		}
	}
out:
	free(st);
	publish(t, pkts, bytes, events);
	atomic_store(&t->done, 1);
	return (NULL);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* Round-trip statistics of ping. */
struct rtt_stats {
	uint64_t	count, sum, min;	/* this interval */
	uint64_t	all_count, all_sum, all_min;
	uint64_t	buckets[64];		/* log2 of ns */
};

static void
rtt_add(struct rtt_stats *s, uint64_t ns)
{
	int b = ns ? 63 - __builtin_clzll(ns) : 0;

	s->buckets[b]++;
	s->count++;
	s->sum += ns;
	if (ns < s->min)
		s->min = ns;
}

static void
rtt_print(struct rtt_stats *s)
{
	char buf[64 * 8 + 1];
	int lo, hi, k, off = 0;

	if (s->count == 0) {
		pg_log("count 0 RTT: no replies");
		return;
	}
	pg_log("count %llu RTT: min %llu av %llu ns",
	    (unsigned long long)s->count, (unsigned long long)s->min,
	    (unsigned long long)(s->sum / s->count));
	for (lo = 0; lo < 63 && s->buckets[lo] == 0; lo++)
		;
	for (hi = 63; hi > lo && s->buckets[hi] == 0; hi--)
		;
	buf[0] = '\0';
	for (k = lo; k <= hi; k++)
		off += snprintf(buf + off, sizeof(buf) - off, " %5llu",
		    (unsigned long long)s->buckets[k]);
	pg_log("k: %llu .. %llu\n\t%s", 1ULL << lo, 1ULL << hi, buf);

	s->all_count += s->count;
	s->all_sum += s->sum;
	if (s->min < s->all_min)
		s->all_min = s->min;
	memset(s->buckets, 0, sizeof(s->buckets));
	s->count = s->sum = 0;
	s->min = UINT64_MAX;
}

/* Read replies from all RX rings; returns how many were timed. */
static u_int
ping_collect(struct pg_thread *t, struct rtt_stats *s)
{
	struct nmport_d *d = t->nmd;
	struct netmap_ring *ring;
	struct netmap_slot *slot;
	struct timespec now, ts;
	size_t vh = t->g->pp.vh, off;
	u_int n = 0;
	uint8_t *p;
	int i;

	now = ts_now();
	for (i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		ring = NETMAP_RXRING(d->nifp, i);
		while (!nm_ring_empty(ring)) {
			slot = &ring->slot[ring->head];
			p = (uint8_t *)NETMAP_BUF(ring, slot->buf_idx) + vh;
			off = slot->len > vh ?
			    pkt_payload_offset(p, slot->len - vh) : 0;
			if (off != 0 && slot->len >= vh + off + 12) {
				ts.tv_sec = get_be32(p + off + 4);
				ts.tv_nsec = get_be32(p + off + 8);
				/* Only the low 32 bits of seconds travel. */
				ts.tv_sec |= now.tv_sec & ~(time_t)0xffffffff;
				rtt_add(s, (uint64_t)ts_diff_ns(now, ts));
				n++;
			}
			ring->head = ring->cur = nm_ring_next(ring,
			    ring->head);
		}
	}
	return (n);
}

/*
 * -f ping: send timestamped frames, wait for pong to echo them, and
 * print RTT statistics every second.
 */
void *
pg_ping_body(void *arg)
{
	struct pg_thread *t = arg;
	const struct pg_glob *g = t->g;
	struct nmport_d *d = t->nmd;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	struct netmap_ring *ring;
	struct netmap_slot *slot;
	struct rtt_stats rs;
	struct ratelog rl = { 0, 0 };
	struct timespec now, last_print, deadline;
	struct rate rate;
	uint64_t sent = 0, events = 0;
	size_t size = t->pkt.vh + t->pkt.len, plen;
	uint8_t *pl;
	u_int m, got, limit;
	int64_t left;
	int rv;

	thread_setup(t);
	memset(&rs, 0, sizeof(rs));
	rs.min = rs.all_min = UINT64_MAX;
	pl = pkt_payload(&t->pkt, &plen);
	ring = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	t->tic = last_print = ts_now();
	rate_init(&rate);
	while (!stopped() && (t->quota == 0 || sent < t->quota)) {
		rate_wait(&rate, g);
		limit = batch_limit(t, &rate, sent);
		for (m = 0; m < limit && !nm_ring_empty(ring); m++) {
			slot = &ring->slot[ring->head];
			now = ts_now();
			put_be32(pl, (uint32_t)sent);
			put_be32(pl + 4, (uint32_t)now.tv_sec);
			put_be32(pl + 8, (uint32_t)now.tv_nsec);
			pkt_refresh_csum(&t->pkt);
			nm_pkt_copy(t->pkt.buf, NETMAP_BUF(ring,
			    slot->buf_idx), (int)size);
			slot->len = (uint16_t)size;
			slot->flags = 0;
			if (g->options & OPT_DUMP)
				dump_slot(ring, ring->head, t->pkt.buf, size);
			ring->head = ring->cur = nm_ring_next(ring,
			    ring->head);
			sent++;
		}
		if (m == 0 && ratelog_ok(&rl, 1))
			pg_log("-- ouch, cannot send");
		if (m > 0) {
			mark_report(ring, ring->head);
			events++;
			rate.budget -= (int)m;
		}
		publish(t, sent, sent * size, events);
		ioctl(t->fd, NIOCTXSYNC, NULL);

		/* Wait for this batch to come back, for a while. */
		got = 0;
		deadline = ts_add(ts_now(), (struct timespec){
		    PING_WAIT_MS / 1000, (PING_WAIT_MS % 1000) * 1000000 });
		while (got < m && !stopped()) {
			left = ts_diff_ns(deadline, ts_now()) / 1000000;
			if (left <= 0) {
				if (g->verbose)
					pg_log("poll error on queue %d: "
					    "timeout", t->id);
				break;
			}
			rv = poll(&pfd, 1, (int)(left < POLL_MS ? left :
			    POLL_MS));
			if (rv < 0 && errno != EINTR) {
				pg_log("poll error on queue %d: %s", t->id,
				    strerror(errno));
				t->failed = 1;
				goto out;
			}
			if (rv > 0)
				got += ping_collect(t, &rs);
		}
		now = ts_now();
		if (ts_diff_ns(now, last_print) >= 1000000000) {
			rtt_print(&rs);
			last_print = now;
		}
	}
	rtt_print(&rs);
	if (rs.all_count > 0)
		pg_log("RTT over %llu packets: min %llu av %llu ns",
		    (unsigned long long)rs.all_count,
		    (unsigned long long)rs.all_min,
		    (unsigned long long)(rs.all_sum / rs.all_count));
	else
		pg_log("RTT over %llu packets: no replies",
		    (unsigned long long)sent);
out:
	t->toc = ts_now();
	publish(t, sent, sent * size, events);
	atomic_store(&t->done, 1);
	return (NULL);
}

/* -f pong: echo every frame back with MAC and IP addresses swapped. */
void *
pg_pong_body(void *arg)
{
	struct pg_thread *t = arg;
	const struct pg_glob *g = t->g;
	struct nmport_d *d = t->nmd;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	struct netmap_ring *rx, *tx;
	struct netmap_slot *rs, *ts;
	size_t vh = g->pp.vh;
	uint64_t sent = 0, bytes = 0, events = 0;
	u_int txhead, txavail, len, *infrag;
	int i, rv, nrings;
	char *src, *dst;

	thread_setup(t);
	nrings = d->last_rx_ring - d->first_rx_ring + 1;
	infrag = calloc(nrings, sizeof(*infrag));
	if (infrag == NULL) {
		t->failed = 1;
		goto out;
	}
	t->tic = t->toc = ts_now();
	tx = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	while (!stopped() && (t->quota == 0 || sent < t->quota)) {
		rv = poll(&pfd, 1, POLL_MS);
		if (rv < 0 && errno != EINTR) {
			pg_log("poll error on queue %d: %s", t->id,
			    strerror(errno));
			t->failed = 1;
			break;
		}
		if (rv <= 0)
			continue;
		txhead = tx->head;
		txavail = nm_ring_space(tx);
		for (i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
			rx = NETMAP_RXRING(d->nifp, i);
			while (!nm_ring_empty(rx)) {
				rs = &rx->slot[rx->head];
				src = NETMAP_BUF(rx, rs->buf_idx);
				rx->head = rx->cur = nm_ring_next(rx,
				    rx->head);
				if (txavail == 0)
					continue;	/* no room: drop */
				ts = &tx->slot[txhead];
				dst = NETMAP_BUF(tx, ts->buf_idx);
				len = rs->len;
				if (len > tx->nr_buf_size)
					len = tx->nr_buf_size;
				nm_pkt_copy(src, dst, (int)len);
				/* Only the first fragment has headers. */
				if (!infrag[i - d->first_rx_ring] && len > vh)
					pkt_swap_addrs((uint8_t *)dst + vh,
					    len - vh, g->pp.src_mac);
				infrag[i - d->first_rx_ring] =
				    rs->flags & NS_MOREFRAG;
				ts->len = (uint16_t)len;
				ts->flags = rs->flags & NS_MOREFRAG;
				txhead = nm_ring_next(tx, txhead);
				txavail--;
				bytes += len;
				if (!(rs->flags & NS_MOREFRAG))
					sent++;
			}
		}
		if (txhead != tx->head) {
			mark_report(tx, txhead);
			tx->head = tx->cur = txhead;
			ioctl(t->fd, NIOCTXSYNC, NULL);
			events++;
			t->toc = ts_now();
			publish(t, sent, bytes, events);
		}
	}
out:
	free(infrag);
	publish(t, sent, bytes, events);
	atomic_store(&t->done, 1);
	return (NULL);
}

/*
 * -i null: build and copy packets into a private buffer at full speed,
 * to measure what the generator costs without any port.
 */
void *
pg_null_body(void *arg)
{
	struct pg_thread *t = arg;
	const struct pg_glob *g = t->g;
	struct pkt_tmpl *pkt = &t->pkt;
	struct frag_plan fp;
	struct rate rate;
	uint64_t sent = 0, bytes = 0, events = 0;
	uint32_t seq = 0;
	uint8_t *scratch;
	u_int limit, i;

	thread_setup(t);
	scratch = malloc(pkt->vh + pkt->cap + PKT_SLACK);
	if (scratch == NULL) {
		t->failed = 1;
		goto out;
	}
	plan_frags(g, pkt->vh + pkt->len, SIZE_MAX, &fp);
	t->tic = ts_now();
	rate_init(&rate);
	while (!stopped() && (t->quota == 0 || sent < t->quota)) {
		rate_wait(&rate, g);
		limit = batch_limit(t, &rate, sent);
		if (g->minlen > 0)
			random_len(t, SIZE_MAX, &fp);
		for (i = 0; i < limit; i++) {
			if (g->func == PG_TXSEQ)
				pkt_set_seq(pkt, seq++);
			if (!(g->options & OPT_RUBBISH))
				nm_pkt_copy(pkt->buf, scratch, (int)fp.size);
			pkt_next_addr(pkt);
		}
		sent += limit;
		bytes += (uint64_t)limit * fp.size;
		events++;
		rate.budget -= (int)limit;
		publish(t, sent, bytes, events);
	}
	t->toc = ts_now();
	free(scratch);
out:
	publish(t, sent, bytes, events);
	atomic_store(&t->done, 1);
	return (NULL);
}
