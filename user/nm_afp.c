// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_afp.c: netmapd's AF_PACKET path to an interface (nm_nic_user.h),
 * for any interface, where AF_XDP cannot attach (or NETMAPD_NIC=afpacket).
 *
 * Per queue, two sockets:
 *   - RX: TPACKET_V3 ring (blocks of frames, a block handed over when
 *     full or 1 ms after its first frame, which is the mitigation the
 *     module does with a timer), PACKET_IGNORE_OUTGOING, and with more
 *     than one queue a PACKET_FANOUT_QM group, so that socket q gets the
 *     frames of receive queue q. A tag the driver took out is put back
 *     (a piece of the frame), so the ring sees what the wire carried.
 *     A socket filter leaves out the frames of the host TX ring, which
 *     the host rings' tap sends into the interface (nm_host_user.c).
 *   - TX: TPACKET_V2 ring with PACKET_QDISC_BYPASS (straight to the
 *     driver, as the module's __dev_direct_xmit), bound with protocol 0
 *     so that it receives nothing. Slots are handed to the kernel in
 *     order (TP_STATUS_SEND_REQUEST) and come back in order (AVAILABLE,
 *     once the driver freed the frame): the oldest in flight tells the
 *     core its frame left. The kernel, not the ring, picks the
 *     interface's queue.
 *
 * What differs from the module and from AF_XDP: the interface's own
 * stack still receives every frame (a packet socket only looks), and a
 * frame coalesced by GRO or a GSO frame of the peer arrives as one
 * frame longer than the MTU (in as many slots as it needs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nm_os.h"
#include "nm_core.h"
#include "nm_nic_user.h"

#define NM_AFP_RX_BLOCK		(1u << 18)	/* bytes */
#define NM_AFP_RX_BLOCKS	16
#define NM_AFP_RX_TOV_MS	1		/* a block's retire timeout */
#define NM_AFP_TX_FRAMES	1024
#define NM_AFP_KICK		64	/* frames between TX kicks */
/* where a TPACKET_V2 TX frame's data starts, without PACKET_TX_HAS_OFF */
#define NM_AFP_TX_DATA	(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

struct nm_afp_txf {
	void *done;
	bool report;
};

struct nm_afp_q {
	int rx_fd, tx_fd;
	uint8_t *rx_map, *tx_map;
	uint32_t block;			/* the receive thread's next */
	/* TX, under lock */
	pthread_mutex_t lock;
	uint32_t tx_head, tx_tail;	/* frames taken, completed */
	struct nm_afp_txf fifo[NM_AFP_TX_FRAMES];
	uint32_t unkicked;
	bool dead;			/* the interface went away */
};

struct nm_afp {
	uint32_t nq, frame_size;	/* TX frame slot */
	struct nm_afp_q q[];
};

static int
nm_afp_bind(int fd, int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(proto),
		.sll_ifindex = ifindex,
	};

	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		return errno;
	return 0;
}

static int
nm_afp_setopt(int fd, int opt, const void *v, socklen_t len)
{
	return setsockopt(fd, SOL_PACKET, opt, v, len) != 0 ? errno : 0;
}

/*
 * The receive sockets leave out what the host rings' tap sends into the
 * interface (nm_host_user.c marks it): frames of the host TX ring, for
 * the stack, not for the NIC RX rings.
 */
static struct sock_filter nm_afp_not_host[] = {
	{ BPF_LD | BPF_W | BPF_ABS, 0, 0, SKF_AD_OFF + SKF_AD_MARK },
	{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, NM_USER_HOST_MARK },
	{ BPF_RET | BPF_K, 0, 0, 0 },
	{ BPF_RET | BPF_K, 0, 0, UINT32_MAX },
};
static const struct sock_fprog nm_afp_filter = {
	.len = sizeof(nm_afp_not_host) / sizeof(nm_afp_not_host[0]),
	.filter = nm_afp_not_host,
};

/* The fanout group of one adapter: an id no other adapter of ours has. */
static uint16_t
nm_afp_fanout_id(void)
{
	static uint32_t next;

	return (uint16_t)(getpid() * 131 +
	    __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED));
}

