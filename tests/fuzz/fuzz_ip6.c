/*
 * fuzz_ip6: the IPv6 header and extension-header walker in both entry modes,
 * then what rides on it: UDP, IPv6-in-IPv6, the HAO/RH2 swaps. Input is an
 * IPv6 packet. Whole-packet mode parses all of it; raw mode parses from
 * byte 40 with the fixed header's Next Header and addresses, as a raw
 * socket hands it over (or, for shorter inputs, all of it from a DestOpt).
 *
 * Invariants checked (a violation traps):
 * - a packet that parses is rebuilt from its facts and the rebuild parses
 *   to the same upper layer, HAO and RH2 address, with a valid checksum;
 * - applying the HAO / RH2 swaps never changes the checksum verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "wire/exthdr.h"
#include "wire/ip6.h"
#include "wire/tunnel6.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                    \
	do {                           \
		if (!(cond))           \
			__builtin_trap(); \
	} while (0)

static void rebuild(const struct ip6_view *v, const uint8_t *buf)
{
	if (!v->complete)
		return;
	bool rh2 = v->rh2.present && !v->rh2.malformed;
	struct ip6_pkt_spec spec = {
		.src = v->src,
		.dst = v->dst,
		.hao = v->hao.present ? &v->hao.addr : NULL,
		.rh2 = rh2 ? &v->rh2.addr : NULL,
		.proto = v->upper.proto,
		.hlim = v->hdr.hlim,
	};
	size_t cap = IP6_HDR_LEN + EXTHDR_HAO_HDR_LEN + EXTHDR_RH2_LEN + v->upper.len;
	uint8_t *out = malloc(cap);
	if (!out)
		return;
	struct wbuf w;
	wbuf_init(&w, out, cap);
	int rc = ip6_build_packet(&w, &spec, buf + v->upper.off, v->upper.len);
	/* Only a too-short upper layer or a too-long raw buffer may refuse. */
	CHECK(rc == 0 || rc == M6E_INVAL || rc == M6E_RANGE);
	if (rc == 0) {
		struct ip6_view r;
		CHECK(ip6_parse(out, wbuf_len(&w), &r) == 0);
		CHECK(r.complete && r.upper.proto == v->upper.proto && r.upper.len == v->upper.len);
		CHECK(r.hao.present == v->hao.present && r.rh2.present == rh2);
		if (r.hao.present)
			CHECK(memcmp(&r.hao.addr, &v->hao.addr, 16) == 0);
		if (rh2)
			CHECK(memcmp(&r.rh2.addr, &v->rh2.addr, 16) == 0);
		size_t off;
		if (ip6_cksum_offset(r.upper.proto, &off) == 0)
			CHECK(ip6_verify_upper_cksum(&r, out) == 0);
	}
	free(out);
}

/* The swaps, on a private copy: the checksum verdict must not move. */
static void swaps(struct ip6_view *v, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, buf, len);
	int before = ip6_verify_upper_cksum(v, copy);
	if (v->hao.present)
		CHECK(exthdr_apply_hao(v, copy) == 0);
	if (v->rh2.present)
		CHECK(exthdr_apply_rh2(v, copy) == (v->rh2.malformed ? M6E_PROTO : 0));
	CHECK(ip6_verify_upper_cksum(v, copy) == before);
	free(copy);
}

static void upper_layers(struct ip6_view *v, const uint8_t *buf)
{
	if (!v->complete)
		return;
	if (v->upper.proto == IP6_NH_UDP) {
		struct rbuf r, data;
		struct udp_header u;
		struct in6_addr s, d;
		ip6_pseudo_addrs(v, &s, &d);
		rbuf_init(&r, buf + v->upper.off, v->upper.len);
		if (udp_parse(&r, &s, &d, &u, &data, NULL) == 0)
			(void)udp_encap_classify(&data);
	} else if (v->upper.proto == IP6_NH_IPV6) {
		size_t ioff, ilen;
		struct ip6_view inner;
		if (tunnel6_decap(v, buf, &ioff, &ilen, NULL) == 0)
			(void)ip6_parse(buf + ioff, ilen, &inner);
	}
}

static void one(struct ip6_view *v, int rc, const uint8_t *buf, size_t len)
{
	if (rc != 0) {
		CHECK(v->drop != IP6_DROP_NONE);
		return;
	}
	CHECK(v->upper.off + v->upper.len <= len);
	upper_layers(v, buf);
	rebuild(v, buf);
	swaps(v, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ip6_view v;
	one(&v, ip6_parse(data, size, &v), data, size);

	struct in6_addr src, dst;
	if (size >= IP6_HDR_LEN) {
		memcpy(&src, data + 8, 16);
		memcpy(&dst, data + 24, 16);
		one(&v, exthdr_parse(data[6], data + IP6_HDR_LEN, size - IP6_HDR_LEN, &src, &dst, &v),
		    data + IP6_HDR_LEN, size - IP6_HDR_LEN);
	} else {
		memset(&src, 0x20, sizeof(src));
		memset(&dst, 0xff, sizeof(dst));
		one(&v, exthdr_parse(IP6_NH_DSTOPTS, data, size, &src, &dst, &v), data, size);
	}
	return 0;
}
