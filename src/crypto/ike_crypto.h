/*
 * ike_crypto: the cryptography of IKEv2 (RFC 7296) behind one small
 * interface, all of it OpenSSL 3 EVP (algorithms.md 1, 2, 5-8):
 *
 *   PRF and prf+            HMAC-SHA2-256/384/512 (and HMAC-SHA1 for KDF vectors)
 *   key schedule            SKEYSEED, SK_* split, IKE SA rekey, CHILD_SA KEYMAT
 *   Diffie-Hellman          groups 14, 19, 20, 31 with peer value validation
 *   AUTH                    PSK (Key Pad for IKEv2), RSA/ECDSA signatures, RFC 7427
 *   certificates            X.509 chain validation against configured CAs
 *   NAT detection, cookies, the SK payload, the rekey collision tie-break
 *
 * Transform numbers are the IANA values of crypto/xform.h (wire-formats.md J).
 * ike_crypto.c implements everything but keys, signatures and certificates,
 * which are in ike_sig.c.
 *
 * Allocation: ike_dh_new*, ike_sk_new, ike_pkey_*, ike_x509_*, ike_castore_*
 * allocate (free with the matching _free). ike_prf, ike_prf_plus and the key
 * schedule create one EVP_MAC context inside OpenSSL per call (key exchange
 * time, never per packet); signatures and chain checks allocate inside
 * OpenSSL. ike_sk_seal/ike_sk_open allocate nothing themselves; with the
 * AES-CBC suites OpenSSL 3.0 copies the keyed HMAC state at each restart
 * (2 allocations inside libcrypto per message, see crypto/aead.c).
 */
#ifndef M6_CRYPTO_IKE_CRYPTO_H
#define M6_CRYPTO_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IKE_SPI_LEN 8
#define IKE_PRF_MAX 64 /* PRF_HMAC_SHA2_512 output and preferred key length */
#define IKE_NONCE_MAX 256
#define IKE_NATD_LEN 20 /* SHA-1 */
#define IKE_DH_MAX 256 /* largest KE data and shared secret: MODP 2048 */
#define IKE_SK_KEY_MAX 64 /* largest SK_a* (HMAC-SHA2-512) or SK_e* (AES-256 + salt) */
#define IKE_SK_MAX_IV 16
#define IKE_SK_MAX_ICV 32
#define IKE_COOKIE_LEN 33 /* version octet + HMAC-SHA-256 */

/* Reasons a peer's input is refused, for counters and rate-limited logs. */
enum ike_crypto_reason {
	IKE_CR_OK = 0,
	IKE_CR_DH_LENGTH, /* KE data not the group's exact length (R7296-3.4.a) */
	IKE_CR_DH_RANGE, /* MODP value not in 2..p-2 (R6989-2.3.a) */
	IKE_CR_DH_NOT_ON_CURVE, /* ECP point off the curve (R6989-2.3.a) */
	IKE_CR_DH_ZERO_SECRET, /* X25519 all-zero output (RFC 8031 2.1) */
	IKE_CR_SK_TRUNC, /* SK payload shorter than IV + ICV + pad length */
	IKE_CR_SK_ALIGN, /* CBC ciphertext not a whole number of blocks */
	IKE_CR_SK_ICV, /* integrity check failed: drop, never act on it */
	IKE_CR_SK_PADDING, /* Pad Length points before the ciphertext */
};
const char *ike_crypto_reason_name(enum ike_crypto_reason r);

/*
 * Proposal support (RFC 8247 MUST/SHOULD set): ENCR_AES_GCM_16 and
 * ENCR_AES_CBC with 128 or 256 bits, PRF_HMAC_SHA2_256/384/512,
 * AUTH_HMAC_SHA2_256_128/384_192/512_256, DH 14/19/20/31, ESN 0/1. key_bits
 * is the Key Length attribute (0 = absent; required for ENCR). Anything else
 * false, INTEG NONE included: whether a proposal may omit integrity is
 * ike_suite_valid()'s question (GCM only).
 */
bool ike_crypto_supported(unsigned xform_type, unsigned id, unsigned key_bits);

/* ---- PRF (RFC 7296 2.13, RFC 4868) ------------------------------------ */

/* Output length (= preferred key length) of a PRF transform, 0 if unknown.
 * PRF_HMAC_SHA1 is computable (KDF vectors) but not negotiable. */
size_t ike_prf_len(unsigned prf);
/* out receives ike_prf_len(prf) octets. 0, M6E_INVAL, M6E_IO. */
int ike_prf(unsigned prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
	    uint8_t *out);
