// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmclient.c: the client side of netmapd. It takes over the libc calls an
 * application makes on /dev/netmap descriptors and turns them into
 * requests to the daemon, so that a program written for the kernel
 * module runs unchanged:
 *
 *   open("/dev/netmap")   a SOCK_SEQPACKET connection to netmapd (started
 *                         on demand) and its doorbell page
 *   ioctl                 NIOCCTRL/NIOCREGIF/NIOCGINFO as messages, with
 *                         the memory the request points to; NIOCTXSYNC
 *                         and NIOCRXSYNC through the doorbell
 *   mmap                  the port's region memfd, received from netmapd
 *   poll/select/epoll     poll's implicit syncs through the doorbell, then
 *                         a real wait on the socket, which the daemon
 *                         makes readable when the rings have news
 *   close, dup*           bookkeeping of which descriptors are ours
 *
 * The descriptor the application sees is the socket itself, so it can be
 * inherited, dup'ed and passed with SCM_RIGHTS; a process that meets a
 * descriptor it did not open recognises the socket by its peer (the
 * daemon's path) and attaches to it (nmc_attach).
 *
 * The same file is linked into libnetmap.a (every libnetmap program gets
 * it; the kernel module is used when /dev/netmap exists, unless
 * NETMAP_HOST=user) and built as build/libnetmap-preload.so for
 * programs that use the raw ABI.
 *
 * Everything that is not ours goes to the kernel through syscall(), so
 * that the wrappers work before any constructor ran and never recurse.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nm_rawsys.h"
#include "nmd_proto.h"

/* Referenced by libnetmap so that linking it pulls this file in. */
int nmd_client_present = 1;

#define NMC_HUNG_MS		500	/* futex sleeps between daemon checks */
#define NMC_CONNECT_MS		5000	/* to wait for a starting daemon */
#define NMC_DAEMON_IDLE		"30"	/* seconds, for daemons we start */

/* What a descriptor of ours refers to; shared by its dups. */
struct nmc_port {
	int refs;			/* table entries, under nmc.lock */
	struct nmd_bell *bell;
	pthread_mutex_t mtx;		/* region_* */
	int region_fd;
	uint64_t region_size;
};

/* A netmap descriptor registered in an epoll set. */
struct nmc_ep {
	struct nmc_ep *next;
	int epfd, fd;
	uint32_t events;
	epoll_data_t data;
};

#define NMC_L2		1024
#define NMC_L1		1024	/* descriptors below 1M */

static struct {
	pthread_mutex_t lock;	/* table updates, epoll list */
	struct nmc_port **tab[NMC_L1];
	struct nmc_ep *eps;
	int neps;
	uint64_t ep_tag;
} nmc = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};


static int
real_epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
    const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, mask,
	    _NSIG / 8);
}

static int
real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static uint64_t
nmc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The caller's memory, read and written as the kernel would: a bad
 * pointer is EFAULT, not a crash. process_vm_readv on ourselves may be
 * forbidden (seccomp in containers); then plain copies it is.
 */
static int
nmc_peek(void *dst, uint64_t uaddr, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)(uintptr_t)uaddr, len };
	ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy(dst, (void *)(uintptr_t)uaddr, len);
		return 0;
	}
	return EFAULT;
}

static int
nmc_poke(uint64_t uaddr, const void *src, size_t len)
{
	struct iovec l = { (void *)(uintptr_t)src, len };
	struct iovec r = { (void *)(uintptr_t)uaddr, len };
	ssize_t n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		memcpy((void *)(uintptr_t)uaddr, src, len);
		return 0;
	}
	return EFAULT;
}

/* ---- the descriptor table ---- */

static struct nmc_port *
nmc_get(int fd)
{
	struct nmc_port **t;

	if (fd < 0 || fd >= NMC_L1 * NMC_L2)
		return NULL;
	t = __atomic_load_n(&nmc.tab[fd / NMC_L2], __ATOMIC_ACQUIRE);
	if (t == NULL)
		return NULL;
	return __atomic_load_n(&t[fd % NMC_L2], __ATOMIC_ACQUIRE);
}

static void
nmc_port_free(struct nmc_port *p)
{
	munmap(p->bell, NMD_BELL_SIZE);
	if (p->region_fd >= 0)
		real_close(p->region_fd);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}

/* Put p at fd (p may be NULL); drops what was there. Under nmc.lock. */
static int
nmc_set_locked(int fd, struct nmc_port *p)
{
	struct nmc_port **t, *old;

	if (fd < 0 || fd >= NMC_L1 * NMC_L2)
		return EMFILE;
	t = nmc.tab[fd / NMC_L2];
	if (t == NULL) {
		if (p == NULL)
			return 0;
		t = calloc(NMC_L2, sizeof(*t));
		if (t == NULL)
			return ENOMEM;
		__atomic_store_n(&nmc.tab[fd / NMC_L2], t, __ATOMIC_RELEASE);
	}
	old = t[fd % NMC_L2];
	if (p != NULL)
		p->refs++;
	__atomic_store_n(&t[fd % NMC_L2], p, __ATOMIC_RELEASE);
	if (old != NULL && --old->refs == 0)
		nmc_port_free(old);
	return 0;
}

static int
nmc_set(int fd, struct nmc_port *p)
{
	int error;

	pthread_mutex_lock(&nmc.lock);
	error = nmc_set_locked(fd, p);
	pthread_mutex_unlock(&nmc.lock);
	return error;
}

