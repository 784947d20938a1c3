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

#include <string.h>

#include "netbirdd.h"
#include "netbirdctl.h"

#define TERMINATED(s)	(memchr((s), '\0', sizeof(s)) != NULL)

static int	refuse(struct show_ctx *, const char *);
static int	status_ok(const struct ctl_status *);
static int	peer_ok(const struct ctl_peer *);
static int	reply_status(struct show_ctx *, struct imsg *);
static int	reply_peer(struct show_ctx *, struct imsg *);
static int	reply_end(struct show_ctx *, struct imsg *);
static int	reply_result(struct show_ctx *, struct imsg *);

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
	    TERMINATED(st->address) && TERMINATED(st->fqdn);
}

static int
peer_ok(const struct ctl_peer *p)
{
	return TERMINATED(p->fqdn) && TERMINATED(p->address) &&
	    TERMINATED(p->pubkey) && TERMINATED(p->local_type) &&
	    TERMINATED(p->remote_type) && TERMINATED(p->local_endpoint) &&
	    TERMINATED(p->remote_endpoint) && TERMINATED(p->relay_address);
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

	if (ctx->action != SHOW_STATUS)
		return refuse(ctx, "unexpected status reply");
	if (imsg_get_data(imsg, &st, sizeof(st)) == -1 || !status_ok(&st))
		return refuse(ctx, "malformed status reply");
	ctx->output->status(ctx->out, &st, ctx->now);
	return 0;
}

static int
reply_peer(struct show_ctx *ctx, struct imsg *imsg)
{
	struct ctl_peer		p;

	if (ctx->action != SHOW_PEERS)
		return refuse(ctx, "unexpected peer reply");
	if (imsg_get_data(imsg, &p, sizeof(p)) == -1 || !peer_ok(&p))
		return refuse(ctx, "malformed peer reply");
	ctx->output->peer(ctx->out, &p, ctx->now);
	return 0;
}

static int
reply_end(struct show_ctx *ctx, struct imsg *imsg)
{
	if (ctx->action != SHOW_STATUS && ctx->action != SHOW_PEERS)
		return refuse(ctx, "unexpected end of reply");
	if (imsg_get_len(imsg) != 0)
		return refuse(ctx, "malformed end of reply");
	ctx->output->tail(ctx->out, ctx->action);
	return 1;
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
