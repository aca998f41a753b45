/*
 * libFuzzer target for the RFC 7383 reassembler (src/ike/frag.c). One
 * genuine message of PLAIN_LEN octets is sealed once as SKF fragments
 * (tests/unit/fragkeys.h); each input is a sequence of records, each
 * handing one datagram to frag_input():
 *
 *   op bits 0-2   which genuine fragment (modulo their count)
 *   op bit 3      XOR one octet of it: 2 octets position, 1 octet value
 *   op bit 4      instead a raw datagram: 1 octet length, then the octets
 *   op bits 5-7   advance the clock by that many times 5 s first (timeouts)
 *
 * Invariants (abort on violation): a completed message is exactly the
 * genuine plaintext (nothing forged or mixed ever completes); fragments
 * kept never exceed those delivered; memory stays bounded (ASan, LSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fragkeys.h"

#define PLAIN_LEN 3000
#define FRAGMENT_SIZE 600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fk_pair keys;
static bool ready;
static uint8_t plain[PLAIN_LEN], sealed[2 * PLAIN_LEN + FRAG_OUT_MAX * 128], dgram[2048];
static struct frag_set set;

static void init_once(void)
{
	size_t used = 0;
	fk_pattern(plain, sizeof(plain));
	if (fk_init(&keys, 0) != 0 || frag_seal(keys.i, &keys.hdr, IKE_PL_IDI, plain, sizeof(plain), FRAGMENT_SIZE,
						sealed, sizeof(sealed), &set, &used) != 0)
		abort();
	ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frag_rx rx;
	uint64_t now = 1000, delivered = 0;
	size_t pos = 0;
	if (!ready)
		init_once();
	memset(&rx, 0, sizeof(rx));
	while (pos < size) {
		uint8_t op = data[pos++];
		size_t len = 0;
		now += (uint64_t)(op >> 5) * 5000;
		if (op & 0x10) {
			if (pos >= size)
				break;
			len = data[pos++];
			len = len < size - pos ? len : size - pos;
			memcpy(dgram, data + pos, len);
			pos += len;
		} else {
			const uint8_t *f = fk_nth(sealed, &set, (op & 7) % set.n, &len);
			memcpy(dgram, f, len);
			if ((op & 0x08) && pos + 3 <= size) {
				size_t at = ((size_t)data[pos] << 8 | data[pos + 1]) % len;
				dgram[at] ^= data[pos + 2];
				pos += 3;
			}
		}
		struct ike_msg m;
		struct frag_msg whole;
		if (ike_parse_msg(dgram, len, &m, NULL) != 0 || !m.chain.encrypted || m.chain.sk_type != IKE_PL_SKF)
			continue;
		delivered++;
		if (frag_input(&rx, keys.r, dgram, len, &m, now, &whole) == 0) {
			if (whole.plain_len != PLAIN_LEN || memcmp(whole.plain, plain, PLAIN_LEN) != 0 ||
			    whole.first != IKE_PL_IDI)
				abort();
			frag_rx_done(&rx);
		}
		if (rx.st.stored > delivered)
			abort();
	}
	frag_rx_release(&rx);
	return 0;
}
