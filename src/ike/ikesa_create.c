/*
 * CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.17, 2.18) for one IKE SA: new
 * CHILD_SAs, rekeying of CHILD_SAs (make before break) and of the IKE SA
 * (the successor handed over through ops->ike_rekeyed, the children moved),
 * simultaneous rekeys (2.8.1, 2.8.2; the nonce tie-break of algorithms.md 8)
 * and the refusals (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, INVALID_KE_PAYLOAD,
 * NO_ADDITIONAL_SAS, CHILD_SA_NOT_FOUND, TEMPORARY_FAILURE), both roles.
 * Also where every CHILD_SA enters the table (child.h). Part of the engine
 * of ikesa.h.
 */
#include "ike/ikesa_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"

/* ---- CHILD_SAs in and out of the table ---- */

static uint16_t random_u16(struct ikesa *sa)
{
	uint8_t r[2];
	sa->ops->random(sa->arg, r, sizeof(r));
	return (uint16_t)(r[0] << 8 | r[1]);
}

/* Put a negotiated pair into sa's table and report it (child_up). cx: the
 * keys of the IKE SA the exchange ran on (SK_d, R7296-2.17.a); we_init: we
 * initiated that exchange; gir: its PFS secret or NULL. */
struct child_sa *isa_child_install(struct ikesa *sa, const struct ikesa_cx *cx, const struct ikesa_prop *esp,
				   uint16_t pfs_group,
				   uint32_t spi_in, uint32_t spi_out, bool transport, const struct ike_ts_list *tsi,
				   const struct ike_ts_list *tsr, bool we_init, const uint8_t *gir, size_t gir_len,
				   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint32_t rekey_of)
{
	struct ikesa_child ch;
	memset(&ch, 0, sizeof(ch));
	struct child_sa *c = child_slot(&sa->children);
	if (c == NULL || child_keep_ts(c, tsi, tsr) != 0 ||
	    child_keys(&ch, cx, esp, we_init, gir, gir_len, ni, ni_len, nr, nr_len) != 0) {
		LOG_ERR(LOG_SUB_IKE, "IKE SA %016llx: CHILD_SA %08x not installed (%s)",
			(unsigned long long)isa_be64(sa->spi_i), spi_in, c == NULL ? "table full" : "no keys");
		if (c != NULL) {
			free(c->ts);
			c->ts = NULL;
		}
		memset(&ch, 0, sizeof(ch));
		return NULL;
	}
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->suite = *esp;
	c->suite.dh = pfs_group;
	c->transport = transport;
	c->we_init = we_init;
	c->created_ms = sa->now_ms;
	child_timers(sa->now_ms, sa->p.child_lifetime_ms, sa->p.rekey_margin_ms, random_u16(sa), &c->rekey_at,
		     &c->expire_at);
	child_set_state(c, CHILD_INSTALLED);
	ch.initiator = we_init;
	ch.transport = transport;
	ch.udp_encap = sa->nat_local || sa->nat_remote;
	ch.spi_in = spi_in;
	ch.spi_out = spi_out;
	ch.tsi = *tsi;
	ch.tsr = *tsr;
	ch.peer_id = sa->peer_id;
	ch.path = sa->path;
	ch.rekey_of = rekey_of;
	ch.pfs_group = pfs_group;
	if (sa->ops->child_up != NULL)
		sa->ops->child_up(sa->arg, &ch);
	memset(&ch, 0, sizeof(ch));
	return c;
}

/* Children move to the SA that replaced this one (R7296-2.8.2.a): no
 * child_down, no child_up; a rekey of ours in flight is forgotten. */
void isa_children_move(struct ikesa *to, struct ikesa *from)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		struct child_sa *c = &from->children.c[i];
		if (c->state == CHILD_FREE)
			continue;
		struct child_sa *d = child_slot(&to->children);
		if (d == NULL)
			break;
		*d = *c;
		/* A rekey of ours still in flight on the old SA finishes into
		 * the new one (create_child_done); any other is forgotten. */
		bool in_flight = from->req_pending && from->req_kind == REQ_CREATE &&
				 from->pc.kind == CREATE_REKEY_CHILD && from->pc.old_spi_in == c->spi_in;
		if (d->state == CHILD_REKEYING && !in_flight)
			d->state = CHILD_INSTALLED;
		else if (d->state == CHILD_DELETING)
			d->state = CHILD_DELETE_WANTED; /* ask again on the new SA */
		memset(c, 0, sizeof(*c));
	}
	from->rekeyed_to = to;
}

