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

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "key.h"

/* Encode a key as wg(8) does: 44 characters of standard base64. */
int
key_to_base64(const uint8_t key[KEY_LEN], char *out, size_t outlen)
{
	if (outlen < KEY_B64_LEN + 1)
		return -1;
	sodium_bin2base64(out, outlen, key, KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* Decode exactly one key; anything else (length, alphabet) is refused. */
int
key_from_base64(const char *in, uint8_t key[KEY_LEN])
{
	size_t		 len;
	const char	*end;

	if (strlen(in) != KEY_B64_LEN)
		return -1;
	if (sodium_base642bin(key, KEY_LEN, in, KEY_B64_LEN, NULL, &len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (len != KEY_LEN || *end != '\0')
		return -1;
	return 0;
}
