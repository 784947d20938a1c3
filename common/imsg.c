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
 * imsg: messages of a 16-byte header (type, len, peerid, pid, host byte
 * order, len counting the header) and a payload, over a non-blocking
 * stream socket.
 *
 * File descriptors.  The sender sets IMSG_FD_MARK in the len field of a
 * message that carries an fd, and passes the fd with the sendmsg() that
 * starts with that message's first byte (msgbuf_write()).  The receiver
 * queues every fd it gets, in order of arrival; imsgbuf_get() gives the
 * oldest queued fd to each marked message and never touches the queue
 * for an unmarked one.  An fd always arrives with or before the last
 * byte of its message, so from an honest peer the pairing is exact.  A
 * marked message with no fd queued gets -1; fds nobody claims are closed
 * by imsgbuf_clear().  Unless imsgbuf_allow_fdpass() was called, a
 * received fd is closed at once and the read fails with EBADMSG.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"

#define IMSG_FD_MARK	0x80000000U	/* in hdr.len: carries an fd */
#define IMSG_RECV_FDS	16	/* fds accepted by one recvmsg() */
#define IMSG_QUEUE_FDS	64	/* fds waiting for their message */

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd)	 entry;
	int			 fd;
};

static int	 imsg_parse_hdr(const struct imsgbuf *, const unsigned char *,
		    struct imsg_hdr *, int *);
static int	 imsgbuf_room(struct imsgbuf *);
static int	 imsgbuf_recvfds(struct imsgbuf *, struct msghdr *);
static int	 imsgbuf_popfd(struct imsgbuf *);
static struct ibuf *imsg_start(struct imsgbuf *, uint32_t, uint32_t,
		    uint32_t, size_t);

int
imsgbuf_init(struct imsgbuf *imsgbuf, int fd)
{
	memset(imsgbuf, 0, sizeof(*imsgbuf));
	if ((imsgbuf->rbuf = calloc(IBUF_READ_SIZE, 1)) == NULL)
		return -1;
	imsgbuf->rsize = IBUF_READ_SIZE;
	msgbuf_init(&imsgbuf->w);
	TAILQ_INIT(&imsgbuf->fds);
	imsgbuf->maxsize = MAX_IMSGSIZE;
	imsgbuf->fd = fd;
	imsgbuf->pid = getpid();
	return 0;
}

void
imsgbuf_allow_fdpass(struct imsgbuf *imsgbuf)
{
	imsgbuf->allow_fdpass = 1;
}

