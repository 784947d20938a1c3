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
 * The pure pieces of the metrics push (protocol.md 7.3): the remote
 * config a metrics ingest server publishes, version ranges compared as
 * hashicorp/go-version does, Go duration strings (NB_METRICS_INTERVAL),
 * gzip bodies and push URLs.  No I/O here; netbirdd/metrics.c drives
 * them.  Needs <stddef.h>, <stdint.h> and nbd_ctl.h (CTL_URL_LEN).
 */

#ifndef METRICS_PUSH_H
#define METRICS_PUSH_H

#define RCONF_BODY_MAX		4096	/* the Go client reads this much */
/* The most whole minutes a Go time.Duration holds. */
#define RCONF_PERIOD_MAX	153722867
#define RCONF_VERSION_LEN	32

struct rconf {
	char	server_url[CTL_URL_LEN];	/* absolute http(s) URL */
	char	since[RCONF_VERSION_LEN];	/* version-since */
	char	until[RCONF_VERSION_LEN];	/* version-until */
	int	period_minutes;			/* 1 .. RCONF_PERIOD_MAX */
};

const char	*rconf_parse(const char *, size_t, struct rconf *);
int		 version_cmp(const char *, const char *, int *);
int		 rconf_eligible(const struct rconf *, const char *);
int		 go_duration_parse(const char *, int64_t *);
int		 gzip_buf(const void *, size_t, uint8_t **, size_t *);
int		 url_abs_http(const char *);

#endif /* METRICS_PUSH_H */
