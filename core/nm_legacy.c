// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_legacy.c: the pre-NIOCCTRL requests, NIOCREGIF and NIOCGINFO on a
 * 60-byte struct nmreq (spec 2.11), still used by the NETMAP_WITH_LIBS
 * helpers (nm_open) and older programs (an older vale-ctl: nr_cmd). Each
 * is rewritten into the equivalent NIOCCTRL request and run through the
 * same code; legacy requests carry no options.
 */
#include "nm_core.h"

static void
nm_legacy_name(struct nmreq_header *hdr, const struct nmreq *nmr)
{
	int i;

	for (i = 0; i < IFNAMSIZ && nmr->nr_name[i] != '\0'; i++)
		hdr->nr_name[i] = nmr->nr_name[i];
	hdr->nr_name[i] = '\0';
}

/* Mode and flags as NIOCREGIF encoded them; pipe modes become a suffix. */
static int
nm_legacy_regif(struct nm_priv *priv, struct nmreq *nmr,
    struct nmreq_header *hdr)
{
	struct nmreq_register reg;
	struct nm_req req = { .hdr = hdr, .body = &reg };
	uint32_t mode = nmr->nr_flags & NR_REG_MASK;
	uint16_t ringid = nmr->nr_ringid & NETMAP_RING_MASK;
	int error;

	nm_memset(&reg, 0, sizeof(reg));
	if (mode == NR_REG_DEFAULT) {
		if (nmr->nr_ringid & NETMAP_SW_RING)
			mode = NR_REG_SW;
		else if (nmr->nr_ringid & NETMAP_HW_RING)
			mode = NR_REG_ONE_NIC;
		else
			mode = NR_REG_ALL_NIC;
	} else if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE) {
		size_t len = __builtin_strlen(hdr->nr_name);
		char num[8];
		int n = 0, i;

		do {
			num[n++] = (char)('0' + ringid % 10);
			ringid /= 10;
		} while (ringid != 0);
		if (len + 1 + n >= sizeof(hdr->nr_name))
			return EINVAL;
		hdr->nr_name[len++] = mode == NR_REG_PIPE_MASTER ? '{' : '}';
		for (i = n - 1; i >= 0; i--)
			hdr->nr_name[len++] = num[i];
		hdr->nr_name[len] = '\0';
		mode = NR_REG_ALL_NIC;
		ringid = 0;
	}
	reg.nr_mode = mode;
	reg.nr_ringid = ringid;
	reg.nr_flags = nmr->nr_flags & ~(uint32_t)NR_REG_MASK;
	if (nmr->nr_ringid & NETMAP_NO_TX_POLL)
		reg.nr_flags |= NR_NO_TX_POLL;
	if (nmr->nr_ringid & NETMAP_DO_RX_POLL)
		reg.nr_flags |= NR_DO_RX_POLL;
	reg.nr_tx_slots = nmr->nr_tx_slots;
	reg.nr_rx_slots = nmr->nr_rx_slots;
	reg.nr_tx_rings = nmr->nr_tx_rings;
	reg.nr_rx_rings = nmr->nr_rx_rings;
	reg.nr_mem_id = nmr->nr_arg2;
	reg.nr_extra_bufs = nmr->nr_arg3;
	error = nm_register_req(priv, &req);
	if (error)
		return error;
	nmr->nr_offset = (uint32_t)reg.nr_offset;
	nmr->nr_memsize = (uint32_t)reg.nr_memsize;
	nmr->nr_tx_slots = reg.nr_tx_slots;
	nmr->nr_rx_slots = reg.nr_rx_slots;
	nmr->nr_tx_rings = reg.nr_tx_rings;
	nmr->nr_rx_rings = reg.nr_rx_rings;
	nmr->nr_arg2 = reg.nr_mem_id;
	nmr->nr_arg3 = reg.nr_extra_bufs;
	return 0;
}

static int
nm_legacy_info(struct nmreq *nmr, struct nmreq_header *hdr)
{
	struct nmreq_port_info_get pi;
	struct nm_req req = { .hdr = hdr, .body = &pi };
	int error;

	nm_memset(&pi, 0, sizeof(pi));
	pi.nr_mem_id = nmr->nr_arg2;
	nm_os_mutex_lock(nm_core.lock);
	error = nm_port_info_get(&req);
	nm_os_mutex_unlock(nm_core.lock);
	if (error)
		return error;
	nmr->nr_offset = 0;
	nmr->nr_memsize = (uint32_t)pi.nr_memsize;
	nmr->nr_tx_slots = pi.nr_tx_slots;
	nmr->nr_rx_slots = pi.nr_rx_slots;
	nmr->nr_tx_rings = pi.nr_tx_rings;
	nmr->nr_rx_rings = pi.nr_rx_rings;
	nmr->nr_arg2 = pi.nr_mem_id;
	return 0;
}

static int
nm_legacy_list(struct nmreq *nmr, struct nmreq_header *hdr)
{
	struct nmreq_vale_list l = {
		.nr_bridge_idx = nmr->nr_arg1,
		.nr_port_idx = nmr->nr_arg2,
	};
	struct nm_req req = { .hdr = hdr, .body = &l };
	int error, i;

	error = nm_vale_list(&req);
	if (error)
		return error;
	nmr->nr_arg1 = l.nr_bridge_idx;
	nmr->nr_arg2 = (uint16_t)l.nr_port_idx;
	for (i = 0; i < IFNAMSIZ - 1 && hdr->nr_name[i] != '\0'; i++)
		nmr->nr_name[i] = hdr->nr_name[i];
	nmr->nr_name[i] = '\0';
	return 0;
}

