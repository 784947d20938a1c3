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
 * Unit tests for the control protocol: netbirdctl's formatting (text
 * and JSON), its command parser and its checks on replies, and the
 * control process's checks on requests and on owners' replies.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netbirdd.h"
#include "netbirdctl.h"
#include "parser.h"

#define NOW	((time_t)1800000000)	/* 2027-01-15T08:00:00Z */
#define KEY_A	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define KEY_B	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
#define KEY_ME	"Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE="
#define KEY_R	"cmVsYXllZHBlZXJyZWxheWVkcGVlcnJlbGF5ZWRwZWU="
#define QR_NET	"\"networks\":null"
#define PEERS_HEADER \
	"NAME                     IP                 PUBLIC KEY         " \
	"                          STATE      CONN    HANDSHAKE        " \
	"                  RX         TX\n"

/* Output captured in memory. */
struct capture {
	FILE	*out;
	FILE	*err;
	char	*obuf;
	char	*ebuf;
	size_t	 olen;
	size_t	 elen;
};

static int	 failed;
static struct status_view reply_view;	/* what reply() collected */

static void	 check(int, const char *);
static void	 check_str(const char *, const char *, const char *);
static void	 cap_open(struct capture *);
static void	 cap_close(struct capture *);
static void	 status_full(struct ctl_status *);
static void	 relays_two(struct ctl_relay *);
static void	 test_status_detail(void);
static void	 test_status_detail_json(void);
static void	 test_relay_replies(void);
static int	 text_reply(enum actions, const void *, size_t,
		    struct capture *, int *);
static void	 test_text_replies(void);
static void	 test_text_limits(void);
static int	 text_stream(enum actions, const char *const *, size_t, int,
		    struct capture *, struct show_ctx *);
static void	 test_text_stream(void);
static void	 test_parser_text(void);
static void	 status_print(const struct output *, FILE *,
		    const struct ctl_status *);
static void	 peer_a(struct ctl_peer *);
static void	 peer_b(struct ctl_peer *);
static void	 test_timeago(void);
static void	 test_iec(void);
static void	 test_rfc3339(void);
static void	 test_names(void);
static void	 test_status_text(void);
static void	 test_status_sparse(void);
static void	 test_status_states(void);
static void	 test_status_signal(void);
static void	 test_peers_text(void);
static void	 reset_text(void);
static void	 test_text_unsafe(void);
static void	 test_result_text(void);
static void	 test_status_json(void);
static void	 test_peers_json(void);
static void	 test_json_escape(void);
static void	 test_result_json(void);
static const struct parse_result *parse_words(const char *);
static void	 test_parser(void);
static int	 reply_ctx(struct show_ctx *, uint32_t, const void *, size_t,
		    struct capture *);
static int	 reply(enum actions, uint32_t, const void *, size_t,
		    struct capture *, int *);
static void	 test_replies(void);
static void	 test_requests(void);
static void	 test_owner_replies(void);
static void	 peer_r(struct ctl_peer *);
static void	 peer_idle(struct ctl_peer *);
static void	 test_duration(void);
static void	 test_detail_text(void);
static void	 test_name_match(void);
static void	 test_filter_match(void);
static void	 test_parser_peers(void);
static int	 replies(struct show_ctx *, const struct ctl_peer *, size_t,
		    struct capture *);
static void	 ctx_init(struct show_ctx *, const struct output *,
		    enum actions);
static void	 test_peer_replies(void);
static void	 test_peer_filters(void);

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
	int	ok = strcmp(got, want) == 0;

	check(ok, what);
	if (!ok)
		printf("# got:\n%s\n# want:\n%s\n", got, want);
}

static void
cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	if ((c->out = open_memstream(&c->obuf, &c->olen)) == NULL ||
	    (c->err = open_memstream(&c->ebuf, &c->elen)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
}

/* After this, obuf and ebuf hold what was written; free() them. */
static void
cap_close(struct capture *c)
{
	fclose(c->out);
	fclose(c->err);
}

static void
status_full(struct ctl_status *st)
{
	memset(st, 0, sizeof(*st));
	strlcpy(st->version, "0.1.0", sizeof(st->version));
	strlcpy(st->mgmt_url, "https://api.netbird.io:443",
	    sizeof(st->mgmt_url));
	strlcpy(st->signal_url, "https://signal.netbird.io:443",
	    sizeof(st->signal_url));
	strlcpy(st->ifname, "wt0", sizeof(st->ifname));
	strlcpy(st->pubkey, KEY_ME, sizeof(st->pubkey));
	strlcpy(st->address, "100.64.0.5/16", sizeof(st->address));
	strlcpy(st->fqdn, "host.netbird.cloud", sizeof(st->fqdn));
	st->started = NOW - 7320;
	st->last_sync = NOW - 12;
	st->serial = 42;
	st->peers_total = 3;
	st->peers_connected = 1;
	st->mgmt_state = CTL_MGMT_CONNECTED;
	st->signal_connected = 1;
	st->wg_backend = WG_BACKEND_USERSPACE;
	st->log_level = NBD_LOG_INFO;
	st->wg_port = 51820;
	st->mtu = 1280;
}

/* A relay server up over WebSocket and a STUN server that is not. */
static void
relays_two(struct ctl_relay *r)
{
	memset(r, 0, 2 * sizeof(*r));
	strlcpy(r[0].uri, "stun:stun.netbird.io:3478", sizeof(r[0].uri));
	strlcpy(r[0].error, "no answer to a Binding request",
	    sizeof(r[0].error));
	strlcpy(r[1].uri, "rels://relay.netbird.io:443", sizeof(r[1].uri));
	strlcpy(r[1].transport, "ws", sizeof(r[1].transport));
	r[1].available = 1;
}

/* show status with no relays or peers: the status alone. */
static void
status_print(const struct output *o, FILE *out, const struct ctl_status *st)
{
	struct status_view	v;

	memset(&v, 0, sizeof(v));
	v.st = *st;
	v.have_status = 1;
	o->summary(out, &v, NOW);
}

static void
peer_a(struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->fqdn, "peer-a.netbird.cloud", sizeof(p->fqdn));
	strlcpy(p->address, "100.64.0.2", sizeof(p->address));
	strlcpy(p->pubkey, KEY_A, sizeof(p->pubkey));
	strlcpy(p->local_type, "host", sizeof(p->local_type));
	strlcpy(p->remote_type, "srflx", sizeof(p->remote_type));
	strlcpy(p->local_endpoint, "192.0.2.1:51820",
	    sizeof(p->local_endpoint));
	strlcpy(p->remote_endpoint, "198.51.100.7:40000",
	    sizeof(p->remote_endpoint));
	p->last_update = NOW - 300;
	p->last_handshake = NOW - 65;
	p->latency_ns = 12345678;
	p->rx_bytes = 1536;
	p->tx_bytes = 3 * 1024 * 1024;
	p->state = CTL_PEER_CONNECTED;
	p->conn_type = CTL_CONN_P2P;
}

static void
peer_b(struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->fqdn, "a-much-longer-peer-name.example.com",
	    sizeof(p->fqdn));
	strlcpy(p->address, "100.64.0.3", sizeof(p->address));
	strlcpy(p->pubkey, KEY_B, sizeof(p->pubkey));
	p->state = CTL_PEER_IDLE;
	p->conn_type = CTL_CONN_NONE;
}

static void
test_timeago(void)
{
	static const struct {
		int64_t		 when;
		const char	*want;
	} t[] = {
		{ 0,			"-" },
		{ -5,			"-" },
		{ INT64_MIN,		"-" },
		{ NOW,			"Now" },
		{ NOW + 3600,		"Now" },
		{ INT64_MAX,		"Now" },
		{ NOW - 1,		"1 second ago" },
		{ NOW - 2,		"2 seconds ago" },
		{ NOW - 59,		"59 seconds ago" },
		{ NOW - 60,		"1 minute ago" },
		{ NOW - 61,		"1 minute, 1 second ago" },
		{ NOW - 65,		"1 minute, 5 seconds ago" },
		{ NOW - 120,		"2 minutes ago" },
		{ NOW - 3599,		"59 minutes, 59 seconds ago" },
		{ NOW - 3600,		"1 hour ago" },
		{ NOW - 3660,		"1 hour, 1 minute ago" },
		{ NOW - 3659,		"1 hour ago" },
		{ NOW - 7322,		"2 hours, 2 minutes ago" },
		{ NOW - 86399,		"23 hours, 59 minutes ago" },
		{ NOW - 86400,		"1 day ago" },
		{ NOW - 90000,		"1 day, 1 hour ago" },
		{ NOW - 3 * 86400 - 5 * 3600, "3 days, 5 hours ago" },
		{ NOW - 400 * 86400,	"400 days ago" },
		{ 1,			"20833 days, 7 hours ago" },
	};
	char	buf[FMT_TIME_LEN], what[128];
	size_t	i;

	for (i = 0; i < nitems(t); i++) {
		snprintf(what, sizeof(what), "time ago: %s",
		    t[i].want);
		check_str(fmt_timeago(buf, sizeof(buf), t[i].when, NOW),
		    t[i].want, what);
	}
}

static void
test_iec(void)
{
	static const struct {
		uint64_t	 bytes;
		const char	*want;
	} t[] = {
		{ 0,				"0 B" },
		{ 1,				"1 B" },
		{ 1023,				"1023 B" },
		{ 1024,				"1.0 KiB" },
		{ 1536,				"1.5 KiB" },
		{ 1024 * 1024 - 1,		"1024.0 KiB" },
		{ 1024 * 1024,			"1.0 MiB" },
		{ 5ULL * 1024 * 1024 * 1024 / 2, "2.5 GiB" },
		{ 1ULL << 40,			"1.0 TiB" },
		{ 1ULL << 50,			"1.0 PiB" },
		{ 1ULL << 60,			"1.0 EiB" },
		{ UINT64_MAX,			"16.0 EiB" },
	};
	char	buf[FMT_IEC_LEN], what[128];
	size_t	i;

	for (i = 0; i < nitems(t); i++) {
		snprintf(what, sizeof(what), "IEC: %llu is %s",
		    (unsigned long long)t[i].bytes, t[i].want);
		check_str(fmt_iec(buf, sizeof(buf), t[i].bytes), t[i].want,
		    what);
	}
}

static void
test_rfc3339(void)
{
	char	buf[FMT_TIME_LEN];

	check_str(fmt_rfc3339(buf, sizeof(buf), NOW), "2027-01-15T08:00:00Z",
	    "RFC 3339: a time in UTC");
	check_str(fmt_rfc3339(buf, sizeof(buf), 1), "1970-01-01T00:00:01Z",
	    "RFC 3339: the first second");
	check_str(fmt_rfc3339(buf, sizeof(buf), 0), "0001-01-01T00:00:00Z",
	    "RFC 3339: never is Go's zero time");
	check_str(fmt_rfc3339(buf, sizeof(buf), -1), "0001-01-01T00:00:00Z",
	    "RFC 3339: negative is Go's zero time");
	check_str(fmt_rfc3339(buf, sizeof(buf), INT64_MAX),
	    "0001-01-01T00:00:00Z", "RFC 3339: beyond year 9999 is zero");
	check_str(fmt_rfc3339(buf, sizeof(buf), 253402300799LL),
	    "9999-12-31T23:59:59Z", "RFC 3339: the last second of 9999");
}

