/*
 * fwd: the data path's wiring: one TUN device per configured tunnel, one
 * outer socket per (encapsulation, local address, port) (an IKE-keyed
 * tunnel uses two: ESP and UDP 4500), and the bursts
 * that move packets between them through fwdpath (SPD, ESP).
 *
 *   TUN readable: read up to FWD_BURST packets into the preallocated pool
 *     (at FWD_HEADROOM), seal each in place, one sendmmsg() for the burst.
 *   socket readable: one recvmmsg() of up to FWD_BURST datagrams into the
 *     pool, open each in place, write each inner packet to its tunnel's TUN.
 *
 * Nothing is allocated per packet. Single-threaded, on the daemon's loop.
 *
 * Kernel state: each TUN gets the MTU of fwdpath_tun_mtu() for the outer
 * interface holding the tunnel's local address, address generation "none",
 * and is brought up; a route per remote prefix points into it, installed
 * through kstate (journalled). No address is put on the TUN: local prefixes
 * are served by the hosts behind us (or addresses the operator adds),
 * docs/DATAPLANE.md.
 */
#ifndef M6_FWD_FWD_H
#define M6_FWD_FWD_H

#include <stddef.h>

#include "fwd/fwdpath.h"
#include "ipsec/ipsecdb.h"

#define FWD_BURST 64
#define FWD_ROUTE_METRIC 1024

struct io_loop;
struct io_nl;
struct kstate;
struct fwd;

/* An empty data path (no tunnels) on loop. nl sets links up; ks journals
 * routes. Both must outlive the fwd. 0, M6E_NOMEM. */
int fwd_new(struct io_loop *loop, struct io_nl *nl, struct kstate *ks, struct fwd **out);

/*
 * Serve db's tunnels from now on (at start, and after a reload built a new
 * db). All-or-nothing for what can fail: TUN devices for new tunnel names
 * and sockets for new outer end points are opened first; if one fails,
 * everything opened here is closed, the fwd keeps serving the old db and a
 * reason is in err. Then tunnels that are gone are closed, tunnels kept by
 * name keep their device, MTUs are set and routes reconciled (a route that
 * cannot be added is logged, not fatal). db must stay alive until the next
 * fwd_set_db() or fwd_free().
 */
int fwd_set_db(struct fwd *f, struct ipsecdb *db, char *err, size_t errlen);

/* Close every TUN (the kernel removes the devices and their routes) and
 * socket; NULL is fine. */
void fwd_free(struct fwd *f);

/*
 * IKE-keyed tunnels get both an ESP raw socket and a UDP socket on
 * [local]:4500 (SO_REUSEADDR, so IKE's own [::]:4500 socket can coexist:
 * the kernel delivers to the most specific bound socket). IKE messages
 * (Non-ESP Marker) arriving on fwd's UDP sockets go to fn; NAT keepalives
 * stay counted and ignored. NULL fn: counted as fwd.drop_ike (the
 * default). Kept across fwd_set_db().
 */
void fwd_set_ike_sink(struct fwd *f, fwd_ike_sink_fn fn, void *arg);

/* Counts for status and tests. */
size_t fwd_tunnel_count(const struct fwd *f);

#endif
