/* test_bc260y_build.c: the command builders produce exactly the documented command and
 * refuse, with a message, every input that could inject a second command or corrupt
 * this one; boundaries of every range. */
#include <stdint.h>
#include <stdlib.h>

#include "bc260y.h"
#include "check.h"

static char buf[4096];
static const char *err;

/* A refusal: -1, a message, and no command text left in buf. */
#define REFUSED(call)                   \
  do {                                  \
    err = NULL;                         \
    strcpy(buf, "stale");               \
    CHECK_EQ_INT((call), -1);           \
    CHECK(err != NULL && err[0] != '\0'); \
    CHECK(strstr(buf, "AT+") == NULL);  \
  } while (0)

static void test_ncdpopen(void) {
  int n = bc_build_ncdpopen(buf, sizeof buf, "180.101.147.115", 5683, NULL, &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"180.101.147.115\",5683");
  CHECK_EQ_INT(n, (int)strlen(buf));
  CHECK(err == NULL);
  /* port 0 = the module's default: omitted; with a psk it must be written: 5683 */
  bc_build_ncdpopen(buf, sizeof buf, "221.229.214.202", 0, NULL, &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"221.229.214.202\"");
  bc_build_ncdpopen(buf, sizeof buf, "221.229.214.202", 0, "0102", &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"221.229.214.202\",5683,\"0102\"");
  bc_build_ncdpopen(buf, sizeof buf, "iot.example.com", 65535, NULL, &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"iot.example.com\",65535");
  bc_build_ncdpopen(buf, sizeof buf, "240e::1", 5684, "00ff", &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"240e::1\",5684,\"00ff\"");
  bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", 1, "ABCDEF0123456789", &err);
  CHECK_EQ_STR(buf, "AT+NCDPOPEN=\"1.2.3.4\",1,\"ABCDEF0123456789\"");

  /* injection attempts and bad hosts */
  const char *bad_hosts[] = {"1.2.3.4\r\nAT+QRST=1", "1.2.3.4\rAT+QRST=1", "1.2.3.4\nX",
                             "1.2.3.4\",5683;+QRST=1", "a\"b", "1.2.3.4;AT+QRST=1",
                             "1.2.3.4,80", "1.2.3.4 ", " 1.2.3.4", "a\tb", "a\x7f",
                             "a\x1a", "a\x1b", "\xe4\xb8\xad.cn", ""};
  for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++)
    REFUSED(bc_build_ncdpopen(buf, sizeof buf, bad_hosts[i], 5683, NULL, &err));
  REFUSED(bc_build_ncdpopen(buf, sizeof buf, NULL, 5683, NULL, &err));
  err = NULL;
  bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4\r\nAT+QRST=1", 5683, NULL, &err);
  CHECK_EQ_STR(err, "host contains CR or LF");
  bc_build_ncdpopen(buf, sizeof buf, "a;b", 5683, NULL, &err);
  CHECK_EQ_STR(err, "host contains a semicolon");
  bc_build_ncdpopen(buf, sizeof buf, "a\"b", 5683, NULL, &err);
  CHECK_EQ_STR(err, "host contains a quote");
  /* host length 253 is fine, 254 is not */
  char host[300];
  memset(host, 'a', 253);
  host[253] = '\0';
  CHECK(bc_build_ncdpopen(buf, sizeof buf, host, 5683, NULL, &err) > 0);
  host[253] = 'a';
  host[254] = '\0';
  REFUSED(bc_build_ncdpopen(buf, sizeof buf, host, 5683, NULL, &err));
  /* ports */
  REFUSED(bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", 65536, NULL, &err));
  CHECK_EQ_STR(err, "port out of range 0..65535");
  REFUSED(bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", -1, NULL, &err));
  /* psk: even hex, 1..256 bytes */
  const char *bad_psk[] = {"", "0", "abc", "0g", "00\"", "00\r\n", "00,00", "00;0", "0 "};
  for (size_t i = 0; i < sizeof bad_psk / sizeof bad_psk[0]; i++)
    REFUSED(bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", 5684, bad_psk[i], &err));
  char psk[600];
  memset(psk, 'A', 512);
  psk[512] = '\0';
  CHECK(bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", 5684, psk, &err) > 0);
  CHECK_EQ_INT(strlen(buf), strlen("AT+NCDPOPEN=\"1.2.3.4\",5684,\"\"") + 512);
  psk[512] = 'A';
  psk[513] = 'A';
  psk[514] = '\0';
  REFUSED(bc_build_ncdpopen(buf, sizeof buf, "1.2.3.4", 5684, psk, &err));
  CHECK_EQ_STR(err, "psk longer than 256 bytes");
  /* a buffer too small gives an error, not a truncated command */
  char small[20];
  err = NULL;
  CHECK_EQ_INT(bc_build_ncdpopen(small, sizeof small, "180.101.147.115", 5683, NULL, &err), -1);
  CHECK_EQ_STR(err, "output buffer too small");
  CHECK_EQ_STR(small, "");
}

static void test_nmgs(void) {
  const uint8_t hello[] = {0x00, 0x45, 0x4c, 0x4c, 0x4f};
  int n = bc_build_nmgs(buf, sizeof buf, hello, 5, 0, &err);
  CHECK_EQ_STR(buf, "AT+NMGS=5,00454C4C4F,0");
  CHECK_EQ_INT(n, (int)strlen(buf));
  const int types[] = {0, 1, 2, 100, 101, 102};
  for (int i = 0; i < 6; i++) {
    char want[64];
    snprintf(want, sizeof want, "AT+NMGS=1,FF,%d", types[i]);
    const uint8_t ff = 0xff;
    CHECK(bc_build_nmgs(buf, sizeof buf, &ff, 1, types[i], &err) > 0);
    CHECK_EQ_STR(buf, want);
  }
  const int bad_types[] = {-1, 3, 99, 103, 200, 1000};
  for (int i = 0; i < 6; i++) {
    REFUSED(bc_build_nmgs(buf, sizeof buf, hello, 5, bad_types[i], &err));
    CHECK_EQ_STR(err, "type must be 0, 1, 2, 100, 101 or 102");
  }
  /* raw bytes that look like an injection are just hex on the line */
  const char *evil = "\r\nAT+QRST=1;\"";
  CHECK(bc_build_nmgs(buf, sizeof buf, (const uint8_t *)evil, strlen(evil), 100, &err) > 0);
  CHECK(strchr(buf, '\r') == NULL && strchr(buf, ';') == NULL && strchr(buf, '"') == NULL);
  CHECK_EQ_STR(buf, "AT+NMGS=13,0D0A41542B515253543D313B22,100");
  /* 1024 bytes fine, 1025 refused, 0 refused */
  uint8_t *data = calloc(1025, 1);
  n = bc_build_nmgs(buf, sizeof buf, data, 1024, 1, &err);
  CHECK_EQ_INT(n, (int)strlen("AT+NMGS=1024,,1") + 2048);
  CHECK(strncmp(buf, "AT+NMGS=1024,0000", 17) == 0);
  REFUSED(bc_build_nmgs(buf, sizeof buf, data, 1025, 1, &err));
  CHECK_EQ_STR(err, "data longer than 1024 bytes");
  REFUSED(bc_build_nmgs(buf, sizeof buf, data, 0, 1, &err));
  CHECK_EQ_STR(err, "data is empty");
  /* too small at every stage: never a truncated command */
  for (size_t cap = 1; cap < strlen("AT+NMGS=1024,,1") + 2048 + 1; cap += 97) {
    err = NULL;
    CHECK_EQ_INT(bc_build_nmgs(buf, cap, data, 1024, 1, &err), -1);
    CHECK_EQ_STR(err, "output buffer too small");
  }
  CHECK(bc_build_nmgs(buf, strlen("AT+NMGS=1024,,1") + 2048 + 1, data, 1024, 1, &err) > 0);
  free(data);
}

static void test_small(void) {
  CHECK(bc_build_ncfg_lifetime(buf, sizeof buf, 86400, &err) > 0);
  CHECK_EQ_STR(buf, "AT+NCFG=0,86400");
  CHECK(bc_build_ncfg_lifetime(buf, sizeof buf, 0, &err) > 0);
  CHECK_EQ_STR(buf, "AT+NCFG=0,0");
  CHECK(bc_build_ncfg_lifetime(buf, sizeof buf, 2592000, &err) > 0);
  CHECK_EQ_STR(buf, "AT+NCFG=0,2592000");
  REFUSED(bc_build_ncfg_lifetime(buf, sizeof buf, 2592001, &err));
  CHECK_EQ_STR(err, "lifetime out of range 0..2592000");
  REFUSED(bc_build_ncfg_lifetime(buf, sizeof buf, -1, &err));
  for (int m = 0; m <= 2; m++) {
    char want[32];
    snprintf(want, sizeof want, "AT+NNMI=%d", m);
    CHECK(bc_build_nnmi(buf, sizeof buf, m, &err) > 0);
    CHECK_EQ_STR(buf, want);
    snprintf(want, sizeof want, "AT+QSCLK=%d", m);
    CHECK(bc_build_qsclk(buf, sizeof buf, m, &err) > 0);
    CHECK_EQ_STR(buf, want);
  }
  REFUSED(bc_build_nnmi(buf, sizeof buf, 3, &err));
  CHECK_EQ_STR(err, "mode out of range 0..2");
  REFUSED(bc_build_nnmi(buf, sizeof buf, -1, &err));
  REFUSED(bc_build_qsclk(buf, sizeof buf, 3, &err));
  REFUSED(bc_build_qsclk(buf, sizeof buf, -1, &err));
  /* err may be NULL */
  CHECK_EQ_INT(bc_build_qsclk(buf, sizeof buf, 9, NULL), -1);
  CHECK_EQ_INT(bc_build_qsclk(NULL, 0, 1, &err), -1);
}

int main(void) {
  test_ncdpopen();
  test_nmgs();
  test_small();
  return CHECK_DONE();
}
