/*
 * ike_load: IKE_SA setups per second against one responder, with
 * src/ike/ikesa engines as initiators (bench/ike.sh; docs/BENCHMARKS.md).
 *
 * --concurrency slots each run one IKE SA at a time: IKE_SA_INIT, IKE_AUTH
 * (PSK, with the first CHILD_SA unless --childless), then with --delete an
 * INFORMATIONAL Delete(IKE) (R7296-1.4.1) so the responder's table stays at
 * the concurrency; without it our side forgets the SA at once and the
 * responder keeps it. A setup counts when IKE_AUTH completed (and its
 * CHILD_SA came up, unless --childless); its latency runs from the
 * IKE_SA_INIT request to that point. The slot starts the next SA when the
 * previous one is gone.
 *
 * All slots share one address and one UDP socket pair (500 and 4500):
 * replies are matched to a slot by SPIi. The engine keeps the path it was
 * created on, so the float is done here as tests/interop/ike_probe does:
 * once a NAT was detected (charon with kernel-libipsec always fakes one)
 * everything after IKE_SA_INIT goes from 4500 to the peer's 4500 with the
 * Non-ESP marker (R7296-2.23, RFC 3948 2.2).
 *
 * Output, one line of key=value for bench/ike.sh:
 *   ike_load setups=N elapsed_s=.. rate=../s p50_ms=.. p99_ms=.. failed=N
 *            child_failed=N timeouts=N retransmits=N cpu_us_per_setup=..
 * plus a line per failure reason. Exit 0 when at least one setup completed
 * and none failed, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "ike_bench.h"

struct load;

/* One initiator at a time; the slot outlives its SAs. */
struct slot {
	struct load *ld;
	struct ikesa *sa;
	uint64_t spi_i;          /* key in load.by_spi while sa is set */
	uint64_t started_us;
	bool floated;            /* this SA moved to 4500 */
	bool counted;            /* its setup was counted (or failed) */
	bool child_up, child_failed, down;
	bool more_asked;         /* CREATE_CHILD_SA for the next child sent */
	unsigned children;       /* child_up reports */
	enum ikesa_down why;
};

struct load {
	struct ikeb_opts o;       /* address, ports, PSK, ids, suites, selectors */
	int fd_ike, fd_natt;
	struct in6_addr remote;
	uint16_t peer_port, peer_natt_port;
	bool childless, delete_after;
	unsigned want_children;   /* --children: 2 adds one by CREATE_CHILD_SA */
	uint64_t count;           /* setups to start (0: until --seconds) */
	uint64_t stop_start_us;   /* no new setup after this */
	uint64_t setup_timeout_us;
	struct slot *slots;
	size_t n_slots;
	struct ikeb_map by_spi;
	/* results */
	uint64_t started, setups, failed, child_failed, timeouts, retransmits;
	uint64_t fail_why[IKESA_DOWN_COUNT];
	uint64_t first_us, last_done_us;
	struct ikeb_lat lat;
};

static void die(const char *what)
{
	fprintf(stderr, "ike_load: %s\n", what);
	exit(2);
}

/* ---- engine callbacks ---------------------------------------------------- */

static int load_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct slot *s = arg;
	struct load *ld = s->ld;
	bool init = ikeb_hdr_exch(msg) == IKE_EXCH_SA_INIT;
	if (!s->floated && !init && s->sa != NULL && (ikesa_nat_local(s->sa) || ikesa_nat_remote(s->sa)))
		s->floated = true;
	if (s->floated && !init)
		return ikeb_send(ld->fd_natt, true, msg, len, &path->remote, ld->peer_natt_port);
	return ikeb_send(ld->fd_ike, false, msg, len, &path->remote, path->remote_port);
}

static const uint8_t *load_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct slot *s = arg;
	if (!ikeb_id_equal(id, &s->ld->o.params.remote_id))
		return NULL;
	*len = s->ld->o.psk_len;
	return s->ld->o.psk;
}

static void load_child_up(void *arg, const struct ikesa_child *c)
{
	(void)c;
	((struct slot *)arg)->child_up = true;
	((struct slot *)arg)->children++;
}

static void load_child_failed(void *arg, const struct ikesa *sa, uint16_t notify)
{
	(void)sa;
	(void)notify;
	((struct slot *)arg)->child_failed = true;
}

static void load_ike_down(void *arg, const struct ikesa *sa, enum ikesa_down why)
{
	struct slot *s = arg;
	(void)sa;
	s->down = true;
	s->why = why;
}

