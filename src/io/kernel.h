/*
 * kernel: the kernel side of io/kstate in one place. Every journal kind is
 * applied and undone here: routes (main or any table, with preferred source
 * and gateway), addresses and proxy neighbour entries through rtnetlink
 * (io/netlink), policy rules through rtnetlink, nft tables through io/nft,
 * sysctls through /proc/sys.
 *
 * Entries name devices, not indexes (a re-created device has a new index):
 * the name is resolved with if_nametoindex() at each call, and a device that
 * is gone answers M6E_NOTFOUND (it took its routes, addresses and proxy
 * entries with it), which kstate counts as "gone", not as a failure.
 *
 * Usage (src/daemon.c):
 *   struct kstate_ops ops;
 *   kernel_kstate_ops(nl, &ops);
 *   kstate_open(state_dir, &ops, &ks, &rec, err, sizeof(err));
 *   ...
 *   struct kstate_entry e;
 *   kernel_sysctl_entry(&e, "/proc/sys/net/ipv6/conf/all/forwarding", "1");
 *   kstate_apply(ks, &e);      // journals the old value, then writes "1"
 *   kernel_route_entry(&e, "m6ha0", &hoa128, IO_NL_TABLE_MAIN, 0, NULL, NULL);
 *   kstate_apply(ks, &e);      // ... and kstate_revert(ks, &e) when the binding ends
 */
#ifndef M6_IO_KERNEL_H
#define M6_IO_KERNEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "io/kstate.h"

struct io_nl;

/* Fill ops (apply/undo of every kind) for kstate_open(). nl must outlive
 * the kstate (kstate_close() undoes through it). */
void kernel_kstate_ops(struct io_nl *nl, struct kstate_ops *ops);

/* Apply (add) or undo one entry: what ops calls. 0, M6E_EXISTS (add: already
 * there), M6E_NOTFOUND (undo: already gone, or the device is gone),
 * M6E_INVAL (bad entry), M6E_PERM, M6E_IO. */
int kernel_do(struct io_nl *nl, const struct kstate_entry *e, bool add);

/*
 * Entry builders: fill e and check that it can be journalled (the names and
 * ranges kstate_parse_line() accepts). 0 or M6E_INVAL. Nothing is applied.
 *   route: dst -> dev ifname in table (IO_NL_TABLE_MAIN or private) with
 *          metric, preferred source src and gateway gw (each may be NULL)
 *   proxy: proxy neighbour entry for a on ifname
 *   rule:  the policy rule r (see struct kstate_rule)
 */
int kernel_route_entry(struct kstate_entry *e, const char *ifname, const struct prefix6 *dst, uint32_t table,
		       unsigned metric, const struct in6_addr *src, const struct in6_addr *gw);
int kernel_proxy_entry(struct kstate_entry *e, const char *ifname, const struct in6_addr *a);
int kernel_rule_entry(struct kstate_entry *e, const struct kstate_rule *r);

/* Build a KSTATE_SYSCTL entry that writes value to path, with the value there
 * now as its old value (read here, trailing newline stripped). 0;
 * M6E_INVAL (path or value refused by kstate_sysctl_path_ok/_value_ok, or
 * the current value is not one word), M6E_NOTFOUND (no such sysctl),
 * M6E_PERM, M6E_IO. */
int kernel_sysctl_entry(struct kstate_entry *e, const char *path, const char *value);

/* The path of a per-device IPv6 sysctl: tree "conf" or "neigh", ifname
 * (or "all" / "default"), leaf ("forwarding", "proxy_ndp", "proxy_delay",
 * "accept_ra", ...): /proc/sys/net/ipv6/TREE/IFNAME/LEAF. 0, M6E_INVAL
 * (a name kstate_sysctl_path_ok() refuses) or M6E_NOSPACE. */
int kernel_sysctl_path(char *buf, size_t len, const char *tree, const char *ifname, const char *leaf);

/* Read a sysctl (path checked as above) into buf, trailing newline
 * stripped. 0, M6E_INVAL, M6E_NOTFOUND, M6E_NOSPACE (value too long), M6E_IO. */
int kernel_sysctl_read(const char *path, char *buf, size_t len);
/* Write value (checked as above) to a sysctl. 0, M6E_INVAL, M6E_NOTFOUND,
 * M6E_PERM, M6E_IO. */
int kernel_sysctl_write(const char *path, const char *value);

#endif
