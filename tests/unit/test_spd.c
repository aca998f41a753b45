/*
 * Unit tests for the SPD (src/ipsec/spd.c): selector matching per kind
 * (addresses, prefixes, next protocol, ports, MH type R4877-4.3.a, ICMPv6
 * type/code R4877-4.3.b, tunnel interface R3776-4.2.c), order precedence,
 * inactive entries (R3776-4.2.e), the inbound SA check (R3776-4.2.k),
 * upper-layer peeking, refused parameters, and a 10,000-entry cross-check of
 * the index against a naive linear first-match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ipsec/spd.h"
#include "testutil.h"

#define A(s) addr_of(s)

static struct in6_addr addr_of(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

static struct prefix6 pfx(const char *s)
{
	struct prefix6 p = { .len = 0 };
	if (strcmp(s, "any") != 0)
		ck_assert_int_eq(prefix_parse(s, &p, false), 0);
	return p;
}

static struct spd_sel sel_any(void)
{
	return (struct spd_sel){ .proto = SPD_ANY, .sport = SPD_ANY, .dport = SPD_ANY, .mh_type = SPD_ANY,
				 .icmp_type = SPD_ANY, .icmp_code = SPD_ANY };
}

/* SAs as the SPD sees them: only the pointer, SPI and mode matter. */
static struct sa sa_mn1 = { .spi = 0x1001, .dir = SA_DIR_IN, .mode = SA_MODE_TRANSPORT };
static struct sa sa_mn2 = { .spi = 0x2001, .dir = SA_DIR_IN, .mode = SA_MODE_TRANSPORT };
static struct sa sa_tun = { .spi = 0x3001, .dir = SA_DIR_OUT, .mode = SA_MODE_TUNNEL };

/* ---- selector matching, table-driven ----------------------------------- */

struct ent {
	const char *name;
	enum spd_dir dir;
	uint32_t prio;
	const char *src, *dst;
	int proto, sport, dport, mh, itype, icode;
	uint32_t ifid;
	enum spd_action action;
	struct sa *sa;
	bool inactive;
};

#define ANY SPD_ANY
/* Order in the table is insertion order; prio sorts first. */
static const struct ent ents[] = {
	/* name        dir          prio src                  dst                 proto sp  dp    mh   it   ic  if act */
	{ "bu-mn1", SPD_DIR_IN, 10, "2001:db8:1::100/128", "2001:db8:1::1/128", 135, ANY, ANY, 5, ANY, ANY, 0, SPD_PROTECT, &sa_mn1, false },
	{ "bu-mn2", SPD_DIR_IN, 10, "2001:db8:1::200/128", "2001:db8:1::1/128", 135, ANY, ANY, 5, ANY, ANY, 0, SPD_PROTECT, &sa_mn2, false },
	{ "mps", SPD_DIR_IN, 10, "2001:db8:1::100/128", "2001:db8:1::1/128", 58, ANY, ANY, ANY, 146, ANY, 0, SPD_PROTECT, &sa_mn1, false },
	{ "echo0", SPD_DIR_IN, 10, "any", "2001:db8:1::1/128", 58, ANY, ANY, ANY, 128, 0, 0, SPD_BYPASS, NULL, false },
	{ "bu-rest", SPD_DIR_IN, 90, "2001:db8:1::/64", "2001:db8:1::1/128", 135, ANY, ANY, 5, ANY, ANY, 0, SPD_DISCARD, NULL, false },
	{ "hot-tun", SPD_DIR_OUT, 20, "any", "2001:db8:1::100/128", 135, ANY, ANY, 3, ANY, ANY, 7, SPD_PROTECT, &sa_tun, false },
	{ "ike", SPD_DIR_OUT, 5, "2001:db8:a::1/128", "any", 17, ANY, 500, ANY, ANY, ANY, 0, SPD_BYPASS, NULL, false },
	{ "nat-t", SPD_DIR_OUT, 5, "2001:db8:a::1/128", "any", 17, 4500, 4500, ANY, ANY, ANY, 0, SPD_BYPASS, NULL, false },
	{ "site", SPD_DIR_OUT, 50, "2001:db8:10::/48", "2001:db8:20::/48", ANY, ANY, ANY, ANY, ANY, ANY, 1, SPD_PROTECT, &sa_tun, false },
	{ "site-late", SPD_DIR_OUT, 50, "2001:db8:10::/48", "2001:db8:20::/48", ANY, ANY, ANY, ANY, ANY, ANY, 1, SPD_DISCARD, NULL, false },
	{ "host-first", SPD_DIR_OUT, 40, "2001:db8:10::5/128", "any", 6, ANY, ANY, ANY, ANY, ANY, 0, SPD_DISCARD, NULL, false },
	{ "off", SPD_DIR_OUT, 1, "any", "2001:db8:20::/48", ANY, ANY, ANY, ANY, ANY, ANY, 0, SPD_DISCARD, NULL, true },
	{ "catch-all", SPD_DIR_OUT, 100, "any", "any", ANY, ANY, ANY, ANY, ANY, ANY, 0, SPD_BYPASS, NULL, false },
};