/* A descriptor goes away: forget it, and its epoll registrations. */
static void
nmc_forget(int fd)
{
	struct nmc_ep **pp, *e;

	if (nmc_get(fd) == NULL &&
	    __atomic_load_n(&nmc.neps, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&nmc.lock);
	nmc_set_locked(fd, NULL);
	for (pp = &nmc.eps; (e = *pp) != NULL;) {
		if (e->fd == fd || e->epfd == fd) {
			*pp = e->next;
			free(e);
			nmc.neps--;
		} else {
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&nmc.lock);
}

static void
nmc_atfork_prepare(void)
{
	pthread_mutex_lock(&nmc.lock);
}

static void
nmc_atfork_release(void)
{
	pthread_mutex_unlock(&nmc.lock);
}

__attribute__((constructor)) static void
nmc_init(void)
{
	pthread_atfork(nmc_atfork_prepare, nmc_atfork_release,
	    nmc_atfork_release);
	nmc.ep_tag = ((uint64_t)(nmc_now_ns() ^ ((uint64_t)getpid() << 20)) |
	    1) << 32;
}

/* ---- talking to the daemon ---- */

/* Wait until sock is readable (or hung up). 0 or an errno. */
static int
nmc_wait_readable(int sock)
{
	struct pollfd p = { sock, POLLIN, 0 };

	while (real_ppoll(&p, 1, NULL, NULL) < 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

/* Receive one message; WAKE notices are skipped. Bytes or -errno. */
static ssize_t
nmc_recv_reply(int sock, void *buf, size_t len, int *fd)
{
	for (;;) {
		ssize_t n;
		int error = nmc_wait_readable(sock);

		if (error)
			return -error;
		n = nmd_recv(sock, buf, len, fd, MSG_DONTWAIT);
		if (n == -EAGAIN)
			continue;
		if (n == 0)
			return -EIO;	/* the daemon went away */
		if (n < 0)
			return n;
		if (nmd_msg_check(buf, (size_t)n) != 0) {
			if (*fd >= 0)
				real_close(*fd);
			return -EPROTO;
		}
		if (((struct nmd_msg *)buf)->type != NMD_MSG_WAKE)
			return n;
		if (*fd >= 0)
			real_close(*fd);
	}
}

static int
nmc_lock(struct nmc_port *p)
{
	int error = pthread_mutex_lock(&p->bell->lock);

	/* Its last owner died mid-request; the daemon finishes that. */
	if (error == EOWNERDEAD)
		error = pthread_mutex_consistent(&p->bell->lock);
	return error;
}

static void
nmc_unlock(struct nmc_port *p)
{
	pthread_mutex_unlock(&p->bell->lock);
}

/*
 * After a post and the full barrier (C): wake the daemon thread if it
 * announced a sleep on the kick futex (nmd_proto.h).
 */
static void
nmc_kick(struct nmd_bell *b)
{
	/* Acquire: the kick below is ordered after this load. */
	if (__atomic_load_n(&b->srv_sleeping, __ATOMIC_ACQUIRE) ==
	    NMD_SRV_AWAKE)
		return;
	/* Full: the daemon read kick before it set the flag. */
	__atomic_add_fetch(&b->kick, 1, __ATOMIC_SEQ_CST);
	nmd_futex_wake(&b->kick);
}

/*
 * One control exchange: send a message, nudge a spinning daemon, wait
 * for the answer. Bytes of the reply or -errno.
 */
static ssize_t
nmc_call(int sock, struct nmc_port *p, const void *msg, size_t len,
    void *reply, size_t rsize, int *rfd)
{
	ssize_t n;
	int error;

	*rfd = -1;
	error = nmc_lock(p);
	if (error)
		return -error;
	error = nmd_send(sock, msg, len, -1, 0);
	if (error == 0) {
		__atomic_add_fetch(&p->bell->ctrl_seq, 1, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (C) */
		nmc_kick(p->bell);
		n = nmc_recv_reply(sock, reply, rsize, rfd);
	} else {
		n = -(error == EPIPE || error == ECONNRESET ? EIO : error);
	}
	nmc_unlock(p);
	if (n >= 0 && ((const struct nmd_msg *)reply)->type !=
	    ((const struct nmd_msg *)msg)->type) {
		if (*rfd >= 0)
			real_close(*rfd);
		*rfd = -1;
		n = -EPROTO;
	}
	return n;
}

/* Drop pending WAKE notices (they only mean "look again"). */
static void
nmc_drain(int sock, struct nmc_port *p)
{
	struct nmd_msg m;
	int fd;

	if (pthread_mutex_trylock(&p->bell->lock) != 0)
		return;	/* the owner's reply loop skips them anyway */
	while (nmd_recv(sock, &m, sizeof(m), &fd, MSG_DONTWAIT |
	    MSG_PEEK) > 0 && m.magic == NMD_MAGIC && m.type == NMD_MSG_WAKE)
		nmd_recv(sock, &m, sizeof(m), &fd, MSG_DONTWAIT);
	pthread_mutex_unlock(&p->bell->lock);
}

/* Is the daemon at the other end of sock still there? */
static bool
nmc_hung_up(int sock)
{
	struct pollfd p = { sock, 0, 0 };

	return real_ppoll(&p, 1, &(struct timespec){ 0, 0 }, NULL) > 0 &&
	    (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/*
 * The fast path: post op on the doorbell and wait for its completion,
 * yielding first (the daemon usually answers within microseconds, and
 * its thread may need our CPU), then sleeping on the futex. Returns the
 * daemon's result (an errno for the syncs, revents for POLL), or -errno
 * if the daemon is gone.
 */
static int
nmc_bell(int sock, struct nmc_port *p, uint32_t op, uint32_t arg)
{
	struct nmd_bell *b = p->bell;
	struct nmd_spin sp = { 0 };
	uint32_t s, v;
	int r, error;

	error = nmc_lock(p);
	if (error)
		return -error;
	s = __atomic_load_n(&b->req_seq, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&b->op, op, __ATOMIC_RELAXED);
	__atomic_store_n(&b->arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&b->req_seq, s, __ATOMIC_RELEASE);	/* (A) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (C) */
	nmc_kick(b);
	/*
	 * Yield, then sleep: the daemon thread that serves us often
	 * shares our CPU, and a pause loop would only delay it (see
	 * nmd_spin_step).
	 */
	for (;;) {
		if (__atomic_load_n(&b->done_seq, __ATOMIC_ACQUIRE) == s)
			break;					/* (E) */
		if (nmd_spin_step(&sp, NMD_SPIN_NS))
			continue;
		__atomic_store_n(&b->cli_sleeping, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (G) */
		v = __atomic_load_n(&b->done_seq, __ATOMIC_RELAXED);
		if (v != s && nmd_futex_wait(&b->done_seq, v, NMC_HUNG_MS) ==
		    ETIMEDOUT && nmc_hung_up(sock)) {
			__atomic_store_n(&b->cli_sleeping, 0,
			    __ATOMIC_RELAXED);
			nmc_unlock(p);
			return -EIO;
		}
		__atomic_store_n(&b->cli_sleeping, 0, __ATOMIC_RELAXED);
	}
	r = __atomic_load_n(&b->result, __ATOMIC_RELAXED);
	nmc_unlock(p);
	return r;
}

static struct nmc_port *
nmc_port_new(int bellfd)
{
	struct nmc_port *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->bell = real_mmap(NULL, NMD_BELL_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, bellfd, 0);
	if (p->bell == MAP_FAILED) {
		free(p);
		return NULL;
	}
	p->region_fd = -1;
	pthread_mutex_init(&p->mtx, NULL);
	return p;
}

/* The doorbell's client lock, set up by the process that opened. */
static int
nmc_bell_lock_init(struct nmd_bell *b)
{
	pthread_mutexattr_t a;
	int error;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	error = pthread_mutex_init(&b->lock, &a);
	pthread_mutexattr_destroy(&a);
	if (error == 0)
		__atomic_store_n(&b->lock_ready, 1, __ATOMIC_RELEASE);
	return error;
}

/*
 * Start a daemon: $NETMAP_DAEMON, else netmapd next to our executable,
 * else netmapd in $PATH. The daemon's parent process exits once the
 * socket listens, so waiting for it is waiting for the daemon.
 */
static void
nmc_spawn_daemon(void)
{
	char self[PATH_MAX], cand[PATH_MAX + 16];
	const char *env = getenv("NETMAP_DAEMON");
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	char **envp;
	sigset_t none;
	ssize_t n;
	size_t i, j, ne;
	pid_t pid;
	int st;

	cand[0] = '\0';
	if (env != NULL && env[0] != '\0') {
		snprintf(cand, sizeof(cand), "%s", env);
	} else if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) >
	    0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/netmapd", self);
			if (access(cand, X_OK) != 0)
				cand[0] = '\0';
		}
	}
	if (cand[0] == '\0') {
		const char *path = getenv("PATH");
		const char *q;

		for (q = path; q != NULL && *q != '\0';) {
			size_t l = strcspn(q, ":");

			snprintf(cand, sizeof(cand), "%.*s/netmapd", (int)l,
			    q);
			if (l > 0 && access(cand, X_OK) == 0)
				break;
			cand[0] = '\0';
			q += l + (q[l] == ':');
		}
		if (cand[0] == '\0')
			return;
	}
	/* The daemon must not preload us, nor inherit our descriptors. */
	for (ne = 0; environ[ne] != NULL; ne++)
		;
	envp = calloc(ne + 1, sizeof(*envp));
	if (envp == NULL)
		return;
	for (i = j = 0; i < ne; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			envp[j++] = environ[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&sa);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
	{
		char *argv[] = { cand, "-t", NMC_DAEMON_IDLE, NULL };

		if (posix_spawn(&pid, cand, &fa, &sa, argv, envp) == 0)
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
	}
	posix_spawnattr_destroy(&sa);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
}

/*
 * A connected socket to the daemon at `path` (the default one if NULL,
 * started on demand). The socket gets a kernel-assigned abstract name
 * first (autobind), which is how the daemon finds the connection when
 * the descriptor is passed to another process. Returns fd or -errno.
 */
static int
nmc_connect(const char *path, int cloexec, bool start)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	sa_family_t fam = AF_UNIX;
	socklen_t salen;
	uint64_t deadline = 0;
	bool spawned = false;
	int s, error;

	if (path == NULL) {
		error = nmd_socket_path(buf, sizeof(buf));
		if (error)
			return -error;
		path = buf;
	}
	error = nmd_sockaddr(&sa, &salen, path);
	if (error)
		return -error;
	s = socket(AF_UNIX, SOCK_SEQPACKET | cloexec, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&fam, sizeof(fam)) < 0)
		goto fail;
	for (;;) {
		if (connect(s, (struct sockaddr *)&sa, salen) == 0)
			return s;
		if (errno == EINTR)
			continue;
		if (!start || (errno != ENOENT && errno != ECONNREFUSED))
			goto fail;
		if (!spawned) {
			nmc_spawn_daemon();
			spawned = true;
			deadline = nmc_now_ns() + NMC_CONNECT_MS * 1000000ull;
			continue;
		}
		if (nmc_now_ns() > deadline)
			goto fail;
		usleep(5000);
	}
fail:
	error = errno;
	real_close(s);
	return -error;
}

/* open("/dev/netmap") served by netmapd. fd or -1/errno. */
static int
nmc_open(int flags)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_HELLO, .len = sizeof(m),
		.arg = NMD_VERSION,
	};
	struct nmc_port *p = NULL;
	int s, bellfd = -1, error;
	ssize_t n;

	s = nmc_connect(NULL, (flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0, true);
	if (s < 0) {
		/* As if there were no device. */
		errno = s == -ENOMEM || s == -EMFILE || s == -ENFILE ? -s :
		    ENOENT;
		return -1;
	}
	error = nmd_send(s, &m, sizeof(m), -1, 0);
	if (error)
		goto fail;
	n = nmc_recv_reply(s, &m, sizeof(m), &bellfd);
	error = n < 0 ? (int)-n : EPROTO;
	if (n != sizeof(m) || m.type != NMD_MSG_HELLO || bellfd < 0)
		goto fail;
	error = m.error;
	if (error)
		goto fail;
	p = nmc_port_new(bellfd);
	error = ENOMEM;
	if (p == NULL)
		goto fail;
	real_close(bellfd);
	bellfd = -1;
	error = nmc_bell_lock_init(p->bell);
	if (error)
		goto fail;
	error = nmc_set(s, p);
	if (error)
		goto fail;
	return s;
fail:
	if (p != NULL)
		nmc_port_free(p);
	if (bellfd >= 0)
		real_close(bellfd);
	real_close(s);
	errno = error;
	return -1;
}

/*
 * A descriptor we did not open (inherited through exec, passed with
 * SCM_RIGHTS, dup'ed with fcntl): if it is a SEQPACKET socket with an
 * abstract (autobind) name whose peer has a path, it may be a netmapd
 * connection. Ask the daemon at that path for its doorbell over a fresh
 * connection, proving that we hold it by passing it along. The port, or
 * NULL if it is not a netmap descriptor.
 */
static struct nmc_port *
nmc_attach(int fd)
{
	struct sockaddr_un name, peer;
	socklen_t nlen = sizeof(name), plen = sizeof(peer);
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_ATTACH, .len = sizeof(m),
		.arg = NMD_VERSION,
	};
	struct nmc_port *p;
	struct stat st;
	int type, s, bellfd = -1;
	socklen_t tlen = sizeof(type);
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_SEQPACKET ||
	    getsockname(fd, (struct sockaddr *)&name, &nlen) < 0 ||
	    name.sun_family != AF_UNIX ||
	    nlen <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    name.sun_path[0] != '\0' ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    plen <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    peer.sun_path[0] == '\0')
		return NULL;
	peer.sun_path[sizeof(peer.sun_path) - 1] = '\0';
	s = nmc_connect(peer.sun_path, SOCK_CLOEXEC, false);
	if (s < 0)
		return NULL;
	n = -1;
	if (nmd_send(s, &m, sizeof(m), fd, 0) == 0)
		n = nmc_recv_reply(s, &m, sizeof(m), &bellfd);
	real_close(s);
	if (n != sizeof(m) || m.type != NMD_MSG_ATTACH || m.error != 0 ||
	    bellfd < 0) {
		if (bellfd >= 0)
			real_close(bellfd);
		return NULL;
	}
	p = nmc_port_new(bellfd);
	real_close(bellfd);
	if (p == NULL)
		return NULL;
	if (!__atomic_load_n(&p->bell->lock_ready, __ATOMIC_ACQUIRE))
		nmc_bell_lock_init(p->bell);
	pthread_mutex_lock(&nmc.lock);
	if (nmc_get(fd) == NULL) {
		nmc_set_locked(fd, p);
	} else {		/* another thread was faster */
		nmc_port_free(p);
	}
	p = nmc_get(fd);
	pthread_mutex_unlock(&nmc.lock);
	return p;
}

/* ---- ioctl ---- */

/* Body sizes by request type: the ABI's (spec 2.6). */
static size_t
nmc_body_size(uint16_t type)
{
	switch (type) {
	case NETMAP_REQ_REGISTER:
		return sizeof(struct nmreq_register);
	case NETMAP_REQ_PORT_INFO_GET:
		return sizeof(struct nmreq_port_info_get);
	case NETMAP_REQ_VALE_ATTACH:
		return sizeof(struct nmreq_vale_attach);
	case NETMAP_REQ_VALE_DETACH:
		return sizeof(struct nmreq_vale_detach);
	case NETMAP_REQ_VALE_LIST:
		return sizeof(struct nmreq_vale_list);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		return sizeof(struct nmreq_port_hdr);
	case NETMAP_REQ_VALE_NEWIF:
		return sizeof(struct nmreq_vale_newif);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		return sizeof(struct nmreq_vale_polling);
	case NETMAP_REQ_POOLS_INFO_GET:
		return sizeof(struct nmreq_pools_info);
	case NETMAP_REQ_SYNC_KLOOP_START:
		return sizeof(struct nmreq_sync_kloop_start);
	default:
		return 0;
	}
}

static uint64_t
nmc_opt_body_size(uint32_t type, uint64_t nro_size)
{
	const uint64_t h = sizeof(struct nmreq_option);

	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return sizeof(struct nmreq_opt_extmem) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return (nro_size > h ? nro_size : h) - h;
	case NETMAP_REQ_OPT_CSB:
		return sizeof(struct nmreq_opt_csb) - h;
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return sizeof(struct nmreq_opt_sync_kloop_mode) - h;
	case NETMAP_REQ_OPT_OFFSETS:
		return sizeof(struct nmreq_opt_offsets) - h;
	default:
		return 0;
	}
}

