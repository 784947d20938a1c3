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
 * The pure pieces of the metrics push: the remote config (a strict,
 * bounded reader for one flat JSON object), versions compared like
 * hashicorp/go-version, Go duration strings, gzip bodies, push URLs.
 */

#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZLIB_CONST
#include <zlib.h>

#include "compat.h"
#include "nbd_ctl.h"
#include "metrics_push.h"

#define VERSION_SEGS_MAX	16
#define JSON_KEY_MAX		32

/* A parsed version: numeric segments (at least 3) and the pre-release. */
struct version {
	int64_t		 seg[VERSION_SEGS_MAX];
	size_t		 nseg;
	const char	*pre;		/* not terminated: prelen bytes */
	size_t		 prelen;
};

struct jcur {
	const char	*p;
	const char	*end;
};

enum rconf_key {
	KEY_SERVER_URL,
	KEY_SINCE,
	KEY_UNTIL,
	KEY_PERIOD,
	KEY_UNKNOWN
};

static const struct rconf_keyinfo {
	const char	*name;
	const char	*missing;
	const char	*duplicate;
	const char	*type;
	const char	*toolong;
} rconf_keys[] = {
	[KEY_SERVER_URL] = { "server_url", "missing server_url",
	    "duplicate server_url", "server_url is not a string",
	    "server_url too long" },
	[KEY_SINCE] = { "version-since", "missing version-since",
	    "duplicate version-since", "version-since is not a string",
	    "version-since too long" },
	[KEY_UNTIL] = { "version-until", "missing version-until",
	    "duplicate version-until", "version-until is not a string",
	    "version-until too long" },
	[KEY_PERIOD] = { "period_minutes", "missing period_minutes",
	    "duplicate period_minutes", "period_minutes is not a number",
	    NULL },
};

enum jnum {
	JNUM_INT,	/* an integer literal that fits int64_t */
	JNUM_BIG,	/* an integer literal that does not */
	JNUM_REAL	/* a fraction or an exponent */
};

static int	 is_digit(int);
static int	 is_vchar(int);
static void	 j_ws(struct jcur *);
static const char *j_string(struct jcur *, char *, size_t, size_t *);
static const char *j_number(struct jcur *, enum jnum *, int64_t *);
static const char *j_literal(struct jcur *);
static const char *j_skip(struct jcur *);
static const char *j_member(struct jcur *, struct rconf *, unsigned int *);
static const char *j_object(struct jcur *, struct rconf *);
static const char *j_period(struct jcur *, struct rconf *);
static enum rconf_key key_lookup(const char *, size_t);
static const char *vparts(const char *);
static int	 vparse(const char *, struct version *);
static int	 go_parseint(const char *, size_t, int64_t *);
static int	 pre_part_cmp(const char *, size_t, const char *, size_t);
static int	 pre_cmp(const struct version *, const struct version *);
static int	 segs_zero(const struct version *, size_t);
static int	 vcompare(const struct version *, const struct version *);
static uint64_t	 duration_unit(const char *, size_t);
static int	 url_host(const char *, size_t);

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A character of a go-version pre-release or metadata part. */
static int
is_vchar(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-' || c == '~';
}

/* ---- the remote config: one flat JSON object ---- */

static void
j_ws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/*
 * A string at c->p (its opening quote).  At most outsz - 1 bytes of it
 * go to out (if not NULL), terminated; *len is its whole decoded length.
 * \uXXXX must be ASCII and not NUL.
 */
static const char *
j_string(struct jcur *c, char *out, size_t outsz, size_t *len)
{
	size_t		 n = 0;
	unsigned int	 u;
	int		 i, ch;

	c->p++;
	for (;;) {
		if (c->p >= c->end)
			return "unterminated string";
		ch = (unsigned char)*c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20)
			return "control character in a string";
		if (ch == '\\') {
			if (c->p >= c->end)
				return "unterminated string";
			switch (*c->p++) {
			case '"':
				ch = '"';
				break;
			case '\\':
				ch = '\\';
				break;
			case '/':
				ch = '/';
				break;
			case 'b':
				ch = '\b';
				break;
			case 'f':
				ch = '\f';
				break;
			case 'n':
				ch = '\n';
				break;
			case 'r':
				ch = '\r';
				break;
			case 't':
				ch = '\t';
				break;
			case 'u':
				if (c->end - c->p < 4)
					return "bad \\u escape";
				for (u = 0, i = 0; i < 4; i++, c->p++) {
					ch = (unsigned char)*c->p;
					u <<= 4;
					if (is_digit(ch))
						u |= ch - '0';
					else if (ch >= 'a' && ch <= 'f')
						u |= ch - 'a' + 10;
					else if (ch >= 'A' && ch <= 'F')
						u |= ch - 'A' + 10;
					else
						return "bad \\u escape";
				}
				if (u == 0 || u >= 0x80)
					return "\\u escape not ASCII or NUL";
				ch = (int)u;
				break;
			default:
				return "bad escape in a string";
			}
		}
		if (out != NULL && n + 1 < outsz)
			out[n] = (char)ch;
		n++;
	}
	if (out != NULL)
		out[MINIMUM(n, outsz - 1)] = '\0';
	*len = n;
	return NULL;
}

