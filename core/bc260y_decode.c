/* bc260y_decode.c: typed decoding of every URC and answer line the BC260Y-CN prints
 * (Quectel's guide, chapters 2 and 3). Lines come straight off the serial line, so
 * the decoders are strict and bounded: a known prefix with a malformed body is BC_NONE
 * (never a half-filled result), nothing reads past len, nothing allocates. Both spacings
 * ("+X: v" BC260Y, "+X:v" BC95/BC28 and the guide) and hex of either case are accepted;
 * spaces after commas are tolerated because the guide prints them in +QIND examples. */
#include <limits.h>
#include <string.h>

#include "bc260y.h"

#define MAX_FIELDS 10

typedef struct field {
  const char *p; /* contents, quotes stripped */
  size_t n;
  int quoted;
} field;

typedef struct body {
  field f[MAX_FIELDS];
  int n;     /* number of fields; 0 for a bare prefix */
  int bare;  /* no colon at all */
} body;

/* Does line start with prefix and go on with ':' or end? Splits what follows the colon
 * into quote-aware comma-separated fields. Returns 0 when the prefix does not match or
 * the body is malformed (unbalanced quotes, junk after a closing quote, too many
 * fields, a colon followed by nothing). */
static int split(const char *line, size_t len, const char *prefix, body *b) {
  size_t pl = strlen(prefix);
  if (len < pl || memcmp(line, prefix, pl) != 0) return 0;
  memset(b, 0, sizeof *b);
  if (len == pl) {
    b->bare = 1;
    return 1;
  }
  if (line[pl] != ':') return 0;
  size_t i = pl + 1;
  while (i < len && line[i] == ' ') i++;
  if (i == len) return 0; /* "+X:" with nothing: not a form the module prints */
  for (;;) {
    if (b->n == MAX_FIELDS) return 0;
    field *f = &b->f[b->n++];
    while (i < len && line[i] == ' ') i++;
    if (i < len && line[i] == '"') {
      size_t s = ++i;
      while (i < len && line[i] != '"') i++;
      if (i == len) return 0; /* unterminated quote */
      f->p = line + s;
      f->n = i - s;
      f->quoted = 1;
      i++;
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] != ',') return 0; /* "a"b */
    } else {
      size_t s = i;
      while (i < len && line[i] != ',') {
        if (line[i] == '"') return 0; /* a quote inside an unquoted field */
        i++;
      }
      size_t e = i;
      while (e > s && line[e - 1] == ' ') e--;
      f->p = line + s;
      f->n = e - s;
    }
    if (i == len) break;
    i++; /* the comma */
  }
  return 1;
}

/* A decimal number, optional leading '-', digits only, no overflow, within [lo, hi]. */
static int num(const field *f, long lo, long hi, long *v) {
  size_t i = 0;
  int neg = 0;
  if (f->quoted) return 0;
  if (f->n > 0 && f->p[0] == '-') neg = 1, i = 1;
  if (i == f->n) return 0;
  long x = 0;
  for (; i < f->n; i++) {
    unsigned char c = (unsigned char)f->p[i];
    if (c < '0' || c > '9') return 0;
    if (x > (LONG_MAX - (c - '0')) / 10) return 0;
    x = x * 10 + (c - '0');
  }
  if (neg) x = -x;
  if (x < lo || x > hi) return 0;
  *v = x;
  return 1;
}

static int is_text(const field *f, const char *w) {
  size_t wl = strlen(w);
  return f->n == wl && memcmp(f->p, w, wl) == 0;
}

static int is_hex(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (bc_hex_value(c) < 0) return 0;
  }
  return 1;
}

/* Printable ASCII without quotes or commas: an IMEI, a PIN state, a revision. */
static int is_token(const char *p, size_t n, int allow_space) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c > 0x7e || c == '"' || c == ',' || (c == ' ' && !allow_space)) return 0;
  }
  return 1;
}

/* An IPv4 or IPv6 address as the module prints it: digits, hex letters, '.' and ':'. */
static int is_addr(const char *p, size_t n) {
  if (n == 0 || n > 63) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (bc_hex_value(c) < 0 && c != '.' && c != ':')
      return 0;
  }
  return 1;
}

