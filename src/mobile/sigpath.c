#include "mobile/sigpath.h"

#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "ipsec/sad.h"
#include "wire/exthdr.h"
#include "wire/tunnel6.h"

static const struct name_entry reason_names[] = {
	{ SIGPATH_R_NONE, "none" },
	{ SIGPATH_R_SOCKET, "socket protocol not handled" },
	{ SIGPATH_R_MALFORMED, "extension headers malformed" },
	{ SIGPATH_R_HEADER_ORDER, "extension header order or shape" },
	{ SIGPATH_R_FRAGMENT, "fragmented signalling" },
	{ SIGPATH_R_HAO_AND_RH2, "HAO and RH2 on one packet" },
	{ SIGPATH_R_RH2_NOT_HOME, "RH2 address not our home address" },
	{ SIGPATH_R_UPPER, "upper layer not ESP, MH or ICMPv6" },
	{ SIGPATH_R_ESP, "refused by ESP" },
	{ SIGPATH_R_ESP_MODE, "SA mode does not fit the packet" },
	{ SIGPATH_R_UNPROTECTED, "unprotected where ESP is required" },
	{ SIGPATH_R_WRONG_SA, "SA not the one the policy names" },
	{ SIGPATH_R_POLICY, "refused by policy" },
	{ SIGPATH_R_MH, "Mobility Header refused" },
	{ SIGPATH_R_MH_TYPE, "MH type not taken here" },
	{ SIGPATH_R_ICMP6, "ICMPv6 refused" },
	{ SIGPATH_R_INNER, "inner packet not one IPv6 packet" },
	{ SIGPATH_R_TUNNEL_SA, "tunnel mode on an SA other than rr or payload" },
	{ SIGPATH_R_NO_HAO, "no HAO (kernel's)" },
	{ SIGPATH_R_NOT_RH2, "no type 2 RH (kernel's)" },
	{ SIGPATH_R_FOREIGN_SA, "SA of no mobile node" },
	{ SIGPATH_R_ICMP6_OTHER, "ICMPv6 type not handled here" },
	{ SIGPATH_R_NOT_MNHA, "tunnel packet of no mobile node" },
};

static const struct name_entry kind_names[] = {
	{ SIGPATH_DROP, "drop" },     { SIGPATH_IGNORE, "ignore" }, { SIGPATH_MH, "mh" },
	{ SIGPATH_ICMP6, "icmp6" },   { SIGPATH_TUNNEL, "tunnel" },
};

const char *sigpath_reason_name(enum sigpath_reason r)
{
	return names_get(reason_names, NAMES_COUNT(reason_names), r);
}

const char *sigpath_kind_name(enum sigpath_kind k)
{
	return names_get(kind_names, NAMES_COUNT(kind_names), k);
}

const char *sigpath_rx_why(const struct sigpath_rx *rx, char *buf, size_t len)
{
	const char *detail = NULL;
	switch (rx->reason) {
	case SIGPATH_R_MALFORMED:
		detail = ip6_drop_name(rx->ip6);
		break;
	case SIGPATH_R_ESP:
		detail = esp_drop_name(rx->esp_drop);
		break;
	case SIGPATH_R_UNPROTECTED:
	case SIGPATH_R_WRONG_SA:
	case SIGPATH_R_POLICY:
		detail = rx->spd != SPD_DROP_NONE ? spd_drop_name(rx->spd) : NULL;
		break;
	case SIGPATH_R_MH:
		detail = mh_reason_name(rx->mh_reason);
		break;
	case SIGPATH_R_ICMP6:
		detail = icmp6_reason_name(rx->icmp_reason);
		break;
	default:
		break;
	}
	if (detail)
		snprintf(buf, len, "%s (%s)", sigpath_reason_name(rx->reason), detail);
	else
		snprintf(buf, len, "%s", sigpath_reason_name(rx->reason));
	return buf;
}

/* `mip6sec status` shows sig.drop_* (refused), sig.skip_* (another path's
 * packet), sig.esp_* (the ESP detail of drop_esp), sig.in_* / sig.out_*. */
