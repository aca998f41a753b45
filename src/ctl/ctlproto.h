/*
 * ctlproto: the control-socket wire protocol (docs/PROTOCOL.ctl).
 *
 * Every message is one frame: a 12-octet header and a body.
 *
 *    0       1       2       3       4       5       6       7
 *  +-------+-------+-------+-------+-------+-------+-------+-------+
 *  |  'M'  |  '6'  |version| type  |command| flags | status| rsvd  |
 *  +-------+-------+-------+-------+-------+-------+-------+-------+
 *  |                  body length (u32, big-endian)                |
 *  +-------+-------+-------+-------+
 *
 * Request bodies are a sequence of TLV arguments; response bodies are text
 * (a table for people, or JSON when the request set CTL_F_JSON).
 *
 *    0               1               2               3
 *  +-------+-------+-------+-------+---------------------------- - -
 *  | C |   TLV type (15 bits)      |  value length (u16)  | value ...
 *  +-------+-------+-------+-------+---------------------------- - -
 *
 * C (the top bit of the type) marks a critical argument: a receiver that does
 * not know a critical TLV rejects the request; unknown non-critical TLVs are
 * skipped.
 *
 * The decoder reads through rbuf only and reports why a frame was refused
 * (enum ctlproto_reason) so the server can count drops per reason.
 */
#ifndef M6_CTL_CTLPROTO_H
#define M6_CTL_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rbuf.h"
#include "base/wbuf.h"

#define CTL_MAGIC_0 'M'
#define CTL_MAGIC_1 '6'
#define CTL_VERSION 1
#define CTL_HDR_LEN 12
#define CTL_REQ_BODY_MAX 65536u       /* 64 KiB */
#define CTL_RESP_BODY_MAX (1u << 20) /* 1 MiB */

enum ctl_type { CTL_T_REQUEST = 1, CTL_T_RESPONSE = 2 };

enum ctl_cmd {
	CTL_CMD_STATUS = 1,
	CTL_CMD_VERSION = 2,
	CTL_CMD_BINDINGS = 3,
	CTL_CMD_SAS = 4,
	CTL_CMD_POLICIES = 5,
	CTL_CMD_RELOAD = 6,
	CTL_CMD_IKE = 7, /* IKE SAs (src/ike/ikeio) */
};
#define CTL_CMD_MAX 7

#define CTL_F_JSON 0x01u /* answer in JSON instead of a table */
#define CTL_F_KNOWN CTL_F_JSON

enum ctl_status {
	CTL_S_OK = 0,
	CTL_S_BAD_REQUEST = 1, /* the frame was malformed; the body says why */
	CTL_S_UNKNOWN_CMD = 2,
	CTL_S_FAILED = 3,      /* the command ran and failed (body: error) */
	CTL_S_TOO_LARGE = 4,   /* the answer did not fit CTL_RESP_BODY_MAX */
	CTL_S_BUSY = 5,        /* too many clients */
	CTL_S_VERSION = 6,     /* protocol version not supported */
};

#define CTL_TLV_CRITICAL 0x8000u
enum ctl_tlv {
	CTL_TLV_FILTER = 1, /* string: restrict a listing (e.g. one home address) */
};
#define CTL_FILTER_MAX 255

enum ctlproto_reason {
	CTLP_R_NONE = 0,
	CTLP_R_SHORT,        /* fewer octets than a header */
	CTLP_R_MAGIC,        /* not "M6" */
	CTLP_R_VERSION,      /* version not CTL_VERSION */
	CTLP_R_TYPE,         /* not the expected message type */
	CTLP_R_FLAGS,        /* unknown flag bits set */
	CTLP_R_STATUS,       /* status non-zero in a request */
	CTLP_R_RESERVED,     /* reserved octet non-zero */
	CTLP_R_TOO_BIG,      /* body length over the cap for its type */
	CTLP_R_LENGTH,       /* body length disagrees with the octets present */
	CTLP_R_TLV_TRUNC,    /* TLV header or value runs past the body */
	CTLP_R_TLV_CRITICAL, /* unknown TLV with the critical bit */
	CTLP_R_TLV_DUP,      /* a TLV allowed once appears twice */
	CTLP_R_TLV_VALUE,    /* a known TLV with a bad value */
	CTLP_R_COUNT
};

struct ctl_hdr {
	uint8_t version;
	uint8_t type;
	uint8_t command;
	uint8_t flags;
	uint8_t status;
	uint32_t body_len;
};

struct ctl_request {
	struct ctl_hdr hdr;
	bool has_filter;
	char filter[CTL_FILTER_MAX + 1]; /* NUL-terminated */
	unsigned skipped_tlvs;           /* unknown non-critical TLVs ignored */
};

struct ctl_response {
	struct ctl_hdr hdr;
	const uint8_t *body; /* points into the parsed buffer */
	size_t body_len;
};

/* Decode and check a header of the wanted type (consumes CTL_HDR_LEN octets
 * on success). Returns M6E_TRUNC (CTLP_R_SHORT) when fewer octets are left,
 * M6E_UNSUPP for a version mismatch, M6E_RANGE for an oversize body and
 * M6E_INVAL otherwise; *why names the rule. */
int ctlproto_parse_header(struct rbuf *r, enum ctl_type want, struct ctl_hdr *h,
			  enum ctlproto_reason *why);
/* For stream reassembly: from the first len octets received, the total frame
 * size once the header is complete. M6E_AGAIN while fewer than CTL_HDR_LEN
 * octets are there; other errors as ctlproto_parse_header(). */
int ctlproto_frame_len(const uint8_t *data, size_t len, enum ctl_type want, size_t *total,
		       enum ctlproto_reason *why);
/* Decode exactly one complete request frame (len must be the frame size). */
int ctlproto_parse_request(const uint8_t *data, size_t len, struct ctl_request *req,
			   enum ctlproto_reason *why);
/* Decode exactly one complete response frame; resp->body points into data. */
int ctlproto_parse_response(const uint8_t *data, size_t len, struct ctl_response *resp,
			    enum ctlproto_reason *why);

/* Build a frame in place: reserve the header, write the body into w, then
 * fill the header. ctlproto_end() returns 0, M6E_NOSPACE if w overflowed, or
 * M6E_RANGE if the body is over the cap for the type. */
size_t ctlproto_begin(struct wbuf *w);
int ctlproto_end(struct wbuf *w, size_t hdr_off, enum ctl_type type, uint8_t command,
		 uint8_t flags, uint8_t status);
/* A whole request; filter may be NULL. */
int ctlproto_build_request(struct wbuf *w, uint8_t command, uint8_t flags, const char *filter);

const char *ctlproto_cmd_name(unsigned cmd);
const char *ctlproto_status_name(unsigned status);
const char *ctlproto_reason_name(unsigned reason);
/* Command id for a CLI name ("status"), or 0 if unknown. */
unsigned ctlproto_cmd_lookup(const char *name);

#endif