static struct spd *build_table(void)
{
	struct spd *spd;
	ck_assert_int_eq(spd_new(&spd), 0);
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		const struct ent *e = &ents[i];
		struct spd_entry_params p = { .dir = e->dir, .priority = e->prio, .action = e->action,
					      .active = !e->inactive };
		p.sel = (struct spd_sel){ .src = pfx(e->src), .dst = pfx(e->dst), .proto = e->proto,
					  .sport = e->sport, .dport = e->dport, .mh_type = e->mh,
					  .icmp_type = e->itype, .icmp_code = e->icode, .ifid = e->ifid };
		p.protect.sa = e->sa;
		snprintf(p.name, sizeof(p.name), "%s", e->name);
		ck_assert_msg(spd_add(spd, &p, NULL) == 0, "add %s", e->name);
	}
	return spd;
}

struct pkt_case {
	const char *what;
	enum spd_dir dir;
	const char *src, *dst;
	uint8_t proto;
	const char *l4hex; /* upper-layer bytes, NULL: none readable */
	uint32_t ifid;
	const char *want; /* entry name, NULL: no match */
};

/* MH bytes: test-vectors.md E.4 (home BU, type 5) and E.3 (BA, type 6);
 * HoT (type 3) is the E.3 header with the type octet changed. ICMPv6: type
 * 146 code 0 (RFC 6275 6.7 MPS), echo request 128/0 and 128/1. UDP ports. */
#define MH_BU "3b0305005b8f0001d000038401000310"
#define MH_BA "3b030600baba000012340069"
#define MH_HOT "3b030300baba000012340069"
static const struct pkt_case pkt_cases[] = {
	{ "mn1 BU", SPD_DIR_IN, "2001:db8:1::100", "2001:db8:1::1", 135, MH_BU, 0, "bu-mn1" },
	{ "mn2 BU", SPD_DIR_IN, "2001:db8:1::200", "2001:db8:1::1", 135, MH_BU, 0, "bu-mn2" },
	{ "unknown HoA BU falls to discard", SPD_DIR_IN, "2001:db8:1::300", "2001:db8:1::1", 135, MH_BU, 0, "bu-rest" },
	{ "BA is not BU", SPD_DIR_IN, "2001:db8:1::100", "2001:db8:1::1", 135, MH_BA, 0, NULL },
	{ "MH without type octet", SPD_DIR_IN, "2001:db8:1::100", "2001:db8:1::1", 135, "3b03", 0, NULL },
	{ "BU from outside the prefix", SPD_DIR_IN, "2001:db8:2::100", "2001:db8:1::1", 135, MH_BU, 0, NULL },
	{ "MPS", SPD_DIR_IN, "2001:db8:1::100", "2001:db8:1::1", 58, "92000000", 0, "mps" },
	{ "MPS from mn2 has no entry", SPD_DIR_IN, "2001:db8:1::200", "2001:db8:1::1", 58, "92000000", 0, NULL },
	{ "echo code 0", SPD_DIR_IN, "2001:db8:9::9", "2001:db8:1::1", 58, "80000000", 0, "echo0" },
	{ "echo code 1", SPD_DIR_IN, "2001:db8:9::9", "2001:db8:1::1", 58, "80010000", 0, NULL },
	{ "HoT on the tunnel", SPD_DIR_OUT, "2001:db8:5::5", "2001:db8:1::100", 135, MH_HOT, 7, "hot-tun" },
	{ "HoT not on the tunnel", SPD_DIR_OUT, "2001:db8:5::5", "2001:db8:1::100", 135, MH_HOT, 0, "catch-all" },
	{ "IKE 500", SPD_DIR_OUT, "2001:db8:a::1", "2001:db8:b::1", 17, "01f401f40000", 0, "ike" },
	{ "NAT-T 4500", SPD_DIR_OUT, "2001:db8:a::1", "2001:db8:b::1", 17, "119411940000", 0, "nat-t" },
	{ "UDP sport mismatch", SPD_DIR_OUT, "2001:db8:a::1", "2001:db8:b::1", 17, "1195119400", 0, "catch-all" },
	{ "UDP too short for ports", SPD_DIR_OUT, "2001:db8:a::1", "2001:db8:b::1", 17, "01f401", 0, "catch-all" },
	{ "site, first of equal prio", SPD_DIR_OUT, "2001:db8:10::7", "2001:db8:20:1::1", 17, NULL, 1, "site" },
	{ "site host: prio 40 beats 50", SPD_DIR_OUT, "2001:db8:10::5", "2001:db8:20::1", 6, "0016abcd", 1, "host-first" },
	{ "site host udp", SPD_DIR_OUT, "2001:db8:10::5", "2001:db8:20::1", 17, NULL, 1, "site" },
	{ "site wrong ifid", SPD_DIR_OUT, "2001:db8:10::7", "2001:db8:20::1", 17, NULL, 2, "catch-all" },
	{ "inactive skipped", SPD_DIR_OUT, "2001:db8:99::7", "2001:db8:20::1", 17, NULL, 0, "catch-all" },
	{ "direction matters", SPD_DIR_IN, "2001:db8:10::7", "2001:db8:20::1", 17, NULL, 1, NULL },
};

