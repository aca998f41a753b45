/*
 * sa: one unidirectional ESP Security Association (RFC 4301 4.4.2): its
 * keys and cipher context, sequence counter, anti-replay window, counters
 * and soft/hard lifetimes.
 *
 * No clock reads: times are milliseconds on the caller's monotonic clock,
 * passed in. Lifetime states only move forward:
 *   MATURE -> DYING (soft limit: the engine should rekey) -> DEAD (hard limit:
 *   no more packets in either direction; the engine deletes the SA).
 */
#ifndef M6_IPSEC_SA_H
#define M6_IPSEC_SA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/aead.h"
#include "ipsec/replay.h"

enum sa_dir { SA_DIR_IN = 0, SA_DIR_OUT = 1 };
enum sa_mode { SA_MODE_TRANSPORT = 1, SA_MODE_TUNNEL = 2 };
enum sa_state { SA_STATE_MATURE = 1, SA_STATE_DYING = 2, SA_STATE_DEAD = 3 };

/* A limit of 0 means none. */
struct sa_lifetime {
	uint64_t bytes; /* inner payload bytes protected or accepted */
	uint64_t seconds; /* since the SA was created */
};

struct sa_params {
	uint32_t spi; /* 256..2^32-1 (R4303-2.1.a, R3948-1.a) */
	enum sa_dir dir;
	enum sa_mode mode;
	enum aead_alg alg;
	const uint8_t *keymat; /* aead_keymat_len(alg) bytes; copied, wipe yours */
	size_t keymat_len;
	bool esn; /* 64-bit sequence numbers (R4303-2.2.1.a), negotiated by IKE */
	bool manual; /* manually keyed: AES-CBC + HMAC-SHA2-256-128 only (R8221-3.a) */
	uint32_t replay_window; /* inbound; 0 disables (R4303-3.3.3.a) */
	struct in6_addr src, dst; /* outer addresses */
	bool udp_encap; /* RFC 3948 framing, chosen per tunnel even without NAT */
	uint16_t encap_sport, encap_dport;
	struct sa_lifetime soft, hard;
};

struct sa_counters {
	uint64_t packets, bytes; /* accepted / sent */
	uint64_t auth_fail, replay_drop, other_drop;
};

struct sa {
	uint32_t spi;
	enum sa_dir dir;
	enum sa_mode mode;
	enum aead_alg alg;
	enum sa_state state;
	bool esn, manual, udp_encap;
	uint16_t encap_sport, encap_dport;
	struct in6_addr src, dst;
	struct aead *aead; /* seal context for OUT, open context for IN */
	uint64_t seq; /* OUT: last sequence number sent (0 = none yet) */
	struct replay replay; /* IN */
	struct sa_counters cnt;
	struct sa_lifetime soft, hard;
	uint64_t created_ms;
	struct sa *hnext; /* SAD hash chain, owned by sad.c */
	void *user; /* for the engine that owns the SA (ipsecdb: its tunnel) */
};

const char *sa_state_name(enum sa_state s);
const char *sa_dir_name(enum sa_dir d);
const char *sa_mode_name(enum sa_mode m);

/*
 * Create an SA from p at time now_ms. 0; M6E_INVAL (reserved SPI, bad alg,
 * key length or mode, soft limit above hard); M6E_PERM (AEAD with manual keys,
 * R8221-3.a, R4106-2.a); M6E_RANGE (replay window); M6E_NOMEM; M6E_IO.
 */
int sa_new(const struct sa_params *p, uint64_t now_ms, struct sa **out);
/* Wipe and free (the SA must not be in a SAD); NULL is fine. */
void sa_free(struct sa *sa);

/* Move to a later state, logging old -> new; going back is M6E_PROTO. */
int sa_set_state(struct sa *sa, enum sa_state next);

/*
 * Reserve the next outbound sequence number. The counter never cycles
 * (R4303-2.2.a): a non-ESN SA sends 2^32 - 1 as its last packet, an ESN SA
 * 2^64 - 1; after that M6E_RANGE until the SA is replaced.
 */
int sa_next_seq(struct sa *sa, uint64_t *seq);

/* Count one packet of `bytes` payload, moving the state on the byte limits;
 * returns the state afterwards (a change from before means: rekey, or delete). */
enum sa_state sa_account(struct sa *sa, size_t bytes);
/* Apply the time limits at now_ms (the engine's timer calls this); returns
 * the state afterwards. */
enum sa_state sa_tick(struct sa *sa, uint64_t now_ms);

#endif
