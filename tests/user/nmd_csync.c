// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_csync.c: syncs in the client (user/nmd_csync.h) when clients die
 * holding a ring's lock, or scribble on the shared kring state.
 *
 *   lock-tx   a client SIGSTOPped while it holds the lock of a pipe
 *             end's TX ring, then SIGKILLed: a witness sender on that
 *             end and a reader on the other move 20000 frames, none
 *             lost, in order (the first sync takes the lock over);
 *   lock-rx   the same with the lock of the reading end's RX ring;
 *   scribble  a client writes random values over the whole kring state
 *             memfd of its region (indices, locks, wake-up words, modes
 *             of every ring, its own and a witness pipe's) for 2 s. The
 *             witness sender syncs in the client, its reader waits in
 *             select(), which the daemon serves: neither crashes nor
 *             hangs, frames flow again once the scribbler stops, and a
 *             fresh pair on the same region is lossless;
 *   monitor   a copy monitor attaches to the sending end of a pipe in the
 *             middle of a transfer: the pair goes back to the doorbell
 *             (the entries say so), loses nothing and keeps the order,
 *             and the monitor sees the frames sent after it, in order.
 *   sleeper   two clients sleep in poll(POLLIN) on the reading end of a
 *             pipe (then on a VALE port), counted in its wake-up word;
 *             one is SIGKILLed asleep:
 *             once its descriptor is gone the daemon takes its count
 *             back (the word reads 1, the live sleeper), so senders do
 *             not pay a futex_wake per sync for good; the live one is
 *             still woken by a frame, and the word is back at 0.
 *   idle      a reader in poll(POLLIN) that has just taken a burst of
 *             frames, then gets nothing: it sleeps. Its CPU time over
 *             1 s of that, from /proc (not timing), stays below 20 %.
 *
 * VALE (senders copy into their destinations' RX rings, under each
 * ring's producer lock), on paced, sequenced transfers that a plain
 * switch does not drop from:
 *   vlock-tx  a client stopped inside the sender's TX ring lock, then
 *             SIGKILLed: the sender takes it over, all frames in order;
 *   vlock-q   the same inside the receiver's RX ring producer lock,
 *             taken by the process of a third port;
 *   vmode     ports joining and leaving (a forked sender with a stale
 *             view goes through the doorbell), a monitor attaching (the
 *             switch back to the core) and leaving, then the empty
 *             switch plain again: nothing lost, in order;
 *   vtrig     PORT_HDR_SET, a persistent port attached: the switch goes
 *             back to the core; emptied, it forwards in the client;
 *   vmix      one TX sync of frames to three learned ports in runs,
 *             broadcasts, unknown MACs, runts and frames back to the
 *             sender among them, one to five slots each, into a port
 *             with room for only some: every port reads what a model of
 *             the switch says (order, contents, whole frames dropped),
 *             forwarded in the client, then in the core (a monitor);
 *   vscribble a client writes random values over the switches' memfd
 *             and every port's kring state while a witness pair runs.
 *
 * The region itself (rings, slots) is the application's ABI memory, not
 * scribbled here: an application that follows a scribbled buf_idx
 * crashes on its own, under the kernel module too (tests/user/seals.sh
 * wipes a region whose pair does not read it).
 *
 * The stopped client takes the lock with the library's own nmd_cs_lock
 * on the entry the daemon names in its CSYNC reply: the test drives the
 * real lock, without a hook in the library.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/wait.h>

#include "nmd_csview.h"

int unit_checks;

#define NFRAMES		20000
#define FLEN		60

/*
 * Send sequenced frames [*seq, n) on p's TX ring 0; EBUSY is retried.
 * Then flush what is queued.
 */
static void
send_range(struct unit_port *p, uint32_t *seq, uint32_t n, uint64_t until_ms)
{
	struct netmap_ring *r = NETMAP_TXRING(p->nifp, 0);
	uint8_t f[FLEN], src[6];

	nt_mac(src, 1);
	nt_frame(f, FLEN, NULL, src, 1);
	while (*seq < n && nt_now_ms() < until_ms) {
		struct pollfd pfd = { p->fd, POLLOUT, 0 };

		memcpy(f + 14, seq, sizeof(*seq));
		if (nt_send(r, f, FLEN) == 0) {
			(*seq)++;
			continue;
		}
		if (ioctl(p->fd, NIOCTXSYNC, NULL) != 0)
			CHECK_EQ(errno, EBUSY);
		poll(&pfd, 1, 100);
	}
	while (nm_tx_pending(r) && nt_now_ms() < until_ms) {
		ioctl(p->fd, NIOCTXSYNC, NULL);
		usleep(1000);
	}
}

/* Send n sequenced frames on port name (TX ring 0). */
static void
sender(const char *name, uint32_t n, uint64_t until_ms)
{
	struct unit_port p;
	uint32_t seq = 0;

	unit_port_open(&p, name, NULL);
	send_range(&p, &seq, n, until_ms);
	unit_port_close(&p);
}

/* Receive up to n frames; with `strict`, each must be the next in order. */
static uint32_t
receiver(const char *name, uint32_t n, uint64_t until_ms, bool strict,
    volatile uint32_t *phase, uint32_t *late)
{
	struct unit_port p;
	struct netmap_ring *r;
	uint32_t got = 0, seq;

	unit_port_open(&p, name, NULL);
	r = NETMAP_RXRING(p.nifp, 0);
	while (got < n && nt_now_ms() < until_ms) {
		fd_set rd;
		struct timeval tv = { 0, 100000 };

		while (!nm_ring_empty(r)) {
			struct netmap_slot *s = &r->slot[r->head];

			if (s->len >= 18 && s->len <= r->nr_buf_size) {
				memcpy(&seq, NETMAP_BUF(r, s->buf_idx) + 14,
				    sizeof(seq));
				if (strict)
					CHECK_EQ(seq, got);
			}
			got++;
			if (phase != NULL && *phase)
				(*late)++;
			r->head = r->cur = nm_ring_next(r, r->head);
		}
		FD_ZERO(&rd);
		FD_SET(p.fd, &rd);
		/* the daemon's path: select arms through the doorbell */
		if (select(p.fd + 1, &rd, NULL, NULL, &tv) < 0)
			CHECK_EQ(errno, EINTR);
	}
	unit_port_close(&p);
	return got;
}

static void
reap(pid_t pid)
{
	int st;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A lossless, in-order transfer on pipe `pipe` ("{1" sends to "}1"). */
static void
transfer(const char *pipe)
{
	char a[64], b[64];
	uint64_t until = nt_now_ms() + 20000;
	pid_t rx;

	snprintf(a, sizeof(a), "%s{1", pipe);
	snprintf(b, sizeof(b), "%s}1", pipe);
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0) {
		CHECK_EQ(receiver(b, NFRAMES, until, true, NULL, NULL),
		    NFRAMES);
		_exit(0);
	}
	usleep(100000);
	sender(a, NFRAMES, until);
	reap(rx);
}

/*
 * A client that takes the lock of ring t of `end` and stops there; it
 * is SIGKILLed stopped. The entry must then name it as the owner.
 */
static void
t_lock(const char *pipe, int t)
{
	struct unit_port keep, v;
	struct cs_view view;
	char end[64], other[64];
	pid_t pid;
	int st;

	snprintf(end, sizeof(end), "%s%s1", pipe, t == 0 ? "{" : "}");
	snprintf(other, sizeof(other), "%s%s1", pipe, t == 0 ? "}" : "{");
	/* keeps the pair's rings alive across the death */
	unit_port_open(&keep, other, NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unit_port_open(&v, end, NULL);
		cs_view(v.fd, &view);
		CHECK_EQ(nmd_cs_lock(&cs_entry(&view, t)->lock, 1000), 0);
		kill(getpid(), SIGSTOP);
		_exit(3);	/* never: SIGKILLed while stopped */
	}
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	cs_view(keep.fd, &view);
	/* the same pair: the peer's entries are in our layout too */
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	{
		const struct nmd_cs_ring *r = &view.l->ring[t == 0 ?
		    view.l->nrings[0] : 0];
		struct nmd_kstate *held = &view.ks[r->peer_ks];

		CHECK_EQ(__atomic_load_n(&held->lock, __ATOMIC_RELAXED) &
		    ~NMD_CS_WAITERS, (uint32_t)pid);
		transfer(pipe);
		CHECK_EQ(__atomic_load_n(&held->lock, __ATOMIC_RELAXED), 0);
	}
	munmap(view.ks, view.ks_size);
	unit_port_close(&keep);
	printf("lock-%s: a client killed holding the lock; %u frames "
	    "in order after it\n", t == 0 ? "tx" : "rx", NFRAMES);
}

/*
 * A copy monitor of the sending end attaches half-way: the pair goes
 * back to the doorbell without losing or reordering a frame.
 */
static void
t_monitor(void)
{
	uint64_t until = nt_now_ms() + 20000;
	struct nmreq_register reg;
	struct unit_port keep, m;
	struct cs_view view;
	struct netmap_ring *mr;
	uint32_t seen = 0, last = 0, seq;
	int go[2], half[2];
	pid_t rx, tx;
	char c;

	CHECK_EQ(pipe(go), 0);
	CHECK_EQ(pipe(half), 0);
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0) {
		CHECK_EQ(receiver("mp}1", NFRAMES, until, true, NULL, NULL),
		    NFRAMES);
		_exit(0);
	}
	usleep(100000);
	tx = fork();
	CHECK(tx >= 0);
	if (tx == 0) {
		struct unit_port p;

		seq = 0;
		unit_port_open(&p, "mp{1", NULL);
		send_range(&p, &seq, NFRAMES / 2, until);
		CHECK_EQ(write(half[1], "h", 1), 1);
		CHECK_EQ(read(go[0], &c, 1), 1);
		send_range(&p, &seq, NFRAMES, until);
		unit_port_close(&p);
		_exit(0);
	}
	CHECK_EQ(read(half[0], &c, 1), 1);
	unit_port_open(&keep, "mp}1", NULL);
	cs_view(keep.fd, &view);
	CHECK_EQ(__atomic_load_n(&cs_entry(&view, 1)->mode, __ATOMIC_ACQUIRE),
	    NMD_CS_CLIENT);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_MONITOR_TX;
	reg.nr_rx_slots = 4096;
	unit_port_open(&m, "mp{1", &reg);
	/* the pair is the core's again: a monitor needs its syncs */
	CHECK_EQ(__atomic_load_n(&cs_entry(&view, 1)->mode, __ATOMIC_ACQUIRE),
	    NMD_CS_DAEMON);
	CHECK_EQ(write(go[1], "g", 1), 1);
	mr = NETMAP_RXRING(m.nifp, 0);
	while (seen < NFRAMES / 2 && nt_now_ms() < until) {
		struct pollfd pfd = { m.fd, POLLIN, 0 };

		poll(&pfd, 1, 100);
		while (!nm_ring_empty(mr)) {
			struct netmap_slot *s = &mr->slot[mr->head];

			CHECK(s->len >= 18 && s->len <= mr->nr_buf_size);
			memcpy(&seq, NETMAP_BUF(mr, s->buf_idx) + 14,
			    sizeof(seq));
			CHECK(seen == 0 || seq > last);
			last = seq;
			seen++;
			mr->head = mr->cur = nm_ring_next(mr, mr->head);
		}
	}
	reap(tx);
	reap(rx);
	CHECK(seen > 0);
	printf("monitor: the pair lost nothing; its monitor saw %u frames "
	    "after it attached, in order\n", seen);
	unit_port_close(&m);
	munmap(view.ks, view.ks_size);
	unit_port_close(&keep);
}

/* Wait (bounded) until the sleepers of w read n; checks that they do. */
static void
sleepers_reach(struct nmd_kstate *w, uint32_t n)
{
	uint64_t until = nt_now_ms() + 10000;

	while (__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED) != n &&
	    nt_now_ms() < until)
		usleep(1000);
	CHECK_EQ(__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED), n);
}

