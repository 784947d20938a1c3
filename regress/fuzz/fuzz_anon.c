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
 * The debug bundle's anonymiser (netbirdctl/anon.c) on any bytes: no
 * memory error, output NUL-terminated at its length and within the
 * growth a replacement allows, and the same text given twice to one
 * anonymiser comes out the same both times.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anon	*a;
	char		*o1, *o2;
	size_t		 l1, l2;

	if ((a = anon_new()) == NULL)
		abort();
	if ((o1 = anon_text(a, (const char *)data, size, &l1)) == NULL ||
	    (o2 = anon_text(a, (const char *)data, size, &l2)) == NULL)
		abort();
	/* "2::" (3 bytes) becomes "2001:db8:ffff::ffff" at most (19) */
	if (o1[l1] != '\0' || l1 > 7 * size || l1 != l2 ||
	    memcmp(o1, o2, l1) != 0)
		abort();
	free(o1);
	free(o2);
	anon_free(a);
	return 0;
}
