// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_nic_user.c: network interfaces as netmap ports in netmapd, nm_os.h's
 * nm_os_nic_* for the core's NIC kind (core/nm_nic.c), the part common to
 * both paths to the wire.
 *
 * open finds the interface by name in the daemon's network namespace,
 * checks that it is Ethernet and that the daemon has the privileges it
 * needs (CAP_NET_RAW for any socket on it; AF_XDP also CAP_NET_ADMIN and
 * CAP_BPF or CAP_SYS_ADMIN), saying in the log which one is missing, and
 * counts its queues. attach (the first bind) picks the path: AF_XDP
 * (nm_xdp.c) where its program attaches, else AF_PACKET (nm_afp.c);
 * NETMAPD_NIC=xdp or =afpacket in netmapd's environment forces one (no
 * fallback then), =xdp-copy AF_XDP without zero copy. The choice goes
 * to the log and, like a refusal, to the user (nm_user_note).
 *
 * One receive thread per attached interface does what the module's
 * rx_handler does: it polls the queues' sockets, hands every frame to
 * nm_nic_rx() (ring of the queue it came on) and publishes the rings it
 * filled once per wake-up (a burst is shown, and wakes the receiver,
 * once), or on a VALE switch forwards them (nm_nic_rx_forward). It also
 * reaps TX completions while frames are in flight, since nothing else
 * would tell the core of a frame that left late.
 *
 * Host rings: neither path can hand a frame to the interface's own stack
 * as if received, nor take what the stack sends; nm_host_user.c can,
 * with CAP_NET_ADMIN and CAP_BPF (a tap and tc programs, set up at
 * attach). Without them the port has none (info->no_host_rings: the
 * core answers EOPNOTSUPP, and a note says why). The receive thread
 * reads the tap too, for the host RX ring.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nm_os.h"
#include "nm_core.h"
#include "nm_nic_user.h"
#include "nm_os_user.h"

#define NM_USER_REAP_MS		1	/* while TX frames are out */
/*
 * After frames, the receive thread looks again, yielding, for this long
 * before it sleeps in poll(), as netmapd's doorbell threads wait
 * (docs/netmapd.md, "Waiting"): a wake-up per burst costs more.
 */
#define NM_USER_SPIN_NS		20000
/* What the receive thread does for an RX ring after a wake-up. */
#define NM_USER_RX_PUBLISH	1	/* show the frames to its user */
#define NM_USER_RX_FORWARD	2	/* on a switch: forward them */

/* The capabilities in the daemon's effective set, as a mask. */
static uint64_t
nm_user_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
}

static bool
nm_user_has(uint64_t caps, int cap)
{
	return (caps >> cap) & 1;
}

/*
 * What AF_XDP needs and the daemon lacks, as the capabilities' names,
 * or NULL: attaching a program (CAP_NET_ADMIN), loading it (CAP_BPF, or
 * CAP_SYS_ADMIN before Linux 5.8), the socket (CAP_NET_RAW, checked by
 * open).
 */
static const char *
nm_user_xdp_missing(uint64_t caps)
{
	bool admin = nm_user_has(caps, CAP_NET_ADMIN);
	bool bpf = nm_user_has(caps, CAP_BPF) ||
	    nm_user_has(caps, CAP_SYS_ADMIN);

	if (!admin && !bpf)
		return "CAP_NET_ADMIN and CAP_BPF";
	if (!admin)
		return "CAP_NET_ADMIN";
	if (!bpf)
		return "CAP_BPF";
	return NULL;
}

/*
 * The user's choice of path (NETMAPD_NIC), NULL for automatic; *copy:
 * AF_XDP without zero copy.
 */
static int
nm_user_forced(const struct nm_user_nic_path **pathp, bool *copy)
{
	const char *m = getenv("NETMAPD_NIC");

	*pathp = NULL;
	*copy = false;
	if (m == NULL || m[0] == '\0' || strcmp(m, "auto") == 0)
		return 0;
	if (strcmp(m, "xdp") == 0 || strcmp(m, "xdp-copy") == 0) {
		*pathp = &nm_user_xdp_path;
		*copy = strcmp(m, "xdp-copy") == 0;
	} else if (strcmp(m, "afpacket") == 0) {
		*pathp = &nm_user_afp_path;
	} else {
		nm_os_log("NETMAPD_NIC=%s: not auto, xdp, xdp-copy or afpacket",
		    m);
		return EINVAL;
	}
	return 0;
}

