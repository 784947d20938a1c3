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

/* Human readable output, worded as netbird status where it fits. */

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "netbirdd.h"
#include "netbirdctl.h"

#define PEER_FMT	"%-24s %-18s %-44s %-10s %-7s %-26s %10s %10s\n"

static const char *text(char *, size_t, const char *, const char *);
static void	 show_summary(FILE *, const struct status_view *, time_t);
static void	 show_mgmt(FILE *, const struct ctl_status *);
static void	 show_signal(FILE *, const struct ctl_status *);
static void	 show_detail(FILE *, const struct status_view *, time_t);
static void	 detail_conn(FILE *, const char *, int, const char *,
		    const char *);
static void	 detail_relays(FILE *, const struct status_view *);
static void	 detail_local(FILE *, const struct status_view *);
static void	 show_header(FILE *);
static void	 show_peer(FILE *, const struct ctl_peer *, time_t);
static void	 peer_block(FILE *, const struct ctl_peer *, time_t);
static void	 show_peer_detail(FILE *, const struct ctl_peer *, time_t);
static void	 show_tail(FILE *, enum actions);
static void	 show_result(FILE *, FILE *, const struct ctl_result *);

const struct output show_output = {
	.summary = show_summary,
	.detail = show_detail,
	.peer = show_peer,
	.peer_detail = show_peer_detail,
	.tail = show_tail,
	.result = show_result,
};

/* How the management connection is doing, followed by its URL. */
static const char *const mgmt_phrases[] = {
	[CTL_MGMT_IDLE] =		"Not connected to",
	[CTL_MGMT_CONNECTING] =		"Connecting to",
	[CTL_MGMT_CONNECTED] =		"Connected to",
	[CTL_MGMT_NEEDS_LOGIN] =	"Needs login at",
	[CTL_MGMT_LOGIN_FAILED] =	"Login failed at",
	[CTL_MGMT_DISCONNECTED] =	"Disconnected from",
};

static int	peers_shown;

/*
 * A string from the daemon, made safe for a terminal: anything but
 * printable ASCII becomes '?'.  An empty string prints as "none".
 */
