/*
 * Unit tests for ipsecdb (src/ipsec/ipsecdb.c) and the listings
 * (src/ctl/ipsec_show.c): the SAD and SPD built from the shipped example
 * configs (RFC 3776 5.2 layout: counts and every entry), a site tunnel config
 * (ESP and UDP encapsulation, a tunnel without SAs), the HA/MN pair checked
 * end to end (R3776-4.2.k), return home (R3776-4.2.e), refusals (missing SA,
 * direction mismatch, what the ESP engine cannot do), and `sas`/`policies`
 * output through ctl_handle(), as text and JSON. IKE-keyed tunnels: larval
 * entries at build, CHILD_SA install/remove, make-before-break rekeying and
 * the fall-back on removal, installing into a fresh db (reload), SPI
 * collisions and the other refusals, and their listings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "conf/conf.h"
#include "conf/conf_priv.h"
#include "ctl/ctl.h"
#include "ipsec/ipsecdb.h"
#include "ctl/ipsec_show.h"
#include "testutil.h"

#define NOW_MS 5000000u

static const char *srcdir(void)
{
	const char *d = getenv("top_srcdir");
	return d && *d ? d : "..";
}

static struct conf *load_shipped(const char *rel)
{
	char path[512];
	struct conf *c = NULL;
	struct conf_error err;
	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	int rc = conf_load_file(path, &c, &err);
	char msg[600];
	conf_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "%s: %s", rel, msg);
	return c;
}

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

static struct ipsecdb *build_ok(const struct conf *c)
{
	struct ipsecdb *db = NULL;
	char err[256];
	int rc = ipsecdb_build(c, NOW_MS, &db, err, sizeof(err));
	ck_assert_msg(rc == 0, "ipsecdb_build: %s (%s)", err, err_str(rc));
	return db;
}

/* One SPD entry as a line: "dir prio action selectors [sa-name spi mode] name [inactive]". */
struct lines {
	const struct ipsecdb *db;
	char text[8192];
	size_t len;
	size_t n;
};

static void entry_line(struct spd_entry *e, void *arg)
{
	struct lines *l = arg;
	char sel[200], sa[80] = "";
	spd_sel_format(&e->sel, sel, sizeof(sel));
	if (e->action == SPD_PROTECT)
		snprintf(sa, sizeof(sa), " [%s 0x%x %s]",
			 spd_is_larval(e) ? "larval" : ipsecdb_sa_name(l->db, e->protect.sa), e->protect.spi,
			 sa_mode_name(e->protect.mode));
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s %u %s %s%s %s%s\n", spd_dir_name(e->dir),
			 e->priority, spd_action_name(e->action), sel, sa, e->name, e->active ? "" : " inactive");
	ck_assert(n > 0 && (size_t)n < sizeof(l->text) - l->len);
	l->len += (size_t)n;
	l->n++;
}

static void assert_entries(const struct ipsecdb *db, const char *want, size_t n)
{
	struct lines l = { .db = db };
	spd_foreach(ipsecdb_spd(db), entry_line, &l);
	ck_assert_str_eq(l.text, want);
	ck_assert_uint_eq(l.n, n);
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), n);
}

/* ---- shipped examples --------------------------------------------------- */

/* RFC 3776 5.2 for two MNs at the HA: BU/BA and MPS/MPA transport entries
 * with MH-type / ICMPv6-type selectors (R4877-4.3.a/b), HoTI/HoT tunnel
 * entries on the MN-HA tunnel interface only (R3776-4.2.c), then the DISCARD
 * entries for unprotected signalling (R3776-4.1.c). */
static const char ha_entries[] =
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba [mn1-bu-out 0x1002 transport] mn1-bu-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 icmpv6 type mpa [mn1-mpd-out 0x1006 transport] mn1-mpd-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::200/128 mh type ba [mn2-bu-out 0x2002 transport] mn2-bu-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::200/128 icmpv6 type mpa [mn2-mpd-out 0x2006 transport] mn2-mpd-out\n"
	"out 300 protect any -> 2001:db8:1::100/128 mh type hot if 65536 [mn1-hot-out 0x1004 tunnel] mn1-hot-out\n"
	"out 300 protect any -> 2001:db8:1::200/128 mh type hot if 65536 [mn2-hot-out 0x2004 tunnel] mn2-hot-out\n"
	"out 900 discard 2001:db8:1::1/128 -> 2001:db8:1::/64 mh type ba unprotected-ba\n"
	"in 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu [mn1-bu-in 0x1001 transport] mn1-bu-in\n"
	"in 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 icmpv6 type mps [mn1-mpd-in 0x1005 transport] mn1-mpd-in\n"
	"in 200 protect 2001:db8:1::200/128 -> 2001:db8:1::1/128 mh type bu [mn2-bu-in 0x2001 transport] mn2-bu-in\n"
	"in 200 protect 2001:db8:1::200/128 -> 2001:db8:1::1/128 icmpv6 type mps [mn2-mpd-in 0x2005 transport] mn2-mpd-in\n"
	"in 300 protect 2001:db8:1::100/128 -> any mh type hoti if 65536 [mn1-hot-in 0x1003 tunnel] mn1-hot-in\n"
	"in 300 protect 2001:db8:1::200/128 -> any mh type hoti if 65536 [mn2-hot-in 0x2003 tunnel] mn2-hot-in\n"
	"in 900 discard 2001:db8:1::/64 -> 2001:db8:1::1/128 mh type bu unprotected-bu\n";

static const char mn_entries[] =
	"out 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu [mn1-bu-out 0x1001 transport] mn1-bu-out\n"
	"out 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 icmpv6 type mps [mn1-mpd-out 0x1005 transport] mn1-mpd-out\n"
	"out 300 protect 2001:db8:1::100/128 -> any mh type hoti if 65536 [mn1-hot-out 0x1003 tunnel] mn1-hot-out\n"
	"out 900 discard 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu unprotected-bu\n"
	"in 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba [mn1-bu-in 0x1002 transport] mn1-bu-in\n"
	"in 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 icmpv6 type mpa [mn1-mpd-in 0x1006 transport] mn1-mpd-in\n"
	"in 300 protect any -> 2001:db8:1::100/128 mh type hot if 65536 [mn1-hot-in 0x1004 tunnel] mn1-hot-in\n"
	"in 900 discard 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba unprotected-ba\n";

START_TEST(ipsecdb_home_agent_example)
{
	struct conf *c = load_shipped("etc/examples/home-agent.conf");
	struct ipsecdb *db = build_ok(c);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 12);
	assert_entries(db, ha_entries, 14);
	size_t n;
	ipsecdb_tunnels(db, &n);
	ck_assert_uint_eq(n, 0);
	struct ipsecdb_mnha *m = ipsecdb_mnhas(db, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(m[0].we_are_ha && m[1].we_are_ha);
	struct in6_addr hoa2 = A("2001:db8:1::200"), hoa3 = A("2001:db8:1::300");
	ck_assert_ptr_eq(ipsecdb_mnha_by_hoa(db, &hoa2), &m[1]);
	ck_assert_ptr_null(ipsecdb_mnha_by_hoa(db, &hoa3));
	ck_assert(addr_is(&m[0].home_address, "2001:db8:1::100"));
	ck_assert(addr_is(&m[0].ha_address, "2001:db8:1::1"));
	/* The slots hold the SAs named in the config (HA view: in = MN -> HA). */
	struct sad *sad = ipsecdb_sad(db);
	ck_assert_ptr_eq(m[0].bu_in, sad_lookup(sad, SA_DIR_IN, 0x1001));
	ck_assert_ptr_eq(m[0].bu_out, sad_lookup(sad, SA_DIR_OUT, 0x1002));
	ck_assert_ptr_eq(m[0].rr_in, sad_lookup(sad, SA_DIR_IN, 0x1003));
	ck_assert_ptr_eq(m[0].rr_out, sad_lookup(sad, SA_DIR_OUT, 0x1004));
	ck_assert_ptr_eq(m[0].mpd_in, sad_lookup(sad, SA_DIR_IN, 0x1005));
	ck_assert_ptr_eq(m[0].mpd_out, sad_lookup(sad, SA_DIR_OUT, 0x1006));
	ck_assert_ptr_null(m[0].payload_in);
	ck_assert_ptr_null(m[0].payload_out);
	ck_assert_ptr_eq(m[1].bu_in, sad_lookup(sad, SA_DIR_IN, 0x2001));
	ck_assert_uint_eq(m[0].group, IPSECDB_GROUP_MNHA);
	ck_assert_uint_eq(m[1].group, IPSECDB_GROUP_MNHA + 1);
	/* SA parameters from the config: manual, AES-128-CBC + HMAC (16-octet
	 * key), no anti-replay (anti-replay defaults to false). */
	const struct sa *bu = m[0].bu_in;
	ck_assert(bu->manual);
	ck_assert_int_eq(bu->alg, AEAD_AES128_CBC_HMAC_SHA256_128);
	ck_assert_int_eq(bu->mode, SA_MODE_TRANSPORT);
	ck_assert(addr_is(&bu->src, "2001:db8:1::100"));
	ck_assert(!bu->udp_encap);
	ck_assert_uint_eq(bu->created_ms, NOW_MS);
	ck_assert_str_eq(ipsecdb_sa_name(db, bu), "mn1-bu-in");
	ck_assert_ptr_null(ipsecdb_sa_tunnel(db, bu));
	ck_assert_int_eq(m[0].rr_out->mode, SA_MODE_TUNNEL);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(ipsecdb_mobile_node_example)
{
	struct conf *c = load_shipped("etc/examples/mobile-node.conf");
	struct ipsecdb *db = build_ok(c);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 6);
	assert_entries(db, mn_entries, 8);
	size_t n;
	struct ipsecdb_mnha *m = ipsecdb_mnhas(db, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(!m[0].we_are_ha);
	ck_assert_uint_eq(m[0].bu_out->spi, 0x1001);
	ck_assert_uint_eq(m[0].bu_in->spi, 0x1002);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(ipsecdb_correspondent_example_is_empty)
{
	struct conf *c = load_shipped("etc/examples/correspondent.conf");
	struct ipsecdb *db = build_ok(c);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 0);
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), 0);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

