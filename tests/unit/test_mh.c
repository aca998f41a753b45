/*
 * Unit tests for src/wire/mh: the Mobility Header codec (RFC 6275 §6.1, §6.2).
 *
 * Known answers are the derived vectors of test-vectors.md §E.2-§E.4
 * (cross-checked there against scapy's MIPv6 layers). The hex strings of the
 * tables below (`.hex = ...`) also seed the fuzz corpus through
 * tests/fuzz/mkcorpus_mh.py.
 */
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "testutil.h"
#include "wire/mh.h"

/* test-vectors.md §E common addresses */
#define HOA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00
#define COA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00
#define CN_BYTES 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00
#define HA_BYTES 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01
#define COA_HEX "20010db8 00020000 00000000 00000200"
#define AUTH_TEST_BYTES 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab
#define AUTH_TEST_HEX "a0a1a2a3 a4a5a6a7 a8a9aaab"

static const struct mh_pseudo ph_bu_to_cn = { { { { HOA_BYTES } } }, { { { CN_BYTES } } } };
static const struct mh_pseudo ph_ba_from_cn = { { { { CN_BYTES } } }, { { { HOA_BYTES } } } };
static const struct mh_pseudo ph_bu_to_ha = { { { { HOA_BYTES } } }, { { { HA_BYTES } } } };

/* ---- known answers: test-vectors.md §E.2, §E.3, §E.4 ---- */

struct kat {
	const char *name;
	struct mh_msg msg;
	const struct mh_pseudo *ph;
	const char *mh_data; /* MH Data under the authenticator (algorithms.md §4.3), or NULL */
	const char *hex;     /* the finished MH, checksum included */
	uint16_t cksum;
};

static const struct kat kats[] = {
	{
		/* §E.2: BU MN -> CN, Nonce Indices + BAD; pseudo src = HoA (HAO), dst = CN */
		.name = "E.2 BU to CN",
		.msg = { .type = MH_TYPE_BU,
			 .u.bu = { .seq = 0x1234, .flags = MH_BU_F_A, .lifetime = 105 },
			 .opts = { .has_nonce_idx = true, .home_nonce_idx = 1, .coa_nonce_idx = 2,
				   .has_auth = true, .auth_len = 12,
				   .auth = { 0xf2, 0x3e, 0xbb, 0xe3, 0xb1, 0xb3, 0x2a, 0x71, 0x1a, 0xa3, 0xff,
					     0x82 } } },
		.ph = &ph_bu_to_cn,
		.mh_data = "3b030500 00001234 80000069 04040001 0002050c",
		.hex = "3b030500 1fc11234 80000069 04040001 0002050c f23ebbe3 b1b32a71 1aa3ff82",
		.cksum = 0x1fc1,
	},
	{
		/* §E.3: BA CN -> MN, PadN(6) + BAD; pseudo src = CN, dst = HoA (RH2) */
		.name = "E.3 BA from CN",
		.msg = { .type = MH_TYPE_BA,
			 .u.ba = { .status = MH_BA_ACCEPTED, .flags = 0, .seq = 0x1234, .lifetime = 105 },
			 .opts = { .has_auth = true, .auth_len = 12,
				   .auth = { 0x45, 0x30, 0x5a, 0x3e, 0xc1, 0x2d, 0x9e, 0x39, 0x32, 0x92, 0x5a,
					     0x0f } } },
		.ph = &ph_ba_from_cn,
		.mh_data = "3b030600 00000000 12340069 01040000 0000050c",
		.hex = "3b030600 baba0000 12340069 01040000 0000050c 45305a3e c12d9e39 32925a0f",
		.cksum = 0xbaba,
	},
	{
		/* §E.4: home registration BU, PadN(2) + Alternate CoA at 14 = 8n+6 */
		.name = "E.4 BU to HA",
		.msg = { .type = MH_TYPE_BU,
			 .u.bu = { .seq = 1, .flags = MH_BU_F_A | MH_BU_F_H | MH_BU_F_K, .lifetime = 900 },
			 .opts = { .has_alt_coa = true, .alt_coa.s6_addr = { COA_BYTES } } },
		.ph = &ph_bu_to_ha,
		.mh_data = NULL,
		.hex = "3b030500 5b8f0001 d0000384 01000310 " COA_HEX,
		.cksum = 0x5b8f,
	},
};

