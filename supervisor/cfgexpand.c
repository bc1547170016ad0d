/* cfgexpand — supervisord's %(name)s in config values (see cfgexpand.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervisor/cfgexpand.h"
#include "supervisor/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

static int buf_addc(struct buf *b, char c, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (buf_add(b, &c, 1) < 0)
			return -ENOMEM;
	if (!b->s)
		return buf_add(b, "", 0);
	return 0;
}

/* The value of NAME (LEN bytes) in the "KEY=value" list ENV, or NULL. */
static const char *env_lookup(char *const *env, const char *name, size_t len)
{
	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static int expand_fail(char *err, size_t errlen, const char *what, const char *spec,
		       const char *why)
{
	snprintf(err, errlen, "%s '%s'%s", what, spec, why);
	return -EINVAL;
}

/* Python-style "%(name)[flags][width]conv" with conv s, d or i; "%%" is a
 * percent sign; any other '%' is kept as it is. Appends to OUT. */
static int expand_into(struct buf *out, const char *tmpl, struct cfgexpand_vars *v, char *err,
		       size_t errlen)
{
	if (buf_add(out, "", 0) < 0)
		return -ENOMEM;
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%' || (p[1] != '%' && p[1] != '(')) {
			if (buf_add(out, p, 1) < 0)
				return -ENOMEM;
			continue;
		}
		if (p[1] == '%') {
			if (buf_add(out, "%", 1) < 0)
				return -ENOMEM;
			p++;
			continue;
		}
		const char *name = p + 2;
		const char *close = strchr(name, ')');
		if (!close)
			return expand_fail(err, errlen, "unterminated", "%(", "");
		size_t namelen = (size_t)(close - name);
		const char *q = close + 1;
		bool left = false, zero = false, plus = false, space = false;
		for (; *q && strchr("-0+ #", *q); q++) {
			left |= *q == '-';
			zero |= *q == '0';
			plus |= *q == '+';
			space |= *q == ' ';
		}
		size_t width = 0;
		int ndigits = 0;
		for (; *q >= '0' && *q <= '9'; q++, ndigits++)
			width = width * 10 + (size_t)(*q - '0');
		/* the whole %(...)x, for messages */
		char spec[48];
		int speclen = (int)(q - p) + (*q ? 1 : 0);
		if (speclen < (int)sizeof spec)
			snprintf(spec, sizeof spec, "%.*s", speclen, p);
		else
			snprintf(spec, sizeof spec, "%.*s...", (int)sizeof spec - 4, p);
		if (ndigits > 3)
			return expand_fail(err, errlen, "field width too large in", spec, "");
		if (!*q)
			return expand_fail(err, errlen, "incomplete format", spec, "");
		if (*q != 's' && *q != 'd' && *q != 'i')
			return expand_fail(err, errlen, "bad format", spec,
					   " (expected s or d after the name)");
		const char *sval = NULL;
		bool is_num = false;    /* a number: process_num or numprocs */
		long long nval = 0;
		struct utsname uts;
		char envname[128];
		if (namelen == 4 && strncmp(name, "here", 4) == 0) {
			sval = v->here;
		} else if (namelen > 4 && strncmp(name, "ENV_", 4) == 0) {
			/* supervisord's: the environment corrald was started with,
			 * and what the config adds to it where supervisord does */
			for (int e = 0; e < 2 && !sval; e++)
				sval = env_lookup(v->env[e], name + 4, namelen - 4);
			if (!sval && namelen - 4 < sizeof envname) {
				memcpy(envname, name + 4, namelen - 4);
				envname[namelen - 4] = '\0';
				sval = getenv(envname);
			}
			if (!sval)
				return expand_fail(err, errlen, "unknown name in", spec,
						   " (no such environment variable)");
		} else if (namelen == 14 && strncmp(name, "host_node_name", 14) == 0) {
			if (uname(&uts) < 0)
				return expand_fail(err, errlen, "cannot expand", spec, "");
			sval = uts.nodename;
		} else if ((namelen == 12 && strncmp(name, "program_name", 12) == 0) ||
			   (namelen == 10 && strncmp(name, "group_name", 10) == 0)) {
			sval = v->program;
		} else if (namelen == 11 && strncmp(name, "process_num", 11) == 0) {
			if (!v->has_num)
				return expand_fail(err, errlen, "cannot use", spec,
						   " (only process_name has a process number)");
			is_num = true;
			nval = v->num;
			v->used_num = true;
		} else if (namelen == 8 && strncmp(name, "numprocs", 8) == 0) {
			if (!v->numprocs)
				return expand_fail(err, errlen, "cannot use", spec,
						   " outside a program");
			is_num = true;
			nval = v->numprocs;
		} else {
			return expand_fail(err, errlen, "unknown name in", spec, "");
		}
		if (!is_num && !sval)
			return expand_fail(err, errlen, "cannot use", spec, " here");
		if (!is_num && *q != 's')
			return expand_fail(err, errlen, "bad format", spec, " (a string needs s)");

		char digits[24];
		const char *sign = "";
		const char *text = sval;
		if (is_num) {
			long long n = nval;
			if (n < 0)
				sign = "-";
			else if (plus && *q != 's')
				sign = "+";
			else if (space && *q != 's')
				sign = " ";
			snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
			text = digits;
		}
		size_t len = strlen(sign) + strlen(text);
		size_t pad = width > len ? width - len : 0;
		bool zeros = is_num && *q != 's' && zero && !left;
		int rc = 0;
		if (!left && !zeros)
			rc |= buf_addc(out, ' ', pad);
		rc |= buf_add(out, sign, strlen(sign));
		if (zeros)
			rc |= buf_addc(out, '0', pad);
		rc |= buf_add(out, text, strlen(text));
		if (left)
			rc |= buf_addc(out, ' ', pad);
		if (rc)
			return -ENOMEM;
		p = q;
	}
	return 0;
}

