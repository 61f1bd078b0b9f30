/* bc260y_urc.c: which lines the BC260Y-CN prints unsolicited (the URC table the engine
 * classifies with) and which answer lines each command produces (bc_expect_for). Shapes
 * matter because prefixes are shared: "+NNMI: 1" answers AT+NNMI?, "+NNMI: 4,AAAA0000"
 * is downlink data; "+CSCON: 0,1" answers AT+CSCON?, "+CSCON: 1" is the URC. */
#include <string.h>

#include "bc260y.h"

/* Field counts are quote-aware: +QIND: "FOTA","DOWNLOAD START" has 2 fields,
 * +QIND: "FOTA","UPDATING",2%,1,1 has 5, +NNMI: "recv",buff full has 2. */
const at_match bc_urc_table[] = {
    {"+QLWEVTIND", 1, 1},   /* platform events -1..10 */
    {"+NNMI", 0, 0},        /* bare indication (AT+NNMI=2) */
    {"+NNMI", 2, 2},        /* <len>,<hex> (AT+NNMI=1) and "recv",buff full */
    {"+QIND", 2, 5},        /* the six FOTA forms */
    {"+CSCON", 1, 1},       /* RRC state after AT+CSCON=1 (the query answer has 2) */
    {"+CEREG", 1, 1},       /* <stat> (AT+CEREG=1) */
    {"+CEREG", 4, 4},       /* <stat>,<tac>,<ci>,<act> (AT+CEREG=2/3) */
    {"+CEREG", 6, 6},       /* ... ,<cause_type>,<reject_cause> (AT+CEREG=3) */
    {"+CEREG", 8, 8},       /* ... ,<active_time>,<periodic_tau> (AT+CEREG=4/5, PSM) */
    {"+QNBIOTEVENT", 1, 1}, /* "ENTER DEEPSLEEP" / "EXIT DEEPSLEEP" */
    {"+CFUN", 1, 1},        /* boot banner */
    {"+CPIN", 1, 1},        /* boot banner */
    {"+IP", 1, 1},          /* boot banner: address after attach */
    /* RDY is not here: the engine treats the boot banner itself (reboot handling). */
};
const size_t bc_urc_table_len = sizeof bc_urc_table / sizeof bc_urc_table[0];

static int upper(int c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }

/* Case-insensitive: does s[0..n) equal the upper-case word w? */
static int word_is(const char *s, size_t n, const char *w) {
  size_t wl = strlen(w);
  if (n != wl) return 0;
  for (size_t i = 0; i < n; i++)
    if (upper((unsigned char)s[i]) != w[i]) return 0;
  return 1;
}

static void add(bc_expect *out, const char *prefix, int min, int max) {
  if (out->n >= AT_CMD_MAX_EXPECT) return;
  out->match[out->n].prefix = prefix;
  out->match[out->n].min_fields = (int8_t)min;
  out->match[out->n].max_fields = (int8_t)max;
  out->n++;
}

/* The forms of an extended command a shape applies to. */
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
#define TEXT_LINES (-2) /* min: the answer is text lines (AT_CMD_TEXT_LINES), no shape */

/* The commands whose answers are known (upper case), and their answer shapes: for each,
 * the forms of the command that answer so and the field counts of the answer line
 * "<name>: ...". A known command in any other form expects nothing. */
static const char commands[][17] = {"+NNMI", "+CSCON", "+CEREG", "+NMGR", "+NCFG",
                                    "+NMSTATUS", "+QLWULDATASTATUS", "+NQMGR", "+CGMI",
                                    "+CGMM", "+CGMR", "+GMI", "+GMM", "+GMR", "+CGSN",
                                    "+CGPADDR", "+CSQ"};
enum { NNMI, CSCON, CEREG, NMGR, NCFG, NMSTATUS, QLWULDATASTATUS, NQMGR, CGMI, CGMM, CGMR,
       GMI, GMM, GMR, CGSN, CGPADDR, CSQ };
