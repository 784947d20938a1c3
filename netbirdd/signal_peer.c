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
 * The peers of the signal process (see signal.c for the connection):
 * who may talk to us, the keys we share with them, and the messages to
 * and from them.
 *
 * The parent sends the peers of the network map as it sends them to
 * ice.  A message from any other key is dropped and counted; one that
 * does not open or decode is dropped and counted apart.  Warnings name
 * a key at most once a minute.  Each peer's shared key is asked of the
 * parent the first time it is needed and kept while the peer is in the
 * map; messages wait for it in the peer's queues (SIG_QUEUE_MAX each
 * way, and SIG_IN_BYTES_MAX of envelopes in all).  Each peer may send
 * SIG_RATE messages a second, in bursts of up to SIG_RATE_BURST; what
 * comes faster is dropped and counted as rejected.  Our own key is a
 * peer too, of one message: the heartbeat.
 *
 * Out: what ice asks to send goes out while the stream is up (NetBird
 * refuses to send without a ready connection; re-offers make up for
 * it).  Per peer, one Send at a time and in order, so that a peer gets
 * an OFFER before the candidates that follow it; each message is tried
 * up to four times (deadlines 10, 10, 10 and 15 s), and at most
 * SIG_INFLIGHT_MAX Sends run at once.  A message to a key not yet in
 * our map waits SIG_STRAY_MS for its PEER_ADD: ice may hear of a peer
 * before we do.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event.h>
#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "box.h"
#include "grpc.h"
#include "server.h"
#include "signal_peer.h"
#include "signal_msg.h"

#define SIG_SEND_TRIES		4
#define SIG_SEND_MS		10000	/* deadline of the first three */
#define SIG_SEND_LAST_MS	15000	/* and of the last */
#define SIG_QUEUE_MAX		32	/* messages waiting, per peer and way */
#define SIG_INFLIGHT_MAX	32	/* Send calls at once */
#define SIG_STRAY_MAX		64	/* keys ice sends to, not yet ours */
#define SIG_STRAY_MS		5000
#define SIG_LOG_KEYS		64	/* keys whose last warning is kept */
#define SIG_LOG_BURST		20	/* warnings a minute, all keys */
/*
 * Envelopes waiting for keys, all peers together.  Most are under
 * 2 KiB, but a Go peer with Rosenpass puts its 524160-byte McEliece
 * public key in every OFFER and ANSWER: room for a few of those.
 */
#define SIG_IN_BYTES_MAX	(4 * 1024 * 1024)
/*
 * Per peer.  A Go peer starting a connection sends an OFFER or ANSWER
 * and a CANDIDATE per local address, STUN and TURN server: 10 to 30
 * messages within a second, twice when a new session restarts the
 * agent, and ice takes 32 remote candidates a session.  The burst
 * covers two full sessions; the rate, re-offers with room to spare.
 */
#define SIG_RATE		20	/* messages a second */
#define SIG_RATE_BURST		80

enum sig_key_state {
	KEY_NONE,
	KEY_ASKED,		/* IMSG_KEY_SHARED_REQ sent */
	KEY_HAVE,
	KEY_REFUSED		/* the parent found no shared secret */
};

/* A message for a peer, as ice gave it. */
struct sig_out {
	TAILQ_ENTRY(sig_out)	 entry;
	struct nbd_signal_msg	 m;
};
TAILQ_HEAD(sig_outs, sig_out);

/* An envelope from a peer whose shared key is on its way. */
struct sig_in {
	TAILQ_ENTRY(sig_in)	 entry;
	uint8_t			*buf;
	size_t			 len;
};
TAILQ_HEAD(sig_ins, sig_in);

struct sig_peer {
	RB_ENTRY(sig_peer)	 entry;
	uint8_t			 key[KEY_LEN];
	char			 b64[KEY_B64_LEN + 1];
	int			 in_map;	/* else a stray: see above */
	int64_t			 stray_since;
	int			 key_state;	/* enum sig_key_state */
	uint8_t			 shared[BOX_KEY_LEN];
	struct sig_outs		 out;
	size_t			 nout;
	struct sig_ins		 in;
	size_t			 nin;
	int64_t			 credit;	/* SIG_RATE: 1000 a message */
	int64_t			 credit_at;	/* ms */
	uint64_t		 rate_drops;	/* in this burst */
	struct grpc_call	*call;		/* Send of the first of out */
	uint8_t			*env;		/* that message, sealed */
	size_t			 envlen;
	int			 tries;
	int			 waiting;	/* in the wait list */
	TAILQ_ENTRY(sig_peer)	 wait;		/* for a free Send slot */
};
RB_HEAD(sig_peers, sig_peer);
RB_PROTOTYPE(sig_peers, sig_peer, entry, sig_peer_cmp)
TAILQ_HEAD(sig_waits, sig_peer);

