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
 * Unit tests for the gRPC Length-Prefixed-Message reader, the framer and
 * the grpc-message decoder in netbirdd/grpc.c, and for the failure
 * reasons curlev_why() gives it from libcurl.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "curlev.h"
#include "grpc.h"

#define MAXMSGS		64

struct sink {
	size_t		 n;
	size_t		 len[MAXMSGS];
	uint8_t		*msg[MAXMSGS];
	size_t		 stop_after;	/* 0: never stop */
};

static int	 failed;

static void	 check(int, const char *);
static int	 sink_cb(void *, const uint8_t *, size_t);
static void	 sink_free(struct sink *);
static size_t	 put_frame(uint8_t *, uint8_t, uint32_t, const void *, size_t);
static uint32_t	 rnd(void);
static void	 test_single(void);
static void	 test_merged(void);
static void	 test_every_split(void);
static void	 test_bytewise_large(void);
static void	 test_oversize(void);
static void	 test_flags(void);
static void	 test_truncated(void);
static void	 test_stop(void);
static void	 test_empty_feed(void);
static void	 test_encode(void);
static void	 test_hostile(void);
static void	 test_percent(void);
static void	 test_curl_why(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static int
sink_cb(void *arg, const uint8_t *msg, size_t len)
{
	struct sink	*s = arg;

	if (s->n == MAXMSGS)
		return -1;
	s->len[s->n] = len;
	if ((s->msg[s->n] = malloc(len + 1)) == NULL)
		abort();
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

static size_t
put_frame(uint8_t *p, uint8_t flag, uint32_t len, const void *data,
    size_t datalen)
{
	p[0] = flag;
	p[1] = len >> 24;
	p[2] = len >> 16;
	p[3] = len >> 8;
	p[4] = len;
	if (datalen > 0)
		memcpy(p + 5, data, datalen);
	return 5 + datalen;
}

/* xorshift32, fixed seed: the same hostile input on every run. */
static uint32_t
rnd(void)
{
	static uint32_t	x = 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static void
test_single(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[64];
	size_t			 n;
	int			 e;

	grpc_frame_init(&fr, 1024);
	n = put_frame(buf, 0, 5, "hello", 5);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_OK && s.n == 1 && s.len[0] == 5 &&
	    memcmp(s.msg[0], "hello", 5) == 0, "one frame in one chunk");
	check(!grpc_frame_partial(&fr), "nothing pending after it");
	check(fr.buf == NULL, "a whole frame is delivered without a copy");
	sink_free(&s);
	grpc_frame_clear(&fr);
}

static void
test_merged(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[128];
	size_t			 n = 0, i;
	int			 e, ok;

	grpc_frame_init(&fr, 1024);
	n += put_frame(buf + n, 0, 3, "one", 3);
	n += put_frame(buf + n, 0, 0, NULL, 0);
	n += put_frame(buf + n, 0, 5, "three", 5);
	n += put_frame(buf + n, 0, 4, "four", 4);
	/* All of the first three and two bytes into the fourth. */
	e = grpc_frame_feed(&fr, buf, n - 7, sink_cb, &s);
	check(e == GRPC_FRAME_OK && s.n == 3, "three frames in one chunk");
	check(s.len[0] == 3 && memcmp(s.msg[0], "one", 3) == 0 &&
	    s.len[1] == 0 && s.len[2] == 5 &&
	    memcmp(s.msg[2], "three", 5) == 0,
	    "their contents, an empty message among them");
	check(grpc_frame_partial(&fr), "a split fourth frame is pending");
	ok = 1;
	for (i = n - 7; i < n; i++)
		ok &= grpc_frame_feed(&fr, buf + i, 1, sink_cb, &s) ==
		    GRPC_FRAME_OK;
	check(ok && s.n == 4 && s.len[3] == 4 &&
	    memcmp(s.msg[3], "four", 4) == 0,
	    "the rest byte by byte completes it");
	check(!grpc_frame_partial(&fr), "nothing pending at the end");
	sink_free(&s);
	grpc_frame_clear(&fr);
}

/* Every way to cut a stream of three frames in two gives the same. */
static void
test_every_split(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[128];
	size_t			 n = 0, cut, cut2;
	int			 ok = 1;

	n += put_frame(buf + n, 0, 7, "message", 7);
	n += put_frame(buf + n, 0, 0, NULL, 0);
	n += put_frame(buf + n, 0, 11, "another one", 11);
	for (cut = 0; cut <= n; cut++) {
		for (cut2 = cut; cut2 <= n; cut2++) {
			grpc_frame_init(&fr, 64);
			ok &= grpc_frame_feed(&fr, buf, cut, sink_cb, &s) == 0;
			ok &= grpc_frame_feed(&fr, buf + cut, cut2 - cut,
			    sink_cb, &s) == 0;
			ok &= grpc_frame_feed(&fr, buf + cut2, n - cut2,
			    sink_cb, &s) == 0;
			ok &= s.n == 3 && s.len[0] == 7 && s.len[1] == 0 &&
			    s.len[2] == 11 &&
			    memcmp(s.msg[0], "message", 7) == 0 &&
			    memcmp(s.msg[2], "another one", 11) == 0;
			ok &= !grpc_frame_partial(&fr);
			sink_free(&s);
			grpc_frame_clear(&fr);
		}
	}
	check(ok, "every three-way split of a stream of three frames");
}

static void
test_bytewise_large(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			*buf, *msg;
	size_t			 len = 1024 * 1024 + 3, n, i, step;
	int			 ok = 1;

	if ((buf = malloc(len + 5)) == NULL || (msg = malloc(len)) == NULL)
		abort();
	for (i = 0; i < len; i++)
		msg[i] = rnd();
	n = put_frame(buf, 0, len, msg, len);
	grpc_frame_init(&fr, len);
	for (i = 0; i < n; i += step) {
		step = 1 + rnd() % 3000;
		step = MINIMUM(step, n - i);
		ok &= grpc_frame_feed(&fr, buf + i, step, sink_cb, &s) == 0;
		if (i + step < n)
			ok &= s.n == 0;
	}
	check(ok && s.n == 1 && s.len[0] == len &&
	    memcmp(s.msg[0], msg, len) == 0,
	    "a 1 MiB message in random chunks of up to 3000 bytes");
	check(fr.buf == NULL, "a large buffer is released after delivery");
	sink_free(&s);
	grpc_frame_clear(&fr);
	free(buf);
	free(msg);
}

static void
test_oversize(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[64];
	size_t			 n;
	int			 e;

	grpc_frame_init(&fr, 16);
	n = put_frame(buf, 0, 16, "0123456789abcdef", 16);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_OK && s.n == 1, "a frame of exactly the maximum");
	n = put_frame(buf, 0, 17, "0123456789abcdefg", 17);
	e = grpc_frame_feed(&fr, buf, 5, sink_cb, &s);
	check(e == GRPC_FRAME_TOOBIG && s.n == 1,
	    "maximum + 1 is refused from its header alone");
	e = grpc_frame_feed(&fr, buf + 5, n - 5, sink_cb, &s);
	check(e == GRPC_FRAME_TOOBIG && s.n == 1,
	    "the reader stays failed afterwards");
	sink_free(&s);
	grpc_frame_clear(&fr);

	grpc_frame_init(&fr, GRPC_MAX_MSG_DEFAULT);
	n = put_frame(buf, 0, 0xffffffffU, NULL, 0);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_TOOBIG && fr.buf == NULL,
	    "a 4 GiB length is refused before any allocation");
	grpc_frame_clear(&fr);

	grpc_frame_init(&fr, GRPC_MAX_MSG_DEFAULT);
	n = put_frame(buf, 0, GRPC_MAX_MSG_DEFAULT, "x", 1);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_OK && fr.bufsize <= 4096,
	    "a declared 16 MiB message allocates only what has arrived");
	grpc_frame_clear(&fr);
}