START_TEST(spd_match_table)
{
	const struct pkt_case *c = &pkt_cases[_i];
	struct spd *spd = build_table();
	struct spd_pkt pkt = { .src = A(c->src), .dst = A(c->dst), .ifid = c->ifid };
	uint8_t l4[64];
	size_t n = c->l4hex ? tu_hex(c->l4hex, l4, sizeof(l4)) : 0;
	spd_pkt_peek(&pkt, c->proto, c->l4hex ? l4 : NULL, n);
	struct spd_entry *e = spd_lookup(spd, c->dir, &pkt);
	if (!c->want)
		ck_assert_msg(e == NULL, "%s: matched %s", c->what, e ? e->name : "");
	else
		ck_assert_msg(e && strcmp(e->name, c->want) == 0, "%s: want %s got %s", c->what, c->want,
			      e ? e->name : "none");
	spd_free(spd);
}
END_TEST

/* ---- upper-layer peek --------------------------------------------------- */

static const struct {
	const char *what;
	uint8_t proto;
	const char *hex;
	bool l4;
	uint16_t sport, dport;
	uint8_t mh, itype, icode;
} peek_cases[] = {
	{ "MH BU (E.4)", 135, MH_BU, true, 0, 0, 5, 0, 0 },
	{ "MH BA (E.3)", 135, MH_BA, true, 0, 0, 6, 0, 0 },
	{ "MH 3 octets", 135, "3b0305", true, 0, 0, 5, 0, 0 },
	{ "MH 2 octets", 135, "3b03", false, 0, 0, 0, 0, 0 },
	{ "ICMPv6 MPA", 58, "93000000", true, 0, 0, 0, 147, 0 },
	{ "ICMPv6 1 octet", 58, "93", false, 0, 0, 0, 0, 0 },
	{ "UDP", 17, "1194c0de0008", true, 4500, 0xc0de, 0, 0, 0 },
	{ "TCP", 6, "0016abcd", true, 22, 0xabcd, 0, 0, 0 },
	{ "SCTP", 132, "0b590b59", true, 2905, 2905, 0, 0, 0 },
	{ "UDP 3 octets", 17, "119411", false, 0, 0, 0, 0, 0 },
	{ "ESP has no selector fields", 50, "00001001", false, 0, 0, 0, 0, 0 },
	{ "empty", 17, "", false, 0, 0, 0, 0, 0 },
};

