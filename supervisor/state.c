/* state — what an operator decided, kept across restarts (state.h). */
#include "supervisor/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/io.h"
#include "supervisor/log.h"

#define STATE_FILE "state"

static char dir_path[PATH_MAX];
static char file_path[PATH_MAX];
static char **names;   /* sorted, owned */
static size_t nnames;
/* corralctl scale: "NAME N" each, one a name, in no order; owned */
static char **scales;
static size_t nscales;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void state_free(void)
{
	names_free(names, nnames);
	names = NULL;
	nnames = 0;
	names_free(scales, nscales);
	scales = NULL;
	nscales = 0;
}

/* The entry of V (of N) for program NAME: "NAME COUNT". */
static ssize_t scale_find(char **v, size_t n, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i], name, len) == 0 && v[i][len] == ' ')
			return (ssize_t)i;
	return -1;
}

int state_scale(const char *name)
{
	ssize_t i = scale_find(scales, nscales, name);
	return i < 0 ? 0 : atoi(strchr(scales[i], ' ') + 1);
}

const char *state_path(void)
{
	return file_path;
}

bool state_disabled(const char *name)
{
	return nnames && bsearch(&name, names, nnames, sizeof *names, cmp);
}

/* NAME as the file may hold it: a program's name, no space, no newline. */
static bool name_ok(const char *name)
{
	return *name && strcspn(name, " \t\r\n") == strlen(name);
}

/* *V (of *N) with NAME added, or -ENOMEM. Not sorted yet. */
static int push(char ***v, size_t *n, const char *name)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(name)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Sorted, each name once. */
static void sort_unique(char **v, size_t *n)
{
	if (!*n)
		return;
	qsort(v, *n, sizeof *v, cmp);
	size_t k = 1;
	for (size_t i = 1; i < *n; i++) {
		if (strcmp(v[i], v[k - 1]) == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*n = k;
}

/* "NAME N", N from 1 to STATE_SCALE_MAX. */
static bool scale_ok(const char *s)
{
	const char *sp = strchr(s, ' ');
	if (!sp || sp == s || !name_ok(sp + 1) || strcspn(s, " \t\r\n") != (size_t)(sp - s))
		return false;
	char *end;
	errno = 0;
	long n = strtol(sp + 1, &end, 10);
	return !errno && !*end && n >= 1 && n <= STATE_SCALE_MAX && sp[1] != '+' && sp[1] != '-';
}

static int parse(FILE *f, char ***out, size_t *nout, char ***sout, size_t *nsout, char *why,
		 size_t whylen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	bool versioned = false;
	int r = 0;
	while (r == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (!versioned) {
			int v;
			char extra;
			if (sscanf(line, "corral-state %d %c", &v, &extra) != 1) {
				snprintf(why, whylen, "%s:%u: not a corral state file (its first line "
					 "should be 'corral-state %d')", file_path, lineno, STATE_VERSION);
				r = -EINVAL;
			} else if (v != STATE_VERSION) {
				snprintf(why, whylen, "%s:%u: state format version %d, this corrald "
					 "reads version %d", file_path, lineno, v, STATE_VERSION);
				r = -EINVAL;
			}
			versioned = true;
			continue;
		}
		if (strncmp(line, "disabled ", 9) == 0 && name_ok(line + 9)) {
			r = push(out, nout, line + 9);
			if (r < 0)
				snprintf(why, whylen, "%s: out of memory", file_path);
		} else if (strncmp(line, "scale ", 6) == 0 && scale_ok(line + 6)) {
			/* the last for a name counts */
			*strchr(line + 6, ' ') = '\0';
			ssize_t k = scale_find(*sout, *nsout, line + 6);
			line[6 + strlen(line + 6)] = ' ';
			if (k >= 0) {
				free((*sout)[k]);
				(*sout)[k] = (*sout)[--*nsout];
			}
			r = push(sout, nsout, line + 6);
			if (r < 0)
				snprintf(why, whylen, "%s: out of memory", file_path);
		} else {
			snprintf(why, whylen, "%s:%u: not understood: '%.80s'", file_path, lineno, line);
			r = -EINVAL;
		}
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		snprintf(why, whylen, "%s: %s", file_path, strerror(EIO));
	}
	if (r == 0 && !versioned && lineno) {
		snprintf(why, whylen, "%s: no 'corral-state %d' line", file_path, STATE_VERSION);
		r = -EINVAL;
	}
	free(line);
	return r;
}

int state_load(const char *dir, char *why, size_t whylen)
{
	state_free();
	why[0] = '\0';
	if (snprintf(dir_path, sizeof dir_path, "%s", dir) >= (int)sizeof dir_path ||
	    snprintf(file_path, sizeof file_path, "%s/%s", dir, STATE_FILE) >= (int)sizeof file_path) {
		dir_path[0] = file_path[0] = '\0';
		snprintf(why, whylen, "state_dir %s: name too long", dir);
		return -ENAMETOOLONG;
	}
	FILE *f = fopen(file_path, "re");
	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		int e = errno;
		snprintf(why, whylen, "%s: %s", file_path, strerror(e));
		return -e;
	}
	char **v = NULL, **s = NULL;
	size_t n = 0, ns = 0;
	int r = parse(f, &v, &n, &s, &ns, why, whylen);
	fclose(f);
	if (r < 0) {
		names_free(v, n);
		names_free(s, ns);
		return r;
	}
	sort_unique(v, &n);
	names = v;
	nnames = n;
	scales = s;
	nscales = ns;
	return 0;
}

void state_open(const char *dir)
{
	char why[PATH_MAX + 256];
	if (state_load(dir, why, sizeof why) < 0)
		log_warn("%s; starting with the config's defaults (no program disabled)", why);
	else if (nnames)
		log_info("%s: %zu program%s disabled (corralctl enable NAME)", file_path, nnames,
			 nnames == 1 ? "" : "s");
	for (size_t i = 0; i < nscales; i++)
		log_info("%s: scale %s (corralctl scale NAME --reset)", file_path, scales[i]);
}

/* V[0..N) and the scales S[0..NS) as the file, atomically. */
static int write_file(char **v, size_t n, char **s, size_t ns, char *why, size_t whylen)
{
	if (!file_path[0]) {
		snprintf(why, whylen, "no state_dir");
		return -EINVAL;
	}
	int r = io_mkdir_p(dir_path, 0700);
	if (r < 0) {
		snprintf(why, whylen, "state_dir %s: %s", dir_path, strerror(-r));
		return r;
	}
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir_path, STATE_FILE);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whylen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		snprintf(why, whylen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	fprintf(f, "# What corralctl disable and enable decided; corrald rewrites it whole.\n"
		   "corral-state %d\n", STATE_VERSION);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "disabled %s\n", v[i]);
	for (size_t i = 0; i < ns; i++)
		fprintf(f, "scale %s\n", s[i]);
	if (fflush(f) != 0 || fsync(fd) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, file_path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		snprintf(why, whylen, "%s: %s", file_path, strerror(-r));
		return r;
	}
	/* The rename itself, on disk. */
	int d = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d >= 0) {
		if (fsync(d) < 0)
			r = -errno;
		close(d);
	}
	if (r < 0)
		snprintf(why, whylen, "%s: fsync: %s", dir_path, strerror(-r));
	return r;
}

