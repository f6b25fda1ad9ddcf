// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit test of nic.c: which pkt-gen ports are interfaces and under what
 * name, and the errors of the MAC and MTU look-ups.  With arguments
 * IFNAME MAC MTU (test_nic.sh makes such a veth in a namespace of its
 * own), also that SIOCGIFHWADDR and SIOCGIFMTU report that interface's
 * MAC and MTU whatever the ring suffix.  Exits non-zero on failure.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nic.h"
#include "pktbuild.h"

static int failures;
static int checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static void
test_names(void)
{
	static const struct {
		const char	*port;
		const char	*name;		/* NULL: not an interface */
	} cases[] = {
		{ "netmap:eth0", "eth0" },
		{ "netmap:eth0-1", "eth0" },
		{ "netmap:eth0^", "eth0" },
		{ "netmap:eth0^1", "eth0" },
		{ "netmap:eth0*", "eth0" },
		{ "netmap:eth0/R", "eth0" },
		{ "netmap:eth0@conf:rings=2", "eth0" },
		{ "netmap:eth0@2", "eth0" },
		{ "netmap:enp0s3.100", "enp0s3.100" },
		{ "netmap:abcdefghijklmno", "abcdefghijklmno" },
		{ "netmap:abcdefghijklmnop", NULL },	/* > IFNAMSIZ - 1 */
		{ "netmap:", NULL },
		{ "netmap:-1", NULL },
		{ "netmap:p{1", NULL },
		{ "netmap:p}1", NULL },
		{ "vale0:a", NULL },
		{ "valeX:eth0", NULL },
		{ "null", NULL },
		{ "eth0", NULL },			/* no prefix */
	};
	char name[64];
	size_t i;
	int rv;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(name, 'x', sizeof(name));
		errno = 0;
		rv = pg_nic_name(cases[i].port, name, sizeof(name));
		if (cases[i].name == NULL)
			CHECK(rv == -1 && errno == EINVAL, "%s: %d errno %d",
			    cases[i].port, rv, errno);
		else
			CHECK(rv == 0 && strcmp(name, cases[i].name) == 0,
			    "%s: %d '%.16s'", cases[i].port, rv, name);
	}
	CHECK(pg_nic_name("netmap:eth0", name, 4) == -1 && errno == EINVAL,
	    "name longer than the buffer");
}

static void
test_errors(void)
{
	uint8_t mac[6] = { 1, 2, 3, 4, 5, 6 };

	errno = 0;
	CHECK(pg_nic_hwaddr("vale0:a", mac) == -1 && errno == EINVAL,
	    "VALE port: errno %d", errno);
	errno = 0;
	CHECK(pg_nic_hwaddr("netmap:nm_nonexist0", mac) == -1 &&
	    errno == ENODEV, "no such interface: errno %d", errno);
	errno = 0;
	CHECK(pg_nic_hwaddr("netmap:lo", mac) == -1 &&
	    errno == EAFNOSUPPORT, "loopback: errno %d", errno);
	CHECK(memcmp(mac, "\x01\x02\x03\x04\x05\x06", 6) == 0,
	    "MAC untouched on failure");
	errno = 0;
	CHECK(pg_nic_mtu("netmap:p{1") == -1 && errno == EINVAL,
	    "pipe: errno %d", errno);
	errno = 0;
	CHECK(pg_nic_mtu("netmap:nm_nonexist0") == -1 && errno == ENODEV,
	    "no such interface: errno %d", errno);
	CHECK(pg_nic_mtu("netmap:lo") > 0, "loopback has an MTU");
}

/* The interface made by test_nic.sh, under several port names. */
static void
test_interface(const char *ifname, const char *macstr, int mtu)
{
	static const char *const suffixes[] = { "", "-0", "^", "*", "/T",
	    "@conf:slots=64" };
	uint8_t want[6], mac[6];
	char port[64];
	size_t i;

	if (pkt_parse_mac(macstr, want) != 0) {
		fprintf(stderr, "test_nic: bad MAC '%s'\n", macstr);
		exit(2);
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(port, sizeof(port), "netmap:%s%s", ifname,
		    suffixes[i]);
		memset(mac, 0, sizeof(mac));
		CHECK(pg_nic_hwaddr(port, mac) == 0 &&
		    memcmp(mac, want, 6) == 0, "%s: MAC %02x:..:%02x",
		    port, mac[0], mac[5]);
		CHECK(pg_nic_mtu(port) == mtu, "%s: MTU %d", port,
		    pg_nic_mtu(port));
	}
}

int
main(int argc, char **argv)
{
	test_names();
	test_errors();
	if (argc == 4)
		test_interface(argv[1], argv[2], atoi(argv[3]));
	else if (argc != 1) {
		fprintf(stderr, "usage: test_nic [IFNAME MAC MTU]\n");
		return (2);
	}
	printf("test_nic: %d checks, %d failures\n", checks, failures);
	return (failures != 0);
}
