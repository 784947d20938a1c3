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
 * Unit tests for netbirdd/metrics_store.c: Go's %g, peer and pair ids,
 * the deployment type, the line protocol of each measurement, the
 * connection stage rules, the ring's bounds, the Prometheus exposition
 * and samples no correct sender makes.
 *
 * The ids were computed apart from this code:
 *	printf %s KEY | sha256sum | cut -c1-16
 */

#include <sys/types.h>
#include <sys/utsname.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "logcap.h"

#define S		1000000000LL
#define T0		1700000000000000000LL

/* Keys 01..20, 41..60 and ff..ff: base64 and their ids. */
#define K1_B64	"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define K1_ID	"b01198f80d752350"
#define K2_ID	"980880094e4f0f84"
#define K3_ID	"135ac29d93fc19f0"
/* Pair ids: of K2_ID K1_ID and of K3_ID K1_ID, concatenated. */
#define K1K2	"083d8634b3e21c99"
#define K1K3	"865ce699e89c78b5"

#define TAGS	"deployment_type=cloud,version=0.77.1,os=linux,arch=amd64," \
		"peer_id=" K1_ID
#define CONN_TAGS(type, attempt) "netbird_peer_connection," \
		"deployment_type=cloud,connection_type=" type ",attempt_type=" \
		attempt ",version=0.77.1,os=linux,arch=amd64,peer_id=" K1_ID \
		",connection_pair_id="

static int	 failed;
static const struct ms_tags tags = {
	"cloud", "0.77.1", "linux", "amd64", K1_ID
};

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static void
check_str(const char *got, const char *want, const char *what)
{
	check(got != NULL && strcmp(got, want) == 0, what);
	if (got != NULL && strcmp(got, want) != 0)
		printf("# want:\n%s# got:\n%s\n", want, got);
}

static void
key_fill(struct nbd_key *k, uint8_t first)
{
	size_t	 i;

	for (i = 0; i < sizeof(k->key); i++)
		k->key[i] = first == 0xff ? 0xff : first + i;
}

/* The first n samples as lines; the caller frees. */
static char *
lines(const struct ms_store *ms, size_t n)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (ms_write_lines(ms, &tags, n, fp) == -1) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	return buf;
}

static void
test_float(void)
{
	static const struct {
		double		 v;
		const char	*go;
	} t[] = {
		{ 0.1, "0.1" }, { 1.5, "1.5" }, { 100, "100" },
		{ 1e-05, "1e-05" }, { 123456789, "1.23456789e+08" },
		{ 0.000123, "0.000123" }, { 2.5e21, "2.5e+21" },
		{ 1.0 / 3, "0.3333333333333333" }, { 0, "0" }, { -0.0, "-0" },
		{ 1e6, "1e+06" }, { 999999, "999999" }, { 123456, "123456" },
		{ 0.0001, "0.0001" }, { -1.5, "-1.5" }, { 1e21, "1e+21" },
		{ 1e100, "1e+100" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 608863452348.1149, "6.088634523481149e+11" },
		{ 1234567, "1.234567e+06" }, { 0.012345678, "0.012345678" },
		{ 2.0 / 0.0, "+Inf" }, { -2.0 / 0.0, "-Inf" },
	};
	char	 buf[MS_FLOAT_LEN], what[96];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		ms_fmt_float(t[i].v, buf);
		(void)snprintf(what, sizeof(what), "%%g of %.17g is %s",
		    t[i].v, t[i].go);
		check_str(buf, t[i].go, what);
	}
	ms_fmt_float(ms_seconds(86400 * S + 1), buf);
	check_str(buf, "86400.000000001", "Duration.Seconds of 86400 s + 1 ns");
	ms_fmt_float(ms_seconds(-1500 * 1000000LL), buf);
	check_str(buf, "-1.5", "Duration.Seconds of -1.5 s");
}

static void
test_ids(void)
{
	char	 a[MS_ID_LEN], b[MS_ID_LEN];

	ms_peer_id(K1_B64, a);
	check_str(a, K1_ID, "peer id of a key string (sha256sum)");
	ms_pair_id(K1_ID, K2_ID, a);
	ms_pair_id(K2_ID, K1_ID, b);
	check_str(a, K1K2, "pair id of two peers (sha256sum)");
	check_str(b, K1K2, "pair id is symmetric");
}

