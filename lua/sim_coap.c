/* sim_coap.c: bc260y.sim.coap, the virtual module's LwM2M client on libcoap, for
 * `bc260y sim --platform coap://HOST:PORT` (lua/bc260y/sim/remote_platform.lua drives
 * it). An optional module, built with the classroom platform (platform/CMakeLists.txt):
 * the virtual module without it never sends a packet.
 *
 *   local c = coap.client(host, port)    a UDP session to the LwM2M server
 *   c:fd()                               to watch for readability (then c:process())
 *   c:timeout()                          ms until c:process() must run anyway, or nil
 *   c:process()                          -> list of events, oldest first:
 *       {what = "registered", location = "rd/1"}  {what = "updated"}  {what = "deregistered"}
 *       {what = "refused", request = "register"|"update"|"deregister", code = "4.00"}
 *       {what = "no_answer", request = ...}       (libcoap's retransmissions gave up)
 *       {what = "observed"}  {what = "cancelled"} (the server's observation of 19/0/0)
 *       {what = "write", data = bytes}            (a write to 19/1/0: a downlink)
 *       {what = "acked"}                          (the oldest CON notification was acknowledged)
 *       {what = "failed", reason = "rst"|"no answer"}  (the oldest CON notification failed)
 *   c:register(endpoint, lifetime, links) c:update() c:deregister()
 *   c:notify(bytes, con)                 an uplink: a notification of 19/0/0 (CON or NON)
 *   c:close()
 *
 * The calls queue events instead of calling Lua from libcoap's handlers, so a Lua error
 * never unwinds through libcoap. */
#include <coap3/coap.h>
#include <lauxlib.h>
#include <lua.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_MT "bc260y.sim.coap.client"
#define MAX_PENDING 64 /* CON notifications awaiting their ACK */

struct event {
  struct event *next;
  char what[16];
  char detail[24];
  size_t len;
  uint8_t data[];
};

struct client {
  coap_context_t *ctx;
  coap_session_t *session;
  uint8_t obs_token[8];
  size_t obs_token_len;
  unsigned obs_seq;
  uint8_t req_token[8];
  size_t req_token_len;
  char req_kind[12];
  char location[64];
  coap_mid_t pending[MAX_PENDING];
  int n_pending;
  struct event *head, *tail;
};

static void push_event(struct client *c, const char *what, const char *detail,
                       const uint8_t *data, size_t len) {
  struct event *e = malloc(sizeof *e + len);
  if (!e) return;
  e->next = NULL;
  strncpy(e->what, what, sizeof e->what - 1);
  e->what[sizeof e->what - 1] = '\0';
  strncpy(e->detail, detail ? detail : "", sizeof e->detail - 1);
  e->detail[sizeof e->detail - 1] = '\0';
  e->len = len;
  if (len) memcpy(e->data, data, len);
  if (c->tail) c->tail->next = e;
  else c->head = e;
  c->tail = e;
}

static struct client *of_session(coap_session_t *session) {
  return coap_get_app_data(coap_session_get_context(session));
}

static int same_token(const uint8_t *a, size_t alen, coap_bin_const_t b) {
  return alen && alen == b.length && memcmp(a, b.s, alen) == 0;
}

/* ---- what the server asks of the device: observe 19/0/0, write 19/1/0 */

static void hnd_get_data(coap_resource_t *resource, coap_session_t *session,
                         const coap_pdu_t *request, const coap_string_t *query,
                         coap_pdu_t *response) {
  struct client *c = of_session(session);
  coap_opt_iterator_t it;
  coap_opt_t *obs = coap_check_option(request, COAP_OPTION_OBSERVE, &it);
  (void)resource; (void)query;
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
  if (obs) {
    unsigned action = coap_decode_var_bytes(coap_opt_value(obs), coap_opt_length(obs));
    coap_bin_const_t token = coap_pdu_get_token(request);
    if (action == COAP_OBSERVE_ESTABLISH && token.length <= sizeof c->obs_token) {
      memcpy(c->obs_token, token.s, token.length);
      c->obs_token_len = token.length;
      uint8_t seq[4];
      coap_add_option(response, COAP_OPTION_OBSERVE,
                      coap_encode_var_safe(seq, sizeof seq, c->obs_seq++ & 0xffffff), seq);
      push_event(c, "observed", NULL, NULL, 0);
    } else if (action == COAP_OBSERVE_CANCEL) {
      c->obs_token_len = 0;
      push_event(c, "cancelled", NULL, NULL, 0);
    }
  }
  uint8_t fmt[2];
  coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(fmt, sizeof fmt, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM), fmt);
}