static struct stats_counter reason_ctr[SIGPATH_R_COUNT] = {
	[SIGPATH_R_SOCKET] = STATS_COUNTER("sig", "drop_socket"),
	[SIGPATH_R_MALFORMED] = STATS_COUNTER("sig", "drop_malformed"),
	[SIGPATH_R_HEADER_ORDER] = STATS_COUNTER("sig", "drop_header_order"),
	[SIGPATH_R_FRAGMENT] = STATS_COUNTER("sig", "drop_fragment"),
	[SIGPATH_R_HAO_AND_RH2] = STATS_COUNTER("sig", "drop_hao_and_rh2"),
	[SIGPATH_R_RH2_NOT_HOME] = STATS_COUNTER("sig", "drop_rh2_not_home"),
	[SIGPATH_R_UPPER] = STATS_COUNTER("sig", "drop_upper"),
	[SIGPATH_R_ESP] = STATS_COUNTER("sig", "drop_esp"),
	[SIGPATH_R_ESP_MODE] = STATS_COUNTER("sig", "drop_esp_mode"),
	[SIGPATH_R_UNPROTECTED] = STATS_COUNTER("sig", "drop_unprotected"),
	[SIGPATH_R_WRONG_SA] = STATS_COUNTER("sig", "drop_wrong_sa"),
	[SIGPATH_R_POLICY] = STATS_COUNTER("sig", "drop_policy"),
	[SIGPATH_R_MH] = STATS_COUNTER("sig", "drop_mh"),
	[SIGPATH_R_MH_TYPE] = STATS_COUNTER("sig", "drop_mh_type"),
	[SIGPATH_R_ICMP6] = STATS_COUNTER("sig", "drop_icmp6"),
	[SIGPATH_R_INNER] = STATS_COUNTER("sig", "drop_inner"),
	[SIGPATH_R_TUNNEL_SA] = STATS_COUNTER("sig", "drop_tunnel_sa"),
	[SIGPATH_R_NO_HAO] = STATS_COUNTER("sig", "skip_no_hao"),
	[SIGPATH_R_NOT_RH2] = STATS_COUNTER("sig", "skip_not_rh2"),
	[SIGPATH_R_FOREIGN_SA] = STATS_COUNTER("sig", "skip_foreign_sa"),
	[SIGPATH_R_ICMP6_OTHER] = STATS_COUNTER("sig", "skip_icmp6_other"),
	[SIGPATH_R_NOT_MNHA] = STATS_COUNTER("sig", "skip_not_mnha"),
};

static struct stats_counter esp_ctr[ESP_DROP_COUNT] = {
	[ESP_DROP_SHORT] = STATS_COUNTER("sig", "esp_short"),
	[ESP_DROP_BAD_SPI] = STATS_COUNTER("sig", "esp_bad_spi"),
	[ESP_DROP_UNKNOWN_SPI] = STATS_COUNTER("sig", "esp_unknown_spi"),
	[ESP_DROP_WRONG_DIR] = STATS_COUNTER("sig", "esp_wrong_dir"),
	[ESP_DROP_EXPIRED] = STATS_COUNTER("sig", "esp_expired"),
	[ESP_DROP_BAD_LEN] = STATS_COUNTER("sig", "esp_bad_len"),
	[ESP_DROP_REPLAY] = STATS_COUNTER("sig", "esp_replay"),
	[ESP_DROP_TOO_OLD] = STATS_COUNTER("sig", "esp_too_old"),
	[ESP_DROP_AUTH] = STATS_COUNTER("sig", "esp_auth"),
	[ESP_DROP_BAD_PAD] = STATS_COUNTER("sig", "esp_bad_pad"),
	[ESP_DROP_DUMMY] = STATS_COUNTER("sig", "esp_dummy"),
	[ESP_DROP_INNER_LEN] = STATS_COUNTER("sig", "esp_inner_len"),
	[ESP_DROP_SEQ_EXHAUSTED] = STATS_COUNTER("sig", "esp_seq_exhausted"),
	[ESP_DROP_NOSPACE] = STATS_COUNTER("sig", "esp_nospace"),
	[ESP_DROP_CRYPTO] = STATS_COUNTER("sig", "esp_crypto"),
};

static struct stats_counter in_mh = STATS_COUNTER("sig", "in_mh");
static struct stats_counter in_icmp6 = STATS_COUNTER("sig", "in_icmp6");
static struct stats_counter in_tunnel = STATS_COUNTER("sig", "in_tunnel");
static struct stats_counter out_mh = STATS_COUNTER("sig", "out_mh");
static struct stats_counter out_icmp6 = STATS_COUNTER("sig", "out_icmp6");
static struct stats_counter out_tunnel = STATS_COUNTER("sig", "out_tunnel");

void sigpath_stats_register(void)
{
	static struct stats_counter *const totals[] = { &in_mh, &in_icmp6, &in_tunnel,
							&out_mh, &out_icmp6, &out_tunnel };
	for (size_t i = 0; i < NAMES_COUNT(totals); i++)
		stats_register(totals[i]);
	for (size_t i = 1; i < SIGPATH_R_COUNT; i++)
		stats_register(&reason_ctr[i]);
	for (size_t i = 1; i < ESP_DROP_COUNT; i++)
		stats_register(&esp_ctr[i]);
}

