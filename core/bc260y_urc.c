/* bc260y_urc.c: the engine's configuration for the BC260Y-CN: which lines it prints
 * unsolicited (the URC table), which answer lines each command produces (bc_expect_for),
 * its boot banner and the resync probes, all from core/bc260y_lines.h. Shapes matter
 * because prefixes are shared: "+NNMI: 1" answers AT+NNMI?, "+NNMI: 4,AAAA0000" is
 * downlink data; "+CSCON: 0,1" answers AT+CSCON?, "+CSCON: 1" is the URC. */
#include <string.h>

#include "bc260y.h"

/* The forms of an extended command a shape applies to (the "forms" column). */
enum {
  F_QUERY = 1,     /* AT+FOO? */
  F_TEST = 2,      /* AT+FOO=? */
  F_EXEC = 4,      /* AT+FOO */
  F_SET_ZERO = 8,  /* AT+FOO=0 exactly */
  F_SET_ONE = 16,  /* AT+FOO=x, any other argument without a comma */
  F_SET_MORE = 32, /* AT+FOO=x,y */
  F_SET = F_SET_ZERO | F_SET_ONE | F_SET_MORE,
  F_ANY = F_QUERY | F_TEST | F_EXEC | F_SET
};

/* Each generator below takes the rows of one role: a LINE or SHAPE row hands its shape to
 * <GENERATOR>_<role> (URC, URC_SAME, ANSWER, FINAL), a REPLY row to the answer generators. */
#define NOTHING(...)
#define BY_ROLE_LINE(KIND, name, prefix, min, max, role, command, forms, ...) \
  EACH_##role(prefix, min, max, command, forms)
#define BY_ROLE_SHAPE(KIND, prefix, min, max, role, command, forms, ...) \
  EACH_##role(prefix, min, max, command, forms)
#define BY_ROLE_REPLY(command, forms, prefix, min, max) EACH_ANSWER(prefix, min, max, command, forms)
#define ROWS_BY_ROLE BC_LINES(BY_ROLE_LINE, BY_ROLE_SHAPE, BY_ROLE_REPLY, NOTHING)

/* The URC table: every URC shape, once (the engine needs no second entry of a shape). */
#define EACH_URC(prefix, min, max, command, forms) {prefix, min, max},
#define EACH_URC_SAME NOTHING
#define EACH_ANSWER NOTHING
#define EACH_FINAL NOTHING
const bc_at_match bc_urc_table[] = {ROWS_BY_ROLE};
const size_t bc_urc_table_len = sizeof bc_urc_table / sizeof bc_urc_table[0];
#undef EACH_URC
#undef EACH_ANSWER

/* The answer shapes, for the commands in their forms; their command names and prefixes
 * packed one per shape (no pointer table: the flash build counts every relocation). A
 * command "" is the prefix's own name (stored once). */
#define EACH_URC NOTHING
#define EACH_ANSWER(prefix, min, max, command, forms) {forms, min, max},
static const struct answer {
  unsigned char forms;
  int8_t min, max;
} answers[] = {ROWS_BY_ROLE};
#undef EACH_ANSWER
#define EACH_ANSWER(prefix, min, max, command, forms) command "\0"
static const char answer_commands[] = ROWS_BY_ROLE;
#undef EACH_ANSWER
#define EACH_ANSWER(prefix, min, max, command, forms) prefix "\0"
static const char answer_prefixes[] = ROWS_BY_ROLE;
#undef EACH_ANSWER

/* The boot banner and the resync probes. */
static const char *const boot_markers[] = {BC_BOOT_MARKERS};
#define EACH_PROBE(text, marker, fields) {text "\r", {marker, fields, fields}},
static const bc_at_probe probes[] = {BC_PROBES(EACH_PROBE)};

void bc_engine_config(bc_at_config *cfg) {
  cfg->urcs = bc_urc_table;
  cfg->n_urcs = bc_urc_table_len;
  cfg->boot_markers = boot_markers;
  cfg->n_boot_markers = sizeof boot_markers / sizeof boot_markers[0];
  cfg->probes = probes;
  cfg->n_probes = sizeof probes / sizeof probes[0];
}

static int upper(int c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }

/* Case-insensitive: does s[0..n) equal the upper-case word w? */
static int word_is(const char *s, size_t n, const char *w) {
  for (size_t i = 0; i < n; i++) /* up to w's end, no strlen */
    if (upper((unsigned char)s[i]) != w[i] || !w[i]) return 0;
  return w[n] == '\0';
}

static void add_shape(bc_expect *out, const char *prefix, int min, int max) {
  if (out->n >= BC_AT_CMD_MAX_EXPECT) return;
  out->match[out->n].prefix = prefix;
  out->match[out->n].min_fields = (int8_t)min;
  out->match[out->n].max_fields = (int8_t)max;
  out->n++;
}

void bc_expect_for(const char *cmd, size_t len, bc_expect *out) {
  memset(out, 0, sizeof *out);
  /* c | 0x20 folds only 'A' onto 'a' (and 'T' onto 't') */
  if (!cmd || len < 2 || (cmd[0] | 0x20) != 'a' || (cmd[1] | 0x20) != 't') return;
  const char *p = cmd + 2;
  size_t rest = len - 2;
  if (rest == 0) return; /* plain AT */
  if (p[0] != '+') return; /* basic commands: their lines are answers all the same (at.h) */
  /* Extended command: the name runs to '?', '=' or the end (a ';' ends it too: the rest
   * is another command whose answers we do not try to predict). */
  size_t nl = 1;
  while (nl < rest && p[nl] != '?' && p[nl] != '=' && p[nl] != ';') nl++;
  const char *name = p, *suf = p + nl;
  size_t sl = rest - nl;
  unsigned form = 0;
  if (sl == 0) form = F_EXEC;
  else if (sl == 1 && suf[0] == '?') form = F_QUERY;
  else if (sl == 2 && suf[0] == '=' && suf[1] == '?') form = F_TEST;
  else if (suf[0] == '=')
    form = memchr(suf + 1, ',', sl - 1) ? F_SET_MORE : sl == 2 && suf[1] == '0' ? F_SET_ZERO : F_SET_ONE;

  /* A known command in a form no shape names expects nothing. */
  int known = 0;
  const char *command = answer_commands, *prefix = answer_prefixes;
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    const struct answer *a = &answers[i];
    if (word_is(name, nl, *command ? command : prefix)) {
      known = 1;
      if (a->forms & form) add_shape(out, prefix, a->min, a->max);
    }
    command += strlen(command) + 1;
    prefix += strlen(prefix) + 1;
  }
  if (known) return;
  /* Unknown command: a set command ("AT+NMGS=...") answers nothing but OK as far as we
   * know; query, test and execute forms answer with their own name. */
  if (form & F_SET) return;
  if (nl > BC_AT_MATCH_MAX_PREFIX) return;
  for (size_t i = 0; i < nl; i++) {
    int c = (unsigned char)name[i], u = upper(c);
    /* Only a plausible command name becomes a prefix (no quotes, spaces, controls). */
    if (i > 0 && !((u >= 'A' && u <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '&' ||
                   c == '%')) {
      out->name[0] = '\0';
      return;
    }
    out->name[i] = (char)u;
  }
  out->name[nl] = '\0';
  if (nl < 2) return;
  add_shape(out, out->name, 0, -1);
}
