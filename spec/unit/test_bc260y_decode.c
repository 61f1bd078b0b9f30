/* test_bc260y_decode.c: every URC and answer line the module prints decoded in both
 * spacings and hex cases; malformed bodies refused; the URC table and the answer shapes
 * of bc_expect_for, checked against the engine's own field counter. */
#include <stdint.h>
#include <stdlib.h>

#include "bc260y.h"
#include "check.h"

static bc_decoded d;

static bc_kind dec(const char *s) {
  return bc_decode(s, strlen(s), &d);
}

/* The decoded text as a C string (it is not NUL-terminated in the line). */
static const char *txt(void) {
  static char buf[128];
  size_t n = d.text_len < sizeof buf - 1 ? d.text_len : sizeof buf - 1;
  if (d.text) memcpy(buf, d.text, n);
  buf[d.text ? n : 0] = '\0';
  return buf;
}

/* Lines whose prefix is known and whose body is malformed: all BC_NONE. */
static const char *const malformed[] = {
    "+QLWEVTIND: x", "+QLWEVTIND: 3,1", "+QLWEVTIND",
    "+QLWEVTIND:", "+QLWEVTIND: ", "+QLWEVTIND: 3x", "+QLWEVTIND: \"3\"", "+QLWEVTINDX: 3",
    "+QLWEVTIND: 99999999999999999999999",
    "+NNMI: 4,AA", "+NNMI: 3,AAAA0000", "+NNMI: 4,AAAA000", "+NNMI: 4,AAAA000000", "+NNMI: 4,AAAA00G0", "+NNMI: 2,AAA",
    "+NNMI: 0,", "+NNMI: 1025," , "+NNMI: -1,AA", "+NNMI: x,AA", "+NNMI: 3", "+NNMI: 1,AA,1",
    "+NNMI: \"recv\",buff", "+NNMI: recv,buff full", "+NNMI: \"recv", "+NNMI: 1,\"AA",
    "+NNMI: 99999999999999999999,AA", "+NNMI: 1,A A", "+NNMI:",
    "+NMGR: 4,AAAA000", "+NMGR: 1", "+NMGR", "+NMGR: 1,AA,1",
    "+QIND: \"FOTA\"", "+QIND: \"FOTA\",\"DOWNLOADING\"", "+QIND: \"FOTA\",\"DOWNLOADING\",x",
    "+QIND: \"FOTA\",\"DOWNLOAD\",256", "+QIND: \"FOTA\",\"END\",-1", "+QIND: \"FOTA\",\"END\"",
    "+QIND: \"FOTA\",\"UPDATING\",101%,1,1", "+QIND: \"FOTA\",\"UPDATING\",2%%,1,1",
    "+QIND: \"FOTA\",\"UPDATING\",%,1,1", "+QIND: \"FOTA\",\"UPDATING\",2%,1",
    "+QIND: \"FOTA\",\"START\",1", "+QIND: \"FOTX\",\"START\"",
    "+QIND: FOTA,START", "+QIND: \"FOTA\",\"DOWNLOAD START\",1",
    "+NMSTATUS: REGISTERED,1",
    "+NMSTATUS", "+QLWULDATASTATUS: 6", "+QLWULDATASTATUS: -1", "+NCFG: 2592001",
    "+NCFG: -1", "+NCFG: 0,(0-2592000)", "+CSCON: 2", "+CSCON: 0,2", "+CSCON: 0,1,1",
    "+CEREG: 1,2,3", "+CEREG: x", "+CEREG: 11", "+CEREG: 6,1", "+CGPADDR: x,\"1.2.3.4\"",
    "+CGPADDR: 0,\"1.2.3.4 \"", "+CGPADDR: 0,\"bad host\"", "+CGPADDR: 0,\"\"",
    "+CGSN: 8696 1", "+CGSN: 1,2", "+CSQ: 32,0", "+CSQ: 99", "+CSQ: 10,8", "+CSQ: -1,0",
    "+QNBIOTEVENT: \"ENTER\"", "+QNBIOTEVENT: \"enter deepsleep\"", "+CFUN: 256", "+CFUN: a",
    "+IP: hello", "+CME ERROR: x", "+CME ERROR: operation not allowed", "+CME ERROR: -1",
    "BUFFERED=0,RECEIVED=34", "BUFFERED=0,RECEIVED=34,DROPPED=", "BUFFERED=a,RECEIVED=1,DROPPED=2",
    "BUFFERED=0,RECEIVED=34,DROPPED=2,X=1", "BUFFERED=0,RECEIVED=34,DROPPED=2,",
    "BUFFERED=0,RECEIVED=-3,DROPPED=2",
    "BUFFERED=0,DROPPED=34,RECEIVED=2", "rdy", "Revision:", "Quectel_", "Quectel_A B",
    "", "+", "OK", "+FOO: 1", "AT+NNMI?",
};

