// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_null.c: null ports (NR_REG_NULL).
 *
 * A null port puts rings of the requested geometry into an existing
 * region (nr_mem_id) and does nothing on sync: it lets a program lay out
 * rings in shared memory that something else will drive. Every REGISTER
 * makes a new, unnamed port that dies with its descriptor.
 */
#include "nm_core.h"

static int
nm_null_sync(struct nm_kring *k)
{
	(void)k;
	return 0;
}

static int
nm_null_activate(struct nm_adapter *na)
{
	return nm_rings_create(na, true);
}

static void
nm_null_deactivate(struct nm_adapter *na)
{
	nm_rings_delete(na, true);
}

static void
nm_null_dtor(struct nm_adapter *na)
{
	nm_mem_put(na->mem);
	nm_adapter_free(na);
}

static const struct nm_adapter_ops nm_null_ops = {
	.txsync = nm_null_sync,
	.rxsync = nm_null_sync,
	.activate = nm_null_activate,
	.deactivate = nm_null_deactivate,
	.dtor = nm_null_dtor,
};

static bool
nm_null_claim(const char *name, const struct nmreq_register *reg)
{
	return reg != NULL && reg->nr_mode == NR_REG_NULL;
}

static int
nm_null_get(const char *name, const struct nmreq_register *reg, bool create,
    struct nm_adapter **out)
{
	struct nm_adapter *na;
	struct nm_mem *m;
	int error;

	if (reg->nr_mem_id == 0)
		return EINVAL;
	m = nm_mem_find(reg->nr_mem_id);
	if (m == NULL)
		return EINVAL;
	na = nm_adapter_new(name, NM_AD_NULL, &nm_null_ops, &error);
	if (na == NULL)
		return error;
	na->num_rings[NM_TX] = nm_clamp_req(reg->nr_tx_rings, 1,
	    NM_PIPE_MAX_RINGS);
	na->num_rings[NM_RX] = nm_clamp_req(reg->nr_rx_rings, 1,
	    NM_PIPE_MAX_RINGS);
	na->num_slots[NM_TX] = nm_clamp_req(reg->nr_tx_slots,
	    NM_VALE_DEF_SLOTS, NM_MAX_SLOTS);
	na->num_slots[NM_RX] = nm_clamp_req(reg->nr_rx_slots,
	    NM_VALE_DEF_SLOTS, NM_MAX_SLOTS);
	nm_mem_get(m);
	na->mem = m;
	*out = na;
	return 0;
}

/* First: NR_REG_NULL makes a null port whatever the name. */
NM_PORT_KIND(10, nm_null_kind) = {
	.name = "null",
	.claim = nm_null_claim,
	.get = nm_null_get,
};
