/*
 * Certificate authentication (src/ike/ikeauth.c through src/ike/ikesa.c):
 * credentials, the AUTH methods and hashes chosen, chains and identities
 * checked, and two engines completing IKE_AUTH with certificates, the test
 * PKI made at run time (tests/unit/certgen.h, certpair.h).
 */
#include <string.h>

#include "certpair.h"
#include "ike/ikesa_crypto.h"
#include "testutil.h"

/* Up with certificates, each side using and seeing method. */
static void assert_up(uint8_t method)
{
	cp_assert_up();
	ck_assert_uint_eq(ikesa_our_auth_method(mn()->sa), method);
	ck_assert_uint_eq(ikesa_our_auth_method(ha()->sa), method);
	ck_assert_uint_eq(ikesa_peer_auth_method(mn()->sa), method);
	ck_assert_uint_eq(ikesa_peer_auth_method(ha()->sa), method);
}

/* The HA refused the MN's AUTH for why and said so (AUTHENTICATION_FAILED,
 * R7296-2.21.a): both SAs closed, neither ever up. */
static void assert_ha_refused(enum ikeauth_fail why)
{
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_fail(ha()->sa), why);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_AUTH_FAILED);
	ck_assert_uint_eq(mn()->n_ike_up + ha()->n_ike_up, 0);
}

/* ---- credentials ---- */

START_TEST(cred_load)
{
	struct ikeauth_cred *c = cp_cred("p256-mn", "p256-ha");
	ck_assert_ptr_nonnull(c);
	ck_assert(ikeauth_cred_can_sign(c) && ikeauth_cred_has_ca(c));
	ck_assert_uint_eq(ikeauth_cred_chain_len(c), 2); /* end entity + intermediate */
	uint8_t type = 0, dn[IKESA_ID_MAX];
	size_t dn_len = 0;
	ck_assert_int_eq(ikeauth_cred_id(c, &type, dn, sizeof(dn), &dn_len), 0);
	ck_assert_uint_eq(type, IKE_ID_DER_ASN1_DN);
	ck_assert_uint_eq(dn[0], 0x30); /* a DER SEQUENCE */
	ikeauth_cred_free(c);

	/* A key that is not the certificate's, files that are not there. */
	char err[256];
	ck_assert_int_ne(ikeauth_cred_load(cp_path("p256-mn", ".crt"), cp_path("p256-ha", ".key"),
					   cp_path("p256-ha", "-ca.crt"), &c, err, sizeof(err)),
			 0);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "not the key"));
	ck_assert_int_ne(ikeauth_cred_load(cp_path("none", ".crt"), cp_path("p256-mn", ".key"), NULL, &c, err,
					   sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "cannot read"));
	ck_assert_int_ne(ikeauth_cred_load(cp_path("p256-mn", ".crt"), NULL, NULL, &c, err, sizeof(err)), 0);
	/* A key file is not a certificate. */
	ck_assert_int_ne(ikeauth_cred_load(cp_path("p256-mn", ".key"), cp_path("p256-mn", ".key"), NULL, &c, err,
					   sizeof(err)),
			 0);
	ck_assert_ptr_nonnull(strstr(err, "no certificate"));
	/* CAs only: verify, never sign. */
	ck_assert_int_eq(ikeauth_cred_load(NULL, NULL, cp_path("p256-ha", "-ca.crt"), &c, err, sizeof(err)), 0);
	ck_assert(!ikeauth_cred_can_sign(c) && ikeauth_cred_has_ca(c));
	ikeauth_cred_free(c);
}
END_TEST

/* ---- the signature step on its own (methods without RFC 7427 too) ---- */

/* A chain of CERT payloads for cred's certificates plus ID and AUTH, parsed
 * back: what the peer would receive. */
struct peer_msg {
	uint8_t buf[IKESA_MSG_BIG];
	struct ike_chain c;
	struct ike_id id;
	struct ike_auth a;
};

