/* ike_bench: helpers of the IKE benchmark tools (see ike_bench.h). */
#include "ike_bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"

uint64_t ikeb_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t ikeb_cpu_us(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* ---- command line -------------------------------------------------------- */

/* One swanctl keyword and the transform fields it sets (0: leaves alone). */
struct suite_word {
	const char *word;
	uint16_t encr, key_bits, integ, prf, dh;
};

static const struct suite_word suite_words[] = {
	{ "aes128gcm16", XFORM_ENCR_AES_GCM_16, 128, 0, 0, 0 },
	{ "aes256gcm16", XFORM_ENCR_AES_GCM_16, 256, 0, 0, 0 },
	{ "aes128", XFORM_ENCR_AES_CBC, 128, 0, 0, 0 },
	{ "aes256", XFORM_ENCR_AES_CBC, 256, 0, 0, 0 },
	{ "sha256", 0, 0, XFORM_INTEG_HMAC_SHA2_256_128, 0, 0 },
	{ "prfsha256", 0, 0, 0, XFORM_PRF_HMAC_SHA2_256, 0 },
	{ "ecp256", 0, 0, 0, 0, XFORM_DH_ECP_256 },
	{ "x25519", 0, 0, 0, 0, XFORM_DH_CURVE25519 },
	{ "curve25519", 0, 0, 0, 0, XFORM_DH_CURVE25519 },
	{ "modp2048", 0, 0, 0, 0, XFORM_DH_MODP_2048 },
};

int ikeb_parse_suite(const char *s, bool ike, struct ikesa_prop *p)
{
	memset(p, 0, sizeof(*p));
	while (*s != '\0') {
		size_t n = strcspn(s, "-");
		const struct suite_word *w = NULL;
		for (size_t i = 0; i < sizeof(suite_words) / sizeof(suite_words[0]); i++)
			if (strlen(suite_words[i].word) == n && strncmp(suite_words[i].word, s, n) == 0)
				w = &suite_words[i];
		if (w == NULL)
			return M6E_INVAL;
		if (w->encr != 0) {
			p->encr = w->encr;
			p->key_bits = w->key_bits;
		}
		p->integ = w->integ != 0 ? w->integ : p->integ;
		p->prf = w->prf != 0 ? w->prf : p->prf;
		if (ike)
			p->dh = w->dh != 0 ? w->dh : p->dh;
		s += n + (s[n] == '-');
	}
	/* swanctl: without a prf keyword the IKE PRF follows the integrity hash. */
	if (ike && p->prf == 0 && p->integ == XFORM_INTEG_HMAC_SHA2_256_128)
		p->prf = XFORM_PRF_HMAC_SHA2_256;
	if (p->encr == 0 || (ike && (p->prf == 0 || p->dh == 0)))
		return M6E_INVAL;
	return 0;
}

int ikeb_parse_id(const char *s, struct ikesa_id *id)
{
	size_t n = strlen(s);
	if (n == 0 || n > IKESA_ID_MAX)
		return M6E_INVAL;
	memset(id, 0, sizeof(*id));
	id->type = strchr(s, '@') != NULL ? IKE_ID_RFC822_ADDR : IKE_ID_FQDN;
	id->len = (uint8_t)n;
	memcpy(id->data, s, n);
	return 0;
}

bool ikeb_id_equal(const struct ikesa_id *a, const struct ikesa_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int ikeb_parse_ts(const char *s, struct ike_ts *ts)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned plen = slash != NULL ? (unsigned)strtoul(slash + 1, NULL, 10) : 128;
	struct in6_addr a;
	if (alen >= sizeof(addr) || plen > 128)
		return M6E_INVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a) != 1)
		return M6E_INVAL;
	memset(ts, 0, sizeof(*ts));
	ts->type = IKE_TS_IPV6_ADDR_RANGE;
	ts->end_port = 65535;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
		uint8_t host = (uint8_t)(0xffu >> keep);
		ts->start[i] = (uint8_t)(a.s6_addr[i] & ~host);
		ts->end[i] = (uint8_t)(a.s6_addr[i] | host);
	}
	return 0;
}

