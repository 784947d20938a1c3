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
 * The WireGuard interface: validation, backend selection, stale state
 * and port fallback, and the link configuration shared by the backends.
 * See wg.h for the design.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netlink.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <sodium.h>

#include "log.h"
#include "netbirdd.h"
#include "wg.h"

#define WG_KIND_MAX	32

static const char *wg_conf_invalid(const struct nbd_config *,
		    const uint8_t *);
static int	wg_stale(struct wg_iface *);
static int	wg_stale_socket(struct wg_iface *);
static int	wg_port_free(uint16_t);
static int	wg_port_bind(int, uint16_t);
static int	wg_backend_open(struct wg_iface *, const struct nbd_config *,
		    const uint8_t *, uint16_t);
static int	wg_read_port(struct wg_iface *);
static int	wg_up(struct wg_iface *, unsigned int);
static void	wg_log_open(struct wg_iface *, const uint8_t *);
static int	wg_parse_port(const char *, uint16_t *);

int
wg_open(const struct nbd_config *conf, const uint8_t priv[WG_KEY_LEN],
    struct wg_iface **out)
{
	struct wg_iface	*wg;
	const char	*why;
	uint16_t	 port;

	*out = NULL;
	if ((why = wg_conf_invalid(conf, priv)) != NULL) {
		log_warnx("%s: %s", __func__, why);
		return -1;
	}