/*
 * The core copies a request in through one bounded buffer (nm_ctrl.c,
 * spec 2.7); we walk the option list with the same accounting, so that
 * we ship everything the core will read and stop where it would stop
 * (EMSGSIZE; EINVAL at a zero or repeated type; or a pointer it cannot
 * read: EFAULT).
 */
#define NMC_REQ_BUFSZ	((2 + NETMAP_REQ_OPT_MAX) * 8 + NETMAP_REQ_MAXSIZE + \
			 NETMAP_REQ_OPT_MAX * 8)
#define NMC_REQ_MAXOPTS	(NMC_REQ_BUFSZ / (8 + sizeof(struct nmreq_option)))

struct nmc_req {
	uint8_t *msg;
	size_t len, cap;
	uint16_t nseg;
	struct nmd_seg seg[NMD_SEGS_MAX];
	size_t seg_data[NMD_SEGS_MAX];	/* offset of data in a scratch */
	uint8_t *data;
	size_t dlen;
};

static int
nmc_req_seen(struct nmc_req *q, uint64_t uaddr)
{
	unsigned i;

	for (i = 0; i < q->nseg; i++)
		if (q->seg[i].uaddr == uaddr)
			return 1;
	return 0;
}

/* Ship len bytes at uaddr if readable. 0, or -1 if unreadable/full. */
static int
nmc_req_add(struct nmc_req *q, uint64_t uaddr, size_t len)
{
	size_t need = nmd_align8(len);

	if (q->nseg == NMD_SEGS_MAX || len == 0 || len > NMD_SEG_MAX ||
	    q->dlen + need > NMD_MSG_MAX)
		return -1;
	if (nmc_peek(q->data + q->dlen, uaddr, len) != 0)
		return -1;
	memset(q->data + q->dlen + len, 0, need - len);
	q->seg[q->nseg].uaddr = uaddr;
	q->seg[q->nseg].len = (uint32_t)len;
	q->seg[q->nseg].flags = 0;
	q->seg_data[q->nseg++] = q->dlen;
	q->dlen += need;
	return 0;
}

