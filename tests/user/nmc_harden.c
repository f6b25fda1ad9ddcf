// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_harden.c: what the client library guarantees when something goes
 * wrong around it (issue 12). `nmc_harden NAME [ARG]` runs one test:
 *
 *   race    threads call ioctl, poll and mmap on a descriptor that
 *           another thread closes (close, close_range): each call
 *           completes or fails with EBADF (POLLNVAL for poll), never
 *           crashes (run under ASan)
 *   dup2    dup2 onto a descriptor that a poll() in another thread
 *           is using fails with EBUSY, and works once it returned
 *   stop    a forked child shares the descriptor and stops itself
 *           (SIGSTOP) inside the lock its syncs take: the parent's
 *           syncs fail with EBUSY meanwhile, and both go on after
 *           SIGCONT; on a VALE port that syncs in the client (the TX
 *           ring's lock) and on one that rings the doorbell (the
 *           doorbell's lock: a monitor on its switch)
 *   enotty  ioctls netmap does not know fail with ENOTTY, as in the
 *           kernel module
 *   fork    threads sync and poll a VALE port (every call takes the
 *           port's client-side locks) while another thread forks
 *           children that sync and mmap it: no child hangs on a lock
 *           that a thread of its parent held at the fork
 *   dead    PID: two processes in a pipe transfer, under a 1 ms timer
 *           signal; PID (the daemon) is SIGKILLed: both see their sync
 *           or poll fail with EIO
 *   openrace   one thread opens and closes /dev/netmap in a loop while
 *           others make control requests on the number it gets, which
 *           they may meet (and attach to) before open() returned: no
 *           crash, the lock of the doorbell made once (nmc_storm met
 *           this; ASan checks)
 *   ownerdead  a forked child dies holding the doorbell's lock; the
 *           parent drops its pending WAKEs (nmc_drain, as poll and
 *           epoll_wait do when the socket is readable): the lock comes
 *           back usable, a control request from another thread works
 *           (not EBUSY)
 *   fcntl   the interposed fcntl and fcntl64 pass every argument through
 *           unchanged: record locks (F_SETLK, F_GETLK from a child, with
 *           struct flock and struct flock64, F_OFD_*), F_GETFL/F_SETFL
 *           and F_SETOWN with a negative owner (a process group), on a
 *           file and on a netmap descriptor, which still works after
 *   sleeper a forked child SIGKILLed asleep in poll() on a pipe end that
 *           syncs in the client, reaped at once, then one left a
 *           zombie: the daemon takes its count back from the port's
 *           wake-up word while the parent keeps the descriptor (within
 *           10 s, a hang bound), frees its slot in the bell, and the
 *           parent's traffic on the pair is intact
 *   fault   NAME...: against a daemon that fails one allocation of
 *           each REGISTER and VALE_ATTACH (NM_FAULT_ALLOC, fault.sh),
 *           a REGISTER of each NAME (+NAME: a VALE_ATTACH) works or
 *           fails with ENOMEM, and a failed one leaves nothing half
 *           done (the descriptor registers again, the port is not on
 *           the switch); prints the outcome of each
 *
 * The caller runs a daemon ($NETMAP_SOCKET, see tests/user/lib.sh).
 * Fake daemons are in nmc_fake.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "nmd_csview.h"

int unit_checks;

static uint8_t fbuf[NT_MAXFRAME], rbuf[NT_MAXFRAME];

/* Reap a child that must exit 0 within the alarm the caller set. */
static void
reap(pid_t pid)
{
	int st;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "child %d: status 0x%x\n", (int)pid, st);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- race: close() against calls in flight ---- */

struct racer {
	int fd;
	int kind;		/* 0 ioctl, 1 poll, 2 mmap */
	size_t memsize;
	volatile int stop;
	unsigned ok, badf;
};

static void *
racer_run(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		struct pollfd pfd = { r->fd, POLLIN | POLLOUT, 0 };
		void *m;
		int rv;

		switch (r->kind) {
		case 0:
			rv = ioctl(r->fd, NIOCTXSYNC, NULL);
			if (rv != 0 && errno != EBADF)
				fprintf(stderr, "race: txsync: %s\n",
				    strerror(errno));
			CHECK(rv == 0 || errno == EBADF);
			break;
		case 1:
			rv = poll(&pfd, 1, 0);
			CHECK(rv == 1);
			CHECK(!(pfd.revents & POLLERR));
			rv = (pfd.revents & POLLNVAL) ? -1 : 0;
			break;
		default:
			m = mmap(NULL, r->memsize, PROT_READ, MAP_SHARED,
			    r->fd, 0);
			rv = m == MAP_FAILED ? -1 : 0;
			CHECK(rv == 0 || errno == EBADF);
			if (m != MAP_FAILED)
				munmap(m, r->memsize);
			break;
		}
		if (rv == 0) {
			r->ok++;
		} else {
			r->badf++;
			break;		/* closed; the number may be reused */
		}
	}
	return NULL;
}

static void
t_race(void)
{
	uint64_t seed = unit_seed("race");
	unsigned ok = 0, badf = 0;
	int i;

	for (i = 0; i < 300; i++) {
		struct racer r[3];
		pthread_t t[3];
		struct unit_port p;
		int k;

		unit_port_open(&p, "valeR:r", NULL);
		for (k = 0; k < 3; k++) {
			memset(&r[k], 0, sizeof(r[k]));
			r[k].fd = p.fd;
			r[k].kind = k;
			r[k].memsize = p.reg.nr_memsize;
			CHECK_EQ(pthread_create(&t[k], NULL, racer_run, &r[k]),
			    0);
		}
		usleep((useconds_t)(unit_rand(&seed) % 2000));
		munmap(p.mem, p.reg.nr_memsize);
		/* Every other round through close_range. */
		if (i & 1)
			CHECK_EQ(close_range((unsigned)p.fd, (unsigned)p.fd, 0),
			    0);
		else
			CHECK_EQ(close(p.fd), 0);
		for (k = 0; k < 3; k++) {
			r[k].stop = 1;
			CHECK_EQ(pthread_join(t[k], NULL), 0);
			ok += r[k].ok;
			badf += r[k].badf;
		}
	}
	printf("race: %u calls completed, %u failed with EBADF\n", ok, badf);
	CHECK(badf > 0);
}

/* ---- dup2: onto a descriptor a call is using ---- */

static volatile int poller_in;

static void *
poller_run(void *arg)
{
	struct pollfd pfd = { *(int *)arg, POLLIN, 0 };

	poller_in = 1;
	CHECK_EQ(poll(&pfd, 1, 3000), 0);	/* nothing comes */
	return NULL;
}

static void
t_dup2(void)
{
	struct unit_port a, b;
	pthread_t t;

	unit_port_open(&a, "valeD:a", NULL);
	unit_port_open(&b, "valeD:b", NULL);
	CHECK_EQ(pthread_create(&t, NULL, poller_run, &a.fd), 0);
	while (!poller_in)
		usleep(1000);
	usleep(500000);		/* the poller is in poll() by now */
	CHECK_ERR(dup2(b.fd, a.fd), EBUSY);
	CHECK_EQ(pthread_join(t, NULL), 0);
	/* Idle now: a's number becomes a second descriptor of b. */
	CHECK_EQ(dup2(b.fd, a.fd), a.fd);
	CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, NULL), 0);
	CHECK_EQ(close(a.fd), 0);
	CHECK_EQ(ioctl(b.fd, NIOCTXSYNC, NULL), 0);
	munmap(a.mem, a.reg.nr_memsize);
	unit_port_close(&b);
}

