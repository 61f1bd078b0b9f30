/* bc260y_decode.c: typed decoding of every URC and answer line the BC260Y-CN prints
 * (Quectel's guide, chapters 2 and 3). Lines come straight off the serial line, so
 * the decoders are strict and bounded: a known prefix with a malformed body is BC_NONE
 * (never a half-filled result), nothing reads past len, nothing allocates. Both spacings
 * ("+X: v" BC260Y, "+X:v" BC95/BC28 and the guide) and hex of either case are accepted;
 * spaces after commas are tolerated because the guide prints them in +QIND examples. */
#include <limits.h>
#include <string.h>

#include "bc260y_rows.h"

#define MAX_FIELDS 10

typedef struct field {
  const char *p; /* contents, quotes stripped */
  size_t n;
  int quoted;
} field;

typedef struct body {
  field f[MAX_FIELDS];
  int n; /* number of fields; 0 for a bare prefix (no colon at all) */
} body;

/* Lists of names, packed one after another (no pointer table: the flash build counts
 * every relocation), an empty name ending each. */
static const char *nth(const char *list, unsigned i) {
  while (i--) list += strlen(list) + 1;
  return list;
}

/* The prefixes, in the order of decode_row.prefix. "BUFFERED=" (AT+NQMGR's answer) has
 * no '+' and no colon: its prefix is part of its first field. */
static const char prefixes[] = "+QLWEVTIND\0+NNMI\0+NMGR\0+QIND\0+NMSTATUS\0+QLWULDATASTATUS\0"
                               "+NCFG\0+CSCON\0+CEREG\0+CGPADDR\0+CGSN\0+CSQ\0+QNBIOTEVENT\0"
                               "+CFUN\0+CPIN\0+IP\0+CME ERROR\0BUFFERED=\0";
enum { P_QLWEVTIND, P_NNMI, P_NMGR, P_QIND, P_NMSTATUS, P_QLWULDATASTATUS, P_NCFG, P_CSCON,
       P_CEREG, P_CGPADDR, P_CGSN, P_CSQ, P_QNBIOTEVENT, P_CFUN, P_CPIN, P_IP, P_CME_ERROR,
       P_BUFFERED };

/* Does line start with prefix and go on with ':' or end? Splits what follows the colon
 * into quote-aware comma-separated fields. Returns 0 when the prefix does not match or
 * the body is malformed (unbalanced quotes, junk after a closing quote, too many
 * fields, a colon followed by nothing). */
static int split(const char *line, size_t len, const char *prefix, body *b) {
  size_t pl = strlen(prefix), i = pl + 1;
  if (len < pl || memcmp(line, prefix, pl) != 0) return 0;
  memset(b, 0, sizeof *b);
  if (prefix[0] != '+') i = 0; /* BUFFERED=: the whole line is the body */
  else if (len == pl) return 1; /* bare */
  else if (line[pl] != ':') return 0;
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

/* Printable ASCII without quotes or commas: an IMEI, a PIN state, a revision. */
static int is_token(const char *p, size_t n, int allow_space) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c > 0x7e || c == '"' || c == ',' || (c == ' ' && !allow_space)) return 0;
  }
  return 1;
}

/* Hex digits (extra = 0) or an IPv4 or IPv6 address as the module prints it: digits, hex
 * letters, '.' and ':' (extra = 1). */
static int is_hexish(const field *f, int extra) {
  if (extra && (f->n == 0 || f->n > 63)) return 0;
  for (size_t i = 0; i < f->n; i++) {
    unsigned char c = (unsigned char)f->p[i];
    if (bc_hex_value(c) < 0 && !(extra && (c == '.' || c == ':'))) return 0;
  }
  return 1;
}

static const char kind_names[] =
    "qlwevtind\0nnmi_data\0nnmi_indication\0nnmi_buff_full\0nnmi_mode\0nmgr\0fota\0nmstatus\0"
    "qlwuldatastatus\0nqmgr\0ncfg\0cscon\0cscon_answer\0cereg\0cereg_answer\0cgpaddr\0cgsn\0"
    "csq\0qnbiotevent\0cfun\0cpin\0ip\0rdy\0cme_error\0ati_manufacturer\0ati_model\0"
    "ati_revision\0";

/* The name of each kind as the Lua binding shows it (core.decode(line).kind). */
const char *bc_kind_name(bc_kind k) {
  if ((int)k <= 0 || k > BC_ATI_REVISION) return NULL;
  return nth(kind_names, k - 1);
}

