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
 * NaCl boxes as NetBird's management and signal messages carry them: 24
 * random nonce bytes, then crypto_box_easy's output (tag, ciphertext).
 * The key is the precomputed shared key (crypto_box_beforenm) that the
 * parent hands out: the private key never leaves the parent.
 */

#ifndef NBD_BOX_H
#define NBD_BOX_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>

#define BOX_KEY_LEN	crypto_box_BEFORENMBYTES
#define BOX_OVERHEAD	(crypto_box_NONCEBYTES + crypto_box_MACBYTES)

uint8_t	*box_seal(const uint8_t [BOX_KEY_LEN], const ProtobufCMessage *,
	    size_t *);
uint8_t	*box_open(const uint8_t [BOX_KEY_LEN], const uint8_t *, size_t,
	    size_t *, const char **);

#endif
