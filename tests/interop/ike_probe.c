/*
 * ike_probe: one src/ike/ikesa engine on real UDP sockets, for interop runs
 * against an independent IKEv2 implementation (tests/interop/ike-strongswan.sh).
 * No data path: ESP datagrams on 4500 are counted and dropped. A test tool,
 * so a plain poll() loop stands in for the daemon's libevent.
 *
 * One line per outcome on stdout:
 *   ike_up role=.. spi_i=.. spi_r=.. suite=encr/bits/integ/prf/dh nat_local=.. nat_remote=..
 *   child_up spi_in=.. spi_out=.. mode=.. esp=encr/bits/integ encap=..
 *            key_i2r_sha256=.. key_r2i_sha256=..
 *   child_failed notify=N
 *   dpd_ok                      (--dpd: our empty INFORMATIONAL was answered)
 *   ike_down reason=TOKEN (engine's words)
 *   stats retransmits=.. cache_answers=.. dpd_answered=.. dpd_ok=..
 * Rekeying (--rekey-child-after, --rekey-ike-after, lifetimes):
 *   rekey_child_sent spi=..    rekey_ike_sent
 *   child_rekeyed old=.. new=..            (after the new pair's child_up)
 *   child_down spi_in=.. spi_out=..
 *   ike_rekeyed spi_i=.. spi_r=..          (the new IKE SA; old ones end "rekeyed")
 *   final spi_i=.. spi_r=.. state=.. children=IN/OUT,...   (the current IKE SA at exit)
 *   auth ours=M peer=M peer_id_type=T fail=F   (methods: enum ike_auth_method)
 *   frag sent=.. stored=.. completed=.. dropped=..   (RFC 7383 counters)
 * The key hashes cover each direction's KEYMAT as RFC 7296 2.17 orders it
 * (encryption key incl. salt, then integrity key), so they compare with the
 * peer's own dump. Exit 0 once a CHILD_SA is up (after --linger, or after
 * the --delete exchange), 1 otherwise; an SA the peer deletes ends the run.
 *
 * NAT-T (R7296-2.23): the engine keeps the path it was created on, so the
 * probe does the float: an initiator that detected a NAT sends everything
 * after IKE_SA_INIT from port 4500 to the peer's 4500, a responder answers
 * on 4500 once the peer used it; on 4500 the Non-ESP marker (RFC 3948 2.2)
 * is added and stripped here, the engine never sees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"
#include "ike/ikeauth.h"
#include "ike/ikepeer.h"
#include "ike/ikesa.h"
#include "wire/ike.h"

struct probe {
	bool initiator;
	int fd_ike, fd_natt;                 /* 500 and 4500 */
	struct in6_addr local, remote;
	uint16_t port, natt_port, peer_port, peer_natt_port;
	bool floated;                        /* IKE moved to 4500 */
	uint8_t psk[256];
	size_t psk_len;
	struct ike_ts local_ts, remote_ts;
	struct ikesa_params params;
	struct ikesa_gate *gate;
	struct ikesa *sa;
	bool child_up, down;
	uint64_t esp_dropped;
	unsigned sent, drop_out;             /* --drop-out N: lose our Nth datagram */
	struct probe_rekey *rk;
	struct ikeauth_cred *cred;           /* --cert/--key/--ca */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void die(const char *what)
{
	fprintf(stderr, "ike_probe: %s\n", what);
	exit(2);
}

/* ---- arguments ----------------------------------------------------------- */

/* strongSwan's proposal keywords, one suite: "aes256gcm16-prfsha256-ecp256",
 * "aes256-sha256-x25519" (IKE, prf defaults to the integ hash as in swanctl),
 * "aes256gcm16" / "aes256-sha256" (ESP). */
static void parse_suite(const char *s, bool ike, struct ikesa_prop *p)
{
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		die("proposal too long");
	strcpy(buf, s);
	memset(p, 0, sizeof(*p));
	char *save = NULL;
	for (char *t = strtok_r(buf, "-", &save); t != NULL; t = strtok_r(NULL, "-", &save)) {
		if (strcmp(t, "aes256gcm16") == 0 || strcmp(t, "aes128gcm16") == 0) {
			p->encr = XFORM_ENCR_AES_GCM_16;
			p->key_bits = t[3] == '2' ? 256 : 128;
		} else if (strcmp(t, "aes256") == 0 || strcmp(t, "aes128") == 0) {
			p->encr = XFORM_ENCR_AES_CBC;
			p->key_bits = t[3] == '2' ? 256 : 128;
		} else if (strcmp(t, "sha256") == 0) {
			p->integ = XFORM_INTEG_HMAC_SHA2_256_128;
			if (ike && p->prf == 0)
				p->prf = XFORM_PRF_HMAC_SHA2_256;
		} else if (strcmp(t, "prfsha256") == 0) {
			p->prf = XFORM_PRF_HMAC_SHA2_256;
		} else if (strcmp(t, "ecp256") == 0) {
			p->dh = XFORM_DH_ECP_256;
		} else if (strcmp(t, "x25519") == 0 || strcmp(t, "curve25519") == 0) {
			p->dh = XFORM_DH_CURVE25519;
		} else if (strcmp(t, "modp2048") == 0) {
			p->dh = XFORM_DH_MODP_2048;
		} else {
			fprintf(stderr, "ike_probe: unknown proposal keyword %s\n", t);
			exit(2);
		}
	}
	if (p->encr == 0 || (ike && (p->prf == 0 || p->dh == 0)))
		die("incomplete proposal");
}

