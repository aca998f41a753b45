/*
 * io_tun: a layer-3 TUN device (IFF_TUN | IFF_NO_PI), one per tunnel.
 *
 * Every read is one IPv6 packet the kernel routed into the device; every
 * write is one packet the kernel receives as if it arrived on the device and
 * then delivers or forwards it intact. The device is not persistent: it
 * vanishes, with its addresses and routes, when the descriptor is closed,
 * which is what makes a crash leave nothing behind (docs/DATAPLANE.md).
 *
 * (IFF_VNET_HDR offloads, multi-queue and batched writes are a later
 * performance step; io_tun_read_burst is the seam they go behind.)
 */
#ifndef M6_IO_TUN_H
#define M6_IO_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "io/sock.h"

#define IO_TUN_BURST 64

struct io_tun;

/*
 * Create the TUN device `name` (at most 15 characters) and open it
 * non-blocking. 0; M6E_EXISTS (a device of that name exists and is not a
 * free TUN), M6E_PERM (no CAP_NET_ADMIN), M6E_INVAL (bad name), M6E_IO,
 * M6E_NOMEM. err receives a reason.
 */
int io_tun_open(const char *name, struct io_tun **out, char *err, size_t errlen);
/* Close the descriptor: the kernel removes the device. NULL is fine. */
void io_tun_close(struct io_tun *t);
int io_tun_fd(const struct io_tun *t);
unsigned io_tun_ifindex(const struct io_tun *t);
const char *io_tun_name(const struct io_tun *t);

/*
 * Read up to n packets (draining the queue until it is empty or n are read)
 * into msgs[i].buf/cap; msgs[i].len is set, and truncated when a packet was
 * larger than cap (it is cut). Returns how many were read, or M6E_IO.
 */
int io_tun_read_burst(struct io_tun *t, struct io_msg *msgs, size_t n);

/* Hand one packet to the kernel. 0; M6E_AGAIN (queue full, dropped) or
 * M6E_IO (the kernel refused it, e.g. not a valid IPv6 packet). */
int io_tun_write(struct io_tun *t, const uint8_t *pkt, size_t len);

#endif
