/*
 * ikesa_int: what the files of the IKE SA engine share (ikesa.c,
 * ikesa_init.c, ikesa_auth.c, ikesa_create.c, ikesa_info.c). Engine-internal:
 * adapters, tests and other modules use ike/ikesa.h only, and struct ikesa
 * stays opaque to them. The isa_ prefix marks helpers that are shared between
 * those files and nothing else; each is defined in the file named above its
 * group. States, timers and rules: ikesa.h.
 */
#ifndef M6_IKE_IKESA_INT_H
#define M6_IKE_IKESA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wbuf.h"
#include "ike/child.h"
#include "ike/frag.h"
#include "ike/ikeauth.h"
#include "ike/ikesa.h"
#include "ike/ikesa_crypto.h"
#include "wire/ike.h"

/* What our outstanding request is, for its response. */
enum req_kind {
	REQ_OTHER = 0,     /* IKE_SA_INIT, IKE_AUTH, liveness */
	REQ_DELETE_IKE,
	REQ_DELETE_CHILD,  /* every child in CHILD_DELETING */
	REQ_CREATE,        /* CREATE_CHILD_SA: struct pending_create */
};

enum create_kind { CREATE_NEW_CHILD, CREATE_REKEY_CHILD, CREATE_REKEY_IKE };

/* Our outstanding CREATE_CHILD_SA (R7296-1.3): what to do with its answer. */
struct pending_create {
	enum create_kind kind;
	uint32_t old_spi_in;           /* REKEY_CHILD: the pair being replaced */
	uint32_t new_spi_in;           /* child: our SPI of the new pair */
	uint8_t new_spi_ike[IKE_SPI_LEN]; /* REKEY_IKE: our SPI of the new IKE SA */
	/* Child kinds: TSi, TSr we ask for; on the heap while the exchange
	 * runs (2 x 612 bytes an idle SA does not need), see pc_begin. */
	struct ike_ts_list *ts;
	bool transport;
	uint16_t dh;                   /* group of our KE, 0: none */
	struct ikesa_dh *kex;
	uint8_t ni[IKESA_NONCE_LEN];
	unsigned ke_retries;
	struct child_collision coll;   /* REKEY_CHILD: the peer rekeyed the same pair meanwhile */
};

/* A peer's IKE SA rekey answered while ours was outstanding (R7296-2.8.2.a). */
struct ike_collision {
	struct ikesa *new_sa;          /* what the peer's exchange created (the adapter has it) */
	uint8_t peer_ni[IKE_NONCE_MAX], our_nr[IKESA_NONCE_LEN];
	size_t peer_ni_len;
};

struct ikesa {
	struct ikesa_params p;
	const struct ikesa_ops *ops;
	void *arg;
	struct ikesa_path path;
	enum ikesa_state state;
	bool initiator;
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	/* IKE_NONCE_MAX each, one heap block: SKEYSEED, AUTH and the first
	 * CHILD_SA's KEYMAT read them; released once established (rekeys
	 * bring fresh nonces, R7296-2.17/2.18). */
	uint8_t *ni, *nr;
	size_t ni_len, nr_len;
	uint16_t dh_group;             /* of our KE */
	struct ikesa_prop suite;       /* negotiated IKE suite */
	struct ikesa_cx *cx;
	uint8_t cookie[IKE_COOKIE_MAX];
	size_t cookie_len;
	unsigned init_retries;
	/* Both IKE_SA_INIT messages: the AUTH payloads sign them (R7296-2.15);
	 * heap copies at their size, freed once established (nothing after
	 * IKE_AUTH reads them: no EAP). */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	/* Our outstanding request (window of 1); fragments back to back
	 * when req_frags.n > 0. */
	uint8_t *req;
	size_t req_len;
	struct frag_set req_frags;
	uint32_t req_id, next_req_id;
	uint8_t req_exch;
	bool req_pending;
	enum req_kind req_kind;
	unsigned retx_sent;
	uint32_t retx_delay_ms;
	uint64_t retx_at, half_open_at;
	/* Response cache for the peer's last request (R7296-2.1.a). */
	uint8_t *resp;
	size_t resp_len;
	struct frag_set resp_frags;
	uint32_t peer_next_id;
	/* Scratch: received message (decrypted in place), inner chain built. */
	uint8_t *rx, *plain;
	/* Of req, resp, rx, plain (one allocation); 0 while idle: then only
	 * resp is held, at resp_len octets (buffers_idle). */
	size_t buf_cap;
	struct frag_rx frx;            /* RFC 7383 reassembly */
	/* Signature AUTH (ikeauth.h): the peer's SIGNATURE_HASH_ALGORITHMS,
	 * and whether both sides sent one (R7427-3.a). */
	unsigned peer_hashes;
	bool hashes_ok;
	uint8_t our_auth_method, peer_auth_method;
	enum ikeauth_fail auth_fail;
	uint32_t child_spi_in;         /* our SPI of the child IKE_AUTH negotiates */
	struct child_table children;
	struct pending_create pc;
	/* IKE SA rekey: the SA that replaced this one (children moved there),
	 * a collision being resolved, the lifetime timers. */
	struct ikesa *rekeyed_to;
	bool ike_coll_seen;
	struct ike_collision ike_coll;
	uint64_t ike_rekey_at, ike_expire_at;
	uint64_t now_ms;               /* of the engine call running */
	struct ikesa_id peer_id;
	bool nat_local, nat_remote, peer_frag;
	uint64_t last_heard;
	struct ikesa_stats st;
};

/* ---- ikesa.c: small helpers, state, proposals, sending, lifecycle ---- */

