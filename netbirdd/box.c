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

#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#include "log.h"
#include "box.h"

/*
 * A serialised message, boxed: nonce || crypto_box_easy_afternm(m).
 * The plaintext is wiped; the box has BOX_OVERHEAD bytes more.
 */
uint8_t *
box_seal(const uint8_t key[BOX_KEY_LEN], const ProtobufCMessage *m,
    size_t *outlen)
{
	uint8_t	*plain, *out;
	size_t	 plen;

	plen = protobuf_c_message_get_packed_size(m);
	if (plen > SIZE_MAX - BOX_OVERHEAD)
		fatalx("%s: message of %zu bytes", __func__, plen);
	if ((plain = malloc(plen + 1)) == NULL ||
	    (out = malloc(BOX_OVERHEAD + plen)) == NULL)
		fatal("%s", __func__);
	protobuf_c_message_pack(m, plain);
	randombytes_buf(out, crypto_box_NONCEBYTES);
	if (crypto_box_easy_afternm(out + crypto_box_NONCEBYTES, plain, plen,
	    out, key) != 0)
		fatalx("%s: crypto_box_easy_afternm", __func__);
	freezero(plain, plen + 1);
	*outlen = BOX_OVERHEAD + plen;
	return out;
}

/*
 * The plaintext of a box, or NULL with the reason.  One byte more is
 * allocated than the plaintext needs, so that an empty one is not a
 * malloc(0); free it with freezero(p, *plen + 1).
 */
uint8_t *
box_open(const uint8_t key[BOX_KEY_LEN], const uint8_t *box, size_t len,
    size_t *plen, const char **why)
{
	uint8_t	*out;

	if (len < BOX_OVERHEAD) {
		*why = "is too short to be encrypted";
		return NULL;
	}
	*plen = len - BOX_OVERHEAD;
	if ((out = malloc(*plen + 1)) == NULL)
		fatal("%s", __func__);
	if (crypto_box_open_easy_afternm(out, box + crypto_box_NONCEBYTES,
	    len - crypto_box_NONCEBYTES, box, key) != 0) {
		*why = "does not decrypt";
		freezero(out, *plen + 1);
		return NULL;
	}
	return out;
}
