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
 * netbirdd -nv: every setting, defaults included, in the order of
 * netbirdd.conf(5), as configuration text that parses again.  A setup key
 * given in the configuration itself is never printed; a comment says it
 * is there, so the output parses but carries no key.  A key read from a
 * file prints as that file, which is read again when the output is parsed.
 * The parser keeps strings free of '"' and control characters, so they
 * print quoted as they are.
 */

#include <arpa/inet.h>

#include <stdio.h>

#include "ctl_dump.h"
#include "log.h"
#include "netbirdd.h"

static void	 print_management(FILE *, const struct nbd_config *);
static void	 print_interface(FILE *, const struct nbd_config *);
static void	 print_wireguard(FILE *, const struct nbd_config *);
static void	 print_logging(FILE *, const struct nbd_config *);
static void	 print_metrics(FILE *, const struct nbd_config *);
static void	 print_listen(FILE *, const struct sockaddr_storage *);

void
print_config(const struct nbd_config *conf)
{
	fprint_config(stdout, conf);
	fflush(stdout);
}

/* The same text to any stream: netbirdctl's debug bundle asks for it. */
void
fprint_config(FILE *f, const struct nbd_config *conf)
{
	print_management(f, conf);
	print_interface(f, conf);
	print_wireguard(f, conf);
	fprintf(f, "state-dir \"%s\"\n", conf->state_dir);
	print_logging(f, conf);
	print_metrics(f, conf);
}

static void
print_management(FILE *f, const struct nbd_config *conf)
{
	fprintf(f, "management \"%s\"\n", conf->mgmt_url);
	if (conf->setup_key_file[0] != '\0')
		fprintf(f, "setup-key file \"%s\"\n", conf->setup_key_file);
	else if (conf->setup_key[0] != '\0')
		fprintf(f, "# setup-key hidden\n");
	else
		fprintf(f, "# setup-key not set\n");
}

static void
print_interface(FILE *f, const struct nbd_config *conf)
{
	fprintf(f, "interface \"%s\"\n", conf->ifname);
	fprintf(f, "port %u\n", conf->wg_port);
	fprintf(f, "mtu %u\n", conf->mtu);
}

static void
print_wireguard(FILE *f, const struct nbd_config *conf)
{
	switch (conf->wg_backend) {
	case WG_BACKEND_AUTO:
		fprintf(f, "wireguard auto \"%s\"\n", conf->wg_userspace);
		break;
	case WG_BACKEND_KERNEL:
		fprintf(f, "wireguard kernel\n");
		break;
	case WG_BACKEND_USERSPACE:
		fprintf(f, "wireguard userspace \"%s\"\n", conf->wg_userspace);
		break;
	default:
		fatalx("%s: unknown backend %d", __func__, conf->wg_backend);
	}
}

static void
print_logging(FILE *f, const struct nbd_config *conf)
{
	switch (conf->log_level) {
	case NBD_LOG_WARNING:
		fprintf(f, "log level warning\n");
		break;
	case NBD_LOG_INFO:
		fprintf(f, "log level info\n");
		break;
	case NBD_LOG_DEBUG:
		fprintf(f, "log level debug\n");
		break;
	default:
		fatalx("%s: unknown level %d", __func__, conf->log_level);
	}
}

static void
print_metrics(FILE *f, const struct nbd_config *conf)
{
	switch (conf->metrics_push) {
	case METRICS_PUSH_AUTO:
		fprintf(f, "metrics push auto\n");
		break;
	case METRICS_PUSH_YES:
		fprintf(f, "metrics push yes\n");
		break;
	case METRICS_PUSH_NO:
		fprintf(f, "metrics push no\n");
		break;
	default:
		fatalx("%s: unknown mode %d", __func__, conf->metrics_push);
	}
	if (conf->metrics_url[0] != '\0')
		fprintf(f, "metrics url \"%s\"\n", conf->metrics_url);
	fprintf(f, "metrics config-url \"%s\"\n", conf->metrics_config_url);
	if (conf->metrics_interval > 0)
		fprintf(f, "metrics interval %d\n", (int)conf->metrics_interval);
	print_listen(f, &conf->metrics_listen);
}

static void
print_listen(FILE *f, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;
	char				 a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET)
		fprintf(f, "metrics listen on \"%s\" port %u\n",
		    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)),
		    ntohs(sin->sin_port));
	else if (ss->ss_family == AF_INET6)
		fprintf(f, "metrics listen on \"%s\" port %u\n",
		    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)),
		    ntohs(sin6->sin6_port));
}