const struct stats_counter *sigpath_counter(enum sigpath_reason r)
{
	return r > SIGPATH_R_NONE && r < SIGPATH_R_COUNT ? &reason_ctr[r] : NULL;
}

const struct stats_counter *sigpath_esp_counter(enum esp_drop d)
{
	return d > ESP_DROP_NONE && d < ESP_DROP_COUNT ? &esp_ctr[d] : NULL;
}

/* ---- receive ------------------------------------------------------------ */

/* One packet on its way through the receive steps. src/dst are the
 * "unswapped" addresses (R3776-4.2.a/b): the home address from the HAO as
 * source, the one from RH2 as destination; they feed the SPD selectors and
 * the checksum pseudo-header alike (R6275-6.1.1.d). */
struct rxc {
	struct ipsecdb *db;
	const struct sigpath_pkt *in;
	struct sigpath_rx *rx;
	struct in6_addr src, dst;
	uint8_t proto; /* the upper layer at buf[off, off + len) */
	size_t off, len;
};

static int drop(struct sigpath_rx *rx, enum sigpath_reason why, int code)
{
	rx->kind = SIGPATH_DROP;
	rx->reason = why;
	stats_inc(&reason_ctr[why]);
	return code;
}

static int ignore(struct sigpath_rx *rx, enum sigpath_reason why)
{
	rx->kind = SIGPATH_IGNORE;
	rx->reason = why;
	stats_inc(&reason_ctr[why]);
	return M6E_AGAIN;
}

/* What the kernel or src/fwd also sees is ignored; behind a HAO or RH2 the
 * kernel has discarded it, so nobody else will: a drop. */
static int ignore_or_drop(struct rxc *c, enum sigpath_reason why)
{
	if (c->rx->has_hao || c->rx->has_rh2)
		return drop(c->rx, why, M6E_PERM);
	return ignore(c->rx, why);
}

/* The MN-HA pair an SA belongs to (either direction), or NULL: manual SAs,
 * and IKE's CHILD_SAs including an older pair a rekey keeps alive
 * (R3776-4.2.k holds for both). */
static struct ipsecdb_mnha *mnha_of_sa(const struct ipsecdb *db, const struct sa *sa)
{
	return ipsecdb_sa_mnha(db, sa, NULL);
}

bool sigpath_spi_is_mnha(const struct ipsecdb *db, uint32_t spi)
{
	const struct sa *sa = sad_lookup(ipsecdb_sad(db), SA_DIR_IN, spi);
	return sa && mnha_of_sa(db, sa);
}

/* The pair whose home address is hoa, seen from the side we_are_ha says. */
static struct ipsecdb_mnha *pair_by_hoa(const struct ipsecdb *db, const struct in6_addr *hoa,
					bool we_are_ha)
{
	struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(db, hoa);
	return m && m->we_are_ha == we_are_ha ? m : NULL;
}

/*
 * A whole inner IPv6 packet pkt[0, len) and its SPD selectors on the MN-HA
 * tunnel interface (R3776-4.2.c). The payload length must account for every
 * byte. When the extension headers do not walk, only "any protocol"
 * entries can match (the final host judges those headers).
 */
static int inner_packet(const uint8_t *pkt, size_t len, struct ip6_fixed *h, struct spd_pkt *sp)
{
	struct rbuf r;
	struct ip6_view v;
	rbuf_init(&r, pkt, len);
	if (ip6_parse_fixed(&r, h, NULL) != 0 || (size_t)h->plen + IP6_HDR_LEN != len)
		return M6E_INVAL;
	memset(sp, 0, sizeof(*sp));
	sp->src = h->src;
	sp->dst = h->dst;
	sp->proto = h->next;
	sp->ifid = IPSECDB_IFID_MNHA;
	if (ip6_parse(pkt, len, &v) == 0 && v.complete) {
		sp->proto = v.upper.proto;
		spd_pkt_peek(sp, v.upper.proto, pkt + v.upper.off, v.upper.len);
	}
	return 0;
}

/* Selectors of the upper layer at c's cursor, with the unswapped addresses. */
static void upper_selectors(const struct rxc *c, struct spd_pkt *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->src = c->src;
	sp->dst = c->dst;
	sp->proto = c->proto;
	spd_pkt_peek(sp, c->proto, c->in->buf + c->off, c->len);
}

/* RFC 4301 5.2 step 4 for a packet that arrived in the clear: PROTECT
 * means it should have been in ESP (R3776-4.1.c), DISCARD refuses (the
 * entries against unprotected signalling, R4877-7.2.a). No matching entry
 * is accepted: this SPD covers only Mobile IPv6 traffic, not the host's. */
