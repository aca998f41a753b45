/*
 * Unit tests for src/wire/ike: the IKEv2 message and payload codec
 * (RFC 7296 §3, RFC 7383 §2.5, RFC 7427 §3, RFC 5026 §8.2).
 *
 * Real bytes: strongSwan 5.9.8's IKE_SA_INIT request and response and two
 * port-4500 messages, parsed (and its SA payload rebuilt octet for octet).
 * Known bytes: an IKE_SA_INIT request of the MN built from the contents of
 * test-vectors.md §E.5 (SPIs, NAT-D hashes), §C.1 (group 19 KEi payload)
 * and §E.6 (Ni), and SA payloads laid out by hand after RFC 7296 §3.3; all
 * compared octet by octet. Then round trips of every payload type, a table
 * of malformed inputs each with its exact reason, and every truncation.
 *
 * With IKE_CORPUS set to a directory, the messages built here are written
 * there as seeds for tests/fuzz/fuzz_ike.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/wbuf.h"
#include "crypto/xform.h"
#include "testutil.h"
#include "wire/ike.h"

#define SPI_I 0x0011223344556677ull /* §E.5 */
#define NATD_SRC_HEX "a0dfdbe3a60c945d2404ab17729447809f782769"
#define NATD_DST_HEX "868ca6f049c1764b9a217dbc1710738187791adc"
#define GI_HEX                                                                                                 \
	"dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"                                     \
	"5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"
#define NI_HEX "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"

static void corpus_save(const char *name, const uint8_t *data, size_t len)
{
	const char *dir = getenv("IKE_CORPUS");
	if (!dir || !*dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static struct ike_transform xf(uint8_t type, uint16_t id, uint16_t key_len)
{
	struct ike_transform t = { .type = type, .id = id, .key_len = key_len };
	return t;
}

/* The MN's IKE proposal: AES-GCM-16/256, PRF_HMAC_SHA2_256, DH 19 or 31. */
static void ike_gcm_sa(struct ike_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->n_prop = 1;
	sa->prop[0].num = 1;
	sa->prop[0].proto = IKE_PROTO_IKE;
	sa->prop[0].n_xf = 4;
	sa->prop[0].xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 256);
	sa->prop[0].xf[1] = xf(XFORM_PRF, XFORM_PRF_HMAC_SHA2_256, 0);
	sa->prop[0].xf[2] = xf(XFORM_DH, XFORM_DH_ECP_256, 0);
	sa->prop[0].xf[3] = xf(XFORM_DH, XFORM_DH_CURVE25519, 0);
}

/* An ESP proposal: AES-CBC-128, HMAC-SHA2-256-128, no ESN; SPI c0ffee01. */
static void esp_cbc_proposal(struct ike_proposal *p, uint8_t num)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = IKE_PROTO_ESP;
	p->spi_size = 4;
	p->spi[0] = 0xc0, p->spi[1] = 0xff, p->spi[2] = 0xee, p->spi[3] = 0x01;
	p->n_xf = 3;
	p->xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_CBC, 128);
	p->xf[1] = xf(XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_256_128, 0);
	p->xf[2] = xf(XFORM_ESN, XFORM_ESN_NO, 0);
}

/* ---- known bytes ---- */

/* RFC 7296 §3.3 laid out by hand:
 * SA hdr | Proposal(last 0, len 0x2c, #1, IKE, SPI size 0, 4 transforms) |
 * ENCR 20 + Key Length 256 (TV 800e 0100) | PRF 5 | D-H 19 | D-H 31 (last). */
static const char sa_ike_hex[] = "22000030"
				 "0000002c 01010004"
				 "0300000c 01000014 800e0100"
				 "03000008 02000005"
				 "03000008 04000013"
				 "00000008 0400001f";

/* §E.5 IKE_SA_INIT request, MN -> HA: HDR, SAi1, KEi, Ni, N(NAT_D_SRC),
 * N(NAT_D_DST), N(IKEV2_FRAGMENTATION_SUPPORTED). Length 248 = 0xf8. */
static const char sa_init_hex[] = "0011223344556677 0000000000000000 21 20 22 08 00000000 000000f8"
				  /* SA: next KE */
				  "22000030 0000002c 01010004 0300000c 01000014 800e0100"
				  "03000008 02000005 03000008 04000013 00000008 0400001f"
				  /* KE: next Nonce, group 19 (§C.1 KEi payload) */
				  "28000048 00130000" GI_HEX
				  /* Nonce: next Notify, 32 octets (§E.6 Ni) */
				  "29000024" NI_HEX
				  /* N(NAT_DETECTION_SOURCE_IP 16388 = 0x4004) */
				  "2900001c 00004004" NATD_SRC_HEX
				  /* N(NAT_DETECTION_DESTINATION_IP 16389 = 0x4005) */
				  "2900001c 00004005" NATD_DST_HEX
				  /* N(IKEV2_FRAGMENTATION_SUPPORTED 16430 = 0x402e), last */
				  "00000008 0000402e";

static size_t build_sa_init(uint8_t *out, size_t cap)
{
	uint8_t ke[64], ni[32], natd_s[20], natd_d[20];
	tu_hex(GI_HEX, ke, sizeof(ke));
	tu_hex(NI_HEX, ni, sizeof(ni));
	tu_hex(NATD_SRC_HEX, natd_s, sizeof(natd_s));
	tu_hex(NATD_DST_HEX, natd_d, sizeof(natd_d));

	struct ike_sa sa;
	ike_gcm_sa(&sa);
	struct ike_hdr h = { .spi_i = SPI_I, .exchange = IKE_EXCH_SA_INIT, .flags = IKE_FLAG_I };
	struct wbuf w;
	struct ike_builder b;
	size_t len = 0;
	wbuf_init(&w, out, cap);
	ike_build_begin(&b, &w, &h);
	ike_build_sa(&b, &sa);
	ike_build_ke(&b, XFORM_DH_ECP_256, ke, sizeof(ke));
	ike_build_nonce(&b, ni, sizeof(ni));
	ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd_s, sizeof(natd_s));
	ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd_d, sizeof(natd_d));
	ike_build_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	return len;
}

START_TEST(kat_sa_init_build)
{
	uint8_t want[512], got[512];
	size_t wlen = tu_hex(sa_init_hex, want, sizeof(want));
	size_t glen = build_sa_init(got, sizeof(got));
	ck_assert_uint_eq(wlen, 248);
	tu_assert_mem_eq(got, glen, want, wlen);
	corpus_save("sa_init_req", got, glen);
}
END_TEST

START_TEST(kat_sa_init_parse)
{
	uint8_t msg[512];
	size_t len = tu_hex(sa_init_hex, msg, sizeof(msg));
	struct ike_msg m;
	struct ike_diag d;

	ck_assert_int_eq(ike_parse_msg(msg, len, &m, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_OK);
	ck_assert(m.hdr.spi_i == SPI_I && m.hdr.spi_r == 0);
	ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_SA_INIT);
	ck_assert_uint_eq(m.hdr.flags, IKE_FLAG_I);
	ck_assert_uint_eq(m.hdr.msg_id, 0);
	ck_assert_uint_eq(m.hdr.length, 248);
	ck_assert_uint_eq(m.chain.n, 6);
	static const uint8_t types[] = { IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY,
					 IKE_PL_NOTIFY };
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(m.chain.pl[i].type, types[i]);
	ck_assert_uint_eq(m.chain.pl[0].offset, 28);
	ck_assert_uint_eq(m.chain.pl[1].offset, 28 + 48);
	ck_assert(!m.chain.encrypted);
	ck_assert_int_eq(ike_chain_validate(&m.chain, &d), 0);

	struct ike_sa sa;
	ck_assert_int_eq(ike_parse_sa(&m.chain.pl[0], &sa, &d), 0);
	ck_assert_uint_eq(sa.n_prop, 1);
	ck_assert_uint_eq(sa.prop[0].proto, IKE_PROTO_IKE);
	ck_assert_uint_eq(sa.prop[0].n_xf, 4);
	ck_assert_uint_eq(sa.prop[0].xf[0].id, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(sa.prop[0].xf[0].key_len, 256);
	ck_assert_uint_eq(sa.prop[0].xf[3].type, XFORM_DH);
	ck_assert_uint_eq(sa.prop[0].xf[3].id, XFORM_DH_CURVE25519);

	struct ike_ke ke;
	ck_assert_int_eq(ike_parse_ke(&m.chain.pl[1], &ke, &d), 0);
	ck_assert_uint_eq(ke.group, 19);
	ck_assert_uint_eq(ke.data.len, 64);
	ck_assert_uint_eq(ke.data.ptr[0], 0xda);

	struct ike_span nonce;
	ck_assert_int_eq(ike_parse_nonce(&m.chain.pl[2], &nonce, &d), 0);
	ck_assert_uint_eq(nonce.len, 32);

	struct ike_notify n;
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_NAT_DETECTION_DESTINATION_IP, &n), 0);
	uint8_t natd[20];
	tu_hex(NATD_DST_HEX, natd, sizeof(natd));
	tu_assert_mem_eq(n.data.ptr, n.data.len, natd, sizeof(natd));
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, &n), 0);
	ck_assert_uint_eq(n.data.len, 0);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_COOKIE, &n), M6E_NOTFOUND);
}
END_TEST

