// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_ctrl.c: libFuzzer target for the core's control path.
 *
 * The core is called directly (nm_ioctl, nm_poll), without the test host:
 * user memory is the fuzz input itself, served by a struct nm_user_ctx
 * whose copyin/copyout accept an address iff [addr, addr + len) lies
 * inside the input (address = offset; 0 stays NULL) and answer EFAULT
 * otherwise. So headers, bodies and option chains (loops included) are
 * all the fuzzer's. One input is a sequence of records run on one
 * descriptor, so that a REGISTER can be followed by more requests, syncs
 * and polls. The core starts clean for each input (fuzz_core.h):
 *
 *	record := op:u8 len:u16le data[len]
 *	op % 6:  0 NIOCCTRL (data = 88-byte header; the whole record
 *		    area is user memory), 1 NIOCREGIF, 2 NIOCGINFO (data =
 *		    struct nmreq), 3 NIOCTXSYNC, 4 NIOCRXSYNC, 5 poll
 *		    (events = data[0])
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_core.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_uctx {
	struct nm_user_ctx c;
	uint8_t *mem;
	size_t size;
};

static int
fuzz_copyin(struct nm_user_ctx *c, void *dst, uint64_t uaddr, size_t len)
{
	struct fuzz_uctx *u = (struct fuzz_uctx *)c;

	if (uaddr == 0 || uaddr > u->size || len > u->size - uaddr)
		return EFAULT;
	memcpy(dst, u->mem + uaddr, len);
	return 0;
}

static int
fuzz_copyout(struct nm_user_ctx *c, uint64_t uaddr, const void *src,
    size_t len)
{
	struct fuzz_uctx *u = (struct fuzz_uctx *)c;

	if (uaddr == 0 || uaddr > u->size || len > u->size - uaddr)
		return EFAULT;
	memcpy(u->mem + uaddr, src, len);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* small global pools: the fuzzer must not exhaust the machine */
	nm_params.buf_num = 4096;
	nm_params.ring_num = 64;
	return nm_core_init();
}

/*
 * Keep requests the size of a test machine: extra buffers are touched
 * one by one, so a REGISTER asking for half a million would fault in a
 * gigabyte per run. Everything else is left as the fuzzer wrote it.
 */
static void
fuzz_clamp(struct fuzz_uctx *u, const struct nmreq_header *h)
{
	struct nmreq_register reg;

	if (h->nr_reqtype != NETMAP_REQ_REGISTER ||
	    fuzz_copyin(&u->c, &reg, h->nr_body, sizeof(reg)) != 0)
		return;
	if (reg.nr_extra_bufs > 64)
		reg.nr_extra_bufs = 64;
	fuzz_copyout(&u->c, h->nr_body, &reg, sizeof(reg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_uctx u = {
		.c = { fuzz_copyin, fuzz_copyout },
	};
	struct nm_priv *priv;
	size_t pos = 0;
	int steps = 0;

	priv = nm_priv_new();
	if (priv == NULL)
		return 0;
	while (pos + 3 <= size && steps++ < 16) {
		uint8_t op = data[pos] % 6;
		size_t len = data[pos + 1] | (size_t)data[pos + 2] << 8;
		struct nmreq_header hdr;
		struct nmreq nmr;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		/* a private, writable copy: the core writes back into it */
		u.mem = malloc(len + 1);
		if (u.mem == NULL)
			break;
		memcpy(u.mem, data + pos, len);
		u.size = len;
		switch (op) {
		case 0:
			memset(&hdr, 0, sizeof(hdr));
			memcpy(&hdr, u.mem, len < sizeof(hdr) ? len :
			    sizeof(hdr));
			fuzz_clamp(&u, &hdr);
			nm_ioctl(priv, NIOCCTRL, &hdr, &u.c);
			break;
		case 1:
		case 2:
			memset(&nmr, 0, sizeof(nmr));
			memcpy(&nmr, u.mem, len < sizeof(nmr) ? len :
			    sizeof(nmr));
			if (nmr.nr_arg3 > 64)
				nmr.nr_arg3 = 64;
			nm_ioctl(priv, op == 1 ? NIOCREGIF : NIOCGINFO, &nmr,
			    NULL);
			break;
		case 3:
			nm_ioctl(priv, NIOCTXSYNC, NULL, NULL);
			break;
		case 4:
			nm_ioctl(priv, NIOCRXSYNC, NULL, NULL);
			break;
		default:
			nm_poll(priv, len ? u.mem[0] : 0, NULL);
			break;
		}
		free(u.mem);
		pos += len;
	}
	nm_priv_delete(priv);
	fuzz_core_reset();
	return 0;
}
