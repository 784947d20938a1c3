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
 * gRPC over HTTP/2: libcurl's multi interface, driven by libevent through
 * CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION.  All calls to one
 * https server share a single HTTP/2 connection (multiplexing, PIPEWAIT).
 * libcurl may not be re-entered from its own callbacks, so a cancel from
 * inside one is finished later from a libevent callback.
 *
 * libcurl before 8.0.0 (Debian 12 has 7.88.1) breaks an h2c connection
 * it reuses ("Error in the HTTP2 framing layer": it stacks a second
 * HTTP/2 layer on the connection, curl issue 10634), so with those
 * versions every http:// call gets a connection of its own.
 *
 * libcurl before 8.0.0 also loses a response that is complete before the
 * request body went out (a server refusing an unknown method at once,
 * then resetting the stream): such a call ends Unavailable, "Stream error
 * in the HTTP/2 framing layer", instead of with the server's status.
 *
 * libcurl before 8.0.0 also stalls a stream when one read from the
 * socket (32 KiB) holds more DATA than the transfer's receive buffer
 * (16 KiB by default): it pauses nghttp2 and marks the transfer to be
 * drained, but under the multi socket interface nothing runs it again
 * until some other event or timer comes, and with a quiet stream none
 * does.  A receive buffer larger than that read avoids the pause.
 *
 * HTTP/2 PING keepalive is not available: curl_easy_upkeep() in 7.88
 * only serves handles run by curl_easy_perform(), not an application's
 * multi handle.  TCP keepalive (30 s idle, 3 probes 10 s apart) finds a
 * dead peer instead, and libcurl answers the servers' PINGs.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event.h>

#include "log.h"
#include "curlev.h"
#include "grpc.h"

#define GRPC_CONNECT_TIMEOUT_MS	30000
#define GRPC_MAX_HEADERS	64
#define GRPC_MAX_HEADER_BYTES	(16 * 1024)
#define GRPC_KEEPIDLE_S		30	/* as the Go client's HTTP/2 PING */
#define GRPC_KEEPINTVL_S	10
#define GRPC_KEEPCNT		3
#define GRPC_USER_AGENT		"netbirdd-grpc/1"
#define GRPC_READ_SHRINK	(256 * 1024)
#define GRPC_HEADERS_MS		15000	/* GRPC_BIDI: see ev_watch */
#define GRPC_RECV_BUFFER	(64 * 1024)	/* see the note above */

struct grpc_hdr {
	char		*name;
	char		*value;
};

TAILQ_HEAD(grpc_calls, grpc_call);

static const struct timeval zero_tv = { 0, 0 };

struct grpc_call {
	TAILQ_ENTRY(grpc_call)	 entry;
	struct grpc_calls	*list;		/* grpc.calls or grpc.dead */
	CURL			*easy;
	CURLU			*url;
	struct curl_slist	*hdrs;
	struct curl_slist	*resolve;	/* libcurl may read it late */
	enum grpc_call_kind	 kind;

	uint8_t			*out;		/* framed bytes to send */
	size_t			 outlen;
	size_t			 outoff;
	int			 out_paused;
	struct event		*watch;		/* GRPC_BIDI: see ev_watch */

	struct grpc_frame_reader fr;
	size_t			 nmsg;

	struct grpc_hdr		 hdr[GRPC_MAX_HEADERS];
	size_t			 nhdr;
	size_t			 hdrbytes;
	long			 http_status;
	int			 headers_done;
	int			 content_ok;

	int			 have_status;
	int			 status;
	char			 message[GRPC_MAX_MESSAGE_TEXT];

	int			 lerr;		/* local failure, gRPC code */
	char			 lmsg[GRPC_MAX_MESSAGE_TEXT];
	char			 errbuf[CURL_ERROR_SIZE];

	int			 cancelled;
	int			 done;

	void			(*on_headers)(struct grpc_call *, void *);
	void			(*on_message)(struct grpc_call *,
				    const uint8_t *, size_t, void *);
	void			(*on_done)(struct grpc_call *, int,
				    const char *, void *);
	void			*arg;
};

static struct {
	struct event_base	*base;
	struct curlev		 cv;
	struct event		*reap;
	uint8_t			*ca;
	size_t			 calen;
	struct curl_slist	*resolve;
	struct grpc_calls	 calls;
	struct grpc_calls	 dead;
	int			 h2c_reuse;
} grpc;

