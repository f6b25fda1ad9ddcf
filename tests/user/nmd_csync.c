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
 *             pipe, counted in its wake-up word; one is SIGKILLed asleep:
 *             once its descriptor is gone the daemon takes its count
 *             back (the word reads 1, the live sleeper), so senders do
 *             not pay a futex_wake per sync for good; the live one is
 *             still woken by a frame, and the word is back at 0.
 *   idle      a reader in poll(POLLIN) that has just taken a burst of
 *             frames, then gets nothing: it sleeps. Its CPU time over
 *             1 s of that, from /proc (not timing), stays below 20 %.
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

#include "nmd_test.h"
#include "nmc.h"
#include "nmd_csync.h"

int unit_checks;

#define NFRAMES		20000
#define FLEN		60

/* The kring state of fd's region, mapped, and fd's layout. */
struct cs_view {
	struct nmd_kstate *ks;
	size_t ks_size;
	uint8_t msg[NMD_MSG_MAX];
	const struct nmd_cs_layout *l;
};

static void
cs_view(int fd, struct cs_view *v)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_CSYNC, .len = sizeof(m),
	};
	struct nmc_port *p;
	bool closed;
	ssize_t n;
	int ksfd;

	p = nmc_hold(fd, &closed);
	CHECK(p != NULL);
	n = nmc_call(fd, p, &m, sizeof(m), v->msg, sizeof(v->msg), &ksfd);
	nmc_release(fd);
	CHECK(n > (ssize_t)(sizeof(m) + sizeof(*v->l)));
	CHECK_EQ(((struct nmd_msg *)v->msg)->error, 0);
	CHECK(ksfd >= 0);
	v->l = (const struct nmd_cs_layout *)(v->msg + sizeof(m));
	v->ks_size = ((struct nmd_msg *)v->msg)->arg;
	v->ks = mmap(NULL, v->ks_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ksfd, 0);
	CHECK(v->ks != MAP_FAILED);
	close(ksfd);
}

/* The entry of the first bound ring of direction t. */
static struct nmd_kstate *
cs_entry(const struct cs_view *v, int t)
{
	CHECK(v->l->nrings[t] > 0);
	return &v->ks[v->l->ring[t == 0 ? 0 : v->l->nrings[0]].ks];
}

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
		CHECK_EQ(nmd_cs_lock(cs_entry(&view, t), 1000), 0);
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
t_sleeper(void)
{
	struct unit_port tx;
	struct netmap_ring *r;
	struct cs_view view;
	struct nmd_kstate *w;
	uint8_t f[FLEN], src[6];
	pid_t dead, live;
	int st;

	unit_port_open(&tx, "slp{1", NULL);
	cs_view(tx.fd, &view);
	/* the reading end's RX wake-up word */
	w = &view.ks[view.l->ring[0].peer_wait];
	CHECK_EQ(__atomic_load_n(&w->sleepers, __ATOMIC_RELAXED), 0);
	dead = poll_sleeper("slp}1");
	sleepers_reach(w, 1);
	live = poll_sleeper("slp}1");
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
	sleepers_reach(w, 0);
	munmap(view.ks, view.ks_size);
	unit_port_close(&tx);
	printf("sleeper: a client killed asleep is no longer counted; "
	    "the live one is woken\n");
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

static void
t_scribble(void)
{
	volatile uint32_t *phase = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *late = (uint32_t *)(uintptr_t)(phase + 1);
	uint64_t seed = unit_seed("scribble"), until, writes = 0;
	struct unit_port s;
	struct cs_view view;
	pid_t rx, tx, sc;

	CHECK(phase != MAP_FAILED);
	until = nt_now_ms() + 6000;
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0) {
		receiver("sc}1", UINT32_MAX, until, false, phase, late);
		_exit(0);
	}
	usleep(100000);
	tx = fork();
	CHECK(tx >= 0);
	if (tx == 0) {
		sender("sc{1", UINT32_MAX, until);
		_exit(0);
	}
	usleep(300000);
	sc = fork();
	CHECK(sc >= 0);
	if (sc == 0) {
		uint64_t stop = nt_now_ms() + 2000;

		unit_port_open(&s, "sc{2", NULL);
		cs_view(s.fd, &view);
		while (nt_now_ms() < stop) {
			uint32_t *w = (uint32_t *)view.ks;
			size_t i, nw = view.ks_size / 4;

			for (i = 0; i < nw; i++)
				w[i] = (uint32_t)xorshift(&seed);
			writes++;
			usleep(200);
		}
		printf("scribble: %llu passes over %zu bytes of kring "
		    "state\n", (unsigned long long)writes, view.ks_size);
		fflush(stdout);
		_exit(writes > 0 ? 0 : 1);
	}
	reap(sc);
	usleep(200000);
	*phase = 1;
	reap(tx);
	reap(rx);
	printf("scribble: the witness pair moved %u frames after it\n",
	    *late);
	CHECK(*late > 0);
	transfer("sc");
}

int
main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	bool all = strcmp(which, "all") == 0;

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
	if (all || strcmp(which, "sleeper") == 0)
		t_sleeper();
	if (all || strcmp(which, "idle") == 0)
		t_idle();
	UNIT_DONE("nmd_csync");
}
