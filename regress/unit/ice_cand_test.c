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
 * Unit tests for netbirdd/ice_cand.c: candidate strings as the Go agent
 * (pion, NetBird fork) prints them, our printing of them byte for byte,
 * foundations and priorities, and hostile strings.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "ice.h"

#define UFRAG	"KxQmVbTyLpRdZcWs"
#define CID1	"3b7Tq9Lk2Pz+Yw/AbCdEfGhIjKlMnOpQ"
#define CID2	"8Ff+Rt5sUv6wXy7zA0B1C2D3E4F5G6H7"

/*
 * As Go prints them: foundation = CRC-32 of type, address and network
 * ("host" "192.168.1.10" "udp4" -> 2631669666, computed apart with
 * Python's zlib.crc32), the type's priority, raddr/rport for srflx and
 * relay, then ufrag and cid.
 */
#define GO_HOST	"2631669666 1 udp 2130706431 192.168.1.10 51820 " \
		"typ host " \
		"ufrag " UFRAG " cid " CID1
#define GO_SRFLX "3891555988 1 udp 1694498815 203.0.113.7 40211 typ srflx " \
		"raddr 0.0.0.0 rport 51820 ufrag " UFRAG " cid " CID2
#define GO_RELAY "2547162059 1 udp 16777215 198.51.100.9 61234 typ relay " \
		"raddr 203.0.113.7 rport 40211 ufrag " UFRAG " cid " CID1
#define GO_HOST6 "580341139 1 udp 2130706431 2001:db8::1 51820 typ host " \
		"ufrag " UFRAG " cid " CID2

static int	 failed;

static void	 check(int, const char *);
static void	 mkaddr(struct sockaddr_storage *, const char *, uint16_t);
static int	 parses(const char *);
static const char *reason(const char *);
static void	 roundtrip(const char *, const char *);
static void	 test_go_strings(void);
static void	 test_spec_examples(void);
static void	 test_make(void);
static void	 test_lenient(void);
static void	 test_hostile(void);
static void	 test_truncated(void);
static void	 test_lengths(void);
static void	 test_print(void);
static void	 test_pair_priority(void);
static void	 test_random(void);
static void	 test_addr(void);

/* One line per check: control characters in the text are shown as '?'. */
static void
check(int ok, const char *what)
{
	size_t	 i;

	printf("%s - ", ok ? "ok" : "not ok");
	for (i = 0; what[i] != '\0'; i++)
		putchar((unsigned char)what[i] < 0x20 || what[i] == 0x7f ?
		    '?' : what[i]);
	putchar('\n');
	if (!ok)
		failed = 1;
}

static void
mkaddr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else
		abort();
}

static int
parses(const char *s)
{
	struct ice_cand	 c;
	const char	*why;

	return ice_cand_parse(s, &c, &why) == 0;
}

/* The reason a string is refused, "" if it is not. */
static const char *
reason(const char *s)
{
	struct ice_cand	 c;
	const char	*why = NULL;

	if (ice_cand_parse(s, &c, &why) == 0)
		return "";
	return why != NULL ? why : "(null)";
}

/* Parse and print again: the string comes back as expected. */
static void
roundtrip(const char *in, const char *want)
{
	struct ice_cand	 c;
	char		 out[ICE_CAND_STR_MAX], what[700];
	const char	*why = "";
	int		 n = -1;

	if (ice_cand_parse(in, &c, &why) == 0)
		n = ice_cand_print(&c, out, sizeof(out));
	snprintf(what, sizeof(what), "round trip \"%s\" (%s)", in, why);
	check(n >= 0 && (size_t)n == strlen(want) && strcmp(out, want) == 0,
	    what);
	if (n >= 0 && strcmp(out, want) != 0)
		printf("# got  \"%s\"\n# want \"%s\"\n", out, want);
}

