/*
 * mip6ike_tspcap: the traffic selectors of a mobile node's RFC 4877 plan
 * (src/ike/mip6ike.c) on the wire, for tshark (tests/tshark/mip6ike-tshark.sh).
 *
 *   mip6ike_tspcap MN.conf FILE.pcap
 *
 * One IPv6/UDP/500 frame per plan entry, in plan order. Each is an IKE
 * message of the request's exchange (IKE_AUTH or CREATE_CHILD_SA) holding
 * [N(USE_TRANSPORT_MODE)] TSi TSr exactly as ike_build_*() write them, but
 * in the clear (no SK payload) so a decoder reads the selectors without
 * keys: a carrier for the payloads, not a valid exchange. Prints one line
 * per frame: "N SLOT".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/wbuf.h"
#include "conf/conf.h"
#include "ike/mip6ike.h"
#include "pcap_udp6.h"
#include "wire/ike.h"

#define PKT_MAX 2048

static void die(const char *what)
{
	fprintf(stderr, "mip6ike_tspcap: %s failed\n", what);
	exit(1);
}

static void frame(FILE *f, unsigned n, const struct in6_addr *src, const struct in6_addr *dst,
		  const struct mip6ike_request *r)
{
	uint8_t ike[PKT_MAX];
	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h;
	size_t ike_len = 0;
	memset(&h, 0, sizeof(h));
	h.spi_i = 0x6d697036696b6500ull + n;
	h.spi_r = 0x1000 + n;
	h.msg_id = n;
	h.exchange = r->exchange == MIP6IKE_EXCH_IKE_AUTH ? IKE_EXCH_AUTH : IKE_EXCH_CREATE_CHILD_SA;
	h.flags = IKE_FLAG_I;
	wbuf_init(&w, ike, sizeof(ike));
	ike_build_begin(&b, &w, &h);
	if (r->transport)
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_ts(&b, IKE_PL_TSI, &r->tsi);
	ike_build_ts(&b, IKE_PL_TSR, &r->tsr);
	if (ike_build_end(&b, &ike_len) != 0)
		die("ike_build");
	if (pcap_udp6_frame(f, 1700000000u + n, src, dst, 500, 500, ike, ike_len) != 0)
		die("pcap_udp6_frame");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mip6ike_tspcap MN.conf FILE.pcap\n");
		return 2;
	}
	struct conf *c = NULL;
	struct conf_error e;
	if (conf_load_file(argv[1], &c, &e) != 0 || conf_mobile_node(c) == NULL)
		die("conf_load_file");
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	static struct mip6ike_plan p;
	if (mip6ike_mn_plan(c, &mn->home_address, &mn->ha_address, &p) != 0)
		die("mip6ike_mn_plan");
	FILE *f = fopen(argv[2], "wb");
	if (f == NULL)
		die("fopen");
	pcap_udp6_begin(f);
	/* From the HoA's side of the IKE SA: any source will do for tshark. */
	for (size_t i = 0; i < p.n; i++) {
		frame(f, (unsigned)i + 1, &mn->home_address, &mn->ha_address, &p.req[i]);
		printf("%zu %s\n", i + 1, mip6ike_slot_name(p.req[i].slot));
	}
	if (fclose(f) != 0)
		die("fclose");
	conf_free(c);
	return 0;
}
