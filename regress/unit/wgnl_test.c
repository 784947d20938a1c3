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
 * The kernel backend's generic netlink messages (netbirdd/wg_kernel.c),
 * which cannot run here without the WireGuard module: WG_CMD_SET_DEVICE
 * attribute layout, splitting over several messages, and parsing of
 * WG_CMD_GET_DEVICE dumps.  Also the validators and address helpers of
 * netbirdd/wg.c.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "log.h"
#include "netbirdd.h"
#include "wg.h"

#define FAMILY	0x1d	/* any genl family id */

static int	failed;

#define CHECK(cond, ...) do {					\
	if (cond)						\
		printf("ok - ");				\
	else {							\
		printf("not ok - ");				\
		failed = 1;					\
	}							\
	printf(__VA_ARGS__);					\
	printf("\n");						\
} while (0)

/* What one message says, decoded independently of wg_kernel.c. */
struct part {
	uint8_t			key[WG_KEY_LEN];
	int			has_flags;
	uint32_t		flags;
	int			has_keepalive;
	uint16_t		keepalive;
	int			has_psk;
	size_t			endpoint_len;
	struct sockaddr_storage	endpoint;
	struct wg_prefix	allowed[512];
	size_t			nallowed;
};

struct msg {
	int		ok;		/* well formed */
	char		ifname[IFNAMSIZ];
	int		has_priv;
	uint8_t		priv[WG_KEY_LEN];
	int		port;
	struct part	parts[256];
	size_t		nparts;
};

static void
decode_allowed(const struct nlattr *ips, struct part *pt, struct msg *m)
{
	const struct nlattr	*ip, *a;
	struct wg_prefix	*p;

	mnl_attr_for_each_nested(ip, ips) {
		if (pt->nallowed == nitems(pt->allowed)) {
			m->ok = 0;
			return;
		}
		p = &pt->allowed[pt->nallowed++];
		memset(p, 0, sizeof(*p));
		mnl_attr_for_each_nested(a, ip) {
			switch (mnl_attr_get_type(a)) {
			case WGALLOWEDIP_A_FAMILY:
				p->af = mnl_attr_get_u16(a);
				break;
			case WGALLOWEDIP_A_IPADDR:
				memcpy(&p->addr, mnl_attr_get_payload(a),
				    MINIMUM(mnl_attr_get_payload_len(a), 16));
				break;
			case WGALLOWEDIP_A_CIDR_MASK:
				p->plen = mnl_attr_get_u8(a);
				break;
			default:
				m->ok = 0;
			}
		}
	}
}

static void
decode_peer(const struct nlattr *peer, struct msg *m)
{
	const struct nlattr	*a;
	struct part		*pt;

	if (m->nparts == nitems(m->parts)) {
		m->ok = 0;
		return;
	}
	pt = &m->parts[m->nparts++];
	memset(pt, 0, sizeof(*pt));
	mnl_attr_for_each_nested(a, peer) {
		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
				m->ok = 0;
			else
				memcpy(pt->key, mnl_attr_get_payload(a),
				    WG_KEY_LEN);
			break;
		case WGPEER_A_FLAGS:
			pt->has_flags = 1;
			pt->flags = mnl_attr_get_u32(a);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			pt->has_keepalive = 1;
			pt->keepalive = mnl_attr_get_u16(a);
			break;
		case WGPEER_A_PRESHARED_KEY:
			pt->has_psk = mnl_attr_get_payload_len(a) == WG_KEY_LEN;
			break;
		case WGPEER_A_ENDPOINT:
			pt->endpoint_len = mnl_attr_get_payload_len(a);
			memcpy(&pt->endpoint, mnl_attr_get_payload(a),
			    MINIMUM(pt->endpoint_len, sizeof(pt->endpoint)));
			break;
		case WGPEER_A_ALLOWEDIPS:
			decode_allowed(a, pt, m);
			break;
		default:
			m->ok = 0;
		}
	}
}

