// SPDX-License-Identifier: BSD-2-Clause
/*
 * bridge: forward frames both ways between two netmap ports, or between
 * a NIC and its own host rings (one port given: `PORT^' is the other
 * side), or back out of the port they came in on (-L).
 *
 * One thread, one poll() on both descriptors.  A side whose RX rings
 * hold frames waits for room on the other side's TX rings (POLLOUT
 * there), otherwise for frames (POLLIN on itself); poll's implicit syncs
 * do the rest.  When both ports live in the same region the slots'
 * buffers are exchanged (zero copy, NS_BUF_CHANGED on both slots),
 * otherwise the bytes are copied.  A multi-slot frame (NS_MOREFRAG) is
 * moved only once it is complete on RX and fits whole on TX, so the
 * receiving side never sees half a frame, whatever the batch size.
 *
 * Every second a line gives the packet rate each way; SIGINT or SIGTERM
 * flush the TX rings and print the totals, including how many slots
 * were swapped and how many copied (the tests read these to know which
 * path ran).
 */

#include <sys/ioctl.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

#define BURST_DEFAULT	1024
#define BURST_MAX	8192
#define WAIT_DEFAULT	4
#define WAIT_MAX	100
#define POLL_MS		500	/* short enough for a rate line a second */

/* What went one way. */
struct dir_stats {
	uint64_t	pkts;
	uint64_t	bytes;
	uint64_t	swapped;	/* slots exchanged (zero copy) */
	uint64_t	copied;		/* slots copied */
	uint64_t	dropped;	/* frames that can never fit */
};

struct side {
	const char	*name;
	struct nmport_d	*d;
};

static volatile sig_atomic_t stop;
static int verbose;

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f,
	    "usage: bridge [-chLv] [-b burst] [-w wait] -i port [-i port]\n"
	    "       bridge [-chLv] [-b burst] [-w wait] port [port [burst]]\n"
	    "  -i port   a side of the bridge (netmap:IF, valeX:Y, pipes);\n"
	    "            with one port, the other side is its host rings\n"
	    "            (port^), or the port itself with -L\n"
	    "  -b burst  most frames moved per ring and pass, 1..%d "
	    "(default %d)\n"
	    "  -w wait   seconds to wait for the link, 0..%d (default %d)\n"
	    "  -c        copy even when the ports share a region\n"
	    "  -L        with one port, send frames back out of it\n"
	    "  -v        verbose\n"
	    "  -h        this help\n",
	    BURST_MAX, BURST_DEFAULT, WAIT_MAX, WAIT_DEFAULT);
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	usage(stderr, 1);
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return (-1);
	*out = (int)v;
	return (0);
}