/* Build with a zero authenticator, finish it the way an engine would, and
 * compare every byte with the vector. */
START_TEST(kat_build)
{
	const struct kat *k = &kats[_i];
	uint8_t want[64], data_want[64], buf[64], data[64];
	size_t want_len = tu_hex(k->hex, want, sizeof(want));
	struct mh_msg m = k->msg;
	struct wbuf w;
	size_t auth_off = 99, data_len;

	memset(m.opts.auth, 0, sizeof(m.opts.auth));
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &m, NULL, &auth_off), 0);
	ck_assert_uint_eq(wbuf_len(&w), want_len);
	if (k->mh_data == NULL) {
		ck_assert_uint_eq(auth_off, 0);
		ck_assert_int_eq(mh_cksum_fill(buf, wbuf_len(&w), k->ph), 0);
	} else {
		/* algorithms.md §4.3: the authenticator covers MH[0 .. len-13]
		 * with a zero checksum. */
		size_t n = tu_hex(k->mh_data, data_want, sizeof(data_want));
		ck_assert_uint_eq(auth_off, n);
		tu_assert_mem_eq(buf, auth_off, data_want, n);
		ck_assert_int_eq(mh_auth_finish(buf, wbuf_len(&w), k->msg.opts.auth, k->msg.opts.auth_len,
						k->ph),
				 0);

		/* The receiver recovers the same MH Data from the finished MH. */
		struct mh_msg p;
		ck_assert_int_eq(mh_parse(buf, wbuf_len(&w), k->ph, &p, NULL), 0);
		ck_assert_int_eq(mh_auth_data(buf, wbuf_len(&w), &p, data, sizeof(data), &data_len), 0);
		tu_assert_mem_eq(data, data_len, data_want, n);
	}
	tu_assert_mem_eq(buf, wbuf_len(&w), want, want_len);

	/* Built with the pseudo-header in one step, without BAD games. */
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &k->msg, k->ph, NULL), 0);
	tu_assert_mem_eq(buf, wbuf_len(&w), want, want_len);
}
END_TEST

START_TEST(kat_parse)
{
	const struct kat *k = &kats[_i];
	uint8_t buf[64];
	size_t len = tu_hex(k->hex, buf, sizeof(buf));
	struct mh_msg m;
	struct mh_diag d;

	ck_assert_int_eq(mh_parse(buf, len, k->ph, &m, &d), 0);
	ck_assert_int_eq(d.reason, MH_R_OK);
	ck_assert_int_eq(d.pp_ptr, MH_PP_NONE);
	ck_assert_uint_eq((unsigned)(buf[4] << 8 | buf[5]), k->cksum);
	ck_assert(mh_msg_eq(&m, &k->msg));
	ck_assert_uint_eq(m.opts.unknown, 0);
	ck_assert_uint_eq(m.opts.invalid, 0);
	if (m.opts.has_auth)
		ck_assert_uint_eq(m.opts.auth_off, len - 12);
}
END_TEST

/* R6275-6.1.1.d: the pseudo-header source is the home address from the HAO,
 * not the IPv6 source (the CoA); the wrong one must fail the checksum. */
START_TEST(kat_cksum_needs_home_address)
{
	uint8_t buf[64];
	size_t len = tu_hex(kats[0].hex, buf, sizeof(buf));
	const struct mh_pseudo wrong = { { { { COA_BYTES } } }, { { { CN_BYTES } } } };
	struct mh_msg m;
	struct mh_diag d;

	ck_assert(mh_cksum_ok(buf, len, &ph_bu_to_cn));
	ck_assert(!mh_cksum_ok(buf, len, &wrong));
	ck_assert_int_eq(mh_parse(buf, len, &wrong, &m, &d), M6E_CKSUM);
	ck_assert_int_eq(d.reason, MH_R_CKSUM);
	/* An engine that verified already may skip the check. */
	ck_assert_int_eq(mh_parse(buf, len, NULL, &m, &d), 0);
}
END_TEST

/* ---- round trip: every type, with and without each valid option ---- */

struct rt {
	const char *name;
	struct mh_msg msg;
	const char *hex; /* built with ph NULL, so checksum 0000 */
};