static void
test_deployment(void)
{
	static const struct {
		const char	*url, *want;
	} t[] = {
		{ "https://api.netbird.io:443", "cloud" },
		{ "https://api.netbird.io", "cloud" },
		{ "HTTPS://API.NetBird.IO:443/", "cloud" },
		{ "https://user:pw@api.netbird.io:443", "cloud" },
		{ "//api.netbird.io:443", "cloud" },
		{ "https://api.netbird.io/?q=%zz", "cloud" },
		{ "api.netbird.io:443", "selfhosted" },
		{ "api.netbird.io", "selfhosted" },
		{ "https://mgmt.example.com", "selfhosted" },
		{ "https://api.netbird.io.example.com", "selfhosted" },
		{ "https://example.com/api.netbird.io", "selfhosted" },
		{ "https://api.netbird.io@example.com", "selfhosted" },
		{ "https://api.netbird.io:44x3", "selfhosted" },
		{ "https://api.netbird.io/%zz", "selfhosted" },
		{ "https://api.netbird.io#%z", "selfhosted" },
		{ "https://api.netbird.io\n", "selfhosted" },
		{ "https://us\"er@api.netbird.io", "selfhosted" },
		{ "https:///api.netbird.io", "selfhosted" },
		{ ":443", "selfhosted" },
		{ "", "unknown" },
	};
	char	 what[128];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		(void)snprintf(what, sizeof(what), "deployment of \"%s\" is %s",
		    t[i].url, t[i].want);
		check_str(ms_deployment(t[i].url), t[i].want, what);
	}
	check_str(ms_deployment(NULL), "unknown", "deployment of NULL");
}

static void
test_tags(void)
{
	static const struct {
		const char	*m, *want;
	} t[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" },
		{ "i686", "386" }, { "i386", "386" },
		{ "armv7l", "arm" }, { "armv6l", "arm" },
		{ "riscv64", "riscv64" }, { "ppc64le", "ppc64le" },
	};
	struct ms_tags	 mt;
	struct utsname	 u;
	char		 what[64];
	size_t		 i;

	for (i = 0; i < nitems(t); i++) {
		(void)snprintf(what, sizeof(what), "GOARCH of %s is %s",
		    t[i].m, t[i].want);
		check_str(ms_goarch(t[i].m), t[i].want, what);
	}
	ms_tags_init(&mt, K1_B64, "https://api.netbird.io:443", "0.77.1");
	check(uname(&u) == 0 && strcmp(mt.arch, ms_goarch(u.machine)) == 0 &&
	    strcmp(mt.os, "linux") == 0 && strcmp(mt.version, "0.77.1") == 0 &&
	    strcmp(mt.deployment, "cloud") == 0 &&
	    strcmp(mt.peer_id, K1_ID) == 0, "tags of this host");
	ms_tags_init(&mt, K1_B64, NULL, "1.0 x,y=\"z\"\n");
	check_str(mt.version, "1.0_x_y__z__", "version: no space, comma, "
	    "quote or newline in a tag");
	check_str(mt.deployment, "unknown", "no management URL yet");
	ms_tags_init(&mt, K1_B64, "", "");
	check_str(mt.version, "unknown", "empty version");
}

static void
conn(struct nbd_metric_conn *mc, uint8_t key, int type, int reconn,
    int64_t sig, int64_t ready, int64_t hs)
{
	memset(mc, 0, sizeof(*mc));
	key_fill(&mc->peer, key);
	mc->conn_type = type;
	mc->reconnection = reconn;
	mc->signaling = sig;
	mc->ready = ready;
	mc->handshake = hs;
}

