/* bc260y_errors.c: the public table of the platform error codes (bc260y.h), made from
 * their list in bc260y_errors_list.h, and its lookup. */
#include "bc260y.h"
#include "bc260y_errors_list.h"

#define BC_ERROR_ROW(code, class, rest, en, zh) {code, BC_ERROR_SYMBOL(class, rest), en, zh},
const bc_error_info bc_errors[] = {BC_ERRORS(BC_ERROR_ROW)};
const size_t bc_errors_len = sizeof bc_errors / sizeof bc_errors[0];

const bc_error_info *bc_error_lookup(int code) {
  for (size_t i = 0; i < bc_errors_len; i++)
    if (bc_errors[i].code == code) return &bc_errors[i];
  return NULL;
}
