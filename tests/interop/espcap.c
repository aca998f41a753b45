/*
 * espcap: our ESP engine (src/ipsec/esp.c, espinudp.c, sad.c) against
 * independent implementations, through pcap files.
 *
 *   espcap gen FILE.pcap MANIFEST
 *       Seal inner packets (ICMPv6 echo, UDP, TCP; several sizes, so every
 *       pad length occurs) with every suite, in tunnel and transport mode,
 *       as raw ESP and as ESP-in-UDP on port 4500 (RFC 3948), with and
 *       without ESN, into FILE.pcap (LINKTYPE_RAW). MANIFEST receives one
 *       "sa ..." line per SA (the keys tshark and scapy need) and, for each
 *       packet, exactly the line `espcap open` must print for it.
 *   espcap open [-p PASSES] SAFILE FILE.pcap
 *       Open every packet of a capture (link type raw IP, IPv6, Ethernet or
 *       Linux cooked; raw ESP or ESP-in-UDP) with the inbound SAs of the
 *       "sa" lines of SAFILE (other lines are ignored, so a manifest works).
 *       One line per packet:
 *           N ok spi=0x00001001 seq=4294967296 nh=41 inner=ipv6:icmp6:128 hex=...
 *           N DROP esp:replayed
 *       With -p 2 the capture is opened again in the same SAs ("# pass 2"
 *       line first): every packet of that pass must be a replay. Ends with
 *       "# sa SPI packets=.. auth_fail=.. replay_drop=.. other_drop=.." per
 *       SA and "# drop COUNT REASON" per drop reason seen.
 *
 * SA line (key=value, any order; top and window optional):
 *   sa spi=0x1001 alg=aes128-gcm16 mode=tunnel encap=udp esn=1 src=ADDR dst=ADDR
 *      keymat=HEX top=4294967280 window=1024
 * alg is an aead_alg_name(); keymat is KEYMAT in RFC 7296 2.17 order
 * (aead.h). top: the receiver has already authenticated sequence number top,
 * so a capture that starts near 2^32 is inferred into the right ESN subspace
 * (RFC 4303 Appendix A2.2, R4303-3.4.3.b).
 *
 * Files are untrusted input: the pcap is read with rbuf, SA lines with
 * bounded token parsing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "ipsec/esp.h"
#include "ipsec/espinudp.h"
#include "ipsec/sad.h"
#include "wire/cksum.h"
#include "wire/ip6.h"

/* pcap (libpcap file format): we write big-endian, read either order. */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
#define LINKTYPE_LINUX_SLL 113
#define LINKTYPE_IPV6 229
#define ETHERTYPE_IPV6 0x86dd

#define PKT_MAX 65600
#define HEADROOM 64 /* ESP header + IV (<= 24) + UDP (8), rounded up */
#define LINE_MAX_LEN 1024

/* ---- the cases gen writes ---------------------------------------------- */

static const enum aead_alg gen_algs[] = {
	AEAD_AES128_CBC_HMAC_SHA256_128, AEAD_AES256_CBC_HMAC_SHA256_128, AEAD_AES128_GCM16,
	AEAD_AES256_GCM16, AEAD_CHACHA20_POLY1305,
};
#define N_GEN_ALGS (sizeof(gen_algs) / sizeof(gen_algs[0]))
#define GEN_SPI_BASE 0x1000u
#define GEN_PKTS_PER_SA 4
/* ESN SAs start just below 2^32 so their packets cross into subspace 1
 * (the high half is then really authenticated, R4303-2.2.1.a). */
#define GEN_ESN_FIRST 0xffffffffull
#define GEN_ESN_TOP 0xfffffff0ull

/* Outer: two gateways; inner: a host behind each (documentation prefix). */
static struct in6_addr outer_a, outer_b, inner_a, inner_b;

struct sa_spec {
	uint32_t spi;
	enum aead_alg alg;
	enum sa_mode mode;
	bool udp, esn;
	struct in6_addr src, dst;
	uint8_t keymat[AEAD_MAX_KEYMAT];
	size_t keymat_len;
	uint64_t top;
	uint32_t window;
};

