/*
 * ikesa_crypto: the slice of crypto/ike_crypto.h the IKE SA engine uses,
 * behind plain types. Private to src/ike/.
 *
 * Why a separate file: the engine sees only the operations it needs, on
 * plain types, and ikesa.c stays about protocol; every key lives here and is
 * wiped here.
 *
 * One struct ikesa_cx per IKE SA: our DH key pair while the exchange runs,
 * then the SK_* keys and the SK payload contexts. Wiped on free.
 */
#ifndef M6_IKE_IKESA_CRYPTO_H
#define M6_IKE_IKESA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKESA_CX_AUTH_MAX 64  /* PSK AUTH data: the PRF output */
#define IKESA_CX_COOKIE_LEN 33
#define IKESA_CX_COOKIE_SECRET 32

struct ikesa_cx;

int ikesa_cx_new(struct ikesa_cx **out);
void ikesa_cx_free(struct ikesa_cx *cx);

bool ikesa_cx_supported(unsigned xform_type, unsigned id, unsigned key_bits);
size_t ikesa_cx_dh_public_len(unsigned group);

/* A fresh key pair for group (replacing any previous one); our KE data into
 * pub[cap], its length to *len. */
int ikesa_cx_dh_start(struct ikesa_cx *cx, unsigned group, uint8_t *pub, size_t cap, size_t *len);

/* g^ir from the peer's KE data (validated), SKEYSEED, SK_* and the SK
 * contexts; the DH key pair and g^ir are wiped. *why (may be NULL) receives
 * the ike_crypto reason of a refused peer value. */
int ikesa_cx_derive(struct ikesa_cx *cx, unsigned encr, unsigned key_bits, unsigned integ, unsigned prf,
		    const uint8_t *peer_ke, size_t peer_ke_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		    size_t nr_len, const uint8_t spii[8], const uint8_t spir[8], bool original_initiator, int *why);
bool ikesa_cx_has_keys(const struct ikesa_cx *cx);

size_t ikesa_cx_sk_iv_len(const struct ikesa_cx *cx);
size_t ikesa_cx_sk_body_len(const struct ikesa_cx *cx, size_t plain_len);
int ikesa_cx_seal(struct ikesa_cx *cx, uint8_t *msg, size_t msg_len, size_t body_off, size_t plain_len);
int ikesa_cx_open(struct ikesa_cx *cx, uint8_t *msg, size_t msg_len, size_t body_off, size_t *plain_off,
		  size_t *plain_len, int *why);

/* PSK AUTH of the initiator's (of_initiator) or the responder's signed
 * octets: msg | nonce | prf(SK_px, id_body). make: out[IKESA_CX_AUTH_MAX],
 * *out_len. check: constant time, 0 or M6E_AUTH. */
int ikesa_cx_auth_psk(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *psk, size_t psk_len,
		      const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *id_body,
		      size_t id_len, uint8_t *out, size_t *out_len);
int ikesa_cx_auth_psk_check(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *psk, size_t psk_len,
			    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len,
			    const uint8_t *id_body, size_t id_len, const uint8_t *auth, size_t auth_len);

/* The signed octets of one side (R7296-2.15.a) for a signature AUTH
 * (ike/ikeauth.c): msg and nonce are borrowed, id_body is RestOfIDPayload. */
struct ike_signed_octets;
int ikesa_cx_signed_octets(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *msg, size_t msg_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *id_body, size_t id_len,
			   struct ike_signed_octets *so);

/* DEBUG ONLY (a decoder's key table): SK_ei, SK_er, SK_ai, SK_ar with their
 * lengths, each buffer IKESA_CX_SK_MAX octets. M6E_PROTO before the keys. */
#define IKESA_CX_SK_MAX 64
int ikesa_cx_debug_sk(const struct ikesa_cx *cx, uint8_t *ei, uint8_t *er, size_t *encr_len, uint8_t *ai,
		      uint8_t *ar, size_t *integ_len);

/* CHILD_SA KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (R7296-2.17.a): dir_len
 * octets each direction; gir NULL without PFS. */
int ikesa_cx_child_keymat(const struct ikesa_cx *cx, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len, size_t dir_len, uint8_t *i2r, uint8_t *r2i);

/*
 * A Diffie-Hellman exchange of its own, for CREATE_CHILD_SA (PFS, IKE SA
 * rekey): the initiator keeps one per outstanding request, the responder
 * makes and drops one inside the handling of a request, so a collision
 * (both at once) never mixes the two. Wiped on free.
 */
struct ikesa_dh;
#define IKESA_DH_SECRET_MAX 256
/* Fresh pair for group; our KE data into pub[cap], its length to *len. */
int ikesa_dh_new(struct ikesa_dh **out, unsigned group, uint8_t *pub, size_t cap, size_t *len);
void ikesa_dh_free(struct ikesa_dh *dh);
/* g^ir from the peer's KE data (validated, R6989-2.3.a) into
 * gir[IKESA_DH_SECRET_MAX]; *why (may be NULL) the refusal reason. */
int ikesa_dh_secret(struct ikesa_dh *dh, const uint8_t *peer_ke, size_t peer_ke_len, uint8_t *gir, size_t *gir_len,
		    int *why);

/* IKE SA rekey (R7296-2.18.a): SKEYSEED = prf_old(SK_d(old), g^ir | Ni | Nr),
 * then the new suite's SK_* with the new SPIs into cx (which has no keys yet).
 * original_initiator: we initiated the rekey (R7296-1.3.2.a). */
int ikesa_cx_derive_rekey(struct ikesa_cx *cx, const struct ikesa_cx *old, unsigned encr, unsigned key_bits,
			  unsigned integ, unsigned prf, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t spii[8], const uint8_t spir[8],
			  bool original_initiator);

/* Simultaneous rekey (R7296-2.8.1.a, algorithms.md 8): true if the lowest of
 * the four nonces is in our exchange, so what we created is redundant. */
bool ikesa_cx_rekey_we_lose(const uint8_t *our_ni, size_t our_ni_len, const uint8_t *our_nr, size_t our_nr_len,
			    const uint8_t *peer_ni, size_t peer_ni_len, const uint8_t *peer_nr, size_t peer_nr_len);

/* NAT_DETECTION_*_IP hash over an IPv6 address and port (host order). */
int ikesa_cx_natd(const uint8_t spii[8], const uint8_t spir[8], const uint8_t ip[16], uint16_t port,
		  uint8_t out[20]);

/* Responder cookies (R7296-2.6): secrets come from the caller's RNG. */
struct ikesa_cx_cookie;
int ikesa_cx_cookie_new(struct ikesa_cx_cookie **out, const uint8_t secret[IKESA_CX_COOKIE_SECRET]);
void ikesa_cx_cookie_rotate(struct ikesa_cx_cookie *c, const uint8_t secret[IKESA_CX_COOKIE_SECRET]);
void ikesa_cx_cookie_free(struct ikesa_cx_cookie *c);
int ikesa_cx_cookie_make(const struct ikesa_cx_cookie *c, const uint8_t *ni, size_t ni_len, const uint8_t ip[16],
			 const uint8_t spii[8], uint8_t out[IKESA_CX_COOKIE_LEN]);
bool ikesa_cx_cookie_check(const struct ikesa_cx_cookie *c, const uint8_t *ni, size_t ni_len, const uint8_t ip[16],
			   const uint8_t spii[8], const uint8_t *cookie, size_t cookie_len);

#endif
