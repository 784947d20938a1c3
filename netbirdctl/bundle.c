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
 * Writing the debug bundle: a POSIX ustar archive (512-byte header per
 * member, data padded to 512, two zero blocks, the whole padded to a
 * 10240-byte record) through zlib's gzip wrapper, to a descriptor.
 * Every member is checked before a byte is written, so a refused list
 * leaves the descriptor untouched.  Names are flat and plain: no
 * directories, nothing an extracting tar could take outside the
 * current directory, nothing a shell would trip on.
 */

#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#include "bundle.h"
#include "compat.h"

#define TAR_BLOCK	512
#define TAR_RECORD	(20 * TAR_BLOCK)
#define TAR_OCTAL_MAX	077777777777LL		/* 11 octal digits */
#define BZ_CHUNK	(64 * 1024)

struct bz {
	z_stream	 zs;
	int		 fd;
	uint64_t	 total;		/* tar bytes so far */
	char		*err;
	size_t		 errlen;
	unsigned char	 out[BZ_CHUNK];
};

static int	 bz_write(struct bz *, size_t);
static int	 bz_deflate(struct bz *, const void *, size_t, int);
static int	 bz_pad(struct bz *, size_t);
static int	 bz_member(struct bz *, const struct bundle_file *);
static const char *file_invalid(const struct bundle_file *, size_t,
		    const struct bundle_file *);
static void	 tar_octal(unsigned char *, size_t, uint64_t);
static void	 tar_header(unsigned char *, const struct bundle_file *);

static const unsigned char zeros[TAR_BLOCK];

static const char readme[] =
"netbirdd debug bundle\n"
"\n"
"Made by \"netbirdctl debug bundle\".  Files:\n"
"\n"
"README.txt        this text (not anonymised: it holds nothing of yours)\n"
"status.txt        netbirdctl show status -d and show peers -d\n"
"config.txt        the daemon's effective configuration, in netbirdd.conf\n"
"                  form; a setup key is never included, only the name of\n"
"                  a setup-key file\n"
"network_map.json  the network map the daemon applied: serial, our\n"
"                  address and name, each peer's key, name, address and\n"
"                  allowed IPs\n"
"metrics.txt       the metrics waiting to be pushed, InfluxDB line protocol\n"
"client.log        the most recent part of the daemon's log\n"
"\n"
"Anonymisation\n"
"\n"
"Every file but this one went through the same anonymiser, so a value\n"
"replaced in one file has the same replacement in all the others.\n"
"\n"
"- Public IPv4 addresses become 198.51.100.1, 198.51.100.2, ... (then\n"
"  198.51.101.0 and on), public IPv6 addresses 2001:db8:ffff::1,\n"
"  2001:db8:ffff::2, ...  Ports, prefix lengths and zones stay.\n"
"- Addresses that are not public stay as they are: private (10/8,\n"
"  172.16/12, 192.168/16, fc00::/7), shared 100.64/10 (the NetBird\n"
"  overlay), loopback, link-local, multicast, reserved and documentation\n"
"  ranges, and a few well-known public resolvers (8.8.8.8, 1.1.1.1,\n"
"  9.9.9.9 and their IPv6 twins).\n"
"- WireGuard keys (44 characters of base64 ending in '=') become\n"
"  AAAA...AAE=, AAAA...AAI=, ...: still keys in form, none real.\n"
"- Domain names become anon-1.domain, anon-2.domain, ...; names under\n"
"  netbird.io, netbird.cloud, netbird.selfhosted and netbird.stage stay,\n"
"  and so do file names (client.log, netbirdd.conf).\n"
"\n"
"Not anonymised: interface names, user names in file paths, peer names\n"
"under the NetBird domains, counters and times.  Read the files before\n"
"you share them.\n";

const char *
bundle_readme(void)
{
	return readme;
}

/* Why a member name is refused, or NULL. */
const char *
bundle_name_invalid(const char *name)
{
	size_t	i, n;
	char	c;

	if (name == NULL)
		return "no name";
	n = strnlen(name, BUNDLE_NAME_MAX + 1);
	if (n == 0)
		return "empty name";
	if (n > BUNDLE_NAME_MAX)
		return "name too long";
	if (name[0] == '.' || strstr(name, "..") != NULL)
		return "name with a leading dot or \"..\"";
	for (i = 0; i < n; i++) {
		c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return "bad character in name";
	}
	return NULL;
}

/*
 * Write the archive of n files to fd.  0, or -1 with a reason in err;
 * a failure after the checks may leave a partial archive in fd.
 */
