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
 * The gRPC frame reader and the grpc-message decoder of netbirdd/grpc.c
 * on hostile bytes.  Input: byte 0 sets the maximum message size, byte 1
 * the chunk size; the rest is the stream from the server.  The stream is
 * read twice, whole and in chunks, and both readings must agree.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"

struct tally {
	size_t		 n;
	size_t		 bytes;
	uint64_t	 sum;
	size_t		 max;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
tally_cb(void *arg, const uint8_t *msg, size_t len)
{
	struct tally	*t = arg;
	size_t		 i;

	if (len > t->max)
		abort();
	for (i = 0; i < len; i++)
		t->sum = t->sum * 31 + msg[i];
	t->n++;
	t->bytes += len;
	return 0;
}

static int
read_stream(const uint8_t *p, size_t len, size_t max, size_t chunk,
    struct tally *t, int *partial)
{
	struct grpc_frame_reader fr;
	size_t			 off, n;
	int			 e = GRPC_FRAME_OK;

	memset(t, 0, sizeof(*t));
	t->max = max;
	grpc_frame_init(&fr, max);
	for (off = 0; off < len && e == GRPC_FRAME_OK; off += n) {
		n = len - off < chunk ? len - off : chunk;
		e = grpc_frame_feed(&fr, p + off, n, tally_cb, t);
	}
	*partial = grpc_frame_partial(&fr);
	grpc_frame_clear(&fr);
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally	 whole, split;
	char		 text[64];
	size_t		 max, chunk;
	int		 e1, e2, p1, p2;

	if (size < 2)
		return 0;
	max = (size_t)data[0] * 16;
	chunk = 1 + data[1];
	e1 = read_stream(data + 2, size - 2, max, size, &whole, &p1);
	e2 = read_stream(data + 2, size - 2, max, chunk, &split, &p2);
	if (e1 != e2 || whole.n != split.n || whole.sum != split.sum)
		abort();
	if (e1 == GRPC_FRAME_OK && p1 != p2)
		abort();
	if (whole.bytes + GRPC_FRAME_HDRLEN * whole.n > size - 2)
		abort();

	grpc_percent_decode((const char *)data, size, text, sizeof(text));
	if (strlen(text) >= sizeof(text))
		abort();
	return 0;
}
