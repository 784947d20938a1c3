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
 * Candidate strings from the remote (netbirdd/ice_cand.c) on hostile
 * bytes.  The input is the string; it is also handed over unterminated
 * when it is at least ICE_CAND_STR_MAX long, which the parser must
 * bound itself.  What parses must print, and the printed form must
 * parse to the same print again.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"

#define PRINT_MAX	1024	/* a print may be longer than its input */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_cand	 c, c2;
	const char	*why = NULL;
	char		*s, out[PRINT_MAX], out2[PRINT_MAX];
	int		 n;

	if (size >= ICE_CAND_STR_MAX &&
	    memchr(data, '\0', ICE_CAND_STR_MAX) == NULL) {
		if (ice_cand_parse((const char *)data, &c, &why) == 0 ||
		    why == NULL)
			abort();
	}
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (ice_cand_parse(s, &c, &why) == -1) {
		if (why == NULL)
			abort();
		free(s);
		return 0;
	}
	free(s);
	if (c.component != 1 || c.foundation[sizeof(c.foundation) - 1] ||
	    c.ufrag[sizeof(c.ufrag) - 1] || c.cid[sizeof(c.cid) - 1])
		abort();
	if ((n = ice_cand_print(&c, out, sizeof(out))) < 0 ||
	    (size_t)n != strlen(out))
		abort();
	if (n >= ICE_CAND_STR_MAX)
		return 0;
	if (ice_cand_parse(out, &c2, &why) == -1)
		abort();
	if (ice_cand_print(&c2, out2, sizeof(out2)) != n ||
	    strcmp(out, out2) != 0)
		abort();
	if (c2.type != c.type || c2.priority != c.priority ||
	    !ice_addr_eq(&c2.addr, &c.addr))
		abort();
	return 0;
}
