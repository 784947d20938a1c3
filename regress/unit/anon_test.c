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
 * Unit tests for the debug bundle's anonymiser (netbirdctl/anon.c): a
 * table of texts and what they become with a fresh anonymiser, the
 * same replacement for the same value across calls, the boundaries of
 * every token, ranges that stay, and hostile input: long runs, binary,
 * truncated and out-of-range addresses, the size and count limits.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anon.h"

#define KEY1	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define KEY2	"ZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCg4Q="
#define FAKE1	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="
#define FAKE2	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI="

static int	 failed;

static void	 check(int, const char *);
static char	*run(struct anon *, const char *, size_t, size_t *);
static void	 test_table(void);
static void	 test_consistency(void);
static void	 test_binary(void);
static void	 test_long(void);
static void	 test_names_bounds(void);
static void	 test_limits(void);

static const struct {
	const char	*in;
	const char	*out;
	const char	*what;
} table[] = {
	{ "https://1.2.3.4:443", "https://198.51.100.1:443",
	    "IPv4 in a URL, port kept" },
	{ "[2a01:4f8::1]:51820", "[2001:db8:ffff::1]:51820",
	    "bracketed IPv6 with port" },
	{ "100.64.0.1/16", "100.64.0.1/16", "overlay address with prefix" },
	{ "route 1.2.3.0/24 via wt0", "route 198.51.100.1/24 via wt0",
	    "public prefix, length kept" },
	{ "peer:2a01:4f8::1 up", "peer:2001:db8:ffff::1 up",
	    "IPv6 after a word and a colon" },
	{ "to 2a01:4f8::1.", "to 2001:db8:ffff::1.", "IPv6 ending a sentence" },
	{ "to 2a01:4f8::1: refused", "to 2001:db8:ffff::1: refused",
	    "IPv6 before a colon" },
	{ "2a01:4f8::1:51820", "2001:db8:ffff::1:51820",
	    "unbracketed IPv6 with a 5-digit port" },
	{ "2a01:4f8::5/64 dev eth0", "2001:db8:ffff::1/64 dev eth0",
	    "IPv6 prefix" },
	{ "fe80::1%eth0 ::1 fd00::5 ff02::1 :: fec0::1",
	    "fe80::1%eth0 ::1 fd00::5 ff02::1 :: fec0::1",
	    "non-public IPv6 kept" },
	{ "2001:db8::1 3fff::1 100::1", "2001:db8::1 3fff::1 100::1",
	    "documentation and discard IPv6 kept" },
	{ "::ffff:10.0.0.1 ::ffff:5.6.7.8", "::ffff:10.0.0.1 2001:db8:ffff::1",
	    "IPv4-mapped: by the IPv4 address" },
	{ "10.1.2.3 172.16.0.1 172.31.255.255 192.168.1.1 127.0.0.1 "
	    "169.254.1.1 100.127.255.255 0.0.0.0 255.255.255.255 224.0.0.251",
	  "10.1.2.3 172.16.0.1 172.31.255.255 192.168.1.1 127.0.0.1 "
	    "169.254.1.1 100.127.255.255 0.0.0.0 255.255.255.255 224.0.0.251",
	    "private, CGNAT, loopback, link-local, multicast kept" },
	{ "8.8.8.8 1.1.1.1 9.9.9.9 2606:4700:4700::1111 128.0.0.0 8000::",
	  "8.8.8.8 1.1.1.1 9.9.9.9 2606:4700:4700::1111 128.0.0.0 8000::",
	    "well-known resolvers and split default kept" },
	{ "192.0.2.1 198.51.100.7 203.0.113.9",
	  "192.0.2.1 198.51.100.7 203.0.113.9", "documentation IPv4 kept" },
	{ "172.32.0.1 100.128.0.1 100.63.255.255 11.0.0.1",
	  "198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4",
	    "just outside the private ranges: replaced" },
	{ "999.1.1.1 1.2.3.4.5 v1.2.3.4 1.2.3 1.2.3.256 1.2.3.4x 1234.1.1.1",
	  "999.1.1.1 1.2.3.4.5 v1.2.3.4 1.2.3 1.2.3.256 1.2.3.4x 1234.1.1.1",
	    "not IPv4 addresses" },
	{ "12:34:56 aa:bb:cc:dd:ee:ff 2026-01-02T12:34:56Z",
	  "12:34:56 aa:bb:cc:dd:ee:ff 2026-01-02T12:34:56Z",
	    "times and MAC addresses" },
	{ "2a01:4f8: 2a01: 2a01:4f8::1g cafe::beefy",
	  "2a01:4f8: 2a01: 2a01:4f8::1g cafe::beefy",
	    "truncated or glued IPv6" },
	{ "Public key: " KEY1, "Public key: " FAKE1, "WireGuard key" },
	{ "key=" KEY1 ",\"" KEY2 "\"", "key=" FAKE1 ",\"" FAKE2 "\"",
	    "keys after '=' and in quotes" },
	{ "x" KEY1 " " KEY1 "A " KEY1 "=", "x" KEY1 " " KEY1 "A " KEY1 "=",
	    "key-shaped parts of longer base64 kept" },
	{ "api.example.com:443", "anon-1.domain:443", "domain with port" },
	{ "https://api.example.com/x?y=1", "https://anon-1.domain/x?y=1",
	    "domain in a URL" },
	{ "Example.COM example.com.", "anon-1.domain anon-1.domain.",
	    "case and root dot" },
	{ "user@mail.example.org", "user@anon-1.domain", "mail domain" },
	{ "1.2.3.4.nip.io ec2-1-2-3-4.compute.amazonaws.com",
	  "anon-1.domain anon-2.domain", "whole name replaced" },
	{ "peer1.netbird.cloud api.netbird.io x.netbird.selfhosted "
	    "NETBIRD.STAGE anon-3.domain",
	  "peer1.netbird.cloud api.netbird.io x.netbird.selfhosted "
	    "NETBIRD.STAGE anon-3.domain", "allowed names kept" },
	{ "evilnetbird.io", "anon-1.domain", "allow-list on label boundary" },
	{ "/var/log/client.log netbirdd.conf state.json wg0.key",
	  "/var/log/client.log netbirdd.conf state.json wg0.key",
	    "file names kept" },
	{ "version 0.77.1, took 12.345678ms, e.g. sandbox.c:12",
	  "version 0.77.1, took 12.345678ms, e.g. sandbox.c:12",
	    "numbers and one-letter suffixes" },
	{ "{\"ip\":\"5.6.7.8\",\"fqdn\":\"a.corp.example\",\"key\":\"" KEY1
	    "\"}",
	  "{\"ip\":\"198.51.100.1\",\"fqdn\":\"anon-1.domain\",\"key\":\""
	    FAKE1 "\"}", "JSON" },
	{ "rels://relay.example.net:443 stun:stun.example.net:3478",
	  "rels://anon-1.domain:443 stun:anon-2.domain:3478",
	    "relay and STUN URIs" },
	{ "", "", "empty text" },
};

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static char *
run(struct anon *a, const char *in, size_t len, size_t *outlen)
{
	char	*out;

	if ((out = anon_text(a, in, len, outlen)) == NULL) {
		fprintf(stderr, "anon_text: %s\n", strerror(errno));
		exit(1);
	}
	return out;
}