static int clear_policy(struct rxc *c, const struct spd_pkt *sp)
{
	struct spd_entry *e = NULL;
	enum spd_drop why = SPD_DROP_NONE;
	if (spd_check_inbound(ipsecdb_spd(c->db), sp, NULL, &e, &why) == 0 || why == SPD_DROP_NO_POLICY)
		return 0;
	c->rx->spd = why;
	return drop(c->rx, why == SPD_DROP_UNPROTECTED ? SIGPATH_R_UNPROTECTED : SIGPATH_R_POLICY, M6E_PERM);
}

/* The same for a packet opened by sa: the first matching policy must name
 * sa (R3776-4.2.k: MN2's SA cannot carry a BU for MN1's home address). */
static int protected_policy(struct rxc *c, const struct spd_pkt *sp, const struct sa *sa,
			    struct spd_entry **e)
{
	if (spd_check_inbound(ipsecdb_spd(c->db), sp, sa, e, &c->rx->spd) == 0)
		return 0;
	return drop(c->rx, c->rx->spd == SPD_DROP_WRONG_SA ? SIGPATH_R_WRONG_SA : SIGPATH_R_POLICY,
		    M6E_PERM);
}

/* Steps 1 and 2 for the 60 and 43 sockets: walk the chain, apply the HAO
 * and RH2 before anything looks at ESP (R3776-4.2.a/b, RFC 3776 6.2). */
static int walk_chain(struct rxc *c)
{
	struct sigpath_rx *rx = c->rx;
	struct ip6_view v;
	if (exthdr_parse(c->in->proto, c->in->buf, c->in->len, &c->in->src, &c->in->dst, &v) != 0) {
		rx->ip6 = v.drop;
		return drop(rx, SIGPATH_R_MALFORMED, M6E_INVAL);
	}
	if (c->in->proto == IP6_NH_DSTOPTS && !v.hao.present)
		return ignore(rx, SIGPATH_R_NO_HAO);
	if (c->in->proto == IP6_NH_ROUTING && !v.rh2.present)
		return ignore(rx, SIGPATH_R_NOT_RH2);
	if (v.hao.present && v.rh2.present)
		return drop(rx, SIGPATH_R_HAO_AND_RH2, M6E_PROTO);
	/* R6275-6.3.a, R6275-6.4.1.a: order and shape rules; a malformed RH2
	 * is silently discarded. */
	if (v.violations)
		return drop(rx, SIGPATH_R_HEADER_ORDER, M6E_ORDER);
	if (v.frag.present || !v.complete)
		return drop(rx, SIGPATH_R_FRAGMENT, M6E_UNSUPP);
	if (v.hao.present) {
		rx->has_hao = true;
		rx->hao = v.hao.addr;
		rx->mnha = pair_by_hoa(c->db, &v.hao.addr, true);
		if (exthdr_apply_hao(&v, NULL) != 0)
			return drop(rx, SIGPATH_R_HEADER_ORDER, M6E_ORDER);
	}
	if (v.rh2.present) {
		/* R6275-6.4.a: only one of our own home addresses. */
		rx->mnha = pair_by_hoa(c->db, &v.rh2.addr, false);
		if (!rx->mnha)
			return drop(rx, SIGPATH_R_RH2_NOT_HOME, M6E_PERM);
		if (exthdr_apply_rh2(&v, NULL) != 0)
			return drop(rx, SIGPATH_R_HEADER_ORDER, M6E_ORDER);
		rx->has_rh2 = true;
		rx->dst = v.dst;
	}
	c->src = v.src;
	c->dst = v.dst;
	c->proto = v.upper.proto;
	c->off = v.upper.off;
	c->len = v.upper.len;
	return 0;
}

/* Step 5 for MH: checksum over the home-address pseudo-header, then the
 * message the engines get. ESP carries BU and BA; in the clear only a
 * Binding Error is taken (BU/BA were refused before). */
static int deliver_mh(struct rxc *c)
{
	struct sigpath_rx *rx = c->rx;
	struct mh_pseudo ph = { .src = c->src, .dst = c->dst };
	struct mh_diag d;
	int rc = mh_parse(c->in->buf + c->off, c->len, &ph, &rx->mh.msg, &d);
	if (rc != 0) {
		rx->mh_reason = d.reason;
		return drop(rx, SIGPATH_R_MH, rc);
	}
	uint8_t t = rx->mh.msg.type;
	if (rx->esp ? t != MH_TYPE_BU && t != MH_TYPE_BA : t != MH_TYPE_BE)
		return drop(rx, SIGPATH_R_MH_TYPE, M6E_UNSUPP);
	rx->mh.src = rx->src;
	rx->mh.dst = rx->dst;
	rx->mh.has_hao = rx->has_hao;
	rx->mh.hao = rx->hao;
	rx->mh.esp = rx->esp;
	rx->mh.sa_id = rx->sa_id;
	rx->kind = SIGPATH_MH;
	rx->off = c->off;
	rx->len = c->len;
	stats_inc(&in_mh);
	return 0;
}