static void build_peer_msg(struct peer_msg *pm, const struct ikeauth_cred *c, uint8_t id_type, const char *id,
			   uint8_t method, const uint8_t *auth, size_t auth_len)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t len = 0;
	wbuf_init(&w, pm->buf, sizeof(pm->buf));
	ike_build_inner_begin(&b, &w);
	ike_build_id(&b, IKE_PL_IDI, id_type, id, strlen(id));
	ikeauth_build_certs(c, &b);
	ike_build_auth(&b, method, auth, auth_len);
	ck_assert_int_eq(ike_build_inner_end(&b, &first, &len), 0);
	ck_assert_int_eq(ike_parse_chain(first, pm->buf, len, true, &pm->c, NULL), 0);
	ck_assert_int_eq(ike_parse_id(&pm->c.pl[0], &pm->id, NULL), 0);
	ck_assert_int_eq(ike_parse_auth(&pm->c.pl[pm->c.n - 1], &pm->a, NULL), 0);
}

static const uint8_t octets_msg[] = "the IKE_SA_INIT request stands in here";
static const uint8_t octets_nonce[32] = { 1, 2, 3 };

static void test_octets(struct ike_signed_octets *so, const char *id)
{
	uint8_t body[64] = { IKE_ID_RFC822_ADDR, 0, 0, 0 };
	uint8_t skp[32];
	memset(skp, 0x11, sizeof(skp));
	memcpy(body + 4, id, strlen(id));
	ck_assert_int_eq(ike_signed_octets_init(so, XFORM_PRF_HMAC_SHA2_256, octets_msg, sizeof(octets_msg),
						octets_nonce, sizeof(octets_nonce), skp, sizeof(skp), body,
						4 + strlen(id)),
			 0);
}

/* What verifier makes of signer's certificates, the ID mn1@example.net and
 * signer's AUTH (its classic method) over test octets: ikeauth_verify_peer(). */
static int verify_signed_by(const struct ikeauth_cred *verifier, const struct ikeauth_cred *signer,
			    enum ikeauth_fail *why, char *reason, size_t reason_cap)
{
	struct ike_signed_octets so;
	uint8_t auth[IKEAUTH_SIG_MAX], method = 0;
	size_t auth_len = 0;
	static struct peer_msg pm;
	test_octets(&so, "mn1@example.net");
	ck_assert_int_eq(ikeauth_sign(signer, false, 0, &so, &method, auth, sizeof(auth), &auth_len), 0);
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	return ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, why, reason, reason_cap);
}

static const struct {
	const char *chain;
	bool hashes_ok;
	unsigned peer_hashes;
	uint8_t method;
} sign_cases[] = {
	/* No SIGNATURE_HASH_ALGORITHMS exchanged: the key's classic method. */
	{ "rsa2048-mn", false, 0, IKE_AUTH_RSA_SIG },
	{ "p256-mn", false, 0, IKE_AUTH_ECDSA_256 },
	{ "p384-mn", false, 0, IKE_AUTH_ECDSA_384 },
	/* Exchanged: RFC 7427 with a hash the peer listed (R7427-3.a). */
	{ "rsa3072-mn", true, IKEAUTH_HASH_BIT(IKE_HASH_SHA256), IKE_AUTH_DIGITAL_SIG },
	{ "rsa2048-mn", true, IKEAUTH_HASH_BIT(IKE_HASH_SHA512), IKE_AUTH_DIGITAL_SIG },
	{ "p384-mn", true, IKEAUTH_HASH_BIT(IKE_HASH_SHA384) | IKEAUTH_HASH_BIT(IKE_HASH_SHA256),
	  IKE_AUTH_DIGITAL_SIG },
	/* Only SHA-1 listed: never method 14 with it (R8247-3.2.a). */
	{ "p256-mn", true, IKEAUTH_HASH_BIT(IKE_HASH_SHA1), IKE_AUTH_ECDSA_256 },
};

