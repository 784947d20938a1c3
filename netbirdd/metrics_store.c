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
 * The metrics process's samples.  The push buffer is a fixed ring of
 * compact samples, written out in InfluxDB line protocol byte for byte
 * as NetBird's Go client writes it (protocol.md 7.1, 7.2): fields are
 * Go's %g of time.Duration.Seconds(), sorted by name, zeros written,
 * timestamps in unix ns, tag values unescaped.  Beside it, and never
 * trimmed, the cumulative state of the Prometheus text exposition: the
 * peer table, histograms, login counters and resident memory.
 *
 * Samples come from other processes.  What no correct sender makes (a
 * phase name outside [a-z_], a type out of range, a negative duration
 * or time) is refused whole with a warning: ms_add_* returns -1.
 */

#include <sys/types.h>
#include <sys/tree.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key.h"
#include "log.h"
#include "metrics.h"

#define NS_PER_S	1000000000LL
#define MS_CONN_TYPES	3		/* enum nbd_metric_conn_type */
#define MS_HIST_MAX	10		/* buckets, +Inf included */

enum ms_kind {
	MS_CONN,
	MS_SYNC,
	MS_SYNC_PHASE,
	MS_LOGIN
};

/* One sample of the push buffer; durations in ns. */
struct ms_sample {
	int64_t		ts;		/* unix ns */
	uint8_t		kind;		/* enum ms_kind */
	uint8_t		conn_type;	/* enum nbd_metric_conn_type */
	uint8_t		flag;		/* reconnection; login success */
	union {
		struct {
			int64_t	sig_ready;
			int64_t	ready_hs;
			int64_t	total;
			char	pair_id[MS_ID_LEN];
		} conn;
		struct {
			int64_t	duration;
			char	phase[NBD_PHASE_NAME_LEN];
		} dur;			/* sync, sync phase, login */
	} u;
};

struct ms_bucket {
	int64_t		 le;		/* ns; INT64_MAX: +Inf */
	const char	*label;
};

/* Cumulative: bucket[i] counts observations <= le of bucket i. */
struct ms_hist {
	uint64_t	bucket[MS_HIST_MAX];
	uint64_t	count;
	double		sum;		/* seconds */
};

struct ms_peer {
	RB_ENTRY(ms_peer)	by_key;
	RB_ENTRY(ms_peer)	by_id;
	struct nbd_key		key;
	char			peer_id[MS_ID_LEN];
	int32_t			state;	/* enum ctl_peer_state */
	uint64_t		rx_bytes;
	uint64_t		tx_bytes;
};
RB_HEAD(ms_peers_key, ms_peer);
RB_HEAD(ms_peers_id, ms_peer);
RB_PROTOTYPE(ms_peers_key, ms_peer, by_key, ms_peer_key_cmp)
RB_PROTOTYPE(ms_peers_id, ms_peer, by_id, ms_peer_id_cmp)

struct ms_store {
	struct ms_sample	ring[MS_MAX_SAMPLES];
	size_t			head;		/* the oldest sample */
	size_t			count;
	int			full_logged;	/* until count < the bound */
	struct ms_hist		conn_hist[MS_CONN_TYPES];
	struct ms_hist		sync_hist;
	uint64_t		logins[2];	/* failure, success */
	struct ms_peers_key	peers;
	struct ms_peers_id	peers_by_id;	/* the exposition's order */
	size_t			npeers;
	uint64_t		nstate[3];	/* by enum ctl_peer_state */
	uint64_t		rss[PROC_MAX];
};

static int	 ms_peer_key_cmp(const struct ms_peer *,
		    const struct ms_peer *);
static int	 ms_peer_id_cmp(const struct ms_peer *,
		    const struct ms_peer *);
static void	 ms_rounded(double, int, char *, int *);
static int	 ms_shortest(double, char *, int *);
static int	 ms_try_digits(double, const char *, int);
static void	 ms_neighbour(char *, int *, int);
static void	 ms_layout(int, const char *, int, char *);
static int	 ms_valid_id(const char *);
static int	 ms_valid_phase(const char *);
static int	 ms_percent_ok(const char *, const char *);
static int	 ms_userinfo_ok(const char *, const char *);
static int	 ms_is_cloud_host(const char *, const char *);
static void	 ms_key_id(const struct nbd_key *, char [MS_ID_LEN]);
static struct ms_sample *ms_push(struct ms_store *);
static void	 ms_observe(struct ms_hist *, const struct ms_bucket *,
		    int64_t);
