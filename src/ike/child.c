/*
 * child: proposals, traffic selectors, the CHILD_SA table and KEYMAT of an
 * IKE SA (child.h). No I/O, no exchanges: ikesa.c drives those.
 */
#include "ike/child.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/aead.h"
#include "crypto/xform.h"

static const char *const child_state_names[CHILD_STATE_COUNT] = {
	[CHILD_FREE] = "free",
	[CHILD_INSTALLED] = "installed",
	[CHILD_REKEYING] = "rekeying",
	[CHILD_REKEYED] = "rekeyed",
	[CHILD_DELETE_WANTED] = "delete-wanted",
	[CHILD_DELETING] = "deleting",
};

const char *child_state_name(enum child_state s)
{
	return (unsigned)s < CHILD_STATE_COUNT ? child_state_names[s] : "?";
}

/* Legal moves (child.h); FREE is reachable from anywhere. */
static const uint8_t child_legal_next[CHILD_STATE_COUNT] = {
	[CHILD_FREE] = 1u << CHILD_INSTALLED,
	[CHILD_INSTALLED] = 1u << CHILD_REKEYING | 1u << CHILD_REKEYED | 1u << CHILD_DELETE_WANTED,
	[CHILD_REKEYING] = 1u << CHILD_INSTALLED | 1u << CHILD_REKEYED | 1u << CHILD_DELETE_WANTED,
	[CHILD_REKEYED] = 1u << CHILD_DELETE_WANTED,
	[CHILD_DELETE_WANTED] = 1u << CHILD_DELETING,
	[CHILD_DELETING] = 0,
};

void child_set_state(struct child_sa *c, enum child_state next)
{
	if (c->state == next)
		return;
	if (next != CHILD_FREE && !(child_legal_next[c->state] & (1u << next))) {
		LOG_ERR(LOG_SUB_IKE, "CHILD_SA %08x: refused move %s -> %s", c->spi_in, child_state_name(c->state),
			child_state_name(next));
		return;
	}
	LOG_INFO(LOG_SUB_IKE, "CHILD_SA %08x/%08x: %s -> %s", c->spi_in, c->spi_out, child_state_name(c->state),
		 child_state_name(next));
	if (next == CHILD_FREE) {
		free(c->ts);
		memset(c, 0, sizeof(*c));
	}
	else
		c->state = next;
}

int child_keep_ts(struct child_sa *c, const struct ike_ts_list *tsi, const struct ike_ts_list *tsr)
{
	size_t n = (size_t)tsi->n + tsr->n;
	struct ike_ts *ts = malloc((n > 0 ? n : 1) * sizeof(*ts));
	if (ts == NULL)
		return M6E_NOMEM;
	memcpy(ts, tsi->ts, tsi->n * sizeof(*ts));
	memcpy(ts + tsi->n, tsr->ts, tsr->n * sizeof(*ts));
	free(c->ts);
	c->ts = ts;
	c->n_tsi = tsi->n;
	c->n_tsr = tsr->n;
	return 0;
}

void child_ts_lists(const struct child_sa *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr)
{
	memset(tsi, 0, sizeof(*tsi));
	memset(tsr, 0, sizeof(*tsr));
	tsi->n = c->n_tsi;
	tsr->n = c->n_tsr;
	if (c->ts == NULL)
		return;
	memcpy(tsi->ts, c->ts, c->n_tsi * sizeof(*c->ts));
	memcpy(tsr->ts, c->ts + c->n_tsi, c->n_tsr * sizeof(*c->ts));
}

void child_table_release(struct child_table *t)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		free(t->c[i].ts);
		t->c[i].ts = NULL;
	}
}

struct child_sa *child_slot(struct child_table *t)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (t->c[i].state == CHILD_FREE) {
			memset(&t->c[i], 0, sizeof(t->c[i]));
			return &t->c[i];
		}
	return NULL;
}

struct child_sa *child_by_spi_in(struct child_table *t, uint32_t spi_in)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (t->c[i].state != CHILD_FREE && t->c[i].spi_in == spi_in)
			return &t->c[i];
	return NULL;
}

struct child_sa *child_by_spi_out(struct child_table *t, uint32_t spi_out)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (t->c[i].state != CHILD_FREE && t->c[i].spi_out == spi_out)
			return &t->c[i];
	return NULL;
}

unsigned child_count(const struct child_table *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		n += t->c[i].state != CHILD_FREE;
	return n;
}

bool child_spi_taken(const struct child_table *t, uint32_t spi_in)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (t->c[i].state != CHILD_FREE && t->c[i].spi_in == spi_in)
			return true;
	return false;
}

/* ---- proposals ---- */

