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
 * Relay messages from a server (netbirdd/relay_msg.c) on hostile
 * bytes.  What decodes must lie inside the input and encode back to the
 * same bytes with our encoders; the sender's ID must print.  The same
 * bytes, cut at the first NUL into a token payload and a signature, go
 * to the Auth encoder, whose output must have the length of 6.4.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

/* header, magic, ID, algorithm, signature */
#define AUTH_FIXED	(2 + 4 + RELAY_PEERID_LEN + 1 + 32)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 check_decoded(const uint8_t *, size_t,
		    const struct relay_msg *);
static void	 check_auth(const uint8_t *, size_t);

static uint8_t	 out[RELAY_MSG_MAX + 64];

static void
check_decoded(const uint8_t *data, size_t size, const struct relay_msg *m)
{
	struct relay_peerid	 ids[RELAY_IDS_CHUNK];
	char			 s[RELAY_PEERID_STR];
	size_t			 n;

	switch (m->type) {
	case RELAY_TRANSPORT:
		if (m->payload != data + RELAY_TRANSPORT_HDR ||
		    m->payload_len != size - RELAY_TRANSPORT_HDR)
			abort();
		n = relay_msg_transport(out, sizeof(out), &m->peer,
		    m->payload, m->payload_len);
		if (n != size || memcmp(out, data, n) != 0)
			abort();
		if (strlen(relay_peerid_str(&m->peer, s, sizeof(s))) !=
		    RELAY_PEERID_STR - 1)
			abort();
		break;
	case RELAY_CLOSE:
	case RELAY_HEALTH:
		if (relay_msg_header(out, sizeof(out), m->type) != 2 ||
		    memcmp(out, data, 2) != 0)
			abort();
		break;
	case RELAY_AUTH_RESPONSE:
		if (m->url != (const char *)data + RELAY_HDR_LEN ||
		    m->url_len == 0 || m->url_len != size - RELAY_HDR_LEN ||
		    size > RELAY_AUTH_RESP_MAX ||
		    memchr(m->url, '\0', m->url_len) != NULL)
			abort();
		break;
	case RELAY_PEERS_ONLINE:
	case RELAY_PEERS_OFFLINE:
		if (m->ids != data + RELAY_HDR_LEN || m->nids == 0 ||
		    m->nids > RELAY_IDS_CHUNK ||
		    RELAY_HDR_LEN + m->nids * RELAY_PEERID_LEN != size)
			abort();
		memcpy(ids, m->ids, m->nids * RELAY_PEERID_LEN);
		n = relay_msg_peers(out, sizeof(out), RELAY_SUBSCRIBE, ids,
		    m->nids);
		if (n != size || memcmp(out + 2, data + 2, n - 2) != 0)
			abort();
		break;
	default:
		abort();
	}
}

static void
check_auth(const uint8_t *data, size_t size)
{
	struct relay_peerid	 self;
	char			*buf, *sig;
	size_t			 n;

	if ((buf = malloc(size + 2)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	sig = buf + strlen(buf) + 1;
	memset(self.id, 0x42, sizeof(self.id));
	n = relay_msg_auth(out, sizeof(out), &self, buf, sig);
	if (n != 0 && (n != AUTH_FIXED + strlen(buf) || n > RELAY_AUTH_MAX ||
	    out[0] != RELAY_VERSION || out[1] != RELAY_AUTH ||
	    memcmp(out + AUTH_FIXED, buf, n - AUTH_FIXED) != 0))
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_msg	 m;
	const char		*why = NULL;

	if (relay_msg_decode(data, size, &m, &why) == 0)
		check_decoded(data, size, &m);
	else if (why == NULL || *why == '\0')
		abort();
	check_auth(data, size);
	return 0;
}
