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
 * The network map, parent side.  mgmt has parsed what the management
 * server sent; nothing it says is believed until checked here: sizes,
 * terminated strings, address families and prefix lengths, counts that
 * agree between BEGIN, the PEERs and END, valid and distinct keys, not
 * our own key, allowed IPs that are networks.  A bad message is fatal:
 * mgmt is buggy or compromised.
 *
 * END applies the whole map as one change:
 *  - our address, when it changed (protocol.md 3.5 6.1: Go restarts the
 *    client; for the interface that is a new address and every route
 *    done again, since the kernel drops the link's IPv4 routes with its
 *    last IPv4 address).  A changed address is applied even when the
 *    serial is older, as Go's restart starts over from serial 0; else a
 *    map older than the applied one is ignored (3.5 6.2).
 *  - peers, in one WireGuard exchange: those that left are removed, new
 *    ones added, and those whose allowed IPs changed get the new set in
 *    place of the old one (a map says the whole set; 5.4's "never
 *    replace" is about routes added to a peer later); no endpoint (ice
 *    sets endpoints) and keepalive off until there is one, 25 s after.
 *  - routes through the interface for the allowed IPs outside our
 *    prefix, and no longer for those that went.
 * If a step fails the next map is applied in full: address, every
 * peer, every route, and peers on the interface that no map has.
 * Then ice hears PEER_ADD, PEER_UPDATE and PEER_DEL for the difference.
 *
 * The MTU management may send is checked but never applied: it only
 * counts where the local MTU is unset, and ours always has a value
 * (1280 by default), as in the Go agent (protocol.md 3.3).
 *
 * An applied map stays until the next one: losing the management
 * connection tears nothing down.
 *
 * Also here, as they ask about the peers: whether signal or ice may have
 * the shared key for a peer (netmap_key_allowed()), what show status
 * says of the map, the WireGuard counters ice asks for, and the
 * endpoints ice sets: checked like the map (a malformed one is fatal),
 * for a peer of the applied map only (one that has just left is
 * dropped: ice had not yet read its PEER_DEL), and applied at once;
 * removing one gives the peer back its allowed IPs from the map.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

static uint32_t		 peers_connected;	/* as ice counts them */

/* A removed peer's key: ice may ask for it before it hears PEER_DEL. */
struct nm_former {
	TAILQ_ENTRY(nm_former)	 entry;
	uint8_t			 key[WG_KEY_LEN];
	time_t			 removed;	/* monotonic seconds */
};

static int	nm_peer_cmp(const struct nm_peer *, const struct nm_peer *);
static int	prefix_equal(const struct wg_prefix *,
		    const struct wg_prefix *);
static int	prefix_cmp(const void *, const void *);
static size_t	prefix_sort_uniq(struct wg_prefix *, size_t);
static int	allowed_equal(const struct nm_peer *, const struct nm_peer *);
static struct nm_peer *nm_peer_new(const struct nbd_netmap_peer *);
static void	nm_peer_free(struct nm_peer *);
static void	*nm_calloc(size_t, size_t);
static void	netmap_diff_routes(struct netmap *, struct netmap *, int,
		    struct netmap_diff *);
static int	netmap_apply(struct wg_iface *, struct netmap *,
		    const struct netmap_diff *);
static int	netmap_apply_peers(struct wg_iface *,
		    const struct netmap_diff *);
static int	netmap_remove_strays(struct wg_iface *, struct netmap *);
static void	netmap_tell(struct imsgev *, const struct netmap_diff *);
static void	peer_export(const struct nm_peer *, struct nbd_peer *);
static void	formers_add(const struct netmap_diff *);
static void	formers_prune(void);

RB_GENERATE(nm_peers, nm_peer, entry, nm_peer_cmp)

static struct netmap	*current;	/* applied; NULL before the first */
static struct netmap_rx	 rx;
static time_t		 last_sync;
static const char	*netmap_phase(const struct netmap_diff *);
static int		 dirty;		/* a step failed: next map in full */
static TAILQ_HEAD(, nm_former) formers = TAILQ_HEAD_INITIALIZER(formers);
static size_t		 nformers;

