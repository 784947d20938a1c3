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

/* netbirdctl: ask a running netbirdd one question and print the answer. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netbirdd.h"
#include "netbirdctl.h"
#include "parser.h"

static __dead void	usage(void);
static void		ctl_ask(const char *, const struct parse_result *,
			    enum actions, struct show_ctx *);
static void		show_status(const char *, const struct parse_result *,
			    int, struct show_ctx *);
static int		ctl_connect(const char *);
static void		ctl_request(struct imsgbuf *,
			    const struct parse_result *, enum actions);
static void		ctl_replies(struct imsgbuf *, struct show_ctx *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: netbirdctl [-dj] [-s socket] command "
	    "[argument ...]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const struct parse_result	*res;
	const char			*sockname = NBD_SOCKET;
	struct show_ctx			 ctx;
	enum actions			 action;
	int				 ch, detail = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.output = &show_output;
	while ((ch = getopt(argc, argv, "djs:")) != -1) {
		switch (ch) {
		case 'd':
			detail = 1;
			break;
		case 'j':
			ctx.output = &json_output;
			break;
		case 's':
			sockname = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((res = parse(argc, argv)) == NULL)
		usage();

	/* A daemon that goes away must give an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	ctx.out = stdout;
	ctx.err = stderr;
	ctx.filter = res->filter;
	ctx.now = time(NULL);
	action = res->action;
	if (detail && action == SHOW_PEERS)
		action = SHOW_PEERS_DETAIL;
	if (action == SHOW_STATUS)
		show_status(sockname, res, detail, &ctx);
	else
		ctl_ask(sockname, res, action, &ctx);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return ctx.status;
}

/* One request on a connection of its own, and its replies. */
static void
ctl_ask(const char *sockname, const struct parse_result *res,
    enum actions action, struct show_ctx *ctx)
{
	struct imsgbuf	ibuf;
	int		fd;

	if (imsgbuf_init(&ibuf, (fd = ctl_connect(sockname))) == -1)
		err(1, "imsgbuf_init");
	ctl_request(&ibuf, res, action);
	ctx->action = action;
	ctl_replies(&ibuf, ctx);
	imsgbuf_clear(&ibuf);
	close(fd);
}

/*
 * show status: the status, the relays and, for -d or -j, the peers, one
 * connection each (the daemon answers one request per connection);
 * printed once all have come.  A failure printed its message already.
 */
static void
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
	struct ctl_verbose	v;
	int			r = 0;

	switch (action) {
	case SHOW_STATUS:
		r = imsg_compose(ibuf, IMSG_CTL_SHOW_STATUS, 0, 0, -1,
		    NULL, 0);
		break;
	case SHOW_PEERS:
	case SHOW_PEERS_DETAIL:
		r = imsg_compose(ibuf, IMSG_CTL_SHOW_PEERS, 0, 0, -1,
		    NULL, 0);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		memset(&v, 0, sizeof(v));
		v.level = res->level;
		r = imsg_compose(ibuf, IMSG_CTL_LOG_VERBOSE, 0, 0, -1,
		    &v, sizeof(v));
		break;
	case RELOAD:
		r = imsg_compose(ibuf, IMSG_CTL_RELOAD, 0, 0, -1, NULL, 0);
		break;
	case SHOW_RELAYS:
		r = imsg_compose(ibuf, IMSG_CTL_SHOW_RELAYS, 0, 0, -1,
		    NULL, 0);
		break;
	case NONE:
		errx(1, "%s: no action", __func__);
	}
	if (r == -1)
		err(1, "imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		err(1, "write");
}

/* Print replies until one ends the stream. */
static void
ctl_replies(struct imsgbuf *ibuf, struct show_ctx *ctx)
{
	struct imsg	imsg;
	ssize_t		n;
	int		done = 0;

	while (!done) {
		switch (imsgbuf_read(ibuf)) {
		case -1:
			err(1, "read");
		case 0:
			errx(1, "the daemon closed the connection");
		}
		while (!done && (n = imsgbuf_get(ibuf, &imsg)) != 0) {
			if (n == -1)
				err(1, "malformed reply");
			done = show_reply(ctx, &imsg);
			imsg_free(&imsg);
			if (done == -1)
				errx(1, "%s", ctx->errstr);
		}
	}
}