static void parse_id(const char *s, struct ikesa_id *id)
{
	size_t n = strlen(s);
	if (n == 0 || n > IKESA_ID_MAX)
		die("bad identity");
	memset(id, 0, sizeof(*id));
	id->type = strchr(s, '@') != NULL ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
	id->len = (uint8_t)n;
	memcpy(id->data, s, n);
}

/* "fd6e:10::/64": an IPv6 range selector, any protocol and port. */
static void parse_ts(const char *s, struct ike_ts *ts)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(s) >= sizeof(buf))
		die("bad traffic selector");
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	unsigned plen = 128;
	if (slash != NULL) {
		*slash = '\0';
		plen = (unsigned)strtoul(slash + 1, NULL, 10);
	}
	struct in6_addr a;
	if (inet_pton(AF_INET6, buf, &a) != 1 || plen > 128)
		die("bad traffic selector");
	memset(ts, 0, sizeof(*ts));
	ts->type = IKE_TS_IPV6_ADDR_RANGE;
	ts->end_port = 65535;
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = plen > i * 8 ? plen - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		ts->start[i] = a.s6_addr[i] & mask;
		ts->end[i] = (uint8_t)(a.s6_addr[i] | (uint8_t)~mask);
	}
}

static void parse_psk(const char *s, struct probe *pr)
{
	size_t n = strlen(s);
	if (n > 2 && s[0] == '0' && s[1] == 'x') {
		if ((n - 2) % 2 != 0 || (n - 2) / 2 > sizeof(pr->psk))
			die("bad hex PSK");
		pr->psk_len = (n - 2) / 2;
		for (size_t i = 0; i < pr->psk_len; i++) {
			unsigned v;
			if (sscanf(s + 2 + 2 * i, "%2x", &v) != 1)
				die("bad hex PSK");
			pr->psk[i] = (uint8_t)v;
		}
		return;
	}
	if (n == 0 || n > sizeof(pr->psk))
		die("bad PSK");
	memcpy(pr->psk, s, n);
	pr->psk_len = n;
}

/* ---- engine callbacks ---------------------------------------------------- */

static bool probe_drop_also(const struct probe *pr);

static int probe_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct probe *pr = arg;
	if (++pr->sent == pr->drop_out || probe_drop_also(pr)) {
		fprintf(stderr, "ike_probe: datagram %u lost on purpose\n", pr->sent);
		return 0;
	}
	bool init = len > 18 && msg[18] == IKE_EXCH_SA_INIT;
	if (!pr->floated && !init && pr->sa != NULL && (ikesa_nat_local(pr->sa) || ikesa_nat_remote(pr->sa)))
		pr->floated = true;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = path->remote };
	uint8_t buf[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_BIG];
	if (pr->floated && !init && len <= IKESA_MSG_BIG) {
		memset(buf, 0, IKE_NON_ESP_MARKER_LEN);
		memcpy(buf + IKE_NON_ESP_MARKER_LEN, msg, len);
		to.sin6_port = htons(pr->peer_natt_port);
		if (sendto(pr->fd_natt, buf, len + IKE_NON_ESP_MARKER_LEN, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return M6E_IO;
		return 0;
	}
	to.sin6_port = htons(path->remote_port);
	if (sendto(pr->fd_ike, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return M6E_IO;
	return 0;
}

static void probe_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	if (crypto_random(buf, len) != 0)
		die("no randomness");
}

static const uint8_t *probe_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct probe *pr = arg;
	const struct ikesa_id *want = &pr->params.remote_id;
	if (id->type != want->type || id->len != want->len || memcmp(id->data, want->data, id->len) != 0)
		return NULL;
	*len = pr->psk_len;
	return pr->psk;
}

static bool narrow(const struct ike_ts_list *in, const struct ike_ts *ours, struct ike_ts_list *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < in->n; i++)
		if (ikepeer_ts_intersect(&in->ts[i], ours, &out->ts[0])) {
			out->n = 1;
			return true;
		}
	return false;
}

/* Responder: the peer's side must meet --remote-ts, ours --local-ts. */
static int probe_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			   const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			   struct ike_ts_list *out_tsr)
{
	struct probe *pr = arg;
	(void)peer;
	if (*transport != pr->params.transport)
		*transport = pr->params.transport;
	if (!narrow(tsi, &pr->remote_ts, out_tsi) || !narrow(tsr, &pr->local_ts, out_tsr))
		return M6E_PERM;
	return 0;
}

