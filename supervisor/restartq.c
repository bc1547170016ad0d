/* restartq — restarts that answer before the process is back (restartq.h). */
#include "supervisor/restartq.h"

#include <stdlib.h>

#include "supervisor/supervisor.h"

struct restartq_item {
	struct process *p;
	struct restartq_item *next;
};

bool restartq_add(struct restartq *q, struct process *p)
{
	for (struct restartq_item *r = q->items; r; r = r->next)
		if (r->p == p)
			return true;
	struct restartq_item *r = malloc(sizeof *r);
	if (!r)
		return false;
	r->p = p;
	r->next = q->items; /* freed once P is started again, or gone */
	q->items = r;
	return true;
}

void restartq_cancel(struct restartq *q, const struct process *p)
{
	for (struct restartq_item **rp = &q->items, *r; (r = *rp); rp = &r->next)
		if (r->p == p) {
			*rp = r->next;
			free(r);
			return;
		}
}

void restartq_changed(struct restartq *q, struct process *p, bool gone)
{
	if (!q->items)
		return;
	if (q->checking) {
		q->again = true;
		return;
	}
	struct process *lost = gone ? p : NULL;
	q->checking = true;
	do {
		q->again = false;
		for (struct restartq_item **rp = &q->items, *r; (r = *rp);) {
			if (r->p != lost && !supervisor_shutting_down() && !q->down(r->p)) {
				rp = &r->next;
				continue;
			}
			*rp = r->next;
			struct process *x = r->p;
			free(r);
			if (x != lost && !supervisor_shutting_down())
				q->start(x);
			q->again = true; /* the list changed under the walk: again */
			break;
		}
	} while (q->again);
	q->checking = false;
}

void restartq_free(struct restartq *q)
{
	while (q->items) {
		struct restartq_item *r = q->items;
		q->items = r->next;
		free(r);
	}
}
