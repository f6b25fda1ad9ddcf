/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nm_nic_user.h: netmapd's network interfaces (nm_os.h's nm_os_nic_*),
 * shared by the generic part (nm_nic_user.c: finding the interface,
 * privileges, the choice of path, the receive thread), the two paths to
 * the wire: AF_XDP (nm_xdp.c) and AF_PACKET (nm_afp.c), and the way to
 * the interface's stack for the host rings (nm_host_user.c).
 *
 * A path keeps one socket per queue q of the interface (q < nq); the
 * receive thread polls them all and calls rx(q) for those with frames,
 * which hands each frame to nm_nic_rx() as a struct nm_user_frame; it
 * calls reap() at least every millisecond while frames are in flight.
 * tx_alloc() keeps queue q (its lock) for the caller until tx() or
 * tx_cancel() gives it back: between them the frame is being filled.
 */
#ifndef NM_NIC_USER_H
#define NM_NIC_USER_H

#include <net/if.h>
#include <pthread.h>

#include "nm_os.h"

/*
 * AF_XDP writes a received frame this far into a UMEM chunk
 * (XDP_PACKET_HEADROOM): netmapd's global buffer pool starts this far
 * into a page (nm_params.buf_pool_pad), so that a UMEM starting at that
 * page puts every frame at a buffer's start (nm_xdp.c).
 */
#define NM_USER_XDP_HEADROOM	256

/* At most this many queues get a socket (the core's ring limit). */
#define NM_USER_NIC_MAX_QUEUES	32
/* The pieces of a received frame (AF_XDP multi-buffer: 9 KB in 2 KB). */
#define NM_USER_FRAME_SEGS	20

struct nm_user_frame {
	uint32_t n;
	struct {
		const uint8_t *p;
		uint32_t len;
	} seg[NM_USER_FRAME_SEGS];
};

struct nm_os_nic;

struct nm_user_nic_path {
	const char *name;		/* "AF_XDP", "AF_PACKET" */
	/* sockets on every queue: 0, or an errno (and a log line) */
	int (*attach)(struct nm_os_nic *nic);
	void (*detach)(struct nm_os_nic *nic);
	int (*fd)(struct nm_os_nic *nic, uint32_t q);
	/* the frames waiting on queue q, to nm_nic_rx() */
	void (*rx)(struct nm_os_nic *nic, uint32_t q);
	/* completions to the core; true while frames are in flight */
	bool (*reap)(struct nm_os_nic *nic);
	int (*tx_alloc)(struct nm_os_nic *nic, uint32_t q, uint32_t len,
	    void **data);
	int (*tx)(struct nm_os_nic *nic, uint32_t q, void *data,
	    void *done, bool report);
	void (*tx_cancel)(struct nm_os_nic *nic, uint32_t q);
	/* zero copy (the path called nm_nic_zerocopy()): nm_os.h's */
	int (*tx_bufs)(struct nm_os_nic *nic, uint32_t q, const uint32_t *idx,
	    const uint32_t *len, uint32_t n, void *done, bool report);
	void (*rx_refill)(struct nm_os_nic *nic, uint32_t r,
	    const uint32_t *idx, uint32_t n);
};

struct nm_os_nic {
	char name[IFNAMSIZ];
	int ifindex;
	uint32_t ntxq, nrxq;		/* the interface's queues */
	uint32_t nq;			/* sockets: max of both, capped */
	uint32_t max_frame;		/* bytes: MTU + Ethernet + VLAN */
	const struct nm_user_nic_path *path;
	bool copy;			/* NETMAPD_NIC=xdp-copy */
	const char *mode;		/* the path's, for the log */
	void *priv;			/* the path's, while attached */
	struct nm_adapter *na;		/* while attached */
	/* the receive thread, while attached */
	pthread_t thread;
	int stop_fd;			/* eventfd: the thread's end */
	int kick_fd;			/* eventfd: reap what others sent */
	bool kick_armed;		/* atomic: kick_fd written, not read */
	uint8_t *rx_pending;		/* per RX ring: frames to publish */
	uint32_t nrings;		/* host rings included */
	/* the host rings' way to the stack (nm_host_user.c), or NULL */
	struct nm_user_host *host;
	/* per queue, from tx_alloc to tx: the frame's length */
	uint32_t tx_len[NM_USER_NIC_MAX_QUEUES];
};

/*
 * The host rings (nm_host_user.c). The tap's program marks what it
 * sends into the interface, so that AF_PACKET leaves it out.
 */
#define NM_USER_HOST_MARK	0x6e6d6873u	/* "nmhs" */
const char *nm_user_host_missing(void);
void nm_user_host_open(struct nm_os_nic *nic);
void nm_user_host_close(struct nm_os_nic *nic);
int nm_user_host_fd(const struct nm_os_nic *nic);
void nm_user_host_rx(struct nm_os_nic *nic);
int nm_user_host_tx(struct nm_os_nic *nic, const void *data, uint32_t len);

extern const struct nm_user_nic_path nm_user_xdp_path;
extern const struct nm_user_nic_path nm_user_afp_path;

#endif /* NM_NIC_USER_H */
