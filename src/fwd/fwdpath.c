#include "fwd/fwdpath.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "base/stats.h"
#include "ipsec/espinudp.h"
#include "wire/ip6.h"

static const struct name_entry drop_names[] = {
	{ FWD_DROP_NONE, "none" },
	{ FWD_DROP_TOO_BIG, "too big for the packet buffer" },
	{ FWD_DROP_INNER, "inner packet not IPv6" },
	{ FWD_DROP_POLICY, "refused by policy" },
	{ FWD_DROP_BYPASS, "bypass policy on a tunnel" },
	{ FWD_DROP_NO_SA, "no SA for the policy" },
	{ FWD_DROP_ESP, "refused by ESP" },
	{ FWD_DROP_NO_TUNNEL, "SA of no tunnel" },
	{ FWD_DROP_OUTER, "outer addresses or encapsulation not the tunnel's" },
	{ FWD_DROP_NOT_IPV6, "next header not IPv6" },
	{ FWD_DROP_UDP_SHORT, "UDP payload too short" },
	{ FWD_DROP_IKE, "IKE message with no IKE sink" },
	{ FWD_DROP_KEEPALIVE, "NAT-keepalive" },
	{ FWD_DROP_SEND, "outer socket refused" },
	{ FWD_DROP_TUN_WRITE, "TUN refused" },
	{ FWD_DROP_LINK_SCOPE, "link-scope packet" },
};

const char *fwd_drop_name(enum fwd_drop d)
{
	return names_get(drop_names, NAMES_COUNT(drop_names), d);
}

/* Counters shown by `mip6sec status`: pkt.* are the totals of the data
 * path, fwd.* / esp.* / spd.* one per drop reason. */
static struct stats_counter pkt_in = STATS_COUNTER("pkt", "in");
static struct stats_counter pkt_out = STATS_COUNTER("pkt", "out");
static struct stats_counter pkt_dropped = STATS_COUNTER("pkt", "dropped");
/* IKE messages handed to the sink (not drops). */
static struct stats_counter fwd_ike_in = STATS_COUNTER("fwd", "ike_in");

static struct stats_counter fwd_drops[FWD_DROP_COUNT] = {
	[FWD_DROP_TOO_BIG] = STATS_COUNTER("fwd", "drop_too_big"),
	[FWD_DROP_INNER] = STATS_COUNTER("fwd", "drop_inner"),
	[FWD_DROP_POLICY] = STATS_COUNTER("fwd", "drop_policy"),
	[FWD_DROP_BYPASS] = STATS_COUNTER("fwd", "drop_bypass"),
	[FWD_DROP_NO_SA] = STATS_COUNTER("fwd", "drop_no_sa"),
	[FWD_DROP_ESP] = STATS_COUNTER("fwd", "drop_esp"),
	[FWD_DROP_NO_TUNNEL] = STATS_COUNTER("fwd", "drop_no_tunnel"),
	[FWD_DROP_OUTER] = STATS_COUNTER("fwd", "drop_outer"),
	[FWD_DROP_NOT_IPV6] = STATS_COUNTER("fwd", "drop_not_ipv6"),
	[FWD_DROP_UDP_SHORT] = STATS_COUNTER("fwd", "drop_udp_short"),
	[FWD_DROP_IKE] = STATS_COUNTER("fwd", "drop_ike"),
	[FWD_DROP_KEEPALIVE] = STATS_COUNTER("fwd", "keepalive"),
	[FWD_DROP_SEND] = STATS_COUNTER("fwd", "drop_send"),
	[FWD_DROP_TUN_WRITE] = STATS_COUNTER("fwd", "drop_tun_write"),
	[FWD_DROP_LINK_SCOPE] = STATS_COUNTER("fwd", "drop_link_scope"),
};