/* A JSON number; the integer value if it is an integer that fits. */
static const char *
j_number(struct jcur *c, enum jnum *kind, int64_t *val)
{
	uint64_t	 n = 0, lim;
	int		 neg = 0, d;

	*kind = JNUM_INT;
	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (c->p >= c->end || !is_digit(*c->p))
		return "bad number";
	if (*c->p == '0') {
		c->p++;
		if (c->p < c->end && is_digit(*c->p))
			return "bad number";
	}
	while (c->p < c->end && is_digit(*c->p)) {
		d = *c->p++ - '0';
		if (n > (lim - d) / 10)
			*kind = JNUM_BIG;
		else
			n = n * 10 + d;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return "bad number";
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
		*kind = JNUM_REAL;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return "bad number";
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
		*kind = JNUM_REAL;
	}
	if (neg)
		*val = n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n;
	else
		*val = (int64_t)n;
	return NULL;
}

static const char *
j_literal(struct jcur *c)
{
	static const char	*lits[] = { "true", "false", "null" };
	size_t			 i, n;

	for (i = 0; i < nitems(lits); i++) {
		n = strlen(lits[i]);
		if ((size_t)(c->end - c->p) >= n &&
		    memcmp(c->p, lits[i], n) == 0) {
			c->p += n;
			return NULL;
		}
	}
	return "bad value";
}

/* A value of a key we do not know: checked, then ignored. */
static const char *
j_skip(struct jcur *c)
{
	enum jnum	 kind;
	int64_t		 v;
	size_t		 len;

	if (c->p >= c->end)
		return "missing value";
	switch (*c->p) {
	case '"':
		return j_string(c, NULL, 0, &len);
	case '{':
	case '[':
		return "nested value";
	case '-':
		return j_number(c, &kind, &v);
	default:
		if (is_digit(*c->p))
			return j_number(c, &kind, &v);
		return j_literal(c);
	}
}

static const char *
j_period(struct jcur *c, struct rconf *rc)
{
	const char	*why;
	enum jnum	 kind;
	int64_t		 v;

	if (c->p >= c->end || (*c->p != '-' && !is_digit(*c->p))) {
		if ((why = j_skip(c)) != NULL)
			return why;
		return rconf_keys[KEY_PERIOD].type;
	}
	if ((why = j_number(c, &kind, &v)) != NULL)
		return why;
	if (kind == JNUM_REAL)
		return "period_minutes is not an integer";
	if (kind == JNUM_INT && v <= 0)
		return "period_minutes is not positive";
	if (kind == JNUM_BIG || v > RCONF_PERIOD_MAX)
		return "period_minutes too large";
	rc->period_minutes = (int)v;
	return NULL;
}

static enum rconf_key
key_lookup(const char *key, size_t len)
{
	size_t	 i;

	if (len >= JSON_KEY_MAX)
		return KEY_UNKNOWN;
	for (i = 0; i < KEY_UNKNOWN; i++)
		if (strcmp(key, rconf_keys[i].name) == 0)
			return i;
	return KEY_UNKNOWN;
}