static void die(const char *what)
{
	fprintf(stderr, "espcap: %s\n", what);
	exit(1);
}

static void hex_print(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void sa_spec_print(FILE *f, const struct sa_spec *s)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	fprintf(f, "sa spi=0x%08x alg=%s mode=%s encap=%s esn=%d src=%s dst=%s keymat=", s->spi,
		aead_alg_name(s->alg), s->mode == SA_MODE_TUNNEL ? "tunnel" : "transport",
		s->udp ? "udp" : "esp", s->esn, addr_fmt(&s->src, a, sizeof(a)), addr_fmt(&s->dst, b, sizeof(b)));
	hex_print(f, s->keymat, s->keymat_len);
	fprintf(f, " top=%llu\n", (unsigned long long)s->top);
}

static struct sa *sa_from_spec(const struct sa_spec *s, enum sa_dir dir)
{
	struct sa_params p = {
		.spi = s->spi,
		.dir = dir,
		.mode = s->mode,
		.alg = s->alg,
		.keymat = s->keymat,
		.keymat_len = s->keymat_len,
		.esn = s->esn,
		.replay_window = s->window,
		.src = s->src,
		.dst = s->dst,
		.udp_encap = s->udp,
		.encap_sport = ESPINUDP_PORT,
		.encap_dport = ESPINUDP_PORT,
	};
	struct sa *sa = NULL;
	int rc = sa_new(&p, 0, &sa);
	if (rc != 0) {
		fprintf(stderr, "espcap: SA 0x%08x: %s\n", s->spi, err_str(rc));
		exit(1);
	}
	return sa;
}

/* ---- what an inner packet is, the same for gen and open ------------------ */

/* "icmp6:TYPE", "udp:DPORT", "tcp:DPORT" or "proto:N" for an upper-layer
 * message, with ":badsum" when its checksum does not verify against the
 * pseudo-header addresses (a correct message sums to 0, cksum.h). */
static void upper_kind(uint8_t proto, const uint8_t *msg, size_t len, const struct in6_addr *src,
		       const struct in6_addr *dst, char *out, size_t outlen)
{
	/* A message shorter than its header reads as type/port 0 and fails the
	 * length test below. */
	struct rbuf r;
	rbuf_init(&r, msg, len);
	uint8_t type = 0;
	uint16_t port = 0;
	size_t min;
	switch (proto) {
	case IP6_NH_ICMPV6:
		min = 4;
		(void)rbuf_peek_u8(&r, 0, &type);
		snprintf(out, outlen, "icmp6:%u", type);
		break;
	case IP6_NH_UDP:
	case IP6_NH_TCP:
		min = proto == IP6_NH_UDP ? 8 : 20;
		(void)rbuf_peek_u16(&r, 2, &port);
		snprintf(out, outlen, "%s:%u", proto == IP6_NH_UDP ? "udp" : "tcp", port);
		break;
	default:
		snprintf(out, outlen, "proto:%u", proto);
		return;
	}
	uint16_t udp_ck = 1;
	if (proto == IP6_NH_UDP)
		(void)rbuf_peek_u16(&r, 6, &udp_ck);
	if (len < min || cksum_pseudo6(src, dst, proto, msg, len) != 0 || udp_ck == 0)
		strncat(out, ":badsum", outlen - strlen(out) - 1);
}

/* The kind of a decrypted payload: tunnel mode (nh 41) names the inner
 * IPv6 packet's upper layer; transport mode checks against the outer
 * addresses. */
static void payload_kind(uint8_t nh, const uint8_t *p, size_t len, const struct in6_addr *osrc,
			 const struct in6_addr *odst, char *out, size_t outlen)
{
	if (nh != IP6_NH_IPV6) {
		upper_kind(nh, p, len, osrc, odst, out, outlen);
		return;
	}
	struct ip6_view v;
	if (ip6_parse(p, len, &v) != 0) {
		snprintf(out, outlen, "ipv6:bad:%s", ip6_drop_name(v.drop));
		return;
	}
	char up[64];
	upper_kind(v.upper.proto, p + v.upper.off, v.upper.len, &v.src, &v.dst, up, sizeof(up));
	snprintf(out, outlen, "ipv6:%s", up);
}

