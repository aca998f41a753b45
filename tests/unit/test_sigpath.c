/*
 * Unit tests for src/mobile/sigpath.c, the signalling path of RFC 3776: an
 * HA and an MN built from the shipped examples (etc/examples/home-agent.conf,
 * mobile-node.conf; variants add payload SAs or anti-replay) exchange every
 * layout of wire-formats.md E through sigpath_build_* / sigpath_encap and
 * sigpath_in, fed as the raw socket of the packet's first header would
 * deliver it. Header orders are checked byte by byte; a table of refused
 * packets checks each exact reason and its counter; every truncation of a
 * valid packet must be a drop.
 *
 * With SIGPATH_CORPUS set to a directory, the packets built here are written
 * there as seeds for tests/fuzz/fuzz_sigpath.c ([socket][role][src][dst][buf]).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "conf/conf.h"
#include "ipsec/esp.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/sa.h"
#include "ipsec/sad.h"
#include "mobile/sigpath.h"
#include "wire/exthdr.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/mh.h"
#include "wire/nd.h"
#include "wire/tunnel6.h"
#include "testutil.h"

#define HA "2001:db8:1::1"
#define HOA1 "2001:db8:1::100"
#define HOA2 "2001:db8:1::200"
#define COA "2001:db8:77::5"
#define CN "2001:db8:5::5"

/* Payload SAs (R3776-4.1.f) the examples do not have: arbitrary test keys. */
#define PL_SA(name, spi, dir, src, dst, key, auth)                                                       \
	"{ name = \"" name "\"; spi = " spi "; direction = \"" dir "\"; source = \"" src                    \
	"\"; destination = \"" dst "\"; mode = \"tunnel\"; traffic = \"payload\"; encryption = \"aes-cbc\"; " \
	"encryption-key = \"" key "\"; integrity = \"hmac-sha256-128\"; integrity-key = \"" auth "\"; },\n"
#define KEY_UP "000102030405060708090a0b0c0d0e0f"
#define AUTH_UP "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
#define KEY_DOWN "303132333435363738393a3b3c3d3e3f"
#define AUTH_DOWN "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define HA_PAYLOAD_SAS                                                                                   \
	PL_SA("mn1-pl-in", "0x1007", "in", HOA1, HA, KEY_UP, AUTH_UP)                                    \
	PL_SA("mn1-pl-out", "0x1008", "out", HA, HOA1, KEY_DOWN, AUTH_DOWN)
#define MN_PAYLOAD_SAS                                                                                   \
	PL_SA("mn1-pl-in", "0x1008", "in", HA, HOA1, KEY_DOWN, AUTH_DOWN)                                \
	PL_SA("mn1-pl-out", "0x1007", "out", HOA1, HA, KEY_UP, AUTH_UP)

#define BUF_SIZE 4096

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

static bool addr_is(const struct in6_addr *a, const char *s)
{
	struct in6_addr b = A(s);
	return addr_eq(a, &b);
}

/* ---- the two nodes ------------------------------------------------------- */

static char *read_shipped(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", top && *top ? top : "..", rel);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	static char text[65536];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	ck_assert_uint_lt(n, sizeof(text) - 1);
	text[n] = '\0';
	return strdup(text);
}

/* s with every `from` replaced by `to` (s is freed). */
static char *replace_all(char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	char *out = malloc(strlen(s) + n * tl + 1);
	ck_assert_ptr_nonnull(out);
	char *o = out;
	const char *p = s, *q;
	while ((q = strstr(p, from))) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		p = q + fl;
	}
	strcpy(o, p);
	free(s);
	return out;
}

struct node {
	struct conf *conf;
	struct ipsecdb *db;
};

struct world {
	struct node ha, mn;
};