static void probe_ike_up(void *arg, const struct ikesa *sa)
{
	struct probe *pr = arg;
	const struct ikesa_prop *s = ikesa_suite(sa);
	printf("ike_up role=%s spi_i=%016llx spi_r=%016llx suite=%u/%u/%u/%u/%u nat_local=%d nat_remote=%d "
	       "port=%u\n",
	       pr->initiator ? "initiator" : "responder", (unsigned long long)ikesa_spi_i(sa),
	       (unsigned long long)ikesa_spi_r(sa), s->encr, s->key_bits, s->integ, s->prf, s->dh,
	       ikesa_nat_local(sa), ikesa_nat_remote(sa), pr->floated ? pr->natt_port : pr->port);
	fflush(stdout);
}

/* Stable tokens for the script; the engine's names are prose. */
static const char *down_token(enum ikesa_down d)
{
	static const char *const tokens[IKESA_DOWN_COUNT] = {
		[IKESA_DOWN_NONE] = "none",
		[IKESA_DOWN_TIMEOUT] = "timeout",
		[IKESA_DOWN_AUTH_FAILED] = "auth_failed",
		[IKESA_DOWN_PEER_AUTH_FAILED] = "peer_auth_failed",
		[IKESA_DOWN_NO_PROPOSAL] = "no_proposal",
		[IKESA_DOWN_PEER_ERROR] = "peer_error",
		[IKESA_DOWN_LOCAL_DELETE] = "local_delete",
		[IKESA_DOWN_PEER_DELETE] = "peer_delete",
		[IKESA_DOWN_INTERNAL] = "internal",
		[IKESA_DOWN_REKEYED] = "rekeyed",
	};
	return (unsigned)d < IKESA_DOWN_COUNT && tokens[d] != NULL ? tokens[d] : "unknown";
}

static bool probe_switch(struct probe *pr, const struct ikesa *down);

static void probe_ike_down(void *arg, const struct ikesa *sa, enum ikesa_down reason)
{
	struct probe *pr = arg;
	printf("ike_down reason=%s (%s)\n", down_token(reason), ikesa_down_name(reason));
	fflush(stdout);
	if (reason == IKESA_DOWN_REKEYED || probe_switch(pr, sa))
		return;
	pr->down = true;
}

static void sha256_hex(const uint8_t *p, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		die("sha256 failed");
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void probe_child_up(void *arg, const struct ikesa_child *c)
{
	struct probe *pr = arg;
	char h_in[65], h_out[65], ts_i[INET6_ADDRSTRLEN], ts_r[INET6_ADDRSTRLEN];
	sha256_hex(c->keymat_in, c->keymat_len, h_in);
	sha256_hex(c->keymat_out, c->keymat_len, h_out);
	inet_ntop(AF_INET6, c->tsi.ts[0].start, ts_i, sizeof(ts_i));
	inet_ntop(AF_INET6, c->tsr.ts[0].start, ts_r, sizeof(ts_r));
	/* The initiator sends on the i->r SA (R7296-2.17: its keys come first). */
	printf("child_up spi_in=%08x spi_out=%08x mode=%s esp=%u/%u/%u encap=%d tsi=%s tsr=%s ts_proto=%u "
	       "keymat_len=%zu key_i2r_sha256=%s key_r2i_sha256=%s\n",
	       c->spi_in, c->spi_out, c->transport ? "transport" : "tunnel", c->encr, c->key_bits, c->integ,
	       c->udp_encap, ts_i, ts_r, c->tsi.ts[0].ip_proto, c->keymat_len, c->initiator ? h_out : h_in, c->initiator ? h_in : h_out);
	if (c->rekey_of != 0)
		printf("child_rekeyed old=%08x new=%08x\n", c->rekey_of, c->spi_in);
	fflush(stdout);
	pr->child_up = true;
}

static void probe_child_failed(void *arg, const struct ikesa *sa, uint16_t notify)
{
	struct probe *pr = arg;
	(void)sa;
	printf("child_failed notify=%u\n", notify);
	fflush(stdout);
	pr->down = true;
}

/* ---- rekeying ------------------------------------------------------------ */

#define PROBE_SA_MAX 8

/* --rekey-child-after / --rekey-ike-after: our rekeys, counted from the
 * first child_up; every IKE SA the engine handed us (the adapter's job:
 * route by SPIs, tick them all, free them). */
struct probe_rekey {
	uint64_t child_after_ms, ike_after_ms, up_at;
	unsigned drop_also;                  /* --drop-also N: lose our Nth datagram too */
	bool collide;                        /* --rekey-collision */
	bool child_sent, ike_sent;
	struct ikesa *sas[PROBE_SA_MAX];
	unsigned n_sas;
};

static bool probe_drop_also(const struct probe *pr)
{
	return pr->rk->drop_also != 0 && pr->sent == pr->rk->drop_also;
}

static void probe_track(struct probe_rekey *rk, struct ikesa *sa)
{
	for (unsigned i = 0; i < rk->n_sas; i++)
		if (rk->sas[i] == sa)
			return;
	if (rk->n_sas == PROBE_SA_MAX)
		die("too many IKE SAs");
	rk->sas[rk->n_sas++] = sa;
}

static void probe_ike_rekeyed(void *arg, struct ikesa *old_sa, struct ikesa *new_sa)
{
	struct probe *pr = arg;
	probe_track(pr->rk, old_sa);
	probe_track(pr->rk, new_sa);
	pr->sa = new_sa;
	printf("ike_rekeyed spi_i=%016llx spi_r=%016llx\n", (unsigned long long)ikesa_spi_i(new_sa),
	       (unsigned long long)ikesa_spi_r(new_sa));
	fflush(stdout);
}

static void probe_child_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out)
{
	(void)arg;
	(void)sa;
	printf("child_down spi_in=%08x spi_out=%08x\n", spi_in, spi_out);
	fflush(stdout);
}

