/*
 * Unit tests for the Mobile IPv6 packet I/O: io/nft (the script and its
 * offsets checked against Parameter Problems this kernel really sent, table
 * names refused, the nft program's outcomes mapped to codes through a fake
 * program, the kstate kernel side with crash recovery) and io/mip6sock
 * (kinds, the sender refusing what is not a whole IPv6 packet, a loopback
 * round trip with a HAO when run as root). The netns tests
 * (tests/netns/mip6io-*.sh) cover the real kernel between two namespaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <poll.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "io/kstate.h"
#include "io/mip6sock.h"
#include "io/nft.h"
#include "wire/exthdr.h"
#include "wire/ip6.h"
#include "wire/mh.h"
#include "testutil.h"

/* ---- nft: the script and its offsets ------------------------------------ */

/*
 * ICMPv6 Parameter Problems captured on this machine's kernel (6.18) on the
 * veth of tests/netns/mip6io-nft.sh, sent by 2001:db8:10::b in answer to
 * mip6io_probe's packets from 2001:db8:10::a (ICMPv6 message, no IPv6
 * header: what nft's @th sees).
 */
/* Code 2 (unrecognized option), pointer 46: BU with DestOpt{PadN(2), HAO 2001:db8:99::1}. */
static const char pp_hao_hex[] =
	"040284dc0000002e"
	"6000000000283c40" "20010db800100000000000000000000a" "20010db800100000000000000000000b"
	"870201020000c910" "20010db8009900000000000000000001"
	"3b010500a1d20007c000006401020000";
/* Code 0 (erroneous header field), pointer 42: BA with RH2 2001:db8:99::b. */
static const char pp_rh2_hex[] =
	"04005df30000002a"
	"6000000000282b40" "20010db800100000000000000000000a" "20010db800100000000000000000000b"
	"8702020100000000" "20010db800990000000000000000000b"
	"3b01060060ca00000007006401020000";

START_TEST(nft_offsets_match_kernel_errors)
{
	uint8_t pp[256];
	size_t n = tu_hex(pp_hao_hex, pp, sizeof(pp));
	ck_assert_uint_gt(n, NFT_PP_HAO_TYPE_OFF);
	ck_assert_uint_eq(pp[0], 4); /* Parameter Problem */
	ck_assert_uint_eq(pp[NFT_PP_NH_OFF], IP6_NH_DSTOPTS);
	ck_assert_uint_eq(pp[NFT_PP_HAO_TYPE_OFF], EXTHDR_OPT_HAO);
	/* The kernel's pointer names the HAO type octet: the same place. */
	ck_assert_uint_eq(pp[7] + 8u, NFT_PP_HAO_TYPE_OFF);
	n = tu_hex(pp_rh2_hex, pp, sizeof(pp));
	ck_assert_uint_gt(n, NFT_PP_RT_TYPE_OFF);
	ck_assert_uint_eq(pp[NFT_PP_NH_OFF], IP6_NH_ROUTING);
	ck_assert_uint_eq(pp[NFT_PP_RT_TYPE_OFF], EXTHDR_RT_MIP6);
	ck_assert_uint_eq(pp[7] + 8u, NFT_PP_RT_TYPE_OFF);
}
END_TEST

/* Our own builder puts the HAO where the rule looks (wire-formats.md §D.1). */
START_TEST(nft_offsets_match_builder)
{
	struct in6_addr a, b, home;
	uint8_t mh[8] = { 59, 0, 0, 0, 0, 0, 0, 0 }, pkt[128];
	struct wbuf w;
	addr_parse("2001:db8:10::a", &a);
	addr_parse("2001:db8:10::b", &b);
	addr_parse("2001:db8:99::1", &home);
	struct ip6_pkt_spec spec = { .src = a, .dst = b, .hao = &home, .proto = IP6_NH_MH };
	wbuf_init(&w, pkt, sizeof(pkt));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, mh, sizeof(mh)), 0);
	/* The error quotes the packet after its 8-octet ICMPv6 header. */
	ck_assert_uint_eq(pkt[NFT_PP_NH_OFF - 8], IP6_NH_DSTOPTS);
	ck_assert_uint_eq(pkt[NFT_PP_HAO_TYPE_OFF - 8], EXTHDR_OPT_HAO);
	spec.hao = NULL;
	spec.rh2 = &home;
	wbuf_init(&w, pkt, sizeof(pkt));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, mh, sizeof(mh)), 0);
	ck_assert_uint_eq(pkt[NFT_PP_NH_OFF - 8], IP6_NH_ROUTING);
	ck_assert_uint_eq(pkt[NFT_PP_RT_TYPE_OFF - 8], EXTHDR_RT_MIP6);
}
END_TEST