static bool icmp6_handled(uint8_t type)
{
	switch (type) {
	case ICMP6_TYPE_RS:
	case ICMP6_TYPE_RA:
	case ICMP6_TYPE_NS:
	case ICMP6_TYPE_NA:
	case ICMP6_TYPE_DHAAD_REQUEST:
	case ICMP6_TYPE_DHAAD_REPLY:
	case ICMP6_TYPE_MPS:
	case ICMP6_TYPE_MPA:
		return true;
	default:
		return false;
	}
}

static int deliver_icmp6(struct rxc *c)
{
	struct sigpath_rx *rx = c->rx;
	if (icmp6_parse_msg(c->in->buf + c->off, c->len, &c->src, &c->dst, &rx->icmp, &rx->icmp_reason) != 0)
		return drop(rx, SIGPATH_R_ICMP6, M6E_INVAL);
	rx->kind = SIGPATH_ICMP6;
	rx->off = c->off;
	rx->len = c->len;
	stats_inc(&in_icmp6);
	return 0;
}

static int clear_upper(struct rxc *c)
{
	struct spd_pkt sp;
	upper_selectors(c, &sp);
	if (c->proto == IP6_NH_MH) {
		/* R3776-4.1.c, R4877-4.1.b: BU and BA are used with ESP, always. */
		if (sp.l4 && (sp.mh_type == MH_TYPE_BU || sp.mh_type == MH_TYPE_BA))
			return drop(c->rx, SIGPATH_R_UNPROTECTED, M6E_PERM);
		int rc = clear_policy(c, &sp);
		return rc != 0 ? rc : deliver_mh(c);
	}
	if (!sp.l4)
		return drop(c->rx, SIGPATH_R_ICMP6, M6E_TRUNC);
	if (!icmp6_handled(sp.icmp_type))
		return ignore_or_drop(c, SIGPATH_R_ICMP6_OTHER);
	int rc = clear_policy(c, &sp);
	return rc != 0 ? rc : deliver_icmp6(c);
}

/* ESP tunnel mode on an MN-HA SA (E5/E6/E9/E10): the inner packet must be
 * one the policy on the MN-HA tunnel interface says this SA carries. */
static int esp_tunnel(struct rxc *c, struct sa *sa, const struct ipsecdb_mnha *m,
		      const struct esp_result *res)
{
	struct sigpath_rx *rx = c->rx;
	struct spd_pkt sp;
	struct spd_entry *e = NULL;
	if (res->next_header != ESP_NH_IPV6 || rx->has_hao || rx->has_rh2)
		return drop(rx, SIGPATH_R_ESP_MODE, M6E_PROTO);
	enum ipsecdb_mnha_slot slot;
	if (ipsecdb_sa_mnha(c->db, sa, &slot) != m || sa->dir != SA_DIR_IN ||
	    (slot != IPSECDB_MNHA_HOTI_HOT && slot != IPSECDB_MNHA_PAYLOAD))
		return drop(rx, SIGPATH_R_TUNNEL_SA, M6E_PERM);
	size_t off = c->off + res->off;
	if (inner_packet(c->in->buf + off, res->len, &rx->inner, &sp) != 0)
		return drop(rx, SIGPATH_R_INNER, M6E_INVAL);
	int rc = protected_policy(c, &sp, sa, &e);
	if (rc != 0)
		return rc;
	if (e)
		spd_account(e, res->len);
	rx->esp = true;
	rx->sa = sa;
	rx->sa_id = sa->spi;
	rx->kind = SIGPATH_TUNNEL;
	rx->off = off;
	rx->len = res->len;
	stats_inc(&in_tunnel);
	return 0;
}

