#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "base/clock.h"
#include "base/err.h"

static enum log_target log_target_cur = LOG_TO_STDERR;
static enum log_level log_level_cur = LOG_LVL_NOTICE;
static unsigned log_debug_mask;

static const char *const level_names[] = { "err", "warn", "notice", "info", "debug" };

static const struct {
	const char *name;
	unsigned bit;
} subsys_names[] = {
	{ "core", LOG_SUB_CORE }, { "conf", LOG_SUB_CONF }, { "ctl", LOG_SUB_CTL },
	{ "io", LOG_SUB_IO },     { "wire", LOG_SUB_WIRE }, { "ipsec", LOG_SUB_IPSEC },
	{ "ike", LOG_SUB_IKE },   { "mip6", LOG_SUB_MIP6 }, { "fwd", LOG_SUB_FWD },
	{ "all", LOG_SUB_ALL },
};

void log_open(enum log_target target, enum log_level level, unsigned debug_mask, const char *ident)
{
	log_close();
	log_target_cur = target;
	log_set_level(level, debug_mask);
	if (target == LOG_TO_SYSLOG)
		openlog(ident ? ident : "mip6sec", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level, unsigned debug_mask)
{
	log_level_cur = level;
	log_debug_mask = debug_mask;
}

void log_close(void)
{
	if (log_target_cur == LOG_TO_SYSLOG)
		closelog();
	log_target_cur = LOG_TO_STDERR;
}

bool log_enabled(enum log_level level, unsigned subsys)
{
	if (level == LOG_LVL_DEBUG)
		return log_level_cur >= LOG_LVL_DEBUG || (log_debug_mask & subsys) != 0;
	return level <= log_level_cur;
}

static void log_vemit(enum log_level level, const char *func, const char *suffix, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));

static void log_vemit(enum log_level level, const char *func, const char *suffix, const char *fmt,
		      va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_target_cur == LOG_TO_SYSLOG) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
		syslog(prio[level], "%s: %s%s", func, msg, suffix);
	} else {
		fprintf(stderr, "mip6sec[%s] %s: %s%s\n", level_names[level], func, msg, suffix);
	}
}

void log_msg(enum log_level level, unsigned subsys, const char *func, const char *fmt, ...)
{
	if (!log_enabled(level, subsys))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vemit(level, func, "", fmt, ap);
	va_end(ap);
}

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, unsigned subsys, const char *func,
		const char *fmt, ...)
{
	if (!log_enabled(level, subsys))
		return;
	uint64_t now = clock_mono_ms();
	if (!rl->primed) {
		rl->primed = true;
		rl->tokens = LOG_RL_BURST;
		rl->last_ms = now;
	}
	uint64_t refill = (now - rl->last_ms) / LOG_RL_INTERVAL_MS;
	if (refill) {
		rl->tokens = (unsigned)(rl->tokens + refill > LOG_RL_BURST ? LOG_RL_BURST
									 : rl->tokens + refill);
		rl->last_ms += refill * LOG_RL_INTERVAL_MS;
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return;
	}
	rl->tokens--;
	char suffix[64] = "";
	if (rl->suppressed) {
		snprintf(suffix, sizeof(suffix), " (%u similar suppressed)", rl->suppressed);
		rl->suppressed = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	log_vemit(level, func, suffix, fmt, ap);
	va_end(ap);
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return M6E_INVAL;
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < 5 ? level_names[level] : "?";
}

int log_subsys_parse(const char *list, unsigned *mask)
{
	unsigned m = 0;
	char buf[256];
	if (strlen(list) >= sizeof(buf))
		return M6E_RANGE;
	strcpy(buf, list);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		bool found = false;
		for (unsigned i = 0; i < sizeof(subsys_names) / sizeof(subsys_names[0]); i++) {
			if (strcmp(tok, subsys_names[i].name) == 0) {
				m |= subsys_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return M6E_INVAL;
	}
	*mask = m;
	return 0;
}
