/*
 * Control-socket frame codec; the byte layouts are in ctlproto.h and
 * docs/PROTOCOL.ctl.
 */
#include "ctl/ctlproto.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"

static const struct name_entry ctl_cmd_names[] = {
	{ CTL_CMD_STATUS, "status" },     { CTL_CMD_VERSION, "version" },
	{ CTL_CMD_BINDINGS, "bindings" }, { CTL_CMD_SAS, "sas" },
	{ CTL_CMD_POLICIES, "policies" }, { CTL_CMD_RELOAD, "reload" },
	{ CTL_CMD_IKE, "ike" },
};

static const struct name_entry ctl_status_names[] = {
	{ CTL_S_OK, "ok" },
	{ CTL_S_BAD_REQUEST, "bad request" },
	{ CTL_S_UNKNOWN_CMD, "unknown command" },
	{ CTL_S_FAILED, "failed" },
	{ CTL_S_TOO_LARGE, "answer too large" },
	{ CTL_S_BUSY, "busy" },
	{ CTL_S_VERSION, "unsupported version" },
};

static const struct name_entry ctl_reason_names[] = {
	{ CTLP_R_NONE, "none" },
	{ CTLP_R_SHORT, "short header" },
	{ CTLP_R_MAGIC, "bad magic" },
	{ CTLP_R_VERSION, "bad version" },
	{ CTLP_R_TYPE, "bad message type" },
	{ CTLP_R_FLAGS, "unknown flags" },
	{ CTLP_R_STATUS, "status set in request" },
	{ CTLP_R_RESERVED, "reserved octet set" },
	{ CTLP_R_TOO_BIG, "body too large" },
	{ CTLP_R_LENGTH, "body length mismatch" },
	{ CTLP_R_TLV_TRUNC, "truncated argument" },
	{ CTLP_R_TLV_CRITICAL, "unknown critical argument" },
	{ CTLP_R_TLV_DUP, "duplicate argument" },
	{ CTLP_R_TLV_VALUE, "bad argument value" },
};

const char *ctlproto_cmd_name(unsigned cmd)
{
	return names_get(ctl_cmd_names, NAMES_COUNT(ctl_cmd_names), cmd);
}

const char *ctlproto_status_name(unsigned status)
{
	return names_get(ctl_status_names, NAMES_COUNT(ctl_status_names), status);
}

const char *ctlproto_reason_name(unsigned reason)
{
	return names_get(ctl_reason_names, NAMES_COUNT(ctl_reason_names), reason);
}

unsigned ctlproto_cmd_lookup(const char *name)
{
	for (size_t i = 0; i < NAMES_COUNT(ctl_cmd_names); i++)
		if (strcmp(ctl_cmd_names[i].name, name) == 0)
			return ctl_cmd_names[i].value;
	return 0;
}

static int fail(enum ctlproto_reason *why, enum ctlproto_reason r, int code)
{
	*why = r;
	return code;
}

int ctlproto_parse_header(struct rbuf *r, enum ctl_type want, struct ctl_hdr *h,
			  enum ctlproto_reason *why)
{
	struct rbuf c = *r; /* commit only when the whole header is good */
	uint8_t magic[2], rsvd;
	*why = CTLP_R_NONE;
	if (rbuf_left(&c) < CTL_HDR_LEN)
		return fail(why, CTLP_R_SHORT, M6E_TRUNC);
	rbuf_bytes(&c, magic, sizeof(magic));
	rbuf_u8(&c, &h->version);
	rbuf_u8(&c, &h->type);
	rbuf_u8(&c, &h->command);
	rbuf_u8(&c, &h->flags);
	rbuf_u8(&c, &h->status);
	rbuf_u8(&c, &rsvd);
	rbuf_u32(&c, &h->body_len);
	/* Magic and version first: a client of another protocol or version gets
	 * the most useful answer. */
	if (magic[0] != CTL_MAGIC_0 || magic[1] != CTL_MAGIC_1)
		return fail(why, CTLP_R_MAGIC, M6E_INVAL);
	if (h->version != CTL_VERSION)
		return fail(why, CTLP_R_VERSION, M6E_UNSUPP);
	if (h->type != want)
		return fail(why, CTLP_R_TYPE, M6E_INVAL);
	if (h->flags & ~CTL_F_KNOWN)
		return fail(why, CTLP_R_FLAGS, M6E_INVAL);
	if (want == CTL_T_REQUEST && h->status != 0)
		return fail(why, CTLP_R_STATUS, M6E_INVAL);
	if (rsvd != 0)
		return fail(why, CTLP_R_RESERVED, M6E_INVAL);
	if (h->body_len > (want == CTL_T_REQUEST ? CTL_REQ_BODY_MAX : CTL_RESP_BODY_MAX))
		return fail(why, CTLP_R_TOO_BIG, M6E_RANGE);
	*r = c;
	return 0;
}

int ctlproto_frame_len(const uint8_t *data, size_t len, enum ctl_type want, size_t *total,
		       enum ctlproto_reason *why)
{
	struct rbuf r;
	struct ctl_hdr h;
	rbuf_init(&r, data, len);
	int rc = ctlproto_parse_header(&r, want, &h, why);
	if (rc == M6E_TRUNC)
		return M6E_AGAIN;
	if (rc < 0)
		return rc;
	*total = CTL_HDR_LEN + (size_t)h.body_len;
	return 0;
}

