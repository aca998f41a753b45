/*
 * Fuzz target for the data path's per-packet decisions (src/fwd/fwdpath.c):
 * two nodes A and B built from mirrored site-tunnel configs (manual
 * AES-CBC + HMAC-SHA-256-128 SAs, as in tests/unit/test_fwdpath.c), once
 * with encapsulation "esp" and once "udp". Byte 0 picks:
 *
 *   mode 0  the rest is a datagram arriving at B's ESP socket (fwdpath_in)
 *   mode 1  the rest is a datagram arriving at B's UDP socket (RFC 3948)
 *   mode 2  the rest is an inner packet read from A's TUN: fwdpath_out; when
 *           A sends it, B must accept it and deliver the same bytes
 *   mode 3  byte 1 is a Next Header, the rest a payload sealed with A's key
 *           as a peer holding it could (bypassing A's policy): whatever B
 *           accepts must lie inside the packet and come from fd00:a::/64
 *           to fd00:b::/64 (the inbound policy check, RFC 4301 5.2)
 *
 * Anti-replay is off on these SAs (the manual-SA default), so inputs do not
 * influence each other; the replay window is fuzzed by fuzz_esp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "fwd/fwdpath.h"
#include "ipsec/ipsecdb.h"

#define SA(name, spi, dir, src, dst, key, auth)                                                          \
	"{ name = \"" name "\"; spi = " spi "; direction = \"" dir "\"; source = \"" src                    \
	"\"; destination = \"" dst "\"; mode = \"tunnel\"; traffic = \"any\"; encryption-key = \"" key   \
	"\"; integrity-key = \"" auth "\"; }"
#define KEY_AB "000102030405060708090a0b0c0d0e0f"
#define AUTH_AB "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
#define KEY_BA "303132333435363738393a3b3c3d3e3f"
#define AUTH_BA "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define OUT_A "2001:db8:ff::1"
#define OUT_B "2001:db8:ff::2"
#define CONF(out_sa, in_sa, local, remote, lp, rp, encap)                                                \
	"ipsec = { manual-sa = ( " out_sa ", " in_sa " ); };\n"                                          \
	"tunnels = ( { name = \"m6t\"; local = \"" local "\"; remote = \"" remote "\"; "                  \
	"local-prefixes = [ \"" lp "\" ]; remote-prefixes = [ \"" rp "\" ]; "                            \
	"manual-sas = [ \"ab\", \"ba\" ]; encapsulation = \"" encap "\"; } );\n"
#define CONF_A(encap)                                                                                  \
	CONF(SA("ab", "0x1001", "out", OUT_A, OUT_B, KEY_AB, AUTH_AB),                                   \
	     SA("ba", "0x1002", "in", OUT_B, OUT_A, KEY_BA, AUTH_BA), OUT_A, OUT_B, "fd00:a::/64", "fd00:b::/64", encap)
#define CONF_B(encap)                                                                                  \
	CONF(SA("ba", "0x1002", "out", OUT_B, OUT_A, KEY_BA, AUTH_BA),                                   \
	     SA("ab", "0x1001", "in", OUT_A, OUT_B, KEY_AB, AUTH_AB), OUT_B, OUT_A, "fd00:b::/64", "fd00:a::/64", encap)

struct node {
	struct conf *conf;
	struct ipsecdb *db;
	struct ipsecdb_tunnel *t;
	struct in6_addr outer;
};

static struct node A[2], B[2]; /* [0] esp, [1] udp */
static uint8_t buf[FWD_BUF_SIZE], copy[FWD_BUF_SIZE];

static void node_load(struct node *n, const char *text, const char *outer)
{
	struct conf_error cerr;
	char err[256];
	size_t nt;
	if (conf_load_string(text, "fuzz.conf", &n->conf, &cerr) != 0 ||
	    ipsecdb_build(n->conf, 0, &n->db, err, sizeof(err)) != 0 || addr_parse(outer, &n->outer) != 0)
		abort();
	n->t = ipsecdb_tunnels(n->db, &nt);
	if (nt != 1)
		abort();
}

static void init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	log_open(LOG_TO_STDERR, LOG_LVL_ERR, 0, "fuzz_fwdpath");
	node_load(&A[0], CONF_A("esp"), OUT_A);
	node_load(&B[0], CONF_B("esp"), OUT_B);
	node_load(&A[1], CONF_A("udp"), OUT_A);
	node_load(&B[1], CONF_B("udp"), OUT_B);
}

static int in_prefix(const uint8_t *addr, uint8_t last)
{
	/* fd00:000X::/64 */
	static const uint8_t p[3] = { 0xfd, 0x00, 0x00 };
	return memcmp(addr, p, 3) == 0 && addr[3] == last && memcmp(addr + 4, "\0\0\0\0", 4) == 0;
}

static void open_at_b(int udp, uint8_t *pkt, size_t len, int must_accept, const uint8_t *want, size_t want_len)
{
	struct fwd_in in = { .udp = udp, .src = A[udp].outer, .dst = B[udp].outer, .sport = udp ? 4500 : 0,
			     .dport = udp ? 4500 : 0 }; /* the SAs' ports: udp-port on both ends */
	const struct ipsecdb_tunnel *t = NULL;
	size_t off = 0, ilen = 0;
	struct fwd_verdict v;
	int rc = fwdpath_in(B[udp].db, &in, pkt, len, &t, &off, &ilen, &v);
	if (rc != 0) {
		if (must_accept || v.drop == FWD_DROP_NONE)
			abort();
		return;
	}
	if (t != B[udp].t || off > len || ilen > len - off || ilen < 40)
		abort();
	/* Inner source in fd00:a::/64, destination in fd00:b::/64. */
	if (!in_prefix(pkt + off + 8, 0x0a) || !in_prefix(pkt + off + 24, 0x0b))
		abort();
	if (want && (ilen != want_len || memcmp(pkt + off, want, want_len) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size < 1 || size - 1 > FWD_INNER_MAX)
		return 0;
	unsigned mode = data[0] & 3, udp = (data[0] >> 2) & 1;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	struct fwd_verdict v;
	switch (mode) {
	case 0:
	case 1:
		memcpy(buf, p, n);
		open_at_b((int)mode, buf, n, 0, NULL, 0);
		break;
	case 2: {
		struct fwd_out o;
		memcpy(buf + FWD_HEADROOM, p, n);
		memcpy(copy, p, n);
		if (fwdpath_out(A[udp].db, A[udp].t, buf, sizeof(buf), n, &o, &v) != 0) {
			if (v.drop == FWD_DROP_NONE)
				abort();
			break;
		}
		if (o.off > sizeof(buf) || o.len > sizeof(buf) - o.off || o.port != (udp ? 4500 : 0))
			abort();
		/* What A's policy sends, B's mirrored policy accepts unchanged. */
		open_at_b((int)udp, buf + o.off, o.len, 1, copy, n);
		break;
	}
	case 3: {
		if (n < 1)
			break;
		struct esp_result res;
		memcpy(buf + FWD_HEADROOM, p + 1, n - 1);
		if (esp_seal(A[udp].t->out_sa, buf, sizeof(buf), FWD_HEADROOM, n - 1, p[0], NULL, &res) != 0)
			abort();
		open_at_b((int)udp, buf + res.off, res.len, 0, NULL, 0);
		break;
	}
	}
	return 0;
}