static void set_text(bc_decoded *out, const field *f) {
  out->text = f->p;
  out->text_len = f->n;
}

/* <length>,<hex>: length 1..2560 and exactly 2*length hex digits (quotes tolerated: the
 * guide shows NMGS data both quoted and not). */
static int payload(const body *b, bc_decoded *out) {
  long n;
  if (b->n != 2 || !num(&b->f[0], 1, BC_MAX_DOWNLINK, &n)) return 0;
  if (b->f[1].n != (size_t)n * 2 || !is_hex(b->f[1].p, b->f[1].n)) return 0;
  out->value = n;
  set_text(out, &b->f[1]);
  return 1;
}

static bc_kind decode_nnmi(const body *b, bc_decoded *out) {
  long v;
  if (b->bare) return BC_NNMI_INDICATION;
  if (b->n == 1) return num(&b->f[0], 0, 2, &v) ? (out->value = v, BC_NNMI_MODE) : BC_NONE;
  if (b->n == 2 && b->f[0].quoted && is_text(&b->f[0], "recv")) {
    if (!b->f[1].quoted && is_text(&b->f[1], "buff full")) return BC_NNMI_BUFF_FULL;
    return BC_NONE;
  }
  return payload(b, out) ? BC_NNMI_DATA : BC_NONE;
}

/* <percent>% (the % is optional: the URC index writes a bare <percent>). */
static int percent(const field *f, long *v) {
  field g = *f;
  if (g.n > 0 && g.p[g.n - 1] == '%') g.n--;
  return num(&g, 0, 100, v);
}

static bc_kind decode_qind(const body *b, bc_decoded *out) {
  if (b->bare || b->n < 2 || !b->f[0].quoted || !is_text(&b->f[0], "FOTA") || !b->f[1].quoted)
    return BC_NONE;
  const field *st = &b->f[1];
  long v, t, c;
  if (is_text(st, "DOWNLOAD START") && b->n == 2) {
    out->stage = BC_FOTA_DOWNLOAD_START;
  } else if (is_text(st, "START") && b->n == 2) {
    out->stage = BC_FOTA_START;
  } else if (is_text(st, "DOWNLOADING") && b->n == 3 && num(&b->f[2], 0, LONG_MAX, &v)) {
    out->stage = BC_FOTA_DOWNLOADING;
    out->value = v;
  } else if (is_text(st, "DOWNLOAD") && b->n == 3 && num(&b->f[2], 0, 255, &v)) {
    out->stage = BC_FOTA_DOWNLOAD;
    out->value = v;
  } else if (is_text(st, "END") && b->n == 3 && num(&b->f[2], 0, 255, &v)) {
    out->stage = BC_FOTA_END;
    out->value = v;
  } else if (is_text(st, "UPDATING") && b->n == 3 && percent(&b->f[2], &v)) {
    out->stage = BC_FOTA_UPDATING;
    out->value = v;
    out->n = out->m = -1;
  } else if (is_text(st, "UPDATING") && b->n == 5 && percent(&b->f[2], &v) &&
             num(&b->f[3], 0, 255, &t) && num(&b->f[4], 0, 255, &c)) {
    out->stage = BC_FOTA_UPDATING;
    out->value = v;
    out->n = t;
    out->m = c;
  } else {
    return BC_NONE;
  }
  return BC_FOTA;
}

static const char *const nmstatus_names[] = {
    "UNINITIALISED", "REGISTERING",           "REJECTED_BY_SERVER", "TIMEOUT",
    "REGISTERED",    "REGISTERED_AND_OBSERVED", "DEREGISTERED",     "RESUMPTION_FAILED"};

const char *bc_nmstatus_name(bc_nmstatus s) {
  if ((int)s < 0 || (size_t)s >= sizeof nmstatus_names / sizeof nmstatus_names[0]) return NULL;
  return nmstatus_names[s];
}

