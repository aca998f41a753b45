/*
 * child: the CHILD_SA side of an IKE SA (RFC 7296 1.3, 2.9, 2.17), private
 * to src/ike/. What is pure here: ESP (and IKE) proposal fit, selection and
 * the check of the responder's choice, traffic selector narrowing, the
 * bounded table of an IKE SA's CHILD_SAs, and the KEYMAT of one CHILD_SA.
 * The exchanges that create, rekey and delete children live in
 * ikesa_create.c and ikesa_info.c; the engine owns message IDs and retransmission.
 *
 * A child's states (child_set_state() logs and refuses other moves):
 *   INSTALLED  --we send a rekey-->           REKEYING
 *   REKEYING   --refused / peer deleted-->    INSTALLED / gone
 *   INSTALLED|REKEYING --replaced by a rekey-->  REKEYED (the old pair, to
 *                                            be deleted by the rekey's initiator)
 *   any        --we want it gone-->           DELETE_WANTED (sent when the window is free)
 *   DELETE_WANTED --Delete sent-->            DELETING --answer-->  gone
 * "gone" is a free slot; child_down is reported for every pair that leaves
 * the table except those moved to a rekeyed IKE SA.
 */
#ifndef M6_IKE_CHILD_H
#define M6_IKE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ikesa.h"
#include "ike/ikesa_crypto.h"
#include "wire/ike.h"

enum child_state {
	CHILD_FREE = 0,
	CHILD_INSTALLED,
	CHILD_REKEYING,      /* our CREATE_CHILD_SA with N(REKEY_SA) is outstanding */
	CHILD_REKEYED,       /* a newer pair replaced it; its Delete is coming */
	CHILD_DELETE_WANTED, /* our Delete waits for the request window */
	CHILD_DELETING,      /* our Delete is outstanding */
	CHILD_STATE_COUNT
};

/* Our record of one simultaneous rekey (R7296-2.8.1.a): the exchange the
 * peer started for the same child while ours was outstanding. Kept with
 * our outstanding request (ikesa_create.c), so it outlives the old pair. */
struct child_collision {
	bool seen;
	uint32_t new_spi_in;                 /* the pair the peer's exchange created */
	uint8_t peer_ni[IKE_NONCE_MAX], our_nr[IKESA_NONCE_LEN];
	size_t peer_ni_len;
};

struct child_sa {
	enum child_state state;
	uint32_t spi_in, spi_out;
	struct ikesa_prop suite;             /* encr, key_bits, integ; dh the PFS group or 0 */
	bool transport;
	bool we_init;                        /* we initiated the exchange that made it */
	/* The selectors as that exchange named them, for its rekey (R7296-2.8.a):
	 * n_tsi then n_tsr entries in one heap block at its size (the table
	 * holds IKESA_CHILD_MAX slots; full lists would be 1.2 KB each). */
	struct ike_ts *ts;
	uint8_t n_tsi, n_tsr;
	uint64_t created_ms, rekey_at, expire_at; /* IKESA_NEVER: no lifetime */
};

struct child_table {
	struct child_sa c[IKESA_CHILD_MAX];
};

const char *child_state_name(enum child_state s);
/* CHILD_FREE releases the slot's selectors. */
void child_set_state(struct child_sa *c, enum child_state next);
/* Record a free slot's selectors (M6E_NOMEM: nothing kept); give them back
 * as lists; release every slot's (the table's owner goes). */
int child_keep_ts(struct child_sa *c, const struct ike_ts_list *tsi, const struct ike_ts_list *tsr);
void child_ts_lists(const struct child_sa *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr);
void child_table_release(struct child_table *t);

/* A free slot (state still CHILD_FREE), NULL when all IKESA_CHILD_MAX are used. */
struct child_sa *child_slot(struct child_table *t);
/* Lookups by our inbound SPI / the peer's inbound SPI; NULL if absent. */
struct child_sa *child_by_spi_in(struct child_table *t, uint32_t spi_in);
struct child_sa *child_by_spi_out(struct child_table *t, uint32_t spi_out);
unsigned child_count(const struct child_table *t);
/* Is spi_in one of ours already (a new SPI must not collide)? */
bool child_spi_taken(const struct child_table *t, uint32_t spi_in);

/* ---- proposals (R7296-2.7, R7296-3.3) ---- */

bool child_xf_has(const struct ike_proposal *pp, uint8_t type, uint16_t id, uint16_t key_bits);
bool child_xf_has_type(const struct ike_proposal *pp, uint8_t type);
/* RFC 7296 3.3.6: a proposal with a transform type we do not know is refused. */
bool child_known_types_only(const struct ike_proposal *pp);
bool child_integ_ok(const struct ike_proposal *pp, uint16_t integ);
uint32_t child_spi32(const struct ike_proposal *pp);
void child_add_xf(struct ike_proposal *pp, uint8_t type, uint16_t id, uint16_t key_bits);

/* ESP proposal pp fits our suite o; dh: the KE group of the request (0:
 * none, then pp must not demand one; CHILD_DH_ANY: IKE_AUTH, where DH
 * transforms are ignored, R7296-1.2). o->dh != 0 is our PFS policy for
 * CREATE_CHILD_SA: that group and no other, and not without one. */
#define CHILD_DH_ANY 0xffffu
bool child_esp_fits(const struct ike_proposal *pp, const struct ikesa_prop *o, uint16_t dh);
/* Our ESP proposal num with spi; dh != 0 adds that group (PFS). */
void child_fill_esp(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o, uint16_t dh, uint32_t spi);
/*
 * Responder: the first peer ESP proposal (its order, R7296-2.7) one of ours
 * fits with ke_group (0: no KE came). Index into ours and the peer's
 * proposal number, or -1. *want_group (may be NULL) gets a group we would
 * accept if only the KE had another one (INVALID_KE_PAYLOAD, R7296-1.3.a).
 */
int child_select_esp(const struct ike_sa *peer, const struct ikesa_prop *ours, size_t n_ours, uint16_t ke_group,
		     uint8_t *num, uint16_t *want_group);
/* Initiator: the responder's single ESP proposal is one we offered (with
 * dh when we sent a KE), one transform of each type (R7296-3.3.a); index
 * into ours or -1. */
int child_check_esp(const struct ike_sa *resp, const struct ikesa_prop *ours, size_t n_ours, uint16_t dh);

/* ---- traffic selectors (R7296-2.9) ---- */

/* Every selector of narrowed sits inside one of proposed (and there is one). */
bool child_ts_subset(const struct ike_ts_list *narrowed, const struct ike_ts_list *proposed);
int child_parse_ts_pair(const struct ike_chain *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr);

/* ---- keys ---- */

/*
 * Fill the ESP half of a child_up report for suite esp: alg, keymat_len
 * and both keymats from prf+(SK_d, [gir |] Ni | Nr) (R7296-2.17.a); we_init:
 * we initiated the exchange that creates it (its Ni is ours). M6E_* on failure.
 */
int child_keys(struct ikesa_child *ch, const struct ikesa_cx *cx, const struct ikesa_prop *esp, bool we_init,
	       const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len);

/* Lifetime timers of a new child (R7296-2.8): rekey at lifetime - margin -
 * jitter (jitter_frac of margin/2, 0..65535), expire at lifetime; both
 * IKESA_NEVER without a lifetime or with margin 0 for the rekey. */
void child_timers(uint64_t now_ms, uint64_t lifetime_ms, uint64_t margin_ms, uint16_t jitter, uint64_t *rekey_at,
		  uint64_t *expire_at);

#endif
