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
 * Replies from the daemon.  They are checked before anything is read
 * from them: exact size, strings terminated inside their arrays, and a
 * type that answers the request.  A daemon that gets this wrong makes
 * netbirdctl fail; it never makes it read out of bounds.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netbirdd.h"
#include "netbirdctl.h"

#define TERMINATED(s)	(memchr((s), '\0', sizeof(s)) != NULL)
#define KEY_PREFIX_MIN	4	/* shortest start of a key that names a peer */

static int	refuse(struct show_ctx *, const char *);
static int	status_ok(const struct ctl_status *);
static int	peer_ok(const struct ctl_peer *);
static int	relay_ok(const struct ctl_relay *);
static void	peer_clear_path(struct ctl_peer *);
static int	has_bit(uint32_t, int32_t);
static int	peers_action(enum actions);
static int	reply_status(struct show_ctx *, struct imsg *);
static int	reply_peer(struct show_ctx *, struct imsg *);
static int	view_add_peer(struct show_ctx *, const struct ctl_peer *);
static int	reply_relay(struct show_ctx *, struct imsg *);
static int	reply_end(struct show_ctx *, struct imsg *);
static int	reply_result(struct show_ctx *, struct imsg *);
static int	text_action(enum actions);
static int	reply_text(struct show_ctx *, struct imsg *);

static int
refuse(struct show_ctx *ctx, const char *why)
{
	ctx->errstr = why;
	ctx->status = 1;
	return -1;
}

static int
status_ok(const struct ctl_status *st)
{
	return TERMINATED(st->version) && TERMINATED(st->mgmt_url) &&
	    TERMINATED(st->mgmt_error) && TERMINATED(st->signal_url) &&
	    TERMINATED(st->ifname) && TERMINATED(st->pubkey) &&
	    TERMINATED(st->address) && TERMINATED(st->fqdn) &&
	    TERMINATED(st->signal_error);
}

static int
peer_ok(const struct ctl_peer *p)
{
	return TERMINATED(p->fqdn) && TERMINATED(p->address) &&
	    TERMINATED(p->pubkey) && TERMINATED(p->local_type) &&
	    TERMINATED(p->remote_type) && TERMINATED(p->local_endpoint) &&
	    TERMINATED(p->remote_endpoint) && TERMINATED(p->relay_address);
}

static int
relay_ok(const struct ctl_relay *r)
{
	return TERMINATED(r->uri) && TERMINATED(r->error) &&
	    TERMINATED(r->transport) && r->available >= -1 &&
	    r->available <= 1;
}

/*
 * What netbird status shows of a peer that is not connected: no
 * connection type, candidates, relay, handshake or transfer.
 */
static void
peer_clear_path(struct ctl_peer *p)
{
	if (p->state == CTL_PEER_CONNECTED)
		return;
	p->conn_type = CTL_CONN_NONE;
	p->local_type[0] = p->remote_type[0] = '\0';
	p->local_endpoint[0] = p->remote_endpoint[0] = '\0';
	p->relay_address[0] = '\0';
	p->last_handshake = 0;
	p->rx_bytes = p->tx_bytes = 0;
}

static int
has_bit(uint32_t bits, int32_t v)
{
	return v >= 0 && v < 32 && (bits & (1U << v)) != 0;
}

static int
peers_action(enum actions action)
{
	return action == SHOW_PEERS || action == SHOW_PEERS_DETAIL;
}

static int
text_action(enum actions action)
{
	return action == SHOW_METRICS || action == SHOW_CONFIG ||
	    action == SHOW_NETMAP;
}

/*
 * Whether name names the peer: its FQDN, with or without the final dot,
 * or the FQDN's first label, in any case; its overlay address; or the
 * start of its public key, KEY_PREFIX_MIN characters or more.
 */
