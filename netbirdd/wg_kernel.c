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
 * Kernel WireGuard: the generic netlink family "wireguard".  wg.c has
 * created the link (rtnetlink, kind "wireguard"); this file resolves the
 * family id, sets key, port and peers with WG_CMD_SET_DEVICE and reads
 * them back with WG_CMD_GET_DEVICE.  The kernel binds the UDP port only
 * when the link goes up (and with port 0 picks one then), so open brings
 * the link up at once: the port can be read back, and a port taken in
 * the meantime fails here.  A set that does not fit in one
 * message continues in the next: a peer cut in the middle of its allowed
 * IPs is repeated with its public key alone and no flags, so the second
 * part adds to the first.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "log.h"
#include "compat.h"
#include "netbirdd.h"
#include "wg.h"

#define WG_NL_BUF	8192	/* one SET_DEVICE message */

/* struct __kernel_timespec: what WGPEER_A_LAST_HANDSHAKE_TIME holds */
struct wg_kernel_ts {
	int64_t		sec;
	int64_t		nsec;
};

static int	wg_kernel_open(struct wg_iface *, const uint8_t *, uint16_t);
static void	wg_kernel_close(struct wg_iface *);
static int	wg_kernel_peers_set(struct wg_iface *, const struct wg_peer *,
		    size_t);
static int	wg_kernel_get(struct wg_iface *, struct wg_device_info *);
static int	wg_kernel_set(struct wg_iface *, const uint8_t *, int,
		    const struct wg_peer *, size_t);
static int	wg_kernel_family(struct wg_iface *);
static int	wg_kernel_up(struct wg_iface *, uint16_t);
static struct nlmsghdr *wg_kernel_header(void *, size_t, uint16_t, uint16_t,
		    uint8_t);
static int	wg_kernel_put_peer(struct nlmsghdr *, size_t,
		    const struct wg_peer *);
static int	wg_kernel_put_allowed(struct nlmsghdr *, size_t,
		    const struct wg_prefix *);
static int	wg_kernel_peers_cb(const struct nlattr *, void *);
static int	wg_kernel_peer_cb(const struct nlattr *, void *);

const struct wg_ops wg_kernel_ops = {
	.name = "kernel",
	.backend = WG_BACKEND_KERNEL,
	.open = wg_kernel_open,
	.close = wg_kernel_close,
	.peers_set = wg_kernel_peers_set,
	.get = wg_kernel_get,
};

struct wg_kernel_peer {
	struct wg_device_info	*info;
	struct wg_peer_stats	*p;
};

static int
wg_kernel_open(struct wg_iface *wg, const uint8_t *priv, uint16_t port)
{
	if ((wg->genl = nl_open(NETLINK_GENERIC)) == NULL) {
		log_warn("%s: %s: generic netlink socket", __func__,
		    wg->ifname);
		return -1;
	}
	if (wg_kernel_family(wg) == -1 ||
	    wg_kernel_set(wg, priv, port, NULL, 0) == -1)
		return -1;
	return wg_kernel_up(wg, port);
}

static int
wg_kernel_up(struct wg_iface *wg, uint16_t port)
{
	unsigned int	ifindex;

	if (nl_link_get(wg->rtnl, &wg->rtnl_seq, wg->ifname, &ifindex,
	    NULL, 0) == -1) {
		log_warn("%s: %s: link lookup", __func__, wg->ifname);
		return -1;
	}
	if (nl_link_set(wg->rtnl, &wg->rtnl_seq, ifindex, 0, 1) == -1) {
		log_warn("%s: %s: link up (UDP port %u)", __func__,
		    wg->ifname, port);
		return -1;
	}
	return 0;
}