/*
 * A child that opens `end` and sleeps in poll(POLLIN) until a frame
 * comes (exit 0) or 20 s pass (exit 1).
 */
static pid_t
poll_sleeper(const char *end)
{
	struct unit_port p;
	struct pollfd pfd;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid != 0)
		return pid;
	unit_port_open(&p, end, NULL);
	pfd.fd = p.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	_exit(poll(&pfd, 1, 20000) == 1 && (pfd.revents & POLLIN) ? 0 : 1);
}

static void
t_sleeper(const char *txname, const char *rxname)
{
	struct unit_port tx, hold;
	struct netmap_ring *r;
	struct cs_view view;
	struct nmd_kstate *w;
	uint8_t f[FLEN], src[6];
	pid_t dead, live;
	int st;

	unit_port_open(&tx, txname, NULL);
	/* one more binding of the reading port: its RX wake-up word */
	unit_port_open(&hold, rxname, NULL);
	cs_view(hold.fd, &view);
	w = &view.ks[view.l->wait[1]];
	CHECK_EQ(__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED), 0);
	dead = poll_sleeper(rxname);
	sleepers_reach(w, 1);
	live = poll_sleeper(rxname);
	sleepers_reach(w, 2);
	CHECK_EQ(kill(dead, SIGKILL), 0);
	CHECK_EQ(waitpid(dead, &st, 0), dead);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	sleepers_reach(w, 1);
	r = NETMAP_TXRING(tx.nifp, 0);
	nt_mac(src, 1);
	nt_frame(f, FLEN, NULL, src, 1);
	CHECK_EQ(nt_send(r, f, FLEN), 0);
	CHECK_EQ(ioctl(tx.fd, NIOCTXSYNC, NULL), 0);
	reap(live);
	/*
	 * The decisive check: the counts above may be met in passing (a
	 * sleeper steps out and in again every NMC_HUNG_MS), this one is
	 * not met at all if the dead one is still counted.
	 */
	sleepers_reach(w, 0);
	munmap(view.ks, view.ks_size);
	unit_port_close(&hold);
	unit_port_close(&tx);
	printf("sleeper %s: a client killed asleep is no longer counted; "
	    "the live one is woken\n", rxname);
}

