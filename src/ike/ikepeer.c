/*
 * ikepeer: PAD and connection lookups of the IKE adapter (ikepeer.h).
 */
#include "ike/ikepeer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/rbuf.h"
#include "crypto/xform.h"

/* IKE header + UDP + IPv6 + the Non-ESP marker: ike.fragment-size is the
 * IP datagram, the engine's fragment_size the IKE message (RFC 7383 2.5.1). */
#define IKEPEER_DGRAM_OVERHEAD (40u + 8u + 4u)

int ikepeer_id(enum conf_id_type type, const char *text, struct ikesa_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = (uint8_t)type;
	if (type == CONF_ID_IPV6) {
		struct in6_addr a;
		if (inet_pton(AF_INET6, text, &a) != 1)
			return M6E_INVAL;
		out->len = 16;
		memcpy(out->data, &a, 16);
		return 0;
	}
	if (type != CONF_ID_FQDN && type != CONF_ID_RFC822)
		return M6E_INVAL;
	size_t n = strlen(text);
	if (n == 0 || n > IKESA_ID_MAX)
		return M6E_INVAL;
	out->len = (uint8_t)n;
	memcpy(out->data, text, n);
	return 0;
}

static bool id_equal(const struct ikesa_id *a, const struct ikesa_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* One DER TLV header: tag and the length of its contents (short or long
 * form up to 2 octets, as in a certificate's Name). */
static int der_tlv(struct rbuf *r, uint8_t *tag, struct rbuf *body)
{
	uint8_t t, l0, b;
	size_t len = 0;
	if (rbuf_u8(r, &t) != 0 || rbuf_u8(r, &l0) != 0)
		return M6E_INVAL;
	if (l0 < 0x80) {
		len = l0;
	} else {
		unsigned n = l0 & 0x7fu;
		if (n == 0 || n > 2)
			return M6E_INVAL;
		for (unsigned i = 0; i < n; i++) {
			if (rbuf_u8(r, &b) != 0)
				return M6E_INVAL;
			len = len << 8 | b;
		}
	}
	*tag = t;
	return rbuf_sub(r, len, body);
}

/* The short names of the X.520 attributes people write in a DN. */
static const char *dn_attr_name(const uint8_t *oid, size_t len)
{
	static const struct {
		uint8_t last;
		const char *name;
	} names[] = { { 3, "CN" }, { 6, "C" }, { 7, "L" }, { 8, "ST" }, { 10, "O" }, { 11, "OU" } };
	if (len != 3 || oid[0] != 0x55 || oid[1] != 0x04) /* 2.5.4.x */
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].last == oid[2])
			return names[i].name;
	return NULL;
}

int ikepeer_dn_text(const uint8_t *der, size_t len, char *out, size_t cap)
{
	struct rbuf r, name, rdn, atv, oid, val;
	uint8_t tag;
	size_t n = 0;
	rbuf_init(&r, der, len);
	if (cap == 0 || der_tlv(&r, &tag, &name) != 0 || tag != 0x30 || rbuf_left(&r) != 0)
		return M6E_INVAL;
	out[0] = '\0';
	while (rbuf_left(&name) > 0) {
		if (der_tlv(&name, &tag, &rdn) != 0 || tag != 0x31)
			return M6E_INVAL;
		while (rbuf_left(&rdn) > 0) {
			uint8_t vtag;
			if (der_tlv(&rdn, &tag, &atv) != 0 || tag != 0x30 || der_tlv(&atv, &tag, &oid) != 0 ||
			    tag != 0x06 || der_tlv(&atv, &vtag, &val) != 0)
				return M6E_INVAL;
			const char *an = dn_attr_name(rbuf_ptr(&oid), rbuf_left(&oid));
			if (an == NULL)
				return M6E_UNSUPP;
			int w = snprintf(out + n, cap - n, "%s%s=%.*s", n ? ", " : "", an, (int)rbuf_left(&val),
					 (const char *)rbuf_ptr(&val));
			if (w < 0 || (size_t)w >= cap - n)
				return M6E_NOSPACE;
			n += (size_t)w;
		}
	}
	return 0;
}

/* The DN text without blanks around ',' and '=' or at the ends: "C=DE,
 * O=Example" and "C=DE,O=Example" are the same name. */