static struct stats_counter esp_drops[ESP_DROP_COUNT] = {
	[ESP_DROP_SHORT] = STATS_COUNTER("esp", "drop_short"),
	[ESP_DROP_BAD_SPI] = STATS_COUNTER("esp", "drop_bad_spi"),
	[ESP_DROP_UNKNOWN_SPI] = STATS_COUNTER("esp", "drop_unknown_spi"),
	[ESP_DROP_WRONG_DIR] = STATS_COUNTER("esp", "drop_wrong_dir"),
	[ESP_DROP_EXPIRED] = STATS_COUNTER("esp", "drop_expired"),
	[ESP_DROP_BAD_LEN] = STATS_COUNTER("esp", "drop_bad_len"),
	[ESP_DROP_REPLAY] = STATS_COUNTER("esp", "drop_replay"),
	[ESP_DROP_TOO_OLD] = STATS_COUNTER("esp", "drop_too_old"),
	[ESP_DROP_AUTH] = STATS_COUNTER("esp", "drop_auth"),
	[ESP_DROP_BAD_PAD] = STATS_COUNTER("esp", "drop_bad_pad"),
	[ESP_DROP_DUMMY] = STATS_COUNTER("esp", "drop_dummy"),
	[ESP_DROP_INNER_LEN] = STATS_COUNTER("esp", "drop_inner_len"),
	[ESP_DROP_SEQ_EXHAUSTED] = STATS_COUNTER("esp", "drop_seq_exhausted"),
	[ESP_DROP_NOSPACE] = STATS_COUNTER("esp", "drop_nospace"),
	[ESP_DROP_CRYPTO] = STATS_COUNTER("esp", "drop_crypto"),
};

static struct stats_counter spd_drops[SPD_DROP_COUNT] = {
	[SPD_DROP_NO_POLICY] = STATS_COUNTER("spd", "drop_no_policy"),
	[SPD_DROP_DISCARD] = STATS_COUNTER("spd", "drop_discard"),
	[SPD_DROP_UNPROTECTED] = STATS_COUNTER("spd", "drop_unprotected"),
	[SPD_DROP_WRONG_SA] = STATS_COUNTER("spd", "drop_wrong_sa"),
	[SPD_DROP_NOT_PROTECT] = STATS_COUNTER("spd", "drop_not_protect"),
};

void fwdpath_stats_register(void)
{
	stats_register(&pkt_in);
	stats_register(&pkt_out);
	stats_register(&pkt_dropped);
	stats_register(&fwd_ike_in);
	for (size_t i = 1; i < FWD_DROP_COUNT; i++)
		stats_register(&fwd_drops[i]);
	for (size_t i = 1; i < ESP_DROP_COUNT; i++)
		stats_register(&esp_drops[i]);
	for (size_t i = 1; i < SPD_DROP_COUNT; i++)
		stats_register(&spd_drops[i]);
}

void fwdpath_count(const struct fwd_verdict *v)
{
	if (v->drop <= FWD_DROP_NONE || v->drop >= FWD_DROP_COUNT)
		return;
	stats_inc(&fwd_drops[v->drop]);
	if (v->drop == FWD_DROP_ESP && v->esp > ESP_DROP_NONE && v->esp < ESP_DROP_COUNT)
		stats_inc(&esp_drops[v->esp]);
	if (v->drop == FWD_DROP_POLICY && v->spd > SPD_DROP_NONE && v->spd < SPD_DROP_COUNT)
		stats_inc(&spd_drops[v->spd]);
	stats_inc(&pkt_dropped);
}

void fwdpath_count_in(size_t n)
{
	stats_add(&pkt_in, n);
}

void fwdpath_count_out(size_t n)
{
	stats_add(&pkt_out, n);
}

static int drop(struct fwd_verdict *v, enum fwd_drop why, int code)
{
	v->drop = why;
	return code;
}

/*
 * The SPD selectors of a whole inner IPv6 packet pkt[0, len): its payload
 * length must account for every byte (a TUN read and an ESP tunnel-mode
 * payload are exactly one packet). The upper layer is found by walking the
 * extension headers; when the walk fails (a header the final host will
 * judge), the selectors stay without ports/types and only "any" entries
 * match.
 */
static int inner_selectors(const uint8_t *pkt, size_t len, uint32_t ifid, struct spd_pkt *sp)
{
	struct rbuf r;
	struct ip6_fixed h;
	rbuf_init(&r, pkt, len);
	if (ip6_parse_fixed(&r, &h, NULL) != 0 || (size_t)h.plen + IP6_HDR_LEN != len)
		return M6E_INVAL;
	memset(sp, 0, sizeof(*sp));
	sp->src = h.src;
	sp->dst = h.dst;
	sp->ifid = ifid;
	sp->proto = h.next;
	struct ip6_view view;
	if (ip6_parse(pkt, len, &view) == 0 && view.complete && view.upper.off <= len) {
		sp->proto = view.upper.proto;
		spd_pkt_peek(sp, view.upper.proto, pkt + view.upper.off, len - view.upper.off);
	}
	return 0;
}

