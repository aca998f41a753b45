/*
 * Mobility Header codec (RFC 6275 §6.1, §6.2): parse the MH bytes of one
 * packet into a plain struct, and build MH bytes from one.
 *
 * The codec records facts and reasons; it makes no decisions. A failed parse
 * names a specific reason (enum mh_reason, with a name table) so the engine
 * can count drops per reason, and carries the ICMPv6 Parameter Problem
 * pointer where RFC 6275 §9.2 asks for one. What the engine must do with a
 * reason (silent drop, Parameter Problem, Binding Error status 2) is given
 * by mh_reason_action().
 *
 * Only the MH bytes are handled here; the IPv6 header and extension headers
 * are another codec's business. The checksum pseudo-header addresses are
 * therefore passed in (struct mh_pseudo): the home address from a HAO as
 * source, the final destination (home address from an RH2) as destination.
 */
#ifndef M6_WIRE_MH_H
#define M6_WIRE_MH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wbuf.h"

#define MH_IPPROTO 135     /* IPv6 Next Header value of the MH */
#define MH_PROTO_NONE 59   /* Payload Proto: IPPROTO_NONE (R6275-6.1.1.a) */
#define MH_MIN_LEN 8       /* Header Len 0 */
#define MH_MAX_LEN 2048    /* Header Len 255 */
#define MH_COOKIE_LEN 8    /* init cookies (RFC 6275 §6.1.3) */
#define MH_TOKEN_LEN 8     /* keygen tokens (RFC 6275 §6.1.5) */
#define MH_AUTH_RR_LEN 12  /* RR / RFC 4449 authenticator (96 bits) */
#define MH_AUTH_MAX 255    /* option length octet bounds the authenticator */

enum mh_type {
	MH_TYPE_BRR = 0,  /* Binding Refresh Request */
	MH_TYPE_HOTI = 1, /* Home Test Init */
	MH_TYPE_COTI = 2, /* Care-of Test Init */
	MH_TYPE_HOT = 3,  /* Home Test */
	MH_TYPE_COT = 4,  /* Care-of Test */
	MH_TYPE_BU = 5,   /* Binding Update */
	MH_TYPE_BA = 6,   /* Binding Acknowledgement */
	MH_TYPE_BE = 7,   /* Binding Error */
};
#define MH_TYPE_MAX MH_TYPE_BE

enum mh_opt_type {
	MH_OPT_PAD1 = 0,
	MH_OPT_PADN = 1,
	MH_OPT_BRA = 2,       /* Binding Refresh Advice */
	MH_OPT_ALT_COA = 3,   /* Alternate Care-of Address */
	MH_OPT_NONCE_IDX = 4, /* Nonce Indices */
	MH_OPT_AUTH = 5,      /* Binding Authorization Data */
};

/* BU flags word (offset 8); the other 12 bits are reserved. */
#define MH_BU_F_A 0x8000u /* acknowledge requested */
#define MH_BU_F_H 0x4000u /* home registration */
#define MH_BU_F_L 0x2000u /* link-local address compatibility */
#define MH_BU_F_K 0x1000u /* key management mobility capability */
#define MH_BU_F_ALL (MH_BU_F_A | MH_BU_F_H | MH_BU_F_L | MH_BU_F_K)
/* BA octet 7; the other 7 bits are reserved. */
#define MH_BA_F_K 0x80u

/* Binding Acknowledgement status (RFC 6275 §6.1.8; wire-formats.md §L). */
enum mh_ba_status {
	MH_BA_ACCEPTED = 0,
	MH_BA_ACCEPTED_PREFIX_DISC = 1,
	MH_BA_UNSPECIFIED = 128,
	MH_BA_PROHIBITED = 129,
	MH_BA_NO_RESOURCES = 130,
	MH_BA_HOME_REG_UNSUPP = 131,
	MH_BA_NOT_HOME_SUBNET = 132,
	MH_BA_NOT_HA_FOR_MN = 133,
	MH_BA_DAD_FAILED = 134,
	MH_BA_SEQ_OUT_OF_WINDOW = 135,
	MH_BA_EXPIRED_HOME_NONCE = 136,
	MH_BA_EXPIRED_COA_NONCE = 137,
	MH_BA_EXPIRED_NONCES = 138,
	MH_BA_REG_TYPE_CHANGE = 139,
	MH_BA_INVALID_COA = 174,
};
/* Codes below 128 mean the binding was accepted (RFC 6275 §6.1.8). */
static inline bool mh_ba_status_accepted(unsigned status) { return status < 128; }

