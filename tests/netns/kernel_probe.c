/*
 * kernel_probe: a test driver for io/kernel, io/kstate, io/nlmon and the
 * issue-4 parts of io/mip6sock, run by tests/netns/kernel-*.sh.
 *
 *   kernel_probe apply STATEDIR close|crash|hold ENTRY...
 *       Opens the journal in STATEDIR with the real kernel side (a journal
 *       left by a crash is undone first), then journals and applies each
 *       ENTRY, a journal line in quotes ("rule 100 254 any is 0"); a sysctl
 *       is given without its old value ("sysctl PATH NEW"), which is read
 *       here. Prints "applied N" (or "apply LINE: error" and exits 1).
 *       close: undo everything and exit; crash: exit without undoing (the
 *       journal stays, as after kill -9); hold: print "ready" and wait to be
 *       killed (SIGTERM: close).
 *   kernel_probe recover STATEDIR
 *       Undo what a previous run left. Prints
 *       "recovered undone U gone G failed F bad B".
 *   kernel_probe monitor SECONDS [IGNORED_IFNAME|- [STALL_MS]]
 *       nlmon on an event loop: prints "dumped" after the first dump, then
 *       one line per event with a monotonic timestamp in ms:
 *         T link IFINDEX NAME up|down [gone]
 *         T addr add|del IFINDEX ADDR/PLEN scope S flags F pref P valid V
 *         T router add|del IFINDEX GATEWAY
 *       (F: "-" or a comma list of tentative, deprecated, dadfailed; P, V:
 *       seconds or "inf"). Exits after SECONDS, printing the statistics.
 *       STALL_MS: sleep that long in the first event after the dump (the
 *       socket overruns meanwhile if enough happens: "T resync" follows).
 *   kernel_probe send41 SRC DST INNER_SRC INNER_DST [MARK [IFINDEX]]
 *       IPv6(SRC -> DST, Next Header 41) · IPv6(INNER_SRC -> INNER_DST)
 *       · ICMPv6 Echo Request, through the IPPROTO_RAW sender (with SO_MARK
 *       MARK when non-zero, out of IFINDEX when non-zero). Prints "sent N".
 *   kernel_probe recv ipv6|esp|icmp6 COUNT SECONDS [DEVICE]
 *       Opens the raw receiver (icmp6: Parameter Problems only), bound to
 *       DEVICE when given; prints "ready", then per packet:
 *         "pkt src S dst D if I hlim H len L head HEX"
 *       (HEX: the first 8 octets, fewer if shorter). Exits 0 after COUNT,
 *       1 on timeout.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "io/kernel.h"
#include "io/kstate.h"
#include "io/loop.h"
#include "io/mip6sock.h"
#include "io/netlink.h"
#include "io/nlmon.h"
#include "io/timer.h"
#include "wire/ip6.h"

#define PROBE_BUF 2048

static volatile sig_atomic_t probe_stop;

static void probe_on_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kernel_probe apply STATEDIR close|crash|hold ENTRY...\n"
			"       kernel_probe recover STATEDIR\n"
			"       kernel_probe monitor SECONDS [IGNORED_IFNAME|- [STALL_MS]]\n"
			"       kernel_probe send41 SRC DST INNER_SRC INNER_DST [MARK [IFINDEX]]\n"
			"       kernel_probe recv ipv6|esp|icmp6 COUNT SECONDS [DEVICE]\n");
	return 2;
}

static int open_journal(const char *dir, struct io_nl **nl, struct kstate **ks)
{
	struct kstate_ops ops;
	struct kstate_recovery rec;
	char err[256];
	int rc = io_nl_open(nl);
	if (rc != 0) {
		fprintf(stderr, "rtnetlink: %s\n", err_str(rc));
		return 1;
	}
	kernel_kstate_ops(*nl, &ops);
	rc = kstate_open(dir, &ops, ks, &rec, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "kstate: %s\n", err);
		return 1;
	}
	printf("recovered undone %u gone %u failed %u bad %u\n", rec.undone, rec.gone, rec.failed, rec.bad_lines);
	return 0;
}

/* A journal line, or "sysctl PATH NEW" whose old value is read now. */
static int probe_entry(const char *line, struct kstate_entry *e)
{
	char path[KSTATE_SYSCTL_PATH_MAX], value[KSTATE_SYSCTL_VALUE_MAX], extra[2];
	if (sscanf(line, "sysctl %95s %23s %1s", path, value, extra) == 2)
		return kernel_sysctl_entry(e, path, value);
	return kstate_parse_line(line, strlen(line), e, NULL);
}

