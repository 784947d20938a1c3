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
 * Relay URLs from management and from the offers of peers, parsed by
 * relay_url_parse() (netbirdd/relay_url.c).  The input, cut at its first
 * NUL, is copied to a buffer of exactly its size.  What parses has a
 * terminated, non-empty host of name characters only, shorter than the
 * input, a port that is not 0, and a WebSocket URL that fits; a refusal
 * says why.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct relay_url	 u;
	const char		*why = NULL;
	char			*s, ws[RELAY_HOST_MAX + 32];
	size_t			 n;

	n = strnlen((const char *)data, len);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	if (relay_url_parse(s, &u, &why) == 0) {
		if (memchr(u.host, '\0', sizeof(u.host)) == NULL ||
		    u.host[0] == '\0' || strlen(u.host) >= n ||
		    strspn(u.host, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
		    strlen(u.host) || u.port == 0 || (u.tls != 0 && u.tls != 1) ||
		    relay_url_ws(&u, ws, sizeof(ws)) <= 0)
			abort();
	} else if (why == NULL)
		abort();
	free(s);
	return 0;
}
