// SPDX-License-Identifier: BSD-2-Clause
/*
 * The interface behind a pkt-gen port (see nic.h): its name, from the
 * port name alone, then its MAC (SIOCGIFHWADDR) and MTU (SIOCGIFMTU)
 * from the kernel through a throw-away datagram socket, which needs no
 * privileges and works for an interface that is down or, while netmap
 * holds it, detached from the stack.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/if_arp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "nic.h"

#define NM_PREFIX	"netmap:"

int
pg_nic_name(const char *port, char *name, size_t size)
{
	size_t n;

	if (strncmp(port, NM_PREFIX, strlen(NM_PREFIX)) != 0)
		goto inval;
	port += strlen(NM_PREFIX);
	/* The name ends where the ring suffix or the options begin. */
	n = strcspn(port, "-*^/@");
	if (n == 0 || n >= size || n >= IFNAMSIZ ||
	    strpbrk(port, "{}") != NULL)
		goto inval;
	memcpy(name, port, n);
	name[n] = '\0';
	return (0);
inval:
	errno = EINVAL;
	return (-1);
}

/* SIOCGIF* request `req' on the interface of `port', into `ifr'. */
static int
nic_ioctl(const char *port, unsigned long req, struct ifreq *ifr)
{
	int s, rv, saved;

	memset(ifr, 0, sizeof(*ifr));
	if (pg_nic_name(port, ifr->ifr_name, sizeof(ifr->ifr_name)) != 0)
		return (-1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return (-1);
	rv = ioctl(s, req, ifr);
	saved = errno;
	close(s);
	errno = saved;
	return (rv < 0 ? -1 : 0);
}

int
pg_nic_hwaddr(const char *port, uint8_t mac[6])
{
	struct ifreq ifr;

	if (nic_ioctl(port, SIOCGIFHWADDR, &ifr) != 0)
		return (-1);
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EAFNOSUPPORT;
		return (-1);
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return (0);
}

int
pg_nic_mtu(const char *port)
{
	struct ifreq ifr;

	if (nic_ioctl(port, SIOCGIFMTU, &ifr) != 0)
		return (-1);
	return (ifr.ifr_mtu);
}
