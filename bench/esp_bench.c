/*
 * esp_bench: seal/open throughput of the ESP engine alone, per suite, for
 * 1400- and 100-byte payloads. Not part of `make check`:
 *   make bench/esp_bench && ./bench/esp_bench [seconds-per-row]
 * bench/esp_speed.sh runs it next to `openssl speed` for the same cipher and
 * size and prints the ratio (issue 3 target: >= 70% of openssl speed).
 *
 * Measured the way `openssl speed` measures: payload bytes per second of CPU
 * time (not wall time), so a busy shared machine skews both sides alike.
 * Seal protects the same buffer again and again (in place, like the data
 * path). Open runs with the anti-replay window on: the outbound SA seals a
 * ring of packets with consecutive sequence numbers (untimed), then the
 * inbound SA opens each one in place (timed), ring after ring.
 *
 * Allocations: every OpenSSL allocation goes through a counting allocator
 * (CRYPTO_set_mem_functions, installed before OpenSSL allocates anything);
 * the engine's own code allocates only in sa_new(). The counts taken around
 * the timed loops, divided by the packets, must be 0: the data path does no
 * per-packet allocation.
 *
 * Output, one row per suite and size (whitespace-separated, for scripts):
 *   suite bytes seal-MB/s open-MB/s openssl-cipher openssl-mac seal-allocs open-allocs
 * where openssl-cipher/-mac name what `openssl speed -evp`/`-hmac` compares
 * and the allocs columns are allocations per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ipsec/esp.h"

#define RING 256   /* packets sealed per round of the open benchmark */
#define PKT_CAP 2048
#define HEADROOM 64

static const struct {
	enum aead_alg alg;
	const char *cipher; /* openssl speed -evp NAME */
	const char *mac;    /* openssl speed -hmac NAME, "-" for AEAD */
} rows[] = {
	{ AEAD_AES128_GCM16, "aes-128-gcm", "-" },
	{ AEAD_AES256_GCM16, "aes-256-gcm", "-" },
	{ AEAD_CHACHA20_POLY1305, "chacha20-poly1305", "-" },
	{ AEAD_AES128_CBC_HMAC_SHA256_128, "aes-128-cbc", "sha256" },
	{ AEAD_AES256_CBC_HMAC_SHA256_128, "aes-256-cbc", "sha256" },
};

struct rate {
	double mbps;
	double allocs; /* per packet */
};

static unsigned long n_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	n_allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	n_allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	free(p);
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sa *bench_sa(enum aead_alg alg, enum sa_dir dir)
{
	uint8_t km[AEAD_MAX_KEYMAT];
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(0x30 + i);
	struct sa_params p = {
		.spi = 0x1000, .dir = dir, .mode = SA_MODE_TUNNEL, .alg = alg,
		.keymat = km, .keymat_len = aead_keymat_len(alg), .esn = true,
		.replay_window = dir == SA_DIR_IN ? 1024 : 0,
	};
	struct sa *sa;
	if (sa_new(&p, 0, &sa) != 0) {
		fprintf(stderr, "esp_bench: sa_new(%s) failed\n", aead_alg_name(alg));
		exit(1);
	}
	return sa;
}

static void seal_or_die(struct sa *out, uint8_t *buf, size_t len, struct esp_result *res)
{
	if (esp_seal(out, buf, PKT_CAP, HEADROOM, len, 41, NULL, res) != 0) {
		fprintf(stderr, "esp_bench: esp_seal failed: %s\n", esp_drop_name(res->drop));
		exit(1);
	}
}

static struct rate seal_rate(enum aead_alg alg, size_t len, double secs)
{
	static uint8_t buf[PKT_CAP];
	struct sa *out = bench_sa(alg, SA_DIR_OUT);
	struct esp_result res;
	unsigned long n = 0, a0 = n_allocs;
	double t0 = cpu_s(), t;
	do {
		for (int i = 0; i < RING; i++, n++)
			seal_or_die(out, buf, len, &res);
		t = cpu_s() - t0;
	} while (t < secs);
	unsigned long allocs = n_allocs - a0;
	sa_free(out);
	return (struct rate){ (double)n * (double)len / t / 1e6, (double)allocs / (double)n };
}

static struct rate open_rate(enum aead_alg alg, size_t len, double secs)
{
	static uint8_t ring[RING][PKT_CAP];
	struct esp_result sealed[RING], res;
	struct sa *out = bench_sa(alg, SA_DIR_OUT), *in = bench_sa(alg, SA_DIR_IN);
	unsigned long n = 0, allocs = 0;
	double t = 0;
	do {
		for (int i = 0; i < RING; i++) {
			/* A real inner IPv6 header, so tunnel-mode trimming sees its length. */
			memset(ring[i] + HEADROOM, 0, 40);
			ring[i][HEADROOM] = 0x60;
			ring[i][HEADROOM + 4] = (uint8_t)((len - 40) >> 8);
			ring[i][HEADROOM + 5] = (uint8_t)(len - 40);
			ring[i][HEADROOM + 6] = 59;
			seal_or_die(out, ring[i], len, &sealed[i]);
		}
		unsigned long a0 = n_allocs;
		double t0 = cpu_s();
		for (int i = 0; i < RING; i++, n++)
			if (esp_open(in, NULL, ring[i] + sealed[i].off, sealed[i].len, &res) != 0) {
				fprintf(stderr, "esp_bench: esp_open failed: %s\n", esp_drop_name(res.drop));
				exit(1);
			}
		t += cpu_s() - t0;
		allocs += n_allocs - a0;
	} while (t < secs);
	sa_free(out);
	sa_free(in);
	return (struct rate){ (double)n * (double)len / t / 1e6, (double)allocs / (double)n };
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t sizes[] = { 1400, 100 };
	if (secs <= 0) {
		fprintf(stderr, "usage: esp_bench [seconds-per-row]\n");
		return 2;
	}
	/* Before OpenSSL allocates anything, or it refuses. */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "esp_bench: cannot install the counting allocator\n");
		return 1;
	}
	printf("%-28s %5s %10s %10s %-18s %-11s %11s %11s\n", "suite", "bytes", "seal-MB/s", "open-MB/s",
	       "openssl-cipher", "openssl-mac", "seal-allocs", "open-allocs");
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			struct rate seal = seal_rate(rows[r].alg, sizes[s], secs);
			struct rate open = open_rate(rows[r].alg, sizes[s], secs);
			printf("%-28s %5zu %10.1f %10.1f %-18s %-11s %11.2f %11.2f\n", aead_alg_name(rows[r].alg),
			       sizes[s], seal.mbps, open.mbps, rows[r].cipher, rows[r].mac, seal.allocs,
			       open.allocs);
			fflush(stdout);
		}
	return 0;
}
