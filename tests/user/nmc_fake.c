// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmc_fake.c: the client library against fake daemons (issue 12, items
 * 7 and 9). Whoever listens at the socket path may be hostile: another
 * user who created /tmp/netmap-UID first, or a daemon that hangs. Each
 * case forks a fake daemon that listens on a socket of its own and
 * misbehaves in one way, and a client process that must get an error
 * (the errno is checked), never crash, hang or let the fake write into
 * its memory, nor keep a note that is not short printable text. All
 * cases run at once; each client has an alarm as a hang
 * detector.
 *
 * Cases that need root (a listener or a directory of another uid) are
 * skipped, and said so, without it. `nmc_fake [CASE...]` runs the cases
 * named, or all.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "nmc.h"
#include "nmd_proto.h"
#include "nmd_test.h"

int unit_checks;

#define NOBODY		65534

enum fake_case {
	FC_NO_ACCEPT,		/* never accepts; its backlog is full */
	FC_SILENT_HELLO,	/* accepts, never answers: open times out */
	FC_SILENT_CTRL,		/* answers HELLO, then nothing */
	FC_SILENT_BELL,		/* answers requests, never the doorbell */
	FC_SMALL_BELL,		/* doorbell memfd smaller than a page */
	FC_FILE_BELL,		/* doorbell that is a file, not a memfd */
	FC_SEG_FOREIGN,		/* reply segment to an address not sent */
	FC_SEG_LONGER,		/* reply segment longer than the one sent */
	FC_SMALL_REGION,	/* region memfd smaller than it claims */
	FC_SMALL_REGION_MSG,	/* the same, answering a REGION request */
	FC_PEER_NOBODY,		/* the listener belongs to another uid */
	FC_DIR_MODE,		/* the directory is 0755 */
	FC_DIR_LINK,		/* the directory is a symlink */
	FC_DIR_OWNER,		/* the directory belongs to another uid */
	FC_UNSEALED_BELL,	/* a doorbell memfd that could still shrink */
	FC_REFUSED,		/* HELLO refused (a cap): no doorbell */
	FC_NOTE,		/* a note with the reply: kept for the fd */
	FC_NOTE_LONG,		/* a note over NMD_NOTE_MAX */
	FC_NOTE_UNTERM,		/* a note without its NUL */
	FC_NOTE_CTRL,		/* a note with a control character */
	FC_NOTE_PAD,		/* a note padded with other than NULs */
	FC_NOTE_STALE,		/* a good note, then a bad one */
	FC_HONEST,		/* the control case: everything fine */
	FC_NCASES
};

static const char *const fc_names[FC_NCASES] = {
	"no-accept", "silent-hello", "silent-ctrl", "silent-bell",
	"small-bell", "file-bell", "seg-foreign", "seg-longer",
	"small-region", "small-region-msg", "peer-nobody", "dir-mode",
	"dir-link", "dir-owner", "unsealed-bell", "refused", "note",
	"note-long", "note-unterm", "note-ctrl", "note-pad", "note-stale",
	"honest",
};

#define FAKE_NOTE	"veth0: AF_XDP copy, 1 queue"

/*
 * The note ending the IOCTL reply of case fc, in out (room for
 * NMD_NOTE_MAX + 8 bytes): its length, 0 for none.
 */
static size_t
fake_note(enum fake_case fc, uint8_t *out)
{
	size_t len = nmd_align8(sizeof(FAKE_NOTE));
	static unsigned replies;	/* this fake's, one connection */

	memset(out, 0, NMD_NOTE_MAX + 8);
	memcpy(out, FAKE_NOTE, sizeof(FAKE_NOTE));
	switch (fc) {
	case FC_NOTE_STALE:
		if (replies++ == 0)
			return len;
		memset(out, 'x', len);
		return len;
	case FC_NOTE:
		return len;
	case FC_NOTE_LONG:
		memset(out, 'x', NMD_NOTE_MAX);
		return NMD_NOTE_MAX + 8;
	case FC_NOTE_UNTERM:
		memset(out, 'x', len);
		return len;
	case FC_NOTE_CTRL:
		out[5] = 0x1b;
		return len;
	case FC_NOTE_PAD:
		out[len - 1] = 'x';
		return len;
	default:
		return 0;
	}
}

/* What a hostile reply must never overwrite. */
static volatile uint64_t canary = 0x600dc0ffee;

static char base[64];