/* ---- stop: a stopped sharer does not block the others ---- */

/*
 * The lock a TXSYNC of fd takes: its TX ring's in the kring state when
 * the port syncs in the client (the entry says so), else the doorbell's.
 * Returns the ring lock's word, or NULL for the doorbell's.
 */
static uint32_t *
stop_lock(int fd, struct cs_view *v)
{
	struct nmc_port *p;
	bool closed;

	if (v->ks != NULL && __atomic_load_n(&cs_entry(v, 0)->mode,
	    __ATOMIC_ACQUIRE) == NMD_CS_CLIENT) {
		CHECK_EQ(nmd_cs_lock(&cs_entry(v, 0)->lock, 1000), 0);
		return &cs_entry(v, 0)->lock;
	}
	p = nmc_hold(fd, &closed);
	CHECK(p != NULL);
	CHECK_EQ(pthread_mutex_lock(&p->bell->lock), 0);
	nmc_release(fd);
	return NULL;
}

static void
stop_unlock(int fd, uint32_t *word)
{
	struct nmc_port *p;
	bool closed;

	if (word != NULL) {
		nmd_cs_unlock(word);
		return;
	}
	p = nmc_hold(fd, &closed);
	CHECK(p != NULL);
	CHECK_EQ(pthread_mutex_unlock(&p->bell->lock), 0);
	nmc_release(fd);
}

