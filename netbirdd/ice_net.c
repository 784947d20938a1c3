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
 * The network side of the ice process (protocol.md 4.8):
 *
 * - The raw socket of the WireGuard port, from the parent.  Its filter
 *   passes STUN to that port only; we read every packet, decode it and
 *   hand Binding requests to the agent whose local ufrag opens their
 *   USERNAME, responses to the agent whose id opens their transaction
 *   id (ice_net.h), or to our own Binding requests to STUN servers.
 *   STUN leaves from the WireGuard port on the same socket.
 * - Host addresses, from the parent when we ask: at start (when the raw
 *   socket comes) and every NET_MONITOR_SEC.
 * - STUN and TURN servers, from management's configuration; their
 *   names are resolved by the dns process at start, every
 *   NET_MONITOR_SEC, and every NET_DNS_RETRY_SEC while unresolved.
 * - Server-reflexive addresses: a Binding request from the WireGuard
 *   port to every STUN server, retransmitted after 0.5, 1.5 and 3.5 s,
 *   given up at 5 s, again every NET_MONITOR_SEC, and when an agent
 *   starts and the last answer is NET_SRFLX_FRESH_SEC old: a NAT that
 *   changed its mapping is seen by the next attempt, as Go's agents
 *   see it by gathering each time.  Every agent shares them.
 *
 * When the host or server-reflexive addresses change, every agent is
 * told and so is the callback ice_net_on_change() set (the candidate
 * monitor: peers offer again).  Only IPv4: the raw socket is IPv4.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "ice_net.h"

#define NET_MONITOR_SEC		300	/* NetBird's monitor period */
#define NET_DNS_RETRY_SEC	30
#define NET_SRFLX_FRESH_SEC	10
#define NET_READ_BURST		64	/* datagrams per read event */
#define NET_TOLD_MAX		(ICE_NET_HOSTS_MAX + ICE_NET_SRFLX_MAX)
#define NET_DROP_LOG_SEC	60	/* bad packets: a warning a minute */

/* Binding to a STUN server: send at 0, then after each of these (ms). */
static const int	net_rtx_ms[] = { 500, 1000, 2000, 1500 };

struct net_server {
	struct ice_uri		 uri;
	char			 user[CTL_MSG_LEN];	/* TURN */
	char			 pwd[CTL_MSG_LEN];
	struct sockaddr_storage	 addr;	/* AF_UNSPEC: none yet */
	uint32_t		 qid;		/* our last query, or 0 */

	/* STUN: our Binding request and what it told */
	struct event		 ev;
	int			 busy;
	size_t			 step;		/* in net_rtx_ms */
	uint8_t			 tid[ICE_STUN_TID_LEN];
	struct sockaddr_storage	 mapped;	/* AF_UNSPEC: none */
	time_t			 answered;	/* the last answer */
	char			 why[ICE_NET_WHY_LEN];	/* the last failure */
};

/* A name looked up for another module. */
struct net_lookup {
	uint32_t		 qid;		/* 0: free */
	uint16_t		 port;
	char			 host[NBD_DNS_HOST_MAX];
	ice_net_resolved_cb	 cb;
	void			*arg;
};

RB_HEAD(net_ids, ice_net_agent);
RB_HEAD(net_ufrags, ice_net_agent);
RB_PROTOTYPE(net_ids, ice_net_agent, by_id, net_id_cmp)
RB_PROTOTYPE(net_ufrags, ice_net_agent, by_ufrag, net_ufrag_cmp)

static void	 net_setup(void);
static int	 net_id_cmp(const struct ice_net_agent *,
		    const struct ice_net_agent *);
static int	 net_ufrag_cmp(const struct ice_net_agent *,
		    const struct ice_net_agent *);
