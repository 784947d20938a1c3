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
 * A WebSocket connection: libcurl makes the TCP connection and the TLS
 * session (CURLOPT_CONNECT_ONLY, multi interface on libevent), then
 * the upgrade and the frames (ws_frame.c) go through curl_easy_send()
 * and curl_easy_recv(), with libevent watching the socket.  libcurl
 * 7.88 (Debian 12) has no WebSocket support of its own.
 *
 * What libcurl 7.88 does with connect-only handles, and what follows:
 *
 * - A connect-only transfer is "done" (CURLMSG_DONE) as soon as the
 *   connection, TLS included, is up; the connection then waits in the
 *   multi handle's connection cache, and curl_easy_send()/recv() find
 *   it there.
 * - curl_multi_remove_handle() closes a connect-only connection, so the
 *   handle stays in the multi until the end (CURLOPT_CONNECT_ONLY(3)).
 * - When another transfer starts, a multi handle's connection cache
 *   prunes connections idle for 118 s or that look dead; 7.88 spares
 *   one attached to its handle (ours is, from the first send on), but
 *   such rules change between versions.  Each connection has a multi
 *   handle of its own, whose cache holds only it and where no other
 *   transfer ever starts: libcurl never closes a socket under our
 *   events.
 * - TLS may hold decrypted bytes that the socket no longer shows, so a
 *   readable socket is read until CURLE_AGAIN (in turns of
 *   WS_READS_MAX reads, not to starve other events).
 * - OpenSSL wants a write that returned CURLE_AGAIN repeated with the
 *   same buffer and length: the outgoing queue is a list of chunks
 *   that never move, and a retry sends exactly what the last try did.
 * - libcurl offers h2 by ALPN unless told HTTP/1.1; a server that took
 *   h2 could not upgrade.
 *
 * libcurl may not be re-entered from its callbacks and the owner may
 * free a connection from its own callbacks: the closed callback always
 * comes from a zero timer, and a free from inside a callback is
 * finished there too.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event.h>

#include "log.h"
#include "curlev.h"
#include "relay.h"

#define WS_PATH_MAX	256
#define WS_HOST_MAX	256
#define WS_ADDRS_MAX	16
#define WS_RESOLVE_MAX	(WS_HOST_MAX + 16 + \
			    WS_ADDRS_MAX * (INET6_ADDRSTRLEN + 3))
#define WS_REQUEST_MAX	(WS_PATH_MAX + WS_HOST_MAX + 256)
#define WS_MSG_MAX	RELAY_MSG_MAX
#define WS_QUEUE_MAX	(256 * 1024)	/* bytes waiting to go out */
#define WS_CHUNK	(32 * 1024)
#define WS_READ_BUF	(64 * 1024)
#define WS_READS_MAX	32		/* reads per event, then yield */
#define WS_REASON_MAX	256

/* Close status codes (RFC 6455 7.4.1). */
#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_UNSUPPORTED	1003
#define WS_CLOSE_TOOBIG		1009

enum ws_state {
	WS_CONNECTING,		/* libcurl: TCP and TLS */
	WS_UPGRADING,		/* the HTTP upgrade */
	WS_OPEN,
	WS_DEAD			/* failed or closed; closed cb pending */
};

struct ws_chunk {
	TAILQ_ENTRY(ws_chunk)	 entry;
	size_t			 off;		/* sent */
	size_t			 len;		/* filled */
	uint8_t			 data[WS_CHUNK];
};
TAILQ_HEAD(ws_chunks, ws_chunk);

struct ws_conn {
	enum ws_state		 state;
	struct curlev		 cv;
	CURL			*easy;
	CURLU			*url;
	struct curl_slist	*resolve;
	char			 errbuf[CURL_ERROR_SIZE];
	struct event		*deadline;
	struct event		*later;		/* closed cb, deferred free */
	struct event		*rev;
	struct event		*wev;
	struct sockaddr_storage	 peer;