/* Queues of one direction ("rx", "tx"), from sysfs; at least 1. */
static uint32_t
nm_user_queues(const char *name, const char *dir)
{
	char path[64 + IFNAMSIZ];
	struct dirent *e;
	uint32_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, dir, 2) == 0 && e->d_name[2] == '-')
			n++;
	closedir(d);
	return n == 0 ? 1 : n;
}

/* An ioctl on the interface by name: 0 or an errno. */
static int
nm_user_ifreq(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), error = 0;

	if (s < 0)
		return errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(s, req, ifr) < 0)
		error = errno;
	close(s);
	return error;
}

int
nm_os_nic_open(const char *name, struct nm_os_nic **nicp,
    struct nm_os_nic_info *info)
{
	const struct nm_user_nic_path *forced;
	struct nm_os_nic *nic;
	struct ifreq ifr;
	uint64_t caps;
	const char *no_host;
	bool copy;
	int error;
	unsigned idx;

	if (strlen(name) >= IFNAMSIZ)
		return ENXIO;
	idx = if_nametoindex(name);
	if (idx == 0)
		return ENXIO;
	error = nm_user_ifreq(name, SIOCGIFHWADDR, &ifr);
	if (error)
		return error == ENODEV ? ENXIO : error;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return EOPNOTSUPP;
	error = nm_user_forced(&forced, &copy);
	if (error)
		return error;
	caps = nm_user_caps();
	if (!nm_user_has(caps, CAP_NET_RAW)) {
		nm_os_log("%s: refused: netmapd lacks CAP_NET_RAW (interfaces "
		    "need the system daemon, see netmapd(8))", name);
		nm_user_note("netmapd: %s: CAP_NET_RAW is needed for "
		    "interfaces (run the system daemon, see netmapd(8))",
		    name);
		return EPERM;
	}
	if (forced == &nm_user_xdp_path && nm_user_xdp_missing(caps)) {
		nm_os_log("%s: refused: NETMAPD_NIC=xdp and netmapd lacks %s",
		    name, nm_user_xdp_missing(caps));
		nm_user_note("netmapd: %s: NETMAPD_NIC=xdp needs %s (run the "
		    "system daemon, see netmapd(8))", name,
		    nm_user_xdp_missing(caps));
		return EPERM;
	}
	nic = calloc(1, sizeof(*nic));
	if (nic == NULL)
		return ENOMEM;
	snprintf(nic->name, sizeof(nic->name), "%s", name);
	nic->ifindex = (int)idx;
	nic->stop_fd = nic->kick_fd = -1;
	nic->ntxq = nm_user_queues(name, "tx");
	nic->nrxq = nm_user_queues(name, "rx");
	nic->nq = nic->ntxq > nic->nrxq ? nic->ntxq : nic->nrxq;
	if (nic->nq > NM_USER_NIC_MAX_QUEUES)
		nic->nq = NM_USER_NIC_MAX_QUEUES;
	info->tx_queues = nic->ntxq;
	info->rx_queues = nic->nrxq;
	/* the capabilities of AF_XDP (a tap, programs, links), and tcx */
	no_host = nm_user_xdp_missing(caps);
	if (no_host == NULL)
		no_host = nm_user_host_missing();
	info->no_host_rings = no_host != NULL;
	if (no_host != NULL)
		nm_user_note("netmapd: %s: host rings need %s", name, no_host);
	*nicp = nic;
	return 0;
}

void
nm_os_nic_close(struct nm_os_nic *nic)
{
	free(nic);
}

bool
nm_os_nic_same(const struct nm_os_nic *a, const struct nm_os_nic *b)
{
	return a->ifindex == b->ifindex;
}

/* Gone: no interface with our index, or one by another name. */
bool
nm_os_nic_gone(const struct nm_os_nic *nic)
{
	char name[IFNAMSIZ];

	return if_indextoname((unsigned)nic->ifindex, name) == NULL ||
	    strcmp(name, nic->name) != 0;
}