static void
wg_kernel_close(struct wg_iface *wg)
{
	unsigned int	ifindex;

	if (wg->genl != NULL) {
		mnl_socket_close(wg->genl);
		wg->genl = NULL;
	}
	if (nl_link_get(wg->rtnl, &wg->rtnl_seq, wg->ifname, &ifindex,
	    NULL, 0) == -1) {
		if (errno != ENODEV)
			log_warn("%s: %s: link lookup", __func__, wg->ifname);
		return;
	}
	if (nl_link_delete(wg->rtnl, &wg->rtnl_seq, ifindex) == -1)
		log_warn("%s: %s: removing interface", __func__, wg->ifname);
}

static struct nlmsghdr *
wg_kernel_header(void *buf, size_t size, uint16_t type, uint16_t flags,
    uint8_t cmd)
{
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*genl;

	/* libmnl pads attributes without clearing the padding. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = type == GENL_ID_CTRL ? 1 : WG_GENL_VERSION;
	return nlh;
}

int
wg_kernel_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	uint16_t		*family = arg;
	const struct nlattr	*attr;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
			*family = mnl_attr_get_u16(attr);
	}
	return MNL_CB_OK;
}

static int
wg_kernel_family(struct wg_iface *wg)
{
	char		 buf[256];
	struct nlmsghdr	*nlh;

	nlh = wg_kernel_header(buf, sizeof(buf), GENL_ID_CTRL, 0,
	    CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	wg->genl_family = 0;
	if (nl_request(wg->genl, &wg->genl_seq, nlh, wg_kernel_family_cb,
	    &wg->genl_family) == -1) {
		log_warn("%s: %s: generic netlink family %s", __func__,
		    wg->ifname, WG_GENL_NAME);
		return -1;
	}
	if (wg->genl_family == 0) {
		log_warnx("%s: %s: no id for generic netlink family %s",
		    __func__, wg->ifname, WG_GENL_NAME);
		return -1;
	}
	return 0;
}

/* The first part of a peer: flags, key, keepalive, endpoint. */
static int
wg_kernel_put_peer(struct nlmsghdr *nlh, size_t size, const struct wg_peer *p)
{
	uint32_t	flags = 0;
	size_t		len;

	if (p->flags & WG_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	else if (p->flags & WG_PEER_REPLACE_ALLOWED)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (!mnl_attr_put_u32_check(nlh, size, WGPEER_A_FLAGS, flags))
		return 0;
	if (p->flags & WG_PEER_REMOVE)
		return 1;
	if ((p->flags & WG_PEER_PRESHARED) && !mnl_attr_put_check(nlh, size,
	    WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, p->psk))
		return 0;
	if (!mnl_attr_put_u16_check(nlh, size,
	    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
		return 0;
	if (p->endpoint.sa.sa_family == AF_UNSPEC)
		return 1;
	len = p->endpoint.sa.sa_family == AF_INET ?
	    sizeof(p->endpoint.sin) : sizeof(p->endpoint.sin6);
	return mnl_attr_put_check(nlh, size, WGPEER_A_ENDPOINT, len,
	    &p->endpoint);
}

static int
wg_kernel_put_allowed(struct nlmsghdr *nlh, size_t size,
    const struct wg_prefix *a)
{
	struct nlattr	*nest;

	if ((nest = mnl_attr_nest_start_check(nlh, size, 0)) == NULL)
		return 0;
	if (!mnl_attr_put_u16_check(nlh, size, WGALLOWEDIP_A_FAMILY, a->af) ||
	    !mnl_attr_put_check(nlh, size, WGALLOWEDIP_A_IPADDR,
	    a->af == AF_INET ? 4 : 16, &a->addr) ||
	    !mnl_attr_put_u8_check(nlh, size, WGALLOWEDIP_A_CIDR_MASK,
	    a->plen)) {
		mnl_attr_nest_cancel(nlh, nest);
		return 0;
	}
	mnl_attr_nest_end(nlh, nest);
	return 1;
}

/*
 * One WG_CMD_SET_DEVICE in buf, from *pos on: the device attributes
 * (private key if priv is set, port if not -1) in the first message,
 * then as many peers and allowed IPs as fit.  Advances *pos; returns the
 * message length, or 0 if nothing fits (buffer too small).
 */
size_t
wg_kernel_build_set(void *buf, size_t size, uint16_t family,
    const char *ifname, const uint8_t *priv, int port,
    const struct wg_peer *peers, size_t npeers, struct wg_nl_pos *pos)
{
	struct nlmsghdr		*nlh;
	struct nlattr		*all, *peer, *ips;
	const struct wg_peer	*p;
	size_t			 added = 0, first;
	int			 device = 0;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)))
		return 0;
	nlh = wg_kernel_header(buf, size, family, 0, WG_CMD_SET_DEVICE);
	if (!mnl_attr_put_strz_check(nlh, size, WGDEVICE_A_IFNAME, ifname))
		return 0;
	if (!pos->device_done) {
		if (priv != NULL && !mnl_attr_put_check(nlh, size,
		    WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, priv))
			return 0;
		if (port != -1 && !mnl_attr_put_u16_check(nlh, size,
		    WGDEVICE_A_LISTEN_PORT, port))
			return 0;
		pos->device_done = device = 1;
	}
	if (pos->peer >= npeers)
		return nlh->nlmsg_len;
	if ((all = mnl_attr_nest_start_check(nlh, size, WGDEVICE_A_PEERS)) ==
	    NULL)
		return device ? nlh->nlmsg_len : 0;

	for (; pos->peer < npeers; pos->peer++, pos->allowed = 0) {
		p = &peers[pos->peer];
		if ((peer = mnl_attr_nest_start_check(nlh, size, 0)) == NULL)
			goto full;
		if (!mnl_attr_put_check(nlh, size, WGPEER_A_PUBLIC_KEY,
		    WG_KEY_LEN, p->pubkey))
			goto cancel;
		if (pos->allowed == 0 && !wg_kernel_put_peer(nlh, size, p))
			goto cancel;
		if (!(p->flags & WG_PEER_REMOVE) && p->nallowed > 0) {
			if ((ips = mnl_attr_nest_start_check(nlh, size,
			    WGPEER_A_ALLOWEDIPS)) == NULL)
				goto cancel;
			first = pos->allowed;
			for (; pos->allowed < p->nallowed; pos->allowed++)
				if (!wg_kernel_put_allowed(nlh, size,
				    &p->allowed[pos->allowed]))
					break;
			if (pos->allowed == first) {
				mnl_attr_nest_cancel(nlh, ips);
				goto cancel;
			}
			mnl_attr_nest_end(nlh, ips);
			if (pos->allowed < p->nallowed) {
				mnl_attr_nest_end(nlh, peer);
				added++;
				goto full;
			}
		}
		mnl_attr_nest_end(nlh, peer);
		added++;
	}
	mnl_attr_nest_end(nlh, all);
	return nlh->nlmsg_len;

 cancel:
	mnl_attr_nest_cancel(nlh, peer);
 full:
	if (added == 0) {
		mnl_attr_nest_cancel(nlh, all);
		return device ? nlh->nlmsg_len : 0;
	}
	mnl_attr_nest_end(nlh, all);
	return nlh->nlmsg_len;
}

static int
wg_kernel_set(struct wg_iface *wg, const uint8_t *priv, int port,
    const struct wg_peer *peers, size_t n)
{
	char			buf[WG_NL_BUF];
	struct wg_nl_pos	pos;
	int			ret = 0;

	memset(&pos, 0, sizeof(pos));
	do {
		if (wg_kernel_build_set(buf, sizeof(buf), wg->genl_family,
		    wg->ifname, priv, port, peers, n, &pos) == 0) {
			log_warnx("%s: %s: peer does not fit in a message",
			    __func__, wg->ifname);
			ret = -1;
			break;
		}
		if (nl_request(wg->genl, &wg->genl_seq, buf, NULL,
		    NULL) == -1) {
			log_warn("%s: %s: WG_CMD_SET_DEVICE", __func__,
			    wg->ifname);
			ret = -1;
			break;
		}
	} while (pos.peer < n);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

static int
wg_kernel_peers_set(struct wg_iface *wg, const struct wg_peer *peers,
    size_t n)
{
	return wg_kernel_set(wg, NULL, -1, peers, n);
}

static int
wg_kernel_peer_cb(const struct nlattr *attr, void *arg)
{
	struct wg_kernel_peer	*kp = arg;
	struct wg_kernel_ts	 ts;
	size_t			 len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case WGPEER_A_ENDPOINT:
		if (len == sizeof(struct sockaddr_in) ||
		    len == sizeof(struct sockaddr_in6)) {
			memcpy(&kp->p->endpoint, mnl_attr_get_payload(attr),
			    len);
			if (kp->p->endpoint.sa.sa_family !=
			    (len == sizeof(struct sockaddr_in) ?
			    AF_INET : AF_INET6))
				memset(&kp->p->endpoint, 0,
				    sizeof(kp->p->endpoint));
		}
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		if (len == sizeof(ts)) {
			memcpy(&ts, mnl_attr_get_payload(attr), sizeof(ts));
			kp->p->last_handshake = ts.sec > 0 ? ts.sec : 0;
		}
		break;
	case WGPEER_A_RX_BYTES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
			kp->p->rx_bytes = mnl_attr_get_u64(attr);
		break;
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
			kp->p->tx_bytes = mnl_attr_get_u64(attr);
		break;
	}
	return MNL_CB_OK;
}

/* One peer of WGDEVICE_A_PEERS; a repeated key continues the last one. */
static int
wg_kernel_peers_cb(const struct nlattr *nest, void *arg)
{
	struct wg_kernel_peer	*kp = arg;
	struct wg_device_info	*info = kp->info;
	const struct nlattr	*attr, *key = NULL;
	int			 i;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) == WGPEER_A_PUBLIC_KEY &&
		    mnl_attr_get_payload_len(attr) == WG_KEY_LEN)
			key = attr;
	}
	if (key == NULL)
		return MNL_CB_OK;
	if (info->npeers > 0 && memcmp(info->peers[info->npeers - 1].pubkey,
	    mnl_attr_get_payload(key), WG_KEY_LEN) == 0)
		i = info->npeers - 1;
	else if ((i = wg_info_add_peer(info,
	    mnl_attr_get_payload(key))) == -1) {
		/* keep reading: the rest of the dump must be consumed */
		info->failed = 1;
		return MNL_CB_OK;
	}
	kp->p = &info->peers[i];
	return mnl_attr_parse_nested(nest, wg_kernel_peer_cb, kp);
}

