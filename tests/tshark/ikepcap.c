/*
 * ikepcap: IKEv2 messages built by src/wire/ike.c, written as a pcap of
 * IPv6/UDP frames for an independent decoder (tests/tshark/ike-tshark.sh).
 *
 *   ikepcap FILE.pcap   writes the frames; prints one line per frame:
 *                       "N EXCHANGE PAYLOAD-TYPES NOTIFY-TYPES" (types as
 *                       comma-separated numbers, "-" for none), the outer
 *                       chain only: SK contents are opaque to a decoder.
 *
 * The SK/SKF bodies are dummy bytes; decoders check the layout, not the keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/wbuf.h"
#include "crypto/xform.h"
#include "wire/ike.h"
#include "wire/ip6.h"
#include "wire/udp.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define LINKTYPE_RAW 101
#define PKT_MAX 4096

static struct in6_addr ha, coa;
static unsigned n_written;

/* n octets of v, little-endian (pcap's byte order as we write it). */
static void put_le(FILE *f, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}

static void die(const char *what)
{
	fprintf(stderr, "ikepcap: %s failed\n", what);
	exit(1);
}

/* Print what our own parser sees in the message, then frame and write it. */
static void emit(FILE *f, const uint8_t *ike, size_t len, bool natt, bool to_ha)
{
	struct ike_msg m;
	struct ike_diag d;
	if (ike_parse_msg(ike, len, &m, &d) != 0 || ike_chain_validate(&m.chain, &d) != 0) {
		fprintf(stderr, "ikepcap: our parser refuses our message: %s\n", ike_reason_name(d.reason));
		exit(1);
	}
	n_written++;
	printf("%u %u ", n_written, m.hdr.exchange);
	for (unsigned i = 0; i < m.chain.n; i++)
		printf("%s%u", i ? "," : "", m.chain.pl[i].type);
	printf("%s ", m.chain.n ? "" : "-");
	unsigned nn = 0;
	for (unsigned i = 0; i < m.chain.n; i++) {
		struct ike_notify n;
		if (m.chain.pl[i].type == IKE_PL_NOTIFY && ike_parse_notify(&m.chain.pl[i], &n, NULL) == 0)
			printf("%s%u", nn++ ? "," : "", n.type);
	}
	printf("%s\n", nn ? "" : "-");

	uint8_t udp_data[PKT_MAX], udp[PKT_MAX], pkt[PKT_MAX];
	struct wbuf w;
	size_t dlen = 0;
	if (natt) { /* R7296-2.b: Non-ESP Marker on port 4500 */
		memset(udp_data, 0, IKE_NON_ESP_MARKER_LEN);
		dlen = IKE_NON_ESP_MARKER_LEN;
	}
	memcpy(udp_data + dlen, ike, len);
	dlen += len;
	uint16_t port = natt ? UDP_PORT_NATT : UDP_PORT_IKE;
	const struct in6_addr *src = to_ha ? &coa : &ha, *dst = to_ha ? &ha : &coa;
	wbuf_init(&w, udp, sizeof(udp));
	if (udp_build(&w, src, dst, port, port, udp_data, dlen) != 0 || wbuf_status(&w) != 0)
		die("udp_build");
	size_t ulen = wbuf_len(&w);
	struct ip6_pkt_spec spec = { .src = *src, .dst = *dst, .proto = IPPROTO_UDP, .hlim = 64 };
	wbuf_init(&w, pkt, sizeof(pkt));
	if (ip6_build_packet(&w, &spec, udp, ulen) != 0 || wbuf_status(&w) != 0)
		die("ip6_build_packet");
	put_le(f, 1700000000u + n_written, 4); /* ts_sec, ts_usec, incl_len, orig_len */
	put_le(f, 0, 4);
	put_le(f, (uint32_t)wbuf_len(&w), 4);
	put_le(f, (uint32_t)wbuf_len(&w), 4);
	fwrite(pkt, 1, wbuf_len(&w), f);
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static struct ike_transform xf(uint8_t type, uint16_t id, uint16_t key_len)
{
	struct ike_transform t = { .type = type, .id = id, .key_len = key_len };
	return t;
}

#define SPI_I 0x0011223344556677ull
#define SPI_R 0x8899aabbccddeeffull

static void sa_init(FILE *f, bool response)
{
	static const uint8_t vid[16] = { 0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc };
	uint8_t ke[64], nonce[32], natd[20], msg[PKT_MAX];
	struct ike_sa sa;
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = response ? SPI_R : 0, .exchange = IKE_EXCH_SA_INIT,
			     .flags = response ? IKE_FLAG_R : IKE_FLAG_I };
	struct ike_builder b;
	struct wbuf w;
	size_t len;

	memset(&sa, 0, sizeof(sa));
	sa.n_prop = response ? 1 : 2;
	/* Request: AEAD and non-AEAD in separate proposals (R7296-2.7.a). */
	sa.prop[0].num = 1;
	sa.prop[0].proto = IKE_PROTO_IKE;
	sa.prop[0].n_xf = 4;
	sa.prop[0].xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_GCM_16, 256);
	sa.prop[0].xf[1] = xf(XFORM_PRF, XFORM_PRF_HMAC_SHA2_256, 0);
	sa.prop[0].xf[2] = xf(XFORM_DH, XFORM_DH_ECP_256, 0);
	sa.prop[0].xf[3] = xf(XFORM_DH, XFORM_DH_CURVE25519, 0);
	sa.prop[1].num = 2;
	sa.prop[1].proto = IKE_PROTO_IKE;
	sa.prop[1].n_xf = 4;
	sa.prop[1].xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_CBC, 128);
	sa.prop[1].xf[1] = xf(XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_256_128, 0);
	sa.prop[1].xf[2] = xf(XFORM_PRF, XFORM_PRF_HMAC_SHA2_256, 0);
	sa.prop[1].xf[3] = xf(XFORM_DH, XFORM_DH_MODP_2048, 0);
	if (response) { /* the chosen proposal, one transform of each type */
		sa.prop[0].n_xf = 3;
	}
	fill(ke, sizeof(ke), response ? 0x40 : 0x20);
	fill(nonce, sizeof(nonce), response ? 0x30 : 0x10);

	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_sa(&b, &sa);
	ike_build_ke(&b, XFORM_DH_ECP_256, ke, sizeof(ke));
	ike_build_nonce(&b, nonce, sizeof(nonce));
	fill(natd, sizeof(natd), 0xa0);
	ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	fill(natd, sizeof(natd), 0x86);
	ike_build_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	ike_build_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_build_vendor(&b, vid, sizeof(vid));
	if (ike_build_end(&b, &len) != 0)
		die("IKE_SA_INIT build");
	emit(f, msg, len, false, !response);
}