static void
test_flags(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[64];
	size_t			 n;
	int			 e;

	grpc_frame_init(&fr, 64);
	n = put_frame(buf, 1, 2, "zz", 2);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_COMPRESSED && s.n == 0,
	    "compressed flag refused");
	grpc_frame_clear(&fr);
	n = put_frame(buf, 0x80, 2, "zz", 2);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_BADFLAG && s.n == 0, "flag 0x80 refused");
	grpc_frame_clear(&fr);
	n = put_frame(buf, 0, 2, "ok", 2);
	n += put_frame(buf + n, 2, 0, NULL, 0);
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_BADFLAG && s.n == 1,
	    "a good frame is delivered before a bad one stops the reader");
	check(strcmp(grpc_frame_strerror(GRPC_FRAME_COMPRESSED),
	    grpc_frame_strerror(GRPC_FRAME_TOOBIG)) != 0,
	    "errors have distinct texts");
	sink_free(&s);
	grpc_frame_clear(&fr);
}

static void
test_truncated(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[64];
	size_t			 n;

	grpc_frame_init(&fr, 64);
	n = put_frame(buf, 0, 10, "0123456789", 10);
	grpc_frame_feed(&fr, buf, 3, sink_cb, &s);
	check(grpc_frame_partial(&fr) && s.n == 0,
	    "a stream cut inside the prefix is pending");
	grpc_frame_clear(&fr);
	grpc_frame_feed(&fr, buf, n - 1, sink_cb, &s);
	check(grpc_frame_partial(&fr) && s.n == 0,
	    "a stream cut one byte short is pending");
	grpc_frame_clear(&fr);
	grpc_frame_feed(&fr, buf, 5, sink_cb, &s);
	check(grpc_frame_partial(&fr) && s.n == 0,
	    "a stream cut after the prefix is pending");
	grpc_frame_clear(&fr);
	check(!grpc_frame_partial(&fr), "clear forgets a pending frame");
}

