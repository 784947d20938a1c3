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
 * Unit tests for the parent's debug dumps (netbirdd/ctl_dump.c): the
 * configuration never carries the setup key; the network map as JSON,
 * exact, escaped, and valid for Python's json module; a long text goes
 * out as IMSG_CTL_TEXT chunks of at most CTL_TEXT_MAX bytes and END.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>

#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_dump.h"
#include "imsg.h"
#include "nbd_ctl.h"
#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

#define SECRET	"0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"

static int	 failed;

static void	 check(int, const char *);
static char	*dump(int (*)(FILE *, void *), void *, size_t *);
static int	 dump_conf_cb(FILE *, void *);
static int	 dump_map_cb(FILE *, void *);
static struct nbd_prefix pfx(const char *);
static struct netmap *map_build(void);
static int	 json_valid(const char *);
static char	*print_config_out(const struct nbd_config *, size_t *);
static void	 test_config(void);
static void	 test_netmap(void);
static void	 test_text_send(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static char *
dump(int (*cb)(FILE *, void *), void *arg, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;

	if ((f = open_memstream(&buf, len)) == NULL || cb(f, arg) == -1 ||
	    fclose(f) == EOF) {
		fprintf(stderr, "dump failed\n");
		exit(1);
	}
	return buf;
}

static int
dump_conf_cb(FILE *f, void *arg)
{
	return dump_config(arg, f);
}

static int
dump_map_cb(FILE *f, void *arg)
{
	return dump_netmap(arg, f);
}

static struct nbd_prefix
pfx(const char *s)
{
	struct wg_prefix	w;
	struct nbd_prefix	p;

	if (wg_prefix_pton(s, &w) == -1) {
		fprintf(stderr, "bad prefix in test: %s\n", s);
		exit(1);
	}
	memset(&p, 0, sizeof(p));
	p.af = w.af;
	p.plen = w.plen;
	memcpy(p.addr, &w.addr, w.af == AF_INET ? 4 : 16);
	return p;
}

/*
 * Two peers through the real receiving path; the second has a hostile
 * name and no IPv4 address.
 */
static struct netmap *
map_build(void)
{
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nbd_netmap_end	 e;
	struct netmap		*m = NULL;
	uint8_t			 ours[WG_KEY_LEN];

	memset(ours, 0xee, sizeof(ours));
	memset(&b, 0, sizeof(b));
	b.serial = 7;
	b.address = pfx("100.64.0.5/16");
	strlcpy(b.fqdn, "self.netbird.cloud", sizeof(b.fqdn));
	b.npeers = 2;
	b.mtu = 1280;
	if (netmap_rx_begin(&rx, &b) != NULL)
		goto bad;
	memset(&p, 0, sizeof(p));
	memset(p.key.key, 1, sizeof(p.key.key));
	strlcpy(p.fqdn, "a.netbird.cloud", sizeof(p.fqdn));
	p.nallowed = 3;
	p.allowed[0] = pfx("100.64.0.7/32");
	p.allowed[1] = pfx("10.1.0.0/16");
	p.allowed[2] = pfx("2a01:4f8::/64");
	if (netmap_rx_peer(&rx, &p, ours) != NULL)
		goto bad;
	memset(&p, 0, sizeof(p));
	memset(p.key.key, 2, sizeof(p.key.key));
	strlcpy(p.fqdn, "q\"\\\n\x7f\xc3", sizeof(p.fqdn));
	p.nallowed = 1;
	p.allowed[0] = pfx("2a01:4f8:1::/48");
	if (netmap_rx_peer(&rx, &p, ours) != NULL)
		goto bad;
	e.serial = 7;
	e.npeers = 2;
	if (netmap_rx_end(&rx, &e, &m) != NULL)
		goto bad;
	return m;
 bad:
	fprintf(stderr, "map_build failed\n");
	exit(1);
}

static int
json_valid(const char *text)
{
	FILE	*p;

	if ((p = popen("/usr/bin/python3 -c 'import json, sys; "
	    "json.load(sys.stdin)'", "w")) == NULL)
		return 0;
	fputs(text, p);
	return pclose(p) == 0;
}

/* What print_config(), netbirdd -n, writes to stdout. */
static char *
print_config_out(const struct nbd_config *conf, size_t *len)
{
	FILE	*tmp;
	char	*buf;
	long	 n;
	int	 saved;

	fflush(stdout);
	if ((tmp = tmpfile()) == NULL || (saved = dup(STDOUT_FILENO)) == -1 ||
	    dup2(fileno(tmp), STDOUT_FILENO) == -1)
		exit(1);
	print_config(conf);
	if (dup2(saved, STDOUT_FILENO) == -1)
		exit(1);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	if (n == -1 || (buf = calloc(1, n + 1)) == NULL ||
	    pread(fileno(tmp), buf, n, 0) != n)
		exit(1);
	fclose(tmp);
	*len = n;
	return buf;
}

static void
test_config(void)
{
	struct nbd_config	 conf;
	char			*out, *want;
	size_t			 len, wlen;
	const char		*head = "management "
	    "\"https://api.example.com:443\"\n# setup-key hidden\n"
	    "interface \"wt0\"\nport 51820\nmtu 1280\n";

	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.mgmt_url, "https://api.example.com:443",
	    sizeof(conf.mgmt_url));
	strlcpy(conf.setup_key, SECRET, sizeof(conf.setup_key));
	strlcpy(conf.ifname, "wt0", sizeof(conf.ifname));
	strlcpy(conf.wg_userspace, "/usr/bin/wireguard-go",
	    sizeof(conf.wg_userspace));
	strlcpy(conf.state_dir, "/var/lib/netbirdd", sizeof(conf.state_dir));
	conf.wg_port = 51820;
	conf.mtu = 1280;
	conf.wg_backend = WG_BACKEND_USERSPACE;
	conf.log_level = NBD_LOG_INFO;
	conf.metrics_push = METRICS_PUSH_NO;
	out = dump(dump_conf_cb, &conf, &len);
	check(strstr(out, SECRET) == NULL && strstr(out, "0F1E2D3C") == NULL,
	    "config: the setup key is not in it");
	check(strncmp(out, head, strlen(head)) == 0 &&
	    strstr(out, "state-dir \"/var/lib/netbirdd\"\n") != NULL,
	    "config: netbirdd.conf grammar");
	want = print_config_out(&conf, &wlen);
	check(len == wlen && memcmp(out, want, len) == 0,
	    "config: the same bytes as netbirdd -n");
	free(want);
	free(out);

	strlcpy(conf.setup_key_file, "/etc/netbirdd/setup.key",
	    sizeof(conf.setup_key_file));
	out = dump(dump_conf_cb, &conf, &len);
	check(strstr(out, SECRET) == NULL &&
	    strstr(out, "setup-key file \"/etc/netbirdd/setup.key\"\n") != NULL,
	    "config: a key file by its path, the key not");
	free(out);
}

