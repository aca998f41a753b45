/*
 * Unit tests for src/fwd/fwdpath.c, the data path's per-packet decisions:
 * two nodes built from mirrored configs (a site tunnel with manual AES-CBC +
 * HMAC-SHA-256-128 SAs, as in tests/netns/tunnel-lib.sh) pass an ICMPv6 Echo
 * Request (RFC 4443 4.1) A -> B and back through fwdpath_out/fwdpath_in;
 * a table of refused outbound packets and one of refused inbound datagrams
 * check each exact reason (and the ESP/SPD detail); the TUN MTU formula.
 * IKE-keyed tunnels: larval policies drop as NO_SA before a CHILD_SA is
 * installed; after ipsecdb_child_install() packets use the SA's own outer
 * addresses and ports (one end behind a NAT that rewrites its address and
 * port), plain ESP or ESP-in-UDP per SA; IKE behind the Non-ESP Marker
 * reaches the sink (RFC 3948 2.2).
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "conf/conf.h"
#include "fwd/fwdpath.h"
#include "ipsec/ipsecdb.h"
#include "wire/ip6.h"
#include "testutil.h"

#define OUT_A "2001:db8:ff::1"
#define OUT_B "2001:db8:ff::2"

/* Keys: arbitrary test values (manual SAs need AES-CBC + HMAC-SHA-256-128,
 * R8221-3.a); A->B uses SPI 0x1001, B->A 0x1002. */
#define KEY_AB "000102030405060708090a0b0c0d0e0f"
#define AUTH_AB "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
#define KEY_BA "303132333435363738393a3b3c3d3e3f"
#define AUTH_BA "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"

#define SA(name, spi, dir, src, dst, key, auth)                                                          \
	"{ name = \"" name "\"; spi = " spi "; direction = \"" dir "\"; source = \"" src                    \
	"\"; destination = \"" dst "\"; mode = \"tunnel\"; traffic = \"any\"; encryption-key = \"" key   \
	"\"; integrity-key = \"" auth "\"; anti-replay = true; }"

#define CONF(out_sa, in_sa, local, remote, lp, rp, encap)                                                \
	"ipsec = { manual-sa = ( " out_sa ", " in_sa " ); };\n"                                          \
	"tunnels = ( { name = \"m6t\"; local = \"" local "\"; remote = \"" remote "\"; "                  \
	"local-prefixes = [ \"" lp "\" ]; remote-prefixes = [ \"" rp "\" ]; "                            \
	"manual-sas = [ \"ab\", \"ba\" ]; encapsulation = \"" encap "\"; } );\n"

static const char *const conf_a[2] = {
	CONF(SA("ab", "0x1001", "out", OUT_A, OUT_B, KEY_AB, AUTH_AB),
	     SA("ba", "0x1002", "in", OUT_B, OUT_A, KEY_BA, AUTH_BA), OUT_A, OUT_B, "fd00:a::/64", "fd00:b::/64", "esp"),
	CONF(SA("ab", "0x1001", "out", OUT_A, OUT_B, KEY_AB, AUTH_AB),
	     SA("ba", "0x1002", "in", OUT_B, OUT_A, KEY_BA, AUTH_BA), OUT_A, OUT_B, "fd00:a::/64", "fd00:b::/64", "udp"),
};
static const char *const conf_b[2] = {
	CONF(SA("ba", "0x1002", "out", OUT_B, OUT_A, KEY_BA, AUTH_BA),
	     SA("ab", "0x1001", "in", OUT_A, OUT_B, KEY_AB, AUTH_AB), OUT_B, OUT_A, "fd00:b::/64", "fd00:a::/64", "esp"),
	CONF(SA("ba", "0x1002", "out", OUT_B, OUT_A, KEY_BA, AUTH_BA),
	     SA("ab", "0x1001", "in", OUT_A, OUT_B, KEY_AB, AUTH_AB), OUT_B, OUT_A, "fd00:b::/64", "fd00:a::/64", "udp"),
};

struct node {
	struct conf *conf;
	struct ipsecdb *db;
	struct ipsecdb_tunnel *t;
	struct in6_addr outer;
};

static struct node A, B;
static int encap_udp; /* which config pair the fixture loads */

static void node_load(struct node *n, const char *text, const char *outer)
{
	struct conf_error cerr;
	char err[256];
	size_t nt;
	if (conf_load_string(text, "test.conf", &n->conf, &cerr) != 0) {
		char msg[512];
		conf_error_format(&cerr, msg, sizeof(msg));
		ck_abort_msg("config: %s", msg);
	}
	ck_assert_int_eq(ipsecdb_build(n->conf, 0, &n->db, err, sizeof(err)), 0);
	n->t = ipsecdb_tunnels(n->db, &nt);
	ck_assert_uint_eq(nt, 1);
	ck_assert_int_eq(addr_parse(outer, &n->outer), 0);
}