START_TEST(kat_sa_ike)
{
	uint8_t want[128], got[128];
	size_t wlen = tu_hex(sa_ike_hex, want, sizeof(want));
	struct ike_sa sa;
	struct ike_builder b;
	struct wbuf w;
	uint8_t first;
	size_t len;

	ike_gcm_sa(&sa);
	wbuf_init(&w, got, sizeof(got));
	ike_build_inner_begin(&b, &w);
	ike_build_sa(&b, &sa);
	ike_build_ke(&b, 19, NULL, 0); /* only so SA's Next Payload is KE (0x22) */
	ck_assert_int_eq(ike_build_inner_end(&b, &first, &len), 0);
	ck_assert_uint_eq(first, IKE_PL_SA);
	tu_assert_mem_eq(got, wlen, want, wlen);
}
END_TEST

/* Two ESP proposals (last = 2 then 0, numbers 1 and 2): AES-GCM-16/256 with
 * ESN none, then AES-CBC-128 + HMAC-SHA2-256-128 + ESN none; SPI c0ffee01. */
static const char sa_esp_hex[] = "0000004c"
				 "02000020 01030402 c0ffee01"
				 "0300000c 01000014 800e0100"
				 "00000008 05000000"
				 "00000028 02030403 c0ffee01"
				 "0300000c 0100000c 800e0080"
				 "03000008 0300000c"
				 "00000008 05000000";

START_TEST(kat_sa_esp)
{
	uint8_t want[128], got[128];
	size_t wlen = tu_hex(sa_esp_hex, want, sizeof(want));
	struct ike_sa sa, back;
	struct ike_builder b;
	struct wbuf w;
	size_t len;

	memset(&sa, 0, sizeof(sa));
	sa.n_prop = 2;
	esp_cbc_proposal(&sa.prop[1], 2);
	sa.prop[0] = sa.prop[1];
	sa.prop[0].num = 1;
	sa.prop[0].n_xf = 2;
	sa.prop[0].xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 256);
	sa.prop[0].xf[1] = xf(XFORM_ESN, XFORM_ESN_NO, 0);
	wbuf_init(&w, got, sizeof(got));
	ike_build_inner_begin(&b, &w);
	ike_build_sa(&b, &sa);
	ck_assert_int_eq(ike_build_inner_end(&b, NULL, &len), 0);
	tu_assert_mem_eq(got, len, want, wlen);

	struct ike_chain c;
	struct ike_diag d;
	ck_assert_int_eq(ike_parse_chain(IKE_PL_SA, want, wlen, true, &c, &d), 0);
	ck_assert_int_eq(ike_parse_sa(&c.pl[0], &back, &d), 0);
	ck_assert_uint_eq(back.n_prop, 2);
	ck_assert_uint_eq(back.prop[1].num, 2);
	ck_assert_uint_eq(back.prop[1].spi_size, 4);
	ck_assert_mem_eq(back.prop[1].spi, sa.prop[1].spi, 4);
	ck_assert_uint_eq(back.prop[1].n_xf, 3);
	ck_assert_uint_eq(back.prop[1].xf[0].key_len, 128);
	ck_assert_uint_eq(back.prop[1].xf[1].id, XFORM_INTEG_HMAC_SHA2_256_128);
	ck_assert_uint_eq(back.prop[1].xf[1].key_len, 0);
}
END_TEST

/* ---- round trips ---- */