/* ---- gen ---------------------------------------------------------------- */

static void pcap_write_header(FILE *f)
{
	uint8_t h[24];
	struct wbuf w;
	wbuf_init(&w, h, sizeof(h));
	wbuf_u32(&w, PCAP_MAGIC_US);
	wbuf_u16(&w, 2);
	wbuf_u16(&w, 4);
	wbuf_u32(&w, 0); /* thiszone */
	wbuf_u32(&w, 0); /* sigfigs */
	wbuf_u32(&w, PKT_MAX);
	wbuf_u32(&w, LINKTYPE_RAW);
	fwrite(h, 1, wbuf_len(&w), f);
}

static void pcap_write_record(FILE *f, unsigned n, const uint8_t *pkt, size_t len)
{
	uint8_t h[16];
	struct wbuf w;
	wbuf_init(&w, h, sizeof(h));
	wbuf_u32(&w, 1700000000u + n);
	wbuf_u32(&w, 0);
	wbuf_u32(&w, (uint32_t)len);
	wbuf_u32(&w, (uint32_t)len);
	fwrite(h, 1, wbuf_len(&w), f);
	fwrite(pkt, 1, len, f);
}

/* Inner traffic number k of SA number c: an upper-layer message (with its
 * checksum for src -> dst) into w; returns its protocol. Sizes depend on c
 * so that across the SAs every padding length occurs. */
static uint8_t gen_upper(struct wbuf *w, unsigned c, unsigned k, const struct in6_addr *src,
			 const struct in6_addr *dst)
{
	static const size_t base[GEN_PKTS_PER_SA] = { 56, 1, 100, 1200 };
	size_t data = base[k] + c;
	uint8_t proto;
	size_t start = wbuf_len(w), ck_off;
	switch (k) {
	case 1: /* UDP to a test port */
		proto = IP6_NH_UDP;
		wbuf_u16(w, 40000 + (uint16_t)c);
		wbuf_u16(w, 33434); /* no tshark dissector on either port */
		wbuf_u16(w, (uint16_t)(8 + data));
		ck_off = wbuf_reserve(w, 2);
		break;
	case 2: /* a TCP segment, ACK|PSH */
		proto = IP6_NH_TCP;
		wbuf_u16(w, 50000 + (uint16_t)c);
		wbuf_u16(w, 5201);
		wbuf_u32(w, 0x01000000u + c);
		wbuf_u32(w, 0x02000000u);
		wbuf_u8(w, 5 << 4);
		wbuf_u8(w, 0x18);
		wbuf_u16(w, 65535);
		ck_off = wbuf_reserve(w, 2);
		wbuf_u16(w, 0);
		break;
	default: /* ICMPv6 Echo Request */
		proto = IP6_NH_ICMPV6;
		wbuf_u8(w, 128);
		wbuf_u8(w, 0);
		ck_off = wbuf_reserve(w, 2);
		wbuf_u16(w, 0x4d36);
		wbuf_u16(w, (uint16_t)(c * GEN_PKTS_PER_SA + k));
		break;
	}
	for (size_t i = 0; i < data; i++)
		wbuf_u8(w, (uint8_t)(i * 7 + c));
	if (wbuf_status(w) != 0)
		die("inner packet does not fit");
	wbuf_put_u16_at(w, ck_off, 0);
	const uint8_t *msg = w->base + start;
	wbuf_put_u16_at(w, ck_off, ip6_upper_cksum(src, dst, proto, msg, wbuf_len(w) - start));
	return proto;
}

static void build_ip6(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst, uint8_t next,
		      const uint8_t *payload, size_t len)
{
	struct ip6_fixed h = { .plen = (uint16_t)len, .next = next, .hlim = 64, .src = *src, .dst = *dst };
	ip6_build_fixed(w, &h);
	wbuf_bytes(w, payload, len);
	if (wbuf_status(w) != 0)
		die("packet does not fit");
}

