/*
 * What node.c (sockets, TUN, timer, dispatch) shares with the two roles
 * (ha_node.c, mn_node.c). Private to src/mobile.
 */
#ifndef M6_MOBILE_NODE_PRIV_H
#define M6_MOBILE_NODE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "io/mip6sock.h"
#include "io/sock.h"
#include "mobile/node.h"
#include "mobile/sigpath.h"

#define NODE_BURST 32
#define NODE_BUF_SIZE 9216 /* a jumbo outer packet, or an inner one with room */
#define NODE_N_RX 6

struct io_tun;
struct io_watch;
struct io_timer;
struct ha_node;
struct mn_node;

struct mnode {
	struct mnode_env env;
	const struct conf *conf;
	struct ipsecdb *db;
	struct ha_node *ha; /* exactly one of ha, mn */
	struct mn_node *mn;

	struct mip6sock *tx;
	struct mip6sock *rx[NODE_N_RX];
	struct io_watch *rx_watch[NODE_N_RX];
	struct io_tun *tun;
	struct io_watch *tun_watch;
	unsigned tun_ifindex;
	struct io_timer *timer;

	/* One burst at a time: receive buffers, then the packets to send. */
	uint8_t *pool;
	struct mip6sock_msg msgs[NODE_BURST];
	struct io_msg tun_msgs[NODE_BURST];
	struct mip6sock_msg out[NODE_BURST];
	size_t n_out;
	uint8_t sig_buf[2048]; /* one signalling packet being built */
};

/* Queue a whole IPv6 packet for the IPPROTO_RAW sender (sent at the end of
 * the burst, or at once by node_flush()); the buffer must live until then.
 * ifindex 0 sends by route. */
void node_queue(struct mnode *n, uint8_t *pkt, size_t len, const struct in6_addr *dst, unsigned ifindex);
void node_flush(struct mnode *n);
/* Build and send a signalling packet at once (from an engine callback). */
int node_send_mh(struct mnode *n, const struct mip6_tx *tx, unsigned ifindex);
int node_send_icmp6(struct mnode *n, const struct sigpath_icmp_tx *tx, unsigned ifindex);
/* Write an inner packet to the TUN for the kernel. */
int node_tun_write(struct mnode *n, const uint8_t *pkt, size_t len);
/* Recompute the one timer from the role's next deadline. */
void node_rearm(struct mnode *n);
/* Journal and apply / revert one kernel change (logs a failure). */
int node_kapply(struct mnode *n, const struct kstate_entry *e);
void node_krevert(struct mnode *n, const struct kstate_entry *e);
/* The link-layer (MAC) address of ifname; 0 or M6E_NOTFOUND. */
int node_lladdr(const char *ifname, uint8_t mac[6]);
/* The first link-local address on ifname; 0 or M6E_NOTFOUND. */
int node_linklocal(const char *ifname, struct in6_addr *out);

/* Open the sockets, the TUN tun_name and the timer; the role calls it once
 * n->ha or n->mn is set (the ICMPv6 filter and the mark depend on it). */
int node_start_io(struct mnode *n, const char *tun_name, char *err, size_t errlen);

/* ---- roles ---- */
int ha_node_new(struct mnode *n, char *err, size_t errlen);
void ha_node_free(struct mnode *n);
void ha_node_input(struct mnode *n, struct sigpath_rx *rx, uint8_t *buf);
void ha_node_tun_out(struct mnode *n, uint8_t *buf, size_t cap, size_t off, size_t len);
uint64_t ha_node_next(struct mnode *n);
void ha_node_tick(struct mnode *n, uint64_t now);
void ha_node_db_changed(struct mnode *n);
const uint8_t *ha_node_icmp_filter(size_t *count);

int mn_node_new(struct mnode *n, char *err, size_t errlen);
void mn_node_free(struct mnode *n);
void mn_node_input(struct mnode *n, struct sigpath_rx *rx, uint8_t *buf);
void mn_node_tun_out(struct mnode *n, uint8_t *buf, size_t cap, size_t off, size_t len);
uint64_t mn_node_next(struct mnode *n);
void mn_node_tick(struct mnode *n, uint64_t now);
void mn_node_db_changed(struct mnode *n);
const uint8_t *mn_node_icmp_filter(size_t *count);

#endif