/* A memfd sealed as netmapd seals them, unless `sealed` is false. */
static int
fake_memfd_sealed(size_t size, bool sealed)
{
	int fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	if (sealed)
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_SEAL), 0);
	return fd;
}

static int
fake_memfd(size_t size)
{
	return fake_memfd_sealed(size, true);
}

static void
fake_reply(int s, uint16_t type, int error, uint64_t arg, int fd)
{
	struct nmd_msg m = {
		.magic = NMD_MAGIC, .type = type, .len = sizeof(m),
		.error = error, .arg = arg,
	};

	CHECK_EQ(nmd_send(s, &m, sizeof(m), fd, 0), 0);
}

/* The IOCTL reply: the argument as sent, plus one hostile segment. */
static void
fake_ioctl_reply(int s, enum fake_case fc, const uint8_t *req, size_t n)
{
	static uint8_t out[NMD_MSG_MAX];
	const struct nmd_msg *m = (const void *)req;
	size_t off = sizeof(*m) + nmd_align8(nmd_ioctl_argsize(m->cmd));
	struct nmd_msg *r = (void *)out;
	struct nmd_seg seg;
	int fd = -1;

	CHECK(m->nseg >= 1 && off + sizeof(seg) <= n);
	memcpy(&seg, req + off, sizeof(seg));
	memcpy(out, req, off);
	r->nseg = 1;
	r->error = 0;
	if (fc == FC_SEG_FOREIGN) {
		seg.uaddr = (uintptr_t)&canary;
		seg.len = sizeof(canary);
	} else if (fc == FC_SEG_LONGER) {
		seg.len += 64;
	}
	if (fc == FC_SMALL_REGION) {
		r->arg = 1 << 20;
		fd = fake_memfd(4096);
		seg.len = 0;
		r->nseg = 0;
	}
	seg.flags = NMD_SEG_DIRTY;
	if (r->nseg) {
		memcpy(out + off, &seg, sizeof(seg));
		off += sizeof(seg);
		memset(out + off, 0x5a, nmd_align8(seg.len));
		off += nmd_align8(seg.len);
	}
	off += fake_note(fc, out + off);
	r->len = (uint32_t)off;
	CHECK_EQ(nmd_send(s, out, off, fd, 0), 0);
	if (fd >= 0)
		close(fd);
}

/* The fake daemon: one connection, served the way `fc` says. */
static void
fake_serve(int ls, enum fake_case fc)
{
	static uint8_t req[NMD_MSG_MAX];
	ssize_t n;
	int s, fd;

	s = accept(ls, NULL, NULL);
	CHECK(s >= 0);
	n = nmd_recv(s, req, sizeof(req), &fd, 0);
	if (n != sizeof(struct nmd_msg))
		_exit(0);	/* the client gave up on us */
	if (fc == FC_SILENT_HELLO)
		pause();
	if (fc == FC_REFUSED) {
		fake_reply(s, NMD_MSG_HELLO, ENFILE, 0, -1);
		_exit(0);
	}
	if (fc == FC_SMALL_BELL) {
		fd = fake_memfd(100);
	} else if (fc == FC_UNSEALED_BELL) {
		fd = fake_memfd_sealed(NMD_BELL_SIZE, false);
	} else if (fc == FC_FILE_BELL) {
		char path[96];

		snprintf(path, sizeof(path), "%s/bellfile", base);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		CHECK(fd >= 0);
		CHECK_EQ(ftruncate(fd, NMD_BELL_SIZE), 0);
	} else {
		fd = fake_memfd(NMD_BELL_SIZE);
	}
	fake_reply(s, NMD_MSG_HELLO, 0, 0, fd);
	close(fd);
	if (fc == FC_SILENT_CTRL)
		pause();
	for (;;) {
		n = nmd_recv(s, req, sizeof(req), &fd, 0);
		if (n <= 0)
			break;
		if (((struct nmd_msg *)req)->type == NMD_MSG_REGION) {
			fd = fake_memfd(4096);
			fake_reply(s, NMD_MSG_REGION, 0, 1 << 20, fd);
			close(fd);
		} else if (((struct nmd_msg *)req)->type == NMD_MSG_IOCTL) {
			fake_ioctl_reply(s, fc, req, (size_t)n);
		} else {
			break;
		}
	}
	_exit(0);
}

/*
 * A listening socket at DIR/netmapd.sock, DIR made for the case. For
 * FC_PEER_NOBODY the listener is another uid's: the credentials a
 * client sees are taken at listen().
 */
