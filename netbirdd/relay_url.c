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
 * Relay server URLs (protocol.md 6.1), from management and from the
 * relayServerAddress of a remote's offer: outside input both.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

#define RELAY_PORT_TLS		443
#define RELAY_PORT_PLAIN	80
#define RELAY_NAME_MAX		253	/* a DNS name, as dns.c takes */

static int	url_host_ok(const char *, size_t);
static int	url_port(const char *, uint16_t *);

int
relay_url_parse(const char *s, struct relay_url *u, const char **why)
{
	const char	*h, *colon, *end;
	char		 port[6];
	size_t		 hl;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "rels://", 7) == 0) {
		u->tls = 1;
		h = s + 7;
	} else if (strncmp(s, "rel://", 6) == 0)
		h = s + 6;
	else {
		*why = "not a rel:// or rels:// URL";
		return -1;
	}
	if (*h == '[') {
		*why = "IPv6 relay addresses are not supported";
		return -1;
	}
	end = h + strlen(h);
	if (end > h && end[-1] == '/')
		end--;
	if ((colon = memchr(h, ':', end - h)) == NULL)
		colon = end;
	hl = colon - h;
	if (!url_host_ok(h, hl)) {
		*why = "bad host name";
		return -1;
	}
	memcpy(u->host, h, hl);
	u->port = u->tls ? RELAY_PORT_TLS : RELAY_PORT_PLAIN;
	if (colon == end)
		return 0;
	if ((size_t)(end - colon - 1) > 5 || colon + 1 == end) {
		*why = "bad port";
		return -1;
	}
	memcpy(port, colon + 1, end - colon - 1);
	port[end - colon - 1] = '\0';
	if (url_port(port, &u->port) == -1) {
		*why = "bad port";
		return -1;
	}
	return 0;
}

int
relay_url_ws(const struct relay_url *u, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s://%s:%u%s", u->tls ? "wss" : "ws",
	    u->host, u->port, RELAY_WS_PATH);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/* Letters, digits, '-', '_' and '.', as names and IPv4 literals have. */
static int
url_host_ok(const char *h, size_t len)
{
	size_t	i;

	if (len == 0 || len > RELAY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-_.", h[i]) == NULL || h[i] == '\0')
			return 0;
	return 1;
}

static int
url_port(const char *s, uint16_t *port)
{
	const char	*errstr;
	long long	 n;

	if (strspn(s, "0123456789") != strlen(s))
		return -1;
	n = strtonum(s, 1, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	*port = n;
	return 0;
}
