/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit.h: the few helpers every core unit test uses: checks that print
 * where and what failed, and opening ports through the raw ABI (open,
 * NIOCCTRL, mmap), exactly as an application does, without libnetmap in
 * the way when a test is about what the core answers.
 */
#ifndef UNIT_H
#define UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <net/netmap_user.h>

extern int unit_checks;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		exit(1);						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	unit_checks++;							\
	if (a_ != b_) {							\
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
		    __FILE__, __LINE__, #a, a_, #b, b_);		\
		exit(1);						\
	}								\
} while (0)

/* A call expected to fail with errno e. */
#define CHECK_ERR(call, e) do {						\
	errno = 0;							\
	unit_checks++;							\
	if ((call) != -1 || errno != (e)) {				\
		fprintf(stderr, "%s:%d: %s: errno %d (%s), expected %s\n", \
		    __FILE__, __LINE__, #call, errno, strerror(errno), #e); \
		exit(1);						\
	}								\
} while (0)

#define UNIT_DONE(name) do {						\
	printf("%s: %d checks passed\n", (name), unit_checks);		\
	return 0;							\
} while (0)

/*
 * A small deterministic PRNG (xorshift64*), so that a failing random test
 * can be replayed from the seed it printed.
 */
static inline uint64_t
unit_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* The seed: UNIT_SEED from the environment, else the clock; printed. */
static inline uint64_t
unit_seed(const char *name)
{
	const char *e = getenv("UNIT_SEED");
	uint64_t s = e != NULL ? strtoull(e, NULL, 0) :
	    (uint64_t)time(NULL) * 2654435761u;

	if (s == 0)
		s = 1;
	printf("%s: seed %llu (set UNIT_SEED to replay)\n", name,
	    (unsigned long long)s);
	return s;
}

static inline int
unit_open(void)
{
	int fd = open("/dev/netmap", O_RDWR);

	CHECK(fd >= 0);
	return fd;
}

/* A header for request `type` on `name` with body `body`, no options. */
static inline void
unit_hdr(struct nmreq_header *h, uint16_t type, const char *name, void *body)
{
	memset(h, 0, sizeof(*h));
	h->nr_version = NETMAP_API;
	h->nr_reqtype = type;
	snprintf(h->nr_name, sizeof(h->nr_name), "%s", name);
	h->nr_body = (uintptr_t)body;
}

/* NIOCCTRL request `type` on name; the ioctl's result, errno as set. */
static inline int
unit_ctrl(int fd, uint16_t type, const char *name, void *body)
{
	struct nmreq_header h;

	unit_hdr(&h, type, name, body);
	return ioctl(fd, NIOCCTRL, &h);
}

/* NIOCCTRL REGISTER of fd on name; the ioctl's result, errno as set. */
static inline int
unit_register(int fd, const char *name, struct nmreq_register *reg,
    void *opts)
{
	struct nmreq_header h;

	unit_hdr(&h, NETMAP_REQ_REGISTER, name, reg);
	h.nr_options = (uintptr_t)opts;
	return ioctl(fd, NIOCCTRL, &h);
}

static inline void
unit_reg_init(struct nmreq_register *reg, uint32_t mode)
{
	memset(reg, 0, sizeof(*reg));
	reg->nr_mode = mode;
}

/* A port bound through the raw ABI, with its region mapped. */
struct unit_port {
	int fd;
	struct nmreq_register reg;
	char *mem;
	struct netmap_if *nifp;
};

/* Bind `name` with `reg` (mode defaults to ALL_NIC); checks success. */
static inline void
unit_port_open(struct unit_port *p, const char *name,
    const struct nmreq_register *reg)
{
	p->fd = unit_open();
	if (reg != NULL)
		p->reg = *reg;
	else
		unit_reg_init(&p->reg, NR_REG_ALL_NIC);
	if (unit_register(p->fd, name, &p->reg, NULL) != 0) {
		fprintf(stderr, "register %s: %s\n", name, strerror(errno));
		exit(1);
	}
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
	    MAP_SHARED, p->fd, 0);
	CHECK(p->mem != MAP_FAILED);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
}

static inline void
unit_port_close(struct unit_port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
	p->fd = -1;
}

#endif /* UNIT_H */