/* The SA a datagram belongs to, by its SPIs (after an IKE rekey two or
 * three live at once). */
static struct ikesa *probe_pick(struct probe *pr, const uint8_t *msg, size_t len)
{
	uint64_t spi_i = 0, spi_r = 0;
	for (unsigned i = 0; i < 8 && len >= 16; i++) {
		spi_i = spi_i << 8 | msg[i];
		spi_r = spi_r << 8 | msg[8 + i];
	}
	for (unsigned i = 0; i < pr->rk->n_sas; i++)
		if (ikesa_spi_i(pr->rk->sas[i]) == spi_i && ikesa_spi_r(pr->rk->sas[i]) == spi_r)
			return pr->rk->sas[i];
	return pr->sa;
}

/* The SA that went down was the current one but another still lives (a
 * redundant SA of a rekey collision): carry on with that one. */
static bool probe_switch(struct probe *pr, const struct ikesa *down)
{
	if (down != pr->sa)
		return true;
	for (unsigned i = 0; i < pr->rk->n_sas; i++)
		if (pr->rk->sas[i] != down && ikesa_state(pr->rk->sas[i]) == IKESA_ESTABLISHED) {
			pr->sa = pr->rk->sas[i];
			return true;
		}
	return false;
}

static void probe_rekey_step(struct probe *pr, uint64_t t)
{
	struct probe_rekey *rk = pr->rk;
	if (!pr->child_up || pr->down || pr->sa == NULL)
		return;
	if (rk->up_at == 0)
		rk->up_at = t;
	struct ikesa_child_info info;
	if (rk->child_after_ms != 0 && !rk->child_sent && t >= rk->up_at + rk->child_after_ms &&
	    ikesa_children(pr->sa, &info, 1) >= 1 && ikesa_rekey_child(pr->sa, info.spi_in, t) == 0) {
		rk->child_sent = true;
		printf("rekey_child_sent spi=%08x\n", info.spi_in);
		fflush(stdout);
	}
	if (rk->ike_after_ms != 0 && !rk->ike_sent && t >= rk->up_at + rk->ike_after_ms &&
	    ikesa_rekey_ike(pr->sa, t) == 0) {
		rk->ike_sent = true;
		printf("rekey_ike_sent\n");
		fflush(stdout);
	}
}

/* --rekey-collision: the peer's CHILD_SA rekey request makes us send our own
 * rekey of the same pair first, and our answer to the peer is lost, so the
 * peer meets our request while its own is still outstanding and retries
 * later (answered from our cache): a collision on both sides whatever the
 * timing (R7296-2.8.1.a). */
static void probe_collide(struct probe *pr, const uint8_t *msg, size_t len, uint64_t t)
{
	struct probe_rekey *rk = pr->rk;
	struct ikesa_child_info info;
	bool request = len > 19 && msg[18] == IKE_EXCH_CREATE_CHILD_SA && !(msg[19] & IKE_FLAG_R);
	if (!rk->collide || rk->child_sent || !request || ikesa_children(pr->sa, &info, 1) < 1)
		return;
	if (ikesa_rekey_child(pr->sa, info.spi_in, t) != 0)
		return;
	rk->child_sent = true;
	rk->drop_also = pr->sent + 1; /* the answer to the peer's request comes next */
	printf("rekey_child_sent spi=%08x (collision)\n", info.spi_in);
	fflush(stdout);
}

/* Earliest timer of every IKE SA and of our rekeys still to start. */
static uint64_t probe_rekey_wake(const struct probe *pr, uint64_t wake)
{
	const struct probe_rekey *rk = pr->rk;
	if (rk->up_at != 0 && rk->child_after_ms != 0 && !rk->child_sent && rk->up_at + rk->child_after_ms < wake)
		wake = rk->up_at + rk->child_after_ms;
	if (rk->up_at != 0 && rk->ike_after_ms != 0 && !rk->ike_sent && rk->up_at + rk->ike_after_ms < wake)
		wake = rk->up_at + rk->ike_after_ms;
	for (unsigned i = 0; i < pr->rk->n_sas; i++)
		if (ikesa_next_timeout(pr->rk->sas[i]) < wake)
			wake = ikesa_next_timeout(pr->rk->sas[i]);
	return wake;
}

