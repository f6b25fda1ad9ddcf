// SPDX-License-Identifier: BSD-2-Clause
/*
 * pcap-replay.c - sends the frames of a capture file out of a port with
 * pcap_inject(3PCAP): a libpcap program that knows nothing of netmap,
 * used by the tests (pcap/test.sh) to show that libpcap's netmap module
 * injects on our ports ("netmap:vale0:x", "netmap:eth0", ...).
 *
 *   pcap-replay [-n count] [-t ms] PORT FILE
 *
 * -n stops after count frames (default: the whole file); -t bounds each
 * wait for room in the port's ring (default 2000 ms).
 *
 * libpcap's netmap module copies a frame into the tx ring and returns 0
 * when the ring is full; it leaves the ring's sync to the next poll.  So
 * a full ring is waited out with poll(POLLOUT) on the selectable
 * descriptor, which syncs it, and the same poll at the end sends what
 * is left: a program that injects and exits without it would lose the
 * frames still in the ring, as with any netmap port.
 */

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pcap.h>

static void
usage(void)
{
	fprintf(stderr, "usage: pcap-replay [-n count] [-t ms] PORT FILE\n");
	exit(1);
}

static long
number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0)
		errx(1, "bad %s: %s", what, s);
	return v;
}

/* Syncs the tx ring: waits until it has room, at most ms milliseconds. */
static void
wait_room(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int n;

	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err(1, "poll");
	if (n == 0)
		errx(1, "no room in the ring after %d ms", ms);
	if (pfd.revents & (POLLERR | POLLNVAL))
		errx(1, "poll: revents 0x%x", pfd.revents);
}

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *in, *out;
	long count = -1, sent = 0;
	int c, fd, r, ms = 2000;

	while ((c = getopt(argc, argv, "hn:t:")) != -1) {
		switch (c) {
		case 'n':
			count = number(optarg, "count");
			break;
		case 't':
			ms = (int)number(optarg, "timeout");
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	in = pcap_open_offline(argv[optind + 1], errbuf);
	if (in == NULL)
		errx(1, "%s", errbuf);
	out = pcap_open_live(argv[optind], 65535, 0, ms, errbuf);
	if (out == NULL)
		errx(1, "%s", errbuf);
	fd = pcap_get_selectable_fd(out);
	if (fd < 0)
		errx(1, "%s: no selectable descriptor", argv[optind]);

	while (count < 0 || sent < count) {
		r = pcap_next_ex(in, &h, &data);
		if (r == PCAP_ERROR_BREAK)
			break;
		if (r != 1)
			errx(1, "%s: %s", argv[optind + 1], pcap_geterr(in));
		if (h->caplen != h->len)
			errx(1, "frame %ld truncated in the file", sent);
		while ((r = pcap_inject(out, data, h->caplen)) == 0)
			wait_room(fd, ms);
		if (r < 0)
			errx(1, "pcap_inject: %s", pcap_geterr(out));
		if ((bpf_u_int32)r != h->caplen)
			errx(1, "pcap_inject: %d of %u bytes", r, h->caplen);
		sent++;
	}
	wait_room(fd, ms);
	printf("pcap-replay: %ld frames sent on %s\n", sent, argv[optind]);
	pcap_close(out);
	pcap_close(in);
	return 0;
}
