/*
 * Control protocol (src/ctl/ctlproto.c), JSON writer (src/ctl/json.c) and
 * command dispatch (src/ctl/ctl.c).
 *
 * Frame bytes come from the examples in docs/PROTOCOL.ctl (section
 * "Examples"); the malformed table covers each refusal rule of that document.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/stats.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "ctl/ctlproto.h"
#include "ctl/json.h"
#include "testutil.h"

/* ---- JSON writer -------------------------------------------------------- */

/* RFC 8259 section 7: quote, reverse solidus and U+0000..U+001F must be
 * escaped; everything else may pass. Invalid UTF-8 (RFC 3629 section 3/10:
 * overlong forms, surrogates, stray continuation bytes) becomes U+FFFD. */
static const struct {
	const char *in;
	size_t len;
	const char *out;
} escape_cases[] = {
	{ "plain", 5, "plain" },
	{ "a\"b", 3, "a\\\"b" },
	{ "back\\slash", 10, "back\\\\slash" },
	{ "\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f" },
	{ "\x01\x1f", 2, "\\u0001\\u001f" },
	{ "nul\0x", 5, "nul\\u0000x" },
	{ "\x7f", 1, "\x7f" },                                   /* DEL needs no escape */
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },                     /* U+00E9 */
	{ "\xe2\x82\xac", 3, "\xe2\x82\xac" },                   /* U+20AC */
	{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },           /* U+1F600 */
	{ "\xff", 1, "\\ufffd" },                                /* never valid */
	{ "\xc0\xaf", 2, "\\ufffd\\ufffd" },                     /* overlong '/' */
	{ "\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd" },          /* surrogate D800 */
	{ "\xe2\x82", 2, "\\ufffd\\ufffd" },                     /* truncated */
	{ "\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
	{ "\x80z", 2, "\\ufffdz" },                              /* stray continuation */
};

START_TEST(t_json_escape)
{
	uint8_t buf[128];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	json_escape(&w, escape_cases[_i].in, escape_cases[_i].len);
	ck_assert_int_eq(wbuf_status(&w), 0);
	tu_assert_mem_eq(buf, wbuf_len(&w), escape_cases[_i].out, strlen(escape_cases[_i].out));
}
END_TEST

START_TEST(t_json_nesting)
{
	uint8_t buf[256];
	struct wbuf w;
	struct json j;
	static const char want[] =
		"{\"a\":1,\"b\":[\"x\",-2,true,null],\"c\":{},\"d\":[],\"e\":{\"k\\\"\":false}}";
	wbuf_init(&w, buf, sizeof(buf));
	json_init(&j, &w);
	json_obj_begin(&j, NULL);
	json_u64(&j, "a", 1);
	json_arr_begin(&j, "b");
	json_str(&j, NULL, "x");
	json_i64(&j, NULL, -2);
	json_bool(&j, NULL, true);
	json_str(&j, NULL, NULL); /* a NULL string is null */
	json_arr_end(&j);
	json_obj_begin(&j, "c");
	json_obj_end(&j);
	json_arr_begin(&j, "d");
	json_arr_end(&j);
	json_obj_begin(&j, "e");
	json_bool(&j, "k\"", false);
	json_obj_end(&j);
	json_obj_end(&j);
	ck_assert_int_eq(json_finish(&j), 0);
	tu_assert_mem_eq(buf, wbuf_len(&w), want, strlen(want));
}
END_TEST

START_TEST(t_json_misuse)
{
	uint8_t buf[64];
	struct wbuf w;
	struct json j;
	/* Too small: the sticky overflow reports it. */
	wbuf_init(&w, buf, 8);
	json_init(&j, &w);
	json_obj_begin(&j, NULL);
	json_str(&j, "key", "a value longer than eight");
	json_obj_end(&j);
	ck_assert_int_eq(json_finish(&j), M6E_NOSPACE);
	/* Unclosed container. */
	wbuf_init(&w, buf, sizeof(buf));
	json_init(&j, &w);
	json_arr_begin(&j, NULL);
	ck_assert_int_eq(json_finish(&j), M6E_INVAL);
	/* Closing more than was opened. */
	wbuf_init(&w, buf, sizeof(buf));
	json_init(&j, &w);
	json_arr_end(&j);
	ck_assert_int_eq(json_finish(&j), M6E_INVAL);
	/* Deeper than JSON_MAX_DEPTH. */
	wbuf_init(&w, buf, sizeof(buf));
	json_init(&j, &w);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&j, NULL);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_end(&j);
	ck_assert_int_eq(json_finish(&j), M6E_INVAL);
}
END_TEST