static void node_load_with(struct node *n, const char *rel, const char *extra_sas, bool anti_replay,
			   const char *tail)
{
	char *text = read_shipped(rel);
	if (tail) {
		size_t tl = strlen(text);
		text = realloc(text, tl + strlen(tail) + 1);
		ck_assert_ptr_nonnull(text);
		strcpy(text + tl, tail);
	}
	ck_assert_ptr_nonnull(strstr(text, "manual-sa = ("));
	if (extra_sas) {
		char with[4096];
		snprintf(with, sizeof(with), "manual-sa = (\n%s", extra_sas);
		text = replace_all(text, "manual-sa = (", with);
	}
	if (anti_replay)
		text = replace_all(text, "traffic = \"bu-ba\";", "traffic = \"bu-ba\"; anti-replay = true;");
	struct conf_error cerr;
	char msg[600], err[256];
	int rc = conf_load_string(text, rel, &n->conf, &cerr);
	conf_error_format(&cerr, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "%s: %s", rel, msg);
	free(text);
	rc = ipsecdb_build(n->conf, 0, &n->db, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s: %s", rel, err);
}

static void node_load(struct node *n, const char *rel, const char *extra_sas, bool anti_replay)
{
	node_load_with(n, rel, extra_sas, anti_replay, NULL);
}

static void world_init(struct world *w, bool payload, bool anti_replay)
{
	node_load(&w->ha, "etc/examples/home-agent.conf", payload ? HA_PAYLOAD_SAS : NULL, anti_replay);
	node_load(&w->mn, "etc/examples/mobile-node.conf", payload ? MN_PAYLOAD_SAS : NULL, anti_replay);
	sigpath_stats_register();
}

static void world_fini(struct world *w)
{
	ipsecdb_free(w->ha.db);
	ipsecdb_free(w->mn.db);
	conf_free(w->ha.conf);
	conf_free(w->mn.conf);
}

/* A fresh SA with the keys of a configured one (to seal as a peer holding
 * them would, outside sigpath). */
static struct sa *sa_from_conf(const struct conf *c, const char *name, enum sa_dir dir)
{
	const struct conf_ipsec *ip = conf_ipsec(c);
	for (size_t i = 0; i < ip->n_manual_sas; i++) {
		const struct conf_manual_sa *s = &ip->manual_sas[i];
		if (strcmp(s->name, name) != 0)
			continue;
		uint8_t km[2 * CONF_KEY_MAX];
		memcpy(km, s->encryption_key.data, s->encryption_key.len);
		memcpy(km + s->encryption_key.len, s->integrity_key.data, s->integrity_key.len);
		struct sa_params p = {
			.spi = s->spi,
			.dir = dir,
			.mode = s->mode == CONF_SA_TUNNEL ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT,
			.alg = s->encryption_key.len == 16 ? AEAD_AES128_CBC_HMAC_SHA256_128
							    : AEAD_AES256_CBC_HMAC_SHA256_128,
			.keymat = km,
			.keymat_len = s->encryption_key.len + s->integrity_key.len,
			.manual = true,
			.src = s->source,
			.dst = s->destination,
		};
		struct sa *sa = NULL;
		ck_assert_int_eq(sa_new(&p, 0, &sa), 0);
		return sa;
	}
	ck_abort_msg("no SA %s", name);
	return NULL;
}

/* ---- fuzz seeds ---------------------------------------------------------- */

static void corpus_write(const char *name, const uint8_t head[2], const uint8_t *addrs,
			 const uint8_t *data, size_t len)
{
	const char *dir = getenv("SIGPATH_CORPUS");
	if (!dir || !*dir)
		return;
	static const uint8_t none[32];
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(head, 1, 2, f);
	fwrite(addrs ? addrs : none, 1, 32, f);
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A received packet: the socket's protocol, the receiver, the addresses. */
static void corpus_save(const char *name, bool mn, const uint8_t *pkt, size_t len)
{
	const uint8_t head[2] = { pkt[6], mn ? 1 : 0 };
	corpus_write(name, head, pkt + 8, pkt + IP6_HDR_LEN, len - IP6_HDR_LEN);
}

/* An inner packet for the fuzz target's MN -> HA tunnel mode. */
static void corpus_save_inner(const char *name, const uint8_t *inner, size_t len)
{
	const uint8_t head[2] = { IP6_NH_IPV6, 2 };
	char n[64];
	snprintf(n, sizeof(n), "%s-inner", name);
	corpus_write(n, head, NULL, inner, len);
}

/* ---- sending and receiving ----------------------------------------------- */

/* Hand a whole packet to sigpath_in as the raw socket of its first header
 * delivers it: the buffer starts after the fixed header, addresses and hop
 * limit from the header (recvfrom, IPV6_PKTINFO, IPV6_HOPLIMIT). */
static int receive(struct ipsecdb *db, uint8_t *pkt, size_t len, struct sigpath_rx *rx)
{
	ck_assert_uint_ge(len, IP6_HDR_LEN);
	struct sigpath_pkt in = { .proto = pkt[6], .buf = pkt + IP6_HDR_LEN, .len = len - IP6_HDR_LEN,
				  .ifindex = 7, .hlim = pkt[7] };
	memcpy(&in.src, pkt + 8, 16);
	memcpy(&in.dst, pkt + 24, 16);
	return sigpath_in(db, &in, rx);
}

static uint64_t count(enum sigpath_reason r)
{
	return sigpath_counter(r)->value;
}

/* Receive and expect a drop (or, with IGNORE, an ignore) for `why`,
 * counted once; esp: the ESP detail, or ESP_DROP_NONE. */
static void expect_refused(struct ipsecdb *db, uint8_t *pkt, size_t len, enum sigpath_kind kind,
			   enum sigpath_reason why, enum esp_drop esp)
{
	struct sigpath_rx rx;
	uint64_t before = count(why);
	uint64_t esp_before = esp ? sigpath_esp_counter(esp)->value : 0;
	int rc = receive(db, pkt, len, &rx);
	ck_assert_msg(rx.kind == kind && rx.reason == why, "got %s/%s (rc %d), want %s/%s",
		      sigpath_kind_name(rx.kind), sigpath_reason_name(rx.reason), rc, sigpath_kind_name(kind),
		      sigpath_reason_name(why));
	ck_assert_int_eq(rc < 0, 1);
	if (kind == SIGPATH_IGNORE)
		ck_assert_int_eq(rc, M6E_AGAIN);
	ck_assert_uint_eq(count(why), before + 1);
	if (esp) {
		ck_assert_int_eq(rx.esp_drop, esp);
		ck_assert_uint_eq(sigpath_esp_counter(esp)->value, esp_before + 1);
	}
}

static struct mip6_tx bu_tx(const char *src, bool hao, enum mip6_protect prot, uint16_t seq)
{
	struct mip6_tx tx = { .src = A(src), .dst = A(HA), .has_hao = hao, .hoa = A(HOA1), .protect = prot };
	tx.msg.type = MH_TYPE_BU;
	tx.msg.u.bu.seq = seq;
	tx.msg.u.bu.flags = MH_BU_F_A | MH_BU_F_H;
	tx.msg.u.bu.lifetime = hao ? 100 : 0;
	if (hao) {
		/* R3776-4.3.e: away from home the BU carries the Alternate CoA. */
		tx.msg.opts.has_alt_coa = true;
		tx.msg.opts.alt_coa = A(src);
	}
	return tx;
}

static struct mip6_tx ba_tx(const char *dst, bool rh2, enum mip6_protect prot)
{
	struct mip6_tx tx = { .src = A(HA), .dst = A(dst), .has_rh2 = rh2, .hoa = A(HOA1), .protect = prot };
	tx.msg.type = MH_TYPE_BA;
	tx.msg.u.ba.status = MH_BA_ACCEPTED;
	tx.msg.u.ba.seq = 7;
	tx.msg.u.ba.lifetime = 100;
	return tx;
}

static size_t build_mh(struct ipsecdb *db, const struct mip6_tx *tx, uint8_t *pkt)
{
	size_t len = 0;
	struct in6_addr to;
	int rc = sigpath_build_mh(db, tx, pkt, BUF_SIZE, &len, &to);
	ck_assert_msg(rc == 0, "sigpath_build_mh: %s", err_str(rc));
	ck_assert(addr_eq(&to, &tx->dst));
	ck_assert_uint_eq((size_t)(pkt[4] << 8 | pkt[5]) + IP6_HDR_LEN, len);
	return len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Fixed header: version 6, next header, hop limit, addresses. */
static void check_fixed(const uint8_t *pkt, uint8_t next, uint8_t hlim, const char *src, const char *dst)
{
	struct in6_addr s, d;
	memcpy(&s, pkt + 8, 16);
	memcpy(&d, pkt + 24, 16);
	ck_assert_uint_eq(pkt[0] >> 4, 6);
	ck_assert_uint_eq(pkt[6], next);
	ck_assert_uint_eq(pkt[7], hlim);
	ck_assert(addr_is(&s, src));
	ck_assert(addr_is(&d, dst));
}

/* wire-formats.md D.1: DestOpt{PadN(2), HAO} at off, next header `next`. */
static void check_hao(const uint8_t *pkt, size_t off, uint8_t next, const char *hoa)
{
	static const uint8_t padn[4] = { 0x01, 0x02, 0x00, 0x00 };
	struct in6_addr a;
	ck_assert_uint_eq(pkt[off], next);
	ck_assert_uint_eq(pkt[off + 1], 2);
	ck_assert_int_eq(memcmp(pkt + off + 2, padn, 4), 0);
	ck_assert_uint_eq(pkt[off + 6], EXTHDR_OPT_HAO); /* 201 at 8n+6 */
	ck_assert_uint_eq(pkt[off + 7], 16);
	memcpy(&a, pkt + off + 8, 16);
	ck_assert(addr_is(&a, hoa));
}

/* wire-formats.md D.2: RH2 at off, Hdr Ext Len 2, type 2, Segments Left 1. */
static void check_rh2(const uint8_t *pkt, size_t off, uint8_t next, const char *hoa)
{
	struct in6_addr a;
	ck_assert_uint_eq(pkt[off], next);
	ck_assert_uint_eq(pkt[off + 1], 2);
	ck_assert_uint_eq(pkt[off + 2], 2);
	ck_assert_uint_eq(pkt[off + 3], 1);
	ck_assert_uint_eq(be32(pkt + off + 4), 0);
	memcpy(&a, pkt + off + 8, 16);
	ck_assert(addr_is(&a, hoa));
}

static void check_esp(const uint8_t *pkt, size_t off, uint32_t spi, uint32_t seq)
{
	ck_assert_uint_eq(be32(pkt + off), spi);
	ck_assert_uint_eq(be32(pkt + off + 4), seq);
}

/* An independent E1 builder: the MH, sealed with sa, behind the canonical
 * DestOpt{HAO}, assembled here rather than by sigpath. */
static size_t hand_bu_hao(struct sa *sa, const struct mip6_tx *tx, const struct in6_addr *hao, uint8_t *out)
{
	uint8_t tmp[1024];
	struct wbuf w;
	struct mh_pseudo ph = { .src = *hao, .dst = tx->dst };
	wbuf_init(&w, tmp + 128, 512);
	ck_assert_int_eq(mh_build(&w, &tx->msg, &ph, NULL), 0);
	struct esp_result res;
	ck_assert_int_eq(esp_seal(sa, tmp, sizeof(tmp), 128, wbuf_len(&w), IP6_NH_MH, NULL, &res), 0);
	struct ip6_fixed h = { .plen = (uint16_t)(EXTHDR_HAO_HDR_LEN + res.len), .next = IP6_NH_DSTOPTS,
			       .hlim = 64, .src = tx->src, .dst = tx->dst };
	wbuf_init(&w, out, BUF_SIZE);
	ip6_build_fixed(&w, &h);
	exthdr_build_hao(&w, IP6_NH_ESP, hao);
	wbuf_bytes(&w, tmp + res.off, res.len);
	ck_assert_int_eq(wbuf_status(&w), 0);
	return wbuf_len(&w);
}

/* ---- E1-E4: BU and BA ----------------------------------------------------- */

START_TEST(bu_from_care_of_address)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE], hand[BUF_SIZE];
	struct mip6_tx tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 7);
	size_t len = build_mh(w.mn.db, &tx, pkt);
	/* E1: IPv6(CoA -> HA) . DestOpt{HAO} . ESP(T) . MH */
	check_fixed(pkt, IP6_NH_DSTOPTS, 64, COA, HA);
	check_hao(pkt, 40, IP6_NH_ESP, HOA1);
	check_esp(pkt, 64, 0x1001, 1);
	struct ip6_view v;
	ck_assert_int_eq(ip6_parse(pkt, len, &v), 0);
	ck_assert(v.hao.present && v.hao.opt_off == 46 && v.upper.proto == IP6_NH_ESP && v.upper.off == 64);
	ck_assert_uint_eq(v.violations, 0);
	/* The same bytes from a separate builder holding the same key. */
	struct sa *peer = sa_from_conf(w.mn.conf, "mn1-bu-out", SA_DIR_OUT);
	struct in6_addr hoa = A(HOA1);
	size_t hlen = hand_bu_hao(peer, &tx, &hoa, hand);
	tu_assert_mem_eq(pkt, len, hand, hlen);
	sa_free(peer);
	corpus_save("bu-hao", false, pkt, len);

	struct sigpath_rx rx;
	uint64_t delivered = 0;
	for (const struct stats_counter *c = stats_first(); c; c = c->next)
		if (!strcmp(c->group, "sig") && !strcmp(c->name, "in_mh"))
			delivered = c->value;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(rx.esp && rx.mh.esp);
	ck_assert_uint_eq(rx.sa_id, 0x1001);
	ck_assert_uint_eq(rx.mh.sa_id, 0x1001);
	ck_assert(addr_is(&rx.mh.src, COA)); /* as on the wire */
	ck_assert(addr_is(&rx.mh.dst, HA));
	ck_assert(rx.mh.has_hao && addr_is(&rx.mh.hao, HOA1));
	ck_assert(mh_msg_eq(&rx.mh.msg, &tx.msg));
	ck_assert(rx.mnha && addr_is(&rx.mnha->home_address, HOA1));
	ck_assert_uint_eq(rx.ifindex, 7);
	/* The 50 socket's dispatch: inbound MN-HA SPIs only. */
	ck_assert(sigpath_spi_is_mnha(w.ha.db, 0x1001) && sigpath_spi_is_mnha(w.ha.db, 0x2001));
	ck_assert(!sigpath_spi_is_mnha(w.ha.db, 0x1002) && !sigpath_spi_is_mnha(w.ha.db, 0x9999));
	for (const struct stats_counter *c = stats_first(); c; c = c->next)
		if (!strcmp(c->group, "sig") && !strcmp(c->name, "in_mh"))
			ck_assert_uint_eq(c->value, delivered + 1);
	world_fini(&w);
}
END_TEST

