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
 * NetBird relay servers, client side (protocol.md 6), over WebSocket:
 *
 * - Home.  Management names the relays; we dial them all at once (Go
 *   tries all, 7 at a time) and the first to accept our Auth is home,
 *   the others are closed.  Its instance URL (the AuthResponse) and
 *   its address go into our offers.  Lost after RELAY_STABLE_SEC: one
 *   quick attempt at the same server, then the race again after 2 s,
 *   doubling to 60 s.  Lost sooner (a relay that accepts us and then
 *   breaks): the race after the next, longer wait, never at once.
 * - Foreign.  A peer's offer may name another relay (its home): we
 *   connect there too, the offer's IP first, and close it when no
 *   peer has used it for RELAY_IDLE_SEC.
 * - Peers.  A logical connection subscribes to the remote's peer ID
 *   and is up when the relay says the remote is online (within 30 s);
 *   then WireGuard datagrams go as Transport messages.
 * - Health.  The server sends HealthCheck every 25 s, we answer; a
 *   whole RELAY_HC_SEC without one means the connection is dead.
 *
 * A relay that breaks the protocol is logged once and disconnected, as
 * a lost one; the peers on it are told, and nothing else is.  Offers
 * name foreign relays at the remote's pace: one that cannot be parsed or
 * reached is logged once a minute (RELAY_LOG_*), else at debug level.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "relay.h"
#include "server.h"

#define RELAY_DIAL_MS		30000	/* TCP, TLS and the upgrade */
#define RELAY_AUTH_SEC		8	/* for the AuthResponse */
#define RELAY_HC_SEC		35	/* a health check in each */
#define RELAY_OPEN_SEC		30	/* for the remote to be online */
#define RELAY_IDLE_SEC		10	/* a foreign relay unused */
#define RELAY_DNS_RETRY_SEC	5
#define RELAY_STABLE_SEC	60	/* up this long: the backoff resets */
#define RELAY_BACKOFF_FIRST_MS	2000
#define RELAY_BACKOFF_MAX_MS	60000
#define RELAY_BACKOFF		2.0, 0.5
#define RELAY_LOG_URLS		16	/* foreign URLs last logged */
#define RELAY_LOG_BURST		10	/* a minute, all URLs */

enum srv_state {
	SRV_IDLE,
	SRV_RESOLVING,
	SRV_CONNECTING,	/* TCP, TLS, the WebSocket upgrade */
	SRV_AUTH,	/* Auth sent */
	SRV_READY
};

enum srv_role {
	SRV_CANDIDATE,	/* racing to be home */
	SRV_HOME,
	SRV_FOREIGN
};

struct relay_peer {
	TAILQ_ENTRY(relay_peer)	 entry;
	struct relay_srv	*srv;		/* NULL: down */
	struct relay_peerid	 id;
	char			 name[CTL_NAME_LEN];
	int			 online;
	struct event		 wait_ev;
	const struct relay_peer_cb *cb;
	void			*arg;
};
TAILQ_HEAD(relay_peers, relay_peer);

struct relay_srv {
	TAILQ_ENTRY(relay_srv)	 entry;
	char			 url[CTL_URL_LEN];	/* as given */
	struct relay_url	 u;
	char			 instance[CTL_URL_LEN];	/* "": not yet */
	int			 role;		/* enum srv_role */
	int			 state;		/* enum srv_state */
	time_t			 ready_at;
	struct ws_conn		*ws;
	uint32_t		 qid;
	struct sockaddr_storage	 first;		/* from an offer */
	struct sockaddr_storage	 peer;		/* of the connection */
	struct event		 timer_ev;	/* auth, dns retry, send */
	const char		*fail_why;	/* srv_fail() from timer_ev */
	int			 quiet;		/* foreign, logged lately:
						   failing before ready */
	struct event		 hc_ev;
	int			 hc_seen;
	struct event		 idle_ev;
	struct relay_peers	 peers;
};
TAILQ_HEAD(relay_srvs, relay_srv);

static void	 relay_setup(void);
static int	 relay_urls_same(const struct nbd_netbird_config *);
static void	 relay_race(void);
static void	 relay_race_later(void);
static void	 relay_race_tick(int, short, void *);
static void	 relay_home_won(struct relay_srv *);
static void	 relay_home_drop(void);
static struct relay_srv *srv_new(const char *, const struct relay_url *,
		    int);