static const char *
j_member(struct jcur *c, struct rconf *rc, unsigned int *seen)
{
	const struct rconf_keyinfo	*ki;
	const char			*why;
	char				 key[JSON_KEY_MAX], *dst = NULL;
	size_t				 len, dstsz = 0;
	enum rconf_key			 k;

	if (c->p >= c->end || *c->p != '"')
		return "expected a key";
	if ((why = j_string(c, key, sizeof(key), &len)) != NULL)
		return why;
	j_ws(c);
	if (c->p >= c->end || *c->p != ':')
		return "expected ':'";
	c->p++;
	j_ws(c);
	if ((k = key_lookup(key, len)) == KEY_UNKNOWN)
		return j_skip(c);
	ki = &rconf_keys[k];
	if (*seen & (1U << k))
		return ki->duplicate;
	*seen |= 1U << k;
	switch (k) {
	case KEY_SERVER_URL:
		dst = rc->server_url;
		dstsz = sizeof(rc->server_url);
		break;
	case KEY_SINCE:
		dst = rc->since;
		dstsz = sizeof(rc->since);
		break;
	case KEY_UNTIL:
		dst = rc->until;
		dstsz = sizeof(rc->until);
		break;
	case KEY_PERIOD:
		return j_period(c, rc);
	case KEY_UNKNOWN:
		break;
	}
	if (c->p >= c->end || *c->p != '"') {
		if ((why = j_skip(c)) != NULL)
			return why;
		return ki->type;
	}
	if ((why = j_string(c, dst, dstsz, &len)) != NULL)
		return why;
	if (len >= dstsz)
		return ki->toolong;
	return NULL;
}

static const char *
j_object(struct jcur *c, struct rconf *rc)
{
	const char	*why;
	unsigned int	 seen = 0;
	size_t		 i;

	j_ws(c);
	if (c->p >= c->end || *c->p != '{')
		return "not a JSON object";
	c->p++;
	j_ws(c);
	if (c->p < c->end && *c->p == '}')
		c->p++;
	else
		for (;;) {
			if ((why = j_member(c, rc, &seen)) != NULL)
				return why;
			j_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				j_ws(c);
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return "expected ',' or '}'";
		}
	j_ws(c);
	if (c->p != c->end)
		return "trailing data after the object";
	for (i = 0; i < KEY_UNKNOWN; i++)
		if ((seen & (1U << i)) == 0)
			return rconf_keys[i].missing;
	return NULL;
}

/*
 * The remote config: all four keys, each once; unknown keys (flat
 * values only) ignored.  *rc is only written when all is well.
 */
const char *
rconf_parse(const char *body, size_t len, struct rconf *rc)
{
	struct rconf	 tmp;
	struct version	 v;
	struct jcur	 c;
	const char	*why;

	if (len > RCONF_BODY_MAX)
		return "body too long";
	memset(&tmp, 0, sizeof(tmp));
	c.p = body;
	c.end = body + len;
	if ((why = j_object(&c, &tmp)) != NULL)
		return why;
	if (tmp.server_url[0] == '\0')
		return "server_url is empty";
	if (!url_abs_http(tmp.server_url))
		return "server_url is not an absolute http(s) URL";
	if (vparse(tmp.since, &v) == -1)
		return "version-since is not a version";
	if (vparse(tmp.until, &v) == -1)
		return "version-until is not a version";
	*rc = tmp;
	return NULL;
}

/* ---- versions, as hashicorp/go-version reads and orders them ---- */

/* Dot-separated non-empty parts of [0-9A-Za-z~-]; the end of them. */
static const char *
vparts(const char *p)
{
	for (;;) {
		if (!is_vchar((unsigned char)*p))
			return NULL;
		while (is_vchar((unsigned char)*p))
			p++;
		if (*p != '.')
			return p;
		p++;
	}
}

/*
 * "v"? N(.N)* then a pre-release ("-" and parts, or parts that start
 * with a letter, "-" or "~") then "+" and metadata parts, which do not
 * take part in comparisons.  Missing segments up to 3 are 0.
 */