static void nodes_setup(void)
{
	node_load(&A, conf_a[encap_udp], OUT_A);
	node_load(&B, conf_b[encap_udp], OUT_B);
}

static void nodes_teardown(void)
{
	ipsecdb_free(A.db);
	ipsecdb_free(B.db);
	conf_free(A.conf);
	conf_free(B.conf);
}

static void setup_esp(void)
{
	encap_udp = 0;
	nodes_setup();
}

static void setup_udp(void)
{
	encap_udp = 1;
	nodes_setup();
}

/* An ICMPv6 Echo Request (RFC 4443 4.1: type 128, code 0, checksum,
 * identifier, sequence, data) from src to dst, checksum filled, written at
 * buf[FWD_HEADROOM]. Returns the packet length. */
static size_t echo_request(uint8_t *buf, const char *src, const char *dst, size_t data_len)
{
	uint8_t icmp[1500] = { 128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01 };
	ck_assert_uint_le(8 + data_len, sizeof(icmp));
	for (size_t i = 0; i < data_len; i++)
		icmp[8 + i] = (uint8_t)i;
	struct ip6_pkt_spec spec = { .proto = IP6_NH_ICMPV6, .hlim = 63 };
	ck_assert_int_eq(addr_parse(src, &spec.src), 0);
	ck_assert_int_eq(addr_parse(dst, &spec.dst), 0);
	struct wbuf w;
	wbuf_init(&w, buf + FWD_HEADROOM, FWD_BUF_SIZE - FWD_HEADROOM);
	ck_assert_int_eq(ip6_build_packet(&w, &spec, icmp, 8 + data_len), 0);
	return wbuf_len(&w);
}

