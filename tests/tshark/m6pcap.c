/*
 * m6pcap: the bridge between our codecs and independent decoders in tests.
 *
 *   m6pcap gen FILE.pcap    write one packet of every Mobile IPv6 kind our
 *                           builders produce (LINKTYPE_RAW), for tshark and
 *                           scapy to decode; prints one line per packet:
 *                           "N KIND" (the kind the decoders must agree on)
 *   m6pcap parse FILE.pcap  parse every packet of a capture made by someone
 *                           else (scapy) with our parsers, printing one line
 *                           per packet: "N KIND key=value ..." or
 *                           "N DROP reason"
 *
 * The pcap file itself is untrusted input too, so it is read with rbuf.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/mh.h"
#include "wire/nd.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_MAGIC_SWAPPED 0xd4c3b2a1u
#define LINKTYPE_RAW 101
#define LINKTYPE_IPV6 229
#define PKT_MAX 2048

/* Addresses of the picture: HA on the home link, MN away at a care-of
 * address, CN elsewhere (documentation prefix, never on a real wire). */
static struct in6_addr ha, hoa, coa, cn, hoa_ll_prefix_router;

static void addr(struct in6_addr *a, const char *s)
{
	if (addr_parse(s, a) != 0) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
}

static void pcap_u32le(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	fwrite(b, 1, 4, f);
}

static void pcap_u16le(FILE *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	fwrite(b, 1, 2, f);
}

static unsigned n_written;

static void emit(FILE *f, const char *kind, const uint8_t *pkt, size_t len)
{
	n_written++;
	pcap_u32le(f, 1700000000u + n_written); /* ts_sec */
	pcap_u32le(f, 0);
	pcap_u32le(f, (uint32_t)len);
	pcap_u32le(f, (uint32_t)len);
	fwrite(pkt, 1, len, f);
	printf("%u %s\n", n_written, kind);
}

/* Wrap an upper-layer message into a whole IPv6 packet and write it. */
static void emit_ip6(FILE *f, const char *kind, const struct in6_addr *src, const struct in6_addr *dst,
		     const struct in6_addr *hao, const struct in6_addr *rh2, uint8_t proto,
		     const uint8_t *upper, size_t upper_len, uint8_t hlim)
{
	uint8_t pkt[PKT_MAX];
	struct wbuf w;
	wbuf_init(&w, pkt, sizeof(pkt));
	struct ip6_pkt_spec spec = { .src = *src, .dst = *dst, .hao = hao, .rh2 = rh2, .proto = proto,
				     .hlim = hlim };
	if (ip6_build_packet(&w, &spec, upper, upper_len) != 0 || wbuf_status(&w) != 0) {
		fprintf(stderr, "%s: ip6_build_packet failed\n", kind);
		exit(1);
	}
	emit(f, kind, pkt, wbuf_len(&w));
}

static void emit_mh(FILE *f, const char *kind, const struct mh_msg *m, const struct in6_addr *src,
		    const struct in6_addr *dst, const struct in6_addr *hao, const struct in6_addr *rh2)
{
	uint8_t mh[512];
	struct wbuf w;
	wbuf_init(&w, mh, sizeof(mh));
	size_t auth_off = 0;
	/* Checksum left to ip6_build_packet, which knows the pseudo-header. */
	if (mh_build(&w, m, NULL, &auth_off) != 0) {
		fprintf(stderr, "%s: mh_build failed\n", kind);
		exit(1);
	}
	if (m->opts.has_auth) {
		/* Any authenticator: the decoders check layout, not the key. */
		uint8_t auth[12];
		for (unsigned i = 0; i < sizeof(auth); i++)
			auth[i] = (uint8_t)(0xa0 + i);
		if (mh_auth_finish(mh, wbuf_len(&w), auth, sizeof(auth), NULL) != 0) {
			fprintf(stderr, "%s: mh_auth_finish failed\n", kind);
			exit(1);
		}
	}
	emit_ip6(f, kind, src, dst, hao, rh2, 135, mh, wbuf_len(&w), 64);
}


