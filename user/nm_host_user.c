// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_host_user.c: the host rings of an interface in netmapd (`netmap:IF^`,
 * `IF*`, `vale-ctl -h`): a way to and from the interface's own stack,
 * which neither AF_XDP nor AF_PACKET gives.
 *
 * While the interface is attached it has a hidden tap, named after its
 * index ("nmh" and the index: a name nobody else uses), up, without IPv6
 * (its own traffic would show up in the host ring) or addresses, and
 * three tiny tc programs built here (no compiler, as nm_xdp.c builds its
 * XDP program):
 *   - on the interface's egress, bpf_redirect(tap, 0): what the stack
 *     sends on the interface leaves by the tap instead, and the receive
 *     thread reads it from the tap's descriptor into the host RX ring;
 *   - on the tap's ingress, mark the frame and bpf_redirect(IF,
 *     BPF_F_INGRESS): a frame of the host TX ring written to the tap
 *     arrives at the stack as if the interface had received it. The mark
 *     (NM_USER_HOST_MARK) lets AF_PACKET's receive sockets, which see
 *     such frames too, leave them out (nm_afp.c);
 *   - on the interface's ingress: such a frame passes
 *     (its mark cleared), any other is dropped. The receive sockets have
 *     seen it before (packet taps come before tc), so with AF_PACKET too
 *     the stack now gets only the host TX ring's frames, as in netmap
 *     mode, not the wire's a second time (AF_XDP took those already).
 * Our own TX does not meet the egress program: AF_XDP does not pass tc,
 * AF_PACKET sends with PACKET_QDISC_BYPASS.
 *
 * The programs are attached as tcx BPF links (Linux 6.6): a link goes
 * with its descriptor, so the daemon's SIGKILL takes them away with the
 * tap. A tc filter (bpf_tc_attach) would not: it survives the daemon
 * and keeps sending the interface's traffic to a tap that is gone.
 * Without CAP_NET_ADMIN and CAP_BPF, or on a kernel without tcx, the
 * interface has no host rings (EOPNOTSUPP, and a note says why).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

/* nm_os.h's bool first: libbpf's headers bring <stdbool.h> */
#include "nm_os.h"
#include "nm_core.h"
#include "nm_nic_user.h"
#include "nm_os_user.h"

#include <bpf/bpf.h>

/* Debian 12's headers (Linux 6.1) predate tcx. */
#define NM_HOST_TCX_INGRESS	46
#define NM_HOST_TCX_EGRESS	47

#define NM_HOST_BATCH		64	/* frames read per wake-up */
#define NM_HOST_FRAME		65536	/* no GSO on the tap: one MTU */

struct nm_user_host {
	int tap_fd;
	int prog_out, prog_in;		/* egress of IF, ingress of tap */
	int prog_gate;			/* ingress of IF */
	int link_out, link_in, link_gate;
	char tap[IFNAMSIZ];
	uint8_t *buf;			/* the receive thread's */
};

/*
 * [skb->mark = NM_USER_HOST_MARK;] return bpf_redirect(ifindex, flags):
 * TC_ACT_REDIRECT, which tcx takes as its own TCX_REDIRECT.
 */
static int
nm_host_prog(const char *name, int ifindex, uint64_t flags, bool mark)
{
	struct bpf_insn insns[] = {
		/* the verifier takes no immediate store into the context */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = (int32_t)NM_USER_HOST_MARK },
		{ .code = BPF_STX | BPF_W | BPF_MEM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_REG_2,
		  .off = offsetof(struct __sk_buff, mark) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1,
		  .imm = ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = (int32_t)flags },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int skip = mark ? 0 : 2;

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, name, "Dual BSD/GPL",
	    insns + skip, sizeof(insns) / sizeof(insns[0]) - skip, NULL);
}

/*
 * if (skb->mark != NM_USER_HOST_MARK) return TCX_DROP; skb->mark = 0;
 * return TCX_PASS;
 */
static int
nm_host_gate_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_1,
		  .off = offsetof(struct __sk_buff, mark) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = TC_ACT_SHOT },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_2,
		  .off = 3, .imm = (int32_t)NM_USER_HOST_MARK },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = 0 },
		{ .code = BPF_STX | BPF_W | BPF_MEM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_REG_2,
		  .off = offsetof(struct __sk_buff, mark) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "netmapd_host_g",
	    "Dual BSD/GPL", insns, sizeof(insns) / sizeof(insns[0]), NULL);
}

/* The tap without IPv6 (before it is up: no link-local address), up. */
static int
nm_host_tap_up(const char *tap)
{
	char path[64 + IFNAMSIZ];
	struct ifreq ifr;
	int fd, s, error = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
	    tap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			error = errno;
		close(fd);
	} else if (errno != ENOENT) {	/* ENOENT: a kernel without IPv6 */
		error = errno;
	}
	if (error)
		return error;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tap, IFNAMSIZ);
	ifr.ifr_flags = IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		error = errno;
	close(s);
	return error;
}

static int
nm_host_tap_open(struct nm_user_host *h, int ifindex)
{
	struct ifreq ifr;

	snprintf(h->tap, sizeof(h->tap), "nmh%d", ifindex);
	h->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (h->tap_fd < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	/* EXCL: never someone else's (persistent) tap of that name */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, h->tap, IFNAMSIZ);
	if (ioctl(h->tap_fd, TUNSETIFF, &ifr) != 0)
		return errno;
	return nm_host_tap_up(h->tap);
}