START_TEST(sign_and_verify)
{
	struct ikeauth_cred *signer = cp_cred(sign_cases[_i].chain, "rsa2048-ha");
	const char *alg = sign_cases[_i].chain;
	char ca[32];
	snprintf(ca, sizeof(ca), "%.*s-ha", (int)(strchr(alg, '-') - alg), alg);
	struct ikeauth_cred *verifier = cp_cred("p256-ha", ca);
	ck_assert_ptr_nonnull(signer);
	ck_assert_ptr_nonnull(verifier);
	struct ike_signed_octets so;
	test_octets(&so, "mn1@example.net");
	uint8_t auth[IKEAUTH_SIG_MAX], method = 0;
	size_t auth_len = 0;
	ck_assert_int_eq(ikeauth_sign(signer, sign_cases[_i].hashes_ok, sign_cases[_i].peer_hashes, &so, &method, auth,
				      sizeof(auth), &auth_len),
			 0);
	ck_assert_uint_eq(method, sign_cases[_i].method);
	if (method == IKE_AUTH_DIGITAL_SIG) /* R7427-3.a: length octet, then an AlgorithmIdentifier SEQUENCE */
		ck_assert(auth[0] > 0 && auth[0] < auth_len && auth[1] == 0x30);
	static struct peer_msg pm;
	enum ikeauth_fail why = IKEAUTH_FAIL_COUNT;
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), 0);
	ck_assert_int_eq(why, IKEAUTH_OK);

	/* Tampered AUTH data: SIGNATURE. */
	auth[auth_len - 3] ^= 0x40;
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_SIGNATURE);
	auth[auth_len - 3] ^= 0x40;

	/* Other signed octets (another ID in them): SIGNATURE. */
	struct ike_signed_octets other;
	test_octets(&other, "mn2@example.net");
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &other, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_SIGNATURE);

	/* An ID the certificate does not state: ID. */
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn2@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_ID);

	/* PSK method with certificates: METHOD. */
	build_peer_msg(&pm, signer, IKE_ID_RFC822_ADDR, "mn1@example.net", IKE_AUTH_PSK, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_METHOD);
	ikeauth_cred_free(signer);
	ikeauth_cred_free(verifier);
}
END_TEST

START_TEST(verify_refusals)
{
	struct ikeauth_cred *signer = cp_cred("evil-mn", "p256-ha"), *verifier = cp_cred("p256-ha", "p256-ha");
	struct ikeauth_cred *expired = cp_cred("exp-mn", "p256-ha"), *no_ca = NULL;
	ck_assert_ptr_nonnull(signer);
	ck_assert_ptr_nonnull(verifier);
	ck_assert_ptr_nonnull(expired);
	struct ike_signed_octets so;
	test_octets(&so, "mn1@example.net");
	uint8_t auth[IKEAUTH_SIG_MAX], method = 0;
	size_t auth_len = 0;
	static struct peer_msg pm;
	enum ikeauth_fail why = IKEAUTH_OK;
	char reason[128];

	/* Another root: the chain is not trusted. */
	ck_assert_int_eq(verify_signed_by(verifier, signer, &why, reason, sizeof(reason)), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_CHAIN);
	ck_assert_ptr_nonnull(strstr(reason, "issuer"));

	/* Expired end entity. */
	ck_assert_int_eq(ikeauth_sign(expired, false, 0, &so, &method, auth, sizeof(auth), &auth_len), 0);
	build_peer_msg(&pm, expired, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, reason, sizeof(reason)),
			 M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_CHAIN);
	ck_assert_ptr_nonnull(strstr(reason, "expired"));
	/* ... which was valid a week ago (the cred's verification time). */
	ikeauth_cred_set_verify_time(verifier, time(NULL) - 7 * CG_DAY);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), 0);
	ikeauth_cred_set_verify_time(verifier, 0);

	/* No CERT at all; no CA to check against. */
	build_peer_msg(&pm, NULL, IKE_ID_RFC822_ADDR, "mn1@example.net", method, auth, auth_len);
	ck_assert_int_eq(ikeauth_verify_peer(verifier, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_NO_CERT);
	ck_assert_int_eq(ikeauth_cred_load(cp_path("p256-mn", ".crt"), cp_path("p256-mn", ".key"), NULL, &no_ca, NULL,
					   0),
			 0);
	ck_assert_int_eq(ikeauth_verify_peer(no_ca, &pm.c, &pm.id, &pm.a, &so, &why, NULL, 0), M6E_AUTH);
	ck_assert_int_eq(why, IKEAUTH_NO_CA);
	ikeauth_cred_free(no_ca);
	ikeauth_cred_free(signer);
	ikeauth_cred_free(verifier);
	ikeauth_cred_free(expired);
}
END_TEST