static void
test_go_strings(void)
{
	struct ice_cand			 c;
	struct sockaddr_storage		 a;
	const char			*why;

	roundtrip(GO_HOST, GO_HOST);
	roundtrip(GO_SRFLX, GO_SRFLX);
	roundtrip(GO_RELAY, GO_RELAY);
	roundtrip(GO_HOST6, GO_HOST6);

	check(ice_cand_parse(GO_SRFLX, &c, &why) == 0, "parse srflx");
	check(c.type == ICE_CAND_SRFLX && c.component == 1 &&
	    c.priority == 1694498815 &&
	    strcmp(c.foundation, "3891555988") == 0, "srflx fields");
	mkaddr(&a, "203.0.113.7", 40211);
	check(ice_addr_eq(&c.addr, &a), "srflx address and port");
	mkaddr(&a, "0.0.0.0", 51820);
	check(ice_addr_eq(&c.raddr, &a), "srflx raddr 0.0.0.0:51820");
	check(strcmp(c.ufrag, UFRAG) == 0 && strcmp(c.cid, CID2) == 0,
	    "srflx ufrag and cid extensions");

	check(ice_cand_parse(GO_RELAY, &c, &why) == 0 &&
	    c.type == ICE_CAND_RELAY && c.priority == 16777215,
	    "relay type and priority");
	check(ice_cand_parse(GO_HOST6, &c, &why) == 0 &&
	    c.addr.ss_family == AF_INET6 && c.raddr.ss_family == AF_UNSPEC,
	    "IPv6 host, no raddr");
}

/* protocol.md 4.6, with the elided cid written out. */
static void
test_spec_examples(void)
{
	roundtrip("1466254413 1 udp 2130706431 192.168.1.10 51820 typ host "
	    "ufrag KxQmVbTyLpRdZcWs cid 3b7Tq9" "aaaabbbbccccddddeeeeffff00",
	    "1466254413 1 udp 2130706431 192.168.1.10 51820 typ host "
	    "ufrag KxQmVbTyLpRdZcWs cid 3b7Tq9" "aaaabbbbccccddddeeeeffff00");
	roundtrip("2794081127 1 udp 1694498815 203.0.113.7 40211 typ srflx "
	    "raddr 0.0.0.0 rport 51820 ufrag KxQmVbTyLpRdZcWs cid 8Ff+"
	    "aaaabbbbccccddddeeeeffff0000",
	    "2794081127 1 udp 1694498815 203.0.113.7 40211 typ srflx "
	    "raddr 0.0.0.0 rport 51820 ufrag KxQmVbTyLpRdZcWs cid 8Ff+"
	    "aaaabbbbccccddddeeeeffff0000");
	check(strcmp(reason("1466254413 1 udp 2130706431 192.168.1.10 51820 "
	    "typ host ufrag KxQmVbTyLpRdZcWs cid 3b7Tq9..."), "bad cid") == 0,
	    "the spec's literal \"3b7Tq9...\" is not a cid");
	/* The spec's priorities: (type pref << 24) + (65535 << 8) + 255. */
	check(ice_cand_type_priority(ICE_CAND_HOST) == 2130706431 &&
	    ice_cand_type_priority(ICE_CAND_PRFLX) == 1862270975 &&
	    ice_cand_type_priority(ICE_CAND_SRFLX) == 1694498815 &&
	    ice_cand_type_priority(ICE_CAND_RELAY) == 16777215,
	    "type priorities 2130706431 1862270975 1694498815 16777215");
	check(strcmp(ice_cand_type_name(ICE_CAND_HOST), "host") == 0 &&
	    strcmp(ice_cand_type_name(ICE_CAND_SRFLX), "srflx") == 0 &&
	    strcmp(ice_cand_type_name(ICE_CAND_PRFLX), "prflx") == 0 &&
	    strcmp(ice_cand_type_name(ICE_CAND_RELAY), "relay") == 0,
	    "type names");
}