static int	 frame_grow(struct grpc_frame_reader *, size_t);
static int	 frame_header(struct grpc_frame_reader *);
static void	 ev_reap(int, short, void *);
static void	 multi_action(void *, CURLMcode);
static void	 multi_done(void);
static void	 call_finish(struct grpc_call *, CURLcode);
static void	 call_status(struct grpc_call *, CURLcode, int *,
		    const char **);
static void	 call_move(struct grpc_call *, struct grpc_calls *);
static void	 call_free(struct grpc_call *);
static void	 call_fail(struct grpc_call *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	 call_setup(struct grpc_call *,
		    const struct grpc_call_params *);
static int	 call_transport(CURL *, int);
static int	 call_body(struct grpc_call *,
		    const struct grpc_call_params *);
static int	 call_headers(struct grpc_call *,
		    const struct grpc_call_params *);
static int	 url_check(CURLU *, int *);
static size_t	 hdr_cb(char *, size_t, size_t, void *);
static void	 hdr_line(struct grpc_call *, char *, size_t);
static void	 hdr_field(struct grpc_call *, const char *, size_t,
		    const char *, size_t);
static void	 hdr_end(struct grpc_call *);
static size_t	 write_cb(char *, size_t, size_t, void *);
static int	 deliver(void *, const uint8_t *, size_t);
static size_t	 read_cb(char *, size_t, size_t, void *);
static void	 call_resume(struct grpc_call *);
static void	 ev_watch(int, short, void *);
static int	 sockopt_cb(void *, curl_socket_t, curlsocktype);
static int	 http_to_grpc(long);
static int	 hexval(int);

/*
 * Frame reader.
 */

void
grpc_frame_init(struct grpc_frame_reader *fr, size_t max)
{
	memset(fr, 0, sizeof(*fr));
	fr->max = max;
}

void
grpc_frame_clear(struct grpc_frame_reader *fr)
{
	free(fr->buf);
	grpc_frame_init(fr, fr->max);
}

int
grpc_frame_partial(const struct grpc_frame_reader *fr)
{
	return fr->hdrlen != 0;
}

const char *
grpc_frame_strerror(int e)
{
	switch (e) {
	case GRPC_FRAME_OK:
		return "no error";
	case GRPC_FRAME_COMPRESSED:
		return "compressed message without negotiated encoding";
	case GRPC_FRAME_BADFLAG:
		return "invalid message flag";
	case GRPC_FRAME_TOOBIG:
		return "message larger than the maximum";
	case GRPC_FRAME_NOMEM:
		return "out of memory";
	case GRPC_FRAME_STOPPED:
		return "stopped";
	}
	return "unknown error";
}

/* The 5-byte prefix is complete: check it and take the length. */
static int
frame_header(struct grpc_frame_reader *fr)
{
	uint32_t	len;

	if (fr->hdr[0] == 1)
		return GRPC_FRAME_COMPRESSED;
	if (fr->hdr[0] != 0)
		return GRPC_FRAME_BADFLAG;
	len = (uint32_t)fr->hdr[1] << 24 | (uint32_t)fr->hdr[2] << 16 |
	    (uint32_t)fr->hdr[3] << 8 | (uint32_t)fr->hdr[4];
	if (len > fr->max)
		return GRPC_FRAME_TOOBIG;
	fr->msglen = len;
	fr->got = 0;
	return GRPC_FRAME_OK;
}

/* Room for need bytes of the current message, grown as data arrives. */
static int
frame_grow(struct grpc_frame_reader *fr, size_t need)
{
	size_t	 size;
	uint8_t	*p;

	if (need <= fr->bufsize)
		return GRPC_FRAME_OK;
	size = fr->bufsize < 4096 ? 4096 : fr->bufsize;
	while (size < need)
		size = size > SIZE_MAX / 2 ? need : size * 2;
	if (size > fr->msglen)
		size = fr->msglen;
	if ((p = realloc(fr->buf, size)) == NULL)
		return GRPC_FRAME_NOMEM;
	fr->buf = p;
	fr->bufsize = size;
	return GRPC_FRAME_OK;
}

int
grpc_frame_feed(struct grpc_frame_reader *fr, const void *data, size_t len,
    grpc_frame_cb cb, void *arg)
{
	const uint8_t	*p = data;
	size_t		 n;
	int		 e;

	if (fr->error)
		return fr->error;
	while (len > 0) {
		if (fr->hdrlen < GRPC_FRAME_HDRLEN) {
			n = MINIMUM(len, GRPC_FRAME_HDRLEN - fr->hdrlen);
			memcpy(fr->hdr + fr->hdrlen, p, n);
			fr->hdrlen += n;
			p += n;
			len -= n;
			if (fr->hdrlen < GRPC_FRAME_HDRLEN)
				break;
			if ((e = frame_header(fr)) != GRPC_FRAME_OK)
				return fr->error = e;
		}
		if (fr->got == 0 && len >= fr->msglen) {
			/* Whole message in this chunk: no copy. */
			n = fr->msglen;
			fr->hdrlen = 0;
			if (cb(arg, p, n) != 0)
				return fr->error = GRPC_FRAME_STOPPED;
			p += n;
			len -= n;
			continue;
		}
		if (len == 0)
			break;
		n = MINIMUM(len, fr->msglen - fr->got);
		if ((e = frame_grow(fr, fr->got + n)) != GRPC_FRAME_OK)
			return fr->error = e;
		memcpy(fr->buf + fr->got, p, n);
		fr->got += n;
		p += n;
		len -= n;
		if (fr->got < fr->msglen)
			break;
		fr->hdrlen = 0;
		fr->got = 0;
		if (cb(arg, fr->buf, fr->msglen) != 0)
			return fr->error = GRPC_FRAME_STOPPED;
		if (fr->bufsize > GRPC_READ_SHRINK) {
			free(fr->buf);
			fr->buf = NULL;
			fr->bufsize = 0;
		}
	}
	return GRPC_FRAME_OK;
}

uint8_t *
grpc_frame_encode(const void *msg, size_t len, size_t *outlen)
{
	uint8_t	*p;

	if (len > UINT32_MAX || len > SIZE_MAX - GRPC_FRAME_HDRLEN)
		return NULL;
	if ((p = malloc(len + GRPC_FRAME_HDRLEN)) == NULL)
		return NULL;
	p[0] = 0;
	p[1] = len >> 24;
	p[2] = len >> 16;
	p[3] = len >> 8;
	p[4] = len;
	if (len > 0)
		memcpy(p + GRPC_FRAME_HDRLEN, msg, len);
	*outlen = len + GRPC_FRAME_HDRLEN;
	return p;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode len bytes of s into dst (always NUL-terminated).  A '%'
 * not followed by two hex digits is kept as it is; NUL and other control
 * bytes become '?' so the result can be logged.
 */
void
grpc_percent_decode(const char *s, size_t len, char *dst, size_t dstsize)
{
	size_t	i, o = 0;
	int	c, hi, lo;

	if (dstsize == 0)
		return;
	for (i = 0; i < len && o + 1 < dstsize; i++) {
		c = (unsigned char)s[i];
		if (c == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			c = '?';
		dst[o++] = c;
	}
	dst[o] = '\0';
}

const char *
grpc_code_name(int code)
{
	static const char *names[] = {
		"OK", "Canceled", "Unknown", "InvalidArgument",
		"DeadlineExceeded", "NotFound", "AlreadyExists",
		"PermissionDenied", "ResourceExhausted", "FailedPrecondition",
		"Aborted", "OutOfRange", "Unimplemented", "Internal",
		"Unavailable", "DataLoss", "Unauthenticated"
	};

	if (code < 0 || (size_t)code >= nitems(names))
		return "Unknown";
	return names[code];
}

/*
 * Module set-up.
 */

int
grpc_init(struct event_base *base, const void *ca, size_t calen)
{
	if (grpc.cv.multi != NULL)
		fatalx("%s: called twice", __func__);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("%s: curl_global_init failed", __func__);
		return -1;
	}
	grpc.base = base;
	TAILQ_INIT(&grpc.calls);
	TAILQ_INIT(&grpc.dead);
	curlev_init(&grpc.cv, base, multi_action, NULL);
	if ((grpc.reap = event_new(base, -1, 0, ev_reap, NULL)) == NULL)
		fatal("%s: event_new", __func__);
	curl_multi_setopt(grpc.cv.multi, CURLMOPT_PIPELINING,
	    CURLPIPE_MULTIPLEX);
	grpc.h2c_reuse = curl_version_info(CURLVERSION_NOW)->version_num >=
	    0x080000;
	if (ca != NULL && calen > 0) {
		if ((grpc.ca = malloc(calen)) == NULL)
			fatal("%s", __func__);
		memcpy(grpc.ca, ca, calen);
		grpc.calen = calen;
	}
	return 0;
}

void
grpc_shutdown(void)
{
	struct grpc_call	*c;

	if (grpc.cv.multi == NULL)
		return;
	while ((c = TAILQ_FIRST(&grpc.calls)) != NULL)
		call_free(c);
	while ((c = TAILQ_FIRST(&grpc.dead)) != NULL)
		call_free(c);
	curlev_clear(&grpc.cv);
	event_free(grpc.reap);
	curl_slist_free_all(grpc.resolve);
	free(grpc.ca);
	memset(&grpc, 0, sizeof(grpc));
	curl_global_cleanup();
}

/*
 * Addresses for host:port, replacing earlier ones.  They become libcurl
 * CURLOPT_RESOLVE entries, so libcurl never resolves a name itself.  New
 * connections use the new addresses; an open connection stays.
 */
int
grpc_set_resolve(const char *host, uint16_t port, const char *const *addrs,
    size_t naddrs)
{
	struct curl_slist	*l, *n = NULL, *tmp;
	struct in6_addr		 a6;
	char			 entry[1024], prefix[300];
	size_t			 i;
	int			 len;

	if (naddrs == 0 || naddrs > GRPC_MAX_ADDRS || *host == '\0' ||
	    strpbrk(host, ":,[] ") != NULL ||
	    strlen(host) >= sizeof(prefix) - 8) {
		log_warnx("%s: bad entry for \"%s\"", __func__, host);
		return -1;
	}
	len = snprintf(prefix, sizeof(prefix), "%s:%u:", host, port);
	strlcpy(entry, prefix, sizeof(entry));
	for (i = 0; i < naddrs; i++) {
		if (i > 0)
			strlcat(entry, ",", sizeof(entry));
		if (inet_pton(AF_INET, addrs[i], &a6) == 1)
			strlcat(entry, addrs[i], sizeof(entry));
		else if (inet_pton(AF_INET6, addrs[i], &a6) == 1) {
			strlcat(entry, "[", sizeof(entry));
			strlcat(entry, addrs[i], sizeof(entry));
			strlcat(entry, "]", sizeof(entry));
		} else {
			log_warnx("%s: bad address \"%s\"", __func__,
			    addrs[i]);
			return -1;
		}
	}
	for (l = grpc.resolve; l != NULL; l = l->next) {
		if (strncasecmp(l->data, prefix, len) == 0)
			continue;
		if ((tmp = curl_slist_append(n, l->data)) == NULL)
			goto nomem;
		n = tmp;
	}
	if ((tmp = curl_slist_append(n, entry)) == NULL)
		goto nomem;
	curl_slist_free_all(grpc.resolve);
	grpc.resolve = tmp;
	return 0;
 nomem:
	curl_slist_free_all(n);
	log_warn("%s", __func__);
	return -1;
}

/* The entries, for another libcurl user of the same process (metrics). */
struct curl_slist *
grpc_resolve_list(void)
{
	return grpc.resolve;
}

/* After libcurl has run: finished calls, then the ones to free. */
static void
multi_action(void *arg, CURLMcode rc)
{
	(void)arg;
	if (rc != CURLM_OK)
		log_warnx("%s: %s", __func__, curl_multi_strerror(rc));
	multi_done();
	if (!TAILQ_EMPTY(&grpc.dead))
		event_active(grpc.reap, 0, 0);
}

/* Calls cancelled from inside a libcurl callback are freed here. */
static void
ev_reap(int fd, short ev, void *arg)
{
	struct grpc_call	*c;

	(void)fd;
	(void)ev;
	(void)arg;
	while ((c = TAILQ_FIRST(&grpc.dead)) != NULL)
		call_free(c);
}

static void
multi_done(void)
{
	CURLMsg			*m;
	struct grpc_call	*c;
	char			*p;
	int			 left;

	while ((m = curl_multi_info_read(grpc.cv.multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    &p) != CURLE_OK || p == NULL)
			fatalx("%s: transfer without a call", __func__);
		c = (struct grpc_call *)(void *)p;
		call_finish(c, m->data.result);
	}
}

/*
 * The status of a finished call, in the order gRPC gives them weight:
 * our own verdict, the server's grpc-status, the transport, HTTP.
 */
static void
call_status(struct grpc_call *c, CURLcode res, int *code, const char **msg)
{
	if (c->lerr) {
		*code = c->lerr;
		*msg = c->lmsg;
		return;
	}
	if (c->have_status) {
		*code = c->status;
		*msg = c->message;
		if (c->status == GRPC_OK && grpc_frame_partial(&c->fr)) {
			*code = GRPC_INTERNAL;
			*msg = "stream ended inside a message";
		} else if (c->status == GRPC_OK && c->kind == GRPC_UNARY &&
		    c->nmsg != 1) {
			*code = GRPC_INTERNAL;
			*msg = "unary call without a response message";
		}
		return;
	}
	if (res == CURLE_OPERATION_TIMEDOUT) {
		*code = GRPC_DEADLINE_EXCEEDED;
		*msg = "deadline exceeded";
		return;
	}
	if (res != CURLE_OK) {
		*code = GRPC_UNAVAILABLE;
		*msg = curlev_why(c->lmsg, sizeof(c->lmsg), c->errbuf, res);
		return;
	}
	if (c->http_status != 200) {
		*code = http_to_grpc(c->http_status);
		snprintf(c->lmsg, sizeof(c->lmsg), "HTTP status %ld",
		    c->http_status);
		*msg = c->lmsg;
		return;
	}
	*code = GRPC_UNKNOWN;
	*msg = "stream ended without grpc-status";
}

static void
call_finish(struct grpc_call *c, CURLcode res)
{
	const char	*msg;
	int		 code;

	curl_multi_remove_handle(grpc.cv.multi, c->easy);
	call_move(c, &grpc.dead);
	if (c->cancelled)
		return;
	c->done = 1;
	call_status(c, res, &code, &msg);
	if (c->on_done != NULL)
		c->on_done(c, code, msg, c->arg);
}

static void
call_move(struct grpc_call *c, struct grpc_calls *list)
{
	if (c->list == list)
		return;
	if (c->list != NULL)
		TAILQ_REMOVE(c->list, c, entry);
	TAILQ_INSERT_TAIL(list, c, entry);
	c->list = list;
}

/* Never from inside a libcurl callback. */
static void
call_free(struct grpc_call *c)
{
	size_t	i;

	if (c->easy != NULL) {
		curl_multi_remove_handle(grpc.cv.multi, c->easy);
		curl_easy_cleanup(c->easy);
	}
	TAILQ_REMOVE(c->list, c, entry);
	curl_url_cleanup(c->url);
	curl_slist_free_all(c->hdrs);
	curl_slist_free_all(c->resolve);
	if (c->watch != NULL)
		event_free(c->watch);
	free(c->out);
	grpc_frame_clear(&c->fr);
	for (i = 0; i < c->nhdr; i++) {
		free(c->hdr[i].name);
		free(c->hdr[i].value);
	}
	free(c);
}

/* A local verdict; the transfer is stopped by the caller's return 0. */
static void
call_fail(struct grpc_call *c, int code, const char *fmt, ...)
{
	va_list	ap;

	if (c->lerr)
		return;
	c->lerr = code;
	va_start(ap, fmt);
	vsnprintf(c->lmsg, sizeof(c->lmsg), fmt, ap);
	va_end(ap);
}

void
grpc_call_cancel(struct grpc_call *c)
{
	if (c == NULL || c->cancelled || c->done)
		return;
	c->cancelled = 1;
	if (grpc.cv.in_curl) {
		/* Still in the multi: the libcurl callbacks stop it. */
		call_move(c, &grpc.dead);
		event_active(grpc.reap, 0, 0);
		return;
	}
	call_free(c);
}

const char *
grpc_call_header(struct grpc_call *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nhdr; i++)
		if (strcasecmp(c->hdr[i].name, name) == 0)
			return c->hdr[i].value;
	return NULL;
}

/*
 * Starting a call.
 */

/* Only http and https, and only hosts libcurl need not resolve. */
static int
url_check(CURLU *u, int *tls)
{
	struct curl_slist	*l;
	struct in6_addr		 a;
	char			*scheme = NULL, *host = NULL, *port = NULL;
	char			 prefix[300], lit[INET6_ADDRSTRLEN + 2];
	size_t			 hl;
	int			 ok = 0;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto done;
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		log_warnx("grpc: scheme %s not supported", scheme);
		goto done;
	}
	*tls = strcmp(scheme, "https") == 0;
	if (*tls && grpc.ca == NULL) {
		log_warnx("grpc: https without a CA bundle");
		goto done;
	}
	hl = strlen(host);
	if (host[0] == '[' && hl > 2 && hl < sizeof(lit)) {
		memcpy(lit, host + 1, hl - 2);
		lit[hl - 2] = '\0';
		ok = inet_pton(AF_INET6, lit, &a) == 1;
	} else
		ok = inet_pton(AF_INET, host, &a) == 1;
	if (ok)
		goto done;
	snprintf(prefix, sizeof(prefix), "%s:%s:", host, port);
	for (l = grpc.resolve; l != NULL && !ok; l = l->next)
		ok = strncasecmp(l->data, prefix, strlen(prefix)) == 0;
	if (!ok)
		log_warnx("grpc: no addresses for %s port %s", host, port);
 done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return ok ? 0 : -1;
}

