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

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "netbirdd.h"
#include "grpc.h"
#include "server.h"

#define SERVER_CA_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"
#define SERVER_CA_MAX		(8 * 1024 * 1024)

static int	server_host_ok(const char *, size_t);
static void	server_timeout(int, short, void *);

/* The three ways an attempt goes on; see server.h. */
void
server_init(struct server *s, void (*ready)(void),
    void (*fail)(const char *, ...), void (*retry)(void))
{
	memset(s, 0, sizeof(*s));
	s->ready = ready;
	s->fail = fail;
	s->retry = retry;
	evtimer_set(&s->timer, server_timeout, s);
}

/* Letters, digits, '-', '_' and '.': a host name or an IPv4 address. */
static int
server_host_ok(const char *host, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '-' &&
		    host[i] != '_' && host[i] != '.')
			return 0;
	return 1;
}

/*
 * host[:port], host a name, an IPv4 address or an IPv6 address in
 * brackets; without a port, defport (0: the port is required).  As
 * management's configuration and NetbirdConfig give a server.
 */
int
server_parse(struct server *s, const char *hostport, uint16_t defport)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		 v6[INET6_ADDRSTRLEN];
	const char	*end, *errstr;
	size_t		 len;

	if (hostport[0] == '[') {
		if ((end = strchr(hostport, ']')) == NULL ||
		    (size_t)(end - hostport - 1) >= sizeof(v6))
			return -1;
		memcpy(v6, hostport + 1, end - hostport - 1);
		v6[end - hostport - 1] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return -1;
		end++;
	} else {
		end = hostport + strcspn(hostport, ":");
		if (!server_host_ok(hostport, end - hostport))
			return -1;
	}
	len = end - hostport;
	if (len >= sizeof(s->host) || (*end != ':' && *end != '\0'))
		return -1;
	memcpy(s->host, hostport, len);
	s->host[len] = '\0';
	if (*end == '\0') {
		if (defport == 0)
			return -1;
		s->port = defport;
	} else {
		s->port = strtonum(end + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	s->literal = s->host[0] == '[' || inet_pton(AF_INET, s->host, &a4) == 1;
	server_cancel(s);
	return 0;
}

/*
 * Ask the dns child for the server's addresses, every attempt anew: an
 * address may change.  An address needs no asking: ready() at once.
 */
void
server_resolve(struct server *s)
{
	struct dns_query	q;
	struct timeval		tv = { SERVER_DNS_MS / 1000, 0 };

	server_cancel(s);
	if (s->literal) {
		s->ready();
		return;
	}
	if (penv.iev[PROC_DNS] == NULL)
		fatalx("%s: no connection to dns", __func__);
	if (++s->next_qid == 0)
		s->next_qid = 1;
	s->qid = s->next_qid;
	memset(&q, 0, sizeof(q));
	q.qid = s->qid;
	q.port = s->port;
	strlcpy(q.host, s->host, sizeof(q.host));
	if (imsgev_compose(penv.iev[PROC_DNS], IMSG_DNS_QUERY, 0, 0, -1,
	    &q, sizeof(q)) == -1)
		fatal("%s: imsgev_compose", __func__);
	evtimer_add(&s->timer, &tv);
}

/* After a failure: retry() in ms milliseconds. */
void
server_wait(struct server *s, int ms)
{
	struct timeval	tv;

	server_cancel(s);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	s->waiting = 1;
	evtimer_add(&s->timer, &tv);
}

/* No answer on its way is waited for any more, no backoff either. */
void
server_cancel(struct server *s)
{
	s->qid = 0;
	s->waiting = 0;
	evtimer_del(&s->timer);
}

static void
server_timeout(int fd, short event, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)event;
	if (s->waiting) {
		s->waiting = 0;
		s->retry();
		return;
	}
	s->qid = 0;
	s->fail("no answer from the resolver for %s", s->host);
}

/*
 * IMSG_DNS_ANSWER, checked: the dns child is trusted no more than any.
 * The addresses go to libcurl, which never resolves a name itself.  An
 * answer to a query no longer waited for is dropped.
 */