static int	 ms_write_sample(const struct ms_sample *,
		    const struct ms_tags *, FILE *);
static void	 ms_prom_head(FILE *, const char *, const char *,
		    const char *);
static void	 ms_prom_value(FILE *, const char *);
static void	 ms_prom_hist(FILE *, const char *, const char *,
		    const char *, const struct ms_hist *,
		    const struct ms_bucket *);
static void	 ms_prom_info(FILE *, const struct ms_tags *);
static void	 ms_prom_peers(FILE *, const struct ms_store *);
static struct ms_peer *ms_first_by_id(const struct ms_store *);
static void	 ms_prom_bytes(FILE *, const struct ms_store *, int);
static void	 ms_prom_rss(FILE *, const struct ms_store *,
		    const char *const [PROC_MAX]);

RB_GENERATE(ms_peers_key, ms_peer, by_key, ms_peer_key_cmp)
RB_GENERATE(ms_peers_id, ms_peer, by_id, ms_peer_id_cmp)

static const char *const conn_type_names[MS_CONN_TYPES] = {
	[NBD_METRIC_ICE_P2P] =	"ice_p2p",
	[NBD_METRIC_ICE_TURN] =	"ice_turn",
	[NBD_METRIC_RELAY] =	"relay",
};

static const char *const peer_state_names[] = {
	[CTL_PEER_IDLE] =	"idle",
	[CTL_PEER_CONNECTING] =	"connecting",
	[CTL_PEER_CONNECTED] =	"connected",
};

static const struct ms_bucket conn_buckets[MS_HIST_MAX] = {
	{ 100000000LL, "0.1" }, { 250000000LL, "0.25" },
	{ 500000000LL, "0.5" }, { NS_PER_S, "1" },
	{ 2500000000LL, "2.5" }, { 5 * NS_PER_S, "5" },
	{ 10 * NS_PER_S, "10" }, { 30 * NS_PER_S, "30" },
	{ 60 * NS_PER_S, "60" }, { INT64_MAX, "+Inf" },
};

static const struct ms_bucket sync_buckets[MS_HIST_MAX] = {
	{ 1000000LL, "0.001" }, { 5000000LL, "0.005" },
	{ 10000000LL, "0.01" }, { 50000000LL, "0.05" },
	{ 100000000LL, "0.1" }, { 500000000LL, "0.5" },
	{ NS_PER_S, "1" }, { 5 * NS_PER_S, "5" },
	{ INT64_MAX, "+Inf" }, { 0, NULL },
};

static int
ms_peer_key_cmp(const struct ms_peer *a, const struct ms_peer *b)
{
	return memcmp(a->key.key, b->key.key, sizeof(a->key.key));
}

/* By peer id; two keys whose ids collide stay apart by key. */
static int
ms_peer_id_cmp(const struct ms_peer *a, const struct ms_peer *b)
{
	int	 c;

	if ((c = strcmp(a->peer_id, b->peer_id)) != 0)
		return c;
	return ms_peer_key_cmp(a, b);
}

void
ms_peer_id(const char *key_b64, char out[MS_ID_LEN])
{
	unsigned char	 h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)key_b64,
	    strlen(key_b64));
	sodium_bin2hex(out, MS_ID_LEN, h, (MS_ID_LEN - 1) / 2);
}

void
ms_pair_id(const char *id_a, const char *id_b, char out[MS_ID_LEN])
{
	char	 cat[2 * MS_ID_LEN];

	if (strcmp(id_a, id_b) > 0) {
		const char	*t = id_a;

		id_a = id_b;
		id_b = t;
	}
	(void)snprintf(cat, sizeof(cat), "%.16s%.16s", id_a, id_b);
	ms_peer_id(cat, out);
}

/* The id of a binary key: NetBird hashes the key's base64 string. */
static void
ms_key_id(const struct nbd_key *key, char out[MS_ID_LEN])
{
	char	 b64[KEY_B64_LEN + 1];

	if (key_to_base64(key->key, b64, sizeof(b64)) == -1)
		fatalx("%s: key_to_base64", __func__);
	ms_peer_id(b64, out);
}

/*
 * What Go's url.Parse and Hostname() make of the management URL:
 * "cloud" only with an authority ("//host") whose host is
 * api.netbird.io in any case.  Without a scheme Go reads
 * "api.netbird.io:443" as scheme "api.netbird.io" and an opaque "443",
 * so that is "selfhosted", as in NetBird.  What Go refuses to parse
 * (control bytes, bad escapes, a bad port or user info) is
 * "selfhosted" too.
 */