START_TEST(nft_script_text)
{
	char s[1024];
	int n = nft_script("mip6sec", s, sizeof(s));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(s), (size_t)n);
	/* Replaced in one transaction: create, delete, create. */
	ck_assert_ptr_eq(strstr(s, "table inet mip6sec\ndelete table inet mip6sec\ntable inet mip6sec {\n"), s);
	ck_assert_ptr_nonnull(strstr(s, "type filter hook output priority 0; policy accept;"));
	ck_assert_ptr_nonnull(strstr(s, "icmpv6 type parameter-problem @th,112,8 60 @th,432,8 0xc9 counter drop"));
	ck_assert_ptr_nonnull(strstr(s, "icmpv6 type parameter-problem @th,112,8 43 @th,400,8 2 counter drop"));
	/* Too small a buffer is an error, not a cut script. */
	ck_assert_int_eq(nft_script("mip6sec", s, (size_t)n), M6E_NOSPACE);
}
END_TEST

static const char *const bad_tables[] = { "", "1t", "_t", "a b", "a;b", "a}b", "a\nb", "a.b",
					  "averyveryverylongname" };

START_TEST(nft_bad_table_refused)
{
	char s[1024], err[128];
	struct kstate_entry e;
	const char *t = bad_tables[_i];
	ck_assert_int_eq(nft_script(t, s, sizeof(s)), M6E_INVAL);
	ck_assert_int_eq(nft_kstate_entry(t, &e), M6E_INVAL);
	/* Refused before any program runs. */
	nft_set_program("/nonexistent/nft");
	ck_assert_int_eq(nft_install(t, err, sizeof(err)), M6E_INVAL);
	ck_assert_int_eq(nft_remove(t, err, sizeof(err)), M6E_INVAL);
	nft_set_program(NULL);
}
END_TEST

/* ---- nft: running the program (a fake that records its input) ----------- */

static char dir[64], fake[128], args_path[128], stdin_path[128];

static void fake_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_mip6io.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fake, sizeof(fake), "%s/fake-nft", dir);
	snprintf(args_path, sizeof(args_path), "%s/args", dir);
	snprintf(stdin_path, sizeof(stdin_path), "%s/stdin", dir);
	FILE *f = fopen(fake, "w");
	ck_assert_ptr_nonnull(f);
	/* FAKE_NFT picks the outcome; messages are nft 1.0.6's. */
	fprintf(f, "#!/bin/sh\n"
		   "echo \"$*\" >> %s\n"
		   "cat >> %s\n"
		   "case \"$FAKE_NFT\" in\n"
		   "ok) exit 0;;\n"
		   "missing) echo 'Error: Could not process rule: No such file or directory' >&2; exit 1;;\n"
		   "perm) echo 'Error: Could not process rule: Operation not permitted' >&2; exit 1;;\n"
		   "*) echo 'Error: syntax error, unexpected junk' >&2; exit 1;;\n"
		   "esac\n",
		args_path, stdin_path);
	fclose(f);
	ck_assert_int_eq(chmod(fake, 0700), 0);
	nft_set_program(fake);
}

static void fake_teardown(void)
{
	char j[128];
	snprintf(j, sizeof(j), "%s/%s", dir, KSTATE_JOURNAL);
	unlink(j);
	unlink(fake);
	unlink(args_path);
	unlink(stdin_path);
	rmdir(dir);
	nft_set_program(NULL);
	unsetenv("FAKE_NFT");
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	unlink(path);
	return buf;
}