START_TEST(ba_to_care_of_address)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE], copy[BUF_SIZE];
	struct mip6_tx tx = ba_tx(COA, true, MIP6_PROT_ESP_BU_BA);
	size_t len = build_mh(w.ha.db, &tx, pkt);
	/* E2: IPv6(HA -> CoA) . RH2{HoA} . ESP(T) . MH */
	check_fixed(pkt, IP6_NH_ROUTING, 64, HA, COA);
	check_rh2(pkt, 40, IP6_NH_ESP, HOA1);
	check_esp(pkt, 64, 0x1002, 1);
	corpus_save("ba-rh2", true, pkt, len);
	/* R6275-6.4.a: the HA has no home address of its own to route to. */
	memcpy(copy, pkt, len);
	expect_refused(w.ha.db, copy, len, SIGPATH_DROP, SIGPATH_R_RH2_NOT_HOME, ESP_DROP_NONE);

	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.mn.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(rx.esp && rx.mh.esp && rx.has_rh2);
	ck_assert_uint_eq(rx.mh.sa_id, 0x1002);
	ck_assert(addr_is(&rx.mh.src, HA));
	ck_assert(addr_is(&rx.mh.dst, HOA1)); /* after RH2 processing */
	ck_assert(addr_is(&rx.wire_dst, COA));
	ck_assert(!rx.mh.has_hao);
	ck_assert(mh_msg_eq(&rx.mh.msg, &tx.msg));
	world_fini(&w);
}
END_TEST

START_TEST(deregistration_at_home)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE];
	/* E3: IPv6(HoA -> HA) . ESP(T) . MH{BU}, from the 50 socket. */
	struct mip6_tx tx = bu_tx(HOA1, false, MIP6_PROT_ESP_BU_BA, 9);
	size_t len = build_mh(w.mn.db, &tx, pkt);
	check_fixed(pkt, IP6_NH_ESP, 64, HOA1, HA);
	check_esp(pkt, 40, 0x1001, 1);
	corpus_save("bu-home", false, pkt, len);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(rx.mh.esp && !rx.mh.has_hao);
	ck_assert_uint_eq(rx.mh.sa_id, 0x1001);
	ck_assert(addr_is(&rx.mh.src, HOA1));
	ck_assert_uint_eq(rx.mh.msg.u.bu.lifetime, 0);
	ck_assert(mh_msg_eq(&rx.mh.msg, &tx.msg));

	/* E4: IPv6(HA -> HoA) . ESP(T) . MH{BA}. */
	struct mip6_tx ba = ba_tx(HOA1, false, MIP6_PROT_ESP_BU_BA);
	len = build_mh(w.ha.db, &ba, pkt);
	check_fixed(pkt, IP6_NH_ESP, 64, HA, HOA1);
	check_esp(pkt, 40, 0x1002, 1);
	corpus_save("ba-home", true, pkt, len);
	ck_assert_int_eq(receive(w.mn.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(rx.mh.esp && !rx.has_rh2);
	ck_assert_uint_eq(rx.mh.msg.type, MH_TYPE_BA);
	ck_assert(addr_is(&rx.mh.dst, HOA1));
	world_fini(&w);
}
END_TEST

/* A Binding Error is legitimately unprotected (RFC 6275 9.3.3). */
START_TEST(binding_error_in_the_clear)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE];
	struct mip6_tx tx = { .src = A(HA), .dst = A(COA), .hoa = A(HOA1), .protect = MIP6_PROT_NONE };
	tx.msg.type = MH_TYPE_BE;
	tx.msg.u.be.status = MH_BE_UNKNOWN_HAO;
	tx.msg.u.be.hoa = A(HOA1);
	size_t len = build_mh(w.ha.db, &tx, pkt);
	check_fixed(pkt, IP6_NH_MH, 64, HA, COA);
	corpus_save("be", true, pkt, len);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.mn.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(!rx.mh.esp);
	ck_assert_uint_eq(rx.mh.sa_id, 0);
	ck_assert(mh_msg_eq(&rx.mh.msg, &tx.msg));
	/* ESP refused for a message the engine has no SA for. */
	tx.protect = MIP6_PROT_ESP_BU_BA;
	tx.hoa = A("2001:db8:1::300");
	size_t l2;
	struct in6_addr to;
	ck_assert_int_eq(sigpath_build_mh(w.ha.db, &tx, pkt, BUF_SIZE, &l2, &to), M6E_NOTFOUND);
	ck_assert_int_eq(sigpath_build_mh(w.ha.db, &tx, pkt, 100, &l2, &to), M6E_NOSPACE);
	world_fini(&w);
}
END_TEST