#define BU_FIXED(hl) "3b0" #hl "0500 00000007 c0000010"
#define BU7 { .seq = 7, .flags = MH_BU_F_A | MH_BU_F_H, .lifetime = 0x10 }
#define BA_FIXED(hl) "3b0" #hl "0600 00000080 00070010"
#define BA7 { .status = 0, .flags = MH_BA_F_K, .seq = 7, .lifetime = 0x10 }
#define OPT_NI .has_nonce_idx = true, .home_nonce_idx = 1, .coa_nonce_idx = 2
#define OPT_ALT .has_alt_coa = true, .alt_coa.s6_addr = { COA_BYTES }
#define OPT_BAD .has_auth = true, .auth_len = 12, .auth = { AUTH_TEST_BYTES }
#define OPT_BRA .has_bra = true, .bra_interval = 8

static const struct rt rts[] = {
	{ "BRR", { .type = MH_TYPE_BRR }, .hex = "3b000000 00000000" },
	{ "HoTI", { .type = MH_TYPE_HOTI, .u.ti = { { 1, 2, 3, 4, 5, 6, 7, 8 } } },
	  .hex = "3b010100 00000000 01020304 05060708" },
	{ "CoTI", { .type = MH_TYPE_COTI, .u.ti = { { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 } } },
	  .hex = "3b010200 00000000 11121314 15161718" },
	{ "HoT",
	  { .type = MH_TYPE_HOT,
	    .u.test = { 7, { 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8 },
			{ 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8 } } },
	  .hex = "3b020300 00000007 c1c2c3c4 c5c6c7c8 d1d2d3d4 d5d6d7d8" },
	{ "CoT",
	  { .type = MH_TYPE_COT,
	    .u.test = { 0x109, { 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8 },
			{ 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8 } } },
	  .hex = "3b020400 00000109 e1e2e3e4 e5e6e7e8 f1f2f3f4 f5f6f7f8" },
	{ "BE", { .type = MH_TYPE_BE, .u.be = { MH_BE_UNKNOWN_HAO, { { { HOA_BYTES } } } } },
	  .hex = "3b020700 00000100 20010db8 00010000 00000000 00000100" },
	/* BU without options: 12 octets + PadN 4 (wire-formats.md §B.2) */
	{ "BU", { .type = MH_TYPE_BU, .u.bu = BU7 }, .hex = BU_FIXED(1) "01020000" },
	{ "BU+NI", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_NI } },
	  .hex = BU_FIXED(2) "04040001 0002 010400000000" },
	{ "BU+AltCoA", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_ALT } },
	  .hex = BU_FIXED(3) "0100 0310" COA_HEX },
	{ "BU+BAD", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_BAD } },
	  .hex = BU_FIXED(3) "010400000000 050c" AUTH_TEST_HEX },
	{ "BU+NI+BAD", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_NI, OPT_BAD } },
	  .hex = BU_FIXED(3) "04040001 0002 050c" AUTH_TEST_HEX },
	{ "BU+AltCoA+BAD", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_ALT, OPT_BAD } },
	  .hex = BU_FIXED(5) "0100 0310" COA_HEX "0100 050c" AUTH_TEST_HEX },
	{ "BU+NI+AltCoA+BAD", { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_NI, OPT_ALT, OPT_BAD } },
	  .hex = BU_FIXED(6) "04040001 0002 01020000 0310" COA_HEX "0100 050c" AUTH_TEST_HEX },
	/* BA without options: PadN 4 -> 16 octets (wire-formats.md §B) */
	{ "BA", { .type = MH_TYPE_BA, .u.ba = BA7 }, .hex = BA_FIXED(1) "01020000" },
	{ "BA rejected", { .type = MH_TYPE_BA, .u.ba = { MH_BA_SEQ_OUT_OF_WINDOW, 0, 0x2a, 0 } },
	  .hex = "3b010600 00008700 002a0000 01020000" },
	{ "BA+BRA", { .type = MH_TYPE_BA, .u.ba = BA7, .opts = { OPT_BRA } },
	  .hex = BA_FIXED(1) "02020008" },
	{ "BA+BAD", { .type = MH_TYPE_BA, .u.ba = BA7, .opts = { OPT_BAD } },
	  .hex = BA_FIXED(3) "010400000000 050c" AUTH_TEST_HEX },
	{ "BA+BRA+BAD", { .type = MH_TYPE_BA, .u.ba = BA7, .opts = { OPT_BRA, OPT_BAD } },
	  .hex = BA_FIXED(3) "02020008 0100 050c" AUTH_TEST_HEX },
};