	char			 host[WS_HOST_MAX];
	char			 path[WS_PATH_MAX];
	uint16_t		 port;
	int			 tls;
	char			 key[WS_KEY_LEN + 1];
	uint8_t			 head[WS_HANDSHAKE_MAX];
	size_t			 headlen;
	struct ws_reader	 rd;

	struct ws_chunks	 outq;
	size_t			 outbytes;
	size_t			 again;		/* length of a write to retry */
	int			 flush_soon;
	int			 close_sent;

	struct ws_stats		 stats;
	struct ws_conn_cb	 cb;
	void			*arg;
	int			 in_cb;
	int			 freed;
	int			 closed_done;
	char			 reason[WS_REASON_MAX];
};

static struct {
	struct event_base	*base;
	uint8_t			*ca;
	size_t			 calen;
	int			 init;
	uint8_t			 rbuf[WS_READ_BUF];
} ws;

static void	 ev_deadline(int, short, void *);
static void	 ev_later(int, short, void *);
static void	 ev_read(int, short, void *);
static void	 ev_write(int, short, void *);
static void	 multi_action(void *, CURLMcode);
static void	 conn_connected(struct ws_conn *);
static void	 conn_fail(struct ws_conn *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 conn_detach(struct ws_conn *);
static void	 conn_destroy(struct ws_conn *);
static int	 conn_setup(struct ws_conn *, const char *,
		    const struct sockaddr_storage *, size_t, int);
static int	 url_parse(struct ws_conn *, const char *);
static int	 resolve_entry(struct ws_conn *,
		    const struct sockaddr_storage *, size_t);
static int	 conn_upgrade(struct ws_conn *);
static int	 conn_frames(struct ws_conn *, const uint8_t *, size_t);
static int	 frame_cb(void *, int, const uint8_t *, size_t);
static void	 conn_close_frame(struct ws_conn *, int, const uint8_t *,
		    size_t);
static int	 out_frame(struct ws_conn *, int, const uint8_t *, size_t);
static int	 out_raw(struct ws_conn *, const void *, size_t);
static uint8_t	*out_room(struct ws_conn *, size_t);
static int	 out_flush(struct ws_conn *);

int
ws_init(struct event_base *base, const void *ca, size_t calen)
{
	if (ws.init)
		fatalx("%s: called twice", __func__);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("%s: curl_global_init failed", __func__);
		return -1;
	}
	ws.base = base;
	if (ca != NULL && calen > 0) {
		if ((ws.ca = malloc(calen)) == NULL)
			fatal("%s", __func__);
		memcpy(ws.ca, ca, calen);
		ws.calen = calen;
	}
	ws.init = 1;
	return 0;
}

/*
 * libevent <-> libcurl, for the connection phase.
 */

