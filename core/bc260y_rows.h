/* bc260y_rows.h (internal, not installed): the decoder's rows, made from the rows of
 * core/bc260y_lines.h. A row is one shape of one line kind: its field counts and, per
 * field, what the field must be (sort) and under which name it is shown (key). The Lua
 * binding pushes a decoded line by walking the same row, so a field is declared once.
 * The enums below are the vocabulary of the "fields..." columns (their macros are in
 * bc260y_decode.c, where the rows are made). */
#ifndef BC260Y_BC260Y_ROWS_H
#define BC260Y_BC260Y_ROWS_H

#include "bc260y.h"

/* What a field must be. The text sorts come last (the binding shows them as strings). */
enum decode_sort {
  FS_ANY,         /* not looked at */
  FS_NUMBER,      /* a number within ranges[arg] */
  FS_NUMBER_99,   /* a number within ranges[arg], or 99 ("not known") */
  FS_PERCENT,     /* 0..100, an optional trailing % */
  FS_QUOTED_WORD, /* quoted, exactly word arg */
  FS_BARE_WORD,   /* unquoted, exactly word arg */
  FS_NAMED_COUNT, /* unquoted "<word arg>=<n>", n >= 0 */
  FS_HEX,         /* exactly 2*value hex digits (quotes tolerated): text */
  FS_ADDR_CHECK,  /* an address, not kept */
  FS_ENUM,        /* one of the words of list arg: its index in value, the word in text */
  FS_TOKEN,       /* printable, no space: text */
  FS_TEXT,        /* printable, spaces allowed: text */
  FS_ADDR         /* an IPv4 or IPv6 address: text */
};

/* The ranges of FS_NUMBER and FS_NUMBER_99 fields (bc260y_decode.c holds their bounds). */
enum decode_range { R_EVENT, R_0_2, R_PAYLOAD, R_COUNT, R_BYTE, R_0_5, R_LIFETIME, R_0_1, R_0_3,
                    R_0_10, R_RSSI, R_BER, R_CODE };
/* The words of FS_QUOTED_WORD, FS_BARE_WORD and FS_NAMED_COUNT fields; the FOTA stages in
 * the order of bc_fota_stage. */
enum decode_word { W_FOTA, W_DOWNLOAD_START, W_DOWNLOADING, W_DOWNLOAD, W_START, W_UPDATING,
                   W_END, W_RECV, W_BUFF_FULL, W_BUFFERED, W_RECEIVED, W_DROPPED };
/* The word lists of FS_ENUM. */
enum decode_list { L_NMSTATUS, L_DEEPSLEEP };

/* The names a decoded field is shown under; decode_keys[key] holds the name and where
 * bc_decoded keeps the number. K_SETTING is the guide's <n> (shown as "n"). */
enum decode_key { K_NONE, K_VALUE, K_LENGTH, K_SETTING, K_CID, K_RSSI, K_BER, K_TOTAL,
                  K_CURRENT, K_BUFFERED, K_RECEIVED, K_DROPPED, K_STAGE, K_IP, K_HEX };
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
  unsigned char kind;
  unsigned char min_fields, max_fields; /* 0: the bare prefix */
  decode_field f[DECODE_FIELDS];
} decode_row;

/* bc_decode, also giving the row the line matched (NULL for RDY and the ATI lines, which
 * have none) and its field count. It fills *d in place (d must not be NULL). */
bc_kind decode_line(const char *line, size_t len, bc_decoded *d, const decode_row **row,
                    int *nfields);

#endif
