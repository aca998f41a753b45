/*
 * Fuzz target: the control-socket request decoder and dispatcher. Whatever
 * a local client sends must produce a well-formed response frame (or a
 * refusal) and never crash or overread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "ctl/ctl.h"
#include "ctl/ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_listing(void *arg, struct ctl_view *v)
{
	if (v->json)
		json_str(v->j, NULL, v->filter ? v->filter : "entry");
	else
		wbuf_bytes(v->text, "entry\n", 6);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *out;
	static const struct ctl_ops ops = { 0 };
	struct ctl c;
	struct ctl_request req;
	struct ctl_response resp;
	enum ctlproto_reason why;
	size_t total;
	struct wbuf w;
	if (!out && !(out = malloc(CTL_HDR_LEN + CTL_RESP_BODY_MAX)))
		return 0;

	/* The stream framer must agree with the whole-frame decoder. */
	if (ctlproto_frame_len(data, size, CTL_T_REQUEST, &total, &why) == 0 && total == size &&
	    ctlproto_parse_request(data, size, &req, &why) == 0 && req.has_filter &&
	    strlen(req.filter) == 0)
		abort();

	ctl_init(&c, &ops, NULL);
	ctl_set_listing(&c, CTL_CMD_SAS, fuzz_listing, NULL);
	wbuf_init(&w, out, CTL_HDR_LEN + CTL_RESP_BODY_MAX);
	int rc = ctl_handle(&c, data, size, &w);
	/* Every answer must itself decode as a response. */
	if (rc != M6E_NOSPACE && ctlproto_parse_response(out, wbuf_len(&w), &resp, &why) != 0)
		abort();
	/* The response decoder, on the raw input too. */
	ctlproto_parse_response(data, size, &resp, &why);
	return 0;
}
