/*===- c_header_check.c - the public headers compile as C ---------*- C -*-===//
 *
 * Built as C into the runtime tests; api_test.cpp calls it.
 *===----------------------------------------------------------------------===*/

#include "sparsec/kernel_abi.h"
#include "sparsec/manifest_schema.h"
#include "sparsec/runtime.h"
#include "sparsec/weights_layout.h"

int sparsec_c_header_check(void);

int sparsec_c_header_check(void) {
  sparsec_session_options_t options;
  sparsec_memref1d memref = {NULL, NULL, 0, 0, 1};
  sparsec_chat_message_t message = {"user", "hi"};
  sparsec_detokenizer_t *detokenizer = NULL;
  size_t length = 0;
  sparsec_status_t status =
      sparsec_chat_render("chatml", &message, 1, 1, NULL, 0, &length);
  int rendered = sparsec_status_is_ok(status) && length > 0;
  sparsec_status_free(status);
  sparsec_detokenizer_release(detokenizer);
  sparsec_session_options_initialize(&options);
  return rendered && SPARSEC_TOKENIZE_PARSE_SPECIAL == 1 &&
         options.top_k == 0 && options.top_p == 1.0f &&
         sparsec_status_is_ok(NULL) && memref.stride == 1 &&
         SPARSEC_WEIGHTS_LAYOUT_VERSION == 1 &&
         sizeof(SPARSEC_MANIFEST_FORMAT) > 1 &&
         SPARSEC_MANIFEST_FFN_NO_EXPERT == -1;
}
