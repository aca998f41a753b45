/*
 * IKE_AUTH (RFC 7296 1.2, 2.15, 2.21.2) for one IKE SA, both roles: our AUTH
 * payload (PSK, or a signature through ikeauth.h), the check of the peer's,
 * the first CHILD_SA inside the exchange (proposal, traffic selectors
 * narrowed by ops->ts_policy, 2.9; transport mode only if asked, 1.3.1) and
 * the AUTHENTICATION_FAILED notifications either way (2.21.2). Part of the
 * engine of ikesa.h.
 */
#include "ike/ikesa_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"

/* ---- identities, proposals and selectors of the first CHILD_SA ---- */

static void id_body(const struct ikesa_id *id, uint8_t *out, size_t *len)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	*len = 4u + id->len;
}

static int id_from_wire(const struct ike_id *w, struct ikesa_id *id)
{
	if (w->data.len > IKESA_ID_MAX || w->data.len == 0)
		return M6E_RANGE;
	memset(id, 0, sizeof(*id));
	id->type = w->type;
	id->len = (uint8_t)w->data.len;
	memcpy(id->data, w->data.ptr, w->data.len);
	return 0;
}

static uint32_t spi32(const struct ike_proposal *pp)
{
	return child_spi32(pp);
}

/* IKE_AUTH children carry no DH (R7296-1.2). */
static void fill_esp_prop(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o, uint32_t spi)
{
	child_fill_esp(pp, num, o, 0, spi);
}

static bool ts_subset(const struct ike_ts_list *narrowed, const struct ike_ts_list *proposed)
{
	return child_ts_subset(narrowed, proposed);
}

static int parse_ts_pair(const struct ike_chain *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr)
{
	return child_parse_ts_pair(c, tsi, tsr);
}

static int find_parse_id(const struct ike_chain *c, uint8_t type, struct ike_id *id)
{
	int i = ike_chain_find(c, type, 0);
	return i < 0 ? M6E_NOTFOUND : ike_parse_id(&c->pl[i], id, NULL);
}

static int find_parse_auth(const struct ike_chain *c, struct ike_auth *a)
{
	int i = ike_chain_find(c, IKE_PL_AUTH, 0);
	return i < 0 ? M6E_NOTFOUND : ike_parse_auth(&c->pl[i], a, NULL);
}

/* ---- AUTH payloads (R7296-2.15), ours and the peer's ---- */

/* The PSK for a peer; an empty one is none (then certificates). */
static const uint8_t *psk_lookup(struct ikesa *sa, const struct ikesa_id *id, size_t *len)
{
	*len = 0;
	const uint8_t *psk = sa->ops->psk_for(sa->arg, id, len);
	return *len > 0 ? psk : NULL;
}

/* Our AUTH payload over our signed octets (R7296-2.15): with the PSK, or
 * without one our certificate's key (ikeauth.h picks the method). */
static int our_auth(struct ikesa *sa, const uint8_t *psk, size_t psk_len, uint8_t *method, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	uint8_t idb[4 + IKESA_ID_MAX];
	size_t idb_len;
	int rc;
	id_body(&sa->p.local_id, idb, &idb_len);
	const uint8_t *msg = sa->initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = sa->initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = sa->initiator ? sa->nr : sa->ni;
	size_t nonce_len = sa->initiator ? sa->nr_len : sa->ni_len;
	if (psk == NULL) {
		struct ike_signed_octets so;
		rc = ikesa_cx_signed_octets(sa->cx, sa->initiator, msg, msg_len, nonce, nonce_len, idb, idb_len, &so);
		if (rc == 0)
			rc = ikeauth_sign(sa->p.cred, sa->hashes_ok, sa->peer_hashes, &so, method, out, cap, out_len);
		crypto_wipe(&so, sizeof(so));
	} else {
		*method = IKE_AUTH_PSK;
		rc = cap < IKESA_CX_AUTH_MAX ? M6E_NOSPACE
					     : ikesa_cx_auth_psk(sa->cx, sa->initiator, psk, psk_len, msg, msg_len,
								 nonce, nonce_len, idb, idb_len, out, out_len);
	}
	sa->our_auth_method = rc == 0 ? *method : 0;
	return rc;
}

