/*
 * One IKEv2 SA (RFC 7296): IKE_SA_INIT, IKE_AUTH with a pre-shared key and
 * the first CHILD_SA, CREATE_CHILD_SA (more CHILD_SAs, rekeying of CHILD
 * and IKE SAs, collisions), message IDs, retransmission, the response cache,
 * INFORMATIONAL (liveness, DELETE of IKE and CHILD SAs). A pure engine like
 * mip6/ha.c: no sockets, no clock, no RNG of its own. Time comes in as
 * now_ms, randomness (SPIs, nonces, cookie secrets) through ops->random, every
 * datagram and every outcome leaves through struct ikesa_ops.
 *
 * Responder side, stateless until it commits (R7296-2.6.b, R7296-1.2.b):
 * ikesa_accept() takes an IKE_SA_INIT request with SPIr 0 and either answers
 * it without keeping anything (N(COOKIE) when the half-open count the adapter
 * passes reaches params.cookie_threshold and no valid cookie came first;
 * N(NO_PROPOSAL_CHOSEN); N(INVALID_KE_PAYLOAD) naming the selected group,
 * R7296-1.2.b, R7296-2.7.a) or creates the SA and sends the IKE_SA_INIT response.
 * Initiator side: ikesa_new_initiator() + ikesa_start(). Everything after
 * goes to ikesa_input() of the SA the adapter found by SPIs.
 *
 * States (ikesa_set_state() logs old -> new and refuses other moves):
 *   IDLE         --start-->        INIT_SENT   (initiator)
 *   INIT_SENT    --COOKIE / INVALID_KE: resend, same state (R7296-2.6, 1.2)
 *   INIT_SENT    --IKE_SA_INIT resp--> AUTH_SENT
 *   IDLE         --ikesa_accept-->  INIT_DONE  (responder, response sent)
 *   INIT_DONE    --IKE_AUTH req, AUTH ok--> ESTABLISHED (child or not)
 *   AUTH_SENT    --IKE_AUTH resp, AUTH ok--> ESTABLISHED
 *   ESTABLISHED  --ikesa_delete()--> DELETING --response/give-up--> CLOSED
 *   IDLE         --born of a rekey--> ESTABLISHED (the new SA of ike_rekeyed)
 *   any          --peer DELETE, AUTHENTICATION_FAILED, give-up--> CLOSED
 * After IKE_SA_INIT only messages whose SK payload verifies move state
 * (R7296-2.21.a); the rest is dropped and counted by enum ikesa_drop.
 * A CHILD_SA refused (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) leaves the IKE SA
 * up (R7296-1.3.1.c).
 *
 * CHILD_SAs (src/ike/child.h has their states): a table of up to
 * IKESA_CHILD_MAX pairs per IKE SA. Each new pair is reported once through
 * child_up (rekey_of names the pair it replaces), each pair that goes
 * through child_down; pairs carried to a rekeyed IKE SA are not reported
 * again. ikesa_create_child() asks for one more (RFC 7296 1.3.1); the
 * responder decides with ops->ts_policy as in IKE_AUTH and refuses with
 * NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, INVALID_KE_PAYLOAD (our ESP suite's
 * dh is the PFS group we insist on, R7296-1.3.a), NO_ADDITIONAL_SAS (table
 * full), CHILD_SA_NOT_FOUND or TEMPORARY_FAILURE (a rekey of a pair gone or
 * being deleted, RFC 7296 2.25.1); the IKE SA stays either way.
 *
 * Rekeying (RFC 7296 1.3.2, 1.3.3, 2.8):
 *   CHILD_SA   CREATE_CHILD_SA with N(REKEY_SA) naming our inbound SPI,
 *              same selectors and mode, KE when params.pfs (or the old
 *              pair had PFS). Make before break: child_up of the new pair
 *              on both sides first; then the rekey's initiator deletes the
 *              old pair (INFORMATIONAL) and child_down reports it on both
 *              sides. The responder keeps the old pair (REKEYED) until that
 *              Delete or its own hard lifetime; the adapter keeps sending on
 *              it until traffic arrives on the new one (R7296-2.8.b).
 *   IKE SA     CREATE_CHILD_SA with SA(IKE, new SPI) Ni KE; SKEYSEED from
 *              the old SK_d and the old PRF (R7296-2.18.a). The new SA is a
 *              new struct ikesa handed over through ops->ike_rekeyed (the
 *              adapter owns it from then on); it is ESTABLISHED, counts
 *              message IDs from 0, its original initiator is the rekey's
 *              initiator, and the children move to it silently. The
 *              initiator then deletes the old SA, which ends CLOSED with
 *              IKESA_DOWN_REKEYED on both sides (children untouched).
 *   Collisions (R7296-2.8.1.a, 2.8.2.a): both ends rekey the same SA. Each
 *              answers the other's request while its own is outstanding
 *              (window 1 is per direction), both new pairs (or IKE SAs)
 *              come up, and when its own answer arrives each side compares
 *              the four nonces (algorithms.md 8): the exchange holding the
 *              lowest made the redundant one, which its creator deletes;
 *              the initiator of the survivor deletes the old one. A rekey
 *              that crosses a Delete of the same pair loses (TEMPORARY_
 *              FAILURE or CHILD_SA_NOT_FOUND, ignored by the sender).
 *   Lifetimes  params.child_lifetime_ms / ike_lifetime_ms from creation;
 *              the engine starts its own rekey at lifetime - rekey_margin_ms
 *              - up to margin/2 of jitter (ops->random), so two ends rarely
 *              collide; a pair that reaches its lifetime is deleted, an IKE
 *              SA too. A refused rekey is tried again IKESA_REKEY_RETRY_MS
 *              later. Every request the engine starts itself waits
 *              for the window: queued Deletes first, then the IKE SA's
 *              rekey, then the children's.
 *
 * Message IDs (R7296-2.3.a): window of 1. Our requests count from 0; one is
 * outstanding at a time. A request with the peer's last message ID is a
 * retransmission: answered with the cached response bytes, not reprocessed
 * (R7296-2.1.a); an older one or a gap is dropped.
 *
 * Timers (the adapter calls ikesa_tick() at ikesa_next_timeout()):
 *   retransmission  IKESA_RETX_INITIAL_MS, doubled each time up to
 *                   IKESA_RETX_MAX_MS, each wait shortened at random by up
 *                   to 1/IKESA_RETX_JITTER_DIV (ops->random) so SAs started
 *                   together do not retransmit in step; after
 *                   IKESA_RETX_TRIES sends the SA is given up (R7296-2.1.a,
 *                   R7296-2.4.b/c; R7296-2.1.a: only the requester retransmits).
 *   half-open       IKESA_HALF_OPEN_MS: a responder in INIT_DONE without a
 *                   valid IKE_AUTH by then closes (bounds the state cookies
 *                   protect).
 *   own work        with no request outstanding: queued Deletes (now), the
 *                   rekey and expiry times above (R7296-2.8).
 * Liveness (DPD) is the adapter's policy: it calls ikesa_dpd() when it has
 * heard nothing for a while; a lost DPD ends in the give-up above.
 *
 * Ownership: the adapter owns every struct ikesa (ikesa_free()), including
 * those ike_rekeyed hands it; ops callbacks run inside engine calls and must
 * not free any SA; an SA in CLOSED has reported ike_down and only waits to
 * be freed. An old SA keeps a pointer to its successor until it is CLOSED:
 * free the successor only after the old one.
 * The unprotected IKE_SA_INIT answers (COOKIE, INVALID_KE_PAYLOAD,
 * NO_PROPOSAL_CHOSEN) are believed as RFC 7296 2.21.1 allows; an initiator
 * that wants to wait out a forged refusal is future work.
 *
 * Certificates (ike/ikeauth.h): params.cred set and ops->psk_for NULL for
 * the peer's ID means signature AUTH with our certificate chain, and the
 * peer must prove itself with a certificate our CAs vouch for; a PSK for the
 * peer keeps PSK AUTH both ways. With a cred we send
 * SIGNATURE_HASH_ALGORITHMS in IKE_SA_INIT and CERTREQ (responder: in the
 * IKE_SA_INIT response; initiator: in IKE_AUTH), R7296-1.2.a, R7427-3.a.
 *
 * Fragmentation (ike/frag.h, RFC 7383): we announce
 * IKEV2_FRAGMENTATION_SUPPORTED unless params.frag_off; when the peer did too, an encrypted message
 * longer than params.fragment_size goes out as SKF fragments (all of them
 * on each retransmission) and SKF fragments are verified one by one and
 * reassembled before anything acts on them (R7383-2.6.a).
 *
 * Memory: the request, response cache and scratch buffers are
 * IKESA_MSG_MAX octets each, IKESA_MSG_BIG with a cred (a certificate
 * chain in IKE_AUTH) until IKE_AUTH is over and its response no longer
 * cached; reassembly buffers only while fragments arrive
 * (ikesa_heap_bytes()).
 *
 * Not here yet (docs/IKE.md): EAP, MOBIKE, NAT keepalives, rekeying by
 * byte counts inside the engine (the adapter calls ikesa_rekey_child() on
 * the SAD's soft limit); IPv6 paths only.
 */