const char *bc_fota_stage_name(bc_fota_stage s) {
  switch (s) {
  case BC_FOTA_DOWNLOAD_START: return "download_start";
  case BC_FOTA_DOWNLOADING: return "downloading";
  case BC_FOTA_DOWNLOAD: return "download";
  case BC_FOTA_START: return "start";
  case BC_FOTA_UPDATING: return "updating";
  case BC_FOTA_END: return "end";
  }
  return NULL;
}

/* "NAME=<n>" at p[0..n). */
static int named_count(const char *p, size_t n, const char *name, long *v) {
  size_t nl = strlen(name);
  if (n <= nl + 1 || memcmp(p, name, nl) != 0 || p[nl] != '=') return 0;
  field f = {p + nl + 1, n - nl - 1, 0};
  return num(&f, 0, LONG_MAX, v);
}

static bc_kind decode_nqmgr(const char *line, size_t len, bc_decoded *out) {
  /* BUFFERED=<n>,RECEIVED=<n>,DROPPED=<n>: no '+' and no colon, so split by hand. */
  body b;
  memset(&b, 0, sizeof b);
  size_t i = 0;
  while (b.n < 3) {
    size_t s = i;
    while (i < len && line[i] != ',') i++;
    size_t e = i;
    while (e > s && line[e - 1] == ' ') e--;
    while (s < e && line[s] == ' ') s++;
    b.f[b.n].p = line + s;
    b.f[b.n].n = e - s;
    b.n++;
    if (i == len) break;
    i++;
  }
  if (b.n != 3 || i != len) return BC_NONE;
  if (!named_count(b.f[0].p, b.f[0].n, "BUFFERED", &out->buffered) ||
      !named_count(b.f[1].p, b.f[1].n, "RECEIVED", &out->received) ||
      !named_count(b.f[2].p, b.f[2].n, "DROPPED", &out->dropped))
    return BC_NONE;
  return BC_NQMGR;
}

/* One decoder per "+X" prefix: the split body (and the whole line) to a kind. */
static bc_kind dec_nmgr(const body *b, bc_decoded *out) {
  return payload(b, out) ? BC_NMGR : BC_NONE;
}

static bc_kind dec_nmstatus(const body *b, bc_decoded *out) {
  if (b->n != 1) return BC_NONE;
  for (size_t i = 0; i < sizeof nmstatus_names / sizeof nmstatus_names[0]; i++)
    if (is_text(&b->f[0], nmstatus_names[i])) {
      out->value = (long)i;
      set_text(out, &b->f[0]);
      return BC_NMSTATUS;
    }
  return BC_NONE;
}

static bc_kind dec_cscon(const body *b, bc_decoded *out) {
  long v, w;
  if (b->n == 1 && num(&b->f[0], 0, 1, &v)) return out->value = v, BC_CSCON;
  if (b->n == 2 && num(&b->f[0], 0, 3, &w) && num(&b->f[1], 0, 1, &v))
    return out->n = w, out->value = v, BC_CSCON_ANSWER;
  return BC_NONE;
}

static bc_kind dec_cereg(const body *b, bc_decoded *out) {
  long v, w;
  /* URC: <stat>[,<tac>,<ci>,<act>[,<cause_type>,<reject>[,<active>,<tau>]]]: 1/4/6/8
   * fields; the answer has <n> in front: 2/5/7/9. Only n and stat are decoded. */
  if (b->n == 1 || b->n == 4 || b->n == 6 || b->n == 8)
    return num(&b->f[0], 0, 10, &v) ? (out->value = v, BC_CEREG) : BC_NONE;
  if (b->n == 2 || b->n == 5 || b->n == 7 || b->n == 9)
    return num(&b->f[0], 0, 5, &w) && num(&b->f[1], 0, 10, &v)
               ? (out->n = w, out->value = v, BC_CEREG_ANSWER)
               : BC_NONE;
  return BC_NONE;
}

