/*
 * Copyright (c) 2026 The netbirdd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The WireGuard interface, owned by the parent alone.
 *
 * wg_open() creates the interface named in the configuration with the
 * private key and listen port, sets the MTU and brings the link up;
 * wg_close() removes everything it created.  In between the parent sets
 * the address, peers and routes and reads per-peer statistics.
 *
 * Backends (struct wg_ops):
 *  - kernel: a link of kind "wireguard" made with rtnetlink, configured
 *    with the generic netlink family "wireguard" (wg_kernel.c).  Large
 *    peer sets are split over several WG_CMD_SET_DEVICE messages.
 *  - userspace: the program in wg_userspace (wireguard-go) started in
 *    the foreground as "<prog> -f <ifname>", as our child, with
 *    WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 (always: harmless on
 *    old kernels), its banner off, its log on our stderr (errors only,
 *    and only when we are verbose) and PR_SET_PDEATHSIG so it dies with
 *    the parent.  We wait (bounded) for its UAPI socket
 *    WG_UAPI_DIR/<ifname>.sock and configure it there with the text
 *    protocol (wg_uapi.c).  wg_close() stops it by the pid we started.
 * Either way the link itself (address, MTU, up, routes) is configured
 * with rtnetlink (netlink.c).
 *
 * Selection: "kernel" creates the wireguard link or fails with one line;
 * "auto" does the same but falls back to userspace, with one log line,
 * when the kernel does not know the link kind; "userspace" never tries
 * the kernel.
 *
 * MTU: conf->mtu, or the backend's default if it is 0.
 *
 * Listen port: if the configured port cannot be bound (UDP, IPv4 and
 * IPv6), the interface is given port 0 so the system picks a free one;
 * the port really used is read back from WireGuard and logged once.
 * wg_port() returns it.  Port 0 in the configuration means "any".
 *
 * Leftovers of a crash: a link of our name and kind "wireguard" is
 * removed (we could have created it), a link of another kind is refused;
 * a UAPI socket of our name that nobody listens on is removed, one that
 * answers is refused (another program serves that name).  Routes carry
 * rtm_protocol WG_RTPROT; wg_open() flushes every route of that protocol
 * in the network namespace, so one netbirdd runs per namespace.
 *
 * Peers: wg_peers_set() creates or updates many peers in one exchange
 * (the kernel backend splits it over messages).  Per protocol.md 5.4
 * updates add allowed IPs (no WG_PEER_REPLACE_ALLOWED); removing an
 * endpoint is a removal and a new set.  wg_peer_endpoint() does either
 * for one peer (set: keepalive 0, then endpoint and keepalive 25, which
 * starts a handshake at once; allowed IPs untouched;
 * AF_UNSPEC: removed and added again, in the same exchange, with the
 * allowed IPs given and keepalive off; a fresh set: removed and added
 * again with the endpoint and keepalive 25), through peers_set, so the same
 * way for both backends; wg_endpoint_peers() is what it sends.  Routes: the caller adds one
 * per allowed IP outside the interface prefix (wg_prefix_contains());
 * a route goes in the main table through the link and replaces one to
 * the same destination and metric.
 *
 * Every function validates its arguments before it touches the system,
 * and on failure logs one line (log_warn/log_warnx) and returns -1.  The
 * validators (wg_*_invalid) return NULL or a short reason, so the parent
 * can check a child's request with them before calling in.  Keys are 32
 * raw bytes; the private key is never logged, and buffers that held it
 * are cleared.
 *
 * The userspace program is our child: the parent's SIGCHLD handler must
 * pass every pid it reaps to wg_child_exited(), which says whether it
 * was the WireGuard program (then the interface is gone).
 */

#ifndef NBD_WG_H
#define NBD_WG_H

#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct nbd_config;
struct nlmsghdr;
struct mnl_socket;

#define WG_KEY_LEN		32
#define WG_KEEPALIVE		25	/* seconds, protocol.md 5.4 */
#define WG_ALLOWED_MAX		4096	/* allowed IPs of one peer */
#define WG_PEERS_MAX		65536	/* in one call or reply */
#define WG_RTPROT		78	/* rtm_protocol of our routes */
#define WG_UAPI_DIR		"/var/run/wireguard"
#define WG_UAPI_LINE_MAX	256	/* longest UAPI line we accept */
#define WG_UAPI_REPLY_MAX	(32 * 1024 * 1024)
#define WG_UAPI_TIMEOUT		10	/* seconds for one exchange */
#define WG_START_TIMEOUT_MS	5000	/* userspace program start-up */
#define WG_STOP_TIMEOUT_MS	3000	/* after SIGTERM, then SIGKILL */

