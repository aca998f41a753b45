/*
 * ikeauth: certificate credentials and the signature half of IKE_AUTH
 * (RFC 7296 1.2, 2.15, 3.6-3.8; RFC 7427; RFC 8247 3). The IKE SA engine
 * (ikesa_auth.c) calls it from our_auth()/peer_auth_ok() and the IKE_AUTH
 * builders; every OpenSSL call is behind crypto/ike_crypto.h.
 *
 * A struct ikeauth_cred is loaded once (the daemon: conf ike.certificate,
 * ike.private-key, ike.ca) and shared read-only by every IKE SA that points
 * to it through ikesa_params.cred; it must outlive them. It holds:
 *   our chain   end-entity certificate first, then the intermediates the
 *               peer needs (R7296-3.6.a: at most IKEAUTH_CHAIN_MAX, the
 *               first one's key signs AUTH, R7296-1.2.a), DER cached for
 *               the CERT payloads (encoding 4, X.509 Certificate - Signature);
 *   our key     its private key (checked against the certificate at load);
 *   the CAs     trust anchors for the peer's chain, and their SPKI SHA-1s
 *               for CERTREQ (R7296-3.7).
 * A cred without certificate and key only verifies peers (we use PSK).
 *
 * Which AUTH method we send (ikeauth_sign):
 *   both sides sent SIGNATURE_HASH_ALGORITHMS -> method 14 (R7427-3.a) with
 *     the first hash of our preference the peer listed: SHA2-384 first for a
 *     P-384 key, else SHA2-256 (R8247-3.2.a: never SHA-1); RSA keys sign
 *     RSASSA-PSS unless ikeauth_cred_set_rsa_pss(false) (R8247-3.2.a);
 *   otherwise the classic method of the key: 1 (RSA, PKCS#1 v1.5 with
 *     SHA-1: what RFC 7296 peers such as strongSwan verify), 9 (P-256),
 *     10 (P-384). Other keys are refused at load.
 * What we accept from the peer (ikeauth_verify_peer): methods 1 (SHA-1),
 * 9, 10 and 14 (SHA2 only), the key of the first CERT payload, a chain that
 * X509_verify_cert() accepts against our CAs (times checked, any purpose),
 * an end-entity certificate whose keyUsage, if it has one, allows
 * digitalSignature or nonRepudiation (RFC 4945 5.1.3.2; no keyUsage: any
 * use), and the peer's ID payload stated in that certificate (ID_FQDN and
 * ID_RFC822_ADDR as subjectAltName dNSName / rfc822Name, ID_IPV6_ADDR /
 * ID_IPV4_ADDR as iPAddress, ID_DER_ASN1_DN as the subject).
 */
#ifndef M6_IKE_IKEAUTH_H
#define M6_IKE_IKEAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/ike_crypto.h"
#include "wire/ike.h"

#define IKEAUTH_CHAIN_MAX 4     /* R7296-3.6.a: up to four certificates each way */
#define IKEAUTH_CA_MAX 16       /* trust anchors named in one CERTREQ */
#define IKEAUTH_CERT_MAX 4096   /* one DER certificate (RSA-4096 with extensions) */
#define IKEAUTH_SIG_MAX 640     /* AUTH data: RSA-4096 signature + method 14 header */
#define IKEAUTH_HASH_NOTIFY_LEN 6 /* three 2-octet hash identifiers */

struct ikeauth_cred;

/*
 * Load a credential. cert_path: PEM, the end-entity certificate first, then
 * intermediates (several certificates in one file); key_path: its private
 * key (PEM, PKCS#8 or traditional); ca_path: PEM with one or more trusted CA
 * certificates. cert_path and key_path are both NULL or both set; ca_path
 * may be NULL (then no peer certificate verifies). 0 with *out (free with
 * ikeauth_cred_free), or a negative M6E_* code with a readable reason in
 * err[errlen] ("path: what is wrong").
 */
int ikeauth_cred_load(const char *cert_path, const char *key_path, const char *ca_path, struct ikeauth_cred **out,
		      char *err, size_t errlen);
void ikeauth_cred_free(struct ikeauth_cred *c);

/* Check the peer's certificate times at t instead of the current time (0:
 * the current time again). For tests; the engine has no wall clock. */