static void
test_lines(void)
{
	struct ms_store		*ms = ms_store_new();
	struct nbd_metric_conn	 mc;
	struct nbd_metric_sync	 msync;
	struct nbd_metric_login	 ml;
	char			*got;

	conn(&mc, 0x41, NBD_METRIC_ICE_P2P, 0, T0, T0 + 1500000000LL,
	    T0 + 1750000000LL);
	check(ms_add_conn(ms, &mc, K1_ID) == 0, "connection sample taken");
	memset(&msync, 0, sizeof(msync));
	msync.when = T0 + 2 * S;
	msync.duration = 12345678;
	msync.nphases = 2;
	strlcpy(msync.phase[0].name, "netbird_config",
	    sizeof(msync.phase[0].name));
	msync.phase[0].duration = 1000;
	strlcpy(msync.phase[1].name, "added_peers",
	    sizeof(msync.phase[1].name));
	check(ms_add_sync(ms, &msync) == 0, "sync sample taken");
	memset(&ml, 0, sizeof(ml));
	ml.when = T0 + 3 * S;
	ml.duration = 250000000;
	ml.success = 1;
	check(ms_add_login(ms, &ml) == 0, "login sample taken");
	ml.when = T0 + 4 * S;
	ml.duration = S;
	ml.success = 0;
	check(ms_add_login(ms, &ml) == 0, "failed login sample taken");
	check(ms_count(ms) == 6, "one sample per connection, sync, phase, "
	    "login");

	got = lines(ms, 100);
	check_str(got,
	    CONN_TAGS("ice_p2p", "initial") K1K2 " "
	    "connection_to_wg_handshake_seconds=0.25,"
	    "signaling_to_connection_seconds=1.5,total_seconds=1.75 "
	    "1700000001750000000\n"
	    "netbird_sync," TAGS " duration_seconds=0.012345678 "
	    "1700000002000000000\n"
	    "netbird_sync_phase," TAGS ",phase=netbird_config "
	    "duration_seconds=1e-06 1700000002000000000\n"
	    "netbird_sync_phase," TAGS ",phase=added_peers "
	    "duration_seconds=0 1700000002000000000\n"
	    "netbird_login,deployment_type=cloud,result=success,"
	    "version=0.77.1,os=linux,arch=amd64,peer_id=" K1_ID
	    " duration_seconds=0.25 1700000003000000000\n"
	    "netbird_login,deployment_type=cloud,result=failure,"
	    "version=0.77.1,os=linux,arch=amd64,peer_id=" K1_ID
	    " duration_seconds=1 1700000004000000000\n",
	    "line protocol of every measurement: tags, fields, ns");
	free(got);
	got = lines(ms, 1);
	check(got != NULL && strchr(got, '\n') == got + strlen(got) - 1,
	    "the first n samples only");
	free(got);
	ms_store_free(ms);
}

/* The one line of a single connection sample. */
static char *
conn_line(int type, int reconn, int64_t sig, int64_t ready, int64_t hs)
{
	struct ms_store		*ms = ms_store_new();
	struct nbd_metric_conn	 mc;
	char			*got = NULL;

	conn(&mc, 0xff, type, reconn, sig, ready, hs);
	if (ms_add_conn(ms, &mc, K1_ID) == 0)
		got = lines(ms, 1);
	ms_store_free(ms);
	return got;
}

static void
test_stages(void)
{
	char	*got;

	got = conn_line(NBD_METRIC_ICE_TURN, 0, 0, T0, T0 + S / 2);
	check_str(got, CONN_TAGS("ice_turn", "initial") K1K3 " "
	    "connection_to_wg_handshake_seconds=0.5,"
	    "signaling_to_connection_seconds=0,total_seconds=0 "
	    "1700000000500000000\n", "no signaling: its two fields are 0");
	free(got);
	got = conn_line(NBD_METRIC_ICE_P2P, 0, T0, T0 + 2 * S, T0 + S);
	check_str(got, CONN_TAGS("ice_p2p", "initial") K1K3 " "
	    "connection_to_wg_handshake_seconds=0,"
	    "signaling_to_connection_seconds=2,total_seconds=2 "
	    "1700000002000000000\n",
	    "handshake before ready is clamped to ready, and stamps it");
	free(got);
	got = conn_line(NBD_METRIC_RELAY, 1, T0, 0, T0 + 3 * S);
	check_str(got, CONN_TAGS("relay", "reconnection") K1K3 " "
	    "connection_to_wg_handshake_seconds=0,"
	    "signaling_to_connection_seconds=0,total_seconds=0 "
	    "1700000003000000000\n",
	    "never ready: no handshake stage (as Go), reconnection");
	free(got);
	got = conn_line(NBD_METRIC_RELAY, 1, T0 + S, T0, T0 + 2 * S);
	check_str(got, CONN_TAGS("relay", "reconnection") K1K3 " "
	    "connection_to_wg_handshake_seconds=2,"
	    "signaling_to_connection_seconds=-1,total_seconds=1 "
	    "1700000002000000000\n",
	    "signaling after ready gives a negative field, as Go");
	free(got);
}

