/*
 * pcap_udp6: write IPv6/UDP frames of our own builders to a pcap
 * (LINKTYPE_RAW) for tshark. Header-only, for the tests/tshark generators;
 * the IPv6 and UDP headers and the UDP checksum come from wire/ip6.h and
 * wire/udp.h. ikepcap.c and ikesapcap.c still carry their own copy of
 * pcap_udp6_frame()'s body and can switch to it.
 */
#ifndef M6_TESTS_PCAP_UDP6_H
#define M6_TESTS_PCAP_UDP6_H

#include <stdio.h>

#include "base/err.h"
#include "base/wbuf.h"
#include "wire/ip6.h"
#include "wire/udp.h"

#define PCAP_UDP6_MAX 4096

static inline void pcap_udp6_put_le(FILE *f, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* The global header: version 2.4, snaplen PCAP_UDP6_MAX, LINKTYPE_RAW (101). */
static inline void pcap_udp6_begin(FILE *f)
{
	pcap_udp6_put_le(f, 0xa1b2c3d4u, 4);
	pcap_udp6_put_le(f, 2, 2);
	pcap_udp6_put_le(f, 4, 2);
	pcap_udp6_put_le(f, 0, 4);
	pcap_udp6_put_le(f, 0, 4);
	pcap_udp6_put_le(f, PCAP_UDP6_MAX, 4);
	pcap_udp6_put_le(f, 101, 4);
}

/* One frame at time sec: IPv6 src -> dst, UDP sport -> dport, data. 0 or
 * the builder's M6E_* code (nothing written then). */
static inline int pcap_udp6_frame(FILE *f, uint32_t sec, const struct in6_addr *src, const struct in6_addr *dst,
				  uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	uint8_t udp[PCAP_UDP6_MAX], pkt[PCAP_UDP6_MAX];
	struct wbuf w;
	wbuf_init(&w, udp, sizeof(udp));
	if (udp_build(&w, src, dst, sport, dport, data, len) != 0 || wbuf_status(&w) != 0)
		return M6E_NOSPACE;
	size_t ulen = wbuf_len(&w);
	struct ip6_pkt_spec spec = { .src = *src, .dst = *dst, .proto = IPPROTO_UDP, .hlim = 64 };
	wbuf_init(&w, pkt, sizeof(pkt));
	int rc = ip6_build_packet(&w, &spec, udp, ulen);
	if (rc != 0 || wbuf_status(&w) != 0)
		return rc != 0 ? rc : M6E_NOSPACE;
	pcap_udp6_put_le(f, sec, 4); /* ts_sec, ts_usec, incl_len, orig_len */
	pcap_udp6_put_le(f, 0, 4);
	pcap_udp6_put_le(f, (uint32_t)wbuf_len(&w), 4);
	pcap_udp6_put_le(f, (uint32_t)wbuf_len(&w), 4);
	fwrite(pkt, 1, wbuf_len(&w), f);
	return 0;
}

#endif
