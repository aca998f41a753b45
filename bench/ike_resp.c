/*
 * ike_resp: mip6sec's IKEv2 responder on UDP sockets for bench/ike.sh, the
 * part of the daemon's future adapter (src/ike/ikeio.c, docs/IKE.md) that a
 * setup rate depends on: the src/ike/ikesa engine behind ikesa_accept() and
 * its gate, the SA table by SPIs, the half-open count, the engine's timers,
 * and each CHILD_SA's two ESP SAs installed in a SAD (sa_new + sad_add, as
 * the daemon installs them; no SPD entry, no TUN).
 *
 * Lookup (docs/IKE.md): a message with SPIr 0 is an IKE_SA_INIT request;
 * it goes to the SA of (SPIi, peer address, port) if there is one (a
 * retransmission) and to ikesa_accept() otherwise. Everything else goes to
 * the SA of its SPIr, which we drew. The float (R7296-2.23): once a peer
 * used 4500 for an SA, its answers go from 4500 to that port with the
 * Non-ESP marker. CLOSED SAs are freed after the engine call returns.
 *
 * Timers: every SA's ikesa_next_timeout() is checked on a scan every
 * RESP_SCAN_MS (retransmissions of our requests, the half-open expiry); the
 * cookie secret rotates every RESP_ROTATE_MS. A bench tool: plain poll().
 *
 * Runs until SIGTERM/SIGINT (or --seconds), then prints one line:
 *   ike_resp accepted=N established=N children=N deleted=N closed=N live=N
 *            half_open=N sad=N stateless=N cpu_us=N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "ike_bench.h"

#define RESP_SCAN_MS 50u
#define RESP_ROTATE_MS 120000u
#define RESP_POOL_CHUNK 256u

struct resp;

/* One responder IKE SA and what the adapter keeps beside it. */
struct resp_sa {
	struct resp *srv;
	struct ikesa *sa;
	uint64_t spi_r, peer_key;
	struct in6_addr peer;
	uint16_t peer_natt_port;
	bool floated, half_open, has_child;
	uint32_t child_in, child_out;
	struct resp_sa *prev, *next;   /* live list (timer scan); next: free list */
};

struct resp {
	struct ikeb_opts o;            /* address, ports, PSK, ids, suites, policy selectors */
	int fd_ike, fd_natt;
	bool any_id;
	struct ikesa_gate *gate;
	struct resp_sa gate_arg;       /* ops arg of the stateless answers */
	struct ikeb_map by_spi_r, by_peer;
	struct sad *sad;
	struct resp_sa *live, *free_list;
	struct resp_sa **chunks;       /* the pool's allocations, freed at exit */
	size_t n_chunks;
	uint32_t half_open;
	uint64_t n_live, accepted, established, children, deleted, closed, stateless, child_errors;
	uint64_t now_ms;               /* of the engine call in progress */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "ike_resp: %s\n", what);
	exit(2);
}

/* ---- entries ------------------------------------------------------------- */

static struct resp_sa *entry_get(struct resp *srv)
{
	if (srv->free_list == NULL) {
		/* Pool grows a chunk at a time, never per datagram. */
		struct resp_sa *chunk = calloc(RESP_POOL_CHUNK, sizeof(*chunk));
		struct resp_sa **list = realloc(srv->chunks, (srv->n_chunks + 1) * sizeof(*list));
		if (list != NULL)
			srv->chunks = list;
		if (chunk == NULL || list == NULL) {
			free(chunk);
			return NULL;
		}
		srv->chunks[srv->n_chunks++] = chunk;
		for (unsigned i = 0; i < RESP_POOL_CHUNK; i++) {
			chunk[i].next = srv->free_list;
			srv->free_list = &chunk[i];
		}
	}
	struct resp_sa *e = srv->free_list;
	srv->free_list = e->next;
	memset(e, 0, sizeof(*e));
	e->srv = srv;
	return e;
}

static void entry_put(struct resp *srv, struct resp_sa *e)
{
	e->sa = NULL;
	e->next = srv->free_list;
	srv->free_list = e;
}

static void entry_link(struct resp *srv, struct resp_sa *e)
{
	e->prev = NULL;
	e->next = srv->live;
	if (srv->live != NULL)
		srv->live->prev = e;
	srv->live = e;
	srv->n_live++;
}

