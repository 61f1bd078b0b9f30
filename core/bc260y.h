/* bc260y.h: what the library knows about the BC260Y-CN, as tables and pure functions:
 * the URC table the engine classifies with, the answer shapes of each command, typed
 * decoders for every URC and answer line the module prints (Quectel's guide), the error-code table, and
 * command builders that refuse anything that would corrupt the command line.
 * Decoders never allocate and never read past len: they are fuzzed.
 */
#ifndef BC260Y_BC260Y_H
#define BC260Y_BC260Y_H

#include <stddef.h>
#include <stdint.h>

#include "at.h"
#include "bc260y_lines.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BC_MAX_PAYLOAD 1024  /* bytes per AT+NMGS uplink */
#define BC_MAX_DOWNLINK 2560 /* bytes per +NNMI / +NMGR downlink: the receive buffer */
#define BC_MAX_PSK 256      /* bytes of PSK (512 hex digits) */
#define BC_LIFETIME_MAX 2592000L

/* ---- the engine's configuration ------------------------------------------------- */
/* The URC table, made from the URC rows of core/bc260y_lines.h. */
extern const bc_at_match bc_urc_table[];
extern const size_t bc_urc_table_len;
/* Sets the BC260Y-CN's URC table, boot markers and resync probes (core/bc260y_lines.h)
 * in *cfg, leaving its sizes and timeouts as they are (bc_at_config_defaults first). */
void bc_engine_config(bc_at_config *cfg);

/* ---- answer shapes ---------------------------------------------------------------- */
typedef struct bc_expect {
  bc_at_match match[BC_AT_CMD_MAX_EXPECT];
  size_t n;
  unsigned flags; /* retired: always 0 (BC_AT_CMD_TEXT_LINES is, in at.h); kept so that
                     callers copying it into bc_at_cmd.flags still build */
  char name[BC_AT_MATCH_MAX_PREFIX + 1]; /* storage for a generic "+FOO" prefix */
} bc_expect;
/* The answer shapes of a command line, case-insensitive ("at+nnmi?" too):
 * "AT+NNMI?" -> "+NNMI" with exactly 1 field; "AT+CSCON?" -> "+CSCON" with 2;
 * "AT+NQMGR" -> a line starting "BUFFERED="; any other query, test or
 * execute form "AT+FOO", "AT+FOO?", "AT+FOO=?" -> "+FOO" with any number of fields.
 * A plain "AT", a basic command (ATE0) or a set command "AT+FOO=..." without a known
 * answer expects nothing. Prefixes point into static storage or into out->name, so *out
 * must outlive the bc_at_submit() that uses it (the engine copies them). */
void bc_expect_for(const char *cmd, size_t len, bc_expect *out);

/* ---- decoders --------------------------------------------------------------------- */
/* The kinds of line, one per LINE and KIND row of core/bc260y_lines.h, in its order;
 * what each decodes into is said there. */
#define BC_KIND_OF_LINE(KIND, ...) BC_##KIND,
#define BC_KIND_OF_NOTHING(...)
typedef enum bc_kind {
  BC_NONE = 0,
  BC_LINES(BC_KIND_OF_LINE, BC_KIND_OF_NOTHING, BC_KIND_OF_NOTHING, BC_KIND_OF_LINE)
  BC_KIND_END /* one past the last kind */
} bc_kind;
#undef BC_KIND_OF_LINE
#undef BC_KIND_OF_NOTHING

typedef enum bc_fota_stage {
  BC_FOTA_DOWNLOAD_START = 1,
  BC_FOTA_DOWNLOADING, /* value: bytes so far */
  BC_FOTA_DOWNLOAD,    /* value: 0 ok, 2 out of memory, 4 link lost, 9 invalid URL */
  BC_FOTA_START,
  BC_FOTA_UPDATING, /* value: percent; total, current (-1 when the line has only the
                       percent, as the guide's URC index writes it) */
  BC_FOTA_END       /* value: 0 ok, 255 failed */
} bc_fota_stage;

typedef enum bc_nmstatus {
  BC_NM_UNINITIALISED = 0,
  BC_NM_REGISTERING,
  BC_NM_REJECTED_BY_SERVER,
  BC_NM_TIMEOUT,
  BC_NM_REGISTERED,
  BC_NM_REGISTERED_AND_OBSERVED,
  BC_NM_DEREGISTERED,
  BC_NM_RESUMPTION_FAILED
} bc_nmstatus;

