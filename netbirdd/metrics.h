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
 * The sample store of the metrics process (metrics_store.c): the
 * samples waiting to be pushed, written in InfluxDB line protocol as
 * NetBird's client writes them (protocol.md 7), and the cumulative
 * gauges, counters and histograms of the Prometheus text exposition.
 */

#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netbirdd.h"

#define MS_ID_LEN	17	/* 16 hex digits and NUL */
#define MS_MAX_SAMPLES	20480	/* 5 MiB / 256 B, as NetBird */
#define MS_MAX_AGE_NS	(5LL * 24 * 3600 * 1000000000LL)
#define MS_FLOAT_LEN	32	/* ms_fmt_float() output and NUL */

struct ms_tags {		/* common tags, protocol.md 7.1 */
	char	deployment[16];	/* cloud, selfhosted, unknown */
	char	version[32];
	char	os[16];		/* Go GOOS: "linux" */
	char	arch[16];	/* Go GOARCH: "amd64", "arm64", "386", "arm" */
	char	peer_id[MS_ID_LEN];
};
struct ms_store;

/*
 * Identifiers and tags.  ms_peer_id: hex of the first 8 bytes of the
 * SHA-256 of a key's base64 string; ms_pair_id: the same of the two ids
 * sorted and concatenated.  ms_deployment: "cloud", "selfhosted" or,
 * for NULL or "", "unknown", as Go's url.Parse sees the URL (a URL
 * without scheme is "selfhosted").  ms_goarch: uname -m to GOARCH.
 * ms_tags_init: all of them, with uname(); the version is made safe
 * for a tag value.
 */
void	 ms_peer_id(const char *, char [MS_ID_LEN]);
void	 ms_pair_id(const char *, const char *, char [MS_ID_LEN]);
const char *ms_deployment(const char *);
const char *ms_goarch(const char *);
void	 ms_tags_init(struct ms_tags *, const char *, const char *,
	    const char *);

/* Go's fmt %g of a float64, and time.Duration.Seconds() of ns. */
void	 ms_fmt_float(double, char [MS_FLOAT_LEN]);
double	 ms_seconds(int64_t);

/*
 * The push buffer, oldest first, at most MS_MAX_SAMPLES (the oldest
 * dropped on add, with one warning until there is room again).
 * ms_add_* return 0, or -1 when they refuse, with a warning, a sample
 * that no correct sender makes; nothing is kept then.
 * ms_add_conn takes this agent's peer id; ms_add_sync keeps one
 * netbird_sync sample and one netbird_sync_phase per phase.  ms_trim
 * drops samples older than MS_MAX_AGE_NS at the front; ms_drop_oldest
 * the first n (after they were pushed).  ms_write_lines writes the
 * first n in line protocol and flushes; -1 on a write error.
 */
struct ms_store *ms_store_new(void);
void	 ms_store_free(struct ms_store *);
int	 ms_add_conn(struct ms_store *, const struct nbd_metric_conn *,
	    const char *);
int	 ms_add_sync(struct ms_store *, const struct nbd_metric_sync *);
int	 ms_add_login(struct ms_store *, const struct nbd_metric_login *);
size_t	 ms_count(const struct ms_store *);
void	 ms_trim(struct ms_store *, int64_t);
void	 ms_drop_oldest(struct ms_store *, size_t);
int	 ms_write_lines(const struct ms_store *, const struct ms_tags *,
	    size_t, FILE *);

/*
 * The exposition's state, cumulative since start: the peer table (at
 * most NBD_PEERS_MAX; ms_peer_set returns -1 as ms_add_* do, or when
 * the table is full), resident memory, and the histograms and counters
 * the samples above feed.  ms_write_prom writes the Prometheus text
 * format 0.0.4 and flushes; -1 on a write error.
 */
int	 ms_peer_set(struct ms_store *, const struct nbd_metric_peer *);
void	 ms_peer_del(struct ms_store *, const struct nbd_key *);
size_t	 ms_peer_count(const struct ms_store *);
void	 ms_rss_set(struct ms_store *, const struct nbd_metric_rss *);
int	 ms_write_prom(const struct ms_store *, const struct ms_tags *,
	    const char *const [PROC_MAX], FILE *);

#endif /* METRICS_H */
