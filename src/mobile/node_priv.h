/*
 * What node.c (sockets, TUN, timer, dispatch) shares with the two roles
 * (ha_node.c, mn_node.c). Private to src/mobile.
 */
#ifndef M6_MOBILE_NODE_PRIV_H
#define M6_MOBILE_NODE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "io/mip6sock.h"
#include "base/stats.h"
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

/* Which receiver a watch callback is for. */
struct node_rx_ctx {
	struct mnode *n;
	size_t i;
};

struct mnode {
	struct mnode_env env;
	const struct conf *conf;
	struct ipsecdb *db;
	struct ha_node *ha; /* exactly one of ha, mn */
	struct mn_node *mn;
	const struct node_role *role;

	struct mip6sock *tx;
	struct mip6sock *rx[NODE_N_RX];
	struct io_watch *rx_watch[NODE_N_RX];
	struct node_rx_ctx rx_ctx[NODE_N_RX];
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
/* Point the MN-HA tunnel SAs of m (rr and payload) and the tunnel
 * addresses of their policies at local <-> remote: the care-of address
 * follows the accepted BU (RFC 3776 3.2, 7). */
void node_point_tunnel(struct mnode *n, const struct ipsecdb_mnha *m, const struct in6_addr *local,
		       const struct in6_addr *remote);
/* Recompute the one timer from the role's next deadline. */
void node_rearm(struct mnode *n);
/* Journal and apply / revert one kernel change (logs a failure). */
int node_kapply(struct mnode *n, const struct kstate_entry *e);
void node_krevert(struct mnode *n, const struct kstate_entry *e);
/* The link-layer (MAC) address of ifname; 0 or M6E_NOTFOUND. */
int node_lladdr(const char *ifname, uint8_t mac[6]);
/* The first link-local address on ifname; 0 or M6E_NOTFOUND. */
int node_linklocal(const char *ifname, struct in6_addr *out);

/* Open the sockets, the role's TUN and the timer; the role calls it once
 * n->role is set (the ICMPv6 filter and the mark depend on it). */
int node_start_io(struct mnode *n, char *err, size_t errlen);

/* ---- roles ---- */

/* What node.c asks of a role. */
struct node_role {
	const char *name;                /* "home agent", "mobile node" */
	const char *tun;                 /* its TUN device */
	bool mark;                       /* mark the sender with MNODE_MARK */
	const uint8_t *icmp_types;       /* ICMPv6 types its receiver passes */
	size_t n_icmp_types;
	void (*input)(struct mnode *n, struct sigpath_rx *rx, uint8_t *buf);
	/* A packet sigpath_in() refused (kind DROP), for answers such as a
	 * Binding Error; may be NULL. */
	void (*dropped)(struct mnode *n, const struct sigpath_rx *rx);
	/* An inner packet read from the TUN at buf[off, off + len). */
	void (*tun_out)(struct mnode *n, uint8_t *buf, size_t cap, size_t off, size_t len);
	uint64_t (*next)(struct mnode *n);
	void (*tick)(struct mnode *n, uint64_t now);
	/* The config and SAD were swapped (n->conf, n->db are the new ones). */
	void (*db_changed)(struct mnode *n);
	void (*free)(struct mnode *n);
};

extern const struct node_role ha_node_role, mn_node_role;
/* Create the role's state in n (n->ha / n->mn, n->role), then call
 * node_start_io(). */
int ha_node_new(struct mnode *n, char *err, size_t errlen);
int mn_node_new(struct mnode *n, char *err, size_t errlen);

/* ---- RFC 4877 (ike_node.c) ---- */

/* Hand the IKE adapter our ikeio_mip6_ops (with an ike section). */
void node_ike_attach(struct mnode *n);
/* The pair of hoa is IKE-keyed and there is an IKE adapter. */
bool node_ike_keyed(const struct mnode *n, const struct in6_addr *hoa);
/* The ike.peers name of home agent ha (the one with that address, or the
 * only peer), or NULL. */
const char *node_ike_peer(const struct conf *c, const struct in6_addr *ha);
/* mn_node.c: a CHILD_SA filled slot; the IKE SA of the care-of address is gone. */
void mn_node_ike_child(struct mnode *n, enum ipsecdb_mnha_slot slot);
void mn_node_ike_down(struct mnode *n);

/* Register "group.drop_<name(i)>" for i in 1..count-1 into ctr (names kept
 * in the caller's names array). */
void node_drop_counters(const char *group, const char *(*name)(unsigned), unsigned count,
			struct stats_counter *ctr, char (*names)[40]);

#endif
