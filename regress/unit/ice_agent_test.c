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
 * The ICE agent and the network layer of the ice process (ice_agent.c,
 * ice_net.c, ice_uri.c) with the real candidate and STUN modules, on
 * libevent in real time.  The raw socket is a socketpair: what ice_net
 * reads from it is a small frame (source, destination, payload) that the
 * ice_raw_decode() below takes apart, and what it sends is recorded by
 * the ice_raw_send() below.  The remote peer is scripted here with the
 * STUN builders, so every decision of the agent can be watched; TURN is a
 * recording stand-in whose callbacks the tests fire.  Last, two real
 * agents connect to each other through the loop.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "ice_net.h"
#include "logcap.h"

#define WG_PORT		51820
#define HOST		"10.0.0.1"
#define L_UFRAG		"LocalUfragLocalU"
#define L_PWD		"LocalPasswordLocalPasswordLocalP"
#define R_UFRAG		"RemoteUfragRemot"
#define R_PWD		"RemotePasswordRemotePasswordRemo"
/* The USERNAME of the remote's checks. */
#define L_USER		L_UFRAG ":" R_UFRAG
#define FRAMES_MAX	8192

struct wire_hdr {
	struct sockaddr_in	src;
	struct sockaddr_in	dst;
};

struct frame {
	struct sockaddr_storage	src;	/* AF_UNSPEC: any address */
	struct sockaddr_storage	dst;
	int			turn;	/* through the TURN client */
	uint8_t			buf[ICE_STUN_MAX];
	size_t			len;
	int64_t			at;	/* ms */
};

struct turn_client {
	struct turn_cb		cb;
	void			*arg;
	struct sockaddr_storage	server;
	char			user[CTL_MSG_LEN];
	char			pwd[CTL_MSG_LEN];
	struct sockaddr_storage	permits[64];
	size_t			npermits;
};

/* What the owner of an agent sees. */
struct owner {
	struct ice_agent	*a;
	struct ice_cand		 cands[64];
	size_t			 ncands;
	int			 state;
	int64_t			 connected_at;
	int64_t			 failed_at;
	size_t			 ndata;
	uint8_t			 data[64];
	size_t			 datalen;
	struct owner		*other;		/* trickle to it */
};

static int			 failed;
static int			 wire[2];
static int			 loopback;
static struct frame		 frames[FRAMES_MAX];
static size_t			 nframes;
static struct turn_client	*turn;
static int			 turn_news;
static int			 changes;
static int64_t			 t0;

static void	 check(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static int64_t	 now_ms(void);
static void	 run_ms(int);
static struct sockaddr_storage sa(const char *, uint16_t);
static void	 inject(const struct sockaddr_storage *,
		    const struct sockaddr_storage *, const uint8_t *, size_t);
static void	 record(const struct sockaddr_storage *,
		    const struct sockaddr_storage *, int, const void *, size_t);
static long	 frame_find(size_t, const struct sockaddr_storage *, int,
		    int);
static size_t	 frames_to(size_t, const struct sockaddr_storage *);
static void	 answer(size_t);
static size_t	 answer_all(size_t, int, int);
static size_t	 request(uint8_t *, size_t, uint8_t *, const char *,
		    const char *, uint32_t, int, uint64_t, int);
static struct ice_agent *start(struct owner *, int, int, const char *,
		    const char *, const char *, const char *);
static void	 on_candidate(void *, const struct ice_cand *);
static void	 on_state(void *, enum ice_agent_state);
static void	 on_data(void *, const uint8_t *, size_t);
static void	 on_change(void *);
static void	 host_addrs(const char *const *, size_t);
static void	 test_uri(void);
static void	 test_hosts(void);
static void	 test_controlled(void);
static void	 test_ordering(void);
static void	 test_prflx_conflict(void);
static void	 test_trailing(void);
static void	 test_synthetic(void);
static void	 test_bounds(void);
static void	 test_nominate_host(void);
static void	 test_nominate_waits(void);
static void	 test_srflx(void);
static void	 dns_handler(int, short, void *);
static void	 test_dns(void);
static void	 resolved_none(void *, const struct sockaddr_storage *,
		    size_t);
static int	 resolve_warnings(size_t, uint32_t *);
static void	 test_turn(void);
static void	 test_two_agents(void);

static const struct ice_agent_cb owner_cb = {
	.candidate = on_candidate,
	.state = on_state,
	.data = on_data,
};

/* ---- stand-ins for the raw socket and TURN ------------------------- */

int
ice_raw_decode(const uint8_t *pkt, size_t len, uint16_t dport,
    struct sockaddr_storage *src, struct sockaddr_storage *dst,
    const uint8_t **payload, size_t *plen)
{
	struct wire_hdr	h;

	if (len < sizeof(h))
		return -1;
	memcpy(&h, pkt, sizeof(h));
	if (ntohs(h.dst.sin_port) != dport)
		return -1;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	memcpy(src, &h.src, sizeof(h.src));
	memcpy(dst, &h.dst, sizeof(h.dst));
	*payload = pkt + sizeof(h);
	*plen = len - sizeof(h);
	return 0;
}

ssize_t
ice_raw_send(int fd, uint16_t sport, const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, const void *p, size_t len)
{
	struct sockaddr_storage	from, host = sa(HOST, WG_PORT);

	if (fd != wire[0] || sport != WG_PORT)
		check(0, "sent on fd %d from port %u", fd, sport);
	record(src, dst, 0, p, len);
	from = src != NULL ? *src : host;
	/* Two agents here: what goes to our host address comes back. */
	if (loopback && ice_addr_eq(dst, &host))
		inject(&from, dst, p, len);
	return len;
}

struct turn_client *
turn_client_new(const struct sockaddr_storage *server, const char *user,
    const char *pwd, const struct turn_cb *cb, void *arg)
{
	struct turn_client	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(1, NULL);
	c->cb = *cb;
	c->arg = arg;
	c->server = *server;
	strlcpy(c->user, user, sizeof(c->user));
	strlcpy(c->pwd, pwd, sizeof(c->pwd));
	turn = c;
	turn_news++;
	return c;
}

int
turn_client_permit(struct turn_client *c, const struct sockaddr_storage *to)
{
	if (c->npermits < nitems(c->permits))
		c->permits[c->npermits++] = *to;
	return 0;
}

int
turn_client_send(struct turn_client *c, const struct sockaddr_storage *to,
    const void *p, size_t len)
{
	(void)c;
	record(NULL, to, 1, p, len);
	return 0;
}

void
turn_client_credentials(struct turn_client *c, const char *user,
    const char *pwd)
{
	strlcpy(c->user, user, sizeof(c->user));
	strlcpy(c->pwd, pwd, sizeof(c->pwd));
}

void
turn_client_free(struct turn_client *c)
{
	if (c == turn)
		turn = NULL;
	free(c);
}

/* ---- helpers ---------------------------------------------------------- */

static void
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failed++;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run_ms(int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_loopexit(&tv);
	event_dispatch();
}

static struct sockaddr_storage
sa(const char *ip, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else
		errx(1, "bad address %s", ip);
	return ss;
}

/* A packet for ice_net, as the raw socket would have it. */
static void
inject(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
    const uint8_t *p, size_t len)
{
	uint8_t		buf[sizeof(struct wire_hdr) + ICE_STUN_MAX];
	struct wire_hdr	h;

	if (len > ICE_STUN_MAX)
		errx(1, "%s: too long", __func__);
	memcpy(&h.src, src, sizeof(h.src));
	memcpy(&h.dst, dst, sizeof(h.dst));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p, len);
	if (send(wire[1], buf, sizeof(h) + len, 0) == -1)
		err(1, "%s", __func__);
}

