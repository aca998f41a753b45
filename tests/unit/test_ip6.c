/*
 * Unit tests for src/wire/ip6.c, exthdr.c, udp.c, tunnel6.c: known-answer
 * bytes from wire-formats.md §D and test-vectors.md §E, packets built by
 * scapy, round trips, and a malformed-input table run in both entry modes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "testutil.h"
#include "wire/exthdr.h"
#include "wire/ip6.h"
#include "wire/tunnel6.h"
#include "wire/udp.h"

/* test-vectors.md §E common addresses. */
#define HOA "2001:db8:1::100"
#define COA "2001:db8:2::200"
#define CN "2001:db8:3::300"
#define HA "2001:db8:1::1"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* With IP6_CORPUS_DIR set (tests/fuzz/mkcorpus_ip6.sh), every packet the
 * table-driven tests parse is also written there as a fuzz seed. */
static void corpus_save(const char *tag, int idx, const uint8_t *pkt, size_t len)
{
	const char *dir = getenv("IP6_CORPUS_DIR");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s-%02d", dir, tag, idx);
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(pkt, 1, len, f), len);
	fclose(f);
}

static void assert_addr(const struct in6_addr *got, const char *want)
{
	struct in6_addr w = A(want);
	tu_assert_mem_eq(got, sizeof(*got), &w, sizeof(w));
}

/* test-vectors.md §E.2: BU MN -> CN, IPv6 · DestOpt{PadN, HAO} · MH, 96 octets. */
static const char E2_PACKET[] = "60000000 00383c40 20010db8 00020000 00000000 00000200"
				"20010db8 00030000 00000000 00000300"
				"87020102 0000c910 20010db8 00010000 00000000 00000100"
				"3b030500 1fc11234 80000069 04040001 0002050c"
				"f23ebbe3 b1b32a71 1aa3ff82";
/* Its MH with the checksum field zeroed (E.2 "MH Data" + authenticator). */
static const char E2_MH[] = "3b030500 00001234 80000069 04040001 0002050c f23ebbe3b1b32a711aa3ff82";

/* test-vectors.md §E.3: BA CN -> MN, IPv6 · RH2{HoA} · MH, 96 octets. */
static const char E3_PACKET[] = "60000000 00382b40 20010db8 00030000 00000000 00000300"
				"20010db8 00020000 00000000 00000200"
				"87020201 00000000 20010db8 00010000 00000000 00000100"
				"3b030600 baba0000 12340069 01040000 0000050c"
				"45305a3e c12d9e39 32925a0f";
static const char E3_MH[] = "3b030600 00000000 12340069 01040000 0000050c 45305a3ec12d9e3932925a0f";

/*
 * Built offline with python3-scapy 2.5.0 (Debian python3-scapy 2.5.0+dfsg-2),
 * whose in6_chksum applies the HAO / RH2 pseudo-header rules itself:
 *   IPv6(src=COA, dst=CN, hlim=64)/IPv6ExtHdrDestOpt(options=[HAO(hoa=HOA)])
 *     /UDP(sport=4500, dport=4500)/Raw(b'mip6sec scapy udp')
 */
static const char SCAPY_UDP_HAO[] =
	"6000000000313c4020010db800020000000000000000020020010db8000300000000000000000300"
	"110201020000c91020010db8000100000000000000000100"
	"119411940019959f6d69703673656320736361707920756470";
/*   IPv6(src=CN, dst=COA, hlim=64)/IPv6ExtHdrRouting(type=2, segleft=1, addresses=[HOA])
 *     /ICMPv6EchoRequest(id=0x1234, seq=7, data=b'ping') */
static const char SCAPY_ICMP_RH2[] =
	"6000000000242b4020010db800030000000000000000030020010db80002000000000000000002003a"
	"0202010000000020010db800010000000000000000010080002f371234000770696e67";
/*   IPv6(src=COA, dst=CN)/UDP(sport=500, dport=500)/Raw(b'\x00'*4) */
static const char SCAPY_UDP_PLAIN[] =
	"60000000000c114020010db800020000000000000000020020010db8000300000000000000000300"
	"01f401f4000c9b7700000000";

/* §D.1 canonical HAO header and §D.2 RH2 must come out byte for byte. */
START_TEST(build_hao_and_rh2_known_answer)
{
	uint8_t buf[64], want[64];
	struct wbuf w;
	struct in6_addr hoa = A(HOA);

	wbuf_init(&w, buf, sizeof(buf));
	exthdr_build_hao(&w, IP6_NH_MH, &hoa);
	ck_assert_int_eq(wbuf_status(&w), 0);
	size_t n = tu_hex("87 02 01 02 00 00 c9 10 20010db8000100000000000000000100", want, sizeof(want));
	tu_assert_mem_eq(buf, wbuf_len(&w), want, n);

	wbuf_init(&w, buf, sizeof(buf));
	exthdr_build_rh2(&w, IP6_NH_MH, &hoa);
	ck_assert_int_eq(wbuf_status(&w), 0);
	n = tu_hex("87 02 02 01 00000000 20010db8000100000000000000000100", want, sizeof(want));
	tu_assert_mem_eq(buf, wbuf_len(&w), want, n);

	/* Too small a buffer: sticky overflow, nothing half-written counted. */
	wbuf_init(&w, buf, 23);
	exthdr_build_hao(&w, IP6_NH_ESP, &hoa);
	ck_assert_int_eq(wbuf_status(&w), M6E_NOSPACE);
}
END_TEST

/* The whole-packet builder reproduces §E.2 and §E.3: the checksums 1fc1
 * and baba only come out with the R6275-6.1.1.d pseudo-header. */
struct kat_case {
	const char *name;
	const char *src, *dst, *hao, *rh2;
	const char *mh;
	const char *packet;
};

static const struct kat_case kat_cases[] = {
	{ "E.2 BU to CN with HAO", COA, CN, HOA, NULL, E2_MH, E2_PACKET },
	{ "E.3 BA from CN with RH2", CN, COA, NULL, HOA, E3_MH, E3_PACKET },
};