int
imsgbuf_set_maxsize(struct imsgbuf *imsgbuf, uint32_t max)
{
	if (max < IMSG_HEADER_SIZE || max > IMSG_SIZE_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	imsgbuf->maxsize = max;
	return 0;
}

/* Copy out a header, take the fd mark off len, and check len. */
static int
imsg_parse_hdr(const struct imsgbuf *imsgbuf, const unsigned char *p,
    struct imsg_hdr *hdr, int *hasfd)
{
	memcpy(hdr, p, sizeof(*hdr));
	*hasfd = (hdr->len & IMSG_FD_MARK) != 0;
	hdr->len &= ~IMSG_FD_MARK;
	if (hdr->len < IMSG_HEADER_SIZE || hdr->len > imsgbuf->maxsize) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/*
 * Make room for the next recvmsg(): move the unparsed bytes to the
 * front, and grow the buffer (never beyond maxsize) only when it is full
 * with the start of one message larger than the buffer.  A buffer full
 * of complete messages means the caller did not drain it with
 * imsgbuf_get(): ENOBUFS.
 */
static int
imsgbuf_room(struct imsgbuf *imsgbuf)
{
	struct imsg_hdr	 hdr;
	unsigned char	*p;
	size_t		 nsize;
	int		 hasfd;

	if (imsgbuf->rbuf == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (imsgbuf->rpos > 0) {
		memmove(imsgbuf->rbuf, imsgbuf->rbuf + imsgbuf->rpos,
		    imsgbuf->rlen - imsgbuf->rpos);
		imsgbuf->rlen -= imsgbuf->rpos;
		imsgbuf->rpos = 0;
	}
	if (imsgbuf->rlen < imsgbuf->rsize)
		return 0;
	if (imsg_parse_hdr(imsgbuf, imsgbuf->rbuf, &hdr, &hasfd) == -1)
		return -1;
	if (hdr.len <= imsgbuf->rsize) {
		errno = ENOBUFS;
		return -1;
	}
	nsize = MINIMUM(MAXIMUM(hdr.len, imsgbuf->rsize * 2),
	    imsgbuf->maxsize);
	if ((p = recallocarray(imsgbuf->rbuf, imsgbuf->rsize, nsize, 1)) ==
	    NULL)
		return -1;
	imsgbuf->rbuf = p;
	imsgbuf->rsize = nsize;
	return 0;
}

/* Queue the fds of one recvmsg(), or close them all when refused. */
static int
imsgbuf_recvfds(struct imsgbuf *imsgbuf, struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	struct imsg_fd	*ifd;
	size_t		 i, nfds;
	int		 fd, error = 0;

	if (msg->msg_flags & MSG_CTRUNC)
		error = EBADMSG;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			ifd = NULL;
			if (!imsgbuf->allow_fdpass ||
			    imsgbuf->nrfds >= IMSG_QUEUE_FDS)
				error = EBADMSG;
			else if (error == 0 &&
			    (ifd = malloc(sizeof(*ifd))) == NULL)
				error = errno;
			if (ifd == NULL) {
				close(fd);
				continue;
			}
			ifd->fd = fd;
			TAILQ_INSERT_TAIL(&imsgbuf->fds, ifd, entry);
			imsgbuf->nrfds++;
		}
	}
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/*
 * One recvmsg().  Returns 1 when data was read or the socket would
 * block, 0 when the peer closed the connection, -1 on error.
 */
int
imsgbuf_read(struct imsgbuf *imsgbuf)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * IMSG_RECV_FDS)];
	} cmsgbuf;
	struct iovec	 iov;
	struct msghdr	 msg;
	ssize_t		 n;

	if (imsgbuf_room(imsgbuf) == -1)
		return -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = imsgbuf->rbuf + imsgbuf->rlen;
	iov.iov_len = imsgbuf->rsize - imsgbuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	if ((n = recvmsg(imsgbuf->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 1;
		return -1;
	}
	imsgbuf->rlen += n;
	if (imsgbuf_recvfds(imsgbuf, &msg) == -1)
		return -1;
	return n == 0 ? 0 : 1;
}

static int
imsgbuf_popfd(struct imsgbuf *imsgbuf)
{
	struct imsg_fd	*ifd;
	int		 fd;

	if ((ifd = TAILQ_FIRST(&imsgbuf->fds)) == NULL)
		return -1;
	TAILQ_REMOVE(&imsgbuf->fds, ifd, entry);
	imsgbuf->nrfds--;
	fd = ifd->fd;
	free(ifd);
	return fd;
}

/*
 * Returns the message length when a whole message was taken, 0 when
 * more bytes are needed, -1 on error: ERANGE for a length outside
 * [IMSG_HEADER_SIZE, maxsize], after which the stream is lost.
 */
ssize_t
imsgbuf_get(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*buf;
	size_t		 avail, datalen;
	int		 hasfd;

	avail = imsgbuf->rlen - imsgbuf->rpos;
	if (avail < IMSG_HEADER_SIZE)
		return 0;
	if (imsg_parse_hdr(imsgbuf, imsgbuf->rbuf + imsgbuf->rpos, &hdr,
	    &hasfd) == -1)
		return -1;
	if (avail < hdr.len)
		return 0;
	datalen = hdr.len - IMSG_HEADER_SIZE;
	if ((buf = ibuf_dynamic(datalen, datalen)) == NULL)
		return -1;
	if (ibuf_add(buf, imsgbuf->rbuf + imsgbuf->rpos + IMSG_HEADER_SIZE,
	    datalen) == -1) {
		ibuf_free(buf);
		return -1;
	}
	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr = hdr;
	imsg->buf = buf;
	imsg->data = ibuf_data(buf);
	imsg->fd = hasfd ? imsgbuf_popfd(imsgbuf) : -1;
	imsgbuf->rpos += hdr.len;
	return hdr.len;
}

int
imsgbuf_write(struct imsgbuf *imsgbuf)
{
	return msgbuf_write(imsgbuf->fd, &imsgbuf->w);
}

/* Write until the queue is empty, waiting for the socket as needed. */
int
imsgbuf_flush(struct imsgbuf *imsgbuf)
{
	struct pollfd	 pfd;

	while (imsgbuf_queuelen(imsgbuf) > 0) {
		if (imsgbuf_write(imsgbuf) == -1)
			return -1;
		if (imsgbuf_queuelen(imsgbuf) == 0)
			break;
		pfd.fd = imsgbuf->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Free everything; the socket stays open.  Only imsgbuf_init() may follow. */
void
imsgbuf_clear(struct imsgbuf *imsgbuf)
{
	int	 fd;

	msgbuf_clear(&imsgbuf->w);
	while ((fd = imsgbuf_popfd(imsgbuf)) != -1)
		close(fd);
	freezero(imsgbuf->rbuf, imsgbuf->rsize);
	imsgbuf->rbuf = NULL;
	imsgbuf->rsize = imsgbuf->rpos = imsgbuf->rlen = 0;
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *imsgbuf)
{
	return imsgbuf->w.queued;
}

/* A message buffer holding the header; imsg_close() fills in len. */
static struct ibuf *
imsg_start(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    uint32_t pid, size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*msg;

	if (datalen > imsgbuf->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return NULL;
	}
	if ((msg = ibuf_dynamic(IMSG_HEADER_SIZE + datalen,
	    imsgbuf->maxsize)) == NULL)
		return NULL;
	hdr.type = type;
	hdr.len = 0;
	hdr.peerid = peerid;
	hdr.pid = pid;
	if (ibuf_add(msg, &hdr, sizeof(hdr)) == -1) {
		ibuf_free(msg);
		return NULL;
	}
	return msg;
}

/* A pid of 0 stands for this process.  datalen is a hint. */
struct ibuf *
imsg_create(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, size_t datalen)
{
	if (pid == 0)
		pid = imsgbuf->pid;
	return imsg_start(imsgbuf, type, peerid, pid, datalen);
}

/* Returns len, or -1 after freeing msg (so calls can be chained). */
int
imsg_add(struct ibuf *msg, const void *data, size_t len)
{
	if (msg == NULL)
		return -1;
	if (ibuf_add(msg, data, len) == -1) {
		ibuf_free(msg);
		return -1;
	}
	return len;
}

void
imsg_close(struct imsgbuf *imsgbuf, struct ibuf *msg)
{
	uint32_t	 len;

	if (msg == NULL)
		return;
	len = msg->wpos;
	if (msg->fd != -1)
		len |= IMSG_FD_MARK;
	memcpy(msg->buf + offsetof(struct imsg_hdr, len), &len, sizeof(len));
	msgbuf_enqueue(&imsgbuf->w, msg);
}

/*
 * Queue a message.  The library owns fd from here on: it is closed once
 * sent, or now if composing fails.  Returns 1, or -1.
 */
int
imsg_compose(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	struct iovec	 iov;

	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = datalen;
	return imsg_composev(imsgbuf, type, peerid, pid, fd, &iov, 1);
}

int
imsg_composev(struct imsgbuf *imsgbuf, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*msg;
	size_t		 datalen = 0;
	int		 i;

	if (iovcnt < 0) {
		errno = EINVAL;
		goto fail;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > SIZE_MAX - datalen) {
			errno = ERANGE;
			goto fail;
		}
		datalen += iov[i].iov_len;
	}
	if ((msg = imsg_create(imsgbuf, type, peerid, pid, datalen)) == NULL)
		goto fail;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(msg, iov[i].iov_base, iov[i].iov_len) == -1)
			goto fail;
	msg->fd = fd;
	imsg_close(imsgbuf, msg);
	return 1;
 fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/* Queue a received message again with the same header; its fd stays. */
int
imsg_forward(struct imsgbuf *imsgbuf, struct imsg *imsg)
{
	struct ibuf	*msg;
	size_t		 len;

	len = imsg_get_len(imsg);
	if ((msg = imsg_start(imsgbuf, imsg->hdr.type, imsg->hdr.peerid,
	    imsg->hdr.pid, len)) == NULL)
		return -1;
	if (len > 0 && imsg_add(msg, ibuf_data(imsg->buf), len) == -1)
		return -1;
	imsg_close(imsgbuf, msg);
	return 1;
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return imsg->hdr.type;
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return imsg->hdr.peerid;
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return imsg->hdr.pid;
}

/* Payload length. */
size_t
imsg_get_len(struct imsg *imsg)
{
	if (imsg->buf == NULL)
		return 0;
	return ibuf_size(imsg->buf);
}

/* The fd, once: the caller owns and must close it. */
int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

/* Copy the payload, which must be exactly len bytes. */
int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (imsg_get_len(imsg) != len) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(data, ibuf_data(imsg->buf), len);
	return 0;
}

/* A reader over the payload, valid until imsg_free(). */
int
imsg_get_ibuf(struct imsg *imsg, struct ibuf *ibuf)
{
	if (imsg->buf == NULL) {
		errno = EBADMSG;
		return -1;
	}
	ibuf_from_buffer(ibuf, ibuf_data(imsg->buf), ibuf_size(imsg->buf));
	return 0;
}

void
imsg_free(struct imsg *imsg)
{
	ibuf_free(imsg->buf);
	if (imsg->fd != -1)
		close(imsg->fd);
	imsg->buf = NULL;
	imsg->data = NULL;
	imsg->fd = -1;
}