/* Seal at `from`, open at `to`: the inner packet must come out unchanged. */
static void pass(struct node *from, struct node *to, const char *src, const char *dst, size_t data_len)
{
	static uint8_t buf[FWD_BUF_SIZE], copy[FWD_BUF_SIZE];
	size_t len = echo_request(buf, src, dst, data_len);
	memcpy(copy, buf + FWD_HEADROOM, len);
	struct fwd_out o;
	struct fwd_verdict v;
	ck_assert_int_eq(fwdpath_out(from->db, from->t, buf, sizeof(buf), len, &o, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_NONE);
	ck_assert(addr_eq(&o.peer, &to->outer));
	ck_assert_uint_eq(o.port, encap_udp ? 4500 : 0);
	/* SPI | Seq | IV (16) | ciphertext | ICV (16), R4303-2.a layout. */
	ck_assert_uint_eq(o.len, 8 + 16 + (len + 2 + 15) / 16 * 16 + 16);
	ck_assert_uint_eq(o.len % 16, 8);
	struct fwd_in in = { .udp = encap_udp, .src = from->outer, .dst = to->outer, .sport = o.port,
			     .dport = o.port };
	const struct ipsecdb_tunnel *t = NULL;
	size_t off, ilen;
	ck_assert_int_eq(fwdpath_in(to->db, &in, buf + o.off, o.len, &t, &off, &ilen, &v), 0);
	ck_assert_ptr_eq(t, to->t);
	tu_assert_mem_eq(buf + o.off + off, ilen, copy, len);
}

START_TEST(round_trip_both_ways)
{
	for (size_t n = 0; n < 40; n++) {
		pass(&A, &B, "fd00:a::1", "fd00:b::1", n * 33);
		pass(&B, &A, "fd00:b::1", "fd00:a::1", n * 33);
	}
	/* Counters: 40 packets each way on each SA. */
	ck_assert_uint_eq(A.t->out_sa->cnt.packets, 40);
	ck_assert_uint_eq(B.t->in_sas[0]->cnt.packets, 40);
	ck_assert_uint_eq(B.t->out_sa->cnt.packets, 40);
}
END_TEST

/* Outbound refusals: what the TUN hands us. */
struct out_case {
	const char *name;
	const char *src, *dst;
	void (*mangle)(uint8_t *pkt, size_t *len);
	enum fwd_drop drop;
	enum spd_drop spd;
};

static void set_version4(uint8_t *p, size_t *len)
{
	(void)len;
	p[0] = 0x40;
}

static void plen_too_big(uint8_t *p, size_t *len)
{
	(void)len;
	p[5]++; /* payload length one more than the bytes read */
}

static void plen_too_small(uint8_t *p, size_t *len)
{
	(void)len;
	p[5]--; /* a trailing byte not in the packet */
}

static void cut_header(uint8_t *p, size_t *len)
{
	(void)p;
	*len = 39;
}

static void empty(uint8_t *p, size_t *len)
{
	(void)p;
	*len = 0;
}

static const struct out_case out_cases[] = {
	{ "not IPv6", "fd00:a::1", "fd00:b::1", set_version4, FWD_DROP_INNER, SPD_DROP_NONE },
	{ "payload length past the end", "fd00:a::1", "fd00:b::1", plen_too_big, FWD_DROP_INNER, SPD_DROP_NONE },
	{ "payload length short of the end", "fd00:a::1", "fd00:b::1", plen_too_small, FWD_DROP_INNER,
	  SPD_DROP_NONE },
	{ "shorter than a header", "fd00:a::1", "fd00:b::1", cut_header, FWD_DROP_INNER, SPD_DROP_NONE },
	{ "empty read", "fd00:a::1", "fd00:b::1", empty, FWD_DROP_INNER, SPD_DROP_NONE },
	/* R3776-4.2.c / RFC 4301: only the configured prefixes are carried. */
	{ "destination outside remote prefixes", "fd00:a::1", "fd00:c::1", NULL, FWD_DROP_POLICY,
	  SPD_DROP_NO_POLICY },
	{ "source outside local prefixes", "fd00:9::1", "fd00:b::1", NULL, FWD_DROP_POLICY, SPD_DROP_NO_POLICY },
	{ "MLD report from ::", "::", "ff02::16", NULL, FWD_DROP_LINK_SCOPE, SPD_DROP_NONE },
	{ "link-local source", "fe80::1", "fd00:b::1", NULL, FWD_DROP_LINK_SCOPE, SPD_DROP_NONE },
	{ "link-local multicast", "fd00:a::1", "ff02::1", NULL, FWD_DROP_LINK_SCOPE, SPD_DROP_NONE },
};

START_TEST(out_refused)
{
	const struct out_case *c = &out_cases[_i];
	static uint8_t buf[FWD_BUF_SIZE];
	size_t len = echo_request(buf, c->src, c->dst, 16);
	if (c->mangle)
		c->mangle(buf + FWD_HEADROOM, &len);
	struct fwd_out o;
	struct fwd_verdict v;
	ck_assert_msg(fwdpath_out(A.db, A.t, buf, sizeof(buf), len, &o, &v) < 0, "%s: accepted", c->name);
	ck_assert_msg(v.drop == c->drop, "%s: drop %s, want %s", c->name, fwd_drop_name(v.drop),
		      fwd_drop_name(c->drop));
	ck_assert_msg(v.spd == c->spd, "%s: spd %s", c->name, spd_drop_name(v.spd));
	ck_assert_uint_eq(A.t->out_sa->cnt.packets, 0);
}
END_TEST

START_TEST(out_no_room)
{
	static uint8_t buf[FWD_BUF_SIZE];
	size_t len = echo_request(buf, "fd00:a::1", "fd00:b::1", 100);
	struct fwd_out o;
	struct fwd_verdict v;
	/* The buffer ends right after the packet: no tailroom for pad + ICV. */
	ck_assert_int_eq(fwdpath_out(A.db, A.t, buf, FWD_HEADROOM + len, len, &o, &v), M6E_NOSPACE);
	ck_assert_int_eq(v.drop, FWD_DROP_ESP);
	ck_assert_int_eq(v.esp, ESP_DROP_NOSPACE);
	/* A length beyond the buffer. */
	ck_assert_int_eq(fwdpath_out(A.db, A.t, buf, 100, 200, &o, &v), M6E_NOSPACE);
	ck_assert_int_eq(v.drop, FWD_DROP_TOO_BIG);
}
END_TEST

/* Seal an arbitrary payload with A's outbound SA directly (bypassing A's
 * own policy), as a peer that holds the key could. */
static size_t seal_raw(uint8_t *buf, const uint8_t *payload, size_t plen, uint8_t nh)
{
	struct esp_result res;
	memcpy(buf + FWD_HEADROOM, payload, plen);
	ck_assert_int_eq(esp_seal(A.t->out_sa, buf, FWD_BUF_SIZE, FWD_HEADROOM, plen, nh, NULL, &res), 0);
	memmove(buf, buf + res.off, res.len);
	return res.len;
}

static size_t sealed_echo(uint8_t *buf, const char *src, const char *dst)
{
	static uint8_t tmp[FWD_BUF_SIZE];
	size_t len = echo_request(tmp, src, dst, 24);
	return seal_raw(buf, tmp + FWD_HEADROOM, len, ESP_NH_IPV6);
}

START_TEST(in_refused)
{
	static uint8_t buf[FWD_BUF_SIZE], keep[FWD_BUF_SIZE];
	uint16_t port = encap_udp ? 4500 : 0;
	struct fwd_in in = { .udp = encap_udp, .src = A.outer, .dst = B.outer, .sport = port, .dport = port };
	const struct ipsecdb_tunnel *t;
	size_t off, ilen, len;
	struct fwd_verdict v;
#define REFUSED(inp, n, want, detail_field, detail)                                                     \
	do {                                                                                          \
		ck_assert_int_lt(fwdpath_in(B.db, (inp), buf, (n), &t, &off, &ilen, &v), 0);          \
		ck_assert_msg(v.drop == (want), "line %d: drop %s", __LINE__, fwd_drop_name(v.drop)); \
		ck_assert_int_eq(v.detail_field, (detail));                                          \
	} while (0)

	/* A valid packet first, kept for the replay case. */
	len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
	memcpy(keep, buf, len);
	ck_assert_int_eq(fwdpath_in(B.db, &in, buf, len, &t, &off, &ilen, &v), 0);
	/* R4303-3.4.3.a: the same packet again (anti-replay is on). */
	memcpy(buf, keep, len);
	REFUSED(&in, len, FWD_DROP_ESP, esp, ESP_DROP_REPLAY);
	/* R4303-3.4.4.a: a flipped ICV bit. */
	len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
	buf[len - 1] ^= 1;
	REFUSED(&in, len, FWD_DROP_ESP, esp, ESP_DROP_AUTH);
	/* R4303-3.4.2.a: an SPI nobody has. */
	len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
	buf[2] = 0x77;
	REFUSED(&in, len, FWD_DROP_ESP, esp, ESP_DROP_UNKNOWN_SPI);
	/* A known SPI, but shorter than SPI + sequence + IV + ICV. */
	len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
	REFUSED(&in, 20, FWD_DROP_ESP, esp, ESP_DROP_SHORT);
	/* The right keys from the wrong outer source, or on the wrong socket. */
	struct fwd_in wrong = in;
	ck_assert_int_eq(addr_parse("2001:db8:ff::99", &wrong.src), 0);
	len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
	REFUSED(&wrong, len, FWD_DROP_OUTER, drop, FWD_DROP_OUTER);
	if (!encap_udp) { /* the ESP tunnel's packet arriving inside UDP */
		wrong = in;
		wrong.udp = true;
		len = sealed_echo(buf, "fd00:a::1", "fd00:b::1");
		REFUSED(&wrong, len, FWD_DROP_OUTER, drop, FWD_DROP_OUTER);
	}
	/* RFC 4301 5.2 step 4: an inner source outside B's remote prefixes. */
	len = sealed_echo(buf, "fd00:c::1", "fd00:b::1");
	REFUSED(&in, len, FWD_DROP_POLICY, spd, SPD_DROP_NO_POLICY);
	/* ... or an inner destination outside B's local prefixes. */
	len = sealed_echo(buf, "fd00:a::1", "fd00:a::2");
	REFUSED(&in, len, FWD_DROP_POLICY, spd, SPD_DROP_NO_POLICY);
	/* Next Header 4 (IPv4): not what this tunnel carries. */
	static const uint8_t v4[20] = { 0x45, 0, 0, 20 };
	len = seal_raw(buf, v4, sizeof(v4), ESP_NH_IPV4);
	REFUSED(&in, len, FWD_DROP_NOT_IPV6, drop, FWD_DROP_NOT_IPV6);
	/* R4303-2.6.a: a dummy packet (Next Header 59) is dropped silently. */
	len = seal_raw(buf, v4, 0, ESP_NH_NONE);
	REFUSED(&in, len, FWD_DROP_ESP, esp, ESP_DROP_DUMMY);
	if (encap_udp) {
		/* RFC 3948: a keepalive, IKE behind the Non-ESP Marker, a stub. */
		buf[0] = 0xff;
		REFUSED(&in, 1, FWD_DROP_KEEPALIVE, drop, FWD_DROP_KEEPALIVE);
		memset(buf, 0, 8);
		REFUSED(&in, 8, FWD_DROP_IKE, drop, FWD_DROP_IKE);
		REFUSED(&in, 3, FWD_DROP_UDP_SHORT, drop, FWD_DROP_UDP_SHORT);
		memcpy(buf, "\x00\x00\x10\x01\x00\x00", 6);
		REFUSED(&in, 6, FWD_DROP_UDP_SHORT, drop, FWD_DROP_UDP_SHORT);
	}
#undef REFUSED
}
END_TEST

/* ---- IKE-keyed tunnels ------------------------------------------------- */

/* A is behind a NAT that maps [OUT_A]:4500 to [NAT_A]:31000; B is not. */
#define NAT_A "2001:db8:ff::77"
#define NAT_PORT 31000
#define IKE_CONF(local, remote, lp, rp)                                                                  \
	"ike = { identity = \"gw.example.org\"; auth = \"psk\";\n"                                          \
	"  peers = ( { name = \"peer\"; identity = \"peer.example.org\"; psk = \"" AUTH_AB "\"; } ); };\n" \
	"tunnels = ( { name = \"ikt\"; local = \"" local "\"; remote = \"" remote "\"; "                     \
	"local-prefixes = [ \"" lp "\" ]; remote-prefixes = [ \"" rp "\" ]; ike-peer = \"peer\"; } );\n"

/* AES-256-GCM-16 KEYMAT: 32-octet key + 4-octet salt per direction
 * (RFC 4106 8.1), arbitrary test values. */
static uint8_t km_ab[36], km_ba[36];

static void ike_setup(void)
{
	node_load(&A, IKE_CONF(OUT_A, OUT_B, "fd00:a::/64", "fd00:b::/64"), OUT_A);
	node_load(&B, IKE_CONF(OUT_B, OUT_A, "fd00:b::/64", "fd00:a::/64"), OUT_B);
	for (size_t i = 0; i < sizeof(km_ab); i++) {
		km_ab[i] = (uint8_t)(0x40 + i);
		km_ba[i] = (uint8_t)(0x90 + i);
	}
}

/* The same CHILD_SA from both ends: A's out is B's in (SPI 0x5001). udp:
 * ESP-in-UDP with A's side NATed, else plain ESP. */
static void ike_install(bool udp)
{
	char err[160];
	struct ipsecdb_child a = { .spi_in = 0x5002, .spi_out = 0x5001, .alg = AEAD_AES256_GCM16,
				   .keymat_in = km_ba, .keymat_out = km_ab, .keymat_len = sizeof(km_ab),
				   .local = A.outer, .remote = B.outer, .udp_encap = udp };
	struct ipsecdb_child b = { .spi_in = 0x5001, .spi_out = 0x5002, .alg = AEAD_AES256_GCM16,
				   .keymat_in = km_ab, .keymat_out = km_ba, .keymat_len = sizeof(km_ab),
				   .local = B.outer, .remote = A.outer, .udp_encap = udp };
	if (udp) {
		a.local_port = a.remote_port = b.local_port = 4500;
		/* B sees A as the NAT's address and port. */
		b.remote_port = NAT_PORT;
		ck_assert_int_eq(addr_parse(NAT_A, &b.remote), 0);
	}
	ck_assert_int_eq(ipsecdb_child_install(A.db, "ikt", &a, 0, err, sizeof(err)), 0);
	ck_assert_int_eq(ipsecdb_child_install(B.db, "ikt", &b, 0, err, sizeof(err)), 0);
}

START_TEST(ike_larval_drops_no_sa)
{
	static uint8_t buf[FWD_BUF_SIZE];
	size_t len = echo_request(buf, "fd00:a::1", "fd00:b::1", 16);
	struct fwd_out o;
	struct fwd_verdict v;
	/* No CHILD_SA yet: the larval OUT entry has no SA to use. */
	ck_assert_int_eq(fwdpath_out(A.db, A.t, buf, sizeof(buf), len, &o, &v), M6E_NOTFOUND);
	ck_assert_int_eq(v.drop, FWD_DROP_NO_SA);
	/* Outside the traffic selectors it is still no policy. */
	len = echo_request(buf, "fd00:a::1", "fd00:c::1", 16);
	ck_assert_int_lt(fwdpath_out(A.db, A.t, buf, sizeof(buf), len, &o, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_POLICY);
	ck_assert_int_eq(v.spd, SPD_DROP_NO_POLICY);
	/* After install and remove, larval again. */
	ike_install(false);
	len = echo_request(buf, "fd00:a::1", "fd00:b::1", 16);
	ck_assert_int_eq(fwdpath_out(A.db, A.t, buf, sizeof(buf), len, &o, &v), 0);
	ck_assert_int_eq(ipsecdb_child_remove(A.db, 0x5002), 0);
	len = echo_request(buf, "fd00:a::1", "fd00:b::1", 16);
	ck_assert_int_eq(fwdpath_out(A.db, A.t, buf, sizeof(buf), len, &o, &v), M6E_NOTFOUND);
	ck_assert_int_eq(v.drop, FWD_DROP_NO_SA);
}
END_TEST

/* One packet from -> to over the installed CHILD_SA; the outer datagram
 * arrives as `arrive` says (the NAT's rewriting applied by the caller). */
static int ike_pass(struct node *from, struct node *to, const char *src, const char *dst, struct fwd_out *o,
		    struct fwd_in *arrive, struct fwd_verdict *v)
{
	static uint8_t buf[FWD_BUF_SIZE], copy[FWD_BUF_SIZE];
	size_t len = echo_request(buf, src, dst, 100);
	memcpy(copy, buf + FWD_HEADROOM, len);
	ck_assert_int_eq(fwdpath_out(from->db, from->t, buf, sizeof(buf), len, o, v), 0);
	const struct ipsecdb_tunnel *t = NULL;
	size_t off, ilen;
	int rc = fwdpath_in(to->db, arrive, buf + o->off, o->len, &t, &off, &ilen, v);
	if (rc == 0) {
		ck_assert_ptr_eq(t, to->t);
		tu_assert_mem_eq(buf + o->off + off, ilen, copy, len);
	}
	return rc;
}

/* A's ESP-in-UDP as B receives it: the NAT rewrote the source (to B's 4500
 * on the UDP socket). */
static struct fwd_in nat_arrival_at_b(struct in6_addr *nat)
{
	ck_assert_int_eq(addr_parse(NAT_A, nat), 0);
	return (struct fwd_in){ .udp = true, .src = *nat, .dst = B.outer, .sport = NAT_PORT, .dport = 4500 };
}

START_TEST(ike_esp_in_udp_through_nat)
{
	ike_install(true);
	struct fwd_out o;
	struct fwd_verdict v;
	struct in6_addr nat;
	struct fwd_in at_b = nat_arrival_at_b(&nat);
	ck_assert_int_eq(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &at_b, &v), 0);
	ck_assert(o.udp);
	ck_assert(addr_eq(&o.peer, &B.outer));
	ck_assert_uint_eq(o.port, 4500);
	/* B -> A: to the NAT's address and port (R3948-2.1.a), which maps back. */
	struct fwd_in at_a = { .udp = true, .src = B.outer, .dst = A.outer, .sport = 4500, .dport = 4500 };
	ck_assert_int_eq(ike_pass(&B, &A, "fd00:b::1", "fd00:a::1", &o, &at_a, &v), 0);
	ck_assert(o.udp);
	ck_assert(addr_eq(&o.peer, &nat));
	ck_assert_uint_eq(o.port, NAT_PORT);
	/* The SA's ports and addresses, not the tunnel's config, are checked:
	 * A's real address, another NAT port, plain ESP: all refused. */
	struct fwd_in wrong = at_b;
	wrong.src = A.outer;
	ck_assert_int_lt(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &wrong, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_OUTER);
	wrong = at_b;
	wrong.sport = NAT_PORT + 1;
	ck_assert_int_lt(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &wrong, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_OUTER);
	wrong = at_b;
	wrong.udp = false;
	wrong.sport = wrong.dport = 0;
	ck_assert_int_lt(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &wrong, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_OUTER);
	/* Counted on the CHILD_SAs: 1 accepted each way at each end. */
	ck_assert_uint_eq(B.t->in_sas[0]->cnt.packets, 1);
	ck_assert_uint_eq(A.t->in_sas[0]->cnt.packets, 1);
}
END_TEST

/* The NAT gives A a new port (or MOBIKE moves it): after
 * ipsecdb_child_update_path() B sends there and accepts only that, with
 * the same keys and sequence numbers. */
START_TEST(ike_path_update)
{
	ike_install(true);
	struct fwd_out o;
	struct fwd_verdict v;
	struct in6_addr nat;
	struct fwd_in at_b = nat_arrival_at_b(&nat);
	ck_assert_int_eq(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &at_b, &v), 0);
	ck_assert_int_eq(ipsecdb_child_update_path(B.db, 0x5001, &nat, true, 4500, NAT_PORT + 7), 0);
	ck_assert_int_lt(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &at_b, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_OUTER);
	at_b.sport = NAT_PORT + 7;
	ck_assert_int_eq(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &at_b, &v), 0);
	struct fwd_in at_a = { .udp = true, .src = B.outer, .dst = A.outer, .sport = 4500, .dport = 4500 };
	ck_assert_int_eq(ike_pass(&B, &A, "fd00:b::1", "fd00:a::1", &o, &at_a, &v), 0);
	ck_assert_uint_eq(o.port, NAT_PORT + 7);
	ck_assert_uint_eq(B.t->out_sa->seq, 1); /* the same SA, not a new one */
	/* The NAT goes away: plain ESP from A's own address. */
	ck_assert_int_eq(ipsecdb_child_update_path(B.db, 0x5001, &A.outer, false, 0, 0), 0);
	ck_assert_int_eq(ipsecdb_child_update_path(A.db, 0x5002, &B.outer, false, 0, 0), 0);
	struct fwd_in esp_b = { .src = A.outer, .dst = B.outer };
	ck_assert_int_eq(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &esp_b, &v), 0);
	ck_assert(!o.udp);
	ck_assert_uint_eq(B.t->in_sas[0]->cnt.packets, 3);
	ck_assert_int_eq(ipsecdb_child_update_path(B.db, 0x5001, &A.outer, true, 500, 4500), M6E_INVAL);
	ck_assert_int_eq(ipsecdb_child_update_path(B.db, 0x9999, &A.outer, false, 0, 0), M6E_NOTFOUND);
}
END_TEST

