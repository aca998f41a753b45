/*
 * mip6sec.conf: schema walker, rules, key files, @include attribution, the
 * shipped examples, the broken-config table and the man page's coverage.
 * Files are found through $top_srcdir (set by `make check`).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "conf/conf.h"
#include "conf/conf_priv.h"
#include "testutil.h"

static const char *srcdir(void)
{
	const char *d = getenv("top_srcdir");
	return d && *d ? d : "..";
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* Load text; on success return the conf, else NULL with *err filled. */
static struct conf *load(const char *text, struct conf_error *err)
{
	struct conf *c = NULL;
	int rc = conf_load_string(text, "t.conf", &c, err);
	ck_assert_int_eq(rc == 0, c != NULL);
	return c;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* --- defaults and the schema table -------------------------------------- */

START_TEST(test_empty_config_defaults)
{
	struct conf_error e;
	struct conf *c = load("", &e);
	ck_assert_ptr_nonnull(c);
	const struct conf_global *g = conf_global(c);
	ck_assert_int_eq(g->log_level, LOG_LVL_NOTICE);
	ck_assert_int_eq(g->log_target, LOG_TO_STDERR);
	ck_assert_uint_eq(g->debug_mask, 0);
	ck_assert_str_eq(g->control_socket, "/run/mip6sec/control.sock");
	ck_assert_str_eq(g->state_dir, "/var/lib/mip6sec");
	ck_assert_uint_eq(conf_roles(c), 0);
	ck_assert_ptr_null(conf_home_agent(c));
	ck_assert_ptr_null(conf_mobile_node(c));
	ck_assert_ptr_null(conf_correspondent(c));
	ck_assert_ptr_null(conf_ike(c));
	/* ipsec exists without its section and carries its defaults. */
	const struct conf_ipsec *ip = conf_ipsec(c);
	ck_assert_uint_eq(ip->replay_window, 64);
	conf_free(c);
	/* ike.esp-proposals: AEAD only by default (RFC 8221 5). */
	c = load("ike = { identity = \"a.example\"; auth = \"psk\"; };", &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	const struct conf_ike *ike = conf_ike(c);
	ck_assert_uint_eq(ike->n_esp_proposals, 2);
	ck_assert_str_eq(ike->esp_proposals[0], "aes256gcm16");
	ck_assert_uint_eq(ike->esp[0].encr, 20); /* ENCR_AES_GCM_16 */
	ck_assert_uint_eq(ike->esp[0].encr_keybits, 256);
	ck_assert_uint_eq(ike->esp[1].encr, 20);
	ck_assert_uint_eq(ike->esp[1].encr_keybits, 128);
	ck_assert_uint_eq(ike->esp[1].integ, 0);
	ck_assert_uint_eq(ike->init_rate_limit, 20); /* the adapter's historic IKEIO_RATE_PER_S */
	conf_free(c);
}
END_TEST

/* ike.init-rate-limit: 0 (no per-address limit) and the top of the range
 * load; one above is rejected. */
START_TEST(test_ike_init_rate_limit)
{
	struct conf_error e;
	struct conf *c = load("ike = { identity = \"a.example\"; auth = \"psk\"; init-rate-limit = 0; };", &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	ck_assert_uint_eq(conf_ike(c)->init_rate_limit, 0);
	conf_free(c);
	c = load("ike = { identity = \"a.example\"; auth = \"psk\"; init-rate-limit = 100000; };", &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	ck_assert_uint_eq(conf_ike(c)->init_rate_limit, 100000);
	conf_free(c);
	c = load("ike = { identity = \"a.example\"; auth = \"psk\"; init-rate-limit = 100001; };", &e);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(e.key, "ike.init-rate-limit");
	ck_assert_msg(strstr(e.msg, "out of range") != NULL, "%s", e.msg);
	c = load("ike = { identity = \"a.example\"; auth = \"psk\"; init-rate-limit = -1; };", &e);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(e.key, "ike.init-rate-limit");
}
END_TEST

/* Every default in the table goes through the parser and is accepted. */
START_TEST(test_schema_defaults_parse)
{
	static char scratch[sizeof(struct conf) + 4096] __attribute__((aligned(16)));
	struct conf_error e;
	struct conf_ctx x = {.err = &e, .name = "<default>"};
	size_t with_default = 0;
	for (size_t i = 0; i < conf_schema_rows; i++) {
		const struct conf_schema_row *r = &conf_schema[i];
		if (!r->dflt)
			continue;
		memset(scratch, 0, sizeof(scratch));
		with_default++;
		ck_assert_msg(r->off + 2048 < sizeof(scratch), "%s", r->path);
		int rc = conf_walk_default(&x, r, scratch, r->path);
		ck_assert_msg(rc == 0, "default of %s: %s", r->path, e.msg);
		ck_assert_msg(!(r->flags & CONF_F_REQ), "%s is required and has a default", r->path);
	}
	ck_assert_uint_gt(with_default, 50);
}
END_TEST

START_TEST(test_schema_info)
{
	size_t n = conf_schema_count();
	ck_assert_uint_gt(n, 100);
	struct conf_schema_info k;
	ck_assert_int_eq(conf_schema_at(n, &k), M6E_RANGE);
	bool found_spi = false;
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(conf_schema_at(i, &k), 0);
		ck_assert_ptr_nonnull(k.doc);
		ck_assert_uint_gt(strlen(k.doc), 5);
		if (strcmp(k.path, "ipsec.manual-sa[].spi") == 0) {
			found_spi = true;
			ck_assert_str_eq(k.range, "256..4294967295");
			ck_assert(k.required);
		}
		if (strcmp(k.path, "ike.request-home-address") == 0)
			ck_assert_str_eq(k.roles, "mobile-node");
		/* paths are unique */
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(conf_schema[j].path, conf_schema[i].path);
	}
	ck_assert(found_spi);
}
END_TEST

/* Every schema key is documented in mip6sec.conf(5). */
START_TEST(test_man_page_lists_every_key)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/man/mip6sec.conf.5", srcdir());
	char *man = slurp(path);
	for (size_t i = 0; i < conf_schema_count(); i++) {
		struct conf_schema_info k;
		ck_assert_int_eq(conf_schema_at(i, &k), 0);
		char needle[256];
		snprintf(needle, sizeof(needle), "\n.B %s\n", k.path);
		ck_assert_msg(strstr(man, needle) != NULL, "%s is not documented in %s", k.path, path);
	}
	free(man);
}
END_TEST

/* --- the shipped files -------------------------------------------------- */

static struct conf *load_shipped(const char *rel, char *out_text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	int rc = conf_check_main(path, out, stderr);
	fclose(out);
	ck_assert_msg(rc == 0, "%s rejected", path);
	snprintf(out_text, len, "%s", buf);
	free(buf);
	struct conf *c = NULL;
	struct conf_error e;
	ck_assert_int_eq(conf_load_file(path, &c, &e), 0);
	return c;
}

START_TEST(test_default_config_valid)
{
	char msg[512];
	struct conf *c = load_shipped("etc/mip6sec.conf", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "configuration valid (roles: none)"));
	ck_assert(strncmp(conf_global(c)->control_socket, "/run/mip6sec/", 13) == 0);
	conf_free(c);
}
END_TEST

START_TEST(test_example_home_agent)
{
	char msg[512];
	struct conf *c = load_shipped("etc/examples/home-agent.conf", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "(roles: home-agent)\n"));
	const struct conf_home_agent *ha = conf_home_agent(c);
	ck_assert_ptr_nonnull(ha);
	struct in6_addr a;
	ck_assert_int_eq(addr_parse("2001:db8:1::1", &a), 0);
	ck_assert(addr_eq(&ha->address, &a));
	ck_assert_uint_eq(ha->n_home_prefixes, 1);
	ck_assert_uint_eq(ha->home_prefixes[0].len, 64);
	ck_assert_uint_eq(ha->n_mobile_nodes, 2);
	ck_assert_str_eq(ha->mobile_nodes[1].identity, "mn2.example.org");
	/* RFC 3776 5.2: BU/BA, HoTI/HoT, MPS/MPA each way, for two MNs. */
	const struct conf_ipsec *ip = conf_ipsec(c);
	ck_assert_uint_eq(ip->n_manual_sas, 12);
	size_t tunnels = 0;
	for (size_t i = 0; i < ip->n_manual_sas; i++) {
		const struct conf_manual_sa *sa = &ip->manual_sas[i];
		ck_assert_uint_ge(sa->spi, 256);
		ck_assert_uint_eq(sa->encryption_key.len, 16);
		ck_assert_uint_eq(sa->integrity_key.len, 32);
		ck_assert_int_eq(sa->encryption, CONF_ENCR_AES_CBC);
		tunnels += sa->mode == CONF_SA_TUNNEL;
		ck_assert_int_eq(sa->mode == CONF_SA_TUNNEL, sa->traffic == CONF_SA_HOTI_HOT);
	}
	ck_assert_uint_eq(tunnels, 4);
	const struct conf_ike *ike = conf_ike(c);
	ck_assert_ptr_nonnull(ike);
	ck_assert_int_eq(ike->auth, CONF_IKE_PSK);
	ck_assert_uint_eq(ike->n_peers, 2);
	ck_assert_uint_eq(ike->peers[0].psk.len, 32);
	ck_assert_uint_eq(ike->n_proposals, 2);
	/* aes256gcm16-prfsha256-ecp256 */
	ck_assert_uint_eq(ike->ike[0].encr, 20);
	ck_assert_uint_eq(ike->ike[0].encr_keybits, 256);
	ck_assert_uint_eq(ike->ike[0].integ, 0);
	ck_assert_uint_eq(ike->ike[0].prf, 5);
	ck_assert_uint_eq(ike->ike[0].n_dh, 1);
	ck_assert_uint_eq(ike->ike[0].dh[0], 19);
	/* aes128-sha256-modp2048: PRF follows the integrity hash */
	ck_assert_uint_eq(ike->ike[1].prf, 5);
	ck_assert_uint_eq(ike->ike[1].dh[0], 14);
	ck_assert(ike->assign_home_prefix);
	conf_free(c);
}
END_TEST

