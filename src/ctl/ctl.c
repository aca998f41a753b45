/*
 * Control command dispatch: decode a request, run the command, render a
 * table or JSON into one response frame. No I/O and no clock reads: the
 * daemon supplies its state through ctl_ops.
 */
#include "ctl/ctl.h"

#include <inttypes.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "base/stats.h"
#include "conf/conf.h"

/* Requests and refusals per reason, shown by `status` like any counter. */
static struct stats_counter ctl_requests = STATS_COUNTER("ctl", "requests");
static struct stats_counter ctl_unknown_cmd = STATS_COUNTER("ctl", "unknown_command");
static struct stats_counter ctl_drops[CTLP_R_COUNT] = {
	[CTLP_R_SHORT] = STATS_COUNTER("ctl", "drop_short"),
	[CTLP_R_MAGIC] = STATS_COUNTER("ctl", "drop_bad_magic"),
	[CTLP_R_VERSION] = STATS_COUNTER("ctl", "drop_bad_version"),
	[CTLP_R_TYPE] = STATS_COUNTER("ctl", "drop_bad_type"),
	[CTLP_R_FLAGS] = STATS_COUNTER("ctl", "drop_bad_flags"),
	[CTLP_R_STATUS] = STATS_COUNTER("ctl", "drop_status_in_request"),
	[CTLP_R_RESERVED] = STATS_COUNTER("ctl", "drop_reserved_set"),
	[CTLP_R_TOO_BIG] = STATS_COUNTER("ctl", "drop_too_big"),
	[CTLP_R_LENGTH] = STATS_COUNTER("ctl", "drop_bad_length"),
	[CTLP_R_TLV_TRUNC] = STATS_COUNTER("ctl", "drop_tlv_truncated"),
	[CTLP_R_TLV_CRITICAL] = STATS_COUNTER("ctl", "drop_tlv_unknown_critical"),
	[CTLP_R_TLV_DUP] = STATS_COUNTER("ctl", "drop_tlv_duplicate"),
	[CTLP_R_TLV_VALUE] = STATS_COUNTER("ctl", "drop_tlv_bad_value"),
};

void ctl_init(struct ctl *c, const struct ctl_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->ops = *ops;
	c->arg = arg;
	stats_register(&ctl_requests);
	stats_register(&ctl_unknown_cmd);
	for (unsigned i = CTLP_R_SHORT; i < CTLP_R_COUNT; i++)
		stats_register(&ctl_drops[i]);
}

static bool ctl_is_listing(unsigned cmd)
{
	return cmd == CTL_CMD_BINDINGS || cmd == CTL_CMD_SAS || cmd == CTL_CMD_POLICIES || cmd == CTL_CMD_IKE;
}

int ctl_set_listing(struct ctl *c, unsigned cmd, int (*fn)(void *arg, struct ctl_view *view),
		    void *arg)
{
	if (!ctl_is_listing(cmd))
		return M6E_INVAL;
	c->listing[cmd].fn = fn;
	c->listing[cmd].arg = arg;
	return 0;
}

void ctl_count_drop(enum ctlproto_reason why)
{
	if (why > CTLP_R_NONE && why < CTLP_R_COUNT)
		stats_inc(&ctl_drops[why]);
}

void ctl_textf(struct wbuf *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	wbuf_bytes(w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static const char *const ctl_role_names[] = { "ha", "mn", "cn" };

static void ctl_fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
}

static const char *ctl_reload_name(enum ctl_reload_result r)
{
	switch (r) {
	case CTL_RELOAD_OK: return "ok";
	case CTL_RELOAD_FAILED: return "failed";
	case CTL_RELOAD_NONE: break;
	}
	return "none";
}

/* Heap in use by the daemon (glibc: chunks handed out from the arenas), so
 * a benchmark can measure memory per SA from outside; 0 where unknown. */
static uint64_t ctl_heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks;
#else
	return 0;
#endif
}

