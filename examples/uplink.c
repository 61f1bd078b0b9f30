/* uplink.c: the core from C, with no Lua: open a port, sync with the module, register
 * with CTWing AEP, send one CON uplink (RAI 2), wait for its delivery, deregister. Every AT line
 * goes through the engine (at.h), every command is built and every answer decoded by
 * bc260y.h, the port comes from port.h.
 *
 *   cc uplink.c $(pkg-config --cflags --libs bc260y) -o uplink
 *   bc260y sim --speed 20 &          # prints the pty of a virtual module: /dev/pts/N
 *   ./uplink /dev/pts/N              # or /dev/ttyUSB0 [HOST [PORT]]
 *
 * Exit status 0 when the platform acknowledged the uplink.
 */
#define _POSIX_C_SOURCE 200809L
#include <bc260y/bc260y.h>
#include <bc260y/port.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct device {
  bc_port *port;
  bc_at_engine *at;
  int last_event; /* the latest +QLWEVTIND value, -2 before any */
} device;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One answer kept from the running command: its result and its first answer line. */
typedef struct answer {
  int done;
  bc_at_result result;
  int code;
  char line[256];
} answer;

/* Pops every waiting event: URCs update the device, the response fills *ans. */
static void handle_events(device *d, answer *ans) {
  bc_at_event ev;
  while (bc_at_next_event(d->at, &ev)) {
    bc_decoded dec;
    if (ev.type == BC_AT_EV_URC) {
      if (bc_decode(ev.text, ev.len, &dec) == BC_QLWEVTIND) {
        d->last_event = (int)dec.value;
        printf("   <- %s\n", ev.text);
      }
    } else if (ev.type == BC_AT_EV_RESPONSE && ans) {
      ans->done = 1;
      ans->result = ev.result;
      ans->code = ev.code;
      ans->line[0] = '\0';
      if (ev.n_lines > 0)
        snprintf(ans->line, sizeof ans->line, "%s", bc_at_event_line(&ev, 0));
    }
  }
}

/* Moves bytes both ways for at most wait_ms (less when the engine has a deadline).
 * Returns -1 when the port failed. */
static int pump(device *d, answer *ans, int wait_ms) {
  size_t out_len;
  const uint8_t *out = bc_at_output(d->at, &out_len);
  if (out_len > 0) {
    long n = bc_port_write(d->port, out, out_len, NULL);
    if (n < 0) return -1;
    bc_at_output_consumed(d->at, (size_t)n, now_ms());
  }
  uint64_t now = now_ms(), deadline = bc_at_next_deadline(d->at);
  if (deadline != UINT64_MAX && deadline < now + (uint64_t)wait_ms)
    wait_ms = deadline > now ? (int)(deadline - now) : 0;
  bc_at_output(d->at, &out_len);
  struct pollfd pfd = {bc_port_fd(d->port), (short)(POLLIN | (out_len ? POLLOUT : 0)), 0};
  if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
    uint8_t buf[512];
    char err[BC_PORT_ERR_MAX];
    long n = bc_port_read(d->port, buf, sizeof buf, err);
    if (n < 0) {
      fprintf(stderr, "read: %s\n", err);
      return -1;
    }
    size_t fed = 0;
    while (fed < (size_t)n) { /* the engine takes fewer bytes only while events wait */
      fed += bc_at_feed(d->at, buf + fed, (size_t)n - fed, now_ms());
      handle_events(d, ans);
    }
  }
  bc_at_tick(d->at, now_ms());
  handle_events(d, ans);
  return 0;
}

/* Runs one command to its final result; the answer's first line lands in ans->line. */
static int command(device *d, const char *text, answer *ans) {
  bc_expect expect;
  bc_expect_for(text, strlen(text), &expect);
  bc_at_cmd cmd = {0};
  cmd.text = text;
  cmd.len = strlen(text);
  cmd.expect = expect.match;
  cmd.n_expect = expect.n;
  cmd.flags = expect.flags;
  if (bc_at_submit(d->at, &cmd) != 0) {
    fprintf(stderr, "%s: %s\n", text, bc_at_error(d->at));
    return -1;
  }
  printf("-> %s\n", text);
  memset(ans, 0, sizeof *ans);
  while (!ans->done)
    if (pump(d, ans, 1000) != 0) return -1;
  if (ans->result == BC_AT_RESULT_CME) {
    const bc_error_info *e = bc_error_lookup(ans->code);
    printf("   +CME ERROR: %d (%s)\n", ans->code, e ? e->en : "unknown");
  }
  return ans->result == BC_AT_RESULT_OK ? 0 : -1;
}

