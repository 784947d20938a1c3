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

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logcap.h"

static FILE	*logcap_file;
static int	 logcap_saved = -1;

void
logcap_start(void)
{
	if (logcap_file != NULL)
		errx(1, "%s: already capturing", __func__);
	fflush(stderr);
	if ((logcap_file = tmpfile()) == NULL)
		err(1, "tmpfile");
	if ((logcap_saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fileno(logcap_file), STDERR_FILENO) == -1)
		err(1, "%s: dup", __func__);
}

int
logcap_count(const char *what)
{
	char	line[1024];
	int	count = 0;

	if (logcap_file == NULL)
		errx(1, "%s: not capturing", __func__);
	fflush(stderr);
	if (dup2(logcap_saved, STDERR_FILENO) == -1)
		err(1, "%s: dup2", __func__);
	close(logcap_saved);
	rewind(logcap_file);
	while (fgets(line, sizeof(line), logcap_file) != NULL)
		if (strstr(line, what) != NULL)
			count++;
	fclose(logcap_file);
	logcap_file = NULL;
	return count;
}