static int
call_headers(struct grpc_call *c, const struct grpc_call_params *p)
{
	static const char *fixed[] = {
		"content-type: application/grpc",
		"te: trailers",
		"grpc-accept-encoding: identity",
		"Expect:",
		"Accept:"
	};
	struct curl_slist	*tmp;
	char			 line[1024];
	size_t			 i;

	for (i = 0; i < nitems(fixed); i++) {
		if ((tmp = curl_slist_append(c->hdrs, fixed[i])) == NULL)
			return -1;
		c->hdrs = tmp;
	}
	if (p->timeout_ms > 0) {
		snprintf(line, sizeof(line), "grpc-timeout: %dm",
		    p->timeout_ms);
		if ((tmp = curl_slist_append(c->hdrs, line)) == NULL)
			return -1;
		c->hdrs = tmp;
	}
	for (i = 0; i < p->nmd; i++) {
		if (strpbrk(p->md[i].name, ": \r\n") != NULL ||
		    strpbrk(p->md[i].value, "\r\n") != NULL ||
		    (size_t)snprintf(line, sizeof(line), "%s: %s",
		    p->md[i].name, p->md[i].value) >= sizeof(line)) {
			log_warnx("grpc: bad metadata \"%s\"", p->md[i].name);
			return -1;
		}
		if ((tmp = curl_slist_append(c->hdrs, line)) == NULL)
			return -1;
		c->hdrs = tmp;
	}
	return 0;
}