static int	 sig_peer_cmp(const struct sig_peer *, const struct sig_peer *);
static int	 warn_allowed(const uint8_t *);
static int	 rate_allowed(struct sig_peer *);
static struct sig_peer *peer_find(const uint8_t *);
static struct sig_peer *peer_new(const uint8_t *);
static void	 peer_free(struct sig_peer *);
static void	 peer_key_ask(struct sig_peer *);
static void	 peer_flush(struct sig_peer *, const char *);
static void	 recv_from(struct sig_peer *, const struct signal_env *);
static void	 recv_queue(struct sig_peer *, const uint8_t *, size_t);
static void	 recv_queued(struct sig_peer *);
static void	 out_queue(struct sig_peer *, const struct nbd_signal_msg *);
static void	 out_kick(struct sig_peer *);
static void	 out_attempt(struct sig_peer *);
static void	 out_done(struct grpc_call *, int, const char *, void *);
static void	 out_next(struct sig_peer *);
static void	 out_slot_free(void);
static void	 stray_sweep(int, short, void *);
static const char *type_name(int32_t);

RB_GENERATE(sig_peers, sig_peer, entry, sig_peer_cmp)

static struct sig_peers	 peers = RB_INITIALIZER(&peers);
static struct sig_waits	 waits = TAILQ_HEAD_INITIALIZER(waits);
static struct sig_peer	 self;		/* our own key: the heartbeat */

static struct {
	size_t			 npeers;	/* in the map */
	size_t			 nstrays;
	size_t			 ninflight;
	size_t			 inbytes;	/* of all the in queues */
	struct event		 stray_ev;
} sp;

void
sigpeer_init(void)
{
	TAILQ_INIT(&self.out);
	TAILQ_INIT(&self.in);
	evtimer_set(&sp.stray_ev, stray_sweep, NULL);
}

void
sigpeer_self(const uint8_t *key)
{
	memcpy(self.key, key, sizeof(self.key));
	if (key_to_base64(self.key, self.b64, sizeof(self.b64)) == -1)
		fatalx("%s: key_to_base64", __func__);
}

void
sigpeer_shutdown(void)
{
	struct sig_peer	*p, *n;

	evtimer_del(&sp.stray_ev);
	RB_FOREACH_SAFE(p, sig_peers, &peers, n) {
		RB_REMOVE(sig_peers, &peers, p);
		peer_free(p);
	}
	peer_flush(&self, NULL);
	sodium_memzero(self.shared, sizeof(self.shared));
}

/* A HEARTBEAT to ourselves, which the server routes back to us. */
void
sigpeer_probe(void)
{
	struct nbd_signal_msg	m;

	memset(&m, 0, sizeof(m));
	memcpy(m.peer.key, self.key, sizeof(m.peer.key));
	m.type = SIGNAL_MSG_HEARTBEAT;
	out_queue(&self, &m);
}

static int
sig_peer_cmp(const struct sig_peer *a, const struct sig_peer *b)
{
	return memcmp(a->key, b->key, sizeof(a->key));
}

/* Whether a warning may name this key now (log_limit_allowed()). */
static int
warn_allowed(const uint8_t *key)
{
	static struct log_limit_slot	slots[SIG_LOG_KEYS];
	static struct log_limit		limit = { slots, SIG_LOG_KEYS,
					    SIG_LOG_BURST, 0, 0 };

	return log_limit_allowed(&limit, key, KEY_LEN);
}

/*
 * PEER_ADD (update 0) and PEER_UPDATE (1), checked as ice checks them.
 * Only the key matters here.  A stray with messages from ice becomes a
 * peer, and they go.
 */
