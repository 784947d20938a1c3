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
 * The ice process: per-peer connections (ICE, TURN, relay, proxies) and
 * the per-peer view that netbirdctl shows.  Peers come from the parent
 * with the network map (PEER_ADD, PEER_UPDATE, PEER_DEL); connections
 * come in issue 4.
 *
 * show peers: control asks with its connection id as peerid; we ask the
 * parent for the WireGuard counters under that id, and when they end we
 * answer with one ctl_peer per peer, by overlay IPv4 address.  Requests
 * wait in a list, by id, so several may be under way.
 *
 * State: with no transport yet a peer has no endpoint and cannot
 * handshake, so it is Idle; but a WireGuard handshake in the last
 * ICE_HANDSHAKE_FRESH seconds means the peer does answer (it reached
 * us, WireGuard learnt its endpoint), so it shows Connected, P2P: no
 * relay exists yet.  The last update is when that state last changed,
 * worked out from the handshake time when we look.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "wg.h"

/* WireGuard rekeys every 2 minutes while packets flow (keepalive 25 s). */
#define ICE_HANDSHAKE_FRESH	180

struct ice_peer {
	RB_ENTRY(ice_peer)	 entry;
	struct nbd_peer		 p;
	int			 state;		/* enum ctl_peer_state */
	time_t			 last_update;	/* unix seconds */
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

static void	ice_dispatch_parent(struct imsgev *, struct imsg *);
static void	ice_dispatch_control(struct imsgev *, struct imsg *);
static int	ice_peer_cmp(const struct ice_peer *, const struct ice_peer *);
static void	ice_mgmt_config(struct imsg *);
static void	ice_peer_check(const struct nbd_peer *);
static struct ice_peer *ice_peer_find(const uint8_t *);
static void	ice_peer_add(struct imsg *);
static void	ice_peer_update(struct imsg *);
static void	ice_peer_del(struct imsg *);
static struct ice_show *ice_show_find(uint32_t);
static void	ice_show_start(uint32_t);
static void	ice_show_stats(struct imsg *);
static void	ice_show_end(uint32_t);
static int	ice_stats_cmp(const void *, const void *);
static const struct nbd_wg_stats *ice_show_counters(const struct ice_show *,
		    const uint8_t *);
static int	ice_addr_cmp(const void *, const void *);
static void	ice_peer_state(struct ice_peer *, const struct nbd_wg_stats *,
		    time_t);
static void	ice_peer_show(struct ice_peer *, const struct nbd_wg_stats *,
		    struct ctl_peer *);

RB_GENERATE(ice_peers, ice_peer, entry, ice_peer_cmp)

static const struct proc_child ice_proc = {
	.proc = PROC_ICE,
	.dispatch = {
		[PROC_PARENT] = ice_dispatch_parent,
		[PROC_CONTROL] = ice_dispatch_control,
	},
};

static struct ice_peers		 peers = RB_INITIALIZER(&peers);
static size_t			 npeers;
static TAILQ_HEAD(, ice_show)	 shows = TAILQ_HEAD_INITIALIZER(shows);
static struct nbd_netbird_config nbconf;	/* servers, for issue 4 */

__dead void
ice_main(int debug, int verbose)
{
	proc_child_run(&ice_proc, debug, verbose);
}

static void
ice_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		ice_mgmt_config(imsg);
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
		ice_show_stats(imsg);
		break;
	case IMSG_WG_STATS_END:
		imsg_empty(imsg, __func__);
		ice_show_end(imsg_get_id(imsg));
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
}

/* What the parent sends: a key, a name, an IPv4 host address or none. */
static void
ice_peer_check(const struct nbd_peer *p)
{
	const char	*why;

	if ((why = wg_key_invalid(p->key.key)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (memchr(p->fqdn, '\0', sizeof(p->fqdn)) == NULL)
		fatalx("%s: unterminated FQDN", __func__);
	if (!(p->address.af == AF_INET && p->address.plen == 32) &&
	    !(p->address.af == AF_UNSPEC && p->address.plen == 0))
		fatalx("%s: bad address: family %u, length %u", __func__,
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
	ip->state = CTL_PEER_IDLE;
	ip->last_update = time(NULL);
	RB_INSERT(ice_peers, &peers, ip);
	npeers++;
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
 * Counters of one WireGuard peer.  Those of peers we do not have (the
 * interface may hold one the parent failed to remove) are not ours to
 * show; more counters than peers is a broken parent.
 */
static void
ice_show_stats(struct imsg *imsg)
{
	struct nbd_wg_stats	 st;
	struct ice_show		*s;
	void			*n;
	sa_family_t		 af;

	imsg_data_exact(imsg, &st, sizeof(st), __func__);
	if ((s = ice_show_find(imsg_get_id(imsg))) == NULL)
		fatalx("%s: counters for client %u, who did not ask", __func__,
		    imsg_get_id(imsg));
	af = st.endpoint.ss_family;
	if ((af != AF_UNSPEC && af != AF_INET && af != AF_INET6) ||
	    st.last_handshake < 0)
		fatalx("%s: bad counters", __func__);
	if (ice_peer_find(st.key.key) == NULL)
		return;
	if (s->nstats >= npeers)
		fatalx("%s: more counters than peers", __func__);
	if ((n = reallocarray(s->stats, s->nstats + 1,
	    sizeof(*s->stats))) == NULL)
		fatal("%s", __func__);
	s->stats = n;
	s->stats[s->nstats++] = st;
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
	time_t			  now = time(NULL);
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
		ice_peer_state(list[i], st, now);
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
ice_peer_state(struct ice_peer *ip, const struct nbd_wg_stats *st,
    time_t now)
{
	time_t	hs = st != NULL ? st->last_handshake : 0, since;
	int	state = CTL_PEER_IDLE;

	if (hs > 0 && now - hs < ICE_HANDSHAKE_FRESH)
		state = CTL_PEER_CONNECTED;
	if (state == ip->state)
		return;
	if (state == CTL_PEER_CONNECTED)
		since = hs;
	else
		since = hs > 0 ? hs + ICE_HANDSHAKE_FRESH : now;
	ip->state = state;
	ip->last_update = MAXIMUM(ip->last_update, since);
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
	cp->state = ip->state;
	cp->conn_type = ip->state == CTL_PEER_CONNECTED ? CTL_CONN_P2P :
	    CTL_CONN_NONE;
	cp->last_update = ip->last_update;
	if (st != NULL) {
		cp->last_handshake = st->last_handshake;
		cp->rx_bytes = st->rx_bytes;
		cp->tx_bytes = st->tx_bytes;
	}
}