/* The word lists of FS_ENUM (arg 0 and 1), in the order of their values. */
static const char nmstatus_names[] =
    "UNINITIALISED\0REGISTERING\0REJECTED_BY_SERVER\0TIMEOUT\0REGISTERED\0"
    "REGISTERED_AND_OBSERVED\0DEREGISTERED\0RESUMPTION_FAILED\0";
static const char deepsleep_words[] = "EXIT DEEPSLEEP\0ENTER DEEPSLEEP\0";

const char *bc_nmstatus_name(bc_nmstatus s) {
  if ((int)s < 0 || s > BC_NM_RESUMPTION_FAILED) return NULL;
  return nth(nmstatus_names, s);
}

const char *bc_fota_stage_name(bc_fota_stage s) {
  if (s < BC_FOTA_DOWNLOAD_START || s > BC_FOTA_END) return NULL;
  return nth("download_start\0downloading\0download\0start\0updating\0end\0", s - 1);
}

/* The words FS_QWORD, FS_UWORD and FS_NAMED fields must be. */
static const char words[] = "FOTA\0DOWNLOAD START\0DOWNLOADING\0DOWNLOAD\0START\0UPDATING\0END\0"
                            "recv\0buff full\0BUFFERED\0RECEIVED\0DROPPED\0";
enum { W_FOTA, W_DOWNLOAD_START, W_DOWNLOADING, W_DOWNLOAD, W_START, W_UPDATING, W_END, W_RECV,
       W_BUFF_FULL, W_BUFFERED, W_RECEIVED, W_DROPPED };

/* The ranges of FS_NUM and FS_NUM99 fields. */
static const struct range {
  long lo, hi;
} ranges[] = {{-1, 10}, {0, 2}, {1, BC_MAX_DOWNLINK}, {0, LONG_MAX}, {0, 255}, {0, 5},
              {0, BC_LIFETIME_MAX}, {0, 1}, {0, 3}, {0, 10}, {0, 31}, {0, 7}, {0, INT_MAX}};
enum { R_EVT, R_0_2, R_PAYLOAD, R_COUNT, R_BYTE, R_0_5, R_LIFETIME, R_0_1, R_0_3, R_0_10,
       R_RSSI, R_BER, R_CODE };

const struct decode_key_info decode_keys[] = {
    [K_NONE] = {"", 0},
    [K_VALUE] = {"value", offsetof(bc_decoded, value)},
    [K_LENGTH] = {"length", offsetof(bc_decoded, value)},
    [K_N] = {"n", offsetof(bc_decoded, n)},
    [K_CID] = {"cid", offsetof(bc_decoded, n)},
    [K_RSSI] = {"rssi", offsetof(bc_decoded, value)},
    [K_BER] = {"ber", offsetof(bc_decoded, n)},
    [K_TOTAL] = {"total", offsetof(bc_decoded, n)},
    [K_CURRENT] = {"current", offsetof(bc_decoded, m)},
    [K_BUFFERED] = {"buffered", offsetof(bc_decoded, buffered)},
    [K_RECEIVED] = {"received", offsetof(bc_decoded, received)},
    [K_DROPPED] = {"dropped", offsetof(bc_decoded, dropped)},
    [K_STAGE] = {"stage", 0},
    [K_IP] = {"ip", 0},
    [K_HEX] = {"hex", 0},
};