START_TEST(build_packet_matches_vectors)
{
	const struct kat_case *c = &kat_cases[_i];
	uint8_t mh[64], want[256], buf[256];
	size_t mh_len = tu_hex(c->mh, mh, sizeof(mh));
	size_t want_len = tu_hex(c->packet, want, sizeof(want));
	struct in6_addr hao, rh2;
	struct ip6_pkt_spec spec = { .src = A(c->src), .dst = A(c->dst), .proto = IP6_NH_MH };
	if (c->hao) {
		hao = A(c->hao);
		spec.hao = &hao;
	}
	if (c->rh2) {
		rh2 = A(c->rh2);
		spec.rh2 = &rh2;
	}
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_msg(ip6_build_packet(&w, &spec, mh, mh_len) == 0, "%s", c->name);
	tu_assert_mem_eq(buf, wbuf_len(&w), want, want_len);

	/* And back: the parse sees the header, the upper layer, the checksum. */
	corpus_save("vector", _i, want, want_len);
	struct ip6_view v;
	ck_assert_int_eq(ip6_parse(want, want_len, &v), 0);
	ck_assert(v.full && v.complete);
	ck_assert_uint_eq(v.upper.proto, IP6_NH_MH);
	ck_assert_uint_eq(v.upper.off, 64);
	ck_assert_uint_eq(v.upper.len, 32);
	ck_assert_uint_eq(v.violations, 0);
	ck_assert(v.hao.present == (c->hao != NULL));
	ck_assert(v.rh2.present == (c->rh2 != NULL));
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, want), 0);
	/* The same bytes checked against the plain addresses must fail: proves
	 * the HAO/RH2 address is what the checksum covers. */
	v.hao.present = false;
	v.rh2.present = false;
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, want), M6E_CKSUM);
}
END_TEST

/* Packets scapy built: we parse them, verify their checksums, and our
 * builder reproduces them byte for byte from the parsed facts. */
struct scapy_case {
	const char *hex;
	uint8_t proto;
	size_t upper_off, upper_len;
	bool hao, rh2;
};

static const struct scapy_case scapy_cases[] = {
	{ SCAPY_UDP_HAO, IP6_NH_UDP, 64, 25, true, false },
	{ SCAPY_ICMP_RH2, IP6_NH_ICMPV6, 64, 12, false, true },
	{ SCAPY_UDP_PLAIN, IP6_NH_UDP, 40, 12, false, false },
};

START_TEST(scapy_packets_verify_and_rebuild)
{
	const struct scapy_case *c = &scapy_cases[_i];
	uint8_t pkt[256], buf[256];
	size_t len = tu_hex(c->hex, pkt, sizeof(pkt));
	corpus_save("scapy", _i, pkt, len);
	struct ip6_view v;
	ck_assert_int_eq(ip6_parse(pkt, len, &v), 0);
	ck_assert_uint_eq(v.upper.proto, c->proto);
	ck_assert_uint_eq(v.upper.off, c->upper_off);
	ck_assert_uint_eq(v.upper.len, c->upper_len);
	ck_assert(v.hao.present == c->hao);
	ck_assert(v.rh2.present == c->rh2);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), 0);

	struct in6_addr psrc, pdst;
	ip6_pseudo_addrs(&v, &psrc, &pdst);
	if (c->hao)
		assert_addr(&psrc, HOA);
	if (c->rh2)
		assert_addr(&pdst, HOA);
	if (c->proto == IP6_NH_UDP) {
		struct rbuf r, data;
		struct udp_header u;
		enum udp_drop drop;
		rbuf_init(&r, pkt + v.upper.off, v.upper.len);
		ck_assert_int_eq(udp_parse(&r, &psrc, &pdst, &u, &data, &drop), 0);
		ck_assert_uint_eq(drop, UDP_DROP_NONE);
		ck_assert_uint_eq(u.len, c->upper_len);
		ck_assert_uint_eq(rbuf_left(&data), c->upper_len - UDP_HDR_LEN);
	}

	/* Rebuild from the facts with the checksum field scrambled. */
	uint8_t upper[64];
	memcpy(upper, pkt + v.upper.off, v.upper.len);
	size_t ck_off;
	ck_assert_int_eq(ip6_cksum_offset(c->proto, &ck_off), 0);
	upper[ck_off] ^= 0x5a;
	struct ip6_pkt_spec spec = { .src = v.src, .dst = v.dst, .proto = c->proto,
				     .hlim = v.hdr.hlim,
				     .hao = c->hao ? &v.hao.addr : NULL,
				     .rh2 = c->rh2 ? &v.rh2.addr : NULL };
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, upper, v.upper.len), 0);
	tu_assert_mem_eq(buf, wbuf_len(&w), pkt, len);
}
END_TEST

/* Every combination of HAO / RH2 with every upper layer: build, parse,
 * compare the facts, verify the checksum, apply the swaps, verify again. */