static void	 net_read(int, short, void *);
static void	 net_packet(const uint8_t *, size_t);
static void	 net_drop(const char *, const struct sockaddr_storage *);
static void	 net_request(const struct ice_stun *, const uint8_t *,
		    size_t, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	 net_response(const struct ice_stun *, const uint8_t *,
		    size_t, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	 net_binding_response(const struct ice_stun *,
		    const struct sockaddr_storage *);
static void	 net_monitor(int, short, void *);
static void	 net_dns_retry(int, short, void *);
static void	 net_ask_hosts(void);
static void	 net_servers_set(struct net_server *, size_t *,
		    const struct net_server *, size_t);
static int	 net_server_parse(const char *, int, struct net_server *);
static void	 net_resolve_all(int);
static void	 net_resolve(struct net_server *);
static struct net_server *net_server_by_qid(uint32_t);
static uint32_t	 net_query(const char *, uint16_t);
static int	 net_lookup_answer(const struct dns_answer *);
static void	 net_bind_start(struct net_server *);
static void	 net_bind_send(struct net_server *);
static void	 net_bind_timer(int, short, void *);
static void	 net_bind_lost(struct net_server *);
static void	 net_bind_failed(struct net_server *, const char *);
static void	 net_bind_older(time_t);
static void	 net_bind_fresh(void);
static void	 net_changed(void);
static void	 net_update_agents(void);
static int	 net_ipv4_ok(const struct sockaddr_storage *);

RB_GENERATE(net_ids, ice_net_agent, by_id, net_id_cmp)
RB_GENERATE(net_ufrags, ice_net_agent, by_ufrag, net_ufrag_cmp)

static struct {
	int			 setup;
	int			 fd;		/* -1: no raw socket */
	uint16_t		 port;
	struct event		 ev;
	struct event		 monitor_ev;
	struct event		 dns_ev;

	struct in_addr		 hosts[ICE_NET_HOSTS_MAX];
	size_t			 nhosts;
	struct net_server	 stun[NBD_SERVERS_MAX];
	size_t			 nstun;
	struct net_server	 turn[NBD_SERVERS_MAX];
	size_t			 nturn;
	uint32_t		 qid;
	struct net_lookup	 lookups[ICE_NET_LOOKUPS_MAX];
	int			 lookups_full;	/* logged: until one starts */

	/* the local addresses the agents were last told of */
	struct sockaddr_storage	 told[NET_TOLD_MAX];
	size_t			 ntold;
	void			(*on_change)(void *);
	void			*on_change_arg;

	struct net_ids		 ids;
	struct net_ufrags	 ufrags;
	uint32_t		 next_id;

	unsigned int		 dropped;
	time_t			 drop_logged;
} net = { .fd = -1 };

static void
net_setup(void)
{
	size_t	i;

	if (net.setup)
		return;
	net.setup = 1;
	RB_INIT(&net.ids);
	RB_INIT(&net.ufrags);
	evtimer_set(&net.monitor_ev, net_monitor, NULL);
	evtimer_set(&net.dns_ev, net_dns_retry, NULL);
	for (i = 0; i < nitems(net.stun); i++)
		evtimer_set(&net.stun[i].ev, net_bind_timer, &net.stun[i]);
}

static int
net_id_cmp(const struct ice_net_agent *a, const struct ice_net_agent *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

/* By ufrag, then id: two agents may share a ufrag for a moment. */
static int
net_ufrag_cmp(const struct ice_net_agent *a, const struct ice_net_agent *b)
{
	int	c;

	if ((c = strcmp(a->ufrag, b->ufrag)) != 0)
		return c;
	return net_id_cmp(a, b);
}

/* ---- what ice.c calls -------------------------------------------- */

/*
 * The raw socket, at start or when the WireGuard port changed.  The
 * candidate monitor starts with the first one.
 */
void
ice_net_raw_socket(int fd, const struct nbd_raw_socket *rs)
{
	struct timeval	tv = { NET_MONITOR_SEC, 0 };
	int		flags;
	size_t		i;

	net_setup();
	if (net.fd != -1) {
		event_del(&net.ev);
		close(net.fd);
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("%s: fcntl", __func__);
	net.fd = fd;
	net.port = rs->port;
	event_set(&net.ev, fd, EV_READ | EV_PERSIST, net_read, NULL);
	event_add(&net.ev, NULL);
	log_debug("raw socket for port %u", net.port);
	evtimer_add(&net.monitor_ev, &tv);
	net_ask_hosts();
	for (i = 0; i < net.nstun; i++)
		net_bind_start(&net.stun[i]);
	net_changed();
}

/* The parent's answer to IMSG_HOST_ADDRS_REQ, checked by ice.c. */
void
ice_net_host_addrs(const struct nbd_host_addrs *ha)
{
	struct in_addr	a;
	uint32_t	i;
	size_t		j, n = 0;

	net_setup();
	for (i = 0; i < ha->n && i < NBD_HOST_ADDRS_MAX; i++) {
		if (ha->addr[i].af != AF_INET)
			continue;
		memcpy(&a, ha->addr[i].addr, sizeof(a));
		if (a.s_addr == htonl(INADDR_ANY) ||
		    (ntohl(a.s_addr) >> 24) == IN_LOOPBACKNET)
			continue;
		for (j = 0; j < n; j++)
			if (net.hosts[j].s_addr == a.s_addr)
				break;
		if (j < n || n == nitems(net.hosts))
			continue;
		net.hosts[n++] = a;
	}
	net.nhosts = n;
	log_debug("%zu host addresses", n);
	net_changed();
}

/*
 * Management's servers, after every update.  Servers whose URI stays
 * keep what we know of them; a list that is the same changes nothing
 * but the TURN credentials, which the agents take at once.
 */
void
ice_net_config(const struct nbd_netbird_config *c)
{
	struct net_server	 stun[NBD_SERVERS_MAX], turn[NBD_SERVERS_MAX];
	size_t			 nstun = 0, nturn = 0, i;

	net_setup();
	memset(stun, 0, sizeof(stun));
	memset(turn, 0, sizeof(turn));
	for (i = 0; i < c->nstun && i < NBD_SERVERS_MAX; i++)
		if (net_server_parse(c->stun[i], ICE_URI_STUN,
		    &stun[nstun]) == 0)
			nstun++;
	for (i = 0; i < c->nturn && i < NBD_SERVERS_MAX; i++) {
		if (net_server_parse(c->turn[i].uri, ICE_URI_TURN,
		    &turn[nturn]) == -1)
			continue;
		strlcpy(turn[nturn].user, c->turn[i].user,
		    sizeof(turn[nturn].user));
		strlcpy(turn[nturn].pwd, c->turn[i].password,
		    sizeof(turn[nturn].pwd));
		nturn++;
	}
	net_servers_set(net.stun, &net.nstun, stun, nstun);
	net_servers_set(net.turn, &net.nturn, turn, nturn);
	explicit_bzero(turn, sizeof(turn));
	net_resolve_all(0);
	net_update_agents();
	net_changed();
}

/* From the dns process, which we trust to answer in its format. */
void
ice_net_dns_answer(struct imsg *imsg)
{
	struct dns_answer	 a;
	struct net_server	*s;
	struct sockaddr_storage	 old;
	uint32_t		 i;
	int			 af;

	imsg_data_exact(imsg, &a, sizeof(a), __func__);
	if (a.naddrs > NBD_DNS_MAX_ADDRS)
		fatalx("%s: %u addresses", __func__, a.naddrs);
	for (i = 0; i < a.naddrs; i++)
		if ((af = a.addrs[i].ss_family) != AF_INET && af != AF_INET6)
			fatalx("%s: address family %d", __func__, af);
	if (a.qid != 0 && net_lookup_answer(&a))
		return;
	if (a.qid == 0 || (s = net_server_by_qid(a.qid)) == NULL) {
		log_debug("stale answer %u from dns", a.qid);
		return;
	}
	s->qid = 0;
	if (a.error != 0) {
		snprintf(s->why, sizeof(s->why), "cannot resolve: %s",
		    gai_strerror(a.error));
		log_warnx("%s: %s", s->uri.host, s->why);
		return;
	}
	for (i = 0; i < a.naddrs; i++)
		if (a.addrs[i].ss_family == AF_INET)
			break;
	if (i == a.naddrs) {
		strlcpy(s->why, "no IPv4 address", sizeof(s->why));
		log_warnx("%s: %s", s->uri.host, s->why);
		return;
	}
	old = s->addr;
	s->addr = a.addrs[i];
	((struct sockaddr_in *)&s->addr)->sin_port = htons(s->uri.port);
	if (ice_addr_eq(&old, &s->addr))
		return;
	log_debug("%s server %s resolved", s->uri.scheme == ICE_URI_STUN ?
	    "STUN" : "TURN", s->uri.host);
	if (s->uri.scheme == ICE_URI_STUN)
		net_bind_start(s);
	else
		net_update_agents();
}

uint16_t
ice_net_wg_port(void)
{
	return net.fd == -1 ? 0 : net.port;
}

int
ice_net_have_turn(void)
{
	struct sockaddr_storage	 ss;
	const char		*u, *p;

	return ice_net_turn(&ss, &u, &p) == 0;
}

/*
 * The STUN servers, then the TURN servers, as netbirdctl shows them:
 * the URI as Go writes it, the address, and for STUN whether the last
 * Binding request was answered with an address.
 */
size_t
ice_net_servers(struct ice_net_server *out, size_t max)
{
	const struct net_server	*s;
	struct ice_net_server	*o;
	size_t			 i, n = 0;

	for (i = 0; i < net.nstun + net.nturn && n < max; i++) {
		s = i < net.nstun ? &net.stun[i] : &net.turn[i - net.nstun];
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->scheme = s->uri.scheme;
		snprintf(o->uri, sizeof(o->uri), "%s:%s%s%s:%u%s",
		    s->uri.scheme == ICE_URI_STUN ? "stun" : "turn",
		    strchr(s->uri.host, ':') != NULL ? "[" : "", s->uri.host,
		    strchr(s->uri.host, ':') != NULL ? "]" : "", s->uri.port,
		    s->uri.scheme == ICE_URI_STUN ? "" : "?transport=udp");
		o->addr = s->addr;
		strlcpy(o->why, s->why, sizeof(o->why));
		if (s->mapped.ss_family == AF_INET)
			o->available = 1;
		else
			o->available = s->why[0] != '\0' ? 0 : -1;
		o->user = s->user;
		o->pwd = s->pwd;
	}
	return n;
}

void
ice_net_on_change(void (*cb)(void *), void *arg)
{
	net.on_change = cb;
	net.on_change_arg = arg;
}

/* ---- what the agents call ---------------------------------------- */

void
ice_net_agent_add(struct ice_net_agent *na, struct ice_agent *agent,
    const char *ufrag)
{
	net_setup();
	na->agent = agent;
	na->ufrag = ufrag;
	do {
		na->id = ++net.next_id;
	} while (na->id == 0 || RB_FIND(net_ids, &net.ids, na) != NULL);
	RB_INSERT(net_ids, &net.ids, na);
	RB_INSERT(net_ufrags, &net.ufrags, na);
	net_bind_fresh();
}

void
ice_net_agent_del(struct ice_net_agent *na)
{
	RB_REMOVE(net_ids, &net.ids, na);
	RB_REMOVE(net_ufrags, &net.ufrags, na);
}

/*
 * A transaction id for a request of agent na (NULL: ours): its id, then
 * 64 random bits.  Responses that reach agents carry MESSAGE-INTEGRITY
 * as well; responses of STUN servers must come from the server.
 */
void
ice_net_tid(const struct ice_net_agent *na, uint8_t tid[ICE_STUN_TID_LEN])
{
	uint32_t	id = na == NULL ? 0 : htonl(na->id);

	ice_stun_tid(tid);
	memcpy(tid, &id, sizeof(id));
}

uint32_t
ice_net_tid_owner(const uint8_t tid[ICE_STUN_TID_LEN])
{
	uint32_t	id;

	memcpy(&id, tid, sizeof(id));
	return ntohl(id);
}

int
ice_net_send(const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, const void *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN + 8];

	if (net.fd == -1 || dst->ss_family != AF_INET)
		return -1;
	if (ice_raw_send(net.fd, net.port, src, dst, buf, len) == -1) {
		log_debug("STUN to %s: %s", ice_addr_str(dst, a, sizeof(a)),
		    strerror(errno));
		return -1;
	}
	return 0;
}

size_t
ice_net_hosts(struct sockaddr_storage *out, size_t max)
{
	struct sockaddr_in	*sin;
	size_t			 i;

	if (net.fd == -1)
		return 0;
	for (i = 0; i < net.nhosts && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		sin = (struct sockaddr_in *)&out[i];
		sin->sin_family = AF_INET;
		sin->sin_addr = net.hosts[i];
		sin->sin_port = htons(net.port);
	}
	return i;
}

/* Distinct mapped addresses, in the order of the servers. */
size_t
ice_net_srflx(struct sockaddr_storage *out, size_t max)
{
	size_t	i, j, n = 0;

	if (net.fd == -1)
		return 0;
	for (i = 0; i < net.nstun && n < max; i++) {
		if (net.stun[i].mapped.ss_family != AF_INET)
			continue;
		for (j = 0; j < n; j++)
			if (ice_addr_eq(&out[j], &net.stun[i].mapped))
				break;
		if (j == n)
			out[n++] = net.stun[i].mapped;
	}
	return n;
}

/* The first TURN server with an IPv4 address. */
int
ice_net_turn(struct sockaddr_storage *ss, const char **user,
    const char **pwd)
{
	size_t	i;

	for (i = 0; i < net.nturn; i++) {
		if (net.turn[i].addr.ss_family != AF_INET)
			continue;
		*ss = net.turn[i].addr;
		*user = net.turn[i].user;
		*pwd = net.turn[i].pwd;
		return 0;
	}
	return -1;
}

/* ---- the raw socket ------------------------------------------------ */

static void
net_read(int fd, short event, void *arg)
{
	uint8_t		buf[ICE_RAW_MAX];
	ssize_t		n;
	int		i;

	(void)event;
	(void)arg;
	for (i = 0; i < NET_READ_BURST; i++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("%s: recv", __func__);
			return;
		}
		net_packet(buf, n);
	}
}

static void
net_packet(const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage	 src, dst;
	struct ice_stun		 st;
	const uint8_t		*p;
	size_t			 plen;

	if (ice_raw_decode(pkt, len, net.port, &src, &dst, &p, &plen) == -1)
		return;
	if (!ice_stun_is_stun(p, plen))
		return;
	if (ice_stun_parse(p, plen, &st) == -1) {
		net_drop("malformed STUN", &src);
		return;
	}
	if (st.method != ICE_STUN_BINDING)
		return;
	switch (st.cls) {
	case ICE_STUN_REQUEST:
		net_request(&st, p, plen, &src, &dst);
		break;
	case ICE_STUN_SUCCESS:
	case ICE_STUN_ERROR:
		net_response(&st, p, plen, &src, &dst);
		break;
	default:
		break;
	}
}

/* Bad packets from the network: counted, one warning a minute. */
static void
net_drop(const char *why, const struct sockaddr_storage *src)
{
	char	a[INET6_ADDRSTRLEN + 8];
	time_t	now = mono_sec();

	net.dropped++;
	if (net.drop_logged != 0 && now - net.drop_logged < NET_DROP_LOG_SEC)
		return;
	log_warnx("dropped %u bad packets, the last from %s: %s",
	    net.dropped, ice_addr_str(src, a, sizeof(a)), why);
	net.dropped = 0;
	net.drop_logged = now;
}

/* USERNAME "our ufrag:their ufrag": the agent checks the rest. */
static void
net_request(const struct ice_stun *st, const uint8_t *p, size_t len,
    const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	struct ice_net_agent	 key, *na;
	char			 ufrag[ICE_UFRAG_MAX];
	const char		*colon;
	size_t			 n;

	if ((colon = strchr(st->username, ':')) == NULL) {
		net_drop("a request without a ufrag pair", src);
		return;
	}
	if ((n = colon - st->username) >= sizeof(ufrag)) {
		net_drop("a request with a long ufrag", src);
		return;
	}
	memcpy(ufrag, st->username, n);
	ufrag[n] = '\0';
	key.ufrag = ufrag;
	key.id = 0;
	na = RB_NFIND(net_ufrags, &net.ufrags, &key);
	if (na == NULL || strcmp(na->ufrag, ufrag) != 0) {
		log_debug("a check for ufrag %s, which no agent has", ufrag);
		return;
	}
	ice_agent_stun_in(na->agent, st, p, len, src, dst);
}

static void
net_response(const struct ice_stun *st, const uint8_t *p, size_t len,
    const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	struct ice_net_agent	 key, *na;

	if ((key.id = ice_net_tid_owner(st->tid)) == 0) {
		net_binding_response(st, src);
		return;
	}
	if ((na = RB_FIND(net_ids, &net.ids, &key)) == NULL) {
		log_debug("a response for agent %u, which is gone", key.id);
		return;
	}
	ice_agent_stun_in(na->agent, st, p, len, src, dst);
}

/* A STUN server's answer: our server-reflexive address. */
static void
net_binding_response(const struct ice_stun *st,
    const struct sockaddr_storage *src)
{
	struct net_server	*s = NULL;
	char			 a[INET6_ADDRSTRLEN + 8];
	char			 why[sizeof(s->why)];
	size_t			 i;

	for (i = 0; i < net.nstun; i++)
		if (net.stun[i].busy && memcmp(net.stun[i].tid, st->tid,
		    sizeof(st->tid)) == 0)
			s = &net.stun[i];
	if (s == NULL || !ice_addr_eq(&s->addr, src)) {
		log_debug("a Binding response nobody asked for");
		return;
	}
	s->busy = 0;
	evtimer_del(&s->ev);
	s->answered = mono_sec();
	if (st->cls == ICE_STUN_ERROR) {
		snprintf(why, sizeof(why), "error %d", st->error_code);
		net_bind_failed(s, why);
		return;
	}
	if (!net_ipv4_ok(&st->mapped)) {
		net_bind_failed(s, "no usable mapped address");
		return;
	}
	if (s->why[0] != '\0')
		log_info("STUN server %s answers again", s->uri.host);
	s->why[0] = '\0';
	if (ice_addr_eq(&s->mapped, &st->mapped))
		return;
	s->mapped = st->mapped;
	log_info("server-reflexive address %s from %s",
	    ice_addr_str(&s->mapped, a, sizeof(a)), s->uri.host);
	net_changed();
}

/* ---- the candidate monitor ----------------------------------------- */

static void
net_monitor(int fd, short event, void *arg)
{
	struct timeval	tv = { NET_MONITOR_SEC, 0 };
	size_t		i;

	(void)fd;
	(void)event;
	(void)arg;
	evtimer_add(&net.monitor_ev, &tv);
	net_ask_hosts();
	net_resolve_all(1);
	for (i = 0; i < net.nstun; i++)
		net_bind_start(&net.stun[i]);
}

static void
net_dns_retry(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	net_resolve_all(0);
}

/* A test driver has no parent: it feeds the addresses itself. */
static void
net_ask_hosts(void)
{
	if (penv.iev[PROC_PARENT] == NULL)
		return;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_HOST_ADDRS_REQ, 0, 0,
	    -1, NULL, 0) == -1)
		fatal("%s: imsgev_compose", __func__);
}