/* An address with its prefix length, or a network. */
struct wg_prefix {
	sa_family_t		af;	/* AF_INET or AF_INET6 */
	uint8_t			plen;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}			addr;
};

union wg_sockaddr {
	struct sockaddr		sa;	/* AF_UNSPEC: none */
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
};

#define WG_PEER_REMOVE		0x01	/* remove; only pubkey used */
#define WG_PEER_REPLACE_ALLOWED	0x02	/* else added to */
#define WG_PEER_PRESHARED	0x04	/* psk is set */
#define WG_PEER_FLAGS		0x07

/*
 * Create or update a peer: keepalive and (if given) endpoint and
 * preshared key are set, allowed IPs are added or replace the old set.
 */
struct wg_peer {
	uint8_t			 pubkey[WG_KEY_LEN];
	uint8_t			 psk[WG_KEY_LEN];
	union wg_sockaddr	 endpoint;
	uint16_t		 keepalive;	/* seconds; 0: off */
	unsigned int		 flags;		/* WG_PEER_* */
	const struct wg_prefix	*allowed;	/* networks */
	size_t			 nallowed;
};

struct wg_peer_stats {
	uint8_t			pubkey[WG_KEY_LEN];
	union wg_sockaddr	endpoint;	/* AF_UNSPEC: none yet */
	int64_t			last_handshake;	/* 0: never */
	uint64_t		rx_bytes;
	uint64_t		tx_bytes;
};

struct wg_iface;

/* wg.c */
int	 wg_open(const struct nbd_config *, const uint8_t [WG_KEY_LEN],
	    struct wg_iface **);
void	 wg_close(struct wg_iface *);
const char	*wg_ifname(const struct wg_iface *);
const char	*wg_backend_name(const struct wg_iface *);
int		 wg_backend(const struct wg_iface *);
uint16_t	 wg_port(const struct wg_iface *);
int	 wg_child_exited(struct wg_iface *, pid_t);
int	 wg_set_address(struct wg_iface *, const struct wg_prefix *);
int	 wg_clear_address(struct wg_iface *, sa_family_t);
int	 wg_set_mtu(struct wg_iface *, unsigned int);
int	 wg_peer_set(struct wg_iface *, const struct wg_peer *);
int	 wg_peers_set(struct wg_iface *, const struct wg_peer *,
	    size_t);
int	 wg_peer_remove(struct wg_iface *, const uint8_t [WG_KEY_LEN]);
int	 wg_peer_endpoint(struct wg_iface *, const uint8_t [WG_KEY_LEN],
	    const union wg_sockaddr *, const struct wg_prefix *, size_t,
	    int);
int	 wg_peer_stats(struct wg_iface *, struct wg_peer_stats **,
	    size_t *);
int	 wg_route_add(struct wg_iface *, const struct wg_prefix *);
int	 wg_route_del(struct wg_iface *, const struct wg_prefix *);

const char	*wg_ifname_invalid(const char *);
const char	*wg_key_invalid(const uint8_t [WG_KEY_LEN]);
const char	*wg_prefix_invalid(const struct wg_prefix *);
const char	*wg_net_invalid(const struct wg_prefix *);
const char	*wg_endpoint_invalid(const union wg_sockaddr *);
const char	*wg_peer_invalid(const struct wg_peer *);
const char	*wg_mtu_invalid(unsigned int);
int	 wg_prefix_contains(const struct wg_prefix *,
	    const struct wg_prefix *);
void	 wg_prefix_mask(struct wg_prefix *);
int	 wg_prefix_ntop(const struct wg_prefix *, char *, size_t);
int	 wg_prefix_pton(const char *, struct wg_prefix *);
int	 wg_endpoint_ntop(const union wg_sockaddr *, char *, size_t);
int	 wg_endpoint_pton(const char *, union wg_sockaddr *);
void	 wg_key_log(const uint8_t [WG_KEY_LEN], char *, size_t);