static void auth_sk(FILE *f, bool natt)
{
	uint8_t msg[PKT_MAX];
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = SPI_R, .exchange = IKE_EXCH_AUTH, .flags = IKE_FLAG_I,
			     .msg_id = 1 };
	struct ike_builder b;
	struct wbuf w;
	size_t len, body_off;

	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	/* IV(8) | ciphertext(96) | ICV(16), as AES-GCM-16 would lay it out */
	ike_build_sk_reserve(&b, IKE_PL_IDI, 8 + 96 + 16, &body_off);
	if (ike_build_end(&b, &len) != 0)
		die("IKE_AUTH build");
	fill(msg + body_off, 8 + 96 + 16, 0x5a);
	emit(f, msg, len, natt, true);
}

static void auth_skf(FILE *f)
{
	uint8_t msg[PKT_MAX], body[8 + 40 + 16];
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = SPI_R, .exchange = IKE_EXCH_AUTH, .flags = IKE_FLAG_R,
			     .msg_id = 1 };
	struct ike_builder b;
	struct wbuf w;
	size_t len;

	fill(body, sizeof(body), 0x11);
	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_skf(&b, IKE_PL_IDR, 1, 2, body, sizeof(body));
	if (ike_build_end(&b, &len) != 0)
		die("SKF build");
	emit(f, msg, len, true, false);
}

/* Not a message any exchange sends in the clear: every other payload
 * builder's bytes, unencrypted, so the decoder checks their layout too. */
