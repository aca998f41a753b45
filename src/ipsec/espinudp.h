/*
 * espinudp: UDP encapsulation of ESP (RFC 3948; wire-formats.md H). Used
 * behind NATs and, per tunnel, whenever configured even without one.
 *
 * On port 4500 one UDP payload is one of (RFC 3948 2.1-2.3):
 *
 *   ESP-in-UDP:      | UDP header (8) | SPI (non-zero) | Seq | ...ESP... |
 *   IKE:             | UDP header (8) | 00 00 00 00 (Non-ESP Marker) | IKE |
 *   NAT-keepalive:   | UDP header (8) | FF |            (payload length 1)
 *
 *    0              15 16             31
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Source Port   | Destination Port |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Length     |     Checksum     |     (RFC 768)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The outer header is IPv6, so the UDP checksum is always computed and
 * verified (RFC 8200 8.1, R3948-2.1.b).
 */
#ifndef M6_IPSEC_ESPINUDP_H
#define M6_IPSEC_ESPINUDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ESPINUDP_PORT 4500 /* R3948-2.1.a: shared with IKE */
#define ESPINUDP_UDP_HDR 8
#define ESPINUDP_MARKER_LEN 4
#define ESPINUDP_KEEPALIVE_BYTE 0xff

enum espinudp_kind {
	ESPINUDP_ESP = 1,
	ESPINUDP_IKE, /* after the Non-ESP Marker (R3948-2.2.a) */
	ESPINUDP_KEEPALIVE, /* ignore; not a liveness signal (R3948-2.3.a, R3948-4.a) */
};

const char *espinudp_kind_name(enum espinudp_kind k);

/* What a UDP datagram carries and where: */
struct espinudp_dgram {
	enum espinudp_kind kind;
	uint16_t sport, dport;
	size_t off, len; /* the ESP packet or IKE message inside the datagram */
};

/*
 * Parse a whole UDP datagram (header included) received from src to dst:
 * checks the UDP length against the bytes present and the checksum, then
 * classifies the payload. 0, M6E_TRUNC (shorter than its header, length, or
 * an 8-byte ESP header), M6E_INVAL (length field, a zero checksum, or a
 * payload that is none of the three) or M6E_CKSUM.
 */
int espinudp_parse(const uint8_t *dgram, size_t len, const struct in6_addr *src, const struct in6_addr *dst,
		   struct espinudp_dgram *out);

/*
 * Prepend a UDP header to the ESP packet buf[off, off + len) in its headroom
 * (ESPINUDP_UDP_HDR bytes before off) and fill the checksum. On 0, *new_off
 * is where the datagram starts (length len + 8). M6E_NOSPACE or M6E_RANGE
 * (too long for a UDP length).
 */
int espinudp_encap(uint8_t *buf, size_t off, size_t len, const struct in6_addr *src, const struct in6_addr *dst,
		   uint16_t sport, uint16_t dport, size_t *new_off);

/* Build a NAT-keepalive datagram (9 bytes) into buf. 0 or M6E_NOSPACE. */
int espinudp_keepalive(uint8_t *buf, size_t cap, const struct in6_addr *src, const struct in6_addr *dst,
		       uint16_t sport, uint16_t dport, size_t *len);

#endif
