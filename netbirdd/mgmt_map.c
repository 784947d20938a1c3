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
 * What a decrypted LoginResponse or SyncResponse becomes: the merged
 * NetbirdConfig and the network map, as the fixed-size imsg payloads the
 * parent validates again.  Pure functions of their input and of struct
 * mgmt_sync: the process hands them an emitter, the tests a recorder.
 *
 * The rules are NetBird's (Engine.handleSync): NetbirdConfig first; an
 * empty STUN or TURN list keeps the old one; a NetbirdConfig without
 * relay turns the relay off; a map older than the last applied one is
 * ignored (an equal serial is applied again); a peer that does not parse
 * aborts the whole update.  Strings that do not fit their fields are
 * dropped, with one log line per update.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include <sodium.h>

#include "log.h"
#include "netbirdd.h"
#include "mgmt.h"

/* What one update carried that does not fit: counted, logged once. */
struct dropped {
	unsigned int	 n;
	const char	*first;
};

/* A peer's key and its place in the update, to find duplicates. */
struct peer_slot {
	uint8_t		 key[32];
	size_t		 idx;
};

static int	 str_ok(const char *, size_t, int);
static void	 drop(struct dropped *, const char *);
static void	 drop_log(const struct dropped *, const char *);
static void	 config_merge(struct nbd_netbird_config *,
		    const Management__NetbirdConfig *, int);
static void	 config_stuns(struct nbd_netbird_config *,
		    const Management__NetbirdConfig *, struct dropped *);
static void	 config_turns(struct nbd_netbird_config *,
		    const Management__NetbirdConfig *, struct dropped *);
static void	 config_relay(struct nbd_netbird_config *,
		    const Management__RelayConfig *, struct dropped *);
static void	 config_signal(struct nbd_netbird_config *,
		    const Management__HostConfig *, struct dropped *);
static int	 self_parse(const Management__PeerConfig *,
		    struct mgmt_self *, struct dropped *, const char **);
static int	 peer_parse(const Management__RemotePeerConfig *,
		    struct nbd_netmap_peer *, struct dropped *, const char **);
static long	 peers_check(const struct mgmt_sync *,
		    const Management__NetworkMap *, uint8_t *, struct dropped *,
		    char *, size_t);
static int	 slot_cmp(const void *, const void *);
static int	 map_apply(struct mgmt_sync *, const Management__NetworkMap *,
		    const Management__PeerConfig *, mgmt_emit, void *);

void
mgmt_sync_init(struct mgmt_sync *st, const uint8_t *ourkey)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->ourkey, ourkey, sizeof(st->ourkey));
	st->config.metrics_enabled = -1;
}

/*
 * Printable ASCII that fits in size bytes with its NUL; no space unless
 * asked for.  Nothing management sends is meant to hold anything else,
 * and these strings end up in logs and on terminals.
 */
static int
str_ok(const char *s, size_t size, int space)
{
	size_t	i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= size)
			return 0;
		if (s[i] < (space ? 0x20 : 0x21) || s[i] > 0x7e)
			return 0;
	}
	return 1;
}

static void
drop(struct dropped *d, const char *what)
{
	if (d == NULL)
		return;
	if (d->n++ == 0)
		d->first = what;
}

static void
drop_log(const struct dropped *d, const char *where)
{
	if (d->n > 0)
		log_warnx("%s: ignored %u %s that did not fit (first: %s)",
		    where, d->n, d->n == 1 ? "entry" : "entries", d->first);
}

/*
 * "a.b.c.d/n" or "v6/n": the address as inet_pton(3) reads it, the
 * length in plain decimal without leading zeros.
 */
