// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_xdp.c: netmapd's AF_XDP path to an interface (nm_nic_user.h).
 *
 * One XDP socket per queue (libxdp's xsk_socket), in one of two modes:
 *
 * Zero copy (the default): one UMEM for all queues, the global
 * allocator's buffer pool itself (NIC ports use mem_id 1). The pool
 * starts NM_USER_XDP_HEADROOM (256) bytes into a page of the region
 * (nm_params.buf_pool_pad), so the UMEM starts at that page, and its
 * chunk for buffer b starts at b * 2048: unaligned chunks of 2048 + 256
 * bytes, each overlapping the previous buffer's last 256 bytes, where
 * the kernel writes nothing (the headroom: data goes at chunk + 256,
 * which is buffer b's start, up to 2048 bytes). So a received frame is
 * in a netmap buffer and reaches the ring by its index (nm_nic_rx_bufs),
 * and a TX slot leaves from its own buffer (descriptor at b * 2048 +
 * 256). Each queue's fill ring holds the buffers of its RX ring's free
 * slots, given by the core (rx_refill: at activation and by every
 * rxsync) and tracked in a bitmap (`held`): a buffer given twice goes
 * in once, and at detach the ones the kernel still has go back into the
 * ring's free slots (nm_nic_rx_return). A frame the ring has no room
 * for goes straight back to the fill ring. The copy into the socket's
 * skb that veth's copy mode makes is the kernel's; a driver with AF_XDP
 * zero copy DMAs into the buffer itself.
 *
 * Copy (NETMAPD_NIC=xdp-copy, or where the pool cannot be registered):
 * each socket has a UMEM of its own: NM_XDP_RX chunks that live in the
 * fill and RX rings, then NM_XDP_TX chunks used as a ring buffer by TX,
 * and the core copies each frame once, between a chunk and a netmap
 * buffer.
 *
 * A frame longer than a chunk takes several, as AF_XDP multi-buffer does
 * (XDP_USE_SG, descriptors chained by XDP_PKT_CONTD), where the kernel
 * has it (6.6); older ones take frames up to a chunk.
 *
 * The program: six instructions, built here (no BPF compiler needed),
 * that redirect a frame to the socket of its queue in an XSKMAP, and
 * pass it to the stack when that queue has none. It is attached through
 * a BPF link (native mode where the driver has it, else generic): a
 * link lives as long as its descriptor, so the program goes when the
 * port is closed and also when netmapd dies, even by SIGKILL, with
 * nothing pinned and nothing to clean up at the next start. A program
 * already on the interface (another tool's) makes the attach fail with
 * EBUSY, and nm_nic_user.c falls back to AF_PACKET.
 *
 * RX in copy mode (the receive thread): the descriptors of complete
 * frames go to nm_nic_rx() as pieces of one struct nm_user_frame, and
 * their chunks straight back to the fill ring: there are exactly as many
 * RX chunks as fill ring entries, so it never overflows.
 *
 * TX in copy mode (the txsync of the queue's ring, under q->lock from
 * tx_alloc to tx): a frame takes consecutive chunks of the TX ring
 * buffer (skipping to its start rather than wrapping a frame), one
 * descriptor each. In both modes the kernel completes a socket's
 * descriptors in order, so a FIFO of frames (chunks spanned,
 * descriptors) turns completions back into whole frames for
 * nm_nic_tx_done(), which in zero copy gives the slots back. The
 * socket is kicked (sendto, only when XDP_USE_NEED_WAKEUP says so) at
 * the last frame of a sync and every NM_XDP_KICK descriptors, again
 * while a copy-mode kick says EAGAIN (32 frames per call); what is left
 * is retried by the receive thread's reap.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* nm_os.h's bool first: libbpf's headers bring <stdbool.h> */
#include "nm_os.h"
#include "nm_core.h"
#include "nm_nic_user.h"
#include "nm_os_user.h"

#include <bpf/bpf.h>
#include <xdp/xsk.h>

/* Linux 6.6's multi-buffer AF_XDP, for older uapi headers. */
#ifndef XDP_USE_SG
#define XDP_USE_SG		(1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD		(1 << 0)
#endif

#define NM_XDP_CHUNK		2048	/* a netmap buffer's size */
#define NM_XDP_RX		2048	/* chunks (and fill, RX entries) */
#define NM_XDP_TX		2048	/* chunks, TX, completions */
#define NM_XDP_BATCH		64	/* descriptors per RX pass */
#define NM_XDP_KICK		64	/* descriptors between TX kicks */
#define NM_XDP_BUSY_TRIES	200	/* a queue's old UMEM going */
#define NM_XDP_BUSY_US		5000
/* zero copy: a chunk is a buffer and the headroom before it */
#define NM_XDP_ZC_CHUNK		(NM_XDP_CHUNK + NM_USER_XDP_HEADROOM)

/* A frame in flight: chunks it took (a skip included), descriptors. */
struct nm_xdp_txf {
	uint32_t span, ndesc;
	void *done;
	bool report;
	uint32_t tmp;			/* zero copy: a copy's buffer */
};

struct nm_xdp_q {
	struct xsk_umem *umem;		/* copy mode: the queue's own */
	struct xsk_socket *xsk;
	uint8_t *area;			/* RX chunks, then TX chunks */
	int fd;
	/* the receive thread's */
	struct xsk_ring_cons rx;
	/* copy: the receive thread's; zero copy: under fill_lock */
	pthread_mutex_t fill_lock;
	struct xsk_ring_prod fill;
	uint32_t *held;			/* zero copy: the kernel has */
	/* TX, under lock */
	pthread_mutex_t lock;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons comp;
	uint32_t tx_head, tx_tail;	/* TX chunks taken, freed */
	struct nm_xdp_txf *fifo;	/* NM_XDP_TX frames at most */
	uint32_t fifo_head, fifo_count;
	uint32_t comp_seen;		/* completions of the oldest frame */
	uint32_t unkicked;		/* descriptors since the last kick */
	uint32_t stage_skip, stage_len;	/* between tx_alloc and tx */
	uint32_t stage_buf;		/* ... zero copy: its pool buffer */
	struct nm_mem *mem;		/* the pool (zero copy) */
	bool dead;			/* the interface went away */
};

struct nm_xdp {
	int map_fd, prog_fd, link_fd;
	bool sg;			/* multi-buffer frames */
	/* zero copy: the buffer pool as the UMEM of every queue */
	bool zc;
	struct xsk_umem *umem;
	uint32_t nbufs, fill_size;
	uint32_t nq;
	struct nm_xdp_q q[];
};

/* bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS) */
static int
nm_xdp_prog_load(int map_fd, bool frags)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, rx_queue_index) },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ .code = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
	    .expected_attach_type = BPF_XDP,
	    .prog_flags = frags ? BPF_F_XDP_HAS_FRAGS : 0);

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "netmapd_xsk", "Dual BSD/GPL",
	    insns, sizeof(insns) / sizeof(insns[0]), &opts);
}