struct run_case {
	const char *outcome;
	bool install;
	int rc;
	const char *msg; /* in err */
};

static const struct run_case run_cases[] = {
	{ "ok", true, 0, "" },
	{ "ok", false, 0, "" },
	{ "missing", false, M6E_NOTFOUND, "No such file" },
	{ "missing", true, M6E_IO, "No such file" }, /* install never looks for a table */
	{ "perm", true, M6E_PERM, "Operation not permitted" },
	{ "perm", false, M6E_PERM, "Operation not permitted" },
	{ "junk", true, M6E_IO, "syntax error" },
};

START_TEST(nft_run_outcomes)
{
	const struct run_case *c = &run_cases[_i];
	char err[256], script[1024];
	setenv("FAKE_NFT", c->outcome, 1);
	int rc = c->install ? nft_install("mip6sec", err, sizeof(err)) : nft_remove("mip6sec", err, sizeof(err));
	ck_assert_int_eq(rc, c->rc);
	ck_assert_ptr_nonnull(strstr(err, c->msg));
	ck_assert_ptr_null(strchr(err, '\n')); /* one log line */
	if (c->install) {
		ck_assert_str_eq(slurp(args_path), "-f -\n");
		ck_assert_int_gt(nft_script("mip6sec", script, sizeof(script)), 0);
		ck_assert_str_eq(slurp(stdin_path), script);
	} else {
		ck_assert_str_eq(slurp(args_path), "delete table inet mip6sec\n");
		ck_assert_str_eq(slurp(stdin_path), "");
	}
}
END_TEST

START_TEST(nft_program_missing)
{
	char err[256];
	nft_set_program("/nonexistent/nft");
	ck_assert_int_eq(nft_install("mip6sec", err, sizeof(err)), M6E_IO);
	ck_assert_str_eq(err, "cannot run /nonexistent/nft");
	ck_assert_int_eq(nft_remove("mip6sec", err, sizeof(err)), M6E_IO);
}
END_TEST

static int ks_apply(void *arg, const struct kstate_entry *e)
{
	(void)arg;
	return nft_kstate_do(e, true);
}

static int ks_undo(void *arg, const struct kstate_entry *e)
{
	(void)arg;
	return nft_kstate_do(e, false);
}

/* The journal drives the table: install on apply, delete on close, and a
 * journal left by a crash deletes the stale table at the next start. */
START_TEST(nft_with_kstate)
{
	const struct kstate_ops ops = { .apply = ks_apply, .undo = ks_undo };
	struct kstate_recovery rec;
	struct kstate_entry e, route = { .kind = KSTATE_ROUTE, .ifname = "m6t" };
	struct kstate *ks;
	char err[256], j[128];
	snprintf(j, sizeof(j), "%s/%s", dir, KSTATE_JOURNAL);
	setenv("FAKE_NFT", "ok", 1);
	ck_assert_int_eq(nft_kstate_entry(NFT_TABLE, &e), 0);
	ck_assert_int_eq(nft_kstate_do(&route, true), M6E_INVAL);
	ck_assert_int_eq(kstate_open(dir, &ops, &ks, &rec, err, sizeof(err)), 0);
	ck_assert_int_eq(kstate_apply(ks, &e), 0);
	ck_assert_str_eq(slurp(args_path), "-f -\n");
	kstate_close(ks);
	ck_assert_str_eq(slurp(args_path), "delete table inet mip6sec\n");
	ck_assert_int_ne(access(j, F_OK), 0);

	/* A refused install is not kept in the journal. */
	setenv("FAKE_NFT", "perm", 1);
	ck_assert_int_eq(kstate_open(dir, &ops, &ks, &rec, err, sizeof(err)), 0);
	ck_assert_int_eq(kstate_apply(ks, &e), M6E_PERM);
	ck_assert_uint_eq(kstate_count(ks), 0);
	kstate_close(ks);
	ck_assert_int_ne(access(j, F_OK), 0);

	/* Crash recovery: the table is deleted; a table already gone counts as gone. */
	const char *outcomes[] = { "ok", "missing" };
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(j, "w");
		ck_assert_ptr_nonnull(f);
		fputs("nft mip6sec\n", f);
		fclose(f);
		setenv("FAKE_NFT", outcomes[i], 1);
		slurp(args_path);
		ck_assert_int_eq(kstate_open(dir, &ops, &ks, &rec, err, sizeof(err)), 0);
		ck_assert_uint_eq(rec.undone, i == 0 ? 1 : 0);
		ck_assert_uint_eq(rec.gone, i == 0 ? 0 : 1);
		ck_assert_str_eq(slurp(args_path), "delete table inet mip6sec\n");
		kstate_close(ks);
	}
}
END_TEST

