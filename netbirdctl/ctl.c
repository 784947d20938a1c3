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
 * Requests to the daemon, one a connection (the daemon answers one
 * request per connection), and the loop that reads their replies.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netbirdd.h"
#include "netbirdctl.h"
#include "parser.h"

static int	ctl_connect(const char *);
static void	ctl_request(struct imsgbuf *, const struct parse_result *,
		    enum actions);

/*
 * One request on a connection of its own, and its replies.  A reply that
 * is refused, or a connection that ends early, ends netbirdctl.
 */
void
ctl_ask(const char *sockname, const struct parse_result *res,
    enum actions action, struct show_ctx *ctx)
{
	struct imsgbuf	ibuf;
	int		fd;

	if (imsgbuf_init(&ibuf, (fd = ctl_connect(sockname))) == -1)
		err(1, "imsgbuf_init");
	ctl_request(&ibuf, res, action);
	ctx->action = action;
	ctx->text_len = 0;
	if (ctl_replies(&ibuf, ctx) == -1)
		errx(1, "%s", ctx->errstr);
	imsgbuf_clear(&ibuf);
	close(fd);
}

/*
 * show status: the status, the relays and, for -d or -j, the peers, one
 * connection each; printed once all have come.  A failure printed its
 * message already.
 */
void
show_status(const char *sockname, const struct parse_result *res,
    int detail, struct show_ctx *ctx)
{
	struct status_view	view;
	int			full;

	full = detail || ctx->output == &json_output;
	memset(&view, 0, sizeof(view));
	ctx->view = &view;
	ctl_ask(sockname, res, SHOW_STATUS, ctx);
	if (ctx->status == 0 && !view.have_status) {
		fprintf(ctx->err, "netbirdctl: no status from the daemon\n");
		ctx->status = 1;
	}
	if (ctx->status == 0)
		ctl_ask(sockname, res, SHOW_RELAYS, ctx);
	if (ctx->status == 0 && full)
		ctl_ask(sockname, res, SHOW_PEERS, ctx);
	if (ctx->status == 0 && detail)
		ctx->output->detail(ctx->out, &view, ctx->now);
	else if (ctx->status == 0)
		ctx->output->summary(ctx->out, &view, ctx->now);
	ctx->view = NULL;
	view_free(&view);
}

static int
ctl_connect(const char *sockname)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sockname, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket name too long: %s", sockname);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect: %s", sockname);
	return fd;
}

static void
ctl_request(struct imsgbuf *ibuf, const struct parse_result *res,
    enum actions action)
{
	struct ctl_verbose	 v;
	struct ctl_metrics_req	 m;
	const void		*data = NULL;
	size_t			 len = 0;
	uint32_t		 type = IMSG_NONE;

	switch (action) {
	case SHOW_STATUS:
		type = IMSG_CTL_SHOW_STATUS;
		break;
	case SHOW_PEERS:
	case SHOW_PEERS_DETAIL:
		type = IMSG_CTL_SHOW_PEERS;
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		memset(&v, 0, sizeof(v));
		v.level = res->level;
		type = IMSG_CTL_LOG_VERBOSE;
		data = &v;
		len = sizeof(v);
		break;
	case SHOW_METRICS:
		memset(&m, 0, sizeof(m));
		m.format = res->metrics_format;
		type = IMSG_CTL_SHOW_METRICS;
		data = &m;
		len = sizeof(m);
		break;
	case RELOAD:
		type = IMSG_CTL_RELOAD;
		break;
	case SHOW_RELAYS:
		type = IMSG_CTL_SHOW_RELAYS;
		break;
	case SHOW_CONFIG:
		type = IMSG_CTL_SHOW_CONFIG;
		break;
	case SHOW_NETMAP:
		type = IMSG_CTL_SHOW_NETMAP;
		break;
	case NONE:
	case DEBUG_BUNDLE:
		errx(1, "%s: not a request", __func__);
	}
	if (imsg_compose(ibuf, type, 0, 0, -1, data, len) == -1)
		err(1, "imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		err(1, "write");
}

/*
 * Print replies until one ends the stream.  0, or -1 with errstr set:
 * a reply refused, a connection that broke or ended before the end.
 */
int
ctl_replies(struct imsgbuf *ibuf, struct show_ctx *ctx)
{
	static char	why[128];
	struct imsg	imsg;
	ssize_t		n;
	int		done = 0;

	while (!done) {
		switch (imsgbuf_read(ibuf)) {
		case -1:
			snprintf(why, sizeof(why), "read: %s", strerror(errno));
			ctx->status = 1;
			ctx->errstr = why;
			return -1;
		case 0:
			ctx->status = 1;
			ctx->errstr = "the daemon closed the connection";
			return -1;
		}
		while (!done && (n = imsgbuf_get(ibuf, &imsg)) != 0) {
			if (n == -1) {
				ctx->status = 1;
				ctx->errstr = "malformed reply";
				return -1;
			}
			done = show_reply(ctx, &imsg);
			imsg_free(&imsg);
			if (done == -1)
				return -1;
		}
	}
	return 0;
}
