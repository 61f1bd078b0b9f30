/* at_events.c: the engine's event ring and the arena that holds the texts of waiting
 * events. Room is reserved so that every accepted command's answer always fits (see
 * at_new in at.c). */
#include <string.h>

#include "at_internal.h"

/* Texts of popped events stay valid until the next call that may raise events; at that
 * call, once every event has been popped, the arena starts over. */
void at_ev_reclaim(at_engine *at) {
  if (at->ring_count == 0) at->arena_used = 0;
}

int at_ev_room(const at_engine *at) {
  return at->ring_count <= at->cfg.event_max &&
         at->arena_cap - at->arena_used >= at->arena_need;
}

const char *at_ev_put(at_engine *at, const char *s, size_t n) {
  /* at_ev_room() guaranteed the space; the check keeps a logic error from writing past it */
  if (at->arena_cap - at->arena_used < n + 1) return NULL;
  char *copy = at->arena + at->arena_used;
  memcpy(copy, s, n);
  copy[n] = '\0';
  at->arena_used += n + 1;
  return copy;
}

/* An event, with a copy of s as its text (NULL: no text). */
at_event *at_ev_push(at_engine *at, at_event_type type, const char *s, size_t n) {
  /* Cannot happen: events + pending <= ring_cap (see at_new); kept so that a logic error
   * shows as a lost event in the fuzzer, not as memory corruption. */
  if (at->ring_count >= at->ring_cap) return NULL;
  at_event *e = &at->ring[(at->ring_head + at->ring_count) % at->ring_cap];
  at->ring_count++;
  memset(e, 0, sizeof *e);
  e->type = type;
  if (s) {
    e->text = at_ev_put(at, s, n);
    e->len = e->text ? n : 0;
  }
  return e;
}

/* A line shown as an event (URC, unknown line, overflow head, late answer), counted in
 * *counter. */
at_event *at_ev_line(at_engine *at, uint64_t *counter, at_event_type type, const char *s,
                   size_t n) {
  ++*counter;
  return at_ev_push(at, type, s, n);
}

int at_next_event(at_engine *at, at_event *ev) {
  if (!at || at->ring_count == 0) return 0;
  *ev = at->ring[at->ring_head];
  at->ring_head = (at->ring_head + 1) % at->ring_cap;
  at->ring_count--;
  return 1;
}

const char *at_event_line(const at_event *ev, size_t i) {
  if (!ev || !ev->lines || i >= ev->n_lines) return NULL;
  const char *p = ev->lines;
  while (i--) p += strlen(p) + 1;
  return p;
}