/* ---- servers -------------------------------------------------------- */

/* The new list; a server that stays keeps its address and mapping. */
static void
net_servers_set(struct net_server *cur, size_t *ncur,
    const struct net_server *new, size_t nnew)
{
	struct net_server	 old[NBD_SERVERS_MAX];
	struct event		 ev;
	size_t			 i, j;

	memcpy(old, cur, sizeof(old));
	for (i = 0; i < *ncur; i++)
		if (old[i].busy)
			evtimer_del(&cur[i].ev);
	for (i = 0; i < NBD_SERVERS_MAX; i++) {
		ev = cur[i].ev;
		if (i < nnew)
			cur[i] = new[i];
		else
			memset(&cur[i], 0, sizeof(cur[i]));
		cur[i].ev = ev;
		for (j = 0; i < nnew && j < *ncur; j++) {
			if (old[j].uri.scheme != new[i].uri.scheme ||
			    old[j].uri.port != new[i].uri.port ||
			    strcmp(old[j].uri.host, new[i].uri.host) != 0)
				continue;
			cur[i].addr = old[j].addr;
			cur[i].mapped = old[j].mapped;
			cur[i].qid = old[j].qid;
			memcpy(cur[i].why, old[j].why, sizeof(cur[i].why));
			break;
		}
	}
	*ncur = nnew;
	explicit_bzero(old, sizeof(old));
	for (i = 0; i < nnew; i++)
		if (cur[i].uri.scheme == ICE_URI_STUN &&
		    cur[i].addr.ss_family == AF_INET &&
		    cur[i].mapped.ss_family == AF_UNSPEC)
			net_bind_start(&cur[i]);
}