/* Big-endian fields: an IKE SPI as a number (zero only before it is
 * chosen, R7296-2.6.a), an ESP SPI into a payload. */
uint64_t isa_be64(const uint8_t b[IKE_SPI_LEN]);
bool isa_spi_zero(const uint8_t b[IKE_SPI_LEN]);
void isa_put_be32(uint8_t *b, uint32_t v);
/* Count a dropped message by reason (rate-limited log); returns rc. */
int isa_drop(struct ikesa *sa, enum ikesa_drop why, int rc);
/* Moves along the ikesa.h diagram, logged old -> new, others refused;
 * isa_go_down moves to CLOSED and reports ike_down once. The selectors of
 * our CREATE_CHILD_SA go with isa_pc_release_ts. */
void ikesa_set_state(struct ikesa *sa, enum ikesa_state next);
void isa_go_down(struct ikesa *sa, enum ikesa_down why);
void isa_pc_release_ts(struct pending_create *pc);
/* The header of a message of ours (R7296-3.1.a flags). */
struct ike_hdr isa_our_hdr(const struct ikesa *sa, uint8_t exch, bool response, uint32_t msg_id);
/* IKE proposals (R7296-2.7, 3.3); esp true hands ESP to child.c. */
void isa_fill_ike_prop(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o);
int isa_select_prop(const struct ike_sa *peer, const struct ikesa_prop *ours, size_t n_ours, bool esp,
		    uint16_t ke_group, uint8_t *num);
int isa_check_chosen(const struct ike_sa *resp, const struct ikesa_prop *ours, size_t n_ours, bool esp);
/* Sending: one datagram or every fragment; a new encrypted request from
 * sa->plain (window of 1, retransmission armed); a response kept in the
 * cache (R7296-2.1.a); the inner chain builder over sa->plain. */
int isa_send_bytes(struct ikesa *sa, const uint8_t *msg, size_t len, const struct frag_set *frags);
void isa_arm_retx(struct ikesa *sa, uint64_t now_ms);
int isa_send_request(struct ikesa *sa, uint8_t exch, uint8_t first, size_t plain_len, uint64_t now_ms);
int isa_send_response(struct ikesa *sa, uint8_t exch, uint32_t msg_id, uint8_t first, size_t plain_len);
void isa_inner_begin(struct ikesa *sa, struct ike_builder *b, struct wbuf *w);
bool isa_has_notify(const struct ike_chain *c, uint16_t type);
/* Randomness only through ops->random: bytes, an IKE SPI, a free ESP SPI. */
void isa_random_bytes(const struct ikesa_ops *ops, void *arg, void *buf, size_t len);
void isa_new_spi64(const struct ikesa_ops *ops, void *arg, uint8_t spi[IKE_SPI_LEN]);
uint32_t isa_new_child_spi(struct ikesa *sa);
/* A new SA in IDLE (NULL: bad params or no memory); the message buffers
 * back before anything reads or builds a message (M6E_NOMEM). */
struct ikesa *isa_alloc(const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
			const struct ikesa_path *path, bool initiator);
int isa_buffers_work(struct ikesa *sa);
/* Start the SA's own work that is due (Deletes, rekeys), window permitting. */
void isa_kick(struct ikesa *sa, uint64_t now_ms);

/* ---- ikesa_init.c: IKE_SA_INIT ---- */

/* Initiator: the IKE_SA_INIT response or one of its refusals (COOKIE,
 * INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN); sends IKE_AUTH on success. */
int isa_on_init_response(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ike_msg *m,
			 uint64_t now_ms);

/* ---- ikesa_auth.c: IKE_AUTH ---- */

/* Initiator: send the IKE_AUTH request (M6E_AUTH: nothing to sign with). */
int isa_auth_request(struct ikesa *sa, uint64_t now_ms);
/* The IKE_AUTH request (responder) and response (initiator), SK verified. */
int isa_on_auth_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c, uint64_t now_ms);
int isa_on_auth_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms);

/* ---- ikesa_create.c: CREATE_CHILD_SA, rekeying, collisions ---- */

/* Every new pair (IKE_AUTH's and CREATE_CHILD_SA's) enters sa's table
 * here and is reported through child_up; NULL: not installed (logged). */
struct child_sa *isa_child_install(struct ikesa *sa, const struct ikesa_cx *cx, const struct ikesa_prop *esp,
				   uint16_t pfs_group,
				   uint32_t spi_in, uint32_t spi_out, bool transport, const struct ike_ts_list *tsi,
				   const struct ike_ts_list *tsr, bool we_init, const uint8_t *gir, size_t gir_len,
				   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint32_t rekey_of);
/* Children move to the SA that replaced from (R7296-2.8.2.a), unreported. */
void isa_children_move(struct ikesa *to, struct ikesa *from);
/* Start our rekey of an installed pair (M6E_NOSPACE: table full). */
int isa_rekey_child_start(struct ikesa *sa, struct child_sa *c, uint64_t now_ms);
/* A CREATE_CHILD_SA request (responder) and our request's answer, SK verified. */
int isa_on_create_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c);
int isa_on_create_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms);

/* ---- ikesa_info.c: INFORMATIONAL ---- */

/* Our INFORMATIONAL request: empty (liveness) or Delete(IKE). */
int isa_info_request(struct ikesa *sa, bool delete_ike, uint64_t now_ms);
/* The peer's INFORMATIONAL request and the answer to ours, SK verified. */
int isa_on_info_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c);
void isa_on_info_response(struct ikesa *sa);
/* One Delete(ESP) for every child in CHILD_DELETE_WANTED. */
int isa_send_child_deletes(struct ikesa *sa, uint64_t now_ms);

#endif
