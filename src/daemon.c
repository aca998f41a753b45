#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/stats.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "fwd/fwd.h"
#include "io/ctl_sock.h"
#include "io/kernel.h"
#include "io/kstate.h"
#include "io/nft.h"
#include "io/loop.h"
#include "io/netlink.h"
#include "io/notify.h"
#include "io/timer.h"
#include "ipsec/ipsecdb.h"
#include "ctl/ipsec_show.h"
#include "ctl/ike_show.h"
#include "ike/ikeio.h"
#include "mobile/node.h"

/* SA lifetimes are applied once a second (ipsecdb_tick). */
#define DAEMON_TICK_MS 1000

struct daemon {
	struct daemon_opts opts;
	struct conf *conf; /* the live configuration, replaced whole on reload */
	struct ipsecdb *db; /* SAD + SPD built from conf, swapped with it */
	struct io_loop *loop;
	struct io_nl *nl;
	struct kstate *ks;
	struct fwd *fwd;
	struct mnode *mnode; /* home agent or mobile node; NULL for neither */
	struct ikeio *ikeio; /* IKEv2 on UDP 500/4500; idle without an ike section */
	struct io_timer *tick;
	struct io_timer *stop; /* shutdown: lets the IKE Deletes leave first */
	struct io_ctl_sock *ctl_sock;
	struct ctl ctl;
	int64_t started;
	uint64_t started_mono;
	int64_t conf_loaded;
	unsigned generation;
	unsigned reloads, reload_failures;
	enum ctl_reload_result last_reload;
	char last_reload_error[512];
	char pid_file[256];
	char config_path[4096]; /* absolute: reloads happen after chdir("/") */
	int exit_status;
};

static void daemon_apply_logging(const struct daemon *d)
{
	const struct conf_global *g = conf_global(d->conf);
	enum log_level level = d->opts.level_set ? d->opts.level : g->log_level;
	unsigned mask = g->debug_mask | d->opts.debug_mask;
	/* Detached, stderr goes nowhere: fall back to syslog. */
	enum log_target target = d->opts.foreground ? g->log_target : LOG_TO_SYSLOG;
	log_open(target, level, mask, "mip6sec");
}

/* A reload that failed: d->last_reload_error says why; the running
 * configuration, SAD/SPD and data path stay as they were. */
static int daemon_reload_failed(struct daemon *d, int rc, char *err, size_t errlen)
{
	d->reload_failures++;
	d->last_reload = CTL_RELOAD_FAILED;
	LOG_ERR(LOG_SUB_CONF, "reload failed, keeping the running configuration: %s", d->last_reload_error);
	snprintf(err, errlen, "%s", d->last_reload_error);
	io_notify_ready("reload failed; running configuration kept");
	return rc;
}

static int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct conf *next = NULL;
	struct conf_error cerr;
	io_notify_reloading();
	d->reloads++;
	int rc = conf_load_file(d->opts.config_path, &next, &cerr);
	if (rc < 0) {
		conf_error_format(&cerr, d->last_reload_error, sizeof(d->last_reload_error));
		return daemon_reload_failed(d, rc, err, errlen);
	}
	/* The SAD/SPD and the data path are built for the new configuration
	 * before anything is swapped; a failure keeps the old ones running. */
	struct ipsecdb *db = NULL;
	char why[400];
	rc = mnode_reload_check(d->conf, next, why, sizeof(why));
	if (rc == 0)
		rc = ipsecdb_build(next, clock_mono_ms(), &db, why, sizeof(why));
	if (rc == 0 && (rc = fwd_set_db(d->fwd, db, why, sizeof(why))) != 0)
		ipsecdb_free(db);
	if (rc < 0) {
		snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s: %s", d->opts.config_path, why);
		conf_free(next);
		return daemon_reload_failed(d, rc, err, errlen);
	}
	/* The mobility adapter moves to the new SAs (pointed at the current
	 * care-of addresses) before the old ones are freed. */
	mnode_set_conf(d->mnode, next, db);
	/* Live CHILD_SAs move into the new db with their sequence numbers and
	 * replay windows; removed peers' IKE SAs go. */
	ipsecdb_children_move(db, d->db);
	ikeio_set_conf(d->ikeio, next, db);
	/* The data path serves db now; the old SAs (and their counters) go.
	 * Manual SAs restart their sequence numbers: docs/DATAPLANE.md. */
	ipsecdb_free(d->db);
	d->db = db;
	if (strcmp(conf_global(next)->control_socket, io_ctl_sock_path(d->ctl_sock)) != 0)
		LOG_WARN(LOG_SUB_CONF, "control-socket changed to %s: takes effect at restart; "
		         "still listening on %s", conf_global(next)->control_socket,
			 io_ctl_sock_path(d->ctl_sock));
	/* Every check passed: swap the whole configuration in at once. Engines
	 * will be handed `next` here before the old one is freed. */
	struct conf *old = d->conf;
	d->conf = next;
	conf_free(old);
	d->generation++;
	d->conf_loaded = clock_wall_s();
	d->last_reload = CTL_RELOAD_OK;
	d->last_reload_error[0] = '\0';
	daemon_apply_logging(d);
	LOG_NOTICE(LOG_SUB_CONF, "configuration %s reloaded (generation %u)", d->opts.config_path,
		   d->generation);
	io_notify_ready("running");
	return 0;
}

