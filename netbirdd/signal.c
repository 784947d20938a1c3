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
 * The signal process: the signal connection: offers, answers and
 * candidates (issue 4).  Today it is started, confined and configured,
 * and keeps the signal server management names.
 */

#include "log.h"
#include "netbirdd.h"

static void	signal_dispatch_parent(struct imsgev *, struct imsg *);

static const struct proc_child signal_proc = {
	.proc = PROC_SIGNAL,
	.dispatch = {
		[PROC_PARENT] = signal_dispatch_parent,
	},
};

static struct nbd_netbird_config nbconf;	/* from management */

__dead void
signal_main(int debug, int verbose)
{
	proc_child_run(&signal_proc, debug, verbose);
}

static void
signal_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	const char	*why;

	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		imsg_data_exact(imsg, &nbconf, sizeof(nbconf), __func__);
		if ((why = netbird_config_invalid(&nbconf)) != NULL)
			fatalx("%s: %s", __func__, why);
		log_debug("signal server %s%s", nbconf.signal_tls ?
		    "https://" : "http://", nbconf.signal_uri);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}