START_TEST(round_trip_combinations)
{
	static const uint8_t protos[] = { IP6_NH_MH, IP6_NH_ICMPV6, IP6_NH_UDP, IP6_NH_ESP, IP6_NH_TCP };
	uint8_t proto = protos[_i % 5];
	bool with_hao = (_i / 5) & 1, with_rh2 = (_i / 5) & 2;
	struct in6_addr hoa = A(HOA), hoa2 = A("2001:db8:9::9");
	uint8_t upper[40];
	for (size_t k = 0; k < sizeof(upper); k++)
		upper[k] = (uint8_t)(k * 7 + _i);
	if (proto == IP6_NH_UDP) {
		upper[4] = 0;
		upper[5] = sizeof(upper); /* UDP Length */
	}
	struct ip6_pkt_spec spec = { .src = A(COA), .dst = A(CN), .proto = proto, .hlim = 9,
				     .tclass = 0xb8, .flow = 0xabcde,
				     .hao = with_hao ? &hoa : NULL, .rh2 = with_rh2 ? &hoa2 : NULL };
	uint8_t buf[256];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, upper, sizeof(upper)), 0);
	size_t ext = (with_hao ? 24 : 0) + (with_rh2 ? 24 : 0);
	ck_assert_uint_eq(wbuf_len(&w), 40 + ext + sizeof(upper));

	struct ip6_view v;
	ck_assert_int_eq(ip6_parse(buf, wbuf_len(&w), &v), 0);
	ck_assert_uint_eq(v.hdr.tclass, 0xb8);
	ck_assert_uint_eq(v.hdr.flow, 0xabcde);
	ck_assert_uint_eq(v.hdr.hlim, 9);
	ck_assert_uint_eq(v.hdr.plen, ext + sizeof(upper));
	ck_assert_uint_eq(v.upper.proto, proto);
	ck_assert_uint_eq(v.upper.off, 40 + ext);
	ck_assert_uint_eq(v.upper.len, sizeof(upper));
	ck_assert_uint_eq(v.violations, 0);
	ck_assert_uint_eq(v.n_dstopt, with_hao ? 1 : 0);
	ck_assert(v.dstopt_final == with_hao);
	ck_assert(!v.dstopt_before_rh);
	size_t ck_off;
	bool ck = ip6_cksum_offset(proto, &ck_off) == 0;
	if (ck)
		ck_assert_int_eq(ip6_verify_upper_cksum(&v, buf), 0);
	else
		ck_assert_int_eq(ip6_verify_upper_cksum(&v, buf), M6E_UNSUPP);
	/* Bytes other than the checksum field are the caller's, untouched. */
	for (size_t k = 0; k < sizeof(upper); k++)
		if (!ck || k < ck_off || k > ck_off + 1)
			ck_assert_uint_eq(buf[40 + ext + k], upper[k]);

	/* RFC 3776 §6.2 order: swap HAO, then RH2; the checksum still holds. */
	if (with_hao) {
		ck_assert_int_eq(exthdr_apply_hao(&v, buf), 0);
		assert_addr(&v.src, HOA);
		assert_addr(&v.hao.addr, COA);
		ck_assert_int_eq(exthdr_apply_hao(&v, buf), M6E_EXISTS);
	} else {
		ck_assert_int_eq(exthdr_apply_hao(&v, buf), M6E_NOTFOUND);
	}
	if (with_rh2) {
		ck_assert_int_eq(exthdr_apply_rh2(&v, buf), 0);
		assert_addr(&v.dst, "2001:db8:9::9");
		assert_addr(&v.rh2.addr, CN);
		ck_assert_uint_eq(v.rh2.segleft, 0);
		ck_assert_int_eq(exthdr_apply_rh2(&v, buf), M6E_EXISTS);
	} else {
		ck_assert_int_eq(exthdr_apply_rh2(&v, buf), M6E_NOTFOUND);
	}
	if (ck)
		ck_assert_int_eq(ip6_verify_upper_cksum(&v, buf), 0);
	/* The swapped bytes parse to the swapped facts. */
	struct ip6_view v2;
	ck_assert_int_eq(ip6_parse(buf, wbuf_len(&w), &v2), 0);
	tu_assert_mem_eq(&v2.src, 16, &v.src, 16);
	tu_assert_mem_eq(&v2.dst, 16, &v.dst, 16);
	if (with_hao)
		tu_assert_mem_eq(&v2.hao.addr, 16, &v.hao.addr, 16);
	if (with_rh2) {
		tu_assert_mem_eq(&v2.rh2.addr, 16, &v.rh2.addr, 16);
		ck_assert(v2.rh2.malformed); /* Segments Left is now 0 */
	}
}
END_TEST

/* Raw-socket entry: the buffer starts at the Destination Options header
 * (E.2 without its fixed header); addresses come from the socket. */
START_TEST(raw_mode_from_dstopt)
{
	uint8_t pkt[128];
	size_t len = tu_hex(E2_PACKET, pkt, sizeof(pkt));
	struct in6_addr coa = A(COA), cn = A(CN);
	struct ip6_view v;
	ck_assert_int_eq(exthdr_parse(IP6_NH_DSTOPTS, pkt + 40, len - 40, &coa, &cn, &v), 0);
	ck_assert(!v.full && v.complete);
	ck_assert_uint_eq(v.pkt_base, 40);
	ck_assert(v.hao.present);
	ck_assert_uint_eq(v.hao.hdr_off, 0);
	ck_assert_uint_eq(v.hao.opt_off, 6);
	assert_addr(&v.hao.addr, HOA);
	ck_assert_uint_eq(v.upper.proto, IP6_NH_MH);
	ck_assert_uint_eq(v.upper.off, 24);
	ck_assert_uint_eq(v.upper.len, 32);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt + 40), 0);
	/* Applying the HAO changes the option bytes, not the absent header. */
	ck_assert_int_eq(exthdr_apply_hao(&v, pkt + 40), 0);
	assert_addr(&v.src, HOA);
	tu_assert_mem_eq(pkt + 40 + 8, 16, &coa, 16);
	tu_assert_mem_eq(pkt + 8, 16, &coa, 16); /* fixed header untouched */

	/* Raw RH2 entry from E.3. */
	len = tu_hex(E3_PACKET, pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_ROUTING, pkt + 40, len - 40, &cn, &coa, &v), 0);
	ck_assert(v.rh2.present && !v.rh2.malformed);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt + 40), 0);
	ck_assert_int_eq(exthdr_apply_rh2(&v, pkt + 40), 0);
	assert_addr(&v.dst, HOA);
	ck_assert_uint_eq(pkt[40 + 3], 0);
	tu_assert_mem_eq(pkt + 40 + 8, 16, &coa, 16);
}
END_TEST

/* Fixed-header problems, and link padding past the payload length. */
struct fixed_case {
	const char *name;
	const char *hex;
	int rc;
	enum ip6_drop drop;
	size_t upper_len;
};

