/*
 * IPv6-in-IPv6 tunnelling (RFC 2473): the home agent's tunnel to the mobile
 * node (RFC 6275 §10.4.2, §11.3.1; wire-formats.md §E, E13) and the inner
 * packet of ESP tunnel mode.
 *
 *   +----------------------------------+------------------------------------+
 *   | outer IPv6 header (Next Hdr 41)  | inner IPv6 header | inner payload  |
 *   | src = entry point, dst = exit    |  (untouched)                       |
 *   +----------------------------------+------------------------------------+
 *   [outer extension headers may sit between the two on receipt]
 */
#ifndef M6_WIRE_TUNNEL6_H
#define M6_WIRE_TUNNEL6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip6.h"

struct tunnel6_params {
	struct in6_addr src;  /* tunnel entry point */
	struct in6_addr dst;  /* tunnel exit point */
	uint8_t hlim;         /* outer hop limit; 0 means IP6_DEFAULT_HLIM (RFC 2473 §6.3) */
	bool copy_tclass;     /* RFC 2473 §6.5: copy the inner traffic class ... */
	uint8_t tclass;       /* ... or use this one */
	uint32_t flow;        /* outer flow label (RFC 2473 §6.5) */
};

/*
 * Encapsulate in place. The inner packet is at buf[headroom, headroom +
 * inner_len); the outer header is written into the IP6_HDR_LEN octets
 * before it and *out_off is set to where the outer packet starts. The inner
 * packet must be IPv6 whose payload length matches inner_len. The inner hop
 * limit is not touched (decrementing it is the forwarder's job).
 * Returns 0, M6E_NOSPACE (headroom < 40), M6E_RANGE (inner over 65535
 * octets) or M6E_INVAL (inner not a whole IPv6 packet).
 */
int tunnel6_encap(uint8_t *buf, size_t headroom, size_t inner_len, const struct tunnel6_params *p,
		  size_t *out_off);

/*
 * Decapsulate: v is the outer packet parsed from buf (ip6_parse() or
 * exthdr_parse()). Checks the upper layer is IPv6 (41) and whole (not a
 * fragment) and that the inner fixed header is valid with a payload length
 * that fills the tunnel payload exactly. Sets the inner packet's offset in
 * buf, its length, and its fixed header (inner may be NULL).
 * Returns 0 or M6E_PROTO (IP6_DROP_NOT_TUNNEL), M6E_TRUNC / M6E_INVAL
 * (IP6_DROP_INNER), with v->drop set.
 */
int tunnel6_decap(struct ip6_view *v, const void *buf, size_t *inner_off, size_t *inner_len,
		  struct ip6_fixed *inner);

#endif