/* ---- ctlproto: known frames and round trips ----------------------------- */

/* docs/PROTOCOL.ctl, example 1: `mip6sec status --json`. */
static const char ex_status_json[] = "4d36 01 01 01 01 00 00 00000000";
/* docs/PROTOCOL.ctl, example 2: `mip6sec bindings 2001:db8::1`. */
static const char ex_bindings_filter[] = "4d36 01 01 03 00 00 00 0000000f"
					 "0001 000b 323030313a6462383a3a31";
/* docs/PROTOCOL.ctl, example 3: the answer "none\n" to example 2. */
static const char ex_none_answer[] = "4d36 01 02 03 00 00 00 00000005 6e6f6e650a";

START_TEST(t_known_requests)
{
	uint8_t want[64], got[64];
	struct wbuf w;
	struct ctl_request req;
	enum ctlproto_reason why;
	size_t n;

	n = tu_hex(ex_status_json, want, sizeof(want));
	wbuf_init(&w, got, sizeof(got));
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_STATUS, CTL_F_JSON, NULL), 0);
	tu_assert_mem_eq(got, wbuf_len(&w), want, n);
	ck_assert_int_eq(ctlproto_parse_request(want, n, &req, &why), 0);
	ck_assert_int_eq(req.hdr.command, CTL_CMD_STATUS);
	ck_assert_int_eq(req.hdr.flags, CTL_F_JSON);
	ck_assert(!req.has_filter);

	n = tu_hex(ex_bindings_filter, want, sizeof(want));
	wbuf_init(&w, got, sizeof(got));
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_BINDINGS, 0, "2001:db8::1"), 0);
	tu_assert_mem_eq(got, wbuf_len(&w), want, n);
	ck_assert_int_eq(ctlproto_parse_request(want, n, &req, &why), 0);
	ck_assert_int_eq(req.hdr.command, CTL_CMD_BINDINGS);
	ck_assert(req.has_filter);
	ck_assert_str_eq(req.filter, "2001:db8::1");
	ck_assert_int_eq(why, CTLP_R_NONE);
}
END_TEST

START_TEST(t_response_round_trip)
{
	uint8_t want[64], got[64];
	struct wbuf w;
	struct ctl_response resp;
	enum ctlproto_reason why;
	size_t n = tu_hex(ex_none_answer, want, sizeof(want));

	wbuf_init(&w, got, sizeof(got));
	size_t off = ctlproto_begin(&w);
	wbuf_bytes(&w, "none\n", 5);
	ck_assert_int_eq(ctlproto_end(&w, off, CTL_T_RESPONSE, CTL_CMD_BINDINGS, 0, CTL_S_OK), 0);
	tu_assert_mem_eq(got, wbuf_len(&w), want, n);

	ck_assert_int_eq(ctlproto_parse_response(want, n, &resp, &why), 0);
	ck_assert_int_eq(resp.hdr.command, CTL_CMD_BINDINGS);
	ck_assert_int_eq(resp.hdr.status, CTL_S_OK);
	tu_assert_mem_eq(resp.body, resp.body_len, "none\n", 5);

	/* A response is not a request, and vice versa. */
	struct ctl_request req;
	ck_assert_int_eq(ctlproto_parse_request(want, n, &req, &why), M6E_INVAL);
	ck_assert_int_eq(why, CTLP_R_TYPE);
	n = tu_hex(ex_status_json, want, sizeof(want));
	ck_assert_int_eq(ctlproto_parse_response(want, n, &resp, &why), M6E_INVAL);
	ck_assert_int_eq(why, CTLP_R_TYPE);
}
END_TEST