/* The MN example's SAs are the HA's mn1 SAs seen from the other end. */
START_TEST(test_example_mobile_node_matches_home_agent)
{
	char msg[512];
	struct conf *ha = load_shipped("etc/examples/home-agent.conf", msg, sizeof(msg));
	struct conf *mn = load_shipped("etc/examples/mobile-node.conf", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "(roles: mobile-node)\n"));
	const struct conf_mobile_node *m = conf_mobile_node(mn);
	ck_assert(addr_eq(&m->ha_address, &conf_home_agent(ha)->address));
	ck_assert_uint_eq(m->initial_bindack_timeout_first_reg_ms, 1500);
	ck_assert_uint_eq(m->n_correspondents, 1);
	ck_assert_uint_eq(m->correspondents[0].kcn.len, 20);
	const struct conf_ipsec *mi = conf_ipsec(mn), *hi = conf_ipsec(ha);
	ck_assert_uint_eq(mi->n_manual_sas, 6);
	for (size_t i = 0; i < mi->n_manual_sas; i++) {
		const struct conf_manual_sa *s = &mi->manual_sas[i];
		bool matched = false;
		for (size_t j = 0; j < hi->n_manual_sas; j++) {
			const struct conf_manual_sa *h = &hi->manual_sas[j];
			if (h->spi != s->spi || !addr_eq(&h->destination, &s->destination))
				continue;
			matched = true;
			ck_assert_int_ne(h->direction, s->direction);
			ck_assert(addr_eq(&h->source, &s->source));
			tu_assert_mem_eq(h->encryption_key.data, h->encryption_key.len, s->encryption_key.data,
					 s->encryption_key.len);
			tu_assert_mem_eq(h->integrity_key.data, h->integrity_key.len, s->integrity_key.data,
					 s->integrity_key.len);
		}
		ck_assert_msg(matched, "MN SA %s has no HA counterpart", s->name);
	}
	conf_free(ha);
	conf_free(mn);
}
END_TEST

/* The IKE-keyed site examples mirror each other: identities, addresses and
 * prefixes swapped, the same PSK, exactly one end initiates. */