int cfgexpand(const char *tmpl, struct cfgexpand_vars *v, char **out, char *err, size_t errlen)
{
	struct buf b = { 0 };
	int rc = expand_into(&b, tmpl, v, err, errlen);
	if (rc < 0) {
		free(b.s);
		*out = NULL;
		return rc;
	}
	*out = b.s; /* now owned by the caller */
	return 0;
}

int program_config_process_name(const struct program_config *p, int num, char *buf, size_t len)
{
	struct cfgexpand_vars v = { .program = p->name, .has_num = true, .num = num,
				    .numprocs = p->numprocs };
	struct buf b = { 0 };
	char err[8];
	int rc = expand_into(&b, p->process_name ? p->process_name : "%(program_name)s", &v,
			     err, sizeof err);
	if (rc == 0) {
		if (b.len >= len)
			rc = -ENAMETOOLONG;
		else
			memcpy(buf, b.s, b.len + 1);
	}
	free(b.s);
	return rc;
}

/* ---- in a config being read ------------------------------------------ */

char *cfgexpand_value(struct source *src, int line, const char *key, const char *value,
		      const char *program)
{
	struct loader *ld = src->ld;
	struct cfgexpand_vars vars = { .here = src->here, .program = program };
	if (program && src->sect == SEC_PROGRAM) {
		vars.numprocs = ld->progs[src->prog].numprocs;
		vars.num = ld->progs[src->prog].numprocs_start;
		vars.has_num = ld->supervisord;
	}
	/* supervisord reads [supervisord] and [include] first, with its own
	 * environment only; then [supervisord] environment = adds to the
	 * names every other section may expand, and a program's own
	 * environment = to those of its command, directory and log files. */
	if (ld->supervisord && (src->sect == SEC_PROGRAM || src->sect == SEC_FOREIGN)) {
		vars.env[1] = ld->sd_environment;
		if (src->sect == SEC_PROGRAM && cfgexpand_env_key(key))
			vars.env[0] = ld->progs[src->prog].environment;
	}
	char err[160], *out;
	int rc = cfgexpand(value, &vars, &out, err, sizeof err);
	if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc < 0)
		cfgload_error(src, line, "%s: %s", key, err);
	return out;
}

/* The keys whose values may differ per process (struct program_instance);
 * environment last: the others may expand what it sets. */
static const char *const instance_keys[] = {
	"command", "directory", "stdout_logfile", "stderr_logfile", "environment", NULL,
};
#define ENV_KEY CFGEXPAND_ENV_KEY
_Static_assert(sizeof instance_keys / sizeof instance_keys[0] - 1 ==
		       sizeof ((struct program_meta *)0)->tmpl / sizeof(char *),
	       "one template per instance key");