static struct spd_pkt mh_pkt(const char *src, const char *dst, uint8_t type, uint32_t ifid)
{
	struct spd_pkt p = { .src = A(src), .dst = A(dst), .ifid = ifid };
	const uint8_t mh[4] = { 59, 1, type, 0 };
	spd_pkt_peek(&p, 135, mh, sizeof(mh));
	return p;
}

/* The MN's outbound BU policy picks the SA whose SPI the HA's inbound policy
 * accepts for that home address, and only for it (R3776-4.2.k). */
START_TEST(ipsecdb_ha_mn_pair)
{
	struct conf *hc = load_shipped("etc/examples/home-agent.conf");
	struct conf *mc = load_shipped("etc/examples/mobile-node.conf");
	struct ipsecdb *ha = build_ok(hc), *mn = build_ok(mc);
	struct spd_pkt bu = mh_pkt("2001:db8:1::100", "2001:db8:1::1", 5, 0);
	struct spd_entry *out = spd_lookup(ipsecdb_spd(mn), SPD_DIR_OUT, &bu);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(out->action, SPD_PROTECT);
	uint32_t spi = out->protect.sa->spi;
	const struct sa *in_sa = sad_lookup(ipsecdb_sad(ha), SA_DIR_IN, spi);
	ck_assert_ptr_nonnull(in_sa);
	struct spd_entry *e;
	enum spd_drop why;
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(ha), &bu, in_sa, &e, &why), 0);
	ck_assert_str_eq(e->name, "mn1-bu-in");
	/* mn2's valid SA carrying a BU for mn1's home address. */
	const struct sa *mn2_sa = sad_lookup(ipsecdb_sad(ha), SA_DIR_IN, 0x2001);
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(ha), &bu, mn2_sa, &e, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_WRONG_SA);
	/* The same BU in the clear, and one from a home address nobody has. */
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(ha), &bu, NULL, &e, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_UNPROTECTED);
	struct spd_pkt stranger = mh_pkt("2001:db8:1::999", "2001:db8:1::1", 5, 0);
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(ha), &stranger, NULL, &e, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_DISCARD);
	/* The BA back: HA out policy and MN in check agree on the SA. */
	struct spd_pkt ba = mh_pkt("2001:db8:1::1", "2001:db8:1::100", 6, 0);
	out = spd_lookup(ipsecdb_spd(ha), SPD_DIR_OUT, &ba);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->protect.spi, 0x1002);
	in_sa = sad_lookup(ipsecdb_sad(mn), SA_DIR_IN, 0x1002);
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(mn), &ba, in_sa, &e, &why), 0);
	ipsecdb_free(ha);
	ipsecdb_free(mn);
	conf_free(hc);
	conf_free(mc);
}
END_TEST

/* R3776-4.2.e: on return home the tunnelled entries go inactive and the
 * BU/BA entries stay; the SAs stay (R3776-4.2.f/g). */
START_TEST(ipsecdb_return_home)
{
	struct conf *c = load_shipped("etc/examples/mobile-node.conf");
	struct ipsecdb *db = build_ok(c);
	size_t n;
	struct ipsecdb_mnha *m = ipsecdb_mnhas(db, &n);
	struct spd *spd = ipsecdb_spd(db);
	struct spd_pkt hoti = mh_pkt("2001:db8:1::100", "2001:db8:5::5", 1, IPSECDB_IFID_MNHA);
	struct spd_pkt bu = mh_pkt("2001:db8:1::100", "2001:db8:1::1", 5, 0);
	ck_assert_ptr_nonnull(spd_lookup(spd, SPD_DIR_OUT, &hoti));
	ck_assert_uint_eq(spd_set_group_active(spd, m[0].group, false), 2);
	ck_assert_ptr_null(spd_lookup(spd, SPD_DIR_OUT, &hoti));
	ck_assert_str_eq(spd_lookup(spd, SPD_DIR_OUT, &bu)->name, "mn1-bu-out");
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 6);
	ck_assert_uint_eq(spd_set_group_active(spd, m[0].group, true), 2);
	ck_assert_str_eq(spd_lookup(spd, SPD_DIR_OUT, &hoti)->name, "mn1-hot-out");
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* ---- site tunnels ---------------------------------------------------------- */

#define KEY16 "00112233445566778899aabbccddeeff"
#define KEY32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SITE_SA(name, spi, dir, src, dst, ekey)                                                  \
	"{ name = \"" name "\"; spi = " spi "; direction = \"" dir "\"; source = \"" src "\";"    \
	" destination = \"" dst "\"; mode = \"tunnel\"; traffic = \"any\"; encryption = \"aes-cbc\";" \
	" encryption-key = \"" ekey "\"; integrity = \"hmac-sha256-128\"; integrity-key = \"" KEY32 "\"; }"

static const char site_conf[] =
	"ipsec = { manual-sa = (\n"
	SITE_SA("s2-out", "0x3001", "out", "2001:db8:a::1", "2001:db8:b::1", KEY16) ",\n"
	SITE_SA("s2-in", "0x3002", "in", "2001:db8:b::1", "2001:db8:a::1", KEY16) ",\n"
	SITE_SA("s3-out", "0x4001", "out", "2001:db8:a::1", "2001:db8:c::1", KEY32) ",\n"
	SITE_SA("s3-in", "0x4002", "in", "2001:db8:c::1", "2001:db8:a::1", KEY32) ",\n"
	SITE_SA("s3-in-new", "0x4003", "in", "2001:db8:c::1", "2001:db8:a::1", KEY32) "\n"
	"); };\n"
	"tunnels = (\n"
	"{ name = \"site2\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:b::1\";"
	"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:20::/48\", \"2001:db8:21::/48\" ];"
	"  manual-sas = [ \"s2-out\", \"s2-in\" ]; },\n"
	"{ name = \"site3\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:c::1\";"
	"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:30::/48\" ];"
	"  manual-sas = [ \"s3-out\", \"s3-in\", \"s3-in-new\" ]; encapsulation = \"udp\"; udp-port = 4501; },\n"
	"{ name = \"plain\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:d::1\";"
	"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:40::/48\" ]; }\n"
	");\n";

static const char site_entries[] =
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 esp site2\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:c::1/128 udp dport 4501 site3\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:d::1/128 esp plain\n"
	"out 500 protect 2001:db8:10::/48 -> 2001:db8:20::/48 any if 1 [s2-out 0x3001 tunnel] site2\n"
	"out 500 protect 2001:db8:10::/48 -> 2001:db8:21::/48 any if 1 [s2-out 0x3001 tunnel] site2\n"
	"out 500 protect 2001:db8:10::/48 -> 2001:db8:30::/48 any if 2 [s3-out 0x4001 tunnel] site3\n"
	"out 500 bypass 2001:db8:10::/48 -> 2001:db8:40::/48 any if 3 plain\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 esp site2\n"
	"in 100 bypass 2001:db8:c::1/128 -> 2001:db8:a::1/128 udp dport 4501 site3\n"
	"in 100 bypass 2001:db8:d::1/128 -> 2001:db8:a::1/128 esp plain\n"
	"in 500 protect 2001:db8:20::/48 -> 2001:db8:10::/48 any if 1 [s2-in 0x3002 tunnel] site2\n"
	"in 500 protect 2001:db8:21::/48 -> 2001:db8:10::/48 any if 1 [s2-in 0x3002 tunnel] site2\n"
	"in 500 protect 2001:db8:30::/48 -> 2001:db8:10::/48 any if 2 [s3-in 0x4002 tunnel] site3\n"
	"in 500 protect 2001:db8:30::/48 -> 2001:db8:10::/48 any if 2 [s3-in-new 0x4003 tunnel] site3\n"
	"in 500 bypass 2001:db8:40::/48 -> 2001:db8:10::/48 any if 3 plain\n";

static struct conf *load_text(const char *text)
{
	struct conf *c = NULL;
	struct conf_error err;
	int rc = conf_load_string(text, "site.conf", &c, &err);
	char msg[600];
	conf_error_format(&err, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "%s", msg);
	return c;
}

START_TEST(ipsecdb_site_tunnels)
{
	struct conf *c = load_text(site_conf);
	struct ipsecdb *db = build_ok(c);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 5);
	assert_entries(db, site_entries, 15);
	size_t n;
	struct ipsecdb_tunnel *t = ipsecdb_tunnels(db, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(t[0].name, "site2");
	ck_assert_uint_eq(t[0].ifid, 1);
	ck_assert_uint_eq(t[0].out_sa->spi, 0x3001);
	ck_assert_uint_eq(t[0].n_in_sas, 1);
	ck_assert_uint_eq(t[0].in_sas[0]->spi, 0x3002);
	ck_assert(!t[0].udp_encap);
	ck_assert_uint_eq(t[0].n_remote_prefixes, 2);
	ck_assert_int_eq(t[0].out_sa->alg, AEAD_AES128_CBC_HMAC_SHA256_128);
	ck_assert(t[1].udp_encap);
	ck_assert_uint_eq(t[1].udp_port, 4501);
	ck_assert_uint_eq(t[1].n_in_sas, 2);
	ck_assert_int_eq(t[1].out_sa->alg, AEAD_AES256_CBC_HMAC_SHA256_128);
	ck_assert(t[1].out_sa->udp_encap);
	ck_assert_uint_eq(t[1].out_sa->encap_dport, 4501);
	ck_assert_uint_eq(t[1].in_sas[1]->encap_sport, 4501);
	ck_assert(addr_eq(&t[1].out_sa->dst, &t[1].remote));
	ck_assert_ptr_null(t[2].out_sa);
	ck_assert_uint_eq(t[2].n_in_sas, 0);
	ck_assert_ptr_eq(ipsecdb_tunnel_by_name(db, "site3"), &t[1]);
	ck_assert_ptr_null(ipsecdb_tunnel_by_name(db, "site4"));
	ck_assert_ptr_eq(ipsecdb_tunnel_by_ifid(db, 3), &t[2]);
	ck_assert_ptr_null(ipsecdb_tunnel_by_ifid(db, 4));
	ck_assert_ptr_null(ipsecdb_tunnel_by_ifid(db, 0));
	ck_assert_ptr_eq(ipsecdb_sa_tunnel(db, t[1].in_sas[1]), &t[1]);
	ck_assert_str_eq(ipsecdb_sa_name(db, t[1].in_sas[1]), "s3-in-new");
	/* Inner traffic on site3's interface over either in SA, not over site2's. */
	struct spd_pkt p = { .src = A("2001:db8:30::5"), .dst = A("2001:db8:10::5"), .proto = 6, .ifid = 2 };
	enum spd_drop why;
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(db), &p, t[1].in_sas[0], NULL, &why), 0);
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(db), &p, t[1].in_sas[1], NULL, &why), 0);
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(db), &p, t[0].in_sas[0], NULL, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_WRONG_SA);
	/* Ticking moves the listing clock. */
	ipsecdb_tick(db, NOW_MS + 1000);
	ck_assert_uint_eq(ipsecdb_now(db), NOW_MS + 1000);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* ---- refusals: what the loader would refuse too, and what ESP cannot do -- */