/* ---- our requests ---- */

/* Can we start a CREATE_CHILD_SA now? (R7296-1.3.2.a: not on an IKE SA
 * being rekeyed; window of 1.) */
static int create_allowed(const struct ikesa *sa)
{
	if (sa->state != IKESA_ESTABLISHED || sa->rekeyed_to != NULL)
		return M6E_PROTO;
	if (sa->req_pending)
		return M6E_AGAIN;
	return 0;
}

/* Build and send our request from sa->pc: fresh Ni, a fresh KE if pc.dh. */
static int create_request(struct ikesa *sa, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	uint8_t pub[IKESA_MSG_MAX / 2];
	size_t pub_len = 0;
	ikesa_dh_free(pc->kex);
	pc->kex = NULL;
	if (pc->dh != 0) {
		int rc = ikesa_dh_new(&pc->kex, pc->dh, pub, sizeof(pub), &pub_len);
		if (rc != 0)
			return rc;
	}
	isa_random_bytes(sa->ops, sa->arg, pc->ni, sizeof(pc->ni));
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	if (pc->kind == CREATE_REKEY_IKE) {
		for (size_t i = 0; i < sa->p.n_ike; i++) {
			isa_fill_ike_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.ike[i]);
			sa_pl.prop[i].spi_size = IKE_SPI_LEN; /* R7296-1.3.2.a: the new SPIi */
			memcpy(sa_pl.prop[i].spi, pc->new_spi_ike, IKE_SPI_LEN);
		}
		sa_pl.n_prop = (uint8_t)sa->p.n_ike;
	} else {
		for (size_t i = 0; i < sa->p.n_esp; i++) {
			struct ike_proposal *pp = &sa_pl.prop[i];
			child_fill_esp(pp, (uint8_t)(i + 1), &sa->p.esp[i], pc->dh, pc->new_spi_in);
			/* R7296-1.3.a: the KE's group first, our other IKE groups
			 * after it, so a peer may ask for one of those instead. */
			for (size_t g = 0; pc->dh != 0 && g < sa->p.n_ike; g++)
				if (!child_xf_has(pp, XFORM_DH, sa->p.ike[g].dh, 0) && pp->n_xf < IKE_MAX_TRANSFORMS)
					child_add_xf(pp, XFORM_DH, sa->p.ike[g].dh, 0);
		}
		sa_pl.n_prop = (uint8_t)sa->p.n_esp;
	}
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	if (pc->kind == CREATE_REKEY_CHILD) { /* R7296-1.3.3.a: the SPI we receive on */
		uint8_t spi[4];
		isa_put_be32(spi, pc->old_spi_in);
		ike_build_notify(&b, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (pc->kind != CREATE_REKEY_IKE && pc->transport)
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, pc->ni, sizeof(pc->ni));
	if (pc->dh != 0)
		ike_build_ke(&b, pc->dh, pub, pub_len);
	if (pc->kind != CREATE_REKEY_IKE) {
		ike_build_ts(&b, IKE_PL_TSI, &pc->ts[0]);
		ike_build_ts(&b, IKE_PL_TSR, &pc->ts[1]);
	}
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = isa_send_request(sa, IKE_EXCH_CREATE_CHILD_SA, first, plain_len, now_ms);
	if (rc == 0)
		sa->req_kind = REQ_CREATE;
	return rc;
}

/* The KE group of a CREATE_CHILD_SA of ours: our ESP suite's if it names
 * one (policy), else the IKE SA's when PFS is wanted. */
static uint16_t pfs_group(const struct ikesa *sa, bool want)
{
	if (sa->p.n_esp > 0 && sa->p.esp[0].dh != 0)
		return sa->p.esp[0].dh;
	return want ? sa->suite.dh : 0;
}

static int pc_begin(struct ikesa *sa, enum create_kind kind)
{
	ikesa_dh_free(sa->pc.kex);
	isa_pc_release_ts(&sa->pc);
	memset(&sa->pc, 0, sizeof(sa->pc));
	sa->pc.kind = kind;
	if (kind != CREATE_REKEY_IKE) {
		sa->pc.ts = calloc(2, sizeof(*sa->pc.ts));
		if (sa->pc.ts == NULL)
			return M6E_NOMEM;
	}
	return 0;
}

