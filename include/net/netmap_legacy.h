/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * net/netmap_legacy.h - the netmap control interface from before NIOCCTRL.
 *
 * Programs written for older netmap releases (and the NETMAP_WITH_LIBS
 * helpers in netmap_user.h) bind a port with NIOCREGIF and a 60-byte
 * struct nmreq, query it with NIOCGINFO and drive VALE with nr_cmd. The
 * kernel still accepts all of it and translates each request into the
 * matching NIOCCTRL one, so the layout and values here are ABI.
 *
 * It is normally reached through net/netmap.h, which includes it at the
 * end; including it first works as well.
 */

#ifndef _NET_NETMAP_LEGACY_H_
#define _NET_NETMAP_LEGACY_H_

/* Types, IFNAMSIZ, _IOWR and NR_REG_* come from the main header. */
#include "netmap.h"

/*
 * The legacy request. It starts with the interface name so that it can
 * overlay a struct ifreq.
 *
 * For a plain registration (nr_cmd == 0) the low 4 bits of nr_flags carry
 * the NR_REG_* mode and the remaining bits NR_* flags; nr_ringid carries
 * the ring number plus the NETMAP_*_POLL and (with mode 0, deprecated)
 * NETMAP_HW_RING/NETMAP_SW_RING bits. Counts of 0 ask for defaults and
 * come back with the values in use.
 */
struct nmreq {
	char		nr_name[IFNAMSIZ];	/* port name */
	uint32_t	nr_version;	/* >= 14 */
	uint32_t	nr_offset;	/* (out) netmap_if offset in region */
	uint32_t	nr_memsize;	/* (out) region size */
	uint32_t	nr_tx_slots;	/* (in/out) */
	uint32_t	nr_rx_slots;	/* (in/out) */
	uint16_t	nr_tx_rings;	/* (in/out) */
	uint16_t	nr_rx_rings;	/* (in/out) */
	uint16_t	nr_ringid;	/* ring number and NETMAP_* bits */
	uint16_t	nr_cmd;		/* 0 = register, else NETMAP_BDG_* */
	uint16_t	nr_arg1;	/* command specific */
	uint16_t	nr_arg2;	/* (in/out) region id; LIST: port */
	uint32_t	nr_arg3;	/* (in/out) extra buffers */
	uint32_t	nr_flags;	/* NR_REG_* mode | NR_* flags */
	uint32_t	spare2[1];
};

/* nr_ringid */
#define NETMAP_RING_MASK	0x0fff	/* the ring number */
#define NETMAP_NO_TX_POLL	0x1000	/* poll() syncs TX only on POLLOUT */
#define NETMAP_SW_RING		0x2000	/* mode 0: bind the host rings */
#define NETMAP_HW_RING		0x4000	/* mode 0: bind one NIC ring pair */
#define NETMAP_DO_RX_POLL	0x8000	/* accepted, has no effect */

/* nr_flags: the NR_REG_* mode lives in the low bits. */
#define NR_REG_MASK		0xf

/* nr_cmd */
#define NETMAP_BDG_ATTACH	1	/* attach a NIC to a switch */
#define NETMAP_BDG_DETACH	2	/* detach it */
#define NETMAP_BDG_REGOPS	3	/* kernel modules only */
#define NETMAP_BDG_LIST		4	/* where is a port (NIOCGINFO) */
#define NETMAP_BDG_VNET_HDR	5	/* set the virtio-net header length */
#define NETMAP_BDG_NEWIF	6	/* create a persistent VALE port */
#define NETMAP_BDG_DELIF	7	/* destroy it */
#define NETMAP_PT_HOST_CREATE	8	/* not supported */
#define NETMAP_PT_HOST_DELETE	9	/* not supported */
#define NETMAP_BDG_POLLING_ON	10	/* start polling threads */
#define NETMAP_BDG_POLLING_OFF	11	/* stop them */
#define NETMAP_VNET_HDR_GET	12	/* read the virtio-net header length */

/* nr_arg1 of NETMAP_BDG_ATTACH: attach the host stack too. */
#define NETMAP_BDG_HOST		1

/*
 * NIOCCONFIG argument: an opaque blob handed to the config callback of a
 * switch run by an external kernel module.
 */
#define NM_IFRDATA_LEN		256

struct nm_ifreq {
	char	nifr_name[IFNAMSIZ];
	char	data[NM_IFRDATA_LEN];
};

/* ioctl numbers; see the note next to NIOCCTRL in netmap.h. */
#ifdef NM_CORE
#define NIOCGINFO	0xC03C6991U
#define NIOCREGIF	0xC03C6992U
#define NIOCCONFIG	0xC1106996U
#else
#define NIOCGINFO	_IOWR('i', 145, struct nmreq)	/* port info */
#define NIOCREGIF	_IOWR('i', 146, struct nmreq)	/* register */
#define NIOCCONFIG	_IOWR('i', 150, struct nm_ifreq) /* switch config */
#endif

#endif /* _NET_NETMAP_LEGACY_H_ */