/* Connection, TLS and transport options, the same for every call. */
static int
call_transport(CURL *e, int reuse)
{
	struct curl_blob	blob = { grpc.ca, grpc.calen, CURL_BLOB_NOCOPY };
	int			rc = 0;

	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	rc |= curl_easy_setopt(e, CURLOPT_PIPEWAIT, (long)reuse);
	rc |= curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, (long)!reuse);
	rc |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, (long)!reuse);
	/* Only the bundle read before the chroot; no file is opened. */
	rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	if (grpc.ca != NULL)
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, GRPC_USER_AGENT);
	rc |= curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)GRPC_RECV_BUFFER);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)GRPC_CONNECT_TIMEOUT_MS);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, (long)GRPC_KEEPIDLE_S);
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL,
	    (long)GRPC_KEEPINTVL_S);
	rc |= curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	return rc;
}

/* The request body: one framed message, or a paused upload for BIDI. */
static int
call_body(struct grpc_call *c, const struct grpc_call_params *p)
{
	CURL	*e = c->easy;
	int	 rc = 0;

	rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
	if (p->kind == GRPC_BIDI) {
		rc |= curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
		rc |= curl_easy_setopt(e, CURLOPT_READDATA, c);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)-1);
		return rc;
	}
	if ((c->out = grpc_frame_encode(p->msg, p->msglen, &c->outlen)) ==
	    NULL) {
		log_warnx("grpc: cannot frame the request");
		return -1;
	}
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)c->outlen);
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->out);
	return rc;
}

