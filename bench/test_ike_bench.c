/* Unit tests of bench/ike_bench.c: what the IKE bench tools parse, the SPI
 * map they find SAs with, the CHILD_SA installs and the percentiles. */
#include <arpa/inet.h>
#include <string.h>

#include "base/err.h"
#include "crypto/aead.h"
#include "crypto/xform.h"
#include "ike_bench.h"
#include "../tests/unit/testutil.h"

START_TEST(suites)
{
	struct ikesa_prop p;
	ck_assert_int_eq(ikeb_parse_suite("aes256gcm16-prfsha256-x25519", true, &p), 0);
	ck_assert_uint_eq(p.encr, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(p.key_bits, 256);
	ck_assert_uint_eq(p.integ, 0);
	ck_assert_uint_eq(p.prf, XFORM_PRF_HMAC_SHA2_256);
	ck_assert_uint_eq(p.dh, XFORM_DH_CURVE25519);
	/* swanctl: the PRF follows the integrity hash when not named. */
	ck_assert_int_eq(ikeb_parse_suite("aes128-sha256-ecp256", true, &p), 0);
	ck_assert_uint_eq(p.encr, XFORM_ENCR_AES_CBC);
	ck_assert_uint_eq(p.key_bits, 128);
	ck_assert_uint_eq(p.integ, XFORM_INTEG_HMAC_SHA2_256_128);
	ck_assert_uint_eq(p.prf, XFORM_PRF_HMAC_SHA2_256);
	ck_assert_uint_eq(p.dh, XFORM_DH_ECP_256);
	/* ESP: no PRF, no DH (no PFS in IKE_AUTH), even if named. */
	ck_assert_int_eq(ikeb_parse_suite("aes256gcm16-x25519", false, &p), 0);
	ck_assert_uint_eq(p.dh, 0);
	ck_assert_uint_eq(p.prf, 0);
	ck_assert_int_eq(ikeb_parse_suite("aes256gcm16-prfsha256", true, &p), M6E_INVAL); /* no DH */
	ck_assert_int_eq(ikeb_parse_suite("aes256gcm16-prfsha256-x448", true, &p), M6E_INVAL);
	ck_assert_int_eq(ikeb_parse_suite("aes256gcm1", false, &p), M6E_INVAL);
	ck_assert_int_eq(ikeb_parse_suite("", false, &p), M6E_INVAL);
}
END_TEST

START_TEST(selectors)
{
	struct ike_ts ts;
	uint8_t want[16];
	ck_assert_int_eq(ikeb_parse_ts("fd6f:10::/64", &ts), 0);
	ck_assert_uint_eq(ts.type, IKE_TS_IPV6_ADDR_RANGE);
	ck_assert_uint_eq(ts.start_port, 0);
	ck_assert_uint_eq(ts.end_port, 65535);
	inet_pton(AF_INET6, "fd6f:10::", want);
	tu_assert_mem_eq(ts.start, 16, want, 16);
	inet_pton(AF_INET6, "fd6f:10::ffff:ffff:ffff:ffff", want);
	tu_assert_mem_eq(ts.end, 16, want, 16);
	/* A prefix that ends inside an octet, host bits set in the input. */
	ck_assert_int_eq(ikeb_parse_ts("fd6f:1f::1/28", &ts), 0);
	inet_pton(AF_INET6, "fd6f:10::", want);
	tu_assert_mem_eq(ts.start, 16, want, 16);
	inet_pton(AF_INET6, "fd6f:1f:ffff:ffff:ffff:ffff:ffff:ffff", want);
	tu_assert_mem_eq(ts.end, 16, want, 16);
	ck_assert_int_eq(ikeb_parse_ts("fd6f::7", &ts), 0); /* a host */
	tu_assert_mem_eq(ts.start, 16, ts.end, 16);
	ck_assert_int_eq(ikeb_parse_ts("fd6f::/129", &ts), M6E_INVAL);
	ck_assert_int_eq(ikeb_parse_ts("10.0.0.0/8", &ts), M6E_INVAL);
}
END_TEST

START_TEST(psk_and_ids)
{
	uint8_t psk[4];
	size_t len = 0;
	ck_assert_int_eq(ikeb_parse_psk("0x0aff", psk, sizeof(psk), &len), 0);
	ck_assert_uint_eq(len, 2);
	ck_assert_uint_eq(psk[0], 0x0a);
	ck_assert_uint_eq(psk[1], 0xff);
	ck_assert_int_eq(ikeb_parse_psk("0x0af", psk, sizeof(psk), &len), M6E_INVAL);
	ck_assert_int_eq(ikeb_parse_psk("0x0g", psk, sizeof(psk), &len), M6E_INVAL);
	ck_assert_int_eq(ikeb_parse_psk("0x0102030405", psk, sizeof(psk), &len), M6E_INVAL); /* too long */
	ck_assert_int_eq(ikeb_parse_psk("abcd", psk, sizeof(psk), &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(ikeb_parse_psk("abcde", psk, sizeof(psk), &len), M6E_INVAL);

	struct ikesa_id a, b;
	ck_assert_int_eq(ikeb_parse_id("mn.bench.test", &a), 0);
	ck_assert_uint_eq(a.type, IKE_ID_FQDN);
	ck_assert_int_eq(ikeb_parse_id("mn@bench.test", &b), 0);
	ck_assert_uint_eq(b.type, IKE_ID_RFC822_ADDR);
	ck_assert(!ikeb_id_equal(&a, &b));
	ck_assert_int_eq(ikeb_parse_id("mn.bench.test", &b), 0);
	ck_assert(ikeb_id_equal(&a, &b));
	ck_assert_int_eq(ikeb_parse_id("", &a), M6E_INVAL);
}
END_TEST

START_TEST(shared_options)
{
	struct ikeb_opts o;
	ikeb_opts_init(&o, "fd6f:20::/64", "fd6f:10::/64");
	ck_assert_int_eq(ikeb_opts_finish(&o), M6E_INVAL); /* no address, PSK, identity */
	ikeb_opts_init(&o, "fd6f:20::/64", "fd6f:10::/64");
	ck_assert_uint_eq(o.port, 500);
	ck_assert_uint_eq(o.natt_port, 4500);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_LOCAL, "fd6b:e2::1"), 1);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_PSK, "secret"), 1);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_LID, "ha.bench.test"), 1);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_IKE, "aes128-sha256-ecp256"), 1);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_IKE, "aes256gcm16-prfsha256-nope"), M6E_INVAL);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_LOCAL, "not-an-address"), M6E_INVAL);
	ck_assert_int_eq(ikeb_opts_apply(&o, IKEB_O_OWN, "x"), 0); /* the tool's own */
	o.have_local = true;
	ck_assert_int_eq(ikeb_opts_finish(&o), 0);
	/* The suite given stays, and only it; ESP got the default. */
	ck_assert_uint_eq(o.params.n_ike, 1);
	ck_assert_uint_eq(o.params.ike[0].dh, XFORM_DH_ECP_256);
	ck_assert_uint_eq(o.params.n_esp, 1);
	ck_assert_uint_eq(o.params.esp[0].encr, XFORM_ENCR_AES_GCM_16);
	ck_assert_uint_eq(o.params.cookie_threshold, UINT32_MAX);
}
END_TEST

