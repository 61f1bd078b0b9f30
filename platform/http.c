/* http.c: the web page and the JSON API (see http.h), on libmicrohttpd in its
 * "external epoll" mode: main.c's loop waits on http_fd() beside the CoAP side, so both
 * run in one thread and share the store without locks. */
#include "http.h"
#include "json.h"
#include "payload.h"
#include "store.h"
#include "web_files.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY 8192        /* a POST body: {"hex": "..."} of the largest downlink */
#define MAX_DOWNLINK 2560    /* bytes: the module's receive buffer (docs/design.md, bc260y.sim.platform) */

struct http {
  struct MHD_Daemon *daemon;
  struct store *store;
  const struct payload *payload;
  int port;
};

/* A request's body as it arrives (POST), kept in the connection's context. */
struct upload {
  struct buf body;
  int too_large;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const void *data, size_t len) {
  struct MHD_Response *r =
    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, struct buf *b) {
  if (b->failed) {
    buf_free(b);
    return MHD_NO;
  }
  enum MHD_Result ret = send_text(c, status, "application/json", b->p ? b->p : "", b->len);
  buf_free(b);
  return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg) {
  struct buf b = {0};
  buf_puts(&b, "{\"error\":");
  buf_json_string(&b, msg);
  buf_puts(&b, "}");
  return send_json(c, status, &b);
}

