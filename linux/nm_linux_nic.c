// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_linux_nic.c - network interfaces for the core's NIC ports (the
 * emulated adapter, core/nm_nic.c): nm_os.h's nm_os_nic_* on Linux.
 *
 * An nm_os_nic holds one net_device (dev_get_by_name() in the caller's
 * network namespace) for one core adapter.  While attached:
 *   - receive: an rx_handler takes every frame from the stack
 *     (RX_HANDLER_CONSUMED) and copies it into the RX ring of the queue
 *     it arrived on (nm_nic_rx(), in softirq).  The ring gets what the
 *     wire carried: a VLAN tag the driver stripped is put back, a GSO
 *     frame (a veth peer's TCP) is segmented and a frame whose checksum
 *     was left to the hardware gets it computed first.  The first
 *     frame is published (nm_nic_rx_publish(): shown to the user, its
 *     pollers woken) at once, those that follow within `generic_mit`
 *     nanoseconds together at the end of that interval (an hrtimer,
 *     nm_linux_nic_mit_end), as AF_PACKET's TPACKET_V3 hands over
 *     blocks: a receiver shown each frame as it lands polls for every
 *     one or two and never sleeps.  An adapter on a VALE switch has
 *     its frames forwarded instead, by a work item per ring
 *     (nm_os_nic_rx_defer: the switch takes mutexes), which takes what
 *     came until it runs.
 *   - the stack's own transmissions on the interface are taken by a
 *     netfilter egress hook into the host RX rings (NF_STOLEN), the same
 *     way: the interface belongs to netmap.  Kernels without netfilter
 *     egress refuse to attach (EOPNOTSUPP).
 *   - frames of the host TX rings (and forwarded ones) go up the stack
 *     with netif_rx(); their destructor (nm_linux_nic_up_done) marks
 *     them, so that our own rx_handler lets them pass.
 *   - transmit: each frame of a TX ring is copied into an skb sent with
 *     __dev_direct_xmit() on the ring's queue: straight to the driver
 *     (past the qdisc and the egress hook, as AF_PACKET's
 *     PACKET_QDISC_BYPASS), so that the queue is the ring's and a queue
 *     the driver stopped is seen (NETDEV_TX_BUSY: the skb is still ours,
 *     freed, and the ring retries).  The skb's destructor tells the core
 *     the frame has left (nm_nic_tx_done()): its argument (the skb's
 *     shinfo destructor_arg, unused without zerocopy flags) is the
 *     queue's nm_linux_nic_txq with the report bit in bit 0.
 *
 * Lifetimes: every skb in flight holds a reference on its nm_os_nic (the
 * destructor reaches it) and is counted in `inflight`; detach waits (a
 * while) for that count to drop to zero, then cuts the core's completion
 * pointers (RCU), so a late skb never reaches a freed adapter.  Module
 * exit waits until every nm_os_nic is gone.
 *
 * `ip link del` while bound: the NETDEV_UNREGISTER notifier (rtnl held)
 * unhooks the interface and drops its reference at once, so the
 * unregistration never waits for netmap; the adapter stays, its TX
 * frames dropped, until its descriptors close.  Lock order: the core
 * takes rtnl under nm_core.lock (attach, detach, close); the notifier
 * takes nothing of the core's.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/hrtimer.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "nm_linux.h"

struct nm_linux_nic_txq {
	struct nm_os_nic *nic;
	void __rcu *done;		/* the core's queue; NULL: cut */
};

/*
 * RX mitigation, upstream's tunable (nanoseconds; 0 publishes every frame
 * at once), read when a ring's interval starts.  1 ms rather than
 * upstream's 100 us: under QEMU TCG each interval costs a timer and a
 * wake-up, and 100 us measured slower than none there.  The core
 * publishes early anyway once a quarter of the ring waits.
 */
static unsigned int nm_linux_nic_mit = 1000000;
module_param_named(generic_mit, nm_linux_nic_mit, uint, 0644);
MODULE_PARM_DESC(generic_mit, "Interfaces: RX mitigation interval (ns)");

/*
 * An RX ring's mitigation: `armed` while an interval runs (its timer
 * pending or running), `held` when frames came during it; both under
 * `lock`.
 */
struct nm_linux_nic_rxq {
	struct hrtimer timer;
	struct work_struct fwd;		/* on a switch: forwarding */
	spinlock_t lock;
	bool armed, held;
	struct nm_adapter *na;
	u32 r;
};

struct nm_os_nic {
	struct list_head link;		/* nm_linux_nics, under rtnl */
	struct net_device __rcu *dev;	/* held; NULL once let go */
	struct nm_adapter *na;		/* while attached */
	bool attached;			/* under rtnl */
	struct nf_hook_ops egress;
	atomic_t inflight;		/* skbs sent, destructor not run */
	struct kref ref;		/* ours + one per skb in flight */
	/* one per TX ring of the adapter, and the last for forwarding */
	u32 ntxq;
	struct nm_linux_nic_txq *txq;
	/* one per RX ring of the adapter, host rings included */
	u32 nrxq;
	struct nm_linux_nic_rxq *rxq;
};

static LIST_HEAD(nm_linux_nics);
static atomic_t nm_linux_nic_count;	/* live nm_os_nic objects */

static void
nm_linux_nic_free(struct kref *ref)
{
	struct nm_os_nic *nic = container_of(ref, struct nm_os_nic, ref);

	kfree(nic->txq);
	kfree(nic->rxq);
	kfree(nic);
	if (atomic_dec_and_test(&nm_linux_nic_count))
		wake_up_var(&nm_linux_nic_count);
}

/* ---- frames from the stack or the wire ---- */

static void nm_linux_nic_up_done(struct sk_buff *skb);

/*
 * Injected into this interface's stack by netmap (a host TX ring, a
 * forwarded frame): for the stack.  What netmap sent on another
 * interface (a veth peer) is received like any frame.
 */
static bool
nm_linux_nic_injected(const struct nm_os_nic *nic, const struct sk_buff *skb)
{
	uintptr_t arg = (uintptr_t)skb_shinfo(skb)->destructor_arg;

	return skb->destructor == nm_linux_nic_up_done &&
	    ((struct nm_linux_nic_txq *)(arg & ~(uintptr_t)1))->nic == nic;
}

/* One frame, data at its MAC header, into a ring of the adapter. */
static void
nm_linux_nic_take_one(struct nm_os_nic *nic, struct sk_buff *skb, u32 q,
    bool host)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
		kfree_skb(skb);
		return;
	}
	if (nm_nic_rx(nic->na, q, host, skb, skb->len) == 0)
		consume_skb(skb);
	else
		kfree_skb(skb);
}