static struct nbd_metric_login
login_at(int64_t when)
{
	struct nbd_metric_login	 ml;

	memset(&ml, 0, sizeof(ml));
	ml.when = when;
	ml.duration = S;
	ml.success = 1;
	return ml;
}

/* The timestamp of the i-th line of all of them, -1 if none. */
static long long
line_ts(const struct ms_store *ms, size_t i)
{
	char		*got, *p;
	long long	 ts = -1;
	size_t		 n = 0;

	if ((got = lines(ms, i + 1)) == NULL)
		return -1;
	for (p = got; *p != '\0' && n < i; p++)
		if (*p == '\n')
			n++;
	if (n == i && (p = strrchr(p, ' ')) != NULL)
		ts = strtoll(p + 1, NULL, 10);
	free(got);
	return ts;
}

static void
test_ring(void)
{
	struct ms_store		*ms = ms_store_new();
	struct nbd_metric_login	 ml;
	int64_t			 now = 10 * 24 * 3600 * S;
	size_t			 i;
	int			 ok = 1;

	for (i = 1; i <= MS_MAX_SAMPLES + 5; i++) {
		ml = login_at(i);
		if (ms_add_login(ms, &ml) != 0)
			ok = 0;
	}
	check(ok && ms_count(ms) == MS_MAX_SAMPLES,
	    "the ring holds MS_MAX_SAMPLES");
	check(line_ts(ms, 0) == 6 && line_ts(ms, MS_MAX_SAMPLES - 1) ==
	    MS_MAX_SAMPLES + 5, "the oldest are dropped first");
	ms_drop_oldest(ms, 10);
	ml = login_at(100000);
	ms_add_login(ms, &ml);
	check(ms_count(ms) == MS_MAX_SAMPLES - 9 && line_ts(ms, 0) == 16 &&
	    line_ts(ms, MS_MAX_SAMPLES - 10) == 100000,
	    "order kept across the wrap of the ring");
	ms_drop_oldest(ms, SIZE_MAX);
	check(ms_count(ms) == 0, "drop more than there is");

	ml = login_at(now - MS_MAX_AGE_NS - 1);
	ms_add_login(ms, &ml);
	ml = login_at(now - MS_MAX_AGE_NS);
	ms_add_login(ms, &ml);
	ml = login_at(now - S);
	ms_add_login(ms, &ml);
	ml = login_at(now - MS_MAX_AGE_NS - 2);
	ms_add_login(ms, &ml);
	ms_trim(ms, now);
	check(ms_count(ms) == 3 && line_ts(ms, 0) == now - MS_MAX_AGE_NS,
	    "trim drops older than 5 days at the front, keeps exactly 5 days");
	check(line_ts(ms, 2) == now - MS_MAX_AGE_NS - 2,
	    "trim stops at the first young sample, as Go");
	ms_trim(ms, INT64_MIN);
	check(ms_count(ms) == 3, "trim with a clock before the samples");

	ms_drop_oldest(ms, SIZE_MAX);
	for (i = 1; i <= 3; i++) {
		ml = login_at(i);
		ms_add_login(ms, &ml);
	}
	free(lines(ms, 3));		/* a push of these 3 starts */
	for (i = 4; i <= 5; i++) {
		ml = login_at(i);
		ms_add_login(ms, &ml);
	}
	ms_drop_oldest(ms, 3);		/* and succeeds */
	check(ms_count(ms) == 2 && line_ts(ms, 0) == 4 && line_ts(ms, 1) == 5,
	    "after a push, samples added meanwhile stay");
	ms_store_free(ms);
}