int
mgmt_prefix_parse(const char *s, struct nbd_prefix *p)
{
	char		 buf[INET6_ADDRSTRLEN + 5], *len;
	size_t		 n, i;
	unsigned int	 plen = 0, max;

	memset(p, 0, sizeof(*p));
	if (s == NULL || strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((len = strchr(buf, '/')) == NULL)
		return -1;
	*len++ = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->af = AF_INET6;
		max = 128;
	} else
		return -1;
	n = strlen(len);
	if (n == 0 || n > 3 || (n > 1 && len[0] == '0'))
		goto bad;
	for (i = 0; i < n; i++) {
		if (len[i] < '0' || len[i] > '9')
			goto bad;
		plen = plen * 10 + (len[i] - '0');
	}
	if (plen > max)
		goto bad;
	p->plen = plen;
	return 0;
 bad:
	memset(p, 0, sizeof(*p));
	return -1;
}

/*
 * NetbirdConfig into the merged state.  At login NetBird reads the
 * signal server, the relay and the metrics switch; STUN and TURN come
 * from the Sync stream, where signal is no longer read.
 */
static void
config_merge(struct nbd_netbird_config *c, const Management__NetbirdConfig *nc,
    int login)
{
	struct dropped	d = { 0, NULL };

	if (login)
		config_signal(c, nc->signal, &d);
	else {
		config_stuns(c, nc, &d);
		config_turns(c, nc, &d);
	}
	config_relay(c, nc->relay, &d);
	if (nc->metrics != NULL)
		c->metrics_enabled = nc->metrics->enabled ? 1 : 0;
	drop_log(&d, login ? "login response" : "management config");
}

static void
config_signal(struct nbd_netbird_config *c, const Management__HostConfig *hc,
    struct dropped *d)
{
	memset(c->signal_uri, 0, sizeof(c->signal_uri));
	c->signal_tls = 0;
	if (hc == NULL)
		return;
	if (!str_ok(hc->uri, sizeof(c->signal_uri), 0)) {
		drop(d, "signal URI");
		return;
	}
	strlcpy(c->signal_uri, hc->uri, sizeof(c->signal_uri));
	c->signal_tls =
	    hc->protocol == MANAGEMENT__HOST_CONFIG__PROTOCOL__HTTPS;
}

/* A non-empty list replaces the old one; an empty list keeps it. */
static void
config_stuns(struct nbd_netbird_config *c, const Management__NetbirdConfig *nc,
    struct dropped *d)
{
	const Management__HostConfig	*hc;
	size_t				 i;

	if (nc->n_stuns == 0)
		return;
	c->nstun = 0;
	memset(c->stun, 0, sizeof(c->stun));
	for (i = 0; i < nc->n_stuns; i++) {
		hc = nc->stuns[i];
		if (c->nstun == NBD_SERVERS_MAX) {
			drop(d, "STUN server over the limit");
			continue;
		}
		if (hc == NULL || !str_ok(hc->uri, CTL_URL_LEN, 0)) {
			drop(d, "STUN URI");
			continue;
		}
		strlcpy(c->stun[c->nstun++], hc->uri, CTL_URL_LEN);
	}
}

static void
config_turns(struct nbd_netbird_config *c, const Management__NetbirdConfig *nc,
    struct dropped *d)
{
	const Management__ProtectedHostConfig	*t;
	struct nbd_turn				*out;
	size_t					 i;

	if (nc->n_turns == 0)
		return;
	c->nturn = 0;
	explicit_bzero(c->turn, sizeof(c->turn));
	for (i = 0; i < nc->n_turns; i++) {
		t = nc->turns[i];
		if (c->nturn == NBD_SERVERS_MAX) {
			drop(d, "TURN server over the limit");
			continue;
		}
		if (t == NULL || t->hostconfig == NULL ||
		    !str_ok(t->hostconfig->uri, sizeof(out->uri), 0) ||
		    !str_ok(t->user, sizeof(out->user), 1) ||
		    !str_ok(t->password, sizeof(out->password), 1)) {
			drop(d, "TURN server");
			continue;
		}
		out = &c->turn[c->nturn++];
		strlcpy(out->uri, t->hostconfig->uri, sizeof(out->uri));
		strlcpy(out->user, t->user, sizeof(out->user));
		strlcpy(out->password, t->password, sizeof(out->password));
	}
}

