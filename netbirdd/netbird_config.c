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
 * The check of IMSG_MGMT_CONFIG, made by the parent on what mgmt sends
 * and again by signal, ice and metrics on what the parent forwards; and
 * of the peers the parent sends signal and ice.
 */

#include <sys/socket.h>

#include <string.h>

#include "netbirdd.h"

#define TERMINATED(s)	(memchr((s), '\0', sizeof(s)) != NULL)

/* NULL if c is well formed, else why not. */
const char *
netbird_config_invalid(const struct nbd_netbird_config *c)
{
	size_t	i;

	if (!TERMINATED(c->signal_uri))
		return "unterminated signal URI";
	if (c->signal_tls != 0 && c->signal_tls != 1)
		return "signal TLS neither 0 nor 1";
	if (c->nstun > NBD_SERVERS_MAX || c->nturn > NBD_SERVERS_MAX ||
	    c->nrelay > NBD_SERVERS_MAX)
		return "too many servers";
	for (i = 0; i < NBD_SERVERS_MAX; i++) {
		if (!TERMINATED(c->stun[i]) || !TERMINATED(c->relay[i]) ||
		    !TERMINATED(c->turn[i].uri))
			return "unterminated server URI";
		if (!TERMINATED(c->turn[i].user) ||
		    !TERMINATED(c->turn[i].password))
			return "unterminated TURN credentials";
	}
	if (!TERMINATED(c->relay_token_payload) ||
	    !TERMINATED(c->relay_token_signature))
		return "unterminated relay token";
	if (c->metrics_enabled < -1 || c->metrics_enabled > 1)
		return "metrics flag out of range";
	return NULL;
}

/*
 * IMSG_PEER_ADD, IMSG_PEER_UPDATE: a key, a name, an IPv4 host address
 * or none.  NULL if p is well formed, else why not.
 */
const char *
nbd_peer_invalid(const struct nbd_peer *p)
{
	static const uint8_t	zero[sizeof(p->key.key)];

	if (memcmp(p->key.key, zero, sizeof(zero)) == 0)
		return "all-zero key";
	if (!TERMINATED(p->fqdn))
		return "unterminated FQDN";
	if (!(p->address.af == AF_INET && p->address.plen == 32) &&
	    !(p->address.af == AF_UNSPEC && p->address.plen == 0))
		return "bad address";
	return NULL;
}
