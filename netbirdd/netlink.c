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
 * rtnetlink through libmnl: the WireGuard link, its address, MTU and
 * state, and our routes (tagged with WG_RTPROT).  Requests are
 * synchronous; functions return -1 with errno set and leave the logging
 * to wg.c, which knows what the request was for.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "compat.h"
#include "wg.h"

#define NL_DUMP_SIZE	32768	/* receive buffer: a dump part fits */
#define NL_MSG_SIZE	1024	/* our rtnetlink requests are small */
#define NL_TIMEOUT	5	/* seconds without an answer */
#define NL_COLLECT	32	/* stale entries deleted per dump */
#define NL_PASSES	64	/* dump-and-delete rounds at most */

struct nl_link {
	unsigned int	 ifindex;
	char		*kind;
	size_t		 kindlen;
};

struct nl_entry {
	struct wg_prefix	pfx;
	uint32_t		table;
	uint32_t		oif;
};

struct nl_collect {
	unsigned int	 ifindex;	/* 0: any */
	sa_family_t	 af;
	struct nl_entry	 e[NL_COLLECT];
	size_t		 n;
	int		 more;		/* some did not fit */
};

static struct nlmsghdr *nl_header(char *, size_t, uint16_t, uint16_t);
static int	nl_link_cb(const struct nlmsghdr *, void *);
static int	nl_linkinfo_cb(const struct nlattr *, void *);
static int	nl_addr_cb(const struct nlmsghdr *, void *);
static int	nl_route_cb(const struct nlmsghdr *, void *);
static void	nl_addr_put(struct nlmsghdr *, uint16_t,
		    const struct wg_prefix *);
static int	nl_addr_collect(struct mnl_socket *, uint32_t *, unsigned int,
		    sa_family_t, struct nl_collect *);
static int	nl_addr_del(struct mnl_socket *, uint32_t *, unsigned int,
		    const struct wg_prefix *);
static int	nl_addr_add(struct mnl_socket *, uint32_t *, unsigned int,
		    const struct wg_prefix *);
static int	nl_route_msg(struct mnl_socket *, uint32_t *, int,
		    const struct nl_entry *);
static int	prefix_equal(const struct wg_prefix *,
		    const struct wg_prefix *);

struct mnl_socket *
nl_open(int bus)
{
	struct mnl_socket	*nl;
	struct timeval		 tv = { NL_TIMEOUT, 0 };
	int			 on = 1, saved;

	if ((nl = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) == -1) {
		saved = errno;
		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	/* Errors need not echo our request back; older kernels lack it. */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof(on));
	return nl;
}

/*
 * Send one request and read answers until the ACK, the end of a dump or
 * an error.  Callbacks record their own errors and keep returning
 * MNL_CB_OK, so a dump is always read to its end.
 */
int
nl_request(struct mnl_socket *nl, uint32_t *seq, void *msg,
    int (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	struct nlmsghdr	*nlh = msg;
	char		 buf[NL_DUMP_SIZE];
	unsigned int	 portid;
	ssize_t		 n;
	int		 ret, saved;

	nlh->nlmsg_seq = ++*seq;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1) {
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			ret = MNL_CB_ERROR;
			break;
		}
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, portid, cb, arg);
	} while (ret > MNL_CB_STOP);
	/* a WG_CMD_GET_DEVICE answer carries the private key */
	saved = errno;
	explicit_bzero(buf, sizeof(buf));
	errno = saved;
	return ret == MNL_CB_ERROR ? -1 : 0;
}