/* Present: new URLs and token.  Absent: no relay. */
static void
config_relay(struct nbd_netbird_config *c, const Management__RelayConfig *rc,
    struct dropped *d)
{
	size_t	i;

	c->nrelay = 0;
	memset(c->relay, 0, sizeof(c->relay));
	explicit_bzero(c->relay_token_payload, sizeof(c->relay_token_payload));
	explicit_bzero(c->relay_token_signature,
	    sizeof(c->relay_token_signature));
	if (rc == NULL)
		return;
	for (i = 0; i < rc->n_urls; i++) {
		if (c->nrelay == NBD_SERVERS_MAX) {
			drop(d, "relay server over the limit");
			continue;
		}
		if (!str_ok(rc->urls[i], CTL_URL_LEN, 0)) {
			drop(d, "relay URL");
			continue;
		}
		strlcpy(c->relay[c->nrelay++], rc->urls[i], CTL_URL_LEN);
	}
	if (!str_ok(rc->tokenpayload, sizeof(c->relay_token_payload), 0) ||
	    !str_ok(rc->tokensignature, sizeof(c->relay_token_signature), 0)) {
		drop(d, "relay token");
		return;
	}
	strlcpy(c->relay_token_payload, rc->tokenpayload,
	    sizeof(c->relay_token_payload));
	strlcpy(c->relay_token_signature, rc->tokensignature,
	    sizeof(c->relay_token_signature));
}

/*
 * A network as the parent accepts it: no host bits, not a default
 * route (it would replace ours).  What the parent refuses is refused
 * here, so that a hostile server cannot make it fatal.
 */