void ikeauth_cred_set_verify_time(struct ikeauth_cred *c, time_t t);
/* Method 14 with an RSA key: RSASSA-PSS (default, R8247-3.2.a) or PKCS#1 v1.5. */
void ikeauth_cred_set_rsa_pss(struct ikeauth_cred *c, bool pss);

/* true when the cred has a certificate and key to sign with. */
bool ikeauth_cred_can_sign(const struct ikeauth_cred *c);
/* true when the cred has CAs to verify a peer with. */
bool ikeauth_cred_has_ca(const struct ikeauth_cred *c);
/* Number of certificates we send (end entity + intermediates). */
size_t ikeauth_cred_chain_len(const struct ikeauth_cred *c);
/* Our ID when none is configured: ID_DER_ASN1_DN of our certificate's
 * subject into data[cap]. M6E_NOTFOUND without a certificate, M6E_NOSPACE. */
int ikeauth_cred_id(const struct ikeauth_cred *c, uint8_t *type, uint8_t *data, size_t cap, size_t *len);

/* ---- SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) ---- */

/* Hash sets are bit masks: IKEAUTH_HASH_BIT(enum ike_hash). */
#define IKEAUTH_HASH_BIT(h) (1u << (unsigned)(h))
/* Our notify data: SHA2-256, SHA2-384, SHA2-512 (R8247-3.2.a). */
void ikeauth_hash_notify(uint8_t out[IKEAUTH_HASH_NOTIFY_LEN]);
/* The peer's SIGNATURE_HASH_ALGORITHMS in an IKE_SA_INIT chain: *sent says
 * whether the notify was there, the result the hashes it listed. */
unsigned ikeauth_peer_hashes(const struct ike_chain *c, bool *sent);

/* ---- building ---- */

/* CERTREQ with the SPKI SHA-1 of every CA (R7296-3.7), when we have CAs. */
void ikeauth_build_certreq(const struct ikeauth_cred *c, struct ike_builder *b);
/* One CERT payload per certificate of our chain, end entity first. */
void ikeauth_build_certs(const struct ikeauth_cred *c, struct ike_builder *b);

/*
 * Our AUTH over so: *method (enum ike_auth_method) and the Authentication
 * Data into out[cap], *len. hashes_ok: both sides sent
 * SIGNATURE_HASH_ALGORITHMS, peer_hashes what the peer listed.
 * 0, M6E_NOTFOUND (no key), M6E_UNSUPP (no common hash and no classic
 * method), or the ike_auth_sign() code.
 */
int ikeauth_sign(const struct ikeauth_cred *c, bool hashes_ok, unsigned peer_hashes,
		 const struct ike_signed_octets *so, uint8_t *method, uint8_t *out, size_t cap, size_t *len);

/* Why a peer's certificate authentication failed (counters, logs). */
enum ikeauth_fail {
	IKEAUTH_OK = 0,
	IKEAUTH_NO_CA,          /* we have no CAs: certificates cannot be used */
	IKEAUTH_NO_CERT,        /* no X.509 CERT payload */
	IKEAUTH_BAD_CERT,       /* a CERT payload is not one DER certificate, or too many */
	IKEAUTH_CHAIN,          /* X509_verify_cert refused the chain (expired, unknown CA ...) */
	IKEAUTH_ID,             /* the ID payload is not in the certificate */
	IKEAUTH_METHOD,         /* AUTH method not a signature, or not the key's */
	IKEAUTH_SIGNATURE,      /* the signature does not verify */
	IKEAUTH_KEY_USAGE,      /* the end entity's keyUsage allows no signatures (RFC 4945 5.1.3.2) */
	IKEAUTH_FAIL_COUNT
};
const char *ikeauth_fail_name(enum ikeauth_fail f);

/*
 * The peer's certificate authentication (R7296-1.2.a, R7296-3.6.a): its CERT
 * payloads in c (the first one's key signed AUTH, the others are untrusted
 * intermediates in any order), its ID payload id, its AUTH a over so.
 * 0 or M6E_AUTH with *why (may be NULL); reason[reason_cap] (may be NULL)
 * gets OpenSSL's text for IKEAUTH_CHAIN.
 */
int ikeauth_verify_peer(const struct ikeauth_cred *cred, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a, const struct ike_signed_octets *so, enum ikeauth_fail *why,
			char *reason, size_t reason_cap);

/* true for the AUTH methods ikeauth_verify_peer handles (1, 9, 10, 14). */
bool ikeauth_is_signature(uint8_t method);

#endif