static void
nmc_req_options(struct nmc_req *q, const struct nmreq_header *hdr,
    size_t bodysz)
{
	uint64_t pos = 16 + bodysz + NETMAP_REQ_OPT_MAX * 8;
	uint64_t rqsz = bodysz, next = hdr->nr_options;
	bool seen[NETMAP_REQ_OPT_MAX] = { false }, stop;
	unsigned nent = 0;

	while (next != 0) {
		struct nmreq_option opt;
		uint64_t optsz;

		if (pos + 8 + sizeof(opt) > NMC_REQ_BUFSZ ||
		    nent == NMC_REQ_MAXOPTS)
			return;
		pos += 8 + sizeof(opt);
		rqsz += sizeof(opt);
		nent++;
		if (nmc_peek(&opt, next, sizeof(opt)) != 0)
			return;
		optsz = 0;
		/* the core stops after a zero or a repeated type: EINVAL */
		stop = opt.nro_reqtype == 0 ||
		    (opt.nro_reqtype < NETMAP_REQ_OPT_MAX &&
		    seen[opt.nro_reqtype]);
		if (!stop && opt.nro_reqtype < NETMAP_REQ_OPT_MAX) {
			seen[opt.nro_reqtype] = true;
			optsz = nmc_opt_body_size(opt.nro_reqtype,
			    opt.nro_size);
			if (optsz > NETMAP_REQ_MAXSIZE ||
			    opt.nro_size > NETMAP_REQ_MAXSIZE ||
			    rqsz + optsz > NETMAP_REQ_MAXSIZE ||
			    pos + optsz > NMC_REQ_BUFSZ)
				optsz = 0;	/* the core stops: EMSGSIZE */
			rqsz += optsz;
			pos += optsz;
		}
		if (!nmc_req_seen(q, next) &&
		    nmc_req_add(q, next, sizeof(opt) + optsz) != 0 &&
		    (optsz == 0 || nmc_req_add(q, next, sizeof(opt)) != 0))
			return;
		if (stop)
			return;
		next = opt.nro_next;
	}
}

