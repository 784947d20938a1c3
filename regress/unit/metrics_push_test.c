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
 * Unit tests for netbirdd/metrics_push.c: the remote config of the
 * metrics ingest server (good, incomplete, mistyped and hostile bodies),
 * version order as hashicorp/go-version has it, the version range, Go
 * durations, gzip bodies and push URLs.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "compat.h"
#include "nbd_ctl.h"
#include "metrics_push.h"

#define GOOD	"{\"server_url\": \"https://ingest.example.com/ingest\", " \
		"\"version-since\": \"0.0.0\", " \
		"\"version-until\": \"99.0.0\", \"period_minutes\": 5}"

static int	 failed;

static const char *shown(const char *, size_t);
static void	 check(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	 good_n(const char *, size_t, const char *, const char *,
		    const char *, int);
static void	 good(const char *, const char *, const char *, const char *,
		    int);
static void	 bad_n(const char *, size_t, const char *, const char *);
static void	 bad(const char *, const char *, const char *);
static void	 configs(void);
static void	 missing_and_types(void);
static void	 periods(void);
static void	 urls(void);
static void	 hostile(void);
static void	 sizes(void);
static void	 versions(void);
static void	 eligibility(void);
static void	 durations(void);
static void	 gunzip_check(const void *, size_t, const char *);
static void	 gzips(void);

/* s for a one-line message: at most 60 bytes, unprintable ones as '?'. */
static const char *
shown(const char *s, size_t len)
{
	static char	 buf[4][64];
	static int	 next;
	char		*b = buf[next++ % 4];
	size_t		 i;

	for (i = 0; i < len && i < sizeof(buf[0]) - 4; i++)
		b[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	b[i] = '\0';
	return b;
}

static void
check(int ok, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failed = 1;
}

static void
good_n(const char *body, size_t len, const char *url, const char *since,
    const char *until, int period)
{
	struct rconf	 rc;
	const char	*why;

	memset(&rc, 'x', sizeof(rc));
	why = rconf_parse(body, len, &rc);
	check(why == NULL && strcmp(rc.server_url, url) == 0 &&
	    strcmp(rc.since, since) == 0 && strcmp(rc.until, until) == 0 &&
	    rc.period_minutes == period, "config %s: %s %s..%s %d (%s)",
	    shown(body, len), url, since, until, period, why ? why : "taken");
}

static void
good(const char *body, const char *url, const char *since,
    const char *until, int period)
{
	good_n(body, strlen(body), url, since, until, period);
}

/* Refused with reason; the struct is left alone. */
static void
bad_n(const char *body, size_t len, const char *what, const char *reason)
{
	struct rconf	 rc, before;
	const char	*why;

	memset(&rc, 'x', sizeof(rc));
	before = rc;
	why = rconf_parse(body, len, &rc);
	check(why != NULL && strcmp(why, reason) == 0 &&
	    memcmp(&rc, &before, sizeof(rc)) == 0,
	    "config refused, %s: \"%s\" (%s)", what, reason,
	    why ? why : "taken");
}

static void
bad(const char *body, const char *what, const char *reason)
{
	bad_n(body, strlen(body), what, reason);
}

static void
configs(void)
{
	good(GOOD, "https://ingest.example.com/ingest", "0.0.0", "99.0.0", 5);
	good("{\"period_minutes\":1,\"version-until\":\"v1.2\","
	    "\"version-since\":\"0.60.0-dev\","
	    "\"server_url\":\"http://127.0.0.1:8080/\"}",
	    "http://127.0.0.1:8080/", "0.60.0-dev", "v1.2", 1);
	good(" \t\r\n{ \"server_url\" : \"HTTPS://a.b\" , \"version-since\" : "
	    "\"0.28.3+abc\" , \"version-until\" : \"1\" , "
	    "\"period_minutes\" : 30 } \n",
	    "HTTPS://a.b", "0.28.3+abc", "1", 30);
	good("{\"server_url\": "
	    "\"https:\\/\\/in\\u0067est.example\\/x?a=\\\"b\\\\\","
	    " \"version-since\": \"0.0.0\", \"version-until\": \"1.0.0\","
	    " \"period_minutes\": 60}",
	    "https://ingest.example/x?a=\"b\\", "0.0.0", "1.0.0", 60);
	good("{\"comment\": \"caf\xc3\xa9 \\n\\t\\b\\f\\r\", \"n\": -1.5e+3,"
	    " \"t\": true, \"f\": false, \"z\": null, \"zero\": 0,"
	    " \"SERVER_URL\": 5, \"server_url\": \"http://[::1]:9/i\","
	    " \"version-since\": \"0.1\", \"version-until\": \"0.2\","
	    " \"period_minutes\": 153722867, \"comment\": \"again\"}",
	    "http://[::1]:9/i", "0.1", "0.2", RCONF_PERIOD_MAX);
	good("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"2.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "https://i.example", "2.0.0", "1.0.0", 5);
}

static void
missing_and_types(void)
{
	bad("{\"version-since\": \"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": 5}", "no server_url", "missing server_url");
	bad("{\"server_url\": \"https://i.example\", \"version-until\": "
	    "\"1.0.0\", \"period_minutes\": 5}", "no version-since",
	    "missing version-since");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"period_minutes\": 5}", "no version-until",
	    "missing version-until");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\"}", "no period_minutes",
	    "missing period_minutes");
	bad("{}", "empty object", "missing server_url");
	bad("{\"server_url\": 5, \"version-since\": \"0.0.0\", "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "server_url a number", "server_url is not a string");
	bad("{\"server_url\": null, \"version-since\": \"0.0.0\", "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "server_url null", "server_url is not a string");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": true, "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "version-since true", "version-since is not a string");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": 1, \"period_minutes\": 5}",
	    "version-until a number", "version-until is not a string");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": \"5\"}",
	    "period_minutes a string", "period_minutes is not a number");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": null}",
	    "period_minutes null", "period_minutes is not a number");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 1.5}",
	    "period_minutes 1.5", "period_minutes is not an integer");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 5.0}",
	    "period_minutes 5.0", "period_minutes is not an integer");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 1e1}",
	    "period_minutes 1e1", "period_minutes is not an integer");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": [5]}",
	    "period_minutes an array", "nested value");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"development\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": 5}", "version-since development",
	    "version-since is not a version");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"\", \"period_minutes\": 5}",
	    "version-until empty", "version-until is not a version");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", "
	    "\"version-until\": \"0.0.0-aaaaaaaaaaaaaaaaaaaaaaaaaa\", "
	    "\"period_minutes\": 5}", "version-until of 32 bytes",
	    "version-until too long");
	good("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", "
	    "\"version-until\": \"0.0.0-aaaaaaaaaaaaaaaaaaaaaaaaa\", "
	    "\"period_minutes\": 5}", "https://i.example", "0.0.0",
	    "0.0.0-aaaaaaaaaaaaaaaaaaaaaaaaa", 5);
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-since\": \"0.0.0\", \"version-until\": "
	    "\"1.0.0\", \"period_minutes\": 5}", "version-since twice",
	    "duplicate version-since");
	bad("{\"server_url\": \"https://i.example\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 5, "
	    "\"period_minutes\": 6}", "period_minutes twice",
	    "duplicate period_minutes");
}