void
server_dns_answer(struct server *s, struct imsg *imsg)
{
	struct dns_answer	 a;
	char			 buf[NBD_DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
	const char		*addrs[NBD_DNS_MAX_ADDRS];
	const struct sockaddr	*sa;
	const void		*p;
	size_t			 i;

	imsg_data_exact(imsg, &a, sizeof(a), __func__);
	if (a.naddrs > NBD_DNS_MAX_ADDRS)
		fatalx("%s: %u addresses", __func__, a.naddrs);
	for (i = 0; i < a.naddrs; i++) {
		sa = (const struct sockaddr *)&a.addrs[i];
		if (sa->sa_family == AF_INET)
			p = &((const struct sockaddr_in *)sa)->sin_addr;
		else if (sa->sa_family == AF_INET6)
			p = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		else
			fatalx("%s: address family %d", __func__,
			    sa->sa_family);
		if (inet_ntop(sa->sa_family, p, buf[i], sizeof(buf[i])) ==
		    NULL)
			fatal("%s: inet_ntop", __func__);
		addrs[i] = buf[i];
	}
	if (s->qid == 0 || a.qid != s->qid) {
		log_debug("stale answer %u from dns", a.qid);
		return;
	}
	server_cancel(s);
	if (a.error != 0)
		s->fail("cannot resolve %s: %s", s->host,
		    gai_strerror(a.error));
	else if (a.naddrs == 0)
		s->fail("%s has no address", s->host);
	else if (grpc_set_resolve(s->host, s->port, addrs, a.naddrs) == -1)
		s->fail("cannot use the addresses of %s", s->host);
	else {
		log_debug("%s: %u addresses, first %s", s->host, a.naddrs,
		    addrs[0]);
		s->ready();
	}
}

/* Before the chroot: $SSL_CERT_FILE as OpenSSL reads it, else Debian's. */
void
server_ca_read(void **ca, size_t *calen)
{
	const char	*path;
	struct stat	 sb;
	ssize_t		 n;
	int		 fd;

	*ca = NULL;
	*calen = 0;
	if ((path = getenv("SSL_CERT_FILE")) == NULL || *path == '\0')
		path = SERVER_CA_BUNDLE;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("CA bundle %s: https servers cannot be verified",
		    path);
		return;
	}
	if (fstat(fd, &sb) == -1 || sb.st_size <= 0 ||
	    sb.st_size > SERVER_CA_MAX) {
		log_warnx("CA bundle %s: not a usable file", path);
		close(fd);
		return;
	}
	if ((*ca = malloc(sb.st_size)) == NULL)
		fatal("%s", __func__);
	if ((n = read(fd, *ca, sb.st_size)) != sb.st_size) {
		log_warnx("CA bundle %s: short read", path);
		free(*ca);
		*ca = NULL;
		close(fd);
		return;
	}
	*calen = n;
	close(fd);
	log_debug("CA bundle %s: %zu bytes", path, *calen);
}

/* Server messages go into logs and onto terminals: ASCII only. */
void
server_printable(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

/* 1 when why is to be logged: new in this outage, and room to note it. */
int
server_why_new(struct server_whys *w, const char *why)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->why[i], why) == 0)
			return 0;
	if (w->n == SERVER_WHYS)
		return 0;
	strlcpy(w->why[w->n++], why, sizeof(w->why[0]));
	return 1;
}

/* 1 when a warning may name what name (len bytes) names now. */
int
log_limit_allowed(struct log_limit *ll, const void *name, size_t len)
{
	struct log_limit_slot	*l, *oldest = &ll->slots[0];
	uint8_t			 id[sizeof(l->id)];
	int64_t			 now = clock_ns(CLOCK_MONOTONIC);
	size_t			 i;

	if (ll->window == 0 || now - ll->window >= LOG_LIMIT_NS) {
		ll->window = now;
		ll->count = 0;
	}
	crypto_generichash(id, sizeof(id), name, len, NULL, 0);
	for (i = 0; i < ll->nslots; i++) {
		l = &ll->slots[i];
		if (l->at != 0 && memcmp(l->id, id, sizeof(id)) == 0) {
			if (now - l->at < LOG_LIMIT_NS)
				return 0;
			oldest = l;
			break;
		}
		if (l->at < oldest->at)
			oldest = l;
	}
	if (ll->count >= ll->burst)
		return 0;
	ll->count++;
	memcpy(oldest->id, id, sizeof(id));
	oldest->at = now;
	return 1;
}

void
backoff_init(struct backoff *b, int initial_ms, int max_ms,
    double multiplier, double randomisation)
{
	b->initial_ms = initial_ms;
	b->max_ms = max_ms;
	b->multiplier = multiplier;
	b->randomisation = randomisation;
	backoff_reset(b);
}

/* After a success: the next failure waits little again. */
void
backoff_reset(struct backoff *b)
{
	b->cur_ms = b->initial_ms;
}

/*
 * The next wait, uniformly in [(1 - r) * interval, (1 + r) * interval)
 * for randomisation r, as cenkalti/backoff; then the interval grows by
 * the multiplier, up to the maximum.
 */
int
backoff_next(struct backoff *b)
{
	double	wait, u;

	u = arc4random_uniform(1000000) / 1000000.0;
	wait = b->cur_ms * (1.0 - b->randomisation + 2.0 * b->randomisation * u);
	b->cur_ms *= b->multiplier;
	if (b->cur_ms > b->max_ms)
		b->cur_ms = b->max_ms;
	return (int)wait;
}
