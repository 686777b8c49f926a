/* SPDX-License-Identifier: MIT */
/* C tests of the core library: every function of qwen3vl.h, every status code, NULL and bad input,
 * and many threads on one client, against the local stand-in server. */
#include "harness.h"

#include <ctype.h>
#include <pthread.h>

/* ---- static information ---- */

static void test_version_and_names(void) {
    CHECK_STR(qwen3vl_version(), QWEN3VL_VERSION_STRING);
    char numbers[64];
    snprintf(numbers, sizeof numbers, "%d.%d.%d", QWEN3VL_VERSION_MAJOR, QWEN3VL_VERSION_MINOR, QWEN3VL_VERSION_PATCH);
    CHECK_STR(QWEN3VL_VERSION_STRING, numbers);
    CHECK(qwen3vl_version_number() == QWEN3VL_VERSION_NUMBER);
    CHECK(QWEN3VL_VERSION_NUMBER == QWEN3VL_VERSION_MAJOR * 10000 + QWEN3VL_VERSION_MINOR * 100 + QWEN3VL_VERSION_PATCH);
#if QWEN3VL_VERSION_NUMBER < 100 /* usable in #if, as zstd's and SQLite's */
    CHECK(!"QWEN3VL_VERSION_NUMBER is below 0.1.0");
#endif
    /* Every status of the map, by the name the map gives it, and the map in order of value. */
    int next = 0;
#define EXPECT_NAME(name) CHECK_STR(qwen3vl_status_name(QWEN3VL_##name), "QWEN3VL_" #name); CHECK(QWEN3VL_##name == next++);
    QWEN3VL_STATUS_MAP(EXPECT_NAME)
#undef EXPECT_NAME
    CHECK(next == QWEN3VL_ERR_INTERNAL + 1);
    CHECK_STR(qwen3vl_status_name(QWEN3VL_ERR_TIMEOUT), "QWEN3VL_ERR_TIMEOUT");
    CHECK_STR(qwen3vl_status_name(-1), "QWEN3VL_ERR_UNKNOWN");
    CHECK_STR(qwen3vl_status_name(next), "QWEN3VL_ERR_UNKNOWN");
    CHECK_STR(qwen3vl_status_name(2147483647), "QWEN3VL_ERR_UNKNOWN");
}

/* ---- client options ---- */

static void expect_bad_options(const char *opts, const char *needle) {
    char err[256];
    memset(err, 'x', sizeof err);
    qwen3vl_client *c = qwen3vl_client_new(opts, err, sizeof err);
    CHECK(c == NULL);
    CHECK(memchr(err, 0, sizeof err) != NULL);
    CHECK_CONTAINS(err, needle);
    qwen3vl_client_free(c);
}