static char *
prom(const struct ms_store *ms, const struct ms_tags *t,
    const char *const names[PROC_MAX])
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if (ms_write_prom(ms, t, names, fp) == -1) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	return buf;
}

static void
peer(struct ms_store *ms, uint8_t key, int state, uint64_t rx, uint64_t tx)
{
	struct nbd_metric_peer	 mp;

	memset(&mp, 0, sizeof(mp));
	key_fill(&mp.peer, key);
	mp.state = state;
	mp.conn_type = state == CTL_PEER_CONNECTED ? CTL_CONN_P2P :
	    CTL_CONN_NONE;
	mp.rx_bytes = rx;
	mp.tx_bytes = tx;
	if (ms_peer_set(ms, &mp) != 0)
		check(0, "peer set");
}

#define CONN_HIST(type, b1, b2, b3, b4, b5, b6, b7, b8, b9, inf, sum, n) \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"0.1\"} " b1 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"0.25\"} " b2 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"0.5\"} " b3 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"1\"} " b4 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"2.5\"} " b5 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"5\"} " b6 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"10\"} " b7 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"30\"} " b8 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"60\"} " b9 "\n" \
	"netbird_peer_connection_seconds_bucket{connection_type=\"" type \
	"\",le=\"+Inf\"} " inf "\n" \
	"netbird_peer_connection_seconds_sum{connection_type=\"" type \
	"\"} " sum "\n" \
	"netbird_peer_connection_seconds_count{connection_type=\"" type \
	"\"} " n "\n"