START_TEST(spi_map)
{
	struct ikeb_map m;
	static int vals[4096];
	ck_assert_int_eq(ikeb_map_init(&m, 4), 0);
	ck_assert_int_eq(ikeb_map_put(&m, 0, &vals[0]), M6E_INVAL);
	ck_assert_int_eq(ikeb_map_put(&m, UINT64_MAX, &vals[0]), M6E_INVAL);
	/* Grows past its first size; every key stays reachable. */
	for (uint64_t k = 1; k <= 4096; k++)
		ck_assert_int_eq(ikeb_map_put(&m, k * 0x9e3779b97f4a7c15ull, &vals[k - 1]), 0);
	ck_assert_int_eq(ikeb_map_put(&m, 0x9e3779b97f4a7c15ull, &vals[1]), M6E_EXISTS);
	for (uint64_t k = 1; k <= 4096; k += 2)
		ikeb_map_del(&m, k * 0x9e3779b97f4a7c15ull);
	ikeb_map_del(&m, 12345); /* absent: nothing happens */
	ck_assert_uint_eq(m.live, 2048);
	for (uint64_t k = 1; k <= 4096; k++) {
		void *v = ikeb_map_get(&m, k * 0x9e3779b97f4a7c15ull);
		if (k % 2 == 1)
			ck_assert_ptr_null(v);
		else
			ck_assert_ptr_eq(v, &vals[k - 1]);
	}
	/* Churn: tombstones are reused or rehashed away, the table does not grow. */
	size_t cap = m.cap;
	for (unsigned round = 0; round < 20; round++)
		for (uint64_t k = 1; k <= 4096; k += 2) {
			uint64_t key = (k + 8192 * (round + 1)) * 0x9e3779b97f4a7c15ull;
			ck_assert_int_eq(ikeb_map_put(&m, key, &vals[k - 1]), 0);
			ck_assert_ptr_eq(ikeb_map_get(&m, key), &vals[k - 1]);
			ikeb_map_del(&m, key);
		}
	ck_assert_uint_eq(m.live, 2048);
	ck_assert_uint_le(m.cap, cap * 2);
	ck_assert_ptr_eq(ikeb_map_get(&m, 2 * 0x9e3779b97f4a7c15ull), &vals[1]);
	ikeb_map_fini(&m);

	struct in6_addr a = { .s6_addr = { 0xfd, [15] = 1 } }, b = { .s6_addr = { 0xfd, [15] = 2 } };
	ck_assert_uint_ne(ikeb_peer_key(7, &a, 500), ikeb_peer_key(7, &b, 500));
	ck_assert_uint_ne(ikeb_peer_key(7, &a, 500), ikeb_peer_key(7, &a, 4500));
	ck_assert_uint_ne(ikeb_peer_key(7, &a, 500), ikeb_peer_key(8, &a, 500));
	ck_assert_uint_ne(ikeb_peer_key(0, &a, 0), 0);
}
END_TEST

