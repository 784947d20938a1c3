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
 * The ice process: per-peer connections (ICE, TURN, relay, proxies) and
 * the per-peer view that netbirdctl shows.  Peers arrive with the network
 * map (issue 3) and connect in issue 4; until then the list is empty.
 */

#include "log.h"
#include "netbirdd.h"

static void	ice_dispatch_control(struct imsgev *, struct imsg *);

static const struct proc_child ice_proc = {
	.proc = PROC_ICE,
	.dispatch = {
		[PROC_CONTROL] = ice_dispatch_control,
	},
};

__dead void
ice_main(int debug, int verbose)
{
	proc_child_run(&ice_proc, debug, verbose);
}

static void
ice_dispatch_control(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_PEERS:
		imsg_empty(imsg, __func__);
		imsgev_compose(iev, IMSG_CTL_END, imsg_get_id(imsg), 0, -1,
		    NULL, 0);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}
