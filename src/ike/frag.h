/*
 * frag: IKE fragmentation (RFC 7383) for one IKE SA, used by the IKE SA engine (ikesa.c).
 *
 * Sending (R7383-2.5.a): the plaintext inner chain of an SK message is cut
 * into chunks; each chunk goes into its own message with a copy of the IKE
 * header (Length and Next Payload of its own) and one Encrypted Fragment
 * payload SKF (Fragment Number 1..Total, the first inner payload type in
 * fragment 1 and 0 in the others), each sealed with its own IV and ICV
 * (with AEAD the associated data runs through Total Fragments,
 * R7383-AEAD.a). The fragments sit back to back in the caller's buffer,
 * their lengths in a struct frag_set; a retransmission resends all of them.
 * Only used after both IKE_SA_INIT messages carried
 * IKEV2_FRAGMENTATION_SUPPORTED (R7383-2.3.a, R7383-2.4.a) and only for a
 * message that would not fit frag_size (R7383-2.4.b: small ones stay whole).
 *
 * Receiving (R7383-2.6.a): ikesa.c checks the header (SPIs, flags, message
 * ID in the window, exchange) first, then hands each SKF message here.
 * Nothing is stored before its ICV verifies. Dropped, without any change:
 * a fragment already held (same message ID, number and total), one whose
 * Total is below the Total of the fragments held, one that fails the ICV,
 * more than FRAG_IN_MAX fragments, more than FRAG_REASM_MAX decrypted octets
 * (R7383-5.a: then the whole reassembly goes). A verified fragment with a
 * larger Total, or of a newer message, starts over. When every fragment is
 * there, the plaintexts in fragment order are the inner chain, processed
 * like one SK payload (R7383-2.6.a: never acted on before).
 *
 * Memory: struct frag_rx is a pointer and counters inside struct ikesa; the
 * reassembly buffers (about FRAG_REASM_MAX octets) exist only from the first
 * stored fragment until the message was processed, expired
 * (FRAG_TIMEOUT_MS after the first fragment, R7383-2.6.b) or was replaced.
 */
#ifndef M6_IKE_FRAG_H
#define M6_IKE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ikesa_crypto.h"
#include "wire/ike.h"

/* R7383-2.5.1.a: IPv6 datagrams of at most 1280 octets without PMTU
 * knowledge: 1280 - 40 (IPv6) - 8 (UDP) - 4 (Non-ESP Marker on port 4500)
 * - 28 of margin (a Destination Options header with a Home Address option
 * is 24) = 1200 octets of IKE message per fragment. */
#define FRAG_SIZE_DEFAULT 1200u
#define FRAG_SIZE_MIN 512u        /* below this a fragment carries too little */
#define FRAG_OUT_MAX 32           /* fragments of one message we send (IKESA_MSG_BIG at FRAG_SIZE_MIN) */
#define FRAG_IN_MAX 32            /* fragments of one message we accept */
#define FRAG_REASM_MAX 16384u     /* decrypted octets held (R7383-5.a: at most 64 KiB) */
#define FRAG_TIMEOUT_MS 30000u    /* R7383-2.6.b: then every fragment held goes */

/* A message sent as fragments: n datagrams back to back, len[i] each.
 * n == 0: not fragmented (one datagram). */
struct frag_set {
	unsigned n;
	uint16_t len[FRAG_OUT_MAX];
};

/* true when plain_len octets of inner payloads sealed in one SK message
 * would exceed frag_size octets. */
bool frag_needed(const struct ikesa_cx *cx, size_t plain_len, size_t frag_size);

/*
 * Seal plain[0..plain_len) (inner chain, first payload type `first`) as SKF
 * fragments of at most frag_size octets each, headers copied from h, into
 * out[cap]; the lengths into *set, the octets used into *out_len.
 * 0; M6E_RANGE when it needs more than FRAG_OUT_MAX fragments or frag_size
 * is below FRAG_SIZE_MIN; M6E_NOSPACE; or ikesa_cx_seal()'s code.
 */
int frag_seal(struct ikesa_cx *cx, const struct ike_hdr *h, uint8_t first, const uint8_t *plain, size_t plain_len,
	      size_t frag_size, uint8_t *out, size_t cap, struct frag_set *set, size_t *out_len);

/* Why a fragment was dropped; stable, for counters. */
enum frag_drop {
	FRAG_DROP_NONE = 0,
	FRAG_DROP_ICV,          /* did not verify (R7383-2.6.a) */
	FRAG_DROP_DUP,          /* same message ID, number and total already held */
	FRAG_DROP_STALE,        /* Total below the Total of the fragments held */
	FRAG_DROP_TOO_MANY,     /* Total above FRAG_IN_MAX */
	FRAG_DROP_TOO_BIG,      /* reassembly above FRAG_REASM_MAX (R7383-5.a) */
	FRAG_DROP_NOMEM,
	FRAG_DROP_COUNT
};
const char *frag_drop_name(enum frag_drop d);

struct frag_stats {
	uint64_t stored;        /* fragments verified and kept */
	uint64_t completed;     /* messages reassembled */
	uint64_t restarted;     /* reassemblies replaced (larger Total, newer message) */
	uint64_t expired;       /* reassemblies timed out (R7383-2.6.b) */
	uint64_t sent;          /* fragments sent, retransmissions included */
	uint64_t drop[FRAG_DROP_COUNT];
};

struct frag_reasm;
struct frag_rx {
	struct frag_reasm *r;   /* NULL unless a reassembly is in progress or done */
	struct frag_stats st;
};

/* A reassembled message: the inner chain, valid until frag_rx_release(). */
struct frag_msg {
	uint8_t first;
	const uint8_t *plain;
	size_t plain_len;
};

/*
 * One SKF message m of len octets at msg (decrypted in place: pass a copy).
 * 0 with *out when it completed the message; M6E_AGAIN when it was kept and
 * more are missing; M6E_AUTH (ICV) or another negative code when dropped
 * (counted in rx->st.drop). now_ms also expires an old reassembly.
 */
int frag_input(struct frag_rx *rx, struct ikesa_cx *cx, uint8_t *msg, size_t len, const struct ike_msg *m,
	       uint64_t now_ms, struct frag_msg *out);
/* Verify one SKF message's ICV only (a retransmitted request: R7383-2.6.1.a
 * resends the response for fragment 1 only). 0 or M6E_AUTH. */
int frag_verify(struct ikesa_cx *cx, uint8_t *msg, size_t len, const struct ike_msg *m);
/* Free the reassembly buffers (any state). */
void frag_rx_release(struct frag_rx *rx);
/* Free them if the message was complete (the caller processed it). */
void frag_rx_done(struct frag_rx *rx);
/* Drop a reassembly older than FRAG_TIMEOUT_MS. */
void frag_rx_expire(struct frag_rx *rx, uint64_t now_ms);
/* Heap held by the reassembly (0 when none). */
size_t frag_rx_bytes(const struct frag_rx *rx);
/* When the reassembly in progress expires; UINT64_MAX when none. */
uint64_t frag_rx_deadline(const struct frag_rx *rx);

#endif
