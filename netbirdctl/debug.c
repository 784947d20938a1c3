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
 * netbirdctl debug bundle FILE [-L logfile]: what the daemon says of
 * itself, gathered on one connection a request, anonymised as one, and
 * written as a gzip'd tar to FILE, which must not exist yet.  Everything
 * is in memory before FILE is made; a failure after that removes it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anon.h"
#include "bundle.h"
#include "netbirdd.h"
#include "netbirdctl.h"
#include "parser.h"

#define LOG_TAIL_MAX	(16 * 1024 * 1024)	/* bytes of the log kept */

enum bundle_part {
	PART_STATUS,
	PART_CONFIG,
	PART_NETMAP,
	PART_METRICS,
	PART_LOG,
	PART_MAX
};

static const char *const part_names[PART_MAX] = {
	[PART_STATUS] =		"status.txt",
	[PART_CONFIG] =		"config.txt",
	[PART_NETMAP] =		"network_map.json",
	[PART_METRICS] =	"metrics.txt",
	[PART_LOG] =		"client.log",
};

struct text {
	char	*buf;
	size_t	 len;
};

static FILE	*mem_open(struct text *);
static void	 mem_close(FILE *);
static void	 ask_status(const char *, const struct parse_result *,
		    struct show_ctx *, struct text *);
static void	 ask_text(const char *, const struct parse_result *,
		    enum actions, struct show_ctx *, struct text *);
static void	 read_log(const char *, struct text *);
static size_t	 line_start(const char *, size_t);
static void	 readme(const struct text *, const char *, struct text *);
static void	 write_bundle(const char *, const struct bundle_file *, size_t);

static FILE *
mem_open(struct text *t)
{
	FILE	*f;

	memset(t, 0, sizeof(*t));
	if ((f = open_memstream(&t->buf, &t->len)) == NULL)
		err(1, "open_memstream");
	return f;
}

static void
mem_close(FILE *f)
{
	if (fclose(f) == EOF)
		err(1, "open_memstream");
}

void
debug_bundle(const char *sockname, const struct parse_result *res,
    struct show_ctx *ctx)
{
	struct parse_result	 req = *res;
	struct bundle_file	 files[PART_MAX + 1];
	struct text		 raw[PART_MAX], clean[PART_MAX], rd;
	struct stat		 sb;
	struct anon		*a;
	size_t			 i, n = 0;

	if (lstat(res->path, &sb) == 0)
		errx(1, "%s: %s", res->path, strerror(EEXIST));
	memset(raw, 0, sizeof(raw));
	ask_status(sockname, res, ctx, &raw[PART_STATUS]);
	ask_text(sockname, res, SHOW_CONFIG, ctx, &raw[PART_CONFIG]);
	ask_text(sockname, res, SHOW_NETMAP, ctx, &raw[PART_NETMAP]);
	req.metrics_format = CTL_METRICS_LINE;
	ask_text(sockname, &req, SHOW_METRICS, ctx, &raw[PART_METRICS]);
	if (res->logfile != NULL)
		read_log(res->logfile, &raw[PART_LOG]);

	if ((a = anon_new()) == NULL)
		err(1, "anon_new");
	memset(files, 0, sizeof(files));
	for (i = 0; i < PART_MAX; i++) {
		clean[i] = raw[i];
		if (raw[i].buf == NULL)
			continue;
		if ((clean[i].buf = anon_text(a, raw[i].buf, raw[i].len,
		    &clean[i].len)) == NULL)
			err(1, "anonymising %s", part_names[i]);
		if (i == PART_METRICS && clean[i].len == 0)
			continue;
		files[n].name = part_names[i];
		files[n].data = clean[i].buf;
		files[n].len = clean[i].len;
		files[n++].mtime = ctx->now;
	}
	anon_free(a);
	readme(&clean[PART_METRICS], res->logfile, &rd);
	files[n].name = "README.txt";
	files[n].data = rd.buf;
	files[n].len = rd.len;
	files[n++].mtime = ctx->now;
	write_bundle(res->path, files, n);
	for (i = 0; i < PART_MAX; i++) {
		if (clean[i].buf != raw[i].buf)
			free(clean[i].buf);
		free(raw[i].buf);
	}
	free(rd.buf);
}