/* Binding Error status (RFC 6275 §6.1.9). */
enum mh_be_status {
	MH_BE_UNKNOWN_HAO = 1,  /* unknown binding for Home Address option */
	MH_BE_UNKNOWN_TYPE = 2, /* unrecognized MH Type value */
};

/* Why a parse failed (MH_R_OK when it did not). Stable: engines count drops
 * by these values. */
enum mh_reason {
	MH_R_OK = 0,
	MH_R_TRUNC_HEADER,    /* fewer than 8 octets */
	MH_R_LEN_NOT_MULT8,   /* bytes given not a multiple of 8 (R6275-6.1.1.b) */
	MH_R_HLEN_LONG,       /* Header Len claims more than the bytes given */
	MH_R_HLEN_SHORT,      /* bytes given beyond (Header Len+1)*8 */
	MH_R_CKSUM,           /* checksum mismatch (R6275-9.2.a) */
	MH_R_PROTO_NOT_NONE,  /* Payload Proto != 59 (R6275-9.2.c) */
	MH_R_UNKNOWN_TYPE,    /* MH Type > 7 (R6275-9.2.b) */
	MH_R_HLEN_BELOW_MIN,  /* Header Len below the type's minimum (R6275-9.2.d) */
	MH_R_OPT_TRUNC,       /* option header or data runs past the end */
	MH_R_OPT_BAD_LEN,     /* option length wrong for its type */
	MH_R_OPT_MISALIGNED,  /* option not at its xn+y offset (R6275-6.2.1.b) */
	MH_R_OPT_DUP,         /* second copy of a single-instance option */
	MH_R_AUTH_NOT_LAST,   /* option after Binding Authorization Data (R6275-6.2.a) */
	MH_R_AUTH_TRAIL_PAD,  /* padding after Binding Authorization Data (R6275-6.2.a) */
	MH_R_COUNT
};

/* What RFC 6275 §9.2 tells the receiver to do about a reason. */
enum mh_action {
	MH_ACT_ACCEPT = 0,  /* MH_R_OK */
	MH_ACT_DROP,        /* silently discard */
	MH_ACT_PARAM_PROB,  /* discard, ICMPv6 Parameter Problem code 0 at pp_ptr */
	MH_ACT_BE_UNKNOWN,  /* discard, Binding Error status 2 (§9.3.3) */
};

#define MH_PP_NONE (-1)

/* Outcome of a parse beyond the return code. */
struct mh_diag {
	enum mh_reason reason;
	int pp_ptr;    /* Parameter Problem pointer from the MH start, or MH_PP_NONE */
	size_t offset; /* octet offset in the MH where the problem was found */
};

/* Pseudo-header addresses for the checksum (R6275-6.1.1.d): src is the home
 * address when a HAO is present, dst the final destination (the home address
 * when an RH2 is present). */
struct mh_pseudo {
	struct in6_addr src;
	struct in6_addr dst;
};

/* HoTI (type 1) and CoTI (type 2). */
struct mh_test_init {
	uint8_t cookie[MH_COOKIE_LEN];
};

/* HoT (type 3) and CoT (type 4). */
struct mh_test {
	uint16_t nonce_idx;
	uint8_t cookie[MH_COOKIE_LEN];
	uint8_t token[MH_TOKEN_LEN];
};

struct mh_bu {
	uint16_t seq;
	uint16_t flags;    /* MH_BU_F_*; reserved bits dropped on parse */
	uint16_t lifetime; /* 4-second units; 0 = delete (R6275-6.1.7.b) */
};

struct mh_ba {
	uint8_t status;    /* enum mh_ba_status */
	uint8_t flags;     /* MH_BA_F_K; reserved bits dropped on parse */
	uint16_t seq;
	uint16_t lifetime; /* 4-second units; undefined when status >= 128 */
};

struct mh_be {
	uint8_t status; /* enum mh_be_status */
	struct in6_addr hoa;
};

/*
 * Mobility options. Only options valid for the message type are decoded;
 * others are skipped and counted (R6275-6.2.1.a, R6275-6.1.x.a).
 */