/* NIOCCTRL, NIOCREGIF, NIOCGINFO: one message each way. */
static int
nmc_ioctl_msg(int fd, struct nmc_port *p, unsigned long cmd, void *uarg)
{
	size_t asz = nmd_ioctl_argsize(cmd), off, pos;
	struct nmc_req *q;
	struct nmd_msg *m, *r;
	uint8_t arg[sizeof(struct nmreq_header)];
	uint8_t *rb = NULL;
	int error, rfd = -1;
	unsigned i;
	ssize_t n;

	if (nmc_peek(arg, (uintptr_t)uarg, asz) != 0)
		return EFAULT;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return ENOMEM;
	q->data = malloc(NMD_MSG_MAX);
	q->msg = malloc(NMD_MSG_MAX);
	rb = malloc(NMD_MSG_MAX);
	error = ENOMEM;
	if (q->data == NULL || q->msg == NULL || rb == NULL)
		goto out;
	if (cmd == NIOCCTRL) {
		struct nmreq_header *hdr = (struct nmreq_header *)arg;
		size_t bodysz = nmc_body_size(hdr->nr_reqtype);

		if (bodysz && hdr->nr_body)
			nmc_req_add(q, hdr->nr_body, bodysz);
		nmc_req_options(q, hdr, bodysz);
	}
	/* Build: header | arg | segs | data. */
	m = (struct nmd_msg *)q->msg;
	memset(m, 0, sizeof(*m));
	pos = sizeof(*m);
	memset(q->msg + pos, 0, nmd_align8(asz));
	memcpy(q->msg + pos, arg, asz);
	pos += nmd_align8(asz);
	error = E2BIG;
	if (pos + q->nseg * sizeof(struct nmd_seg) + q->dlen > NMD_MSG_MAX)
		goto out;
	memcpy(q->msg + pos, q->seg, q->nseg * sizeof(struct nmd_seg));
	pos += q->nseg * sizeof(struct nmd_seg);
	memcpy(q->msg + pos, q->data, q->dlen);
	pos += q->dlen;
	m->magic = NMD_MAGIC;
	m->type = NMD_MSG_IOCTL;
	m->nseg = q->nseg;
	m->len = (uint32_t)pos;
	m->cmd = cmd;

	n = nmc_call(fd, p, q->msg, pos, rb, NMD_MSG_MAX, &rfd);
	if (n < 0) {
		error = (int)-n;
		goto out;
	}
	/* Check the reply as carefully as the daemon checks requests. */
	r = (struct nmd_msg *)rb;
	error = EPROTO;
	off = sizeof(*r) + nmd_align8(asz);
	if ((size_t)n < off || r->cmd != cmd || r->nseg > q->nseg ||
	    off + r->nseg * sizeof(struct nmd_seg) > (size_t)n)
		goto out;
	nmc_poke((uintptr_t)uarg, rb + sizeof(*r), asz);
	pos = off + r->nseg * sizeof(struct nmd_seg);
	for (i = 0; i < r->nseg; i++) {
		struct nmd_seg s;

		memcpy(&s, rb + off + i * sizeof(s), sizeof(s));
		if (s.len > NMD_SEG_MAX || pos + nmd_align8(s.len) >
		    (size_t)n)
			goto out;
		nmc_poke(s.uaddr, rb + pos, s.len);
		pos += nmd_align8(s.len);
	}
	if (rfd >= 0) {
		pthread_mutex_lock(&p->mtx);
		if (p->region_fd < 0) {
			p->region_fd = rfd;
			p->region_size = r->arg;
			rfd = -1;
		}
		pthread_mutex_unlock(&p->mtx);
	}
	error = r->error;
out:
	if (rfd >= 0)
		real_close(rfd);
	free(rb);
	free(q->msg);
	free(q->data);
	free(q);
	return error;
}

static struct nmc_port *
nmc_port_of(int fd, bool probe)
{
	struct nmc_port *p = nmc_get(fd);

	if (p == NULL && probe)
		p = nmc_attach(fd);
	return p;
}

static bool
nmc_is_netmap_cmd(unsigned long cmd)
{
	switch (cmd) {
	case NIOCCTRL:
	case NIOCTXSYNC:
	case NIOCRXSYNC:
	case NIOCREGIF:
	case NIOCGINFO:
	case NIOCCONFIG:
		return true;
	default:
		return false;
	}
}

static int
nmc_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct nmc_port *p = nmc_port_of(fd, nmc_is_netmap_cmd(cmd));
	int r;

	if (p == NULL)
		return real_ioctl(fd, cmd, arg);
	switch (cmd) {
	case NIOCTXSYNC:
	case NIOCRXSYNC:
		r = nmc_bell(fd, p, cmd == NIOCTXSYNC ? NMD_OP_TXSYNC :
		    NMD_OP_RXSYNC, 0);
		if (r < 0)
			r = -r;
		break;
	case NIOCCTRL:
	case NIOCREGIF:
	case NIOCGINFO:
		r = nmc_ioctl_msg(fd, p, cmd, arg);
		break;
	case FIOCLEX:
	case FIONCLEX:
		return real_ioctl(fd, cmd, arg);
	case FIONBIO:
	case FIOASYNC:
		r = 0;		/* generic file flags; meaningless here */
		break;
	default:
		r = EOPNOTSUPP;
		break;
	}
	if (r != 0) {
		errno = r;
		return -1;
	}
	return 0;
}

/* ---- mmap ---- */

static void *
nmc_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct nmc_port *p = NULL;
	struct stat st;
	uint64_t size;
	int rfd, error;

	if (fd >= 0 && !(flags & MAP_ANONYMOUS)) {
		p = nmc_get(fd);
		if (p == NULL && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			p = nmc_attach(fd);
	}
	if (p == NULL)
		return real_mmap(addr, len, prot, flags, fd, off);
	pthread_mutex_lock(&p->mtx);
	rfd = p->region_fd;
	size = p->region_size;
	pthread_mutex_unlock(&p->mtx);
	if (rfd < 0) {
		/* Registered by another process, or not at all (EINVAL). */
		struct nmd_msg m = {
			.magic = NMD_MAGIC, .type = NMD_MSG_REGION,
			.len = sizeof(m),
		}, r;
		ssize_t n = nmc_call(fd, p, &m, sizeof(m), &r, sizeof(r),
		    &rfd);

		error = n < 0 ? (int)-n : n != sizeof(r) ? EPROTO : r.error;
		if (error == 0 && rfd < 0)
			error = EPROTO;
		if (error) {
			if (rfd >= 0)
				real_close(rfd);
			errno = error;
			return MAP_FAILED;
		}
		pthread_mutex_lock(&p->mtx);
		if (p->region_fd < 0) {
			p->region_fd = rfd;
			p->region_size = r.arg;
		} else {
			real_close(rfd);
		}
		rfd = p->region_fd;
		size = p->region_size;
		pthread_mutex_unlock(&p->mtx);
	}
	if (off < 0 || (uint64_t)off > size || len > size - (uint64_t)off) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return real_mmap(addr, len, prot, flags, rfd, off);
}