START_TEST(round_trip)
{
	const struct rt *t = &rts[_i];
	uint8_t want[128], buf[128];
	size_t want_len = tu_hex(t->hex, want, sizeof(want));
	struct mh_msg m;
	struct mh_diag d;
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &t->msg, NULL, NULL), 0);
	tu_assert_mem_eq(buf, wbuf_len(&w), want, want_len);
	ck_assert_uint_eq(wbuf_len(&w) % 8, 0);
	ck_assert_uint_eq(buf[1], wbuf_len(&w) / 8 - 1);

	ck_assert_int_eq(mh_cksum_fill(buf, wbuf_len(&w), &ph_bu_to_cn), 0);
	ck_assert_int_eq(mh_parse(buf, wbuf_len(&w), &ph_bu_to_cn, &m, &d), 0);
	ck_assert_int_eq(d.reason, MH_R_OK);
	ck_assert_msg(mh_msg_eq(&m, &t->msg), "%s: parsed message differs", t->name);
	ck_assert_uint_eq(m.opts.unknown + m.opts.invalid, 0);
	/* Header Len exactly at the type's minimum is accepted (R6275-9.2.d). */
	ck_assert_int_ge(buf[1], mh_min_hlen(t->msg.type));
}
END_TEST

/* The MH is built after whatever the wbuf already holds (e.g. an IPv6
 * header); alignment counts from the MH start, not the buffer start. */
START_TEST(build_after_prefix)
{
	uint8_t want[64], buf[128];
	size_t want_len = tu_hex(kats[2].hex, want, sizeof(want));
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_zero(&w, 44); /* IPv6 header + 4: not a multiple of 8 */
	ck_assert_int_eq(mh_build(&w, &kats[2].msg, &ph_bu_to_ha, NULL), 0);
	tu_assert_mem_eq(buf + 44, wbuf_len(&w) - 44, want, want_len);
}
END_TEST

START_TEST(build_refuses)
{
	uint8_t buf[64];
	struct wbuf w;
	struct mh_msg m = { .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_BRA } };

	/* BRA is valid only in a BA (R6275-6.2.4.a). */
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_INVAL);
	/* Alternate CoA is valid only in a BU. */
	m = (struct mh_msg){ .type = MH_TYPE_BA, .u.ba = BA7, .opts = { OPT_ALT } };
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_INVAL);
	/* No options at all in HoTI. */
	m = (struct mh_msg){ .type = MH_TYPE_HOTI, .opts = { OPT_NI } };
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_INVAL);
	m = (struct mh_msg){ .type = 8 };
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_INVAL);
	/* A 10-octet authenticator cannot start at 8n+2 and end the MH. */
	m = (struct mh_msg){ .type = MH_TYPE_BU, .u.bu = BU7, .opts = { OPT_BAD } };
	m.opts.auth_len = 10;
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_ALIGN);
	ck_assert_uint_eq(wbuf_len(&w), 0);
	/* Too small a buffer. */
	m.opts.auth_len = 12;
	wbuf_init(&w, buf, 31);
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), M6E_NOSPACE);
	wbuf_init(&w, buf, 32);
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), 0);
}
END_TEST

START_TEST(auth_finish_checks_layout)
{
	uint8_t buf[64];
	size_t len = tu_hex(kats[0].hex, buf, sizeof(buf));
	const uint8_t auth[16] = { 0 };
	struct mh_msg m;

	/* The trailer is a 12-octet BAD, not 16 or 8. */
	ck_assert_int_eq(mh_auth_finish(buf, len, auth, 16, NULL), M6E_INVAL);
	ck_assert_int_eq(mh_auth_finish(buf, len, auth, 8, NULL), M6E_INVAL);
	ck_assert_int_eq(mh_auth_finish(buf, 4, auth, 0, NULL), M6E_INVAL);
	/* Without BAD there is no MH Data to authenticate. */
	len = tu_hex(kats[2].hex, buf, sizeof(buf));
	ck_assert_int_eq(mh_parse(buf, len, NULL, &m, NULL), 0);
	uint8_t data[64];
	size_t n;
	ck_assert_int_eq(mh_auth_data(buf, len, &m, data, sizeof(data), &n), M6E_NOTFOUND);
	ck_assert_int_eq(mh_auth_finish(buf, len, auth, 12, NULL), M6E_INVAL);
}
END_TEST

