// SPDX-License-Identifier: BSD-2-Clause
/*
 * nm_ctrl.c: NIOCCTRL, the control request of netmap API 14.
 *
 * A request is an 88-byte header (copied by the host), a body whose size
 * is fixed by the request type, and a user-space linked list of options.
 * Copy-in follows spec 2.7 to the letter, because applications and the
 * upstream test-suite observe it: one bounded buffer holds the body and
 * every option, so a long list, or one that loops through unknown types,
 * ends in EMSGSIZE; each option starts as EOPNOTSUPP and its handler sets
 * 0 or an errno; a zero type or a duplicate type is EINVAL and ends the
 * walk there; unknown types are copied (header only) and left EOPNOTSUPP.
 * Copy-out always writes every option header back, and option and
 * request bodies only on success.
 */
#include "nm_core.h"

/* Upstream's buffer: 2 saved pointers, body, option table, options. */
#define NM_REQ_BUFSZ	((2 + NETMAP_REQ_OPT_MAX) * 8 + NETMAP_REQ_MAXSIZE + \
			 NETMAP_REQ_OPT_MAX * 8)
#define NM_REQ_MAXOPTS	(NM_REQ_BUFSZ / (8 + sizeof(struct nmreq_option)))

struct nm_req_opt {
	struct nmreq_option *opt;	/* kernel copy */
	uint64_t uptr;			/* where it came from */
	uint64_t unext;			/* its original nro_next */
	uint32_t bodysz;		/* body bytes copied, 0 if none */
};

struct nm_req_buf {
	uint8_t area[NM_REQ_BUFSZ];
	struct nm_req_opt ent[NM_REQ_MAXOPTS];
	uint32_t nent;
};

static const uint16_t nm_body_size[] = {
	[NETMAP_REQ_REGISTER] = sizeof(struct nmreq_register),
	[NETMAP_REQ_PORT_INFO_GET] = sizeof(struct nmreq_port_info_get),
	[NETMAP_REQ_VALE_ATTACH] = sizeof(struct nmreq_vale_attach),
	[NETMAP_REQ_VALE_DETACH] = sizeof(struct nmreq_vale_detach),
	[NETMAP_REQ_VALE_LIST] = sizeof(struct nmreq_vale_list),
	[NETMAP_REQ_PORT_HDR_SET] = sizeof(struct nmreq_port_hdr),
	[NETMAP_REQ_PORT_HDR_GET] = sizeof(struct nmreq_port_hdr),
	[NETMAP_REQ_VALE_NEWIF] = sizeof(struct nmreq_vale_newif),
	[NETMAP_REQ_VALE_DELIF] = 0,
	[NETMAP_REQ_VALE_POLLING_ENABLE] = sizeof(struct nmreq_vale_polling),
	[NETMAP_REQ_VALE_POLLING_DISABLE] = sizeof(struct nmreq_vale_polling),
	[NETMAP_REQ_POOLS_INFO_GET] = sizeof(struct nmreq_pools_info),
	[NETMAP_REQ_SYNC_KLOOP_START] = sizeof(struct nmreq_sync_kloop_start),
	[NETMAP_REQ_SYNC_KLOOP_STOP] = 0,
	[NETMAP_REQ_CSB_ENABLE] = 0,
};
#define NM_REQ_TYPES	(sizeof(nm_body_size) / sizeof(nm_body_size[0]))

/* Body bytes that follow an option's 24-byte header, by type. */
static uint64_t
nm_opt_body_size(uint32_t type, uint64_t nro_size)
{
	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return sizeof(struct nmreq_opt_extmem) -
		    sizeof(struct nmreq_option);
	case NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS:
		return (nro_size > sizeof(struct nmreq_option) ? nro_size :
		    sizeof(struct nmreq_option)) - sizeof(struct nmreq_option);
	case NETMAP_REQ_OPT_CSB:
		return sizeof(struct nmreq_opt_csb) -
		    sizeof(struct nmreq_option);
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return sizeof(struct nmreq_opt_sync_kloop_mode) -
		    sizeof(struct nmreq_option);
	case NETMAP_REQ_OPT_OFFSETS:
		return sizeof(struct nmreq_opt_offsets) -
		    sizeof(struct nmreq_option);
	default:
		return 0;
	}
}

/*
 * Copy the option list in. Returns 0, or the request's errno; on error the
 * options copied so far are still in `rb` so that their status goes back.
 */