START_TEST(spd_peek_table)
{
	uint8_t buf[32];
	size_t n = tu_hex(peek_cases[_i].hex, buf, sizeof(buf));
	struct spd_pkt p;
	memset(&p, 0xa5, sizeof(p));
	spd_pkt_peek(&p, peek_cases[_i].proto, buf, n);
	ck_assert_msg(p.l4 == peek_cases[_i].l4, "%s", peek_cases[_i].what);
	ck_assert_int_eq(p.proto, peek_cases[_i].proto);
	ck_assert_uint_eq(p.sport, peek_cases[_i].sport);
	ck_assert_uint_eq(p.dport, peek_cases[_i].dport);
	ck_assert_uint_eq(p.mh_type, peek_cases[_i].mh);
	ck_assert_uint_eq(p.icmp_type, peek_cases[_i].itype);
	ck_assert_uint_eq(p.icmp_code, peek_cases[_i].icode);
}
END_TEST

/* ---- refused parameters --------------------------------------------------- */

enum bad { B_OK, B_PLEN, B_PROTO, B_PORT_PROTO, B_PORT_RANGE, B_MH_PROTO, B_MH_RANGE, B_ICMP_PROTO, B_CODE_ONLY,
	   B_PROTECT_NO_SA, B_PROTECT_RESERVED, B_PROTECT_SPI, B_DIR, B_ACTION };
static const struct {
	const char *what;
	enum bad bad;
	int rc;
} bad_cases[] = {
	{ "valid", B_OK, 0 },
	{ "prefix length 129", B_PLEN, M6E_INVAL },
	{ "proto 256", B_PROTO, M6E_INVAL },
	{ "port with ICMPv6", B_PORT_PROTO, M6E_INVAL },
	{ "port 65536", B_PORT_RANGE, M6E_INVAL },
	{ "MH type with UDP", B_MH_PROTO, M6E_INVAL },
	{ "MH type 256", B_MH_RANGE, M6E_INVAL },
	{ "ICMPv6 type with MH", B_ICMP_PROTO, M6E_INVAL },
	{ "ICMPv6 code without type", B_CODE_ONLY, M6E_INVAL },
	{ "larval PROTECT (no SA, SPI 0)", B_PROTECT_NO_SA, 0 },
	{ "PROTECT by a reserved SPI", B_PROTECT_RESERVED, M6E_INVAL },
	{ "PROTECT by SPI only", B_PROTECT_SPI, 0 },
	{ "bad direction", B_DIR, M6E_INVAL },
	{ "bad action", B_ACTION, M6E_INVAL },
};

START_TEST(spd_add_refuses)
{
	struct spd *spd;
	ck_assert_int_eq(spd_new(&spd), 0);
	struct spd_entry_params p = { .dir = SPD_DIR_OUT, .action = SPD_BYPASS, .sel = sel_any(), .active = true };
	p.sel.proto = 17;
	switch (bad_cases[_i].bad) {
	case B_OK: break;
	case B_PLEN: p.sel.dst.len = 129; break;
	case B_PROTO: p.sel.proto = 256; break;
	case B_PORT_PROTO: p.sel.proto = 58; p.sel.dport = 1; break;
	case B_PORT_RANGE: p.sel.sport = 65536; break;
	case B_MH_PROTO: p.sel.mh_type = 5; break;
	case B_MH_RANGE: p.sel.proto = 135; p.sel.mh_type = 256; break;
	case B_ICMP_PROTO: p.sel.proto = 135; p.sel.icmp_type = 146; break;
	case B_CODE_ONLY: p.sel.proto = 58; p.sel.icmp_code = 0; break;
	case B_PROTECT_NO_SA: p.action = SPD_PROTECT; break;
	case B_PROTECT_RESERVED: p.action = SPD_PROTECT; p.protect.spi = 255; break;
	case B_PROTECT_SPI: p.action = SPD_PROTECT; p.protect.spi = 0x4000; p.protect.mode = SA_MODE_TUNNEL; break;
	case B_DIR: p.dir = (enum spd_dir)2; break;
	case B_ACTION: p.action = (enum spd_action)7; break;
	}
	struct spd_entry *e = NULL;
	ck_assert_msg(spd_add(spd, &p, &e) == bad_cases[_i].rc, "%s", bad_cases[_i].what);
	ck_assert_uint_eq(spd_count(spd), bad_cases[_i].rc == 0 ? 1 : 0);
	ck_assert(bad_cases[_i].rc == 0 ? e != NULL : e == NULL);
	spd_free(spd);
}
END_TEST