/* The program on the interface: native mode, else generic. */
static int
nm_xdp_link(struct nm_os_nic *nic, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	int fd;

	fd = bpf_link_create(prog_fd, nic->ifindex, BPF_XDP, &opts);
	if (fd >= 0)
		return fd;
	opts.flags = XDP_FLAGS_SKB_MODE;
	return bpf_link_create(prog_fd, nic->ifindex, BPF_XDP, &opts);
}

static void
nm_xdp_q_close(struct nm_xdp_q *xq)
{
	uint32_t i;

	/* zero copy: copies still in flight give their buffers back */
	for (i = 0; xq->fifo != NULL && i < xq->fifo_count; i++) {
		uint32_t tmp = xq->fifo[(xq->fifo_head + i) % NM_XDP_TX].tmp;

		if (tmp != 0)
			nm_mem_obj_free(xq->mem, NM_POOL_BUF, tmp);
	}
	if (xq->xsk != NULL)
		xsk_socket__delete(xq->xsk);
	if (xq->umem != NULL)
		xsk_umem__delete(xq->umem);
	if (xq->area != NULL)
		munmap(xq->area, (size_t)(NM_XDP_RX + NM_XDP_TX) *
		    NM_XDP_CHUNK);
	free(xq->fifo);
	free(xq->held);
	pthread_mutex_destroy(&xq->lock);
	pthread_mutex_destroy(&xq->fill_lock);
}

/*
 * The socket of queue q. The kernel lets go of a closed socket's UMEM
 * on a queue later (a work item): until then a bind there fails with
 * EBUSY, so a port closed and opened again retries for a while.
 */
static int
nm_xdp_socket(struct nm_os_nic *nic, struct nm_xdp_q *xq, uint32_t q,
    struct xsk_umem *umem, const struct xsk_socket_config *scfg)
{
	int error, tries;

	for (tries = 0; tries < NM_XDP_BUSY_TRIES; tries++) {
		error = -xsk_socket__create_shared(&xq->xsk, nic->name, q,
		    umem, &xq->rx, &xq->tx, &xq->fill, &xq->comp, scfg);
		if (error != EBUSY)
			break;
		usleep(NM_XDP_BUSY_US);
	}
	return error;
}

