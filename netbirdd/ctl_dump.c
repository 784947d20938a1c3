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
 * The parent's dumps for the debug bundle.
 *
 * The configuration is what netbirdd -n prints: the setup key itself is
 * never in it (a comment says whether there is one; a key file is named
 * by its path).
 *
 * The network map is JSON, two-space indented:
 *   {
 *     "serial": <number>,		the map's serial
 *     "address": "<ip/len>" | null,	our overlay address
 *     "fqdn": "<name>",		ours
 *     "mtu": <number>,			management's; 0: none sent
 *     "peer_count": <number>,
 *     "peers": [			in key order
 *       { "public_key": "<base64>", "fqdn": "<name>",
 *         "address": "<ip/32>" | null,	the first IPv4 allowed IP
 *         "allowed_ips": [ "<ip/len>", ... ],
 *         "endpoint_set": <bool> }	ice has set a WireGuard endpoint
 *     ]
 *   }
 * or null before the first map.  Names are escaped so that the output
 * is always valid JSON: '"', '\' and bytes outside printable ASCII as
 * \u00XX.  Keys are as they are: the client anonymises the bundle.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_dump.h"
#include "key.h"
#include "log.h"
#include "nbd_ctl.h"
#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

static void	json_str(FILE *, const char *, size_t);
static void	json_prefix(FILE *, const struct wg_prefix *);
static void	json_peer(FILE *, const struct nm_peer *);

int
dump_config(const struct nbd_config *conf, FILE *f)
{
	fprint_config(f, conf);
	return ferror(f) ? -1 : 0;
}

int
dump_netmap(struct netmap *m, FILE *f)
{
	struct nm_peer	*p;
	int		 first = 1;

	if (m == NULL) {
		fprintf(f, "null\n");
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, "{\n  \"serial\": %" PRIu64 ",\n  \"address\": ",
	    m->serial);
	json_prefix(f, &m->address);
	fprintf(f, ",\n  \"fqdn\": ");
	json_str(f, m->fqdn, sizeof(m->fqdn));
	fprintf(f, ",\n  \"mtu\": %u,\n  \"peer_count\": %" PRIu32
	    ",\n  \"peers\": [", m->mtu, m->npeers);
	RB_FOREACH(p, nm_peers, &m->peers) {
		fprintf(f, "%s\n", first ? "" : ",");
		json_peer(f, p);
		first = 0;
	}
	fprintf(f, "%s]\n}\n", first ? "" : "\n  ");
	return ferror(f) ? -1 : 0;
}

/*
 * A reply of any length: IMSG_CTL_TEXT chunks of 1 to CTL_TEXT_MAX
 * bytes, then IMSG_CTL_END; an empty text is END alone.
 */
void
ctl_text_send(struct imsgev *iev, uint32_t id, const char *text, size_t len)
{
	size_t	n;

	while (len > 0) {
		n = MINIMUM(len, CTL_TEXT_MAX);
		if (imsg_compose(&iev->ibuf, IMSG_CTL_TEXT, id, 0, -1, text,
		    n) == -1)
			fatal("%s: imsg_compose", __func__);
		text += n;
		len -= n;
	}
	if (imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
}

void
ctl_send_config(struct imsgev *iev, uint32_t id,
    const struct nbd_config *conf)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	if (dump_config(conf, f) == -1 || fclose(f) == EOF)
		fatal("%s", __func__);
	ctl_text_send(iev, id, buf, len);
	free(buf);
}

void
ctl_send_netmap(struct imsgev *iev, uint32_t id, struct netmap *m)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		fatal("%s: open_memstream", __func__);
	if (dump_netmap(m, f) == -1 || fclose(f) == EOF)
		fatal("%s", __func__);
	ctl_text_send(iev, id, buf, len);
	free(buf);
}

/* At most max bytes of s, which the map's checks have terminated. */
static void
json_str(FILE *f, const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	fputc('"', f);
	for (i = 0; i < max && p[i] != '\0'; i++) {
		if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] > 0x7e)
			fprintf(f, "\\u%04x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('"', f);
}

static void
json_prefix(FILE *f, const struct wg_prefix *p)
{
	char	buf[INET6_ADDRSTRLEN + sizeof("/128")];

	if (p->af == 0) {
		fprintf(f, "null");
		return;
	}
	if (wg_prefix_ntop(p, buf, sizeof(buf)) == -1)
		fatalx("%s: address family %d", __func__, p->af);
	json_str(f, buf, sizeof(buf));
}

static void
json_peer(FILE *f, const struct nm_peer *p)
{
	char	key[KEY_B64_LEN + 1];
	size_t	i;

	if (key_to_base64(p->key, key, sizeof(key)) == -1)
		fatalx("%s: key_to_base64", __func__);
	fprintf(f, "    {\n      \"public_key\": \"%s\",\n      \"fqdn\": ",
	    key);
	json_str(f, p->fqdn, sizeof(p->fqdn));
	fprintf(f, ",\n      \"address\": ");
	json_prefix(f, &p->address);
	fprintf(f, ",\n      \"allowed_ips\": [");
	for (i = 0; i < p->nallowed; i++) {
		fprintf(f, "%s", i == 0 ? "" : ", ");
		json_prefix(f, &p->allowed[i]);
	}
	fprintf(f, "],\n      \"endpoint_set\": %s\n    }",
	    p->endpoint ? "true" : "false");
}
