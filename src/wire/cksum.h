/*
 * Internet checksum (RFC 1071) with the IPv6 upper-layer pseudo-header
 * (RFC 8200 §8.1). Used for MH (NH 135), ICMPv6 (58) and UDP (17): the kernel
 * cannot compute these for packets we build whole on a raw socket, and with a
 * Home Address option the pseudo-header source is the home address, not the
 * IPv6 source (RFC 6275 §6.1.1, R6275-6.1.1.d).
 */
#ifndef M6_WIRE_CKSUM_H
#define M6_WIRE_CKSUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of data folded into 16 bits, added to `sum`. */
uint32_t cksum_add(uint32_t sum, const void *data, size_t len);
/* Fold and complement a running sum into the value to store. */
uint16_t cksum_finish(uint32_t sum);
/*
 * Checksum of an upper-layer message with its pseudo-header. `src` is the
 * home address when a HAO is present; `dst` is the final destination (the home
 * address when an RH2 is present). The checksum field inside `msg` must be
 * zero when building; when verifying, a correct message yields 0.
 */
uint16_t cksum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t next_header,
		       const void *msg, size_t len);

#endif
