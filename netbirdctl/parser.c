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
 * The command line grammar, as static token tables: each word is looked
 * up in the table of the word before it, and any unique prefix of a
 * keyword will do ("sh st"); a keyword written in full is that keyword
 * even where it begins a longer one ("peer", "peers").
 */

#include <stdio.h>
#include <string.h>

#include "netbirdd.h"
#include "parser.h"

enum token_type {
	ENDTOKEN,	/* the end of a table */
	NOTOKEN,	/* the words may end here */
	KEYWORD,	/* a keyword, or any unique prefix of it */
	FULLWORD,	/* a keyword that must be written in full */
	PEERNAME,	/* any word: a peer's name, address or key */
	FILENAME,	/* any word: a file to write */
	PEERSTATE,	/* a keyword for a peer state, enum ctl_peer_state */
	CONNTYPE	/* a keyword for a type, enum ctl_conn_type */
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	int			 value;
	const struct token	*next;
};

static const struct token	*match_token(const char *,
				    const struct token *);
static void			 take_token(const struct token *,
				    const char *);
static int			 may_end(const struct token *);
static void			 show_valid_args(const struct token *);

static const struct token t_show[];
static const struct token t_peer[];
static const struct token t_peers[];
static const struct token t_log[];
static const struct token t_debug[];
static const struct token t_file[];

static const struct token t_main[] = {
	{ KEYWORD,	"debug",	NONE,		t_debug },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		NONE,		t_show },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

/* "peer" only in full: "pe" and "pee" still mean "peers". */
static const struct token t_show[] = {
	{ KEYWORD,	"metrics",	SHOW_METRICS,	NULL },
	{ FULLWORD,	"peer",		SHOW_PEERS_DETAIL, t_peer },
	{ KEYWORD,	"peers",	SHOW_PEERS,	t_peers },
	{ KEYWORD,	"status",	SHOW_STATUS,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_peer[] = {
	{ PEERNAME,	"<name>",	NONE,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

/* Filters, any number of them; those of one kind add up. */
static const struct token t_peers[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ PEERSTATE,	"connected",	CTL_PEER_CONNECTED, t_peers },
	{ PEERSTATE,	"connecting",	CTL_PEER_CONNECTING, t_peers },
	{ PEERSTATE,	"idle",		CTL_PEER_IDLE,	t_peers },
	{ CONNTYPE,	"p2p",		CTL_CONN_P2P,	t_peers },
	{ CONNTYPE,	"relayed",	CTL_CONN_RELAYED, t_peers },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_debug[] = {
	{ KEYWORD,	"bundle",	DEBUG_BUNDLE,	t_file },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_file[] = {
	{ FILENAME,	"<file>",	NONE,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static struct parse_result	res;

/*
 * Returns the action the words name, or NULL after telling stderr what
 * was wrong and which words would have been valid.
 */
struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *t;

	memset(&res, 0, sizeof(res));
	for (; argc > 0; argc--, argv++) {
		if (table == NULL) {
			fprintf(stderr, "netbirdctl: unexpected argument: "
			    "%s\n", argv[0]);
			return NULL;
		}
		if ((t = match_token(argv[0], table)) == NULL) {
			show_valid_args(table);
			return NULL;
		}
		take_token(t, argv[0]);
		table = t->next;
	}
	if (table != NULL && !may_end(table)) {
		fprintf(stderr, "netbirdctl: missing argument\n");
		show_valid_args(table);
		return NULL;
	}
	switch (res.action) {
	case LOG_VERBOSE:
		res.level = NBD_LOG_DEBUG;
		break;
	case LOG_BRIEF:
		res.level = NBD_LOG_INFO;
		break;
	default:
		break;
	}
	return &res;
}

/*
 * The token word is: a keyword written in full, else the one keyword it
 * is a prefix of, else the table's PEERNAME or FILENAME.  NULL after
 * telling stderr.
 */
static const struct token *
match_token(const char *word, const struct token *table)
{
	const struct token	*t = NULL;
	size_t			 i, len = strlen(word);
	int			 match = 0;

	for (i = 0; len > 0 && table[i].type != ENDTOKEN; i++) {
		switch (table[i].type) {
		case NOTOKEN:
			break;
		case PEERNAME:
		case FILENAME:
			match++;
			t = &table[i];
			break;
		default:
			if (strcmp(word, table[i].keyword) == 0)
				return &table[i];
			if (table[i].type != FULLWORD &&
			    strncmp(word, table[i].keyword, len) == 0) {
				match++;
				t = &table[i];
			}
			break;
		}
	}
	if (match == 1)
		return t;
	fprintf(stderr, "netbirdctl: %s argument: %s\n",
	    match > 1 ? "ambiguous" : "unknown", word);
	return NULL;
}

static void
take_token(const struct token *t, const char *word)
{
	switch (t->type) {
	case PEERNAME:
		res.filter.name = word;
		break;
	case FILENAME:
		res.path = word;
		break;
	case PEERSTATE:
		res.filter.states |= 1U << t->value;
		break;
	case CONNTYPE:
		res.filter.types |= 1U << t->value;
		break;
	default:
		if (t->value != NONE)
			res.action = t->value;
		break;
	}
}

static int
may_end(const struct token *table)
{
	size_t	i;

	for (i = 0; table[i].type != ENDTOKEN; i++)
		if (table[i].type == NOTOKEN)
			return 1;
	return 0;
}

static void
show_valid_args(const struct token *table)
{
	size_t	i;

	fprintf(stderr, "valid commands/args:\n");
	for (i = 0; table[i].type != ENDTOKEN; i++)
		fprintf(stderr, "  %s\n", table[i].type == NOTOKEN ? "<cr>" :
		    table[i].keyword);
}
