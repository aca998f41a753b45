/*
 * UDP header codec (RFC 768) for IPv6, where the checksum is mandatory
 * (RFC 8200 §8.1), and the port-4500 demultiplexing of RFC 3948.
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |   Source Port   | Destination Port|
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 *   +-------------------------------- ...
 *   Length counts the header and the data. The checksum covers the RFC 8200
 *   §8.1 pseudo-header (Next Header 17, length = UDP Length) and the datagram.
 */
#ifndef M6_WIRE_UDP_H
#define M6_WIRE_UDP_H

#include <netinet/in.h>
#include <stdint.h>

#include "base/rbuf.h"
#include "base/wbuf.h"

#define UDP_HDR_LEN 8
#define UDP_PORT_IKE 500
#define UDP_PORT_NATT 4500

enum udp_drop {
	UDP_DROP_NONE = 0,
	UDP_DROP_SHORT,      /* fewer than 8 octets */
	UDP_DROP_LEN,        /* Length below 8 or past the bytes present */
	UDP_DROP_ZERO_CKSUM, /* checksum 0: invalid over IPv6 (RFC 8200 §8.1) */
	UDP_DROP_CKSUM,      /* checksum does not verify */
	UDP_DROP_COUNT
};

struct udp_header {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t cksum;
};

/*
 * Parse and verify a datagram. r covers the UDP header and what follows (an
 * ip6_view's upper layer); bytes past the Length field are ignored. src and
 * dst are the pseudo-header addresses (ip6_pseudo_addrs()). On success r is
 * advanced past the datagram and payload (may be NULL) covers the data.
 * Returns 0, M6E_TRUNC (short header, Length past the end), M6E_INVAL
 * (Length < 8) or M6E_CKSUM; *drop (may be NULL) gets the reason.
 */
int udp_parse(struct rbuf *r, const struct in6_addr *src, const struct in6_addr *dst,
	      struct udp_header *h, struct rbuf *payload, enum udp_drop *drop);

/* Append header and data with the checksum computed for src/dst. Returns 0,
 * M6E_RANGE (datagram over 65535 octets) or M6E_NOSPACE. */
int udp_build(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
	      uint16_t sport, uint16_t dport, const void *data, size_t len);

/* What a datagram on port 4500 carries (RFC 3948 §2, wire-formats.md §H). */
enum udp_encap {
	UDP_ENCAP_INVALID = 0, /* none of the below: drop */
	UDP_ENCAP_ESP,         /* non-zero SPI: ESP header follows */
	UDP_ENCAP_IKE,         /* four zero octets (Non-ESP Marker), then IKE */
	UDP_ENCAP_KEEPALIVE,   /* a single 0xFF octet */
};
/* Classify the data of a port-4500 datagram without consuming it. */
enum udp_encap udp_encap_classify(const struct rbuf *data);

const char *udp_drop_name(enum udp_drop d);
const char *udp_encap_name(enum udp_encap e);

#endif