static void hnd_put_command(coap_resource_t *resource, coap_session_t *session,
                            const coap_pdu_t *request, const coap_string_t *query,
                            coap_pdu_t *response) {
  struct client *c = of_session(session);
  size_t len = 0;
  const uint8_t *data = NULL;
  (void)resource; (void)query;
  coap_get_data(request, &len, &data);
  if (len == 0) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_BAD_REQUEST);
    return;
  }
  push_event(c, "write", NULL, data, len);
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

/* ---- answers to the device's requests; the fate of its CON notifications */

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid) {
  struct client *c = of_session(session);
  coap_pdu_code_t code = coap_pdu_get_code(received);
  (void)sent; (void)mid;
  if (!same_token(c->req_token, c->req_token_len, coap_pdu_get_token(received)))
    return COAP_RESPONSE_OK;
  c->req_token_len = 0;
  if (COAP_RESPONSE_CLASS(code) != 2) {
    char detail[24];
    snprintf(detail, sizeof detail, "%d.%02d", COAP_RESPONSE_CLASS(code), code & 0x1f);
    push_event(c, "refused", c->req_kind, (const uint8_t *)detail, strlen(detail));
    return COAP_RESPONSE_OK;
  }
  if (strcmp(c->req_kind, "register") == 0) {
    coap_opt_filter_t filter;
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    size_t n = 0;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
    coap_option_iterator_init(received, &it, &filter);
    while ((opt = coap_option_next(&it))) {
      size_t len = coap_opt_length(opt);
      if (n + len + 2 > sizeof c->location) break;
      if (n) c->location[n++] = '/';
      memcpy(c->location + n, coap_opt_value(opt), len);
      n += len;
    }
    c->location[n] = '\0';
    push_event(c, "registered", c->location, NULL, 0);
  } else if (strcmp(c->req_kind, "update") == 0) {
    push_event(c, "updated", NULL, NULL, 0);
  } else {
    push_event(c, "deregistered", NULL, NULL, 0);
  }
  return COAP_RESPONSE_OK;
}

static int take_pending(struct client *c, coap_mid_t mid) {
  for (int i = 0; i < c->n_pending; i++) {
    if (c->pending[i] == mid) {
      memmove(c->pending + i, c->pending + i + 1, (size_t)(c->n_pending - i - 1) * sizeof *c->pending);
      c->n_pending--;
      return 1;
    }
  }
  return 0;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid) {
  struct client *c = of_session(session);
  const char *why = reason == COAP_NACK_RST ? "rst" : "no answer";
  if (take_pending(c, mid)) {
    push_event(c, "failed", why, NULL, 0);
    return;
  }
  if (sent && same_token(c->req_token, c->req_token_len, coap_pdu_get_token(sent))) {
    c->req_token_len = 0;
    push_event(c, "no_answer", c->req_kind, NULL, 0);
  }
}

/* ---- Lua */

static struct client *check_client(lua_State *L) {
  struct client *c = luaL_checkudata(L, 1, CLIENT_MT);
  if (!c->ctx) luaL_error(L, "coap client: closed");
  return c;
}

static void client_free(struct client *c) {
  while (c->head) {
    struct event *e = c->head;
    c->head = e->next;
    free(e);
  }
  c->tail = NULL;
  if (c->session) coap_session_release(c->session);
  c->session = NULL;
  if (c->ctx) coap_free_context(c->ctx);
  c->ctx = NULL;
}

static int l_close(lua_State *L) {
  client_free(luaL_checkudata(L, 1, CLIENT_MT));
  return 0;
}

static int l_fd(lua_State *L) {
  lua_pushinteger(L, coap_context_get_coap_fd(check_client(L)->ctx));
  return 1;
}

static int l_timeout(lua_State *L) {
  struct client *c = check_client(L);
  coap_tick_t now;
  coap_ticks(&now);
  unsigned ms = coap_io_prepare_epoll(c->ctx, now);
  if (ms) lua_pushinteger(L, ms);
  else lua_pushnil(L);
  return 1;
}