static int
vparse(const char *s, struct version *v)
{
	const char	*p = s, *q;
	int64_t		 n;
	int		 d;

	memset(v, 0, sizeof(*v));
	if (*p == 'v')
		p++;
	for (;;) {
		if (!is_digit(*p) || v->nseg == VERSION_SEGS_MAX)
			return -1;
		for (n = 0; is_digit(*p); p++) {
			d = *p - '0';
			if (n > (INT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
		}
		v->seg[v->nseg++] = n;
		if (*p != '.')
			break;
		p++;
	}
	if (v->nseg < 3)
		v->nseg = 3;
	if (*p == '-' || (is_vchar((unsigned char)*p) && !is_digit(*p))) {
		v->pre = p;
		if (*p == '-' && is_vchar((unsigned char)p[1]))
			v->pre = p + 1;
		if ((q = vparts(v->pre)) == NULL)
			return -1;
		v->prelen = q - v->pre;
		p = q;
	}
	if (*p == '+' && (p = vparts(p + 1)) == NULL)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/*
 * Go's strconv.ParseInt(s, 10, 64): 1 if s is a number; otherwise 0,
 * with *v 0 for a syntax error or the clamped value for a range error,
 * which go-version's comparison of pre-release parts looks at.
 */
static int
go_parseint(const char *s, size_t len, int64_t *v)
{
	uint64_t	 n = 0;
	size_t		 i = 0;
	int		 neg = 0, d;

	*v = 0;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return 0;
	for (; i < len; i++) {
		if (!is_digit(s[i]))
			return 0;
		d = s[i] - '0';
		if (n > (UINT64_MAX - d) / 10) {
			*v = neg ? INT64_MIN : INT64_MAX;
			return 0;
		}
		n = n * 10 + d;
	}
	if (!neg && n > INT64_MAX) {
		*v = INT64_MAX;
		return 0;
	}
	if (neg && n > (uint64_t)INT64_MAX + 1) {
		*v = INT64_MIN;
		return 0;
	}
	if (neg)
		*v = n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n;
	else
		*v = (int64_t)n;
	return 1;
}

/* One part of two pre-releases, "" where one has fewer parts. */
static int
pre_part_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int64_t	 ai, bi;
	int	 anum, bnum, r;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	anum = go_parseint(a, alen, &ai);
	bnum = go_parseint(b, blen, &bi);
	if (alen == 0)
		return bnum ? -1 : 1;
	if (blen == 0)
		return anum ? 1 : -1;
	if (anum && !bnum)
		return -1;
	if (!anum && bnum)
		return 1;
	if (!anum && !bnum) {
		r = memcmp(a, b, MINIMUM(alen, blen));
		if (r > 0 || (r == 0 && alen > blen))
			return 1;
	}
	return ai > bi ? 1 : -1;
}

/* A pre-release ends at "+" or at the end of the string. */
static int
pre_cmp(const struct version *a, const struct version *b)
{
	const char	*pa = a->pre, *pb = b->pre;
	const char	*ea = a->pre + a->prelen, *eb = b->pre + b->prelen;
	size_t		 la, lb;
	int		 r;

	if (a->prelen == b->prelen && memcmp(pa, pb, a->prelen) == 0)
		return 0;
	while (pa < ea || pb < eb) {
		la = pa < ea ? strcspn(pa, ".+") : 0;
		lb = pb < eb ? strcspn(pb, ".+") : 0;
		if ((r = pre_part_cmp(pa, la, pb, lb)) != 0)
			return r;
		pa = pa < ea ? pa + la + 1 : pa;
		pb = pb < eb ? pb + lb + 1 : pb;
	}
	return 0;
}

static int
segs_zero(const struct version *v, size_t from)
{
	size_t	 i;

	for (i = from; i < v->nseg; i++)
		if (v->seg[i] != 0)
			return 0;
	return 1;
}

/*
 * go-version's Compare: the pre-release only counts when the segments
 * are the same in number and value; extra trailing zero segments make
 * versions equal whatever their pre-releases.
 */
static int
vcompare(const struct version *a, const struct version *b)
{
	size_t	 i;

	if (a->nseg == b->nseg &&
	    memcmp(a->seg, b->seg, a->nseg * sizeof(a->seg[0])) == 0) {
		if (a->prelen == 0 && b->prelen == 0)
			return 0;
		if (a->prelen == 0)
			return 1;
		if (b->prelen == 0)
			return -1;
		return pre_cmp(a, b);
	}
	for (i = 0; i < MAXIMUM(a->nseg, b->nseg); i++) {
		if (i >= a->nseg)
			return segs_zero(b, i) ? 0 : -1;
		if (i >= b->nseg)
			return segs_zero(a, i) ? 0 : 1;
		if (a->seg[i] != b->seg[i])
			return a->seg[i] < b->seg[i] ? -1 : 1;
	}
	return 0;
}

int
version_cmp(const char *a, const char *b, int *cmp)
{
	struct version	 va, vb;

	if (vparse(a, &va) == -1 || vparse(b, &vb) == -1)
		return -1;
	*cmp = vcompare(&va, &vb);
	return 0;
}

/* Push iff version-since <= agent version < version-until. */
int
rconf_eligible(const struct rconf *rc, const char *agent)
{
	struct version	 a, since, until;

	if (vparse(agent, &a) == -1)
		return -1;
	if (vparse(rc->since, &since) == -1 || vparse(rc->until, &until) == -1)
		return 0;
	return vcompare(&a, &since) >= 0 && vcompare(&a, &until) < 0;
}

/* ---- Go durations ---- */

static uint64_t
duration_unit(const char *u, size_t len)
{
	static const struct {
		const char	*name;
		uint64_t	 ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "\xc2\xb5s", 1000 },		/* U+00B5 micro sign */
		{ "\xce\xbcs", 1000 },		/* U+03BC Greek mu */
		{ "ms", 1000000 },
		{ "s", 1000000000ULL },
		{ "m", 60 * 1000000000ULL },
		{ "h", 3600 * 1000000000ULL },
	};
	size_t	 i;

	for (i = 0; i < nitems(units); i++)
		if (strlen(units[i].name) == len &&
		    memcmp(units[i].name, u, len) == 0)
			return units[i].ns;
	return 0;
}

/*
 * time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or "0", with Go's
 * overflow checks and its float arithmetic for fractions.  Only a
 * positive duration is taken here.
 */
int
go_duration_parse(const char *s, int64_t *ns)
{
	const uint64_t	 top = (uint64_t)1 << 63;
	const char	*p = s, *u;
	uint64_t	 d = 0, v, f, unit;
	double		 scale;
	int		 neg = 0, pre, post, over;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0' || strcmp(p, "0") == 0)
		return -1;
	while (*p != '\0') {
		v = f = 0;
		scale = 1;
		pre = post = over = 0;
		if (*p != '.' && !is_digit(*p))
			return -1;
		for (; is_digit(*p); p++, pre = 1) {
			if (v > top / 10)
				return -1;
			v = v * 10 + (*p - '0');
			if (v > top)
				return -1;
		}
		if (*p == '.')
			for (p++; is_digit(*p); p++, post = 1) {
				if (over || f > (top - 1) / 10 ||
				    f * 10 + (*p - '0') > top) {
					over = 1;
					continue;
				}
				f = f * 10 + (*p - '0');
				scale *= 10;
			}
		if (!pre && !post)
			return -1;
		for (u = p; *p != '\0' && *p != '.' && !is_digit(*p); p++)
			;
		if ((unit = duration_unit(u, p - u)) == 0)
			return -1;
		if (v > top / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > top)
				return -1;
		}
		d += v;
		if (d > top)
			return -1;
	}
	if (neg || d == 0 || d > INT64_MAX)
		return -1;
	*ns = (int64_t)d;
	return 0;
}