static int
prefix_is_net(const struct nbd_prefix *p)
{
	size_t		i, len = p->af == AF_INET ? 4 : 16;
	unsigned int	bits = p->plen;
	uint8_t		mask;

	if (p->plen == 0)
		return 0;
	for (i = 0; i < len; i++) {
		mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if (bits == 0)
			mask = 0;
		if (p->addr[i] & ~mask)
			return 0;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return 1;
}

/* Our own PeerConfig: the address is required, the rest optional. */
static int
self_parse(const Management__PeerConfig *pc, struct mgmt_self *s,
    struct dropped *d, const char **why)
{
	memset(s, 0, sizeof(*s));
	if (mgmt_prefix_parse(pc->address, &s->address) == -1) {
		*why = "our address does not parse";
		return -1;
	}
	if (s->address.af != AF_INET || s->address.plen == 0 ||
	    sodium_is_zero(s->address.addr, 4)) {
		*why = "our address is not a usable IPv4 address";
		return -1;
	}
	if (str_ok(pc->fqdn, sizeof(s->fqdn), 0))
		strlcpy(s->fqdn, pc->fqdn, sizeof(s->fqdn));
	else if (pc->fqdn != NULL && pc->fqdn[0] != '\0')
		drop(d, "our FQDN");
	if (pc->mtu >= NBD_MTU_MIN && pc->mtu <= NBD_MTU_MAX)
		s->mtu = pc->mtu;
	else if (pc->mtu != 0)
		drop(d, "MTU out of range");
	s->have = 1;
	return 0;
}

int
mgmt_login_apply(struct mgmt_sync *st, const Management__LoginResponse *lr,
    mgmt_emit emit, void *arg)
{
	struct mgmt_self	 self;
	struct dropped		 d = { 0, NULL };
	const char		*why = "no peer configuration";

	if (lr->peerconfig == NULL ||
	    self_parse(lr->peerconfig, &self, &d, &why) == -1) {
		log_warnx("login response refused: %s", why);
		return MGMT_APPLY_REFUSED;
	}
	drop_log(&d, "login response");
	st->self = self;
	if (lr->netbirdconfig != NULL)
		config_merge(&st->config, lr->netbirdconfig, 1);
	emit(arg, IMSG_MGMT_CONFIG, &st->config, sizeof(st->config));
	return MGMT_APPLY_OK;
}

int
mgmt_sync_apply(struct mgmt_sync *st, const Management__SyncResponse *sr,
    mgmt_emit emit, void *arg)
{
	if (sr->netbirdconfig != NULL) {
		config_merge(&st->config, sr->netbirdconfig, 0);
		emit(arg, IMSG_MGMT_CONFIG, &st->config, sizeof(st->config));
	}
	if (sr->networkmap == NULL) {
		if (sr->networkmapenvelope != NULL)
			log_warnx("management sent a network map in the "
			    "component format, which netbirdd does not ask "
			    "for: ignored");
		return MGMT_APPLY_OK;
	}
	return map_apply(st, sr->networkmap, sr->peerconfig, emit, arg);
}

/*
 * One remote peer: its key, its allowed IPs (at least one, all valid),
 * its FQDN when it fits.
 */
static int
peer_parse(const Management__RemotePeerConfig *rp, struct nbd_netmap_peer *p,
    struct dropped *d, const char **why)
{
	size_t	i;

	memset(p, 0, sizeof(*p));
	if (rp == NULL || rp->wgpubkey == NULL ||
	    key_from_base64(rp->wgpubkey, p->key.key) == -1 ||
	    sodium_is_zero(p->key.key, sizeof(p->key.key))) {
		*why = "bad WireGuard key";
		return -1;
	}
	if (rp->n_allowedips == 0) {
		*why = "no allowed IPs";
		return -1;
	}
	if (rp->n_allowedips > NBD_ALLOWED_MAX) {
		*why = "too many allowed IPs";
		return -1;
	}
	for (i = 0; i < rp->n_allowedips; i++) {
		if (mgmt_prefix_parse(rp->allowedips[i],
		    &p->allowed[i]) == -1 || !prefix_is_net(&p->allowed[i])) {
			*why = "bad allowed IP";
			return -1;
		}
	}
	p->nallowed = rp->n_allowedips;
	if (str_ok(rp->fqdn, sizeof(p->fqdn), 0))
		strlcpy(p->fqdn, rp->fqdn, sizeof(p->fqdn));
	else if (rp->fqdn != NULL && rp->fqdn[0] != '\0')
		drop(d, "peer FQDN");
	return 0;
}

static int
slot_cmp(const void *a, const void *b)
{
	const struct peer_slot	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->key, y->key, sizeof(x->key))) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Every peer must parse.  skip[i] is set for peers that are not sent:
 * ourselves, and the repeats of a key (the first one counts, as in
 * NetBird).  Returns how many are sent, or -1 with the reason in why.
 */