static void
record(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
    int via_turn, const void *p, size_t len)
{
	struct frame	*f;

	if (nframes == FRAMES_MAX || len > sizeof(f->buf))
		errx(1, "%s: too many frames", __func__);
	f = &frames[nframes++];
	memset(f, 0, sizeof(*f));
	if (src != NULL)
		f->src = *src;
	f->dst = *dst;
	f->turn = via_turn;
	memcpy(f->buf, p, len);
	f->len = len;
	f->at = now_ms();
}

/* From frame from on: one to dst (NULL: any) of class cls (-1: any). */
static long
frame_find(size_t from, const struct sockaddr_storage *dst, int cls,
    int use_candidate)
{
	struct ice_stun	st;
	size_t		i;

	for (i = from; i < nframes; i++) {
		if (dst != NULL && !ice_addr_eq(&frames[i].dst, dst))
			continue;
		if (cls == -1)
			return i;
		if (ice_stun_parse(frames[i].buf, frames[i].len, &st) == -1 ||
		    st.cls != cls)
			continue;
		if (use_candidate != -1 && st.use_candidate != use_candidate)
			continue;
		return i;
	}
	return -1;
}

static size_t
frames_to(size_t from, const struct sockaddr_storage *dst)
{
	size_t	i, n = 0;

	for (i = from; i < nframes; i++)
		if (ice_addr_eq(&frames[i].dst, dst))
			n++;
	return n;
}

/* The remote answers our check in frame i. */
static void
answer(size_t i)
{
	struct frame		*f = &frames[i];
	struct ice_stun		 st;
	struct sockaddr_storage	 from;
	uint8_t			 buf[ICE_STUN_MAX];
	size_t			 len;

	if (ice_stun_parse(f->buf, f->len, &st) == -1)
		errx(1, "%s: our own check does not parse", __func__);
	from = f->src.ss_family == AF_INET ? f->src : sa(HOST, WG_PORT);
	if ((len = ice_stun_check_success(buf, sizeof(buf), st.tid, &from,
	    R_PWD)) == 0)
		errx(1, "%s: no room", __func__);
	if (f->turn)
		turn->cb.recv(turn->arg, &f->dst, buf, len);
	else
		inject(&f->dst, &from, buf, len);
}

/*
 * Answer the checks from frame from on: all of them, or only those
 * through TURN (turn_only), USE-CANDIDATE ones too unless hold_nomination.
 * Returns where to go on from.
 */
static size_t
answer_all(size_t from, int turn_only, int hold_nomination)
{
	struct ice_stun	st;
	size_t		i, end = nframes;

	for (i = from; i < end; i++) {
		if (ice_stun_parse(frames[i].buf, frames[i].len, &st) == -1 ||
		    st.cls != ICE_STUN_REQUEST || strchr(st.username, ':') ==
		    NULL)
			continue;
		if ((turn_only && !frames[i].turn) ||
		    (hold_nomination && st.use_candidate))
			continue;
		answer(i);
	}
	return end;
}

static size_t
request(uint8_t *buf, size_t size, uint8_t *tid, const char *user,
    const char *pwd, uint32_t prio, int controlling, uint64_t tb,
    int use_candidate)
{
	size_t	len;

	ice_stun_tid(tid);
	if ((len = ice_stun_check_request(buf, size, tid, user, pwd, prio,
	    controlling, tb, use_candidate)) == 0)
		errx(1, "%s: no room", __func__);
	return len;
}

static struct ice_agent *
start(struct owner *o, int controlling, int use_relay, const char *lu,
    const char *lp, const char *ru, const char *rp)
{
	struct ice_agent_params	p;

	memset(o, 0, sizeof(*o));
	memset(&p, 0, sizeof(p));
	p.controlling = controlling;
	p.use_relay = use_relay;
	strlcpy(p.local_ufrag, lu, sizeof(p.local_ufrag));
	strlcpy(p.local_pwd, lp, sizeof(p.local_pwd));
	strlcpy(p.remote_ufrag, ru, sizeof(p.remote_ufrag));
	strlcpy(p.remote_pwd, rp, sizeof(p.remote_pwd));
	p.cb = &owner_cb;
	p.arg = o;
	o->state = ICE_AGENT_GATHERING;
	t0 = now_ms();
	o->a = ice_agent_new(&p);
	return o->a;
}

static void
on_candidate(void *arg, const struct ice_cand *c)
{
	struct owner	*o = arg;

	if (o->ncands < nitems(o->cands))
		o->cands[o->ncands++] = *c;
	if (o->other != NULL && o->other->a != NULL)
		ice_agent_add_remote(o->other->a, c);
}

static void
on_state(void *arg, enum ice_agent_state st)
{
	struct owner	*o = arg;

	o->state = st;
	if (st == ICE_AGENT_CONNECTED)
		o->connected_at = now_ms();
	if (st == ICE_AGENT_FAILED)
		o->failed_at = now_ms();
}

static void
on_data(void *arg, const uint8_t *p, size_t len)
{
	struct owner	*o = arg;

	o->ndata++;
	o->datalen = MINIMUM(len, sizeof(o->data));
	memcpy(o->data, p, o->datalen);
}

static void
on_change(void *arg)
{
	(void)arg;
	changes++;
}

