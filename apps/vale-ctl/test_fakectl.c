// SPDX-License-Identifier: BSD-2-Clause
/*
 * A stand-in /dev/netmap for testing vale-ctl without a netmap backend.
 * Linked into a test build of vale-ctl (and libnetmap) with open(2) and
 * ioctl(2) wrapped (ld --wrap), it answers NIOCCTRL requests from a
 * fixed table of VALE ports, and reports on stderr what the requests
 * asked for ("fake: ..."), so that apps/vale-ctl/test_cli.sh can check
 * both what vale-ctl sends and how it prints the answers.
 *
 * Ports: vale0:a (0,0), vale0:b (0,1), vale0:c (0,3), vale2:x (2,0).
 * FAKE_FAIL=errno makes every request fail with that error.
 */

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>

int	__real_open(const char *, int, ...);
int	__real_ioctl(int, unsigned long, ...);
int	__wrap_open(const char *, int, ...);
int	__wrap_ioctl(int, unsigned long, ...);

static const struct {
	const char	*name;
	uint16_t	 bridge;
	uint32_t	 port;
} ports[] = {
	{ "vale0:a", 0, 0 },
	{ "vale0:b", 0, 1 },
	{ "vale0:c", 0, 3 },
	{ "vale2:x", 2, 0 },
};
#define NPORTS	(int)(sizeof(ports) / sizeof(ports[0]))

static int fake_fd = -1;

int
__wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (strcmp(path, "/dev/netmap") != 0)
		return (__real_open(path, flags, mode));
	fake_fd = __real_open("/dev/null", O_RDWR);
	return (fake_fd);
}

static int
find(const char *name)
{
	int i;

	for (i = 0; i < NPORTS; i++)
		if (strcmp(ports[i].name, name) == 0)
			return (i);
	return (-1);
}

static int
fail(int error)
{
	errno = error;
	return (-1);
}

static int
ctrl(struct nmreq_header *h)
{
	void *body = (void *)(uintptr_t)h->nr_body;
	struct nmreq_vale_list *vl = body;
	struct nmreq_port_info_get *pi = body;
	struct nmreq_vale_newif *ni = body;
	struct nmreq_vale_attach *va = body;
	struct nmreq_vale_polling *vp = body;
	int i;

	if (h->nr_version != NETMAP_API)
		return (fail(EINVAL));
	if (getenv("FAKE_FAIL") != NULL)
		return (fail(atoi(getenv("FAKE_FAIL"))));
	switch (h->nr_reqtype) {
	case NETMAP_REQ_VALE_LIST:
		if (h->nr_name[0] != '\0') {
			if ((i = find(h->nr_name)) < 0)
				return (fail(ENXIO));
			vl->nr_bridge_idx = ports[i].bridge;
			vl->nr_port_idx = ports[i].port;
			return (0);
		}
		/* The first port at or after (bridge, port). */
		for (i = 0; i < NPORTS; i++) {
			if (ports[i].bridge > vl->nr_bridge_idx ||
			    (ports[i].bridge == vl->nr_bridge_idx &&
			    ports[i].port >= vl->nr_port_idx)) {
				strcpy(h->nr_name, ports[i].name);
				vl->nr_bridge_idx = ports[i].bridge;
				vl->nr_port_idx = ports[i].port;
				return (0);
			}
		}
		return (fail(ENOENT));
	case NETMAP_REQ_PORT_INFO_GET:
		if ((i = find(h->nr_name)) < 0)
			return (fail(ENXIO));
		pi->nr_memsize = 4206592;
		pi->nr_tx_slots = pi->nr_rx_slots = 1024;
		pi->nr_tx_rings = pi->nr_rx_rings = 1;
		pi->nr_mem_id = (uint16_t)(i + 2);
		return (0);
	case NETMAP_REQ_VALE_NEWIF:
		fprintf(stderr, "fake: newif %s slots %u,%u rings %u,%u "
		    "mem_id %u\n", h->nr_name, ni->nr_tx_slots,
		    ni->nr_rx_slots, ni->nr_tx_rings, ni->nr_rx_rings,
		    ni->nr_mem_id);
		if (ni->nr_tx_slots == 0)
			ni->nr_tx_slots = ni->nr_rx_slots = 1024;
		if (ni->nr_tx_rings == 0)
			ni->nr_tx_rings = ni->nr_rx_rings = 1;
		return (0);
	case NETMAP_REQ_VALE_DELIF:
		fprintf(stderr, "fake: delif %s body %s\n", h->nr_name,
		    body == NULL ? "none" : "present");
		return (body == NULL ? 0 : fail(EINVAL));
	case NETMAP_REQ_VALE_ATTACH:
		fprintf(stderr, "fake: attach %s mode %u slots %u rings %u "
		    "mem_id %u\n", h->nr_name, va->reg.nr_mode,
		    va->reg.nr_tx_slots, va->reg.nr_tx_rings,
		    va->reg.nr_mem_id);
		va->port_index = 5;
		return (0);
	case NETMAP_REQ_VALE_DETACH:
		fprintf(stderr, "fake: detach %s\n", h->nr_name);
		((struct nmreq_vale_detach *)body)->port_index = 5;
		return (0);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		fprintf(stderr, "fake: polling %s %s mode %u cpu %u n %u\n",
		    h->nr_reqtype == NETMAP_REQ_VALE_POLLING_ENABLE ? "on" :
		    "off", h->nr_name, vp->nr_mode, vp->nr_first_cpu_id,
		    vp->nr_num_polling_cpus);
		return (0);
	}
	return (fail(EOPNOTSUPP));
}

int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || fd < 0)
		return (__real_ioctl(fd, req, arg));
	if (req != NIOCCTRL)
		return (fail(ENOTTY));
	return (ctrl(arg));
}