static pid_t
fake_start(enum fake_case fc, char *sockpath, size_t size)
{
	char dir[96], real[112];
	struct sockaddr_un sa;
	socklen_t salen;
	pid_t pid;
	int ls;

	snprintf(dir, sizeof(dir), "%s/%s", base, fc_names[fc]);
	if (fc == FC_DIR_LINK) {
		snprintf(real, sizeof(real), "%s.real", dir);
		CHECK_EQ(mkdir(real, 0700), 0);
		CHECK_EQ(symlink(real, dir), 0);
	} else {
		CHECK_EQ(mkdir(dir, fc == FC_DIR_MODE ? 0755 : 0700), 0);
		CHECK_EQ(chmod(dir, fc == FC_DIR_MODE ? 0755 : 0700), 0);
	}
	snprintf(sockpath, size, "%s/netmapd.sock", dir);
	CHECK_EQ(nmd_sockaddr(&sa, &salen, sockpath), 0);
	ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CHECK(ls >= 0);
	CHECK_EQ(bind(ls, (struct sockaddr *)&sa, salen), 0);
	if (fc == FC_DIR_OWNER)
		CHECK_EQ(chown(dir, NOBODY, NOBODY), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (fc == FC_PEER_NOBODY)
			CHECK_EQ(setresuid(NOBODY, NOBODY, NOBODY), 0);
		if (fc == FC_NO_ACCEPT) {
			/* Backlog 0: one connection fills it. */
			int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);

			CHECK_EQ(listen(ls, 0), 0);
			CHECK_EQ(connect(c, (struct sockaddr *)&sa, salen), 0);
			pause();
		}
		CHECK_EQ(listen(ls, 4), 0);
		fake_serve(ls, fc);
		_exit(0);
	}
	close(ls);
	return pid;
}

/* An ioctl that ships a body: REGISTER of a VALE port. */
static int
client_register(int fd, struct nmreq_register *reg)
{
	unit_reg_init(reg, NR_REG_ALL_NIC);
	return unit_register(fd, "valeF:f", reg, NULL);
}

/* The client of one case; its exit status is the verdict. */
static void
client_run(enum fake_case fc)
{
	struct nmreq_register reg;
	char note[NMD_NOTE_MAX];
	uint8_t *guard;
	char *mem;
	int fd;

	alarm(30);		/* a hang detector, not a timing check */
	switch (fc) {
	case FC_NO_ACCEPT:
	case FC_SILENT_HELLO:
		CHECK_ERR(open("/dev/netmap", O_RDWR), ETIMEDOUT);
		break;
	case FC_SMALL_BELL:
	case FC_FILE_BELL:
	case FC_UNSEALED_BELL:
		CHECK_ERR(open("/dev/netmap", O_RDWR), EPROTO);
		break;
	case FC_REFUSED:
		/* The daemon's answer, not a protocol error. */
		CHECK_ERR(open("/dev/netmap", O_RDWR), ENFILE);
		break;
	case FC_PEER_NOBODY:
	case FC_DIR_MODE:
	case FC_DIR_LINK:
	case FC_DIR_OWNER:
		CHECK_ERR(open("/dev/netmap", O_RDWR), EACCES);
		break;
	case FC_SILENT_CTRL:
		fd = unit_open();
		CHECK_ERR(client_register(fd, &reg), ETIMEDOUT);
		close(fd);
		break;
	case FC_SEG_FOREIGN:
		fd = unit_open();
		CHECK_ERR(client_register(fd, &reg), EPROTO);
		CHECK_EQ(canary, 0x600dc0ffee);
		close(fd);
		break;
	case FC_SEG_LONGER:
		/* The body sits just before memory that must not change. */
		guard = calloc(1, sizeof(reg) + 256);
		CHECK(guard != NULL);
		fd = unit_open();
		{
			struct nmreq_header h;
			struct nmreq_register *r = (void *)guard;
			size_t i;

			unit_reg_init(r, NR_REG_ALL_NIC);
			unit_hdr(&h, NETMAP_REQ_REGISTER, "valeF:f", r);
			CHECK_ERR(ioctl(fd, NIOCCTRL, &h), EPROTO);
			for (i = sizeof(*r); i < sizeof(*r) + 256; i++)
				CHECK_EQ(guard[i], 0);
		}
		free(guard);
		close(fd);
		break;
	case FC_SMALL_REGION:
		fd = unit_open();
		CHECK_ERR(client_register(fd, &reg), EPROTO);
		/* Nothing to map: no SIGBUS behind a successful mmap. */
		mem = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0);
		if (mem != MAP_FAILED)
			CHECK_EQ(mem[(1 << 20) - 1], 0);
		close(fd);
		break;
	case FC_SMALL_REGION_MSG:
		/* Bound elsewhere as far as we know: we ask for the region. */
		fd = unit_open();
		CHECK(mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED);
		CHECK_EQ(errno, EPROTO);
		close(fd);
		break;
	case FC_SILENT_BELL:
		fd = unit_open();
		CHECK_EQ(client_register(fd, &reg), 0);
		CHECK_ERR(ioctl(fd, NIOCTXSYNC, NULL), ETIMEDOUT);
		close(fd);
		break;
	case FC_HONEST:
		/* An older daemon: no note. */
		fd = unit_open();
		CHECK_EQ(client_register(fd, &reg), 0);
		CHECK_EQ(nmc_note(fd, note, sizeof(note)), 0);
		CHECK_EQ(note[0], '\0');
		close(fd);
		break;
	case FC_NOTE:
		fd = unit_open();
		CHECK_EQ(client_register(fd, &reg), 0);
		CHECK_EQ(nmc_note(fd, note, sizeof(note)), strlen(FAKE_NOTE));
		CHECK_EQ(strcmp(note, FAKE_NOTE), 0);
		/* cut to the caller's buffer, NUL-terminated */
		CHECK_EQ(nmc_note(fd, note, 6), 5);
		CHECK_EQ(strcmp(note, "veth0"), 0);
		close(fd);
		break;
	case FC_NOTE_STALE:
		/* a failed request leaves no note of an earlier one */
		fd = unit_open();
		CHECK_EQ(client_register(fd, &reg), 0);
		CHECK_EQ(nmc_note(fd, note, sizeof(note)), strlen(FAKE_NOTE));
		CHECK_ERR(client_register(fd, &reg), EPROTO);
		CHECK_EQ(nmc_note(fd, note, sizeof(note)), 0);
		close(fd);
		break;
	case FC_NOTE_LONG:
	case FC_NOTE_UNTERM:
	case FC_NOTE_CTRL:
	case FC_NOTE_PAD:
		fd = unit_open();
		CHECK_ERR(client_register(fd, &reg), EPROTO);
		CHECK_EQ(nmc_note(fd, note, sizeof(note)), 0);
		close(fd);
		break;
	default:
		CHECK(0);
	}
	printf("nmc_fake %s: ok\n", fc_names[fc]);
	exit(0);
}

