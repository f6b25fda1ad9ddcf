// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_tap_user.c: the network interface of a persistent VALE port in
 * netmapd (nm_os.h's nm_os_vp_ifnet_*), a tap device of the port's name,
 * with the meaning of the module's net_device (linux/nm_linux_vp.c).
 *
 * VALE_NEWIF NAME makes tap NAME (IFF_TAP | IFF_NO_PI, down) in the
 * daemon's namespace when the daemon has CAP_NET_ADMIN there; without it
 * the port is netmap's only, as before, and the user is told so
 * (nm_user_note). The tap is not TUNSETPERSIST: it goes with its
 * descriptor, so VALE_DELIF, the daemon's exit and its SIGKILL all take
 * it away, and nothing is left to clean at the next start.
 *
 * Down, nothing goes through it (the core leaves the port as upstream's).
 * Up, and while no descriptor has the port bound:
 *   - what the stack sends on it is read from the tap by a thread of the
 *     port's own, in batches, and handed to nm_vp_host_tx() (TX ring 0,
 *     as a client would send); what the port cannot take is dropped;
 *   - what the switch sends to the port comes to nm_os_vp_ifnet_rx(), in
 *     the sender's sync, and is written to the tap, which the stack
 *     takes as received; the descriptor is non-blocking, so a frame the
 *     tap cannot take now is dropped, never waited for.
 * Frames dropped either way are counted and go to the log with the port.
 *
 * Up or down: the kernel tells nobody through the tap's descriptor, so
 * the thread listens to the link messages (rtnetlink) of the tap's
 * namespace and, at each, asks the tap for its flags. The tap may move
 * to another namespace (ip link set NAME netns X) and keeps working; the
 * thread then follows it there (setns() of its own thread only, which
 * needs CAP_SYS_ADMIN; without it the last state known stays, and the
 * log says why).
 *
 * Created and destroyed with the core lock held: the thread never takes
 * that lock (nm_vp_host_tx takes a ring's lock only), and the destroy
 * stops it, joins it, and only then closes the tap.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nm_os.h"
#include "nm_core.h"
#include "nm_os_user.h"

#define NM_TAP_BATCH	64	/* frames read per wake-up, at most */
#define NM_TAP_FRAME	65536	/* no GSO (no vnet header): one MTU */

struct nm_user_tap {
	struct nm_adapter *na;
	int fd;				/* the tap, non-blocking */
	int stop;			/* eventfd: the destroy's signal */
	pthread_t thread;
	char name[IFNAMSIZ];
	/* atomics */
	uint64_t to_port, to_port_drops;	/* stack -> switch */
	uint64_t to_stack, to_stack_drops;	/* switch -> stack */
};

/* The thread's view of the tap's namespace. */
struct nm_tap_ns {
	ino_t ino;			/* namespace the thread is in */
	int nl;				/* link messages of it, or -1 */
	bool stuck;			/* could not follow: said once */
};

static int
nm_tap_nl_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK,
	};
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);

	if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		s = -1;
	}
	return s;
}

/*
 * Go where the tap is (if it moved) and tell the core whether it is up.
 * The netlink socket is opened before the flags are read: a change
 * after the read is a message we will see.
 */
static void
nm_tap_follow(struct nm_user_tap *t, struct nm_tap_ns *ns)
{
	struct ifreq ifr;
	struct stat st;
	int nsfd;

	nsfd = ioctl(t->fd, TUNGETDEVNETNS);
	if (nsfd >= 0 && fstat(nsfd, &st) == 0 && st.st_ino != ns->ino) {
		if (setns(nsfd, CLONE_NEWNET) == 0) {
			ns->ino = st.st_ino;
			if (ns->nl >= 0)
				close(ns->nl);
			ns->nl = nm_tap_nl_open();
			ns->stuck = false;
		} else if (!ns->stuck) {
			nm_os_log("%s: the tap moved to another namespace, "
			    "which netmapd cannot enter (%s): its up and "
			    "down are no longer followed", t->name,
			    strerror(errno));
			ns->stuck = true;
		}
	}
	if (nsfd >= 0)
		close(nsfd);
	if (ns->nl < 0 || ns->stuck)
		return;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(t->fd, TUNGETIFF, &ifr) != 0)
		return;
	/* a netlink socket takes the interface ioctls of its namespace */
	if (ioctl(ns->nl, SIOCGIFFLAGS, &ifr) != 0)
		return;
	nm_vp_host_up(t->na, (ifr.ifr_flags & IFF_UP) != 0);
}

