/* bc260y_rows.h (internal, not installed): the row table bc_decode runs on. A row is one
 * shape of one line kind: its prefix, the field counts it takes and, per field, what the
 * field must be (sort) and under which name it is shown (key). The Lua binding pushes a
 * decoded line by walking the same row, so a field is declared once. */
#ifndef BC260Y_BC260Y_ROWS_H
#define BC260Y_BC260Y_ROWS_H

#include "bc260y.h"

/* What a field must be. The text sorts come last (the binding shows them as strings). */
enum decode_sort {
  FS_ANY,      /* not looked at */
  FS_NUM,      /* a number within ranges[arg] */
  FS_NUM99,    /* a number within ranges[arg], or 99 ("not known") */
  FS_PERCENT,  /* 0..100, an optional trailing % */
  FS_QWORD,    /* quoted, exactly word arg */
  FS_UWORD,    /* unquoted, exactly word arg */
  FS_NAMED,    /* unquoted "<word arg>=<n>", n >= 0 */
  FS_HEX,      /* exactly 2*value hex digits (quotes tolerated): text */
  FS_ADDR_CHECK, /* an address, not kept */
  FS_ENUM,     /* one of the words of list arg: its index in value, the word in text */
  FS_TOKEN,    /* printable, no space: text */
  FS_TEXT,     /* printable, spaces allowed: text */
  FS_ADDR      /* an IPv4 or IPv6 address: text */
};

/* The names a decoded field is shown under; decode_keys[key] holds the name and where
 * bc_decoded keeps the number. */
enum decode_key { K_NONE, K_VALUE, K_LENGTH, K_N, K_CID, K_RSSI, K_BER, K_TOTAL, K_CURRENT,
                  K_BUFFERED, K_RECEIVED, K_DROPPED, K_STAGE, K_IP, K_HEX };
extern const struct decode_key_info {
  char name[9];
  unsigned char offset;
} decode_keys[];

#define DECODE_FIELDS 5 /* described fields; any further ones are FS_ANY */

typedef struct decode_field {
  unsigned char sort : 4, arg : 4;
  unsigned char key;
} decode_field;

typedef struct decode_row {
  unsigned char prefix, kind, stage; /* stage: BC_FOTA rows only */
  unsigned short counts;             /* bit n: takes n fields (bit 0: the bare prefix) */
  decode_field f[DECODE_FIELDS];
} decode_row;

/* bc_decode, also giving the row the line matched (NULL for RDY and the ATI lines, which
 * have none) and its field count. */
bc_kind decode_line(const char *line, size_t len, bc_decoded *out, const decode_row **row,
                    int *nfields);

#endif