static const struct fixed_case fixed_cases[] = {
	{ "39 octets", "60000000 00003b40 20010db8000200000000000000000200 20010db80003000000000000000003",
	  M6E_TRUNC, IP6_DROP_SHORT, 0 },
	{ "version 4", "40000000 00003b40 20010db8000200000000000000000200 20010db8000300000000000000000300",
	  M6E_INVAL, IP6_DROP_VERSION, 0 },
	{ "payload length lies", "60000000 00643b40 20010db8000200000000000000000200 20010db8000300000000000000000300"
	  "00000000", M6E_TRUNC, IP6_DROP_PLEN, 0 },
	{ "trailing link padding", "60000000 00043b40 20010db8000200000000000000000200 20010db8000300000000000000000300"
	  "01020304 0000", 0, IP6_DROP_NONE, 4 },
	{ "empty payload", "60000000 00003b40 20010db8000200000000000000000200 20010db8000300000000000000000300",
	  0, IP6_DROP_NONE, 0 },
};

START_TEST(fixed_header_cases)
{
	const struct fixed_case *c = &fixed_cases[_i];
	uint8_t pkt[128];
	size_t len = tu_hex(c->hex, pkt, sizeof(pkt));
	struct ip6_view v;
	ck_assert_msg(ip6_parse(pkt, len, &v) == c->rc, "%s", c->name);
	ck_assert_msg(v.drop == c->drop, "%s: drop %s", c->name, ip6_drop_name(v.drop));
	if (c->rc == 0) {
		ck_assert_uint_eq(v.upper.proto, IP6_NH_NONE);
		ck_assert_uint_eq(v.upper.len, c->upper_len);
		ck_assert_uint_eq(v.len, 40 + c->upper_len);
	}
	/* ip6_parse_fixed leaves the cursor where it was on failure. */
	struct rbuf r;
	struct ip6_fixed h;
	rbuf_init(&r, pkt, len);
	ck_assert_int_eq(ip6_parse_fixed(&r, &h, NULL), c->rc);
	ck_assert_uint_eq(rbuf_offset(&r), c->rc == 0 ? 40 : 0);
}
END_TEST

/*
 * The malformed / edge table. `chain` is what follows the fixed header; each
 * case runs as a whole packet (payload length = chain length) and in raw
 * mode from the first extension header, with the same outcome; pointers are
 * packet offsets in both.
 */
#define HOAHEX "20010db8000100000000000000000100"
#define HAO24(nh) nh "02 01020000 c910" HOAHEX /* canonical DestOpt{HAO} */
#define RH2_24(nh) nh "02 0201 00000000" HOAHEX

struct mal_case {
	const char *name;
	uint8_t first;
	const char *chain;
	bool mcast;
	int rc;
	enum ip6_drop drop;
	unsigned viol;
	size_t pointer;  /* unknown option type offset, when nonzero */
	bool send_icmp;
	uint8_t upper;   /* when rc == 0 */
};