static void
host_addrs(const char *const *ips, size_t n)
{
	struct nbd_host_addrs	ha;
	struct sockaddr_storage	ss;
	size_t			i;

	memset(&ha, 0, sizeof(ha));
	for (i = 0; i < n; i++) {
		ss = sa(ips[i], 0);
		ha.addr[i].af = ss.ss_family;
		if (ss.ss_family == AF_INET) {
			ha.addr[i].plen = 32;
			memcpy(ha.addr[i].addr,
			    &((struct sockaddr_in *)&ss)->sin_addr, 4);
		} else {
			ha.addr[i].plen = 128;
			memcpy(ha.addr[i].addr,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		}
	}
	ha.n = n;
	ice_net_host_addrs(&ha);
}

/* ---- URIs ------------------------------------------------------------ */

static void
test_uri(void)
{
	static const struct {
		const char	*in;
		int		 scheme;
		const char	*host;
		uint16_t	 port;
	} good[] = {
		{ "stun:stun.example.com:3478", ICE_URI_STUN,
		    "stun.example.com", 3478 },
		{ "stun:192.0.2.1", ICE_URI_STUN, "192.0.2.1", 3478 },
		{ "STUN:stun.netbird.io:443", ICE_URI_STUN,
		    "stun.netbird.io", 443 },
		{ "turn:turn.example.com:443?transport=udp", ICE_URI_TURN,
		    "turn.example.com", 443 },
		{ "turn:turn.example.com", ICE_URI_TURN,
		    "turn.example.com", 3478 },
		{ "Turn:[2001:db8::1]:5349?Transport=UDP", ICE_URI_TURN,
		    "2001:db8::1", 5349 },
		{ "stun:[::1]", ICE_URI_STUN, "::1", 3478 },
		{ "stun:a_b-c.d:65535", ICE_URI_STUN, "a_b-c.d", 65535 },
	};
	static const char *const bad[] = {
		"", "stun", "stun:", "stun::3478", "stun:host:", "stun:host:0",
		"stun:host:65536", "stun:host:123456", "stun:host:+1",
		"stun:host:-1", "stun:host:1x", "stun:host:1:2",
		"stun:ho st", "stun:user@host", "stun:host/path",
		"stun:host%41", "stun:[::1", "stun:[]:1", "stun:[zz::1]:1",
		"stun:[::1]x", "stun:[::1]:", "stun:[::1]:99999",
		"stun:host?transport=udp", "stuns:host:5349",
		"turns:host:5349?transport=tcp", "turn:host?transport=tcp",
		"turn:host?transport=", "turn:host?transport=udp&x=1",
		"turn:host?foo=bar", "turn:host?", "http://host",
		"stunx:host", "turn:[2001:db8::1:1",
	};
	struct ice_uri	 u;
	const char	*why;
	char		 longname[600];
	size_t		 i;
	int		 ok;

	for (i = 0; i < nitems(good); i++) {
		ok = ice_uri_parse(good[i].in, &u, &why) == 0 &&
		    u.scheme == good[i].scheme &&
		    strcmp(u.host, good[i].host) == 0 &&
		    u.port == good[i].port;
		check(ok, "URI %s: scheme %d host %s port %u", good[i].in,
		    good[i].scheme, good[i].host, good[i].port);
	}
	for (i = 0; i < nitems(bad); i++) {
		why = NULL;
		ok = ice_uri_parse(bad[i], &u, &why) == -1 && why != NULL;
		check(ok, "URI \"%s\" refused: %s", bad[i], why ? why : "-");
	}
	memcpy(longname, "stun:", 5);
	memset(longname + 5, 'a', sizeof(longname) - 6);
	longname[sizeof(longname) - 1] = '\0';
	check(ice_uri_parse(longname, &u, &why) == -1,
	    "a host name of %zu bytes is refused", sizeof(longname) - 6);
	longname[5 + 255] = '\0';
	check(ice_uri_parse(longname, &u, &why) == 0 &&
	    strlen(u.host) == 255, "a host name of 255 bytes is taken");
}

/* ---- the network layer: hosts ---------------------------------------- */

static void
test_hosts(void)
{
	static const char *const ips[] = { HOST, "127.0.0.1", "::1",
	    "0.0.0.0", "192.168.5.5", HOST, "2001:db8::5" };
	static const char *const one[] = { HOST };
	struct sockaddr_storage	 out[8];
	struct sockaddr_storage	 h1 = sa(HOST, WG_PORT);
	struct sockaddr_storage	 h2 = sa("192.168.5.5", WG_PORT);
	int			 before = changes;
	size_t			 n;

	host_addrs(ips, nitems(ips));
	n = ice_net_hosts(out, nitems(out));
	check(n == 2 && ice_addr_eq(&out[0], &h1) &&
	    ice_addr_eq(&out[1], &h2),
	    "host addresses: IPv4 only, no loopback, no duplicates, "
	    "WireGuard port");
	check(changes == before + 1, "a change of hosts is reported once");
	host_addrs(ips, nitems(ips));
	check(changes == before + 1, "the same hosts again: no change");
	host_addrs(one, 1);
	check(changes == before + 2 && ice_net_hosts(out, 8) == 1,
	    "one host left: a change");
	check(ice_net_wg_port() == WG_PORT, "the WireGuard port is known");
	check(!ice_net_have_turn(), "no TURN server yet");
}

/* ---- the controlled agent -------------------------------------------- */

static void
test_controlled(void)
{
	struct owner		 o;
	struct ice_selected	 sel;
	struct ice_stun		 st;
	struct ice_cand		 rc;
	struct sockaddr_storage	 rh = sa("10.1.0.2", WG_PORT);
	struct sockaddr_storage	 us = sa(HOST, WG_PORT);
	uint8_t			 buf[ICE_STUN_MAX];
	uint8_t			 tid[ICE_STUN_TID_LEN];
	size_t			 len, mark;
	long			 i;
	int64_t			 keep, fail;
	const char		*why;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	run_ms(50);
	check(o.ncands == 1 && o.cands[0].type == ICE_CAND_HOST &&
	    ice_addr_eq(&o.cands[0].addr, &us) &&
	    strcmp(o.cands[0].ufrag, L_UFRAG) == 0 &&
	    o.cands[0].priority == ice_cand_type_priority(ICE_CAND_HOST),
	    "a new agent trickles its host candidate on the WireGuard port");
	check(nframes == 0, "no checks without remote candidates");

	if (ice_cand_parse("1 1 udp 2130706431 10.1.0.2 51820 typ host "
	    "ufrag " R_UFRAG, &rc, &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &rc);
	i = frame_find(0, &rh, ICE_STUN_REQUEST, 0);
	check(i >= 0 && ice_addr_eq(&frames[i].src, &us),
	    "a check to the remote host candidate, from our host address");
	if (i >= 0) {
		ice_stun_parse(frames[i].buf, frames[i].len, &st);
		check(strcmp(st.username, R_UFRAG ":" L_UFRAG) == 0 &&
		    st.role == ICE_ROLE_CONTROLLED && !st.use_candidate &&
		    st.priority == ice_cand_type_priority(ICE_CAND_HOST) &&
		    ice_stun_integrity_ok(frames[i].buf, frames[i].len, R_PWD),
		    "the check: USERNAME, ICE-CONTROLLED, PRIORITY, "
		    "integrity with the remote password");
	}

	/* Wrong password: no answer. */
	mark = nframes;
	len = request(buf, sizeof(buf), tid, L_USER, "wrong", 1, 1, 5, 1);
	inject(&rh, &us, buf, len);
	run_ms(30);
	check(frame_find(mark, &rh, ICE_STUN_SUCCESS, -1) == -1,
	    "a check with a bad MESSAGE-INTEGRITY is not answered");
	mark = nframes;
	len = request(buf, sizeof(buf), tid, R_UFRAG ":" L_UFRAG, L_PWD, 1, 1,
	    5, 1);
	inject(&rh, &us, buf, len);
	run_ms(30);
	check(frame_find(mark, &rh, ICE_STUN_SUCCESS, -1) == -1,
	    "a check with the ufrags swapped is not answered");

	/* Nomination before our own check succeeded. */
	mark = nframes;
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD,
	    ice_cand_type_priority(ICE_CAND_PRFLX), 1, 5, 1);
	inject(&rh, &us, buf, len);
	run_ms(30);
	i = frame_find(mark, &rh, ICE_STUN_SUCCESS, -1);
	check(i >= 0, "a valid check is answered");
	if (i >= 0) {
		ice_stun_parse(frames[i].buf, frames[i].len, &st);
		check(memcmp(st.tid, tid, sizeof(tid)) == 0 &&
		    ice_addr_eq(&st.mapped, &rh) &&
		    ice_stun_integrity_ok(frames[i].buf, frames[i].len,
		    L_PWD) && ice_addr_eq(&frames[i].src, &us),
		    "the answer: same transaction, XOR-MAPPED-ADDRESS = the "
		    "source, integrity with our password, from the address "
		    "the check came to");
	}
	check(frame_find(mark, &rh, ICE_STUN_REQUEST, 0) >= 0,
	    "the check triggers a check of ours on its pair");
	check(o.state == ICE_AGENT_GATHERING,
	    "nominated but our check did not succeed: not connected");
	mark = nframes;
	run_ms(250);
	answer_all(0, 0, 0);
	run_ms(50);
	check(o.state == ICE_AGENT_CONNECTED,
	    "our check succeeds: the nominated pair is selected");
	memset(&sel, 0, sizeof(sel));
	i = ice_agent_selected(o.a, &sel);
	check(i == 0 && sel.local.type == ICE_CAND_HOST &&
	    ice_addr_eq(&sel.local.addr, &us) &&
	    sel.remote.type == ICE_CAND_HOST &&
	    ice_addr_eq(&sel.remote.addr, &rh) && sel.rtt_ns > 0,
	    "selected: host %s - host 10.1.0.2:51820, RTT %lld us", HOST,
	    (long long)sel.rtt_ns / 1000);
	check(ice_agent_send(o.a, (const uint8_t *)"x", 1) == -1,
	    "no data through the agent on a direct pair");

	/* Keepalives every 4 s; 6 s without STUN from the remote: failed. */
	mark = nframes;
	while (o.state == ICE_AGENT_CONNECTED && now_ms() - o.connected_at <
	    8000)
		run_ms(50);
	i = frame_find(mark, &rh, ICE_STUN_REQUEST, 0);
	keep = i >= 0 ? frames[i].at - o.connected_at : -1;
	check(keep >= 3900 && keep <= 4700,
	    "a keepalive check on the selected pair after %lld ms",
	    (long long)keep);
	fail = o.failed_at - o.connected_at;
	check(o.state == ICE_AGENT_FAILED && fail >= 5900 && fail <= 7000,
	    "nothing from the remote: failed after %lld ms", (long long)fail);
	check(ice_agent_selected(o.a, &sel) == -1,
	    "a failed agent has no selected pair");
	mark = nframes;
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1, 1, 5, 0);
	inject(&rh, &us, buf, len);
	run_ms(250);
	check(nframes == mark, "a failed agent sends nothing, answers nothing");
	ice_agent_free(o.a);
}

