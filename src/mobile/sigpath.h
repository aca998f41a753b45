/*
 * sigpath: the per-packet path between the raw sockets and the Mobile IPv6
 * engines, with the MN-HA protection of RFC 3776 (manual keys) and the
 * selectors of RFC 4877 4.3. Pure: no file descriptors, no libevent, no
 * clock, no allocation; it works in place on the caller's buffers. Drops
 * are counted in the stats registry (group "sig").
 *
 * Header orders built and accepted (wire-formats.md E; RFC 3776 3.1-3.4):
 *
 *   E1 BU, MN away:     IPv6(CoA -> HA)  . DestOpt{HAO=HoA} . ESP(T) . MH{BU}
 *   E2 BA, to MN away:  IPv6(HA -> CoA)  . RH2{HoA}         . ESP(T) . MH{BA}
 *   E3 BU, MN at home:  IPv6(HoA -> HA)                     . ESP(T) . MH{BU}
 *   E4 BA, MN at home:  IPv6(HA -> HoA)                     . ESP(T) . MH{BA}
 *   E7 MPS:             IPv6(CoA -> HA)  . DestOpt{HAO=HoA} . ESP(T) . ICMPv6{146}
 *   E8 MPA:             IPv6(HA -> CoA)  . RH2{HoA}         . ESP(T) . ICMPv6{147}
 *   E5/E6/E9/E10:       IPv6(outer) . ESP(TUN, NH 41) . IPv6(inner) . ...
 *   E13 plain tunnel:   IPv6(outer, NH 41) . IPv6(inner) . ...
 *   Binding Error, DHAAD, NS/NA/RS/RA: no ESP.
 *
 * Receive steps (RFC 3776 6.2 / 6.4; wire-formats.md E last paragraph):
 *   1. Walk the extension headers the socket delivered (60: starts at the
 *      Destination Options header, 43: at the routing header; 135, 58, 50
 *      and 41 start at the MH, ICMPv6, ESP or inner IPv6 header).
 *   2. HAO: the source becomes the home address (R3776-4.2.a, R4877-4.2.f);
 *      RH2: the destination becomes the home address, which must be one of
 *      this node's (R3776-4.2.b, R6275-6.4.a). Both before ESP.
 *   3. ESP: the SA is found by SPI; anti-replay before the ICV, window
 *      advanced after (esp_open_sad, R4303-3.4.3.a). Transport-mode SAs
 *      carry MH / ICMPv6, tunnel-mode SAs IPv6 (Next Header 41).
 *   4. SPD inbound check on (src = HoA, dst, proto, MH / ICMPv6 type): a
 *      protected packet must arrive on the SA its policy names, so an MN
 *      cannot use its SA for another home address (R3776-4.2.k, R4877-4.2.b/c);
 *      a clear packet is refused where the policy says PROTECT or DISCARD
 *      (R3776-4.1.c, R4877-7.2.a). BU and BA are refused without ESP in any
 *      case; Binding Error passes unprotected (esp = false).
 *   5. Checksum with the pseudo-header of the home addresses
 *      (R6275-6.1.1.d), then the MH / ICMPv6 message is handed back.
 *
 * Raw-socket duplicates: a packet carrying a HAO reaches the 60 socket only
 * (the kernel discards it at the unknown option), one carrying an RH2 the
 * 43 socket only (unknown routing type). The 60 socket also sees packets
 * with other destination options, and the 43 socket other routing headers:
 * those are the kernel's business and come back as SIGPATH_IGNORE, as do
 * ESP packets of a site tunnel's SA (src/fwd owns those) and ICMPv6 types
 * this path does not handle.
 */
#ifndef M6_MOBILE_SIGPATH_H
#define M6_MOBILE_SIGPATH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/stats.h"
#include "ipsec/esp.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/spd.h"
#include "mip6/mip6.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/mh.h"

/* Room sigpath_encap() needs in front of the inner packet (outer IPv6 and
 * the ESP header with its IV) and after it (ESP padding, trailer, ICV). */
