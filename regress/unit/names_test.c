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

/* Every imsg type and every process has a name: the tables cannot drift. */

#include <stdio.h>
#include <string.h>

#include "netbirdd.h"

int
main(void)
{
	uint32_t	t;
	int		p, failed = 0;

	for (t = 0; t < IMSG_MAX; t++) {
		if (strcmp(imsg_type_name(t), "UNKNOWN") == 0) {
			printf("not ok - imsg type %u has no name\n", t);
			failed++;
		}
	}
	if (failed == 0)
		printf("ok - all %d imsg types have a name\n", IMSG_MAX);
	if (strcmp(imsg_type_name(IMSG_MAX), "UNKNOWN") == 0)
		printf("ok - a type past the end is UNKNOWN\n");
	else {
		printf("not ok - a type past the end is UNKNOWN\n");
		failed++;
	}
	for (p = 0; p < PROC_MAX; p++) {
		if (proc_names[p] == NULL || proc_names[p][0] == '\0') {
			printf("not ok - process %d has no name\n", p);
			failed++;
		}
	}
	if (failed == 0)
		printf("ok - all %d processes have a name\n", PROC_MAX);
	return failed != 0;
}
