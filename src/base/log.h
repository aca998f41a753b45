/*
 * Logging: to stderr or syslog, with a level and per-subsystem debug.
 *
 * The macros prefix the calling function's name. LOG_RL() is the variant for
 * anything a peer can trigger: each call site gets its own token bucket
 * (burst LOG_RL_BURST, refill one per LOG_RL_INTERVAL_MS), and suppressed
 * messages are counted and reported with the next one that passes.
 */
#ifndef M6_BASE_LOG_H
#define M6_BASE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_target { LOG_TO_STDERR = 0, LOG_TO_SYSLOG };

/* Subsystems for `debug` selection; a bit each. */
enum log_subsys {
	LOG_SUB_CORE = 1u << 0,
	LOG_SUB_CONF = 1u << 1,
	LOG_SUB_CTL = 1u << 2,
	LOG_SUB_IO = 1u << 3,
	LOG_SUB_WIRE = 1u << 4,
	LOG_SUB_IPSEC = 1u << 5,
	LOG_SUB_IKE = 1u << 6,
	LOG_SUB_MIP6 = 1u << 7,
	LOG_SUB_FWD = 1u << 8,
};
#define LOG_SUB_ALL 0x1ffu

#define LOG_RL_BURST 5
#define LOG_RL_INTERVAL_MS 1000

struct log_ratelimit {
	uint64_t last_ms;
	unsigned tokens;
	unsigned suppressed;
	bool primed;
};

void log_open(enum log_target target, enum log_level level, unsigned debug_mask, const char *ident);
void log_set_level(enum log_level level, unsigned debug_mask);
void log_close(void);
bool log_enabled(enum log_level level, unsigned subsys);

void log_msg(enum log_level level, unsigned subsys, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_msg_rl(struct log_ratelimit *rl, enum log_level level, unsigned subsys, const char *func,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Parse "err|warn|notice|info|debug" and a comma list of subsystems. */
int log_level_parse(const char *s, enum log_level *out);
int log_subsys_parse(const char *list, unsigned *mask);
const char *log_level_name(enum log_level level);

#define LOG_ERR(sub, ...) log_msg(LOG_LVL_ERR, (sub), __func__, __VA_ARGS__)
#define LOG_WARN(sub, ...) log_msg(LOG_LVL_WARN, (sub), __func__, __VA_ARGS__)
#define LOG_NOTICE(sub, ...) log_msg(LOG_LVL_NOTICE, (sub), __func__, __VA_ARGS__)
#define LOG_INFO(sub, ...) log_msg(LOG_LVL_INFO, (sub), __func__, __VA_ARGS__)
#define LOG_DEBUG(sub, ...)                                                  \
	do {                                                                 \
		if (log_enabled(LOG_LVL_DEBUG, (sub)))                       \
			log_msg(LOG_LVL_DEBUG, (sub), __func__, __VA_ARGS__); \
	} while (0)
/* Rate-limited, one bucket per call site. */
#define LOG_RL(level, sub, ...)                                                  \
	do {                                                                     \
		static struct log_ratelimit log_rl_site_;                         \
		log_msg_rl(&log_rl_site_, (level), (sub), __func__, __VA_ARGS__); \
	} while (0)

#endif