static void
periods(void)
{
	static const struct {
		const char	*v, *why;
	} t[] = {
		{ "0", "period_minutes is not positive" },
		{ "-0", "period_minutes is not positive" },
		{ "-5", "period_minutes is not positive" },
		{ "-9223372036854775808", "period_minutes is not positive" },
		{ "-9223372036854775809", "period_minutes too large" },
		{ "153722868", "period_minutes too large" },
		{ "2147483648", "period_minutes too large" },
		{ "9223372036854775807", "period_minutes too large" },
		{ "99999999999999999999999", "period_minutes too large" },
		{ "05", "bad number" },
		{ "+5", "bad value" },
		{ "-", "bad number" },
		{ "5.", "bad number" },
		{ "5e", "bad number" },
		{ "0x10", "period_minutes is not positive" },
		{ "7x", "expected ',' or '}'" },
	};
	char	 body[256], what[64];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		(void)snprintf(body, sizeof(body), "{\"server_url\": "
		    "\"https://i.example\", \"version-since\": \"0.0.0\", "
		    "\"version-until\": \"1.0.0\", \"period_minutes\": %s}",
		    t[i].v);
		(void)snprintf(what, sizeof(what), "period_minutes %s", t[i].v);
		bad(body, what, t[i].why);
	}
}