/* What show status -d prints, then what show peers -d prints. */
static void
ask_status(const char *sockname, const struct parse_result *res,
    struct show_ctx *ctx, struct text *t)
{
	FILE	*f, *out = ctx->out;

	ctx->out = f = mem_open(t);
	show_status(sockname, res, 1, ctx);
	if (ctx->status != 0)
		exit(1);
	fputc('\n', f);
	ctl_ask(sockname, res, SHOW_PEERS_DETAIL, ctx);
	ctx->out = out;
	mem_close(f);
	if (ctx->status != 0)
		exit(1);
}

static void
ask_text(const char *sockname, const struct parse_result *res,
    enum actions action, struct show_ctx *ctx, struct text *t)
{
	FILE	*f, *out = ctx->out;

	ctx->out = f = mem_open(t);
	ctl_ask(sockname, res, action, ctx);
	ctx->out = out;
	mem_close(f);
	if (ctx->status != 0)
		exit(1);
}

/* The last LOG_TAIL_MAX bytes of the log or less, from a line's start. */
static void
read_log(const char *path, struct text *t)
{
	struct stat	 sb;
	off_t		 off = 0;
	size_t		 want, got = 0, start;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		err(1, "%s", path);
	if (fstat(fd, &sb) == -1)
		err(1, "%s", path);
	if (!S_ISREG(sb.st_mode))
		errx(1, "%s: not a regular file", path);
	/* One byte more, to know whether the tail begins a line. */
	if (sb.st_size > LOG_TAIL_MAX)
		off = sb.st_size - LOG_TAIL_MAX - 1;
	want = sb.st_size - off;
	if ((t->buf = malloc(want + 1)) == NULL)
		err(1, "%s", path);
	while (got < want) {
		if ((r = pread(fd, t->buf + got, want - got, off + got)) == -1)
			err(1, "%s", path);
		if (r == 0)
			break;
		got += r;
	}
	close(fd);
	start = off > 0 ? line_start(t->buf, got) : 0;
	memmove(t->buf, t->buf + start, got - start);
	t->len = got - start;
	t->buf[t->len] = '\0';
}

/* Where the first whole line of buf begins: after its first newline. */
static size_t
line_start(const char *buf, size_t len)
{
	const char	*nl;

	if ((nl = memchr(buf, '\n', len)) == NULL)
		return len;
	return nl - buf + 1;
}

/* bundle_readme(), and what this bundle left out. */
static void
readme(const struct text *metrics, const char *logfile, struct text *t)
{
	FILE	*f;

	f = mem_open(t);
	fprintf(f, "%s\nThis bundle\n\n", bundle_readme());
	if (metrics->len == 0)
		fprintf(f, "metrics.txt is not included: no metrics were "
		    "waiting to be pushed.\n");
	if (logfile == NULL)
		fprintf(f, "No log was included: client.log is missing, as no "
		    "log file was named\n(netbirdctl debug bundle FILE -L "
		    "logfile).\n");
	else
		fprintf(f, "client.log holds the last %d MiB of the log or "
		    "less, from the start of\na line.\n",
		    LOG_TAIL_MAX / (1024 * 1024));
	mem_close(f);
}

/* Make path, which must not exist, and write the files; or remove it. */
static void
write_bundle(const char *path, const struct bundle_file *files, size_t n)
{
	struct stat	sb;
	char		why[256];
	int		fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		err(1, "%s", path);
	if (bundle_write(fd, files, n, why, sizeof(why)) == -1)
		goto fail;
	if (fstat(fd, &sb) == -1 || fsync(fd) == -1) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	printf("debug bundle written to %s, %lld bytes\n", path,
	    (long long)sb.st_size);
	return;
 fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	errx(1, "%s: %s", path, why);
}