void
sigpeer_add(struct imsg *imsg, int update)
{
	struct nbd_peer	 np;
	struct sig_peer	*p;
	const char	*why;

	imsg_data_exact(imsg, &np, sizeof(np), __func__);
	if ((why = nbd_peer_invalid(&np)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (memcmp(np.key.key, self.key, KEY_LEN) == 0)
		fatalx("%s: our own key", __func__);
	p = peer_find(np.key.key);
	if (update) {
		if (p == NULL || !p->in_map)
			fatalx("%s: update of a peer we do not have", __func__);
		return;
	}
	if (p != NULL && p->in_map)
		fatalx("%s: a peer we have", __func__);
	if (sp.npeers >= NBD_PEERS_MAX)
		fatalx("%s: more than %d peers", __func__, NBD_PEERS_MAX);
	if (p == NULL)
		p = peer_new(np.key.key);
	else
		sp.nstrays--;
	p->in_map = 1;
	sp.npeers++;
	out_kick(p);
}

void
sigpeer_del(struct imsg *imsg)
{
	struct nbd_key	 k;
	struct sig_peer	*p;

	imsg_data_exact(imsg, &k, sizeof(k), __func__);
	if ((p = peer_find(k.key)) == NULL || !p->in_map)
		fatalx("%s: a peer we do not have", __func__);
	RB_REMOVE(sig_peers, &peers, p);
	sp.npeers--;
	peer_free(p);
	out_slot_free();
}

static struct sig_peer *
peer_find(const uint8_t *key)
{
	struct sig_peer	k;

	memcpy(k.key, key, sizeof(k.key));
	return RB_FIND(sig_peers, &peers, &k);
}

static struct sig_peer *
peer_new(const uint8_t *key)
{
	struct sig_peer	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	memcpy(p->key, key, sizeof(p->key));
	key_to_base64(p->key, p->b64, sizeof(p->b64));
	TAILQ_INIT(&p->out);
	TAILQ_INIT(&p->in);
	RB_INSERT(sig_peers, &peers, p);
	return p;
}

static void
peer_free(struct sig_peer *p)
{
	peer_flush(p, NULL);
	sodium_memzero(p->shared, sizeof(p->shared));
	free(p);
}

/* Once: the answer is kept for as long as the peer is in the map. */
static void
peer_key_ask(struct sig_peer *p)
{
	if (p->key_state != KEY_NONE)
		return;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_KEY_SHARED_REQ, 0, 0,
	    -1, p->key, sizeof(p->key)) == -1)
		fatal("%s: imsgev_compose", __func__);
	p->key_state = KEY_ASKED;
}

/*
 * The parent's answer.  One for a peer that has left meanwhile is of no
 * use; all zero means there is no shared secret with that key.
 */
void
sigpeer_key_shared(struct imsg *imsg)
{
	struct nbd_shared_key	 sk;
	struct sig_peer		*p;

	imsg_data_exact(imsg, &sk, sizeof(sk), __func__);
	if (memcmp(sk.remote, self.key, KEY_LEN) == 0)
		p = &self;
	else
		p = peer_find(sk.remote);
	if (p == NULL || p->key_state != KEY_ASKED) {
		sodium_memzero(&sk, sizeof(sk));
		log_debug("shared key for a key we do not wait for: dropped");
		return;
	}
	if (sodium_is_zero(sk.shared, sizeof(sk.shared))) {
		p->key_state = KEY_REFUSED;
		log_warnx("no shared key with %s: its messages are dropped",
		    p->b64);
		peer_flush(p, "no shared key");
		out_slot_free();
		return;
	}
	memcpy(p->shared, sk.shared, sizeof(p->shared));
	sodium_memzero(&sk, sizeof(sk));
	p->key_state = KEY_HAVE;
	recv_queued(p);
	out_kick(p);
}

/* Everything waiting for a peer or in flight to it goes. */
static void
peer_flush(struct sig_peer *p, const char *why)
{
	struct sig_out	*o;
	struct sig_in	*i;

	if (p->call != NULL) {
		grpc_call_cancel(p->call);
		p->call = NULL;
		sp.ninflight--;
	}
	if (p->waiting) {
		TAILQ_REMOVE(&waits, p, wait);
		p->waiting = 0;
	}
	if (why != NULL && p->nout + p->nin > 0)
		log_debug("%s: %zu messages out, %zu in dropped: %s", p->b64,
		    p->nout, p->nin, why);
	while ((o = TAILQ_FIRST(&p->out)) != NULL) {
		TAILQ_REMOVE(&p->out, o, entry);
		free(o);
	}
	while ((i = TAILQ_FIRST(&p->in)) != NULL) {
		TAILQ_REMOVE(&p->in, i, entry);
		sp.inbytes -= i->len;
		free(i->buf);
		free(i);
	}
	p->nout = p->nin = 0;
	free(p->env);
	p->env = NULL;
	p->tries = 0;
}

