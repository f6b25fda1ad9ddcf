// SPDX-License-Identifier: BSD-2-Clause
/*
 * afp-tx: the AF_PACKET sender that bench/run.sh sets against pkt-gen.
 *
 * It is the fastest sender an application writer would reasonably build
 * on a plain Linux socket: a PACKET_MMAP TX_RING (TPACKET_V2) filled in
 * batches and pushed with one sendto() per batch, with
 * PACKET_QDISC_BYPASS so that frames go straight to the driver.  The
 * frame is built once per slot at start-up; afterwards a slot only gets
 * its length and status rewritten, as pkt-gen does with netmap slots.
 * "-m mmsg" selects the other common design, sendmmsg() of a batch of
 * iovecs on the same socket, for comparison.
 *
 * Frames carry the local experimental EtherType 0x88b5, so that the
 * receiving host stack drops them at once and only the packet socket
 * pays for them.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AFP_ETHERTYPE	0x88b5
#define FRAME_SIZE	2048		/* one TX_RING slot */
#define BLOCK_SIZE	(1 << 20)
#define NBLOCKS		8		/* 4096 slots */
#define MAX_BATCH	1024

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: afp-tx -i ifname [-l len] [-b batch] "
	    "[-m ring|mmsg] [-D dst_mac] [-t seconds]\n");
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
build_frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src)
{
	uint16_t type = htons(AFP_ETHERTYPE);

	memset(f, 0, len);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	memcpy(f + 12, &type, 2);
}

/* Sends through the TX_RING; returns the number of frames queued. */
static uint64_t
run_ring(int fd, size_t len, int batch, const uint8_t *dst,
    const uint8_t *src, double deadline)
{
	struct tpacket_req req;
	struct pollfd pfd;
	uint8_t *ring;
	unsigned int nframes, cur = 0, i, n;
	uint64_t sent = 0;
	int v = TPACKET_V2, one = 1;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) == -1)
		err(1, "PACKET_VERSION");
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
	    sizeof(one)) == -1)
		warn("PACKET_QDISC_BYPASS");
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = NBLOCKS;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * NBLOCKS;
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req,
	    sizeof(req)) == -1)
		err(1, "PACKET_TX_RING");
	nframes = req.tp_frame_nr;
	ring = mmap(NULL, (size_t)BLOCK_SIZE * NBLOCKS,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED)
		err(1, "mmap");
	for (i = 0; i < nframes; i++)
		build_frame(ring + (size_t)i * FRAME_SIZE + TPACKET2_HDRLEN -
		    sizeof(struct sockaddr_ll), len, dst, src);

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (!stop && (deadline == 0 || now() < deadline)) {
		for (n = 0; n < (unsigned int)batch; n++) {
			struct tpacket2_hdr *h = (struct tpacket2_hdr *)
			    (ring + (size_t)cur * FRAME_SIZE);

			if (h->tp_status != TP_STATUS_AVAILABLE)
				break;
			h->tp_len = len;
			__atomic_store_n(&h->tp_status,
			    TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			cur = (cur + 1) % nframes;
		}
		if (n == 0) {
			/* The ring is full of frames still in flight. */
			poll(&pfd, 1, 100);
			continue;
		}
		if (sendto(fd, NULL, 0, 0, NULL, 0) == -1 &&
		    errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			err(1, "sendto");
		sent += n;
	}
	return sent;
}

/* Sends with sendmmsg(); returns the number of frames accepted. */
static uint64_t
run_mmsg(int fd, size_t len, int batch, const uint8_t *dst,
    const uint8_t *src, double deadline)
{
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static uint8_t frame[FRAME_SIZE];
	uint64_t sent = 0;
	int i, r;

	build_frame(frame, len, dst, src);
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = frame;
		iov[i].iov_len = len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && (deadline == 0 || now() < deadline)) {
		r = sendmmsg(fd, msg, batch, 0);
		if (r == -1) {
			if (errno == ENOBUFS || errno == EAGAIN ||
			    errno == EINTR)
				continue;
			err(1, "sendmmsg");
		}
		sent += r;
	}
	return sent;
}

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_ll sll;
	struct sigaction sa;
	struct ifreq ifr;
	const char *ifname = NULL, *mode = "ring";
	uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, src[6];
	double t0, t1, seconds = 0;
	uint64_t sent;
	size_t len = 60;
	int ch, fd, batch = 512;

	while ((ch = getopt(argc, argv, "b:D:hi:l:m:t:")) != -1) {
		switch (ch) {
		case 'b':
			batch = atoi(optarg);
			if (batch < 1 || batch > MAX_BATCH)
				errx(1, "bad batch %s (1..%d)", optarg,
				    MAX_BATCH);
			break;
		case 'D':
			if (parse_mac(optarg, dst) == -1)
				errx(1, "bad MAC address %s", optarg);
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'l':
			len = strtoul(optarg, NULL, 0);
			if (len < 14 || len > FRAME_SIZE - TPACKET2_HDRLEN)
				errx(1, "bad length %s", optarg);
			break;
		case 'm':
			mode = optarg;
			if (strcmp(mode, "ring") != 0 &&
			    strcmp(mode, "mmsg") != 0)
				usage();
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || optind != argc)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Protocol 0: the socket sends but receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd == -1)
		err(1, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		err(1, "%s", ifname);
	memcpy(src, ifr.ifr_hwaddr.sa_data, 6);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = 0;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (sll.sll_ifindex == 0)
		err(1, "%s", ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		err(1, "bind");

	t0 = now();
	if (strcmp(mode, "ring") == 0)
		sent = run_ring(fd, len, batch, dst, src,
		    seconds > 0 ? t0 + seconds : 0);
	else
		sent = run_mmsg(fd, len, batch, dst, src,
		    seconds > 0 ? t0 + seconds : 0);
	t1 = now();
	printf("Sent %llu packets in %.2f seconds: %.0f pps (%s)\n",
	    (unsigned long long)sent, t1 - t0, sent / (t1 - t0), mode);
	close(fd);
	return 0;
}
