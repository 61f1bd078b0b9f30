/* lwm2m.c: the LwM2M server on libcoap (see lwm2m.h). The CoAP messages are libcoap's:
 * this file only decides what the platform does with them, as the guide's platforms do
 * (docs/platform.md): a device registers with its IMEI as the endpoint name, the
 * platform then observes 19/0/0 (the module's +QLWEVTIND: 3), every notification is an
 * uplink (CON or NON as the module sent it: AT+NMGS's type), and a downlink is a write to
 * 19/1/0 (+NNMI on the module). A notification whose observation the platform does not
 * know (a registration ago) is answered with RST, which the module reports as
 * +QLWEVTIND: 10. */
#include "lwm2m.h"
#include "store.h"

#include <coap3/coap.h>
#include <ctype.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LwM2M's default lifetime when the registration names none (the module always does). */
#define DEFAULT_LIFETIME 86400

struct lwm2m {
  coap_context_t *ctx;
  struct store *store;
  int port;
};

static struct lwm2m *of_session(coap_session_t *session) {
  return coap_get_app_data(coap_session_get_context(session));
}

static void hold_session(struct device *d, coap_session_t *session) {
  if (d->session == session) return;
  if (session) coap_session_reference(session);
  if (d->session) coap_session_release(d->session);
  d->session = session;
}

/* ---- registration interface */

/* The value of `name=` in the query ("ep=...&lt=..."), NUL-terminated into out. */
static int query_value(const coap_string_t *query, const char *name, char *out, size_t outsz) {
  if (!query) return 0;
  size_t nlen = strlen(name);
  const char *q = (const char *)query->s, *end = q + query->length;
  while (q < end) {
    const char *amp = memchr(q, '&', (size_t)(end - q));
    const char *stop = amp ? amp : end;
    if ((size_t)(stop - q) > nlen && memcmp(q, name, nlen) == 0 && q[nlen] == '=') {
      size_t vlen = (size_t)(stop - q) - nlen - 1;
      if (vlen >= outsz) return -1;
      memcpy(out, q + nlen + 1, vlen);
      out[vlen] = '\0';
      return 1;
    }
    q = amp ? amp + 1 : end;
  }
  return 0;
}

static int valid_ep(const char *ep) {
  if (!*ep) return 0;
  for (; *ep; ep++)
    if (!isalnum((unsigned char)*ep) && !strchr("-_.:", *ep)) return 0;
  return 1;
}

/* lt=: 1..2^31-1 seconds; returns 0 when absent, -1 when malformed. */
static int query_lifetime(const coap_string_t *query, long *lt) {
  char v[16];
  int r = query_value(query, "lt", v, sizeof v);
  if (r <= 0) return r;
  char *end;
  long n = strtol(v, &end, 10);
  if (*end || end == v || n < 1 || n > 0x7fffffffL) return -1;
  *lt = n;
  return 1;
}

static void bad_request(coap_pdu_t *response, const char *why) {
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_BAD_REQUEST);
  coap_add_data(response, strlen(why), (const uint8_t *)why);
}

static void hnd_update(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query,
                       coap_pdu_t *response);
static void hnd_deregister(coap_resource_t *resource, coap_session_t *session,
                           const coap_pdu_t *request, const coap_string_t *query,
                           coap_pdu_t *response);