/*
 * The socket of queue q, in the map; in copy mode with a UMEM of its own
 * and its fill ring full, in zero copy on the shared UMEM (whose rings
 * queue 0 took when it was made), its fill ring empty until rx_refill.
 */
static int
nm_xdp_q_open(struct nm_os_nic *nic, struct nm_xdp *x, uint32_t q)
{
	struct nm_xdp_q *xq = &x->q[q];
	size_t size = (size_t)(NM_XDP_RX + NM_XDP_TX) * NM_XDP_CHUNK;
	struct xsk_umem_config ucfg = {
		.fill_size = NM_XDP_RX, .comp_size = NM_XDP_TX,
		.frame_size = NM_XDP_CHUNK,
	};
	struct xsk_socket_config scfg = {
		.rx_size = x->zc ? x->fill_size : NM_XDP_RX,
		.tx_size = NM_XDP_TX,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP | (x->sg ? XDP_USE_SG : 0),
	};
	struct xsk_umem *umem = x->umem;
	uint32_t i, idx;
	int error, fd;

	pthread_mutex_init(&xq->lock, NULL);
	pthread_mutex_init(&xq->fill_lock, NULL);
	xq->mem = nic->na->mem;
	xq->fifo = calloc(NM_XDP_TX, sizeof(*xq->fifo));
	if (xq->fifo == NULL)
		return ENOMEM;
	if (x->zc) {
		xq->held = calloc((x->nbufs + 31) / 32, sizeof(uint32_t));
		if (xq->held == NULL)
			return ENOMEM;
	} else {
		xq->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (xq->area == MAP_FAILED) {
			xq->area = NULL;
			return errno;
		}
		error = -xsk_umem__create(&xq->umem, xq->area, size,
		    &xq->fill, &xq->comp, &ucfg);
		if (error) {
			xq->umem = NULL;
			return error;
		}
		umem = xq->umem;
	}
	error = nm_xdp_socket(nic, xq, q, umem, &scfg);
	if (error == EINVAL && x->sg && q == 0) {
		/* a kernel without multi-buffer: one chunk per frame */
		x->sg = false;
		scfg.bind_flags &= (uint16_t)~XDP_USE_SG;
		error = nm_xdp_socket(nic, xq, q, umem, &scfg);
	}
	if (error) {
		xq->xsk = NULL;
		return error;
	}
	xq->fd = xsk_socket__fd(xq->xsk);
	if (!x->zc) {
		if (xsk_ring_prod__reserve(&xq->fill, NM_XDP_RX, &idx) !=
		    NM_XDP_RX)
			return ENOMEM;
		for (i = 0; i < NM_XDP_RX; i++)
			*xsk_ring_prod__fill_addr(&xq->fill, idx + i) =
			    (uint64_t)i * NM_XDP_CHUNK;
		xsk_ring_prod__submit(&xq->fill, NM_XDP_RX);
	}
	fd = xq->fd;
	if (bpf_map_update_elem(x->map_fd, &q, &fd, 0) != 0)
		return errno;
	return 0;
}

/*
 * Zero copy: the buffer pool as the UMEM, from the page before it (see
 * the top). False, and copy mode, where that cannot be: the user's
 * choice, a pool not placed for it, or a kernel that refuses (an old
 * one without unaligned chunks, or the memory lock limit).
 */
static bool
nm_xdp_zc_umem(struct nm_os_nic *nic, struct nm_xdp *x)
{
	struct nm_mem *m = nic->na->mem;
	uint8_t *area = (uint8_t *)nm_mem_buf(m, 0) - NM_USER_XDP_HEADROOM;
	uint32_t slots = nic->na->num_slots[NM_RX];
	struct xsk_umem_config ucfg = {
		.comp_size = NM_XDP_TX,
		.frame_size = NM_XDP_ZC_CHUNK,
		.flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
	};
	int error;

	if (nic->copy || nm_mem_bufsize(m) != NM_XDP_CHUNK ||
	    (uintptr_t)area % nm_user_page_size() != 0)
		return false;
	/* room for every free slot of the RX ring */
	for (x->fill_size = 64; x->fill_size < slots; x->fill_size *= 2)
		;
	ucfg.fill_size = x->fill_size;
	x->nbufs = nm_mem_nbufs(m);
	error = -xsk_umem__create(&x->umem, area, NM_USER_XDP_HEADROOM +
	    (uint64_t)x->nbufs * NM_XDP_CHUNK, &x->q[0].fill, &x->q[0].comp,
	    &ucfg);
	if (error) {
		nm_os_log("%s: AF_XDP: the buffer pool as UMEM: %s: copy mode",
		    nic->name, strerror(error));
		x->umem = NULL;
		return false;
	}
	return true;
}

