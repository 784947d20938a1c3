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
 * One connection per remote peer, as NetBird's Conn (protocol.md 5):
 *
 * - Offers.  A guard sends an OFFER at once, then after 3 s, doubling
 *   with 10 % jitter up to the peer timeout (30-45 s), while no ICE
 *   agent runs.  After an event (ICE lost, signal back, local
 *   candidates changed) it starts again at 800 ms.  Every OFFER gets an
 *   ANSWER.
 * - ICE.  An OFFER or ANSWER starts an agent when none runs; one whose
 *   session id differs from the remote's last means the remote agent
 *   restarted, so ours restarts too.  Our session id changes whenever
 *   our agent closes.  Candidates that come before the agent wait.
 * - Endpoint.  Connected through a host or server-reflexive local
 *   candidate, WireGuard's endpoint is the remote candidate; through a
 *   local TURN candidate it is a local proxy.  The controller (greater
 *   key string) sets it at once, the other side after 5 s: it usually
 *   learns it from the controller's handshake first.
 * - Relay (protocol.md 5.3).  When both sides name a relay in their
 *   offers, a logical connection is opened on the controller's home
 *   relay.  It carries WireGuard through a local proxy only while ICE
 *   is not connected: ICE connected takes WireGuard over, the relay
 *   stays as a standby, and ICE lost moves WireGuard back to it at
 *   once.  Datagrams still arriving over the relay after the move are
 *   handed to WireGuard, and the ICE endpoint is set again, as WireGuard
 *   moves its endpoint to wherever an authenticated datagram came from.
 *   With only the relay up, three offers try ICE again, then one an hour.
 * - Watcher.  30 s after connecting, and then 3 min 30 s after each
 *   handshake, WireGuard must show a newer handshake; if not, the path
 *   in use closes (the agent, or the logical relay connection) and the
 *   guard offers again.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "server.h"

#define CONN_GUARD_FIRST_MS	3000
#define CONN_GUARD_EVENT_MS	800
#define CONN_GUARD_MULTIPLIER	2.0
#define CONN_GUARD_JITTER	0.1	/* +-10 % */
#define CONN_TIMEOUT_MIN_MS	30000	/* peer timeout: [30 s, 45 s) */
#define CONN_TIMEOUT_SPAN_MS	15000
#define CONN_RESPONDER_DELAY	5	/* seconds */
#define CONN_WATCH_FIRST	30
#define CONN_WATCH_PERIOD	210	/* 3 min 30 s */
#define CONN_PENDING_MAX	32	/* remote candidates before an agent */
#define CONN_RELAY_TRIES	3	/* offers with only the relay up */
#define CONN_RELAY_RETRY	3600	/* then one an hour */

/* What a remote may repeat at will: one line a minute each (conn_log). */
enum conn_log_kind {
	CONN_LOG_CREDS,
	CONN_LOG_RESTART,
	CONN_LOG_CAND,
	CONN_LOG_RELAY,
	CONN_LOG_KINDS
};
#define CONN_LOG_NS		(60 * 1000000000LL)

struct conn_logged {
	int64_t			 at;		/* monotonic ns */
	unsigned int		 held;		/* lines not logged since */
};

struct ice_conn {
	struct nbd_key		 key;
	char			 name[CTL_NAME_LEN];	/* for logs */
	char			 keystr[KEY_B64_LEN + 1];
	int			 controlling;

	/* ours, for this opening; the session id changes per agent */
	char			 ufrag[ICE_UFRAG_LEN + 1];
	char			 pwd[ICE_PWD_LEN + 1];
	uint8_t			 sid[NBD_SESSION_ID_LEN];

	/* theirs, from the last OFFER or ANSWER */
	char			 rufrag[ICE_UFRAG_MAX];
	char			 rpwd[ICE_PWD_MAX];
	uint8_t			 rsid[NBD_SESSION_ID_LEN];
	int			 has_rsid;
	uint32_t		 rport;		/* their WireGuard port */
	int			 rice;		/* they offer ICE */
	char			 rversion[NBD_SIG_VERSION_MAX];

	struct ice_agent	*agent;
	int			 connected;	/* the agent selected a pair */
	struct ice_selected	 sel;
	struct ice_proxy	*proxy;
	struct ice_cand		 pending[CONN_PENDING_MAX];
	size_t			 npending;
	int			 pending_full_logged;
	struct conn_logged	 logged[CONN_LOG_KINDS];

	struct relay_peer	*relay;		/* logical connection */
	int			 relay_up;	/* the remote is there */
	int			 relay_active;	/* WireGuard uses it */
	struct ice_proxy	*rproxy;	/* WireGuard's endpoint */
	int			 ice_tries;	/* with only the relay up */
	time_t			 ice_retry;
	struct event		 reassert_ev;	/* the ICE endpoint again */

