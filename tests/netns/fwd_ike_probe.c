/*
 * fwd_ike_probe: the data plane of one node with an IKE-keyed tunnel, for
 * tests/netns/tunnel-ike-keys.sh, standing in for the IKE adapter: it
 * builds the db from CONF, serves it with fwd (TUN, ESP raw socket and UDP
 * [local]:4500), and after INSTALL_MS installs one CHILD_SA pair on TUNNEL
 * with ipsecdb_child_install(), as IKE would after IKE_AUTH.
 *
 *   fwd_ike_probe CONF TUNNEL INSTALL_MS RUN_MS SPI_IN SPI_OUT KEYMAT_IN KEYMAT_OUT
 *                 LOCAL REMOTE esp|udp REMOTE_PORT
 *
 * KEYMAT_* are hex, AES-256-GCM-16 (36 octets: key and salt). Prints
 * "ready" once fwd serves, "installed" after the install, one line
 * "ike LEN LOCAL_PORT REMOTE REMOTE_PORT" per IKE message the sink gets
 * (the message's first octets must be "IKETEST"), and on SIGTERM or after
 * RUN_MS the fwd.* counters and the SA counters ("counter fwd.ike_in 1",
 * "sa in packets 3"), then exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/stats.h"
#include "conf/conf.h"
#include "fwd/fwd.h"
#include "io/kernel.h"
#include "io/kstate.h"
#include "io/loop.h"
#include "io/netlink.h"
#include "io/timer.h"
#include "ipsec/ipsecdb.h"

struct probe {
	struct io_loop *loop;
	struct ipsecdb *db;
	const char *tunnel;
	struct ipsecdb_child child;
	uint8_t km_in[64], km_out[64];
};

static void on_shutdown(void *arg, int signo)
{
	struct probe *p = arg;
	(void)signo;
	io_loop_stop(p->loop);
}

static void on_reload(void *arg)
{
	(void)arg;
}

static void on_install(void *arg)
{
	struct probe *p = arg;
	char err[160];
	if (ipsecdb_child_install(p->db, p->tunnel, &p->child, 0, err, sizeof(err)) != 0) {
		printf("install failed: %s\n", err);
		fflush(stdout);
		io_loop_stop(p->loop);
		return;
	}
	printf("installed\n");
	fflush(stdout);
}

static void on_run_end(void *arg)
{
	io_loop_stop(((struct probe *)arg)->loop);
}

static void on_ike(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local, uint16_t local_port,
		   const struct in6_addr *remote, uint16_t remote_port)
{
	char r[ADDR_STRLEN];
	(void)arg;
	(void)local;
	printf("ike %zu %u %s %u %s\n", len, local_port, addr_fmt(remote, r, sizeof(r)), remote_port,
	       len >= 7 && memcmp(msg, "IKETEST", 7) == 0 ? "IKETEST" : "other");
	fflush(stdout);
}

static int hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return M6E_INVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return M6E_INVAL;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void dump_counters(const struct probe *p)
{
	for (const struct stats_counter *c = stats_first(); c; c = c->next)
		if (strcmp(c->group, "fwd") == 0)
			printf("counter fwd.%s %llu\n", c->name, (unsigned long long)c->value);
	struct sa *in, *out;
	if (ipsecdb_child_get(p->db, p->child.spi_in, &in, &out, NULL) == 0)
		printf("sa in packets %llu\nsa out packets %llu\n", (unsigned long long)in->cnt.packets,
		       (unsigned long long)out->cnt.packets);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 13) {
		fprintf(stderr, "usage: %s CONF TUNNEL INSTALL_MS RUN_MS SPI_IN SPI_OUT KEYMAT_IN KEYMAT_OUT LOCAL "
				"REMOTE esp|udp REMOTE_PORT\n", argv[0]);
		return 2;
	}
	struct probe p = { .tunnel = argv[2] };
	struct conf *c = NULL;
	struct conf_error cerr;
	char err[256];
	size_t kl_in, kl_out;
	struct ipsecdb_child *ch = &p.child;
	ch->spi_in = (uint32_t)strtoul(argv[5], NULL, 0);
	ch->spi_out = (uint32_t)strtoul(argv[6], NULL, 0);
	ch->alg = AEAD_AES256_GCM16;
	ch->udp_encap = strcmp(argv[11], "udp") == 0;
	if (hex(argv[7], p.km_in, sizeof(p.km_in), &kl_in) || hex(argv[8], p.km_out, sizeof(p.km_out), &kl_out) ||
	    kl_in != kl_out || addr_parse(argv[9], &ch->local) || addr_parse(argv[10], &ch->remote)) {
		fprintf(stderr, "bad keys or addresses\n");
		return 2;
	}
	ch->keymat_in = p.km_in;
	ch->keymat_out = p.km_out;
	ch->keymat_len = kl_in;
	if (ch->udp_encap) {
		ch->local_port = IPSECDB_NATT_PORT;
		ch->remote_port = (uint16_t)strtoul(argv[12], NULL, 0);
	}
	if (conf_load_file(argv[1], &c, &cerr) != 0) {
		conf_error_format(&cerr, err, sizeof(err));
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_open(LOG_TO_STDERR, LOG_LVL_INFO, 0, "fwd_ike_probe");
	struct io_nl *nl = NULL;
	struct kstate *ks = NULL;
	struct kstate_ops ks_ops;
	struct kstate_recovery rec;
	struct fwd *f = NULL;
	struct io_timer *t_install = NULL, *t_end = NULL;
	struct io_loop_ops lops = { .shutdown = on_shutdown, .reload = on_reload };
	int rc = 1;
	if (io_nl_open(&nl) != 0 || io_loop_new(&lops, &p, &p.loop) != 0) {
		fprintf(stderr, "netlink or loop\n");
		goto out;
	}
	kernel_kstate_ops(nl, &ks_ops);
	if (kstate_open(conf_global(c)->state_dir, &ks_ops, &ks, &rec, err, sizeof(err)) != 0 ||
	    fwd_new(p.loop, nl, ks, &f) != 0 || ipsecdb_build(c, 0, &p.db, err, sizeof(err)) != 0 ||
	    fwd_set_db(f, p.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		goto out;
	}
	fwd_set_ike_sink(f, on_ike, &p);
	if (io_timer_new(p.loop, on_install, &p, &t_install) != 0 || io_timer_new(p.loop, on_run_end, &p, &t_end) != 0 ||
	    io_timer_arm(t_install, strtoull(argv[3], NULL, 0)) != 0 || io_timer_arm(t_end, strtoull(argv[4], NULL, 0)) != 0) {
		fprintf(stderr, "timers\n");
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	if (io_loop_run(p.loop) == 0)
		rc = 0;
	dump_counters(&p);
out:
	io_timer_free(t_install);
	io_timer_free(t_end);
	fwd_free(f);
	ipsecdb_free(p.db);
	kstate_close(ks);
	io_loop_free(p.loop);
	io_nl_close(nl);
	conf_free(c);
	return rc;
}