static void	 srv_free(struct relay_srv *);
static void	 srv_disconnect(struct relay_srv *, const char *, int);
static struct relay_srv *srv_find(const char *);
static void	 srv_connect(struct relay_srv *);
static void	 srv_resolved(void *, const struct sockaddr_storage *, size_t);
static void	 srv_dial(struct relay_srv *, const struct sockaddr_storage *,
		    size_t);
static void	 srv_timer(int, short, void *);
static void	 srv_hc(int, short, void *);
static void	 srv_idle(int, short, void *);
static void	 srv_on_open(void *);
static void	 srv_on_message(void *, const uint8_t *, size_t);
static void	 srv_on_closed(void *, const char *);
static void	 srv_auth_response(struct relay_srv *, const struct relay_msg *);
static void	 srv_ready_message(struct relay_srv *,
		    const struct relay_msg *);
static void	 srv_peers_state(struct relay_srv *, const struct relay_msg *);
static void	 srv_fail(struct relay_srv *, const char *);
static void	 srv_fail_later(struct relay_srv *, const char *);
static void	 srv_send(struct relay_srv *, const uint8_t *, size_t);
static void	 srv_subscribe(struct relay_srv *, struct relay_peer *, int);
static void	 srv_idle_check(struct relay_srv *);
static struct relay_peer *srv_peer(struct relay_srv *, const uint8_t *);
static int	 relay_log_allowed(const char *);
static void	 peer_down(struct relay_peer *, const char *);
static void	 peer_wait_expired(int, short, void *);

static const struct ws_conn_cb srv_ws_cb = {
	.open = srv_on_open,
	.message = srv_on_message,
	.closed = srv_on_closed,
};

static struct {
	int			 setup;
	struct relay_peerid	 me;
	char			 urls[NBD_SERVERS_MAX][CTL_URL_LEN];
	size_t			 nurls;
	char			 token[sizeof(((struct nbd_netbird_config *)
				    0)->relay_token_payload)];
	char			 sig[sizeof(((struct nbd_netbird_config *)
				    0)->relay_token_signature)];
	struct relay_srvs	 srvs;
	struct relay_srv	*home;		/* ready */
	char			 whys[NBD_SERVERS_MAX][CTL_MSG_LEN]; /* of urls:
						   the last failure */
	struct event		 race_ev;
	struct backoff		 backoff;
	void			(*on_change)(void *);
	void			*on_change_arg;
} rl;

/* Before the sandbox: libcurl and the CA bundle for WebSocket. */
void
ice_relay_init(void)
{
	void	*ca = NULL;
	size_t	 calen = 0;

	server_ca_read(&ca, &calen);
	if (ws_init(penv.evbase, ca, calen) == -1)
		fatalx("%s: ws_init", __func__);
	free(ca);
}

void
ice_relay_on_change(void (*cb)(void *), void *arg)
{
	rl.on_change = cb;
	rl.on_change_arg = arg;
}

/*
 * Management's relays and token.  The token is used from the next
 * connection on; the same list keeps home; another list races again.
 */
void
ice_relay_config(const struct nbd_netbird_config *c)
{
	size_t	i;

	relay_setup();
	strlcpy(rl.token, c->relay_token_payload, sizeof(rl.token));
	strlcpy(rl.sig, c->relay_token_signature, sizeof(rl.sig));
	if (relay_urls_same(c))
		return;
	rl.nurls = 0;
	memset(rl.whys, 0, sizeof(rl.whys));
	for (i = 0; i < c->nrelay && i < nitems(rl.urls); i++)
		strlcpy(rl.urls[rl.nurls++], c->relay[i], CTL_URL_LEN);
	if (rl.home != NULL) {
		for (i = 0; i < rl.nurls; i++)
			if (strcmp(rl.urls[i], rl.home->url) == 0)
				return;
		log_info("relay %s: no longer ours", rl.home->url);
		relay_home_drop();
	}
	backoff_init(&rl.backoff, RELAY_BACKOFF_FIRST_MS,
	    RELAY_BACKOFF_MAX_MS, RELAY_BACKOFF);
	relay_race();
}

