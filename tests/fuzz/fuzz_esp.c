/*
 * Fuzz target for the ESP engine (src/ipsec/esp.c, espinudp.c, replay.c,
 * src/crypto/aead.c). The first byte picks a mode and an SA:
 *
 *   mode 0  the rest is an ESP packet for esp_open_sad() (and a UDP datagram
 *           for espinudp_parse()). The SAs carry the keys and SPIs of
 *           test-vectors.md D, so the vector packets are valid seeds.
 *   mode 1  byte 1 is a Next Header, the rest a payload: seal it, open it,
 *           and the payload must come back unchanged.
 *   mode 2  the rest is a plaintext with its own (maybe broken) trailer,
 *           sealed with a valid ICV: open must not crash, and what it
 *           returns must lie inside the packet.
 *   mode 3  seal byte 3.. as payload, then xor byte 2 (made non-zero) into
 *           offset byte 1: open must refuse every such packet.
 *
 * Windows and counters are reset per input, so runs are reproducible.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ipsec/esp.h"
#include "ipsec/espinudp.h"
#include "ipsec/sad.h"

struct fuzz_sa {
	enum aead_alg alg;
	uint32_t spi;
	bool esn;
	const char *keymat;
};

/* GCM-ESP-2, GCM-ESP-3, GCM-ESP-8 (ESN), RFC 7634 A, RFC 3602 case 5 with
 * K_a = a5 x 32 (as in test_esp.c), and CBC-256 ESN with key bytes 1..64. */
