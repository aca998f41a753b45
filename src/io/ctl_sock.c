#include "io/ctl_sock.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/wbuf.h"
#include "ctl/ctl.h"
#include "ctl/ctlproto.h"
#include "io/loop.h"
#include "io/timer.h"

/* Never buffer more than one maximal request and the next header. */
#define CTL_INPUT_CAP (CTL_HDR_LEN + CTL_REQ_BODY_MAX + CTL_HDR_LEN)

struct io_ctl_conn {
	struct io_ctl_sock *srv;
	struct bufferevent *bev;
	struct io_timer *idle;
	bool closing; /* free once the answer has been written */
	struct io_ctl_conn *prev, *next;
};

struct io_ctl_sock {
	struct io_loop *loop;
	struct evconnlistener *listener;
	struct ctl *ctl;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned nconns;
	struct io_ctl_conn *conns;
	uint8_t *resp; /* one answer at a time: the loop is single-threaded */
	size_t resp_cap;
};

static struct stats_counter ctl_refused_peer = STATS_COUNTER("ctl", "refused_peer_uid");
static struct stats_counter ctl_refused_busy = STATS_COUNTER("ctl", "refused_busy");
static struct stats_counter ctl_idle_closed = STATS_COUNTER("ctl", "idle_closed");

static void conn_free(struct io_ctl_conn *c)
{
	struct io_ctl_sock *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	io_timer_free(c->idle);
	bufferevent_free(c->bev);
	free(c);
}

/* Send what is queued, then close. */
static void conn_finish(struct io_ctl_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

static void conn_send(struct io_ctl_conn *c, const struct wbuf *w)
{
	if (bufferevent_write(c->bev, w->base, wbuf_len(w)) != 0)
		LOG_RL(LOG_LVL_WARN, LOG_SUB_CTL, "cannot queue control answer");
}

/* Returns false once the connection is being closed. */
static bool conn_one_frame(struct io_ctl_conn *c, struct evbuffer *in)
{
	struct io_ctl_sock *s = c->srv;
	struct wbuf w;
	size_t have = evbuffer_get_length(in), total = 0;
	enum ctlproto_reason why;
	wbuf_init(&w, s->resp, s->resp_cap);
	const uint8_t *hdr = evbuffer_pullup(in, (ev_ssize_t)(have < CTL_HDR_LEN ? have : CTL_HDR_LEN));
	int rc = ctlproto_frame_len(hdr, have < CTL_HDR_LEN ? have : CTL_HDR_LEN, CTL_T_REQUEST,
				    &total, &why);
	if (rc == M6E_AGAIN)
		return false;
	if (rc < 0) {
		/* The framing is lost: answer once and hang up. */
		char msg[96];
		ctl_count_drop(why);
		LOG_RL(LOG_LVL_WARN, LOG_SUB_CTL, "refused control frame: %s", ctlproto_reason_name(why));
		snprintf(msg, sizeof(msg), "bad request: %s", ctlproto_reason_name(why));
		if (ctl_error_response(&w, 0, why == CTLP_R_VERSION ? CTL_S_VERSION : CTL_S_BAD_REQUEST,
				       msg) == 0)
			conn_send(c, &w);
		conn_finish(c);
		return false;
	}
	if (have < total)
		return false;
	const uint8_t *frame = evbuffer_pullup(in, (ev_ssize_t)total);
	rc = ctl_handle(s->ctl, frame, total, &w);
	evbuffer_drain(in, total);
	if (rc != M6E_NOSPACE)
		conn_send(c, &w);
	if (rc < 0) {
		conn_finish(c);
		return false;
	}
	io_timer_arm(c->idle, CTL_IDLE_MS);
	return true;
}

static void conn_on_read(struct bufferevent *bev, void *arg)
{
	struct io_ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (!c->closing && evbuffer_get_length(in) > 0)
		if (!conn_one_frame(c, in))
			break;
}

static void conn_on_write(struct bufferevent *bev, void *arg)
{
	struct io_ctl_conn *c = arg;
	if (c->closing)
		conn_free(c);
}

static void conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct io_ctl_conn *c = arg;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		conn_finish(c); /* the peer half-closed: still send the answer */
		return;
	}
	conn_free(c);
}

static void conn_on_idle(void *arg)
{
	struct io_ctl_conn *c = arg;
	stats_inc(&ctl_idle_closed);
	LOG_RL(LOG_LVL_INFO, LOG_SUB_CTL, "closing idle control connection");
	conn_free(c);
}