static void hnd_register(coap_resource_t *resource, coap_session_t *session,
                         const coap_pdu_t *request, const coap_string_t *query,
                         coap_pdu_t *response) {
  struct lwm2m *l = coap_resource_get_userdata(resource);
  char ep[STORE_MAX_EP + 1];
  long lt = DEFAULT_LIFETIME;
  if (query_value(query, "ep", ep, sizeof ep) != 1 || !valid_ep(ep)) {
    bad_request(response, "ep= must name the endpoint (letters, digits, - _ . :)");
    return;
  }
  if (query_lifetime(query, &lt) < 0) {
    bad_request(response, "lt= must be a lifetime of 1..2147483647 seconds");
    return;
  }
  size_t len = 0;
  const uint8_t *body = NULL;
  coap_get_data(request, &len, &body);
  if (len > STORE_MAX_LINKS) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);
    return;
  }
  /* Link format is printable ASCII: anything else (a NUL, a control byte, invalid UTF-8)
   * would reach the JSON API as it came. */
  for (size_t i = 0; i < len; i++)
    if (body[i] < 0x20 || body[i] > 0x7e) {
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_BAD_REQUEST);
      return;
    }
  struct device *d = store_get(l->store, ep);
  if (!d) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
    return;
  }
  if (!d->resource) {
    char path[24];
    int n = snprintf(path, sizeof path, "rd/%d", d->id);
    coap_str_const_t *uri = coap_new_str_const((const uint8_t *)path, (size_t)n);
    coap_resource_t *r = uri ? coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI) : NULL;
    if (!r) { /* (out of memory: a uri left over is not worth a double free on this path) */
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_INTERNAL_ERROR);
      return;
    }
    coap_register_request_handler(r, COAP_REQUEST_POST, hnd_update);
    coap_register_request_handler(r, COAP_REQUEST_DELETE, hnd_deregister);
    coap_resource_set_userdata(r, d);
    coap_add_resource(l->ctx, r);
    d->resource = r;
  }
  /* A new registration replaces the old one (a module that rebooted registers again
   * without deregistering): the old observation is forgotten. */
  int again = d->state == DEV_REGISTERED || d->state == DEV_OBSERVED;
  hold_session(d, session);
  d->state = DEV_REGISTERED;
  d->lifetime = lt;
  memcpy(d->links, body ? (const char *)body : "", len);
  d->links[len] = '\0';
  d->registered_at = d->last_seen = store_wall_now();
  d->last_update_mono = store_mono_now();
  d->observe_due = 1;
  d->obs_token_len = 0;
  char detail[48];
  snprintf(detail, sizeof detail, "%slifetime %ld s", again ? "again, " : "", lt);
  device_event(d, "register", detail);

  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
  char id[16];
  int n = snprintf(id, sizeof id, "%d", d->id);
  coap_add_option(response, COAP_OPTION_LOCATION_PATH, 2, (const uint8_t *)"rd");
  coap_add_option(response, COAP_OPTION_LOCATION_PATH, (size_t)n, (const uint8_t *)id);
}

static int in_session(const struct device *d) {
  return d->state == DEV_REGISTERED || d->state == DEV_OBSERVED;
}

static void hnd_update(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query,
                       coap_pdu_t *response) {
  struct device *d = coap_resource_get_userdata(resource);
  long lt = d->lifetime;
  (void)request;
  if (!in_session(d)) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  if (query_lifetime(query, &lt) < 0) {
    bad_request(response, "lt= must be a lifetime of 1..2147483647 seconds");
    return;
  }
  hold_session(d, session); /* the module's address may have changed (NAT) */
  d->lifetime = lt;
  d->last_seen = store_wall_now();
  d->last_update_mono = store_mono_now();
  char detail[48];
  snprintf(detail, sizeof detail, "lifetime %ld s", lt);
  device_event(d, "update", detail);
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

static void end_session(struct device *d, enum device_state st, const char *what) {
  d->state = st;
  d->observe_due = 0;
  d->obs_token_len = 0;
  hold_session(d, NULL);
  /* Downlinks never written are not kept for a later session: the teacher sees them fail. */
  for (size_t i = 0; i < d->n_downlinks; i++) {
    if (d->downlinks[i].state == DL_QUEUED || d->downlinks[i].state == DL_SENT) {
      d->downlinks[i].state = DL_FAILED;
      d->downlinks[i].done_time = store_wall_now();
    }
  }
  device_event(d, what, "");
}

static void hnd_deregister(coap_resource_t *resource, coap_session_t *session,
                           const coap_pdu_t *request, const coap_string_t *query,
                           coap_pdu_t *response) {
  struct device *d = coap_resource_get_userdata(resource);
  (void)session; (void)request; (void)query;
  if (!in_session(d)) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  d->last_seen = store_wall_now();
  end_session(d, DEV_DEREGISTERED, "deregister");
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_DELETED);
}

/* ---- what the platform sends: the observation of 19/0/0, writes to 19/1/0 */

static coap_pdu_t *request_to(struct device *d, coap_pdu_code_t code, uint8_t *token,
                              size_t *token_len) {
  coap_session_t *session = d->session;
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(session),
                                  coap_session_max_pdu_size(session));
  if (!pdu) return NULL;
  coap_session_new_token(session, token_len, token);
  coap_add_token(pdu, *token_len, token);
  return pdu;
}

static void add_path(coap_pdu_t *pdu, const char *a, const char *b, const char *c) {
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(a), (const uint8_t *)a);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(b), (const uint8_t *)b);
  coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(c), (const uint8_t *)c);
}

