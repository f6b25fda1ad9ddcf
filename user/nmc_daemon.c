// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_daemon.c: how the netmapd client finds its daemon: the socket path
 * (nmd_socket_path), starting a daemon on demand, connecting, deciding
 * whether what answers is a daemon we trust (whoever can listen at the
 * path could be another user), and the first exchange on a new
 * descriptor (HELLO) or on one we did not open ourselves (ATTACH), each
 * bounded in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nmc.h"

#define NMC_CONNECT_MS		5000	/* to wait for a starting daemon */
#define NMC_DAEMON_IDLE		"30"	/* seconds, for daemons we start */

/*
 * Start a daemon: $NETMAP_DAEMON, else netmapd next to our executable,
 * else netmapd in $PATH; never in a setuid program. The daemon's parent
 * process exits once the socket listens, so waiting for it is waiting
 * for the daemon.
 */
static void
nmc_spawn_daemon(void)
{
	char self[PATH_MAX], cand[PATH_MAX + 16];
	const char *env = secure_getenv("NETMAP_DAEMON");
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	char **envp;
	sigset_t none;
	ssize_t n;
	size_t i, j, ne;
	pid_t pid;
	int st;

	/*
	 * A setuid program must not run a daemon of its caller's choosing
	 * (NETMAP_DAEMON, PATH), nor one with its privileges: no daemon.
	 */
	if (getauxval(AT_SECURE))
		return;
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
 * Whoever could create the socket's directory could have put a fake
 * daemon there (another user who made /tmp/netmap-UID first): it must
 * be a directory, not a symlink, either ours and private (0700, as
 * netmapd makes it) or root's and not writable by others (a system
 * daemon's). 0 or EACCES.
 */
static int
nmc_trusted_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return EACCES;
	if (st.st_uid == geteuid())
		return (st.st_mode & 077) == 0 ? 0 : EACCES;
	if (st.st_uid == 0 && (st.st_mode & 022) == 0)
		return 0;
	return EACCES;
}

/* The daemon must run as our user, or as root. 0 or EACCES. */
static int
nmc_trusted_peer(int s)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return errno;
	return cr.uid == geteuid() || cr.uid == 0 ? 0 : EACCES;
}

/*
 * A connected socket to the daemon at `path` (the default one if NULL,
 * started on demand). The socket gets a kernel-assigned abstract name
 * first (autobind), which is how the daemon finds the connection when
 * the descriptor is passed to another process. Only a daemon we trust
 * (nmc_trusted_dir, nmc_trusted_peer) is ours. Returns fd or -errno.
 */
static int
nmc_connect(const char *path, int cloexec, bool start, bool opening)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa;
	sa_family_t fam = AF_UNIX;
	socklen_t salen;
	uint64_t deadline = 0, full;
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
	/*
	 * Non-blocking: a connect to a daemon that does not accept (hung,
	 * or out of descriptors) would block once its backlog is full.
	 */
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | cloexec, 0);
	if (s < 0)
		return -errno;
	if (opening && (errno = nmc_opening(s, true)) != 0)
		goto fail;
	if (bind(s, (struct sockaddr *)&fam, sizeof(fam)) < 0)
		goto fail;
	full = nmd_mono_ns() + NMC_HELLO_MS * 1000000ull;
	for (;;) {
		if (connect(s, (struct sockaddr *)&sa, salen) == 0) {
			/* The descriptor is the application's: blocking. */
			if (fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK) <
			    0)
				goto fail;
			error = nmc_trusted_dir(path);
			if (error == 0)
				error = nmc_trusted_peer(s);
			if (error == 0)
				return s;
			errno = error;
			goto fail;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {		/* the backlog is full */
			if (nmd_mono_ns() > full) {
				errno = ETIMEDOUT;
				goto fail;
			}
			usleep(5000);
			continue;
		}
		if (!start || (errno != ENOENT && errno != ECONNREFUSED))
			goto fail;
		if (!spawned) {
			nmc_spawn_daemon();
			spawned = true;
			deadline = nmd_mono_ns() + NMC_CONNECT_MS * 1000000ull;
			continue;
		}
		if (nmd_mono_ns() > deadline)
			goto fail;
		usleep(5000);
	}
fail:
	error = errno;
	if (opening)
		nmc_opening(s, false);
	real_close(s);
	return -error;
}

/* open("/dev/netmap") served by netmapd. fd or -1/errno. */
int
nmc_open(int flags)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = NMD_MSG_HELLO, .len = sizeof(m),
		.arg = NMD_VERSION,
	};
	struct nmc_port *p = NULL;
	int s, bellfd = -1, error;
	ssize_t n;

	s = nmc_connect(NULL, (flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0, true,
	    true);
	if (s < 0) {
		/* As if there were no device, unless we know better. */
		errno = s == -ENOMEM || s == -EMFILE || s == -ENFILE ||
		    s == -EACCES || s == -ETIMEDOUT ? -s : ENOENT;
		return -1;
	}
	error = nmd_send(s, &m, sizeof(m), -1, 0);
	if (error)
		goto fail;
	n = nmc_recv_reply(s, &m, sizeof(m), &bellfd, NMC_HELLO_MS);
	error = n < 0 ? (int)-n : EPROTO;
	if (n != sizeof(m) || m.type != NMD_MSG_HELLO)
		goto fail;
	/* A refusal (the daemon's caps: ENFILE, EMFILE) has no doorbell. */
	if (m.error > 0 && m.error < 4096 && bellfd < 0) {
		error = m.error;
		goto fail;
	}
	if (m.error != 0 || bellfd < 0)
		goto fail;
	error = nmc_check_memfd(bellfd, NMD_BELL_SIZE);
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
	error = nmc_adopt(s, p, true);
	p = NULL;	/* the table's, or freed */
	if (error)
		goto fail;
	nmc_opening(s, false);
	return s;
fail:
	if (p != NULL)
		nmc_port_free(p);
	if (bellfd >= 0)
		real_close(bellfd);
	nmc_opening(s, false);
	real_close(s);
	errno = error;
	return -1;
}

/*
 * A descriptor we did not open (inherited through exec, passed with
 * SCM_RIGHTS, copied by a raw system call): if it is a SEQPACKET socket
 * with an abstract (autobind) name whose peer has a path, it may be a
 * netmapd connection. Ask the daemon at that path for its doorbell over
 * a fresh connection, proving that we hold it by passing it along. The
 * port, or NULL if it is not a netmap descriptor.
 */
struct nmc_port *
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
	s = nmc_connect(peer.sun_path, SOCK_CLOEXEC, false, false);
	if (s < 0)
		return NULL;
	n = -1;
	if (nmd_send(s, &m, sizeof(m), fd, 0) == 0)
		n = nmc_recv_reply(s, &m, sizeof(m), &bellfd,
		    NMC_HELLO_MS);
	real_close(s);
	if (n != sizeof(m) || m.type != NMD_MSG_ATTACH || m.error != 0 ||
	    bellfd < 0 || nmc_check_memfd(bellfd, NMD_BELL_SIZE) != 0) {
		if (bellfd >= 0)
			real_close(bellfd);
		return NULL;
	}
	p = nmc_port_new(bellfd);
	real_close(bellfd);
	if (p == NULL)
		return NULL;
	if (nmc_bell_lock_init(p->bell) != 0) {
		nmc_port_free(p);
		return NULL;
	}
	p->sock_dev = st.st_dev;
	p->sock_ino = st.st_ino;
	return p;
}