#ifndef M6_IKE_IKESA_H
#define M6_IKE_IKESA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "ike/frag.h"
#include "wire/ike.h"

#define IKESA_RETX_INITIAL_MS 500u
#define IKESA_RETX_MAX_MS 32000u
#define IKESA_RETX_TRIES 12u     /* R7296-2.4.c: a dozen tries over ~3.7 min, then give up */
#define IKESA_RETX_JITTER_DIV 8u
#define IKESA_HALF_OPEN_MS 30000u
#define IKESA_NONCE_LEN 32       /* R7296-2.10.a: at least half the PRF key size */
#define IKESA_MSG_MAX 2048       /* a message without certificates */
#define IKESA_MSG_BIG 8192       /* IKE_AUTH with a chain of 3 RSA-3072 certificates and AUTH */
#define IKESA_ID_MAX 255         /* a DER_ASN1_DN of a certificate subject */
#define IKESA_PSK_MIN 1
#define IKESA_PROP_MAX 8
#define IKESA_KEYMAT_MAX 64      /* per direction: AES-256 key + HMAC key, or key + salt */
#define IKESA_INIT_RETRIES 4     /* COOKIE / INVALID_KE round trips before giving up */
#define IKESA_NEVER UINT64_MAX
#define IKESA_CHILD_MAX 8        /* CHILD_SAs per IKE SA (RFC 4877 needs several) */
#define IKESA_REKEY_RETRY_MS 10000u /* a refused rekey of ours is tried again this much later */

