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
 * What the raw socket of the WireGuard port hands ice, decoded by
 * ice_raw_decode() (netbirdd/ice_raw.c).  The input is the packet,
 * copied to a buffer of exactly its size so that ASan sees any read
 * past it; the port asked for is 51820, as in the seeds.  Whatever
 * decodes must be IPv4 UDP to that port with its payload inside the
 * packet where the headers say.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netbirdd.h"
#include "ice.h"

#define WGPORT	51820

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sockaddr_storage	 src, dst;
	const struct sockaddr_in *sin;
	const uint8_t		*payload;
	uint8_t			*pkt;
	size_t			 plen, ihl;

	if ((pkt = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(pkt, data, len);
	if (ice_raw_decode(pkt, len, WGPORT, &src, &dst, &payload,
	    &plen) == 0) {
		ihl = (size_t)(pkt[0] & 0x0f) * 4;
		sin = (const struct sockaddr_in *)&dst;
		if (src.ss_family != AF_INET || dst.ss_family != AF_INET ||
		    ntohs(sin->sin_port) != WGPORT ||
		    payload != pkt + ihl + 8 || plen > len - ihl - 8 ||
		    plen + 8 != (size_t)(pkt[ihl + 4] << 8 | pkt[ihl + 5]))
			abort();
	}
	free(pkt);
	return 0;
}