static int
nm_afp_rx_open(struct nm_os_nic *nic, struct nm_afp_q *aq, uint16_t group)
{
	int v3 = TPACKET_V3, one = 1, fanout, error;
	struct tpacket_req3 req = {
		.tp_block_size = NM_AFP_RX_BLOCK,
		.tp_block_nr = NM_AFP_RX_BLOCKS,
		.tp_frame_size = 2048,
		.tp_frame_nr = NM_AFP_RX_BLOCK / 2048 * NM_AFP_RX_BLOCKS,
		.tp_retire_blk_tov = NM_AFP_RX_TOV_MS,
	};
	void *map;

	aq->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (aq->rx_fd < 0)
		return errno;
	error = nm_afp_setopt(aq->rx_fd, PACKET_VERSION, &v3, sizeof(v3));
	if (!error)
		error = nm_afp_setopt(aq->rx_fd, PACKET_RX_RING, &req,
		    sizeof(req));
	if (!error)
		error = nm_afp_setopt(aq->rx_fd, PACKET_IGNORE_OUTGOING, &one,
		    sizeof(one));
	if (!error && setsockopt(aq->rx_fd, SOL_SOCKET, SO_ATTACH_FILTER,
	    &nm_afp_filter, sizeof(nm_afp_filter)) != 0)
		error = errno;
	if (error)
		return error;
	map = mmap(NULL, (size_t)NM_AFP_RX_BLOCK * NM_AFP_RX_BLOCKS,
	    PROT_READ | PROT_WRITE, MAP_SHARED, aq->rx_fd, 0);
	if (map == MAP_FAILED)
		return errno;
	aq->rx_map = map;
	error = nm_afp_bind(aq->rx_fd, nic->ifindex, ETH_P_ALL);
	if (error || nic->nq == 1)
		return error;
	fanout = group | PACKET_FANOUT_QM << 16;
	return nm_afp_setopt(aq->rx_fd, PACKET_FANOUT, &fanout,
	    sizeof(fanout));
}

static int
nm_afp_tx_open(struct nm_os_nic *nic, struct nm_afp *a, struct nm_afp_q *aq)
{
	int v2 = TPACKET_V2, one = 1, error;
	uint32_t per_block = 32;
	struct tpacket_req req = {
		.tp_block_size = a->frame_size * per_block,
		.tp_block_nr = NM_AFP_TX_FRAMES / per_block,
		.tp_frame_size = a->frame_size,
		.tp_frame_nr = NM_AFP_TX_FRAMES,
	};
	void *map;

	aq->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (aq->tx_fd < 0)
		return errno;
	error = nm_afp_setopt(aq->tx_fd, PACKET_VERSION, &v2, sizeof(v2));
	if (!error)
		error = nm_afp_setopt(aq->tx_fd, PACKET_QDISC_BYPASS, &one,
		    sizeof(one));
	if (!error)
		error = nm_afp_setopt(aq->tx_fd, PACKET_TX_RING, &req,
		    sizeof(req));
	if (error)
		return error;
	map = mmap(NULL, (size_t)a->frame_size * NM_AFP_TX_FRAMES,
	    PROT_READ | PROT_WRITE, MAP_SHARED, aq->tx_fd, 0);
	if (map == MAP_FAILED)
		return errno;
	aq->tx_map = map;
	return nm_afp_bind(aq->tx_fd, nic->ifindex, 0);
}

static void
nm_afp_free(struct nm_afp *a)
{
	uint32_t q;

	for (q = 0; q < a->nq; q++) {
		struct nm_afp_q *aq = &a->q[q];

		if (aq->rx_map != NULL)
			munmap(aq->rx_map,
			    (size_t)NM_AFP_RX_BLOCK * NM_AFP_RX_BLOCKS);
		if (aq->tx_map != NULL)
			munmap(aq->tx_map,
			    (size_t)a->frame_size * NM_AFP_TX_FRAMES);
		if (aq->rx_fd >= 0)
			close(aq->rx_fd);
		if (aq->tx_fd >= 0)
			close(aq->tx_fd);
		pthread_mutex_destroy(&aq->lock);
	}
	free(a);
}