static const struct mal_case mal_cases[] = {
	/* Lengths. */
	{ "ext header one octet", 60, "3b", false, M6E_TRUNC, IP6_DROP_EXT_TRUNC, 0, 0, false, 0 },
	{ "ext header length past end", 60, "3b03 01020000 c910" HOAHEX, false, M6E_TRUNC,
	  IP6_DROP_EXT_TRUNC, 0, 0, false, 0 },
	{ "routing header past end", 43, "3b02 0201 0000", false, M6E_TRUNC, IP6_DROP_EXT_TRUNC, 0, 0,
	  false, 0 },
	{ "fragment header past end", 44, "3b00 0000 0000", false, M6E_TRUNC, IP6_DROP_EXT_TRUNC, 0, 0,
	  false, 0 },
	/* Pads (RFC 8200 §4.2). */
	{ "Pad1 only", 60, "3b00 000000000000", false, 0, IP6_DROP_NONE, 0, 0, false, 59 },
	{ "PadN content ignored", 60, "3b00 0104 ffffffff", false, 0, IP6_DROP_NONE, 0, 0, false, 59 },
	{ "PadN past header", 60, "3b00 0105 00000000", false, M6E_TRUNC, IP6_DROP_OPT_TRUNC, 0, 0,
	  false, 0 },
	{ "option type in last octet", 60, "3b00 0103 000000 05", false, M6E_TRUNC, IP6_DROP_OPT_TRUNC,
	  0, 0, false, 0 },
	/* Home Address option (R6275-6.3.a). */
	{ "HAO length 15", 60, "3b02 01020000 c90f 20010db80001000000000000000001 00", false,
	  M6E_INVAL, IP6_DROP_HAO_LEN, 0, 0, false, 0 },
	{ "HAO misaligned 8n+5", 60, "3b02 010100 c910" HOAHEX "00", false, M6E_ALIGN,
	  IP6_DROP_HAO_ALIGN, 0, 0, false, 0 },
	{ "two HAOs in one header", 60, "3b05 01020000 c910" HOAHEX "010400000000 c910" HOAHEX, false,
	  M6E_DUP, IP6_DROP_HAO_DUP, 0, 0, false, 0 },
	{ "two HAOs in two headers", 60, HAO24("3c") HAO24("3b"), false, M6E_DUP, IP6_DROP_HAO_DUP, 0,
	  0, false, 0 },
	{ "HAO multicast home address", 60, "3b02 01020000 c910 ff020000000000000000000000000001",
	  false, 0, IP6_DROP_NONE, IP6_V_HAO_NOT_UNICAST, 0, false, 59 },
	{ "HAO in Hop-by-Hop is unknown", 0, "3b02 01020000 c910" HOAHEX, false, M6E_PROTO,
	  IP6_DROP_OPT_UNKNOWN, 0, 46, true, 0 },
	/* Unknown options, each action (RFC 8200 §4.2). */
	{ "unknown 00 skip", 60, "3b00 1e04 00000000", false, 0, IP6_DROP_NONE, 0, 42, false, 59 },
	{ "unknown 01 discard", 60, "3b00 5e04 00000000", false, M6E_PROTO, IP6_DROP_OPT_UNKNOWN, 0, 42,
	  false, 0 },
	{ "unknown 10 icmp", 60, "3b00 9e04 00000000", false, M6E_PROTO, IP6_DROP_OPT_UNKNOWN, 0, 42,
	  true, 0 },
	{ "unknown 10 icmp to multicast", 60, "3b00 9e04 00000000", true, M6E_PROTO,
	  IP6_DROP_OPT_UNKNOWN, 0, 42, true, 0 },
	{ "unknown 11 icmp unicast", 60, "3b00 de04 00000000", false, M6E_PROTO, IP6_DROP_OPT_UNKNOWN, 0,
	  42, true, 0 },
	{ "unknown 11 to multicast: no icmp", 60, "3b00 de04 00000000", true, M6E_PROTO,
	  IP6_DROP_OPT_UNKNOWN, 0, 42, false, 0 },
	{ "skip then discard: pointer at the second", 60, "3b01 1e02 0000 0104 00000000 5e00 0000",
	  false, M6E_PROTO, IP6_DROP_OPT_UNKNOWN, 0, 52, false, 0 },
	/* Type 2 routing header (R6275-6.4.1.a): recorded, not refused. */
	{ "RH2 segments left 0", 43, "3b02 0200 00000000" HOAHEX, false, 0, IP6_DROP_NONE,
	  IP6_V_RH2_MALFORMED, 0, false, 59 },
	{ "RH2 hdr ext len 4", 43, "3b04 0201 00000000" HOAHEX HOAHEX, false, 0, IP6_DROP_NONE,
	  IP6_V_RH2_MALFORMED, 0, false, 59 },
	{ "two RH2", 43, RH2_24("2b") RH2_24("3b"), false, 0, IP6_DROP_NONE, IP6_V_DUP_EXT, 0, false,
	  59 },
	{ "RH2 before another RH", 43, RH2_24("2b") "3b00 0000 00000000", false, 0, IP6_DROP_NONE,
	  IP6_V_RH2_BEFORE_RH, 0, false, 59 },
	{ "RH type 0 then RH2: fine", 43, "2b00 0000 00000000" RH2_24("3b"), false, 0, IP6_DROP_NONE, 0,
	  0, false, 59 },
	/* Header order (R6275-6.3.a, RFC 8200 §4.1). */
	{ "HAO before RH2", 60, HAO24("2b") RH2_24("87"), false, 0, IP6_DROP_NONE,
	  IP6_V_HAO_BEFORE_RH, 0, false, 135 },
	{ "RH2 then HAO: fine", 43, RH2_24("3c") HAO24("87"), false, 0, IP6_DROP_NONE, 0, 0, false,
	  135 },
	{ "HAO after Fragment", 44, "3c00 0000 01020304" HAO24("32"), false, 0, IP6_DROP_NONE,
	  IP6_V_HAO_AFTER_FRAG, 0, false, 50 },
	{ "Hop-by-Hop not first", 60, "0000 01040000 0000 3b00 01040000 0000", false, 0, IP6_DROP_NONE,
	  IP6_V_HBH_NOT_FIRST, 0, false, 59 },
	{ "three Destination Options", 60, "3c00 01040000 0000 3c00 01040000 0000 3b00 01040000 0000",
	  false, 0, IP6_DROP_NONE, IP6_V_DUP_EXT, 0, false, 59 },
	/* Fragment header (RFC 8200 §4.5). */
	{ "fragment M=1 length not 8n", 44, "3a00 0001 12345678 0102030405", false, M6E_INVAL,
	  IP6_DROP_FRAG_LEN, 0, 0, false, 0 },
	{ "two Fragment headers", 44, "2c00 0000 00000001 3a00 0000 00000002 8000", false, 0,
	  IP6_DROP_NONE, IP6_V_DUP_EXT, 0, false, 58 },
	/* Upper layers that end the walk. */
	{ "AH ends the walk", 51, "3b04 0000 00000100 00000001", false, 0, IP6_DROP_NONE, 0, 0, false,
	  51 },
	{ "unknown protocol 132", 132, "00000000", false, 0, IP6_DROP_NONE, 0, 0, false, 132 },
};

static void run_mal(const struct mal_case *c, const struct ip6_view *v, int rc, const char *mode)
{
	ck_assert_msg(rc == c->rc, "%s (%s): rc %d (%s) want %d", c->name, mode, rc, err_str(rc), c->rc);
	ck_assert_msg(v->drop == c->drop, "%s (%s): drop %s", c->name, mode, ip6_drop_name(v->drop));
	ck_assert_msg(v->violations == c->viol, "%s (%s): violations %#x", c->name, mode, v->violations);
	if (c->pointer) {
		ck_assert_uint_eq(v->unknown.pointer, c->pointer);
		ck_assert(v->unknown.send_icmp == c->send_icmp);
		ck_assert_uint_eq(v->unknown.action, v->unknown.type >> 6);
	}
	if (c->rc == 0) {
		ck_assert_msg(v->upper.proto == c->upper, "%s (%s): upper %u", c->name, mode,
			      v->upper.proto);
	}
}

START_TEST(malformed_table)
{
	const struct mal_case *c = &mal_cases[_i];
	uint8_t pkt[256];
	size_t chain = tu_hex(c->chain, pkt + 40, sizeof(pkt) - 40);
	struct in6_addr src = A(COA), dst = A(c->mcast ? "ff02::1" : CN);
	struct ip6_fixed h = { .plen = (uint16_t)chain, .next = c->first, .hlim = 64, .src = src,
			       .dst = dst };
	struct wbuf w;
	wbuf_init(&w, pkt, 40);
	ip6_build_fixed(&w, &h);
	ck_assert_int_eq(wbuf_status(&w), 0);
	if (!c->mcast) /* the multicast twins add nothing as seeds */
		corpus_save("table", _i, pkt, 40 + chain);

	struct ip6_view v;
	run_mal(c, &v, ip6_parse(pkt, 40 + chain, &v), "full");
	run_mal(c, &v, exthdr_parse(c->first, pkt + 40, chain, &src, &dst, &v), "raw");
}
END_TEST