/* CPU time of process pid so far, in clock ticks, from /proc. */
static uint64_t
cpu_ticks(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p != NULL);
	/* after ")": state, then fields 4..13, then utime and stime */
	CHECK_EQ(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st), 2);
	return ut + st;
}

static void
t_idle(void)
{
	uint64_t until = nt_now_ms() + 20000, t0;
	long hz = sysconf(_SC_CLK_TCK);
	int go[2];
	pid_t pid;
	char c;

	CHECK_EQ(pipe(go), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct unit_port p;
		struct netmap_ring *r;
		struct pollfd pfd;
		uint32_t got = 0;

		close(go[0]);
		unit_port_open(&p, "idl}1", NULL);
		r = NETMAP_RXRING(p.nifp, 0);
		pfd.fd = p.fd;
		pfd.events = POLLIN;
		while (got < NFRAMES && nt_now_ms() < until) {
			got += nm_ring_space(r);
			r->head = r->cur = r->tail;
			poll(&pfd, 1, 100);
		}
		CHECK_EQ(got, NFRAMES);
		CHECK_EQ(write(go[1], "x", 1), 1);
		_exit(poll(&pfd, 1, 1500) == 0 ? 0 : 1);
	}
	close(go[1]);
	usleep(100000);
	sender("idl{1", NFRAMES, until);
	CHECK_EQ(read(go[0], &c, 1), 1);
	close(go[0]);
	usleep(100000);		/* nothing arrives for 100 ms: asleep */
	t0 = cpu_ticks(pid);
	sleep(1);
	CHECK(cpu_ticks(pid) - t0 < (uint64_t)hz / 5);
	reap(pid);
	printf("idle: a reader with nothing to read uses less than 20%% "
	    "of a CPU\n");
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A witness pair txname -> rxname (the sender syncing in the client,
 * the receiver waiting in select(), which the daemon serves) while a
 * child runs scribble() for 2 s: neither crashes nor hangs, and frames
 * flow again once the scribbler stops.
 */
static void
scribble_under(const char *what, const char *txname, const char *rxname,
    void (*scribble)(uint64_t *seed))
{
	volatile uint32_t *phase = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *late = (uint32_t *)(uintptr_t)(phase + 1);
	uint64_t seed = unit_seed(what), until;
	pid_t rx, tx, sc;

	CHECK(phase != MAP_FAILED);
	until = nt_now_ms() + 6000;
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0) {
		receiver(rxname, UINT32_MAX, until, false, phase, late);
		_exit(0);
	}
	usleep(100000);
	tx = fork();
	CHECK(tx >= 0);
	if (tx == 0) {
		sender(txname, UINT32_MAX, until);
		_exit(0);
	}
	usleep(300000);
	sc = fork();
	CHECK(sc >= 0);
	if (sc == 0) {
		scribble(&seed);
		_exit(0);
	}
	reap(sc);
	usleep(200000);
	*phase = 1;
	reap(tx);
	reap(rx);
	printf("%s: the witness pair moved %u frames after it\n", what,
	    *late);
	CHECK(*late > 0);
	munmap((void *)(uintptr_t)phase, 4096);
}

/* The kring state of pipe sc's region (sc{1 is the witness's). */
static void
scribble_pipes(uint64_t *seed)
{
	uint64_t stop = nt_now_ms() + 2000, writes = 0;
	struct unit_port s;
	struct cs_view view;

	unit_port_open(&s, "sc{2", NULL);
	cs_view(s.fd, &view);
	while (nt_now_ms() < stop) {
		uint32_t *w = (uint32_t *)view.ks;
		size_t i, nw = view.ks_size / 4;

		for (i = 0; i < nw; i++)
			w[i] = (uint32_t)xorshift(seed);
		writes++;
		usleep(200);
	}
	printf("scribble: %llu passes over %zu bytes of kring state\n",
	    (unsigned long long)writes, view.ks_size);
	CHECK(writes > 0);
}

static void
t_scribble(void)
{
	scribble_under("scribble", "sc{1", "sc}1", scribble_pipes);
	transfer("sc");
}

/* ---- VALE: senders copy into their destinations' RX rings ---- */

#define VFRAMES		20000
#define VSLOTS		4096	/* RX slots: 270 ms of the paced sender */

/* A VALE port with RX rings of VSLOTS slots. */
static void
vport_open(struct unit_port *p, const char *name)
{
	struct nmreq_register reg;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_rx_slots = VSLOTS;
	unit_port_open(p, name, &reg);
}

/*
 * Receive sequenced frames on `name` until seq VFRAMES - 1 or the
 * deadline: each must be later than the one before, and none may be
 * missing. Tells `ready` once bound.
 */