	if ((wg = calloc(1, sizeof(*wg))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	wg->pid = -1;
	strlcpy(wg->ifname, conf->ifname, sizeof(wg->ifname));
	if ((wg->rtnl = nl_open(NETLINK_ROUTE)) == NULL) {
		log_warn("%s: %s: rtnetlink socket", __func__, wg->ifname);
		goto fail;
	}
	if (wg_stale(wg) == -1)
		goto fail;
	if (nl_route_flush(wg->rtnl, &wg->rtnl_seq, 0) == -1) {
		log_warn("%s: %s: flushing old routes", __func__, wg->ifname);
		goto fail;
	}

	port = conf->wg_port;
	if (port != 0 && !wg_port_free(port))
		port = 0;
	if (wg_backend_open(wg, conf, priv, port) == -1)
		goto fail;
	if (wg_read_port(wg) == -1)
		goto fail;
	if (port != conf->wg_port)
		log_info("%s: UDP port %u is in use, listening on port %u",
		    wg->ifname, conf->wg_port, wg->port);
	if (wg_up(wg, conf->mtu) == -1)
		goto fail;
	wg_log_open(wg, priv);
	*out = wg;
	return 0;

 fail:
	wg_close(wg);
	return -1;
}

static const char *
wg_conf_invalid(const struct nbd_config *conf, const uint8_t *priv)
{
	const char	*why;

	if (memchr(conf->ifname, '\0', sizeof(conf->ifname)) == NULL)
		return "interface name not terminated";
	if ((why = wg_ifname_invalid(conf->ifname)) != NULL ||
	    (why = wg_key_invalid(priv)) != NULL)
		return why;
	/* MTU 0: the backend's default */
	if (conf->mtu != 0 && (why = wg_mtu_invalid(conf->mtu)) != NULL)
		return why;
	switch (conf->wg_backend) {
	case WG_BACKEND_AUTO:
	case WG_BACKEND_KERNEL:
	case WG_BACKEND_USERSPACE:
		break;
	default:
		return "unknown backend";
	}
	if (memchr(conf->wg_userspace, '\0', sizeof(conf->wg_userspace)) ==
	    NULL)
		return "userspace program path not terminated";
	return NULL;
}

void
wg_close(struct wg_iface *wg)
{
	if (wg == NULL)
		return;
	if (wg->ops != NULL)
		wg->ops->close(wg);
	if (wg->ifindex != 0)
		log_info("%s: WireGuard interface removed", wg->ifname);
	if (wg->rtnl != NULL)
		mnl_socket_close(wg->rtnl);
	freezero(wg, sizeof(*wg));
}

const char *
wg_ifname(const struct wg_iface *wg)
{
	return wg->ifname;
}

const char *
wg_backend_name(const struct wg_iface *wg)
{
	return wg->ops->name;
}

int
wg_backend(const struct wg_iface *wg)
{
	return wg->ops->backend;
}

uint16_t
wg_port(const struct wg_iface *wg)
{
	return wg->port;
}

/* 1 if pid was the userspace WireGuard program (now reaped), else 0. */
int
wg_child_exited(struct wg_iface *wg, pid_t pid)
{
	if (wg == NULL || wg->pid <= 0 || pid != wg->pid)
		return 0;
	wg->pid = -1;
	return 1;
}

/*
 * A leftover of an earlier run: a wireguard link of our name could be
 * ours and is removed; anything else of that name is not ours to touch.
 */
static int
wg_stale(struct wg_iface *wg)
{
	char		kind[WG_KIND_MAX];
	unsigned int	ifindex;

	if (nl_link_get(wg->rtnl, &wg->rtnl_seq, wg->ifname, &ifindex, kind,
	    sizeof(kind)) == -1) {
		if (errno != ENODEV) {
			log_warn("%s: %s: link lookup", __func__, wg->ifname);
			return -1;
		}
		return wg_stale_socket(wg);
	}
	if (strcmp(kind, "wireguard") != 0) {
		log_warnx("%s: interface %s exists (kind %s), not ours: "
		    "refusing to use it", __func__, wg->ifname,
		    kind[0] != '\0' ? kind : "none");
		return -1;
	}
	if (nl_link_delete(wg->rtnl, &wg->rtnl_seq, ifindex) == -1) {
		log_warn("%s: %s: removing stale interface", __func__,
		    wg->ifname);
		return -1;
	}
	log_info("%s: removed a stale WireGuard interface of that name",
	    wg->ifname);
	return wg_stale_socket(wg);
}

/* A UAPI socket nobody answers on is removed; a live one is refused. */
static int
wg_stale_socket(struct wg_iface *wg)
{
	char		path[sizeof(wg->sockpath)];
	struct stat	st;
	int		alive;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.sock", WG_UAPI_DIR,
	    wg->ifname) >= sizeof(path))
		fatalx("%s: socket path too long", __func__);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s: %s exists and is not a socket: refusing",
		    __func__, path);
		return -1;
	}
	if ((alive = wg_uapi_alive(path)) == -1) {
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	if (alive) {
		log_warnx("%s: %s answers: another WireGuard program serves "
		    "%s", __func__, path, wg->ifname);
		return -1;
	}
	if (unlink(path) == -1) {
		log_warn("%s: removing stale %s", __func__, path);
		return -1;
	}
	log_info("%s: removed a stale UAPI socket %s", wg->ifname, path);
	return 0;
}