static void
urls(void)
{
	static const char	*nots[] = {
		"/ingest", "ingest.example.com/x", "ftp://i.example/x",
		"http://", "http:///x", "http://:80/", "http://h:0/",
		"http://h:65536/", "http://h:/", "http://h:123456/",
		"http://h:8o/", "http://h x/", "http://h/a b", "http://h/\t",
		"http://[::1/", "http://[]/", "http://[::g]/", "http://h\x7f/",
		"http://ca\xc3\xa9.example/", "http://h_$/", "https//h/",
		"ws://h/", "file:///etc/passwd", "http:/h/", "",
	};
	static const char	*yeses[] = {
		"http://h", "https://h/", "HTTP://H.EXAMPLE:8080/a?b#c",
		"http://127.0.0.1:1/ingest", "https://[2001:db8::1]:443/x",
		"https://u:p@h.example/", "http://h:65535", "http://h?x",
		"http://h#f", "https://in-gest_1.example~/",
	};
	char	 body[512];
	size_t	 i;

	for (i = 0; i < nitems(nots); i++)
		check(url_abs_http(nots[i]) == 0, "not a push URL: \"%s\"",
		    shown(nots[i], strlen(nots[i])));
	for (i = 0; i < nitems(yeses); i++)
		check(url_abs_http(yeses[i]) == 1, "a push URL: \"%s\"",
		    yeses[i]);
	bad("{\"server_url\": \"/ingest\", \"version-since\": \"0.0.0\", "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "relative server_url", "server_url is not an absolute http(s) URL");
	bad("{\"server_url\": \"ftp://i.example/x\", \"version-since\": "
	    "\"0.0.0\", \"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "ftp server_url", "server_url is not an absolute http(s) URL");
	bad("{\"server_url\": \"\", \"version-since\": \"0.0.0\", "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "empty server_url", "server_url is empty");
	bad("{\"server_url\": \"http://h/\\n\", \"version-since\": \"0.0.0\", "
	    "\"version-until\": \"1.0.0\", \"period_minutes\": 5}",
	    "server_url with an escaped newline",
	    "server_url is not an absolute http(s) URL");
	(void)snprintf(body, sizeof(body), "{\"server_url\": \"http://h/%0*d\","
	    " \"version-since\": \"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": 5}", CTL_URL_LEN - 1 - 9, 0);
	check(rconf_parse(body, strlen(body), &(struct rconf){ 0 }) == NULL,
	    "server_url of %d bytes taken", CTL_URL_LEN - 1);
	(void)snprintf(body, sizeof(body), "{\"server_url\": \"http://h/%0*d\","
	    " \"version-since\": \"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": 5}", CTL_URL_LEN - 9, 0);
	bad(body, "server_url of CTL_URL_LEN bytes", "server_url too long");
}

static void
hostile(void)
{
	static const struct {
		const char	*body, *what, *why;
	} t[] = {
		{ "", "empty body", "not a JSON object" },
		{ "   ", "only spaces", "not a JSON object" },
		{ "[]", "an array", "not a JSON object" },
		{ "\"x\"", "a string", "not a JSON object" },
		{ "{", "open brace", "expected a key" },
		{ "{\"server_url", "unterminated key", "unterminated string" },
		{ "{\"server_url\": \"http://h", "unterminated string",
		    "unterminated string" },
		{ "{\"server_url\": \"http://h\\", "unterminated escape",
		    "unterminated string" },
		{ "{\"a\": \"\\x41\"}", "\\x escape",
		    "bad escape in a string" },
		{ "{\"a\": \"\\'\"}", "\\' escape", "bad escape in a string" },
		{ "{\"a\": \"\\u12\"}", "short \\u", "bad \\u escape" },
		{ "{\"a\": \"\\u12g4\"}", "\\u with g", "bad \\u escape" },
		{ "{\"a\": \"\\u00e9\"}", "\\u00e9",
		    "\\u escape not ASCII or NUL" },
		{ "{\"a\": \"\\ud83d\\ude00\"}", "surrogate pair",
		    "\\u escape not ASCII or NUL" },
		{ "{\"a\": \"\\u0000\"}", "\\u0000",
		    "\\u escape not ASCII or NUL" },
		{ "{\"a\": \"x\ty\"}", "raw tab",
		    "control character in a string" },
		{ "{\"a\": {\"b\": 1}}", "nested object", "nested value" },
		{ "{\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		    "deep nesting", "nested value" },
		{ "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{", "braces",
		    "expected a key" },
		{ "{\"a\" 1}", "no colon", "expected ':'" },
		{ "{\"a\": 1 \"b\": 2}", "no comma", "expected ',' or '}'" },
		{ "{\"a\": 1,}", "trailing comma", "expected a key" },
		{ "{,}", "lone comma", "expected a key" },
		{ "{a: 1}", "bare key", "expected a key" },
		{ "{'a': 1}", "single quotes", "expected a key" },
		{ "{\"a\": }", "no value", "bad value" },
		{ "{\"a\":", "cut after colon", "missing value" },
		{ "{\"a\": tru}", "tru", "bad value" },
		{ "{\"a\": nulll}", "nulll", "expected ',' or '}'" },
		{ "{\"a\": NaN}", "NaN", "bad value" },
		{ GOOD "x", "trailing garbage",
		    "trailing data after the object" },
		{ GOOD GOOD, "two objects", "trailing data after the object" },
		{ GOOD ",", "trailing comma after the object",
		    "trailing data after the object" },
	};
	static const char	 nul_in[] = "{\"server_url\": \"http://h\0/\", "
	    "\"version-since\": \"0.0.0\", \"version-until\": \"1.0.0\", "
	    "\"period_minutes\": 5}";
	static const char	 nul_after[] = GOOD "\0";
	static const char	 nul_before[] = "\0" GOOD;
	size_t			 i;

	for (i = 0; i < nitems(t); i++)
		bad(t[i].body, t[i].what, t[i].why);
	bad_n(nul_in, sizeof(nul_in) - 1, "NUL in a string",
	    "control character in a string");
	bad_n(nul_after, sizeof(nul_after) - 1, "NUL after the object",
	    "trailing data after the object");
	bad_n(nul_before, sizeof(nul_before) - 1, "NUL before the object",
	    "not a JSON object");
	good_n(GOOD "garbage", strlen(GOOD),
	    "https://ingest.example.com/ingest", "0.0.0", "99.0.0", 5);
}

/* Bodies around RCONF_BODY_MAX, padded with spaces or a long value. */
static void
sizes(void)
{
	char	*body;
	size_t	 n = strlen(GOOD);

	if ((body = malloc(5000)) == NULL)
		abort();
	memset(body, ' ', 5000);
	memcpy(body, GOOD, n);
	good_n(body, RCONF_BODY_MAX, "https://ingest.example.com/ingest",
	    "0.0.0", "99.0.0", 5);
	bad_n(body, RCONF_BODY_MAX + 1, "4097 bytes", "body too long");
	bad_n(body, 5000, "5000 bytes", "body too long");
	memcpy(body, "{\"junk\": \"", 10);
	memset(body + 10, 'a', 5000 - 10);
	memcpy(body + RCONF_BODY_MAX - n - 3, "\", ", 3);
	memcpy(body + RCONF_BODY_MAX - n, GOOD + 1, n - 1);
	good_n(body, RCONF_BODY_MAX - 1, "https://ingest.example.com/ingest",
	    "0.0.0", "99.0.0", 5);
	memset(body, '[', 5000);
	bad_n(body, RCONF_BODY_MAX, "4096 brackets", "not a JSON object");
	bad_n(body, 5000, "5000 brackets", "body too long");
	free(body);
}

static void
versions(void)
{
	static const struct {
		const char	*a, *b;
		int		 cmp;
	} t[] = {
		{ "0.60.0", "0.60.0", 0 },
		{ "0.60.0-dev", "0.60.0", -1 },
		{ "0.60.0", "0.60.0-dev", 1 },
		{ "0.60.0-dev", "0.59.9", 1 },
		{ "v1.2", "1.2.0", 0 },
		{ "v1.2", "1.2.1", -1 },
		{ "0.28.3+abc", "0.28.3", 0 },
		{ "0.28.3+abc", "0.28.3+def", 0 },
		{ "1.2.3", "1.2.10", -1 },
		{ "1.10.0", "1.9.9", 1 },
		{ "2", "1.99.99", 1 },
		{ "01.02.03", "1.2.3", 0 },
		{ "1.2.3.4", "1.2.3", 1 },
		{ "1.2.3", "1.2.3.4", -1 },
		{ "1.2.3.0", "1.2.3", 0 },
		{ "1.2.3.0-beta", "1.2.3", 0 },		/* go-version */
		{ "1.2.3beta", "1.2.3", -1 },
		{ "1.2.3-", "1.2.3", -1 },
		{ "1.0.0-alpha", "1.0.0-beta", -1 },
		{ "1.0.0-rc.1", "1.0.0-rc.2", -1 },
		{ "1.0.0-2", "1.0.0-10", -1 },
		{ "1.0.0-1", "1.0.0-a", -1 },
		{ "1.0.0-alpha.1", "1.0.0-alpha", 1 },
		{ "1.0.0-alpha", "1.0.0-alpha.beta", 1 },	/* go-version */
		{ "1.0.0-x.-5", "1.0.0-x.3", -1 },
		{ "1.0.0-x.99999999999999999999", "1.0.0-x.abc", 1 },
		{ "1.0.0-dev+meta", "1.0.0-dev", 0 },
		{ "0.1.0", "0.0.0", 1 },
		{ "9223372036854775807", "9223372036854775806", 1 },
		{ "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16", "1.2.3.4", 1 },
	};
	static const char	*nots[] = {
		"development", "", "v", "V1.2", "1.", "1..2", ".1", "-1",
		"1.2.3-beta..1", "1.2.3+", "1.2.3+a+b", "1.2.3 ", " 1.2.3",
		"1.2.3-a_b", "1.2.3.", "x1", "1.2.3-caf\xc3\xa9",
		"9223372036854775808",
		"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17",
		"vv1", "1.2.3-a.", "1.2.3+.a",
	};
	size_t	 i;
	int	 cmp;

	for (i = 0; i < nitems(t); i++) {
		cmp = 99;
		check(version_cmp(t[i].a, t[i].b, &cmp) == 0 && cmp == t[i].cmp,
		    "version %s %s %s", t[i].a, t[i].cmp < 0 ? "<" :
		    t[i].cmp > 0 ? ">" : "==", t[i].b);
	}
	for (i = 0; i < nitems(nots); i++) {
		check(version_cmp(nots[i], "1.0.0", &cmp) == -1 &&
		    version_cmp("1.0.0", nots[i], &cmp) == -1,
		    "not a version: \"%s\"", shown(nots[i], strlen(nots[i])));
	}
}

static void
eligibility(void)
{
	static const struct {
		const char	*since, *until, *agent;
		int		 want;
	} t[] = {
		{ "0.1.0", "0.2.0", "0.1.0", 1 },
		{ "0.1.0", "0.2.0", "0.2.0", 0 },
		{ "0.1.0", "0.2.0", "0.1.9", 1 },
		{ "0.1.0", "0.2.0", "0.2.0-rc1", 1 },
		{ "0.1.0", "0.2.0", "0.1.0-dev", 0 },
		{ "0.1.0", "0.2.0", "0.0.9", 0 },
		{ "0.1.0", "0.2.0", "v0.1.5", 1 },
		{ "0.1.0", "0.2.0", "0.1.0+build", 1 },
		{ "0.1", "0.2", "0.1.0", 1 },
		{ "0.0.0", "99.0.0", "0.1.0", 1 },
		{ "0.60.0", "0.78.0", "0.77.1", 1 },	/* NBD_NB_VERSION */
		{ "0.78.0", "99.0.0", "0.77.1", 0 },
		{ "0.1.0", "0.1.0", "0.1.0", 0 },
		{ "2.0.0", "1.0.0", "1.5.0", 0 },
		{ "0.1.0", "0.2.0", "development", -1 },
		{ "0.1.0", "0.2.0", "", -1 },
	};
	struct rconf	 rc;
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		memset(&rc, 0, sizeof(rc));
		strlcpy(rc.since, t[i].since, sizeof(rc.since));
		strlcpy(rc.until, t[i].until, sizeof(rc.until));
		check(rconf_eligible(&rc, t[i].agent) == t[i].want,
		    "agent %s in [%s, %s): %d", t[i].agent, t[i].since,
		    t[i].until, t[i].want);
	}
	strlcpy(rc.since, "junk", sizeof(rc.since));
	check(rconf_eligible(&rc, "0.1.0") == 0,
	    "a range that is not versions: not eligible");
}

static void
durations(void)
{
	static const struct {
		const char	*s;
		int64_t		 ns;
	} t[] = {
		{ "5m", 300000000000LL },
		{ "1h30m", 5400000000000LL },
		{ "90s", 90000000000LL },
		{ "1.5h", 5400000000000LL },
		{ "300ms", 300000000LL },
		{ "+5m", 300000000000LL },
		{ "1h0m0s", 3600000000000LL },
		{ ".5s", 500000000LL },
		{ "1.s", 1000000000LL },
		{ "1h1h", 7200000000000LL },
		{ "1ns", 1 },
		{ "1us", 1000 },
		{ "1\xc2\xb5s", 1000 },
		{ "1\xce\xbcs", 1000 },
		{ "0.000000001s", 1 },
		{ "1.0000000000000000000000001s", 1000000000LL },
		{ "2562047h", 2562047LL * 3600 * 1000000000LL },
		{ "9223372036854775807ns", INT64_MAX },
		{ "0.5m0.5s", 30500000000LL },
	};
	static const char	*nots[] = {
		"", "5", "-5m", "1e3s", "9999999999h", "0", "0s", "-0", "+0",
		"+", "-", "m", ".s", ".", "5 m", " 5m", "5m ", "5M", "1d",
		"1w", "5mm", "1h-5m", "1.5", "2562048h",
		"9223372036854775808ns", "99999999999999999999s", "0.0s",
		"0.0000000001s", "5m\n", "1..5s", "1h\xc2\xb5",
	};
	int64_t	 ns;
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		ns = -1;
		check(go_duration_parse(t[i].s, &ns) == 0 && ns == t[i].ns,
		    "duration \"%s\" is %lld ns",
		    shown(t[i].s, strlen(t[i].s)), (long long)t[i].ns);
	}
	for (i = 0; i < nitems(nots); i++) {
		ns = 42;
		check(go_duration_parse(nots[i], &ns) == -1 && ns == 42,
		    "duration refused: \"%s\"",
		    shown(nots[i], strlen(nots[i])));
	}
}