/* Fragment facts: the first fragment walks on, a later one stops. */
START_TEST(fragment_facts)
{
	uint8_t pkt[128];
	struct in6_addr s = A(COA), d = A(CN);
	struct ip6_view v;
	/* First fragment, M=1, id 0x12345678, 8 octets of ICMPv6. */
	size_t len = tu_hex("3a00 0001 12345678 8000 0000 0000 0000", pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_FRAGMENT, pkt, len, &s, &d, &v), 0);
	ck_assert(v.frag.present && v.frag.first && v.frag.more && v.complete);
	ck_assert_uint_eq(v.frag.id, 0x12345678);
	ck_assert_uint_eq(v.frag.offset, 0);
	ck_assert_uint_eq(v.upper.proto, IP6_NH_ICMPV6);
	ck_assert_uint_eq(v.upper.off, 8);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), M6E_UNSUPP);
	/* Offset 185 (1480 octets), last fragment: no upper-layer header here. */
	len = tu_hex("1100 05c8 0000abcd 01020304", pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_FRAGMENT, pkt, len, &s, &d, &v), 0);
	ck_assert(v.frag.present && !v.frag.first && !v.frag.more && !v.complete);
	ck_assert_uint_eq(v.frag.offset, 185);
	ck_assert_uint_eq(v.frag.id, 0xabcd);
	ck_assert_uint_eq(v.upper.proto, IP6_NH_UDP);
	ck_assert_uint_eq(v.upper.len, 4);
}
END_TEST

/* ip6_verify_upper_cksum refuses what it cannot judge, and a zero UDP
 * checksum (RFC 8200 §8.1). */
START_TEST(verify_cksum_edges)
{
	uint8_t pkt[128];
	struct in6_addr s = A(COA), d = A(CN);
	struct ip6_view v;
	/* MH of 5 octets: no room for the checksum field at offset 4. */
	size_t len = tu_hex("3b00050000", pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_MH, pkt, len, &s, &d, &v), 0);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), M6E_TRUNC);
	/* The scapy UDP datagram with its checksum zeroed. */
	len = tu_hex("01f4 01f4 000c 0000 00000000", pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_UDP, pkt, len, &s, &d, &v), 0);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), M6E_CKSUM);
	pkt[6] = 0x9b;
	pkt[7] = 0x77;
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), 0);
	/* No Next Header carries no checksum. */
	ck_assert_int_eq(exthdr_parse(IP6_NH_NONE, pkt, len, &s, &d, &v), 0);
	ck_assert_int_eq(ip6_verify_upper_cksum(&v, pkt), M6E_UNSUPP);
}
END_TEST

/* Generic routing header facts, for the engine's RFC 8200 §4.4 decision. */
START_TEST(other_routing_types)
{
	uint8_t pkt[64];
	struct in6_addr s = A(COA), d = A(CN);
	struct ip6_view v;
	size_t len = tu_hex("3b02 0402 00000000" HOAHEX, pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_ROUTING, pkt, len, &s, &d, &v), 0);
	ck_assert(v.rh.present && !v.rh2.present);
	ck_assert_uint_eq(v.rh.type, EXTHDR_RT_SRH);
	ck_assert_uint_eq(v.rh.segleft, 2);
	ck_assert_uint_eq(v.rh.pointer, 42);
	ck_assert_str_eq(exthdr_rt_name(v.rh.type), "Segment Routing");
}
END_TEST

/* RH2 that is malformed is never applied (R6275-6.4.1.a: discard). */
START_TEST(apply_refuses_malformed_rh2)
{
	uint8_t pkt[64];
	struct in6_addr s = A(CN), d = A(COA);
	struct ip6_view v;
	size_t len = tu_hex("3b02 0200 00000000" HOAHEX, pkt, sizeof(pkt));
	ck_assert_int_eq(exthdr_parse(IP6_NH_ROUTING, pkt, len, &s, &d, &v), 0);
	ck_assert(v.rh2.malformed);
	ck_assert_int_eq(exthdr_apply_rh2(&v, pkt), M6E_PROTO);
	assert_addr(&v.dst, COA);
	ck_assert_uint_eq(pkt[3], 0);
}
END_TEST

START_TEST(build_packet_errors)
{
	static uint8_t big[65536];
	uint8_t buf[128];
	struct in6_addr hoa = A(HOA);
	struct ip6_pkt_spec spec = { .src = A(COA), .dst = A(CN), .proto = IP6_NH_MH, .hao = &hoa };
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	/* 65535 - 24 octets of upper layer fit the payload length; one more does not. */
	ck_assert_int_eq(ip6_build_packet(&w, &spec, big, 65535 - 24 + 1), M6E_RANGE);
	ck_assert_int_eq(ip6_build_packet(&w, &spec, big, 5), M6E_INVAL); /* no room for checksum */
	ck_assert_int_eq(ip6_build_packet(&w, &spec, big, 65535 - 24), M6E_NOSPACE);
	/* ESP has no checksum of ours: even an empty upper layer is fine. */
	spec.proto = IP6_NH_ESP;
	spec.hao = NULL;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, NULL, 0), 0);
	ck_assert_uint_eq(wbuf_len(&w), 40);
	ck_assert_uint_eq(buf[6], IP6_NH_ESP);
	ck_assert_uint_eq(buf[7], IP6_DEFAULT_HLIM);
}
END_TEST