int ikeb_parse_psk(const char *s, uint8_t *psk, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n > 2 && strncmp(s, "0x", 2) == 0) {
		size_t bytes = (n - 2) / 2;
		if ((n - 2) % 2 != 0 || bytes > cap)
			return M6E_INVAL;
		for (size_t i = 0; i < bytes; i++) {
			char hex[3] = { s[2 + 2 * i], s[3 + 2 * i], '\0' };
			char *end = NULL;
			unsigned long v = strtoul(hex, &end, 16);
			if (end != hex + 2)
				return M6E_INVAL;
			psk[i] = (uint8_t)v;
		}
		*len = bytes;
		return 0;
	}
	if (n == 0 || n > cap)
		return M6E_INVAL;
	memcpy(psk, s, n);
	*len = n;
	return 0;
}

void ikeb_opts_init(struct ikeb_opts *o, const char *local_ts, const char *remote_ts)
{
	memset(o, 0, sizeof(*o));
	o->port = 500;
	o->natt_port = 4500;
	o->params.cookie_threshold = UINT32_MAX;
	if (ikeb_parse_ts(local_ts, &o->local_ts) != 0 || ikeb_parse_ts(remote_ts, &o->remote_ts) != 0)
		abort();
}

int ikeb_opts_apply(struct ikeb_opts *o, int c, const char *arg)
{
	struct ikesa_params *p = &o->params;
	int rc = 0;
	switch (c) {
	case IKEB_O_LOCAL:
		o->have_local = inet_pton(AF_INET6, arg, &o->local) == 1;
		rc = o->have_local ? 0 : M6E_INVAL;
		break;
	case IKEB_O_PSK:
		rc = ikeb_parse_psk(arg, o->psk, sizeof(o->psk), &o->psk_len);
		break;
	case IKEB_O_LID:
		rc = ikeb_parse_id(arg, &p->local_id);
		break;
	case IKEB_O_RID:
		rc = ikeb_parse_id(arg, &p->remote_id);
		break;
	case IKEB_O_IKE:
		rc = p->n_ike < IKESA_PROP_MAX ? ikeb_parse_suite(arg, true, &p->ike[p->n_ike]) : M6E_INVAL;
		p->n_ike += rc == 0;
		break;
	case IKEB_O_ESP:
		rc = p->n_esp < IKESA_PROP_MAX ? ikeb_parse_suite(arg, false, &p->esp[p->n_esp]) : M6E_INVAL;
		p->n_esp += rc == 0;
		break;
	case IKEB_O_LTS:
		rc = ikeb_parse_ts(arg, &o->local_ts);
		break;
	case IKEB_O_RTS:
		rc = ikeb_parse_ts(arg, &o->remote_ts);
		break;
	case IKEB_O_PORT:
		o->port = (uint16_t)strtoul(arg, NULL, 10);
		break;
	case IKEB_O_NATT:
		o->natt_port = (uint16_t)strtoul(arg, NULL, 10);
		break;
	case IKEB_O_VERBOSE:
		o->verbose = true;
		break;
	default:
		return 0;
	}
	return rc == 0 ? 1 : M6E_INVAL;
}

int ikeb_opts_finish(struct ikeb_opts *o)
{
	struct ikesa_params *p = &o->params;
	if (p->n_ike == 0 && ikeb_parse_suite("aes256gcm16-prfsha256-x25519", true, &p->ike[p->n_ike++]) != 0)
		return M6E_INVAL;
	if (p->n_esp == 0 && ikeb_parse_suite("aes256gcm16", false, &p->esp[p->n_esp++]) != 0)
		return M6E_INVAL;
	return o->have_local && o->psk_len != 0 && p->local_id.len != 0 ? 0 : M6E_INVAL;
}

void ikeb_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	if (crypto_random(buf, len) != 0) {
		fputs("ike bench: no randomness\n", stderr);
		exit(2);
	}
}

/* ---- sockets ------------------------------------------------------------- */

