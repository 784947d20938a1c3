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
 * STUN and TURN server URIs from management, parsed by ice_uri_parse()
 * (netbirdd/ice_uri.c).  The input, cut at its first NUL, is copied to a
 * buffer of exactly its size.  What parses must be a known scheme, a
 * terminated non-empty host that fits, without the characters a URI
 * would put around it, and a port that is not 0; a refusal must say why.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ice_uri	 u;
	const char	*why = NULL;
	char		*s;
	size_t		 n;

	n = strnlen((const char *)data, len);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	if (ice_uri_parse(s, &u, &why) == 0) {
		if ((u.scheme != ICE_URI_STUN && u.scheme != ICE_URI_TURN) ||
		    memchr(u.host, '\0', sizeof(u.host)) == NULL ||
		    u.host[0] == '\0' || strpbrk(u.host, "[]?@/ ") != NULL ||
		    u.port == 0 || strlen(u.host) >= n)
			abort();
	} else if (why == NULL)
		abort();
	free(s);
	return 0;
}