/*
 * A frame the interface received (host false) or the stack sent on it
 * (host true), data at its MAC header, taken into the adapter's rings as
 * the wire carries it: VLAN tag inline, segmented, checksums done.
 */
static void
nm_linux_nic_take(struct nm_os_nic *nic, struct sk_buff *skb, u32 q,
    bool host)
{
	struct sk_buff *segs, *next;

	if (skb_vlan_tag_present(skb)) {
		skb = __vlan_hwaccel_push_inside(skb);
		if (skb == NULL)
			return;
	}
	if (!skb_is_gso(skb)) {
		nm_linux_nic_take_one(nic, skb, q, host);
		return;
	}
	segs = __skb_gso_segment(skb, 0, host);
	if (IS_ERR_OR_NULL(segs)) {
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		nm_linux_nic_take_one(nic, skb, q, host);
	}
}

static rx_handler_result_t
nm_linux_nic_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct nm_os_nic *nic = rcu_dereference(skb->dev->rx_handler_data);

	if (nm_linux_nic_injected(nic, skb))
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (skb == NULL)
		return RX_HANDLER_CONSUMED;
	skb_push(skb, skb->data - skb_mac_header(skb));
	nm_linux_nic_take(nic, skb,
	    skb_rx_queue_recorded(skb) ? skb_get_rx_queue(skb) : 0, false);
	return RX_HANDLER_CONSUMED;
}

