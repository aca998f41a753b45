/* RFC 4877 policy for IKEv2-keyed MN-HA SAs (ike/mip6ike.h). */
#include "ike/mip6ike.h"

#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"

#define IPPROTO_MH_NUM 135
#define IPPROTO_ICMP6_NUM 58
#define PAD_HOA_MAX CONF_LIST_MAX

/* The selectors of one slot (table in mip6ike.h): one protocol, up to two
 * port ranges listed on both sides, and whether the HA side is the home
 * agent's own address (transport) or any address (through the tunnel). */
struct slot_shape {
	const char *name;
	uint8_t proto;
	uint8_t n_ports;
	uint16_t ports[2][2];
	bool transport;
};

static const struct slot_shape shapes[MIP6IKE_SLOT_COUNT] = {
	/* R4877-7.3.d: one range over BU (5) and BA (6). */
	[MIP6IKE_SLOT_BU_BA] = { "BU/BA", IPPROTO_MH_NUM, 1,
				 { { MIP6IKE_PORT_MH_BU, MIP6IKE_PORT_MH_BA } }, true },
	[MIP6IKE_SLOT_MPS_MPA] = { "MPS/MPA", IPPROTO_ICMP6_NUM, 2,
				   { { MIP6IKE_PORT_ICMP6_MPS, MIP6IKE_PORT_ICMP6_MPS },
				     { MIP6IKE_PORT_ICMP6_MPA, MIP6IKE_PORT_ICMP6_MPA } }, true },
	[MIP6IKE_SLOT_HOTI_HOT] = { "HoTI/HoT", IPPROTO_MH_NUM, 2,
				    { { MIP6IKE_PORT_MH_HOTI, MIP6IKE_PORT_MH_HOTI },
				      { MIP6IKE_PORT_MH_HOT, MIP6IKE_PORT_MH_HOT } }, false },
	[MIP6IKE_SLOT_PAYLOAD] = { "payload", 0, 1, { { 0, 0xffff } }, false },
};

static const struct in6_addr addr_none; /* :: */
static const struct in6_addr addr_all = { { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff } } };

const char *mip6ike_slot_name(enum mip6ike_slot s)
{
	return (unsigned)s < MIP6IKE_SLOT_COUNT ? shapes[s].name : "unknown";
}

/* The selectors of slot s for addresses lo..hi into l. */
static void shape_ts(enum mip6ike_slot s, const struct in6_addr *lo, const struct in6_addr *hi,
		     struct ike_ts_list *l)
{
	const struct slot_shape *sh = &shapes[s];
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < sh->n_ports; i++) {
		struct ike_ts *t = &l->ts[l->n++];
		t->type = IKE_TS_IPV6_ADDR_RANGE;
		t->ip_proto = sh->proto;
		t->start_port = sh->ports[i][0];
		t->end_port = sh->ports[i][1];
		memcpy(t->start, lo->s6_addr, 16);
		memcpy(t->end, hi->s6_addr, 16);
	}
}

/* Both sides of slot s: the MN side on mn_lo..mn_hi, the HA side on ha (or
 * any address for the tunnelled slots). */
static void shape_pair(enum mip6ike_slot s, const struct in6_addr *mn_lo, const struct in6_addr *mn_hi,
		       const struct in6_addr *ha, struct ike_ts_list *mn, struct ike_ts_list *other)
{
	shape_ts(s, mn_lo, mn_hi, mn);
	if (shapes[s].transport)
		shape_ts(s, ha, ha, other);
	else
		shape_ts(s, &addr_none, &addr_all, other);
}

/* ---- plan (MN) ---- */

static bool manual_payload_sa(const struct conf *c, const struct in6_addr *hoa, const struct in6_addr *ha)
{
	const struct conf_ipsec *ip = conf_ipsec(c);
	for (size_t i = 0; ip != NULL && i < ip->n_manual_sas; i++) {
		const struct conf_manual_sa *m = &ip->manual_sas[i];
		if (m->traffic != CONF_SA_PAYLOAD)
			continue;
		if ((addr_eq(&m->source, hoa) && addr_eq(&m->destination, ha)) ||
		    (addr_eq(&m->source, ha) && addr_eq(&m->destination, hoa)))
			return true;
	}
	return false;
}

static void plan_add(struct mip6ike_plan *p, enum mip6ike_slot s, const struct in6_addr *lo,
		     const struct in6_addr *hi)
{
	struct mip6ike_request *r = &p->req[p->n++];
	r->slot = s;
	r->exchange = p->n == 1 ? MIP6IKE_EXCH_IKE_AUTH : MIP6IKE_EXCH_CREATE_CHILD;
	r->transport = shapes[s].transport;
	shape_pair(s, lo, hi, &p->ha, &r->tsi, &r->tsr);
}