int
peer_name_match(const struct ctl_peer *p, const char *name)
{
	size_t	len = strlen(name), n;

	if (len == 0)
		return 0;
	n = len;
	if (n > 1 && name[n - 1] == '.')
		n--;
	if (strlen(p->fqdn) == n && strncasecmp(p->fqdn, name, n) == 0)
		return 1;
	n = strcspn(p->fqdn, ".");
	if (n == len && strncasecmp(p->fqdn, name, n) == 0)
		return 1;
	n = strcspn(p->address, "/");
	if (n == len && strncmp(p->address, name, n) == 0)
		return 1;
	return len >= KEY_PREFIX_MIN && strncmp(p->pubkey, name, len) == 0;
}

int
peer_filter_match(const struct peer_filter *f, const struct ctl_peer *p)
{
	if (f->name != NULL && !peer_name_match(p, f->name))
		return 0;
	if (f->states != 0 && !has_bit(f->states, p->state))
		return 0;
	return f->types == 0 || has_bit(f->types, p->conn_type);
}

/*
 * Check and print one reply.  Returns 1 when it ends the reply stream,
 * 0 when more are to come, and -1 with errstr set when it is malformed
 * or does not answer the request.
 */
int
show_reply(struct show_ctx *ctx, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_STATUS:
		return reply_status(ctx, imsg);
	case IMSG_CTL_SHOW_PEER:
		return reply_peer(ctx, imsg);
	case IMSG_CTL_SHOW_RELAY:
		return reply_relay(ctx, imsg);
	case IMSG_CTL_TEXT:
		return reply_text(ctx, imsg);
	case IMSG_CTL_END:
		return reply_end(ctx, imsg);
	case IMSG_CTL_RESULT:
		return reply_result(ctx, imsg);
	default:
		return refuse(ctx, "unexpected reply from the daemon");
	}
}

static int
reply_status(struct show_ctx *ctx, struct imsg *imsg)
{
	struct ctl_status	st;

	if (ctx->action != SHOW_STATUS || ctx->view == NULL)
		return refuse(ctx, "unexpected status reply");
	if (ctx->view->have_status)
		return refuse(ctx, "a second status reply");
	if (imsg_get_data(imsg, &st, sizeof(st)) == -1 || !status_ok(&st))
		return refuse(ctx, "malformed status reply");
	ctx->view->st = st;
	ctx->view->have_status = 1;
	return 0;
}

static int
reply_peer(struct show_ctx *ctx, struct imsg *imsg)
{
	struct ctl_peer		p;

	if (!peers_action(ctx->action))
		return refuse(ctx, "unexpected peer reply");
	if (imsg_get_data(imsg, &p, sizeof(p)) == -1 || !peer_ok(&p))
		return refuse(ctx, "malformed peer reply");
	peer_clear_path(&p);
	if (ctx->view != NULL)
		return view_add_peer(ctx, &p);
	if (!peer_filter_match(&ctx->filter, &p))
		return 0;
	ctx->peers_shown++;
	if (ctx->action == SHOW_PEERS_DETAIL)
		ctx->output->peer_detail(ctx->out, &p, ctx->now);
	else
		ctx->output->peer(ctx->out, &p, ctx->now);
	return 0;
}

static int
view_add_peer(struct show_ctx *ctx, const struct ctl_peer *p)
{
	struct status_view	*v = ctx->view;
	struct ctl_peer		*n;

	if (v->npeers >= CTL_LIST_MAX)
		return refuse(ctx, "too many peers");
	if ((n = reallocarray(v->peers, v->npeers + 1, sizeof(*n))) == NULL)
		return refuse(ctx, "out of memory");
	v->peers = n;
	v->peers[v->npeers++] = *p;
	return 0;
}