int ikesa_create_child(struct ikesa *sa, const struct ikesa_child_req *req, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	if (sa->p.n_esp == 0 || req->tsi.n == 0 || req->tsr.n == 0)
		return M6E_INVAL;
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return M6E_NOSPACE;
	if (pc_begin(sa, CREATE_NEW_CHILD) != 0)
		return M6E_NOMEM;
	sa->pc.new_spi_in = isa_new_child_spi(sa);
	sa->pc.ts[0] = req->tsi;
	sa->pc.ts[1] = req->tsr;
	sa->pc.transport = req->transport;
	sa->pc.dh = pfs_group(sa, req->pfs);
	return create_request(sa, now_ms);
}

int isa_rekey_child_start(struct ikesa *sa, struct child_sa *c, uint64_t now_ms)
{
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return M6E_NOSPACE; /* the new pair needs a slot before the old one goes */
	if (pc_begin(sa, CREATE_REKEY_CHILD) != 0)
		return M6E_NOMEM;
	sa->pc.old_spi_in = c->spi_in;
	sa->pc.new_spi_in = isa_new_child_spi(sa);
	/* R7296-2.8.a: same selectors and mode as the pair it replaces; TSi
	 * is always the side of the exchange's initiator (RFC 7296 2.9). */
	if (c->we_init)
		child_ts_lists(c, &sa->pc.ts[0], &sa->pc.ts[1]);
	else
		child_ts_lists(c, &sa->pc.ts[1], &sa->pc.ts[0]);
	sa->pc.transport = c->transport;
	sa->pc.dh = pfs_group(sa, sa->p.pfs || c->suite.dh != 0);
	int rc = create_request(sa, now_ms);
	if (rc == 0)
		child_set_state(c, CHILD_REKEYING);
	return rc;
}

int ikesa_rekey_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	struct child_sa *c = child_by_spi_in(&sa->children, spi_in);
	if (c == NULL || c->state != CHILD_INSTALLED)
		return M6E_NOTFOUND;
	return isa_rekey_child_start(sa, c, now_ms);
}

int ikesa_rekey_ike(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (sa->ops->ike_rekeyed == NULL)
		return M6E_UNSUPP;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	pc_begin(sa, CREATE_REKEY_IKE); /* allocates nothing */
	isa_new_spi64(sa->ops, sa->arg, sa->pc.new_spi_ike);
	sa->pc.dh = sa->suite.dh; /* R7296-2.18.a: always a new DH */
	return create_request(sa, now_ms);
}

/* ---- the peer's requests (responder) ---- */

/* The payloads of a CREATE_CHILD_SA message (either direction). */
struct create_payloads {
	struct ike_sa sa;
	struct ike_span nonce;
	bool has_ke;
	struct ike_ke ke;
};

static int create_payloads(const struct ike_chain *c, struct create_payloads *cp)
{
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0), i_n = ike_chain_find(c, IKE_PL_NONCE, 0);
	int i_ke = ike_chain_find(c, IKE_PL_KE, 0);
	memset(cp, 0, sizeof(*cp));
	if (i_sa < 0 || i_n < 0)
		return M6E_NOTFOUND;
	if (ike_parse_sa(&c->pl[i_sa], &cp->sa, NULL) != 0 || ike_parse_nonce(&c->pl[i_n], &cp->nonce, NULL) != 0)
		return M6E_INVAL;
	cp->has_ke = i_ke >= 0;
	if (cp->has_ke && ike_parse_ke(&c->pl[i_ke], &cp->ke, NULL) != 0)
		return M6E_INVAL;
	return 0;
}

/* A fresh DH pair for the peer's KE: our KE data and g^ir. */
static int respond_dh(uint16_t group, const struct ike_ke *ke, uint8_t *pub, size_t *pub_len, uint8_t *gir,
		      size_t *gir_len)
{
	struct ikesa_dh *dh = NULL;
	if (ke->data.len != ikesa_cx_dh_public_len(group))
		return M6E_INVAL; /* R7296-3.4.a */
	int rc = ikesa_dh_new(&dh, group, pub, IKESA_MSG_MAX / 2, pub_len);
	if (rc == 0)
		rc = ikesa_dh_secret(dh, ke->data.ptr, ke->data.len, gir, gir_len, NULL);
	ikesa_dh_free(dh);
	return rc;
}

