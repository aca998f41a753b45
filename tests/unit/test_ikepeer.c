/*
 * ikepeer: the IKE adapter's PAD and connection lookups (src/ike/ikepeer.c).
 * A peer is found by the identity it authenticated with, keys only the tunnel
 * that names it, and gets traffic selectors narrowed to that tunnel's
 * prefixes (R3776-4.2.k, R7296-2.9.a); the engine parameters come from the
 * configuration.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "conf/conf.h"
#include "crypto/xform.h"
#include "ike/ikepeer.h"
#include "ikesa_pair.h"
#include "testutil.h"
#include "wire/ike.h"

static const char conf_text[] =
	"global = { control-socket = \"/tmp/x.sock\"; };\n"
	"ike = {\n"
	"  identity = \"gw.example.org\"; auth = \"psk\";\n"
	"  proposals = [ \"aes256gcm16-prfsha256-ecp256-curve25519\", \"aes256-sha256-modp2048\" ];\n"
	"  esp-proposals = [ \"aes256gcm16\", \"aes128-sha256\" ];\n"
	"  cookie-threshold = 7;\n"
	"  peers = (\n"
	"    { name = \"b\"; identity = \"b.example.org\"; auth = \"psk\"; address = \"2001:db8::2\";\n"
	"      psk = \"00112233445566778899aabbccddeeff\"; initiate = true; },\n"
	"    { name = \"lonely\"; identity = \"2001:db8::9\"; identity-type = \"ipv6\"; auth = \"psk\";\n"
	"      psk = \"00112233445566778899aabbccddeeff\"; }\n"
	"  );\n"
	"};\n"
	"tunnels = ( { name = \"t1\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\";\n"
	"  local-prefixes = [ \"fd00:a::/64\" ]; remote-prefixes = [ \"fd00:b::/64\", \"fd00:c::/64\" ];\n"
	"  ike-peer = \"b\"; } );\n";

static struct conf *load_text(const char *text)
{
	struct conf *c = NULL;
	struct conf_error err;
	int rc = conf_load_string(text, "t.conf", &c, &err);
	if (rc != 0) {
		char buf[512];
		conf_error_format(&err, buf, sizeof(buf));
		ck_abort_msg("config: %s", buf);
	}
	return c;
}

static struct conf *load(void)
{
	return load_text(conf_text);
}

static void prefix(const char *s, struct prefix6 *p)
{
	ck_assert_int_eq(prefix_parse(s, p, false), 0);
}

START_TEST(t_lookup)
{
	struct conf *c = load();
	struct ikesa_id id;
	ck_assert_int_eq(ikepeer_id(CONF_ID_FQDN, "b.example.org", &id), 0);
	const struct conf_ike_peer *p = ikepeer_by_id(c, &id);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "b");
	ck_assert_ptr_eq(ikepeer_by_name(c, "b"), p);
	ck_assert_str_eq(ikepeer_tunnel(c, "b")->name, "t1");
	/* Same bytes, other ID type: not the same identity. */
	ck_assert_int_eq(ikepeer_id(CONF_ID_RFC822, "b.example.org", &id), 0);
	ck_assert_ptr_null(ikepeer_by_id(c, &id));
	/* An IPv6 identity is compared as 16 octets. */
	ck_assert_int_eq(ikepeer_id(CONF_ID_IPV6, "2001:db8::9", &id), 0);
	ck_assert_uint_eq(id.len, 16);
	ck_assert_str_eq(ikepeer_by_id(c, &id)->name, "lonely");
	/* A peer no tunnel names keys nothing (R3776-4.2.k). */
	ck_assert_ptr_null(ikepeer_tunnel(c, "lonely"));
	ck_assert_int_eq(ikepeer_id(CONF_ID_DN, "CN=x", &id), M6E_INVAL);
	ck_assert_int_eq(ikepeer_id(CONF_ID_IPV6, "not-an-address", &id), M6E_INVAL);
	conf_free(c);
}
END_TEST