enum mutate { M_TUNNEL_MISSING_SA, M_TUNNEL_DIR, M_TUNNEL_TWO_OUT, M_TUNNEL_SHARED, M_TUNNEL_TRANSPORT,
	      M_NULL_ENC, M_AES192, M_SPI_DUP, M_WINDOW, M_MNHA_STRANGER, M_MNHA_DUP };

static const struct {
	const char *what;
	bool site; /* mutate site_conf, else home-agent.conf */
	enum mutate m;
	int rc;
	const char *err;
} refusals[] = {
	{ "tunnel names a missing SA", true, M_TUNNEL_MISSING_SA, M6E_NOTFOUND,
	  "tunnels \"site2\": no ipsec.manual-sa named \"nope\"" },
	{ "SA direction does not fit", true, M_TUNNEL_DIR, M6E_INVAL,
	  "tunnels \"site2\": SA \"s2-out\" (direction in) does not run from remote to local" },
	{ "two out SAs", true, M_TUNNEL_TWO_OUT, M6E_INVAL,
	  "tunnels \"site3\": needs exactly one out SA and at least one in SA" },
	{ "SA in two tunnels", true, M_TUNNEL_SHARED, M6E_DUP,
	  "tunnels \"site3\": SA \"s2-out\" already used by tunnel \"site2\"" },
	{ "transport SA in a tunnel", true, M_TUNNEL_TRANSPORT, M6E_INVAL,
	  "tunnels \"site2\": SA \"s2-in\" is not in tunnel mode" },
	{ "null encryption", false, M_NULL_ENC, M6E_UNSUPP,
	  "ipsec.manual-sa \"mn1-bu-in\": null encryption is not supported by the ESP engine" },
	{ "AES-192-CBC", false, M_AES192, M6E_UNSUPP,
	  "ipsec.manual-sa \"mn1-bu-out\": 24-octet AES-CBC key; the ESP engine takes 16 or 32" },
	{ "SPI taken", false, M_SPI_DUP, M6E_EXISTS, "ipsec.manual-sa \"mn2-bu-in\": SPI 0x1001 direction in: " },
	{ "replay window below the engine's minimum", false, M_WINDOW, M6E_RANGE,
	  "ipsec.manual-sa \"mn1-bu-in\": cannot create the SA: " },
	{ "SA for nobody's address", false, M_MNHA_STRANGER, M6E_INVAL,
	  "ipsec.manual-sa \"mn2-bu-in\": our end is neither home-agent.address nor mobile-node.home-address (RFC 3776 5.2)" },
	{ "second bu-ba SA for one pair", false, M_MNHA_DUP, M6E_DUP,
	  "ipsec.manual-sa \"mn2-bu-in\": a second in SA for home address pair of \"mn1-bu-in\"" },
};

static struct conf_manual_sa *msa(struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->ipsec.n_manual_sas; i++)
		if (strcmp(c->ipsec.manual_sas[i].name, name) == 0)
			return &c->ipsec.manual_sas[i];
	ck_abort_msg("no SA %s", name);
	return NULL;
}

START_TEST(ipsecdb_refusals)
{
	struct conf *c = refusals[_i].site ? load_text(site_conf) : load_shipped("etc/examples/home-agent.conf");
	switch (refusals[_i].m) {
	case M_TUNNEL_MISSING_SA:
		snprintf(c->tunnels[0].manual_sas[1], CONF_NAME_MAX, "nope");
		break;
	case M_TUNNEL_DIR:
		msa(c, "s2-out")->direction = CONF_SA_IN;
		break;
	case M_TUNNEL_TWO_OUT:
		msa(c, "s3-in-new")->direction = CONF_SA_OUT;
		msa(c, "s3-in-new")->source = c->tunnels[1].local;
		msa(c, "s3-in-new")->destination = c->tunnels[1].remote;
		break;
	case M_TUNNEL_SHARED:
		snprintf(c->tunnels[1].manual_sas[0], CONF_NAME_MAX, "s2-out");
		break;
	case M_TUNNEL_TRANSPORT:
		msa(c, "s2-in")->mode = CONF_SA_TRANSPORT;
		break;
	case M_NULL_ENC:
		msa(c, "mn1-bu-in")->encryption = CONF_ENCR_NULL;
		break;
	case M_AES192:
		msa(c, "mn1-bu-out")->encryption_key.len = 24;
		break;
	case M_SPI_DUP:
		msa(c, "mn2-bu-in")->spi = 0x1001;
		break;
	case M_WINDOW:
		msa(c, "mn1-bu-in")->anti_replay = true;
		c->ipsec.replay_window = 32;
		break;
	case M_MNHA_STRANGER:
		msa(c, "mn2-bu-in")->destination = A("2001:db8:1::2");
		break;
	case M_MNHA_DUP:
		msa(c, "mn2-bu-in")->source = A("2001:db8:1::100");
		break;
	}
	struct ipsecdb *db = (struct ipsecdb *)&db; /* must stay untouched */
	struct ipsecdb *const sentinel = db;
	char err[256] = "";
	int rc = ipsecdb_build(c, NOW_MS, &db, err, sizeof(err));
	ck_assert_msg(rc == refusals[_i].rc, "%s: rc %d (%s)", refusals[_i].what, rc, err);
	ck_assert_ptr_eq(db, sentinel);
	ck_assert_msg(strncmp(err, refusals[_i].err, strlen(refusals[_i].err)) == 0, "%s: err \"%s\"",
		      refusals[_i].what, err);
	conf_free(c);
}
END_TEST

/* ---- listings through the control protocol ------------------------------ */

static char *ctl_run(struct ipsecdb **live, unsigned cmd, uint8_t flags, const char *filter, int *rows)
{
	struct ctl ctl;
	struct ctl_ops ops = { 0 };
	ctl_init(&ctl, &ops, NULL);
	ipsec_show_register(&ctl, live);
	uint8_t req[CTL_HDR_LEN + 4 + CTL_FILTER_MAX + 1];
	struct wbuf w;
	wbuf_init(&w, req, sizeof(req));
	ck_assert_int_eq(ctlproto_build_request(&w, (uint8_t)cmd, flags, filter), 0);
	size_t cap = CTL_HDR_LEN + CTL_RESP_BODY_MAX;
	uint8_t *out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	struct wbuf o;
	wbuf_init(&o, out, cap);
	ck_assert_int_eq(ctl_handle(&ctl, req, wbuf_len(&w), &o), 0);
	struct ctl_response resp;
	enum ctlproto_reason why;
	ck_assert_int_eq(ctlproto_parse_response(out, wbuf_len(&o), &resp, &why), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_OK);
	char *body = strndup((const char *)resp.body, resp.body_len);
	free(out);
	/* Rows: JSON objects at depth 1, or text lines after the header. */
	int n = 0;
	if (flags & CTL_F_JSON) {
		int depth = 0;
		for (const char *p = body; *p; p++) {
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					if (*p == '\\')
						p++;
			} else if (*p == '{' && ++depth == 1) {
				n++;
			} else if (*p == '}') {
				depth--;
			}
		}
	} else if (strcmp(body, "none\n") != 0) {
		for (const char *p = body; *p; p++)
			n += *p == '\n';
		n--; /* header */
	}
	*rows = n;
	return body;
}

static const char sas_json_mn1_bu_in[] =
	"[{\"name\":\"mn1-bu-in\",\"spi\":4097,\"direction\":\"in\",\"mode\":\"transport\","
	"\"algorithm\":\"aes128-cbc-hmac-sha256-128\",\"source\":\"2001:db8:1::100\","
	"\"destination\":\"2001:db8:1::1\",\"encapsulation\":\"esp\",\"manual\":true,\"state\":\"mature\","
	"\"packets\":3,\"bytes\":300,\"drops\":{\"auth\":1,\"replay\":0,\"other\":0},\"lifetime_left_s\":null}]\n";