/*
 * A forked child shares port `name` and syncs it in a loop; twice it
 * takes the lock a sync takes and stops itself there (SIGSTOP): every
 * sync of ours meanwhile fails with EBUSY. After SIGCONT both go on.
 * `client`: whether the port syncs in the client (the ring's lock) or
 * through the doorbell (the doorbell's lock); checked.
 */
static void
stop_one(const char *name, bool client)
{
	struct unit_port p;
	struct cs_view v = { 0 };
	unsigned busy = 0, done = 0;
	int i, st, ksfd;
	pid_t pid;

	unit_port_open(&p, name, NULL);
	if (cs_ask(p.fd, NMD_CSQ_PORT, v.msg, sizeof(v.msg), &ksfd) == 0) {
		v.l = (const struct nmd_cs_layout *)(v.msg +
		    sizeof(struct nmd_msg));
		v.ks_size = ((struct nmd_msg *)v.msg)->arg;
		v.ks = cs_map(ksfd, v.ks_size);
	}
	CHECK_EQ(v.ks != NULL && __atomic_load_n(&cs_entry(&v, 0)->mode,
	    __ATOMIC_ACQUIRE) == NMD_CS_CLIENT, client);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGKILL), 0);
		for (i = 0; i < 2; i++) {
			uint32_t *w = stop_lock(p.fd, &v);

			raise(SIGSTOP);
			stop_unlock(p.fd, w);
			if (ioctl(p.fd, NIOCTXSYNC, NULL) != 0 &&
			    errno != EBUSY)
				_exit(2);
		}
		for (;;)
			if (ioctl(p.fd, NIOCTXSYNC, NULL) != 0 &&
			    errno != EBUSY)
				_exit(2);
	}
	alarm(30);		/* a hang detector, not a timing check */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
		CHECK(WIFSTOPPED(st));
		/* stopped inside the lock: we wait for it, then give up */
		CHECK_ERR(ioctl(p.fd, NIOCTXSYNC, NULL), EBUSY);
		busy++;
		CHECK_EQ(kill(pid, SIGCONT), 0);
		if (ioctl(p.fd, NIOCTXSYNC, NULL) == 0)
			done++;
		else
			CHECK_EQ(errno, EBUSY);
	}
	/* Both go on: the child is still syncing, and so are we. */
	usleep(50000);
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	CHECK_EQ(kill(pid, SIGCONT), 0);
	CHECK_EQ(waitpid(pid, NULL, WNOHANG), 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	alarm(0);
	printf("stop: %s: %u syncs done, %u EBUSY while the sharer was "
	    "stopped in the lock\n", client ? "in the client" : "doorbell",
	    done, busy);
	if (v.ks != NULL)
		munmap(v.ks, v.ks_size);
	unit_port_close(&p);
}

static void
t_stop(void)
{
	struct unit_port s, m;
	struct nmreq_register reg;

	stop_one("valeS:s", true);
	/* a monitor on the switch: its ports go back to the doorbell */
	unit_port_open(&s, "valeT:s", NULL);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_MONITOR_TX;
	unit_port_open(&m, "valeT:s", &reg);
	stop_one("valeT:t", false);
	unit_port_close(&m);
	unit_port_close(&s);
}

/* ---- enotty ---- */