static int gen(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	pcap_u32le(f, PCAP_MAGIC);
	pcap_u16le(f, 2);
	pcap_u16le(f, 4);
	pcap_u32le(f, 0);
	pcap_u32le(f, 0);
	pcap_u32le(f, 65535);
	pcap_u32le(f, LINKTYPE_RAW);

	struct mh_msg m;

	/* BU to the HA (RFC 3776 §3.1 shape, without the ESP): HAO + Alternate CoA. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.u.bu.seq = 4711;
	m.u.bu.flags = MH_BU_F_A | MH_BU_F_H;
	m.u.bu.lifetime = 150;
	m.opts.has_alt_coa = true;
	m.opts.alt_coa = coa;
	emit_mh(f, "BU", &m, &coa, &ha, &hoa, NULL);

	/* BA from the HA with a Binding Refresh Advice, via RH2. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.u.ba.status = 0;
	m.u.ba.seq = 4711;
	m.u.ba.lifetime = 150;
	m.opts.has_bra = true;
	m.opts.bra_interval = 100;
	emit_mh(f, "BA", &m, &ha, &coa, NULL, &hoa);

	/* Rejected BA without options (PadN 4). */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.u.ba.status = 135;
	m.u.ba.seq = 4700;
	emit_mh(f, "BA", &m, &ha, &coa, NULL, &hoa);

	/* Return routability: HoTI (from the home address, as the CN sees it
	 * after the tunnel), CoTI (from the CoA), HoT, CoT. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_HOTI;
	memcpy(m.u.ti.cookie, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	emit_mh(f, "HoTI", &m, &hoa, &cn, NULL, NULL);
	m.type = MH_TYPE_COTI;
	emit_mh(f, "CoTI", &m, &coa, &cn, NULL, NULL);
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_HOT;
	m.u.test.nonce_idx = 7;
	memcpy(m.u.test.cookie, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(m.u.test.token, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	emit_mh(f, "HoT", &m, &cn, &hoa, NULL, NULL);
	m.type = MH_TYPE_COT;
	m.u.test.nonce_idx = 8;
	emit_mh(f, "CoT", &m, &cn, &coa, NULL, NULL);

	/* BU to a CN with Nonce Indices + BAD (E15), and its BA with BAD (E16). */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.u.bu.seq = 12;
	m.u.bu.flags = MH_BU_F_A;
	m.u.bu.lifetime = 105;
	m.opts.has_nonce_idx = true;
	m.opts.home_nonce_idx = 7;
	m.opts.coa_nonce_idx = 8;
	m.opts.has_auth = true;
	m.opts.auth_len = 12;
	emit_mh(f, "BU", &m, &coa, &cn, &hoa, NULL);
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.u.ba.seq = 12;
	m.u.ba.lifetime = 105;
	m.opts.has_auth = true;
	m.opts.auth_len = 12;
	emit_mh(f, "BA", &m, &cn, &coa, NULL, &hoa);

	/* Binding Error (status 1) and Binding Refresh Request. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BE;
	m.u.be.status = 1;
	m.u.be.hoa = hoa;
	emit_mh(f, "BE", &m, &cn, &coa, NULL, NULL);
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BRR;
	emit_mh(f, "BRR", &m, &cn, &hoa, NULL, NULL);

	uint8_t icmp[1280];
	struct wbuf w;
	struct in6_addr anycast;
	struct prefix6 home_prefix;
	if (prefix_parse("2001:db8:1::/64", &home_prefix, false) != 0 ||
	    icmp6_ha_anycast(&home_prefix, &anycast) != 0) {
		fprintf(stderr, "anycast failed\n");
		return 1;
	}

	/* DHAAD request to the Home-Agents anycast address, and the reply. */
	wbuf_init(&w, icmp, sizeof(icmp));
	if (icmp6_build_dhaad_req(&w, &coa, &anycast, 0x1234) != 0)
		return 1;
	emit_ip6(f, "DHAAD-Request", &coa, &anycast, NULL, NULL, 58, icmp, wbuf_len(&w), 64);
	struct in6_addr has[2] = { ha, hoa_ll_prefix_router };
	wbuf_init(&w, icmp, sizeof(icmp));
	if (icmp6_build_dhaad_rep(&w, &ha, &coa, 0x1234, has, 2, 1280 - 40, NULL) != 0)
		return 1;
	emit_ip6(f, "DHAAD-Reply", &ha, &coa, NULL, NULL, 58, icmp, wbuf_len(&w), 64);

	/* Mobile Prefix Solicitation (E7: HAO) and Advertisement (E8: RH2). */
	struct nd_mp mp;
	memset(&mp, 0, sizeof(mp));
	mp.id = 0x4242;
	wbuf_init(&w, icmp, sizeof(icmp));
	if (nd_build_mps(&w, &hoa, &ha, &mp) != 0)
		return 1;
	emit_ip6(f, "MPS", &coa, &ha, &hoa, NULL, 58, icmp, wbuf_len(&w), 64);
	memset(&mp, 0, sizeof(mp));
	mp.id = 0x4242;
	mp.opts.n_pio = 1;
	mp.opts.pio[0].plen = 64;
	mp.opts.pio[0].flags = ND_PIO_L | ND_PIO_A | ND_PIO_R;
	mp.opts.pio[0].valid = 86400;
	mp.opts.pio[0].preferred = 14400;
	mp.opts.pio[0].prefix = ha; /* R: the HA's full address */
	wbuf_init(&w, icmp, sizeof(icmp));
	if (nd_build_mpa(&w, &ha, &hoa, &mp) != 0)
		return 1;
	emit_ip6(f, "MPA", &ha, &coa, NULL, &hoa, 58, icmp, wbuf_len(&w), 64);

	/* Router Advertisement with the H bit, HA Information and Advertisement
	 * Interval options, as the HA sends on its home link. */
	struct nd_ra ra;
	memset(&ra, 0, sizeof(ra));
	ra.cur_hop_limit = 64;
	ra.flags = ND_RA_H;
	ra.router_lifetime = 1800;
	ra.opts.n_pio = 1;
	ra.opts.pio[0] = mp.opts.pio[0];
	ra.opts.has_adv_ival = true;
	ra.opts.adv_ival_ms = 3000;
	ra.opts.has_ha_info = true;
	ra.opts.ha_pref = 10;
	ra.opts.ha_lifetime = 1800;
	ra.opts.slla.present = true;
	ra.opts.slla.len = 6;
	memcpy(ra.opts.slla.addr, "\x02\x00\x5e\x00\x53\x01", 6);
	struct in6_addr ll_router, all_nodes;
	addr(&ll_router, "fe80::1");
	addr(&all_nodes, "ff02::1");
	wbuf_init(&w, icmp, sizeof(icmp));
	if (nd_build_ra(&w, &ll_router, &all_nodes, &ra) != 0)
		return 1;
	emit_ip6(f, "RA", &ll_router, &all_nodes, NULL, NULL, 58, icmp, wbuf_len(&w), 255);

	/* The HA's unsolicited proxy NA for a home address, and a DAD probe. */
	struct nd_na na;
	memset(&na, 0, sizeof(na));
	na.flags = ND_NA_O;
	na.target = hoa;
	na.opts.tlla = ra.opts.slla;
	wbuf_init(&w, icmp, sizeof(icmp));
	if (nd_build_na(&w, &ha, &all_nodes, &na) != 0)
		return 1;
	emit_ip6(f, "NA", &ha, &all_nodes, NULL, NULL, 58, icmp, wbuf_len(&w), 255);
	struct in6_addr unspec = IN6ADDR_ANY_INIT, snm;
	wbuf_init(&w, icmp, sizeof(icmp));
	if (nd_build_dad_ns(&w, &hoa, &snm) != 0)
		return 1;
	emit_ip6(f, "NS", &unspec, &snm, NULL, NULL, 58, icmp, wbuf_len(&w), 255);

	fclose(f);
	return 0;
}