START_TEST(show_sas)
{
	struct conf *c = load_shipped("etc/examples/home-agent.conf");
	struct ipsecdb *db = build_ok(c);
	struct sa *sa = sad_lookup(ipsecdb_sad(db), SA_DIR_IN, 0x1001);
	sa->cnt.packets = 3;
	sa->cnt.bytes = 300;
	sa->cnt.auth_fail = 1;
	int rows;
	char *body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, "mn1-bu-in", &rows);
	ck_assert_str_eq(body, sas_json_mn1_bu_in);
	ck_assert_int_eq(rows, 1);
	free(body);
	/* The same SA by SPI, in hex and in decimal. */
	body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, "0x1001", &rows);
	ck_assert_str_eq(body, sas_json_mn1_bu_in);
	free(body);
	body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, "4097", &rows);
	ck_assert_str_eq(body, sas_json_mn1_bu_in);
	free(body);
	/* Everything, in config order. */
	body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, NULL, &rows);
	ck_assert_int_eq(rows, 12);
	ck_assert_ptr_nonnull(strstr(body, "[{\"name\":\"mn1-bu-in\""));
	ck_assert_ptr_nonnull(strstr(body, "{\"name\":\"mn2-mpd-out\",\"spi\":8198,\"direction\":\"out\""));
	ck_assert(strstr(body, "mn1-bu-out") < strstr(body, "mn2-mpd-out"));
	free(body);
	/* Text: a header line and one row per SA. */
	body = ctl_run(&db, CTL_CMD_SAS, 0, "mn1-hot-out", &rows);
	ck_assert_int_eq(rows, 1);
	ck_assert(strncmp(body, "NAME ", 5) == 0);
	const char *row = strchr(body, '\n') + 1;
	/* Columns as in the header (ipsec_show.c); exact row. */
	ck_assert_str_eq(row, "mn1-hot-out      0x00001004  out  tunnel     aes128-cbc-hmac-sha256-128     "
			      "2001:db8:1::1 -> 2001:db8:1::100                     esp        mature  0          "
			      "0            0      -\n");
	ck_assert_uint_eq((size_t)(strstr(body, "ENCAP") - body), (size_t)(strstr(row, "esp ") - row));
	free(body);
	body = ctl_run(&db, CTL_CMD_SAS, 0, "nothing-by-that-name", &rows);
	ck_assert_str_eq(body, "none\n");
	free(body);
	/* No live db: nothing to list. */
	struct ipsecdb *none = NULL;
	body = ctl_run(&none, CTL_CMD_SAS, CTL_F_JSON, NULL, &rows);
	ck_assert_str_eq(body, "[]\n");
	free(body);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

static const char pol_json_mn1_bu_out[] =
	"[{\"order\":1,\"priority\":200,\"direction\":\"out\",\"action\":\"protect\",\"active\":true,"
	"\"name\":\"mn1-bu-out\",\"selector\":\"2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba\","
	"\"selectors\":{\"source\":\"2001:db8:1::1/128\",\"destination\":\"2001:db8:1::100/128\",\"protocol\":135,"
	"\"sport\":null,\"dport\":null,\"mh_type\":6,\"icmp_type\":null,\"icmp_code\":null,\"interface\":null},"
	"\"sa\":{\"name\":\"mn1-bu-out\",\"spi\":4098,\"mode\":\"transport\",\"present\":true,\"larval\":false},"
	"\"packets\":2,\"bytes\":128}]\n";

START_TEST(show_policies)
{
	struct conf *c = load_shipped("etc/examples/home-agent.conf");
	struct ipsecdb *db = build_ok(c);
	struct spd_pkt ba = mh_pkt("2001:db8:1::1", "2001:db8:1::100", 6, 0);
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &ba);
	spd_account(e, 64);
	spd_account(e, 64);
	int rows;
	char *body = ctl_run(&db, CTL_CMD_POLICIES, CTL_F_JSON, "mn1-bu-out", &rows);
	ck_assert_str_eq(body, pol_json_mn1_bu_out);
	free(body);
	/* By SPI: the one entry protected by 0x1004, a tunnel-mode SA. */
	body = ctl_run(&db, CTL_CMD_POLICIES, CTL_F_JSON, "0x1004", &rows);
	ck_assert_int_eq(rows, 1);
	ck_assert_ptr_nonnull(strstr(body, "\"order\":5,\"priority\":300,\"direction\":\"out\""));
	ck_assert_ptr_nonnull(strstr(body, "\"interface\":65536"));
	ck_assert_ptr_nonnull(strstr(body, "\"tunnel_source\":\"2001:db8:1::1\",\"tunnel_destination\":\"2001:db8:1::100\""));
	free(body);
	body = ctl_run(&db, CTL_CMD_POLICIES, CTL_F_JSON, NULL, &rows);
	ck_assert_int_eq(rows, 14);
	ck_assert_ptr_nonnull(strstr(body, "\"action\":\"discard\""));
	free(body);
	/* Text, inactive entries shown as such (R3776-4.2.e). */
	size_t n;
	spd_set_group_active(ipsecdb_spd(db), ipsecdb_mnhas(db, &n)[0].group, false);
	body = ctl_run(&db, CTL_CMD_POLICIES, 0, "mn1-hot-in", &rows);
	ck_assert_int_eq(rows, 1);
	const char *row = strchr(body, '\n') + 1;
	ck_assert_str_eq(row, "5    300  in   protect  no     2001:db8:1::100/128 -> any mh type hoti if 65536"
			      "                           mn1-hot-in           0          0            mn1-hot-in\n");
	ck_assert_uint_eq((size_t)(strstr(body, "SA ") - body), (size_t)(strstr(row, "mn1-hot-in") - row));
	free(body);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* ---- IKE-keyed tunnels ----------------------------------------------- */

/* Two tunnels keyed by one peer (one IKE SA, so the same end points), and
 * a manual one. */
static const char ike_conf[] =
	"ike = { identity = \"gw-a.example.org\"; auth = \"psk\";\n"
	"  peers = ( { name = \"gwb\"; identity = \"gw-b.example.org\"; address = \"2001:db8:b::1\";"
	"  psk = \"000102030405060708090a0b0c0d0e0f\"; initiate = true; } ); };\n"
	"tunnels = (\n"
	"{ name = \"ikt\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:b::1\"; ike-peer = \"gwb\";"
	"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:20::/48\", \"2001:db8:21::/48\" ]; },\n"
	"{ name = \"ikt2\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:b::1\"; ike-peer = \"gwb\";"
	"  local-prefixes = [ \"2001:db8:11::/48\" ]; remote-prefixes = [ \"2001:db8:30::/48\" ]; },\n"
	"{ name = \"plain\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:d::1\";"
	"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:40::/48\" ]; }\n"
	");\n";

/* Outer BYPASS for ESP, IKE and NAT-T (RFC 7296 2.23), larval PROTECT for
 * the traffic selectors, both ways. */
static const char ike_entries[] =
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 esp ikt\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 udp dport 500 ikt\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 udp dport 4500 ikt\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 esp ikt2\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 udp dport 500 ikt2\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:b::1/128 udp dport 4500 ikt2\n"
	"out 100 bypass 2001:db8:a::1/128 -> 2001:db8:d::1/128 esp plain\n"
	"out 500 protect 2001:db8:10::/48 -> 2001:db8:20::/48 any if 1 [larval 0x0 tunnel] ikt\n"
	"out 500 protect 2001:db8:10::/48 -> 2001:db8:21::/48 any if 1 [larval 0x0 tunnel] ikt\n"
	"out 500 protect 2001:db8:11::/48 -> 2001:db8:30::/48 any if 2 [larval 0x0 tunnel] ikt2\n"
	"out 500 bypass 2001:db8:10::/48 -> 2001:db8:40::/48 any if 3 plain\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 esp ikt\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 udp dport 500 ikt\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 udp dport 4500 ikt\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 esp ikt2\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 udp dport 500 ikt2\n"
	"in 100 bypass 2001:db8:b::1/128 -> 2001:db8:a::1/128 udp dport 4500 ikt2\n"
	"in 100 bypass 2001:db8:d::1/128 -> 2001:db8:a::1/128 esp plain\n"
	"in 500 protect 2001:db8:20::/48 -> 2001:db8:10::/48 any if 1 [larval 0x0 tunnel] ikt\n"
	"in 500 protect 2001:db8:21::/48 -> 2001:db8:10::/48 any if 1 [larval 0x0 tunnel] ikt\n"
	"in 500 protect 2001:db8:30::/48 -> 2001:db8:11::/48 any if 2 [larval 0x0 tunnel] ikt2\n"
	"in 500 bypass 2001:db8:40::/48 -> 2001:db8:10::/48 any if 3 plain\n";

static uint8_t km_in[36], km_out[36]; /* AES-256-GCM-16: key + salt, test values */

/* A CHILD_SA pair for ikt: in SPI spi, out SPI spi + 0x1000. udp: through
 * a NAT that gave the peer port 31000. */
static struct ipsecdb_child child(uint32_t spi, bool udp)
{
	for (size_t i = 0; i < sizeof(km_in); i++) {
		km_in[i] = (uint8_t)i;
		km_out[i] = (uint8_t)(0x80 + i);
	}
	struct ipsecdb_child c = { .spi_in = spi, .spi_out = spi + 0x1000, .alg = AEAD_AES256_GCM16,
				   .keymat_in = km_in, .keymat_out = km_out, .keymat_len = sizeof(km_in),
				   .local = A("2001:db8:a::1"), .remote = A("2001:db8:b::1"), .udp_encap = udp };
	if (udp) {
		c.local_port = 4500;
		c.remote_port = 31000;
		c.remote = A("2001:db8:b::99"); /* the NAT's address */
	}
	return c;
}

static void install_ok(struct ipsecdb *db, const char *tunnel, const struct ipsecdb_child *c)
{
	char err[160];
	int rc = ipsecdb_child_install(db, tunnel, c, NOW_MS, err, sizeof(err));
	ck_assert_msg(rc == 0, "install 0x%x: %s (%s)", c->spi_in, err, err_str(rc));
}

/* The SA the OUT entries for 2001:db8:10::1 -> 2001:db8:20::1 on ikt use. */
static struct sa *out_sa_for_ikt(const struct ipsecdb *db)
{
	struct spd_pkt p = { .src = A("2001:db8:10::1"), .dst = A("2001:db8:20::1"), .proto = 6, .ifid = 1 };
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &p);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, SPD_PROTECT);
	return e->protect.sa;
}