static const struct ikesa_ops load_ops = {
	.send = load_send,
	.random = ikeb_random,
	.psk_for = load_psk_for,
	.ike_down = load_ike_down,
	.child_up = load_child_up,
	.child_failed = load_child_failed,
};

/* ---- slots --------------------------------------------------------------- */

static bool may_start(const struct load *ld, uint64_t now_us)
{
	return ld->count != 0 ? ld->started < ld->count : now_us < ld->stop_start_us;
}

static void slot_start(struct slot *s, uint64_t now_us)
{
	struct load *ld = s->ld;
	if (!may_start(ld, now_us))
		return;
	struct ikesa_path path = { .local = ld->o.local, .remote = ld->remote, .local_port = ld->o.port,
				   .remote_port = ld->peer_port };
	s->floated = s->counted = s->child_up = s->child_failed = s->down = s->more_asked = false;
	s->children = 0;
	s->why = IKESA_DOWN_NONE;
	if (ikesa_new_initiator(&s->sa, &ld->o.params, &load_ops, s, &path) != 0)
		die("ikesa_new_initiator failed");
	s->started_us = now_us;
	if (ikesa_start(s->sa, now_us / 1000u) != 0)
		die("ikesa_start failed");
	s->spi_i = ikesa_spi_i(s->sa);
	if (ikeb_map_put(&ld->by_spi, s->spi_i, s) != 0)
		die("SPI map");
	ld->started++;
}

static void slot_free(struct slot *s)
{
	struct load *ld = s->ld;
	ld->retransmits += ikesa_stats(s->sa)->retransmits;
	ikeb_map_del(&ld->by_spi, s->spi_i);
	ikesa_free(s->sa);
	s->sa = NULL;
}

static void count_failure(struct load *ld, struct slot *s, enum ikesa_down why)
{
	s->counted = true;
	ld->failed++;
	ld->fail_why[why]++;
}

/* After every engine call on s: count what happened, delete or free, and
 * refill the slot. Callbacks only set flags (they must not free the SA). */
static void slot_after(struct slot *s, uint64_t now_us)
{
	struct load *ld = s->ld;
	if (s->sa == NULL)
		return;
	enum ikesa_state st = ikesa_state(s->sa);
	if (!s->counted && st == IKESA_ESTABLISHED && !ld->childless && !s->child_failed && s->child_up &&
	    s->children < ld->want_children) {
		if (s->more_asked)
			return; /* its answer is outstanding */
		struct ikesa_child_req req = { .tsi = ld->o.params.tsi, .tsr = ld->o.params.tsr };
		s->more_asked = true;
		if (ikesa_create_child(s->sa, &req, now_us / 1000u) != 0)
			s->child_failed = true;
		else
			return;
	}
	if (!s->counted && st == IKESA_ESTABLISHED &&
	    (ld->childless || s->child_failed || (s->child_up && s->children >= ld->want_children))) {
		s->counted = true;
		if (s->child_failed) {
			ld->child_failed++;
			ld->failed++;
		} else {
			ld->setups++;
			ld->last_done_us = now_us;
			ikeb_lat_add(&ld->lat, now_us - s->started_us);
		}
		if (ld->delete_after && ikesa_delete(s->sa, now_us / 1000u) == 0)
			return;
		slot_free(s);
		slot_start(s, now_us);
		return;
	}
	if (!s->counted && !s->down && now_us - s->started_us > ld->setup_timeout_us) {
		ld->timeouts++;
		count_failure(ld, s, IKESA_DOWN_TIMEOUT);
		slot_free(s);
		slot_start(s, now_us);
		return;
	}
	if (s->down) {
		if (!s->counted)
			count_failure(ld, s, s->why);
		slot_free(s);
		slot_start(s, now_us);
	}
}