static long
peers_check(const struct mgmt_sync *st, const Management__NetworkMap *nm,
    uint8_t *skip, struct dropped *d, char *why, size_t whylen)
{
	struct nbd_netmap_peer	 p;
	struct peer_slot	*slots;
	const char		*what;
	size_t			 i, n = nm->n_remotepeers;
	long			 count = 0;

	if ((slots = calloc(n + 1, sizeof(*slots))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n; i++) {
		if (peer_parse(nm->remotepeers[i], &p, d, &what) == -1) {
			snprintf(why, whylen, "peer %zu: %s", i, what);
			free(slots);
			return -1;
		}
		memcpy(slots[i].key, p.key.key, sizeof(slots[i].key));
		slots[i].idx = i;
		if (memcmp(p.key.key, st->ourkey, sizeof(st->ourkey)) == 0)
			skip[i] = 1;
	}
	qsort(slots, n, sizeof(*slots), slot_cmp);
	for (i = 1; i < n; i++) {
		if (memcmp(slots[i].key, slots[i - 1].key,
		    sizeof(slots[i].key)) == 0 && !skip[slots[i].idx]) {
			skip[slots[i].idx] = 1;
			drop(d, "repeated peer key");
		}
	}
	for (i = 0; i < n; i++)
		count += !skip[i];
	free(slots);
	return count;
}

static int
map_apply(struct mgmt_sync *st, const Management__NetworkMap *nm,
    const Management__PeerConfig *toppc, mgmt_emit emit, void *arg)
{
	struct nbd_netmap_begin		 b;
	struct nbd_netmap_end		 e;
	struct nbd_netmap_peer		 p;
	struct mgmt_self		 self = st->self;
	struct dropped			 d = { 0, NULL };
	const Management__PeerConfig	*pc;
	const char			*what;
	char				 why[sizeof(st->refused_why)];
	uint8_t				*skip = NULL;
	size_t				 i;
	long				 n;

	/* NetworkMap.peerConfig; older servers only filled the top one. */
	pc = nm->peerconfig != NULL ? nm->peerconfig : toppc;
	if (pc != NULL && self_parse(pc, &self, &d, &what) == -1) {
		strlcpy(why, what, sizeof(why));
		goto refuse;
	}
	if (!self.have) {
		strlcpy(why, "no address for this peer yet", sizeof(why));
		goto refuse;
	}
	/* An older map still counts when our address changed (new login). */
	if (st->have_serial && st->serial > nm->serial &&
	    memcmp(&self.address, &st->self.address,
	    sizeof(self.address)) == 0) {
		log_debug("network map %llu older than %llu: ignored",
		    (unsigned long long)nm->serial,
		    (unsigned long long)st->serial);
		return MGMT_APPLY_STALE;
	}
	if (nm->n_remotepeers > NBD_PEERS_MAX) {
		snprintf(why, sizeof(why), "%zu peers, more than %d",
		    nm->n_remotepeers, NBD_PEERS_MAX);
		goto refuse;
	}
	if ((skip = calloc(nm->n_remotepeers + 1, 1)) == NULL)
		fatal("%s", __func__);
	if ((n = peers_check(st, nm, skip, &d, why, sizeof(why))) == -1)
		goto refuse;

	memset(&b, 0, sizeof(b));
	b.serial = nm->serial;
	b.address = self.address;
	strlcpy(b.fqdn, self.fqdn, sizeof(b.fqdn));
	b.npeers = n;
	b.mtu = self.mtu;
	emit(arg, IMSG_MGMT_NETMAP_BEGIN, &b, sizeof(b));
	for (i = 0; i < nm->n_remotepeers; i++) {
		if (skip[i])
			continue;
		if (peer_parse(nm->remotepeers[i], &p, NULL, &what) == -1)
			fatalx("%s: peer %zu no longer parses", __func__, i);
		emit(arg, IMSG_MGMT_NETMAP_PEER, &p, sizeof(p));
	}
	memset(&e, 0, sizeof(e));
	e.serial = nm->serial;
	e.npeers = n;
	emit(arg, IMSG_MGMT_NETMAP_END, &e, sizeof(e));
	free(skip);

	drop_log(&d, "network map");
	st->self = self;
	st->serial = nm->serial;
	st->have_serial = 1;
	st->have_refused = 0;
	return MGMT_APPLY_OK;
 refuse:
	free(skip);
	if (st->have_refused && st->refused_serial == nm->serial &&
	    strcmp(st->refused_why, why) == 0) {
		log_debug("network map %llu refused again",
		    (unsigned long long)nm->serial);
		return MGMT_APPLY_REFUSED;
	}
	log_warnx("network map %llu refused: %s",
	    (unsigned long long)nm->serial, why);
	st->have_refused = 1;
	st->refused_serial = nm->serial;
	strlcpy(st->refused_why, why, sizeof(st->refused_why));
	return MGMT_APPLY_REFUSED;
}