static void
test_names(void)
{
	check_str(fmt_peer_state(CTL_PEER_CONNECTING), "Connecting",
	    "name: peer state");
	check_str(fmt_peer_state(-1), "Unknown", "name: negative state");
	check_str(fmt_peer_state(INT32_MAX), "Unknown", "name: huge state");
	check_str(fmt_conn_type(CTL_CONN_RELAYED), "Relayed",
	    "name: relayed");
	check_str(fmt_daemon_status(CTL_MGMT_DISCONNECTED), "Connecting",
	    "name: a lost management connection is Connecting");
	check_str(fmt_mgmt_state(CTL_MGMT_LOGIN_FAILED), "LoginFailed",
	    "name: login failed");
	check_str(fmt_backend(WG_BACKEND_KERNEL), "Kernel", "name: kernel");
	check_str(fmt_log_level(NBD_LOG_WARNING), "warning",
	    "name: log level warning");
	check_str(fmt_log_level(2), "trace", "name: log level 2 (-vv)");
	check_str(fmt_log_level(-2), "unknown", "name: log level -2");
	check_str(fmt_result(CTL_RES_BADREQ), "bad request",
	    "name: bad request");
	check_str(fmt_result(4), "Unknown", "name: result 4");
}

static void
test_status_text(void)
{
	struct capture		c;
	struct status_view	v;
	struct ctl_relay	r[2];

	memset(&v, 0, sizeof(v));
	status_full(&v.st);
	v.have_status = 1;
	relays_two(r);
	v.relays = r;
	v.nrelays = 2;
	cap_open(&c);
	show_output.summary(c.out, &v, NOW);
	cap_close(&c);
	check_str(c.obuf,
	    "Daemon version: 0.1.0\n"
	    "Started: 2 hours, 2 minutes ago\n"
	    "Management: Connected to https://api.netbird.io:443\n"
	    "Signal: Connected to https://signal.netbird.io:443\n"
	    "Relays: 1/2 Available\n"
	    "Interface: wt0 (Userspace), port 51820, MTU 1280\n"
	    "Public key: " KEY_ME "\n"
	    "NetBird IP: 100.64.0.5/16\n"
	    "FQDN: host.netbird.cloud\n"
	    "Last sync: 12 seconds ago (serial 42)\n"
	    "Peers count: 1/3 Connected\n"
	    "Log level: info\n",
	    "text: show status, connected, relays counted");
	free(c.obuf);
	free(c.ebuf);
}

/* What a daemon that has not reached management yet reports. */
static void
test_status_sparse(void)
{
	struct capture		c;
	struct ctl_status	st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.mgmt_url, "http://127.0.0.1:1", sizeof(st.mgmt_url));
	st.log_level = NBD_LOG_WARNING;
	cap_open(&c);
	status_print(&show_output, c.out, &st);
	cap_close(&c);
	check_str(c.obuf,
	    "Daemon version: N/A\n"
	    "Started: -\n"
	    "Management: Not connected to http://127.0.0.1:1\n"
	    "Signal: Disconnected\n"
	    "Relays: 0/0 Available\n"
	    "Interface: N/A (N/A), port 0, MTU 0\n"
	    "Public key: N/A\n"
	    "NetBird IP: N/A\n"
	    "FQDN: N/A\n"
	    "Last sync: never\n"
	    "Peers count: 0/0 Connected\n"
	    "Log level: warning\n",
	    "text: show status, nothing known yet");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_status_states(void)
{
	static const struct {
		int32_t		 state;
		const char	*error;
		const char	*want;
	} t[] = {
		{ CTL_MGMT_CONNECTING, "",
		    "Management: Connecting to http://m\n" },
		{ CTL_MGMT_DISCONNECTED, "connection refused",
		    "Management: Disconnected from http://m, "
		    "reason: connection refused\n" },
		{ CTL_MGMT_LOGIN_FAILED, "setup key invalid",
		    "Management: Login failed at http://m, "
		    "reason: setup key invalid\n" },
		{ CTL_MGMT_NEEDS_LOGIN, "",
		    "Management: Needs login at http://m\n" },
		{ CTL_MGMT_CONNECTED, "old error",
		    "Management: Connected to http://m\n" },
		{ 99, "x", "Management: Unknown state at http://m, "
		    "reason: x\n" },
		{ -1, "", "Management: Unknown state at http://m\n" },
	};
	struct capture		c;
	struct ctl_status	st;
	char			what[128];
	size_t			i;

	for (i = 0; i < nitems(t); i++) {
		memset(&st, 0, sizeof(st));
		strlcpy(st.mgmt_url, "http://m", sizeof(st.mgmt_url));
		strlcpy(st.mgmt_error, t[i].error, sizeof(st.mgmt_error));
		strlcpy(st.signal_url, "http://s", sizeof(st.signal_url));
		st.mgmt_state = t[i].state;
		cap_open(&c);
		status_print(&show_output, c.out, &st);
		cap_close(&c);
		snprintf(what, sizeof(what), "text: management state %d",
		    t[i].state);
		check(strstr(c.obuf, t[i].want) != NULL, what);
		if (i == 0)
			check(strstr(c.obuf,
			    "Signal: Disconnected from http://s\n") != NULL,
			    "text: signal disconnected, with its URL");
		free(c.obuf);
		free(c.ebuf);
	}
}

/* The signal line: state, reason while down, dropped messages. */
static void
test_status_signal(void)
{
	static const struct {
		int32_t		 connected;
		const char	*error;
		uint32_t	 dropped, rejected;
		const char	*want;
	} t[] = {
		{ 1, "", 0, 0, "Signal: Connected to http://s\n" },
		{ 1, "old", 0, 0, "Signal: Connected to http://s\n" },
		{ 0, "", 0, 0, "Signal: Disconnected from http://s\n" },
		{ 0, "ConnectStream: Unavailable: refused", 0, 0,
		    "Signal: Disconnected from http://s, reason: "
		    "ConnectStream: Unavailable: refused\n" },
		{ 1, "", 3, 0, "Signal: Connected to http://s, messages "
		    "dropped: 3 from unknown keys, 0 invalid\n" },
		{ 0, "x\ny", 0, 2, "Signal: Disconnected from http://s, "
		    "reason: x?y, messages dropped: 0 from unknown keys, "
		    "2 invalid\n" },
	};
	struct capture		c;
	struct ctl_status	st;
	char			what[64];
	size_t			i;

	for (i = 0; i < nitems(t); i++) {
		memset(&st, 0, sizeof(st));
		strlcpy(st.signal_url, "http://s", sizeof(st.signal_url));
		st.signal_connected = t[i].connected;
		strlcpy(st.signal_error, t[i].error, sizeof(st.signal_error));
		st.signal_dropped = t[i].dropped;
		st.signal_rejected = t[i].rejected;
		cap_open(&c);
		status_print(&show_output, c.out, &st);
		cap_close(&c);
		snprintf(what, sizeof(what), "text: signal line %zu", i);
		check(strstr(c.obuf, t[i].want) != NULL, what);
		free(c.obuf);
		free(c.ebuf);
		cap_open(&c);
		status_print(&json_output, c.out, &st);
		cap_close(&c);
		snprintf(what, sizeof(what), "JSON: signal %zu", i);
		check(strstr(c.obuf, t[i].connected ?
		    "\"connected\":true" : "\"connected\":false") != NULL &&
		    (t[i].dropped != 3 || strstr(c.obuf,
		    "\"droppedUnknownKey\":3,\"droppedInvalid\":0}") != NULL) &&
		    (t[i].rejected != 2 || strstr(c.obuf,
		    "\"error\":\"x\\ny\",\"droppedUnknownKey\":0,"
		    "\"droppedInvalid\":2}") != NULL), what);
		free(c.obuf);
		free(c.ebuf);
	}
}

static void
test_peers_text(void)
{
	struct capture		c;
	struct ctl_peer		p;

	cap_open(&c);
	peer_a(&p);
	show_output.peer(c.out, &p, NOW);
	peer_b(&p);
	show_output.peer(c.out, &p, NOW);
	show_output.tail(c.out, SHOW_PEERS);
	cap_close(&c);
	check_str(c.obuf, PEERS_HEADER
	    "peer-a.netbird.cloud     100.64.0.2         " KEY_A " Connected "
	    " P2P     1 minute, 5 seconds ago       1.5 KiB    3.0 MiB\n"
	    "a-much-longer-peer-name.example.com 100.64.0.3         " KEY_B
	    " Idle       -       -                                 0 B       "
	    " 0 B\n",
	    "text: show peers, two peers, one name too long for its column");
	free(c.obuf);
	free(c.ebuf);

	cap_open(&c);
	show_output.tail(c.out, SHOW_PEERS);
	cap_close(&c);
	check_str(c.obuf, PEERS_HEADER,
	    "text: show peers, empty list prints only the header");
	free(c.obuf);
	free(c.ebuf);

	cap_open(&c);
	show_output.tail(c.out, SHOW_STATUS);
	cap_close(&c);
	check_str(c.obuf, "", "text: the end of show status prints nothing");
	free(c.obuf);
	free(c.ebuf);
}

/* Forget a list show_reply() started: the text output counts peers. */
static void
reset_text(void)
{
	FILE	*null;

	if ((null = fopen("/dev/null", "w")) == NULL)
		exit(1);
	show_output.tail(null, NONE);
	fclose(null);
}

