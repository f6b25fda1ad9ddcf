// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_linux_vp.c: the network interface of a persistent VALE port.
 *
 * VALE_NEWIF NAME makes, as upstream does, a net_device NAME in the
 * caller's network namespace: it shows in `ip link`, its name is taken,
 * and it goes with VALE_DELIF or with the port's namespace.
 *
 * Down, it is upstream's device: nothing goes through it. Up, and while
 * no descriptor has the port bound, it is a host interface on the switch
 * the port is attached to (beyond upstream, whose device drops all):
 *   - what the stack sends on it is queued (ndo_start_xmit runs in atomic
 *     context, a sync takes mutexes) and a work item hands each frame to
 *     nm_vp_host_tx(), which sends it on the port's TX ring 0 as a client
 *     would; frames the port cannot take now are dropped and counted;
 *   - what the switch sends to the port comes to nm_os_vp_ifnet_rx(), in
 *     the sender's sync, and goes up the stack with netif_rx().
 *
 * It has no rtnl_link_ops, so `ip link del` cannot take it from under
 * the port, and it is not NETNS_LOCAL: when its namespace goes, the
 * kernel moves it to init_net before nm_core_netns_exit() unregisters
 * it with its port (the core's pernet exit runs after the devices').
 * Created and destroyed under nm_core.lock, which so nests rtnl_lock
 * (core/nm_core.h); its callbacks never take the core lock, so the
 * destroy may wait for the work item.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "nm_linux.h"

#define NM_VP_TXQ_MAX	256	/* frames waiting for the work item */

struct nm_vp_dev {
	struct nm_adapter *na;
	struct sk_buff_head txq;
	struct work_struct tx_work;
	atomic_long_t tx_packets, tx_bytes, tx_dropped;
	atomic_long_t rx_packets, rx_bytes, rx_dropped;
};

static void
nm_vp_dev_tx_work(struct work_struct *w)
{
	struct nm_vp_dev *p = container_of(w, struct nm_vp_dev, tx_work);
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&p->txq)) != NULL) {
		if (skb_linearize(skb) == 0 &&
		    nm_vp_host_tx(p->na, skb->data, skb->len) == 0) {
			atomic_long_inc(&p->tx_packets);
			atomic_long_add(skb->len, &p->tx_bytes);
		} else {
			atomic_long_inc(&p->tx_dropped);
		}
		kfree_skb(skb);
	}
}

static netdev_tx_t
nm_vp_dev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct nm_vp_dev *p = netdev_priv(dev);

	if (skb_queue_len(&p->txq) >= NM_VP_TXQ_MAX) {
		atomic_long_inc(&p->tx_dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	skb_queue_tail(&p->txq, skb);
	schedule_work(&p->tx_work);
	return NETDEV_TX_OK;
}

static int
nm_vp_dev_open(struct net_device *dev)
{
	struct nm_vp_dev *p = netdev_priv(dev);

	nm_vp_host_up(p->na, true);
	netif_start_queue(dev);
	return 0;
}

static int
nm_vp_dev_stop(struct net_device *dev)
{
	struct nm_vp_dev *p = netdev_priv(dev);

	netif_stop_queue(dev);
	nm_vp_host_up(p->na, false);
	return 0;
}

static void
nm_vp_dev_stats(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct nm_vp_dev *p = netdev_priv(dev);

	s->tx_packets = atomic_long_read(&p->tx_packets);
	s->tx_bytes = atomic_long_read(&p->tx_bytes);
	s->tx_dropped = atomic_long_read(&p->tx_dropped);
	s->rx_packets = atomic_long_read(&p->rx_packets);
	s->rx_bytes = atomic_long_read(&p->rx_bytes);
	s->rx_dropped = atomic_long_read(&p->rx_dropped);
}

static const struct net_device_ops nm_vp_dev_ops = {
	.ndo_open		= nm_vp_dev_open,
	.ndo_stop		= nm_vp_dev_stop,
	.ndo_start_xmit		= nm_vp_dev_xmit,
	.ndo_get_stats64	= nm_vp_dev_stats,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

static void
nm_vp_dev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &nm_vp_dev_ops;
	eth_hw_addr_random(dev);
}

int
nm_os_vp_ifnet_create(struct nm_adapter *na, void **ifp)
{
	struct nsproxy *ns = current->nsproxy;
	struct net_device *dev;
	struct nm_vp_dev *p;
	int error;

	dev = alloc_netdev(sizeof(*p), na->name, NET_NAME_USER,
	    nm_vp_dev_setup);
	if (dev == NULL)
		return ENOMEM;
	p = netdev_priv(dev);
	p->na = na;
	skb_queue_head_init(&p->txq);
	INIT_WORK(&p->tx_work, nm_vp_dev_tx_work);
	dev_net_set(dev, ns != NULL ? ns->net_ns : &init_net);
	error = register_netdev(dev);
	if (error) {
		free_netdev(dev);
		return -error;
	}
	*ifp = dev;
	return 0;
}

/* Closed and unregistered first: no more xmit, then no more work. */
void
nm_os_vp_ifnet_destroy(void *ifp)
{
	struct net_device *dev = ifp;
	struct nm_vp_dev *p = netdev_priv(dev);

	unregister_netdev(dev);
	cancel_work_sync(&p->tx_work);
	skb_queue_purge(&p->txq);
	free_netdev(dev);
}

void
nm_os_vp_ifnet_rx(void *ifp, const void *const *data, const uint32_t *len,
    int nfrags)
{
	struct net_device *dev = ifp;
	struct nm_vp_dev *p = netdev_priv(dev);
	struct sk_buff *skb;
	uint32_t total = 0;
	int i;

	for (i = 0; i < nfrags; i++)
		total += len[i];
	skb = total >= ETH_HLEN ? netdev_alloc_skb_ip_align(dev, total) :
	    NULL;
	if (skb == NULL) {
		atomic_long_inc(&p->rx_dropped);
		return;
	}
	for (i = 0; i < nfrags; i++)
		skb_put_data(skb, data[i], len[i]);
	skb->protocol = eth_type_trans(skb, dev);
	atomic_long_inc(&p->rx_packets);
	atomic_long_add(total, &p->rx_bytes);
	netif_rx(skb);
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
