/* test_at_model.c: the late-answer rule (docs/design.md, "Late answers") against a
 * simulated module and a simulated, badly scheduled host, in simulated time: many seeded
 * runs of thousands of commands each, in a second.
 *
 * The module reads what the host writes a few ms later and answers in order, each
 * command after a short delay, or late (0.4 to 30 s, past the host's timeout), or never
 * (it drops that one), or not at all because it reboots first (dropping everything it
 * read). The resync probes are commands like any other to it: late, dropped, and now and
 * then answered twice (a case outside the model, docs/design.md: only probes, whose
 * answer has a marker). In half of the runs it answers every probe with its marker as a
 * real module does; in the other half, like the fault soak's peer (spec/peer/peer.py), it
 * answers AT+NMSTATUS? so and every other probe's query with ERROR.
 *
 * The host does what lua/bc260y/modem/io.lua does, but wakes up late: every wake-up
 * (bytes arrived, or the engine's deadline) comes after a random stall, now and then a
 * long one (up to 6 s: a router busy elsewhere). Woken, it reads what has arrived, feeds
 * it as of just before the engine's deadline when that is past, ticks, writes, and sends
 * the next command as soon as the previous one is answered.
 *
 * Asserted for every command: an answer with lines is its own (AT+QECHO=<n> answered
 * "+QECHO: <n>"), an ERROR is one the module gave that command, and a command failed
 * unsent was never written. And liveness: once the module has been calm (every answer
 * prompt, nothing dropped, no reboot) for STUCK_MS, no command fails. */
#include "at_harness.h"

static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}
static uint32_t below(uint32_t n) { return rnd() % n; }
static uint64_t between(uint64_t lo, uint64_t hi) { return lo + below((uint32_t)(hi - lo + 1)); }

#define MAX_CMDS 3000
#define STUCK_MS 10000
#define BUF 65536

/* Bytes in flight one way: each byte with the time it becomes readable. */
typedef struct pipe_ {
  char data[BUF];
  uint64_t at[BUF];
  size_t head, tail;
} pipe_;

static void pipe_put(pipe_ *p, const char *s, size_t n, uint64_t t) {
  CHECK(p->tail + n <= BUF); /* the model's own limit: never reached when it is drained */
  for (size_t i = 0; i < n && p->tail < BUF; i++) {
    p->data[p->tail] = s[i];
    p->at[p->tail++] = t;
  }
}
static size_t pipe_ready(const pipe_ *p, uint64_t now) {
  size_t n = 0;
  while (p->head + n < p->tail && p->at[p->head + n] <= now) n++;
  return n;
}
static uint64_t pipe_next(const pipe_ *p) { return p->head < p->tail ? p->at[p->head] : UINT64_MAX; }
static void pipe_compact(pipe_ *p) {
  size_t n = p->tail - p->head;
  memmove(p->data, p->data + p->head, n);
  memmove(p->at, p->at + p->head, n * sizeof p->at[0]);
  p->head = 0;
  p->tail = n;
}

/* MODEL_TRACE=<seed>m (or e: probes refused) prints that run: what the host writes and reads, when. */
static int tracing;
static void trace(uint64_t now, const char *dir, const char *s, size_t n) {
  if (!tracing) return;
  fprintf(stderr, "%8llu %s ", (unsigned long long)now, dir);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\r') fputs("\\r", stderr);
    else if (s[i] == '\n') fputs("\\n", stderr);
    else fputc(s[i], stderr);
  }
  fputc('\n', stderr);
}

/* What the module decided for each AT+QECHO=<n>: 0 not read, 'o' answered, 'e' ERROR. */
static char decided[MAX_CMDS + 1];
static int written_tags[MAX_CMDS + 1];

#define MOD_PENDING 1024 /* a probe per command while the module is late by up to 30 s */

typedef struct module {
  char line[64];
  size_t len;
  char pending[MOD_PENDING][24]; /* lines read, not yet answered: a ring */
  size_t first, n_pending;
  uint64_t answer_at; /* when the head of pending is answered (0: not decided) */
  int fate;           /* FATE_* */
  int markers;        /* answers every probe with its marker (else only AT+NMSTATUS?) */
  uint64_t calm_from; /* no fault from then on that is not over */
} module;

enum { FATE_ANSWER, FATE_REBOOT, FATE_DROP, FATE_TWICE };