static int
net_server_parse(const char *uri, int scheme, struct net_server *s)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&s->addr;
	const char		*why;

	if (ice_uri_parse(uri, &s->uri, &why) == -1) {
		log_warnx("server %s ignored: %s", uri, why);
		return -1;
	}
	if (s->uri.scheme != scheme) {
		log_warnx("server %s ignored: not a %s URI", uri,
		    scheme == ICE_URI_STUN ? "STUN" : "TURN");
		return -1;
	}
	if (inet_pton(AF_INET, s->uri.host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(s->uri.port);
	}
	return 0;
}

/* Names without an address (all of them: again) go to dns. */
static void
net_resolve_all(int again)
{
	struct timeval		 tv = { NET_DNS_RETRY_SEC, 0 };
	struct net_server	*s;
	struct in_addr		 in;
	size_t			 i;
	int			 left = 0;

	for (i = 0; i < net.nstun + net.nturn; i++) {
		s = i < net.nstun ? &net.stun[i] : &net.turn[i - net.nstun];
		if (inet_pton(AF_INET, s->uri.host, &in) == 1)
			continue;
		if (again || s->addr.ss_family == AF_UNSPEC)
			net_resolve(s);
		if (s->addr.ss_family == AF_UNSPEC)
			left = 1;
	}
	if (left)
		evtimer_add(&net.dns_ev, &tv);
	else
		evtimer_del(&net.dns_ev);
}