START_TEST(test_example_site_ike_pair)
{
	char msg[512];
	struct conf *a = load_shipped("etc/examples/site-ike-a.conf", msg, sizeof(msg));
	struct conf *b = load_shipped("etc/examples/site-ike-b.conf", msg, sizeof(msg));
	const struct conf_ike *ia = conf_ike(a), *ib = conf_ike(b);
	ck_assert_uint_eq(ia->n_peers, 1);
	ck_assert_uint_eq(ib->n_peers, 1);
	ck_assert_str_eq(ia->peers[0].identity, ib->identity);
	ck_assert_str_eq(ib->peers[0].identity, ia->identity);
	tu_assert_mem_eq(ia->peers[0].psk.data, ia->peers[0].psk.len, ib->peers[0].psk.data, ib->peers[0].psk.len);
	ck_assert(ia->peers[0].initiate != ib->peers[0].initiate);
	ck_assert_uint_eq(ia->esp[0].encr, 20); /* AES-GCM-16 */
	size_t na, nb;
	const struct conf_tunnel *ta = conf_tunnels(a, &na), *tb = conf_tunnels(b, &nb);
	ck_assert_uint_eq(na, 1);
	ck_assert_uint_eq(nb, 1);
	ck_assert_str_eq(ta->ike_peer, ia->peers[0].name);
	ck_assert_str_eq(tb->ike_peer, ib->peers[0].name);
	ck_assert(addr_eq(&ta->local, &tb->remote) && addr_eq(&ta->remote, &tb->local));
	ck_assert(addr_eq(&ta->remote, &ia->peers[0].address));
	ck_assert(ta->local_prefixes[0].len == tb->remote_prefixes[0].len &&
		  addr_eq(&ta->local_prefixes[0].addr, &tb->remote_prefixes[0].addr));
	ck_assert(ta->remote_prefixes[0].len == tb->local_prefixes[0].len &&
		  addr_eq(&ta->remote_prefixes[0].addr, &tb->local_prefixes[0].addr));
	conf_free(a);
	conf_free(b);
}
END_TEST

START_TEST(test_example_correspondent)
{
	char msg[512];
	struct conf *c = load_shipped("etc/examples/correspondent.conf", msg, sizeof(msg));
	ck_assert_ptr_nonnull(strstr(msg, "(roles: correspondent)\n"));
	const struct conf_correspondent *cn = conf_correspondent(c);
	ck_assert_uint_eq(cn->n_peers, 2);
	ck_assert_uint_eq(cn->max_rr_binding_lifetime, 420);
	uint8_t hn[8];
	tu_hex("26f65df187eccd19", hn, sizeof(hn));
	tu_assert_mem_eq(cn->peers[0].home_nonce.data, cn->peers[0].home_nonce.len, hn, sizeof(hn));
	conf_free(c);
}
END_TEST

/* --- broken configs: tests/conf/broken/NAME.conf, first line
 *     "# expect: LINE KEY TEXT" (KEY "-" when the error has none). -------- */

START_TEST(test_broken_table)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/tests/conf/broken", srcdir());
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	struct dirent *de;
	size_t cases = 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 6 || strcmp(de->d_name + nl - 5, ".conf") != 0)
			continue;
		char path[1024], head[256], key[160], want[160] = "";
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(head, sizeof(head), f));
		fclose(f);
		int line = 0, off = 0;
		ck_assert_msg(sscanf(head, "# expect: %d %159s %n", &line, key, &off) >= 2, "%s: bad header", path);
		snprintf(want, sizeof(want), "%s", head + off);
		want[strcspn(want, "\n")] = '\0';
		char *out = NULL, *err = NULL;
		size_t ol = 0, el = 0;
		FILE *fo = open_memstream(&out, &ol), *fe = open_memstream(&err, &el);
		int rc = conf_check_main(path, fo, fe);
		fclose(fo);
		fclose(fe);
		ck_assert_msg(rc == 1, "%s accepted: %s", path, out);
		ck_assert_uint_eq(ol, 0);
		char prefix[1300];
		if (strcmp(key, "-") == 0)
			snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
		else
			snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", path, line, key);
		ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "%s: want \"%s...\", got \"%s\"", de->d_name,
			      prefix, err);
		ck_assert_msg(strstr(err + strlen(prefix), want) != NULL, "%s: message lacks \"%s\": %s", de->d_name,
			      want, err);
		free(out);
		free(err);
		cases++;
	}
	closedir(d);
	ck_assert_uint_ge(cases, 20);
}
END_TEST

/* --- rules, table-driven on small inline configs ------------------------ */

#define HA_BASE                                                                               \
	"home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\";\n"                  \
	"  home-prefixes = [\"2001:db8:1::/64\"];\n"                                           \
	"  mobile-nodes = ( { identity = \"mn1.example.org\"; home-address = \"2001:db8:1::100\"; } ); };\n"
#define MN_BASE                                                                             \
	"mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\";\n" \
	"  ha-address = \"2001:db8:1::1\"; };\n"
#define K16 "000102030405060708090a0b0c0d0e0f"
#define SA_KEYS "encryption-key = \"" K16 "\"; integrity-key = \"" K16 K16 "\";"
/* Two lines: an IKE section with peer "p" at 2001:db8::2. */
#define IKE_BASE                                                                                      \
	"ike = { identity = \"a.example\"; auth = \"psk\";\n"                                              \
	"  peers = ( { name = \"p\"; identity = \"p.example\"; address = \"2001:db8::2\"; psk = \"" K16 "\"; } ); };\n"
#define IKE_TUNNEL(name, remote, extra)                                                               \
	"{ name = \"" name "\"; local = \"2001:db8::1\"; remote = \"" remote "\"; local-prefixes = [\"2001:db8:1::/64\"];" \
	" remote-prefixes = [\"2001:db8:2::/64\"]; ike-peer = \"p\"; " extra " }"