static int
call_setup(struct grpc_call *c, const struct grpc_call_params *p)
{
	struct curl_slist	*l, *tmp;
	CURL			*e = c->easy;
	int			 rc = 0, tls;

	if ((c->url = curl_url()) == NULL ||
	    curl_url_set(c->url, CURLUPART_URL, p->url, 0) != CURLUE_OK ||
	    curl_url_set(c->url, CURLUPART_PATH, p->path, 0) != CURLUE_OK) {
		log_warnx("grpc: bad URL %s%s", p->url, p->path);
		return -1;
	}
	if (url_check(c->url, &tls) == -1 || call_headers(c, p) == -1)
		return -1;
	for (l = grpc.resolve; l != NULL; l = l->next) {
		if ((tmp = curl_slist_append(c->resolve, l->data)) == NULL)
			return -1;
		c->resolve = tmp;
	}
	rc |= call_transport(e, tls || grpc.h2c_reuse);
	rc |= curl_easy_setopt(e, CURLOPT_CURLU, c->url);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, hdr_cb);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	if (rc != CURLE_OK || call_body(c, p) != CURLE_OK) {
		log_warnx("grpc: cannot set up the call to %s%s", p->url,
		    p->path);
		return -1;
	}
	return 0;
}

struct grpc_call *
grpc_call_start(const struct grpc_call_params *p)
{
	struct grpc_call	*c;
	struct timeval		 tv;
	int			 ms;

	if (grpc.cv.multi == NULL)
		fatalx("%s: grpc_init not called", __func__);
	if (grpc.cv.in_curl) {
		log_warnx("%s: not from inside a libcurl callback", __func__);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	call_move(c, &grpc.calls);
	c->kind = p->kind;
	c->on_headers = p->on_headers;
	c->on_message = p->on_message;
	c->on_done = p->on_done;
	c->arg = p->arg;
	grpc_frame_init(&c->fr, p->max_msg ? p->max_msg :
	    GRPC_MAX_MSG_DEFAULT);
	if ((c->easy = curl_easy_init()) == NULL || call_setup(c, p) == -1)
		goto fail;
	if (p->kind == GRPC_BIDI) {
		ms = p->headers_timeout_ms ? p->headers_timeout_ms :
		    GRPC_HEADERS_MS;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if ((c->watch = evtimer_new(grpc.base, ev_watch, c)) == NULL ||
		    evtimer_add(c->watch, &tv) == -1)
			fatal("%s: evtimer", __func__);
	}
	if (curl_multi_add_handle(grpc.cv.multi, c->easy) != CURLM_OK) {
		log_warnx("%s: curl_multi_add_handle failed", __func__);
		goto fail;
	}
	return c;
 fail:
	curl_easy_cleanup(c->easy);
	c->easy = NULL;
	call_free(c);
	return NULL;
}

/*
 * Bidirectional streams: queue one message and wake the upload, which
 * libcurl keeps paused while there is nothing to send.
 */
int
grpc_call_send(struct grpc_call *c, const void *msg, size_t len)
{
	uint8_t	*f, *n;
	size_t	 flen, left;

	if (c->kind != GRPC_BIDI || c->cancelled || c->done)
		return -1;
	if ((f = grpc_frame_encode(msg, len, &flen)) == NULL)
		return -1;
	left = c->outlen - c->outoff;
	if ((n = malloc(left + flen)) == NULL) {
		free(f);
		return -1;
	}
	if (left > 0)
		memcpy(n, c->out + c->outoff, left);
	memcpy(n + left, f, flen);
	free(f);
	free(c->out);
	c->out = n;
	c->outlen = left + flen;
	c->outoff = 0;
	call_resume(c);
	return 0;
}

static void
call_resume(struct grpc_call *c)
{
	if (!c->out_paused || c->cancelled || c->done)
		return;
	c->out_paused = 0;
	grpc.cv.in_curl++;
	curl_easy_pause(c->easy, CURLPAUSE_CONT);
	grpc.cv.in_curl--;
}

/*
 * libcurl 7.88 never finishes a transfer whose upload is paused, even
 * when the server has ended the stream, and it drops a trailers-only
 * answer to one.  So a bidirectional call ends here: when its trailers
 * have come, or when no response headers came in time.
 */
static void
ev_watch(int fd, short ev, void *arg)
{
	struct grpc_call	*c = arg;

	(void)fd;
	(void)ev;
	if (c->cancelled || c->done)
		return;
	if (!c->headers_done)
		call_fail(c, GRPC_UNAVAILABLE, "no response headers");
	else if (!c->have_status)
		return;
	call_finish(c, CURLE_OK);
	event_active(grpc.reap, 0, 0);
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct grpc_call	*c = arg;
	size_t			 n;

	if (c->cancelled)
		return CURL_READFUNC_ABORT;
	if (c->outoff == c->outlen) {
		c->out_paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	n = MINIMUM(size * nitems, c->outlen - c->outoff);
	memcpy(buf, c->out + c->outoff, n);
	c->outoff += n;
	return n;
}

/* TCP keepalive in place of HTTP/2 PING, which libcurl 7.88 cannot send. */
static int
sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	int	cnt = GRPC_KEEPCNT;

	(void)arg;
	if (purpose == CURLSOCKTYPE_IPCXN &&
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) == -1)
		log_warn("grpc: TCP_KEEPCNT");
	return CURL_SOCKOPT_OK;
}