#define C(n) (1u << (n))
#define NUM(r, k) {FS_NUM, r, k}
#define QWORD(w) {FS_QWORD, w, K_NONE}
#define FOTA(stage, c, ...) \
  {P_QIND, BC_FOTA, BC_FOTA_##stage, C(c), {QWORD(W_FOTA), {FS_QWORD, W_##stage, K_STAGE}, __VA_ARGS__}}
#define ONE(p, kind, ...) {P_##p, BC_##kind, 0, C(1), {__VA_ARGS__}}

/* Every shape of every "+X" line the module prints (and AT+NQMGR's answer), grouped by
 * prefix; the first row of the line's prefix that fits decides, none fitting is BC_NONE.
 * Same-prefix kinds differ by field count ("+CSCON: 1" the URC, "+CSCON: 0,1" the
 * answer) or content. */
static const decode_row rows[] = {
    ONE(QLWEVTIND, QLWEVTIND, NUM(R_EVT, K_VALUE)),
    {P_NNMI, BC_NNMI_INDICATION, 0, C(0), {{0}}},
    ONE(NNMI, NNMI_MODE, NUM(R_0_2, K_VALUE)),
    {P_NNMI, BC_NNMI_BUFF_FULL, 0, C(2), {QWORD(W_RECV), {FS_UWORD, W_BUFF_FULL, K_NONE}}},
    /* <length>,<hex>: length 1..2560 and exactly 2*length hex digits (quotes tolerated:
     * the guide shows NMGS data both quoted and not). */
    {P_NNMI, BC_NNMI_DATA, 0, C(2), {NUM(R_PAYLOAD, K_LENGTH), {FS_HEX, 0, K_HEX}}},
    {P_NMGR, BC_NMGR, 0, C(2), {NUM(R_PAYLOAD, K_LENGTH), {FS_HEX, 0, K_HEX}}},
    FOTA(DOWNLOAD_START, 2, {0}),
    FOTA(START, 2, {0}),
    FOTA(DOWNLOADING, 3, NUM(R_COUNT, K_VALUE)),
    FOTA(DOWNLOAD, 3, NUM(R_BYTE, K_VALUE)),
    FOTA(END, 3, NUM(R_BYTE, K_VALUE)),
    /* <percent>% (the % is optional: the URC index writes a bare <percent>); the short
     * form has total and current -1. */
    FOTA(UPDATING, 3, {FS_PERCENT, 0, K_VALUE}),
    FOTA(UPDATING, 5, {FS_PERCENT, 0, K_VALUE}, NUM(R_BYTE, K_TOTAL), NUM(R_BYTE, K_CURRENT)),
    ONE(NMSTATUS, NMSTATUS, {FS_ENUM, 0, K_VALUE}),
    ONE(QLWULDATASTATUS, QLWULDATASTATUS, NUM(R_0_5, K_VALUE)),
    ONE(NCFG, NCFG, NUM(R_LIFETIME, K_VALUE)),
    ONE(CSCON, CSCON, NUM(R_0_1, K_VALUE)),
    {P_CSCON, BC_CSCON_ANSWER, 0, C(2), {NUM(R_0_3, K_N), NUM(R_0_1, K_VALUE)}},
    /* URC: <stat>[,<tac>,<ci>,<act>[,<cause_type>,<reject>[,<active>,<tau>]]]: 1/4/6/8
     * fields; the answer has <n> in front: 2/5/7/9. Only n and stat are decoded. */
    {P_CEREG, BC_CEREG, 0, C(1) | C(4) | C(6) | C(8), {NUM(R_0_10, K_VALUE)}},
    {P_CEREG, BC_CEREG_ANSWER, 0, C(2) | C(5) | C(7) | C(9), {NUM(R_0_5, K_N), NUM(R_0_10, K_VALUE)}},
    /* cid[,"ipv4"[,"ipv6"]]: no address before attach (text_len 0). */
    {P_CGPADDR, BC_CGPADDR, 0, C(1) | C(2) | C(3),
     {NUM(R_BYTE, K_CID), {FS_ADDR, 0, K_IP}, {FS_ADDR_CHECK, 0, K_NONE}}},
    ONE(CGSN, CGSN, {FS_TOKEN, 0, K_VALUE}),
    {P_CSQ, BC_CSQ, 0, C(2), {{FS_NUM99, R_RSSI, K_RSSI}, {FS_NUM99, R_BER, K_BER}}},
    ONE(QNBIOTEVENT, QNBIOTEVENT, {FS_ENUM, 1, K_VALUE}), /* value 1 enter, 0 exit */
    ONE(CFUN, CFUN, NUM(R_BYTE, K_VALUE)),
    ONE(CPIN, CPIN, {FS_TEXT, 0, K_VALUE}),
    ONE(IP, IP, {FS_ADDR, 0, K_VALUE}),
    ONE(CME_ERROR, CME_ERROR, NUM(R_CODE, K_VALUE)),
    {P_BUFFERED, BC_NQMGR, 0, C(3),
     {{FS_NAMED, W_BUFFERED, K_BUFFERED}, {FS_NAMED, W_RECEIVED, K_RECEIVED},
      {FS_NAMED, W_DROPPED, K_DROPPED}}},
};

/* Does the split body fit the row? Fills *d (zeroed by the caller) as it goes; its kind
 * only once the whole body fits. */
static int fits(const decode_row *r, const body *b, bc_decoded *d) {
  if (!(r->counts >> b->n & 1)) return 0;
  d->stage = (bc_fota_stage)r->stage;
  if (r->stage == BC_FOTA_UPDATING) d->n = d->m = -1; /* the 5-field form sets them */
  for (int i = 0; i < b->n && i < DECODE_FIELDS; i++) {
    const field *f = &b->f[i];
    unsigned sort = r->f[i].sort, arg = r->f[i].arg;
    long *dest = (long *)((char *)d + decode_keys[r->f[i].key].offset);
    const char *w;
    size_t wl;
    field g = *f;
    long v;
    int ok = 1;
    switch (sort) {
    case FS_NUM: ok = num(f, ranges[arg].lo, ranges[arg].hi, dest); break;
    case FS_NUM99:
      ok = num(f, 0, 99, dest) && (*dest <= ranges[arg].hi || *dest == 99);
      break;
    case FS_PERCENT:
      if (g.n > 0 && g.p[g.n - 1] == '%') g.n--;
      ok = num(&g, 0, 100, dest);
      break;
    case FS_QWORD: case FS_UWORD: case FS_NAMED:
      w = nth(words, arg);
      wl = strlen(w);
      if (sort != FS_NAMED) {
        ok = f->quoted == (sort == FS_QWORD) && is_text(f, w);
        break;
      }
      ok = f->n > wl + 1 && memcmp(f->p, w, wl) == 0 && f->p[wl] == '=';
      g.p += wl + 1;
      g.n -= wl + 1;
      ok = ok && num(&g, 0, LONG_MAX, dest); /* num refuses a quoted field */
      break;
    case FS_HEX: ok = f->n == (size_t)d->value * 2 && is_hexish(f, 0); break;
    case FS_ADDR_CHECK: case FS_ADDR: ok = is_hexish(f, 1); break;
    case FS_TOKEN: case FS_TEXT: ok = is_token(f->p, f->n, sort == FS_TEXT); break;
    case FS_ENUM:
      for (w = arg ? deepsleep_words : nmstatus_names, v = 0; *w && !is_text(f, w); v++)
        w += strlen(w) + 1;
      ok = *w != '\0';
      *dest = v;
      break;
    default: break;
    }
    if (!ok) return 0;
    if (sort >= FS_HEX && sort != FS_ADDR_CHECK) d->text = f->p, d->text_len = f->n;
  }
  d->kind = (bc_kind)r->kind;
  return 1;
}

static int starts(const char *line, size_t len, const char *w) {
  size_t wl = strlen(w);
  return len >= wl && memcmp(line, w, wl) == 0;
}

bc_kind decode_line(const char *line, size_t len, bc_decoded *out, const decode_row **row,
                    int *nfields) {
  bc_decoded d;
  body b;
  const char *p = prefixes;
  unsigned pi = 0;
  memset(&d, 0, sizeof d);
  *row = NULL;
  if (!line) len = 0;
  /* The engine hands lines without their CR LF; a caller with a raw line still gets it
   * decoded. */
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
  for (; *p; p += strlen(p) + 1, pi++)
    if (split(line, len, p, &b)) {
      for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].prefix != pi) continue;
        memset(&d, 0, sizeof d);
        if (fits(&rows[i], &b, &d)) {
          *row = &rows[i];
          *nfields = b.n;
          break;
        }
      }
      break;
    }
  if (*row) {
    /* decoded */
  } else if (len == 3 && memcmp(line, "RDY", 3) == 0) {
    d.kind = BC_RDY;
  } else if (starts(line, len, "Revision:")) {
    size_t i = 9;
    while (i < len && line[i] == ' ') i++;
    if (is_token(line + i, len - i, 0)) {
      d.text = line + i;
      d.text_len = len - i;
      d.kind = BC_ATI_REVISION;
    }
  } else if (len == 11 && memcmp(line, "Quectel_Ltd", 11) == 0) {
    d.text = line;
    d.text_len = len;
    d.kind = BC_ATI_MANUFACTURER;
  } else if (starts(line, len, "Quectel_") && len > 8 && is_token(line, len, 0)) {
    d.text = line;
    d.text_len = len;
    d.kind = BC_ATI_MODEL;
  }
  if (d.kind == BC_NONE) memset(&d, 0, sizeof d);
  if (out) *out = d;
  return d.kind;
}

bc_kind bc_decode(const char *line, size_t len, bc_decoded *out) {
  const decode_row *row;
  int n;
  return decode_line(line, len, out, &row, &n);
}
