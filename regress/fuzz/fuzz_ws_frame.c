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
 * The WebSocket frame reader of netbirdd/ws_frame.c on hostile bytes.
 * Input: byte 0 sets the maximum message size, bytes 1 and 2 seed the
 * chunk sizes; the rest is the stream from the server.  The stream is
 * read whole and in chunks of pseudo-random sizes: both readings must
 * give the same messages and end the same way, and every message must
 * keep to the limits.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

struct tally {
	size_t		 n;
	size_t		 bytes;
	uint64_t	 sum;
	size_t		 max;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
tally_cb(void *arg, int op, const uint8_t *msg, size_t len)
{
	struct tally	*t = arg;
	size_t		 i;

	switch (op) {
	case WS_TEXT:
	case WS_BINARY:
		if (len > t->max)
			abort();
		break;
	case WS_CLOSE:
	case WS_PING:
	case WS_PONG:
		if (len > 125 || (op == WS_CLOSE && len == 1))
			abort();
		break;
	default:
		abort();
	}
	if (msg == NULL)
		abort();
	t->sum = t->sum * 31 + op;
	for (i = 0; i < len; i++)
		t->sum = t->sum * 31 + msg[i];
	t->n++;
	t->bytes += len;
	return 0;
}

static int
read_stream(const uint8_t *p, size_t len, size_t max, uint32_t seed,
    struct tally *t)
{
	struct ws_reader	r;
	size_t			off, n;
	int			e = WS_READER_OK;

	memset(t, 0, sizeof(*t));
	t->max = max;
	ws_reader_init(&r, max);
	for (off = 0; off < len && e == WS_READER_OK; off += n) {
		if (seed == 0)
			n = len - off;
		else {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			n = 1 + seed % 64;
			if (n > len - off)
				n = len - off;
		}
		e = ws_reader_feed(&r, p + off, n, tally_cb, t);
	}
	if (r.len > max || r.hdrlen > WS_FRAME_HDR_MAX)
		abort();
	ws_reader_clear(&r);
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally	whole, split;
	size_t		max;
	uint32_t	seed;
	int		e1, e2;

	if (size < 3)
		return 0;
	max = (size_t)data[0] * 64;
	seed = 1 + ((uint32_t)data[1] << 8 | data[2]);
	e1 = read_stream(data + 3, size - 3, max, 0, &whole);
	e2 = read_stream(data + 3, size - 3, max, seed, &split);
	if (e1 != e2 || whole.n != split.n || whole.sum != split.sum ||
	    whole.bytes != split.bytes)
		abort();
	if (e1 != WS_READER_OK && e1 != WS_READER_PROTOCOL &&
	    e1 != WS_READER_TOOBIG)
		abort();
	if (whole.bytes + 2 * whole.n > size - 3)
		abort();
	return 0;
}
