// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_register.c: a REGISTER that fails leaves nothing behind, and
 * a binding is visible to the descriptor's other users only once it is
 * complete (spec 2.7: options are validated before binding, the binding
 * is published last and never undone by the request that made it).
 *
 * The deterministic part checks what a refused REGISTER must not have
 * touched: the rings of a port another descriptor has bound, the port
 * table, the regions, the descriptor itself. The race part runs threads
 * of one process syncing, polling and mapping a descriptor while another
 * thread keeps failing REGISTERs on it; under AddressSanitizer a binding
 * published and then torn down shows up as a use after free, and any
 * sync, poll or mmap that succeeds saw a binding it should never have
 * seen.
 */
#include "unit.h"

#include <poll.h>
#include <pthread.h>

#include "nm_core.h"
#include "nm_os_user.h"
#include "testhost.h"

int unit_checks;

static int
ctrl(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h);
}

static uint64_t
region_count(void)
{
	uint64_t n, bytes;

	nm_os_region_stats(&n, &bytes);
	return n;
}

/* The descriptor is as fresh as after open(). */
static void
check_unbound(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	CHECK_ERR(ioctl(fd, NIOCTXSYNC, 0), ENXIO);
	CHECK_ERR(ioctl(fd, NIOCRXSYNC, 0), ENXIO);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLERR);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
}

/* No switch port named `name`. */
static void
check_no_port(const char *name)
{
	struct nmreq_vale_list vl;
	struct nmreq_header h;
	int fd = unit_open();

	memset(&vl, 0, sizeof(vl));
	unit_hdr(&h, NETMAP_REQ_VALE_LIST, name, &vl);
	errno = 0;
	if (ctrl(fd, &h) == 0)
		CHECK_EQ(vl.nr_port_idx, NM_VALE_NOPORT);
	else
		CHECK_EQ(errno, ENOENT);
	close(fd);
}

/*
 * Every option REGISTER does not implement, alone and after OFFSETS,
 * on a port another descriptor has bound: refused with EOPNOTSUPP
 * before anything is bound, so OFFSETS is not applied to the rings the
 * other descriptor uses.
 */
static void
test_refused_options(void)
{
	static const uint16_t types[] = { NETMAP_REQ_OPT_EXTMEM,
	    NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS, NETMAP_REQ_OPT_CSB,
	    NETMAP_REQ_OPT_SYNC_KLOOP_MODE, NETMAP_REQ_OPT_MAX,
	    NETMAP_REQ_OPT_MAX + 7 };
	union {
		struct nmreq_option o;
		struct nmreq_opt_extmem em;
		struct nmreq_opt_csb csb;
		struct nmreq_opt_sync_kloop_mode km;
	} bad;
	struct nmreq_opt_offsets off;
	struct nmreq_register reg;
	struct unit_port p;
	uint64_t regions;
	unsigned i, with_off;
	uint32_t r, s;
	int fd;

	unit_port_open(&p, "vale1:k", NULL);
	regions = region_count();
	fd = unit_open();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (with_off = 0; with_off < 2; with_off++) {
			memset(&bad, 0, sizeof(bad));
			bad.o.nro_reqtype = types[i];
			bad.o.nro_status = 77;
			memset(&off, 0, sizeof(off));
			off.nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
			off.nro_opt.nro_next = (uintptr_t)&bad;
			off.nro_offset_bits = 8;
			off.nro_max_offset = 64;
			off.nro_initial_offset = 10;
			unit_reg_init(&reg, NR_REG_ALL_NIC);
			reg.nr_extra_bufs = 4;
			CHECK_ERR(unit_register(fd, "vale1:k", &reg,
			    with_off ? (void *)&off : (void *)&bad),
			    EOPNOTSUPP);
			CHECK_EQ(bad.o.nro_status, EOPNOTSUPP);
			if (with_off)
				CHECK_EQ(off.nro_opt.nro_status, EOPNOTSUPP);
			CHECK_EQ(reg.nr_memsize, 0);
			CHECK_EQ(reg.nr_extra_bufs, 4);
			check_unbound(fd);
		}
	}
	/* the bound descriptor's rings were never touched */
	for (r = 0; r < p.nifp->ni_tx_rings; r++) {
		struct netmap_ring *tx = NETMAP_TXRING(p.nifp, r);
		struct netmap_ring *rx = NETMAP_RXRING(p.nifp, r);

		CHECK_EQ(tx->offset_mask, 0);
		CHECK_EQ(rx->offset_mask, 0);
		for (s = 0; s < tx->num_slots; s++)
			CHECK_EQ(tx->slot[s].ptr, 0);
	}
	CHECK_EQ(region_count(), regions);
	/* a new port: not created, no region made for it */
	memset(&bad, 0, sizeof(bad));
	bad.o.nro_reqtype = NETMAP_REQ_OPT_CSB;
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_ERR(unit_register(fd, "vale1:new", &reg, &bad), EOPNOTSUPP);
	CHECK_ERR(unit_register(fd, "vale1:new{3", &reg, &bad), EOPNOTSUPP);
	CHECK_EQ(region_count(), regions);
	check_no_port("vale1:new");
	check_unbound(fd);
	/* and the descriptor registers normally afterwards */
	CHECK_EQ(unit_register(fd, "vale1:k", &reg, NULL), 0);
	CHECK_EQ(ioctl(fd, NIOCTXSYNC, 0), 0);
	close(fd);
	unit_port_close(&p);
	CHECK_EQ(region_count(), 0);
}