/* ---- E7, E8 and the unprotected ICMPv6 messages --------------------------- */

static size_t build_icmp(struct ipsecdb *db, struct sigpath_icmp_tx *tx, uint8_t *pkt)
{
	size_t len = 0;
	struct in6_addr to;
	int rc = sigpath_build_icmp6(db, tx, pkt, BUF_SIZE, &len, &to);
	ck_assert_msg(rc == 0, "sigpath_build_icmp6: %s", err_str(rc));
	ck_assert(addr_eq(&to, &tx->dst));
	return len;
}

START_TEST(mobile_prefix_discovery)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE];
	uint8_t msg[256];
	struct wbuf mb;
	struct nd_mp mp = { .id = 0x4242 };
	struct in6_addr coa = A(COA), ha = A(HA);
	wbuf_init(&mb, msg, sizeof(msg));
	ck_assert_int_eq(nd_build_mps(&mb, &coa, &ha, &mp), 0);
	/* E7: IPv6(CoA -> HA) . DestOpt{HAO} . ESP(T) . ICMPv6{146}. The
	 * builder's checksum (CoA pseudo-header) is replaced by the HoA one. */
	struct sigpath_icmp_tx tx = { .src = coa, .dst = ha, .has_hao = true, .hoa = A(HOA1), .protect = true,
				      .msg = msg, .msg_len = wbuf_len(&mb) };
	size_t len = build_icmp(w.mn.db, &tx, pkt);
	check_fixed(pkt, IP6_NH_DSTOPTS, 64, COA, HA);
	check_hao(pkt, 40, IP6_NH_ESP, HOA1);
	check_esp(pkt, 64, 0x1005, 1);
	corpus_save("mps", false, pkt, len);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_ICMP6);
	ck_assert_uint_eq(rx.icmp.type, ICMP6_TYPE_MPS);
	ck_assert(rx.esp && rx.has_hao && addr_is(&rx.hao, HOA1) && addr_is(&rx.src, COA));
	ck_assert_uint_eq(rx.sa_id, 0x1005);
	struct nd_mp got;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_mps(&rx.icmp, &got, &why), 0);
	ck_assert_uint_eq(got.id, 0x4242);

	/* E8: IPv6(HA -> CoA) . RH2{HoA} . ESP(T) . ICMPv6{147}. */
	wbuf_init(&mb, msg, sizeof(msg));
	mp.flags = 0;
	mp.opts.n_pio = 1;
	mp.opts.pio[0] = (struct nd_pio){ .plen = 64, .flags = 0xc0, .valid = 3600, .preferred = 1800,
					  .prefix = A("2001:db8:1::") };
	ck_assert_int_eq(nd_build_mpa(&mb, &ha, &coa, &mp), 0);
	struct sigpath_icmp_tx atx = { .src = ha, .dst = coa, .has_rh2 = true, .hoa = A(HOA1), .protect = true,
				       .msg = msg, .msg_len = wbuf_len(&mb) };
	len = build_icmp(w.ha.db, &atx, pkt);
	check_fixed(pkt, IP6_NH_ROUTING, 64, HA, COA);
	check_rh2(pkt, 40, IP6_NH_ESP, HOA1);
	check_esp(pkt, 64, 0x1006, 1);
	corpus_save("mpa", true, pkt, len);
	ck_assert_int_eq(receive(w.mn.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_ICMP6);
	ck_assert_uint_eq(rx.icmp.type, ICMP6_TYPE_MPA);
	ck_assert(rx.esp && rx.has_rh2 && addr_is(&rx.dst, HOA1));
	ck_assert_uint_eq(rx.sa_id, 0x1006);
	ck_assert_int_eq(nd_parse_mpa(&rx.icmp, &got, &why), 0);
	ck_assert_uint_eq(got.opts.n_pio, 1);

	/* R3776-4.1.e: an MPS in the clear hits the PROTECT policy. */
	wbuf_init(&mb, msg, sizeof(msg));
	mp = (struct nd_mp){ .id = 0x4243 };
	ck_assert_int_eq(nd_build_mps(&mb, &coa, &ha, &mp), 0);
	tx.protect = false;
	len = build_icmp(w.mn.db, &tx, pkt);
	check_hao(pkt, 40, IP6_NH_ICMPV6, HOA1);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);
	world_fini(&w);
}
END_TEST

START_TEST(unprotected_icmp6)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE];
	uint8_t msg[256];
	struct wbuf mb;
	struct in6_addr coa = A(COA), anycast;
	struct prefix6 home = { .addr = A("2001:db8:1::"), .len = 64 };
	ck_assert_int_eq(icmp6_ha_anycast(&home, &anycast), 0);
	wbuf_init(&mb, msg, sizeof(msg));
	ck_assert_int_eq(icmp6_build_dhaad_req(&mb, &coa, &anycast, 0x77), 0);
	struct sigpath_icmp_tx tx = { .src = coa, .dst = anycast, .msg = msg, .msg_len = wbuf_len(&mb) };
	size_t len = build_icmp(w.mn.db, &tx, pkt);
	check_fixed(pkt, IP6_NH_ICMPV6, 64, COA, "2001:db8:1::fdff:ffff:ffff:fffe");
	corpus_save("dhaad-req", false, pkt, len);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_ICMP6);
	ck_assert_uint_eq(rx.icmp.type, ICMP6_TYPE_DHAAD_REQUEST);
	ck_assert(!rx.esp);

	/* DAD probe: from ::, to the solicited-node group, hop limit 255. */
	struct in6_addr sn, any = IN6ADDR_ANY_INIT, hoa = A(HOA1);
	wbuf_init(&mb, msg, sizeof(msg));
	ck_assert_int_eq(nd_build_dad_ns(&mb, &hoa, &sn), 0);
	struct sigpath_icmp_tx ns = { .src = any, .dst = sn, .hlim = SIGPATH_ND_HLIM, .msg = msg,
				      .msg_len = wbuf_len(&mb) };
	len = build_icmp(w.ha.db, &ns, pkt);
	check_fixed(pkt, IP6_NH_ICMPV6, 255, "::", "ff02::1:ff00:100");
	corpus_save("dad-ns", false, pkt, len);
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_ICMP6);
	ck_assert_uint_eq(rx.icmp.type, ICMP6_TYPE_NS);
	ck_assert_int_eq(rx.hlim, 255);

	/* Echo Request: the kernel's. A bad checksum: refused. */
	msg[0] = ICMP6_TYPE_ECHO_REQUEST;
	tx.msg_len = 8;
	len = build_icmp(w.mn.db, &tx, pkt);
	expect_refused(w.ha.db, pkt, len, SIGPATH_IGNORE, SIGPATH_R_ICMP6_OTHER, ESP_DROP_NONE);
	ns.dst = A("ff02::1:ff00:101");
	wbuf_init(&mb, msg, sizeof(msg));
	ck_assert_int_eq(nd_build_dad_ns(&mb, &hoa, &sn), 0);
	len = build_icmp(w.ha.db, &ns, pkt);
	pkt[len - 1] ^= 1;
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_ICMP6, ESP_DROP_NONE);
	struct sigpath_icmp_tx bad = { .msg = msg, .msg_len = 3 };
	struct in6_addr to;
	ck_assert_int_eq(sigpath_build_icmp6(w.ha.db, &bad, pkt, BUF_SIZE, &len, &to), M6E_INVAL);
	world_fini(&w);
}
END_TEST

/* ---- the MN-HA tunnel ---------------------------------------------------- */

/* An inner IPv6 packet at buf[SIGPATH_HEADROOM]: UDP, or an MH of type
 * mh_type (HoTI / HoT) when mh_type >= 0. */
