/*
 * IPv6 extension header chain: the walker (both entry modes), the Home
 * Address option and type 2 routing header builders, and the receive-side
 * HAO / RH2 processing that swaps addresses in a parsed view.
 *
 * Options header (Hop-by-Hop, Destination Options; RFC 8200 §4.3, §4.6):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   .                   Options (TLV: Type, Opt Data Len, Data)     .
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   length = (Hdr Ext Len + 1) * 8; Pad1 (type 0) is a single octet.
 *
 * Destination Options header carrying the Home Address option, canonical
 * 24 octets (RFC 6275 §6.3, wire-formats.md §D.1):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  | Hdr Ext Len=2 | PadN 0x01     | len 0x02      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     0x00      |     0x00      | Type 0xC9     | Length 16     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Home Address (16 octets, at 8n+8)          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type 2 Routing Header (RFC 6275 §6.4.1, wire-formats.md §D.2):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  | Hdr Ext Len=2 | Routing Type=2|Segments Left=1|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Home Address (16 octets)                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Fragment header (RFC 8200 §4.5):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Identification                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef M6_WIRE_EXTHDR_H
#define M6_WIRE_EXTHDR_H

#include <netinet/in.h>
#include <stdint.h>

#include "base/wbuf.h"
#include "wire/ip6.h"

#define EXTHDR_HAO_HDR_LEN 24 /* canonical DestOpt{PadN(2), HAO} */
#define EXTHDR_RH2_LEN 24
#define EXTHDR_FRAG_LEN 8

/* Option types (RFC 8200 §4.2, RFC 6275 §6.3). */
enum exthdr_opt {
	EXTHDR_OPT_PAD1 = 0x00,
	EXTHDR_OPT_PADN = 0x01,
	EXTHDR_OPT_HAO = 0xc9,
};
#define EXTHDR_HAO_LEN 16

/* Option action bits: the two high-order bits of an option type. */
enum exthdr_action {
	EXTHDR_ACT_SKIP = 0,         /* 00 */
	EXTHDR_ACT_DISCARD = 1,      /* 01 */
	EXTHDR_ACT_DISCARD_ICMP = 2, /* 10: Parameter Problem code 2 even to multicast */
	EXTHDR_ACT_DISCARD_ICMP_UC = 3, /* 11: Parameter Problem code 2 unless multicast */
};

/* Routing types (IANA "Routing Types"). */
enum exthdr_rt {
	EXTHDR_RT_SOURCE = 0, /* deprecated, RFC 5095 */
	EXTHDR_RT_MIP6 = 2,   /* RFC 6275 type 2 */
	EXTHDR_RT_RPL = 3,    /* RFC 6554 */
	EXTHDR_RT_SRH = 4,    /* RFC 8754 */
};

/*
 * Walk an extension header chain in a raw-socket buffer that starts at the
 * header whose type is first_nh (raw sockets for Next Header 60 or 43
 * deliver data from that header; src and dst come from recvfrom and
 * IPV6_PKTINFO). Offsets in *v are from buf; ICMP pointers assume buf sat
 * right after the 40-octet fixed header (v->pkt_base = 40).
 * Returns 0 or a negative M6E_* with v->drop set (see ip6_parse()).
 */
int exthdr_parse(uint8_t first_nh, const void *buf, size_t len, const struct in6_addr *src,
		 const struct in6_addr *dst, struct ip6_view *v);

/*
 * The walker behind ip6_parse() and exthdr_parse(): r covers the bytes from
 * the first extension header to the end of the packet, v->hdr.next,
 * v->src/dst and v->pkt_base are set. For use by ip6.c.
 */
int exthdr_walk(struct rbuf *r, struct ip6_view *v);

/* Append the canonical 24-octet Destination Options header with PadN(2) and
 * the Home Address option (wire-formats.md §D.1 exact bytes). */
void exthdr_build_hao(struct wbuf *w, uint8_t next, const struct in6_addr *home);
/* Append a type 2 routing header, Segments Left 1 (wire-formats.md §D.2). */
void exthdr_build_rh2(struct wbuf *w, uint8_t next, const struct in6_addr *home);

/*
 * Receive-side processing, RFC 3776 §6.2 order (HAO before ESP so the SA
 * selector sees the home address; RH2 before ESP at the MN).
 *
 * exthdr_apply_hao: swap the current source with the HAO address in *v
 * (RFC 6275 §9.3.1); the upper layer then sees the home address as source.
 * exthdr_apply_rh2: swap the current destination with the RH2 address and
 * decrement Segments Left (RFC 6275 §6.4, RFC 8200 §4.4).
 *
 * buf may be NULL; otherwise it is the buffer v was parsed from and the
 * same change is made to its bytes (the fixed-header address only when v
 * is a full-packet view). Returns 0, M6E_NOTFOUND (no such header),
 * M6E_EXISTS (already applied) or M6E_PROTO (RH2 malformed: discard).
 * The engine still checks the RH2 address is its own home address
 * (R6275-6.4.a); nothing here decides that.
 */
int exthdr_apply_hao(struct ip6_view *v, uint8_t *buf);
int exthdr_apply_rh2(struct ip6_view *v, uint8_t *buf);

/* Name tables. */
const char *exthdr_opt_name(unsigned type);
const char *exthdr_action_name(unsigned action);
const char *exthdr_rt_name(unsigned type);

#endif