/* Does ikt accept an inner packet that arrived over sa (R3776-4.2.k)? */
static int ikt_inbound(const struct ipsecdb *db, const struct sa *sa, enum spd_drop *why)
{
	struct spd_pkt p = { .src = A("2001:db8:21::5"), .dst = A("2001:db8:10::5"), .proto = 17, .ifid = 1 };
	return spd_check_inbound(ipsecdb_spd(db), &p, sa, NULL, why);
}

START_TEST(ike_larval_at_build)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *db = build_ok(c);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 0);
	assert_entries(db, ike_entries, 22);
	size_t n;
	struct ipsecdb_tunnel *t = ipsecdb_tunnels(db, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(t[0].ike_peer, "gwb");
	ck_assert_str_eq(t[1].ike_peer, "gwb");
	ck_assert_str_eq(t[2].ike_peer, "");
	ck_assert_ptr_null(t[0].out_sa);
	ck_assert_uint_eq(t[0].n_in_sas, 0);
	ck_assert(!t[0].udp_encap);
	ck_assert_uint_eq(t[0].udp_port, IPSECDB_NATT_PORT);
	ck_assert_ptr_null(out_sa_for_ikt(db));
	/* Larval entries still refuse the traffic in the clear. */
	enum spd_drop why;
	ck_assert_int_eq(ikt_inbound(db, NULL, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_UNPROTECTED);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(ike_install_rekey_remove)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *db = build_ok(c);
	size_t n;
	struct ipsecdb_tunnel *t = ipsecdb_tunnels(db, &n);
	enum spd_drop why;
	/* First pair, ESP-in-UDP through a NAT. */
	struct ipsecdb_child c1 = child(0x5001, true);
	install_ok(db, "ikt", &c1);
	struct sa *in1, *out1;
	const struct ipsecdb_tunnel *owner;
	ck_assert_int_eq(ipsecdb_child_get(db, 0x5001, &in1, &out1, &owner), 0);
	ck_assert_ptr_eq(owner, &t[0]);
	ck_assert_uint_eq(out1->spi, 0x6001);
	/* The SAs carry what IKE saw: the NAT's address and port. */
	ck_assert(addr_is(&in1->src, "2001:db8:b::99"));
	ck_assert(addr_is(&in1->dst, "2001:db8:a::1"));
	ck_assert(addr_is(&out1->dst, "2001:db8:b::99"));
	ck_assert(in1->udp_encap && out1->udp_encap);
	ck_assert_uint_eq(in1->encap_sport, 31000);
	ck_assert_uint_eq(in1->encap_dport, 4500);
	ck_assert_uint_eq(out1->encap_sport, 4500);
	ck_assert_uint_eq(out1->encap_dport, 31000);
	ck_assert_int_eq(in1->mode, SA_MODE_TUNNEL);
	ck_assert(!in1->manual);
	ck_assert_uint_eq(in1->replay.window, 64); /* ipsec.replay-window */
	ck_assert_ptr_eq(ipsecdb_sa_tunnel(db, in1), &t[0]);
	ck_assert_ptr_eq(ipsecdb_sa_tunnel(db, out1), &t[0]);
	ck_assert_str_eq(ipsecdb_sa_name(db, in1), "ikt-ike-in");
	ck_assert_str_eq(ipsecdb_sa_name(db, out1), "ikt-ike-out");
	ck_assert_ptr_eq(t[0].out_sa, out1);
	ck_assert_ptr_eq(out_sa_for_ikt(db), out1);
	ck_assert_int_eq(ikt_inbound(db, in1, &why), 0);
	/* 2 IN entries (one per prefix pair) added; ikt2 stays larval. */
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), 24);
	struct spd_pkt p2 = { .src = A("2001:db8:11::1"), .dst = A("2001:db8:30::1"), .proto = 6, .ifid = 2 };
	ck_assert(spd_is_larval(spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &p2)));
	/* ikt's SA does not carry ikt2's traffic (R3776-4.2.k). */
	struct spd_pkt in2 = { .src = A("2001:db8:30::1"), .dst = A("2001:db8:11::1"), .proto = 6, .ifid = 2 };
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(db), &in2, in1, NULL, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_WRONG_SA);

	/* Rekey, make-before-break (RFC 7296 2.8): the new pair sends at once,
	 * the old in SA keeps receiving. */
	struct ipsecdb_child c2 = child(0x5002, false);
	install_ok(db, "ikt", &c2);
	struct sa *in2sa, *out2;
	ck_assert_int_eq(ipsecdb_child_get(db, 0x5002, &in2sa, &out2, NULL), 0);
	ck_assert_ptr_eq(out_sa_for_ikt(db), out2);
	ck_assert_ptr_eq(t[0].out_sa, out2);
	ck_assert_uint_eq(t[0].n_in_sas, 2);
	ck_assert_int_eq(ikt_inbound(db, in1, &why), 0);
	ck_assert_int_eq(ikt_inbound(db, in2sa, &why), 0);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 4);
	/* Removing the newest pair falls back to the older one's out SA. */
	ck_assert_int_eq(ipsecdb_child_remove(db, 0x5002), 0);
	ck_assert_ptr_eq(out_sa_for_ikt(db), out1);
	ck_assert_ptr_eq(t[0].out_sa, out1);
	ck_assert_int_eq(ipsecdb_child_get(db, 0x5002, NULL, NULL, NULL), M6E_NOTFOUND);
	ck_assert_ptr_null(sad_lookup(ipsecdb_sad(db), SA_DIR_IN, 0x5002));
	ck_assert_ptr_null(sad_lookup(ipsecdb_sad(db), SA_DIR_OUT, 0x6002));
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), 24);
	/* The usual order: new pair in, then the old one out; out stays new. */
	install_ok(db, "ikt", &c2);
	ck_assert_int_eq(ipsecdb_child_get(db, 0x5002, &in2sa, &out2, NULL), 0);
	ck_assert_int_eq(ipsecdb_child_remove(db, 0x5001), 0);
	ck_assert_ptr_eq(out_sa_for_ikt(db), out2);
	ck_assert_uint_eq(t[0].n_in_sas, 1);
	ck_assert_ptr_eq(t[0].in_sas[0], in2sa);
	ck_assert_int_eq(ikt_inbound(db, in2sa, &why), 0);
	ck_assert_int_eq(ipsecdb_child_remove(db, 0x5001), M6E_NOTFOUND);
	/* The last pair gone: larval again, exactly the build's entries. */
	ck_assert_int_eq(ipsecdb_child_remove(db, 0x5002), 0);
	ck_assert_ptr_null(t[0].out_sa);
	ck_assert_uint_eq(t[0].n_in_sas, 0);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 0);
	assert_entries(db, ike_entries, 22);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(ike_install_refusals)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *db = build_ok(c);
	char err[160];
	struct ipsecdb_child c1 = child(0x5001, false);
	install_ok(db, "ikt", &c1);
	size_t sas = sad_count(ipsecdb_sad(db)), pols = spd_count(ipsecdb_spd(db));
	struct ipsecdb_child x;
#define REFUSE(tunnel, want, msg)                                                                       \
	do {                                                                                            \
		int rc_ = ipsecdb_child_install(db, (tunnel), &x, NOW_MS, err, sizeof(err));            \
		ck_assert_msg(rc_ == (want), "line %d: rc %d (%s)", __LINE__, rc_, err);              \
		ck_assert_msg(strstr(err, (msg)) != NULL, "line %d: \"%s\" lacks \"%s\"", __LINE__, err, \
			      (msg));                                                                   \
		ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), sas);                                    \
		ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), pols);                                   \
	} while (0)
	x = child(0x5002, false);
	REFUSE("plain", M6E_NOTFOUND, "no IKE-keyed tunnel \"plain\"");
	REFUSE("nope", M6E_NOTFOUND, "no IKE-keyed tunnel \"nope\"");
	/* SPI collisions, either direction, also across tunnels of one db. */
	x = child(0x5001, false);
	x.spi_out = 0x7777;
	REFUSE("ikt2", M6E_EXISTS, "SPI");
	x = child(0x5002, false);
	x.spi_out = 0x6001;
	REFUSE("ikt", M6E_EXISTS, "SPI");
	/* What the ESP engine refuses: reserved SPI, wrong key length. */
	x = child(0x5002, false);
	x.spi_in = 255;
	REFUSE("ikt", M6E_INVAL, "cannot create the SA pair");
	x = child(0x5002, false);
	x.keymat_len = 20;
	REFUSE("ikt", M6E_INVAL, "cannot create the SA pair");
	x = child(0x5002, false);
	x.keymat_in = NULL;
	REFUSE("ikt", M6E_INVAL, "no key material");
	/* ESP-in-UDP: our end is port 4500, the peer's port is not 0. */
	x = child(0x5002, true);
	x.local_port = 500;
	REFUSE("ikt", M6E_INVAL, "ours must be 4500");
	x = child(0x5002, true);
	x.remote_port = 0;
	REFUSE("ikt", M6E_INVAL, "ESP-in-UDP ports");
	/* A tunnel holds at most IPSECDB_TUNNEL_SAS pairs at once. */
	for (uint32_t i = 1; i < IPSECDB_TUNNEL_SAS; i++) {
		x = child(0x5001 + i, false);
		install_ok(db, "ikt", &x);
	}
	sas = sad_count(ipsecdb_sad(db));
	pols = spd_count(ipsecdb_spd(db));
	x = child(0x5100, false);
	REFUSE("ikt", M6E_RANGE, "already 8 CHILD_SA pairs");
#undef REFUSE
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* A reload builds a new db; the IKE adapter installs its live CHILD_SAs
 * into it. Both dbs are independent: freeing the old leaves the new. */