static int gen(const char *pcap_path, const char *manifest_path)
{
	FILE *f = fopen(pcap_path, "wb");
	FILE *m = fopen(manifest_path, "w");
	if (!f || !m)
		die("cannot open output files");
	pcap_write_header(f);
	static uint8_t buf[PKT_MAX], pkt[PKT_MAX], inner[PKT_MAX];
	unsigned n = 0, c = 0;
	for (size_t ai = 0; ai < N_GEN_ALGS; ai++)
		for (int mode = SA_MODE_TRANSPORT; mode <= SA_MODE_TUNNEL; mode++)
			for (int udp = 0; udp <= 1; udp++)
				for (int esn = 0; esn <= 1; esn++, c++) {
					struct sa_spec s = { .spi = GEN_SPI_BASE + c, .alg = gen_algs[ai],
							     .mode = (enum sa_mode)mode, .udp = udp, .esn = esn,
							     .src = outer_a, .dst = outer_b,
							     .top = esn ? GEN_ESN_TOP : 0,
							     .window = REPLAY_WINDOW_DEFAULT };
					s.keymat_len = aead_keymat_len(s.alg);
					for (size_t i = 0; i < s.keymat_len; i++)
						s.keymat[i] = (uint8_t)(s.spi * 131 + i * 29 + 7);
					sa_spec_print(m, &s);
					struct sa *sa = sa_from_spec(&s, SA_DIR_OUT);
					if (esn)
						sa->seq = GEN_ESN_FIRST - 1; /* last sent */
					for (unsigned k = 0; k < GEN_PKTS_PER_SA; k++) {
						/* The plaintext: an upper-layer message (transport)
						 * or a whole inner IPv6 packet (tunnel). */
						struct wbuf w;
						uint8_t nh;
						size_t plen;
						if (mode == SA_MODE_TUNNEL) {
							uint8_t up[2048];
							wbuf_init(&w, up, sizeof(up));
							uint8_t proto = gen_upper(&w, c, k, &inner_a, &inner_b);
							struct wbuf wi;
							wbuf_init(&wi, inner, sizeof(inner));
							build_ip6(&wi, &inner_a, &inner_b, proto, up, wbuf_len(&w));
							nh = ESP_NH_IPV6;
							plen = wbuf_len(&wi);
						} else {
							wbuf_init(&w, inner, sizeof(inner));
							nh = gen_upper(&w, c, k, &s.src, &s.dst);
							plen = wbuf_len(&w);
						}
						memcpy(buf + HEADROOM, inner, plen);
						struct esp_result res;
						if (esp_seal(sa, buf, sizeof(buf), HEADROOM, plen, nh, NULL, &res) != 0)
							die(esp_drop_name(res.drop));
						size_t off = res.off, len = res.len;
						uint8_t outer_next = IP6_NH_ESP;
						if (udp) {
							if (espinudp_encap(buf, res.off, res.len, &s.src, &s.dst,
									   ESPINUDP_PORT, ESPINUDP_PORT, &off) != 0)
								die("espinudp_encap");
							len += ESPINUDP_UDP_HDR;
							outer_next = IP6_NH_UDP;
						}
						wbuf_init(&w, pkt, sizeof(pkt));
						build_ip6(&w, &s.src, &s.dst, outer_next, buf + off, len);
						pcap_write_record(f, ++n, pkt, wbuf_len(&w));
						char kind[96];
						payload_kind(nh, inner, plen, &s.src, &s.dst, kind, sizeof(kind));
						fprintf(m, "%u ok spi=0x%08x seq=%llu nh=%u inner=%s hex=", n, s.spi,
							(unsigned long long)res.seq, nh, kind);
						hex_print(m, inner, plen);
						fputc('\n', m);
					}
					sa_free(sa);
				}
	if (fclose(f) != 0 || fclose(m) != 0)
		die("write failed");
	return 0;
}

/* ---- SA lines ------------------------------------------------------------ */