static void
relay_setup(void)
{
	char	ours[KEY_B64_LEN + 1];

	if (rl.setup)
		return;
	rl.setup = 1;
	TAILQ_INIT(&rl.srvs);
	evtimer_set(&rl.race_ev, relay_race_tick, NULL);
	if (key_to_base64(penv.pubkey.key, ours, sizeof(ours)) == -1)
		fatalx("%s: key_to_base64", __func__);
	relay_peerid(ours, &rl.me);
}

static int
relay_urls_same(const struct nbd_netbird_config *c)
{
	size_t	i;

	if (c->nrelay != rl.nurls)
		return 0;
	for (i = 0; i < rl.nurls; i++)
		if (strcmp(c->relay[i], rl.urls[i]) != 0)
			return 0;
	return 1;
}

/* Our home relay's instance URL and address, for offers; or NULL. */
const char *
ice_relay_home(struct sockaddr_storage *ss)
{
	if (rl.home == NULL)
		return NULL;
	*ss = rl.home->peer;
	return rl.home->instance;
}

/*
 * As Go's status lists relays: home and the foreign relays connected,
 * by instance URL, over WebSocket; with no home, every configured
 * server, down for the last reason a connection failed.
 */
void
ice_relay_show(void (*cb)(void *, const struct ctl_relay *), void *arg)
{
	struct relay_srv	*s;
	struct ctl_relay	 cr;
	size_t			 i;

	for (i = 0; rl.home == NULL && i < rl.nurls; i++) {
		memset(&cr, 0, sizeof(cr));
		strlcpy(cr.uri, rl.urls[i], sizeof(cr.uri));
		strlcpy(cr.error, rl.whys[i][0] != '\0' ? rl.whys[i] :
		    "relay client not connected", sizeof(cr.error));
		cb(arg, &cr);
	}
	memset(&cr, 0, sizeof(cr));
	strlcpy(cr.transport, "ws", sizeof(cr.transport));
	cr.available = 1;
	if (rl.home != NULL) {
		strlcpy(cr.uri, rl.home->instance, sizeof(cr.uri));
		cb(arg, &cr);
	}
	TAILQ_FOREACH(s, &rl.srvs, entry) {
		if (s->state != SRV_READY || s->role != SRV_FOREIGN)
			continue;
		strlcpy(cr.uri, s->instance, sizeof(cr.uri));
		cb(arg, &cr);
	}
}

/* Every configured relay at once; the candidates of a race before go. */
static void
relay_race(void)
{
	struct relay_srv	*s, *t;
	struct relay_url	 u;
	const char		*why;
	size_t			 i, n = 0;

	evtimer_del(&rl.race_ev);
	TAILQ_FOREACH_SAFE(s, &rl.srvs, entry, t)
		if (s->role == SRV_CANDIDATE)
			srv_free(s);
	for (i = 0; i < rl.nurls; i++) {
		if (relay_url_parse(rl.urls[i], &u, &why) == -1) {
			log_warnx("relay %s: %s", rl.urls[i], why);
			continue;
		}
		srv_connect(srv_new(rl.urls[i], &u, SRV_CANDIDATE));
		n++;
	}
	if (n == 0 && rl.nurls > 0)
		log_warnx("relay: none of %zu servers is usable", rl.nurls);
}

static void
relay_race_later(void)
{
	struct timeval	tv;
	int		ms = backoff_next(&rl.backoff);

	if (rl.nurls == 0)
		return;
	log_info("relay: no home relay, trying again in %d.%d s", ms / 1000,
	    ms % 1000 / 100);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&rl.race_ev, &tv);
}

static void
relay_race_tick(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	relay_race();
}

static void
relay_home_won(struct relay_srv *s)
{
	struct relay_srv	*o, *t;

	s->role = SRV_HOME;
	rl.home = s;
	TAILQ_FOREACH_SAFE(o, &rl.srvs, entry, t)
		if (o->role == SRV_CANDIDATE)
			srv_free(o);
	log_info("relay: home is %s", s->instance);
	if (rl.on_change != NULL)
		rl.on_change(rl.on_change_arg);
}

static void
relay_home_drop(void)
{
	struct relay_srv	*s = rl.home;

	rl.home = NULL;
	if (s != NULL)
		srv_free(s);
}

/* ---- servers ---------------------------------------------------------- */