static void
test_table(void)
{
	struct anon	*a;
	char		*out, what[512];
	size_t		 i, len;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if ((a = anon_new()) == NULL)
			exit(1);
		out = run(a, table[i].in, strlen(table[i].in), &len);
		snprintf(what, sizeof(what), "%s: \"%s\"", table[i].what, out);
		check(len == strlen(table[i].out) &&
		    strcmp(out, table[i].out) == 0, what);
		free(out);
		anon_free(a);
	}
}

/* One anonymiser across files: the same value, the same replacement. */
static void
test_consistency(void)
{
	struct anon	*a;
	const char	*t1, *t2;
	char		*o1, *o2;
	size_t		 len;

	if ((a = anon_new()) == NULL)
		exit(1);
	t1 = "1.2.3.4 2a01::1 api.example.com " KEY1;
	t2 = "5.6.7.8 " KEY2 " API.example.com " KEY1 " [2a01::1]:1 1.2.3.4";
	o1 = run(a, t1, strlen(t1), &len);
	o2 = run(a, t2, strlen(t2), &len);
	check(strcmp(o1, "198.51.100.1 2001:db8:ffff::1 anon-1.domain " FAKE1)
	    == 0, "first text");
	check(strcmp(o2, "198.51.100.2 " FAKE2 " anon-1.domain " FAKE1
	    " [2001:db8:ffff::1]:1 198.51.100.1") == 0,
	    "second text: old values as before, new ones numbered on");
	free(o1);
	free(o2);
	anon_free(a);
}

