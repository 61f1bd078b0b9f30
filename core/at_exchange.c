/* at_exchange.c: one command's whole round trip over a port (at_exchange.h), on the
 * engine's and the port's public calls only. */
#include "at_exchange.h"

/* Hands every waiting event to the caller. */
static void hand_over_events(bc_at_engine *at, const bc_at_exchange_hooks *hooks) {
  bc_at_event ev;
  while (bc_at_next_event(at, &ev)) hooks->event(hooks->ctx, &ev);
}

/* Feeds n bytes just read; deadline: the engine's next one before the read. Returns 1
 * when events went to the caller meanwhile. */
static int feed_read(bc_at_engine *at, const bc_at_exchange_hooks *hooks, const uint8_t *buf, size_t n,
                     uint64_t now, uint64_t deadline) {
  if (hooks->bytes) hooks->bytes(hooks->ctx, 0, buf, n);
  /* as of just before a deadline that passed meanwhile (none: UINT64_MAX, never reached) */
  if (now >= deadline) now = deadline ? deadline - 1 : 0;
  size_t off = 0;
  int handed_over = 0;
  for (;;) {
    off += bc_at_feed(at, buf + off, n - off, now);
    if (off >= n) return handed_over;
    /* the event ring is full: the caller takes the events (a hand-over), then feed on */
    hand_over_events(at, hooks);
    handed_over = 1;
  }
}

static bc_at_exchange_result bc_port_failure(long rc) {
  return rc == BC_PORT_CLOSED ? BC_AT_EXCHANGE_PORT_CLOSED : BC_AT_EXCHANGE_PORT_FAILED;
}

bc_at_exchange_result bc_at_exchange(bc_at_engine *at, bc_port *p, const bc_at_cmd *cmd, uint64_t limit_ms,
                               const bc_at_exchange_hooks *hooks, bc_at_event *answer,
                               char err[BC_PORT_ERR_MAX]) {
  size_t out_len = 0;
  bc_at_output(at, &out_len);
  int alone = bc_at_pending(at) == 0 && out_len == 0;
  if (bc_at_submit(at, cmd) != 0) return BC_AT_EXCHANGE_REFUSED;
  if (!alone) return BC_AT_EXCHANGE_HANDED_OVER;
  /* set once events went to the caller: the round trip is theirs from then on */
  int handed_over = 0;
  uint8_t buf[4096];
  for (;;) {
    /* what the engine has to say */
    const uint8_t *out = bc_at_output(at, &out_len);
    if (out_len) {
      long n = bc_port_write(p, out, out_len, err);
      if (n < 0) return bc_port_failure(n);
      if (n > 0) {
        if (hooks->bytes) hooks->bytes(hooks->ctx, 1, out, (size_t)n);
        bc_at_output_consumed(at, (size_t)n, bc_port_now_ms());
      }
      if ((size_t)n < out_len) return BC_AT_EXCHANGE_HANDED_OVER; /* the port is full */
    }
    /* what happened: this command's response alone, or anything else */
    bc_at_event more; /* popped into *answer: no copy when it is the answer */
    if (bc_at_next_event(at, answer)) {
      int two = bc_at_next_event(at, &more);
      if (!two && !handed_over && answer->type == BC_AT_EV_RESPONSE && answer->tag == cmd->tag)
        return BC_AT_EXCHANGE_ANSWERED;
      hooks->event(hooks->ctx, answer);
      if (two) hooks->event(hooks->ctx, &more);
      hand_over_events(at, hooks);
      return BC_AT_EXCHANGE_HANDED_OVER;
    }
    if (handed_over) return BC_AT_EXCHANGE_HANDED_OVER;
    /* wait, until the engine's deadline or the caller's limit */
    uint64_t deadline = bc_at_next_deadline(at);
    long n = bc_port_wait_read(p, buf, sizeof buf, deadline < limit_ms ? deadline : limit_ms, err);
    if (n < 0) return bc_port_failure(n);
    uint64_t now = bc_port_now_ms();
    if (n > 0) {
      handed_over |= feed_read(at, hooks, buf, (size_t)n, now, deadline);
    } else if (now >= deadline) {
      bc_at_tick(at, now); /* after the read above: what the kernel held went first */
    } else if (now >= limit_ms) {
      return BC_AT_EXCHANGE_HANDED_OVER;
    }
  }
}
