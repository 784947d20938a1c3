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
 * The NetBird relay's binary messages (protocol.md 6.2-6.4): a version
 * byte, a type byte, and a body whose layout the type fixes.  The
 * decoder takes what a server may send a client and nothing else; the
 * encoders write what a client sends.
 *
 * Close and HealthCheck have no body; like the Go client we ignore any
 * bytes after their header rather than drop the connection.  The
 * instance URL of an AuthResponse ends up in logs and in our offers, so
 * it must be printable ASCII.
 */

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "compat.h"
#include "log.h"
#include "relay.h"

#define PEERID_PREFIX		"sha-"
#define PEERID_PREFIX_LEN	4
#define AUTH_MAGIC_LEN		4
#define AUTH_ALGO_HMAC_SHA256	0x01
#define AUTH_SIG_LEN		crypto_auth_hmacsha256_BYTES
/* header, magic, our ID, algorithm; then the signature and the payload */
#define AUTH_HDR_LEN		(RELAY_HDR_LEN + AUTH_MAGIC_LEN + \
				RELAY_PEERID_LEN + 1)

static const uint8_t auth_magic[AUTH_MAGIC_LEN] = { 0x21, 0x12, 0xa4, 0x42 };

static int	 text_ok(const uint8_t *, size_t);
static int	 decode_ids(const uint8_t *, size_t, struct relay_msg *,
		    const char **);
static int	 decode_url(const uint8_t *, size_t, struct relay_msg *,
		    const char **);
static void	 put_header(uint8_t *, int);

