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


#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "curlev.h"

struct curlev_sock {
	struct event	*ev;
	struct curlev	*cv;
};

static int	sock_cb(CURL *, curl_socket_t, int, void *, void *);
static int	timer_cb(CURLM *, long, void *);
static void	ev_sock(int, short, void *);
static void	ev_timer(int, short, void *);
static void	run(struct curlev *, curl_socket_t, int);
static const char *elapsed_end(const char *);

void
curlev_init(struct curlev *cv, struct event_base *base,
    void (*action)(void *, CURLMcode), void *arg)
{
	cv->base = base;
	cv->action = action;
	cv->arg = arg;
	cv->in_curl = 0;
	if ((cv->multi = curl_multi_init()) == NULL)
		fatalx("%s: curl_multi_init", __func__);
	if ((cv->timer = evtimer_new(base, ev_timer, cv)) == NULL)
		fatal("%s: evtimer_new", __func__);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
}

/* The transfers must have been removed; libcurl closes their sockets. */
void
curlev_clear(struct curlev *cv)
{
	if (cv->multi != NULL)
		curl_multi_cleanup(cv->multi);
	if (cv->timer != NULL)
		event_free(cv->timer);
	cv->multi = NULL;
	cv->timer = NULL;
}

static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlev		*cv = arg;
	struct curlev_sock	*s = sockp;
	short			 ev = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		s->cv = cv;
		curl_multi_assign(cv->multi, fd, s);
	} else
		event_free(s->ev);
	if ((s->ev = event_new(cv->base, fd, ev, ev_sock, s)) == NULL ||
	    event_add(s->ev, NULL) == -1)
		fatal("%s: event", __func__);
	return 0;
}

static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct curlev	*cv = arg;
	struct timeval	 tv;

	(void)multi;
	if (ms < 0) {
		evtimer_del(cv->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (evtimer_add(cv->timer, &tv) == -1)
		fatal("%s: evtimer_add", __func__);
	return 0;
}

static void
ev_sock(int fd, short ev, void *arg)
{
	struct curlev_sock	*s = arg;
	int			 flags = 0;

	if (ev & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (ev & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	run(s->cv, fd, flags);
}

static void
ev_timer(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	run(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void
run(struct curlev *cv, curl_socket_t fd, int flags)
{
	CURLMcode	rc;
	int		running;

	cv->in_curl++;
	rc = curl_multi_socket_action(cv->multi, fd, flags, &running);
	cv->in_curl--;
	cv->action(cv->arg, rc);
}

/*
 * Why a transfer failed: libcurl's message in errbuf, else the text of
 * rc, into buf (len > 0 bytes), cut to fit.  The elapsed times libcurl
 * puts in some messages ("after 3 ms") are left out: they differ from
 * one attempt to the next, and a reason is logged once while it stays.
 */
const char *
curlev_why(char *buf, size_t len, const char *errbuf, CURLcode rc)
{
	const char	*s, *e;
	size_t		 n = 0;

	if (len == 0)
		fatalx("%s: no room", __func__);
	s = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	while (*s != '\0' && n + 1 < len) {
		if ((e = elapsed_end(s)) != NULL) {
			s = e;
			continue;
		}
		buf[n++] = *s++;
	}
	buf[n] = '\0';
	return buf;
}

/* Past " after DIGITS ms" or " after DIGITS milliseconds" at s, or NULL. */
static const char *
elapsed_end(const char *s)
{
	static const char	 after[] = " after ";
	static const char	*units[] = { " ms", " milliseconds" };
	size_t			 i, ulen, alen = sizeof(after) - 1;

	if (strncmp(s, after, alen) != 0 || !isdigit((unsigned char)s[alen]))
		return NULL;
	for (s += alen; isdigit((unsigned char)*s); s++)
		;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		ulen = strlen(units[i]);
		if (strncmp(s, units[i], ulen) == 0 &&
		    !isalnum((unsigned char)s[ulen]))
			return s + ulen;
	}
	return NULL;
}