static const struct {
	const char *name;
	const char *text;
	int line;        /* 0: no line */
	const char *key; /* "" for none */
	const char *msg; /* substring */
} bad[] = {
	{"list element not a group", "interfaces = ( \"eth0\" );", 1, "interfaces[0]", "expected a group"},
	{"group given a scalar", "global = 3;", 1, "global", "expected a group"},
	{"array where string", "global = { state-dir = [\"/a\"]; };", 1, "global.state-dir", "expected a string"},
	{"near miss of a section", MN_BASE "mobile-node2 = 1;", 3, "mobile-node2", "did you mean \"mobile-node\""},
	{"unknown top level far from any", "zzz = 1;", 1, "zzz", "unknown key"},
	{"integer for bool", "ike = { identity = \"a.example\"; auth = \"psk\"; mobike = 1; };", 1, "ike.mobike",
	 "expected a boolean"},
	{"string too long", "global = { control-socket = \"/"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "\"; };",
	 1, "global.control-socket", "too long (at most 107"},
	{"interface name with slash", "interfaces = ( { name = \"eth/0\"; } );", 1, "interfaces[0].name",
	 "not an interface name"},
	{"interface twice", "interfaces = ( { name = \"eth0\"; },\n { name = \"eth0\"; } );", 2, "interfaces[1].name",
	 "listed twice"},
	{"mtu below 1280", "interfaces = ( { name = \"eth0\"; mtu = 1000; } );", 1, "interfaces[0].mtu", "1280"},
	{"multicast HA address", "home-agent = { home-link = \"eth0\"; address = \"ff02::1\"; home-prefixes = [\"2001:db8:1::/64\"]; };",
	 1, "home-agent.address", "not a global unicast"},
	{"overlapping home prefixes",
	 "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\";\n"
	 "  home-prefixes = [\"2001:db8:1::/64\", \"2001:db8::/32\"]; };",
	 2, "home-agent.home-prefixes", "overlap"},
	{"too many prefixes",
	 "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = [\"2001:db8:1::/64\","
	 "\"2001:db8:2::/64\",\"2001:db8:3::/64\",\"2001:db8:4::/64\",\"2001:db8:5::/64\",\"2001:db8:6::/64\","
	 "\"2001:db8:7::/64\",\"2001:db8:8::/64\",\"2001:db8:9::/64\"]; };",
	 1, "home-agent.home-prefixes", "9 entries; expected 1..8"},
	{"empty prefixes", "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = []; };", 1,
	 "home-agent.home-prefixes", "0 entries"},
	{"adv intervals inverted",
	 "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = [\"2001:db8:1::/64\"];\n"
	 "  min-mob-pfx-adv-interval = 1000; max-mob-pfx-adv-interval = 500; };",
	 2, "home-agent.min-mob-pfx-adv-interval", "above max-mob-pfx-adv-interval"},
	{"mn entry uses the ha address",
	 "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = [\"2001:db8:1::/64\"];\n"
	 "  mobile-nodes = ( { identity = \"mn1.example.org\";\n home-address = \"2001:db8:1::1\"; } ); };",
	 3, "home-agent.mobile-nodes[0].home-address", "home agent's own address"},
	{"mn ha-address equal hoa",
	 "mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\";\n"
	 "  ha-address = \"2001:db8:1::100\"; };",
	 2, "mobile-node.ha-address", "equals home-address"},
	{"mn first-reg above max",
	 "mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\"; ha-address = \"2001:db8:1::1\";\n"
	 "  max-bindack-timeout = 1; initial-bindack-timeout-first-reg-ms = 1500; };",
	 2, "mobile-node.initial-bindack-timeout-first-reg-ms", "above max-bindack-timeout"},
	{"mn preferred interface unlisted",
	 "interfaces = ( { name = \"eth0\"; } );\nmobile-node = { home-address = \"2001:db8:1::100\";\n"
	 "  home-prefix = \"2001:db8:1::/64\"; dhaad = true; preferred-interfaces = [\"wlan0\"]; };",
	 3, "mobile-node.preferred-interfaces", "\"wlan0\" is not in interfaces"},
	{"kbm nonce missing",
	 "correspondent = { peers = ( {\n address = \"2001:db8:1::100\"; kcn = \"" K16 "00112233\"; home-nonce = \"0011223344556677\"; } ); };",
	 1, "correspondent.peers[0].care-of-nonce", "missing"},
	{"kbm nonce short",
	 "correspondent = { peers = ( { address = \"2001:db8:1::100\"; kcn = \"" K16 "00112233\";\n home-nonce = \"0011\"; } ); };",
	 2, "correspondent.peers[0].home-nonce", "2 octets; must be 8..32"},
	{"kcn odd hex", "correspondent = { peers = ( { address = \"2001:db8:1::100\";\n kcn = \"abc\"; } ); };", 2,
	 "correspondent.peers[0].kcn", "odd number of hex digits"},
	{"kcn not hex", "correspondent = { peers = ( { address = \"2001:db8:1::100\";\n kcn = \"xyz0\"; } ); };", 2,
	 "correspondent.peers[0].kcn", "not hex"},
	{"cn ro off with peers",
	 "correspondent = { route-optimisation = false; peers = ( { address = \"2001:db8:1::100\"; kcn = \"" K16
	 "00112233\"; home-nonce = \"0011223344556677\"; care-of-nonce = \"0011223344556677\"; } ); };",
	 1, "correspondent.route-optimisation", "peers are configured"},
	{"sa for cn only",
	 "correspondent = {};\nipsec = { manual-sa = ( { name = \"a\"; spi = 300; direction = \"in\"; source = \"2001:db8::1\";\n"
	 " destination = \"2001:db8::2\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " } ); };",
	 3, "ipsec.manual-sa[0].traffic", "need role home-agent or mobile-node"},
	{"sa spi 32-bit wrap", HA_BASE "ipsec = { manual-sa = ( { name = \"a\";\n spi = 0xffffffff; } ); };", 5,
	 "ipsec.manual-sa[0].spi", "-1 is out of range"},
	{"sa chacha", HA_BASE "ipsec = { manual-sa = ( { name = \"a\"; spi = 300; direction = \"in\";\n"
			      " encryption = \"chacha20-poly1305\"; } ); };",
	 5, "ipsec.manual-sa[0].encryption", "RFC 8221 3, RFC 4106 2"},
	{"sa missing direction", HA_BASE "ipsec = { manual-sa = ( { name = \"a\"; spi = 300; } ); };", 4,
	 "ipsec.manual-sa[0].direction", "missing (required)"},
	{"sa null with key",
	 HA_BASE "ipsec = { manual-sa = ( { name = \"a\"; spi = 300; direction = \"in\"; source = \"2001:db8:1::100\";\n"
		 " destination = \"2001:db8:1::1\"; mode = \"transport\"; traffic = \"bu-ba\"; encryption = \"null\"; " SA_KEYS
		 " } ); };",
	 5, "ipsec.manual-sa[0].encryption-key", "encryption is null"},
	{"sa second bu-ba", HA_BASE "ipsec = { manual-sa = (\n"
			    " { name = \"a\"; spi = 300; direction = \"in\"; source = \"2001:db8:1::100\"; destination = \"2001:db8:1::1\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " },\n"
			    " { name = \"b\"; spi = 301; direction = \"in\"; source = \"2001:db8:1::100\"; destination = \"2001:db8:1::1\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " } ); };",
	 6, "ipsec.manual-sa[1].traffic", "R3776-4.2.k"},
	{"sa name twice", HA_BASE "ipsec = { manual-sa = (\n"
			  " { name = \"a\"; spi = 300; direction = \"in\"; source = \"2001:db8:1::100\"; destination = \"2001:db8:1::1\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " },\n"
			  " { name = \"a\"; spi = 301; direction = \"out\"; source = \"2001:db8:1::1\"; destination = \"2001:db8:1::100\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " } ); };",
	 6, "ipsec.manual-sa[1].name", "used twice"},
	{"sa key twice", HA_BASE "ipsec = { manual-sa = ( { name = \"a\"; encryption-key = \"" K16 "\";\n"
			 " encryption-key-file = \"/nonexistent\"; } ); };",
	 5, "ipsec.manual-sa[0].encryption-key-file", "given twice"},
	{"mn sa to wrong ha", MN_BASE "ipsec = { manual-sa = ( { name = \"a\"; spi = 300; direction = \"out\"; source = \"2001:db8:1::100\";\n"
				      " destination = \"2001:db8:1::2\"; mode = \"transport\"; traffic = \"bu-ba\"; " SA_KEYS " } ); };",
	 4, "ipsec.manual-sa[0].destination", "not mobile-node.ha-address"},
	{"esp proposal without integrity", "ike = { identity = \"a.example\"; auth = \"psk\"; esp-proposals = [\"aes128\"]; };",
	 1, "ike.esp-proposals[0]", "needs an integrity algorithm"},
	{"esp aead with integrity",
	 "ike = { identity = \"a.example\"; auth = \"psk\"; esp-proposals = [\"aes128gcm16-sha256\"]; };", 1,
	 "ike.esp-proposals[0]", "takes no integrity"},
	{"esp proposals moved", "ipsec = { esp-proposals = [\"aes128gcm16\"]; };", 1, "ipsec.esp-proposals",
	 "moved to ike.esp-proposals"},
	{"ike null", "ike = { identity = \"a.example\"; auth = \"psk\"; proposals = [\"null-sha256-modp2048\"]; };", 1,
	 "ike.proposals[0]", "RFC 8247 2.1"},
	{"ike no dh", "ike = { identity = \"a.example\"; auth = \"psk\"; proposals = [\"aes128-sha256\"]; };", 1,
	 "ike.proposals[0]", "needs a DH group"},
	{"ike aead no prf", "ike = { identity = \"a.example\"; auth = \"psk\"; proposals = [\"aes128gcm16-ecp256\"]; };", 1,
	 "ike.proposals[0]", "needs a PRF"},
	{"ike modp768", "ike = { identity = \"a.example\"; auth = \"psk\"; proposals = [\"aes128-sha256-modp768\"]; };", 1,
	 "ike.proposals[0]", "DH group 1 MUST NOT"},
	{"ike trailing dash", "ike = { identity = \"a.example\"; auth = \"psk\"; proposals = [\"aes128-sha256-\"]; };", 1,
	 "ike.proposals[0]", "trailing"},
	{"ike pubkey without cert", "ike = {\n identity = \"a.example\"; };", 1, "ike.certificate", "missing"},
	{"ike cookie threshold", "ike = { identity = \"a.example\"; auth = \"psk\";\n cookie-threshold = 10; half-open-limit = 5; };",
	 2, "ike.cookie-threshold", "above half-open-limit"},
	{"ike peer without psk", "ike = { identity = \"a.example\"; auth = \"psk\";\n peers = ( {\n name = \"p\"; identity = \"b.example\"; } ); };",
	 2, "ike.peers[0].psk", "missing"},
	{"ike peer psk short", "ike = { identity = \"a.example\"; auth = \"psk\";\n peers = ( { name = \"p\"; identity = \"b.example\";\n psk = \"0011\"; } ); };",
	 3, "ike.peers[0].psk", "must be 16..64"},
	{"ike peers same identity",
	 "ike = { identity = \"a.example\"; auth = \"psk\"; peers = (\n { name = \"p\"; identity = \"b.example\"; psk = \"" K16 "\"; },\n"
	 " { name = \"q\"; identity = \"b.example\"; psk = \"" K16 "\"; } ); };",
	 3, "ike.peers[1].identity", "already used"},
	{"ike dn identity", "ike = { identity = \"just text\";\n identity-type = \"asn1-dn\"; auth = \"psk\"; };", 1,
	 "ike.identity", "distinguished name"},
	{"ike key-dump relative", "ike = { identity = \"a.example\"; auth = \"psk\";\n key-dump = \"keys.txt\"; };", 2,
	 "ike.key-dump", "absolute"},
	{"ike role key ha", MN_BASE "ike = { identity = \"a.example\"; auth = \"psk\";\n assign-home-prefix = true; };", 4,
	 "ike.assign-home-prefix", "only valid for role home-agent"},
	{"tunnel local equals remote",
	 "tunnels = ( { name = \"t\"; local = \"2001:db8::1\";\n remote = \"2001:db8::1\"; local-prefixes = [\"2001:db8:1::/64\"]; remote-prefixes = [\"2001:db8:2::/64\"]; } );",
	 2, "tunnels[0].remote", "equals local"},
	{"tunnel unknown sa",
	 "tunnels = ( { name = \"t\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:1::/64\"];\n"
	 " remote-prefixes = [\"2001:db8:2::/64\"];\n manual-sas = [\"nope\"]; } );",
	 3, "tunnels[0].manual-sas", "no ipsec.manual-sa named \"nope\""},
	{"tunnel inner overlap",
	 "tunnels = ( { name = \"t\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:1::/64\"];\n"
	 " remote-prefixes = [\"2001:db8:1::/48\"]; } );",
	 2, "tunnels[0].remote-prefixes", "overlaps local-prefixes"},
	{"tunnel one-way sas",
	 "ipsec = { manual-sa = ( { name = \"o\"; spi = 300; direction = \"out\"; source = \"2001:db8::1\"; destination = \"2001:db8::2\";"
	 " mode = \"tunnel\"; traffic = \"any\"; " SA_KEYS " } ); };\n"
	 "tunnels = ( { name = \"t\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:1::/64\"];\n"
	 " remote-prefixes = [\"2001:db8:2::/64\"]; manual-sas = [\"o\"]; } );",
	 3, "tunnels[0].manual-sas", "one in and one out"},
	{"ike-peer unknown",
	 IKE_BASE "tunnels = ( { name = \"t\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:1::/64\"];\n"
		  " remote-prefixes = [\"2001:db8:2::/64\"]; ike-peer = \"q\"; } );",
	 4, "tunnels[0].ike-peer", "no ike.peers entry named \"q\""},
	{"ike-peer without ike", "tunnels = ( " IKE_TUNNEL("t", "2001:db8::2", "") " );", 1, "tunnels[0].ike-peer",
	 "no ike.peers entry named \"p\""},
	{"ike-peer and manual-sas", IKE_BASE "tunnels = ( " IKE_TUNNEL("t", "2001:db8::2", "manual-sas = [\"x\"];") " );", 3,
	 "tunnels[0].manual-sas", "together with ike-peer"},
	{"ike-peer and encapsulation", IKE_BASE "tunnels = (\n" IKE_TUNNEL("t", "2001:db8::2", "encapsulation = \"udp\";") " );",
	 4, "tunnels[0].encapsulation", "NAT detection decides (RFC 7296 2.23)"},
	{"ike-peer and udp-port", IKE_BASE "tunnels = ( " IKE_TUNNEL("t", "2001:db8::2", "udp-port = 4500;") " );", 3,
	 "tunnels[0].udp-port", "not with ike-peer"},
	{"ike-peer at another address", IKE_BASE "tunnels = ( " IKE_TUNNEL("t", "2001:db8::3", "") " );", 3,
	 "tunnels[0].remote", "is not the address 2001:db8::2 of ike peer \"p\""},
	{"ike-peer shared with other end points",
	 "ike = { identity = \"a.example\"; auth = \"psk\";\n"
	 "  peers = ( { name = \"p\"; identity = \"p.example\"; psk = \"" K16 "\"; } ); };\n"
	 "tunnels = ( " IKE_TUNNEL("t", "2001:db8::2", "") ",\n"
	 "{ name = \"u\"; local = \"2001:db8::1\"; remote = \"2001:db8::3\"; local-prefixes = [\"2001:db8:1::/64\"];"
	 " remote-prefixes = [\"2001:db8:3::/64\"]; ike-peer = \"p\"; } );",
	 4, "tunnels[1].local", "tunnel \"t\" uses ike peer \"p\" with other end points"},
	{"initiate without address",
	 "ike = { identity = \"a.example\"; auth = \"psk\";\n"
	 "  peers = ( { name = \"p\"; identity = \"p.example\"; psk = \"" K16 "\";\n initiate = true; } ); };",
	 3, "ike.peers[0].initiate", "needs the peer's address"},
	{"include in string", "@include \"/etc/hostname\"\n", 1, "", "include"},
	{"missing value", "global = { log-level = ; };", 1, "", "syntax error"},
};