static void on_datagram(struct load *ld, int fd, bool natt)
{
	uint8_t buf[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_MAX + 64];
	for (unsigned burst = 0; burst < 64; burst++) {
		const uint8_t *msg;
		size_t len;
		struct in6_addr from;
		uint16_t port;
		if (ikeb_recv(fd, natt, buf, sizeof(buf), &msg, &len, &from, &port) != 1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		struct slot *s = ikeb_map_get(&ld->by_spi, ikeb_hdr_spi_i(msg));
		if (s == NULL || s->sa == NULL)
			continue;
		if (natt)
			s->floated = true;
		struct ikesa_path path = { .local = ld->o.local, .remote = from,
					   .local_port = natt ? ld->o.natt_port : ld->o.port, .remote_port = port };
		uint64_t now = ikeb_now_us();
		ikesa_input(s->sa, msg, len, &path, now / 1000u);
		slot_after(s, now);
	}
}

/* Timers of every slot; returns the next wake-up (µs). */
static uint64_t run_timers(struct load *ld, uint64_t now_us)
{
	uint64_t next = now_us + 100000u;
	for (size_t i = 0; i < ld->n_slots; i++) {
		struct slot *s = &ld->slots[i];
		if (s->sa == NULL) {
			slot_start(s, now_us);
			if (s->sa == NULL)
				continue;
		}
		uint64_t t = ikesa_next_timeout(s->sa);
		if (t != IKESA_NEVER && t * 1000u <= now_us) {
			ikesa_tick(s->sa, now_us / 1000u);
			slot_after(s, now_us);
			if (s->sa == NULL)
				continue;
			t = ikesa_next_timeout(s->sa);
		}
		if (!s->counted)
			slot_after(s, now_us);
		if (s->sa == NULL)
			continue;
		if (t != IKESA_NEVER && t * 1000u < next)
			next = t * 1000u;
		if (!s->counted && s->started_us + ld->setup_timeout_us < next)
			next = s->started_us + ld->setup_timeout_us;
	}
	return next;
}

static bool busy(const struct load *ld)
{
	for (size_t i = 0; i < ld->n_slots; i++)
		if (ld->slots[i].sa != NULL)
			return true;
	return false;
}

static void report(struct load *ld, uint64_t cpu_us)
{
	double elapsed = ld->last_done_us > ld->first_us ? (double)(ld->last_done_us - ld->first_us) / 1e6 : 0;
	double rate = elapsed > 0 ? (double)ld->setups / elapsed : 0;
	uint64_t p50 = ikeb_lat_pct(&ld->lat, 50), p99 = ikeb_lat_pct(&ld->lat, 99);
	printf("ike_load setups=%llu elapsed_s=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f failed=%llu child_failed=%llu "
	       "timeouts=%llu retransmits=%llu cpu_us_per_setup=%.1f concurrency=%zu child=%d delete=%d\n",
	       (unsigned long long)ld->setups, elapsed, rate, (double)p50 / 1000, (double)p99 / 1000,
	       (unsigned long long)ld->failed, (unsigned long long)ld->child_failed,
	       (unsigned long long)ld->timeouts, (unsigned long long)ld->retransmits,
	       ld->setups != 0 ? (double)cpu_us / (double)ld->setups : 0, ld->n_slots, !ld->childless,
	       ld->delete_after);
	for (unsigned i = 1; i < IKESA_DOWN_COUNT; i++)
		if (ld->fail_why[i] != 0)
			printf("ike_load failure reason=\"%s\" count=%llu\n", ikesa_down_name((enum ikesa_down)i),
			       (unsigned long long)ld->fail_why[i]);
}

static void usage(void)
{
	fputs("usage: ike_load --local ADDR --remote ADDR --psk PSK|0xHEX --local-id ID --remote-id ID\n"
	      "  [--ike aes256gcm16-prfsha256-x25519] [--esp aes256gcm16] [--local-ts PFX/LEN] [--remote-ts PFX/LEN]\n"
	      "  [--concurrency 16] [--count N | --seconds S (10)] [--delete] [--childless | --children 1|2]\n"
	      "  [--port 500] [--natt-port 4500] [--peer-port 500] [--peer-natt-port 4500]\n"
	      "  [--setup-timeout MS (5000)] [--verbose]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct load ld;
	unsigned concurrency = 16, seconds = 10, timeout_ms = 5000;
	bool have_remote = false;
	ikeb_opts_init(&ld.o, "fd6f:10::/64", "fd6f:20::/64");
	ld.peer_port = 500;
	ld.peer_natt_port = 4500;
	ld.want_children = 1;
	enum { O_REMOTE = IKEB_O_OWN, O_CONC, O_COUNT, O_SECS, O_DELETE, O_CHILDLESS, O_PPORT, O_PNATT, O_TIMEOUT,
	       O_CHILDREN };
	static const struct option opts[] = {
		IKEB_LONGOPTS,
		{ "remote", required_argument, NULL, O_REMOTE },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "count", required_argument, NULL, O_COUNT },
		{ "seconds", required_argument, NULL, O_SECS },
		{ "delete", no_argument, NULL, O_DELETE },
		{ "childless", no_argument, NULL, O_CHILDLESS },
		{ "peer-port", required_argument, NULL, O_PPORT },
		{ "peer-natt-port", required_argument, NULL, O_PNATT },
		{ "setup-timeout", required_argument, NULL, O_TIMEOUT },
		{ "children", required_argument, NULL, O_CHILDREN },
		{ NULL, 0, NULL, 0 },
	};
	struct ikesa_params *p = &ld.o.params;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int shared = ikeb_opts_apply(&ld.o, c, optarg);
		if (shared < 0)
			usage();
		if (shared == 1)
			continue;
		switch (c) {
		case O_REMOTE:
			have_remote = inet_pton(AF_INET6, optarg, &ld.remote) == 1;
			break;
		case O_CONC:
			concurrency = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case O_CHILDREN:
			ld.want_children = (unsigned)strtoul(optarg, NULL, 10);
			if (ld.want_children < 1 || ld.want_children > 2)
				usage();
			break;
		case O_COUNT:
			ld.count = strtoull(optarg, NULL, 10);
			break;
		case O_SECS:
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case O_DELETE:
			ld.delete_after = true;
			break;
		case O_CHILDLESS:
			ld.childless = true;
			break;
		case O_PPORT:
			ld.peer_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case O_PNATT:
			ld.peer_natt_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case O_TIMEOUT:
			timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (ikeb_opts_finish(&ld.o) != 0 || !have_remote || p->remote_id.len == 0 || concurrency == 0 ||
	    concurrency > 100000 || (ld.count == 0 && seconds == 0))
		usage();
	/* No ESP proposal: IKE_AUTH without SA/TSi/TSr, the engine's childless
	 * form (RFC 6023 1; see docs/BENCHMARKS.md for what it does not announce). */
	if (ld.childless)
		p->n_esp = 0;
	p->tsi.n = p->tsr.n = 1;
	p->tsi.ts[0] = ld.o.local_ts;
	p->tsr.ts[0] = ld.o.remote_ts;
	log_open(LOG_TO_STDERR, ld.o.verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN, ld.o.verbose ? LOG_SUB_ALL : 0,
		 "ike_load");

	ld.fd_ike = ikeb_udp_bind(&ld.o.local, ld.o.port);
	ld.fd_natt = ikeb_udp_bind(&ld.o.local, ld.o.natt_port);
	ld.n_slots = concurrency;
	ld.slots = calloc(concurrency, sizeof(*ld.slots));
	if (ld.slots == NULL || ikeb_map_init(&ld.by_spi, concurrency) != 0 ||
	    ikeb_lat_init(&ld.lat, ld.count != 0 && ld.count < (1u << 22) ? (size_t)ld.count : 1u << 22) != 0)
		die("out of memory");
	ld.setup_timeout_us = (uint64_t)timeout_ms * 1000u;
	for (size_t i = 0; i < ld.n_slots; i++)
		ld.slots[i].ld = &ld;

	uint64_t cpu0 = ikeb_cpu_us();
	ld.first_us = ikeb_now_us();
	ld.stop_start_us = ld.first_us + (uint64_t)seconds * 1000000u;
	/* In-flight setups may finish a setup timeout after the last start. */
	uint64_t hard_end = ld.first_us + (uint64_t)seconds * 1000000u + ld.setup_timeout_us + 2000000u;
	for (size_t i = 0; i < ld.n_slots; i++)
		slot_start(&ld.slots[i], ikeb_now_us());
	for (;;) {
		uint64_t now = ikeb_now_us();
		uint64_t next = run_timers(&ld, now);
		if ((!busy(&ld) && !may_start(&ld, now)) || (ld.count == 0 && now >= hard_end))
			break;
		int wait = next > now ? (int)((next - now + 999) / 1000) : 0;
		struct pollfd pfd[2] = { { .fd = ld.fd_ike, .events = POLLIN }, { .fd = ld.fd_natt, .events = POLLIN } };
		int n = poll(pfd, 2, wait);
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0 && (pfd[0].revents & POLLIN))
			on_datagram(&ld, ld.fd_ike, false);
		if (n > 0 && (pfd[1].revents & POLLIN))
			on_datagram(&ld, ld.fd_natt, true);
	}
	report(&ld, ikeb_cpu_us() - cpu0);
	for (size_t i = 0; i < ld.n_slots; i++)
		if (ld.slots[i].sa != NULL)
			slot_free(&ld.slots[i]);
	free(ld.slots);
	ikeb_map_fini(&ld.by_spi);
	ikeb_lat_fini(&ld.lat);
	close(ld.fd_ike);
	close(ld.fd_natt);
	log_close();
	return ld.setups > 0 && ld.failed == 0 ? 0 : 1;
}