static int
nm_legacy_hdr(struct nmreq *nmr, struct nmreq_header *hdr, bool set)
{
	struct nmreq_port_hdr h = { .nr_hdr_len = nmr->nr_arg1 };
	struct nm_req req = { .hdr = hdr, .body = &h };
	int error;

	nm_os_mutex_lock(nm_core.lock);
	error = nm_port_hdr(&req, set);
	nm_os_mutex_unlock(nm_core.lock);
	if (error == 0)
		nmr->nr_arg1 = (uint16_t)h.nr_hdr_len;
	return error;
}

/*
 * Switch administration (vale-ctl's old requests): ATTACH (nr_arg1
 * NETMAP_BDG_HOST for the host stack too), DETACH, NEWIF (the geometry
 * and nr_arg2, the region, written back), DELIF and polling (ONE_NIC in
 * nr_flags for multi CPU mode, the first CPU in nr_ringid, the count in
 * nr_arg1), run as their NIOCCTRL requests.
 */
static int
nm_legacy_vale(struct nmreq *nmr, struct nmreq_header *hdr)
{
	union {
		struct nmreq_vale_attach a;
		struct nmreq_vale_newif n;
		struct nmreq_vale_detach d;
		struct nmreq_vale_polling p;
	} b;
	struct nm_req req = { .hdr = hdr, .body = &b };
	uint16_t cmd = nmr->nr_cmd;
	int error;

	nm_memset(&b, 0, sizeof(b));
	if (cmd == NETMAP_BDG_ATTACH) {
		hdr->nr_reqtype = NETMAP_REQ_VALE_ATTACH;
		b.a.reg.nr_mode = nmr->nr_arg1 & NETMAP_BDG_HOST ?
		    NR_REG_NIC_SW : NR_REG_ALL_NIC;
		b.a.reg.nr_mem_id = nmr->nr_arg2;
		return nm_vale_attach(&req);
	}
	if (cmd == NETMAP_BDG_NEWIF) {
		b.n.nr_tx_slots = nmr->nr_tx_slots;
		b.n.nr_rx_slots = nmr->nr_rx_slots;
		b.n.nr_tx_rings = nmr->nr_tx_rings;
		b.n.nr_rx_rings = nmr->nr_rx_rings;
		b.n.nr_mem_id = nmr->nr_arg2;
	} else if (cmd == NETMAP_BDG_POLLING_ON) {
		b.p.nr_mode = (nmr->nr_flags & NR_REG_MASK) == NR_REG_ONE_NIC ?
		    NETMAP_POLLING_MODE_MULTI_CPU :
		    NETMAP_POLLING_MODE_SINGLE_CPU;
		b.p.nr_first_cpu_id = nmr->nr_ringid & NETMAP_RING_MASK;
		b.p.nr_num_polling_cpus = nmr->nr_arg1;
	}
	nm_os_mutex_lock(nm_core.lock);
	switch (cmd) {
	case NETMAP_BDG_NEWIF:
		error = nm_vale_newif(&req);
		break;
	case NETMAP_BDG_DELIF:
		error = nm_vale_delif(&req);
		break;
	case NETMAP_BDG_DETACH:
		error = nm_vale_detach(&req);
		break;
	default:
		error = nm_vale_polling(&req, cmd == NETMAP_BDG_POLLING_ON);
		break;
	}
	nm_os_mutex_unlock(nm_core.lock);
	if (error == 0 && cmd == NETMAP_BDG_NEWIF) {
		nmr->nr_tx_slots = b.n.nr_tx_slots;
		nmr->nr_rx_slots = b.n.nr_rx_slots;
		nmr->nr_tx_rings = b.n.nr_tx_rings;
		nmr->nr_rx_rings = b.n.nr_rx_rings;
		nmr->nr_arg2 = b.n.nr_mem_id;
	}
	return error;
}

int
nm_legacy_ioctl(struct nm_priv *priv, unsigned long cmd, void *arg)
{
	struct nmreq *nmr = arg;
	struct nmreq_header hdr;

	if (nmr->nr_version < NETMAP_API)
		return EINVAL;
	nm_memset(&hdr, 0, sizeof(hdr));
	hdr.nr_version = NETMAP_API;
	nm_legacy_name(&hdr, nmr);
	switch (nmr->nr_cmd) {
	case 0:
		return cmd == NIOCREGIF ? nm_legacy_regif(priv, nmr, &hdr) :
		    nm_legacy_info(nmr, &hdr);
	case NETMAP_BDG_LIST:
		return cmd == NIOCGINFO ? nm_legacy_list(nmr, &hdr) : EINVAL;
	case NETMAP_BDG_VNET_HDR:
		return nm_legacy_hdr(nmr, &hdr, true);
	case NETMAP_VNET_HDR_GET:
		return nm_legacy_hdr(nmr, &hdr, false);
	case NETMAP_BDG_ATTACH:
	case NETMAP_BDG_DETACH:
	case NETMAP_BDG_NEWIF:
	case NETMAP_BDG_DELIF:
	case NETMAP_BDG_POLLING_ON:
	case NETMAP_BDG_POLLING_OFF:
		return cmd == NIOCREGIF ? nm_legacy_vale(nmr, &hdr) : EINVAL;
	default:
		/* REGOPS is kernel modules' business; no PT_HOST */
		return EOPNOTSUPP;
	}
}