int cfgexpand_instance_key(const char *key)
{
	for (int i = 0; instance_keys[i]; i++)
		if (strcmp(instance_keys[i], key) == 0)
			return i;
	return -1;
}

bool cfgexpand_env_key(const char *key)
{
	int i = cfgexpand_instance_key(key);
	return i >= 0 && i != ENV_KEY;
}

/* The values were checked as they were read (with the first process's
 * number), so only memory can fail here. */
void cfgexpand_instances(struct source *src)
{
	struct loader *ld = src->ld;
	struct program_config *p = &ld->progs[src->prog];
	struct program_meta *m = &ld->meta[src->prog];
	bool any = false;
	for (size_t k = 0; k < sizeof m->tmpl / sizeof m->tmpl[0]; k++) {
		/* %(ENV_X)s alone is the same for every process unless the
		 * environment differs */
		if (m->tmpl[k] && !m->tmpl[ENV_KEY] && !strstr(m->tmpl[k], "%(process_num)")) {
			free(m->tmpl[k]);
			m->tmpl[k] = NULL;
		}
		any |= m->tmpl[k] != NULL;
	}
	if (!any || ld->nerrors || ld->oom)
		goto out;
	p->instances = calloc((size_t)p->numprocs, sizeof *p->instances);
	if (!p->instances) {
		ld->oom = true;
		goto out;
	}
	for (int i = 0; i < p->numprocs; i++) {
		struct program_instance *in = &p->instances[i];
		struct cfgexpand_vars vars = { .here = src->here, .program = p->name, .has_num = true,
				     .num = p->numprocs_start + i, .numprocs = p->numprocs,
				     .env = { NULL, ld->sd_environment } };
		char *v[5] = { NULL }, err[160];
		int rc = 0;
		/* the environment first: the others' %(ENV_X)s see it */
		if (m->tmpl[ENV_KEY] &&
		    (rc = cfgexpand(m->tmpl[ENV_KEY], &vars, &v[ENV_KEY], err, sizeof err)) == 0)
			rc = cfgkey_parse_environment(v[ENV_KEY], &in->environment, err, sizeof err);
		vars.env[0] = in->environment ? in->environment : p->environment;
		for (size_t k = 0; k < ENV_KEY && rc == 0; k++)
			if (m->tmpl[k])
				rc = cfgexpand(m->tmpl[k], &vars, &v[k], err, sizeof err);
		if (rc == 0 && v[0] && (rc = cmdline_split(v[0], &in->argv, err, sizeof err)) == 0)
			in->command = v[0], v[0] = NULL;
		in->directory = v[1];
		in->stdout_logfile = v[2];
		in->stderr_logfile = v[3];
		v[1] = v[2] = v[3] = NULL;
		free(v[0]);
		free(v[ENV_KEY]);
		if (rc < 0) {
			/* the same text with another number cannot turn bad, but say so if it does */
			if (rc == -ENOMEM)
				ld->oom = true;
			else
				cfgload_error(src, src->section_line, "process %d: %s", vars.num, err);
			break;
		}
	}
out:
	for (size_t k = 0; k < sizeof m->tmpl / sizeof m->tmpl[0]; k++) {
		free(m->tmpl[k]);
		m->tmpl[k] = NULL;
	}
}

void program_config_instance(const struct program_config *p, int index,
			     struct program_instance *out)
{
	const struct program_instance *in =
		p->instances && index >= 0 && index < p->numprocs ? &p->instances[index] : NULL;
	out->argv = in && in->argv ? in->argv : p->argv;
	out->command = in && in->command ? in->command : p->command;
	out->directory = in && in->directory ? in->directory : p->directory;
	out->stdout_logfile = in && in->stdout_logfile ? in->stdout_logfile : p->stdout_logfile;
	out->stderr_logfile = in && in->stderr_logfile ? in->stderr_logfile : p->stderr_logfile;
	out->environment = in && in->environment ? in->environment : p->environment;
}

static void instance_free(struct program_instance *in)
{
	cmdline_free(in->argv);
	free(in->command);
	free(in->directory);
	free(in->stdout_logfile);
	free(in->stderr_logfile);
	strv_free(in->environment);
}


void cfgexpand_free_instances(struct program_config *p)
{
	for (int i = 0; p->instances && i < p->numprocs; i++)
		instance_free(&p->instances[i]);
	free(p->instances);
	p->instances = NULL;
}
