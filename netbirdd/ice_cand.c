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
 * ICE candidates in the string form of pion's Candidate.Marshal as the
 * NetBird fork sends them (protocol.md 4.6):
 *
 *   <foundation> 1 udp <priority> <ip> <port> typ <type>
 *       [raddr <ip> rport <port>] [ufrag <ufrag>] [cid <id>]
 *
 * The parser is stricter than pion's: one space between fields, UDP,
 * IP literals, component 1.  Everything a Go peer sends passes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "log.h"
#include "ice.h"

#define CAND_PREFIX	"candidate:"
#define CAND_TOKENS_MAX	64	/* fields, raddr, rport, extensions */
#define CAND_ADDR_MAX	64	/* an IPv6 literal and a zone */
#define CAND_CID_LEN	32	/* what pion generates */

/* RFC 8445 5.1.2.1: priorities are 1 to 2^31 - 1. */
#define CAND_PRIO_MAX	0x7fffffffU

/* type preference << 24 | local preference 65535 << 8 | 256 - component */
#define CAND_PRIO(tp)	(((uint32_t)(tp) << 24) | (65535U << 8) | 255U)

struct tok {
	const char	*p;
	size_t		 len;
};

struct toks {
	struct tok	 t[CAND_TOKENS_MAX];
	size_t		 n;
	size_t		 i;		/* next to read */
};

static int	 tokenize(const char *, size_t, struct toks *, const char **);
static const struct tok *tok_next(struct toks *);
static int	 tok_is(const struct tok *, const char *);
static int	 tok_num(const struct tok *, size_t, uint32_t, uint32_t *);
static int	 tok_icechars(const struct tok *, size_t);
static int	 tok_addr(const struct tok *, struct sockaddr_storage *,
		    const char **);
static int	 tok_type(const struct tok *);
static void	 set_port(struct sockaddr_storage *, uint16_t);
static uint16_t	 get_port(const struct sockaddr_storage *);
static int	 addr_usable(const struct sockaddr_storage *);
static const char *addr_ntop(const struct sockaddr_storage *, char *,
		    size_t);
static int	 parse_raddr(struct toks *, struct ice_cand *,
		    const char **);
static int	 parse_exts(struct toks *, struct ice_cand *, const char **);
static uint32_t	 crc32_ieee(uint32_t, const void *, size_t);

static const char icechars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";

int
ice_cand_parse(const char *s, struct ice_cand *c, const char **why)
{
	struct toks		 tk;
	const struct tok	*t;
	const char		*dummy;
	size_t			 len;
	uint32_t		 v;

	if (why == NULL)
		why = &dummy;
	memset(c, 0, sizeof(*c));
	len = strnlen(s, ICE_CAND_STR_MAX);
	if (len == ICE_CAND_STR_MAX) {
		*why = "candidate too long";
		return -1;
	}
	if (strncmp(s, CAND_PREFIX, strlen(CAND_PREFIX)) == 0) {
		s += strlen(CAND_PREFIX);
		len -= strlen(CAND_PREFIX);
	}
	if (tokenize(s, len, &tk, why) == -1)
		return -1;
	if (tk.n < 8) {
		*why = "too few fields";
		return -1;
	}

	t = tok_next(&tk);
	if (t->len > ICE_FOUNDATION_MAX - 1 || !tok_icechars(t, t->len)) {
		*why = "bad foundation";
		return -1;
	}
	memcpy(c->foundation, t->p, t->len);

	/* pion only ever sends component 1 (RTP); we have no other. */
	if (!tok_is(tok_next(&tk), "1")) {
		*why = "component is not 1";
		return -1;
	}
	c->component = 1;

	t = tok_next(&tk);
	if (t->len == 3 && strncasecmp(t->p, "tcp", 3) == 0) {
		*why = "TCP candidates are not used";
		return -1;
	}
	if (t->len != 3 || strncasecmp(t->p, "udp", 3) != 0) {
		*why = "transport is not UDP";
		return -1;
	}

	if (tok_num(tok_next(&tk), 10, CAND_PRIO_MAX, &c->priority) == -1) {
		*why = "bad priority";
		return -1;
	}
	if (tok_addr(tok_next(&tk), &c->addr, why) == -1)
		return -1;
	if (!addr_usable(&c->addr)) {
		*why = "unusable address";
		return -1;
	}
	if (tok_num(tok_next(&tk), 5, 65535, &v) == -1 || v == 0) {
		*why = "bad port";
		return -1;
	}
	set_port(&c->addr, v);
	if (!tok_is(tok_next(&tk), "typ")) {
		*why = "no typ";
		return -1;
	}
	if ((c->type = tok_type(tok_next(&tk))) == -1) {
		*why = "unknown candidate type";
		return -1;
	}
	/* As pion does: priority 0 means the priority of the type. */
	if (c->priority == 0)
		c->priority = ice_cand_type_priority(c->type);
	if (parse_raddr(&tk, c, why) == -1)
		return -1;
	return parse_exts(&tk, c, why);
}

