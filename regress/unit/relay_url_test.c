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
 * Unit tests for netbirdd/relay_url.c: relay URLs as management and
 * offers give them, their WebSocket form, and hostile strings.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "relay.h"

static int	 failed;

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

/* s parses to host, port, tls and the WebSocket URL ws. */
static void
good(const char *s, const char *host, uint16_t port, int tls, const char *ws)
{
	struct relay_url	 u;
	const char		*why = NULL;
	char			 buf[512], what[640];

	(void)snprintf(what, sizeof(what), "%s -> %s", s, ws);
	if (relay_url_parse(s, &u, &why) == -1) {
		check(0, what);
		return;
	}
	check(strcmp(u.host, host) == 0 && u.port == port && u.tls == tls &&
	    relay_url_ws(&u, buf, sizeof(buf)) > 0 && strcmp(buf, ws) == 0,
	    what);
}

static void
bad(const char *s, const char *reason)
{
	struct relay_url	 u;
	const char		*why = NULL;
	char			 what[640];

	(void)snprintf(what, sizeof(what), "refused: \"%s\" (%s)", s, reason);
	check(relay_url_parse(s, &u, &why) == -1 && why != NULL &&
	    strcmp(why, reason) == 0, what);
}

static void
long_names(void)
{
	struct relay_url	 u;
	const char		*why;
	char			 s[RELAY_HOST_MAX + 32], small[16];
	int			 ok;

	memcpy(s, "rels://", 7);
	memset(s + 7, 'a', RELAY_HOST_MAX);
	s[7 + RELAY_HOST_MAX] = '\0';
	check(relay_url_parse(s, &u, &why) == -1,
	    "a host of RELAY_HOST_MAX characters: refused");
	s[7 + 254] = '\0';
	check(relay_url_parse(s, &u, &why) == -1 &&
	    strcmp(why, "bad host name") == 0,
	    "a host of 254 characters, longer than a DNS name: refused");
	memcpy(s + 7 + 254, ":443", 5);
	check(relay_url_parse(s, &u, &why) == -1,
	    "a host of 254 characters and a port: refused");
	s[7 + 253] = '\0';
	ok = relay_url_parse(s, &u, &why) == 0 && strlen(u.host) == 253;
	check(ok, "a host of 253 characters: kept whole");
	check(ok && relay_url_ws(&u, small, sizeof(small)) == -1,
	    "a WebSocket URL that does not fit: -1");
}

int
main(void)
{
	good("rels://relay.netbird.io", "relay.netbird.io", 443, 1,
	    "wss://relay.netbird.io:443/relay");
	good("rels://relay.netbird.io:443", "relay.netbird.io", 443, 1,
	    "wss://relay.netbird.io:443/relay");
	good("rel://10.213.0.1:33080", "10.213.0.1", 33080, 0,
	    "ws://10.213.0.1:33080/relay");
	good("rel://r1.example.com/", "r1.example.com", 80, 0,
	    "ws://r1.example.com:80/relay");
	good("rels://streamline-de-fra1-0.relay.netbird.io:443/",
	    "streamline-de-fra1-0.relay.netbird.io", 443, 1,
	    "wss://streamline-de-fra1-0.relay.netbird.io:443/relay");
	good("rel://a:1", "a", 1, 0, "ws://a:1/relay");
	good("rel://a:65535", "a", 65535, 0, "ws://a:65535/relay");

	bad("", "not a rel:// or rels:// URL");
	bad("https://relay.netbird.io", "not a rel:// or rels:// URL");
	bad("rels:/relay.netbird.io", "not a rel:// or rels:// URL");
	bad("RELS://relay.netbird.io", "not a rel:// or rels:// URL");
	bad("rels://", "bad host name");
	bad("rels:///", "bad host name");
	bad("rels://:443", "bad host name");
	bad("rels://[2001:db8::1]:443", "IPv6 relay addresses are not supported");
	bad("rels://user@relay.netbird.io", "bad host name");
	bad("rels://relay.netbird.io/relay", "bad host name");
	bad("rels://relay.netbird.io:443/x", "bad port");
	bad("rels://relay.netbird.io?x=1", "bad host name");
	bad("rels://relay netbird.io", "bad host name");
	bad("rels://relay.netbird.io:", "bad port");
	bad("rels://relay.netbird.io:0", "bad port");
	bad("rels://relay.netbird.io:65536", "bad port");
	bad("rels://relay.netbird.io:123456", "bad port");
	bad("rels://relay.netbird.io:-1", "bad port");
	bad("rels://relay.netbird.io:+443", "bad port");
	bad("rels://relay.netbird.io:44 3", "bad port");
	bad("rels://relay.netbird.io:443:1", "bad port");
	bad("rels://relay.netbird.io//", "bad host name");
	bad("rels://rel\xc3\xa4y.io", "bad host name");
	long_names();
	return failed;
}