static int
nm_peer_cmp(const struct nm_peer *a, const struct nm_peer *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}

static int
prefix_equal(const struct wg_prefix *a, const struct wg_prefix *b)
{
	return prefix_cmp(a, b) == 0;
}

static int
prefix_cmp(const void *va, const void *vb)
{
	const struct wg_prefix	*a = va, *b = vb;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->af == AF_INET)
		return memcmp(&a->addr.v4, &b->addr.v4, sizeof(a->addr.v4));
	if (a->af == AF_INET6)
		return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6));
	return 0;
}

static size_t
prefix_sort_uniq(struct wg_prefix *p, size_t n)
{
	size_t	i, j;

	if (n == 0)
		return 0;
	qsort(p, n, sizeof(*p), prefix_cmp);
	for (i = 1, j = 1; i < n; i++)
		if (!prefix_equal(&p[i], &p[j - 1]))
			p[j++] = p[i];
	return j;
}

static int
allowed_equal(const struct nm_peer *a, const struct nm_peer *b)
{
	size_t	i;

	if (a->nallowed != b->nallowed)
		return 0;
	for (i = 0; i < a->nallowed; i++)
		if (!prefix_equal(&a->allowed[i], &b->allowed[i]))
			return 0;
	return 1;
}

static void *
nm_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size)) == NULL)
		fatal("%s", __func__);
	return p;
}

struct netmap *
netmap_new(void)
{
	struct netmap	*m;

	m = nm_calloc(1, sizeof(*m));
	RB_INIT(&m->peers);
	return m;
}

void
netmap_free(struct netmap *m)
{
	struct nm_peer	*p, *next;

	if (m == NULL)
		return;
	RB_FOREACH_SAFE(p, nm_peers, &m->peers, next) {
		RB_REMOVE(nm_peers, &m->peers, p);
		nm_peer_free(p);
	}
	free(m);
}

struct nm_peer *
netmap_find(struct netmap *m, const uint8_t *key)
{
	struct nm_peer	k;

	memcpy(k.key, key, sizeof(k.key));
	return RB_FIND(nm_peers, &m->peers, &k);
}

/* A prefix as it crossed the socketpair, made ours. */
const char *
netmap_prefix_import(const struct nbd_prefix *in, struct wg_prefix *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->af) {
	case AF_INET:
		memcpy(&out->addr.v4, in->addr, sizeof(out->addr.v4));
		break;
	case AF_INET6:
		memcpy(&out->addr.v6, in->addr, sizeof(out->addr.v6));
		break;
	default:
		return "bad address family";
	}
	out->af = in->af;
	out->plen = in->plen;
	return wg_prefix_invalid(out);
}

const char *
netmap_begin_invalid(const struct nbd_netmap_begin *b)
{
	struct wg_prefix	 a;
	const char		*why;

	if (memchr(b->fqdn, '\0', sizeof(b->fqdn)) == NULL)
		return "unterminated FQDN";
	if (b->npeers > NBD_PEERS_MAX)
		return "too many peers";
	if ((why = netmap_prefix_import(&b->address, &a)) != NULL)
		return why;
	if (a.af != AF_INET)
		return "our address is not IPv4";
	if (a.plen == 0)
		return "our address has prefix length 0";
	if (a.addr.v4.s_addr == htonl(INADDR_ANY))
		return "our address is 0.0.0.0";
	if (b->mtu != 0 && (why = wg_mtu_invalid(b->mtu)) != NULL)
		return why;
	return NULL;
}

const char *
netmap_peer_invalid(const struct nbd_netmap_peer *p, const uint8_t *ours)
{
	struct wg_prefix	 a;
	const char		*why;
	uint32_t		 i;

	if (memchr(p->fqdn, '\0', sizeof(p->fqdn)) == NULL)
		return "unterminated FQDN";
	if ((why = wg_key_invalid(p->key.key)) != NULL)
		return why;
	if (memcmp(p->key.key, ours, WG_KEY_LEN) == 0)
		return "our own key";
	if (p->nallowed == 0)
		return "no allowed IPs";
	if (p->nallowed > NBD_ALLOWED_MAX)
		return "too many allowed IPs";
	for (i = 0; i < p->nallowed; i++) {
		if ((why = netmap_prefix_import(&p->allowed[i], &a)) != NULL ||
		    (why = wg_net_invalid(&a)) != NULL)
			return why;
		/* A default route is never a peer's: it would replace ours. */
		if (a.plen == 0)
			return "allowed IP with prefix length 0";
	}
	return NULL;
}