START_TEST(ike_install_into_fresh_db)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *old = build_ok(c);
	struct ipsecdb_child c1 = child(0x5001, true);
	install_ok(old, "ikt", &c1);
	struct ipsecdb *fresh = build_ok(c);
	install_ok(fresh, "ikt", &c1);
	struct sa *in_old, *in_new;
	ck_assert_int_eq(ipsecdb_child_get(old, 0x5001, &in_old, NULL, NULL), 0);
	ck_assert_int_eq(ipsecdb_child_get(fresh, 0x5001, &in_new, NULL, NULL), 0);
	ck_assert_ptr_ne(in_old, in_new);
	ipsecdb_free(old);
	enum spd_drop why;
	ck_assert_int_eq(ikt_inbound(fresh, in_new, &why), 0);
	ck_assert_ptr_eq(out_sa_for_ikt(fresh)->user, ipsecdb_tunnel_by_name(fresh, "ikt"));
	ipsecdb_free(fresh);
	conf_free(c);
}
END_TEST

/* The better reload: the live pairs move with their sequence numbers and
 * replay state; a pair whose tunnel went away stays behind. */
START_TEST(ike_children_move)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *old = build_ok(c);
	struct ipsecdb_child c1 = child(0x5001, true), c2 = child(0x5002, false), c3 = child(0x5003, false);
	install_ok(old, "ikt", &c1);
	install_ok(old, "ikt", &c2);
	install_ok(old, "ikt2", &c3);
	struct sa *in2, *out2;
	ck_assert_int_eq(ipsecdb_child_get(old, 0x5002, &in2, &out2, NULL), 0);
	out2->seq = 123456; /* traffic went out on it */
	/* The new config drops ikt2 and moves ikt's tunnel id (ikt is second). */
	static const char text[] =
		"ike = { identity = \"gw-a.example.org\"; auth = \"psk\";\n"
		"  peers = ( { name = \"gwb\"; identity = \"gw-b.example.org\"; address = \"2001:db8:b::1\";"
		"  psk = \"000102030405060708090a0b0c0d0e0f\"; } ); };\n"
		"tunnels = (\n"
		"{ name = \"plain\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:d::1\";"
		"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:40::/48\" ]; },\n"
		"{ name = \"ikt\"; local = \"2001:db8:a::1\"; remote = \"2001:db8:b::1\"; ike-peer = \"gwb\";"
		"  local-prefixes = [ \"2001:db8:10::/48\" ]; remote-prefixes = [ \"2001:db8:20::/48\", \"2001:db8:21::/48\" ]; }\n"
		");\n";
	struct conf *c_new = load_text(text);
	struct ipsecdb *fresh = build_ok(c_new);
	struct ipsecdb_tunnel *t = ipsecdb_tunnel_by_name(fresh, "ikt");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->ifid, 2);
	ck_assert_ptr_null(ipsecdb_tunnel_by_name(fresh, "ikt2"));
	ck_assert_uint_eq(ipsecdb_children_move(fresh, old), 2);
	/* The same SA objects, state kept; the newest pair sends. */
	struct sa *in, *out;
	const struct ipsecdb_tunnel *owner;
	ck_assert_int_eq(ipsecdb_child_get(fresh, 0x5002, &in, &out, &owner), 0);
	ck_assert_ptr_eq(in, in2);
	ck_assert_ptr_eq(out, out2);
	ck_assert_ptr_eq(owner, t);
	ck_assert_uint_eq(out->seq, 123456);
	ck_assert_ptr_eq(t->out_sa, out2);
	ck_assert_uint_eq(t->n_in_sas, 2);
	ck_assert_ptr_eq(ipsecdb_sa_tunnel(fresh, in), t);
	ck_assert_str_eq(ipsecdb_sa_name(fresh, in), "ikt-ike-in");
	ck_assert_int_eq(ipsecdb_child_get(fresh, 0x5001, NULL, NULL, NULL), 0);
	ck_assert_int_eq(ipsecdb_child_get(fresh, 0x5003, NULL, NULL, NULL), M6E_NOTFOUND);
	/* ikt2's pair stayed behind; ikt left old larval. */
	ck_assert_int_eq(ipsecdb_child_get(old, 0x5003, NULL, NULL, NULL), 0);
	ck_assert_int_eq(ipsecdb_child_get(old, 0x5002, NULL, NULL, NULL), M6E_NOTFOUND);
	ck_assert_ptr_null(ipsecdb_tunnel_by_name(old, "ikt")->out_sa);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(old)), 2);
	ipsecdb_free(old);
	/* Policies in the new db: on ikt's new interface id, naming the SAs. */
	struct spd_pkt p = { .src = A("2001:db8:10::1"), .dst = A("2001:db8:21::1"), .proto = 6, .ifid = 2 };
	struct spd_entry *e = spd_lookup(ipsecdb_spd(fresh), SPD_DIR_OUT, &p);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(e->protect.sa, out2);
	struct spd_pkt back = { .src = A("2001:db8:21::1"), .dst = A("2001:db8:10::1"), .proto = 6, .ifid = 2 };
	enum spd_drop why;
	ck_assert_int_eq(spd_check_inbound(ipsecdb_spd(fresh), &back, in2, NULL, &why), 0);
	/* A second reload (back to the first config) moves them again, and
	 * leaves nothing behind. */
	struct ipsecdb *again = build_ok(c);
	ck_assert_uint_eq(ipsecdb_children_move(again, fresh), 2);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(fresh)), 0);
	ck_assert_uint_eq(ipsecdb_children_move(again, fresh), 0);
	ck_assert_ptr_eq(ipsecdb_tunnel_by_name(again, "ikt")->out_sa, out2);
	ipsecdb_free(fresh);
	ck_assert_int_eq(ikt_inbound(again, in2, &why), 0);
	ipsecdb_free(again);
	conf_free(c_new);
	conf_free(c);
}
END_TEST

START_TEST(ike_listings)
{
	struct conf *c = load_text(ike_conf);
	struct ipsecdb *db = build_ok(c);
	int rows;
	/* Before IKE: no SAs, larval policies. */
	char *body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, NULL, &rows);
	ck_assert_int_eq(rows, 0);
	free(body);
	body = ctl_run(&db, CTL_CMD_POLICIES, 0, "ikt2", &rows);
	ck_assert_int_eq(rows, 8);
	ck_assert_ptr_nonnull(strstr(body, " larval "));
	free(body);
	body = ctl_run(&db, CTL_CMD_POLICIES, CTL_F_JSON, "ikt2", &rows);
	ck_assert_ptr_nonnull(strstr(body, "\"spi\":0,\"mode\":\"tunnel\""));
	ck_assert_ptr_nonnull(strstr(body, "\"present\":false,\"larval\":true"));
	free(body);
	struct ipsecdb_child c1 = child(0x5001, true);
	install_ok(db, "ikt", &c1);
	body = ctl_run(&db, CTL_CMD_SAS, CTL_F_JSON, NULL, &rows);
	ck_assert_int_eq(rows, 2);
	ck_assert_ptr_nonnull(strstr(body, "{\"name\":\"ikt-ike-in\",\"spi\":20481,\"direction\":\"in\""));
	ck_assert_ptr_nonnull(strstr(body, "\"encapsulation\":\"udp\",\"udp_port\":4500,\"udp_source_port\":31000"
					  ",\"tunnel\":\"ikt\",\"manual\":false"));
	ck_assert_ptr_nonnull(strstr(body, "{\"name\":\"ikt-ike-out\",\"spi\":24577"));
	free(body);
	/* By tunnel name: both SAs; their policies name them. */
	body = ctl_run(&db, CTL_CMD_SAS, 0, "ikt", &rows);
	ck_assert_int_eq(rows, 2);
	free(body);
	body = ctl_run(&db, CTL_CMD_POLICIES, 0, "ikt-ike-out", &rows);
	ck_assert_int_eq(rows, 2);
	free(body);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* ---- IKE-keyed MN-HA pairs (RFC 4877) ------------------------------------ */

/* mn1 and mn2 without manual SAs (IKE-keyed), mn3 with a manual BU/BA pair. */
static const char ha_ike_conf[] =
	"interfaces = ( { name = \"home0\"; kind = \"home-link\"; } );\n"
	"home-agent = { home-link = \"home0\"; address = \"2001:db8:1::1\"; home-prefixes = [ \"2001:db8:1::/64\" ];\n"
	"  mobile-nodes = ( { identity = \"mn1.lab\"; home-address = \"2001:db8:1::100\"; },\n"
	"                   { identity = \"mn2.lab\"; home-address = \"2001:db8:1::200\"; },\n"
	"                   { identity = \"mn3.lab\"; home-address = \"2001:db8:1::300\"; } ); };\n"
	"ike = { identity = \"ha.lab\"; auth = \"psk\";\n"
	"  peers = ( { name = \"mn1\"; identity = \"mn1.lab\"; psk = \"000102030405060708090a0b0c0d0e0f\"; },\n"
	"            { name = \"mn2\"; identity = \"mn2.lab\"; psk = \"000102030405060708090a0b0c0d0e0f\"; } ); };\n"
	"ipsec = { manual-sa = (\n"
	"  { name = \"mn3-bu-in\"; spi = 0x3001; direction = \"in\"; source = \"2001:db8:1::300\"; destination = \"2001:db8:1::1\";"
	"    mode = \"transport\"; traffic = \"bu-ba\"; encryption = \"aes-cbc\"; encryption-key = \"813146ec7c4e1af832cfb1686a4190e0\";"
	"    integrity = \"hmac-sha256-128\"; integrity-key = \"a80b9dbb41299944a1767ee779396e3aa0ebe89c38f6f2c851611e3da910a8f7\"; },\n"
	"  { name = \"mn3-bu-out\"; spi = 0x3002; direction = \"out\"; source = \"2001:db8:1::1\"; destination = \"2001:db8:1::300\";"
	"    mode = \"transport\"; traffic = \"bu-ba\"; encryption = \"aes-cbc\"; encryption-key = \"be09ac8d65cd0398b915b3ff9a947954\";"
	"    integrity = \"hmac-sha256-128\"; integrity-key = \"884980758cc3c14c8e739800c48bd51eb7865f0ace971b9c41850f6af618015c\"; } ); };\n";