/*
 * One envelope from the stream.  Ours come back from the probe; others
 * must come from a peer of the map and be addressed to us.
 */
void
sigpeer_recv(const uint8_t *buf, size_t len)
{
	static const uint8_t	 server[KEY_LEN];
	struct signal_env	 env;
	struct nbd_signal_msg	 m;
	struct sig_peer		*p;
	const char		*why;

	if ((why = signal_env_unpack(&env, buf, len)) != NULL) {
		signal_count(SIGNAL_REJECTED);
		if (warn_allowed(server))
			log_warnx("message from the server %s: dropped", why);
		return;
	}
	if (memcmp(env.to, self.key, KEY_LEN) != 0) {
		signal_count(SIGNAL_REJECTED);
		if (warn_allowed(server))
			log_warnx("message from the server for another key: "
			    "dropped");
	} else if (memcmp(env.from, self.key, KEY_LEN) == 0) {
		if (self.key_state != KEY_HAVE ||
		    signal_msg_open(self.shared, &env, &m) != NULL ||
		    m.type != SIGNAL_MSG_HEARTBEAT) {
			signal_count(SIGNAL_REJECTED);
			log_debug("message from ourselves, not our heartbeat: "
			    "dropped");
		} else
			log_debug("heartbeat came back");
	} else if ((p = peer_find(env.from)) == NULL || !p->in_map) {
		signal_count(SIGNAL_DROPPED);
		if (warn_allowed(env.from))
			log_warnx("message from %s, not a peer in the network "
			    "map: dropped", env.em->key);
	} else if (!rate_allowed(p)) {
		signal_count(SIGNAL_REJECTED);
		if (p->rate_drops++ == 0 && warn_allowed(p->key))
			log_warnx("messages from %s faster than %d a second: "
			    "dropped", p->b64, SIG_RATE);
	} else if (p->key_state == KEY_HAVE)
		recv_from(p, &env);
	else
		recv_queue(p, buf, len);
	signal_env_free(&env);
}

/*
 * A token bucket of SIG_RATE_BURST messages, SIG_RATE a second back:
 * decrypting, and an agent restart in ice for each new session id, cost
 * too much to take at any rate a peer, or the server, cares to send.
 */
static int
rate_allowed(struct sig_peer *p)
{
	int64_t	now = signal_now_ms();

	p->credit += (now - p->credit_at) * SIG_RATE;
	p->credit_at = now;
	if (p->credit > SIG_RATE_BURST * 1000)
		p->credit = SIG_RATE_BURST * 1000;
	if (p->credit < 1000)
		return 0;
	p->credit -= 1000;
	if (p->rate_drops > 0)
		log_debug("%s: %llu messages over the rate were dropped",
		    p->b64, (unsigned long long)p->rate_drops);
	p->rate_drops = 0;
	return 1;
}

/* A message from a peer whose shared key we have: ice gets it. */
static void
recv_from(struct sig_peer *p, const struct signal_env *env)
{
	struct nbd_signal_msg	 m;
	const char		*why;

	if ((why = signal_msg_open(p->shared, env, &m)) != NULL) {
		signal_count(SIGNAL_REJECTED);
		if (warn_allowed(p->key))
			log_warnx("message from %s %s: dropped", p->b64, why);
		return;
	}
	if (m.type == SIGNAL_MSG_HEARTBEAT) {
		log_debug("HEARTBEAT from %s: ignored", p->b64);
		return;
	}
	log_debug("%s from %s, to ice", type_name(m.type), p->b64);
	if (imsgev_compose(penv.iev[PROC_ICE], IMSG_SIGNAL_RECV, 0, 0, -1,
	    &m, sizeof(m)) == -1)
		fatal("%s: imsgev_compose", __func__);
	explicit_bzero(&m, sizeof(m));
}