START_TEST(test_bad_table)
{
	struct conf_error e;
	struct conf *c = load(bad[_i].text, &e);
	ck_assert_msg(c == NULL, "%s: accepted", bad[_i].name);
	ck_assert_str_eq(e.file, "t.conf");
	ck_assert_msg(e.line == bad[_i].line, "%s: line %d, want %d (%s: %s)", bad[_i].name, e.line, bad[_i].line,
		      e.key, e.msg);
	ck_assert_msg(strcmp(e.key, bad[_i].key) == 0, "%s: key \"%s\", want \"%s\" (%s)", bad[_i].name, e.key,
		      bad[_i].key, e.msg);
	ck_assert_msg(strstr(e.msg, bad[_i].msg) != NULL, "%s: \"%s\" lacks \"%s\"", bad[_i].name, e.msg,
		      bad[_i].msg);
}
END_TEST

START_TEST(test_valid_variants)
{
	struct conf_error e;
	/* DHAAD instead of a configured home agent address. */
	struct conf *c = load("mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\";"
			      " dhaad = true; };",
			      &e);
	ck_assert_msg(c != NULL, "%s", e.msg);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&conf_mobile_node(c)->ha_address));
	conf_free(c);
	/* Large SPI with the L suffix, null encryption, a payload SA, all roles. */
	c = load(HA_BASE MN_BASE "correspondent = {};\n"
			 "ipsec = { manual-sa = ( { name = \"a\"; spi = 0xfffffff0L; direction = \"in\"; source = \"2001:db8:1::100\";"
			 " destination = \"2001:db8:1::1\"; mode = \"transport\"; traffic = \"bu-ba\"; encryption = \"null\";"
			 " integrity-key = \"" K16 K16 "\"; } ); };",
		 &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	ck_assert_uint_eq(conf_ipsec(c)->manual_sas[0].spi, 0xfffffff0u);
	ck_assert_int_eq(conf_ipsec(c)->manual_sas[0].encryption, CONF_ENCR_NULL);
	ck_assert_uint_eq(conf_roles(c), CONF_ROLE_HA | CONF_ROLE_MN | CONF_ROLE_CN);
	char roles[64];
	conf_roles_format(conf_roles(c), roles, sizeof(roles));
	ck_assert_str_eq(roles, "home-agent, mobile-node, correspondent");
	conf_free(c);
	/* A site-to-site tunnel with its two SAs. */
	c = load("ipsec = { manual-sa = (\n"
		 " { name = \"o\"; spi = 300; direction = \"out\"; source = \"2001:db8::1\"; destination = \"2001:db8::2\";"
		 " mode = \"tunnel\"; traffic = \"any\"; " SA_KEYS " },\n"
		 " { name = \"i\"; spi = 301; direction = \"in\"; source = \"2001:db8::2\"; destination = \"2001:db8::1\";"
		 " mode = \"tunnel\"; traffic = \"any\"; " SA_KEYS " } ); };\n"
		 "tunnels = ( { name = \"t\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:1::/64\"];"
		 " remote-prefixes = [\"2001:db8:2::/64\"]; manual-sas = [\"o\", \"i\"]; encapsulation = \"udp\"; udp-port = 4501; } );",
		 &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	size_t n;
	const struct conf_tunnel *t = conf_tunnels(c, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(t->encapsulation, CONF_ENCAP_UDP);
	ck_assert_uint_eq(t->udp_port, 4501);
	ck_assert_uint_eq(t->n_manual_sas, 2);
	conf_free(c);
	/* An IKE-keyed tunnel: no SAs, default encapsulation left alone. */
	c = load(IKE_BASE "tunnels = ( " IKE_TUNNEL("t", "2001:db8::2", "") ",\n"
			  "{ name = \"u\"; local = \"2001:db8::1\"; remote = \"2001:db8::2\"; local-prefixes = [\"2001:db8:5::/64\"];"
			  " remote-prefixes = [\"2001:db8:6::/64\"]; ike-peer = \"p\"; } );",
		 &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	t = conf_tunnels(c, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[0].ike_peer, "p");
	ck_assert_str_eq(t[1].ike_peer, "p");
	ck_assert_uint_eq(t[0].n_manual_sas, 0);
	ck_assert(!conf_ike(c)->peers[0].initiate);
	conf_free(c);
	c = load("ike = { identity = \"a.example\"; auth = \"psk\"; esp-proposals = [\"aes128-sha256-ecp256-esn\"];\n"
		 "  peers = ( { name = \"p\"; identity = \"p.example\"; address = \"2001:db8::2\"; psk = \"" K16 "\";"
		 " initiate = true; } ); };",
		 &e);
	ck_assert_msg(c != NULL, "%s: %s", e.key, e.msg);
	ck_assert(conf_ike(c)->peers[0].initiate);
	ck_assert_uint_eq(conf_ike(c)->n_esp_proposals, 1);
	ck_assert_uint_eq(conf_ike(c)->esp[0].encr, 12); /* ENCR_AES_CBC */
	ck_assert_uint_eq(conf_ike(c)->esp[0].integ, 12); /* AUTH_HMAC_SHA2_256_128 */
	ck_assert_uint_eq(conf_ike(c)->esp[0].dh[0], 19); /* PFS with ECP-256 */
	ck_assert(conf_ike(c)->esp[0].esn);
	conf_tunnels(c, &n);
	ck_assert_uint_eq(n, 0);
	conf_free(c);
	/* global.debug */
	c = load("global = { log-level = \"debug\"; debug = \"ike,ipsec\"; log-target = \"syslog\"; };", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(conf_global(c)->debug_mask, LOG_SUB_IKE | LOG_SUB_IPSEC);
	ck_assert_int_eq(conf_global(c)->log_target, LOG_TO_SYSLOG);
	conf_free(c);
}
END_TEST

/* --- proposals ---------------------------------------------------------- */

START_TEST(test_proposals)
{
	static const struct {
		const char *s;
		bool ike;
		uint16_t encr, bits, integ, prf, dh0;
		bool esn;
	} ok[] = {
		{"aes128gcm16-prfsha256-ecp256", true, 20, 128, 0, 5, 19, false},
		{"aes256-sha512-modp3072", true, 12, 256, 14, 7, 15, false},
		{"chacha20poly1305-prfsha256-curve25519", true, 28, 0, 0, 5, 31, false},
		{"aes128-sha1-modp2048", true, 12, 128, 2, 2, 14, false},
		{"aes256gcm16", false, 20, 256, 0, 0, 0, false},
		{"aes128-sha256-esn", false, 12, 128, 12, 0, 0, true},
		{"null-sha256", false, 11, 0, 12, 0, 0, false},
		{"aes128gcm16-ecp384", false, 20, 128, 0, 0, 20, false},
	};
	char why[160];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct conf_proposal p;
		const char *r = ok[i].ike ? conf_alg_parse_ike(ok[i].s, &p, why, sizeof(why))
					  : conf_alg_parse_esp(ok[i].s, &p, why, sizeof(why));
		ck_assert_msg(r == NULL, "%s: %s", ok[i].s, r);
		ck_assert_uint_eq(p.encr, ok[i].encr);
		ck_assert_uint_eq(p.encr_keybits, ok[i].bits);
		ck_assert_uint_eq(p.integ, ok[i].integ);
		ck_assert_uint_eq(p.prf, ok[i].prf);
		ck_assert_uint_eq(p.n_dh ? p.dh[0] : 0, ok[i].dh0);
		ck_assert_int_eq(p.esn, ok[i].esn);
	}
	static const struct {
		const char *s;
		bool ike;
		const char *why;
	} no[] = {
		{"", true, "empty"},
		{"des-sha256-modp2048", true, "ENCR_DES MUST NOT"},
		{"aes128-sha256-prfmd5-modp2048", true, "PRF_HMAC_MD5 MUST NOT"},
		{"aes128-sha256-modp1024s160", true, "DH group 22"},
		{"aes128-aes256-sha256-modp2048", true, "more than one encryption"},
		{"aes128-sha256-modp2048-esn", true, "not usable in IKE"},
		{"aes128-sha256-prfsha256", false, "not usable in ESP"},
		{"blowfish-sha256", false, "ENCR_BLOWFISH"},
		{"aes999-sha256", false, "unknown algorithm \"aes999\""},
		{"sha256", false, "no encryption"},
		{"null", false, "null needs an integrity"},
		{"aes128-sha256-ecp256-ecp384-modp2048-modp3072-modp4096", false, "at most 4"},
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		const char *r = no[i].ike ? conf_alg_check_ike(no[i].s, why, sizeof(why))
					  : conf_alg_check_esp(no[i].s, why, sizeof(why));
		ck_assert_msg(r != NULL, "%s accepted", no[i].s);
		ck_assert_msg(strstr(r, no[i].why) != NULL, "%s: \"%s\" lacks \"%s\"", no[i].s, r, no[i].why);
	}
}
END_TEST

/* --- key files and includes --------------------------------------------- */

static char tmpdir[64];

static void mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

START_TEST(test_key_file_permissions)
{
	mk_tmpdir();
	char conf[128], key[128], text[1024];
	snprintf(conf, sizeof(conf), "%s/cn.conf", tmpdir);
	snprintf(key, sizeof(key), "%s/kcn", tmpdir);
	/* relative path: resolved from the config file's directory */
	snprintf(text, sizeof(text),
		 "correspondent = { peers = ( { address = \"2001:db8:1::100\";\n"
		 "  kcn-file = \"kcn\"; home-nonce = \"0011223344556677\"; care-of-nonce = \"8899aabbccddeeff\"; } ); };\n");
	write_file(conf, text, 0644);
	write_file(key, "00112233 44556677\n8899aabb ccddeeff\n00:11:22:33\n", 0600);
	struct conf *c = NULL;
	struct conf_error e;
	ck_assert_msg(conf_load_file(conf, &c, &e) == 0, "%s", e.msg);
	const struct conf_kbm_peer *p = &conf_correspondent(c)->peers[0];
	uint8_t want[20];
	tu_hex("00112233445566778899aabbccddeeff00112233", want, sizeof(want));
	tu_assert_mem_eq(p->kcn.data, p->kcn.len, want, sizeof(want));
	conf_free(c);

	/* group/other may read it: refused, naming the file and the fix */
	ck_assert_int_eq(chmod(key, 0644), 0);
	c = NULL;
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(e.file, conf);
	ck_assert_int_eq(e.line, 2);
	ck_assert_str_eq(e.key, "correspondent.peers[0].kcn-file");
	ck_assert_ptr_nonnull(strstr(e.msg, key));
	ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));
	ck_assert_ptr_nonnull(strstr(e.msg, "0644"));
	ck_assert_int_eq(chmod(key, 0640), 0);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));

	/* a key file that is too short for Kcn, or not hex */
	write_file(key, "0011223344\n", 0600);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "5 octets; must be 20..64"));
	write_file(key, "-----BEGIN-----\n", 0600);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "not hex"));
	/* missing file */
	unlink(key);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open key file"));

	/* ike.private-key gets the same check */
	snprintf(text, sizeof(text),
		 "ike = { identity = \"ha.example.org\"; certificate = \"/etc/mip6sec/ha.crt\";\n"
		 "  private-key = \"%s/ha.key\"; };\n",
		 tmpdir);
	write_file(conf, text, 0644);
	char pk[128];
	snprintf(pk, sizeof(pk), "%s/ha.key", tmpdir);
	write_file(pk, "-----BEGIN PRIVATE KEY-----\n", 0604);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), M6E_INVAL);
	ck_assert_int_eq(e.line, 2);
	ck_assert_str_eq(e.key, "ike.private-key");
	ck_assert_ptr_nonnull(strstr(e.msg, "chmod 600"));
	ck_assert_int_eq(chmod(pk, 0600), 0);
	ck_assert_int_eq(conf_load_file(conf, &c, &e), 0);
	ck_assert_str_eq(conf_ike(c)->private_key, pk);
	conf_free(c);
	rm_tmpdir();
}
END_TEST

