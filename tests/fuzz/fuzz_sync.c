// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_sync.c: libFuzzer target for the ring protocol.
 *
 * Each run binds four descriptors straight through the core (two VALE
 * ports on one switch, both ends of a pipe), then lets the input write
 * arbitrary bytes into their rings (header fields, the kernel-owned
 * num_slots/buf_ofs included, and slots) and run syncs and polls. After
 * every sync the invariants of spec 2.10 must hold: head, cur and tail
 * are indices below the kernel's num_slots, and tail is the kernel's
 * (anything the user wrote there is overwritten). Closing the four must
 * leave the core clean (fuzz_core.h).
 *
 *	record := target:u8 op:u8 arg:u16le value:u64le   (12 bytes)
 *	target: port (& 3), direction (& 4), ring (>> 3)
 *	op % 8: 0 head, 1 cur, 2 tail, 3 flags, 4 num_slots/buf_ofs,
 *	        5 slot[arg] (value: buf_idx | len << 32 | flags << 48),
 *	        6 sync of the direction, 7 poll (events = arg)
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_core.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_names[4] = {
	"vale0:a", "vale0:b", "vale0:p{0", "vale0:p}0"
};

/* Requests come from this process's own memory: a plain copy. */
static int
fuzz_copyin(struct nm_user_ctx *c, void *dst, uint64_t uaddr, size_t len)
{
	(void)c;
	memcpy(dst, (void *)(uintptr_t)uaddr, len);
	return 0;
}

static int
fuzz_copyout(struct nm_user_ctx *c, uint64_t uaddr, const void *src,
    size_t len)
{
	(void)c;
	memcpy((void *)(uintptr_t)uaddr, src, len);
	return 0;
}

static struct nm_user_ctx fuzz_uctx = { fuzz_copyin, fuzz_copyout };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return nm_core_init();
}

static struct nm_priv *
fuzz_bind(const char *name)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;
	struct nm_priv *priv = nm_priv_new();

	if (priv == NULL)
		abort();
	memset(&reg, 0, sizeof(reg));
	memset(&hdr, 0, sizeof(hdr));
	reg.nr_mode = NR_REG_ALL_NIC;
	reg.nr_tx_rings = reg.nr_rx_rings = 2;
	reg.nr_tx_slots = 16;
	reg.nr_rx_slots = 32;
	hdr.nr_version = NETMAP_API;
	hdr.nr_reqtype = NETMAP_REQ_REGISTER;
	strcpy(hdr.nr_name, name);
	hdr.nr_body = (uintptr_t)&reg;
	if (nm_ioctl(priv, NIOCCTRL, &hdr, &fuzz_uctx) != 0)
		abort();
	return priv;
}

/*
 * The invariants after a sync of the bound rings of a direction; `last`
 * bounds the rings known to have been synced (poll skips TX rings with
 * nothing new once one ring had room, as upstream does).
 */
static void
fuzz_check(struct nm_priv *priv, int t, uint32_t last)
{
	struct nm_adapter *na = priv->na;
	uint32_t i;

	for (i = priv->first[t]; i < last; i++) {
		struct nm_kring *k = &na->krings[t][i];
		struct netmap_ring *ring = k->ring;
		uint32_t n = k->num_slots;

		if (ring->head >= n || ring->cur >= n || ring->tail >= n ||
		    ring->tail != k->rtail || k->nr_hwcur >= n ||
		    k->nr_hwtail >= n) {
			fprintf(stderr, "ring %s %u: head %u cur %u tail %u "
			    "rtail %u hwcur %u hwtail %u n %u\n", na->name, i,
			    ring->head, ring->cur, ring->tail, k->rtail,
			    k->nr_hwcur, k->nr_hwtail, n);
			abort();
		}
		/* the fuzzer may have changed it: put it back for the next */
		*(uint32_t *)(uintptr_t)&ring->num_slots = n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nm_priv *priv[4];
	size_t pos;
	int i;

	for (i = 0; i < 4; i++)
		priv[i] = fuzz_bind(fuzz_names[i]);
	for (pos = 0; pos + 12 <= size; pos += 12) {
		uint8_t target = data[pos], op = data[pos + 1] % 8;
		uint16_t arg = (uint16_t)(data[pos + 2] | data[pos + 3] << 8);
		uint64_t v;
		struct nm_priv *p = priv[target & 3];
		int t = (target & 4) ? NM_RX : NM_TX;
		struct nm_kring *k;
		struct netmap_ring *ring;

		memcpy(&v, data + pos + 4, 8);
		k = &p->na->krings[t][(target >> 3) % p->na->num_rings[t]];
		ring = k->ring;
		switch (op) {
		case 0:
			ring->head = (uint32_t)v;
			break;
		case 1:
			ring->cur = (uint32_t)v;
			break;
		case 2:
			ring->tail = (uint32_t)v;
			break;
		case 3:
			ring->flags = (uint32_t)v;
			break;
		case 4:
			*(uint32_t *)(uintptr_t)&ring->num_slots = (uint32_t)v;
			*(int64_t *)(uintptr_t)&ring->buf_ofs = (int64_t)v;
			break;
		case 5: {
			struct netmap_slot *s = &ring->slot[arg % k->num_slots];

			s->buf_idx = (uint32_t)v;
			s->len = (uint16_t)(v >> 32);
			s->flags = (uint16_t)(v >> 48);
			s->ptr = arg;
			break;
		}
		case 6:
			if (nm_ioctl(p, t == NM_TX ? NIOCTXSYNC : NIOCRXSYNC,
			    NULL, NULL) != 0)
				abort();
			fuzz_check(p, t, p->last[t]);
			break;
		default:
			nm_poll(p, arg, NULL);
			fuzz_check(p, NM_TX, p->first[NM_TX] + 1);
			if (arg & (POLLIN | POLLRDNORM))
				fuzz_check(p, NM_RX, p->last[NM_RX]);
			break;
		}
	}
	for (i = 0; i < 4; i++)
		nm_priv_delete(priv[i]);
	fuzz_core_check_clean();
	return 0;
}
