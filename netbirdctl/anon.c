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
 * The anonymiser of the debug bundle.  The text is read once, left to
 * right; at each position that can begin a token the matchers are
 * tried in turn, and the first that matches decides how many bytes the
 * token covers:
 *  - a WireGuard key: 43 base64 characters and '=' (32 bytes), not part
 *    of a longer base64 run.  Replaced by the key of 28 zero bytes and a
 *    counter, which still reads as a key.  (Go's bundle leaves keys.)
 *  - an IPv6 address: the longest run of hex digits, ':' and '.' that
 *    parses, less a final '.' or ':' or an unbracketed ":port".
 *  - an IPv4 address: four decimal parts up to 255, not part of a
 *    longer dotted number or word ("1.2.3.4.5", "v1.2.3.4" are not).
 *  - a domain name: two labels or more, the last of letters only, not
 *    a file name ("client.log").  The whole name is replaced.
 * Ports, prefix lengths, zones and brackets around a token stay.
 *
 * Public addresses only are replaced: as in NetBird, private, shared
 * (CGNAT 100.64/10, where the overlay lives), loopback, link-local,
 * multicast and reserved ranges stay, and so do the public resolvers
 * and 128.0.0.0 and 8000:: (the second half of a split default route);
 * documentation ranges stay too, as replacements come from them.
 * Names under netbird.io, netbird.cloud, netbird.selfhosted and
 * netbird.stage stay, as do replacements (".domain").
 *
 * One struct anon maps each value to its replacement for the whole
 * bundle: a value is looked up (IPv4 and IPv6 as binary, keys as text,
 * names in lower case) and numbered on first sight, per kind, at most
 * ANON_MAP_MAX of each.  Input and output are bounded; the scan is
 * linear, as every matcher stops within a fixed distance or at the end
 * of a run where no other start of its kind can lie.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"
#include "compat.h"
#include "key.h"

#define ANON_NAME_MAX	253	/* text of a domain name */
#define ANON_LABEL_MAX	63
#define ANON_RUN_MAX	64	/* "v6address:port" and then some */
#define ANON_IP6_TEXT	45	/* INET6_ADDRSTRLEN - 1 */

#define ANON_IP4_BASE	0xc6336400	/* 198.51.100.0 */

enum anon_kind {
	ANON_IP4,
	ANON_IP6,
	ANON_KEY,
	ANON_NAME,
	ANON_KINDS
};

struct anon_ent {
	RB_ENTRY(anon_ent)	 entry;
	int			 kind;
	uint32_t		 n;
	size_t			 len;
	const unsigned char	*val;
	unsigned char		 store[];
};
RB_HEAD(anon_tree, anon_ent);

struct anon {
	struct anon_tree	 tree;
	uint32_t		 next[ANON_KINDS];
};

/* What a matcher found: its kind, extent, and the value to look up. */
struct anon_tok {
	int			 kind;
	size_t			 len;
	int			 keep;
	size_t			 vlen;
	unsigned char		 val[ANON_NAME_MAX];
};

struct anon_out {
	char			*buf;
	size_t			 len;
	size_t			 cap;
};

static int	 ent_cmp(const struct anon_ent *, const struct anon_ent *);
static int	 is_alpha(int);
static int	 is_digit(int);
static int	 is_hex(int);
static int	 is_word(int);
static int	 is_label(int);
static int	 is_b64(int);
static int	 ip4_keep(uint32_t);
static int	 ip6_keep(const struct in6_addr *);
static int	 ip6_parse(const unsigned char *, size_t, struct in6_addr *);
static int	 name_suffix(const unsigned char *, size_t, const char *);
static int	 name_keep(const unsigned char *, size_t, size_t);
static int	 match_key(const unsigned char *, size_t, size_t,
		    struct anon_tok *);
static int	 match_ip6(const unsigned char *, size_t, size_t,
		    struct anon_tok *);
static int	 match_ip4(const unsigned char *, size_t, size_t,
		    struct anon_tok *);
static int	 match_name(const unsigned char *, size_t, size_t,
		    struct anon_tok *);
static int	 anon_index(struct anon *, const struct anon_tok *,
		    uint32_t *);
static int	 anon_replace(int, uint32_t, char *, size_t);
static int	 anon_emit(struct anon *, struct anon_out *,
		    const unsigned char *, const struct anon_tok *);
static int	 out_add(struct anon_out *, const void *, size_t);

RB_PROTOTYPE(anon_tree, anon_ent, entry, ent_cmp)
RB_GENERATE(anon_tree, anon_ent, entry, ent_cmp)

/* Networks that stay, host order (RFC 6890 and NetBird's choice). */
static const struct {
	uint32_t	net;
	int		plen;
} ip4_kept[] = {
	{ 0x00000000, 8 },	/* 0/8, "this network" */
	{ 0x0a000000, 8 },	/* 10/8 */
	{ 0x64400000, 10 },	/* 100.64/10, shared; the overlay */
	{ 0x7f000000, 8 },	/* 127/8 */
	{ 0xa9fe0000, 16 },	/* 169.254/16 */
	{ 0xac100000, 12 },	/* 172.16/12 */
	{ 0xc0000000, 24 },	/* 192.0.0/24, protocol assignments */
	{ 0xc0000200, 24 },	/* 192.0.2/24, documentation */
	{ 0xc0a80000, 16 },	/* 192.168/16 */
	{ 0xc6120000, 15 },	/* 198.18/15, benchmarking */
	{ 0xc6336400, 24 },	/* 198.51.100/24, documentation */
	{ 0xcb007100, 24 },	/* 203.0.113/24, documentation */
	{ 0xe0000000, 4 },	/* 224/4, multicast */
	{ 0xf0000000, 4 },	/* 240/4, reserved and broadcast */
};

/* Well-known public addresses NetBird leaves as they are. */
static const uint32_t ip4_known[] = {
	0x01000001,		/* 1.0.0.1 */
	0x01010101,		/* 1.1.1.1 */
	0x08080404,		/* 8.8.4.4 */
	0x08080808,		/* 8.8.8.8 */
	0x09090909,		/* 9.9.9.9 */
	0x80000000,		/* 128.0.0.0 */
	0x95707070,		/* 149.112.112.112 */
};

static const char *ip6_known[] = {
	"2001:4860:4860::8888", "2001:4860:4860::8844",
	"2606:4700:4700::1111", "2606:4700:4700::1001",
	"2620:fe::fe", "2620:fe::9", "8000::",
};

static const char *name_allowed[] = {
	"netbird.io", "netbird.cloud", "netbird.selfhosted", "netbird.stage",
	"domain",
};

/* Last labels of file names in logs and configuration, not domains. */
static const char *name_files[] = {
	"bak", "cfg", "conf", "crt", "csr", "der", "err", "go", "gz", "html",
	"ini", "js", "json", "key", "log", "out", "pem", "pid", "prof",
	"proto", "service", "sock", "socket", "tar", "tgz", "timer", "tmp",
	"toml", "ts", "txt", "xml", "xz", "yaml", "yml", "zst",
};

struct anon *
anon_new(void)
{
	struct anon	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	RB_INIT(&a->tree);
	return a;
}

void
anon_free(struct anon *a)
{
	struct anon_ent	*e;

	if (a == NULL)
		return;
	while ((e = RB_ROOT(&a->tree)) != NULL) {
		RB_REMOVE(anon_tree, &a->tree, e);
		free(e);
	}
	free(a);
}

/*
 * The text with its tokens replaced, NUL-terminated (the NUL is not
 * counted in *outlen); NULL with errno set: EFBIG (too long, in or
 * out), ENOSPC (too many distinct values), ENOMEM.
 */
char *
anon_text(struct anon *a, const char *text, size_t len, size_t *outlen)
{
	const unsigned char	*in = (const unsigned char *)text;
	struct anon_out		 o;
	struct anon_tok		 t;
	size_t			 i = 0, lit = 0;

	if (len > ANON_IN_MAX) {
		errno = EFBIG;
		return NULL;
	}
	o.len = 0;
	o.cap = len + len / 8 + 64;
	if ((o.buf = malloc(o.cap)) == NULL)
		return NULL;
	while (i < len) {
		if (!match_key(in, len, i, &t) && !match_ip6(in, len, i, &t) &&
		    !match_ip4(in, len, i, &t) && !match_name(in, len, i, &t)) {
			i++;
			continue;
		}
		if (out_add(&o, in + lit, i - lit) == -1 ||
		    anon_emit(a, &o, in + i, &t) == -1)
			goto fail;
		i += t.len;
		lit = i;
	}
	if (out_add(&o, in + lit, i - lit) == -1)
		goto fail;
	o.buf[o.len] = '\0';
	*outlen = o.len;
	return o.buf;
 fail:
	free(o.buf);
	return NULL;
}

static int
ent_cmp(const struct anon_ent *x, const struct anon_ent *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->val, y->val, x->len);
}

