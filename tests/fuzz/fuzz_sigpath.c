/*
 * Fuzz target for the signalling path (src/mobile/sigpath.c): a home agent
 * and a mobile node with the MN-HA manual SAs of etc/examples (mn1's keys;
 * mn2's BU SA on the HA) plus payload SAs with the keys of
 * tests/unit/test_sigpath.c, so the seeds that test writes are accepted.
 *
 *   byte 0      the raw socket's protocol (60, 43, 135, 50, 41, 58, or any)
 *   byte 1      bit 0: 0 = the HA receives, 1 = the MN; bit 1: encap mode
 *   bytes 2-33  IPv6 source and destination
 *   the rest    the buffer the socket delivered
 *
 * Receive mode: any verdict must be self-consistent (a delivery lies inside
 * the buffer, esp implies an SA and BU/BA, a refusal has a reason).
 * Encap mode: the rest is an inner packet the MN puts in the tunnel to the
 * HA; what the HA delivers must be the same bytes, and an inner packet from
 * the MN's home address that the MN encapsulates must be delivered.
 *
 * Anti-replay is off on these SAs (the manual-SA default), so inputs do not
 * influence each other.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "ipsec/ipsecdb.h"
#include "mobile/sigpath.h"

#define HA "2001:db8:1::1"
#define HOA1 "2001:db8:1::100"
#define HOA2 "2001:db8:1::200"

#define SA(name, spi, dir, src, dst, mode, traffic, key, auth)                                          \
	"{ name = \"" name "\"; spi = " spi "; direction = \"" dir "\"; source = \"" src                    \
	"\"; destination = \"" dst "\"; mode = \"" mode "\"; traffic = \"" traffic                         \
	"\"; encryption = \"aes-cbc\"; encryption-key = \"" key "\"; integrity = \"hmac-sha256-128\"; "     \
	"integrity-key = \"" auth "\"; }"

/* etc/examples/home-agent.conf */
#define K_BU_UP "c196be0efc3fc0ea36139ee85a2a0f33"
#define A_BU_UP "eda370019248fdddc438cc1c824b689e901d5dd0f62ea27b18d1881c5c7f2116"
#define K_BU_DOWN "72fdacfd74e7667ec295a72c9a4a1cdb"
#define A_BU_DOWN "cb754176aef5b9244ccd63ffc79c51d055c4fc7ccdf74521f59e4cca7cedef2d"
#define K_HOT_UP "ef21f25381df602f89aa9ac8238374bc"
#define A_HOT_UP "c1a227f0ceff4ca0d580d8df4d9fabd54965cffae9be3d63af07dd2c5504f6e9"
#define K_HOT_DOWN "df70dc896f01fdffcf96dea34f12b56a"
#define A_HOT_DOWN "a50fad8cb854afe2163959af267301b429b781f42476f1288b3771a1563a169f"
#define K_MPD_UP "73ea896526bd8d4940768903f0b568e1"
#define A_MPD_UP "edc8cca0e395a19a4f8f1563547bf2b85ed41203a5753a8594c1f1e765aaffdb"
#define K_MPD_DOWN "157f35c0859c9128cfdce0e32fce1900"
#define A_MPD_DOWN "5feb37f6084990de49b833fda0ca472a14cfbbf40911acace3ec8580476c704f"
#define K_MN2_BU_UP "2a86e891bde46afbe40a8aa6c51c7c0f"
#define A_MN2_BU_UP "9d1204fa1a8478a1ca6ea6c36162831e46e1c71848df44abfe91f6429770b1f4"
/* tests/unit/test_sigpath.c */
#define K_PL_UP "000102030405060708090a0b0c0d0e0f"
#define A_PL_UP "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
#define K_PL_DOWN "303132333435363738393a3b3c3d3e3f"
#define A_PL_DOWN "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"

/* The six MN1 SA pairs; UP is MN -> HA. The HA's "in" is the MN's "out". */
#define MN1_SAS(UP, DOWN)                                                                                \
	SA("bu-up", "0x1001", UP, HOA1, HA, "transport", "bu-ba", K_BU_UP, A_BU_UP) ", "                   \
	SA("bu-down", "0x1002", DOWN, HA, HOA1, "transport", "bu-ba", K_BU_DOWN, A_BU_DOWN) ", "           \
	SA("hot-up", "0x1003", UP, HOA1, HA, "tunnel", "hoti-hot", K_HOT_UP, A_HOT_UP) ", "                \
	SA("hot-down", "0x1004", DOWN, HA, HOA1, "tunnel", "hoti-hot", K_HOT_DOWN, A_HOT_DOWN) ", "        \
	SA("mpd-up", "0x1005", UP, HOA1, HA, "transport", "mps-mpa", K_MPD_UP, A_MPD_UP) ", "              \
	SA("mpd-down", "0x1006", DOWN, HA, HOA1, "transport", "mps-mpa", K_MPD_DOWN, A_MPD_DOWN) ", "      \
	SA("pl-up", "0x1007", UP, HOA1, HA, "tunnel", "payload", K_PL_UP, A_PL_UP) ", "                    \
	SA("pl-down", "0x1008", DOWN, HA, HOA1, "tunnel", "payload", K_PL_DOWN, A_PL_DOWN)