static void
t_enotty(void)
{
	struct unit_port p;
	int v = 0;

	unit_port_open(&p, "valeT:t", NULL);
	CHECK_ERR(ioctl(p.fd, _IO('i', 0x7f), NULL), ENOTTY);
	CHECK_ERR(ioctl(p.fd, NIOCCONFIG, &v), ENOTTY);
	CHECK_ERR(ioctl(p.fd, _IOWR('x', 1, int), &v), ENOTTY);
	/* Still a working port. */
	CHECK_EQ(ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	unit_port_close(&p);
	/* Before REGISTER too. */
	p.fd = unit_open();
	CHECK_ERR(ioctl(p.fd, _IO('i', 0x7f), NULL), ENOTTY);
	close(p.fd);
}

/* ---- dead: the daemon dies under two busy clients ---- */

static void
on_tick(int sig)
{
	(void)sig;
}

/*
 * Syncs and polls until one fails; that failure must be EIO. A timer
 * signal every millisecond interrupts every wait, as a profiler's or a
 * rate limiter's would: the client must notice the dead daemon anyway.
 */
static void
dead_peer(const char *name, bool tx, int ready)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	struct sigaction sa;
	struct unit_port p;
	struct netmap_ring *r;
	bool told = false;
	uint8_t src[6];

	CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGKILL), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	unit_port_open(&p, name, NULL);
	r = tx ? NETMAP_TXRING(p.nifp, 0) : NETMAP_RXRING(p.nifp, 0);
	nt_mac(src, tx ? 1 : 2);
	nt_frame(fbuf, 1000, NULL, src, 1);
	for (;;) {
		struct pollfd pfd = { p.fd, tx ? POLLOUT : POLLIN, 0 };
		int rv;

		/* The sender's poll has a timeout, the receiver's none. */
		rv = poll(&pfd, 1, tx ? 100 : -1);
		if (rv < 0 && errno == EINTR)
			continue;
		CHECK(rv >= 0);
		if (pfd.revents & POLLERR)
			break;
		if (tx) {
			while (nt_send(r, fbuf, 1000) == 0)
				;
		} else {
			while (nt_recv(r, rbuf, sizeof(rbuf)) > 0)
				told = told || write(ready, "r", 1) == 1;
		}
		if (ioctl(p.fd, tx ? NIOCTXSYNC : NIOCRXSYNC, NULL) != 0)
			break;
	}
	/* A dead daemon is a vanished device: EIO, and it stays so. */
	CHECK_ERR(ioctl(p.fd, tx ? NIOCTXSYNC : NIOCRXSYNC, NULL), EIO);
	CHECK(told || tx);
	_exit(0);
}

static void
t_dead(pid_t daemon)
{
	pid_t rx, tx;
	int pfd[2];
	char c;

	CHECK(daemon > 0);
	CHECK_EQ(pipe(pfd), 0);
	rx = fork();
	CHECK(rx >= 0);
	if (rx == 0)
		dead_peer("hdead}1", false, pfd[1]);
	usleep(100000);
	tx = fork();
	CHECK(tx >= 0);
	if (tx == 0)
		dead_peer("hdead{1", true, pfd[1]);
	close(pfd[1]);
	/* Traffic flows, then the daemon dies under it. */
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	usleep(200000);
	CHECK_EQ(kill(daemon, SIGKILL), 0);
	alarm(10);		/* a hang detector, not a timing check */
	reap(tx);
	reap(rx);
	alarm(0);
	close(pfd[0]);
}

/* ---- openrace: a number met while open() is making it ---- */

static int openrace_fd = -1;
static volatile int openrace_stop;

static void *
openrace_user(void *arg)
{
	struct nmreq_port_info_get pi;

	(void)arg;
	while (!openrace_stop) {
		int fd = __atomic_load_n(&openrace_fd, __ATOMIC_RELAXED);

		memset(&pi, 0, sizeof(pi));
		if (fd >= 0)
			unit_ctrl(fd, NETMAP_REQ_PORT_INFO_GET, "valeR:x", &pi);
	}
	return NULL;
}

static void
t_openrace(void)
{
	pthread_t t[2];
	int i, fd;

	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, openrace_user, NULL), 0);
	for (i = 0; i < 2000; i++) {
		fd = open("/dev/netmap", O_RDWR);
		if (fd < 0)
			fprintf(stderr, "open: %s\n", strerror(errno));
		CHECK(fd >= 0);
		__atomic_store_n(&openrace_fd, fd, __ATOMIC_RELAXED);
		CHECK_EQ(close(fd), 0);
	}
	openrace_stop = 1;
	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
}

/* ---- ownerdead: the doorbell's lock left by a dead sharer ---- */

/* A control request: through the doorbell's lock, whatever the port. */
static void *
ownerdead_ctrl(void *arg)
{
	struct nmreq_port_info_get pi;

	memset(&pi, 0, sizeof(pi));
	return (void *)(intptr_t)unit_ctrl(*(int *)arg,
	    NETMAP_REQ_PORT_INFO_GET, "valeO:a", &pi);
}