START_TEST(t_build_limits)
{
	uint8_t buf[CTL_HDR_LEN + 4 + CTL_FILTER_MAX + 1];
	char longf[CTL_FILTER_MAX + 2];
	struct wbuf w;
	memset(longf, 'a', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_SAS, 0, longf), M6E_RANGE);
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_SAS, 0, ""), M6E_RANGE);
	/* A header does not fit in 11 octets. */
	wbuf_init(&w, buf, CTL_HDR_LEN - 1);
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_SAS, 0, NULL), M6E_NOSPACE);
	/* Longest filter fits exactly. */
	longf[CTL_FILTER_MAX] = '\0';
	wbuf_init(&w, buf, CTL_HDR_LEN + 4 + CTL_FILTER_MAX);
	ck_assert_int_eq(ctlproto_build_request(&w, CTL_CMD_SAS, 0, longf), 0);
	struct ctl_request req;
	enum ctlproto_reason why;
	ck_assert_int_eq(ctlproto_parse_request(buf, wbuf_len(&w), &req, &why), 0);
	ck_assert_str_eq(req.filter, longf);
}
END_TEST

/* ---- ctlproto: malformed requests --------------------------------------- */

static const struct {
	const char *name;
	const char *hex;
	int rc;
	enum ctlproto_reason why;
} bad_requests[] = {
	{ "empty", "", M6E_TRUNC, CTLP_R_SHORT },
	{ "11 octets", "4d36 01 01 01 00 00 00 000000", M6E_TRUNC, CTLP_R_SHORT },
	{ "bad magic", "4d37 01 01 01 00 00 00 00000000", M6E_INVAL, CTLP_R_MAGIC },
	{ "version 2", "4d36 02 01 01 00 00 00 00000000", M6E_UNSUPP, CTLP_R_VERSION },
	{ "version 0", "4d36 00 01 01 00 00 00 00000000", M6E_UNSUPP, CTLP_R_VERSION },
	{ "type 0", "4d36 01 00 01 00 00 00 00000000", M6E_INVAL, CTLP_R_TYPE },
	{ "unknown flag", "4d36 01 01 01 02 00 00 00000000", M6E_INVAL, CTLP_R_FLAGS },
	{ "status in request", "4d36 01 01 01 00 01 00 00000000", M6E_INVAL, CTLP_R_STATUS },
	{ "reserved set", "4d36 01 01 01 00 00 80 00000000", M6E_INVAL, CTLP_R_RESERVED },
	{ "body over 64 KiB", "4d36 01 01 01 00 00 00 00010001", M6E_RANGE, CTLP_R_TOO_BIG },
	{ "body 4 GiB", "4d36 01 01 01 00 00 00 ffffffff", M6E_RANGE, CTLP_R_TOO_BIG },
	{ "length lies long", "4d36 01 01 01 00 00 00 00000004 0001", M6E_TRUNC, CTLP_R_LENGTH },
	{ "trailing octets", "4d36 01 01 01 00 00 00 00000000 0000", M6E_INVAL, CTLP_R_LENGTH },
	{ "TLV header cut", "4d36 01 01 03 00 00 00 00000003 000100", M6E_TRUNC, CTLP_R_TLV_TRUNC },
	{ "TLV value lies", "4d36 01 01 03 00 00 00 00000006 0001 0005 6162", M6E_TRUNC,
	  CTLP_R_TLV_TRUNC },
	{ "unknown critical TLV", "4d36 01 01 03 00 00 00 00000004 8009 0000", M6E_UNSUPP,
	  CTLP_R_TLV_CRITICAL },
	{ "duplicate filter", "4d36 01 01 03 00 00 00 0000000a 0001 0001 61 0001 0001 62", M6E_DUP,
	  CTLP_R_TLV_DUP },
	{ "empty filter", "4d36 01 01 03 00 00 00 00000004 0001 0000", M6E_INVAL, CTLP_R_TLV_VALUE },
	{ "NUL in filter", "4d36 01 01 03 00 00 00 00000007 0001 0003 610062", M6E_INVAL,
	  CTLP_R_TLV_VALUE },
};

START_TEST(t_bad_request)
{
	uint8_t buf[64];
	struct ctl_request req;
	enum ctlproto_reason why = CTLP_R_NONE;
	size_t n = tu_hex(bad_requests[_i].hex, buf, sizeof(buf));
	int rc = ctlproto_parse_request(buf, n, &req, &why);
	ck_assert_msg(rc == bad_requests[_i].rc && why == bad_requests[_i].why,
		      "%s: got %d (%s), want %d (%s)", bad_requests[_i].name, rc,
		      ctlproto_reason_name(why), bad_requests[_i].rc,
		      ctlproto_reason_name(bad_requests[_i].why));
}
END_TEST

