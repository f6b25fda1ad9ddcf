// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_decode.c: libFuzzer target for netmapd's message decoder,
 * nmd_decode() (user/nmd_proto.c): what the daemon runs on every message
 * a client sends, before anything else reads it. One input is one
 * message and how it arrived:
 *
 *	input := flags:u8 message
 *	flags bit 0: after HELLO (NMD_STAGE_CONN), else a fresh connection
 *	      bit 1: a descriptor came with it (nmd_recv's *fd >= 0)
 *
 * The message travels as in the daemon: through a SOCK_SEQPACKET pair
 * (made once) and nmd_recv(), with no descriptor attached, into a
 * buffer of NMD_MSG_MAX; the decoder then runs on a heap copy of exactly
 * the bytes received, so AddressSanitizer sees any read past them. A
 * message it accepts must be what the daemon's handlers assume; any
 * other outcome traps. The same bytes (at most a note's worth, on a
 * heap copy of that size) also go through the client's check of a
 * reply's note, nmd_note_check(): what it accepts is one short line of
 * printable text, NUL-padded.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nmd_proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_sv[2];
static uint8_t fuzz_rbuf[NMD_MSG_MAX];

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		__builtin_trap();					\
} while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int sz = 4 * NMD_MSG_MAX;

	(void)argc;
	(void)argv;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fuzz_sv) < 0)
		abort();
	/* room for a message past NMD_MSG_MAX, to be refused on receipt */
	setsockopt(fuzz_sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fuzz_sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return 0;
}

/* What the handlers of an accepted IOCTL rely on. */
static void
fuzz_check_ioctl(const uint8_t *buf, size_t got, const struct nmd_ioctl *io)
{
	const struct nmd_msg *m = (const struct nmd_msg *)(const void *)buf;
	const uint8_t *end = buf + sizeof(*m) + nmd_align8(io->argsize) +
	    io->nseg * sizeof(struct nmd_seg);
	volatile uint8_t sum = 0;
	unsigned i;
	size_t k;

	FUZZ_CHECK(io->argsize != 0 &&
	    io->argsize == nmd_ioctl_argsize((unsigned long)m->cmd));
	FUZZ_CHECK(io->arg == buf + sizeof(*m));
	FUZZ_CHECK(io->nseg == m->nseg && io->nseg <= NMD_SEGS_MAX);
	FUZZ_CHECK(io->nseg == 0 || m->cmd == NIOCCTRL);
	FUZZ_CHECK((const uint8_t *)io->seg == io->arg +
	    nmd_align8(io->argsize));
	for (i = 0; i < io->nseg; i++) {
		const struct nmd_seg *s = &io->seg[i];

		FUZZ_CHECK(s->len > 0 && s->len <= NMD_SEG_MAX);
		FUZZ_CHECK(s->flags == 0);
		FUZZ_CHECK(s->uaddr + s->len > s->uaddr);
		/* in order, back to back, inside the message */
		FUZZ_CHECK(io->data[i] == end);
		end += nmd_align8(s->len);
		FUZZ_CHECK(end <= buf + got);
		for (k = 0; k < s->len; k++)
			sum += io->data[i][k];
	}
	FUZZ_CHECK(end == buf + got);
	for (k = 0; k < io->argsize; k++)
		sum += io->arg[k];
	(void)sum;
}

static void
fuzz_check_note(const uint8_t *data, size_t size)
{
	size_t len = size < NMD_NOTE_MAX + 8 ? size : NMD_NOTE_MAX + 8, k;
	uint8_t *note = malloc(len > 0 ? len : 1);	/* exact: ASan */

	if (note == NULL)
		return;
	memcpy(note, data, len);
	if (nmd_note_check(note, len) == 0 && len > 0) {
		FUZZ_CHECK(len <= NMD_NOTE_MAX && len % 8 == 0);
		FUZZ_CHECK(note[0] >= 0x20 && note[len - 1] == 0);
		for (k = 0; note[k] != 0; k++)
			FUZZ_CHECK(note[k] >= 0x20 && note[k] <= 0x7e);
		for (; k < len; k++)
			FUZZ_CHECK(note[k] == 0);
	}
	free(note);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum nmd_stage stage;
	struct nmd_ioctl io;
	const struct nmd_msg *m;
	bool with_fd;
	uint8_t *buf;
	ssize_t n;
	int fd, error;

	if (size < 1)
		return 0;
	fuzz_check_note(data + 1, size - 1);
	stage = data[0] & 1 ? NMD_STAGE_CONN : NMD_STAGE_FIRST;
	with_fd = (data[0] & 2) != 0;
	if (send(fuzz_sv[0], data + 1, size - 1, MSG_DONTWAIT) < 0)
		return 0;
	n = nmd_recv(fuzz_sv[1], fuzz_rbuf, sizeof(fuzz_rbuf), &fd,
	    MSG_DONTWAIT);
	FUZZ_CHECK(fd == -1);
	if (size - 1 > sizeof(fuzz_rbuf)) {
		FUZZ_CHECK(n == -EPROTO);	/* truncated: refused */
		return 0;
	}
	FUZZ_CHECK(n == (ssize_t)(size - 1));
	if (n == 0)
		return 0;			/* the daemon's EOF */
	buf = malloc((size_t)n);
	if (buf == NULL)
		return 0;
	memcpy(buf, fuzz_rbuf, (size_t)n);
	memset(&io, 0, sizeof(io));
	error = nmd_decode(buf, (size_t)n, with_fd, stage, &io);
	m = (const struct nmd_msg *)(const void *)buf;
	if (error != EPROTO) {
		/* Whatever is answered passed the header check. */
		FUZZ_CHECK(nmd_msg_check(m, (size_t)n) == 0);
		FUZZ_CHECK(error == 0 || stage == NMD_STAGE_FIRST);
	}
	switch (error) {
	case 0:
		if (stage == NMD_STAGE_FIRST) {
			FUZZ_CHECK(m->type == NMD_MSG_HELLO ||
			    m->type == NMD_MSG_ATTACH ||
			    m->type == NMD_MSG_STATS);
			FUZZ_CHECK((size_t)n == sizeof(*m));
			FUZZ_CHECK(with_fd == (m->type == NMD_MSG_ATTACH));
		} else if (m->type == NMD_MSG_IOCTL) {
			FUZZ_CHECK(!with_fd);
			fuzz_check_ioctl(buf, (size_t)n, &io);
		} else {
			FUZZ_CHECK(m->type == NMD_MSG_KICK ||
			    m->type == NMD_MSG_REGION ||
			    m->type == NMD_MSG_CSYNC);
			FUZZ_CHECK(!with_fd && (size_t)n == sizeof(*m));
		}
		break;
	case EPROTO:
		break;
	case EPROTONOSUPPORT:
		FUZZ_CHECK(m->type == NMD_MSG_HELLO && !with_fd &&
		    (size_t)n != sizeof(*m));
		break;
	case EBADF:
		FUZZ_CHECK(m->type == NMD_MSG_ATTACH);
		break;
	default:
		FUZZ_CHECK(0);
	}
	free(buf);
	return 0;
}
