/* http.h: the teacher's side of `bc260y platform`, on libmicrohttpd: the web page
 * (platform/web/, built into the program) and the JSON API under /api/ that it reads:
 *   GET  /api/devices                       [{imei, state, last_seen, lifetime, ...}]
 *   GET  /api/devices/<imei>/uplinks        [{time, type: CON|NON, hex, decoded?}]
 *   GET  /api/devices/<imei>/downlinks      [{time, hex, state, done_time}]
 *   POST /api/devices/<imei>/downlinks      {"hex": "..."}: a write to 19/1/0
 *   GET  /api/devices/<imei>/events         the session's timeline [{time, what, detail}] */
#ifndef BC260Y_PLATFORM_HTTP_H
#define BC260Y_PLATFORM_HTTP_H

#include <stddef.h>

struct store;
struct payload;
struct http;

struct http *http_new(struct store *store, const struct payload *payload, const char *bind_addr,
                      int port, char *err, size_t errsz);
void http_free(struct http *h);
int http_port(const struct http *h);
int http_fd(const struct http *h);
/* Milliseconds until http_process must run anyway; -1: nothing due. */
long http_timeout_ms(struct http *h);
void http_process(struct http *h);

#endif