static int l_process(lua_State *L) {
  struct client *c = check_client(L);
  coap_io_process(c->ctx, COAP_IO_NO_WAIT);
  /* libcoap reports no empty ACK to the application: a CON notification is known to be
   * acknowledged once nothing is left to (re)transmit, and with NSTART 1 (RFC 7252
   * 4.7, libcoap's default) they are acknowledged in the order they were sent. */
  if (c->n_pending && coap_can_exit(c->ctx)) {
    for (int i = 0; i < c->n_pending; i++) push_event(c, "acked", NULL, NULL, 0);
    c->n_pending = 0;
  }
  lua_newtable(L);
  int n = 0;
  while (c->head) {
    struct event *e = c->head;
    c->head = e->next;
    if (!c->head) c->tail = NULL;
    lua_createtable(L, 0, 3);
    lua_pushstring(L, e->what);
    lua_setfield(L, -2, "what");
    if (strcmp(e->what, "registered") == 0) {
      lua_pushstring(L, e->detail);
      lua_setfield(L, -2, "location");
    } else if (strcmp(e->what, "write") == 0) {
      lua_pushlstring(L, (const char *)e->data, e->len);
      lua_setfield(L, -2, "data");
    } else if (strcmp(e->what, "failed") == 0) {
      lua_pushstring(L, e->detail);
      lua_setfield(L, -2, "reason");
    } else if (e->detail[0]) {
      lua_pushstring(L, e->detail);
      lua_setfield(L, -2, "request");
      if (e->len) {
        lua_pushlstring(L, (const char *)e->data, e->len);
        lua_setfield(L, -2, "code");
      }
    }
    free(e);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* A CON request of the device's (register, update, deregister), with the answer awaited. */
static coap_pdu_t *new_request(lua_State *L, struct client *c, coap_pdu_code_t code,
                               const char *kind) {
  if (c->req_token_len) luaL_error(L, "coap client: a %s is still waiting for its answer", c->req_kind);
  coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(c->session),
                                  coap_session_max_pdu_size(c->session));
  if (!pdu) luaL_error(L, "coap client: out of memory");
  size_t len = sizeof c->req_token;
  coap_session_new_token(c->session, &len, c->req_token);
  coap_add_token(pdu, len, c->req_token);
  c->req_token_len = len;
  snprintf(c->req_kind, sizeof c->req_kind, "%s", kind);
  return pdu;
}

static void add_location(coap_pdu_t *pdu, const char *location) {
  const char *p = location;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    coap_add_option(pdu, COAP_OPTION_URI_PATH, len, (const uint8_t *)p);
    p += len;
    if (*p == '/') p++;
  }
}

static int send_request(lua_State *L, struct client *c, coap_pdu_t *pdu) {
  if (coap_send(c->session, pdu) == COAP_INVALID_MID) {
    c->req_token_len = 0;
    return luaL_error(L, "coap client: cannot send");
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int l_register(lua_State *L) {
  struct client *c = check_client(L);
  size_t eplen, linkslen;
  const char *ep = luaL_checklstring(L, 2, &eplen);
  lua_Integer lifetime = luaL_checkinteger(L, 3);
  const char *links = luaL_checklstring(L, 4, &linkslen);
  luaL_argcheck(L, eplen > 0 && eplen <= 64, 2, "endpoint name of 1..64 characters");
  luaL_argcheck(L, lifetime > 0 && lifetime <= 0x7fffffff, 3, "lifetime of 1..2^31-1 seconds");
  coap_pdu_t *pdu = new_request(L, c, COAP_REQUEST_CODE_POST, "register");
  c->location[0] = '\0';
  coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"rd");
  uint8_t fmt[2];
  coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(fmt, sizeof fmt, COAP_MEDIATYPE_APPLICATION_LINK_FORMAT), fmt);
  char q[96];
  int n = snprintf(q, sizeof q, "ep=%s", ep);
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)n, (const uint8_t *)q);
  n = snprintf(q, sizeof q, "lt=%lld", (long long)lifetime);
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)n, (const uint8_t *)q);
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, 10, (const uint8_t *)"lwm2m=1.0");
  coap_add_option(pdu, COAP_OPTION_URI_QUERY, 3, (const uint8_t *)"b=U");
  coap_add_data(pdu, linkslen, (const uint8_t *)links);
  return send_request(L, c, pdu);
}

static int l_update(lua_State *L) {
  struct client *c = check_client(L);
  if (!c->location[0]) return luaL_error(L, "coap client: not registered");
  coap_pdu_t *pdu = new_request(L, c, COAP_REQUEST_CODE_POST, "update");
  add_location(pdu, c->location);
  return send_request(L, c, pdu);
}

