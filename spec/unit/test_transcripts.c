/* test_transcripts.c: replays the guide's four example sessions (the .txt files in spec/transcripts)
 * through the AT engine: fed whole, byte by byte, and cut in two at every byte of the
 * module's output. Every way of cutting must give the same events, and those events must
 * be what the session means: each command's response with exactly its own answer lines,
 * every other module line a URC (the boot banner a reboot), nothing unknown. A boot banner
 * is one reboot whichever of its markers the session shows: 5.2.5 shows only
 * "+CPIN: READY" after the update.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at.h"
#include "bc260y.h"
#include "check.h"

#ifndef SPEC_DIR
#define SPEC_DIR "spec"
#endif

#define MAX_STEPS 128
#define LINE_CAP 256

typedef struct step {
  char dir; /* '>' host, '<' module */
  char text[LINE_CAP];
} step;

typedef struct script {
  const char *name;
  step steps[MAX_STEPS];
  size_t n;
  size_t module_bytes; /* total of "\r\n" text "\r\n" over module lines */
} script;

static int load(const char *name, script *s) {
  char path[512];
  snprintf(path, sizeof path, "%s/transcripts/%s", SPEC_DIR, name);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return 0;
  }
  memset(s, 0, sizeof *s);
  s->name = name;
  char line[LINE_CAP + 8];
  while (fgets(line, sizeof line, f)) {
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (n == 0 || line[0] == '#') continue;
    if (n < 3 || (line[0] != '>' && line[0] != '<') || line[1] != ' ' ||
        s->n >= MAX_STEPS) {
      fprintf(stderr, "%s: bad line: %s\n", path, line);
      fclose(f);
      return 0;
    }
    step *st = &s->steps[s->n++];
    st->dir = line[0];
    if (n - 2 >= LINE_CAP) {
      fprintf(stderr, "%s: line too long\n", path);
      fclose(f);
      return 0;
    }
    memcpy(st->text, line + 2, n - 1); /* with its NUL */
    if (st->dir == '<') s->module_bytes += strlen(st->text) + 4;
  }
  fclose(f);
  return 1;
}

/* An event flattened to one string, so that sequences compare with strcmp. */
#define MAX_EVENTS 128
#define EV_CAP 1024
typedef struct run {
  char ev[MAX_EVENTS][EV_CAP];
  size_t n;
  int ok;
} run;

static void describe(const bc_at_event *e, char *out, size_t cap) {
  switch (e->type) {
  case BC_AT_EV_RESPONSE: {
    int k = snprintf(out, cap, "response %llu %d %s", (unsigned long long)e->tag, (int)e->result,
                     e->text ? e->text : "-");
    for (size_t i = 0; i < e->n_lines && k > 0 && (size_t)k < cap; i++)
      k += snprintf(out + k, cap - (size_t)k, " | %s", bc_at_event_line(e, i));
    break;
  }
  case BC_AT_EV_URC: snprintf(out, cap, "urc %s", e->text); break;
  case BC_AT_EV_UNKNOWN: snprintf(out, cap, "unknown %s", e->text); break;
  case BC_AT_EV_LATE: snprintf(out, cap, "late %s", e->text); break;
  case BC_AT_EV_OVERFLOW: snprintf(out, cap, "overflow"); break;
  case BC_AT_EV_REBOOT: snprintf(out, cap, "reboot"); break;
  case BC_AT_EV_UNRESPONSIVE: snprintf(out, cap, "unresponsive"); break;
  case BC_AT_EV_UNOWED: snprintf(out, cap, "unowed %s", e->text); break;
  }
}

static void drain(bc_at_engine *at, run *r) {
  bc_at_event e;
  while (bc_at_next_event(at, &e)) {
    if (r->n >= MAX_EVENTS) {
      r->ok = 0;
      continue;
    }
    describe(&e, r->ev[r->n++], EV_CAP);
  }
}

static void feed_all(bc_at_engine *at, run *r, const uint8_t *p, size_t n, uint64_t now) {
  size_t off = 0;
  int spins = 0;
  while (off < n && spins++ < 100) {
    off += bc_at_feed(at, p + off, n - off, now);
    drain(at, r);
  }
  if (off != n) r->ok = 0;
}

enum mode { WHOLE, BYTEWISE, SPLIT };

/* Feeds one segment of module output; `base` is its offset in the whole module stream. */
static void feed_segment(bc_at_engine *at, run *r, const uint8_t *seg, size_t n, size_t base,
                         enum mode m, size_t cut, uint64_t now) {
  if (m == BYTEWISE) {
    for (size_t i = 0; i < n; i++) feed_all(at, r, seg + i, 1, now);
  } else if (m == SPLIT && cut > base && cut < base + n) {
    feed_all(at, r, seg, cut - base, now);
    feed_all(at, r, seg + (cut - base), n - (cut - base), now);
  } else {
    feed_all(at, r, seg, n, now);
  }
}