static struct relay_srv *
srv_new(const char *url, const struct relay_url *u, int role)
{
	struct relay_srv	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	strlcpy(s->url, url, sizeof(s->url));
	s->u = *u;
	s->role = role;
	TAILQ_INIT(&s->peers);
	evtimer_set(&s->timer_ev, srv_timer, s);
	evtimer_set(&s->hc_ev, srv_hc, s);
	evtimer_set(&s->idle_ev, srv_idle, s);
	TAILQ_INSERT_TAIL(&rl.srvs, s, entry);
	return s;
}

/* The connection goes (a Close first if ready); the peers are told. */
static void
srv_free(struct relay_srv *s)
{
	srv_disconnect(s, "relay connection closed", 1);
	evtimer_del(&s->idle_ev);
	TAILQ_REMOVE(&rl.srvs, s, entry);
	if (rl.home == s)
		rl.home = NULL;
	free(s);
}

/*
 * The peers are told why, the connection (after a Close, if asked and
 * ready), its lookup and its timers go; the server stays, idle.
 */
static void
srv_disconnect(struct relay_srv *s, const char *why, int say_close)
{
	struct relay_peer	*p;
	uint8_t			 m[RELAY_HDR_LEN];

	while ((p = TAILQ_FIRST(&s->peers)) != NULL)
		peer_down(p, why);
	if (s->ws != NULL) {
		if (say_close && s->state == SRV_READY &&
		    relay_msg_header(m, sizeof(m), RELAY_CLOSE) != 0)
			(void)ws_conn_send(s->ws, m, sizeof(m));
		ws_conn_free(s->ws);
		s->ws = NULL;
	}
	ice_net_resolve_cancel(s->qid);
	s->qid = 0;
	evtimer_del(&s->timer_ev);
	evtimer_del(&s->hc_ev);
	s->fail_why = NULL;
	s->state = SRV_IDLE;
}

/* A server by the URL a peer gave: its instance URL or the one dialled. */
static struct relay_srv *
srv_find(const char *url)
{
	struct relay_srv	*s;

	TAILQ_FOREACH(s, &rl.srvs, entry)
		if (s->role != SRV_CANDIDATE &&
		    (strcmp(s->instance, url) == 0 || strcmp(s->url, url) == 0))
			return s;
	return NULL;
}

static void
srv_connect(struct relay_srv *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct timeval		 tv = { RELAY_DNS_RETRY_SEC, 0 };

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s->u.host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(s->u.port);
		srv_dial(s, &ss, 1);
		return;
	}
	if (s->first.ss_family == AF_INET) {
		srv_dial(s, &s->first, 1);
		return;
	}
	s->state = SRV_RESOLVING;
	if ((s->qid = ice_net_resolve(s->u.host, s->u.port, srv_resolved,
	    s)) == 0)
		evtimer_add(&s->timer_ev, &tv);
}

static void
srv_resolved(void *arg, const struct sockaddr_storage *ss, size_t n)
{
	struct relay_srv	*s = arg;

	s->qid = 0;
	if (n == 0) {
		srv_fail(s, "no address");
		return;
	}
	srv_dial(s, ss, n);
}

static void
srv_dial(struct relay_srv *s, const struct sockaddr_storage *ss, size_t n)
{
	char	url[CTL_URL_LEN + 16];

	if (relay_url_ws(&s->u, url, sizeof(url)) == -1)
		fatalx("%s: %s: URL too long", __func__, s->url);
	s->state = SRV_CONNECTING;
	if ((s->ws = ws_conn_open(url, ss, n, RELAY_DIAL_MS, &srv_ws_cb,
	    s)) == NULL)
		srv_fail_later(s, "cannot open a WebSocket");
}

/* The Auth deadline, or a name that could not be asked yet. */
static void
srv_timer(int fd, short ev, void *arg)
{
	struct relay_srv	*s = arg;

	(void)fd;
	(void)ev;
	if (s->fail_why != NULL) {
		srv_fail(s, s->fail_why);
		return;
	}
	if (s->state == SRV_RESOLVING) {
		srv_connect(s);
		return;
	}
	srv_fail(s, "no AuthResponse within 8 s");
}

static void
srv_hc(int fd, short ev, void *arg)
{
	struct relay_srv	*s = arg;
	struct timeval		 tv = { RELAY_HC_SEC, 0 };

	(void)fd;
	(void)ev;
	if (!s->hc_seen) {
		srv_fail(s, "no health check for 35 s");
		return;
	}
	s->hc_seen = 0;
	evtimer_add(&s->hc_ev, &tv);
}

