/*
 * esp: ESP packet protection and processing (RFC 4303; RFC 4106; RFC 7634;
 * algorithms.md 3; wire-formats.md G). Works in place on the caller's buffer,
 * allocates nothing, reads no clock.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *  |               Security Parameters Index (SPI)                 | ^Int.
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 *  |                      Sequence Number                          | |ered
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 *  |          IV (8: GCM, ChaCha20-Poly1305; 16: AES-CBC)          | |   ^
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
 *  ~                    Payload Data (variable)                    ~ |   |
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Conf.
 *  |               |     Padding (0-255 bytes, 1, 2, 3, ...)       | |Cov-
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |ered*
 *  |                               |  Pad Length   | Next Header   | v   v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 *  |         Integrity Check Value (16 for every suite here)       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                                                     (RFC 4303 2)
 *
 * With ESN the high 32 sequence bits are authenticated but not sent: in the
 * AAD (SPI | Seq-high | Seq-low) for AEAD suites, after the ciphertext for
 * AES-CBC + HMAC (R4303-3.3.2.a).
 *
 * The SPI|Seq|IV header is 16 (AEAD) or 24 (CBC) bytes, so the payload stays
 * 8-octet aligned relative to the ESP header (R4303-2.3.a).
 */
#ifndef M6_IPSEC_ESP_H
#define M6_IPSEC_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec/sa.h"
#include "ipsec/sad.h"

#define ESP_HDR_LEN 8 /* SPI + Sequence Number */
#define ESP_NH_IPV4 4
#define ESP_NH_IPV6 41 /* tunnel mode (R4303-2.6.a) */
#define ESP_NH_NONE 59 /* dummy packet (R4303-2.6.a) */

/* Why an inbound packet was dropped (or an outbound one refused). Each has a
 * name for logs and a counter in struct esp_stats. */
enum esp_drop {
	ESP_DROP_NONE = 0,
	ESP_DROP_SHORT, /* shorter than header + IV + trailer + ICV */
	ESP_DROP_BAD_SPI, /* reserved SPI 0-255 (R4303-2.1.a) */
	ESP_DROP_UNKNOWN_SPI, /* no SA (R4303-3.4.2.a) */
	ESP_DROP_WRONG_DIR, /* the SA is not for this direction */
	ESP_DROP_EXPIRED, /* SA past its hard lifetime */
	ESP_DROP_BAD_LEN, /* ciphertext not a multiple of the block size */
	ESP_DROP_REPLAY, /* duplicate (R4303-3.4.3.a) */
	ESP_DROP_TOO_OLD, /* left of the window, or an invalid number */
	ESP_DROP_AUTH, /* ICV mismatch (R4303-3.4.4.a) */
	ESP_DROP_BAD_PAD, /* pad length does not fit, or not 1, 2, 3, ... */
	ESP_DROP_DUMMY, /* Next Header 59: discarded silently (R4303-2.6.a) */
	ESP_DROP_INNER_LEN, /* tunnel mode: inner length beyond the payload */
	ESP_DROP_SEQ_EXHAUSTED, /* outbound counter would cycle (R4303-2.2.a) */
	ESP_DROP_NOSPACE, /* outbound: not enough head- or tailroom */
	ESP_DROP_CRYPTO, /* OpenSSL failed */
	ESP_DROP_COUNT
};

struct esp_stats {
	uint64_t drops[ESP_DROP_COUNT];
};

const char *esp_drop_name(enum esp_drop why);

/* Headroom esp_seal() needs before the payload: SPI, Sequence Number, IV. */
size_t esp_head_len(const struct sa *sa);
/* Tailroom esp_seal() may need after a payload of payload_len bytes:
 * padding, Pad Length, Next Header, ICV. */
size_t esp_tail_len(const struct sa *sa, size_t payload_len);

struct esp_result {
	size_t off, len; /* the ESP packet (seal) or the inner payload (open) */
	uint64_t seq; /* the full 64-bit sequence number used */
	uint8_t next_header; /* open only */
	enum esp_drop drop; /* ESP_DROP_NONE on success */
	enum sa_state state; /* the SA's state after this packet */
};

/*
 * Protect the payload buf[off, off + len) with outbound sa. The ESP header
 * goes into the headroom before off (esp_head_len() bytes); padding (default
 * 1, 2, 3, ..., algorithms.md 3.1), Pad Length, Next Header and the ICV into
 * the tailroom up to cap. iv: NULL to derive it from the sequence number
 * (aead_make_iv), or aead_iv_len() bytes to inject (known-answer tests).
 * On 0, res->off/len is the ESP packet inside buf.
 * Errors (res->drop says which): M6E_INVAL (inbound SA), M6E_PERM (SA dead),
 * M6E_RANGE (sequence exhausted: rekey), M6E_NOSPACE, M6E_IO.
 */
int esp_seal(struct sa *sa, uint8_t *buf, size_t cap, size_t off, size_t len, uint8_t next_header,
	     const uint8_t *iv, struct esp_result *res);

/*
 * Process the ESP packet pkt[0, len) (everything after the outer IP header
 * and any UDP encapsulation) with inbound sa, in place. Order: header and
 * SPI checks, anti-replay check, ICV verification, and only then the window
 * update, decryption's results, pad checks (R4303-3.4.3.a, R4303-3.4.4.a).
 * On 0, res->off/len is the inner payload inside pkt and res->next_header
 * its type; tunnel-mode inner packets are trimmed to their own length, so
 * TFC padding is ignored (R4303-2.7.a).
 * Otherwise a negative M6E_* code with res->drop set; the drop is counted in
 * stats (may be NULL) and in the SA's counters.
 */
int esp_open(struct sa *sa, struct esp_stats *stats, uint8_t *pkt, size_t len, struct esp_result *res);

/* The same after looking the SPI up among the inbound SAs of sad; *sa_out
 * receives the SA (NULL when none matched). */
int esp_open_sad(struct sad *sad, struct esp_stats *stats, uint8_t *pkt, size_t len, struct sa **sa_out,
		 struct esp_result *res);

/* Read the SPI of an ESP packet without consuming it. 0 or M6E_TRUNC. */
int esp_peek_spi(const uint8_t *pkt, size_t len, uint32_t *spi);

#endif
