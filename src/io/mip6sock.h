/*
 * mip6sock: raw sockets for Mobile IPv6 signalling and data that the kernel
 * cannot carry for us (it has no Mobile IPv6), batched like io/sock.
 *
 * Measured on this kernel (docs/DATAPLANE.md, "Mobile IPv6 packets"):
 *
 *   MIP6SOCK_TX  socket(AF_INET6, SOCK_RAW, IPPROTO_RAW): the only way to
 *                send a packet with a Home Address option or a type 2
 *                Routing Header (the socket API refuses RH2 with EINVAL).
 *                We build the whole packet, IPv6 header included, and every
 *                checksum (src/wire ip6_build_packet; with a HAO the
 *                pseudo-header source is the home address, R6275-6.1.1.d).
 *                The kernel routes it by the sendto() address, not the
 *                header, and never fragments it: too big is EMSGSIZE.
 *   receivers    socket(AF_INET6, SOCK_RAW, proto) for proto 60 (Destination
 *                Options: the HAO), 43 (Routing: RH2), 135 (plain MH) and 58
 *                (ICMPv6). The data starts at that header (not at the IPv6
 *                header); the source comes from recvfrom, the destination
 *                and interface from IPV6_PKTINFO, the hop limit from
 *                IPV6_HOPLIMIT. Feed it to exthdr_parse(proto, ...).
 *                A packet with a HAO or RH2 to one of the kernel's addresses
 *                is still dropped by the kernel with a Parameter Problem
 *                (io/nft silences that); we get a copy first.
 *   MIP6SOCK_RX_IPV6 (41), MIP6SOCK_RX_ESP (50)
 *                IPv6-in-IPv6 (the home agent's tunnel, RFC 6275 10.4.5) and
 *                ESP. The data starts after the outer IPv6 header: at the
 *                inner IPv6 header (41) or at the SPI (50); source,
 *                destination, interface and hop limit as above (the outer
 *                header's). This kernel has neither ip6tnl nor ESP: with no
 *                such socket open it answers each packet with an ICMPv6
 *                Parameter Problem code 1 (unrecognized Next Header),
 *                pointer 6; while one is open it sends none (the raw socket
 *                counts as the protocol's handler). A receiver bound with
 *                mip6sock_bind_dev() to another device gets nothing.
 *                (tests/netns/kernel-raw41.sh)
 *
 * Sending to a link-local or multicast destination (Router Solicitations,
 * DHAAD to a link's anycast) needs the outgoing interface: msg.ifindex != 0
 * on send becomes sin6_scope_id (link-local and multicast destinations) and
 * an IPV6_PKTINFO control message with that interface (every destination),
 * so the kernel routes the packet out of it even when several links have
 * fe80::/64 (kernel-raw41.sh). With ifindex 0 the kernel picks by route.
 *
 * Every socket keeps per-reason counters; nothing here logs per packet
 * except rate-limited.
 */
#ifndef M6_IO_MIP6SOCK_H
#define M6_IO_MIP6SOCK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/sock.h"

#define MIP6SOCK_BURST IO_SOCK_BURST

/* The value is the socket's protocol. */
enum mip6sock_kind {
	MIP6SOCK_RX_IPV6 = 41,   /* IPPROTO_IPV6: IPv6-in-IPv6 */
	MIP6SOCK_RX_RH = 43,     /* IPPROTO_ROUTING */
	MIP6SOCK_RX_ESP = 50,    /* IPPROTO_ESP */
	MIP6SOCK_RX_ICMP6 = 58,  /* IPPROTO_ICMPV6 */
	MIP6SOCK_RX_DSTOPT = 60, /* IPPROTO_DSTOPTS */
	MIP6SOCK_RX_MH = 135,    /* IPPROTO_MH */
	MIP6SOCK_TX = 255,       /* IPPROTO_RAW */
};