static const char *content_type(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
  if (dot && strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
  if (dot && strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
  if (dot && strcmp(dot, ".svg") == 0) return "image/svg+xml";
  return "application/octet-stream";
}

static enum MHD_Result serve_file(struct MHD_Connection *c, const char *url) {
  if (strcmp(url, "/") == 0) url = "/index.html";
  for (size_t i = 0; i < web_files_count; i++)
    if (strcmp(web_files[i].path, url) == 0)
      return send_text(c, MHD_HTTP_OK, content_type(url), web_files[i].data, web_files[i].len);
  return send_error(c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* ---- the API's answers */

static void device_json(struct buf *b, const struct device *d) {
  buf_puts(b, "{\"imei\":");
  buf_json_string(b, d->ep);
  buf_printf(b, ",\"id\":%d,\"state\":\"%s\",\"last_seen\":%.3f,\"registered_at\":%.3f,"
                "\"lifetime\":%ld,\"uplinks\":%zu,\"downlinks\":%zu,\"links\":",
             d->id, store_state_name(d->state), d->last_seen, d->registered_at, d->lifetime,
             d->n_uplinks, d->n_downlinks);
  buf_json_string(b, d->links);
  buf_puts(b, "}");
}

static enum MHD_Result list_devices(struct http *h, struct MHD_Connection *c) {
  struct buf b = {0};
  buf_puts(&b, "[");
  for (size_t i = 0; i < h->store->n_devices; i++) {
    if (i) buf_puts(&b, ",");
    device_json(&b, h->store->devices[i]);
  }
  buf_puts(&b, "]");
  return send_json(c, MHD_HTTP_OK, &b);
}

static enum MHD_Result list_uplinks(struct http *h, struct MHD_Connection *c, struct device *d) {
  struct buf b = {0};
  buf_puts(&b, "[");
  for (size_t i = 0; i < d->n_uplinks; i++) {
    const struct uplink *u = &d->uplinks[i];
    buf_printf(&b, "%s{\"time\":%.3f,\"type\":\"%s\",\"hex\":\"", i ? "," : "", u->time,
               u->con ? "CON" : "NON");
    buf_hex(&b, u->data, u->len);
    buf_puts(&b, "\"");
    if (h->payload) {
      buf_puts(&b, ",\"decoded\":");
      payload_decode(h->payload, u->data, u->len, &b);
    }
    buf_puts(&b, "}");
  }
  buf_puts(&b, "]");
  return send_json(c, MHD_HTTP_OK, &b);
}

static const char *downlink_state_name(enum downlink_state st) {
  switch (st) {
  case DL_QUEUED: return "queued";
  case DL_SENT: return "sent";
  case DL_DELIVERED: return "delivered";
  case DL_FAILED: return "failed";
  }
  return "?";
}

static void downlink_json(struct buf *b, const struct downlink *w) {
  buf_printf(b, "{\"time\":%.3f,\"state\":\"%s\",\"done_time\":%.3f,\"hex\":\"", w->time,
             downlink_state_name(w->state), w->done_time);
  buf_hex(b, w->data, w->len);
  buf_puts(b, "\"}");
}

static enum MHD_Result list_downlinks(struct MHD_Connection *c, struct device *d) {
  struct buf b = {0};
  buf_puts(&b, "[");
  for (size_t i = 0; i < d->n_downlinks; i++) {
    if (i) buf_puts(&b, ",");
    downlink_json(&b, &d->downlinks[i]);
  }
  buf_puts(&b, "]");
  return send_json(c, MHD_HTTP_OK, &b);
}

static enum MHD_Result list_events(struct MHD_Connection *c, struct device *d) {
  struct buf b = {0};
  buf_puts(&b, "[");
  for (size_t i = 0; i < d->n_events; i++) {
    const struct event *e = &d->events[i];
    buf_printf(&b, "%s{\"time\":%.3f,\"what\":", i ? "," : "", e->time);
    buf_json_string(&b, e->what);
    buf_puts(&b, ",\"detail\":");
    buf_json_string(&b, e->detail);
    buf_puts(&b, "}");
  }
  buf_puts(&b, "]");
  return send_json(c, MHD_HTTP_OK, &b);
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static enum MHD_Result post_downlink(struct MHD_Connection *c, struct device *d,
                                     struct upload *up) {
  if (up->too_large) return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 8 KB");
  /* application/json only: a page of another site can POST text/plain or a form to
   * 127.0.0.1 without the browser asking first (a "simple" request); JSON needs a
   * preflight, which this server never grants. */
  const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  size_t json_len = strlen("application/json");
  if (!type || strncasecmp(type, "application/json", json_len) != 0 ||
      (type[json_len] != '\0' && type[json_len] != ';' && type[json_len] != ' '))
    return send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
  char hex[2 * MAX_DOWNLINK + 2];
  const char *why = NULL;
  int r = json_string_member(up->body.p ? up->body.p : "", up->body.len, "hex", hex, sizeof hex,
                             &why);
  if (r == -2) return send_error(c, MHD_HTTP_BAD_REQUEST, "a downlink is at most 2560 bytes");
  if (r) {
    char msg[96];
    snprintf(msg, sizeof msg, "expected {\"hex\": \"...\"}: %s", why);
    return send_error(c, MHD_HTTP_BAD_REQUEST, msg);
  }
  size_t n = strlen(hex);
  if (n == 0 || n % 2) return send_error(c, MHD_HTTP_BAD_REQUEST, "hex must be an even number of hex digits, at least 2");
  if (n > 2 * MAX_DOWNLINK) return send_error(c, MHD_HTTP_BAD_REQUEST, "a downlink is at most 2560 bytes");
  uint8_t bytes[MAX_DOWNLINK];
  for (size_t i = 0; i < n; i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return send_error(c, MHD_HTTP_BAD_REQUEST, "hex must hold only the digits 0-9 and A-F");
    bytes[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  if (d->state != DEV_REGISTERED && d->state != DEV_OBSERVED)
    return send_error(c, MHD_HTTP_CONFLICT, "the device is not registered");
  struct downlink *w = device_add_downlink(d, bytes, n / 2);
  if (!w) return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
  device_event(d, "queued", "");
  struct buf b = {0};
  downlink_json(&b, w);
  return send_json(c, MHD_HTTP_ACCEPTED, &b);
}

static enum MHD_Result api(struct http *h, struct MHD_Connection *c, const char *url,
                           int is_get, struct upload *up) {
  if (strcmp(url, "/api/devices") == 0) {
    if (!is_get) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    return list_devices(h, c);
  }
  if (strncmp(url, "/api/devices/", strlen("/api/devices/")) != 0)
    return send_error(c, MHD_HTTP_NOT_FOUND, "no such API");
  const char *rest = url + strlen("/api/devices/");
  const char *slash = strchr(rest, '/');
  char ep[STORE_MAX_EP + 1];
  size_t eplen = slash ? (size_t)(slash - rest) : strlen(rest);
  if (eplen == 0 || eplen > STORE_MAX_EP) return send_error(c, MHD_HTTP_NOT_FOUND, "no such device");
  memcpy(ep, rest, eplen);
  ep[eplen] = '\0';
  struct device *d = store_find(h->store, ep);
  if (!d) return send_error(c, MHD_HTTP_NOT_FOUND, "no such device");
  const char *what = slash ? slash + 1 : "";
  if (strcmp(what, "") == 0 && is_get) {
    struct buf b = {0};
    device_json(&b, d);
    return send_json(c, MHD_HTTP_OK, &b);
  }
  if (strcmp(what, "uplinks") == 0 && is_get) return list_uplinks(h, c, d);
  if (strcmp(what, "events") == 0 && is_get) return list_events(c, d);
  if (strcmp(what, "downlinks") == 0) {
    if (is_get) return list_downlinks(c, d);
    if (up) return post_downlink(c, d, up);
  }
  if (strcmp(what, "") == 0 || strcmp(what, "uplinks") == 0 || strcmp(what, "events") == 0 ||
      strcmp(what, "downlinks") == 0)
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here");
  return send_error(c, MHD_HTTP_NOT_FOUND, "no such API");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
  struct http *h = cls;
  (void)version;
  int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
  if (is_post) {
    struct upload *up = *con_cls;
    if (!up) { /* the first call: headers only */
      up = calloc(1, sizeof *up);
      if (!up) return MHD_NO;
      *con_cls = up;
      return MHD_YES;
    }
    if (*upload_data_size) {
      if (up->body.len + *upload_data_size > MAX_BODY) up->too_large = 1;
      else buf_add(&up->body, upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (strncmp(url, "/api/", 5) == 0) return api(h, c, url, 0, up);
    return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here");
  }
  if (!is_get) return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here");
  if (strncmp(url, "/api/", 5) == 0) return api(h, c, url, 1, NULL);
  return serve_file(c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  struct upload *up = *con_cls;
  (void)cls; (void)c; (void)toe;
  if (up) {
    buf_free(&up->body);
    free(up);
    *con_cls = NULL;
  }
}

struct http *http_new(struct store *store, const struct payload *payload, const char *bind_addr,
                      int port, char *err, size_t errsz) {
  struct http *h = calloc(1, sizeof *h);
  if (!h) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  h->store = store;
  h->payload = payload;
  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  int rc = getaddrinfo(bind_addr, service, &hints, &ai);
  if (rc) {
    snprintf(err, errsz, "bind address %s: %s", bind_addr, gai_strerror(rc));
    free(h);
    return NULL;
  }
  unsigned flags = MHD_USE_EPOLL | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
  h->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
                               MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                               MHD_OPTION_END);
  freeaddrinfo(ai);
  if (!h->daemon) {
    snprintf(err, errsz, "cannot listen on TCP %s port %d", bind_addr, port);
    free(h);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
  h->port = info ? info->port : port;
  return h;
}

void http_free(struct http *h) {
  if (!h) return;
  MHD_stop_daemon(h->daemon);
  free(h);
}

int http_port(const struct http *h) { return h->port; }

int http_fd(const struct http *h) {
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
  return info ? info->epoll_fd : -1;
}

long http_timeout_ms(struct http *h) {
  MHD_UNSIGNED_LONG_LONG ms;
  if (MHD_get_timeout(h->daemon, &ms) != MHD_YES) return -1;
  return ms > 0x7fffffff ? 0x7fffffff : (long)ms;
}

void http_process(struct http *h) { MHD_run(h->daemon); }