static const uint8_t home_prefix[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
static const uint8_t hoa[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
static const uint8_t ha[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x01 };

/* An IKE_AUTH-like inner chain holding one of every payload type. */
static size_t build_everything(uint8_t *out, size_t cap, uint8_t *first)
{
	static const char fqdn[] = "mn1.example.com";
	static const uint8_t cert[] = { 0x30, 0x82, 0x01, 0x00, 0xaa };
	static const uint8_t certreq[40] = { 1, 2, 3 };
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const uint8_t sig[64] = { 0x55 };
	static const uint8_t spi_rekey[4] = { 0xc0, 0xff, 0xee, 0x00 };
	static const uint8_t del_spis[8] = { 0, 0, 1, 0, 0, 0, 2, 0 };
	static const uint8_t vid[16] = { 0x88, 0x2f, 0xe5, 0x6d };
	static const uint8_t eap[] = { 1, 7, 0, 5, 1 }; /* Request, Identity */
	uint8_t nonce[16] = { 9 };
	uint8_t ke[32] = { 0x48, 0xd5 };
	uint8_t ip6val[IKE_CP_IP6_ADDRESS_LEN], hpval[IKE_CP_MIP6_HOME_PREFIX_LEN];
	struct ike_sa sa;
	struct ike_ts_list tsi, tsr;
	struct ike_cp cp;
	struct ike_builder b;
	struct wbuf w;
	size_t len = 0;

	memset(&sa, 0, sizeof(sa));
	sa.n_prop = 1;
	esp_cbc_proposal(&sa.prop[0], 1);

	memset(&tsi, 0, sizeof(tsi));
	tsi.n = 2;
	tsi.ts[0].type = IKE_TS_IPV6_ADDR_RANGE; /* BU from the HoA (wire-formats.md §I.13) */
	tsi.ts[0].ip_proto = 135;
	tsi.ts[0].start_port = tsi.ts[0].end_port = 0x0500;
	memcpy(tsi.ts[0].start, hoa, 16);
	memcpy(tsi.ts[0].end, hoa, 16);
	tsi.ts[1].type = IKE_TS_IPV4_ADDR_RANGE;
	tsi.ts[1].end_port = 0xffff;
	memset(tsi.ts[1].end, 0xff, 4);
	memset(&tsr, 0, sizeof(tsr));
	tsr.n = 1;
	tsr.ts[0].type = IKE_TS_IPV6_ADDR_RANGE;
	tsr.ts[0].ip_proto = 135;
	tsr.ts[0].start_port = 0xffff; /* OPAQUE: 65535..0 is legal */
	tsr.ts[0].end_port = 0;
	memcpy(tsr.ts[0].start, ha, 16);
	memcpy(tsr.ts[0].end, ha, 16);

	memset(&cp, 0, sizeof(cp));
	cp.cfg_type = IKE_CFG_REPLY;
	cp.n = 4;
	cp.attr[0].type = IKE_CP_INTERNAL_IP6_ADDRESS;
	cp.attr[0].value.ptr = ip6val;
	cp.attr[0].value.len = ike_cp_ip6_addr_value(ip6val, (const struct in6_addr *)hoa, 64);
	cp.attr[1].type = IKE_CP_INTERNAL_IP6_DNS;
	cp.attr[1].value.ptr = ha;
	cp.attr[1].value.len = 16;
	cp.attr[2].type = IKE_CP_MIP6_HOME_PREFIX;
	cp.attr[2].value.ptr = hpval;
	cp.attr[2].value.len = ike_cp_mip6_home_prefix_value(hpval, 86400, (const struct in6_addr *)home_prefix, 64);
	cp.attr[3].type = 0x4321; /* private use: kept raw */
	cp.attr[3].value.ptr = vid;
	cp.attr[3].value.len = 3;

	wbuf_init(&w, out, cap);
	ike_build_inner_begin(&b, &w);
	ike_build_id(&b, IKE_PL_IDI, IKE_ID_FQDN, fqdn, strlen(fqdn));
	ike_build_cert(&b, IKE_PL_CERT, IKE_CERT_X509_SIG, cert, sizeof(cert));
	ike_build_cert(&b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, certreq, sizeof(certreq));
	ike_build_id(&b, IKE_PL_IDR, IKE_ID_IPV6_ADDR, ha, 16);
	ike_build_auth_digsig(&b, alg, sizeof(alg), sig, sizeof(sig));
	ike_build_cp(&b, &cp);
	ike_build_notify(&b, IKE_PROTO_ESP, spi_rekey, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_build_notify(&b, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa);
	ike_build_nonce(&b, nonce, sizeof(nonce));
	ike_build_ke(&b, XFORM_DH_CURVE25519, ke, sizeof(ke));
	ike_build_ts(&b, IKE_PL_TSI, &tsi);
	ike_build_ts(&b, IKE_PL_TSR, &tsr);
	ike_build_delete(&b, IKE_PROTO_ESP, 4, del_spis, 2);
	ike_build_vendor(&b, vid, sizeof(vid));
	ike_build_eap(&b, eap, sizeof(eap));
	ike_build_auth(&b, IKE_AUTH_PSK, sig, 32);
	ck_assert_int_eq(ike_build_inner_end(&b, first, &len), 0);
	return len;
}

START_TEST(round_trip_every_payload)
{
	uint8_t buf[2048];
	uint8_t first;
	size_t len = build_everything(buf, sizeof(buf), &first);
	struct ike_chain c;
	struct ike_diag d;

	ck_assert_uint_eq(first, IKE_PL_IDI);
	ck_assert_int_eq(ike_parse_chain(first, buf, len, true, &c, &d), 0);
	ck_assert_uint_eq(c.n, 17);
	ck_assert_int_eq(ike_chain_validate(&c, &d), 0);

	struct ike_id id;
	ck_assert_int_eq(ike_parse_id(&c.pl[0], &id, &d), 0);
	ck_assert_uint_eq(id.type, IKE_ID_FQDN);
	ck_assert_uint_eq(id.data.len, 15);
	ck_assert(memcmp(id.data.ptr, "mn1.example.com", 15) == 0);
	/* RestOfIDPayload = 02000000 | "mn1.example.com" (test-vectors.md §E.7) */
	uint8_t rest[32];
	size_t rl = tu_hex("02000000 6d6e312e6578616d706c652e636f6d", rest, sizeof(rest));
	tu_assert_mem_eq(id.rest.ptr, id.rest.len, rest, rl);

	struct ike_cert cert;
	ck_assert_int_eq(ike_parse_cert(&c.pl[1], &cert, &d), 0);
	ck_assert_uint_eq(cert.encoding, IKE_CERT_X509_SIG);
	ck_assert_uint_eq(cert.data.len, 5);
	ck_assert_int_eq(ike_parse_cert(&c.pl[2], &cert, &d), 0);
	ck_assert_uint_eq(cert.data.len, 40);

	ck_assert_int_eq(ike_parse_id(&c.pl[3], &id, &d), 0);
	ck_assert_uint_eq(id.type, IKE_ID_IPV6_ADDR);
	ck_assert_mem_eq(id.data.ptr, ha, 16);

	struct ike_auth auth;
	ck_assert_int_eq(ike_parse_auth(&c.pl[4], &auth, &d), 0);
	ck_assert_uint_eq(auth.method, IKE_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(auth.data.len, 1 + 12 + 64);
	ck_assert_uint_eq(auth.sig_alg.len, 12);
	ck_assert_uint_eq(auth.sig_alg.ptr[0], 0x30);
	ck_assert_uint_eq(auth.sig.len, 64);
	ck_assert_uint_eq(auth.sig.ptr[0], 0x55);

	struct ike_cp cp;
	ck_assert_int_eq(ike_parse_cp(&c.pl[5], &cp, &d), 0);
	ck_assert_uint_eq(cp.cfg_type, IKE_CFG_REPLY);
	ck_assert_uint_eq(cp.n, 4);
	struct in6_addr a;
	uint8_t plen;
	uint32_t life;
	ck_assert_int_eq(ike_cp_attr_ip6_addr(&cp.attr[0], &a, &plen), 0);
	ck_assert_mem_eq(&a, hoa, 16);
	ck_assert_uint_eq(plen, 64);
	ck_assert_int_eq(ike_cp_attr_ip6(&cp.attr[1], &a), 0);
	ck_assert_mem_eq(&a, ha, 16);
	ck_assert_int_eq(ike_cp_attr_mip6_home_prefix(&cp.attr[2], &life, &a, &plen), 0);
	ck_assert_uint_eq(life, 86400);
	ck_assert_mem_eq(&a, home_prefix, 16);
	ck_assert_uint_eq(plen, 64);
	ck_assert_uint_eq(cp.attr[3].type, 0x4321);
	ck_assert_uint_eq(cp.attr[3].value.len, 3);
	/* RFC 5026 §8.2 layout: 0010 0015 | lifetime | prefix | length */
	uint8_t hp_want[32];
	size_t hpl = tu_hex("00100015 00015180 20010db8 00010000 00000000 00000000 40", hp_want, sizeof(hp_want));
	tu_assert_mem_eq(cp.attr[2].value.ptr - 4, cp.attr[2].value.len + 4, hp_want, hpl);

	struct ike_notify n;
	ck_assert_int_eq(ike_parse_notify(&c.pl[6], &n, &d), 0);
	ck_assert_uint_eq(n.type, IKE_N_REKEY_SA);
	ck_assert_uint_eq(n.proto, IKE_PROTO_ESP);
	ck_assert_uint_eq(n.spi_size, 4);
	ck_assert_uint_eq(n.spi[0], 0xc0);
	ck_assert_uint_eq(n.data.len, 0);
	ck_assert_int_eq(ike_parse_notify(&c.pl[7], &n, &d), 0);
	ck_assert_uint_eq(n.type, IKE_N_USE_TRANSPORT_MODE);

	struct ike_sa sa;
	ck_assert_int_eq(ike_parse_sa(&c.pl[8], &sa, &d), 0);
	ck_assert_uint_eq(sa.prop[0].proto, IKE_PROTO_ESP);
	ck_assert_uint_eq(sa.prop[0].xf[2].type, XFORM_ESN);

	struct ike_span nonce;
	ck_assert_int_eq(ike_parse_nonce(&c.pl[9], &nonce, &d), 0);
	ck_assert_uint_eq(nonce.len, 16);

	struct ike_ke ke;
	ck_assert_int_eq(ike_parse_ke(&c.pl[10], &ke, &d), 0);
	ck_assert_uint_eq(ke.group, XFORM_DH_CURVE25519);
	ck_assert_uint_eq(ke.data.len, 32);

	struct ike_ts_list ts;
	ck_assert_int_eq(ike_parse_ts(&c.pl[11], &ts, &d), 0);
	ck_assert_uint_eq(c.pl[11].type, IKE_PL_TSI);
	ck_assert_uint_eq(ts.n, 2);
	ck_assert_uint_eq(ts.ts[0].ip_proto, 135);
	ck_assert_uint_eq(ts.ts[0].start_port, 0x0500);
	ck_assert_mem_eq(ts.ts[0].start, hoa, 16);
	ck_assert_uint_eq(ts.ts[1].type, IKE_TS_IPV4_ADDR_RANGE);
	ck_assert_uint_eq(ts.ts[1].end_port, 0xffff);
	ck_assert_uint_eq(ts.ts[1].end[3], 0xff);
	ck_assert_int_eq(ike_parse_ts(&c.pl[12], &ts, &d), 0);
	ck_assert_uint_eq(ts.n, 1);
	ck_assert_uint_eq(ts.ts[0].start_port, 0xffff);
	ck_assert_uint_eq(ts.ts[0].end_port, 0);

	struct ike_delete del;
	uint32_t spi;
	ck_assert_int_eq(ike_parse_delete(&c.pl[13], &del, &d), 0);
	ck_assert_uint_eq(del.n_spi, 2);
	ck_assert_int_eq(ike_delete_spi32(&del, 0, &spi), 0);
	ck_assert_uint_eq(spi, 0x100);
	ck_assert_int_eq(ike_delete_spi32(&del, 1, &spi), 0);
	ck_assert_uint_eq(spi, 0x200);
	ck_assert_int_eq(ike_delete_spi32(&del, 2, &spi), M6E_RANGE);

	struct ike_span vid;
	ck_assert_int_eq(ike_parse_vendor(&c.pl[14], &vid, &d), 0);
	ck_assert_uint_eq(vid.len, 16);

	struct ike_eap eap;
	ck_assert_int_eq(ike_parse_eap(&c.pl[15], &eap, &d), 0);
	ck_assert_uint_eq(eap.code, IKE_EAP_REQUEST);
	ck_assert_uint_eq(eap.id, 7);
	ck_assert_uint_eq(eap.length, 5);
	ck_assert_uint_eq(eap.type, 1);

	ck_assert_int_eq(ike_parse_auth(&c.pl[16], &auth, &d), 0);
	ck_assert_uint_eq(auth.method, IKE_AUTH_PSK);
	ck_assert_uint_eq(auth.data.len, 32);
	ck_assert_uint_eq(auth.sig.len, 0);

	/* Rebuilding the parsed SA, TS and CP gives the same octets. */
	uint8_t again[512];
	struct ike_builder b;
	struct wbuf w;
	struct ike_cp cp2;
	size_t len2;
	wbuf_init(&w, again, sizeof(again));
	ike_build_inner_begin(&b, &w);
	ike_build_sa(&b, &sa);
	ck_assert_int_eq(ike_parse_cp(&c.pl[5], &cp2, &d), 0);
	ike_build_cp(&b, &cp2);
	ck_assert_int_eq(ike_build_inner_end(&b, NULL, &len2), 0);
	size_t sa_len = c.pl[8].body.len + 4, cp_len = c.pl[5].body.len + 4;
	ck_assert_uint_eq(len2, sa_len + cp_len);
	ck_assert_mem_eq(again + 4, c.pl[8].body.ptr, sa_len - 4);
	ck_assert_mem_eq(again + sa_len + 4, c.pl[5].body.ptr, cp_len - 4);

	corpus_save("inner_everything", buf, len);
}
END_TEST

/* IKE_AUTH with SK: the SK body is returned as a span, its Next Payload as
 * the inner first type; the offset gives the AEAD associated data. */
START_TEST(sk_message)
{
	uint8_t inner[2048], msg[2200];
	uint8_t first;
	size_t ilen = build_everything(inner, sizeof(inner), &first);
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = 0x8899aabbccddeeffull, .exchange = IKE_EXCH_AUTH,
			     .flags = IKE_FLAG_I, .msg_id = 1 };
	struct ike_builder b;
	struct wbuf w;
	size_t len, body_off;

	/* "Encrypt": IV(8) | plaintext | tag(16) stand-in. */
	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_sk_reserve(&b, first, 8 + ilen + 16, &body_off);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_uint_eq(body_off, 28 + 4);
	memset(msg + body_off, 0xee, 8);
	memcpy(msg + body_off + 8, inner, ilen);
	memset(msg + body_off + 8 + ilen, 0x77, 16);

	struct ike_msg m;
	struct ike_diag d;
	ck_assert_int_eq(ike_parse_msg(msg, len, &m, &d), 0);
	ck_assert_uint_eq(m.hdr.next_payload, IKE_PL_SK);
	ck_assert_uint_eq(m.chain.n, 1);
	ck_assert(m.chain.encrypted);
	ck_assert_uint_eq(m.chain.sk_type, IKE_PL_SK);
	ck_assert_uint_eq(m.chain.inner_first, IKE_PL_IDI);
	ck_assert_uint_eq(m.chain.pl[0].offset, 28);
	ck_assert_ptr_eq(m.chain.pl[0].body.ptr, msg + 32);
	ck_assert_uint_eq(ike_msg_sk_aad_len(&m), 32); /* header + SK generic header */
	ck_assert_uint_eq(m.chain.pl[0].body.len, 8 + ilen + 16);

	/* The caller "decrypts" and parses the inner chain the same way. */
	struct ike_chain c;
	ck_assert_int_eq(ike_parse_chain(m.chain.inner_first, m.chain.pl[0].body.ptr + 8, ilen, true, &c, &d), 0);
	ck_assert_uint_eq(c.n, 17);
	corpus_save("auth_sk", msg, len);

	/* Copying variant gives the same bytes; nothing may follow SK. */
	uint8_t msg2[2200];
	size_t len2;
	wbuf_init(&w, msg2, sizeof(msg2));
	ike_build_begin(&b, &w, &h);
	ike_build_sk(&b, first, msg + body_off, 8 + ilen + 16);
	ck_assert_int_eq(ike_build_end(&b, &len2), 0);
	tu_assert_mem_eq(msg2, len2, msg, len);
	wbuf_init(&w, msg2, sizeof(msg2));
	ike_build_begin(&b, &w, &h);
	ike_build_sk(&b, first, msg + body_off, 8);
	ike_build_vendor(&b, "x", 1);
	ck_assert_int_eq(ike_build_end(&b, &len2), M6E_ORDER);
	/* SK inside an inner chain is refused by the builder too. */
	wbuf_init(&w, msg2, sizeof(msg2));
	ike_build_inner_begin(&b, &w);
	ike_build_sk(&b, 0, NULL, 0);
	ck_assert_int_eq(ike_build_inner_end(&b, NULL, NULL), M6E_ORDER);
}
END_TEST

START_TEST(skf_message)
{
	uint8_t msg[256], body[40];
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = 2, .exchange = IKE_EXCH_AUTH, .flags = IKE_FLAG_R, .msg_id = 1 };
	struct ike_builder b;
	struct wbuf w;
	size_t len;

	memset(body, 0x3c, sizeof(body));
	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_skf(&b, IKE_PL_IDR, 1, 3, body, sizeof(body));
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	uint8_t want_hdr[16];
	size_t wl = tu_hex("2400 0030 0001 0003", want_hdr, sizeof(want_hdr)); /* IDr, len 48, 1 of 3 */
	tu_assert_mem_eq(msg + 28, wl, want_hdr, wl);

	struct ike_msg m;
	struct ike_diag d;
	ck_assert_int_eq(ike_parse_msg(msg, len, &m, &d), 0);
	ck_assert(m.chain.encrypted);
	ck_assert_uint_eq(m.chain.sk_type, IKE_PL_SKF);
	ck_assert_uint_eq(m.chain.inner_first, IKE_PL_IDR);
	ck_assert_uint_eq(m.chain.frag_number, 1);
	ck_assert_uint_eq(m.chain.frag_total, 3);
	ck_assert_ptr_eq(m.chain.pl[0].body.ptr, msg + 28 + IKE_SKF_HDR_LEN);
	ck_assert_uint_eq(ike_msg_sk_aad_len(&m), 28 + IKE_SKF_HDR_LEN); /* R7383-AEAD.a */
	ck_assert_uint_eq(m.chain.pl[0].body.len, sizeof(body));
	corpus_save("auth_skf", msg, len);

	size_t off;
	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_skf_reserve(&b, 0, 3, 3, 20, &off);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_uint_eq(off, 28 + 8);
	ck_assert_int_eq(ike_parse_msg(msg, len, &m, &d), 0);
	ck_assert_uint_eq(m.chain.frag_number, 3);
	ck_assert_uint_eq(m.chain.inner_first, 0);
}
END_TEST

START_TEST(natt_marker)
{
	uint8_t dgram[300];
	struct ike_span ike;
	struct ike_diag d;

	memset(dgram, 0, 4);
	size_t len = 4 + build_sa_init(dgram + 4, sizeof(dgram) - 4);
	ck_assert_int_eq(ike_natt_unwrap(dgram, len, &ike, &d), 0);
	ck_assert_ptr_eq(ike.ptr, dgram + 4);
	ck_assert_uint_eq(ike.len, len - 4);
	struct ike_hdr h;
	ck_assert_int_eq(ike_parse_hdr(ike.ptr, ike.len, &h, &d), 0);
	struct ike_msg m;
	struct ike_span ike2;
	ck_assert_int_eq(ike_parse_datagram(true, dgram, len, &ike2, &m, &d), 0);
	ck_assert_ptr_eq(ike2.ptr, dgram + 4);
	ck_assert_uint_eq(m.chain.n, 6);
	ck_assert_uint_eq(m.chain.pl[0].offset, IKE_HDR_LEN);
	ck_assert_int_eq(ike_parse_datagram(false, dgram + 4, len - 4, &ike2, &m, &d), 0);
	/* A marker on port 500 shifts the header: Length no longer fits. */
	ck_assert_int_lt(ike_parse_datagram(false, dgram, len, &ike2, &m, &d), 0);
	/* An ESP packet (non-zero SPI), a keepalive, a short datagram. */
	dgram[2] = 1;
	ck_assert_int_lt(ike_natt_unwrap(dgram, len, &ike, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_NO_MARKER);
	static const uint8_t keepalive[1] = { 0xff };
	ck_assert_int_lt(ike_natt_unwrap(keepalive, 1, &ike, &d), 0);
	ck_assert_int_lt(ike_natt_unwrap(dgram, 3, &ike, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_NO_MARKER);
}
END_TEST

START_TEST(builder_overflow)
{
	uint8_t small[60];
	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = { .spi_i = 1, .exchange = IKE_EXCH_INFORMATIONAL };
	uint8_t nonce[32] = { 0 };

	wbuf_init(&w, small, sizeof(small));
	ike_build_begin(&b, &w, &h);
	ike_build_nonce(&b, nonce, sizeof(nonce));
	ike_build_nonce(&b, nonce, sizeof(nonce));
	ck_assert_int_eq(ike_build_end(&b, NULL), M6E_NOSPACE);

	/* An empty INFORMATIONAL (liveness check) is just the header... */
	size_t len;
	wbuf_init(&w, small, sizeof(small));
	ike_build_begin(&b, &w, &h);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_uint_eq(len, IKE_HDR_LEN);
	struct ike_msg m;
	struct ike_diag d;
	ck_assert_int_eq(ike_parse_msg(small, len, &m, &d), 0);
	ck_assert_uint_eq(m.chain.n, 0);
	ck_assert_uint_eq(ike_msg_sk_aad_len(&m), 0);
	/* Each _end belongs to its _begin. */
	wbuf_init(&w, small, sizeof(small));
	ike_build_inner_begin(&b, &w);
	ck_assert_int_eq(ike_build_end(&b, &len), M6E_INVAL);
	ike_build_begin(&b, &w, &h);
	ck_assert_int_eq(ike_build_inner_end(&b, NULL, &len), M6E_INVAL);
	/* ...and a critical unknown payload is carried as raw bytes. */
	wbuf_init(&w, small, sizeof(small));
	ike_build_begin(&b, &w, &h);
	ike_build_raw(&b, 99, true, "ab", 2);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_int_eq(ike_parse_msg(small, len, &m, &d), M6E_UNSUPP);
	ck_assert_int_eq(d.reason, IKE_R_CRITICAL_UNKNOWN);
	ck_assert_uint_eq(d.payload_type, 99);
	ck_assert_uint_eq(ike_reason_notify(d.reason), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
}
END_TEST

/* ---- real strongSwan bytes ----
 *
 * Captured 2026-11-23 from strongSwan 5.9.8 (Debian charon-systemd) talking
 * to itself in a network namespace (mn1.example.com 2001:db8:2::100 ->
 * ha.example.com 2001:db8:1::1, PSK, proposals
 * aes256gcm16-prfsha256-ecp256-x25519 and aes128-sha256-prfsha256-ecp256,
 * fragmentation and MOBIKE on): the UDP payloads of the IKE_SA_INIT request
 * and response on port 500, the IKE_AUTH request and an INFORMATIONAL on
 * port 4500 (Non-ESP Marker included); tests/tshark/ike-strongswan-capture.sh
 * reproduces the setup (fresh SPIs, nonces and keys each run). charon's log
 * named the payloads:
 *   IKE_SA_INIT req [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
 *   IKE_SA_INIT rsp [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]
 */
static const char ss_sa_init_req[] =
	"3db9baab87d5aab7000000000000000021202208000000000000013c2200005c"
	"0200002c010100040300000c01000014800e0100030000080200000503000008"
	"04000013000000080400001f0000002c020100040300000c0100000c800e0080"
	"030000080300000c030000080200000500000008040000132800004800130000"
	"c65dc8b8f2f923a877f983ec2780b14fd894a9ce120046ea40f57c2ecd02a376"
	"d52acc0937f36a908f187865f2ec4043afb4a2256a382e023256eb5ee4800146"
	"29000024d52c60fd171ed30eeabcd1b25029cf16c738fdfcb48b874282c8d446"
	"b960d92d2900001c00004004f47d5f21c7606a37507dfcb10942bd77f8b2c8ee"
	"2900001c00004005fb732eb827a80b3b9a92e78753a475d3c34d7df029000008"
	"0000402e290000100000402f00020003000400050000000800004016";
static const char ss_sa_init_rsp[] =
	"3db9baab87d5aab7b952fee06588326c21202220000000000000011022000028"
	"00000024010100030300000c01000014800e0100030000080200000500000008"
	"040000132800004800130000940589a6d54f76d069c9eb939292eee98c0b761d"
	"d8d02b29a8b79f08d20265be28e941c8be1402ecc5bed43c49364f0390d27acc"
	"3c5f3014ccb975e65aa95d83290000241001e50311001f7e62ebb26628edf806"
	"9a8660acdb86bd815be1aef45a868fb82900001c00004004382b43952b68d5c2"
	"77826ec4272399300d7558442900001c0000400597651f4047a99d32fda62041"
	"12a7a1258a10ab08290000080000402e290000100000402f0002000300040005"
	"29000008000040220000000800004014";
static const char ss_auth_req_natt[] =
	"000000003db9baab87d5aab7b952fee06588326c2e2023080000000100000172"
	"2300015661f73051cc6524e9e533cfc321b95b45588f69813833164bc799dd8c"
	"5967e31b9b5bc94896a39cce4ebfe83436cd6562d821201a18f75a7c8e6bd38f"
	"a3fddec4b35ac4b55a8c49d7a8a058a8cc98906fe941ab600bc01f68324e8afb"
	"03d1bc12388971acbced90a0790c643015d275e7f61913d1e8be284bfa44d3ff"
	"1da358549d0d8712919067e7c12acb71a55945d2f4303a681ac5710215042b71"
	"691aa972407781cabe6974cff78d38d346aad1b3a440a0a4c00d020191682f2e"
	"5412d4d10d534e516cc2fbffa3ec772b3cddefbfc6e627478d5b700ebfbec7d7"
	"df63b3d27deab67e0e29d4d11de499e70b88a42db000cc812d0e2c52b9d0e450"
	"b713c037a0d2a55d33240988decd57cff82bf55e3cc0f86b50f3cf0f1fe1a90f"
	"97cd4126cd78ffed467443c41f7cb6c863270e98dea22fbeaed9e7788653d1d2"
	"60d8af04d7c217611c683ce0382a6210a672231b87ee";
static const char ss_info_natt[] =
	"000000003db9baab87d5aab7b952fee06588326c2e2025000000000000000041"
	"2a000025c4b9676902445850b61f9a9ba590b5e63147ad02b4dfa4f66ba7790d"
	"602b8d0af4";

static size_t ss_bytes(const char *hex, uint8_t **out)
{
	uint8_t buf[1024];
	size_t n = tu_hex(hex, buf, sizeof(buf));
	*out = malloc(n); /* exact size for ASan */
	memcpy(*out, buf, n);
	return n;
}

START_TEST(strongswan_sa_init)
{
	uint8_t *req, *rsp;
	size_t qlen = ss_bytes(ss_sa_init_req, &req), rlen = ss_bytes(ss_sa_init_rsp, &rsp);
	struct ike_msg m;
	struct ike_span ike;
	struct ike_diag d;
	struct ike_sa sa;
	struct ike_ke ke;
	struct ike_notify n;

	ck_assert_int_eq(ike_parse_datagram(false, req, qlen, &ike, &m, &d), 0);
	ck_assert_int_eq(ike_chain_validate(&m.chain, &d), 0);
	ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_SA_INIT);
	ck_assert_uint_eq(m.hdr.flags, IKE_FLAG_I);
	ck_assert(m.hdr.spi_r == 0);
	static const uint8_t req_types[] = { IKE_PL_SA, IKE_PL_KE, IKE_PL_NONCE, IKE_PL_NOTIFY, IKE_PL_NOTIFY,
					     IKE_PL_NOTIFY, IKE_PL_NOTIFY, IKE_PL_NOTIFY };
	ck_assert_uint_eq(m.chain.n, sizeof(req_types));
	for (unsigned i = 0; i < m.chain.n; i++)
		ck_assert_uint_eq(m.chain.pl[i].type, req_types[i]);
	ck_assert_int_eq(ike_parse_sa(&m.chain.pl[0], &sa, &d), 0);
	ck_assert_uint_eq(sa.n_prop, 2);
	ck_assert_uint_eq(sa.prop[0].xf[0].id, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(sa.prop[0].xf[0].key_len, 256);
	ck_assert_uint_eq(sa.prop[1].num, 2);
	ck_assert_uint_eq(sa.prop[1].xf[0].id, XFORM_ENCR_AES_CBC);
	ck_assert_uint_eq(sa.prop[1].xf[0].key_len, 128);
	ck_assert_int_eq(ike_parse_ke(&m.chain.pl[1], &ke, &d), 0);
	ck_assert_uint_eq(ke.group, XFORM_DH_ECP_256);
	ck_assert_uint_eq(ke.data.len, 64);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, &n), 0);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n), 0);
	ck_assert_uint_eq(n.data.len % 2, 0);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, 16406 /* REDIRECT_SUPPORTED */, &n), 0);
	ck_assert_str_eq(ike_notify_name(16406), "unknown"); /* not ours, still parsed */

	/* Rebuilding strongSwan's SA payload gives strongSwan's octets. */
	uint8_t again[512];
	struct ike_builder b;
	struct wbuf w;
	size_t len;
	wbuf_init(&w, again, sizeof(again));
	ike_build_inner_begin(&b, &w);
	ike_build_sa(&b, &sa);
	ck_assert_int_eq(ike_build_inner_end(&b, NULL, &len), 0);
	tu_assert_mem_eq(again + 4, len - 4, m.chain.pl[0].body.ptr, m.chain.pl[0].body.len);

	ck_assert_int_eq(ike_parse_datagram(false, rsp, rlen, &ike, &m, &d), 0);
	ck_assert_int_eq(ike_chain_validate(&m.chain, &d), 0);
	ck_assert_uint_eq(m.hdr.flags, IKE_FLAG_R);
	ck_assert(m.hdr.spi_r != 0);
	ck_assert_uint_eq(m.chain.n, 9);
	ck_assert_int_eq(ike_parse_sa(&m.chain.pl[0], &sa, &d), 0);
	ck_assert_uint_eq(sa.n_prop, 1);
	ck_assert_uint_eq(sa.prop[0].n_xf, 3); /* GCM-16/256, PRF SHA2-256, ECP-256 */
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, 16418 /* CHILDLESS_IKEV2_SUPPORTED */, &n), 0);
	corpus_save("strongswan_sa_init_req", req, qlen);
	corpus_save("strongswan_sa_init_rsp", rsp, rlen);
	free(req);
	free(rsp);
}
END_TEST