/* Steps 3 to 5 for an ESP header at c's cursor. */
static int esp_upper(struct rxc *c)
{
	struct sigpath_rx *rx = c->rx;
	uint8_t *pkt = c->in->buf + c->off;
	struct sad *sad = ipsecdb_sad(c->db);
	uint32_t spi;
	/* Another path's SA must not be opened here: that would advance its
	 * replay window under src/fwd's feet. */
	if (esp_peek_spi(pkt, c->len, &spi) == 0) {
		const struct sa *known = sad_lookup(sad, SA_DIR_IN, spi);
		if (known && !mnha_of_sa(c->db, known))
			return ignore_or_drop(c, SIGPATH_R_FOREIGN_SA);
	}
	struct sa *sa = NULL;
	struct esp_result res;
	/* SPI, anti-replay check, ICV, then the window (R4303-3.4.3.a). */
	int rc = esp_open_sad(sad, NULL, pkt, c->len, &sa, &res);
	if (rc != 0) {
		rx->esp_drop = res.drop;
		if (res.drop > ESP_DROP_NONE && res.drop < ESP_DROP_COUNT)
			stats_inc(&esp_ctr[res.drop]);
		return drop(rx, SIGPATH_R_ESP, rc);
	}
	struct ipsecdb_mnha *m = mnha_of_sa(c->db, sa);
	if (!m)
		return drop(rx, SIGPATH_R_FOREIGN_SA, M6E_PERM);
	rx->mnha = m;
	if (sa->mode == SA_MODE_TUNNEL)
		return esp_tunnel(c, sa, m, &res);
	/* R3776-4.3.a: transport mode carries BU/BA (MH) and MPS/MPA (ICMPv6). */
	if (res.next_header != IP6_NH_MH && res.next_header != IP6_NH_ICMPV6)
		return drop(rx, SIGPATH_R_ESP_MODE, M6E_PROTO);
	c->proto = res.next_header;
	c->off += res.off;
	c->len = res.len;
	struct spd_pkt sp;
	struct spd_entry *e = NULL;
	upper_selectors(c, &sp);
	rc = protected_policy(c, &sp, sa, &e);
	if (rc != 0)
		return rc;
	rx->esp = true;
	rx->sa = sa;
	rx->sa_id = sa->spi;
	rc = c->proto == IP6_NH_MH ? deliver_mh(c) : deliver_icmp6(c);
	if (rc == 0 && e)
		spd_account(e, c->len);
	return rc;
}

/* The 41 socket: plain IPv6-in-IPv6 (E13). The caller checks the outer
 * source against its binding; here the inner packet must be whole, belong
 * to a mobile node, and be traffic the policy lets travel unprotected. */
static int plain_tunnel(struct rxc *c)
{
	struct sigpath_rx *rx = c->rx;
	struct spd_pkt sp;
	if (inner_packet(c->in->buf, c->in->len, &rx->inner, &sp) != 0)
		return drop(rx, SIGPATH_R_INNER, M6E_INVAL);
	rx->mnha = pair_by_hoa(c->db, &rx->inner.src, true);
	if (!rx->mnha)
		rx->mnha = pair_by_hoa(c->db, &rx->inner.dst, false);
	if (!rx->mnha)
		return ignore(rx, SIGPATH_R_NOT_MNHA);
	/* With an rr or payload SA the policy says PROTECT: a plain packet
	 * would bypass it (R3776-4.2.c). */
	int rc = clear_policy(c, &sp);
	if (rc != 0)
		return rc;
	rx->kind = SIGPATH_TUNNEL;
	rx->off = 0;
	rx->len = c->in->len;
	stats_inc(&in_tunnel);
	return 0;
}

int sigpath_in(struct ipsecdb *db, const struct sigpath_pkt *in, struct sigpath_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->src = in->src;
	rx->dst = in->dst;
	rx->wire_dst = in->dst;
	rx->ifindex = in->ifindex;
	rx->hlim = in->hlim;
	struct rxc c = { .db = db, .in = in, .rx = rx, .src = in->src, .dst = in->dst,
			 .proto = in->proto, .off = 0, .len = in->len };
	if (!in->buf)
		return drop(rx, SIGPATH_R_MALFORMED, M6E_TRUNC);
	int rc;
	switch (in->proto) {
	case IP6_NH_DSTOPTS:
	case IP6_NH_ROUTING:
		if ((rc = walk_chain(&c)) != 0)
			return rc;
		break;
	case IP6_NH_ESP:
	case IP6_NH_MH:
	case IP6_NH_ICMPV6:
		break;
	case IP6_NH_IPV6:
		return plain_tunnel(&c);
	default:
		return drop(rx, SIGPATH_R_SOCKET, M6E_UNSUPP);
	}
	switch (c.proto) {
	case IP6_NH_ESP:
		return esp_upper(&c);
	case IP6_NH_MH:
	case IP6_NH_ICMPV6:
		return clear_upper(&c);
	default:
		return drop(rx, SIGPATH_R_UPPER, M6E_PROTO);
	}
}

/* ---- send --------------------------------------------------------------- */

/* The headers in front of a payload: IPv6 . [RH2{rh2}] . [DestOpt{HAO}]
 * (RFC 6275 6.3: the HAO after any routing header; R3776-4.2.h/j: both
 * outside ESP). */