/* ASCII only: bytes of UTF-8 or binary are never part of a token. */
static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
is_word(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static int
is_label(int c)
{
	return is_word(c) || c == '-';
}

static int
is_b64(int c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

static int
ip4_keep(uint32_t h)
{
	size_t		i;
	uint32_t	mask;

	for (i = 0; i < nitems(ip4_kept); i++) {
		mask = 0xffffffffU << (32 - ip4_kept[i].plen);
		if ((h & mask) == ip4_kept[i].net)
			return 1;
	}
	for (i = 0; i < nitems(ip4_known); i++)
		if (h == ip4_known[i])
			return 1;
	return 0;
}

static int
ip6_keep(const struct in6_addr *a)
{
	static const uint8_t	 zero[8];
	const uint8_t		*b = a->s6_addr;
	struct in6_addr		 k;
	uint32_t		 v4;
	size_t			 i;

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		    (uint32_t)b[14] << 8 | b[15];
		return ip4_keep(v4);
	}
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a))
		return 1;
	if (b[0] == 0xff ||				/* multicast */
	    (b[0] & 0xfe) == 0xfc ||			/* unique local */
	    (b[0] == 0xfe && (b[1] & 0x80)))	/* link/site-local */
		return 1;
	if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) ||
	    (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0))
		return 1;				/* documentation */
	if (b[0] == 0x01 && memcmp(b + 1, zero, 7) == 0)
		return 1;				/* 100::/64, discard */
	for (i = 0; i < nitems(ip6_known); i++)
		if (inet_pton(AF_INET6, ip6_known[i], &k) == 1 &&
		    memcmp(&k, a, sizeof(k)) == 0)
			return 1;
	return 0;
}

