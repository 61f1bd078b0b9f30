/* main.c: `bc260y platform` (the program bc260y-platform), a virtual platform for a
 * class: an LwM2M server over CoAP that devices and virtual modules register with
 * (lwm2m.c), and a web page with a JSON API for the teacher (http.c), in one process
 * and one thread. It prints its two addresses, one a line, then serves until SIGINT or
 * SIGTERM. It listens on 127.0.0.1 unless --bind names another address. */
#include "http.h"
#include "lwm2m.h"
#include "payload.h"
#include "store.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const char USAGE[] =
  "usage: bc260y platform [--coap-port N] [--http-port M] [--bind ADDR] [--payload FILE]\n"
  "A virtual IoT platform for a class: an LwM2M server over CoAP (UDP) that modules\n"
  "register with (endpoint name = IMEI), and a web page with a JSON API (/api/devices)\n"
  "showing their registrations, uplinks and downlinks. Prints its two addresses, then\n"
  "serves until interrupted (Ctrl-C or SIGTERM).\n"
  "  --coap-port N   UDP port of the LwM2M server (default 5683; 0: any free port)\n"
  "  --http-port M   TCP port of the web page (default 8080; 0: any free port)\n"
  "  --bind ADDR     the address to listen on (default 127.0.0.1: this machine only)\n"
  "  --payload FILE  how the product lays out its uplinks, to show them decoded:\n"
  "                  one field a line, `name offset type [scale]` (docs/platform-server.md)\n";

static int parse_port(const char *s, int *port) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 65535) return -1;
  *port = (int)v;
  return 0;
}

static void print_url(const char *scheme, const char *addr, int port, const char *tail) {
  if (strchr(addr, ':')) printf("%s://[%s]:%d%s\n", scheme, addr, port, tail);
  else printf("%s://%s:%d%s\n", scheme, addr, port, tail);
}

static int serve(struct lwm2m *l, struct http *h, int sigfd) {
  for (;;) {
    long a = lwm2m_timeout_ms(l), b = http_timeout_ms(h);
    long timeout = a < 0 ? b : (b < 0 || a < b ? a : b);
    struct pollfd fds[3] = {
      {lwm2m_fd(l), POLLIN, 0}, {http_fd(h), POLLIN, 0}, {sigfd, POLLIN, 0}};
    int n = poll(fds, 3, timeout > 0x7fffffffL ? 0x7fffffff : (int)timeout);
    if (n < 0 && errno != EINTR) {
      perror("bc260y platform: poll");
      return 1;
    }
    if (n > 0 && fds[2].revents) return 0; /* SIGINT or SIGTERM */
    lwm2m_process(l);
    http_process(h);
  }
}

int main(int argc, char **argv) {
  int coap_port = 5683, web_port = 8080;
  const char *bind_addr = "127.0.0.1", *payload_path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (i + 1 >= argc || (strcmp(a, "--coap-port") && strcmp(a, "--http-port") &&
                          strcmp(a, "--bind") && strcmp(a, "--payload"))) {
      fprintf(stderr, "bc260y platform: unknown option or missing value: %s (see --help)\n", a);
      return 2;
    }
    const char *v = argv[++i];
    if ((strcmp(a, "--coap-port") == 0 && parse_port(v, &coap_port)) ||
        (strcmp(a, "--http-port") == 0 && parse_port(v, &web_port))) {
      fprintf(stderr, "bc260y platform: %s takes a port number 0..65535, not %s\n", a, v);
      return 2;
    }
    if (strcmp(a, "--bind") == 0) bind_addr = v;
    if (strcmp(a, "--payload") == 0) payload_path = v;
  }

  static struct payload payload;
  char err[160];
  if (payload_path && payload_load(&payload, payload_path, err, sizeof err)) {
    fprintf(stderr, "bc260y platform: --payload %s: %s\n", payload_path, err);
    return 2;
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN); /* a browser that goes away mid-answer */
  int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);

  static struct store store;
  store_init(&store);
  struct lwm2m *l = lwm2m_new(&store, bind_addr, coap_port, err, sizeof err);
  if (!l) {
    fprintf(stderr, "bc260y platform: %s\n", err);
    return 1;
  }
  struct http *h = http_new(&store, payload_path ? &payload : NULL, bind_addr, web_port, err,
                            sizeof err);
  if (!h) {
    fprintf(stderr, "bc260y platform: %s\n", err);
    lwm2m_free(l);
    return 1;
  }
  print_url("coap", bind_addr, lwm2m_port(l), "");
  print_url("http", bind_addr, http_port(h), "/");
  fflush(stdout);

  int status = sigfd < 0 ? 1 : serve(l, h, sigfd);
  http_free(h);
  lwm2m_free(l);
  store_free(&store);
  if (sigfd >= 0) close(sigfd);
  return status;
}