/* ---- two engines ---- */

static const char *const engine_algs[] = { "rsa2048", "rsa3072", "p256", "p384" };

/* IKE_AUTH with certificates both ways for each key type: method 14, both
 * sent SIGNATURE_HASH_ALGORITHMS (R7427-3.a); FQDN (HA) and RFC822 (MN) IDs. */
START_TEST(engines_per_alg)
{
	char mnc[32], hac[32];
	snprintf(mnc, sizeof(mnc), "%s-mn", engine_algs[_i]);
	snprintf(hac, sizeof(hac), "%s-ha", engine_algs[_i]);
	cp_use_creds(mnc, hac, hac, hac);
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	assert_up(IKE_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(ikesa_peer_id(ha()->sa)->type, IKE_ID_RFC822_ADDR);
	ck_assert_uint_eq(ikesa_peer_id(mn()->sa)->type, IKE_ID_FQDN);
}
END_TEST

/* The responder's IKE_SA_INIT response carries CERTREQ with the SHA-1 of
 * its CA's SubjectPublicKeyInfo (R7296-3.7) and SIGNATURE_HASH_ALGORITHMS. */
START_TEST(certreq_in_init)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	struct pair_dgram d;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	struct ike_msg m;
	ck_assert_int_eq(ike_parse_msg(d.b, d.len, &m, NULL), 0);
	struct ike_notify n;
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n), 0);
	ck_assert_uint_eq(n.data.len, 6);
	ck_assert_int_lt(ike_chain_find(&m.chain, IKE_PL_CERTREQ, 0), 0); /* the initiator's goes in IKE_AUTH */
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(ike_parse_msg(d.b, d.len, &m, NULL), 0);
	int i = ike_chain_find(&m.chain, IKE_PL_CERTREQ, 0);
	ck_assert_int_ge(i, 0);
	struct ike_cert cr;
	ck_assert_int_eq(ike_parse_cert(&m.chain.pl[i], &cr, NULL), 0);
	ck_assert_uint_eq(cr.encoding, IKE_CERT_X509_SIG);
	struct ike_x509 *root = NULL;
	uint8_t spki[20];
	ck_assert_int_eq(ike_x509_load_pem(&root, cp_path("p256-ha", "-ca.crt")), 0);
	ck_assert_int_eq(ike_x509_spki_sha1(root, spki), 0);
	tu_assert_mem_eq(cr.data.ptr, cr.data.len, spki, sizeof(spki));
	ike_x509_free(root);
	ck_assert_int_eq(ike_chain_find_notify(&m.chain, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n), 0);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, d.b, d.len), 0);
	cp_run(&cp_ctx, 5000);
	assert_up(IKE_AUTH_DIGITAL_SIG);
}
END_TEST

/* Each ID type checked against the certificate: IPV6_ADDR (iPAddress) and,
 * with no configured ID, DER_ASN1_DN (the subject) on both sides. */
START_TEST(engines_id_types)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	struct in6_addr hoa = pair_addr(5, 1, 0x100);
	cp_ctx.params[PAIR_MN].local_id.type = IKE_ID_IPV6_ADDR;
	cp_ctx.params[PAIR_MN].local_id.len = 16;
	memcpy(cp_ctx.params[PAIR_MN].local_id.data, hoa.s6_addr, 16);
	memset(&cp_ctx.params[PAIR_HA].local_id, 0, sizeof(cp_ctx.params[PAIR_HA].local_id));
	memset(&cp_ctx.params[PAIR_MN].remote_id, 0, sizeof(cp_ctx.params[PAIR_MN].remote_id));
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	assert_up(IKE_AUTH_DIGITAL_SIG);
	ck_assert_uint_eq(ikesa_peer_id(ha()->sa)->type, IKE_ID_IPV6_ADDR);
	ck_assert_uint_eq(ikesa_peer_id(mn()->sa)->type, IKE_ID_DER_ASN1_DN);
	/* The DN the MN saw is the HA certificate's subject. */
	uint8_t type = 0, dn[IKESA_ID_MAX];
	size_t dn_len = 0;
	ck_assert_int_eq(ikeauth_cred_id(cp_creds[PAIR_HA], &type, dn, sizeof(dn), &dn_len), 0);
	tu_assert_mem_eq(ikesa_peer_id(mn()->sa)->data, ikesa_peer_id(mn()->sa)->len, dn, dn_len);
}
END_TEST