/* One packet of a burst. The buffer is the caller's. */
struct mip6sock_msg {
	uint8_t *buf;
	size_t cap;          /* receive: room at buf */
	size_t len;          /* received / to send (the whole packet for TX) */
	struct in6_addr src; /* receive: IPv6 source */
	struct in6_addr dst; /* receive: IPv6 destination (IPV6_PKTINFO);
			      * send: the address the kernel routes by, normally
			      * the header's destination */
	unsigned ifindex;    /* receive: arrival interface (IPV6_PKTINFO);
			      * send: outgoing interface, 0 = by route */
	int hlim;            /* receive: hop limit, -1 when the kernel gave none */
	bool truncated;      /* receive: the packet did not fit cap */
};

struct mip6sock_stats {
	uint64_t rx;          /* packets received */
	uint64_t rx_trunc;    /* of which did not fit the buffer */
	uint64_t tx;          /* packets sent */
	uint64_t tx_bad;      /* refused before sending: not a whole IPv6 packet */
	uint64_t tx_too_big;  /* EMSGSIZE: larger than the route's MTU */
	uint64_t tx_no_route; /* ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL */
	uint64_t tx_full;     /* socket buffer full (EAGAIN, ENOBUFS) */
	uint64_t tx_other;    /* any other error */
};

struct mip6sock;

const char *mip6sock_kind_name(enum mip6sock_kind k);

/*
 * Open a non-blocking socket of kind. Receivers are bound to local when it
 * is non-NULL (only packets to that address), else get every packet of
 * their protocol. The sender ignores local. 0; M6E_INVAL (kind),
 * M6E_PERM (no CAP_NET_RAW), M6E_NOMEM, M6E_IO; err receives a reason.
 */
int mip6sock_open(enum mip6sock_kind kind, const struct in6_addr *local, struct mip6sock **out, char *err,
		  size_t errlen);
void mip6sock_close(struct mip6sock *s);
int mip6sock_fd(const struct mip6sock *s);
enum mip6sock_kind mip6sock_kind(const struct mip6sock *s);
const struct mip6sock_stats *mip6sock_stats(const struct mip6sock *s);

/*
 * MIP6SOCK_RX_ICMP6 only: pass just the ICMPv6 types listed (ICMP6_FILTER,
 * RFC 3542 §3.2), e.g. Parameter Problem and the DHAAD / Mobile Prefix
 * messages, so Neighbor Discovery and MLD never wake the engine. n == 0
 * blocks every type. 0, M6E_INVAL (another kind), M6E_IO.
 */
int mip6sock_icmp6_filter(struct mip6sock *s, const uint8_t *types, size_t n);

/* Set SO_MARK on any kind (the MN marks its outer sockets so the policy
 * rule `not fwmark M lookup T` sends them by the main table). 0, M6E_PERM
 * (no CAP_NET_ADMIN), M6E_IO. */
int mip6sock_set_mark(struct mip6sock *s, uint32_t mark);

/* Receive (or send) only on device ifname (SO_BINDTODEVICE); NULL or ""
 * removes the binding. 0, M6E_INVAL (name too long), M6E_NOTFOUND (no such
 * device), M6E_PERM, M6E_IO. */
int mip6sock_bind_dev(struct mip6sock *s, const char *ifname);

/*
 * Receive up to n (<= MIP6SOCK_BURST) packets with one recvmmsg(). Returns
 * how many arrived (0 when none are waiting), or M6E_INVAL (the sender) /
 * M6E_IO.
 */
int mip6sock_recv_burst(struct mip6sock *s, struct mip6sock_msg *msgs, size_t n);

/*
 * Send msgs[0..n) (n <= MIP6SOCK_BURST) on the sender with sendmmsg().
 * Each buf holds a whole IPv6 packet (version 6, payload length matching
 * len; anything else is counted in tx_bad and skipped). A packet the kernel
 * refuses is skipped and counted by reason (EMSGSIZE: tx_too_big); a full
 * socket buffer ends the burst and the rest count as tx_full. Returns how
 * many were sent, or M6E_INVAL on a receiver. *failed (may be NULL) gets
 * how many were not sent.
 */
int mip6sock_send_burst(struct mip6sock *s, const struct mip6sock_msg *msgs, size_t n, size_t *failed);

#endif