/* R6275-6.1.1.c, R6275-6.2.3.a: reserved fields and PadN contents are
 * ignored on receipt, and never sent. */
START_TEST(reserved_ignored)
{
	uint8_t buf[64];
	/* Reserved octet 3 = ff, BU reserved flag bits 0fff, PadN data ff ff. */
	size_t len = tu_hex("3b0105ff 00000007 cfff0010 0102ffff", buf, sizeof(buf));
	struct mh_msg m;
	struct wbuf w;

	ck_assert_int_eq(mh_parse(buf, len, NULL, &m, NULL), 0);
	ck_assert_uint_eq(m.u.bu.flags, MH_BU_F_A | MH_BU_F_H);
	struct mh_msg want = { .type = MH_TYPE_BU, .u.bu = BU7 };
	ck_assert(mh_msg_eq(&m, &want));

	/* BA: reserved bits of octet 7 dropped; BE reserved octet ignored. */
	len = tu_hex("3b010600 0000ffff 00070010 01020000", buf, sizeof(buf));
	ck_assert_int_eq(mh_parse(buf, len, NULL, &m, NULL), 0);
	ck_assert_uint_eq(m.u.ba.flags, MH_BA_F_K);
	ck_assert_uint_eq(m.u.ba.status, 0xff);
	len = tu_hex("3b020700 000002ee 20010db8 00010000 00000000 00000100", buf, sizeof(buf));
	ck_assert_int_eq(mh_parse(buf, len, NULL, &m, NULL), 0);
	ck_assert_uint_eq(m.u.be.status, MH_BE_UNKNOWN_TYPE);

	/* The builder sends reserved bits as zero. */
	m = (struct mh_msg){ .type = MH_TYPE_BU, .u.bu = { 7, 0xffff, 0x10 } };
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &m, NULL, NULL), 0);
	ck_assert_uint_eq(buf[8], 0xf0);
	ck_assert_uint_eq(buf[9], 0x00);
}
END_TEST

/* ---- malformed and unusual input: exact reason for each ---- */

struct bad {
	const char *name;
	const char *hex;
	enum mh_reason reason;
	int rc;
	int pp_ptr;
	size_t offset;
	unsigned unknown;      /* for accepted rows: options skipped as unknown */
	uint32_t invalid_mask; /* for accepted rows: options skipped as not valid here */
	bool verify;           /* check the checksum with ph_bu_to_cn */
};