START_TEST(strongswan_natt)
{
	uint8_t *auth, *info;
	size_t alen = ss_bytes(ss_auth_req_natt, &auth), ilen = ss_bytes(ss_info_natt, &info);
	struct ike_msg m;
	struct ike_span ike;
	struct ike_diag d;

	ck_assert_int_eq(ike_parse_datagram(true, auth, alen, &ike, &m, &d), 0);
	ck_assert_uint_eq(ike.len, alen - 4);
	ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_AUTH);
	ck_assert_uint_eq(m.hdr.msg_id, 1);
	ck_assert_uint_eq(m.chain.n, 1);
	ck_assert(m.chain.encrypted);
	ck_assert_uint_eq(m.chain.inner_first, IKE_PL_IDI); /* charon: [ IDi N(INIT_CONTACT) ... ] */
	ck_assert_uint_eq(m.chain.pl[0].offset, IKE_HDR_LEN);
	ck_assert_uint_eq(m.chain.pl[0].body.len, ike.len - IKE_HDR_LEN - IKE_PL_HDR_LEN);
	ck_assert_uint_eq(ike_msg_sk_aad_len(&m), IKE_HDR_LEN + IKE_PL_HDR_LEN);
	/* Port 500 framing of the same bytes is refused. */
	ck_assert_int_lt(ike_parse_datagram(false, auth, alen, &ike, &m, &d), 0);

	ck_assert_int_eq(ike_parse_datagram(true, info, ilen, &ike, &m, &d), 0);
	ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_INFORMATIONAL);
	ck_assert(m.chain.encrypted);
	corpus_save("strongswan_auth_natt", auth, alen);
	corpus_save("strongswan_info_natt", info, ilen);
	free(auth);
	free(info);
}
END_TEST

