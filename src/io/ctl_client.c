#include "io/ctl_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "ctl/ctlproto.h"

/* Wait for fd to be ready for `events` until the deadline. */
static int client_wait(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = clock_mono_ms();
		if (now >= deadline)
			return M6E_AGAIN;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return M6E_IO;
	}
}

static int client_read(int fd, uint8_t *buf, size_t n, uint64_t deadline)
{
	size_t got = 0;
	while (got < n) {
		int rc = client_wait(fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r == 0)
			return M6E_TRUNC;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return M6E_IO;
		}
		got += (size_t)r;
	}
	return 0;
}

static int client_write(int fd, const uint8_t *buf, size_t n, uint64_t deadline)
{
	size_t sent = 0;
	while (sent < n) {
		int rc = client_wait(fd, POLLOUT, deadline);
		if (rc < 0)
			return rc;
		ssize_t r = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return M6E_IO;
		}
		sent += (size_t)r;
	}
	return 0;
}

static int client_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return M6E_INVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return M6E_IO;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(err, errlen, "cannot connect to %s: %s -- is the daemon running?", path,
			 strerror(errno));
		close(fd);
		return M6E_IO;
	}
	return fd;
}

int io_ctl_client_call(const char *path, uint8_t command, uint8_t flags, const char *filter,
		       int timeout_ms, struct io_ctl_reply *reply, char *err, size_t errlen)
{
	uint8_t req[CTL_HDR_LEN + 4 + CTL_FILTER_MAX], hdr[CTL_HDR_LEN];
	struct wbuf w;
	struct ctl_response resp;
	enum ctlproto_reason why;
	size_t total = 0;
	uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
	int rc;
	memset(reply, 0, sizeof(*reply));
	wbuf_init(&w, req, sizeof(req));
	rc = ctlproto_build_request(&w, command, flags, filter);
	if (rc < 0) {
		snprintf(err, errlen, "cannot build the request: %s", err_str(rc));
		return rc;
	}
	int fd = client_connect(path, err, errlen);
	if (fd < 0)
		return fd;
	rc = client_write(fd, req, wbuf_len(&w), deadline);
	if (rc == 0)
		rc = client_read(fd, hdr, sizeof(hdr), deadline);
	if (rc == 0) {
		rc = ctlproto_frame_len(hdr, sizeof(hdr), CTL_T_RESPONSE, &total, &why);
		if (rc < 0) {
			snprintf(err, errlen, "bad answer from %s: %s", path, ctlproto_reason_name(why));
			goto out;
		}
		reply->frame = malloc(total);
		if (!reply->frame) {
			rc = M6E_NOMEM;
			goto fail;
		}
		memcpy(reply->frame, hdr, sizeof(hdr));
		rc = client_read(fd, reply->frame + sizeof(hdr), total - sizeof(hdr), deadline);
	}
	if (rc < 0)
		goto fail;
	rc = ctlproto_parse_response(reply->frame, total, &resp, &why);
	if (rc < 0) {
		snprintf(err, errlen, "bad answer from %s: %s", path, ctlproto_reason_name(why));
		goto out;
	}
	reply->status = resp.hdr.status;
	reply->body = resp.body;
	reply->body_len = resp.body_len;
	goto out;
fail:
	snprintf(err, errlen, "%s: %s", path,
		 rc == M6E_AGAIN ? "no answer in time"
		 : rc == M6E_TRUNC ? "the daemon closed the connection"
				     : strerror(errno));
out:
	close(fd);
	if (rc < 0)
		io_ctl_reply_free(reply);
	return rc;
}

void io_ctl_reply_free(struct io_ctl_reply *reply)
{
	free(reply->frame);
	memset(reply, 0, sizeof(*reply));
}
