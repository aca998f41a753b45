/*
 * nlmon: an rtnetlink monitor on the event loop. It reports the links,
 * IPv6 addresses and IPv6 default routers the mobile node's movement
 * detection (src/mip6/movement.h) consumes, as they happen: each event is
 * delivered from the socket's read callback, no batching or delay.
 *
 * At start (and after an overrun) it first subscribes to RTMGRP_LINK,
 * RTMGRP_IPV6_IFADDR and RTMGRP_IPV6_ROUTE, then dumps links, IPv6
 * addresses and IPv6 routes on a second, blocking socket and reports what
 * the dump finds before any queued event. Replaying events after the dump
 * converges: an "add" repeats something known, a "del" may name something
 * already gone (consumers treat both as harmless: move_addr_del answers
 * M6E_NOTFOUND).
 *
 * What is reported:
 *   link     every RTM_NEWLINK / RTM_DELLINK. up = IFF_UP && IFF_RUNNING:
 *            IFF_RUNNING is the kernel's operational state (RFC 2863 up or
 *            unknown), so a link without carrier, e.g. a veth whose peer is
 *            down, is down. gone = the device was deleted (up is false).
 *   addr     every IPv6 RTM_NEWADDR (new, or a change such as tentative ->
 *            valid after DAD: "add" means "exists, with these properties")
 *            and RTM_DELADDR. Flags from IFA_FLAGS (or ifa_flags): tentative,
 *            deprecated, dadfailed; lifetimes from IFA_CACHEINFO (the
 *            kernel's infinite 0xffffffff is MOVE_LIFETIME_INFINITE).
 *   default_router
 *            IPv6 RTM_NEWROUTE / RTM_DELROUTE for ::/0 in the main table of
 *            type unicast with a gateway (each next hop of a multipath
 *            route), except routes of protocol IO_NL_RTPROT (ours) and
 *            routes on devices named by nlmon_ignore_ifname(). A default
 *            route without a gateway (point-to-point) is not reported.
 *            Note: the kernel removes routes silently when a link goes down;
 *            consumers must drop routers on link down themselves.
 *
 * Overrun: when the kernel dropped events (ENOBUFS), ops->resync (if set)
 * is told and everything is dumped again.
 */
#ifndef M6_IO_NLMON_H
#define M6_IO_NLMON_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mip6/movement.h"

#define NLMON_IFNAME_MAX 16 /* IFNAMSIZ */
#define NLMON_IGNORE_MAX 4  /* devices whose routes are ignored */

struct nlmon_link {
	unsigned ifindex;
	char name[NLMON_IFNAME_MAX]; /* "" when the message carried none */
	bool up;                     /* IFF_UP && IFF_RUNNING */
	bool gone;                   /* RTM_DELLINK */
	unsigned flags;              /* ifi_flags as the kernel sent them */
	unsigned mtu;                /* IFLA_MTU, 0 when absent */
};

/* Callbacks; any may be NULL. Called from the loop, one per event. */
struct nlmon_ops {
	void (*link)(void *arg, const struct nlmon_link *l);
	void (*addr)(void *arg, bool add, unsigned ifindex, const struct move_addr *a);
	void (*default_router)(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw);
	/* Events were lost; a full dump follows at once. */
	void (*resync)(void *arg);
	/* Parser only (nlmon_parse): a default route's protocol and device for
	 * the caller's filter; NULL passes all. nlmon itself sets this. */
	bool (*route_wanted)(void *arg, unsigned ifindex, unsigned protocol);
	/* Parser only: NLMSG_DONE / NLMSG_ERROR seen for sequence seq. */
	void (*dump_done)(void *arg, uint32_t seq, int error);
};

struct nlmon_stats {
	uint64_t msgs;       /* netlink messages parsed */
	uint64_t links;      /* link events reported */
	uint64_t addrs;      /* address events reported */
	uint64_t routers;    /* default router events reported */
	uint64_t skipped;    /* well-formed but not for us (other family, table, type, ours) */
	uint64_t bad;        /* malformed messages or attributes: counted, skipped */
	uint64_t overruns;   /* ENOBUFS */
	uint64_t dumps;      /* full dumps done */
	uint64_t dump_intr;  /* dump messages flagged NLM_F_DUMP_INTR (the dump is redone) */
};

/*
 * The pure parser the socket handler calls: one recv()'s worth of netlink
 * messages in buf. Each message is checked with the rbuf cursor (header
 * length, family header, every attribute's length against the bytes left);
 * a malformed message is counted in st->bad and skipped, a malformed header
 * ends the buffer. Reports through ops (route_wanted filters default routes).
 * Returns how many messages were reported.
 */
size_t nlmon_parse(const uint8_t *buf, size_t len, const struct nlmon_ops *ops, void *arg,
		   struct nlmon_stats *st);

struct io_loop;
struct nlmon;

/*
 * Open the monitor on loop: subscribe and watch for events. ops is copied
 * (route_wanted and dump_done are nlmon's own and ignored); arg is passed
 * to every callback. Nothing is reported until nlmon_dump() (events that
 * arrive meanwhile wait in the socket). 0; M6E_PERM, M6E_NOMEM, M6E_IO.
 *
 *   nlmon_new(loop, &ops, mn, &m);
 *   nlmon_ignore_ifname(m, "m6mn0");
 *   nlmon_dump(m);                   // reports the current state, then events flow
 */
int nlmon_new(struct io_loop *loop, const struct nlmon_ops *ops, void *arg, struct nlmon **out);
/* Ignore default routes on the device called ifname (the MN's own TUN),
 * also when it is created later. Up to NLMON_IGNORE_MAX; M6E_NOSPACE,
 * M6E_INVAL (empty or too long). */
int nlmon_ignore_ifname(struct nlmon *m, const char *ifname);
/* Dump links, IPv6 addresses and routes and report them (synchronously,
 * before returning), then report queued events from the loop. 0, M6E_IO. */
int nlmon_dump(struct nlmon *m);
const struct nlmon_stats *nlmon_stats(const struct nlmon *m);
/* Stop watching and close. NULL is fine. */
void nlmon_free(struct nlmon *m);

#endif