/* ---- inbound check (R3776-4.2.k) ---------------------------------------- */

static const struct {
	const char *what;
	const char *src;
	uint8_t proto;
	const char *l4;
	struct sa *sa;
	int rc;
	enum spd_drop why;
	const char *entry;
} inb_cases[] = {
	{ "mn1 BU over mn1's SA", "2001:db8:1::100", 135, MH_BU, &sa_mn1, 0, SPD_DROP_NONE, "bu-mn1" },
	{ "mn2 BU over mn2's SA", "2001:db8:1::200", 135, MH_BU, &sa_mn2, 0, SPD_DROP_NONE, "bu-mn2" },
	/* R3776-4.2.k: mn2's valid SA cannot carry a BU for mn1's home address. */
	{ "mn1 HoA over mn2's SA", "2001:db8:1::100", 135, MH_BU, &sa_mn2, M6E_PERM, SPD_DROP_WRONG_SA, NULL },
	{ "mn2 HoA over mn1's SA", "2001:db8:1::200", 135, MH_BU, &sa_mn1, M6E_PERM, SPD_DROP_WRONG_SA, NULL },
	{ "mn1 BU in the clear", "2001:db8:1::100", 135, MH_BU, NULL, M6E_PERM, SPD_DROP_UNPROTECTED, NULL },
	{ "unknown HoA BU in the clear", "2001:db8:1::300", 135, MH_BU, NULL, M6E_PERM, SPD_DROP_DISCARD, NULL },
	{ "unknown HoA BU over mn1's SA", "2001:db8:1::300", 135, MH_BU, &sa_mn1, M6E_PERM, SPD_DROP_DISCARD, NULL },
	{ "MPS over mn1's SA", "2001:db8:1::100", 58, "92000000", &sa_mn1, 0, SPD_DROP_NONE, "mps" },
	{ "echo in the clear", "2001:db8:7::7", 58, "80000000", NULL, 0, SPD_DROP_NONE, "echo0" },
	{ "echo over an SA", "2001:db8:7::7", 58, "80000000", &sa_mn1, M6E_PERM, SPD_DROP_NOT_PROTECT, NULL },
	{ "no policy", "2001:db8:7::7", 17, "00010002", NULL, M6E_PERM, SPD_DROP_NO_POLICY, NULL },
	{ "no policy, protected", "2001:db8:7::7", 17, "00010002", &sa_mn1, M6E_PERM, SPD_DROP_NO_POLICY, NULL },
};

START_TEST(spd_inbound_table)
{
	struct spd *spd = build_table();
	struct spd_pkt pkt = { .src = A(inb_cases[_i].src), .dst = A("2001:db8:1::1") };
	uint8_t l4[32];
	size_t n = tu_hex(inb_cases[_i].l4, l4, sizeof(l4));
	spd_pkt_peek(&pkt, inb_cases[_i].proto, l4, n);
	struct spd_entry *e = NULL;
	enum spd_drop why = SPD_DROP_COUNT;
	int rc = spd_check_inbound(spd, &pkt, inb_cases[_i].sa, &e, &why);
	ck_assert_msg(rc == inb_cases[_i].rc, "%s: rc %d", inb_cases[_i].what, rc);
	ck_assert_msg(why == inb_cases[_i].why, "%s: why %s", inb_cases[_i].what, spd_drop_name(why));
	if (inb_cases[_i].entry)
		ck_assert_str_eq(e->name, inb_cases[_i].entry);
	else
		ck_assert_ptr_null(e);
	spd_free(spd);
}
END_TEST

/* Two in SAs for the same selectors (a tunnel during a rekey): either one
 * is accepted, a third is not. */