/* ---- malformed ---- */

/* A header for a message whose chain starts with type NP; the Length field
 * is filled in by the test from the octets given. */
#define HDR(np) "0011223344556677 0000000000000000 " np " 20 22 08 00000000 LLLLLLLL"

struct bad {
	const char *name;
	const char *hex;     /* whole message; LLLLLLLL = its length */
	enum ike_reason reason;
	uint8_t pl_type;     /* expected diag payload type */
	bool typed;          /* found by ike_chain_validate, not ike_parse_msg */
};

#define NONCE16 "00112233445566778899aabbccddeeff"

static const struct bad bads[] = {
	/* header (R7296-2.5.a, R7296-3.1.a, R7296-2.6.a) */
	{ "short header", "0011223344556677 0000000000000000 00 20 22 08 000000", IKE_R_TRUNC_HEADER, 0, false },
	{ "IKEv1", "0011223344556677 0000000000000000 00 10 22 08 00000000 0000001c", IKE_R_OLD_MAJOR_VERSION, 0,
	  false },
	{ "major 3", "0011223344556677 0000000000000000 00 30 22 08 00000000 0000001c", IKE_R_MAJOR_VERSION, 0,
	  false },
	{ "SPIi zero", "0000000000000000 0000000000000000 00 20 22 08 00000000 0000001c", IKE_R_SPI_I_ZERO, 0,
	  false },
	{ "length below 28", "0011223344556677 0000000000000000 00 20 22 08 00000000 0000001b",
	  IKE_R_LEN_BELOW_HEADER, 0, false },
	{ "length past datagram", "0011223344556677 0000000000000000 00 20 22 08 00000000 0000001d",
	  IKE_R_LEN_LONG, 0, false },
	{ "datagram past length", "0011223344556677 0000000000000000 00 20 22 08 00000000 0000001c 00",
	  IKE_R_LEN_SHORT, 0, false },
	/* chain */
	{ "payload header cut", HDR("28") "0000", IKE_R_PL_TRUNC, IKE_PL_NONCE, false },
	{ "payload length 3", HDR("28") "00000003", IKE_R_PL_LEN_BELOW_HEADER, IKE_PL_NONCE, false },
	{ "payload past message", HDR("28") "00000015" NONCE16, IKE_R_PL_LEN_LONG, IKE_PL_NONCE, false },
	{ "next payload past message", HDR("28") "2b000014" NONCE16, IKE_R_PL_TRUNC, IKE_PL_VENDOR, false },
	{ "octets after last", HDR("28") "00000014" NONCE16 "00000000", IKE_R_TRAILING, 0, false },
	{ "critical unknown", HDR("28") "63000014" NONCE16 "00800005 ee", IKE_R_CRITICAL_UNKNOWN, 0x63, false },
	{ "SK not last", HDR("2e") "2b000008 eeeeeeee 00000004", IKE_R_SK_NOT_LAST, IKE_PL_SK, false },
	{ "SKF not last", HDR("35") "2b00000c 00010001 eeeeeeee 00000004", IKE_R_SK_NOT_LAST, IKE_PL_SKF, false },
	{ "SKF number 0", HDR("35") "2b00000c 00000002 eeeeeeee", IKE_R_SKF_NUMBER_ZERO, IKE_PL_SKF, false },
	{ "SKF total 0", HDR("35") "2b00000c 00010000 eeeeeeee", IKE_R_SKF_TOTAL_ZERO, IKE_PL_SKF, false },
	{ "SKF number > total", HDR("35") "2b00000c 00030002 eeeeeeee", IKE_R_SKF_NUMBER_OVER_TOTAL, IKE_PL_SKF,
	  false },
	{ "SKF body short", HDR("35") "2b000006 0001", IKE_R_BODY_SHORT, IKE_PL_SKF, false },
	/* SA (R7296-3.3.a, R7296-3.3.5.a) */
	{ "SA empty", HDR("21") "00000004", IKE_R_SA_EMPTY, IKE_PL_SA, true },
	{ "proposal header cut", HDR("21") "0000000a 00000008 0101", IKE_R_PROP_TRUNC, IKE_PL_SA, true },
	{ "proposal length short", HDR("21") "0000000c 00000007 01010000", IKE_R_PROP_LEN, IKE_PL_SA, true },
	{ "proposal length long", HDR("21") "0000000c 00000009 01010000", IKE_R_PROP_LEN, IKE_PL_SA, true },
	{ "proposal SPI past length", HDR("21") "0000000e 0000000a 01030400 c0ff", IKE_R_PROP_LEN, IKE_PL_SA,
	  true },
	{ "proposal last 1", HDR("21") "0000000c 01000008 01010000", IKE_R_PROP_LAST, IKE_PL_SA, true },
	{ "proposal last 2 on the last", HDR("21") "0000000c 02000008 01010000", IKE_R_PROP_LAST, IKE_PL_SA, true },
	{ "proposal last 0 not last", HDR("21") "00000014 00000008 01010000 00000008 02010000", IKE_R_PROP_LAST,
	  IKE_PL_SA, true },
	{ "proposal number 0", HDR("21") "0000000c 00000008 00010000", IKE_R_PROP_NUM, IKE_PL_SA, true },
	{ "proposal numbers 1, 3", HDR("21") "00000014 02000008 01010000 00000008 03010000", IKE_R_PROP_NUM,
	  IKE_PL_SA, true },
	{ "ESP SPI size 8", HDR("21") "00000014 00000010 01030800 0102030405060708", IKE_R_PROP_SPI_SIZE, IKE_PL_SA,
	  true },
	{ "IKE SPI size 4", HDR("21") "00000010 0000000c 01010400 01020304", IKE_R_PROP_SPI_SIZE, IKE_PL_SA, true },
	{ "transform count high", HDR("21") "00000014 00000010 01010002 00000008 02000005", IKE_R_PROP_XF_COUNT,
	  IKE_PL_SA, true },
	{ "transform header cut", HDR("21") "00000010 0000000c 01010001 00000008", IKE_R_XF_TRUNC, IKE_PL_SA, true },
	{ "transform length 7", HDR("21") "00000014 00000010 01010001 00000007 02000005", IKE_R_XF_LEN, IKE_PL_SA,
	  true },
	{ "transform length long", HDR("21") "00000014 00000010 01010001 0000000c 02000005", IKE_R_XF_LEN,
	  IKE_PL_SA, true },
	{ "transform last 3 on the last", HDR("21") "00000014 00000010 01010001 03000008 02000005", IKE_R_XF_LAST,
	  IKE_PL_SA, true },
	{ "transform last 2", HDR("21") "0000001c 00000018 01010002 02000008 02000005 00000008 04000013",
	  IKE_R_XF_LAST, IKE_PL_SA, true },
	{ "key length in TLV", HDR("21") "0000001a 00000016 01010001 0000000e 01000014 000e0002 0100",
	  IKE_R_ATTR_KEYLEN_TLV, IKE_PL_SA, true },
	{ "attribute cut", HDR("21") "00000016 00000012 01010001 0000000a 01000014 800e", IKE_R_ATTR_TRUNC,
	  IKE_PL_SA, true },
	{ "TLV attribute past transform", HDR("21") "00000018 00000014 01010001 0000000c 01000014 00050009",
	  IKE_R_ATTR_TRUNC, IKE_PL_SA, true },
	{ "key length twice", HDR("21") "0000001c 00000018 01010001 00000010 01000014 800e0100 800e0080",
	  IKE_R_ATTR_DUP, IKE_PL_SA, true },
	/* other typed payloads */
	{ "KE short", HDR("22") "00000007 001300", IKE_R_BODY_SHORT, IKE_PL_KE, true },
	{ "nonce 15", HDR("28") "00000013 00112233445566778899aabbccddee", IKE_R_NONCE_LEN, IKE_PL_NONCE, true },
	{ "nonce 257", HDR("28") "00000105" NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16
			   NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 NONCE16 "ff",
	  IKE_R_NONCE_LEN, IKE_PL_NONCE, true },
	{ "ID short", HDR("23") "00000007 020000", IKE_R_BODY_SHORT, IKE_PL_IDI, true },
	{ "ID IPv6 15 octets", HDR("24") "00000017 05000000 20010db80001000000000000000000",
	  IKE_R_ID_LEN, IKE_PL_IDR, true },
	{ "ID IPv4 5 octets", HDR("23") "0000000d 01000000 c0000201 00", IKE_R_ID_LEN, IKE_PL_IDI, true },
	{ "CERT empty", HDR("25") "00000004", IKE_R_BODY_SHORT, IKE_PL_CERT, true },
	{ "CERTREQ 19 octets", HDR("26") "00000018 04 00112233445566778899aabbccddeeff001122", IKE_R_CERTREQ_LEN,
	  IKE_PL_CERTREQ, true },
	{ "AUTH short", HDR("27") "00000006 0200", IKE_R_BODY_SHORT, IKE_PL_AUTH, true },
	{ "AUTH 14 alg past data", HDR("27") "0000000d 0e000000 0c300a0608", IKE_R_AUTH_SIG_ALG, IKE_PL_AUTH, true },
	{ "AUTH 14 no length", HDR("27") "00000008 0e000000", IKE_R_BODY_SHORT, IKE_PL_AUTH, true },
	{ "notify short", HDR("29") "00000007 000040", IKE_R_BODY_SHORT, IKE_PL_NOTIFY, true },
	{ "notify SPI size 3", HDR("29") "0000000b 03034004 010203", IKE_R_NOTIFY_SPI_SIZE, IKE_PL_NOTIFY, true },
	{ "notify SPI past data", HDR("29") "0000000a 03044009 0102", IKE_R_BODY_SHORT, IKE_PL_NOTIFY, true },
	{ "REKEY_SA without SPI", HDR("29") "00000008 03004009", IKE_R_NOTIFY_SPI_SIZE, IKE_PL_NOTIFY, true },
	{ "INVALID_KE_PAYLOAD 3 octets", HDR("29") "0000000b 00000011 001300", IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY,
	  true },
	{ "NAT-D 19 octets", HDR("29") "0000001b 00004004 00112233445566778899aabbccddeeff001122",
	  IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY, true },
	{ "COOKIE empty", HDR("29") "00000008 00004006", IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY, true },
	{ "COOKIE2 7 octets", HDR("29") "0000000f 00004011 00112233445566", IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY,
	  true },
	{ "ADDITIONAL_IP6_ADDRESS 4", HDR("29") "0000000c 0000400e 20010db8", IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY,
	  true },
	{ "SIGNATURE_HASH_ALGORITHMS odd", HDR("29") "0000000b 0000402f 000200", IKE_R_NOTIFY_DATA_LEN,
	  IKE_PL_NOTIFY, true },
	{ "NO_NATS_ALLOWED 13 octets", HDR("29") "00000015 00004012 c0000201c0000202 01f401f4 00",
	  IKE_R_NOTIFY_DATA_LEN, IKE_PL_NOTIFY, true },
	{ "delete IKE with SPI size 4", HDR("2a") "0000000c 01040001 01020304", IKE_R_DELETE_SPI_SIZE,
	  IKE_PL_DELETE, true },
	{ "delete ESP SPI size 8", HDR("2a") "00000010 03080001 0102030405060708", IKE_R_DELETE_SPI_SIZE,
	  IKE_PL_DELETE, true },
	{ "delete count high", HDR("2a") "0000000c 03040002 01020304", IKE_R_DELETE_COUNT, IKE_PL_DELETE, true },
	{ "delete count low", HDR("2a") "00000010 03040001 01020304 05060708", IKE_R_DELETE_COUNT, IKE_PL_DELETE,
	  true },
	{ "TS count 0", HDR("2c") "00000008 00000000", IKE_R_TS_COUNT, IKE_PL_TSI, true },
	{ "TS count 2 of 1", HDR("2c") "00000018 02000000 07000010 0000ffff 00000000 ffffffff", IKE_R_TS_COUNT,
	  IKE_PL_TSI, true },
	{ "TS selectors past count", HDR("2c") "0000001c 01000000 07000010 0000ffff 00000000 ffffffff 00000000",
	  IKE_R_TS_COUNT, IKE_PL_TSI, true },
	{ "TS header cut", HDR("2d") "0000000a 01000000 0700", IKE_R_TS_TRUNC, IKE_PL_TSR, true },
	{ "TS length past payload", HDR("2c") "00000018 01000000 07000014 0000ffff 00000000 ffffffff",
	  IKE_R_TS_TRUNC, IKE_PL_TSI, true },
	{ "TS IPv4 length 40", HDR("2c") "00000030 01000000 07000028 0000ffff"
				     "00000000000000000000000000000000 ffffffffffffffffffffffffffffffff",
	  IKE_R_TS_LEN, IKE_PL_TSI, true },
	{ "TS start > end", HDR("2c") "00000018 01000000 07000010 0000ffff c0000202 c0000201", IKE_R_TS_ADDR_RANGE,
	  IKE_PL_TSI, true },
	{ "TS IPv6 start > end", HDR("2c") "00000030 01000000 08870028 05000500"
				       "20010db8000100000000000000000101 20010db8000100000000000000000100",
	  IKE_R_TS_ADDR_RANGE, IKE_PL_TSI, true },
	{ "CP short", HDR("2f") "00000006 0100", IKE_R_BODY_SHORT, IKE_PL_CP, true },
	{ "CP attribute cut", HDR("2f") "0000000a 01000000 0008", IKE_R_CP_ATTR_TRUNC, IKE_PL_CP, true },
	{ "CP attribute past payload", HDR("2f") "0000000c 01000000 00080011", IKE_R_CP_ATTR_TRUNC, IKE_PL_CP, true },
	{ "CP IP6 address 16", HDR("2f") "0000001c 02000000 00080010 20010db8000100000000000000000100",
	  IKE_R_CP_ATTR_LEN, IKE_PL_CP, true },
	{ "CP home prefix 20", HDR("2f") "00000020 02000000 00100014 00015180 20010db8000100000000000000000000",
	  IKE_R_CP_ATTR_LEN, IKE_PL_CP, true },
	{ "EAP short", HDR("30") "00000007 010100", IKE_R_BODY_SHORT, IKE_PL_EAP, true },
	{ "EAP length long", HDR("30") "00000009 01010006 01", IKE_R_EAP_LEN, IKE_PL_EAP, true },
	{ "EAP request without type", HDR("30") "00000008 01010004", IKE_R_EAP_LEN, IKE_PL_EAP, true },
};

