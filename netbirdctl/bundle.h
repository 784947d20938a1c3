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
 * The debug bundle's archive (bundle.c): flat POSIX ustar, gzip
 * compressed, every member a regular file of mode 0600 owned by 0:0.
 */

#ifndef NBCTL_BUNDLE_H
#define NBCTL_BUNDLE_H

#include <stddef.h>
#include <time.h>

#define BUNDLE_NAME_MAX		99	/* ustar name, NUL kept */
#define BUNDLE_FILES_MAX	64
#define BUNDLE_FILE_MAX		(1024 * 1024 * 1024)	/* bytes */

struct bundle_file {
	const char	*name;		/* [A-Za-z0-9._-], not ".*" */
	const void	*data;		/* may be NULL when len is 0 */
	size_t		 len;
	time_t		 mtime;
};

int		 bundle_write(int, const struct bundle_file *, size_t,
		    char *, size_t);
const char	*bundle_name_invalid(const char *);
const char	*bundle_readme(void);

#endif
