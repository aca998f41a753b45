/*
 * mip6sec: one binary, subcommands.
 *
 *   mip6sec daemon [-c FILE] [-f] [-d SUBSYS,...] [-l LEVEL]
 *   mip6sec check-config [FILE]
 *   mip6sec status|bindings|sas|policies|reload [-s SOCKET | -c FILE] [--json]
 *   mip6sec version
 *
 * Exit status: 0 success, 1 failure (invalid config, daemon not running,
 * command failed), 2 usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "ctl/ctlproto.h"
#include "daemon.h"
#include "io/ctl_client.h"

#define DEFAULT_CONFIG SYSCONFDIR "/mip6sec.conf"
#define DEFAULT_SOCKET M6_DEFAULT_RUNDIR "/mip6sec/control.sock"

enum { EXIT_USAGE = 2 };

static const char usage_main[] =
	"usage: mip6sec COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  daemon        run the Mobile IPv6 + IPsec daemon\n"
	"  check-config  validate a configuration file without starting\n"
	"  status        role, uptime, configuration and counters of the running daemon\n"
	"  bindings      binding cache / binding update list entries\n"
	"  sas           IPsec and IKE security associations\n"
	"  policies      security policy database entries\n"
	"  reload        reload the configuration (like SIGHUP)\n"
	"  version       print the version\n"
	"\n"
	"`mip6sec COMMAND --help` describes each command; see mip6sec(8).\n";

static const char usage_daemon[] =
	"usage: mip6sec daemon [-c FILE] [-f] [-d SUBSYS,...] [-l LEVEL]\n"
	"  -c, --config FILE      configuration file (default " DEFAULT_CONFIG ")\n"
	"  -f, --foreground       stay in the foreground, log to stderr (systemd, tests)\n"
	"  -d, --debug LIST       debug subsystems: core,conf,ctl,io,wire,ipsec,ike,mip6,fwd,all\n"
	"  -l, --log-level LEVEL  err, warn, notice, info or debug (overrides the config)\n"
	"  -h, --help             this text\n";

static const char usage_check[] =
	"usage: mip6sec check-config [FILE]\n"
	"  Load and validate FILE (default " DEFAULT_CONFIG ") without starting;\n"
	"  prints file:line: key: what is wrong and exits 1 if it is invalid.\n";

static const char usage_client[] =
	"usage: mip6sec %s [-s SOCKET | -c FILE] [-j]%s\n"
	"  %s\n"
	"  -s, --socket SOCKET    control socket (default: from the config, else " DEFAULT_SOCKET ")\n"
	"  -c, --config FILE      read the control socket path from FILE\n"
	"  -j, --json             answer in JSON\n"
	"  -h, --help             this text\n";

static const char usage_version[] = "usage: mip6sec version\n  Print the version and exit.\n";

static const struct {
	const char *name;
	const char *args;
	const char *doc;
} client_cmds[] = {
	{ "status", "", "Role(s), pid, uptime, configuration, reloads and counters." },
	{ "bindings", " [FILTER]", "Binding cache and binding update list (\"none\" if empty)." },
	{ "sas", " [FILTER]", "IPsec and IKE security associations (\"none\" if empty)." },
	{ "policies", " [FILTER]", "Security policies (\"none\" if empty)." },
	{ "ike", " [FILTER]", "IKE SAs: peer, state, SPIs, suite, NAT, CHILD_SAs (\"none\" if empty)." },
	{ "reload", "", "Reload the configuration; the old one stays if the new one is invalid." },
};

static bool is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0;
}

static int cmd_daemon(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", required_argument, NULL, 'd' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { .config_path = DEFAULT_CONFIG };
	int ch;
	while ((ch = getopt_long(argc, argv, "c:fd:l:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.config_path = optarg; break;
		case 'f': o.foreground = true; break;
		case 'd':
			if (log_subsys_parse(optarg, &o.debug_mask) < 0) {
				fprintf(stderr, "mip6sec daemon: unknown debug subsystem in '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (log_level_parse(optarg, &o.level) < 0) {
				fprintf(stderr, "mip6sec daemon: unknown log level '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o.level_set = true;
			break;
		case 'h': fputs(usage_daemon, stdout); return 0;
		default: fputs(usage_daemon, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_daemon, stderr);
		return EXIT_USAGE;
	}
	return daemon_main(&o);
}

static int cmd_check_config(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (is_help(argv[1]) || argv[1][0] == '-'))) {
		bool help = argc == 2 && is_help(argv[1]);
		fputs(usage_check, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	return conf_check_main(argc == 2 ? argv[1] : DEFAULT_CONFIG, stdout, stderr);
}

/* -s wins, then -c, then the default config if it is readable, then the
 * built-in default. */