static int
nm_afp_attach(struct nm_os_nic *nic)
{
	uint16_t group = nm_afp_fanout_id();
	struct nm_afp *a;
	uint32_t q;
	int error;

	a = calloc(1, sizeof(*a) + nic->nq * sizeof(a->q[0]));
	if (a == NULL)
		return ENOMEM;
	/* a power of two that holds the largest frame and the header */
	for (a->frame_size = 2048;
	    a->frame_size < nic->max_frame + TPACKET2_HDRLEN;
	    a->frame_size *= 2)
		;
	for (q = 0; q < nic->nq; q++) {
		struct nm_afp_q *aq = &a->q[q];

		a->nq = q + 1;
		aq->rx_fd = aq->tx_fd = -1;
		pthread_mutex_init(&aq->lock, NULL);
		error = nm_afp_rx_open(nic, aq, group);
		if (!error)
			error = nm_afp_tx_open(nic, a, aq);
		if (error) {
			nm_os_log("%s: AF_PACKET on queue %u: %s", nic->name,
			    q, strerror(error));
			nm_afp_free(a);
			return error;
		}
	}
	nic->priv = a;
	return 0;
}

static void
nm_afp_detach(struct nm_os_nic *nic)
{
	nm_afp_free(nic->priv);
	nic->priv = NULL;
}

static int
nm_afp_fd(struct nm_os_nic *nic, uint32_t q)
{
	return ((struct nm_afp *)nic->priv)->q[q].rx_fd;
}

/* ---- RX ---- */

/* One received frame to the core, its VLAN tag back in its place. */
static void
nm_afp_rx_one(struct nm_os_nic *nic, uint32_t q, struct tpacket3_hdr *h)
{
	const uint8_t *p = (const uint8_t *)h + h->tp_mac;
	struct nm_user_frame f;
	uint8_t tag[4];
	uint16_t tpid;

	if (!(h->tp_status & TP_STATUS_VLAN_VALID) || h->tp_snaplen < 12) {
		f.n = 1;
		f.seg[0].p = p;
		f.seg[0].len = h->tp_snaplen;
		nm_nic_rx(nic->na, q, false, &f, h->tp_snaplen);
		return;
	}
	tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ?
	    h->hv1.tp_vlan_tpid : ETH_P_8021Q;
	tag[0] = (uint8_t)(tpid >> 8);
	tag[1] = (uint8_t)tpid;
	tag[2] = (uint8_t)(h->hv1.tp_vlan_tci >> 8);
	tag[3] = (uint8_t)h->hv1.tp_vlan_tci;
	f.n = 3;
	f.seg[0].p = p;
	f.seg[0].len = 12;
	f.seg[1].p = tag;
	f.seg[1].len = 4;
	f.seg[2].p = p + 12;
	f.seg[2].len = h->tp_snaplen - 12;
	nm_nic_rx(nic->na, q, false, &f, h->tp_snaplen + 4);
}

/* The blocks the kernel handed over, frame by frame, then back. */
static void
nm_afp_rx(struct nm_os_nic *nic, uint32_t q)
{
	struct nm_afp_q *aq = &((struct nm_afp *)nic->priv)->q[q];
	uint32_t b, i;

	for (b = 0; b < NM_AFP_RX_BLOCKS; b++) {
		struct tpacket_block_desc *bd = (struct tpacket_block_desc *)
		    (aq->rx_map + (size_t)aq->block * NM_AFP_RX_BLOCK);
		struct tpacket3_hdr *h;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		h = (struct tpacket3_hdr *)((uint8_t *)bd +
		    bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			nm_afp_rx_one(nic, q, h);
			h = (struct tpacket3_hdr *)((uint8_t *)h +
			    h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		aq->block = (aq->block + 1) % NM_AFP_RX_BLOCKS;
	}
}

/* ---- TX ---- */

static struct tpacket2_hdr *
nm_afp_tx_slot(struct nm_afp *a, struct nm_afp_q *aq, uint32_t i)
{
	return (struct tpacket2_hdr *)(aq->tx_map +
	    (size_t)(i % NM_AFP_TX_FRAMES) * a->frame_size);
}

/* Send what was handed to the kernel (PACKET_QDISC_BYPASS: now). */
static void
nm_afp_kick(struct nm_afp_q *aq)
{
	if (send(aq->tx_fd, NULL, 0, MSG_DONTWAIT) < 0) {
		/* EAGAIN, ENOBUFS: the reap tries again */
		if (errno == ENXIO || errno == ENODEV)
			aq->dead = true;
		return;
	}
	aq->unkicked = 0;
}

/* Frames the kernel gave back, in order, to the core. Under aq->lock. */
static void
nm_afp_reap_q(struct nm_afp *a, struct nm_afp_q *aq)
{
	while (aq->tx_tail != aq->tx_head) {
		struct tpacket2_hdr *h = nm_afp_tx_slot(a, aq, aq->tx_tail);
		struct nm_afp_txf *f = &aq->fifo[aq->tx_tail %
		    NM_AFP_TX_FRAMES];
		uint32_t st = __atomic_load_n(&h->tp_status,
		    __ATOMIC_ACQUIRE);

		if (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING))
			break;
		/* refused by the kernel (TP_STATUS_WRONG_FORMAT): gone too */
		if (st != TP_STATUS_AVAILABLE)
			__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE,
			    __ATOMIC_RELAXED);
		aq->tx_tail++;
		/* frames of a switch or forwarded ones have no completion */
		if (f->done != NULL)
			nm_nic_tx_done(f->done, f->report);
	}
}