static void
decode(const void *buf, size_t len, struct msg *m)
{
	const struct nlmsghdr	*nlh = buf;
	const struct genlmsghdr	*genl;
	const struct nlattr	*a, *peer;

	memset(m, 0, sizeof(*m));
	m->port = -1;
	if (!mnl_nlmsg_ok(nlh, (int)len) || nlh->nlmsg_len != len ||
	    nlh->nlmsg_type != FAMILY ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST))
		return;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_SET_DEVICE || genl->version != WG_GENL_VERSION)
		return;
	m->ok = 1;
	if (mnl_attr_validate(mnl_nlmsg_get_payload_offset(nlh,
	    sizeof(*genl)), MNL_TYPE_UNSPEC) < 0)
		m->ok = 0;
	mnl_attr_for_each(a, nlh, sizeof(*genl)) {
		switch (mnl_attr_get_type(a)) {
		case WGDEVICE_A_IFNAME:
			strlcpy(m->ifname, mnl_attr_get_str(a),
			    sizeof(m->ifname));
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			m->has_priv = 1;
			memcpy(m->priv, mnl_attr_get_payload(a), WG_KEY_LEN);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			m->port = mnl_attr_get_u16(a);
			break;
		case WGDEVICE_A_PEERS:
			mnl_attr_for_each_nested(peer, a)
				decode_peer(peer, m);
			break;
		default:
			m->ok = 0;
		}
	}
}

static struct msg	m;

static void
test_device(void)
{
	char			buf[8192];
	uint8_t			priv[WG_KEY_LEN];
	struct wg_nl_pos	pos;
	size_t			len;

	memset(priv, 7, sizeof(priv));
	memset(&pos, 0, sizeof(pos));
	len = wg_kernel_build_set(buf, sizeof(buf), FAMILY, "wt0", priv,
	    51820, NULL, 0, &pos);
	decode(buf, len, &m);
	CHECK(len > 0 && m.ok, "device message well formed");
	CHECK(strcmp(m.ifname, "wt0") == 0, "WGDEVICE_A_IFNAME wt0");
	CHECK(m.has_priv && memcmp(m.priv, priv, WG_KEY_LEN) == 0,
	    "WGDEVICE_A_PRIVATE_KEY");
	CHECK(m.port == 51820, "WGDEVICE_A_LISTEN_PORT 51820");
	CHECK(m.nparts == 0 && pos.device_done, "no peers, device done");

	memset(&pos, 0, sizeof(pos));
	CHECK(wg_kernel_build_set(buf, 40, FAMILY, "wt0", priv, 1, NULL, 0,
	    &pos) == 0, "a buffer without room for the key: nothing built");
}

static void
test_peer(void)
{
	char			buf[8192];
	struct wg_prefix	a[2];
	struct wg_peer		p[2];
	struct wg_nl_pos	pos;
	struct part		*pt;
	size_t			len;

	memset(p, 0, sizeof(p));
	memset(p[0].pubkey, 1, WG_KEY_LEN);
	memset(p[0].psk, 2, WG_KEY_LEN);
	p[0].flags = WG_PEER_REPLACE_ALLOWED | WG_PEER_PRESHARED;
	p[0].keepalive = WG_KEEPALIVE;
	wg_endpoint_pton("[2001:db8::1]:51820", &p[0].endpoint);
	wg_prefix_pton("100.64.0.2/32", &a[0]);
	wg_prefix_pton("fd00:1::/64", &a[1]);
	p[0].allowed = a;
	p[0].nallowed = 2;
	memset(p[1].pubkey, 3, WG_KEY_LEN);
	p[1].flags = WG_PEER_REMOVE;
	p[1].allowed = a;
	p[1].nallowed = 2;

	memset(&pos, 0, sizeof(pos));
	pos.device_done = 1;
	len = wg_kernel_build_set(buf, sizeof(buf), FAMILY, "wt0", NULL, -1,
	    p, 2, &pos);
	decode(buf, len, &m);
	CHECK(len > 0 && m.ok && pos.peer == 2, "peer message well formed");
	CHECK(!m.has_priv && m.port == -1, "no device attributes");
	CHECK(m.nparts == 2, "two peers in WGDEVICE_A_PEERS");
	if (m.nparts != 2)
		return;
	pt = &m.parts[0];
	CHECK(pt->key[0] == 1 && pt->has_flags &&
	    pt->flags == WGPEER_F_REPLACE_ALLOWEDIPS,
	    "peer 1: key, WGPEER_F_REPLACE_ALLOWEDIPS");
	CHECK(pt->has_keepalive && pt->keepalive == 25, "peer 1: keepalive 25");
	CHECK(pt->has_psk, "peer 1: preshared key");
	CHECK(pt->endpoint_len == sizeof(struct sockaddr_in6),
	    "peer 1: endpoint is a sockaddr_in6");
	CHECK(pt->nallowed == 2 && pt->allowed[0].af == AF_INET &&
	    pt->allowed[0].plen == 32 &&
	    pt->allowed[0].addr.v4.s_addr == inet_addr("100.64.0.2") &&
	    pt->allowed[1].af == AF_INET6 && pt->allowed[1].plen == 64 &&
	    memcmp(&pt->allowed[1].addr, &a[1].addr, 16) == 0,
	    "peer 1: allowed IPs (family, address, mask)");
	pt = &m.parts[1];
	CHECK(pt->key[0] == 3 && pt->has_flags &&
	    pt->flags == WGPEER_F_REMOVE_ME && !pt->has_keepalive &&
	    pt->nallowed == 0 && pt->endpoint_len == 0,
	    "peer 2: WGPEER_F_REMOVE_ME and nothing else");
}