START_TEST(spd_inbound_two_sas)
{
	struct spd *spd;
	ck_assert_int_eq(spd_new(&spd), 0);
	struct sa a = { .spi = 0x500, .mode = SA_MODE_TUNNEL }, b = { .spi = 0x501, .mode = SA_MODE_TUNNEL },
		  c = { .spi = 0x502, .mode = SA_MODE_TUNNEL };
	struct spd_entry_params p = { .dir = SPD_DIR_IN, .action = SPD_PROTECT, .sel = sel_any(), .active = true };
	p.sel.src = pfx("2001:db8:20::/48");
	p.protect.sa = &a;
	ck_assert_int_eq(spd_add(spd, &p, NULL), 0);
	p.protect.sa = &b;
	ck_assert_int_eq(spd_add(spd, &p, NULL), 0);
	struct spd_pkt pkt = { .src = A("2001:db8:20::1"), .dst = A("2001:db8:10::1"), .proto = 6 };
	struct spd_entry *e;
	enum spd_drop why;
	ck_assert_int_eq(spd_check_inbound(spd, &pkt, &a, &e, &why), 0);
	ck_assert_ptr_eq(e->protect.sa, &a);
	ck_assert_int_eq(spd_check_inbound(spd, &pkt, &b, &e, &why), 0);
	ck_assert_ptr_eq(e->protect.sa, &b);
	ck_assert_int_eq(spd_check_inbound(spd, &pkt, &c, &e, &why), M6E_PERM);
	ck_assert_int_eq(why, SPD_DROP_WRONG_SA);
	/* Re-pointing the first entry to c makes c acceptable and a not. */
	ck_assert_uint_eq(spd_repoint(spd, &a, &c), 1);
	ck_assert_int_eq(spd_check_inbound(spd, &pkt, &c, &e, &why), 0);
	ck_assert_uint_eq(e->protect.spi, 0x502);
	ck_assert_int_eq(spd_check_inbound(spd, &pkt, &a, &e, &why), M6E_PERM);
	spd_free(spd);
}
END_TEST

/* ---- activation, groups, deletion, counters, formatting ----------------- */

START_TEST(spd_groups_and_delete)
{
	struct spd *spd;
	ck_assert_int_eq(spd_new(&spd), 0);
	struct spd_entry_params p = { .dir = SPD_DIR_OUT, .action = SPD_PROTECT, .sel = sel_any(), .active = true,
				      .priority = 10, .group = 7 };
	p.sel.dst = pfx("2001:db8:1::100/128");
	p.sel.ifid = 9;
	p.protect.sa = &sa_tun;
	struct spd_entry *tun, *fallback;
	ck_assert_int_eq(spd_add(spd, &p, &tun), 0);
	p.priority = 20;
	p.group = 0;
	p.action = SPD_DISCARD;
	p.sel.ifid = SPD_IFID_ANY;
	ck_assert_int_eq(spd_add(spd, &p, &fallback), 0);
	struct spd_pkt pkt = { .src = A("2001:db8:5::5"), .dst = A("2001:db8:1::100"), .proto = 6, .ifid = 9 };
	ck_assert_ptr_eq(spd_lookup(spd, SPD_DIR_OUT, &pkt), tun);
	/* R3776-4.2.e: return home makes the tunnel entries inactive, not gone. */
	ck_assert_uint_eq(spd_set_group_active(spd, 7, false), 1);
	ck_assert_uint_eq(spd_set_group_active(spd, 7, false), 0);
	ck_assert_ptr_eq(spd_lookup(spd, SPD_DIR_OUT, &pkt), fallback);
	ck_assert_uint_eq(spd_count(spd), 2);
	ck_assert_uint_eq(spd_set_group_active(spd, 7, true), 1);
	ck_assert_ptr_eq(spd_lookup(spd, SPD_DIR_OUT, &pkt), tun);
	spd_account(tun, 1200);
	spd_account(tun, 100);
	ck_assert_uint_eq(tun->packets, 2);
	ck_assert_uint_eq(tun->bytes, 1300);
	/* Repointing to NULL leaves the entry with its SPI for listings. */
	ck_assert_uint_eq(spd_repoint(spd, &sa_tun, NULL), 1);
	ck_assert_ptr_null(tun->protect.sa);
	ck_assert_uint_eq(tun->protect.spi, 0x3001);
	ck_assert_int_eq(spd_del(spd, tun), 0);
	ck_assert_ptr_eq(spd_lookup(spd, SPD_DIR_OUT, &pkt), fallback);
	ck_assert_int_eq(spd_del(spd, fallback), 0);
	ck_assert_ptr_null(spd_lookup(spd, SPD_DIR_OUT, &pkt));
	ck_assert_uint_eq(spd_count(spd), 0);
	spd_free(spd);
}
END_TEST