static int unhex(const char *h, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(h);
	if (len % 2 != 0 || len / 2 > cap)
		return M6E_INVAL;
	for (size_t i = 0; i < len / 2; i++) {
		char b[3] = { h[2 * i], h[2 * i + 1], 0 };
		char *end;
		unsigned long v = strtoul(b, &end, 16);
		if (*end != 0 || b[0] == '+' || b[0] == '-' || b[0] == ' ')
			return M6E_INVAL;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (*s == '-' || *s == 0)
		return M6E_INVAL;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end != 0 || v > max)
		return M6E_RANGE;
	*out = v;
	return 0;
}

static int parse_alg(const char *s, enum aead_alg *alg)
{
	for (int a = AEAD_ALG_MIN; a <= AEAD_ALG_MAX; a++)
		if (strcmp(s, aead_alg_name((enum aead_alg)a)) == 0) {
			*alg = (enum aead_alg)a;
			return 0;
		}
	return M6E_INVAL;
}

/* One "sa key=value ..." line into *s. 0 or M6E_INVAL with *bad naming the
 * offending token. */
static int sa_spec_parse(char *line, struct sa_spec *s, const char **bad)
{
	memset(s, 0, sizeof(*s));
	s->window = REPLAY_WINDOW_DEFAULT;
	unsigned seen = 0;
	char *save = NULL;
	strtok_r(line, " \t\r\n", &save); /* "sa" */
	for (char *tok; (tok = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
		*bad = tok;
		char *val = strchr(tok, '=');
		if (!val)
			return M6E_INVAL;
		*val++ = 0;
		uint64_t u;
		int rc = 0;
		if (strcmp(tok, "spi") == 0) {
			rc = parse_u64(val, UINT32_MAX, &u);
			s->spi = (uint32_t)u;
			seen |= 1;
		} else if (strcmp(tok, "alg") == 0) {
			rc = parse_alg(val, &s->alg);
			seen |= 2;
		} else if (strcmp(tok, "mode") == 0) {
			s->mode = strcmp(val, "tunnel") == 0 ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT;
			rc = strcmp(val, "tunnel") == 0 || strcmp(val, "transport") == 0 ? 0 : M6E_INVAL;
			seen |= 4;
		} else if (strcmp(tok, "encap") == 0) {
			s->udp = strcmp(val, "udp") == 0;
			rc = s->udp || strcmp(val, "esp") == 0 ? 0 : M6E_INVAL;
		} else if (strcmp(tok, "esn") == 0) {
			rc = parse_u64(val, 1, &u);
			s->esn = u == 1;
		} else if (strcmp(tok, "src") == 0) {
			rc = addr_parse(val, &s->src);
		} else if (strcmp(tok, "dst") == 0) {
			rc = addr_parse(val, &s->dst);
		} else if (strcmp(tok, "keymat") == 0) {
			rc = unhex(val, s->keymat, sizeof(s->keymat), &s->keymat_len);
			seen |= 8;
		} else if (strcmp(tok, "top") == 0) {
			rc = parse_u64(val, UINT64_MAX, &s->top);
		} else if (strcmp(tok, "window") == 0) {
			rc = parse_u64(val, REPLAY_WINDOW_MAX, &u);
			s->window = (uint32_t)u;
		} else {
			rc = M6E_INVAL;
		}
		if (rc != 0)
			return M6E_INVAL;
	}
	*bad = "a required key (spi, alg, mode, keymat)";
	return seen == 15 ? 0 : M6E_INVAL;
}

static struct sad *load_sas(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open the SA file");
	struct sad *sad = NULL;
	if (sad_new(&sad, 0x5eed) != 0)
		die("sad_new");
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strncmp(line, "sa ", 3) != 0)
			continue;
		struct sa_spec s;
		const char *bad = "";
		if (sa_spec_parse(line, &s, &bad) != 0) {
			fprintf(stderr, "espcap: %s:%u: bad %s\n", path, lineno, bad);
			exit(1);
		}
		struct sa *sa = sa_from_spec(&s, SA_DIR_IN);
		if (s.top != 0)
			replay_update(&sa->replay, s.top);
		if (sad_add(sad, sa) != 0) {
			fprintf(stderr, "espcap: %s:%u: SPI 0x%08x twice\n", path, lineno, s.spi);
			exit(1);
		}
	}
	fclose(f);
	return sad;
}