static bc_kind dec_cgpaddr(const body *b, bc_decoded *out) {
  long v;
  if (b->n < 1 || b->n > 3 || !num(&b->f[0], 0, 255, &v)) return BC_NONE;
  for (int i = 1; i < b->n; i++)
    if (!is_addr(b->f[i].p, b->f[i].n)) return BC_NONE;
  out->n = v;
  if (b->n > 1) set_text(out, &b->f[1]);
  else /* no address before attach: empty text, still inside the line */
    out->text = b->f[0].p + b->f[0].n, out->text_len = 0;
  return BC_CGPADDR;
}

static bc_kind dec_csq(const body *b, bc_decoded *out) {
  long v, w;
  if (b->n != 2 || !num(&b->f[0], 0, 99, &v) || !num(&b->f[1], 0, 99, &w)) return BC_NONE;
  if ((v > 31 && v != 99) || (w > 7 && w != 99)) return BC_NONE;
  return out->value = v, out->n = w, BC_CSQ;
}

static bc_kind dec_qnbiotevent(const body *b, bc_decoded *out) {
  if (b->n != 1) return BC_NONE;
  if (is_text(&b->f[0], "ENTER DEEPSLEEP")) return out->value = 1, BC_QNBIOTEVENT;
  if (is_text(&b->f[0], "EXIT DEEPSLEEP")) return out->value = 0, BC_QNBIOTEVENT;
  return BC_NONE;
}

/* What the one field of a simple line "+X: <field>" is. */
enum { ONE_NUMBER, ONE_TOKEN, ONE_TEXT, ONE_ADDRESS };

/* One row per "+X" prefix the module prints. Most lines are "+X: <one field>": the row
 * says what the field is (a number in [lo, hi] into value, a token, text with spaces or
 * an address into text) and the kind. The others have a decoder that tells the kinds
 * sharing the prefix apart (by field count or content). The first row whose prefix
 * splits decides. */
static const struct plus_row {
  char prefix[17]; /* in place, not a pointer: no relocation per row */
  unsigned char kind, field;
  long lo, hi;
  bc_kind (*decode)(const body *b, bc_decoded *out); /* NULL: a simple row */
} plus_rows[] = {
    {"+QLWEVTIND", BC_QLWEVTIND, ONE_NUMBER, -1, 10, NULL},
    {"+NNMI", 0, 0, 0, 0, decode_nnmi},
    {"+NMGR", 0, 0, 0, 0, dec_nmgr},
    {"+QIND", 0, 0, 0, 0, decode_qind},
    {"+NMSTATUS", 0, 0, 0, 0, dec_nmstatus},
    {"+QLWULDATASTATUS", BC_QLWULDATASTATUS, ONE_NUMBER, 0, 5, NULL},
    {"+NCFG", BC_NCFG, ONE_NUMBER, 0, BC_LIFETIME_MAX, NULL},
    {"+CSCON", 0, 0, 0, 0, dec_cscon},
    {"+CEREG", 0, 0, 0, 0, dec_cereg},
    {"+CGPADDR", 0, 0, 0, 0, dec_cgpaddr},
    {"+CGSN", BC_CGSN, ONE_TOKEN, 0, 0, NULL},
    {"+CSQ", 0, 0, 0, 0, dec_csq},
    {"+QNBIOTEVENT", 0, 0, 0, 0, dec_qnbiotevent},
    {"+CFUN", BC_CFUN, ONE_NUMBER, 0, 255, NULL},
    {"+CPIN", BC_CPIN, ONE_TEXT, 0, 0, NULL},
    {"+IP", BC_IP, ONE_ADDRESS, 0, 0, NULL},
    {"+CME ERROR", BC_CME_ERROR, ONE_NUMBER, 0, INT_MAX, NULL},
};

/* A simple row's line: exactly one field, of the row's sort. */
static bc_kind decode_one(const struct plus_row *r, const body *b, bc_decoded *out) {
  const field *f = &b->f[0];
  int ok;
  if (b->n != 1) return BC_NONE;
  switch (r->field) {
  case ONE_NUMBER: ok = num(f, r->lo, r->hi, &out->value); break;
  case ONE_ADDRESS: ok = is_addr(f->p, f->n); break;
  default: ok = is_token(f->p, f->n, r->field == ONE_TEXT); break;
  }
  if (!ok) return BC_NONE;
  if (r->field != ONE_NUMBER) set_text(out, f);
  return (bc_kind)r->kind;
}