/* The peer's certificate, ID and signature AUTH (R7296-1.2.a). */
static int peer_cert_ok(struct ikesa *sa, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a)
{
	struct ike_signed_octets so;
	char reason[96];
	int rc = sa->initiator ? ikesa_cx_signed_octets(sa->cx, false, sa->init_resp, sa->init_resp_len, sa->ni,
							sa->ni_len, id->rest.ptr, id->rest.len, &so)
			       : ikesa_cx_signed_octets(sa->cx, true, sa->init_req, sa->init_req_len, sa->nr,
							sa->nr_len, id->rest.ptr, id->rest.len, &so);
	if (rc == 0)
		rc = ikeauth_verify_peer(sa->p.cred, c, id, a, &so, &sa->auth_fail, reason, sizeof(reason));
	crypto_wipe(&so, sizeof(so));
	if (rc != 0)
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: peer certificate AUTH (%s) failed: %s%s%s",
		       (unsigned long long)isa_be64(sa->spi_i), ike_auth_method_name(a->method),
		       ikeauth_fail_name(sa->auth_fail), reason[0] ? ": " : "", reason);
	return rc != 0 ? M6E_AUTH : 0;
}

/* The peer's AUTH: with the PSK we hold for it (constant-time compare
 * inside ike_crypto), or without one by certificate. */
static int peer_auth_ok(struct ikesa *sa, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a, const uint8_t *psk, size_t psk_len)
{
	sa->peer_auth_method = a->method;
	if (psk == NULL && sa->p.cred != NULL)
		return peer_cert_ok(sa, c, id, a);
	if (a->method != IKE_AUTH_PSK || psk == NULL || psk_len < IKESA_PSK_MIN)
		return M6E_AUTH;
	if (sa->initiator) /* the responder signed its IKE_SA_INIT response and Ni */
		return ikesa_cx_auth_psk_check(sa->cx, false, psk, psk_len, sa->init_resp, sa->init_resp_len, sa->ni,
					       sa->ni_len, id->rest.ptr, id->rest.len, a->data.ptr, a->data.len);
	return ikesa_cx_auth_psk_check(sa->cx, true, psk, psk_len, sa->init_req, sa->init_req_len, sa->nr, sa->nr_len,
				       id->rest.ptr, id->rest.len, a->data.ptr, a->data.len);
}

/* ---- the exchange, both roles ---- */

/* The first CHILD_SA, negotiated inside IKE_AUTH. */
static void child_report(struct ikesa *sa, const struct ikesa_prop *esp, uint32_t spi_peer, bool transport,
			 const struct ike_ts_list *tsi, const struct ike_ts_list *tsr)
{
	isa_child_install(sa, sa->cx, esp, 0, sa->child_spi_in, spi_peer, transport, tsi, tsr, sa->initiator, NULL, 0, sa->ni,
			  sa->ni_len, sa->nr, sa->nr_len, 0);
}

/* Initiator: the IKE_AUTH request with the first CHILD_SA (R7296-1.2). */
int isa_auth_request(struct ikesa *sa, uint64_t now_ms)
{
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &sa->p.remote_id, &psk_len);
	uint8_t auth[IKEAUTH_SIG_MAX];
	size_t auth_len = 0;
	uint8_t method = 0;
	if (psk == NULL && !ikeauth_cred_can_sign(sa->p.cred))
		return M6E_AUTH;
	if (our_auth(sa, psk, psk_len, &method, auth, sizeof(auth), &auth_len) != 0)
		return M6E_AUTH;
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	sa->child_spi_in = isa_new_child_spi(sa);
	for (size_t i = 0; i < sa->p.n_esp; i++)
		fill_esp_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.esp[i], sa->child_spi_in);
	sa_pl.n_prop = (uint8_t)sa->p.n_esp;

	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	ike_build_id(&b, IKE_PL_IDI, sa->p.local_id.type, sa->p.local_id.data, sa->p.local_id.len);
	if (psk == NULL) /* R7296-1.2.a: IDi, [CERT+], [CERTREQ], [IDr], AUTH */
		ikeauth_build_certs(sa->p.cred, &b);
	ikeauth_build_certreq(sa->p.cred, &b);
	if (sa->p.remote_id.type != 0)
		ike_build_id(&b, IKE_PL_IDR, sa->p.remote_id.type, sa->p.remote_id.data, sa->p.remote_id.len);
	ike_build_auth(&b, method, auth, auth_len);
	if (sa->p.n_esp > 0) {
		if (sa->p.transport)
			ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
		ike_build_sa(&b, &sa_pl);
		ike_build_ts(&b, IKE_PL_TSI, &sa->p.tsi);
		ike_build_ts(&b, IKE_PL_TSR, &sa->p.tsr);
	}
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	memset(auth, 0, sizeof(auth));
	if (rc != 0)
		return rc;
	return isa_send_request(sa, IKE_EXCH_AUTH, first, plain_len, now_ms);
}

