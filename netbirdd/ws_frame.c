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
 * WebSocket (RFC 6455), the client's side, without I/O: the opening
 * handshake and the frames.  Everything from the server is read with
 * its length checked first: the response head is bounded by
 * WS_HANDSHAKE_MAX, a frame header by WS_FRAME_HDR_MAX, a control
 * payload by its 125-byte buffer and a message by the reader's maximum,
 * checked from the frame header before any payload byte is stored.
 *
 * Sec-WebSocket-Accept is base64(SHA-1(key GUID)).  libsodium has no
 * SHA-1, so it comes from libcrypto, which libcurl (OpenSSL flavour)
 * has loaded anyway.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>
#include <sodium.h>

#include "log.h"
#include "relay.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_NONCE_LEN	16
#define WS_CTL_MAX	125
#define WS_BUF_MIN	4096

static int	 ws_visible(const char *);
static const char *hs_eol(const char *, const char *);
static int	 hs_status(const char *, size_t, const char **);
static int	 hs_header(const char *, size_t, const char *, int *,
		    const char **);
static int	 hs_token(const char *, size_t, const char *);
static int	 hs_value(const char *, size_t, const char *);
static void	 ws_accept(const char *, char *, size_t);
static int	 rd_header(struct ws_reader *);
static size_t	 rd_hdrneed(const struct ws_reader *);
static int	 rd_grow(struct ws_reader *, size_t);
static int	 rd_frame_end(struct ws_reader *, ws_message_cb, void *);
static void	 ws_mask(uint8_t *, const uint8_t *, size_t, const uint8_t *);

/*
 * The opening handshake.
 */

void
ws_key_new(char *key, size_t size)
{
	uint8_t	nonce[WS_NONCE_LEN];

	if (size < WS_KEY_LEN + 1)
		fatalx("%s: buffer too small", __func__);
	arc4random_buf(nonce, sizeof(nonce));
	sodium_bin2base64(key, size, nonce, sizeof(nonce),
	    sodium_base64_VARIANT_ORIGINAL);
}

/* Printable ASCII without space: what a host or path may hold. */
static int
ws_visible(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;

	for (; *u != '\0'; u++)
		if (*u <= ' ' || *u >= 0x7f)
			return 0;
	return 1;
}

int
ws_handshake_request(char *buf, size_t size, const char *host, uint16_t port,
    int tls, const char *path, const char *key)
{
	char	hostport[300];
	int	len, bracket;

	if (*host == '\0' || !ws_visible(host) || strchr(host, '/') != NULL ||
	    path[0] != '/' || !ws_visible(path) ||
	    strlen(key) != WS_KEY_LEN || !ws_visible(key) || port == 0)
		return -1;
	bracket = strchr(host, ':') != NULL && host[0] != '[';
	if (port == (tls ? 443 : 80))
		len = snprintf(hostport, sizeof(hostport), "%s%s%s",
		    bracket ? "[" : "", host, bracket ? "]" : "");
	else
		len = snprintf(hostport, sizeof(hostport), "%s%s%s:%u",
		    bracket ? "[" : "", host, bracket ? "]" : "", port);
	if (len < 0 || (size_t)len >= sizeof(hostport))
		return -1;
	len = snprintf(buf, size,
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "\r\n", path, hostport, key);
	if (len < 0 || (size_t)len >= size)
		return -1;
	return len;
}