static size_t put_inner(uint8_t *buf, const char *src, const char *dst, int mh_type)
{
	uint8_t upper[64];
	struct wbuf w;
	struct ip6_pkt_spec spec = { .src = A(src), .dst = A(dst), .proto = IP6_NH_UDP };
	size_t ulen;
	if (mh_type >= 0) {
		struct mh_msg m = { .type = (uint8_t)mh_type };
		memset(m.u.ti.cookie, 0x5a, sizeof(m.u.ti.cookie));
		if (mh_type == MH_TYPE_HOT)
			memset(m.u.test.token, 0x3c, sizeof(m.u.test.token));
		wbuf_init(&w, upper, sizeof(upper));
		ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), 0);
		ulen = wbuf_len(&w);
		spec.proto = IP6_NH_MH;
	} else {
		static const uint8_t udp[16] = { 0x30, 0x39, 0x00, 0x35, 0x00, 0x10, 0, 0, 'h', 'e', 'l', 'l', 'o' };
		memcpy(upper, udp, sizeof(udp));
		ulen = sizeof(udp);
	}
	wbuf_init(&w, buf + SIGPATH_HEADROOM, BUF_SIZE - SIGPATH_HEADROOM);
	ck_assert_int_eq(ip6_build_packet(&w, &spec, upper, ulen), 0);
	return wbuf_len(&w);
}

