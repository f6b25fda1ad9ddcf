// SPDX-License-Identifier: BSD-2-Clause
/*
 * tests/abi/abi_test.c - the netmap ABI, checked against the spec.
 *
 * Two halves. The first pins every offset, size, alignment, constant and
 * ioctl number of the spec's tables (shared/spec/netmap-abi.md, sections
 * 2.2, 2.3, 2.6, 2.7, 2.11, 2.12) with _Static_assert, so a layout slip
 * breaks the build rather than an application. The second builds a fake
 * shared region in ordinary memory (a netmap_if, nine rings, a buffer
 * pool) and checks, by value, what the netmap_user.h macros and inlines
 * compute on it. The legacy library gets its own translation unit,
 * abi_libs.c, so that this one proves the header works without it.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net/netmap_user.h>

/* abi_libs.c: runs its checks, adds them to *nchecks, returns failures. */
int	abi_libs_run(unsigned int *nchecks);

static unsigned int checks;
static unsigned int failures;

static void
check_eq(uint64_t got, uint64_t want, const char *expr, int line)
{
	checks++;
	if (got != want) {
		failures++;
		fprintf(stderr, "abi_test.c:%d: %s is %#llx, expected %#llx\n",
		    line, expr, (unsigned long long)got,
		    (unsigned long long)want);
	}
}

#define CHECK_EQ(a, b)	check_eq((uint64_t)(a), (uint64_t)(b), #a, __LINE__)
#define CHECK(c)	check_eq(!!(c), 1, #c, __LINE__)

/*
 * --- Compile-time half ----------------------------------------------------
 * ABI(a, b) fails the build unless a == b, and counts one check.
 */