/* An error notify as the whole answer to a CREATE_CHILD_SA request. */
static int create_refuse(struct ikesa *sa, uint32_t msg_id, uint16_t type, const void *data, size_t len)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	sa->st.child_refused++;
	LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: CREATE_CHILD_SA refused: %s",
	       (unsigned long long)isa_be64(sa->spi_i), ike_notify_name(type));
	isa_inner_begin(sa, &b, &w);
	ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, type, data, len);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = isa_send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	return rc;
}

static int refuse_ke(struct ikesa *sa, uint32_t msg_id, uint16_t group)
{
	uint8_t g[2] = { (uint8_t)(group >> 8), (uint8_t)group }; /* R7296-1.3.a */
	return create_refuse(sa, msg_id, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
}

/* Responder: a new or rekeyed CHILD_SA (R7296-1.3.1, 1.3.3). */
static int on_create_child(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c,
			   const struct create_payloads *cp)
{
	struct child_sa *old = NULL;
	struct ike_notify n;
	if (ike_chain_find_notify(c, IKE_N_REKEY_SA, &n) == 0) {
		uint32_t spi = n.spi_size == 4 ? (uint32_t)n.spi[0] << 24 | (uint32_t)n.spi[1] << 16 |
							 (uint32_t)n.spi[2] << 8 | n.spi[3]
					       : 0;
		/* The initiator names its inbound SPI: our spi_out. */
		old = n.proto == IKE_PROTO_ESP ? child_by_spi_out(&sa->children, spi) : NULL;
		if (old == NULL) /* R7296-2.8.1.a: gone already; the sender ignores this */
			return create_refuse(sa, msg_id, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		/* Being closed or replaced already: try later (RFC 7296 2.25.1). */
		if (old->state != CHILD_INSTALLED && old->state != CHILD_REKEYING)
			return create_refuse(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return create_refuse(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	uint8_t num = 0;
	uint16_t ke_group = cp->has_ke ? cp->ke.group : 0, want = 0;
	int idx = child_select_esp(&cp->sa, sa->p.esp, sa->p.n_esp, ke_group, &num, &want);
	if (idx < 0 && want != 0)
		return refuse_ke(sa, msg_id, want);
	if (idx < 0)
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	const struct ikesa_prop *esp = &sa->p.esp[idx];
	uint32_t spi_peer = 0;
	for (unsigned i = 0; i < cp->sa.n_prop; i++)
		if (cp->sa.prop[i].num == num)
			spi_peer = child_spi32(&cp->sa.prop[i]);
	struct ike_ts_list ptsi, ptsr, tsi, tsr;
	if (child_parse_ts_pair(c, &ptsi, &ptsr) != 0)
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	bool transport = isa_has_notify(c, IKE_N_USE_TRANSPORT_MODE), asked = transport;
	memset(&tsi, 0, sizeof(tsi));
	memset(&tsr, 0, sizeof(tsr));
	if (sa->ops->ts_policy == NULL) {
		tsi = ptsi;
		tsr = ptsr;
	} else if (sa->ops->ts_policy(sa->arg, &sa->peer_id, &ptsi, &ptsr, &transport, &tsi, &tsr) != 0) {
		return create_refuse(sa, msg_id, IKE_N_TS_UNACCEPTABLE, NULL, 0); /* R3776-4.2.k */
	}
	if (!child_ts_subset(&tsi, &ptsi) || !child_ts_subset(&tsr, &ptsr)) /* R7296-2.9.a */
		return create_refuse(sa, msg_id, IKE_N_TS_UNACCEPTABLE, NULL, 0);
	transport = transport && asked; /* R7296-1.3.1.a */

	uint8_t pub[IKESA_MSG_MAX / 2], gir[IKESA_DH_SECRET_MAX], nr[IKESA_NONCE_LEN];
	size_t pub_len = 0, gir_len = 0;
	if (ke_group != 0 && respond_dh(ke_group, &cp->ke, pub, &pub_len, gir, &gir_len) != 0) {
		crypto_wipe(gir, sizeof(gir));
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	isa_random_bytes(sa->ops, sa->arg, nr, sizeof(nr));
	uint32_t spi_in = isa_new_child_spi(sa);
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	child_fill_esp(&sa_pl.prop[0], num, esp, ke_group, spi_in);
	sa_pl.n_prop = 1;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	if (transport)
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, nr, sizeof(nr));
	if (ke_group != 0)
		ike_build_ke(&b, ke_group, pub, pub_len);
	ike_build_ts(&b, IKE_PL_TSI, &tsi);
	ike_build_ts(&b, IKE_PL_TSR, &tsr);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0) /* R7296-2.8.b: inbound ready before the answer leaves; the adapter installs on child_up */
		rc = isa_send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	struct child_sa *made = NULL;
	if (rc == 0)
		made = isa_child_install(sa, sa->cx, esp, ke_group, spi_in, spi_peer, transport, &tsi, &tsr, false,
					 ke_group ? gir : NULL, gir_len, cp->nonce.ptr, cp->nonce.len, nr, sizeof(nr),
					 old != NULL ? old->spi_in : 0);
	crypto_wipe(gir, sizeof(gir));
	if (made == NULL)
		return rc != 0 ? rc : M6E_NOSPACE;
	sa->st.child_created++;
	if (old == NULL)
		return 0;
	sa->st.child_rekeyed++;
	struct child_collision *coll = &sa->pc.coll;
	if (old->state == CHILD_REKEYING && sa->req_pending && sa->req_kind == REQ_CREATE &&
	    sa->pc.kind == CREATE_REKEY_CHILD && sa->pc.old_spi_in == old->spi_in) {
		/* Both ends rekey this pair (R7296-2.8.1.a): settled when our
		 * own answer arrives. */
		coll->seen = true;
		coll->new_spi_in = spi_in;
		memcpy(coll->peer_ni, cp->nonce.ptr, cp->nonce.len);
		coll->peer_ni_len = cp->nonce.len;
		memcpy(coll->our_nr, nr, sizeof(nr));
		return 0;
	}
	child_set_state(old, CHILD_REKEYED); /* its Delete comes from the initiator */
	return 0;
}

/* A new IKE SA from a rekey: keys derived, ESTABLISHED, message IDs 0. */
static struct ikesa *ike_successor(struct ikesa *sa, bool we_init, const struct ikesa_prop *suite,
				   const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN], const uint8_t *gir,
				   size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct ikesa *n = isa_alloc(&sa->p, sa->ops, sa->arg, &sa->path, we_init);
	if (n == NULL)
		return NULL;
	memcpy(n->spi_i, spi_i, IKE_SPI_LEN);
	memcpy(n->spi_r, spi_r, IKE_SPI_LEN);
	n->suite = *suite;
	n->ni_len = ni_len;
	memcpy(n->ni, ni, ni_len);
	n->nr_len = nr_len;
	memcpy(n->nr, nr, nr_len);
	/* R7296-2.18.a: SKEYSEED from the old SK_d; R7296-1.3.2.a: the rekey's
	 * initiator is the new original initiator. */
	if (ikesa_cx_derive_rekey(n->cx, sa->cx, suite->encr, suite->key_bits, suite->integ, suite->prf, gir, gir_len,
				  ni, ni_len, nr, nr_len, spi_i, spi_r, we_init) != 0) {
		ikesa_free(n);
		return NULL;
	}
	n->peer_id = sa->peer_id;
	n->nat_local = sa->nat_local;
	n->nat_remote = sa->nat_remote;
	n->peer_frag = sa->peer_frag;
	n->last_heard = sa->now_ms;
	n->now_ms = sa->now_ms;
	ikesa_set_state(n, IKESA_ESTABLISHED);
	return n;
}

/* Responder: the peer rekeys the IKE SA (R7296-1.3.2.a). */
static int on_create_ike(struct ikesa *sa, uint32_t msg_id, const struct create_payloads *cp)
{
	if (sa->ops->ike_rekeyed == NULL)
		return create_refuse(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	if (!cp->has_ke) /* R7296-2.18.a */
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	uint8_t num = 0;
	int idx = isa_select_prop(&cp->sa, sa->p.ike, sa->p.n_ike, false, cp->ke.group, &num);
	const struct ike_proposal *pp = NULL;
	for (unsigned i = 0; idx >= 0 && i < cp->sa.n_prop; i++)
		if (cp->sa.prop[i].num == num)
			pp = &cp->sa.prop[i];
	if (pp == NULL || pp->spi_size != IKE_SPI_LEN || isa_spi_zero(pp->spi))
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	const struct ikesa_prop *suite = &sa->p.ike[idx];
	if (suite->dh != cp->ke.group)
		return refuse_ke(sa, msg_id, suite->dh);
	uint8_t pub[IKESA_MSG_MAX / 2], gir[IKESA_DH_SECRET_MAX], nr[IKESA_NONCE_LEN], spi_r[IKE_SPI_LEN];
	size_t pub_len = 0, gir_len = 0;
	int rc = respond_dh(suite->dh, &cp->ke, pub, &pub_len, gir, &gir_len);
	if (rc != 0) {
		crypto_wipe(gir, sizeof(gir));
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	isa_random_bytes(sa->ops, sa->arg, nr, sizeof(nr));
	isa_new_spi64(sa->ops, sa->arg, spi_r);
	struct ikesa *n = ike_successor(sa, false, suite, pp->spi, spi_r, gir, gir_len, cp->nonce.ptr, cp->nonce.len,
					nr, sizeof(nr));
	crypto_wipe(gir, sizeof(gir));
	if (n == NULL)
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	isa_fill_ike_prop(&sa_pl.prop[0], num, suite);
	sa_pl.prop[0].spi_size = IKE_SPI_LEN;
	memcpy(sa_pl.prop[0].spi, spi_r, IKE_SPI_LEN);
	sa_pl.n_prop = 1;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, nr, sizeof(nr));
	ike_build_ke(&b, suite->dh, pub, pub_len);
	rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = isa_send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	if (rc != 0) {
		ikesa_free(n);
		return rc;
	}
	bool colliding = sa->req_pending && sa->req_kind == REQ_CREATE && sa->pc.kind == CREATE_REKEY_IKE;
	if (colliding) { /* R7296-2.8.2.a: children stay until our own answer settles it */
		sa->ike_coll_seen = true;
		sa->ike_coll.new_sa = n;
		memcpy(sa->ike_coll.peer_ni, cp->nonce.ptr, cp->nonce.len);
		sa->ike_coll.peer_ni_len = cp->nonce.len;
		memcpy(sa->ike_coll.our_nr, nr, sizeof(nr));
	} else {
		isa_children_move(n, sa);
	}
	LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: rekeyed by the peer into %016llx/%016llx%s",
		 (unsigned long long)isa_be64(sa->spi_i), (unsigned long long)isa_be64(n->spi_i),
		 (unsigned long long)isa_be64(n->spi_r), colliding ? " (collision)" : "");
	sa->ops->ike_rekeyed(sa->arg, sa, n);
	return 0;
}

int isa_on_create_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	struct create_payloads cp;
	/* R7296-2.8.2.a: an SA already replaced or being deleted takes no more. */
	if (sa->state != IKESA_ESTABLISHED || sa->rekeyed_to != NULL)
		return create_refuse(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	if (create_payloads(c, &cp) != 0 || cp.sa.n_prop == 0)
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (cp.sa.prop[0].proto == IKE_PROTO_IKE)
		return on_create_ike(sa, msg_id, &cp);
	return on_create_child(sa, msg_id, c, &cp);
}

/* ---- the answers to ours (initiator) ---- */

/* Initiator: a collision of CHILD_SA rekeys settled (R7296-2.8.1.a). old
 * may be gone already (the peer won and its Delete came first). */
static void child_collision(struct ikesa *sa, struct child_sa *old, struct child_sa *ours, const uint8_t *nr,
			    size_t nr_len)
{
	struct child_collision *coll = &sa->pc.coll;
	bool we_lose = ikesa_cx_rekey_we_lose(sa->pc.ni, sizeof(sa->pc.ni), nr, nr_len, coll->peer_ni,
					      coll->peer_ni_len, coll->our_nr, sizeof(coll->our_nr));
	LOG_INFO(LOG_SUB_IKE, "CHILD_SA %08x: rekey collision, %s pair %08x survives", sa->pc.old_spi_in,
		 we_lose ? "the peer's" : "our", we_lose ? coll->new_spi_in : ours->spi_in);
	sa->st.collisions++;
	coll->seen = false;
	if (we_lose) {
		/* Ours is redundant: we created it, we delete it; the peer,
		 * initiator of the survivor, deletes the old pair. */
		child_set_state(ours, CHILD_DELETE_WANTED);
		if (old != NULL)
			child_set_state(old, CHILD_REKEYED);
	} else if (old != NULL) {
		child_set_state(old, CHILD_DELETE_WANTED); /* the peer deletes its redundant pair */
	}
}

/* A rekey or creation of ours ended without a new pair. */
static void create_failed(struct ikesa *sa, uint16_t notify)
{
	struct pending_create *pc = &sa->pc;
	struct ikesa *home = sa->rekeyed_to != NULL ? sa->rekeyed_to : sa;
	if (pc->kind == CREATE_NEW_CHILD) {
		if (sa->ops->child_failed != NULL)
			sa->ops->child_failed(sa->arg, sa, notify);
		return;
	}
	if (pc->kind == CREATE_REKEY_IKE) {
		if (sa->ike_coll_seen) { /* the peer's rekey survives alone */
			sa->ike_coll_seen = false;
			isa_children_move(sa->ike_coll.new_sa, sa);
		} else {
			sa->ike_rekey_at = sa->now_ms + IKESA_REKEY_RETRY_MS;
		}
		return;
	}
	struct child_sa *old = child_by_spi_in(&home->children, pc->old_spi_in);
	if (old == NULL || old->state != CHILD_REKEYING)
		return; /* R7296-2.8.1.a: CHILD_SA_NOT_FOUND for a pair gone meanwhile is ignored */
	if (pc->coll.seen) { /* the peer's rekey of it survives alone */
		pc->coll.seen = false;
		child_set_state(old, CHILD_REKEYED);
		return;
	}
	child_set_state(old, CHILD_INSTALLED);
	old->rekey_at = sa->now_ms + IKESA_REKEY_RETRY_MS < old->expire_at ? sa->now_ms + IKESA_REKEY_RETRY_MS
									      : IKESA_NEVER;
	if (notify != IKE_N_CHILD_SA_NOT_FOUND && sa->ops->child_failed != NULL)
		sa->ops->child_failed(sa->arg, sa, notify);
}

/* Initiator: the answer to our CHILD_SA creation or rekey. 0 with the
 * pair installed, else the notify to report (0: malformed answer). */
static uint16_t create_child_done(struct ikesa *sa, const struct ike_chain *c, const struct create_payloads *cp)
{
	struct pending_create *pc = &sa->pc;
	struct ikesa *home = sa->rekeyed_to != NULL ? sa->rekeyed_to : sa;
	struct ike_ts_list tsi, tsr;
	int idx = child_check_esp(&cp->sa, sa->p.esp, sa->p.n_esp, pc->dh);
	bool transport = isa_has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	/* R7296-2.9.a: narrowing only; R7296-1.3.1.a: no transport unasked. */
	if (idx < 0 || child_spi32(&cp->sa.prop[0]) < 256 || child_parse_ts_pair(c, &tsi, &tsr) != 0 ||
	    pc->ts == NULL || !child_ts_subset(&tsi, &pc->ts[0]) || !child_ts_subset(&tsr, &pc->ts[1]) ||
	    (transport && !pc->transport) ||
	    cp->has_ke != (pc->dh != 0) || (cp->has_ke && cp->ke.group != pc->dh))
		return 0;
	uint8_t gir[IKESA_DH_SECRET_MAX];
	size_t gir_len = 0;
	if (pc->dh != 0 && ikesa_dh_secret(pc->kex, cp->ke.data.ptr, cp->ke.data.len, gir, &gir_len, NULL) != 0) {
		crypto_wipe(gir, sizeof(gir));
		return 0;
	}
	struct child_sa *made = isa_child_install(home, sa->cx, &sa->p.esp[idx], pc->dh, pc->new_spi_in,
						  child_spi32(&cp->sa.prop[0]), transport, &tsi, &tsr, true,
						  pc->dh ? gir : NULL, gir_len, pc->ni, sizeof(pc->ni), cp->nonce.ptr,
						  cp->nonce.len, pc->kind == CREATE_REKEY_CHILD ? pc->old_spi_in : 0);
	crypto_wipe(gir, sizeof(gir));
	if (made == NULL)
		return IKE_N_NO_ADDITIONAL_SAS;
	sa->st.child_created++;
	if (pc->kind != CREATE_REKEY_CHILD)
		return 0;
	sa->st.child_rekeyed++;
	struct child_sa *old = child_by_spi_in(&home->children, pc->old_spi_in);
	if (old != NULL && old->state != CHILD_REKEYING)
		old = NULL; /* being deleted meanwhile */
	if (pc->coll.seen)
		child_collision(sa, old, made, cp->nonce.ptr, cp->nonce.len);
	else if (old != NULL)
		child_set_state(old, CHILD_DELETE_WANTED); /* make before break: new pair up first */
	return 0;
}

/* Initiator: the answer to our IKE SA rekey (R7296-1.3.2.a, 2.8.2.a). */
static bool create_ike_done(struct ikesa *sa, const struct create_payloads *cp, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	int idx = isa_check_chosen(&cp->sa, sa->p.ike, sa->p.n_ike, false);
	if (idx < 0 || cp->sa.prop[0].spi_size != IKE_SPI_LEN || isa_spi_zero(cp->sa.prop[0].spi) || !cp->has_ke ||
	    cp->ke.group != pc->dh || sa->p.ike[idx].dh != pc->dh)
		return false;
	uint8_t gir[IKESA_DH_SECRET_MAX];
	size_t gir_len = 0;
	struct ikesa *n = NULL;
	if (ikesa_dh_secret(pc->kex, cp->ke.data.ptr, cp->ke.data.len, gir, &gir_len, NULL) == 0)
		n = ike_successor(sa, true, &sa->p.ike[idx], pc->new_spi_ike, cp->sa.prop[0].spi, gir, gir_len, pc->ni,
				  sizeof(pc->ni), cp->nonce.ptr, cp->nonce.len);
	crypto_wipe(gir, sizeof(gir));
	if (n == NULL)
		return false;
	bool we_lose = false;
	if (sa->ike_coll_seen) {
		we_lose = ikesa_cx_rekey_we_lose(pc->ni, sizeof(pc->ni), cp->nonce.ptr, cp->nonce.len,
						 sa->ike_coll.peer_ni, sa->ike_coll.peer_ni_len, sa->ike_coll.our_nr,
						 sizeof(sa->ike_coll.our_nr));
		sa->st.collisions++;
		sa->ike_coll_seen = false;
		LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: rekey collision, %s new SA survives",
			 (unsigned long long)isa_be64(sa->spi_i), we_lose ? "the peer's" : "our");
	}
	isa_children_move(we_lose ? sa->ike_coll.new_sa : n, sa);
	sa->ops->ike_rekeyed(sa->arg, sa, n);
	if (we_lose && isa_buffers_work(n) == 0) /* ours is redundant: we created it, we delete it; the peer deletes this one */
		isa_info_request(n, true, now_ms);
	else /* R7296-2.8.a: the Delete of the old IKE SA is its last request */
		isa_info_request(sa, true, now_ms);
	return true;
}

/* A group our CREATE_CHILD_SA offered: one of our IKE suites' (create_request). */
static bool ke_group_offered(const struct ikesa *sa, uint16_t group)
{
	for (size_t i = 0; i < sa->p.n_ike; i++)
		if (sa->p.ike[i].dh == group)
			return true;
	return false;
}

int isa_on_create_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	struct create_payloads cp;
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_parse_notify(&c->pl[i], &n, NULL) != 0 ||
		    !ike_notify_is_error(n.type))
			continue;
		uint16_t group = 0;
		/* R7296-1.3.a: once more with the group the peer names, if ours. */
		if (n.type == IKE_N_INVALID_KE_PAYLOAD && ike_notify_invalid_ke_group(&n, &group) == 0 &&
		    pc->dh != 0 && group != pc->dh && pc->ke_retries == 0 && ke_group_offered(sa, group)) {
			pc->ke_retries++;
			pc->dh = group;
			if (create_request(sa, now_ms) == 0)
				return 0;
		}
		create_failed(sa, n.type);
		return 0;
	}
	bool ok;
	if (create_payloads(c, &cp) != 0)
		ok = false;
	else if (pc->kind == CREATE_REKEY_IKE)
		ok = create_ike_done(sa, &cp, now_ms);
	else
		ok = create_child_done(sa, c, &cp) == 0;
	if (!ok)
		create_failed(sa, 0);
	return 0;
}