static int client_socket(const char *sock, const char *config, char *out, size_t len)
{
	struct conf *c = NULL;
	struct conf_error err;
	if (sock) {
		snprintf(out, len, "%s", sock);
		return 0;
	}
	if (!config && access(DEFAULT_CONFIG, R_OK) == 0)
		config = DEFAULT_CONFIG;
	if (!config) {
		snprintf(out, len, "%s", DEFAULT_SOCKET);
		return 0;
	}
	if (conf_load_file(config, &c, &err) < 0) {
		char msg[512];
		conf_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "mip6sec: %s\n", msg);
		return 1;
	}
	snprintf(out, len, "%s", conf_global(c)->control_socket);
	conf_free(c);
	return 0;
}

static int cmd_client(unsigned cmd, size_t idx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL, *filter = NULL;
	uint8_t flags = 0;
	char path[256], err[512];
	int ch;
	while ((ch = getopt_long(argc, argv, "s:c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'c': config = optarg; break;
		case 'j': flags |= CTL_F_JSON; break;
		case 'h':
			printf(usage_client, client_cmds[idx].name, client_cmds[idx].args,
			       client_cmds[idx].doc);
			return 0;
		default:
			fprintf(stderr, usage_client, client_cmds[idx].name, client_cmds[idx].args,
				client_cmds[idx].doc);
			return EXIT_USAGE;
		}
	}
	bool takes_filter = client_cmds[idx].args[0] != '\0';
	if (optind < argc && takes_filter)
		filter = argv[optind++];
	if (optind != argc || (filter && (filter[0] == '\0' || strlen(filter) > CTL_FILTER_MAX))) {
		fprintf(stderr, usage_client, client_cmds[idx].name, client_cmds[idx].args,
			client_cmds[idx].doc);
		return EXIT_USAGE;
	}
	if (client_socket(sock, config, path, sizeof(path)) != 0)
		return 1;

	struct io_ctl_reply reply;
	if (io_ctl_client_call(path, (uint8_t)cmd, flags, filter, CTL_CLIENT_TIMEOUT_MS, &reply, err,
			       sizeof(err)) < 0) {
		fprintf(stderr, "mip6sec: %s\n", err);
		return 1;
	}
	int rc = 0;
	if (reply.status == CTL_S_OK) {
		fwrite(reply.body, 1, reply.body_len, stdout);
	} else {
		fprintf(stderr, "mip6sec %s: %s: %.*s", client_cmds[idx].name,
			ctlproto_status_name(reply.status), (int)reply.body_len, (const char *)reply.body);
		if (reply.body_len == 0 || reply.body[reply.body_len - 1] != '\n')
			fputc('\n', stderr);
		rc = 1;
	}
	io_ctl_reply_free(&reply);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	/* Subcommands parse their options from argv[1] on (argv[0] = their name). */
	int sargc = argc - 1;
	char **sargv = argv + 1;
	if (is_help(sub)) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(sub, "--version") == 0 || strcmp(sub, "version") == 0) {
		if (argc > 2) {
			bool help = is_help(argv[2]);
			fputs(usage_version, help ? stdout : stderr);
			return help ? 0 : EXIT_USAGE;
		}
		printf("mip6sec %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(sub, "daemon") == 0)
		return cmd_daemon(sargc, sargv);
	if (strcmp(sub, "check-config") == 0)
		return cmd_check_config(sargc, sargv);
	for (size_t i = 0; i < sizeof(client_cmds) / sizeof(client_cmds[0]); i++)
		if (strcmp(sub, client_cmds[i].name) == 0)
			return cmd_client(ctlproto_cmd_lookup(sub), i, sargc, sargv);
	fprintf(stderr, "mip6sec: unknown command '%s'\n\n%s", sub, usage_main);
	return EXIT_USAGE;
}
