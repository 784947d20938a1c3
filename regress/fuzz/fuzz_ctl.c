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
 * libFuzzer target for both ends of the control protocol.  Input byte 0
 * picks the request netbirdctl made (bits 0-2), its output (bit 3:
 * JSON) and whether replies are collected for show status (bit 4, then
 * printed as show status and show status -d); the rest is the byte
 * stream that arrives.  Each message is
 * checked as the control process checks a client's request and an
 * owner's reply, then given to netbirdctl's show_reply(), which must
 * refuse what is malformed and print the rest without reading past a
 * string or an array.
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

static void	one(struct show_ctx *, struct imsg *);

static FILE	*null;

static void
one(struct show_ctx *ctx, struct imsg *imsg)
{
	char	why[CTL_MSG_LEN];
	int	p;

	(void)control_request_owner(imsg_get_type(imsg), imsg->data,
	    imsg_get_len(imsg), why, sizeof(why));
	for (p = PROC_PARENT; p < PROC_MAX; p++)
		(void)control_reply_valid(imsg_get_type(imsg), p,
		    imsg_get_len(imsg));
	ctx->errstr = NULL;
	if (show_reply(ctx, imsg) == -1 && ctx->errstr == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct show_ctx	 ctx;
	struct status_view view;
	struct imsgbuf	 rb;
	struct imsg	 imsg;
	size_t		 off = 1;
	ssize_t		 n;
	int		 sv[2], r;

	if (size < 1)
		return 0;
	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	memset(&ctx, 0, sizeof(ctx));
	memset(&view, 0, sizeof(view));
	ctx.action = 1 + (data[0] & 7) % SHOW_RELAYS;
	if (data[0] & 16)
		ctx.view = &view;
	ctx.output = (data[0] & 8) ? &json_output : &show_output;
	ctx.out = ctx.err = null;
	ctx.now = 1800000000;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		abort();
	if (imsgbuf_init(&rb, sv[1]) == -1)
		abort();
	if (off == size)
		shutdown(sv[0], SHUT_WR);
	for (;;) {
		if (off < size) {
			n = write(sv[0], data + off, size - off);
			if (n > 0 && (off += n) == size)
				shutdown(sv[0], SHUT_WR);
		}
		if ((r = imsgbuf_read(&rb)) == -1)
			break;
		while ((n = imsgbuf_get(&rb, &imsg)) > 0) {
			one(&ctx, &imsg);
			imsg_free(&imsg);
		}
		if (n == -1 || r == 0)
			break;
	}
	ctx.output->tail(null, NONE);
	if (view.have_status) {
		ctx.output->summary(null, &view, ctx.now);
		ctx.output->detail(null, &view, ctx.now);
	}
	view_free(&view);
	imsgbuf_clear(&rb);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
