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
 * The remote config of the metrics ingest server, read by rconf_parse(),
 * and Go duration strings (NB_METRICS_INTERVAL), read by
 * go_duration_parse() (netbirdd/metrics_push.c).  The whole input, NULs
 * and all, is a config body in a buffer of exactly its size; cut at its
 * first NUL it is a duration.  A config that parses has terminated
 * fields, an absolute http(s) server_url, versions that compare equal
 * to themselves and a period in range; a refusal says why and leaves
 * the struct alone.  A duration that parses is positive.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_ctl.h"
#include "metrics_push.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
config(const uint8_t *data, size_t len)
{
	struct rconf	 rc, before;
	const char	*why;
	char		*body;
	int		 cmp;

	if ((body = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(body, data, len);
	memset(&rc, 0xa5, sizeof(rc));
	before = rc;
	if ((why = rconf_parse(body, len, &rc)) != NULL) {
		if (why[0] == '\0' || memcmp(&rc, &before, sizeof(rc)) != 0)
			abort();
		free(body);
		return;
	}
	if (len > RCONF_BODY_MAX ||
	    memchr(rc.server_url, '\0', sizeof(rc.server_url)) == NULL ||
	    memchr(rc.since, '\0', sizeof(rc.since)) == NULL ||
	    memchr(rc.until, '\0', sizeof(rc.until)) == NULL ||
	    !url_abs_http(rc.server_url) ||
	    rc.period_minutes < 1 || rc.period_minutes > RCONF_PERIOD_MAX ||
	    version_cmp(rc.since, rc.since, &cmp) != 0 || cmp != 0 ||
	    version_cmp(rc.until, rc.until, &cmp) != 0 || cmp != 0 ||
	    rconf_eligible(&rc, "development") != -1)
		abort();
	free(body);
}

static void
duration(const uint8_t *data, size_t len)
{
	int64_t	 ns = 0;
	char	*s;
	size_t	 n;
	int	 c1, c2;

	n = strnlen((const char *)data, len);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	if (go_duration_parse(s, &ns) == 0 && ns <= 0)
		abort();
	if (version_cmp(s, "1.0.0", &c1) == 0 &&
	    (version_cmp("1.0.0", s, &c2) != 0 || c1 != -c2))
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	config(data, len);
	duration(data, len);
	return 0;
}