static void
net_resolve(struct net_server *s)
{
	s->qid = net_query(s->uri.host, s->uri.port);
}

/* A question to dns; its id, or 0 when there is no dns process yet. */
static uint32_t
net_query(const char *host, uint16_t port)
{
	struct dns_query	q;

	if (penv.iev[PROC_DNS] == NULL) {
		log_debug("%s: no dns process yet", __func__);
		return 0;
	}
	memset(&q, 0, sizeof(q));
	if (++net.qid == 0)
		net.qid = 1;
	q.qid = net.qid;
	q.port = port;
	strlcpy(q.host, host, sizeof(q.host));
	if (imsgev_compose(penv.iev[PROC_DNS], IMSG_DNS_QUERY, 0, 0, -1,
	    &q, sizeof(q)) == -1)
		fatal("%s: imsgev_compose", __func__);
	return q.qid;
}

/*
 * A name for another module (the relay).  Returns the lookup's id, or
 * 0 when none can start now (no dns yet, or ICE_NET_LOOKUPS_MAX under
 * way, logged once until a lookup starts again): the caller tries again
 * later.  The callback gets the IPv4 addresses, port set, or none with
 * the reason logged.
 */
uint32_t
ice_net_resolve(const char *host, uint16_t port, ice_net_resolved_cb cb,
    void *arg)
{
	struct net_lookup	*l = NULL;
	size_t			 i;

	for (i = 0; i < nitems(net.lookups); i++)
		if (net.lookups[i].qid == 0) {
			l = &net.lookups[i];
			break;
		}
	if (l == NULL) {
		if (!net.lookups_full)
			log_warnx("%s: %zu lookups under way, %s waits",
			    __func__, nitems(net.lookups), host);
		net.lookups_full = 1;
		return 0;
	}
	if ((l->qid = net_query(host, port)) == 0)
		return 0;
	net.lookups_full = 0;
	l->port = port;
	l->cb = cb;
	l->arg = arg;
	strlcpy(l->host, host, sizeof(l->host));
	return l->qid;
}