/*
 * Split on single spaces.  Empty fields (two spaces, a leading or a
 * trailing one) and control characters are refused.
 */
static int
tokenize(const char *s, size_t len, struct toks *tk, const char **why)
{
	size_t	 i, start = 0;

	tk->n = tk->i = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && (unsigned char)s[i] < 0x20) {
			*why = "control character";
			return -1;
		}
		if (i < len && s[i] == 0x7f) {
			*why = "control character";
			return -1;
		}
		if (i < len && s[i] != ' ')
			continue;
		if (i == start) {
			*why = "empty field";
			return -1;
		}
		if (tk->n == CAND_TOKENS_MAX) {
			*why = "too many fields";
			return -1;
		}
		tk->t[tk->n].p = s + start;
		tk->t[tk->n].len = i - start;
		tk->n++;
		start = i + 1;
	}
	return 0;
}

static const struct tok *
tok_next(struct toks *tk)
{
	if (tk->i == tk->n)
		return NULL;
	return &tk->t[tk->i++];
}

static int
tok_is(const struct tok *t, const char *word)
{
	return t != NULL && t->len == strlen(word) &&
	    memcmp(t->p, word, t->len) == 0;
}

/* 1 to maxdigits decimal digits, at most max. */
static int
tok_num(const struct tok *t, size_t maxdigits, uint32_t max, uint32_t *v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (t == NULL || t->len == 0 || t->len > maxdigits)
		return -1;
	for (i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (n > max)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* ice-char = ALPHA / DIGIT / "+" / "/", 1 to max of them. */
static int
tok_icechars(const struct tok *t, size_t max)
{
	size_t	 i;

	if (t->len == 0 || t->len > max)
		return 0;
	for (i = 0; i < t->len; i++)
		if (t->p[i] == '\0' || strchr(icechars, t->p[i]) == NULL)
			return 0;
	return 1;
}

/*
 * An IPv4 or IPv6 literal; an IPv6 zone is dropped as pion drops it,
 * IPv4-mapped IPv6 becomes IPv4 as pion's network type does.
 */
static int
tok_addr(const struct tok *t, struct sockaddr_storage *ss, const char **why)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 buf[CAND_ADDR_MAX], *zone;
	size_t			 len;

	if (t == NULL || t->len >= sizeof(buf)) {
		*why = "bad address";
		return -1;
	}
	memcpy(buf, t->p, t->len);
	buf[t->len] = '\0';
	if ((zone = strchr(buf, '%')) != NULL)
		*zone = '\0';
	len = strlen(buf);
	if (len >= 6 && strcasecmp(buf + len - 6, ".local") == 0) {
		*why = "mDNS candidates are not used";
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			struct in_addr	 a4;

			memcpy(&a4, &sin6->sin6_addr.s6_addr[12], sizeof(a4));
			memset(ss, 0, sizeof(*ss));
			sin->sin_family = AF_INET;
			sin->sin_addr = a4;
		}
	} else {
		*why = "not an IP address (host names are not resolved)";
		return -1;
	}
	return 0;
}

static int
tok_type(const struct tok *t)
{
	static const int types[] = {
		ICE_CAND_HOST, ICE_CAND_SRFLX, ICE_CAND_PRFLX, ICE_CAND_RELAY
	};
	size_t	 i;

	for (i = 0; i < nitems(types); i++)
		if (tok_is(t, ice_cand_type_name(types[i])))
			return types[i];
	return -1;
}