/* prf+(key, seed), first out_len octets; R7296-2.13: at most 255 blocks
 * (M6E_RANGE beyond). */
int ike_prf_plus(unsigned prf, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len,
		 uint8_t *out, size_t out_len);

/* ---- IKE SA keys (RFC 7296 2.14, 2.18; RFC 5282 7.1) ------------------- */

struct ike_suite {
	unsigned encr; /* XFORM_ENCR_AES_CBC or XFORM_ENCR_AES_GCM_16 */
	unsigned key_bits; /* 128 or 256 */
	unsigned integ; /* XFORM_INTEG_HMAC_SHA2_*; XFORM_INTEG_NONE with GCM */
	unsigned prf; /* XFORM_PRF_HMAC_SHA2_* */
};

/* Keys of one IKE SA. Plain struct to embed; ike_keys_wipe() when done.
 * sk_ei/sk_er hold the AES key followed by the 4-octet salt for GCM. */
struct ike_keys {
	struct ike_suite suite;
	size_t prf_len; /* SK_d, SK_pi, SK_pr */
	size_t integ_len; /* SK_ai, SK_ar: 0 for GCM */
	size_t encr_len; /* SK_ei, SK_er */
	uint8_t sk_d[IKE_PRF_MAX], sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
	uint8_t sk_ai[IKE_SK_KEY_MAX], sk_ar[IKE_SK_KEY_MAX];
	uint8_t sk_ei[IKE_SK_KEY_MAX], sk_er[IKE_SK_KEY_MAX];
};

/* true if every transform of s is supported and consistent (GCM without
 * integrity, CBC with one: R7296-3.3.a, R7296-5.a). */
bool ike_suite_valid(const struct ike_suite *s);
/* SKEYSEED = prf(Ni | Nr, g^ir); out receives ike_prf_len(prf) octets. */
int ike_skeyseed(unsigned prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out);
/* Rekey (R7296-2.18.a): SKEYSEED = prf_old(SK_d(old), g^ir(new) | Ni | Nr). */
int ike_skeyseed_rekey(unsigned old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len, const uint8_t *gir,
		       size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		       uint8_t *out);
/* {SK_d|SK_ai|SK_ar|SK_ei|SK_er|SK_pi|SK_pr} = prf+(SKEYSEED, Ni|Nr|SPIi|SPIr)
 * with the lengths of R7296-2.13.a. 0, M6E_INVAL (bad suite), M6E_IO. */
int ike_keys_derive(struct ike_keys *k, const struct ike_suite *s, const uint8_t *skeyseed, size_t skeyseed_len,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN]);
void ike_keys_wipe(struct ike_keys *k);

/*
 * CHILD_SA KEYMAT = prf+(SK_d, [g^ir(new) |] Ni | Nr) (R7296-2.17.a); gir may
 * be NULL (no PFS). i2r receives the first dir_len octets (the SA carrying
 * traffic from the initiator of the creating exchange), r2i the next
 * dir_len. With dir_len = aead_keymat_len(alg) each half is exactly the
 * keymat aead_new() wants: encryption key then integrity key, or key then salt.
 */
int ike_child_keymat(unsigned prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir, size_t gir_len,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, size_t dir_len,
		     uint8_t *i2r, uint8_t *r2i);

/* ---- Diffie-Hellman (RFC 7296 3.4, RFC 3526, RFC 5903, RFC 8031) ------- */

struct ike_dh; /* our key pair for one exchange; wiped on free */

/* KE data length (MODP: 256; P-256: 64 = x|y; P-384: 96; X25519: 32) and
 * shared secret length (256, 32, 48, 32); 0 for an unsupported group. */
size_t ike_dh_public_len(unsigned group);
size_t ike_dh_secret_len(unsigned group);
/* Fresh key pair. 0, M6E_UNSUPP (group), M6E_NOMEM, M6E_IO. */
int ike_dh_new(struct ike_dh **out, unsigned group);
/* Key pair from a fixed private value, for known-answer tests only: P-256 /
 * P-384 take the big-endian scalar, X25519 the 32-octet private key. */
int ike_dh_new_fixed(struct ike_dh **out, unsigned group, const uint8_t *priv, size_t priv_len);
void ike_dh_free(struct ike_dh *dh);
unsigned ike_dh_group(const struct ike_dh *dh);
/* Our KE data: out receives exactly ike_dh_public_len() octets (cap >=). */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap);
/*
 * g^ir from the peer's KE data after validating it (R6989-2.3.a, R8031-2.a,
 * R5903-7.a). secret receives ike_dh_secret_len() octets: MODP left-padded to
 * the prime, ECP the x coordinate, X25519 as is. 0; M6E_INVAL with *why set
 * for a value the peer must not send (R6989-2.5.a says what to do then);
 * M6E_IO. why may be NULL.
 */