/* Waits up to seconds for +QLWEVTIND: want (or fail, when not -2). */
static int wait_event(device *d, int want, int fail, int seconds) {
  uint64_t end = now_ms() + (uint64_t)seconds * 1000u;
  d->last_event = -2;
  while (now_ms() < end) {
    if (pump(d, NULL, 200) != 0) return -1;
    if (d->last_event == want) return 0;
    if (fail != -2 && d->last_event == fail) return -1;
  }
  return -1;
}

static int run(device *d, const char *host, long platform_port) {
  answer ans;
  char cmd[2 * BC_MAX_PAYLOAD + 64];
  const char *err;
  int synced = 0;
  for (int i = 0; i < 5 && !synced; i++) /* the first AT may meet the boot banner */
    synced = command(d, "AT", &ans) == 0;
  if (!synced || command(d, "ATE0", &ans) != 0 || command(d, "AT+CMEE=1", &ans) != 0) return 1;

  /* Registration needs the network: wait for an IP address. */
  int attached = 0;
  for (int i = 0; i < 30 && !attached; i++) {
    bc_decoded dec;
    if (command(d, "AT+CGPADDR?", &ans) == 0 &&
        bc_decode(ans.line, strlen(ans.line), &dec) == BC_CGPADDR && dec.text_len > 0) {
      printf("   IP %.*s\n", (int)dec.text_len, dec.text);
      attached = 1;
    } else {
      pump(d, NULL, 500);
    }
  }
  if (!attached) return fprintf(stderr, "no IP address: not attached\n"), 1;

  if (bc_build_ncdpopen(cmd, sizeof cmd, host, platform_port, NULL, &err) < 0)
    return fprintf(stderr, "AT+NCDPOPEN: %s\n", err), 1;
  if (command(d, cmd, &ans) != 0) return 1;
  if (wait_event(d, 3, 1, 60) != 0) /* 3: observed, the platform is ready for data */
    return fprintf(stderr, "registration failed\n"), 1;

  /* CON, because this example's job is the delivery status; RAI 2 (type 102), because the
   * network then releases the radio right after the acknowledgement instead of after its
   * inactivity timer: about a third of CON RAI 0's average current (docs/battery.md). */
  static const uint8_t reading[] = {0x01, 0x05, 'H', 'E', 'L', 'L', 'O'};
  if (bc_build_nmgs(cmd, sizeof cmd, reading, sizeof reading, 102 /* CON, RAI 2 */, &err) < 0)
    return fprintf(stderr, "AT+NMGS: %s\n", err), 1;
  if (command(d, cmd, &ans) != 0) return 1;
  if (wait_event(d, 4, 5, 60) != 0) /* 4: the CON was acknowledged, 5: it was not */
    return fprintf(stderr, "the uplink was not acknowledged\n"), 1;
  printf("uplink delivered\n");

  if (command(d, "AT+NCDPCLOSE", &ans) != 0) return 1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s PORT [HOST [PORT]]\n", argv[0]);
    return 2;
  }
  const char *host = argc > 2 ? argv[2] : "221.229.214.202";
  long platform_port = argc > 3 ? strtol(argv[3], NULL, 10) : 5683;

  char err[BC_PORT_ERR_MAX];
  device d = {0};
  d.last_event = -2;
  d.port = bc_port_open(argv[1], 9600, err);
  if (!d.port) return fprintf(stderr, "%s\n", err), 1;
  bc_at_config cfg;
  bc_at_config_defaults(&cfg);
  bc_engine_config(&cfg);
  d.at = bc_at_new(&cfg);
  if (!d.at) return bc_port_close(d.port), fprintf(stderr, "out of memory\n"), 1;

  int status = run(&d, host, platform_port);
  bc_at_free(d.at);
  bc_port_close(d.port);
  return status;
}
