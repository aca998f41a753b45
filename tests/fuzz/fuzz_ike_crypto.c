/*
 * libFuzzer target for what src/crypto/ike_crypto.c and ike_sig.c read from
 * a peer: SK payloads (ike_sk_open), KE data (ike_dh_compute), AUTH data
 * (ike_auth_verify, including the RFC 7427 AlgorithmIdentifier and RSASSA-PSS
 * parameters) and certificates (ike_x509_from_der).
 *
 * The first octet picks the reader, the rest is its input:
 *   0 / 1   an IKE message: IKE header, SK generic header, then the SK body
 *           from offset 32 (AES-GCM-128 / AES-CBC-128 + HMAC-SHA2-256-128
 *           with the E.6 keys, opened on the responder side)
 *   2..5    KE data for groups 14, 19, 20, 31
 *   6 / 7   AUTH data, method 14 under an RSA key / method 9 under a P-256 key
 *   8       a DER certificate
 * Verdicts must be consistent: a reason exactly when refused for the peer's
 * input, plaintext inside the message. Keys are made once per process.
 * Seeds: tests/unit/test_ike_crypto with IKE_CRYPTO_CORPUS set.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "crypto/ike_crypto.h"
#include "crypto/xform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned groups[] = { XFORM_DH_MODP_2048, XFORM_DH_ECP_256, XFORM_DH_ECP_384, XFORM_DH_CURVE25519 };

static struct {
	struct ike_sk *sk[2];
	struct ike_dh *dh[4];
	struct ike_pkey *rsa, *p256;
} st;

static struct ike_pkey *gen_key(EVP_PKEY *pk)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	struct ike_pkey *k = NULL;
	if (!pk || !b || PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	long n = BIO_get_mem_data(b, &pem);
	if (ike_pkey_from_pem(&k, pem, (size_t)n) != 0)
		abort();
	BIO_free(b);
	EVP_PKEY_free(pk);
	return k;
}

static void setup(void)
{
	/* test-vectors.md E.6: the same keys the unit test's SK vectors use. */
	static const uint8_t ni[32] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
					0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
					0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f };
	uint8_t nr[32], gir[32], skeyseed[32];
	for (int i = 0; i < 32; i++) {
		nr[i] = (uint8_t)(0x30 + i);
		gir[i] = (uint8_t)(0x80 + i);
	}
	static const uint8_t spii[8] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
	static const uint8_t spir[8] = { 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	const struct ike_suite suites[2] = {
		{ XFORM_ENCR_AES_GCM_16, 128, XFORM_INTEG_NONE, XFORM_PRF_HMAC_SHA2_256 },
		{ XFORM_ENCR_AES_CBC, 128, XFORM_INTEG_HMAC_SHA2_256_128, XFORM_PRF_HMAC_SHA2_256 },
	};
	if (ike_skeyseed(XFORM_PRF_HMAC_SHA2_256, ni, 32, nr, 32, gir, 32, skeyseed) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		struct ike_keys k;
		if (ike_keys_derive(&k, &suites[i], skeyseed, 32, ni, 32, nr, 32, spii, spir) != 0 ||
		    ike_sk_new(&st.sk[i], &k, false) != 0)
			abort();
		ike_keys_wipe(&k);
	}
	for (int i = 0; i < 4; i++)
		if (ike_dh_new(&st.dh[i], groups[i]) != 0)
			abort();
	st.rsa = gen_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
	st.p256 = gen_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
}

static void sk_open(struct ike_sk *sk, const uint8_t *data, size_t size)
{
	uint8_t msg[4096];
	if (size > sizeof(msg))
		return;
	memcpy(msg, data, size);
	size_t body_off = size < 32 ? size : 32, off = 0, len = 0;
	enum ike_crypto_reason why = IKE_CR_OK;
	int rc = ike_sk_open(sk, msg, size, body_off, &off, &len, &why);
	if (rc == 0 && (why != IKE_CR_OK || off != body_off + ike_sk_iv_len(sk) || off + len > size))
		abort();
	if ((rc == M6E_AUTH) != (why == IKE_CR_SK_ICV))
		abort();
	if (rc == M6E_INVAL && why == IKE_CR_OK)
		abort();
}

static void dh(struct ike_dh *d, const uint8_t *data, size_t size)
{
	uint8_t secret[IKE_DH_MAX];
	enum ike_crypto_reason why = IKE_CR_OK;
	int rc = ike_dh_compute(d, data, size, secret, sizeof(secret), &why);
	if ((rc == 0 && why != IKE_CR_OK) || (rc == M6E_INVAL && why == IKE_CR_OK))
		abort();
	if (rc == 0 && size != ike_dh_public_len(ike_dh_group(d)))
		abort();
}

static void auth(const struct ike_pkey *k, enum ike_sig_method m, const uint8_t *data, size_t size)
{
	static const uint8_t msg[28] = { 1 }, nonce[16] = { 2 }, sk_p[32] = { 3 }, id[8] = { 2 };
	struct ike_signed_octets so;
	if (ike_signed_octets_init(&so, XFORM_PRF_HMAC_SHA2_256, msg, sizeof(msg), nonce, sizeof(nonce), sk_p,
				   sizeof(sk_p), id, sizeof(id)) != 0)
		abort();
	int rc = ike_auth_verify(k, m, IKE_HASH_SHA256, &so, data, size);
	if (rc != M6E_AUTH && rc != M6E_INVAL && rc != 0)
		abort();
}

static void cert(const uint8_t *data, size_t size)
{
	struct ike_x509 *c = NULL;
	if (ike_x509_from_der(&c, data, size) != 0)
		return;
	uint8_t der[8192];
	size_t len = 0;
	int rc = ike_x509_der(c, der, sizeof(der), &len);
	if ((rc == 0 && len == 0) || ike_x509_pubkey(c) == NULL)
		abort();
	ike_x509_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st.sk[0])
		setup();
	if (size < 1)
		return 0;
	unsigned op = data[0] % 9;
	data++;
	size--;
	switch (op) {
	case 0:
	case 1:
		sk_open(st.sk[op], data, size);
		break;
	case 2:
	case 3:
	case 4:
	case 5:
		dh(st.dh[op - 2], data, size);
		break;
	case 6:
		auth(st.rsa, IKE_SIG_DIGITAL, data, size);
		break;
	case 7:
		auth(st.p256, IKE_SIG_ECDSA_P256, data, size);
		break;
	default:
		cert(data, size);
		break;
	}
	return 0;
}