/* Strings from the network must not reach a terminal as they are. */
static void
test_text_unsafe(void)
{
	struct capture		c;
	struct ctl_peer		p;

	peer_b(&p);
	strlcpy(p.fqdn, "evil\x1b[2J\rname\x7f\xc3\xa9", sizeof(p.fqdn));
	p.address[0] = '\0';
	cap_open(&c);
	show_output.peer(c.out, &p, NOW);
	show_output.tail(c.out, SHOW_PEERS);
	cap_close(&c);
	check(strstr(c.obuf, "\nevil?[2J?name???         -                  "
	    KEY_B " Idle ") != NULL,
	    "text: control, DEL and non-ASCII bytes print as '?', empty "
	    "as '-'");
	check(strchr(c.obuf, '\x1b') == NULL, "text: no escape reaches "
	    "the terminal");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_result_text(void)
{
	struct capture		c;
	struct ctl_result	res;

	memset(&res, 0, sizeof(res));
	cap_open(&c);
	show_output.result(c.out, c.err, &res);
	cap_close(&c);
	check_str(c.obuf, "request processed\n",
	    "text: ok without a message");
	check_str(c.ebuf, "", "text: ok writes nothing to stderr");
	free(c.obuf);
	free(c.ebuf);

	res.code = CTL_RES_FAILED;
	strlcpy(res.msg, "/etc/netbirdd.conf:3: syntax error",
	    sizeof(res.msg));
	cap_open(&c);
	show_output.result(c.out, c.err, &res);
	cap_close(&c);
	check_str(c.obuf, "", "text: a failure writes nothing to stdout");
	check_str(c.ebuf,
	    "netbirdctl: failed: /etc/netbirdd.conf:3: syntax error\n",
	    "text: a failure and its reason on stderr");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_status_json(void)
{
	struct capture		c;
	struct ctl_status	st;

	status_full(&st);
	cap_open(&c);
	status_print(&json_output, c.out, &st);
	cap_close(&c);
	check_str(c.obuf,
	    "{\"peers\":{\"total\":0,\"connected\":0,\"details\":null},"
	    "\"cliVersion\":\"" NBD_VERSION "\",\"daemonVersion\":\"0.1.0\","
	    "\"daemonStatus\":\"Connected\","
	    "\"management\":{\"url\":\"https://api.netbird.io:443\","
	    "\"connected\":true,\"error\":\"\"},"
	    "\"signal\":{\"url\":\"https://signal.netbird.io:443\","
	    "\"connected\":true,\"error\":\"\",\"droppedUnknownKey\":0,"
	    "\"droppedInvalid\":0},"
	    "\"relays\":{\"total\":0,\"available\":0,\"details\":null},"
	    "\"netbirdIp\":\"100.64.0.5/16\",\"publicKey\":\"" KEY_ME "\","
	    "\"usesKernelInterface\":false,\"wireguardPort\":51820,"
	    "\"fqdn\":\"host.netbird.cloud\",\"quantumResistance\":false,"
	    "\"quantumResistancePermissive\":false,\"networks\":null,"
	    "\"forwardingRules\":0,\"dnsServers\":[],\"events\":[],"
	    "\"lazyConnectionEnabled\":false,\"profileName\":\"default\","
	    "\"sshServer\":{\"enabled\":false,\"sessions\":[]},"
	    "\"interfaceName\":\"wt0\",\"mtu\":1280,"
	    "\"lastSync\":\"2027-01-15T07:59:48Z\",\"networkSerial\":42,"
	    "\"startedAt\":\"2027-01-15T05:58:00Z\",\"logLevel\":\"info\"}\n",
	    "JSON: show status, one line, netbird status --json names");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_peers_json(void)
{
	struct capture		c;
	struct ctl_peer		p;

	cap_open(&c);
	peer_a(&p);
	json_output.peer(c.out, &p, NOW);
	peer_b(&p);
	json_output.peer(c.out, &p, NOW);
	json_output.tail(c.out, SHOW_PEERS);
	cap_close(&c);
	check_str(c.obuf,
	    "{\"peers\":{\"details\":["
	    "{\"fqdn\":\"peer-a.netbird.cloud\",\"netbirdIp\":\"100.64.0.2\","
	    "\"publicKey\":\"" KEY_A "\",\"status\":\"Connected\","
	    "\"lastStatusUpdate\":\"2027-01-15T07:55:00Z\","
	    "\"connectionType\":\"P2P\","
	    "\"iceCandidateType\":{\"local\":\"host\",\"remote\":\"srflx\"},"
	    "\"iceCandidateEndpoint\":{\"local\":\"192.0.2.1:51820\","
	    "\"remote\":\"198.51.100.7:40000\"},\"relayAddress\":\"\","
	    "\"lastWireguardHandshake\":\"2027-01-15T07:58:55Z\","
	    "\"transferReceived\":1536,\"transferSent\":3145728,"
	    "\"latency\":12345678,\"quantumResistance\":false," QR_NET "},"
	    "{\"fqdn\":\"a-much-longer-peer-name.example.com\","
	    "\"netbirdIp\":\"100.64.0.3\",\"publicKey\":\"" KEY_B "\","
	    "\"status\":\"Idle\","
	    "\"lastStatusUpdate\":\"0001-01-01T00:00:00Z\","
	    "\"connectionType\":\"-\","
	    "\"iceCandidateType\":{\"local\":\"\",\"remote\":\"\"},"
	    "\"iceCandidateEndpoint\":{\"local\":\"\",\"remote\":\"\"},"
	    "\"relayAddress\":\"\","
	    "\"lastWireguardHandshake\":\"0001-01-01T00:00:00Z\","
	    "\"transferReceived\":0,\"transferSent\":0,\"latency\":0,"
	    "\"quantumResistance\":false," QR_NET "}"
	    "],\"total\":2,\"connected\":1}}\n",
	    "JSON: show peers, two peers, totals counted");
	free(c.obuf);
	free(c.ebuf);

	cap_open(&c);
	json_output.tail(c.out, SHOW_PEERS);
	cap_close(&c);
	check_str(c.obuf,
	    "{\"peers\":{\"details\":[],\"total\":0,\"connected\":0}}\n",
	    "JSON: show peers, empty list, counts start again at zero");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_json_escape(void)
{
	static const struct {
		const char	*in;
		const char	*want;
		const char	*what;
	} t[] = {
		{ "a\"b\\c", "a\\\"b\\\\c", "quote and backslash" },
		{ "\n\r\t", "\\n\\r\\t", "newline, return, tab" },
		{ "\x01\x1f\x7f", "\\u0001\\u001f\x7f",
		    "control characters as \\u00XX, DEL as it is" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa6",
		    "well-formed UTF-8 of 2, 3 and 4 bytes passes" },
		{ "\xff", "\\ufffd", "a byte that never starts UTF-8" },
		{ "\xe2\x82x", "\\ufffd\\ufffdx", "a truncated sequence" },
		{ "x\xe2", "x\\ufffd", "a sequence cut by the end" },
		{ "\xc0\xaf", "\\ufffd\\ufffd", "an overlong encoding" },
		{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd",
		    "an overlong 3-byte encoding" },
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "a surrogate" },
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd",
		    "beyond U+10FFFF" },
		{ "\xf0\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd",
		    "an overlong 4-byte encoding" },
		{ "", "", "the empty string" },
	};
	struct capture		c;
	struct ctl_result	res;
	char			want[512], what[128];
	size_t			i;

	for (i = 0; i < nitems(t); i++) {
		memset(&res, 0, sizeof(res));
		strlcpy(res.msg, t[i].in, sizeof(res.msg));
		cap_open(&c);
		json_output.result(c.out, c.err, &res);
		cap_close(&c);
		snprintf(want, sizeof(want),
		    "{\"result\":\"ok\",\"code\":0,\"message\":\"%s\"}\n",
		    t[i].want);
		snprintf(what, sizeof(what), "JSON escape: %s", t[i].what);
		check_str(c.obuf, want, what);
		free(c.obuf);
		free(c.ebuf);
	}
}

static void
test_result_json(void)
{
	struct capture		c;
	struct ctl_result	res;

	memset(&res, 0, sizeof(res));
	res.code = CTL_RES_FAILED;
	strlcpy(res.msg, "bad config", sizeof(res.msg));
	cap_open(&c);
	json_output.result(c.out, c.err, &res);
	cap_close(&c);
	check_str(c.obuf,
	    "{\"result\":\"failed\",\"code\":1,\"message\":\"bad config\"}\n",
	    "JSON: a failure goes to stdout as JSON");
	check_str(c.ebuf, "", "JSON: nothing on stderr");
	free(c.obuf);
	free(c.ebuf);
}

/* Parse space-separated words, with the parser's complaints hidden. */
static const struct parse_result *
parse_words(const char *line)
{
	const struct parse_result	*res;
	char				*copy, *p, *argv[16], *w;
	int				 argc = 0, null, saved;

	if ((copy = p = strdup(line)) == NULL)
		exit(1);
	while (line[0] != '\0' && (w = strsep(&p, " ")) != NULL &&
	    argc < 15)
		argv[argc++] = w;
	argv[argc] = NULL;
	fflush(stderr);
	if ((null = open("/dev/null", O_WRONLY)) == -1 ||
	    (saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(null, STDERR_FILENO) == -1)
		exit(1);
	res = parse(argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	free(copy);
	return res;
}

static void
test_parser(void)
{
	static const struct {
		const char	*line;
		enum actions	 action;	/* NONE: must be refused */
		int32_t		 level;
	} t[] = {
		{ "show status",	SHOW_STATUS,	0 },
		{ "show peers",		SHOW_PEERS,	0 },
		{ "log verbose",	LOG_VERBOSE,	NBD_LOG_DEBUG },
		{ "log brief",		LOG_BRIEF,	NBD_LOG_INFO },
		{ "reload",		RELOAD,		0 },
		{ "sh st",		SHOW_STATUS,	0 },
		{ "s s",		SHOW_STATUS,	0 },
		{ "s p",		SHOW_PEERS,	0 },
		{ "show pe",		SHOW_PEERS,	0 },
		{ "l v",		LOG_VERBOSE,	NBD_LOG_DEBUG },
		{ "lo b",		LOG_BRIEF,	NBD_LOG_INFO },
		{ "r",			RELOAD,		0 },
		{ "rel",		RELOAD,		0 },
		{ "",			NONE,		0 },
		{ "show",		NONE,		0 },
		{ "log",		NONE,		0 },
		{ "stop",		NONE,		0 },
		{ "show everything",	NONE,		0 },
		{ "show statuses",	NONE,		0 },
		{ "SHOW status",	NONE,		0 },
		{ "show status now",	NONE,		0 },
		{ "reload now",		NONE,		0 },
		{ "log debug",		NONE,		0 },
		{ " ",			NONE,		0 },
		{ "show ",		NONE,		0 },
	};
	const struct parse_result	*res;
	char				 what[128];
	size_t				 i;

	for (i = 0; i < nitems(t); i++) {
		res = parse_words(t[i].line);
		if (t[i].action == NONE) {
			snprintf(what, sizeof(what), "parser: \"%s\" refused",
			    t[i].line);
			check(res == NULL, what);
			continue;
		}
		snprintf(what, sizeof(what), "parser: \"%s\"", t[i].line);
		check(res != NULL && res->action == t[i].action &&
		    res->level == t[i].level, what);
	}
}

/*
 * Send one reply over a socketpair and give it to show_reply() with
 * ctx; its return value, output in cap.
 */
static int
reply_ctx(struct show_ctx *ctx, uint32_t type, const void *data, size_t len,
    struct capture *cap)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 sv[2], r = -2;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    imsgbuf_init(&a, sv[0]) == -1 || imsgbuf_init(&b, sv[1]) == -1)
		exit(1);
	if (imsg_compose(&a, type, 0, 0, -1, data, len) == -1 ||
	    imsgbuf_flush(&a) == -1 || imsgbuf_read(&b) != 1)
		exit(1);
	cap_open(cap);
	ctx->out = cap->out;
	ctx->err = cap->err;
	if (imsgbuf_get(&b, &imsg) > 0) {
		r = show_reply(ctx, &imsg);
		imsg_free(&imsg);
	}
	cap_close(cap);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	return r;
}

/*
 * The same for a request "action" on a fresh context; show status's
 * requests collect in reply_view, emptied first.  Status in *status.
 */
static int
reply(enum actions action, uint32_t type, const void *data, size_t len,
    struct capture *cap, int *status)
{
	struct show_ctx	 ctx;
	int		 r;

	ctx_init(&ctx, &show_output, action);
	view_free(&reply_view);
	if (action == SHOW_STATUS || action == SHOW_RELAYS)
		ctx.view = &reply_view;
	r = reply_ctx(&ctx, type, data, len, cap);
	*status = ctx.status;
	return r;
}

static void
test_replies(void)
{
	struct capture		c;
	struct ctl_status	st;
	struct ctl_peer		p;
	struct ctl_result	res;
	char			big[sizeof(st) + 1];
	int			r, status;

	status_full(&st);
	r = reply(SHOW_STATUS, IMSG_CTL_SHOW_STATUS, &st, sizeof(st), &c,
	    &status);
	check(r == 0 && status == 0 && c.olen == 0 && reply_view.have_status &&
	    strcmp(reply_view.st.version, "0.1.0") == 0,
	    "reply: a status is kept, more is expected");
	free(c.obuf);
	free(c.ebuf);

	r = reply(SHOW_STATUS, IMSG_CTL_SHOW_STATUS, &st, sizeof(st) - 1, &c,
	    &status);
	check(r == -1 && status == 1 && c.olen == 0,
	    "reply: a status one byte short is refused, nothing printed");
	free(c.obuf);
	free(c.ebuf);

	memset(big, 'x', sizeof(big));
	r = reply(SHOW_STATUS, IMSG_CTL_SHOW_STATUS, big, sizeof(big), &c,
	    &status);
	check(r == -1 && c.olen == 0, "reply: a status one byte long "
	    "is refused");
	free(c.obuf);
	free(c.ebuf);

	memset(st.fqdn, 'a', sizeof(st.fqdn));
	r = reply(SHOW_STATUS, IMSG_CTL_SHOW_STATUS, &st, sizeof(st), &c,
	    &status);
	check(r == -1 && c.olen == 0,
	    "reply: a status with an unterminated string is refused");
	free(c.obuf);
	free(c.ebuf);

	status_full(&st);
	r = reply(SHOW_PEERS, IMSG_CTL_SHOW_STATUS, &st, sizeof(st), &c,
	    &status);
	check(r == -1, "reply: a status to show peers is refused");
	free(c.obuf);
	free(c.ebuf);

	peer_a(&p);
	r = reply(SHOW_PEERS, IMSG_CTL_SHOW_PEER, &p, sizeof(p), &c,
	    &status);
	check(r == 0 && strstr(c.obuf, KEY_A) != NULL,
	    "reply: a peer is printed, more is expected");
	free(c.obuf);
	free(c.ebuf);
	reset_text();

	memset(p.relay_address, 'r', sizeof(p.relay_address));
	r = reply(SHOW_PEERS, IMSG_CTL_SHOW_PEER, &p, sizeof(p), &c,
	    &status);
	check(r == -1 && c.olen == 0,
	    "reply: a peer with an unterminated string is refused");
	free(c.obuf);
	free(c.ebuf);

	peer_a(&p);
	r = reply(SHOW_STATUS, IMSG_CTL_SHOW_PEER, &p, sizeof(p), &c,
	    &status);
	check(r == -1, "reply: a peer to show status is refused");
	free(c.obuf);
	free(c.ebuf);

	r = reply(SHOW_PEERS, IMSG_CTL_END, NULL, 0, &c, &status);
	check(r == 1 && status == 0, "reply: END ends show peers");
	free(c.obuf);
	free(c.ebuf);

	r = reply(SHOW_PEERS, IMSG_CTL_END, "x", 1, &c, &status);
	check(r == -1, "reply: END with a payload is refused");
	free(c.obuf);
	free(c.ebuf);

	r = reply(RELOAD, IMSG_CTL_END, NULL, 0, &c, &status);
	check(r == -1, "reply: END to reload is refused");
	free(c.obuf);
	free(c.ebuf);

	memset(&res, 0, sizeof(res));
	res.code = CTL_RES_FAILED;
	strlcpy(res.msg, "nope", sizeof(res.msg));
	r = reply(RELOAD, IMSG_CTL_RESULT, &res, sizeof(res), &c, &status);
	check(r == 1 && status == 1 &&
	    strcmp(c.ebuf, "netbirdctl: failed: nope\n") == 0,
	    "reply: a failed result ends the stream, exit status 1");
	free(c.obuf);
	free(c.ebuf);

	res.code = CTL_RES_OK;
	r = reply(SHOW_PEERS, IMSG_CTL_RESULT, &res, sizeof(res), &c,
	    &status);
	check(r == 1 && status == 0, "reply: an ok result ends any request");
	free(c.obuf);
	free(c.ebuf);

	memset(res.msg, 'm', sizeof(res.msg));
	r = reply(RELOAD, IMSG_CTL_RESULT, &res, sizeof(res), &c, &status);
	check(r == -1 && c.olen == 0 && c.elen == 0,
	    "reply: a result with an unterminated message is refused");
	free(c.obuf);
	free(c.ebuf);

	r = reply(RELOAD, IMSG_CTL_RESULT, &res, 4, &c, &status);
	check(r == -1, "reply: a short result is refused");
	free(c.obuf);
	free(c.ebuf);

	r = reply(RELOAD, IMSG_CTL_RELOAD, NULL, 0, &c, &status);
	check(r == -1, "reply: a request type as reply is refused");
	free(c.obuf);
	free(c.ebuf);

	r = reply(RELOAD, 0xffffffff, NULL, 0, &c, &status);
	check(r == -1, "reply: an unknown type is refused");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_requests(void)
{
	struct ctl_verbose	v;
	char			why[CTL_MSG_LEN];
	int32_t			bad[] = { -2, 2, INT32_MIN, INT32_MAX };
	size_t			i;

	check(control_request_owner(IMSG_CTL_SHOW_STATUS, NULL, 0, why,
	    sizeof(why)) == PROC_PARENT, "request: show status to parent");
	check(control_request_owner(IMSG_CTL_SHOW_PEERS, NULL, 0, why,
	    sizeof(why)) == PROC_ICE, "request: show peers to ice");
	check(control_request_owner(IMSG_CTL_RELOAD, NULL, 0, why,
	    sizeof(why)) == PROC_PARENT, "request: reload to parent");
	for (v.level = NBD_LOG_WARNING; v.level <= NBD_LOG_DEBUG; v.level++)
		check(control_request_owner(IMSG_CTL_LOG_VERBOSE, &v,
		    sizeof(v), why, sizeof(why)) == PROC_PARENT,
		    "request: log level in range to parent");
	for (i = 0; i < nitems(bad); i++) {
		v.level = bad[i];
		check(control_request_owner(IMSG_CTL_LOG_VERBOSE, &v,
		    sizeof(v), why, sizeof(why)) == -1 &&
		    strstr(why, "out of range") != NULL,
		    "request: log level out of range refused");
	}
	check(control_request_owner(IMSG_CTL_LOG_VERBOSE, &v, 2, why,
	    sizeof(why)) == -1, "request: short log level refused");
	check(control_request_owner(IMSG_CTL_LOG_VERBOSE, NULL, 0, why,
	    sizeof(why)) == -1, "request: empty log level refused");
	check(control_request_owner(IMSG_CTL_SHOW_STATUS, "x", 1, why,
	    sizeof(why)) == -1 && strcmp(why,
	    "CTL_SHOW_STATUS with 1 bytes, want 0") == 0,
	    "request: show status with a payload refused, reason given");
	check(control_request_owner(IMSG_CTL_SHOW_PEER, NULL, 0, why,
	    sizeof(why)) == -1, "request: a reply type refused");
	check(control_request_owner(IMSG_CTL_END, NULL, 0, why,
	    sizeof(why)) == -1 && strncmp(why, "not a request: CTL_END (",
	    24) == 0, "request: END refused, reason given");
	check(control_request_owner(IMSG_SOCKET_CONTROL, NULL, 0, why,
	    sizeof(why)) == -1, "request: an internal type refused");
	check(control_request_owner(IMSG_MAX + 1000, NULL, 0, why,
	    sizeof(why)) == -1 && strncmp(why, "not a request: UNKNOWN (",
	    24) == 0, "request: an unknown type refused, reason given");
}

static void
test_owner_replies(void)
{
	check(control_reply_valid(IMSG_CTL_SHOW_STATUS, PROC_PARENT,
	    sizeof(struct ctl_status)), "owner: status from parent");
	check(!control_reply_valid(IMSG_CTL_SHOW_STATUS, PROC_ICE,
	    sizeof(struct ctl_status)), "owner: status from ice refused");
	check(!control_reply_valid(IMSG_CTL_SHOW_STATUS, PROC_PARENT,
	    sizeof(struct ctl_status) - 1), "owner: short status refused");
	check(control_reply_valid(IMSG_CTL_SHOW_PEER, PROC_ICE,
	    sizeof(struct ctl_peer)), "owner: peer from ice");
	check(!control_reply_valid(IMSG_CTL_SHOW_PEER, PROC_PARENT,
	    sizeof(struct ctl_peer)), "owner: peer from parent refused");
	check(control_reply_valid(IMSG_CTL_RESULT, PROC_ICE,
	    sizeof(struct ctl_result)) &&
	    control_reply_valid(IMSG_CTL_RESULT, PROC_PARENT,
	    sizeof(struct ctl_result)), "owner: result from either");
	check(!control_reply_valid(IMSG_CTL_RESULT, PROC_PARENT, 0),
	    "owner: empty result refused");
	check(control_reply_valid(IMSG_CTL_END, PROC_ICE, 0),
	    "owner: END from ice");
	check(!control_reply_valid(IMSG_CTL_END, PROC_ICE, 1),
	    "owner: END with a payload refused");
	check(!control_reply_valid(IMSG_CTL_SHOW_PEERS, PROC_ICE, 0),
	    "owner: a request type as reply refused");
	check(!control_reply_valid(IMSG_KEY_PUBLIC, PROC_PARENT, 32),
	    "owner: an unrelated type refused");
}

/* Connected through TURN, the fields the ice process fills for it. */
static void
peer_r(struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->fqdn, "peer-r.netbird.cloud", sizeof(p->fqdn));
	strlcpy(p->address, "100.64.0.4", sizeof(p->address));
	strlcpy(p->pubkey, KEY_R, sizeof(p->pubkey));
	strlcpy(p->local_type, "relay", sizeof(p->local_type));
	strlcpy(p->remote_type, "host", sizeof(p->remote_type));
	strlcpy(p->local_endpoint, "203.0.113.9:49152",
	    sizeof(p->local_endpoint));
	strlcpy(p->remote_endpoint, "10.0.0.7:51820",
	    sizeof(p->remote_endpoint));
	strlcpy(p->relay_address, "turn:turn.example.com:3478",
	    sizeof(p->relay_address));
	p->last_update = NOW - 3700;
	p->last_handshake = NOW;
	p->latency_ns = 1500;
	p->tx_bytes = 512;
	p->state = CTL_PEER_CONNECTED;
	p->conn_type = CTL_CONN_RELAYED;
}

/* Idle again, with what its last path left behind. */
static void
peer_idle(struct ctl_peer *p)
{
	peer_b(p);
	strlcpy(p->local_type, "host", sizeof(p->local_type));
	strlcpy(p->remote_endpoint, "198.51.100.9:51820",
	    sizeof(p->remote_endpoint));
	strlcpy(p->relay_address, "turn:old", sizeof(p->relay_address));
	p->last_update = NOW - 45;
	p->last_handshake = NOW - 600;
	p->latency_ns = 850;
	p->rx_bytes = 4096;
	p->tx_bytes = 8192;
	p->conn_type = CTL_CONN_P2P;
}

/*
 * Go's time.Duration String(): the cases of Go's own durationTests,
 * negated too, and the results its documentation and NetBird show.
 */
static void
test_duration(void)
{
	static const struct {
		int64_t		 ns;
		const char	*want;
	} t[] = {
		{ 0,				"0s" },
		{ 1,				"1ns" },
		{ -1,				"-1ns" },
		{ 850,				"850ns" },
		{ 999,				"999ns" },
		{ 1000,				"1\xc2\xb5s" },
		{ 1100,				"1.1\xc2\xb5s" },
		{ -1100,			"-1.1\xc2\xb5s" },
		{ 1500,				"1.5\xc2\xb5s" },
		{ 1001,				"1.001\xc2\xb5s" },
		{ 999999,			"999.999\xc2\xb5s" },
		{ 1000000,			"1ms" },
		{ 2200000,			"2.2ms" },
		{ -2200000,			"-2.2ms" },
		{ 12345678,			"12.345678ms" },
		{ 123456789,			"123.456789ms" },
		{ 999999999,			"999.999999ms" },
		{ 1000000000,			"1s" },
		{ 1200000000,			"1.2s" },
		{ 3300000000,			"3.3s" },
		{ -3300000000,			"-3.3s" },
		{ 59999999999,			"59.999999999s" },
		{ 60000000000,			"1m0s" },
		{ 245000000000,			"4m5s" },
		{ -245000000000,		"-4m5s" },
		{ 245001000000,			"4m5.001s" },
		{ 480000000001,			"8m0.000000001s" },
		{ -480000000001,		"-8m0.000000001s" },
		{ 987654321000,			"16m27.654321s" },
		{ 3600000000000,		"1h0m0s" },
		{ 18367001000000,		"5h6m7.001s" },
		{ -18367001000000,		"-5h6m7.001s" },
		{ 123456789000000,		"34h17m36.789s" },
		{ 4442400000000000,		"1234h0m0s" },
		{ 7407407340000000000,		"2057613h9m0s" },
		{ 987654321123456789,		"274348h25m21.123456789s" },
		{ INT64_MAX,			"2562047h47m16.854775807s" },
		{ -INT64_MAX,			"-2562047h47m16.854775807s" },
		{ INT64_MIN,			"-2562047h47m16.854775808s" },
	};
	char	buf[FMT_DURATION_LEN], what[128];
	size_t	i;

	for (i = 0; i < nitems(t); i++) {
		snprintf(what, sizeof(what), "duration: %lld ns is %s",
		    (long long)t[i].ns, t[i].want);
		check_str(fmt_duration(buf, sizeof(buf), t[i].ns), t[i].want,
		    what);
	}
	check_str(fmt_duration(buf, 6, INT64_MIN), "-2562",
	    "duration: cut to the buffer, terminated");
}

#define DETAIL_A \
	"\n peer-a.netbird.cloud:\n" \
	"  NetBird IP: 100.64.0.2\n" \
	"  Public key: " KEY_A "\n" \
	"  Status: Connected\n" \
	"  -- detail --\n" \
	"  Connection type: P2P\n" \
	"  ICE candidate (Local/Remote): host/srflx\n" \
	"  ICE candidate endpoints (Local/Remote): " \
	    "192.0.2.1:51820/198.51.100.7:40000\n" \
	"  Relay server address: \n" \
	"  Last connection update: 5 minutes ago\n" \
	"  Last WireGuard handshake: 1 minute, 5 seconds ago\n" \
	"  Transfer status (received/sent) 1.5 KiB/3.0 MiB\n" \
	"  Quantum resistance: false\n" \
	"  Networks: -\n" \
	"  Latency: 12.345678ms\n"
#define DETAIL_R \
	"\n peer-r.netbird.cloud:\n" \
	"  NetBird IP: 100.64.0.4\n" \
	"  Public key: " KEY_R "\n" \
	"  Status: Connected\n" \
	"  -- detail --\n" \
	"  Connection type: Relayed\n" \
	"  ICE candidate (Local/Remote): relay/host\n" \
	"  ICE candidate endpoints (Local/Remote): " \
	    "203.0.113.9:49152/10.0.0.7:51820\n" \
	"  Relay server address: turn:turn.example.com:3478\n" \
	"  Last connection update: 1 hour, 1 minute ago\n" \
	"  Last WireGuard handshake: Now\n" \
	"  Transfer status (received/sent) 0 B/512 B\n" \
	"  Quantum resistance: false\n" \
	"  Networks: -\n" \
	"  Latency: 1.5\xc2\xb5s\n"
/* peer_idle() as netbird status shows it: no path, latency as it was */
#define DETAIL_IDLE \
	"\n a-much-longer-peer-name.example.com:\n" \
	"  NetBird IP: 100.64.0.3\n" \
	"  Public key: " KEY_B "\n" \
	"  Status: Idle\n" \
	"  -- detail --\n" \
	"  Connection type: -\n" \
	"  ICE candidate (Local/Remote): -/-\n" \
	"  ICE candidate endpoints (Local/Remote): -/-\n" \
	"  Relay server address: \n" \
	"  Last connection update: 45 seconds ago\n" \
	"  Last WireGuard handshake: -\n" \
	"  Transfer status (received/sent) 0 B/0 B\n" \
	"  Quantum resistance: false\n" \
	"  Networks: -\n" \
	"  Latency: 850ns\n"

/* The blocks of netbird status -d, printed by the text output alone. */
static void
test_detail_text(void)
{
	struct capture		c;
	struct ctl_peer		p;

	cap_open(&c);
	peer_a(&p);
	show_output.peer_detail(c.out, &p, NOW);
	peer_r(&p);
	show_output.peer_detail(c.out, &p, NOW);
	show_output.tail(c.out, SHOW_PEERS_DETAIL);
	cap_close(&c);
	check_str(c.obuf, "Peers detail:" DETAIL_A DETAIL_R,
	    "detail: a P2P and a relayed peer, an empty line between");
	free(c.obuf);
	free(c.ebuf);

	cap_open(&c);
	show_output.tail(c.out, SHOW_PEERS_DETAIL);
	cap_close(&c);
	check_str(c.obuf, "Peers detail:\n", "detail: no peers, the title");
	free(c.obuf);
	free(c.ebuf);

	peer_b(&p);
	p.fqdn[0] = p.address[0] = '\0';
	strlcpy(p.relay_address, "x\x1b[2Jy", sizeof(p.relay_address));
	strlcpy(p.remote_type, "\x7f", sizeof(p.remote_type));
	cap_open(&c);
	show_output.peer_detail(c.out, &p, NOW);
	show_output.tail(c.out, SHOW_PEERS_DETAIL);
	cap_close(&c);
	check(strncmp(c.obuf, "Peers detail:\n :\n  NetBird IP: \n", 32) == 0,
	    "detail: an empty name and address stay empty, as in Go");
	check(strstr(c.obuf, "  Relay server address: x?[2Jy\n") != NULL &&
	    strstr(c.obuf, "(Local/Remote): -/?\n") != NULL &&
	    strchr(c.obuf, '\x1b') == NULL,
	    "detail: bytes from the daemon reach no terminal as they are");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_name_match(void)
{
	static const struct {
		const char	*name;
		int		 want;
	} t[] = {
		{ "peer-a.netbird.cloud",	1 },
		{ "PEER-A.NetBird.Cloud",	1 },
		{ "peer-a.netbird.cloud.",	1 },
		{ "peer-a.netbird.cloud..",	0 },
		{ "peer-a",			1 },
		{ "Peer-A",			1 },
		{ "peer-a.",			0 },
		{ "peer",			0 },
		{ "peer-a.netbird",		0 },
		{ "eer-a",			0 },
		{ "netbird.cloud",		0 },
		{ "100.64.0.2",			1 },
		{ "100.64.0.20",		0 },
		{ "100.64.0",			0 },
		{ "100.64.0.2/32",		0 },
		{ "AAAA",			1 },
		{ "AAA",			0 },
		{ "aaaa",			0 },
		{ KEY_A,			1 },
		{ KEY_A "=",			0 },
		{ "AAAAB",			0 },
		{ "",				0 },
		{ ".",				0 },
	};
	struct ctl_peer	p;
	char		what[128];
	size_t		i;

	peer_a(&p);
	for (i = 0; i < nitems(t); i++) {
		snprintf(what, sizeof(what), "name: \"%s\" %s peer-a",
		    t[i].name, t[i].want ? "names" : "does not name");
		check(peer_name_match(&p, t[i].name) == t[i].want, what);
	}
	strlcpy(p.address, "100.64.0.2/32", sizeof(p.address));
	check(peer_name_match(&p, "100.64.0.2"),
	    "name: an address with a prefix length matches without it");
	check(!peer_name_match(&p, "100.64.0.2/"),
	    "name: nor with half of it");
	memset(&p, 0, sizeof(p));
	check(!peer_name_match(&p, "") && !peer_name_match(&p, ".") &&
	    !peer_name_match(&p, "/"),
	    "name: a peer with nothing known matches no name");
	strlcpy(p.fqdn, "single", sizeof(p.fqdn));
	check(peer_name_match(&p, "single") && peer_name_match(&p, "single."),
	    "name: a name of one label");
}

static void
test_filter_match(void)
{
	struct peer_filter	f;
	struct ctl_peer		a, r, b;

	peer_a(&a);
	peer_r(&r);
	peer_b(&b);
	memset(&f, 0, sizeof(f));
	check(peer_filter_match(&f, &a) && peer_filter_match(&f, &b),
	    "filter: none takes every peer");
	f.states = 1U << CTL_PEER_CONNECTED;
	check(peer_filter_match(&f, &a) && peer_filter_match(&f, &r) &&
	    !peer_filter_match(&f, &b), "filter: connected");
	f.states |= 1U << CTL_PEER_IDLE;
	check(peer_filter_match(&f, &a) && peer_filter_match(&f, &b),
	    "filter: two states add up");
	f.types = 1U << CTL_CONN_RELAYED;
	check(!peer_filter_match(&f, &a) && peer_filter_match(&f, &r) &&
	    !peer_filter_match(&f, &b), "filter: a state and a type");
	f.types = 0;
	f.name = "peer-r";
	check(!peer_filter_match(&f, &a) && peer_filter_match(&f, &r),
	    "filter: a name and states");
	memset(&f, 0, sizeof(f));
	f.states = 1U << CTL_PEER_CONNECTING;
	a.state = -1;
	b.state = 32;
	check(!peer_filter_match(&f, &a) && !peer_filter_match(&f, &b),
	    "filter: a state out of range matches no filter");
}

static void
test_parser_peers(void)
{
	const struct parse_result	*res;
	char				 show[] = "show", peer[] = "peer";
	char				 name[] = "peer-a", extra[] = "x";
	char				*argv[4];

	argv[0] = show;
	argv[1] = peer;
	argv[2] = name;
	argv[3] = NULL;
	res = parse(3, argv);
	check(res != NULL && res->action == SHOW_PEERS_DETAIL &&
	    res->filter.name == name && res->filter.states == 0 &&
	    res->filter.types == 0, "parser: \"show peer peer-a\"");
	argv[2] = extra;
	res = parse(3, argv);
	check(res != NULL && res->filter.name == extra,
	    "parser: \"show peer x\", a name of one letter");
	res = parse_words("show peers");
	check(res != NULL && res->action == SHOW_PEERS &&
	    res->filter.name == NULL, "parser: \"show peers\" names no peer");
	res = parse_words("show peers connected idle");
	check(res != NULL && res->action == SHOW_PEERS &&
	    res->filter.states == ((1U << CTL_PEER_CONNECTED) |
	    (1U << CTL_PEER_IDLE)) && res->filter.types == 0,
	    "parser: \"show peers connected idle\", two states");
	res = parse_words("sh pe connecti rel");
	check(res != NULL && res->action == SHOW_PEERS &&
	    res->filter.states == 1U << CTL_PEER_CONNECTING &&
	    res->filter.types == 1U << CTL_CONN_RELAYED,
	    "parser: \"sh pe connecti rel\", a state and a type");
	res = parse_words("show peers p2p p2p");
	check(res != NULL && res->filter.types == 1U << CTL_CONN_P2P,
	    "parser: \"show peers p2p p2p\", once is enough");
	res = parse_words("show pee i");
	check(res != NULL && res->action == SHOW_PEERS &&
	    res->filter.states == 1U << CTL_PEER_IDLE,
	    "parser: \"show pee i\", \"pee\" is still peers");
	check(parse_words("show peer") == NULL,
	    "parser: \"show peer\" without a name refused");
	check(parse_words("show peer a b") == NULL,
	    "parser: \"show peer a b\" refused");
	check(parse_words("show peer ") == NULL,
	    "parser: \"show peer\" with an empty name refused");
	check(parse_words("show peers conn") == NULL,
	    "parser: \"conn\" is connected or connecting: refused");
	check(parse_words("show peers everything") == NULL,
	    "parser: \"show peers everything\" refused");
	check(parse_words("show peers idle x") == NULL,
	    "parser: \"show peers idle x\" refused");
	check(parse_words("show peers ") == NULL,
	    "parser: \"show peers\" and an empty word refused");
	check(parse_words("show status idle") == NULL,
	    "parser: a filter after show status refused");
	check(parse_words("show peerss") == NULL,
	    "parser: \"show peerss\" refused");
}

/* A context as netbirdctl's main() sets it up. */
static void
ctx_init(struct show_ctx *ctx, const struct output *output,
    enum actions action)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->output = output;
	ctx->action = action;
	ctx->now = NOW;
}

/*
 * The daemon's answer to show peers, the peers and END, through
 * show_reply() with ctx; what it returned last, output in cap.
 */
static int
replies(struct show_ctx *ctx, const struct ctl_peer *peers, size_t n,
    struct capture *cap)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	ssize_t		 got;
	size_t		 i;
	int		 sv[2], r = -2;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    imsgbuf_init(&a, sv[0]) == -1 || imsgbuf_init(&b, sv[1]) == -1)
		exit(1);
	for (i = 0; i < n; i++)
		if (imsg_compose(&a, IMSG_CTL_SHOW_PEER, 0, 0, -1, &peers[i],
		    sizeof(peers[i])) == -1)
			exit(1);
	if (imsg_compose(&a, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(&a) == -1)
		exit(1);
	cap_open(cap);
	ctx->out = cap->out;
	ctx->err = cap->err;
	for (i = 0; i <= n && r != 1 && r != -1; i++) {
		while ((got = imsgbuf_get(&b, &imsg)) == 0)
			if (imsgbuf_read(&b) != 1)
				exit(1);
		if (got == -1)
			exit(1);
		r = show_reply(ctx, &imsg);
		imsg_free(&imsg);
	}
	cap_close(cap);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sv[0]);
	close(sv[1]);
	return r;
}