static int
ip6_parse(const unsigned char *s, size_t n, struct in6_addr *a)
{
	char	buf[ANON_IP6_TEXT + 1];

	if (n < 2 || n > ANON_IP6_TEXT)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* The key's 43 characters: two spellings of one key differ in bits. */
static int
match_key(const unsigned char *in, size_t len, size_t i, struct anon_tok *t)
{
	size_t	j;

	if ((i > 0 && is_b64(in[i - 1])) || len - i < KEY_B64_LEN)
		return 0;
	for (j = 0; j < KEY_B64_LEN - 1; j++)
		if (!is_b64(in[i + j]))
			return 0;
	if (in[i + j] != '=')
		return 0;
	j++;
	if (i + j < len && (is_b64(in[i + j]) || in[i + j] == '='))
		return 0;
	t->kind = ANON_KEY;
	t->len = KEY_B64_LEN;
	t->keep = 0;
	t->vlen = KEY_B64_LEN - 1;
	memcpy(t->val, in + i, t->vlen);
	return 1;
}

/*
 * A run starts after a character that cannot be in it, or after a
 * lone ':' that follows a word ("peer:2001:db8::1").
 */
static int
match_ip6(const unsigned char *in, size_t len, size_t i, struct anon_tok *t)
{
	struct in6_addr	a;
	size_t		j, n, k;
	int		p;

	if (!is_hex(in[i]) && in[i] != ':')
		return 0;
	if (i > 0) {
		p = in[i - 1];
		if (is_word(p) || p == '.')
			return 0;
		if (p == ':' && (in[i] == ':' || i < 2 || is_hex(in[i - 2]) ||
		    in[i - 2] == ':' || in[i - 2] == '.'))
			return 0;
	}
	for (j = i; j < len && j - i <= ANON_RUN_MAX; j++)
		if (!is_hex(in[j]) && in[j] != ':' && in[j] != '.')
			break;
	n = j - i;
	if (n > ANON_RUN_MAX || (j < len && is_word(in[j])))
		return 0;
	if (ip6_parse(in + i, n, &a))
		goto found;
	if ((in[j - 1] == '.' || in[j - 1] == ':') &&
	    ip6_parse(in + i, n - 1, &a)) {
		n--;
		goto found;
	}
	for (k = n; k > 0 && is_digit(in[i + k - 1]); k--)
		;
	if (k > 1 && n - k <= 5 && k < n && in[i + k - 1] == ':' &&
	    ip6_parse(in + i, k - 1, &a)) {
		n = k - 1;
		goto found;
	}
	return 0;
 found:
	t->kind = ANON_IP6;
	t->len = n;
	t->keep = ip6_keep(&a);
	t->vlen = sizeof(a.s6_addr);
	memcpy(t->val, a.s6_addr, t->vlen);
	return 1;
}

static int
match_ip4(const unsigned char *in, size_t len, size_t i, struct anon_tok *t)
{
	uint32_t	addr = 0, part;
	size_t		j = i, d;
	int		k;

	if (!is_digit(in[i]) || (i > 0 && (is_word(in[i - 1]) ||
	    in[i - 1] == '.')))
		return 0;
	for (k = 0; k < 4; k++) {
		if (k > 0) {
			if (j >= len || in[j] != '.')
				return 0;
			j++;
		}
		for (d = 0, part = 0; j < len && is_digit(in[j]); j++, d++) {
			if (d == 3)
				return 0;
			part = part * 10 + (uint32_t)(in[j] - '0');
		}
		if (d == 0 || part > 255)
			return 0;
		addr = addr << 8 | part;
	}
	if (j < len && (is_word(in[j]) ||
	    (in[j] == '.' && j + 1 < len && is_word(in[j + 1]))))
		return 0;
	t->kind = ANON_IP4;
	t->len = j - i;
	t->keep = ip4_keep(addr);
	t->vlen = 4;
	t->val[0] = addr >> 24;
	t->val[1] = addr >> 16;
	t->val[2] = addr >> 8;
	t->val[3] = addr;
	return 1;
}

/* Whether name (lower case, n bytes) is s or ends in "." s. */
static int
name_suffix(const unsigned char *name, size_t n, const char *s)
{
	size_t	sl = strlen(s);

	if (n < sl || memcmp(name + n - sl, s, sl) != 0)
		return 0;
	return n == sl || name[n - sl - 1] == '.';
}

static int
name_keep(const unsigned char *name, size_t n, size_t tld)
{
	size_t	i;

	for (i = 0; i < nitems(name_files); i++)
		if (n - tld == strlen(name_files[i]) &&
		    memcmp(name + tld, name_files[i], n - tld) == 0)
			return 1;
	for (i = 0; i < nitems(name_allowed); i++)
		if (name_suffix(name, n, name_allowed[i]))
			return 1;
	return 0;
}

static int
match_name(const unsigned char *in, size_t len, size_t i, struct anon_tok *t)
{
	size_t	j = i, k, tld, labels = 0, n;

	if (!is_word(in[i]) || (i > 0 && (is_label(in[i - 1]) ||
	    in[i - 1] == '.')))
		return 0;
	for (;;) {
		for (k = j; k < len && is_label(in[k]); k++)
			if (k - j == ANON_LABEL_MAX || k - i >= ANON_NAME_MAX)
				return 0;
		labels++;
		tld = j;
		if (k + 1 < len && in[k] == '.' && is_label(in[k + 1])) {
			j = k + 1;
			continue;
		}
		break;
	}
	n = k - i;
	if (labels < 2 || k - tld < 2)
		return 0;
	for (j = tld; j < k; j++)
		if (!is_alpha(in[j]))
			return 0;
	for (j = 0; j < n; j++)
		t->val[j] = (in[i + j] >= 'A' && in[i + j] <= 'Z') ?
		    in[i + j] - 'A' + 'a' : in[i + j];
	t->kind = ANON_NAME;
	t->len = n;
	t->vlen = n;
	t->keep = name_keep(t->val, n, tld - i);
	return 1;
}

static int
anon_index(struct anon *a, const struct anon_tok *t, uint32_t *n)
{
	struct anon_ent	 find, *e;

	find.kind = t->kind;
	find.len = t->vlen;
	find.val = t->val;
	if ((e = RB_FIND(anon_tree, &a->tree, &find)) != NULL) {
		*n = e->n;
		return 0;
	}
	if (a->next[t->kind] == ANON_MAP_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if ((e = malloc(sizeof(*e) + t->vlen)) == NULL)
		return -1;
	memcpy(e->store, t->val, t->vlen);
	e->val = e->store;
	e->kind = t->kind;
	e->len = t->vlen;
	e->n = a->next[t->kind]++;
	RB_INSERT(anon_tree, &a->tree, e);
	*n = e->n;
	return 0;
}

/* Replacement n (from 0) of a kind; numbering shown starts at 1. */
static int
anon_replace(int kind, uint32_t n, char *buf, size_t len)
{
	struct in6_addr	a;
	uint8_t		k[KEY_LEN];
	uint32_t	v = n + 1;
	int		r;

	switch (kind) {
	case ANON_IP4:
		v += ANON_IP4_BASE;
		r = snprintf(buf, len, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff,
		    (v >> 8) & 0xff, v & 0xff);
		return r < 0 || (size_t)r >= len ? -1 : 0;
	case ANON_IP6:
		memset(&a, 0, sizeof(a));
		memcpy(a.s6_addr, "\x20\x01\x0d\xb8\xff\xff", 6);
		a.s6_addr[12] = v >> 24;
		a.s6_addr[13] = v >> 16;
		a.s6_addr[14] = v >> 8;
		a.s6_addr[15] = v;
		return inet_ntop(AF_INET6, &a, buf, len) == NULL ? -1 : 0;
	case ANON_KEY:
		memset(k, 0, sizeof(k));
		k[28] = v >> 24;
		k[29] = v >> 16;
		k[30] = v >> 8;
		k[31] = v;
		return key_to_base64(k, buf, len);
	case ANON_NAME:
		r = snprintf(buf, len, "anon-%u.domain", v);
		return r < 0 || (size_t)r >= len ? -1 : 0;
	}
	return -1;
}

static int
anon_emit(struct anon *a, struct anon_out *o, const unsigned char *src,
    const struct anon_tok *t)
{
	char		rep[64];
	uint32_t	n;

	if (t->keep)
		return out_add(o, src, t->len);
	if (anon_index(a, t, &n) == -1)
		return -1;
	if (anon_replace(t->kind, n, rep, sizeof(rep)) == -1) {
		errno = EINVAL;
		return -1;
	}
	return out_add(o, rep, strlen(rep));
}

/* Append, keeping room for the final NUL. */
static int
out_add(struct anon_out *o, const void *p, size_t n)
{
	char	*nb;
	size_t	 cap;

	if (n == 0)
		return 0;
	if (n > ANON_OUT_MAX - o->len) {
		errno = EFBIG;
		return -1;
	}
	if (o->len + n >= o->cap) {
		for (cap = o->cap; cap <= o->len + n; cap *= 2)
			;
		if (cap > ANON_OUT_MAX + 1)
			cap = ANON_OUT_MAX + 1;
		if ((nb = realloc(o->buf, cap)) == NULL)
			return -1;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}