static struct nlmsghdr *
nl_header(char *buf, size_t size, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*nlh;

	/* libmnl pads attributes without clearing the padding. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

int
nl_link_create(struct mnl_socket *nl, uint32_t *seq, const char *ifname,
    const char *kind)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nlattr		*nest;

	nlh = nl_header(buf, sizeof(buf), RTM_NEWLINK,
	    NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_str(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, nest);
	return nl_request(nl, seq, nlh, NULL, NULL);
}

int
nl_link_delete(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	nlh = nl_header(buf, sizeof(buf), RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nl_request(nl, seq, nlh, NULL, NULL);
}

static int
nl_linkinfo_cb(const struct nlattr *attr, void *arg)
{
	struct nl_link	*link = arg;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0 && link->kind != NULL)
		strlcpy(link->kind, mnl_attr_get_str(attr), link->kindlen);
	return MNL_CB_OK;
}

static int
nl_link_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_link		*link = arg;
	const struct ifinfomsg	*ifi;
	const struct nlattr	*attr;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	link->ifindex = ifi->ifi_index;
	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(attr) != IFLA_LINKINFO)
			continue;
		(void)mnl_attr_parse_nested(attr, nl_linkinfo_cb, link);
	}
	return MNL_CB_OK;
}

/* The index and kind ("" if none) of a link; -1 and ENODEV if absent. */
int
nl_link_get(struct mnl_socket *nl, uint32_t *seq, const char *ifname,
    unsigned int *ifindex, char *kind, size_t kindlen)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nl_link		 link;

	memset(&link, 0, sizeof(link));
	link.kind = kind;
	link.kindlen = kindlen;
	if (kind != NULL && kindlen > 0)
		kind[0] = '\0';
	nlh = nl_header(buf, sizeof(buf), RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (nl_request(nl, seq, nlh, nl_link_cb, &link) == -1)
		return -1;
	if (link.ifindex == 0) {
		errno = ENODEV;
		return -1;
	}
	*ifindex = link.ifindex;
	return 0;
}

/* mtu 0 keeps the MTU; up -1 keeps the state. */
int
nl_link_set(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex,
    unsigned int mtu, int up)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	nlh = nl_header(buf, sizeof(buf), RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up != -1) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = up ? IFF_UP : 0;
	}
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_request(nl, seq, nlh, NULL, NULL);
}

static int
prefix_equal(const struct wg_prefix *a, const struct wg_prefix *b)
{
	if (a->af != b->af || a->plen != b->plen)
		return 0;
	if (a->af == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

static void
nl_addr_put(struct nlmsghdr *nlh, uint16_t type, const struct wg_prefix *p)
{
	if (p->af == AF_INET)
		mnl_attr_put(nlh, type, sizeof(p->addr.v4), &p->addr.v4);
	else
		mnl_attr_put(nlh, type, sizeof(p->addr.v6), &p->addr.v6);
}

static int
nl_addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_collect	*c = arg;
	const struct ifaddrmsg	*ifa;
	const struct nlattr	*attr, *local = NULL, *address = NULL;
	struct nl_entry		*e;
	size_t			 alen;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_index != c->ifindex || ifa->ifa_family != c->af ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
	}
	if (local == NULL)
		local = address;
	alen = c->af == AF_INET ? 4 : 16;
	if (local == NULL || mnl_attr_get_payload_len(local) != alen)
		return MNL_CB_OK;
	if (c->n == nitems(c->e)) {
		c->more = 1;
		return MNL_CB_OK;
	}
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->pfx.af = c->af;
	e->pfx.plen = ifa->ifa_prefixlen;
	memcpy(&e->pfx.addr, mnl_attr_get_payload(local), alen);
	return MNL_CB_OK;
}

static int
nl_addr_collect(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex,
    sa_family_t af, struct nl_collect *c)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	memset(c, 0, sizeof(*c));
	c->ifindex = ifindex;
	c->af = af;
	nlh = nl_header(buf, sizeof(buf), RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = af;
	return nl_request(nl, seq, nlh, nl_addr_cb, c);
}

static int
nl_addr_del(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex,
    const struct wg_prefix *p)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	nlh = nl_header(buf, sizeof(buf), RTM_DELADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->af;
	ifa->ifa_prefixlen = p->plen;
	ifa->ifa_index = ifindex;
	nl_addr_put(nlh, IFA_LOCAL, p);
	return nl_request(nl, seq, nlh, NULL, NULL);
}