	int			 state;		/* enum ctl_peer_state */
	int			 conn_type;	/* enum ctl_conn_type */
	time_t			 last_update;

	struct event		 guard_ev;
	struct backoff		 guard;
	int			 timeout_ms;
	struct event		 close_ev;	/* agent failed: close later */
	struct event		 endpoint_ev;	/* the responder's delay */
	struct sockaddr_storage	 endpoint;	/* to set, or set */

	int64_t			 last_hs;	/* from the last counters */
	time_t			 hs_seen;	/* mono_sec() it came */
	int64_t			 watch_base;
	time_t			 watch_next;	/* 0: not watching */

	/* this attempt's stages, unix ns (protocol.md 7.2) */
	int64_t			 m_signal;	/* first OFFER/ANSWER */
	int64_t			 m_ready;	/* first transport */
	int64_t			 m_wall0;	/* the first stage, unix ns */
	int64_t			 m_mono0;	/* and monotonic ns */
	int64_t			 m_hs_base;	/* handshake then, s */
	int			 m_done;	/* sample sent */
	int			 m_reconnect;	/* not the first attempt */
	uint64_t		 m_rx, m_tx;	/* as metrics last heard */
};

static void	 conn_guard_arm(struct ice_conn *);
static void	 conn_guard_restart(struct ice_conn *);
static void	 conn_guard_tick(int, short, void *);
static void	 conn_send(struct ice_conn *, int, const char *);
static void	 conn_send_creds(struct ice_conn *, int);
static int	 conn_creds_parse(const char *, char *, char *);
static void	 conn_offer(struct ice_conn *, const struct nbd_signal_msg *);
static void	 conn_candidate(struct ice_conn *,
		    const struct nbd_signal_msg *);
static void	 conn_agent_start(struct ice_conn *);
static void	 conn_agent_close(struct ice_conn *);
static void	 conn_on_candidate(void *, const struct ice_cand *);
static void	 conn_on_state(void *, enum ice_agent_state);
static void	 conn_on_data(void *, const uint8_t *, size_t);
static void	 conn_proxy_out(void *, const uint8_t *, size_t);
static void	 conn_connected(struct ice_conn *);
static void	 conn_lost(struct ice_conn *, const char *, int);
static void	 conn_relay_offer(struct ice_conn *,
		    const struct nbd_signal_msg *);
static void	 conn_relay_up(void *);
static void	 conn_relay_recv(void *, const uint8_t *, size_t);
static void	 conn_relay_down(void *, const char *);
static void	 conn_relay_out(void *, const uint8_t *, size_t);
static void	 conn_relay_activate(struct ice_conn *, int);
static void	 conn_relay_close(struct ice_conn *);
static void	 conn_reassert(int, short, void *);
static int	 conn_may_offer(struct ice_conn *);
static void	 conn_close_later(int, short, void *);
static void	 conn_endpoint_later(int, short, void *);
static void	 conn_endpoint(struct ice_conn *,
		    const struct sockaddr_storage *);
static void	 conn_set_state(struct ice_conn *, int, int);
static void	 conn_new_sid(struct ice_conn *);
static void	 metric_send(int, const void *, size_t);
static void	 metric_ready(struct ice_conn *);
static void	 metric_handshake(struct ice_conn *, int64_t);
static int64_t	 metric_stamp(struct ice_conn *);
static void	 metric_reset(struct ice_conn *);
static void	 metric_peer(struct ice_conn *);
static void	 conn_log(struct ice_conn *, enum conn_log_kind, int,
		    const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));

static const struct ice_agent_cb conn_agent_cb = {
	.candidate = conn_on_candidate,
	.state = conn_on_state,
	.data = conn_on_data,
};

static const struct relay_peer_cb conn_relay_cb = {
	.up = conn_relay_up,
	.recv = conn_relay_recv,
	.down = conn_relay_down,
};

/* Opening a peer: Connecting, and the first offer goes out now. */
struct ice_conn *
ice_conn_new(const struct nbd_peer *p)
{
	struct ice_conn	*c;
	char		 ours[KEY_B64_LEN + 1];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->key = p->key;
	strlcpy(c->name, p->fqdn[0] != '\0' ? p->fqdn : "?", sizeof(c->name));
	if (key_to_base64(p->key.key, c->keystr, sizeof(c->keystr)) == -1 ||
	    key_to_base64(penv.pubkey.key, ours, sizeof(ours)) == -1)
		fatalx("%s: key_to_base64", __func__);
	c->controlling = strcmp(ours, c->keystr) > 0;
	ice_random_letters(c->ufrag, ICE_UFRAG_LEN);
	ice_random_letters(c->pwd, ICE_PWD_LEN);
	conn_new_sid(c);
	c->timeout_ms = CONN_TIMEOUT_MIN_MS +
	    (int)arc4random_uniform(CONN_TIMEOUT_SPAN_MS);
	evtimer_set(&c->guard_ev, conn_guard_tick, c);
	evtimer_set(&c->close_ev, conn_close_later, c);
	evtimer_set(&c->endpoint_ev, conn_endpoint_later, c);
	evtimer_set(&c->reassert_ev, conn_reassert, c);
	conn_set_state(c, CTL_PEER_CONNECTING, CTL_CONN_NONE);
	log_debug("peer %s: opened, %s", c->name, c->controlling ?
	    "controlling" : "controlled");
	backoff_init(&c->guard, CONN_GUARD_FIRST_MS, c->timeout_ms,
	    CONN_GUARD_MULTIPLIER, CONN_GUARD_JITTER);
	conn_guard_tick(-1, 0, c);
	return c;
}