static void
test_prom(void)
{
	struct ms_store		*ms = ms_store_new();
	struct nbd_metric_conn	 mc;
	struct nbd_metric_sync	 msync;
	struct nbd_metric_login	 ml;
	struct nbd_metric_rss	 mr;
	struct nbd_key		 k;
	struct ms_tags		 t = tags;
	const char		*names[PROC_MAX];
	char			*got;
	int			 i;

	for (i = 0; i < PROC_MAX; i++)
		names[i] = "x";
	names[PROC_PARENT] = "parent";
	names[PROC_METRICS] = "metrics";
	names[PROC_DNS] = "d\"n\\s\n";
	strlcpy(t.version, "0.77\"1", sizeof(t.version));

	peer(ms, 0x01, CTL_PEER_CONNECTED, 1, 1);
	peer(ms, 0x41, CTL_PEER_CONNECTED, 1000, 2000);
	peer(ms, 0xff, CTL_PEER_IDLE, 0, 0);
	peer(ms, 0xff, CTL_PEER_CONNECTING, 5, 6);
	key_fill(&k, 0x01);
	ms_peer_del(ms, &k);
	ms_peer_del(ms, &k);
	check(ms_peer_count(ms) == 2, "peer table: set, update, delete");

	conn(&mc, 0x41, NBD_METRIC_ICE_P2P, 0, T0, T0 + S, T0 + 1750000000LL);
	ms_add_conn(ms, &mc, K1_ID);
	conn(&mc, 0x41, NBD_METRIC_ICE_P2P, 1, T0, T0 + 1, T0 + 100000000LL);
	ms_add_conn(ms, &mc, K1_ID);
	conn(&mc, 0xff, NBD_METRIC_RELAY, 0, T0, T0 + S, T0 + 45 * S);
	ms_add_conn(ms, &mc, K1_ID);
	conn(&mc, 0xff, NBD_METRIC_RELAY, 0, 0, T0 + S, T0 + 45 * S);
	ms_add_conn(ms, &mc, K1_ID);	/* no total: not observed */
	memset(&msync, 0, sizeof(msync));
	msync.when = T0;
	msync.duration = 2000000;
	ms_add_sync(ms, &msync);
	msync.duration = S / 2;
	ms_add_sync(ms, &msync);
	ml = login_at(T0);
	ms_add_login(ms, &ml);
	ml.success = 0;
	ms_add_login(ms, &ml);
	ms_add_login(ms, &ml);
	memset(&mr, 0, sizeof(mr));
	mr.rss[PROC_PARENT] = 1048576;
	mr.rss[PROC_METRICS] = 2097152;
	mr.rss[PROC_DNS] = 4096;
	ms_rss_set(ms, &mr);
	ms_drop_oldest(ms, SIZE_MAX);	/* pushed: the exposition keeps all */

	got = prom(ms, &t, names);
	check_str(got,
	    "# HELP netbird_info Version, platform, peer id and deployment "
	    "of this agent.\n"
	    "# TYPE netbird_info gauge\n"
	    "netbird_info{version=\"0.77\\\"1\",os=\"linux\",arch=\"amd64\","
	    "peer_id=\"" K1_ID "\",deployment_type=\"cloud\"} 1\n"
	    "# HELP netbird_peers Peers by connection state.\n"
	    "# TYPE netbird_peers gauge\n"
	    "netbird_peers{state=\"idle\"} 0\n"
	    "netbird_peers{state=\"connecting\"} 1\n"
	    "netbird_peers{state=\"connected\"} 1\n"
	    "# HELP netbird_peer_connection_seconds Time from the first "
	    "signaling message to the first WireGuard handshake.\n"
	    "# TYPE netbird_peer_connection_seconds histogram\n"
	    CONN_HIST("ice_p2p", "1", "1", "1", "1", "2", "2", "2", "2", "2",
	    "2", "1.85", "2")
	    CONN_HIST("ice_turn", "0", "0", "0", "0", "0", "0", "0", "0", "0",
	    "0", "0", "0")
	    CONN_HIST("relay", "0", "0", "0", "0", "0", "0", "0", "0", "1",
	    "1", "45", "1")
	    "# HELP netbird_sync_duration_seconds Time to handle one sync "
	    "message from management.\n"
	    "# TYPE netbird_sync_duration_seconds histogram\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.001\"} 0\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.005\"} 1\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.01\"} 1\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.05\"} 1\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.1\"} 1\n"
	    "netbird_sync_duration_seconds_bucket{le=\"0.5\"} 2\n"
	    "netbird_sync_duration_seconds_bucket{le=\"1\"} 2\n"
	    "netbird_sync_duration_seconds_bucket{le=\"5\"} 2\n"
	    "netbird_sync_duration_seconds_bucket{le=\"+Inf\"} 2\n"
	    "netbird_sync_duration_seconds_sum 0.502\n"
	    "netbird_sync_duration_seconds_count 2\n"
	    "# HELP netbird_login_total Logins to management by result.\n"
	    "# TYPE netbird_login_total counter\n"
	    "netbird_login_total{result=\"success\"} 1\n"
	    "netbird_login_total{result=\"failure\"} 2\n"
	    "# HELP netbird_peer_received_bytes_total Bytes received from a "
	    "peer over WireGuard.\n"
	    "# TYPE netbird_peer_received_bytes_total counter\n"
	    "netbird_peer_received_bytes_total{peer_id=\"" K3_ID "\"} 5\n"
	    "netbird_peer_received_bytes_total{peer_id=\"" K2_ID "\"} 1000\n"
	    "# HELP netbird_peer_sent_bytes_total Bytes sent to a peer over "
	    "WireGuard.\n"
	    "# TYPE netbird_peer_sent_bytes_total counter\n"
	    "netbird_peer_sent_bytes_total{peer_id=\"" K3_ID "\"} 6\n"
	    "netbird_peer_sent_bytes_total{peer_id=\"" K2_ID "\"} 2000\n"
	    "# HELP netbird_process_resident_memory_bytes Resident memory of "
	    "each netbirdd process.\n"
	    "# TYPE netbird_process_resident_memory_bytes gauge\n"
	    "netbird_process_resident_memory_bytes{process=\"parent\"} "
	    "1048576\n"
	    "netbird_process_resident_memory_bytes{process=\"metrics\"} "
	    "2097152\n"
	    "netbird_process_resident_memory_bytes{process=\"d\\\"n\\\\s\\n\"} "
	    "4096\n",
	    "Prometheus exposition: cumulative buckets, sorted peer ids, "
	    "escaped labels, kept after a push");
	free(got);
	ms_store_free(ms);
}

static void
sync_one(struct nbd_metric_sync *msync, const char *name, size_t len)
{
	memset(msync, 0, sizeof(*msync));
	msync->when = T0;
	msync->duration = S;
	msync->nphases = 1;
	memcpy(msync->phase[0].name, name, len);
}

