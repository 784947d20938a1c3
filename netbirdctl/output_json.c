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
 * JSON output (-j): one line per answer, with the field names of
 * netbird status --json where a field means the same thing.  show
 * status is netbird status --json: its names, nesting and order, fields
 * we do not have as Go writes them with the feature off, and ours after.
 */

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "netbirdd.h"
#include "netbirdctl.h"

static size_t	utf8_len(const unsigned char *);
static void	json_string(FILE *, const char *);
static void	json_key(FILE *, int *, const char *);
static void	json_str(FILE *, int *, const char *, const char *);
static void	json_u64(FILE *, int *, const char *, uint64_t);
static void	json_i64(FILE *, int *, const char *, int64_t);
static void	json_bool(FILE *, int *, const char *, int);
static void	json_time(FILE *, int *, const char *, int64_t);
static void	json_conn(FILE *, int *, const char *, const char *, int,
		    const char *);
static void	json_full(FILE *, const struct status_view *, time_t);
static void	json_peers(FILE *, const struct status_view *);
static void	json_relays(FILE *, const struct status_view *);
static void	json_extras(FILE *, int *, const struct ctl_status *);
static void	json_peer_obj(FILE *, const struct ctl_peer *);
static void	json_peer(FILE *, const struct ctl_peer *, time_t);
static void	json_tail(FILE *, enum actions);
static void	json_result(FILE *, FILE *, const struct ctl_result *);

const struct output json_output = {
	.summary = json_full,
	.detail = json_full,
	.peer = json_peer,
	.peer_detail = json_peer,
	.tail = json_tail,
	.result = json_result,
};

static uint32_t	peers_total, peers_connected;

/* Length of the well-formed UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t	cp;
	size_t		i, n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	/* A NUL is no continuation byte: the loop never passes the end. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * A quoted JSON string.  Control characters are escaped; a byte that is
 * not part of well-formed UTF-8 becomes U+FFFD, as Go's encoder does.
 */
static void
json_string(FILE *out, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n;

	fputc('"', out);
	while (*s != '\0') {
		switch (*s) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '<':
		case '>':
		case '&':
			/* Go's encoder escapes these for HTML. */
			fprintf(out, "\\u%04x", *s);
			break;
		default:
			if (*s < 0x20) {
				fprintf(out, "\\u%04x", *s);
				break;
			}
			if ((n = utf8_len(s)) == 0) {
				fputs("\\ufffd", out);
				break;
			}
			/* U+2028 and U+2029 too, as Go does. */
			if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
			    (s[2] == 0xa8 || s[2] == 0xa9)) {
				fprintf(out, "\\u%04x", 0x2000 | (s[2] - 0x80));
				s += n - 1;
				break;
			}
			fwrite(s, 1, n, out);
			s += n - 1;
			break;
		}
		s++;
	}
	fputc('"', out);
}

static void
json_key(FILE *out, int *first, const char *key)
{
	if (!*first)
		fputc(',', out);
	*first = 0;
	json_string(out, key);
	fputc(':', out);
}

static void
json_str(FILE *out, int *first, const char *key, const char *val)
{
	json_key(out, first, key);
	json_string(out, val);
}

static void
json_u64(FILE *out, int *first, const char *key, uint64_t val)
{
	json_key(out, first, key);
	fprintf(out, "%" PRIu64, val);
}

static void
json_i64(FILE *out, int *first, const char *key, int64_t val)
{
	json_key(out, first, key);
	fprintf(out, "%" PRId64, val);
}

static void
json_bool(FILE *out, int *first, const char *key, int val)
{
	json_key(out, first, key);
	fputs(val ? "true" : "false", out);
}

static void
json_time(FILE *out, int *first, const char *key, int64_t when)
{
	char	buf[FMT_TIME_LEN];

	json_str(out, first, key, fmt_rfc3339(buf, sizeof(buf), when));
}

/* management or signal: {url, connected, error, left open. */
static void
json_conn(FILE *out, int *f, const char *key, const char *url,
    int connected, const char *error)
{
	int	g = 1;

	json_key(out, f, key);
	fputc('{', out);
	json_str(out, &g, "url", url);
	json_bool(out, &g, "connected", connected);
	json_str(out, &g, "error", error);
}

static void
json_full(FILE *out, const struct status_view *v, time_t now)
{
	const struct ctl_status	*st = &v->st;
	int			 f = 1, g;

	(void)now;
	fputs("{\"peers\":", out);
	json_peers(out, v);
	f = 0;
	json_str(out, &f, "cliVersion", NBD_VERSION);
	json_str(out, &f, "daemonVersion", st->version);
	json_str(out, &f, "daemonStatus", fmt_daemon_status(st->mgmt_state));
	json_conn(out, &f, "management", st->mgmt_url,
	    st->mgmt_state == CTL_MGMT_CONNECTED, st->mgmt_error);
	fputc('}', out);
	json_conn(out, &f, "signal", st->signal_url, st->signal_connected != 0,
	    st->signal_error);
	g = 0;
	json_u64(out, &g, "droppedUnknownKey", st->signal_dropped);
	json_u64(out, &g, "droppedInvalid", st->signal_rejected);
	fputs("},\"relays\":", out);
	json_relays(out, v);
	json_str(out, &f, "netbirdIp", st->address);
	json_str(out, &f, "publicKey", st->pubkey);
	json_bool(out, &f, "usesKernelInterface",
	    st->wg_backend == WG_BACKEND_KERNEL);
	json_u64(out, &f, "wireguardPort", st->wg_port);
	json_str(out, &f, "fqdn", st->fqdn);
	json_bool(out, &f, "quantumResistance", 0);
	json_bool(out, &f, "quantumResistancePermissive", 0);
	fputs(",\"networks\":null,\"forwardingRules\":0,\"dnsServers\":[],"
	    "\"events\":[],\"lazyConnectionEnabled\":false,"
	    "\"profileName\":\"default\","
	    "\"sshServer\":{\"enabled\":false,\"sessions\":[]}", out);
	json_extras(out, &f, st);
	fputs("}\n", out);
}

