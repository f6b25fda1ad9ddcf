// SPDX-License-Identifier: BSD-2-Clause
/*
 * The operating-system interface behind a pkt-gen port, when there is
 * one: netmap:IFNAME with any ring suffix or option (a NIC, a veth, a
 * persistent VALE port), never a VALE port, a pipe or null.  pkt-gen
 * asks it for the MAC address that -S defaults to and for the MTU that
 * -l is checked against.
 *
 * Each function returns 0 (or the MTU) on success, -1 with errno set:
 * EINVAL the port names no interface, ENODEV there is no such
 * interface, EAFNOSUPPORT its address is not an Ethernet one.
 */
#ifndef PKTGEN_NIC_H
#define PKTGEN_NIC_H

#include <stddef.h>
#include <stdint.h>

int	pg_nic_name(const char *port, char *name, size_t size);
int	pg_nic_hwaddr(const char *port, uint8_t mac[6]);
int	pg_nic_mtu(const char *port);

#endif /* PKTGEN_NIC_H */