static void print_mh(unsigned n, const uint8_t *pkt, const struct ip6_view *v)
{
	struct in6_addr psrc, pdst;
	ip6_pseudo_addrs(v, &psrc, &pdst);
	struct mh_pseudo ph = { .src = psrc, .dst = pdst };
	struct mh_msg m;
	struct mh_diag d;
	int rc = mh_parse(pkt + v->upper.off, v->upper.len, &ph, &m, &d);
	if (rc != 0) {
		printf("%u DROP mh:%s\n", n, mh_reason_name(d.reason));
		return;
	}
	/* Short names, as tests and tshark filters spell them. */
	static const char *const short_names[] = { "BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE" };
	char a[ADDR_STRLEN];
	printf("%u %s", n, m.type <= MH_TYPE_MAX ? short_names[m.type] : mh_type_name(m.type));
	switch (m.type) {
	case MH_TYPE_BU:
		printf(" seq=%u flags=0x%04x lifetime=%u", m.u.bu.seq, m.u.bu.flags, m.u.bu.lifetime);
		break;
	case MH_TYPE_BA:
		printf(" status=%u seq=%u lifetime=%u", m.u.ba.status, m.u.ba.seq, m.u.ba.lifetime);
		break;
	case MH_TYPE_BE:
		printf(" status=%u hoa=%s", m.u.be.status, addr_fmt(&m.u.be.hoa, a, sizeof(a)));
		break;
	case MH_TYPE_HOT:
	case MH_TYPE_COT:
		printf(" nonce_idx=%u", m.u.test.nonce_idx);
		break;
	default:
		break;
	}
	if (m.opts.has_alt_coa)
		printf(" alt_coa=%s", addr_fmt(&m.opts.alt_coa, a, sizeof(a)));
	if (m.opts.has_bra)
		printf(" bra=%u", m.opts.bra_interval);
	if (m.opts.has_nonce_idx)
		printf(" nonce=%u,%u", m.opts.home_nonce_idx, m.opts.coa_nonce_idx);
	if (m.opts.has_auth)
		printf(" auth_len=%u", m.opts.auth_len);
	if (v->hao.present)
		printf(" hao=%s", addr_fmt(&v->hao.addr, a, sizeof(a)));
	if (v->rh2.present)
		printf(" rh2=%s", addr_fmt(&v->rh2.addr, a, sizeof(a)));
	printf("\n");
}