static bc_kind decode_plus(const char *line, size_t len, bc_decoded *out) {
  body b;
  for (size_t i = 0; i < sizeof plus_rows / sizeof plus_rows[0]; i++) {
    const struct plus_row *r = &plus_rows[i];
    if (split(line, len, r->prefix, &b)) return r->decode ? r->decode(&b, out) : decode_one(r, &b, out);
  }
  return BC_NONE;
}

/* The name of each kind as the Lua binding shows it (core.decode(line).kind). */
static const char *const kind_names[] = {
    [BC_QLWEVTIND] = "qlwevtind",
    [BC_NNMI_DATA] = "nnmi_data",
    [BC_NNMI_INDICATION] = "nnmi_indication",
    [BC_NNMI_BUFF_FULL] = "nnmi_buff_full",
    [BC_NNMI_MODE] = "nnmi_mode",
    [BC_NMGR] = "nmgr",
    [BC_FOTA] = "fota",
    [BC_NMSTATUS] = "nmstatus",
    [BC_QLWULDATASTATUS] = "qlwuldatastatus",
    [BC_NQMGR] = "nqmgr",
    [BC_NCFG] = "ncfg",
    [BC_CSCON] = "cscon",
    [BC_CSCON_ANSWER] = "cscon_answer",
    [BC_CEREG] = "cereg",
    [BC_CEREG_ANSWER] = "cereg_answer",
    [BC_CGPADDR] = "cgpaddr",
    [BC_CGSN] = "cgsn",
    [BC_CSQ] = "csq",
    [BC_QNBIOTEVENT] = "qnbiotevent",
    [BC_CFUN] = "cfun",
    [BC_CPIN] = "cpin",
    [BC_IP] = "ip",
    [BC_RDY] = "rdy",
    [BC_CME_ERROR] = "cme_error",
    [BC_ATI_MANUFACTURER] = "ati_manufacturer",
    [BC_ATI_MODEL] = "ati_model",
    [BC_ATI_REVISION] = "ati_revision",
};

const char *bc_kind_name(bc_kind k) {
  if ((int)k <= 0 || (size_t)k >= sizeof kind_names / sizeof kind_names[0]) return NULL;
  return kind_names[k];
}

static int starts(const char *line, size_t len, const char *w) {
  size_t wl = strlen(w);
  return len >= wl && memcmp(line, w, wl) == 0;
}

bc_kind bc_decode(const char *line, size_t len, bc_decoded *out) {
  bc_decoded d;
  memset(&d, 0, sizeof d);
  bc_kind k = BC_NONE;
  if (!line) len = 0;
  /* The engine hands lines without their CR LF; a caller with a raw line still gets it
   * decoded. */
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
  if (len == 0) {
    k = BC_NONE;
  } else if (line[0] == '+') {
    k = decode_plus(line, len, &d);
  } else if (len == 3 && memcmp(line, "RDY", 3) == 0) {
    k = BC_RDY;
  } else if (starts(line, len, "BUFFERED=")) {
    k = decode_nqmgr(line, len, &d);
  } else if (starts(line, len, "Revision:")) {
    size_t i = 9;
    while (i < len && line[i] == ' ') i++;
    if (is_token(line + i, len - i, 0)) {
      d.text = line + i;
      d.text_len = len - i;
      k = BC_ATI_REVISION;
    }
  } else if (len == 11 && memcmp(line, "Quectel_Ltd", 11) == 0) {
    d.text = line;
    d.text_len = len;
    k = BC_ATI_MANUFACTURER;
  } else if (starts(line, len, "Quectel_") && len > 8 && is_token(line, len, 0)) {
    d.text = line;
    d.text_len = len;
    k = BC_ATI_MODEL;
  }
  if (k == BC_NONE) memset(&d, 0, sizeof d);
  d.kind = k;
  if (out) *out = d;
  return k;
}
