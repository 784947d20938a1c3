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
 * libFuzzer target for the imsg reader.  Input byte 0 configures the
 * receiver: bits 0-1 pick its maxsize, bit 2 allows fd passing, bits 3-7
 * are the size of the first write.  The rest is the byte stream the peer
 * sends, written into one end of a socketpair in pieces of that size
 * while the other end reads, parses and walks every payload with the
 * ibuf_get_* readers (the payload's own bytes choose the reads), then
 * forwards the message.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	walk(struct imsg *, struct imsgbuf *);

static const uint32_t maxsizes[] = { MAX_IMSGSIZE, 16, 100, 256 * 1024 };

static void
walk(struct imsg *imsg, struct imsgbuf *fwd)
{
	struct ibuf	 rb;
	unsigned char	 tmp[64];
	char		 str[32];
	uint64_t	 v64;
	uint32_t	 v32;
	uint16_t	 v16;
	uint8_t		 op;
	size_t		 len;
	int		 fd;

	len = imsg_get_len(imsg);
	(void)imsg_get_type(imsg);
	(void)imsg_get_id(imsg);
	(void)imsg_get_pid(imsg);
	(void)imsg_get_data(imsg, tmp, MINIMUM(len, sizeof(tmp)));
	(void)imsg_get_data(imsg, tmp, sizeof(uint32_t));
	if (imsg_get_ibuf(imsg, &rb) == -1)
		return;
	while (ibuf_get_n8(&rb, &op) == 0) {
		switch (op % 6) {
		case 0:
			(void)ibuf_get_n16(&rb, &v16);
			break;
		case 1:
			(void)ibuf_get_n32(&rb, &v32);
			break;
		case 2:
			(void)ibuf_get_n64(&rb, &v64);
			break;
		case 3:
			(void)ibuf_get_strbuf(&rb, str, 1 + (op >> 3));
			break;
		case 4:
			(void)ibuf_get(&rb, tmp, op >> 2);
			break;
		default:
			(void)ibuf_skip(&rb, op >> 3);
			break;
		}
	}
	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
	if (imsg_forward(fwd, imsg) == 1)
		msgbuf_clear(&fwd->w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 rb, fwd;
	struct imsg	 imsg;
	size_t		 off = 1, chunk;
	ssize_t		 n;
	int		 sv[2], r;

	if (size < 1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		abort();
	if (imsgbuf_init(&rb, sv[1]) == -1 || imsgbuf_init(&fwd, -1) == -1)
		abort();
	if (imsgbuf_set_maxsize(&rb, maxsizes[data[0] & 3]) == -1 ||
	    imsgbuf_set_maxsize(&fwd, maxsizes[data[0] & 3]) == -1)
		abort();
	if (data[0] & 4)
		imsgbuf_allow_fdpass(&rb);
	chunk = 1 + (data[0] >> 3);
	if (off == size)
		shutdown(sv[0], SHUT_WR);
	for (;;) {
		if (off < size) {
			n = write(sv[0], data + off,
			    MINIMUM(chunk, size - off));
			if (n > 0 && (off += n) == size)
				shutdown(sv[0], SHUT_WR);
			chunk = size;
		}
		if ((r = imsgbuf_read(&rb)) == -1)
			break;
		while ((n = imsgbuf_get(&rb, &imsg)) > 0) {
			walk(&imsg, &fwd);
			imsg_free(&imsg);
		}
		if (n == -1 || r == 0)
			break;
	}
	imsgbuf_clear(&rb);
	imsgbuf_clear(&fwd);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