/* One suite of ours, one transform per type. IKE: encr, key_bits, integ
 * (XFORM_INTEG_NONE with GCM), prf, dh. ESP: encr, key_bits, integ; prf and
 * dh 0 (no PFS in IKE_AUTH), ESN always "no". Numbers of crypto/xform.h. */
struct ikesa_prop {
	uint16_t encr;
	uint16_t key_bits;
	uint16_t integ;
	uint16_t prf;
	uint16_t dh;
};

struct ikesa_id {
	uint8_t type;            /* IKE_ID_FQDN, IKE_ID_RFC822_ADDR, IKE_ID_IPV6_ADDR, IKE_ID_DER_ASN1_DN */
	uint8_t len;
	uint8_t data[IKESA_ID_MAX];
};

/* Where a datagram goes or came from (IPv6 only). The adapter fills it for
 * input; the engine answers on the same path, swapped. */
struct ikesa_path {
	struct in6_addr local, remote;
	uint16_t local_port, remote_port;
};

struct ikesa_params {
	struct ikesa_prop ike[IKESA_PROP_MAX];   /* in our order of preference */
	size_t n_ike;
	struct ikesa_prop esp[IKESA_PROP_MAX];
	size_t n_esp;
	struct ikesa_id local_id;
	/* Initiator: the responder we expect, sent as IDr and the key of the
	 * PSK lookup before its AUTH arrives; its IDr must equal it. */
	struct ikesa_id remote_id;
	/* Initiator: the first CHILD_SA's TS and mode; the responder's policy
	 * comes from ops->ts_policy. */
	struct ike_ts_list tsi, tsr;
	bool transport;                          /* send USE_TRANSPORT_MODE */
	/* Responder: demand a cookie once the adapter's half-open count
	 * reaches this (0: always; UINT32_MAX: never). */
	uint32_t cookie_threshold;
	/* Rekeying (R7296-2.8): our rekeys of CHILD_SAs carry a KE of the IKE
	 * SA's group (PFS). Lifetimes in ms from creation, 0: none; an SA is
	 * rekeyed at lifetime - rekey_margin_ms - up to margin/2 of jitter
	 * (rekey_margin_ms 0: never by itself); a child that reaches its
	 * lifetime unrekeyed is deleted, an IKE SA too. */
	bool pfs;
	uint64_t child_lifetime_ms, ike_lifetime_ms, rekey_margin_ms;
	/* Certificates (ike/ikeauth.h), shared and outliving the SA; NULL:
	 * PSK only. local_id.type 0 with a cred: our certificate's subject DN. */
	const struct ikeauth_cred *cred;
	/* Largest IKE message per datagram once fragmenting (RFC 7383 2.5.1);
	 * 0: FRAG_SIZE_DEFAULT; at least FRAG_SIZE_MIN. */
	size_t fragment_size;
	/* RFC 7383 off (ike.fragmentation = false): IKEV2_FRAGMENTATION_SUPPORTED
	 * is not announced, so fragmentation is never negotiated (R7383-2.3):
	 * we send no SKF and accept none. */
	bool frag_off;
};

