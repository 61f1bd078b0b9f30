/* at_events.c: the engine's event ring and the arena that holds the texts of waiting
 * events. Room is reserved so that every accepted command's answer always fits (see
 * bc_at_new in at.c). */
#include <string.h>

#include "at_internal.h"

/* Texts of popped events stay valid until the next call that may raise events; at that
 * call, once every event has been popped, the arena starts over. */
void bc_at_ev_reclaim(bc_at_engine *at) {
  if (at->ring_count == 0) at->arena_used = 0;
}

int bc_at_ev_room(const bc_at_engine *at) {
  return at->ring_count <= at->cfg.event_max &&
         at->arena_cap - at->arena_used >= at->arena_need;
}

const char *bc_at_ev_put(bc_at_engine *at, const char *s, size_t n) {
  /* bc_at_ev_room() guaranteed the space; the check keeps a logic error from writing past it */
  if (at->arena_cap - at->arena_used < n + 1) return NULL;
  char *copy = at->arena + at->arena_used;
  memcpy(copy, s, n);
  copy[n] = '\0';
  at->arena_used += n + 1;
  return copy;
}

/* An event, with a copy of s as its text (NULL: no text). */
bc_at_event *bc_at_ev_push(bc_at_engine *at, bc_at_event_type type, const char *s, size_t n) {
  /* Cannot happen: events + pending <= ring_cap (see bc_at_new); kept so that a logic error
   * shows as a lost event in the fuzzer, not as memory corruption. */
  if (at->ring_count >= at->ring_cap) return NULL;
  bc_at_event *e = &at->ring[(at->ring_head + at->ring_count) % at->ring_cap];
  at->ring_count++;
  memset(e, 0, sizeof *e);
  e->type = type;
  if (s) {
    e->text = bc_at_ev_put(at, s, n);
    e->len = e->text ? n : 0;
  }
  return e;
}

/* A line shown as an event (URC, unknown line, overflow head, late answer), counted in
 * *counter. */
bc_at_event *bc_at_ev_line(bc_at_engine *at, uint64_t *counter, bc_at_event_type type, const char *s,
                   size_t n) {
  ++*counter;
  return bc_at_ev_push(at, type, s, n);
}

int bc_at_next_event(bc_at_engine *at, bc_at_event *ev) {
  if (!at || at->ring_count == 0) return 0;
  *ev = at->ring[at->ring_head];
  at->ring_head = (at->ring_head + 1) % at->ring_cap;
  at->ring_count--;
  return 1;
}

const char *bc_at_event_line(const bc_at_event *ev, size_t i) {
  if (!ev || !ev->lines || i >= ev->n_lines) return NULL;
  const char *p = ev->lines;
  while (i--) p += strlen(p) + 1;
  return p;
}