/* p has been checked. */
static struct nm_peer *
nm_peer_new(const struct nbd_netmap_peer *p)
{
	struct nm_peer	*np;
	uint32_t	 i;

	np = nm_calloc(1, sizeof(*np));
	memcpy(np->key, p->key.key, sizeof(np->key));
	strlcpy(np->fqdn, p->fqdn, sizeof(np->fqdn));
	np->allowed = nm_calloc(p->nallowed, sizeof(*np->allowed));
	for (i = 0; i < p->nallowed; i++) {
		netmap_prefix_import(&p->allowed[i], &np->allowed[i]);
		/* Its overlay address: the first IPv4 host, as Go shows. */
		if (np->address.af == 0 && np->allowed[i].af == AF_INET &&
		    np->allowed[i].plen == 32)
			np->address = np->allowed[i];
	}
	np->nallowed = prefix_sort_uniq(np->allowed, p->nallowed);
	return np;
}

static void
nm_peer_free(struct nm_peer *p)
{
	free(p->allowed);
	free(p);
}

const char *
netmap_rx_begin(struct netmap_rx *r, const struct nbd_netmap_begin *b)
{
	const char	*why;

	if (r->map != NULL)
		return "BEGIN inside a map";
	if ((why = netmap_begin_invalid(b)) != NULL)
		return why;
	r->map = netmap_new();
	r->map->serial = b->serial;
	netmap_prefix_import(&b->address, &r->map->address);
	strlcpy(r->map->fqdn, b->fqdn, sizeof(r->map->fqdn));
	r->map->mtu = b->mtu;
	r->expect = b->npeers;
	return NULL;
}

const char *
netmap_rx_peer(struct netmap_rx *r, const struct nbd_netmap_peer *p,
    const uint8_t *ours)
{
	struct nm_peer	*np;
	const char	*why;

	if (r->map == NULL)
		return "PEER outside a map";
	if (r->map->npeers >= r->expect)
		return "more peers than BEGIN announced";
	if ((why = netmap_peer_invalid(p, ours)) != NULL)
		return why;
	np = nm_peer_new(p);
	if (RB_INSERT(nm_peers, &r->map->peers, np) != NULL) {
		nm_peer_free(np);
		return "duplicate peer";
	}
	r->map->npeers++;
	return NULL;
}

const char *
netmap_rx_end(struct netmap_rx *r, const struct nbd_netmap_end *e,
    struct netmap **out)
{
	if (r->map == NULL)
		return "END outside a map";
	if (e->serial != r->map->serial)
		return "serial differs from BEGIN";
	if (e->npeers != r->expect)
		return "peer count differs from BEGIN";
	if (r->map->npeers != r->expect)
		return "fewer peers than BEGIN announced";
	*out = r->map;
	r->map = NULL;
	return NULL;
}

void
netmap_rx_clear(struct netmap_rx *r)
{
	netmap_free(r->map);
	r->map = NULL;
}

/*
 * The routes a map needs: its allowed IPs outside our prefix, sorted,
 * each once.  The caller frees *out.
 */
size_t
netmap_routes(struct netmap *m, struct wg_prefix **out)
{
	struct nm_peer	*p;
	size_t		 i, n = 0, total = 0;

	RB_FOREACH(p, nm_peers, &m->peers)
		total += p->nallowed;
	*out = nm_calloc(total, sizeof(**out));
	RB_FOREACH(p, nm_peers, &m->peers) {
		for (i = 0; i < p->nallowed; i++) {
			if (m->address.af != 0 &&
			    wg_prefix_contains(&m->address, &p->allowed[i]))
				continue;
			(*out)[n++] = p->allowed[i];
		}
	}
	return prefix_sort_uniq(*out, n);
}