static int
nm_opts_copyin(struct nm_req *req, struct nm_req_buf *rb, uint64_t pos,
    uint64_t rqsz)
{
	uint64_t next = req->hdr->nr_options;

	while (next != 0) {
		struct nm_req_opt *e;
		struct nmreq_option *opt;
		uint64_t optsz;
		int cerr;

		if (pos + 8 + sizeof(*opt) > NM_REQ_BUFSZ ||
		    rb->nent == NM_REQ_MAXOPTS)
			return EMSGSIZE;
		opt = (struct nmreq_option *)(rb->area + pos + 8);
		pos += 8 + sizeof(*opt);
		rqsz += sizeof(*opt);
		cerr = nm_os_copyin(req->uctx, opt, next, sizeof(*opt));
		if (cerr)
			return cerr;
		e = &rb->ent[rb->nent++];
		e->opt = opt;
		e->uptr = next;
		e->unext = opt->nro_next;
		next = opt->nro_next;
		opt->nro_status = EOPNOTSUPP;
		/*
		 * A zero or a repeated type ends the walk, as upstream's
		 * does: nothing after it is read, so a known type that
		 * loops on itself answers EINVAL, not EMSGSIZE.
		 */
		if (opt->nro_reqtype == 0) {
			opt->nro_status = EINVAL;
			return EINVAL;
		}
		if (opt->nro_reqtype >= NETMAP_REQ_OPT_MAX) {
			/* stays EOPNOTSUPP: fails a REGISTER (spec 2.7) */
			req->opt_unknown = true;
			continue;
		}
		if (req->opt[opt->nro_reqtype] != NULL) {
			opt->nro_status = EINVAL;
			req->opt[opt->nro_reqtype]->nro_status = EINVAL;
			return EINVAL;
		}
		req->opt[opt->nro_reqtype] = opt;
		optsz = nm_opt_body_size(opt->nro_reqtype, opt->nro_size);
		if (optsz > NETMAP_REQ_MAXSIZE ||
		    opt->nro_size > NETMAP_REQ_MAXSIZE ||
		    rqsz + optsz > NETMAP_REQ_MAXSIZE ||
		    pos + optsz > NM_REQ_BUFSZ)
			return EMSGSIZE;
		rqsz += optsz;
		if (optsz) {
			cerr = nm_os_copyin(req->uctx, opt + 1,
			    e->uptr + sizeof(*opt), optsz);
			if (cerr)
				return cerr;
			e->bodysz = (uint32_t)optsz;
			pos += optsz;
		}
	}
	return 0;
}

static void
nm_req_copyout(struct nm_req *req, struct nm_req_buf *rb, uint32_t bodysz,
    int rerror)
{
	uint32_t i;

	for (i = 0; i < rb->nent; i++) {
		struct nm_req_opt *e = &rb->ent[i];

		e->opt->nro_next = e->unext;
		nm_os_copyout(req->uctx, e->uptr, e->opt, sizeof(*e->opt));
		if (rerror == 0 && e->opt->nro_status == 0 && e->bodysz)
			nm_os_copyout(req->uctx, e->uptr + sizeof(*e->opt),
			    e->opt + 1, e->bodysz);
	}
	if (rerror == 0 && bodysz)
		nm_os_copyout(req->uctx, req->hdr->nr_body, req->body, bodysz);
}

static int
nm_ctrl_dispatch(struct nm_priv *priv, struct nm_req *req)
{
	int error;

	switch (req->hdr->nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		return nm_register_req(priv, req);
	case NETMAP_REQ_VALE_LIST:
		return nm_vale_list(req);
	case NETMAP_REQ_VALE_ATTACH:
		return nm_vale_attach(req);
	default:
		break;
	}
	nm_os_mutex_lock(nm_core.lock);
	switch (req->hdr->nr_reqtype) {
	case NETMAP_REQ_PORT_INFO_GET:
		error = nm_port_info_get(req);
		break;
	case NETMAP_REQ_POOLS_INFO_GET:
		error = nm_pools_info_get(req);
		break;
	case NETMAP_REQ_PORT_HDR_SET:
		error = nm_port_hdr(req, true);
		break;
	case NETMAP_REQ_PORT_HDR_GET:
		error = nm_port_hdr(req, false);
		break;
	case NETMAP_REQ_VALE_NEWIF:
		error = nm_vale_newif(req);
		break;
	case NETMAP_REQ_VALE_DELIF:
		error = nm_vale_delif(req);
		break;
	case NETMAP_REQ_VALE_DETACH:
		error = nm_vale_detach(req);
		break;
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		error = nm_vale_polling(req, req->hdr->nr_reqtype ==
		    NETMAP_REQ_VALE_POLLING_ENABLE);
		break;
	case NETMAP_REQ_CSB_ENABLE:
		error = req->opt[NETMAP_REQ_OPT_CSB] == NULL ? EINVAL :
		    EOPNOTSUPP;
		break;
	default:
		/* kloop and CSB need host services the core has not */
		error = EOPNOTSUPP;
		break;
	}
	nm_os_mutex_unlock(nm_core.lock);
	return error;
}

int
nm_ctrl(struct nm_priv *priv, struct nmreq_header *hdr, void *uctx)
{
	struct nm_req req = { .hdr = hdr, .uctx = uctx };
	struct nm_req_buf *rb;
	uint32_t bodysz;
	int error;

	hdr->nr_name[sizeof(hdr->nr_name) - 1] = '\0';
	if (hdr->nr_version < NETMAP_MIN_API ||
	    hdr->nr_version > NETMAP_MAX_API || hdr->nr_reserved != 0 ||
	    hdr->nr_reqtype == 0 || hdr->nr_reqtype >= NM_REQ_TYPES)
		return EINVAL;
	bodysz = nm_body_size[hdr->nr_reqtype];
	if ((bodysz == 0) != (hdr->nr_body == 0))
		return EINVAL;
	rb = nm_os_malloc(sizeof(*rb));
	if (rb == NULL)
		return ENOMEM;
	req.body = rb->area + 16;
	if (bodysz) {
		error = nm_os_copyin(uctx, req.body, hdr->nr_body, bodysz);
		if (error)
			goto out;
	}
	error = nm_opts_copyin(&req, rb,
	    16 + bodysz + NETMAP_REQ_OPT_MAX * 8, bodysz);
	if (error == 0)
		error = nm_ctrl_dispatch(priv, &req);
	nm_req_copyout(&req, rb, bodysz, error);
out:
	nm_os_free(rb);
	return error;
}
