/*
 * daemon: wires the configuration, the event loop, the control socket and
 * (as they land) the protocol engines together, and owns their lifetime.
 *
 * Reload (SIGHUP or `mip6sec reload`): the new configuration is loaded and
 * validated completely by conf_load_file() and swapped in whole only if it is
 * valid; otherwise the running one stays in force and the error
 * "file:line: key: message" is logged and shown by `mip6sec status`.
 */
#ifndef M6_DAEMON_H
#define M6_DAEMON_H

#include <stdbool.h>

#include "base/log.h"

struct daemon_opts {
	const char *config_path;
	bool foreground;      /* -f: stay attached, no pid file (systemd, tests) */
	bool level_set;       /* -l given: overrides the config's log-level */
	enum log_level level;
	unsigned debug_mask;  /* -d: LOG_SUB_* bits added to the config's */
};

/* Run the daemon until SIGTERM/SIGINT. Returns the process exit status: 0
 * after a clean shutdown, 1 if the configuration is invalid or startup
 * failed (the reason is printed or logged). */
int daemon_main(const struct daemon_opts *opts);

#endif