START_TEST(ike_plain_esp)
{
	ike_install(false);
	struct fwd_out o;
	struct fwd_verdict v;
	struct fwd_in at_b = { .udp = false, .src = A.outer, .dst = B.outer };
	ck_assert_int_eq(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &at_b, &v), 0);
	ck_assert(!o.udp);
	ck_assert_uint_eq(o.port, 0);
	struct fwd_in at_a = { .udp = false, .src = B.outer, .dst = A.outer };
	ck_assert_int_eq(ike_pass(&B, &A, "fd00:b::1", "fd00:a::1", &o, &at_a, &v), 0);
	/* The same SA arriving in UDP is not this SA's traffic. */
	struct fwd_in wrong = { .udp = true, .src = A.outer, .dst = B.outer, .sport = 4500, .dport = 4500 };
	ck_assert_int_lt(ike_pass(&A, &B, "fd00:a::1", "fd00:b::1", &o, &wrong, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_OUTER);
}
END_TEST

struct sink_seen {
	int calls;
	uint8_t msg[64];
	size_t len;
	struct in6_addr local, remote;
	uint16_t local_port, remote_port;
};

static void sink(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local, uint16_t local_port,
		 const struct in6_addr *remote, uint16_t remote_port)
{
	struct sink_seen *s = arg;
	s->calls++;
	ck_assert_uint_le(len, sizeof(s->msg));
	memcpy(s->msg, msg, len);
	s->len = len;
	s->local = *local;
	s->remote = *remote;
	s->local_port = local_port;
	s->remote_port = remote_port;
}