static void send_observe(struct device *d) {
  uint8_t token[STORE_MAX_TOKEN];
  size_t token_len = sizeof token;
  coap_pdu_t *pdu = request_to(d, COAP_REQUEST_CODE_GET, token, &token_len);
  if (!pdu) return;
  uint8_t obs[1] = {0}; /* COAP_OBSERVE_ESTABLISH: an empty option value */
  coap_add_option(pdu, COAP_OPTION_OBSERVE, 0, obs);
  add_path(pdu, "19", "0", "0");
  if (coap_send(d->session, pdu) == COAP_INVALID_MID) return;
  memcpy(d->obs_token, token, token_len);
  d->obs_token_len = token_len;
  d->observe_due = 0;
}

static void send_downlink(struct device *d, struct downlink *w) {
  size_t token_len = sizeof w->token;
  coap_pdu_t *pdu = request_to(d, COAP_REQUEST_CODE_PUT, w->token, &token_len);
  if (!pdu) return;
  add_path(pdu, "19", "1", "0");
  uint8_t fmt[2];
  coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(fmt, sizeof fmt, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM),
                  fmt);
  coap_add_data(pdu, w->len, w->data);
  if (coap_send(d->session, pdu) == COAP_INVALID_MID) return;
  w->token_len = token_len;
  w->state = DL_SENT;
  char detail[48];
  snprintf(detail, sizeof detail, "%zu bytes", w->len);
  device_event(d, "downlink", detail);
}

static int same_token(const uint8_t *a, size_t alen, coap_bin_const_t b) {
  return alen && alen == b.length && memcmp(a, b.s, alen) == 0;
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid) {
  struct lwm2m *l = of_session(session);
  coap_bin_const_t token = coap_pdu_get_token(received);
  coap_pdu_code_t code = coap_pdu_get_code(received);
  (void)sent; (void)mid;
  for (size_t i = 0; i < l->store->n_devices; i++) {
    struct device *d = l->store->devices[i];
    if (d->session == session && in_session(d) && same_token(d->obs_token, d->obs_token_len, token)) {
      if (COAP_RESPONSE_CLASS(code) != 2) {
        char detail[48];
        snprintf(detail, sizeof detail, "refused: %d.%02d", COAP_RESPONSE_CLASS(code), code & 0x1f);
        device_event(d, "observe", detail);
        d->obs_token_len = 0;
        return COAP_RESPONSE_OK;
      }
      d->last_seen = store_wall_now();
      if (d->state == DEV_REGISTERED) { /* the answer to the observation itself */
        d->state = DEV_OBSERVED;
        device_event(d, "observe", "19/0/0");
        return COAP_RESPONSE_OK;
      }
      size_t len = 0;
      const uint8_t *data = NULL;
      coap_get_data(received, &len, &data);
      int con = coap_pdu_get_type(received) == COAP_MESSAGE_CON;
      device_add_uplink(d, con, data, len);
      char detail[48];
      snprintf(detail, sizeof detail, "%s, %zu bytes", con ? "CON" : "NON", len);
      device_event(d, "uplink", detail);
      return COAP_RESPONSE_OK;
    }
    for (size_t k = 0; k < d->n_downlinks; k++) {
      struct downlink *w = &d->downlinks[k];
      if (w->state == DL_SENT && same_token(w->token, w->token_len, token)) {
        int ok = COAP_RESPONSE_CLASS(code) == 2;
        w->state = ok ? DL_DELIVERED : DL_FAILED;
        w->done_time = d->last_seen = store_wall_now();
        char detail[48];
        snprintf(detail, sizeof detail, "%d.%02d", COAP_RESPONSE_CLASS(code), code & 0x1f);
        device_event(d, ok ? "delivered" : "write_failed", detail);
        return COAP_RESPONSE_OK;
      }
    }
  }
  /* Nobody asked for this (a notification of an observation from an earlier session):
   * RST, so that the sender stops. */
  return COAP_RESPONSE_FAIL;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid) {
  struct lwm2m *l = of_session(session);
  (void)mid;
  if (!sent) return;
  coap_bin_const_t token = coap_pdu_get_token(sent);
  const char *why = reason == COAP_NACK_RST ? "RST" : "no answer";
  for (size_t i = 0; i < l->store->n_devices; i++) {
    struct device *d = l->store->devices[i];
    if (same_token(d->obs_token, d->obs_token_len, token)) {
      d->obs_token_len = 0;
      device_event(d, "observe", why);
    }
    for (size_t k = 0; k < d->n_downlinks; k++) {
      struct downlink *w = &d->downlinks[k];
      if (w->state == DL_SENT && same_token(w->token, w->token_len, token)) {
        w->state = DL_FAILED;
        w->done_time = store_wall_now();
        device_event(d, "write_failed", why);
      }
    }
  }
}