int ike_dh_compute(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret, size_t cap,
		   enum ike_crypto_reason *why);

/* ---- AUTH (RFC 7296 2.15, 3.8; RFC 7427) ------------------------------ */

/* The signature AUTH methods (RFC 7296 3.8, IANA values; wire/ike.h names
 * every method, this header only what it signs, under other names so one
 * file can include both). */
enum ike_sig_method {
	IKE_SIG_RSA = 1,
	IKE_SIG_ECDSA_P256 = 9,
	IKE_SIG_ECDSA_P384 = 10,
	IKE_SIG_DIGITAL = 14, /* RFC 7427 */
};

/* RFC 7427 hash algorithm identifiers (SIGNATURE_HASH_ALGORITHMS). */
enum ike_hash {
	IKE_HASH_SHA1 = 1, /* method 1 only, for peers that insist (never 14: R8247-3.2.a) */
	IKE_HASH_SHA256 = 2,
	IKE_HASH_SHA384 = 3,
	IKE_HASH_SHA512 = 4,
};

/* The signed octets in their three pieces (algorithms.md 2):
 * RealMessage | peer's nonce | prf(SK_px, RestOfIDPayload). */
struct ike_signed_octets {
	const uint8_t *msg;
	size_t msg_len;
	const uint8_t *nonce;
	size_t nonce_len;
	uint8_t maced_id[IKE_PRF_MAX];
	size_t maced_id_len;
};

/* Fill so; msg and nonce are borrowed (must outlive so), id_body is the ID
 * payload without its 4-octet generic header; sk_p is SK_pi for the
 * initiator's octets, SK_pr for the responder's. */
int ike_signed_octets_init(struct ike_signed_octets *so, unsigned prf, const uint8_t *msg, size_t msg_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
			   const uint8_t *id_body, size_t id_body_len);
/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), signed octets); out receives
 * ike_prf_len(prf) octets. */
int ike_auth_psk(unsigned prf, const uint8_t *psk, size_t psk_len, const struct ike_signed_octets *so,
		 uint8_t *out);
/* Recompute and compare in constant time: 0 or M6E_AUTH (also for a wrong
 * length). */
int ike_auth_psk_check(unsigned prf, const uint8_t *psk, size_t psk_len, const struct ike_signed_octets *so,
		       const uint8_t *auth, size_t auth_len);

struct ike_pkey; /* public or private key */
struct ike_x509; /* one X.509 certificate */
struct ike_castore; /* trusted CAs */

/* Private key from PEM (file or memory; PKCS#8 or traditional). */
int ike_pkey_load_pem(struct ike_pkey **out, const char *path);
int ike_pkey_from_pem(struct ike_pkey **out, const void *pem, size_t len);
void ike_pkey_free(struct ike_pkey *k);
/* The AUTH methods this key can sign or verify without RFC 7427: 1 for RSA,
 * 9 for P-256, 10 for P-384; 0 otherwise. */
enum ike_sig_method ike_pkey_classic_method(const struct ike_pkey *k);

/* Method 14 signatures with this RSA key use RSASSA-PSS (MGF1 with the
 * same hash, salt as long as the hash) instead of PKCS#1 v1.5; R8247-3.2.a
 * makes PSS the MUST, strongSwan 5.9 sends v1.5 unless rsa_pss is set.
 * Verification accepts both whatever this says. */
void ike_pkey_set_rsa_pss(struct ike_pkey *k, bool pss);

/*
 * AUTH data for a signature method over so, its length into *out_len.
 *   Method 1: RSASSA-PKCS1-v1_5 with hash. Interop: strongSwan signs and
 *     verifies method 1 with SHA-1 only, so with it use method 14 (both
 *     sides sent SIGNATURE_HASH_ALGORITHMS) or IKE_HASH_SHA1 for method 1.
 *   Methods 9/10: ECDSA with SHA-256/384 on P-256/P-384, r | s of fixed
 *     length (RFC 4754 7, not DER; hash ignored).
 *   Method 14: 1-octet length | AlgorithmIdentifier | signature (R7427-3.a)
 *     for sha256/384/512WithRSAEncryption, RSASSA-PSS (see
 *     ike_pkey_set_rsa_pss) or ecdsa-with-SHA256/384/512 (DER signature).
 * 0, M6E_INVAL (method/key/hash mismatch), M6E_NOSPACE, M6E_IO.
 */
