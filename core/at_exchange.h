/* at_exchange.h: one command's whole round trip over a port, for a caller that may block
 * on that port alone (docs/design.md, "The fast path"): submit, write, wait, read, feed,
 * until the command's response comes. Built only on at.h's and port.h's public calls:
 * the engine itself stays free of I/O.
 *
 * Whatever is not this command's response alone hands over to the caller's general path
 * with the command already in the engine: another command in the engine, a partial
 * write, any other event (a URC, an unknown line...), the caller's limit reached first,
 * a port failure. The caller then waits for the response the way it waits for any.
 */
#ifndef BC260Y_AT_EXCHANGE_H
#define BC260Y_AT_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "at.h"
#include "port.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bc_at_exchange_result {
  BC_AT_EXCHANGE_ANSWERED = 0, /* *answer is the command's response, and nothing else happened */
  BC_AT_EXCHANGE_HANDED_OVER,  /* the command is in the engine; its response comes like any */
  BC_AT_EXCHANGE_REFUSED,      /* bc_at_submit refused the command: bc_at_error() says why */
  BC_AT_EXCHANGE_PORT_CLOSED,  /* handed over because the port hung up (BC_PORT_CLOSED) */
  BC_AT_EXCHANGE_PORT_FAILED   /* handed over because of a port fault (BC_PORT_ERROR): err */
} bc_at_exchange_result;

/* What the caller hears during the round trip. */
typedef struct bc_at_exchange_hooks {
  void *ctx;
  /* Every event but a lone answer, in order, as bc_at_next_event pops it (its pointers valid
   * until the hook returns); the response may be among them. Required. */
  void (*event)(void *ctx, const bc_at_event *ev);
  /* Bytes written to the port (written 1) or read from it (0), as they go, for a trace;
   * NULL when nobody traces. */
  void (*bytes)(void *ctx, int written, const uint8_t *bytes, size_t n);
} bc_at_exchange_hooks;

/* Runs cmd's round trip on p. The caller has popped every waiting event (bc_at_next_event)
 * and fed every byte it read. limit_ms: when the caller must have control back even
 * though the response has not come (its next timer; bc_port_now_ms()'s clock, as are the
 * engine's times here; UINT64_MAX: none). The engine's timers run inside: a deadline
 * first reads what the kernel holds, and bytes read once a deadline passed are fed as of
 * just before it (a caller that was not scheduled does not turn an answer that came in
 * time into a timeout). *answer's pointers stay valid until the next call into the
 * engine (other results use *answer as scratch); err is filled for the port results
 * ("closed" for BC_PORT_CLOSED). */
bc_at_exchange_result bc_at_exchange(bc_at_engine *at, bc_port *p, const bc_at_cmd *cmd, uint64_t limit_ms,
                               const bc_at_exchange_hooks *hooks, bc_at_event *answer,
                               char err[BC_PORT_ERR_MAX]);

#ifdef __cplusplus
}
#endif

#endif