/*
 * protocol.md 5.4: setting an endpoint touches nothing else; removing
 * one removes the peer and adds it again with its allowed IPs, in the
 * same message, in that order.
 */
static void
test_endpoint(void)
{
	char			 buf[8192];
	struct wg_prefix	 a[2];
	struct wg_peer		 p[2];
	struct wg_nl_pos	 pos;
	union wg_sockaddr	 ep;
	struct sockaddr_in	 sin;
	struct part		*pt;
	uint8_t			 key[WG_KEY_LEN];
	size_t			 len, n;

	memset(key, 5, sizeof(key));
	wg_prefix_pton("100.64.0.5/32", &a[0]);
	wg_prefix_pton("10.20.0.0/16", &a[1]);

	wg_endpoint_pton("198.51.100.7:40123", &ep);
	n = wg_endpoint_peers(key, &ep, a, 2, 0, p);
	memset(&pos, 0, sizeof(pos));
	pos.device_done = 1;
	len = wg_kernel_build_set(buf, sizeof(buf), FAMILY, "wt0", NULL, -1,
	    p, n, &pos);
	decode(buf, len, &m);
	CHECK(n == 2 && len > 0 && m.ok && m.nparts == 2,
	    "endpoint set: the peer twice, well formed");
	pt = &m.parts[0];
	CHECK(m.nparts == 2 && pt->key[0] == 5 && pt->has_flags &&
	    pt->flags == 0 && pt->has_keepalive && pt->keepalive == 0 &&
	    pt->endpoint_len == 0 && pt->nallowed == 0,
	    "endpoint set: first keepalive off, nothing else");
	pt = &m.parts[1];
	memcpy(&sin, &pt->endpoint, sizeof(sin));
	CHECK(m.nparts == 2 && pt->key[0] == 5 && pt->has_flags &&
	    pt->flags == 0 && pt->has_keepalive && pt->keepalive == 25 &&
	    pt->nallowed == 0 && !pt->has_psk,
	    "endpoint set: then no flags, keepalive 25, allowed IPs untouched");
	CHECK(m.nparts == 2 && pt->endpoint_len == sizeof(sin) &&
	    sin.sin_family == AF_INET && ntohs(sin.sin_port) == 40123 &&
	    sin.sin_addr.s_addr == inet_addr("198.51.100.7"),
	    "endpoint set: WGPEER_A_ENDPOINT 198.51.100.7:40123");

	memset(&ep, 0, sizeof(ep));
	n = wg_endpoint_peers(key, &ep, a, 2, 0, p);
	memset(&pos, 0, sizeof(pos));
	pos.device_done = 1;
	len = wg_kernel_build_set(buf, sizeof(buf), FAMILY, "wt0", NULL, -1,
	    p, n, &pos);
	decode(buf, len, &m);
	CHECK(n == 2 && len > 0 && m.ok && m.nparts == 2 && pos.peer == 2,
	    "endpoint removed: two peers in one message");
	if (m.nparts != 2)
		return;
	pt = &m.parts[0];
	CHECK(pt->key[0] == 5 && pt->flags == WGPEER_F_REMOVE_ME &&
	    pt->nallowed == 0 && pt->endpoint_len == 0,
	    "endpoint removed: first the peer is removed");
	pt = &m.parts[1];
	CHECK(pt->key[0] == 5 && pt->flags == WGPEER_F_REPLACE_ALLOWEDIPS &&
	    pt->has_keepalive && pt->keepalive == 0 &&
	    pt->endpoint_len == 0 && pt->nallowed == 2 &&
	    pt->allowed[0].addr.v4.s_addr == inet_addr("100.64.0.5") &&
	    pt->allowed[1].plen == 16,
	    "endpoint removed: then added again, no endpoint, its allowed "
	    "IPs, keepalive off");
}