START_TEST(header_fields)
{
	uint8_t h[IKE_HDR_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9, 0x29, 0x20, IKE_EXCH_AUTH };
	ck_assert_uint_eq(ikeb_hdr_spi_i(h), 0x0102030405060708ull);
	ck_assert_uint_eq(ikeb_hdr_spi_r(h), 9);
	ck_assert_uint_eq(ikeb_hdr_exch(h), IKE_EXCH_AUTH);
}
END_TEST

START_TEST(child_pairs)
{
	struct sad *sad;
	ck_assert_int_eq(sad_new(&sad, 42), 0);
	struct ikesa_child c = {
		.spi_in = 0x1000,
		.spi_out = 0x2000,
		.encr = XFORM_ENCR_AES_GCM_16,
		.key_bits = 256,
		.alg = AEAD_AES256_GCM16,
		.keymat_len = aead_keymat_len(AEAD_AES256_GCM16),
		.udp_encap = true,
	};
	ck_assert_int_eq(ikeb_child_install(sad, &c, 0, 1000), 0);
	ck_assert_int_eq(ikeb_child_install(sad, &c, 0x40000000u, 1000), 0);
	ck_assert_uint_eq(sad_count(sad), 4);
	struct sa *in = sad_lookup(sad, SA_DIR_IN, 0x1000), *out = sad_lookup(sad, SA_DIR_OUT, 0x2000);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(in->mode, SA_MODE_TUNNEL);
	ck_assert(in->udp_encap);
	ck_assert_uint_eq(out->encap_dport, 4500);
	ck_assert_ptr_nonnull(sad_lookup(sad, SA_DIR_IN, 0x40001000u));
	/* The same pair again: refused, and the half that went in is gone. */
	c.spi_out = 0x3000;
	ck_assert_int_eq(ikeb_child_install(sad, &c, 0, 1000), M6E_EXISTS);
	c.spi_in = 0x1001;
	c.spi_out = 0x2000;
	ck_assert_int_eq(ikeb_child_install(sad, &c, 0, 1000), M6E_EXISTS);
	ck_assert_ptr_null(sad_lookup(sad, SA_DIR_IN, 0x1001));
	ck_assert_uint_eq(sad_count(sad), 4);
	ikeb_child_remove(sad, 0x1000, 0x2000);
	ikeb_child_remove(sad, 0x1000, 0x2000); /* gone already: nothing */
	ck_assert_uint_eq(sad_count(sad), 2);
	ikeb_child_remove(sad, 0x40001000u, 0x40002000u);
	ck_assert_uint_eq(sad_count(sad), 0);
	sad_free(sad);
}
END_TEST

START_TEST(percentiles)
{
	struct ikeb_lat l;
	ck_assert_int_eq(ikeb_lat_init(&l, 100), 0);
	ck_assert_uint_eq(ikeb_lat_pct(&l, 50), 0);
	for (unsigned i = 100; i >= 1; i--)
		ikeb_lat_add(&l, i);
	ikeb_lat_add(&l, 1000000); /* past the cap: counted, not kept */
	ck_assert_uint_eq(l.dropped, 1);
	ck_assert_uint_eq(ikeb_lat_pct(&l, 50), 50);
	ck_assert_uint_eq(ikeb_lat_pct(&l, 99), 99);
	ck_assert_uint_eq(ikeb_lat_pct(&l, 100), 100);
	ck_assert_uint_eq(ikeb_lat_pct(&l, 0), 1);
	ikeb_lat_fini(&l);
}
END_TEST

static Suite *ike_bench_suite(void)
{
	Suite *s = suite_create("ike_bench");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, suites);
	tcase_add_test(tc, selectors);
	tcase_add_test(tc, psk_and_ids);
	tcase_add_test(tc, shared_options);
	tcase_add_test(tc, spi_map);
	tcase_add_test(tc, header_fields);
	tcase_add_test(tc, child_pairs);
	tcase_add_test(tc, percentiles);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ike_bench_suite());
}
