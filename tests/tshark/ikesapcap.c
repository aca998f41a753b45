/*
 * ikesapcap: two IKE SA engines (src/ike/ikesa.c) run real handshakes
 * (IKE_SA_INIT, IKE_AUTH with PSK and a CHILD_SA, one liveness
 * INFORMATIONAL) through tests/unit/ikesa_pair.h; every datagram is written
 * to a pcap of IPv6/UDP frames for an independent decoder
 * (tests/tshark/ikesa-tshark.sh).
 *
 *   ikesapcap FILE.pcap   prints one tshark ikev2_decryption_table record
 *                         per handshake (AES-GCM-256, then AES-CBC-256 with
 *                         HMAC-SHA2-256-128): the keys come from the engine's
 *                         debug dump (ikesa_debug_sk_dump), test keys only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/wbuf.h"
#include "wire/ip6.h"
#include "wire/udp.h"

#include "../unit/ikesa_pair.h"

#define PKT_MAX 4096

static unsigned n_frames;

static void put_le(FILE *f, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}

static void die(const char *what)
{
	fprintf(stderr, "ikesapcap: %s failed\n", what);
	exit(1);
}

static void frame(FILE *f, const struct pair_ctx *c, const struct pair_dgram *d)
{
	const struct ikesa_path *from = &c->side[!d->to].path;
	uint8_t udp[PKT_MAX], pkt[PKT_MAX];
	struct wbuf w;
	wbuf_init(&w, udp, sizeof(udp));
	if (udp_build(&w, &from->local, &from->remote, from->local_port, from->remote_port, d->b, d->len) != 0 ||
	    wbuf_status(&w) != 0)
		die("udp_build");
	size_t ulen = wbuf_len(&w);
	struct ip6_pkt_spec spec = { .src = from->local, .dst = from->remote, .proto = IPPROTO_UDP, .hlim = 64 };
	wbuf_init(&w, pkt, sizeof(pkt));
	if (ip6_build_packet(&w, &spec, udp, ulen) != 0 || wbuf_status(&w) != 0)
		die("ip6_build_packet");
	n_frames++;
	put_le(f, 1700000000u + n_frames, 4); /* ts_sec, ts_usec, incl_len, orig_len */
	put_le(f, 0, 4);
	put_le(f, (uint32_t)wbuf_len(&w), 4);
	put_le(f, (uint32_t)wbuf_len(&w), 4);
	fwrite(pkt, 1, wbuf_len(&w), f);
}

static void pump_to_pcap(FILE *f, struct pair_ctx *c)
{
	static struct pair_dgram d;
	while (pair_pop(c, &d) == 0) {
		frame(f, c, &d);
		pair_deliver(c, d.to, d.b, d.len);
	}
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void run(FILE *f, bool cbc, uint64_t seed)
{
	static struct pair_ctx c;
	if (pair_init(&c, seed) != 0)
		die("pair_init");
	for (int w = 0; w < 2; w++) {
		if (cbc) {
			c.params[w].ike[0].encr = c.params[w].esp[0].encr = XFORM_ENCR_AES_CBC;
			c.params[w].ike[0].integ = c.params[w].esp[0].integ = XFORM_INTEG_HMAC_SHA2_256_128;
		}
	}
	if (pair_start(&c) != 0)
		die("pair_start");
	pump_to_pcap(f, &c);
	if (ikesa_state(c.side[PAIR_MN].sa) != IKESA_ESTABLISHED || c.side[PAIR_HA].n_child_up != 1)
		die("handshake");
	if (ikesa_dpd(c.side[PAIR_MN].sa, c.now) != 0)
		die("ikesa_dpd");
	pump_to_pcap(f, &c);
	struct ikesa_sk_dump k;
	if (ikesa_debug_sk_dump(c.side[PAIR_MN].sa, &k) != 0)
		die("ikesa_debug_sk_dump");
	/* tshark's ikev2_decryption_table record: SPIs, SK_ei, SK_er, cipher,
	 * SK_ai, SK_ar, integrity (its own names for the algorithms). */
	printf("%016llx,%016llx,", (unsigned long long)k.spi_i, (unsigned long long)k.spi_r);
	hex(k.sk_ei, k.encr_len);
	printf(",");
	hex(k.sk_er, k.encr_len);
	printf(",\"%s\",", cbc ? "AES-CBC-256 [RFC3602]" : "AES-GCM-256 with 16 octet ICV [RFC5282]");
	hex(k.sk_ai, k.integ_len);
	printf(",");
	hex(k.sk_ar, k.integ_len);
	printf(",\"%s\"\n", cbc ? "HMAC_SHA2_256_128 [RFC4868]" : "NONE [RFC4306]");
	pair_fini(&c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ikesapcap FILE.pcap\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	/* pcap 2.4 file header: magic, version, zone, sigfigs, snaplen, raw IP */
	put_le(f, 0xa1b2c3d4u, 4);
	put_le(f, 2, 2);
	put_le(f, 4, 2);
	put_le(f, 0, 4);
	put_le(f, 0, 4);
	put_le(f, 65535, 4);
	put_le(f, 101, 4);
	run(f, false, 11);
	run(f, true, 12);
	return fclose(f) == 0 ? 0 : 1;
}
