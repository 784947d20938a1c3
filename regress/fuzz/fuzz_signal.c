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
 * What signal does with a message from the stream, on hostile bytes:
 * the EncryptedMessage envelope, the box, the Body, netbirdd/signal_msg.c
 * and netbirdd/box.c.  Byte 0 of the input says what the rest is:
 *   0: a Body; it is boxed with the harness's key into an envelope, so
 *      that the decoder behind the decryption is reached;
 *   1: an envelope as it comes from the signal server;
 *   2: a struct nbd_signal_msg as ice sends it: checked, and when
 *      accepted sealed, opened and compared.
 * A message that passes must be what ice may receive: strings
 * terminated, printable and within bounds, a known type, lengths of
 * the optional fields 0/5 and 0/4/16; encoded again it must decode to
 * the same.  A violation aborts.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "box.h"
#include "signal_msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	key[BOX_KEY_LEN] = "signal fuzz shared key, 32 bytes";
static const char	from[] = "c2lnbmFsIGZ1enogc2VuZGVyIGtleSwgMzIgYnl0ZXM=";
static const char	to[] = "c2lnbmFsIGZ1enogcmVjZWl2ZXIga2V5LCAzMiBieXQ=";

static void
str_check(const char *s, size_t size)
{
	size_t	i;

	if (memchr(s, '\0', size) == NULL)
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

/* A message signal accepted, as ice would get it. */
static void
accepted(const struct nbd_signal_msg *m)
{
	struct nbd_signal_msg	 d;
	uint8_t			*b;
	size_t			 len;

	str_check(m->payload, sizeof(m->payload));
	str_check(m->version, sizeof(m->version));
	str_check(m->relay_addr, sizeof(m->relay_addr));
	if (m->has_session_id > 1 || m->wg_port > 65535 ||
	    (m->relay_ip_len != 0 && m->relay_ip_len != 4 &&
	    m->relay_ip_len != 16))
		abort();
	if (m->type == SIGNAL_MSG_HEARTBEAT)
		return;
	if (signal_msg_invalid(m) != NULL)
		abort();
	b = signal_msg_encode(m, &len);
	if (signal_msg_decode(b, len, &d) != NULL)
		abort();
	free(b);
	/* What the Body of each type carries comes back as it was. */
	if (d.type != m->type || strcmp(d.payload, m->payload) != 0)
		abort();
	if ((m->type == NBD_SIG_OFFER || m->type == NBD_SIG_ANSWER) &&
	    (d.wg_port != m->wg_port || strcmp(d.version, m->version) != 0 ||
	    strcmp(d.relay_addr, m->relay_addr) != 0 ||
	    d.has_session_id != m->has_session_id ||
	    memcmp(d.session_id, m->session_id, sizeof(d.session_id)) != 0 ||
	    d.relay_ip_len != m->relay_ip_len ||
	    memcmp(d.relay_ip, m->relay_ip, m->relay_ip_len) != 0))
		abort();
}

static void
receive(const uint8_t *buf, size_t len)
{
	struct signal_env	env;
	struct nbd_signal_msg	m;

	if (signal_env_unpack(&env, buf, len) != NULL)
		return;
	if (signal_msg_open(key, &env, &m) == NULL) {
		if (memcmp(m.peer.key, env.from, sizeof(env.from)) != 0)
			abort();
		accepted(&m);
	}
	signal_env_free(&env);
}

static void
body(const uint8_t *data, size_t size)
{
	Signalexchange__EncryptedMessage em;
	uint8_t				*box, *buf;
	size_t				 len;

	if ((box = malloc(BOX_OVERHEAD + size)) == NULL)
		abort();
	memset(box, 0, crypto_box_NONCEBYTES);
	crypto_box_easy_afternm(box + crypto_box_NONCEBYTES, data, size, box,
	    key);
	signalexchange__encrypted_message__init(&em);
	em.key = (char *)from;
	em.remotekey = (char *)to;
	em.body.data = box;
	em.body.len = BOX_OVERHEAD + size;
	len = signalexchange__encrypted_message__get_packed_size(&em);
	if ((buf = malloc(len)) == NULL)
		abort();
	signalexchange__encrypted_message__pack(&em, buf);
	receive(buf, len);
	free(buf);
	free(box);
}

static void
from_ice(const uint8_t *data, size_t size)
{
	struct nbd_signal_msg	 m, d;
	struct signal_env	 env;
	uint8_t			*buf;
	size_t			 len;

	if (size != sizeof(m))
		return;
	memcpy(&m, data, sizeof(m));
	if (signal_msg_invalid(&m) != NULL)
		return;
	buf = signal_msg_seal(key, from, to, &m, &len);
	if (signal_env_unpack(&env, buf, len) != NULL ||
	    signal_msg_open(key, &env, &d) != NULL)
		abort();
	signal_env_free(&env);
	free(buf);
	if (d.type != m.type || (m.type <= NBD_SIG_CANDIDATE &&
	    strcmp(d.payload, m.payload) != 0))
		abort();
	accepted(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	init;

	if (!init) {
		if (sodium_init() == -1)
			abort();
		log_init(1, 0);
		log_setverbose(-1);
		init = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0:
		body(data + 1, size - 1);
		break;
	case 1:
		receive(data + 1, size - 1);
		break;
	case 2:
		from_ice(data + 1, size - 1);
		break;
	}
	return 0;
}