/*
 * "raddr <ip> rport <port>" if there.  pion keeps it only for non-host
 * types and prints it only with a port other than 0.
 */
static int
parse_raddr(struct toks *tk, struct ice_cand *c, const char **why)
{
	struct sockaddr_storage	 ra;
	uint32_t		 v;

	if (tk->i == tk->n || !tok_is(&tk->t[tk->i], "raddr"))
		return 0;
	tk->i++;
	if (tok_addr(tok_next(tk), &ra, why) == -1)
		return -1;
	if (!tok_is(tok_next(tk), "rport")) {
		*why = "raddr without rport";
		return -1;
	}
	if (tok_num(tok_next(tk), 5, 65535, &v) == -1) {
		*why = "bad rport";
		return -1;
	}
	set_port(&ra, v);
	if (c->type != ICE_CAND_HOST)
		c->raddr = ra;
	return 0;
}

/*
 * "key value" pairs; the value of the last key may be missing (pion
 * allows it).  The first ufrag and the first cid count, as in pion;
 * tcptype makes a TCP candidate; other keys are skipped.
 */
static int
parse_exts(struct toks *tk, struct ice_cand *c, const char **why)
{
	const struct tok	*k, *v;
	int			 have_ufrag = 0, have_cid = 0;

	while ((k = tok_next(tk)) != NULL) {
		v = tok_next(tk);
		if (tok_is(k, "tcptype")) {
			*why = "TCP candidates are not used";
			return -1;
		}
		if (tok_is(k, "ufrag") && !have_ufrag) {
			have_ufrag = 1;
			if (v == NULL)
				continue;
			if (!tok_icechars(v, ICE_UFRAG_MAX - 1)) {
				*why = "bad ufrag";
				return -1;
			}
			memcpy(c->ufrag, v->p, v->len);
		} else if (tok_is(k, "cid") && !have_cid) {
			have_cid = 1;
			if (v == NULL)
				continue;
			if (!tok_icechars(v, ICE_CID_MAX - 1)) {
				*why = "bad cid";
				return -1;
			}
			memcpy(c->cid, v->p, v->len);
		}
	}
	return 0;
}

/* The unspecified address and multicast are nobody's candidates. */
static int
addr_usable(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6;
	uint32_t			 a;

	if (ss->ss_family == AF_INET) {
		a = ntohl(sin->sin_addr.s_addr);
		return a != INADDR_ANY && !IN_MULTICAST(a) &&
		    a != INADDR_BROADCAST;
	}
	sin6 = (const struct sockaddr_in6 *)ss;
	return !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) &&
	    !IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr);
}

int
ice_cand_print(const struct ice_cand *c, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], *p = buf;
	size_t	 left = len;
	int	 n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (addr_ntop(&c->addr, a, sizeof(a)) == NULL)
		return -1;
	n = snprintf(p, left, "%s %u udp %u %s %u typ %s", c->foundation,
	    (unsigned int)c->component, c->priority, a,
	    (unsigned int)get_port(&c->addr),
	    ice_cand_type_name(c->type));
	if (n < 0 || (size_t)n >= left)
		goto toolong;
	p += n;
	left -= n;
	if (c->type != ICE_CAND_HOST && get_port(&c->raddr) != 0 &&
	    addr_ntop(&c->raddr, ra, sizeof(ra)) != NULL) {
		n = snprintf(p, left, " raddr %s rport %u", ra,
		    (unsigned int)get_port(&c->raddr));
		if (n < 0 || (size_t)n >= left)
			goto toolong;
		p += n;
		left -= n;
	}
	if (c->ufrag[0] != '\0') {
		n = snprintf(p, left, " ufrag %s", c->ufrag);
		if (n < 0 || (size_t)n >= left)
			goto toolong;
		p += n;
		left -= n;
	}
	if (c->cid[0] != '\0') {
		n = snprintf(p, left, " cid %s", c->cid);
		if (n < 0 || (size_t)n >= left)
			goto toolong;
		p += n;
		left -= n;
	}
	return (int)(len - left);
 toolong:
	buf[0] = '\0';
	return -1;
}