/* Until the shared key comes; a peer refused one has no queue. */
static void
recv_queue(struct sig_peer *p, const uint8_t *buf, size_t len)
{
	struct sig_in	*i;

	if (p->key_state == KEY_REFUSED || p->nin >= SIG_QUEUE_MAX ||
	    len > SIG_IN_BYTES_MAX - sp.inbytes) {
		signal_count(SIGNAL_REJECTED);
		if (warn_allowed(p->key))
			log_warnx("message from %s: %s: dropped", p->b64,
			    p->key_state == KEY_REFUSED ? "no shared key" :
			    p->nin >= SIG_QUEUE_MAX ?
			    "too many waiting for its key" :
			    "too many bytes waiting for keys");
		return;
	}
	if ((i = calloc(1, sizeof(*i))) == NULL ||
	    (i->buf = malloc(len)) == NULL)
		fatal("%s", __func__);
	memcpy(i->buf, buf, len);
	i->len = len;
	TAILQ_INSERT_TAIL(&p->in, i, entry);
	p->nin++;
	sp.inbytes += len;
	peer_key_ask(p);
}

static void
recv_queued(struct sig_peer *p)
{
	struct signal_env	 env;
	struct sig_in		*i;

	while ((i = TAILQ_FIRST(&p->in)) != NULL) {
		TAILQ_REMOVE(&p->in, i, entry);
		p->nin--;
		sp.inbytes -= i->len;
		if (signal_env_unpack(&env, i->buf, i->len) != NULL)
			fatalx("%s: a queued envelope does not unpack",
			    __func__);
		recv_from(p, &env);
		signal_env_free(&env);
		free(i->buf);
		free(i);
	}
}

/* IMSG_SIGNAL_SEND: ice is a sibling, a malformed one is fatal. */
void
sigpeer_send(struct imsg *imsg)
{
	struct nbd_signal_msg	 m;
	struct sig_peer		*p;
	const char		*why;

	imsg_data_exact(imsg, &m, sizeof(m), __func__);
	if ((why = signal_msg_invalid(&m)) != NULL)
		fatalx("%s: %s", __func__, why);
	if (memcmp(m.peer.key, self.key, KEY_LEN) == 0)
		fatalx("%s: a message to ourselves", __func__);
	if (!signal_is_up()) {
		log_debug("%s dropped: no connection to signal",
		    type_name(m.type));
		return;
	}
	if ((p = peer_find(m.peer.key)) == NULL) {
		if (sp.nstrays >= SIG_STRAY_MAX) {
			if (warn_allowed(m.peer.key))
				log_warnx("%s to a key not in the network "
				    "map: dropped", type_name(m.type));
			return;
		}
		p = peer_new(m.peer.key);
		p->stray_since = signal_now_ms();
		sp.nstrays++;
		if (!evtimer_pending(&sp.stray_ev, NULL))
			stray_sweep(-1, 0, NULL);
	}
	out_queue(p, &m);
}