int ikeb_udp_bind(const struct in6_addr *a, uint16_t port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, rcv = (int)IKEB_RCVBUF;
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = *a, .sin6_port = htons(port) };
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		char txt[INET6_ADDRSTRLEN];
		fprintf(stderr, "ike bench: [%s]:%u: %s\n", inet_ntop(AF_INET6, a, txt, sizeof(txt)), port,
			strerror(errno));
		exit(2);
	}
	return fd;
}

int ikeb_send(int fd, bool natt, const uint8_t *msg, size_t len, const struct in6_addr *to, uint16_t port)
{
	static const uint8_t marker[IKE_NON_ESP_MARKER_LEN];
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = *to, .sin6_port = htons(port) };
	struct iovec iov[2] = { { .iov_base = (void *)marker, .iov_len = sizeof(marker) },
				{ .iov_base = (void *)msg, .iov_len = len } };
	struct msghdr mh = { .msg_name = &sin, .msg_namelen = sizeof(sin), .msg_iov = natt ? iov : iov + 1,
			     .msg_iovlen = natt ? 2 : 1 };
	return sendmsg(fd, &mh, 0) < 0 ? M6E_IO : 0;
}

int ikeb_recv(int fd, bool natt, uint8_t *buf, size_t cap, const uint8_t **msg, size_t *len,
	      struct in6_addr *from, uint16_t *port)
{
	struct sockaddr_in6 sin;
	socklen_t slen = sizeof(sin);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&sin, &slen);
	if (n <= 0 || sin.sin6_family != AF_INET6)
		return 0;
	size_t off = 0;
	if (natt) {
		/* RFC 3948 2.2: four zero octets mark IKE; a keepalive or ESP is not ours. */
		static const uint8_t marker[IKE_NON_ESP_MARKER_LEN];
		if ((size_t)n < IKE_NON_ESP_MARKER_LEN || memcmp(buf, marker, IKE_NON_ESP_MARKER_LEN) != 0)
			return 0;
		off = IKE_NON_ESP_MARKER_LEN;
	}
	if ((size_t)n - off < IKE_HDR_LEN)
		return 0;
	*msg = buf + off;
	*len = (size_t)n - off;
	*from = sin.sin6_addr;
	*port = ntohs(sin.sin6_port);
	return 1;
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

uint64_t ikeb_hdr_spi_i(const uint8_t *msg) { return be64_at(msg); }
uint64_t ikeb_hdr_spi_r(const uint8_t *msg) { return be64_at(msg + IKE_SPI_LEN); }

/* ---- SPI map ------------------------------------------------------------- */

#define MAP_TOMB UINT64_MAX

static uint64_t mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	return k ^ (k >> 33);
}

int ikeb_map_init(struct ikeb_map *m, size_t hint)
{
	size_t cap = 64;
	while (cap < hint * 2)
		cap *= 2;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	m->used = m->live = 0;
	if (m->keys == NULL || m->vals == NULL) {
		ikeb_map_fini(m);
		return M6E_NOMEM;
	}
	return 0;
}