void
nm_os_frame_copy(void *frame, uint32_t off, void *dst, uint32_t len)
{
	if (skb_copy_bits(frame, off, dst, len))
		memset(dst, 0, len);	/* cannot happen: len <= skb->len */
}

/* The end of a mitigation interval: publish the frames held, if any. */
static enum hrtimer_restart
nm_linux_nic_mit_end(struct hrtimer *t)
{
	struct nm_linux_nic_rxq *rq = container_of(t, struct nm_linux_nic_rxq,
	    timer);
	bool held;

	spin_lock_bh(&rq->lock);
	held = rq->held;
	rq->held = false;
	/* frames came: another interval, a long burst shown once in each */
	if (held)
		hrtimer_forward_now(t,
		    ns_to_ktime(READ_ONCE(nm_linux_nic_mit)));
	else
		rq->armed = false;
	spin_unlock_bh(&rq->lock);
	if (!held)
		return HRTIMER_NORESTART;
	nm_nic_rx_publish(rq->na, rq->r);
	return HRTIMER_RESTART;
}

/*
 * Frames put on RX ring r (the producer's context, bottom halves off):
 * published now if no interval runs, else at the interval's end.  A
 * timer started here while its callback is still returning is fine: the
 * hrtimer core keeps it queued.
 */
void
nm_os_nic_rx_notify(struct nm_os_nic *nic, uint32_t r)
{
	struct nm_linux_nic_rxq *rq = &nic->rxq[r];
	unsigned int mit = READ_ONCE(nm_linux_nic_mit);
	bool now;

	if (mit == 0) {
		nm_nic_rx_publish(rq->na, r);
		return;
	}
	spin_lock_bh(&rq->lock);
	now = !rq->armed;
	if (now) {
		rq->armed = true;
		hrtimer_start(&rq->timer, ns_to_ktime(mit),
		    HRTIMER_MODE_REL_SOFT);
	} else {
		rq->held = true;
	}
	spin_unlock_bh(&rq->lock);
	if (now)
		nm_nic_rx_publish(rq->na, r);
}

/* An adapter on a switch: its frames forwarded where mutexes may sleep. */
static void
nm_linux_nic_fwd_work(struct work_struct *w)
{
	struct nm_linux_nic_rxq *rq = container_of(w, struct nm_linux_nic_rxq,
	    fwd);

	nm_nic_rx_forward(rq->na, rq->r);
}

void
nm_os_nic_rx_defer(struct nm_os_nic *nic, uint32_t r)
{
	queue_work(system_unbound_wq, &nic->rxq[r].fwd);
}

/*
 * The stack's own frames on a bound interface: to the host RX rings, not
 * the wire.  (netmap's own frames go straight to the driver and never
 * come here.)  Flows are spread over the host rings by their hash.
 */
static unsigned int
nm_linux_nic_egress(void *priv, struct sk_buff *skb,
    const struct nf_hook_state *state)
{
	struct nm_os_nic *nic = priv;

	nm_linux_nic_take(nic, skb, skb_get_hash(skb), true);
	return NF_STOLEN;
}

/* ---- transmit ---- */

/* An skb of ours has left (freed or orphaned): tell the core. */
static void
nm_linux_nic_skb_done(struct sk_buff *skb)
{
	uintptr_t arg = (uintptr_t)skb_shinfo(skb)->destructor_arg;
	struct nm_linux_nic_txq *tq = (void *)(arg & ~(uintptr_t)1);
	struct nm_os_nic *nic = tq->nic;
	void *done;

	rcu_read_lock();
	done = rcu_dereference(tq->done);
	if (done != NULL)
		nm_nic_tx_done(done, arg & 1);
	rcu_read_unlock();
	atomic_dec(&nic->inflight);
	kref_put(&nic->ref, nm_linux_nic_free);
}