/* Send everything through buffers of size bytes; check what arrives. */
static void
test_split(size_t size, size_t npeers, size_t per)
{
	char			*buf;
	struct wg_prefix	*a;
	struct wg_peer		*p;
	struct wg_nl_pos	 pos;
	size_t			 i, k, len, msgs = 0, got = 0;
	size_t			 cur = 0, next = 0;
	int			 ok = 1, seen_first = 0;
	struct part		*pt;

	buf = malloc(size);
	p = calloc(npeers, sizeof(*p));
	a = calloc(npeers * per, sizeof(*a));
	for (i = 0; i < npeers * per; i++) {
		a[i].af = AF_INET;
		a[i].plen = 32;
		a[i].addr.v4.s_addr = htonl(0x0a000000 + i);
	}
	for (i = 0; i < npeers; i++) {
		memset(p[i].pubkey, (int)(i + 1), WG_KEY_LEN);
		p[i].flags = WG_PEER_REPLACE_ALLOWED;
		p[i].keepalive = 25;
		p[i].allowed = &a[i * per];
		p[i].nallowed = per;
	}
	memset(&pos, 0, sizeof(pos));
	do {
		len = wg_kernel_build_set(buf, size, FAMILY, "wt0", NULL, 51820,
		    p, npeers, &pos);
		if (len == 0 || len > size) {
			ok = 0;
			break;
		}
		decode(buf, len, &m);
		msgs++;
		if (!m.ok || (msgs == 1) != (m.port == 51820))
			ok = 0;
		for (k = 0; k < m.nparts; k++) {
			pt = &m.parts[k];
			if (pt->key[0] != (uint8_t)(cur + 1)) {
				/* a new peer must start where the last ended */
				if (pt->key[0] != (uint8_t)(cur + 2) ||
				    next != per)
					ok = 0;
				cur++;
				next = 0;
				seen_first = 0;
			}
			/* flags and keepalive only in a peer's first part */
			if (pt->has_flags != !seen_first ||
			    pt->has_keepalive != !seen_first)
				ok = 0;
			seen_first = 1;
			for (i = 0; i < pt->nallowed; i++, next++, got++)
				if (pt->allowed[i].addr.v4.s_addr !=
				    a[cur * per + next].addr.v4.s_addr)
					ok = 0;
		}
	} while (pos.peer < npeers && msgs < 10000);
	CHECK(ok && got == npeers * per && cur == npeers - 1,
	    "%zu peers x %zu allowed IPs through %zu-byte messages: "
	    "%zu messages, all arrive once, in order, continuations "
	    "without flags", npeers, per, size, msgs);
	free(buf);
	free(p);
	free(a);
}

static void
test_too_small(void)
{
	char			buf[64];
	struct wg_peer		p;
	struct wg_nl_pos	pos;

	memset(&p, 0, sizeof(p));
	memset(p.pubkey, 1, WG_KEY_LEN);
	memset(&pos, 0, sizeof(pos));
	pos.device_done = 1;
	CHECK(wg_kernel_build_set(buf, sizeof(buf), FAMILY, "wt0", NULL, -1,
	    &p, 1, &pos) == 0 && pos.peer == 0,
	    "a peer that cannot fit: 0, no progress claimed");
}

