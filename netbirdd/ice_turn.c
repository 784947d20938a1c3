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
 * A TURN client over UDP (RFC 8656; what it keeps of RFC 5766), on the
 * process's libevent base.  libnice's STUN agent builds the messages and
 * checks the answers: it remembers each request it built, with the
 * long-term key, and accepts an answer only to one of them, with a
 * MESSAGE-INTEGRITY made with that key (401 and 438 answers excepted, as
 * they carry none).
 *
 * Allocate goes first without credentials; the 401 answer brings REALM
 * and NONCE, and that whole answer is kept: every later request copies
 * both from it.  A 438 answer (stale nonce) replaces it and the request
 * is made again.  The allocation is refreshed ahead of its lifetime.
 * Each peer has a permission and a channel, each refreshed by a timer
 * of its own; data to a peer goes in Send indications until its
 * ChannelBind is answered, in ChannelData after.  Requests are sent
 * again on a doubling timeout with a ceiling (RFC 8489 6.2.1) until an
 * answer or the last timeout.
 *
 * When the allocation fails (or its refresh does) the client stops and
 * says so once, through the failed callback.  Callbacks may free the
 * client: the event handlers count themselves in busy, and a free made
 * meanwhile waits for them.  Callbacks are never called from the
 * functions of the API.
 *
 * Server input comes on one socket connected to the server, so the
 * kernel keeps other senders out.  A ChannelData length is checked
 * against the datagram, its channel against ours; a STUN message goes
 * through the agent's checks (attribute lengths, cookie, transaction,
 * integrity) and then every attribute we read through our own (address
 * families, sizes).  Whatever fails is counted and dropped.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <stun/stunagent.h>
#include <stun/usages/turn.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"

/* The tests build this file with shorter times. */
#ifndef TURN_LIFETIME
#define TURN_LIFETIME		600	/* seconds, what we ask for */
#endif
#ifndef TURN_PERM_REFRESH
#define TURN_PERM_REFRESH	240	/* a permission lasts 300 s */
#endif
#ifndef TURN_CHAN_REFRESH
#define TURN_CHAN_REFRESH	480	/* a channel binding 600 s */
#endif
#ifndef TURN_RTO_MS
#define TURN_RTO_MS		500
#endif
#ifndef TURN_RTO_MAX_MS
#define TURN_RTO_MAX_MS		4000
#endif
#define TURN_LIFETIME_MAX	3600	/* a longer grant counts as this */
#define TURN_TRIES		7	/* transmissions of one request */
#define TURN_AUTH_TRIES		4	/* 401, 438 answers in a row */
#define TURN_PEERS_MAX		64	/* two requests each stay under
					   the agent's 200 transactions */
#define TURN_CHAN_FIRST		0x4000	/* RFC 8656 12 */
#define TURN_CHAN_LAST		0x4fff
#define TURN_CRED_MAX		256	/* username, password, NUL */
#define TURN_ATTR_MAX		763	/* REALM, NONCE: RFC 8489 14 */
#define TURN_REQ_MAX		4096	/* a request we build */
#define TURN_DGRAM_MAX		65536
#define TURN_DATA_MAX		65000	/* payload of one datagram */
#define TURN_BURST		64	/* datagrams read per event */
#define TURN_OUTCOMES_MAX	16	/* servers whose last outcome we keep */

enum turn_state {
	TURN_ALLOCATING,
	TURN_READY,
	TURN_FAILED
};

enum turn_req {
	TURN_REQ_ALLOCATE,
	TURN_REQ_REFRESH,
	TURN_REQ_PERMISSION,
	TURN_REQ_CHANNEL
};

static const char *const turn_req_names[] = {
	[TURN_REQ_ALLOCATE] = "Allocate",
	[TURN_REQ_REFRESH] = "Refresh",
	[TURN_REQ_PERMISSION] = "CreatePermission",
	[TURN_REQ_CHANNEL] = "ChannelBind",
};

struct turn_peer {
	TAILQ_ENTRY(turn_peer)	 entry;
	struct turn_client	*c;
	struct sockaddr_storage	 addr;
	uint16_t		 channel;
	int			 bound;		/* ChannelBind done */
	struct event		 perm_ev;	/* refresh timers */
	struct event		 chan_ev;
};

/* A request waiting for its answer. */
struct turn_tx {
	TAILQ_ENTRY(turn_tx)	 entry;
	struct turn_client	*c;
	int			 req;		/* enum turn_req */
	struct turn_peer	*peer;		/* permission, channel */
	int			 authed;	/* carried credentials */
	int			 auth_tries;
	int			 sent;		/* transmissions */
	StunTransactionId	 id;
	uint8_t			*msg;
	size_t			 len;
	struct event		 ev;
};

struct turn_client {
	int			 state;		/* enum turn_state */
	int			 fd;
	int			 busy;		/* in handlers */
	int			 dead;		/* freed meanwhile */
	struct event		 ev;
	struct event		 refresh_ev;
	struct sockaddr_storage	 server;
	char			 username[TURN_CRED_MAX];
	char			 password[TURN_CRED_MAX];
	StunAgent		 agent;
	uint8_t			 auth[ICE_STUN_MAX];	/* 401, 438 */
	size_t			 authlen;		/* 0: none yet */
	struct sockaddr_storage	 relayed;
	struct sockaddr_storage	 mapped;
	TAILQ_HEAD(, turn_peer)	 peers;
	size_t			 npeers;
	TAILQ_HEAD(, turn_tx)	 txs;
	struct turn_cb		 cb;
	void			*arg;
	struct turn_stats	 stats;
	char			 why[160];
};

