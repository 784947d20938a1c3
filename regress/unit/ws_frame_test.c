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
 * Unit tests for netbirdd/ws_frame.c: the WebSocket opening handshake
 * (RFC 6455 section 4, with the example key of section 1.3), client
 * frames, and the incremental reader of server frames on every split
 * of a stream and on hostile input.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "compat.h"
#include "relay.h"

#define MAXMSGS		32
#define RFC_KEY		"dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

struct sink {
	size_t		 n;
	int		 op[MAXMSGS];
	size_t		 len[MAXMSGS];
	uint8_t		*msg[MAXMSGS];
	int		 null_seen;
	size_t		 stop_after;	/* 0: never stop */
};

static int	 failed;

static void	 check(int, const char *);
static int	 sink_cb(void *, int, const uint8_t *, size_t);
static void	 sink_free(struct sink *);
static size_t	 sframe(uint8_t *, int, int, const uint8_t *, size_t, int);
static int	 feed_all(const uint8_t *, size_t, size_t, struct sink *);
static int	 hs(const char *, size_t *, const char **);
static void	 test_key(void);
static void	 test_request(void);
static void	 test_response(void);
static void	 test_response_hostile(void);
static void	 test_encode(void);
static void	 test_reader_splits(void);
static void	 test_reader_lengths(void);
static void	 test_reader_hostile(void);
static void	 test_reader_limits(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static int
sink_cb(void *arg, int op, const uint8_t *msg, size_t len)
{
	struct sink	*s = arg;

	if (s->n == MAXMSGS)
		return -1;
	if (msg == NULL)
		s->null_seen = 1;
	s->op[s->n] = op;
	s->len[s->n] = len;
	if ((s->msg[s->n] = malloc(len + 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(s->msg[s->n], msg, len);
	s->n++;
	if (s->stop_after != 0 && s->n == s->stop_after)
		return 1;
	return 0;
}

static void
sink_free(struct sink *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->msg[i]);
	memset(s, 0, sizeof(*s));
}

/*
 * A server frame: b0 is FIN, RSV and opcode as given; lenform 7, 16 or
 * 64 picks the length encoding (0: the shortest).
 */
static size_t
sframe(uint8_t *p, int b0, int lenform, const uint8_t *data, size_t len,
    int masked)
{
	size_t	h, i;

	if (lenform == 0)
		lenform = len < 126 ? 7 : len <= 0xffff ? 16 : 64;
	p[0] = b0;
	if (lenform == 7) {
		p[1] = len;
		h = 2;
	} else if (lenform == 16) {
		p[1] = 126;
		p[2] = len >> 8;
		p[3] = len;
		h = 4;
	} else {
		p[1] = 127;
		for (i = 0; i < 8; i++)
			p[2 + i] = (uint64_t)len >> (56 - 8 * i);
		h = 10;
	}
	if (masked) {
		p[1] |= 0x80;
		memset(p + h, 0x5a, 4);
		h += 4;
	}
	if (len > 0)
		memcpy(p + h, data, len);
	return h + len;
}

/* The stream in chunks of chunk bytes; the first error or 0. */
static int
feed_all(const uint8_t *p, size_t len, size_t chunk, struct sink *s)
{
	struct ws_reader	r;
	size_t			off, n;
	int			e = WS_READER_OK;

	ws_reader_init(&r, 1 << 20);
	for (off = 0; off < len && e == WS_READER_OK; off += n) {
		n = MINIMUM(chunk, len - off);
		e = ws_reader_feed(&r, p + off, n, sink_cb, s);
	}
	ws_reader_clear(&r);
	return e;
}

static void
test_key(void)
{
	char		k1[WS_KEY_LEN + 1], k2[WS_KEY_LEN + 1];
	uint8_t		raw[32];
	size_t		rawlen;

	ws_key_new(k1, sizeof(k1));
	ws_key_new(k2, sizeof(k2));
	check(strlen(k1) == WS_KEY_LEN, "key: 24 characters");
	check(sodium_base642bin(raw, sizeof(raw), k1, strlen(k1), NULL,
	    &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    rawlen == 16, "key: base64 of 16 bytes");
	check(strcmp(k1, k2) != 0, "key: two keys differ");
}

static void
test_request(void)
{
	char	buf[512];
	int	n;

	n = ws_handshake_request(buf, sizeof(buf), "relay.example.com", 443,
	    1, "/relay", RFC_KEY);
	check(n > 0 && (size_t)n == strlen(buf) && strcmp(buf,
	    "GET /relay HTTP/1.1\r\n"
	    "Host: relay.example.com\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n") == 0,
	    "request: wss on 443, no port in Host");
	n = ws_handshake_request(buf, sizeof(buf), "relay.example.com", 80,
	    0, "/relay", RFC_KEY);
	check(n > 0 && strstr(buf, "\r\nHost: relay.example.com\r\n") != NULL,
	    "request: ws on 80, no port in Host");
	n = ws_handshake_request(buf, sizeof(buf), "relay.example.com", 443,
	    0, "/relay", RFC_KEY);
	check(n > 0 &&
	    strstr(buf, "\r\nHost: relay.example.com:443\r\n") != NULL,
	    "request: ws on 443 names the port");
	n = ws_handshake_request(buf, sizeof(buf), "10.0.0.1", 33080, 1,
	    "/relay", RFC_KEY);
	check(n > 0 && strstr(buf, "\r\nHost: 10.0.0.1:33080\r\n") != NULL,
	    "request: another port");
	n = ws_handshake_request(buf, sizeof(buf), "fd00::1", 8443, 1,
	    "/relay", RFC_KEY);
	check(n > 0 && strstr(buf, "\r\nHost: [fd00::1]:8443\r\n") != NULL,
	    "request: IPv6 literal in brackets");
	check(strstr(buf, "Sec-WebSocket-Protocol") == NULL &&
	    strstr(buf, "Sec-WebSocket-Extensions") == NULL,
	    "request: no subprotocol, no extension");
	check(ws_handshake_request(buf, sizeof(buf), "a\r\nX: y", 80, 0,
	    "/relay", RFC_KEY) == -1, "request: CRLF in host refused");
	check(ws_handshake_request(buf, sizeof(buf), "a", 80, 0,
	    "/re lay", RFC_KEY) == -1, "request: space in path refused");
	check(ws_handshake_request(buf, sizeof(buf), "a", 80, 0,
	    "relay", RFC_KEY) == -1, "request: path without / refused");
	check(ws_handshake_request(buf, sizeof(buf), "", 80, 0,
	    "/relay", RFC_KEY) == -1, "request: empty host refused");
	check(ws_handshake_request(buf, sizeof(buf), "a", 80, 0,
	    "/relay", "short") == -1, "request: bad key refused");
	check(ws_handshake_request(buf, 100, "relay.example.com", 443, 1,
	    "/relay", RFC_KEY) == -1, "request: small buffer refused");
}

static int
hs(const char *resp, size_t *used, const char **why)
{
	*why = NULL;
	*used = 0;
	return ws_handshake_response((const uint8_t *)resp, strlen(resp),
	    RFC_KEY, used, why);
}

static void
test_response(void)
{
	const char	*ok =
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n";
	const char	*why;
	char		 buf[512];
	size_t		 used, i, len = strlen(ok);
	int		 bad = 0;

	check(hs(ok, &used, &why) == 1 && used == len,
	    "response: RFC 6455 example key and accept");
	for (i = 0; i < len; i++)
		if (ws_handshake_response((const uint8_t *)ok, i, RFC_KEY,
		    &used, &why) != 0)
			bad = 1;
	check(!bad, "response: every prefix wants more");
	snprintf(buf, sizeof(buf), "%s\x82\x03" "abc", ok);
	check(hs(buf, &used, &why) == 1 && used == len,
	    "response: a frame after the head is left");
	check(hs("HTTP/1.1 101 \r\n"
	    "upgrade: WebSocket\r\n"
	    "CONNECTION: keep-alive, upgrade\r\n"
	    "Server: test\r\n"
	    "sec-websocket-accept:" RFC_ACCEPT "  \r\n\r\n", &used,
	    &why) == 1, "response: names and values without regard to case");
}

static void
test_response_hostile(void)
{
	static const struct {
		const char	*resp;
		const char	*what;
	} bad[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		    "a 200" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\n\r\n", "101 without Accept" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    "s3pPLMBiTxaQ9kYGzzhZRbK+xOp=\r\n\r\n", "a wrong Accept" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\nSec-WebSocket-Accept: " RFC_ACCEPT
		    "\r\n\r\n", "two Accepts" },
		{ "HTTP/1.1 101 Switching Protocols\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\n\r\n", "no Upgrade" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\n\r\n", "Upgrade: h2c" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: keep-alive\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\n\r\n", "Connection without Upgrade" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\nSec-WebSocket-Extensions: "
		    "permessage-deflate\r\n\r\n", "an extension" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\nSec-WebSocket-Protocol: x\r\n\r\n",
		    "a subprotocol" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    " Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\n\r\n", "a folded line" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Accept: "
		    RFC_ACCEPT "\r\n\r\n", "a bare LF" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n"
		    "\r\n", "a line without a colon" },
		{ "HTTP/1.0 101 Switching Protocols\r\n\r\n", "HTTP/1.0" },
		{ "HTTP/1.1 10 x\r\n\r\n", "a two-digit status" },
		{ "HTTP/1.1 1011\r\n\r\n", "a four-digit status" },
		{ "SSH-2.0-OpenSSH_9.2\r\n", "not HTTP" },
		{ "HTTP/1.1 101 Switching Protocols\r\nUp\x01grade: x\r\n\r\n",
		    "a control character" },
	};
	const char	*why;
	char		 what[128];
	uint8_t		*big;
	size_t		 used, i;
	int		 e;

	for (i = 0; i < nitems(bad); i++) {
		e = hs(bad[i].resp, &used, &why);
		snprintf(what, sizeof(what), "response refused: %s (%s)",
		    bad[i].what, e == -1 && why != NULL ? why : "accepted");
		check(e == -1 && why != NULL, what);
	}
	check(ws_handshake_response((const uint8_t *)"HTTP/1.1 101 x\r\n\0\r\n"
	    "\r\n", 21, RFC_KEY, &used, &why) == -1 && why != NULL,
	    "response refused: a NUL byte");

	if ((big = malloc(WS_HANDSHAKE_MAX + 64)) == NULL)
		abort();
	memcpy(big, "HTTP/1.1 101 Switching Protocols\r\nX: ", 37);
	memset(big + 37, 'a', WS_HANDSHAKE_MAX + 64 - 37);
	check(ws_handshake_response(big, WS_HANDSHAKE_MAX - 1, RFC_KEY, &used,
	    &why) == 0, "response: a long head under the limit wants more");
	check(ws_handshake_response(big, WS_HANDSHAKE_MAX, RFC_KEY, &used,
	    &why) == -1, "response refused: a head at the limit");
	memcpy(big + WS_HANDSHAKE_MAX - 2, "\r\n\r\n", 4);
	check(ws_handshake_response(big, WS_HANDSHAKE_MAX + 2, RFC_KEY, &used,
	    &why) == -1, "response refused: a head ending over the limit");
	free(big);
}

static void
test_encode(void)
{
	static const size_t	 lens[] = { 0, 1, 125, 126, 127, 65535,
				    65536, 70000 };
	static const size_t	 hlen[] = { 2, 2, 2, 4, 4, 4, 10, 10 };
	uint8_t			*in, *out, key[4];
	size_t			 i, j, n, h, len;
	uint64_t		 l;
	int			 ok;
	char			 what[80];

	if ((in = malloc(70000)) == NULL || (out = malloc(70100)) == NULL)
		abort();
	for (i = 0; i < 70000; i++)
		in[i] = i * 7;
	for (i = 0; i < nitems(lens); i++) {
		len = lens[i];
		n = ws_frame_encode(out, 70100, WS_BINARY, in, len);
		h = hlen[i];
		ok = n == h + 4 + len && out[0] == 0x82 && (out[1] & 0x80);
		if (h == 2)
			ok = ok && (out[1] & 0x7f) == len;
		else if (h == 4)
			ok = ok && (out[1] & 0x7f) == 126 &&
			    (size_t)(out[2] << 8 | out[3]) == len;
		else {
			for (l = 0, j = 0; j < 8; j++)
				l = l << 8 | out[2 + j];
			ok = ok && (out[1] & 0x7f) == 127 && l == len;
		}
		memcpy(key, out + h, 4);
		for (j = 0; ok && j < len; j++)
			ok = (out[h + 4 + j] ^ key[j & 3]) == in[j];
		snprintf(what, sizeof(what), "encode: %zu bytes, %zu-byte "
		    "header, masked", len, h);
		check(ok, what);
		check(ws_frame_encode(out, h + 3 + len, WS_BINARY, in, len) ==
		    0, "encode: one byte short refused");
	}
	n = ws_frame_encode(out, 100, WS_BINARY, in, 16);
	memcpy(key, out + 2, 4);
	n = ws_frame_encode(out, 100, WS_BINARY, in, 16);
	check(memcmp(key, out + 2, 4) != 0, "encode: a fresh mask per frame");
	check(ws_frame_encode(out, 200, WS_PING, in, 125) == 131 &&
	    out[0] == 0x89, "encode: ping of 125 bytes");
	check(ws_frame_encode(out, 200, WS_PING, in, 126) == 0,
	    "encode: ping of 126 bytes refused");
	check(ws_frame_encode(out, 200, WS_CONT, in, 1) == 0 &&
	    ws_frame_encode(out, 200, 3, in, 1) == 0,
	    "encode: continuation or unknown opcode refused");
	free(in);
	free(out);
}

/*
 * A stream of several frames: binary, ping, a fragmented message with
 * a ping and a pong between the fragments, a 16-bit frame, an empty
 * message, text, close.
 */
static void
test_reader_splits(void)
{
	uint8_t		 stream[4096], big[300];
	struct sink	 s;
	size_t		 len = 0, i;
	int		 bad = 0, e;
	char		 what[80];

	for (i = 0; i < sizeof(big); i++)
		big[i] = i;
	len += sframe(stream + len, 0x82, 0, (const uint8_t *)"hello", 5, 0);
	len += sframe(stream + len, 0x89, 0, (const uint8_t *)"p1", 2, 0);
	len += sframe(stream + len, 0x02, 0, (const uint8_t *)"frag", 4, 0);
	len += sframe(stream + len, 0x89, 0, (const uint8_t *)"p2", 2, 0);
	len += sframe(stream + len, 0x00, 16, (const uint8_t *)"ment", 4, 0);
	len += sframe(stream + len, 0x8a, 0, (const uint8_t *)"", 0, 0);
	len += sframe(stream + len, 0x80, 64, (const uint8_t *)"ed", 2, 0);
	len += sframe(stream + len, 0x82, 0, big, sizeof(big), 0);
	len += sframe(stream + len, 0x82, 0, NULL, 0, 0);
	len += sframe(stream + len, 0x81, 0, (const uint8_t *)"txt", 3, 0);
	len += sframe(stream + len, 0x88, 0, (const uint8_t *)"\x03\xe8" "bye",
	    5, 0);

	for (i = 0; i <= len; i++) {
		struct ws_reader	r;

		memset(&s, 0, sizeof(s));
		ws_reader_init(&r, 1024);
		e = ws_reader_feed(&r, stream, i, sink_cb, &s);
		if (e == WS_READER_OK)
			e = ws_reader_feed(&r, stream + i, len - i, sink_cb,
			    &s);
		ws_reader_clear(&r);
		if (e != WS_READER_OK || s.n != 9 || s.null_seen ||
		    s.op[0] != WS_BINARY || s.len[0] != 5 ||
		    memcmp(s.msg[0], "hello", 5) != 0 ||
		    s.op[1] != WS_PING || memcmp(s.msg[1], "p1", 2) != 0 ||
		    s.op[2] != WS_PING || memcmp(s.msg[2], "p2", 2) != 0 ||
		    s.op[3] != WS_PONG || s.len[3] != 0 ||
		    s.op[4] != WS_BINARY || s.len[4] != 10 ||
		    memcmp(s.msg[4], "fragmented", 10) != 0 ||
		    s.op[5] != WS_BINARY || s.len[5] != sizeof(big) ||
		    memcmp(s.msg[5], big, sizeof(big)) != 0 ||
		    s.op[6] != WS_BINARY || s.len[6] != 0 ||
		    s.op[7] != WS_TEXT || memcmp(s.msg[7], "txt", 3) != 0 ||
		    s.op[8] != WS_CLOSE || s.len[8] != 5 ||
		    memcmp(s.msg[8], "\x03\xe8" "bye", 5) != 0)
			bad = 1;
		sink_free(&s);
	}
	snprintf(what, sizeof(what), "reader: all %zu splits in two give the "
	    "same 9 messages", len + 1);
	check(!bad, what);
	memset(&s, 0, sizeof(s));
	check(feed_all(stream, len, 1, &s) == WS_READER_OK && s.n == 9 &&
	    s.len[4] == 10 && memcmp(s.msg[4], "fragmented", 10) == 0,
	    "reader: byte by byte");
	sink_free(&s);
	for (i = 2; i < 40 && !bad; i++) {
		memset(&s, 0, sizeof(s));
		if (feed_all(stream, len, i, &s) != WS_READER_OK || s.n != 9 ||
		    s.len[5] != sizeof(big) ||
		    memcmp(s.msg[5], big, sizeof(big)) != 0)
			bad = 1;
		sink_free(&s);
	}
	check(!bad, "reader: chunks of 2 to 39 bytes");
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	check(feed_all(stream, len, len, &s) == WS_READER_STOPPED && s.n == 2,
	    "reader: a callback stops it");
	sink_free(&s);
}

static void
test_reader_lengths(void)
{
	static const size_t	 lens[] = { 125, 126, 65535, 65536, 100000 };
	uint8_t			*in, *stream;
	struct sink		 s;
	size_t			 i, len;
	char			 what[80];

	if ((in = malloc(100000)) == NULL || (stream = malloc(100100)) == NULL)
		abort();
	for (i = 0; i < 100000; i++)
		in[i] = i * 13;
	for (i = 0; i < nitems(lens); i++) {
		len = sframe(stream, 0x82, 0, in, lens[i], 0);
		memset(&s, 0, sizeof(s));
		snprintf(what, sizeof(what), "reader: %zu bytes (%s length), "
		    "in chunks of 1000", lens[i], lens[i] < 126 ? "7-bit" :
		    lens[i] < 65536 ? "16-bit" : "64-bit");
		check(feed_all(stream, len, 1000, &s) == WS_READER_OK &&
		    s.n == 1 && s.len[0] == lens[i] &&
		    memcmp(s.msg[0], in, lens[i]) == 0, what);
		sink_free(&s);
	}
	len = sframe(stream, 0x82, 64, in, 5, 0);
	memset(&s, 0, sizeof(s));
	check(feed_all(stream, len, len, &s) == WS_READER_OK && s.n == 1 &&
	    s.len[0] == 5, "reader: a short length in the 64-bit form");
	sink_free(&s);
	free(in);
	free(stream);
}

static void
test_reader_hostile(void)
{
	static const struct {
		uint8_t		 b0;
		int		 masked;
		size_t		 len;
		const char	*what;
	} one[] = {
		{ 0x82, 1, 4, "a masked server frame" },
		{ 0xc2, 0, 4, "RSV1" },
		{ 0xa2, 0, 4, "RSV2" },
		{ 0x92, 0, 4, "RSV3" },
		{ 0x83, 0, 4, "opcode 3" },
		{ 0x87, 0, 4, "opcode 7" },
		{ 0x8b, 0, 4, "opcode 0xb" },
		{ 0x8f, 0, 4, "opcode 0xf" },
		{ 0x89, 0, 126, "a ping of 126 bytes" },
		{ 0x88, 0, 126, "a close of 126 bytes" },
		{ 0x09, 0, 4, "a fragmented ping" },
		{ 0x08, 0, 2, "a fragmented close" },
		{ 0x80, 0, 4, "a continuation without a start" },
		{ 0x00, 0, 4, "a non-final continuation without a start" },
		{ 0x88, 0, 1, "a close with a 1-byte payload" },
	};
	uint8_t		 stream[512], data[200];
	struct sink	 s;
	size_t		 i, len;
	char		 what[80];
	int		 e;

	memset(data, 'x', sizeof(data));
	for (i = 0; i < nitems(one); i++) {
		len = sframe(stream, one[i].b0, 0, data, one[i].len,
		    one[i].masked);
		memset(&s, 0, sizeof(s));
		e = feed_all(stream, len, 1, &s);
		snprintf(what, sizeof(what), "reader refuses %s", one[i].what);
		check(e == WS_READER_PROTOCOL && s.n == 0, what);
		sink_free(&s);
	}

	len = sframe(stream, 0x02, 0, data, 4, 0);
	len += sframe(stream + len, 0x82, 0, data, 4, 0);
	memset(&s, 0, sizeof(s));
	check(feed_all(stream, len, len, &s) == WS_READER_PROTOCOL &&
	    s.n == 0, "reader refuses a new message inside a fragmented one");
	sink_free(&s);

	len = sframe(stream, 0x01, 0, data, 4, 0);
	len += sframe(stream + len, 0x01, 0, data, 4, 0);
	memset(&s, 0, sizeof(s));
	check(feed_all(stream, len, 3, &s) == WS_READER_PROTOCOL,
	    "reader refuses a text frame inside a fragmented message");
	sink_free(&s);

	/* 64-bit length with the top bit set: refused from the header. */
	memcpy(stream, "\x82\x7f\x80\0\0\0\0\0\0\x05", 10);
	memset(&s, 0, sizeof(s));
	check(feed_all(stream, 10, 1, &s) == WS_READER_PROTOCOL,
	    "reader refuses a 64-bit length with the top bit set");
	sink_free(&s);
}

static void
test_reader_limits(void)
{
	struct ws_reader	 r;
	struct sink		 s;
	uint8_t			 stream[2048], data[1024];
	size_t			 len;
	int			 e;

	memset(data, 'y', sizeof(data));
	memset(&s, 0, sizeof(s));

	ws_reader_init(&r, 100);
	len = sframe(stream, 0x82, 0, data, 100, 0);
	e = ws_reader_feed(&r, stream, len, sink_cb, &s);
	check(e == WS_READER_OK && s.n == 1 && s.len[0] == 100,
	    "reader: a message at the maximum");
	ws_reader_clear(&r);

	ws_reader_init(&r, 100);
	len = sframe(stream, 0x82, 0, data, 101, 0);
	e = ws_reader_feed(&r, stream, 2, sink_cb, &s);
	check(e == WS_READER_TOOBIG && s.n == 1,
	    "reader refuses a frame over the maximum from its header");
	ws_reader_clear(&r);

	ws_reader_init(&r, 100);
	len = sframe(stream, 0x02, 0, data, 60, 0);
	len += sframe(stream + len, 0x89, 0, data, 10, 0);
	len += sframe(stream + len, 0x80, 0, data, 41, 0);
	e = ws_reader_feed(&r, stream, len, sink_cb, &s);
	check(e == WS_READER_TOOBIG && s.n == 2,
	    "reader refuses fragments adding up to more than the maximum");
	ws_reader_clear(&r);

	ws_reader_init(&r, 100);
	memcpy(stream, "\x82\x7f\0\0\0\x01\0\0\0\0", 10);
	e = ws_reader_feed(&r, stream, 10, sink_cb, &s);
	check(e == WS_READER_TOOBIG,
	    "reader refuses a 4 GiB frame from its header");
	ws_reader_clear(&r);
	check(r.buf == NULL && r.max == 100, "reader: clear frees and keeps "
	    "the maximum");
	sink_free(&s);
	check(strcmp(ws_reader_strerror(WS_READER_PROTOCOL),
	    ws_reader_strerror(WS_READER_TOOBIG)) != 0,
	    "reader: errors have their own text");
}

int
main(void)
{
	if (sodium_init() == -1)
		abort();
	test_key();
	test_request();
	test_response();
	test_response_hostile();
	test_encode();
	test_reader_splits();
	test_reader_lengths();
	test_reader_hostile();
	test_reader_limits();
	return failed;
}