struct mh_opts {
	bool has_bra;
	uint16_t bra_interval; /* Refresh Interval, 4-second units */
	bool has_alt_coa;
	struct in6_addr alt_coa;
	bool has_nonce_idx;
	uint16_t home_nonce_idx;
	uint16_t coa_nonce_idx;
	bool has_auth;
	uint8_t auth_len;
	uint8_t auth[MH_AUTH_MAX];
	/* Facts of a parse; ignored by the builder and by mh_msg_eq(). */
	size_t auth_off;       /* offset of the authenticator in the MH */
	unsigned unknown;      /* options of unknown type skipped */
	unsigned invalid;      /* known options not valid for this type, skipped */
	uint32_t invalid_mask; /* 1u << option type, for each such option */
};

struct mh_msg {
	uint8_t type; /* enum mh_type */
	union {
		struct mh_test_init ti; /* HoTI, CoTI */
		struct mh_test test;    /* HoT, CoT */
		struct mh_bu bu;
		struct mh_ba ba;
		struct mh_be be;
	} u;
	struct mh_opts opts;
};

/*
 * Parse the len bytes of one Mobility Header into *m (fully overwritten).
 * With ph non-NULL the checksum is verified against it; ph NULL skips the
 * check, for callers that have already verified it. d (may be NULL) receives
 * the reason, Parameter Problem pointer and offset. On failure *m holds what
 * was decoded so far; m->type is the received value once 6 octets were read,
 * so an unknown type can be logged before the Binding Error goes out.
 * Returns 0, or M6E_TRUNC, M6E_INVAL, M6E_CKSUM, M6E_PROTO, M6E_UNSUPP
 * (unknown MH type), M6E_ALIGN, M6E_DUP, M6E_ORDER; d->reason is specific.
 */
int mh_parse(const void *data, size_t len, const struct mh_pseudo *ph, struct mh_msg *m,
	     struct mh_diag *d);

/* Compute and store the checksum of a whole MH of len >= 8 octets (for a
 * caller that built with ph NULL). Returns 0 or M6E_INVAL. */
int mh_cksum_fill(void *mh, size_t len, const struct mh_pseudo *ph);
/* True when the checksum field of the MH is correct. */
bool mh_cksum_ok(const void *mh, size_t len, const struct mh_pseudo *ph);

/*
 * Append the MH for *m to w, with options in the RFC alignment (Nonce
 * Indices 2n, Alternate CoA 8n+6, BRA 2n, BAD 8n+2 and last) and padding to
 * a multiple of 8. Options not valid for the type are refused (M6E_INVAL);
 * an authenticator length that cannot end at 8n+2+2+len = 8k is refused
 * (M6E_ALIGN). With ph non-NULL the checksum is filled, else left 0.
 * *auth_off (may be NULL) receives the authenticator's offset from the MH
 * start (0 without BAD). Returns 0, M6E_INVAL, M6E_ALIGN or M6E_NOSPACE; on
 * error w may hold a partial MH.
 */
int mh_build(struct wbuf *w, const struct mh_msg *m, const struct mh_pseudo *ph, size_t *auth_off);

/*
 * Binding Authorization Data (algorithms.md §4.3): the authenticator covers
 * the MH with a zero checksum up to the authenticator. Build with a zero (or
 * any) authenticator and ph NULL, compute it over mh[0 .. auth_off) and call
 * mh_auth_finish() to write it and then the checksum (ph may be NULL to leave
 * the checksum 0). Returns 0 or M6E_INVAL when mh does not end in a BAD of
 * auth_len octets.
 */
int mh_auth_finish(void *mh, size_t len, const uint8_t *auth, size_t auth_len,
		   const struct mh_pseudo *ph);
/* Copy the authenticated MH Data of a parsed MH (checksum zeroed) to out.
 * Returns 0, M6E_NOTFOUND without BAD, M6E_NOSPACE, M6E_INVAL. */
int mh_auth_data(const void *mh, size_t len, const struct mh_msg *m, uint8_t *out, size_t cap,
		 size_t *out_len);

/* Equal in every field the wire carries (parse facts are not compared). */
bool mh_msg_eq(const struct mh_msg *a, const struct mh_msg *b);

/* Minimum Header Len for a known type (wire-formats.md §B.2), or -1. */
int mh_min_hlen(unsigned type);
enum mh_action mh_reason_action(enum mh_reason r);

/* Name tables; never NULL ("unknown" for values without a name). */
const char *mh_type_name(unsigned type);
const char *mh_opt_name(unsigned type);
const char *mh_ba_status_name(unsigned status);
const char *mh_be_status_name(unsigned status);
const char *mh_reason_name(enum mh_reason r);
/* "129 (administratively prohibited)" into buf; returns buf. */
const char *mh_ba_status_fmt(unsigned status, char *buf, size_t len);

#endif