int state_set_disabled(const char *const *add, size_t n, bool on, char *why, size_t whylen)
{
	why[0] = '\0';
	char **v = NULL;
	size_t nv = 0;
	int r = 0;
	for (size_t i = 0; i < nnames && r == 0; i++) {
		bool drop = false;
		for (size_t j = 0; j < n && !on && !drop; j++)
			drop = strcmp(names[i], add[j]) == 0;
		if (!drop)
			r = push(&v, &nv, names[i]);
	}
	for (size_t j = 0; j < n && on && r == 0; j++) {
		if (!name_ok(add[j])) {
			snprintf(why, whylen, "'%s': not a program name", add[j]);
			r = -EINVAL;
		} else {
			r = push(&v, &nv, add[j]);
		}
	}
	if (r == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (r == 0) {
		sort_unique(v, &nv);
		r = write_file(v, nv, scales, nscales, why, whylen);
	}
	if (r < 0) {
		names_free(v, nv);
		return r;
	}
	names_free(names, nnames);
	names = v;
	nnames = nv;
	return 0;
}

int state_set_scale(const char *name, int count, char *why, size_t whylen)
{
	why[0] = '\0';
	if (!name_ok(name) || count < 0 || count > STATE_SCALE_MAX) {
		snprintf(why, whylen, "'%s %d': not a program name and a count", name, count);
		return -EINVAL;
	}
	char **v = NULL;
	size_t nv = 0;
	int r = 0;
	for (size_t i = 0; i < nscales && r == 0; i++)
		if (scale_find(&scales[i], 1, name) < 0)
			r = push(&v, &nv, scales[i]);
	char entry[512];
	snprintf(entry, sizeof entry, "%s %d", name, count);
	if (r == 0 && count)
		r = push(&v, &nv, entry);
	if (r == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (r == 0)
		r = write_file(names, nnames, v, nv, why, whylen);
	if (r < 0) {
		names_free(v, nv);
		return r;
	}
	names_free(scales, nscales);
	scales = v;
	nscales = nv;
	return 0;
}
