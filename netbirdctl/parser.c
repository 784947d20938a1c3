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
 * keyword will do ("sh st").
 */

#include <stdio.h>
#include <string.h>

#include "netbirdd.h"
#include "parser.h"

enum token_type {
	ENDTOKEN,
	KEYWORD
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	enum actions		 value;
	const struct token	*next;
};

static const struct token	*match_token(const char *,
				    const struct token *);
static void			 show_valid_args(const struct token *);

static const struct token t_show[];
static const struct token t_log[];

static const struct token t_main[] = {
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		NONE,		t_show },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ KEYWORD,	"peers",	SHOW_PEERS,	NULL },
	{ KEYWORD,	"status",	SHOW_STATUS,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static struct parse_result	res;

/*
 * Returns the action the words name, or NULL after telling stderr what
 * was wrong and which words would have been valid.
 */
const struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *t = NULL;

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
		if (t->value != NONE)
			res.action = t->value;
		table = t->next;
	}
	if (table != NULL) {
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

static const struct token *
match_token(const char *word, const struct token *table)
{
	const struct token	*t = NULL;
	size_t			 i, len = strlen(word);
	int			 match = 0;

	for (i = 0; table[i].type != ENDTOKEN; i++) {
		if (strncmp(word, table[i].keyword, len) == 0) {
			match++;
			t = &table[i];
		}
	}
	if (match == 1)
		return t;
	fprintf(stderr, "netbirdctl: %s argument: %s\n",
	    match > 1 ? "ambiguous" : "unknown", word);
	return NULL;
}

static void
show_valid_args(const struct token *table)
{
	size_t	i;

	fprintf(stderr, "valid commands/args:\n");
	for (i = 0; table[i].type != ENDTOKEN; i++)
		fprintf(stderr, "  %s\n", table[i].keyword);
}
