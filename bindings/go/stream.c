/* The C side of streaming: qwen3vl_chat_v2 with goDelta (exported by stream.go) as its callback.
 * A separate file because a Go file with //export may only declare C functions, not define them. */
#include <stdint.h>

#include "_cgo_export.h"

qwen3vl_result *qwen3vl_go_chat(qwen3vl_client *client, const char *request_json, const char *call_options_json,
                                qwen3vl_cancel *cancel, uintptr_t stream) {
    return qwen3vl_chat_v2(client, request_json, call_options_json, cancel,
                           stream ? (qwen3vl_delta_fn)goDelta : NULL, (void *)stream);
}