static void test_malformed(void) {
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    d.kind = BC_RDY; /* must be overwritten */
    d.value = 77;
    bc_kind k = dec(malformed[i]);
    if (k != BC_NONE) fprintf(stderr, "decoded malformed line: %s\n", malformed[i]);
    CHECK_EQ_INT(k, BC_NONE);
    CHECK_EQ_INT(d.kind, BC_NONE);
    CHECK_EQ_INT(d.value, 0); /* no half-filled result */
  }
  /* NULL out is allowed; NULL line with len 0 too */
  CHECK_EQ_INT(bc_decode("RDY", 3, NULL), BC_RDY);
  CHECK_EQ_INT(bc_decode(NULL, 0, &d), BC_NONE);
}

/* A value outside the guide's tables (an NMSTATUS state, a QLWEVTIND event, a FOTA stage)
 * is decoded with its kind, the field marked in unknown and its text kept: a firmware
 * that prints one new word is reported, not refused. Known words in a wrong shape, and
 * what is no value at all (junk, a quoted number), stay malformed. */
static void test_open_values(void) {
  CHECK_EQ_INT(dec("+NMSTATUS: INIITIALISING"), BC_NMSTATUS);
  CHECK_EQ_INT(d.unknown, 1);
  CHECK_EQ_STR(txt(), "INIITIALISING");
  CHECK_EQ_INT(dec("+NMSTATUS:NO_UE_IP"), BC_NMSTATUS);
  CHECK_EQ_INT(d.unknown, 1);
  CHECK_EQ_STR(txt(), "NO_UE_IP");
  CHECK_EQ_INT(dec("+NMSTATUS: REGISTERED"), BC_NMSTATUS);
  CHECK_EQ_INT(d.unknown, 0);
  CHECK_EQ_INT(dec("+QLWEVTIND: 11"), BC_QLWEVTIND);
  CHECK_EQ_INT(d.unknown, 1);
  CHECK_EQ_INT(d.value, 11);
  CHECK_EQ_INT(dec("+QLWEVTIND:-2"), BC_QLWEVTIND);
  CHECK_EQ_INT(d.value, -2);
  CHECK_EQ_INT(dec("+QLWEVTIND: 3"), BC_QLWEVTIND);
  CHECK_EQ_INT(d.unknown, 0);
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"VERIFYING\""), BC_FOTA);
  CHECK_EQ_INT(d.unknown, 2);
  CHECK_EQ_INT(d.stage, 0);
  CHECK_EQ_STR(txt(), "VERIFYING");
  CHECK_EQ_INT(dec("+QIND:\"FOTA\",\"VERIFY STEP\",40"), BC_FOTA);
  CHECK_EQ_INT(d.unknown, 2);
  CHECK_EQ_INT(d.value, 40);
  CHECK_EQ_STR(txt(), "VERIFY STEP");
  static const char *const still_malformed[] = {
      "+QLWEVTIND: x", "+QLWEVTIND: \"3\"", "+QLWEVTIND: 99999999999999999999999",
      "+QIND: \"FOTA\",\"END\"", "+QIND: \"FOTA\",\"START\",1", "+QIND: \"FOTA\",VERIFYING",
      "+NMSTATUS: TWO WORDS", "+NMSTATUS: \"QUOTED\"", "+QIND: \"FOTA\",\"X\",y"};
  for (size_t i = 0; i < sizeof still_malformed / sizeof still_malformed[0]; i++) {
    if (dec(still_malformed[i]) != BC_NONE) fprintf(stderr, "decoded: %s\n", still_malformed[i]);
    CHECK_EQ_INT(d.kind, BC_NONE);
    CHECK_EQ_INT(d.malformed, 1);
  }
}

/* This module family's variants: no space after the colon, trailing spaces, lower-case
 * hex. */
static void test_variants(void) {
  CHECK_EQ_INT(dec("+CSCON:1  "), BC_CSCON);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+NMSTATUS: REGISTERED_AND_OBSERVED "), BC_NMSTATUS);
  CHECK_EQ_INT(d.unknown, 0);
  CHECK_EQ_STR(txt(), "REGISTERED_AND_OBSERVED");
  CHECK_EQ_INT(dec("+NNMI:2,abcd \r\n"), BC_NNMI_DATA);
  CHECK_EQ_STR(txt(), "abcd");
  CHECK_EQ_INT(dec("RDY  "), BC_RDY);
  CHECK_EQ_INT(dec("+QLWEVTIND:3 "), BC_QLWEVTIND);
  CHECK_EQ_INT(d.value, 3);
}