/* ---- open ---------------------------------------------------------------- */

static uint32_t swap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

struct pcap_reader {
	struct rbuf r;
	bool swapped;
	uint32_t linktype;
};

static int pcap_open(struct pcap_reader *p, const uint8_t *file, size_t len)
{
	rbuf_init(&p->r, file, len);
	uint32_t magic, lt;
	if (rbuf_u32(&p->r, &magic) != 0 || rbuf_skip(&p->r, 16) != 0 || rbuf_u32(&p->r, &lt) != 0)
		return M6E_TRUNC;
	p->swapped = magic == swap32(PCAP_MAGIC_US) || magic == swap32(PCAP_MAGIC_NS);
	if (!p->swapped && magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		return M6E_INVAL; /* pcapng: write captures with -F pcap */
	p->linktype = p->swapped ? swap32(lt) : lt;
	return 0;
}

/* The next record's IPv6 packet (link header removed) into *pkt. 0, 1 at
 * the end, M6E_TRUNC for a cut record, M6E_UNSUPP for a non-IPv6 frame. */
static int pcap_next(struct pcap_reader *p, struct rbuf *pkt)
{
	if (rbuf_left(&p->r) == 0)
		return 1;
	uint32_t caplen;
	if (rbuf_skip(&p->r, 8) != 0 || rbuf_u32(&p->r, &caplen) != 0 || rbuf_skip(&p->r, 4) != 0)
		return M6E_TRUNC;
	if (p->swapped)
		caplen = swap32(caplen);
	if (rbuf_sub(&p->r, caplen, pkt) != 0)
		return M6E_TRUNC;
	uint16_t ethertype = ETHERTYPE_IPV6;
	switch (p->linktype) {
	case LINKTYPE_ETHERNET:
		if (rbuf_skip(pkt, 12) != 0 || rbuf_u16(pkt, &ethertype) != 0)
			return M6E_TRUNC;
		break;
	case LINKTYPE_LINUX_SLL:
		if (rbuf_skip(pkt, 14) != 0 || rbuf_u16(pkt, &ethertype) != 0)
			return M6E_TRUNC;
		break;
	case LINKTYPE_RAW:
	case LINKTYPE_IPV6:
		break;
	default:
		return M6E_UNSUPP;
	}
	return ethertype == ETHERTYPE_IPV6 ? 0 : M6E_UNSUPP;
}

/* Open one captured packet and print its line. */
static void open_one(struct sad *sad, struct esp_stats *st, unsigned n, uint8_t *pkt, size_t len)
{
	struct ip6_view v;
	if (ip6_parse(pkt, len, &v) != 0) {
		printf("%u DROP ip6:%s\n", n, ip6_drop_name(v.drop));
		return;
	}
	size_t off = v.upper.off, elen = v.upper.len;
	if (v.upper.proto == IP6_NH_UDP) {
		struct espinudp_dgram d;
		int rc = espinudp_parse(pkt + off, elen, &v.src, &v.dst, &d);
		if (rc != 0) {
			printf("%u DROP udp:%s\n", n, err_str(rc));
			return;
		}
		if (d.kind != ESPINUDP_ESP) {
			printf("%u DROP udp:%s\n", n, espinudp_kind_name(d.kind));
			return;
		}
		off += d.off;
		elen = d.len;
	} else if (v.upper.proto != IP6_NH_ESP) {
		printf("%u DROP not-esp:%s\n", n, ip6_nh_name(v.upper.proto));
		return;
	}
	struct sa *sa = NULL;
	struct esp_result res;
	if (esp_open_sad(sad, st, pkt + off, elen, &sa, &res) != 0) {
		printf("%u DROP esp:%s\n", n, esp_drop_name(res.drop));
		return;
	}
	const uint8_t *in = pkt + off + res.off;
	char kind[96];
	payload_kind(res.next_header, in, res.len, &v.src, &v.dst, kind, sizeof(kind));
	printf("%u ok spi=0x%08x seq=%llu nh=%u inner=%s hex=", n, sa->spi, (unsigned long long)res.seq,
	       res.next_header, kind);
	hex_print(stdout, in, res.len);
	putchar('\n');
}

static void print_sa_counters(struct sad *sad, struct sa *sa, void *arg)
{
	(void)sad;
	(void)arg;
	printf("# sa 0x%08x packets=%llu auth_fail=%llu replay_drop=%llu other_drop=%llu\n", sa->spi,
	       (unsigned long long)sa->cnt.packets, (unsigned long long)sa->cnt.auth_fail,
	       (unsigned long long)sa->cnt.replay_drop, (unsigned long long)sa->cnt.other_drop);
}

static int open_capture(const char *sa_path, const char *pcap_path, unsigned passes)
{
	struct sad *sad = load_sas(sa_path);
	FILE *f = fopen(pcap_path, "rb");
	if (!f)
		die("cannot open the capture");
	static uint8_t file[64u << 20], pkt[PKT_MAX];
	size_t flen = fread(file, 1, sizeof(file), f);
	fclose(f);
	struct esp_stats st;
	memset(&st, 0, sizeof(st));
	for (unsigned pass = 1; pass <= passes; pass++) {
		if (passes > 1)
			printf("# pass %u\n", pass);
		struct pcap_reader p;
		if (pcap_open(&p, file, flen) != 0)
			die("not a pcap file (pcapng is not read: write captures with -F pcap)");
		struct rbuf rec;
		int rc;
		for (unsigned n = 1; (rc = pcap_next(&p, &rec)) != 1; n++) {
			if (rc == M6E_TRUNC)
				die("truncated capture");
			if (rc != 0 || rbuf_left(&rec) > sizeof(pkt)) {
				printf("%u DROP link:not IPv6\n", n);
				continue;
			}
			/* esp_open works in place: a private copy per pass. */
			size_t len = rbuf_left(&rec);
			memcpy(pkt, rbuf_ptr(&rec), len);
			open_one(sad, &st, n, pkt, len);
		}
	}
	sad_foreach(sad, print_sa_counters, NULL);
	for (int d = ESP_DROP_NONE + 1; d < ESP_DROP_COUNT; d++)
		if (st.drops[d])
			printf("# drop %llu esp:%s\n", (unsigned long long)st.drops[d],
			       esp_drop_name((enum esp_drop)d));
	sad_free(sad);
	return 0;
}

static void addr_or_die(struct in6_addr *a, const char *s)
{
	if (addr_parse(s, a) != 0)
		die("bad built-in address");
}

int main(int argc, char **argv)
{
	addr_or_die(&outer_a, "2001:db8:100::1");
	addr_or_die(&outer_b, "2001:db8:200::1");
	addr_or_die(&inner_a, "2001:db8:a::10");
	addr_or_die(&inner_b, "2001:db8:b::20");
	/* Drops are expected here (tamper and replay cases): keep stderr quiet. */
	log_set_level(LOG_LVL_ERR, 0);
	unsigned passes = 1;
	int opt;
	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p' || atoi(optarg) < 1 || atoi(optarg) > 16) {
			fprintf(stderr, "usage: espcap open [-p PASSES] SAFILE FILE.pcap\n");
			return 2;
		}
		passes = (unsigned)atoi(optarg);
	}
	argc -= optind;
	argv += optind;
	if (argc == 3 && strcmp(argv[0], "gen") == 0)
		return gen(argv[1], argv[2]);
	if (argc == 3 && strcmp(argv[0], "open") == 0)
		return open_capture(argv[1], argv[2], passes);
	fprintf(stderr, "usage: espcap gen FILE.pcap MANIFEST\n"
			"       espcap open [-p PASSES] SAFILE FILE.pcap\n");
	return 2;
}