static int l_deregister(lua_State *L) {
  struct client *c = check_client(L);
  if (!c->location[0]) return luaL_error(L, "coap client: not registered");
  coap_pdu_t *pdu = new_request(L, c, COAP_REQUEST_CODE_DELETE, "deregister");
  add_location(pdu, c->location);
  c->location[0] = '\0';
  c->obs_token_len = 0;
  return send_request(L, c, pdu);
}

static int l_notify(lua_State *L) {
  struct client *c = check_client(L);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  int con = lua_toboolean(L, 3);
  if (!c->obs_token_len) {
    lua_pushnil(L);
    lua_pushstring(L, "19/0/0 is not observed");
    return 2;
  }
  if (con && c->n_pending == MAX_PENDING) return luaL_error(L, "coap client: too many CON notifications unacknowledged");
  coap_pdu_t *pdu = coap_pdu_init(con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, COAP_RESPONSE_CODE_CONTENT,
                                  coap_new_message_id(c->session), coap_session_max_pdu_size(c->session));
  if (!pdu) return luaL_error(L, "coap client: out of memory");
  coap_add_token(pdu, c->obs_token_len, c->obs_token);
  uint8_t seq[4], fmt[2];
  coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(seq, sizeof seq, c->obs_seq++ & 0xffffff), seq);
  coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(fmt, sizeof fmt, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM), fmt);
  if (!coap_add_data(pdu, len, (const uint8_t *)data)) {
    coap_delete_pdu(pdu);
    return luaL_error(L, "coap client: %d bytes do not fit in one message", (int)len);
  }
  coap_mid_t mid = coap_send(c->session, pdu);
  if (mid == COAP_INVALID_MID) return luaL_error(L, "coap client: cannot send");
  if (con) c->pending[c->n_pending++] = mid;
  lua_pushboolean(L, 1);
  return 1;
}

static int l_client(lua_State *L) {
  const char *host = luaL_checkstring(L, 1);
  lua_Integer port = luaL_checkinteger(L, 2);
  luaL_argcheck(L, port > 0 && port <= 65535, 2, "port 1..65535");
  struct client *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CLIENT_MT);

  struct addrinfo hints = {0}, *ai = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  char service[8];
  snprintf(service, sizeof service, "%d", (int)port);
  int rc = getaddrinfo(host, service, &hints, &ai);
  if (rc) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", host, gai_strerror(rc));
    return 2;
  }
  coap_address_t dst;
  coap_address_init(&dst);
  dst.size = ai->ai_addrlen;
  memcpy(&dst.addr, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);

  coap_startup();
  coap_set_log_level(LOG_ERR);
  c->ctx = coap_new_context(NULL);
  if (!c->ctx || coap_context_get_coap_fd(c->ctx) < 0) {
    client_free(c);
    lua_pushnil(L);
    lua_pushstring(L, "libcoap without epoll support");
    return 2;
  }
  coap_set_app_data(c->ctx, c);
  coap_register_response_handler(c->ctx, on_response);
  coap_register_nack_handler(c->ctx, on_nack);
  coap_resource_t *r = coap_resource_init(coap_make_str_const("19/0/0"), 0);
  coap_register_request_handler(r, COAP_REQUEST_GET, hnd_get_data);
  coap_add_resource(c->ctx, r);
  r = coap_resource_init(coap_make_str_const("19/1/0"), 0);
  coap_register_request_handler(r, COAP_REQUEST_PUT, hnd_put_command);
  coap_add_resource(c->ctx, r);
  c->session = coap_new_client_session(c->ctx, NULL, &dst, COAP_PROTO_UDP);
  if (!c->session) {
    client_free(c);
    lua_pushnil(L);
    lua_pushfstring(L, "cannot open a UDP session to %s", host);
    return 2;
  }
  return 1;
}

int luaopen_bc260y_sim_coap(lua_State *L);
int luaopen_bc260y_sim_coap(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"fd", l_fd}, {"timeout", l_timeout}, {"process", l_process}, {"register", l_register},
    {"update", l_update}, {"deregister", l_deregister}, {"notify", l_notify},
    {"close", l_close}, {NULL, NULL}};
  if (luaL_newmetatable(L, CLIENT_MT)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_close);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, l_client);
  lua_setfield(L, -2, "client");
  return 1;
}