struct frame {
	const struct in6_addr *src, *dst;
	const struct in6_addr *hao, *rh2; /* NULL: header absent */
	uint8_t proto;                    /* what follows them */
	uint8_t hlim;                     /* 0: IP6_DEFAULT_HLIM */
};

/* Write the headers of f right before buf[poff, poff + plen); *start gets
 * where the packet begins. */
static int frame_put(uint8_t *buf, size_t poff, size_t plen, const struct frame *f, size_t *start)
{
	size_t ext = (f->rh2 ? EXTHDR_RH2_LEN : 0) + (f->hao ? EXTHDR_HAO_HDR_LEN : 0);
	size_t hl = IP6_HDR_LEN + ext;
	if (poff < hl)
		return M6E_NOSPACE;
	if (plen > IP6_MAX_PLEN - ext)
		return M6E_RANGE;
	struct ip6_fixed h = {
		.plen = (uint16_t)(ext + plen),
		.next = f->rh2 ? IP6_NH_ROUTING : f->hao ? IP6_NH_DSTOPTS : f->proto,
		.hlim = f->hlim ? f->hlim : IP6_DEFAULT_HLIM,
		.src = *f->src,
		.dst = *f->dst,
	};
	struct wbuf w;
	wbuf_init(&w, buf + poff - hl, hl);
	ip6_build_fixed(&w, &h);
	if (f->rh2)
		exthdr_build_rh2(&w, f->hao ? IP6_NH_DSTOPTS : f->proto, f->rh2);
	if (f->hao)
		exthdr_build_hao(&w, f->proto, f->hao);
	if (wbuf_status(&w) != 0)
		return M6E_NOSPACE;
	*start = poff - hl;
	return 0;
}

/* Seal the upper-layer message at buf[at, at + mlen) in transport mode
 * with sa (when not NULL), frame it, and move the packet to buf[0]. */
static int transport_out(struct sa *sa, uint8_t *buf, size_t cap, size_t at, size_t mlen,
			 struct frame *f, size_t *len)
{
	if (sa) {
		struct esp_result res;
		int rc = esp_seal(sa, buf, cap, at, mlen, f->proto, NULL, &res);
		if (rc != 0)
			return rc;
		at = res.off;
		mlen = res.len;
		f->proto = IP6_NH_ESP;
	}
	size_t start;
	int rc = frame_put(buf, at, mlen, f, &start);
	if (rc != 0)
		return rc;
	*len = at + mlen - start;
	memmove(buf, buf + start, *len);
	return 0;
}

/* Where a transport-mode message is built: room for the headers and the
 * ESP header before it, ESP padding and ICV after it. */
#define SIGPATH_MSG_AT SIGPATH_HEADROOM

static bool msg_room(size_t cap, size_t *room)
{
	if (cap < SIGPATH_MSG_AT + SIGPATH_TAILROOM)
		return false;
	*room = cap - SIGPATH_MSG_AT - SIGPATH_TAILROOM;
	return true;
}

int sigpath_build_mh(struct ipsecdb *db, const struct mip6_tx *tx, uint8_t *buf, size_t cap,
		     size_t *len, struct in6_addr *sendto_dst)
{
	size_t room;
	struct sa *sa = NULL;
	if (!msg_room(cap, &room))
		return M6E_NOSPACE;
	if (tx->protect == MIP6_PROT_ESP_BU_BA) {
		/* R3776-4.1.c: the BU/BA SA of the home address, in transport mode. */
		struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(db, &tx->hoa);
		sa = m ? m->bu_out : NULL;
		if (!sa)
			return M6E_NOTFOUND;
	} else if (tx->protect != MIP6_PROT_NONE) {
		return M6E_INVAL;
	}
	/* R6275-6.1.1.d: the pseudo-header carries the home address. */
	struct mh_pseudo ph = { .src = tx->has_hao ? tx->hoa : tx->src,
				.dst = tx->has_rh2 ? tx->hoa : tx->dst };
	struct wbuf w;
	wbuf_init(&w, buf + SIGPATH_MSG_AT, room);
	int rc = mh_build(&w, &tx->msg, &ph, NULL);
	if (rc != 0)
		return rc;
	struct frame f = { .src = &tx->src, .dst = &tx->dst, .hao = tx->has_hao ? &tx->hoa : NULL,
			   .rh2 = tx->has_rh2 ? &tx->hoa : NULL, .proto = IP6_NH_MH };
	rc = transport_out(sa, buf, cap, SIGPATH_MSG_AT, wbuf_len(&w), &f, len);
	if (rc != 0)
		return rc;
	*sendto_dst = tx->dst;
	stats_inc(&out_mh);
	return 0;
}