static void
on_signal(int sig)
{
	stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Is there anything to take from the RX rings of `d'? */
static int
rx_pending(struct nmport_d *d)
{
	unsigned int i;

	for (i = d->first_rx_ring; i <= d->last_rx_ring; i++)
		if (!nm_ring_empty(NETMAP_RXRING(d->nifp, i)))
			return (1);
	return (0);
}

/*
 * Slots of the frame starting at slot `i' of `rx', or 0 when its last
 * slot is not before `tail' yet (a chain still being filled).
 */
static unsigned int
frame_slots(const struct netmap_ring *rx, unsigned int i, unsigned int tail)
{
	unsigned int n = 1;

	while (rx->slot[i].flags & NS_MOREFRAG) {
		i = nm_ring_next(rx, i);
		if (i == tail)
			return (0);
		n++;
	}
	return (n);
}

/*
 * Move whole frames from `rx' to `tx', at most `limit' of them, and
 * return how many.  The rings' head and cur are advanced once at the
 * end; the syncs are poll's.
 */
static unsigned int
move_frames(struct netmap_ring *rx, struct netmap_ring *tx,
    unsigned int limit, int zcopy, struct dir_stats *st)
{
	/* The tails are read once: a sync may move them meanwhile. */
	unsigned int rtail = rx->tail, ttail = tx->tail;
	unsigned int ri = rx->head, ti = tx->head, moved = 0;
	unsigned int n, k, space;

	while (moved < limit && ri != rtail) {
		n = frame_slots(rx, ri, rtail);
		if (n == 0)
			break;
		space = ttail >= ti ? ttail - ti : tx->num_slots + ttail - ti;
		if (n >= tx->num_slots) {
			/* Never fits: drop it rather than stall. */
			if (verbose)
				warnx("dropping a frame of %u slots", n);
			while (n-- > 0)
				ri = nm_ring_next(rx, ri);
			st->dropped++;
			continue;
		}
		if (n > space)
			break;
		for (k = 0; k < n; k++) {
			struct netmap_slot *rs = &rx->slot[ri];
			struct netmap_slot *ts = &tx->slot[ti];
			uint32_t idx;
			uint16_t len = rs->len;

			if (zcopy) {
				idx = ts->buf_idx;
				ts->buf_idx = rs->buf_idx;
				rs->buf_idx = idx;
				rs->flags |= NS_BUF_CHANGED;
				ts->flags = NS_BUF_CHANGED;
				st->swapped++;
			} else {
				/* Longer than our buffers: cut it. */
				if (len > tx->nr_buf_size)
					len = (uint16_t)tx->nr_buf_size;
				memcpy(NETMAP_BUF(tx, ts->buf_idx),
				    NETMAP_BUF(rx, rs->buf_idx), len);
				ts->flags = 0;
				st->copied++;
			}
			ts->len = len;
			ts->flags |= rs->flags & NS_MOREFRAG;
			st->bytes += len;
			ri = nm_ring_next(rx, ri);
			ti = nm_ring_next(tx, ti);
		}
		st->pkts++;
		moved++;
	}
	rx->head = rx->cur = ri;
	tx->head = tx->cur = ti;
	return (moved);
}

/*
 * One pass from every RX ring of `src' to the TX rings of `dst', each
 * RX ring filling TX rings in turn, `burst' frames per RX ring at most.
 */
static void
forward(struct nmport_d *src, struct nmport_d *dst, int burst, int zcopy,
    struct dir_stats *st)
{
	unsigned int ri = src->first_rx_ring, ti = dst->first_tx_ring;
	unsigned int left;
	struct netmap_ring *rx, *tx;

	for (; ri <= src->last_rx_ring; ri++) {
		rx = NETMAP_RXRING(src->nifp, ri);
		left = (unsigned int)burst;
		while (left > 0 && !nm_ring_empty(rx) &&
		    ti <= dst->last_tx_ring) {
			tx = NETMAP_TXRING(dst->nifp, ti);
			left -= move_frames(rx, tx, left, zcopy, st);
			if (left > 0 && !nm_ring_empty(rx))
				ti++;	/* this TX ring is full */
		}
	}
}

static void
open_side(struct side *s)
{
	s->d = nmport_open(s->name);
	if (s->d == NULL)
		errx(1, "cannot open %s", s->name);
	if (verbose)
		printf("%s: mem_id %u, %u tx rings, %u rx rings, %u slots\n",
		    s->name, s->d->reg.nr_mem_id, s->d->reg.nr_tx_rings,
		    s->d->reg.nr_rx_rings, s->d->reg.nr_tx_slots);
}

static void
print_totals(const struct side *a, const struct side *b,
    const struct dir_stats st[2], int ndirs)
{
	int i;

	for (i = 0; i < ndirs; i++)
		printf("%s -> %s: %" PRIu64 " packets %" PRIu64 " bytes, %"
		    PRIu64 " slots swapped, %" PRIu64 " copied, %" PRIu64
		    " dropped\n", i ? b->name : a->name, i ? a->name : b->name,
		    st[i].pkts, st[i].bytes, st[i].swapped, st[i].copied,
		    st[i].dropped);
}

int
main(int argc, char **argv)
{
	struct side side[2] = { { NULL, NULL }, { NULL, NULL } };
	struct dir_stats st[2], last[2];
	struct pollfd pfd[2];
	struct sigaction sa;
	char *host = NULL;
	int nports = 0, burst = BURST_DEFAULT, wait_link = WAIT_DEFAULT;
	int copy = 0, loop = 0, zcopy, ch, i;
	uint64_t t_last, t;

	while ((ch = getopt(argc, argv, "b:chi:Lvw:")) != -1) {
		switch (ch) {
		case 'b':
			if (parse_int(optarg, 1, BURST_MAX, &burst) != 0)
				bad_usage("invalid burst '%s'", optarg);
			break;
		case 'c':
			copy = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'i':
			if (nports == 2)
				bad_usage("more than two ports");
			side[nports++].name = optarg;
			break;
		case 'L':
			loop = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'w':
			if (parse_int(optarg, 0, WAIT_MAX, &wait_link) != 0)
				bad_usage("invalid wait '%s'", optarg);
			break;
		default:
			usage(stderr, 1);
		}
	}
	argc -= optind;
	argv += optind;
	/* The older form: port [port [burst]] after the options. */
	for (i = 0; i < argc; i++) {
		if (nports < 2 && i < 2) {
			side[nports++].name = argv[i];
		} else if (i == 2) {
			if (parse_int(argv[i], 1, BURST_MAX, &burst) != 0)
				bad_usage("invalid burst '%s'", argv[i]);
		} else {
			bad_usage("unexpected argument '%s'", argv[i]);
		}
	}
	if (nports == 0)
		bad_usage("missing port (-i)");
	if (nports == 2 && strcmp(side[0].name, side[1].name) == 0)
		nports = 1;
	if (nports == 2 && loop)
		bad_usage("-L needs a single port");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal must end the poll. */
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		err(1, "sigaction");

	if (nports == 1 && !loop) {
		/* Side 0 is the host stack, side 1 the port's NIC rings. */
		if (asprintf(&host, "%s^", side[0].name) < 0)
			err(1, "asprintf");
		side[1].name = side[0].name;
		side[0].name = host;
	}
	open_side(&side[0]);
	if (loop) {
		side[1] = side[0];
	} else {
		open_side(&side[1]);
	}
	zcopy = !copy && side[0].d->mem == side[1].d->mem;
	if (wait_link > 0) {
		printf("waiting %d s for the link\n", wait_link);
		fflush(stdout);
		for (i = 0; i < wait_link && !stop; i++)
			sleep(1);
	}
	printf("bridging %s <-> %s, %s, burst %d\n", side[0].name,
	    side[1].name, zcopy ? "zero copy" : "copy", burst);
	fflush(stdout);

	memset(st, 0, sizeof(st));
	memset(last, 0, sizeof(last));
	t_last = now_ms();
	while (!stop) {
		int pa = rx_pending(side[0].d), pb = rx_pending(side[1].d);

		/* Frames waiting on one side: wait for room on the other. */
		pfd[0].fd = side[0].d->fd;
		pfd[1].fd = side[1].d->fd;
		pfd[0].events = (short)((pa ? 0 : POLLIN) | (pb ? POLLOUT : 0));
		pfd[1].events = (short)((pb ? 0 : POLLIN) | (pa ? POLLOUT : 0));
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, loop ? 1 : 2, POLL_MS) < 0 && errno != EINTR)
			err(1, "poll");
		if ((pfd[0].revents | (loop ? 0 : pfd[1].revents)) & POLLERR)
			errx(1, "poll: error on %s",
			    pfd[0].revents & POLLERR ? side[0].name :
			    side[1].name);
		forward(side[0].d, side[1].d, burst, zcopy, &st[0]);
		if (!loop)
			forward(side[1].d, side[0].d, burst, zcopy, &st[1]);

		t = now_ms();
		if (t - t_last >= 1000) {
			double dt = (double)(t - t_last) / 1000;

			printf("%s -> %s: %.0f pps", side[0].name,
			    side[1].name,
			    (double)(st[0].pkts - last[0].pkts) / dt);
			if (!loop)
				printf(", %s -> %s: %.0f pps", side[1].name,
				    side[0].name,
				    (double)(st[1].pkts - last[1].pkts) / dt);
			putchar('\n');
			fflush(stdout);
			memcpy(last, st, sizeof(last));
			t_last = t;
		}
	}
	/* What was moved but not yet synced goes out before we close. */
	for (i = 0; i < (loop ? 1 : 2); i++)
		if (ioctl(side[i].d->fd, NIOCTXSYNC, NULL) != 0)
			warn("%s: NIOCTXSYNC", side[i].name);
	print_totals(&side[0], &side[1], st, loop ? 1 : 2);
	nmport_close(side[0].d);
	if (!loop)
		nmport_close(side[1].d);
	free(host);
	return (0);
}