static void entry_unlink(struct resp *srv, struct resp_sa *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		srv->live = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	srv->n_live--;
}

static void child_drop(struct resp_sa *e)
{
	if (!e->has_child)
		return;
	ikeb_child_remove(e->srv->sad, e->child_in, e->child_out);
	e->has_child = false;
}

/* After every engine call on e: a CLOSED SA is freed here, never inside a
 * callback (ikesa.h ownership). */
static void entry_after(struct resp_sa *e)
{
	struct resp *srv = e->srv;
	if (ikesa_state(e->sa) != IKESA_CLOSED)
		return;
	child_drop(e);
	ikeb_map_del(&srv->by_spi_r, e->spi_r);
	ikeb_map_del(&srv->by_peer, e->peer_key);
	ikesa_free(e->sa);
	entry_unlink(srv, e);
	entry_put(srv, e);
}

/* ---- engine callbacks ---------------------------------------------------- */

static int resp_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct resp_sa *e = arg;
	struct resp *srv = e->srv;
	if (e->floated)
		return ikeb_send(srv->fd_natt, true, msg, len, &e->peer, e->peer_natt_port);
	bool natt = path->local_port == srv->o.natt_port;
	return ikeb_send(natt ? srv->fd_natt : srv->fd_ike, natt, msg, len, &path->remote, path->remote_port);
}

static const uint8_t *resp_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct resp *srv = ((struct resp_sa *)arg)->srv;
	if (!srv->any_id && !ikeb_id_equal(id, &srv->o.params.remote_id))
		return NULL;
	*len = srv->o.psk_len;
	return srv->o.psk;
}

static bool ts_contains(const struct ike_ts *outer, const struct ike_ts *inner)
{
	return outer->type == inner->type && (outer->ip_proto == 0 || outer->ip_proto == inner->ip_proto) &&
	       outer->start_port <= inner->start_port && inner->end_port <= outer->end_port &&
	       memcmp(outer->start, inner->start, 16) <= 0 && memcmp(inner->end, outer->end, 16) <= 0;
}

/* One side's selector: the first proposed one inside ours as it is, or
 * ours when it lies inside the proposal (narrowing, R7296-2.9.a). */
static bool pick_ts(const struct ike_ts_list *proposed, const struct ike_ts *ours, struct ike_ts_list *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < proposed->n; i++) {
		if (ts_contains(ours, &proposed->ts[i]))
			out->ts[0] = proposed->ts[i];
		else if (ts_contains(&proposed->ts[i], ours))
			out->ts[0] = *ours;
		else
			continue;
		out->n = 1;
		return true;
	}
	return false;
}

/* The PAD of a bench: every peer may use --remote-ts behind us --local-ts
 * (R3776-4.2.k, RFC 4877 4.4 are the daemon's business); tunnel mode. */
static int resp_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			  const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			  struct ike_ts_list *out_tsr)
{
	struct resp *srv = ((struct resp_sa *)arg)->srv;
	(void)peer;
	*transport = false;
	if (!pick_ts(tsi, &srv->o.remote_ts, out_tsi) || !pick_ts(tsr, &srv->o.local_ts, out_tsr))
		return M6E_PERM;
	return 0;
}

static void leave_half_open(struct resp_sa *e)
{
	if (e->half_open) {
		e->half_open = false;
		e->srv->half_open--;
	}
}

static void resp_ike_up(void *arg, const struct ikesa *sa)
{
	struct resp_sa *e = arg;
	(void)sa;
	leave_half_open(e);
	e->srv->established++;
}

static void resp_ike_down(void *arg, const struct ikesa *sa, enum ikesa_down why)
{
	struct resp_sa *e = arg;
	(void)sa;
	leave_half_open(e);
	if (why == IKESA_DOWN_PEER_DELETE || why == IKESA_DOWN_LOCAL_DELETE)
		e->srv->deleted++;
	else
		e->srv->closed++;
	child_drop(e);
}

static void resp_child_up(void *arg, const struct ikesa_child *c)
{
	struct resp_sa *e = arg;
	child_drop(e); /* one CHILD_SA per IKE SA in this engine */
	if (ikeb_child_install(e->srv->sad, c, 0, e->srv->now_ms) != 0) {
		e->srv->child_errors++;
		return;
	}
	e->has_child = true;
	e->child_in = c->spi_in;
	e->child_out = c->spi_out;
	e->srv->children++;
}