/* The HA's layout: mn3's manual entries, then larval BU/BA and MPS/MPA
 * entries for mn1 and mn2 (no HoTI/HoT or payload until IKE installs
 * them), then the DISCARD entries (R3776-4.1.c, R4877-7.2.a). */
static const char ha_ike_entries[] =
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::300/128 mh type ba [mn3-bu-out 0x3002 transport] mn3-bu-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba [larval 0x0 tunnel] mnha1-bu-ba-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 icmpv6 type mpa [larval 0x0 tunnel] mnha1-mps-mpa-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::200/128 mh type ba [larval 0x0 tunnel] mnha2-bu-ba-out\n"
	"out 200 protect 2001:db8:1::1/128 -> 2001:db8:1::200/128 icmpv6 type mpa [larval 0x0 tunnel] mnha2-mps-mpa-out\n"
	"out 900 discard 2001:db8:1::1/128 -> 2001:db8:1::/64 mh type ba unprotected-ba\n"
	"in 200 protect 2001:db8:1::300/128 -> 2001:db8:1::1/128 mh type bu [mn3-bu-in 0x3001 transport] mn3-bu-in\n"
	"in 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu [larval 0x0 tunnel] mnha1-bu-ba-in\n"
	"in 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 icmpv6 type mps [larval 0x0 tunnel] mnha1-mps-mpa-in\n"
	"in 200 protect 2001:db8:1::200/128 -> 2001:db8:1::1/128 mh type bu [larval 0x0 tunnel] mnha2-bu-ba-in\n"
	"in 200 protect 2001:db8:1::200/128 -> 2001:db8:1::1/128 icmpv6 type mps [larval 0x0 tunnel] mnha2-mps-mpa-in\n"
	"in 900 discard 2001:db8:1::/64 -> 2001:db8:1::1/128 mh type bu unprotected-bu\n";

static const char mn_ike_conf[] =
	"mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\"; ha-address = \"2001:db8:1::1\";"
	"  route-optimisation = true; };\n"
	"ike = { identity = \"mn1.lab\"; auth = \"psk\";\n"
	"  peers = ( { name = \"ha\"; identity = \"ha.lab\"; address = \"2001:db8:1::1\";"
	"  psk = \"000102030405060708090a0b0c0d0e0f\"; } ); };\n";

static const char mn_ike_entries[] =
	"out 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu [larval 0x0 tunnel] mnha0-bu-ba-out\n"
	"out 200 protect 2001:db8:1::100/128 -> 2001:db8:1::1/128 icmpv6 type mps [larval 0x0 tunnel] mnha0-mps-mpa-out\n"
	"out 300 protect 2001:db8:1::100/128 -> any mh type hoti if 65536 [larval 0x0 tunnel] mnha0-hoti-hot-out\n"
	"out 900 discard 2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu unprotected-bu\n"
	"in 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba [larval 0x0 tunnel] mnha0-bu-ba-in\n"
	"in 200 protect 2001:db8:1::1/128 -> 2001:db8:1::100/128 icmpv6 type mpa [larval 0x0 tunnel] mnha0-mps-mpa-in\n"
	"in 300 protect any -> 2001:db8:1::100/128 mh type hot if 65536 [larval 0x0 tunnel] mnha0-hoti-hot-in\n"
	"in 900 discard 2001:db8:1::1/128 -> 2001:db8:1::100/128 mh type ba unprotected-ba\n";

/* A CHILD_SA on the MN-HA path: IKE between the care-of address and the HA. */
static struct ipsecdb_child mnha_child(uint32_t spi)
{
	struct ipsecdb_child c = child(spi, false);
	c.local = A("2001:db8:1::1");
	c.remote = A("2001:db8:a::5"); /* the MN's care-of address */
	return c;
}

static void mnha_install_ok(struct ipsecdb *db, const char *hoa, enum ipsecdb_mnha_slot slot,
			    const struct ipsecdb_child *c)
{
	char err[160];
	struct in6_addr h = A(hoa);
	int rc = ipsecdb_mnha_child_install(db, &h, slot, c, NOW_MS, err, sizeof(err));
	ck_assert_msg(rc == 0, "install 0x%x: %s (%s)", c->spi_in, err, err_str(rc));
}

/* R3776-4.2.k at the HA: may a BU from hoa arrive over sa? */
static int bu_inbound(const struct ipsecdb *db, const char *hoa, const struct sa *sa, enum spd_drop *why)
{
	struct spd_pkt p = { .src = A(hoa), .dst = A("2001:db8:1::1"), .proto = 135, .l4 = true, .mh_type = 5 };
	return spd_check_inbound(ipsecdb_spd(db), &p, sa, NULL, why);
}

/* The SA a BA to hoa leaves on (NULL: larval). */
static struct sa *ba_out_sa(const struct ipsecdb *db, const char *hoa)
{
	struct spd_pkt p = { .src = A("2001:db8:1::1"), .dst = A(hoa), .proto = 135, .l4 = true, .mh_type = 6 };
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &p);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, SPD_PROTECT);
	return e->protect.sa;
}

START_TEST(mnha_ike_larval_at_build)
{
	struct conf *c = load_text(ha_ike_conf);
	struct ipsecdb *db = build_ok(c);
	assert_entries(db, ha_ike_entries, 12);
	size_t n;
	struct ipsecdb_mnha *m = ipsecdb_mnhas(db, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(!m[0].ike_keyed && m[0].bu_in);
	ck_assert(m[1].ike_keyed && m[1].we_are_ha && addr_is(&m[1].home_address, "2001:db8:1::100"));
	ck_assert(m[2].ike_keyed && addr_is(&m[2].ha_address, "2001:db8:1::1"));
	ck_assert_ptr_null(m[1].bu_in);
	ck_assert_ptr_null(m[1].bu_out);
	/* Before IKE: a BU in the clear is refused, no BA can leave. */
	enum spd_drop why;
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", NULL, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_UNPROTECTED);
	ck_assert_ptr_null(ba_out_sa(db, "2001:db8:1::100"));
	ipsecdb_free(db);
	conf_free(c);

	/* The MN: its one pair, with HoTI/HoT larval (route-optimisation). */
	c = load_text(mn_ike_conf);
	db = build_ok(c);
	assert_entries(db, mn_ike_entries, 8);
	m = ipsecdb_mnhas(db, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(m[0].ike_keyed && !m[0].we_are_ha);
	ipsecdb_free(db);
	conf_free(c);

	/* Without an ike section the same HA has no pairs for mn1 and mn2. */
	const char *noike = strstr(ha_ike_conf, "ike = {");
	const char *rest = strstr(ha_ike_conf, "ipsec = {");
	char text[sizeof(ha_ike_conf)];
	snprintf(text, sizeof(text), "%.*s%s", (int)(noike - ha_ike_conf), ha_ike_conf, rest);
	c = load_text(text);
	db = build_ok(c);
	ipsecdb_mnhas(db, &n);
	ck_assert_uint_eq(n, 1);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(mnha_ike_install_rekey_remove)
{
	struct conf *c = load_text(ha_ike_conf);
	struct ipsecdb *db = build_ok(c);
	struct in6_addr hoa1 = A("2001:db8:1::100");
	struct ipsecdb_mnha *mn1 = ipsecdb_mnha_by_hoa(db, &hoa1);
	enum spd_drop why;
	enum ipsecdb_mnha_slot slot;
	struct ipsecdb_child c1 = mnha_child(0x7001);
	mnha_install_ok(db, "2001:db8:1::100", IPSECDB_MNHA_BU_BA, &c1);
	struct sa *in1 = mn1->bu_in, *out1 = mn1->bu_out;
	ck_assert_ptr_nonnull(in1);
	ck_assert_uint_eq(in1->spi, 0x7001);
	ck_assert_uint_eq(out1->spi, 0x8001);
	/* R4877-4.3.d: transport mode between the home address and the HA. */
	ck_assert_int_eq(in1->mode, SA_MODE_TRANSPORT);
	ck_assert(addr_is(&in1->src, "2001:db8:1::100") && addr_is(&in1->dst, "2001:db8:1::1"));
	ck_assert(addr_is(&out1->src, "2001:db8:1::1") && addr_is(&out1->dst, "2001:db8:1::100"));
	ck_assert(!in1->manual);
	ck_assert_str_eq(ipsecdb_sa_name(db, in1), "mnha1-bu-ba-ike-in");
	ck_assert_str_eq(ipsecdb_sa_name(db, out1), "mnha1-bu-ba-ike-out");
	ck_assert_ptr_null(ipsecdb_sa_tunnel(db, in1));
	ck_assert_ptr_eq(ipsecdb_sa_mnha(db, in1, &slot), mn1);
	ck_assert_int_eq(slot, IPSECDB_MNHA_BU_BA);
	ck_assert_ptr_eq(ba_out_sa(db, "2001:db8:1::100"), out1);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", in1, &why), 0);
	/* mn1's SA for mn2's home address (R3776-4.2.k, R4877-4.2.b). */
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::200", in1, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_WRONG_SA); /* mn2's entry, larval, names no SA of mn1 */
	ck_assert_ptr_null(ba_out_sa(db, "2001:db8:1::200"));
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), 13); /* one IN entry more */

	/* Rekey, make-before-break: the new pair sends, both are accepted. */
	struct ipsecdb_child c2 = mnha_child(0x7002);
	mnha_install_ok(db, "2001:db8:1::100", IPSECDB_MNHA_BU_BA, &c2);
	struct sa *in2 = mn1->bu_in, *out2 = mn1->bu_out;
	ck_assert_uint_eq(in2->spi, 0x7002);
	ck_assert_ptr_eq(ba_out_sa(db, "2001:db8:1::100"), out2);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", in1, &why), 0);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", in2, &why), 0);
	ck_assert_ptr_eq(ipsecdb_sa_mnha(db, in1, NULL), mn1); /* the older one, still live */
	ck_assert_int_eq(ipsecdb_mnha_child_remove(db, 0x7001), 0);
	ck_assert_ptr_null(ipsecdb_sa_mnha(db, sad_lookup(ipsecdb_sad(db), SA_DIR_IN, 0x7001), NULL));
	ck_assert_ptr_null(sad_lookup(ipsecdb_sad(db), SA_DIR_OUT, 0x8001));
	ck_assert_ptr_eq(mn1->bu_out, out2);
	ck_assert_ptr_eq(ba_out_sa(db, "2001:db8:1::100"), out2);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", in2, &why), 0);
	ck_assert_int_eq(ipsecdb_mnha_child_remove(db, 0x7001), M6E_NOTFOUND);

	/* Payload has no larval entries: the install adds OUT and IN, tunnel
	 * mode on IKE's path, in the pair's group (R3776-4.2.e). */
	struct ipsecdb_child c3 = mnha_child(0x7003);
	mnha_install_ok(db, "2001:db8:1::100", IPSECDB_MNHA_PAYLOAD, &c3);
	ck_assert_int_eq(mn1->payload_out->mode, SA_MODE_TUNNEL);
	ck_assert(addr_is(&mn1->payload_out->dst, "2001:db8:a::5"));
	struct spd_pkt pp = { .src = A("2001:db8:77::1"), .dst = A("2001:db8:1::100"), .proto = 6,
			      .ifid = IPSECDB_IFID_MNHA };
	struct spd_entry *e = spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &pp);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(e->protect.sa, mn1->payload_out);
	ck_assert_uint_eq(e->group, mn1->group);
	ck_assert(addr_is(&e->protect.tunnel_dst, "2001:db8:a::5"));
	ck_assert_uint_eq(spd_set_group_active(ipsecdb_spd(db), mn1->group, false), 2);
	ck_assert_ptr_null(spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &pp));
	spd_set_group_active(ipsecdb_spd(db), mn1->group, true);

	/* Everything gone: larval again, the build's entries plus payload's OUT. */
	ck_assert_int_eq(ipsecdb_mnha_child_remove(db, 0x7003), 0);
	ck_assert_int_eq(ipsecdb_mnha_child_remove(db, 0x7002), 0);
	ck_assert_ptr_null(mn1->bu_in);
	ck_assert_ptr_null(mn1->bu_out);
	ck_assert_ptr_null(mn1->payload_out);
	ck_assert_ptr_null(ba_out_sa(db, "2001:db8:1::100"));
	ck_assert(spd_is_larval(spd_lookup(ipsecdb_spd(db), SPD_DIR_OUT, &pp)));
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 2); /* mn3's manual pair */
	ck_assert_uint_eq(spd_count(ipsecdb_spd(db)), 13);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