#define WG_PREFIX_STRLEN	(INET6_ADDRSTRLEN + 4)
#define WG_ENDPOINT_STRLEN	(INET6_ADDRSTRLEN + 20)
#define WG_KEY_B64LEN		45	/* base64, padding and NUL */

/*
 * Below: shared by wg.c and its backends only, and by the tests.
 */

/* What a backend reads back from WireGuard. */
struct wg_device_info {
	int			 listen_port;	/* -1: not reported */
	struct wg_peer_stats	*peers;
	size_t			 npeers;
	size_t			 peers_size;	/* allocated */
	int			 failed;	/* a peer was dropped */
};

struct wg_ops {
	const char	*name;
	int		 backend;	/* enum wg_backend */
	/* create the device with key and port; port 0: any */
	int		(*open)(struct wg_iface *, const uint8_t *,
			    uint16_t);
	void		(*close)(struct wg_iface *);
	int		(*peers_set)(struct wg_iface *,
			    const struct wg_peer *, size_t);
	int		(*get)(struct wg_iface *, struct wg_device_info *);
};

struct wg_iface {
	const struct wg_ops	*ops;
	struct mnl_socket	*rtnl;
	uint32_t		 rtnl_seq;
	char			 ifname[IFNAMSIZ];
	unsigned int		 ifindex;
	uint16_t		 port;
	/* kernel */
	struct mnl_socket	*genl;
	uint32_t		 genl_seq;
	uint16_t		 genl_family;
	/* userspace */
	char			 prog[PATH_MAX];
	char			 sockpath[108];	/* sun_path */
	pid_t			 pid;		/* -1: not running */
};

extern const struct wg_ops wg_kernel_ops;
extern const struct wg_ops wg_uapi_ops;

#define WG_ENDPOINT_PEERS	2
size_t	 wg_endpoint_peers(const uint8_t [WG_KEY_LEN],
	    const union wg_sockaddr *, const struct wg_prefix *, size_t, int,
	    struct wg_peer [WG_ENDPOINT_PEERS]);
int	 wg_info_add_peer(struct wg_device_info *,
	    const uint8_t [WG_KEY_LEN]);
void	 wg_info_free(struct wg_device_info *);

/* wg_kernel.c: message building and parsing, exposed for the tests */
struct wg_nl_pos {
	size_t		peer;		/* next peer */
	size_t		allowed;	/* next allowed IP of that peer */
	int		device_done;	/* key and port were sent */
};
size_t	 wg_kernel_build_set(void *, size_t, uint16_t, const char *,
	    const uint8_t *, int, const struct wg_peer *, size_t,
	    struct wg_nl_pos *);
int	 wg_kernel_get_cb(const struct nlmsghdr *, void *);
int	 wg_kernel_family_cb(const struct nlmsghdr *, void *);

/* wg_uapi.c: request formatting and reply parsing, exposed for tests */
char	*wg_uapi_set_request(const uint8_t *, int,
	    const struct wg_peer *, size_t, size_t *);
const char	*wg_uapi_parse(const char *, size_t, struct wg_device_info *,
	    int *);
size_t	 wg_uapi_reply_end(const char *, size_t, size_t);
int	 wg_uapi_alive(const char *);

/* netlink.c: rtnetlink; -1 and errno on failure, no logging */
struct mnl_socket *nl_open(int);
int	 nl_request(struct mnl_socket *, uint32_t *, void *,
	    int (*)(const struct nlmsghdr *, void *), void *);
int	 nl_link_create(struct mnl_socket *, uint32_t *, const char *,
	    const char *);
int	 nl_link_delete(struct mnl_socket *, uint32_t *, unsigned int);
int	 nl_link_get(struct mnl_socket *, uint32_t *, const char *,
	    unsigned int *, char *, size_t);
int	 nl_link_set(struct mnl_socket *, uint32_t *, unsigned int,
	    unsigned int, int);
int	 nl_addr_replace(struct mnl_socket *, uint32_t *, unsigned int,
	    sa_family_t, const struct wg_prefix *);
int	 nl_route(struct mnl_socket *, uint32_t *, int, unsigned int,
	    const struct wg_prefix *);
int	 nl_route_flush(struct mnl_socket *, uint32_t *, unsigned int);

#endif
