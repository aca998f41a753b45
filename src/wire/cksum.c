#include "wire/cksum.h"

uint32_t cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
		if (sum & 0x80000000u)
			sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t cksum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t cksum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t next_header,
		       const void *msg, size_t len)
{
	uint8_t tail[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			    (uint8_t)len, 0, 0, 0, next_header };
	uint32_t sum = 0;
	sum = cksum_add(sum, src->s6_addr, 16);
	sum = cksum_add(sum, dst->s6_addr, 16);
	sum = cksum_add(sum, tail, sizeof(tail));
	sum = cksum_add(sum, msg, len);
	return cksum_finish(sum);
}