static void probe_rekey_tick(struct probe *pr, uint64_t t)
{
	for (unsigned i = 0; i < pr->rk->n_sas; i++)
		if (pr->rk->sas[i] != pr->sa && ikesa_next_timeout(pr->rk->sas[i]) <= t)
			ikesa_tick(pr->rk->sas[i], t);
}

/* The current IKE SA and its children for the script; frees the others. */
static void probe_rekey_fini(struct probe *pr)
{
	if (pr->sa != NULL) {
		struct ikesa_child_info info[IKESA_CHILD_MAX];
		size_t n = ikesa_children(pr->sa, info, IKESA_CHILD_MAX);
		printf("final spi_i=%016llx spi_r=%016llx state=%s children=", (unsigned long long)ikesa_spi_i(pr->sa),
		       (unsigned long long)ikesa_spi_r(pr->sa), ikesa_state_name(ikesa_state(pr->sa)));
		for (size_t i = 0; i < n && i < IKESA_CHILD_MAX; i++)
			printf("%s%08x/%08x", i ? "," : "", info[i].spi_in, info[i].spi_out);
		printf("\n");
	}
	for (unsigned i = 0; i < pr->rk->n_sas; i++)
		if (pr->rk->sas[i] != pr->sa)
			ikesa_free(pr->rk->sas[i]);
}

static const struct ikesa_ops probe_ops = {
	.send = probe_send,
	.random = probe_random,
	.psk_for = probe_psk_for,
	.ts_policy = probe_ts_policy,
	.ike_up = probe_ike_up,
	.ike_down = probe_ike_down,
	.child_up = probe_child_up,
	.child_failed = probe_child_failed,
	.child_down = probe_child_down,
	.ike_rekeyed = probe_ike_rekeyed,
};

/* ---- sockets and loop ---------------------------------------------------- */

static int udp_bind(const struct in6_addr *a, uint16_t port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		die("socket");
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = *a, .sin6_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("ike_probe: bind");
		exit(2);
	}
	return fd;
}

static void handle(struct probe *pr, int fd, bool natt)
{
	uint8_t buf[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_BIG + 64];
	struct sockaddr_in6 from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n <= 0)
		return;
	const uint8_t *msg = buf;
	size_t len = (size_t)n;
	if (natt) {
		/* Keepalive (one 0xff octet) or ESP (non-zero SPI): no data path here. */
		if (len < IKE_NON_ESP_MARKER_LEN + IKE_HDR_LEN || memcmp(buf, "\0\0\0\0", 4) != 0) {
			if (len > 1)
				pr->esp_dropped++;
			return;
		}
		msg += IKE_NON_ESP_MARKER_LEN;
		len -= IKE_NON_ESP_MARKER_LEN;
		if (!pr->floated) {
			pr->floated = true;
			pr->peer_natt_port = ntohs(from.sin6_port);
		}
	}
	if (len < IKE_HDR_LEN || memcmp(&from.sin6_addr, &pr->remote, 16) != 0)
		return;
	struct ikesa_path path = {
		.local = pr->local,
		.remote = from.sin6_addr,
		.local_port = natt ? pr->natt_port : pr->port,
		.remote_port = ntohs(from.sin6_port),
	};
	uint64_t t = now_ms();
	if (pr->sa == NULL) {
		static const uint8_t zero[8];
		if (pr->initiator || msg[18] != IKE_EXCH_SA_INIT || memcmp(msg + 8, zero, 8) != 0)
			return;
		int rc = ikesa_accept(pr->gate, &pr->params, &probe_ops, pr, 0, msg, len, &path, t, &pr->sa);
		if (rc != 0 && rc != M6E_AGAIN)
			fprintf(stderr, "ike_probe: IKE_SA_INIT request dropped (%d)\n", rc);
		if (pr->sa != NULL)
			fprintf(stderr, "ike_probe: responder SA spi_i=%016llx\n",
				(unsigned long long)ikesa_spi_i(pr->sa));
		return;
	}
	probe_collide(pr, msg, len, t);
	int rc = ikesa_input(probe_pick(pr, msg, len), msg, len, &path, t);
	if (rc != 0)
		fprintf(stderr, "ike_probe: datagram dropped (%d), state %s\n", rc,
			ikesa_state_name(ikesa_state(pr->sa)));
}

