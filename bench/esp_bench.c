/*
 * esp_bench: seal/open throughput of the ESP engine per suite for 1400- and
 * 100-byte payloads, next to raw OpenSSL EVP on the same cipher and size in
 * the same run (the target is >= 70% of raw). Not part of `make check`:
 *   make bench/esp_bench && ./bench/esp_bench [seconds-per-row]
 * (The only code outside src/crypto that includes OpenSSL: it measures it.)
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipsec/esp.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct {
	enum aead_alg alg;
	const char *evp;
	bool hmac;
} rows[] = {
	{ AEAD_AES128_GCM16, "AES-128-GCM", false },
	{ AEAD_AES256_GCM16, "AES-256-GCM", false },
	{ AEAD_CHACHA20_POLY1305, "ChaCha20-Poly1305", false },
	{ AEAD_AES128_CBC_HMAC_SHA256_128, "AES-128-CBC", true },
	{ AEAD_AES256_CBC_HMAC_SHA256_128, "AES-256-CBC", true },
};

/* Raw EVP: the same cipher (and HMAC for CBC) on the same size, context
 * reused, the way `openssl speed -evp` runs it. */
static double raw_mbps(const char *name, bool hmac, size_t len, double secs)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t key[32] = { 1 }, iv[16] = { 2 }, buf[2048] = { 0 }, tag[32];
	EVP_EncryptInit_ex2(ctx, c, key, iv, NULL);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	size_t n = len - len % 16;
	double t0 = now_s(), t;
	unsigned long iters = 0;
	int outl;
	unsigned int ml;
	do {
		for (int i = 0; i < 256; i++, iters++) {
			EVP_EncryptInit_ex2(ctx, NULL, NULL, iv, NULL);
			EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)n);
			EVP_EncryptFinal_ex(ctx, buf + outl, &outl);
			if (hmac)
				HMAC(EVP_sha256(), key, 32, buf, n, tag, &ml);
			else
				EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
		}
		t = now_s() - t0;
	} while (t < secs);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return (double)iters * (double)len / t / 1e6;
}

static double esp_mbps(enum aead_alg alg, size_t len, double secs, bool open)
{
	uint8_t km[AEAD_MAX_KEYMAT] = { 3 }, buf[2048] = { 0 }, pkt[2048];
	struct sa_params p = {
		.spi = 0x1000, .dir = SA_DIR_OUT, .mode = SA_MODE_TUNNEL, .alg = alg,
		.keymat = km, .keymat_len = aead_keymat_len(alg), .esn = true,
	};
	struct sa *out, *in;
	if (sa_new(&p, 0, &out) != 0)
		abort();
	p.dir = SA_DIR_IN; /* window disabled: the same packet is opened again */
	if (sa_new(&p, 0, &in) != 0)
		abort();
	struct esp_result res;
	double t0 = now_s(), t;
	unsigned long iters = 0;
	if (esp_seal(out, buf, sizeof(buf), 64, len, 17, NULL, &res) != 0)
		abort();
	size_t plen = res.len;
	memcpy(pkt, buf + res.off, plen);
	do {
		for (int i = 0; i < 256; i++, iters++) {
			if (!open) {
				if (esp_seal(out, buf, sizeof(buf), 64, len, 17, NULL, &res) != 0)
					abort();
			} else {
				memcpy(buf, pkt, plen); /* open decrypts in place */
				if (esp_open(in, NULL, buf, plen, &res) != 0)
					abort();
			}
		}
		t = now_s() - t0;
	} while (t < secs);
	sa_free(out);
	sa_free(in);
	return (double)iters * (double)len / t / 1e6;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t sizes[] = { 1400, 100 };
	printf("%-28s %5s %10s %10s %10s %7s\n", "suite", "bytes", "raw MB/s", "seal MB/s", "open MB/s", "seal %");
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (size_t s = 0; s < 2; s++) {
			double raw = raw_mbps(rows[r].evp, rows[r].hmac, sizes[s], secs);
			double seal = esp_mbps(rows[r].alg, sizes[s], secs, false);
			double open = esp_mbps(rows[r].alg, sizes[s], secs, true);
			printf("%-28s %5zu %10.0f %10.0f %10.0f %6.0f%%\n", aead_alg_name(rows[r].alg), sizes[s], raw,
			       seal, open, 100 * seal / raw);
		}
	return 0;
}