static void ctl_status_json(const struct ctl_status_info *st, const struct ctl *ctl, struct wbuf *w)
{
	struct json j;
	unsigned roles = st->conf ? conf_roles(st->conf) : 0;
	const struct conf_global *g = st->conf ? conf_global(st->conf) : NULL;
	char when[32];
	json_init(&j, w);
	json_obj_begin(&j, NULL);
	json_str(&j, "version", st->version);
	json_i64(&j, "pid", st->pid);
	json_arr_begin(&j, "roles");
	for (unsigned i = 0; i < 3; i++)
		if (roles & (1u << i))
			json_str(&j, NULL, ctl_role_names[i]);
	json_arr_end(&j);
	json_u64(&j, "uptime_s", st->uptime_s);
	ctl_fmt_time(st->started, when, sizeof(when));
	json_str(&j, "started", when);
	json_str(&j, "control_socket", st->control_socket);
	json_u64(&j, "heap_bytes", ctl_heap_bytes());

	json_obj_begin(&j, "config");
	json_str(&j, "file", st->config_file);
	ctl_fmt_time(st->config_loaded, when, sizeof(when));
	json_str(&j, "loaded", when);
	json_u64(&j, "generation", st->config_generation);
	if (g) {
		json_str(&j, "log_level", log_level_name(g->log_level));
		json_str(&j, "log_target", g->log_target == LOG_TO_SYSLOG ? "syslog" : "stderr");
	}
	json_obj_end(&j);

	json_obj_begin(&j, "reload");
	json_u64(&j, "count", st->reloads);
	json_u64(&j, "failures", st->reload_failures);
	json_str(&j, "last_result", ctl_reload_name(st->last_reload));
	json_str(&j, "last_error", st->last_reload_error ? st->last_reload_error : "");
	json_obj_end(&j);

	for (size_t i = 0; i < CTL_SECTION_MAX; i++) {
		if (!ctl->section[i].fn)
			continue;
		struct ctl_view v = { .json = true, .j = &j };
		json_obj_begin(&j, ctl->section[i].key);
		ctl->section[i].fn(ctl->section[i].arg, &v);
		json_obj_end(&j);
	}

	json_obj_begin(&j, "counters");
	for (const struct stats_counter *c = stats_first(); c; c = c->next) {
		char key[128];
		snprintf(key, sizeof(key), "%s.%s", c->group, c->name);
		json_u64(&j, key, c->value);
	}
	json_obj_end(&j);
	json_obj_end(&j);
	wbuf_u8(w, '\n');
	if (json_finish(&j) == M6E_INVAL)
		LOG_ERR(LOG_SUB_CTL, "status JSON nesting is unbalanced");
}