static void test_qlwevtind(void) {
  for (long v = -1; v <= 10; v++) {
    char a[32], b[32];
    snprintf(a, sizeof a, "+QLWEVTIND: %ld", v);
    snprintf(b, sizeof b, "+QLWEVTIND:%ld", v);
    CHECK_EQ_INT(dec(a), BC_QLWEVTIND);
    CHECK_EQ_INT(d.value, v);
    CHECK_EQ_INT(dec(b), BC_QLWEVTIND);
    CHECK_EQ_INT(d.value, v);
  }
  /* trailing CR LF from a raw capture */
  CHECK_EQ_INT(dec("+QLWEVTIND: 3\r\n"), BC_QLWEVTIND);
  CHECK_EQ_INT(d.value, 3);
}

static void test_nnmi(void) {
  const char *forms[] = {"+NNMI: 4,AAAA0000", "+NNMI:4,AAAA0000", "+NNMI: 4,aaaa0000",
                         "+NNMI:4,aAaA0000", "+NNMI: 4,\"AAAA0000\""};
  for (size_t i = 0; i < 5; i++) {
    CHECK_EQ_INT(dec(forms[i]), BC_NNMI_DATA);
    CHECK_EQ_INT(d.value, 4);
    CHECK_EQ_INT(d.text_len, 8);
    uint8_t bin[4];
    CHECK_EQ_INT(bc_hex_decode(d.text, d.text_len, bin, sizeof bin), 4);
    CHECK(bin[0] == 0xAA && bin[1] == 0xAA && bin[2] == 0 && bin[3] == 0);
  }
  CHECK_EQ_INT(dec("+NNMI"), BC_NNMI_INDICATION);
  CHECK_EQ_INT(dec("+NNMI: \"recv\",buff full"), BC_NNMI_BUFF_FULL);
  CHECK_EQ_INT(dec("+NNMI:\"recv\",buff full"), BC_NNMI_BUFF_FULL);
  for (int m = 0; m <= 2; m++) {
    char a[16], b[16];
    snprintf(a, sizeof a, "+NNMI: %d", m);
    snprintf(b, sizeof b, "+NNMI:%d", m);
    CHECK_EQ_INT(dec(a), BC_NNMI_MODE);
    CHECK_EQ_INT(d.value, m);
    CHECK_EQ_INT(dec(b), BC_NNMI_MODE);
    CHECK_EQ_INT(d.value, m);
  }
  /* the largest message: 1024 bytes = 2048 digits */
  char *big = malloc(2100);
  int n = snprintf(big, 2100, "+NNMI: 1024,");
  memset(big + n, 'f', 2048);
  big[n + 2048] = '\0';
  CHECK_EQ_INT(dec(big), BC_NNMI_DATA);
  CHECK_EQ_INT(d.value, 1024);
  CHECK_EQ_INT(d.text_len, 2048);
  /* len honoured: the same line cut one digit short is refused */
  CHECK_EQ_INT(bc_decode(big, strlen(big) - 1, &d), BC_NONE);
  free(big);
}

static void test_nmgr(void) {
  CHECK_EQ_INT(dec("+NMGR: 5,00454C4C4F"), BC_NMGR);
  CHECK_EQ_INT(d.value, 5);
  CHECK_EQ_STR(txt(), "00454C4C4F");
  CHECK_EQ_INT(dec("+NMGR:5,00454c4c4f"), BC_NMGR);
  CHECK_EQ_STR(txt(), "00454c4c4f");
}

static void test_fota(void) {
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"DOWNLOAD START\""), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_DOWNLOAD_START);
  CHECK_EQ_STR(bc_fota_stage_name(d.stage), "download_start");
  CHECK_EQ_INT(dec("+QIND:\"FOTA\",\"DOWNLOADING\",512"), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_DOWNLOADING);
  CHECK_EQ_INT(d.value, 512);
  const long errs[] = {0, 2, 4, 9};
  for (int i = 0; i < 4; i++) {
    char a[64];
    snprintf(a, sizeof a, "+QIND: \"FOTA\",\"DOWNLOAD\",%ld", errs[i]);
    CHECK_EQ_INT(dec(a), BC_FOTA);
    CHECK_EQ_INT(d.stage, BC_FOTA_DOWNLOAD);
    CHECK_EQ_INT(d.value, errs[i]);
  }
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"START\""), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_START);
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"UPDATING\",2%,1,1"), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_UPDATING);
  CHECK_EQ_INT(d.value, 2);
  CHECK_EQ_INT(d.total, 1);
  CHECK_EQ_INT(d.current, 1);
  /* the guide's own spacing in its DFOTA transcript */
  CHECK_EQ_INT(dec("+QIND: \"FOTA\", \"UPDATING\", 100%, 1,1"), BC_FOTA);
  CHECK_EQ_INT(d.value, 100);
  CHECK_EQ_INT(dec("+QIND: \"FOTA\", \"START\""), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_START);
  /* the URC index's short form: percent only */
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"UPDATING\",50"), BC_FOTA);
  CHECK_EQ_INT(d.value, 50);
  CHECK_EQ_INT(d.total, -1);
  CHECK_EQ_INT(dec("+QIND: \"FOTA\",\"END\",0"), BC_FOTA);
  CHECK_EQ_INT(d.stage, BC_FOTA_END);
  CHECK_EQ_INT(d.value, 0);
  CHECK_EQ_INT(dec("+QIND:\"FOTA\",\"END\",255"), BC_FOTA);
  CHECK_EQ_INT(d.value, 255);
  CHECK_EQ_STR(bc_fota_stage_name(BC_FOTA_END), "end");
  CHECK_EQ_STR(bc_fota_stage_name(BC_FOTA_UPDATING), "updating");
  CHECK(bc_fota_stage_name((bc_fota_stage)0) == NULL);
}

