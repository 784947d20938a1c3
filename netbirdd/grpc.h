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
 * gRPC calls over HTTP/2 with libcurl's multi interface on libevent.
 * The module moves serialised messages; it knows nothing of protobuf.
 *
 * Call grpc_init() before the chroot and the seccomp filter: it
 * initialises libcurl and OpenSSL, and keeps the CA bundle in memory.
 * Host names are never resolved here: give every server's addresses
 * with grpc_set_resolve() before starting a call to it.
 */

#ifndef NBD_GRPC_H
#define NBD_GRPC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Status codes of the gRPC protocol. */
enum grpc_code {
	GRPC_OK = 0,
	GRPC_CANCELLED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_INTERNAL = 13,
	GRPC_UNAVAILABLE = 14,
	GRPC_DATA_LOSS = 15,
	GRPC_UNAUTHENTICATED = 16
};

#define GRPC_FRAME_HDRLEN	5
#define GRPC_MAX_MSG_DEFAULT	(16 * 1024 * 1024)
#define GRPC_MAX_ADDRS		8
#define GRPC_MAX_MESSAGE_TEXT	512	/* grpc-message kept, decoded */

/*
 * Incremental reader of Length-Prefixed-Messages: a flag byte (0, no
 * compression), a 4-byte big-endian length, the message.  Feed it any
 * split of the byte stream; every complete message goes to the callback.
 */
struct grpc_frame_reader {
	uint8_t		 hdr[GRPC_FRAME_HDRLEN];
	size_t		 hdrlen;
	size_t		 msglen;
	uint8_t		*buf;
	size_t		 bufsize;
	size_t		 got;
	size_t		 max;
	int		 error;
};

enum grpc_frame_status {
	GRPC_FRAME_OK = 0,
	GRPC_FRAME_COMPRESSED = -1,	/* flag byte 1 */
	GRPC_FRAME_BADFLAG = -2,	/* flag byte other than 0 or 1 */
	GRPC_FRAME_TOOBIG = -3,		/* length over the maximum */
	GRPC_FRAME_NOMEM = -4,
	GRPC_FRAME_STOPPED = -5		/* the callback returned non-zero */
};

/* Returns 0 to go on, anything else to stop the reader. */
typedef int	(*grpc_frame_cb)(void *, const uint8_t *, size_t);

void		 grpc_frame_init(struct grpc_frame_reader *, size_t);
int		 grpc_frame_feed(struct grpc_frame_reader *, const void *,
		    size_t, grpc_frame_cb, void *);
int		 grpc_frame_partial(const struct grpc_frame_reader *);
void		 grpc_frame_clear(struct grpc_frame_reader *);
const char	*grpc_frame_strerror(int);
uint8_t		*grpc_frame_encode(const void *, size_t, size_t *);

/* grpc-message values are percent-encoded; decode into a C string. */
void		 grpc_percent_decode(const char *, size_t, char *, size_t);

enum grpc_call_kind {
	GRPC_UNARY,		/* one message each way */
	GRPC_SERVER_STREAM,	/* one message up, a stream down */
	GRPC_BIDI		/* headers up, then grpc_call_send() */
};

struct grpc_call;

struct grpc_metadata {
	const char	*name;		/* lower case */
	const char	*value;
};

struct grpc_call_params {
	const char	*url;		/* "https://host:port" or "http://..." */
	const char	*path;		/* "/package.Service/Method" */
	enum grpc_call_kind kind;
	const void	*msg;		/* request, not for GRPC_BIDI */
	size_t		 msglen;
	const struct grpc_metadata *md;	/* extra request headers */
	size_t		 nmd;
	size_t		 max_msg;	/* 0: GRPC_MAX_MSG_DEFAULT */
	int		 timeout_ms;	/* 0: no deadline */
	int		 headers_timeout_ms; /* GRPC_BIDI, 0: 15 s */

	/*
	 * on_headers: the response headers of a 200 response arrived (not
	 * called for a trailers-only answer); read them with
	 * grpc_call_header().  on_message: one response message, valid
	 * during the call.  on_done: always last, once, unless the call was
	 * cancelled; the call is freed when it returns.  No grpc_call_start()
	 * from on_headers or on_message (libcurl forbids it there); from
	 * on_done it is fine.  grpc_call_cancel() is allowed everywhere.
	 */
	void		(*on_headers)(struct grpc_call *, void *);
	void		(*on_message)(struct grpc_call *, const uint8_t *,
			    size_t, void *);
	void		(*on_done)(struct grpc_call *, int, const char *,
			    void *);
	void		*arg;
};

int		 grpc_init(struct event_base *, const void *, size_t);
void		 grpc_shutdown(void);
int		 grpc_set_resolve(const char *, uint16_t,
		    const char *const *, size_t);
struct curl_slist *grpc_resolve_list(void);
struct grpc_call *grpc_call_start(const struct grpc_call_params *);
int		 grpc_call_send(struct grpc_call *, const void *, size_t);
void		 grpc_call_cancel(struct grpc_call *);
const char	*grpc_call_header(struct grpc_call *, const char *);
const char	*grpc_code_name(int);

#endif