void ikeb_map_fini(struct ikeb_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t map_slot(const struct ikeb_map *m, uint64_t key)
{
	size_t i = (size_t)mix64(key) & (m->cap - 1);
	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int map_rehash(struct ikeb_map *m, size_t cap)
{
	struct ikeb_map n = { .keys = calloc(cap, sizeof(uint64_t)), .vals = calloc(cap, sizeof(void *)), .cap = cap };
	if (n.keys == NULL || n.vals == NULL) {
		ikeb_map_fini(&n);
		return M6E_NOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != 0 && m->keys[i] != MAP_TOMB) {
			size_t j = map_slot(&n, m->keys[i]);
			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
			n.used++;
		}
	n.live = n.used;
	ikeb_map_fini(m);
	*m = n;
	return 0;
}

int ikeb_map_put(struct ikeb_map *m, uint64_t key, void *val)
{
	if (key == 0 || key == MAP_TOMB)
		return M6E_INVAL;
	if ((m->used + 1) * 2 > m->cap) {
		int rc = map_rehash(m, m->live * 4 > m->cap ? m->cap * 2 : m->cap);
		if (rc != 0)
			return rc;
	}
	size_t i = map_slot(m, key);
	if (m->keys[i] == key)
		return M6E_EXISTS;
	m->keys[i] = key;
	m->vals[i] = val;
	m->used++;
	m->live++;
	return 0;
}

void *ikeb_map_get(const struct ikeb_map *m, uint64_t key)
{
	if (key == 0 || key == MAP_TOMB)
		return NULL;
	size_t i = map_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : NULL;
}

void ikeb_map_del(struct ikeb_map *m, uint64_t key)
{
	if (key == 0 || key == MAP_TOMB)
		return;
	size_t i = map_slot(m, key);
	if (m->keys[i] != key)
		return;
	m->keys[i] = MAP_TOMB;
	m->vals[i] = NULL;
	m->live--;
}

uint64_t ikeb_peer_key(uint64_t spi_i, const struct in6_addr *addr, uint16_t port)
{
	uint64_t h = spi_i ^ port;
	for (unsigned i = 0; i < 16; i += 8)
		h = mix64(h ^ be64_at(addr->s6_addr + i));
	return h == 0 || h == MAP_TOMB ? 1 : h;
}

/* ---- CHILD_SA pairs ------------------------------------------------------ */

static int child_one(struct sad *sad, const struct ikesa_child *c, enum sa_dir dir, uint32_t spi,
		     uint64_t now_ms, struct sa **out)
{
	bool in = dir == SA_DIR_IN;
	struct sa_params p = {
		.spi = spi,
		.dir = dir,
		.mode = c->transport ? SA_MODE_TRANSPORT : SA_MODE_TUNNEL,
		.alg = c->alg,
		.keymat = in ? c->keymat_in : c->keymat_out,
		.keymat_len = c->keymat_len,
		.replay_window = in ? 64 : 0,
		.src = in ? c->path.remote : c->path.local,
		.dst = in ? c->path.local : c->path.remote,
		.udp_encap = c->udp_encap,
		.encap_sport = c->udp_encap ? 4500 : 0,
		.encap_dport = c->udp_encap ? 4500 : 0,
	};
	int rc = sa_new(&p, now_ms, out);
	if (rc != 0)
		return rc;
	rc = sad_add(sad, *out);
	if (rc != 0) {
		sa_free(*out);
		*out = NULL;
	}
	return rc;
}

int ikeb_child_install(struct sad *sad, const struct ikesa_child *c, uint32_t spi_xor, uint64_t now_ms)
{
	struct sa *in = NULL, *out = NULL;
	int rc = child_one(sad, c, SA_DIR_IN, c->spi_in ^ spi_xor, now_ms, &in);
	if (rc != 0)
		return rc;
	rc = child_one(sad, c, SA_DIR_OUT, c->spi_out ^ spi_xor, now_ms, &out);
	if (rc != 0)
		sad_del(sad, in);
	return rc;
}

void ikeb_child_remove(struct sad *sad, uint32_t spi_in, uint32_t spi_out)
{
	struct sa *sa = sad_lookup(sad, SA_DIR_IN, spi_in);
	if (sa != NULL)
		sad_del(sad, sa);
	sa = sad_lookup(sad, SA_DIR_OUT, spi_out);
	if (sa != NULL)
		sad_del(sad, sa);
}

/* ---- latency ------------------------------------------------------------- */

int ikeb_lat_init(struct ikeb_lat *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->us = calloc(cap, sizeof(*l->us));
	if (l->us == NULL)
		return M6E_NOMEM;
	l->cap = cap;
	return 0;
}

void ikeb_lat_fini(struct ikeb_lat *l)
{
	free(l->us);
	memset(l, 0, sizeof(*l));
}

void ikeb_lat_add(struct ikeb_lat *l, uint64_t us)
{
	if (l->n == l->cap) {
		l->dropped++;
		return;
	}
	l->us[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

uint64_t ikeb_lat_pct(struct ikeb_lat *l, unsigned q)
{
	if (l->n == 0)
		return 0;
	qsort(l->us, l->n, sizeof(*l->us), cmp_u32);
	size_t i = (l->n * q + 99) / 100;
	return l->us[i == 0 ? 0 : i - 1];
}