#define SIGPATH_HEADROOM 128
#define SIGPATH_TAILROOM 64
/* Outer hop limit of the MN-HA tunnel (RFC 2473 6.3). */
#define SIGPATH_TUNNEL_HLIM 64
/* Hop limit of ND messages (RFC 4861 4.3, 4.4). */
#define SIGPATH_ND_HLIM 255

/* What a received packet turned out to be. */
enum sigpath_kind {
	SIGPATH_DROP = 0, /* refused: reason says why (counted) */
	SIGPATH_IGNORE,   /* not this path's packet: the kernel or src/fwd has it (counted) */
	SIGPATH_MH,       /* a Mobility Header message: rx->mh */
	SIGPATH_ICMP6,    /* an ICMPv6 message: rx->icmp */
	SIGPATH_TUNNEL,   /* an inner IPv6 packet at buf[rx->off, rx->off + rx->len) */
};

/* Why a packet was dropped or ignored; one counter "sig.<drop|skip>_<name>"
 * each (ESP and SPD refusals also count their detail). Stable values. */
enum sigpath_reason {
	SIGPATH_R_NONE = 0,
	/* drops */
	SIGPATH_R_SOCKET,        /* socket protocol is none of 60, 43, 135, 50, 41, 58 */
	SIGPATH_R_MALFORMED,     /* extension header chain refused (detail: ip6) */
	SIGPATH_R_HEADER_ORDER,  /* HAO before a routing header, RH2 not last RH,
				  * malformed RH2, repeated headers (R6275-6.3.a, 6.4.1.a) */
	SIGPATH_R_FRAGMENT,      /* signalling in a fragment */
	SIGPATH_R_HAO_AND_RH2,   /* both on one packet: no RFC 3776 layout has that */
	SIGPATH_R_RH2_NOT_HOME,  /* RH2 address is not one of our home addresses (R6275-6.4.a) */
	SIGPATH_R_UPPER,         /* after HAO/RH2: not ESP, MH or ICMPv6 */
	SIGPATH_R_ESP,           /* the ESP engine refused it (detail: esp) */
	SIGPATH_R_ESP_MODE,      /* SA mode does not fit the Next Header inside, or
				  * tunnel mode behind a HAO / RH2 (no such layout) */
	SIGPATH_R_UNPROTECTED,   /* BU/BA or PROTECT-policy traffic in the clear (R3776-4.1.c) */
	SIGPATH_R_WRONG_SA,      /* protected by an SA the policy does not name (R3776-4.2.k) */
	SIGPATH_R_POLICY,        /* other SPD refusal: DISCARD, no policy, not PROTECT (detail: spd) */
	SIGPATH_R_MH,            /* Mobility Header refused: length, checksum, type (detail: mh) */
	SIGPATH_R_MH_TYPE,       /* MH type this path does not take (HoTI/HoT/CoTI/CoT/BRR
				  * outside the tunnel: return routability is not in this issue) */
	SIGPATH_R_ICMP6,         /* ICMPv6 length or checksum refused (detail: icmp) */
	SIGPATH_R_INNER,         /* tunnel: inner packet is not one whole IPv6 packet */
	SIGPATH_R_TUNNEL_SA,     /* ESP tunnel mode on an MN-HA SA that is not rr or payload */
	/* ignored (not errors); FOREIGN_SA and ICMP6_OTHER are drops when the
	 * packet came behind a HAO / RH2, which no other path sees */
	SIGPATH_R_NO_HAO,        /* 60 socket, no HAO: an ordinary packet for the kernel */
	SIGPATH_R_NOT_RH2,       /* 43 socket, no type 2 routing header */
	SIGPATH_R_FOREIGN_SA,    /* ESP of an SA that is not an MN-HA SA (site tunnels: src/fwd) */
	SIGPATH_R_ICMP6_OTHER,   /* ICMPv6 type not handled here (echo, errors, ...) */
	SIGPATH_R_NOT_MNHA,      /* plain IPv6-in-IPv6 whose inner packet is no MN's */
	SIGPATH_R_COUNT
};

const char *sigpath_reason_name(enum sigpath_reason r);
const char *sigpath_kind_name(enum sigpath_kind k);