START_TEST(ike_marker_to_sink)
{
	/* R3948-2.2.a: four zero octets, then an IKE header (SPIi shown). */
	static const uint8_t dgram[] = { 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0 };
	uint8_t buf[sizeof(dgram)];
	struct sink_seen seen = { 0 };
	struct in6_addr nat;
	ck_assert_int_eq(addr_parse(NAT_A, &nat), 0);
	struct fwd_in in = { .udp = true, .src = nat, .dst = B.outer, .sport = NAT_PORT, .dport = 4500,
			     .ike = sink, .ike_arg = &seen };
	const struct ipsecdb_tunnel *t = NULL;
	size_t off, ilen;
	struct fwd_verdict v;
	memcpy(buf, dgram, sizeof(dgram));
	ck_assert_int_eq(fwdpath_in(B.db, &in, buf, sizeof(buf), &t, &off, &ilen, &v), M6E_AGAIN);
	ck_assert_int_eq(v.drop, FWD_DROP_NONE);
	ck_assert_int_eq(seen.calls, 1);
	tu_assert_mem_eq(seen.msg, seen.len, dgram + 4, sizeof(dgram) - 4);
	ck_assert(addr_eq(&seen.local, &B.outer));
	ck_assert(addr_eq(&seen.remote, &nat));
	ck_assert_uint_eq(seen.local_port, 4500);
	ck_assert_uint_eq(seen.remote_port, NAT_PORT);
	/* A bare marker is an empty message, still IKE's to judge. */
	ck_assert_int_eq(fwdpath_in(B.db, &in, buf, 4, &t, &off, &ilen, &v), M6E_AGAIN);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_uint_eq(seen.len, 0);
	/* NAT keepalives stay ignored (R3948-2.3.a), also with a sink. */
	buf[0] = 0xff;
	ck_assert_int_eq(fwdpath_in(B.db, &in, buf, 1, &t, &off, &ilen, &v), M6E_AGAIN);
	ck_assert_int_eq(v.drop, FWD_DROP_KEEPALIVE);
	ck_assert_int_eq(seen.calls, 2);
	/* Without a sink: counted as drop_ike, as before IKE existed. */
	in.ike = NULL;
	memcpy(buf, dgram, sizeof(dgram));
	ck_assert_int_lt(fwdpath_in(B.db, &in, buf, sizeof(buf), &t, &off, &ilen, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_IKE);
	/* On the ESP socket there is no marker: zero SPI is ESP's to refuse. */
	in.udp = false;
	in.ike = sink;
	memcpy(buf, dgram, sizeof(dgram));
	ck_assert_int_lt(fwdpath_in(B.db, &in, buf, sizeof(buf), &t, &off, &ilen, &v), 0);
	ck_assert_int_eq(v.drop, FWD_DROP_ESP);
	ck_assert_int_eq(seen.calls, 2);
}
END_TEST

/* fwdpath_tun_mtu() against the formula worked by hand (fwdpath.h). */
struct mtu_case {
	unsigned outer;
	enum aead_alg alg;
	bool udp;
	unsigned want;
};

static const struct mtu_case mtu_cases[] = {
	/* (1500 - 40 - 8 - 16 - 16) = 1420 -> 1408 - 2 */
	{ 1500, AEAD_AES128_CBC_HMAC_SHA256_128, false, 1406 },
	/* (1500 - 40 - 8 - 8 - 16 - 16) = 1412 -> 1408 - 2 */
	{ 1500, AEAD_AES128_CBC_HMAC_SHA256_128, true, 1406 },
	/* GCM: IV 8, ICV 16, block 4: (1500 - 40 - 8 - 8 - 16) = 1428 -> 1428 - 2 */
	{ 1500, AEAD_AES128_GCM16, false, 1426 },
	{ 1500, AEAD_AES256_GCM16, true, 1418 },
	/* 9000: (9000 - 80) = 8920 -> 8912 - 2 */
	{ 9000, AEAD_AES256_CBC_HMAC_SHA256_128, false, 8910 },
	/* below the IPv6 minimum: 1280 (the kernel fragments the outer packet) */
	{ 1280, AEAD_AES128_CBC_HMAC_SHA256_128, false, 1280 },
	{ 60, AEAD_AES128_CBC_HMAC_SHA256_128, false, 1280 },
	{ 0, AEAD_AES128_GCM16, false, 1280 },
	/* loopback-sized links: capped by the packet buffer */
	{ 65536, AEAD_AES128_GCM16, false, FWD_INNER_MAX },
};

START_TEST(tun_mtu)
{
	const struct mtu_case *c = &mtu_cases[_i];
	ck_assert_uint_eq(fwdpath_tun_mtu(c->outer, c->alg, c->udp), c->want);
}
END_TEST

START_TEST(drop_names)
{
	for (int d = 0; d < FWD_DROP_COUNT; d++)
		ck_assert_str_ne(fwd_drop_name((enum fwd_drop)d), "unknown");
	ck_assert_str_eq(fwd_drop_name(FWD_DROP_COUNT), "unknown");
}
END_TEST

static Suite *fwdpath_suite(void)
{
	Suite *s = suite_create("fwdpath");
	const struct {
		const char *name;
		void (*setup)(void);
	} fixtures[] = { { "esp", setup_esp }, { "udp", setup_udp } };
	for (size_t f = 0; f < 2; f++) {
		TCase *tc = tcase_create(fixtures[f].name);
		tcase_add_checked_fixture(tc, fixtures[f].setup, nodes_teardown);
		tcase_add_test(tc, round_trip_both_ways);
		tcase_add_loop_test(tc, out_refused, 0, sizeof(out_cases) / sizeof(out_cases[0]));
		tcase_add_test(tc, out_no_room);
		tcase_add_test(tc, in_refused);
		suite_add_tcase(s, tc);
	}
	TCase *ike = tcase_create("ike");
	tcase_add_checked_fixture(ike, ike_setup, nodes_teardown);
	tcase_add_test(ike, ike_larval_drops_no_sa);
	tcase_add_test(ike, ike_esp_in_udp_through_nat);
	tcase_add_test(ike, ike_plain_esp);
	tcase_add_test(ike, ike_path_update);
	tcase_add_test(ike, ike_marker_to_sink);
	suite_add_tcase(s, ike);
	TCase *tc = tcase_create("mtu");
	tcase_add_loop_test(tc, tun_mtu, 0, sizeof(mtu_cases) / sizeof(mtu_cases[0]));
	tcase_add_test(tc, drop_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(fwdpath_suite());
}