static void test_client_options(void) {
    char err[256];
    qwen3vl_client *c = qwen3vl_client_new(NULL, err, sizeof err);
    CHECK(c != NULL);
    CHECK_STR(err, "");
    qwen3vl_client_free(c);
    c = qwen3vl_client_new("{}", NULL, 0);
    CHECK(c != NULL);
    qwen3vl_client_free(c);
    c = qwen3vl_client_new("{\"api_key\":\"k\",\"base_url\":\"http://127.0.0.1:9/v1/\",\"model\":\"m\",\"timeout_ms\":1000,"
                           "\"connect_timeout_ms\":100,\"idle_timeout_ms\":0,\"max_retries\":0,\"max_response_bytes\":10,"
                           "\"headers\":{\"X-Trace\":\"1\"}}", err, sizeof err);
    CHECK(c != NULL);
    qwen3vl_client_free(c);

    expect_bad_options("{", "does not parse");
    expect_bad_options("[]", "must be a JSON object");
    expect_bad_options("{\"colour\":1}", "unknown option \"colour\"");
    expect_bad_options("{\"timeout_ms\":\"5\"}", "timeout_ms must be an integer");
    expect_bad_options("{\"timeout_ms\":1.5}", "timeout_ms must be an integer");
    expect_bad_options("{\"timeout_ms\":0}", "timeout_ms must be between");
    expect_bad_options("{\"connect_timeout_ms\":-1}", "connect_timeout_ms");
    expect_bad_options("{\"idle_timeout_ms\":true}", "idle_timeout_ms");
    expect_bad_options("{\"max_retries\":101}", "max_retries");
    expect_bad_options("{\"max_response_bytes\":0}", "max_response_bytes");
    expect_bad_options("{\"model\":\"\"}", "model");
    expect_bad_options("{\"base_url\":\"ftp://example.com\"}", "base_url");
    expect_bad_options("{\"base_url\":\"https://\"}", "base_url");
    expect_bad_options("{\"base_url\":5}", "base_url must be a string");
    expect_bad_options("{\"headers\":[]}", "headers");
    expect_bad_options("{\"headers\":{\"X-A\":1}}", "headers.X-A");
    expect_bad_options("{\"headers\":{\"X-A\":\"a\\r\\nInjected: 1\"}}", "CR, LF");
    expect_bad_options("{\"headers\":{\"Bad Name\":\"v\"}}", "not a valid header name");
    expect_bad_options("{\"timeout_ms\":1,\"timeout_ms\":2}", "does not parse");
    expect_bad_options("{\"api_key\":7}", "api_key must be a string");
    expect_bad_options("{\"model\":\"\xff\xfe\"}", "UTF-8");

    /* The key never shows in an error, even next to the bad option. */
    qwen3vl_client_new("{\"api_key\":\"sk-very-secret\",\"timeout_ms\":\"soon\"}", err, sizeof err);
    CHECK(strstr(err, "sk-very-secret") == NULL);
    CHECK_CONTAINS(err, "timeout_ms");

    /* A small buffer gets a truncated, terminated message; size 0 and NULL are left alone. */
    char small[8];
    CHECK(qwen3vl_client_new("{\"nope\":1}", small, sizeof small) == NULL);
    CHECK(strlen(small) == 7);
    char one[1] = {'z'};
    CHECK(qwen3vl_client_new("{\"nope\":1}", one, 1) == NULL);
    CHECK(one[0] == 0);
    char untouched[1] = {'z'};
    CHECK(qwen3vl_client_new("{\"nope\":1}", untouched, 0) == NULL);
    CHECK(untouched[0] == 'z');
}

static void test_environment_fallbacks(void) {
    const char *uid = new_uid();
    char base[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/s/ok/%s/v1", t_port, uid);
    setenv("AIML_API_BASE", base, 1);
    setenv("AIMLAPI_API_KEY", "second-key", 1);
    unsetenv("AIML_API_KEY");
    qwen3vl_client *c = qwen3vl_client_new(NULL, NULL, 0);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    setenv("AIML_API_KEY", "first-key", 1);
    c = qwen3vl_client_new(NULL, NULL, 0);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* No key anywhere: no Authorization header at all (local servers need none). */
    unsetenv("AIML_API_KEY");
    unsetenv("AIMLAPI_API_KEY");
    c = qwen3vl_client_new(NULL, NULL, 0);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    unsetenv("AIML_API_BASE");

    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 3);
    CHECK_STR(request_header(reqs, 0, "authorization"), "Bearer second-key");
    CHECK_STR(request_header(reqs, 1, "authorization"), "Bearer first-key");
    CHECK(request_header(reqs, 2, "authorization") == NULL);
    json_decref(reqs);
}

/* ---- NULL and bad arguments ---- */

