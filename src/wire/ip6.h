/*
 * IPv6 fixed header codec, the parsed-packet view, and the whole-packet
 * builder that every signalling codec (MH, ICMPv6, UDP) uses to put its
 * message on the wire with the right extension headers and checksum.
 *
 * RFC 8200 §3, IPv6 fixed header (40 octets):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                     Source Address (128)                      +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                  Destination Address (128)                    +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The view (struct ip6_view) is filled by ip6_parse() for a whole packet or
 * by exthdr_parse() (src/wire/exthdr.h) for a raw-socket buffer that starts
 * at an extension header. It records facts only; engines decide.
 */
#ifndef M6_WIRE_IP6_H
#define M6_WIRE_IP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rbuf.h"
#include "base/wbuf.h"

#define IP6_HDR_LEN 40
#define IP6_MAX_PLEN 65535u
#define IP6_DEFAULT_HLIM 64

/* Next Header values (wire-formats.md §A). */
enum ip6_nh {
	IP6_NH_HOPOPTS = 0,
	IP6_NH_TCP = 6,
	IP6_NH_UDP = 17,
	IP6_NH_IPV6 = 41,
	IP6_NH_ROUTING = 43,
	IP6_NH_FRAGMENT = 44,
	IP6_NH_ESP = 50,
	IP6_NH_AH = 51,
	IP6_NH_ICMPV6 = 58,
	IP6_NH_NONE = 59,
	IP6_NH_DSTOPTS = 60,
	IP6_NH_MH = 135,
};

/* Offset of the checksum field inside the upper-layer message. */
#define IP6_CKSUM_OFF_MH 4
#define IP6_CKSUM_OFF_ICMPV6 2
#define IP6_CKSUM_OFF_UDP 6

/* Why a packet was refused; one counter per reason in the engines. */
enum ip6_drop {
	IP6_DROP_NONE = 0,
	IP6_DROP_SHORT,       /* fewer than 40 octets for the fixed header */
	IP6_DROP_VERSION,     /* version field is not 6 */
	IP6_DROP_PLEN,        /* payload length larger than the bytes present */
	IP6_DROP_EXT_TRUNC,   /* extension header runs past the end of the packet */
	IP6_DROP_OPT_TRUNC,   /* option (Pad1/PadN/any TLV) runs past its header */
	IP6_DROP_HAO_LEN,     /* Home Address option length is not 16 */
	IP6_DROP_HAO_ALIGN,   /* Home Address option not at 8n+6 */
	IP6_DROP_HAO_DUP,     /* second Home Address option at one header level */
	IP6_DROP_OPT_UNKNOWN, /* unknown option whose action bits say discard */
	IP6_DROP_FRAG_LEN,    /* non-last fragment not a multiple of 8 octets */
	IP6_DROP_INNER,       /* tunnel: inner packet is not a valid IPv6 packet */
	IP6_DROP_NOT_TUNNEL,  /* tunnel: upper layer is not IPv6 (41) */
	IP6_DROP_COUNT
};

/* Header-order and shape rules the RFCs fix; recorded, not enforced, so the
 * engine chooses to discard (bits in ip6_view.violations). */
enum ip6_violation {
	IP6_V_HBH_NOT_FIRST = 1u << 0,  /* RFC 8200 §4.1: HBH only right after IPv6 */
	IP6_V_HAO_BEFORE_RH = 1u << 1,  /* R6275-6.3.a: HAO after any routing header */
	IP6_V_HAO_AFTER_FRAG = 1u << 2, /* R6275-6.3.a: HAO before any Fragment header */
	IP6_V_RH2_BEFORE_RH = 1u << 3,  /* R6275-6.4.1.a: RH2 after any other RH */
	IP6_V_RH2_MALFORMED = 1u << 4,  /* R6275-6.4.1.a: Hdr Ext Len 2, Segments Left 1 */
	IP6_V_DUP_EXT = 1u << 5,        /* RFC 8200 §4.1: header repeated too often */
	IP6_V_HAO_NOT_UNICAST = 1u << 6, /* R6275-6.3.a: home address unicast routable */
};

