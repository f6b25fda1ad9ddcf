// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmd_close.c: close() of a netmap descriptor is synchronous, as with
 * the kernel module: once the last reference to a bound descriptor is
 * closed, the binding is gone. `nmd_close NAME` runs one test:
 *
 *   excl     200 times: bind a VALE port NR_EXCLUSIVE, close, bind it
 *            again: never EBUSY (while bound, a second exclusive bind
 *            is EBUSY)
 *   persist  a persistent port (VALE_NEWIF): 50 times bind it, close,
 *            and delete it at once (VALE_DELIF): 0, never EBUSY
 *   dup      a dup()ed descriptor keeps the binding when the other one
 *            is closed: exclusive bind EBUSY, its syncs work; after its
 *            close the port is free
 *   fork     a child closes its copy of the descriptor: the parent's
 *            binding stays, and goes with the parent's close; 20 times,
 *            a child exits without closing, then the parent closes:
 *            the port is free at once
 *   scm      a descriptor passed with SCM_RIGHTS to another process,
 *            which uses it: the sender's close leaves the binding to
 *            the receiver, whose close releases it at once
 *   paths    the other ways a descriptor is closed, 20 times each:
 *            close_range over it and a plain file, dup2 of another
 *            descriptor onto it: the port is free at once, the file
 *            closed, the descriptor dup2 put there a copy of the other
 *   bench N  N cycles of open, REGISTER (not exclusive), close: the
 *            time of a cycle and of its close (not a pass/fail test)
 *
 * The caller runs a daemon ($NETMAP_SOCKET, see tests/user/lib.sh).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "nmd_test.h"

int unit_checks;

#define BR	"valecl0:"

static int
bind_excl(int fd, const char *name)
{
	struct nmreq_register reg;

	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_flags = NR_EXCLUSIVE;
	return unit_register(fd, name, &reg, NULL);
}

/* Open and bind name exclusively: the descriptor; any failure fails. */
static int
open_excl(const char *name)
{
	int fd = unit_open();

	if (bind_excl(fd, name) != 0) {
		fprintf(stderr, "bind %s: %s\n", name, strerror(errno));
		exit(1);
	}
	return fd;
}

/* name is bound by someone: an exclusive bind is refused with EBUSY. */
static void
check_busy(const char *name)
{
	int fd = unit_open();

	CHECK_ERR(bind_excl(fd, name), EBUSY);
	CHECK_EQ(close(fd), 0);
}

/* A control request on fd; the ioctl's result, errno as set. */
static int
ctl_on(int fd, uint16_t type, const char *name, void *body)
{
	struct nmreq_header h;

	unit_hdr(&h, type, name, body);
	return ioctl(fd, NIOCCTRL, &h);
}

static int
ctl(uint16_t type, const char *name, void *body)
{
	int fd = unit_open(), r = ctl_on(fd, type, name, body), e = errno;

	CHECK_EQ(close(fd), 0);
	errno = e;
	return r;
}

/*
 * Close fd, bound to name exclusively, and bind name on a descriptor
 * opened before: at once, as a new connection's setup would give the
 * daemon time to catch up. The new descriptor.
 */
static int
close_rebind(int fd, const char *name)
{
	int nfd = unit_open();

	CHECK_EQ(close(fd), 0);
	CHECK_EQ(bind_excl(nfd, name), 0);
	return nfd;
}

static void
t_excl(void)
{
	int i, fd;

	fd = open_excl(BR "x");
	check_busy(BR "x");
	for (i = 0; i < 200; i++)
		fd = close_rebind(fd, BR "x");
	CHECK_EQ(close(fd), 0);
}

static void
t_persist(void)
{
	struct nmreq_vale_newif nif;
	int i, fd, cfd;

	for (i = 0; i < 50; i++) {
		memset(&nif, 0, sizeof(nif));
		CHECK_EQ(ctl(NETMAP_REQ_VALE_NEWIF, "clp0", &nif), 0);
		fd = open_excl("clp0");
		cfd = unit_open();
		CHECK_ERR(ctl_on(cfd, NETMAP_REQ_VALE_DELIF, "clp0", NULL),
		    EBUSY);
		CHECK_EQ(close(fd), 0);
		CHECK_EQ(ctl_on(cfd, NETMAP_REQ_VALE_DELIF, "clp0", NULL), 0);
		CHECK_EQ(close(cfd), 0);
	}
	CHECK_ERR(ctl(NETMAP_REQ_VALE_DELIF, "clp0", NULL), ENXIO);
}

static void
t_dup(void)
{
	int fd = open_excl(BR "d"), fd2 = dup(fd);

	CHECK(fd2 >= 0);
	CHECK_EQ(close(fd), 0);
	check_busy(BR "d");
	CHECK_EQ(ioctl(fd2, NIOCTXSYNC, NULL), 0);
	CHECK_EQ(ioctl(fd2, NIOCRXSYNC, NULL), 0);
	fd = close_rebind(fd2, BR "d");
	CHECK_EQ(close(fd), 0);
}