static void resp_child_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct resp_sa *e = arg;
	(void)sa;
	if (e->has_child && e->child_in == spi_in && e->child_out == spi_out)
		child_drop(e);
}

static const struct ikesa_ops resp_ops = {
	.send = resp_send,
	.random = ikeb_random,
	.psk_for = resp_psk_for,
	.ts_policy = resp_ts_policy,
	.ike_up = resp_ike_up,
	.ike_down = resp_ike_down,
	.child_up = resp_child_up,
	.child_down = resp_child_down,
};

/* ---- datagrams ----------------------------------------------------------- */

static void on_init_request(struct resp *srv, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	uint64_t key = ikeb_peer_key(ikeb_hdr_spi_i(msg), &path->remote, path->remote_port);
	struct resp_sa *e = ikeb_map_get(&srv->by_peer, key);
	if (e != NULL) { /* a retransmitted IKE_SA_INIT request */
		ikesa_input(e->sa, msg, len, path, srv->now_ms);
		entry_after(e);
		return;
	}
	e = entry_get(srv);
	if (e == NULL)
		return;
	int rc = ikesa_accept(srv->gate, &srv->o.params, &resp_ops, e, srv->half_open, msg, len, path, srv->now_ms,
			      &e->sa);
	if (rc != 0 || e->sa == NULL) {
		if (rc == M6E_AGAIN)
			srv->stateless++;
		entry_put(srv, e);
		return;
	}
	e->spi_r = ikesa_spi_r(e->sa);
	e->peer_key = key;
	e->peer = path->remote;
	e->half_open = true;
	srv->half_open++;
	srv->accepted++;
	entry_link(srv, e);
	if (ikeb_map_put(&srv->by_spi_r, e->spi_r, e) != 0 || ikeb_map_put(&srv->by_peer, key, e) != 0) {
		/* An SPI we drew twice, or no memory: forget the SA, the peer retries. */
		ikeb_map_del(&srv->by_spi_r, e->spi_r);
		leave_half_open(e);
		ikesa_free(e->sa);
		entry_unlink(srv, e);
		entry_put(srv, e);
	}
}

static void on_datagram(struct resp *srv, int fd, bool natt)
{
	uint8_t buf[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_MAX + 64];
	for (unsigned burst = 0; burst < 64; burst++) {
		const uint8_t *msg;
		size_t len;
		struct ikesa_path path = { .local = srv->o.local, .local_port = natt ? srv->o.natt_port : srv->o.port };
		if (ikeb_recv(fd, natt, buf, sizeof(buf), &msg, &len, &path.remote, &path.remote_port) != 1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;
		}
		srv->now_ms = ikeb_now_ms();
		uint64_t spi_r = ikeb_hdr_spi_r(msg);
		if (spi_r == 0) {
			if (ikeb_hdr_exch(msg) == IKE_EXCH_SA_INIT)
				on_init_request(srv, msg, len, &path);
			continue;
		}
		struct resp_sa *e = ikeb_map_get(&srv->by_spi_r, spi_r);
		if (e == NULL || memcmp(&e->peer, &path.remote, sizeof(e->peer)) != 0)
			continue;
		if (natt) {
			e->floated = true;
			e->peer_natt_port = path.remote_port;
		}
		ikesa_input(e->sa, msg, len, &path, srv->now_ms);
		entry_after(e);
	}
}

/* The engine's timers; returns when the next one is due (ms). */
static uint64_t run_timers(struct resp *srv, uint64_t now_ms)
{
	uint64_t next = now_ms + RESP_SCAN_MS;
	srv->now_ms = now_ms;
	for (struct resp_sa *e = srv->live, *nx; e != NULL; e = nx) {
		nx = e->next;
		uint64_t t = ikesa_next_timeout(e->sa);
		if (t <= now_ms) {
			ikesa_tick(e->sa, now_ms);
			entry_after(e);
		} else if (t < next) {
			next = t;
		}
	}
	return next;
}

