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
 * The ice process: one connection per peer (ice_conn.c, on the modules
 * ice.h lists) and the per-peer view that netbirdctl shows.  Peers come
 * from the parent with the network map (PEER_ADD, PEER_UPDATE,
 * PEER_DEL), signal messages from signal, the raw socket of the
 * WireGuard port and the host addresses from the parent.
 *
 * WireGuard counters: every ICE_POLL_SEC we ask the parent for them
 * under id 0 for the handshake watchers.  show peers: control asks with
 * its connection id (never 0) as peerid; we ask the parent for the
 * counters under that id, and when they end we answer with one ctl_peer
 * per peer, by overlay IPv4 address.  Requests wait in a list, by id,
 * so several may be under way.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "ice.h"

#define ICE_POLL_SEC	5	/* WireGuard counters for the watchers */
#define ICE_PROBE_SEC	20	/* a server outcome older: probe again */
#define ICE_CHECKING	"probe check is already in progress"	/* Go's */
#define ICE_POLL_ID	0	/* control's ids are never 0 */

struct ice_peer {
	RB_ENTRY(ice_peer)	 entry;
	struct nbd_peer		 p;
	struct ice_conn		*conn;
};
RB_HEAD(ice_peers, ice_peer);
RB_PROTOTYPE(ice_peers, ice_peer, entry, ice_peer_cmp)

/* A show peers request waiting for the parent's counters. */
struct ice_show {
	TAILQ_ENTRY(ice_show)	 entry;
	uint32_t		 id;		/* control's connection */
	struct nbd_wg_stats	*stats;		/* of known peers only */
	size_t			 nstats;
};

static void	ice_preinit(void);
static void	ice_init(void);
static void	ice_dispatch_parent(struct imsgev *, struct imsg *);
static void	ice_dispatch_signal(struct imsgev *, struct imsg *);
static void	ice_dispatch_dns(struct imsgev *, struct imsg *);
static void	ice_dispatch_control(struct imsgev *, struct imsg *);
static int	ice_peer_cmp(const struct ice_peer *, const struct ice_peer *);
static void	ice_mgmt_config(struct imsg *);
static void	ice_raw_socket(struct imsg *);
static void	ice_host_addrs(struct imsg *);
static void	ice_signal_recv(struct imsg *);
static void	ice_signal_state(struct imsg *);
static void	ice_kick_all(void *);
static void	ice_relay_home_all(void *);
static void	ice_poll(int, short, void *);
static void	ice_poll_stats(const struct nbd_wg_stats *);
static void	ice_peer_check(const struct nbd_peer *);
static struct ice_peer *ice_peer_find(const uint8_t *);
static void	ice_peer_add(struct imsg *);
static void	ice_peer_update(struct imsg *);
static void	ice_peer_del(struct imsg *);
static struct ice_show *ice_show_find(uint32_t);
static void	ice_show_start(uint32_t);
static void	ice_stats(struct imsg *);
static void	ice_stats_end(struct imsg *);
static void	ice_show_end(uint32_t);
static int	ice_stats_cmp(const void *, const void *);
static const struct nbd_wg_stats *ice_show_counters(const struct ice_show *,
		    const uint8_t *);
static int	ice_addr_cmp(const void *, const void *);
static void	ice_peer_show(struct ice_peer *, const struct nbd_wg_stats *,
		    struct ctl_peer *);
static void	ice_show_relays(uint32_t);
static void	ice_show_relay(void *, const struct ctl_relay *);
static void	ice_turn_show(const struct ice_net_server *,
		    struct ctl_relay *);