/* ---- a descriptor used by threads while REGISTERs on it fail ---- */

#define RACE_REGISTERS	20000
#define RACE_SECONDS	4

struct race {
	int fd;
	int stop;			/* set by the registering thread */
	long syncs_ok, polls_ok, maps_ok, touched;
	long registers;
};

static int
race_stopped(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static void *
race_sync(void *arg)
{
	struct race *r = arg;

	while (!race_stopped(r)) {
		if (ioctl(r->fd, NIOCTXSYNC, 0) == 0)
			__atomic_add_fetch(&r->syncs_ok, 1, __ATOMIC_RELAXED);
		if (ioctl(r->fd, NIOCRXSYNC, 0) == 0)
			__atomic_add_fetch(&r->syncs_ok, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
race_poll(void *arg)
{
	struct race *r = arg;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN | POLLOUT };

	while (!race_stopped(r)) {
		if (poll(&pfd, 1, 0) == 1 && pfd.revents != POLLERR)
			__atomic_add_fetch(&r->polls_ok, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *
race_mmap(void *arg)
{
	struct race *r = arg;

	while (!race_stopped(r)) {
		volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED,
		    r->fd, 0);

		if (p == MAP_FAILED)
			continue;
		__atomic_add_fetch(&r->maps_ok, 1, __ATOMIC_RELAXED);
		r->touched += p[0];
		munmap((void *)p, 4096);
	}
	return NULL;
}

/* New VALE ports and pipes, each REGISTER refused for an unknown option. */
static void *
race_register(void *arg)
{
	struct race *r = arg;
	struct nmreq_register reg;
	struct nmreq_option unk;
	time_t end = time(NULL) + RACE_SECONDS;
	long i;

	for (i = 0; i < RACE_REGISTERS && time(NULL) < end; i++) {
		memset(&unk, 0, sizeof(unk));
		unk.nro_reqtype = NETMAP_REQ_OPT_MAX + 1;
		unit_reg_init(&reg, NR_REG_ALL_NIC);
		reg.nr_tx_rings = reg.nr_rx_rings = 2;
		reg.nr_tx_slots = reg.nr_rx_slots = 64;
		CHECK_ERR(unit_register(r->fd, i & 1 ? "vale2:r{1" : "vale2:r",
		    &reg, &unk), EOPNOTSUPP);
	}
	r->registers = i;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_register_race(void)
{
	void *(*const fn[])(void *) = { race_register, race_sync, race_sync,
	    race_poll, race_mmap };
	pthread_t th[sizeof(fn) / sizeof(fn[0])];
	struct race r;
	unsigned i;

	memset(&r, 0, sizeof(r));
	r.fd = unit_open();
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		CHECK_EQ(pthread_create(&th[i], NULL, fn[i], &r), 0);
	for (i = 0; i < sizeof(fn) / sizeof(fn[0]); i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	printf("register race: %ld refused REGISTERs\n", r.registers);
	CHECK(r.registers > 0);
	CHECK_EQ(r.syncs_ok, 0);
	CHECK_EQ(r.polls_ok, 0);
	CHECK_EQ(r.maps_ok, 0);
	check_unbound(r.fd);
	close(r.fd);
	CHECK_EQ(region_count(), 0);
	check_no_port("vale2:r");
}

/* ---- concurrent REGISTERs ---- */

struct reg_thread {
	int fd;
	const char *name;
	bool legacy;			/* NIOCREGIF rather than NIOCCTRL */
	struct nmreq_register reg;
	int error;
};

static void *
reg_thread_run(void *arg)
{
	struct reg_thread *t = arg;
	struct nmreq nmr;
	int ret;

	unit_reg_init(&t->reg, NR_REG_ALL_NIC);
	t->reg.nr_extra_bufs = 1000;
	if (t->legacy) {
		memset(&nmr, 0, sizeof(nmr));
		snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s", t->name);
		nmr.nr_version = NETMAP_API;
		nmr.nr_arg3 = 1000;
		ret = ioctl(t->fd, NIOCREGIF, &nmr);
		t->reg.nr_mem_id = nmr.nr_arg2;
	} else {
		ret = unit_register(t->fd, t->name, &t->reg, NULL);
	}
	t->error = ret == 0 ? 0 : errno;
	return NULL;
}

/*
 * Two REGISTERs of one descriptor at once (one of them the legacy
 * NIOCREGIF): one binds, the other is EBUSY. Two descriptors registering
 * the same new port at once share it (one port, one region).
 */
static void
test_register_concurrent(void)
{
	struct reg_thread t[2];
	pthread_t th[2];
	int round, i, ok;

	for (round = 0; round < 50; round++) {
		int fd = unit_open();

		for (i = 0; i < 2; i++) {
			t[i].fd = fd;
			t[i].name = i ? "vale3:c" : "vale3:d";
			t[i].legacy = i == 1;
			CHECK_EQ(pthread_create(&th[i], NULL, reg_thread_run,
			    &t[i]), 0);
		}
		for (i = ok = 0; i < 2; i++) {
			CHECK_EQ(pthread_join(th[i], NULL), 0);
			if (t[i].error == 0)
				ok++;
			else
				CHECK_EQ(t[i].error, EBUSY);
		}
		CHECK_EQ(ok, 1);
		CHECK_EQ(ioctl(fd, NIOCTXSYNC, 0), 0);
		close(fd);
		CHECK_EQ(region_count(), 0);

		for (i = 0; i < 2; i++) {
			t[i].fd = unit_open();
			t[i].name = "vale3:s";
			t[i].legacy = i == 1;
			CHECK_EQ(pthread_create(&th[i], NULL, reg_thread_run,
			    &t[i]), 0);
		}
		for (i = 0; i < 2; i++) {
			CHECK_EQ(pthread_join(th[i], NULL), 0);
			CHECK_EQ(t[i].error, 0);
		}
		CHECK_EQ(t[0].reg.nr_mem_id, t[1].reg.nr_mem_id);
		CHECK_EQ(region_count(), 1);
		close(t[0].fd);
		close(t[1].fd);
		CHECK_EQ(region_count(), 0);
	}
}

int
main(void)
{
	test_refused_options();
	test_register_race();
	test_register_concurrent();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("register");
}
