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
 * The debug bundle's anonymiser (anon.c): public addresses, WireGuard
 * keys and domain names in free text are replaced, the same value by
 * the same replacement in every text given to one struct anon.
 */

#ifndef NBCTL_ANON_H
#define NBCTL_ANON_H

#include <stddef.h>

#define ANON_IN_MAX	(16 * 1024 * 1024)	/* bytes of one text */
#define ANON_OUT_MAX	(4 * ANON_IN_MAX)	/* bytes it may become */
#define ANON_MAP_MAX	65536	/* distinct values of one kind */

struct anon;

struct anon	*anon_new(void);
void		 anon_free(struct anon *);
char		*anon_text(struct anon *, const char *, size_t, size_t *);

#endif