/*
 * What changes from old to new.  With full, every peer of new is set
 * again and every route done again, as after a failure.
 */
void
netmap_diff(struct netmap *old, struct netmap *new, int full,
    struct netmap_diff *d)
{
	struct nm_peer	*np, *op;
	int		 wgchg, icechg;

	memset(d, 0, sizeof(*d));
	d->full = full;
	d->address_changed = !prefix_equal(&old->address, &new->address);
	d->add = nm_calloc(new->npeers, sizeof(*d->add));
	d->wgset = nm_calloc(new->npeers, sizeof(*d->wgset));
	d->iceupd = nm_calloc(new->npeers, sizeof(*d->iceupd));
	d->del = nm_calloc(old->npeers, sizeof(*d->del));
	RB_FOREACH(np, nm_peers, &new->peers) {
		if ((op = netmap_find(old, np->key)) == NULL) {
			d->add[d->nadd++] = np;
			continue;
		}
		np->endpoint = op->endpoint;
		wgchg = !allowed_equal(op, np);
		icechg = strcmp(op->fqdn, np->fqdn) != 0 ||
		    !prefix_equal(&op->address, &np->address);
		if (wgchg || full)
			d->wgset[d->nwgset++] = np;
		if (icechg)
			d->iceupd[d->niceupd++] = np;
		if (wgchg || icechg)
			d->nupdated++;
	}
	RB_FOREACH(op, nm_peers, &old->peers)
		if (netmap_find(new, op->key) == NULL)
			d->del[d->ndel++] = op;
	netmap_diff_routes(old, new, full || d->address_changed, d);
}

/* Merge the two sorted route lists; with redo, drop all, add all. */
static void
netmap_diff_routes(struct netmap *old, struct netmap *new, int redo,
    struct netmap_diff *d)
{
	struct wg_prefix	*ro, *rn;
	size_t			 no, nn, i = 0, j = 0;
	int			 c;

	no = netmap_routes(old, &ro);
	nn = netmap_routes(new, &rn);
	if (redo) {
		d->route_del = ro;
		d->nroute_del = no;
		d->route_add = rn;
		d->nroute_add = nn;
		return;
	}
	d->route_del = nm_calloc(no, sizeof(*d->route_del));
	d->route_add = nm_calloc(nn, sizeof(*d->route_add));
	while (i < no || j < nn) {
		if (i == no)
			c = 1;
		else if (j == nn)
			c = -1;
		else
			c = prefix_cmp(&ro[i], &rn[j]);
		if (c < 0)
			d->route_del[d->nroute_del++] = ro[i++];
		else if (c > 0)
			d->route_add[d->nroute_add++] = rn[j++];
		else {
			i++;
			j++;
		}
	}
	free(ro);
	free(rn);
}

void
netmap_diff_free(struct netmap_diff *d)
{
	free(d->add);
	free(d->del);
	free(d->wgset);
	free(d->iceupd);
	free(d->route_add);
	free(d->route_del);
	memset(d, 0, sizeof(*d));
}

/*
 * IMSG_WG_ENDPOINT made ours: only the address, port and (link-local
 * IPv6) scope are taken from ice's sockaddr.  A reason if malformed.
 */
const char *
netmap_endpoint_import(const struct nbd_wg_endpoint *e, union wg_sockaddr *out)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const char		*why;

	memset(out, 0, sizeof(*out));
	if ((why = wg_key_invalid(e->key.key)) != NULL)
		return why;
	switch (e->endpoint.ss_family) {
	case AF_UNSPEC:
		return NULL;
	case AF_INET:
		memcpy(&sin, &e->endpoint, sizeof(sin));
		out->sin.sin_family = AF_INET;
		out->sin.sin_port = sin.sin_port;
		out->sin.sin_addr = sin.sin_addr;
		break;
	case AF_INET6:
		memcpy(&sin6, &e->endpoint, sizeof(sin6));
		out->sin6.sin6_family = AF_INET6;
		out->sin6.sin6_port = sin6.sin6_port;
		out->sin6.sin6_addr = sin6.sin6_addr;
		if (IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr))
			out->sin6.sin6_scope_id = sin6.sin6_scope_id;
		break;
	default:
		return "bad endpoint address family";
	}
	return wg_endpoint_invalid(out);
}