/* How the last allocation at a server went, for netbirdctl. */
struct turn_outcome {
	struct sockaddr_storage	 server;	/* AF_UNSPEC: a free slot */
	time_t			 when;
	int			 ok;
	char			 why[160];
};

static socklen_t turn_sslen(const struct sockaddr_storage *);
static int	turn_outcome_set(const struct turn_client *, int);
static void	turn_leave(struct turn_client *);
static void	turn_stop(struct turn_client *);
static void	turn_fail(struct turn_client *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	turn_drop(struct turn_client *, const char *);
static void	turn_auth_msg(struct turn_client *, StunMessage *);
static int	turn_keep_auth(struct turn_client *, const StunMessage *);
static int	turn_append_auth(struct turn_client *, StunMessage *);
static size_t	turn_build(struct turn_client *, int, struct turn_peer *,
		    int32_t, StunMessage *);
static size_t	turn_build_peer(struct turn_client *, int,
		    struct turn_peer *, StunMessage *);
static int	turn_request(struct turn_client *, int, struct turn_peer *,
		    int);
static void	turn_tx_send(struct turn_tx *);
static void	turn_tx_timeout(int, short, void *);
static void	turn_tx_free(struct turn_tx *);
static struct turn_tx *turn_tx_find(struct turn_client *,
		    const StunTransactionId);
static void	turn_tx_failed(struct turn_client *, int, struct turn_peer *,
		    const char *);
static void	turn_read(int, short, void *);
static void	turn_input(struct turn_client *, const uint8_t *, size_t);
static void	turn_input_channel(struct turn_client *, const uint8_t *,
		    size_t);
static void	turn_input_stun(struct turn_client *, const uint8_t *,
		    size_t);
static void	turn_input_data(struct turn_client *, StunMessage *);
static void	turn_input_answer(struct turn_client *, StunMessage *,
		    StunValidationStatus);
static void	turn_answer_error(struct turn_client *, StunMessage *,
		    int, struct turn_peer *, int, int);
static void	turn_allocated(struct turn_client *, StunMessage *);
static void	turn_refreshed(struct turn_client *, StunMessage *);
static uint32_t	turn_lifetime(uint32_t);
static void	turn_refresh_arm(struct turn_client *, uint32_t);
static void	turn_refresh_tick(int, short, void *);
static void	turn_release(struct turn_client *);
static struct turn_peer *turn_peer_find(struct turn_client *,
		    const struct sockaddr_storage *, int);
static struct turn_peer *turn_peer_by_channel(struct turn_client *,
		    uint16_t);
static void	turn_peer_start(struct turn_peer *);
static void	turn_perm_tick(int, short, void *);
static void	turn_chan_tick(int, short, void *);
static int	turn_send_channel(struct turn_client *, struct turn_peer *,
		    const void *, size_t);
static int	turn_send_indication(struct turn_client *,
		    struct turn_peer *, const void *, size_t);

/* Attributes whose meaning we know: others below 0x8000 fail a message. */
static const uint16_t turn_known_attrs[] = {
	STUN_ATTRIBUTE_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_USERNAME,
	STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_ERROR_CODE,
	STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
	STUN_ATTRIBUTE_CHANNEL_NUMBER,
	STUN_ATTRIBUTE_LIFETIME,
	STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	STUN_ATTRIBUTE_DATA,
	STUN_ATTRIBUTE_REALM,
	STUN_ATTRIBUTE_NONCE,
	STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
	STUN_ATTRIBUTE_REQUESTED_ADDRESS_TYPE,
	STUN_ATTRIBUTE_EVEN_PORT,
	STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
	STUN_ATTRIBUTE_DONT_FRAGMENT,
	STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	STUN_ATTRIBUTE_RESERVATION_TOKEN,
	0
};

/* One process, one thread: buffers for what we read and build. */
static uint8_t	turn_rbuf[TURN_DGRAM_MAX];
static uint8_t	turn_sbuf[TURN_DGRAM_MAX];
static uint8_t	turn_mbuf[TURN_REQ_MAX];

static struct turn_outcome turn_outcomes[TURN_OUTCOMES_MAX];

struct turn_client *
turn_client_new(const struct sockaddr_storage *server, const char *username,
    const char *password, const struct turn_cb *cb, void *arg)
{
	struct turn_client	*c;
	socklen_t		 slen;

	if ((slen = turn_sslen(server)) == 0) {
		log_warnx("%s: the server is not an IP address", __func__);
		return NULL;
	}
	if (strlen(username) >= TURN_CRED_MAX ||
	    strlen(password) >= TURN_CRED_MAX) {
		log_warnx("%s: credentials too long", __func__);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	c->fd = socket(server->ss_family,
	    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || connect(c->fd, (const struct sockaddr *)server,
	    slen) == -1) {
		log_warn("%s: socket to the TURN server", __func__);
		if (c->fd != -1)
			close(c->fd);
		free(c);
		return NULL;
	}
	c->state = TURN_ALLOCATING;
	c->server = *server;
	strlcpy(c->username, username, sizeof(c->username));
	strlcpy(c->password, password, sizeof(c->password));
	c->cb = *cb;
	c->arg = arg;
	TAILQ_INIT(&c->peers);
	TAILQ_INIT(&c->txs);
	stun_agent_init(&c->agent, turn_known_attrs, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS |
	    STUN_AGENT_USAGE_USE_FINGERPRINT);
	event_assign(&c->ev, penv.evbase, c->fd, EV_READ | EV_PERSIST,
	    turn_read, c);
	evtimer_assign(&c->refresh_ev, penv.evbase, turn_refresh_tick, c);
	if (event_add(&c->ev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	if (turn_request(c, TURN_REQ_ALLOCATE, NULL, 0) == -1) {
		turn_stop(c);
		freezero(c, sizeof(*c));
		return NULL;
	}
	return c;
}

int
turn_client_permit(struct turn_client *c, const struct sockaddr_storage *to)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	struct turn_peer	*peer;
	char			 buf[64];

	if (c->state == TURN_FAILED || c->dead)
		return -1;
	/* We ask for no address family: the relay is IPv4 (RFC 8656 7.1). */
	if (to->ss_family != AF_INET || sin->sin_port == 0 ||
	    sin->sin_addr.s_addr == htonl(INADDR_ANY)) {
		log_warnx("%s: not a usable IPv4 peer: %s", __func__,
		    ice_addr_str(to, buf, sizeof(buf)));
		return -1;
	}
	if (turn_peer_find(c, to, 1) != NULL)
		return 0;
	if (c->npeers >= TURN_PEERS_MAX) {
		log_warnx("%s: %zu peers already", __func__, c->npeers);
		return -1;
	}
	if ((peer = calloc(1, sizeof(*peer))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	peer->c = c;
	peer->addr = *to;
	/* Peers stay until the client goes: numbers are never reused. */
	peer->channel = TURN_CHAN_FIRST + c->npeers;
	event_assign(&peer->perm_ev, penv.evbase, -1, EV_PERSIST,
	    turn_perm_tick, peer);
	event_assign(&peer->chan_ev, penv.evbase, -1, EV_PERSIST,
	    turn_chan_tick, peer);
	TAILQ_INSERT_TAIL(&c->peers, peer, entry);
	c->npeers++;
	if (c->state == TURN_READY)
		turn_peer_start(peer);
	return 0;
}

/*
 * 0: the kernel took the datagram.  -1: not sent (not ready, unknown
 * peer, too large, or the socket would block: counted in tx_drops).
 */
int
turn_client_send(struct turn_client *c, const struct sockaddr_storage *to,
    const void *data, size_t len)
{
	struct turn_peer	*peer;
	int			 r;

	if (c->state != TURN_READY || c->dead || len > TURN_DATA_MAX)
		return -1;
	if ((peer = turn_peer_find(c, to, 1)) == NULL)
		return -1;
	if (peer->bound)
		r = turn_send_channel(c, peer, data, len);
	else
		r = turn_send_indication(c, peer, data, len);
	if (r == -1)
		return -1;
	c->stats.tx_bytes += len;
	return 0;
}

void
turn_client_credentials(struct turn_client *c, const char *username,
    const char *password)
{
	if (strlen(username) >= TURN_CRED_MAX ||
	    strlen(password) >= TURN_CRED_MAX) {
		log_warnx("%s: credentials too long, keeping the old ones",
		    __func__);
		return;
	}
	/*
	 * An allocation keeps the username it was made with (RFC 8656 5;
	 * coturn answers 441 to another); REST credentials outlive their
	 * expiry time on an allocation made in time.  So new ones serve
	 * the Allocate requests still to come, if any.  The agent keeps a
	 * pointer to the password of each request, but checks the answers
	 * with the long-term key it made then.
	 */
	if (c->state != TURN_ALLOCATING)
		return;
	strlcpy(c->username, username, sizeof(c->username));
	strlcpy(c->password, password, sizeof(c->password));
}

void
turn_client_stats(const struct turn_client *c, struct turn_stats *st)
{
	*st = c->stats;
}

void
turn_client_free(struct turn_client *c)
{
	if (c == NULL || c->dead)
		return;
	if (c->state == TURN_READY)
		turn_release(c);
	turn_stop(c);
	c->state = TURN_FAILED;
	if (c->busy > 0) {
		c->dead = 1;
		return;
	}
	freezero(c, sizeof(*c));
}

/*
 * The last allocation any client made at server: 1 it stood, 0 it
 * failed (why says how), -1 none that we remember.  *when is its time.
 */
int
turn_server_outcome(const struct sockaddr_storage *server, time_t *when,
    char *why, size_t len)
{
	size_t	i;

	for (i = 0; i < nitems(turn_outcomes); i++) {
		if (turn_outcomes[i].server.ss_family == AF_UNSPEC ||
		    !ice_addr_eq(&turn_outcomes[i].server, server))
			continue;
		*when = turn_outcomes[i].when;
		strlcpy(why, turn_outcomes[i].why, len);
		return turn_outcomes[i].ok;
	}
	return -1;
}

/*
 * The slot of c's server, else a free one, else the oldest.  1 when the
 * outcome is news for the log: a failure for another reason than the
 * server's last one, or a success after a failure.  Every agent makes
 * its own allocation: a server that is down would otherwise fill the
 * log with one line per agent.
 */
static int
turn_outcome_set(const struct turn_client *c, int ok)
{
	struct turn_outcome	*o = &turn_outcomes[0];
	size_t			 i;
	int			 news;

	for (i = 0; i < nitems(turn_outcomes); i++) {
		if (turn_outcomes[i].server.ss_family != AF_UNSPEC &&
		    ice_addr_eq(&turn_outcomes[i].server, &c->server)) {
			o = &turn_outcomes[i];
			break;
		}
		if (turn_outcomes[i].when < o->when)
			o = &turn_outcomes[i];
	}
	if (o->server.ss_family == AF_UNSPEC ||
	    !ice_addr_eq(&o->server, &c->server))
		news = !ok;
	else
		news = ok ? !o->ok : o->ok || strcmp(o->why, c->why) != 0;
	o->server = c->server;
	o->when = mono_sec();
	o->ok = ok;
	strlcpy(o->why, ok ? "" : c->why, sizeof(o->why));
	return news;
}

static socklen_t
turn_sslen(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	}
	return 0;
}

/* The end of every event handler; a free asked for meanwhile happens. */
static void
turn_leave(struct turn_client *c)
{
	if (--c->busy == 0 && c->dead)
		freezero(c, sizeof(*c));
}

/* Timers, transactions, peers and the socket go; c itself stays. */
static void
turn_stop(struct turn_client *c)
{
	struct turn_tx		*tx;
	struct turn_peer	*peer;

	event_del(&c->ev);
	event_del(&c->refresh_ev);
	while ((tx = TAILQ_FIRST(&c->txs)) != NULL)
		turn_tx_free(tx);
	while ((peer = TAILQ_FIRST(&c->peers)) != NULL) {
		event_del(&peer->perm_ev);
		event_del(&peer->chan_ev);
		TAILQ_REMOVE(&c->peers, peer, entry);
		free(peer);
	}
	c->npeers = 0;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

/* Called from event handlers only: c->busy keeps c->why alive. */
static void
turn_fail(struct turn_client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[64];

	if (c->state == TURN_FAILED)
		return;
	c->state = TURN_FAILED;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	turn_stop(c);
	if (turn_outcome_set(c, 0))
		log_warnx("TURN %s: %s", ice_addr_str(&c->server, buf,
		    sizeof(buf)), c->why);
	else
		log_debug("TURN %s: %s", ice_addr_str(&c->server, buf,
		    sizeof(buf)), c->why);
	c->cb.failed(c->arg, c->why);
}

static void
turn_drop(struct turn_client *c, const char *why)
{
	char	 buf[64];

	c->stats.rx_drops++;
	log_debug("TURN %s: dropped: %s",
	    ice_addr_str(&c->server, buf, sizeof(buf)), why);
}

/* The kept 401 or 438 answer, as a message to read REALM and NONCE in. */
static void
turn_auth_msg(struct turn_client *c, StunMessage *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->agent = &c->agent;
	msg->buffer = c->auth;
	msg->buffer_len = c->authlen;
}

static int
turn_keep_auth(struct turn_client *c, const StunMessage *msg)
{
	uint16_t	 rlen, nlen, len;

	if (stun_message_find(msg, STUN_ATTRIBUTE_REALM, &rlen) == NULL ||
	    stun_message_find(msg, STUN_ATTRIBUTE_NONCE, &nlen) == NULL ||
	    rlen == 0 || rlen > TURN_ATTR_MAX ||
	    nlen == 0 || nlen > TURN_ATTR_MAX)
		return -1;
	len = stun_message_length(msg);
	if (len > sizeof(c->auth))
		return -1;
	memcpy(c->auth, msg->buffer, len);
	c->authlen = len;
	return 0;
}

static int
turn_append_auth(struct turn_client *c, StunMessage *msg)
{
	StunMessage	 auth;
	const void	*realm, *nonce;
	uint16_t	 rlen, nlen;

	turn_auth_msg(c, &auth);
	if ((realm = stun_message_find(&auth, STUN_ATTRIBUTE_REALM,
	    &rlen)) == NULL ||
	    (nonce = stun_message_find(&auth, STUN_ATTRIBUTE_NONCE,
	    &nlen)) == NULL)
		fatalx("%s: kept answer without REALM or NONCE", __func__);
	if (stun_message_append_bytes(msg, STUN_ATTRIBUTE_REALM, realm,
	    rlen) != STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append_bytes(msg, STUN_ATTRIBUTE_NONCE, nonce,
	    nlen) != STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append_bytes(msg, STUN_ATTRIBUTE_USERNAME,
	    c->username, strlen(c->username)) != STUN_MESSAGE_RETURN_SUCCESS)
		return -1;
	return 0;
}

/*
 * A request in turn_mbuf; its length, 0 if it did not fit or the agent
 * has no room for one more transaction.  Credentials once a 401 came.
 */
static size_t
turn_build(struct turn_client *c, int req, struct turn_peer *peer,
    int32_t lifetime, StunMessage *msg)
{
	StunMessage	 auth, *prev = NULL;
	uint8_t		*user = (uint8_t *)c->username;
	uint8_t		*pass = NULL;
	size_t		 ulen = strlen(c->username), plen = 0;

	if (c->authlen > 0) {
		turn_auth_msg(c, &auth);
		prev = &auth;
		pass = (uint8_t *)c->password;
		plen = strlen(c->password);
	}
	switch (req) {
	case TURN_REQ_ALLOCATE:
		return stun_usage_turn_create(&c->agent, msg, turn_mbuf,
		    sizeof(turn_mbuf), prev,
		    STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, lifetime, user, ulen, pass, plen,
		    STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
	case TURN_REQ_REFRESH:
		return stun_usage_turn_create_refresh(&c->agent, msg, turn_mbuf,
		    sizeof(turn_mbuf), prev, lifetime, user, ulen, pass, plen,
		    STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
	case TURN_REQ_PERMISSION:
	case TURN_REQ_CHANNEL:
		return turn_build_peer(c, req, peer, msg);
	}
	fatalx("%s: request %d", __func__, req);
}

/* CreatePermission or ChannelBind (libnice 0.1.21 has no builder). */
static size_t
turn_build_peer(struct turn_client *c, int req, struct turn_peer *peer,
    StunMessage *msg)
{
	uint8_t		*pass = NULL;
	size_t		 plen = 0;

	if (!stun_agent_init_request(&c->agent, msg, turn_mbuf,
	    sizeof(turn_mbuf), req == TURN_REQ_CHANNEL ? STUN_CHANNELBIND :
	    STUN_CREATEPERMISSION))
		return 0;
	if (req == TURN_REQ_CHANNEL &&
	    stun_message_append32(msg, STUN_ATTRIBUTE_CHANNEL_NUMBER,
	    (uint32_t)peer->channel << 16) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	if (stun_message_append_xor_addr(msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	    &peer->addr, turn_sslen(&peer->addr)) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	if (c->authlen > 0) {
		if (turn_append_auth(c, msg) == -1)
			return 0;
		pass = (uint8_t *)c->password;
		plen = strlen(c->password);
	}
	return stun_agent_finish_message(&c->agent, msg, pass, plen);
}

static int
turn_request(struct turn_client *c, int req, struct turn_peer *peer,
    int auth_tries)
{
	StunMessage	 msg;
	StunTransactionId id;
	struct turn_tx	*tx;
	size_t		 len;

	if ((len = turn_build(c, req, peer, TURN_LIFETIME, &msg)) == 0) {
		log_warnx("%s: %s does not fit", __func__,
		    turn_req_names[req]);
		return -1;
	}
	if ((tx = calloc(1, sizeof(*tx))) == NULL ||
	    (tx->msg = malloc(len)) == NULL) {
		log_warn("%s: calloc", __func__);
		stun_message_id(&msg, id);
		stun_agent_forget_transaction(&c->agent, id);
		free(tx);
		return -1;
	}
	tx->c = c;
	tx->req = req;
	tx->peer = peer;
	tx->authed = c->authlen > 0;
	tx->auth_tries = auth_tries;
	tx->len = len;
	memcpy(tx->msg, turn_mbuf, len);
	stun_message_id(&msg, tx->id);
	evtimer_assign(&tx->ev, penv.evbase, turn_tx_timeout, tx);
	TAILQ_INSERT_TAIL(&c->txs, tx, entry);
	turn_tx_send(tx);
	return 0;
}

/* Errors are left to the retransmissions and the last timeout. */
static void
turn_tx_send(struct turn_tx *tx)
{
	struct timeval	 tv;
	long		 ms;

	if (send(tx->c->fd, tx->msg, tx->len, 0) == -1)
		log_debug("%s: %s: %s", __func__, turn_req_names[tx->req],
		    strerror(errno));
	ms = MINIMUM((long)TURN_RTO_MS << tx->sent, (long)TURN_RTO_MAX_MS);
	tx->sent++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(&tx->ev, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static void
turn_tx_timeout(int fd, short ev, void *arg)
{
	struct turn_tx		*tx = arg;
	struct turn_client	*c = tx->c;
	struct turn_peer	*peer = tx->peer;
	int			 req = tx->req;

	(void)fd;
	(void)ev;
	if (tx->sent < TURN_TRIES) {
		c->stats.retransmits++;
		turn_tx_send(tx);
		return;
	}
	c->busy++;
	turn_tx_free(tx);
	turn_tx_failed(c, req, peer, "no answer from the server");
	turn_leave(c);
}

static void
turn_tx_free(struct turn_tx *tx)
{
	struct turn_client	*c = tx->c;

	event_del(&tx->ev);
	TAILQ_REMOVE(&c->txs, tx, entry);
	/* An answer has made the agent forget it already; no harm. */
	stun_agent_forget_transaction(&c->agent, tx->id);
	free(tx->msg);
	free(tx);
}

static struct turn_tx *
turn_tx_find(struct turn_client *c, const StunTransactionId id)
{
	struct turn_tx	*tx;

	TAILQ_FOREACH(tx, &c->txs, entry)
		if (memcmp(tx->id, id, sizeof(tx->id)) == 0)
			return tx;
	return NULL;
}

/* The allocation's requests end the client; a peer's only warn. */
static void
turn_tx_failed(struct turn_client *c, int req, struct turn_peer *peer,
    const char *why)
{
	char	 buf[64];

	switch (req) {
	case TURN_REQ_ALLOCATE:
	case TURN_REQ_REFRESH:
		turn_fail(c, "%s: %s", turn_req_names[req], why);
		return;
	case TURN_REQ_CHANNEL:
		peer->bound = 0;
		break;
	}
	log_warnx("TURN %s for %s: %s", turn_req_names[req],
	    ice_addr_str(&peer->addr, buf, sizeof(buf)), why);
}

static void
turn_read(int fd, short ev, void *arg)
{
	struct turn_client	*c = arg;
	ssize_t			 n;
	int			 i;

	(void)ev;
	c->busy++;
	for (i = 0; i < TURN_BURST && c->fd != -1 && !c->dead; i++) {
		if ((n = recv(fd, turn_rbuf, sizeof(turn_rbuf), 0)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			/* An ICMP error: the retransmissions decide. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
			    errno == ENETUNREACH)
				continue;
			log_warn("%s: recv", __func__);
			break;
		}
		turn_input(c, turn_rbuf, n);
	}
	turn_leave(c);
}

static void
turn_input(struct turn_client *c, const uint8_t *p, size_t len)
{
	/* RFC 8656 12: the first two bits tell ChannelData from STUN. */
	if (len >= 4 && (p[0] & 0xc0) == 0x40)
		turn_input_channel(c, p, len);
	else if (len >= 20 && (p[0] & 0xc0) == 0)
		turn_input_stun(c, p, len);
	else
		turn_drop(c, "neither STUN nor ChannelData");
}

static void
turn_input_channel(struct turn_client *c, const uint8_t *p, size_t len)
{
	struct turn_peer	*peer;
	struct sockaddr_storage	 from;
	uint16_t		 ch, dlen;

	ch = p[0] << 8 | p[1];
	dlen = p[2] << 8 | p[3];
	if (c->state != TURN_READY) {
		turn_drop(c, "ChannelData before the allocation");
		return;
	}
	if (dlen > len - 4) {
		turn_drop(c, "ChannelData longer than its datagram");
		return;
	}
	/* Padding to 4 bytes is allowed, nothing more. */
	if (len - 4 - dlen > 3) {
		turn_drop(c, "ChannelData shorter than its datagram");
		return;
	}
	if ((peer = turn_peer_by_channel(c, ch)) == NULL) {
		turn_drop(c, "ChannelData on a channel not ours");
		return;
	}
	c->stats.rx_chan++;
	c->stats.rx_bytes += dlen;
	from = peer->addr;
	c->cb.recv(c->arg, &from, p + 4, dlen);
}

static void
turn_input_stun(struct turn_client *c, const uint8_t *p, size_t len)
{
	StunMessage		 msg;
	StunValidationStatus	 st;

	if (len > ICE_STUN_MAX) {
		turn_drop(c, "STUN message too long");
		return;
	}
	/*
	 * The socket carries TURN only: FINGERPRINT is not required from
	 * the server (nor checked); ours go out with one.
	 */
	c->agent.usage_flags &= ~STUN_AGENT_USAGE_USE_FINGERPRINT;
	st = stun_agent_validate(&c->agent, &msg, p, len, NULL, NULL);
	c->agent.usage_flags |= STUN_AGENT_USAGE_USE_FINGERPRINT;
	switch (st) {
	case STUN_VALIDATION_SUCCESS:
	case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
		break;
	case STUN_VALIDATION_UNMATCHED_RESPONSE:
		turn_drop(c, "an answer to no request of ours");
		return;
	case STUN_VALIDATION_UNAUTHORIZED:
		turn_drop(c, "an answer with a wrong MESSAGE-INTEGRITY");
		return;
	default:
		turn_drop(c, "a malformed STUN message");
		return;
	}
	switch (stun_message_get_class(&msg)) {
	case STUN_INDICATION:
		if (st == STUN_VALIDATION_UNKNOWN_ATTRIBUTE)
			turn_drop(c, "an indication with unknown attributes");
		else
			turn_input_data(c, &msg);
		break;
	case STUN_RESPONSE:
	case STUN_ERROR:
		turn_input_answer(c, &msg, st);
		break;
	default:
		turn_drop(c, "a request from the server");
		break;
	}
}

static void
turn_input_data(struct turn_client *c, StunMessage *msg)
{
	struct sockaddr_storage	 from;
	socklen_t		 flen = sizeof(from);
	const uint8_t		*data;
	uint16_t		 dlen;

	if (c->state != TURN_READY) {
		turn_drop(c, "an indication before the allocation");
		return;
	}
	if (stun_message_get_method(msg) != STUN_IND_DATA) {
		turn_drop(c, "an indication other than Data");
		return;
	}
	memset(&from, 0, sizeof(from));
	if (stun_message_find_xor_addr(msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	    &from, &flen) != STUN_MESSAGE_RETURN_SUCCESS) {
		turn_drop(c, "Data without a valid XOR-PEER-ADDRESS");
		return;
	}
	if (turn_peer_find(c, &from, 0) == NULL) {
		turn_drop(c, "Data from an address without permission");
		return;
	}
	if ((data = stun_message_find(msg, STUN_ATTRIBUTE_DATA,
	    &dlen)) == NULL) {
		turn_drop(c, "Data without DATA");
		return;
	}
	c->stats.rx_data++;
	c->stats.rx_bytes += dlen;
	c->cb.recv(c->arg, &from, data, dlen);
}

static void
turn_input_answer(struct turn_client *c, StunMessage *msg,
    StunValidationStatus st)
{
	StunTransactionId	 id;
	struct turn_tx		*tx;
	struct turn_peer	*peer;
	int			 req, authed, auth_tries;

	stun_message_id(msg, id);
	if ((tx = turn_tx_find(c, id)) == NULL) {
		turn_drop(c, "an answer to no request under way");
		return;
	}
	req = tx->req;
	peer = tx->peer;
	authed = tx->authed;
	auth_tries = tx->auth_tries;
	turn_tx_free(tx);
	if (st == STUN_VALIDATION_UNKNOWN_ATTRIBUTE) {
		c->stats.rx_drops++;
		turn_tx_failed(c, req, peer,
		    "an answer with unknown required attributes");
		return;
	}
	if (stun_message_get_class(msg) == STUN_ERROR) {
		turn_answer_error(c, msg, req, peer, authed, auth_tries);
		return;
	}
	switch (req) {
	case TURN_REQ_ALLOCATE:
		turn_allocated(c, msg);
		break;
	case TURN_REQ_REFRESH:
		turn_refreshed(c, msg);
		break;
	case TURN_REQ_PERMISSION:
		c->stats.permissions++;
		break;
	case TURN_REQ_CHANNEL:
		c->stats.channel_binds++;
		peer->bound = 1;
		break;
	}
}

/*
 * 401 to a request without credentials, or 438 (stale nonce) to any:
 * keep the answer's REALM and NONCE and make the request again, a few
 * times in a row at most.  Anything else fails the request.
 */
static void
turn_answer_error(struct turn_client *c, StunMessage *msg, int req,
    struct turn_peer *peer, int authed, int auth_tries)
{
	char	 why[64];
	int	 code;

	if (stun_message_find_error(msg, &code) !=
	    STUN_MESSAGE_RETURN_SUCCESS) {
		c->stats.rx_drops++;
		turn_tx_failed(c, req, peer, "an error without ERROR-CODE");
		return;
	}
	if (code == STUN_ERROR_STALE_NONCE ||
	    (code == STUN_ERROR_UNAUTHORIZED && !authed)) {
		if (auth_tries + 1 >= TURN_AUTH_TRIES) {
			snprintf(why, sizeof(why), "%d again after %d tries",
			    code, auth_tries + 1);
			turn_tx_failed(c, req, peer, why);
			return;
		}
		if (turn_keep_auth(c, msg) == -1) {
			snprintf(why, sizeof(why), "%d without a usable REALM "
			    "and NONCE", code);
			turn_tx_failed(c, req, peer, why);
			return;
		}
		if (code == STUN_ERROR_STALE_NONCE)
			c->stats.stale_nonces++;
		if (turn_request(c, req, peer, auth_tries + 1) == -1)
			turn_tx_failed(c, req, peer, "cannot ask again");
		return;
	}
	if (code == STUN_ERROR_UNAUTHORIZED)
		snprintf(why, sizeof(why), "401 Unauthorized: the server "
		    "refused our credentials");
	else
		snprintf(why, sizeof(why), "%d %s", code,
		    stun_strerror(code));
	turn_tx_failed(c, req, peer, why);
}

static void
turn_allocated(struct turn_client *c, StunMessage *msg)
{
	struct sockaddr_storage	 relayed, mapped, alt;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&relayed;
	socklen_t		 rlen = sizeof(relayed);
	socklen_t		 mlen = sizeof(mapped), alen = sizeof(alt);
	struct turn_peer	*peer;
	StunUsageTurnReturn	 r;
	uint32_t		 bandwidth = 0, lifetime = TURN_LIFETIME;
	char			 b1[64], b2[64];

	memset(&relayed, 0, sizeof(relayed));
	memset(&mapped, 0, sizeof(mapped));
	r = stun_usage_turn_process(msg, &relayed, &rlen, &mapped, &mlen,
	    &alt, &alen, &bandwidth, &lifetime,
	    STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
	if (r != STUN_USAGE_TURN_RETURN_RELAY_SUCCESS &&
	    r != STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS) {
		turn_fail(c, "Allocate: no valid XOR-RELAYED-ADDRESS");
		return;
	}
	if (relayed.ss_family != AF_INET || sin->sin_port == 0 ||
	    sin->sin_addr.s_addr == htonl(INADDR_ANY)) {
		turn_fail(c, "Allocate: unusable relayed address %s",
		    ice_addr_str(&relayed, b1, sizeof(b1)));
		return;
	}
	if (lifetime == 0) {
		turn_fail(c, "Allocate: a lifetime of 0");
		return;
	}
	if (r != STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS ||
	    (mapped.ss_family != AF_INET && mapped.ss_family != AF_INET6))
		memset(&mapped, 0, sizeof(mapped));
	c->state = TURN_READY;
	c->relayed = relayed;
	c->mapped = mapped;
	if (turn_outcome_set(c, 1))
		log_info("TURN %s: allocations work again",
		    ice_addr_str(&c->server, b1, sizeof(b1)));
	turn_refresh_arm(c, lifetime);
	log_debug("TURN %s: relayed address %s, lifetime %us",
	    ice_addr_str(&c->server, b1, sizeof(b1)),
	    ice_addr_str(&relayed, b2, sizeof(b2)), turn_lifetime(lifetime));
	TAILQ_FOREACH(peer, &c->peers, entry)
		turn_peer_start(peer);
	c->cb.ready(c->arg, &c->relayed, &c->mapped);
}

static void
turn_refreshed(struct turn_client *c, StunMessage *msg)
{
	uint32_t	 lifetime = TURN_LIFETIME;

	if (stun_usage_turn_refresh_process(msg, &lifetime,
	    STUN_USAGE_TURN_COMPATIBILITY_RFC5766) !=
	    STUN_USAGE_TURN_RETURN_RELAY_SUCCESS) {
		turn_fail(c, "Refresh: an answer not understood");
		return;
	}
	if (lifetime == 0) {
		turn_fail(c, "Refresh: the server ended the allocation");
		return;
	}
	c->stats.refreshes++;
	turn_refresh_arm(c, lifetime);
}

static uint32_t
turn_lifetime(uint32_t lifetime)
{
	return MINIMUM(lifetime, TURN_LIFETIME_MAX);
}

/* A minute ahead of the end, or half-way through a short lifetime. */
static void
turn_refresh_arm(struct turn_client *c, uint32_t lifetime)
{
	struct timeval	 tv = { 0, 0 };

	lifetime = turn_lifetime(lifetime);
	if (lifetime > 120)
		tv.tv_sec = lifetime - 60;
	else if (lifetime > 1)
		tv.tv_sec = lifetime / 2;
	else
		tv.tv_usec = 500000;
	if (evtimer_add(&c->refresh_ev, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static void
turn_refresh_tick(int fd, short ev, void *arg)
{
	struct turn_client	*c = arg;

	(void)fd;
	(void)ev;
	c->busy++;
	if (turn_request(c, TURN_REQ_REFRESH, NULL, 0) == -1)
		turn_fail(c, "Refresh: cannot make the request");
	turn_leave(c);
}

/* Refresh with a lifetime of 0 ends the allocation; no answer awaited. */
static void
turn_release(struct turn_client *c)
{
	StunMessage		 msg;
	StunTransactionId	 id;
	size_t			 len;

	if ((len = turn_build(c, TURN_REQ_REFRESH, NULL, 0, &msg)) == 0)
		return;
	stun_message_id(&msg, id);
	stun_agent_forget_transaction(&c->agent, id);
	if (send(c->fd, turn_mbuf, len, 0) == -1)
		log_debug("%s: send: %s", __func__, strerror(errno));
}

static struct turn_peer *
turn_peer_find(struct turn_client *c, const struct sockaddr_storage *addr,
    int port)
{
	struct turn_peer	*peer;

	TAILQ_FOREACH(peer, &c->peers, entry)
		if ((port ? ice_addr_eq(&peer->addr, addr) :
		    ice_host_eq(&peer->addr, addr)))
			return peer;
	return NULL;
}

static struct turn_peer *
turn_peer_by_channel(struct turn_client *c, uint16_t ch)
{
	struct turn_peer	*peer;

	TAILQ_FOREACH(peer, &c->peers, entry)
		if (peer->channel == ch)
			return peer;
	return NULL;
}

/* Both requests at once: Send indications work after the first. */
static void
turn_peer_start(struct turn_peer *peer)
{
	struct timeval	 perm = { TURN_PERM_REFRESH, 0 };
	struct timeval	 chan = { TURN_CHAN_REFRESH, 0 };

	if (turn_request(peer->c, TURN_REQ_PERMISSION, peer, 0) == -1 ||
	    turn_request(peer->c, TURN_REQ_CHANNEL, peer, 0) == -1)
		log_warnx("%s: the timers will try again", __func__);
	if (evtimer_add(&peer->perm_ev, &perm) == -1 ||
	    evtimer_add(&peer->chan_ev, &chan) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static void
turn_perm_tick(int fd, short ev, void *arg)
{
	struct turn_peer	*peer = arg;

	(void)fd;
	(void)ev;
	if (turn_request(peer->c, TURN_REQ_PERMISSION, peer, 0) == -1)
		log_warnx("%s: CreatePermission not sent", __func__);
}

static void
turn_chan_tick(int fd, short ev, void *arg)
{
	struct turn_peer	*peer = arg;

	(void)fd;
	(void)ev;
	if (turn_request(peer->c, TURN_REQ_CHANNEL, peer, 0) == -1)
		log_warnx("%s: ChannelBind not sent", __func__);
}

/* Four bytes of header; no padding over UDP (RFC 8656 12.5). */
static int
turn_send_channel(struct turn_client *c, struct turn_peer *peer,
    const void *data, size_t len)
{
	uint8_t		 hdr[4];
	struct iovec	 iov[2];
	struct msghdr	 mh;

	hdr[0] = peer->channel >> 8;
	hdr[1] = peer->channel & 0xff;
	hdr[2] = len >> 8;
	hdr[3] = len & 0xff;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = nitems(iov);
	if (sendmsg(c->fd, &mh, 0) == -1) {
		c->stats.tx_drops++;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			log_debug("%s: sendmsg: %s", __func__,
			    strerror(errno));
		return -1;
	}
	c->stats.tx_chan++;
	return 0;
}

static int
turn_send_indication(struct turn_client *c, struct turn_peer *peer,
    const void *data, size_t len)
{
	StunMessage	 msg;
	size_t		 mlen;

	if (!stun_agent_init_indication(&c->agent, &msg, turn_sbuf,
	    sizeof(turn_sbuf), STUN_IND_SEND) ||
	    stun_message_append_xor_addr(&msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	    &peer->addr, turn_sslen(&peer->addr)) !=
	    STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append_bytes(&msg, STUN_ATTRIBUTE_DATA, data, len) !=
	    STUN_MESSAGE_RETURN_SUCCESS ||
	    (mlen = stun_agent_finish_message(&c->agent, &msg, NULL, 0)) == 0)
		fatalx("%s: %zu bytes do not fit", __func__, len);
	if (send(c->fd, turn_sbuf, mlen, 0) == -1) {
		c->stats.tx_drops++;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
			log_debug("%s: send: %s", __func__, strerror(errno));
		return -1;
	}
	c->stats.tx_send++;
	return 0;
}