/* Checks go out in pair priority order (controlled: G is theirs). */
static void
test_ordering(void)
{
	static const char *const cands[] = {
		"1 1 udp 16777215 198.51.100.9 50000 typ relay raddr "
		    "203.0.113.1 rport 40000",
		"2 1 udp 1694498815 198.51.100.2 40000 typ srflx raddr "
		    "0.0.0.0 rport 40000",
		"3 1 udp 2130706431 10.1.0.2 51820 typ host",
		"4 1 udp 2130706000 10.1.0.3 51820 typ host",
	};
	struct owner		 o;
	struct ice_cand		 c[nitems(cands)];
	struct sockaddr_storage	 d;
	uint64_t		 prio, last = UINT64_MAX;
	uint32_t		 lp = ice_cand_type_priority(ICE_CAND_HOST);
	size_t			 i, j, mark, seen = 0;
	size_t			 first[nitems(cands)];
	const char		*why;
	int			 ok = 1;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	for (i = 0; i < nitems(cands); i++) {
		if (ice_cand_parse(cands[i], &c[i], &why) == -1)
			errx(1, "%s: %s", cands[i], why);
		ice_agent_add_remote(o.a, &c[i]);
	}
	check(nframes == nitems(cands),
	    "a first check at once for each new pair");
	mark = nframes;
	run_ms(250);
	for (i = mark; i < nframes && seen < nitems(cands); i++) {
		for (j = 0; j < nitems(cands); j++)
			if (ice_addr_eq(&frames[i].dst, &c[j].addr))
				break;
		if (j == nitems(cands))
			continue;
		first[seen++] = j;
	}
	check(seen == nitems(cands), "a tick: a check to each of %zu "
	    "candidates", nitems(cands));
	for (i = 0; i < seen; i++) {
		prio = ice_pair_priority(c[first[i]].priority, lp);
		if (prio > last)
			ok = 0;
		last = prio;
	}
	check(ok && seen == 4 && first[0] == 2 && first[1] == 3 &&
	    first[2] == 1 && first[3] == 0,
	    "checks by pair priority: host, lower host, srflx, relay");
	d = sa("198.51.100.2", 40000);
	check(frames_to(0, &d) == 2,
	    "srflx with rport = port: no extra candidate");
	ice_agent_free(o.a);
}

