/*
 * Unit tests for src/crypto/ike_crypto.c: every IKE vector of
 * test-vectors.md byte for byte (A.3 PRF, B CAVS KDF, C.1/C.2 DH, E.5 NAT-D,
 * E.6 key split and CHILD_SA KEYMAT, E.7 PSK AUTH), DH round trips and
 * refused peer values, SK payload round trips for every suite with tamper
 * detection, two SK vectors derived with python3-cryptography, signatures
 * for AUTH methods 1/9/10/14, certificate chains, cookies and the tie-break.
 *
 * The keys and certificates of the signature tests are made here with the
 * OpenSSL API (the test is not src/, which alone hides OpenSSL).
 *
 * With IKE_CRYPTO_CORPUS set to a directory, the peer inputs used here (SK
 * messages, KE data, AUTH data, a certificate) are written there as seeds
 * for tests/fuzz/fuzz_ike_crypto.c, prefixed with its selector octet.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "crypto/ike_crypto.h"
#include "crypto/xform.h"
#include "testutil.h"
#include "wire/ike.h" /* must coexist with crypto/ike_crypto.h in one file */

/* Signature methods are the wire's AUTH method numbers under other names. */
_Static_assert((int)IKE_SIG_RSA == (int)IKE_AUTH_RSA_SIG && (int)IKE_SIG_ECDSA_P256 == (int)IKE_AUTH_ECDSA_256 &&
		       (int)IKE_SIG_ECDSA_P384 == (int)IKE_AUTH_ECDSA_384 &&
		       (int)IKE_SIG_DIGITAL == (int)IKE_AUTH_DIGITAL_SIG,
	       "AUTH method numbers");

#define P256 XFORM_PRF_HMAC_SHA2_256

/* Selector octets of tests/fuzz/fuzz_ike_crypto.c. */
enum { SEED_SK_GCM, SEED_SK_CBC, SEED_DH14, SEED_DH19, SEED_DH20, SEED_DH31, SEED_AUTH14, SEED_AUTH9, SEED_CERT };