START_TEST(t_params)
{
	struct conf *c = load();
	struct ikesa_params p;
	char err[128];
	ck_assert_int_eq(ikepeer_params(c, &p, err, sizeof(err)), 0);
	/* One suite per DH group, in the configured order. */
	ck_assert_uint_eq(p.n_ike, 3);
	ck_assert_uint_eq(p.ike[0].encr, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(p.ike[0].key_bits, 256);
	ck_assert_uint_eq(p.ike[0].prf, XFORM_PRF_HMAC_SHA2_256);
	ck_assert_uint_eq(p.ike[0].dh, XFORM_DH_ECP_256);
	ck_assert_uint_eq(p.ike[1].dh, XFORM_DH_CURVE25519);
	ck_assert_uint_eq(p.ike[2].encr, XFORM_ENCR_AES_CBC);
	ck_assert_uint_eq(p.ike[2].integ, XFORM_INTEG_HMAC_SHA2_256_128);
	ck_assert_uint_eq(p.ike[2].dh, XFORM_DH_MODP_2048);
	/* ESP: no PRF, no PFS group with the IKE_AUTH CHILD_SA. */
	ck_assert_uint_eq(p.n_esp, 2);
	ck_assert_uint_eq(p.esp[0].encr, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(p.esp[1].key_bits, 128);
	ck_assert_uint_eq(p.esp[1].dh, 0);
	ck_assert_uint_eq(p.esp[1].prf, 0);
	ck_assert_uint_eq(p.cookie_threshold, 7);
	ck_assert_uint_eq(p.local_id.type, CONF_ID_FQDN);
	ck_assert_int_eq(memcmp(p.local_id.data, "gw.example.org", p.local_id.len), 0);

	const struct conf_ike_peer *b = ikepeer_by_name(c, "b");
	ck_assert_int_eq(ikepeer_initiator_params(c, b, ikepeer_tunnel(c, "b"), &p, err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(p.remote_id.data, "b.example.org", p.remote_id.len), 0);
	/* TSi: our prefixes; TSr: the peer's (both of them). */
	ck_assert_uint_eq(p.tsi.n, 1);
	ck_assert_uint_eq(p.tsr.n, 2);
	ck_assert_uint_eq(p.tsr.ts[1].start[3], 0x0c); /* fd00:c:: */
	ck_assert_uint_eq(p.tsr.ts[1].end[15], 0xff);
	conf_free(c);
}
END_TEST

START_TEST(t_narrow)
{
	struct prefix6 mine[2];
	prefix("fd00:b::/64", &mine[0]);
	prefix("fd00:c::/64", &mine[1]);
	struct ike_ts_list in = { .n = 1 }, out;
	struct prefix6 wide;
	/* A wider proposal is narrowed to each configured prefix (R7296-2.9.a). */
	prefix("fd00::/16", &wide);
	ikepeer_ts_from_prefix(&wide, &in.ts[0]);
	ck_assert_int_eq(ikepeer_narrow(&in, mine, 2, &out), 0);
	ck_assert_uint_eq(out.n, 2);
	struct ike_ts want;
	ikepeer_ts_from_prefix(&mine[1], &want);
	ck_assert_int_eq(memcmp(out.ts[1].start, want.start, 16), 0);
	ck_assert_int_eq(memcmp(out.ts[1].end, want.end, 16), 0);
	/* A narrower one stays as proposed, with its protocol and ports. */
	struct prefix6 host;
	prefix("fd00:b::5/128", &host);
	ikepeer_ts_from_prefix(&host, &in.ts[0]);
	in.ts[0].ip_proto = 6;
	in.ts[0].start_port = in.ts[0].end_port = 443;
	ck_assert_int_eq(ikepeer_narrow(&in, mine, 2, &out), 0);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(out.ts[0].ip_proto, 6);
	ck_assert_uint_eq(out.ts[0].start_port, 443);
	ck_assert_int_eq(memcmp(out.ts[0].start, out.ts[0].end, 16), 0);
	/* Outside every prefix: TS_UNACCEPTABLE. */
	struct prefix6 other;
	prefix("fd00:d::/64", &other);
	ikepeer_ts_from_prefix(&other, &in.ts[0]);
	ck_assert_int_eq(ikepeer_narrow(&in, mine, 2, &out), M6E_PERM);
	/* An IPv4 selector never matches an IPv6 prefix. */
	in.ts[0].type = IKE_TS_IPV4_ADDR_RANGE;
	ck_assert_int_eq(ikepeer_narrow(&in, mine, 2, &out), M6E_PERM);
}
END_TEST

static const char conf_rekey[] =
	"global = { control-socket = \"/tmp/x.sock\"; };\n"
	"ike = {\n"
	"  identity = \"C=DE, O=Example, CN=gw\"; identity-type = \"asn1-dn\"; auth = \"pubkey\";\n"
	"  certificate = \"/dev/null\"; private-key = \"%s\";\n"
	"  esp-proposals = [ \"aes256gcm16-ecp256\" ];\n"
	"  child-lifetime = 60; ike-lifetime = 300; rekey-margin = 20;\n"
	"  fragmentation = false;\n"
	"  peers = ( { name = \"dn\"; identity = \"C=DE,O=Example,CN=ha\"; identity-type = \"asn1-dn\";\n"
	"              auth = \"pubkey\"; } );\n"
	"};\n";

/* Lifetimes (R7296-2.8), PFS from a DH group in the ESP proposals, our DN
 * from the certificate, fragment size off; the defaults map ike.fragment-size
 * (an IP datagram) to the IKE message size. */
START_TEST(t_rekey_params)
{
	struct conf *c = NULL;
	struct conf_error cerr;
	/* The schema opens the key file (0600, regular); its content is the
	 * adapter's business, not ikepeer's. */
	char key[] = "/tmp/test_ikepeer.XXXXXX";
	int fd = mkstemp(key);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char text[sizeof(conf_rekey) + 64];
	snprintf(text, sizeof(text), conf_rekey, key);
	int rc = conf_load_string(text, "r.conf", &c, &cerr);
	unlink(key);
	if (rc != 0) {
		char buf[512];
		conf_error_format(&cerr, buf, sizeof(buf));
		ck_abort_msg("config: %s", buf);
	}
	struct ikesa_params p;
	char err[256];
	ck_assert_int_eq(ikepeer_params(c, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.child_lifetime_ms, 60000);
	ck_assert_uint_eq(p.ike_lifetime_ms, 300000);
	ck_assert_uint_eq(p.rekey_margin_ms, 20000);
	ck_assert(p.pfs);
	ck_assert_uint_eq(p.esp[0].dh, 0); /* never a KE in IKE_AUTH */
	ck_assert_uint_eq(p.local_id.type, 0); /* the certificate's subject */
	ck_assert_uint_gt(p.fragment_size, IKESA_MSG_BIG);
	/* A DN peer: no IDr sent, matched on its certified DER name. */
	const struct conf_ike_peer *peer = ikepeer_by_name(c, "dn");
	struct conf_tunnel t = { .n_local_prefixes = 0 };
	ck_assert_int_eq(ikepeer_initiator_params(c, peer, &t, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.remote_id.type, 0);
	conf_free(c);

	c = load();
	ck_assert_int_eq(ikepeer_params(c, &p, err, sizeof(err)), 0);
	ck_assert(!p.pfs);
	ck_assert_uint_eq(p.fragment_size, 1280 - 40 - 8 - 4);
	ck_assert_uint_eq(p.child_lifetime_ms, 28800000);
	conf_free(c);
}
END_TEST

/* An ID_DER_ASN1_DN rendered and compared with the configured text. */
START_TEST(t_dn)
{
	static const uint8_t ha[] = {
		0x30, 0x2c, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'D',  'E',
		0x31, 0x10, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x07, 'E',  'x',  'a',  'm',
		'p',  'l',  'e',  0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 'h',  'a',
	};
	char text[128];
	ck_assert_int_eq(ikepeer_dn_text(ha, sizeof(ha), text, sizeof(text)), 0);
	ck_assert_str_eq(text, "C=DE, O=Example, CN=ha");
	struct ikesa_id id = { .type = IKE_ID_DER_ASN1_DN, .len = sizeof(ha) };
	memcpy(id.data, ha, sizeof(ha));
	ck_assert(ikepeer_id_matches(CONF_ID_DN, "C=DE,O=Example,CN=ha", &id));
	ck_assert(ikepeer_id_matches(CONF_ID_DN, "C = DE , O=Example, CN=ha", &id));
	ck_assert(!ikepeer_id_matches(CONF_ID_DN, "C=DE, O=Example, CN=h", &id));
	ck_assert(!ikepeer_id_matches(CONF_ID_DN, "C=DE, O=Exam ple, CN=ha", &id));
	ck_assert(!ikepeer_id_matches(CONF_ID_FQDN, "ha", &id));
	/* The same name as an FQDN ID is not a DN. */
	id.type = IKE_ID_FQDN;
	ck_assert(!ikepeer_id_matches(CONF_ID_DN, "C=DE, O=Example, CN=ha", &id));
	/* Truncated or lying lengths are refused, never read past the end. */
	for (size_t n = 0; n < sizeof(ha); n++)
		ck_assert_int_ne(ikepeer_dn_text(ha, n, text, sizeof(text)), 0);
	uint8_t bad[sizeof(ha)];
	memcpy(bad, ha, sizeof(ha));
	bad[3] = 0x7f;
	ck_assert_int_ne(ikepeer_dn_text(bad, sizeof(bad), text, sizeof(text)), 0);
	ck_assert_int_eq(ikepeer_dn_text(ha, sizeof(ha), text, 10), M6E_NOSPACE);
}
END_TEST

/* The next datagram on the pair's network carries IKEV2_FRAGMENTATION_SUPPORTED. */
static bool next_announces_frag(struct pair_ctx *pc, int to)
{
	static struct pair_dgram d;
	struct ike_msg m;
	struct ike_notify n;
	ck_assert_int_eq(pair_pop(pc, &d), 0);
	ck_assert_int_eq(d.to, to);
	ck_assert_int_eq(ike_parse_msg(d.b, d.len, &m, NULL), 0);
	ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_SA_INIT);
	bool found = ike_chain_find_notify(&m.chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, &n) == 0;
	pair_deliver(pc, d.to, d.b, d.len);
	return found;
}

/* One IKE SA between two engines, `off` (MN, HA) taking the parameters of
 * ike.fragmentation = false from ikepeer: what each IKE_SA_INIT announces,
 * and whether either side ends up with fragmentation negotiated. */
static void frag_exchange(const struct ikesa_params *off, bool mn_off, bool ha_off, bool *req, bool *resp)
{
	struct pair_ctx pc;
	ck_assert_int_eq(pair_init(&pc, 7), 0);
	if (mn_off) {
		pc.params[PAIR_MN].frag_off = off->frag_off;
		pc.params[PAIR_MN].fragment_size = off->fragment_size;
	}
	if (ha_off) {
		pc.params[PAIR_HA].frag_off = off->frag_off;
		pc.params[PAIR_HA].fragment_size = off->fragment_size;
	}
	ck_assert_int_eq(pair_start(&pc), 0);
	*req = next_announces_frag(&pc, PAIR_HA);
	*resp = next_announces_frag(&pc, PAIR_MN);
	pair_pump(&pc);
	ck_assert_int_eq(ikesa_state(pc.side[PAIR_MN].sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(pc.side[PAIR_HA].sa), IKESA_ESTABLISHED);
	bool negotiated = !mn_off && !ha_off;
	ck_assert(ikesa_peer_fragmentation(pc.side[PAIR_MN].sa) == negotiated);
	ck_assert(ikesa_peer_fragmentation(pc.side[PAIR_HA].sa) == negotiated);
	pair_fini(&pc);
}

/* ike.fragmentation = false (R7383-2.3.a): IKEV2_FRAGMENTATION_SUPPORTED is
 * not announced, as initiator nor as responder, so fragmentation is never
 * negotiated and our messages are never split; true (the default)
 * announces it both ways. */
START_TEST(t_fragmentation_off)
{
	static const char key[] = "  cookie-threshold = 7;\n";
	char text[sizeof(conf_text) + 64];
	const char *at = strstr(conf_text, key);
	ck_assert_ptr_nonnull(at);
	snprintf(text, sizeof(text), "%.*s  fragmentation = false;\n%s", (int)(at - conf_text), conf_text, at);
	struct conf *c = load_text(text);
	struct ikesa_params off, on;
	char err[256];
	ck_assert_int_eq(ikepeer_params(c, &off, err, sizeof(err)), 0);
	ck_assert(off.frag_off);
	ck_assert_uint_gt(off.fragment_size, IKESA_MSG_BIG);
	conf_free(c);
	c = load();
	ck_assert_int_eq(ikepeer_params(c, &on, err, sizeof(err)), 0);
	ck_assert(!on.frag_off);
	conf_free(c);

	bool req, resp;
	frag_exchange(&off, false, false, &req, &resp); /* both announce */
	ck_assert(req && resp);
	frag_exchange(&off, true, false, &req, &resp);  /* we initiate with it off */
	ck_assert(!req);
	frag_exchange(&off, false, true, &req, &resp);  /* we answer with it off */
	ck_assert(req && !resp);
	frag_exchange(&off, true, true, &req, &resp);
	ck_assert(!req && !resp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikepeer");
	TCase *tc = tcase_create("ikepeer");
	tcase_add_test(tc, t_lookup);
	tcase_add_test(tc, t_params);
	tcase_add_test(tc, t_narrow);
	tcase_add_test(tc, t_rekey_params);
	tcase_add_test(tc, t_dn);
	tcase_add_test(tc, t_fragmentation_off);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