/* A CHILD_SA to create on an established IKE SA (CREATE_CHILD_SA,
 * RFC 7296 1.3.1). */
struct ikesa_child_req {
	struct ike_ts_list tsi, tsr;
	bool transport;                          /* send USE_TRANSPORT_MODE */
	bool pfs;                                /* KE of the IKE SA's DH group (an ESP
						  * suite's own dh overrides: our policy) */
};

/* What child_up reports: everything to create the two ESP SAs. "in" is
 * the SA we receive on (its SPI we chose), "out" the one we send on. */
struct ikesa_child {
	bool initiator;          /* we initiated the exchange that created it */
	bool transport;          /* USE_TRANSPORT_MODE agreed (R7296-1.3.1.a) */
	bool udp_encap;          /* a NAT was detected (R7296-2.23) */
	uint32_t spi_in, spi_out;
	uint16_t encr, key_bits, integ;
	enum aead_alg alg;       /* crypto/xform.h xform_to_aead() of the above */
	size_t keymat_len;       /* aead_keymat_len(alg), each direction */
	uint8_t keymat_in[IKESA_KEYMAT_MAX], keymat_out[IKESA_KEYMAT_MAX];
	struct ike_ts_list tsi, tsr;              /* as narrowed by the responder; TSi is
						   * the side of the creating exchange's initiator */
	struct ikesa_id peer_id;
	struct ikesa_path path;
	uint32_t rekey_of;       /* spi_in of the pair this one replaces, 0 if new */
	uint16_t pfs_group;      /* DH group of its KEYMAT, 0 without PFS */
};

/* What ikesa_children() lists: one line per pair in the table. */
struct ikesa_child_info {
	uint32_t spi_in, spi_out;
	const char *state;       /* installed, rekeying, rekeyed, delete-wanted, deleting */
	bool transport;
	uint64_t created_ms, rekey_at, expire_at;
};

enum ikesa_state {
	IKESA_IDLE = 0,
	IKESA_INIT_SENT,
	IKESA_INIT_DONE,
	IKESA_AUTH_SENT,
	IKESA_ESTABLISHED,
	IKESA_DELETING,
	IKESA_CLOSED,
	IKESA_STATE_COUNT
};

enum ikesa_down {
	IKESA_DOWN_NONE = 0,
	IKESA_DOWN_TIMEOUT,          /* retransmissions exhausted / half-open expired */
	IKESA_DOWN_AUTH_FAILED,      /* the peer's AUTH did not verify, or no PSK for it */
	IKESA_DOWN_PEER_AUTH_FAILED, /* the peer sent AUTHENTICATION_FAILED */
	IKESA_DOWN_NO_PROPOSAL,      /* IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN */
	IKESA_DOWN_PEER_ERROR,       /* another error notify, or too many INIT retries */
	IKESA_DOWN_LOCAL_DELETE,     /* ikesa_delete() finished */
	IKESA_DOWN_PEER_DELETE,      /* the peer deleted the IKE SA */
	IKESA_DOWN_INTERNAL,         /* crypto or buffer failure on our side */
	IKESA_DOWN_REKEYED,          /* replaced by a new IKE SA (ike_rekeyed); children moved */
	IKESA_DOWN_COUNT
};