static void corpus_save(const char *name, uint8_t selector, const uint8_t *data, size_t len)
{
	const char *dir = getenv("IKE_CRYPTO_CORPUS");
	if (!dir || !*dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputc(selector, f), selector);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static size_t hx(const char *hex, uint8_t *out, size_t cap)
{
	return tu_hex(hex, out, cap);
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t want[512];
	size_t n = hx(want_hex, want, sizeof(want));
	tu_assert_mem_eq(got, len, want, n);
}

/* ---- A.3 PRF_HMAC_SHA2_256 (RFC 4231) --------------------------------- */

START_TEST(prf_rfc4231)
{
	uint8_t key[200], data[200], out[IKE_PRF_MAX];
	static const char *const text7 =
		"This is a test using a larger than block-size key and a larger than block-size data. The key needs "
		"to be hashed before being used by the HMAC algorithm.";
	static const char *const text6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	ck_assert_uint_eq(ike_prf_len(P256), 32);

	size_t kl = hx("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", key, sizeof(key));
	ck_assert_int_eq(ike_prf(P256, key, kl, (const uint8_t *)"Hi There", 8, out), 0);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	ck_assert_int_eq(ike_prf(P256, (const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
				 out),
			 0);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	ck_assert_int_eq(ike_prf(P256, key, 20, data, 50, out), 0);
	assert_hex(out, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	kl = hx("0102030405060708090a0b0c0d0e0f10111213141516171819", key, sizeof(key));
	memset(data, 0xcd, 50);
	ck_assert_int_eq(ike_prf(P256, key, kl, data, 50, out), 0);
	assert_hex(out, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

	memset(key, 0x0c, 20);
	ck_assert_int_eq(ike_prf(P256, key, 20, (const uint8_t *)"Test With Truncation", 20, out), 0);
	assert_hex(out, 16, "a3b6167473100ee06e0c796c2955552b");

	/* Keys longer than the block are hashed first (R4868-2.1.a). */
	memset(key, 0xaa, 131);
	ck_assert_int_eq(ike_prf(P256, key, 131, (const uint8_t *)text6, strlen(text6), out), 0);
	assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	ck_assert_int_eq(ike_prf(P256, key, 131, (const uint8_t *)text7, strlen(text7), out), 0);
	assert_hex(out, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");

	ck_assert_int_eq(ike_prf(1 /* PRF_HMAC_MD5 */, key, 20, data, 1, out), M6E_INVAL);
	ck_assert_int_eq(ike_prf(P256, NULL, 0, data, 1, out), M6E_INVAL);
}
END_TEST

START_TEST(prf_plus_blocks)
{
	/* T1 = prf(K, S|01), T2 = prf(K, T1|S|02): checked against ike_prf. */
	const uint8_t key[] = "0123456789abcdef", seed[] = "seed";
	uint8_t plus[80], t[2][32], buf[64];
	ck_assert_int_eq(ike_prf_plus(P256, key, 16, seed, 4, plus, sizeof(plus)), 0);
	memcpy(buf, seed, 4);
	buf[4] = 1;
	ck_assert_int_eq(ike_prf(P256, key, 16, buf, 5, t[0]), 0);
	memcpy(buf, t[0], 32);
	memcpy(buf + 32, seed, 4);
	buf[36] = 2;
	ck_assert_int_eq(ike_prf(P256, key, 16, buf, 37, t[1]), 0);
	tu_assert_mem_eq(plus, 32, t[0], 32);
	tu_assert_mem_eq(plus + 32, 32, t[1], 32);

	/* R7296-2.13: 255 blocks at most. */
	static uint8_t big[256 * 32];
	ck_assert_int_eq(ike_prf_plus(P256, key, 16, seed, 4, big, 255 * 32), 0);
	ck_assert_int_eq(ike_prf_plus(P256, key, 16, seed, 4, big, 255 * 32 + 1), M6E_RANGE);
}
END_TEST

/* ---- B. CAVS IKEv2 KDF (PRF_HMAC_SHA1) -------------------------------- */

/* The CAVS child DKM is 132 octets: read it as two 66-octet directions. */
static void cavs_child(const uint8_t *sk_d, const uint8_t *gir, const uint8_t *ni, const uint8_t *nr,
		       const char *want)
{
	uint8_t i2r[66], r2i[66], both[132];
	ck_assert_int_eq(ike_child_keymat(XFORM_PRF_HMAC_SHA1, sk_d, 20, gir, 32, ni, 8, nr, 8, 66, i2r, r2i), 0);
	memcpy(both, i2r, 66);
	memcpy(both + 66, r2i, 66);
	assert_hex(both, 132, want);
}

START_TEST(kdf_cavs)
{
	const unsigned sha1 = XFORM_PRF_HMAC_SHA1;
	uint8_t gir[32], gir_new[32], ni[8], nr[8], spii[8], spir[8], skeyseed[20], dkm[132], seed[32];
	hx("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52", gir, sizeof(gir));
	hx("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330", gir_new, sizeof(gir_new));
	hx("32b50d5f4a3763f3", ni, 8);
	hx("9206a04b26564cb1", nr, 8);
	hx("34c9e7c188868785", spii, 8);
	hx("3ff77d760d2b2199", spir, 8);

	ck_assert_int_eq(ike_skeyseed(sha1, ni, 8, nr, 8, gir, 32, skeyseed), 0);
	assert_hex(skeyseed, 20, "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7");

	memcpy(seed, ni, 8);
	memcpy(seed + 8, nr, 8);
	memcpy(seed + 16, spii, 8);
	memcpy(seed + 24, spir, 8);
	ck_assert_int_eq(ike_prf_plus(sha1, skeyseed, 20, seed, 32, dkm, sizeof(dkm)), 0);
	assert_hex(dkm, 132,
		   "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c6"
		   "34a46002a2a63080e514a062768b76606f9fa5e992204fc5a670bde3"
		   "f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa28"
		   "0870d2ed41efa9c549fd11198af1670b143d384bd275c5f594cf266b"
		   "05ebadca855e4249520a441a81157435a7a56cc4");
	const uint8_t *sk_d = dkm; /* first 20 octets */

	/* CHILD_SA KEYMAT without and with PFS: 132 octets = 2 x 66. */
	cavs_child(sk_d, NULL, ni, nr,
		   "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad8"
		   "5ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0d"
		   "c9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e5"
		   "21a8fe20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d"
		   "319d41d4b50b3f510b1c0a22f3e664994d234cb4");
	cavs_child(sk_d, gir_new, ni, nr,
		   "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa6"
		   "1d37301628190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a"
		   "10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b56"
		   "66023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc"
		   "863ab49fa901227cffc06e27899c7054d56fd74c");

	ck_assert_int_eq(ike_skeyseed_rekey(sha1, sk_d, 20, gir_new, 32, ni, 8, nr, 8, skeyseed), 0);
	assert_hex(skeyseed, 20, "63e81194946ebd05df7df5ebf5d8750056bf1f1d");
	/* R7296-2.18.a: no rekey without a new DH. */
	ck_assert_int_eq(ike_skeyseed_rekey(sha1, sk_d, 20, NULL, 0, ni, 8, nr, 8, skeyseed), M6E_INVAL);
}
END_TEST

/* ---- E.6 key split ---------------------------------------------------- */

struct e6 {
	uint8_t ni[32], nr[32], gir[32], spii[8], spir[8], skeyseed[32];
};

static void e6_load(struct e6 *v)
{
	hx("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f", v->ni, 32);
	hx("303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f", v->nr, 32);
	hx("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", v->gir, 32);
	hx("0011223344556677", v->spii, 8);
	hx("8899aabbccddeeff", v->spir, 8);
	ck_assert_int_eq(ike_skeyseed(P256, v->ni, 32, v->nr, 32, v->gir, 32, v->skeyseed), 0);
	assert_hex(v->skeyseed, 32, "5f306bc5fc1b25af8daad384581d16d7d6080928e12e5510d2ad3ef83d3bf541");
}

static const struct ike_suite suite_cbc128 = { XFORM_ENCR_AES_CBC, 128, XFORM_INTEG_HMAC_SHA2_256_128, P256 };
static const struct ike_suite suite_gcm128 = { XFORM_ENCR_AES_GCM_16, 128, XFORM_INTEG_NONE, P256 };

static void e6_keys(struct ike_keys *k, const struct ike_suite *s)
{
	struct e6 v;
	e6_load(&v);
	ck_assert_int_eq(ike_keys_derive(k, s, v.skeyseed, 32, v.ni, 32, v.nr, 32, v.spii, v.spir), 0);
}

START_TEST(key_split_e6)
{
	struct ike_keys k;
	e6_keys(&k, &suite_cbc128);
	ck_assert_uint_eq(k.prf_len, 32);
	ck_assert_uint_eq(k.integ_len, 32);
	ck_assert_uint_eq(k.encr_len, 16);
	assert_hex(k.sk_d, 32, "b5009a459a126c93145528aead0b2fa471470f2d086081b70d0c8c671758fe73");
	assert_hex(k.sk_ai, 32, "a7fff8b22db65b3b8ef1cea3f5e6aa22ef626921ae2f621dc037a751d2de515c");
	assert_hex(k.sk_ar, 32, "f6bbdedefd37c519d70786cf1e795fe8fc8375cf234096ba5de1a3de538d93c3");
	assert_hex(k.sk_ei, 16, "81d86acff975d468461de1af637c7281");
	assert_hex(k.sk_er, 16, "63694f86fae6b43c6ec91097bf425473");
	assert_hex(k.sk_pi, 32, "130f7873c3208ba15e513ea6da8b3043306179276436ce9e411bfd10512dc1ba");
	assert_hex(k.sk_pr, 32, "a79635719cd35aa5c38fb8f72b6c4203fb0af4cebfaa2000bb68ff45b5d3ab2d");

	/* CHILD_SA KEYMAT from this SK_d (R7296-2.17.a). */
	uint8_t ni2[32], nr2[32], i2r[72], r2i[72];
	hx("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf", ni2, 32);
	hx("e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", nr2, 32);
	ck_assert_int_eq(ike_child_keymat(P256, k.sk_d, 32, NULL, 0, ni2, 32, nr2, 32, 36, i2r, r2i), 0);
	assert_hex(i2r, 36, "f00530fb7e571de91268c720b3d708edbb34f6b90b1964ae40d34e325dda7769 83d3c21b");
	assert_hex(r2i, 36, "b510caa2df624efb4bdbb0e284fbaecd236e87720bea7ff8da8fb0f45017ab88 5a2596e6");
	ck_assert_int_eq(ike_child_keymat(P256, k.sk_d, 32, NULL, 0, ni2, 32, nr2, 32, 48, i2r, r2i), 0);
	assert_hex(i2r, 48,
		   "f00530fb7e571de91268c720b3d708ed"
		   "bb34f6b90b1964ae40d34e325dda776983d3c21bb510caa2df624efb4bdbb0e2");
	assert_hex(r2i, 48,
		   "84fbaecd236e87720bea7ff8da8fb0f4"
		   "5017ab885a2596e636ce0d847353d3c92421ef85c1914ec9ac182efb0f6318cd");

	ike_keys_wipe(&k);
	static const uint8_t zero[sizeof(k)];
	tu_assert_mem_eq(&k, sizeof(k), zero, sizeof(zero));

	/* AEAD: SK_ai/SK_ar are empty, SK_e* carry the salt (R5282-4.a). */
	e6_keys(&k, &suite_gcm128);
	ck_assert_uint_eq(k.integ_len, 0);
	ck_assert_uint_eq(k.encr_len, 20);
	assert_hex(k.sk_d, 32, "b5009a459a126c93145528aead0b2fa471470f2d086081b70d0c8c671758fe73");
	assert_hex(k.sk_ei, 20, "a7fff8b22db65b3b8ef1cea3f5e6aa22 ef626921");
	assert_hex(k.sk_er, 20, "ae2f621dc037a751d2de515cf6bbdede fd37c519");
	assert_hex(k.sk_pi, 32, "d70786cf1e795fe8fc8375cf234096ba5de1a3de538d93c381d86acff975d468");
	assert_hex(k.sk_pr, 32, "461de1af637c728163694f86fae6b43c6ec91097bf425473130f7873c3208ba1");
	ike_keys_wipe(&k);
}
END_TEST

START_TEST(suites_and_support)
{
	ck_assert(ike_suite_valid(&suite_cbc128));
	ck_assert(ike_suite_valid(&suite_gcm128));
	struct ike_suite s = suite_gcm128;
	s.integ = XFORM_INTEG_HMAC_SHA2_256_128; /* R5282-4.a: none with AEAD */
	ck_assert(!ike_suite_valid(&s));
	s = suite_cbc128;
	s.integ = XFORM_INTEG_NONE; /* R7296-5.a */
	ck_assert(!ike_suite_valid(&s));
	s = suite_cbc128;
	s.key_bits = 192;
	ck_assert(!ike_suite_valid(&s));
	s = suite_cbc128;
	s.prf = XFORM_PRF_HMAC_SHA1;
	ck_assert(!ike_suite_valid(&s));

	static const struct {
		unsigned type, id, bits;
		bool ok;
	} cases[] = {
		{ XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 128, true },
		{ XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 256, true },
		{ XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 192, false },
		{ XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 0, false }, /* R7296-3.3.5.a */
		{ XFORM_ENCR, XFORM_ENCR_AES_CBC, 128, true },
		{ XFORM_ENCR, XFORM_ENCR_AES_CBC, 256, true },
		{ XFORM_ENCR, XFORM_ENCR_3DES, 0, false },
		{ XFORM_ENCR, XFORM_ENCR_NULL, 0, false },
		{ XFORM_ENCR, XFORM_ENCR_DES, 0, false },
		{ XFORM_PRF, XFORM_PRF_HMAC_SHA2_256, 0, true },
		{ XFORM_PRF, XFORM_PRF_HMAC_SHA2_384, 0, true },
		{ XFORM_PRF, XFORM_PRF_HMAC_SHA2_512, 0, true },
		{ XFORM_PRF, XFORM_PRF_HMAC_SHA1, 0, false },
		{ XFORM_PRF, XFORM_PRF_HMAC_MD5, 0, false },
		{ XFORM_PRF, XFORM_PRF_HMAC_SHA2_256, 128, false },
		{ XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_256_128, 0, true },
		{ XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_384_192, 0, true },
		{ XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_512_256, 0, true },
		{ XFORM_INTEG, XFORM_INTEG_HMAC_SHA1_96, 0, false },
		{ XFORM_INTEG, XFORM_INTEG_HMAC_MD5_96, 0, false },
		{ XFORM_DH, XFORM_DH_MODP_2048, 0, true },
		{ XFORM_DH, XFORM_DH_ECP_256, 0, true },
		{ XFORM_DH, XFORM_DH_ECP_384, 0, true },
		{ XFORM_DH, XFORM_DH_CURVE25519, 0, true },
		{ XFORM_DH, 2, 0, false },
		{ XFORM_DH, 5, 0, false },
		{ XFORM_DH, 21, 0, false },
		{ XFORM_ESN, XFORM_ESN_YES, 0, true },
		{ 6, 1, 0, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(ike_crypto_supported(cases[i].type, cases[i].id, cases[i].bits) == cases[i].ok,
			      "type %u id %u bits %u", cases[i].type, cases[i].id, cases[i].bits);
}
END_TEST

/* ---- E.7 PSK AUTH, E.5 NAT-D ------------------------------------------ */

START_TEST(psk_auth_e7)
{
	struct ike_keys k;
	e6_keys(&k, &suite_cbc128);
	const uint8_t *psk = (const uint8_t *)"mip6sec test psk";
	uint8_t out[IKE_PRF_MAX], msg[28], nr[32], id[32];
	ck_assert_int_eq(ike_prf(P256, psk, 16, (const uint8_t *)"Key Pad for IKEv2", 17, out), 0);
	assert_hex(out, 32, "3792b65f291acd59989ce0488f0db386930eb4d55c09f665fffe05ceba830432");

	hx("0011223344556677 0000000000000000 00 20 22 08 00000000 0000001c", msg, sizeof(msg));
	hx("303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f", nr, sizeof(nr));
	size_t id_len = hx("02000000 6d6e312e6578616d706c652e636f6d", id, sizeof(id));
	struct ike_signed_octets so;
	ck_assert_int_eq(ike_signed_octets_init(&so, P256, msg, 28, nr, 32, k.sk_pi, k.prf_len, id, id_len), 0);
	assert_hex(so.maced_id, so.maced_id_len, "a3595e5eefb78564b045b63b4f40a640c0b0f99c2fdabb4844bd26aeec342bc0");
	ck_assert_int_eq(ike_auth_psk(P256, psk, 16, &so, out), 0);
	assert_hex(out, 32, "84eac8480063aca6280f4cb18b9db108799a0059c2670512c6811e54a01c6726");

	ck_assert_int_eq(ike_auth_psk_check(P256, psk, 16, &so, out, 32), 0);
	out[31] ^= 1;
	ck_assert_int_eq(ike_auth_psk_check(P256, psk, 16, &so, out, 32), M6E_AUTH);
	out[31] ^= 1;
	ck_assert_int_eq(ike_auth_psk_check(P256, psk, 16, &so, out, 31), M6E_AUTH);
	ck_assert_int_eq(ike_auth_psk_check(P256, (const uint8_t *)"mip6sec test psK", 16, &so, out, 32), M6E_AUTH);
	ike_keys_wipe(&k);
}
END_TEST

START_TEST(natd_e5)
{
	uint8_t spii[8], spir[8] = { 0 }, coa[16], ha[16], out[IKE_NATD_LEN];
	hx("0011223344556677", spii, 8);
	hx("20010db8000200000000000000000200", coa, 16);
	hx("20010db8000100000000000000000001", ha, 16);
	ck_assert_int_eq(ike_natd_hash(spii, spir, coa, 16, 500, out), 0);
	assert_hex(out, 20, "a0dfdbe3a60c945d2404ab17729447809f782769");
	ck_assert_int_eq(ike_natd_hash(spii, spir, ha, 16, 500, out), 0);
	assert_hex(out, 20, "868ca6f049c1764b9a217dbc1710738187791adc");
	ck_assert_int_eq(ike_natd_hash(spii, spir, ha, 15, 500, out), M6E_INVAL);
}
END_TEST

/* ---- C. DH ------------------------------------------------------------ */

static void dh_kat(unsigned group, const char *priv_i, const char *pub_i, const char *priv_r, const char *pub_r,
		   const char *shared)
{
	uint8_t pi[64], pr[64], pub[IKE_DH_MAX], peer[IKE_DH_MAX], secret[IKE_DH_MAX];
	size_t li = hx(priv_i, pi, sizeof(pi)), lr = hx(priv_r, pr, sizeof(pr));
	struct ike_dh *di, *dr;
	ck_assert_int_eq(ike_dh_new_fixed(&di, group, pi, li), 0);
	ck_assert_int_eq(ike_dh_new_fixed(&dr, group, pr, lr), 0);
	size_t plen = ike_dh_public_len(group);
	ck_assert_int_eq(ike_dh_public(di, pub, sizeof(pub)), 0);
	assert_hex(pub, plen, pub_i);
	ck_assert_int_eq(ike_dh_public(dr, pub, sizeof(pub)), 0);
	assert_hex(pub, plen, pub_r);
	enum ike_crypto_reason why;
	hx(pub_r, peer, sizeof(peer));
	ck_assert_int_eq(ike_dh_compute(di, peer, plen, secret, sizeof(secret), &why), 0);
	assert_hex(secret, ike_dh_secret_len(group), shared);
	hx(pub_i, peer, sizeof(peer));
	ck_assert_int_eq(ike_dh_compute(dr, peer, plen, secret, sizeof(secret), &why), 0);
	assert_hex(secret, ike_dh_secret_len(group), shared);
	ike_dh_free(di);
	ike_dh_free(dr);
}

START_TEST(dh_rfc5903_p256)
{
	dh_kat(XFORM_DH_ECP_256, "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
	       "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
	       "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
	       "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
	       "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
	       "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
	       "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");
}
END_TEST

START_TEST(dh_rfc8031_x25519)
{
	/* The unclamped random values: X25519 clamps them itself. */
	dh_kat(XFORM_DH_CURVE25519, "751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94",
	       "48d5ddd4061257ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766",
	       "0a54645253290d60ddadd0e030bacd9e5501efdc220755a1e978f1b839a05688",
	       "0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25",
	       "c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950");

	/* R8031-2.a: the top bit of the last octet is masked, not refused. */
	uint8_t priv[32], peer[32], secret[32];
	hx("751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94", priv, 32);
	hx("0be7c1f5aad87d7e448662673298a443478b859745179eaf564c79c0ef6eee25", peer, 32);
	peer[31] |= 0x80;
	struct ike_dh *dh;
	ck_assert_int_eq(ike_dh_new_fixed(&dh, XFORM_DH_CURVE25519, priv, 32), 0);
	ck_assert_int_eq(ike_dh_compute(dh, peer, 32, secret, sizeof(secret), NULL), 0);
	assert_hex(secret, 32, "c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950");
	ike_dh_free(dh);
}
END_TEST

static const unsigned all_groups[] = { XFORM_DH_MODP_2048, XFORM_DH_ECP_256, XFORM_DH_ECP_384, XFORM_DH_CURVE25519 };

START_TEST(dh_round_trip)
{
	unsigned group = all_groups[_i];
	struct ike_dh *a, *b;
	ck_assert_int_eq(ike_dh_new(&a, group), 0);
	ck_assert_int_eq(ike_dh_new(&b, group), 0);
	ck_assert_uint_eq(ike_dh_group(a), group);
	size_t plen = ike_dh_public_len(group), slen = ike_dh_secret_len(group);
	uint8_t pa[IKE_DH_MAX], pb[IKE_DH_MAX], sa[IKE_DH_MAX], sb[IKE_DH_MAX];
	ck_assert_int_eq(ike_dh_public(a, pa, sizeof(pa)), 0);
	ck_assert_int_eq(ike_dh_public(b, pb, sizeof(pb)), 0);
	ck_assert_int_eq(ike_dh_public(b, pb, plen - 1), M6E_NOSPACE);
	static const char *const seed_names[] = { "dh14", "dh19", "dh20", "dh31" };
	corpus_save(seed_names[_i], (uint8_t)(SEED_DH14 + _i), pb, plen);
	ck_assert(memcmp(pa, pb, plen) != 0);
	ck_assert_int_eq(ike_dh_compute(a, pb, plen, sa, sizeof(sa), NULL), 0);
	ck_assert_int_eq(ike_dh_compute(b, pa, plen, sb, sizeof(sb), NULL), 0);
	tu_assert_mem_eq(sa, slen, sb, slen);

	/* R7296-3.4.a: exactly the group's length. */
	enum ike_crypto_reason why = IKE_CR_OK;
	ck_assert_int_eq(ike_dh_compute(a, pb, plen - 1, sa, sizeof(sa), &why), M6E_INVAL);
	ck_assert_int_eq(why, IKE_CR_DH_LENGTH);
	ck_assert_int_eq(ike_dh_compute(a, pb, plen + 1, sa, sizeof(sa), &why), M6E_INVAL);
	ck_assert_int_eq(why, IKE_CR_DH_LENGTH);
	ike_dh_free(a);
	ike_dh_free(b);
}
END_TEST

static void expect_refused(struct ike_dh *dh, const uint8_t *peer, size_t len, enum ike_crypto_reason want)
{
	uint8_t secret[IKE_DH_MAX];
	enum ike_crypto_reason why = IKE_CR_OK;
	ck_assert_int_eq(ike_dh_compute(dh, peer, len, secret, sizeof(secret), &why), M6E_INVAL);
	ck_assert_msg(why == want, "reason %s, want %s", ike_crypto_reason_name(why), ike_crypto_reason_name(want));
}

START_TEST(dh_invalid_peers)
{
	uint8_t v[IKE_DH_MAX];
	struct ike_dh *dh;

	/* MODP (R6989-2.3.a): 0, 1, p-1, p and beyond refused. */
	ck_assert_int_eq(ike_dh_new(&dh, XFORM_DH_MODP_2048), 0);
	EVP_PKEY *ref = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	ck_assert_ptr_nonnull(pctx);
	ck_assert_int_eq(EVP_PKEY_paramgen_init(pctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_group_name(pctx, "modp_2048"), 1);
	ck_assert_int_eq(EVP_PKEY_paramgen(pctx, &ref), 1);
	EVP_PKEY_CTX_free(pctx);
	BIGNUM *p = NULL;
	ck_assert_int_eq(EVP_PKEY_get_bn_param(ref, OSSL_PKEY_PARAM_FFC_P, &p), 1);
	uint8_t pbytes[256];
	ck_assert_int_eq(BN_bn2binpad(p, pbytes, 256), 256);
	memset(v, 0, 256);
	expect_refused(dh, v, 256, IKE_CR_DH_RANGE);
	v[255] = 1;
	expect_refused(dh, v, 256, IKE_CR_DH_RANGE);
	memcpy(v, pbytes, 256);
	v[255] -= 1; /* p is odd: p - 1 */
	expect_refused(dh, v, 256, IKE_CR_DH_RANGE);
	v[255] += 1;
	expect_refused(dh, v, 256, IKE_CR_DH_RANGE);
	memset(v, 0xff, 256);
	expect_refused(dh, v, 256, IKE_CR_DH_RANGE);
	/* 2 is in range; the subgroup check (y^q = 1) decides, and for RFC
	 * 3526 group 14 the generator 2 is in the prime-order subgroup. */
	memset(v, 0, 256);
	v[255] = 2;
	uint8_t secret[IKE_DH_MAX];
	ck_assert_int_eq(ike_dh_compute(dh, v, 256, secret, sizeof(secret), NULL), 0);
	BN_free(p);
	EVP_PKEY_free(ref);
	ike_dh_free(dh);

	/* P-256: a point off the curve (y + 1), and (0, 0). */
	ck_assert_int_eq(ike_dh_new(&dh, XFORM_DH_ECP_256), 0);
	hx("dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
	   "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
	   v, sizeof(v));
	v[63] ^= 1;
	expect_refused(dh, v, 64, IKE_CR_DH_NOT_ON_CURVE);
	memset(v, 0, 64);
	expect_refused(dh, v, 64, IKE_CR_DH_NOT_ON_CURVE);
	ike_dh_free(dh);

	/* P-384: a P-256 sized value is the wrong length; garbage is off the curve. */
	ck_assert_int_eq(ike_dh_new(&dh, XFORM_DH_ECP_384), 0);
	memset(v, 0x5a, 96);
	expect_refused(dh, v, 96, IKE_CR_DH_NOT_ON_CURVE);
	expect_refused(dh, v, 64, IKE_CR_DH_LENGTH);
	ike_dh_free(dh);

	/* X25519 (RFC 8031 2.1): low-order points give an all-zero secret. */
	ck_assert_int_eq(ike_dh_new(&dh, XFORM_DH_CURVE25519), 0);
	memset(v, 0, 32);
	expect_refused(dh, v, 32, IKE_CR_DH_ZERO_SECRET);
	v[0] = 1;
	expect_refused(dh, v, 32, IKE_CR_DH_ZERO_SECRET);
	ike_dh_free(dh);
}
END_TEST

/* ---- SK payload ------------------------------------------------------- */

#define MSG_CAP 512

/* IKE header (IKE_AUTH from the original initiator, Message ID 1) | SK
 * generic header | room, with the final lengths; returns the message length
 * and sets *body_off. The inner payloads are `inner`. */
static size_t build_sk(struct ike_sk *sk, uint8_t *msg, const uint8_t *inner, size_t inner_len, size_t *body_off)
{
	size_t len = 28 + 4 + ike_sk_body_len(sk, inner_len);
	ck_assert_uint_le(len, MSG_CAP);
	memset(msg, 0xee, MSG_CAP);
	hx("0011223344556677 8899aabbccddeeff 2e 20 23 08 00000001", msg, 24);
	msg[24] = (uint8_t)(len >> 24);
	msg[25] = (uint8_t)(len >> 16);
	msg[26] = (uint8_t)(len >> 8);
	msg[27] = (uint8_t)len;
	msg[28] = 35; /* next payload: IDi */
	msg[29] = 0;
	msg[30] = (uint8_t)((len - 28) >> 8);
	msg[31] = (uint8_t)(len - 28);
	*body_off = 32;
	memcpy(msg + 32 + ike_sk_iv_len(sk), inner, inner_len);
	return len;
}

static const struct ike_suite sk_suites[] = {
	{ XFORM_ENCR_AES_GCM_16, 128, XFORM_INTEG_NONE, P256 },
	{ XFORM_ENCR_AES_GCM_16, 256, XFORM_INTEG_NONE, XFORM_PRF_HMAC_SHA2_384 },
	{ XFORM_ENCR_AES_CBC, 128, XFORM_INTEG_HMAC_SHA2_256_128, P256 },
	{ XFORM_ENCR_AES_CBC, 128, XFORM_INTEG_HMAC_SHA2_384_192, P256 },
	{ XFORM_ENCR_AES_CBC, 128, XFORM_INTEG_HMAC_SHA2_512_256, XFORM_PRF_HMAC_SHA2_512 },
	{ XFORM_ENCR_AES_CBC, 256, XFORM_INTEG_HMAC_SHA2_256_128, P256 },
	{ XFORM_ENCR_AES_CBC, 256, XFORM_INTEG_HMAC_SHA2_384_192, XFORM_PRF_HMAC_SHA2_384 },
	{ XFORM_ENCR_AES_CBC, 256, XFORM_INTEG_HMAC_SHA2_512_256, XFORM_PRF_HMAC_SHA2_512 },
};

static void open_expect(struct ike_sk *sk, uint8_t *msg, size_t len, int rc_want, enum ike_crypto_reason why_want)
{
	size_t off = 0, plen = 0;
	enum ike_crypto_reason why = IKE_CR_OK;
	ck_assert_int_eq(ike_sk_open(sk, msg, len, 32, &off, &plen, &why), rc_want);
	ck_assert_msg(why == why_want, "reason %s, want %s", ike_crypto_reason_name(why),
		      ike_crypto_reason_name(why_want));
}

START_TEST(sk_round_trip)
{
	const struct ike_suite *s = &sk_suites[_i];
	struct ike_keys k;
	e6_keys(&k, s);
	struct ike_sk *init, *resp;
	ck_assert_int_eq(ike_sk_new(&init, &k, true), 0);
	ck_assert_int_eq(ike_sk_new(&resp, &k, false), 0);
	bool gcm = s->encr == XFORM_ENCR_AES_GCM_16;
	ck_assert_uint_eq(ike_sk_iv_len(init), gcm ? 8 : 16);
	size_t icv_want = gcm ? 16 : s->integ == XFORM_INTEG_HMAC_SHA2_256_128 ? 16
				     : s->integ == XFORM_INTEG_HMAC_SHA2_384_192 ? 24
										 : 32;
	ck_assert_uint_eq(ike_sk_icv_len(init), icv_want);

	uint8_t inner[100], msg[MSG_CAP], saved[MSG_CAP];
	for (size_t i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)(i * 7 + 1);
	for (size_t n = 0; n <= sizeof(inner); n += 1) {
		size_t body_off, off = 0, plen = 0;
		size_t len = build_sk(init, msg, inner, n, &body_off);
		ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, n), 0);
		if (!gcm) /* R7296-3.14.a: minimal padding to whole blocks */
			ck_assert_uint_eq((len - body_off - 16 - icv_want) % 16, 0);
		if (n >= 16) /* actually encrypted */
			ck_assert(memcmp(msg + body_off + ike_sk_iv_len(init), inner, 16) != 0);
		memcpy(saved, msg, len);
		/* The initiator cannot open its own message: other key. */
		ck_assert_int_eq(ike_sk_open(init, msg, len, body_off, &off, &plen, NULL), M6E_AUTH);
		memcpy(msg, saved, len);
		ck_assert_int_eq(ike_sk_open(resp, msg, len, body_off, &off, &plen, NULL), 0);
		ck_assert_uint_eq(off, body_off + ike_sk_iv_len(init));
		tu_assert_mem_eq(msg + off, plen, inner, n);
	}

	/* And back, responder to initiator. */
	size_t body_off, off, plen;
	size_t len = build_sk(resp, msg, inner, 33, &body_off);
	ck_assert_int_eq(ike_sk_seal(resp, msg, len, body_off, 33), 0);
	ck_assert_int_eq(ike_sk_open(init, msg, len, body_off, &off, &plen, NULL), 0);
	tu_assert_mem_eq(msg + off, plen, inner, 33);

	/* Tampering with one bit anywhere is caught by the ICV. */
	len = build_sk(init, msg, inner, 40, &body_off);
	ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, 40), 0);
	memcpy(saved, msg, len);
	size_t icv_off = len - icv_want;
	const size_t flips[] = {
		body_off + ike_sk_iv_len(init) + 3, /* ciphertext */
		icv_off + 1, /* ICV */
		20, /* AAD: the Message ID */
		30, /* AAD: the SK payload length */
		body_off + 2, /* IV */
	};
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(msg, saved, len);
		msg[flips[i]] ^= 0x10;
		open_expect(resp, msg, len, M6E_AUTH, IKE_CR_SK_ICV);
	}
	/* Truncated: not even IV + ICV + Pad Length. */
	memcpy(msg, saved, len);
	open_expect(resp, msg, body_off + ike_sk_iv_len(init) + icv_want, M6E_INVAL, IKE_CR_SK_TRUNC);

	/* Wrong layouts are refused before anything is touched. */
	len = build_sk(init, msg, inner, 40, &body_off);
	ck_assert_int_eq(ike_sk_seal(init, msg, len - 1, body_off, 40), M6E_INVAL);
	ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, gcm ? 39 : 48), M6E_INVAL); /* CBC: 33..47 share a length */
	msg[27] ^= 1; /* IKE Length not final */
	ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, 40), M6E_INVAL);

	ike_sk_free(init);
	ike_sk_free(resp);
	ike_keys_wipe(&k);
}
END_TEST

