// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_linux_vp.c: the network interface of a persistent VALE port.
 *
 * VALE_NEWIF NAME makes, as upstream does, a net_device NAME in the
 * caller's network namespace: it shows in `ip link`, its name is taken
 * (a NEWIF of an existing interface's name is EEXIST), and it goes with
 * VALE_DELIF or with the port's namespace. What the stack sends on it is
 * dropped and counted (tx_dropped), as upstream's device does: it has no
 * path to the port's rings yet (see README.md, status).
 *
 * It has no rtnl_link_ops, so `ip link del` cannot take it from under
 * the port, and it is not NETNS_LOCAL: when its namespace goes, the
 * kernel moves it to init_net before nm_core_netns_exit() unregisters
 * it with its port (the core's pernet exit runs after the devices').
 * Created and destroyed under nm_core.lock, which so nests rtnl_lock
 * (core/nm_core.h); its callbacks never enter the core.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>

#include "nm_linux.h"

static netdev_tx_t
nm_vp_dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops nm_vp_dev_ops = {
	.ndo_start_xmit		= nm_vp_dev_xmit,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static void
nm_vp_dev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &nm_vp_dev_ops;
	dev->needs_free_netdev = true;
	eth_hw_addr_random(dev);
}

int
nm_os_vp_ifnet_create(const char *name, void **ifp)
{
	struct nsproxy *ns = current->nsproxy;
	struct net_device *dev;
	int error;

	dev = alloc_netdev(0, name, NET_NAME_USER, nm_vp_dev_setup);
	if (dev == NULL)
		return ENOMEM;
	dev_net_set(dev, ns != NULL ? ns->net_ns : &init_net);
	error = register_netdev(dev);
	if (error) {
		free_netdev(dev);
		return -error;
	}
	*ifp = dev;
	return 0;
}

void
nm_os_vp_ifnet_destroy(void *ifp)
{
	unregister_netdev(ifp);
}

bool
nm_os_ifnet_exists(const char *name)
{
	struct nsproxy *ns = current->nsproxy;
	struct net_device *dev;

	dev = dev_get_by_name(ns != NULL ? ns->net_ns : &init_net, name);
	if (dev == NULL)
		return false;
	dev_put(dev);
	return true;
}