/* Why an incoming datagram changed nothing; stable, for counters. */
enum ikesa_drop {
	IKESA_DROP_NONE = 0,
	IKESA_DROP_TOO_BIG,        /* larger than IKESA_MSG_MAX */
	IKESA_DROP_PARSE,          /* header or payload chain malformed (wire/ike.h reason) */
	IKESA_DROP_SPI,            /* SPIs not this SA's */
	IKESA_DROP_FLAGS,          /* I flag wrong for the sender's role (R7296-3.1.a) */
	IKESA_DROP_EXCHANGE,       /* exchange type not expected in this state */
	IKESA_DROP_MSG_ID,         /* request out of the window (R7296-2.3.a) */
	IKESA_DROP_RESPONSE,       /* response to no outstanding request of ours */
	IKESA_DROP_NO_SK,          /* no SK payload after IKE_SA_INIT (R7296-3.14.a) */
	IKESA_DROP_SK,             /* SK did not verify or decrypt: never acted on */
	IKESA_DROP_INNER,          /* decrypted payloads malformed */
	IKESA_DROP_MISSING,        /* a payload the exchange requires is absent */
	IKESA_DROP_PROPOSAL,       /* the response chose something we did not offer */
	IKESA_DROP_KE,             /* KE group or value unusable (R6989-2.3.a) */
	IKESA_DROP_COOKIE,         /* responder: cookie missing or wrong, N(COOKIE) sent */
	IKESA_DROP_STATE,          /* nothing to do with it in this state */
	IKESA_DROP_FRAG,           /* SKF refused or kept for later (ikesa_frag_stats says why) */
	IKESA_DROP_COUNT
};

struct ikesa;
struct ikeauth_cred;

struct ikesa_ops {
	/* One datagram (the IKE message, no Non-ESP Marker) on path. */
	int (*send)(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path);
	void (*random)(void *arg, void *buf, size_t len);
	/* The PSK shared with the peer that claims id; NULL if none (then
	 * certificates, when params.cred is set). */
	const uint8_t *(*psk_for)(void *arg, const struct ikesa_id *id, size_t *len);
	/* Responder policy for the first CHILD_SA (R3776-4.2.k, RFC 4877 4.4):
	 * narrow the proposed tsi/tsr for peer into out_tsi/out_tsr (a subset,
	 * R7296-2.9.a), set *transport (in: the initiator asked for it) to the
	 * mode; M6E_PERM -> TS_UNACCEPTABLE. */
	int (*ts_policy)(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			 struct ike_ts_list *out_tsr);
	void (*ike_up)(void *arg, const struct ikesa *sa);
	void (*ike_down)(void *arg, const struct ikesa *sa, enum ikesa_down reason);
	void (*child_up)(void *arg, const struct ikesa_child *c);
	/* An error notify the peer sent about our CHILD_SA request (the IKE SA
	 * stays up): TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN. May be NULL. */
	void (*child_failed)(void *arg, const struct ikesa *sa, uint16_t notify);
	/* The peer deleted our CHILD_SA (INFORMATIONAL Delete of its inbound
	 * SPI, spi_out here); we answered with the Delete of spi_in
	 * (R7296-1.4.1.a). Remove both ESP SAs. May be NULL. */
	void (*child_down)(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out);
	/* The IKE SA was rekeyed (R7296-1.3.2.a): new_sa, ESTABLISHED, takes
	 * over old_sa's CHILD_SAs (no child_down/child_up for them) and is the
	 * adapter's from now on (index it by its SPIs, ikesa_free() it). old_sa
	 * is deleted afterwards and ends CLOSED with IKESA_DOWN_REKEYED. new_sa
	 * inherits old_sa's ops and arg. May be NULL: then no IKE rekey is
	 * started and a peer's is refused with NO_ADDITIONAL_SAS. */
	void (*ike_rekeyed)(void *arg, struct ikesa *old_sa, struct ikesa *new_sa);
	/* true when spi is already an inbound SPI of the adapter's SAD (another
	 * IKE SA's or a manual SA's): the engine draws another one for a new
	 * CHILD_SA (R4303-2.1.a). May be NULL. */
	bool (*spi_taken)(void *arg, uint32_t spi);
};

