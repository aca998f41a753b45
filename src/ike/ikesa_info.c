/*
 * INFORMATIONAL (RFC 7296 1.4) for one IKE SA, both roles: liveness (DPD,
 * an empty request), Delete of the IKE SA and of CHILD_SAs (1.4.1: a
 * CHILD_SA delete is answered with the Delete of our half of the pair,
 * simultaneous deletes), AUTHENTICATION_FAILED from the peer (2.21), and
 * the Deletes the SA queues for itself. Part of the engine of ikesa.h.
 */
#include "ike/ikesa_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"

/* The inner chain "Delete(ESP, spis)" into sa->plain (no payload for n 0). */
static int build_child_delete(struct ikesa *sa, const uint32_t *spis, unsigned n, uint8_t *first, size_t *plain_len)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t raw[4 * IKESA_CHILD_MAX];
	for (unsigned i = 0; i < n; i++)
		isa_put_be32(raw + 4 * i, spis[i]);
	isa_inner_begin(sa, &b, &w);
	if (n > 0)
		ike_build_delete(&b, IKE_PROTO_ESP, 4, raw, (uint16_t)n);
	return ike_build_inner_end(&b, first, plain_len);
}

/* A pair leaves the table (either side deleted it): tell the adapter. */
static void child_gone(struct ikesa *sa, struct child_sa *c)
{
	uint32_t in = c->spi_in, out = c->spi_out;
	sa->st.child_deleted++;
	child_set_state(c, CHILD_FREE);
	if (sa->ops->child_down != NULL)
		sa->ops->child_down(sa->arg, sa, in, out);
}

int isa_on_info_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	bool delete_ike = false;
	uint32_t answer[IKESA_CHILD_MAX];
	struct child_sa *gone[IKESA_CHILD_MAX];
	unsigned n_answer = 0, n_gone = 0;
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_delete d;
		if (c->pl[i].type != IKE_PL_DELETE || ike_parse_delete(&c->pl[i], &d, NULL) != 0)
			continue;
		if (d.proto == IKE_PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (d.proto != IKE_PROTO_ESP || d.spi_size != 4)
			continue;
		/* The peer names its inbound SPIs, our spi_out (RFC 7296 3.11). */
		for (unsigned k = 0; k < d.n_spi; k++) {
			uint32_t spi;
			struct child_sa *ch;
			if (ike_delete_spi32(&d, k, &spi) != 0 || (ch = child_by_spi_out(&sa->children, spi)) == NULL)
				continue;
			bool listed = false;
			for (unsigned j = 0; j < n_gone; j++)
				listed |= gone[j] == ch;
			/* Both ends deleting at once: our Delete's answer removes
			 * it, ours must not name it again (RFC 7296 1.4.1). */
			if (listed || ch->state == CHILD_DELETING || n_gone == IKESA_CHILD_MAX)
				continue;
			gone[n_gone++] = ch;
			answer[n_answer++] = ch->spi_in;
		}
	}
	if (c->n == 0)
		sa->st.dpd_answered++;
	/* R7296-1.4.a: the answer to an IKE SA delete is empty. A CHILD_SA
	 * delete is answered with a Delete for our inbound half of the pair
	 * (R7296-1.4.1.a); SPIs we do not have are ignored. */
	uint8_t first = IKE_PL_NONE;
	size_t plain_len = 0;
	if (delete_ike || build_child_delete(sa, answer, n_answer, &first, &plain_len) != 0) {
		first = IKE_PL_NONE;
		plain_len = 0;
	}
	isa_send_response(sa, IKE_EXCH_INFORMATIONAL, msg_id, first, plain_len);
	for (unsigned j = 0; !delete_ike && j < n_gone; j++)
		child_gone(sa, gone[j]);
	if (delete_ike) {
		/* A rekeyed SA's children live on in its successor; one whose
		 * collision is still open goes to the peer's, the survivor. */
		if (sa->ike_coll_seen && sa->rekeyed_to == NULL)
			isa_children_move(sa->ike_coll.new_sa, sa);
		isa_go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : IKESA_DOWN_PEER_DELETE);
	}
	else if (isa_has_notify(c, IKE_N_AUTHENTICATION_FAILED)) /* R7296-2.21.a: the SA goes, no Delete */
		isa_go_down(sa, IKESA_DOWN_PEER_AUTH_FAILED);
	return 0;
}

int isa_info_request(struct ikesa *sa, bool delete_ike, uint64_t now_ms)
{
	if (sa->state != IKESA_ESTABLISHED)
		return M6E_PROTO;
	if (sa->req_pending)
		return M6E_AGAIN;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	isa_inner_begin(sa, &b, &w);
	if (delete_ike)
		ike_build_delete(&b, IKE_PROTO_IKE, 0, NULL, 0);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = isa_send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
	if (rc != 0)
		return rc;
	if (delete_ike) {
		sa->req_kind = REQ_DELETE_IKE;
		ikesa_set_state(sa, IKESA_DELETING);
	}
	return 0;
}

int ikesa_dpd(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	return isa_info_request(sa, false, now_ms);
}

int ikesa_delete(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	return isa_info_request(sa, true, now_ms);
}

/* Our INFORMATIONAL answered, SK verified: DPD or the answer to our DELETE. */
void isa_on_info_response(struct ikesa *sa)
{
	if (sa->req_kind == REQ_DELETE_IKE) {
		isa_go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : IKESA_DOWN_LOCAL_DELETE);
	} else if (sa->req_kind == REQ_DELETE_CHILD) {
		/* The peer's answer names its halves (R7296-1.4.1.a); either
		 * way the pairs we asked about are gone now. */
		for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
			if (sa->children.c[i].state == CHILD_DELETING)
				child_gone(sa, &sa->children.c[i]);
	} else {
		sa->st.dpd_ok++;
	}
}

/* One Delete for every child waiting for it (window permitting). */
int isa_send_child_deletes(struct ikesa *sa, uint64_t now_ms)
{
	uint32_t spis[IKESA_CHILD_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (sa->children.c[i].state == CHILD_DELETE_WANTED)
			spis[n++] = sa->children.c[i].spi_in;
	if (n == 0)
		return 0;
	uint8_t first = 0;
	size_t plain_len = 0;
	int rc = build_child_delete(sa, spis, n, &first, &plain_len);
	if (rc == 0)
		rc = isa_send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
	if (rc != 0)
		return rc;
	sa->req_kind = REQ_DELETE_CHILD;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (sa->children.c[i].state == CHILD_DELETE_WANTED)
			child_set_state(&sa->children.c[i], CHILD_DELETING);
	return 0;
}

int ikesa_delete_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (sa->state != IKESA_ESTABLISHED)
		return M6E_PROTO;
	struct child_sa *c = child_by_spi_in(&sa->children, spi_in);
	if (c == NULL || c->state == CHILD_DELETING)
		return M6E_NOTFOUND;
	child_set_state(c, CHILD_DELETE_WANTED);
	isa_kick(sa, now_ms);
	return 0;
}