static bool link_scope(const struct in6_addr *src, const struct in6_addr *dst)
{
	return IN6_IS_ADDR_UNSPECIFIED(src) || IN6_IS_ADDR_LINKLOCAL(src) || IN6_IS_ADDR_LINKLOCAL(dst) ||
	       IN6_IS_ADDR_MC_NODELOCAL(dst) || IN6_IS_ADDR_MC_LINKLOCAL(dst);
}

int fwdpath_out(struct ipsecdb *db, const struct ipsecdb_tunnel *t, uint8_t *buf, size_t cap, size_t len,
		struct fwd_out *out, struct fwd_verdict *v)
{
	struct spd_pkt sp;
	memset(v, 0, sizeof(*v));
	if (cap < FWD_HEADROOM || len > cap - FWD_HEADROOM)
		return drop(v, FWD_DROP_TOO_BIG, M6E_NOSPACE);
	if (inner_selectors(buf + FWD_HEADROOM, len, t->ifid, &sp) != 0)
		return drop(v, FWD_DROP_INNER, M6E_INVAL);
	/* The kernel's own link-scope packets on the TUN (MLD reports from ::
	 * to ff02::16 once forwarding is on) belong to no tunnel. */
	if (link_scope(&sp.src, &sp.dst))
		return drop(v, FWD_DROP_LINK_SCOPE, M6E_PERM);
	/* R3776-4.2.c: the policy is looked up for the tunnel the packet entered. */
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &sp);
	if (!e) {
		v->spd = SPD_DROP_NO_POLICY;
		return drop(v, FWD_DROP_POLICY, M6E_PERM);
	}
	if (e->action == SPD_DISCARD) {
		v->spd = SPD_DROP_DISCARD;
		return drop(v, FWD_DROP_POLICY, M6E_PERM);
	}
	if (e->action == SPD_BYPASS)
		return drop(v, FWD_DROP_BYPASS, M6E_UNSUPP);
	/* A larval entry (IKE-keyed tunnel before its CHILD_SA) has no SA. */
	struct sa *sa = e->protect.sa;
	if (!sa || sa->mode != SA_MODE_TUNNEL || sa->dir != SA_DIR_OUT)
		return drop(v, FWD_DROP_NO_SA, M6E_NOTFOUND);
	struct esp_result res;
	/* R4303-2.6.a: tunnel mode carries an IPv6 packet as Next Header 41. */
	int rc = esp_seal(sa, buf, cap, FWD_HEADROOM, len, ESP_NH_IPV6, NULL, &res);
	if (rc != 0) {
		v->esp = res.drop;
		return drop(v, FWD_DROP_ESP, rc);
	}
	spd_account(e, len);
	out->off = res.off;
	out->len = res.len;
	/* The SA's own outer end and encapsulation: with IKE they follow the
	 * peer (and its NAT), R3948-2.1.a: the peer's port. */
	out->peer = sa->dst;
	out->udp = sa->udp_encap;
	out->port = sa->udp_encap ? sa->encap_dport : 0;
	return 0;
}

/* RFC 3948 2.1-2.3 on a UDP payload (the kernel checked the UDP header and
 * checksum): what it is and where the ESP packet starts. An IKE message
 * goes to the sink when there is one. */
static int udp_classify(const struct fwd_in *in, const uint8_t *pkt, size_t len, struct fwd_verdict *v)
{
	struct rbuf r;
	uint8_t b0;
	uint32_t marker;
	rbuf_init(&r, pkt, len);
	if (len == 1 && rbuf_peek_u8(&r, 0, &b0) == 0 && b0 == ESPINUDP_KEEPALIVE_BYTE)
		return drop(v, FWD_DROP_KEEPALIVE, M6E_AGAIN); /* R3948-2.3.a: ignore */
	if (rbuf_u32(&r, &marker) != 0)
		return drop(v, FWD_DROP_UDP_SHORT, M6E_TRUNC);
	if (marker == 0) { /* R3948-2.2.a Non-ESP Marker */
		if (!in->ike)
			return drop(v, FWD_DROP_IKE, M6E_UNSUPP);
		stats_inc(&fwd_ike_in);
		in->ike(in->ike_arg, pkt + ESPINUDP_MARKER_LEN, len - ESPINUDP_MARKER_LEN, &in->dst,
			in->dport, &in->src, in->sport);
		return M6E_AGAIN;
	}
	/* A non-zero SPI: ESP, which needs its Sequence Number too. */
	if (len < ESP_HDR_LEN)
		return drop(v, FWD_DROP_UDP_SHORT, M6E_TRUNC);
	return 0;
}

