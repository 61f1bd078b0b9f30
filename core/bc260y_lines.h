/* bc260y_lines.h: every line the BC260Y-CN prints that the library knows (Quectel's
 * guide, chapters 2 and 3), one row per line shape. Everything else is made from these
 * rows: the bc_kind enum (bc260y.h), the kind names and the decoder's rows
 * (bc260y_decode.c), the URC table the engine classifies with and the answer shapes of
 * each command (bc260y_urc.c). Changing a row changes all of them.
 *
 * BC_LINES(LINE, SHAPE, REPLY, KIND) calls, row by row:
 *   LINE(KIND, "name", "prefix", min, max, role, "command", forms, fields...)
 *       the first shape of a kind: bc_kind BC_<KIND>, shown in Lua as "name"; the line
 *       starts with prefix and has min..max comma-separated fields after its colon (0:
 *       the bare prefix). role says who prints it:
 *         URC     unsolicited (command "" and forms 0): the engine's URC table;
 *         URC_SAME  unsolicited, of the same prefix and field counts as the URC row
 *                 above it: the engine has that shape already (decoded only);
 *         ANSWER  the answer of "command" in forms (F_QUERY...): its expected shape;
 *                 command "": the command of the prefix's own name (most are);
 *         FINAL   a final result, decoded only.
 *       fields: what each field must be and the name it is shown under (the macros of
 *       core/bc260y_rows.h; NONE for no field);
 *   SHAPE(KIND, "prefix", min, max, role, "command", forms, fields...)
 *       another shape of the kind of the LINE above it;
 *   REPLY("command", forms, "prefix", min, max)
 *       an answer shape nothing decodes (a test form's lists); command "" as for ANSWER.
 *       Bare text answers (ATI, AT+CGSN, AT+CIMI) need no row: any line a command gets
 *       that is no URC is its answer (core/at.h);
 *   KIND(KIND, "name")
 *       a kind the decoder recognises by its whole text, not by fields (RDY, ATI).
 * Rows of one prefix stand together: the decoder splits a line once per prefix. Within a
 * prefix the first row that fits decides. Field counts are quote-aware: +QIND: "FOTA",
 * "DOWNLOAD START" has 2 fields.
 */
#ifndef BC260Y_BC260Y_LINES_H
#define BC260Y_BC260Y_LINES_H