START_TEST(test_include_attribution)
{
	mk_tmpdir();
	char main_conf[128], inc[128], err_text[512];
	snprintf(main_conf, sizeof(main_conf), "%s/main.conf", tmpdir);
	snprintf(inc, sizeof(inc), "%s/ha.inc", tmpdir);
	write_file(main_conf, "global = { log-level = \"info\"; };\n@include \"ha.inc\"\n", 0644);
	/* semantic error inside the included file */
	write_file(inc, "home-agent = { home-link = \"eth0\";\n  address = \"2001:db8:9::1\";\n"
			"  home-prefixes = [\"2001:db8:1::/64\"]; };\n",
		   0644);
	struct conf *c = NULL;
	struct conf_error e;
	ck_assert_int_eq(conf_load_file(main_conf, &c, &e), M6E_INVAL);
	ck_assert_str_eq(e.file, inc);
	ck_assert_int_eq(e.line, 2);
	ck_assert_str_eq(e.key, "home-agent.address");
	conf_error_format(&e, err_text, sizeof(err_text));
	char want[256];
	snprintf(want, sizeof(want), "%s:2: home-agent.address: ", inc);
	ck_assert_msg(strncmp(err_text, want, strlen(want)) == 0, "%s", err_text);
	/* syntax error inside the included file */
	write_file(inc, "home-agent = {\n  home-link = = \"eth0\"; };\n", 0644);
	ck_assert_int_eq(conf_load_file(main_conf, &c, &e), M6E_INVAL);
	ck_assert_str_eq(e.file, inc);
	ck_assert_int_eq(e.line, 2);
	/* the included file parses: the whole is valid and has the role */
	write_file(inc, "home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\";\n"
			"  home-prefixes = [\"2001:db8:1::/64\"]; };\n",
		   0644);
	ck_assert_int_eq(conf_load_file(main_conf, &c, &e), 0);
	ck_assert_uint_eq(conf_roles(c), CONF_ROLE_HA);
	ck_assert_int_eq(conf_global(c)->log_level, LOG_LVL_INFO);
	conf_free(c);
	/* an error in the main file still names the main file */
	write_file(main_conf, "@include \"ha.inc\"\nglobal = { log-level = \"loud\"; };\n", 0644);
	ck_assert_int_eq(conf_load_file(main_conf, &c, &e), M6E_INVAL);
	ck_assert_str_eq(e.file, main_conf);
	ck_assert_int_eq(e.line, 2);
	rm_tmpdir();
}
END_TEST