static const struct fuzz_sa fuzz_sas[] = {
	{ AEAD_AES128_GCM16, 0x0000a5f8, false, "feffe9928665731c6d6a8f9467308308cafebabe" },
	{ AEAD_AES256_GCM16, 0x4a2cbfe3, false,
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab11223344" },
	{ AEAD_AES128_GCM16, 0x00000100, true, "abbccddef00112233445566778899aabdecaf888" },
	{ AEAD_CHACHA20_POLY1305, 0x01020304, false,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3" },
	{ AEAD_AES128_CBC_HMAC_SHA256_128, 0x00004321, false,
	  "90d382b410eeba7ad938c46cec1a82bfa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5" },
	{ AEAD_AES256_CBC_HMAC_SHA256_128, 0x00001234, true,
	  "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	  "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40" },
};
#define NSA (sizeof(fuzz_sas) / sizeof(fuzz_sas[0]))

static struct sad *sad;
static struct sa *out_sa[NSA], *in_sa[NSA];
static uint8_t keymats[NSA][AEAD_MAX_KEYMAT];

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		char b[3] = { h[0], h[1], 0 };
		v = (unsigned)strtoul(b, NULL, 16);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void setup(void)
{
	if (sad)
		return;
	if (sad_new(&sad, 0x5eed) != 0)
		abort();
	for (size_t i = 0; i < NSA; i++) {
		size_t klen = unhex(fuzz_sas[i].keymat, keymats[i]);
		struct sa_params p = {
			.spi = fuzz_sas[i].spi,
			.mode = SA_MODE_TUNNEL,
			.alg = fuzz_sas[i].alg,
			.keymat = keymats[i],
			.keymat_len = klen,
			.esn = fuzz_sas[i].esn,
			.replay_window = REPLAY_WINDOW_DEFAULT,
		};
		p.dir = SA_DIR_OUT;
		if (sa_new(&p, 0, &out_sa[i]) != 0)
			abort();
		p.dir = SA_DIR_IN;
		if (sa_new(&p, 0, &in_sa[i]) != 0 || sad_add(sad, in_sa[i]) != 0)
			abort();
	}
}

static void reset(void)
{
	for (size_t i = 0; i < NSA; i++) {
		out_sa[i]->seq = 0;
		struct replay *r = &in_sa[i]->replay;
		r->top = 0;
		memset(r->bits, 0, r->nwords * sizeof(*r->bits));
	}
}

#define HEAD 64
#define MAXP 1500

/* Seal as a sender that writes any trailer it likes: valid ICV, our SPI. */
static size_t forge(size_t k, const uint8_t *pt, size_t ptlen, uint8_t *pkt)
{
	struct aead *a;
	enum aead_alg alg = fuzz_sas[k].alg;
	size_t ivl = aead_iv_len(alg), bl = aead_block_len(alg);
	if (!aead_is_combined(alg))
		ptlen -= ptlen % bl; /* CBC needs whole blocks */
	if (aead_new(&a, alg, AEAD_SEAL, keymats[k], aead_keymat_len(alg)) != 0)
		abort();
	uint32_t spi = fuzz_sas[k].spi;
	uint8_t hdr[8] = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8), (uint8_t)spi, 0, 0, 0, 1 };
	memcpy(pkt, hdr, 8);
	memset(pkt + 8, 0x5a, ivl);
	memcpy(pkt + 8 + ivl, pt, ptlen);
	/* ESN SAs authenticate the (zero) high half too. */
	uint8_t aad[12] = { 0 }, tail[4] = { 0 };
	memcpy(aad, hdr, 4);
	memcpy(aad + 8, hdr + 4, 4);
	bool esn = fuzz_sas[k].esn, comb = aead_is_combined(alg);
	struct aead_op op = {
		.iv = pkt + 8,
		.aad = esn && comb ? aad : hdr,
		.aad_len = esn && comb ? 12 : 8,
		.aad_tail = esn && !comb ? tail : NULL,
		.aad_tail_len = esn && !comb ? 4 : 0,
		.data = pkt + 8 + ivl,
		.len = ptlen,
		.icv = pkt + 8 + ivl + ptlen,
	};
	if (aead_seal(a, &op) != 0)
		abort();
	aead_free(a);
	return 8 + ivl + ptlen + aead_icv_len(alg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	reset();
	if (size < 1)
		return 0;
	unsigned mode = data[0] >> 6;
	size_t k = (data[0] & 0x3f) % NSA;
	data++, size--;
	static uint8_t buf[HEAD + MAXP + 512];
	struct esp_stats st;
	struct esp_result res;
	struct sa *hit;
	memset(&st, 0, sizeof(st));

	if (mode == 0) {
		uint8_t *pkt = malloc(size ? size : 1); /* exact size for ASan */
		if (!pkt)
			return 0;
		memcpy(pkt, data, size);
		if (esp_open_sad(sad, &st, pkt, size, &hit, &res) == 0 &&
		    (res.off > size || res.len > size - res.off))
			abort();
		struct espinudp_dgram d;
		static const struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
		memcpy(pkt, data, size);
		if (espinudp_parse(pkt, size, &a, &a, &d) == 0 && (d.off > size || d.len > size - d.off))
			abort();
		free(pkt);
		return 0;
	}
	if (size < 1 || size - 1 > MAXP)
		return 0;
	uint8_t nh = data[0];
	const uint8_t *payload = data + 1;
	size_t plen = size - 1;
	if (mode == 1) {
		memcpy(buf + HEAD, payload, plen);
		if (esp_seal(out_sa[k], buf, sizeof(buf), HEAD, plen, nh, NULL, &res) != 0)
			abort();
		uint8_t *pkt = buf + res.off;
		int rc = esp_open(in_sa[k], &st, pkt, res.len, &res);
		if (nh == ESP_NH_NONE) {
			if (rc != M6E_PROTO || res.drop != ESP_DROP_DUMMY)
				abort();
		} else if (nh == ESP_NH_IPV4 || nh == ESP_NH_IPV6) {
			/* Trimmed by the inner length, or refused for it. */
			if (rc == 0 && (res.len > plen || memcmp(pkt + res.off, payload, res.len) != 0))
				abort();
			if (rc != 0 && res.drop != ESP_DROP_INNER_LEN)
				abort();
		} else if (rc != 0 || res.len != plen || res.next_header != nh ||
			   memcmp(pkt + res.off, payload, plen) != 0) {
			abort();
		}
		return 0;
	}
	if (mode == 2) {
		size_t n = forge(k, data, size, buf);
		if (esp_open(in_sa[k], &st, buf, n, &res) == 0 && (res.off > n || res.len > n - res.off))
			abort();
		return 0;
	}
	/* mode 3: any change to an authenticated byte must be refused. */
	if (size < 2)
		return 0;
	uint8_t at = data[0], x = data[1] | 1;
	payload = data + 2;
	plen = size - 2;
	memcpy(buf + HEAD, payload, plen);
	if (esp_seal(out_sa[k], buf, sizeof(buf), HEAD, plen, 17, NULL, &res) != 0)
		abort();
	buf[res.off + at % res.len] ^= x;
	if (esp_open(in_sa[k], &st, buf + res.off, res.len, &res) == 0)
		abort();
	return 0;
}