/* The MN claims an ID its certificate does not state: the HA answers
 * AUTHENTICATION_FAILED and both SAs go down. */
START_TEST(engines_id_not_in_cert)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	pair_id(&cp_ctx.params[PAIR_MN].local_id, IKE_ID_FQDN, "other.example.net");
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	assert_ha_refused(IKEAUTH_ID);
}
END_TEST

/* Responder refuses an initiator whose root it does not trust; initiator
 * refuses a responder under a root it does not trust; an expired
 * certificate is refused. */
START_TEST(engines_wrong_ca_responder)
{
	cp_use_creds("evil-mn", "p256-ha", "p256-ha", "p256-ha");
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_fail(ha()->sa), IKEAUTH_CHAIN);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_AUTH_FAILED);
}
END_TEST

START_TEST(engines_wrong_ca_initiator)
{
	cp_use_creds("p256-mn", "p256-ha", "evil-ha", "p256-ha");
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	/* The HA accepted the MN; the MN refuses the HA's chain and says so
	 * in an INFORMATIONAL (RFC 7296 2.21.2): the HA's SA goes too. */
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_fail(mn()->sa), IKEAUTH_CHAIN);
	ck_assert_uint_eq(mn()->n_ike_up, 0);
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_PEER_AUTH_FAILED);
}
END_TEST

START_TEST(engines_expired)
{
	cp_use_creds("exp-mn", "p256-ha", "p256-ha", "p256-ha");
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_fail(ha()->sa), IKEAUTH_CHAIN);
}
END_TEST

/* Open the MN's sealed IKE_AUTH request with the SA's keys (the debug
 * dump), flip a bit of the signature inside AUTH, seal it again: the SK
 * verifies, the signature does not -> AUTHENTICATION_FAILED. */
static void tamper_auth(struct pair_dgram *d)
{
	struct ikesa_sk_dump k;
	struct ike_keys keys;
	struct ike_sk *rx = NULL, *tx = NULL;
	struct ike_msg m;
	ck_assert_int_eq(ikesa_debug_sk_dump(mn()->sa, &k), 0);
	memset(&keys, 0, sizeof(keys));
	keys.suite = (struct ike_suite){ k.suite.encr, k.suite.key_bits, k.suite.integ, k.suite.prf };
	keys.encr_len = k.encr_len;
	keys.integ_len = k.integ_len;
	memcpy(keys.sk_ei, k.sk_ei, k.encr_len);
	memcpy(keys.sk_er, k.sk_er, k.encr_len);
	memcpy(keys.sk_ai, k.sk_ai, k.integ_len);
	memcpy(keys.sk_ar, k.sk_ar, k.integ_len);
	ck_assert_int_eq(ike_sk_new(&rx, &keys, false), 0);
	ck_assert_int_eq(ike_sk_new(&tx, &keys, true), 0);
	ck_assert_int_eq(ike_parse_msg(d->b, d->len, &m, NULL), 0);
	ck_assert_int_eq(m.chain.sk_type, IKE_PL_SK);
	size_t body_off = m.chain.pl[m.chain.n - 1].offset + IKE_PL_HDR_LEN, plain_off = 0, plain_len = 0;
	ck_assert_int_eq(ike_sk_open(rx, d->b, d->len, body_off, &plain_off, &plain_len, NULL), 0);
	struct ike_chain c;
	ck_assert_int_eq(ike_parse_chain(m.chain.inner_first, d->b + plain_off, plain_len, true, &c, NULL), 0);
	int i = ike_chain_find(&c, IKE_PL_AUTH, 0);
	ck_assert_int_ge(i, 0);
	d->b[plain_off + c.pl[i].offset + IKE_PL_HDR_LEN + c.pl[i].body.len - 1] ^= 0x01;
	ck_assert_int_eq(ike_sk_seal(tx, d->b, d->len, body_off, plain_len), 0);
	ike_sk_free(rx);
	ike_sk_free(tx);
}

