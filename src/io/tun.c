#include "io/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/err.h"

#define IO_TUN_DEV "/dev/net/tun"

struct io_tun {
	int fd;
	unsigned ifindex;
	char name[IFNAMSIZ];
};

int io_tun_open(const char *name, struct io_tun **out, char *err, size_t errlen)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen >= IFNAMSIZ || strchr(name, '/') || strchr(name, '%')) {
		snprintf(err, errlen, "bad interface name \"%s\"", name);
		return M6E_INVAL;
	}
	struct io_tun *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	int rc = M6E_IO;
	t->fd = open(IO_TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		rc = errno == EACCES || errno == EPERM ? M6E_PERM : M6E_IO;
		snprintf(err, errlen, "%s: %s", IO_TUN_DEV, strerror(errno));
		goto fail;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	/* No packet-information prefix: every read and write is a bare IP packet. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, nlen);
	if (ioctl(t->fd, TUNSETIFF, &ifr) != 0) {
		/* EBUSY: a TUN of that name is open elsewhere; EINVAL: the name
		 * belongs to a device of another type. */
		rc = errno == EBUSY || errno == EINVAL ? M6E_EXISTS : errno == EPERM ? M6E_PERM : M6E_IO;
		snprintf(err, errlen, "TUNSETIFF %s: %s%s", name, strerror(errno),
			 rc == M6E_EXISTS ? " (the name is taken by another device)" : "");
		goto fail;
	}
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
	t->name[IFNAMSIZ - 1] = '\0';
	t->ifindex = if_nametoindex(t->name);
	if (t->ifindex == 0) {
		snprintf(err, errlen, "%s: no interface index: %s", t->name, strerror(errno));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return rc;
}

void io_tun_close(struct io_tun *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

int io_tun_fd(const struct io_tun *t)
{
	return t->fd;
}

unsigned io_tun_ifindex(const struct io_tun *t)
{
	return t->ifindex;
}

const char *io_tun_name(const struct io_tun *t)
{
	return t->name;
}

int io_tun_read_burst(struct io_tun *t, struct io_msg *msgs, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct io_msg *m = &msgs[got];
		ssize_t r = read(t->fd, m->buf, m->cap);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return got ? (int)got : M6E_IO;
		}
		if (r == 0)
			break;
		m->len = (size_t)r;
		/* A TUN read cuts a packet longer than the buffer; flag it so the
		 * caller drops it instead of sealing half a packet. */
		m->truncated = (size_t)r == m->cap;
		got++;
	}
	return (int)got;
}

int io_tun_write(struct io_tun *t, const uint8_t *pkt, size_t len)
{
	ssize_t r;
	do
		r = write(t->fd, pkt, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? M6E_AGAIN : M6E_IO;
	return (size_t)r == len ? 0 : M6E_IO;
}