static void
t_ownerdead(void)
{
	struct unit_port a;
	struct nmc_port *p;
	pthread_t t;
	void *rv;
	bool closed;
	pid_t pid;

	unit_port_open(&a, "valeO:a", NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		stop_lock(a.fd, &(struct cs_view){ 0 });
		_exit(0);	/* holding it */
	}
	reap(pid);
	p = nmc_hold(a.fd, &closed);
	CHECK(p != NULL);
	nmc_drain(a.fd, p);
	nmc_release(a.fd);
	/* another thread: it would wait for the lock, then EBUSY */
	CHECK_EQ(pthread_create(&t, NULL, ownerdead_ctrl, &a.fd), 0);
	CHECK_EQ(pthread_join(t, &rv), 0);
	CHECK_EQ((intptr_t)rv, 0);
	CHECK_EQ((intptr_t)ownerdead_ctrl(&a.fd), 0);
	unit_port_close(&a);
}

/* ---- fcntl: arguments passed through the interposer ---- */

/*
 * A child's view, through a description of its own, of a write lock on
 * [10, 20) of fd: which process holds it (-1: a description).
 */
static void
fcntl_lock_seen(int fd, int getcmd, pid_t owner)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct flock64 fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = 0, .l_len = 100,
		};
		char path[64];
		int own;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		own = open(path, O_RDWR);
		CHECK(own >= 0);
		CHECK_EQ(fcntl64(own, getcmd, &fl), 0);
		CHECK_EQ(fl.l_type, F_WRLCK);
		CHECK_EQ(fl.l_start, 10);
		CHECK_EQ(fl.l_len, 10);
		CHECK_EQ(fl.l_pid, owner);
		_exit(0);
	}
	alarm(10);
	reap(pid);
	alarm(0);
}