START_TEST(engines_tampered_auth)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	cp_ctx.params[PAIR_MN].fragment_size = IKESA_MSG_MAX; /* one SK payload to open */
	struct pair_dgram d;
	cp_init_exchange();
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0); /* IKE_AUTH request, sealed */
	tamper_auth(&d);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	cp_run(&cp_ctx, 5000);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_fail(ha()->sa), IKEAUTH_SIGNATURE);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->drop[IKESA_DROP_SK], 0); /* the SK itself verified */
}
END_TEST

/* R7383-2.4.a: no fragments unless both announced support. The HA's
 * IKEV2_FRAGMENTATION_SUPPORTED is turned into an unknown status notify on
 * its way to the MN: the MN sends its IKE_AUTH request (over 1200 octets
 * with the P-256 chain) whole, and drops the HA's fragmented response
 * (the HA saw the MN's announcement). */
START_TEST(engines_frag_not_negotiated)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	struct pair_dgram d;
	struct ike_msg m;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(ike_parse_msg(d.b, d.len, &m, NULL), 0);
	bool found = false;
	for (unsigned i = 0; i < m.chain.n; i++) {
		struct ike_notify n;
		if (m.chain.pl[i].type == IKE_PL_NOTIFY && ike_parse_notify(&m.chain.pl[i], &n, NULL) == 0 &&
		    n.type == IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) {
			size_t at = m.chain.pl[i].offset + IKE_PL_HDR_LEN + 2; /* Protocol ID, SPI Size, type */
			d.b[at] = 0x9c; /* 40000: a status type nobody knows */
			d.b[at + 1] = 0x40;
			found = true;
		}
	}
	ck_assert(found);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, d.b, d.len), 0);
	ck_assert(!ikesa_peer_fragmentation(mn()->sa));
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_uint_gt(d.len, FRAG_SIZE_DEFAULT); /* whole, not fragmented */
	ck_assert_uint_eq(cp_ctx.n, 0);
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->sent, 0);
	/* The HA takes it whole and answers in fragments, which the MN drops. */
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_uint_gt(ikesa_frag_stats(ha()->sa)->sent, 1);
	unsigned n = cp_ctx.n;
	pair_pump(&cp_ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->drop[IKESA_DROP_FRAG], n);
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->stored, 0);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_AUTH_SENT);
}
END_TEST

/* A PSK for the peer keeps PSK AUTH both ways even with a cred. */
START_TEST(engines_psk_wins)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	mn()->psk_len = ha()->psk_len = 32;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	assert_up(IKE_AUTH_PSK);
}
END_TEST

/* Certificates one way, PSK expected the other: the HA has a PSK for the
 * MN, the MN signs: refused (the PSK decides the method for that peer). */
START_TEST(engines_method_mismatch)
{
	cp_use_creds("p256-mn", "p256-ha", "p256-ha", "p256-ha");
	ha()->psk_len = 32;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(ikesa_peer_auth_method(ha()->sa), IKE_AUTH_DIGITAL_SIG);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_AUTH_FAILED);
}
END_TEST

/* ---- the end entity's keyUsage (RFC 4945 5.1.3.2) ---- */

/* MN end entities straight under p256-ha's root, differing only in
 * keyUsage (NULL: no extension): cg_cert's certificate with its keyUsage
 * replaced, then signed again. */
static const struct {
	const char *chain, *key_usage;
	bool accepted;
} ku_cases[] = {
	{ "ku-enc-mn", "critical,keyEncipherment", false },
	{ "ku-sig-mn", "critical,digitalSignature", true },
	{ "ku-nr-mn", "critical,nonRepudiation", true },
	{ "ku-none-mn", NULL, true },
};