static void daemon_on_reload(void *arg)
{
	char err[512];
	daemon_reload(arg, err, sizeof(err));
}

static int daemon_ctl_reload(void *arg, char *err, size_t errlen)
{
	return daemon_reload(arg, err, errlen);
}

static void daemon_on_tick(void *arg)
{
	struct daemon *d = arg;
	ipsecdb_tick(d->db, clock_mono_ms());
	io_timer_arm(d->tick, DAEMON_TICK_MS);
}

/*
 * The data plane: rtnetlink, the kernel-state journal (undoing what a
 * crashed run left), and the tunnels of db. Runs after the control socket
 * is ours, so a second daemon never touches the first one's state.
 */
static int daemon_start_dataplane(struct daemon *d)
{
	char err[400];
	struct kstate_recovery rec;
	size_t ntun = 0;
	ipsecdb_tunnels(d->db, &ntun);
	int rc = io_nl_open(&d->nl);
	if (rc < 0) {
		LOG_ERR(LOG_SUB_CORE, "rtnetlink: %s", err_str(rc));
		return rc;
	}
	struct kstate_ops ks_ops;
	kernel_kstate_ops(d->nl, &ks_ops);
	const struct conf_home_agent *hac = conf_home_agent(d->conf);
	const struct conf_mobile_node *mnc = conf_mobile_node(d->conf);
	bool mobile = (hac && hac->present) || (mnc && mnc->present);
	rc = kstate_open(conf_global(d->conf)->state_dir, &ks_ops, &d->ks, &rec, err, sizeof(err));
	if (rc < 0) {
		/* Without tunnels or a mobility role nothing needs journalling. */
		bool need = ntun || mobile;
		log_msg(need ? LOG_LVL_ERR : LOG_LVL_WARN, LOG_SUB_CORE, __func__, "kernel-state journal: %s", err);
		if (need)
			return rc;
	} else if (rec.undone + rec.gone + rec.failed + rec.bad_lines) {
		LOG_NOTICE(LOG_SUB_CORE, "stale kernel state from a previous run: %u removed, %u already gone, "
			   "%u failed, %u bad journal lines", rec.undone, rec.gone, rec.failed, rec.bad_lines);
	}
	if ((rc = fwd_new(d->loop, d->nl, d->ks, &d->fwd)) < 0) {
		LOG_ERR(LOG_SUB_CORE, "data path: %s", err_str(rc));
		return rc;
	}
	if ((rc = fwd_set_db(d->fwd, d->db, err, sizeof(err))) < 0) {
		LOG_ERR(LOG_SUB_CORE, "data path: %s", err);
		return rc;
	}
	ipsec_show_register(&d->ctl, &d->db);
	if ((rc = ikeio_new(d->loop, d->conf, d->db, &d->ikeio, err, sizeof(err))) < 0) {
		LOG_ERR(LOG_SUB_CORE, "IKE: %s", err);
		return rc;
	}
	fwd_set_ike_sink(d->fwd, ikeio_fwd_sink, d->ikeio);
	ike_show_register(&d->ctl, &d->ikeio);
	if (mobile) {
		/* The kernel answers HAO and RH2 packets, which it cannot
		 * process, with Parameter Problems: silenced while we run. */
		struct kstate_entry nft;
		if (nft_kstate_entry(NFT_TABLE, &nft) == 0 && kstate_apply(d->ks, &nft) < 0)
			LOG_WARN(LOG_SUB_CORE, "nft table %s not installed: the kernel will answer Mobile IPv6 "
				 "packets with Parameter Problems", NFT_TABLE);
		const struct mnode_env env = { .loop = d->loop, .nl = d->nl, .ks = d->ks, .ctl = &d->ctl,
					       .ike = d->ikeio };
		if ((rc = mnode_new(&env, d->conf, d->db, &d->mnode, err, sizeof(err))) < 0) {
			LOG_ERR(LOG_SUB_CORE, "mobility: %s", err);
			return rc;
		}
	}
	if ((rc = io_timer_new(d->loop, daemon_on_tick, d, &d->tick)) < 0 ||
	    (rc = io_timer_arm(d->tick, DAEMON_TICK_MS)) < 0) {
		LOG_ERR(LOG_SUB_CORE, "cannot arm the SA lifetime timer");
		return rc;
	}
	return 0;
}

