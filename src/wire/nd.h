/*
 * Neighbor Discovery codec (RFC 4861 §4) with the Mobile IPv6 extensions
 * (RFC 6275 §7: H bit, R-bit Prefix Information, Advertisement Interval and
 * Home Agent Information options), and the Mobile Prefix Solicitation and
 * Advertisement (RFC 6275 §6.7, §6.8), which carry ND options.
 *
 * Parsers take a checksum-verified struct icmp6_msg (wire/icmp6.h), return 0
 * or a negative M6E_* code and name the reason in *why. Options the message
 * type does not use, unknown options and repeats of single-valued options are
 * skipped and counted (RFC 4861 §4.6, R6275-6.7.a, R6275-7.3.a, R6275-7.4.a);
 * an option of length 0 or one that runs past the end rejects the whole
 * message. Rules that need the IP header (hop limit 255, source, destination)
 * are in the nd_validate_*() functions: the engine learns the hop limit from
 * the socket or the TUN packet and calls them after parsing.
 *
 * Builders append one whole message, checksum filled, with options in type
 * order: SLLA, TLLA, Prefix Information..., MTU, Advertisement Interval, Home
 * Agent Information.
 */
#ifndef M6_WIRE_ND_H
#define M6_WIRE_ND_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/wbuf.h"
#include "wire/icmp6.h"

#define ND_HOP_LIMIT 255 /* RFC 4861 §6.1, §7.1: proves the sender is on-link */

/* ND option types (RFC 4861 §4.6, RFC 6275 §7.3-§7.4); names differ from
 * <netinet/icmp6.h>. */
enum nd_opt_type {
	ND_OPT_SLLA = 1,
	ND_OPT_TLLA = 2,
	ND_OPT_PREFIX = 3,
	ND_OPT_REDIR_HDR = 4,
	ND_OPT_LINK_MTU = 5,
	ND_OPT_ADV_IVAL = 7,
	ND_OPT_HA_INFO = 8,
};

const char *nd_opt_name(unsigned type);

/* Flag bits, in the octet or word that holds them on the wire. */
#define ND_RA_M 0x80 /* managed address configuration */
#define ND_RA_O 0x40 /* other configuration */
#define ND_RA_H 0x20 /* home agent (RFC 6275 §7.1) */
#define ND_NA_R 0x80 /* router */
#define ND_NA_S 0x40 /* solicited */
#define ND_NA_O 0x20 /* override */
#define ND_PIO_L 0x80 /* on-link */
#define ND_PIO_A 0x40 /* autonomous */
#define ND_PIO_R 0x20 /* prefix field holds the router's full address (RFC 6275 §7.2) */
#define ND_MPA_M 0x8000
#define ND_MPA_O 0x4000

#define ND_LLA_MAX 30 /* link-layer address bytes kept (option length up to 4) */
#define ND_PIO_MAX 16 /* prefixes kept per message */

struct nd_lla {
	bool present;
	uint8_t len; /* octets after type and length: 6 for Ethernet */
	uint8_t addr[ND_LLA_MAX];
};

struct nd_pio {
	uint8_t plen;
	uint8_t flags; /* ND_PIO_* and the reserved bits as received */
	uint32_t valid;
	uint32_t preferred;
	struct in6_addr prefix; /* with R: the router's full address */
};

struct nd_opts {
	struct nd_lla slla, tlla;
	unsigned n_pio;
	struct nd_pio pio[ND_PIO_MAX];
	unsigned n_pio_dropped; /* prefixes past ND_PIO_MAX */
	bool has_mtu;
	uint32_t mtu;
	bool has_adv_ival;
	uint32_t adv_ival_ms;
	bool has_ha_info;
	uint16_t ha_pref;
	uint16_t ha_lifetime; /* seconds, never 0 */
	unsigned n_ignored; /* unknown, unused here, or repeated options skipped */
};

struct nd_rs {
	struct nd_opts opts;
};

struct nd_ra {
	uint8_t cur_hop_limit;
	uint8_t flags; /* ND_RA_* plus Prf/P (RFC 4191, RFC 4389) as received */
	uint16_t router_lifetime;
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	struct nd_opts opts;
};