/* Responder's stateless front: cookie secrets and the counters of what it
 * answered without creating an SA. */
struct ikesa_gate;
int ikesa_gate_new(struct ikesa_gate **out, const struct ikesa_ops *ops, void *arg);
void ikesa_gate_free(struct ikesa_gate *g);
/* New cookie secret from ops->random; the previous one stays valid. */
void ikesa_gate_rotate(struct ikesa_gate *g);
struct ikesa_gate_stats {
	uint64_t cookie_sent, no_proposal_sent, invalid_ke_sent, accepted;
	uint64_t drop[IKESA_DROP_COUNT];
};
const struct ikesa_gate_stats *ikesa_gate_stats(const struct ikesa_gate *g);

/*
 * An IKE_SA_INIT request with SPIr 0 (adapter: no SA of that SPIi and peer).
 * half_open: the adapter's count of SAs in INIT_DONE. 0 with *out a new SA in
 * INIT_DONE (its response sent, free with ikesa_free()); M6E_AGAIN when
 * answered without state (cookie, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD);
 * another negative code when dropped (counted in the gate).
 */
int ikesa_accept(struct ikesa_gate *g, const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
		 uint32_t half_open, const uint8_t *msg, size_t len, const struct ikesa_path *path, uint64_t now_ms,
		 struct ikesa **out);

/* An initiator in IDLE; params are copied. */
int ikesa_new_initiator(struct ikesa **out, const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
			const struct ikesa_path *path);
/* Send the IKE_SA_INIT request. */
int ikesa_start(struct ikesa *sa, uint64_t now_ms);
void ikesa_free(struct ikesa *sa);

/* A datagram for this SA. 0 when it was used (or answered from the
 * response cache), a negative code when dropped (counted by reason). */
int ikesa_input(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ikesa_path *path, uint64_t now_ms);

/* INFORMATIONAL with an empty SK payload (liveness, R7296-1.4.a).
 * M6E_AGAIN if a request is outstanding, M6E_PROTO if not ESTABLISHED. */
int ikesa_dpd(struct ikesa *sa, uint64_t now_ms);
/* INFORMATIONAL with Delete(IKE) (R7296-1.4.a, RFC 7296 1.4.1); CLOSED on the response. */
int ikesa_delete(struct ikesa *sa, uint64_t now_ms);
/* Delete the CHILD_SA whose inbound SPI is spi_in (INFORMATIONAL with the
 * Delete of it, R7296-1.4.1); the IKE SA stays. child_down fires when the
 * peer answers. M6E_NOTFOUND without that CHILD_SA, M6E_PROTO when not
 * established; while a request is outstanding the Delete is queued and
 * sent when the window frees (0). */
int ikesa_delete_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms);

/* A new CHILD_SA (CREATE_CHILD_SA, R7296-1.3.1) with our ESP proposals;
 * child_up on success, child_failed(notify) when refused (the IKE SA
 * stays, R7296-1.3.1.c). M6E_PROTO when not established or the IKE SA is
 * being rekeyed (R7296-1.3.2.a), M6E_AGAIN while a request is
 * outstanding, M6E_NOSPACE with IKESA_CHILD_MAX children. */
int ikesa_create_child(struct ikesa *sa, const struct ikesa_child_req *req, uint64_t now_ms);
/* Rekey the CHILD_SA spi_in (N(REKEY_SA), R7296-1.3.3.a; PFS per
 * params.pfs): child_up of the new pair (rekey_of = spi_in), then our
 * Delete of the old one and its child_down. Errors as above, M6E_NOTFOUND
 * for a pair that is not installed. Also what the adapter calls on a soft
 * byte limit. */
