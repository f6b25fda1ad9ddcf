/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt-gen internals shared by the setup and reporting code (pkt-gen.c)
 * and the per-thread data paths (pkt-io.c).
 *
 * Threads: the main thread parses options, opens the port, starts one
 * worker per -p and then only samples the workers' counters to print a
 * report line every -T ms.  Each worker owns one netmap descriptor (the
 * first one uses the main descriptor, the others a clone bound to one
 * ring) and its own copy of the packet template.  Counters are written
 * by their worker alone and read by the main thread with relaxed
 * atomics: a report may be a batch late, never torn.
 */
#ifndef PKT_GEN_H
#define PKT_GEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "pktbuild.h"

struct nmport_d;

enum pg_func {
	PG_RX,			/* default */
	PG_TX,
	PG_PING,
	PG_PONG,
	PG_TXSEQ,
	PG_RXSEQ,
};

enum pg_role {
	PG_SENDER,
	PG_RECEIVER,
	PG_OTHER,
};

/* -o bits, with the values pkt-gen has always used. */
#define OPT_PREFETCH	1
#define OPT_ACCESS	2
#define OPT_COPY	4
#define OPT_MEMCPY	8
#define OPT_TS		16
#define OPT_INDIRECT	32
#define OPT_DUMP	64
#define OPT_RUBBISH	256
#define OPT_RANDOM_SRC	512
#define OPT_RANDOM_DST	1024
#define OPT_PPS_STATS	2048
#define OPT_UPDATE_CSUM	4096

/* Receivers started with -W give up after this much silence. */
#define PG_IDLE_MS		2000
#define PG_IDLE_FIRST_MS	10000

/* Everything the workers read; fixed before the first one starts. */
struct pg_glob {
	enum pg_func	 func;
	enum pg_role	 role;
	const char	*ifname;	/* as opened, e.g. "netmap:eth0" */
	int		 null_port;	/* -i null: no port, dummy sender */
	struct nmport_d	*nmd;		/* main descriptor */
	int		 nthreads;
	int		 cpus;
	int		 affinity;	/* first CPU, -1 for none */
	int		 burst;
	uint64_t	 npackets;	/* 0: forever */
	size_t		 len, minlen;	/* minlen > 0: random sizes */
	int		 frags;
	size_t		 frag_size;	/* largest fragment, from -M */
	int		 options;
	int		 idle_exit;	/* -W */
	int		 report_ms;	/* -T */
	int		 wait_link;	/* -w, seconds */
	int		 tx_rate;	/* packets per second, 0: no limit */
	struct timespec	 tx_period;	/* time for one burst at tx_rate */
	int		 verbose;
	struct pkt_params pp;
};

struct pg_ctrs {
	_Atomic uint64_t pkts;
	_Atomic uint64_t bytes;
	_Atomic uint64_t events;
	_Atomic uint32_t min_space;	/* reset by the reporter */
};

struct pg_thread {
	struct pg_glob	*g;
	int		 id;
	struct nmport_d	*nmd;
	int		 fd;
	int		 cpu;		/* -1: no affinity */
	uint64_t	 quota;		/* sender's share of -n, 0: no limit */
	pthread_t	 tid;
	int		 started;
	_Atomic int	 done;
	int		 failed;
	struct pg_ctrs	 ctr;
	struct timespec	 tic, toc;	/* first and last packet */
	struct pkt_tmpl	 pkt;
	/*
	 * TX without -o COPY: the buffer index each slot held when we last
	 * wrote a whole frame into it (per bound ring), and how many bytes
	 * of the template change from one packet to the next.
	 */
	uint32_t	**filled;
	size_t		 hot_len;
	/* rxseq results */
	uint64_t	 seq_gaps, seq_lost, seq_ooo, seq_frag_err;
};

extern atomic_int pg_stop;

void	*pg_tx_body(void *);
void	*pg_rx_body(void *);
void	*pg_ping_body(void *);
void	*pg_pong_body(void *);
void	*pg_null_body(void *);

void	 pg_log(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif /* PKT_GEN_H */