/* show peers -d and show peer NAME, as the daemon's replies arrive. */
static void
test_peer_replies(void)
{
	struct capture		c;
	struct show_ctx		ctx;
	struct ctl_peer		p[3];
	int			r;

	peer_a(&p[0]);
	peer_r(&p[1]);
	peer_idle(&p[2]);
	ctx_init(&ctx, &show_output, SHOW_PEERS_DETAIL);
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf, "Peers detail:" DETAIL_A DETAIL_R DETAIL_IDLE,
	    "show peers -d: P2P, relayed, idle with its old path hidden");
	check(r == 1 && ctx.status == 0 && ctx.peers_shown == 3 &&
	    c.elen == 0, "show peers -d: ends, exit status 0");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &show_output, SHOW_PEERS_DETAIL);
	r = replies(&ctx, p, 0, &c);
	check_str(c.obuf, "Peers detail:\n",
	    "show peers -d: no peers, the title alone");
	check(r == 1 && ctx.status == 0, "show peers -d: no peers is fine");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &show_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "PEER-R";
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf, "Peers detail:" DETAIL_R,
	    "show peer PEER-R: the relayed peer alone");
	check(r == 1 && ctx.status == 0, "show peer PEER-R: exit status 0");
	free(c.obuf);
	free(c.ebuf);

	/* "cmVs" starts KEY_R; peer_a's first label is "peer-a". */
	strlcpy(p[0].fqdn, "cmVs.netbird.cloud", sizeof(p[0].fqdn));
	ctx_init(&ctx, &show_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "cmVs";
	r = replies(&ctx, p, 3, &c);
	check(r == 1 && ctx.status == 0 && ctx.peers_shown == 2 &&
	    strstr(c.obuf, "\n cmVs.netbird.cloud:\n") != NULL &&
	    strstr(c.obuf, "\n peer-r.netbird.cloud:\n") != NULL,
	    "show peer cmVs: a label and a key prefix, both shown");
	free(c.obuf);
	free(c.ebuf);
	peer_a(&p[0]);

	ctx_init(&ctx, &show_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "nosuch";
	r = replies(&ctx, p, 3, &c);
	check(r == 1 && ctx.status == 1 && c.olen == 0,
	    "show peer nosuch: exit status 1, nothing on stdout");
	check_str(c.ebuf, "netbirdctl: no peer matches nosuch\n",
	    "show peer nosuch: the message on stderr");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &json_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "100.64.0.2";
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf,
	    "{\"peers\":{\"details\":["
	    "{\"fqdn\":\"peer-a.netbird.cloud\",\"netbirdIp\":\"100.64.0.2\","
	    "\"publicKey\":\"" KEY_A "\",\"status\":\"Connected\","
	    "\"lastStatusUpdate\":\"2027-01-15T07:55:00Z\","
	    "\"connectionType\":\"P2P\","
	    "\"iceCandidateType\":{\"local\":\"host\",\"remote\":\"srflx\"},"
	    "\"iceCandidateEndpoint\":{\"local\":\"192.0.2.1:51820\","
	    "\"remote\":\"198.51.100.7:40000\"},\"relayAddress\":\"\","
	    "\"lastWireguardHandshake\":\"2027-01-15T07:58:55Z\","
	    "\"transferReceived\":1536,\"transferSent\":3145728,"
	    "\"latency\":12345678,\"quantumResistance\":false," QR_NET "}"
	    "],\"total\":1,\"connected\":1}}\n",
	    "-j show peer 100.64.0.2: one peer in the peers shape");
	check(r == 1 && ctx.status == 0, "-j show peer: exit status 0");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &json_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "a-much-longer-peer-name";
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf,
	    "{\"peers\":{\"details\":["
	    "{\"fqdn\":\"a-much-longer-peer-name.example.com\","
	    "\"netbirdIp\":\"100.64.0.3\",\"publicKey\":\"" KEY_B "\","
	    "\"status\":\"Idle\","
	    "\"lastStatusUpdate\":\"2027-01-15T07:59:15Z\","
	    "\"connectionType\":\"-\","
	    "\"iceCandidateType\":{\"local\":\"\",\"remote\":\"\"},"
	    "\"iceCandidateEndpoint\":{\"local\":\"\",\"remote\":\"\"},"
	    "\"relayAddress\":\"\","
	    "\"lastWireguardHandshake\":\"0001-01-01T00:00:00Z\","
	    "\"transferReceived\":0,\"transferSent\":0,\"latency\":850,"
	    "\"quantumResistance\":false," QR_NET "}"
	    "],\"total\":1,\"connected\":0}}\n",
	    "-j show peer: an idle peer's old path hidden, as Go does");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &json_output, SHOW_PEERS_DETAIL);
	ctx.filter.name = "nosuch";
	r = replies(&ctx, p, 3, &c);
	check(r == 1 && ctx.status == 1 && c.olen == 0 && strcmp(c.ebuf,
	    "netbirdctl: no peer matches nosuch\n") == 0,
	    "-j show peer nosuch: no JSON, the message, exit status 1");
	free(c.obuf);
	free(c.ebuf);
}