static void
nm_host_free(struct nm_user_host *h)
{
	/* the links first: no more frames to a tap that goes */
	if (h->link_out >= 0)
		close(h->link_out);
	if (h->link_gate >= 0)
		close(h->link_gate);
	if (h->link_in >= 0)
		close(h->link_in);
	if (h->prog_out >= 0)
		close(h->prog_out);
	if (h->prog_gate >= 0)
		close(h->prog_gate);
	if (h->prog_in >= 0)
		close(h->prog_in);
	if (h->tap_fd >= 0)
		close(h->tap_fd);
	free(h->buf);
	free(h);
}

/*
 * "Linux 6.6 (tcx)" when the kernel predates tcx, else NULL: a tc filter
 * instead would outlive a SIGKILLed daemon (see above). Checked at open,
 * so that such a kernel answers EOPNOTSUPP rather than binding host
 * rings that would stay empty.
 */
const char *
nm_user_host_missing(void)
{
	struct utsname u;
	unsigned major, minor;

	if (uname(&u) != 0 ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2 || major < 6 ||
	    (major == 6 && minor < 6))
		return "Linux 6.6 (tcx)";
	return NULL;
}

/* Why the host rings stay empty, in the log. */
static void
nm_host_fail(struct nm_os_nic *nic, const char *what, int error)
{
	nm_os_log("%s: the host rings stay empty: %s: %s", nic->name, what,
	    strerror(error));
}

/*
 * The tap and the programs, at attach; on failure (a kernel without
 * tcx, a tap name taken) the log says why and nic->host stays NULL.
 */
void
nm_user_host_open(struct nm_os_nic *nic)
{
	struct nm_user_host *h = calloc(1, sizeof(*h));
	int tap_index, error;

	if (h == NULL) {
		nm_host_fail(nic, "no memory", ENOMEM);
		return;
	}
	h->tap_fd = h->prog_out = h->prog_in = h->prog_gate = -1;
	h->link_out = h->link_in = h->link_gate = -1;
	h->buf = malloc(NM_HOST_FRAME);
	if (h->buf == NULL) {
		nm_host_fail(nic, "no memory", ENOMEM);
		goto fail;
	}
	error = nm_host_tap_open(h, nic->ifindex);
	if (error) {
		nm_host_fail(nic, "tap", error);
		goto fail;
	}
	tap_index = (int)if_nametoindex(h->tap);
	h->prog_out = nm_host_prog("netmapd_host_o", tap_index, 0, false);
	h->prog_in = nm_host_prog("netmapd_host_i", nic->ifindex,
	    BPF_F_INGRESS, true);
	h->prog_gate = nm_host_gate_prog();
	if (tap_index == 0 || h->prog_out < 0 || h->prog_in < 0 ||
	    h->prog_gate < 0) {
		nm_host_fail(nic, "tc programs", errno);
		goto fail;
	}
	/* the way in before the gate, the gate before the way out */
	h->link_in = bpf_link_create(h->prog_in, tap_index,
	    NM_HOST_TCX_INGRESS, NULL);
	if (h->link_in >= 0)
		h->link_gate = bpf_link_create(h->prog_gate, nic->ifindex,
		    NM_HOST_TCX_INGRESS, NULL);
	if (h->link_gate >= 0)
		h->link_out = bpf_link_create(h->prog_out, nic->ifindex,
		    NM_HOST_TCX_EGRESS, NULL);
	if (h->link_out < 0) {
		nm_host_fail(nic, "tcx links (Linux 6.6)", errno);
		goto fail;
	}
	nic->host = h;
	return;
fail:
	nm_host_free(h);
}

void
nm_user_host_close(struct nm_os_nic *nic)
{
	if (nic->host != NULL)
		nm_host_free(nic->host);
	nic->host = NULL;
}

int
nm_user_host_fd(const struct nm_os_nic *nic)
{
	return nic->host != NULL ? nic->host->tap_fd : -1;
}

/* What the stack sent on the interface: to the host RX ring. */
void
nm_user_host_rx(struct nm_os_nic *nic)
{
	struct nm_user_host *h = nic->host;
	struct nm_user_frame f = { .n = 1 };
	int i;

	for (i = 0; i < NM_HOST_BATCH; i++) {
		ssize_t n = read(h->tap_fd, h->buf, NM_HOST_FRAME);

		if (n <= 0)
			break;
		f.seg[0].p = h->buf;
		f.seg[0].len = (uint32_t)n;
		/* ENOSPC: the ring is full, the core counted the drop */
		(void)nm_nic_rx(nic->na, 0, true, &f, (uint32_t)n);
	}
}

/*
 * A frame to the stack as received: written to the tap, whose program
 * sends it into the interface. EBUSY if the tap cannot take it now
 * (back-pressure for a host TX ring, a drop for the switch).
 */
int
nm_user_host_tx(struct nm_os_nic *nic, const void *data, uint32_t len)
{
	if (nic->host == NULL)
		return ENXIO;
	if (write(nic->host->tap_fd, data, len) == (ssize_t)len)
		return 0;
	return errno == EAGAIN ? EBUSY : errno;
}