START_TEST(t_tlv_skip_rules)
{
	uint8_t buf[64];
	struct ctl_request req;
	enum ctlproto_reason why;
	/* An unknown non-critical TLV is skipped; the filter after it is read. */
	size_t n = tu_hex("4d36 01 01 03 00 00 00 0000000d 0009 0002 ffff 0001 0003 616263", buf,
			  sizeof(buf));
	ck_assert_int_eq(ctlproto_parse_request(buf, n, &req, &why), 0);
	ck_assert_uint_eq(req.skipped_tlvs, 1);
	ck_assert_str_eq(req.filter, "abc");
	/* The critical bit on a known TLV changes nothing. */
	n = tu_hex("4d36 01 01 03 00 00 00 00000005 8001 0001 7a", buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_parse_request(buf, n, &req, &why), 0);
	ck_assert_str_eq(req.filter, "z");
	ck_assert_uint_eq(req.skipped_tlvs, 0);
	/* A filter of CTL_FILTER_MAX + 1 octets is refused. */
	uint8_t big[CTL_HDR_LEN + 4 + CTL_FILTER_MAX + 1];
	struct wbuf w;
	wbuf_init(&w, big, sizeof(big));
	size_t off = ctlproto_begin(&w);
	wbuf_u16(&w, CTL_TLV_FILTER);
	wbuf_u16(&w, CTL_FILTER_MAX + 1);
	for (int i = 0; i <= CTL_FILTER_MAX; i++)
		wbuf_u8(&w, 'x');
	ck_assert_int_eq(ctlproto_end(&w, off, CTL_T_REQUEST, CTL_CMD_BINDINGS, 0, 0), 0);
	ck_assert_int_eq(ctlproto_parse_request(big, wbuf_len(&w), &req, &why), M6E_INVAL);
	ck_assert_int_eq(why, CTLP_R_TLV_VALUE);
}
END_TEST

START_TEST(t_header_cursor)
{
	uint8_t buf[32];
	struct rbuf r;
	struct ctl_hdr h;
	enum ctlproto_reason why;
	/* A refused header leaves the cursor where it was. */
	size_t n = tu_hex("4d36 01 01 01 00 00 01 00000000", buf, sizeof(buf));
	rbuf_init(&r, buf, n);
	ck_assert_int_eq(ctlproto_parse_header(&r, CTL_T_REQUEST, &h, &why), M6E_INVAL);
	ck_assert_uint_eq(rbuf_offset(&r), 0);
	/* Stream framing: wait for 12 octets, then know the size. */
	size_t total = 0;
	n = tu_hex(ex_bindings_filter, buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_frame_len(buf, 5, CTL_T_REQUEST, &total, &why), M6E_AGAIN);
	ck_assert_int_eq(ctlproto_frame_len(buf, CTL_HDR_LEN, CTL_T_REQUEST, &total, &why), 0);
	ck_assert_uint_eq(total, n);
	buf[0] = 'X';
	ck_assert_int_eq(ctlproto_frame_len(buf, CTL_HDR_LEN, CTL_T_REQUEST, &total, &why), M6E_INVAL);
	ck_assert_int_eq(why, CTLP_R_MAGIC);
	/* Responses may be up to 1 MiB, requests only 64 KiB. */
	n = tu_hex("4d36 01 02 01 00 00 00 00100000", buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_frame_len(buf, n, CTL_T_RESPONSE, &total, &why), 0);
	ck_assert_uint_eq(total, CTL_HDR_LEN + CTL_RESP_BODY_MAX);
	n = tu_hex("4d36 01 02 01 00 00 00 00100001", buf, sizeof(buf));
	ck_assert_int_eq(ctlproto_frame_len(buf, n, CTL_T_RESPONSE, &total, &why), M6E_RANGE);
}
END_TEST

/* ---- dispatcher --------------------------------------------------------- */

static uint8_t out_buf[CTL_HDR_LEN + CTL_RESP_BODY_MAX];
static struct ctl_response resp;
static char body[4096];

static struct stats_counter test_hits = STATS_COUNTER("test", "hits");

