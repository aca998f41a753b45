/*
 * mip6io_probe: a test driver for io/mip6sock and io/nft, run by
 * tests/netns/mip6io-*.sh until the Mobile IPv6 engines (issue 4) exist.
 *
 *   mip6io_probe send bu|ba|mh|big SRC DST HOME [COUNT]
 *       bu   IPv6(SRC -> DST) DestOpt{HAO=HOME} MH{BU seq 7}      (MN -> HA)
 *       ba   IPv6(SRC -> DST) RH2{HOME} MH{BA status 0 seq 7}     (HA -> MN)
 *       mh   IPv6(SRC -> DST) MH{BU seq 7}, no extension header
 *       big  IPv6(SRC -> DST) DestOpt{HAO=HOME} 2000 octets of No Next Header
 *     built with src/wire (checksums with the home address, R6275-6.1.1.d)
 *     and sent COUNT times (default 1) through the IPPROTO_RAW socket.
 *     Prints "sent N failed F too_big T no_route R bad B".
 *   mip6io_probe recv dstopt|rh|mh|icmp6 COUNT SECONDS [--nft STATEDIR] [--hold]
 *     Opens the raw receiver (icmp6: ICMPv6 errors only, ICMP6_FILTER;
 *     with --nft first journals and installs the
 *     Parameter Problem table through io/kstate), prints "ready", then one
 *     line per packet: addresses and hop limit from the control messages,
 *     and what exthdr_parse (raw mode) and mh_parse (checksum verified)
 *     found. Exits 0 after COUNT packets, 1 on timeout; --hold then waits
 *     to be killed (the crash test), at most until SECONDS have passed.
 *     The table is removed on exit.
 *   mip6io_probe recover STATEDIR
 *     kstate recovery with the nft kernel side: undoes what a killed probe
 *     left. Prints "recovered undone U gone G failed F bad B".
 *   mip6io_probe script
 *     Prints the nft script (docs).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "io/kstate.h"
#include "io/mip6sock.h"
#include "io/nft.h"
#include "wire/exthdr.h"
#include "wire/icmp6.h"
#include "wire/ip6.h"
#include "wire/mh.h"

#define PROBE_BUF 4096
#define PROBE_BIG 2000

static volatile sig_atomic_t probe_stop;

static void probe_on_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: mip6io_probe send bu|ba|mh|big SRC DST HOME [COUNT]\n"
			"       mip6io_probe recv dstopt|rh|mh|icmp6 COUNT SECONDS [--nft STATEDIR] [--hold]\n"
			"       mip6io_probe recover STATEDIR\n"
			"       mip6io_probe script\n");
	return 2;
}

static int parse_addr(const char *s, struct in6_addr *a)
{
	if (addr_parse(s, a) != 0) {
		fprintf(stderr, "bad address %s\n", s);
		return -1;
	}
	return 0;
}

/* Build one packet of shape into buf; returns its length or < 0. */
static int probe_build(const char *shape, const struct in6_addr *src, const struct in6_addr *dst,
		       const struct in6_addr *home, uint8_t *buf, size_t cap)
{
	uint8_t upper[PROBE_BIG];
	struct wbuf w;
	struct mh_msg m;
	struct ip6_pkt_spec spec = { .src = *src, .dst = *dst, .proto = IP6_NH_MH };
	size_t ulen;
	memset(&m, 0, sizeof(m));
	if (strcmp(shape, "bu") == 0 || strcmp(shape, "mh") == 0) {
		m.type = MH_TYPE_BU;
		m.u.bu = (struct mh_bu){ .seq = 7, .flags = MH_BU_F_A | MH_BU_F_H, .lifetime = 100 };
		spec.hao = shape[0] == 'b' ? home : NULL;
	} else if (strcmp(shape, "ba") == 0) {
		m.type = MH_TYPE_BA;
		m.u.ba = (struct mh_ba){ .status = 0, .seq = 7, .lifetime = 100 };
		spec.rh2 = home;
	} else if (strcmp(shape, "big") == 0) {
		memset(upper, 0x5a, sizeof(upper));
		spec.proto = IP6_NH_NONE;
		spec.hao = home;
		ulen = sizeof(upper);
		goto whole;
	} else {
		return M6E_INVAL;
	}
	/* ip6_build_packet computes the checksum with the pseudo-header
	 * addresses of the finished packet (home address with HAO / RH2). */
	wbuf_init(&w, upper, sizeof(upper));
	int rc = mh_build(&w, &m, NULL, NULL);
	if (rc != 0)
		return rc;
	ulen = wbuf_len(&w);
whole:
	wbuf_init(&w, buf, cap);
	rc = ip6_build_packet(&w, &spec, upper, ulen);
	return rc != 0 ? rc : (int)wbuf_len(&w);
}

