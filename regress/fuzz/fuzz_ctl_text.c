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
 * libFuzzer target for netbirdctl's text answers (show metrics, and the
 * config and network map of debug bundle).  Input byte 0 picks the
 * request (bits 0-1: show metrics, config, netmap, or show status, which
 * must refuse text) and whether the answer starts 64 bytes short of
 * CTL_TEXT_TOTAL_MAX (bit 2); the rest is the byte stream that arrives,
 * given to show_reply() message by message.  What it prints must be
 * printable ASCII, '\n' and '\t' only, and never more than the limit.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netbirdd.h"
#include "netbirdctl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const enum actions	actions[] = {
	SHOW_METRICS, SHOW_CONFIG, SHOW_NETMAP, SHOW_STATUS
};

static void	check_out(const char *, size_t, size_t, size_t);

/* Printed: safe bytes only, and no more than the limit let through. */
static void
check_out(const char *buf, size_t len, size_t start, size_t total)
{
	size_t	i;

	if (len != total - start)
		abort();
	for (i = 0; i < len; i++)
		if ((buf[i] < 0x20 || buf[i] >= 0x7f) && buf[i] != '\n' &&
		    buf[i] != '\t')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct show_ctx	 ctx;
	struct imsgbuf	 rb;
	struct imsg	 imsg;
	FILE		*out;
	char		*buf = NULL;
	size_t		 off = 1, len = 0, start;
	ssize_t		 n;
	int		 sv[2], r, done = 0;

	if (size < 1)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.action = actions[data[0] & 3];
	ctx.output = &show_output;
	if (data[0] & 4)
		ctx.text_len = CTL_TEXT_TOTAL_MAX - 64;
	start = ctx.text_len;
	if ((out = open_memstream(&buf, &len)) == NULL)
		abort();
	ctx.out = ctx.err = out;
	ctx.now = 1800000000;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1 || imsgbuf_init(&rb, sv[1]) == -1)
		abort();
	if (off == size)
		shutdown(sv[0], SHUT_WR);
	while (!done) {
		if (off < size) {
			n = write(sv[0], data + off, size - off);
			if (n > 0 && (off += n) == size)
				shutdown(sv[0], SHUT_WR);
		}
		if ((r = imsgbuf_read(&rb)) == -1)
			break;
		while (!done && (n = imsgbuf_get(&rb, &imsg)) > 0) {
			ctx.errstr = NULL;
			done = show_reply(&ctx, &imsg);
			imsg_free(&imsg);
			if (done == -1 && ctx.errstr == NULL)
				abort();
		}
		if (n == -1 || r == 0)
			break;
	}
	if (fclose(out) == EOF)
		abort();
	if (ctx.text_len > CTL_TEXT_TOTAL_MAX)
		abort();
	check_out(buf, len, start, ctx.text_len);
	free(buf);
	imsgbuf_clear(&rb);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