START_TEST(test_missing_file_and_format)
{
	struct conf *c = NULL;
	struct conf_error e;
	ck_assert_int_eq(conf_load_file("/nonexistent/mip6sec.conf", &c, &e), M6E_INVAL);
	ck_assert_ptr_null(c);
	char buf[512];
	conf_error_format(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/nonexistent/mip6sec.conf: cannot read file");
	char *out = NULL, *err = NULL;
	size_t ol, el;
	FILE *fo = open_memstream(&out, &ol), *fe = open_memstream(&err, &el);
	ck_assert_int_eq(conf_check_main("/nonexistent/mip6sec.conf", fo, fe), 1);
	fclose(fo);
	fclose(fe);
	ck_assert_str_eq(err, "/nonexistent/mip6sec.conf: cannot read file\n");
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
	struct conf_error f = {.file = "a.conf", .line = 7, .key = "x.y", .msg = "bad"};
	conf_error_format(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.conf:7: x.y: bad");
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_empty_config_defaults);
	tcase_add_test(tc, test_ike_init_rate_limit);
	tcase_add_test(tc, test_schema_defaults_parse);
	tcase_add_test(tc, test_schema_info);
	tcase_add_test(tc, test_man_page_lists_every_key);
	tcase_add_test(tc, test_default_config_valid);
	tcase_add_test(tc, test_example_home_agent);
	tcase_add_test(tc, test_example_mobile_node_matches_home_agent);
	tcase_add_test(tc, test_example_correspondent);
	tcase_add_test(tc, test_example_site_ike_pair);
	tcase_add_test(tc, test_broken_table);
	tcase_add_loop_test(tc, test_bad_table, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_valid_variants);
	tcase_add_test(tc, test_proposals);
	tcase_add_test(tc, test_key_file_permissions);
	tcase_add_test(tc, test_include_attribution);
	tcase_add_test(tc, test_missing_file_and_format);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(conf_suite());
}