int ikesa_rekey_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms);
/* Rekey the IKE SA (R7296-1.3.2.a, 2.18): ops->ike_rekeyed with the new
 * SA, then Delete(IKE) on this one. M6E_UNSUPP without ops->ike_rekeyed. */
int ikesa_rekey_ike(struct ikesa *sa, uint64_t now_ms);

/* The CHILD_SA table: up to cap entries into out, the count returned. */
size_t ikesa_children(const struct ikesa *sa, struct ikesa_child_info *out, size_t cap);

uint64_t ikesa_next_timeout(const struct ikesa *sa);
void ikesa_tick(struct ikesa *sa, uint64_t now_ms);

struct ikesa_stats {
	uint64_t drop[IKESA_DROP_COUNT];
	uint64_t retransmits;       /* our requests sent again */
	uint64_t cache_answers;     /* retransmitted requests answered from the cache */
	uint64_t dpd_answered;      /* empty INFORMATIONAL requests answered */
	uint64_t dpd_ok;            /* our liveness checks answered */
	uint64_t child_deleted;     /* CHILD_SA deleted by either side */
	uint64_t child_created;     /* CHILD_SAs created by CREATE_CHILD_SA, either side */
	uint64_t child_rekeyed;     /* CHILD_SAs replaced by a rekey, either side */
	uint64_t child_refused;     /* CREATE_CHILD_SA requests we refused */
	uint64_t collisions;        /* simultaneous rekeys resolved (R7296-2.8.1.a, 2.8.2.a) */
	uint64_t child_expired;     /* children deleted at their hard lifetime */
};

enum ikesa_state ikesa_state(const struct ikesa *sa);
const struct ikesa_stats *ikesa_stats(const struct ikesa *sa);
bool ikesa_is_initiator(const struct ikesa *sa);
uint64_t ikesa_spi_i(const struct ikesa *sa);
uint64_t ikesa_spi_r(const struct ikesa *sa);
const struct ikesa_id *ikesa_peer_id(const struct ikesa *sa);
/* The negotiated IKE suite (valid from AUTH_SENT / INIT_DONE). */
const struct ikesa_prop *ikesa_suite(const struct ikesa *sa);
/* NAT detection results (R7296-2.23): our side / the peer's side translated. */
bool ikesa_nat_local(const struct ikesa *sa);
bool ikesa_nat_remote(const struct ikesa *sa);
bool ikesa_peer_fragmentation(const struct ikesa *sa);
/* Last time a message of the peer verified (liveness). */
uint64_t ikesa_last_heard(const struct ikesa *sa);
/* RFC 7383 counters of this SA (fragments sent, kept, dropped by reason). */
const struct frag_stats *ikesa_frag_stats(const struct ikesa *sa);
/* The AUTH methods used (enum ike_auth_method; 0 before IKE_AUTH) and, when
 * the peer's certificate AUTH failed, why (enum ikeauth_fail). */
uint8_t ikesa_our_auth_method(const struct ikesa *sa);
uint8_t ikesa_peer_auth_method(const struct ikesa *sa);
unsigned ikesa_peer_auth_fail(const struct ikesa *sa);
/* Heap the engine holds for this SA now (struct, message buffers,
 * reassembly), OpenSSL's contexts in ikesa_crypto not counted. */
size_t ikesa_heap_bytes(const struct ikesa *sa);

/*
 * DEBUG ONLY: the IKE SA's SK_e and SK_a keys, for a decoder's key table
 * (tshark's ikev2_decryption_table; the adapter's opt-in key dump). Secret
 * material leaves the engine: never call it unless a person asked for a
 * key dump, and wipe *out after use. M6E_PROTO before the keys exist.
 */
struct ikesa_sk_dump {
	uint64_t spi_i, spi_r;
	struct ikesa_prop suite;
	size_t encr_len, integ_len;  /* SK_e* include the GCM salt; SK_a* are 0 with GCM */
	uint8_t sk_ei[64], sk_er[64], sk_ai[64], sk_ar[64];
};
int ikesa_debug_sk_dump(const struct ikesa *sa, struct ikesa_sk_dump *out);

const char *ikesa_state_name(enum ikesa_state s);
const char *ikesa_down_name(enum ikesa_down d);
const char *ikesa_drop_name(enum ikesa_drop d);

#endif
