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
 * What mgmt and signal share as clients of a NetBird server: the
 * server's host and port, its name resolved through the dns child into
 * grpc's address list at the start of every attempt, the wait between
 * attempts with NetBird's backoff, the CA bundle, and text from the
 * server made safe to show.
 *
 * An attempt: server_resolve(), then ready() once libcurl has the
 * addresses (at once for an address), or fail() with the reason.  After
 * a failure the process calls server_wait() with its backoff; retry()
 * comes when it is over (NULL for a process that never waits: the
 * metrics push).  server_cancel() stops either.
 */

#ifndef NBD_SERVER_H
#define NBD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <event.h>

#include "netbirdd.h"

#define SERVER_DNS_MS		30000	/* no answer from dns: fail */

struct server {
	char		 host[NBD_DNS_HOST_MAX];	/* [v6] in brackets */
	uint16_t	 port;
	int		 literal;	/* host is an address */
	uint32_t	 next_qid;
	uint32_t	 qid;		/* the query waited for, 0: none */
	int		 waiting;	/* the timer is the backoff */
	struct event	 timer;		/* the backoff, or the dns deadline */
	void		(*ready)(void);
	void		(*fail)(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
	void		(*retry)(void);
};

/*
 * NetBird's exponential backoff (cenkalti/backoff): each wait is the
 * interval, randomised by a factor, and the interval then grows by a
 * multiplier up to a maximum.  Server connections use 1.7 and
 * randomisation 1 (BACKOFF_SERVER); ice's offer guard 2 and 0.1.
 */
struct backoff {
	double		 initial_ms;
	double		 max_ms;
	double		 cur_ms;
	double		 multiplier;
	double		 randomisation;
};

#define BACKOFF_SERVER	1.7, 1.0

/*
 * The reasons an outage was logged with: each distinct one once, the
 * first SERVER_WHYS of them, so that a cause that changes (the server
 * went away, then its name stopped resolving) is told without a line
 * per attempt.
 */
#define SERVER_WHYS		4

struct server_whys {
	char		 why[SERVER_WHYS][CTL_MSG_LEN];
	size_t		 n;
};

/*
 * Warnings that name what outside input names (a peer's key, a relay
 * URL): each name once a minute, and burst lines a minute in all.  The
 * table remembers the last nslots names (by hash), forgetting the
 * oldest first.
 */
#define LOG_LIMIT_NS		(60 * 1000000000LL)

struct log_limit_slot {
	uint8_t		 id[32];
	int64_t		 at;		/* monotonic ns; 0: free */
};

struct log_limit {
	struct log_limit_slot	*slots;
	size_t			 nslots;
	int			 burst;
	int64_t			 window;	/* the minute of the burst */
	int			 count;
};

void	 server_init(struct server *, void (*)(void),
	    void (*)(const char *, ...), void (*)(void));
int	 server_parse(struct server *, const char *, uint16_t);
void	 server_resolve(struct server *);
void	 server_wait(struct server *, int);
void	 server_cancel(struct server *);
void	 server_dns_answer(struct server *, struct imsg *);
void	 server_ca_read(void **, size_t *);
void	 server_printable(char *);
int	 server_why_new(struct server_whys *, const char *);
int	 log_limit_allowed(struct log_limit *, const void *, size_t);

void	 backoff_init(struct backoff *, int, int, double, double);
void	 backoff_reset(struct backoff *);
int	 backoff_next(struct backoff *);

#endif