/* SO_PEERCRED: only root or the daemon's own user may talk to it. */
static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	stats_inc(&ctl_refused_peer);
	LOG_RL(LOG_LVL_WARN, LOG_SUB_CTL, "refused control client uid %u pid %ld", (unsigned)cred.uid,
	       (long)cred.pid);
	return false;
}

static void refuse_busy(int fd)
{
	uint8_t buf[64];
	struct wbuf w;
	stats_inc(&ctl_refused_busy);
	LOG_RL(LOG_LVL_WARN, LOG_SUB_CTL, "refused control client: %d clients connected",
	       CTL_MAX_CLIENTS);
	wbuf_init(&w, buf, sizeof(buf));
	if (ctl_error_response(&w, 0, CTL_S_BUSY, "busy") == 0)
		(void)!send(fd, buf, wbuf_len(&w), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void srv_on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct io_ctl_sock *s = arg;
	if (!peer_allowed(fd)) {
		close(fd);
		return;
	}
	if (s->nconns >= CTL_MAX_CLIENTS) {
		refuse_busy(fd);
		close(fd);
		return;
	}
	struct io_ctl_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->bev = bufferevent_socket_new(io_loop_base(s->loop), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	if (io_timer_new(s->loop, conn_on_idle, c, &c->idle) < 0) {
		bufferevent_free(c->bev);
		free(c);
		return;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	bufferevent_setcb(c->bev, conn_on_read, conn_on_write, conn_on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_INPUT_CAP);
	bufferevent_enable(c->bev, EV_READ);
	io_timer_arm(c->idle, CTL_IDLE_MS);
	LOG_DEBUG(LOG_SUB_CTL, "control client connected (%u open)", s->nconns);
}

/* Create the socket's directory 0700 if it is missing (one level only: a
 * missing /run is not ours to create). */
static int srv_make_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		snprintf(err, errlen, "%s exists and is not a directory", dir);
		return M6E_INVAL;
	}
	if (mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return M6E_IO;
	}
	return 0;
}

/* A socket file is stale when nobody accepts on it; only then remove it. */
static int srv_clear_stale(const char *path, const struct sockaddr_un *sun, char *err,
			   size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : M6E_IO;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return M6E_EXISTS;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return M6E_IO;
	}
	int rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "another mip6sec daemon is answering on %s", path);
		return M6E_EXISTS;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "cannot probe %s: %s", path, strerror(e));
		return M6E_IO;
	}
	LOG_NOTICE(LOG_SUB_CTL, "removing stale control socket %s", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale %s: %s", path, strerror(errno));
		return M6E_IO;
	}
	return 0;
}

int io_ctl_sock_open(struct io_loop *loop, const char *path, struct ctl *ctl,
		     struct io_ctl_sock **out, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct io_ctl_sock *s = NULL;
	int fd = -1, rc;
	if (path[0] != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path must be absolute and shorter than %zu: %s",
			 sizeof(sun.sun_path), path);
		return M6E_INVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	rc = srv_make_dir(path, err, errlen);
	if (rc < 0)
		return rc;
	rc = srv_clear_stale(path, &sun, err, errlen);
	if (rc < 0)
		return rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return M6E_NOMEM;
	s->loop = loop;
	s->ctl = ctl;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->resp_cap = CTL_HDR_LEN + CTL_RESP_BODY_MAX;
	s->resp = malloc(s->resp_cap);
	if (!s->resp) {
		rc = M6E_NOMEM;
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		rc = M6E_IO;
		goto out;
	}
	/* umask makes the socket 0600 from the moment it exists. */
	mode_t old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "cannot bind %s: %s", path, strerror(e));
		rc = M6E_IO;
		goto out;
	}
	if (listen(fd, CTL_LISTEN_BACKLOG) != 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		rc = M6E_IO;
		goto out;
	}
	s->listener = evconnlistener_new(io_loop_base(loop), srv_on_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!s->listener) {
		snprintf(err, errlen, "cannot watch %s", path);
		unlink(path);
		rc = M6E_IO;
		goto out;
	}
	fd = -1; /* owned by the listener */
	stats_register(&ctl_refused_peer);
	stats_register(&ctl_refused_busy);
	stats_register(&ctl_idle_closed);
	LOG_INFO(LOG_SUB_CTL, "control socket %s ready", path);
	*out = s;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	free(s->resp);
	free(s);
	return rc;
}

void io_ctl_sock_close(struct io_ctl_sock *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	evconnlistener_free(s->listener);
	if (unlink(s->path) != 0 && errno != ENOENT)
		LOG_WARN(LOG_SUB_CTL, "cannot remove %s: %s", s->path, strerror(errno));
	free(s->resp);
	free(s);
}

const char *io_ctl_sock_path(const struct io_ctl_sock *s)
{
	return s->path;
}