/* show peers with filters: the table and the JSON count what they show. */
static void
test_peer_filters(void)
{
	struct capture		c;
	struct show_ctx		ctx;
	struct ctl_peer		p[3];
	int			r;

	peer_a(&p[0]);
	peer_r(&p[1]);
	peer_idle(&p[2]);
	ctx_init(&ctx, &show_output, SHOW_PEERS);
	ctx.filter.states = 1U << CTL_PEER_IDLE;
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf, PEERS_HEADER
	    "a-much-longer-peer-name.example.com 100.64.0.3         " KEY_B
	    " Idle       -       -                                 0 B       "
	    " 0 B\n",
	    "show peers idle: the idle peer, no handshake or bytes shown");
	check(r == 1 && ctx.status == 0, "show peers idle: exit status 0");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &show_output, SHOW_PEERS);
	ctx.filter.types = 1U << CTL_CONN_RELAYED;
	r = replies(&ctx, p, 3, &c);
	check_str(c.obuf, PEERS_HEADER
	    "peer-r.netbird.cloud     100.64.0.4         " KEY_R " Connected "
	    " Relayed Now                               "
	    "0 B      512 B\n",
	    "show peers relayed: the relayed peer");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &show_output, SHOW_PEERS);
	ctx.filter.states = 1U << CTL_PEER_CONNECTING;
	r = replies(&ctx, p, 3, &c);
	check(r == 1 && ctx.status == 0, "show peers connecting: none is "
	    "no error");
	check_str(c.obuf, PEERS_HEADER, "show peers connecting: the header");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &json_output, SHOW_PEERS);
	ctx.filter.states = 1U << CTL_PEER_CONNECTED;
	ctx.filter.types = 1U << CTL_CONN_P2P;
	r = replies(&ctx, p, 3, &c);
	check(strstr(c.obuf, "\"fqdn\":\"peer-a.netbird.cloud\"") != NULL &&
	    strstr(c.obuf, "peer-r") == NULL &&
	    strstr(c.obuf, "],\"total\":1,\"connected\":1}}\n") != NULL,
	    "-j show peers connected p2p: one peer, counted once");
	free(c.obuf);
	free(c.ebuf);
}