static void
vreceiver(const char *name, int ready, uint64_t until_ms)
{
	struct unit_port p;
	struct netmap_ring *r;
	uint32_t got = 0, seq = 0;

	vport_open(&p, name);
	CHECK_EQ(write(ready, "r", 1), 1);
	r = NETMAP_RXRING(p.nifp, 0);
	while (got < VFRAMES && nt_now_ms() < until_ms) {
		struct pollfd pfd = { p.fd, POLLIN, 0 };

		while (!nm_ring_empty(r)) {
			struct netmap_slot *s = &r->slot[r->head];

			CHECK(s->len >= 18 && s->len <= r->nr_buf_size);
			memcpy(&seq, NETMAP_BUF(r, s->buf_idx) + 14,
			    sizeof(seq));
			if (seq != got)
				fprintf(stderr, "%s: frame %u where %u was "
				    "due\n", name, seq, got);
			CHECK_EQ(seq, got);
			got++;
			r->head = r->cur = nm_ring_next(r, r->head);
		}
		poll(&pfd, 1, 100);
	}
	CHECK_EQ(got, VFRAMES);
	unit_port_close(&p);
}

/* Frame seq of the VALE transfers: broadcast, from MAC 1. */
static int
vframe(struct netmap_ring *r, uint32_t seq)
{
	uint8_t f[FLEN], src[6];

	nt_mac(src, 1);
	nt_frame(f, FLEN, NULL, src, 1);
	memcpy(f + 14, &seq, sizeof(seq));
	return nt_send(r, f, FLEN);
}

/*
 * The sender's side of vtransfer: frames [from, to) of VFRAMES, 16 per
 * millisecond at most (VALE drops what its destination has no room
 * for; this is the witness's pace); before frame k, hook(k), which
 * returns how many frames it sent itself (k, k + 1, ...).
 */
static void
vsend(struct unit_port *p, uint32_t from, uint32_t to, uint64_t until_ms,
    uint32_t (*hook)(uint32_t, struct unit_port *))
{
	struct netmap_ring *r = NETMAP_TXRING(p->nifp, 0);
	uint32_t seq;

	for (seq = from; seq < to && nt_now_ms() < until_ms; ) {
		if (hook != NULL)
			seq += hook(seq, p);
		if (vframe(r, seq) == 0)
			seq++;
		if (seq % 16 == 0 || nm_ring_space(r) == 0) {
			if (ioctl(p->fd, NIOCTXSYNC, NULL) != 0)
				CHECK_EQ(errno, EBUSY);
			usleep(1000);
		}
	}
	while (nm_tx_pending(r) && nt_now_ms() < until_ms) {
		ioctl(p->fd, NIOCTXSYNC, NULL);
		usleep(1000);
	}
}

/*
 * Wait (5 s at most) until switch sw is gone: its ports' last
 * descriptors were closed, but the daemon lets them go when it reads
 * the EOF, a moment later (the module, at close).
 */
static void
vgone(const char *sw)
{
	uint64_t until = nt_now_ms() + 5000;
	struct nmreq_vale_list l;
	char name[64];
	int fd = unit_open(), r, e;

	snprintf(name, sizeof(name), "%s:a", sw);
	do {
		memset(&l, 0, sizeof(l));
		r = unit_ctrl(fd, NETMAP_REQ_VALE_LIST, name, &l);
		e = errno;
		if (r == 0)
			usleep(1000);
	} while (r == 0 && nt_now_ms() < until);
	CHECK(r == -1 && e == ENOENT);
	close(fd);
}

/* The entry of p's TX ring 0, for p's own process. */
static struct nmd_kstate *
vtx_entry(struct unit_port *p, struct cs_view *v)
{
	cs_view(p->fd, v);
	CHECK_EQ(v->l->kind, NMD_CS_VALE);
	return cs_entry(v, 0);
}

/*
 * VFRAMES sequenced frames sw:a -> sw:b, every one in order, hook(k,
 * port a) called by the sender before frame k (on a plain switch of two
 * ports this loses nothing: whatever hook does must not either).
 */
static void
vtransfer(const char *sw, uint32_t (*hook)(uint32_t, struct unit_port *))
{
	uint64_t until = nt_now_ms() + 60000;
	struct unit_port a;
	char na[64], nb[64], c;
	int ready[2];
	pid_t rx;

	snprintf(na, sizeof(na), "%s:a", sw);
	snprintf(nb, sizeof(nb), "%s:b", sw);
	vgone(sw);	/* a new switch (the last one's ports may linger) */
	CHECK_EQ(pipe(ready), 0);
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0) {
		vreceiver(nb, ready[1], until);
		_exit(0);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);
	vport_open(&a, na);
	/* a plain switch of two ports: its senders forward themselves */
	{
		struct cs_view v;

		CHECK_EQ(__atomic_load_n(&vtx_entry(&a, &v)->mode,
		    __ATOMIC_ACQUIRE), NMD_CS_CLIENT);
		munmap(v.ks, v.ks_size);
	}
	vsend(&a, 0, VFRAMES, until, hook);
	reap(rx);
	unit_port_close(&a);
}

/*
 * The producer lock of RX ring 0 of a port of our switch, mapped
 * through descriptor fd (a CSYNC of our switch's layout, then of that
 * port's kring state): port *port, or if that is -1 the first that is
 * neither us nor `not` (then *port says which).
 */
static uint32_t *
vport_qlock(int fd, int *port, int not, void **map, size_t *size)
{
	uint8_t *msg = malloc(NMD_MSG_MAX);
	const struct nmd_cs_swlayout *l;
	struct cs_view self;
	uint32_t i, *w = NULL;
	int mfd;

	CHECK(msg != NULL);
	cs_view(fd, &self);
	munmap(self.ks, self.ks_size);
	CHECK_EQ(cs_ask(fd, NMD_CSQ_SWITCH, msg, NMD_MSG_MAX, &mfd), 0);
	l = (const struct nmd_cs_swlayout *)(msg + sizeof(struct nmd_msg));
	for (i = 0; i < l->nports && w == NULL; i++) {
		const struct nmd_cs_swport *sp = &l->port[i];
		uint8_t r[sizeof(struct nmd_msg)];

		if (*port >= 0 ? sp->port != *port :
		    sp->port == self.l->self || sp->port == not)
			continue;
		CHECK_EQ(cs_ask(fd, NMD_CSQ(NMD_CSQ_KSTATE, sp->port), r,
		    sizeof(r), &mfd), 0);
		*size = ((struct nmd_msg *)r)->arg;
		*map = cs_map(mfd, *size);
		w = &((struct nmd_kstate *)*map)[sp->ks[0]].qlock;
		*port = sp->port;
	}
	free(msg);
	CHECK(w != NULL);
	return w;
}

