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
 * One ICE agent (RFC 8445, full, trickle, regular nomination) with the
 * timing of pion as NetBird configures it (protocol.md 4.8):
 *
 * - Local candidates: host (each host address, WireGuard port),
 *   server-reflexive (ice_net's mapped addresses, related address
 *   0.0.0.0:port as Go sends) and, when asked and a TURN server is
 *   known, the relayed address of a TURN allocation of our own (related
 *   address: the mapped one).  Each is trickled by callback as it
 *   appears.  Remote candidates come at any time; a remote
 *   server-reflexive one with a cid and a port other than its related
 *   port brings a second one at that port, as Go adds (4.6).
 * - Every AGENT_CHECK_MS each pair in progress gets a check, by
 *   priority; after AGENT_CHECKS_MAX unanswered ones it fails.  A
 *   request we answer brings a triggered check on its pair (and a
 *   peer-reflexive remote candidate when its source is new).
 * - The controlling side nominates the best succeeded pair once both
 *   its candidates have waited their type's acceptance time (host 0,
 *   srflx 0.5 s, prflx 1 s, relay 2 s, from the start), with
 *   USE-CANDIDATE, and selects it on the answer.  The controlled side
 *   selects a pair nominated by a request once its own check on it
 *   succeeded.  A selected pair stays selected.
 * - Connected: a Binding request on the selected pair every 4 s; no
 *   STUN from its remote for 6 s fails the agent.  Nothing selected
 *   12 s (pion's disconnected + failed time) plus the longest
 *   acceptance wait after the start fails it too.  A failed agent does
 *   nothing more; its owner frees it.
 * - Pairs with the relayed candidate send and receive through the TURN
 *   client (a permission for each remote candidate first); WireGuard
 *   data over a selected relayed pair goes both ways through
 *   ice_agent_send() and cb->data.
 *
 * Bounds: AGENT_REMOTE_MAX remote candidates, AGENT_PAIRS_MAX pairs,
 * AGENT_TXN_MAX checks awaiting an answer (the oldest goes); what does
 * not fit is dropped and logged once per agent.  Callbacks come from
 * the agent's own event (never from inside an ice_agent_* call); the
 * state callback is the last thing that event does, so the owner may
 * free the agent from it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "ice_net.h"

#define AGENT_REMOTE_MAX	32
#define AGENT_LOCAL_MAX	(ICE_NET_HOSTS_MAX + ICE_NET_SRFLX_MAX + 1)
#define AGENT_PAIRS_MAX		128
#define AGENT_TXN_MAX		256

#define AGENT_CHECK_MS		200	/* pion's check interval */
#define AGENT_CONNECTED_MS	500	/* the tick once connected */
#define AGENT_CHECKS_MAX	8	/* pion: more than 7 fails the pair */
#define AGENT_TXN_MS		4000	/* an answer counts this long */
#define AGENT_KEEPALIVE_MS	4000
#define AGENT_QUIET_MS		6000
#define AGENT_WAIT_SRFLX_MS	500
#define AGENT_WAIT_PRFLX_MS	1000
#define AGENT_WAIT_RELAY_MS	2000
#define AGENT_CHECKING_MS	(12000 + AGENT_WAIT_RELAY_MS)

enum pair_state {
	PAIR_WAITING,
	PAIR_IN_PROGRESS,
	PAIR_SUCCEEDED,
	PAIR_FAILED
};

/* What was too much, logged once. */
#define FULL_LOCAL	0x01
#define FULL_REMOTE	0x02
#define FULL_PAIRS	0x04
#define FULL_TXN	0x08

struct agent_remote {
	struct ice_cand	 c;
	int64_t		 seen;		/* ms: its last STUN; 0 */
};

struct agent_pair {
	size_t		 local;
	size_t		 remote;
	uint64_t	 prio;
	int		 state;		/* enum pair_state */
	int		 nominate_on_success;
	unsigned int	 checks;	/* unanswered ones, paced */
	int64_t		 rtt_ns;
};

struct agent_txn {
	uint8_t		 tid[ICE_STUN_TID_LEN];
	size_t		 pair;
	int		 use_candidate;
	int		 controlling;	/* our role when we sent it */
	int64_t		 sent_ns;
};

struct ice_agent {
	struct ice_agent_params	 p;
	/* USERNAME of our checks, and of theirs */
	char			 username[2 * ICE_UFRAG_MAX];
	char			 expect[2 * ICE_UFRAG_MAX];
	struct ice_net_agent	 net;
	uint64_t		 tiebreaker;
	int			 controlling;
	int			 state;		/* ice_agent_state */
	int			 reported;
	int64_t			 start;		/* ms */

	struct ice_cand		*local;
	size_t			 nlocal;
	size_t			 nannounced;
	struct agent_remote	*remote;
	size_t			 nremote;
	struct agent_pair	*pairs;
	size_t			 npairs;
	size_t			*order;		/* by priority */
	struct agent_txn	*txn;
	size_t			 ntxn;

	long			 nominated;	/* pair, or -1 */
	unsigned int		 nominations;
	long			 selected;	/* pair, or -1 */
	int64_t			 keepalive_at;

	struct turn_client	*turn;
	int			 turn_failed;

	struct event		 tick_ev;
	struct event		 notify_ev;
	int			 full;		/* FULL_*, logged */
};

static int64_t	 agent_ns(void);
static int64_t	 agent_ms(void);
static void	 agent_full(struct ice_agent *, int, const char *);
static void	 agent_locals(struct ice_agent *);
static void	 agent_turn_start(struct ice_agent *);
static long	 agent_local_add(struct ice_agent *, int,
		    const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static long	 agent_remote_add(struct ice_agent *,
		    const struct ice_cand *);
static long	 agent_remote_find(const struct ice_agent *,
		    const struct sockaddr_storage *);
static void	 agent_remote_seen(struct ice_agent *,
		    const struct sockaddr_storage *);
static long	 agent_pair_add(struct ice_agent *, size_t, size_t);
static long	 agent_pair_find(const struct ice_agent *, size_t, size_t);
static uint64_t	 agent_pair_prio(const struct ice_agent *,
		    const struct agent_pair *);
static void	 agent_sort(struct ice_agent *);
static long	 agent_best(const struct ice_agent *, int);
static int	 agent_wait_ms(int);
static int	 agent_nominatable(const struct ice_agent *,
		    const struct agent_pair *, int64_t);
static void	 agent_tick(int, short, void *);
static void	 agent_tick_arm(struct ice_agent *, int);
static void	 agent_checking(struct ice_agent *, int64_t);
static void	 agent_connected(struct ice_agent *, int64_t);
static void	 agent_ping_all(struct ice_agent *);
static void	 agent_check_new(struct ice_agent *);
static void	 agent_nominate(struct ice_agent *, size_t);
static void	 agent_check(struct ice_agent *, size_t, int);
static void	 agent_txn_add(struct ice_agent *, const uint8_t *, size_t,
		    int);
static struct agent_txn *agent_txn_find(struct ice_agent *,
		    const uint8_t *);
static int	 agent_send(struct ice_agent *, size_t,
		    const struct sockaddr_storage *, const void *, size_t);
static void	 agent_stun(struct ice_agent *, const struct ice_stun *,
		    const uint8_t *, size_t, const struct sockaddr_storage *,
		    long);
static void	 agent_request(struct ice_agent *, const struct ice_stun *,
		    const uint8_t *, size_t, const struct sockaddr_storage *,
		    long);
static int	 agent_role_conflict(struct ice_agent *,
		    const struct ice_stun *, size_t,
		    const struct sockaddr_storage *);
static void	 agent_answer(struct ice_agent *, const struct ice_stun *,
		    size_t, const struct sockaddr_storage *);
static void	 agent_response(struct ice_agent *, const struct ice_stun *,
		    const uint8_t *, size_t, const struct sockaddr_storage *);
static void	 agent_switch_role(struct ice_agent *, const char *);
static void	 agent_select(struct ice_agent *, size_t);
static void	 agent_fail(struct ice_agent *, const char *);
static void	 agent_notify(struct ice_agent *);
static void	 agent_notify_cb(int, short, void *);
static void	 agent_turn_ready(void *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	 agent_turn_failed(void *, const char *);
static void	 agent_turn_recv(void *, const struct sockaddr_storage *,
		    const uint8_t *, size_t);

static const struct turn_cb agent_turn_cb = {
	.ready = agent_turn_ready,
	.failed = agent_turn_failed,
	.recv = agent_turn_recv,
};

/* ---- the API ------------------------------------------------------ */

struct ice_agent *
ice_agent_new(const struct ice_agent_params *p)
{
	struct ice_agent	*a;

	if (p->local_ufrag[0] == '\0' || p->remote_ufrag[0] == '\0' ||
	    p->cb == NULL)
		fatalx("%s: incomplete parameters", __func__);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", __func__);
	a->p = *p;
	a->p.local_ufrag[sizeof(a->p.local_ufrag) - 1] = '\0';
	a->p.local_pwd[sizeof(a->p.local_pwd) - 1] = '\0';
	a->p.remote_ufrag[sizeof(a->p.remote_ufrag) - 1] = '\0';
	a->p.remote_pwd[sizeof(a->p.remote_pwd) - 1] = '\0';
	(void)snprintf(a->username, sizeof(a->username), "%s:%s",
	    a->p.remote_ufrag, a->p.local_ufrag);
	(void)snprintf(a->expect, sizeof(a->expect), "%s:%s",
	    a->p.local_ufrag, a->p.remote_ufrag);
	arc4random_buf(&a->tiebreaker, sizeof(a->tiebreaker));
	a->controlling = p->controlling != 0;
	a->state = a->reported = ICE_AGENT_GATHERING;
	a->start = agent_ms();
	a->nominated = a->selected = -1;
	evtimer_set(&a->tick_ev, agent_tick, a);
	evtimer_set(&a->notify_ev, agent_notify_cb, a);
	ice_net_agent_add(&a->net, a, a->p.local_ufrag);
	log_debug("agent %s: starts %s", a->p.local_ufrag,
	    a->controlling ? "controlling" : "controlled");
	agent_locals(a);
	agent_turn_start(a);
	agent_tick_arm(a, AGENT_CHECK_MS);
	return a;
}

void
ice_agent_add_remote(struct ice_agent *a, const struct ice_cand *c)
{
	const struct sockaddr_in	*addr, *raddr;
	struct ice_cand			 extra;

	if (a->state == ICE_AGENT_FAILED)
		return;
	if (c->addr.ss_family != AF_INET || c->component != 1) {
		log_debug("agent %s: remote candidate not IPv4 or not "
		    "component 1, ignored", a->p.local_ufrag);
		return;
	}
	(void)agent_remote_add(a, c);
	agent_check_new(a);
	if (c->type != ICE_CAND_SRFLX || c->cid[0] == '\0' ||
	    c->raddr.ss_family != AF_INET)
		return;
	addr = (const struct sockaddr_in *)&c->addr;
	raddr = (const struct sockaddr_in *)&c->raddr;
	if (raddr->sin_port == 0 || raddr->sin_port == addr->sin_port)
		return;
	/* Go's guess: the WireGuard port may be forwarded as it is. */
	extra = *c;
	((struct sockaddr_in *)&extra.addr)->sin_port = raddr->sin_port;
	extra.priority = ice_cand_type_priority(ICE_CAND_SRFLX);
	(void)agent_remote_add(a, &extra);
	agent_check_new(a);
}

int
ice_agent_selected(const struct ice_agent *a, struct ice_selected *sel)
{
	const struct agent_pair	*pr;

	if (a->selected < 0 || a->state != ICE_AGENT_CONNECTED)
		return -1;
	pr = &a->pairs[a->selected];
	memset(sel, 0, sizeof(*sel));
	sel->local = a->local[pr->local];
	sel->remote = a->remote[pr->remote].c;
	sel->rtt_ns = pr->rtt_ns;
	return 0;
}

int
ice_agent_send(struct ice_agent *a, const uint8_t *buf, size_t len)
{
	const struct agent_pair	*pr;

	if (a->selected < 0 || a->state != ICE_AGENT_CONNECTED ||
	    a->turn == NULL)
		return -1;
	pr = &a->pairs[a->selected];
	if (a->local[pr->local].type != ICE_CAND_RELAY)
		return -1;
	return turn_client_send(a->turn, &a->remote[pr->remote].c.addr, buf,
	    len);
}

void
ice_agent_free(struct ice_agent *a)
{
	if (a == NULL)
		return;
	ice_net_agent_del(&a->net);
	evtimer_del(&a->tick_ev);
	evtimer_del(&a->notify_ev);
	if (a->turn != NULL)
		turn_client_free(a->turn);
	free(a->local);
	free(a->remote);
	free(a->pairs);
	free(a->order);
	free(a->txn);
	freezero(a, sizeof(*a));
}

/* ---- from ice_net ------------------------------------------------- */

void
ice_agent_stun_in(struct ice_agent *a, const struct ice_stun *st,
    const uint8_t *buf, size_t len, const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst)
{
	size_t	i;

	for (i = 0; i < a->nlocal; i++)
		if (a->local[i].type == ICE_CAND_HOST &&
		    ice_addr_eq(&a->local[i].addr, dst))
			break;
	agent_stun(a, st, buf, len, src, i < a->nlocal ? (long)i : -1);
}

void
ice_agent_net_update(struct ice_agent *a)
{
	struct sockaddr_storage	 ss;
	const char		*user, *pwd;

	if (a->state == ICE_AGENT_FAILED)
		return;
	agent_locals(a);
	if (a->turn != NULL && ice_net_turn(&ss, &user, &pwd) == 0)
		turn_client_credentials(a->turn, user, pwd);
	else
		agent_turn_start(a);
}

/* ---- candidates ------------------------------------------------------ */

static int64_t
agent_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("%s: clock_gettime", __func__);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
agent_ms(void)
{
	return agent_ns() / 1000000;
}

static void
agent_full(struct ice_agent *a, int what, const char *msg)
{
	if (a->full & what)
		return;
	a->full |= what;
	log_warnx("agent %s: %s, dropped", a->p.local_ufrag, msg);
}

/* Host and server-reflexive candidates we do not have yet. */
static void
agent_locals(struct ice_agent *a)
{
	struct sockaddr_storage	 ss[ICE_NET_HOSTS_MAX], any;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&any;
	size_t			 i, n;

	n = ice_net_hosts(ss, nitems(ss));
	for (i = 0; i < n; i++)
		(void)agent_local_add(a, ICE_CAND_HOST, &ss[i], NULL);
	memset(&any, 0, sizeof(any));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(ice_net_wg_port());
	n = ice_net_srflx(ss, ICE_NET_SRFLX_MAX);
	for (i = 0; i < n; i++)
		(void)agent_local_add(a, ICE_CAND_SRFLX, &ss[i], &any);
	agent_check_new(a);
}

static void
agent_turn_start(struct ice_agent *a)
{
	struct sockaddr_storage	 ss;
	const char		*user, *pwd;

	if (!a->p.use_relay || a->turn != NULL || a->turn_failed ||
	    ice_net_turn(&ss, &user, &pwd) == -1)
		return;
	if ((a->turn = turn_client_new(&ss, user, pwd, &agent_turn_cb,
	    a)) == NULL) {
		log_warnx("agent %s: no TURN client", a->p.local_ufrag);
		a->turn_failed = 1;
	}
}

static long
agent_local_add(struct ice_agent *a, int type,
    const struct sockaddr_storage *addr, const struct sockaddr_storage *raddr)
{
	struct ice_cand	*n;
	size_t		 i, li;

	for (i = 0; i < a->nlocal; i++)
		if (a->local[i].type == type &&
		    ice_addr_eq(&a->local[i].addr, addr))
			return -1;
	if (a->nlocal == AGENT_LOCAL_MAX) {
		agent_full(a, FULL_LOCAL, "too many local candidates");
		return -1;
	}
	if ((n = reallocarray(a->local, a->nlocal + 1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	a->local = n;
	li = a->nlocal++;
	ice_cand_make(&a->local[li], type, addr, raddr, a->p.local_ufrag);
	for (i = 0; i < a->nremote; i++)
		(void)agent_pair_add(a, li, i);
	agent_notify(a);
	return li;
}

/*
 * A remote candidate, or the one we have.  A signalled candidate at the
 * address of a peer-reflexive one takes its place (its pairs keep their
 * state).
 */
static long
agent_remote_add(struct ice_agent *a, const struct ice_cand *c)
{
	struct agent_remote	*n, *r;
	size_t			 i, ri;

	for (i = 0; i < a->nremote; i++) {
		r = &a->remote[i];
		if (!ice_addr_eq(&r->c.addr, &c->addr))
			continue;
		if (r->c.type == c->type &&
		    ice_addr_eq(&r->c.raddr, &c->raddr))
			return i;
		if (r->c.type == ICE_CAND_PRFLX && c->type != ICE_CAND_PRFLX) {
			r->c = *c;
			for (ri = 0; ri < a->npairs; ri++)
				if (a->pairs[ri].remote == i)
					a->pairs[ri].prio = agent_pair_prio(a,
					    &a->pairs[ri]);
			agent_sort(a);
			return i;
		}
	}
	if (a->nremote == AGENT_REMOTE_MAX) {
		agent_full(a, FULL_REMOTE, "too many remote candidates");
		return -1;
	}
	if ((n = reallocarray(a->remote, a->nremote + 1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	a->remote = n;
	ri = a->nremote++;
	a->remote[ri].c = *c;
	a->remote[ri].seen = 0;
	for (i = 0; i < a->nlocal; i++)
		(void)agent_pair_add(a, i, ri);
	return ri;
}

static long
agent_remote_find(const struct ice_agent *a,
    const struct sockaddr_storage *ss)
{
	size_t	i;

	for (i = 0; i < a->nremote; i++)
		if (ice_addr_eq(&a->remote[i].c.addr, ss))
			return i;
	return -1;
}

static void
agent_remote_seen(struct ice_agent *a, const struct sockaddr_storage *ss)
{
	int64_t	now = agent_ms();
	size_t	i;

	for (i = 0; i < a->nremote; i++)
		if (ice_addr_eq(&a->remote[i].c.addr, ss))
			a->remote[i].seen = now;
}

/* ---- pairs ---------------------------------------------------------- */

static long
agent_pair_add(struct ice_agent *a, size_t li, size_t ri)
{
	struct agent_pair	*n, *pr;
	size_t			*o;

	if (a->local[li].addr.ss_family != a->remote[ri].c.addr.ss_family)
		return -1;
	if (a->npairs == AGENT_PAIRS_MAX) {
		agent_full(a, FULL_PAIRS, "too many candidate pairs");
		return -1;
	}
	if ((n = reallocarray(a->pairs, a->npairs + 1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	a->pairs = n;
	if ((o = reallocarray(a->order, a->npairs + 1, sizeof(*o))) == NULL)
		fatal("%s", __func__);
	a->order = o;
	pr = &a->pairs[a->npairs];
	memset(pr, 0, sizeof(*pr));
	pr->local = li;
	pr->remote = ri;
	pr->state = PAIR_WAITING;
	pr->prio = agent_pair_prio(a, pr);
	a->order[a->npairs] = a->npairs;
	a->npairs++;
	agent_sort(a);
	if (a->local[li].type == ICE_CAND_RELAY && a->turn != NULL)
		(void)turn_client_permit(a->turn, &a->remote[ri].c.addr);
	return a->npairs - 1;
}

static long
agent_pair_find(const struct ice_agent *a, size_t li, size_t ri)
{
	size_t	i;

	for (i = 0; i < a->npairs; i++)
		if (a->pairs[i].local == li && a->pairs[i].remote == ri)
			return i;
	return -1;
}

/* RFC 8445 6.1.2.3: G is the controlling side's candidate. */
static uint64_t
agent_pair_prio(const struct ice_agent *a, const struct agent_pair *pr)
{
	uint32_t	l = a->local[pr->local].priority;
	uint32_t	r = a->remote[pr->remote].c.priority;

	return a->controlling ? ice_pair_priority(l, r) :
	    ice_pair_priority(r, l);
}

/* Insertion sort, highest priority first: a few pairs, nearly sorted. */
static void
agent_sort(struct ice_agent *a)
{
	size_t	i, j, k;

	for (i = 1; i < a->npairs; i++) {
		k = a->order[i];
		for (j = i; j > 0 &&
		    a->pairs[a->order[j - 1]].prio < a->pairs[k].prio; j--)
			a->order[j] = a->order[j - 1];
		a->order[j] = k;
	}
}

/* The best pair that succeeded (valid), or any not failed (!valid). */
static long
agent_best(const struct ice_agent *a, int valid)
{
	const struct agent_pair	*pr;
	size_t			 i;

	for (i = 0; i < a->npairs; i++) {
		pr = &a->pairs[a->order[i]];
		if (valid ? pr->state == PAIR_SUCCEEDED :
		    pr->state != PAIR_FAILED)
			return a->order[i];
	}
	return -1;
}

static int
agent_wait_ms(int type)
{
	switch (type) {
	case ICE_CAND_HOST:
		return 0;
	case ICE_CAND_SRFLX:
		return AGENT_WAIT_SRFLX_MS;
	case ICE_CAND_PRFLX:
		return AGENT_WAIT_PRFLX_MS;
	default:
		return AGENT_WAIT_RELAY_MS;
	}
}

static int
agent_nominatable(const struct ice_agent *a, const struct agent_pair *pr,
    int64_t now)
{
	int64_t	elapsed = now - a->start;

	return elapsed > agent_wait_ms(a->local[pr->local].type) &&
	    elapsed > agent_wait_ms(a->remote[pr->remote].c.type);
}

/* ---- checks ---------------------------------------------------------- */

static void
agent_tick(int fd, short event, void *arg)
{
	struct ice_agent	*a = arg;
	int64_t			 now = agent_ms();

	(void)fd;
	(void)event;
	if (a->state == ICE_AGENT_FAILED)
		return;
	if (a->turn_failed && a->turn != NULL) {
		turn_client_free(a->turn);
		a->turn = NULL;
	}
	if (a->state == ICE_AGENT_CONNECTED)
		agent_connected(a, now);
	else
		agent_checking(a, now);
}

static void
agent_tick_arm(struct ice_agent *a, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(&a->tick_ev, &tv);
}

static void
agent_checking(struct ice_agent *a, int64_t now)
{
	struct agent_pair	*pr;
	long			 best;

	if (now - a->start > AGENT_CHECKING_MS) {
		agent_fail(a, "no pair was selected in time");
		return;
	}
	agent_tick_arm(a, AGENT_CHECK_MS);
	if (!a->controlling) {
		agent_ping_all(a);
		return;
	}
	if (a->nominated >= 0) {
		pr = &a->pairs[a->nominated];
		if (++a->nominations <= AGENT_CHECKS_MAX) {
			agent_check(a, a->nominated, 1);
			return;
		}
		pr->state = PAIR_FAILED;
		a->nominated = -1;
	}
	best = agent_best(a, 1);
	if (best >= 0 && agent_nominatable(a, &a->pairs[best], now)) {
		agent_nominate(a, best);
		return;
	}
	agent_ping_all(a);
}

static void
agent_connected(struct ice_agent *a, int64_t now)
{
	struct agent_pair	*pr = &a->pairs[a->selected];

	if (now - a->remote[pr->remote].seen > AGENT_QUIET_MS) {
		agent_fail(a, "nothing from the selected pair for 6 s");
		return;
	}
	if (a->local[pr->local].type == ICE_CAND_RELAY && a->turn == NULL) {
		agent_fail(a, "the TURN allocation is gone");
		return;
	}
	agent_tick_arm(a, AGENT_CONNECTED_MS);
	if (now - a->keepalive_at >= AGENT_KEEPALIVE_MS) {
		a->keepalive_at = now;
		agent_check(a, a->selected, 0);
	}
}

static void
agent_ping_all(struct ice_agent *a)
{
	struct agent_pair	*pr;
	size_t			 i;

	for (i = 0; i < a->npairs; i++) {
		pr = &a->pairs[a->order[i]];
		if (pr->state == PAIR_WAITING)
			pr->state = PAIR_IN_PROGRESS;
		else if (pr->state != PAIR_IN_PROGRESS)
			continue;
		if (pr->checks >= AGENT_CHECKS_MAX) {
			pr->state = PAIR_FAILED;
			continue;
		}
		pr->checks++;
		agent_check(a, a->order[i], 0);
	}
}

/*
 * Pairs nobody checked yet get their first check now: pion asks for
 * checks at once when a candidate comes, and so do we, for those pairs.
 */
static void
agent_check_new(struct ice_agent *a)
{
	struct agent_pair	*pr;
	size_t			 i;

	if (a->state != ICE_AGENT_GATHERING)
		return;
	for (i = 0; i < a->npairs; i++) {
		pr = &a->pairs[a->order[i]];
		if (pr->state != PAIR_WAITING)
			continue;
		pr->state = PAIR_IN_PROGRESS;
		pr->checks++;
		agent_check(a, a->order[i], 0);
	}
}

/* Controlling: USE-CANDIDATE on pair pi, again each tick until answered. */
static void
agent_nominate(struct ice_agent *a, size_t pi)
{
	a->nominated = pi;
	a->nominations = 1;
	agent_check(a, pi, 1);
}

static void
agent_check(struct ice_agent *a, size_t pi, int use_candidate)
{
	struct agent_pair	*pr = &a->pairs[pi];
	uint8_t			 buf[ICE_STUN_MAX];
	uint8_t			 tid[ICE_STUN_TID_LEN];
	size_t			 len;

	ice_net_tid(&a->net, tid);
	if ((len = ice_stun_check_request(buf, sizeof(buf), tid, a->username,
	    a->p.remote_pwd, a->local[pr->local].priority, a->controlling,
	    a->tiebreaker, use_candidate)) == 0)
		fatalx("%s: no room for a check", __func__);
	agent_txn_add(a, tid, pi, use_candidate);
	(void)agent_send(a, pr->local, &a->remote[pr->remote].c.addr, buf,
	    len);
}

/* Expired checks go first; when still full, the oldest. */
static void
agent_txn_add(struct ice_agent *a, const uint8_t *tid, size_t pi,
    int use_candidate)
{
	struct agent_txn	*n, *t;
	int64_t			 now = agent_ns();
	size_t			 i, j = 0;

	for (i = 0; i < a->ntxn; i++)
		if (now - a->txn[i].sent_ns < (int64_t)AGENT_TXN_MS * 1000000)
			a->txn[j++] = a->txn[i];
	a->ntxn = j;
	if (a->ntxn == AGENT_TXN_MAX) {
		agent_full(a, FULL_TXN, "too many checks under way");
		memmove(a->txn, a->txn + 1, --a->ntxn * sizeof(*a->txn));
	}
	if ((n = reallocarray(a->txn, a->ntxn + 1, sizeof(*n))) == NULL)
		fatal("%s", __func__);
	a->txn = n;
	t = &a->txn[a->ntxn++];
	memcpy(t->tid, tid, sizeof(t->tid));
	t->pair = pi;
	t->use_candidate = use_candidate;
	t->controlling = a->controlling;
	t->sent_ns = now;
}

static struct agent_txn *
agent_txn_find(struct ice_agent *a, const uint8_t *tid)
{
	int64_t	now = agent_ns();
	size_t	i;

	for (i = 0; i < a->ntxn; i++)
		if (memcmp(a->txn[i].tid, tid, ICE_STUN_TID_LEN) == 0 &&
		    now - a->txn[i].sent_ns < (int64_t)AGENT_TXN_MS * 1000000)
			return &a->txn[i];
	return NULL;
}

/* Host candidates send from their address, the others from any. */
static int
agent_send(struct ice_agent *a, size_t li, const struct sockaddr_storage *dst,
    const void *buf, size_t len)
{
	const struct ice_cand	*l = &a->local[li];

	if (l->type == ICE_CAND_RELAY)
		return a->turn == NULL ? -1 :
		    turn_client_send(a->turn, dst, buf, len);
	return ice_net_send(l->type == ICE_CAND_HOST ? &l->addr : NULL, dst,
	    buf, len);
}

/* ---- incoming STUN --------------------------------------------------- */

/* li: the local candidate it came to (requests), -1 if none of ours. */
static void
agent_stun(struct ice_agent *a, const struct ice_stun *st,
    const uint8_t *buf, size_t len, const struct sockaddr_storage *src,
    long li)
{
	if (a->state == ICE_AGENT_FAILED || st->method != ICE_STUN_BINDING)
		return;
	switch (st->cls) {
	case ICE_STUN_REQUEST:
		agent_request(a, st, buf, len, src, li);
		break;
	case ICE_STUN_SUCCESS:
	case ICE_STUN_ERROR:
		agent_response(a, st, buf, len, src);
		break;
	default:
		break;
	}
}

static void
agent_request(struct ice_agent *a, const struct ice_stun *st,
    const uint8_t *buf, size_t len, const struct sockaddr_storage *src,
    long li)
{
	struct agent_pair	*pr;
	struct ice_cand		 prflx;
	long			 ri, pi;

	if (strcmp(st->username, a->expect) != 0 || !st->has_integrity ||
	    !ice_stun_integrity_ok(buf, len, a->p.local_pwd)) {
		log_debug("agent %s: a check with bad credentials",
		    a->p.local_ufrag);
		return;
	}
	if (li < 0) {
		log_debug("agent %s: a check to an address not ours",
		    a->p.local_ufrag);
		return;
	}
	if (agent_role_conflict(a, st, li, src))
		return;
	if ((ri = agent_remote_find(a, src)) == -1) {
		ice_cand_make(&prflx, ICE_CAND_PRFLX, src, NULL, "");
		if (st->priority != 0)
			prflx.priority = st->priority;
		ri = agent_remote_add(a, &prflx);
	}
	agent_remote_seen(a, src);
	agent_answer(a, st, li, src);
	if (ri < 0 || (pi = agent_pair_find(a, li, ri)) == -1)
		pi = ri < 0 ? -1 : agent_pair_add(a, li, ri);
	if (pi < 0 || a->state == ICE_AGENT_CONNECTED)
		return;
	pr = &a->pairs[pi];
	if (st->use_candidate && !a->controlling) {
		if (pr->state == PAIR_SUCCEEDED) {
			agent_select(a, pi);
			return;
		}
		pr->nominate_on_success = 1;
	}
	if (pr->state == PAIR_SUCCEEDED) {
		if (a->controlling && a->nominated < 0 &&
		    agent_best(a, 0) == pi &&
		    agent_nominatable(a, pr, agent_ms()))
			agent_nominate(a, pi);
		return;
	}
	if (pr->state == PAIR_FAILED)
		pr->checks = 0;
	pr->state = PAIR_IN_PROGRESS;
	agent_check(a, pi, 0);
}

/*
 * RFC 8445 7.3.1.1: both controlling or both controlled.  The larger
 * tie-breaker keeps its role; the other side learns it from 487.
 * Returns 1 when the request was answered with 487.
 */
static int
agent_role_conflict(struct ice_agent *a, const struct ice_stun *st,
    size_t li, const struct sockaddr_storage *src)
{
	uint8_t	buf[ICE_STUN_MAX];
	size_t	len;
	int	keep;

	if ((st->role == ICE_ROLE_CONTROLLING) != (a->controlling != 0) ||
	    st->role == ICE_ROLE_NONE)
		return 0;
	keep = a->tiebreaker >= st->tiebreaker;
	if (a->controlling ? !keep : keep) {
		agent_switch_role(a, "role conflict");
		return 0;
	}
	if ((len = ice_stun_check_error(buf, sizeof(buf), st->tid, 487,
	    a->p.local_pwd)) == 0)
		fatalx("%s: no room for an error", __func__);
	(void)agent_send(a, li, src, buf, len);
	return 1;
}

static void
agent_answer(struct ice_agent *a, const struct ice_stun *st, size_t li,
    const struct sockaddr_storage *src)
{
	uint8_t	buf[ICE_STUN_MAX];
	size_t	len;

	if ((len = ice_stun_check_success(buf, sizeof(buf), st->tid, src,
	    a->p.local_pwd)) == 0)
		fatalx("%s: no room for an answer", __func__);
	(void)agent_send(a, li, src, buf, len);
}

static void
agent_response(struct ice_agent *a, const struct ice_stun *st,
    const uint8_t *buf, size_t len, const struct sockaddr_storage *src)
{
	struct agent_txn	*t, txn;
	struct agent_pair	*pr;

	if ((t = agent_txn_find(a, st->tid)) == NULL) {
		log_debug("agent %s: an answer to no check of ours",
		    a->p.local_ufrag);
		return;
	}
	if (!st->has_integrity ||
	    !ice_stun_integrity_ok(buf, len, a->p.remote_pwd)) {
		log_debug("agent %s: an answer with bad integrity",
		    a->p.local_ufrag);
		return;
	}
	txn = *t;
	memmove(t, t + 1, (a->txn + --a->ntxn - t) * sizeof(*t));
	pr = &a->pairs[txn.pair];
	/* RFC 8445 7.2.5.2.1: from where the check went, or no use. */
	if (!ice_addr_eq(&a->remote[pr->remote].c.addr, src))
		return;
	agent_remote_seen(a, src);
	if (st->cls == ICE_STUN_ERROR) {
		if (st->error_code == 487 &&
		    txn.controlling == a->controlling) {
			agent_switch_role(a, "487 from the remote");
			pr->state = PAIR_WAITING;
			pr->checks = 0;
		} else if (st->error_code != 487)
			pr->state = PAIR_FAILED;
		return;
	}
	pr->rtt_ns = agent_ns() - txn.sent_ns;
	pr->state = PAIR_SUCCEEDED;
	if (a->state == ICE_AGENT_CONNECTED)
		return;
	if (a->controlling ? txn.use_candidate : pr->nominate_on_success) {
		agent_select(a, txn.pair);
		return;
	}
	/* The best pair succeeded and may be nominated: no need to wait. */
	if (a->controlling && a->nominated < 0 &&
	    agent_best(a, 1) == (long)txn.pair &&
	    agent_nominatable(a, pr, agent_ms()))
		agent_nominate(a, txn.pair);
}

static void
agent_switch_role(struct ice_agent *a, const char *why)
{
	size_t	i;

	a->controlling = !a->controlling;
	a->nominated = -1;
	for (i = 0; i < a->npairs; i++)
		a->pairs[i].prio = agent_pair_prio(a, &a->pairs[i]);
	agent_sort(a);
	log_info("agent %s: now %s: %s", a->p.local_ufrag,
	    a->controlling ? "controlling" : "controlled", why);
}

/* ---- states --------------------------------------------------------- */

static void
agent_select(struct ice_agent *a, size_t pi)
{
	struct agent_pair	*pr = &a->pairs[pi];
	char			 l[INET6_ADDRSTRLEN + 8];
	char			 r[INET6_ADDRSTRLEN + 8];

	if (a->selected >= 0)
		return;
	a->selected = pi;
	a->state = ICE_AGENT_CONNECTED;
	a->keepalive_at = agent_ms();
	if (a->remote[pr->remote].seen == 0)
		a->remote[pr->remote].seen = a->keepalive_at;
	log_debug("agent %s: selected %s %s - %s %s after %lld ms",
	    a->p.local_ufrag, ice_cand_type_name(a->local[pr->local].type),
	    ice_addr_str(&a->local[pr->local].addr, l, sizeof(l)),
	    ice_cand_type_name(a->remote[pr->remote].c.type),
	    ice_addr_str(&a->remote[pr->remote].c.addr, r, sizeof(r)),
	    (long long)(a->keepalive_at - a->start));
	agent_notify(a);
}

static void
agent_fail(struct ice_agent *a, const char *why)
{
	log_debug("agent %s: failed: %s", a->p.local_ufrag, why);
	a->state = ICE_AGENT_FAILED;
	evtimer_del(&a->tick_ev);
	agent_notify(a);
}

static void
agent_notify(struct ice_agent *a)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(&a->notify_ev, &tv);
}

/* New local candidates, then the state: the owner may free us then. */
static void
agent_notify_cb(int fd, short event, void *arg)
{
	struct ice_agent	*a = arg;
	struct ice_cand		 c;

	(void)fd;
	(void)event;
	while (a->state != ICE_AGENT_FAILED && a->nannounced < a->nlocal) {
		c = a->local[a->nannounced++];
		a->p.cb->candidate(a->p.arg, &c);
	}
	if (a->state == a->reported)
		return;
	a->reported = a->state;
	a->p.cb->state(a->p.arg, a->state);
}

/* ---- TURN ------------------------------------------------------------ */

static void
agent_turn_ready(void *arg, const struct sockaddr_storage *relayed,
    const struct sockaddr_storage *mapped)
{
	struct ice_agent	*a = arg;
	char			 r[INET6_ADDRSTRLEN + 8];

	if (a->state == ICE_AGENT_FAILED)
		return;
	log_debug("agent %s: relayed address %s", a->p.local_ufrag,
	    ice_addr_str(relayed, r, sizeof(r)));
	(void)agent_local_add(a, ICE_CAND_RELAY, relayed, mapped);
	agent_check_new(a);
}

/* The client stops; we free it on the next tick, outside its call. */
static void
agent_turn_failed(void *arg, const char *why)
{
	struct ice_agent	*a = arg;
	size_t			 i;

	log_warnx("agent %s: TURN: %s", a->p.local_ufrag, why);
	a->turn_failed = 1;
	for (i = 0; i < a->npairs; i++)
		if (a->local[a->pairs[i].local].type == ICE_CAND_RELAY)
			a->pairs[i].state = PAIR_FAILED;
}

/* STUN through the relay, or WireGuard on the selected relayed pair. */
static void
agent_turn_recv(void *arg, const struct sockaddr_storage *peer,
    const uint8_t *buf, size_t len)
{
	struct ice_agent	*a = arg;
	struct ice_stun		 st;
	struct agent_pair	*pr;
	size_t			 li;

	for (li = 0; li < a->nlocal; li++)
		if (a->local[li].type == ICE_CAND_RELAY)
			break;
	if (li == a->nlocal || a->state == ICE_AGENT_FAILED)
		return;
	if (ice_stun_is_stun(buf, len)) {
		if (ice_stun_parse(buf, len, &st) == -1) {
			log_debug("agent %s: bad STUN through TURN",
			    a->p.local_ufrag);
			return;
		}
		agent_stun(a, &st, buf, len, peer, li);
		return;
	}
	if (a->selected < 0 || a->state != ICE_AGENT_CONNECTED)
		return;
	pr = &a->pairs[a->selected];
	if (pr->local != li || !ice_addr_eq(&a->remote[pr->remote].c.addr,
	    peer))
		return;
	a->p.cb->data(a->p.arg, buf, len);
}
