/*
 * io_nl: the few rtnetlink requests the data plane makes, each
 * acknowledged synchronously (NLM_F_ACK) so the caller knows it happened:
 * link MTU/up with no autoconfigured addresses, IPv6 addresses and routes
 * on an interface. Kernel state that must be undone goes through io/kstate
 * first, which journals it; this module only talks to the kernel.
 */
#ifndef M6_IO_NETLINK_H
#define M6_IO_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/addr.h"

/* Our routes carry this rtm_protocol so `ip -6 route show proto 186`
 * finds them (a private value: not in /etc/iproute2/rt_protos). */
#define IO_NL_RTPROT 186

struct io_nl;

int io_nl_open(struct io_nl **out);
void io_nl_close(struct io_nl *nl);

/*
 * Set the link's MTU (0: leave it) and address generation mode "none" (no
 * link-local, so the kernel sends no RS/DAD into a tunnel), clear its
 * multicast flag (no MLD either), then bring it up or down. 0, or the negative errno mapped to M6E_* (M6E_NOTFOUND for a
 * missing link, M6E_PERM, M6E_IO).
 */
int io_nl_link_set(struct io_nl *nl, unsigned ifindex, unsigned mtu, bool up);

/* Add or delete address p->addr/p->len on ifindex (no DAD). Adding an
 * existing one is M6E_EXISTS; deleting a missing one M6E_NOTFOUND. */
int io_nl_addr(struct io_nl *nl, bool add, unsigned ifindex, const struct prefix6 *p);

/* Add or delete the route dst -> dev ifindex with metric in the main table.
 * Adding an existing one is M6E_EXISTS; deleting a missing one M6E_NOTFOUND. */
int io_nl_route(struct io_nl *nl, bool add, unsigned ifindex, const struct prefix6 *dst, unsigned metric);

/* The MTU of the interface that holds address a, and its name (ifname of
 * IF_NAMESIZE bytes, may be NULL). M6E_NOTFOUND when no interface has it. */
int io_nl_addr_mtu(const struct in6_addr *a, unsigned *mtu, char *ifname);

#endif