/* ---- the loop's side */

/* Observations and downlinks due, lifetimes ended. Returns the seconds until the next
 * lifetime ends (-1: none). */
static double tick(struct lwm2m *l) {
  double now = store_mono_now(), next = -1;
  for (size_t i = 0; i < l->store->n_devices; i++) {
    struct device *d = l->store->devices[i];
    if (!in_session(d)) continue;
    double left = d->last_update_mono + (double)d->lifetime - now;
    if (left <= 0) {
      end_session(d, DEV_EXPIRED, "expire");
      continue;
    }
    if (next < 0 || left < next) next = left;
    if (d->observe_due) send_observe(d);
    if (d->state == DEV_OBSERVED)
      for (size_t k = 0; k < d->n_downlinks; k++)
        if (d->downlinks[k].state == DL_QUEUED) send_downlink(d, &d->downlinks[k]);
  }
  return next;
}

long lwm2m_timeout_ms(struct lwm2m *l) {
  double next = tick(l);
  coap_tick_t now;
  coap_ticks(&now);
  unsigned int coap_ms = coap_io_prepare_epoll(l->ctx, now);
  long ms = coap_ms ? (long)coap_ms : -1;
  if (next >= 0) {
    /* the client chooses its lifetime (up to 2^31 - 1 s): a day at most, so that the
     * milliseconds fit a 32-bit long (armhf, i386); the next poll looks again */
    if (next > 86400) next = 86400;
    long lifetime_ms = (long)(next * 1000) + 1;
    if (ms < 0 || lifetime_ms < ms) ms = lifetime_ms;
  }
  return ms;
}

void lwm2m_process(struct lwm2m *l) {
  coap_io_process(l->ctx, COAP_IO_NO_WAIT);
  tick(l);
}

int lwm2m_fd(const struct lwm2m *l) { return coap_context_get_coap_fd(l->ctx); }
int lwm2m_port(const struct lwm2m *l) { return l->port; }

struct lwm2m *lwm2m_new(struct store *store, const char *bind_addr, int port, char *err,
                        size_t errsz) {
  struct lwm2m *l = calloc(1, sizeof *l);
  if (!l) {
    snprintf(err, errsz, "out of memory");
    return NULL;
  }
  l->store = store;
  coap_startup();
  coap_set_log_level(LOG_ERR);
  l->ctx = coap_new_context(NULL);
  if (!l->ctx || coap_context_get_coap_fd(l->ctx) < 0) {
    snprintf(err, errsz, "libcoap without epoll support");
    lwm2m_free(l);
    return NULL;
  }
  coap_set_app_data(l->ctx, l);
  coap_register_response_handler(l->ctx, on_response);
  coap_register_nack_handler(l->ctx, on_nack);

  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  int rc = getaddrinfo(bind_addr, service, &hints, &ai);
  if (rc) {
    snprintf(err, errsz, "bind address %s: %s", bind_addr, gai_strerror(rc));
    lwm2m_free(l);
    return NULL;
  }
  coap_address_t addr;
  coap_address_init(&addr);
  addr.size = ai->ai_addrlen;
  memcpy(&addr.addr, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  coap_endpoint_t *ep = coap_new_endpoint(l->ctx, &addr, COAP_PROTO_UDP);
  if (!ep) {
    snprintf(err, errsz, "cannot listen on UDP %s port %d", bind_addr, port);
    lwm2m_free(l);
    return NULL;
  }
  /* The port the system chose for port 0: the endpoint prints as address:port. */
  const char *name = coap_endpoint_str(ep);
  const char *colon = name ? strrchr(name, ':') : NULL;
  l->port = colon ? atoi(colon + 1) : port;

  coap_resource_t *rd = coap_resource_init(coap_make_str_const("rd"), 0);
  if (!rd) {
    snprintf(err, errsz, "out of memory");
    lwm2m_free(l);
    return NULL;
  }
  coap_register_request_handler(rd, COAP_REQUEST_POST, hnd_register);
  coap_resource_set_userdata(rd, l);
  coap_add_resource(l->ctx, rd);
  return l;
}

void lwm2m_free(struct lwm2m *l) {
  if (!l) return;
  if (l->store)
    for (size_t i = 0; i < l->store->n_devices; i++) hold_session(l->store->devices[i], NULL);
  if (l->ctx) coap_free_context(l->ctx); /* with its resources and endpoints */
  coap_cleanup();
  free(l);
}