static void
gunzip_check(const void *in, size_t inlen, const char *what)
{
	z_stream	 zs;
	uint8_t		*gz = NULL, *back;
	size_t		 gzlen = 0;
	int		 r;

	if (gzip_buf(in, inlen, &gz, &gzlen) == -1) {
		check(0, "gzip %s", what);
		return;
	}
	if ((back = malloc(inlen + 16)) == NULL)
		abort();
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		abort();
	zs.next_in = gz;
	zs.avail_in = gzlen;
	zs.next_out = back;
	zs.avail_out = inlen + 16;
	r = inflate(&zs, Z_FINISH);
	check(gzlen >= 18 && gz[0] == 0x1f && gz[1] == 0x8b && gz[2] == 8 &&
	    r == Z_STREAM_END && zs.avail_in == 0 && zs.total_out == inlen &&
	    memcmp(back, in, inlen) == 0,
	    "gzip %s: %zu bytes, %zu gzipped, gunzipped back", what, inlen,
	    gzlen);
	inflateEnd(&zs);
	free(back);
	free(gz);
}

static void
gzips(void)
{
	static const char	 line[] = "netbird_sync,"
	    "deployment_type=selfhosted,version=0.1.0,os=linux,arch=amd64,"
	    "peer_id=0123456789abcdef "
	    "duration_seconds=0.012 1700000000000000000\n";
	uint8_t			*big;
	size_t			 i, n = 5 * 1024 * 1024;

	gunzip_check("", 0, "empty input");
	gunzip_check(line, sizeof(line) - 1, "one line");
	if ((big = malloc(n)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 2654435761U >> 13);
	gunzip_check(big, n, "5 MiB of noise");
	for (i = 0; i < n; i++)
		big[i] = line[i % (sizeof(line) - 1)];
	gunzip_check(big, n, "5 MiB of lines");
	free(big);
}

int
main(void)
{
	configs();
	missing_and_types();
	periods();
	urls();
	hostile();
	sizes();
	versions();
	eligibility();
	durations();
	gzips();
	return failed;
}