static const struct answer {
  unsigned char command, forms;
  int8_t min, max;
} answers[] = {
    {NNMI, F_QUERY, 1, 1},
    {NNMI, F_TEST, 0, -1},
    {CSCON, F_QUERY, 2, 2},
    {CSCON, F_TEST, 0, -1},
    /* The answer is the URC's shape plus the leading <n>: 2, 5, 7 or 9 fields, never
     * 1/4/6/8, so a URC arriving while the query runs stays a URC. */
    {CEREG, F_QUERY, 2, 2},
    {CEREG, F_QUERY, 5, 5},
    {CEREG, F_QUERY, 7, 7},
    {CEREG, F_QUERY, 9, 9},
    {CEREG, F_TEST, 0, -1},
    {NMGR, F_EXEC, 2, 2},
    /* AT+NCFG=0 (mode only) reads the lifetime; AT+NCFG=0,<v> sets it (just OK). */
    {NCFG, F_TEST, 1, 2},
    {NCFG, F_SET_ZERO | F_SET_ONE, 1, 1},
    {NMSTATUS, F_QUERY, 1, 1},
    {QLWULDATASTATUS, F_QUERY, 1, 1},
    {NQMGR, F_EXEC, AT_MATCH_ANY_TEXT, -1}, /* BUFFERED=..,RECEIVED=..,DROPPED=.. */
    {CGMI, F_EXEC, TEXT_LINES, 0},
    {CGMM, F_EXEC, TEXT_LINES, 0},
    {CGMR, F_EXEC, TEXT_LINES, 0},
    {GMI, F_EXEC, TEXT_LINES, 0},
    {GMM, F_EXEC, TEXT_LINES, 0},
    {GMR, F_EXEC, TEXT_LINES, 0},
    /* <snt> 0 (or absent): the serial number as a bare line; 1..3: +CGSN: <imei...>. */
    {CGSN, F_EXEC | F_SET_ZERO, TEXT_LINES, 0},
    {CGSN, F_TEST | F_SET_ONE | F_SET_MORE, 1, 1},
    {CGPADDR, F_ANY, 1, 3}, /* cid[,"ipv4"[,"ipv6"]] or the test form's (list) */
    {CSQ, F_EXEC, 2, 2},
    {CSQ, F_TEST, 0, -1},
};

void bc_expect_for(const char *cmd, size_t len, bc_expect *out) {
  memset(out, 0, sizeof *out);
  if (!cmd || len < 2 || upper((unsigned char)cmd[0]) != 'A' || upper((unsigned char)cmd[1]) != 'T')
    return;
  const char *p = cmd + 2;
  size_t rest = len - 2;
  if (rest == 0) return; /* plain AT */
  if (p[0] != '+') {
    /* Basic commands: only ATI prints text (manufacturer, model, revision). */
    if (word_is(p, rest, "I") || word_is(p, rest, "I0")) out->flags = AT_CMD_TEXT_LINES;
    return;
  }
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

  for (unsigned k = 0; k < sizeof commands / sizeof commands[0]; k++) {
    if (!word_is(name, nl, commands[k])) continue;
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
      const struct answer *a = &answers[i];
      if (a->command != k || !(a->forms & form)) continue;
      if (a->min == TEXT_LINES) out->flags = AT_CMD_TEXT_LINES;
      else add(out, a->min == AT_MATCH_ANY_TEXT ? "BUFFERED=" : commands[k], a->min, a->max);
    }
    return;
  }
  /* Unknown command: a set command ("AT+NMGS=...") answers nothing but OK as far as we
   * know; query, test and execute forms answer with their own name. */
  if (form & F_SET) return;
  if (nl > AT_MATCH_MAX_PREFIX) return;
  for (size_t i = 0; i < nl; i++) {
    unsigned char c = (unsigned char)name[i];
    /* Only a plausible command name becomes a prefix (no quotes, spaces, controls). */
    if (i > 0 && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '&' || c == '%')) {
      out->name[0] = '\0';
      return;
    }
    out->name[i] = (char)upper(c);
  }
  out->name[nl] = '\0';
  if (nl < 2) return;
  add(out, out->name, 0, -1);
}