static void test_states(void) {
  static const char *const names[] = {
      "UNINITIALISED", "REGISTERING",           "REJECTED_BY_SERVER", "TIMEOUT",
      "REGISTERED",    "REGISTERED_AND_OBSERVED", "DEREGISTERED",     "RESUMPTION_FAILED"};
  for (int i = 0; i < 8; i++) {
    char a[64], b[64];
    snprintf(a, sizeof a, "+NMSTATUS: %s", names[i]);
    snprintf(b, sizeof b, "+NMSTATUS:%s", names[i]);
    CHECK_EQ_INT(dec(a), BC_NMSTATUS);
    CHECK_EQ_INT(d.value, i);
    CHECK_EQ_STR(txt(), names[i]);
    CHECK_EQ_INT(dec(b), BC_NMSTATUS);
    CHECK_EQ_STR(bc_nmstatus_name((bc_nmstatus)i), names[i]);
  }
  CHECK(bc_nmstatus_name((bc_nmstatus)8) == NULL);
  for (int i = 0; i <= 5; i++) {
    char a[64];
    snprintf(a, sizeof a, "+QLWULDATASTATUS: %d", i);
    CHECK_EQ_INT(dec(a), BC_QLWULDATASTATUS);
    CHECK_EQ_INT(d.value, i);
  }
  CHECK_EQ_INT(dec("+QLWULDATASTATUS:4"), BC_QLWULDATASTATUS);
  CHECK_EQ_INT(dec("BUFFERED=0,RECEIVED=34,DROPPED=2"), BC_NQMGR);
  CHECK_EQ_INT(d.buffered, 0);
  CHECK_EQ_INT(d.received, 34);
  CHECK_EQ_INT(d.dropped, 2);
  CHECK_EQ_INT(dec("BUFFERED=8, RECEIVED=100, DROPPED=9"), BC_NQMGR);
  CHECK_EQ_INT(d.buffered, 8);
  CHECK_EQ_INT(d.dropped, 9);
  CHECK_EQ_INT(dec("+NCFG: 86400"), BC_NCFG);
  CHECK_EQ_INT(d.value, 86400);
  CHECK_EQ_INT(dec("+NCFG:2592000"), BC_NCFG);
  CHECK_EQ_INT(d.value, 2592000);
  CHECK_EQ_INT(dec("+NCFG: 0"), BC_NCFG);
}

static void test_network(void) {
  CHECK_EQ_INT(dec("+CSCON: 1"), BC_CSCON);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CSCON:0"), BC_CSCON);
  CHECK_EQ_INT(d.value, 0);
  CHECK_EQ_INT(dec("+CSCON: 1,0"), BC_CSCON_ANSWER);
  CHECK_EQ_INT(d.setting, 1);
  CHECK_EQ_INT(d.value, 0);
  CHECK_EQ_INT(dec("+CSCON:0,1"), BC_CSCON_ANSWER);
  CHECK_EQ_INT(d.setting, 0);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CEREG: 1"), BC_CEREG);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CEREG:5,\"1A2B\",\"0C3D4E5F\",9"), BC_CEREG);
  CHECK_EQ_INT(d.value, 5);
  CHECK_EQ_INT(dec("+CEREG: 0,1"), BC_CEREG_ANSWER);
  CHECK_EQ_INT(d.setting, 0);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CEREG: 2,1,\"1A2B\",\"0C3D4E5F\",9"), BC_CEREG_ANSWER);
  CHECK_EQ_INT(d.setting, 2);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CEREG: 4,1,\"1A2B\",\"0C3D4E5F\",9,,,\"00100100\",\"01000011\""),
               BC_CEREG_ANSWER);
  CHECK_EQ_INT(dec("+CEREG: 1,\"1A2B\",\"0C3D4E5F\",9,,,\"00100100\",\"01000011\""), BC_CEREG);
  CHECK_EQ_INT(dec("+CGPADDR: 0,\"26.238.47.96\""), BC_CGPADDR);
  CHECK_EQ_INT(d.cid, 0);
  CHECK_EQ_STR(txt(), "26.238.47.96");
  CHECK_EQ_INT(dec("+CGPADDR:1,\"10.0.0.1\",\"240E:0:0:0:0:0:0:1\""), BC_CGPADDR);
  CHECK_EQ_INT(d.cid, 1);
  CHECK_EQ_STR(txt(), "10.0.0.1");
  CHECK_EQ_INT(dec("+CGPADDR: 0"), BC_CGPADDR);
  CHECK_EQ_INT(d.text_len, 0);
  CHECK_EQ_INT(dec("+CGSN: 869663040000001"), BC_CGSN);
  CHECK_EQ_STR(txt(), "869663040000001");
  CHECK_EQ_INT(dec("+CGSN:869663040000001"), BC_CGSN);
  CHECK_EQ_INT(dec("+CSQ: 23,0"), BC_CSQ);
  CHECK_EQ_INT(d.value, 23);
  CHECK_EQ_INT(d.ber, 0);
  CHECK_EQ_INT(dec("+CSQ:99,99"), BC_CSQ);
  CHECK_EQ_INT(d.value, 99);
  CHECK_EQ_INT(dec("+QNBIOTEVENT: \"ENTER DEEPSLEEP\""), BC_QNBIOTEVENT);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+QNBIOTEVENT:\"EXIT DEEPSLEEP\""), BC_QNBIOTEVENT);
  CHECK_EQ_INT(d.value, 0);
}