/* ---- poll, select, epoll ---- */

static int
nmc_poll_one(int fd, struct nmc_port *p, short events, bool arm)
{
	int r = nmc_bell(fd, p, NMD_OP_POLL, ((uint32_t)events & 0xffff) |
	    (arm ? NMD_POLL_ARM | NMD_POLL_MSG : 0));

	if (r < 0)
		return POLLERR | POLLHUP;
	return r & (events | POLLERR | POLLHUP | POLLNVAL);
}

/* Milliseconds to the deadline, rounded up. */
static int
nmc_ms_left(uint64_t deadline)
{
	uint64_t now = nmc_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) /
	    1000000);
}

/*
 * poll() on one netmap descriptor, the common case (pkt-gen and most
 * netmap programs): one doorbell round trip when it is ready; else the
 * daemon arms the rings and we sleep on the wake_seq futex, which the
 * wake-up bumps, with no message and no socket in between. wake_seq is
 * read before the POLL is posted (ordered by (A)), so a wake-up after
 * the daemon armed changes it and futex_wait does not sleep.
 *
 * Like poll(), returns -1 with EINTR when a signal handler ran: the
 * futex sleep always has a timeout, so the kernel does not restart it.
 */
static int
nmc_poll1(struct pollfd *pfd, struct nmc_port *p, const struct timespec *ts)
{
	uint64_t deadline = 0, now, d;
	struct nmd_spin sp;
	uint32_t w;
	int r, error;

	if (ts != NULL)
		deadline = nmc_now_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmc_ms_left(deadline) > 0;
		struct timespec left;

		/* Acquire: pairs with the release bump in nmd_conn_wake. */
		w = __atomic_load_n(&p->bell->wake_seq, __ATOMIC_ACQUIRE);
		r = nmc_bell(pfd->fd, p, NMD_OP_POLL,
		    ((uint32_t)pfd->events & 0xffff) |
		    (block ? NMD_POLL_ARM : 0));
		if (r < 0)
			r = POLLERR | POLLHUP;
		pfd->revents = (short)(r & (pfd->events | POLLERR | POLLHUP |
		    POLLNVAL));
		if (pfd->revents != 0 || !block)
			return pfd->revents != 0;
		d = (uint64_t)NMC_HUNG_MS * 1000000u;
		if (ts != NULL) {
			now = nmc_now_ns();
			if (deadline <= now)
				d = 0;
			else if (deadline - now < d)
				d = deadline - now;
		}
		left.tv_sec = (time_t)(d / 1000000000u);
		left.tv_nsec = (long)(d % 1000000000u);
		sp.start = 0;
		while (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) ==
		    w && nmd_spin_step(&sp, NMD_SPIN_NS))
			;
		if (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) != w)
			continue;
		/* A count: threads of the process may sleep on it together. */
		__atomic_add_fetch(&p->bell->poll_sleeping, 1,
		    __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* (I) */
		r = 0;
		if (__atomic_load_n(&p->bell->wake_seq, __ATOMIC_RELAXED) == w)
			r = (int)syscall(SYS_futex, &p->bell->wake_seq,
			    FUTEX_WAIT, w, &left, NULL, 0);
		error = r < 0 ? errno : 0;
		__atomic_sub_fetch(&p->bell->poll_sleeping, 1,
		    __ATOMIC_RELAXED);
		if (error != 0) {
			if (error == EINTR) {
				errno = EINTR;
				return -1;
			}
			if (error == ETIMEDOUT && ts == NULL &&
			    nmc_hung_up(pfd->fd)) {
				pfd->revents = POLLERR | POLLHUP;
				return 1;
			}
		}
	}
}

/*
 * poll() with netmap descriptors in the set. Their implicit syncs and
 * readiness come from the daemon; if nothing is ready we wait on the
 * sockets (POLLIN: a WAKE arrived) together with the other descriptors,
 * and look again.
 */
static int
nmc_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	struct pollfd small[16], *tmp = small;
	uint64_t deadline = 0;
	nfds_t i, nnm = 0;
	int ready, rv = -1;

	for (i = 0; i < n; i++)
		nnm += nmc_get(fds[i].fd) != NULL;
	if (nnm == 0)
		return real_ppoll(fds, n, ts, mask);
	if (n == 1 && mask == NULL)
		return nmc_poll1(fds, nmc_get(fds[0].fd), ts);
	if (n > sizeof(small) / sizeof(small[0])) {
		tmp = calloc(n, sizeof(*tmp));
		if (tmp == NULL) {
			errno = ENOMEM;
			return -1;
		}
	}
	if (ts != NULL)
		deadline = nmc_now_ns() + (uint64_t)ts->tv_sec * 1000000000u +
		    (uint64_t)ts->tv_nsec;
	for (;;) {
		bool block = ts == NULL || nmc_ms_left(deadline) > 0;
		struct timespec left, *lp = NULL;
		int others = 0;

		ready = 0;
		for (i = 0; i < n; i++) {
			struct nmc_port *p = nmc_get(fds[i].fd);

			fds[i].revents = 0;
			if (p == NULL)
				continue;
			fds[i].revents = (short)nmc_poll_one(fds[i].fd, p,
			    fds[i].events, block);
			ready += fds[i].revents != 0;
		}
		/* The wait set: sockets for WAKE, others as asked. */
		for (i = 0; i < n; i++) {
			tmp[i] = fds[i];
			tmp[i].revents = 0;
			if (nmc_get(fds[i].fd) != NULL)
				tmp[i].events = POLLIN;
		}
		if (ready || !block) {
			left.tv_sec = left.tv_nsec = 0;
			lp = &left;
		} else if (ts != NULL) {
			uint64_t now = nmc_now_ns();
			uint64_t d = deadline > now ? deadline - now : 0;

			left.tv_sec = (time_t)(d / 1000000000u);
			left.tv_nsec = (long)(d % 1000000000u);
			lp = &left;
		}
		rv = real_ppoll(tmp, n, lp, mask);
		if (rv < 0)
			goto out;
		for (i = 0; i < n; i++) {
			struct nmc_port *p = nmc_get(fds[i].fd);

			if (p == NULL) {
				fds[i].revents = tmp[i].revents;
				others += tmp[i].revents != 0;
				continue;
			}
			if (tmp[i].revents & (POLLHUP | POLLERR | POLLNVAL))
				fds[i].revents |= POLLERR;
			else if (tmp[i].revents & POLLIN)
				nmc_drain(fds[i].fd, p);
		}
		if (ready || others || !block) {
			/* Report netmap descriptors as they are now. */
			rv = 0;
			for (i = 0; i < n; i++) {
				struct nmc_port *p = nmc_get(fds[i].fd);

				if (p != NULL && fds[i].revents == 0 &&
				    (tmp[i].revents & POLLIN))
					fds[i].revents = (short)nmc_poll_one(
					    fds[i].fd, p, fds[i].events,
					    false);
				rv += fds[i].revents != 0;
			}
			goto out;
		}
	}