void
ice_conn_update(struct ice_conn *c, const struct nbd_peer *p)
{
	strlcpy(c->name, p->fqdn[0] != '\0' ? p->fqdn : "?", sizeof(c->name));
}

/* The peer left the map: the parent removes it from WireGuard. */
void
ice_conn_free(struct ice_conn *c)
{
	conn_agent_close(c);
	conn_relay_close(c);
	evtimer_del(&c->guard_ev);
	evtimer_del(&c->close_ev);
	evtimer_del(&c->endpoint_ev);
	explicit_bzero(c->pwd, sizeof(c->pwd));
	explicit_bzero(c->rpwd, sizeof(c->rpwd));
	metric_send(IMSG_METRIC_PEER_DEL, &c->key, sizeof(c->key));
	free(c);
}

/* Something changed around us: offer again soon unless connected. */
void
ice_conn_kick(struct ice_conn *c)
{
	if (c->agent != NULL)
		return;
	conn_guard_restart(c);
}

/*
 * Our home relay is (again) there.  A peer without a relayed
 * connection offers now, even while its ICE agent tries: the offer
 * names the relay, and an offer that does not restart ICE only opens
 * the relay on the other side.
 */
void
ice_conn_relay_home(struct ice_conn *c)
{
	if (c->relay == NULL && c->agent != NULL && ice_signal_ready())
		conn_send_creds(c, NBD_SIG_OFFER);
	ice_conn_kick(c);
}

void
ice_conn_signal(struct ice_conn *c, const struct nbd_signal_msg *m)
{
	switch (m->type) {
	case NBD_SIG_OFFER:
	case NBD_SIG_ANSWER:
		conn_offer(c, m);
		break;
	case NBD_SIG_CANDIDATE:
		conn_candidate(c, m);
		break;
	case NBD_SIG_GO_IDLE:
		log_debug("peer %s: GO_IDLE ignored (no lazy connections)",
		    c->name);
		break;
	default:
		log_debug("peer %s: signal message type %d ignored", c->name,
		    m->type);
		break;
	}
}

static void
conn_guard_arm(struct ice_conn *c)
{
	struct timeval	tv;
	int		ms = backoff_next(&c->guard);

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&c->guard_ev, &tv);
}

static void
conn_guard_tick(int fd, short ev, void *arg)
{
	struct ice_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (conn_may_offer(c))
		conn_send_creds(c, NBD_SIG_OFFER);
	conn_guard_arm(c);
}

/*
 * No offers while an agent runs (connected or trying) or signal is
 * down.  With only the relay up, a few to try ICE again, then hourly;
 * none when the remote does not do ICE.
 */
static int
conn_may_offer(struct ice_conn *c)
{
	time_t	now;

	if (c->agent != NULL || !ice_signal_ready())
		return 0;
	if (!c->relay_up)
		return 1;
	if (!c->rice)
		return 0;
	if (c->ice_tries < CONN_RELAY_TRIES) {
		c->ice_tries++;
		return 1;
	}
	if ((now = mono_sec()) < c->ice_retry)
		return 0;
	c->ice_retry = now + CONN_RELAY_RETRY;
	return 1;
}

/* After an event: from 800 ms again, the immediate tick skipped. */
static void
conn_guard_restart(struct ice_conn *c)
{
	backoff_init(&c->guard, CONN_GUARD_EVENT_MS, c->timeout_ms,
	    CONN_GUARD_MULTIPLIER, CONN_GUARD_JITTER);
	c->ice_tries = 0;
	c->ice_retry = 0;
	evtimer_del(&c->guard_ev);
	conn_guard_arm(c);
}

