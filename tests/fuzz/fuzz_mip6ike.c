/*
 * libFuzzer target for the home agent's RFC 4877 policy (src/ike/mip6ike.c):
 * the TSi/TSr of a CHILD_SA request and a CFG_REQUEST come from the peer.
 *
 * Input: octet 0 = flags (bit 0: USE_TRANSPORT_MODE asked; bits 1-2: the
 * peer: mn1, mn2 (FQDN), ID_IPV6_ADDR 2001:db8:1::300, an unknown name),
 * octets 1-2 = length L of the TSi payload body, then L octets of TSi body,
 * the rest the TSr body. When either does not parse, octets 1.. are tried
 * as the body of a CP payload instead.
 * Whatever the policy accepts must be: a subset of the proposal (R7296-2.9.a),
 * on a home address the PAD gives that peer (R3776-4.2.k), in the slot
 * mip6ike_classify() finds for it, in the slot's mode, never transport
 * unasked (R7296-1.3.1.a). A CFG_REPLY may only carry the peer's own home
 * address. Seeds: tests/fuzz/mkcorpus_mip6ike.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "conf/conf.h"
#include "ike/mip6ike.h"
#include "wire/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] =
	"interfaces = ( { name = \"eth0\"; kind = \"home-link\"; } );"
	"home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = [ \"2001:db8:1::/64\" ];"
	" mobile-nodes = ("
	" { identity = \"mn1.example.org\"; home-address = \"2001:db8:1::100\"; },"
	" { identity = \"mn1.example.org\"; home-address = \"2001:db8:1::101\"; },"
	" { identity = \"mn2.example.org\"; home-address = \"2001:db8:1::200\"; },"
	" { identity = \"2001:db8:1::300\"; identity-type = \"ipv6\"; home-address = \"2001:db8:1::300\"; } ); };"
	"ike = { identity = \"ha.example.org\"; auth = \"psk\"; assign-home-prefix = true; peers = ("
	" { name = \"mn1\"; identity = \"mn1.example.org\"; auth = \"psk\";"
	" psk = \"91c89901c130972b486a2c9e484fd9304e4dba44744766dfccefee26579b8d14\"; } ); };";

static const struct conf *the_conf(void)
{
	static struct conf *c;
	struct conf_error e;
	if (c == NULL && conf_load_string(fuzz_conf, "fuzz.conf", &c, &e) != 0)
		abort();
	return c;
}

static void the_peer(unsigned which, struct ikesa_id *id)
{
	static const char *const names[] = { "mn1.example.org", "mn2.example.org", NULL, "mn9.example.org" };
	memset(id, 0, sizeof(*id));
	if (names[which] == NULL) {
		static const uint8_t a300[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00 };
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		memcpy(id->data, a300, 16);
		return;
	}
	id->type = IKE_ID_FQDN;
	id->len = (uint8_t)strlen(names[which]);
	memcpy(id->data, names[which], id->len);
}

static bool parse_body(uint8_t type, const uint8_t *b, size_t len, struct ike_ts_list *tl)
{
	struct ike_payload p = { .type = type, .body = { b, len } };
	return ike_parse_ts(&p, tl, NULL) == 0;
}

/* Each selector of narrow lies in a selector of wide. */
static bool within(const struct ike_ts_list *narrow, const struct ike_ts_list *wide)
{
	for (unsigned i = 0; i < narrow->n; i++) {
		const struct ike_ts *n = &narrow->ts[i];
		bool ok = false;
		for (unsigned j = 0; j < wide->n && !ok; j++) {
			const struct ike_ts *w = &wide->ts[j];
			ok = n->type == w->type && (w->ip_proto == 0 || w->ip_proto == n->ip_proto) &&
			     n->start_port >= w->start_port && n->end_port <= w->end_port &&
			     memcmp(n->start, w->start, 16) >= 0 && memcmp(n->end, w->end, 16) <= 0;
		}
		if (!ok)
			return false;
	}
	return narrow->n > 0;
}

static void check_policy(const struct conf *c, const struct ikesa_id *peer, bool asked,
			 const struct ike_ts_list *tsi, const struct ike_ts_list *tsr)
{
	struct ike_ts_list oi, orr;
	enum mip6ike_slot slot = MIP6IKE_SLOT_COUNT, again;
	bool transport = asked;
	int rc = mip6ike_ha_ts_policy(c, peer, tsi, tsr, &transport, &oi, &orr, &slot);
	if (rc == M6E_PERM)
		return;
	if (rc != 0 || !within(&oi, tsi) || !within(&orr, tsr) || (transport && !asked))
		abort();
	struct ikesa_child ch;
	memset(&ch, 0, sizeof(ch));
	ch.transport = transport;
	ch.tsi = oi;
	ch.tsr = orr;
	struct in6_addr hoa;
	if (mip6ike_classify(&ch, true, &again) != 0 || again != slot || mip6ike_child_hoa(&ch, true, &hoa) != 0 ||
	    !mip6ike_pad_allows(c, peer, &hoa))
		abort();
	if (transport != (slot == MIP6IKE_SLOT_BU_BA || slot == MIP6IKE_SLOT_MPS_MPA))
		abort();
}

static void check_cp(const struct conf *c, const struct ikesa_id *peer, const uint8_t *b, size_t len)
{
	struct ike_payload p = { .type = IKE_PL_CP, .body = { b, len } };
	struct ike_cp req;
	static struct mip6ike_cp_reply rep;
	if (ike_parse_cp(&p, &req, NULL) != 0)
		return;
	int rc = mip6ike_ha_cp_answer(c, peer, &req, &rep);
	if (rc == M6E_PERM || rc == M6E_PROTO)
		return;
	if (rc != 0 || rep.cp.cfg_type != IKE_CFG_REPLY || rep.cp.n > 2)
		abort();
	for (unsigned i = 0; i < rep.cp.n; i++) {
		struct in6_addr a;
		uint8_t plen;
		if (rep.cp.attr[i].type == IKE_CP_INTERNAL_IP6_ADDRESS &&
		    (ike_cp_attr_ip6_addr(&rep.cp.attr[i], &a, &plen) != 0 || !mip6ike_pad_allows(c, peer, &a)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct conf *c = the_conf();
	if (size < 3)
		return 0;
	struct ikesa_id peer;
	the_peer((data[0] >> 1) & 3u, &peer);
	size_t l = (size_t)data[1] << 8 | data[2];
	static struct ike_ts_list tsi, tsr;
	if (l <= size - 3 && parse_body(IKE_PL_TSI, data + 3, l, &tsi) &&
	    parse_body(IKE_PL_TSR, data + 3 + l, size - 3 - l, &tsr))
		check_policy(c, &peer, data[0] & 1u, &tsi, &tsr);
	else
		check_cp(c, &peer, data + 1, size - 1);
	return 0;
}