/* Go's lists: null when empty. */
static void
json_peers(FILE *out, const struct status_view *v)
{
	size_t	i;

	fprintf(out, "{\"total\":%zu,\"connected\":%zu,\"details\":",
	    v->npeers, view_connected(v));
	if (v->npeers == 0)
		fputs("null", out);
	for (i = 0; i < v->npeers; i++) {
		fputc(i == 0 ? '[' : ',', out);
		json_peer_obj(out, &v->peers[i]);
	}
	fputs(v->npeers == 0 ? "}" : "]}", out);
}

static void
json_relays(FILE *out, const struct status_view *v)
{
	const struct ctl_relay	*r;
	size_t			 i;
	int			 f;

	fprintf(out, "{\"total\":%zu,\"available\":%zu,\"details\":",
	    v->nrelays, view_available(v));
	if (v->nrelays == 0)
		fputs("null", out);
	for (i = 0; i < v->nrelays; i++) {
		r = &v->relays[i];
		fputs(i == 0 ? "[{" : ",{", out);
		f = 1;
		json_str(out, &f, "uri", r->uri);
		json_bool(out, &f, "available", r->available == 1);
		json_str(out, &f, "error", r->error);
		if (r->transport[0] != '\0')
			json_str(out, &f, "transport", r->transport);
		fputc('}', out);
	}
	fputs(v->nrelays == 0 ? "}" : "]}", out);
}

/* What netbird status --json does not have: ours, after Go's. */
static void
json_extras(FILE *out, int *f, const struct ctl_status *st)
{
	json_str(out, f, "interfaceName", st->ifname);
	json_u64(out, f, "mtu", st->mtu);
	json_time(out, f, "lastSync", st->last_sync);
	json_u64(out, f, "networkSerial", st->serial);
	json_time(out, f, "startedAt", st->started);
	json_str(out, f, "logLevel", fmt_log_level(st->log_level));
}

static void
json_peer_obj(FILE *out, const struct ctl_peer *p)
{
	int	f = 1, g;

	fputc('{', out);
	json_str(out, &f, "fqdn", p->fqdn);
	json_str(out, &f, "netbirdIp", p->address);
	json_str(out, &f, "publicKey", p->pubkey);
	json_str(out, &f, "status", fmt_peer_state(p->state));
	json_time(out, &f, "lastStatusUpdate", p->last_update);
	json_str(out, &f, "connectionType", fmt_conn_type(p->conn_type));
	json_key(out, &f, "iceCandidateType");
	fputc('{', out);
	g = 1;
	json_str(out, &g, "local", p->local_type);
	json_str(out, &g, "remote", p->remote_type);
	fputc('}', out);
	json_key(out, &f, "iceCandidateEndpoint");
	fputc('{', out);
	g = 1;
	json_str(out, &g, "local", p->local_endpoint);
	json_str(out, &g, "remote", p->remote_endpoint);
	fputc('}', out);
	json_str(out, &f, "relayAddress", p->relay_address);
	json_time(out, &f, "lastWireguardHandshake", p->last_handshake);
	json_u64(out, &f, "transferReceived", p->rx_bytes);
	json_u64(out, &f, "transferSent", p->tx_bytes);
	json_i64(out, &f, "latency", p->latency_ns);
	json_bool(out, &f, "quantumResistance", 0);
	fputs(",\"networks\":null}", out);
}

/* Peers are streamed: the list opens with the first one. */
static void
json_peer(FILE *out, const struct ctl_peer *p, time_t now)
{
	(void)now;
	fputs(peers_total++ == 0 ? "{\"peers\":{\"details\":[" : ",", out);
	if (p->state == CTL_PEER_CONNECTED)
		peers_connected++;
	json_peer_obj(out, p);
}

static void
json_tail(FILE *out, enum actions action)
{
	if (action == SHOW_PEERS || action == SHOW_PEERS_DETAIL) {
		if (peers_total == 0)
			fputs("{\"peers\":{\"details\":[", out);
		fprintf(out, "],\"total\":%" PRIu32 ",\"connected\":%" PRIu32
		    "}}\n", peers_total, peers_connected);
	}
	peers_total = peers_connected = 0;
}

static void
json_result(FILE *out, FILE *err, const struct ctl_result *res)
{
	int	f = 1;

	(void)err;
	fputc('{', out);
	json_str(out, &f, "result", fmt_result(res->code));
	json_i64(out, &f, "code", res->code);
	json_str(out, &f, "message", res->msg);
	fputs("}\n", out);
}
