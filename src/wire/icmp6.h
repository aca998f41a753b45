/*
 * ICMPv6 codec (RFC 4443) and the Mobile IPv6 Dynamic Home Agent Address
 * Discovery messages (RFC 6275 §6.5, §6.6), error messages (Parameter Problem
 * for R6275-9.2.c/d) and the Home-Agents subnet anycast address (RFC 2526).
 * Neighbor Discovery messages and options, and the Mobile Prefix messages that
 * reuse ND options, are in wire/nd.h.
 *
 * Parsing is two steps: icmp6_parse_msg() checks the length and the checksum
 * and hands back the type, code and a cursor over the body; the engine then
 * calls the parser for that type. Every parser returns 0 or a negative M6E_*
 * code and, on failure, names the specific reason in *why so the engine can
 * count drops per reason. Parsers decode and record facts; engines decide.
 *
 * Builders append one whole ICMPv6 message (checksum filled) at the current
 * end of a wbuf and return 0 or M6E_NOSPACE / M6E_INVAL.
 */
#ifndef M6_WIRE_ICMP6_H
#define M6_WIRE_ICMP6_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/rbuf.h"
#include "base/wbuf.h"

#define ICMP6_NH 58		/* IPv6 Next Header value */
#define ICMP6_HDR_LEN 4		/* type, code, checksum */
#define ICMP6_IP6_HDR_LEN 40
#define ICMP6_MIN_MTU 1280	/* RFC 8200 §5: every error and DHAAD reply fits this */
/* Room for an ICMPv6 message in a minimum-MTU packet with no extension headers. */
#define ICMP6_MAX_IN_MIN_MTU (ICMP6_MIN_MTU - ICMP6_IP6_HDR_LEN)

/* ICMPv6 types (IANA; RFC 4443, RFC 4861, RFC 6275 §6.5-§6.8). The prefix
 * avoids the macros of <netinet/icmp6.h>. */
enum icmp6_type {
	ICMP6_TYPE_DST_UNREACH = 1,
	ICMP6_TYPE_PACKET_TOO_BIG = 2,
	ICMP6_TYPE_TIME_EXCEEDED = 3,
	ICMP6_TYPE_PARAM_PROB = 4,
	ICMP6_TYPE_ECHO_REQUEST = 128,
	ICMP6_TYPE_ECHO_REPLY = 129,
	ICMP6_TYPE_RS = 133,
	ICMP6_TYPE_RA = 134,
	ICMP6_TYPE_NS = 135,
	ICMP6_TYPE_NA = 136,
	ICMP6_TYPE_REDIRECT = 137,
	ICMP6_TYPE_DHAAD_REQUEST = 144,
	ICMP6_TYPE_DHAAD_REPLY = 145,
	ICMP6_TYPE_MPS = 146,
	ICMP6_TYPE_MPA = 147,
};

/* Parameter Problem codes (RFC 4443 §3.4). */
enum icmp6_pp_code {
	ICMP6_PP_HEADER = 0,   /* erroneous header field */
	ICMP6_PP_NEXT_HDR = 1, /* unrecognized Next Header type */
	ICMP6_PP_OPTION = 2,   /* unrecognized IPv6 option */
};

/* Why a message was rejected; one counter per value in the engines. */
enum icmp6_reason {
	ICMP6_R_OK = 0,
	ICMP6_R_TRUNC,		 /* shorter than the fixed part of its type */
	ICMP6_R_CKSUM,		 /* checksum does not verify */
	ICMP6_R_TYPE,		 /* not the type this parser handles */
	ICMP6_R_CODE,		 /* code must be 0 for this type */
	ICMP6_R_DHAAD_LEN,	 /* reply address list not a multiple of 16 */
	ICMP6_R_OPT_LEN0,	 /* ND option with length 0 (RFC 4861 §4.6) */
	ICMP6_R_OPT_OVERRUN,	 /* ND option runs past the end of the message */
	ICMP6_R_OPT_LEN,	 /* known ND option with the wrong length */
	ICMP6_R_PIO_PLEN,	 /* Prefix Information prefix length > 128 */
	ICMP6_R_HAINFO_LIFETIME, /* Home Agent Information lifetime 0 (R6275-7.4.a) */
	ICMP6_R_HOP_LIMIT,	 /* ND message not received with hop limit 255 */
	ICMP6_R_TARGET_MCAST,	 /* NS/NA target is multicast */
	ICMP6_R_DAD_DST,	 /* NS from :: not to the solicited-node group */
	ICMP6_R_UNSPEC_SLLA,	 /* RS/NS from :: carries a SLLA option */
	ICMP6_R_NA_SOLICITED_MCAST, /* NA to multicast with S set */
	ICMP6_R_RA_SRC,		 /* RA source is not link-local */
	ICMP6_R_NOT_ERROR,	 /* informational type given to the error parser */
	ICMP6_R__COUNT
};