static void
ws_accept(const char *key, char *out, size_t outsize)
{
	uint8_t	in[WS_KEY_LEN + sizeof(WS_GUID) - 1];
	uint8_t	md[SHA_DIGEST_LENGTH];

	memcpy(in, key, WS_KEY_LEN);
	memcpy(in + WS_KEY_LEN, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1(in, sizeof(in), md);
	sodium_bin2base64(out, outsize, md, sizeof(md),
	    sodium_base64_VARIANT_ORIGINAL);
}

/* The CRLF that ends the line at p; the head ends with one. */
static const char *
hs_eol(const char *p, const char *end)
{
	while (p + 1 < end && (p[0] != '\r' || p[1] != '\n'))
		p++;
	return p;
}

/* "HTTP/1.1 101 reason": 0, or -1 with *why. */
static int
hs_status(const char *l, size_t len, const char **why)
{
	if (len < 12 || memcmp(l, "HTTP/1.1 ", 9) != 0 ||
	    l[9] < '0' || l[9] > '9' || l[10] < '0' || l[10] > '9' ||
	    l[11] < '0' || l[11] > '9' || (len > 12 && l[12] != ' ')) {
		*why = "malformed status line";
		return -1;
	}
	if (memcmp(l + 9, "101", 3) != 0) {
		*why = "status is not 101 Switching Protocols";
		return -1;
	}
	return 0;
}

/* The value (trimmed) is token, without regard to case. */
static int
hs_value(const char *v, size_t len, const char *token)
{
	return len == strlen(token) && strncasecmp(v, token, len) == 0;
}

/* The comma-separated value holds token, without regard to case. */
static int
hs_token(const char *v, size_t len, const char *token)
{
	const char	*end = v + len, *comma;
	size_t		 n;

	while (v < end) {
		if ((comma = memchr(v, ',', end - v)) == NULL)
			comma = end;
		n = comma - v;
		while (n > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			n--;
		}
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (hs_value(v, n, token))
			return 1;
		v = comma + 1;
	}
	return 0;
}

#define HS_UPGRADE	0x1
#define HS_CONNECTION	0x2
#define HS_ACCEPT	0x4

/* One header line of the response; *seen collects the ones we need. */
static int
hs_header(const char *l, size_t len, const char *accept, int *seen,
    const char **why)
{
	const char	*colon, *v;
	size_t		 nlen, vlen, i;

	if ((colon = memchr(l, ':', len)) == NULL || colon == l) {
		*why = "malformed header line";
		return -1;
	}
	nlen = colon - l;
	for (i = 0; i < nlen; i++)
		if ((unsigned char)l[i] <= ' ' || (unsigned char)l[i] >= 0x7f) {
			*why = "malformed header name";
			return -1;
		}
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (hs_value(l, nlen, "Upgrade")) {
		if (!hs_value(v, vlen, "websocket")) {
			*why = "Upgrade is not websocket";
			return -1;
		}
		*seen |= HS_UPGRADE;
	} else if (hs_value(l, nlen, "Connection")) {
		if (hs_token(v, vlen, "Upgrade"))
			*seen |= HS_CONNECTION;
	} else if (hs_value(l, nlen, "Sec-WebSocket-Accept")) {
		if ((*seen & HS_ACCEPT) || vlen != strlen(accept) ||
		    memcmp(v, accept, vlen) != 0) {
			*why = "wrong Sec-WebSocket-Accept";
			return -1;
		}
		*seen |= HS_ACCEPT;
	} else if (hs_value(l, nlen, "Sec-WebSocket-Extensions") ||
	    hs_value(l, nlen, "Sec-WebSocket-Protocol")) {
		*why = "an extension or subprotocol we did not ask for";
		return -1;
	}
	return 0;
}

int
ws_handshake_response(const uint8_t *buf, size_t len, const char *key,
    size_t *used, const char **why)
{
	static const char	 prefix[] = "HTTP/1.";
	const char		*p = (const char *)buf, *end, *eol;
	char			 accept[WS_KEY_LEN + 8];
	size_t			 n, i;
	int			 seen = 0;

	n = MINIMUM(len, sizeof(prefix) - 1);
	if (memcmp(p, prefix, n) != 0) {
		*why = "not an HTTP response";
		return -1;
	}
	n = MINIMUM(len, WS_HANDSHAKE_MAX);
	if ((end = memmem(p, n, "\r\n\r\n", 4)) == NULL) {
		if (len >= WS_HANDSHAKE_MAX) {
			*why = "response head too long";
			return -1;
		}
		return 0;
	}
	for (i = 0; i < (size_t)(end - p); i++)
		if ((buf[i] < ' ' && buf[i] != '\r' && buf[i] != '\n' &&
		    buf[i] != '\t') || buf[i] == 0x7f) {
			*why = "control character in the response head";
			return -1;
		}
	if (strlen(key) != WS_KEY_LEN)
		fatalx("%s: not a key of ws_key_new()", __func__);
	ws_accept(key, accept, sizeof(accept));
	end += 2;		/* the head's last CRLF ends its last line */
	for (p = (const char *)buf; p < end; p = eol + 2) {
		eol = hs_eol(p, end);
		if (memchr(p, '\n', eol - p) != NULL ||
		    memchr(p, '\r', eol - p) != NULL) {
			*why = "bare CR or LF in the response head";
			return -1;
		}
		if (p == (const char *)buf) {
			if (hs_status(p, eol - p, why) == -1)
				return -1;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			*why = "folded header line";
			return -1;
		}
		if (hs_header(p, eol - p, accept, &seen, why) == -1)
			return -1;
	}
	if (!(seen & HS_UPGRADE)) {
		*why = "no Upgrade: websocket";
		return -1;
	}
	if (!(seen & HS_CONNECTION)) {
		*why = "no Connection: Upgrade";
		return -1;
	}
	if (!(seen & HS_ACCEPT)) {
		*why = "no Sec-WebSocket-Accept";
		return -1;
	}
	*used = end + 2 - (const char *)buf;
	return 1;
}

/*
 * Frames.
 */

/* dst = src XOR the 4-byte mask, eight bytes at a time. */
static void
ws_mask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *key)
{
	uint64_t	m, w;
	uint8_t		k8[8];
	size_t		i;

	memcpy(k8, key, 4);
	memcpy(k8 + 4, key, 4);
	memcpy(&m, k8, sizeof(m));
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, src + i, sizeof(w));
		w ^= m;
		memcpy(dst + i, &w, sizeof(w));
	}
	for (; i < len; i++)
		dst[i] = src[i] ^ key[i & 3];
}