/* A GET_DEVICE dump: a peer continued in a second part, then another. */
static void
test_get(void)
{
	char			 buf1[1024], buf2[1024];
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*genl;
	struct nlattr		*peers, *peer;
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	struct wg_device_info	 info;
	int64_t			 ts[2] = { 1700000000, 5 };
	uint8_t			 k1[WG_KEY_LEN], k2[WG_KEY_LEN];

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET6;	/* lies about its family */

	nlh = mnl_nlmsg_put_header(buf1);
	nlh->nlmsg_type = FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k1);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1000);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 2000);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);

	nlh = mnl_nlmsg_put_header(buf2);
	nlh->nlmsg_type = FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k1);
	mnl_attr_nest_end(nlh, peer);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k2);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, 8, ts);
	mnl_attr_put_u32(nlh, WGPEER_A_RX_BYTES, 7);
	mnl_attr_nest_end(nlh, peer);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 16, k2);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);

	memset(&info, 0, sizeof(info));
	info.listen_port = -1;
	CHECK(wg_kernel_get_cb((struct nlmsghdr *)buf1, &info) == MNL_CB_OK &&
	    wg_kernel_get_cb((struct nlmsghdr *)buf2, &info) == MNL_CB_OK,
	    "GET_DEVICE parts parsed");
	CHECK(info.listen_port == 51820, "listen port 51820");
	CHECK(info.npeers == 2, "continued peer merged, short key skipped "
	    "(%zu peers)", info.npeers);
	if (info.npeers == 2) {
		CHECK(info.peers[0].last_handshake == 1700000000 &&
		    info.peers[0].rx_bytes == 1000 &&
		    info.peers[0].tx_bytes == 2000 &&
		    info.peers[0].endpoint.sa.sa_family == AF_INET6 &&
		    ntohs(info.peers[0].endpoint.sin6.sin6_port) == 443,
		    "peer 1: handshake, rx, tx, endpoint");
		CHECK(info.peers[1].endpoint.sa.sa_family == AF_UNSPEC &&
		    info.peers[1].last_handshake == 0 &&
		    info.peers[1].rx_bytes == 0,
		    "peer 2: wrong-sized attributes ignored");
	}
	wg_info_free(&info);
}

static void
test_family(void)
{
	char			 buf[256];
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*genl;
	uint16_t		 id = 0;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x22);
	wg_kernel_family_cb(nlh, &id);
	CHECK(id == 0x22, "CTRL_ATTR_FAMILY_ID read");
}

