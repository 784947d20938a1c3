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
 * STUN datagrams from the network (netbirdd/ice_stun.c) on hostile
 * bytes: the demultiplexer's test, the parser, and MESSAGE-INTEGRITY
 * with a fixed password (RFC 5769's, so that the seeds pass it).  A
 * request that parses is answered as the ice process would answer it,
 * and the answer must parse back.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ice.h"

#define PWD	"VOkJxbRl1RmTxUk/WvJxBt"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_stun	 st, back;
	uint8_t		 out[ICE_STUN_MAX];
	size_t		 n;
	int		 is, parsed, ok;

	is = ice_stun_is_stun(data, size);
	parsed = ice_stun_parse(data, size, &st) == 0;
	ok = ice_stun_integrity_ok(data, size, PWD);
	if ((parsed || ok) && !is)
		abort();
	if (!parsed)
		return 0;
	if (st.username[sizeof(st.username) - 1] != '\0')
		abort();
	if (ok && !st.has_integrity)
		abort();
	if (st.cls != ICE_STUN_REQUEST)
		return 0;
	if (st.mapped.ss_family != AF_UNSPEC)
		n = ice_stun_check_success(out, sizeof(out), st.tid,
		    &st.mapped, PWD);
	else
		n = ice_stun_check_error(out, sizeof(out), st.tid, 400, PWD);
	if (n == 0 || ice_stun_parse(out, n, &back) == -1 ||
	    memcmp(back.tid, st.tid, sizeof(st.tid)) != 0 ||
	    !ice_stun_integrity_ok(out, n, PWD))
		abort();
	return 0;
}