static void fake_status(void *arg, struct ctl_status_info *st)
{
	st->pid = 4242;
	st->started = 1700000000; /* 2023-11-14T22:13:20Z */
	st->uptime_s = 3661;
	st->conf = arg;
	st->config_file = "/etc/m\"6.conf";
	st->config_loaded = 1700000000;
	st->config_generation = 3;
	st->reloads = 2;
	st->reload_failures = 1;
	st->last_reload = CTL_RELOAD_FAILED;
	st->last_reload_error = "m.conf:7: global.log-level: unknown log level";
	st->control_socket = "/run/mip6sec/control.sock";
}

static int reload_result;
static int fake_reload(void *arg, char *err, size_t errlen)
{
	if (reload_result < 0)
		snprintf(err, errlen, "m.conf:3: syntax error");
	return reload_result;
}

/* Send one request through ctl_handle; returns its rc and decodes the
 * answer into resp / body. */
static int call(struct ctl *c, const uint8_t *req, size_t len)
{
	struct wbuf w;
	enum ctlproto_reason why;
	wbuf_init(&w, out_buf, sizeof(out_buf));
	int rc = ctl_handle(c, req, len, &w);
	ck_assert_int_ne(rc, M6E_NOSPACE);
	ck_assert_int_eq(ctlproto_parse_response(out_buf, wbuf_len(&w), &resp, &why), 0);
	ck_assert_uint_lt(resp.body_len, sizeof(body));
	memcpy(body, resp.body, resp.body_len);
	body[resp.body_len] = '\0';
	return rc;
}

static int call_cmd(struct ctl *c, unsigned cmd, uint8_t flags, const char *filter)
{
	uint8_t req[CTL_HDR_LEN + 4 + CTL_FILTER_MAX];
	struct wbuf w;
	wbuf_init(&w, req, sizeof(req));
	ck_assert_int_eq(ctlproto_build_request(&w, (uint8_t)cmd, flags, filter), 0);
	return call(c, req, wbuf_len(&w));
}

static uint64_t counter(const char *group, const char *name)
{
	for (const struct stats_counter *c = stats_first(); c; c = c->next)
		if (strcmp(c->group, group) == 0 && strcmp(c->name, name) == 0)
			return c->value;
	ck_abort_msg("no counter %s.%s", group, name);
	return 0;
}

#define ck_assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "missing %s in:\n%s", (needle), (hay))

static const struct ctl_ops fake_ops = { .status = fake_status, .reload = fake_reload };

START_TEST(t_status_json)
{
	struct ctl c;
	ctl_init(&c, &fake_ops, NULL);
	stats_register(&test_hits);
	test_hits.value = 7;
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_STATUS, CTL_F_JSON, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_OK);
	ck_assert_int_eq(resp.hdr.flags, CTL_F_JSON);
	ck_assert_has(body, "{\"version\":\"" PACKAGE_VERSION "\",\"pid\":4242,\"roles\":[],");
	ck_assert_has(body, "\"uptime_s\":3661,\"started\":\"2023-11-14T22:13:20Z\"");
	ck_assert_has(body, "\"control_socket\":\"/run/mip6sec/control.sock\"");
	ck_assert_has(body, "\"config\":{\"file\":\"/etc/m\\\"6.conf\","
			    "\"loaded\":\"2023-11-14T22:13:20Z\",\"generation\":3}");
	ck_assert_has(body, "\"reload\":{\"count\":2,\"failures\":1,\"last_result\":\"failed\","
			    "\"last_error\":\"m.conf:7: global.log-level: unknown log level\"}");
	ck_assert_has(body, "\"counters\":{\"ctl.requests\":");
	ck_assert_has(body, "\"test.hits\":7}");
	ck_assert_has(body, "\"ctl.drop_bad_magic\":");
	ck_assert_int_eq(body[resp.body_len - 1], '\n');
	stats_unregister_all();
}
END_TEST