/* Responder: decide the first CHILD_SA. Returns the notify to refuse it
 * with, or 0 with *esp, *tsi, *tsr, *transport filled. */
static uint16_t child_decide(struct ikesa *sa, const struct ike_chain *c, const struct ikesa_prop **esp,
			     uint32_t *spi_peer, uint8_t *num, struct ike_ts_list *tsi, struct ike_ts_list *tsr,
			     bool *transport)
{
	struct ike_sa peer;
	struct ike_ts_list ptsi, ptsr;
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0);
	if (i_sa < 0 || ike_parse_sa(&c->pl[i_sa], &peer, NULL) != 0 || parse_ts_pair(c, &ptsi, &ptsr) != 0)
		return IKE_N_INVALID_SYNTAX;
	int idx = isa_select_prop(&peer, sa->p.esp, sa->p.n_esp, true, 0, num);
	if (idx < 0)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	*esp = &sa->p.esp[idx];
	for (unsigned i = 0; i < peer.n_prop; i++)
		if (peer.prop[i].num == *num)
			*spi_peer = spi32(&peer.prop[i]);
	*transport = isa_has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	bool asked = *transport;
	if (sa->ops->ts_policy == NULL) {
		*tsi = ptsi;
		*tsr = ptsr;
	} else if (sa->ops->ts_policy(sa->arg, &sa->peer_id, &ptsi, &ptsr, transport, tsi, tsr) != 0) {
		return IKE_N_TS_UNACCEPTABLE; /* R3776-4.2.k, RFC 4877 4.4 */
	}
	/* R7296-2.9.a: narrowing only; transport only if asked (R7296-1.3.1.a). */
	if (!ts_subset(tsi, &ptsi) || !ts_subset(tsr, &ptsr))
		return IKE_N_TS_UNACCEPTABLE;
	*transport = *transport && asked;
	return 0;
}

/* Responder: IKE_AUTH request, SK verified. */
int isa_on_auth_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c, uint64_t now_ms)
{
	struct ike_id idi;
	struct ike_auth a;
	if (find_parse_id(c, IKE_PL_IDI, &idi) != 0 || find_parse_auth(c, &a) != 0 ||
	    id_from_wire(&idi, &sa->peer_id) != 0)
		return isa_drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &sa->peer_id, &psk_len);
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	if (peer_auth_ok(sa, c, &idi, &a, psk, psk_len) != 0) {
		/* R7296-2.21.a: AUTHENTICATION_FAILED in the encrypted response. */
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: AUTH of %s peer failed",
		       (unsigned long long)isa_be64(sa->spi_i), ike_id_type_name(idi.type));
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		if (ike_build_inner_end(&b, &first, &plain_len) == 0)
			isa_send_response(sa, IKE_EXCH_AUTH, msg_id, first, plain_len);
		isa_go_down(sa, IKESA_DOWN_AUTH_FAILED);
		return 0;
	}
	uint8_t auth[IKEAUTH_SIG_MAX];
	size_t auth_len = 0;
	uint8_t method = 0;
	if (our_auth(sa, psk, psk_len, &method, auth, sizeof(auth), &auth_len) != 0) {
		isa_go_down(sa, IKESA_DOWN_INTERNAL);
		return 0;
	}
	const struct ikesa_prop *esp = NULL;
	uint32_t spi_peer = 0;
	uint8_t num = 0;
	bool transport = false;
	struct ike_ts_list tsi, tsr;
	memset(&tsi, 0, sizeof(tsi));
	memset(&tsr, 0, sizeof(tsr));
	bool want_child = ike_chain_find(c, IKE_PL_SA, 0) >= 0;
	uint16_t refuse = want_child ? child_decide(sa, c, &esp, &spi_peer, &num, &tsi, &tsr, &transport) : 0;

	ike_build_id(&b, IKE_PL_IDR, sa->p.local_id.type, sa->p.local_id.data, sa->p.local_id.len);
	if (psk == NULL) /* R7296-1.2.a: IDr, [CERT+], AUTH */
		ikeauth_build_certs(sa->p.cred, &b);
	ike_build_auth(&b, method, auth, auth_len);
	memset(auth, 0, sizeof(auth));
	if (want_child && refuse != 0) {
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, refuse, NULL, 0);
	} else if (want_child) {
		struct ike_sa sa_pl;
		memset(&sa_pl, 0, sizeof(sa_pl));
		sa->child_spi_in = isa_new_child_spi(sa);
		fill_esp_prop(&sa_pl.prop[0], num, esp, sa->child_spi_in);
		sa_pl.n_prop = 1;
		if (transport)
			ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
		ike_build_sa(&b, &sa_pl);
		ike_build_ts(&b, IKE_PL_TSI, &tsi);
		ike_build_ts(&b, IKE_PL_TSR, &tsr);
	}
	if (ike_build_inner_end(&b, &first, &plain_len) != 0 ||
	    isa_send_response(sa, IKE_EXCH_AUTH, msg_id, first, plain_len) != 0) {
		isa_go_down(sa, IKESA_DOWN_INTERNAL);
		return 0;
	}
	sa->half_open_at = IKESA_NEVER;
	sa->last_heard = now_ms;
	ikesa_set_state(sa, IKESA_ESTABLISHED);
	if (sa->ops->ike_up != NULL)
		sa->ops->ike_up(sa->arg, sa);
	if (want_child && refuse == 0)
		child_report(sa, esp, spi_peer, transport, &tsi, &tsr);
	else if (want_child)
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: CHILD_SA refused: %s",
		       (unsigned long long)isa_be64(sa->spi_i), ike_notify_name(refuse));
	return 0;
}