out:
	if (tmp != small)
		free(tmp);
	return rv;
}

static int
nmc_poll_ms(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	if (timeout < 0)
		return nmc_ppoll(fds, n, NULL, NULL);
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	return nmc_ppoll(fds, n, &ts, NULL);
}

static int
nmc_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask)
{
	struct pollfd *pf;
	int fd, n = 0, rv, nnm = 0;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	for (fd = 0; fd < nfds; fd++) {
		if ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
		    (ex && FD_ISSET(fd, ex))) {
			n++;
			nnm += nmc_get(fd) != NULL;
		}
	}
	if (nnm == 0) {
		/* pselect6 takes {mask, size} and may write the timeout. */
		struct timespec t, *tp = NULL;
		unsigned long sm[2] = { (unsigned long)(uintptr_t)mask,
		    _NSIG / 8 };

		if (ts != NULL) {
			t = *ts;
			tp = &t;
		}
		return (int)syscall(SYS_pselect6, nfds, rd, wr, ex, tp,
		    mask != NULL ? sm : NULL);
	}
	pf = calloc((size_t)n, sizeof(*pf));
	if (pf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (fd = 0, n = 0; fd < nfds; fd++) {
		short ev = 0;

		if (rd && FD_ISSET(fd, rd))
			ev |= POLLIN;
		if (wr && FD_ISSET(fd, wr))
			ev |= POLLOUT;
		if (ex && FD_ISSET(fd, ex))
			ev |= POLLPRI;
		if (ev) {
			pf[n].fd = fd;
			pf[n++].events = ev;
		}
	}
	rv = nmc_ppoll(pf, (nfds_t)n, ts, mask);
	if (rv >= 0) {
		int i;

		if (rd)
			FD_ZERO(rd);
		if (wr)
			FD_ZERO(wr);
		if (ex)
			FD_ZERO(ex);
		rv = 0;
		for (i = 0; i < n; i++) {
			short re = pf[i].revents;

			if (re & POLLNVAL) {
				free(pf);
				errno = EBADF;
				return -1;
			}
			if (rd && (pf[i].events & POLLIN) &&
			    (re & (POLLIN | POLLHUP | POLLERR))) {
				FD_SET(pf[i].fd, rd);
				rv++;
			}
			if (wr && (pf[i].events & POLLOUT) &&
			    (re & (POLLOUT | POLLERR))) {
				FD_SET(pf[i].fd, wr);
				rv++;
			}
			if (ex && (pf[i].events & POLLPRI) &&
			    (re & POLLPRI)) {
				FD_SET(pf[i].fd, ex);
				rv++;
			}
		}
	}
	free(pf);
	return rv;
}

/*
 * epoll: a netmap descriptor is registered in the kernel's set as its
 * socket (EPOLLIN, for WAKEs) under a tagged cookie, and its real
 * interest and data are kept here. epoll_wait runs the implicit syncs of
 * the registered descriptors first, as the kernel module's poll hook
 * would, and reports them with the application's data.
 */
static int
nmc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_event kev;
	struct nmc_ep *e, **pp;
	int rv;

	if (nmc_get(fd) == NULL)
		return real_epoll_ctl(epfd, op, fd, ev);
	kev.events = EPOLLIN;
	kev.data.u64 = nmc.ep_tag | (uint32_t)fd;
	rv = real_epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? NULL : &kev);
	if (rv < 0)
		return rv;
	pthread_mutex_lock(&nmc.lock);
	for (pp = &nmc.eps; (e = *pp) != NULL; pp = &e->next)
		if (e->epfd == epfd && e->fd == fd)
			break;
	if (op == EPOLL_CTL_DEL) {
		if (e != NULL) {
			*pp = e->next;
			free(e);
			nmc.neps--;
		}
	} else {
		if (e == NULL && (e = calloc(1, sizeof(*e))) != NULL) {
			e->epfd = epfd;
			e->fd = fd;
			e->next = nmc.eps;
			nmc.eps = e;
			nmc.neps++;
		}
		if (e != NULL) {
			e->events = ev->events;
			e->data = ev->data;
		}
	}
	pthread_mutex_unlock(&nmc.lock);
	return 0;
}

/* The registrations of epfd: a snapshot, so we can sync unlocked. */
static int
nmc_ep_snapshot(int epfd, struct nmc_ep **out)
{
	struct nmc_ep *e, *v = NULL;
	int n = 0;

	if (__atomic_load_n(&nmc.neps, __ATOMIC_RELAXED) == 0)
		return 0;
	pthread_mutex_lock(&nmc.lock);
	for (e = nmc.eps; e != NULL; e = e->next)
		n += e->epfd == epfd;
	if (n > 0 && (v = calloc((size_t)n, sizeof(*v))) != NULL) {
		n = 0;
		for (e = nmc.eps; e != NULL; e = e->next)
			if (e->epfd == epfd)
				v[n++] = *e;
	} else {
		n = 0;
	}
	pthread_mutex_unlock(&nmc.lock);
	*out = v;
	return n;
}

