#include "supervisor/hooks.h"

#include <errno.h>
#include <string.h>

static struct {
	const struct hooks *v[HOOKS_MAX];
	int n;
} H;

int hooks_subscribe(const struct hooks *h)
{
	if (H.n == HOOKS_MAX)
		return -ENOSPC;
	H.v[H.n++] = h;
	return 0;
}

void hooks_unsubscribe(const struct hooks *h)
{
	for (int i = 0; i < H.n; i++)
		if (H.v[i] == h) {
			/* the others keep their order */
			memmove(&H.v[i], &H.v[i + 1], (size_t)(H.n - i - 1) * sizeof H.v[0]);
			H.n--;
			return;
		}
}

/* The body once for every subscriber, in order, that has member M, as H. */
#define EACH(h, m) \
	for (int i_ = 0; i_ < H.n; i_++) \
		for (const struct hooks *h = H.v[i_]; h && h->m; h = NULL)

int hooks_open(const struct corral_config *cfg)
{
	for (int i = 0; i < H.n; i++) {
		if (!H.v[i]->on_open || H.v[i]->on_open(cfg) == 0)
			continue;
		while (i-- > 0)
			if (H.v[i]->on_close)
				H.v[i]->on_close();
		return -1;
	}
	return 0;
}

void hooks_close(void)
{
	for (int i = H.n; i-- > 0;)
		if (H.v[i]->on_close)
			H.v[i]->on_close();
}

int hooks_handover(struct handover *h, char *why, size_t whylen)
{
	EACH(hk, on_handover)
		if (hk->on_handover(h, why, whylen) < 0)
			return -1;
	return 0;
}

void hooks_process_adopted(struct process *p)
{
	EACH(hk, on_process_adopted)
		hk->on_process_adopted(p);
}

void hooks_taken_over(void)
{
	EACH(hk, on_taken_over)
		hk->on_taken_over();
}

void hooks_bury(void)
{
	EACH(h, on_bury)
		h->on_bury();
}

void hooks_free_all(void)
{
	EACH(h, on_free_all)
		h->on_free_all();
}

void hooks_started(void)
{
	EACH(h, on_started)
		h->on_started();
}

void hooks_stopping(void)
{
	EACH(h, on_stopping)
		h->on_stopping();
}

int hooks_program_new(struct program *prog)
{
	int r;
	EACH(h, on_program_new)
		if ((r = h->on_program_new(prog)) < 0)
			return r;
	return 0;
}

void hooks_program_free(struct program *prog)
{
	EACH(h, on_program_free)
		h->on_program_free(prog);
}

void hooks_group(const struct program *prog, bool added)
{
	EACH(h, on_group)
		h->on_group(prog, added);
}

int hooks_spawn_prepare(struct process *p, bool stdin_free, int stdio[2], char *err,
			size_t errlen)
{
	for (int i = 0; i < H.n; i++) {
		if (!H.v[i]->on_spawn_prepare)
			continue;
		int child[2] = { -1, -1 };
		int r = H.v[i]->on_spawn_prepare(p, stdin_free, child, err, errlen);
		if (r < 0) {
			while (i-- > 0)
				if (H.v[i]->on_spawn_done)
					H.v[i]->on_spawn_done(p, false);
			return r;
		}
		for (int k = 0; k < 2; k++)
			if (child[k] >= 0)
				stdio[k] = child[k];
		if (child[0] >= 0)
			stdin_free = false;
	}
	return 0;
}

void hooks_spawn_done(struct process *p, bool spawned)
{
	EACH(h, on_spawn_done)
		h->on_spawn_done(p, spawned);
}

size_t hooks_spawn_env(const struct process *p, char (*names)[PATH_MAX], size_t max)
{
	size_t n = 0;
	EACH(h, on_spawn_env)
		if (n < max && h->on_spawn_env(p, names[n], PATH_MAX))
			n++;
	return n;
}

void hooks_process_exited(struct process *p)
{
	EACH(h, on_process_exited)
		h->on_process_exited(p);
}

void hooks_process_state(struct process *p, enum pstate before, enum pstate after,
			 const struct pinput *in, bool spawned)
{
	EACH(h, on_process_state)
		h->on_process_state(p, before, after, in, spawned);
}

void hooks_process_changed(struct process *p, bool gone)
{
	EACH(h, on_process_changed)
		h->on_process_changed(p, gone);
}

void hooks_process_health(struct process *p, bool healthy, int failures, const char *reason)
{
	EACH(h, on_process_health)
		h->on_process_health(p, healthy, failures, reason);
}

bool hooks_stop_hold(const struct process *p)
{
	EACH(h, on_stop_hold)
		if (h->on_stop_hold(p))
			return true;
	return false;
}

size_t hooks_output(struct process *p, int which, const char *in, size_t len, const char **out)
{
	*out = in;
	EACH(h, on_output)
		len = h->on_output(p, which, *out, len, out);
	return len;
}

void hooks_log_data(struct process *p, int which, const struct iovec *iov, int n)
{
	EACH(h, on_log_data)
		h->on_log_data(p, which, iov, n);
}