static void
out_queue(struct sig_peer *p, const struct nbd_signal_msg *m)
{
	struct sig_out	*o;

	if (p->key_state == KEY_REFUSED || p->nout >= SIG_QUEUE_MAX) {
		if (warn_allowed(p->key))
			log_warnx("%s to %s dropped: %s", type_name(m->type),
			    p->b64, p->key_state == KEY_REFUSED ?
			    "no shared key" : "too many waiting");
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("%s", __func__);
	o->m = *m;
	TAILQ_INSERT_TAIL(&p->out, o, entry);
	p->nout++;
	out_kick(p);
}

/* Start the first message of a peer if nothing stands in its way. */
static void
out_kick(struct sig_peer *p)
{
	if (p->call != NULL || p->waiting || TAILQ_EMPTY(&p->out))
		return;
	if (p != &self && !p->in_map)
		return;
	if (p->key_state != KEY_HAVE) {
		peer_key_ask(p);
		return;
	}
	if (sp.ninflight >= SIG_INFLIGHT_MAX) {
		TAILQ_INSERT_TAIL(&waits, p, wait);
		p->waiting = 1;
		return;
	}
	if (p->env == NULL) {
		p->env = signal_msg_seal(p->shared, self.b64, p->b64,
		    &TAILQ_FIRST(&p->out)->m, &p->envlen);
		p->tries = 0;
	}
	out_attempt(p);
}

/* NetBird tries each message four times, at once after a failure. */
static void
out_attempt(struct sig_peer *p)
{
	struct grpc_call_params	pp;

	memset(&pp, 0, sizeof(pp));
	pp.url = signal_url();
	pp.path = SIGNAL_SERVICE "Send";
	pp.kind = GRPC_UNARY;
	pp.msg = p->env;
	pp.msglen = p->envlen;
	pp.on_done = out_done;
	pp.arg = p;
	while (p->tries < SIG_SEND_TRIES) {
		pp.timeout_ms = ++p->tries == SIG_SEND_TRIES ?
		    SIG_SEND_LAST_MS : SIG_SEND_MS;
		if ((p->call = grpc_call_start(&pp)) != NULL) {
			sp.ninflight++;
			return;
		}
	}
	if (warn_allowed(p->key))
		log_warnx("%s to %s dropped: the call cannot start",
		    type_name(TAILQ_FIRST(&p->out)->m.type), p->b64);
	out_next(p);
}

static void
out_done(struct grpc_call *c, int code, const char *msg, void *arg)
{
	struct sig_peer	*p = arg;
	char		 text[GRPC_MAX_MESSAGE_TEXT];

	(void)c;
	p->call = NULL;
	sp.ninflight--;
	if (code == GRPC_OK) {
		log_debug("%s to %s sent",
		    type_name(TAILQ_FIRST(&p->out)->m.type), p->b64);
		out_next(p);
	} else if (code != GRPC_CANCELLED && p->tries < SIG_SEND_TRIES) {
		log_debug("Send to %s: %s: %s; again", p->b64,
		    grpc_code_name(code), msg);
		out_attempt(p);
	} else {
		strlcpy(text, msg, sizeof(text));
		server_printable(text);
		if (warn_allowed(p->key))
			log_warnx("%s to %s dropped after %d tries: %s: %s",
			    type_name(TAILQ_FIRST(&p->out)->m.type), p->b64,
			    p->tries, grpc_code_name(code), text);
		out_next(p);
	}
	out_slot_free();
}

/* The first message is done with, sent or not: on to the next. */
static void
out_next(struct sig_peer *p)
{
	struct sig_out	*o;

	if ((o = TAILQ_FIRST(&p->out)) != NULL) {
		TAILQ_REMOVE(&p->out, o, entry);
		p->nout--;
		free(o);
	}
	free(p->env);
	p->env = NULL;
	p->tries = 0;
	out_kick(p);
}

/* Send slots freed: peers that waited for one go, in turn. */
static void
out_slot_free(void)
{
	struct sig_peer	*p;

	while (sp.ninflight < SIG_INFLIGHT_MAX &&
	    (p = TAILQ_FIRST(&waits)) != NULL) {
		TAILQ_REMOVE(&waits, p, wait);
		p->waiting = 0;
		out_kick(p);
	}
}

/* Strays whose PEER_ADD has not come in time: their messages go. */
static void
stray_sweep(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, 500 * 1000 };
	struct sig_peer	*p, *n;
	int64_t		 now = signal_now_ms();

	(void)fd;
	(void)event;
	(void)arg;
	RB_FOREACH_SAFE(p, sig_peers, &peers, n) {
		if (p->in_map || now - p->stray_since < SIG_STRAY_MS)
			continue;
		if (warn_allowed(p->key))
			log_warnx("%zu messages to %s dropped: not a peer in "
			    "the network map", p->nout, p->b64);
		RB_REMOVE(sig_peers, &peers, p);
		sp.nstrays--;
		peer_free(p);
	}
	if (sp.nstrays > 0)
		evtimer_add(&sp.stray_ev, &tv);
}

static const char *
type_name(int32_t type)
{
	switch (type) {
	case NBD_SIG_OFFER:
		return "OFFER";
	case NBD_SIG_ANSWER:
		return "ANSWER";
	case NBD_SIG_CANDIDATE:
		return "CANDIDATE";
	case NBD_SIG_MODE:
		return "MODE";
	case NBD_SIG_GO_IDLE:
		return "GO_IDLE";
	case SIGNAL_MSG_HEARTBEAT:
		return "HEARTBEAT";
	}
	return "message of an unknown type";
}