void
ice_cand_make(struct ice_cand *c, int type,
    const struct sockaddr_storage *addr, const struct sockaddr_storage *raddr,
    const char *ufrag)
{
	const char	*net;
	char		 a[INET6_ADDRSTRLEN];
	uint32_t	 crc;
	size_t		 i;

	memset(c, 0, sizeof(*c));
	c->type = type;
	c->component = 1;
	c->priority = ice_cand_type_priority(type);
	c->addr = *addr;
	if (raddr != NULL && type != ICE_CAND_HOST)
		c->raddr = *raddr;
	if (addr_ntop(addr, a, sizeof(a)) == NULL)
		fatalx("%s: address family %d", __func__, addr->ss_family);
	net = addr->ss_family == AF_INET ? "udp4" : "udp6";
	crc = crc32_ieee(0, ice_cand_type_name(type),
	    strlen(ice_cand_type_name(type)));
	crc = crc32_ieee(crc, a, strlen(a));
	crc = crc32_ieee(crc, net, strlen(net));
	snprintf(c->foundation, sizeof(c->foundation), "%u", crc);
	if (ufrag != NULL &&
	    strlcpy(c->ufrag, ufrag, sizeof(c->ufrag)) >= sizeof(c->ufrag))
		fatalx("%s: ufrag too long", __func__);
	for (i = 0; i < CAND_CID_LEN; i++)
		c->cid[i] = icechars[arc4random_uniform(sizeof(icechars) - 1)];
	c->cid[CAND_CID_LEN] = '\0';
}

uint32_t
ice_cand_type_priority(int type)
{
	switch (type) {
	case ICE_CAND_HOST:
		return CAND_PRIO(126);
	case ICE_CAND_PRFLX:
		return CAND_PRIO(110);
	case ICE_CAND_SRFLX:
		return CAND_PRIO(100);
	case ICE_CAND_RELAY:
		return CAND_PRIO(0);
	}
	fatalx("%s: type %d", __func__, type);
}

const char *
ice_cand_type_name(int type)
{
	switch (type) {
	case ICE_CAND_HOST:
		return "host";
	case ICE_CAND_SRFLX:
		return "srflx";
	case ICE_CAND_PRFLX:
		return "prflx";
	case ICE_CAND_RELAY:
		return "relay";
	}
	fatalx("%s: type %d", __func__, type);
}

/*
 * 2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0).  Priorities past
 * RFC 8445's maximum (PRIORITY attributes are 32 bits) count as the
 * maximum, so that the sum stays within 64 bits.
 */
uint64_t
ice_pair_priority(uint32_t g, uint32_t d)
{
	uint64_t	 lo, hi;

	g = MINIMUM(g, CAND_PRIO_MAX);
	d = MINIMUM(d, CAND_PRIO_MAX);
	lo = MINIMUM(g, d);
	hi = MAXIMUM(g, d);

	return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

void
ice_random_letters(char *buf, size_t len)
{
	static const char	 letters[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t			 i;

	for (i = 0; i < len; i++)
		buf[i] = letters[arc4random_uniform(sizeof(letters) - 1)];
	buf[len] = '\0';
}

const char *
ice_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (addr_ntop(ss, a, sizeof(a)) == NULL)
		return buf;
	if (ss->ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, (unsigned int)get_port(ss));
	else
		snprintf(buf, len, "%s:%u", a, (unsigned int)get_port(ss));
	return buf;
}

/* Family, address and port; the IPv6 scope is not compared. */
int
ice_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family != AF_INET && a->ss_family != AF_INET6)
		return 1;
	return get_port(a) == get_port(b) && ice_host_eq(a, b);
}

/* Family and address, whatever the ports. */
int
ice_host_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in	*b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6	*a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6	*b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	switch (a->ss_family) {
	case AF_INET:
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		return memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t
get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* The address without port, as Go prints it; NULL if neither family. */
static const char *
addr_ntop(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		return inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)ss)->sin_addr, buf, len);
	if (ss->ss_family == AF_INET6)
		return inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, len);
	return NULL;
}

/* CRC-32/IEEE (Go's crc32.ChecksumIEEE), bit by bit: inputs are short. */
static uint32_t
crc32_ieee(uint32_t crc, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 i;
	int		 k;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}
