// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_core_pagesize.c: the userspace host on a kernel with pages bigger
 * than the ABI's 4 KiB (arm64 and ppc64 kernels with 64 KiB pages),
 * faked through nm_user_page_fake, as netmapd sets its host up:
 *   - every region is made in whole host pages (its memfd, its mapping
 *     and its charge), while the port still reports the ABI's size;
 *   - the global allocator's buffer pool starts NM_USER_XDP_HEADROOM
 *     bytes past a host page (buf_pool_align), so that AF_XDP can take
 *     the pool as its UMEM from a page boundary; the pools before it
 *     keep the ABI's layout.
 */
#include "unit.h"

#include "nm_core.h"
#include "nm_os_user.h"
#include "nm_nic_user.h"
#include "testhost.h"

int unit_checks;

#define BIG_PAGE	65536u

static int
ctrl(int fd, struct nmreq_header *h)
{
	return ioctl(fd, NIOCCTRL, h);
}

/* A region's bytes: whole host pages, at least what the port reports. */
static void
check_region_bytes(uint64_t grown, uint64_t memsize)
{
	CHECK_EQ(grown % BIG_PAGE, 0);
	CHECK(grown >= memsize);
	CHECK(grown - memsize < BIG_PAGE);
}

static void
test_private_region(void)
{
	struct nmreq_register reg;
	uint64_t n0, b0, n, b;
	uint8_t *mem;
	int fd = unit_open();

	nm_os_region_stats(&n0, &b0);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	CHECK_EQ(unit_register(fd, "vale1:p", &reg, NULL), 0);
	nm_os_region_stats(&n, &b);
	CHECK_EQ(n, n0 + 1);
	/* 4 KiB units for the ABI, not a multiple of the big page here */
	CHECK_EQ(reg.nr_memsize % 4096, 0);
	CHECK(reg.nr_memsize % BIG_PAGE != 0);
	check_region_bytes(b - b0, reg.nr_memsize);
	mem = mmap(NULL, reg.nr_memsize, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	CHECK(mem != MAP_FAILED);
	mem[reg.nr_memsize - 1] = 1;
	munmap(mem, reg.nr_memsize);
	close(fd);
	nm_os_region_stats(&n, &b);
	CHECK_EQ(n, n0);
	CHECK_EQ(b, b0);
}

static void
test_global_pool(void)
{
	struct nmreq_pools_info pools;
	struct nmreq_register reg;
	struct nmreq_header h;
	uint64_t n0, b0, n, b;
	int fd = unit_open();

	nm_os_region_stats(&n0, &b0);
	unit_reg_init(&reg, NR_REG_ALL_NIC);
	reg.nr_mem_id = 1;
	CHECK_EQ(unit_register(fd, "vale1:g", &reg, NULL), 0);
	CHECK_EQ(reg.nr_mem_id, 1);
	memset(&pools, 0, sizeof(pools));
	unit_hdr(&h, NETMAP_REQ_POOLS_INFO_GET, "vale1:g", &pools);
	CHECK_EQ(ctrl(fd, &h), 0);
	CHECK_EQ(pools.nr_if_pool_offset, 0);
	CHECK_EQ(pools.nr_ring_pool_offset % 4096, 0);
	CHECK_EQ(pools.nr_buf_pool_offset % BIG_PAGE, NM_USER_XDP_HEADROOM);
	CHECK(pools.nr_buf_pool_offset >= pools.nr_ring_pool_offset +
	    (uint64_t)pools.nr_ring_pool_objtotal *
	    pools.nr_ring_pool_objsize);
	CHECK_EQ(pools.nr_memsize % 4096, 0);
	nm_os_region_stats(&n, &b);
	CHECK_EQ(n, n0 + 1);
	check_region_bytes(b - b0, pools.nr_memsize);
	close(fd);
}

int
main(void)
{
	/* netmapd's settings (netmapd.c), with the page size faked */
	nm_user_page_fake = BIG_PAGE;
	nm_params.buf_pool_pad = NM_USER_XDP_HEADROOM;
	nm_params.buf_pool_align = (uint32_t)nm_user_page_size();
	test_private_region();
	test_global_pool();
	CHECK_EQ(th_open_count(), 0);
	UNIT_DONE("pagesize");
}