void
ice_net_resolve_cancel(uint32_t qid)
{
	size_t	i;

	for (i = 0; qid != 0 && i < nitems(net.lookups); i++)
		if (net.lookups[i].qid == qid)
			net.lookups[i].qid = 0;
}

/* 1 if the answer was for a lookup (then it was handed on), else 0. */
static int
net_lookup_answer(const struct dns_answer *a)
{
	struct sockaddr_storage	 v4[NBD_DNS_MAX_ADDRS];
	struct net_lookup	*l = NULL;
	size_t			 i, n = 0;

	for (i = 0; i < nitems(net.lookups); i++)
		if (net.lookups[i].qid == a->qid)
			l = &net.lookups[i];
	if (l == NULL)
		return 0;
	l->qid = 0;
	if (a->error != 0)
		log_warnx("cannot resolve %s: %s", l->host,
		    gai_strerror(a->error));
	for (i = 0; a->error == 0 && i < a->naddrs; i++) {
		if (a->addrs[i].ss_family != AF_INET)
			continue;
		v4[n] = a->addrs[i];
		((struct sockaddr_in *)&v4[n++])->sin_port = htons(l->port);
	}
	if (a->error == 0 && n == 0)
		log_warnx("%s has no IPv4 address", l->host);
	l->cb(l->arg, v4, n);
	return 1;
}