/* Decode a table entry, filling the LLLLLLLL placeholder with the length. */
static size_t bad_bytes(const struct bad *b, uint8_t *out, size_t cap)
{
	char hex[2048];
	ck_assert_uint_lt(strlen(b->hex), sizeof(hex));
	strcpy(hex, b->hex);
	char *l = strstr(hex, "LLLLLLLL");
	if (l != NULL)
		memcpy(l, "00000000", 8);
	size_t n = tu_hex(hex, out, cap);
	if (l != NULL) {
		out[24] = (uint8_t)(n >> 24);
		out[25] = (uint8_t)(n >> 16);
		out[26] = (uint8_t)(n >> 8);
		out[27] = (uint8_t)n;
	}
	return n;
}

START_TEST(malformed)
{
	const struct bad *b = &bads[_i];
	uint8_t buf[1024];
	size_t n = bad_bytes(b, buf, sizeof(buf));
	uint8_t *p = malloc(n); /* exact size, so ASan sees any overread */
	memcpy(p, buf, n);
	struct ike_msg m;
	struct ike_diag d;

	int rc = ike_parse_msg(p, n, &m, &d);
	if (b->typed) {
		ck_assert_msg(rc == 0, "%s: chain refused (%s)", b->name, ike_reason_name(d.reason));
		rc = ike_chain_validate(&m.chain, &d);
	}
	ck_assert_msg(rc < 0, "%s: accepted", b->name);
	ck_assert_msg(d.reason == b->reason, "%s: reason %s, want %s", b->name, ike_reason_name(d.reason),
		      ike_reason_name(b->reason));
	ck_assert_msg(d.payload_type == b->pl_type, "%s: payload type %u, want %u", b->name, d.payload_type,
		      b->pl_type);
	ck_assert_msg(d.offset <= n, "%s: offset %zu past %zu", b->name, d.offset, n);
	char name[64];
	snprintf(name, sizeof(name), "bad_%02d", _i);
	corpus_save(name, p, n);
	free(p);
}
END_TEST

