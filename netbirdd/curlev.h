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
 * A libcurl multi handle driven by libevent: libcurl says which sockets
 * and which timeout it waits for, libevent tells it when they fire.
 * After every curl_multi_socket_action() the owner's action callback
 * runs, to read finished transfers; it may clear the curlev.
 */

#ifndef CURLEV_H
#define CURLEV_H

#include <curl/curl.h>
#include <event.h>

struct curlev {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	void			(*action)(void *, CURLMcode);
	void			*arg;
	int			 in_curl;	/* inside libcurl now */
};

void	curlev_init(struct curlev *, struct event_base *,
	    void (*)(void *, CURLMcode), void *);
void	curlev_clear(struct curlev *);
const char *curlev_why(char *, size_t, const char *, CURLcode);

#endif