static const char *
text(char *buf, size_t len, const char *s, const char *none)
{
	size_t	i;

	if (s[0] == '\0')
		return none;
	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* show status: our own summary, with Go's count of relays. */
static void
show_summary(FILE *out, const struct status_view *v, time_t now)
{
	const struct ctl_status	*st = &v->st;
	char			 buf[CTL_NAME_LEN], t[FMT_TIME_LEN];

	fprintf(out, "Daemon version: %s\n",
	    text(buf, sizeof(buf), st->version, "N/A"));
	fprintf(out, "Started: %s\n",
	    fmt_timeago(t, sizeof(t), st->started, now));
	show_mgmt(out, st);
	show_signal(out, st);
	fprintf(out, "Relays: %zu/%zu Available\n", view_available(v),
	    v->nrelays);
	fprintf(out, "Interface: %s (%s), port %u, MTU %u\n",
	    text(buf, sizeof(buf), st->ifname, "N/A"),
	    fmt_backend(st->wg_backend), st->wg_port, st->mtu);
	fprintf(out, "Public key: %s\n",
	    text(buf, sizeof(buf), st->pubkey, "N/A"));
	fprintf(out, "NetBird IP: %s\n",
	    text(buf, sizeof(buf), st->address, "N/A"));
	fprintf(out, "FQDN: %s\n", text(buf, sizeof(buf), st->fqdn, "N/A"));
	if (st->last_sync <= 0)
		fprintf(out, "Last sync: never\n");
	else
		fprintf(out, "Last sync: %s (serial %" PRIu64 ")\n",
		    fmt_timeago(t, sizeof(t), st->last_sync, now), st->serial);
	fprintf(out, "Peers count: %" PRIu32 "/%" PRIu32 " Connected\n",
	    st->peers_connected, st->peers_total);
	fprintf(out, "Log level: %s\n", fmt_log_level(st->log_level));
}

static void
show_mgmt(FILE *out, const struct ctl_status *st)
{
	char		 url[CTL_URL_LEN], err[CTL_MSG_LEN];
	const char	*phrase = "Unknown state at";

	if (st->mgmt_state >= 0 &&
	    (size_t)st->mgmt_state < nitems(mgmt_phrases))
		phrase = mgmt_phrases[st->mgmt_state];
	fprintf(out, "Management: %s %s", phrase,
	    text(url, sizeof(url), st->mgmt_url, "N/A"));
	if (st->mgmt_state != CTL_MGMT_CONNECTED && st->mgmt_error[0] != '\0')
		fprintf(out, ", reason: %s",
		    text(err, sizeof(err), st->mgmt_error, ""));
	fprintf(out, "\n");
}

/* As management's line; the dropped messages once there are any. */
static void
show_signal(FILE *out, const struct ctl_status *st)
{
	char	url[CTL_URL_LEN], err[CTL_MSG_LEN];

	if (st->signal_connected)
		fprintf(out, "Signal: Connected to %s",
		    text(url, sizeof(url), st->signal_url, "N/A"));
	else if (st->signal_url[0] != '\0')
		fprintf(out, "Signal: Disconnected from %s",
		    text(url, sizeof(url), st->signal_url, ""));
	else
		fprintf(out, "Signal: Disconnected");
	if (!st->signal_connected && st->signal_error[0] != '\0')
		fprintf(out, ", reason: %s",
		    text(err, sizeof(err), st->signal_error, ""));
	if (st->signal_dropped > 0 || st->signal_rejected > 0)
		fprintf(out, ", messages dropped: %" PRIu32 " from unknown "
		    "keys, %" PRIu32 " invalid", st->signal_dropped,
		    st->signal_rejected);
	fprintf(out, "\n");
}

static void
show_header(FILE *out)
{
	fprintf(out, PEER_FMT, "NAME", "IP", "PUBLIC KEY", "STATE", "CONN",
	    "HANDSHAKE", "RX", "TX");
}

static void
show_peer(FILE *out, const struct ctl_peer *p, time_t now)
{
	char	name[CTL_NAME_LEN], addr[CTL_ADDR_LEN], key[CTL_KEY_LEN];
	char	t[FMT_TIME_LEN], rx[FMT_IEC_LEN], tx[FMT_IEC_LEN];

	if (peers_shown++ == 0)
		show_header(out);
	fprintf(out, PEER_FMT, text(name, sizeof(name), p->fqdn, "-"),
	    text(addr, sizeof(addr), p->address, "-"),
	    text(key, sizeof(key), p->pubkey, "-"),
	    fmt_peer_state(p->state), fmt_conn_type(p->conn_type),
	    fmt_timeago(t, sizeof(t), p->last_handshake, now),
	    fmt_iec(rx, sizeof(rx), p->rx_bytes),
	    fmt_iec(tx, sizeof(tx), p->tx_bytes));
}

/*
 * One peer in the layout of netbird status -d, fields it leaves empty
 * left empty.  Blocks are set apart by an empty line.
 */
static void
peer_block(FILE *out, const struct ctl_peer *p, time_t now)
{
	char	name[CTL_NAME_LEN], addr[CTL_ADDR_LEN], key[CTL_KEY_LEN];
	char	lt[sizeof(p->local_type)], rt[sizeof(p->remote_type)];
	char	le[CTL_ADDR_LEN], re[CTL_ADDR_LEN], relay[CTL_URL_LEN];
	char	t[FMT_TIME_LEN], rx[FMT_IEC_LEN], tx[FMT_IEC_LEN];
	char	d[FMT_DURATION_LEN];

	fprintf(out, "\n %s:\n", text(name, sizeof(name), p->fqdn, ""));
	fprintf(out, "  NetBird IP: %s\n",
	    text(addr, sizeof(addr), p->address, ""));
	fprintf(out, "  Public key: %s\n",
	    text(key, sizeof(key), p->pubkey, ""));
	fprintf(out, "  Status: %s\n  -- detail --\n",
	    fmt_peer_state(p->state));
	fprintf(out, "  Connection type: %s\n", fmt_conn_type(p->conn_type));
	fprintf(out, "  ICE candidate (Local/Remote): %s/%s\n",
	    text(lt, sizeof(lt), p->local_type, "-"),
	    text(rt, sizeof(rt), p->remote_type, "-"));
	fprintf(out, "  ICE candidate endpoints (Local/Remote): %s/%s\n",
	    text(le, sizeof(le), p->local_endpoint, "-"),
	    text(re, sizeof(re), p->remote_endpoint, "-"));
	fprintf(out, "  Relay server address: %s\n",
	    text(relay, sizeof(relay), p->relay_address, ""));
	fprintf(out, "  Last connection update: %s\n",
	    fmt_timeago(t, sizeof(t), p->last_update, now));
	fprintf(out, "  Last WireGuard handshake: %s\n",
	    fmt_timeago(t, sizeof(t), p->last_handshake, now));
	fprintf(out, "  Transfer status (received/sent) %s/%s\n",
	    fmt_iec(rx, sizeof(rx), p->rx_bytes),
	    fmt_iec(tx, sizeof(tx), p->tx_bytes));
	fprintf(out, "  Quantum resistance: false\n  Networks: -\n");
	fprintf(out, "  Latency: %s\n",
	    fmt_duration(d, sizeof(d), p->latency_ns));
}

static void
show_peer_detail(FILE *out, const struct ctl_peer *p, time_t now)
{
	if (peers_shown++ == 0)
		fprintf(out, "Peers detail:");
	peer_block(out, p, now);
}

/*
 * show status -d, as netbird status -d prints it: the peers, the events
 * (we record none), then the summary with URLs and lists.  What we do
 * not have reads as Go prints it with that feature off.
 */
static void
show_detail(FILE *out, const struct status_view *v, time_t now)
{
	const struct ctl_status	*st = &v->st;
	char			 buf[CTL_NAME_LEN];
	size_t			 i;

	fprintf(out, "Peers detail:");
	for (i = 0; i < v->npeers; i++)
		peer_block(out, &v->peers[i], now);
	fprintf(out, "\nEvents: No events recorded\n");
	fprintf(out, "OS: %s\n", fmt_os(buf, sizeof(buf)));
	fprintf(out, "Daemon version: %s\n",
	    text(buf, sizeof(buf), st->version, "N/A"));
	fprintf(out, "CLI version: %s\nProfile: default\n", NBD_VERSION);
	detail_conn(out, "Management", st->mgmt_state == CTL_MGMT_CONNECTED,
	    st->mgmt_url, st->mgmt_error);
	detail_conn(out, "Signal", st->signal_connected != 0, st->signal_url,
	    st->signal_error);
	detail_relays(out, v);
	fprintf(out, "Nameservers: \n");
	detail_local(out, v);
}

static void
detail_conn(FILE *out, const char *what, int connected, const char *url,
    const char *error)
{
	char	buf[CTL_URL_LEN];

	if (connected)
		fprintf(out, "%s: Connected to %s\n", what,
		    text(buf, sizeof(buf), url, ""));
	else if (error[0] != '\0')
		fprintf(out, "%s: Disconnected, reason: %s\n", what,
		    text(buf, sizeof(buf), error, ""));
	else
		fprintf(out, "%s: Disconnected\n", what);
}

static void
detail_relays(FILE *out, const struct status_view *v)
{
	const struct ctl_relay	*r;
	char			 uri[CTL_URL_LEN], err[CTL_MSG_LEN];
	char			 tr[sizeof(r->transport)];
	size_t			 i;

	fprintf(out, "Relays: ");
	for (i = 0; i < v->nrelays; i++) {
		r = &v->relays[i];
		fprintf(out, "\n  [%s] is ", text(uri, sizeof(uri), r->uri, ""));
		if (r->available == 1 && r->transport[0] != '\0')
			fprintf(out, "Available via %s",
			    text(tr, sizeof(tr), r->transport, ""));
		else if (r->available == 1)
			fprintf(out, "Available");
		else if (r->available == -1)
			fprintf(out, "Checking...");
		else
			fprintf(out, "Unavailable, reason: %s",
			    text(err, sizeof(err), r->error, ""));
	}
	fprintf(out, "\n");
}

/* From FQDN to the peers count. */
static void
detail_local(FILE *out, const struct status_view *v)
{
	const struct ctl_status	*st = &v->st;
	const char		*type = "Userspace";
	char			 buf[CTL_NAME_LEN];

	if (st->wg_backend == WG_BACKEND_KERNEL)
		type = "Kernel";
	else if (st->address[0] == '\0')
		type = "N/A";
	fprintf(out, "FQDN: %s\n", text(buf, sizeof(buf), st->fqdn, ""));
	fprintf(out, "NetBird IP: %s\n", text(buf, sizeof(buf), st->address,
	    st->wg_backend == WG_BACKEND_KERNEL ? "" : "N/A"));
	fprintf(out, "Interface type: %s\n", type);
	if (st->wg_port == 0)
		fprintf(out, "Wireguard port: N/A\n");
	else
		fprintf(out, "Wireguard port: %u\n", st->wg_port);
	fprintf(out, "Quantum resistance: false\nLazy connection: false\n"
	    "SSH Server: Disabled\nNetworks: -\n");
	fprintf(out, "Peers count: %zu/%zu Connected\n", view_connected(v),
	    v->npeers);
}

/* An empty list still prints its header. */
static void
show_tail(FILE *out, enum actions action)
{
	if (action == SHOW_PEERS && peers_shown == 0)
		show_header(out);
	if (action == SHOW_PEERS_DETAIL && peers_shown == 0)
		fprintf(out, "Peers detail:\n");
	peers_shown = 0;
}

static void
show_result(FILE *out, FILE *err, const struct ctl_result *res)
{
	char	msg[CTL_MSG_LEN];

	if (res->code == CTL_RES_OK) {
		fprintf(out, "%s\n",
		    text(msg, sizeof(msg), res->msg, "request processed"));
		return;
	}
	fprintf(err, "netbirdctl: %s: %s\n", fmt_result(res->code),
	    text(msg, sizeof(msg), res->msg, "no reason given"));
}