/* SK/SKF in a decrypted chain: never nested (R7296-3.1.a). */
START_TEST(sk_nested)
{
	uint8_t inner[64];
	size_t n = tu_hex("2e000014" NONCE16 "00000008 00000000", inner, sizeof(inner));
	struct ike_chain c;
	struct ike_diag d;
	ck_assert_int_lt(ike_parse_chain(IKE_PL_NONCE, inner, n, true, &c, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_SK_NESTED);
	ck_assert_uint_eq(d.offset, 20);
	n = tu_hex("00000008 00000000", inner, sizeof(inner));
	ck_assert_int_lt(ike_parse_chain(IKE_PL_SK, inner, n, true, &c, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_SK_NESTED);
	ck_assert_int_lt(ike_parse_chain(IKE_PL_SKF, inner, n, true, &c, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_SK_NESTED);
	/* The same bytes as an outer chain are fine. */
	ck_assert_int_eq(ike_parse_chain(IKE_PL_SK, inner, n, false, &c, &d), 0);
}
END_TEST

/* Unknown non-critical payloads are skipped and counted; reserved bits of
 * the flags octet are ignored (R7296-2.5.a). */
START_TEST(unknown_skipped)
{
	uint8_t buf[128];
	const struct bad b = { "", HDR("63") "28010005 ee 0000001400112233445566778899aabbccddeeff", IKE_R_OK, 0,
			       false };
	size_t n = bad_bytes(&b, buf, sizeof(buf));
	struct ike_msg m;
	struct ike_diag d;
	ck_assert_int_eq(ike_parse_msg(buf, n, &m, &d), 0);
	ck_assert_uint_eq(m.chain.skipped, 1);
	ck_assert_uint_eq(m.chain.n, 1);
	ck_assert_uint_eq(m.chain.pl[0].type, IKE_PL_NONCE);
	ck_assert(!m.chain.pl[0].critical);
	/* A critical known payload is just a known payload. */
	buf[28 + 5 + 1] = 0x80;
	ck_assert_int_eq(ike_parse_msg(buf, n, &m, &d), 0);
	ck_assert(m.chain.pl[0].critical);
}
END_TEST

START_TEST(too_many_payloads)
{
	uint8_t buf[28 + 4 * (IKE_MAX_PAYLOADS + 1)];
	struct ike_hdr h = { .spi_i = 1, .exchange = IKE_EXCH_INFORMATIONAL };
	struct ike_builder b;
	struct wbuf w;
	size_t len;
	struct ike_msg m;
	struct ike_diag d;

	wbuf_init(&w, buf, sizeof(buf));
	ike_build_begin(&b, &w, &h);
	for (unsigned i = 0; i < IKE_MAX_PAYLOADS; i++)
		ike_build_vendor(&b, NULL, 0);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_int_eq(ike_parse_msg(buf, len, &m, &d), 0);
	ck_assert_uint_eq(m.chain.n, IKE_MAX_PAYLOADS);
	wbuf_init(&w, buf, sizeof(buf));
	ike_build_begin(&b, &w, &h);
	for (unsigned i = 0; i <= IKE_MAX_PAYLOADS; i++)
		ike_build_vendor(&b, NULL, 0);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_int_lt(ike_parse_msg(buf, len, &m, &d), 0);
	ck_assert_int_eq(d.reason, IKE_R_TOO_MANY_PAYLOADS);
}
END_TEST

/* Every truncation of a valid message fails, with the Length field left as
 * sent and with it patched to the cut (so only the chain can tell). */
static void every_prefix(const uint8_t *full, size_t len, bool patch)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		struct ike_msg m;
		struct ike_diag d;
		memcpy(p, full, n);
		if (patch && n >= IKE_HDR_LEN) {
			p[24] = (uint8_t)(n >> 24), p[25] = (uint8_t)(n >> 16);
			p[26] = (uint8_t)(n >> 8), p[27] = (uint8_t)n;
		}
		int rc = ike_parse_msg(p, n, &m, &d);
		if (rc == 0)
			rc = ike_chain_validate(&m.chain, &d);
		ck_assert_msg(rc < 0, "prefix %zu of %zu accepted", n, len);
		ck_assert(d.reason != IKE_R_OK);
		free(p);
	}
}

START_TEST(truncations)
{
	uint8_t msg[512];
	size_t len = build_sa_init(msg, sizeof(msg));
	every_prefix(msg, len, false);
	every_prefix(msg, len, true);

	/* And of the inner chain of IKE_AUTH. */
	uint8_t inner[2048];
	uint8_t first;
	size_t ilen = build_everything(inner, sizeof(inner), &first);
	for (size_t n = 0; n < ilen; n++) {
		uint8_t *p = malloc(n ? n : 1);
		struct ike_chain c;
		struct ike_diag d;
		memcpy(p, inner, n);
		int rc = ike_parse_chain(first, p, n, true, &c, &d);
		if (rc == 0)
			rc = ike_chain_validate(&c, &d);
		ck_assert_msg(rc < 0, "inner prefix %zu accepted", n);
		free(p);
	}
}
END_TEST

/* ---- names ---- */

START_TEST(names)
{
	for (unsigned r = 0; r < IKE_R_COUNT; r++) {
		ck_assert_ptr_nonnull(ike_reason_name((enum ike_reason)r));
		ck_assert_str_ne(ike_reason_name((enum ike_reason)r), "unknown");
	}
	ck_assert_str_eq(ike_reason_name(IKE_R_COUNT), "unknown");
	static const unsigned notifies[] = { 1,     4,     5,     7,     9,     11,    14,    17,    24,    34,    35,
					     36,    37,    38,    39,    40,    41,    42,    43,    44,    16384, 16385,
					     16386, 16387, 16388, 16389, 16390, 16391, 16392, 16393, 16394, 16395, 16396,
					     16397, 16398, 16399, 16400, 16401, 16402, 16430, 16431 };
	for (size_t i = 0; i < sizeof(notifies) / sizeof(notifies[0]); i++)
		ck_assert_str_ne(ike_notify_name(notifies[i]), "unknown");
	ck_assert_str_eq(ike_notify_name(IKE_N_INVALID_KE_PAYLOAD), "INVALID_KE_PAYLOAD");
	ck_assert_str_eq(ike_notify_name(IKE_N_IKEV2_FRAGMENTATION_SUPPORTED), "IKEV2_FRAGMENTATION_SUPPORTED");
	ck_assert(ike_notify_is_error(IKE_N_TS_UNACCEPTABLE));
	ck_assert(!ike_notify_is_error(IKE_N_USE_TRANSPORT_MODE));
	ck_assert_str_eq(ike_exchange_name(IKE_EXCH_CREATE_CHILD_SA), "CREATE_CHILD_SA");
	ck_assert_str_eq(ike_payload_name(IKE_PL_SKF), "SKF");
	ck_assert_str_eq(ike_auth_method_name(14), "Digital Signature");
	ck_assert_str_eq(ike_cp_attr_name(16), "MIP6_HOME_PREFIX");
	ck_assert_str_eq(ike_id_type_name(IKE_ID_KEY_ID), "ID_KEY_ID");
	ck_assert_str_eq(ike_ts_type_name(8), "TS_IPV6_ADDR_RANGE");
	ck_assert_str_eq(ike_cfg_type_name(1), "CFG_REQUEST");
	ck_assert_str_eq(ike_proto_name(3), "ESP");
	ck_assert_str_eq(ike_cert_encoding_name(4), "X.509 Certificate - Signature");
	ck_assert_str_eq(ike_eap_code_name(3), "Success");
	ck_assert_uint_eq(ike_reason_notify(IKE_R_MAJOR_VERSION), IKE_N_INVALID_MAJOR_VERSION);
	ck_assert_uint_eq(ike_reason_notify(IKE_R_TS_ADDR_RANGE), IKE_N_INVALID_SYNTAX);
	ck_assert_uint_eq(ike_reason_notify(IKE_R_LEN_LONG), 0);
	ck_assert_uint_eq(ike_reason_notify(IKE_R_OK), 0);
}
END_TEST

/* Notify data lengths that are right (wire-formats.md §I.10). */
START_TEST(notify_lengths_accepted)
{
	static const char *const good[] = {
		HDR("29") "0000000c 0000402f 00020004",                           /* hash algorithms */
		HDR("29") "00000014 00004012 c0000201c0000202 01f401f4",           /* NO_NATS IPv4 */
		HDR("29") "0000002c 00004012 20010db8000200000000000000000200"
			  "20010db8000100000000000000000001 11941194",             /* NO_NATS IPv6 */
		HDR("29") "00000048 00004006" NONCE16 NONCE16 NONCE16 NONCE16,      /* COOKIE of 64 */
		HDR("29") "00000010 0000400c 00000000 00000000",                  /* MOBIKE: data ignored */
		HDR("29") "00000008 00004010",                                    /* UPDATE_SA_ADDRESSES */
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint8_t buf[256];
		struct bad b = { "", good[i], IKE_R_OK, 0, false };
		size_t n = bad_bytes(&b, buf, sizeof(buf));
		struct ike_msg m;
		struct ike_diag d;
		ck_assert_msg(ike_parse_msg(buf, n, &m, &d) == 0, "%zu: %s", i, ike_reason_name(d.reason));
		ck_assert_msg(ike_chain_validate(&m.chain, &d) == 0, "%zu: %s", i, ike_reason_name(d.reason));
	}
}
END_TEST

START_TEST(invalid_ke_group)
{
	uint8_t buf[64];
	struct ike_hdr h = { .spi_i = 1, .exchange = IKE_EXCH_SA_INIT, .flags = IKE_FLAG_R };
	static const uint8_t group[2] = { 0, 14 };
	struct ike_builder b;
	struct wbuf w;
	size_t len;
	struct ike_msg m;
	struct ike_diag d;
	struct ike_notify n;
	uint16_t g;

	wbuf_init(&w, buf, sizeof(buf));
	ike_build_begin(&b, &w, &h);
	ike_build_notify(&b, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, group, 2);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	ck_assert_int_eq(ike_parse_msg(buf, len, &m, &d), 0);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_INVALID_KE_PAYLOAD, &n), 0);
	ck_assert_int_eq(ike_notify_invalid_ke_group(&n, &g), 0);
	ck_assert_uint_eq(g, 14);
	corpus_save("invalid_ke", buf, len);
	n.type = IKE_N_COOKIE;
	ck_assert_int_eq(ike_notify_invalid_ke_group(&n, &g), M6E_INVAL);
}
END_TEST

static Suite *ike_wire_suite(void)
{
	Suite *s = suite_create("ike_wire");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, kat_sa_init_build);
	tcase_add_test(tc, kat_sa_init_parse);
	tcase_add_test(tc, kat_sa_ike);
	tcase_add_test(tc, kat_sa_esp);
	tcase_add_test(tc, strongswan_sa_init);
	tcase_add_test(tc, strongswan_natt);
	tcase_add_test(tc, round_trip_every_payload);
	tcase_add_test(tc, sk_message);
	tcase_add_test(tc, skf_message);
	tcase_add_test(tc, natt_marker);
	tcase_add_test(tc, builder_overflow);
	tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, sk_nested);
	tcase_add_test(tc, unknown_skipped);
	tcase_add_test(tc, too_many_payloads);
	tcase_add_test(tc, truncations);
	tcase_add_test(tc, names);
	tcase_add_test(tc, invalid_ke_group);
	tcase_add_test(tc, notify_lengths_accepted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ike_wire_suite());
}