/* Peer-reflexive candidates and role conflicts (RFC 8445 7.3.1.1). */
static void
test_prflx_conflict(void)
{
	struct owner		 o;
	struct ice_stun		 st;
	struct sockaddr_storage	 px = sa("10.9.9.9", 1234);
	struct sockaddr_storage	 us = sa(HOST, WG_PORT);
	uint8_t			 buf[ICE_STUN_MAX];
	uint8_t			 tid[ICE_STUN_TID_LEN];
	size_t			 len, mark;
	long			 i;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1862270975, 1, 9,
	    0);
	inject(&px, &us, buf, len);
	run_ms(30);
	check(frame_find(0, &px, ICE_STUN_SUCCESS, -1) >= 0,
	    "a check from an unknown address is answered");
	i = frame_find(0, &px, ICE_STUN_REQUEST, 0);
	check(i >= 0, "and its source becomes a peer-reflexive candidate "
	    "that gets a check");
	mark = nframes;
	run_ms(450);
	check(frames_to(mark, &px) >= 2, "the prflx pair is checked on");

	/* Both controlled; our tie-breaker is larger than 0: we control. */
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1, 0, 0, 0);
	mark = nframes;
	inject(&px, &us, buf, len);
	run_ms(30);
	i = frame_find(mark, &px, ICE_STUN_SUCCESS, -1);
	check(i >= 0, "both controlled, ours larger: answered");
	run_ms(250);
	i = frame_find(mark, &px, ICE_STUN_REQUEST, -1);
	if (i >= 0)
		ice_stun_parse(frames[i].buf, frames[i].len, &st);
	check(i >= 0 && st.role == ICE_ROLE_CONTROLLING,
	    "and we switched to controlling");

	/* Both controlling; ours larger or equal than 0: 487. */
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1, 1, 0, 0);
	mark = nframes;
	inject(&px, &us, buf, len);
	run_ms(30);
	i = frame_find(mark, &px, ICE_STUN_ERROR, -1);
	if (i >= 0)
		ice_stun_parse(frames[i].buf, frames[i].len, &st);
	check(i >= 0 && st.error_code == 487 &&
	    memcmp(st.tid, tid, sizeof(tid)) == 0 &&
	    ice_stun_integrity_ok(frames[i].buf, frames[i].len, L_PWD),
	    "both controlling, ours larger: 487 Role Conflict");
	check(frame_find(mark, &px, ICE_STUN_SUCCESS, -1) == -1,
	    "and no success");

	/* Both controlling, theirs larger: we give in. */
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1, 1, UINT64_MAX,
	    0);
	mark = nframes;
	inject(&px, &us, buf, len);
	run_ms(250);
	i = frame_find(mark, &px, ICE_STUN_REQUEST, -1);
	if (i >= 0)
		ice_stun_parse(frames[i].buf, frames[i].len, &st);
	check(frame_find(mark, &px, ICE_STUN_SUCCESS, -1) >= 0 && i >= 0 &&
	    st.role == ICE_ROLE_CONTROLLED,
	    "both controlling, theirs larger: answered, and controlled");
	ice_agent_free(o.a);
}

/* Go's peers append 0x8100 after FINGERPRINT (protocol.md 4.8). */
static void
test_trailing(void)
{
	static const char	 pairid[] = "abcdefghijklmnopqrstuvwxyz012345:"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
	struct owner		 o;
	struct sockaddr_storage	 rh = sa("10.1.0.2", WG_PORT);
	struct sockaddr_storage	 us = sa(HOST, WG_PORT);
	uint8_t			 buf[ICE_STUN_MAX];
	uint8_t			 tid[ICE_STUN_TID_LEN];
	size_t			 len, alen = sizeof(pairid) - 1, mlen;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	len = request(buf, sizeof(buf), tid, L_USER, L_PWD, 1, 1, 5, 0);
	buf[len] = 0x81;
	buf[len + 1] = 0x00;
	buf[len + 2] = alen >> 8;
	buf[len + 3] = alen & 0xff;
	memcpy(buf + len + 4, pairid, alen);
	memset(buf + len + 4 + alen, 0, (4 - alen % 4) % 4);
	len += 4 + alen + (4 - alen % 4) % 4;
	mlen = len - 20;
	buf[2] = mlen >> 8;
	buf[3] = mlen & 0xff;
	inject(&rh, &us, buf, len);
	run_ms(30);
	check(frame_find(0, &rh, ICE_STUN_SUCCESS, -1) >= 0,
	    "a check with 0x8100 after FINGERPRINT is answered");
	ice_agent_free(o.a);
}

/* Go's extra srflx candidate at the related port (protocol.md 4.6). */
static void
test_synthetic(void)
{
	struct owner		 o;
	struct ice_cand		 c;
	struct sockaddr_storage	 a1 = sa("198.51.100.7", 40211);
	struct sockaddr_storage	 a2 = sa("198.51.100.7", 51820);
	struct sockaddr_storage	 b1 = sa("198.51.100.8", 40211);
	struct sockaddr_storage	 b2 = sa("198.51.100.8", 51820);
	const char		*why;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	if (ice_cand_parse("2794081127 1 udp 1694498815 198.51.100.7 40211 "
	    "typ srflx raddr 0.0.0.0 rport 51820 ufrag " R_UFRAG " cid "
	    "8Ff+abcdefghijklmnopqrstuvwxyz12", &c, &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &c);
	if (ice_cand_parse("2794081128 1 udp 1694498815 198.51.100.8 40211 "
	    "typ srflx raddr 0.0.0.0 rport 51820 ufrag " R_UFRAG, &c,
	    &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &c);
	run_ms(250);
	check(frames_to(0, &a1) > 0 && frames_to(0, &a2) > 0,
	    "srflx with a cid and rport != port: also checked at the rport");
	check(frames_to(0, &b1) > 0 && frames_to(0, &b2) == 0,
	    "srflx without a cid: only its own port");
	ice_agent_free(o.a);
}

static void
test_bounds(void)
{
	struct owner		 o;
	struct ice_cand		 c;
	struct sockaddr_storage	 d;
	char			 s[128], ip[32];
	size_t			 i, n = 0;
	const char		*why;

	nframes = 0;
	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	for (i = 0; i < 40; i++) {
		snprintf(s, sizeof(s), "%zu 1 udp 2130706431 10.2.0.%zu 51820 "
		    "typ host", i, i + 1);
		if (ice_cand_parse(s, &c, &why) == -1)
			errx(1, "%s: %s", s, why);
		ice_agent_add_remote(o.a, &c);
	}
	if (ice_cand_parse("1 1 udp 2130706431 2001:db8::2 51820 typ host",
	    &c, &why) == -1)
		errx(1, "v6 candidate: %s", why);
	ice_agent_add_remote(o.a, &c);
	run_ms(250);
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "10.2.0.%zu", i + 1);
		d = sa(ip, WG_PORT);
		if (frames_to(0, &d) > 0)
			n++;
	}
	check(n == 32, "40 remote candidates: %zu checked (at most 32)", n);
	d = sa("2001:db8::2", WG_PORT);
	check(frames_to(0, &d) == 0, "an IPv6 remote candidate is not paired");
	ice_agent_free(o.a);
}

