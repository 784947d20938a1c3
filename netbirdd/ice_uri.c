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
 * STUN and TURN server URIs as management sends them:
 *
 *   stun:host[:port]                      RFC 7064
 *   turn:host[:port][?transport=udp]      RFC 7065
 *
 * host is a DNS name (letters, digits, '-', '.', '_'), an IPv4 literal
 * or an IPv6 literal in brackets.  No user information, no percent
 * encoding, no fragment.  The secure schemes and TCP transport are
 * understood and refused: the ice process speaks STUN and TURN over UDP
 * only.  The input is a NUL-terminated string; every copy is bounded by
 * the size of its destination.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ice.h"

#define URI_PORT_DIGITS	5

static int	 uri_scheme(const char *, size_t, struct ice_uri *,
		    const char **);
static int	 uri_host(const char *, size_t, struct ice_uri *,
		    const char **);
static int	 uri_name(const char *, size_t, struct ice_uri *,
		    const char **);
static int	 uri_port(const char *, size_t, struct ice_uri *,
		    const char **);
static int	 uri_query(const char *, const char **);

int
ice_uri_parse(const char *s, struct ice_uri *u, const char **why)
{
	const char	*colon, *rest, *query;
	size_t		 len;

	memset(u, 0, sizeof(*u));
	if ((colon = strchr(s, ':')) == NULL) {
		*why = "no scheme";
		return -1;
	}
	if (uri_scheme(s, colon - s, u, why) == -1)
		return -1;
	rest = colon + 1;
	if ((query = strchr(rest, '?')) != NULL) {
		if (u->scheme != ICE_URI_TURN) {
			*why = "a query in a STUN URI";
			return -1;
		}
		if (uri_query(query + 1, why) == -1)
			return -1;
		len = query - rest;
	} else
		len = strlen(rest);
	if (uri_host(rest, len, u, why) == -1)
		return -1;
	return 0;
}

static int
uri_scheme(const char *s, size_t len, struct ice_uri *u, const char **why)
{
	if (len == 4 && strncasecmp(s, "stun", 4) == 0)
		u->scheme = ICE_URI_STUN;
	else if (len == 4 && strncasecmp(s, "turn", 4) == 0)
		u->scheme = ICE_URI_TURN;
	else if (len == 5 && (strncasecmp(s, "stuns", 5) == 0 ||
	    strncasecmp(s, "turns", 5) == 0)) {
		*why = "TLS (stuns, turns) is not supported";
		return -1;
	} else {
		*why = "unknown scheme";
		return -1;
	}
	return 0;
}

/* host[:port] or [v6][:port], exactly len bytes. */
static int
uri_host(const char *s, size_t len, struct ice_uri *u, const char **why)
{
	struct in6_addr	 in6;
	const char	*end, *port;
	size_t		 hlen;

	u->port = ICE_URI_PORT;
	if (len > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL) {
			*why = "unterminated IPv6 literal";
			return -1;
		}
		hlen = end - s - 1;
		if (hlen == 0 || hlen >= INET6_ADDRSTRLEN ||
		    hlen >= sizeof(u->host)) {
			*why = "bad IPv6 literal";
			return -1;
		}
		memcpy(u->host, s + 1, hlen);
		u->host[hlen] = '\0';
		if (inet_pton(AF_INET6, u->host, &in6) != 1) {
			*why = "bad IPv6 literal";
			return -1;
		}
		port = end + 1;
		if (port == s + len)
			return 0;
		if (*port != ':') {
			*why = "junk after the IPv6 literal";
			return -1;
		}
		return uri_port(port + 1, s + len - port - 1, u, why);
	}
	if ((port = memchr(s, ':', len)) == NULL)
		return uri_name(s, len, u, why);
	if (uri_name(s, port - s, u, why) == -1)
		return -1;
	return uri_port(port + 1, s + len - port - 1, u, why);
}

static int
uri_name(const char *s, size_t len, struct ice_uri *u, const char **why)
{
	size_t	i;

	if (len == 0) {
		*why = "no host";
		return -1;
	}
	if (len >= sizeof(u->host)) {
		*why = "host name too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_') {
			*why = "bad character in the host";
			return -1;
		}
	}
	memcpy(u->host, s, len);
	u->host[len] = '\0';
	return 0;
}

static int
uri_port(const char *s, size_t len, struct ice_uri *u, const char **why)
{
	unsigned long	v = 0;
	size_t		i;

	if (len == 0 || len > URI_PORT_DIGITS) {
		*why = "bad port";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			*why = "bad port";
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		*why = "port out of range";
		return -1;
	}
	u->port = v;
	return 0;
}

/* The only parameter TURN URIs have: transport, which must be udp. */
static int
uri_query(const char *q, const char **why)
{
	static const char	key[] = "transport=";
	const char		*v;

	if (strncasecmp(q, key, sizeof(key) - 1) != 0) {
		*why = "unknown URI parameter";
		return -1;
	}
	v = q + sizeof(key) - 1;
	if (strcasecmp(v, "udp") == 0)
		return 0;
	if (strcasecmp(v, "tcp") == 0)
		*why = "TURN over TCP is not supported";
	else
		*why = "unknown TURN transport";
	return -1;
}
