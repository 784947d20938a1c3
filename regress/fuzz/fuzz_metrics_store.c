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
 * The metrics store (netbirdd/metrics_store.c) fed what other processes
 * could send it.  The input is a run of records: a type byte, then the
 * bytes of what that type carries (zero-filled when the input ends).
 * Afterwards every line of the line protocol has the shape
 * "measurement,tags fields timestamp": two spaces, no control byte, an
 * '=' in each field; the exposition is written.  Float records go
 * through ms_fmt_float(), whose text must read back as the same double;
 * string records through ms_deployment().
 */

#include <sys/types.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct ms_tags tags = {
	"cloud", "0.77.1", "linux", "amd64", "b01198f80d752350"
};
static const char *const names[PROC_MAX] = { "parent", "mgmt" };

/* Up to size bytes of the input into p, the rest zero. */
static void
take(const uint8_t **data, size_t *len, void *p, size_t size)
{
	size_t	 n = *len < size ? *len : size;

	memset(p, 0, size);
	memcpy(p, *data, n);
	*data += n;
	*len -= n;
}

static void
check_float(double v)
{
	char	 buf[MS_FLOAT_LEN];

	ms_fmt_float(v, buf);
	if (isnan(v)) {
		if (strcmp(buf, "NaN") != 0)
			abort();
		return;
	}
	if (strtod(buf, NULL) != v || signbit(strtod(buf, NULL)) != signbit(v))
		abort();
}

static void
check_lines(const struct ms_store *ms)
{
	char	*buf = NULL, *line, *p;
	size_t	 len = 0, spaces;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	if (ms_write_lines(ms, &tags, SIZE_MAX, fp) == -1)
		abort();
	fclose(fp);
	for (line = buf; *line != '\0'; line = p + 1) {
		if ((p = strchr(line, '\n')) == NULL)
			abort();
		for (spaces = 0; line < p; line++) {
			if ((unsigned char)*line < 0x20 ||
			    (unsigned char)*line >= 0x7f)
				abort();
			spaces += *line == ' ';
		}
		if (spaces != 2)
			abort();
	}
	free(buf);
	if ((fp = fopen("/dev/null", "w")) == NULL)
		abort();
	if (ms_write_prom(ms, &tags, names, fp) == -1)
		abort();
	fclose(fp);
}

static void
record(struct ms_store *ms, uint8_t type, const uint8_t **data, size_t *len)
{
	struct nbd_metric_conn	 mc;
	struct nbd_metric_sync	 msync;
	struct nbd_metric_login	 ml;
	struct nbd_metric_peer	 mp;
	struct nbd_metric_rss	 mr;
	struct nbd_key		 k;
	int64_t			 now;
	uint16_t		 n;
	double			 v;
	char			 url[64];

	switch (type % 10) {
	case 0:
		take(data, len, &mc, sizeof(mc));
		ms_add_conn(ms, &mc, tags.peer_id);
		break;
	case 1:
		take(data, len, &msync, sizeof(msync));
		ms_add_sync(ms, &msync);
		break;
	case 2:
		take(data, len, &ml, sizeof(ml));
		ms_add_login(ms, &ml);
		break;
	case 3:
		take(data, len, &mp, sizeof(mp));
		ms_peer_set(ms, &mp);
		break;
	case 4:
		take(data, len, &k, sizeof(k));
		ms_peer_del(ms, &k);
		break;
	case 5:
		take(data, len, &mr, sizeof(mr));
		ms_rss_set(ms, &mr);
		break;
	case 6:
		take(data, len, &now, sizeof(now));
		ms_trim(ms, now);
		break;
	case 7:
		take(data, len, &n, sizeof(n));
		ms_drop_oldest(ms, n);
		break;
	case 8:
		take(data, len, url, sizeof(url) - 1);
		url[sizeof(url) - 1] = '\0';
		if (ms_deployment(url) == NULL)
			abort();
		break;
	default:
		take(data, len, &v, sizeof(v));
		check_float(v);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ms_store	*ms = ms_store_new();
	uint8_t		 type;

	while (len > 0) {
		take(&data, &len, &type, sizeof(type));
		record(ms, type, &data, &len);
	}
	check_lines(ms);
	ms_store_free(ms);
	return 0;
}