/*
 * Half-way through a transfer, a client takes a lock of the VALE data
 * path and stops there; it is SIGKILLed stopped, and the transfer goes
 * on, every frame in order: `vlock_q` the destination's producer lock
 * (of b's RX ring, taken by the process of a third port), else the
 * sender's own TX ring lock (taken by a forked sharer of a's
 * descriptor).
 */
static bool vlock_q;
static uint32_t *vlock_word;
static void *vlock_map;
static size_t vlock_size;

static uint32_t
vlock_hook(uint32_t k, struct unit_port *a)
{
	struct cs_view va;
	void *map = NULL;
	size_t size = 0;
	int st, port = -1, tell[2];
	uint32_t *w;
	pid_t pid;

	if (k != VFRAMES / 2)
		return 0;
	CHECK_EQ(pipe(tell), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct unit_port y;

		if (vlock_q) {
			cs_view(a->fd, &va);
			vport_open(&y, vlock_q ? "valeK2:y" : "valeK1:y");
			w = vport_qlock(y.fd, &port, va.l->self, &map, &size);
		} else {
			w = &vtx_entry(a, &va)->lock;
		}
		CHECK_EQ(nmd_cs_lock(w, 1000), 0);
		CHECK_EQ(write(tell[1], &port, sizeof(port)), sizeof(port));
		raise(SIGSTOP);
		_exit(3);	/* never: SIGKILLed while stopped */
	}
	CHECK_EQ(read(tell[0], &port, sizeof(port)), sizeof(port));
	close(tell[0]);
	close(tell[1]);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	/* the lock names the stopped client */
	if (vlock_q)
		w = vport_qlock(a->fd, &port, -1, &map, &size);
	else
		w = &vtx_entry(a, &va)->lock;
	CHECK_EQ(__atomic_load_n(w, __ATOMIC_RELAXED) & ~NMD_CS_WAITERS,
	    (uint32_t)pid);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* taken over by our next sync (or delivery) */
	vlock_word = w;
	vlock_map = vlock_q ? map : va.ks;
	vlock_size = vlock_q ? size : va.ks_size;
	return 0;
}

static void
t_vlock(bool q)
{
	vlock_q = q;
	vtransfer(q ? "valeK2" : "valeK1", vlock_hook);
	CHECK(vlock_word != NULL);
	CHECK_EQ(__atomic_load_n(vlock_word, __ATOMIC_RELAXED) &
	    ~NMD_CS_WAITERS, 0);
	munmap(vlock_map, vlock_size);
	vlock_word = NULL;
	printf("vlock-%s: a client killed holding the %s; %u frames in "
	    "order\n", q ? "q" : "tx", q ? "destination's producer lock" :
	    "sender's TX ring lock", VFRAMES);
}

/*
 * The switch changes under traffic: a third port joins (a forked child
 * of the sender with a stale view sends through the doorbell) and
 * leaves (the senders' views are made anew), a monitor of the receiving port
 * attaches (the switch goes back to the doorbell: the core forwards)
 * and leaves, the third port joins and leaves again; then, the switch
 * empty, a new pair on it forwards in the client again. Nothing is lost
 * and the order is kept throughout.
 */
static struct unit_port vmode_c, vmode_m;

static uint32_t
vmode_of(struct unit_port *a)
{
	struct cs_view v;
	uint32_t mode = __atomic_load_n(&vtx_entry(a, &v)->mode,
	    __ATOMIC_ACQUIRE);

	munmap(v.ks, v.ks_size);
	return mode;
}

/*
 * A forked child of the sender, whose view of the switch went stale
 * after the fork (a port joined), sends frames k .. k + 15 on the shared
 * descriptor: it cannot ask for a view, so the doorbell serves it (the
 * daemon forwards with its own view). Returns the frames it sent.
 */
static uint32_t
vmode_child(uint32_t k, struct unit_port *a)
{
	struct netmap_ring *r = NETMAP_TXRING(a->nifp, 0);
	int go[2];
	uint32_t i;
	char c;
	pid_t pid;

	CHECK_EQ(pipe(go), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		CHECK_EQ(read(go[0], &c, 1), 1);
		for (i = 0; i < 16; i++)
			CHECK_EQ(vframe(r, k + i), 0);
		CHECK_EQ(ioctl(a->fd, NIOCTXSYNC, NULL), 0);
		CHECK(!nm_tx_pending(r));
		_exit(0);
	}
	close(go[0]);
	vport_open(&vmode_c, "valeM:c");
	CHECK_EQ(write(go[1], "g", 1), 1);
	close(go[1]);
	reap(pid);
	return 16;
}

static uint32_t
vmode_hook(uint32_t k, struct unit_port *a)
{
	struct nmreq_register reg;

	switch (k) {
	case VFRAMES / 8:
		return vmode_child(k, a);
	case VFRAMES / 2:
		vport_open(&vmode_c, "valeM:c");
		break;
	case 2 * VFRAMES / 8:
	case 5 * VFRAMES / 8:
		unit_port_close(&vmode_c);
		break;
	case 3 * VFRAMES / 8:
		CHECK_EQ(vmode_of(a), NMD_CS_CLIENT);
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_flags = NR_MONITOR_RX;
		reg.nr_rx_slots = VSLOTS;
		unit_port_open(&vmode_m, "valeM:b", &reg);
		/* the switch is the core's again: a monitor needs it */
		CHECK_EQ(vmode_of(a), NMD_CS_DAEMON);
		break;
	case 6 * VFRAMES / 8:
		unit_port_close(&vmode_m);
		/* until the switch is empty */
		CHECK_EQ(vmode_of(a), NMD_CS_DAEMON);
		break;
	}
	return 0;
}

static void
t_vmode(void)
{
	vtransfer("valeM", vmode_hook);
	/* empty, the switch is plain again: vtransfer checks the mode */
	vtransfer("valeM", NULL);
	printf("vmode: ports joining and leaving, a monitor attached and "
	    "gone, then a new pair: %u frames each, in order\n", VFRAMES);
}