static void
test_hostile(void)
{
	static const struct {
		const char	*name;
		const char	*what;
	} badnames[] = {
		{ "dns server", "a space" }, { "a,b", "a comma" },
		{ "a=b", "an equals sign" }, { "a\nb", "a newline" },
		{ "DNS", "upper case" }, { "", "empty" },
		{ "dns\"x", "a quote" }, { "d\xc3\xa9", "UTF-8" },
	};
	struct ms_store		*ms = ms_store_new();
	struct nbd_metric_sync	 msync;
	struct nbd_metric_conn	 mc;
	struct nbd_metric_login	 ml;
	struct nbd_metric_peer	 mp;
	const char		*names[PROC_MAX] = { "parent" };
	char			 what[96], name[NBD_PHASE_NAME_LEN];
	FILE			*fp;
	size_t			 i;
	int			 ok;

	for (i = 0; i < nitems(badnames); i++) {
		sync_one(&msync, badnames[i].name,
		    strlen(badnames[i].name) + 1);
		(void)snprintf(what, sizeof(what), "phase name with %s refused",
		    badnames[i].what);
		check(ms_add_sync(ms, &msync) == -1 && ms_count(ms) == 0, what);
	}
	memset(name, 'a', sizeof(name));
	sync_one(&msync, name, sizeof(name));
	check(ms_add_sync(ms, &msync) == -1 && ms_count(ms) == 0,
	    "phase name without its NUL refused");
	name[sizeof(name) - 1] = '\0';
	sync_one(&msync, name, sizeof(name));
	check(ms_add_sync(ms, &msync) == 0 && ms_count(ms) == 2,
	    "phase name of NBD_PHASE_NAME_LEN - 1 taken");
	sync_one(&msync, "checks", 7);
	msync.phase[0].duration = -1;
	check(ms_add_sync(ms, &msync) == -1, "negative phase duration refused");
	sync_one(&msync, "checks", 7);
	msync.duration = -1;
	check(ms_add_sync(ms, &msync) == -1, "negative sync duration refused");
	sync_one(&msync, "checks", 7);
	msync.when = 0;
	check(ms_add_sync(ms, &msync) == -1, "sync without a time refused");
	sync_one(&msync, "checks", 7);
	msync.nphases = NBD_SYNC_PHASES_MAX + 1;
	check(ms_add_sync(ms, &msync) == -1, "too many phases refused");
	msync.nphases = UINT32_MAX;
	check(ms_add_sync(ms, &msync) == -1, "UINT32_MAX phases refused");
	for (i = 0; i < NBD_SYNC_PHASES_MAX; i++)
		strlcpy(msync.phase[i].name, "routes_apply",
		    sizeof(msync.phase[i].name));
	msync.nphases = NBD_SYNC_PHASES_MAX;
	check(ms_add_sync(ms, &msync) == 0 &&
	    ms_count(ms) == 3 + NBD_SYNC_PHASES_MAX,
	    "NBD_SYNC_PHASES_MAX phases taken");

	ms_drop_oldest(ms, SIZE_MAX);
	ok = 1;
	conn(&mc, 0x41, -1, 0, T0, T0, T0);
	ok &= ms_add_conn(ms, &mc, K1_ID) == -1;
	mc.conn_type = 3;
	ok &= ms_add_conn(ms, &mc, K1_ID) == -1;
	mc.conn_type = INT32_MAX;
	ok &= ms_add_conn(ms, &mc, K1_ID) == -1;
	check(ok && ms_count(ms) == 0, "connection type out of range refused");
	conn(&mc, 0x41, NBD_METRIC_RELAY, 2, T0, T0, T0);
	check(ms_add_conn(ms, &mc, K1_ID) == -1, "attempt type 2 refused");
	conn(&mc, 0x41, NBD_METRIC_RELAY, 0, -S, T0, T0);
	check(ms_add_conn(ms, &mc, K1_ID) == -1, "negative stage time refused");
	conn(&mc, 0x41, NBD_METRIC_RELAY, 0, T0, T0, 0);
	check(ms_add_conn(ms, &mc, K1_ID) == -1, "no handshake refused");
	conn(&mc, 0x41, NBD_METRIC_RELAY, 0, T0, T0, T0);
	check(ms_add_conn(ms, &mc, "B01198F80D752350") == -1 &&
	    ms_add_conn(ms, &mc, "b01198f80d75235") == -1 &&
	    ms_add_conn(ms, &mc, "b01198f80d7523500") == -1 &&
	    ms_add_conn(ms, &mc, "b01198f80d75235,") == -1,
	    "own peer id not 16 lower-case hex refused");
	conn(&mc, 0x41, NBD_METRIC_RELAY, 0, 1, INT64_MAX - 1, INT64_MAX);
	check(ms_add_conn(ms, &mc, K1_ID) == 0 && ms_count(ms) == 1,
	    "extreme stage times taken without overflow");

	ml = login_at(T0);
	ml.duration = -1;
	check(ms_add_login(ms, &ml) == -1, "negative login duration refused");
	ml = login_at(T0);
	ml.success = 2;
	check(ms_add_login(ms, &ml) == -1, "login result 2 refused");
	ml = login_at(-T0);
	check(ms_add_login(ms, &ml) == -1, "negative login time refused");
	check(ms_count(ms) == 1, "refused samples are not kept");

	memset(&mp, 0, sizeof(mp));
	mp.state = 3;
	check(ms_peer_set(ms, &mp) == -1, "peer state out of range refused");
	mp.state = CTL_PEER_IDLE;
	mp.conn_type = -1;
	check(ms_peer_set(ms, &mp) == -1, "peer conn type out of range "
	    "refused");
	mp.conn_type = CTL_CONN_NONE;
	ok = 1;
	for (i = 0; i < NBD_PEERS_MAX; i++) {
		memcpy(mp.peer.key, &i, sizeof(i));
		ok &= ms_peer_set(ms, &mp) == 0;
	}
	check(ok && ms_peer_count(ms) == NBD_PEERS_MAX,
	    "NBD_PEERS_MAX peers taken");
	memcpy(mp.peer.key, &i, sizeof(i));
	check(ms_peer_set(ms, &mp) == -1 && ms_peer_count(ms) == NBD_PEERS_MAX,
	    "one peer more refused");
	i = 7;
	memcpy(mp.peer.key, &i, sizeof(i));
	mp.state = CTL_PEER_CONNECTED;
	check(ms_peer_set(ms, &mp) == 0, "a known peer still updates when "
	    "full");

	if ((fp = fopen("/dev/full", "w")) == NULL) {
		printf("skip - write errors: no /dev/full\n");
	} else {
		check(ms_write_lines(ms, &tags, 1, fp) == -1,
		    "line protocol write error reported");
		clearerr(fp);
		check(ms_write_prom(ms, &tags, names, fp) == -1,
		    "exposition write error reported");
		fclose(fp);
	}
	ms_store_free(ms);
}