#define NOPP MH_PP_NONE
static const struct bad bads[] = {
	{ "5 octets", .hex = "3b000000 00", MH_R_TRUNC_HEADER, M6E_TRUNC, NOPP, 5 },
	{ "7 octets", .hex = "3b000000 000000", MH_R_TRUNC_HEADER, M6E_TRUNC, NOPP, 7 },
	{ "empty", .hex = "", MH_R_TRUNC_HEADER, M6E_TRUNC, NOPP, 0 },
	{ "length 12, not a multiple of 8", .hex = "3b010500 00000007 c0000010", MH_R_LEN_NOT_MULT8,
	  M6E_INVAL, NOPP, 12 },
	/* R6275-6.1.1.b: Header Len against the bytes we actually have */
	{ "Header Len lies long", .hex = "3b020500 00000007 c0000010 01020000", MH_R_HLEN_LONG,
	  M6E_TRUNC, NOPP, 1 },
	{ "Header Len 255 on 16 octets", .hex = "3bff0500 00000007 c0000010 01020000", MH_R_HLEN_LONG,
	  M6E_TRUNC, NOPP, 1 },
	{ "Header Len lies short", .hex = "3b000000 00000000 00000000 00000000", MH_R_HLEN_SHORT,
	  M6E_INVAL, NOPP, 8 },
	/* R6275-9.2.c */
	{ "Payload Proto 58", .hex = "3a010500 00000007 c0000010 01020000", MH_R_PROTO_NOT_NONE,
	  M6E_PROTO, 0, 0 },
	/* R6275-9.2.b */
	{ "unknown MH type 9", .hex = "3b010900 00000007 c0000010 01020000", MH_R_UNKNOWN_TYPE,
	  M6E_UNSUPP, NOPP, 2 },
	/* R6275-9.2.d, each type with a minimum above 0 */
	{ "HoTI below minimum", .hex = "3b000100 00000000", MH_R_HLEN_BELOW_MIN, M6E_INVAL, 1, 1 },
	{ "CoTI below minimum", .hex = "3b000200 00000000", MH_R_HLEN_BELOW_MIN, M6E_INVAL, 1, 1 },
	{ "HoT below minimum", .hex = "3b010300 00000007 c1c2c3c4 c5c6c7c8", MH_R_HLEN_BELOW_MIN,
	  M6E_INVAL, 1, 1 },
	{ "CoT below minimum", .hex = "3b010400 00000007 c1c2c3c4 c5c6c7c8", MH_R_HLEN_BELOW_MIN,
	  M6E_INVAL, 1, 1 },
	{ "BU below minimum", .hex = "3b000500 00000007", MH_R_HLEN_BELOW_MIN, M6E_INVAL, 1, 1 },
	{ "BA below minimum", .hex = "3b000600 00000000", MH_R_HLEN_BELOW_MIN, M6E_INVAL, 1, 1 },
	{ "BE below minimum", .hex = "3b010700 00000100 20010db8 00010000", MH_R_HLEN_BELOW_MIN,
	  M6E_INVAL, 1, 1 },
	/* Option lengths against the bytes left: UMIP's bug (STYLE.md) */
	{ "Nonce Indices past the end", .hex = BU_FIXED(1) "04040001", MH_R_OPT_TRUNC, M6E_TRUNC,
	  NOPP, 12 },
	{ "PadN past the end", .hex = BU_FIXED(1) "01050000", MH_R_OPT_TRUNC, M6E_TRUNC, NOPP, 12 },
	{ "unknown option past the end", .hex = BU_FIXED(1) "c8ff0000", MH_R_OPT_TRUNC, M6E_TRUNC, NOPP,
	  12 },
	{ "option type without length octet", .hex = BU_FIXED(1) "00000004", MH_R_OPT_TRUNC, M6E_TRUNC,
	  NOPP, 15 },
	/* R6275-6.2.a */
	{ "BAD not last", .hex = BU_FIXED(4) "010400000000 050c" AUTH_TEST_HEX "04040001 0002 0100",
	  MH_R_AUTH_NOT_LAST, M6E_ORDER, NOPP, 32 },
	{ "padding after BAD", .hex = BU_FIXED(3) "050c" AUTH_TEST_HEX "010400000000",
	  MH_R_AUTH_TRAIL_PAD, M6E_ORDER, NOPP, 26 },
	{ "Pad1 after BAD", .hex = BU_FIXED(3) "0100 050c" AUTH_TEST_HEX "00 00 00 00",
	  MH_R_AUTH_TRAIL_PAD, M6E_ORDER, NOPP, 28 },
	{ "BAD last but at 8n+4", .hex = BU_FIXED(2) "050a a0a1a2a3 a4a5a6a7 a8a9",
	  MH_R_OPT_MISALIGNED, M6E_ALIGN, NOPP, 12 },
	/* R6275-6.2.1.b alignment and fixed lengths */
	{ "Alternate CoA at 12", .hex = BU_FIXED(3) "0310" COA_HEX "0100", MH_R_OPT_MISALIGNED,
	  M6E_ALIGN, NOPP, 12 },
	{ "Alternate CoA length 14", .hex = BU_FIXED(3) "0100 030e 20010db8 00020000 00000000 0000 0100",
	  MH_R_OPT_BAD_LEN, M6E_INVAL, NOPP, 14 },
	{ "Nonce Indices length 2", .hex = BU_FIXED(1) "04020001", MH_R_OPT_BAD_LEN, M6E_INVAL, NOPP, 12 },
	{ "Nonce Indices at 13", .hex = BU_FIXED(2) "00 04040001 0002 0103000000", MH_R_OPT_MISALIGNED,
	  M6E_ALIGN, NOPP, 13 },
	{ "BRA length 4", .hex = BA_FIXED(2) "02040000 0000 010400000000", MH_R_OPT_BAD_LEN, M6E_INVAL,
	  NOPP, 12 },
	{ "BRA at 13", .hex = BA_FIXED(2) "00 02020008 0105 0000000000", MH_R_OPT_MISALIGNED, M6E_ALIGN, NOPP,
	  13 },
	/* single-instance options */
	{ "Nonce Indices twice", .hex = BU_FIXED(2) "04040001 0002 04040003 0004", MH_R_OPT_DUP, M6E_DUP,
	  NOPP, 18 },
	{ "BRA twice", .hex = BA_FIXED(2) "02020001 02020002 01020000", MH_R_OPT_DUP, M6E_DUP, NOPP, 16 },
	{ "Alternate CoA twice",
	  .hex = BU_FIXED(6) "0100 0310" COA_HEX "01040000 0000 0310" COA_HEX, MH_R_OPT_DUP, M6E_DUP,
	  NOPP, 38 },
	/* R6275-9.2.a */
	{ "bad checksum", .hex = "3b030500 1fc01234 80000069 04040001 0002050c f23ebbe3 b1b32a71 1aa3ff82",
	  MH_R_CKSUM, M6E_CKSUM, NOPP, 4, .verify = true },
	/* Accepted: skipped and counted (R6275-6.2.1.a, R6275-6.1.x.a) */
	{ "unknown option skipped", .hex = BU_FIXED(1) "c802abcd", MH_R_OK, 0, NOPP, 0, .unknown = 1 },
	{ "two unknown options skipped", .hex = BU_FIXED(2) "0600 c802abcd 04040001 0002", MH_R_OK, 0, NOPP,
	  0, .unknown = 2 },
	{ "BRA in a BU skipped", .hex = BU_FIXED(1) "02020010", MH_R_OK, 0, NOPP, 0,
	  .invalid_mask = 1u << MH_OPT_BRA },
	{ "Nonce Indices in a BA skipped", .hex = BA_FIXED(2) "04040001 0002 010400000000", MH_R_OK, 0,
	  NOPP, 0, .invalid_mask = 1u << MH_OPT_NONCE_IDX },
	/* not valid here, so its (wrong) length and alignment do not matter */
	{ "Alternate CoA in a BRR skipped", .hex = "3b010000 00000000 0306 0000 0000 0000", MH_R_OK, 0, NOPP,
	  0, .invalid_mask = 1u << MH_OPT_ALT_COA },
	{ "BAD in a HoTI skipped, padding after it", .hex = "3b020100 00000000 01020304 05060708 0504aaaa bbbb 0000",
	  MH_R_OK, 0, NOPP, 0, .invalid_mask = 1u << MH_OPT_AUTH },
};