static int
nmc_epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
    const sigset_t *mask)
{
	struct nmc_ep *v;
	uint64_t deadline = 0;
	int nv, out, i, rv;

	nv = nmc_ep_snapshot(epfd, &v);
	if (nv == 0)
		return real_epoll_pwait(epfd, evs, max, timeout, mask);
	if (max <= 0) {
		free(v);
		errno = EINVAL;
		return -1;
	}
	if (timeout > 0)
		deadline = nmc_now_ns() + (uint64_t)timeout * 1000000u;
	for (;;) {
		int left = timeout <= 0 ? timeout : nmc_ms_left(deadline);
		struct nmc_port *p;

		out = 0;
		for (i = 0; i < nv && out < max; i++) {
			int r;

			p = nmc_get(v[i].fd);
			if (p == NULL)
				continue;
			r = nmc_poll_one(v[i].fd, p, (short)(v[i].events &
			    0xffff), left != 0);
			r &= (int)(v[i].events | EPOLLERR | EPOLLHUP);
			if (r) {
				evs[out].events = (uint32_t)r;
				evs[out++].data = v[i].data;
			}
		}
		rv = real_epoll_pwait(epfd, evs + out, max - out,
		    out > 0 ? 0 : left, mask);
		if (rv < 0) {
			if (out > 0)
				break;
			free(v);
			return -1;
		}
		/* Keep the others; our sockets only said "look again". */
		for (i = out; i < out + rv; i++) {
			uint64_t d = evs[i].data.u64;

			if ((d & ~0xffffffffull) == nmc.ep_tag &&
			    (p = nmc_get((int)(uint32_t)d)) != NULL) {
				nmc_drain((int)(uint32_t)d, p);
				memmove(&evs[i], &evs[i + 1],
				    (size_t)(out + rv - i - 1) *
				    sizeof(evs[0]));
				rv--;
				i--;
			}
		}
		out += rv;
		if (out > 0 || left == 0)
			break;
	}
	free(v);
	return out;
}

/* ---- the interposed calls ---- */

/*
 * Whether open("/dev/netmap") goes to netmapd: NETMAP_HOST=user forces
 * it, NETMAP_HOST=kernel forbids it, otherwise only without a device.
 */
static int
nmc_open_dev(int dirfd, const char *path, int flags, mode_t mode)
{
	const char *host = getenv("NETMAP_HOST");
	int fd;

	if (host != NULL && strcmp(host, "user") == 0)
		return nmc_open(flags);
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 || errno != ENOENT ||
	    (host != NULL && strcmp(host, "kernel") == 0))
		return fd;
	return nmc_open(flags);
}

static bool
nmc_is_dev(const char *path)
{
	return path != NULL && strcmp(path, "/dev/netmap") == 0;
}

static mode_t
nmc_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

/* The open family: /dev/netmap is ours, anything else the kernel's. */
static int
nmc_open_any(int dirfd, const char *path, int flags, mode_t mode)
{
	if (nmc_is_dev(path))
		return nmc_open_dev(dirfd, path, flags, mode);
	return real_openat(dirfd, path, flags, mode);
}

#define NMC_OPEN_MODE(flags, mode) do {					\
	va_list ap_;							\
									\
	va_start(ap_, flags);						\
	(mode) = nmc_mode((flags), ap_);				\
	va_end(ap_);							\
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(AT_FDCWD, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	NMC_OPEN_MODE(flags, mode);
	return nmc_open_any(dirfd, path, flags | O_LARGEFILE, mode);
}

/* _FORTIFY_SOURCE entry points. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	return nmc_open_any(AT_FDCWD, path, flags, 0);
}

int
__open64_2(const char *path, int flags)
{
	return __open_2(path, flags | O_LARGEFILE);
}

int
close(int fd)
{
	nmc_forget(fd);
	return real_close(fd);
}

int
close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int fd;

	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		for (fd = first; fd <= last && fd < NMC_L1 * NMC_L2; fd++) {
			if (nmc.tab[fd / NMC_L2] == NULL) {
				fd |= NMC_L2 - 1;	/* skip the chunk */
				continue;
			}
			nmc_forget((int)fd);
		}
	}
	return (int)syscall(SYS_close_range, first, last, flags);
}

int
dup(int fd)
{
	struct nmc_port *p;
	int nfd = (int)syscall(SYS_dup, fd);

	if (nfd >= 0) {
		pthread_mutex_lock(&nmc.lock);
		p = nmc_get(fd);
		if (p != NULL)
			nmc_set_locked(nfd, p);
		pthread_mutex_unlock(&nmc.lock);
	}
	return nfd;
}

static int
nmc_dup3(int fd, int nfd, int flags)
{
	struct nmc_port *p;
	int rv;

	if (fd == nfd && flags == -1) {	/* dup2 on itself: a check */
		return fcntl(fd, F_GETFD) < 0 ? -1 : fd;
	}
	rv = (int)syscall(SYS_dup3, fd, nfd, flags == -1 ? 0 : flags);
	if (rv >= 0) {
		nmc_forget(nfd);	/* the kernel closed what was there */
		pthread_mutex_lock(&nmc.lock);
		p = nmc_get(fd);
		nmc_set_locked(nfd, p);
		pthread_mutex_unlock(&nmc.lock);
	}
	return rv;
}

int
dup2(int fd, int nfd)
{
	return nmc_dup3(fd, nfd, -1);
}

int
dup3(int fd, int nfd, int flags)
{
	return nmc_dup3(fd, nfd, flags);
}

int
ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return nmc_ioctl(fd, cmd, arg);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return nmc_mmap(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return nmc_mmap(addr, len, prot, flags, fd, off);
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return nmc_poll_ms(fds, n, timeout);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);

int
__poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return nmc_poll_ms(fds, n, timeout);
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
    const sigset_t *mask)
{
	return nmc_ppoll(fds, n, ts, mask);
}

int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct timespec ts;
	uint64_t end, now;
	int rv;

	if (tv == NULL)
		return nmc_pselect(nfds, rd, wr, ex, NULL, NULL);
	if (tv->tv_sec < 0 || tv->tv_usec < 0) {
		errno = EINVAL;
		return -1;
	}
	ts.tv_sec = tv->tv_sec;
	ts.tv_nsec = tv->tv_usec * 1000;
	end = nmc_now_ns() + (uint64_t)tv->tv_sec * 1000000000u +
	    (uint64_t)tv->tv_usec * 1000u;
	rv = nmc_pselect(nfds, rd, wr, ex, &ts, NULL);
	/* Linux leaves the time not slept in *tv. */
	now = nmc_now_ns();
	now = now < end ? (end - now) / 1000 : 0;
	tv->tv_sec = (time_t)(now / 1000000);
	tv->tv_usec = (suseconds_t)(now % 1000000);
	return rv;
}

int
pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
    const struct timespec *ts, const sigset_t *mask)
{
	return nmc_pselect(nfds, rd, wr, ex, ts, mask);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return nmc_epoll_ctl(epfd, op, fd, ev);
}

int
epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	return nmc_epoll_pwait(epfd, evs, max, timeout, NULL);
}

int
epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
    const sigset_t *mask)
{
	return nmc_epoll_pwait(epfd, evs, max, timeout, mask);
}
