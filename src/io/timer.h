/*
 * io_timer: the one owner of timers. Engines never arm libevent timers
 * themselves; the daemon asks this module for a timer and the engine is
 * called back with the current time.
 *
 * Every timer in the daemon (add yours here with its constant):
 *   ctl connection idle   CTL_IDLE_MS (io/ctl_sock.c)   closes a client that
 *                         sends nothing or half a frame
 *   SA lifetimes          DAEMON_TICK_MS (daemon.c)     ipsecdb_tick once a second
 *   mobility engines      one timer (mobile/node.c) armed at the earliest
 *                         deadline of the role's engines: binding lifetimes,
 *                         BU retransmission and refresh (mip6/ha.c, mn.c),
 *                         movement hold-down and lifetimes (mip6/movement.c),
 *                         DHAAD and prefix discovery (mip6/dhaad.c, mpd.c),
 *                         the HA's DAD wait HA_NODE_DAD_MS (mobile/ha_node.c)
 *   IKE                   one timer (ike/ikeio.c) at the earliest of: the
 *                         engines' ikesa_next_timeout() (retransmission,
 *                         half-open expiry, rekeys and lifetimes, fragment
 *                         reassembly), DPD (ike.dpd-interval), NAT keepalives
 *                         (ike.nat-keepalive, R3948-2.3), re-initiation
 *                         (IKEIO_REINIT_MIN_MS..MAX_MS), the cookie secret
 *                         rotation (IKEIO_GATE_ROTATE_MS)
 */
#ifndef M6_IO_TIMER_H
#define M6_IO_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct io_loop;
struct io_timer;

/* A disarmed one-shot timer that calls cb(arg) when it fires. */
int io_timer_new(struct io_loop *loop, void (*cb)(void *arg), void *arg, struct io_timer **out);
/* (Re)arm to fire once after ms milliseconds. */
int io_timer_arm(struct io_timer *t, uint64_t ms);
void io_timer_cancel(struct io_timer *t);
bool io_timer_pending(const struct io_timer *t);
void io_timer_free(struct io_timer *t);

#endif