const char *icmp6_type_name(unsigned type);
/* Name of a code for the error types (1-4); "" where the type has no codes. */
const char *icmp6_code_name(unsigned type, unsigned code);
const char *icmp6_reason_name(enum icmp6_reason reason);

/* A checksum-verified ICMPv6 message; body views the bytes after the 4-octet
 * header and points into the caller's buffer. */
struct icmp6_msg {
	uint8_t type;
	uint8_t code;
	struct rbuf body;
};

/*
 * Check the common header and the checksum with the pseudo-header built from
 * src/dst (src = the home address when a HAO is present, dst = the final
 * destination; RFC 6275 §6.1.1 and wire-formats.md §A). msg must outlive *m.
 */
int icmp6_parse_msg(const void *msg, size_t len, const struct in6_addr *src,
		    const struct in6_addr *dst, struct icmp6_msg *m, enum icmp6_reason *why);

/* Builder helpers for every ICMPv6 codec: icmp6_begin() writes type and code,
 * reserves the checksum and returns the message's start offset in w;
 * icmp6_finish() fills the checksum over [start, end). */
size_t icmp6_begin(struct wbuf *w, uint8_t type, uint8_t code);
int icmp6_finish(struct wbuf *w, size_t start, const struct in6_addr *src,
		 const struct in6_addr *dst);

/* ---- DHAAD (RFC 6275 §6.5, §6.6) ---- */

/* Addresses that fit a reply in a minimum-MTU packet: (1280 - 40 - 8) / 16. */
#define ICMP6_DHAAD_MAX_HA ((ICMP6_MAX_IN_MIN_MTU - 8) / 16)

struct icmp6_dhaad {
	uint16_t id;
	unsigned n_ha;	    /* addresses stored in ha[] */
	unsigned n_ha_wire; /* addresses on the wire (> n_ha only past the cap) */
	struct in6_addr ha[ICMP6_DHAAD_MAX_HA];
};

int icmp6_parse_dhaad_req(const struct icmp6_msg *m, struct icmp6_dhaad *out,
			  enum icmp6_reason *why);
int icmp6_parse_dhaad_rep(const struct icmp6_msg *m, struct icmp6_dhaad *out,
			  enum icmp6_reason *why);
int icmp6_build_dhaad_req(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			  uint16_t id);
/*
 * Reply with as many of ha[0..n_ha) as fit in `room` octets of ICMPv6 message
 * (the caller subtracts its IPv6 and extension headers from 1280, R6275-10.5.1.b;
 * ICMP6_MAX_IN_MIN_MTU with none). The list is kept in the given order, so the
 * caller sorts by preference first. *n_fit (may be NULL) gets the count sent.
 */
int icmp6_build_dhaad_rep(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			  uint16_t id, const struct in6_addr *ha, unsigned n_ha, size_t room,
			  unsigned *n_fit);

/*
 * Mobile IPv6 Home-Agents subnet anycast address of a prefix (RFC 2526 §2-§3,
 * anycast ID 0x7e; wire-formats.md §F.1, algorithms.md §4.10): a /64 gets the
 * EUI-64 form IID fdff:ffff:ffff:fffe (u bit clear); any other length the
 * address with every bit after the prefix set except the last 7, which hold
 * 1111110. M6E_RANGE for prefixes longer than /121 (no room for the ID).
 */
int icmp6_ha_anycast(const struct prefix6 *p, struct in6_addr *out);

/* ---- Error messages (RFC 4443 §3) ---- */

struct icmp6_err {
	uint8_t type;
	uint8_t code;
	uint32_t param;	      /* Parameter Problem pointer, Packet Too Big MTU, else unused */
	struct rbuf invoking; /* as much of the invoking packet as was returned */
	bool has_ip6;	      /* invoking starts with a whole IPv6 header */
	uint8_t inv_next_header;
	struct in6_addr inv_src, inv_dst;
};

/* Parse types 1-4; the invoking packet may be empty or truncated. */
int icmp6_parse_error(const struct icmp6_msg *m, struct icmp6_err *out, enum icmp6_reason *why);
/*
 * Error message carrying as much of the invoking packet as fits both w and a
 * minimum-MTU packet (RFC 4443 §2.4(c)). M6E_INVAL for an informational type.
 */
int icmp6_build_error(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		      uint8_t type, uint8_t code, uint32_t param, const void *invoking,
		      size_t invoking_len);
/* Parameter Problem (type 4): the engines send code 0 with the pointer at the
 * MH Payload Proto (R6275-9.2.c) or Header Len (R6275-9.2.d) field. */
int icmp6_build_param_prob(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			   enum icmp6_pp_code code, uint32_t pointer, const void *invoking,
			   size_t invoking_len);

#endif
