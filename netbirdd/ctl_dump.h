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
 * What the parent gives netbirdctl's debug bundle (ctl_dump.c): the
 * configuration (IMSG_CTL_SHOW_CONFIG) and the applied network map
 * (IMSG_CTL_SHOW_NETMAP) as text, sent as IMSG_CTL_TEXT chunks and
 * IMSG_CTL_END.  The client anonymises; nothing here does.
 */

#ifndef NBD_CTL_DUMP_H
#define NBD_CTL_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct imsgev;
struct nbd_config;
struct netmap;

/* printconf.c: print_config()'s text, to any stream. */
void	fprint_config(FILE *, const struct nbd_config *);

/* ctl_dump.c */
int	dump_config(const struct nbd_config *, FILE *);
int	dump_netmap(struct netmap *, FILE *);
void	ctl_text_send(struct imsgev *, uint32_t, const char *, size_t);
void	ctl_send_config(struct imsgev *, uint32_t,
	    const struct nbd_config *);
void	ctl_send_netmap(struct imsgev *, uint32_t, struct netmap *);

#endif
