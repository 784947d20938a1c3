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

#ifndef NETBIRDCTL_H
#define NETBIRDCTL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "nbd_ctl.h"

struct imsg;
struct imsgbuf;
struct parse_result;

enum actions {
	NONE,
	SHOW_STATUS,
	SHOW_PEERS,		/* a table */
	SHOW_PEERS_DETAIL,	/* a block each, as netbird status -d */
	LOG_VERBOSE,
	LOG_BRIEF,
	RELOAD,
	SHOW_RELAYS,		/* one of the requests of show status */
	SHOW_METRICS,		/* text replies, see CTL_TEXT_TOTAL_MAX */
	SHOW_CONFIG,		/* requests of debug bundle */
	SHOW_NETMAP,
	DEBUG_BUNDLE
};

#define CTL_LIST_MAX	10000	/* peers or relays in one answer */
#define CTL_TEXT_TOTAL_MAX (64 * 1024 * 1024)	/* bytes of one text answer */

/*
 * What show status collects, from three requests on three connections:
 * the status, the relays and (for -d and -j) the peers.
 */
struct status_view {
	struct ctl_status	 st;
	int			 have_status;
	struct ctl_peer		*peers;
	size_t			 npeers;
	struct ctl_relay	*relays;
	size_t			 nrelays;
};

/*
 * One way of printing replies.  summary() prints show status and
 * detail() show status -d, once everything is collected; peer() and
 * peer_detail() print one reply each; tail() closes a list once the
 * daemon has sent IMSG_CTL_END; result() prints an IMSG_CTL_RESULT,
 * failures on err.  "now" is the time the "ago" columns count from.
 */
struct output {
	void	(*summary)(FILE *, const struct status_view *, time_t);
	void	(*detail)(FILE *, const struct status_view *, time_t);
	void	(*peer)(FILE *, const struct ctl_peer *, time_t);
	void	(*peer_detail)(FILE *, const struct ctl_peer *, time_t);
	void	(*tail)(FILE *, enum actions);
	void	(*result)(FILE *, FILE *, const struct ctl_result *);
};

extern const struct output show_output;
extern const struct output json_output;

/* fmt.c */
#define FMT_TIME_LEN	64
#define FMT_IEC_LEN	32
#define FMT_DURATION_LEN 32
const char	*fmt_timeago(char *, size_t, int64_t, time_t);
const char	*fmt_rfc3339(char *, size_t, int64_t);
const char	*fmt_iec(char *, size_t, uint64_t);
const char	*fmt_duration(char *, size_t, int64_t);
const char	*fmt_mgmt_state(int32_t);
const char	*fmt_daemon_status(int32_t);
const char	*fmt_peer_state(int32_t);
const char	*fmt_conn_type(int32_t);
const char	*fmt_backend(int32_t);
const char	*fmt_log_level(int32_t);
const char	*fmt_result(int32_t);
#define FMT_OS_LEN	64
const char	*fmt_os(char *, size_t);

/* Which peers to show: all that match every part that is set. */
struct peer_filter {
	const char	*name;		/* see peer_name_match() */
	uint32_t	 states;	/* bits 1 << CTL_PEER_*, 0: any */
	uint32_t	 types;		/* bits 1 << CTL_CONN_*, 0: any */
};

/* What show_reply() needs to print one reply, and what it found. */
struct show_ctx {
	const struct output	*output;
	FILE			*out;
	FILE			*err;
	enum actions		 action;
	time_t			 now;
	int			 status;	/* exit status so far */
	const char		*errstr;	/* why a reply was refused */
	struct peer_filter	 filter;
	uint32_t		 peers_shown;	/* those the filter let through */
	struct status_view	*view;		/* show status: replies go
						   there, not out */
	size_t			 text_len;	/* text replies: bytes so far */
};

/* ctl.c */
void		 ctl_ask(const char *, const struct parse_result *,
		    enum actions, struct show_ctx *);
int		 ctl_replies(struct imsgbuf *, struct show_ctx *);
void		 show_status(const char *, const struct parse_result *, int,
		    struct show_ctx *);

/* debug.c */
void		 debug_bundle(const char *, const struct parse_result *,
		    struct show_ctx *);

/* show.c */
int		 show_reply(struct show_ctx *, struct imsg *);
int		 peer_name_match(const struct ctl_peer *, const char *);
int		 peer_filter_match(const struct peer_filter *,
		    const struct ctl_peer *);
void		 view_free(struct status_view *);
size_t		 view_connected(const struct status_view *);
size_t		 view_available(const struct status_view *);

#endif
