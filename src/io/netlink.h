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
#include <stdint.h>

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

/* Routing tables by number (RT_TABLE_MAIN; the MN's private table is its
 * own choice, e.g. 186). 0, 253 (default) and 255 (local) are refused. */
#define IO_NL_TABLE_MAIN 254u

/*
 * A route in any table: dst -> dev ifindex [via gw] [src prefsrc] metric,
 * rtm_protocol IO_NL_RTPROT. Examples:
 *   MN: default dev m6mn0 src HOA table 186   { ifindex(m6mn0), ::/0, 186, 0, src HOA }
 *   HA: HOA/128 dev m6ha0 (main)              { ifindex(m6ha0), HOA/128, IO_NL_TABLE_MAIN }
 */
struct io_nl_route {
	unsigned ifindex;      /* RTA_OIF; required */
	struct prefix6 dst;    /* RTA_DST/rtm_dst_len; host bits must be zero */
	uint32_t table;        /* RTA_TABLE */
	uint32_t metric;       /* RTA_PRIORITY; 0: the kernel default (1024), and on delete "any" */
	bool has_src;          /* RTA_PREFSRC: source for locally sent packets */
	struct in6_addr src;
	bool has_gw;           /* RTA_GATEWAY: next hop (link-local is fine: the device scopes it) */
	struct in6_addr gw;
};

/* Add (NLM_F_EXCL) or delete the route r. Adding an existing one is
 * M6E_EXISTS, deleting a missing one M6E_NOTFOUND; M6E_INVAL for a bad
 * table, prefix or ifindex 0. A delete matches table, dst, dev, metric,
 * protocol (and src/gw when given). */
int io_nl_route_set(struct io_nl *nl, bool add, const struct io_nl_route *r);

/*
 * An IPv6 policy (FIB) rule, as `ip -6 rule add pref P [not] [fwmark M/K]
 * lookup T [suppress_prefixlength S]`. The MN's wg-quick scheme:
 *   { .priority = P1, .table = 254, .suppress_prefixlen = 0 }
 *   { .priority = P2, .table = 186, .fwmark = 0x6d36, .fwmask = 0xffffffff, .invert = true,
 *     .suppress_prefixlen = -1 }
 */
struct io_nl_rule {
	uint32_t priority;      /* FRA_PRIORITY, 1..32765 (0 and 32766/32767 are the kernel's) */
	uint32_t table;         /* FRA_TABLE; as for routes */
	uint32_t fwmark;        /* FRA_FWMARK, matched when fwmask != 0 */
	uint32_t fwmask;        /* FRA_FWMASK; 0: no mark selector */
	bool invert;            /* FIB_RULE_INVERT ("not") */
	int suppress_prefixlen; /* FRA_SUPPRESS_PREFIXLEN 0..128, or -1 for none */
};

/* Add (NLM_F_EXCL: an identical rule is M6E_EXISTS) or delete the rule
 * (M6E_NOTFOUND when there is none). M6E_INVAL for out-of-range fields. */
int io_nl_rule(struct io_nl *nl, bool add, const struct io_nl_rule *r);

/* Add or delete the proxy neighbour entry a on ifindex (NTF_PROXY, as
 * `ip -6 neigh add proxy A dev IF`). The kernel answers Neighbor
 * Solicitations for a on that link only with net.ipv6.conf.IF.proxy_ndp=1.
 * Adding an existing one is M6E_EXISTS; deleting a missing one M6E_NOTFOUND. */
int io_nl_proxy(struct io_nl *nl, bool add, unsigned ifindex, const struct in6_addr *a);

/* The MTU of the interface that holds address a, and its name (ifname of
 * IF_NAMESIZE bytes, may be NULL). M6E_NOTFOUND when no interface has it. */
int io_nl_addr_mtu(const struct in6_addr *a, unsigned *mtu, char *ifname);

#endif