/* ---- the receive thread ---- */

static uint64_t
nm_user_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* The interface whose receive thread this is, in that thread. */
static __thread const struct nm_os_nic *nm_user_rx_self;

/*
 * A frame with no completion to report (from a switch, or forwarded
 * with NS_FORWARD) may wait in the path for a kick that only the next
 * frame with one, or the receive thread's reap, gives: sent from a
 * client's sync, with nothing else going on, it would wait for ever.
 * So the receive thread is woken to reap, once for any number of such
 * frames until it has (kick_armed); its own frames it reaps anyway.
 */
static void
nm_user_nic_kick(struct nm_os_nic *nic)
{
	uint64_t one = 1;

	if (nm_user_rx_self == nic ||
	    __atomic_exchange_n(&nic->kick_armed, true, __ATOMIC_ACQ_REL))
		return;
	if (write(nic->kick_fd, &one, sizeof(one)) != sizeof(one))
		__atomic_store_n(&nic->kick_armed, false, __ATOMIC_RELEASE);
}

static void *
nm_user_nic_thread(void *arg)
{
	struct nm_os_nic *nic = arg;
	struct pollfd p[NM_USER_NIC_MAX_QUEUES + 3];
	uint32_t host = nic->nq + 1;	/* the tap of the host rings */
	uint32_t kick = nic->nq + 2;
	bool inflight = false;
	uint64_t last = 0, v;
	uint32_t q, r;

	nm_user_rx_self = nic;
	for (q = 0; q < nic->nq; q++) {
		p[q].fd = nic->path->fd(nic, q);
		p[q].events = POLLIN;
	}
	p[nic->nq].fd = nic->stop_fd;
	p[nic->nq].events = POLLIN;
	p[host].fd = nm_user_host_fd(nic);
	p[host].events = POLLIN;
	p[kick].fd = nic->kick_fd;
	p[kick].events = POLLIN;
	for (;;) {
		/* frames keep coming: look again, yielding, before sleeping */
		bool spin = nm_user_now_ns() - last < NM_USER_SPIN_NS;
		int n = poll(p, nic->nq + 3, spin ? 0 :
		    inflight ? NM_USER_REAP_MS : -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[nic->nq].revents)
			break;
		if (n > 0)
			last = nm_user_now_ns();
		else if (spin)
			sched_yield();
		for (q = 0; n > 0 && q < nic->nq; q++) {
			if (p[q].revents & POLLIN)
				nic->path->rx(nic, q);
			/* the interface went away: nothing more to read */
			if (p[q].revents & (POLLERR | POLLHUP | POLLNVAL))
				p[q].fd = -1;
		}
		if (n > 0 && (p[host].revents & POLLIN))
			nm_user_host_rx(nic);
		/* disarmed before the reap: a frame after it wakes us again */
		if (n > 0 && (p[kick].revents & POLLIN) &&
		    read(nic->kick_fd, &v, sizeof(v)) == sizeof(v))
			__atomic_store_n(&nic->kick_armed, false,
			    __ATOMIC_RELEASE);
		for (r = 0; r < nic->nrings; r++) {
			uint8_t what = nic->rx_pending[r];

			nic->rx_pending[r] = 0;
			if (what == NM_USER_RX_PUBLISH)
				nm_nic_rx_publish(nic->na, r);
			else if (what == NM_USER_RX_FORWARD)
				nm_nic_rx_forward(nic->na, r);
		}
		inflight = nic->path->reap(nic);
	}
	return NULL;
}