static int
reply_relay(struct show_ctx *ctx, struct imsg *imsg)
{
	struct status_view	*v = ctx->view;
	struct ctl_relay	 r, *n;

	if (ctx->action != SHOW_RELAYS || v == NULL)
		return refuse(ctx, "unexpected relay reply");
	if (imsg_get_data(imsg, &r, sizeof(r)) == -1 || !relay_ok(&r))
		return refuse(ctx, "malformed relay reply");
	if (v->nrelays >= CTL_LIST_MAX)
		return refuse(ctx, "too many relays");
	if ((n = reallocarray(v->relays, v->nrelays + 1, sizeof(*n))) == NULL)
		return refuse(ctx, "out of memory");
	v->relays = n;
	v->relays[v->nrelays++] = r;
	return 0;
}

static int
reply_end(struct show_ctx *ctx, struct imsg *imsg)
{
	if (ctx->action != SHOW_STATUS && ctx->action != SHOW_RELAYS &&
	    !peers_action(ctx->action) && !text_action(ctx->action))
		return refuse(ctx, "unexpected end of reply");
	if (imsg_get_len(imsg) != 0)
		return refuse(ctx, "malformed end of reply");
	if (text_action(ctx->action))
		return 1;
	if (ctx->action == SHOW_STATUS &&
	    (ctx->view == NULL || !ctx->view->have_status))
		return refuse(ctx, "no status in the reply");
	if (ctx->view != NULL)
		return 1;
	/* A name that names no peer is an error; an empty list is not. */
	if (ctx->filter.name != NULL && ctx->peers_shown == 0) {
		fprintf(ctx->err, "netbirdctl: no peer matches %s\n",
		    ctx->filter.name);
		ctx->status = 1;
		return 1;
	}
	ctx->output->tail(ctx->out, ctx->action);
	return 1;
}

/*
 * A piece of a text answer, 1 to CTL_TEXT_MAX bytes, CTL_TEXT_TOTAL_MAX
 * in all.  It goes to out as it comes, each byte that is not printable
 * ASCII, '\n' or '\t' as '?', so that a terminal never sees a control
 * sequence.
 */
static int
reply_text(struct show_ctx *ctx, struct imsg *imsg)
{
	char	buf[CTL_TEXT_MAX];
	size_t	len, i;

	if (!text_action(ctx->action))
		return refuse(ctx, "unexpected text reply");
	len = imsg_get_len(imsg);
	if (len == 0 || len > CTL_TEXT_MAX)
		return refuse(ctx, "malformed text reply");
	if (len > CTL_TEXT_TOTAL_MAX - ctx->text_len)
		return refuse(ctx, "text reply too long");
	if (imsg_get_data(imsg, buf, len) == -1)
		return refuse(ctx, "malformed text reply");
	for (i = 0; i < len; i++)
		if ((buf[i] < 0x20 || buf[i] >= 0x7f) && buf[i] != '\n' &&
		    buf[i] != '\t')
			buf[i] = '?';
	ctx->text_len += len;
	if (fwrite(buf, 1, len, ctx->out) != len)
		return refuse(ctx, "cannot write the text reply");
	return 0;
}

static int
reply_result(struct show_ctx *ctx, struct imsg *imsg)
{
	struct ctl_result	res;

	if (imsg_get_data(imsg, &res, sizeof(res)) == -1 ||
	    !TERMINATED(res.msg))
		return refuse(ctx, "malformed result");
	ctx->output->result(ctx->out, ctx->err, &res);
	if (res.code != CTL_RES_OK)
		ctx->status = 1;
	return 1;
}

void
view_free(struct status_view *v)
{
	free(v->peers);
	free(v->relays);
	memset(v, 0, sizeof(*v));
}

size_t
view_connected(const struct status_view *v)
{
	size_t	i, n = 0;

	for (i = 0; i < v->npeers; i++)
		if (v->peers[i].state == CTL_PEER_CONNECTED)
			n++;
	return n;
}

size_t
view_available(const struct status_view *v)
{
	size_t	i, n = 0;

	for (i = 0; i < v->nrelays; i++)
		if (v->relays[i].available == 1)
			n++;
	return n;
}