/* Adds n logins; the warnings about a full ring they caused. */
static int
ring_warnings(struct ms_store *ms, size_t n)
{
	struct nbd_metric_login	 ml;
	size_t			 i;

	logcap_start();
	for (i = 0; i < n; i++) {
		ml = login_at(i + 1);
		ms_add_login(ms, &ml);
	}
	return logcap_count("the oldest are dropped");
}

static void
test_ring_log(void)
{
	struct ms_store	*ms = ms_store_new();

	log_init(1, 0);
	check(ring_warnings(ms, MS_MAX_SAMPLES) == 0,
	    "ring: no warning while there is room");
	check(ring_warnings(ms, 1) == 1, "ring: the first overwrite warns");
	check(ring_warnings(ms, 1000) == 0 && ms_count(ms) == MS_MAX_SAMPLES,
	    "ring: and the next ones do not");
	ms_drop_oldest(ms, 1);
	check(ring_warnings(ms, 1) == 0, "ring: filled up again: no warning");
	check(ring_warnings(ms, 1) == 1,
	    "ring: full again after there was room: one more warning");
	ms_store_free(ms);
}

int
main(void)
{
	test_float();
	test_ids();
	test_deployment();
	test_tags();
	test_lines();
	test_stages();
	test_ring();
	test_prom();
	test_hostile();
	test_ring_log();
	return failed;
}