/*
 * Derived SK vectors (E.6 keys, SPIs, IKE_AUTH Message ID 1, inner payload
 * 2900000c 01000000 c0000201). Computed by /usr/bin/python3 with
 * python3-cryptography (AESGCM; AES-CBC + hmac/hashlib SHA-256): an
 * implementation independent of ours.
 *   GCM-128: key|salt = SK_ei of the GCM suite, IV = counter 1, Pad Length 0.
 *   CBC-128 + HMAC-SHA2-256-128: SK_ei/SK_ai of the CBC suite, IV 00..0f,
 *   3 zero pad octets and Pad Length 3.
 */
static const char sk_gcm_vector[] =
	"00112233445566778899aabbccddeeff2e2023080000000100000045 23000029 0000000000000001"
	"6daa3c6bef54e2ba69cbd8084075313d832b35d3fef7449f9dad7db625";
static const char sk_cbc_vector[] =
	"00112233445566778899aabbccddeeff2e2023080000000100000050 23000034 000102030405060708090a0b0c0d0e0f"
	"952188a0e64fe09878a84f7cdfc1e53f 4bb05b3d46f107064e3bd4170a4fa8ef";
static const char sk_inner[] = "2900000c 01000000 c0000201";

START_TEST(sk_vectors)
{
	uint8_t msg[MSG_CAP], want[MSG_CAP], inner[12];
	hx(sk_inner, inner, sizeof(inner));
	size_t off, plen, body_off;

	/* GCM: our seal (first message: IV counter 1) is the vector exactly. */
	struct ike_keys k;
	e6_keys(&k, &suite_gcm128);
	struct ike_sk *init, *resp;
	ck_assert_int_eq(ike_sk_new(&init, &k, true), 0);
	ck_assert_int_eq(ike_sk_new(&resp, &k, false), 0);
	size_t wlen = hx(sk_gcm_vector, want, sizeof(want));
	corpus_save("sk_gcm", SEED_SK_GCM, want, wlen);
	size_t len = build_sk(init, msg, inner, 12, &body_off);
	ck_assert_uint_eq(len, wlen);
	ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, 12), 0);
	tu_assert_mem_eq(msg, len, want, wlen);
	ck_assert_int_eq(ike_sk_open(resp, want, wlen, 32, &off, &plen, NULL), 0);
	tu_assert_mem_eq(want + off, plen, inner, 12);
	/* The next message takes the next IV. */
	len = build_sk(init, msg, inner, 12, &body_off);
	ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, 12), 0);
	assert_hex(msg + body_off, 8, "0000000000000002");
	ike_sk_free(init);
	ike_sk_free(resp);
	ike_keys_wipe(&k);

	/* CBC: python's message opens to the inner payload. */
	e6_keys(&k, &suite_cbc128);
	ck_assert_int_eq(ike_sk_new(&resp, &k, false), 0);
	wlen = hx(sk_cbc_vector, want, sizeof(want));
	corpus_save("sk_cbc", SEED_SK_CBC, want, wlen);
	ck_assert_int_eq(ike_sk_open(resp, want, wlen, 32, &off, &plen, NULL), 0);
	ck_assert_uint_eq(off, 48);
	tu_assert_mem_eq(want + off, plen, inner, 12);
	/* A ciphertext that is not whole blocks. */
	hx(sk_cbc_vector, want, sizeof(want));
	open_expect(resp, want, wlen - 1, M6E_INVAL, IKE_CR_SK_ALIGN);
	ike_sk_free(resp);
	ike_keys_wipe(&k);
}
END_TEST