static void
test_validators(void)
{
	struct wg_prefix	p, q;
	union wg_sockaddr	e;
	struct wg_peer		peer;
	uint8_t			key[WG_KEY_LEN];
	char			s[WG_ENDPOINT_STRLEN];

	CHECK(wg_ifname_invalid("wt0") == NULL &&
	    wg_ifname_invalid("abcdefghijklmno") == NULL,
	    "interface names wt0 and 15 characters");
	CHECK(wg_ifname_invalid("") && wg_ifname_invalid("abcdefghijklmnop") &&
	    wg_ifname_invalid("a/b") && wg_ifname_invalid("a b") &&
	    wg_ifname_invalid("..") && wg_ifname_invalid("a:1"),
	    "bad interface names refused");
	memset(key, 0, sizeof(key));
	CHECK(wg_key_invalid(key) != NULL, "all-zero key refused");
	key[31] = 1;
	CHECK(wg_key_invalid(key) == NULL, "other keys accepted");

	memset(&p, 0, sizeof(p));
	CHECK(wg_prefix_invalid(&p) != NULL, "address family 0 refused");
	p.af = AF_INET;
	p.plen = 33;
	CHECK(wg_prefix_invalid(&p) != NULL, "IPv4 /33 refused");
	p.af = AF_INET6;
	p.plen = 129;
	CHECK(wg_prefix_invalid(&p) != NULL, "IPv6 /129 refused");
	wg_prefix_pton("100.64.0.5/16", &p);
	CHECK(wg_prefix_invalid(&p) == NULL && wg_net_invalid(&p) != NULL,
	    "100.64.0.5/16: an address, not a network");
	wg_prefix_mask(&p);
	CHECK(wg_prefix_ntop(&p, s, sizeof(s)) == 0 &&
	    strcmp(s, "100.64.0.0/16") == 0 && wg_net_invalid(&p) == NULL,
	    "masked: 100.64.0.0/16");
	wg_prefix_pton("fd00:1:2:3:ffff::1/65", &p);
	wg_prefix_mask(&p);
	CHECK(wg_prefix_ntop(&p, s, sizeof(s)) == 0 &&
	    strcmp(s, "fd00:1:2:3:8000::/65") == 0, "IPv6 /65 masked");
	CHECK(wg_prefix_pton("1.2.3.4/", &p) == -1 &&
	    wg_prefix_pton("/8", &p) == -1 &&
	    wg_prefix_pton("1.2.3.4/+8", &p) == -1 &&
	    wg_prefix_pton("1.2.3.4/0x8", &p) == -1 &&
	    wg_prefix_pton("::/1290", &p) == -1,
	    "bad prefixes refused by wg_prefix_pton");

	wg_prefix_pton("100.64.0.0/10", &p);
	wg_prefix_pton("100.100.1.0/24", &q);
	CHECK(wg_prefix_contains(&p, &q), "100.64.0.0/10 contains "
	    "100.100.1.0/24");
	CHECK(!wg_prefix_contains(&q, &p), "but not the other way round");
	wg_prefix_pton("100.128.0.0/24", &q);
	CHECK(!wg_prefix_contains(&p, &q), "nor 100.128.0.0/24");
	wg_prefix_pton("::/0", &q);
	CHECK(!wg_prefix_contains(&q, &p) && wg_prefix_contains(&q, &q),
	    "families differ: no; ::/0 contains itself");

	CHECK(wg_endpoint_pton("1.2.3.4:0", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, "endpoint port 0 refused");
	CHECK(wg_endpoint_pton("224.0.0.1:5", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, "multicast endpoint refused");
	CHECK(wg_endpoint_pton("0.0.0.0:5", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, "0.0.0.0 endpoint refused");
	CHECK(wg_endpoint_pton("255.255.255.255:5", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, "broadcast endpoint refused");
	CHECK(wg_endpoint_pton("[ff02::1]:5", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, "IPv6 multicast refused");
	CHECK(wg_endpoint_pton("[::]:5", &e) == 0 &&
	    wg_endpoint_invalid(&e) != NULL, ":: refused");
	memset(&e, 0, sizeof(e));
	CHECK(wg_endpoint_invalid(&e) == NULL, "no endpoint is fine");
	e.sa.sa_family = AF_UNIX;
	CHECK(wg_endpoint_invalid(&e) != NULL, "AF_UNIX endpoint refused");
	CHECK(wg_endpoint_pton("[fe80::1%2]:51820", &e) == 0 &&
	    wg_endpoint_ntop(&e, s, sizeof(s)) == 0 &&
	    strcmp(s, "[fe80::1%2]:51820") == 0, "scoped endpoint round trip");

	memset(&peer, 0, sizeof(peer));
	memset(peer.pubkey, 1, WG_KEY_LEN);
	CHECK(wg_peer_invalid(&peer) == NULL, "minimal peer accepted");
	peer.flags = 0x100;
	CHECK(wg_peer_invalid(&peer) != NULL, "unknown flags refused");
	peer.flags = WG_PEER_PRESHARED;
	CHECK(wg_peer_invalid(&peer) != NULL, "all-zero preshared key refused");
	peer.flags = 0;
	peer.nallowed = 1;
	CHECK(wg_peer_invalid(&peer) != NULL, "allowed count without array");
	peer.allowed = &q;
	peer.nallowed = WG_ALLOWED_MAX + 1;
	CHECK(wg_peer_invalid(&peer) != NULL, "too many allowed IPs refused");
	wg_prefix_pton("10.0.0.1/8", &p);
	peer.allowed = &p;
	peer.nallowed = 1;
	CHECK(wg_peer_invalid(&peer) != NULL, "allowed IP with host bits");
	peer.flags = WG_PEER_REMOVE;
	CHECK(wg_peer_invalid(&peer) == NULL, "removal needs only the key");

	CHECK(wg_mtu_invalid(575) && !wg_mtu_invalid(576) &&
	    !wg_mtu_invalid(8192) && wg_mtu_invalid(8193), "MTU 576..8192");
}

int
main(void)
{
	log_init(1, 0);
	log_procinit("wgnl_test");
	test_device();
	test_peer();
	test_endpoint();
	test_split(8192, 1, 300);
	test_split(1024, 1, 300);
	test_split(512, 40, 3);
	test_split(160, 5, 4);
	test_split(8192, 1000, 2);
	test_too_small();
	test_get();
	test_family();
	test_validators();
	return failed;
}