int ike_auth_sign(const struct ike_pkey *key, enum ike_sig_method method, enum ike_hash hash,
		  const struct ike_signed_octets *so, uint8_t *out, size_t cap, size_t *out_len);
/* Verify AUTH data made as above with the peer's public key (hash used for
 * method 1 only; method 14 takes it from the AlgorithmIdentifier: one of
 * ours, or RSASSA-PSS with SHA-256/384/512 for hash and MGF1 and any salt
 * length). 0, M6E_AUTH (bad signature or unknown AlgorithmIdentifier),
 * M6E_INVAL (method does not fit the key). */
int ike_auth_verify(const struct ike_pkey *key, enum ike_sig_method method, enum ike_hash hash,
		    const struct ike_signed_octets *so, const uint8_t *auth, size_t auth_len);

/* Certificates: DER as in a CERT payload (encoding 4), or PEM files. */
int ike_x509_from_der(struct ike_x509 **out, const uint8_t *der, size_t len);
int ike_x509_load_pem(struct ike_x509 **out, const char *path);
/* DER into out (cap octets); *len receives the length. M6E_NOSPACE if short. */
int ike_x509_der(const struct ike_x509 *c, uint8_t *out, size_t cap, size_t *len);
/* The certificate's public key, owned by c. */
const struct ike_pkey *ike_x509_pubkey(const struct ike_x509 *c);
void ike_x509_free(struct ike_x509 *c);

/* The subject Name as DER (the data of an ID_DER_ASN1_DN payload). */
int ike_x509_subject(const struct ike_x509 *c, uint8_t *out, size_t cap, size_t *len);
/*
 * true if the certificate vouches for the IKE identity (R7296-1.2.a,
 * R7296-3.5.a): id_type is the ID payload's type (wire/ike.h enum
 * ike_id_type), id its data. ID_FQDN and ID_RFC822_ADDR must be a
 * subjectAltName dNSName / rfc822Name (case-insensitive, no wildcards, never
 * the subject CN); ID_IPV4_ADDR / ID_IPV6_ADDR an iPAddress; ID_DER_ASN1_DN
 * the subject. Any other type: false.
 */
bool ike_x509_has_id(const struct ike_x509 *c, unsigned id_type, const uint8_t *id, size_t id_len);
/* false if the certificate has a keyUsage extension that allows neither
 * digitalSignature nor nonRepudiation, or one that does not parse (RFC 4945
 * 5.1.3.2: an IKE peer's end-entity certificate signs AUTH); true without
 * the extension. */
bool ike_x509_may_sign(const struct ike_x509 *c);
/* SHA-1 of the DER SubjectPublicKeyInfo: how CERTREQ names a trust anchor
 * (RFC 7296 3.7). */
int ike_x509_spki_sha1(const struct ike_x509 *c, uint8_t out[IKE_NATD_LEN]);

int ike_castore_new(struct ike_castore **out);
/* Trust every certificate of a PEM file / one certificate (copied). */
int ike_castore_add_pem(struct ike_castore *s, const char *path);
int ike_castore_add(struct ike_castore *s, const struct ike_x509 *c);
void ike_castore_free(struct ike_castore *s);
/* The CERTREQ Certification Authority data: the SPKI SHA-1 of every trusted
 * certificate, concatenated, into out[cap]; *len receives 20 x count. */
int ike_castore_certreq(const struct ike_castore *s, uint8_t *out, size_t cap, size_t *len);
/*
 * Validate leaf up to a trusted CA through the untrusted intermediates
 * (any purpose; validity times checked at `now`, 0 = the current time). 0 or
 * M6E_AUTH with a readable reason (OpenSSL's, e.g. "certificate has
 * expired") in reason[reason_cap] (may be NULL).
 */
int ike_x509_verify_chain(struct ike_castore *s, const struct ike_x509 *leaf, const struct ike_x509 *const *chain,
			  size_t chain_len, time_t now, char *reason, size_t reason_cap);

/* ---- NAT detection (RFC 7296 2.23), cookies (2.6), tie-break (2.8.1) --- */

/* SHA-1(SPIi | SPIr | IP | port) with ip 4 or 16 octets, port host order
 * (R7296-2.23.a). */
int ike_natd_hash(const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN], const uint8_t *ip,
		  size_t ip_len, uint16_t port, uint8_t out[IKE_NATD_LEN]);

#define IKE_COOKIE_SECRET_LEN 32

/* Responder cookie secrets (algorithms.md 6): the current and the previous
 * one, so a cookie handed out just before a rotation still verifies. Start
 * from all zeros. */