static void
test_stop(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[64];
	size_t			 n = 0;
	int			 e;

	grpc_frame_init(&fr, 64);
	n += put_frame(buf + n, 0, 1, "a", 1);
	n += put_frame(buf + n, 0, 1, "b", 1);
	n += put_frame(buf + n, 0, 1, "c", 1);
	s.stop_after = 2;
	e = grpc_frame_feed(&fr, buf, n, sink_cb, &s);
	check(e == GRPC_FRAME_STOPPED && s.n == 2,
	    "a callback can stop the reader; later frames are not delivered");
	sink_free(&s);
	grpc_frame_clear(&fr);
}

static void
test_empty_feed(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };

	grpc_frame_init(&fr, 64);
	check(grpc_frame_feed(&fr, "", 0, sink_cb, &s) == GRPC_FRAME_OK &&
	    s.n == 0 && !grpc_frame_partial(&fr), "an empty chunk is a no-op");
	grpc_frame_clear(&fr);
}

static void
test_encode(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			*f;
	size_t			 flen;

	f = grpc_frame_encode("abc", 3, &flen);
	check(f != NULL && flen == 8 && memcmp(f, "\0\0\0\0\3abc", 8) == 0,
	    "encode: flag 0, big-endian length, message");
	grpc_frame_init(&fr, 64);
	check(f != NULL && grpc_frame_feed(&fr, f, flen, sink_cb, &s) == 0 &&
	    s.n == 1 && s.len[0] == 3, "what encode makes the reader takes");
	free(f);
	f = grpc_frame_encode(NULL, 0, &flen);
	check(f != NULL && flen == 5 && memcmp(f, "\0\0\0\0\0", 5) == 0,
	    "encode an empty message");
	free(f);
	sink_free(&s);
	grpc_frame_clear(&fr);
}

/*
 * Random bytes in random chunks: the reader must never deliver more than
 * was fed, never a message over the maximum, and stop on the first bad
 * prefix; a model parser working on the whole buffer must agree.
 */
static void
test_hostile(void)
{
	struct grpc_frame_reader fr;
	struct sink		 s = { 0 };
	uint8_t			 buf[512];
	size_t			 n, i, off, step, want, pos, l;
	int			 ok = 1, round, e, werr;

	for (round = 0; round < 20000; round++) {
		n = rnd() % sizeof(buf);
		for (i = 0; i < n; i++) {
			buf[i] = rnd();
			/* Mostly valid flags and small lengths. */
			if (rnd() % 4 != 0 && (i % 7 == 0))
				buf[i] = 0;
		}
		grpc_frame_init(&fr, 1 + rnd() % 64);
		e = GRPC_FRAME_OK;
		for (off = 0; off < n && e == GRPC_FRAME_OK; off += step) {
			step = 1 + rnd() % 40;
			step = MINIMUM(step, n - off);
			e = grpc_frame_feed(&fr, buf + off, step, sink_cb, &s);
		}
		/* The model. */
		want = 0;
		werr = GRPC_FRAME_OK;
		for (pos = 0; pos + 5 <= n && want < MAXMSGS; ) {
			if (buf[pos] == 1) {
				werr = GRPC_FRAME_COMPRESSED;
				break;
			}
			if (buf[pos] != 0) {
				werr = GRPC_FRAME_BADFLAG;
				break;
			}
			l = (size_t)buf[pos + 1] << 24 |
			    (size_t)buf[pos + 2] << 16 |
			    (size_t)buf[pos + 3] << 8 | buf[pos + 4];
			if (l > fr.max) {
				werr = GRPC_FRAME_TOOBIG;
				break;
			}
			if (pos + 5 + l > n)
				break;
			ok &= s.n > want && s.len[want] == l &&
			    memcmp(s.msg[want], buf + pos + 5, l) == 0;
			want++;
			pos += 5 + l;
		}
		if (want < MAXMSGS)
			ok &= s.n == want && e == werr;
		sink_free(&s);
		grpc_frame_clear(&fr);
	}
	check(ok, "20000 random streams in random chunks agree with a model");
}