static void test_boot_and_ati(void) {
  CHECK_EQ_INT(dec("RDY"), BC_RDY);
  CHECK_EQ_INT(dec("+CFUN: 1"), BC_CFUN);
  CHECK_EQ_INT(d.value, 1);
  CHECK_EQ_INT(dec("+CFUN:0"), BC_CFUN);
  CHECK_EQ_INT(d.value, 0);
  CHECK_EQ_INT(dec("+CPIN: READY"), BC_CPIN);
  CHECK_EQ_STR(txt(), "READY");
  CHECK_EQ_INT(dec("+CPIN:SIM PIN"), BC_CPIN);
  CHECK_EQ_STR(txt(), "SIM PIN");
  CHECK_EQ_INT(dec("+IP: 10.1.2.3"), BC_IP);
  CHECK_EQ_STR(txt(), "10.1.2.3");
  CHECK_EQ_INT(dec("+IP:\"240e::1\""), BC_IP);
  CHECK_EQ_STR(txt(), "240e::1");
  CHECK_EQ_INT(dec("+CME ERROR: 17"), BC_CME_ERROR);
  CHECK_EQ_INT(d.value, 17);
  CHECK_EQ_INT(dec("+CME ERROR:954"), BC_CME_ERROR);
  CHECK_EQ_INT(d.value, 954);
  CHECK_EQ_INT(dec("Quectel_Ltd"), BC_ATI_MANUFACTURER);
  CHECK_EQ_STR(txt(), "Quectel_Ltd");
  CHECK_EQ_INT(dec("Quectel_BC260Y-CN"), BC_ATI_MODEL);
  CHECK_EQ_STR(txt(), "Quectel_BC260Y-CN");
  CHECK_EQ_INT(dec("Revision: BC260YCNAAR02A02"), BC_ATI_REVISION);
  CHECK_EQ_STR(txt(), "BC260YCNAAR02A02");
  CHECK_EQ_INT(dec("Revision:BC260YCNAAR02A02"), BC_ATI_REVISION);
  CHECK_EQ_STR(txt(), "BC260YCNAAR02A02");
}

/* Shape helpers: does the engine's field count of line fall in one of the matches? */
static int shape_hits(const bc_at_match *m, size_t n, const char *line) {
  for (size_t i = 0; i < n; i++) {
    if (m[i].min_fields == BC_AT_MATCH_ANY_TEXT) {
      if (!strncmp(line, m[i].prefix, strlen(m[i].prefix))) return 1;
      continue;
    }
    int f = bc_at_count_fields(line, strlen(line), m[i].prefix);
    if (f >= 0 && f >= m[i].min_fields && (m[i].max_fields < 0 || f <= m[i].max_fields))
      return 1;
  }
  return 0;
}

static void test_urc_table(void) {
  static const char *const urcs[] = {
      "+QLWEVTIND: 3", "+QLWEVTIND:-1", "+NNMI", "+NNMI: 4,AAAA0000", "+NNMI: \"recv\",buff full",
      "+QIND: \"FOTA\",\"DOWNLOAD START\"", "+QIND: \"FOTA\",\"DOWNLOADING\",512",
      "+QIND: \"FOTA\",\"UPDATING\",2%,1,1", "+QIND: \"FOTA\",\"END\",0", "+CSCON: 1", "+CSCON:0",
      "+CEREG: 1", "+CEREG: 5,\"1A2B\",\"0C3D4E5F\",9", "+QNBIOTEVENT: \"ENTER DEEPSLEEP\"",
      "+CFUN: 1", "+CPIN: READY", "+IP: 10.1.2.3"};
  for (size_t i = 0; i < sizeof urcs / sizeof urcs[0]; i++) {
    CHECK(shape_hits(bc_urc_table, bc_urc_table_len, urcs[i]));
    CHECK(dec(urcs[i]) != BC_NONE); /* every URC the table takes has a decoder */
  }
  /* answers that share a URC prefix must not be taken for URCs */
  static const char *const answers[] = {"+NNMI: 1", "+CSCON: 1,0", "+CEREG: 0,1",
                                        "+CEREG: 2,1,\"1A2B\",\"0C3D4E5F\",9", "RDY",
                                        "+NMGR: 4,AAAA0000"};
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
    CHECK(!shape_hits(bc_urc_table, bc_urc_table_len, answers[i]));
}