/* Every OpenSSL allocation is counted (the allocator is installed in main,
 * before OpenSSL allocates anything). */
static unsigned long ossl_allocs;

static void *counted_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	ossl_allocs++;
	return malloc(n);
}

static void *counted_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	ossl_allocs++;
	return realloc(p, n);
}

static void uncounted_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

/* The header's allocation contract: GCM messages allocate nothing, CBC
 * ones only OpenSSL 3.0's HMAC restart (2 per MAC, one MAC per seal or open). */
START_TEST(sk_allocations)
{
	const struct ike_suite *suites[] = { &suite_gcm128, &suite_cbc128 };
	const unsigned long per_msg_max[] = { 0, 2 };
	enum { N = 50 };
	for (size_t i = 0; i < 2; i++) {
		struct ike_keys k;
		e6_keys(&k, suites[i]);
		struct ike_sk *init, *resp;
		ck_assert_int_eq(ike_sk_new(&init, &k, true), 0);
		ck_assert_int_eq(ike_sk_new(&resp, &k, false), 0);
		uint8_t msg[MSG_CAP], inner[100] = { 1, 2, 3 };
		size_t body_off, off, plen;
		unsigned long seal_allocs = 0, open_allocs = 0;
		for (int n = 0; n <= N; n++) {
			size_t len = build_sk(init, msg, inner, sizeof(inner), &body_off);
			unsigned long a0 = ossl_allocs;
			ck_assert_int_eq(ike_sk_seal(init, msg, len, body_off, sizeof(inner)), 0);
			unsigned long a1 = ossl_allocs;
			ck_assert_int_eq(ike_sk_open(resp, msg, len, body_off, &off, &plen, NULL), 0);
			if (n > 0) { /* the first round may warm caches */
				seal_allocs += a1 - a0;
				open_allocs += ossl_allocs - a1;
			}
		}
		ck_assert_uint_le(seal_allocs, per_msg_max[i] * N);
		ck_assert_uint_le(open_allocs, per_msg_max[i] * N);
		ike_sk_free(init);
		ike_sk_free(resp);
		ike_keys_wipe(&k);
	}
}
END_TEST

