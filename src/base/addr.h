/* IPv6 address and prefix helpers (no I/O). */
#ifndef M6_BASE_ADDR_H
#define M6_BASE_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct prefix6 {
	struct in6_addr addr;
	unsigned len; /* 0..128 */
};

/* Parse "2001:db8::1" (no prefix). */
int addr_parse(const char *s, struct in6_addr *out);
/* Parse "2001:db8::/64"; a missing "/len" is an error. Host bits must be zero
 * unless allow_host_bits. */
int prefix_parse(const char *s, struct prefix6 *out, bool allow_host_bits);
/* Format into buf (at least ADDR_STRLEN); returns buf. */
const char *addr_fmt(const struct in6_addr *a, char *buf, size_t len);
bool addr_eq(const struct in6_addr *a, const struct in6_addr *b);
bool prefix_contains(const struct prefix6 *p, const struct in6_addr *a);
/* Unicast and of global scope (not ::, loopback, link-local, multicast). */
bool addr_is_unicast_routable(const struct in6_addr *a);

#endif