/* ---- push bodies and URLs ---- */

/* in, gzipped in one pass into a buffer of deflateBound()'s size. */
int
gzip_buf(const void *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream	 zs;
	uLong		 bound;
	uint8_t		*buf;

	if (inlen > UINT_MAX)
		return -1;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, inlen);
	if (bound > UINT_MAX || (buf = malloc(bound)) == NULL) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = in;
	zs.avail_in = inlen;
	zs.next_out = buf;
	zs.avail_out = bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return -1;
	}
	*outlen = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return 0;
}

/* [userinfo@]host[:port], host a name, an IPv4 or a [IPv6] literal. */
static int
url_host(const char *a, size_t len)
{
	const char	*h, *p, *end = a + len;
	long		 port = 0;

	for (h = a, p = a; p < end; p++)
		if (*p == '@')
			h = p + 1;
	if (h < end && *h == '[') {
		for (p = h + 1; p < end && (isxdigit((unsigned char)*p) ||
		    *p == ':' || *p == '.'); p++)
			;
		if (p >= end || *p != ']' || p - h < 2)
			return 0;
		p++;
	} else {
		for (p = h; p < end && (isalnum((unsigned char)*p) ||
		    strchr("-._~", *p) != NULL); p++)
			;
		if (p == h)
			return 0;
	}
	if (p == end)
		return 1;
	if (*p != ':' || end - p < 2 || end - p > 6)
		return 0;
	for (p++; p < end; p++) {
		if (!is_digit(*p))
			return 0;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

/* An absolute http or https URL with a host, printable ASCII only. */
int
url_abs_http(const char *s)
{
	const char	*p, *c;

	if (strncasecmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return 0;
	for (c = s; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return 0;
	return url_host(p, strcspn(p, "/?#"));
}