/*
 * Random values over everything of switch sw's that port `name` can
 * write, for ms: the switches' memfd (generations, modes, MAC tables)
 * and the kring state of every port of the switch (locks, indices,
 * modes, wake-up words), its own included.
 */
static uint64_t
vscribble(const char *name, uint64_t ms, uint64_t *seed)
{
	struct {
		uint32_t *w;
		size_t nw;
	} map[8];
	uint8_t *msg = malloc(NMD_MSG_MAX);
	const struct nmd_cs_swlayout *l;
	uint64_t stop = nt_now_ms() + ms, passes = 0;
	struct unit_port c;
	struct cs_view v;
	int i, n = 0, mfd;

	CHECK(msg != NULL);
	vport_open(&c, name);
	cs_view(c.fd, &v);
	map[n].w = (uint32_t *)v.ks;
	map[n++].nw = v.ks_size / 4;
	CHECK_EQ(cs_ask(c.fd, NMD_CSQ_SWITCHES, msg, NMD_MSG_MAX, &mfd), 0);
	map[n].nw = ((struct nmd_msg *)msg)->arg / 4;
	map[n].w = cs_map(mfd, map[n].nw * 4);
	n++;
	CHECK_EQ(cs_ask(c.fd, NMD_CSQ_SWITCH, msg, NMD_MSG_MAX, &mfd), 0);
	l = (const struct nmd_cs_swlayout *)(msg + sizeof(struct nmd_msg));
	for (i = 0; i < (int)l->nports && n < 8; i++) {
		uint8_t r[sizeof(struct nmd_msg)];

		if (l->port[i].port == v.l->self)
			continue;
		CHECK_EQ(cs_ask(c.fd, NMD_CSQ(NMD_CSQ_KSTATE, l->port[i].port),
		    r, sizeof(r), &mfd), 0);
		map[n].nw = ((struct nmd_msg *)r)->arg / 4;
		map[n].w = cs_map(mfd, map[n].nw * 4);
		n++;
	}
	CHECK(n >= 4);		/* ours, the switches, a and b */
	while (nt_now_ms() < stop) {
		for (i = 0; i < n; i++) {
			size_t k;

			for (k = 0; k < map[i].nw; k++)
				map[i].w[k] = (uint32_t)xorshift(seed);
		}
		passes++;
		usleep(200);
	}
	free(msg);
	return passes;
}

/*
 * The other ways a switch goes back to the core: a vnet header set on
 * one of its ports (PORT_HDR_SET), and a persistent port attached. A
 * pair's sender is on the doorbell after each; the switch, emptied,
 * forwards in its clients again, losing nothing (vtransfer checks).
 */
static void
t_vtrig(void)
{
	struct nmreq_port_hdr ph = { .nr_hdr_len = 12 };
	struct nmreq_vale_newif nif;
	struct nmreq_vale_attach at;
	struct nmreq_vale_detach dt;
	struct unit_port a, b;

	vport_open(&b, "valeH:b");
	vport_open(&a, "valeH:a");
	CHECK_EQ(vmode_of(&a), NMD_CS_CLIENT);
	CHECK_EQ(unit_ctrl(a.fd, NETMAP_REQ_PORT_HDR_SET, "valeH:b", &ph), 0);
	CHECK_EQ(vmode_of(&a), NMD_CS_DAEMON);
	unit_port_close(&a);
	unit_port_close(&b);
	vtransfer("valeH", NULL);

	vport_open(&b, "valeA:b");
	vport_open(&a, "valeA:a");
	CHECK_EQ(vmode_of(&a), NMD_CS_CLIENT);
	memset(&nif, 0, sizeof(nif));
	CHECK_EQ(unit_ctrl(a.fd, NETMAP_REQ_VALE_NEWIF, "vtp0", &nif), 0);
	memset(&at, 0, sizeof(at));
	at.reg.nr_mode = NR_REG_ALL_NIC;
	CHECK_EQ(unit_ctrl(a.fd, NETMAP_REQ_VALE_ATTACH, "valeA:vtp0", &at), 0);
	CHECK_EQ(vmode_of(&a), NMD_CS_DAEMON);
	memset(&dt, 0, sizeof(dt));
	CHECK_EQ(unit_ctrl(a.fd, NETMAP_REQ_VALE_DETACH, "valeA:vtp0", &dt), 0);
	CHECK_EQ(unit_ctrl(a.fd, NETMAP_REQ_VALE_DELIF, "vtp0", NULL), 0);
	/* until the switch is empty */
	CHECK_EQ(vmode_of(&a), NMD_CS_DAEMON);
	unit_port_close(&a);
	unit_port_close(&b);
	vtransfer("valeA", NULL);
	printf("vtrig: PORT_HDR_SET and a persistent port sent their switches "
	    "to the doorbell; emptied, each forwards in the client again\n");
}

#define MIX_PORTS	4
#define MIX_NOBODY	MIX_PORTS	/* a MAC the switch never saw */
#define MIX_FLOOD	255		/* dst: broadcast */

/* What the model of the switch says a port of vmix gets. */
struct mix_want {
	uint32_t n, room;
	uint32_t len[1024], seed[1024];
	uint8_t dst[1024];
};

/* The port takes the frame if it has room for all its slots. */
static void
vmix_model(struct mix_want *w, uint32_t len, uint8_t dst, uint32_t seed,
    uint32_t bufsz)
{
	uint32_t nfrags = (len + bufsz - 1) / bufsz;

	if (nfrags > w->room)
		return;		/* dropped whole */
	w->room -= nfrags;
	CHECK(w->n < 1024);
	w->len[w->n] = len;
	w->dst[w->n] = dst;
	w->seed[w->n++] = seed;
}

/*
 * One TX sync of port 0 of a 4-port switch whose MACs are learned: frames
 * to ports 1, 2 and 3 interleaved, broadcasts and frames to an unknown
 * MAC (both flooded) among them, frames back to port 0 and runts (both
 * dropped), of one to five slots: the forwarder's batches (512 slots)
 * are crossed, and port 1, which holds frames already, has room for only
 * some. Then each port reads exactly what a model of the switch says:
 * its frames in order and intact, those that found no room dropped
 * whole and later ones that fit still there. With `monitor` a monitor
 * on port 3 sends the switch to the core: both forwarders must agree.
 */