/*
 * show status -d as netbird status -d: peers, events, the summary with
 * URLs and lists; what we do not have as Go prints it when off.
 */
static void
test_status_detail(void)
{
	struct capture		c;
	struct status_view	v;
	struct ctl_peer		p[2];
	struct ctl_relay	r[3];
	char			os[FMT_OS_LEN], want[4096];

	memset(&v, 0, sizeof(v));
	status_full(&v.st);
	v.have_status = 1;
	peer_a(&p[0]);
	peer_r(&p[1]);
	v.peers = p;
	v.npeers = 2;
	relays_two(r);
	memset(&r[2], 0, sizeof(r[2]));
	strlcpy(r[2].uri, "turn:turn.netbird.io:3478?transport=udp",
	    sizeof(r[2].uri));
	strlcpy(r[2].error, "probe check is already in progress",
	    sizeof(r[2].error));
	r[2].available = -1;
	v.relays = r;
	v.nrelays = 3;
	cap_open(&c);
	show_output.detail(c.out, &v, NOW);
	cap_close(&c);
	snprintf(want, sizeof(want), "Peers detail:" DETAIL_A DETAIL_R "\n"
	    "Events: No events recorded\n"
	    "OS: %s\n"
	    "Daemon version: 0.1.0\n"
	    "CLI version: " NBD_VERSION "\n"
	    "Profile: default\n"
	    "Management: Connected to https://api.netbird.io:443\n"
	    "Signal: Connected to https://signal.netbird.io:443\n"
	    "Relays: \n"
	    "  [stun:stun.netbird.io:3478] is Unavailable, reason: no answer "
	    "to a Binding request\n"
	    "  [rels://relay.netbird.io:443] is Available via ws\n"
	    "  [turn:turn.netbird.io:3478?transport=udp] is Checking...\n"
	    "Nameservers: \n"
	    "FQDN: host.netbird.cloud\n"
	    "NetBird IP: 100.64.0.5/16\n"
	    "Interface type: Userspace\n"
	    "Wireguard port: 51820\n"
	    "Quantum resistance: false\n"
	    "Lazy connection: false\n"
	    "SSH Server: Disabled\n"
	    "Networks: -\n"
	    "Peers count: 2/2 Connected\n", fmt_os(os, sizeof(os)));
	check_str(c.obuf, want, "detail: show status -d, the layout of Go's");
	check(strncmp(os, "linux/", 6) == 0 && strchr(os, ' ') == NULL,
	    "detail: OS is GOOS/GOARCH");
	free(c.obuf);
	free(c.ebuf);

	/* Nothing known yet, management down with a reason. */
	memset(&v, 0, sizeof(v));
	v.have_status = 1;
	v.st.mgmt_state = CTL_MGMT_DISCONNECTED;
	strlcpy(v.st.mgmt_url, "https://m:443", sizeof(v.st.mgmt_url));
	strlcpy(v.st.mgmt_error, "connection refused",
	    sizeof(v.st.mgmt_error));
	strlcpy(v.st.signal_error, "x\x1by", sizeof(v.st.signal_error));
	cap_open(&c);
	show_output.detail(c.out, &v, NOW);
	cap_close(&c);
	check(strncmp(c.obuf, "Peers detail:\nEvents: No events recorded\n"
	    "OS: ", 45) == 0, "detail: no peers, the titles alone");
	check(strstr(c.obuf, "\nManagement: Disconnected, reason: "
	    "connection refused\nSignal: Disconnected, reason: x?y\n"
	    "Relays: \nNameservers: \nFQDN: \nNetBird IP: N/A\n"
	    "Interface type: N/A\nWireguard port: N/A\n") != NULL &&
	    strstr(c.obuf, "\nPeers count: 0/0 Connected\n") != NULL,
	    "detail: down, reasons, N/A where Go has them");
	free(c.obuf);
	free(c.ebuf);
}