/* Our own candidates print exactly as Go's for the same inputs. */
static void
test_make(void)
{
	struct ice_cand		 c, d;
	struct sockaddr_storage	 a, ra;
	char			 s[ICE_CAND_STR_MAX];
	const char		*why;
	size_t			 i;
	int			 ok;

	mkaddr(&a, "192.168.1.10", 51820);
	ice_cand_make(&c, ICE_CAND_HOST, &a, NULL, UFRAG);
	check(strcmp(c.foundation, "2631669666") == 0,
	    "host foundation = CRC-32(\"host192.168.1.10udp4\")");
	ok = strlen(c.cid) == 32;
	for (i = 0; i < strlen(c.cid); i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", c.cid[i]) == NULL)
			ok = 0;
	check(ok, "cid is 32 characters of [A-Za-z0-9+/]");
	ice_cand_make(&d, ICE_CAND_HOST, &a, NULL, UFRAG);
	check(strcmp(c.cid, d.cid) != 0, "two candidates, two cids");
	strlcpy(c.cid, CID1, sizeof(c.cid));
	check(ice_cand_print(&c, s, sizeof(s)) > 0 && strcmp(s, GO_HOST) == 0,
	    "made host prints as Go's");

	mkaddr(&a, "203.0.113.7", 40211);
	mkaddr(&ra, "0.0.0.0", 51820);
	ice_cand_make(&c, ICE_CAND_SRFLX, &a, &ra, UFRAG);
	strlcpy(c.cid, CID2, sizeof(c.cid));
	check(ice_cand_print(&c, s, sizeof(s)) > 0 && strcmp(s, GO_SRFLX) == 0,
	    "made srflx prints as Go's (foundation 3891555988)");

	mkaddr(&a, "198.51.100.9", 61234);
	mkaddr(&ra, "203.0.113.7", 40211);
	ice_cand_make(&c, ICE_CAND_RELAY, &a, &ra, UFRAG);
	strlcpy(c.cid, CID1, sizeof(c.cid));
	check(ice_cand_print(&c, s, sizeof(s)) > 0 && strcmp(s, GO_RELAY) == 0,
	    "made relay prints as Go's (foundation 2547162059)");

	mkaddr(&a, "2001:db8::1", 51820);
	ice_cand_make(&c, ICE_CAND_HOST, &a, &ra, UFRAG);
	strlcpy(c.cid, CID2, sizeof(c.cid));
	check(ice_cand_print(&c, s, sizeof(s)) > 0 && strcmp(s, GO_HOST6) == 0,
	    "made IPv6 host prints as Go's, host drops raddr (udp6 "
	    "foundation 580341139)");

	mkaddr(&a, "10.0.0.1", 4000);
	ice_cand_make(&c, ICE_CAND_PRFLX, &a, NULL, "");
	check(strcmp(c.foundation, "4077508057") == 0 &&
	    c.priority == 1862270975 && c.ufrag[0] == '\0',
	    "prflx foundation and priority, no ufrag");
	check(ice_cand_print(&c, s, sizeof(s)) > 0 &&
	    ice_cand_parse(s, &d, &why) == 0 && d.type == ICE_CAND_PRFLX &&
	    ice_addr_eq(&d.addr, &a) && strcmp(d.cid, c.cid) == 0,
	    "made candidate parses back");
}

/* What pion accepts and we accept too. */
static void
test_lenient(void)
{
	struct ice_cand			 c;
	struct sockaddr_storage		 a;
	const char			*why;

	check(ice_cand_parse("candidate:" GO_HOST, &c, &why) == 0 &&
	    strcmp(c.cid, CID1) == 0, "\"candidate:\" prefix stripped");
	check(ice_cand_parse("1 1 UDP 2130706431 10.1.2.3 5 typ host", &c,
	    &why) == 0 && c.ufrag[0] == '\0' && c.cid[0] == '\0',
	    "upper-case UDP, no extensions");
	check(ice_cand_parse("1 1 udp 0 10.1.2.3 5 typ srflx", &c,
	    &why) == 0 && c.priority == 1694498815,
	    "priority 0 is the type's priority (as pion)");
	check(ice_cand_parse("1 1 udp 2147483647 10.1.2.3 5 typ host", &c,
	    &why) == 0 && c.priority == 2147483647,
	    "priority 2^31 - 1 accepted");
	check(ice_cand_parse("1 1 udp 1 fe80::1%eth0 5 typ host", &c,
	    &why) == 0 && c.addr.ss_family == AF_INET6,
	    "IPv6 zone dropped");
	roundtrip("1 1 udp 1 fe80::1%eth0 5 typ host",
	    "1 1 udp 1 fe80::1 5 typ host");
	mkaddr(&a, "192.0.2.5", 7);
	check(ice_cand_parse("1 1 udp 1 ::ffff:192.0.2.5 7 typ host", &c,
	    &why) == 0 && ice_addr_eq(&c.addr, &a),
	    "IPv4-mapped IPv6 becomes IPv4");
	roundtrip("1 1 udp 1 2001:DB8:0:0:0:0:0:1 7 typ host",
	    "1 1 udp 1 2001:db8::1 7 typ host");
	roundtrip("1 1 udp 1 127.0.0.1 7 typ host",
	    "1 1 udp 1 127.0.0.1 7 typ host");
	roundtrip("1 1 udp 1 10.0.0.1 7 typ host raddr 10.0.0.2 rport 8",
	    "1 1 udp 1 10.0.0.1 7 typ host");
	check(ice_cand_parse("1 1 udp 1 10.0.0.1 7 typ host raddr 10.0.0.2 "
	    "rport 8", &c, &why) == 0 && c.raddr.ss_family == AF_UNSPEC,
	    "host: raddr read and dropped (as pion)");
	roundtrip("1 1 udp 1 10.0.0.1 7 typ srflx raddr 10.0.0.2 rport 0",
	    "1 1 udp 1 10.0.0.1 7 typ srflx");
	roundtrip("1 1 udp 1 10.0.0.1 7 typ srflx generation 0 network-id 2 "
	    "ufrag abcd network-cost 10 cid xyz",
	    "1 1 udp 1 10.0.0.1 7 typ srflx ufrag abcd cid xyz");
	check(ice_cand_parse("1 1 udp 1 10.0.0.1 7 typ host ufrag aaaa "
	    "ufrag bbbb cid c1 cid c2", &c, &why) == 0 &&
	    strcmp(c.ufrag, "aaaa") == 0 && strcmp(c.cid, "c1") == 0,
	    "the first ufrag and cid count");
	check(ice_cand_parse("1 1 udp 1 10.0.0.1 7 typ host ufrag", &c,
	    &why) == 0 && c.ufrag[0] == '\0',
	    "last extension without a value (as pion)");
	check(parses("1 1 udp 1 10.0.0.1 7 typ host x \xc3\xa9t\xc3\xa9"),
	    "unknown extension with UTF-8 skipped");
}

static void
test_hostile(void)
{
	static const struct {
		const char	*s;
		const char	*why;
	} bad[] = {
		{ "", "empty field" },
		{ "candidate:", "empty field" },
		{ "a=candidate:1 1 udp 1 10.0.0.1 7 typ host",
		    "bad foundation" },
		{ "1 1 udp 1 10.0.0.1 7", "too few fields" },
		{ "1 1 udp 1 10.0.0.1 7 host x", "no typ" },
		{ "1 1 udp 1 10.0.0.1 7 TYP host", "no typ" },
		{ "1 1 udp 1 10.0.0.1 7 typ HOST", "unknown candidate type" },
		{ "1 1 udp 1 10.0.0.1 7 typ foo", "unknown candidate type" },
		{ "1 1 tcp 1 10.0.0.1 7 typ host tcptype passive",
		    "TCP candidates are not used" },
		{ "1 1 TCP 1 10.0.0.1 9 typ host",
		    "TCP candidates are not used" },
		{ "1 1 udp 1 10.0.0.1 7 typ host tcptype active",
		    "TCP candidates are not used" },
		{ "1 1 sctp 1 10.0.0.1 7 typ host", "transport is not UDP" },
		{ "1 1 udpx 1 10.0.0.1 7 typ host", "transport is not UDP" },
		{ "1 2 udp 1 10.0.0.1 7 typ host", "component is not 1" },
		{ "1 01 udp 1 10.0.0.1 7 typ host", "component is not 1" },
		{ "1 99999999 udp 1 10.0.0.1 7 typ host",
		    "component is not 1" },
		{ "1 1 udp 2147483648 10.0.0.1 7 typ host", "bad priority" },
		{ "1 1 udp 4294967296 10.0.0.1 7 typ host", "bad priority" },
		{ "1 1 udp 99999999999 10.0.0.1 7 typ host", "bad priority" },
		{ "1 1 udp -1 10.0.0.1 7 typ host", "bad priority" },
		{ "1 1 udp 1x 10.0.0.1 7 typ host", "bad priority" },
		{ "1 1 udp 1 10.0.0.1 0 typ host", "bad port" },
		{ "1 1 udp 1 10.0.0.1 65536 typ host", "bad port" },
		{ "1 1 udp 1 10.0.0.1 000001 typ host", "bad port" },
		{ "1 1 udp 1 10.0.0.1 +7 typ host", "bad port" },
		{ "1 1 udp 1 192.168.1.256 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 1.2.3 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 01.2.3.4 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 ::g 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 [::1] 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 stun.example.com 7 typ host",
		    "not an IP address (host names are not resolved)" },
		{ "1 1 udp 1 6f1ab2c4-1d2e-4f00-9a0b-0c0d0e0f1011.local 7 "
		    "typ host", "mDNS candidates are not used" },
		{ "1 1 udp 1 x.LOCAL 7 typ host",
		    "mDNS candidates are not used" },
		{ "1 1 udp 1 0.0.0.0 7 typ host", "unusable address" },
		{ "1 1 udp 1 :: 7 typ host", "unusable address" },
		{ "1 1 udp 1 224.0.0.251 7 typ host", "unusable address" },
		{ "1 1 udp 1 255.255.255.255 7 typ host", "unusable address" },
		{ "1 1 udp 1 ff02::1 7 typ host", "unusable address" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr", "bad address" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr 1.2.3.4",
		    "raddr without rport" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr 1.2.3.4 rport",
		    "bad rport" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr 1.2.3.4 port 5",
		    "raddr without rport" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr 1.2.3.4 rport 65536",
		    "bad rport" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr x.local rport 5",
		    "mDNS candidates are not used" },
		{ "1 1 udp 1 10.0.0.1 7 typ srflx raddr host rport 5",
		    "not an IP address (host names are not resolved)" },
		{ "1  1 udp 1 10.0.0.1 7 typ host", "empty field" },
		{ " 1 1 udp 1 10.0.0.1 7 typ host", "empty field" },
		{ "1 1 udp 1 10.0.0.1 7 typ host ", "empty field" },
		{ "1\t1 udp 1 10.0.0.1 7 typ host", "control character" },
		{ "1 1 udp 1 10.0.0.1 7 typ host\r\n", "control character" },
		{ "1 1 udp 1 10.0.0.1 7 typ host x \x7f", "control character" },
		{ "1 1 udp 1 10.0.0.1 7 typ host ufrag ab:cd", "bad ufrag" },
		{ "1 1 udp 1 10.0.0.1 7 typ host cid a.b", "bad cid" },
		{ "1.2 1 udp 1 10.0.0.1 7 typ host", "bad foundation" },
		{ "123456789012345678901234567890123 1 udp 1 10.0.0.1 7 "
		    "typ host",
		    "bad foundation" },
	};
	char	 what[700], s[ICE_CAND_STR_MAX];
	size_t	 i;

	for (i = 0; i < nitems(bad); i++) {
		snprintf(what, sizeof(what), "refused \"%s\": %s (got: %s)",
		    bad[i].s, bad[i].why, reason(bad[i].s));
		check(strcmp(reason(bad[i].s), bad[i].why) == 0, what);
	}
	check(parses("12345678901234567890123456789012 1 udp 1 10.0.0.1 7 "
	    "typ host"), "32-character foundation accepted");
	strlcpy(s, "1 1 udp 1 10.0.0.1 7 typ host", sizeof(s));
	for (i = 0; i < 56; i++)
		strlcat(s, " x", sizeof(s));
	check(parses(s), "64 fields accepted");
	strlcat(s, " x", sizeof(s));
	check(strcmp(reason(s), "too many fields") == 0,
	    "65 fields refused");
}

/* Every cut of a valid string: refused until the type is complete. */
static void
test_truncated(void)
{
	char	 buf[ICE_CAND_STR_MAX];
	size_t	 i, typend, n = strlen(GO_SRFLX);
	int	 ok = 1, accepted = 0;

	typend = strstr(GO_SRFLX, "typ srflx") - GO_SRFLX + strlen("typ srflx");
	for (i = 0; i < n; i++) {
		memcpy(buf, GO_SRFLX, i);
		buf[i] = '\0';
		if (parses(buf)) {
			accepted++;
			if (i < typend)
				ok = 0;
		}
	}
	check(ok, "no cut before the end of \"typ srflx\" parses");
	check(accepted > 0, "some cuts after it parse (extensions are "
	    "optional)");

	/* An embedded NUL ends the string: what comes after is not read. */
	memcpy(buf, "1 1 udp 1 10.0.0.1 7 typ host\0cid zz", 36);
	check(parses(buf), "embedded NUL after a whole candidate: the part "
	    "before it");
	memcpy(buf, "1 1 udp 1\0 10.0.0.1 7 typ host", 30);
	check(strcmp(reason(buf), "too few fields") == 0,
	    "embedded NUL inside: refused");
}

static void
test_lengths(void)
{
	char	 s[700], *p;
	size_t	 base;

	/* 600 characters, a valid candidate padded with an extension. */
	strlcpy(s, "1 1 udp 1 10.0.0.1 7 typ host x ", sizeof(s));
	base = strlen(s);
	memset(s + base, 'y', 600 - base);
	s[600] = '\0';
	check(strcmp(reason(s), "candidate too long") == 0,
	    "600-character input refused");
	s[ICE_CAND_STR_MAX - 1] = '\0';
	check(parses(s), "511 characters (the most) accepted");
	s[ICE_CAND_STR_MAX - 1] = 'y';
	s[ICE_CAND_STR_MAX] = '\0';
	check(!parses(s), "512 characters refused");

	/* 512 bytes and no NUL at all: nothing past them is read. */
	if ((p = malloc(ICE_CAND_STR_MAX)) == NULL)
		abort();
	memcpy(p, s, ICE_CAND_STR_MAX);
	check(strcmp(reason(p), "candidate too long") == 0,
	    "unterminated 512-byte buffer refused within its bounds");
	free(p);

	/* Overlong tokens. */
	snprintf(s, sizeof(s), "1 1 udp 1 10.0.0.1 7 typ host ufrag %0257d", 0);
	check(strcmp(reason(s), "bad ufrag") == 0, "257-character ufrag");
	snprintf(s, sizeof(s), "1 1 udp 1 10.0.0.1 7 typ host ufrag %0256d", 0);
	check(parses(s), "256-character ufrag");
	snprintf(s, sizeof(s), "1 1 udp 1 10.0.0.1 7 typ host cid %065d", 0);
	check(strcmp(reason(s), "bad cid") == 0, "65-character cid");
	snprintf(s, sizeof(s), "1 1 udp 1 10.0.0.1 7 typ host cid %064d", 0);
	check(parses(s), "64-character cid");
	snprintf(s, sizeof(s), "1 1 udp 1 2001:db8::1%%%0100d 7 typ host", 0);
	check(strcmp(reason(s), "bad address") == 0, "100-character zone");
	snprintf(s, sizeof(s), "1 1 udp 1 10.0.0.1 %099d7 typ host", 0);
	check(strcmp(reason(s), "bad port") == 0, "100-digit port");
}

static void
test_print(void)
{
	struct ice_cand	 c;
	char		 s[ICE_CAND_STR_MAX], small[sizeof(GO_RELAY)];
	const char	*why;
	int		 n;

	if (ice_cand_parse(GO_RELAY, &c, &why) == -1)
		abort();
	n = ice_cand_print(&c, small, sizeof(small));
	check(n == (int)strlen(GO_RELAY), "print into an exact buffer");
	check(ice_cand_print(&c, small, sizeof(small) - 1) == -1 &&
	    small[0] == '\0', "one byte short: -1 and an empty string");
	check(ice_cand_print(&c, small, 20) == -1, "far too short: -1");
	memset(&c.addr, 0, sizeof(c.addr));
	check(ice_cand_print(&c, s, sizeof(s)) == -1, "no address: -1");
}

static void
test_pair_priority(void)
{
	/* Values computed apart (Python) from RFC 8445 6.1.2.3. */
	check(ice_pair_priority(2130706431, 1694498815) ==
	    7277816997797167103ULL, "pair priority, G > D");
	check(ice_pair_priority(1694498815, 2130706431) ==
	    7277816997797167102ULL, "pair priority, G < D");
	check(ice_pair_priority(16777215, 16777215) == 72057589776515070ULL,
	    "pair priority, G = D");
	check(ice_pair_priority(UINT32_MAX, UINT32_MAX) ==
	    ice_pair_priority(0x7fffffff, 0x7fffffff),
	    "pair priority does not wrap past 2^31 - 1");
	check(ice_pair_priority(2130706431, 2130706431) >
	    ice_pair_priority(2130706431, 1694498815) &&
	    ice_pair_priority(2130706431, 1694498815) >
	    ice_pair_priority(1694498815, 1694498815),
	    "host-host > host-srflx > srflx-srflx");
}

static void
test_random(void)
{
	char	 a[ICE_PWD_LEN + 2], b[ICE_PWD_LEN + 2];
	size_t	 i;
	int	 ok = 1;

	memset(a, 'X', sizeof(a));
	ice_random_letters(a, ICE_UFRAG_LEN);
	for (i = 0; i < ICE_UFRAG_LEN; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= 'A' && a[i] <= 'Z')))
			ok = 0;
	check(ok && a[ICE_UFRAG_LEN] == '\0' && a[ICE_UFRAG_LEN + 1] == 'X',
	    "16 letters, a NUL, nothing more written");
	ice_random_letters(a, ICE_PWD_LEN);
	ice_random_letters(b, ICE_PWD_LEN);
	check(strlen(a) == ICE_PWD_LEN && strcmp(a, b) != 0,
	    "two passwords differ");
}

