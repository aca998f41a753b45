#include "io/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "io/netlink.h"
#include "io/nft.h"

static int errno_code(int e)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
		return M6E_NOTFOUND;
	case EACCES:
	case EPERM:
		return M6E_PERM;
	case EINVAL:
		return M6E_INVAL;
	default:
		return M6E_IO;
	}
}

int kernel_sysctl_read(const char *path, char *buf, size_t len)
{
	if (!kstate_sysctl_path_ok(path) || len == 0)
		return M6E_INVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_code(errno);
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (n < 0)
		return errno_code(e);
	/* A full buffer may have been cut: refuse rather than guess. */
	if ((size_t)n >= len)
		return M6E_NOSPACE;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int kernel_sysctl_write(const char *path, const char *value)
{
	if (!kstate_sysctl_path_ok(path) || !kstate_sysctl_value_ok(value))
		return M6E_INVAL;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno_code(errno);
	size_t n = strlen(value);
	ssize_t w;
	do
		w = write(fd, value, n);
	while (w < 0 && errno == EINTR);
	int e = errno;
	close(fd);
	if (w < 0)
		return errno_code(e);
	return (size_t)w == n ? 0 : M6E_IO;
}

int kernel_sysctl_path(char *buf, size_t len, const char *tree, const char *ifname, const char *leaf)
{
	int n = snprintf(buf, len, "%s%s/%s/%s", KSTATE_SYSCTL_PREFIX, tree, ifname, leaf);
	if (n < 0 || (size_t)n >= len)
		return M6E_NOSPACE;
	/* One component each: a '/' in a name would reach elsewhere. */
	if (strchr(tree, '/') || strchr(ifname, '/') || strchr(leaf, '/') || !kstate_sysctl_path_ok(buf))
		return M6E_INVAL;
	return 0;
}

int kernel_sysctl_entry(struct kstate_entry *e, const char *path, const char *value)
{
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_SYSCTL;
	if (!kstate_sysctl_path_ok(path) || !kstate_sysctl_value_ok(value))
		return M6E_INVAL;
	snprintf(e->sysctl.path, sizeof(e->sysctl.path), "%s", path);
	snprintf(e->sysctl.value, sizeof(e->sysctl.value), "%s", value);
	int rc = kernel_sysctl_read(path, e->sysctl.old, sizeof(e->sysctl.old));
	if (rc == M6E_NOSPACE || (rc == 0 && !kstate_sysctl_value_ok(e->sysctl.old)))
		return M6E_INVAL; /* not a value we could journal and restore */
	return rc;
}

/* e can be journalled: its line reads back (the parser refuses what the
 * formatter lets through, e.g. host bits in a route's destination). */
static int entry_ok(const struct kstate_entry *e)
{
	char line[KSTATE_LINE_MAX];
	struct kstate_entry back;
	int n = kstate_format_line(e, line, sizeof(line));
	if (n <= 0 || kstate_parse_line(line, (size_t)n - 1, &back, NULL) != 0)
		return M6E_INVAL;
	return 0;
}

static int set_ifname(struct kstate_entry *e, const char *ifname)
{
	size_t n = strlen(ifname);
	if (n >= sizeof(e->ifname))
		return M6E_INVAL;
	memcpy(e->ifname, ifname, n + 1);
	return 0;
}

int kernel_route_entry(struct kstate_entry *e, const char *ifname, const struct prefix6 *dst, uint32_t table,
		       unsigned metric, const struct in6_addr *src, const struct in6_addr *gw)
{
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_ROUTE6;
	e->prefix = *dst;
	e->metric = metric;
	e->route.table = table;
	if (src) {
		e->route.has_src = true;
		e->route.src = *src;
	}
	if (gw) {
		e->route.has_gw = true;
		e->route.gw = *gw;
	}
	return set_ifname(e, ifname) == 0 ? entry_ok(e) : M6E_INVAL;
}

int kernel_proxy_entry(struct kstate_entry *e, const char *ifname, const struct in6_addr *a)
{
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_PROXY;
	e->prefix.addr = *a;
	e->prefix.len = 128;
	return set_ifname(e, ifname) == 0 ? entry_ok(e) : M6E_INVAL;
}

int kernel_rule_entry(struct kstate_entry *e, const struct kstate_rule *r)
{
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_RULE;
	e->rule = *r;
	return entry_ok(e);
}

static void route_of(const struct kstate_entry *e, unsigned ifindex, struct io_nl_route *rt)
{
	*rt = (struct io_nl_route){ .ifindex = ifindex, .dst = e->prefix, .table = IO_NL_TABLE_MAIN,
				    .metric = e->metric };
	if (e->kind == KSTATE_ROUTE6) {
		rt->table = e->route.table;
		rt->has_src = e->route.has_src;
		rt->src = e->route.src;
		rt->has_gw = e->route.has_gw;
		rt->gw = e->route.gw;
	}
}

static int kernel_rule(struct io_nl *nl, const struct kstate_rule *kr, bool add)
{
	const struct io_nl_rule r = { .priority = kr->priority, .table = kr->table, .fwmark = kr->fwmark,
				      .fwmask = kr->fwmask, .invert = kr->invert,
				      .suppress_prefixlen = kr->suppress_prefixlen };
	return io_nl_rule(nl, add, &r);
}

int kernel_do(struct io_nl *nl, const struct kstate_entry *e, bool add)
{
	struct io_nl_route rt;
	switch (e->kind) {
	case KSTATE_NFT:
		/* The nft table is not tied to a device: undone by name, also
		 * when a crashed run left it in the journal. */
		return nft_kstate_do(e, add);
	case KSTATE_RULE:
		return kernel_rule(nl, &e->rule, add);
	case KSTATE_SYSCTL:
		return kernel_sysctl_write(e->sysctl.path, add ? e->sysctl.value : e->sysctl.old);
	case KSTATE_ROUTE:
	case KSTATE_ROUTE6:
	case KSTATE_ADDR:
	case KSTATE_PROXY:
		break;
	default:
		return M6E_INVAL;
	}
	/* By name: a vanished device took its routes, addresses and proxy
	 * entries along ("gone"). */
	unsigned ifindex = if_nametoindex(e->ifname);
	if (ifindex == 0)
		return M6E_NOTFOUND;
	switch (e->kind) {
	case KSTATE_ADDR:
		return io_nl_addr(nl, add, ifindex, &e->prefix);
	case KSTATE_PROXY:
		return io_nl_proxy(nl, add, ifindex, &e->prefix.addr);
	default:
		route_of(e, ifindex, &rt);
		return io_nl_route_set(nl, add, &rt);
	}
}

static int kernel_apply(void *arg, const struct kstate_entry *e)
{
	return kernel_do(arg, e, true);
}

static int kernel_undo(void *arg, const struct kstate_entry *e)
{
	return kernel_do(arg, e, false);
}

void kernel_kstate_ops(struct io_nl *nl, struct kstate_ops *ops)
{
	*ops = (struct kstate_ops){ .apply = kernel_apply, .undo = kernel_undo, .arg = nl };
}