static int
nm_user_nic_start(struct nm_os_nic *nic, struct nm_adapter *na)
{
	int error;

	nic->na = na;
	nic->nrings = na->num_rings[NM_RX] + na->num_host_rings[NM_RX];
	nic->rx_pending = calloc(nic->nrings, 1);
	nic->stop_fd = eventfd(0, EFD_CLOEXEC);
	nic->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	nic->kick_armed = false;
	if (nic->rx_pending == NULL || nic->stop_fd < 0 || nic->kick_fd < 0) {
		error = nic->rx_pending == NULL ? ENOMEM : errno;
		goto fail;
	}
	error = pthread_create(&nic->thread, NULL, nm_user_nic_thread, nic);
	if (error)
		goto fail;
	return 0;
fail:
	if (nic->stop_fd >= 0)
		close(nic->stop_fd);
	if (nic->kick_fd >= 0)
		close(nic->kick_fd);
	nic->stop_fd = nic->kick_fd = -1;
	free(nic->rx_pending);
	nic->rx_pending = NULL;
	return error;
}

static void
nm_user_nic_stop(struct nm_os_nic *nic)
{
	uint64_t one = 1;

	if (write(nic->stop_fd, &one, sizeof(one)) != sizeof(one))
		nm_os_log("%s: cannot stop the receive thread", nic->name);
	pthread_join(nic->thread, NULL);
	close(nic->stop_fd);
	close(nic->kick_fd);
	nic->stop_fd = nic->kick_fd = -1;
	free(nic->rx_pending);
	nic->rx_pending = NULL;
}

/* The largest frame the interface takes: MTU, Ethernet header, a tag. */
static int
nm_user_max_frame(struct nm_os_nic *nic)
{
	struct ifreq ifr;
	int error = nm_user_ifreq(nic->name, SIOCGIFMTU, &ifr);

	if (error)
		return error == ENODEV ? ENXIO : error;
	nic->max_frame = (uint32_t)ifr.ifr_mtu + 14 + 4;
	return 0;
}

/* The user's note on the path, "veth0: AF_XDP copy, 1 queue". */
static void
nm_user_nic_note(const struct nm_os_nic *nic)
{
	nm_user_note("%s: %s%s, %u queue%s", nic->name, nic->path->name,
	    nic->mode, nic->nq, nic->nq == 1 ? "" : "s");
}

/* Say which path runs: in the log, and to the user who attached. */
static void
nm_user_nic_said(const struct nm_os_nic *nic, bool forced)
{
	nm_user_nic_note(nic);
	nm_os_log("%s%s", nm_user_note_peek(), forced ? " (NETMAPD_NIC)" :
	    "");
}

/* To a later user: a REGISTER of a bound interface, VALE_LIST. */
void
nm_os_nic_say(const struct nm_os_nic *nic)
{
	if (nic->na != NULL)
		nm_user_nic_note(nic);
}

/*
 * The path: the forced one, or AF_XDP if the daemon may attach programs
 * and one attaches, else AF_PACKET. Saying which, and why.
 */
static int
nm_user_nic_pick(struct nm_os_nic *nic)
{
	const struct nm_user_nic_path *forced;
	const char *missing;
	int error;

	error = nm_user_forced(&forced, &nic->copy);
	if (error)
		return error;
	nic->mode = "";
	if (forced != NULL) {
		nic->path = forced;
		error = forced->attach(nic);
		if (error == 0)
			nm_user_nic_said(nic, true);
		return error;
	}
	missing = nm_user_xdp_missing(nm_user_caps());
	if (missing == NULL) {
		nic->path = &nm_user_xdp_path;
		error = nic->path->attach(nic);
		if (error == 0) {
			nm_user_nic_said(nic, false);
			return 0;
		}
		nm_os_log("%s: AF_XDP: %s: AF_PACKET instead", nic->name,
		    strerror(error));
	} else {
		nm_os_log("%s: AF_XDP needs %s: AF_PACKET instead", nic->name,
		    missing);
	}
	nic->path = &nm_user_afp_path;
	nic->mode = "";
	error = nic->path->attach(nic);
	if (error == 0)
		nm_user_nic_said(nic, false);
	return error;
}

int
nm_os_nic_attach(struct nm_os_nic *nic, struct nm_adapter *na)
{
	int error;

	if (nm_os_nic_gone(nic))
		return ENXIO;
	error = nm_user_max_frame(nic);
	if (error)
		return error;
	nic->na = na;
	error = nm_user_nic_pick(nic);
	if (error)
		return error;
	/*
	 * Host rings the core made (open said we could): without their way
	 * to the stack (the log says why) they stay empty, and what is sent
	 * on them is dropped and counted.
	 */
	if (na->num_host_rings[NM_RX] > 0)
		nm_user_host_open(nic);
	error = nm_user_nic_start(nic, na);
	if (error) {
		nm_user_host_close(nic);
		nic->path->detach(nic);
		return error;
	}
	return 0;
}