struct ike_cookie_secrets {
	uint8_t version; /* of cur; prev is version - 1 */
	bool have_cur, have_prev;
	uint8_t cur[IKE_COOKIE_SECRET_LEN], prev[IKE_COOKIE_SECRET_LEN];
};
/* Install a new current secret from the caller's randomness (engines get
 * theirs through their ops table); the old current becomes previous. */
void ike_cookie_set(struct ike_cookie_secrets *s, const uint8_t secret[IKE_COOKIE_SECRET_LEN]);
/* The same with a secret from crypto_random(). 0 or M6E_IO. */
int ike_cookie_rotate(struct ike_cookie_secrets *s);
void ike_cookie_wipe(struct ike_cookie_secrets *s);
/* cookie = version | HMAC-SHA-256(secret, Ni | IPi | SPIi): IKE_COOKIE_LEN octets. */
int ike_cookie_make(const struct ike_cookie_secrets *s, const uint8_t *ni, size_t ni_len, const uint8_t *ip,
		    size_t ip_len, const uint8_t spii[IKE_SPI_LEN], uint8_t out[IKE_COOKIE_LEN]);
/* true if cookie was made with the current or the previous secret. */
bool ike_cookie_check(const struct ike_cookie_secrets *s, const uint8_t *ni, size_t ni_len, const uint8_t *ip,
		      size_t ip_len, const uint8_t spii[IKE_SPI_LEN], const uint8_t *cookie, size_t cookie_len);

/* Octet-wise comparison, a proper prefix being lower (R7296-2.8.1.a): <0, 0, >0. */
int ike_nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
/* Simultaneous rekey: true if the lowest of the four nonces is in our
 * exchange, so the SA we created is the redundant one and we delete it
 * (R7296-2.8.1.a, R7296-2.8.2.a). */
bool ike_rekey_we_lose(const uint8_t *our_ni, size_t our_ni_len, const uint8_t *our_nr, size_t our_nr_len,
		       const uint8_t *peer_ni, size_t peer_ni_len, const uint8_t *peer_nr, size_t peer_nr_len);

/* ---- SK payload (RFC 7296 3.14, RFC 5282) ------------------------------ */

struct ike_sk; /* both directions of one IKE SA's protection; wiped on free */

/* Contexts for the keys in k; original_initiator picks SK_ei/SK_ai for
 * sending (R7296-3.1.a: the I flag). The keys are copied into OpenSSL.
 * A rekeyed IKE SA gets a new ike_sk. The GCM IV is a counter in the
 * ike_sk, so exactly one ike_sk may seal with a given set of keys. */
int ike_sk_new(struct ike_sk **out, const struct ike_keys *k, bool original_initiator);
void ike_sk_free(struct ike_sk *sk);
size_t ike_sk_iv_len(const struct ike_sk *sk);
size_t ike_sk_icv_len(const struct ike_sk *sk);
/* Octets the encrypted payload body takes after the generic header for
 * plain_len octets of inner payloads: IV | inner | padding | Pad Length | ICV
 * (minimal padding, R7296-3.14.a). */
size_t ike_sk_body_len(const struct ike_sk *sk, size_t plain_len);

/*
 * Protect an outgoing message in place. msg[0..msg_len) is the whole IKE
 * message (no non-ESP marker) whose IKE Length and SK (or SKF) payload
 * length already hold their final values; body_off is the offset just after
 * the SK generic header (or after the SKF fragment fields), so the AAD / the
 * integrity prefix is msg[0..body_off); the inner payloads sit at
 * body_off + ike_sk_iv_len(), plain_len octets, and
 * msg_len == body_off + ike_sk_body_len(plain_len). Writes the IV (GCM: a
 * per-SA counter; CBC: 16 random octets), padding, Pad Length and ICV.
 * 0, M6E_INVAL (offsets), M6E_RANGE (GCM IV counter exhausted), M6E_IO.
 */
int ike_sk_seal(struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t body_off, size_t plain_len);
/*
 * Verify and decrypt an incoming message in place (same layout; the SK
 * payload runs to msg_len). On success *plain_off / *plain_len locate the
 * inner payloads. 0; M6E_AUTH with *why = IKE_CR_SK_ICV (the message must be
 * dropped, the content may have been overwritten); M6E_INVAL with *why =
 * IKE_CR_SK_TRUNC / _ALIGN / _PADDING; M6E_IO. why may be NULL.
 */
int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t body_off, size_t *plain_off,
		size_t *plain_len, enum ike_crypto_reason *why);

#endif