const char *
ms_deployment(const char *url)
{
	const char	*p, *end, *hash, *auth, *aend, *at;

	if (url == NULL || *url == '\0')
		return "unknown";
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "selfhosted";
	if ((hash = strchr(url, '#')) == NULL)
		end = url + strlen(url);
	else
		end = hash;
	if ((p = memchr(url, '?', end - url)) != NULL)
		end = p;
	if (!ms_percent_ok(url, end) ||
	    (hash != NULL && !ms_percent_ok(hash + 1, hash + strlen(hash))))
		return "selfhosted";	/* the query is not checked */

	p = url;
	if (*p == ':')
		return "selfhosted";	/* "missing protocol scheme" */
	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
		    *p == '.')
			p++;
		p = (*p == ':') ? p + 1 : url;
	}
	if (end - p < 2 || p[0] != '/' || p[1] != '/')
		return "selfhosted";
	auth = p + 2;
	if ((aend = memchr(auth, '/', end - auth)) == NULL)
		aend = end;
	for (at = NULL, p = auth; p < aend; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		if (!ms_userinfo_ok(auth, at))
			return "selfhosted";
		auth = at + 1;
	}
	return ms_is_cloud_host(auth, aend) ? "cloud" : "selfhosted";
}

/* Every '%' in [s, end) starts an escape of two hex digits. */
static int
ms_percent_ok(const char *s, const char *end)
{
	for (; s < end; s++) {
		if (*s != '%')
			continue;
		if (end - s < 3 || !isxdigit((unsigned char)s[1]) ||
		    !isxdigit((unsigned char)s[2]))
			return 0;
	}
	return 1;
}

/* The characters Go accepts in user info (RFC 3986 and '%'). */
static int
ms_userinfo_ok(const char *s, const char *end)
{
	for (; s < end; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("-._:~!$&'()*+,;=%@", *s) == NULL)
			return 0;
	return 1;
}