static int ku_chain(const char *name, const char *key_usage)
{
	FILE *f = fopen(cp_path("p256-ha", "-ca.crt"), "r");
	X509 *root = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	f = fopen(cp_path("p256-ha", "-ca.key"), "r");
	EVP_PKEY *root_key = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	EVP_PKEY *key = cg_key(CG_P256);
	X509 *x = root != NULL && root_key != NULL && key != NULL
			  ? cg_cert(key, "mn1.example.net", root, root_key, false, -CG_DAY, 365 * CG_DAY, CP_MN_SAN)
			  : NULL;
	int rc = x != NULL ? 0 : -1;
	int at = rc == 0 ? X509_get_ext_by_NID(x, NID_key_usage, -1) : -1;
	if (at >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, at));
	else
		rc = -1;
	if (rc == 0 && key_usage != NULL)
		rc = cg_ext(x, root, NID_key_usage, key_usage);
	if (rc == 0 && X509_sign(x, root_key, EVP_sha256()) <= 0)
		rc = -1;
	if (rc == 0)
		rc = cg_write_certs(cp_path(name, ".crt"), &x, 1);
	if (rc == 0)
		rc = cg_write_key(cp_path(name, ".key"), key);
	X509_free(x);
	X509_free(root);
	EVP_PKEY_free(key);
	EVP_PKEY_free(root_key);
	return rc;
}

/* For tcase_add_unchecked_fixture(), after cp_make_pki_or_abort. */
static void ku_make_or_abort(void)
{
	for (size_t i = 0; i < sizeof(ku_cases) / sizeof(ku_cases[0]); i++)
		if (ku_chain(ku_cases[i].chain, ku_cases[i].key_usage) != 0)
			ck_abort_msg("keyUsage certificate %s not made", ku_cases[i].chain);
}

/* The signature step: a chain the CA trusts, an ID it states, a signature
 * that verifies, and still refused when keyUsage forbids signing. */
START_TEST(verify_key_usage)
{
	struct ikeauth_cred *signer = cp_cred(ku_cases[_i].chain, "p256-ha");
	struct ikeauth_cred *verifier = cp_cred("p256-ha", "p256-ha");
	ck_assert(signer != NULL && verifier != NULL);
	enum ikeauth_fail why = IKEAUTH_FAIL_COUNT;
	ck_assert_int_eq(verify_signed_by(verifier, signer, &why, NULL, 0), ku_cases[_i].accepted ? 0 : M6E_AUTH);
	ck_assert_int_eq(why, ku_cases[_i].accepted ? IKEAUTH_OK : IKEAUTH_KEY_USAGE);
	ikeauth_cred_free(signer);
	ikeauth_cred_free(verifier);
}
END_TEST

/* Two engines: the HA answers an MN whose certificate may not sign with
 * AUTHENTICATION_FAILED (R7296-2.21.a) and both SAs go; the others come up. */
START_TEST(engines_key_usage)
{
	cp_use_creds(ku_cases[_i].chain, "p256-ha", "p256-ha", "p256-ha");
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	cp_run(&cp_ctx, 5000);
	if (ku_cases[_i].accepted) {
		assert_up(IKE_AUTH_DIGITAL_SIG);
		return;
	}
	assert_ha_refused(IKEAUTH_KEY_USAGE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ikeauth");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, cp_make_pki_or_abort, cp_remove_pki);
	tcase_add_unchecked_fixture(tc, ku_make_or_abort, NULL);
	tcase_add_checked_fixture(tc, cp_setup, cp_teardown);
	tcase_add_test(tc, cred_load);
	tcase_add_loop_test(tc, sign_and_verify, 0, (int)(sizeof(sign_cases) / sizeof(sign_cases[0])));
	tcase_add_test(tc, verify_refusals);
	tcase_add_loop_test(tc, engines_per_alg, 0, (int)(sizeof(engine_algs) / sizeof(engine_algs[0])));
	tcase_add_test(tc, certreq_in_init);
	tcase_add_test(tc, engines_id_types);
	tcase_add_test(tc, engines_id_not_in_cert);
	tcase_add_test(tc, engines_wrong_ca_responder);
	tcase_add_test(tc, engines_wrong_ca_initiator);
	tcase_add_test(tc, engines_expired);
	tcase_add_test(tc, engines_tampered_auth);
	tcase_add_test(tc, engines_frag_not_negotiated);
	tcase_add_test(tc, engines_psk_wins);
	tcase_add_test(tc, engines_method_mismatch);
	tcase_add_loop_test(tc, verify_key_usage, 0, (int)(sizeof(ku_cases) / sizeof(ku_cases[0])));
	tcase_add_loop_test(tc, engines_key_usage, 0, (int)(sizeof(ku_cases) / sizeof(ku_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(suite());
}