/*
 * Response headers and trailers: libcurl hands over one line at a time,
 * the status line first, an empty line after the header block, and the
 * trailers as more lines once the body is over.
 */
static size_t
hdr_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct grpc_call	*c = arg;
	size_t			 len = size * nitems;

	if (c->cancelled)
		return 0;
	hdr_line(c, buf, len);
	if (c->cancelled || c->lerr)
		return 0;
	return len;
}

static void
hdr_line(struct grpc_call *c, char *buf, size_t len)
{
	char	*colon, *v;
	size_t	 nlen, vlen;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		hdr_end(c);
		return;
	}
	if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
		if ((v = memchr(buf, ' ', len)) == NULL || v + 4 > buf + len ||
		    !isdigit((unsigned char)v[1]) ||
		    !isdigit((unsigned char)v[2]) ||
		    !isdigit((unsigned char)v[3]))
			call_fail(c, GRPC_UNKNOWN, "malformed status line");
		else
			c->http_status = (v[1] - '0') * 100 +
			    (v[2] - '0') * 10 + (v[3] - '0');
		return;
	}
	if ((colon = memchr(buf, ':', len)) == NULL)
		return;
	nlen = colon - buf;
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	hdr_field(c, buf, nlen, v, vlen);
}

static void
hdr_field(struct grpc_call *c, const char *n, size_t nlen, const char *v,
    size_t vlen)
{
	struct grpc_hdr	*h;
	const char	*errstr;
	char		 num[8];

	if (nlen == 11 && strncasecmp(n, "grpc-status", 11) == 0) {
		if (vlen == 0 || vlen >= sizeof(num)) {
			c->status = GRPC_UNKNOWN;
		} else {
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			c->status = strtonum(num, 0, GRPC_UNAUTHENTICATED,
			    &errstr);
			if (errstr != NULL)
				c->status = GRPC_UNKNOWN;
		}
		c->have_status = 1;
		if (c->kind == GRPC_BIDI && c->headers_done)
			evtimer_add(c->watch, &zero_tv);
		return;
	}
	if (nlen == 12 && strncasecmp(n, "grpc-message", 12) == 0) {
		grpc_percent_decode(v, vlen, c->message, sizeof(c->message));
		return;
	}
	if (nlen == 12 && strncasecmp(n, "content-type", 12) == 0 &&
	    !c->headers_done)
		c->content_ok = vlen >= 16 &&
		    strncasecmp(v, "application/grpc", 16) == 0 &&
		    (vlen == 16 || v[16] == '+' || v[16] == ';');
	if (c->headers_done)
		return;		/* other trailers are of no use */
	if (c->nhdr == GRPC_MAX_HEADERS ||
	    c->hdrbytes + nlen + vlen > GRPC_MAX_HEADER_BYTES) {
		log_debug("grpc: response header dropped, too many");
		return;
	}
	h = &c->hdr[c->nhdr];
	if ((h->name = strndup(n, nlen)) == NULL ||
	    (h->value = strndup(v, vlen)) == NULL) {
		free(h->name);
		call_fail(c, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	c->nhdr++;
	c->hdrbytes += nlen + vlen;
}

static void
hdr_end(struct grpc_call *c)
{
	if (c->headers_done)
		return;
	if (c->http_status / 100 == 1)
		return;		/* an interim response; more follows */
	c->headers_done = 1;
	if (c->watch != NULL && c->have_status)
		evtimer_add(c->watch, &zero_tv);	/* trailers only */
	else if (c->watch != NULL)
		evtimer_del(c->watch);
	if (c->http_status != 200 || c->have_status)
		return;
	if (!c->content_ok) {
		call_fail(c, GRPC_UNKNOWN, "response is not application/grpc");
		return;
	}
	if (c->on_headers != NULL)
		c->on_headers(c, c->arg);
}

static size_t
write_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct grpc_call	*c = arg;
	size_t			 len = size * nitems;
	int			 e;

	if (c->cancelled || c->lerr)
		return 0;
	if (c->http_status != 200 || c->have_status)
		return len;	/* not gRPC: the status says it all */
	e = grpc_frame_feed(&c->fr, buf, len, deliver, c);
	if (e == GRPC_FRAME_TOOBIG)
		call_fail(c, GRPC_RESOURCE_EXHAUSTED,
		    "received message larger than max (%zu bytes)",
		    c->fr.max);
	else if (e != GRPC_FRAME_OK && e != GRPC_FRAME_STOPPED)
		call_fail(c, GRPC_INTERNAL, "%s", grpc_frame_strerror(e));
	if (c->cancelled || c->lerr)
		return 0;
	return len;
}

static int
deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct grpc_call	*c = arg;

	if (c->kind == GRPC_UNARY && c->nmsg > 0) {
		call_fail(c, GRPC_INTERNAL, "more than one response message");
		return -1;
	}
	c->nmsg++;
	if (c->on_message != NULL)
		c->on_message(c, msg, len, c->arg);
	return c->cancelled || c->lerr;
}

/* The gRPC mapping of HTTP statuses of non-gRPC answers. */
static int
http_to_grpc(long status)
{
	switch (status) {
	case 400:
		return GRPC_INTERNAL;
	case 401:
		return GRPC_UNAUTHENTICATED;
	case 403:
		return GRPC_PERMISSION_DENIED;
	case 404:
		return GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return GRPC_UNAVAILABLE;
	}
	return GRPC_UNKNOWN;
}