/* Initiator refusing the responder's AUTH: RFC 7296 2.21.2 lets it say so
 * in an INFORMATIONAL of its own, so the responder does not keep an SA we
 * refused (strongSwan would until DPD). Sent once; we are gone after it. */
static void tell_auth_failed(struct ikesa *sa, uint64_t now_ms)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	if (ike_build_inner_end(&b, &first, &plain_len) == 0)
		isa_send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
}

/* Initiator: IKE_AUTH response, SK verified. */
int isa_on_auth_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms)
{
	if (isa_has_notify(c, IKE_N_AUTHENTICATION_FAILED)) {
		isa_go_down(sa, IKESA_DOWN_PEER_AUTH_FAILED);
		return 0;
	}
	struct ike_id idr;
	struct ike_auth a;
	struct ikesa_id peer;
	if (find_parse_id(c, IKE_PL_IDR, &idr) != 0 || find_parse_auth(c, &a) != 0 || id_from_wire(&idr, &peer) != 0)
		return isa_drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &peer, &psk_len);
	sa->req_pending = false;
	bool expected = sa->p.remote_id.type == 0 || (peer.type == sa->p.remote_id.type &&
						       peer.len == sa->p.remote_id.len &&
						       memcmp(peer.data, sa->p.remote_id.data, peer.len) == 0);
	if (!expected || peer_auth_ok(sa, c, &idr, &a, psk, psk_len) != 0) {
		tell_auth_failed(sa, now_ms);
		isa_go_down(sa, IKESA_DOWN_AUTH_FAILED);
		return 0;
	}
	sa->peer_id = peer;
	sa->last_heard = now_ms;
	ikesa_set_state(sa, IKESA_ESTABLISHED);
	if (sa->ops->ike_up != NULL)
		sa->ops->ike_up(sa->arg, sa);
	if (sa->p.n_esp == 0)
		return 0;
	/* The IKE SA stays up whatever happened to the child (R7296-1.3.1.c). */
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type == IKE_PL_NOTIFY && ike_parse_notify(&c->pl[i], &n, NULL) == 0 &&
		    ike_notify_is_error(n.type)) {
			if (sa->ops->child_failed != NULL)
				sa->ops->child_failed(sa->arg, sa, n.type);
			return 0;
		}
	}
	struct ike_sa chosen;
	struct ike_ts_list tsi, tsr;
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0);
	int idx = -1;
	if (i_sa >= 0 && ike_parse_sa(&c->pl[i_sa], &chosen, NULL) == 0)
		idx = isa_check_chosen(&chosen, sa->p.esp, sa->p.n_esp, true);
	bool transport = isa_has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	/* R7296-2.9.a: the responder may only narrow; R7296-1.3.1.a: no transport unasked. */
	if (idx < 0 || parse_ts_pair(c, &tsi, &tsr) != 0 || !ts_subset(&tsi, &sa->p.tsi) ||
	    !ts_subset(&tsr, &sa->p.tsr) || (transport && !sa->p.transport) || spi32(&chosen.prop[0]) < 256) {
		if (sa->ops->child_failed != NULL)
			sa->ops->child_failed(sa->arg, sa, 0);
		return 0;
	}
	child_report(sa, &sa->p.esp[idx], spi32(&chosen.prop[0]), transport, &tsi, &tsr);
	return 0;
}
