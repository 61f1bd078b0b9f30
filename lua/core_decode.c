/* core_decode.c: the module tables as Lua values: core.decode (a line to a table),
 * core.errors, core.hex_encode / hex_decode and the command builders core.build.* (bad
 * input raises: nothing malformed reaches the wire). All over core/bc260y.h.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bc260y_errors_list.h"
#include "bc260y_rows.h"
#include "core.h"

#define BUILD_CAP 4096 /* an NMGS of 1024 bytes is ~2070 characters */

static long check_long(lua_State *L, int arg) {
#if LONG_MAX == INT_MAX
  return check_int(L, arg); /* the same range (32-bit targets): one function, not two */
#else
  lua_Integer v = luaL_checkinteger(L, arg);
  luaL_argcheck(L, v >= LONG_MIN && v <= LONG_MAX, arg, "out of range");
  return (long)v;
#endif
}

/* ---- decode ----------------------------------------------------------------------- */

/* Pushes the bytes that hex digits stand for; returns bc_hex_decode's count (below 0:
 * bad hex, and an empty string was pushed). */
static long push_hex_bytes(lua_State *L, const char *hex, size_t len) {
  luaL_Buffer b;
  uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, len / 2 + 1);
  long n = bc_hex_decode(hex, len, out, len / 2 + 1);
  luaL_pushresultsize(&b, n < 0 ? 0 : (size_t)n);
  return n;
}

/* Pushes hex and data (raw bytes) fields for a hex payload. */
static void set_hex_data(lua_State *L, const char *hex, size_t len) {
  set_str(L, "hex", hex, len);
  if (push_hex_bytes(L, hex, len) < 0) {
    lua_pop(L, 1);
    lua_pushnil(L); /* the decoder let through bad hex: no data rather than wrong data */
  }
  lua_setfield(L, -2, "data");
}

/* Pushes the decoded table of a line, or nil when bc_decode does not know it: the kind,
 * then each field the line's row names (core/bc260y_rows.h), numbers as integers, text
 * as strings, a payload as hex and data; unknown, the name of the field whose value is
 * outside the guide's tables (bc_decoded.unknown), as printed. Returns
 * bc_decoded.malformed. */
static int push_line_table(lua_State *L, const char *line, size_t len) {
  bc_decoded d;
  const decode_row *r;
  int n = 0;
  bc_kind k = decode_line(line, len, &d, &r, &n);
  const char *kind = bc_kind_name(k);
  if (!kind) { /* BC_NONE: a line it does not know, or malformed */
    lua_pushnil(L);
    return d.malformed;
  }
  lua_createtable(L, 0, 5);
  lua_pushstring(L, kind);
  lua_setfield(L, -2, "kind");
  if (!r) { /* RDY and the ATI lines: the text, if any, is the value */
    if (d.text) set_str(L, "value", d.text, d.text_len);
    return 0;
  }
  for (int i = 0; i < n && i < DECODE_FIELDS; i++) {
    unsigned key = r->f[i].key;
    const char *name = decode_keys[key].name;
    long v;
    if (key == K_NONE) continue;
    if (key == K_HEX) {
      set_hex_data(L, d.text, d.text_len);
    } else if (key == K_STAGE && d.unknown != i + 1) {
      lua_pushstring(L, bc_fota_stage_name(d.stage));
      lua_setfield(L, -2, name);
    } else if (key == K_STAGE) { /* a stage outside the guide's: as printed */
      set_str(L, name, d.text, d.text_len);
    } else if (r->f[i].sort >= FS_ENUM) {
      set_str(L, name, d.text, d.text_len);
    } else {
      memcpy(&v, (const char *)&d + decode_keys[key].offset, sizeof v);
      set_int(L, name, v);
    }
  }
  if (d.unknown) { /* a value outside the guide's tables: the name of its field */
    lua_pushstring(L, decode_keys[r->f[d.unknown - 1].key].name);
    lua_setfield(L, -2, "unknown");
  }
  return 0;
}

void push_decoded(lua_State *L, const char *line, size_t len) { push_line_table(L, line, len); }

/* core.decode(line): the decoded table; nil for a line it does not know; nil, "malformed
 * line", "malformed" for a line with the shape of a known one (the engine takes it for
 * that URC or answer) whose body the decoder refuses (bc_decoded.malformed). */
static int l_decode(lua_State *L) {
  size_t len;
  const char *line = check_string(L, 1, &len);
  if (!push_line_table(L, line, len)) return 1;
  return push_fail(L, "malformed line", "malformed");
}

/* ---- hex ---------------------------------------------------------------------------- */

static int l_hex_encode(lua_State *L) {
  size_t len;
  const char *s = check_string(L, 1, &len);
  luaL_argcheck(L, len <= (size_t)LONG_MAX / 2, 1, "too long");
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, 2 * len + 1);
  /* cannot fail: the buffer has room for every digit (a failure would give "") */
  long n = bc_hex_encode((const uint8_t *)s, len, out, 2 * len + 1);
  luaL_pushresultsize(&b, n < 0 ? 0 : (size_t)n);
  return 1;
}

static int l_hex_decode(lua_State *L) {
  size_t len;
  const char *s = check_string(L, 1, &len);
  if (len % 2) {
    lua_pushfstring(L, "odd number of hex digits (%d)", (int)len);
  } else if (push_hex_bytes(L, s, len) >= 0) {
    return 1;
  } else { /* only a bad digit fails here (the buffer fits): which is the first? */
    size_t i = 0;
    while (bc_hex_value((unsigned char)s[i]) >= 0) i++;
    lua_pushfstring(L, "not a hex digit at position %d", (int)i + 1);
  }
  return push_fail(L, lua_tostring(L, -1), "invalid");
}