static struct ipsecdb_mnha *pair(struct ipsecdb *db)
{
	struct in6_addr hoa = A(HOA1);
	struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(db, &hoa);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Encapsulate an inner packet from `from` and deliver it to `to`; returns
 * the receive result in rx and checks the inner bytes came through. spi 0:
 * expect plain IPv6-in-IPv6. */
static void tunnel_trip(struct ipsecdb *from, struct ipsecdb *to, const char *osrc, const char *odst,
			const char *isrc, const char *idst, int mh_type, uint32_t spi, const char *seed)
{
	static uint8_t buf[BUF_SIZE], inner[BUF_SIZE];
	size_t ilen = put_inner(buf, isrc, idst, mh_type);
	memcpy(inner, buf + SIGPATH_HEADROOM, ilen);
	struct in6_addr s = A(osrc), d = A(odst);
	size_t off, len;
	int rc = sigpath_encap(from, pair(from), &s, &d, buf, BUF_SIZE, SIGPATH_HEADROOM, ilen, &off, &len);
	ck_assert_msg(rc == 0, "sigpath_encap: %s", err_str(rc));
	/* E5/E6/E9/E10: IPv6(outer) . ESP(TUN) . IPv6; E13: IPv6 . IPv6. */
	check_fixed(buf + off, spi ? IP6_NH_ESP : IP6_NH_IPV6, SIGPATH_TUNNEL_HLIM, osrc, odst);
	ck_assert_uint_eq((size_t)(buf[off + 4] << 8 | buf[off + 5]) + IP6_HDR_LEN, len);
	if (spi)
		check_esp(buf + off, 40, spi, 1);
	else
		tu_assert_mem_eq(buf + off + 40, len - 40, inner, ilen);
	corpus_save(seed, !pair(to)->we_are_ha, buf + off, len);
	if (!pair(from)->we_are_ha)
		corpus_save_inner(seed, inner, ilen);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(to, buf + off, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_TUNNEL);
	ck_assert_int_eq(rx.esp, spi != 0);
	ck_assert_uint_eq(rx.sa_id, spi);
	ck_assert(addr_is(&rx.src, osrc));
	ck_assert_ptr_eq(rx.mnha, pair(to));
	tu_assert_mem_eq(buf + off + 40 + rx.off, rx.len, inner, ilen);
	ck_assert(addr_is(&rx.inner.src, isrc) && addr_is(&rx.inner.dst, idst));
}

START_TEST(tunnel_examples)
{
	struct world w;
	world_init(&w, false, false);
	/* No payload SAs in the examples: payload travels plain (E13). */
	tunnel_trip(w.ha.db, w.mn.db, HA, COA, CN, HOA1, -1, 0, "tun-plain-down");
	tunnel_trip(w.mn.db, w.ha.db, COA, HA, HOA1, CN, -1, 0, "tun-plain-up");
	/* R3776-4.1.d: HoTI / HoT on the rr SAs in tunnel mode (E5, E6). */
	tunnel_trip(w.ha.db, w.mn.db, HA, COA, CN, HOA1, MH_TYPE_HOT, 0x1004, "tun-hot");
	tunnel_trip(w.mn.db, w.ha.db, COA, HA, HOA1, CN, MH_TYPE_HOTI, 0x1003, "tun-hoti");
	world_fini(&w);
}
END_TEST

START_TEST(tunnel_payload_sas)
{
	struct world w;
	world_init(&w, true, false);
	tunnel_trip(w.ha.db, w.mn.db, HA, COA, CN, HOA1, -1, 0x1008, "tun-pl-down");
	tunnel_trip(w.mn.db, w.ha.db, COA, HA, HOA1, CN, -1, 0x1007, "tun-pl-up");
	/* HoTI stays on its own SA, ahead of the payload SA. */
	tunnel_trip(w.mn.db, w.ha.db, COA, HA, HOA1, CN, MH_TYPE_HOTI, 0x1003, "tun-pl-hoti");

	static uint8_t buf[BUF_SIZE];
	size_t ilen, off, len;
	struct in6_addr coa = A(COA), ha = A(HA);
	/* R3776-4.2.c: plain IPv6-in-IPv6 where the policy says PROTECT. */
	ilen = put_inner(buf, HOA1, CN, -1);
	struct tunnel6_params tp = { .src = coa, .dst = ha };
	ck_assert_int_eq(tunnel6_encap(buf, SIGPATH_HEADROOM, ilen, &tp, &off), 0);
	expect_refused(w.ha.db, buf + off, ilen + 40, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);
	/* A plain tunnel packet of no mobile node: src/fwd's or nobody's. */
	ilen = put_inner(buf, CN, "2001:db8:5::6", -1);
	ck_assert_int_eq(tunnel6_encap(buf, SIGPATH_HEADROOM, ilen, &tp, &off), 0);
	expect_refused(w.ha.db, buf + off, ilen + 40, SIGPATH_IGNORE, SIGPATH_R_NOT_MNHA, ESP_DROP_NONE);

	/* MN1's payload SA carrying packets that are not MN1's (RFC 4301 5.2
	 * step 4): from another address, and a HoTI claiming MN2's home
	 * address, whose policy names MN2's rr SA (R3776-4.2.k). (MN1's own
	 * HoTI on its payload SA passes: its payload policy covers it too.) */
	struct sa *pl = pair(w.mn.db)->payload_out;
	const struct {
		const char *src;
		int mh_type;
		enum sigpath_reason why;
		enum spd_drop spd;
	} wrong[] = {
		{ "2001:db8:9::9", -1, SIGPATH_R_POLICY, SPD_DROP_NO_POLICY },
		{ HOA2, MH_TYPE_HOTI, SIGPATH_R_WRONG_SA, SPD_DROP_WRONG_SA },
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		ilen = put_inner(buf, wrong[i].src, CN, wrong[i].mh_type);
		struct esp_result res;
		ck_assert_int_eq(esp_seal(pl, buf, BUF_SIZE, SIGPATH_HEADROOM, ilen, ESP_NH_IPV6, NULL, &res), 0);
		struct ip6_fixed h = { .plen = (uint16_t)res.len, .next = IP6_NH_ESP, .hlim = 64, .src = coa, .dst = ha };
		struct wbuf wb;
		wbuf_init(&wb, buf + res.off - 40, 40);
		ip6_build_fixed(&wb, &h);
		struct sigpath_rx rx;
		uint64_t before = count(wrong[i].why);
		int rc = receive(w.ha.db, buf + res.off - 40, res.len + 40, &rx);
		ck_assert_msg(rc == M6E_PERM, "case %zu: %s/%s", i, sigpath_kind_name(rx.kind), sigpath_reason_name(rx.reason));
		ck_assert_int_eq(rx.reason, wrong[i].why);
		ck_assert_int_eq(rx.spd, wrong[i].spd);
		ck_assert_uint_eq(count(wrong[i].why), before + 1);
	}
	/* Encapsulation refusals: no headroom, not an IPv6 packet. */
	ilen = put_inner(buf, HOA1, CN, -1);
	ck_assert_int_eq(sigpath_encap(w.mn.db, pair(w.mn.db), &coa, &ha, buf, BUF_SIZE, 16, ilen, &off, &len),
			 M6E_NOSPACE);
	ck_assert_int_eq(sigpath_encap(w.mn.db, pair(w.mn.db), &coa, &ha, buf, BUF_SIZE, SIGPATH_HEADROOM,
				       ilen - 1, &off, &len),
			 M6E_INVAL);
	world_fini(&w);
}
END_TEST

/* ---- refusals -------------------------------------------------------------- */

/* A site tunnel's ESP on the same HA is src/fwd's: ignored unopened, so its
 * replay window and counters stay src/fwd's alone. */
START_TEST(site_tunnel_sa_is_not_ours)
{
	static const char tunnel[] =
		"\ntunnels = ( { name = \"t1\"; local = \"" HA "\"; remote = \"2001:db8:ff::2\"; "
		"local-prefixes = [ \"fd00:a::/64\" ]; remote-prefixes = [ \"fd00:b::/64\" ]; "
		"manual-sas = [ \"site-out\", \"site-in\" ]; } );\n";
	static const char sas[] =
		"{ name = \"site-out\"; spi = 0x3001; direction = \"out\"; source = \"" HA "\"; "
		"destination = \"2001:db8:ff::2\"; mode = \"tunnel\"; traffic = \"any\"; encryption = \"aes-cbc\"; "
		"encryption-key = \"" KEY_UP "\"; integrity = \"hmac-sha256-128\"; integrity-key = \"" AUTH_UP "\"; },\n"
		"{ name = \"site-in\"; spi = 0x3002; direction = \"in\"; source = \"2001:db8:ff::2\"; "
		"destination = \"" HA "\"; mode = \"tunnel\"; traffic = \"any\"; encryption = \"aes-cbc\"; "
		"encryption-key = \"" KEY_DOWN "\"; integrity = \"hmac-sha256-128\"; integrity-key = \"" AUTH_DOWN "\"; },\n";
	struct node ha;
	node_load_with(&ha, "etc/examples/home-agent.conf", sas, false, tunnel);
	sigpath_stats_register();
	static uint8_t pkt[BUF_SIZE];
	struct ip6_fixed h = { .plen = 64, .next = IP6_NH_ESP, .hlim = 64, .src = A("2001:db8:ff::2"), .dst = A(HA) };
	struct wbuf wb;
	wbuf_init(&wb, pkt, sizeof(pkt));
	ip6_build_fixed(&wb, &h);
	wbuf_u32(&wb, 0x3002);
	wbuf_u32(&wb, 1);
	wbuf_zero(&wb, 56);
	ck_assert(!sigpath_spi_is_mnha(ha.db, 0x3002));
	expect_refused(ha.db, pkt, wbuf_len(&wb), SIGPATH_IGNORE, SIGPATH_R_FOREIGN_SA, ESP_DROP_NONE);
	struct sa *site = sad_lookup(ipsecdb_sad(ha.db), SA_DIR_IN, 0x3002);
	ck_assert_ptr_nonnull(site);
	ck_assert_uint_eq(site->cnt.auth_fail + site->cnt.other_drop + site->cnt.packets, 0);
	ipsecdb_free(ha.db);
	conf_free(ha.conf);
}
END_TEST

START_TEST(refusals)
{
	struct world w;
	world_init(&w, false, false);
	static uint8_t pkt[BUF_SIZE];
	size_t len;

	/* R3776-4.1.c: BU in the clear, on the 135 socket and behind a HAO. */
	struct mip6_tx tx = bu_tx(HOA1, false, MIP6_PROT_NONE, 1);
	len = build_mh(w.mn.db, &tx, pkt);
	check_fixed(pkt, IP6_NH_MH, 64, HOA1, HA);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);
	tx = bu_tx(COA, true, MIP6_PROT_NONE, 1);
	len = build_mh(w.mn.db, &tx, pkt);
	check_hao(pkt, 40, IP6_NH_MH, HOA1);
	/* R6275-6.1.1.d: the checksum covers the home address, not the CoA. */
	struct mh_pseudo with_hoa = { .src = A(HOA1), .dst = A(HA) }, with_coa = { .src = A(COA), .dst = A(HA) };
	ck_assert(mh_cksum_ok(pkt + 64, len - 64, &with_hoa));
	ck_assert(!mh_cksum_ok(pkt + 64, len - 64, &with_coa));
	corpus_save("bu-clear-hao", false, pkt, len);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);
	/* ... and a BA in the clear to the MN behind RH2. */
	struct mip6_tx ba = ba_tx(COA, true, MIP6_PROT_NONE);
	len = build_mh(w.ha.db, &ba, pkt);
	check_rh2(pkt, 40, IP6_NH_MH, HOA1);
	expect_refused(w.mn.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);
	/* Return routability outside the tunnel is not this path's. */
	struct mip6_tx hoti = { .src = A(HOA1), .dst = A(HA), .hoa = A(HOA1) };
	hoti.msg.type = MH_TYPE_HOTI;
	len = build_mh(w.mn.db, &hoti, pkt);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_MH_TYPE, ESP_DROP_NONE);

	/* R3776-4.2.k: MN2's BU SA carrying a BU for MN1's home address. */
	struct sa *mn2 = sa_from_conf(w.ha.conf, "mn2-bu-in", SA_DIR_OUT);
	tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 2);
	struct in6_addr hoa1 = A(HOA1), hoa2 = A(HOA2), hoa3 = A("2001:db8:1::300");
	len = hand_bu_hao(mn2, &tx, &hoa1, pkt);
	corpus_save("bu-mn2-sa", false, pkt, len);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_WRONG_SA, ESP_DROP_NONE);
	sa_free(mn2);
	/* MN1's SA with a HAO that is MN2's home address (the HAO is outside
	 * ESP, so anyone on the path can rewrite it) or nobody's. */
	struct sa *mn1 = sa_from_conf(w.mn.conf, "mn1-bu-out", SA_DIR_OUT);
	len = hand_bu_hao(mn1, &tx, &hoa2, pkt);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_WRONG_SA, ESP_DROP_NONE);
	len = hand_bu_hao(mn1, &tx, &hoa3, pkt);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), M6E_PERM);
	ck_assert_int_eq(rx.reason, SIGPATH_R_POLICY);
	ck_assert_int_eq(rx.spd, SPD_DROP_DISCARD);
	sa_free(mn1);

	/* ESP refusals: tampered ICV, unknown SPI. */
	tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 3);
	len = build_mh(w.mn.db, &tx, pkt);
	pkt[len - 1] ^= 0x80;
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_ESP, ESP_DROP_AUTH);
	char why[128];
	len = build_mh(w.mn.db, &tx, pkt);
	pkt[len - 1] ^= 0x80;
	receive(w.ha.db, pkt, len, &rx);
	sigpath_rx_why(&rx, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, esp_drop_name(ESP_DROP_AUTH)));
	ck_assert_ptr_nonnull(strstr(why, "refused by ESP ("));
	len = build_mh(w.mn.db, &tx, pkt);
	pkt[64 + 2] = 0x99;
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_ESP, ESP_DROP_UNKNOWN_SPI);

	/* Headers: HAO and RH2 together, DestOpt without HAO (the kernel's),
	 * a type 0 RH (the kernel's), an unknown socket. */
	len = build_mh(w.mn.db, &tx, pkt);
	static uint8_t two[BUF_SIZE];
	struct wbuf wb;
	struct ip6_fixed h = { .plen = (uint16_t)(len - 40 + 24), .next = IP6_NH_ROUTING, .hlim = 64 };
	memcpy(&h.src, pkt + 8, 16);
	memcpy(&h.dst, pkt + 24, 16);
	wbuf_init(&wb, two, sizeof(two));
	ip6_build_fixed(&wb, &h);
	exthdr_build_rh2(&wb, IP6_NH_DSTOPTS, &hoa1);
	wbuf_bytes(&wb, pkt + 40, len - 40);
	expect_refused(w.mn.db, two, wbuf_len(&wb), SIGPATH_DROP, SIGPATH_R_HAO_AND_RH2, ESP_DROP_NONE);
	pkt[46] = EXTHDR_OPT_PADN; /* the HAO becomes padding */
	expect_refused(w.ha.db, pkt, len, SIGPATH_IGNORE, SIGPATH_R_NO_HAO, ESP_DROP_NONE);
	ba = ba_tx(COA, true, MIP6_PROT_ESP_BU_BA);
	len = build_mh(w.ha.db, &ba, pkt);
	pkt[40 + 2] = 0; /* routing type 0 */
	expect_refused(w.mn.db, pkt, len, SIGPATH_IGNORE, SIGPATH_R_NOT_RH2, ESP_DROP_NONE);
	pkt[40 + 2] = 2;
	pkt[40 + 3] = 0; /* R6275-6.4.1.a: Segments Left must be 1 */
	expect_refused(w.mn.db, pkt, len, SIGPATH_DROP, SIGPATH_R_HEADER_ORDER, ESP_DROP_NONE);
	len = build_mh(w.mn.db, &tx, pkt);
	pkt[6] = IP6_NH_UDP;
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_SOCKET, ESP_DROP_NONE);
	pkt[6] = IP6_NH_DSTOPTS;
	pkt[40] = IP6_NH_UDP; /* HAO then UDP: no such layout here */
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UPPER, ESP_DROP_NONE);
	world_fini(&w);
}
END_TEST