static void test_null_arguments(void) {
    qwen3vl_result *r = qwen3vl_chat(NULL, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "client");
    CHECK(qwen3vl_result_attempts(r) == 0);
    qwen3vl_result_free(r);

    qwen3vl_client *c = client_for("ok", new_uid(), NULL);
    r = qwen3vl_chat(c, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "request_json");
    qwen3vl_result_free(r);
    r = qwen3vl_chat_stream(NULL, HELLO, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    qwen3vl_result_free(r);
    r = qwen3vl_chat_stream(c, NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* Every accessor takes NULL. */
    CHECK(qwen3vl_result_status(NULL) == QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK(strlen(qwen3vl_result_error(NULL)) > 0);
    CHECK(qwen3vl_result_http_status(NULL) == 0);
    CHECK_STR(qwen3vl_result_text(NULL), "");
    CHECK_STR(qwen3vl_result_finish_reason(NULL), "");
    CHECK_STR(qwen3vl_result_json(NULL), "");
    CHECK_STR(qwen3vl_result_request_id(NULL), "");
    CHECK_STR(qwen3vl_result_tool_calls_json(NULL), "");
    CHECK(qwen3vl_result_tokens(NULL, QWEN3VL_TOKENS_TOTAL) == -1);
    CHECK(qwen3vl_result_attempts(NULL) == 0);
    CHECK(qwen3vl_result_elapsed_ms(NULL) == 0);
    qwen3vl_result_free(NULL);
    qwen3vl_client_free(NULL);
}

/* ---- request validation ---- */

static void expect_invalid(qwen3vl_client *c, const char *req, const char *needle) {
    qwen3vl_result *r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_REQUEST);
    CHECK_CONTAINS(qwen3vl_result_error(r), needle);
    CHECK(qwen3vl_result_attempts(r) == 0);
    CHECK(qwen3vl_result_http_status(r) == 0);
    CHECK_STR(qwen3vl_result_text(r), "");
    qwen3vl_result_free(r);
}

static void test_request_validation(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    expect_invalid(c, "", "does not parse");
    expect_invalid(c, "{\"messages\":", "does not parse");
    expect_invalid(c, "[1,2]", "request must be a JSON object");
    expect_invalid(c, "{}", "messages is required");
    expect_invalid(c, "{\"messages\":{}}", "messages must be an array");
    expect_invalid(c, "{\"messages\":[]}", "messages must not be empty");
    expect_invalid(c, "{\"messages\":[\"hi\"]}", "messages[0] must be an object, not a string");
    expect_invalid(c, "{\"messages\":[{\"content\":\"hi\"}]}", "messages[0].role is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", "messages[0].role must be one of");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content must be a string or an array of parts, not an integer");
    expect_invalid(c, "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
                      "[{\"type\":\"image_url\",\"image_url\":{\"url\":7}}]}]}",
                   "messages[1].content[0].image_url.url must be a string, not an integer");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                      "{\"type\":\"image_url\",\"image_url\":{}}]}]}",
                   "messages[0].content[1].image_url.url is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"\"}}]}]}",
                   "messages[0].content[0].image_url.url must not be empty");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/a.png\",\"detail\":\"max\"}}]}]}",
                   "messages[0].content[0].image_url.detail must be one of auto, low, high");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]}", "messages[0].content[0].type is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", "messages[0].content[0].text is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":\"v.mp4\"}]}]}",
                   "messages[0].content[0].video_url must be an object");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\",\"video\":[]}]}]}",
                   "messages[0].content[0].video must be a non-empty array");
    expect_invalid(c, "{\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}", "messages[0].tool_call_id is required");
    expect_invalid(c, "{\"messages\":[{\"role\":\"assistant\"}]}", "messages[0].content is required unless");
    expect_invalid(c, "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"a\",\"function\":{}}]}]}",
                   "messages[0].tool_calls[0].function.name is required");
    expect_invalid(c, "{\"model\":3,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model must be a string");
    expect_invalid(c, "{\"temperature\":2.5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "temperature must be between 0 and 2");
    expect_invalid(c, "{\"temperature\":\"hot\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "temperature must be a number, not a string");
    expect_invalid(c, "{\"top_p\":-0.1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "top_p must be between 0 and 1");
    expect_invalid(c, "{\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens must be at least 1");
    expect_invalid(c, "{\"max_tokens\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens must be an integer");
    expect_invalid(c, "{\"n\":\"2\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "n must be an integer");
    expect_invalid(c, "{\"stop\":[\"a\",1],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "stop[1] must be a string");
    expect_invalid(c, "{\"presence_penalty\":3,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "presence_penalty");
    expect_invalid(c, "{\"response_format\":{\"type\":\"yaml\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "response_format.type must be one of");
    expect_invalid(c, "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                   "tools[0].function.name must not be empty");
    expect_invalid(c, "{\"tool_choice\":\"sometimes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "tool_choice must be one of");
    expect_invalid(c, "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "qwen3vl_chat_stream");
    expect_invalid(c, "{\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "stream must be a boolean");
    expect_invalid(c, "{\"messages\":[{\"role\":\"user\",\"content\":\"\xc3\x28\"}]}", "does not parse");
    expect_invalid(c, "{\"messages\":[],\"messages\":[]}", "does not parse");
    qwen3vl_client_free(c);

    /* Nothing invalid ever reached the server. */
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 0);
    json_decref(reqs);
}

/* ---- a successful call ---- */

static void test_chat_success(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"headers\":{\"X-Trace\":\"t-1\"}");
    const char *req = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
                      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\",\"detail\":\"high\"}}]}],"
                      "\"temperature\":0.2,\"max_tokens\":64,\"x_vendor_knob\":{\"a\":[1,2,{\"b\":null}]}}";
    qwen3vl_result *r = qwen3vl_chat(c, req);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_error(r), "");
    CHECK(qwen3vl_result_http_status(r) == 200);
    CHECK_STR(qwen3vl_result_text(r), "echo: What is in this picture? [image_url https://example.com/cat.png]");
    CHECK_STR(qwen3vl_result_finish_reason(r), "stop");
    CHECK(strncmp(qwen3vl_result_request_id(r), "inf-", 4) == 0);
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_PROMPT) == 11);
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_COMPLETION) > 0);
    CHECK(qwen3vl_result_tokens(r, QWEN3VL_TOKENS_TOTAL) ==
          qwen3vl_result_tokens(r, QWEN3VL_TOKENS_PROMPT) + qwen3vl_result_tokens(r, QWEN3VL_TOKENS_COMPLETION));
    CHECK(qwen3vl_result_tokens(r, 3) == -1);
    CHECK(qwen3vl_result_tokens(r, -1) == -1);
    CHECK(qwen3vl_result_attempts(r) == 1);
    CHECK(qwen3vl_result_elapsed_ms(r) > 0);
    CHECK_STR(qwen3vl_result_tool_calls_json(r), "");
    json_t *reply = json_loads(qwen3vl_result_json(r), 0, NULL);
    CHECK(reply != NULL);
    CHECK_STR(json_string_value(json_object_get(reply, "object")), "chat.completion");
    CHECK_STR(json_string_value(json_object_get(reply, "model")), "qwen3-vl-32b-instruct");
    json_decref(reply);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 1);
    CHECK_STR(request_header(reqs, 0, "authorization"), "Bearer test-key-123");
    CHECK_STR(request_header(reqs, 0, "content-type"), "application/json");
    CHECK_STR(request_header(reqs, 0, "x-trace"), "t-1");
    CHECK(strncmp(request_header(reqs, 0, "user-agent") ? request_header(reqs, 0, "user-agent") : "", "qwen3vl/0.1.0", 13) == 0);
    CHECK_CONTAINS(request_header(reqs, 0, "accept-encoding"), "gzip");
    CHECK(request_header(reqs, 0, "expect") == NULL);
    json_t *body = request_body(reqs, 0);
    CHECK_STR(json_string_value(json_object_get(body, "model")), "alibaba/qwen3-vl-32b-instruct");
    /* Unknown keys reach the server exactly as given. */
    json_t *want = json_loads("{\"a\":[1,2,{\"b\":null}]}", 0, NULL);
    CHECK(json_equal(json_object_get(body, "x_vendor_knob"), want));
    CHECK(json_real_value(json_object_get(body, "temperature")) == 0.2);
    json_decref(want);
    json_decref(body);
    json_decref(reqs);
}

static void test_model_choice(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, "\"model\":\"qwen/other\"");
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    r = qwen3vl_chat(c, "{\"model\":\"explicit/model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    json_t *b0 = request_body(reqs, 0), *b1 = request_body(reqs, 1);
    CHECK_STR(json_string_value(json_object_get(b0, "model")), "qwen/other");
    CHECK_STR(json_string_value(json_object_get(b1, "model")), "explicit/model");
    json_decref(b0);
    json_decref(b1);
    json_decref(reqs);
}

static void test_tool_calls(void) {
    qwen3vl_client *c = client_for("tools", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK_STR(qwen3vl_result_text(r), "");
    CHECK_STR(qwen3vl_result_finish_reason(r), "tool_calls");
    json_t *calls = json_loads(qwen3vl_result_tool_calls_json(r), 0, NULL);
    CHECK(json_is_array(calls) && json_array_size(calls) == 1);
    json_t *fn = json_object_get(json_array_get(calls, 0), "function");
    CHECK_STR(json_string_value(json_object_get(fn, "name")), "locate");
    CHECK_STR(json_string_value(json_object_get(fn, "arguments")), "{\"object\":\"cat\"}");
    json_decref(calls);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

/* ---- HTTP errors and retries ---- */

typedef struct { const char *scenario; const char *extra; int status; int http; int attempts; const char *needle; } error_case;

static void run_error_case(const error_case *e) {
    qwen3vl_client *c = client_for(e->scenario, new_uid(), e->extra);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, e->status);
    if (qwen3vl_result_status(r) != e->status) fprintf(stderr, "    (scenario %s)\n", e->scenario);
    CHECK(qwen3vl_result_http_status(r) == e->http);
    CHECK(qwen3vl_result_attempts(r) == e->attempts);
    CHECK_CONTAINS(qwen3vl_result_error(r), e->needle);
    if (e->status != QWEN3VL_OK) CHECK_STR(qwen3vl_result_text(r), "");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

static void test_http_errors(void) {
    static const error_case cases[] = {
        {"status:401", NULL, QWEN3VL_ERR_AUTH, 401, 1, "stand-in says 401 (type invalid_api_key, code invalid_api_key)"},
        {"status:403", NULL, QWEN3VL_ERR_AUTH, 403, 1, "HTTP 403"},
        {"flat:403", NULL, QWEN3VL_ERR_AUTH, 403, 1, "messages must be an array; model is unknown"},
        {"flat:400", NULL, QWEN3VL_ERR_BAD_REQUEST, 400, 1, "HTTP 400: messages must be an array"},
        {"status:404", NULL, QWEN3VL_ERR_BAD_REQUEST, 404, 1, "stand-in says 404"},
        {"status:422", NULL, QWEN3VL_ERR_BAD_REQUEST, 422, 1, "HTTP 422"},
        {"status:429:ra=0", NULL, QWEN3VL_ERR_RATE_LIMIT, 429, 3, "after 3 attempts"},
        {"status:500", "\"max_retries\":0", QWEN3VL_ERR_SERVER, 500, 1, "stand-in says 500"},
        {"html:502", "\"max_retries\":0", QWEN3VL_ERR_SERVER, 502, 1, "502 Bad Gateway"},
        {"status:503:ra_ms=10", "\"max_retries\":1", QWEN3VL_ERR_SERVER, 503, 2, "after 2 attempts"},
        {"status:503:ra=0,ok", NULL, QWEN3VL_OK, 200, 2, ""},
        {"status:408:ra=0,status:409:ra=0,ok", NULL, QWEN3VL_OK, 200, 3, ""},
        {"status:429:ra=0,status:429:ra=0,ok", "\"max_retries\":1", QWEN3VL_ERR_RATE_LIMIT, 429, 2, "HTTP 429"},
        {"notjson", NULL, QWEN3VL_ERR_PROTOCOL, 200, 1, "Service temporarily in maintenance mode"},
        {"noshape", NULL, QWEN3VL_ERR_PROTOCOL, 200, 1, "no choices"},
        {"error200", NULL, QWEN3VL_ERR_PROTOCOL, 200, 1, "upstream model failed"},
        {"cut", NULL, QWEN3VL_ERR_PROTOCOL, 200, 1, "cut short"},
        {"drop,ok", NULL, QWEN3VL_OK, 200, 2, ""},
        {"drop", "\"max_retries\":1", QWEN3VL_ERR_CONNECT, 0, 2, "connection lost"},
        {"gzip", NULL, QWEN3VL_OK, 200, 1, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_error_case(&cases[i]);
}

static void test_vendor_request_id(void) {
    qwen3vl_client *c = client_for("flat:400", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STR(qwen3vl_result_request_id(r), "vendor-req-123");
    CHECK_STR(qwen3vl_result_json(r), "");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

static void test_key_never_in_errors(void) {
    qwen3vl_client *c = client_for("echoauth", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_AUTH);
    CHECK(strstr(qwen3vl_result_error(r), "test-key-123") == NULL);
    CHECK_CONTAINS(qwen3vl_result_error(r), "[redacted]");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

static void test_error_body_and_headers(void) {
    /* An HTTP error keeps its body and header lines (for bindings that show them, as openai's
       APIStatusError.body and .response do), with a key the server echoed redacted. */
    qwen3vl_client *c = client_for("status:429:ra=0", new_uid(), "\"max_retries\":0");
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_RATE_LIMIT);
    size_t len = 0;
    const char *body = qwen3vl_result_error_body(r, &len);
    CHECK_STR(body, "{\"error\": {\"message\": \"stand-in says 429\", \"type\": \"rate_limit_exceeded\", "
                    "\"code\": \"rate_limit_exceeded\"}}");
    CHECK(len == strlen(body));
    CHECK_CONTAINS(qwen3vl_result_headers(r), "Retry-After: 0\n");
    CHECK_CONTAINS(qwen3vl_result_headers(r), "Content-Type: application/json\n");
    CHECK(strstr(qwen3vl_result_headers(r), "HTTP/") == NULL);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = client_for("echoauth", new_uid(), NULL);
    r = qwen3vl_chat(c, HELLO);
    CHECK_CONTAINS(qwen3vl_result_error_body(r, NULL), "Invalid key: Bearer [redacted]");
    CHECK(strstr(qwen3vl_result_error_body(r, NULL), "test-key-123") == NULL);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* A success keeps its headers only when asked; an error body never exists for it. */
    c = client_for("status:503:ra=0,ok", new_uid(), NULL);
    r = qwen3vl_chat_v2(c, HELLO, "{\"response_headers\": true}", NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(qwen3vl_result_attempts(r) == 2);
    CHECK_CONTAINS(qwen3vl_result_headers(r), "x-inference-id: inf-");
    CHECK(strstr(qwen3vl_result_headers(r), "Retry-After") == NULL); /* the failed attempt's are gone */
    CHECK_STR(qwen3vl_result_error_body(r, &len), "");
    CHECK(len == 0);
    qwen3vl_result_free(r);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STR(qwen3vl_result_headers(r), "");
    qwen3vl_result_free(r);
    r = qwen3vl_chat_v2(c, HELLO, "{\"response_headers\": 1}", NULL, NULL, NULL);
    CHECK_STATUS(r, QWEN3VL_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(qwen3vl_result_error(r), "response_headers");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    CHECK_STR(qwen3vl_result_headers(NULL), "");
    CHECK_STR(qwen3vl_result_error_body(NULL, &len), "");
}

static void test_connect_error(void) {
    qwen3vl_client *c = qwen3vl_client_new("{\"base_url\":\"http://127.0.0.1:1/v1\",\"max_retries\":1}", NULL, 0);
    double t0 = now_ms();
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_CONNECT);
    CHECK(qwen3vl_result_attempts(r) == 2);
    CHECK(qwen3vl_result_http_status(r) == 0);
    /* One backoff of 0.5 s, less up to a quarter of jitter. */
    CHECK(now_ms() - t0 >= 370);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = qwen3vl_client_new("{\"base_url\":\"https://no-such-host.invalid/v1\",\"max_retries\":0}", NULL, 0);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_CONNECT);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

/* ---- waits and timeouts ---- */

static double timed_call(const char *scenario, const char *extra, int want, const char *needle) {
    qwen3vl_client *c = client_for(scenario, new_uid(), extra);
    double t0 = now_ms();
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    double took = now_ms() - t0;
    CHECK_STATUS(r, want);
    if (needle) CHECK_CONTAINS(qwen3vl_result_error(r), needle);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    return took;
}

static void test_retry_after(void) {
    double took = timed_call("status:429:ra=1,ok", NULL, QWEN3VL_OK, NULL);
    CHECK(took >= 950);
    took = timed_call("status:503:ra_ms=300,ok", NULL, QWEN3VL_OK, NULL);
    CHECK(took >= 290 && took < 1500 * t_slow);
    /* retry-after-ms wins over Retry-After. */
    took = timed_call("status:429:ra=30:ra_ms=100,ok", NULL, QWEN3VL_OK, NULL);
    CHECK(took < 2000 * t_slow);
    /* Longer than 60 s is not honoured: our own backoff (0.375 .. 0.5 s) applies instead. */
    took = timed_call("status:429:ra=120,ok", NULL, QWEN3VL_OK, NULL);
    CHECK(took >= 370 && took < 2000 * t_slow);
    /* An HTTP date a second or two ahead, escaped for the URL path that carries the scenario. */
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    char date[64], encoded[192];
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    char *q = encoded + sprintf(encoded, "status:429:ra=");
    for (const char *p = date; *p; p++) q += sprintf(q, isalnum((unsigned char)*p) ? "%c" : "%%%02X", *p);
    strcpy(q, ",ok");
    took = timed_call(encoded, NULL, QWEN3VL_OK, NULL);
    CHECK(took >= 900);
    /* A wait longer than what is left of timeout_ms is not waited: the error comes at once. */
    took = timed_call("status:429:ra=5,ok", "\"timeout_ms\":2000", QWEN3VL_ERR_RATE_LIMIT, "no time left");
    CHECK(took < 1500 * t_slow);
}

static void test_timeouts(void) {
    double took = timed_call("hang:5", "\"timeout_ms\":600", QWEN3VL_ERR_TIMEOUT, "timeout_ms (600 ms)");
    CHECK(took >= 590 && took < 1500 * t_slow);
    took = timed_call("stall:5", "\"idle_timeout_ms\":300,\"timeout_ms\":10000", QWEN3VL_ERR_TIMEOUT, "idle_timeout_ms");
    CHECK(took >= 290 && took < 1800 * t_slow);
    /* A slow but steady model is not an idle stream: silence before the reply begins is allowed. */
    took = timed_call("slow:600", "\"idle_timeout_ms\":200", QWEN3VL_OK, NULL);
    CHECK(took >= 590);
}

/* ---- sizes ---- */

static void test_sizes(void) {
    qwen3vl_client *c = client_for("big:5000000", new_uid(), NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    CHECK(strlen(qwen3vl_result_text(r)) == 5000000);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    c = client_for("big:5000", new_uid(), "\"max_response_bytes\":1000");
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_TOO_LARGE);
    CHECK_CONTAINS(qwen3vl_result_error(r), "max_response_bytes");
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);

    /* Enforced while receiving: a gzip body that inflates past the limit is stopped too. */
    c = client_for("gzip", new_uid(), "\"max_response_bytes\":100");
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_ERR_TOO_LARGE);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
}

/* ---- redirects keep the key at home ---- */

static void test_redirects(void) {
    char scenario[64];
    const char *uid = new_uid();
    snprintf(scenario, sizeof scenario, "redirect:localhost%%3A%d", t_port);
    qwen3vl_client *c = client_for(scenario, uid, NULL);
    qwen3vl_result *r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 2);
    CHECK_STR(request_header(reqs, 0, "authorization"), "Bearer test-key-123");
    CHECK(request_header(reqs, 1, "authorization") == NULL);
    json_t *b = request_body(reqs, 1);
    CHECK(b != NULL); /* still a POST with its body */
    json_decref(b);
    json_decref(reqs);

    uid = new_uid();
    snprintf(scenario, sizeof scenario, "redirect:127.0.0.1%%3A%d", t_port);
    c = client_for(scenario, uid, NULL);
    r = qwen3vl_chat(c, HELLO);
    CHECK_STATUS(r, QWEN3VL_OK);
    qwen3vl_result_free(r);
    qwen3vl_client_free(c);
    reqs = server_requests(uid);
    CHECK_STR(request_header(reqs, 1, "authorization"), "Bearer test-key-123");
    json_decref(reqs);
}

/* ---- connections ---- */

static size_t distinct_ports(json_t *reqs) {
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        json_int_t p = json_integer_value(json_object_get(json_array_get(reqs, i), "client_port"));
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (json_integer_value(json_object_get(json_array_get(reqs, j), "client_port")) == p) seen = 1;
        if (!seen) n++;
    }
    return n;
}

static void test_keep_alive(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    for (int i = 0; i < 20; i++) {
        qwen3vl_result *r = qwen3vl_chat(c, HELLO);
        CHECK_STATUS(r, QWEN3VL_OK);
        qwen3vl_result_free(r);
    }
    qwen3vl_client_free(c);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == 20);
    CHECK(distinct_ports(reqs) == 1);
    json_decref(reqs);
}

enum { THREADS = 8, CALLS_PER_THREAD = 25 };

typedef struct { qwen3vl_client *client; int ok; int index; } worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char req[160];
        snprintf(req, sizeof req, "{\"messages\":[{\"role\":\"user\",\"content\":\"thread %d call %d\"}]}", a->index, i);
        char want[64];
        snprintf(want, sizeof want, "echo: thread %d call %d", a->index, i);
        qwen3vl_result *r = qwen3vl_chat(a->client, req);
        if (qwen3vl_result_status(r) == QWEN3VL_OK && strcmp(qwen3vl_result_text(r), want) == 0) a->ok++;
        qwen3vl_result_free(r);
    }
    return NULL;
}

static void test_many_threads(void) {
    const char *uid = new_uid();
    qwen3vl_client *c = client_for("ok", uid, NULL);
    pthread_t th[THREADS];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){c, 0, i};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
    }
    qwen3vl_client_free(c);
    CHECK(ok == THREADS * CALLS_PER_THREAD);
    json_t *reqs = server_requests(uid);
    CHECK(json_array_size(reqs) == THREADS * CALLS_PER_THREAD);
    /* Connections are pooled: never more than one per concurrent caller. */
    size_t ports = distinct_ports(reqs);
    CHECK(ports >= 1 && ports <= THREADS);
    json_decref(reqs);
}

int main(int argc, char **argv) {
    static const test_case tests[] = {
        {"version_and_names", test_version_and_names},
        {"client_options", test_client_options},
        {"environment_fallbacks", test_environment_fallbacks},
        {"null_arguments", test_null_arguments},
        {"request_validation", test_request_validation},
        {"chat_success", test_chat_success},
        {"model_choice", test_model_choice},
        {"tool_calls", test_tool_calls},
        {"http_errors", test_http_errors},
        {"vendor_request_id", test_vendor_request_id},
        {"key_never_in_errors", test_key_never_in_errors},
        {"error_body_and_headers", test_error_body_and_headers},
        {"connect_error", test_connect_error},
        {"retry_after", test_retry_after},
        {"timeouts", test_timeouts},
        {"sizes", test_sizes},
        {"redirects", test_redirects},
        {"keep_alive", test_keep_alive},
        {"many_threads", test_many_threads},
    };
    return RUN_TESTS("core", tests);
}