static void usage(void)
{
	fputs("usage: ike_resp --local ADDR --psk PSK|0xHEX --local-id ID (--remote-id ID | --any-id)\n"
	      "  [--ike aes256gcm16-prfsha256-x25519 ...] [--esp aes256gcm16 ...]\n"
	      "  [--local-ts fd6f:20::/64] [--remote-ts fd6f:10::/64] [--port 500] [--natt-port 4500]\n"
	      "  [--cookie-threshold N (never)] [--seconds S (until SIGTERM)] [--verbose]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct resp srv;
	unsigned seconds = 0;
	ikeb_opts_init(&srv.o, "fd6f:20::/64", "fd6f:10::/64");
	struct ikesa_params *p = &srv.o.params;
	enum { O_ANY = IKEB_O_OWN, O_COOKIE, O_SECS };
	static const struct option opts[] = {
		IKEB_LONGOPTS,
		{ "any-id", no_argument, NULL, O_ANY },
		{ "cookie-threshold", required_argument, NULL, O_COOKIE },
		{ "seconds", required_argument, NULL, O_SECS },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int shared = ikeb_opts_apply(&srv.o, c, optarg);
		if (shared < 0)
			usage();
		if (shared == 1)
			continue;
		switch (c) {
		case O_ANY:
			srv.any_id = true;
			break;
		case O_COOKIE:
			p->cookie_threshold = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_SECS:
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (ikeb_opts_finish(&srv.o) != 0 || (p->remote_id.len == 0 && !srv.any_id))
		usage();
	log_open(LOG_TO_STDERR, srv.o.verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN, srv.o.verbose ? LOG_SUB_ALL : 0,
		 "ike_resp");

	uint32_t seed;
	ikeb_random(NULL, &seed, sizeof(seed));
	srv.gate_arg.srv = &srv;
	if (ikesa_gate_new(&srv.gate, &resp_ops, &srv.gate_arg) != 0 || sad_new(&srv.sad, seed) != 0 ||
	    ikeb_map_init(&srv.by_spi_r, 1024) != 0 || ikeb_map_init(&srv.by_peer, 1024) != 0)
		die("out of memory");
	srv.fd_ike = ikeb_udp_bind(&srv.o.local, srv.o.port);
	srv.fd_natt = ikeb_udp_bind(&srv.o.local, srv.o.natt_port);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ike_resp ready port=%u natt_port=%u\n", srv.o.port, srv.o.natt_port);
	fflush(stdout);

	uint64_t t0 = ikeb_now_ms(), next_rotate = t0 + RESP_ROTATE_MS, next_timer = t0;
	while (!stop && (seconds == 0 || ikeb_now_ms() < t0 + (uint64_t)seconds * 1000u)) {
		uint64_t now = ikeb_now_ms();
		if (now >= next_timer)
			next_timer = run_timers(&srv, now);
		if (now >= next_rotate) {
			ikesa_gate_rotate(srv.gate);
			next_rotate = now + RESP_ROTATE_MS;
		}
		int wait = next_timer > now ? (int)(next_timer - now) : 0;
		struct pollfd pfd[2] = { { .fd = srv.fd_ike, .events = POLLIN }, { .fd = srv.fd_natt, .events = POLLIN } };
		int n = poll(pfd, 2, wait);
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0 && (pfd[0].revents & POLLIN))
			on_datagram(&srv, srv.fd_ike, false);
		if (n > 0 && (pfd[1].revents & POLLIN))
			on_datagram(&srv, srv.fd_natt, true);
	}
	printf("ike_resp accepted=%llu established=%llu children=%llu deleted=%llu closed=%llu live=%llu "
	       "half_open=%u sad=%zu stateless=%llu child_errors=%llu cpu_us=%llu\n",
	       (unsigned long long)srv.accepted, (unsigned long long)srv.established,
	       (unsigned long long)srv.children, (unsigned long long)srv.deleted, (unsigned long long)srv.closed,
	       (unsigned long long)srv.n_live, srv.half_open, sad_count(srv.sad), (unsigned long long)srv.stateless,
	       (unsigned long long)srv.child_errors, (unsigned long long)ikeb_cpu_us());
	for (struct resp_sa *e = srv.live; e != NULL; e = e->next)
		ikesa_free(e->sa);
	for (size_t i = 0; i < srv.n_chunks; i++)
		free(srv.chunks[i]);
	free(srv.chunks);
	sad_free(srv.sad);
	ikesa_gate_free(srv.gate);
	ikeb_map_fini(&srv.by_spi_r);
	ikeb_map_fini(&srv.by_peer);
	close(srv.fd_ike);
	close(srv.fd_natt);
	log_close();
	return 0;
}