static void dn_squeeze(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = in; *p != '\0' && n + 1 < cap; p++) {
		if (*p == ' ') {
			const char *q = p;
			while (*q == ' ')
				q++;
			bool edge = n == 0 || out[n - 1] == ',' || out[n - 1] == '=' || *q == ',' || *q == '=' || *q == '\0';
			if (edge) {
				p = q - 1;
				continue;
			}
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

static bool dn_text_equal(const char *a, const char *b)
{
	char x[IKESA_ID_MAX * 2], y[IKESA_ID_MAX * 2];
	dn_squeeze(a, x, sizeof(x));
	dn_squeeze(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

bool ikepeer_id_matches(enum conf_id_type type, const char *text, const struct ikesa_id *id)
{
	if (type == CONF_ID_DN) {
		char dn[IKESA_ID_MAX * 2];
		return id->type == IKE_ID_DER_ASN1_DN && ikepeer_dn_text(id->data, id->len, dn, sizeof(dn)) == 0 &&
		       dn_text_equal(dn, text);
	}
	struct ikesa_id cid;
	return ikepeer_id(type, text, &cid) == 0 && id_equal(&cid, id);
}

const struct conf_ike_peer *ikepeer_by_id(const struct conf *c, const struct ikesa_id *id)
{
	const struct conf_ike *ike = conf_ike(c);
	if (ike == NULL)
		return NULL;
	for (size_t i = 0; i < ike->n_peers; i++)
		if (ikepeer_id_matches(ike->peers[i].identity_type, ike->peers[i].identity, id))
			return &ike->peers[i];
	return NULL;
}

const struct conf_ike_peer *ikepeer_by_name(const struct conf *c, const char *name)
{
	const struct conf_ike *ike = conf_ike(c);
	if (ike == NULL)
		return NULL;
	for (size_t i = 0; i < ike->n_peers; i++)
		if (strcmp(ike->peers[i].name, name) == 0)
			return &ike->peers[i];
	return NULL;
}

const struct conf_tunnel *ikepeer_tunnel(const struct conf *c, const char *peer_name)
{
	size_t n = 0;
	const struct conf_tunnel *t = conf_tunnels(c, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].ike_peer[0] != '\0' && strcmp(t[i].ike_peer, peer_name) == 0)
			return &t[i];
	return NULL;
}

/* One engine suite per DH group of each configured proposal (the engine's
 * suites carry one transform of each type). */
static int add_suites(const struct conf_proposal *cp, size_t n, bool ike, struct ikesa_prop *out, size_t *n_out,
		      char *err, size_t errlen)
{
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		size_t groups = ike ? cp[i].n_dh : 1;
		for (size_t g = 0; g < groups; g++) {
			if (*n_out == IKESA_PROP_MAX) {
				snprintf(err, errlen, "more than %d %s suites", IKESA_PROP_MAX, ike ? "IKE" : "ESP");
				return M6E_INVAL;
			}
			out[(*n_out)++] = (struct ikesa_prop){
				.encr = cp[i].encr,
				.key_bits = cp[i].encr_keybits,
				.integ = cp[i].integ,
				.prf = ike ? cp[i].prf : 0,
				.dh = ike ? cp[i].dh[g] : 0, /* no PFS with the IKE_AUTH CHILD_SA */
			};
		}
	}
	if (*n_out == 0) {
		snprintf(err, errlen, "no %s proposals", ike ? "IKE" : "ESP");
		return M6E_INVAL;
	}
	return 0;
}

int ikepeer_params(const struct conf *c, struct ikesa_params *p, char *err, size_t errlen)
{
	const struct conf_ike *ike = conf_ike(c);
	memset(p, 0, sizeof(*p));
	if (ike == NULL || !ike->present) {
		snprintf(err, errlen, "no ike section");
		return M6E_INVAL;
	}
	int rc = add_suites(ike->ike, ike->n_proposals, true, p->ike, &p->n_ike, err, errlen);
	if (rc == 0)
		rc = add_suites(ike->esp, ike->n_esp_proposals, false, p->esp, &p->n_esp, err, errlen);
	if (rc != 0)
		return rc;
	if (ike->identity_type == CONF_ID_DN && ike->auth == CONF_IKE_PUBKEY) {
		/* Our certificate's subject, as the engine takes it from the
		 * cred (local_id.type 0); conf_rules checked the text's shape. */
		memset(&p->local_id, 0, sizeof(p->local_id));
	} else if (ikepeer_id(ike->identity_type, ike->identity, &p->local_id) != 0) {
		snprintf(err, errlen, "ike.identity \"%s\" cannot be used with a pre-shared key", ike->identity);
		return M6E_INVAL;
	}
	p->cookie_threshold = ike->cookie_threshold;
	/* R7296-2.8: lifetimes and the rekey margin, seconds in the config. */
	p->child_lifetime_ms = (uint64_t)ike->child_lifetime * 1000u;
	p->ike_lifetime_ms = (uint64_t)ike->ike_lifetime * 1000u;
	p->rekey_margin_ms = (uint64_t)ike->rekey_margin * 1000u;
	/* PFS for rekeyed and later CHILD_SAs when an ESP proposal names a DH
	 * group: a KE of the IKE SA's group (R7296-1.3.a; the IKE_AUTH
	 * CHILD_SA never has one, so the ESP suites keep dh 0). */
	for (size_t i = 0; i < ike->n_esp_proposals; i++)
		if (ike->esp[i].n_dh > 0)
			p->pfs = true;
	/* RFC 7383: ike.fragment-size is the IP datagram. ike.fragmentation =
	 * false: support is not announced, so it is never negotiated
	 * (R7383-2.3.a) and our messages are never split; the size is also
	 * set past any message so that nothing could split one. */
	p->frag_off = !ike->fragmentation;
	p->fragment_size = ike->fragmentation && ike->fragment_size > IKEPEER_DGRAM_OVERHEAD
				   ? ike->fragment_size - IKEPEER_DGRAM_OVERHEAD
				   : 65535u - IKEPEER_DGRAM_OVERHEAD;
	return 0;
}

void ikepeer_ts_from_prefix(const struct prefix6 *pfx, struct ike_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = IKE_TS_IPV6_ADDR_RANGE;
	ts->end_port = 65535;
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = pfx->len > i * 8 ? pfx->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		ts->start[i] = pfx->addr.s6_addr[i] & mask;
		ts->end[i] = (uint8_t)(pfx->addr.s6_addr[i] | (uint8_t)~mask);
	}
}

static void ts_list_from_prefixes(const struct prefix6 *pfx, size_t n, struct ike_ts_list *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && out->n < IKE_MAX_TS; i++)
		ikepeer_ts_from_prefix(&pfx[i], &out->ts[out->n++]);
}

