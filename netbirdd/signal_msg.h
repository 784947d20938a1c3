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
 * Signal messages (protocol.md 4.4): between the protobuf Body of the
 * wire and the struct nbd_signal_msg that signal and ice exchange, and
 * the EncryptedMessage envelope around a boxed Body.  Pure functions:
 * no process state, so that the unit test and the fuzz target drive
 * them as signal does.
 *
 * Everything from the network is bounds-checked and refused with a
 * reason (a static string) rather than cut: strings must fit their
 * field with room for the NUL and be printable ASCII, the type must be
 * one NetBird defines, OFFER and ANSWER credentials must be one
 * "ufrag:pwd", a port must be a port.  A sessionId of another length
 * than 5 bytes, or a relayServerIP of another length than 4 or 16, is
 * ignored as NetBird ignores it.
 */

#ifndef NBD_SIGNAL_MSG_H
#define NBD_SIGNAL_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "netbirdd.h"
#include "box.h"
#include "signalexchange.pb-c.h"

/* Body.type of the self-addressed probe; it never leaves signal. */
#define SIGNAL_MSG_HEARTBEAT	6

/* A received envelope: who sent it to whom, and the boxed Body. */
struct signal_env {
	Signalexchange__EncryptedMessage *em;
	uint8_t		 from[KEY_LEN];
	uint8_t		 to[KEY_LEN];
};

const char	*signal_env_unpack(struct signal_env *, const uint8_t *,
		    size_t);
void		 signal_env_free(struct signal_env *);
const char	*signal_msg_open(const uint8_t [BOX_KEY_LEN],
		    const struct signal_env *, struct nbd_signal_msg *);
const char	*signal_msg_decode(const uint8_t *, size_t,
		    struct nbd_signal_msg *);

const char	*signal_msg_invalid(const struct nbd_signal_msg *);
uint8_t		*signal_msg_encode(const struct nbd_signal_msg *, size_t *);
uint8_t		*signal_msg_seal(const uint8_t [BOX_KEY_LEN], const char *,
		    const char *, const struct nbd_signal_msg *, size_t *);

#endif
