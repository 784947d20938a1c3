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
static void		check_flags(const struct parse_result *, int, int,
			    int);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: netbirdctl [-djp] [-L logfile] [-s socket] "
	    "command [argument ...]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct parse_result	*res;
	const char		*sockname = NBD_SOCKET, *logfile = NULL;
	struct show_ctx		 ctx;
	enum actions		 action;
	int			 ch, detail = 0, json = 0, prom = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.output = &show_output;
	while ((ch = getopt(argc, argv, "djL:ps:")) != -1) {
		switch (ch) {
		case 'd':
			detail = 1;
			break;
		case 'j':
			json = 1;
			ctx.output = &json_output;
			break;
		case 'L':
			logfile = optarg;
			break;
		case 'p':
			prom = 1;
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
	check_flags(res, json, prom, logfile != NULL);
	res->metrics_format = prom ? CTL_METRICS_PROM : CTL_METRICS_LINE;
	res->logfile = logfile;

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
	else if (action == DEBUG_BUNDLE)
		debug_bundle(sockname, res, &ctx);
	else
		ctl_ask(sockname, res, action, &ctx);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return ctx.status;
}

/* Flags that only some commands take. */
static void
check_flags(const struct parse_result *res, int json, int prom, int log)
{
	if (json && res->action == SHOW_METRICS)
		errx(1, "-j: show metrics has no JSON form");
	if (json && res->action == DEBUG_BUNDLE)
		errx(1, "-j: debug bundle has no JSON form");
	if (prom && res->action != SHOW_METRICS)
		errx(1, "-p: only with show metrics");
	if (log && res->action != DEBUG_BUNDLE)
		errx(1, "-L: only with debug bundle");
}