static void print_icmp6(unsigned n, const uint8_t *pkt, const struct ip6_view *v)
{
	struct in6_addr psrc, pdst;
	ip6_pseudo_addrs(v, &psrc, &pdst);
	struct icmp6_msg m;
	enum icmp6_reason why = 0;
	if (icmp6_parse_msg(pkt + v->upper.off, v->upper.len, &psrc, &pdst, &m, &why) != 0) {
		printf("%u DROP icmp6:%s\n", n, icmp6_reason_name(why));
		return;
	}
	char a[ADDR_STRLEN];
	int rc = 0;
	switch (m.type) {
	case ICMP6_TYPE_DHAAD_REQUEST:
	case ICMP6_TYPE_DHAAD_REPLY: {
		struct icmp6_dhaad dh;
		rc = m.type == ICMP6_TYPE_DHAAD_REQUEST ? icmp6_parse_dhaad_req(&m, &dh, &why)
							: icmp6_parse_dhaad_rep(&m, &dh, &why);
		if (rc == 0) {
			printf("%u %s id=0x%04x n_ha=%u", n,
			       m.type == ICMP6_TYPE_DHAAD_REQUEST ? "DHAAD-Request" : "DHAAD-Reply", dh.id,
			       dh.n_ha);
			for (unsigned i = 0; i < dh.n_ha; i++)
				printf(" ha=%s", addr_fmt(&dh.ha[i], a, sizeof(a)));
			printf("\n");
		}
		break;
	}
	case ICMP6_TYPE_MPS:
	case ICMP6_TYPE_MPA: {
		struct nd_mp mp;
		rc = m.type == ICMP6_TYPE_MPS ? nd_parse_mps(&m, &mp, &why) : nd_parse_mpa(&m, &mp, &why);
		if (rc == 0) {
			printf("%u %s id=0x%04x flags=0x%04x n_pio=%u", n,
			       m.type == ICMP6_TYPE_MPS ? "MPS" : "MPA", mp.id, mp.flags, mp.opts.n_pio);
			for (unsigned i = 0; i < mp.opts.n_pio; i++)
				printf(" pio=%s/%u,0x%02x", addr_fmt(&mp.opts.pio[i].prefix, a, sizeof(a)),
				       mp.opts.pio[i].plen, mp.opts.pio[i].flags);
			printf("\n");
		}
		break;
	}
	case ICMP6_TYPE_RA: {
		struct nd_ra ra;
		rc = nd_parse_ra(&m, &ra, &why);
		if (rc == 0)
			printf("%u RA flags=0x%02x lifetime=%u ha_info=%d ha_pref=%u ha_lifetime=%u "
			       "n_pio=%u\n",
			       n, ra.flags, ra.router_lifetime, ra.opts.has_ha_info, ra.opts.ha_pref,
			       ra.opts.ha_lifetime, ra.opts.n_pio);
		break;
	}
	case ICMP6_TYPE_NS: {
		struct nd_ns ns;
		rc = nd_parse_ns(&m, &ns, &why);
		if (rc == 0)
			printf("%u NS target=%s\n", n, addr_fmt(&ns.target, a, sizeof(a)));
		break;
	}
	case ICMP6_TYPE_NA: {
		struct nd_na na;
		rc = nd_parse_na(&m, &na, &why);
		if (rc == 0)
			printf("%u NA flags=0x%02x target=%s\n", n, na.flags,
			       addr_fmt(&na.target, a, sizeof(a)));
		break;
	}
	default:
		printf("%u ICMPv6 type=%u\n", n, m.type);
		return;
	}
	if (rc != 0)
		printf("%u DROP icmp6:%s\n", n, icmp6_reason_name(why));
}

