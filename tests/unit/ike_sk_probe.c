/*
 * ike_sk_probe: one SK payload operation for tests/unit/ike_sk_crosscheck.py,
 * which drives it with messages built by python3-cryptography.
 *
 * One request per line on stdin, one result line on stdout:
 *   seal ENCR BITS INTEG SK_E SK_A MSG BODY_OFF PLAIN_LEN
 *       MSG holds the IKE header, SK header and inner payloads with the final
 *       lengths; prints the sealed message in hex.
 *   open ENCR BITS INTEG SK_E SK_A MSG BODY_OFF
 *       prints "ok PLAIN_OFF INNER_HEX" or "refused REASON".
 *
 * SK_E / SK_A (hex; SK_A is "-" for GCM) are the original initiator's keys:
 * seal runs as the initiator, open as the responder, so both use them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ike_crypto.h"
#include "crypto/xform.h"

#define MAX_MSG 4096

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s) / 2;
	if (strlen(s) % 2 || n > cap) {
		fprintf(stderr, "bad hex\n");
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "bad hex\n");
			exit(2);
		}
		out[i] = (uint8_t)v;
	}
	return n;
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

/* One request (the words of a line); prints one result line. */
static int run(int argc, char **argv)
{
	bool seal = argc == 9 && strcmp(argv[0], "seal") == 0;
	if (!seal && !(argc == 8 && strcmp(argv[0], "open") == 0)) {
		fprintf(stderr, "usage: see the comment at the top of ike_sk_probe.c\n");
		return 2;
	}
	struct ike_keys k;
	memset(&k, 0, sizeof(k));
	k.suite = (struct ike_suite){ (unsigned)atoi(argv[1]), (unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]),
				      XFORM_PRF_HMAC_SHA2_256 };
	k.prf_len = 32;
	k.encr_len = unhex(argv[4], k.sk_ei, sizeof(k.sk_ei));
	k.integ_len = unhex(argv[5], k.sk_ai, sizeof(k.sk_ai));
	static uint8_t msg[MAX_MSG];
	size_t len = unhex(argv[6], msg, sizeof(msg));
	size_t body_off = (size_t)atoi(argv[7]);
	struct ike_sk *sk;
	int rc = ike_sk_new(&sk, &k, seal);
	ike_keys_wipe(&k);
	if (rc) {
		fprintf(stderr, "ike_sk_new: %d\n", rc);
		return 1;
	}
	if (seal) {
		rc = ike_sk_seal(sk, msg, len, body_off, (size_t)atoi(argv[8]));
		if (rc == 0) {
			print_hex(msg, len);
			printf("\n");
		}
	} else {
		size_t off = 0, plen = 0;
		enum ike_crypto_reason why = IKE_CR_OK;
		rc = ike_sk_open(sk, msg, len, body_off, &off, &plen, &why);
		if (rc == 0) {
			printf("ok %zu ", off);
			print_hex(msg + off, plen);
			printf("\n");
		} else if (why != IKE_CR_OK) {
			printf("refused %s\n", ike_crypto_reason_name(why));
			rc = 0;
		}
	}
	ike_sk_free(sk);
	if (rc)
		fprintf(stderr, "error %d\n", rc);
	return rc ? 1 : 0;
}

int main(void)
{
	static char line[3 * MAX_MSG];
	while (fgets(line, sizeof(line), stdin)) {
		char *words[10];
		int n = 0;
		for (char *w = strtok(line, " \n"); w && n < 10; w = strtok(NULL, " \n"))
			words[n++] = w;
		/* An empty key field is written as "-". */
		for (int i = 0; i < n; i++)
			if (strcmp(words[i], "-") == 0)
				words[i] = (char *)"";
		int rc = run(n, words);
		if (rc)
			return rc;
		fflush(stdout);
	}
	return 0;
}