static void layouts(FILE *f)
{
	static const char fqdn[] = "mn1.example.com";
	/* Hash and URL: 20-octet SHA-1 then the URL (a DER certificate would
	 * need to be a real one for the decoder to accept it). */
	static const char cert[] = "0123456789abcdefghijhttp://ha.example/ha.der";
	static const uint8_t certreq[20] = { 0xab };
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const uint8_t old_spi[4] = { 0xc0, 0xff, 0xee, 0x01 };
	static const uint8_t del_spis[8] = { 0xc0, 0xff, 0xee, 0x02, 0xc0, 0xff, 0xee, 0x03 };
	static const uint8_t eap[] = { 2, 7, 0, 8, 1, 'm', 'n', '1' }; /* Response, Identity */
	uint8_t msg[PKT_MAX], sig[64], ip6val[IKE_CP_IP6_ADDRESS_LEN], hpval[IKE_CP_MIP6_HOME_PREFIX_LEN];
	struct ike_hdr h = { .spi_i = SPI_I, .spi_r = SPI_R, .exchange = IKE_EXCH_INFORMATIONAL,
			     .flags = IKE_FLAG_I, .msg_id = 2 };
	struct ike_sa sa;
	struct ike_ts_list ts;
	struct ike_cp cp;
	struct ike_builder b;
	struct wbuf w;
	size_t len;
	struct in6_addr hoa, prefix;

	addr_parse("2001:db8:1::100", &hoa);
	addr_parse("2001:db8:1::", &prefix);
	memset(&sa, 0, sizeof(sa));
	sa.n_prop = 1;
	sa.prop[0].num = 1;
	sa.prop[0].proto = IKE_PROTO_ESP;
	sa.prop[0].spi_size = 4;
	memcpy(sa.prop[0].spi, old_spi, 4);
	sa.prop[0].n_xf = 3;
	sa.prop[0].xf[0] = xf(XFORM_ENCR, XFORM_ENCR_AES_CBC, 128);
	sa.prop[0].xf[1] = xf(XFORM_INTEG, XFORM_INTEG_HMAC_SHA2_256_128, 0);
	sa.prop[0].xf[2] = xf(XFORM_ESN, XFORM_ESN_NO, 0);
	memset(&ts, 0, sizeof(ts));
	ts.n = 1;
	ts.ts[0].type = IKE_TS_IPV6_ADDR_RANGE;
	ts.ts[0].ip_proto = 135; /* MH, BU type 5 in the port's high octet */
	ts.ts[0].start_port = ts.ts[0].end_port = 0x0500;
	memcpy(ts.ts[0].start, &hoa, 16);
	memcpy(ts.ts[0].end, &hoa, 16);
	memset(&cp, 0, sizeof(cp));
	cp.cfg_type = IKE_CFG_REPLY;
	cp.n = 2;
	cp.attr[0].type = IKE_CP_INTERNAL_IP6_ADDRESS;
	cp.attr[0].value.ptr = ip6val;
	cp.attr[0].value.len = ike_cp_ip6_addr_value(ip6val, &hoa, 64);
	cp.attr[1].type = IKE_CP_MIP6_HOME_PREFIX;
	cp.attr[1].value.ptr = hpval;
	cp.attr[1].value.len = ike_cp_mip6_home_prefix_value(hpval, 86400, &prefix, 64);
	fill(sig, sizeof(sig), 0x77);

	wbuf_init(&w, msg, sizeof(msg));
	ike_build_begin(&b, &w, &h);
	ike_build_id(&b, IKE_PL_IDI, IKE_ID_FQDN, fqdn, strlen(fqdn));
	ike_build_cert(&b, IKE_PL_CERT, IKE_CERT_HASH_URL_X509, cert, strlen(cert));
	ike_build_cert(&b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, certreq, sizeof(certreq));
	ike_build_id(&b, IKE_PL_IDR, IKE_ID_IPV6_ADDR, &ha, 16);
	ike_build_auth_digsig(&b, alg, sizeof(alg), sig, sizeof(sig));
	ike_build_cp(&b, &cp);
	ike_build_notify(&b, IKE_PROTO_ESP, old_spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_build_notify(&b, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa);
	ike_build_ts(&b, IKE_PL_TSI, &ts);
	ike_build_ts(&b, IKE_PL_TSR, &ts);
	ike_build_delete(&b, IKE_PROTO_ESP, 4, del_spis, 2);
	ike_build_eap(&b, eap, sizeof(eap));
	if (ike_build_end(&b, &len) != 0)
		die("layouts build");
	emit(f, msg, len, false, true);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ikepcap FILE.pcap\n");
		return 2;
	}
	if (addr_parse("2001:db8:1::1", &ha) != 0 || addr_parse("2001:db8:2::100", &coa) != 0)
		die("addr_parse");
	FILE *f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	/* pcap 2.4 file header: magic, version, zone, sigfigs, snaplen, link type */
	put_le(f, PCAP_MAGIC, 4);
	put_le(f, 2, 2);
	put_le(f, 4, 2);
	put_le(f, 0, 4);
	put_le(f, 0, 4);
	put_le(f, 65535, 4);
	put_le(f, LINKTYPE_RAW, 4);

	sa_init(f, false);
	sa_init(f, true);
	auth_sk(f, false);
	auth_sk(f, true);
	auth_skf(f);
	layouts(f);
	return fclose(f) == 0 ? 0 : 1;
}