static void
conn_send(struct ice_conn *c, int type, const char *payload)
{
	struct nbd_signal_msg	 m;
	struct sockaddr_storage	 ss;
	const char		*home;

	memset(&m, 0, sizeof(m));
	m.peer = c->key;
	m.type = type;
	strlcpy(m.payload, payload, sizeof(m.payload));
	if (type == NBD_SIG_OFFER || type == NBD_SIG_ANSWER) {
		m.wg_port = ice_net_wg_port();
		if (m.wg_port == 0)
			m.wg_port = penv.conf.wg_port;
		strlcpy(m.version, NBD_NB_VERSION, sizeof(m.version));
		memcpy(m.session_id, c->sid, sizeof(m.session_id));
		m.has_session_id = 1;
		if ((home = ice_relay_home(&ss)) != NULL) {
			strlcpy(m.relay_addr, home, sizeof(m.relay_addr));
			if (ss.ss_family == AF_INET) {
				m.relay_ip_len = 4;
				memcpy(m.relay_ip,
				    &((struct sockaddr_in *)&ss)->sin_addr, 4);
			}
		}
	}
	if (imsgev_compose(penv.iev[PROC_SIGNAL], IMSG_SIGNAL_SEND, 0, 0, -1,
	    &m, sizeof(m)) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
conn_send_creds(struct ice_conn *c, int type)
{
	char	creds[ICE_UFRAG_LEN + ICE_PWD_LEN + 2];

	(void)snprintf(creds, sizeof(creds), "%s:%s", c->ufrag, c->pwd);
	log_debug("peer %s: %s, session %02x%02x%02x%02x%02x", c->name,
	    type == NBD_SIG_OFFER ? "offer" : "answer", c->sid[0], c->sid[1],
	    c->sid[2], c->sid[3], c->sid[4]);
	conn_send(c, type, creds);
	explicit_bzero(creds, sizeof(creds));
}

/*
 * "ufrag:pwd": exactly two parts of ICE characters; both empty means
 * the remote does not run ICE.  Returns 1 with ICE, 0 without, -1 bad.
 */
static int
conn_creds_parse(const char *s, char *ufrag, char *pwd)
{
	const char	*colon;
	size_t		 ul, pl, i;

	if ((colon = strchr(s, ':')) == NULL || strchr(colon + 1, ':'))
		return -1;
	ul = colon - s;
	pl = strlen(colon + 1);
	if (ul >= ICE_UFRAG_MAX || pl >= ICE_PWD_MAX)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (i != ul && strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", s[i]) == NULL)
			return -1;
	if (ul == 0 && pl == 0)
		return 0;
	if (ul < 4 || pl < 22)
		return -1;
	memcpy(ufrag, s, ul);
	ufrag[ul] = '\0';
	strlcpy(pwd, colon + 1, ICE_PWD_MAX);
	return 1;
}

/*
 * A line about what the remote sends, which it may send at any rate:
 * the first of its kind a minute for this peer, with the count of those
 * held back since the last.
 */
static void
conn_log(struct ice_conn *c, enum conn_log_kind kind, int pri,
    const char *fmt, ...)
{
	struct conn_logged	*l = &c->logged[kind];
	int64_t			 now = clock_ns(CLOCK_MONOTONIC);
	va_list			 ap;
	char			 msg[256], more[48] = "";

	if (l->at != 0 && now - l->at < CONN_LOG_NS) {
		l->held++;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->held > 0)
		(void)snprintf(more, sizeof(more), " (%u more since the last)",
		    l->held);
	l->at = now;
	l->held = 0;
	if (pri == LOG_INFO)
		log_info("peer %s: %s%s", c->name, msg, more);
	else
		log_warnx("peer %s: %s%s", c->name, msg, more);
}

/*
 * OFFER and ANSWER feed ICE alike; an OFFER is answered.  The answer
 * goes before a new agent's candidates (a Go peer drops candidates that
 * come before its agent) and carries the new agent's session id.
 */
static void
conn_offer(struct ice_conn *c, const struct nbd_signal_msg *m)
{
	char	ufrag[ICE_UFRAG_MAX], pwd[ICE_PWD_MAX];
	int	ice, restart = 0;

	if ((ice = conn_creds_parse(m->payload, ufrag, pwd)) == -1) {
		conn_log(c, CONN_LOG_CREDS, LOG_WARNING,
		    "%s with bad ICE credentials, dropped",
		    m->type == NBD_SIG_OFFER ? "offer" : "answer");
		return;
	}
	if (c->m_signal == 0)
		c->m_signal = metric_stamp(c);
	c->rport = m->wg_port;
	c->rice = ice;
	strlcpy(c->rversion, m->version, sizeof(c->rversion));
	if (ice && c->agent != NULL && m->has_session_id &&
	    (!c->has_rsid || memcmp(m->session_id, c->rsid,
	    sizeof(c->rsid)) != 0)) {
		conn_log(c, CONN_LOG_RESTART, LOG_INFO,
		    "remote ICE session changed, restarting");
		conn_lost(c, NULL, 1);
		restart = 1;
	}
	if (m->type == NBD_SIG_OFFER)
		conn_send_creds(c, NBD_SIG_ANSWER);
	conn_relay_offer(c, m);
	if (!ice) {
		log_debug("peer %s: remote does not offer ICE", c->name);
		return;
	}
	if (c->agent != NULL && !restart)
		return;
	strlcpy(c->rufrag, ufrag, sizeof(c->rufrag));
	strlcpy(c->rpwd, pwd, sizeof(c->rpwd));
	explicit_bzero(pwd, sizeof(pwd));
	c->has_rsid = m->has_session_id;
	memcpy(c->rsid, m->session_id, sizeof(c->rsid));
	conn_agent_start(c);
}

static void
conn_candidate(struct ice_conn *c, const struct nbd_signal_msg *m)
{
	struct ice_cand	 cand;
	const char	*why;

	if (ice_cand_parse(m->payload, &cand, &why) == -1) {
		conn_log(c, CONN_LOG_CAND, LOG_WARNING,
		    "candidate dropped: %s", why);
		return;
	}
	if (c->agent != NULL) {
		ice_agent_add_remote(c->agent, &cand);
		return;
	}
	if (c->npending >= CONN_PENDING_MAX) {
		if (!c->pending_full_logged)
			log_warnx("peer %s: more than %d candidates before "
			    "an offer, dropping", c->name, CONN_PENDING_MAX);
		c->pending_full_logged = 1;
		return;
	}
	c->pending[c->npending++] = cand;
}

static void
conn_agent_start(struct ice_conn *c)
{
	struct ice_agent_params	 p;
	size_t			 i;

	memset(&p, 0, sizeof(p));
	p.controlling = c->controlling;
	p.use_relay = ice_net_have_turn();
	strlcpy(p.local_ufrag, c->ufrag, sizeof(p.local_ufrag));
	strlcpy(p.local_pwd, c->pwd, sizeof(p.local_pwd));
	strlcpy(p.remote_ufrag, c->rufrag, sizeof(p.remote_ufrag));
	strlcpy(p.remote_pwd, c->rpwd, sizeof(p.remote_pwd));
	p.cb = &conn_agent_cb;
	p.arg = c;
	log_debug("peer %s: ICE agent starts, remote session "
	    "%02x%02x%02x%02x%02x", c->name, c->rsid[0], c->rsid[1],
	    c->rsid[2], c->rsid[3], c->rsid[4]);
	c->agent = ice_agent_new(&p);
	explicit_bzero(&p, sizeof(p));
	for (i = 0; i < c->npending; i++)
		ice_agent_add_remote(c->agent, &c->pending[i]);
	c->npending = 0;
	c->pending_full_logged = 0;
}

/* The agent, its proxy and its endpoint go; a new session id. */
static void
conn_agent_close(struct ice_conn *c)
{
	evtimer_del(&c->close_ev);
	evtimer_del(&c->endpoint_ev);
	if (c->proxy != NULL) {
		ice_proxy_free(c->proxy);
		c->proxy = NULL;
	}
	if (c->agent == NULL)
		return;
	ice_agent_free(c->agent);
	c->agent = NULL;
	c->connected = 0;
	c->watch_next = 0;
	memset(&c->sel, 0, sizeof(c->sel));
	c->npending = 0;
	conn_new_sid(c);
}

static void
conn_on_candidate(void *arg, const struct ice_cand *cand)
{
	struct ice_conn	*c = arg;
	char		 s[ICE_CAND_STR_MAX];

	if (ice_cand_print(cand, s, sizeof(s)) == -1) {
		log_warnx("peer %s: local candidate too long", c->name);
		return;
	}
	log_debug("peer %s: local candidate %s", c->name, s);
	conn_send(c, NBD_SIG_CANDIDATE, s);
}

/* The agent is not freed from its own callback: close_ev does it. */
static void
conn_on_state(void *arg, enum ice_agent_state st)
{
	struct ice_conn	*c = arg;
	struct timeval	 now = { 0, 0 };

	switch (st) {
	case ICE_AGENT_GATHERING:
		break;
	case ICE_AGENT_CONNECTED:
		conn_connected(c);
		break;
	case ICE_AGENT_FAILED:
		evtimer_add(&c->close_ev, &now);
		break;
	}
}

static void
conn_on_data(void *arg, const uint8_t *buf, size_t len)
{
	struct ice_conn	*c = arg;

	if (c->proxy != NULL)
		(void)ice_proxy_deliver(c->proxy, buf, len);
}

static void
conn_proxy_out(void *arg, const uint8_t *buf, size_t len)
{
	struct ice_conn	*c = arg;

	if (c->agent != NULL && c->connected)
		(void)ice_agent_send(c->agent, buf, len);
}

/*
 * Both sides meet on the controller's home relay (protocol.md 5.3):
 * ours when we control, else the one the remote named, which may be
 * foreign to us.  One logical connection at a time.
 */
static void
conn_relay_offer(struct ice_conn *c, const struct nbd_signal_msg *m)
{
	struct sockaddr_storage	 ss;
	const char		*home, *url;

	if (c->relay != NULL || m->relay_addr[0] == '\0' ||
	    (home = ice_relay_home(&ss)) == NULL)
		return;
	url = c->controlling ? home : m->relay_addr;
	log_debug("peer %s: relay %s", c->name, url);
	c->relay = ice_relay_open(url, c->controlling ? NULL : m->relay_ip,
	    c->controlling ? 0 : m->relay_ip_len, c->keystr, c->name,
	    &conn_relay_cb, c);
}

/* The remote is on the relay: a standby behind ICE, or the path. */
static void
conn_relay_up(void *arg)
{
	struct ice_conn	*c = arg;

	if (c->rproxy == NULL &&
	    (c->rproxy = ice_proxy_new(ice_net_wg_port(), conn_relay_out,
	    c)) == NULL) {
		log_warnx("peer %s: no local proxy for the relay", c->name);
		conn_relay_close(c);
		return;
	}
	c->relay_up = 1;
	if (c->connected) {
		log_info("peer %s: relay %s ready as a standby", c->name,
		    ice_relay_url(c->relay));
		return;
	}
	conn_relay_activate(c, 0);
}

/* WireGuard's endpoint becomes the relay proxy; now, or by role. */
static void
conn_relay_activate(struct ice_conn *c, int now)
{
	struct timeval	tv = { CONN_RESPONDER_DELAY, 0 };

	ice_proxy_addr(c->rproxy, &c->endpoint);
	c->relay_active = 1;
	log_info("peer %s: connected, relayed by %s", c->name,
	    ice_relay_url(c->relay));
	conn_set_state(c, CTL_PEER_CONNECTED, CTL_CONN_RELAYED);
	metric_ready(c);
	evtimer_del(&c->endpoint_ev);
	if (now || c->controlling)
		conn_endpoint(c, &c->endpoint);
	else
		evtimer_add(&c->endpoint_ev, &tv);
	c->watch_base = c->last_hs;
	c->watch_next = mono_sec() + CONN_WATCH_FIRST;
}

/*
 * From the remote over the relay.  While ICE carries WireGuard this is
 * a datagram sent before the remote moved: WireGuard gets it, and its
 * endpoint is put back on the ICE path a moment later.
 */
static void
conn_relay_recv(void *arg, const uint8_t *buf, size_t len)
{
	struct ice_conn	*c = arg;
	struct timeval	 tv = { 0, 200000 };

	if (c->rproxy == NULL)
		return;
	(void)ice_proxy_deliver(c->rproxy, buf, len);
	if (!c->relay_active && c->connected &&
	    !evtimer_pending(&c->reassert_ev, NULL))
		evtimer_add(&c->reassert_ev, &tv);
}

static void
conn_reassert(int fd, short ev, void *arg)
{
	struct ice_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->connected && !c->relay_active)
		conn_endpoint(c, &c->endpoint);
}

static void
conn_relay_out(void *arg, const uint8_t *buf, size_t len)
{
	struct ice_conn	*c = arg;

	if (c->relay != NULL && c->relay_up)
		(void)ice_relay_send(c->relay, buf, len);
}

/* The relay lost the remote; if it carried WireGuard, nothing does. */
static void
conn_relay_down(void *arg, const char *why)
{
	struct ice_conn	*c = arg;
	struct sockaddr_storage	none;
	int		 was = c->relay_active;

	if (was)
		log_info("peer %s: relayed connection closed: %s", c->name,
		    why);
	else
		conn_log(c, CONN_LOG_RELAY, LOG_INFO,
		    "relayed connection closed: %s", why);
	conn_relay_close(c);
	if (!was)
		return;
	memset(&none, 0, sizeof(none));
	conn_endpoint(c, &none);
	conn_set_state(c, CTL_PEER_CONNECTING, CTL_CONN_NONE);
	metric_reset(c);
	c->watch_next = 0;
	conn_guard_restart(c);
}

static void
conn_relay_close(struct ice_conn *c)
{
	if (c->relay != NULL)
		ice_relay_close(c->relay);
	c->relay = NULL;
	if (c->rproxy != NULL)
		ice_proxy_free(c->rproxy);
	c->rproxy = NULL;
	c->relay_up = 0;
	c->relay_active = 0;
	evtimer_del(&c->reassert_ev);
}

static void
conn_connected(struct ice_conn *c)
{
	struct sockaddr_storage	 ep;
	struct timeval		 tv = { CONN_RESPONDER_DELAY, 0 };
	char			 l[CTL_ADDR_LEN], r[CTL_ADDR_LEN];
	int			 relayed;

	if (ice_agent_selected(c->agent, &c->sel) == -1)
		fatalx("%s: connected without a pair", __func__);
	c->connected = 1;
	relayed = c->sel.local.type == ICE_CAND_RELAY ||
	    c->sel.remote.type == ICE_CAND_RELAY;
	if (c->sel.local.type == ICE_CAND_RELAY) {
		if (c->proxy == NULL)
			c->proxy = ice_proxy_new(ice_net_wg_port(),
			    conn_proxy_out, c);
		if (c->proxy == NULL) {
			conn_lost(c, "no local proxy for TURN", 1);
			return;
		}
		ice_proxy_addr(c->proxy, &ep);
	} else
		ep = c->sel.remote.addr;
	log_info("peer %s: connected, %s: local %s %s, remote %s %s", c->name,
	    relayed ? "relayed" : "P2P", ice_cand_type_name(c->sel.local.type),
	    ice_addr_str(&c->sel.local.addr, l, sizeof(l)),
	    ice_cand_type_name(c->sel.remote.type),
	    ice_addr_str(&c->sel.remote.addr, r, sizeof(r)));
	conn_set_state(c, CTL_PEER_CONNECTED, relayed ? CTL_CONN_RELAYED :
	    CTL_CONN_P2P);
	metric_ready(c);
	if (c->relay_active)
		log_info("peer %s: relay %s now a standby", c->name,
		    ice_relay_url(c->relay));
	c->relay_active = 0;
	evtimer_del(&c->endpoint_ev);
	c->endpoint = ep;
	if (c->controlling)
		conn_endpoint(c, &ep);
	else
		evtimer_add(&c->endpoint_ev, &tv);
	c->watch_base = c->last_hs;
	c->watch_next = mono_sec() + CONN_WATCH_FIRST;
}

/*
 * The ICE path is gone (why: a reason to log, or NULL when the caller
 * logged): the agent closes; WireGuard moves to the relay at once if
 * the remote is there, else loses its endpoint.  After an event the
 * guard offers again from 800 ms; an agent that found nothing leaves
 * the guard on its course.
 */
static void
conn_lost(struct ice_conn *c, const char *why, int event)
{
	struct sockaddr_storage	none;
	int			was = c->connected;

	if (why != NULL)
		log_info("peer %s: %s", c->name, why);
	conn_agent_close(c);
	if (c->relay_up && !c->relay_active)
		conn_relay_activate(c, 1);
	else if (!c->relay_active) {
		if (was) {
			memset(&none, 0, sizeof(none));
			conn_endpoint(c, &none);
		}
		conn_set_state(c, CTL_PEER_CONNECTING, CTL_CONN_NONE);
		if (was)
			metric_reset(c);
	}
	if (event)
		conn_guard_restart(c);
}

static void
conn_close_later(int fd, short ev, void *arg)
{
	struct ice_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->connected)
		conn_lost(c, "ICE connection lost", 1);
	else
		conn_lost(c, "ICE found no working pair", 0);
}

static void
conn_endpoint_later(int fd, short ev, void *arg)
{
	struct ice_conn	*c = arg;

	(void)fd;
	(void)ev;
	conn_endpoint(c, &c->endpoint);
}

static void
conn_endpoint(struct ice_conn *c, const struct sockaddr_storage *ss)
{
	struct nbd_wg_endpoint	e;

	memset(&e, 0, sizeof(e));
	e.key = c->key;
	memcpy(&e.endpoint, ss, sizeof(e.endpoint));
	/*
	 * The controller's first endpoint, before any handshake: traffic
	 * may have tried one already, which WireGuard would hold against
	 * the next for 5 s.  The remote, not controlling, has set no
	 * endpoint yet, so no session can be lost.
	 */
	e.fresh = ss->ss_family != AF_UNSPEC && c->controlling &&
	    c->last_hs == 0;
	if (imsgev_compose(penv.iev[PROC_PARENT], IMSG_WG_ENDPOINT, 0, 0, -1,
	    &e, sizeof(e)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/*
 * WireGuard counters, every few seconds (protocol.md 5.5): a handshake
 * newer than the last one we saw, not older than 3 min 30 s.  WireGuard
 * stamps handshakes with the wall clock, which may jump: a handshake is
 * new when its stamp changes, and its age runs on the monotonic clock
 * from the counters that first showed it.
 */
void
ice_conn_stats(struct ice_conn *c, const struct nbd_wg_stats *st)
{
	int64_t	hs = st->last_handshake;
	time_t	now = mono_sec();

	if (hs != c->last_hs)
		c->hs_seen = now;
	c->last_hs = hs;
	if (st->rx_bytes != c->m_rx || st->tx_bytes != c->m_tx) {
		c->m_rx = st->rx_bytes;
		c->m_tx = st->tx_bytes;
		metric_peer(c);
	}
	if (c->connected || c->relay_active)
		metric_handshake(c, hs);
	if ((!c->connected && !c->relay_active) || c->watch_next == 0 ||
	    now < c->watch_next)
		return;
	if (hs == 0 || hs == c->watch_base ||
	    now - c->hs_seen > CONN_WATCH_PERIOD) {
		if (c->relay_active)
			conn_relay_down(c, "WireGuard handshake timeout");
		else
			conn_lost(c, "WireGuard handshake timeout", 1);
		return;
	}
	c->watch_base = hs;
	c->watch_next = c->hs_seen + CONN_WATCH_PERIOD;
}

int
ice_conn_connected(const struct ice_conn *c)
{
	return c->state == CTL_PEER_CONNECTED;
}

void
ice_conn_show(struct ice_conn *c, struct ctl_peer *cp)
{
	cp->state = c->state;
	cp->conn_type = c->conn_type;
	cp->last_update = c->last_update;
	if (c->relay_active) {
		strlcpy(cp->relay_address, ice_relay_url(c->relay),
		    sizeof(cp->relay_address));
		return;
	}
	if (!c->connected)
		return;
	(void)ice_agent_selected(c->agent, &c->sel);
	strlcpy(cp->local_type, ice_cand_type_name(c->sel.local.type),
	    sizeof(cp->local_type));
	strlcpy(cp->remote_type, ice_cand_type_name(c->sel.remote.type),
	    sizeof(cp->remote_type));
	ice_addr_str(&c->sel.local.addr, cp->local_endpoint,
	    sizeof(cp->local_endpoint));
	ice_addr_str(&c->sel.remote.addr, cp->remote_endpoint,
	    sizeof(cp->remote_endpoint));
	cp->latency_ns = c->sel.rtt_ns;
}

static void
conn_set_state(struct ice_conn *c, int state, int type)
{
	if (c->state == state && c->conn_type == type && c->last_update != 0)
		return;
	if (state == CTL_PEER_CONNECTED && c->state != CTL_PEER_CONNECTED)
		ice_peers_connected(1);
	else if (state != CTL_PEER_CONNECTED && c->state == CTL_PEER_CONNECTED)
		ice_peers_connected(-1);
	c->state = state;
	c->conn_type = type;
	c->last_update = time(NULL);
	metric_peer(c);
}

static void
conn_new_sid(struct ice_conn *c)
{
	arc4random_buf(c->sid, sizeof(c->sid));
}

/*
 * Samples for the metrics process (protocol.md 7.2).  An attempt runs
 * from the first OFFER or ANSWER to the first WireGuard handshake on
 * the first transport; when both ICE and the relay are gone the next
 * one is a reconnection.
 */
static void
metric_send(int type, const void *data, size_t len)
{
	if (penv.iev[PROC_METRICS] == NULL)
		return;
	if (imsgev_compose(penv.iev[PROC_METRICS], type, 0, 0, -1, data,
	    len) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
metric_ready(struct ice_conn *c)
{
	if (c->m_ready != 0)
		return;
	c->m_ready = metric_stamp(c);
	c->m_hs_base = c->last_hs;
}

/*
 * A stage's time: the wall clock at the attempt's first stage, plus the
 * monotonic time since, so that a clock set meanwhile moves no stage
 * against another.
 */
static int64_t
metric_stamp(struct ice_conn *c)
{
	int64_t	mono = clock_ns(CLOCK_MONOTONIC);

	if (c->m_signal == 0 && c->m_ready == 0) {
		c->m_wall0 = clock_ns(CLOCK_REALTIME);
		c->m_mono0 = mono;
	}
	return c->m_wall0 + (mono - c->m_mono0);
}

/* A handshake newer than the one there was when the transport came. */
static void
metric_handshake(struct ice_conn *c, int64_t hs)
{
	struct nbd_metric_conn	m;

	if (c->m_ready == 0 || c->m_done || hs <= c->m_hs_base)
		return;
	c->m_done = 1;
	memset(&m, 0, sizeof(m));
	m.peer = c->key;
	if (c->relay_active)
		m.conn_type = NBD_METRIC_RELAY;
	else if (c->conn_type == CTL_CONN_RELAYED)
		m.conn_type = NBD_METRIC_ICE_TURN;
	else
		m.conn_type = NBD_METRIC_ICE_P2P;
	m.reconnection = c->m_reconnect;
	m.signaling = c->m_signal;
	m.ready = c->m_ready;
	m.handshake = hs * 1000000000;
	metric_send(IMSG_METRIC_CONN, &m, sizeof(m));
}

static void
metric_reset(struct ice_conn *c)
{
	c->m_signal = c->m_ready = 0;
	c->m_done = 0;
	c->m_reconnect = 1;
}

static void
metric_peer(struct ice_conn *c)
{
	struct nbd_metric_peer	m;

	memset(&m, 0, sizeof(m));
	m.peer = c->key;
	m.state = c->state;
	m.conn_type = c->conn_type;
	m.rx_bytes = c->m_rx;
	m.tx_bytes = c->m_tx;
	metric_send(IMSG_METRIC_PEER, &m, sizeof(m));
}