static void
test_percent(void)
{
	char	out[32];

	grpc_percent_decode("a%20b%2Fc", 9, out, sizeof(out));
	check(strcmp(out, "a b/c") == 0, "percent-decoding");
	grpc_percent_decode("100%", 4, out, sizeof(out));
	check(strcmp(out, "100%") == 0, "a trailing % is kept");
	grpc_percent_decode("%4", 2, out, sizeof(out));
	check(strcmp(out, "%4") == 0, "a % with one digit is kept");
	grpc_percent_decode("%zz%", 4, out, sizeof(out));
	check(strcmp(out, "%zz%") == 0, "a % without hex digits is kept");
	grpc_percent_decode("x%00y%0a", 8, out, sizeof(out));
	check(strcmp(out, "x?y?") == 0, "NUL and newline become '?'");
	grpc_percent_decode("%e2%82%ac", 9, out, sizeof(out));
	check(strcmp(out, "\xe2\x82\xac") == 0, "UTF-8 passes through");
	grpc_percent_decode("abcdefgh", 8, out, 4);
	check(strcmp(out, "abc") == 0, "output is truncated and terminated");
	grpc_percent_decode("ab%41", 3, out, sizeof(out));
	check(strcmp(out, "ab%") == 0, "the length bounds the input");
	check(strcmp(grpc_code_name(GRPC_PERMISSION_DENIED),
	    "PermissionDenied") == 0 && strcmp(grpc_code_name(99),
	    "Unknown") == 0 && strcmp(grpc_code_name(-1), "Unknown") == 0,
	    "status code names, out-of-range codes included");
}

/* curlev_why(): the reason grpc and ws give for a failed transfer. */
static void
test_curl_why(void)
{
	char	a[CURL_ERROR_SIZE], b[CURL_ERROR_SIZE], small[8];

	curlev_why(a, sizeof(a), "Failed to connect to 10.0.0.1 port 443 "
	    "after 0 ms: Couldn't connect to server", CURLE_COULDNT_CONNECT);
	curlev_why(b, sizeof(b), "Failed to connect to 10.0.0.1 port 443 "
	    "after 3012 ms: Couldn't connect to server",
	    CURLE_COULDNT_CONNECT);
	check(strcmp(a, b) == 0 && strcmp(a, "Failed to connect to 10.0.0.1 "
	    "port 443: Couldn't connect to server") == 0,
	    "two attempts that differ only in elapsed time give one reason");
	curlev_why(a, sizeof(a), "Connection timed out after 10001 "
	    "milliseconds", CURLE_OPERATION_TIMEDOUT);
	check(strcmp(a, "Connection timed out") == 0,
	    "\"after N milliseconds\" is left out too");
	curlev_why(a, sizeof(a), "", CURLE_COULDNT_RESOLVE_HOST);
	check(strcmp(a, curl_easy_strerror(CURLE_COULDNT_RESOLVE_HOST)) == 0,
	    "an empty error buffer gives the code's text");
	curlev_why(a, sizeof(a), "done after 5 msgs, after 7 mss, after ms, "
	    "after 9", CURLE_RECV_ERROR);
	check(strcmp(a, "done after 5 msgs, after 7 mss, after ms, "
	    "after 9") == 0, "only whole elapsed-time phrases are cut");
	curlev_why(a, sizeof(a), " after 1 ms after 2 ms", CURLE_RECV_ERROR);
	check(a[0] == '\0', "a message of nothing but times gives nothing");
	curlev_why(small, sizeof(small), "0123456789 after 1 ms",
	    CURLE_RECV_ERROR);
	check(strcmp(small, "0123456") == 0, "the output is cut to fit");
}

int
main(void)
{
	test_single();
	test_merged();
	test_every_split();
	test_bytewise_large();
	test_oversize();
	test_flags();
	test_truncated();
	test_stop();
	test_empty_feed();
	test_encode();
	test_hostile();
	test_percent();
	test_curl_why();
	return failed;
}