static void
srv_idle(int fd, short ev, void *arg)
{
	struct relay_srv	*s = arg;

	(void)fd;
	(void)ev;
	if (!TAILQ_EMPTY(&s->peers))
		return;
	log_info("relay %s: unused, closed", s->url);
	srv_free(s);
}

static void
srv_on_open(void *arg)
{
	struct relay_srv	*s = arg;
	struct timeval		 tv = { RELAY_AUTH_SEC, 0 };
	uint8_t			 m[RELAY_AUTH_MAX];
	size_t			 len;

	len = relay_msg_auth(m, sizeof(m), &rl.me, rl.token, rl.sig);
	if (len == 0) {
		srv_fail(s, "the relay token from management is not usable");
		return;
	}
	if (ws_conn_peer(s->ws, &s->peer) == -1)
		memset(&s->peer, 0, sizeof(s->peer));
	s->state = SRV_AUTH;
	srv_send(s, m, len);
	explicit_bzero(m, sizeof(m));
	evtimer_add(&s->timer_ev, &tv);
}

static void
srv_on_message(void *arg, const uint8_t *buf, size_t len)
{
	struct relay_srv	*s = arg;
	struct relay_msg	 m;
	const char		*why;
	char			 reason[128];

	if (relay_msg_decode(buf, len, &m, &why) == -1) {
		(void)snprintf(reason, sizeof(reason), "bad message: %s", why);
		srv_fail(s, reason);
		return;
	}
	if (s->state == SRV_AUTH)
		srv_auth_response(s, &m);
	else
		srv_ready_message(s, &m);
}

/* A relay closes on a token it refuses, without a word (6.5). */
static void
srv_on_closed(void *arg, const char *why)
{
	struct relay_srv	*s = arg;
	char			 reason[256];

	if (s->state == SRV_AUTH) {
		(void)snprintf(reason, sizeof(reason), "%s before answering "
		    "our Auth: is the relay token from management refused?",
		    why);
		srv_fail(s, reason);
		return;
	}
	srv_fail(s, why);
}

static void
srv_auth_response(struct relay_srv *s, const struct relay_msg *m)
{
	struct timeval		 tv = { RELAY_HC_SEC, 0 };
	struct relay_peer	*p;
	char			 a[CTL_ADDR_LEN];

	if (m->type != RELAY_AUTH_RESPONSE) {
		srv_fail(s, "no AuthResponse");
		return;
	}
	if (m->url_len >= sizeof(s->instance) ||
	    memchr(m->url, '\0', m->url_len) != NULL) {
		srv_fail(s, "bad instance URL");
		return;
	}
	memcpy(s->instance, m->url, m->url_len);
	s->instance[m->url_len] = '\0';
	evtimer_del(&s->timer_ev);
	s->state = SRV_READY;
	s->ready_at = mono_sec();
	s->hc_seen = 0;
	evtimer_add(&s->hc_ev, &tv);
	log_info("relay %s: connected from %s, instance %s", s->url,
	    ice_addr_str(&s->peer, a, sizeof(a)), s->instance);
	TAILQ_FOREACH(p, &s->peers, entry)
		srv_subscribe(s, p, RELAY_SUBSCRIBE);
	if (s->role == SRV_CANDIDATE && rl.home == NULL)
		relay_home_won(s);
	else if (s->role == SRV_CANDIDATE)
		srv_free(s);
	else if (s->role == SRV_FOREIGN)
		srv_idle_check(s);
}

static void
srv_ready_message(struct relay_srv *s, const struct relay_msg *m)
{
	struct relay_peer	*p;
	uint8_t			 hc[RELAY_HDR_LEN];

	switch (m->type) {
	case RELAY_TRANSPORT:
		if ((p = srv_peer(s, m->peer.id)) == NULL || !p->online)
			return;
		p->cb->recv(p->arg, m->payload, m->payload_len);
		break;
	case RELAY_HEALTH:
		s->hc_seen = 1;
		if (relay_msg_header(hc, sizeof(hc), RELAY_HEALTH) == 0)
			fatalx("%s: relay_msg_header", __func__);
		srv_send(s, hc, sizeof(hc));
		break;
	case RELAY_PEERS_ONLINE:
	case RELAY_PEERS_OFFLINE:
		srv_peers_state(s, m);
		break;
	case RELAY_CLOSE:
		srv_fail(s, "the relay closed the connection");
		break;
	default:
		srv_fail(s, "an AuthResponse after Auth");
		break;
	}
}

