#include "supervisor/pidmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static size_t slot_of(pid_t pid, size_t cap)
{
	/* Fibonacci hashing spreads consecutive pids over the table. */
	return (size_t)(((uint64_t)(uint32_t)pid * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int grow(struct pidmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct pidmap_slot *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].pid)
			continue;
		size_t j = slot_of(m->slots[i].pid, cap);
		while (slots[j].pid)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int pidmap_put(struct pidmap *m, pid_t pid, void *value)
{
	if (pid <= 0)
		return -EINVAL;
	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap) {
		int r = grow(m);
		if (r < 0)
			return r;
	}
	size_t i = slot_of(pid, m->cap);
	while (m->slots[i].pid && m->slots[i].pid != pid)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].pid)
		m->n++;
	m->slots[i].pid = pid;
	m->slots[i].value = value;
	return 0;
}

static struct pidmap_slot *find(const struct pidmap *m, pid_t pid)
{
	if (!m->cap || pid <= 0)
		return NULL;
	size_t i = slot_of(pid, m->cap);
	while (m->slots[i].pid) {
		if (m->slots[i].pid == pid)
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void *pidmap_get(const struct pidmap *m, pid_t pid)
{
	struct pidmap_slot *s = find(m, pid);
	return s ? s->value : NULL;
}

void pidmap_del(struct pidmap *m, pid_t pid)
{
	struct pidmap_slot *s = find(m, pid);
	if (!s)
		return;
	size_t mask = m->cap - 1;
	size_t hole = (size_t)(s - m->slots);
	m->n--;
	/* Backward shift: move later members of the probe run into the hole
	 * when the hole lies between their home slot and where they sit. */
	for (size_t i = (hole + 1) & mask; m->slots[i].pid; i = (i + 1) & mask) {
		size_t home = slot_of(m->slots[i].pid, m->cap);
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].pid = 0;
	m->slots[hole].value = NULL;
}

void pidmap_free(struct pidmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = 0;
}