static int parse(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	static uint8_t file[1 << 20];
	size_t flen = fread(file, 1, sizeof(file), f);
	fclose(f);
	struct rbuf r;
	rbuf_init(&r, file, flen);
	uint8_t gh[24];
	if (rbuf_bytes(&r, gh, sizeof(gh)) != 0) {
		fprintf(stderr, "%s: not a pcap file\n", path);
		return 1;
	}
	uint32_t magic = (uint32_t)gh[0] | (uint32_t)gh[1] << 8 | (uint32_t)gh[2] << 16 |
			 (uint32_t)gh[3] << 24;
	if (magic != PCAP_MAGIC) {
		fprintf(stderr, "%s: only little-endian microsecond pcap is read here\n", path);
		return 1;
	}
	uint32_t linktype = (uint32_t)gh[20] | (uint32_t)gh[21] << 8;
	if (linktype != LINKTYPE_RAW && linktype != LINKTYPE_IPV6) {
		fprintf(stderr, "%s: link type %u is not raw IP\n", path, linktype);
		return 1;
	}
	unsigned n = 0;
	while (rbuf_left(&r) > 0) {
		uint8_t rh[16];
		struct rbuf rec;
		if (rbuf_bytes(&r, rh, sizeof(rh)) != 0)
			return 1;
		uint32_t caplen = (uint32_t)rh[8] | (uint32_t)rh[9] << 8 | (uint32_t)rh[10] << 16 |
				  (uint32_t)rh[11] << 24;
		if (rbuf_sub(&r, caplen, &rec) != 0) {
			fprintf(stderr, "%s: truncated record\n", path);
			return 1;
		}
		n++;
		const uint8_t *pkt = rbuf_ptr(&rec);
		struct ip6_view v;
		if (ip6_parse(pkt, caplen, &v) != 0) {
			printf("%u DROP ip6:%s\n", n, ip6_drop_name(v.drop));
			continue;
		}
		if (v.upper.proto == 135)
			print_mh(n, pkt, &v);
		else if (v.upper.proto == 58)
			print_icmp6(n, pkt, &v);
		else
			printf("%u proto=%u\n", n, v.upper.proto);
	}
	return 0;
}

int main(int argc, char **argv)
{
	addr(&ha, "2001:db8:1::1");
	addr(&hoa, "2001:db8:1::100");
	addr(&coa, "2001:db8:2::100");
	addr(&cn, "2001:db8:3::5");
	addr(&hoa_ll_prefix_router, "2001:db8:1::2");
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2]);
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return parse(argv[2]);
	fprintf(stderr, "usage: m6pcap gen|parse FILE.pcap\n");
	return 2;
}