int sigpath_build_icmp6(struct ipsecdb *db, const struct sigpath_icmp_tx *tx, uint8_t *buf,
			size_t cap, size_t *len, struct in6_addr *sendto_dst)
{
	size_t room;
	struct sa *sa = NULL;
	if (!tx->msg || tx->msg_len < ICMP6_HDR_LEN)
		return M6E_INVAL;
	if (!msg_room(cap, &room) || tx->msg_len > room)
		return M6E_NOSPACE;
	if (tx->protect) {
		/* R3776-4.1.e: the prefix-discovery SA of the home address. */
		struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(db, &tx->hoa);
		sa = m ? m->mpd_out : NULL;
		if (!sa)
			return M6E_NOTFOUND;
	}
	uint8_t *msg = buf + SIGPATH_MSG_AT;
	memcpy(msg, tx->msg, tx->msg_len);
	const struct in6_addr *ps = tx->has_hao ? &tx->hoa : &tx->src;
	const struct in6_addr *pd = tx->has_rh2 ? &tx->hoa : &tx->dst;
	msg[IP6_CKSUM_OFF_ICMPV6] = 0;
	msg[IP6_CKSUM_OFF_ICMPV6 + 1] = 0;
	uint16_t sum = ip6_upper_cksum(ps, pd, IP6_NH_ICMPV6, msg, tx->msg_len);
	msg[IP6_CKSUM_OFF_ICMPV6] = (uint8_t)(sum >> 8);
	msg[IP6_CKSUM_OFF_ICMPV6 + 1] = (uint8_t)sum;
	struct frame f = { .src = &tx->src, .dst = &tx->dst, .hao = tx->has_hao ? &tx->hoa : NULL,
			   .rh2 = tx->has_rh2 ? &tx->hoa : NULL, .proto = IP6_NH_ICMPV6, .hlim = tx->hlim };
	int rc = transport_out(sa, buf, cap, SIGPATH_MSG_AT, tx->msg_len, &f, len);
	if (rc != 0)
		return rc;
	*sendto_dst = tx->dst;
	stats_inc(&out_icmp6);
	return 0;
}

int sigpath_encap(struct ipsecdb *db, const struct ipsecdb_mnha *m, const struct in6_addr *outer_src,
		  const struct in6_addr *outer_dst, uint8_t *buf, size_t cap, size_t inner_off,
		  size_t inner_len, size_t *off, size_t *len)
{
	struct ip6_fixed ih;
	struct spd_pkt sp;
	if (inner_off < SIGPATH_HEADROOM || inner_off > cap || inner_len > cap - inner_off ||
	    cap - inner_off - inner_len < SIGPATH_TAILROOM)
		return M6E_NOSPACE;
	if (inner_packet(buf + inner_off, inner_len, &ih, &sp) != 0)
		return M6E_INVAL;
	/* R3776-4.2.c: the policy of the MN-HA tunnel interface decides. */
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &sp);
	if (e && e->action == SPD_DISCARD)
		return M6E_PERM;
	if (!e || e->action == SPD_BYPASS) {
		/* RFC 2473 / RFC 6275 10.4.2 (E13): plain IPv6-in-IPv6. */
		struct tunnel6_params p = { .src = *outer_src, .dst = *outer_dst,
					    .hlim = SIGPATH_TUNNEL_HLIM };
		int rc = tunnel6_encap(buf, inner_off, inner_len, &p, off);
		if (rc != 0)
			return rc;
		*len = IP6_HDR_LEN + inner_len;
		stats_inc(&out_tunnel);
		return 0;
	}
	/* R3776-4.1.d/f: HoTI/HoT on the rr SA, the rest on the payload SA,
	 * and only this pair's (the policy's SA could be another MN's). */
	struct sa *sa = e->protect.sa;
	if (!sa || (sa != m->rr_out && sa != m->payload_out) || sa->mode != SA_MODE_TUNNEL)
		return M6E_PERM;
	struct esp_result res;
	int rc = esp_seal(sa, buf, cap, inner_off, inner_len, ESP_NH_IPV6, NULL, &res);
	if (rc != 0)
		return rc;
	struct frame f = { .src = outer_src, .dst = outer_dst, .proto = IP6_NH_ESP,
			   .hlim = SIGPATH_TUNNEL_HLIM };
	if ((rc = frame_put(buf, res.off, res.len, &f, off)) != 0)
		return rc;
	*len = res.off + res.len - *off;
	spd_account(e, inner_len);
	stats_inc(&out_tunnel);
	return 0;
}