static void
vmix_run(const char *sw, bool monitor)
{
	static const uint32_t lens[] = {
		60, 61, 64, 1514, 2048, 2049, 4097, 9000,
	};
	static uint8_t f[NT_MAXFRAME], g[NT_MAXFRAME];
	static struct mix_want want[MIX_PORTS];
	struct unit_port p[MIX_PORTS], mon;
	struct netmap_ring *tx;
	uint8_t mac[MIX_PORTS + 1][6];
	uint64_t rnd = 4242;
	uint32_t bufsz, seed = 0, len, i, q, k = 0, run;
	char name[64];

	vgone(sw);
	for (q = 0; q <= MIX_NOBODY; q++)
		nt_mac(mac[q], 0x200 + q);
	for (q = 0; q < MIX_PORTS; q++) {
		snprintf(name, sizeof(name), "%s:p%u", sw, q);
		unit_port_open(&p[q], name, NULL);
	}
	if (monitor) {
		struct nmreq_register reg;

		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_flags = NR_MONITOR_RX;
		reg.nr_rx_slots = VSLOTS;
		snprintf(name, sizeof(name), "%s:p3", sw);
		unit_port_open(&mon, name, &reg);
	}
	CHECK_EQ(vmode_of(&p[0]), monitor ? NMD_CS_DAEMON : NMD_CS_CLIENT);
	tx = NETMAP_TXRING(p[0].nifp, 0);
	bufsz = tx->nr_buf_size;
	/* each speaks once; all read and give their slots back */
	for (q = 0; q < MIX_PORTS; q++) {
		nt_frame(f, 60, NULL, mac[q], q);
		CHECK_EQ(nt_send(NETMAP_TXRING(p[q].nifp, 0), f, 60), 0);
		CHECK_EQ(ioctl(p[q].fd, NIOCTXSYNC, NULL), 0);
	}
	for (q = 0; q < MIX_PORTS; q++) {
		struct netmap_ring *r = NETMAP_RXRING(p[q].nifp, 0);

		CHECK_EQ(ioctl(p[q].fd, NIOCRXSYNC, NULL), 0);
		for (i = 0; i < MIX_PORTS - 1; i++)
			CHECK_EQ(nt_recv(r, g, sizeof(g)), 60);
		CHECK_EQ(ioctl(p[q].fd, NIOCRXSYNC, NULL), 0);
		CHECK(nm_ring_empty(r));
		want[q].n = 0;
		want[q].room = r->num_slots - 1;
	}
	/* port 1 fills up, all but 40 slots */
	while (want[1].room > 40) {
		nt_frame(f, 60, mac[1], mac[0], ++seed);
		CHECK_EQ(nt_send(tx, f, 60), 0);
		vmix_model(&want[1], 60, 1, seed, bufsz);
	}
	CHECK_EQ(ioctl(p[0].fd, NIOCTXSYNC, NULL), 0);
	/* the mix, in one sync: runs of 1 to 8 frames to one place */
	for (run = 0;; run--) {
		uint8_t d;
		bool runt;

		if (run == 0) {
			k = (uint32_t)(unit_rand(&rnd) % 20);
			run = 1 + (uint32_t)(unit_rand(&rnd) % 8);
		}
		d = k < 8 ? 1 : k < 11 ? 2 : k < 14 ? 3 : k < 17 ?
		    MIX_FLOOD : k < 18 ? 0 : k < 19 ? MIX_FLOOD : MIX_NOBODY;
		runt = k == 18;
		len = runt ? 13 : lens[unit_rand(&rnd) % 8];
		nt_frame(f, len, d == MIX_FLOOD ? NULL : mac[d], mac[0],
		    ++seed);
		if (nt_send(tx, f, len) != 0)
			break;
		for (q = 1; q < MIX_PORTS && !runt; q++)
			if (d == q || d == MIX_FLOOD || d == MIX_NOBODY)
				vmix_model(&want[q], len, d, seed, bufsz);
	}
	CHECK(nm_ring_space(tx) < 5);
	CHECK_EQ(ioctl(p[0].fd, NIOCTXSYNC, NULL), 0);
	CHECK(!nm_tx_pending(tx));
	for (q = 0; q < MIX_PORTS; q++) {
		struct netmap_ring *r = NETMAP_RXRING(p[q].nifp, 0);
		struct mix_want *w = &want[q];

		CHECK_EQ(ioctl(p[q].fd, NIOCRXSYNC, NULL), 0);
		for (i = 0; i < w->n; i++) {
			nt_frame(f, w->len[i], w->dst[i] == MIX_FLOOD ? NULL :
			    mac[w->dst[i]], mac[0], w->seed[i]);
			CHECK_EQ(nt_recv(r, g, sizeof(g)), w->len[i]);
			CHECK(memcmp(f, g, w->len[i]) == 0);
		}
		CHECK(nm_ring_empty(r));
	}
	CHECK(want[1].room < 5);	/* it did fill up */
	CHECK(want[2].n > 50 && want[3].n > 50);
	if (monitor)
		unit_port_close(&mon);
	for (q = 0; q < MIX_PORTS; q++)
		unit_port_close(&p[q]);
}

static void
t_vmix(void)
{
	vmix_run("valeX", false);
	vmix_run("valeY", true);
	printf("vmix: one sync of frames to three ports, broadcasts, runts, "
	    "a full port: each port got what the model says, in the client "
	    "and in the core\n");
}

/*
 * vquota PER: the kring state memfd of a VALE port's region is charged
 * to its connection (as a pipe's). PER 0: a port with VSLOTS RX slots
 * syncs in the client; its region's charge (whole host pages) is
 * printed for the next run. PER, that charge, given by -m: a port with
 * the default rings syncs in the client; the big port's region fits its
 * quota but its kring state does not, so it keeps to the core, and so
 * must its switch: the first port's entries say so, and frames still
 * reach the big port, in order, through the core.
 */