int mip6ike_mn_plan(const struct conf *c, const struct in6_addr *hoa, const struct in6_addr *ha,
		    struct mip6ike_plan *out)
{
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	const struct conf_ike *ike = conf_ike(c);
	bool hoa_known = hoa != NULL && !addr_eq(hoa, &addr_none);
	bool ask_hoa = ike != NULL && ike->request_home_address;
	if (mn == NULL || !mn->present || ha == NULL || addr_eq(ha, &addr_none) || (!hoa_known && !ask_hoa))
		return M6E_INVAL;
	memset(out, 0, sizeof(*out));
	out->ha = *ha;
	out->cp_request_hoa = ask_hoa;
	if (!hoa_known) {
		/* RFC 4877 9: the HA narrows TSi to the address it assigns. */
		plan_add(out, MIP6IKE_SLOT_BU_BA, &addr_none, &addr_all);
		return 0;
	}
	out->hoa = *hoa;
	plan_add(out, MIP6IKE_SLOT_BU_BA, hoa, hoa);     /* R3776-4.1.c: always */
	plan_add(out, MIP6IKE_SLOT_MPS_MPA, hoa, hoa);   /* R4877-4.1.d: SHOULD use */
	if (mn->route_optimisation)
		plan_add(out, MIP6IKE_SLOT_HOTI_HOT, hoa, hoa); /* R4877-4.1.c */
	if (manual_payload_sa(c, hoa, ha))
		plan_add(out, MIP6IKE_SLOT_PAYLOAD, hoa, hoa);  /* R4877-4.1.e: MAY */
	return 0;
}

/* ---- PAD (HA) ---- */

static bool id_matches(const struct conf_mn_auth *m, const struct ikesa_id *peer)
{
	size_t len = strlen(m->identity);
	if ((unsigned)m->identity_type != peer->type)
		return false;
	switch (m->identity_type) {
	case CONF_ID_FQDN: /* DNS names compare without case */
		return peer->len == len && strncasecmp(m->identity, (const char *)peer->data, len) == 0;
	case CONF_ID_RFC822:
		return peer->len == len && memcmp(m->identity, peer->data, len) == 0;
	case CONF_ID_IPV6: {
		struct in6_addr a;
		return peer->len == 16 && addr_parse(m->identity, &a) == 0 && memcmp(a.s6_addr, peer->data, 16) == 0;
	}
	case CONF_ID_DN: /* the config's text DN is not the peer's DER: never a match */
		return false;
	}
	return false;
}

size_t mip6ike_pad_hoas(const struct conf *c, const struct ikesa_id *peer, struct in6_addr *hoas, size_t max)
{
	const struct conf_home_agent *ha = conf_home_agent(c);
	size_t n = 0;
	for (size_t i = 0; ha != NULL && i < ha->n_mobile_nodes && n < max; i++)
		if (id_matches(&ha->mobile_nodes[i], peer))
			hoas[n++] = ha->mobile_nodes[i].home_address;
	return n;
}

bool mip6ike_pad_allows(const struct conf *c, const struct ikesa_id *peer, const struct in6_addr *hoa)
{
	struct in6_addr hoas[PAD_HOA_MAX];
	size_t n = mip6ike_pad_hoas(c, peer, hoas, PAD_HOA_MAX);
	for (size_t i = 0; i < n; i++)
		if (addr_eq(&hoas[i], hoa))
			return true;
	return false;
}

/* in lies inside outer (R7296-2.9.a narrowing). */
static bool ts_inside(const struct ike_ts *in, const struct ike_ts *outer)
{
	if (in->type != IKE_TS_IPV6_ADDR_RANGE || outer->type != IKE_TS_IPV6_ADDR_RANGE)
		return false;
	if (outer->ip_proto != 0 && outer->ip_proto != in->ip_proto)
		return false;
	if (in->start_port < outer->start_port || in->end_port > outer->end_port)
		return false;
	return memcmp(in->start, outer->start, 16) >= 0 && memcmp(in->end, outer->end, 16) <= 0;
}

static bool list_inside(const struct ike_ts_list *narrow, const struct ike_ts_list *wide)
{
	for (unsigned i = 0; i < narrow->n; i++) {
		bool found = false;
		for (unsigned j = 0; j < wide->n && !found; j++)
			found = ts_inside(&narrow->ts[i], &wide->ts[j]);
		if (!found)
			return false;
	}
	return narrow->n > 0;
}

static bool addr_in(const struct in6_addr *a, const struct in6_addr *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addr_eq(a, &set[i]))
			return true;
	return false;
}

