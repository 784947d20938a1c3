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
 * The WebSocket opening handshake response parser of netbirdd/ws_frame.c
 * on hostile bytes, with the key of RFC 6455 (the seeds hold its
 * Sec-WebSocket-Accept).  The input is the server's byte stream; it is
 * also read as it arrives, cut short: a head found in the whole input
 * must be found, with the same length, in exactly its own bytes, and a
 * refusal of a part must hold for the whole.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

#define KEY	"dGhlIHNhbXBsZSBub25jZQ=="

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
parse(const uint8_t *p, size_t len, size_t *used)
{
	const char	*why = NULL;
	int		 e;

	*used = 0;
	e = ws_handshake_response(p, len, KEY, used, &why);
	if (e == -1 && why == NULL)
		abort();
	if (e == 1 && (*used > len || *used > WS_HANDSHAKE_MAX || *used < 4 ||
	    memcmp(p + *used - 4, "\r\n\r\n", 4) != 0))
		abort();
	if (e < -1 || e > 1)
		abort();
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	used, used2;
	int	e, e2;

	e = parse(data, size, &used);
	if (e == 1) {
		if (parse(data, used, &used2) != 1 || used2 != used)
			abort();
		if (parse(data, used - 1, &used2) != 0)
			abort();
	}
	e2 = parse(data, size / 2, &used2);
	if (e2 == -1 && e != -1)
		abort();
	if (e2 == 1 && (e != 1 || used2 != used))
		abort();
	return 0;
}