static void daemon_on_stop(void *arg)
{
	struct daemon *d = arg;
	io_loop_stop(d->loop);
}

/* SIGTERM/SIGINT: every established IKE SA gets its Delete (R7296-1.4.1),
 * then the loop runs IKEIO_SHUTDOWN_WAIT_MS more so the answers can come
 * back and the datagrams leave; a second signal stops at once. */
static void daemon_on_shutdown(void *arg, int signo)
{
	struct daemon *d = arg;
	(void)signo;
	io_notify_stopping();
	if (d->stop == NULL && ikeio_shutdown(d->ikeio) > 0 &&
	    io_timer_new(d->loop, daemon_on_stop, d, &d->stop) == 0 &&
	    io_timer_arm(d->stop, IKEIO_SHUTDOWN_WAIT_MS) == 0)
		return;
	io_loop_stop(d->loop);
}

static void daemon_ctl_status(void *arg, struct ctl_status_info *st)
{
	struct daemon *d = arg;
	st->pid = (long)getpid();
	st->started = d->started;
	st->uptime_s = (clock_mono_ms() - d->started_mono) / 1000;
	st->conf = d->conf;
	st->config_file = d->opts.config_path;
	st->config_loaded = d->conf_loaded;
	st->config_generation = d->generation;
	st->reloads = d->reloads;
	st->reload_failures = d->reload_failures;
	st->last_reload = d->last_reload;
	st->last_reload_error = d->last_reload_error;
	st->control_socket = io_ctl_sock_path(d->ctl_sock);
}

/*
 * Detach: fork twice so the daemon is not a session leader, and keep the
 * parent waiting on a pipe until the child is ready (socket open), so
 * `mip6sec daemon` exits 0 only when the daemon really runs. Returns the
 * write end of the pipe in the daemon; the parent never returns.
 */