/*
 * Set or remove the endpoint of a peer of m.  -1 if WireGuard refused
 * (logged); a peer m does not have is dropped.
 */
int
netmap_endpoint_apply(struct netmap *m, struct wg_iface *wg,
    const uint8_t *key, const union wg_sockaddr *ep, int fresh)
{
	struct nm_peer	*p;
	char		 b64[WG_KEY_B64LEN], s[WG_ENDPOINT_STRLEN];

	wg_key_log(key, b64, sizeof(b64));
	if ((p = netmap_find(m, key)) == NULL) {
		log_debug("endpoint for %s, not in the map: dropped", b64);
		return 0;
	}
	if (wg_endpoint_ntop(ep, s, sizeof(s)) == -1)
		strlcpy(s, "none", sizeof(s));
	log_debug("peer %s: endpoint %s%s", b64, s, fresh ? ", peer anew" :
	    "");
	if (wg_peer_endpoint(wg, key, ep, p->allowed, p->nallowed,
	    fresh) == -1)
		return -1;
	p->endpoint = ep->sa.sa_family != AF_UNSPEC;
	return 0;
}

/*
 * The sync phase (protocol.md 7.2) a diff's application counts as.
 * Removals, changes and additions go to WireGuard in one exchange, so
 * a diff with more than one kind counts as modified_peers.
 */
static const char *
netmap_phase(const struct netmap_diff *d)
{
	if (d->nadd > 0 && d->ndel == 0 && d->nupdated == 0)
		return "added_peers";
	if (d->ndel > 0 && d->nadd == 0 && d->nupdated == 0)
		return "removed_peers";
	return "modified_peers";
}

/* The map applied last, for the debug bundle; NULL before the first. */
struct netmap *
netmap_current(void)
{
	return current;
}

void
netmap_begin(const struct nbd_netmap_begin *b)
{
	const char	*why;

	if ((why = netmap_rx_begin(&rx, b)) != NULL)
		fatalx("%s: %s", __func__, why);
}

void
netmap_peer(const struct nbd_netmap_peer *p)
{
	const char	*why;

	if ((why = netmap_rx_peer(&rx, p, keys_public())) != NULL)
		fatalx("%s: %s", __func__, why);
}

/* The sync phase the map's application counts as; NULL: ignored. */
const char *
netmap_end(const struct nbd_netmap_end *e, struct wg_iface *wg,
    struct imsgev *ice, struct imsgev *signal)
{
	struct netmap		*map;
	struct netmap_diff	 d;
	const char		*why, *phase;
	int			 failed;