int
bundle_write(int fd, const struct bundle_file *files, size_t n, char *err,
    size_t errlen)
{
	struct bz	*b;
	const char	*why;
	size_t		 i;
	int		 ret = -1;

	if (n > BUNDLE_FILES_MAX) {
		snprintf(err, errlen, "too many files");
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((why = file_invalid(files, i, &files[i])) != NULL) {
			snprintf(err, errlen, "%s: %s",
			    bundle_name_invalid(files[i].name) == NULL ?
			    files[i].name : "member", why);
			return -1;
		}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	b->fd = fd;
	b->err = err;
	b->errlen = errlen;
	if (deflateInit2(&b->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, errlen, "deflateInit2 failed");
		free(b);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (bz_member(b, &files[i]) == -1)
			goto done;
	if (bz_pad(b, 2 * TAR_BLOCK) == -1 ||
	    bz_pad(b, (TAR_RECORD - b->total % TAR_RECORD) % TAR_RECORD) == -1)
		goto done;
	if (bz_deflate(b, NULL, 0, Z_FINISH) == -1)
		goto done;
	ret = 0;
 done:
	deflateEnd(&b->zs);
	free(b);
	return ret;
}

static const char *
file_invalid(const struct bundle_file *files, size_t i,
    const struct bundle_file *f)
{
	const char	*why;
	size_t		 j;

	if ((why = bundle_name_invalid(f->name)) != NULL)
		return why;
	if (f->len > BUNDLE_FILE_MAX)
		return "too large";
	if (f->data == NULL && f->len > 0)
		return "no data";
	if (f->mtime < 0 || (long long)f->mtime > TAR_OCTAL_MAX)
		return "time out of range";
	for (j = 0; j < i; j++)
		if (strcmp(files[j].name, f->name) == 0)
			return "name given twice";
	return NULL;
}

/* size - 1 octal digits and a NUL; the caller made sure v fits. */
static void
tar_octal(unsigned char *p, size_t size, uint64_t v)
{
	size_t	i;

	p[size - 1] = '\0';
	for (i = size - 1; i > 0; i--) {
		p[i - 1] = '0' + (v & 7);
		v >>= 3;
	}
}

static void
tar_header(unsigned char *h, const struct bundle_file *f)
{
	unsigned int	sum = 0;
	size_t		i;

	memset(h, 0, TAR_BLOCK);
	memcpy(h, f->name, strlen(f->name));		/* name */
	tar_octal(h + 100, 8, 0600);			/* mode */
	tar_octal(h + 108, 8, 0);			/* uid */
	tar_octal(h + 116, 8, 0);			/* gid */
	tar_octal(h + 124, 12, f->len);			/* size */
	tar_octal(h + 136, 12, (uint64_t)f->mtime);	/* mtime */
	memset(h + 148, ' ', 8);			/* chksum, for now */
	h[156] = '0';					/* regular file */
	memcpy(h + 257, "ustar", 6);			/* magic, NUL */
	memcpy(h + 263, "00", 2);			/* version */
	for (i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	tar_octal(h + 148, 7, sum);			/* 6 digits, NUL */
	h[155] = ' ';
}

static int
bz_member(struct bz *b, const struct bundle_file *f)
{
	unsigned char	h[TAR_BLOCK];

	tar_header(h, f);
	if (bz_deflate(b, h, sizeof(h), Z_NO_FLUSH) == -1 ||
	    bz_deflate(b, f->data, f->len, Z_NO_FLUSH) == -1)
		return -1;
	return bz_pad(b, (TAR_BLOCK - f->len % TAR_BLOCK) % TAR_BLOCK);
}

static int
bz_pad(struct bz *b, size_t n)
{
	size_t	chunk;

	while (n > 0) {
		chunk = MINIMUM(n, sizeof(zeros));
		if (bz_deflate(b, zeros, chunk, Z_NO_FLUSH) == -1)
			return -1;
		n -= chunk;
	}
	return 0;
}

/* Feed n bytes (any number: fed in chunks) and write what comes out. */
static int
bz_deflate(struct bz *b, const void *p, size_t n, int flush)
{
	const unsigned char	*s = p != NULL ? p : zeros;
	size_t			 chunk;
	int			 r, last;

	b->total += n;
	do {
		chunk = MINIMUM(n, BZ_CHUNK);
		b->zs.next_in = s;
		b->zs.avail_in = chunk;
		s += chunk;
		n -= chunk;
		last = n == 0;
		do {
			b->zs.next_out = b->out;
			b->zs.avail_out = sizeof(b->out);
			r = deflate(&b->zs, last ? flush : Z_NO_FLUSH);
			if (r == Z_STREAM_ERROR) {
				snprintf(b->err, b->errlen, "deflate failed");
				return -1;
			}
			if (bz_write(b, sizeof(b->out) - b->zs.avail_out) == -1)
				return -1;
		} while (b->zs.avail_out == 0);
	} while (!last);
	if (flush == Z_FINISH && r != Z_STREAM_END) {
		snprintf(b->err, b->errlen, "deflate did not finish");
		return -1;
	}
	return 0;
}

static int
bz_write(struct bz *b, size_t len)
{
	const unsigned char	*p = b->out;
	ssize_t			 w;

	while (len > 0) {
		if ((w = write(b->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(b->err, b->errlen, "write: %s",
			    strerror(errno));
			return -1;
		}
		p += w;
		len -= w;
	}
	return 0;
}