static void
t_vquota(const char *arg)
{
	uint64_t per = strtoull(arg, NULL, 0), pg = (uint64_t)sysconf(
	    _SC_PAGESIZE), charged;
	struct netmap_ring *tx, *rx;
	struct unit_port a, b;
	uint8_t f[FLEN];
	uint32_t i, seq;

	if (per == 0) {
		vport_open(&b, "valeQ:b");
		CHECK_EQ(vmode_of(&b), NMD_CS_CLIENT);
		printf("%llu\n", (unsigned long long)((b.reg.nr_memsize + pg -
		    1) & ~(pg - 1)));
		unit_port_close(&b);
		return;
	}
	unit_port_open(&a, "valeQ:a", NULL);
	CHECK_EQ(vmode_of(&a), NMD_CS_CLIENT);
	vport_open(&b, "valeQ:b");
	charged = (b.reg.nr_memsize + pg - 1) & ~(pg - 1);
	CHECK_EQ(charged, per);
	CHECK_EQ(vmode_of(&a), NMD_CS_DAEMON);
	tx = NETMAP_TXRING(a.nifp, 0);
	rx = NETMAP_RXRING(b.nifp, 0);
	for (i = 0; i < 100; i++)
		CHECK_EQ(vframe(tx, i), 0);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, NULL), 0);
	CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, NULL), 0);
	for (i = 0; i < 100; i++) {
		CHECK(!nm_ring_empty(rx));
		CHECK_EQ(nt_recv(rx, f, sizeof(f)), FLEN);
		memcpy(&seq, f + 14, sizeof(seq));
		CHECK_EQ(seq, i);
	}
	unit_port_close(&b);
	unit_port_close(&a);
	printf("vquota: over the quota, the port and its switch keep to the "
	    "core; 100 frames in order\n");
}

static void
scribble_switch(uint64_t *seed)
{
	printf("vscribble: %llu passes over the switch's state\n",
	    (unsigned long long)vscribble("valeW:c", 2000, seed));
}

/*
 * A client scribbles its switch's shared state for 2 s while a witness
 * pair of the switch runs; then a new pair on the switch loses nothing.
 */
static void
t_vscribble(void)
{
	scribble_under("vscribble", "valeW:a", "valeW:b", scribble_switch);
	vtransfer("valeW", NULL);
}

/* vchurn: open and close ports of valeK until `until`, as fast as it can. */
static void
vchurn_ports(int id, uint64_t until)
{
	struct unit_port p;
	char name[32];
	unsigned int n = 0;

	while (nt_now_ms() < until) {
		snprintf(name, sizeof(name), "valeK:c%d%u", id, n++ % 4);
		unit_port_open(&p, name, NULL);
		unit_port_close(&p);
	}
	_exit(0);
}

/*
 * A client asks for the memfds of the other ports of its switch (as a
 * sender's view does) while two processes make and delete ports there
 * for 2 s. Every answer is EINVAL (the port went) or a memfd of the
 * size the reply gives; the connection stays. Before, the daemon sent
 * the descriptor after letting go of the core lock: a port deleted in
 * between made the send fail with EBADF and the daemon drop the asking
 * client (nmc_storm found it), or, its number reused, would have
 * handed the client an unrelated descriptor of the daemon's.
 */
static void
t_vchurn(void)
{
	static const int kinds[] = { NMD_CSQ_REGION, NMD_CSQ_KSTATE };
	uint64_t until = nt_now_ms() + 2000;
	const struct nmd_cs_swlayout *l;
	unsigned long asked = 0, sent = 0;
	struct cs_view self;
	struct unit_port a;
	uint8_t *msg = malloc(NMD_MSG_MAX);
	pid_t churn[2];
	uint32_t i;
	int k, mfd;

	CHECK(msg != NULL);
	vport_open(&a, "valeK:a");
	cs_view(a.fd, &self);
	munmap(self.ks, self.ks_size);
	for (k = 0; k < 2; k++) {
		churn[k] = fork();
		CHECK(churn[k] >= 0);
		if (churn[k] == 0)
			vchurn_ports(k, until);
	}
	while (nt_now_ms() < until) {
		CHECK_EQ(cs_ask(a.fd, NMD_CSQ_SWITCH, msg, NMD_MSG_MAX, &mfd),
		    0);
		CHECK_EQ(mfd, -1);
		l = (const struct nmd_cs_swlayout *)(msg +
		    sizeof(struct nmd_msg));
		for (i = 0; i < l->nports; i++) {
			uint8_t r[sizeof(struct nmd_msg)];
			int e;

			if (l->port[i].port == self.l->self)
				continue;
			for (k = 0; k < 2; k++) {
				e = cs_ask(a.fd, NMD_CSQ(kinds[k],
				    l->port[i].port), r, sizeof(r), &mfd);
				asked++;
				if (e != 0) {
					CHECK_EQ(e, EINVAL);
					CHECK_EQ(mfd, -1);
					continue;
				}
				CHECK_EQ(nmc_check_memfd(mfd,
				    ((struct nmd_msg *)r)->arg), 0);
				close(mfd);
				sent++;
			}
		}
	}
	reap(churn[0]);
	reap(churn[1]);
	unit_port_close(&a);
	free(msg);
	CHECK(sent > 0);
	printf("vchurn: %lu memfds of ports coming and going asked for, "
	    "%lu sent, all memfds\n", asked, sent);
}

int
main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	bool all = strcmp(which, "all") == 0;

	if (argc == 3 && strcmp(which, "vquota") == 0) {
		setenv("NETMAP_HOST", "user", 1);
		t_vquota(argv[2]);
		return 0;
	}

	setenv("NETMAP_HOST", "user", 1);
	/* line by line: a forked child must not print our lines again */
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(120);		/* a hang detector, not a timing check */
	if (all || strcmp(which, "lock-tx") == 0)
		t_lock("lkt", 0);
	if (all || strcmp(which, "lock-rx") == 0)
		t_lock("lkr", 1);
	if (all || strcmp(which, "scribble") == 0)
		t_scribble();
	if (all || strcmp(which, "monitor") == 0)
		t_monitor();
	if (all || strcmp(which, "vlock-tx") == 0)
		t_vlock(false);
	if (all || strcmp(which, "vlock-q") == 0)
		t_vlock(true);
	if (all || strcmp(which, "vmode") == 0)
		t_vmode();
	if (all || strcmp(which, "vtrig") == 0)
		t_vtrig();
	if (all || strcmp(which, "vmix") == 0)
		t_vmix();
	if (all || strcmp(which, "vscribble") == 0)
		t_vscribble();
	if (all || strcmp(which, "vchurn") == 0)
		t_vchurn();
	if (all || strcmp(which, "sleeper") == 0) {
		t_sleeper("slp{1", "slp}1");
		t_sleeper("valeZ:a", "valeZ:b");
	}
	if (all || strcmp(which, "idle") == 0)
		t_idle();
	UNIT_DONE("nmd_csync");
}