/*
 * The thread first: after it, nothing calls into the adapter; then the
 * sockets and, with AF_XDP, the program go.
 */
void
nm_os_nic_detach(struct nm_os_nic *nic)
{
	nm_user_nic_stop(nic);
	nm_user_host_close(nic);
	nic->path->detach(nic);
	nm_os_log("%s: %s detached", nic->name, nic->path->name);
	nic->na = NULL;
}

/*
 * TX, from the txsync of ring q (which holds the ring's lock), or of
 * ring 0 for a forwarded frame: the path keeps queue q from tx_alloc to
 * tx or stack_rx. `frame` is the data itself.
 */
int
nm_os_nic_tx_alloc(struct nm_os_nic *nic, uint32_t q, uint32_t len,
    void **frame, void **data)
{
	int error;

	if (len > nic->max_frame)
		return EMSGSIZE;
	error = nic->path->tx_alloc(nic, q % nic->nq, len, data);
	if (error == 0) {
		*frame = *data;
		nic->tx_len[q % nic->nq] = len;	/* the queue is ours */
	}
	return error;
}

int
nm_os_nic_tx(struct nm_os_nic *nic, void *frame, uint32_t q, void *done,
    bool report)
{
	int error = nic->path->tx(nic, q % nic->nq, frame, done, report);

	if (error == 0 && done == NULL)
		nm_user_nic_kick(nic);
	return error;
}

/*
 * Up the stack, through the host rings' tap: copied there, the path's
 * frame goes back, and the frame has left.
 */
int
nm_os_nic_stack_rx(struct nm_os_nic *nic, void *frame, uint32_t q,
    void *done, bool report)
{
	int error = nm_user_host_tx(nic, frame, nic->tx_len[q % nic->nq]);

	nic->path->tx_cancel(nic, q % nic->nq);
	if (error == 0 && done != NULL)
		nm_nic_tx_done(done, report);
	return error;
}

void
nm_os_frame_copy(void *frame, uint32_t off, void *dst, uint32_t len)
{
	const struct nm_user_frame *f = frame;
	uint8_t *d = dst;
	uint32_t i, l;

	for (i = 0; i < f->n && len > 0; i++) {
		if (off >= f->seg[i].len) {
			off -= f->seg[i].len;
			continue;
		}
		l = f->seg[i].len - off;
		if (l > len)
			l = len;
		memcpy(d, f->seg[i].p + off, l);
		d += l;
		len -= l;
		off = 0;
	}
}

int
nm_os_nic_tx_bufs(struct nm_os_nic *nic, uint32_t q, const uint32_t *idx,
    const uint32_t *len, uint32_t n, void *done, bool report)
{
	uint32_t i, total = 0;

	for (i = 0; i < n; i++)
		total += len[i];
	if (total > nic->max_frame)
		return EMSGSIZE;
	return nic->path->tx_bufs(nic, q % nic->nq, idx, len, n, done,
	    report);
}

/* Host RX rings are filled by copy: their buffers stay theirs. */
void
nm_os_nic_rx_refill(struct nm_os_nic *nic, uint32_t r, const uint32_t *idx,
    uint32_t n)
{
	if (r < nic->na->num_rings[NM_RX])
		nic->path->rx_refill(nic, r, idx, n);
}

/* Called by nm_nic_rx() in the receive thread: published by it. */
void
nm_os_nic_rx_notify(struct nm_os_nic *nic, uint32_t r)
{
	nic->rx_pending[r] = NM_USER_RX_PUBLISH;
}

/*
 * On a VALE switch: forwarded by the receive thread too, which may
 * sleep (netmapd has no polling threads).
 */
void
nm_os_nic_rx_defer(struct nm_os_nic *nic, uint32_t r)
{
	nic->rx_pending[r] = NM_USER_RX_FORWARD;
}