int ikepeer_initiator_params(const struct conf *c, const struct conf_ike_peer *peer, const struct conf_tunnel *t,
			     struct ikesa_params *p, char *err, size_t errlen)
{
	int rc = ikepeer_params(c, p, err, errlen);
	if (rc != 0)
		return rc;
	if (peer->identity_type == CONF_ID_DN) {
		/* No IDr for a DN (we do not encode DER names): the adapter checks
		 * the peer's certified ID against the entry at ike_up. */
		memset(&p->remote_id, 0, sizeof(p->remote_id));
	} else if (ikepeer_id(peer->identity_type, peer->identity, &p->remote_id) != 0) {
		snprintf(err, errlen, "ike.peers \"%s\": identity cannot be used with a pre-shared key", peer->name);
		return M6E_INVAL;
	}
	ts_list_from_prefixes(t->local_prefixes, t->n_local_prefixes, &p->tsi);
	ts_list_from_prefixes(t->remote_prefixes, t->n_remote_prefixes, &p->tsr);
	return 0;
}

bool ikepeer_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	if (a->type != IKE_TS_IPV6_ADDR_RANGE || b->type != IKE_TS_IPV6_ADDR_RANGE)
		return false;
	if (a->ip_proto != 0 && b->ip_proto != 0 && a->ip_proto != b->ip_proto)
		return false;
	*out = *a;
	out->ip_proto = a->ip_proto != 0 ? a->ip_proto : b->ip_proto;
	out->start_port = a->start_port > b->start_port ? a->start_port : b->start_port;
	out->end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
	memcpy(out->start, memcmp(a->start, b->start, 16) > 0 ? a->start : b->start, 16);
	memcpy(out->end, memcmp(a->end, b->end, 16) < 0 ? a->end : b->end, 16);
	return out->start_port <= out->end_port && memcmp(out->start, out->end, 16) <= 0;
}

int ikepeer_narrow(const struct ike_ts_list *proposed, const struct prefix6 *pfx, size_t n_pfx,
		   struct ike_ts_list *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < n_pfx; k++) {
		struct ike_ts ours;
		ikepeer_ts_from_prefix(&pfx[k], &ours);
		for (unsigned i = 0; i < proposed->n && out->n < IKE_MAX_TS; i++)
			if (ikepeer_ts_intersect(&proposed->ts[i], &ours, &out->ts[out->n]))
				out->n++;
	}
	return out->n > 0 ? 0 : M6E_PERM;
}
