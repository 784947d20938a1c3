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
 * ibufs and the write queue.
 *
 * An ibuf holds bytes [0, wpos) in an allocation of size bytes that may
 * grow up to max.  Readers consume [rpos, wpos); the write queue uses
 * rpos for the bytes already sent.  An ibuf made by ibuf_from_buffer()
 * or handed out by imsgbuf_get() has max == wpos, so it cannot be
 * written to.  Every reader checks the length first and fails with
 * EBADMSG on short data.  Freed buffers are zeroed: payloads can carry
 * key material.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"

#define MSGBUF_IOV	64	/* buffers gathered into one sendmsg */

static int	 ibuf_realloc(struct ibuf *, size_t);
static int	 ibuf_add_be(struct ibuf *, uint64_t, size_t);
static void	 msgbuf_drain(struct msgbuf *, size_t);
static void	 msgbuf_dequeue(struct msgbuf *, struct ibuf *);

struct ibuf *
ibuf_open(size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return NULL;
	}
	return ibuf_dynamic(len, len);
}

struct ibuf *
ibuf_dynamic(size_t len, size_t max)
{
	struct ibuf	*buf;

	if (max < len) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = calloc(1, sizeof(*buf))) == NULL)
		return NULL;
	if (len > 0 && (buf->buf = calloc(len, 1)) == NULL) {
		free(buf);
		return NULL;
	}
	buf->size = len;
	buf->max = max;
	buf->fd = -1;
	return buf;
}

/* Grow to hold need bytes: double when the limit allows it. */
static int
ibuf_realloc(struct ibuf *buf, size_t need)
{
	unsigned char	*p;
	size_t		 nsize;

	if (need > buf->max) {
		errno = ERANGE;
		return -1;
	}
	nsize = need;
	if (buf->size <= buf->max / 2 && buf->size * 2 > need)
		nsize = buf->size * 2;
	if ((p = recallocarray(buf->buf, buf->size, nsize, 1)) == NULL)
		return -1;
	buf->buf = p;
	buf->size = nsize;
	return 0;
}

/* The reserved bytes are zero: nothing stale can leak to the peer. */
void *
ibuf_reserve(struct ibuf *buf, size_t len)
{
	void	*p;

	if (len == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (len > SIZE_MAX - buf->wpos) {
		errno = ERANGE;
		return NULL;
	}
	if (buf->wpos + len > buf->size &&
	    ibuf_realloc(buf, buf->wpos + len) == -1)
		return NULL;
	p = buf->buf + buf->wpos;
	memset(p, 0, len);
	buf->wpos += len;
	return p;
}

int
ibuf_add(struct ibuf *buf, const void *data, size_t len)
{
	void	*p;

	if (len == 0)
		return 0;
	if ((p = ibuf_reserve(buf, len)) == NULL)
		return -1;
	memcpy(p, data, len);
	return 0;
}

int
ibuf_add_zero(struct ibuf *buf, size_t len)
{
	if (len == 0)
		return 0;
	return ibuf_reserve(buf, len) == NULL ? -1 : 0;
}

/* Append the low width bytes of v, most significant first. */
static int
ibuf_add_be(struct ibuf *buf, uint64_t v, size_t width)
{
	unsigned char	*p;
	size_t		 i;

	if (width < sizeof(v) && v >> (width * 8) != 0) {
		errno = ERANGE;
		return -1;
	}
	if ((p = ibuf_reserve(buf, width)) == NULL)
		return -1;
	for (i = width; i > 0; i--) {
		p[i - 1] = v & 0xff;
		v >>= 8;
	}
	return 0;
}

int
ibuf_add_n8(struct ibuf *buf, uint64_t v)
{
	return ibuf_add_be(buf, v, 1);
}

int
ibuf_add_n16(struct ibuf *buf, uint64_t v)
{
	return ibuf_add_be(buf, v, 2);
}

int
ibuf_add_n32(struct ibuf *buf, uint64_t v)
{
	return ibuf_add_be(buf, v, 4);
}

int
ibuf_add_n64(struct ibuf *buf, uint64_t v)
{
	return ibuf_add_be(buf, v, 8);
}

void *
ibuf_data(const struct ibuf *buf)
{
	if (buf->buf == NULL)
		return NULL;
	return buf->buf + buf->rpos;
}

/* Bytes left to read. */
size_t
ibuf_size(const struct ibuf *buf)
{
	return buf->wpos - buf->rpos;
}

/* Bytes that can still be written. */
size_t
ibuf_left(const struct ibuf *buf)
{
	return buf->max - buf->wpos;
}

int
ibuf_skip(struct ibuf *buf, size_t len)
{
	if (len > ibuf_size(buf)) {
		errno = EBADMSG;
		return -1;
	}
	buf->rpos += len;
	return 0;
}

int
ibuf_get(struct ibuf *buf, void *data, size_t len)
{
	if (len > ibuf_size(buf)) {
		errno = EBADMSG;
		return -1;
	}
	if (len > 0)
		memcpy(data, ibuf_data(buf), len);
	buf->rpos += len;
	return 0;
}

int
ibuf_get_n8(struct ibuf *buf, uint8_t *v)
{
	return ibuf_get(buf, v, sizeof(*v));
}

int
ibuf_get_n16(struct ibuf *buf, uint16_t *v)
{
	uint16_t	 n;

	if (ibuf_get(buf, &n, sizeof(n)) == -1)
		return -1;
	*v = be16toh(n);
	return 0;
}

int
ibuf_get_n32(struct ibuf *buf, uint32_t *v)
{
	uint32_t	 n;

	if (ibuf_get(buf, &n, sizeof(n)) == -1)
		return -1;
	*v = be32toh(n);
	return 0;
}

int
ibuf_get_n64(struct ibuf *buf, uint64_t *v)
{
	uint64_t	 n;

	if (ibuf_get(buf, &n, sizeof(n)) == -1)
		return -1;
	*v = be64toh(n);
	return 0;
}

/*
 * A fixed-size string field: exactly len bytes that must contain a NUL.
 * Nothing is consumed on failure.
 */
int
ibuf_get_strbuf(struct ibuf *buf, char *str, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (len > ibuf_size(buf) || memchr(ibuf_data(buf), '\0', len) == NULL) {
		errno = EBADMSG;
		return -1;
	}
	return ibuf_get(buf, str, len);
}

/* A read-only view of memory the caller owns: never ibuf_free() it. */
void
ibuf_from_buffer(struct ibuf *buf, void *data, size_t len)
{
	memset(buf, 0, sizeof(*buf));
	buf->buf = data;
	buf->size = buf->max = buf->wpos = len;
	buf->fd = -1;
}

void
ibuf_free(struct ibuf *buf)
{
	if (buf == NULL)
		return;
	if (buf->fd != -1)
		close(buf->fd);
	freezero(buf->buf, buf->size);
	free(buf);
}

void
msgbuf_init(struct msgbuf *msgbuf)
{
	TAILQ_INIT(&msgbuf->bufs);
	msgbuf->queued = 0;
}

void
msgbuf_enqueue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_INSERT_TAIL(&msgbuf->bufs, buf, entry);
	msgbuf->queued++;
}