static int
nl_addr_add(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex,
    const struct wg_prefix *p)
{
	char			 buf[NL_MSG_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	nlh = nl_header(buf, sizeof(buf), RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = p->af;
	ifa->ifa_prefixlen = p->plen;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* No DAD on a point-to-point tunnel: the address is usable at once. */
	if (p->af == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	/* local == address: no peer address, the kernel adds the net route */
	nl_addr_put(nlh, IFA_LOCAL, p);
	nl_addr_put(nlh, IFA_ADDRESS, p);
	return nl_request(nl, seq, nlh, NULL, NULL);
}

/*
 * Make p the only global address of family af on the link (none if p is
 * NULL).  Link-local addresses are left alone.
 */
int
nl_addr_replace(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex,
    sa_family_t af, const struct wg_prefix *p)
{
	struct nl_collect	c;
	size_t			i, stale;
	int			pass;

	for (pass = 0; pass < NL_PASSES; pass++) {
		if (nl_addr_collect(nl, seq, ifindex, af, &c) == -1)
			return -1;
		for (i = 0, stale = 0; i < c.n; i++) {
			if (p != NULL && prefix_equal(&c.e[i].pfx, p))
				continue;
			stale++;
			if (nl_addr_del(nl, seq, ifindex, &c.e[i].pfx) == -1 &&
			    errno != EADDRNOTAVAIL)
				return -1;
		}
		if (!c.more || stale == 0)
			break;
	}
	if (p == NULL)
		return 0;
	return nl_addr_add(nl, seq, ifindex, p);
}

static int
nl_route_msg(struct mnl_socket *nl, uint32_t *seq, int add,
    const struct nl_entry *e)
{
	char		 buf[NL_MSG_SIZE];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;

	if (add)
		nlh = nl_header(buf, sizeof(buf), RTM_NEWROUTE,
		    NLM_F_CREATE | NLM_F_REPLACE);
	else
		nlh = nl_header(buf, sizeof(buf), RTM_DELROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = e->pfx.af;
	rtm->rtm_dst_len = e->pfx.plen;
	rtm->rtm_table = e->table < 256 ? e->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = WG_RTPROT;
	rtm->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, e->table);
	nl_addr_put(nlh, RTA_DST, &e->pfx);
	if (e->oif != 0)
		mnl_attr_put_u32(nlh, RTA_OIF, e->oif);
	return nl_request(nl, seq, nlh, NULL, NULL);
}

/* A route to p through the link, in the main table; ours by protocol. */
int
nl_route(struct mnl_socket *nl, uint32_t *seq, int add, unsigned int ifindex,
    const struct wg_prefix *p)
{
	struct nl_entry	e;

	memset(&e, 0, sizeof(e));
	e.pfx = *p;
	e.table = RT_TABLE_MAIN;
	e.oif = ifindex;
	return nl_route_msg(nl, seq, add, &e);
}

static int
nl_route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_collect	*c = arg;
	const struct rtmsg	*rtm;
	const struct nlattr	*attr;
	struct nl_entry		 e;
	size_t			 alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_protocol != WG_RTPROT || rtm->rtm_family != c->af)
		return MNL_CB_OK;
	alen = c->af == AF_INET ? 4 : 16;
	memset(&e, 0, sizeof(e));
	e.pfx.af = c->af;
	e.pfx.plen = rtm->rtm_dst_len;
	e.table = rtm->rtm_table;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_DST:
			if (mnl_attr_get_payload_len(attr) == alen)
				memcpy(&e.pfx.addr, mnl_attr_get_payload(attr),
				    alen);
			break;
		case RTA_TABLE:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				e.table = mnl_attr_get_u32(attr);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				e.oif = mnl_attr_get_u32(attr);
			break;
		}
	}
	if (c->ifindex != 0 && e.oif != c->ifindex)
		return MNL_CB_OK;
	if (c->n == nitems(c->e)) {
		c->more = 1;
		return MNL_CB_OK;
	}
	c->e[c->n++] = e;
	return MNL_CB_OK;
}

/* Delete our routes (through ifindex, or all of them if it is 0). */
int
nl_route_flush(struct mnl_socket *nl, uint32_t *seq, unsigned int ifindex)
{
	static const sa_family_t afs[] = { AF_INET, AF_INET6 };
	char			 buf[NL_MSG_SIZE];
	struct nl_collect	 c;
	struct nlmsghdr		*nlh;
	struct rtmsg		*rtm;
	size_t			 i, f;
	int			 pass;

	for (f = 0; f < nitems(afs); f++) {
		for (pass = 0; pass < NL_PASSES; pass++) {
			memset(&c, 0, sizeof(c));
			c.ifindex = ifindex;
			c.af = afs[f];
			nlh = nl_header(buf, sizeof(buf), RTM_GETROUTE,
			    NLM_F_DUMP);
			rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
			rtm->rtm_family = afs[f];
			if (nl_request(nl, seq, nlh, nl_route_cb, &c) == -1)
				return -1;
			for (i = 0; i < c.n; i++)
				if (nl_route_msg(nl, seq, 0, &c.e[i]) == -1 &&
				    errno != ESRCH)
					return -1;
			if (!c.more)
				break;
		}
	}
	return 0;
}