static struct net_server *
net_server_by_qid(uint32_t qid)
{
	size_t	i;

	for (i = 0; i < net.nstun; i++)
		if (net.stun[i].qid == qid)
			return &net.stun[i];
	for (i = 0; i < net.nturn; i++)
		if (net.turn[i].qid == qid)
			return &net.turn[i];
	return NULL;
}

/* ---- server-reflexive gathering ------------------------------------- */

static void
net_bind_start(struct net_server *s)
{
	if (net.fd == -1 || s->addr.ss_family != AF_INET)
		return;
	if (s->busy)
		evtimer_del(&s->ev);
	ice_net_tid(NULL, s->tid);
	s->busy = 1;
	s->step = 0;
	net_bind_send(s);
}

static void
net_bind_send(struct net_server *s)
{
	struct timeval	tv;
	uint8_t		buf[ICE_STUN_MAX];
	size_t		len;

	if ((len = ice_stun_binding_request(buf, sizeof(buf), s->tid)) == 0)
		fatalx("%s: no room for a Binding request", __func__);
	(void)ice_net_send(NULL, &s->addr, buf, len);
	tv.tv_sec = net_rtx_ms[s->step] / 1000;
	tv.tv_usec = (net_rtx_ms[s->step] % 1000) * 1000;
	evtimer_add(&s->ev, &tv);
}

