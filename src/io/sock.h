/*
 * io_sock: the outer sockets of the data plane, batched.
 *
 *   IO_SOCK_ESP  socket(AF_INET6, SOCK_RAW, IPPROTO_ESP) bound to the local
 *                outer address: receives plain ESP (data after the IPv6
 *                header; the kernel has no ESP, so it draws no ICMP while the
 *                socket is open) and sends ESP packets whose IPv6 header the
 *                kernel builds.
 *   IO_SOCK_UDP  socket(AF_INET6, SOCK_DGRAM) bound to local address and port
 *                (RFC 3948 ESP-in-UDP; the kernel adds and checks the UDP
 *                header and checksum, R3948-2.1.b). UDP_ENCAP is not set:
 *                the kernel has no ESP to hand the datagrams to. SO_REUSEADDR
 *                is set: IKE binds [::]:4500 next to it (RFC 7296 2.23) and
 *                the kernel delivers to the most specific bound socket.
 *
 * Both are bound to the outer address so their packets leave with that
 * source and are routed by the outer table, never into our own TUN.
 *
 * Batching: recvmmsg/sendmmsg over the caller's buffers; the msghdr, iovec,
 * address and control arrays are allocated once per socket, so the hot path
 * never allocates. (UDP GSO/GRO is a later performance step; the per-socket
 * arrays have room for the control messages it needs.)
 */
#ifndef M6_IO_SOCK_H
#define M6_IO_SOCK_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define IO_SOCK_BURST 64
/* Socket buffer size asked for (SO_RCVBUFFORCE as root, else capped by
 * net.core.rmem_max): deep enough for a few bursts at line rate. */
#define IO_SOCK_BUF_BYTES (4u << 20)

enum io_sock_kind { IO_SOCK_ESP = 1, IO_SOCK_UDP };

/* One datagram of a burst. The buffer is the caller's. */
struct io_msg {
	uint8_t *buf;
	size_t cap;            /* receive: room at buf */
	size_t len;            /* received / to send */
	struct in6_addr peer;  /* receive: source; send: destination */
	uint16_t port;         /* UDP port of peer (0 for ESP) */
	struct in6_addr local; /* receive: destination (IPV6_PKTINFO) */
	int truncated;         /* receive: the datagram did not fit cap */
};

struct io_sock;

const char *io_sock_kind_name(enum io_sock_kind k);

/*
 * Open and bind a non-blocking socket of kind on local (and port for UDP).
 * 0; M6E_PERM (raw socket without CAP_NET_RAW), M6E_EXISTS (address or port
 * in use), M6E_IO (errno kept), M6E_NOMEM. err receives a reason.
 */
int io_sock_open(enum io_sock_kind kind, const struct in6_addr *local, uint16_t port, struct io_sock **out,
		 char *err, size_t errlen);
void io_sock_close(struct io_sock *s);
int io_sock_fd(const struct io_sock *s);
enum io_sock_kind io_sock_kind(const struct io_sock *s);

/*
 * Receive up to n (<= IO_SOCK_BURST) datagrams into msgs[i].buf/cap with one
 * recvmmsg(). Returns how many arrived (0 when none are waiting), or M6E_IO.
 */
int io_sock_recv_burst(struct io_sock *s, struct io_msg *msgs, size_t n);

/*
 * Send msgs[0..n) (n <= IO_SOCK_BURST) with sendmmsg(), continuing after a
 * partial send. Returns how many were sent; a datagram the kernel refused
 * (e.g. no route, EMSGSIZE) is skipped and counted in *failed, and a full
 * socket buffer (EAGAIN) ends the burst: the rest count as failed too.
 */
int io_sock_send_burst(struct io_sock *s, const struct io_msg *msgs, size_t n, size_t *failed);

/*
 * Shared with io/mip6sock (raw sockets for Mobile IPv6): the per-socket
 * arrays of one burst and the recvmmsg/sendmmsg loops over them.
 */
/* Room for IPV6_PKTINFO + IPV6_HOPLIMIT now and UDP_GRO/UDP_SEGMENT later. */
#define IO_SOCK_CMSG_SPACE 64

struct io_burst {
	struct mmsghdr mm[IO_SOCK_BURST];
	struct iovec iov[IO_SOCK_BURST];
	struct sockaddr_in6 addr[IO_SOCK_BURST];
	union {
		struct cmsghdr align;
		uint8_t buf[IO_SOCK_CMSG_SPACE];
	} cmsg[IO_SOCK_BURST];
};

/* Slot i receives into buf/cap (with its source address and control). */
void io_burst_set_rx(struct io_burst *b, size_t i, void *buf, size_t cap);
/* Slot i sends buf/len to dst (port 0 for raw sockets). */
void io_burst_set_tx(struct io_burst *b, size_t i, void *buf, size_t len, const struct in6_addr *dst,
		     uint16_t port);
/* recvmmsg() into slots [0, n): how many arrived (0 when none), or M6E_IO. */
int io_burst_recv(struct io_burst *b, int fd, size_t n);
/* Received slot i's destination and interface (IPV6_PKTINFO; zero when
 * absent) and hop limit (IPV6_HOPLIMIT; -1 when absent). ifindex and hlim
 * may be NULL. */
void io_burst_cmsg(struct io_burst *b, size_t i, struct in6_addr *dst, unsigned *ifindex, int *hlim);
/*
 * sendmmsg() slots [0, n), continuing after a partial send and past a
 * datagram the kernel refused (no route, too big: refused(arg, b, i, errno)
 * is told and it is skipped). A full socket buffer ends the burst: *full
 * gets how many were left. Returns how many were sent.
 */
size_t io_burst_send(struct io_burst *b, int fd, size_t n, size_t *full,
		     void (*refused)(void *arg, const struct io_burst *b, size_t i, int e), void *arg);

/* Ask for IO_SOCK_BUF_BYTES of socket buffers (the FORCE variants as root). */
void io_sock_set_buffers(int fd);
/* A socket errno as an M6E_* code. */
int io_sock_errno_code(int e);

#endif