static void
t_fork(void)
{
	int fd = open_excl(BR "f"), st, i;
	pid_t pid;

	CHECK_EQ(ioctl(fd, NIOCTXSYNC, NULL), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A failure here exits 1, which the parent sees. */
		CHECK_EQ(ioctl(fd, NIOCTXSYNC, NULL), 0);
		CHECK_EQ(close(fd), 0);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_busy(BR "f");
	CHECK_EQ(ioctl(fd, NIOCTXSYNC, NULL), 0);
	for (i = 0; i < 20; i++) {
		fd = close_rebind(fd, BR "f");
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			exit(0);	/* the kernel closes its copy */
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	fd = close_rebind(fd, BR "f");
	CHECK_EQ(close(fd), 0);
}

static void
send_fd(int sock, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	CHECK_EQ(sendmsg(sock, &m, 0), 1);
}

static int
recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	CHECK_EQ(recvmsg(sock, &m, 0), 1);
	cm = CMSG_FIRSTHDR(&m);
	CHECK(cm != NULL && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static void
t_scm(void)
{
	int sp[2], fd, st;
	char c = 0;
	pid_t pid;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	pid = fork();	/* before the open: the child holds nothing yet */
	CHECK(pid >= 0);
	if (pid == 0) {
		fd = recv_fd(sp[1]);
		CHECK_EQ(ioctl(fd, NIOCTXSYNC, NULL), 0);	/* attaches */
		CHECK_EQ(write(sp[1], &c, 1), 1);
		CHECK_EQ(read(sp[1], &c, 1), 1);	/* the sender closed */
		CHECK_EQ(ioctl(fd, NIOCRXSYNC, NULL), 0);
		fd = close_rebind(fd, BR "s");
		CHECK_EQ(close(fd), 0);
		_exit(0);
	}
	fd = open_excl(BR "s");
	send_fd(sp[0], fd);
	CHECK_EQ(read(sp[0], &c, 1), 1);
	CHECK_EQ(close(fd), 0);
	check_busy(BR "s");
	CHECK_EQ(write(sp[0], &c, 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(close(sp[0]), 0);
	CHECK_EQ(close(sp[1]), 0);
	fd = open_excl(BR "s");
	CHECK_EQ(close(fd), 0);
}

static void
t_paths(void)
{
	int i, fd, nfd, other;

	fd = open_excl(BR "p");
	for (i = 0; i < 20; i++) {
		other = open("/dev/null", O_RDONLY);
		nfd = unit_open();
		CHECK(other > fd && nfd > other);	/* out of the range */
		CHECK_EQ(close_range((unsigned)fd, (unsigned)other, 0), 0);
		CHECK_ERR(fcntl(other, F_GETFD), EBADF);
		CHECK_EQ(bind_excl(nfd, BR "p"), 0);
		CHECK_EQ(dup2(nfd, fd), fd);
		CHECK_EQ(close(nfd), 0);
	}
	for (i = 0; i < 20; i++) {
		nfd = unit_open();
		other = open("/dev/null", O_RDONLY);
		CHECK(other >= 0);
		CHECK_EQ(dup2(other, fd), fd);
		CHECK_EQ(bind_excl(nfd, BR "p"), 0);
		CHECK_ERR(ioctl(fd, NIOCTXSYNC, NULL), ENOTTY);
		CHECK_EQ(close(other), 0);
		CHECK_EQ(dup2(nfd, fd), fd);
		CHECK_EQ(close(nfd), 0);
	}
	CHECK_EQ(close(fd), 0);
}

static void
t_bench(int n)
{
	struct nmreq_register reg;
	uint64_t t0, t, tclose = 0;
	int i, fd;

	CHECK(n > 0);
	t0 = nt_now_ns();
	for (i = 0; i < n; i++) {
		fd = unit_open();
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		CHECK_EQ(unit_register(fd, BR "b", &reg, NULL), 0);
		t = nt_now_ns();
		CHECK_EQ(close(fd), 0);
		tclose += nt_now_ns() - t;
	}
	t = nt_now_ns() - t0;
	printf("bench: %d cycles, %.1f us a cycle, %.1f us a close\n", n,
	    (double)t / n / 1000, (double)tclose / n / 1000);
}

int
main(int argc, char **argv)
{
	setenv("NETMAP_HOST", "user", 1);
	if (argc == 2 && strcmp(argv[1], "excl") == 0)
		t_excl();
	else if (argc == 2 && strcmp(argv[1], "persist") == 0)
		t_persist();
	else if (argc == 2 && strcmp(argv[1], "dup") == 0)
		t_dup();
	else if (argc == 2 && strcmp(argv[1], "fork") == 0)
		t_fork();
	else if (argc == 2 && strcmp(argv[1], "scm") == 0)
		t_scm();
	else if (argc == 2 && strcmp(argv[1], "paths") == 0)
		t_paths();
	else if (argc == 3 && strcmp(argv[1], "bench") == 0)
		t_bench(atoi(argv[2]));
	else {
		fprintf(stderr, "usage: nmd_close excl|persist|dup|fork|"
		    "scm|paths|bench N\n");
		return 2;
	}
	printf("nmd_close %s: %d checks passed\n", argv[1], unit_checks);
	return 0;
}