/* One packet as the raw socket delivered it. buf is changed in place: ESP
 * is decrypted there (the HAO and RH2 bytes are left as received; the
 * swap happens in the parsed view). */
struct sigpath_pkt {
	uint8_t proto;          /* the socket's protocol: 60, 43, 135, 50, 41 or 58 */
	uint8_t *buf;
	size_t len;
	struct in6_addr src;    /* IPv6 source (recvfrom) */
	struct in6_addr dst;    /* IPv6 destination (IPV6_PKTINFO) */
	uint32_t ifindex;
	int hlim;               /* hop limit (IPV6_HOPLIMIT), -1 when unknown */
};

/* The facts sigpath_in() established. Every field is set on every call. */
struct sigpath_rx {
	enum sigpath_kind kind;
	enum sigpath_reason reason; /* DROP and IGNORE */
	/* details of the reason */
	enum ip6_drop ip6;
	enum esp_drop esp_drop;
	enum spd_drop spd;
	enum mh_reason mh_reason;
	enum icmp6_reason icmp_reason;

	/* addresses: src as on the wire (the CoA for a packet with a HAO),
	 * dst after RH2 processing (the home address), wire_dst as received */
	struct in6_addr src, dst, wire_dst;
	bool has_hao;
	struct in6_addr hao;    /* home address from the HAO */
	bool has_rh2;
	uint32_t ifindex;
	int hlim;

	/* protection: esp is true only when the packet arrived in ESP and
	 * passed the SPD inbound check */
	bool esp;
	uint32_t sa_id;         /* inbound SA's SPI when esp */
	struct sa *sa;          /* that SA when esp */
	/* the MN-HA pair the packet belongs to: the SA's pair when esp, else
	 * the pair of the home address involved (HAO, RH2, inner source on the
	 * HA / inner destination on the MN), NULL when none */
	struct ipsecdb_mnha *mnha;

	/* the MH / ICMPv6 message or the inner packet inside pkt->buf */
	size_t off, len;

	/* SIGPATH_MH: exactly what src/mip6/mip6.h documents */
	struct mip6_rx mh;
	/* SIGPATH_ICMP6: checksum verified with the home-address pseudo-header;
	 * body points into pkt->buf. Parse it with icmp6_parse_dhaad_* or
	 * nd_parse_* and validate the hop limit with nd_validate_*. */
	struct icmp6_msg icmp;
	/* SIGPATH_TUNNEL: outer source (the CoA; the caller checks it against
	 * its binding) is src; the inner fixed header here */
	struct ip6_fixed inner;
};

/* "refused by ESP (ICV mismatch)": the reason of a DROP / IGNORE verdict
 * with its detail, for the adapter's rate-limited log line (this module
 * does not log: LOG_RL reads the clock). Returns buf. */
const char *sigpath_rx_why(const struct sigpath_rx *rx, char *buf, size_t len);

/* Register the "sig" counters in the stats registry; idempotent. */
void sigpath_stats_register(void);
/* The counter of a reason, and of an ESP refusal's detail (for tests and
 * status); NULL for NONE or out of range. */
const struct stats_counter *sigpath_counter(enum sigpath_reason r);
const struct stats_counter *sigpath_esp_counter(enum esp_drop d);

/*
 * Classify one received packet (steps above). Returns 0 with rx->kind MH,
 * ICMP6 or TUNNEL; M6E_AGAIN with kind IGNORE; or a negative M6E_* with
 * kind DROP. rx->reason is set for IGNORE and DROP and its counter bumped.
 * ESP anti-replay state advances only for a packet whose ICV verified.
 */
int sigpath_in(struct ipsecdb *db, const struct sigpath_pkt *in, struct sigpath_rx *rx);

/* true when spi names an inbound MN-HA SA of db (the 50 socket's packets
 * for this path); a site tunnel's SPI gives false (src/fwd's). */
bool sigpath_spi_is_mnha(const struct ipsecdb *db, uint32_t spi);

