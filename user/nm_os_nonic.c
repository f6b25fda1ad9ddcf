// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_os_nonic.c: nm_os.h's network interfaces for the userspace hosts that
 * have none (the unit-test host, the fuzzers): no interface is found, so
 * the core never holds one and the other calls are never made. netmapd
 * has its own (nm_nic_user.c, with AF_XDP and AF_PACKET).
 */
#include <errno.h>
#include <sys/time.h>

#include "nm_os.h"

int
nm_os_nic_open(const char *name, struct nm_os_nic **nicp,
    struct nm_os_nic_info *info)
{
	return ENXIO;
}

void
nm_os_nic_close(struct nm_os_nic *nic)
{
}

bool
nm_os_nic_same(const struct nm_os_nic *a, const struct nm_os_nic *b)
{
	return false;
}

bool
nm_os_nic_gone(const struct nm_os_nic *nic)
{
	return true;
}

int
nm_os_nic_attach(struct nm_os_nic *nic, struct nm_adapter *na)
{
	return ENXIO;
}

void
nm_os_nic_detach(struct nm_os_nic *nic)
{
}

void
nm_os_nic_say(const struct nm_os_nic *nic)
{
}

int
nm_os_nic_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **frame, void **data)
{
	return ENXIO;
}

int
nm_os_nic_tx(struct nm_os_nic *nic, void *frame, uint32_t q, void *done,
    bool report)
{
	return ENXIO;
}

int
nm_os_nic_stack_rx(struct nm_os_nic *nic, void *frame, uint32_t q,
    void *done, bool report)
{
	return ENXIO;
}

void
nm_os_frame_copy(void *frame, uint32_t off, void *dst, uint32_t len)
{
}

void
nm_os_nic_rx_notify(struct nm_os_nic *nic, uint32_t r)
{
}

void
nm_os_nic_rx_defer(struct nm_os_nic *nic, uint32_t r)
{
}

/* No zero copy here: nm_nic_zerocopy() is never called. */
int
nm_os_nic_tx_bufs(struct nm_os_nic *nic, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n, void *done, bool report)
{
	return EOPNOTSUPP;
}

void
nm_os_nic_rx_refill(struct nm_os_nic *nic, uint32_t r, const uint32_t *idx,
    uint32_t n)
{
}

/*
 * Nor an interface for persistent ports (netmapd's is a tap,
 * nm_tap_user.c): here they are netmap's only.
 */
int
nm_os_vp_ifnet_create(struct nm_adapter *na, void **ifp)
{
	*ifp = NULL;
	return 0;
}

void
nm_os_vp_ifnet_rx(void *ifp, const void *const *data, const uint32_t *len,
    int nfrags)
{
}

void
nm_os_vp_ifnet_destroy(void *ifp)
{
}