/* ---- builders ------------------------------------------------------------------------- */

/* A builder's refusal becomes "bad argument #arg to 'name' (message)". The name is given
 * rather than taken from the call site (luaL_argerror), which says '?' under pcall or an
 * alias. */
static int build_result(lua_State *L, int rc, const char *buf, const char *err, int arg,
                        const char *name) {
  /* a refusal always has its message (bc260y.h) */
  if (rc < 0) return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, name, err);
  lua_pushlstring(L, buf, (size_t)rc);
  return 1;
}

/* Which argument a builder message is about: the builders name the parameter first
 * ("port out of range 0..65535", "psk is empty"), so the argument whose name starts the
 * message (second, then third), else the first. */
static int arg_of(const char *err, const char *second, const char *third) {
  if (!err) return 1;
  if (third && strncmp(err, third, strlen(third)) == 0) return 3;
  if (strncmp(err, second, strlen(second)) == 0) return 2;
  return 1;
}

static int l_build_ncdpopen(lua_State *L) {
  size_t hlen, plen = 0;
  const char *host = check_string(L, 1, &hlen);
  /* The C builder sees a C string: an embedded NUL would silently cut the host short. */
  luaL_argcheck(L, strlen(host) == hlen, 1, "host contains a NUL byte");
  long portno = lua_isnoneornil(L, 2) ? 0 : check_long(L, 2);
  const char *psk = NULL;
  if (!lua_isnoneornil(L, 3)) {
    psk = check_string(L, 3, &plen);
    luaL_argcheck(L, strlen(psk) == plen, 3, "psk contains a NUL byte");
  }
  char buf[BUILD_CAP];
  const char *err = NULL;
  int rc = bc_build_ncdpopen(buf, sizeof buf, host, portno, psk, &err);
  return build_result(L, rc, buf, err, arg_of(err, "port", "psk"), "ncdpopen");
}

static int l_build_nmgs(lua_State *L) {
  size_t len;
  const char *data = check_string(L, 1, &len);
  int type = lua_isnoneornil(L, 2) ? 0 : check_int(L, 2);
  char buf[BUILD_CAP];
  const char *err = NULL;
  int rc = bc_build_nmgs(buf, sizeof buf, (const uint8_t *)data, len, type, &err);
  return build_result(L, rc, buf, err, arg_of(err, "type", NULL), "nmgs");
}

/* The builders of one number (argument 1): AT+NCFG=0,<lifetime>, AT+NNMI=<mode>,
 * AT+QSCLK=<mode>; one body for the three (not inlined into each: the flash build). */
enum { B_NCFG, B_NNMI, B_QSCLK };
__attribute__((noinline)) static int build_number(lua_State *L, int which) {
  char buf[64];
  const char *err = NULL;
  int rc;
  if (which == B_NCFG) rc = bc_build_ncfg_lifetime(buf, sizeof buf, check_long(L, 1), &err);
  else if (which == B_NNMI) rc = bc_build_nnmi(buf, sizeof buf, check_int(L, 1), &err);
  else rc = bc_build_qsclk(buf, sizeof buf, check_int(L, 1), &err);
  return build_result(L, rc, buf, err, 1, which == B_NCFG ? "ncfg" : which == B_NNMI ? "nnmi" : "qsclk");
}

static int l_build_ncfg(lua_State *L) { return build_number(L, B_NCFG); }
static int l_build_nnmi(lua_State *L) { return build_number(L, B_NNMI); }
static int l_build_qsclk(lua_State *L) { return build_number(L, B_QSCLK); }

#define BUILD_FUNCS(X)                                                                   \
  X(ncdpopen, l_build_ncdpopen) X(nmgs, l_build_nmgs) X(ncfg, l_build_ncfg)              \
  X(nnmi, l_build_nnmi) X(qsclk, l_build_qsclk)
DEFINE_FUNCS(build_funcs, BUILD_FUNCS);

/* core.errors from the same list as the C table bc_errors, but as packed text (the
 * symbol after its common head CTIOT_E, English, Chinese, each NUL-terminated, code after
 * code) and a list of codes: the C table's 60 text pointers would each be relocated when
 * core.so loads (flash). */
#define ERROR_TEXTS(code, class, rest, en, zh) #class "_" rest "\0" en "\0" zh "\0"
#define ERROR_CODE(code, class, rest, en, zh) code,
static const char error_texts[] = BC_ERRORS(ERROR_TEXTS);
static const short error_codes[] = {BC_ERRORS(ERROR_CODE)};

static void push_errors(lua_State *L) {
  static const char keys[3][5] = {"name", "en", "zh"};
  const char *t = error_texts;
  lua_createtable(L, 0, (int)(sizeof error_codes / sizeof error_codes[0]));
  for (size_t i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++) {
    lua_createtable(L, 0, 3);
    for (int j = 0; j < 3; j++, t += strlen(t) + 1) {
      lua_pushfstring(L, j ? "%s" : "CTIOT_E%s", t);
      lua_setfield(L, -2, keys[j]);
    }
    lua_rawseti(L, -2, error_codes[i]);
  }
}

#define DECODE_FUNCS(X) X(decode, l_decode) X(hex_encode, l_hex_encode) X(hex_decode, l_hex_decode)
DEFINE_FUNCS(decode_funcs, DECODE_FUNCS);

void core_decode_register(lua_State *L) {
  set_funcs(L, FUNCS(decode_funcs));
  lua_newtable(L);
  set_funcs(L, FUNCS(build_funcs));
  lua_setfield(L, -2, "build");
  push_errors(L);
  lua_setfield(L, -2, "errors");
}