/* Whether case fc was asked for: all of them without arguments. */
static bool
wanted(int argc, char **argv, int fc)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], fc_names[fc]) == 0)
			return true;
	return argc == 1;
}

int
main(int argc, char **argv)
{
	pid_t fake[FC_NCASES], cli[FC_NCASES];
	char path[128];
	int fc, failed = 0, st;

	snprintf(base, sizeof(base), "/tmp/nmc-fake.XXXXXX");
	CHECK(mkdtemp(base) != NULL);
	setenv("NETMAP_HOST", "user", 1);
	setenv("NETMAP_DAEMON", "/nonexistent/netmapd", 1);
	unsetenv("XDG_RUNTIME_DIR");
	for (fc = 0; fc < FC_NCASES; fc++) {
		fake[fc] = cli[fc] = -1;
		if (!wanted(argc, argv, fc))
			continue;
		if (geteuid() != 0 &&
		    (fc == FC_PEER_NOBODY || fc == FC_DIR_OWNER)) {
			printf("nmc_fake %s: skipped (needs root)\n",
			    fc_names[fc]);
			continue;
		}
		fake[fc] = fake_start((enum fake_case)fc, path, sizeof(path));
		setenv("NETMAP_SOCKET", path, 1);
		cli[fc] = fork();
		CHECK(cli[fc] >= 0);
		if (cli[fc] == 0)
			client_run((enum fake_case)fc);
	}
	for (fc = 0; fc < FC_NCASES; fc++) {
		if (cli[fc] < 0)
			continue;
		CHECK_EQ(waitpid(cli[fc], &st, 0), cli[fc]);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "nmc_fake %s: FAILED (status 0x%x)\n",
			    fc_names[fc], st);
			failed++;
		}
		kill(fake[fc], SIGKILL);
		waitpid(fake[fc], NULL, 0);
	}
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
		CHECK_EQ(system(cmd), 0);
	}
	if (failed)
		return 1;
	printf("nmc_fake: all cases ok\n");
	return 0;
}
