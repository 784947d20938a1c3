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
 * UAPI replies as another program might send them: the end-of-reply
 * scan and the parser (netbirdd/wg_uapi.c) must stay inside the buffer,
 * and a refused reply must leave nothing allocated.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device_info	 info;
	const char		*why;
	char			*buf;
	size_t			 end, i;
	int			 err;

	/* an exact-size copy, so a read past the end is caught */
	if ((buf = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if ((end = wg_uapi_reply_end(buf, size, 0)) > size)
		abort();
	why = wg_uapi_parse(buf, size, &info, &err);
	if (why != NULL && (info.peers != NULL || info.npeers != 0))
		abort();
	if (why == NULL) {
		if (end != size || err < 0 || info.listen_port > 65535)
			abort();
		for (i = 0; i < info.npeers; i++)
			if (info.peers[i].last_handshake < 0)
				abort();
		wg_info_free(&info);
	}
	free(buf);
	return 0;
}