bool child_xf_has(const struct ike_proposal *pp, uint8_t type, uint16_t id, uint16_t key_bits)
{
	for (unsigned i = 0; i < pp->n_xf; i++) {
		const struct ike_transform *x = &pp->xf[i];
		if (x->type == type && x->id == id && x->key_len == key_bits && x->unknown_attrs == 0)
			return true;
	}
	return false;
}

bool child_xf_has_type(const struct ike_proposal *pp, uint8_t type)
{
	for (unsigned i = 0; i < pp->n_xf; i++)
		if (pp->xf[i].type == type)
			return true;
	return false;
}

bool child_known_types_only(const struct ike_proposal *pp)
{
	for (unsigned i = 0; i < pp->n_xf; i++)
		if (pp->xf[i].type < XFORM_ENCR || pp->xf[i].type > XFORM_ESN)
			return false;
	return true;
}

bool child_integ_ok(const struct ike_proposal *pp, uint16_t integ)
{
	if (integ == XFORM_INTEG_NONE) /* AEAD: no integrity, or explicitly NONE */
		return !child_xf_has_type(pp, XFORM_INTEG) || child_xf_has(pp, XFORM_INTEG, XFORM_INTEG_NONE, 0);
	return child_xf_has(pp, XFORM_INTEG, integ, 0);
}

uint32_t child_spi32(const struct ike_proposal *pp)
{
	return (uint32_t)pp->spi[0] << 24 | (uint32_t)pp->spi[1] << 16 | (uint32_t)pp->spi[2] << 8 | pp->spi[3];
}

void child_add_xf(struct ike_proposal *pp, uint8_t type, uint16_t id, uint16_t key_bits)
{
	struct ike_transform *x = &pp->xf[pp->n_xf++];
	memset(x, 0, sizeof(*x));
	x->type = type;
	x->id = id;
	x->key_len = key_bits;
}

/* The DH part of an ESP proposal (R7296-1.3.a): without a KE it may only
 * offer none; with one it must list the KE's group. */
static bool esp_dh_ok(const struct ike_proposal *pp, uint16_t dh)
{
	if (dh == CHILD_DH_ANY)
		return true;
	if (dh == 0)
		return !child_xf_has_type(pp, XFORM_DH) || child_xf_has(pp, XFORM_DH, XFORM_DH_NONE, 0);
	return ikesa_cx_supported(XFORM_DH, dh, 0) && child_xf_has(pp, XFORM_DH, dh, 0);
}

bool child_esp_fits(const struct ike_proposal *pp, const struct ikesa_prop *o, uint16_t dh)
{
	enum aead_alg alg;
	/* Our suite with a group: PFS with exactly that group (CREATE_CHILD_SA). */
	if (dh != CHILD_DH_ANY && o->dh != 0 && dh != o->dh)
		return false;
	/* R4303-2.1.a: SPIs 1..255 are reserved, 0 means none. */
	return pp->proto == IKE_PROTO_ESP && pp->spi_size == 4 && child_spi32(pp) >= 256 &&
	       child_known_types_only(pp) && xform_to_aead(o->encr, o->key_bits, o->integ, &alg) == 0 &&
	       child_xf_has(pp, XFORM_ENCR, o->encr, o->key_bits) && child_integ_ok(pp, o->integ) &&
	       esp_dh_ok(pp, dh) && (!child_xf_has_type(pp, XFORM_ESN) || child_xf_has(pp, XFORM_ESN, XFORM_ESN_NO, 0));
}

void child_fill_esp(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o, uint16_t dh, uint32_t spi)
{
	memset(pp, 0, sizeof(*pp));
	pp->num = num;
	pp->proto = IKE_PROTO_ESP;
	pp->spi_size = 4;
	pp->spi[0] = (uint8_t)(spi >> 24);
	pp->spi[1] = (uint8_t)(spi >> 16);
	pp->spi[2] = (uint8_t)(spi >> 8);
	pp->spi[3] = (uint8_t)spi;
	child_add_xf(pp, XFORM_ENCR, o->encr, o->key_bits);
	if (o->integ != XFORM_INTEG_NONE)
		child_add_xf(pp, XFORM_INTEG, o->integ, 0);
	if (dh != 0)
		child_add_xf(pp, XFORM_DH, dh, 0);
	child_add_xf(pp, XFORM_ESN, XFORM_ESN_NO, 0);
}