START_TEST(mnha_ike_install_refusals)
{
	struct conf *c = load_text(ha_ike_conf);
	struct ipsecdb *db = build_ok(c);
	char err[160];
	struct ipsecdb_child ch = mnha_child(0x7001);
	/* mn3 is manually keyed; ::999 is nobody's. */
	struct in6_addr mn3 = A("2001:db8:1::300"), nobody = A("2001:db8:1::999"), mn1 = A("2001:db8:1::100");
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn3, IPSECDB_MNHA_BU_BA, &ch, NOW_MS, err, sizeof(err)),
			 M6E_NOTFOUND);
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &nobody, IPSECDB_MNHA_BU_BA, &ch, NOW_MS, err, sizeof(err)),
			 M6E_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(err, "2001:db8:1::999"));
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_SLOTS, &ch, NOW_MS, err, sizeof(err)),
			 M6E_INVAL);
	struct ipsecdb_child udp = ch;
	udp.udp_encap = true;
	udp.local_port = udp.remote_port = 4500;
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_BU_BA, &udp, NOW_MS, err, sizeof(err)),
			 M6E_UNSUPP);
	struct ipsecdb_child nokey = ch;
	nokey.keymat_in = NULL;
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_BU_BA, &nokey, NOW_MS, err, sizeof(err)),
			 M6E_INVAL);
	struct ipsecdb_child badlen = ch;
	badlen.keymat_len = 7;
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_BU_BA, &badlen, NOW_MS, err, sizeof(err)),
			 M6E_INVAL);
	/* Manual SPI 0x3001 is taken. */
	struct ipsecdb_child dup = mnha_child(0x3001);
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_BU_BA, &dup, NOW_MS, err, sizeof(err)),
			 M6E_EXISTS);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(db)), 2);
	assert_entries(db, ha_ike_entries, 12);
	for (uint32_t i = 0; i < IPSECDB_MNHA_SLOT_PAIRS; i++) {
		struct ipsecdb_child k = mnha_child(0x7100 + i);
		mnha_install_ok(db, "2001:db8:1::100", IPSECDB_MNHA_BU_BA, &k);
	}
	struct ipsecdb_child more = mnha_child(0x7200);
	ck_assert_int_eq(ipsecdb_mnha_child_install(db, &mn1, IPSECDB_MNHA_BU_BA, &more, NOW_MS, err, sizeof(err)),
			 M6E_RANGE);
	/* Another slot still has room. */
	mnha_install_ok(db, "2001:db8:1::100", IPSECDB_MNHA_MPS_MPA, &more);
	ck_assert_str_eq(ipsecdb_mnha_slot_name(IPSECDB_MNHA_HOTI_HOT), "hoti-hot");
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

/* Reload: the pairs go to the new db with their sequence numbers (a
 * re-install from KEYMAT would restart them under the peer's replay
 * window); a pair whose home address is no longer IKE-keyed stays behind. */
START_TEST(mnha_ike_children_move)
{
	struct conf *c = load_text(ha_ike_conf);
	struct ipsecdb *old = build_ok(c), *db = build_ok(c);
	struct ipsecdb_child c1 = mnha_child(0x7001), c2 = mnha_child(0x7002), c3 = mnha_child(0x7003);
	mnha_install_ok(old, "2001:db8:1::100", IPSECDB_MNHA_BU_BA, &c1);
	mnha_install_ok(old, "2001:db8:1::100", IPSECDB_MNHA_BU_BA, &c2); /* a rekey in progress */
	mnha_install_ok(old, "2001:db8:1::200", IPSECDB_MNHA_MPS_MPA, &c3);
	struct in6_addr hoa1 = A("2001:db8:1::100");
	struct sa *out2 = ipsecdb_mnha_by_hoa(old, &hoa1)->bu_out;
	out2->seq = 41; /* as if 41 BAs had left */
	ck_assert_uint_eq(ipsecdb_children_move(db, old), 3);
	ck_assert_uint_eq(sad_count(ipsecdb_sad(old)), 2); /* mn3's manual pair only */
	struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(db, &hoa1);
	ck_assert_ptr_eq(m->bu_out, out2); /* the same SA, the newest pair */
	ck_assert_uint_eq(m->bu_out->seq, 41);
	ck_assert_ptr_eq(ba_out_sa(db, "2001:db8:1::100"), out2);
	enum spd_drop why;
	struct sa *in1 = sad_lookup(ipsecdb_sad(db), SA_DIR_IN, 0x7001);
	ck_assert_ptr_nonnull(in1);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", in1, &why), 0);
	ck_assert_int_eq(bu_inbound(db, "2001:db8:1::100", m->bu_in, &why), 0);
	ck_assert_ptr_eq(ipsecdb_sa_mnha(db, in1, NULL), m);
	ck_assert_int_eq(ipsecdb_mnha_child_remove(old, 0x7001), M6E_NOTFOUND);
	ck_assert_int_eq(ipsecdb_mnha_child_remove(db, 0x7001), 0);
	ck_assert_ptr_eq(m->bu_out, out2);
	ipsecdb_free(old);
	/* Into a db without an ike section: nothing moves. */
	const char *noike = strstr(ha_ike_conf, "ike = {");
	const char *rest = strstr(ha_ike_conf, "ipsec = {");
	char text[sizeof(ha_ike_conf)];
	snprintf(text, sizeof(text), "%.*s%s", (int)(noike - ha_ike_conf), ha_ike_conf, rest);
	struct conf *c_manual = load_text(text);
	struct ipsecdb *manual = build_ok(c_manual);
	ck_assert_uint_eq(ipsecdb_children_move(manual, db), 0);
	ck_assert_ptr_nonnull(sad_lookup(ipsecdb_sad(db), SA_DIR_IN, 0x7002));
	ipsecdb_free(manual);
	conf_free(c_manual);
	ipsecdb_free(db);
	conf_free(c);
}
END_TEST

static Suite *ipsecdb_suite(void)
{
	Suite *s = suite_create("ipsecdb");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ipsecdb_home_agent_example);
	tcase_add_test(tc, ipsecdb_mobile_node_example);
	tcase_add_test(tc, ipsecdb_correspondent_example_is_empty);
	tcase_add_test(tc, ipsecdb_ha_mn_pair);
	tcase_add_test(tc, ipsecdb_return_home);
	tcase_add_test(tc, ipsecdb_site_tunnels);
	tcase_add_loop_test(tc, ipsecdb_refusals, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, show_sas);
	tcase_add_test(tc, show_policies);
	tcase_add_test(tc, ike_larval_at_build);
	tcase_add_test(tc, ike_install_rekey_remove);
	tcase_add_test(tc, ike_install_refusals);
	tcase_add_test(tc, ike_install_into_fresh_db);
	tcase_add_test(tc, ike_children_move);
	tcase_add_test(tc, ike_listings);
	tcase_add_test(tc, mnha_ike_larval_at_build);
	tcase_add_test(tc, mnha_ike_install_rekey_remove);
	tcase_add_test(tc, mnha_ike_install_refusals);
	tcase_add_test(tc, mnha_ike_children_move);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ipsecdb_suite());
}