/* A Pad Length that points before the ciphertext, with a valid ICV: only
 * an outside encryptor can make one, so the message is built with EVP. */
START_TEST(sk_bad_padding)
{
	struct ike_keys k;
	e6_keys(&k, &suite_cbc128);
	struct ike_sk *resp;
	ck_assert_int_eq(ike_sk_new(&resp, &k, false), 0);
	uint8_t msg[80];
	size_t len = 28 + 4 + 16 + 16 + 16;
	hx("0011223344556677 8899aabbccddeeff 2e 20 23 08 00000001 00000050 23000034", msg, 32);
	memset(msg + 32, 0x42, 16); /* IV */
	uint8_t *ct = msg + 48;
	memset(ct, 0, 16);
	ct[15] = 16; /* Pad Length 16 in a 16-octet ciphertext */
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0;
	ck_assert_int_eq(EVP_EncryptInit_ex2(c, EVP_aes_128_cbc(), k.sk_ei, msg + 32, NULL), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(c, ct, &outl, ct, 16), 1);
	EVP_CIPHER_CTX_free(c);
	uint8_t full[32];
	size_t got = 0;
	ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k.sk_ai, 32, msg, 64, full, 32, &got));
	memcpy(msg + 64, full, 16);
	open_expect(resp, msg, len, M6E_INVAL, IKE_CR_SK_PADDING);
	ike_sk_free(resp);
	ike_keys_wipe(&k);
}
END_TEST

/* ---- signatures and certificates --------------------------------------- */

static struct ike_pkey *to_ike_pkey(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL), 1);
	char *pem;
	long n = BIO_get_mem_data(b, &pem);
	struct ike_pkey *k = NULL;
	ck_assert_int_eq(ike_pkey_from_pem(&k, pem, (size_t)n), 0);
	BIO_free(b);
	return k;
}

static X509 *mk_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long from, long until,
		     bool ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), until);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	if (ca) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
		ck_assert_ptr_nonnull(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ck_assert_int_gt(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), 0);
	return x;
}

static struct ike_x509 *to_ike_x509(X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	struct ike_x509 *c = NULL;
	ck_assert_int_eq(ike_x509_from_der(&c, der, (size_t)n), 0);
	uint8_t back[4096];
	size_t blen = 0;
	ck_assert_int_eq(ike_x509_der(c, back, sizeof(back), &blen), 0);
	corpus_save("cert", SEED_CERT, der, (size_t)n);
	tu_assert_mem_eq(back, blen, der, (size_t)n);
	ck_assert_int_eq(ike_x509_der(c, back, (size_t)n - 1, &blen), M6E_NOSPACE);
	OPENSSL_free(der);
	return c;
}

static EVP_PKEY *rsa_key, *p256_key, *p384_key;

static void keys_setup(void)
{
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	p256_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ck_assert(rsa_key && p256_key && p384_key);
}

static void keys_teardown(void)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(p256_key);
	EVP_PKEY_free(p384_key);
}

static void so_make(struct ike_signed_octets *so, uint8_t *msg, uint8_t *nonce)
{
	for (int i = 0; i < 300; i++)
		msg[i] = (uint8_t)i;
	memset(nonce, 0x5c, 32);
	const uint8_t skp[32] = { 1 }, id[] = { 2, 0, 0, 0, 'h', 'a' };
	ck_assert_int_eq(ike_signed_octets_init(so, P256, msg, 300, nonce, 32, skp, 32, id, sizeof(id)), 0);
}

/* A private key and a certificate for its public half. */
struct signer {
	struct ike_pkey *k;
	X509 *x;
	struct ike_x509 *cert;
	const struct ike_pkey *pub;
};

static void signer_init(struct signer *s, EVP_PKEY *pk)
{
	s->k = to_ike_pkey(pk);
	s->x = mk_cert(pk, "signer", NULL, NULL, -60, 3600, false);
	s->cert = to_ike_x509(s->x);
	s->pub = ike_x509_pubkey(s->cert);
}

static void signer_fini(struct signer *s)
{
	ike_x509_free(s->cert);
	X509_free(s->x);
	ike_pkey_free(s->k);
}

/* Sign with key, verify with the public half taken from a certificate. */
static void sig_case(EVP_PKEY *pk, enum ike_sig_method method, enum ike_hash hash, size_t want_len)
{
	uint8_t msg[300], nonce[32], auth[1024];
	struct ike_signed_octets so;
	so_make(&so, msg, nonce);
	struct signer sg;
	signer_init(&sg, pk);
	struct ike_pkey *k = sg.k;
	const struct ike_pkey *pub = sg.pub;
	size_t len = 0;
	ck_assert_int_eq(ike_auth_sign(k, method, hash, &so, auth, sizeof(auth), &len), 0);
	if (method == IKE_SIG_DIGITAL && EVP_PKEY_is_a(pk, "RSA") && hash == IKE_HASH_SHA256)
		corpus_save("auth14_pkcs1", SEED_AUTH14, auth, len);
	if (method == IKE_SIG_ECDSA_P256)
		corpus_save("auth9", SEED_AUTH9, auth, len);
	if (want_len)
		ck_assert_uint_eq(len, want_len);
	ck_assert_int_eq(ike_auth_verify(pub, method, hash, &so, auth, len), 0);
	ck_assert_int_eq(ike_auth_verify(k, method, hash, &so, auth, len), 0);
	/* Another message, another signature byte: refused. */
	msg[17] ^= 1;
	ck_assert_int_eq(ike_auth_verify(pub, method, hash, &so, auth, len), M6E_AUTH);
	msg[17] ^= 1;
	auth[len - 1] ^= 1;
	ck_assert_int_eq(ike_auth_verify(pub, method, hash, &so, auth, len), M6E_AUTH);
	auth[len - 1] ^= 1;
	ck_assert_int_eq(ike_auth_verify(pub, method, hash, &so, auth, len - 1), M6E_AUTH);
	ck_assert_int_eq(ike_auth_sign(k, method, hash, &so, auth, 8, &len), M6E_NOSPACE);
	signer_fini(&sg);
}