/* Every URC row of core/bc260y_lines.h, URC_SAME ones included, has its shape in the URC
 * table exactly once: a URC_SAME row whose shape no URC row gave would be a URC the engine
 * does not know. */
#define URC_ROW_URC(prefix, min, max) {prefix, min, max},
#define URC_ROW_URC_SAME URC_ROW_URC
#define URC_ROW_ANSWER(...)
#define URC_ROW_FINAL(...)
#define URC_ROW_LINE(KIND, name, prefix, min, max, role, ...) URC_ROW_##role(prefix, min, max)
#define URC_ROW_SHAPE(KIND, prefix, min, max, role, ...) URC_ROW_##role(prefix, min, max)
#define URC_ROW_NOTHING(...)
static void test_urc_rows_in_table(void) {
  static const bc_at_match rows[] = {BC_LINES(URC_ROW_LINE, URC_ROW_SHAPE, URC_ROW_NOTHING,
                                           URC_ROW_NOTHING)};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    int found = 0;
    for (size_t j = 0; j < bc_urc_table_len; j++)
      found += strcmp(bc_urc_table[j].prefix, rows[i].prefix) == 0 &&
               bc_urc_table[j].min_fields == rows[i].min_fields &&
               bc_urc_table[j].max_fields == rows[i].max_fields;
    if (found != 1) fprintf(stderr, "URC row %s %d..%d: %d times in the table\n", rows[i].prefix,
                            rows[i].min_fields, rows[i].max_fields, found);
    CHECK(found == 1);
  }
}

/* The engine and the decoder agree: a line the engine takes for a URC (the table's
 * prefix and field count) either decodes, or is refused as malformed, never as unknown;
 * only a line with a row's shape is refused as malformed. The guide knows
 * +QIND: "FOTA","UPDATING" with <percent> alone or with <total>,<current>, nothing with
 * four fields: the engine once took that line for a URC the decoder did not know. */
static void test_engine_and_decoder_agree(void) {
  static const char *const lines[] = {
      "+QIND: \"FOTA\",\"UPDATING\",50%,1", "+QIND: \"FOTA\",\"UPDATING\",50%",
      "+QIND: \"FOTA\",\"UPDATING\",50%,1,1", "+QIND: \"FOTA\",\"START\",1,2,3",
      "+NNMI: 4,AA", "+NNMI: 3,AAAA0000", "+QLWEVTIND: 99", "+CEREG: 1,2,3"};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    int urc = shape_hits(bc_urc_table, bc_urc_table_len, lines[i]);
    bc_kind k = dec(lines[i]);
    if (urc && k == BC_NONE && !d.malformed)
      fprintf(stderr, "URC unknown to the decoder: %s\n", lines[i]);
    CHECK(!urc || k != BC_NONE || d.malformed);
  }
  /* what the decoder says, malformed or not */
  static const struct {
    const char *line;
    bc_kind kind;
    int malformed;
  } verdicts[] = {
      /* a shape nobody prints: unknown, as for the engine */
      {"+QIND: \"FOTA\",\"UPDATING\",50%,1", BC_NONE, 0},
      /* downlinks whose length disagrees with their data: the engine's URC, refused */
      {"+NNMI: 4,AA", BC_NONE, 1},
      {"+NNMI: 3,AAAA0000", BC_NONE, 1},
      /* an event outside the guide's table: decoded, its value marked (test_open_values) */
      {"+QLWEVTIND: 99", BC_QLWEVTIND, 0},
      /* not malformed: unknown prefixes, shapes no row has, decoded lines */
      {"+FOO: 1", BC_NONE, 0},
      {"+QLWEVTIND: 1,2", BC_NONE, 0},
      {"+NNMI: 2,AAAA", BC_NNMI_DATA, 0}};
  CHECK(!shape_hits(bc_urc_table, bc_urc_table_len, verdicts[0].line));
  for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
    CHECK_EQ_INT(dec(verdicts[i].line), verdicts[i].kind);
    CHECK_EQ_INT(d.malformed, verdicts[i].malformed);
    if (verdicts[i].kind == BC_NONE) CHECK_EQ_INT(d.value, 0); /* nothing half-filled */
  }
}

static void expect(const char *cmd, bc_expect *e) { bc_expect_for(cmd, strlen(cmd), e); }