#define ABI(a, b)							\
	do {								\
		_Static_assert((a) == (b), #a " == " #b);		\
		checks++;						\
	} while (0)

#define FSIZE(type, field)	sizeof(((struct type *)0)->field)
/* Offset and size of one field. */
#define FIELD(type, field, off, size)					\
	do {								\
		ABI(offsetof(struct type, field), off);			\
		ABI(FSIZE(type, field), size);				\
	} while (0)
/* Size and alignment of a whole structure. */
#define STRUCT(type, size, align)					\
	do {								\
		ABI(sizeof(struct type), size);				\
		ABI(_Alignof(struct type), align);			\
	} while (0)
/* Whether an integer field is signed ((T)-1 > 0 only when unsigned). */
#define FTYPE(type, field)	__typeof__(((struct type *)0)->field)
#define SIGNED(type, field, yes)					\
	ABI((FTYPE(type, field))-1 > (FTYPE(type, field))0, !(yes))

static void
check_versions(void)
{
	ABI(NETMAP_API, 14);
	ABI(NETMAP_MIN_API, 14);
	ABI(NETMAP_MAX_API, 15);
	ABI(sizeof(NETMAP_DEVICE_NAME), sizeof("/dev/netmap"));
	ABI(IFNAMSIZ, 16);
	/* LP64: ring_ofs is 8 bytes and ts 16 (2.1). */
	ABI(sizeof(ssize_t), 8);
	ABI(sizeof(struct timeval), 16);
}

/* 2.2 */
static void
check_ioctls(void)
{
	ABI(NIOCGINFO, 0xC03C6991U);
	ABI(NIOCREGIF, 0xC03C6992U);
	ABI(NIOCTXSYNC, 0x00006994U);
	ABI(NIOCRXSYNC, 0x00006995U);
	ABI(NIOCCONFIG, 0xC1106996U);
	ABI(NIOCCTRL, 0xC0586997U);
	/* The encodings above carry these sizes. */
	ABI(_IOC_SIZE(NIOCGINFO), sizeof(struct nmreq));
	ABI(_IOC_SIZE(NIOCCONFIG), sizeof(struct nm_ifreq));
	ABI(_IOC_SIZE(NIOCCTRL), sizeof(struct nmreq_header));
}

/* 2.3 */
static void
check_shared_memory(void)
{
	STRUCT(netmap_slot, 16, 8);
	FIELD(netmap_slot, buf_idx, 0, 4);
	FIELD(netmap_slot, len, 4, 2);
	FIELD(netmap_slot, flags, 6, 2);
	FIELD(netmap_slot, ptr, 8, 8);

	STRUCT(netmap_ring, 256, NM_CACHE_ALIGN);
	ABI(NM_CACHE_ALIGN, 128);
	FIELD(netmap_ring, buf_ofs, 0, 8);
	SIGNED(netmap_ring, buf_ofs, 1);
	FIELD(netmap_ring, num_slots, 8, 4);
	FIELD(netmap_ring, nr_buf_size, 12, 4);
	FIELD(netmap_ring, ringid, 16, 2);
	FIELD(netmap_ring, dir, 18, 2);
	FIELD(netmap_ring, head, 20, 4);
	SIGNED(netmap_ring, head, 0);
	FIELD(netmap_ring, cur, 24, 4);
	FIELD(netmap_ring, tail, 28, 4);
	FIELD(netmap_ring, flags, 32, 4);
	FIELD(netmap_ring, ts, 40, 16);
	FIELD(netmap_ring, offset_mask, 56, 8);
	FIELD(netmap_ring, buf_align, 64, 8);
	FIELD(netmap_ring, sem, 128, 128);
	ABI(offsetof(struct netmap_ring, slot), 256);
	ABI(FSIZE(netmap_ring, slot[0]), 16);

	STRUCT(netmap_if, 56, 8);
	FIELD(netmap_if, ni_name, 0, 16);
	FIELD(netmap_if, ni_version, 16, 4);
	FIELD(netmap_if, ni_flags, 20, 4);
	FIELD(netmap_if, ni_tx_rings, 24, 4);
	FIELD(netmap_if, ni_rx_rings, 28, 4);
	FIELD(netmap_if, ni_bufs_head, 32, 4);
	FIELD(netmap_if, ni_host_tx_rings, 36, 4);
	FIELD(netmap_if, ni_host_rx_rings, 40, 4);
	FIELD(netmap_if, ni_spare1, 44, 12);
	ABI(offsetof(struct netmap_if, ring_ofs), 56);
	ABI(FSIZE(netmap_if, ring_ofs[0]), 8);
	SIGNED(netmap_if, ring_ofs[0], 1);
}

/* 2.6 */
static void
check_requests(void)
{
	STRUCT(nmreq_header, 88, 8);
	FIELD(nmreq_header, nr_version, 0, 2);
	FIELD(nmreq_header, nr_reqtype, 2, 2);
	FIELD(nmreq_header, nr_reserved, 4, 4);
	FIELD(nmreq_header, nr_name, 8, 64);
	FIELD(nmreq_header, nr_options, 72, 8);
	FIELD(nmreq_header, nr_body, 80, 8);
	ABI(NETMAP_REQ_IFNAMSIZ, 64);
	ABI(NETMAP_REQ_MAXSIZE, 4096);

	ABI(NETMAP_REQ_REGISTER, 1);
	ABI(NETMAP_REQ_PORT_INFO_GET, 2);
	ABI(NETMAP_REQ_VALE_ATTACH, 3);
	ABI(NETMAP_REQ_VALE_DETACH, 4);
	ABI(NETMAP_REQ_VALE_LIST, 5);
	ABI(NETMAP_REQ_PORT_HDR_SET, 6);
	ABI(NETMAP_REQ_PORT_HDR_GET, 7);
	ABI(NETMAP_REQ_VALE_NEWIF, 8);
	ABI(NETMAP_REQ_VALE_DELIF, 9);
	ABI(NETMAP_REQ_VALE_POLLING_ENABLE, 10);
	ABI(NETMAP_REQ_VALE_POLLING_DISABLE, 11);
	ABI(NETMAP_REQ_POOLS_INFO_GET, 12);
	ABI(NETMAP_REQ_SYNC_KLOOP_START, 13);
	ABI(NETMAP_REQ_SYNC_KLOOP_STOP, 14);
	ABI(NETMAP_REQ_CSB_ENABLE, 15);

	STRUCT(nmreq_register, 56, 8);
	FIELD(nmreq_register, nr_offset, 0, 8);
	FIELD(nmreq_register, nr_memsize, 8, 8);
	FIELD(nmreq_register, nr_tx_slots, 16, 4);
	FIELD(nmreq_register, nr_rx_slots, 20, 4);
	FIELD(nmreq_register, nr_tx_rings, 24, 2);
	FIELD(nmreq_register, nr_rx_rings, 26, 2);
	FIELD(nmreq_register, nr_host_tx_rings, 28, 2);
	FIELD(nmreq_register, nr_host_rx_rings, 30, 2);
	FIELD(nmreq_register, nr_mem_id, 32, 2);
	FIELD(nmreq_register, nr_ringid, 34, 2);
	FIELD(nmreq_register, nr_mode, 36, 4);
	FIELD(nmreq_register, nr_extra_bufs, 40, 4);
	FIELD(nmreq_register, nr_flags, 48, 8);

	ABI(NR_REG_DEFAULT, 0);
	ABI(NR_REG_ALL_NIC, 1);
	ABI(NR_REG_SW, 2);
	ABI(NR_REG_NIC_SW, 3);
	ABI(NR_REG_ONE_NIC, 4);
	ABI(NR_REG_PIPE_MASTER, 5);
	ABI(NR_REG_PIPE_SLAVE, 6);
	ABI(NR_REG_NULL, 7);
	ABI(NR_REG_ONE_SW, 8);

	ABI(NR_MONITOR_TX, 0x100);
	ABI(NR_MONITOR_RX, 0x200);
	ABI(NR_ZCOPY_MON, 0x400);
	ABI(NR_EXCLUSIVE, 0x800);
	ABI(NR_RX_RINGS_ONLY, 0x2000);
	ABI(NR_TX_RINGS_ONLY, 0x4000);
	ABI(NR_ACCEPT_VNET_HDR, 0x8000);
	ABI(NR_DO_RX_POLL, 0x10000);
	ABI(NR_NO_TX_POLL, 0x20000);

	STRUCT(nmreq_port_info_get, 32, 8);
	FIELD(nmreq_port_info_get, nr_memsize, 0, 8);
	FIELD(nmreq_port_info_get, nr_tx_slots, 8, 4);
	FIELD(nmreq_port_info_get, nr_rx_slots, 12, 4);
	FIELD(nmreq_port_info_get, nr_tx_rings, 16, 2);
	FIELD(nmreq_port_info_get, nr_rx_rings, 18, 2);
	FIELD(nmreq_port_info_get, nr_host_tx_rings, 20, 2);
	FIELD(nmreq_port_info_get, nr_host_rx_rings, 22, 2);
	FIELD(nmreq_port_info_get, nr_mem_id, 24, 2);
	FIELD(nmreq_port_info_get, pad, 26, 6);

	STRUCT(nmreq_vale_attach, 64, 8);
	FIELD(nmreq_vale_attach, reg, 0, 56);
	FIELD(nmreq_vale_attach, port_index, 56, 4);
	FIELD(nmreq_vale_attach, pad1, 60, 4);

	STRUCT(nmreq_vale_detach, 8, 4);
	FIELD(nmreq_vale_detach, port_index, 0, 4);
	FIELD(nmreq_vale_detach, pad1, 4, 4);

	STRUCT(nmreq_vale_list, 8, 4);
	FIELD(nmreq_vale_list, nr_bridge_idx, 0, 2);
	FIELD(nmreq_vale_list, pad1, 2, 2);
	FIELD(nmreq_vale_list, nr_port_idx, 4, 4);

	STRUCT(nmreq_port_hdr, 8, 4);
	FIELD(nmreq_port_hdr, nr_hdr_len, 0, 4);
	FIELD(nmreq_port_hdr, pad1, 4, 4);

	STRUCT(nmreq_vale_newif, 16, 4);
	FIELD(nmreq_vale_newif, nr_tx_slots, 0, 4);
	FIELD(nmreq_vale_newif, nr_rx_slots, 4, 4);
	FIELD(nmreq_vale_newif, nr_tx_rings, 8, 2);
	FIELD(nmreq_vale_newif, nr_rx_rings, 10, 2);
	FIELD(nmreq_vale_newif, nr_mem_id, 12, 2);
	FIELD(nmreq_vale_newif, pad1, 14, 2);

	STRUCT(nmreq_vale_polling, 16, 4);
	FIELD(nmreq_vale_polling, nr_mode, 0, 4);
	FIELD(nmreq_vale_polling, nr_first_cpu_id, 4, 4);
	FIELD(nmreq_vale_polling, nr_num_polling_cpus, 8, 4);
	FIELD(nmreq_vale_polling, pad1, 12, 4);
	ABI(NETMAP_POLLING_MODE_SINGLE_CPU, 1);
	ABI(NETMAP_POLLING_MODE_MULTI_CPU, 2);

	STRUCT(nmreq_pools_info, 64, 8);
	FIELD(nmreq_pools_info, nr_memsize, 0, 8);
	FIELD(nmreq_pools_info, nr_mem_id, 8, 2);
	FIELD(nmreq_pools_info, pad1, 10, 6);
	FIELD(nmreq_pools_info, nr_if_pool_offset, 16, 8);
	FIELD(nmreq_pools_info, nr_if_pool_objtotal, 24, 4);
	FIELD(nmreq_pools_info, nr_if_pool_objsize, 28, 4);
	FIELD(nmreq_pools_info, nr_ring_pool_offset, 32, 8);
	FIELD(nmreq_pools_info, nr_ring_pool_objtotal, 40, 4);
	FIELD(nmreq_pools_info, nr_ring_pool_objsize, 44, 4);
	FIELD(nmreq_pools_info, nr_buf_pool_offset, 48, 8);
	FIELD(nmreq_pools_info, nr_buf_pool_objtotal, 56, 4);
	FIELD(nmreq_pools_info, nr_buf_pool_objsize, 60, 4);

	STRUCT(nmreq_sync_kloop_start, 8, 4);
	FIELD(nmreq_sync_kloop_start, sleep_us, 0, 4);
	FIELD(nmreq_sync_kloop_start, pad1, 4, 4);

	STRUCT(nm_csb_atok, 64, 4);
	FIELD(nm_csb_atok, head, 0, 4);
	FIELD(nm_csb_atok, cur, 4, 4);
	FIELD(nm_csb_atok, appl_need_kick, 8, 4);
	FIELD(nm_csb_atok, sync_flags, 12, 4);
	FIELD(nm_csb_atok, pad, 16, 48);

	STRUCT(nm_csb_ktoa, 64, 4);
	FIELD(nm_csb_ktoa, hwcur, 0, 4);
	FIELD(nm_csb_ktoa, hwtail, 4, 4);
	FIELD(nm_csb_ktoa, kern_need_kick, 8, 4);
	FIELD(nm_csb_ktoa, pad, 12, 52);
}

/* 2.7 */
static void
check_options(void)
{
	STRUCT(nmreq_option, 24, 8);
	FIELD(nmreq_option, nro_next, 0, 8);
	FIELD(nmreq_option, nro_reqtype, 8, 4);
	FIELD(nmreq_option, nro_status, 12, 4);
	FIELD(nmreq_option, nro_size, 16, 8);

	ABI(NETMAP_REQ_OPT_EXTMEM, 1);
	ABI(NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS, 2);
	ABI(NETMAP_REQ_OPT_CSB, 3);
	ABI(NETMAP_REQ_OPT_SYNC_KLOOP_MODE, 4);
	ABI(NETMAP_REQ_OPT_OFFSETS, 5);
	ABI(NETMAP_REQ_OPT_MAX, 6);

	STRUCT(nmreq_opt_extmem, 96, 8);
	FIELD(nmreq_opt_extmem, nro_opt, 0, 24);
	FIELD(nmreq_opt_extmem, nro_usrptr, 24, 8);
	FIELD(nmreq_opt_extmem, nro_info, 32, 64);

	STRUCT(nmreq_opt_sync_kloop_eventfds, 24, 8);
	FIELD(nmreq_opt_sync_kloop_eventfds, nro_opt, 0, 24);
	ABI(offsetof(struct nmreq_opt_sync_kloop_eventfds, eventfds), 24);
	ABI(FSIZE(nmreq_opt_sync_kloop_eventfds, eventfds[0]), 8);
	ABI(offsetof(struct nmreq_opt_sync_kloop_eventfds,
	    eventfds[1].ioeventfd), 32);
	ABI(offsetof(struct nmreq_opt_sync_kloop_eventfds,
	    eventfds[1].irqfd), 36);
	ABI(FSIZE(nmreq_opt_sync_kloop_eventfds, eventfds[0].ioeventfd), 4);
	SIGNED(nmreq_opt_sync_kloop_eventfds, eventfds[0].irqfd, 1);

	STRUCT(nmreq_opt_csb, 40, 8);
	FIELD(nmreq_opt_csb, nro_opt, 0, 24);
	FIELD(nmreq_opt_csb, csb_atok, 24, 8);
	FIELD(nmreq_opt_csb, csb_ktoa, 32, 8);

	STRUCT(nmreq_opt_sync_kloop_mode, 32, 8);
	FIELD(nmreq_opt_sync_kloop_mode, nro_opt, 0, 24);
	FIELD(nmreq_opt_sync_kloop_mode, mode, 24, 4);
	ABI(NM_OPT_SYNC_KLOOP_DIRECT_TX, 1);
	ABI(NM_OPT_SYNC_KLOOP_DIRECT_RX, 2);

	STRUCT(nmreq_opt_offsets, 56, 8);
	FIELD(nmreq_opt_offsets, nro_opt, 0, 24);
	FIELD(nmreq_opt_offsets, nro_max_offset, 24, 8);
	FIELD(nmreq_opt_offsets, nro_initial_offset, 32, 8);
	FIELD(nmreq_opt_offsets, nro_offset_bits, 40, 4);
	FIELD(nmreq_opt_offsets, nro_tx_align, 44, 4);
	FIELD(nmreq_opt_offsets, nro_min_gap, 48, 8);

	/* The option body sizes the kernel copies (header excluded). */
	ABI(sizeof(struct nmreq_opt_extmem) - sizeof(struct nmreq_option), 72);
	ABI(sizeof(struct nmreq_opt_csb) - sizeof(struct nmreq_option), 16);
	ABI(sizeof(struct nmreq_opt_sync_kloop_mode) -
	    sizeof(struct nmreq_option), 8);
	ABI(sizeof(struct nmreq_opt_offsets) - sizeof(struct nmreq_option),
	    32);
}

/* 2.11 */
static void
check_legacy(void)
{
	STRUCT(nmreq, 60, 4);
	FIELD(nmreq, nr_name, 0, 16);
	FIELD(nmreq, nr_version, 16, 4);
	FIELD(nmreq, nr_offset, 20, 4);
	FIELD(nmreq, nr_memsize, 24, 4);
	FIELD(nmreq, nr_tx_slots, 28, 4);
	FIELD(nmreq, nr_rx_slots, 32, 4);
	FIELD(nmreq, nr_tx_rings, 36, 2);
	FIELD(nmreq, nr_rx_rings, 38, 2);
	FIELD(nmreq, nr_ringid, 40, 2);
	FIELD(nmreq, nr_cmd, 42, 2);
	FIELD(nmreq, nr_arg1, 44, 2);
	FIELD(nmreq, nr_arg2, 46, 2);
	FIELD(nmreq, nr_arg3, 48, 4);
	FIELD(nmreq, nr_flags, 52, 4);
	FIELD(nmreq, spare2, 56, 4);

	ABI(NETMAP_RING_MASK, 0x0fff);
	ABI(NETMAP_NO_TX_POLL, 0x1000);
	ABI(NETMAP_SW_RING, 0x2000);
	ABI(NETMAP_HW_RING, 0x4000);
	ABI(NETMAP_DO_RX_POLL, 0x8000);
	ABI(NR_REG_MASK, 0xf);

	ABI(NETMAP_BDG_ATTACH, 1);
	ABI(NETMAP_BDG_DETACH, 2);
	ABI(NETMAP_BDG_REGOPS, 3);
	ABI(NETMAP_BDG_LIST, 4);
	ABI(NETMAP_BDG_VNET_HDR, 5);
	ABI(NETMAP_BDG_NEWIF, 6);
	ABI(NETMAP_BDG_DELIF, 7);
	ABI(NETMAP_PT_HOST_CREATE, 8);
	ABI(NETMAP_PT_HOST_DELETE, 9);
	ABI(NETMAP_BDG_POLLING_ON, 10);
	ABI(NETMAP_BDG_POLLING_OFF, 11);
	ABI(NETMAP_VNET_HDR_GET, 12);
	ABI(NETMAP_BDG_HOST, 1);

	STRUCT(nm_ifreq, 272, 1);
	FIELD(nm_ifreq, nifr_name, 0, 16);
	FIELD(nm_ifreq, data, 16, 256);
	ABI(NM_IFRDATA_LEN, 256);
}

/* 2.12 (the part that lives in these headers) */
static void
check_constants(void)
{
	ABI(NS_BUF_CHANGED, 0x1);
	ABI(NS_REPORT, 0x2);
	ABI(NS_FORWARD, 0x4);
	ABI(NS_NO_LEARN, 0x8);
	ABI(NS_INDIRECT, 0x10);
	ABI(NS_MOREFRAG, 0x20);
	ABI(NS_TXMON, 0x40);
	ABI(NS_PORT_SHIFT, 8);
	ABI(NS_PORT_MASK, 0xff00);
	ABI(NETMAP_MAX_FRAGS, 64);
	ABI(NR_TIMESTAMP, 0x2);
	ABI(NR_FORWARD, 0x4);
	ABI(NI_PRIV_MEM, 0x1);
	ABI(sizeof(NM_BDG_NAME), 5);
	ABI(NM_MAXPIPES, 64);
	CHECK(strcmp(NM_BDG_NAME, "vale") == 0);
	CHECK(strcmp(NETMAP_DEVICE_NAME, "/dev/netmap") == 0);
}

/*
 * --- Run-time half ------------------------------------------------------
 * A fake region laid out like the real allocator's: the netmap_if at
 * IF_OFS, nine rings in the ring pool, BUFS buffers in the buffer pool.
 * The port has 2 NIC TX rings, 2 host TX rings, 3 NIC RX rings and 2 host
 * RX rings; the last host RX ring is left unbound (ring_ofs 0).
 */
#define IF_OFS		512
#define RING_POOL	1024
#define RING_STRIDE	512		/* 256 header + 8 slots, 128-aligned */
#define BUF_POOL	8192
#define BUF_SIZE	2048
#define BUFS		16
#define SLOTS		8
#define REGION_SIZE	(BUF_POOL + BUFS * BUF_SIZE)
#define NTX		2
#define NHTX		2
#define NRX		3
#define NHRX		2
#define NRINGS		(NTX + NHTX + NRX + NHRX)

/* Write a field the ABI marks const (the kernel's job, here ours). */
#define KSET(obj, field, val)						\
	do {								\
		__typeof__((obj)->field) _kset_v = (val);		\
		memcpy((void *)&(obj)->field, &_kset_v, sizeof(_kset_v)); \
	} while (0)

static char *
make_region(void)
{
	char *base;
	struct netmap_if *nifp;
	int k;

	base = aligned_alloc(4096, REGION_SIZE);
	if (base == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(base, 0, REGION_SIZE);

	nifp = (struct netmap_if *)(void *)(base + IF_OFS);
	strcpy(nifp->ni_name, "fake0");
	KSET(nifp, ni_tx_rings, NTX);
	KSET(nifp, ni_rx_rings, NRX);
	KSET(nifp, ni_host_tx_rings, NHTX);
	KSET(nifp, ni_host_rx_rings, NHRX);

	for (k = 0; k < NRINGS; k++) {
		size_t ofs = RING_POOL + (size_t)k * RING_STRIDE;
		struct netmap_ring *r = (struct netmap_ring *)(void *)
		    (base + ofs);
		int is_rx = k >= NTX + NHTX;
		uint32_t s;

		if (k == NRINGS - 1)
			KSET(nifp, ring_ofs[k], 0);	/* not bound */
		else
			KSET(nifp, ring_ofs[k], (ssize_t)ofs - IF_OFS);
		KSET(r, buf_ofs, (int64_t)BUF_POOL - (int64_t)ofs);
		KSET(r, num_slots, SLOTS);
		KSET(r, nr_buf_size, BUF_SIZE);
		KSET(r, ringid, (uint16_t)(is_rx ? k - NTX - NHTX : k));
		KSET(r, dir, (uint16_t)is_rx);
		for (s = 0; s < SLOTS; s++) {
			r->slot[s].buf_idx = 2 + s;
			r->slot[s].len = BUF_SIZE;
		}
	}
	return (base);
}

static struct netmap_ring *
ring_at(char *base, int k)
{
	return ((struct netmap_ring *)(void *)
	    (base + RING_POOL + (size_t)k * RING_STRIDE));
}

static void
check_addressing(char *base)
{
	struct netmap_if *nifp = NETMAP_IF(base, IF_OFS);
	int i, k;

	CHECK_EQ((char *)nifp - base, IF_OFS);
	CHECK(strcmp(nifp->ni_name, "fake0") == 0);

	/* TX index i is ring_ofs[i], host rings after the NIC ones. */
	for (i = 0; i < NTX + NHTX; i++)
		CHECK(NETMAP_TXRING(nifp, i) == ring_at(base, i));
	/* RX index i skips all TX entries. */
	for (i = 0; i < NRX + NHRX - 1; i++)
		CHECK(NETMAP_RXRING(nifp, i) == ring_at(base, NTX + NHTX + i));
	/* An unbound ring reads as offset 0, i.e. nifp itself. */
	CHECK((void *)NETMAP_RXRING(nifp, NRX + NHRX - 1) == (void *)nifp);
	CHECK_EQ(NETMAP_TXRING(nifp, 1)->ringid, 1);
	CHECK_EQ(NETMAP_RXRING(nifp, 2)->ringid, 2);
	CHECK_EQ(NETMAP_RXRING(nifp, 0)->dir, 1);

	/*
	 * Buffer indices are global: every ring turns an index into the
	 * same address, and back.
	 */
	for (k = 0; k < NRINGS - 1; k++) {
		struct netmap_ring *r = ring_at(base, k);
		uint32_t idx;

		for (idx = 0; idx < BUFS; idx += 5) {
			char *b = NETMAP_BUF(r, idx);

			CHECK_EQ(b - base, BUF_POOL + idx * BUF_SIZE);
			CHECK_EQ(NETMAP_BUF_IDX(r, b), idx);
			CHECK_EQ(NETMAP_BUF_IDX(r, b + BUF_SIZE - 1), idx);
		}
	}

	/* A byte written through one ring is read through another. */
	{
		struct netmap_ring *tx = NETMAP_TXRING(nifp, 0);
		struct netmap_ring *rx = NETMAP_RXRING(nifp, 2);

		NETMAP_BUF(tx, tx->slot[3].buf_idx)[7] = 0x5a;
		CHECK_EQ((unsigned char)NETMAP_BUF(rx, 5)[7], 0x5a);
	}
}

static void
check_offsets(char *base)
{
	struct netmap_ring *r = ring_at(base, 0);
	struct netmap_ring *plain = ring_at(base, 1);
	struct netmap_slot *slot = &r->slot[1];

	KSET(r, offset_mask, 0xfff);
	slot->buf_idx = 3;
	slot->ptr = 0xdead0000ULL | 0x123;
	CHECK_EQ(NETMAP_ROFFSET(r, slot), 0x123);

	/* usable as an expression, yielding the new ptr */
	CHECK_EQ(NETMAP_WOFFSET(r, slot, 0x40), 0xdead0040ULL);
	CHECK_EQ(slot->ptr, 0xdead0040ULL);
	CHECK_EQ(NETMAP_ROFFSET(r, slot), 0x40);

	/* Bits outside the mask are neither written nor lost. */
	NETMAP_WOFFSET(r, slot, 0x12345);
	CHECK_EQ(slot->ptr, 0xdead0345ULL);
	CHECK_EQ(NETMAP_BUF_OFFSET(r, slot) - base,
	    BUF_POOL + 3 * BUF_SIZE + 0x345);

	/* Without the option the mask is 0: offsets read 0, writes vanish. */
	plain->slot[0].ptr = 0xabcd;
	CHECK_EQ(NETMAP_ROFFSET(plain, &plain->slot[0]), 0);
	NETMAP_WOFFSET(plain, &plain->slot[0], 0x77);
	CHECK_EQ(plain->slot[0].ptr, 0xabcd);
	CHECK(NETMAP_BUF_OFFSET(plain, &plain->slot[0]) ==
	    NETMAP_BUF(plain, plain->slot[0].buf_idx));
}

static void
set_ring(struct netmap_ring *r, uint32_t head, uint32_t tail)
{
	r->head = r->cur = head;
	r->tail = tail;
}

static void
check_ring_walk(char *base)
{
	struct netmap_ring *r = ring_at(base, 0);
	struct netmap_slot s;

	CHECK_EQ(nm_ring_next(r, 0), 1);
	CHECK_EQ(nm_ring_next(r, SLOTS - 2), SLOTS - 1);
	CHECK_EQ(nm_ring_next(r, SLOTS - 1), 0);

	set_ring(r, 2, 6);
	CHECK_EQ(nm_ring_space(r), 4);
	CHECK(!nm_ring_empty(r));
	set_ring(r, 6, 2);			/* wrapped */
	CHECK_EQ(nm_ring_space(r), 4);
	set_ring(r, 5, 5);
	CHECK_EQ(nm_ring_space(r), 0);
	CHECK(nm_ring_empty(r));
	set_ring(r, 0, SLOTS - 1);		/* fresh TX ring */
	CHECK_EQ(nm_ring_space(r), SLOTS - 1);
	/* space counts from head, not from an advanced cur */
	r->cur = 4;
	CHECK_EQ(nm_ring_space(r), SLOTS - 1);

	/* TX is complete when tail is right behind head. */
	set_ring(r, 3, 2);
	CHECK_EQ(nm_tx_pending(r), 0);
	set_ring(r, 0, SLOTS - 1);
	CHECK_EQ(nm_tx_pending(r), 0);
	set_ring(r, 3, 0);
	CHECK_EQ(nm_tx_pending(r), 1);

	s.flags = (3 << 8) | NS_MOREFRAG;
	CHECK_EQ(NS_RFRAGS(&s), 3);
	s.flags = NS_PORT_MASK;
	CHECK_EQ(NS_RFRAGS(&s), 255);
	s.flags = NS_MOREFRAG | NS_BUF_CHANGED;
	CHECK_EQ(NS_RFRAGS(&s), 0);
}

static void
check_pkt_copy(char *base)
{
	static const int sizes[] = { 1, 60, 64, 128, 960, 1000, 1024, 1514,
	    BUF_SIZE - 1 };
	char *src = base + BUF_POOL;		/* buffer 0 */
	char *dst = base + BUF_POOL + BUF_SIZE;	/* buffer 1 */
	size_t i;
	int j;

	for (j = 0; j < BUF_SIZE; j++)
		src[j] = (char)(j * 7 + 1);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int l = sizes[i];

		memset(dst, 0, BUF_SIZE);
		nm_pkt_copy(src, dst, l);
		CHECK(memcmp(src, dst, (size_t)l) == 0);
		CHECK_EQ(dst[l], 0);		/* nothing past l */
	}
}

static void
check_csb(void)
{
	struct nm_csb_atok atok;
	struct nm_csb_ktoa ktoa;
	uint32_t hwtail = 0, hwcur = 0;

	memset(&atok, 0, sizeof(atok));
	nm_sync_kloop_appl_write(&atok, 7, 5);
	CHECK_EQ(atok.cur, 7);
	CHECK_EQ(atok.head, 5);

	memset(&ktoa, 0, sizeof(ktoa));
	ktoa.hwcur = 11;
	ktoa.hwtail = 42;
	nm_sync_kloop_appl_read(&ktoa, &hwtail, &hwcur);
	CHECK_EQ(hwtail, 42);
	CHECK_EQ(hwcur, 11);

	nm_stst_barrier();
	nm_ldld_barrier();
	nm_stld_barrier();
}

int
main(void)
{
	char *base;

	check_versions();
	check_ioctls();
	check_shared_memory();
	check_requests();
	check_options();
	check_legacy();
	check_constants();

	base = make_region();
	check_addressing(base);
	check_offsets(base);
	check_ring_walk(base);
	check_pkt_copy(base);
	free(base);
	check_csb();

	failures += (unsigned int)abi_libs_run(&checks);

	if (failures != 0) {
		printf("abi: %u of %u checks FAILED\n", failures, checks);
		return (1);
	}
	printf("abi: %u checks passed\n", checks);
	return (0);
}