/* One decoded line: the numbers its row names (core/bc260y_lines.h), 0 where it has
 * none. Pointers point into the decoded line. */
typedef struct bc_decoded {
  bc_kind kind;
  long value;            /* the line's main number: a state, an event, a length, rssi... */
  long setting;          /* BC_CSCON_ANSWER, BC_CEREG_ANSWER: <n>, the URC setting */
  long cid;              /* BC_CGPADDR: the context */
  long ber;              /* BC_CSQ: the bit error rate */
  long total, current;   /* BC_FOTA, BC_FOTA_UPDATING: packages */
  bc_fota_stage stage;   /* BC_FOTA */
  long buffered, received, dropped; /* BC_NQMGR */
  const char *text;      /* hex digits, an address, a state name... (not NUL-terminated) */
  size_t text_len;
  int unknown;           /* 1 + the index of a field whose value is outside the guide's
                            tables (an NMSTATUS state, a QLWEVTIND event, a FOTA stage):
                            the line is decoded all the same, that field's text in text
                            (a number in value); 0: every value is the guide's */
  int malformed;         /* with BC_NONE: the line has the prefix and field count of a row
                            (the engine takes it as that URC or answer), not its body; or
                            a known prefix and a body with broken quotes */
} bc_decoded;

/* Decodes any URC or answer line the module prints. Returns the kind (BC_NONE for a line
 * it does not know, or a known prefix with a malformed body: out->malformed says which,
 * see bc_decoded). Same-prefix lines are told
 * apart by their field count: "+CSCON: 0,1" is the answer, "+CSCON: 1" the URC;
 * "+CEREG: 1,1" (2, 5, 7 or 9 fields) the answer, "+CEREG: 1" (1, 4, 6 or 8) the URC.
 * Accepted: "+X: v" and "+X:v", spaces after commas (the guide's +QIND examples), hex of
 * either case, quotes around hex or addresses, trailing CR, LF and spaces; a value outside
 * the guide's tables where firmware adds values (out->unknown). Refused (BC_NONE, *out
 * zeroed but for malformed): a number with junk, out of its documented range or overflowing a long; a hex
 * length that disagrees with its digits; odd or non-hex digits; unbalanced quotes. */
bc_kind bc_decode(const char *line, size_t len, bc_decoded *out);

/* The kind's name as the Lua binding shows it ("qlwevtind", "nnmi_data"...); NULL for
 * BC_NONE or a value that is no kind. */
const char *bc_kind_name(bc_kind k);
const char *bc_nmstatus_name(bc_nmstatus s);
const char *bc_fota_stage_name(bc_fota_stage s); /* "download_start", "downloading"... */

/* ---- errors ----------------------------------------------------------------------- */
typedef struct bc_error_info {
  int code;
  const char *name; /* as the guide spells it: CTIOT_EA_PARAM_NOT_INTIALIZED */
  const char *en;
  const char *zh;
} bc_error_info;
extern const bc_error_info bc_errors[];
extern const size_t bc_errors_len;
const bc_error_info *bc_error_lookup(int code); /* NULL when unknown */

/* ---- command builders ------------------------------------------------------------- */
/* Each writes a NUL-terminated command (no CR) into buf and returns its length, or -1
 * with a static message in *err. Nothing a caller passes can produce a second command:
 * CR, LF, quotes, semicolons and non-printable bytes are refused. */
int bc_build_ncdpopen(char *buf, size_t cap, const char *host, long port,
                      const char *psk_hex, const char **err);
/* data: raw bytes 1..1024; type: 0,1,2,100,101,102 */
int bc_build_nmgs(char *buf, size_t cap, const uint8_t *data, size_t len, int type,
                  const char **err);
int bc_build_ncfg_lifetime(char *buf, size_t cap, long lifetime, const char **err);
int bc_build_nnmi(char *buf, size_t cap, int mode, const char **err);
int bc_build_qsclk(char *buf, size_t cap, int mode, const char **err);

/* ---- hex -------------------------------------------------------------------------- */
/* Upper-case hex of len bytes into out (2*len chars, then a NUL when cap allows).
 * Returns 2*len, or -1 when cap < 2*len. */
long bc_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* The value of one hex digit of either case (0..15), or -1: the one hex-digit check. */
int bc_hex_value(int c);
/* Decodes hex digits of either case. Returns the byte count, or -1 for an odd length or
 * a non-hex digit, -2 when cap is too small. */
long bc_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