START_TEST(t_status_text_and_conf)
{
	struct ctl c;
	struct conf *conf = NULL;
	struct conf_error err;
	/* The smallest configuration: defaults everywhere but the log level. */
	ck_assert_int_eq(conf_load_string("global: { log-level = \"debug\"; };", "t.conf", &conf, &err),
			 0);
	ctl_init(&c, &fake_ops, conf);
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_STATUS, CTL_F_JSON, NULL), 0);
	ck_assert_has(body, "\"generation\":3,\"log_level\":\"debug\",\"log_target\":\"stderr\"}");
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_STATUS, 0, NULL), 0);
	ck_assert_has(body, "mip6sec " PACKAGE_VERSION ", pid 4242\n");
	ck_assert_has(body, "role:       none\n");
	ck_assert_has(body, "uptime:     0d 01:01:01\n");
	ck_assert_has(body, "log level:  debug\n");
	ck_assert_has(body, "reloads:    2 (1 failed), last: failed: m.conf:7: global.log-level:");
	ck_assert_has(body, "  ctl.requests ");
	conf_free(conf);
	stats_unregister_all();
}
END_TEST

static int fake_sas(void *arg, struct ctl_view *v)
{
	static const char *const spis[] = { "0x1000", "0x2000" };
	int n = 0;
	for (int i = 0; i < 2; i++) {
		if (v->filter && strcmp(v->filter, spis[i]) != 0)
			continue;
		if (v->json) {
			json_obj_begin(v->j, NULL);
			json_str(v->j, "spi", spis[i]);
			json_obj_end(v->j);
		} else {
			wbuf_bytes(v->text, spis[i], strlen(spis[i]));
			wbuf_u8(v->text, '\n');
		}
		n++;
	}
	return n;
}

static int fake_fail(void *arg, struct ctl_view *v)
{
	return M6E_IO;
}

static int fake_huge(void *arg, struct ctl_view *v)
{
	for (int i = 0; i < 4096; i++)
		wbuf_u8(v->text, 'x');
	return 1;
}

START_TEST(t_listings)
{
	struct ctl c;
	static const unsigned cmds[] = { CTL_CMD_BINDINGS, CTL_CMD_SAS, CTL_CMD_POLICIES };
	ctl_init(&c, &fake_ops, NULL);
	/* Before any engine registers, each listing answers "none" / []. */
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(call_cmd(&c, cmds[i], 0, NULL), 0);
		ck_assert_int_eq(resp.hdr.status, CTL_S_OK);
		ck_assert_str_eq(body, "none\n");
		ck_assert_int_eq(call_cmd(&c, cmds[i], CTL_F_JSON, NULL), 0);
		ck_assert_str_eq(body, "[]\n");
	}
	ck_assert_int_eq(ctl_set_listing(&c, CTL_CMD_STATUS, fake_sas, NULL), M6E_INVAL);
	ck_assert_int_eq(ctl_set_listing(&c, CTL_CMD_SAS, fake_sas, NULL), 0);
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_SAS, 0, NULL), 0);
	ck_assert_str_eq(body, "0x1000\n0x2000\n");
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_SAS, CTL_F_JSON, NULL), 0);
	ck_assert_str_eq(body, "[{\"spi\":\"0x1000\"},{\"spi\":\"0x2000\"}]\n");
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_SAS, CTL_F_JSON, "0x2000"), 0);
	ck_assert_str_eq(body, "[{\"spi\":\"0x2000\"}]\n");
	/* A filter that matches nothing is "none" again. */
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_SAS, 0, "0x3000"), 0);
	ck_assert_str_eq(body, "none\n");
	/* A failing engine is a failed command, not a dead connection. */
	ck_assert_int_eq(ctl_set_listing(&c, CTL_CMD_POLICIES, fake_fail, NULL), 0);
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_POLICIES, 0, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_FAILED);
	ck_assert_str_eq(body, "policies failed: i/o error\n");
}
END_TEST

START_TEST(t_too_large)
{
	struct ctl c;
	uint8_t req[CTL_HDR_LEN], small[CTL_HDR_LEN + 1024];
	struct wbuf w;
	enum ctlproto_reason why;
	ctl_init(&c, &fake_ops, NULL);
	ctl_set_listing(&c, CTL_CMD_BINDINGS, fake_huge, NULL);
	wbuf_init(&w, req, sizeof(req));
	ctlproto_build_request(&w, CTL_CMD_BINDINGS, 0, NULL);
	wbuf_init(&w, small, sizeof(small));
	ck_assert_int_eq(ctl_handle(&c, req, sizeof(req), &w), 0);
	ck_assert_int_eq(ctlproto_parse_response(small, wbuf_len(&w), &resp, &why), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_TOO_LARGE);
	/* Not even an error answer fits. */
	wbuf_init(&w, small, 8);
	ck_assert_int_eq(ctl_handle(&c, req, sizeof(req), &w), M6E_NOSPACE);
}
END_TEST