static void test_expect_for(void) {
  bc_expect e;
  expect("AT+NNMI?", &e);
  CHECK_EQ_INT(e.n, 1);
  CHECK(shape_hits(e.match, e.n, "+NNMI: 1"));
  CHECK(!shape_hits(e.match, e.n, "+NNMI: 4,AAAA0000")); /* data stays a URC */
  CHECK(!shape_hits(e.match, e.n, "+NNMI"));
  expect("at+nnmi?", &e); /* case-insensitive */
  CHECK(shape_hits(e.match, e.n, "+NNMI: 1"));
  expect("AT+CSCON?", &e);
  CHECK(shape_hits(e.match, e.n, "+CSCON: 1,0"));
  CHECK(!shape_hits(e.match, e.n, "+CSCON: 1"));
  expect("AT+CEREG?", &e);
  CHECK(shape_hits(e.match, e.n, "+CEREG: 0,1"));
  CHECK(shape_hits(e.match, e.n, "+CEREG: 2,1,\"1A2B\",\"0C3D4E5F\",9"));
  CHECK(!shape_hits(e.match, e.n, "+CEREG: 1"));
  CHECK(!shape_hits(e.match, e.n, "+CEREG: 1,\"1A2B\",\"0C3D4E5F\",9"));
  expect("AT+NMGR", &e);
  CHECK(shape_hits(e.match, e.n, "+NMGR: 4,AAAA0000"));
  CHECK(!shape_hits(e.match, e.n, "+NNMI: 4,AAAA0000"));
  expect("AT+NCFG=0", &e);
  CHECK(shape_hits(e.match, e.n, "+NCFG: 86400"));
  expect("AT+NCFG=?", &e);
  CHECK(shape_hits(e.match, e.n, "+NCFG: 0,(0-2592000)"));
  expect("AT+NCFG=0,86400", &e);
  CHECK_EQ_INT(e.n, 0);
  expect("AT+NMSTATUS?", &e);
  CHECK(shape_hits(e.match, e.n, "+NMSTATUS: REGISTERED"));
  expect("AT+QLWULDATASTATUS?", &e);
  CHECK(shape_hits(e.match, e.n, "+QLWULDATASTATUS: 4"));
  expect("AT+NQMGR", &e);
  CHECK(shape_hits(e.match, e.n, "BUFFERED=0,RECEIVED=34,DROPPED=2"));
  CHECK(!shape_hits(e.match, e.n, "+NNMI"));
  /* basic commands expect no shape (their text lines are answers by the engine's rule,
   * core/at.h), nor AT+CGSN's bare serial number form */
  const char *no_shape_cmds[] = {"ATI", "ati", "ATI1", "ATE0", "AT)", "AT+CGSN", "AT+CGSN=0"};
  for (size_t i = 0; i < sizeof no_shape_cmds / sizeof no_shape_cmds[0]; i++) {
    expect(no_shape_cmds[i], &e);
    CHECK_EQ_INT(e.n, 0);
  }
  for (int s = 1; s <= 3; s++) {
    char c[16];
    snprintf(c, sizeof c, "AT+CGSN=%d", s);
    expect(c, &e);
    CHECK(shape_hits(e.match, e.n, "+CGSN: 869663040000001"));
  }
  expect("AT+CGPADDR?", &e);
  CHECK(shape_hits(e.match, e.n, "+CGPADDR: 0,\"26.238.47.96\""));
  CHECK(shape_hits(e.match, e.n, "+CGPADDR: 0,\"10.0.0.1\",\"240E::1\""));
  expect("AT+CSQ", &e);
  CHECK(shape_hits(e.match, e.n, "+CSQ: 23,0"));
  /* generic: the command's own name, any shape, upper-cased */
  expect("at+qfoo?", &e);
  CHECK_EQ_INT(e.n, 1);
  CHECK_EQ_STR(e.match[0].prefix, "+QFOO");
  CHECK(shape_hits(e.match, e.n, "+QFOO: 1,2,3"));
  CHECK(shape_hits(e.match, e.n, "+QFOO"));
  CHECK(!shape_hits(e.match, e.n, "+QFOOBAR: 1"));
  expect("AT+QBAR=?", &e);
  CHECK_EQ_STR(e.match[0].prefix, "+QBAR");
  /* nothing expected */
  const char *none[] = {"AT", "at", "ATE0", "AT+NMGS=5,00454C4C4F,0", "AT+NNMI=1",
                        "AT+QSCLK=0", "AT+NCDPOPEN=\"1.2.3.4\",5683", "", "A", "XT+CSQ",
                        "AT+CSCON=1", "AT+\"X?"};
  for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
    expect(none[i], &e);
    if (e.n || e.flags) fprintf(stderr, "expects something: %s\n", none[i]);
    CHECK_EQ_INT(e.n, 0);
    CHECK_EQ_INT(e.flags, 0);
  }
  /* a name longer than the engine allows is not a prefix */
  expect("AT+ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ?", &e);
  CHECK_EQ_INT(e.n, 0);
}