/* The decoded fixed header. */
struct ip6_fixed {
	uint8_t tclass;
	uint32_t flow; /* 20 bits */
	uint16_t plen;
	uint8_t next;
	uint8_t hlim;
	struct in6_addr src;
	struct in6_addr dst;
};

/* An unrecognised option (RFC 8200 §4.2): the two high-order bits of its
 * type say what to do: 00 skip, 01 discard, 10 discard + ICMP Parameter
 * Problem code 2, 11 the same unless the destination is multicast. */
struct ip6_opt_unknown {
	uint8_t type;
	uint8_t action;   /* type >> 6 */
	bool send_icmp;   /* actions 10, and 11 to a non-multicast destination */
	size_t pointer;   /* offset of the option type from the start of the packet */
};

struct ip6_hao {
	bool present;
	bool applied;     /* exthdr_apply_hao() swapped it with the source */
	size_t hdr_off;   /* buffer offset of the Destination Options header */
	size_t opt_off;   /* buffer offset of the option type octet */
	struct in6_addr addr; /* as in the option now: the home address until applied */
};

struct ip6_rh2 {
	bool present;
	bool malformed;   /* Hdr Ext Len != 2 or Segments Left != 1 (R6275-6.4.1.a) */
	bool applied;     /* exthdr_apply_rh2() swapped it with the destination */
	size_t off;       /* buffer offset of the routing header */
	uint8_t hdr_ext_len;
	uint8_t segleft;
	struct in6_addr addr; /* as in the header now: the home address until applied */
};

/* A routing header of another type (0, 3, 4, ...): recorded for the engine,
 * which must discard it when Segments Left is non-zero (RFC 8200 §4.4). */
struct ip6_rh {
	bool present;
	size_t off;
	uint8_t type;
	uint8_t segleft;
	size_t pointer;   /* packet offset of the Routing Type field (for ICMP) */
};

struct ip6_frag {
	bool present;
	size_t off;       /* buffer offset of the Fragment header */
	uint16_t offset;  /* fragment offset in 8-octet units */
	bool more;        /* M flag */
	uint32_t id;
	bool first;       /* offset 0: the upper-layer header is in this fragment */
};

struct ip6_upper {
	uint8_t proto;    /* final Next Header: ESP, AH, MH, ICMPv6, UDP, TCP, IPv6, None, ... */
	size_t off;       /* buffer offset of the upper-layer header */
	size_t len;       /* bytes from off to the end of the payload */
};

struct ip6_view {
	bool full;        /* parsed from a whole packet (fixed header in the buffer) */
	struct ip6_fixed hdr; /* raw mode: only next, src and dst are meaningful */
	struct in6_addr src; /* current source: the home address once the HAO is applied */
	struct in6_addr dst; /* current destination: the home address once RH2 is applied */
	size_t pkt_base;  /* packet offset of buffer byte 0 (0 full, 40 raw) */
	size_t len;       /* buffer bytes covered by the packet */
	bool hbh;
	unsigned n_dstopt;
	bool dstopt_before_rh; /* a Destination Options header preceded a routing header */
	bool dstopt_final;     /* a Destination Options header after any routing header */
	struct ip6_hao hao;
	struct ip6_rh rh;
	struct ip6_rh2 rh2;
	struct ip6_frag frag;
	unsigned n_unknown;    /* unknown options seen (skipped, or the discarding one) */
	struct ip6_opt_unknown unknown; /* the last unknown option processed */
	unsigned violations;   /* enum ip6_violation bits */
	bool complete;         /* walk reached the upper layer (not cut by a later fragment) */
	struct ip6_upper upper;
	enum ip6_drop drop;    /* reason when a parse function returned an error */
};

