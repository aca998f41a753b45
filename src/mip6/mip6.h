/*
 * What the Mobile IPv6 engines (ha.c, mn.c) share: the outgoing-message
 * description handed to the I/O adapter, the facts the adapter establishes
 * about an incoming Mobility Header, sequence-number arithmetic, and the
 * RFC 6275 §12 constants the engines use (wire-formats.md §K).
 *
 * The engines never build bytes: a struct mip6_tx says what to send and how
 * it must be protected; the adapter builds it with mh_build() and
 * ip6_build_packet() and seals ESP.
 */
#ifndef M6_MIP6_MIP6_H
#define M6_MIP6_MIP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire/mh.h"

/* RFC 6275 §12 (wire-formats.md §K), in milliseconds. */
#define MIP6_INITIAL_BINDACK_TIMEOUT_MS 1000u
#define MIP6_INITIAL_BINDACK_TIMEOUT_FIRST_REG_MS 1500u /* §13 default */
#define MIP6_MAX_BINDACK_TIMEOUT_MS 32000u
#define MIP6_MAX_DELETE_BCE_TIMEOUT_MS 10000u
#define MIP6_MAX_UPDATE_RATE 3 /* BUs per second to one destination */

/* How an outgoing MH message must be protected (RFC 3776 §3.1, §5.2). */
enum mip6_protect {
	MIP6_PROT_NONE = 0,   /* e.g. a Binding Error */
	MIP6_PROT_ESP_BU_BA,  /* transport-mode ESP with the BU/BA SA of tx->hoa */
};

/* One message for the adapter to send. */
struct mip6_tx {
	struct mh_msg msg;
	struct in6_addr src;  /* IPv6 source */
	struct in6_addr dst;  /* IPv6 destination on the wire */
	bool has_hao;         /* Home Address option carrying hoa (BUs from a CoA) */
	bool has_rh2;         /* type 2 routing header carrying hoa (BAs to a CoA) */
	struct in6_addr hoa;  /* the home address the message is about */
	enum mip6_protect protect;
	uint32_t sa_id;       /* inbound SA the triggering message used (HA), else 0 */
};

/* Facts the adapter established about one received MH message. */
struct mip6_rx {
	struct mh_msg msg;    /* parsed by mh_parse(), checksum verified */
	struct in6_addr src;  /* IPv6 source as on the wire (the CoA for a BU via HAO) */
	struct in6_addr dst;  /* IPv6 destination after RH2 processing */
	bool has_hao;
	struct in6_addr hao;  /* home address from the HAO */
	bool esp;             /* arrived in ESP and passed the SPD inbound check */
	uint32_t sa_id;       /* which inbound SA, when esp */
};

/* a > b modulo 2^16 (R6275-9.5.1.b): b+1 .. b+32767 are greater; b and the
 * 32768 values before it are "less than or equal". */
static inline bool mip6_seq_gt(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);
	return d != 0 && d < 0x8000u;
}

#define MIP6_NEVER UINT64_MAX /* no timer pending */

#endif
