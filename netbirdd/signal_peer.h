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
 * The signal process in two parts: signal.c keeps the connection to the
 * signal server (the stream, its state, the watchdog); signal_peer.c
 * keeps the peers of the network map, their shared keys and the
 * messages to and from them.
 */

#ifndef NBD_SIGNAL_PEER_H
#define NBD_SIGNAL_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "netbirdd.h"

#define SIGNAL_SERVICE		"/signalexchange.SignalExchange/"

enum signal_counter {
	SIGNAL_DROPPED,		/* from keys not in the map */
	SIGNAL_REJECTED		/* from peers: not opened or decoded, or over
				   a bound (queue, bytes, rate) */
};

/* signal.c */
int64_t		 signal_now_ms(void);
int		 signal_is_up(void);
const char	*signal_url(void);
void		 signal_count(enum signal_counter);

/* signal_peer.c */
void		 sigpeer_init(void);
void		 sigpeer_self(const uint8_t *);
void		 sigpeer_add(struct imsg *, int);
void		 sigpeer_del(struct imsg *);
void		 sigpeer_key_shared(struct imsg *);
void		 sigpeer_recv(const uint8_t *, size_t);
void		 sigpeer_send(struct imsg *);
void		 sigpeer_probe(void);
void		 sigpeer_shutdown(void);

#endif