static void module_read(module *mo, pipe_ *in, uint64_t now) {
  size_t n = pipe_ready(in, now);
  for (size_t i = 0; i < n; i++) {
    char c = in->data[in->head++];
    if (c == '\r') {
      mo->line[mo->len] = '\0';
      trace(now, "mod", mo->line, mo->len);
      CHECK(mo->n_pending < MOD_PENDING); /* the host never has that many lines out */
      if (mo->len && mo->len < sizeof mo->pending[0] && mo->n_pending < MOD_PENDING)
        memcpy(mo->pending[(mo->first + mo->n_pending++) % MOD_PENDING], mo->line, mo->len + 1);
      mo->len = 0;
    } else if (mo->len < sizeof mo->line - 1) {
      mo->line[mo->len++] = c;
    }
  }
  pipe_compact(in);
}

static void module_answer(module *mo, const char *cmd, pipe_ *out, uint64_t now, int twice) {
  char buf[128];
  if (strncmp(cmd, "AT+QECHO=", 9) == 0) {
    int n = atoi(cmd + 9);
    if (below(20) == 0) {
      if (n > 0 && n <= MAX_CMDS) decided[n] = 'e';
      snprintf(buf, sizeof buf, "\r\nERROR\r\n");
    } else {
      if (n > 0 && n <= MAX_CMDS) decided[n] = 'o';
      snprintf(buf, sizeof buf, "\r\n+QECHO: %d\r\n\r\nOK\r\n", n);
    }
  } else if (!mo->markers && strcmp(cmd, "AT+NMSTATUS?") != 0) {
    snprintf(buf, sizeof buf, "\r\nERROR\r\n");
  } else if (strcmp(cmd, "AT+CMEE?") == 0) {
    snprintf(buf, sizeof buf, "\r\n+CMEE: 1\r\n\r\nOK\r\n");
  } else if (strcmp(cmd, "AT+CSCON?") == 0) {
    snprintf(buf, sizeof buf, "\r\n+CSCON: 0,1\r\n\r\nOK\r\n");
  } else if (strcmp(cmd, "AT+QSCLK?") == 0) {
    snprintf(buf, sizeof buf, "\r\n+QSCLK: 0\r\n\r\nOK\r\n");
  } else if (strcmp(cmd, "AT+CSQ") == 0) {
    snprintf(buf, sizeof buf, "\r\n+CSQ: 20,0\r\n\r\nOK\r\n");
  } else if (strcmp(cmd, "AT+NMSTATUS?") == 0) {
    snprintf(buf, sizeof buf, "\r\n+NMSTATUS: REGISTERED\r\n\r\nOK\r\n");
  } else {
    snprintf(buf, sizeof buf, "\r\nERROR\r\n");
  }
  pipe_put(out, buf, strlen(buf), now);
  /* twice: a probe's answer with its marker (never a bare final, never a command's) */
  if (twice && mo->markers && strncmp(cmd, "AT+QECHO=", 9) != 0 && strncmp(buf, "\r\n+", 3) == 0)
    pipe_put(out, buf, strlen(buf), now + between(0, 500));
}

/* Runs the module at time now (its events come in time order): reads what arrived,
 * answers the head of what it read when its time came, decides the next head's fate. */
static void module_run(module *mo, pipe_ *in, pipe_ *out, uint64_t now) {
  module_read(mo, in, now);
  for (;;) {
    if (!mo->n_pending) {
      mo->answer_at = 0;
      return;
    }
    if (!mo->answer_at) {
      /* per command, probes too: 0.3 % reboot instead, 3.7 % late (up to 30 s), 1 %
       * dropped, 2 % answered twice (a probe's answer only: module_answer) */
      uint32_t x = below(1000);
      mo->fate = x < 3 ? FATE_REBOOT : x >= 40 && x < 50 ? FATE_DROP
               : x >= 50 && x < 70 ? FATE_TWICE : FATE_ANSWER;
      mo->answer_at = now + (x < 3 ? 300 : x < 40 ? between(400, 30000) : between(1, 20));
      if (x < 50 && mo->calm_from < mo->answer_at + 1) mo->calm_from = mo->answer_at + 1;
    }
    if (mo->answer_at > now) return;
    mo->answer_at = 0;
    if (mo->fate == FATE_REBOOT) {
      mo->n_pending = 0;
      static const char banner[] = "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n";
      pipe_put(out, banner, sizeof banner - 1, now);
      return;
    }
    char cmd[24];
    memcpy(cmd, mo->pending[mo->first], sizeof cmd);
    mo->first = (mo->first + 1) % MOD_PENDING;
    mo->n_pending--;
    if (mo->fate != FATE_DROP) module_answer(mo, cmd, out, now, mo->fate == FATE_TWICE);
  }
}