static void
t_fcntl(void)
{
	char path[] = "/tmp/nmc_harden.XXXXXX";
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET,
		.l_start = 10, .l_len = 10,
	};
	struct flock64 fl64;
	struct unit_port p;
	int fd = mkstemp(path), fl_old;

	CHECK(fd >= 0);
	CHECK_EQ(unlink(path), 0);
	/* process-owned locks, both struct layouts, both entry points */
	CHECK_EQ(fcntl(fd, F_SETLK, &fl), 0);
	fcntl_lock_seen(fd, F_GETLK, getpid());
	fl.l_type = F_UNLCK;
	CHECK_EQ(fcntl(fd, F_SETLK, &fl), 0);
	memset(&fl64, 0, sizeof(fl64));
	fl64.l_type = F_WRLCK;
	fl64.l_start = 10;
	fl64.l_len = 10;
	CHECK_EQ(fcntl64(fd, F_SETLKW, &fl64), 0);
	fcntl_lock_seen(fd, F_GETLK, getpid());
	fl64.l_type = F_UNLCK;
	CHECK_EQ(fcntl64(fd, F_SETLK, &fl64), 0);
	/* open file description locks: l_pid must be 0 going in */
	fl64.l_type = F_WRLCK;
	fl64.l_pid = 0;
	CHECK_EQ(fcntl(fd, F_OFD_SETLK, &fl64), 0);
	fcntl_lock_seen(fd, F_OFD_GETLK, -1);
	/* int arguments: flags, and a negative owner (a process group) */
	fl_old = fcntl(fd, F_GETFL);
	CHECK(fl_old >= 0);
	CHECK_EQ(fcntl(fd, F_SETFL, fl_old | O_NONBLOCK | O_APPEND), 0);
	CHECK_EQ(fcntl64(fd, F_GETFL), fl_old | O_NONBLOCK | O_APPEND);
	CHECK_EQ(fcntl(fd, F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(fd, F_GETOWN), -getpgrp());
	CHECK_EQ(close(fd), 0);

	/* the same on one of ours, which still serves afterwards */
	unit_port_open(&p, "valeH:fcntl", NULL);
	fl_old = fcntl(p.fd, F_GETFL);
	CHECK(fl_old >= 0 && !(fl_old & O_NONBLOCK));
	CHECK_EQ(fcntl64(p.fd, F_SETFL, fl_old | O_NONBLOCK), 0);
	CHECK_EQ(fcntl(p.fd, F_GETFL), fl_old | O_NONBLOCK);
	CHECK_EQ(fcntl(p.fd, F_SETFL, fl_old), 0);
	CHECK_EQ(fcntl(p.fd, F_GETFL), fl_old);
	CHECK_EQ(fcntl(p.fd, F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(fcntl(p.fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(ioctl(p.fd, NIOCTXSYNC, NULL), 0);
	unit_port_close(&p);
}

/* ---- sleeper: a child killed asleep in poll() ---- */

/* Until *word is `want`, 10 s at most (a hang bound); the ms it took. */
static long
wait_word(const uint32_t *word, uint32_t want)
{
	long ms;

	for (ms = 0; ms < 10000; ms++) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == want)
			return ms;
		usleep(1000);
	}
	fprintf(stderr, "word %u, expected %u\n", *word, want);
	exit(1);
}

static void
t_sleeper(void)
{
	struct unit_port a, b;
	struct nmc_port *p;
	struct cs_view v;
	struct netmap_ring *tx, *rx;
	uint32_t *sleepers;
	uint8_t src[6];
	bool closed;
	pid_t pid;
	int i, k, zombie;
	long ms;

	unit_port_open(&a, "hslp{1", NULL);
	unit_port_open(&b, "hslp}1", NULL);
	cs_view(b.fd, &v);
	sleepers = &cs_entry(&v, 1)->sleepers;	/* b's RX wake-up word */
	CHECK_EQ(*sleepers, 0);
	/* reaped at once (a thread gone), then reaped late (a zombie) */
	for (zombie = 0; zombie < 2; zombie++) {
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			struct pollfd pfd = { b.fd, POLLIN, 0 };

			poll(&pfd, 1, -1);	/* nothing comes */
			_exit(1);
		}
		wait_word(sleepers, 1);
		CHECK_EQ(kill(pid, SIGKILL), 0);
		if (!zombie)
			CHECK_EQ(waitpid(pid, NULL, 0), pid);
		ms = wait_word(sleepers, 0);
		if (zombie)
			CHECK_EQ(waitpid(pid, NULL, 0), pid);
		printf("sleeper: count taken back %ld ms after the kill%s\n",
		    ms, zombie ? " (a zombie)" : "");
		p = nmc_hold(b.fd, &closed);
		CHECK(p != NULL);
		for (k = 0; k < NMD_BELL_SLEEPERS; k++)
			CHECK_EQ(p->bell->sleeper[k].tid, 0);
		CHECK_EQ(p->bell->cs_sleepers[1], 0);
		nmc_release(b.fd);
	}

	/* The parent's traffic on the pair. */
	tx = NETMAP_TXRING(a.nifp, 0);
	rx = NETMAP_RXRING(b.nifp, 0);
	nt_mac(src, 1);
	for (i = 0; i < 1000; i++) {
		struct pollfd pfd = { b.fd, POLLIN, 0 };

		nt_frame(fbuf, 60 + i % 1000, NULL, src, (uint32_t)i);
		CHECK_EQ(nt_send(tx, fbuf, 60 + i % 1000), 0);
		CHECK_EQ(ioctl(a.fd, NIOCTXSYNC, NULL), 0);
		CHECK_EQ(poll(&pfd, 1, 5000), 1);
		CHECK_EQ(nt_recv(rx, rbuf, sizeof(rbuf)), 60 + i % 1000);
		CHECK(memcmp(fbuf, rbuf, 60 + i % 1000) == 0);
		CHECK_EQ(ioctl(b.fd, NIOCRXSYNC, NULL), 0);
	}
	CHECK_EQ(*sleepers, 0);
	munmap(v.ks, v.ks_size);
	unit_port_close(&b);
	unit_port_close(&a);
}

/* ---- fork: children of a process whose threads are inside calls ---- */

struct forker {
	int fd;
	volatile int stop;
};

static void *
fork_syncer(void *arg)
{
	struct forker *f = arg;
	struct pollfd pfd = { f->fd, POLLOUT, 0 };

	while (!f->stop) {
		CHECK_EQ(ioctl(f->fd, NIOCTXSYNC, NULL), 0);
		CHECK_EQ(poll(&pfd, 1, 0), 1);
	}
	return NULL;
}

static void
t_fork(void)
{
	struct forker f;
	struct unit_port p;
	pthread_t t[2];
	int i, k;

	unit_port_open(&p, "valeF:f", NULL);
	f.fd = p.fd;
	f.stop = 0;
	for (k = 0; k < 2; k++)
		CHECK_EQ(pthread_create(&t[k], NULL, fork_syncer, &f), 0);
	alarm(60);		/* a hang detector, not a timing check */
	for (i = 0; i < 300; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			void *m;

			if (ioctl(p.fd, NIOCTXSYNC, NULL) != 0)
				_exit(1);
			m = mmap(NULL, p.reg.nr_memsize, PROT_READ,
			    MAP_SHARED, p.fd, 0);
			_exit(m == MAP_FAILED ? 2 : 0);
		}
		reap(pid);
	}
	alarm(0);
	f.stop = 1;
	for (k = 0; k < 2; k++)
		CHECK_EQ(pthread_join(t[k], NULL), 0);
	unit_port_close(&p);
}