START_TEST(replay)
{
	struct world w;
	world_init(&w, false, true);
	static uint8_t pkt[BUF_SIZE], copy[BUF_SIZE];
	struct mip6_tx tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 4);
	size_t len = build_mh(w.mn.db, &tx, pkt);
	memcpy(copy, pkt, len); /* decryption is in place */
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	/* R4303-3.4.3.a: the same bytes again. */
	expect_refused(w.ha.db, copy, len, SIGPATH_DROP, SIGPATH_R_ESP, ESP_DROP_REPLAY);
	/* A forged packet must not move the window: sequence 2 with a bad
	 * ICV, then the real sequence 2 is still accepted. */
	len = build_mh(w.mn.db, &tx, pkt);
	memcpy(copy, pkt, len);
	copy[len - 1] ^= 1;
	expect_refused(w.ha.db, copy, len, SIGPATH_DROP, SIGPATH_R_ESP, ESP_DROP_AUTH);
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	world_fini(&w);
}
END_TEST

/* Every prefix of a valid packet is a drop, never a crash or a delivery;
 * the whole packet is still accepted afterwards. */
static void truncations(struct ipsecdb *db, const uint8_t *pkt, size_t len)
{
	static uint8_t cut[BUF_SIZE];
	struct sigpath_rx rx;
	for (size_t l = 0; l < len - IP6_HDR_LEN; l++) {
		struct sigpath_pkt in = { .proto = pkt[6], .buf = cut, .len = l, .hlim = 64 };
		memcpy(cut, pkt + IP6_HDR_LEN, l);
		memcpy(&in.src, pkt + 8, 16);
		memcpy(&in.dst, pkt + 24, 16);
		int rc = sigpath_in(db, &in, &rx);
		ck_assert_msg(rc < 0 && rx.kind == SIGPATH_DROP, "length %zu: %s/%s", l, sigpath_kind_name(rx.kind),
			      sigpath_reason_name(rx.reason));
		ck_assert_int_ne(rx.reason, SIGPATH_R_NONE);
	}
	memcpy(cut, pkt, len);
	ck_assert_int_eq(receive(db, cut, len, &rx), 0);
}

START_TEST(truncated_everywhere)
{
	struct world w;
	world_init(&w, true, false);
	static uint8_t pkt[BUF_SIZE];
	struct mip6_tx tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 5);
	truncations(w.ha.db, pkt, build_mh(w.mn.db, &tx, pkt));
	tx = bu_tx(HOA1, false, MIP6_PROT_ESP_BU_BA, 6);
	truncations(w.ha.db, pkt, build_mh(w.mn.db, &tx, pkt));
	struct mip6_tx ba = ba_tx(COA, true, MIP6_PROT_ESP_BU_BA);
	truncations(w.mn.db, pkt, build_mh(w.ha.db, &ba, pkt));
	ba = ba_tx(COA, false, MIP6_PROT_NONE);
	ba.msg.type = MH_TYPE_BE;
	ba.msg.u.be = (struct mh_be){ .status = MH_BE_UNKNOWN_HAO, .hoa = A(HOA1) };
	truncations(w.mn.db, pkt, build_mh(w.ha.db, &ba, pkt));
	/* Tunnel packets, plain and ESP. */
	static uint8_t buf[BUF_SIZE];
	struct in6_addr coa = A(COA), ha = A(HA);
	size_t ilen = put_inner(buf, HOA1, CN, -1), off, len;
	ck_assert_int_eq(sigpath_encap(w.mn.db, pair(w.mn.db), &coa, &ha, buf, BUF_SIZE, SIGPATH_HEADROOM, ilen,
				       &off, &len),
			 0);
	truncations(w.ha.db, buf + off, len);
	struct tunnel6_params tp = { .src = ha, .dst = coa };
	ilen = put_inner(buf, CN, HOA1, -1);
	ck_assert_int_eq(tunnel6_encap(buf, SIGPATH_HEADROOM, ilen, &tp, &off), 0);
	/* The MN has payload SAs here: the plain packet is refused whole too,
	 * so check on an example MN instead. */
	struct world plain;
	world_init(&plain, false, false);
	truncations(plain.mn.db, buf + off, ilen + 40);
	world_fini(&plain);
	world_fini(&w);
}
END_TEST

/* ---- IKE-keyed MN-HA SAs (RFC 4877) -------------------------------------- */

static const char ike_ha_conf[] =
	"interfaces = ( { name = \"home0\"; kind = \"home-link\"; } );\n"
	"home-agent = { home-link = \"home0\"; address = \"" HA "\"; home-prefixes = [ \"2001:db8:1::/64\" ];\n"
	"  mobile-nodes = ( { identity = \"mn1.lab\"; home-address = \"" HOA1 "\"; },\n"
	"                   { identity = \"mn2.lab\"; home-address = \"" HOA2 "\"; } ); };\n"
	"ike = { identity = \"ha.lab\"; auth = \"psk\";\n"
	"  peers = ( { name = \"mn1\"; identity = \"mn1.lab\"; psk = \"" KEY_UP "\"; } ); };\n";
static const char ike_mn_conf[] =
	"mobile-node = { home-address = \"" HOA1 "\"; home-prefix = \"2001:db8:1::/64\"; ha-address = \"" HA "\"; };\n"
	"ike = { identity = \"mn1.lab\"; auth = \"psk\";\n"
	"  peers = ( { name = \"ha\"; identity = \"ha.lab\"; address = \"" HA "\"; psk = \"" KEY_UP "\"; } ); };\n";