/* Has the module been calm (no fault that is not over) for STUCK_MS? */
static int module_calm(const module *mo, uint64_t now) {
  return now >= mo->calm_from + STUCK_MS;
}

/* When the module acts next: bytes arrive, or the head's answer is due. */
static uint64_t module_next(const module *mo, const pipe_ *in) {
  uint64_t t = pipe_next(in);
  if (mo->answer_at && mo->answer_at < t) t = mo->answer_at;
  return t;
}

static const bc_at_match EXP_ECHO[] = {{"+QECHO", 1, 1}};
static int max_timeouts; /* the most commands timed out in one run */
static int max_stuck_refused; /* the most failed with the module calm, probes refused */


/* One run; returns how many commands went wrong (each one printed). */
static int run(uint64_t seed, int markers, int n_cmds) {
  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  const char *want_trace = getenv("MODEL_TRACE");
  char *rest = NULL;
  tracing = want_trace && strtoull(want_trace, &rest, 10) == seed && *rest == (markers ? 'm' : 'e');
  memset(decided, 0, sizeof decided);
  memset(written_tags, 0, sizeof written_tags);
  static pipe_ to_module, to_host;
  memset(&to_module, 0, sizeof to_module);
  memset(&to_host, 0, sizeof to_host);
  module mo;
  memset(&mo, 0, sizeof mo);
  mo.markers = markers;
  mo.calm_from = 1000;
  bc_at_engine *at = mk(NULL);
  int wrong = 0, next = 1, waiting = 0, answered = 0, timeouts = 0, stuck = 0;
  uint64_t now = 1000;
  for (int wakes = 0; wakes < 2000000 && answered < n_cmds; wakes++) {
    /* the host sends the next command once the previous one is answered */
    if (!waiting && next <= n_cmds) {
      char text[32];
      snprintf(text, sizeof text, "AT+QECHO=%d", next);
      bc_at_cmd c;
      memset(&c, 0, sizeof c);
      c.text = text;
      c.len = strlen(text);
      c.expect = EXP_ECHO;
      c.n_expect = 1;
      c.first_byte_ms = c.total_ms = 300;
      c.tag = (uint64_t)next++;
      CHECK_EQ_INT(bc_at_submit(at, &c), 0);
      waiting = 1;
    }
    /* writes what the engine has to say */
    size_t len = 0;
    const uint8_t *out = bc_at_output(at, &len);
    if (len) {
      if (len > 9 && memcmp(out, "AT+QECHO=", 9) == 0) {
        int n = atoi((const char *)out + 9);
        if (n > 0 && n <= MAX_CMDS) written_tags[n] = 1;
      }
      trace(now, "-->", (const char *)out, len);
      pipe_put(&to_module, (const char *)out, len, now + between(0, 3));
      bc_at_output_consumed(at, len, now);
    }
    /* sleeps until bytes arrive or the deadline (the module acting meanwhile), then is
     * scheduled late, the module going on until it is */
    uint64_t deadline = bc_at_next_deadline(at), wake;
    for (;;) {
      wake = pipe_next(&to_host);
      if (deadline < wake) wake = deadline;
      uint64_t t = module_next(&mo, &to_module);
      if (t >= wake) break;
      module_run(&mo, &to_module, &to_host, t);
    }
    CHECK(wake != UINT64_MAX); /* something is always due: nobody waits forever */
    if (wake == UINT64_MAX) break;
    uint32_t s = below(100);
    uint64_t stall = s < 80 ? between(0, 2) : s < 97 ? between(3, 400) : between(400, 6000);
    if (wake > now) now = wake;
    now += stall;
    for (uint64_t t; (t = module_next(&mo, &to_module)) <= now;) module_run(&mo, &to_module, &to_host, t);
    /* reads what arrived, fed as of before a deadline that passed (bc260y.modem.io, _feed_read) */
    size_t n = pipe_ready(&to_host, now);
    if (n) {
      uint64_t d = bc_at_next_deadline(at);
      uint64_t t = now >= d ? d - 1 : now;
      /* a read may return the bytes in more than one piece */
      size_t off = 0;
      while (off < n) {
        size_t piece = below(3) ? n - off : 1 + below((uint32_t)(n - off));
        trace(now, "<--", to_host.data + to_host.head + off, piece);
        feedn(at, to_host.data + to_host.head + off, piece, t);
        off += piece;
      }
      to_host.head += n;
      pipe_compact(&to_host);
    }
    if (now >= bc_at_next_deadline(at)) {
      trace(now, "tick", "", 0);
      bc_at_tick(at, now);
      pop_all(at);
    }
    for (size_t i = 0; i < n_evs; i++) {
      const ev *e = &evs[i];
      if (e->type != BC_AT_EV_RESPONSE) continue;
      int tag = (int)e->tag;
      answered++;
      waiting = 0;
      char want[64];
      snprintf(want, sizeof want, "+QECHO: %d", tag);
      int bad = 0;
      if (e->result == BC_AT_RESULT_OK)
        bad = strcmp(e->lines, want) != 0 || decided[tag] != 'o';
      else if (e->result == BC_AT_RESULT_ERROR)
        bad = decided[tag] != 'e';
      else if (e->result == BC_AT_RESULT_UNSENT) /* never written */
        bad = written_tags[tag] != 0;
      else if (e->result != BC_AT_RESULT_TIMEOUT && e->result != BC_AT_RESULT_REBOOT)
        bad = 1;
      if (e->result == BC_AT_RESULT_TIMEOUT || e->result == BC_AT_RESULT_UNSENT) {
        timeouts++;
        if (module_calm(&mo, now)) {
          stuck++;
          if (tracing) fprintf(stderr, "         stuck\n");
        }
      }
      if (tracing) fprintf(stderr, "         response %d: result %d '%s'\n", tag, (int)e->result, e->lines);
      if (bad) {
        wrong++;
        if (wrong <= 3)
          fprintf(stderr, "  seed %llu (%s): AT+QECHO=%d got result %d '%s' lines '%s' (module: %c)\n",
                  (unsigned long long)seed, markers ? "markers" : "probes refused", tag,
                  (int)e->result, e->text, e->lines, decided[tag] ? decided[tag] : '-');
      }
    }
    n_evs = 0;
  }
  CHECK_EQ_INT(answered, n_cmds);
  /* Liveness: the host recovers after every fault. A late or lost answer costs the
   * commands that wait for it, but once the module has been calm for STUCK_MS (two probe
   * round trips, a long stall and some: docs/design.md, "Liveness"), a command that fails
   * means the host is stuck (probing forever, every command failed unsent). */
  if (stuck && (markers || getenv("MODEL_VERBOSE")))
    fprintf(stderr, "  seed %llu (%s): %d commands failed with the module calm\n",
            (unsigned long long)seed, markers ? "markers" : "probes refused", stuck);
  /* Only a marker settles probes the module lost (a bare final settles the oldest one,
   * which may not be the one answering): the bound holds for a module that answers the
   * probes with their markers. One that refuses all but one (the peer's) recovers, but
   * slowly: reported, not asserted. */
  if (markers) CHECK_EQ_INT(stuck, 0);
  else if (stuck > max_stuck_refused) max_stuck_refused = stuck;
  if (timeouts > max_timeouts) max_timeouts = timeouts;
  bc_at_free(at);
  return wrong;
}

int main(void) {
  /* MODEL_SEEDS=<n> runs more seeds (40 in the suite: about a second) */
  const char *seeds_env = getenv("MODEL_SEEDS");
  uint64_t seeds = seeds_env ? strtoull(seeds_env, NULL, 10) : 40;
  int wrong = 0, runs = 0;
  for (uint64_t seed = 1; seed <= seeds; seed++)
    for (int markers = 0; markers < 2; markers++, runs++) wrong += run(seed, markers, 2000);
  printf("%d runs of 2000 commands: %d answered wrongly; at most %d failed in a run; probes "
         "refused: at most %d failed with the module calm\n", runs, wrong, max_timeouts,
         max_stuck_refused);
  CHECK_EQ_INT(wrong, 0);
  return CHECK_DONE();
}
