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
 * The dns process resolves host names for the chrooted children, which
 * cannot read the resolver configuration (OpenNTPD keeps DNS in its own
 * child for the same reason).  It is not chrooted, runs unprivileged
 * under its own seccomp list, and answers with addresses only.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <netdb.h>
#include <string.h>

#include "log.h"
#include "netbirdd.h"

static void	dns_preinit(void);
static void	dns_dispatch(struct imsgev *, struct imsg *);
static int	dns_name_ok(const char *);

static const struct proc_child dns_proc = {
	.proc = PROC_DNS,
	.preinit = dns_preinit,
	.dispatch = {
		[PROC_MGMT] = dns_dispatch,
		[PROC_SIGNAL] = dns_dispatch,
		[PROC_ICE] = dns_dispatch,
		[PROC_METRICS] = dns_dispatch,
	},
};

__dead void
dns_main(int debug, int verbose)
{
	proc_child_run(&dns_proc, debug, verbose);
}

/*
 * One lookup before the filter, so that glibc loads the NSS modules that
 * nsswitch.conf names: mapping a library later would be refused.
 */
static void
dns_preinit(void)
{
	struct addrinfo	hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
		freeaddrinfo(res);
}

static void
dns_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct dns_query	q;
	struct dns_answer	a;

	switch (imsg_get_type(imsg)) {
	case IMSG_DNS_QUERY:
		imsg_data_exact(imsg, &q, sizeof(q), __func__);
		if (memchr(q.host, '\0', sizeof(q.host)) == NULL)
			fatalx("%s: unterminated host name", __func__);
		dns_resolve(&q, &a);
		imsgev_compose(iev, IMSG_DNS_ANSWER, 0, 0, -1, &a, sizeof(a));
		break;
	default:
		fatalx("%s: unexpected %s from %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)),
		    proc_names[iev->proc]);
	}
}

/*
 * Names come from the configuration and from management (signal, STUN,
 * TURN, relay hosts): accept host names and address literals only.
 */
static int
dns_name_ok(const char *host)
{
	size_t	len = strlen(host);
	size_t	i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' &&
		    host[i] != '-' && host[i] != ':' && host[i] != '_')
			return 0;
	}
	return 1;
}

void
dns_resolve(const struct dns_query *q, struct dns_answer *a)
{
	struct addrinfo		 hints, *res, *ai;
	int			 rv;

	memset(a, 0, sizeof(*a));
	a->qid = q->qid;
	if (!dns_name_ok(q->host)) {
		log_warnx("refusing to resolve a malformed host name");
		a->error = EAI_NONAME;
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rv = getaddrinfo(q->host, NULL, &hints, &res)) != 0) {
		log_debug("resolve %s: %s", q->host, gai_strerror(rv));
		a->error = rv;
		return;
	}
	for (ai = res; ai != NULL && a->naddrs < NBD_DNS_MAX_ADDRS;
	    ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(a->addrs[0]))
			continue;
		memcpy(&a->addrs[a->naddrs], ai->ai_addr, ai->ai_addrlen);
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)&a->addrs[a->naddrs])->sin_port =
			    htons(q->port);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)
			    &a->addrs[a->naddrs])->sin6_port = htons(q->port);
		else
			continue;
		a->naddrs++;
	}
	freeaddrinfo(res);
	log_debug("resolve %s: %u addresses", q->host, a->naddrs);
}