START_TEST(sig_classic)
{
	sig_case(rsa_key, IKE_SIG_RSA, IKE_HASH_SHA256, 256);
	sig_case(rsa_key, IKE_SIG_RSA, IKE_HASH_SHA1, 256);
	/* RFC 4754 7: r | s, fixed length, not DER. */
	sig_case(p256_key, IKE_SIG_ECDSA_P256, IKE_HASH_SHA256, 64);
	sig_case(p384_key, IKE_SIG_ECDSA_P384, IKE_HASH_SHA384, 96);

	struct ike_pkey *rsa = to_ike_pkey(rsa_key), *p256 = to_ike_pkey(p256_key), *p384 = to_ike_pkey(p384_key);
	ck_assert_int_eq(ike_pkey_classic_method(rsa), IKE_SIG_RSA);
	ck_assert_int_eq(ike_pkey_classic_method(p256), IKE_SIG_ECDSA_P256);
	ck_assert_int_eq(ike_pkey_classic_method(p384), IKE_SIG_ECDSA_P384);
	uint8_t msg[300], nonce[32], auth[600];
	struct ike_signed_octets so;
	so_make(&so, msg, nonce);
	size_t len;
	/* Methods that do not fit the key. */
	ck_assert_int_eq(ike_auth_sign(p256, IKE_SIG_RSA, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len),
			 M6E_INVAL);
	ck_assert_int_eq(
		ike_auth_sign(p384, IKE_SIG_ECDSA_P256, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len),
		M6E_INVAL);
	ck_assert_int_eq(
		ike_auth_sign(rsa, (enum ike_sig_method)IKE_AUTH_PSK, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len),
		M6E_INVAL);
	/* Method 1 with SHA-256 does not verify as method 1 with SHA-1. */
	ck_assert_int_eq(ike_auth_sign(rsa, IKE_SIG_RSA, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len), 0);
	ck_assert_int_eq(ike_auth_verify(rsa, IKE_SIG_RSA, IKE_HASH_SHA1, &so, auth, len), M6E_AUTH);
	ike_pkey_free(rsa);
	ike_pkey_free(p256);
	ike_pkey_free(p384);
}
END_TEST

/* The AlgorithmIdentifier prefix we emit must be OpenSSL's DER for the OID. */
static void check_algid(const uint8_t *auth, int nid, bool null_param)
{
	X509_ALGOR *a = X509_ALGOR_new();
	X509_ALGOR_set0(a, OBJ_nid2obj(nid), null_param ? V_ASN1_NULL : V_ASN1_UNDEF, NULL);
	uint8_t *der = NULL;
	int n = i2d_X509_ALGOR(a, &der);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(auth[0], n);
	tu_assert_mem_eq(auth + 1, auth[0], der, (size_t)n);
	OPENSSL_free(der);
	X509_ALGOR_free(a);
}

START_TEST(sig_rfc7427)
{
	sig_case(rsa_key, IKE_SIG_DIGITAL, IKE_HASH_SHA256, 1 + 15 + 256);
	sig_case(rsa_key, IKE_SIG_DIGITAL, IKE_HASH_SHA512, 1 + 15 + 256);
	sig_case(p256_key, IKE_SIG_DIGITAL, IKE_HASH_SHA256, 0); /* DER: length varies */
	sig_case(p384_key, IKE_SIG_DIGITAL, IKE_HASH_SHA384, 0);

	uint8_t msg[300], nonce[32], auth[600];
	struct ike_signed_octets so;
	so_make(&so, msg, nonce);
	struct ike_pkey *rsa = to_ike_pkey(rsa_key), *p256 = to_ike_pkey(p256_key);
	size_t len;
	const struct {
		struct ike_pkey *k;
		enum ike_hash h;
		int nid;
		bool null_param;
	} ids[] = {
		{ rsa, IKE_HASH_SHA256, NID_sha256WithRSAEncryption, true },
		{ rsa, IKE_HASH_SHA384, NID_sha384WithRSAEncryption, true },
		{ rsa, IKE_HASH_SHA512, NID_sha512WithRSAEncryption, true },
		{ p256, IKE_HASH_SHA256, NID_ecdsa_with_SHA256, false },
		{ p256, IKE_HASH_SHA384, NID_ecdsa_with_SHA384, false },
		{ p256, IKE_HASH_SHA512, NID_ecdsa_with_SHA512, false },
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ck_assert_int_eq(ike_auth_sign(ids[i].k, IKE_SIG_DIGITAL, ids[i].h, &so, auth, sizeof(auth), &len),
				 0);
		check_algid(auth, ids[i].nid, ids[i].null_param);
	}
	/* R8247-3.2.a: never SHA-1 in method 14. */
	ck_assert_int_eq(ike_auth_sign(rsa, IKE_SIG_DIGITAL, IKE_HASH_SHA1, &so, auth, sizeof(auth), &len),
			 M6E_INVAL);
	/* An RSA AlgorithmIdentifier with an EC key, and an unknown one. */
	ck_assert_int_eq(ike_auth_sign(rsa, IKE_SIG_DIGITAL, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len), 0);
	ck_assert_int_eq(ike_auth_verify(p256, IKE_SIG_DIGITAL, 0, &so, auth, len), M6E_INVAL);
	auth[13] ^= 0x07; /* OID ...1.1.11 -> 1.1.12 is another known one: signature then fails */
	ck_assert_int_eq(ike_auth_verify(rsa, IKE_SIG_DIGITAL, 0, &so, auth, len), M6E_AUTH);
	auth[13] = 0x05; /* sha1WithRSAEncryption: not ours */
	ck_assert_int_eq(ike_auth_verify(rsa, IKE_SIG_DIGITAL, 0, &so, auth, len), M6E_AUTH);
	auth[0] = 200; /* length beyond the data */
	ck_assert_int_eq(ike_auth_verify(rsa, IKE_SIG_DIGITAL, 0, &so, auth, 100), M6E_AUTH);
	ike_pkey_free(rsa);
	ike_pkey_free(p256);
}
END_TEST

/* Authentication Data for method 14 made outside ike_crypto: RSASSA-PSS
 * over the signed octets with md, MGF1 md and salt_len, prefixed with the
 * AlgorithmIdentifier OpenSSL writes for it. */
static size_t pss_outside(const struct ike_signed_octets *so, const char *md, int salt_len, uint8_t *auth,
			  size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, rsa_key, NULL), 1);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, (char *)"pss", 0),
		OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, (char *)md, 0),
		OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt_len),
		OSSL_PARAM_construct_end(),
	};
	ck_assert_int_eq(EVP_PKEY_CTX_set_params(pctx, params), 1);
	OSSL_PARAM aid[] = {
		OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, auth + 1, 200),
		OSSL_PARAM_construct_end(),
	};
	ck_assert_int_eq(EVP_PKEY_CTX_get_params(pctx, aid), 1);
	auth[0] = (uint8_t)aid[0].return_size;
	size_t hdr = 1 + aid[0].return_size, sig_len = cap - hdr;
	ck_assert_int_eq(EVP_DigestSignUpdate(ctx, so->msg, so->msg_len), 1);
	ck_assert_int_eq(EVP_DigestSignUpdate(ctx, so->nonce, so->nonce_len), 1);
	ck_assert_int_eq(EVP_DigestSignUpdate(ctx, so->maced_id, so->maced_id_len), 1);
	ck_assert_int_eq(EVP_DigestSignFinal(ctx, auth + hdr, &sig_len), 1);
	EVP_MD_CTX_free(ctx);
	return hdr + sig_len;
}

START_TEST(sig_rsa_pss)
{
	uint8_t msg[300], nonce[32], auth[600];
	struct ike_signed_octets so;
	so_make(&so, msg, nonce);
	struct signer sg;
	signer_init(&sg, rsa_key);
	struct ike_pkey *k = sg.k;
	const struct ike_pkey *pub = sg.pub;
	ike_pkey_set_rsa_pss(k, true);
	const enum ike_hash hashes[] = { IKE_HASH_SHA256, IKE_HASH_SHA384, IKE_HASH_SHA512 };
	const int md_nids[] = { NID_sha256, NID_sha384, NID_sha512 };
	for (size_t i = 0; i < 3; i++) {
		size_t len = 0;
		ck_assert_int_eq(ike_auth_sign(k, IKE_SIG_DIGITAL, hashes[i], &so, auth, sizeof(auth), &len), 0);
		/* RFC 4055 parameters with the hash we asked for. */
		const uint8_t *p = auth + 1;
		X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, auth[0]);
		ck_assert_ptr_nonnull(alg);
		ck_assert_int_eq(OBJ_obj2nid(alg->algorithm), NID_rsassaPss);
		RSA_PSS_PARAMS *pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
		ck_assert_ptr_nonnull(pss);
		ck_assert_int_eq(OBJ_obj2nid(pss->hashAlgorithm->algorithm), md_nids[i]);
		RSA_PSS_PARAMS_free(pss);
		X509_ALGOR_free(alg);
		ck_assert_uint_eq(len, 1u + auth[0] + 256);
		ck_assert_int_eq(ike_auth_verify(pub, IKE_SIG_DIGITAL, 0, &so, auth, len), 0);
		msg[3] ^= 1;
		ck_assert_int_eq(ike_auth_verify(pub, IKE_SIG_DIGITAL, 0, &so, auth, len), M6E_AUTH);
		msg[3] ^= 1;
	}
	ck_assert_int_eq(ike_auth_sign(k, IKE_SIG_DIGITAL, IKE_HASH_SHA1, &so, auth, sizeof(auth), &(size_t){ 0 }),
			 M6E_INVAL);

	/* Made outside: any salt length is read from the parameters... */
	size_t len = pss_outside(&so, "SHA256", 20, auth, sizeof(auth));
	corpus_save("auth14_pss", SEED_AUTH14, auth, len);
	ck_assert_int_eq(ike_auth_verify(pub, IKE_SIG_DIGITAL, 0, &so, auth, len), 0);
	len = pss_outside(&so, "SHA512", 0, auth, sizeof(auth));
	ck_assert_int_eq(ike_auth_verify(pub, IKE_SIG_DIGITAL, 0, &so, auth, len), 0);
	/* ...but PSS over SHA-1 is refused (R8247-3.2.a). */
	len = pss_outside(&so, "SHA1", 20, auth, sizeof(auth));
	ck_assert_int_eq(ike_auth_verify(pub, IKE_SIG_DIGITAL, 0, &so, auth, len), M6E_AUTH);
	signer_fini(&sg);
}
END_TEST