static void
test_addr(void)
{
	struct sockaddr_storage	 a, b;
	char			 s[64];

	mkaddr(&a, "192.168.1.10", 51820);
	check(strcmp(ice_addr_str(&a, s, sizeof(s)), "192.168.1.10:51820") == 0,
	    "IPv4 ip:port");
	mkaddr(&a, "2001:db8::1", 443);
	check(strcmp(ice_addr_str(&a, s, sizeof(s)), "[2001:db8::1]:443") == 0,
	    "IPv6 [ip]:port");
	memset(&b, 0, sizeof(b));
	check(strcmp(ice_addr_str(&b, s, sizeof(s)), "") == 0,
	    "AF_UNSPEC: empty");
	check(strcmp(ice_addr_str(&a, s, 8), "[2001:d") == 0,
	    "short buffer: truncated, terminated");

	mkaddr(&b, "2001:db8::1", 443);
	((struct sockaddr_in6 *)&b)->sin6_scope_id = 3;
	check(ice_addr_eq(&a, &b), "equal (scope not compared)");
	mkaddr(&b, "2001:db8::1", 444);
	check(!ice_addr_eq(&a, &b), "other port");
	mkaddr(&b, "2001:db8::2", 443);
	check(!ice_addr_eq(&a, &b), "other address");
	mkaddr(&b, "192.168.1.10", 443);
	check(!ice_addr_eq(&a, &b), "other family");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	check(ice_addr_eq(&a, &b), "two AF_UNSPEC are equal");
}

int
main(void)
{
	test_go_strings();
	test_spec_examples();
	test_make();
	test_lenient();
	test_hostile();
	test_truncated();
	test_lengths();
	test_print();
	test_pair_priority();
	test_random();
	test_addr();
	return failed;
}