static void usage(void)
{
	fputs("usage: ike_probe --role initiator|responder --local ADDR --remote ADDR --psk PSK|0xHEX\n"
	      "  --local-id ID --remote-id ID --ike SUITE [--ike ...] --esp SUITE [--esp ...]\n"
	      "  --local-ts PFX/LEN --remote-ts PFX/LEN [--transport] [--port 500] [--natt-port 4500]\n"
	      "  [--peer-port 500] [--peer-natt-port 4500] [--timeout SEC] [--linger MS] [--verbose]\n"
	      "  [--dpd] [--delete]   after the CHILD_SA: one empty INFORMATIONAL, then DELETE of the IKE SA\n"
	      "  [--drop-out N]       do not transmit our Nth datagram (a loss, for retransmission)\n"
	      "  [--ts-proto N]       both traffic selectors for IP protocol N only (135: Mobility Header)\n"
	      "  [--cookie-threshold N]  responder: demand a cookie from N half-open SAs on (0: always)\n"
	      "  [--rekey-child-after MS] [--rekey-ike-after MS]  our rekeys, MS after the first CHILD_SA\n"
	      "  [--pfs] [--child-lifetime MS] [--ike-lifetime MS] [--rekey-margin MS]  (engine's own rekeys)\n"
	      "  [--drop-also N]      lose our Nth datagram as well (a second loss)\n"
	      "  [--rekey-collision]  answer the peer's CHILD_SA rekey with our own first (a forced collision)\n"
	      "  certificates instead of --psk: --cert CHAIN.pem --key KEY.pem --ca CA.pem\n"
	      "    (--local-id may then be left out: our certificate's subject DN; without --remote-id\n"
	      "    the peer's ID only has to be in its certificate)\n"
	      "  [--fragment-size N]  IKE octets per datagram once fragmenting (RFC 7383)\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct probe pr;
	static struct probe_rekey rk;
	pr.rk = &rk;
	pr.port = 500; /* RFC 7296 2: 500, NAT-T 4500 */
	pr.natt_port = 4500;
	pr.peer_port = 500;
	pr.peer_natt_port = 4500;
	unsigned timeout_s = 20, linger_ms = 1500;
	bool have_role = false, have_local = false, have_remote = false, verbose = false;
	bool have_lts = false, have_rts = false, want_dpd = false, want_delete = false;
	uint8_t ts_proto = 0;
	enum { O_LOCAL = 256, O_REMOTE, O_PSK, O_LID, O_RID, O_IKE, O_ESP, O_LTS, O_RTS, O_TRANSPORT, O_PORT, O_NATT,
	       O_PPORT, O_PNATT, O_TIMEOUT, O_LINGER, O_ROLE, O_VERBOSE, O_DPD, O_DELETE,
	       O_DROP_OUT, O_TS_PROTO, O_COOKIE,
	       O_REKEY_CHILD, O_REKEY_IKE, O_PFS, O_CHILD_LIFE, O_IKE_LIFE, O_MARGIN, O_DROP_ALSO, O_COLLIDE,
	       O_CERT, O_KEY, O_CA, O_FRAG_SIZE };
	const char *cert_path = NULL, *key_path = NULL, *ca_path = NULL;
	static const struct option opts[] = {
		{ "role", required_argument, NULL, O_ROLE },
		{ "local", required_argument, NULL, O_LOCAL },
		{ "remote", required_argument, NULL, O_REMOTE },
		{ "psk", required_argument, NULL, O_PSK },
		{ "local-id", required_argument, NULL, O_LID },
		{ "remote-id", required_argument, NULL, O_RID },
		{ "ike", required_argument, NULL, O_IKE },
		{ "esp", required_argument, NULL, O_ESP },
		{ "local-ts", required_argument, NULL, O_LTS },
		{ "remote-ts", required_argument, NULL, O_RTS },
		{ "transport", no_argument, NULL, O_TRANSPORT },
		{ "port", required_argument, NULL, O_PORT },
		{ "natt-port", required_argument, NULL, O_NATT },
		{ "peer-port", required_argument, NULL, O_PPORT },
		{ "peer-natt-port", required_argument, NULL, O_PNATT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "dpd", no_argument, NULL, O_DPD },
		{ "delete", no_argument, NULL, O_DELETE },
		{ "drop-out", required_argument, NULL, O_DROP_OUT },
		{ "ts-proto", required_argument, NULL, O_TS_PROTO },
		{ "cookie-threshold", required_argument, NULL, O_COOKIE },
		{ "rekey-child-after", required_argument, NULL, O_REKEY_CHILD },
		{ "rekey-ike-after", required_argument, NULL, O_REKEY_IKE },
		{ "pfs", no_argument, NULL, O_PFS },
		{ "child-lifetime", required_argument, NULL, O_CHILD_LIFE },
		{ "ike-lifetime", required_argument, NULL, O_IKE_LIFE },
		{ "rekey-margin", required_argument, NULL, O_MARGIN },
		{ "drop-also", required_argument, NULL, O_DROP_ALSO },
		{ "rekey-collision", no_argument, NULL, O_COLLIDE },
		/* certificates and fragmentation (RFC 7296 3.6-3.8, RFC 7383) */
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "ca", required_argument, NULL, O_CA },
		{ "fragment-size", required_argument, NULL, O_FRAG_SIZE },
		{ NULL, 0, NULL, 0 },
	};
	struct ikesa_params *p = &pr.params;
	p->cookie_threshold = UINT32_MAX;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_ROLE:
			have_role = true;
			if (strcmp(optarg, "initiator") == 0)
				pr.initiator = true;
			else if (strcmp(optarg, "responder") != 0)
				usage();
			break;
		case O_LOCAL:
			have_local = inet_pton(AF_INET6, optarg, &pr.local) == 1;
			break;
		case O_REMOTE:
			have_remote = inet_pton(AF_INET6, optarg, &pr.remote) == 1;
			break;
		case O_PSK:
			parse_psk(optarg, &pr);
			break;
		case O_LID:
			parse_id(optarg, &p->local_id);
			break;
		case O_RID:
			parse_id(optarg, &p->remote_id);
			break;
		case O_IKE:
			if (p->n_ike == IKESA_PROP_MAX)
				usage();
			parse_suite(optarg, true, &p->ike[p->n_ike++]);
			break;
		case O_ESP:
			if (p->n_esp == IKESA_PROP_MAX)
				usage();
			parse_suite(optarg, false, &p->esp[p->n_esp++]);
			break;
		case O_LTS:
			parse_ts(optarg, &pr.local_ts);
			have_lts = true;
			break;
		case O_RTS:
			parse_ts(optarg, &pr.remote_ts);
			have_rts = true;
			break;
		case O_TRANSPORT:
			p->transport = true;
			break;
		case O_PORT:
			pr.port = (uint16_t)atoi(optarg);
			break;
		case O_NATT:
			pr.natt_port = (uint16_t)atoi(optarg);
			break;
		case O_PPORT:
			pr.peer_port = (uint16_t)atoi(optarg);
			break;
		case O_PNATT:
			pr.peer_natt_port = (uint16_t)atoi(optarg);
			break;
		case O_TIMEOUT:
			timeout_s = (unsigned)atoi(optarg);
			break;
		case O_LINGER:
			linger_ms = (unsigned)atoi(optarg);
			break;
		case O_VERBOSE:
			verbose = true;
			break;
		case O_DPD:
			want_dpd = true;
			break;
		case O_DELETE:
			want_delete = true;
			break;
		case O_DROP_OUT:
			pr.drop_out = (unsigned)atoi(optarg);
			break;
		case O_TS_PROTO:
			ts_proto = (uint8_t)atoi(optarg);
			break;
		case O_COOKIE:
			p->cookie_threshold = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case O_REKEY_CHILD:
			rk.child_after_ms = strtoull(optarg, NULL, 10);
			break;
		case O_REKEY_IKE:
			rk.ike_after_ms = strtoull(optarg, NULL, 10);
			break;
		case O_PFS:
			p->pfs = true;
			break;
		case O_CHILD_LIFE:
			p->child_lifetime_ms = strtoull(optarg, NULL, 10);
			break;
		case O_IKE_LIFE:
			p->ike_lifetime_ms = strtoull(optarg, NULL, 10);
			break;
		case O_MARGIN:
			p->rekey_margin_ms = strtoull(optarg, NULL, 10);
			break;
		case O_DROP_ALSO:
			rk.drop_also = (unsigned)atoi(optarg);
			break;
		case O_COLLIDE:
			rk.collide = true;
			break;
		case O_CERT:
			cert_path = optarg;
			break;
		case O_KEY:
			key_path = optarg;
			break;
		case O_CA:
			ca_path = optarg;
			break;
		case O_FRAG_SIZE:
			p->fragment_size = (size_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (cert_path != NULL || ca_path != NULL) {
		char err[256];
		if (ikeauth_cred_load(cert_path, key_path, ca_path, &pr.cred, err, sizeof(err)) != 0) {
			fprintf(stderr, "ike_probe: %s\n", err);
			exit(2);
		}
		p->cred = pr.cred;
	}
	bool cert_auth = pr.cred != NULL && pr.psk_len == 0;
	if (!have_role || !have_local || !have_remote || (pr.psk_len == 0 && !cert_auth) ||
	    (p->local_id.len == 0 && !cert_auth) || (p->remote_id.len == 0 && !cert_auth) || p->n_ike == 0 ||
	    p->n_esp == 0 || !have_lts || !have_rts)
		usage();
	log_open(LOG_TO_STDERR, verbose ? LOG_LVL_DEBUG : LOG_LVL_NOTICE, verbose ? LOG_SUB_ALL : 0, "ike_probe");
	pr.local_ts.ip_proto = pr.remote_ts.ip_proto = ts_proto;
	p->tsi.n = p->tsr.n = 1;
	p->tsi.ts[0] = pr.local_ts;
	p->tsr.ts[0] = pr.remote_ts;

	pr.fd_ike = udp_bind(&pr.local, pr.port);
	pr.fd_natt = udp_bind(&pr.local, pr.natt_port);
	/* Tests wait for this line before a peer may send to us. */
	fprintf(stderr, "ike_probe: listening on ports %u and %u\n", pr.port, pr.natt_port);
	if (pr.initiator) {
		struct ikesa_path path = { .local = pr.local, .remote = pr.remote, .local_port = pr.port,
					   .remote_port = pr.peer_port };
		if (ikesa_new_initiator(&pr.sa, p, &probe_ops, &pr, &path) != 0 || ikesa_start(pr.sa, now_ms()) != 0)
			die("cannot start the initiator");
	} else if (ikesa_gate_new(&pr.gate, &probe_ops, &pr) != 0) {
		die("cannot create the gate");
	}

	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000u, linger_until = 0;
	bool dpd_sent = false, dpd_done = !want_dpd, delete_sent = false;
	for (;;) {
		uint64_t t = now_ms();
		if (pr.child_up && !pr.down) {
			/* After the CHILD_SA: one liveness check, then DELETE (R7296-1.4.a, 1.4.1.a). */
			if (want_dpd && !dpd_sent)
				dpd_sent = ikesa_dpd(pr.sa, t) == 0;
			if (dpd_sent && !dpd_done && ikesa_stats(pr.sa)->dpd_ok != 0) {
				dpd_done = true;
				printf("dpd_ok\n");
				fflush(stdout);
			}
			if (want_delete && dpd_done && !delete_sent) {
				if (ikesa_delete(pr.sa, t) != 0)
					die("ikesa_delete refused");
				delete_sent = true;
			}
		}
		probe_rekey_step(&pr, t);
		if (pr.child_up && dpd_done && !want_delete && linger_until == 0)
			linger_until = t + linger_ms;
		if (pr.down || t >= deadline || (linger_until != 0 && t >= linger_until))
			break;
		uint64_t wake = linger_until != 0 ? linger_until : deadline;
		if (pr.sa != NULL && ikesa_next_timeout(pr.sa) < wake)
			wake = ikesa_next_timeout(pr.sa);
		wake = probe_rekey_wake(&pr, wake);
		int wait = wake > t ? (int)(wake - t) : 0;
		struct pollfd pfd[2] = { { .fd = pr.fd_ike, .events = POLLIN }, { .fd = pr.fd_natt, .events = POLLIN } };
		int n = poll(pfd, 2, wait);
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0 && (pfd[0].revents & POLLIN))
			handle(&pr, pr.fd_ike, false);
		if (n > 0 && (pfd[1].revents & POLLIN))
			handle(&pr, pr.fd_natt, true);
		if (pr.sa != NULL && ikesa_next_timeout(pr.sa) <= now_ms())
			ikesa_tick(pr.sa, now_ms());
		probe_rekey_tick(&pr, now_ms());
	}
	if (!pr.child_up && !pr.down) {
		printf("ike_down reason=probe_timeout state=%s\n",
		       pr.sa != NULL ? ikesa_state_name(ikesa_state(pr.sa)) : "none");
	}
	if (pr.sa != NULL) {
		const struct ikesa_stats *st = ikesa_stats(pr.sa);
		printf("stats retransmits=%llu cache_answers=%llu dpd_answered=%llu dpd_ok=%llu\n",
		       (unsigned long long)st->retransmits, (unsigned long long)st->cache_answers,
		       (unsigned long long)st->dpd_answered, (unsigned long long)st->dpd_ok);
		const struct frag_stats *fs = ikesa_frag_stats(pr.sa);
		uint64_t fdrop = 0;
		for (unsigned i = 1; i < FRAG_DROP_COUNT; i++)
			fdrop += fs->drop[i];
		printf("auth ours=%u peer=%u peer_id_type=%u fail=%u\n", ikesa_our_auth_method(pr.sa),
		       ikesa_peer_auth_method(pr.sa), ikesa_peer_id(pr.sa)->type, ikesa_peer_auth_fail(pr.sa));
		printf("frag sent=%llu stored=%llu completed=%llu dropped=%llu\n", (unsigned long long)fs->sent,
		       (unsigned long long)fs->stored, (unsigned long long)fs->completed, (unsigned long long)fdrop);
		for (unsigned i = 1; i < IKESA_DROP_COUNT; i++)
			if (st->drop[i] != 0)
				fprintf(stderr, "ike_probe: drop %s=%llu\n", ikesa_drop_name((enum ikesa_drop)i),
					(unsigned long long)st->drop[i]);
		probe_rekey_fini(&pr);
		ikesa_free(pr.sa);
	}
	if (pr.esp_dropped != 0)
		fprintf(stderr, "ike_probe: %llu ESP datagrams on 4500 ignored (no data path)\n",
			(unsigned long long)pr.esp_dropped);
	ikesa_gate_free(pr.gate);
	ikeauth_cred_free(pr.cred);
	close(pr.fd_ike);
	close(pr.fd_natt);
	log_close();
	return pr.child_up ? 0 : 1;
}
