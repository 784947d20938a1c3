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
 * The metrics process: connection and sync timings, their push and
 * export (issue 6).  Today it is started, confined and configured, and
 * keeps whether management wants metrics pushed.
 */

#include "log.h"
#include "netbirdd.h"

static void	metrics_dispatch_parent(struct imsgev *, struct imsg *);

static const struct proc_child metrics_proc = {
	.proc = PROC_METRICS,
	.dispatch = {
		[PROC_PARENT] = metrics_dispatch_parent,
	},
};

static struct nbd_netbird_config nbconf;	/* from management */

__dead void
metrics_main(int debug, int verbose)
{
	proc_child_run(&metrics_proc, debug, verbose);
}

static void
metrics_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	const char	*why;

	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_MGMT_CONFIG:
		imsg_data_exact(imsg, &nbconf, sizeof(nbconf), __func__);
		if ((why = netbird_config_invalid(&nbconf)) != NULL)
			fatalx("%s: %s", __func__, why);
		log_debug("management says metrics push: %s",
		    nbconf.metrics_enabled == -1 ? "nothing" :
		    nbconf.metrics_enabled ? "on" : "off");
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}