static int daemon_detach(void)
{
	int p[2];
	if (pipe(p) != 0)
		return M6E_IO;
	pid_t pid = fork();
	if (pid < 0)
		return M6E_IO;
	if (pid > 0) {
		char ok = 0;
		close(p[1]);
		ssize_t n;
		do
			n = read(p[0], &ok, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 && ok == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return p[1];
}

static void daemon_ready_pipe(int *fd, char ok)
{
	if (*fd < 0)
		return;
	(void)!write(*fd, &ok, 1);
	close(*fd);
	*fd = -1;
}

/* The pid file sits next to the control socket, in the run directory. */
static void daemon_write_pid(struct daemon *d)
{
	const char *sock = io_ctl_sock_path(d->ctl_sock);
	const char *slash = strrchr(sock, '/');
	int dirlen = slash ? (int)(slash - sock) : 0;
	snprintf(d->pid_file, sizeof(d->pid_file), "%.*s/mip6sec.pid", dirlen, sock);
	FILE *f = fopen(d->pid_file, "we");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0) {
		LOG_WARN(LOG_SUB_CORE, "cannot write %s: %s", d->pid_file, strerror(errno));
		d->pid_file[0] = '\0';
	}
	if (f)
		fclose(f);
}

int daemon_main(const struct daemon_opts *opts)
{
	struct daemon d = { .opts = *opts, .exit_status = 1 };
	struct conf_error cerr;
	char msg[512];
	int ready_fd = -1;
	static const struct io_loop_ops loop_ops = { .shutdown = daemon_on_shutdown,
						     .reload = daemon_on_reload };
	static const struct ctl_ops ctl_ops = { .status = daemon_ctl_status,
						.reload = daemon_ctl_reload };

	/* A bad configuration stops us before anything is touched. */
	if (!realpath(opts->config_path, d.config_path))
		snprintf(d.config_path, sizeof(d.config_path), "%s", opts->config_path);
	d.opts.config_path = d.config_path;
	if (conf_load_file(d.config_path, &d.conf, &cerr) < 0) {
		conf_error_format(&cerr, msg, sizeof(msg));
		fprintf(stderr, "mip6sec: %s\n", msg);
		return 1;
	}
	if (ipsecdb_build(d.conf, clock_mono_ms(), &d.db, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "mip6sec: %s: %s\n", d.config_path, msg);
		conf_free(d.conf);
		return 1;
	}
	if (!opts->foreground) {
		ready_fd = daemon_detach();
		if (ready_fd < 0) {
			fprintf(stderr, "mip6sec: cannot detach: %s\n", strerror(errno));
			ipsecdb_free(d.db);
			conf_free(d.conf);
			return 1;
		}
	}
	daemon_apply_logging(&d);
	d.started = clock_wall_s();
	d.started_mono = clock_mono_ms();
	d.conf_loaded = d.started;
	d.generation = 1;

	fwdpath_stats_register();
	ctl_init(&d.ctl, &ctl_ops, &d);
	if (io_loop_new(&loop_ops, &d, &d.loop) < 0) {
		LOG_ERR(LOG_SUB_CORE, "cannot create the event loop");
		goto out;
	}
	if (io_ctl_sock_open(d.loop, conf_global(d.conf)->control_socket, &d.ctl, &d.ctl_sock, msg,
			     sizeof(msg)) < 0) {
		LOG_ERR(LOG_SUB_CORE, "control socket: %s", msg);
		goto out;
	}
	if (daemon_start_dataplane(&d) < 0)
		goto out;
	if (!opts->foreground)
		daemon_write_pid(&d);
	LOG_NOTICE(LOG_SUB_CORE, "mip6sec %s started (pid %ld, config %s, control %s)",
		   PACKAGE_VERSION, (long)getpid(), d.config_path, io_ctl_sock_path(d.ctl_sock));
	io_notify_ready("running");
	daemon_ready_pipe(&ready_fd, 1);
	if (io_loop_run(d.loop) < 0) {
		LOG_ERR(LOG_SUB_CORE, "event loop failed");
		goto out;
	}
	d.exit_status = 0;
	LOG_NOTICE(LOG_SUB_CORE, "stopped");
out:
	daemon_ready_pipe(&ready_fd, 0);
	io_timer_free(d.tick);
	io_timer_free(d.stop);
	/* IKE before the data path: its CHILD_SAs leave the db it points at. */
	if (d.fwd)
		fwd_set_ike_sink(d.fwd, NULL, NULL);
	ikeio_free(d.ikeio);
	/* TUNs first (their routes go with them), then whatever else the
	 * journal holds, then the journal itself. */
	mnode_free(d.mnode);
	fwd_free(d.fwd);
	kstate_close(d.ks);
	io_nl_close(d.nl);
	ipsecdb_free(d.db);
	io_ctl_sock_close(d.ctl_sock);
	io_loop_free(d.loop);
	if (d.pid_file[0])
		unlink(d.pid_file);
	conf_free(d.conf);
	stats_unregister_all();
	log_close();
	return d.exit_status;
}