static void ike_node(struct node *n, const char *text)
{
	struct conf_error cerr;
	char msg[600], err[256];
	int rc = conf_load_string(text, "ike.conf", &n->conf, &cerr);
	conf_error_format(&cerr, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "%s", msg);
	rc = ipsecdb_build(n->conf, 0, &n->db, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
}

/* One CHILD_SA pair as IKE hands it to both ends: the MN's in is the HA's
 * out. AES-256-GCM-16 key material, distinct per pair. */
static void ike_pair(struct world *w, enum ipsecdb_mnha_slot slot, uint32_t spi_mn, uint32_t spi_ha)
{
	static uint8_t up[36], down[36];
	for (size_t i = 0; i < sizeof(up); i++) {
		up[i] = (uint8_t)(spi_mn + i);
		down[i] = (uint8_t)(spi_ha + 3 * i);
	}
	struct ipsecdb_child mn = { .spi_in = spi_mn, .spi_out = spi_ha, .alg = AEAD_AES256_GCM16,
				    .keymat_in = down, .keymat_out = up, .keymat_len = sizeof(up),
				    .local = A(COA), .remote = A(HA) };
	struct ipsecdb_child ha = mn;
	ha.spi_in = spi_ha;
	ha.spi_out = spi_mn;
	ha.keymat_in = up;
	ha.keymat_out = down;
	ha.local = A(HA);
	ha.remote = A(COA);
	char err[160];
	struct in6_addr hoa = A(HOA1);
	ck_assert_msg(ipsecdb_mnha_child_install(w->mn.db, &hoa, slot, &mn, 0, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(ipsecdb_mnha_child_install(w->ha.db, &hoa, slot, &ha, 0, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(ike_keyed_bu_ba_and_rekey)
{
	struct world w;
	ike_node(&w.ha, ike_ha_conf);
	ike_node(&w.mn, ike_mn_conf);
	sigpath_stats_register();
	static uint8_t pkt[BUF_SIZE], old[BUF_SIZE];
	struct sigpath_rx rx;
	/* Before IKE: no SA to send a BU on (the MN waits), and the HA
	 * refuses one in the clear (R3776-4.1.c). */
	struct mip6_tx tx = bu_tx(COA, true, MIP6_PROT_ESP_BU_BA, 7);
	size_t len = 0;
	struct in6_addr to;
	ck_assert_int_eq(sigpath_build_mh(w.mn.db, &tx, pkt, BUF_SIZE, &len, &to), M6E_NOTFOUND);
	struct mip6_tx clear = bu_tx(COA, true, MIP6_PROT_NONE, 7);
	len = build_mh(w.mn.db, &clear, pkt);
	expect_refused(w.ha.db, pkt, len, SIGPATH_DROP, SIGPATH_R_UNPROTECTED, ESP_DROP_NONE);

	ike_pair(&w, IPSECDB_MNHA_BU_BA, 0xc0000001, 0xd0000001);
	len = build_mh(w.mn.db, &tx, pkt);
	check_esp(pkt, 64, 0xd0000001, 1);
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_MH);
	ck_assert(rx.mh.esp && rx.mh.sa_id == 0xd0000001);
	ck_assert(rx.mnha && rx.mnha->ike_keyed && addr_is(&rx.mnha->home_address, HOA1));
	ck_assert(sigpath_spi_is_mnha(w.ha.db, 0xd0000001));
	/* The BA back over the HA's out SA, opened by the MN. */
	struct mip6_tx ba = ba_tx(COA, true, MIP6_PROT_ESP_BU_BA);
	len = build_mh(w.ha.db, &ba, pkt);
	ck_assert_int_eq(receive(w.mn.db, pkt, len, &rx), 0);
	ck_assert(rx.kind == SIGPATH_MH && rx.mh.msg.type == MH_TYPE_BA && rx.mh.sa_id == 0xc0000001);

	/* A BU sealed with the first pair, delivered after the rekey. */
	tx.msg.u.bu.seq = 8;
	size_t old_len = build_mh(w.mn.db, &tx, old);
	ike_pair(&w, IPSECDB_MNHA_BU_BA, 0xc0000002, 0xd0000002);
	tx.msg.u.bu.seq = 9;
	len = build_mh(w.mn.db, &tx, pkt);
	check_esp(pkt, 64, 0xd0000002, 1); /* the new pair sends at once */
	ck_assert_int_eq(receive(w.ha.db, pkt, len, &rx), 0);
	ck_assert_uint_eq(rx.mh.sa_id, 0xd0000002);
	/* Make-before-break: the old inbound SA still opens its packets and
	 * passes the R3776-4.2.k check. */
	ck_assert_int_eq(receive(w.ha.db, old, old_len, &rx), 0);
	ck_assert(rx.kind == SIGPATH_MH && rx.mh.sa_id == 0xd0000001 && rx.mnha->ike_keyed);
	/* Once IKE deleted the old pair, its packets are unknown. */
	tx.msg.u.bu.seq = 10;
	ipsecdb_mnha_child_remove(w.mn.db, 0xc0000002);
	ck_assert_int_eq(ipsecdb_mnha_child_remove(w.ha.db, 0xd0000001), 0);
	expect_refused(w.ha.db, old, old_len, SIGPATH_DROP, SIGPATH_R_ESP, ESP_DROP_UNKNOWN_SPI);
	ck_assert(!sigpath_spi_is_mnha(w.ha.db, 0xd0000001));
	world_fini(&w);
}
END_TEST

START_TEST(ike_keyed_payload_tunnel)
{
	struct world w;
	ike_node(&w.ha, ike_ha_conf);
	ike_node(&w.mn, ike_mn_conf);
	sigpath_stats_register();
	ike_pair(&w, IPSECDB_MNHA_PAYLOAD, 0xc0000011, 0xd0000011);
	static uint8_t buf[BUF_SIZE];
	size_t il = put_inner(buf, HOA1, CN, -1);
	size_t off = 0, len = 0;
	struct in6_addr coa = A(COA), ha = A(HA);
	ck_assert_int_eq(sigpath_encap(w.mn.db, pair(w.mn.db), &coa, &ha, buf, BUF_SIZE, SIGPATH_HEADROOM, il, &off, &len), 0);
	check_esp(buf + off, 40, 0xd0000011, 1);
	struct sigpath_rx rx;
	ck_assert_int_eq(receive(w.ha.db, buf + off, len, &rx), 0);
	ck_assert_int_eq(rx.kind, SIGPATH_TUNNEL);
	ck_assert_uint_eq(rx.sa_id, 0xd0000011);
	/* The BU/BA pair does not carry tunnelled traffic (R3776-4.2.c). */
	ike_pair(&w, IPSECDB_MNHA_BU_BA, 0xc0000012, 0xd0000012);
	ck_assert(rx.mnha->payload_in && rx.mnha->bu_in);
	world_fini(&w);
}
END_TEST

static Suite *sigpath_suite(void)
{
	Suite *s = suite_create("sigpath");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bu_from_care_of_address);
	tcase_add_test(tc, ba_to_care_of_address);
	tcase_add_test(tc, deregistration_at_home);
	tcase_add_test(tc, binding_error_in_the_clear);
	tcase_add_test(tc, mobile_prefix_discovery);
	tcase_add_test(tc, unprotected_icmp6);
	tcase_add_test(tc, tunnel_examples);
	tcase_add_test(tc, tunnel_payload_sas);
	tcase_add_test(tc, site_tunnel_sa_is_not_ours);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, replay);
	tcase_add_test(tc, truncated_everywhere);
	tcase_add_test(tc, ike_keyed_bu_ba_and_rekey);
	tcase_add_test(tc, ike_keyed_payload_tunnel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(sigpath_suite());
}