int child_select_esp(const struct ike_sa *peer, const struct ikesa_prop *ours, size_t n_ours, uint16_t ke_group,
		     uint8_t *num, uint16_t *want_group)
{
	for (unsigned i = 0; i < peer->n_prop; i++)
		for (size_t j = 0; j < n_ours; j++)
			if (child_esp_fits(&peer->prop[i], &ours[j], ke_group)) {
				*num = peer->prop[i].num;
				return (int)j;
			}
	/* Nothing with the KE sent: would another group of the peer's do? */
	for (unsigned i = 0; want_group != NULL && ke_group != 0 && i < peer->n_prop; i++) {
		const struct ike_proposal *pp = &peer->prop[i];
		for (unsigned x = 0; x < pp->n_xf; x++) {
			uint16_t g = pp->xf[x].type == XFORM_DH ? pp->xf[x].id : 0;
			for (size_t j = 0; g != 0 && j < n_ours; j++)
				if (child_esp_fits(pp, &ours[j], g)) {
					*want_group = g;
					return -1;
				}
		}
	}
	return -1;
}

int child_check_esp(const struct ike_sa *resp, const struct ikesa_prop *ours, size_t n_ours, uint16_t dh)
{
	if (resp->n_prop != 1)
		return -1;
	const struct ike_proposal *pp = &resp->prop[0];
	if (pp->num == 0 || pp->num > n_ours)
		return -1;
	const struct ikesa_prop *o = &ours[pp->num - 1];
	unsigned want = 2u + (o->integ != XFORM_INTEG_NONE) + (dh != 0 && dh != CHILD_DH_ANY);
	if (!child_esp_fits(pp, o, dh) || !child_xf_has_type(pp, XFORM_ESN) || pp->n_xf != want)
		return -1;
	return pp->num - 1;
}

/* ---- traffic selectors ---- */

static bool ts_within(const struct ike_ts *in, const struct ike_ts *outer)
{
	size_t alen = in->type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 4;
	return in->type == outer->type && (outer->ip_proto == 0 || in->ip_proto == outer->ip_proto) &&
	       in->start_port >= outer->start_port && in->end_port <= outer->end_port &&
	       memcmp(in->start, outer->start, alen) >= 0 && memcmp(in->end, outer->end, alen) <= 0;
}

bool child_ts_subset(const struct ike_ts_list *narrowed, const struct ike_ts_list *proposed)
{
	if (narrowed->n == 0)
		return false;
	for (unsigned i = 0; i < narrowed->n; i++) {
		bool inside = false;
		for (unsigned j = 0; j < proposed->n && !inside; j++)
			inside = ts_within(&narrowed->ts[i], &proposed->ts[j]);
		if (!inside)
			return false;
	}
	return true;
}

int child_parse_ts_pair(const struct ike_chain *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr)
{
	int i = ike_chain_find(c, IKE_PL_TSI, 0), r = ike_chain_find(c, IKE_PL_TSR, 0);
	if (i < 0 || r < 0)
		return M6E_NOTFOUND;
	if (ike_parse_ts(&c->pl[i], tsi, NULL) != 0 || ike_parse_ts(&c->pl[r], tsr, NULL) != 0)
		return M6E_INVAL;
	return 0;
}

/* ---- keys ---- */

int child_keys(struct ikesa_child *ch, const struct ikesa_cx *cx, const struct ikesa_prop *esp, bool we_init,
	       const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	uint8_t i2r[IKESA_KEYMAT_MAX], r2i[IKESA_KEYMAT_MAX];
	int rc = xform_to_aead(esp->encr, esp->key_bits, esp->integ, &ch->alg);
	if (rc != 0)
		return rc;
	ch->keymat_len = aead_keymat_len(ch->alg);
	if (ch->keymat_len == 0 || ch->keymat_len > IKESA_KEYMAT_MAX)
		return M6E_RANGE;
	rc = ikesa_cx_child_keymat(cx, gir, gir_len, ni, ni_len, nr, nr_len, ch->keymat_len, i2r, r2i);
	if (rc == 0) {
		ch->encr = esp->encr;
		ch->key_bits = esp->key_bits;
		ch->integ = esp->integ;
		/* R7296-2.17.a: the first half keys initiator -> responder of
		 * the exchange that created the child. */
		memcpy(ch->keymat_out, we_init ? i2r : r2i, ch->keymat_len);
		memcpy(ch->keymat_in, we_init ? r2i : i2r, ch->keymat_len);
	}
	memset(i2r, 0, sizeof(i2r));
	memset(r2i, 0, sizeof(r2i));
	return rc;
}

void child_timers(uint64_t now_ms, uint64_t lifetime_ms, uint64_t margin_ms, uint16_t jitter, uint64_t *rekey_at,
		  uint64_t *expire_at)
{
	*rekey_at = *expire_at = IKESA_NEVER;
	if (lifetime_ms == 0)
		return;
	*expire_at = now_ms + lifetime_ms;
	if (margin_ms == 0 || margin_ms >= lifetime_ms)
		return;
	/* R7296-2.8.1.a: jitter so both ends do not start together. */
	uint64_t spread = margin_ms / 2 * jitter / 65536u;
	*rekey_at = now_ms + lifetime_ms - margin_ms - spread;
}