/* ---- mip6sock ------------------------------------------------------------ */

START_TEST(sock_kinds)
{
	struct mip6sock *s = NULL;
	char err[128];
	ck_assert_int_eq(mip6sock_open((enum mip6sock_kind)17, NULL, &s, err, sizeof(err)), M6E_INVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(mip6sock_kind_name(MIP6SOCK_RX_DSTOPT), "dstopts");
	ck_assert_str_eq(mip6sock_kind_name(MIP6SOCK_RX_RH), "routing");
	ck_assert_str_eq(mip6sock_kind_name(MIP6SOCK_RX_MH), "mh");
	ck_assert_str_eq(mip6sock_kind_name(MIP6SOCK_RX_ICMP6), "icmpv6");
	ck_assert_str_eq(mip6sock_kind_name(MIP6SOCK_TX), "raw-send");
	ck_assert_str_eq(mip6sock_kind_name((enum mip6sock_kind)17), "unknown");
}
END_TEST

/* Open kind, or check that only privilege is missing and skip. */
static struct mip6sock *open_or_perm(enum mip6sock_kind kind, const struct in6_addr *local)
{
	struct mip6sock *s = NULL;
	char err[256];
	int rc = mip6sock_open(kind, local, &s, err, sizeof(err));
	if (geteuid() != 0) {
		ck_assert_int_eq(rc, M6E_PERM);
		ck_assert_ptr_nonnull(strstr(err, "socket"));
		return NULL;
	}
	ck_assert_msg(rc == 0, "%s", err);
	return s;
}

/* What the sender refuses before the kernel sees it (counted in tx_bad). */
struct tx_bad_case {
	const char *what;
	const char *hex;
};

static const struct tx_bad_case tx_bad_cases[] = {
	{ "empty", "" },
	{ "shorter than the fixed header", "6000000000003b40" },
	{ "version 4", "4500001c000000004011000000000000000000000000000000000000000000000000000000000000" },
	/* 40 octets, payload length 8 but no payload: a lying length */
	{ "payload length past the end",
	  "6000000000083b40" "00000000000000000000000000000001" "00000000000000000000000000000001" },
	/* payload length 0 with 8 octets after the header */
	{ "payload length short of the end",
	  "6000000000003b40" "00000000000000000000000000000001" "00000000000000000000000000000001"
	  "0000000000000000" },
};

START_TEST(sock_tx_refuses_bad_packets)
{
	const struct tx_bad_case *c = &tx_bad_cases[_i];
	struct mip6sock *s = open_or_perm(MIP6SOCK_TX, NULL);
	if (!s)
		return;
	uint8_t buf[128];
	struct mip6sock_msg m = { .buf = buf, .len = tu_hex(c->hex, buf, sizeof(buf)), .dst = in6addr_loopback };
	size_t failed = 99;
	ck_assert_int_eq(mip6sock_send_burst(s, &m, 1, &failed), 0);
	ck_assert_uint_eq(failed, 1);
	const struct mip6sock_stats *st = mip6sock_stats(s);
	ck_assert_msg(st->tx_bad == 1 && st->tx == 0, "%s: tx_bad %llu", c->what, (unsigned long long)st->tx_bad);
	/* The sender does not receive. */
	ck_assert_int_eq(mip6sock_recv_burst(s, &m, 1), M6E_INVAL);
	mip6sock_close(s);
}
END_TEST

/*
 * Over loopback: a BU with a HAO from the probe's builder goes out of the
 * IPPROTO_RAW socket and arrives at a Next Header 60 receiver bound to ::1
 * with its addresses and hop limit from the control messages; the bytes
 * parse in raw mode and the MH checksum verifies with the home address
 * (R6275-6.1.1.d). A receiver does not send.
 */
START_TEST(sock_loopback_hao)
{
	struct mip6sock *tx = open_or_perm(MIP6SOCK_TX, NULL);
	if (!tx)
		return;
	struct mip6sock *rx = open_or_perm(MIP6SOCK_RX_DSTOPT, &in6addr_loopback);
	struct in6_addr home;
	addr_parse("2001:db8:99::1", &home);
	uint8_t upper[64], pkt[256], got[256];
	struct wbuf w;
	struct mh_msg mh = { .type = MH_TYPE_BU, .u.bu = { .seq = 42, .flags = MH_BU_F_A | MH_BU_F_H, .lifetime = 5 } };
	wbuf_init(&w, upper, sizeof(upper));
	ck_assert_int_eq(mh_build(&w, &mh, NULL, NULL), 0);
	size_t ulen = wbuf_len(&w);
	struct ip6_pkt_spec spec = { .src = in6addr_loopback, .dst = in6addr_loopback, .hao = &home,
				     .proto = IP6_NH_MH, .hlim = 33 };
	wbuf_init(&w, pkt, sizeof(pkt));
	ck_assert_int_eq(ip6_build_packet(&w, &spec, upper, ulen), 0);
	struct mip6sock_msg m = { .buf = pkt, .len = wbuf_len(&w), .dst = in6addr_loopback };
	size_t failed;
	ck_assert_int_eq(mip6sock_send_burst(rx, &m, 1, &failed), M6E_INVAL);
	ck_assert_int_eq(mip6sock_send_burst(tx, &m, 1, &failed), 1);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_eq(mip6sock_stats(tx)->tx, 1);

	struct pollfd p = { .fd = mip6sock_fd(rx), .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	struct mip6sock_msg r = { .buf = got, .cap = sizeof(got) };
	ck_assert_int_eq(mip6sock_recv_burst(rx, &r, 1), 1);
	ck_assert(!r.truncated);
	/* Data from the Destination Options header on. */
	tu_assert_mem_eq(got, r.len, pkt + IP6_HDR_LEN, m.len - IP6_HDR_LEN);
	ck_assert(addr_eq(&r.src, &in6addr_loopback));
	ck_assert(addr_eq(&r.dst, &in6addr_loopback));
	ck_assert_int_eq(r.hlim, 33);
	ck_assert_uint_ne(r.ifindex, 0);
	ck_assert_uint_eq(mip6sock_stats(rx)->rx, 1);

	struct ip6_view v;
	ck_assert_int_eq(exthdr_parse(IP6_NH_DSTOPTS, got, r.len, &r.src, &r.dst, &v), 0);
	ck_assert(v.hao.present);
	ck_assert(addr_eq(&v.hao.addr, &home));
	ck_assert_uint_eq(v.upper.proto, IP6_NH_MH);
	struct mh_pseudo ph;
	struct mh_msg back;
	ip6_pseudo_addrs(&v, &ph.src, &ph.dst);
	ck_assert_int_eq(mh_parse(got + v.upper.off, v.upper.len, &ph, &back, NULL), 0);
	ck_assert(mh_msg_eq(&mh, &back));
	/* With the care-of address in the pseudo-header it would not verify. */
	ph.src = in6addr_loopback;
	ck_assert_int_eq(mh_parse(got + v.upper.off, v.upper.len, &ph, &back, NULL), M6E_CKSUM);

	/* A short buffer: counted as truncated. */
	ck_assert_int_eq(mip6sock_send_burst(tx, &m, 1, &failed), 1);
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	r = (struct mip6sock_msg){ .buf = got, .cap = 8 };
	ck_assert_int_eq(mip6sock_recv_burst(rx, &r, 1), 1);
	ck_assert(r.truncated);
	ck_assert_uint_eq(mip6sock_stats(rx)->rx_trunc, 1);
	/* Nothing more waiting: 0, not an error. */
	ck_assert_int_eq(mip6sock_recv_burst(rx, &r, 1), 0);
	mip6sock_close(rx);
	mip6sock_close(tx);
}
END_TEST

/*
 * The ICMPv6 receiver with a filter: an Echo Request to ::1 (and the Echo
 * Reply the kernel answers with) are not delivered, a Parameter Problem is.
 */
START_TEST(sock_icmp6_filter)
{
	struct mip6sock *tx = open_or_perm(MIP6SOCK_TX, NULL);
	if (!tx)
		return;
	struct mip6sock *rx = open_or_perm(MIP6SOCK_RX_ICMP6, &in6addr_loopback);
	const uint8_t pass[] = { 4 }; /* Parameter Problem */
	ck_assert_int_eq(mip6sock_icmp6_filter(tx, pass, 1), M6E_INVAL);
	ck_assert_int_eq(mip6sock_icmp6_filter(rx, pass, 1), 0);
	/* Echo Request id 1 seq 1, then a Parameter Problem code 2 pointer 46. */
	uint8_t echo[8] = { 128, 0, 0, 0, 0, 1, 0, 1 }, pp[8] = { 4, 2, 0, 0, 0, 0, 0, 46 };
	uint8_t pkt[2][64], got[128];
	struct mip6sock_msg m[2];
	const uint8_t *msgs[2] = { echo, pp };
	for (size_t i = 0; i < 2; i++) {
		struct wbuf w;
		struct ip6_pkt_spec spec = { .src = in6addr_loopback, .dst = in6addr_loopback,
					     .proto = IP6_NH_ICMPV6 };
		wbuf_init(&w, pkt[i], sizeof(pkt[i]));
		ck_assert_int_eq(ip6_build_packet(&w, &spec, msgs[i], 8), 0);
		m[i] = (struct mip6sock_msg){ .buf = pkt[i], .len = wbuf_len(&w), .dst = in6addr_loopback };
	}
	size_t failed;
	ck_assert_int_eq(mip6sock_send_burst(tx, m, 2, &failed), 2);
	struct pollfd p = { .fd = mip6sock_fd(rx), .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	struct mip6sock_msg r[4];
	for (size_t i = 0; i < 4; i++)
		r[i] = (struct mip6sock_msg){ .buf = got, .cap = sizeof(got) };
	/* Give the kernel's Echo Reply time to arrive if it were to pass. */
	poll(NULL, 0, 100);
	ck_assert_int_eq(mip6sock_recv_burst(rx, r, 4), 1);
	tu_assert_mem_eq(got, r[0].len, pkt[1] + IP6_HDR_LEN, 8);
	mip6sock_close(rx);
	mip6sock_close(tx);
}
END_TEST

static Suite *mip6io_suite(void)
{
	Suite *s = suite_create("mip6io");
	TCase *tc = tcase_create("nft");
	tcase_add_test(tc, nft_offsets_match_kernel_errors);
	tcase_add_test(tc, nft_offsets_match_builder);
	tcase_add_test(tc, nft_script_text);
	tcase_add_loop_test(tc, nft_bad_table_refused, 0, sizeof(bad_tables) / sizeof(bad_tables[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("nft-run");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_add_loop_test(tc, nft_run_outcomes, 0, sizeof(run_cases) / sizeof(run_cases[0]));
	tcase_add_test(tc, nft_program_missing);
	tcase_add_test(tc, nft_with_kstate);
	suite_add_tcase(s, tc);
	tc = tcase_create("sock");
	tcase_add_test(tc, sock_kinds);
	tcase_add_loop_test(tc, sock_tx_refuses_bad_packets, 0, sizeof(tx_bad_cases) / sizeof(tx_bad_cases[0]));
	tcase_add_test(tc, sock_loopback_hao);
	tcase_add_test(tc, sock_icmp6_filter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(mip6io_suite());
}
