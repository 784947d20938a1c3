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
 * imsg: typed messages over a stream socket, with file descriptor passing.
 * The names and semantics follow OpenBSD's imsg_init(3) and ibuf_add(3);
 * the code is our own.
 */

#ifndef NBD_IMSG_H
#define NBD_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#define IBUF_READ_SIZE		65535
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define MAX_IMSGSIZE		16384	/* default maximum, header included */
#define IMSG_SIZE_LIMIT		(64 * 1024 * 1024) /* largest maxsize */

struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;		/* allocated */
	size_t			 max;		/* growth limit */
	size_t			 wpos;		/* end of data */
	size_t			 rpos;		/* read position */
	int			 fd;		/* passed with the message, or -1 */
};

struct msgbuf {
	TAILQ_HEAD(, ibuf)	 bufs;
	uint32_t		 queued;
};

struct imsg_fd;

struct imsgbuf {
	struct msgbuf		 w;
	TAILQ_HEAD(, imsg_fd)	 fds;		/* received, not yet claimed */
	unsigned char		*rbuf;		/* received, not yet parsed */
	size_t			 rsize;		/* allocated, grows to maxsize */
	size_t			 rpos;		/* start of the unparsed bytes */
	size_t			 rlen;		/* end of the unparsed bytes */
	size_t			 nrfds;		/* entries in fds */
	size_t			 maxsize;	/* largest message, header incl. */
	int			 fd;
	int			 allow_fdpass;
	pid_t			 pid;
};

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header included */
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	void		*data;		/* payload, or NULL when empty */
	struct ibuf	*buf;		/* the payload as a read-only ibuf */
	int		 fd;
};

/* ibufs: growable buffers with bounds-checked readers. */
struct ibuf	*ibuf_open(size_t);
struct ibuf	*ibuf_dynamic(size_t, size_t);
int		 ibuf_add(struct ibuf *, const void *, size_t);
int		 ibuf_add_n8(struct ibuf *, uint64_t);
int		 ibuf_add_n16(struct ibuf *, uint64_t);
int		 ibuf_add_n32(struct ibuf *, uint64_t);
int		 ibuf_add_n64(struct ibuf *, uint64_t);
int		 ibuf_add_zero(struct ibuf *, size_t);
void		*ibuf_reserve(struct ibuf *, size_t);
void		*ibuf_data(const struct ibuf *);
size_t		 ibuf_size(const struct ibuf *);
size_t		 ibuf_left(const struct ibuf *);
int		 ibuf_skip(struct ibuf *, size_t);
int		 ibuf_get(struct ibuf *, void *, size_t);
int		 ibuf_get_n8(struct ibuf *, uint8_t *);
int		 ibuf_get_n16(struct ibuf *, uint16_t *);
int		 ibuf_get_n32(struct ibuf *, uint32_t *);
int		 ibuf_get_n64(struct ibuf *, uint64_t *);
int		 ibuf_get_strbuf(struct ibuf *, char *, size_t);
void		 ibuf_from_buffer(struct ibuf *, void *, size_t);
void		 ibuf_free(struct ibuf *);

/* The write queue, used by imsg.c. */
void		 msgbuf_init(struct msgbuf *);
void		 msgbuf_enqueue(struct msgbuf *, struct ibuf *);
int		 msgbuf_write(int, struct msgbuf *);
void		 msgbuf_clear(struct msgbuf *);

/* imsgbuf: one end of a socketpair. */
int		 imsgbuf_init(struct imsgbuf *, int);
void		 imsgbuf_allow_fdpass(struct imsgbuf *);
int		 imsgbuf_set_maxsize(struct imsgbuf *, uint32_t);
int		 imsgbuf_read(struct imsgbuf *);
int		 imsgbuf_write(struct imsgbuf *);
int		 imsgbuf_flush(struct imsgbuf *);
void		 imsgbuf_clear(struct imsgbuf *);
uint32_t	 imsgbuf_queuelen(struct imsgbuf *);
ssize_t		 imsgbuf_get(struct imsgbuf *, struct imsg *);

/* composing */
int		 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t,
		    int, const void *, size_t);
int		 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t,
		    int, const struct iovec *, int);
int		 imsg_forward(struct imsgbuf *, struct imsg *);
struct ibuf	*imsg_create(struct imsgbuf *, uint32_t, uint32_t, pid_t,
		    size_t);
int		 imsg_add(struct ibuf *, const void *, size_t);
void		 imsg_close(struct imsgbuf *, struct ibuf *);

/* reading a received message */
uint32_t	 imsg_get_type(struct imsg *);
uint32_t	 imsg_get_id(struct imsg *);
pid_t		 imsg_get_pid(struct imsg *);
size_t		 imsg_get_len(struct imsg *);
int		 imsg_get_fd(struct imsg *);
int		 imsg_get_data(struct imsg *, void *, size_t);
int		 imsg_get_ibuf(struct imsg *, struct ibuf *);
void		 imsg_free(struct imsg *);

#endif