static int
wg_port_bind(int af, uint16_t port)
{
	union wg_sockaddr	su;
	socklen_t		len;
	int			s, on = 1, ret, saved;

	memset(&su, 0, sizeof(su));
	if (af == AF_INET) {
		su.sin.sin_family = AF_INET;
		su.sin.sin_port = htons(port);
		len = sizeof(su.sin);
	} else {
		su.sin6.sin6_family = AF_INET6;
		su.sin6.sin6_port = htons(port);
		len = sizeof(su.sin6);
	}
	if ((s = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (af == AF_INET6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	ret = bind(s, &su.sa, len);
	saved = errno;
	close(s);
	errno = saved;
	return ret;
}

/* Whether WireGuard could bind port on IPv4 and (if present) IPv6. */
static int
wg_port_free(uint16_t port)
{
	if (wg_port_bind(AF_INET, port) == -1 && errno == EADDRINUSE)
		return 0;
	if (wg_port_bind(AF_INET6, port) == -1 && errno == EADDRINUSE)
		return 0;
	return 1;
}

static int
wg_backend_open(struct wg_iface *wg, const struct nbd_config *conf,
    const uint8_t *priv, uint16_t port)
{
	strlcpy(wg->prog, conf->wg_userspace[0] != '\0' ?
	    conf->wg_userspace : NBD_WG_USERSPACE, sizeof(wg->prog));
	if (conf->wg_backend != WG_BACKEND_USERSPACE) {
		if (nl_link_create(wg->rtnl, &wg->rtnl_seq, wg->ifname,
		    "wireguard") == 0) {
			wg->ops = &wg_kernel_ops;
			return wg->ops->open(wg, priv, port);
		}
		if (conf->wg_backend == WG_BACKEND_KERNEL ||
		    errno != EOPNOTSUPP) {
			log_warn("%s: %s: cannot create a kernel WireGuard "
			    "interface", __func__, wg->ifname);
			return -1;
		}
		log_info("%s: kernel WireGuard not available, using %s",
		    wg->ifname, wg->prog);
	}
	if (wg->prog[0] != '/' || access(wg->prog, X_OK) == -1) {
		if (wg->prog[0] != '/')
			errno = EINVAL;
		log_warn("%s: %s: userspace WireGuard %s", __func__,
		    wg->ifname, wg->prog);
		return -1;
	}
	wg->ops = &wg_uapi_ops;
	return wg->ops->open(wg, priv, port);
}

static int
wg_read_port(struct wg_iface *wg)
{
	struct wg_device_info	info;

	memset(&info, 0, sizeof(info));
	if (wg->ops->get(wg, &info) == -1)
		return -1;
	wg_info_free(&info);
	if (info.listen_port <= 0) {
		log_warnx("%s: %s: WireGuard reports no listen port",
		    __func__, wg->ifname);
		return -1;
	}
	wg->port = info.listen_port;
	return 0;
}

static int
wg_up(struct wg_iface *wg, unsigned int mtu)
{
	if (nl_link_get(wg->rtnl, &wg->rtnl_seq, wg->ifname, &wg->ifindex,
	    NULL, 0) == -1) {
		log_warn("%s: %s: link lookup", __func__, wg->ifname);
		return -1;
	}
	if (nl_link_set(wg->rtnl, &wg->rtnl_seq, wg->ifindex, mtu, 1) == -1) {
		log_warn("%s: %s: setting MTU %u and link up", __func__,
		    wg->ifname, mtu);
		return -1;
	}
	return 0;
}

static void
wg_log_open(struct wg_iface *wg, const uint8_t *priv)
{
	uint8_t	pub[WG_KEY_LEN];
	char	b64[WG_KEY_B64LEN];

	crypto_scalarmult_base(pub, priv);
	wg_key_log(pub, b64, sizeof(b64));
	log_info("%s: WireGuard up, %s backend, port %u, public key %s",
	    wg->ifname, wg->ops->name, wg->port, b64);
}

int
wg_set_address(struct wg_iface *wg, const struct wg_prefix *p)
{
	char		 buf[WG_PREFIX_STRLEN];
	const char	*why;

	if ((why = wg_prefix_invalid(p)) != NULL) {
		log_warnx("%s: %s: %s", __func__, wg->ifname, why);
		return -1;
	}
	if (nl_addr_replace(wg->rtnl, &wg->rtnl_seq, wg->ifindex, p->af,
	    p) == -1) {
		wg_prefix_ntop(p, buf, sizeof(buf));
		log_warn("%s: %s: address %s", __func__, wg->ifname, buf);
		return -1;
	}
	return 0;
}

int
wg_clear_address(struct wg_iface *wg, sa_family_t af)
{
	if (af != AF_INET && af != AF_INET6) {
		log_warnx("%s: %s: bad address family %d", __func__,
		    wg->ifname, af);
		return -1;
	}
	if (nl_addr_replace(wg->rtnl, &wg->rtnl_seq, wg->ifindex, af,
	    NULL) == -1) {
		log_warn("%s: %s: removing addresses", __func__, wg->ifname);
		return -1;
	}
	return 0;
}

int
wg_set_mtu(struct wg_iface *wg, unsigned int mtu)
{
	const char	*why;

	if ((why = wg_mtu_invalid(mtu)) != NULL) {
		log_warnx("%s: %s: %s", __func__, wg->ifname, why);
		return -1;
	}
	if (nl_link_set(wg->rtnl, &wg->rtnl_seq, wg->ifindex, mtu, -1) == -1) {
		log_warn("%s: %s: MTU %u", __func__, wg->ifname, mtu);
		return -1;
	}
	return 0;
}

int
wg_peer_set(struct wg_iface *wg, const struct wg_peer *p)
{
	return wg_peers_set(wg, p, 1);
}

int
wg_peers_set(struct wg_iface *wg, const struct wg_peer *peers, size_t n)
{
	const char	*why;
	char		 b64[WG_KEY_B64LEN];
	size_t		 i;

	if (n > WG_PEERS_MAX) {
		log_warnx("%s: %s: %zu peers, more than %d", __func__,
		    wg->ifname, n, WG_PEERS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((why = wg_peer_invalid(&peers[i])) != NULL) {
			wg_key_log(peers[i].pubkey, b64, sizeof(b64));
			log_warnx("%s: %s: peer %s: %s", __func__, wg->ifname,
			    b64, why);
			return -1;
		}
	}
	if (n == 0)
		return 0;
	return wg->ops->peers_set(wg, peers, n);
}

int
wg_peer_remove(struct wg_iface *wg, const uint8_t pub[WG_KEY_LEN])
{
	struct wg_peer	p;

	memset(&p, 0, sizeof(p));
	memcpy(p.pubkey, pub, sizeof(p.pubkey));
	p.flags = WG_PEER_REMOVE;
	return wg_peers_set(wg, &p, 1);
}

/*
 * Set (AF_UNSPEC: remove) the endpoint of a peer; allowed IPs are those
 * the peer gets back when it is added again after a removal.
 */
int
wg_peer_endpoint(struct wg_iface *wg, const uint8_t pub[WG_KEY_LEN],
    const union wg_sockaddr *ep, const struct wg_prefix *allowed,
    size_t nallowed, int fresh)
{
	struct wg_peer	p[WG_ENDPOINT_PEERS];

	return wg_peers_set(wg, p, wg_endpoint_peers(pub, ep, allowed,
	    nallowed, fresh, p));
}

/*
 * What wg_peer_endpoint() asks for, in p: a new endpoint, or a removal
 * and the peer again.  Returns how many of p it used.
 *
 * A new endpoint goes with keepalive 0 and then 25 in one exchange:
 * both WireGuard implementations send a keepalive, and so start a
 * handshake, only when keepalive goes from off to on.  Otherwise the
 * first handshake waits for traffic or the next keepalive.  A peer
 * without an endpoint has keepalive 0: a handshake it cannot send would
 * hold the next one back for 5 s (REKEY_TIMEOUT).
 *
 * Traffic can make such a handshake all the same.  A fresh endpoint,
 * for a peer that never had a handshake, is set on the peer made anew:
 * removed, then added with its allowed IPs, the endpoint and keepalive
 * 25, so that nothing holds its first handshake back.
 */
size_t
wg_endpoint_peers(const uint8_t pub[WG_KEY_LEN], const union wg_sockaddr *ep,
    const struct wg_prefix *allowed, size_t nallowed, int fresh,
    struct wg_peer p[WG_ENDPOINT_PEERS])
{
	memset(p, 0, WG_ENDPOINT_PEERS * sizeof(*p));
	memcpy(p[0].pubkey, pub, WG_KEY_LEN);
	if (ep->sa.sa_family != AF_UNSPEC && fresh) {
		p[0].flags = WG_PEER_REMOVE;
		memcpy(p[1].pubkey, pub, WG_KEY_LEN);
		p[1].flags = WG_PEER_REPLACE_ALLOWED;
		p[1].allowed = allowed;
		p[1].nallowed = nallowed;
		p[1].endpoint = *ep;
		p[1].keepalive = WG_KEEPALIVE;
		return 2;
	}
	if (ep->sa.sa_family != AF_UNSPEC) {
		memcpy(p[1].pubkey, pub, WG_KEY_LEN);
		p[1].endpoint = *ep;
		p[1].keepalive = WG_KEEPALIVE;
		return 2;
	}
	p[0].flags = WG_PEER_REMOVE;
	memcpy(p[1].pubkey, pub, WG_KEY_LEN);
	p[1].flags = WG_PEER_REPLACE_ALLOWED;
	p[1].allowed = allowed;
	p[1].nallowed = nallowed;
	return 2;
}

/* The caller frees *stats. */
int
wg_peer_stats(struct wg_iface *wg, struct wg_peer_stats **stats, size_t *n)
{
	struct wg_device_info	info;

	*stats = NULL;
	*n = 0;
	memset(&info, 0, sizeof(info));
	if (wg->ops->get(wg, &info) == -1)
		return -1;
	*stats = info.peers;
	*n = info.npeers;
	return 0;
}

int
wg_route_add(struct wg_iface *wg, const struct wg_prefix *p)
{
	char		 buf[WG_PREFIX_STRLEN];
	const char	*why;

	if ((why = wg_net_invalid(p)) != NULL) {
		log_warnx("%s: %s: %s", __func__, wg->ifname, why);
		return -1;
	}
	if (nl_route(wg->rtnl, &wg->rtnl_seq, 1, wg->ifindex, p) == -1) {
		wg_prefix_ntop(p, buf, sizeof(buf));
		log_warn("%s: %s: route %s", __func__, wg->ifname, buf);
		return -1;
	}
	return 0;
}

/* Deleting a route that is not there is not an error. */
int
wg_route_del(struct wg_iface *wg, const struct wg_prefix *p)
{
	char		 buf[WG_PREFIX_STRLEN];
	const char	*why;

	if ((why = wg_net_invalid(p)) != NULL) {
		log_warnx("%s: %s: %s", __func__, wg->ifname, why);
		return -1;
	}
	if (nl_route(wg->rtnl, &wg->rtnl_seq, 0, wg->ifindex, p) == -1 &&
	    errno != ESRCH) {
		wg_prefix_ntop(p, buf, sizeof(buf));
		log_warn("%s: %s: route %s", __func__, wg->ifname, buf);
		return -1;
	}
	return 0;
}

/* Grows the peer array; returns the index of the new, zeroed entry. */
int
wg_info_add_peer(struct wg_device_info *info, const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer_stats	*p;
	size_t			 size;

	if (info->npeers >= WG_PEERS_MAX)
		return -1;
	if (info->npeers == info->peers_size) {
		size = info->peers_size == 0 ? 16 : info->peers_size * 2;
		if ((p = reallocarray(info->peers, size, sizeof(*p))) == NULL)
			return -1;
		info->peers = p;
		info->peers_size = size;
	}
	p = &info->peers[info->npeers];
	memset(p, 0, sizeof(*p));
	memcpy(p->pubkey, key, WG_KEY_LEN);
	return info->npeers++;
}

void
wg_info_free(struct wg_device_info *info)
{
	free(info->peers);
	info->peers = NULL;
	info->npeers = info->peers_size = 0;
}

/*
 * Validators: NULL if the value may be given to the system, else why
 * not.  The parent uses them on children's requests too.
 */

const char *
wg_ifname_invalid(const char *name)
{
	size_t	i, len;

	if (name == NULL || (len = strnlen(name, IFNAMSIZ)) == 0)
		return "empty interface name";
	if (len == IFNAMSIZ)
		return "interface name too long";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "reserved interface name";
	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-' || name[i] == '_' || name[i] == '.')
			continue;
		return "bad character in interface name";
	}
	return NULL;
}

const char *
wg_key_invalid(const uint8_t key[WG_KEY_LEN])
{
	if (sodium_is_zero(key, WG_KEY_LEN))
		return "all-zero key";
	return NULL;
}

const char *
wg_prefix_invalid(const struct wg_prefix *p)
{
	if (p->af == AF_INET)
		return p->plen > 32 ? "IPv4 prefix length over 32" : NULL;
	if (p->af == AF_INET6)
		return p->plen > 128 ? "IPv6 prefix length over 128" : NULL;
	return "bad address family";
}

const char *
wg_net_invalid(const struct wg_prefix *p)
{
	struct wg_prefix	 m;
	const char		*why;

	if ((why = wg_prefix_invalid(p)) != NULL)
		return why;
	m = *p;
	wg_prefix_mask(&m);
	if (memcmp(&m.addr, &p->addr, p->af == AF_INET ? 4 : 16) != 0)
		return "host bits set in network";
	return NULL;
}

const char *
wg_endpoint_invalid(const union wg_sockaddr *e)
{
	switch (e->sa.sa_family) {
	case AF_UNSPEC:
		return NULL;
	case AF_INET:
		if (e->sin.sin_port == 0)
			return "endpoint port 0";
		if (e->sin.sin_addr.s_addr == htonl(INADDR_ANY) ||
		    e->sin.sin_addr.s_addr == htonl(INADDR_BROADCAST) ||
		    IN_MULTICAST(ntohl(e->sin.sin_addr.s_addr)))
			return "endpoint not a unicast address";
		return NULL;
	case AF_INET6:
		if (e->sin6.sin6_port == 0)
			return "endpoint port 0";
		if (IN6_IS_ADDR_UNSPECIFIED(&e->sin6.sin6_addr) ||
		    IN6_IS_ADDR_MULTICAST(&e->sin6.sin6_addr))
			return "endpoint not a unicast address";
		return NULL;
	}
	return "bad endpoint address family";
}

const char *
wg_peer_invalid(const struct wg_peer *p)
{
	const char	*why;
	size_t		 i;

	if ((why = wg_key_invalid(p->pubkey)) != NULL)
		return why;
	if (p->flags & ~WG_PEER_FLAGS)
		return "unknown peer flags";
	if (p->flags & WG_PEER_REMOVE)
		return NULL;
	if ((p->flags & WG_PEER_PRESHARED) &&
	    (why = wg_key_invalid(p->psk)) != NULL)
		return "all-zero preshared key";
	if ((why = wg_endpoint_invalid(&p->endpoint)) != NULL)
		return why;
	if (p->nallowed > WG_ALLOWED_MAX)
		return "too many allowed IPs";
	if (p->nallowed > 0 && p->allowed == NULL)
		return "allowed IPs missing";
	for (i = 0; i < p->nallowed; i++)
		if (wg_net_invalid(&p->allowed[i]) != NULL)
			return "bad allowed IP";
	return NULL;
}

const char *
wg_mtu_invalid(unsigned int mtu)
{
	if (mtu < NBD_MTU_MIN || mtu > NBD_MTU_MAX)
		return "MTU out of range";
	return NULL;
}

/* Whether net (a network) contains p. */
int
wg_prefix_contains(const struct wg_prefix *net, const struct wg_prefix *p)
{
	struct wg_prefix	a, b;

	if (net->af != p->af || net->plen > p->plen ||
	    wg_prefix_invalid(net) != NULL || wg_prefix_invalid(p) != NULL)
		return 0;
	a = *net;
	b = *p;
	b.plen = a.plen;
	wg_prefix_mask(&a);
	wg_prefix_mask(&b);
	return memcmp(&a.addr, &b.addr, a.af == AF_INET ? 4 : 16) == 0;
}

/* Clears the host bits; p must be valid. */
void
wg_prefix_mask(struct wg_prefix *p)
{
	uint8_t		*b;
	unsigned int	 i, len, bits;

	if (p->af == AF_INET) {
		b = (uint8_t *)&p->addr.v4;
		len = 4;
	} else {
		b = p->addr.v6.s6_addr;
		len = 16;
	}
	for (i = 0; i < len; i++) {
		bits = p->plen > i * 8 ? p->plen - i * 8 : 0;
		if (bits < 8)
			b[i] &= (uint8_t)(0xff00 >> bits);
	}
}

int
wg_prefix_ntop(const struct wg_prefix *p, char *buf, size_t size)
{
	char	addr[INET6_ADDRSTRLEN];
	int	n;

	if (wg_prefix_invalid(p) != NULL ||
	    inet_ntop(p->af, &p->addr, addr, sizeof(addr)) == NULL)
		return -1;
	n = snprintf(buf, size, "%s/%u", addr, p->plen);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* "address/length"; the address may have host bits set. */
int
wg_prefix_pton(const char *s, struct wg_prefix *p)
{
	char		 addr[INET6_ADDRSTRLEN];
	const char	*slash, *errstr;
	size_t		 len;
	long long	 plen;

	memset(p, 0, sizeof(*p));
	if ((slash = strchr(s, '/')) == NULL ||
	    (len = slash - s) == 0 || len >= sizeof(addr) ||
	    slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
		return -1;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, &p->addr.v4) == 1)
		p->af = AF_INET;
	else if (inet_pton(AF_INET6, addr, &p->addr.v6) == 1)
		p->af = AF_INET6;
	else
		return -1;
	plen = strtonum(slash + 1, 0, p->af == AF_INET ? 32 : 128, &errstr);
	if (errstr != NULL)
		return -1;
	p->plen = plen;
	return 0;
}

int
wg_endpoint_ntop(const union wg_sockaddr *e, char *buf, size_t size)
{
	char	addr[INET6_ADDRSTRLEN];
	int	n;

	switch (e->sa.sa_family) {
	case AF_INET:
		if (inet_ntop(AF_INET, &e->sin.sin_addr, addr,
		    sizeof(addr)) == NULL)
			return -1;
		n = snprintf(buf, size, "%s:%u", addr, ntohs(e->sin.sin_port));
		break;
	case AF_INET6:
		if (inet_ntop(AF_INET6, &e->sin6.sin6_addr, addr,
		    sizeof(addr)) == NULL)
			return -1;
		if (e->sin6.sin6_scope_id != 0)
			n = snprintf(buf, size, "[%s%%%u]:%u", addr,
			    e->sin6.sin6_scope_id, ntohs(e->sin6.sin6_port));
		else
			n = snprintf(buf, size, "[%s]:%u", addr,
			    ntohs(e->sin6.sin6_port));
		break;
	default:
		return -1;
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int
wg_parse_port(const char *s, uint16_t *port)
{
	const char	*errstr;

	if (*s < '0' || *s > '9' || strlen(s) > 5)
		return -1;
	*port = strtonum(s, 0, UINT16_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

/*
 * "a.b.c.d:port", "[v6]:port" or "[v6%scope]:port" with a numeric
 * scope, as WireGuard prints them.  Bounded: s may come from outside.
 */
int
wg_endpoint_pton(const char *s, union wg_sockaddr *e)
{
	char		 host[INET6_ADDRSTRLEN + 12];
	const char	*colon, *end, *errstr;
	char		*pct;
	uint16_t	 port;
	size_t		 len;

	memset(e, 0, sizeof(*e));
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return -1;
		s++;
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		end = colon;
	}
	if ((len = end - s) == 0 || len >= sizeof(host) ||
	    wg_parse_port(colon + 1, &port) == -1)
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (end != colon) {
		if ((pct = strchr(host, '%')) != NULL) {
			*pct++ = '\0';
			e->sin6.sin6_scope_id = strtonum(pct, 1, UINT32_MAX,
			    &errstr);
			if (errstr != NULL || *pct < '0' || *pct > '9')
				return -1;
		}
		if (inet_pton(AF_INET6, host, &e->sin6.sin6_addr) != 1)
			return -1;
		e->sin6.sin6_family = AF_INET6;
		e->sin6.sin6_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &e->sin.sin_addr) != 1)
		return -1;
	e->sin.sin_family = AF_INET;
	e->sin.sin_port = htons(port);
	return 0;
}

/* Base64, as wg(8) prints keys; for public keys only. */
void
wg_key_log(const uint8_t key[WG_KEY_LEN], char *buf, size_t size)
{
	if (size < WG_KEY_B64LEN)
		fatalx("%s: buffer too small", __func__);
	sodium_bin2base64(buf, size, key, WG_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}