/* The same for an skb sent up the stack: another name, to tell it apart. */
static void
nm_linux_nic_up_done(struct sk_buff *skb)
{
	nm_linux_nic_skb_done(skb);
}

int
nm_os_nic_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **frame, void **data)
{
	struct net_device *dev;
	unsigned int head, tail;
	struct sk_buff *skb;

	rcu_read_lock();
	dev = rcu_dereference(nic->dev);
	if (dev == NULL) {
		rcu_read_unlock();
		return ENXIO;
	}
	if (len < ETH_HLEN || len > dev->mtu + dev->hard_header_len +
	    VLAN_HLEN) {
		rcu_read_unlock();
		return EMSGSIZE;
	}
	head = LL_RESERVED_SPACE(dev);
	tail = dev->needed_tailroom;
	rcu_read_unlock();
	skb = alloc_skb(head + len + tail, GFP_KERNEL | __GFP_NOWARN);
	if (skb == NULL)
		return ENOMEM;
	skb_reserve(skb, head);
	*data = skb_put(skb, len);
	*frame = skb;
	return 0;
}

/*
 * The skb is netmap's from now on: its destructor reports it done to the
 * core (`done`, unless NULL); one going up the stack (`up`) is marked so
 * that our own rx_handler lets it pass.  q: the adapter's TX ring.  RCU
 * read side held.
 */
static void
nm_linux_nic_own(struct nm_os_nic *nic, struct sk_buff *skb, u32 q,
    void *done, bool report, bool up)
{
	struct nm_linux_nic_txq *tq = &nic->txq[done != NULL ? q :
	    nic->ntxq - 1];

	if (rcu_access_pointer(tq->done) != done)
		rcu_assign_pointer(tq->done, done);
	kref_get(&nic->ref);
	atomic_inc(&nic->inflight);
	skb->destructor = up ? nm_linux_nic_up_done : nm_linux_nic_skb_done;
	skb_shinfo(skb)->destructor_arg = (void *)((uintptr_t)tq | report);
}

/* The device, or NULL (the skb freed) if it is gone. RCU read side. */
static struct net_device *
nm_linux_nic_dev(struct nm_os_nic *nic, struct sk_buff *skb, u32 q)
{
	struct net_device *dev = rcu_dereference(nic->dev);

	if (dev == NULL || q + 1 >= nic->ntxq) {
		kfree_skb(skb);
		return NULL;
	}
	return dev;
}

int
nm_os_nic_tx(struct nm_os_nic *nic, void *frame, uint32_t q, void *done,
    bool report)
{
	struct sk_buff *skb = frame;
	struct net_device *dev;
	int rc;

	rcu_read_lock();
	dev = nm_linux_nic_dev(nic, skb, q);
	if (dev == NULL) {
		rcu_read_unlock();
		return ENXIO;
	}
	skb->dev = dev;
	skb_reset_mac_header(skb);
	skb->protocol = eth_hdr(skb)->h_proto;
	nm_linux_nic_own(nic, skb, q, done, report, false);
	rc = __dev_direct_xmit(skb, q % dev->real_num_tx_queues);
	rcu_read_unlock();
	if (dev_xmit_complete(rc))
		return 0;	/* sent, or dropped by the kernel: it left */
	/* the queue is stopped and the skb still ours: retried later */
	skb->destructor = NULL;
	atomic_dec(&nic->inflight);
	kref_put(&nic->ref, nm_linux_nic_free);
	consume_skb(skb);
	return EBUSY;
}