/* echo: the module echoes each command (echo on, as after a reboot) before answering. */
static void replay(const script *s, enum mode m, size_t cut, int echo, run *r) {
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg); /* the library's own tables, as the Lua binding uses them */
  bc_at_engine *at = bc_at_new(&cfg);
  memset(r, 0, sizeof *r);
  r->ok = at != NULL;
  if (!at) return;
  static uint8_t seg[64 * 1024];
  size_t seg_len = 0, base = 0;
  uint64_t now = 0;
  for (size_t i = 0; i <= s->n; i++) {
    const step *st = i < s->n ? &s->steps[i] : NULL;
    if (st && st->dir == '<') {
      size_t l = strlen(st->text);
      memcpy(seg + seg_len, "\r\n", 2);
      memcpy(seg + seg_len + 2, st->text, l);
      memcpy(seg + seg_len + 2 + l, "\r\n", 2);
      seg_len += l + 4;
      continue;
    }
    /* a host line (or the end): the module's output so far goes in first */
    feed_segment(at, r, seg, seg_len, base, m, cut, now);
    base += seg_len;
    seg_len = 0;
    now += 10;
    if (!st) break;
    bc_at_cmd c;
    memset(&c, 0, sizeof c);
    c.text = st->text;
    c.len = strlen(st->text);
    c.tag = i;
    bc_expect bx; /* answer shapes from the command text, as e:submit does */
    bc_expect_for(st->text, c.len, &bx);
    c.expect = bx.match;
    c.n_expect = bx.n;
    c.flags = bx.flags;
    if (bc_at_submit(at, &c) != 0) r->ok = 0;
    size_t len;
    const uint8_t *out = bc_at_output(at, &len);
    if (!out || len != c.len + 1 || memcmp(out, st->text, c.len) || out[c.len] != '\r')
      r->ok = 0;
    bc_at_output_consumed(at, len, now);
    now += 10;
    if (echo) { /* "AT...\r" comes back first; it belongs to the next module segment */
      memcpy(seg, st->text, c.len);
      seg[c.len] = '\r';
      seg_len = c.len + 1;
    }
  }
  bc_at_tick(at, now);
  drain(at, r);
  if (bc_at_pending(at) != 0) r->ok = 0;
  bc_at_free(at);
}

/* A boot marker's place in the banner (RDY, +CFUN: 1, +CPIN: READY), 0 for other lines. */
static int banner_rank(const char *line) {
  if (!strcmp(line, "RDY")) return 1;
  if (!strcmp(line, "+CFUN: 1") || !strcmp(line, "+CFUN:1")) return 2;
  if (!strcmp(line, "+CPIN: READY") || !strcmp(line, "+CPIN:READY")) return 3;
  return 0;
}

/* What the session means, worked out from the transcript alone: a line is an answer when
 * it carries the running command's own name ("AT+NMGR" -> "+NMGR:", AT+NQMGR ->
 * "BUFFERED="), the final ends the command; a boot marker is a reboot unless it follows
 * an earlier marker of the same banner (RDY, then +CFUN: 1, then +CPIN: READY); anything
 * else is a URC. */
static void oracle(const script *s, run *r) {
  memset(r, 0, sizeof *r);
  r->ok = 1;
  int open = 0, banner = 0;
  size_t tag = 0;
  char name[64] = "", lines[LINE_CAP * 2] = "";
  for (size_t i = 0; i < s->n; i++) {
    const step *st = &s->steps[i];
    if (st->dir == '>') {
      open = 1;
      tag = i;
      lines[0] = '\0';
      size_t k = strcspn(st->text + 2, "=?");
      snprintf(name, sizeof name, "%.*s:", (int)k, st->text + 2);
      if (!strcmp(st->text, "AT+NQMGR")) snprintf(name, sizeof name, "BUFFERED=");
      continue;
    }
    char *out = r->ev[r->n++];
    int rank = banner_rank(st->text);
    int answer = open && !strncmp(st->text, name, strlen(name));
    if (rank && !answer && rank <= banner) banner = 0; /* a new banner */
    if (rank && !answer && !banner) {
      banner = rank;
      if (open) { /* the running command fails with the reboot */
        snprintf(out, EV_CAP, "response %zu %d %s%s", tag, BC_AT_RESULT_REBOOT, st->text, lines);
        out = r->ev[r->n++];
        open = 0;
      }
      snprintf(out, EV_CAP, "reboot");
    } else if (open && (!strcmp(st->text, "OK") || !strcmp(st->text, "ERROR"))) {
      snprintf(out, EV_CAP, "response %zu %d %s%s", tag,
               st->text[0] == 'O' ? BC_AT_RESULT_OK : BC_AT_RESULT_ERROR, st->text, lines);
      open = 0;
    } else if (open && !strncmp(st->text, name, strlen(name))) {
      strncat(lines, " | ", sizeof lines - strlen(lines) - 1);
      strncat(lines, st->text, sizeof lines - strlen(lines) - 1);
      r->n--;
    } else {
      if (rank) banner = rank;
      snprintf(out, EV_CAP, "urc %s", st->text);
    }
  }
}

