#include "supervisor/cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte string for the word being built. */
struct word {
	char *buf;
	size_t len, cap;
};

static int word_grow(struct word *w)
{
	if (w->len + 1 >= w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		char *p = realloc(w->buf, cap);
		if (!p)
			return -ENOMEM;
		w->buf = p;
		w->cap = cap;
	}
	return 0;
}

static int word_add(struct word *w, char c)
{
	if (word_grow(w) < 0)
		return -ENOMEM;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
	return 0;
}

/* Give W a buffer even while it is empty, so that "" makes a word. */
static int word_start(struct word *w)
{
	if (w->buf)
		return 0;
	if (word_grow(w) < 0)
		return -ENOMEM;
	w->buf[0] = '\0';
	return 0;
}

/* The argv being built; always NULL-terminated once it has room. */
struct words {
	char **v;
	size_t n, cap;
};

static int words_push(struct words *ws, struct word *w)
{
	if (ws->n + 2 > ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 8;
		char **p = realloc(ws->v, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		ws->v = p;
		ws->cap = cap;
	}
	if (word_start(w) < 0)
		return -ENOMEM;
	ws->v[ws->n++] = w->buf; /* now owned by ws */
	ws->v[ws->n] = NULL;
	*w = (struct word){ 0 };
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

int cmdline_split(const char *s, char ***argv_out, char *err, size_t errlen)
{
	struct words ws = { 0 };
	struct word w = { 0 };
	bool in_word = false; /* a word has started, even if it is still empty */
	int rc = 0;

	*argv_out = NULL;
	if (err && errlen)
		err[0] = '\0';
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (is_blank(c)) {
			if (in_word && (rc = words_push(&ws, &w)) < 0)
				goto out;
			in_word = false;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				rc = fail(err, errlen, "unterminated single quote");
				goto out;
			}
			/* '' alone must still give an empty word */
			if ((rc = word_start(&w)) < 0)
				goto out;
			for (const char *q = p + 1; q < end; q++)
				if ((rc = word_add(&w, *q)) < 0)
					goto out;
			p = end;
		} else if (c == '"') {
			if ((rc = word_start(&w)) < 0)
				goto out;
			for (p++;; p++) {
				if (!*p) {
					rc = fail(err, errlen, "unterminated double quote");
					goto out;
				}
				if (*p == '"')
					break;
				if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
					p++;
					if (*p == '\n')
						continue; /* line continuation */
				}
				if ((rc = word_add(&w, *p)) < 0)
					goto out;
			}
		} else if (c == '\\') {
			if (!p[1]) {
				rc = fail(err, errlen, "trailing backslash");
				goto out;
			}
			p++;
			if (*p == '\n') {
				/* backslash-newline joins lines and is not part of any word */
				in_word = w.buf != NULL;
				continue;
			}
			if ((rc = word_add(&w, *p)) < 0)
				goto out;
		} else {
			if ((rc = word_add(&w, c)) < 0)
				goto out;
		}
	}
	if (in_word && (rc = words_push(&ws, &w)) < 0)
		goto out;
	if (ws.n == 0) {
		rc = fail(err, errlen, "empty command");
		goto out;
	}
	*argv_out = ws.v; /* now owned by the caller */
	ws.v = NULL;
out:
	if (rc == -ENOMEM)
		fail(err, errlen, "out of memory");
	free(w.buf);
	if (ws.v)
		cmdline_free(ws.v);
	return rc;
}

void cmdline_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}