static void
msgbuf_dequeue(struct msgbuf *msgbuf, struct ibuf *buf)
{
	TAILQ_REMOVE(&msgbuf->bufs, buf, entry);
	msgbuf->queued--;
	ibuf_free(buf);
}

void
msgbuf_clear(struct msgbuf *msgbuf)
{
	struct ibuf	*buf;

	while ((buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL)
		msgbuf_dequeue(msgbuf, buf);
}

/* Forget the first n bytes sent. */
static void
msgbuf_drain(struct msgbuf *msgbuf, size_t n)
{
	struct ibuf	*buf;

	while (n > 0 && (buf = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		if (n < ibuf_size(buf)) {
			buf->rpos += n;
			return;
		}
		n -= ibuf_size(buf);
		msgbuf_dequeue(msgbuf, buf);
	}
}

/*
 * Send what is queued until the socket would block.  A buffer's fd goes
 * with the sendmsg() that starts with the buffer's first byte: a buffer
 * with an fd is only ever first in a sendmsg(), so each call carries at
 * most one fd.  Returns 0 (everything sent, or EAGAIN) or -1.
 */
int
msgbuf_write(int fd, struct msgbuf *msgbuf)
{
	struct iovec	 iov[MSGBUF_IOV];
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*buf, *first;
	ssize_t		 n;
	size_t		 i;

	while ((first = TAILQ_FIRST(&msgbuf->bufs)) != NULL) {
		memset(&msg, 0, sizeof(msg));
		i = 0;
		TAILQ_FOREACH(buf, &msgbuf->bufs, entry) {
			if (i == nitems(iov) || (buf != first && buf->fd != -1))
				break;
			iov[i].iov_base = ibuf_data(buf);
			iov[i].iov_len = ibuf_size(buf);
			i++;
		}
		msg.msg_iov = iov;
		msg.msg_iovlen = i;
		if (first->fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &first->fd, sizeof(int));
		}
		if ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		/* The fd went with the first byte; the peer owns it now. */
		if (first->fd != -1) {
			close(first->fd);
			first->fd = -1;
		}
		msgbuf_drain(msgbuf, n);
	}
	return 0;
}