static int same(const run *a, const run *b) {
  if (!a->ok || !b->ok || a->n != b->n) return 0;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->ev[i], b->ev[i])) return 0;
  return 1;
}

static void dump(const char *what, const run *r) {
  fprintf(stderr, "  %s (ok=%d, %zu events):\n", what, r->ok, r->n);
  for (size_t i = 0; i < r->n; i++) fprintf(stderr, "    %s\n", r->ev[i]);
}

static int contains(const run *r, const char *ev) {
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->ev[i], ev)) return 1;
  return 0;
}

static run want, got;
static script sc;

static void check_transcript(const char *name, const char **must) {
  CHECK(load(name, &sc));
  if (!sc.n) return;
  oracle(&sc, &want);
  replay(&sc, WHOLE, 0, 0, &got);
  CHECK(same(&got, &want));
  if (!same(&got, &want)) {
    fprintf(stderr, "%s fed whole:\n", name);
    dump("expected", &want);
    dump("got", &got);
  }
  for (size_t i = 0; i < got.n; i++) CHECK(strncmp(got.ev[i], "unknown", 7) != 0);
  if (getenv("DUMP")) dump("got", &got);
  for (; *must; must++) {
    CHECK(contains(&got, *must));
    if (!contains(&got, *must)) fprintf(stderr, "%s: missing event: %s\n", name, *must);
  }
  replay(&sc, BYTEWISE, 0, 0, &got);
  CHECK(same(&got, &want));
  /* with echo on, the echoes are dropped and nothing else changes */
  replay(&sc, WHOLE, 0, 1, &got);
  CHECK(same(&got, &want));
  replay(&sc, BYTEWISE, 0, 1, &got);
  CHECK(same(&got, &want));
  size_t bad = 0;
  for (size_t cut = 1; cut < sc.module_bytes; cut++) {
    replay(&sc, SPLIT, cut, 0, &got);
    if (!same(&got, &want)) {
      if (!bad) {
        fprintf(stderr, "%s cut at %zu:\n", name, cut);
        dump("got", &got);
      }
      bad++;
    }
  }
  CHECK_EQ_INT(bad, 0);
  printf("%s: %zu events, %zu module bytes, %zu cuts\n", name, want.n, sc.module_bytes,
         sc.module_bytes - 1);
}

int main(void) {
  /* Events the sessions are about, spelled out so that a wrong oracle cannot hide them
   * (tags are the step's index among the transcript's non-comment lines, result 0 = OK). */
  const char *iot[] = {"urc +QLWEVTIND: 3",
                       "urc +NNMI",
                       "response 2 0 OK | +CGPADDR: 0,\"11.168.11.169\"",
                       "response 12 0 OK | BUFFERED=1,RECEIVED=1,DROPPED=0",
                       "response 15 0 OK | +NMGR: 4,AAAA0000",
                       "urc +NNMI: 4,AAAA0000",
                       "response 34 0 OK | +QLWULDATASTATUS: 4",
                       NULL};
  check_transcript("4_1_2_iot.txt", iot);
  const char *aep[] = {"reboot", "urc +CFUN: 1", "urc +CPIN: READY", "urc +QLWEVTIND: 3",
                       "urc +CSCON:0", "urc +CSCON:1", "urc +QLWEVTIND: 4",
                       "response 9 0 OK | +CGPADDR: 0,\"11.40.70.201\"", NULL};
  check_transcript("4_2_2_aep.txt", aep);
  const char *fota_iot[] = {"urc +QIND: \"FOTA\",\"DOWNLOADING\",512",
                            "urc +QIND: \"FOTA\", \"UPDATING\", 100%, 1,1",
                            "urc +QIND: \"FOTA\",\"END\",0", "reboot", "urc +QLWEVTIND: 9",
                            NULL};
  check_transcript("5_1_6_2_dfota_iot.txt", fota_iot);
  const char *fota_aep[] = {"urc +QLWEVTIND: 8", "urc +QIND: \"FOTA\",\"DOWNLOAD START\"",
                            "urc +QIND: \"FOTA\", \"START\"", "urc +QIND: \"FOTA\", \"END\", 0",
                            "reboot", "urc +QLWEVTIND: 9", NULL};
  check_transcript("5_2_5_dfota_aep.txt", fota_aep);
  /* it begins with +CPIN: READY too: two reboots, each from a lone marker */
  size_t reboots = 0;
  for (size_t i = 0; i < got.n; i++) reboots += !strcmp(got.ev[i], "reboot");
  CHECK_EQ_INT(reboots, 2);
  return CHECK_DONE();
}