size_t
ws_frame_encode(uint8_t *out, size_t outlen, int opcode, const uint8_t *p,
    size_t len)
{
	uint8_t	*key;
	size_t	 h, i;

	switch (opcode) {
	case WS_TEXT:
	case WS_BINARY:
		break;
	case WS_CLOSE:
	case WS_PING:
	case WS_PONG:
		if (len > WS_CTL_MAX)
			return 0;
		break;
	default:
		return 0;
	}
	h = len < 126 ? 2 : len <= UINT16_MAX ? 4 : 10;
	if (outlen < h + 4 || outlen - h - 4 < len)
		return 0;
	out[0] = 0x80 | opcode;
	if (h == 2)
		out[1] = 0x80 | len;
	else if (h == 4) {
		out[1] = 0x80 | 126;
		out[2] = len >> 8;
		out[3] = len;
	} else {
		out[1] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint64_t)len >> (56 - 8 * i);
	}
	key = out + h;
	arc4random_buf(key, 4);
	ws_mask(out + h + 4, p, len, key);
	return h + 4 + len;
}

void
ws_reader_init(struct ws_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void
ws_reader_clear(struct ws_reader *r)
{
	free(r->buf);
	ws_reader_init(r, r->max);
}

const char *
ws_reader_strerror(int e)
{
	switch (e) {
	case WS_READER_OK:
		return "no error";
	case WS_READER_PROTOCOL:
		return "WebSocket protocol error";
	case WS_READER_TOOBIG:
		return "message larger than the maximum";
	case WS_READER_NOMEM:
		return "out of memory";
	case WS_READER_STOPPED:
		return "stopped";
	}
	return "unknown error";
}

/* The length of the header begun in hdr (2 bytes in hand). */
static size_t
rd_hdrneed(const struct ws_reader *r)
{
	switch (r->hdr[1] & 0x7f) {
	case 126:
		return 4;
	case 127:
		return 10;
	}
	return 2;
}

/*
 * The first two bytes are checked as soon as they come, the length
 * when the header is complete.
 */
static int
rd_header(struct ws_reader *r)
{
	uint64_t	len;
	size_t		i;
	int		op = r->hdr[0] & 0x0f;

	if (r->hdrlen == 2) {
		if ((r->hdr[0] & 0x70) || (r->hdr[1] & 0x80))
			return WS_READER_PROTOCOL;	/* RSV, masked */
		switch (op) {
		case WS_CONT:
			if (r->msg_opcode == 0)
				return WS_READER_PROTOCOL;
			break;
		case WS_TEXT:
		case WS_BINARY:
			if (r->msg_opcode != 0)
				return WS_READER_PROTOCOL;
			break;
		case WS_CLOSE:
		case WS_PING:
		case WS_PONG:
			if (!(r->hdr[0] & 0x80) ||
			    (r->hdr[1] & 0x7f) > WS_CTL_MAX)
				return WS_READER_PROTOCOL;
			break;
		default:
			return WS_READER_PROTOCOL;
		}
	}
	if (r->hdrlen < rd_hdrneed(r))
		return WS_READER_OK;
	len = r->hdr[1] & 0x7f;
	if (len == 126)
		len = (uint64_t)r->hdr[2] << 8 | r->hdr[3];
	else if (len == 127) {
		if (r->hdr[2] & 0x80)
			return WS_READER_PROTOCOL;
		for (len = 0, i = 2; i < 10; i++)
			len = len << 8 | r->hdr[i];
	}
	if (op == WS_CLOSE && len == 1)
		return WS_READER_PROTOCOL;	/* a code is two bytes */
	if (op < WS_CLOSE && (len > r->max || len > r->max - r->len))
		return WS_READER_TOOBIG;
	r->opcode = op;
	r->fin = (r->hdr[0] & 0x80) != 0;
	r->framelen = len;
	r->framegot = 0;
	return WS_READER_OK;
}

/* Room for need bytes of the message, grown as data arrives. */
static int
rd_grow(struct ws_reader *r, size_t need)
{
	uint8_t	*p;
	size_t	 size;

	if (need <= r->size)
		return WS_READER_OK;
	size = r->size < WS_BUF_MIN ? WS_BUF_MIN : r->size;
	while (size < need)
		size = size > SIZE_MAX / 2 ? need : size * 2;
	if (size > r->max)
		size = MAXIMUM(r->max, need);
	if ((p = realloc(r->buf, size)) == NULL)
		return WS_READER_NOMEM;
	r->buf = p;
	r->size = size;
	return WS_READER_OK;
}

/* A frame's payload is complete: deliver it, or wait for more fragments. */
static int
rd_frame_end(struct ws_reader *r, ws_message_cb cb, void *arg)
{
	size_t	len;
	int	op;

	r->hdrlen = 0;
	if (r->opcode >= WS_CLOSE) {
		if (cb(arg, r->opcode, r->ctl, r->framelen) != 0)
			return WS_READER_STOPPED;
		return WS_READER_OK;
	}
	if (r->opcode != WS_CONT)
		r->msg_opcode = r->opcode;
	if (!r->fin)
		return WS_READER_OK;
	op = r->msg_opcode;
	len = r->len;
	r->msg_opcode = 0;
	r->len = 0;
	/* Never a null pointer, even for an empty message. */
	if (cb(arg, op, r->buf != NULL ? r->buf : r->ctl, len) != 0)
		return WS_READER_STOPPED;
	return WS_READER_OK;
}

int
ws_reader_feed(struct ws_reader *r, const uint8_t *p, size_t len,
    ws_message_cb cb, void *arg)
{
	size_t	n, need;
	int	e;

	while (len > 0) {
		need = r->hdrlen < 2 ? 2 : rd_hdrneed(r);
		if (r->hdrlen < need) {
			n = MINIMUM(len, need - r->hdrlen);
			memcpy(r->hdr + r->hdrlen, p, n);
			r->hdrlen += n;
			p += n;
			len -= n;
			if (r->hdrlen >= 2 &&
			    (e = rd_header(r)) != WS_READER_OK)
				return e;
			if (r->hdrlen < 2 || r->hdrlen < rd_hdrneed(r))
				continue;
			if (r->framelen == 0 &&
			    (e = rd_frame_end(r, cb, arg)) != WS_READER_OK)
				return e;
			continue;
		}
		if (r->opcode < WS_CLOSE && r->fin && r->msg_opcode == 0 &&
		    r->framegot == 0 && len >= r->framelen) {
			/* A whole message in this chunk: no copy. */
			n = r->framelen;
			r->hdrlen = 0;
			if (cb(arg, r->opcode, p, n) != 0)
				return WS_READER_STOPPED;
			p += n;
			len -= n;
			continue;
		}
		n = MINIMUM(len, r->framelen - r->framegot);
		if (r->opcode >= WS_CLOSE)
			memcpy(r->ctl + r->framegot, p, n);
		else {
			if ((e = rd_grow(r, r->len + n)) != WS_READER_OK)
				return e;
			memcpy(r->buf + r->len, p, n);
			r->len += n;
		}
		r->framegot += n;
		p += n;
		len -= n;
		if (r->framegot == r->framelen &&
		    (e = rd_frame_end(r, cb, arg)) != WS_READER_OK)
			return e;
	}
	return WS_READER_OK;
}