static void
net_bind_timer(int fd, short event, void *arg)
{
	struct net_server	*s = arg;

	(void)fd;
	(void)event;
	if (!s->busy)
		return;
	if (++s->step < nitems(net_rtx_ms)) {
		net_bind_send(s);
		return;
	}
	s->busy = 0;
	net_bind_failed(s, "no answer to a Binding request");
}

/* Logged when the reason changes, not for every request that fails. */
static void
net_bind_failed(struct net_server *s, const char *why)
{
	if (strcmp(s->why, why) != 0)
		log_warnx("STUN server %s: %s", s->uri.host, why);
	strlcpy(s->why, why, sizeof(s->why));
	net_bind_lost(s);
}

/* Ask the servers whose last answer is max_age seconds old, or none. */
static void
net_bind_older(time_t max_age)
{
	time_t	now = mono_sec();
	size_t	i;

	for (i = 0; i < net.nstun; i++)
		if (!net.stun[i].busy && (net.stun[i].answered == 0 ||
		    now - net.stun[i].answered >= max_age))
			net_bind_start(&net.stun[i]);
}

/* For a new agent: ask the servers whose last answer is not fresh. */
static void
net_bind_fresh(void)
{
	net_bind_older(NET_SRFLX_FRESH_SEC);
}

/*
 * netbirdctl shows the servers: those not heard from in max_age seconds
 * are asked again, so that the next look tells how they are now.
 */
void
ice_net_stun_probe(time_t max_age)
{
	if (net.setup)
		net_bind_older(max_age);
}

/* The server did not give us an address this time: we have none. */
static void
net_bind_lost(struct net_server *s)
{
	if (s->mapped.ss_family == AF_UNSPEC)
		return;
	memset(&s->mapped, 0, sizeof(s->mapped));
	net_changed();
}

/* ---- changes -------------------------------------------------------- */

/* Our local addresses now; if they differ from what we told, tell. */
static void
net_changed(void)
{
	struct sockaddr_storage	now[nitems(net.told)];
	size_t			n, i;

	n = ice_net_hosts(now, ICE_NET_HOSTS_MAX);
	n += ice_net_srflx(now + n, ICE_NET_SRFLX_MAX);
	for (i = 0; n == net.ntold && i < n; i++)
		if (!ice_addr_eq(&now[i], &net.told[i]))
			break;
	if (n == net.ntold && i == n)
		return;
	memcpy(net.told, now, n * sizeof(now[0]));
	net.ntold = n;
	log_debug("local addresses changed: %zu now", n);
	net_update_agents();
	if (net.on_change != NULL)
		net.on_change(net.on_change_arg);
}

static void
net_update_agents(void)
{
	struct ice_net_agent	*na;

	RB_FOREACH(na, net_ids, &net.ids)
		ice_agent_net_update(na->agent);
}

static int
net_ipv4_ok(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;

	return ss->ss_family == AF_INET && sin->sin_port != 0 &&
	    sin->sin_addr.s_addr != htonl(INADDR_ANY);
}