static const struct {
	const char *src, *dst;
	int proto, sport, dport, mh, itype, icode;
	uint32_t ifid;
	const char *text;
} fmt_cases[] = {
	{ "2001:db8:1::100/128", "2001:db8:1::1/128", 135, ANY, ANY, 5, ANY, ANY, 0,
	  "2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu" },
	{ "any", "2001:db8:1::100/128", 135, ANY, ANY, 3, ANY, ANY, 65536, "any -> 2001:db8:1::100/128 mh type hot if 65536" },
	{ "2001:db8:1::1/128", "2001:db8:1::100/128", 58, ANY, ANY, ANY, 147, ANY, 0,
	  "2001:db8:1::1/128 -> 2001:db8:1::100/128 icmpv6 type mpa" },
	{ "any", "any", 58, ANY, ANY, ANY, 1, 4, 0, "any -> any icmpv6 type 1 code 4" },
	{ "2001:db8:a::1/128", "any", 17, 4500, 4500, ANY, ANY, ANY, 0, "2001:db8:a::1/128 -> any udp sport 4500 dport 4500" },
	{ "2001:db8:10::/48", "2001:db8:20::/48", ANY, ANY, ANY, ANY, ANY, ANY, 1, "2001:db8:10::/48 -> 2001:db8:20::/48 any if 1" },
	{ "any", "any", 89, ANY, ANY, ANY, ANY, ANY, 0, "any -> any proto 89" },
};

START_TEST(spd_format_table)
{
	struct spd_sel s = { .src = pfx(fmt_cases[_i].src), .dst = pfx(fmt_cases[_i].dst), .proto = fmt_cases[_i].proto,
			     .sport = fmt_cases[_i].sport, .dport = fmt_cases[_i].dport, .mh_type = fmt_cases[_i].mh,
			     .icmp_type = fmt_cases[_i].itype, .icmp_code = fmt_cases[_i].icode, .ifid = fmt_cases[_i].ifid };
	char buf[200];
	spd_sel_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, fmt_cases[_i].text);
}
END_TEST

/* ---- 10,000 random entries against a linear reference -------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* Addresses from a small universe so that prefixes overlap and collide:
 * 2001:db8:<a>:<b>::<c> with a, b, c in 0..7. */
static struct in6_addr rnd_addr(void)
{
	struct in6_addr x = A("2001:db8::");
	x.s6_addr[5] = (uint8_t)rnd(8);
	x.s6_addr[7] = (uint8_t)rnd(8);
	x.s6_addr[15] = (uint8_t)rnd(8);
	return x;
}

static struct prefix6 rnd_prefix(void)
{
	static const unsigned lens[] = { 0, 0, 32, 40, 48, 61, 64, 127, 128, 128 };
	struct prefix6 p = { .len = lens[rnd(sizeof(lens) / sizeof(lens[0]))] };
	struct in6_addr a = rnd_addr();
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p.len > i * 8 ? p.len - i * 8 : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		p.addr.s6_addr[i] = a.s6_addr[i] & m;
	}
	return p;
}

static const int protos[] = { SPD_ANY, SPD_ANY, 6, 17, 58, 135, 50 };

static struct spd_sel rnd_sel(void)
{
	struct spd_sel s = sel_any();
	s.src = rnd_prefix();
	s.dst = rnd_prefix();
	s.proto = protos[rnd(sizeof(protos) / sizeof(protos[0]))];
	if ((s.proto == 6 || s.proto == 17) && rnd(2))
		s.dport = (int)rnd(4);
	if ((s.proto == 6 || s.proto == 17) && !rnd(4))
		s.sport = (int)rnd(4);
	if (s.proto == 135 && rnd(2))
		s.mh_type = (int)rnd(8);
	if (s.proto == 58 && rnd(2)) {
		s.icmp_type = 128 + (int)rnd(3);
		if (rnd(2))
			s.icmp_code = (int)rnd(2);
	}
	if (!rnd(4))
		s.ifid = 1 + rnd(3);
	return s;
}