/* Printable ASCII, no space. */
static int
text_ok(const uint8_t *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

void
relay_peerid(const char *key, struct relay_peerid *pid)
{
	memcpy(pid->id, PEERID_PREFIX, PEERID_PREFIX_LEN);
	crypto_hash_sha256(pid->id + PEERID_PREFIX_LEN, (const uint8_t *)key,
	    strlen(key));
}

/*
 * The prefix is copied as it is, with '?' for what is not printable:
 * IDs from a server are never checked and may go to a log.
 */
const char *
relay_peerid_str(const struct relay_peerid *pid, char *buf, size_t len)
{
	size_t	i;

	if (len < RELAY_PEERID_STR)
		fatalx("%s: buffer of %zu bytes", __func__, len);
	for (i = 0; i < PEERID_PREFIX_LEN; i++)
		buf[i] = text_ok(pid->id + i, 1) ? (char)pid->id[i] : '?';
	sodium_bin2base64(buf + PEERID_PREFIX_LEN, len - PEERID_PREFIX_LEN,
	    pid->id + PEERID_PREFIX_LEN, RELAY_PEERID_LEN - PEERID_PREFIX_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	return buf;
}

static int
decode_ids(const uint8_t *body, size_t len, struct relay_msg *m,
    const char **why)
{
	if (len == 0) {
		*why = "empty peer ID list";
		return -1;
	}
	if (len % RELAY_PEERID_LEN != 0) {
		*why = "peer ID list not a multiple of 36 bytes";
		return -1;
	}
	m->ids = body;
	m->nids = len / RELAY_PEERID_LEN;
	return 0;
}

static int
decode_url(const uint8_t *body, size_t len, struct relay_msg *m,
    const char **why)
{
	if (len == 0) {
		*why = "empty instance URL";
		return -1;
	}
	if (RELAY_HDR_LEN + len > RELAY_AUTH_RESP_MAX) {
		*why = "auth response too long";
		return -1;
	}
	if (!text_ok(body, len)) {
		*why = "instance URL not printable";
		return -1;
	}
	m->url = (const char *)body;
	m->url_len = len;
	return 0;
}

int
relay_msg_decode(const uint8_t *buf, size_t len, struct relay_msg *m,
    const char **why)
{
	const uint8_t	*body;
	size_t		 blen;

	memset(m, 0, sizeof(*m));
	if (len < RELAY_HDR_LEN) {
		*why = "shorter than a header";
		return -1;
	}
	if (len > RELAY_MSG_MAX) {
		*why = "message too long";
		return -1;
	}
	if (buf[0] != RELAY_VERSION) {
		*why = "unsupported version";
		return -1;
	}
	m->type = buf[1];
	body = buf + RELAY_HDR_LEN;
	blen = len - RELAY_HDR_LEN;
	switch (m->type) {
	case RELAY_TRANSPORT:
		if (blen < RELAY_PEERID_LEN) {
			*why = "transport shorter than a peer ID";
			return -1;
		}
		memcpy(m->peer.id, body, RELAY_PEERID_LEN);
		m->payload = body + RELAY_PEERID_LEN;
		m->payload_len = blen - RELAY_PEERID_LEN;
		return 0;
	case RELAY_CLOSE:
	case RELAY_HEALTH:
		return 0;
	case RELAY_AUTH_RESPONSE:
		return decode_url(body, blen, m, why);
	case RELAY_PEERS_ONLINE:
	case RELAY_PEERS_OFFLINE:
		return decode_ids(body, blen, m, why);
	case RELAY_AUTH:
	case RELAY_SUBSCRIBE:
	case RELAY_UNSUBSCRIBE:
		*why = "type a client sends";
		return -1;
	}
	*why = "unknown type";
	return -1;
}

static void
put_header(uint8_t *buf, int type)
{
	buf[0] = RELAY_VERSION;
	buf[1] = (uint8_t)type;
}

size_t
relay_msg_header(uint8_t *buf, size_t len, int type)
{
	if (type != RELAY_CLOSE && type != RELAY_HEALTH)
		return 0;
	if (len < RELAY_HDR_LEN)
		return 0;
	put_header(buf, type);
	return RELAY_HDR_LEN;
}

size_t
relay_msg_transport(uint8_t *buf, size_t len, const struct relay_peerid *dst,
    const uint8_t *payload, size_t plen)
{
	if (plen > RELAY_MSG_MAX - RELAY_TRANSPORT_HDR)
		return 0;
	if (len < RELAY_TRANSPORT_HDR + plen)
		return 0;
	put_header(buf, RELAY_TRANSPORT);
	memcpy(buf + RELAY_HDR_LEN, dst->id, RELAY_PEERID_LEN);
	if (plen > 0)
		memcpy(buf + RELAY_TRANSPORT_HDR, payload, plen);
	return RELAY_TRANSPORT_HDR + plen;
}

/*
 * The payload is what management sent (an expiry in decimal); the
 * signature must be the base64 of a 32-byte HMAC-SHA256.
 */
size_t
relay_msg_auth(uint8_t *buf, size_t len, const struct relay_peerid *self,
    const char *payload, const char *sig_b64)
{
	uint8_t	 sig[AUTH_SIG_LEN];
	size_t	 plen, siglen, total;
	uint8_t	*p;

	plen = strlen(payload);
	if (plen == 0 || !text_ok((const uint8_t *)payload, plen))
		return 0;
	if (plen > RELAY_AUTH_MAX - AUTH_HDR_LEN - AUTH_SIG_LEN)
		return 0;
	total = AUTH_HDR_LEN + AUTH_SIG_LEN + plen;
	if (len < total)
		return 0;
	if (sodium_base642bin(sig, sizeof(sig), sig_b64, strlen(sig_b64),
	    NULL, &siglen, NULL, sodium_base64_VARIANT_ORIGINAL) == -1 ||
	    siglen != sizeof(sig)) {
		sodium_memzero(sig, sizeof(sig));
		return 0;
	}
	p = buf;
	put_header(p, RELAY_AUTH);
	p += RELAY_HDR_LEN;
	memcpy(p, auth_magic, AUTH_MAGIC_LEN);
	p += AUTH_MAGIC_LEN;
	memcpy(p, self->id, RELAY_PEERID_LEN);
	p += RELAY_PEERID_LEN;
	*p++ = AUTH_ALGO_HMAC_SHA256;
	memcpy(p, sig, sizeof(sig));
	p += sizeof(sig);
	memcpy(p, payload, plen);
	sodium_memzero(sig, sizeof(sig));
	return total;
}

size_t
relay_msg_peers(uint8_t *buf, size_t len, int type,
    const struct relay_peerid *ids, size_t nids)
{
	size_t	i, total;

	if (type != RELAY_SUBSCRIBE && type != RELAY_UNSUBSCRIBE)
		return 0;
	if (nids == 0 || nids > RELAY_IDS_CHUNK)
		return 0;
	total = RELAY_HDR_LEN + nids * RELAY_PEERID_LEN;
	if (len < total)
		return 0;
	put_header(buf, type);
	for (i = 0; i < nids; i++)
		memcpy(buf + RELAY_HDR_LEN + i * RELAY_PEERID_LEN, ids[i].id,
		    RELAY_PEERID_LEN);
	return total;
}