/*
 * Build the whole IPv6 packet (header included, for IPPROTO_RAW) for tx at
 * buf[0, *len): mh_build, and with tx->protect == MIP6_PROT_ESP_BU_BA
 * transport-mode ESP with the bu_out SA of the pair whose home address is
 * tx->hoa. Order: IPv6(tx->src -> tx->dst) . [RH2{hoa}] . [DestOpt{HAO=hoa}]
 * . [ESP] . MH (R3776-4.2.h/j: the HAO / RH2 stay outside ESP). The MH
 * checksum uses hoa as source with has_hao and as destination with has_rh2.
 * *sendto_dst gets the address to send to (tx->dst).
 * Returns 0, M6E_NOTFOUND (no pair or no bu_out SA for hoa), M6E_NOSPACE,
 * M6E_INVAL (message the codec refuses), or the ESP engine's code
 * (M6E_PERM dead SA, M6E_RANGE sequence exhausted).
 */
int sigpath_build_mh(struct ipsecdb *db, const struct mip6_tx *tx, uint8_t *buf, size_t cap,
		     size_t *len, struct in6_addr *sendto_dst);

/* One ICMPv6 message to send. */
struct sigpath_icmp_tx {
	struct in6_addr src;     /* IPv6 source (:: for a DAD probe) */
	struct in6_addr dst;     /* IPv6 destination on the wire */
	bool has_hao;            /* MPS from a CoA (R3776-4.2.h) */
	bool has_rh2;            /* MPA to a CoA (R3776-4.2.j) */
	struct in6_addr hoa;     /* home address for HAO / RH2 / the SA lookup */
	bool protect;            /* transport-mode ESP with the mpd_out SA of hoa (R3776-4.1.e) */
	uint8_t hlim;            /* 0: IP6_DEFAULT_HLIM; SIGPATH_ND_HLIM for ND */
	const uint8_t *msg;      /* the whole ICMPv6 message (icmp6/nd builders) */
	size_t msg_len;          /* >= 4; its checksum is recomputed here */
};

/*
 * The same for ICMPv6: IPv6 . [RH2] . [DestOpt{HAO}] . [ESP] . ICMPv6 with
 * the checksum recomputed over the home-address pseudo-header
 * (R6275-6.1.1.d). Returns 0, M6E_NOTFOUND (protect without an mpd_out SA
 * for hoa), M6E_INVAL (msg_len < 4), M6E_NOSPACE, or the ESP engine's code.
 */
int sigpath_build_icmp6(struct ipsecdb *db, const struct sigpath_icmp_tx *tx, uint8_t *buf,
			size_t cap, size_t *len, struct in6_addr *sendto_dst);

/*
 * The MN-HA tunnel (RFC 6275 10.4.1, 11.3.1; RFC 3776 3.2, 3.4): the inner
 * IPv6 packet is at buf[inner_off, inner_off + inner_len) with at least
 * SIGPATH_HEADROOM before it and SIGPATH_TAILROOM after it within cap.
 * The outbound SPD is looked up on the inner selectors with ifid
 * IPSECDB_IFID_MNHA (R3776-4.2.c): PROTECT seals ESP tunnel mode (Next
 * Header 41) with its SA, which must be m's rr_out (HoTI/HoT, R3776-4.1.d)
 * or payload_out (R3776-4.1.f); no entry or BYPASS gives plain
 * IPv6-in-IPv6 (RFC 2473); DISCARD refuses. The outer header is
 * outer_src -> outer_dst, hop limit SIGPATH_TUNNEL_HLIM, Next Header 50 or
 * 41. The whole packet is at buf[*off, *off + *len).
 * Returns 0, M6E_NOSPACE, M6E_INVAL (inner not a whole IPv6 packet),
 * M6E_PERM (DISCARD, or the policy names an SA of another pair), or the
 * ESP engine's code.
 */
int sigpath_encap(struct ipsecdb *db, const struct ipsecdb_mnha *m, const struct in6_addr *outer_src,
		  const struct in6_addr *outer_dst, uint8_t *buf, size_t cap, size_t inner_off,
		  size_t inner_len, size_t *off, size_t *len);

#endif
