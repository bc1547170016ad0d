#include "sandbox/caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>

int caps_count(void)
{
	/* cap_max_bits(): what the running kernel supports, which may be more
	 * or less than the headers knew. 64 bits is all a mask holds. */
	int n = (int)cap_max_bits();
	if (n <= 0 || n > 64)
		n = n <= 0 ? CAP_LAST_CAP + 1 : 64;
	return n;
}

int caps_parse(const char *value, uint64_t *keep, char *err, size_t errlen)
{
	uint64_t mask = 0;
	size_t words = 0;
	bool none = false;
	for (const char *p = value; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (!len)
			break;
		char name[64];
		words++;
		if (len >= sizeof name) {
			snprintf(err, errlen, "unknown capability '%.40s...'", p);
			return -EINVAL;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (strcasecmp(name, "none") == 0) {
			none = true;
			continue;
		}
		/* libcap reads "cap_chown" (any case); a number is not a name. */
		cap_value_t v;
		if (isdigit((unsigned char)name[0]) || cap_from_name(name, &v) < 0 || v < 0 ||
		    v >= 64) {
			snprintf(err, errlen, "unknown capability '%s'", name);
			return -EINVAL;
		}
		if (v >= caps_count()) {
			snprintf(err, errlen, "capability '%s' is not known to this kernel", name);
			return -EINVAL;
		}
		mask |= 1ull << v;
	}
	if (!words) {
		snprintf(err, errlen, "expected capability names or none");
		return -EINVAL;
	}
	if (none && words > 1) {
		snprintf(err, errlen, "none cannot be listed with capabilities");
		return -EINVAL;
	}
	*keep = mask;
	return 0;
}

int caps_prepare(struct caps *c)
{
	cap_t raise = cap_get_proc();
	cap_t final = cap_init();
	if (!raise || !final)
		goto fail;
	/* raise: what corrald may have (its permitted set), all effective,
	 * nothing inheritable. */
	cap_clear_flag(raise, CAP_INHERITABLE);
	for (int i = 0; i < caps_count(); i++) {
		cap_value_t v = i;
		cap_flag_value_t on;
		if (cap_get_flag(raise, v, CAP_PERMITTED, &on) == 0 &&
		    cap_set_flag(raise, CAP_EFFECTIVE, 1, &v, on) < 0)
			goto fail;
		if (c->keep & (1ull << i)) {
			if (cap_set_flag(final, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
			    cap_set_flag(final, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
			    cap_set_flag(final, CAP_INHERITABLE, 1, &v, CAP_SET) < 0)
				goto fail;
		}
	}
	if (c->raise)
		cap_free(c->raise);
	if (c->final)
		cap_free(c->final);
	c->raise = raise; /* both now owned by c */
	c->final = final;
	return 0;
fail:
	cap_free(raise);
	cap_free(final);
	return -ENOMEM;
}

int caps_apply(const struct caps *c, bool ambient, int *failed, int *cap)
{
	*cap = -1;
	if (!c->set)
		return 0;
	/* After a change of uid the effective set is empty; dropping from the
	 * bounding set needs CAP_SETPCAP effective again. */
	if (cap_set_proc(c->raise) < 0) {
		*failed = CAPS_RAISE;
		return -errno;
	}
	int n = caps_count();
	for (int i = 0; i < n; i++) {
		if (c->keep & (1ull << i))
			continue;
		if (cap_drop_bound(i) < 0 && errno != EINVAL) {
			*failed = CAPS_BOUND;
			*cap = i;
			return -errno;
		}
	}
	if (cap_set_proc(c->final) < 0) {
		*failed = CAPS_SET;
		return -errno;
	}
	/* Not cap_reset_ambient(): on some paths it calls cap_get_proc(), which
	 * allocates. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		*failed = CAPS_AMBIENT_CLEAR;
		return -errno;
	}
	if (!ambient)
		return 0;
	for (int i = 0; i < n; i++) {
		if (!(c->keep & (1ull << i)))
			continue;
		if (cap_set_ambient(i, CAP_SET) < 0) {
			*failed = CAPS_AMBIENT;
			*cap = i;
			return -errno;
		}
	}
	return 0;
}

const char *caps_call_name(int call)
{
	switch (call) {
	case CAPS_RAISE: return "capset (raise)";
	case CAPS_BOUND: return "drop from bounding set";
	case CAPS_SET: return "capset";
	case CAPS_AMBIENT_CLEAR: return "clear ambient set";
	case CAPS_AMBIENT: return "raise ambient";
	}
	return "?";
}

const char *caps_name(int cap, char *buf, size_t len)
{
	char *s = cap_to_name(cap);
	if (!s) {
		snprintf(buf, len, "%d", cap);
		return buf;
	}
	snprintf(buf, len, "%s", s);
	cap_free(s);
	/* libcap says "cap_chown"; the config and the man pages say CAP_CHOWN. */
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return buf;
}

void caps_format(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	if (!mask) {
		snprintf(buf, len, "none");
		return;
	}
	for (int i = 0; i < 64; i++) {
		if (!(mask & (1ull << i)))
			continue;
		char name[64];
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "",
				 caps_name(i, name, sizeof name));
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

void caps_free(struct caps *c)
{
	if (c->raise)
		cap_free(c->raise);
	if (c->final)
		cap_free(c->final);
	memset(c, 0, sizeof *c);
}