/* Up the stack as if received; the backlog may drop it (it has left). */
int
nm_os_nic_stack_rx(struct nm_os_nic *nic, void *frame, uint32_t q,
    void *done, bool report)
{
	struct sk_buff *skb = frame;
	struct net_device *dev;

	rcu_read_lock();
	dev = nm_linux_nic_dev(nic, skb, q);
	if (dev == NULL) {
		rcu_read_unlock();
		return ENXIO;
	}
	nm_linux_nic_own(nic, skb, q, done, report, true);
	skb->protocol = eth_type_trans(skb, dev);
	netif_rx(skb);
	rcu_read_unlock();
	return 0;
}

/* ---- the interface ---- */

int
nm_os_nic_open(const char *name, struct nm_os_nic **nicp,
    struct nm_os_nic_info *info)
{
	struct net_device *dev;
	struct nm_os_nic *nic;

	dev = dev_get_by_name(current->nsproxy->net_ns, name);
	if (dev == NULL)
		return ENXIO;
	/* Ethernet only: frames in rings are Ethernet frames */
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN) {
		dev_put(dev);
		return EOPNOTSUPP;
	}
	nic = kzalloc(sizeof(*nic), GFP_KERNEL_ACCOUNT);
	if (nic == NULL) {
		dev_put(dev);
		return ENOMEM;
	}
	kref_init(&nic->ref);
	atomic_inc(&nm_linux_nic_count);
	info->tx_queues = dev->real_num_tx_queues;
	info->rx_queues = dev->real_num_rx_queues;
	rtnl_lock();
	if (dev->reg_state != NETREG_REGISTERED) {
		/* unregistering: the notifier would miss it */
		rtnl_unlock();
		dev_put(dev);
		kref_put(&nic->ref, nm_linux_nic_free);
		return ENXIO;
	}
	RCU_INIT_POINTER(nic->dev, dev);
	list_add(&nic->link, &nm_linux_nics);
	rtnl_unlock();
	*nicp = nic;
	return 0;
}

bool
nm_os_nic_same(const struct nm_os_nic *a, const struct nm_os_nic *b)
{
	return rcu_access_pointer(a->dev) == rcu_access_pointer(b->dev);
}

bool
nm_os_nic_gone(const struct nm_os_nic *nic)
{
	return rcu_access_pointer(nic->dev) == NULL;
}

/* rtnl held. */
static void
nm_linux_nic_unhook(struct nm_os_nic *nic, struct net_device *dev)
{
	if (!nic->attached)
		return;
	nf_unregister_net_hook(dev_net(dev), &nic->egress);
	netdev_rx_handler_unregister(dev);	/* waits for the handler */
	nic->attached = false;
	nic->na = NULL;
}

/* rtnl held: the interface is gone, or the adapter is. */
static void
nm_linux_nic_let_go(struct nm_os_nic *nic)
{
	struct net_device *dev = rtnl_dereference(nic->dev);

	if (dev == NULL)
		return;
	nm_linux_nic_unhook(nic, dev);
	RCU_INIT_POINTER(nic->dev, NULL);
	/* senders that saw the device are done with it */
	synchronize_net();
	dev_put(dev);
}

void
nm_os_nic_close(struct nm_os_nic *nic)
{
	rtnl_lock();
	nm_linux_nic_let_go(nic);
	list_del(&nic->link);
	rtnl_unlock();
	kref_put(&nic->ref, nm_linux_nic_free);
}