/*
 * Zero copy, at detach (the sockets closed): the buffers the kernel
 * still had for each RX ring back into its free slots.
 */
static void
nm_xdp_zc_return(struct nm_os_nic *nic, struct nm_xdp *x)
{
	uint32_t q, w, idx[64], n;

	for (q = 0; q < x->nq && q < nic->nrings; q++) {
		uint32_t *held = x->q[q].held;

		if (held == NULL)
			continue;
		n = 0;
		for (w = 0; w < (x->nbufs + 31) / 32; w++) {
			while (held[w] != 0) {
				idx[n++] = w * 32 +
				    (uint32_t)__builtin_ctz(held[w]);
				held[w] &= held[w] - 1;
				if (n == 64) {
					nm_nic_rx_return(nic->na, q, idx, n);
					n = 0;
				}
			}
		}
		if (n > 0)
			nm_nic_rx_return(nic->na, q, idx, n);
	}
}

static void
nm_xdp_free(struct nm_os_nic *nic, struct nm_xdp *x)
{
	uint32_t q;

	/* the program first, so that no frame meets a closing socket */
	if (x->link_fd >= 0)
		close(x->link_fd);
	for (q = 0; q < x->nq; q++) {
		if (x->q[q].xsk != NULL)
			xsk_socket__delete(x->q[q].xsk);
		x->q[q].xsk = NULL;
	}
	if (x->zc)
		nm_xdp_zc_return(nic, x);
	for (q = 0; q < x->nq; q++)
		nm_xdp_q_close(&x->q[q]);
	if (x->umem != NULL)
		xsk_umem__delete(x->umem);
	if (x->prog_fd >= 0)
		close(x->prog_fd);
	if (x->map_fd >= 0)
		close(x->map_fd);
	free(x);
}

static int
nm_xdp_attach(struct nm_os_nic *nic)
{
	struct nm_xdp *x;
	uint32_t q;
	int error;

	x = calloc(1, sizeof(*x) + nic->nq * sizeof(x->q[0]));
	if (x == NULL)
		return ENOMEM;
	x->link_fd = x->prog_fd = -1;
	x->map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "netmapd_xsks",
	    sizeof(uint32_t), sizeof(int), nic->nq, NULL);
	if (x->map_fd < 0) {
		error = errno;
		goto fail;
	}
	x->sg = true;
	x->prog_fd = nm_xdp_prog_load(x->map_fd, true);
	if (x->prog_fd < 0) {
		x->sg = false;
		x->prog_fd = nm_xdp_prog_load(x->map_fd, false);
	}
	if (x->prog_fd < 0) {
		error = errno;
		goto fail;
	}
	x->zc = nm_xdp_zc_umem(nic, x);
	for (q = 0; q < nic->nq; q++) {
		x->nq = q + 1;
		error = nm_xdp_q_open(nic, x, q);
		if (error)
			goto fail;
	}
	x->link_fd = nm_xdp_link(nic, x->prog_fd);
	if (x->link_fd < 0) {
		error = errno;
		goto fail;
	}
	nic->priv = x;
	nic->mode = x->zc ? " zero-copy" : " copy";
	if (x->zc)
		nm_nic_zerocopy(nic->na);
	return 0;
fail:
	nm_xdp_free(nic, x);
	return error;
}

static void
nm_xdp_detach(struct nm_os_nic *nic)
{
	nm_xdp_free(nic, nic->priv);
	nic->priv = NULL;
}

static int
nm_xdp_fd(struct nm_os_nic *nic, uint32_t q)
{
	return ((struct nm_xdp *)nic->priv)->q[q].fd;
}

/* ---- RX ---- */

/*
 * The complete frames among up to NM_XDP_BATCH descriptors to the core;
 * a frame cut by the batch waits for the next pass. Chunks go back to
 * the fill ring as their frames are copied.
 */