static void
srv_peers_state(struct relay_srv *s, const struct relay_msg *m)
{
	struct relay_peer	*p;
	size_t			 i;

	for (i = 0; i < m->nids; i++) {
		p = srv_peer(s, m->ids + i * RELAY_PEERID_LEN);
		if (p == NULL)
			continue;
		if (m->type == RELAY_PEERS_OFFLINE) {
			peer_down(p, "remote went offline on the relay");
			continue;
		}
		if (p->online)
			continue;
		p->online = 1;
		evtimer_del(&p->wait_ev);
		p->cb->up(p->arg);
	}
	srv_idle_check(s);
}

/*
 * A lost or broken connection.  Its peers are told; a home that was
 * stable gets one quick attempt, then the race; a foreign relay or a
 * candidate goes.
 */
static void
srv_fail(struct relay_srv *s, const char *why)
{
	size_t	i;
	int	stable, home;

	stable = s->state == SRV_READY &&
	    mono_sec() - s->ready_at >= RELAY_STABLE_SEC;
	if (s->quiet && s->state != SRV_READY)
		log_debug("relay %s: %s", s->url, why);
	else
		log_warnx("relay %s: %s", s->url, why);
	for (i = 0; s->role != SRV_FOREIGN && i < rl.nurls; i++)
		if (strcmp(rl.urls[i], s->url) == 0)
			strlcpy(rl.whys[i], why, sizeof(rl.whys[i]));
	srv_disconnect(s, "relay connection lost", 0);
	s->instance[0] = '\0';
	memset(&s->first, 0, sizeof(s->first));
	if (s->role == SRV_HOME && stable) {
		backoff_init(&rl.backoff, RELAY_BACKOFF_FIRST_MS,
		    RELAY_BACKOFF_MAX_MS, RELAY_BACKOFF);
		s->role = SRV_CANDIDATE;
		rl.home = NULL;
		srv_connect(s);
		return;
	}
	/*
	 * A lost home relay starts a new race later.  A foreign one leaves
	 * the race alone: without a home, one is pending or running.
	 */
	if (s->role == SRV_HOME || s->role == SRV_FOREIGN) {
		home = s->role == SRV_HOME;
		srv_free(s);
		if (home)
			relay_race_later();
		return;
	}
	srv_free(s);
	TAILQ_FOREACH(s, &rl.srvs, entry)
		if (s->role == SRV_CANDIDATE)
			return;
	if (rl.home == NULL)
		relay_race_later();
}

/* A message that cannot go (the WebSocket's queue is full) fails s. */
static void
srv_send(struct relay_srv *s, const uint8_t *m, size_t len)
{
	if (ws_conn_send(s->ws, m, len) == -1)
		srv_fail_later(s, "send queue full");
}

/*
 * srv_fail() from the timer, for callers that still use s and its
 * peers when this returns: srv_fail() may free s.
 */
static void
srv_fail_later(struct relay_srv *s, const char *why)
{
	struct timeval	tv = { 0, 0 };

	if (s->fail_why != NULL)
		return;
	s->fail_why = why;
	evtimer_del(&s->timer_ev);
	evtimer_add(&s->timer_ev, &tv);
}

static void
srv_subscribe(struct relay_srv *s, struct relay_peer *p, int type)
{
	uint8_t	m[RELAY_HDR_LEN + RELAY_PEERID_LEN];

	if (s->state != SRV_READY)
		return;
	if (relay_msg_peers(m, sizeof(m), type, &p->id, 1) == 0)
		fatalx("%s: relay_msg_peers", __func__);
	srv_send(s, m, sizeof(m));
}

/* A foreign relay nobody uses closes after RELAY_IDLE_SEC. */
static void
srv_idle_check(struct relay_srv *s)
{
	struct timeval	tv = { RELAY_IDLE_SEC, 0 };

	if (s->role != SRV_FOREIGN || !TAILQ_EMPTY(&s->peers))
		evtimer_del(&s->idle_ev);
	else
		evtimer_add(&s->idle_ev, &tv);
}

static struct relay_peer *
srv_peer(struct relay_srv *s, const uint8_t *id)
{
	struct relay_peer	*p;

	TAILQ_FOREACH(p, &s->peers, entry)
		if (memcmp(p->id.id, id, RELAY_PEERID_LEN) == 0)
			return p;
	return NULL;
}