static const char *peer_text(const struct ikesa_id *peer, char *buf, size_t len)
{
	if (peer->type == IKE_ID_IPV6_ADDR && peer->len == 16) {
		struct in6_addr a;
		memcpy(a.s6_addr, peer->data, 16);
		return addr_fmt(&a, buf, len);
	}
	if (peer->type == IKE_ID_FQDN || peer->type == IKE_ID_RFC822_ADDR) {
		size_t n = peer->len < len - 1 ? peer->len : len - 1;
		for (size_t i = 0; i < n; i++)
			buf[i] = peer->data[i] >= 0x20 && peer->data[i] < 0x7f ? (char)peer->data[i] : '?';
		buf[n] = '\0';
		return buf;
	}
	return ike_id_type_name(peer->type);
}

int mip6ike_ha_ts_policy(const struct conf *c, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			 struct ike_ts_list *out_tsr, enum mip6ike_slot *slot)
{
	/* Widest first: the proposal gets the most it asked for that is
	 * ours to give; the mode only corrects or refuses afterwards. */
	static const enum mip6ike_slot widest_first[MIP6IKE_SLOT_COUNT] = {
		MIP6IKE_SLOT_PAYLOAD, MIP6IKE_SLOT_HOTI_HOT, MIP6IKE_SLOT_BU_BA, MIP6IKE_SLOT_MPS_MPA
	};
	const struct conf_home_agent *ha = conf_home_agent(c);
	struct in6_addr hoas[PAD_HOA_MAX];
	char who[IKESA_ID_MAX + 1], ab[ADDR_STRLEN];
	size_t n = mip6ike_pad_hoas(c, peer, hoas, PAD_HOA_MAX);
	if (ha == NULL || !ha->present || n == 0) {
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "CHILD_SA refused: %s is not in home-agent.mobile-nodes",
		       peer_text(peer, who, sizeof(who)));
		return M6E_PERM;
	}
	/* R3776-4.2.k, R4877-4.2.b: a named home address must be the peer's own. */
	for (unsigned i = 0; i < tsi->n; i++) {
		const struct ike_ts *t = &tsi->ts[i];
		struct in6_addr a;
		memcpy(a.s6_addr, t->start, 16);
		if (t->type == IKE_TS_IPV6_ADDR_RANGE && memcmp(t->start, t->end, 16) == 0 && !addr_in(&a, hoas, n)) {
			LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "CHILD_SA refused: %s asked for home address %s, not its own",
			       peer_text(peer, who, sizeof(who)), addr_fmt(&a, ab, sizeof(ab)));
			return M6E_PERM;
		}
	}
	bool wrong_mode = false;
	for (size_t h = 0; h < n; h++) {
		for (unsigned k = 0; k < MIP6IKE_SLOT_COUNT; k++) {
			enum mip6ike_slot s = widest_first[k];
			struct ike_ts_list mn_ts, ha_ts;
			shape_pair(s, &hoas[h], &hoas[h], &ha->address, &mn_ts, &ha_ts);
			if (!list_inside(&mn_ts, tsi) || !list_inside(&ha_ts, tsr))
				continue;
			if (shapes[s].transport && !*transport) {
				wrong_mode = true; /* R4877-3.b tunnel-mode signalling: not supported */
				continue;
			}
			/* RFC 7296 1.3.1: no USE_TRANSPORT_MODE back means tunnel (R4877-4.3.e). */
			*transport = shapes[s].transport;
			*out_tsi = mn_ts;
			*out_tsr = ha_ts;
			*slot = s;
			return 0;
		}
	}
	LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "CHILD_SA refused: %s: %s", peer_text(peer, who, sizeof(who)),
	       wrong_mode ? "BU/BA and MPS/MPA only in transport mode"
			  : "selectors are none of BU/BA, MPS/MPA, HoTI/HoT, payload for its home address");
	return M6E_PERM;
}

/* ---- configuration payload (HA) ---- */

static uint8_t home_prefix_len(const struct conf_home_agent *ha, const struct in6_addr *hoa,
			       struct in6_addr *prefix)
{
	for (size_t i = 0; i < ha->n_home_prefixes; i++)
		if (prefix_contains(&ha->home_prefixes[i], hoa)) {
			*prefix = ha->home_prefixes[i].addr;
			return (uint8_t)ha->home_prefixes[i].len;
		}
	*prefix = *hoa;
	return 128;
}