static struct spd_pkt rnd_pkt(void)
{
	static const uint8_t pp[] = { 6, 17, 58, 135, 50, 47 };
	struct spd_pkt p = { .src = rnd_addr(), .dst = rnd_addr(), .ifid = rnd(4) };
	uint8_t l4[4] = { 0, (uint8_t)rnd(4), 0, (uint8_t)rnd(4) };
	uint8_t proto = pp[rnd(sizeof(pp))];
	if (proto == 58)
		l4[0] = (uint8_t)(128 + rnd(3)), l4[1] = (uint8_t)rnd(2);
	if (proto == 135)
		l4[2] = (uint8_t)rnd(8);
	spd_pkt_peek(&p, proto, l4, rnd(8) ? sizeof(l4) : rnd(3));
	return p;
}

struct ref {
	struct spd_entry **v;
	size_t n;
};

static void ref_collect(struct spd_entry *e, void *arg)
{
	struct ref *r = arg;
	r->v[r->n++] = e;
}

/* The reference: a linear scan in spd_foreach order (which is lookup order). */
static struct spd_entry *ref_lookup(const struct ref *r, enum spd_dir dir, const struct spd_pkt *p)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->dir == dir && r->v[i]->active && spd_sel_match(&r->v[i]->sel, p))
			return r->v[i];
	return NULL;
}

static void cross_check(struct spd *spd, size_t packets)
{
	struct ref r = { .v = calloc(spd_count(spd) + 1, sizeof(*r.v)) };
	ck_assert_ptr_nonnull(r.v);
	spd_foreach(spd, ref_collect, &r);
	ck_assert_uint_eq(r.n, spd_count(spd));
	for (size_t i = 1; i < r.n; i++)
		if (r.v[i]->dir == r.v[i - 1]->dir)
			ck_assert(r.v[i]->order > r.v[i - 1]->order);
	size_t hits = 0;
	for (size_t i = 0; i < packets; i++) {
		struct spd_pkt p = rnd_pkt();
		enum spd_dir d = (enum spd_dir)rnd(2);
		struct spd_entry *want = ref_lookup(&r, d, &p), *got = spd_lookup(spd, d, &p);
		ck_assert_msg(got == want, "packet %zu: index %p, linear %p", i, (void *)got, (void *)want);
		hits += want != NULL;
	}
	/* The universe is small enough that most packets match something. */
	ck_assert_uint_gt(hits, packets / 4);
	free(r.v);
}

START_TEST(spd_10k_cross_check)
{
	rng_state = 0x9e3779b97f4a7c15ull;
	struct spd *spd;
	ck_assert_int_eq(spd_new(&spd), 0);
	enum { N = 10000 };
	struct spd_entry **all = calloc(N, sizeof(*all));
	ck_assert_ptr_nonnull(all);
	for (size_t i = 0; i < N; i++) {
		struct spd_entry_params p = { .dir = (enum spd_dir)rnd(2), .priority = rnd(4), .sel = rnd_sel(),
					      .action = (enum spd_action)rnd(2), .active = rnd(10) != 0 };
		ck_assert_int_eq(spd_add(spd, &p, &all[i]), 0);
	}
	cross_check(spd, 3000);
	/* Delete a third, deactivate some more, and check again. */
	for (size_t i = 0; i < N; i += 3) {
		ck_assert_int_eq(spd_del(spd, all[i]), 0);
		all[i] = NULL;
	}
	for (size_t i = 1; i < N; i += 7)
		if (all[i])
			spd_set_active(all[i], !all[i]->active);
	ck_assert_uint_eq(spd_count(spd), N - (N + 2) / 3);
	cross_check(spd, 3000);
	free(all);
	spd_free(spd);
}
END_TEST

static Suite *spd_suite(void)
{
	Suite *s = suite_create("spd");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, spd_match_table, 0, sizeof(pkt_cases) / sizeof(pkt_cases[0]));
	tcase_add_loop_test(tc, spd_peek_table, 0, sizeof(peek_cases) / sizeof(peek_cases[0]));
	tcase_add_loop_test(tc, spd_add_refuses, 0, sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, spd_inbound_table, 0, sizeof(inb_cases) / sizeof(inb_cases[0]));
	tcase_add_test(tc, spd_inbound_two_sas);
	tcase_add_test(tc, spd_groups_and_delete);
	tcase_add_loop_test(tc, spd_format_table, 0, sizeof(fmt_cases) / sizeof(fmt_cases[0]));
	tcase_add_test(tc, spd_10k_cross_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(spd_suite());
}
