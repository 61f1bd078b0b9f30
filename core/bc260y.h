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

#define BC_MAX_PAYLOAD 1024  /* bytes per AT+NMGS uplink */
#define BC_MAX_DOWNLINK 2560 /* bytes per +NNMI / +NMGR downlink: the receive buffer */
#define BC_MAX_PSK 256      /* bytes of PSK (512 hex digits) */
#define BC_LIFETIME_MAX 2592000L

/* ---- URC table ------------------------------------------------------------------ */
extern const at_match bc_urc_table[];
extern const size_t bc_urc_table_len;

/* ---- answer shapes ---------------------------------------------------------------- */
typedef struct bc_expect {
  at_match match[AT_CMD_MAX_EXPECT];
  size_t n;
  unsigned flags; /* AT_CMD_TEXT_LINES for ATI, AT+CGMI, AT+CGMM, AT+CGMR, AT+CGSN[=0] */
  char name[AT_MATCH_MAX_PREFIX + 1]; /* storage for a generic "+FOO" prefix */
} bc_expect;
/* The answer shapes of a command line, case-insensitive ("at+nnmi?" too):
 * "AT+NNMI?" -> "+NNMI" with exactly 1 field; "AT+CSCON?" -> "+CSCON" with 2;
 * "AT+NQMGR" -> a line starting "BUFFERED="; ATI -> text lines; any other query, test or
 * execute form "AT+FOO", "AT+FOO?", "AT+FOO=?" -> "+FOO" with any number of fields.
 * A plain "AT", a basic command (ATE0) or a set command "AT+FOO=..." without a known
 * answer expects nothing. Prefixes point into static storage or into out->name, so *out
 * must outlive the at_submit() that uses it (the engine copies them). */
void bc_expect_for(const char *cmd, size_t len, bc_expect *out);

/* ---- decoders --------------------------------------------------------------------- */
typedef enum bc_kind {
  BC_NONE = 0,
  BC_QLWEVTIND,      /* value: -1..10 */
  BC_NNMI_DATA,      /* +NNMI: len,hex: value = len, data/data_len = hex digits */
  BC_NNMI_INDICATION, /* bare +NNMI */
  BC_NNMI_BUFF_FULL, /* +NNMI: "recv",buff full */
  BC_NNMI_MODE,      /* +NNMI: <status> (query answer): value */
  BC_NMGR,           /* +NMGR: len,hex */
  BC_FOTA,           /* +QIND: "FOTA",...: fota stage, value */
  BC_NMSTATUS,       /* text: the state name; value: bc_nmstatus */
  BC_QLWULDATASTATUS, /* value 0..5 */
  BC_NQMGR,          /* BUFFERED=..,RECEIVED=..,DROPPED=..: buffered, received, dropped */
  BC_NCFG,           /* +NCFG: value (lifetime) */
  BC_CSCON,          /* URC +CSCON: mode: value = mode */
  BC_CSCON_ANSWER,   /* +CSCON: n,mode: n, value = mode */
  BC_CEREG,          /* URC +CEREG: stat[,...]: value = stat */
  BC_CEREG_ANSWER,   /* +CEREG: n,stat[,...]: n, value = stat */
  BC_CGPADDR,        /* +CGPADDR: cid[,"ip"[,"ip6"]]: n = cid, text = first address
                        (text_len 0 when the line has none) */
  BC_CGSN,           /* +CGSN: imei: text */
  BC_CSQ,            /* +CSQ: rssi,ber: value = rssi, n = ber */
  BC_QNBIOTEVENT,    /* +QNBIOTEVENT: "ENTER DEEPSLEEP"|"EXIT DEEPSLEEP": value 1 enter, 0 exit;
                        text: the words */
  BC_CFUN,           /* +CFUN: value */
  BC_CPIN,           /* +CPIN: text */
  BC_IP,             /* +IP: text */
  BC_RDY,            /* RDY */
  BC_CME_ERROR,      /* +CME ERROR: value */
  BC_ATI_MANUFACTURER, /* "Quectel_Ltd": text */
  BC_ATI_MODEL,      /* "Quectel_BC260Y-CN": text */
  BC_ATI_REVISION    /* "Revision: BC260YCNAAR02A02": text = revision */
} bc_kind;

typedef enum bc_fota_stage {
  BC_FOTA_DOWNLOAD_START = 1,
  BC_FOTA_DOWNLOADING, /* value: bytes so far */
  BC_FOTA_DOWNLOAD,    /* value: 0 ok, 2 out of memory, 4 link lost, 9 invalid URL */
  BC_FOTA_START,
  BC_FOTA_UPDATING, /* value: percent; n: total, m: current (-1 when the line has only
                       the percent, as the guide's URC index writes it) */
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

/* One decoded line. Pointers point into the decoded line. */
typedef struct bc_decoded {
  bc_kind kind;
  long value;
  long n, m;             /* second and third numbers where a line has them */
  bc_fota_stage stage;   /* BC_FOTA */
  long buffered, received, dropped; /* BC_NQMGR */
  const char *text;      /* hex digits, an address, a state name... (not NUL-terminated) */
  size_t text_len;
} bc_decoded;

/* Decodes any URC or answer line the module prints. Returns the kind (BC_NONE for a line
 * it does not know, or a known prefix with a malformed body). Same-prefix lines are told
 * apart by their field count: "+CSCON: 0,1" is the answer, "+CSCON: 1" the URC;
 * "+CEREG: 1,1" (2, 5, 7 or 9 fields) the answer, "+CEREG: 1" (1, 4, 6 or 8) the URC.
 * Accepted: "+X: v" and "+X:v", spaces after commas (the guide's +QIND examples), hex of
 * either case, quotes around hex or addresses, a trailing CR/LF. Refused (BC_NONE, *out
 * zeroed): a number with junk, out of its documented range or overflowing a long; a hex
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

#endif