static int probe_send(int argc, char **argv)
{
	struct in6_addr src, dst, home;
	uint8_t buf[PROBE_BUF];
	char err[256];
	struct mip6sock *s;
	if (argc < 6 || parse_addr(argv[3], &src) || parse_addr(argv[4], &dst) || parse_addr(argv[5], &home))
		return usage();
	int count = argc > 6 ? atoi(argv[6]) : 1;
	int len = probe_build(argv[2], &src, &dst, &home, buf, sizeof(buf));
	if (len < 0) {
		fprintf(stderr, "build %s: %s\n", argv[2], err_str(len));
		return 1;
	}
	int rc = mip6sock_open(MIP6SOCK_TX, NULL, &s, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return rc == M6E_PERM ? 77 : 1;
	}
	size_t failed_total = 0;
	for (int i = 0; i < count; i++) {
		/* The kernel routes by this address, not by the header. */
		struct mip6sock_msg m = { .buf = buf, .len = (size_t)len, .dst = dst };
		size_t failed;
		mip6sock_send_burst(s, &m, 1, &failed);
		failed_total += failed;
	}
	const struct mip6sock_stats *st = mip6sock_stats(s);
	printf("sent %llu failed %zu too_big %llu no_route %llu bad %llu\n", (unsigned long long)st->tx,
	       failed_total, (unsigned long long)st->tx_too_big, (unsigned long long)st->tx_no_route,
	       (unsigned long long)st->tx_bad);
	mip6sock_close(s);
	return 0;
}

/* One line about a received packet. */
static void probe_report(enum mip6sock_kind kind, const struct mip6sock_msg *m)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN], h[ADDR_STRLEN];
	struct ip6_view v;
	printf("got kind=%s len=%zu src=%s dst=%s hlim=%d", mip6sock_kind_name(kind), m->len,
	       addr_fmt(&m->src, s, sizeof(s)), addr_fmt(&m->dst, d, sizeof(d)), m->hlim);
	if (m->truncated) {
		printf(" truncated\n");
		return;
	}
	int rc = exthdr_parse((uint8_t)kind, m->buf, m->len, &m->src, &m->dst, &v);
	if (rc != 0) {
		printf(" parse=%s drop=%s\n", err_str(rc), ip6_drop_name(v.drop));
		return;
	}
	printf(" parse=ok");
	if (v.hao.present)
		printf(" hao=%s", addr_fmt(&v.hao.addr, h, sizeof(h)));
	if (v.rh2.present)
		printf(" rh2=%s%s", addr_fmt(&v.rh2.addr, h, sizeof(h)), v.rh2.malformed ? "(malformed)" : "");
	printf(" upper=%s", ip6_nh_name(v.upper.proto));
	if (v.upper.proto == IP6_NH_MH) {
		struct mh_pseudo ph;
		struct mh_msg mh;
		struct mh_diag diag;
		ip6_pseudo_addrs(&v, &ph.src, &ph.dst);
		rc = mh_parse(m->buf + v.upper.off, v.upper.len, &ph, &mh, &diag);
		if (rc == 0)
			printf(" mh=%s seq=%u cksum=ok", mh_type_name(mh.type),
			       mh.type == MH_TYPE_BA ? mh.u.ba.seq : mh.u.bu.seq);
		else
			printf(" mh=error(%s)", mh_reason_name(diag.reason));
	} else if (v.upper.proto == IP6_NH_ICMPV6 && v.upper.len >= 2) {
		printf(" icmp6=%s/%u", icmp6_type_name(m->buf[v.upper.off]), m->buf[v.upper.off + 1]);
	}
	printf("\n");
}

static int probe_kind(const char *s, enum mip6sock_kind *k)
{
	static const struct {
		const char *name;
		enum mip6sock_kind kind;
	} kinds[] = { { "dstopt", MIP6SOCK_RX_DSTOPT }, { "rh", MIP6SOCK_RX_RH },
		      { "mh", MIP6SOCK_RX_MH }, { "icmp6", MIP6SOCK_RX_ICMP6 } };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*k = kinds[i].kind;
			return 0;
		}
	return -1;
}