/* Through the real engine: a command submitted with bc_expect_for's shapes and the
 * bc_urc_table gets its answer lines, and a URC of the same prefix interleaved with the
 * answer stays a URC. Returns the response's line count; *urcs counts URC events. */
static long engine_run(const char *cmd, const char *module, int *urcs, char *first, size_t cap) {
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg);
  bc_at_engine *at = bc_at_new(&cfg);
  if (!at) return -1;
  bc_expect e;
  bc_expect_for(cmd, strlen(cmd), &e);
  bc_at_cmd c;
  memset(&c, 0, sizeof c);
  c.text = cmd;
  c.len = strlen(cmd);
  c.expect = e.match;
  c.n_expect = e.n;
  c.flags = e.flags;
  long lines = -1;
  *urcs = 0;
  first[0] = '\0';
  if (bc_at_submit(at, &c) == 0) {
    size_t n;
    bc_at_output(at, &n);
    bc_at_output_consumed(at, n, 0);
    size_t len = strlen(module), off = 0;
    bc_at_event ev;
    while (off < len) {
      off += bc_at_feed(at, (const uint8_t *)module + off, len - off, 1);
      while (bc_at_next_event(at, &ev)) {
        if (ev.type == BC_AT_EV_URC) (*urcs)++;
        if (ev.type == BC_AT_EV_RESPONSE && ev.result == BC_AT_RESULT_OK) {
          lines = (long)ev.n_lines;
          if (ev.n_lines) snprintf(first, cap, "%s", bc_at_event_line(&ev, 0));
        }
      }
    }
  }
  bc_at_free(at);
  return lines;
}

static void test_with_engine(void) {
  int urcs;
  char first[128];
  CHECK_EQ_INT(engine_run("AT+NQMGR", "\r\nBUFFERED=0,RECEIVED=34,DROPPED=2\r\n\r\nOK\r\n", &urcs,
                          first, sizeof first), 1);
  CHECK_EQ_STR(first, "BUFFERED=0,RECEIVED=34,DROPPED=2");
  CHECK_EQ_INT(engine_run("AT+NNMI?", "\r\n+NNMI: 4,AAAA0000\r\n\r\n+NNMI: 1\r\n\r\nOK\r\n", &urcs,
                          first, sizeof first), 1);
  CHECK_EQ_STR(first, "+NNMI: 1");
  CHECK_EQ_INT(urcs, 1);
  CHECK_EQ_INT(engine_run("AT+CSCON?", "\r\n+CSCON: 1\r\n\r\n+CSCON:0,1\r\n\r\nOK\r\n", &urcs,
                          first, sizeof first), 1);
  CHECK_EQ_STR(first, "+CSCON:0,1");
  CHECK_EQ_INT(urcs, 1);
  CHECK_EQ_INT(engine_run("ATI", "\r\nQuectel_Ltd\r\nQuectel_BC260Y-CN\r\nRevision: BC260YCNAAR02A02"
                          "\r\n\r\nOK\r\n", &urcs, first, sizeof first), 3);
  CHECK_EQ_INT(engine_run("AT+NMGR", "\r\n+NNMI\r\n\r\n+NMGR: 5,00454C4C4F\r\n\r\nOK\r\n", &urcs,
                          first, sizeof first), 1);
  CHECK_EQ_INT(urcs, 1);
  CHECK_EQ_INT(engine_run("AT+QLWULDATASTATUS?", "\r\n+QLWEVTIND: 4\r\n+QLWULDATASTATUS: 4\r\n"
                          "\r\nOK\r\n", &urcs, first, sizeof first), 1);
  CHECK_EQ_INT(urcs, 1);
}

/* Every kind has the one name the Lua binding shows (no second list to forget). */
static void test_kind_names(void) {
  CHECK(bc_kind_name(BC_NONE) == NULL);
  CHECK(bc_kind_name((bc_kind)(BC_ATI_REVISION + 1)) == NULL);
  for (int k = BC_QLWEVTIND; k <= BC_ATI_REVISION; k++) CHECK(bc_kind_name((bc_kind)k) != NULL);
  CHECK_EQ_STR(bc_kind_name(BC_NNMI_DATA), "nnmi_data");
  CHECK_EQ_INT(dec("+CSCON: 0,1"), BC_CSCON_ANSWER);
  CHECK_EQ_STR(bc_kind_name(BC_CSCON_ANSWER), "cscon_answer");
}

int main(void) {
  test_kind_names();
  test_malformed();
  test_open_values();
  test_variants();
  test_qlwevtind();
  test_nnmi();
  test_nmgr();
  test_fota();
  test_states();
  test_network();
  test_boot_and_ati();
  test_urc_table();
  test_urc_rows_in_table();
  test_engine_and_decoder_agree();
  test_expect_for();
  test_with_engine();
  return CHECK_DONE();
}
