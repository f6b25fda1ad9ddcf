// SPDX-License-Identifier: BSD-2-Clause
/*
 * afp-rx: the AF_PACKET receiver that bench/run.sh sets against pkt-gen.
 *
 * It uses the receive path an application writer would pick for speed
 * on a plain Linux socket: a PACKET_MMAP RX_RING in TPACKET_V3 mode,
 * where the kernel fills whole blocks of frames and wakes the reader
 * once per block (or when the block timer retires a partial block), so
 * that one poll() covers many packets.  The socket is bound to the
 * EtherType that afp-tx sends, on one interface.  "-m mmsg" selects
 * recvmmsg() batches instead, where the copy to the application happens
 * in the receiver's system call rather than in the softirq that
 * delivers the frame.
 *
 * Every -T milliseconds it prints a line in the format of pkt-gen's
 * report with -N, "N pps (N pkts N bps in N usec)", so that run.sh
 * reads both programs the same way; at the end it prints the socket's
 * drop count from PACKET_STATISTICS.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
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
#define FRAME_SIZE	2048
#define BLOCK_SIZE	(1 << 20)
#define NBLOCKS		16
#define RETIRE_MS	2
#define MAX_BATCH	512

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
	fprintf(stderr, "usage: afp-rx -i ifname [-m ring|mmsg] "
	    "[-T report_ms] [-t seconds]\n");
	exit(1);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sets up the TPACKET_V3 RX_RING and returns its mapping. */
static uint8_t *
ring_setup(int fd)
{
	struct tpacket_req3 req;
	uint8_t *ring;
	int v = TPACKET_V3;

	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) == -1)
		err(1, "PACKET_VERSION");
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = NBLOCKS;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * NBLOCKS;
	req.tp_retire_blk_tov = RETIRE_MS;
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof(req)) == -1)
		err(1, "PACKET_RX_RING");
	ring = mmap(NULL, (size_t)BLOCK_SIZE * NBLOCKS,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED)
		err(1, "mmap");
	return ring;
}

/*
 * Takes one block from the RX_RING, or waits up to 50 ms for one; adds
 * to *pkts and *bytes.
 */
static void
rx_ring(int fd, uint8_t *ring, unsigned int *blk, uint64_t *pkts,
    uint64_t *bytes)
{
	struct tpacket_block_desc *bd = (struct tpacket_block_desc *)
	    (ring + (size_t)*blk * BLOCK_SIZE);
	struct tpacket3_hdr *h;
	struct pollfd pfd;
	uint32_t i, n;

	if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	    TP_STATUS_USER) == 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) == -1 && errno != EINTR)
			err(1, "poll");
		return;
	}
	h = (struct tpacket3_hdr *)((uint8_t *)bd +
	    bd->hdr.bh1.offset_to_first_pkt);
	n = bd->hdr.bh1.num_pkts;
	for (i = 0; i < n; i++) {
		*bytes += h->tp_len;
		h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
	}
	*pkts += n;
	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
	    __ATOMIC_RELEASE);
	*blk = (*blk + 1) % NBLOCKS;
}

/* Gives the socket a large queue and a 50 ms receive timeout. */
static void
mmsg_setup(int fd)
{
	struct timeval tv = { 0, 50 * 1000 };
	int rcvbuf = 64 << 20;

	/* Beyond rmem_max when root, as large as the ring otherwise. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
	    &rcvbuf, sizeof(rcvbuf)) == -1)
		warn("SO_RCVBUF");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		err(1, "SO_RCVTIMEO");
}

/* Takes one recvmmsg() batch; adds to *pkts and *bytes. */
static void
rx_mmsg(int fd, uint64_t *pkts, uint64_t *bytes)
{
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static uint8_t buf[MAX_BATCH][FRAME_SIZE];
	int i, r;

	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = FRAME_SIZE;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	r = recvmmsg(fd, msg, MAX_BATCH, MSG_WAITFORONE, NULL);
	if (r == -1) {
		if (errno != EAGAIN && errno != EINTR)
			err(1, "recvmmsg");
		return;
	}
	for (i = 0; i < r; i++)
		*bytes += msg[i].msg_len;
	*pkts += r;
}

int
main(int argc, char **argv)
{
	struct tpacket_stats_v3 st;
	struct sockaddr_ll sll;
	struct sigaction sa;
	const char *ifname = NULL, *mode = "ring";
	uint8_t *ring = NULL;
	uint64_t pkts = 0, bytes = 0, last_pkts = 0, last_bytes = 0;
	uint64_t t_start, t_last, t_now, t_end = 0, dt;
	socklen_t slen;
	unsigned int blk = 0;
	int ch, fd, report_ms = 1000;

	while ((ch = getopt(argc, argv, "hi:m:T:t:")) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			mode = optarg;
			if (strcmp(mode, "ring") != 0 &&
			    strcmp(mode, "mmsg") != 0)
				usage();
			break;
		case 'T':
			report_ms = atoi(optarg);
			if (report_ms < 10)
				errx(1, "bad report interval %s", optarg);
			break;
		case 't':
			t_end = (uint64_t)(atof(optarg) * 1e6);
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
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = socket(AF_PACKET, SOCK_RAW, htons(AFP_ETHERTYPE));
	if (fd == -1)
		err(1, "socket");
	if (strcmp(mode, "ring") == 0)
		ring = ring_setup(fd);
	else
		mmsg_setup(fd);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(AFP_ETHERTYPE);
	sll.sll_ifindex = if_nametoindex(ifname);
	if (sll.sll_ifindex == 0)
		err(1, "%s", ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		err(1, "bind");
	printf("Receiving from %s (%s)\n", ifname, mode);

	t_start = t_last = now_us();
	if (t_end != 0)
		t_end += t_start;
	while (!stop) {
		if (ring != NULL)
			rx_ring(fd, ring, &blk, &pkts, &bytes);
		else
			rx_mmsg(fd, &pkts, &bytes);
		t_now = now_us();
		if (t_now - t_last >= (uint64_t)report_ms * 1000) {
			dt = t_now - t_last;
			printf("%llu pps (%llu pkts %llu bps in %llu usec)\n",
			    (unsigned long long)((pkts - last_pkts) *
			    1000000 / dt),
			    (unsigned long long)(pkts - last_pkts),
			    (unsigned long long)((bytes - last_bytes) * 8 *
			    1000000 / dt), (unsigned long long)dt);
			last_pkts = pkts;
			last_bytes = bytes;
			t_last = t_now;
		}
		if (t_end != 0 && t_now >= t_end)
			break;
	}
	slen = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &slen) == -1)
		warn("PACKET_STATISTICS");
	dt = now_us() - t_start;
	printf("Received %llu packets %llu bytes in %.2f seconds; "
	    "%u dropped by the socket\n", (unsigned long long)pkts,
	    (unsigned long long)bytes, dt / 1e6, st.tp_drops);
	close(fd);
	return 0;
}