	if ((why = netmap_rx_end(&rx, e, &map)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (current == NULL)
		current = netmap_new();
	if (map->serial < current->serial &&
	    prefix_equal(&map->address, &current->address)) {
		log_warnx("network map serial %" PRIu64 " is older than the "
		    "applied %" PRIu64 ": ignored", map->serial,
		    current->serial);
		netmap_free(map);
		return NULL;
	}
	netmap_diff(current, map, dirty, &d);
	failed = netmap_apply(wg, map, &d) == -1;
	netmap_tell(signal, &d);
	netmap_tell(ice, &d);
	formers_add(&d);
	phase = netmap_phase(&d);
	log_info("network map serial %" PRIu64 ": %" PRIu32 " peers "
	    "(+%zu -%zu ~%zu)%s", map->serial, map->npeers, d.nadd, d.ndel,
	    d.nupdated, failed ? ", not all applied" : "");
	netmap_diff_free(&d);
	netmap_free(current);
	current = map;
	last_sync = time(NULL);
	dirty = failed;
	return phase;
}

/* -1 if any step failed; the others are still done. */
static int
netmap_apply(struct wg_iface *wg, struct netmap *map,
    const struct netmap_diff *d)
{
	char	buf[WG_PREFIX_STRLEN];
	size_t	i;
	int	rv = 0;

	if (d->address_changed || d->full) {
		if (wg_set_address(wg, &map->address) == -1)
			rv = -1;
		else if (d->address_changed &&
		    wg_prefix_ntop(&map->address, buf, sizeof(buf)) == 0)
			log_info("%s: address %s", wg_ifname(wg), buf);
	}
	if (netmap_apply_peers(wg, d) == -1)
		rv = -1;
	if (d->full && netmap_remove_strays(wg, map) == -1)
		rv = -1;
	for (i = 0; i < d->nroute_del; i++)
		if (wg_route_del(wg, &d->route_del[i]) == -1)
			rv = -1;
	for (i = 0; i < d->nroute_add; i++)
		if (wg_route_add(wg, &d->route_add[i]) == -1)
			rv = -1;
	return rv;
}

/* Removals first, then new sets, in one exchange with WireGuard. */
static int
netmap_apply_peers(struct wg_iface *wg, const struct netmap_diff *d)
{
	struct wg_peer		*peers, *w;
	const struct nm_peer	*np;
	size_t			 i, n;
	int			 rv;

	n = d->ndel + d->nwgset + d->nadd;
	if (n == 0)
		return 0;
	peers = nm_calloc(n, sizeof(*peers));
	for (i = 0, w = peers; i < d->ndel; i++, w++) {
		memcpy(w->pubkey, d->del[i]->key, sizeof(w->pubkey));
		w->flags = WG_PEER_REMOVE;
	}
	for (i = 0; i < d->nwgset + d->nadd; i++, w++) {
		np = i < d->nwgset ? d->wgset[i] : d->add[i - d->nwgset];
		memcpy(w->pubkey, np->key, sizeof(w->pubkey));
		w->keepalive = np->endpoint ? WG_KEEPALIVE : 0;
		w->flags = WG_PEER_REPLACE_ALLOWED;
		w->allowed = np->allowed;
		w->nallowed = np->nallowed;
	}
	rv = wg_peers_set(wg, peers, n);
	free(peers);
	return rv;
}

/* After a failure: peers on the interface that the map does not have. */
static int
netmap_remove_strays(struct wg_iface *wg, struct netmap *map)
{
	struct wg_peer_stats	*st;
	struct wg_peer		*peers;
	size_t			 i, n, nstray = 0;
	int			 rv;

	if (wg_peer_stats(wg, &st, &n) == -1)
		return -1;
	peers = nm_calloc(n, sizeof(*peers));
	for (i = 0; i < n; i++) {
		if (netmap_find(map, st[i].pubkey) != NULL)
			continue;
		memcpy(peers[nstray].pubkey, st[i].pubkey, WG_KEY_LEN);
		peers[nstray++].flags = WG_PEER_REMOVE;
	}
	rv = wg_peers_set(wg, peers, nstray);
	free(peers);
	free(st);
	return rv;
}

static void
peer_export(const struct nm_peer *np, struct nbd_peer *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->key.key, np->key, sizeof(p->key.key));
	strlcpy(p->fqdn, np->fqdn, sizeof(p->fqdn));
	if (np->address.af == AF_INET) {
		p->address.af = AF_INET;
		p->address.plen = np->address.plen;
		memcpy(p->address.addr, &np->address.addr.v4,
		    sizeof(np->address.addr.v4));
	}
}

/* The peers as signal and ice know them: removals first. */
static void
netmap_tell(struct imsgev *iev, const struct netmap_diff *d)
{
	struct nbd_key	k;
	struct nbd_peer	p;
	size_t		i;

	for (i = 0; i < d->ndel; i++) {
		memcpy(k.key, d->del[i]->key, sizeof(k.key));
		if (imsg_compose(&iev->ibuf, IMSG_PEER_DEL, 0, 0, -1, &k,
		    sizeof(k)) == -1)
			fatal("%s: imsg_compose", __func__);
	}
	for (i = 0; i < d->nadd + d->niceupd; i++) {
		if (i < d->nadd)
			peer_export(d->add[i], &p);
		else
			peer_export(d->iceupd[i - d->nadd], &p);
		if (imsg_compose(&iev->ibuf, i < d->nadd ? IMSG_PEER_ADD :
		    IMSG_PEER_UPDATE, 0, 0, -1, &p, sizeof(p)) == -1)
			fatal("%s: imsg_compose", __func__);
	}
	imsgev_add(iev);
}

static void
formers_add(const struct netmap_diff *d)
{
	struct nm_former	*f;
	time_t			 now = mono_sec();
	size_t			 i;

	for (i = 0; i < d->ndel; i++) {
		f = nm_calloc(1, sizeof(*f));
		memcpy(f->key, d->del[i]->key, sizeof(f->key));
		f->removed = now;
		TAILQ_INSERT_TAIL(&formers, f, entry);
		nformers++;
	}
	formers_prune();
}

/* Oldest first: drop the expired, and keep at most a map's worth. */
static void
formers_prune(void)
{
	struct nm_former	*f;
	time_t			 now = mono_sec();

	while ((f = TAILQ_FIRST(&formers)) != NULL &&
	    (nformers > NBD_PEERS_MAX ||
	    now - f->removed > NETMAP_KEY_GRACE)) {
		TAILQ_REMOVE(&formers, f, entry);
		free(f);
		nformers--;
	}
}

/*
 * May signal or ice have the shared key for this peer?  Only for peers
 * in the map, or removed from it within NETMAP_KEY_GRACE seconds: ice
 * may ask before it reads the PEER_DEL already on its way.
 */
int
netmap_key_allowed(const uint8_t *key)
{
	struct nm_former	*f;

	if (current != NULL && netmap_find(current, key) != NULL)
		return 1;
	formers_prune();
	TAILQ_FOREACH(f, &formers, entry)
		if (memcmp(f->key, key, sizeof(f->key)) == 0)
			return 1;
	return 0;
}

/* From ice; a failure makes the next map go in full (dirty). */
void
netmap_wg_endpoint(struct wg_iface *wg, const struct nbd_wg_endpoint *e)
{
	union wg_sockaddr	 ep;
	const char		*why;

	if ((why = netmap_endpoint_import(e, &ep)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (current == NULL) {
		log_debug("endpoint before the first network map: dropped");
		return;
	}
	if (e->fresh != 0 && e->fresh != 1)
		fatalx("%s: fresh %d", __func__, e->fresh);
	if (netmap_endpoint_apply(current, wg, e->key.key, &ep,
	    e->fresh) == -1)
		dirty = 1;
}

/* Our overlay address and prefix, or NULL before the first map. */
const struct wg_prefix *
netmap_address(void)
{
	if (current == NULL || current->address.af == 0)
		return NULL;
	return &current->address;
}

void
netmap_status(struct ctl_status *st)
{
	if (current == NULL || current->address.af == 0)
		return;
	wg_prefix_ntop(&current->address, st->address, sizeof(st->address));
	strlcpy(st->fqdn, current->fqdn, sizeof(st->fqdn));
	st->serial = current->serial;
	st->last_sync = last_sync;
	st->peers_total = current->npeers;
	st->peers_connected = MINIMUM(peers_connected, current->npeers);
}

/* ice's count; it may lag a map that just lost peers. */
void
netmap_peers_connected(uint32_t n)
{
	peers_connected = n;
}

/* Every WireGuard peer's counters, then the end, for ice's request id. */
void
netmap_wg_stats(struct wg_iface *wg, struct imsgev *iev, uint32_t id)
{
	struct wg_peer_stats	*st;
	struct nbd_wg_stats	 s;
	size_t			 i, n;

	if (wg_peer_stats(wg, &st, &n) == -1)
		n = 0;
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		memcpy(s.key.key, st[i].pubkey, sizeof(s.key.key));
		memcpy(&s.endpoint, &st[i].endpoint, sizeof(st[i].endpoint));
		s.last_handshake = st[i].last_handshake;
		s.rx_bytes = st[i].rx_bytes;
		s.tx_bytes = st[i].tx_bytes;
		if (imsg_compose(&iev->ibuf, IMSG_WG_STATS, id, 0, -1, &s,
		    sizeof(s)) == -1)
			fatal("%s: imsg_compose", __func__);
	}
	free(st);
	if (imsgev_compose(iev, IMSG_WG_STATS_END, id, 0, -1, NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
}