static void ctl_status_text(const struct ctl_status_info *st, const struct ctl *ctl, struct wbuf *w)
{
	unsigned roles = st->conf ? conf_roles(st->conf) : 0;
	const struct conf_global *g = st->conf ? conf_global(st->conf) : NULL;
	char when[32], role_list[32] = "";
	for (unsigned i = 0; i < 3; i++) {
		if (!(roles & (1u << i)))
			continue;
		if (role_list[0])
			strcat(role_list, ", ");
		strcat(role_list, ctl_role_names[i]);
	}
	uint64_t up = st->uptime_s;
	ctl_textf(w, "mip6sec %s, pid %ld\n", st->version, st->pid);
	ctl_textf(w, "role:       %s\n", role_list[0] ? role_list : "none");
	ctl_textf(w, "uptime:     %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "\n",
	      up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	ctl_fmt_time(st->config_loaded, when, sizeof(when));
	ctl_textf(w, "config:     %s (generation %u, loaded %s)\n", st->config_file,
	      st->config_generation, when);
	if (g)
		ctl_textf(w, "log level:  %s\n", log_level_name(g->log_level));
	ctl_textf(w, "control:    %s\n", st->control_socket);
	ctl_textf(w, "reloads:    %u (%u failed), last: %s%s%s\n", st->reloads, st->reload_failures,
	      ctl_reload_name(st->last_reload),
	      st->last_reload_error && st->last_reload_error[0] ? ": " : "",
	      st->last_reload_error ? st->last_reload_error : "");
	for (size_t i = 0; i < CTL_SECTION_MAX; i++) {
		if (!ctl->section[i].fn)
			continue;
		struct ctl_view v = { .text = w };
		ctl_textf(w, "%s:\n", ctl->section[i].key);
		ctl->section[i].fn(ctl->section[i].arg, &v);
	}
	ctl_textf(w, "counters:\n");
	for (const struct stats_counter *c = stats_first(); c; c = c->next) {
		char key[128];
		snprintf(key, sizeof(key), "%s.%s", c->group, c->name);
		ctl_textf(w, "  %-36s %" PRIu64 "\n", key, c->value);
	}
}

static int ctl_cmd_status(struct ctl *c, const struct ctl_request *req, struct wbuf *w)
{
	struct ctl_status_info st = { .version = PACKAGE_VERSION, .config_file = "",
				      .control_socket = "" };
	if (c->ops.status)
		c->ops.status(c->arg, &st);
	if (req->hdr.flags & CTL_F_JSON)
		ctl_status_json(&st, c, w);
	else
		ctl_status_text(&st, c, w);
	return CTL_S_OK;
}

static int ctl_cmd_version(const struct ctl_request *req, struct wbuf *w)
{
	if (req->hdr.flags & CTL_F_JSON)
		ctl_textf(w, "{\"version\":\"%s\",\"protocol\":%d}\n", PACKAGE_VERSION, CTL_VERSION);
	else
		ctl_textf(w, "mip6sec %s (control protocol %d)\n", PACKAGE_VERSION, CTL_VERSION);
	return CTL_S_OK;
}

static int ctl_cmd_listing(struct ctl *c, const struct ctl_request *req, struct wbuf *w)
{
	unsigned cmd = req->hdr.command;
	struct json j;
	struct ctl_view v = { .json = (req->hdr.flags & CTL_F_JSON) != 0, .j = &j, .text = w,
			      .filter = req->has_filter ? req->filter : NULL };
	int n = 0;
	json_init(&j, w);
	if (v.json)
		json_arr_begin(&j, NULL);
	if (c->listing[cmd].fn)
		n = c->listing[cmd].fn(c->listing[cmd].arg, &v);
	if (n < 0)
		return n;
	if (v.json) {
		json_arr_end(&j);
		wbuf_u8(w, '\n');
		if (json_finish(&j) == M6E_INVAL)
			return M6E_INVAL;
	} else if (n == 0) {
		ctl_textf(w, "none\n");
	}
	return CTL_S_OK;
}

static int ctl_cmd_reload(struct ctl *c, struct wbuf *w)
{
	char err[512] = "";
	if (!c->ops.reload) {
		ctl_textf(w, "reload is not available\n");
		return CTL_S_FAILED;
	}
	if (c->ops.reload(c->arg, err, sizeof(err)) < 0) {
		ctl_textf(w, "%s\n", err[0] ? err : "unknown error");
		return CTL_S_FAILED;
	}
	ctl_textf(w, "reload: ok\n");
	return CTL_S_OK;
}

/* Start the answer afresh in out's memory (out was handed to us empty). */
static void ctl_rewind(struct wbuf *out)
{
	wbuf_init(out, out->base, out->cap);
}

int ctl_set_status_section(struct ctl *c, const char *key, void (*fn)(void *arg, struct ctl_view *view),
			   void *arg)
{
	size_t free_slot = CTL_SECTION_MAX;
	for (size_t i = 0; i < CTL_SECTION_MAX; i++) {
		if (c->section[i].key && strcmp(c->section[i].key, key) == 0) {
			c->section[i].fn = fn;
			c->section[i].arg = arg;
			if (!fn)
				c->section[i].key = NULL;
			return 0;
		}
		if (!c->section[i].key && free_slot == CTL_SECTION_MAX)
			free_slot = i;
	}
	if (!fn)
		return 0;
	if (free_slot == CTL_SECTION_MAX)
		return M6E_NOSPACE;
	c->section[free_slot].key = key;
	c->section[free_slot].fn = fn;
	c->section[free_slot].arg = arg;
	return 0;
}

int ctl_error_response(struct wbuf *out, uint8_t command, uint8_t status, const char *msg)
{
	size_t off = ctlproto_begin(out);
	ctl_textf(out, "%s\n", msg);
	return ctlproto_end(out, off, CTL_T_RESPONSE, command, 0, status);
}

int ctl_handle(struct ctl *c, const uint8_t *data, size_t len, struct wbuf *out)
{
	struct ctl_request req;
	enum ctlproto_reason why;
	char msg[128];
	stats_inc(&ctl_requests);
	int rc = ctlproto_parse_request(data, len, &req, &why);
	if (rc < 0) {
		ctl_count_drop(why);
		LOG_RL(LOG_LVL_WARN, LOG_SUB_CTL, "refused control request: %s",
		       ctlproto_reason_name(why));
		snprintf(msg, sizeof(msg), "bad request: %s", ctlproto_reason_name(why));
		rc = ctl_error_response(out, req.hdr.command,
					why == CTLP_R_VERSION ? CTL_S_VERSION : CTL_S_BAD_REQUEST, msg);
		return rc < 0 ? M6E_NOSPACE : M6E_PROTO;
	}
	LOG_DEBUG(LOG_SUB_CTL, "request %s flags 0x%02x", ctlproto_cmd_name(req.hdr.command),
		  req.hdr.flags);

	size_t off = ctlproto_begin(out);
	int status;
	switch (req.hdr.command) {
	case CTL_CMD_STATUS: status = ctl_cmd_status(c, &req, out); break;
	case CTL_CMD_VERSION: status = ctl_cmd_version(&req, out); break;
	case CTL_CMD_BINDINGS:
	case CTL_CMD_SAS:
	case CTL_CMD_POLICIES:
	case CTL_CMD_IKE: status = ctl_cmd_listing(c, &req, out); break;
	case CTL_CMD_RELOAD: status = ctl_cmd_reload(c, out); break;
	default:
		stats_inc(&ctl_unknown_cmd);
		ctl_rewind(out);
		snprintf(msg, sizeof(msg), "unknown command %u", req.hdr.command);
		return ctl_error_response(out, req.hdr.command, CTL_S_UNKNOWN_CMD, msg) < 0
			       ? M6E_NOSPACE
			       : 0;
	}
	if (status < 0) {
		ctl_rewind(out);
		snprintf(msg, sizeof(msg), "%s failed: %s", ctlproto_cmd_name(req.hdr.command),
			 err_str(status));
		return ctl_error_response(out, req.hdr.command, CTL_S_FAILED, msg) < 0 ? M6E_NOSPACE : 0;
	}
	rc = ctlproto_end(out, off, CTL_T_RESPONSE, req.hdr.command, req.hdr.flags & CTL_F_KNOWN,
			  (uint8_t)status);
	if (rc < 0) {
		/* The answer outgrew the buffer or the protocol cap. */
		ctl_rewind(out);
		return ctl_error_response(out, req.hdr.command, CTL_S_TOO_LARGE,
					  "answer too large") < 0
			       ? M6E_NOSPACE
			       : 0;
	}
	return 0;
}
