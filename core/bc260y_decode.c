/* bc260y_decode.c: typed decoding of every URC and answer line the BC260Y-CN prints
 * (Quectel's guide, chapters 2 and 3), on rows made from core/bc260y_lines.h. Lines come straight off the serial line, so
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
 * every relocation), an empty name ending each. The i-th name of such a list: */
static const char *packed_name(const char *list, unsigned i) {
  while (i--) list += strlen(list) + 1;
  return list;
}

/* Does line start with prefix and go on with ':' or end? Splits what follows the colon
 * into quote-aware comma-separated fields. Returns 1, 0 when the prefix does not match,
 * BROKEN when the body is malformed (unbalanced quotes, junk after a closing quote, too
 * many fields, a colon followed by nothing). */
#define BROKEN (-1)
static int split(const char *line, size_t len, const char *prefix, body *b) {
  size_t pl = strlen(prefix), i = pl + 1;
  if (len < pl || memcmp(line, prefix, pl) != 0) return 0;
  memset(b, 0, sizeof *b);
  if (prefix[pl - 1] == '=') i = 0; /* BUFFERED=: the whole line is the body */
  else if (len == pl) return 1; /* bare */
  else if (line[pl] != ':') return 0;
  while (i < len && line[i] == ' ') i++;
  if (i == len) return BROKEN; /* "+X:" with nothing: not a form the module prints */
  for (;;) {
    if (b->n == MAX_FIELDS) return BROKEN;
    field *f = &b->f[b->n++];
    while (i < len && line[i] == ' ') i++;
    if (i < len && line[i] == '"') {
      size_t s = ++i;
      while (i < len && line[i] != '"') i++;
      if (i == len) return BROKEN; /* unterminated quote */
      f->p = line + s;
      f->n = i - s;
      f->quoted = 1;
      i++;
      while (i < len && line[i] == ' ') i++;
      if (i < len && line[i] != ',') return BROKEN; /* "a"b */
    } else {
      size_t s = i;
      while (i < len && line[i] != ',') {
        if (line[i] == '"') return BROKEN; /* a quote inside an unquoted field */
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

/* Hex digits (address 0) or an IPv4 or IPv6 address as the module prints it: digits, hex
 * letters, '.' and ':' (address 1). */
static int is_hexish(const field *f, int address) {
  if (address && (f->n == 0 || f->n > 63)) return 0;
  for (size_t i = 0; i < f->n; i++) {
    unsigned char c = (unsigned char)f->p[i];
    if (bc_hex_value(c) < 0 && !(address && (c == '.' || c == ':'))) return 0;
  }
  return 1;
}

/* The name of each kind as the Lua binding shows it (core.decode(line).kind). */
#define NAME_OF_LINE(KIND, name, ...) name "\0"
#define NAME_OF_NOTHING(...)
static const char kind_names[] = BC_LINES(NAME_OF_LINE, NAME_OF_NOTHING, NAME_OF_NOTHING,
                                          NAME_OF_LINE);

const char *bc_kind_name(bc_kind k) {
  if ((int)k <= 0 || k >= BC_KIND_END) return NULL;
  return packed_name(kind_names, k - 1);
}

/* The word lists of FS_ENUM (enum decode_list), in the order of their values. */
static const char nmstatus_names[] =
    "UNINITIALISED\0REGISTERING\0REJECTED_BY_SERVER\0TIMEOUT\0REGISTERED\0"
    "REGISTERED_AND_OBSERVED\0DEREGISTERED\0RESUMPTION_FAILED\0";
static const char deepsleep_words[] = "EXIT DEEPSLEEP\0ENTER DEEPSLEEP\0";

const char *bc_nmstatus_name(bc_nmstatus s) {
  if ((int)s < 0 || s > BC_NM_RESUMPTION_FAILED) return NULL;
  return packed_name(nmstatus_names, s);
}

const char *bc_fota_stage_name(bc_fota_stage s) {
  if (s < BC_FOTA_DOWNLOAD_START || s > BC_FOTA_END) return NULL;
  return packed_name("download_start\0downloading\0download\0start\0updating\0end\0", s - 1);
}

/* The words of enum decode_word. */
static const char words[] = "FOTA\0DOWNLOAD START\0DOWNLOADING\0DOWNLOAD\0START\0UPDATING\0END\0"
                            "recv\0buff full\0BUFFERED\0RECEIVED\0DROPPED\0";

/* The tables firmware extends (NMSTATUS states, QLWEVTIND events, FOTA stages): a field
 * of one that fails its table is such a new value when it has a value's form (a number;
 * a word, quoted for a stage) and is no known stage in the wrong shape. */
static int open_value(const decode_field *rf, const field *f, long *dest) {
  if (rf->sort == FS_NUMBER) return rf->arg == R_EVENT && num(f, LONG_MIN, LONG_MAX, dest);
  if (rf->sort == FS_ENUM) {
    *dest = -1; /* no index in the list */
    return rf->arg == L_NMSTATUS && !f->quoted && is_token(f->p, f->n, 0);
  }
  if (rf->key != K_STAGE || !f->quoted || !is_token(f->p, f->n, 1)) return 0;
  for (unsigned w = W_DOWNLOAD_START; w <= W_END; w++)
    if (is_text(f, packed_name(words, w))) return 0;
  return 1;
}

/* The bounds of enum decode_range. */
static const struct range {
  long lo, hi;
} ranges[] = {{-1, 10}, {0, 2}, {1, BC_MAX_DOWNLINK}, {0, LONG_MAX}, {0, 255}, {0, 5},
              {0, BC_LIFETIME_MAX}, {0, 1}, {0, 3}, {0, 10}, {0, 31}, {0, 7}, {0, INT_MAX}};

const struct decode_key_info decode_keys[] = {
    [K_NONE] = {"", 0},
    [K_VALUE] = {"value", offsetof(bc_decoded, value)},
    [K_LENGTH] = {"length", offsetof(bc_decoded, value)},
    [K_SETTING] = {"n", offsetof(bc_decoded, setting)},
    [K_CID] = {"cid", offsetof(bc_decoded, cid)},
    [K_RSSI] = {"rssi", offsetof(bc_decoded, value)},
    [K_BER] = {"ber", offsetof(bc_decoded, ber)},
    [K_TOTAL] = {"total", offsetof(bc_decoded, total)},
    [K_CURRENT] = {"current", offsetof(bc_decoded, current)},
    [K_BUFFERED] = {"buffered", offsetof(bc_decoded, buffered)},
    [K_RECEIVED] = {"received", offsetof(bc_decoded, received)},
    [K_DROPPED] = {"dropped", offsetof(bc_decoded, dropped)},
    [K_STAGE] = {"stage", 0},
    [K_IP] = {"ip", 0},
    [K_HEX] = {"hex", 0},
};

/* The "fields..." columns of core/bc260y_lines.h. */
#define NONE {FS_ANY, 0, K_NONE}
#define NUM(range, key) {FS_NUMBER, R_##range, K_##key}
#define NUM99(range, key) {FS_NUMBER_99, R_##range, K_##key}
#define PERCENT(key) {FS_PERCENT, 0, K_##key}
#define QUOTED(word) {FS_QUOTED_WORD, W_##word, K_NONE}
#define BARE(word) {FS_BARE_WORD, W_##word, K_NONE}
#define STAGE(word) {FS_QUOTED_WORD, W_##word, K_STAGE} /* the FOTA stage the word names */
#define COUNT(word, key) {FS_NAMED_COUNT, W_##word, K_##key}
#define HEX {FS_HEX, 0, K_HEX}
#define ADDR(key) {FS_ADDR, 0, K_##key}
#define ADDR_CHECK {FS_ADDR_CHECK, 0, K_NONE}
#define ENUM(list, key) {FS_ENUM, L_##list, K_##key}
#define TOKEN(key) {FS_TOKEN, 0, K_##key}
#define TEXT(key) {FS_TEXT, 0, K_##key}


/* The decoder's rows and their prefixes (one per row, packed), from the LINE and SHAPE
 * rows of core/bc260y_lines.h. */
#define ROW_OF_LINE(KIND, name, prefix, min, max, role, command, forms, ...) \
  {BC_##KIND, min, max, {__VA_ARGS__}},
#define ROW_OF_SHAPE(KIND, prefix, min, max, role, command, forms, ...) \
  {BC_##KIND, min, max, {__VA_ARGS__}},
#define PREFIX_OF_LINE(KIND, name, prefix, ...) prefix "\0"
#define PREFIX_OF_SHAPE(KIND, prefix, ...) "\0" /* "": the prefix of the row above */
#define NOTHING(...)
static const decode_row rows[] = {BC_LINES(ROW_OF_LINE, ROW_OF_SHAPE, NOTHING, NOTHING)};
static const char row_prefixes[] = BC_LINES(PREFIX_OF_LINE, PREFIX_OF_SHAPE, NOTHING, NOTHING);

/* Does the split body fit the row? Fills *d (zeroed by the caller) as it goes; its kind
 * only once the whole body fits. */
static int fits(const decode_row *r, const body *b, bc_decoded *d) {
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
    case FS_NUMBER: ok = num(f, ranges[arg].lo, ranges[arg].hi, dest); break;
    case FS_NUMBER_99:
      ok = num(f, 0, 99, dest) && (*dest <= ranges[arg].hi || *dest == 99);
      break;
    case FS_PERCENT:
      if (g.n > 0 && g.p[g.n - 1] == '%') g.n--;
      ok = num(&g, 0, 100, dest);
      break;
    case FS_QUOTED_WORD: case FS_BARE_WORD: case FS_NAMED_COUNT:
      w = packed_name(words, arg);
      wl = strlen(w);
      if (sort != FS_NAMED_COUNT) {
        ok = f->quoted == (sort == FS_QUOTED_WORD) && is_text(f, w);
        if (ok && r->f[i].key == K_STAGE) { /* the stage words stand in stage order */
          d->stage = (bc_fota_stage)(arg - W_DOWNLOAD_START + BC_FOTA_DOWNLOAD_START);
          if (d->stage == BC_FOTA_UPDATING) d->total = d->current = -1; /* 5 fields: set */
        }
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
      for (w = arg == L_DEEPSLEEP ? deepsleep_words : nmstatus_names, v = 0; *w && !is_text(f, w); v++)
        w += strlen(w) + 1;
      ok = *w != '\0';
      *dest = v;
      break;
    default: break;
    }
    if (!ok && !d->unknown && open_value(&r->f[i], f, dest)) {
      ok = d->unknown = i + 1;
      if (sort != FS_NUMBER) d->text = f->p, d->text_len = f->n;
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

bc_kind decode_line(const char *line, size_t len, bc_decoded *d, const decode_row **row,
                    int *nfields) {
  body b;
  const char *prefix = row_prefixes, *split_as = "";
  int split_state = 0, shape_known = 0;
  memset(d, 0, sizeof *d);
  *row = NULL;
  if (!line) len = 0;
  /* The engine hands lines without their CR LF; a caller with a raw line still gets it
   * decoded, and trailing spaces (some firmware pads lines) are no part of the value. */
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ')) len--;
  /* Rows of one prefix stand together: the line is split once per prefix, and only the
   * rows of the prefix it has are tried. A row whose field count it has (all the engine
   * looks at) makes it malformed when none fits, and so does a broken body. */
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; prefix += strlen(prefix) + 1, i++) {
    if (prefix[0] && strcmp(prefix, split_as) != 0) {
      if (split_state) break; /* the line's prefix had its rows */
      split_as = prefix;
      split_state = split(line, len, prefix, &b);
    }
    if (split_state == BROKEN) shape_known = 1;
    if (split_state != 1 || b.n < rows[i].min_fields || b.n > rows[i].max_fields) continue;
    shape_known = 1;
    memset(d, 0, sizeof *d);
    if (fits(&rows[i], &b, d)) {
      *row = &rows[i];
      *nfields = b.n;
      break;
    }
  }
  if (*row) {
    /* decoded */
  } else if (len == 3 && memcmp(line, "RDY", 3) == 0) {
    d->kind = BC_RDY;
  } else if (starts(line, len, "Revision:")) {
    size_t i = 9;
    while (i < len && line[i] == ' ') i++;
    if (is_token(line + i, len - i, 0)) {
      d->text = line + i;
      d->text_len = len - i;
      d->kind = BC_ATI_REVISION;
    }
  } else if (starts(line, len, "Quectel_") && len > 8 && is_token(line, len, 0)) {
    /* "Quectel_Ltd" is the manufacturer, any other "Quectel_<token>" the model */
    d->text = line;
    d->text_len = len;
    d->kind = len == 11 && memcmp(line + 8, "Ltd", 3) == 0 ? BC_ATI_MANUFACTURER : BC_ATI_MODEL;
  }
  if (d->kind == BC_NONE) {
    memset(d, 0, sizeof *d);
    d->malformed = shape_known;
  }
  return d->kind;
}

bc_kind bc_decode(const char *line, size_t len, bc_decoded *out) {
  const decode_row *row;
  int n;
  bc_decoded scratch;
  return decode_line(line, len, out ? out : &scratch, &row, &n);
}