static int cmd_apply(int argc, char **argv)
{
	struct io_nl *nl;
	struct kstate *ks;
	if (argc < 4)
		return usage();
	const char *mode = argv[3];
	if (open_journal(argv[2], &nl, &ks) != 0)
		return 1;
	int n = 0;
	for (int i = 4; i < argc; i++) {
		struct kstate_entry e;
		int rc = probe_entry(argv[i], &e);
		if (rc == 0)
			rc = kstate_apply(ks, &e);
		if (rc != 0) {
			printf("apply %s: %s\n", argv[i], err_str(rc));
			fflush(stdout);
			kstate_close(ks);
			io_nl_close(nl);
			return 1;
		}
		n++;
	}
	printf("applied %d\n", n);
	fflush(stdout);
	if (strcmp(mode, "crash") == 0)
		_exit(0); /* what kill -9 leaves: kernel state and journal */
	if (strcmp(mode, "hold") == 0) {
		signal(SIGTERM, probe_on_signal);
		signal(SIGINT, probe_on_signal);
		printf("ready\n");
		fflush(stdout);
		while (!probe_stop)
			pause();
	}
	kstate_close(ks);
	io_nl_close(nl);
	printf("closed\n");
	return 0;
}

static int cmd_recover(int argc, char **argv)
{
	struct io_nl *nl;
	struct kstate *ks;
	if (argc != 3)
		return usage();
	if (open_journal(argv[2], &nl, &ks) != 0)
		return 1;
	kstate_close(ks);
	io_nl_close(nl);
	return 0;
}

/* ---- monitor ------------------------------------------------------------ */

static uint64_t t0;
static unsigned stall_ms; /* once, in the first event after the dump */
static bool dumped;

static uint64_t stamp(void)
{
	return clock_mono_ms() - t0;
}

static void maybe_stall(void)
{
	if (!dumped || !stall_ms)
		return;
	printf("%llu stall %u\n", (unsigned long long)stamp(), stall_ms);
	fflush(stdout);
	usleep(stall_ms * 1000u);
	stall_ms = 0;
}

static void mon_link(void *arg, const struct nlmon_link *l)
{
	(void)arg;
	maybe_stall();
	printf("%llu link %u %s %s%s\n", (unsigned long long)stamp(), l->ifindex, l->name[0] ? l->name : "?",
	       l->up ? "up" : "down", l->gone ? " gone" : "");
	fflush(stdout);
}

static void lifetime(uint32_t s, char *buf, size_t len)
{
	if (s == MOVE_LIFETIME_INFINITE)
		snprintf(buf, len, "inf");
	else
		snprintf(buf, len, "%u", (unsigned)s);
}

static void mon_addr(void *arg, bool add, unsigned ifindex, const struct move_addr *a)
{
	char s[ADDR_STRLEN], flags[48] = "", pref[16], valid[16];
	(void)arg;
	maybe_stall();
	if (a->flags & MOVE_AF_TENTATIVE)
		strcat(flags, ",tentative");
	if (a->flags & MOVE_AF_DEPRECATED)
		strcat(flags, ",deprecated");
	if (a->flags & MOVE_AF_DADFAILED)
		strcat(flags, ",dadfailed");
	lifetime(a->preferred_s, pref, sizeof(pref));
	lifetime(a->valid_s, valid, sizeof(valid));
	printf("%llu addr %s %u %s/%u scope %u flags %s pref %s valid %s\n", (unsigned long long)stamp(),
	       add ? "add" : "del", ifindex, addr_fmt(&a->addr, s, sizeof(s)), a->plen, (unsigned)a->scope,
	       flags[0] ? flags + 1 : "-", pref, valid);
	fflush(stdout);
}