/* -j show status with peers and relays: the lists and their counts. */
static void
test_status_detail_json(void)
{
	struct capture		c;
	struct status_view	v;
	struct ctl_peer		p[2];
	struct ctl_relay	r[2];

	memset(&v, 0, sizeof(v));
	status_full(&v.st);
	v.have_status = 1;
	peer_a(&p[0]);
	peer_b(&p[1]);
	v.peers = p;
	v.npeers = 2;
	relays_two(r);
	strlcpy(r[0].error, "<&>", sizeof(r[0].error));
	v.relays = r;
	v.nrelays = 2;
	cap_open(&c);
	json_output.detail(c.out, &v, NOW);
	cap_close(&c);
	check(strncmp(c.obuf, "{\"peers\":{\"total\":2,\"connected\":1,"
	    "\"details\":[{\"fqdn\":\"peer-a.netbird.cloud\",", 70) == 0,
	    "JSON: peers first, counted, with their details");
	check(strstr(c.obuf, "\"latency\":12345678,\"quantumResistance\":"
	    "false,\"networks\":null},{\"fqdn\":\"a-much-longer") != NULL &&
	    strstr(c.obuf, "\"networks\":null}]},\"cliVersion\":") != NULL,
	    "JSON: the peer list closes before cliVersion");
	check(strstr(c.obuf, "\"relays\":{\"total\":2,\"available\":1,"
	    "\"details\":[{\"uri\":\"stun:stun.netbird.io:3478\","
	    "\"available\":false,\"error\":\"\\u003c\\u0026\\u003e\"},"
	    "{\"uri\":\"rels://relay.netbird.io:443\",\"available\":true,"
	    "\"error\":\"\",\"transport\":\"ws\"}]},\"netbirdIp\":") != NULL,
	    "JSON: relays, transport only when known, <&> escaped as Go");
	check(strchr(c.obuf, '\n') == c.obuf + c.olen - 1,
	    "JSON: one line");
	free(c.obuf);
	free(c.ebuf);
}