int
nm_os_nic_attach(struct nm_os_nic *nic, struct nm_adapter *na)
{
#if IS_ENABLED(CONFIG_NETFILTER_EGRESS)
	struct net_device *dev;
	int error;
	u32 i;

	/* the adapter's rings are fixed: once for the object's life */
	if (nic->txq == NULL) {
		nic->ntxq = nm_all_rings(na, NM_TX) + 1;
		nic->txq = kcalloc(nic->ntxq, sizeof(*nic->txq),
		    GFP_KERNEL_ACCOUNT);
		if (nic->txq == NULL)
			return ENOMEM;
		for (i = 0; i < nic->ntxq; i++)
			nic->txq[i].nic = nic;
	}
	if (nic->rxq == NULL) {
		nic->nrxq = nm_all_rings(na, NM_RX);
		nic->rxq = kcalloc(nic->nrxq, sizeof(*nic->rxq),
		    GFP_KERNEL_ACCOUNT);
		if (nic->rxq == NULL)
			return ENOMEM;
		for (i = 0; i < nic->nrxq; i++) {
			spin_lock_init(&nic->rxq[i].lock);
			hrtimer_init(&nic->rxq[i].timer, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_SOFT);
			nic->rxq[i].timer.function = nm_linux_nic_mit_end;
			INIT_WORK(&nic->rxq[i].fwd, nm_linux_nic_fwd_work);
		}
	}
	for (i = 0; i < nic->nrxq; i++) {
		nic->rxq[i].na = na;
		nic->rxq[i].r = i;
		nic->rxq[i].armed = nic->rxq[i].held = false;
	}
	rtnl_lock();
	dev = rtnl_dereference(nic->dev);
	if (dev == NULL) {
		error = -ENXIO;
		goto out;
	}
	nic->na = na;
	nic->egress = (struct nf_hook_ops) {
		.hook = nm_linux_nic_egress,
		.priv = nic,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_EGRESS,
		.priority = INT_MIN,
		.dev = dev,
	};
	error = nf_register_net_hook(dev_net(dev), &nic->egress);
	if (error)
		goto out;
	/* EBUSY: a bridge, bond or macvlan has the interface */
	error = netdev_rx_handler_register(dev, nm_linux_nic_rx, nic);
	if (error) {
		nf_unregister_net_hook(dev_net(dev), &nic->egress);
		goto out;
	}
	nic->attached = true;
out:
	rtnl_unlock();
	return -error;
#else
	return EOPNOTSUPP;
#endif
}

void
nm_os_nic_detach(struct nm_os_nic *nic)
{
	int i;
	u32 q;

	rtnl_lock();
	if (rtnl_dereference(nic->dev) != NULL)
		nm_linux_nic_unhook(nic, rtnl_dereference(nic->dev));
	rtnl_unlock();
	/*
	 * Frames in flight complete into the adapter's rings until they are
	 * all done; a driver that sits on some for long (a stopped link)
	 * gets a second, then the core's pointers are cut and the late
	 * frames only drop their reference.
	 */
	for (i = 0; i < 1000 && atomic_read(&nic->inflight) > 0; i++)
		msleep(1);
	for (q = 0; q < nic->ntxq; q++)
		RCU_INIT_POINTER(nic->txq[q].done, NULL);
	if (atomic_read(&nic->inflight) > 0)
		synchronize_rcu();
	/*
	 * No producer is left: the last intervals end, and the last
	 * forwards (an adapter on a switch), before the rings go.
	 */
	for (q = 0; q < nic->nrxq; q++) {
		hrtimer_cancel(&nic->rxq[q].timer);
		cancel_work_sync(&nic->rxq[q].fwd);
	}
}

/* One path to the wire: nothing to tell the user. */
void
nm_os_nic_say(const struct nm_os_nic *nic)
{
}

static int
nm_linux_nic_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct nm_os_nic *nic;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	list_for_each_entry(nic, &nm_linux_nics, link)
		if (rtnl_dereference(nic->dev) == dev)
			nm_linux_nic_let_go(nic);
	return NOTIFY_DONE;
}

static struct notifier_block nm_linux_nic_notifier = {
	.notifier_call = nm_linux_nic_event,
};

int
nm_linux_nic_init(void)
{
	return register_netdevice_notifier(&nm_linux_nic_notifier);
}

/* No descriptor is open: wait for the skbs still in flight. */
void
nm_linux_nic_exit(void)
{
	unregister_netdevice_notifier(&nm_linux_nic_notifier);
	wait_var_event(&nm_linux_nic_count,
	    atomic_read(&nm_linux_nic_count) == 0);
	/* their destructors may still be returning */
	synchronize_rcu();
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