#ifdef __cplusplus
extern "C" {
#endif

#define BC_LINES(LINE, SHAPE, REPLY, KIND)                                                  \
  /* platform events -1..10 */                                                           \
  LINE(QLWEVTIND, "qlwevtind", "+QLWEVTIND", 1, 1, URC, "", 0, NUM(EVENT, VALUE))        \
  /* downlinks: bare indication (AT+NNMI=2), <length>,<hex> (AT+NNMI=1): length 1..2560  \
   * and exactly 2*length hex digits (quotes tolerated: the guide shows NMGS data both   \
   * quoted and not), the buffer-full warning, the AT+NNMI? answer */                    \
  LINE(NNMI_INDICATION, "nnmi_indication", "+NNMI", 0, 0, URC, "", 0, NONE)              \
  LINE(NNMI_DATA, "nnmi_data", "+NNMI", 2, 2, URC, "", 0, NUM(PAYLOAD, LENGTH), HEX)     \
  LINE(NNMI_BUFF_FULL, "nnmi_buff_full", "+NNMI", 2, 2, URC_SAME, "", 0, QUOTED(RECV),   \
       BARE(BUFF_FULL))                                                                  \
  LINE(NNMI_MODE, "nnmi_mode", "+NNMI", 1, 1, ANSWER, "", F_QUERY, NUM(0_2, VALUE))      \
  REPLY("", F_TEST, "+NNMI", 0, -1)                                                      \
  LINE(NMGR, "nmgr", "+NMGR", 2, 2, ANSWER, "", F_EXEC, NUM(PAYLOAD, LENGTH), HEX)       \
  /* the six FOTA forms; UPDATING has <percent>% (the % optional: the URC index writes a  \
   * bare <percent>) alone, total and current -1, or with <total>,<current> (the guide's  \
   * examples); no other count */                                                        \
  LINE(FOTA, "fota", "+QIND", 2, 2, URC, "", 0, QUOTED(FOTA), STAGE(DOWNLOAD_START))     \
  SHAPE(FOTA, "+QIND", 2, 2, URC_SAME, "", 0, QUOTED(FOTA), STAGE(START))                \
  SHAPE(FOTA, "+QIND", 3, 3, URC, "", 0, QUOTED(FOTA), STAGE(DOWNLOADING), NUM(COUNT, VALUE)) \
  SHAPE(FOTA, "+QIND", 3, 3, URC_SAME, "", 0, QUOTED(FOTA), STAGE(DOWNLOAD), NUM(BYTE, VALUE)) \
  SHAPE(FOTA, "+QIND", 3, 3, URC_SAME, "", 0, QUOTED(FOTA), STAGE(END), NUM(BYTE, VALUE)) \
  SHAPE(FOTA, "+QIND", 3, 3, URC_SAME, "", 0, QUOTED(FOTA), STAGE(UPDATING), PERCENT(VALUE)) \
  SHAPE(FOTA, "+QIND", 5, 5, URC, "", 0, QUOTED(FOTA), STAGE(UPDATING), PERCENT(VALUE),  \
        NUM(BYTE, TOTAL), NUM(BYTE, CURRENT))                                            \
  LINE(NMSTATUS, "nmstatus", "+NMSTATUS", 1, 1, ANSWER, "", F_QUERY,                     \
       ENUM(NMSTATUS, VALUE))                                                            \
  LINE(QLWULDATASTATUS, "qlwuldatastatus", "+QLWULDATASTATUS", 1, 1, ANSWER, "", F_QUERY, \
       NUM(0_5, VALUE))                                                                  \
  /* AT+NCFG=0 (mode only) reads the lifetime; AT+NCFG=0,<v> sets it (just OK) */         \
  LINE(NCFG, "ncfg", "+NCFG", 1, 1, ANSWER, "", F_SET_ZERO | F_SET_ONE,                  \
       NUM(LIFETIME, VALUE))                                                             \
  REPLY("", F_TEST, "+NCFG", 1, 2)                                                       \
  /* RRC state: the URC (AT+CSCON=1) has <mode>, the AT+CSCON? answer <n>,<mode> */       \
  LINE(CSCON, "cscon", "+CSCON", 1, 1, URC, "", 0, NUM(0_1, VALUE))                      \
  LINE(CSCON_ANSWER, "cscon_answer", "+CSCON", 2, 2, ANSWER, "", F_QUERY,                \
       NUM(0_3, SETTING), NUM(0_1, VALUE))                                               \
  REPLY("", F_TEST, "+CSCON", 0, -1)                                                     \
  /* registration: the URC <stat>[,<tac>,<ci>,<act>[,<cause_type>,<reject>[,<active>,     \
   * <tau>]]] (AT+CEREG=1, 2/3, 3, 4/5); the AT+CEREG? answer has <n> in front, so a URC  \
   * arriving while the query runs stays a URC. Only n and stat are decoded. */           \
  LINE(CEREG, "cereg", "+CEREG", 1, 1, URC, "", 0, NUM(0_10, VALUE))                     \
  SHAPE(CEREG, "+CEREG", 4, 4, URC, "", 0, NUM(0_10, VALUE))                             \
  SHAPE(CEREG, "+CEREG", 6, 6, URC, "", 0, NUM(0_10, VALUE))                             \
  SHAPE(CEREG, "+CEREG", 8, 8, URC, "", 0, NUM(0_10, VALUE))                             \
  LINE(CEREG_ANSWER, "cereg_answer", "+CEREG", 2, 2, ANSWER, "", F_QUERY,                \
       NUM(0_5, SETTING), NUM(0_10, VALUE))                                              \
  SHAPE(CEREG_ANSWER, "+CEREG", 5, 5, ANSWER, "", F_QUERY, NUM(0_5, SETTING),            \
        NUM(0_10, VALUE))                                                                \
  SHAPE(CEREG_ANSWER, "+CEREG", 7, 7, ANSWER, "", F_QUERY, NUM(0_5, SETTING),            \
        NUM(0_10, VALUE))                                                                \
  SHAPE(CEREG_ANSWER, "+CEREG", 9, 9, ANSWER, "", F_QUERY, NUM(0_5, SETTING),            \
        NUM(0_10, VALUE))                                                                \
  REPLY("", F_TEST, "+CEREG", 0, -1)                                                     \
  /* cid[,"ipv4"[,"ipv6"]]: no address before attach (text_len 0); any form, the test     \
   * form's (list) too */                                                                \
  LINE(CGPADDR, "cgpaddr", "+CGPADDR", 1, 3, ANSWER, "", F_ANY, NUM(BYTE, CID),          \
       ADDR(IP), ADDR_CHECK)                                                             \
  /* <snt> 0 (or absent): the serial number as a bare line; 1..3: +CGSN: <imei...> */     \
  LINE(CGSN, "cgsn", "+CGSN", 1, 1, ANSWER, "", F_TEST | F_SET_ONE | F_SET_MORE,         \
       TOKEN(VALUE))                                                                     \
  LINE(CSQ, "csq", "+CSQ", 2, 2, ANSWER, "", F_EXEC, NUM99(RSSI, RSSI), NUM99(BER, BER)) \
  REPLY("", F_TEST, "+CSQ", 0, -1)                                                       \
  /* "ENTER DEEPSLEEP" / "EXIT DEEPSLEEP": value 1 enter, 0 exit */                       \
  LINE(QNBIOTEVENT, "qnbiotevent", "+QNBIOTEVENT", 1, 1, URC, "", 0, ENUM(DEEPSLEEP, VALUE)) \
  /* the boot banner (BC_BOOT_MARKERS) and the address after attach */                    \
  LINE(CFUN, "cfun", "+CFUN", 1, 1, URC, "", 0, NUM(BYTE, VALUE))                        \
  LINE(CPIN, "cpin", "+CPIN", 1, 1, URC, "", 0, TEXT(VALUE))                             \
  LINE(IP, "ip", "+IP", 1, 1, URC, "", 0, ADDR(VALUE))                                   \
  LINE(CME_ERROR, "cme_error", "+CME ERROR", 1, 1, FINAL, "", 0, NUM(CODE, VALUE))       \
  /* AT+NQMGR: no '+' and no colon, the prefix is part of the first field */              \
  LINE(NQMGR, "nqmgr", "BUFFERED=", 3, 3, ANSWER, "+NQMGR", F_EXEC,                      \
       COUNT(BUFFERED, BUFFERED), COUNT(RECEIVED, RECEIVED), COUNT(DROPPED, DROPPED))      \
  KIND(RDY, "rdy")                                                                       \
  KIND(ATI_MANUFACTURER, "ati_manufacturer") /* "Quectel_Ltd": text */                   \
  KIND(ATI_MODEL, "ati_model")               /* "Quectel_BC260Y-CN": text */             \
  KIND(ATI_REVISION, "ati_revision")         /* "Revision: BC260YCNAAR02A02": text */

/* The boot banner, in the order the module prints it after a power-on or a reset (the
 * guide's DFOTA sessions show +CPIN: READY alone after the update's reboot). */
#define BC_BOOT_MARKERS "RDY", "+CFUN: 1", "+CPIN: READY"

/* The resync probes (at.h): queries every BC260Y firmware answers at once with one line,
 * that change nothing and whose answer shape is no URC (+CSCON: <n>,<mode> has two
 * fields, the URC one). PROBE(command, marker prefix, marker fields). */
#define BC_PROBES(PROBE)                                                                 \
  PROBE("AT+CMEE?", "+CMEE", 1)                                                          \
  PROBE("AT+CSCON?", "+CSCON", 2)                                                        \
  PROBE("AT+QSCLK?", "+QSCLK", 1)                                                        \
  PROBE("AT+CSQ", "+CSQ", 2)                                                             \
  PROBE("AT+NMSTATUS?", "+NMSTATUS", 1)

#ifdef __cplusplus
}
#endif

#endif