/* show status over its three connections, replies checked. */
static void
test_relay_replies(void)
{
	struct capture		c;
	struct show_ctx		ctx;
	struct status_view	v;
	struct ctl_relay	r[2];
	struct ctl_status	st;
	struct ctl_peer		p;
	char			big[sizeof(struct ctl_relay) + 1];
	int			r1, r2, r3, status;

	relays_two(r);
	r1 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[1], sizeof(r[1]), &c,
	    &status);
	check(r1 == 0 && status == 0 && c.olen == 0 &&
	    reply_view.nrelays == 1 && reply_view.relays[0].available == 1,
	    "relay reply: kept, nothing printed, more expected");
	free(c.obuf);
	free(c.ebuf);

	r1 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[1], sizeof(r[1]) - 1,
	    &c, &status);
	free(c.obuf);
	free(c.ebuf);
	memset(big, 0, sizeof(big));
	memcpy(big, &r[1], sizeof(r[1]));
	r2 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, big, sizeof(big), &c,
	    &status);
	check(r1 == -1 && r2 == -1 && status == 1,
	    "relay reply: one byte short or long is refused");
	free(c.obuf);
	free(c.ebuf);

	memset(r[0].uri, 'u', sizeof(r[0].uri));
	r1 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	relays_two(r);
	memset(r[0].error, 'e', sizeof(r[0].error));
	r2 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	relays_two(r);
	memset(r[0].transport, 't', sizeof(r[0].transport));
	r3 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	check(r1 == -1 && r2 == -1 && r3 == -1 && reply_view.nrelays == 0,
	    "relay reply: an unterminated uri, error or transport is refused");
	free(c.obuf);
	free(c.ebuf);

	relays_two(r);
	r[0].available = 2;
	r1 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	r[0].available = INT32_MIN;
	r2 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	check(r1 == -1 && r2 == -1, "relay reply: available out of range "
	    "is refused");
	free(c.obuf);
	free(c.ebuf);

	relays_two(r);
	r1 = reply(SHOW_STATUS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	r2 = reply(SHOW_PEERS, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	r3 = reply(RELOAD, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c,
	    &status);
	check(r1 == -1 && r2 == -1 && r3 == -1,
	    "relay reply: refused unless relays were asked for");
	free(c.obuf);
	free(c.ebuf);

	status_full(&st);
	r1 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_STATUS, &st, sizeof(st), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	peer_a(&p);
	r2 = reply(SHOW_RELAYS, IMSG_CTL_SHOW_PEER, &p, sizeof(p), &c,
	    &status);
	free(c.obuf);
	free(c.ebuf);
	r3 = reply(SHOW_RELAYS, IMSG_CTL_END, NULL, 0, &c, &status);
	check(r1 == -1 && r2 == -1 && r3 == 1 && status == 0 && c.olen == 0,
	    "relay request: status and peers refused, END ends it quietly");
	free(c.obuf);
	free(c.ebuf);

	r1 = reply(SHOW_STATUS, IMSG_CTL_END, NULL, 0, &c, &status);
	check(r1 == -1, "status request: END before any status is refused");
	free(c.obuf);
	free(c.ebuf);

	/* A second status on one connection. */
	memset(&v, 0, sizeof(v));
	ctx_init(&ctx, &show_output, SHOW_STATUS);
	ctx.view = &v;
	v.have_status = 1;
	status_full(&st);
	r1 = reply_ctx(&ctx, IMSG_CTL_SHOW_STATUS, &st, sizeof(st), &c);
	check(r1 == -1 && ctx.status == 1,
	    "status request: a second status is refused");
	free(c.obuf);
	free(c.ebuf);

	/* Too many relays: the list stops at CTL_LIST_MAX. */
	memset(&v, 0, sizeof(v));
	ctx_init(&ctx, &show_output, SHOW_RELAYS);
	ctx.view = &v;
	v.nrelays = CTL_LIST_MAX;
	relays_two(r);
	r1 = reply_ctx(&ctx, IMSG_CTL_SHOW_RELAY, &r[0], sizeof(r[0]), &c);
	check(r1 == -1 && strcmp(ctx.errstr, "too many relays") == 0 &&
	    v.relays == NULL, "relay request: more than CTL_LIST_MAX refused");
	free(c.obuf);
	free(c.ebuf);
	view_free(&reply_view);
}

/* One IMSG_CTL_TEXT reply to a fresh request "action". */
static int
text_reply(enum actions action, const void *data, size_t len,
    struct capture *cap, int *status)
{
	return reply(action, IMSG_CTL_TEXT, data, len, cap, status);
}

static void
test_text_replies(void)
{
	static const char	 line[] = "netbird_login,result=success "
	    "duration_seconds=0.25 1800000000\n";
	static const char	 bad[] = "a\x1b[31mb\0c\x80\td\x7f\n";
	struct capture		 c;
	enum actions		 a;
	int			 r, status;

	r = text_reply(SHOW_METRICS, line, strlen(line), &c, &status);
	check(r == 0 && status == 0, "text reply, show metrics: accepted, "
	    "more expected");
	check_str(c.obuf, line, "text reply, show metrics: printed as it came");
	free(c.obuf);
	free(c.ebuf);

	for (a = SHOW_CONFIG; a <= SHOW_NETMAP; a++) {
		r = text_reply(a, "x\n", 2, &c, &status);
		check(r == 0 && status == 0 && strcmp(c.obuf, "x\n") == 0,
		    a == SHOW_CONFIG ? "text reply, show config: printed" :
		    "text reply, show netmap: printed");
		free(c.obuf);
		free(c.ebuf);
	}

	r = text_reply(SHOW_STATUS, line, strlen(line), &c, &status);
	check(r == -1 && status == 1 && c.olen == 0,
	    "text reply to show status: refused, nothing printed");
	free(c.obuf);
	free(c.ebuf);
	r = text_reply(SHOW_PEERS, line, strlen(line), &c, &status);
	check(r == -1 && status == 1 && c.olen == 0,
	    "text reply to show peers: refused, nothing printed");
	free(c.obuf);
	free(c.ebuf);
	r = text_reply(RELOAD, line, strlen(line), &c, &status);
	check(r == -1 && status == 1, "text reply to reload: refused");
	free(c.obuf);
	free(c.ebuf);

	r = text_reply(SHOW_METRICS, NULL, 0, &c, &status);
	check(r == -1 && status == 1 && c.olen == 0,
	    "text reply of zero bytes: refused");
	free(c.obuf);
	free(c.ebuf);

	r = text_reply(SHOW_METRICS, bad, sizeof(bad) - 1, &c, &status);
	check(r == 0 && c.olen == sizeof(bad) - 1 &&
	    memcmp(c.obuf, "a?[31mb?c?\td?\n", c.olen) == 0,
	    "text reply: control bytes, NUL, DEL and 8-bit bytes become '?', "
	    "tab and newline stay");
	free(c.obuf);
	free(c.ebuf);

	r = reply(SHOW_METRICS, IMSG_CTL_END, NULL, 0, &c, &status);
	check(r == 1 && status == 0 && c.olen == 0,
	    "end of a text reply: ends it, prints nothing more");
	free(c.obuf);
	free(c.ebuf);
	r = reply(SHOW_METRICS, IMSG_CTL_END, "x", 1, &c, &status);
	check(r == -1 && status == 1, "end of a text reply with a payload: "
	    "refused");
	free(c.obuf);
	free(c.ebuf);
	r = reply(SHOW_METRICS, IMSG_CTL_SHOW_PEER, line, strlen(line), &c,
	    &status);
	check(r == -1 && status == 1, "a peer reply to show metrics: refused");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_text_limits(void)
{
	struct capture	 c;
	struct show_ctx	 ctx;
	char		*big;
	int		 r, status;

	if ((big = malloc(CTL_TEXT_MAX + 1)) == NULL)
		exit(1);
	memset(big, 'm', CTL_TEXT_MAX + 1);
	r = text_reply(SHOW_METRICS, big, CTL_TEXT_MAX, &c, &status);
	check(r == 0 && c.olen == CTL_TEXT_MAX,
	    "text reply of CTL_TEXT_MAX bytes: accepted, all printed");
	free(c.obuf);
	free(c.ebuf);
	r = text_reply(SHOW_METRICS, big, CTL_TEXT_MAX + 1, &c, &status);
	check(r == -1 && status == 1 && c.olen == 0,
	    "text reply of CTL_TEXT_MAX + 1 bytes: refused, nothing printed");
	free(c.obuf);
	free(c.ebuf);

	ctx_init(&ctx, &show_output, SHOW_METRICS);
	ctx.text_len = CTL_TEXT_TOTAL_MAX - 10;
	r = reply_ctx(&ctx, IMSG_CTL_TEXT, big, 10, &c);
	check(r == 0 && ctx.text_len == CTL_TEXT_TOTAL_MAX,
	    "text replies up to CTL_TEXT_TOTAL_MAX in all: accepted");
	free(c.obuf);
	free(c.ebuf);
	ctx.text_len = CTL_TEXT_TOTAL_MAX - 10;
	r = reply_ctx(&ctx, IMSG_CTL_TEXT, big, 11, &c);
	check(r == -1 && ctx.status == 1 && c.olen == 0 &&
	    strcmp(ctx.errstr, "text reply too long") == 0,
	    "text replies past CTL_TEXT_TOTAL_MAX in all: refused");
	free(c.obuf);
	free(c.ebuf);
	free(big);
}

/*
 * A daemon that sends n text chunks, then END unless end is 0 (it
 * closes the connection instead); ctl_replies() reads them as
 * netbirdctl does.  Its return value, output in cap.
 */
static int
text_stream(enum actions action, const char *const *chunks, size_t n,
    int end, struct capture *cap, struct show_ctx *ctx)
{
	struct imsgbuf	 a, b;
	size_t		 i;
	int		 sv[2], r;

	ctx_init(ctx, &show_output, action);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    imsgbuf_init(&a, sv[0]) == -1 || imsgbuf_init(&b, sv[1]) == -1)
		exit(1);
	for (i = 0; i < n; i++)
		if (imsg_compose(&a, IMSG_CTL_TEXT, 0, 0, -1, chunks[i],
		    strlen(chunks[i])) == -1)
			exit(1);
	if (end && imsg_compose(&a, IMSG_CTL_END, 0, 0, -1, NULL, 0) == -1)
		exit(1);
	if (imsgbuf_flush(&a) == -1)
		exit(1);
	imsgbuf_clear(&a);
	close(sv[0]);
	cap_open(cap);
	ctx->out = cap->out;
	ctx->err = cap->err;
	r = ctl_replies(&b, ctx);
	cap_close(cap);
	imsgbuf_clear(&b);
	close(sv[1]);
	return r;
}

static void
test_text_stream(void)
{
	static const char *const chunks[] = {
		"# HELP netbird_peers Peers by connection state.\n",
		"netbird_peers{state=\"connected\"} 1\n",
		"netbird_login_total{result=\"success\"} 1\n"
	};
	struct capture	 c;
	struct show_ctx	 ctx;
	int		 r;

	r = text_stream(SHOW_METRICS, chunks, nitems(chunks), 1, &c, &ctx);
	check(r == 0 && ctx.status == 0, "text stream then END: read to "
	    "the end, exit status 0");
	check_str(c.obuf, "# HELP netbird_peers Peers by connection state.\n"
	    "netbird_peers{state=\"connected\"} 1\n"
	    "netbird_login_total{result=\"success\"} 1\n",
	    "text stream: the chunks printed in order, joined");
	free(c.obuf);
	free(c.ebuf);

	r = text_stream(SHOW_METRICS, chunks, nitems(chunks), 0, &c, &ctx);
	check(r == -1 && ctx.status == 1 && ctx.errstr != NULL &&
	    strcmp(ctx.errstr, "the daemon closed the connection") == 0,
	    "text stream without END: an error, the connection closed early");
	free(c.obuf);
	free(c.ebuf);

	r = text_stream(SHOW_METRICS, NULL, 0, 1, &c, &ctx);
	check(r == 0 && ctx.status == 0 && c.olen == 0,
	    "empty text answer, END alone: nothing printed, exit status 0");
	free(c.obuf);
	free(c.ebuf);

	r = text_stream(SHOW_STATUS, chunks, 1, 1, &c, &ctx);
	check(r == -1 && ctx.status == 1 &&
	    strcmp(ctx.errstr, "unexpected text reply") == 0,
	    "text stream to show status: refused");
	free(c.obuf);
	free(c.ebuf);
}

static void
test_parser_text(void)
{
	static char			 debug[] = "debug", bundle[] = "bundle";
	static char			 d[] = "d", b[] = "b", x[] = "x";
	static char			 file[] = "/tmp/b.tar.gz";
	char				*w1[] = { debug, bundle, file };
	char				*w2[] = { d, b, x };
	char				*w3[] = { debug, bundle, bundle };
	const struct parse_result	*res;

	res = parse_words("show metrics");
	check(res != NULL && res->action == SHOW_METRICS,
	    "parser: \"show metrics\"");
	res = parse_words("sh m");
	check(res != NULL && res->action == SHOW_METRICS,
	    "parser: \"sh m\"");
	check(parse_words("show metrics now") == NULL,
	    "parser: \"show metrics now\" refused");
	/* parse_words() frees its words: these keep theirs. */
	res = parse(nitems(w1), w1);
	check(res != NULL && res->action == DEBUG_BUNDLE &&
	    res->path == w1[2], "parser: \"debug bundle FILE\" names the file");
	res = parse(nitems(w2), w2);
	check(res != NULL && res->action == DEBUG_BUNDLE && res->path == w2[2],
	    "parser: \"d b x\"");
	res = parse(nitems(w3), w3);
	check(res != NULL && res->action == DEBUG_BUNDLE && res->path == w3[2],
	    "parser: a file may be named like a keyword");
	check(parse_words("debug bundle") == NULL,
	    "parser: \"debug bundle\" without a file refused");
	check(parse_words("debug") == NULL, "parser: \"debug\" refused");
	check(parse_words("debug bundle a b") == NULL,
	    "parser: \"debug bundle a b\" refused");
	check(parse_words("debug bundle ") == NULL,
	    "parser: \"debug bundle\" with an empty file name refused");
}

int
main(void)
{
	test_timeago();
	test_iec();
	test_rfc3339();
	test_names();
	test_status_text();
	test_status_sparse();
	test_status_states();
	test_status_signal();
	test_peers_text();
	test_text_unsafe();
	test_result_text();
	test_status_json();
	test_peers_json();
	test_json_escape();
	test_result_json();
	test_parser();
	test_replies();
	test_requests();
	test_owner_replies();
	test_duration();
	test_detail_text();
	test_name_match();
	test_filter_match();
	test_parser_peers();
	test_peer_replies();
	test_peer_filters();
	test_status_detail();
	test_status_detail_json();
	test_relay_replies();
	test_text_replies();
	test_text_limits();
	test_text_stream();
	test_parser_text();
	return failed;
}