START_TEST(t_bad_and_unknown)
{
	struct ctl c;
	uint8_t req[32];
	ctl_init(&c, &fake_ops, NULL);
	uint64_t magic = counter("ctl", "drop_bad_magic");
	uint64_t unknown = counter("ctl", "unknown_command");

	/* Unknown command: a well-formed request, so the connection stays. */
	ck_assert_int_eq(call_cmd(&c, 42, 0, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_UNKNOWN_CMD);
	ck_assert_int_eq(resp.hdr.command, 42);
	ck_assert_str_eq(body, "unknown command 42\n");
	ck_assert_uint_eq(counter("ctl", "unknown_command"), unknown + 1);

	/* Malformed: answered, counted per reason, and the connection closes. */
	size_t n = tu_hex("4d37 01 01 01 00 00 00 00000000", req, sizeof(req));
	ck_assert_int_eq(call(&c, req, n), M6E_PROTO);
	ck_assert_int_eq(resp.hdr.status, CTL_S_BAD_REQUEST);
	ck_assert_str_eq(body, "bad request: bad magic\n");
	ck_assert_uint_eq(counter("ctl", "drop_bad_magic"), magic + 1);

	n = tu_hex("4d36 02 01 01 00 00 00 00000000", req, sizeof(req));
	ck_assert_int_eq(call(&c, req, n), M6E_PROTO);
	ck_assert_int_eq(resp.hdr.status, CTL_S_VERSION);
	stats_unregister_all();
}
END_TEST

START_TEST(t_version_and_reload)
{
	struct ctl c;
	static const struct ctl_ops no_reload = { .status = fake_status };
	ctl_init(&c, &fake_ops, NULL);
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_VERSION, CTL_F_JSON, NULL), 0);
	ck_assert_str_eq(body, "{\"version\":\"" PACKAGE_VERSION "\",\"protocol\":1}\n");

	reload_result = 0;
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_RELOAD, 0, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_OK);
	reload_result = M6E_INVAL;
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_RELOAD, 0, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_FAILED);
	ck_assert_str_eq(body, "m.conf:3: syntax error\n");

	ctl_init(&c, &no_reload, NULL);
	ck_assert_int_eq(call_cmd(&c, CTL_CMD_RELOAD, 0, NULL), 0);
	ck_assert_int_eq(resp.hdr.status, CTL_S_FAILED);
}
END_TEST

START_TEST(t_names)
{
	ck_assert_str_eq(ctlproto_cmd_name(CTL_CMD_POLICIES), "policies");
	ck_assert_str_eq(ctlproto_cmd_name(99), "unknown");
	ck_assert_uint_eq(ctlproto_cmd_lookup("sas"), CTL_CMD_SAS);
	ck_assert_uint_eq(ctlproto_cmd_lookup("nope"), 0);
	ck_assert_str_eq(ctlproto_status_name(CTL_S_BUSY), "busy");
	for (unsigned r = 0; r < CTLP_R_COUNT; r++)
		ck_assert_str_ne(ctlproto_reason_name(r), "unknown");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("json");
	tcase_add_loop_test(tc, t_json_escape, 0, (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
	tcase_add_test(tc, t_json_nesting);
	tcase_add_test(tc, t_json_misuse);
	suite_add_tcase(s, tc);

	tc = tcase_create("ctlproto");
	tcase_add_test(tc, t_known_requests);
	tcase_add_test(tc, t_response_round_trip);
	tcase_add_test(tc, t_build_limits);
	tcase_add_loop_test(tc, t_bad_request, 0, (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, t_tlv_skip_rules);
	tcase_add_test(tc, t_header_cursor);
	tcase_add_test(tc, t_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch");
	tcase_add_test(tc, t_status_json);
	tcase_add_test(tc, t_status_text_and_conf);
	tcase_add_test(tc, t_listings);
	tcase_add_test(tc, t_too_large);
	tcase_add_test(tc, t_bad_and_unknown);
	tcase_add_test(tc, t_version_and_reload);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