static void mon_router(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw)
{
	char s[ADDR_STRLEN];
	(void)arg;
	printf("%llu router %s %u %s\n", (unsigned long long)stamp(), add ? "add" : "del", ifindex,
	       addr_fmt(gw, s, sizeof(s)));
	fflush(stdout);
}

static void mon_resync(void *arg)
{
	(void)arg;
	printf("%llu resync\n", (unsigned long long)stamp());
}

static struct io_loop *mon_loop;

static void mon_shutdown(void *arg, int signo)
{
	(void)arg;
	(void)signo;
	io_loop_stop(mon_loop);
}

static void mon_reload(void *arg)
{
	(void)arg;
}

static void mon_deadline(void *arg)
{
	(void)arg;
	io_loop_stop(mon_loop);
}

static int cmd_monitor(int argc, char **argv)
{
	if (argc < 3 || argc > 5)
		return usage();
	const struct io_loop_ops lops = { .shutdown = mon_shutdown, .reload = mon_reload };
	struct io_timer *deadline;
	struct nlmon *m;
	const struct nlmon_ops ops = { .link = mon_link, .addr = mon_addr, .default_router = mon_router,
				       .resync = mon_resync };
	t0 = clock_mono_ms();
	if (io_loop_new(&lops, NULL, &mon_loop) != 0 || io_timer_new(mon_loop, mon_deadline, NULL, &deadline) != 0)
		return 1;
	int rc = nlmon_new(mon_loop, &ops, NULL, &m);
	if (rc != 0) {
		fprintf(stderr, "nlmon: %s\n", err_str(rc));
		return 1;
	}
	if (argc >= 4 && strcmp(argv[3], "-") != 0 && nlmon_ignore_ifname(m, argv[3]) != 0)
		return usage();
	if (argc == 5)
		stall_ms = (unsigned)strtoul(argv[4], NULL, 10);
	if (nlmon_dump(m) != 0)
		return 1;
	dumped = true;
	printf("%llu dumped\n", (unsigned long long)stamp());
	fflush(stdout);
	io_timer_arm(deadline, (uint64_t)strtoul(argv[2], NULL, 10) * 1000);
	io_loop_run(mon_loop);
	const struct nlmon_stats *st = nlmon_stats(m);
	printf("%llu stats msgs %llu links %llu addrs %llu routers %llu skipped %llu bad %llu overruns %llu "
	       "dumps %llu\n",
	       (unsigned long long)stamp(), (unsigned long long)st->msgs, (unsigned long long)st->links,
	       (unsigned long long)st->addrs, (unsigned long long)st->routers, (unsigned long long)st->skipped,
	       (unsigned long long)st->bad, (unsigned long long)st->overruns, (unsigned long long)st->dumps);
	nlmon_free(m);
	io_timer_free(deadline);
	io_loop_free(mon_loop);
	return 0;
}

/* ---- raw sockets --------------------------------------------------------- */

static int parse_addr_arg(const char *s, struct in6_addr *a)
{
	if (addr_parse(s, a) != 0) {
		fprintf(stderr, "bad address %s\n", s);
		return -1;
	}
	return 0;
}