static const char ha_conf[] =
	"interfaces = ( { name = \"eth0\"; kind = \"home-link\"; } );\n"
	"home-agent = { home-link = \"eth0\"; address = \"" HA "\"; home-prefixes = [ \"2001:db8:1::/64\" ];\n"
	"  mobile-nodes = ( { identity = \"mn1.example.org\"; identity-type = \"fqdn\"; home-address = \"" HOA1 "\"; },\n"
	"                   { identity = \"mn2.example.org\"; identity-type = \"fqdn\"; home-address = \"" HOA2 "\"; } ); };\n"
	"ipsec = { manual-sa = ( " MN1_SAS("in", "out") ", "
	SA("mn2-bu-up", "0x2001", "in", HOA2, HA, "transport", "bu-ba", K_MN2_BU_UP, A_MN2_BU_UP) " ); };\n";

static const char mn_conf[] =
	"interfaces = ( { name = \"wlan0\"; kind = \"access\"; } );\n"
	"mobile-node = { home-address = \"" HOA1 "\"; home-prefix = \"2001:db8:1::/64\"; ha-address = \"" HA "\"; };\n"
	"ipsec = { manual-sa = ( " MN1_SAS("out", "in") " ); };\n";

static struct conf *confs[2];
static struct ipsecdb *dbs[2]; /* [0] HA, [1] MN */
static struct in6_addr hoa1;
static uint8_t buf[8192], copy[8192];

static void init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	log_open(LOG_TO_STDERR, LOG_LVL_ERR, 0, "fuzz_sigpath");
	const char *texts[2] = { ha_conf, mn_conf };
	for (int i = 0; i < 2; i++) {
		struct conf_error cerr;
		char err[256];
		if (conf_load_string(texts[i], "fuzz.conf", &confs[i], &cerr) != 0 ||
		    ipsecdb_build(confs[i], 0, &dbs[i], err, sizeof(err)) != 0)
			abort();
	}
	if (addr_parse(HOA1, &hoa1) != 0)
		abort();
}

static void check_verdict(int rc, const struct sigpath_rx *rx, size_t len)
{
	switch (rx->kind) {
	case SIGPATH_DROP:
		if (rc >= 0 || rc == M6E_AGAIN || rx->reason == SIGPATH_R_NONE)
			abort();
		return;
	case SIGPATH_IGNORE:
		if (rc != M6E_AGAIN || rx->reason == SIGPATH_R_NONE)
			abort();
		return;
	default:
		break;
	}
	if (rc != 0 || rx->reason != SIGPATH_R_NONE || rx->off > len || rx->len > len - rx->off)
		abort();
	if (rx->esp != (rx->sa != NULL) || (rx->esp && (rx->sa_id != rx->sa->spi || !rx->mnha)))
		abort();
	if (rx->kind == SIGPATH_MH) {
		uint8_t t = rx->mh.msg.type;
		if (rx->mh.esp != rx->esp || (rx->esp ? t != MH_TYPE_BU && t != MH_TYPE_BA : t != MH_TYPE_BE))
			abort();
		if (rx->mh.has_hao != rx->has_hao || !addr_eq(&rx->mh.src, &rx->src))
			abort();
	}
	if (rx->kind == SIGPATH_TUNNEL && (rx->len < 40 || (size_t)rx->inner.plen + 40 != rx->len))
		abort();
}

/* The MN tunnels p to the HA, which must hand back the same bytes. */
static void encap_trip(const uint8_t *p, size_t n)
{
	size_t ilen = n, off, len;
	struct in6_addr coa, ha;
	if (ilen > sizeof(buf) - SIGPATH_HEADROOM - SIGPATH_TAILROOM || addr_parse("2001:db8:77::5", &coa) != 0 ||
	    addr_parse(HA, &ha) != 0)
		abort();
	memcpy(buf + SIGPATH_HEADROOM, p, ilen);
	memcpy(copy, p, ilen);
	struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(dbs[1], &hoa1);
	if (sigpath_encap(dbs[1], m, &coa, &ha, buf, sizeof(buf), SIGPATH_HEADROOM, ilen, &off, &len) != 0)
		return;
	if (off > sizeof(buf) || len > sizeof(buf) - off || len < 40 || buf[off + 7] != SIGPATH_TUNNEL_HLIM)
		abort();
	struct sigpath_pkt in = { .proto = buf[off + 6], .buf = buf + off + 40, .len = len - 40, .src = coa,
				  .dst = ha, .hlim = 64 };
	struct sigpath_rx rx;
	int rc = sigpath_in(dbs[0], &in, &rx);
	check_verdict(rc, &rx, in.len);
	if (rc == 0 && (rx.kind != SIGPATH_TUNNEL || rx.len != ilen || memcmp(in.buf + rx.off, copy, ilen) != 0))
		abort();
	/* From the home address, the two ends' policies mirror each other. */
	if (rc != 0 && ilen >= 40 && memcmp(copy + 8, &hoa1, 16) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	if (size < 34 || size - 34 > sizeof(buf) - SIGPATH_HEADROOM - SIGPATH_TAILROOM)
		return 0;
	const uint8_t *p = data + 34;
	size_t n = size - 34;
	if (data[1] & 2) {
		encap_trip(p, n);
		return 0;
	}
	struct sigpath_pkt in = { .proto = data[0], .buf = buf, .len = n, .hlim = 64 };
	memcpy(&in.src, data + 2, 16);
	memcpy(&in.dst, data + 18, 16);
	memcpy(buf, p, n);
	struct sigpath_rx rx;
	int rc = sigpath_in(dbs[data[1] & 1], &in, &rx);
	check_verdict(rc, &rx, n);
	return 0;
}
