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
  int query = sl == 1 && suf[0] == '?';
  int test = sl == 2 && suf[0] == '=' && suf[1] == '?';
  int exec = sl == 0;
  int set = sl >= 1 && suf[0] == '=' && !test;
  const char *args = set ? suf + 1 : NULL;
  size_t al = set ? sl - 1 : 0;

  if (word_is(name, nl, "+NNMI")) {
    if (query) add(out, "+NNMI", 1, 1);
    else if (test) add(out, "+NNMI", 0, -1);
    return;
  }
  if (word_is(name, nl, "+CSCON")) {
    if (query) add(out, "+CSCON", 2, 2);
    else if (test) add(out, "+CSCON", 0, -1);
    return;
  }
  if (word_is(name, nl, "+CEREG")) {
    /* Answer = URC shape + the leading <n>: 2, 5, 7 or 9 fields, never 1/4/6/8, so
     * a URC arriving while the query runs stays a URC. */
    if (query) {
      add(out, "+CEREG", 2, 2);
      add(out, "+CEREG", 5, 5);
      add(out, "+CEREG", 7, 7);
      add(out, "+CEREG", 9, 9);
    } else if (test) {
      add(out, "+CEREG", 0, -1);
    }
    return;
  }
  if (word_is(name, nl, "+NMGR")) {
    if (exec) add(out, "+NMGR", 2, 2);
    return;
  }
  if (word_is(name, nl, "+NCFG")) {
    /* AT+NCFG=0 (mode only) reads the lifetime; AT+NCFG=0,<v> sets it (just OK). */
    if (test) add(out, "+NCFG", 1, 2);
    else if (set && memchr(args, ',', al) == NULL) add(out, "+NCFG", 1, 1);
    return;
  }
  if (word_is(name, nl, "+NMSTATUS")) {
    if (query) add(out, "+NMSTATUS", 1, 1);
    return;
  }
  if (word_is(name, nl, "+QLWULDATASTATUS")) {
    if (query) add(out, "+QLWULDATASTATUS", 1, 1);
    return;
  }
  if (word_is(name, nl, "+NQMGR")) {
    if (exec) add(out, "BUFFERED=", AT_MATCH_ANY_TEXT, -1);
    return;
  }
  if (word_is(name, nl, "+CGMI") || word_is(name, nl, "+CGMM") || word_is(name, nl, "+CGMR") ||
      word_is(name, nl, "+GMI") || word_is(name, nl, "+GMM") || word_is(name, nl, "+GMR")) {
    if (exec) out->flags = AT_CMD_TEXT_LINES;
    return;
  }
  if (word_is(name, nl, "+CGSN")) {
    /* <snt> 0 (or absent): the serial number as a bare line; 1..3: +CGSN: <imei...>. */
    if (exec || (set && al == 1 && args[0] == '0')) out->flags = AT_CMD_TEXT_LINES;
    else if (set || test) add(out, "+CGSN", 1, 1);
    return;
  }
  if (word_is(name, nl, "+CGPADDR")) {
    add(out, "+CGPADDR", 1, 3); /* cid[,"ipv4"[,"ipv6"]] or the test form's (list) */
    return;
  }
  if (word_is(name, nl, "+CSQ")) {
    if (exec) add(out, "+CSQ", 2, 2);
    else if (test) add(out, "+CSQ", 0, -1);
    return;
  }
  /* Unknown command: a set command ("AT+NMGS=...") answers nothing but OK as far as we
   * know; query, test and execute forms answer with their own name. */
  if (set) return;
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