static uint32_t
nm_xdp_rx_batch(struct nm_os_nic *nic, struct nm_xdp_q *xq, uint32_t q)
{
	struct nm_user_frame f;
	uint32_t n, i, idx, fidx, used = 0, len = 0;

	n = xsk_ring_cons__peek(&xq->rx, NM_XDP_BATCH, &idx);
	f.n = 0;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xq->rx,
		    idx + i);

		if (f.n < NM_USER_FRAME_SEGS) {
			f.seg[f.n].p = xsk_umem__get_data(xq->area,
			    xsk_umem__add_offset_to_addr(d->addr));
			f.seg[f.n].len = d->len;
		}
		f.n++;
		len += d->len;
		if (d->options & XDP_PKT_CONTD)
			continue;
		/* a frame of more pieces than a netmap frame: dropped */
		if (f.n <= NM_USER_FRAME_SEGS)
			nm_nic_rx(nic->na, q, false, &f, len);
		f.n = 0;
		len = 0;
		used = i + 1;
	}
	if (used == 0 && n == NM_XDP_BATCH)
		used = n;	/* cannot be a frame: let it go */
	if (used < n)
		xsk_ring_cons__cancel(&xq->rx, n - used);
	if (used == 0)
		return 0;
	if (xsk_ring_prod__reserve(&xq->fill, used, &fidx) != used) {
		/* cannot happen: each chunk is in one ring or the other */
		nm_os_log("%s: AF_XDP fill ring full", nic->name);
		xsk_ring_cons__release(&xq->rx, used);
		return used;
	}
	for (i = 0; i < used; i++)
		*xsk_ring_prod__fill_addr(&xq->fill, fidx + i) =
		    xsk_ring_cons__rx_desc(&xq->rx, idx + i)->addr &
		    ~(uint64_t)(NM_XDP_CHUNK - 1);
	xsk_ring_prod__submit(&xq->fill, used);
	xsk_ring_cons__release(&xq->rx, used);
	return used;
}

/* Zero copy: a buffer's chunk in the UMEM, and the other way round. */
static uint64_t
nm_xdp_zc_addr(uint32_t b)
{
	return (uint64_t)b * NM_XDP_CHUNK;
}

/* The buffer whose start the data at UMEM offset `data` is, or 0. */
static uint32_t
nm_xdp_zc_buf(const struct nm_xdp *x, uint64_t data)
{
	uint64_t b;

	if (data < NM_USER_XDP_HEADROOM ||
	    (data - NM_USER_XDP_HEADROOM) % NM_XDP_CHUNK != 0)
		return 0;
	b = (data - NM_USER_XDP_HEADROOM) / NM_XDP_CHUNK;
	return b < x->nbufs ? (uint32_t)b : 0;
}

/*
 * Buffers back to queue q's fill ring (under fill_lock): those in
 * idx[0..n) that the kernel does not have already.
 */
static void
nm_xdp_zc_fill(struct nm_xdp_q *xq, const uint32_t *idx, uint32_t n)
{
	uint32_t i, k = 0, pos, give[NM_XDP_BATCH];

	while (n > 0) {
		uint32_t m = n > NM_XDP_BATCH ? NM_XDP_BATCH : n;

		for (i = 0, k = 0; i < m; i++) {
			uint32_t b = idx[i], bit = 1u << (b % 32);

			if (xq->held[b / 32] & bit)
				continue;	/* given twice: once */
			xq->held[b / 32] |= bit;
			give[k++] = b;
		}
		/* never short: the ring holds a slot per free ring slot */
		if (k > 0 && xsk_ring_prod__reserve(&xq->fill, k, &pos) == k) {
			for (i = 0; i < k; i++)
				*xsk_ring_prod__fill_addr(&xq->fill, pos + i) =
				    nm_xdp_zc_addr(give[i]);
			xsk_ring_prod__submit(&xq->fill, k);
		}
		idx += m;
		n -= m;
	}
}

/*
 * Zero copy: complete frames among up to NM_XDP_BATCH descriptors into
 * the RX ring by their buffers' indices; a frame the ring has no room
 * for (or that is not at buffers' starts) goes back to the fill ring.
 */
static uint32_t
nm_xdp_rx_batch_zc(struct nm_os_nic *nic, struct nm_xdp *x,
    struct nm_xdp_q *xq, uint32_t q)
{
	uint32_t idx[NM_USER_FRAME_SEGS], len[NM_USER_FRAME_SEGS];
	uint32_t back[NM_XDP_BATCH], taken[NM_XDP_BATCH];
	uint32_t n, i, j, ri, used = 0, nf = 0, nback = 0, ntaken = 0;
	bool bad = false;