/*
 * Parse a fixed header from r (advances 40 octets). Checks the version and
 * that the payload length fits in the bytes left; a shorter payload length
 * than the bytes left is fine (link padding) and the caller trims to it.
 * Returns 0, M6E_TRUNC (short header or payload length past the end) or
 * M6E_INVAL (version); *drop (may be NULL) gets the reason.
 */
int ip6_parse_fixed(struct rbuf *r, struct ip6_fixed *h, enum ip6_drop *drop);
/* Append a fixed header. */
void ip6_build_fixed(struct wbuf *w, const struct ip6_fixed *h);

/*
 * Parse a whole IPv6 packet: fixed header, then the extension header chain
 * down to the upper layer. Offsets in *v are from pkt. Returns 0 or a
 * negative M6E_* with v->drop set; v holds the facts gathered so far either
 * way (for an unknown option the pointer to put in the Parameter Problem).
 */
int ip6_parse(const void *pkt, size_t len, struct ip6_view *v);

/*
 * Whole-packet builder. Writes IPv6 · [RH2{rh2}] · [DestOpt{HAO=hao}] · upper
 * (RFC 6275 §6.3/§6.4.1 order: the HAO follows any routing header) into w,
 * with the payload length set. For MH (135), ICMPv6 (58) and UDP (17) the
 * upper-layer checksum is computed over a copy of `upper` with the field at
 * IP6_CKSUM_OFF_* zeroed, using the pseudo-header RFC 6275 §6.1.1 requires
 * (R6275-6.1.1.d): source = hao when set, destination = rh2 when set. A UDP
 * checksum of 0 is sent as 0xffff (RFC 8200 §8.1). Other protocols are copied
 * untouched.
 */
struct ip6_pkt_spec {
	struct in6_addr src;       /* IPv6 source (the care-of address with a HAO) */
	struct in6_addr dst;       /* IPv6 destination (the care-of address with RH2) */
	const struct in6_addr *hao; /* NULL, or the home address for a HAO */
	const struct in6_addr *rh2; /* NULL, or the home address for a type 2 RH */
	uint8_t proto;             /* upper-layer Next Header */
	uint8_t hlim;              /* 0 means IP6_DEFAULT_HLIM */
	uint8_t tclass;
	uint32_t flow;
};
/* Returns 0, M6E_RANGE (payload over 65535 octets), M6E_INVAL (upper too
 * short to hold its checksum field) or M6E_NOSPACE. On error nothing
 * useful is in w. */
int ip6_build_packet(struct wbuf *w, const struct ip6_pkt_spec *spec, const void *upper,
		     size_t upper_len);

/* Offset of the checksum field for proto, or M6E_UNSUPP if it has none we compute. */
int ip6_cksum_offset(uint8_t proto, size_t *off);
/* The checksum value to store for an upper-layer message whose checksum
 * field is zero, with the given pseudo-header addresses; a UDP result of 0
 * becomes 0xffff (RFC 8200 §8.1: zero means "none", invalid on IPv6). */
uint16_t ip6_upper_cksum(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
			 const void *msg, size_t len);

/* Pseudo-header addresses for the upper layer of a parsed packet
 * (R6275-6.1.1.d): the home address from the HAO as source, the home address
 * from RH2 as final destination, whether or not they were applied yet. */
void ip6_pseudo_addrs(const struct ip6_view *v, struct in6_addr *src, struct in6_addr *dst);
/* Verify the MH/ICMPv6/UDP checksum of a parsed packet's upper layer in buf.
 * Returns 0, M6E_CKSUM (wrong, or a zero UDP checksum), M6E_TRUNC (upper
 * layer too short for its checksum field) or M6E_UNSUPP (other protocol). */
int ip6_verify_upper_cksum(const struct ip6_view *v, const void *buf);

/* Name tables. */
const char *ip6_nh_name(unsigned nh);
const char *ip6_drop_name(enum ip6_drop d);
const char *ip6_violation_name(unsigned bit);

#endif