/* The body must fill the rest of the frame exactly: a length that promises
 * more is truncation, one that promises less leaves trailing garbage. */
static int ctlproto_frame(const uint8_t *data, size_t len, enum ctl_type type, struct ctl_hdr *h,
			  struct rbuf *body, enum ctlproto_reason *why)
{
	struct rbuf r;
	rbuf_init(&r, data, len);
	int rc = ctlproto_parse_header(&r, type, h, why);
	if (rc < 0)
		return rc;
	if (rbuf_sub(&r, h->body_len, body) < 0)
		return fail(why, CTLP_R_LENGTH, M6E_TRUNC);
	if (rbuf_left(&r) != 0)
		return fail(why, CTLP_R_LENGTH, M6E_INVAL);
	return 0;
}

static int ctlproto_tlv_filter(struct rbuf *val, struct ctl_request *req, enum ctlproto_reason *why)
{
	size_t n = rbuf_left(val);
	if (req->has_filter)
		return fail(why, CTLP_R_TLV_DUP, M6E_DUP);
	if (n == 0 || n > CTL_FILTER_MAX || memchr(rbuf_ptr(val), '\0', n))
		return fail(why, CTLP_R_TLV_VALUE, M6E_INVAL);
	rbuf_bytes(val, req->filter, n);
	req->filter[n] = '\0';
	req->has_filter = true;
	return 0;
}

int ctlproto_parse_request(const uint8_t *data, size_t len, struct ctl_request *req,
			   enum ctlproto_reason *why)
{
	struct rbuf body;
	memset(req, 0, sizeof(*req));
	int rc = ctlproto_frame(data, len, CTL_T_REQUEST, &req->hdr, &body, why);
	if (rc < 0)
		return rc;
	while (rbuf_left(&body) > 0) {
		uint16_t type, vlen;
		struct rbuf val;
		if (rbuf_u16(&body, &type) < 0 || rbuf_u16(&body, &vlen) < 0 ||
		    rbuf_sub(&body, vlen, &val) < 0)
			return fail(why, CTLP_R_TLV_TRUNC, M6E_TRUNC);
		switch (type & ~CTL_TLV_CRITICAL) {
		case CTL_TLV_FILTER:
			rc = ctlproto_tlv_filter(&val, req, why);
			if (rc < 0)
				return rc;
			break;
		default:
			if (type & CTL_TLV_CRITICAL)
				return fail(why, CTLP_R_TLV_CRITICAL, M6E_UNSUPP);
			req->skipped_tlvs++;
			break;
		}
	}
	return 0;
}

int ctlproto_parse_response(const uint8_t *data, size_t len, struct ctl_response *resp,
			    enum ctlproto_reason *why)
{
	struct rbuf body;
	memset(resp, 0, sizeof(*resp));
	int rc = ctlproto_frame(data, len, CTL_T_RESPONSE, &resp->hdr, &body, why);
	if (rc < 0)
		return rc;
	resp->body = rbuf_ptr(&body);
	resp->body_len = rbuf_left(&body);
	return 0;
}

size_t ctlproto_begin(struct wbuf *w)
{
	return wbuf_reserve(w, CTL_HDR_LEN);
}

int ctlproto_end(struct wbuf *w, size_t hdr_off, enum ctl_type type, uint8_t command,
		 uint8_t flags, uint8_t status)
{
	if (wbuf_status(w) < 0)
		return M6E_NOSPACE;
	size_t body = wbuf_len(w) - hdr_off - CTL_HDR_LEN;
	if (body > (type == CTL_T_REQUEST ? CTL_REQ_BODY_MAX : CTL_RESP_BODY_MAX))
		return M6E_RANGE;
	wbuf_put_u8_at(w, hdr_off + 0, CTL_MAGIC_0);
	wbuf_put_u8_at(w, hdr_off + 1, CTL_MAGIC_1);
	wbuf_put_u8_at(w, hdr_off + 2, CTL_VERSION);
	wbuf_put_u8_at(w, hdr_off + 3, (uint8_t)type);
	wbuf_put_u8_at(w, hdr_off + 4, command);
	wbuf_put_u8_at(w, hdr_off + 5, flags);
	wbuf_put_u8_at(w, hdr_off + 6, status);
	wbuf_put_u8_at(w, hdr_off + 7, 0);
	wbuf_put_u32_at(w, hdr_off + 8, (uint32_t)body);
	return wbuf_status(w);
}

int ctlproto_build_request(struct wbuf *w, uint8_t command, uint8_t flags, const char *filter)
{
	size_t off = ctlproto_begin(w);
	if (filter) {
		size_t n = strlen(filter);
		if (n == 0 || n > CTL_FILTER_MAX)
			return M6E_RANGE;
		wbuf_u16(w, CTL_TLV_FILTER);
		wbuf_u16(w, (uint16_t)n);
		wbuf_bytes(w, filter, n);
	}
	return ctlproto_end(w, off, CTL_T_REQUEST, command, flags, 0);
}
