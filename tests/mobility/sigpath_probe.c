/*
 * sigpath_probe: the signalling path (src/mobile/sigpath.c) as a command for
 * tests/mobility/sigpath-scapy.py, which builds packets with scapy (an
 * independent implementation) and reads the ones we build.
 *
 *   sigpath_probe in CONF FILE...
 *       Each FILE holds one whole IPv6 packet. It is handed to sigpath_in()
 *       with the ipsecdb of CONF as the raw socket of its first header would
 *       deliver it; one line per file:
 *       FILE kind=mh|icmp6|tunnel|drop|ignore reason=NAME esp=0|1 sa=0xSPI
 *            type=N src=ADDR dst=ADDR hao=ADDR|- esp_drop=NAME|-
 *       (reason and esp_drop are the stats counter names, "none" / "-").
 *   sigpath_probe build HA_CONF MN_CONF DIR
 *       Writes the packets of wire-formats.md E1, E2, E3, E7 and E8 as built
 *       here: DIR/bu-hao.bin, ba-rh2.bin, bu-home.bin, mps.bin, mpa.bin.
 * Exit 0, or 1 with a message on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "conf/conf.h"
#include "ipsec/ipsecdb.h"
#include "mobile/sigpath.h"
#include "wire/ip6.h"
#include "wire/nd.h"

#define PKT_MAX 4096

static struct ipsecdb *load_db(const char *path, struct conf **c)
{
	struct conf_error cerr;
	char msg[600], err[256];
	struct ipsecdb *db = NULL;
	if (conf_load_file(path, c, &cerr) != 0) {
		conf_error_format(&cerr, msg, sizeof(msg));
		fprintf(stderr, "sigpath_probe: %s\n", msg);
		exit(1);
	}
	if (ipsecdb_build(*c, 0, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "sigpath_probe: %s: %s\n", path, err);
		exit(1);
	}
	return db;
}

static int probe_in(const char *conf, int n, char **files)
{
	struct conf *c;
	struct ipsecdb *db = load_db(conf, &c);
	static uint8_t pkt[PKT_MAX];
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f) {
			perror(files[i]);
			return 1;
		}
		size_t len = fread(pkt, 1, sizeof(pkt), f);
		fclose(f);
		if (len < IP6_HDR_LEN) {
			fprintf(stderr, "sigpath_probe: %s: shorter than an IPv6 header\n", files[i]);
			return 1;
		}
		struct sigpath_pkt in = { .proto = pkt[6], .buf = pkt + IP6_HDR_LEN, .len = len - IP6_HDR_LEN,
					  .hlim = pkt[7] };
		memcpy(&in.src, pkt + 8, 16);
		memcpy(&in.dst, pkt + 24, 16);
		struct sigpath_rx rx;
		sigpath_in(db, &in, &rx);
		const struct stats_counter *r = sigpath_counter(rx.reason), *e = sigpath_esp_counter(rx.esp_drop);
		unsigned type = rx.kind == SIGPATH_MH ? rx.mh.msg.type : rx.kind == SIGPATH_ICMP6 ? rx.icmp.type : 0;
		char s[ADDR_STRLEN], d[ADDR_STRLEN], h[ADDR_STRLEN];
		printf("%s kind=%s reason=%s esp=%d sa=0x%x type=%u src=%s dst=%s hao=%s esp_drop=%s\n", files[i],
		       sigpath_kind_name(rx.kind), r ? r->name : "none", rx.esp, rx.sa_id, type, addr_fmt(&rx.src, s, sizeof(s)),
		       addr_fmt(&rx.dst, d, sizeof(d)), rx.has_hao ? addr_fmt(&rx.hao, h, sizeof(h)) : "-", e ? e->name : "-");
	}
	ipsecdb_free(db);
	conf_free(c);
	return 0;
}

static int write_pkt(const char *dir, const char *name, const uint8_t *pkt, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(pkt, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int build_bu(struct ipsecdb *mn, const char *dir, const char *name, const struct in6_addr *src,
		    bool away)
{
	static uint8_t pkt[PKT_MAX];
	struct mip6_tx tx = { .src = *src, .has_hao = away, .protect = MIP6_PROT_ESP_BU_BA };
	size_t len;
	struct in6_addr to;
	if (addr_parse("2001:db8:1::1", &tx.dst) != 0 || addr_parse("2001:db8:1::100", &tx.hoa) != 0)
		return 1;
	tx.msg.type = MH_TYPE_BU;
	tx.msg.u.bu = (struct mh_bu){ .seq = 4242, .flags = MH_BU_F_A | MH_BU_F_H, .lifetime = away ? 900 : 0 };
	tx.msg.opts.has_alt_coa = away;
	tx.msg.opts.alt_coa = *src;
	int rc = sigpath_build_mh(mn, &tx, pkt, sizeof(pkt), &len, &to);
	if (rc != 0) {
		fprintf(stderr, "sigpath_probe: %s: %s\n", name, err_str(rc));
		return 1;
	}
	return write_pkt(dir, name, pkt, len);
}

static int build_mp(struct ipsecdb *db, const char *dir, const char *name, const struct in6_addr *src,
		    const struct in6_addr *dst, bool mps)
{
	static uint8_t pkt[PKT_MAX];
	uint8_t msg[256];
	struct wbuf w;
	struct nd_mp mp = { .id = 0x5150 };
	wbuf_init(&w, msg, sizeof(msg));
	if (!mps) {
		mp.opts.n_pio = 1;
		mp.opts.pio[0] = (struct nd_pio){ .plen = 64, .flags = 0xc0, .valid = 3600, .preferred = 1800 };
		if (addr_parse("2001:db8:1::", &mp.opts.pio[0].prefix) != 0)
			return 1;
	}
	if ((mps ? nd_build_mps(&w, src, dst, &mp) : nd_build_mpa(&w, src, dst, &mp)) != 0)
		return 1;
	struct sigpath_icmp_tx tx = { .src = *src, .dst = *dst, .has_hao = mps, .has_rh2 = !mps, .protect = true,
				      .msg = msg, .msg_len = wbuf_len(&w) };
	size_t len;
	struct in6_addr to;
	if (addr_parse("2001:db8:1::100", &tx.hoa) != 0)
		return 1;
	int rc = sigpath_build_icmp6(db, &tx, pkt, sizeof(pkt), &len, &to);
	if (rc != 0) {
		fprintf(stderr, "sigpath_probe: %s: %s\n", name, err_str(rc));
		return 1;
	}
	return write_pkt(dir, name, pkt, len);
}

static int probe_build(const char *ha_conf, const char *mn_conf, const char *dir)
{
	struct conf *hc, *mc;
	struct ipsecdb *ha = load_db(ha_conf, &hc), *mn = load_db(mn_conf, &mc);
	static uint8_t pkt[PKT_MAX];
	struct in6_addr coa, hoa, haa, to;
	if (addr_parse("2001:db8:77::5", &coa) != 0 || addr_parse("2001:db8:1::100", &hoa) != 0 ||
	    addr_parse("2001:db8:1::1", &haa) != 0)
		return 1;
	int bad = build_bu(mn, dir, "bu-hao.bin", &coa, true) || build_bu(mn, dir, "bu-home.bin", &hoa, false) ||
		  build_mp(mn, dir, "mps.bin", &coa, &haa, true) || build_mp(ha, dir, "mpa.bin", &haa, &coa, false);
	struct mip6_tx ba = { .src = haa, .dst = coa, .has_rh2 = true, .hoa = hoa, .protect = MIP6_PROT_ESP_BU_BA };
	ba.msg.type = MH_TYPE_BA;
	ba.msg.u.ba = (struct mh_ba){ .status = MH_BA_ACCEPTED, .seq = 4242, .lifetime = 900 };
	size_t len;
	if (!bad && sigpath_build_mh(ha, &ba, pkt, sizeof(pkt), &len, &to) == 0)
		bad = write_pkt(dir, "ba-rh2.bin", pkt, len);
	else
		bad = 1;
	ipsecdb_free(ha);
	ipsecdb_free(mn);
	conf_free(hc);
	conf_free(mc);
	return bad;
}

int main(int argc, char **argv)
{
	log_open(LOG_TO_STDERR, LOG_LVL_ERR, 0, "sigpath_probe");
	if (argc >= 4 && strcmp(argv[1], "in") == 0)
		return probe_in(argv[2], argc - 3, argv + 3);
	if (argc == 5 && strcmp(argv[1], "build") == 0)
		return probe_build(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: sigpath_probe in CONF FILE... | build HA_CONF MN_CONF DIR\n");
	return 1;
}