START_TEST(malformed)
{
	const struct bad *b = &bads[_i];
	uint8_t buf[128];
	size_t len = tu_hex(b->hex, buf, sizeof(buf));
	struct mh_msg m;
	struct mh_diag d;

	int rc = mh_parse(buf, len, b->verify ? &ph_bu_to_cn : NULL, &m, &d);
	ck_assert_msg(d.reason == b->reason, "%s: reason '%s', want '%s'", b->name, mh_reason_name(d.reason),
		      mh_reason_name(b->reason));
	ck_assert_int_eq(rc, b->rc);
	ck_assert_int_eq(d.pp_ptr, b->pp_ptr);
	if (rc != 0) {
		ck_assert_msg(d.offset == b->offset, "%s: offset %zu, want %zu", b->name, d.offset, b->offset);
		return;
	}
	ck_assert_uint_eq(m.opts.unknown, b->unknown);
	ck_assert_uint_eq(m.opts.invalid_mask, b->invalid_mask);
	ck_assert_uint_eq(m.opts.invalid, b->invalid_mask ? 1 : 0);
	/* Skipped options leave no decoded value behind. */
	ck_assert(!m.opts.has_bra && !m.opts.has_alt_coa && !m.opts.has_auth);
}
END_TEST

/* A parse never reads past the bytes given: every prefix of a valid MH is
 * rejected with a length reason, never accepted, never a crash (ASan). */