/* ---- the controlling agent ------------------------------------------- */

static void
test_nominate_host(void)
{
	struct owner		 o;
	struct ice_selected	 sel;
	struct ice_cand		 c;
	struct sockaddr_storage	 rh = sa("10.1.0.2", WG_PORT);
	struct sockaddr_storage	 rs = sa("198.51.100.2", 40000);
	size_t			 cur = 0, nominations = 0, i;
	const char		*why;
	long			 n;

	nframes = 0;
	start(&o, 1, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	if (ice_cand_parse("1 1 udp 2130706431 10.1.0.2 51820 typ host", &c,
	    &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &c);
	if (ice_cand_parse("2 1 udp 1694498815 198.51.100.2 40000 typ srflx "
	    "raddr 0.0.0.0 rport 40000", &c, &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &c);
	/* Answer everything but the nomination, for a second. */
	while (now_ms() - t0 < 1000) {
		run_ms(20);
		cur = answer_all(cur, 0, 1);
	}
	n = frame_find(0, NULL, ICE_STUN_REQUEST, 1);
	check(n >= 0 && ice_addr_eq(&frames[n].dst, &rh),
	    "controlling: USE-CANDIDATE on the best succeeded pair (host)");
	check(n >= 0 && frames[n].at - t0 < 600,
	    "host pairs wait 0 ms: nominated after %lld ms",
	    n >= 0 ? (long long)(frames[n].at - t0) : -1LL);
	for (i = 0; i < nframes; i++)
		if (frame_find(i, NULL, ICE_STUN_REQUEST, 1) == (long)i)
			nominations++;
	check(o.state == ICE_AGENT_GATHERING && nominations >= 3,
	    "unanswered, the nomination is repeated (%zu times), not "
	    "selected", nominations);
	check(frame_find(0, &rs, ICE_STUN_REQUEST, 1) == -1,
	    "the srflx pair is not nominated");
	answer_all(0, 0, 0);
	run_ms(50);
	check(o.state == ICE_AGENT_CONNECTED &&
	    ice_agent_selected(o.a, &sel) == 0 &&
	    ice_addr_eq(&sel.remote.addr, &rh),
	    "the nomination answered: connected on the host pair");
	ice_agent_free(o.a);
}

/*
 * The acceptance waits: a srflx pair is nominated after 500 ms, a relay
 * pair after 2 s, however early they succeed.
 */
static void
test_nominate_waits(void)
{
	static const struct {
		const char	*cand;
		int64_t		 wait;
		const char	*what;
	} t[] = {
		{ "2 1 udp 1694498815 198.51.100.2 40000 typ srflx raddr "
		    "0.0.0.0 rport 40000", 500, "srflx" },
		{ "2 1 udp 1862270975 198.51.100.3 40000 typ prflx", 1000,
		    "prflx" },
		{ "3 1 udp 16777215 198.51.100.9 50000 typ relay raddr "
		    "203.0.113.1 rport 40000", 2000, "relay" },
	};
	struct owner	 o;
	struct ice_cand	 c;
	size_t		 i, cur;
	const char	*why;
	long		 n;
	int64_t		 at;

	for (i = 0; i < nitems(t); i++) {
		nframes = cur = 0;
		start(&o, 1, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
		if (ice_cand_parse(t[i].cand, &c, &why) == -1)
			errx(1, "%s: %s", t[i].cand, why);
		ice_agent_add_remote(o.a, &c);
		while (o.state == ICE_AGENT_GATHERING &&
		    now_ms() - t0 < t[i].wait + 1500) {
			run_ms(20);
			cur = answer_all(cur, 0, 0);
		}
		n = frame_find(0, NULL, ICE_STUN_REQUEST, 1);
		at = n >= 0 ? frames[n].at - t0 : -1;
		check(at >= t[i].wait && at < t[i].wait + 500,
		    "%s pair answered at once, nominated after %lld ms "
		    "(wait %lld)", t[i].what, (long long)at,
		    (long long)t[i].wait);
		check(o.state == ICE_AGENT_CONNECTED,
		    "%s pair selected", t[i].what);
		ice_agent_free(o.a);
	}
}

/* ---- server-reflexive gathering and names --------------------------- */

static void
test_srflx(void)
{
	struct nbd_netbird_config c;
	struct owner		 o;
	struct ice_stun		 st;
	struct sockaddr_storage	 srv = sa("192.0.2.1", 3478);
	struct sockaddr_storage	 other = sa("192.0.2.2", 3478);
	struct sockaddr_storage	 mapped = sa("203.0.113.7", 40211);
	struct sockaddr_storage	 us = sa(HOST, WG_PORT), out[4];
	struct sockaddr_storage	 any = sa("0.0.0.0", WG_PORT);
	uint8_t			 buf[ICE_STUN_MAX];
	size_t			 len, k;
	long			 i, j;
	int			 before = changes;

	nframes = 0;
	memset(&c, 0, sizeof(c));
	c.nstun = 2;
	strlcpy(c.stun[0], "stun:192.0.2.1:3478", sizeof(c.stun[0]));
	strlcpy(c.stun[1], "stuns:192.0.2.3:5349", sizeof(c.stun[1]));
	ice_net_config(&c);
	i = frame_find(0, &srv, ICE_STUN_REQUEST, -1);
	check(i >= 0 && frames[i].src.ss_family == AF_UNSPEC,
	    "a Binding request to the STUN server from the WireGuard port");
	check(nframes == 1, "the stuns server is ignored");
	if (i < 0)
		return;
	ice_stun_parse(frames[i].buf, frames[i].len, &st);
	check(st.username[0] == '\0' && !st.has_integrity &&
	    ice_net_tid_owner(st.tid) == 0,
	    "a plain Binding request, transaction id of the network layer");
	run_ms(600);
	j = frame_find(i + 1, &srv, ICE_STUN_REQUEST, -1);
	check(j >= 0 && frames[j].at - frames[i].at >= 450 &&
	    memcmp(frames[j].buf + 8, st.tid, sizeof(st.tid)) == 0,
	    "unanswered: sent again after %lld ms, same transaction",
	    j >= 0 ? (long long)(frames[j].at - frames[i].at) : -1LL);

	len = ice_stun_check_success(buf, sizeof(buf), st.tid, &mapped, "x");
	inject(&other, &us, buf, len);
	run_ms(30);
	check(ice_net_srflx(out, 4) == 0,
	    "an answer from another address is ignored");
	inject(&srv, &us, buf, len);
	run_ms(30);
	check(ice_net_srflx(out, 4) == 1 && ice_addr_eq(&out[0], &mapped),
	    "the answer's XOR-MAPPED-ADDRESS is our srflx address");
	check(changes == before + 1, "and a change is reported");
	k = nframes;
	run_ms(1500);
	check(frames_to(k, &srv) == 0, "answered: no more retransmissions");

	start(&o, 0, 0, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	run_ms(30);
	check(o.ncands == 2 && o.cands[1].type == ICE_CAND_SRFLX &&
	    ice_addr_eq(&o.cands[1].addr, &mapped) &&
	    ice_addr_eq(&o.cands[1].raddr, &any) &&
	    o.cands[1].priority == ice_cand_type_priority(ICE_CAND_SRFLX),
	    "an agent trickles host and srflx (raddr 0.0.0.0 rport %d)",
	    WG_PORT);
	ice_agent_free(o.a);
	(void)us;
}

/* The dns process's end of the socketpair: our queries leave by it. */
static void
dns_handler(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;

	(void)fd;
	if (imsgev_dispatch_io(iev, ev) == -1)
		errx(1, "%s: the test's dns end closed", __func__);
	imsgev_add(iev);
}

static void
resolved_none(void *arg, const struct sockaddr_storage *ss, size_t n)
{
	(void)arg;
	(void)ss;
	(void)n;
	errx(1, "resolved_none: an answer nobody sent");
}

/* n lookups for the relay, their ids; the warnings they caused. */
static int
resolve_warnings(size_t n, uint32_t *qids)
{
	size_t	i;

	logcap_start();
	for (i = 0; i < n; i++)
		qids[i] = ice_net_resolve("relay.example.org", 443,
		    resolved_none, NULL);
	return logcap_count("lookups under way");
}

static void
test_dns(void)
{
	struct nbd_netbird_config c;
	struct imsgev		 iev;
	struct imsgbuf		 rd, wr, ar;
	struct imsg		 imsg;
	struct dns_query	 q;
	struct dns_answer	 a;
	struct sockaddr_storage	 srv = sa("192.0.2.50", 3478), out[4];
	struct sockaddr_storage	 stale = sa("192.0.2.99", 3478);
	uint32_t		 qids[ICE_NET_LOOKUPS_MAX + 5];
	size_t			 i;
	int			 sp[2], ap[2], got = 0, before = changes;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, ap) == -1)
		err(1, "socketpair");
	memset(&iev, 0, sizeof(iev));
	imsgev_init(&iev, sp[0], PROC_DNS, dns_handler, NULL);
	penv.iev[PROC_DNS] = &iev;
	if (imsgbuf_init(&rd, sp[1]) == -1 || imsgbuf_init(&wr, ap[0]) == -1 ||
	    imsgbuf_init(&ar, ap[1]) == -1)
		err(1, "imsgbuf_init");

	nframes = 0;
	memset(&c, 0, sizeof(c));
	c.nstun = 1;
	strlcpy(c.stun[0], "stun:stun.example.org:3478", sizeof(c.stun[0]));
	ice_net_config(&c);
	check(changes == before + 1 && ice_net_srflx(out, 4) == 0,
	    "the old STUN server gone: its srflx address goes");
	run_ms(20);
	memset(&q, 0, sizeof(q));
	if (imsgbuf_read(&rd) == 1 && imsgbuf_get(&rd, &imsg) > 0) {
		got = imsg_get_type(&imsg) == IMSG_DNS_QUERY &&
		    imsg_get_data(&imsg, &q, sizeof(q)) == 0;
		imsg_free(&imsg);
	}
	check(got && strcmp(q.host, "stun.example.org") == 0 &&
	    q.port == 3478 && q.qid != 0,
	    "a STUN server name goes to the dns process");

	memset(&a, 0, sizeof(a));
	a.qid = q.qid + 100;
	a.naddrs = 1;
	a.addrs[0] = stale;
	imsg_compose(&wr, IMSG_DNS_ANSWER, 0, 0, -1, &a, sizeof(a));
	a.qid = q.qid;
	a.naddrs = 2;
	a.addrs[0] = sa("2001:db8::50", 3478);
	a.addrs[1] = srv;
	imsg_compose(&wr, IMSG_DNS_ANSWER, 0, 0, -1, &a, sizeof(a));
	if (imsgbuf_flush(&wr) == -1 || imsgbuf_read(&ar) != 1)
		err(1, "imsgbuf");
	while (imsgbuf_get(&ar, &imsg) > 0) {
		ice_net_dns_answer(&imsg);
		imsg_free(&imsg);
	}
	check(frame_find(0, &srv, ICE_STUN_REQUEST, -1) >= 0 &&
	    frames_to(0, &stale) == 0,
	    "the answer's IPv4 address gets a Binding request; a stale "
	    "answer is ignored");

	check(resolve_warnings(ICE_NET_LOOKUPS_MAX, qids) == 0 &&
	    qids[ICE_NET_LOOKUPS_MAX - 1] != 0,
	    "ICE_NET_LOOKUPS_MAX lookups for the relay: no warning");
	check(resolve_warnings(5, qids + ICE_NET_LOOKUPS_MAX) == 1 &&
	    qids[ICE_NET_LOOKUPS_MAX] == 0,
	    "more refused, with one warning for them all");
	ice_net_resolve_cancel(qids[0]);
	check(resolve_warnings(1, qids) == 0 && qids[0] != 0,
	    "a slot free: the next starts");
	check(resolve_warnings(2, qids + ICE_NET_LOOKUPS_MAX) == 1,
	    "full again: one more warning");
	for (i = 0; i < ICE_NET_LOOKUPS_MAX; i++)
		ice_net_resolve_cancel(qids[i]);
	penv.iev[PROC_DNS] = NULL;
	imsgev_clear(&iev);
	imsgbuf_clear(&rd);
	imsgbuf_clear(&wr);
	imsgbuf_clear(&ar);
	close(sp[1]);
	close(ap[0]);
	close(ap[1]);
}

/* ---- TURN ------------------------------------------------------------- */

static void
test_turn(void)
{
	struct nbd_netbird_config c;
	struct owner		 o;
	struct ice_cand		 rc;
	struct ice_selected	 sel;
	struct sockaddr_storage	 server = sa("192.0.2.9", 3478);
	struct sockaddr_storage	 relayed = sa("192.0.2.9", 50001);
	struct sockaddr_storage	 mapped = sa("203.0.113.7", 40000);
	struct sockaddr_storage	 rh = sa("10.1.0.2", WG_PORT);
	size_t			 cur = 0, k, i;
	long			 n;
	const char		*why;
	int			 viaturn = 0;

	memset(&c, 0, sizeof(c));
	c.nturn = 2;
	strlcpy(c.turn[0].uri, "turn:192.0.2.8:443?transport=tcp",
	    sizeof(c.turn[0].uri));
	strlcpy(c.turn[1].uri, "turn:192.0.2.9:3478?transport=udp",
	    sizeof(c.turn[1].uri));
	strlcpy(c.turn[1].user, "1700000000:peer", sizeof(c.turn[1].user));
	strlcpy(c.turn[1].password, "secret1", sizeof(c.turn[1].password));
	ice_net_config(&c);
	check(ice_net_have_turn(), "a UDP TURN server is known");

	nframes = 0;
	turn_news = 0;
	start(&o, 1, 1, L_UFRAG, L_PWD, R_UFRAG, R_PWD);
	check(turn_news == 1 && turn != NULL &&
	    ice_addr_eq(&turn->server, &server) &&
	    strcmp(turn->user, "1700000000:peer") == 0,
	    "use_relay: a TURN client on the UDP server with its "
	    "credentials");
	if (turn == NULL)
		return;
	if (ice_cand_parse("1 1 udp 2130706431 10.1.0.2 51820 typ host", &rc,
	    &why) == -1)
		errx(1, "candidate: %s", why);
	ice_agent_add_remote(o.a, &rc);
	run_ms(20);
	turn->cb.ready(turn->arg, &relayed, &mapped);
	run_ms(20);
	check(o.ncands == 2 && o.cands[1].type == ICE_CAND_RELAY &&
	    ice_addr_eq(&o.cands[1].addr, &relayed) &&
	    ice_addr_eq(&o.cands[1].raddr, &mapped),
	    "the relayed address is trickled, raddr the mapped one");
	check(turn->npermits == 1 && ice_addr_eq(&turn->permits[0], &rh),
	    "a permission for the remote candidate");

	strlcpy(c.turn[1].password, "secret2", sizeof(c.turn[1].password));
	ice_net_config(&c);
	check(strcmp(turn->pwd, "secret2") == 0,
	    "new TURN credentials reach the client");

	/* Only the relayed pair is answered: nominated after 2 s. */
	while (o.state == ICE_AGENT_GATHERING && now_ms() - t0 < 3500) {
		run_ms(20);
		cur = answer_all(cur, 1, 0);
	}
	n = frame_find(0, NULL, ICE_STUN_REQUEST, 1);
	check(n >= 0 && frames[n].turn && frames[n].at - t0 >= 2000,
	    "the relay pair is nominated through TURN after %lld ms",
	    n >= 0 ? (long long)(frames[n].at - t0) : -1LL);
	check(o.state == ICE_AGENT_CONNECTED &&
	    ice_agent_selected(o.a, &sel) == 0 &&
	    sel.local.type == ICE_CAND_RELAY &&
	    ice_addr_eq(&sel.remote.addr, &rh), "selected: relay - host");
	turn->cb.recv(turn->arg, &rh, (const uint8_t *)"\x04\0\0\0wg", 6);
	check(o.ndata == 1 && o.datalen == 6 &&
	    memcmp(o.data, "\x04\0\0\0wg", 6) == 0,
	    "WireGuard data through the relay reaches the owner");
	turn->cb.recv(turn->arg, &mapped, (const uint8_t *)"zz", 2);
	check(o.ndata == 1, "data from another peer of the relay does not");
	k = nframes;
	check(ice_agent_send(o.a, (const uint8_t *)"wgdata", 6) == 0 &&
	    nframes == k + 1 && frames[k].turn &&
	    ice_addr_eq(&frames[k].dst, &rh) && frames[k].len == 6,
	    "ice_agent_send goes through TURN to the remote");
	for (i = 0; i < nframes; i++)
		if (frames[i].turn && ice_addr_eq(&frames[i].dst, &rh))
			viaturn++;
	check(viaturn > 0, "checks went through TURN (%d)", viaturn);
	ice_agent_free(o.a);
	check(turn == NULL, "freeing the agent frees its TURN client");
	memset(&c, 0, sizeof(c));
	c.nstun = 1;
	strlcpy(c.stun[0], "stun:192.0.2.50:3478", sizeof(c.stun[0]));
	ice_net_config(&c);
	check(!ice_net_have_turn(), "no TURN server left");
}

/* ---- two agents -------------------------------------------------------- */

static void
test_two_agents(void)
{
	struct owner		 a, b;
	struct ice_selected	 sa1, sb1;
	int64_t			 t;

	nframes = 0;
	loopback = 1;
	start(&a, 1, 0, "AgentAufragAgent", "AgentApasswordAgentApasswordAgen",
	    "AgentBufragAgent", "AgentBpasswordAgentBpasswordAgen");
	start(&b, 0, 0, "AgentBufragAgent", "AgentBpasswordAgentBpasswordAgen",
	    "AgentAufragAgent", "AgentApasswordAgentApasswordAgen");
	t = now_ms();
	a.other = &b;
	b.other = &a;
	while ((a.state != ICE_AGENT_CONNECTED ||
	    b.state != ICE_AGENT_CONNECTED) && now_ms() - t < 5000)
		run_ms(10);
	check(a.state == ICE_AGENT_CONNECTED && b.state == ICE_AGENT_CONNECTED,
	    "two agents connect through the network layer in %lld ms",
	    (long long)(MAXIMUM(a.connected_at, b.connected_at) - t));
	check(ice_agent_selected(a.a, &sa1) == 0 &&
	    ice_agent_selected(b.a, &sb1) == 0 &&
	    sa1.local.type == ICE_CAND_HOST &&
	    sb1.remote.type == ICE_CAND_HOST, "both on a host pair");
	run_ms(1000);
	check(a.state == ICE_AGENT_CONNECTED && b.state == ICE_AGENT_CONNECTED,
	    "and stay connected");
	loopback = 0;
	ice_agent_free(a.a);
	ice_agent_free(b.a);
}

int
main(void)
{
	struct nbd_raw_socket	rs;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_DAEMON);
	log_setverbose(getenv("TEST_VERBOSE") != NULL);
	penv.evbase = event_init();
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, wire) == -1)
		err(1, "socketpair");
	ice_net_on_change(on_change, NULL);

	test_uri();
	memset(&rs, 0, sizeof(rs));
	rs.af = AF_INET;
	rs.port = WG_PORT;
	ice_net_raw_socket(wire[0], &rs);
	test_hosts();
	test_controlled();
	test_ordering();
	test_prflx_conflict();
	test_trailing();
	test_synthetic();
	test_bounds();
	test_nominate_host();
	test_nominate_waits();
	test_srflx();
	test_dns();
	test_turn();
	test_two_agents();
	return failed != 0;
}