START_TEST(cert_chains)
{
	EVP_PKEY *ca_key = p384_key, *other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *ca = mk_cert(ca_key, "mip6sec test CA", NULL, NULL, -86400, 86400, true);
	X509 *sub = mk_cert(rsa_key, "mip6sec sub CA", ca, ca_key, -86400, 86400, true);
	X509 *leaf = mk_cert(p256_key, "ha.example.com", sub, rsa_key, -60, 3600, false);
	X509 *old = mk_cert(p256_key, "old.example.com", sub, rsa_key, -7200, -3600, false);
	X509 *other = mk_cert(other_key, "other CA", NULL, NULL, -3600, 86400, true);
	X509 *stranger = mk_cert(p256_key, "stranger", other, other_key, -60, 3600, false);
	struct ike_x509 *c_ca = to_ike_x509(ca), *c_sub = to_ike_x509(sub), *c_leaf = to_ike_x509(leaf),
			*c_old = to_ike_x509(old), *c_other = to_ike_x509(other), *c_stranger = to_ike_x509(stranger);
	struct ike_castore *store;
	ck_assert_int_eq(ike_castore_new(&store), 0);
	ck_assert_int_eq(ike_castore_add(store, c_ca), 0);
	char why[128];
	const struct ike_x509 *chain[] = { c_sub };

	ck_assert_int_eq(ike_x509_verify_chain(store, c_leaf, chain, 1, 0, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	/* Without the intermediate there is no path. */
	ck_assert_int_eq(ike_x509_verify_chain(store, c_leaf, NULL, 0, 0, why, sizeof(why)), M6E_AUTH);
	ck_assert_msg(strstr(why, "local issuer") != NULL, "%s", why);
	/* Expired. */
	ck_assert_int_eq(ike_x509_verify_chain(store, c_old, chain, 1, 0, why, sizeof(why)), M6E_AUTH);
	ck_assert_msg(strstr(why, "expired") != NULL, "%s", why);
	/* ...but valid at a time inside its validity. */
	ck_assert_int_eq(ike_x509_verify_chain(store, c_old, chain, 1, time(NULL) - 5400, why, sizeof(why)), 0);
	/* Signed by a CA we do not trust. */
	ck_assert_int_eq(ike_x509_verify_chain(store, c_stranger, NULL, 0, 0, why, sizeof(why)), M6E_AUTH);
	ck_assert_msg(strstr(why, "local issuer") != NULL, "%s", why);
	/* A store trusting the other CA takes it. */
	struct ike_castore *store2;
	ck_assert_int_eq(ike_castore_new(&store2), 0);
	ck_assert_int_eq(ike_castore_add(store2, c_other), 0);
	ck_assert_int_eq(ike_x509_verify_chain(store2, c_stranger, NULL, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(ike_x509_verify_chain(store2, c_leaf, chain, 1, 0, NULL, 0), M6E_AUTH);

	/* PEM file loading for both. */
	char dir[] = "/tmp/test_ike_crypto.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char ca_path[64], key_path[64];
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	FILE *f = fopen(ca_path, "w");
	PEM_write_X509(f, ca);
	fclose(f);
	f = fopen(key_path, "w");
	PEM_write_PrivateKey(f, p256_key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	struct ike_castore *store3;
	struct ike_x509 *c_file;
	struct ike_pkey *k_file;
	ck_assert_int_eq(ike_castore_new(&store3), 0);
	ck_assert_int_eq(ike_castore_add_pem(store3, ca_path), 0);
	ck_assert_int_eq(ike_x509_verify_chain(store3, c_leaf, chain, 1, 0, NULL, 0), 0);
	ck_assert_int_eq(ike_x509_load_pem(&c_file, ca_path), 0);
	ck_assert_int_eq(ike_pkey_load_pem(&k_file, key_path), 0);
	ck_assert_int_eq(ike_pkey_classic_method(k_file), IKE_SIG_ECDSA_P256);
	/* The leaf's key signs, the leaf certificate's public key verifies. */
	uint8_t msg[300], nonce[32], auth[200];
	struct ike_signed_octets so;
	so_make(&so, msg, nonce);
	size_t len;
	ck_assert_int_eq(
		ike_auth_sign(k_file, IKE_SIG_ECDSA_P256, IKE_HASH_SHA256, &so, auth, sizeof(auth), &len), 0);
	ck_assert_int_eq(ike_auth_verify(ike_x509_pubkey(c_leaf), IKE_SIG_ECDSA_P256, IKE_HASH_SHA256, &so,
					 auth, len),
			 0);
	ck_assert_int_eq(ike_auth_verify(ike_x509_pubkey(c_stranger), IKE_SIG_ECDSA_P256, IKE_HASH_SHA256, &so,
					 auth, len),
			 0); /* same key, different certificate */
	ck_assert_int_eq(ike_auth_verify(ike_x509_pubkey(c_ca), IKE_SIG_ECDSA_P384, IKE_HASH_SHA384, &so,
					 auth, len),
			 M6E_AUTH);
	remove(ca_path);
	remove(key_path);
	rmdir(dir);

	uint8_t junk[4] = { 0x30, 0x02, 0x01, 0x00 };
	struct ike_x509 *bad;
	ck_assert_int_eq(ike_x509_from_der(&bad, junk, sizeof(junk)), M6E_INVAL);

	ike_x509_free(c_file);
	ike_pkey_free(k_file);
	ike_castore_free(store);
	ike_castore_free(store2);
	ike_castore_free(store3);
	struct ike_x509 *all[] = { c_ca, c_sub, c_leaf, c_old, c_other, c_stranger };
	for (size_t i = 0; i < 6; i++)
		ike_x509_free(all[i]);
	X509 *xs[] = { ca, sub, leaf, old, other, stranger };
	for (size_t i = 0; i < 6; i++)
		X509_free(xs[i]);
	EVP_PKEY_free(other_key);
}
END_TEST

/* IDs a certificate vouches for (R7296-3.5.a) and CERTREQ hashes. */
START_TEST(cert_ids)
{
	X509 *x = mk_cert(p256_key, "ha.example.com", NULL, NULL, -60, 3600, false);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
						  "DNS:ha.example.com,email:mn1@example.com,IP:2001:db8:1::1,IP:192.0.2.1");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, p256_key, EVP_sha256()), 0);
	X509 *plain = mk_cert(p256_key, "ha.example.com", NULL, NULL, -60, 3600, false); /* CN only */
	struct ike_x509 *c = to_ike_x509(x), *c_plain = to_ike_x509(plain);

	const char *fqdn = "ha.example.com", *upper = "HA.Example.COM", *other = "hb.example.com";
	ck_assert(ike_x509_has_id(c, IKE_ID_FQDN, (const uint8_t *)fqdn, strlen(fqdn)));
	ck_assert(ike_x509_has_id(c, IKE_ID_FQDN, (const uint8_t *)upper, strlen(upper)));
	ck_assert(!ike_x509_has_id(c, IKE_ID_FQDN, (const uint8_t *)other, strlen(other)));
	/* A CN is not a subjectAltName. */
	ck_assert(!ike_x509_has_id(c_plain, IKE_ID_FQDN, (const uint8_t *)fqdn, strlen(fqdn)));
	const char *mail = "mn1@example.com", *mail2 = "mn2@example.com";
	ck_assert(ike_x509_has_id(c, IKE_ID_RFC822_ADDR, (const uint8_t *)mail, strlen(mail)));
	ck_assert(!ike_x509_has_id(c, IKE_ID_RFC822_ADDR, (const uint8_t *)mail2, strlen(mail2)));
	ck_assert(!ike_x509_has_id(c, IKE_ID_FQDN, (const uint8_t *)mail, strlen(mail)));
	uint8_t ip6[16], ip4[4] = { 192, 0, 2, 1 };
	hx("20010db8000100000000000000000001", ip6, 16);
	ck_assert(ike_x509_has_id(c, IKE_ID_IPV6_ADDR, ip6, 16));
	ck_assert(ike_x509_has_id(c, IKE_ID_IPV4_ADDR, ip4, 4));
	ck_assert(!ike_x509_has_id(c, IKE_ID_IPV4_ADDR, ip6, 16)); /* length of the type */
	ip6[15] = 2;
	ck_assert(!ike_x509_has_id(c, IKE_ID_IPV6_ADDR, ip6, 16));

	/* ID_DER_ASN1_DN: the subject, as we encode it and as OpenSSL does. */
	uint8_t dn[256], *der = NULL;
	size_t dn_len = 0;
	ck_assert_int_eq(ike_x509_subject(c, dn, sizeof(dn), &dn_len), 0);
	int n = i2d_X509_NAME(X509_get_subject_name(x), &der);
	tu_assert_mem_eq(dn, dn_len, der, (size_t)n);
	OPENSSL_free(der);
	ck_assert(ike_x509_has_id(c, IKE_ID_DER_ASN1_DN, dn, dn_len));
	ck_assert(ike_x509_has_id(c_plain, IKE_ID_DER_ASN1_DN, dn, dn_len)); /* same subject */
	ck_assert(!ike_x509_has_id(c, IKE_ID_DER_ASN1_DN, dn, dn_len - 1));
	ck_assert_int_eq(ike_x509_subject(c, dn, 4, &dn_len), M6E_NOSPACE);
	ck_assert(!ike_x509_has_id(c, IKE_ID_KEY_ID, (const uint8_t *)fqdn, strlen(fqdn)));

	/* CERTREQ: SHA-1 over the DER SubjectPublicKeyInfo, one per trusted CA. */
	uint8_t h[IKE_NATD_LEN], want[IKE_NATD_LEN], list[100];
	ck_assert_int_eq(ike_x509_spki_sha1(c, h), 0);
	der = NULL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	ck_assert_int_eq(EVP_Q_digest(NULL, "SHA1", NULL, der, (size_t)n, want, NULL), 1);
	OPENSSL_free(der);
	tu_assert_mem_eq(h, sizeof(h), want, sizeof(want));
	X509 *ca2 = mk_cert(rsa_key, "second CA", NULL, NULL, -60, 3600, true);
	struct ike_x509 *c_ca2 = to_ike_x509(ca2);
	struct ike_castore *store;
	size_t list_len = 0;
	ck_assert_int_eq(ike_castore_new(&store), 0);
	ck_assert_int_eq(ike_castore_certreq(store, list, sizeof(list), &list_len), 0);
	ck_assert_uint_eq(list_len, 0);
	ck_assert_int_eq(ike_castore_add(store, c), 0);
	ck_assert_int_eq(ike_castore_add(store, c_ca2), 0);
	ck_assert_int_eq(ike_castore_certreq(store, list, sizeof(list), &list_len), 0);
	ck_assert_uint_eq(list_len, 40);
	ck_assert(memcmp(list, h, 20) == 0 || memcmp(list + 20, h, 20) == 0);
	ck_assert_int_eq(ike_castore_certreq(store, list, 39, &list_len), M6E_NOSPACE);

	ike_castore_free(store);
	ike_x509_free(c);
	ike_x509_free(c_plain);
	ike_x509_free(c_ca2);
	X509_free(x);
	X509_free(plain);
	X509_free(ca2);
}
END_TEST

/* ---- cookies, tie-break ------------------------------------------------ */

START_TEST(cookies)
{
	struct ike_cookie_secrets s = { 0 };
	ck_assert_int_eq(ike_cookie_rotate(&s), 0);
	ck_assert(!s.have_prev);
	uint8_t ni[32], ip[16], spii[8], c1[IKE_COOKIE_LEN], c2[IKE_COOKIE_LEN];
	memset(ni, 0x11, sizeof(ni));
	memset(ip, 0x20, sizeof(ip));
	memset(spii, 0x33, sizeof(spii));
	ck_assert_int_eq(ike_cookie_make(&s, ni, 32, ip, 16, spii, c1), 0);
	ck_assert(ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	ip[15] ^= 1; /* another initiator address */
	ck_assert(!ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	ip[15] ^= 1;
	ck_assert(!ike_cookie_check(&s, ni, 31, ip, 16, spii, c1, sizeof(c1)));
	ck_assert(!ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1) - 1));
	c1[5] ^= 1;
	ck_assert(!ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	c1[5] ^= 1;

	/* After one rotation the old cookie still passes, after two it does not. */
	ck_assert_int_eq(ike_cookie_rotate(&s), 0);
	ck_assert(s.have_prev);
	ck_assert_int_eq(ike_cookie_make(&s, ni, 32, ip, 16, spii, c2), 0);
	ck_assert(memcmp(c1, c2, sizeof(c1)) != 0);
	ck_assert(ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	ck_assert(ike_cookie_check(&s, ni, 32, ip, 16, spii, c2, sizeof(c2)));
	ck_assert_int_eq(ike_cookie_rotate(&s), 0);
	ck_assert(!ike_cookie_check(&s, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	ck_assert(ike_cookie_check(&s, ni, 32, ip, 16, spii, c2, sizeof(c2)));
	ike_cookie_wipe(&s);

	/* Secrets from the caller: a known secret gives a known cookie,
	 * version | HMAC-SHA-256(secret, Ni | IP | SPIi). */
	struct ike_cookie_secrets t = { 0 };
	uint8_t secret[IKE_COOKIE_SECRET_LEN], buf[32 + 16 + 8], want[IKE_COOKIE_LEN];
	memset(secret, 0x77, sizeof(secret));
	ike_cookie_set(&t, secret);
	ck_assert(!t.have_prev);
	ck_assert_int_eq(ike_cookie_make(&t, ni, 32, ip, 16, spii, c1), 0);
	memcpy(buf, ni, 32);
	memcpy(buf + 32, ip, 16);
	memcpy(buf + 48, spii, 8);
	want[0] = t.version;
	ck_assert_ptr_nonnull(
		EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, sizeof(secret), buf, sizeof(buf), want + 1, 32, NULL));
	tu_assert_mem_eq(c1, sizeof(c1), want, sizeof(want));
	secret[0] ^= 1;
	ike_cookie_set(&t, secret);
	ck_assert(t.have_prev);
	ck_assert(ike_cookie_check(&t, ni, 32, ip, 16, spii, c1, sizeof(c1)));
	ike_cookie_wipe(&t);
}
END_TEST

START_TEST(rekey_tie_break)
{
	const uint8_t a[] = { 0x10, 0x20 }, a_long[] = { 0x10, 0x20, 0x00 }, b[] = { 0x10, 0x21 },
		      c[] = { 0x90 }, d[] = { 0xa0, 0x00, 0x00 };
	ck_assert_int_lt(ike_nonce_cmp(a, 2, b, 2), 0);
	ck_assert_int_gt(ike_nonce_cmp(b, 2, a, 2), 0);
	ck_assert_int_eq(ike_nonce_cmp(a, 2, a, 2), 0);
	/* A proper prefix is lower (R7296-2.8.1.a). */
	ck_assert_int_lt(ike_nonce_cmp(a, 2, a_long, 3), 0);
	ck_assert_int_gt(ike_nonce_cmp(a_long, 3, a, 2), 0);
	/* Octets first, not length. */
	ck_assert_int_lt(ike_nonce_cmp(c, 1, d, 3), 0);

	/* Our exchange holds the lowest nonce (our responder's): we lose. */
	ck_assert(ike_rekey_we_lose(c, 1, a, 2, b, 2, d, 3));
	ck_assert(!ike_rekey_we_lose(b, 2, d, 3, c, 1, a, 2));
	ck_assert(!ike_rekey_we_lose(a_long, 3, d, 3, a, 2, c, 1));
	ck_assert(ike_rekey_we_lose(a, 2, d, 3, a_long, 3, c, 1));
}
END_TEST

START_TEST(reason_names)
{
	ck_assert_str_eq(ike_crypto_reason_name(IKE_CR_SK_ICV), "SK integrity check failed");
	ck_assert_str_eq(ike_crypto_reason_name(IKE_CR_DH_ZERO_SECRET), "X25519 shared secret all zero");
	ck_assert_str_eq(ike_crypto_reason_name((enum ike_crypto_reason)99), "unknown");
}
END_TEST

static Suite *ike_crypto_suite(void)
{
	Suite *s = suite_create("ike_crypto");
	TCase *tc = tcase_create("kdf");
	tcase_add_test(tc, prf_rfc4231);
	tcase_add_test(tc, prf_plus_blocks);
	tcase_add_test(tc, kdf_cavs);
	tcase_add_test(tc, key_split_e6);
	tcase_add_test(tc, suites_and_support);
	tcase_add_test(tc, psk_auth_e7);
	tcase_add_test(tc, natd_e5);
	tcase_add_test(tc, cookies);
	tcase_add_test(tc, rekey_tie_break);
	tcase_add_test(tc, reason_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("dh");
	tcase_add_test(tc, dh_rfc5903_p256);
	tcase_add_test(tc, dh_rfc8031_x25519);
	tcase_add_loop_test(tc, dh_round_trip, 0, (int)(sizeof(all_groups) / sizeof(all_groups[0])));
	tcase_add_test(tc, dh_invalid_peers);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("sk");
	tcase_add_loop_test(tc, sk_round_trip, 0, (int)(sizeof(sk_suites) / sizeof(sk_suites[0])));
	tcase_add_test(tc, sk_vectors);
	tcase_add_test(tc, sk_bad_padding);
	tcase_add_test(tc, sk_allocations);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_unchecked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, sig_classic);
	tcase_add_test(tc, sig_rfc7427);
	tcase_add_test(tc, sig_rsa_pss);
	tcase_add_test(tc, cert_chains);
	tcase_add_test(tc, cert_ids);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!CRYPTO_set_mem_functions(counted_malloc, counted_realloc, uncounted_free))
		return 1;
	return tu_run_suite(ike_crypto_suite());
}
