// test_cplusplus.cpp: a C++ program includes every installed header (<bc260y/...>, the
// extern "C" guards) and links against libbc260y.so: it decodes a downlink line, builds an
// uplink command, and runs one command through the engine (written, answered, popped).
// A C++ compiler mangles names declared without the guards, so a missing guard fails the link.
#include <bc260y/at.h>
#include <bc260y/at_exchange.h>
#include <bc260y/bc260y.h>
#include <bc260y/bc260y_lines.h>
#include <bc260y/port.h>

#include <cstdio>
#include <cstring>
#include <string>

static int failures = 0;
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);               \
      failures++;                                                                   \
    }                                                                               \
  } while (0)

int main() {
  const std::string line = "+NNMI: 2,aabb";
  bc_decoded d{};
  CHECK(bc_decode(line.data(), line.size(), &d) == BC_NNMI_DATA);
  CHECK(d.value == 2 && std::string(d.text, d.text_len) == "aabb");
  CHECK(std::string(bc_kind_name(d.kind)) == "nnmi_data");

  char cmd[64];
  const char *err = nullptr;
  const uint8_t data[] = {0x01, 0x02};
  CHECK(bc_build_nmgs(cmd, sizeof cmd, data, sizeof data, 0, &err) > 0);
  CHECK(std::string(cmd) == "AT+NMGS=2,0102,0");
  CHECK(bc_error_lookup(959) != nullptr);

  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg);
  bc_at_engine *at = bc_at_new(&cfg);
  CHECK(at != nullptr);
  if (!at) return 1;
  bc_at_cmd c{};
  c.text = "AT+CGSN=1";
  c.len = std::strlen(c.text);
  bc_expect shapes{};
  bc_expect_for(c.text, c.len, &shapes);
  c.expect = shapes.match;
  c.n_expect = shapes.n;
  c.flags = shapes.flags;
  c.tag = 7;
  CHECK(bc_at_submit(at, &c) == 0);
  size_t n = 0;
  const uint8_t *out = bc_at_output(at, &n);
  CHECK(std::string(reinterpret_cast<const char *>(out), n) == "AT+CGSN=1\r");
  bc_at_output_consumed(at, n, 0);
  const std::string answer = "\r\n+CGSN: 866971030000003\r\n\r\nOK\r\n";
  bc_at_feed(at, reinterpret_cast<const uint8_t *>(answer.data()), answer.size(), 1);
  bc_at_event ev{};
  bool answered = false;
  while (bc_at_next_event(at, &ev)) {
    if (ev.type != BC_AT_EV_RESPONSE) continue;
    answered = true;
    CHECK(ev.tag == 7 && ev.result == BC_AT_RESULT_OK && ev.n_lines == 1);
    const char *first = ev.n_lines ? bc_at_event_line(&ev, 0) : "";
    CHECK(std::string(first) == "+CGSN: 866971030000003");
  }
  CHECK(answered);
  bc_at_free(at);

  char perr[BC_PORT_ERR_MAX];
  bc_port *p = bc_port_open("/nonexistent/bc260y-test", 9600, perr);
  CHECK(p == nullptr && std::strstr(perr, "/nonexistent/bc260y-test") != nullptr);

  if (failures) return 1;
  std::puts("C++ program: decoded, built, answered through libbc260y.so");
  return 0;
}