static bool
nm_afp_reap(struct nm_os_nic *nic)
{
	struct nm_afp *a = nic->priv;
	bool inflight = false;
	uint32_t q;

	for (q = 0; q < a->nq; q++) {
		struct nm_afp_q *aq = &a->q[q];

		pthread_mutex_lock(&aq->lock);
		if (aq->tx_tail != aq->tx_head && !aq->dead)
			nm_afp_kick(aq);
		nm_afp_reap_q(a, aq);
		inflight |= aq->tx_tail != aq->tx_head && !aq->dead;
		pthread_mutex_unlock(&aq->lock);
	}
	return inflight;
}

static int
nm_afp_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **data)
{
	struct nm_afp *a = nic->priv;
	struct nm_afp_q *aq = &a->q[q];

	pthread_mutex_lock(&aq->lock);
	if (aq->dead) {
		pthread_mutex_unlock(&aq->lock);
		return ENXIO;
	}
	if (aq->tx_head - aq->tx_tail == NM_AFP_TX_FRAMES) {
		nm_afp_kick(aq);
		nm_afp_reap_q(a, aq);
		if (aq->tx_head - aq->tx_tail == NM_AFP_TX_FRAMES) {
			pthread_mutex_unlock(&aq->lock);
			return EBUSY;
		}
	}
	nm_afp_tx_slot(a, aq, aq->tx_head)->tp_len = len;
	*data = (uint8_t *)nm_afp_tx_slot(a, aq, aq->tx_head) +
	    NM_AFP_TX_DATA;
	return 0;
}

static int
nm_afp_tx(struct nm_os_nic *nic, uint32_t q, void *data, void *done,
    bool report)
{
	struct nm_afp *a = nic->priv;
	struct nm_afp_q *aq = &a->q[q];
	struct nm_afp_txf *f = &aq->fifo[aq->tx_head % NM_AFP_TX_FRAMES];

	f->done = done;
	f->report = report;
	__atomic_store_n(&nm_afp_tx_slot(a, aq, aq->tx_head)->tp_status,
	    TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	aq->tx_head++;
	if (report || ++aq->unkicked >= NM_AFP_KICK)
		nm_afp_kick(aq);
	nm_afp_reap_q(a, aq);
	pthread_mutex_unlock(&aq->lock);
	return 0;
}

static void
nm_afp_tx_cancel(struct nm_os_nic *nic, uint32_t q)
{
	pthread_mutex_unlock(&((struct nm_afp *)nic->priv)->q[q].lock);
}

const struct nm_user_nic_path nm_user_afp_path = {
	.name = "AF_PACKET",
	.attach = nm_afp_attach,
	.detach = nm_afp_detach,
	.fd = nm_afp_fd,
	.rx = nm_afp_rx,
	.reap = nm_afp_reap,
	.tx_alloc = nm_afp_tx_alloc,
	.tx = nm_afp_tx,
	.tx_cancel = nm_afp_tx_cancel,
};