	n = xsk_ring_cons__peek(&xq->rx, NM_XDP_BATCH, &ri);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xq->rx,
		    ri + i);
		uint32_t b = nm_xdp_zc_buf(x,
		    xsk_umem__add_offset_to_addr(d->addr));

		if (b == 0 || nf == NM_USER_FRAME_SEGS) {
			bad = true;
			/* its chunk, by its address, goes back */
			b = (uint32_t)(xsk_umem__extract_addr(d->addr) /
			    NM_XDP_CHUNK);
		}
		if (nf < NM_USER_FRAME_SEGS) {
			idx[nf] = b;
			len[nf] = d->len;
		}
		nf++;
		if (d->options & XDP_PKT_CONTD)
			continue;
		if (!bad && nm_nic_rx_bufs(nic->na, q, idx, len, nf) == 0) {
			for (j = 0; j < nf; j++)
				taken[ntaken++] = idx[j];
		} else {
			for (j = 0; j < nf && j < NM_USER_FRAME_SEGS; j++)
				back[nback++] = idx[j];
		}
		nf = 0;
		bad = false;
		used = i + 1;
	}
	if (used == 0 && n == NM_XDP_BATCH)
		used = n;	/* cannot be a frame: let it go */
	if (used < n)
		xsk_ring_cons__cancel(&xq->rx, n - used);
	if (used == 0)
		return 0;
	xsk_ring_cons__release(&xq->rx, used);
	pthread_mutex_lock(&xq->fill_lock);
	for (j = 0; j < ntaken; j++)
		xq->held[taken[j] / 32] &= ~(1u << (taken[j] % 32));
	for (j = 0; j < nback; j++)
		xq->held[back[j] / 32] &= ~(1u << (back[j] % 32));
	nm_xdp_zc_fill(xq, back, nback);
	pthread_mutex_unlock(&xq->fill_lock);
	return used;
}

/* Zero copy: the core's buffers for RX ring r (its rxsync). */
static void
nm_xdp_rx_refill(struct nm_os_nic *nic, uint32_t r, const uint32_t *idx,
    uint32_t n)
{
	struct nm_xdp *x = nic->priv;
	struct nm_xdp_q *xq;

	if (r >= x->nq)
		return;
	xq = &x->q[r];
	pthread_mutex_lock(&xq->fill_lock);
	nm_xdp_zc_fill(xq, idx, n);
	pthread_mutex_unlock(&xq->fill_lock);
}