/* host[:port] in [s, end) is api.netbird.io with a valid port. */
static int
ms_is_cloud_host(const char *s, const char *end)
{
	static const char	 cloud[] = "api.netbird.io";
	const char		*colon = NULL, *p;

	for (p = s; p < end; p++)
		if (*p == ':')
			colon = p;
	if (colon != NULL) {
		for (p = colon + 1; p < end; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
		end = colon;
	}
	return (size_t)(end - s) == sizeof(cloud) - 1 &&
	    strncasecmp(s, cloud, sizeof(cloud) - 1) == 0;
}

/* uname -m to Go's GOARCH. */
const char *
ms_goarch(const char *m)
{
	if (strcmp(m, "x86_64") == 0)
		return "amd64";
	if (strcmp(m, "aarch64") == 0 || strcmp(m, "arm64") == 0)
		return "arm64";
	if (strcmp(m, "i386") == 0 || strcmp(m, "i486") == 0 ||
	    strcmp(m, "i586") == 0 || strcmp(m, "i686") == 0)
		return "386";
	if (strncmp(m, "arm", 3) == 0)
		return "arm";
	if (strcmp(m, "loongarch64") == 0)
		return "loong64";
	return m;
}

/*
 * The tags of every line.  The version comes from another process and
 * goes unescaped into lines: bytes other than [A-Za-z0-9.+~_-] become
 * '_', and an empty one is "unknown".  uname(2) is asked once, so
 * that a sandboxed caller can call this first before its filter.
 */
void
ms_tags_init(struct ms_tags *t, const char *pubkey_b64, const char *mgmt_url,
    const char *version)
{
	static struct utsname	 u;
	static int		 have_u = -1;
	char			*p;

	if (have_u == -1)
		have_u = uname(&u) == 0;
	memset(t, 0, sizeof(*t));
	(void)strlcpy(t->deployment, ms_deployment(mgmt_url),
	    sizeof(t->deployment));
	if (version == NULL || *version == '\0')
		version = "unknown";
	(void)strlcpy(t->version, version, sizeof(t->version));
	for (p = t->version; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".+~_-", *p) == NULL)
			*p = '_';
	(void)strlcpy(t->os, "linux", sizeof(t->os));
	if (!have_u)
		(void)strlcpy(t->arch, "unknown", sizeof(t->arch));
	else
		(void)strlcpy(t->arch, ms_goarch(u.machine), sizeof(t->arch));
	for (p = t->arch; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			*p = '_';
	ms_peer_id(pubkey_b64 == NULL ? "" : pubkey_b64, t->peer_id);
}

/* time.Duration.Seconds(): whole seconds plus the rest, as Go adds them. */
double
ms_seconds(int64_t ns)
{
	return (double)(ns / NS_PER_S) + (double)(ns % NS_PER_S) / 1e9;
}

/*
 * Go's fmt %g of a float64: the shortest digits that read back as v
 * (the nearest such when there are several), %e form when the decimal
 * exponent is below -4 or at least 6 (Go fixes 6 for the shortest
 * precision), else %f form; the exponent keeps a sign and two digits.
 * Needs the "C" locale, as printf and strtod do.
 */
void
ms_fmt_float(double v, char out[MS_FLOAT_LEN])
{
	char	 digits[24];
	int	 nd, exp;

	if (isnan(v)) {
		(void)strlcpy(out, "NaN", MS_FLOAT_LEN);
		return;
	}
	if (isinf(v)) {
		(void)strlcpy(out, v > 0 ? "+Inf" : "-Inf", MS_FLOAT_LEN);
		return;
	}
	if (v == 0) {
		(void)strlcpy(out, signbit(v) ? "-0" : "0", MS_FLOAT_LEN);
		return;
	}
	if (signbit(v))
		*out++ = '-';
	nd = ms_shortest(fabs(v), digits, &exp);
	ms_layout(nd, digits, exp, out);
}

/* The digits of v correctly rounded to p significant digits. */
static void
ms_rounded(double v, int p, char *digits, int *exp)
{
	char	 buf[40];
	int	 i;

	(void)snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	digits[0] = buf[0];
	for (i = 1; i < p; i++)
		digits[i] = buf[i + 1];
	digits[p] = '\0';
	*exp = (int)strtol(strchr(buf, 'e') + 1, NULL, 10);
}

/*
 * The shortest digit string d0 d1 ... (no point, no trailing zero) with
 * v == d0.d1... * 10^exp.  For each length the correctly rounded digits
 * are the nearest; when they miss v's rounding interval (narrower below
 * a power of two) the neighbour one unit away on the other side may
 * still be inside.  17 digits always read back.
 */
static int
ms_shortest(double v, char *digits, int *exp)
{
	int	 p, nd;

	for (p = 1; p < 17; p++) {
		ms_rounded(v, p, digits, exp);
		if (ms_try_digits(v, digits, *exp))
			break;
		ms_neighbour(digits, exp, 1);
		if (ms_try_digits(v, digits, *exp))
			break;
		ms_rounded(v, p, digits, exp);
		ms_neighbour(digits, exp, -1);
		if (ms_try_digits(v, digits, *exp))
			break;
	}
	if (p == 17)
		ms_rounded(v, p, digits, exp);
	nd = strlen(digits);
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	return nd;
}

static int
ms_try_digits(double v, const char *digits, int exp)
{
	char	 buf[48];

	(void)snprintf(buf, sizeof(buf), "%c.%se%d", digits[0], digits + 1,
	    exp);
	return strtod(buf, NULL) == v;
}

/*
 * Add dir (1 or -1) in the last place of digits * 10^exp, as many
 * digits: 9.99e4 + 1 is 1.00e5, and 1.00e5 - 1 is 9.99e4.
 */
static void
ms_neighbour(char *digits, int *exp, int dir)
{
	int	 nd = strlen(digits), i;

	for (i = nd - 1; i >= 0; i--) {
		if (dir > 0 && digits[i] != '9') {
			digits[i]++;
			return;
		}
		if (dir < 0 && digits[i] != '0') {
			digits[i]--;
			break;
		}
		digits[i] = dir > 0 ? '0' : '9';
	}
	if (dir > 0) {
		digits[0] = '1';
		(*exp)++;
	} else if (digits[0] == '0') {
		memset(digits, '9', nd);
		(*exp)--;
	}
}

/* Go's formatDigits() for 'g' with the shortest precision. */
static void
ms_layout(int nd, const char *d, int exp, char *out)
{
	int	 dp = exp + 1, i, n = 0;

	if (exp < -4 || exp >= 6) {
		out[n++] = d[0];
		if (nd > 1) {
			out[n++] = '.';
			for (i = 1; i < nd; i++)
				out[n++] = d[i];
		}
		(void)snprintf(out + n, MS_FLOAT_LEN - n - 1, "e%c%02d",
		    exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (dp <= 0)
		out[n++] = '0';
	for (i = 0; i < dp; i++)
		out[n++] = i < nd ? d[i] : '0';
	if (nd > dp) {
		out[n++] = '.';
		for (i = dp; i < nd; i++)
			out[n++] = i < 0 ? '0' : d[i];
	}
	out[n] = '\0';
}

struct ms_store *
ms_store_new(void)
{
	struct ms_store	*ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		fatal("%s", __func__);
	RB_INIT(&ms->peers);
	RB_INIT(&ms->peers_by_id);
	return ms;
}

void
ms_store_free(struct ms_store *ms)
{
	struct ms_peer	*p, *next;

	if (ms == NULL)
		return;
	RB_FOREACH_SAFE(p, ms_peers_key, &ms->peers, next) {
		RB_REMOVE(ms_peers_key, &ms->peers, p);
		free(p);
	}
	free(ms);
}

/*
 * A new sample at the end; the oldest goes when the ring is full, which
 * is logged once until the ring has had room again.
 */
static struct ms_sample *
ms_push(struct ms_store *ms)
{
	struct ms_sample	*s;

	if (ms->count < MS_MAX_SAMPLES)
		ms->full_logged = 0;
	else {
		if (!ms->full_logged)
			log_warnx("%d samples waiting to be pushed: "
			    "the oldest are dropped", MS_MAX_SAMPLES);
		ms->full_logged = 1;
		ms->head = (ms->head + 1) % MS_MAX_SAMPLES;
		ms->count--;
	}
	s = &ms->ring[(ms->head + ms->count) % MS_MAX_SAMPLES];
	ms->count++;
	memset(s, 0, sizeof(*s));
	return s;
}

static void
ms_observe(struct ms_hist *h, const struct ms_bucket *b, int64_t ns)
{
	int	 i;

	for (i = 0; i < MS_HIST_MAX && b[i].label != NULL; i++)
		if (ns <= b[i].le)
			h->bucket[i]++;
	h->count++;
	h->sum += ms_seconds(ns);
}

static int
ms_valid_id(const char *id)
{
	size_t	 i;

	for (i = 0; i < MS_ID_LEN - 1; i++)
		if (!isdigit((unsigned char)id[i]) &&
		    (id[i] < 'a' || id[i] > 'f'))
			return 0;
	return id[i] == '\0';
}

/* A phase name: 1 to NBD_PHASE_NAME_LEN - 1 of [a-z_], NUL-terminated. */
static int
ms_valid_phase(const char *name)
{
	size_t	 i;

	for (i = 0; i < NBD_PHASE_NAME_LEN && name[i] != '\0'; i++)
		if ((name[i] < 'a' || name[i] > 'z') && name[i] != '_')
			return 0;
	return i > 0 && i < NBD_PHASE_NAME_LEN;
}

/*
 * As NetBird's MetricsStages: a field is 0 when one of its two stages
 * is missing; the handshake counts only once the connection was ready
 * and is clamped up to ready (WireGuard has 1 s resolution).  The
 * sample is stamped with that handshake.  The histogram takes the
 * total only when signaling and handshake are both known.
 */
int
ms_add_conn(struct ms_store *ms, const struct nbd_metric_conn *mc,
    const char *self_peer_id)
{
	struct ms_sample	*s;
	char			 remote[MS_ID_LEN];
	int64_t			 sig = mc->signaling, ready = mc->ready;
	int64_t			 hs = mc->handshake;

	if (!ms_valid_id(self_peer_id)) {
		log_warnx("%s: refused: own peer id not 16 hex digits",
		    __func__);
		return -1;
	}
	if (mc->conn_type < 0 || mc->conn_type >= MS_CONN_TYPES ||
	    (mc->reconnection != 0 && mc->reconnection != 1) ||
	    sig < 0 || ready < 0 || hs <= 0) {
		log_warnx("%s: refused: type %d, attempt %d, stages %lld "
		    "%lld %lld", __func__, mc->conn_type, mc->reconnection,
		    (long long)sig, (long long)ready, (long long)hs);
		return -1;
	}
	if (ready != 0 && hs < ready)
		hs = ready;
	ms_key_id(&mc->peer, remote);

	s = ms_push(ms);
	s->kind = MS_CONN;
	s->ts = hs;
	if (ready == 0)
		hs = 0;
	s->conn_type = mc->conn_type;
	s->flag = mc->reconnection;
	if (sig != 0 && ready != 0)
		s->u.conn.sig_ready = ready - sig;
	if (ready != 0 && hs != 0)
		s->u.conn.ready_hs = hs - ready;
	if (sig != 0 && hs != 0) {
		s->u.conn.total = hs - sig;
		ms_observe(&ms->conn_hist[mc->conn_type], conn_buckets,
		    s->u.conn.total);
	}
	ms_pair_id(self_peer_id, remote, s->u.conn.pair_id);
	return 0;
}

int
ms_add_sync(struct ms_store *ms, const struct nbd_metric_sync *msync)
{
	struct ms_sample	*s;
	uint32_t		 i;

	if (msync->when <= 0 || msync->duration < 0 ||
	    msync->nphases > NBD_SYNC_PHASES_MAX) {
		log_warnx("%s: refused: when %lld, duration %lld, %u phases",
		    __func__, (long long)msync->when,
		    (long long)msync->duration, msync->nphases);
		return -1;
	}
	for (i = 0; i < msync->nphases; i++) {
		if (!ms_valid_phase(msync->phase[i].name) ||
		    msync->phase[i].duration < 0) {
			log_warnx("%s: refused: phase %u bad name or duration",
			    __func__, i);
			return -1;
		}
	}

	s = ms_push(ms);
	s->kind = MS_SYNC;
	s->ts = msync->when;
	s->u.dur.duration = msync->duration;
	ms_observe(&ms->sync_hist, sync_buckets, msync->duration);
	for (i = 0; i < msync->nphases; i++) {
		s = ms_push(ms);
		s->kind = MS_SYNC_PHASE;
		s->ts = msync->when;
		s->u.dur.duration = msync->phase[i].duration;
		memcpy(s->u.dur.phase, msync->phase[i].name,
		    sizeof(s->u.dur.phase));
	}
	return 0;
}

int
ms_add_login(struct ms_store *ms, const struct nbd_metric_login *ml)
{
	struct ms_sample	*s;

	if (ml->when <= 0 || ml->duration < 0 ||
	    (ml->success != 0 && ml->success != 1)) {
		log_warnx("%s: refused: when %lld, duration %lld, success %d",
		    __func__, (long long)ml->when, (long long)ml->duration,
		    ml->success);
		return -1;
	}
	s = ms_push(ms);
	s->kind = MS_LOGIN;
	s->ts = ml->when;
	s->flag = ml->success;
	s->u.dur.duration = ml->duration;
	ms->logins[ml->success]++;
	return 0;
}

size_t
ms_count(const struct ms_store *ms)
{
	return ms->count;
}

/* As NetBird: the too old at the front go; one younger stops it. */
void
ms_trim(struct ms_store *ms, int64_t now_ns)
{
	const struct ms_sample	*s;

	while (ms->count > 0) {
		s = &ms->ring[ms->head];
		if (s->ts >= now_ns ||
		    (uint64_t)now_ns - (uint64_t)s->ts <= MS_MAX_AGE_NS)
			break;
		ms->head = (ms->head + 1) % MS_MAX_SAMPLES;
		ms->count--;
	}
}

void
ms_drop_oldest(struct ms_store *ms, size_t n)
{
	if (n > ms->count)
		n = ms->count;
	ms->head = (ms->head + n) % MS_MAX_SAMPLES;
	ms->count -= n;
}

static int
ms_write_sample(const struct ms_sample *s, const struct ms_tags *t, FILE *fp)
{
	char	 a[MS_FLOAT_LEN], b[MS_FLOAT_LEN], c[MS_FLOAT_LEN];

	switch (s->kind) {
	case MS_CONN:
		ms_fmt_float(ms_seconds(s->u.conn.ready_hs), a);
		ms_fmt_float(ms_seconds(s->u.conn.sig_ready), b);
		ms_fmt_float(ms_seconds(s->u.conn.total), c);
		return fprintf(fp, "netbird_peer_connection,deployment_type=%s,"
		    "connection_type=%s,attempt_type=%s,version=%s,os=%s,"
		    "arch=%s,peer_id=%s,connection_pair_id=%s "
		    "connection_to_wg_handshake_seconds=%s,"
		    "signaling_to_connection_seconds=%s,total_seconds=%s "
		    "%lld\n", t->deployment, conn_type_names[s->conn_type],
		    s->flag ? "reconnection" : "initial", t->version, t->os,
		    t->arch, t->peer_id, s->u.conn.pair_id, a, b, c,
		    (long long)s->ts);
	case MS_SYNC:
		ms_fmt_float(ms_seconds(s->u.dur.duration), a);
		return fprintf(fp, "netbird_sync,deployment_type=%s,"
		    "version=%s,os=%s,arch=%s,peer_id=%s duration_seconds=%s "
		    "%lld\n", t->deployment, t->version, t->os, t->arch,
		    t->peer_id, a, (long long)s->ts);
	case MS_SYNC_PHASE:
		ms_fmt_float(ms_seconds(s->u.dur.duration), a);
		return fprintf(fp, "netbird_sync_phase,deployment_type=%s,"
		    "version=%s,os=%s,arch=%s,peer_id=%s,phase=%s "
		    "duration_seconds=%s %lld\n", t->deployment, t->version,
		    t->os, t->arch, t->peer_id, s->u.dur.phase, a,
		    (long long)s->ts);
	case MS_LOGIN:
		ms_fmt_float(ms_seconds(s->u.dur.duration), a);
		return fprintf(fp, "netbird_login,deployment_type=%s,"
		    "result=%s,version=%s,os=%s,arch=%s,peer_id=%s "
		    "duration_seconds=%s %lld\n", t->deployment,
		    s->flag ? "success" : "failure", t->version, t->os,
		    t->arch, t->peer_id, a, (long long)s->ts);
	}
	fatalx("%s: sample kind %d", __func__, s->kind);
}

int
ms_write_lines(const struct ms_store *ms, const struct ms_tags *t, size_t n,
    FILE *fp)
{
	size_t	 i;

	if (n > ms->count)
		n = ms->count;
	for (i = 0; i < n; i++)
		if (ms_write_sample(&ms->ring[(ms->head + i) % MS_MAX_SAMPLES],
		    t, fp) < 0)
			return -1;
	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

int
ms_peer_set(struct ms_store *ms, const struct nbd_metric_peer *mp)
{
	struct ms_peer	 k, *p;

	if (mp->state < CTL_PEER_IDLE || mp->state > CTL_PEER_CONNECTED ||
	    mp->conn_type < CTL_CONN_NONE || mp->conn_type > CTL_CONN_RELAYED) {
		log_warnx("%s: refused: state %d, connection type %d",
		    __func__, mp->state, mp->conn_type);
		return -1;
	}
	k.key = mp->peer;
	if ((p = RB_FIND(ms_peers_key, &ms->peers, &k)) == NULL) {
		if (ms->npeers >= NBD_PEERS_MAX) {
			log_warnx("%s: more than %d peers", __func__,
			    NBD_PEERS_MAX);
			return -1;
		}
		if ((p = calloc(1, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		p->key = mp->peer;
		ms_key_id(&p->key, p->peer_id);
		RB_INSERT(ms_peers_key, &ms->peers, p);
		RB_INSERT(ms_peers_id, &ms->peers_by_id, p);
		ms->npeers++;
	} else
		ms->nstate[p->state]--;
	ms->nstate[mp->state]++;
	p->state = mp->state;
	p->rx_bytes = mp->rx_bytes;
	p->tx_bytes = mp->tx_bytes;
	return 0;
}

void
ms_peer_del(struct ms_store *ms, const struct nbd_key *key)
{
	struct ms_peer	 k, *p;

	k.key = *key;
	if ((p = RB_FIND(ms_peers_key, &ms->peers, &k)) == NULL)
		return;
	RB_REMOVE(ms_peers_key, &ms->peers, p);
	RB_REMOVE(ms_peers_id, &ms->peers_by_id, p);
	ms->npeers--;
	ms->nstate[p->state]--;
	free(p);
}

size_t
ms_peer_count(const struct ms_store *ms)
{
	return ms->npeers;
}

void
ms_rss_set(struct ms_store *ms, const struct nbd_metric_rss *mr)
{
	memcpy(ms->rss, mr->rss, sizeof(ms->rss));
}

static void
ms_prom_head(FILE *fp, const char *name, const char *help, const char *type)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value between quotes, escaped as the text format wants. */
static void
ms_prom_value(FILE *fp, const char *v)
{
	putc('"', fp);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			putc(*v, fp);
	}
	putc('"', fp);
}

static void
ms_prom_info(FILE *fp, const struct ms_tags *t)
{
	ms_prom_head(fp, "netbird_info", "Version, platform, peer id and "
	    "deployment of this agent.", "gauge");
	fputs("netbird_info{version=", fp);
	ms_prom_value(fp, t->version);
	fputs(",os=", fp);
	ms_prom_value(fp, t->os);
	fputs(",arch=", fp);
	ms_prom_value(fp, t->arch);
	fputs(",peer_id=", fp);
	ms_prom_value(fp, t->peer_id);
	fputs(",deployment_type=", fp);
	ms_prom_value(fp, t->deployment);
	fputs("} 1\n", fp);
}

static void
ms_prom_peers(FILE *fp, const struct ms_store *ms)
{
	size_t	 i;

	ms_prom_head(fp, "netbird_peers", "Peers by connection state.",
	    "gauge");
	for (i = 0; i < nitems(peer_state_names); i++)
		fprintf(fp, "netbird_peers{state=\"%s\"} %" PRIu64 "\n",
		    peer_state_names[i], ms->nstate[i]);
}

/* One histogram's lines; label is "name=\"value\"," or "". */
static void
ms_prom_hist(FILE *fp, const char *name, const char *label,
    const char *plain, const struct ms_hist *h, const struct ms_bucket *b)
{
	char	 sum[MS_FLOAT_LEN];
	int	 i;

	for (i = 0; i < MS_HIST_MAX && b[i].label != NULL; i++)
		fprintf(fp, "%s_bucket{%sle=\"%s\"} %" PRIu64 "\n", name,
		    label, b[i].label, h->bucket[i]);
	ms_fmt_float(h->sum, sum);
	fprintf(fp, "%s_sum%s %s\n", name, plain, sum);
	fprintf(fp, "%s_count%s %" PRIu64 "\n", name, plain, h->count);
}

/* The tree macros take no const head; this walk only reads. */
static struct ms_peer *
ms_first_by_id(const struct ms_store *ms)
{
	return RB_MIN(ms_peers_id,
	    (struct ms_peers_id *)(uintptr_t)&ms->peers_by_id);
}

static void
ms_prom_bytes(FILE *fp, const struct ms_store *ms, int sent)
{
	struct ms_peer	*p;
	const char	*name;

	name = sent ? "netbird_peer_sent_bytes_total" :
	    "netbird_peer_received_bytes_total";
	ms_prom_head(fp, name, sent ? "Bytes sent to a peer over WireGuard." :
	    "Bytes received from a peer over WireGuard.", "counter");
	for (p = ms_first_by_id(ms); p != NULL; p = RB_NEXT(ms_peers_id,
	    NULL, p))
		fprintf(fp, "%s{peer_id=\"%s\"} %" PRIu64 "\n", name,
		    p->peer_id, sent ? p->tx_bytes : p->rx_bytes);
}

static void
ms_prom_rss(FILE *fp, const struct ms_store *ms,
    const char *const names[PROC_MAX])
{
	int	 i;

	ms_prom_head(fp, "netbird_process_resident_memory_bytes",
	    "Resident memory of each netbirdd process.", "gauge");
	for (i = 0; i < PROC_MAX; i++) {
		if (ms->rss[i] == 0 || names[i] == NULL)
			continue;
		fputs("netbird_process_resident_memory_bytes{process=", fp);
		ms_prom_value(fp, names[i]);
		fprintf(fp, "} %" PRIu64 "\n", ms->rss[i]);
	}
}

int
ms_write_prom(const struct ms_store *ms, const struct ms_tags *t,
    const char *const names[PROC_MAX], FILE *fp)
{
	char	 label[64], plain[64];
	int	 i;

	ms_prom_info(fp, t);
	ms_prom_peers(fp, ms);
	ms_prom_head(fp, "netbird_peer_connection_seconds", "Time from the "
	    "first signaling message to the first WireGuard handshake.",
	    "histogram");
	for (i = 0; i < MS_CONN_TYPES; i++) {
		(void)snprintf(label, sizeof(label), "connection_type=\"%s\",",
		    conn_type_names[i]);
		(void)snprintf(plain, sizeof(plain), "{connection_type=\"%s\"}",
		    conn_type_names[i]);
		ms_prom_hist(fp, "netbird_peer_connection_seconds", label,
		    plain, &ms->conn_hist[i], conn_buckets);
	}
	ms_prom_head(fp, "netbird_sync_duration_seconds",
	    "Time to handle one sync message from management.", "histogram");
	ms_prom_hist(fp, "netbird_sync_duration_seconds", "", "",
	    &ms->sync_hist, sync_buckets);
	ms_prom_head(fp, "netbird_login_total",
	    "Logins to management by result.", "counter");
	fprintf(fp, "netbird_login_total{result=\"success\"} %" PRIu64 "\n"
	    "netbird_login_total{result=\"failure\"} %" PRIu64 "\n",
	    ms->logins[1], ms->logins[0]);
	ms_prom_bytes(fp, ms, 0);
	ms_prom_bytes(fp, ms, 1);
	ms_prom_rss(fp, ms, names);
	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}
