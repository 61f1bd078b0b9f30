/* at_harness.h: what the AT engine's unit tests share: popped events copied so they
 * outlive the engine's next call, an engine with the module's real URC table, feeding
 * that pops as it goes, submitting, and taking the output as the module would read it.
 * Static functions in a header, like check.h: each test program includes it once. */
#ifndef SPEC_AT_HARNESS_H
#define SPEC_AT_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at.h"
#include "bc260y.h"
#include "check.h"

/* The module's real URC table, boot markers and probes (bc_engine_config): the rules are
 * tested with the shapes the library ships (mk() below). */

/* A popped event, copied so that it outlives the engine's next call. */
typedef struct ev {
  bc_at_event_type type;
  uint64_t tag;
  bc_at_result result;
  int code;
  char text[128];
  int has_text;
  char lines[512]; /* answer lines joined with '|' */
  size_t n_lines;
  int is_final;
} ev;

static ev evs[4096]; /* the model test feeds floods of answers at once */
static size_t n_evs;

/* Copies an event into evs. */
static inline void keep_event(const bc_at_event *e) {
  if (n_evs >= sizeof evs / sizeof evs[0]) {
    CHECK(!"too many events");
    return;
  }
  ev *d = &evs[n_evs++];
  memset(d, 0, sizeof *d);
  d->type = e->type;
  d->tag = e->tag;
  d->result = e->result;
  d->code = e->code;
  d->has_text = e->text != NULL;
  if (e->text) snprintf(d->text, sizeof d->text, "%.*s", (int)e->len, e->text);
  d->n_lines = e->n_lines;
  d->is_final = e->is_final;
  for (size_t i = 0; i < e->n_lines; i++) {
    const char *l = bc_at_event_line(e, i);
    if (i) strncat(d->lines, "|", sizeof d->lines - strlen(d->lines) - 1);
    strncat(d->lines, l, sizeof d->lines - strlen(d->lines) - 1);
  }
}

static inline void pop_all(bc_at_engine *at) {
  bc_at_event e;
  while (bc_at_next_event(at, &e)) keep_event(&e);
}

static inline bc_at_engine *mk(void (*tweak)(bc_at_config *)) {
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg);
  if (tweak) tweak(&cfg);
  bc_at_engine *at = bc_at_new(&cfg);
  CHECK(at != NULL);
  n_evs = 0;
  return at;
}

static inline void feed(bc_at_engine *at, const char *s, uint64_t now) {
  size_t n = strlen(s), off = 0;
  int spins = 0;
  while (off < n && spins++ < 1000) {
    off += bc_at_feed(at, (const uint8_t *)s + off, n - off, now);
    pop_all(at);
  }
  CHECK(off == n);
}

static inline void feedn(bc_at_engine *at, const char *s, size_t n, uint64_t now) {
  size_t off = 0;
  int spins = 0;
  while (off < n && spins++ < 1000) {
    off += bc_at_feed(at, (const uint8_t *)s + off, n - off, now);
    pop_all(at);
  }
  CHECK(off == n);
}

static inline int submit(bc_at_engine *at, const char *text, const bc_at_match *expect, size_t n_expect,
                  unsigned flags, uint64_t tag) {
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = text;
  c.len = strlen(text);
  c.expect = expect;
  c.n_expect = n_expect;
  c.flags = flags;
  c.tag = tag;
  return bc_at_submit(at, &c);
}

/* Takes the whole pending output, checks it, reports it written at now. */
static inline void write_out(bc_at_engine *at, const char *want, uint64_t now) {
  size_t len = 0;
  const uint8_t *out = bc_at_output(at, &len);
  CHECK_EQ_INT(len, strlen(want));
  if (out && len == strlen(want)) CHECK(memcmp(out, want, len) == 0);
  bc_at_output_consumed(at, len, now);
}

#endif