static void
nm_xdp_rx(struct nm_os_nic *nic, uint32_t q)
{
	struct nm_xdp *x = nic->priv;
	struct nm_xdp_q *xq = &x->q[q];
	uint32_t got;
	int i;

	/* a few batches, then the rings are published */
	for (i = 0; i < 8; i++) {
		got = x->zc ? nm_xdp_rx_batch_zc(nic, x, xq, q) :
		    nm_xdp_rx_batch(nic, xq, q);
		if (got < NM_XDP_BATCH)
			break;
	}
	if (xsk_ring_prod__needs_wakeup(&xq->fill))
		recvfrom(xq->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* ---- TX ---- */

/*
 * Have the kernel send what the TX ring holds (copy mode: now). One
 * sendto() sends at most 32 frames in copy mode and then says EAGAIN:
 * it is called again while that is so, a bounded number of times.
 */
static void
nm_xdp_kick(struct nm_xdp_q *xq)
{
	int i;

	if (!xsk_ring_prod__needs_wakeup(&xq->tx)) {
		xq->unkicked = 0;
		return;
	}
	for (i = 0; i < NM_XDP_TX / 32; i++) {
		if (sendto(xq->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			xq->unkicked = 0;
			return;
		}
		if (errno != EAGAIN)
			break;
	}
	/* EBUSY, ENOBUFS, EAGAIN still: the reap tries again */
	if (errno == ENXIO)
		xq->dead = true;
}

/* Completed descriptors to whole frames, to the core. Under xq->lock. */
static void
nm_xdp_reap_q(struct nm_xdp_q *xq)
{
	uint32_t idx, n;

	n = xsk_ring_cons__peek(&xq->comp, NM_XDP_TX, &idx);
	if (n == 0)
		return;
	xsk_ring_cons__release(&xq->comp, n);
	xq->comp_seen += n;
	while (xq->fifo_count > 0 &&
	    xq->comp_seen >= xq->fifo[xq->fifo_head].ndesc) {
		struct nm_xdp_txf *f = &xq->fifo[xq->fifo_head];

		xq->comp_seen -= f->ndesc;
		xq->tx_tail += f->span;
		if (f->tmp != 0)
			nm_mem_obj_free(xq->mem, NM_POOL_BUF, f->tmp);
		f->tmp = 0;
		/* frames of a switch or forwarded ones have no completion */
		if (f->done != NULL)
			nm_nic_tx_done(f->done, f->report);
		if (++xq->fifo_head == NM_XDP_TX)
			xq->fifo_head = 0;
		xq->fifo_count--;
	}
}

static bool
nm_xdp_reap(struct nm_os_nic *nic)
{
	struct nm_xdp *x = nic->priv;
	bool inflight = false;
	uint32_t q;

	for (q = 0; q < x->nq; q++) {
		struct nm_xdp_q *xq = &x->q[q];

		pthread_mutex_lock(&xq->lock);
		if (xq->fifo_count > 0 && !xq->dead)
			nm_xdp_kick(xq);
		nm_xdp_reap_q(xq);
		inflight |= xq->fifo_count > 0 && !xq->dead;
		pthread_mutex_unlock(&xq->lock);
	}
	return inflight;
}

/*
 * Zero copy, a frame to copy (a VALE switch's, nm_nic_bdg_tx): into a
 * buffer of the pool for the time it is in flight, so that it is in the
 * UMEM. Up to a buffer (no multi-buffer copies).
 */
static int
nm_xdp_zc_tx_alloc(struct nm_xdp_q *xq, uint32_t len, void **data)
{
	uint32_t idx;
	void *b;

	if (len > NM_XDP_CHUNK)
		return EMSGSIZE;
	b = nm_mem_obj_alloc(xq->mem, NM_POOL_BUF, &idx);
	if (b == NULL)
		return ENOMEM;
	pthread_mutex_lock(&xq->lock);
	if (xq->dead) {
		pthread_mutex_unlock(&xq->lock);
		nm_mem_obj_free(xq->mem, NM_POOL_BUF, idx);
		return ENXIO;
	}
	xq->stage_buf = idx;
	xq->stage_len = len;
	*data = b;
	return 0;
}

/* Chunks for a frame of len bytes: 0 and the queue kept, or an errno. */
static int
nm_xdp_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **data)
{
	struct nm_xdp *x = nic->priv;
	struct nm_xdp_q *xq = &x->q[q];
	uint32_t need = (len + NM_XDP_CHUNK - 1) / NM_XDP_CHUNK, pos, skip;

	if (x->zc)
		return nm_xdp_zc_tx_alloc(xq, len, data);
	if (need == 0)
		need = 1;
	if (need > 1 && !x->sg)
		return EMSGSIZE;
	pthread_mutex_lock(&xq->lock);
	if (xq->dead) {
		pthread_mutex_unlock(&xq->lock);
		return ENXIO;
	}
	pos = xq->tx_head % NM_XDP_TX;
	skip = pos + need > NM_XDP_TX ? NM_XDP_TX - pos : 0;
	if (xq->tx_head + skip + need - xq->tx_tail > NM_XDP_TX ||
	    xq->fifo_count == NM_XDP_TX) {
		nm_xdp_kick(xq);
		nm_xdp_reap_q(xq);
		if (xq->tx_head + skip + need - xq->tx_tail > NM_XDP_TX ||
		    xq->fifo_count == NM_XDP_TX) {
			pthread_mutex_unlock(&xq->lock);
			return EBUSY;
		}
	}
	xq->stage_skip = skip;
	xq->stage_len = len;
	*data = xq->area + (size_t)(NM_XDP_RX + (pos + skip) % NM_XDP_TX) *
	    NM_XDP_CHUNK;
	return 0;
}

/* Zero copy: the staged copy leaves from its pool buffer. */
static int
nm_xdp_zc_tx_copy(struct nm_xdp_q *xq, void *done, bool report)
{
	uint32_t b = xq->stage_buf, pos;
	struct xdp_desc *d;
	struct nm_xdp_txf *f;

	xq->stage_buf = 0;
	if (xq->fifo_count == NM_XDP_TX ||
	    xsk_ring_prod__reserve(&xq->tx, 1, &pos) != 1) {
		pthread_mutex_unlock(&xq->lock);
		nm_mem_obj_free(xq->mem, NM_POOL_BUF, b);
		return EBUSY;
	}
	d = xsk_ring_prod__tx_desc(&xq->tx, pos);
	d->addr = nm_xdp_zc_addr(b) + NM_USER_XDP_HEADROOM;
	d->len = xq->stage_len;
	d->options = 0;
	xsk_ring_prod__submit(&xq->tx, 1);
	f = &xq->fifo[(xq->fifo_head + xq->fifo_count) % NM_XDP_TX];
	f->span = 0;
	f->ndesc = 1;
	f->done = done;
	f->report = report;
	f->tmp = b;
	xq->fifo_count++;
	if (report || ++xq->unkicked >= NM_XDP_KICK)
		nm_xdp_kick(xq);
	nm_xdp_reap_q(xq);
	pthread_mutex_unlock(&xq->lock);
	return 0;
}

/*
 * The staged frame to the TX ring, one descriptor per chunk. There is
 * room: a descriptor per chunk, as many entries as chunks.
 */
static int
nm_xdp_tx(struct nm_os_nic *nic, uint32_t q, void *data, void *done,
    bool report)
{
	struct nm_xdp_q *xq = &((struct nm_xdp *)nic->priv)->q[q];
	uint32_t len = xq->stage_len, need, i, idx, start, l, t;
	struct nm_xdp_txf *f;

	if (xq->stage_buf != 0)
		return nm_xdp_zc_tx_copy(xq, done, report);
	need = len == 0 ? 1 : (len + NM_XDP_CHUNK - 1) / NM_XDP_CHUNK;
	start = xq->tx_head + xq->stage_skip;
	if (xsk_ring_prod__reserve(&xq->tx, need, &idx) != need) {
		pthread_mutex_unlock(&xq->lock);
		return EBUSY;
	}
	for (i = 0; i < need; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&xq->tx, idx + i);

		l = len > NM_XDP_CHUNK ? NM_XDP_CHUNK : len;
		d->addr = (uint64_t)(NM_XDP_RX + (start + i) % NM_XDP_TX) *
		    NM_XDP_CHUNK;
		d->len = l;
		d->options = i + 1 < need ? XDP_PKT_CONTD : 0;
		len -= l;
	}
	xsk_ring_prod__submit(&xq->tx, need);
	t = xq->fifo_head + xq->fifo_count;
	f = &xq->fifo[t % NM_XDP_TX];
	f->span = xq->stage_skip + need;
	f->ndesc = need;
	f->done = done;
	f->report = report;
	f->tmp = 0;
	xq->fifo_count++;
	xq->tx_head += f->span;
	xq->unkicked += need;
	if (report || xq->unkicked >= NM_XDP_KICK)
		nm_xdp_kick(xq);
	nm_xdp_reap_q(xq);
	pthread_mutex_unlock(&xq->lock);
	return 0;
}

/*
 * Zero copy: a frame leaves from its buffers, one descriptor each at the
 * buffer's start; its slots go back at its completion.
 */
static int
nm_xdp_tx_bufs(struct nm_os_nic *nic, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n, void *done, bool report)
{
	struct nm_xdp *x = nic->priv;
	struct nm_xdp_q *xq = &x->q[q];
	struct nm_xdp_txf *f;
	uint32_t i, pos;

	if (n > 1 && !x->sg)
		return EMSGSIZE;
	pthread_mutex_lock(&xq->lock);
	if (xq->dead) {
		pthread_mutex_unlock(&xq->lock);
		return ENXIO;
	}
	if (xq->fifo_count == NM_XDP_TX ||
	    xsk_ring_prod__reserve(&xq->tx, n, &pos) != n) {
		nm_xdp_kick(xq);
		nm_xdp_reap_q(xq);
		if (xq->fifo_count == NM_XDP_TX ||
		    xsk_ring_prod__reserve(&xq->tx, n, &pos) != n) {
			pthread_mutex_unlock(&xq->lock);
			return EBUSY;
		}
	}
	for (i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&xq->tx, pos + i);

		d->addr = nm_xdp_zc_addr(idx[i]) + NM_USER_XDP_HEADROOM;
		d->len = len[i];
		d->options = i + 1 < n ? XDP_PKT_CONTD : 0;
	}
	xsk_ring_prod__submit(&xq->tx, n);
	f = &xq->fifo[(xq->fifo_head + xq->fifo_count) % NM_XDP_TX];
	f->span = 0;
	f->ndesc = n;
	f->done = done;
	f->report = report;
	f->tmp = 0;
	xq->fifo_count++;
	xq->unkicked += n;
	if (report || xq->unkicked >= NM_XDP_KICK)
		nm_xdp_kick(xq);
	nm_xdp_reap_q(xq);
	pthread_mutex_unlock(&xq->lock);
	return 0;
}

static void
nm_xdp_tx_cancel(struct nm_os_nic *nic, uint32_t q)
{
	struct nm_xdp_q *xq = &((struct nm_xdp *)nic->priv)->q[q];
	uint32_t b = xq->stage_buf;

	xq->stage_buf = 0;
	pthread_mutex_unlock(&xq->lock);
	if (b != 0)
		nm_mem_obj_free(xq->mem, NM_POOL_BUF, b);
}

const struct nm_user_nic_path nm_user_xdp_path = {
	.name = "AF_XDP",
	.attach = nm_xdp_attach,
	.detach = nm_xdp_detach,
	.fd = nm_xdp_fd,
	.rx = nm_xdp_rx,
	.reap = nm_xdp_reap,
	.tx_alloc = nm_xdp_tx_alloc,
	.tx = nm_xdp_tx,
	.tx_cancel = nm_xdp_tx_cancel,
	.tx_bufs = nm_xdp_tx_bufs,
	.rx_refill = nm_xdp_rx_refill,
};
