#include "base/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

int addr_parse(const char *s, struct in6_addr *out)
{
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : M6E_INVAL;
}

int prefix_parse(const char *s, struct prefix6 *out, bool allow_host_bits)
{
	char buf[ADDR_STRLEN + 8];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= ADDR_STRLEN)
		return M6E_INVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	char *end = NULL;
	long len = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || len < 0 || len > 128)
		return M6E_RANGE;
	struct prefix6 p;
	if (addr_parse(buf, &p.addr))
		return M6E_INVAL;
	p.len = (unsigned)len;
	if (!allow_host_bits) {
		for (unsigned bit = p.len; bit < 128; bit++)
			if (p.addr.s6_addr[bit / 8] & (0x80u >> (bit % 8)))
				return M6E_INVAL;
	}
	*out = p;
	return 0;
}

const char *addr_fmt(const struct in6_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool addr_eq(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool prefix_contains(const struct prefix6 *p, const struct in6_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr.s6_addr, a->s6_addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (p->addr.s6_addr[full] & mask) == (a->s6_addr[full] & mask);
}

bool addr_is_unicast_routable(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_MULTICAST(a) ||
	    IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_V4MAPPED(a))
		return false;
	return true;
}