static void	ice_probe_start(const struct ice_net_server *);
static void	ice_probe_ready(void *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	ice_probe_failed(void *, const char *);
static void	ice_probe_recv(void *, const struct sockaddr_storage *,
		    const uint8_t *, size_t);

RB_GENERATE(ice_peers, ice_peer, entry, ice_peer_cmp)

static const struct proc_child ice_proc = {
	.proc = PROC_ICE,
	.dispatch = {
		[PROC_PARENT] = ice_dispatch_parent,
		[PROC_SIGNAL] = ice_dispatch_signal,
		[PROC_DNS] = ice_dispatch_dns,
		[PROC_CONTROL] = ice_dispatch_control,
	},
	.preinit = ice_preinit,
	.init = ice_init,
};

static struct ice_peers		 peers = RB_INITIALIZER(&peers);
static size_t			 npeers;
static TAILQ_HEAD(, ice_show)	 shows = TAILQ_HEAD_INITIALIZER(shows);
static struct nbd_netbird_config nbconf;
static struct event		 poll_ev;
static int			 poll_busy;	/* a request is out */
static int			 signal_up;
static uint32_t			 npeers_connected;

/*
 * A TURN allocation made to see whether a server works, for show relays
 * (Go probes the same way), when no client made one lately.  The
 * outcome is what ice_turn.c remembers.
 */
static struct ice_probe {
	struct turn_client	*c;		/* NULL: a free slot */
	struct sockaddr_storage	 server;
}				 probes[NBD_SERVERS_MAX];

static const struct turn_cb ice_probe_cb = {
	.ready = ice_probe_ready,
	.failed = ice_probe_failed,
	.recv = ice_probe_recv,
};

__dead void
ice_main(int debug, int verbose)
{
	proc_child_run(&ice_proc, debug, verbose);
}

/* Before the sandbox: libsodium (relay peer IDs), WebSocket and TLS. */
static void
ice_preinit(void)
{
	if (sodium_init() == -1)
		fatalx("%s: sodium_init", __func__);
	ice_relay_init();
}

static void
ice_init(void)
{
	struct timeval	tv = { ICE_POLL_SEC, 0 };

	ice_net_on_change(ice_kick_all, NULL);
	ice_relay_on_change(ice_relay_home_all, NULL);
	event_set(&poll_ev, -1, EV_PERSIST, ice_poll, NULL);
	evtimer_add(&poll_ev, &tv);
}

static void
ice_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		ice_mgmt_config(imsg);
		break;
	case IMSG_SOCKET_RAW:
		ice_raw_socket(imsg);
		break;
	case IMSG_HOST_ADDRS:
		ice_host_addrs(imsg);
		break;
	case IMSG_PEER_ADD:
		ice_peer_add(imsg);
		break;
	case IMSG_PEER_UPDATE:
		ice_peer_update(imsg);
		break;
	case IMSG_PEER_DEL:
		ice_peer_del(imsg);
		break;
	case IMSG_WG_STATS:
		ice_stats(imsg);
		break;
	case IMSG_WG_STATS_END:
		ice_stats_end(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
ice_dispatch_signal(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_SIGNAL_RECV:
		ice_signal_recv(imsg);
		break;
	case IMSG_SIGNAL_STATE:
		ice_signal_state(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
ice_dispatch_dns(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_DNS_ANSWER:
		ice_net_dns_answer(imsg);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
ice_dispatch_control(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_PEERS:
		imsg_empty(imsg, __func__);
		ice_show_start(imsg_get_id(imsg));
		break;
	case IMSG_CTL_SHOW_RELAYS:
		imsg_empty(imsg, __func__);
		ice_show_relays(imsg_get_id(imsg));
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static int
ice_peer_cmp(const struct ice_peer *a, const struct ice_peer *b)
{
	return memcmp(a->p.key.key, b->p.key.key, sizeof(a->p.key.key));
}

static void
ice_mgmt_config(struct imsg *imsg)
{
	const char	*why;

	imsg_data_exact(imsg, &nbconf, sizeof(nbconf), __func__);
	if ((why = netbird_config_invalid(&nbconf)) != NULL)
		fatalx("%s: %s", __func__, why);
	log_debug("servers: %u STUN, %u TURN, %u relay", nbconf.nstun,
	    nbconf.nturn, nbconf.nrelay);
	ice_net_config(&nbconf);
	ice_relay_config(&nbconf);
}

static void
ice_raw_socket(struct imsg *imsg)
{
	struct nbd_raw_socket	rs;
	int			fd;

	imsg_data_exact(imsg, &rs, sizeof(rs), __func__);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: no socket", __func__);
	if (rs.af != AF_INET || rs.port == 0)
		fatalx("%s: family %d, port %u", __func__, rs.af, rs.port);
	ice_net_raw_socket(fd, &rs);
}

static void
ice_host_addrs(struct imsg *imsg)
{
	struct nbd_host_addrs	ha;
	uint32_t		i;

	imsg_data_exact(imsg, &ha, sizeof(ha), __func__);
	if (ha.n > NBD_HOST_ADDRS_MAX)
		fatalx("%s: %u addresses", __func__, ha.n);
	for (i = 0; i < ha.n; i++)
		if ((ha.addr[i].af != AF_INET || ha.addr[i].plen > 32) &&
		    (ha.addr[i].af != AF_INET6 || ha.addr[i].plen > 128))
			fatalx("%s: bad address %u", __func__, i);
	ice_net_host_addrs(&ha);
}

/*
 * From the signal process, which checked the remote's message: strings
 * must be terminated and the type known, or signal is broken.  A sender
 * we no longer have (the map changed) is not an error.
 */
static void
ice_signal_recv(struct imsg *imsg)
{
	struct nbd_signal_msg	 m;
	struct ice_peer		*ip;

	imsg_data_exact(imsg, &m, sizeof(m), __func__);
	if (memchr(m.payload, '\0', sizeof(m.payload)) == NULL ||
	    memchr(m.version, '\0', sizeof(m.version)) == NULL ||
	    memchr(m.relay_addr, '\0', sizeof(m.relay_addr)) == NULL)
		fatalx("%s: unterminated string", __func__);
	if (m.relay_ip_len != 0 && m.relay_ip_len != 4 &&
	    m.relay_ip_len != 16)
		fatalx("%s: relay address of %u bytes", __func__,
		    m.relay_ip_len);
	switch (m.type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
	case NBD_SIG_CANDIDATE:
	case NBD_SIG_MODE:
	case NBD_SIG_GO_IDLE:
		break;
	default:
		fatalx("%s: type %d", __func__, m.type);
	}
	if ((ip = ice_peer_find(m.peer.key)) == NULL) {
		log_debug("%s: from a peer no longer in the map", __func__);
		return;
	}
	ice_conn_signal(ip->conn, &m);
}

/* Signal back: peers without a path offer again soon (protocol 5.6). */
static void
ice_signal_state(struct imsg *imsg)
{
	struct nbd_signal_state	st;

	imsg_data_exact(imsg, &st, sizeof(st), __func__);
	if (memchr(st.error, '\0', sizeof(st.error)) == NULL)
		fatalx("%s: unterminated error", __func__);
	if (st.connected && !signal_up) {
		signal_up = 1;
		ice_kick_all(NULL);
	}
	signal_up = st.connected != 0;
}

/*
 * A peer became connected (+1) or stopped being so (-1): tell the
 * parent how many are.  Counted as they change, not by walking every
 * peer, which made adding a large map quadratic.
 */
void
ice_peers_connected(int delta)
{
	struct nbd_peers_connected	 pc;

	if (delta < 0 && npeers_connected == 0)
		fatalx("%s: no connected peer to lose", __func__);
	npeers_connected += delta;
	memset(&pc, 0, sizeof(pc));
	pc.n = npeers_connected;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_PEERS_CONNECTED, 0, 0,
	    -1, &pc, sizeof(pc)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/* Offers go out only while signal is up; it says when it is back. */
int
ice_signal_ready(void)
{
	return signal_up;
}

static void
ice_kick_all(void *arg)
{
	struct ice_peer	*ip;

	(void)arg;
	RB_FOREACH(ip, ice_peers, &peers)
		ice_conn_kick(ip->conn);
}

static void
ice_relay_home_all(void *arg)
{
	struct ice_peer	*ip;

	(void)arg;
	RB_FOREACH(ip, ice_peers, &peers)
		ice_conn_relay_home(ip->conn);
}

static void
ice_poll(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (poll_busy || npeers == 0)
		return;
	poll_busy = 1;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_WG_STATS_REQ,
	    ICE_POLL_ID, 0, -1, NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
ice_poll_stats(const struct nbd_wg_stats *st)
{
	struct ice_peer	*ip;

	if ((ip = ice_peer_find(st->key.key)) != NULL)
		ice_conn_stats(ip->conn, st);
}

/* What the parent sends: a key, a name, an IPv4 host address or none. */
static void
ice_peer_check(const struct nbd_peer *p)
{
	const char	*why;

	if ((why = nbd_peer_invalid(p)) != NULL)
		fatalx("%s: %s: family %u, length %u", __func__, why,
		    p->address.af, p->address.plen);
}

static struct ice_peer *
ice_peer_find(const uint8_t *key)
{
	struct ice_peer	k;

	memcpy(k.p.key.key, key, sizeof(k.p.key.key));
	return RB_FIND(ice_peers, &peers, &k);
}

static void
ice_peer_add(struct imsg *imsg)
{
	struct nbd_peer	 p;
	struct ice_peer	*ip;

	imsg_data_exact(imsg, &p, sizeof(p), __func__);
	ice_peer_check(&p);
	if (npeers >= NBD_PEERS_MAX)
		fatalx("%s: more than %d peers", __func__, NBD_PEERS_MAX);
	if (ice_peer_find(p.key.key) != NULL)
		fatalx("%s: a peer we have", __func__);
	if ((ip = calloc(1, sizeof(*ip))) == NULL)
		fatal("%s", __func__);
	ip->p = p;
	RB_INSERT(ice_peers, &peers, ip);
	npeers++;
	ip->conn = ice_conn_new(&p);
}

static void
ice_peer_update(struct imsg *imsg)
{
	struct nbd_peer	 p;
	struct ice_peer	*ip;

	imsg_data_exact(imsg, &p, sizeof(p), __func__);
	ice_peer_check(&p);
	if ((ip = ice_peer_find(p.key.key)) == NULL)
		fatalx("%s: a peer we do not have", __func__);
	ip->p = p;
	ice_conn_update(ip->conn, &p);
}

static void
ice_peer_del(struct imsg *imsg)
{
	struct nbd_key	 k;
	struct ice_peer	*ip;

	imsg_data_exact(imsg, &k, sizeof(k), __func__);
	if ((ip = ice_peer_find(k.key)) == NULL)
		fatalx("%s: a peer we do not have", __func__);
	RB_REMOVE(ice_peers, &peers, ip);
	if (ice_conn_connected(ip->conn))
		ice_peers_connected(-1);
	ice_conn_free(ip->conn);
	free(ip);
	npeers--;
}

static struct ice_show *
ice_show_find(uint32_t id)
{
	struct ice_show	*s;

	TAILQ_FOREACH(s, &shows, entry)
		if (s->id == id)
			return s;
	return NULL;
}

/* Control has one request per client in flight: a repeat is a bug. */
static void
ice_show_start(uint32_t id)
{
	struct ice_show	*s;

	if (ice_show_find(id) != NULL)
		fatalx("%s: client %u asked twice", __func__, id);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	s->id = id;
	TAILQ_INSERT_TAIL(&shows, s, entry);
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_WG_STATS_REQ, id, 0,
	    -1, NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
}

/*
 * Counters of one WireGuard peer, for the watchers (id 0) or a client.
 * Those of peers we do not have (the interface may hold one the parent
 * failed to remove) are not ours; more counters than peers is a broken
 * parent.
 */
static void
ice_stats(struct imsg *imsg)
{
	struct nbd_wg_stats	 st;
	struct ice_show		*s = NULL;
	void			*n;
	sa_family_t		 af;
	uint32_t		 id = imsg_get_id(imsg);

	imsg_data_exact(imsg, &st, sizeof(st), __func__);
	if (id == ICE_POLL_ID ? !poll_busy : (s = ice_show_find(id)) == NULL)
		fatalx("%s: counters for %u, who did not ask", __func__, id);
	af = st.endpoint.ss_family;
	if ((af != AF_UNSPEC && af != AF_INET && af != AF_INET6) ||
	    st.last_handshake < 0)
		fatalx("%s: bad counters", __func__);
	if (ice_peer_find(st.key.key) == NULL)
		return;
	if (s == NULL) {
		ice_poll_stats(&st);
		return;
	}
	if (s->nstats >= npeers)
		fatalx("%s: more counters than peers", __func__);
	if ((n = reallocarray(s->stats, s->nstats + 1,
	    sizeof(*s->stats))) == NULL)
		fatal("%s", __func__);
	s->stats = n;
	s->stats[s->nstats++] = st;
}

static void
ice_stats_end(struct imsg *imsg)
{
	uint32_t	id = imsg_get_id(imsg);

	imsg_empty(imsg, __func__);
	if (id != ICE_POLL_ID) {
		ice_show_end(id);
		return;
	}
	if (!poll_busy)
		fatalx("%s: an end nobody asked for", __func__);
	poll_busy = 0;
}

static int
ice_stats_cmp(const void *a, const void *b)
{
	const struct nbd_wg_stats	*x = a, *y = b;

	return memcmp(x->key.key, y->key.key, sizeof(x->key.key));
}

/* The counters of one peer in a sorted answer, or NULL. */
static const struct nbd_wg_stats *
ice_show_counters(const struct ice_show *s, const uint8_t *key)
{
	struct nbd_wg_stats	k;

	if (s->nstats == 0)
		return NULL;
	memcpy(k.key.key, key, sizeof(k.key.key));
	return bsearch(&k, s->stats, s->nstats, sizeof(*s->stats),
	    ice_stats_cmp);
}

/* By overlay IPv4 address, peers without one last. */
static int
ice_addr_cmp(const void *a, const void *b)
{
	const struct ice_peer	*x = *(struct ice_peer *const *)a;
	const struct ice_peer	*y = *(struct ice_peer *const *)b;
	int			 c;

	if (x->p.address.af != y->p.address.af)
		return x->p.address.af == AF_INET ? -1 : 1;
	if ((c = memcmp(x->p.address.addr, y->p.address.addr, 4)) != 0)
		return c;
	return ice_peer_cmp(x, y);
}

static void
ice_show_end(uint32_t id)
{
	struct imsgev		 *iev = penv.iev[PROC_CONTROL];
	struct ice_show		 *s;
	struct ice_peer		**list, *ip;
	const struct nbd_wg_stats *st;
	struct ctl_peer		  cp;
	size_t			  i, n = 0;

	if ((s = ice_show_find(id)) == NULL)
		fatalx("%s: end for client %u, who did not ask", __func__, id);
	TAILQ_REMOVE(&shows, s, entry);
	if ((list = calloc(npeers + 1, sizeof(*list))) == NULL)
		fatal("%s", __func__);
	RB_FOREACH(ip, ice_peers, &peers)
		list[n++] = ip;
	qsort(list, n, sizeof(*list), ice_addr_cmp);
	if (s->nstats > 0)
		qsort(s->stats, s->nstats, sizeof(*s->stats), ice_stats_cmp);
	for (i = 0; i < n; i++) {
		st = ice_show_counters(s, list[i]->p.key.key);
		ice_peer_show(list[i], st, &cp);
		if (imsg_compose(&iev->ibuf, IMSG_CTL_SHOW_PEER, id, 0, -1,
		    &cp, sizeof(cp)) == -1)
			fatal("%s: imsg_compose", __func__);
	}
	if (imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
	free(list);
	free(s->stats);
	free(s);
}

static void
ice_peer_show(struct ice_peer *ip, const struct nbd_wg_stats *st,
    struct ctl_peer *cp)
{
	memset(cp, 0, sizeof(*cp));
	strlcpy(cp->fqdn, ip->p.fqdn, sizeof(cp->fqdn));
	if (ip->p.address.af == AF_INET)
		inet_ntop(AF_INET, ip->p.address.addr, cp->address,
		    sizeof(cp->address));
	key_to_base64(ip->p.key.key, cp->pubkey, sizeof(cp->pubkey));
	ice_conn_show(ip->conn, cp);
	if (st != NULL) {
		cp->last_handshake = st->last_handshake;
		cp->rx_bytes = st->rx_bytes;
		cp->tx_bytes = st->tx_bytes;
	}
}

/*
 * show relays: one ctl_relay per STUN server, TURN server and relay
 * server, in that order (Go's), then the end.  Servers not heard from
 * lately are probed, for the next look.
 */
static void
ice_show_relays(uint32_t id)
{
	struct ice_net_server	 srv[2 * NBD_SERVERS_MAX];
	struct ctl_relay	 cr;
	size_t			 i, n;

	ice_net_stun_probe(ICE_PROBE_SEC);
	n = ice_net_servers(srv, nitems(srv));
	for (i = 0; i < n; i++) {
		memset(&cr, 0, sizeof(cr));
		strlcpy(cr.uri, srv[i].uri, sizeof(cr.uri));
		if (srv[i].scheme == ICE_URI_TURN)
			ice_turn_show(&srv[i], &cr);
		else {
			cr.available = srv[i].available;
			strlcpy(cr.error, srv[i].available == -1 ?
			    ICE_CHECKING : srv[i].why, sizeof(cr.error));
		}
		if (cr.available == 1)
			cr.error[0] = '\0';
		ice_show_relay(&id, &cr);
	}
	ice_relay_show(ice_show_relay, &id);
	if (imsgev_compose(penv.iev[PROC_CONTROL], IMSG_CTL_END, id, 0, -1,
	    NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
ice_show_relay(void *arg, const struct ctl_relay *cr)
{
	uint32_t	id = *(uint32_t *)arg;

	if (imsg_compose(&penv.iev[PROC_CONTROL]->ibuf, IMSG_CTL_SHOW_RELAY,
	    id, 0, -1, cr, sizeof(*cr)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/*
 * A TURN server works when the last allocation made there stood; with
 * none lately, a probe starts and the old outcome, if any, stands.
 */
static void
ice_turn_show(const struct ice_net_server *srv, struct ctl_relay *cr)
{
	time_t	when = 0;
	int	r;

	if (srv->addr.ss_family == AF_UNSPEC) {
		cr->available = srv->why[0] != '\0' ? 0 : -1;
		strlcpy(cr->error, srv->why[0] != '\0' ? srv->why :
		    ICE_CHECKING, sizeof(cr->error));
		return;
	}
	r = turn_server_outcome(&srv->addr, &when, cr->error,
	    sizeof(cr->error));
	if (r == -1 || mono_sec() - when >= ICE_PROBE_SEC)
		ice_probe_start(srv);
	cr->available = r;
	if (r == -1)
		strlcpy(cr->error, ICE_CHECKING, sizeof(cr->error));
}

static void
ice_probe_start(const struct ice_net_server *srv)
{
	struct ice_probe	*p = NULL;
	size_t			 i;

	for (i = 0; i < nitems(probes); i++) {
		if (probes[i].c != NULL &&
		    ice_addr_eq(&probes[i].server, &srv->addr))
			return;
		if (probes[i].c == NULL && p == NULL)
			p = &probes[i];
	}
	if (p == NULL)
		return;
	p->server = srv->addr;
	p->c = turn_client_new(&srv->addr, srv->user, srv->pwd,
	    &ice_probe_cb, p);
}

/* The outcome is kept by ice_turn.c; the client may go at once. */
static void
ice_probe_ready(void *arg, const struct sockaddr_storage *relayed,
    const struct sockaddr_storage *mapped)
{
	struct ice_probe	*p = arg;

	(void)relayed;
	(void)mapped;
	turn_client_free(p->c);
	p->c = NULL;
}

static void
ice_probe_failed(void *arg, const char *why)
{
	struct ice_probe	*p = arg;

	(void)why;
	turn_client_free(p->c);
	p->c = NULL;
}

/* A probe has no peers: nothing comes. */
static void
ice_probe_recv(void *arg, const struct sockaddr_storage *from,
    const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)from;
	(void)buf;
	(void)len;
}