/* UDP: build/parse round trip, a forced 0xffff, and the malformed table. */
START_TEST(udp_round_trip)
{
	struct in6_addr s = A(COA), d = A(HA);
	uint8_t buf[64];
	struct wbuf w;
	const char msg[] = "hello, home agent";
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(udp_build(&w, &s, &d, 4500, 4500, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(wbuf_len(&w), 8 + sizeof(msg));
	struct rbuf r, data;
	struct udp_header u;
	rbuf_init(&r, buf, wbuf_len(&w));
	ck_assert_int_eq(udp_parse(&r, &s, &d, &u, &data, NULL), 0);
	ck_assert_uint_eq(u.sport, 4500);
	ck_assert_uint_eq(u.dport, 4500);
	ck_assert_uint_eq(u.len, 8 + sizeof(msg));
	ck_assert_uint_eq(rbuf_left(&r), 0);
	tu_assert_mem_eq(rbuf_ptr(&data), rbuf_left(&data), msg, sizeof(msg));
	/* Wrong pseudo-header destination: checksum fails. */
	rbuf_init(&r, buf, wbuf_len(&w));
	ck_assert_int_eq(udp_parse(&r, &s, &s, &u, NULL, NULL), M6E_CKSUM);

	/* A datagram whose sum is 0 goes out as 0xffff (RFC 8200 §8.1).
	 * Find a 2-octet payload that makes it so: the sum with payload 0000
	 * tells which value completes it. */
	uint8_t p[2] = { 0, 0 };
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(udp_build(&w, &s, &d, 1, 2, p, 2), 0);
	uint16_t c0 = (uint16_t)(buf[6] << 8 | buf[7]);
	p[0] = (uint8_t)(c0 >> 8);
	p[1] = (uint8_t)c0;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(udp_build(&w, &s, &d, 1, 2, p, 2), 0);
	ck_assert_uint_eq(buf[6], 0xff);
	ck_assert_uint_eq(buf[7], 0xff);
	rbuf_init(&r, buf, wbuf_len(&w));
	ck_assert_int_eq(udp_parse(&r, &s, &d, &u, NULL, NULL), 0);
}
END_TEST

struct udp_case {
	const char *name;
	const char *hex;
	int rc;
	enum udp_drop drop;
};

static const struct udp_case udp_cases[] = {
	{ "7 octets", "01f4 01f4 0008 00", M6E_TRUNC, UDP_DROP_SHORT },
	{ "length 7", "01f4 01f4 0007 1234 00", M6E_INVAL, UDP_DROP_LEN },
	{ "length past end", "01f4 01f4 000c 1234 0000", M6E_TRUNC, UDP_DROP_LEN },
	{ "zero checksum", "01f4 01f4 000c 0000 00000000", M6E_CKSUM, UDP_DROP_ZERO_CKSUM },
	{ "bad checksum", "01f4 01f4 000c 9b78 00000000", M6E_CKSUM, UDP_DROP_CKSUM },
	/* The scapy datagram of SCAPY_UDP_PLAIN, then two stray octets. */
	{ "good, trailing bytes ignored", "01f4 01f4 000c 9b77 00000000 eeee", 0, UDP_DROP_NONE },
};

START_TEST(udp_malformed)
{
	const struct udp_case *c = &udp_cases[_i];
	uint8_t buf[64];
	size_t len = tu_hex(c->hex, buf, sizeof(buf));
	struct in6_addr s = A(COA), d = A(CN);
	struct rbuf r;
	struct udp_header u;
	enum udp_drop drop;
	rbuf_init(&r, buf, len);
	ck_assert_msg(udp_parse(&r, &s, &d, &u, NULL, &drop) == c->rc, "%s", c->name);
	ck_assert_msg(drop == c->drop, "%s: %s", c->name, udp_drop_name(drop));
	ck_assert_uint_eq(rbuf_offset(&r), c->rc == 0 ? 12 : 0);
}
END_TEST

/* RFC 3948 §2 demultiplexing on port 4500 (wire-formats.md §H). */
START_TEST(udp_encap_classes)
{
	static const struct {
		const char *hex;
		enum udp_encap want;
	} cases[] = {
		{ "ff", UDP_ENCAP_KEEPALIVE },
		{ "fe", UDP_ENCAP_INVALID },
		{ "", UDP_ENCAP_INVALID },
		{ "000000", UDP_ENCAP_INVALID },
		{ "00000000 0011223344556677", UDP_ENCAP_IKE },
		{ "00001000 00000001", UDP_ENCAP_ESP },
		{ "00001000 000000", UDP_ENCAP_INVALID },
		{ "ffffffff", UDP_ENCAP_INVALID },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[32];
		size_t len = tu_hex(cases[i].hex, buf, sizeof(buf));
		struct rbuf r;
		rbuf_init(&r, buf, len);
		ck_assert_msg(udp_encap_classify(&r) == cases[i].want, "case %zu: %s", i,
			      udp_encap_name(udp_encap_classify(&r)));
		ck_assert_uint_eq(rbuf_left(&r), len); /* nothing consumed */
	}
}
END_TEST

/* IPv6-in-IPv6: encapsulate E.2 at the HA side, parse, decapsulate. */
START_TEST(tunnel_round_trip)
{
	uint8_t buf[256], inner[128];
	size_t inner_len = tu_hex(E2_PACKET, inner, sizeof(inner));
	inner[0] = 0x6b; /* traffic class 0xb0 to see it copied */
	memcpy(buf + 48, inner, inner_len);
	struct tunnel6_params p = { .src = A(HA), .dst = A(COA), .hlim = 30, .copy_tclass = true };
	size_t off = 0;
	ck_assert_int_eq(tunnel6_encap(buf, 48, inner_len, &p, &off), 0);
	ck_assert_uint_eq(off, 8);
	uint8_t want[40];
	tu_hex("6b000000 0060291e 20010db8000100000000000000000001 20010db8000200000000000000000200",
	       want, sizeof(want));
	tu_assert_mem_eq(buf + off, 40, want, 40);

	struct ip6_view v;
	corpus_save("tunnel", 0, buf + off, 40 + inner_len);
	ck_assert_int_eq(ip6_parse(buf + off, 40 + inner_len, &v), 0);
	ck_assert_uint_eq(v.upper.proto, IP6_NH_IPV6);
	size_t ioff, ilen;
	struct ip6_fixed ih;
	ck_assert_int_eq(tunnel6_decap(&v, buf + off, &ioff, &ilen, &ih), 0);
	ck_assert_uint_eq(ioff, 40);
	ck_assert_uint_eq(ilen, inner_len);
	tu_assert_mem_eq(buf + off + ioff, ilen, inner, inner_len);
	assert_addr(&ih.src, COA);
	ck_assert_uint_eq(ih.tclass, 0xb0);

	/* Not copying: the configured class. */
	p.copy_tclass = false;
	p.tclass = 0x20;
	p.hlim = 0;
	ck_assert_int_eq(tunnel6_encap(buf, 48, inner_len, &p, &off), 0);
	ck_assert_uint_eq(buf[off], 0x62);
	ck_assert_uint_eq(buf[off + 7], IP6_DEFAULT_HLIM);
}
END_TEST

START_TEST(tunnel_malformed)
{
	uint8_t buf[256] = { 0 };
	struct tunnel6_params p = { .src = A(HA), .dst = A(COA) };
	size_t off, ioff, ilen;
	size_t inner_len = tu_hex(E2_PACKET, buf + 40, sizeof(buf) - 40);
	ck_assert_int_eq(tunnel6_encap(buf + 1, 39, inner_len, &p, &off), M6E_NOSPACE);
	ck_assert_int_eq(tunnel6_encap(buf, 40, inner_len - 1, &p, &off), M6E_INVAL); /* plen lies */
	ck_assert_int_eq(tunnel6_encap(buf, 40, 70000, &p, &off), M6E_RANGE);
	buf[40] = 0x40;
	ck_assert_int_eq(tunnel6_encap(buf, 40, inner_len, &p, &off), M6E_INVAL); /* version 4 */
	buf[40] = 0x60;

	/* Decapsulation of what is not a tunnel, or a broken inner packet. */
	struct ip6_view v;
	ck_assert_int_eq(ip6_parse(buf + 40, inner_len, &v), 0);
	ck_assert_int_eq(tunnel6_decap(&v, buf + 40, &ioff, &ilen, NULL), M6E_PROTO);
	ck_assert_uint_eq(v.drop, IP6_DROP_NOT_TUNNEL);
	ck_assert_int_eq(tunnel6_encap(buf, 40, inner_len, &p, &off), 0);
	/* Outer payload cut to 30 octets: the inner fixed header is short. */
	buf[4] = 0;
	buf[5] = 30;
	ck_assert_int_eq(ip6_parse(buf, 70, &v), 0);
	ck_assert_int_eq(tunnel6_decap(&v, buf, &ioff, &ilen, NULL), M6E_TRUNC);
	ck_assert_uint_eq(v.drop, IP6_DROP_INNER);
	/* Outer payload 8 octets longer than the inner packet claims. */
	buf[5] = (uint8_t)(inner_len + 8);
	ck_assert_int_eq(ip6_parse(buf, 40 + inner_len + 8, &v), 0);
	ck_assert_int_eq(tunnel6_decap(&v, buf, &ioff, &ilen, NULL), M6E_INVAL);
	ck_assert_uint_eq(v.drop, IP6_DROP_INNER);
}
END_TEST

/* Every reason and violation has a name, so logs never say "unknown". */
START_TEST(name_tables)
{
	for (unsigned d = 0; d < IP6_DROP_COUNT; d++)
		ck_assert_str_ne(ip6_drop_name((enum ip6_drop)d), "unknown");
	for (unsigned d = 0; d < UDP_DROP_COUNT; d++)
		ck_assert_str_ne(udp_drop_name((enum udp_drop)d), "unknown");
	for (unsigned bit = IP6_V_HBH_NOT_FIRST; bit <= IP6_V_HAO_NOT_UNICAST; bit <<= 1)
		ck_assert_str_ne(ip6_violation_name(bit), "unknown");
	for (unsigned a = 0; a < 4; a++)
		ck_assert_str_ne(exthdr_action_name(a), "unknown");
	ck_assert_str_eq(ip6_nh_name(135), "Mobility Header");
	ck_assert_str_eq(ip6_nh_name(60), "Destination Options");
	ck_assert_str_eq(ip6_nh_name(200), "unknown");
	ck_assert_str_eq(exthdr_opt_name(0xc9), "Home Address");
	ck_assert_str_eq(exthdr_rt_name(2), "Type 2 (Mobile IPv6)");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *ip6_suite(void)
{
	Suite *s = suite_create("ip6");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, build_hao_and_rh2_known_answer);
	tcase_add_loop_test(tc, build_packet_matches_vectors, 0, N(kat_cases));
	tcase_add_loop_test(tc, scapy_packets_verify_and_rebuild, 0, N(scapy_cases));
	tcase_add_loop_test(tc, round_trip_combinations, 0, 20);
	tcase_add_test(tc, raw_mode_from_dstopt);
	tcase_add_loop_test(tc, fixed_header_cases, 0, N(fixed_cases));
	tcase_add_loop_test(tc, malformed_table, 0, N(mal_cases));
	tcase_add_test(tc, fragment_facts);
	tcase_add_test(tc, verify_cksum_edges);
	tcase_add_test(tc, other_routing_types);
	tcase_add_test(tc, apply_refuses_malformed_rh2);
	tcase_add_test(tc, build_packet_errors);
	tcase_add_test(tc, udp_round_trip);
	tcase_add_loop_test(tc, udp_malformed, 0, N(udp_cases));
	tcase_add_test(tc, udp_encap_classes);
	tcase_add_test(tc, tunnel_round_trip);
	tcase_add_test(tc, tunnel_malformed);
	tcase_add_test(tc, name_tables);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ip6_suite());
}