static void
test_netmap(void)
{
	struct netmap	*m;
	char		*out;
	size_t		 len;
	const char	*want =
	    "{\n"
	    "  \"serial\": 7,\n"
	    "  \"address\": \"100.64.0.5/16\",\n"
	    "  \"fqdn\": \"self.netbird.cloud\",\n"
	    "  \"mtu\": 1280,\n"
	    "  \"peer_count\": 2,\n"
	    "  \"peers\": [\n"
	    "    {\n"
	    "      \"public_key\": "
	    "\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\",\n"
	    "      \"fqdn\": \"a.netbird.cloud\",\n"
	    "      \"address\": \"100.64.0.7/32\",\n"
	    "      \"allowed_ips\": [\"10.1.0.0/16\", \"100.64.0.7/32\", "
	    "\"2a01:4f8::/64\"],\n"
	    "      \"endpoint_set\": false\n"
	    "    },\n"
	    "    {\n"
	    "      \"public_key\": "
	    "\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\",\n"
	    "      \"fqdn\": \"q\\\"\\\\\\u000a\\u007f\\u00c3\",\n"
	    "      \"address\": null,\n"
	    "      \"allowed_ips\": [\"2a01:4f8:1::/48\"],\n"
	    "      \"endpoint_set\": false\n"
	    "    }\n"
	    "  ]\n"
	    "}\n";

	out = dump(dump_map_cb, NULL, &len);
	check(strcmp(out, "null\n") == 0, "netmap: null before a map");
	free(out);

	m = map_build();
	out = dump(dump_map_cb, m, &len);
	check(len == strlen(want) && strcmp(out, want) == 0,
	    "netmap: fields, key order, escaped name");
	if (strcmp(out, want) != 0)
		fprintf(stderr, "%s", out);
	check(json_valid(out), "netmap: valid JSON");
	free(out);
	netmap_free(m);
}

static void
test_text_send(void)
{
	struct imsgev	 iev;
	struct imsgbuf	 rb;
	struct imsg	 imsg;
	char		*text, *got;
	size_t		 n = 3 * CTL_TEXT_MAX + 100, off = 0, chunks = 0;
	int		 sv[2], bad = 0, end = 0, ends = 0;
	ssize_t		 r;

	if ((text = malloc(n)) == NULL || (got = malloc(n)) == NULL)
		exit(1);
	for (off = 0; off < n; off++)
		text[off] = 'a' + off % 26;
	off = 0;
	event_init();
	memset(&iev, 0, sizeof(iev));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    imsgbuf_init(&iev.ibuf, sv[0]) == -1 ||
	    imsgbuf_init(&rb, sv[1]) == -1)
		exit(1);
	ctl_text_send(&iev, 42, text, n);
	ctl_text_send(&iev, 43, "", 0);
	if (imsgbuf_flush(&iev.ibuf) == -1)
		exit(1);
	close(sv[0]);
	for (;;) {
		if ((r = imsgbuf_get(&rb, &imsg)) == -1)
			exit(1);
		if (r == 0) {
			if (imsgbuf_read(&rb) != 1)
				break;
			continue;
		}
		if (imsg_get_type(&imsg) == IMSG_CTL_TEXT &&
		    imsg_get_id(&imsg) == 42 && !end) {
			if (imsg_get_len(&imsg) == 0 ||
			    imsg_get_len(&imsg) > CTL_TEXT_MAX ||
			    off + imsg_get_len(&imsg) > n)
				bad = 1;
			else {
				imsg_get_data(&imsg, got + off,
				    imsg_get_len(&imsg));
				off += imsg_get_len(&imsg);
			}
			chunks++;
		} else if (imsg_get_type(&imsg) == IMSG_CTL_END) {
			if (imsg_get_id(&imsg) == 42)
				end = 1;
			ends++;
		} else
			bad = 1;
		imsg_free(&imsg);
	}
	check(!bad && chunks == 4 && off == n && memcmp(got, text, n) == 0,
	    "text: 4 chunks of at most CTL_TEXT_MAX, in order, complete");
	check(end && ends == 2, "text: END after each, empty text END alone");
	imsgbuf_clear(&iev.ibuf);
	imsgbuf_clear(&rb);
	close(sv[1]);
	free(text);
	free(got);
}

int
main(void)
{
	test_config();
	test_netmap();
	test_text_send();
	return failed;
}