static int nft_ks_apply(void *arg, const struct kstate_entry *e)
{
	(void)arg;
	return nft_kstate_do(e, true);
}

static int nft_ks_undo(void *arg, const struct kstate_entry *e)
{
	(void)arg;
	return nft_kstate_do(e, false);
}

static const struct kstate_ops nft_ks_ops = { .apply = nft_ks_apply, .undo = nft_ks_undo };

static int probe_recv(int argc, char **argv)
{
	enum mip6sock_kind kind;
	const char *statedir = NULL;
	bool hold = false;
	char err[400];
	if (argc < 5 || probe_kind(argv[2], &kind) != 0)
		return usage();
	int want = atoi(argv[3]), secs = atoi(argv[4]);
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--nft") == 0 && i + 1 < argc)
			statedir = argv[++i];
		else if (strcmp(argv[i], "--hold") == 0)
			hold = true;
		else
			return usage();
	}
	struct kstate *ks = NULL;
	struct mip6sock *s = NULL;
	int rc = mip6sock_open(kind, NULL, &s, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return rc == M6E_PERM ? 77 : 1;
	}
	/* Only errors: Neighbor Discovery must not count as a received packet. */
	static const uint8_t icmp6_pass[] = { 1, 2, 3, 4 };
	if (kind == MIP6SOCK_RX_ICMP6 && (rc = mip6sock_icmp6_filter(s, icmp6_pass, sizeof(icmp6_pass))) != 0) {
		fprintf(stderr, "ICMP6_FILTER: %s\n", err_str(rc));
		goto out;
	}
	if (statedir) {
		struct kstate_recovery rec;
		struct kstate_entry e;
		if ((rc = kstate_open(statedir, &nft_ks_ops, &ks, &rec, err, sizeof(err))) != 0) {
			fprintf(stderr, "kstate: %s\n", err);
			goto out;
		}
		nft_kstate_entry(NFT_TABLE, &e);
		if ((rc = kstate_apply(ks, &e)) != 0) {
			fprintf(stderr, "nft install: %s\n", err_str(rc));
			goto out;
		}
	}
	signal(SIGTERM, probe_on_signal);
	signal(SIGINT, probe_on_signal);
	printf("ready\n");
	fflush(stdout);
	static uint8_t bufs[MIP6SOCK_BURST][PROBE_BUF];
	struct mip6sock_msg msgs[MIP6SOCK_BURST];
	int got = 0;
	time_t end = time(NULL) + secs;
	rc = 1;
	while (!probe_stop && time(NULL) < end) {
		struct pollfd p = { .fd = mip6sock_fd(s), .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			continue;
		for (size_t i = 0; i < MIP6SOCK_BURST; i++)
			msgs[i] = (struct mip6sock_msg){ .buf = bufs[i], .cap = sizeof(bufs[i]) };
		int n = mip6sock_recv_burst(s, msgs, MIP6SOCK_BURST);
		for (int i = 0; i < n && got < want; i++, got++)
			probe_report(kind, &msgs[i]);
		fflush(stdout);
		if (got >= want) {
			rc = 0;
			break;
		}
	}
	/* Bounded like the receive: a test that lost track of us cannot leak us. */
	while (hold && !probe_stop && time(NULL) < end)
		poll(NULL, 0, 100);
out:
	kstate_close(ks);
	mip6sock_close(s);
	return rc;
}

static int probe_recover(int argc, char **argv)
{
	struct kstate_recovery rec;
	struct kstate *ks;
	char err[400];
	if (argc < 3)
		return usage();
	if (kstate_open(argv[2], &nft_ks_ops, &ks, &rec, err, sizeof(err)) != 0) {
		fprintf(stderr, "kstate: %s\n", err);
		return 1;
	}
	printf("recovered undone %u gone %u failed %u bad %u\n", rec.undone, rec.gone, rec.failed, rec.bad_lines);
	kstate_close(ks);
	return 0;
}

int main(int argc, char **argv)
{
	char script[1024];
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "send") == 0)
		return probe_send(argc, argv);
	if (strcmp(argv[1], "recv") == 0)
		return probe_recv(argc, argv);
	if (strcmp(argv[1], "recover") == 0)
		return probe_recover(argc, argv);
	if (strcmp(argv[1], "script") == 0 && nft_script(NFT_TABLE, script, sizeof(script)) > 0) {
		fputs(script, stdout);
		return 0;
	}
	return usage();
}