int mip6ike_ha_cp_answer(const struct conf *c, const struct ikesa_id *peer, const struct ike_cp *req,
			 struct mip6ike_cp_reply *out)
{
	const struct conf_home_agent *ha = conf_home_agent(c);
	const struct conf_ike *ike = conf_ike(c);
	struct in6_addr hoas[PAD_HOA_MAX];
	memset(out, 0, sizeof(*out));
	out->cp.cfg_type = IKE_CFG_REPLY;
	if (req->cfg_type != IKE_CFG_REQUEST)
		return M6E_PROTO;
	size_t n = ha != NULL ? mip6ike_pad_hoas(c, peer, hoas, PAD_HOA_MAX) : 0;
	if (n == 0)
		return M6E_PERM; /* R4877-9.f: INTERNAL_ADDRESS_FAILURE */
	struct in6_addr hoa = hoas[0];
	bool want_addr = false, want_prefix = false;
	for (unsigned i = 0; i < req->n; i++) {
		const struct ike_cp_attr *a = &req->attr[i];
		if (a->type == IKE_CP_INTERNAL_IP6_ADDRESS) {
			struct in6_addr sug;
			uint8_t plen;
			/* R4877-9.d: grant the suggestion only if it is the peer's own. */
			if (!want_addr && ike_cp_attr_ip6_addr(a, &sug, &plen) == 0 && addr_in(&sug, hoas, n))
				hoa = sug;
			want_addr = true;
		} else if (a->type == IKE_CP_MIP6_HOME_PREFIX) {
			want_prefix = true;
		}
	}
	struct in6_addr prefix;
	uint8_t plen = home_prefix_len(ha, &hoa, &prefix);
	if (want_addr) {
		struct ike_cp_attr *a = &out->cp.attr[out->cp.n];
		a->type = IKE_CP_INTERNAL_IP6_ADDRESS;
		a->value.len = ike_cp_ip6_addr_value(out->val[out->cp.n], &hoa, plen);
		a->value.ptr = out->val[out->cp.n];
		out->cp.n++;
	}
	if (want_prefix && ike != NULL && ike->assign_home_prefix) {
		struct ike_cp_attr *a = &out->cp.attr[out->cp.n];
		a->type = IKE_CP_MIP6_HOME_PREFIX;
		a->value.len = ike_cp_mip6_home_prefix_value(out->val[out->cp.n], ike->ike_lifetime, &prefix, plen);
		a->value.ptr = out->val[out->cp.n];
		out->cp.n++;
	}
	return 0;
}

/* ---- classification (both) ---- */

/* Every selector of l: IPv6, the slot's protocol, ports inside one of its
 * ranges; one_addr: all on one and the same address. */
static bool list_fits_shape(const struct ike_ts_list *l, const struct slot_shape *sh, bool one_addr)
{
	if (l->n == 0)
		return false;
	for (unsigned i = 0; i < l->n; i++) {
		const struct ike_ts *t = &l->ts[i];
		if (t->type != IKE_TS_IPV6_ADDR_RANGE || t->ip_proto != sh->proto)
			return false;
		bool port_ok = false;
		for (unsigned k = 0; k < sh->n_ports && !port_ok; k++)
			port_ok = t->start_port >= sh->ports[k][0] && t->end_port <= sh->ports[k][1] &&
				  t->start_port <= t->end_port;
		if (!port_ok)
			return false;
		if (one_addr && (memcmp(t->start, t->end, 16) != 0 || memcmp(t->start, l->ts[0].start, 16) != 0))
			return false;
	}
	return true;
}

/* The MN's side of c: TSi when the MN initiated. */
static const struct ike_ts_list *mn_side(const struct ikesa_child *c, bool we_are_ha, bool mine)
{
	bool mn_initiated = c->initiator != we_are_ha;
	return mn_initiated == mine ? &c->tsi : &c->tsr;
}

int mip6ike_classify(const struct ikesa_child *c, bool we_are_ha, enum mip6ike_slot *slot)
{
	const struct ike_ts_list *mn = mn_side(c, we_are_ha, true), *other = mn_side(c, we_are_ha, false);
	for (unsigned s = 0; s < MIP6IKE_SLOT_COUNT; s++) {
		const struct slot_shape *sh = &shapes[s];
		if (c->transport != sh->transport || !list_fits_shape(mn, sh, true) ||
		    !list_fits_shape(other, sh, sh->transport))
			continue;
		*slot = (enum mip6ike_slot)s;
		return 0;
	}
	return M6E_NOTFOUND;
}

int mip6ike_child_hoa(const struct ikesa_child *c, bool we_are_ha, struct in6_addr *hoa)
{
	const struct ike_ts_list *mn = mn_side(c, we_are_ha, true);
	if (mn->n == 0 || mn->ts[0].type != IKE_TS_IPV6_ADDR_RANGE)
		return M6E_NOTFOUND;
	for (unsigned i = 0; i < mn->n; i++)
		if (mn->ts[i].type != IKE_TS_IPV6_ADDR_RANGE || memcmp(mn->ts[i].start, mn->ts[i].end, 16) != 0 ||
		    memcmp(mn->ts[i].start, mn->ts[0].start, 16) != 0)
			return M6E_NOTFOUND;
	memcpy(hoa->s6_addr, mn->ts[0].start, 16);
	return 0;
}