/*
 * Whether a foreign relay URL may be logged now, so that offers naming
 * bad or unreachable relays make no flood of lines (log_limit_allowed()).
 */
static int
relay_log_allowed(const char *url)
{
	static struct log_limit_slot	slots[RELAY_LOG_URLS];
	static struct log_limit		limit = { slots, RELAY_LOG_URLS,
					    RELAY_LOG_BURST, 0, 0 };

	return log_limit_allowed(&limit, url, strlen(url));
}

/* ---- peers ------------------------------------------------------------ */

/*
 * A logical connection to the peer with key string keystr on the relay
 * url names (ours, or a remote's home: then ip, 4 bytes or none, is
 * dialled first).  up comes when the remote is online there; down when
 * it is not within RELAY_OPEN_SEC or the relay is lost.
 */
struct relay_peer *
ice_relay_open(const char *url, const uint8_t *ip, size_t iplen,
    const char *keystr, const char *name, const struct relay_peer_cb *cb,
    void *arg)
{
	struct relay_srv	*s;
	struct relay_peer	*p;
	struct relay_url	 u;
	struct sockaddr_in	*sin;
	struct timeval		 tv = { RELAY_OPEN_SEC, 0 };
	const char		*why;

	relay_setup();
	if ((s = srv_find(url)) == NULL) {
		if (relay_url_parse(url, &u, &why) == -1) {
			if (relay_log_allowed(url))
				log_warnx("peer %s: relay %s: %s", name, url,
				    why);
			return NULL;
		}
		s = srv_new(url, &u, SRV_FOREIGN);
		s->quiet = !relay_log_allowed(url);
		if (iplen == 4) {
			sin = (struct sockaddr_in *)&s->first;
			sin->sin_family = AF_INET;
			sin->sin_port = htons(u.port);
			memcpy(&sin->sin_addr, ip, 4);
		}
		if (!s->quiet)
			log_info("relay %s: foreign, for peer %s", url, name);
		srv_connect(s);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->srv = s;
	relay_peerid(keystr, &p->id);
	strlcpy(p->name, name, sizeof(p->name));
	p->cb = cb;
	p->arg = arg;
	evtimer_set(&p->wait_ev, peer_wait_expired, p);
	evtimer_add(&p->wait_ev, &tv);
	TAILQ_INSERT_TAIL(&s->peers, p, entry);
	srv_idle_check(s);
	srv_subscribe(s, p, RELAY_SUBSCRIBE);
	return p;
}

/* A WireGuard datagram to the remote; -1 if it cannot go now. */
int
ice_relay_send(struct relay_peer *p, const uint8_t *buf, size_t len)
{
	static uint8_t	m[RELAY_MSG_MAX];
	size_t		n;

	if (p->srv == NULL || !p->online || p->srv->state != SRV_READY)
		return -1;
	if ((n = relay_msg_transport(m, sizeof(m), &p->id, buf, len)) == 0)
		return -1;
	return ws_conn_send(p->srv->ws, m, n);
}

/* The relay's instance URL for the peer view, "" when down. */
const char *
ice_relay_url(const struct relay_peer *p)
{
	if (p->srv == NULL || p->srv->state != SRV_READY)
		return "";
	return p->srv->instance;
}

void
ice_relay_close(struct relay_peer *p)
{
	struct relay_srv	*s = p->srv;

	evtimer_del(&p->wait_ev);
	if (s != NULL) {
		srv_subscribe(s, p, RELAY_UNSUBSCRIBE);
		TAILQ_REMOVE(&s->peers, p, entry);
		srv_idle_check(s);
	}
	free(p);
}

/* Detached first, so that the callback may close it. */
static void
peer_down(struct relay_peer *p, const char *why)
{
	TAILQ_REMOVE(&p->srv->peers, p, entry);
	p->srv = NULL;
	p->online = 0;
	evtimer_del(&p->wait_ev);
	p->cb->down(p->arg, why);
}

static void
peer_wait_expired(int fd, short ev, void *arg)
{
	struct relay_peer	*p = arg;
	struct relay_srv	*s = p->srv;

	(void)fd;
	(void)ev;
	if (s == NULL)
		return;
	peer_down(p, "remote not on the relay within 30 s");
	srv_idle_check(s);
}