/* NUL and high bytes pass through; tokens next to them still match. */
static void
test_binary(void)
{
	static const char	 in[] = "\0" "1.2.3.4" "\xff\0" "a.example\x80";
	static const char	 want[] = "\0" "198.51.100.1" "\xff\0"
				    "anon-1.domain\x80";
	struct anon		*a;
	char			*out;
	size_t			 len;

	if ((a = anon_new()) == NULL)
		exit(1);
	out = run(a, in, sizeof(in) - 1, &len);
	check(len == sizeof(want) - 1 && memcmp(out, want, len) == 0 &&
	    out[len] == '\0', "binary bytes kept, length counted, NUL added");
	free(out);
	anon_free(a);
}

/* Long runs come out unchanged, and in linear time. */
static void
test_long(void)
{
	static const char	*unit[] = { "a", "a.", ":", "1:", "1.", "A",
				    "ab:", "-", "1.2.3.4.", "fe80::" };
	struct anon		*a;
	char			*in, *out, what[128];
	size_t			 i, j, n = 1024 * 1024, ul, len;
	clock_t			 t0;

	if ((in = malloc(n)) == NULL || (a = anon_new()) == NULL)
		exit(1);
	for (i = 0; i < sizeof(unit) / sizeof(unit[0]); i++) {
		ul = strlen(unit[i]);
		for (j = 0; j < n; j++)
			in[j] = unit[i][j % ul];
		t0 = clock();
		out = run(a, in, n, &len);
		snprintf(what, sizeof(what), "1 MiB of \"%s\" unchanged, "
		    "%.2f s", unit[i], (double)(clock() - t0) / CLOCKS_PER_SEC);
		check(len == n && memcmp(in, out, n) == 0 &&
		    clock() - t0 < 5 * CLOCKS_PER_SEC, what);
		free(out);
	}
	free(in);
	anon_free(a);
}

/* 253 characters and 63-character labels are names; longer are not. */
static void
test_names_bounds(void)
{
	struct anon	*a;
	char		 name[300], *out;
	size_t		 len;

	if ((a = anon_new()) == NULL)
		exit(1);
	memset(name, 'a', 63);
	strlcpy(name + 63, ".example", sizeof(name) - 63);
	out = run(a, name, strlen(name), &len);
	check(strcmp(out, "anon-1.domain") == 0, "63-character label");
	free(out);
	name[0] = 'b';
	memmove(name + 1, name, strlen(name) + 1);
	out = run(a, name, strlen(name), &len);
	check(strcmp(out, name) == 0, "64-character label kept");
	free(out);
	/* 61 x "abc." = 244, then "example" = 251, then ".de" = 254 */
	for (len = 0; len < 61; len++)
		memcpy(name + 4 * len, "abc.", 4);
	strlcpy(name + 244, "exampl.de", sizeof(name) - 244);
	out = run(a, name, strlen(name), &len);
	check(strlen(name) == 253 && strcmp(out, "anon-2.domain") == 0,
	    "253-character name");
	free(out);
	strlcpy(name + 244, "example.de", sizeof(name) - 244);
	out = run(a, name, strlen(name), &len);
	check(strcmp(out, name) == 0, "254-character name kept");
	free(out);
	anon_free(a);
}

static void
test_limits(void)
{
	struct anon	*a;
	char		*in, *out;
	size_t		 i, n, len;

	if ((a = anon_new()) == NULL)
		exit(1);
	errno = 0;
	out = anon_text(a, "", (size_t)ANON_IN_MAX + 1, &len);
	check(out == NULL && errno == EFBIG, "input over 16 MiB refused");
	/* ANON_MAP_MAX distinct public IPv4 addresses, then one more */
	if ((in = malloc(16 * (ANON_MAP_MAX + 1))) == NULL)
		exit(1);
	for (i = 0, n = 0; i < ANON_MAP_MAX; i++)
		n += sprintf(in + n, "11.%zu.%zu.1 ", i >> 8, i & 0xff);
	out = run(a, in, n, &len);
	check(len > 14 && strcmp(out + len - 14, " 198.52.100.0 ") == 0,
	    "65536 distinct addresses, the last 198.52.100.0");
	free(out);
	n = sprintf(in, "12.0.0.1");
	errno = 0;
	out = anon_text(a, in, n, &len);
	check(out == NULL && errno == ENOSPC, "one more refused");
	out = run(a, "11.0.0.1 11.255.255.1", 21, &len);
	check(strcmp(out, "198.51.100.1 198.52.100.0") == 0,
	    "known ones still replaced");
	free(out);
	free(in);
	anon_free(a);
}

int
main(void)
{
	test_table();
	test_consistency();
	test_binary();
	test_long();
	test_names_bounds();
	test_limits();
	return failed;
}