/*
 * One REGISTER of `name`, or VALE_ATTACH of it if it starts with '+',
 * under fault injection: it works (and is undone) or fails with ENOMEM,
 * and a failed one leaves nothing half done: the descriptor registers
 * again, the port is not on the switch. Prints the name and ok/enomem.
 */
static void
fault_one(const char *name)
{
	struct nmreq_register reg;
	struct nmreq_vale_attach at;
	struct nmreq_vale_detach dt;
	int fd = unit_open(), r;

	memset(&at, 0, sizeof(at));
	memset(&dt, 0, sizeof(dt));
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	at.reg.nr_mode = NR_REG_ALL_NIC;
	if (name[0] == '+')
		r = unit_ctrl(fd, NETMAP_REQ_VALE_ATTACH, name + 1, &at);
	else
		r = unit_register(fd, name, &reg, NULL);
	if (r != 0) {
		CHECK_EQ(errno, ENOMEM);
	} else if (name[0] == '+') {
		CHECK_EQ(unit_ctrl(fd, NETMAP_REQ_VALE_DETACH, name + 1, &dt),
		    0);
	}
	if (r != 0 && name[0] == '+') {
		/* not attached: DETACH says so */
		CHECK_ERR(unit_ctrl(fd, NETMAP_REQ_VALE_DETACH, name + 1, &dt),
		    EINVAL);
	} else if (r != 0) {
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		CHECK(unit_register(fd, name, &reg, NULL) == 0 ||
		    errno == ENOMEM);
	}
	CHECK_EQ(close(fd), 0);
	printf("%s %s\n", name, r == 0 ? "ok" : "enomem");
}

int
main(int argc, char **argv)
{
	int i;

	setenv("NETMAP_HOST", "user", 1);
	if (argc == 2 && strcmp(argv[1], "race") == 0)
		t_race();
	else if (argc == 2 && strcmp(argv[1], "dup2") == 0)
		t_dup2();
	else if (argc == 2 && strcmp(argv[1], "stop") == 0)
		t_stop();
	else if (argc == 2 && strcmp(argv[1], "enotty") == 0)
		t_enotty();
	else if (argc == 2 && strcmp(argv[1], "fork") == 0)
		t_fork();
	else if (argc == 2 && strcmp(argv[1], "sleeper") == 0)
		t_sleeper();
	else if (argc == 2 && strcmp(argv[1], "fcntl") == 0)
		t_fcntl();
	else if (argc == 2 && strcmp(argv[1], "ownerdead") == 0)
		t_ownerdead();
	else if (argc == 2 && strcmp(argv[1], "openrace") == 0)
		t_openrace();
	else if (argc > 2 && strcmp(argv[1], "fault") == 0)
		for (i = 2; i < argc; i++)
			fault_one(argv[i]);
	else if (argc == 3 && strcmp(argv[1], "dead") == 0)
		t_dead((pid_t)atoi(argv[2]));
	else {
		fprintf(stderr, "usage: nmc_harden race|dup2|stop|enotty|fork|"
		    "sleeper|fcntl|ownerdead|openrace|fault NAME...|"
		    "dead PID\n");
		return 2;
	}
	printf("nmc_harden %s: %d checks passed\n", argv[1], unit_checks);
	return 0;
}