static int cmd_send41(int argc, char **argv)
{
	struct in6_addr src, dst, isrc, idst;
	uint8_t inner[128], outer[256];
	/* ICMPv6 Echo Request id 0x6d36 seq 1 with 8 octets of data. */
	const uint8_t echo[16] = { 128, 0, 0, 0, 0x6d, 0x36, 0, 1, 'm', 'i', 'p', '6', 's', 'e', 'c', '!' };
	struct wbuf w;
	char err[256];
	if (argc < 6 || argc > 8 || parse_addr_arg(argv[2], &src) || parse_addr_arg(argv[3], &dst) ||
	    parse_addr_arg(argv[4], &isrc) || parse_addr_arg(argv[5], &idst))
		return usage();
	uint32_t mark = argc > 6 ? (uint32_t)strtoul(argv[6], NULL, 0) : 0;
	unsigned ifindex = argc > 7 ? (unsigned)strtoul(argv[7], NULL, 10) : 0;
	struct ip6_pkt_spec in = { .src = isrc, .dst = idst, .proto = 58 };
	wbuf_init(&w, inner, sizeof(inner));
	if (ip6_build_packet(&w, &in, echo, sizeof(echo)) != 0)
		return 1;
	size_t ilen = wbuf_len(&w);
	struct ip6_pkt_spec out = { .src = src, .dst = dst, .proto = 41 };
	wbuf_init(&w, outer, sizeof(outer));
	if (ip6_build_packet(&w, &out, inner, ilen) != 0)
		return 1;
	struct mip6sock *s;
	if (mip6sock_open(MIP6SOCK_TX, NULL, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int rc = mark ? mip6sock_set_mark(s, mark) : 0;
	if (rc != 0) {
		fprintf(stderr, "SO_MARK: %s\n", err_str(rc));
		return 1;
	}
	struct mip6sock_msg msg = { .buf = outer, .len = wbuf_len(&w), .dst = dst, .ifindex = ifindex };
	size_t failed = 0;
	int sent = mip6sock_send_burst(s, &msg, 1, &failed);
	const struct mip6sock_stats *st = mip6sock_stats(s);
	printf("sent %d failed %zu no_route %llu other %llu\n", sent, failed, (unsigned long long)st->tx_no_route,
	       (unsigned long long)st->tx_other);
	mip6sock_close(s);
	return sent == 1 ? 0 : 1;
}

static int cmd_recv(int argc, char **argv)
{
	enum mip6sock_kind kind;
	char err[256], a[ADDR_STRLEN], b[ADDR_STRLEN];
	if (argc < 5 || argc > 6)
		return usage();
	if (strcmp(argv[2], "ipv6") == 0)
		kind = MIP6SOCK_RX_IPV6;
	else if (strcmp(argv[2], "esp") == 0)
		kind = MIP6SOCK_RX_ESP;
	else if (strcmp(argv[2], "icmp6") == 0)
		kind = MIP6SOCK_RX_ICMP6;
	else
		return usage();
	long want = strtol(argv[3], NULL, 10), got = 0;
	uint64_t until = clock_mono_ms() + (uint64_t)strtoul(argv[4], NULL, 10) * 1000;
	struct mip6sock *s;
	if (mip6sock_open(kind, NULL, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (kind == MIP6SOCK_RX_ICMP6) {
		const uint8_t pp = 4; /* Parameter Problem */
		mip6sock_icmp6_filter(s, &pp, 1);
	}
	if (argc == 6) {
		int rc = mip6sock_bind_dev(s, argv[5]);
		if (rc != 0) {
			fprintf(stderr, "SO_BINDTODEVICE %s: %s\n", argv[5], err_str(rc));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	static uint8_t bufs[MIP6SOCK_BURST][PROBE_BUF];
	struct mip6sock_msg msgs[MIP6SOCK_BURST];
	while (got < want) {
		uint64_t now = clock_mono_ms();
		if (now >= until)
			break;
		struct pollfd p = { .fd = mip6sock_fd(s), .events = POLLIN };
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		for (size_t i = 0; i < MIP6SOCK_BURST; i++)
			msgs[i] = (struct mip6sock_msg){ .buf = bufs[i], .cap = PROBE_BUF };
		int n = mip6sock_recv_burst(s, msgs, MIP6SOCK_BURST);
		for (int i = 0; i < n && got < want; i++, got++) {
			const struct mip6sock_msg *m = &msgs[i];
			char head[17] = "";
			for (size_t k = 0; k < 8 && k < m->len; k++)
				snprintf(head + 2 * k, 3, "%02x", m->buf[k]);
			printf("pkt src %s dst %s if %u hlim %d len %zu head %s\n", addr_fmt(&m->src, a, sizeof(a)),
			       addr_fmt(&m->dst, b, sizeof(b)), m->ifindex, m->hlim, m->len, head);
			fflush(stdout);
		}
	}
	mip6sock_close(s);
	return got >= want ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "apply") == 0)
		return cmd_apply(argc, argv);
	if (strcmp(argv[1], "recover") == 0)
		return cmd_recover(argc, argv);
	if (strcmp(argv[1], "monitor") == 0)
		return cmd_monitor(argc, argv);
	if (strcmp(argv[1], "send41") == 0)
		return cmd_send41(argc, argv);
	if (strcmp(argv[1], "recv") == 0)
		return cmd_recv(argc, argv);
	return usage();
}