START_TEST(every_prefix_rejected)
{
	uint8_t full[64];
	size_t len = tu_hex(rts[12].hex, full, sizeof(full));

	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		struct mh_diag d;
		struct mh_msg m;
		memcpy(p, full, n);
		ck_assert_int_lt(mh_parse(p, n, NULL, &m, &d), 0);
		ck_assert(d.reason == MH_R_TRUNC_HEADER || d.reason == MH_R_LEN_NOT_MULT8 ||
			  d.reason == MH_R_HLEN_LONG);
		free(p);
	}
}
END_TEST

/* ---- names ---- */

START_TEST(names)
{
	static const unsigned ba_codes[] = { 0, 1, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 174 };
	char buf[64];

	ck_assert_str_eq(mh_ba_status_fmt(129, buf, sizeof(buf)), "129 (administratively prohibited)");
	ck_assert_str_eq(mh_ba_status_fmt(135, buf, sizeof(buf)), "135 (sequence number out of window)");
	ck_assert_str_eq(mh_ba_status_fmt(140, buf, sizeof(buf)), "140 (unknown)");
	for (size_t i = 0; i < sizeof(ba_codes) / sizeof(ba_codes[0]); i++)
		ck_assert_str_ne(mh_ba_status_name(ba_codes[i]), "unknown");
	ck_assert(mh_ba_status_accepted(MH_BA_ACCEPTED_PREFIX_DISC));
	ck_assert(!mh_ba_status_accepted(MH_BA_UNSPECIFIED));

	ck_assert_str_eq(mh_type_name(MH_TYPE_BA), "Binding Acknowledgement");
	for (unsigned t = 0; t <= MH_TYPE_MAX; t++)
		ck_assert_str_ne(mh_type_name(t), "unknown");
	ck_assert_str_eq(mh_type_name(8), "unknown");
	ck_assert_str_eq(mh_opt_name(MH_OPT_ALT_COA), "Alternate Care-of Address");
	ck_assert_str_eq(mh_opt_name(6), "unknown");
	ck_assert_str_eq(mh_be_status_name(MH_BE_UNKNOWN_TYPE), "unrecognized MH type value");

	/* Every reason has its own name. */
	for (int r = 0; r < MH_R_COUNT; r++)
		for (int s = r + 1; s < MH_R_COUNT; s++)
			ck_assert_str_ne(mh_reason_name(r), mh_reason_name(s));
	ck_assert_str_eq(mh_reason_name(MH_R_HLEN_BELOW_MIN), "header len below minimum");
	ck_assert_str_eq(mh_reason_name(MH_R_COUNT), "unknown");
}
END_TEST

/* RFC 6275 §9.2: what the engine does about each reason. */
START_TEST(reason_actions)
{
	for (int r = 0; r < MH_R_COUNT; r++) {
		enum mh_action want = MH_ACT_DROP;
		if (r == MH_R_OK)
			want = MH_ACT_ACCEPT;
		else if (r == MH_R_PROTO_NOT_NONE || r == MH_R_HLEN_BELOW_MIN)
			want = MH_ACT_PARAM_PROB;
		else if (r == MH_R_UNKNOWN_TYPE)
			want = MH_ACT_BE_UNKNOWN;
		ck_assert_msg(mh_reason_action(r) == want, "%s", mh_reason_name(r));
	}
	/* wire-formats.md §B.2 minimum Header Len */
	static const int min_hlen[] = { 0, 1, 1, 2, 2, 1, 1, 2 };
	for (unsigned t = 0; t <= MH_TYPE_MAX; t++)
		ck_assert_int_eq(mh_min_hlen(t), min_hlen[t]);
	ck_assert_int_eq(mh_min_hlen(8), -1);
}
END_TEST

static Suite *mh_suite(void)
{
	Suite *s = suite_create("mh");
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, kat_build, 0, (int)(sizeof(kats) / sizeof(kats[0])));
	tcase_add_loop_test(tc, kat_parse, 0, (int)(sizeof(kats) / sizeof(kats[0])));
	tcase_add_test(tc, kat_cksum_needs_home_address);
	tcase_add_loop_test(tc, round_trip, 0, (int)(sizeof(rts) / sizeof(rts[0])));
	tcase_add_test(tc, build_after_prefix);
	tcase_add_test(tc, build_refuses);
	tcase_add_test(tc, auth_finish_checks_layout);
	tcase_add_test(tc, reserved_ignored);
	tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, every_prefix_rejected);
	tcase_add_test(tc, names);
	tcase_add_test(tc, reason_actions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(mh_suite());
}