/* Link messages are only a prompt to look: read them all, unread. */
static void
nm_tap_nl_drain(int nl)
{
	char buf[8192];

	while (recv(nl, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
	    errno == ENOBUFS)
		;
}

/* What the stack sent: to the port, up to a batch per wake-up. */
static void
nm_tap_read(struct nm_user_tap *t, uint8_t *buf)
{
	int i;

	for (i = 0; i < NM_TAP_BATCH; i++) {
		ssize_t n = read(t->fd, buf, NM_TAP_FRAME);

		if (n < 0)
			break;
		if (nm_vp_host_tx(t->na, buf, (uint32_t)n) == 0)
			__atomic_add_fetch(&t->to_port, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&t->to_port_drops, 1,
			    __ATOMIC_RELAXED);
	}
}

/*
 * Someone deleted the tap (ip link del, or its namespace went): its
 * descriptor only says POLLERR from now on. The port stays, netmap's
 * only, until VALE_DELIF closes the descriptor.
 */
static void
nm_tap_gone(struct nm_user_tap *t)
{
	nm_vp_host_up(t->na, false);
	nm_os_log("%s: the tap was deleted: the port is netmap's only now",
	    t->name);
}

static void *
nm_tap_thread(void *arg)
{
	struct nm_user_tap *t = arg;
	struct nm_tap_ns ns = { .nl = -1 };
	struct pollfd pfd[3];
	struct stat st;
	uint8_t *buf;

	buf = malloc(NM_TAP_FRAME);
	if (buf == NULL || stat("/proc/thread-self/ns/net", &st) != 0) {
		nm_os_log("%s: the tap's thread cannot start: %s", t->name,
		    strerror(errno));
		free(buf);
		return NULL;
	}
	ns.ino = st.st_ino;
	ns.nl = nm_tap_nl_open();
	nm_tap_follow(t, &ns);
	pfd[0] = (struct pollfd){ .fd = t->stop, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = t->fd, .events = POLLIN };
	for (;;) {
		pfd[2] = (struct pollfd){ .fd = ns.nl, .events = POLLIN };
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			nm_os_log("%s: the tap's thread ends: poll: %s",
			    t->name, strerror(errno));
			break;
		}
		if (pfd[0].revents != 0)
			break;
		if (pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			nm_tap_gone(t);
			pfd[1].fd = -1;
			continue;
		}
		if (pfd[2].revents != 0) {
			nm_tap_nl_drain(ns.nl);
			nm_tap_follow(t, &ns);
		}
		if (pfd[1].revents != 0)
			nm_tap_read(t, buf);
	}
	if (ns.nl >= 0)
		close(ns.nl);
	free(buf);
	return NULL;
}

/*
 * EPERM (no CAP_NET_ADMIN) or no tun driver: the port is made, netmap's
 * only, with a note. A name the kernel will not take as a new tap (an
 * interface made meanwhile) is EEXIST, as in the module.
 */
int
nm_os_vp_ifnet_create(struct nm_adapter *na, void **ifp)
{
	struct nm_user_tap *t;
	struct ifreq ifr;
	int error;

	*ifp = NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->na = na;
	/* NEWIF names are shorter than IFNAMSIZ (NM_VALE_NAME_MAX) */
	snprintf(t->name, sizeof(t->name), "%.*s", IFNAMSIZ - 1, na->name);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		nm_user_note("netmapd: %s: no tap device (/dev/net/tun: %s): "
		    "a netmap port only", t->name, strerror(errno));
		goto no_tap;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* EXCL: a tap of that name made meanwhile is EEXIST, not ours */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	if (ioctl(t->fd, TUNSETIFF, &ifr) != 0) {
		error = errno;
		close(t->fd);
		if (error == EPERM || error == EACCES) {
			nm_user_note("netmapd: %s: no tap device without "
			    "CAP_NET_ADMIN: a netmap port only", t->name);
			goto no_tap;
		}
		free(t);
		return error == EBUSY || error == EINVAL ? EEXIST : error;
	}
	t->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop < 0) {
		error = errno;
		goto fail_close;
	}
	error = pthread_create(&t->thread, NULL, nm_tap_thread, t);
	if (error)
		goto fail_stop;
	pthread_setname_np(t->thread, "nm-tap");
	*ifp = t;
	return 0;
fail_stop:
	close(t->stop);
fail_close:
	close(t->fd);
	free(t);
	return error;
no_tap:
	nm_os_log("%s", nm_user_note_peek());
	free(t);
	return 0;
}

void
nm_os_vp_ifnet_destroy(void *ifp)
{
	struct nm_user_tap *t = ifp;
	uint64_t one = 1;

	if (write(t->stop, &one, sizeof(one)) != sizeof(one))
		nm_os_log("%s: cannot stop the tap's thread: %s", t->name,
		    strerror(errno));
	pthread_join(t->thread, NULL);
	nm_os_log("%s: tap removed; stack to port %llu frames (%llu "
	    "dropped), port to stack %llu (%llu dropped)", t->name,
	    (unsigned long long)t->to_port,
	    (unsigned long long)t->to_port_drops,
	    (unsigned long long)t->to_stack,
	    (unsigned long long)t->to_stack_drops);
	close(t->stop);
	close(t->fd);
	free(t);
}

void
nm_os_vp_ifnet_rx(void *ifp, const void *const *data, const uint32_t *len,
    int nfrags)
{
	struct nm_user_tap *t = ifp;
	struct iovec iov[NETMAP_MAX_FRAGS];
	int i;

	for (i = 0; i < nfrags; i++) {
		iov[i].iov_base = (void *)(uintptr_t)data[i];
		iov[i].iov_len = len[i];
	}
	/* EAGAIN, or EIO if it went down since the core looked: dropped */
	if (writev(t->fd, iov, nfrags) < 0)
		__atomic_add_fetch(&t->to_stack_drops, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&t->to_stack, 1, __ATOMIC_RELAXED);
}