static void
multi_action(void *arg, CURLMcode rc)
{
	struct ws_conn	*c = arg;
	CURLMsg		*m;
	char		 why[CURL_ERROR_SIZE];
	int		 left;

	if (rc != CURLM_OK) {
		conn_fail(c, "libcurl: %s", curl_multi_strerror(rc));
		return;
	}
	while (c->state == WS_CONNECTING &&
	    (m = curl_multi_info_read(c->cv.multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->data.result != CURLE_OK) {
			conn_fail(c, "%s", curlev_why(why, sizeof(why),
			    c->errbuf, m->data.result));
			return;
		}
		conn_connected(c);
	}
}

/*
 * Opening.
 */

/* ws://host[:port][/path] or wss://; no user, query or fragment. */
static int
url_parse(struct ws_conn *c, const char *s)
{
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		*path = NULL, *part = NULL, num[8];
	const char	*errstr;
	int		 ok = 0;

	if ((c->url = curl_url()) == NULL)
		fatal("%s: curl_url", __func__);
	if (curl_url_set(c->url, CURLUPART_URL, s,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(c->url, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(c->url, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(c->url, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto done;
	if (strcmp(scheme, "ws") == 0)
		c->tls = 0;
	else if (strcmp(scheme, "wss") == 0)
		c->tls = 1;
	else
		goto done;
	if (curl_url_get(c->url, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(c->url, CURLUPART_QUERY, &part, 0) !=
	    CURLUE_NO_QUERY ||
	    curl_url_get(c->url, CURLUPART_FRAGMENT, &part, 0) !=
	    CURLUE_NO_FRAGMENT)
		goto done;
	c->port = c->tls ? 443 : 80;
	if (curl_url_get(c->url, CURLUPART_PORT, &port, 0) == CURLUE_OK) {
		c->port = strtonum(port, 1, UINT16_MAX, &errstr);
		if (errstr != NULL)
			goto done;
	}
	if (strlcpy(c->host, host, sizeof(c->host)) >= sizeof(c->host) ||
	    strlcpy(c->path, path, sizeof(c->path)) >= sizeof(c->path))
		goto done;
	/* libcurl makes the connection as for http or https. */
	snprintf(num, sizeof(num), "%u", c->port);
	if (curl_url_set(c->url, CURLUPART_SCHEME, c->tls ? "https" : "http",
	    0) != CURLUE_OK ||
	    curl_url_set(c->url, CURLUPART_PORT, num, 0) != CURLUE_OK)
		goto done;
	ok = 1;
 done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(part);
	return ok ? 0 : -1;
}

/*
 * "host:port:addr,addr": libcurl never resolves the name itself.  An
 * address literal in the URL needs none, and is what libcurl uses.
 */
static int
resolve_entry(struct ws_conn *c, const struct sockaddr_storage *addrs,
    size_t naddrs)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 entry[WS_RESOLVE_MAX];
	char				 a[INET6_ADDRSTRLEN];
	size_t				 i;
	uint16_t			 port;

	if (c->host[0] == '[' || inet_pton(AF_INET, c->host, a) == 1)
		return 0;
	if (naddrs == 0 || naddrs > WS_ADDRS_MAX ||
	    strpbrk(c->host, ":,[]") != NULL)
		return -1;
	snprintf(entry, sizeof(entry), "%s:%u:", c->host, c->port);
	for (i = 0; i < naddrs; i++) {
		if (addrs[i].ss_family == AF_INET) {
			sin = (const struct sockaddr_in *)&addrs[i];
			port = ntohs(sin->sin_port);
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		} else if (addrs[i].ss_family == AF_INET6) {
			sin6 = (const struct sockaddr_in6 *)&addrs[i];
			port = ntohs(sin6->sin6_port);
			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		} else
			return -1;
		if (port != 0 && port != c->port)
			return -1;
		if (i > 0)
			strlcat(entry, ",", sizeof(entry));
		if (addrs[i].ss_family == AF_INET6)
			strlcat(entry, "[", sizeof(entry));
		strlcat(entry, a, sizeof(entry));
		if (addrs[i].ss_family == AF_INET6)
			strlcat(entry, "]", sizeof(entry));
	}
	if ((c->resolve = curl_slist_append(NULL, entry)) == NULL)
		fatal("%s", __func__);
	return 0;
}

static int
conn_setup(struct ws_conn *c, const char *url,
    const struct sockaddr_storage *addrs, size_t naddrs, int deadline_ms)
{
	struct curl_blob	 blob = { ws.ca, ws.calen, CURL_BLOB_NOCOPY };
	CURL			*e;
	int			 rc = 0;

	if (url_parse(c, url) == -1) {
		log_warnx("ws: bad URL %s", url);
		return -1;
	}
	if (resolve_entry(c, addrs, naddrs) == -1) {
		log_warnx("ws: bad addresses for %s", url);
		return -1;
	}
	curlev_init(&c->cv, ws.base, multi_action, c);
	if ((c->easy = e = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init", __func__);
	rc |= curl_easy_setopt(e, CURLOPT_CURLU, c->url);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	rc |= curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)deadline_ms);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)WS_READ_BUF);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	if (ws.ca != NULL) {
		/* Only the bundle read before the chroot; no file is opened. */
		rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (rc != CURLE_OK) {
		log_warnx("ws: cannot set up the connection to %s", url);
		return -1;
	}
	return 0;
}

struct ws_conn *
ws_conn_open(const char *url, const struct sockaddr_storage *addrs,
    size_t naddrs, int deadline_ms, const struct ws_conn_cb *cb, void *arg)
{
	struct ws_conn	*c;
	struct timeval	 tv;
	char		 req[WS_REQUEST_MAX];

	if (!ws.init)
		fatalx("%s: ws_init not called", __func__);
	if (deadline_ms <= 0 || cb == NULL || cb->closed == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	c->cb = *cb;
	c->arg = arg;
	TAILQ_INIT(&c->outq);
	ws_reader_init(&c->rd, WS_MSG_MAX);
	if ((c->deadline = evtimer_new(ws.base, ev_deadline, c)) == NULL ||
	    (c->later = evtimer_new(ws.base, ev_later, c)) == NULL)
		fatal("%s: evtimer_new", __func__);
	if (conn_setup(c, url, addrs, naddrs, deadline_ms) == -1)
		goto fail;
	ws_key_new(c->key, sizeof(c->key));
	if (ws_handshake_request(req, sizeof(req), c->host, c->port, c->tls,
	    c->path, c->key) == -1) {
		log_warnx("ws: no upgrade request can be made for %s", url);
		goto fail;
	}
	tv.tv_sec = deadline_ms / 1000;
	tv.tv_usec = (deadline_ms % 1000) * 1000;
	if (evtimer_add(c->deadline, &tv) == -1)
		fatal("%s: evtimer_add", __func__);
	if (curl_multi_add_handle(c->cv.multi, c->easy) != CURLM_OK) {
		log_warnx("%s: curl_multi_add_handle failed", __func__);
		goto fail;
	}
	log_debug("ws: connecting to %s", url);
	return c;
 fail:
	conn_destroy(c);
	return NULL;
}

/* TCP and TLS are up: send the upgrade, watch the socket ourselves. */
static void
conn_connected(struct ws_conn *c)
{
	char		 req[WS_REQUEST_MAX];
	curl_socket_t	 fd;
	socklen_t	 sl = sizeof(c->peer);
	int		 n;

	if (curl_easy_getinfo(c->easy, CURLINFO_ACTIVESOCKET, &fd) !=
	    CURLE_OK || fd == CURL_SOCKET_BAD) {
		conn_fail(c, "connected without a socket");
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&c->peer, &sl) == -1) {
		conn_fail(c, "getpeername: %s", strerror(errno));
		return;
	}
	c->state = WS_UPGRADING;
	if ((c->rev = event_new(ws.base, fd, EV_READ | EV_PERSIST, ev_read,
	    c)) == NULL ||
	    (c->wev = event_new(ws.base, fd, EV_WRITE | EV_PERSIST, ev_write,
	    c)) == NULL || event_add(c->rev, NULL) == -1)
		fatal("%s: event", __func__);
	n = ws_handshake_request(req, sizeof(req), c->host, c->port, c->tls,
	    c->path, c->key);
	if (n == -1)
		fatalx("%s: request checked at open", __func__);
	if (out_raw(c, req, n) == -1) {
		conn_fail(c, "cannot queue the upgrade request");
		return;
	}
	(void)out_flush(c);
}

/*
 * Reading.
 */

static void
ev_read(int fd, short ev, void *arg)
{
	struct ws_conn	*c = arg;
	CURLcode	 rc;
	char		 why[CURL_ERROR_SIZE];
	size_t		 n, want;
	int		 i;

	(void)fd;
	(void)ev;
	for (i = 0; i < WS_READS_MAX; i++) {
		if (c->state == WS_UPGRADING)
			want = sizeof(c->head) - c->headlen;
		else
			want = sizeof(ws.rbuf);
		c->errbuf[0] = '\0';
		rc = curl_easy_recv(c->easy, c->state == WS_UPGRADING ?
		    c->head + c->headlen : ws.rbuf, want, &n);
		if (rc == CURLE_AGAIN)
			return;
		if (rc != CURLE_OK) {
			conn_fail(c, "receive: %s", curlev_why(why, sizeof(why),
			    c->errbuf, rc));
			return;
		}
		if (n == 0) {
			conn_fail(c, "connection closed by the server");
			return;
		}
		if (c->state == WS_UPGRADING) {
			c->headlen += n;
			if (conn_upgrade(c) == -1)
				return;
		} else if (conn_frames(c, ws.rbuf, n) == -1)
			return;
		if (c->state != WS_OPEN && c->state != WS_UPGRADING)
			return;
	}
	/* More may wait, in the socket or in TLS: come back later. */
	event_active(c->rev, EV_READ, 0);
}

/* More of the response head; frames may follow it. */
static int
conn_upgrade(struct ws_conn *c)
{
	const char	*why;
	size_t		 used, sl;
	int		 e;

	e = ws_handshake_response(c->head, c->headlen, c->key, &used, &why);
	if (e == 0)
		return 0;
	if (e == -1) {
		/* The status line says most; the head is not a string. */
		for (sl = 0; sl < c->headlen && sl < 80; sl++)
			if (c->head[sl] == '\r' || c->head[sl] == '\n')
				break;
		conn_fail(c, "upgrade refused: %s (%.*s)", why, (int)sl,
		    (const char *)c->head);
		return -1;
	}
	evtimer_del(c->deadline);
	c->state = WS_OPEN;
	log_debug("ws: open to %s port %u", c->host, c->port);
	if (c->cb.open != NULL) {
		c->in_cb = 1;
		c->cb.open(c->arg);
		c->in_cb = 0;
		if (c->freed || c->state != WS_OPEN)
			return -1;
	}
	if (used < c->headlen)
		return conn_frames(c, c->head + used, c->headlen - used);
	return 0;
}

static int
conn_frames(struct ws_conn *c, const uint8_t *p, size_t n)
{
	int	e;

	e = ws_reader_feed(&c->rd, p, n, frame_cb, c);
	if (e == WS_READER_OK)
		return 0;
	if (e == WS_READER_STOPPED)
		return -1;	/* the callback has seen to it */
	conn_close_frame(c, e == WS_READER_TOOBIG ? WS_CLOSE_TOOBIG :
	    WS_CLOSE_PROTOCOL, NULL, 0);
	conn_fail(c, "%s", ws_reader_strerror(e));
	return -1;
}

static int
frame_cb(void *arg, int op, const uint8_t *p, size_t len)
{
	struct ws_conn	*c = arg;
	uint16_t	 code;

	switch (op) {
	case WS_BINARY:
		c->stats.rx_msgs++;
		c->stats.rx_bytes += len;
		if (c->cb.message == NULL)
			return 0;
		c->in_cb = 1;
		c->cb.message(c->arg, p, len);
		c->in_cb = 0;
		return c->freed || c->state != WS_OPEN;
	case WS_PING:
		(void)out_frame(c, WS_PONG, p, len);
		return out_flush(c) == -1;
	case WS_PONG:
		return 0;
	case WS_CLOSE:
		conn_close_frame(c, WS_CLOSE_NORMAL, p, MINIMUM(len, 2));
		if (len >= 2) {
			code = p[0] << 8 | p[1];
			conn_fail(c, "closed by the server (%u%s%.*s)", code,
			    len > 2 ? " " : "", (int)MINIMUM(len - 2, 64),
			    (const char *)p + 2);
		} else
			conn_fail(c, "closed by the server");
		return 1;
	case WS_TEXT:
		conn_close_frame(c, WS_CLOSE_UNSUPPORTED, NULL, 0);
		conn_fail(c, "a text message from the server");
		return 1;
	}
	fatalx("%s: opcode %d", __func__, op);
}

/*
 * Writing.  Frames are encoded straight into the last chunk of the
 * queue; chunks go out in order and are never moved while queued.
 */

static uint8_t *
out_room(struct ws_conn *c, size_t len)
{
	struct ws_chunk	*k;

	if (len > WS_CHUNK)
		fatalx("%s: %zu bytes", __func__, len);
	k = TAILQ_LAST(&c->outq, ws_chunks);
	if (k == NULL || WS_CHUNK - k->len < len) {
		if ((k = malloc(sizeof(*k))) == NULL)
			return NULL;
		k->off = k->len = 0;
		TAILQ_INSERT_TAIL(&c->outq, k, entry);
	}
	return k->data + k->len;
}

static int
out_raw(struct ws_conn *c, const void *p, size_t len)
{
	struct ws_chunk	*k;
	uint8_t		*dst;

	if ((dst = out_room(c, len)) == NULL)
		return -1;
	memcpy(dst, p, len);
	k = TAILQ_LAST(&c->outq, ws_chunks);
	k->len += len;
	c->outbytes += len;
	return 0;
}

static int
out_frame(struct ws_conn *c, int op, const uint8_t *p, size_t len)
{
	struct ws_chunk	*k;
	uint8_t		*dst;
	size_t		 n;

	if (c->outbytes + WS_FRAME_HDR_MAX + len > WS_QUEUE_MAX)
		return -1;
	if ((dst = out_room(c, WS_FRAME_HDR_MAX + len)) == NULL)
		return -1;
	n = ws_frame_encode(dst, WS_FRAME_HDR_MAX + len, op, p, len);
	if (n == 0)
		fatalx("%s: cannot encode %zu bytes", __func__, len);
	k = TAILQ_LAST(&c->outq, ws_chunks);
	k->len += n;
	c->outbytes += n;
	return 0;
}

/* Our Close frame, once, and only on a connection that is open. */
static void
conn_close_frame(struct ws_conn *c, int code, const uint8_t *echo,
    size_t echolen)
{
	uint8_t	p[2];

	if (c->close_sent || c->state != WS_OPEN)
		return;
	c->close_sent = 1;
	if (echolen == 2)
		memcpy(p, echo, 2);
	else {
		p[0] = code >> 8;
		p[1] = code;
	}
	if (out_frame(c, WS_CLOSE, p, sizeof(p)) == 0)
		(void)out_flush(c);
}

/* As much of the queue as the socket takes; -1 when the connection failed. */
static int
out_flush(struct ws_conn *c)
{
	struct ws_chunk	*k;
	CURLcode	 rc;
	char		 why[CURL_ERROR_SIZE];
	size_t		 len, n;

	c->flush_soon = 0;	/* this is it */
	while ((k = TAILQ_FIRST(&c->outq)) != NULL) {
		len = c->again != 0 ? c->again : k->len - k->off;
		if (len == 0) {
			TAILQ_REMOVE(&c->outq, k, entry);
			free(k);
			continue;
		}
		c->errbuf[0] = '\0';
		rc = curl_easy_send(c->easy, k->data + k->off, len, &n);
		if (rc == CURLE_AGAIN) {
			c->again = len;
			if (event_add(c->wev, NULL) == -1)
				fatal("%s: event_add", __func__);
			return 0;
		}
		if (rc != CURLE_OK) {
			conn_fail(c, "send: %s", curlev_why(why, sizeof(why),
			    c->errbuf, rc));
			return -1;
		}
		c->again = 0;
		k->off += n;
		c->outbytes -= n;
		if (k->off < k->len)
			continue;
		if (TAILQ_NEXT(k, entry) == NULL) {
			k->off = k->len = 0;	/* keep the last one */
			break;
		}
		TAILQ_REMOVE(&c->outq, k, entry);
		free(k);
	}
	event_del(c->wev);
	return 0;
}

static void
ev_write(int fd, short ev, void *arg)
{
	struct ws_conn	*c = arg;

	(void)fd;
	(void)ev;
	(void)out_flush(c);
}

int
ws_conn_send(struct ws_conn *c, const uint8_t *p, size_t len)
{
	if (c->state != WS_OPEN || c->close_sent || c->freed ||
	    len > WS_MSG_MAX || out_frame(c, WS_BINARY, p, len) == -1) {
		c->stats.tx_drops++;
		return -1;
	}
	c->stats.tx_msgs++;
	c->stats.tx_bytes += len;
	/*
	 * Out once the current events are handled, so that messages sent
	 * in one go leave in one write (one TLS record where they fit);
	 * at once when a chunk is full.
	 */
	if (c->again != 0)
		return 0;
	if (c->outbytes >= WS_CHUNK)
		(void)out_flush(c);
	else if (!c->flush_soon) {
		c->flush_soon = 1;
		event_active(c->wev, EV_WRITE, 0);
	}
	return 0;
}

/*
 * Closing.
 */

static void
ev_deadline(int fd, short ev, void *arg)
{
	struct ws_conn	*c = arg;

	(void)fd;
	(void)ev;
	conn_fail(c, "%s", c->state == WS_CONNECTING ?
	    "timed out connecting" : "timed out waiting for the upgrade");
}

/*
 * The first failure wins: the connection stops, and the closed
 * callback comes from the zero timer.
 */
static void
conn_fail(struct ws_conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	if (c->state == WS_DEAD)
		return;
	c->state = WS_DEAD;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	/* Server text goes into the reason: keep it to one clean line. */
	for (p = c->reason; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			*p = '?';
	conn_detach(c);
	event_active(c->later, EV_TIMEOUT, 0);
}

/* No more events: our socket events first, then libcurl's. */
static void
conn_detach(struct ws_conn *c)
{
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	c->rev = c->wev = NULL;
	evtimer_del(c->deadline);
	if (c->cv.multi != NULL && c->easy != NULL)
		curl_multi_remove_handle(c->cv.multi, c->easy);
	if (c->cv.timer != NULL)
		evtimer_del(c->cv.timer);
}

static void
ev_later(int fd, short ev, void *arg)
{
	struct ws_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (!c->freed && c->state == WS_DEAD && !c->closed_done) {
		c->closed_done = 1;
		c->in_cb = 1;
		c->cb.closed(c->arg, c->reason);
		c->in_cb = 0;
	}
	if (c->freed)
		conn_destroy(c);
}

void
ws_conn_free(struct ws_conn *c)
{
	if (c == NULL || c->freed)
		return;
	if (c->state == WS_OPEN)
		conn_close_frame(c, WS_CLOSE_NORMAL, NULL, 0);
	c->freed = 1;
	if (c->state != WS_DEAD) {
		c->state = WS_DEAD;
		conn_detach(c);
	}
	if (c->in_cb)
		event_active(c->later, EV_TIMEOUT, 0);
	else
		conn_destroy(c);
}

static void
conn_destroy(struct ws_conn *c)
{
	struct ws_chunk	*k;

	conn_detach(c);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	curlev_clear(&c->cv);
	event_free(c->deadline);
	event_free(c->later);
	curl_url_cleanup(c->url);
	curl_slist_free_all(c->resolve);
	ws_reader_clear(&c->rd);
	while ((k = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, k, entry);
		free(k);
	}
	free(c);
}

int
ws_conn_peer(const struct ws_conn *c, struct sockaddr_storage *ss)
{
	if (c->state != WS_OPEN)
		return -1;
	memcpy(ss, &c->peer, sizeof(*ss));
	return 0;
}

void
ws_conn_stats(const struct ws_conn *c, struct ws_stats *st)
{
	*st = c->stats;
}