int fwdpath_in(struct ipsecdb *db, const struct fwd_in *in, uint8_t *pkt, size_t len,
	       const struct ipsecdb_tunnel **t, size_t *off, size_t *ilen, struct fwd_verdict *v)
{
	memset(v, 0, sizeof(*v));
	int rc;
	if (in->udp && (rc = udp_classify(in, pkt, len, v)) != 0)
		return rc;
	/* The SA is bound to its outer addresses, encapsulation and ports (for
	 * an IKE-keyed tunnel what IKE saw, maybe a NAT's): the same keys
	 * arriving any other way are not this tunnel's traffic. Checked before
	 * the ICV so such packets move neither the window nor the counters. */
	struct rbuf r;
	uint32_t spi;
	rbuf_init(&r, pkt, len);
	struct sa *sa = rbuf_u32(&r, &spi) == 0 ? sad_lookup(ipsecdb_sad(db), SA_DIR_IN, spi) : NULL;
	const struct ipsecdb_tunnel *tun = ipsecdb_sa_tunnel(db, sa);
	if (sa && !tun)
		return drop(v, FWD_DROP_NO_TUNNEL, M6E_NOTFOUND);
	if (sa && (sa->udp_encap != in->udp || !addr_eq(&in->src, &sa->src) || !addr_eq(&in->dst, &sa->dst) ||
		   (in->udp && (in->sport != sa->encap_sport || in->dport != sa->encap_dport))))
		return drop(v, FWD_DROP_OUTER, M6E_PERM);
	struct esp_result res;
	/* Replay check, ICV, window update, padding: the engine's order
	 * (R4303-3.4.2.a, R4303-3.4.3.a, R4303-3.4.4.a); an unknown SPI is
	 * the engine's to refuse and count. */
	rc = sa ? esp_open(sa, NULL, pkt, len, &res) : esp_open_sad(ipsecdb_sad(db), NULL, pkt, len, &sa, &res);
	if (rc != 0) {
		v->esp = res.drop;
		return drop(v, FWD_DROP_ESP, rc);
	}
	if (!tun)
		return drop(v, FWD_DROP_NO_TUNNEL, M6E_NOTFOUND);
	if (res.next_header != ESP_NH_IPV6)
		return drop(v, FWD_DROP_NOT_IPV6, M6E_PROTO);
	struct spd_pkt sp;
	if (inner_selectors(pkt + res.off, res.len, tun->ifid, &sp) != 0)
		return drop(v, FWD_DROP_INNER, M6E_INVAL);
	/* RFC 4301 5.2 step 4, R3948-3.a: the inner packet must be one the
	 * policy says this SA carries (inner source among the remote prefixes,
	 * destination among the local ones, R3776-4.2.k). */
	struct spd_entry *e = NULL;
	if (spd_check_inbound(ipsecdb_spd(db), &sp, sa, &e, &v->spd) != 0)
		return drop(v, FWD_DROP_POLICY, M6E_PERM);
	if (e)
		spd_account(e, res.len);
	*t = tun;
	*off = res.off;
	*ilen = res.len;
	return 0;
}

unsigned fwdpath_tun_mtu(unsigned outer_mtu, enum aead_alg alg, bool udp)
{
	size_t over = IP6_HDR_LEN + (udp ? ESPINUDP_UDP_HDR : 0) + ESP_HDR_LEN + aead_iv_len(alg) + aead_icv_len(alg);
	size_t blk = aead_block_len(alg);
	if (blk < 4)
		blk = 4; /* R4303-2.4.a: the ICV starts on a 4-octet boundary */
	size_t mtu = 0;
	if (outer_mtu > over + blk)
		mtu = (outer_mtu - over) / blk * blk - 2;
	if (mtu < 1280)
		mtu = 1280;
	if (mtu > FWD_INNER_MAX)
		mtu = FWD_INNER_MAX;
	return (unsigned)mtu;
}