struct nd_ns {
	struct in6_addr target;
	struct nd_opts opts;
};

struct nd_na {
	uint8_t flags; /* ND_NA_*, the top octet of the flags word */
	struct in6_addr target;
	struct nd_opts opts;
};

/* Mobile Prefix Solicitation (flags unused) and Advertisement. */
struct nd_mp {
	uint16_t id;
	uint16_t flags; /* MPA: ND_MPA_M, ND_MPA_O */
	struct nd_opts opts;
};

/*
 * Options: `use` is a mask of (1u << type) the message type interprets;
 * everything else is length-checked and skipped. HA Information is kept only
 * when ha_info_ok (an RA with H set, R6275-7.4.a). r must hold whole options.
 */
int nd_parse_opts(struct rbuf *r, unsigned use, bool ha_info_ok, struct nd_opts *o,
		  enum icmp6_reason *why);
/* Append every present option in type order. M6E_INVAL for an HA
 * Information lifetime of 0 or an LLA longer than ND_LLA_MAX. */
int nd_build_opts(struct wbuf *w, const struct nd_opts *o);

int nd_parse_rs(const struct icmp6_msg *m, struct nd_rs *out, enum icmp6_reason *why);
int nd_parse_ra(const struct icmp6_msg *m, struct nd_ra *out, enum icmp6_reason *why);
int nd_parse_ns(const struct icmp6_msg *m, struct nd_ns *out, enum icmp6_reason *why);
int nd_parse_na(const struct icmp6_msg *m, struct nd_na *out, enum icmp6_reason *why);
int nd_parse_mps(const struct icmp6_msg *m, struct nd_mp *out, enum icmp6_reason *why);
int nd_parse_mpa(const struct icmp6_msg *m, struct nd_mp *out, enum icmp6_reason *why);

/* RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2: the checks that need the IP
 * header. hop_limit is the received IPv6 Hop Limit. 0 or M6E_PROTO. */
int nd_validate_rs(const struct nd_rs *rs, const struct in6_addr *src, unsigned hop_limit,
		   enum icmp6_reason *why);
int nd_validate_ra(const struct in6_addr *src, unsigned hop_limit, enum icmp6_reason *why);
int nd_validate_ns(const struct nd_ns *ns, const struct in6_addr *src, const struct in6_addr *dst,
		   unsigned hop_limit, enum icmp6_reason *why);
int nd_validate_na(const struct nd_na *na, const struct in6_addr *dst, unsigned hop_limit,
		   enum icmp6_reason *why);

int nd_build_rs(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_rs *rs);
/* M6E_PROTO for a HA Information option without the H bit (R6275-7.4.a). */
int nd_build_ra(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_ra *ra);
int nd_build_ns(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_ns *ns);
int nd_build_na(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_na *na);
int nd_build_mps(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		 const struct nd_mp *mp);
int nd_build_mpa(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		 const struct nd_mp *mp);

/* DAD probe for target (RFC 4862 §5.4.2): source ::, destination its
 * solicited-node group (written to *dst for the IPv6 header), no SLLA. */
int nd_build_dad_ns(struct wbuf *w, const struct in6_addr *target, struct in6_addr *dst);
/* The HA's unsolicited proxy NA for a mobile node's address (R6275-10.4.1.a):
 * to all-nodes ff02::1 (written to *dst), R=0 S=0 O=1, TLLA = the HA's
 * link-layer address. */
int nd_build_proxy_na(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *target,
		      const uint8_t *lla, size_t lla_len, struct in6_addr *dst);

/* ff02::1:ffXX:XXXX from the low 24 bits of a (RFC 4291 §2.7.1). */
void nd_solicited_node(const struct in6_addr *a, struct in6_addr *out);
/* The prefix a PIO announces, host bits cleared (RFC 4861 §4.6.2: they are
 * ignored on receipt). M6E_RANGE if plen > 128. */
int nd_pio_prefix(const struct nd_pio *pio, struct prefix6 *out);

#endif