/* One part of a WG_CMD_GET_DEVICE dump into a struct wg_device_info. */
int
wg_kernel_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct wg_kernel_peer	 kp;
	const struct nlattr	*attr;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	kp.info = arg;
	kp.p = NULL;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case WGDEVICE_A_LISTEN_PORT:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				kp.info->listen_port = mnl_attr_get_u16(attr);
			break;
		case WGDEVICE_A_PEERS:
			(void)mnl_attr_parse_nested(attr, wg_kernel_peers_cb,
			    &kp);
			break;
		}
	}
	return MNL_CB_OK;
}

static int
wg_kernel_get(struct wg_iface *wg, struct wg_device_info *info)
{
	char		 buf[256];
	struct nlmsghdr	*nlh;

	memset(info, 0, sizeof(*info));
	info->listen_port = -1;
	nlh = wg_kernel_header(buf, sizeof(buf), wg->genl_family, NLM_F_DUMP,
	    WG_CMD_GET_DEVICE);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, wg->ifname);
	if (nl_request(wg->genl, &wg->genl_seq, nlh, wg_kernel_get_cb,
	    info) == -1) {
		log_warn("%s: %s: WG_CMD_GET_DEVICE", __func__, wg->ifname);
		wg_info_free(info);
		return -1;
	}
	if (info->failed) {
		log_warnx("%s: %s: WG_CMD_GET_DEVICE: too many peers or out "
		    "of memory", __func__, wg->ifname);
		wg_info_free(info);
		return -1;
	}
	return 0;
}
