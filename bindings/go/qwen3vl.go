// Package qwen3vl calls Qwen3-VL through libqwen3vl, over any OpenAI-compatible chat-completions
// endpoint (the AI/ML API by default).
//
//	c, err := qwen3vl.NewClient(`{"timeout_ms": 60000}`)
//	r, err := c.Chat(ctx, `{"messages": [{"role": "user", "content": "Hello"}]}`)
//	fmt.Println(r.Text)
//
// A request is JSON text (a string, []byte or json.RawMessage) or any value encoding/json turns
// into the request object, such as a map[string]any. Cancelling the context cancels the call.
// Every error the package returns is a *Error (use errors.As).
package qwen3vl

/*
#cgo pkg-config: qwen3vl
#include <stdint.h>
#include <stdlib.h>
#include <qwen3vl.h>

qwen3vl_result *qwen3vl_go_chat(qwen3vl_client *client, const char *request_json, const char *call_options_json,
                                qwen3vl_cancel *cancel, uintptr_t stream);
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Status is one of the library's status codes (QWEN3VL_OK, QWEN3VL_ERR_*).
type Status int

// The status codes, as qwen3vl.h defines them.
const (
	StatusOK              Status = C.QWEN3VL_OK
	StatusInvalidArgument Status = C.QWEN3VL_ERR_INVALID_ARGUMENT
	StatusInvalidRequest  Status = C.QWEN3VL_ERR_INVALID_REQUEST
	StatusFile            Status = C.QWEN3VL_ERR_FILE
	StatusConnect         Status = C.QWEN3VL_ERR_CONNECT
	StatusTimeout         Status = C.QWEN3VL_ERR_TIMEOUT
	StatusAuth            Status = C.QWEN3VL_ERR_AUTH
	StatusRateLimit       Status = C.QWEN3VL_ERR_RATE_LIMIT
	StatusBadRequest      Status = C.QWEN3VL_ERR_BAD_REQUEST
	StatusServer          Status = C.QWEN3VL_ERR_SERVER
	StatusProtocol        Status = C.QWEN3VL_ERR_PROTOCOL
	StatusTooLarge        Status = C.QWEN3VL_ERR_TOO_LARGE
	StatusCancelled       Status = C.QWEN3VL_ERR_CANCELLED
	StatusInternal        Status = C.QWEN3VL_ERR_INTERNAL
)

// String gives the code's name, e.g. "QWEN3VL_ERR_TIMEOUT".
func (s Status) String() string { return C.GoString(C.qwen3vl_status_name(C.int(s))) }

// Version is the library's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.qwen3vl_version()) }

// Error is a failed call or refused options: the library's status code and message, and for calls
// the last HTTP status (0 if none) and the server's request id ("" if none). When the call's
// context ended it, Status is StatusCancelled and errors.Is(err, ctx.Err()) holds.
type Error struct {
	Status     Status
	Message    string
	HTTPStatus int
	RequestID  string
	cause      error
}

func (e *Error) Error() string { return e.Status.String() + ": " + e.Message }

// Unwrap gives the context's error when the context ended the call.
func (e *Error) Unwrap() error { return e.cause }

// Usage counts a reply's tokens; -1 where the server gave no count.
type Usage struct {
	PromptTokens     int64
	CompletionTokens int64
	TotalTokens      int64
}

// Reply is a successful call's outcome (a stream's, assembled as if it had not been streamed).
type Reply struct {
	Text         string
	FinishReason string // "stop", "length", "tool_calls", ...
	RequestID    string // x-inference-id / x-request-id, else the reply's id
	Usage        Usage
	JSON         string          // the whole chat.completion object
	ToolCalls    json.RawMessage // the tool calls as a JSON array; nil if none
	HTTPStatus   int
	Attempts     int // HTTP attempts, retries included
	Elapsed      time.Duration
}

// Client is a connection pool and its settings. Any number of goroutines may use it at once.
type Client struct {
	mu       sync.Mutex
	idle     sync.Cond
	raw      *C.qwen3vl_client // nil once closed
	inflight map[*C.qwen3vl_cancel]struct{}
}

// NewClient makes a client. optionsJSON is "" (all defaults: the key from AIML_API_KEY, the base
// URL from AIML_API_BASE or the AI/ML API) or a JSON object of options (timeout_ms, base_url,
// max_retries, ...; see qwen3vl.h); an unknown key or a bad value is an error naming it.
func NewClient(optionsJSON string) (*Client, error) {
	var opts *C.char
	if optionsJSON != "" {
		if strings.IndexByte(optionsJSON, 0) >= 0 {
			return nil, &Error{Status: StatusInvalidArgument, Message: "options contain a NUL byte"}
		}
		opts = C.CString(optionsJSON)
		defer C.free(unsafe.Pointer(opts))
	}
	var errbuf [512]C.char
	raw := C.qwen3vl_client_new(opts, &errbuf[0], C.size_t(len(errbuf)))
	if raw == nil {
		return nil, &Error{Status: StatusInvalidArgument, Message: C.GoString(&errbuf[0])}
	}
	c := &Client{raw: raw, inflight: map[*C.qwen3vl_cancel]struct{}{}}
	c.idle.L = &c.mu
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close cancels the calls in flight, waits for them to return (about 100 ms at most) and frees
// the client. Calls made afterwards fail with StatusInvalidArgument. Closing twice is fine.
func (c *Client) Close() error {
	c.mu.Lock()
	raw := c.raw
	c.raw = nil
	for tok := range c.inflight {
		C.qwen3vl_cancel_trigger(tok)
	}
	for len(c.inflight) > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
	if raw != nil {
		C.qwen3vl_client_free(raw)
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Chat sends a chat-completions request and waits for the whole reply.
func (c *Client) Chat(ctx context.Context, request any) (*Reply, error) {
	return c.call(ctx, request, nil)
}

// Stream streams the reply: onDelta gets each piece of text as it arrives (on the calling
// goroutine) and returns false to stop the call, which then fails with StatusCancelled. Returns
// the whole reply, assembled. A panic in onDelta stops the call and goes on once it has returned.
func (c *Client) Stream(ctx context.Context, request any, onDelta func(delta string) bool) (*Reply, error) {
	if onDelta == nil {
		return nil, &Error{Status: StatusInvalidArgument, Message: "onDelta is nil"}
	}
	return c.call(ctx, request, onDelta)
}

// requestJSON turns a request into JSON text: text as it is, anything else through encoding/json.
func requestJSON(request any) (string, error) {
	var s string
	switch r := request.(type) {
	case string:
		s = r
	case []byte:
		s = string(r)
	case json.RawMessage:
		s = string(r)
	default:
		b, err := json.Marshal(r)
		if err != nil {
			return "", &Error{Status: StatusInvalidRequest, Message: "the request does not encode as JSON: " + err.Error(), cause: err}
		}
		s = string(b)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", &Error{Status: StatusInvalidArgument, Message: "the request contains a NUL byte"}
	}
	return s, nil
}

// begin registers a call's cancellation token, so that Close can stop the call and wait for it.
func (c *Client) begin() (*C.qwen3vl_client, *C.qwen3vl_cancel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw == nil {
		return nil, nil, &Error{Status: StatusInvalidArgument, Message: "the client is closed"}
	}
	tok := C.qwen3vl_cancel_new()
	if tok == nil {
		return nil, nil, &Error{Status: StatusInternal, Message: "out of memory"}
	}
	c.inflight[tok] = struct{}{}
	return c.raw, tok, nil
}

func (c *Client) end(tok *C.qwen3vl_cancel) {
	c.mu.Lock()
	delete(c.inflight, tok)
	if len(c.inflight) == 0 {
		c.idle.Broadcast()
	}
	c.mu.Unlock()
	C.qwen3vl_cancel_free(tok)
}

// streamState is what goDelta reaches through the call's user_data: the caller's function, and a
// panic it raised (carried over the C library's frames, raised again once the call returned).
type streamState struct {
	onDelta  func(string) bool
	panicked bool
	panicVal any
}

//export goDelta
func goDelta(text *C.char, n C.size_t, _ *C.char, userData unsafe.Pointer) (stop C.int) {
	s := cgo.Handle(userData).Value().(*streamState)
	defer func() {
		if v := recover(); v != nil {
			s.panicked, s.panicVal, stop = true, v, 1
		}
	}()
	if s.onDelta(C.GoStringN(text, C.int(n))) {
		return 0
	}
	return 1
}

func (c *Client) call(ctx context.Context, request any, onDelta func(string) bool) (*Reply, error) {
	req, err := requestJSON(request)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Status: StatusCancelled, Message: "the context ended before the call: " + err.Error(), cause: err}
	}
	raw, tok, err := c.begin()
	if err != nil {
		return nil, err
	}
	defer c.end(tok)
	if done := ctx.Done(); done != nil {
		returned := make(chan struct{})
		defer close(returned)
		go func() {
			select {
			case <-done:
				C.qwen3vl_cancel_trigger(tok)
			case <-returned:
			}
		}()
	}
	creq := C.CString(req)
	defer C.free(unsafe.Pointer(creq))
	var state *streamState
	var handle C.uintptr_t
	if onDelta != nil {
		state = &streamState{onDelta: onDelta}
		h := cgo.NewHandle(state)
		defer h.Delete()
		handle = C.uintptr_t(h)
	}
	r := C.qwen3vl_go_chat(raw, creq, nil, tok, handle)
	if r == nil {
		return nil, &Error{Status: StatusInternal, Message: "out of memory"}
	}
	defer C.qwen3vl_result_free(r)
	if state != nil && state.panicked {
		panic(state.panicVal)
	}
	return replyOf(ctx, r)
}

func replyOf(ctx context.Context, r *C.qwen3vl_result) (*Reply, error) {
	status := Status(C.qwen3vl_result_status(r))
	requestID := C.GoString(C.qwen3vl_result_request_id(r))
	httpStatus := int(C.qwen3vl_result_http_status(r))
	if status != StatusOK {
		e := &Error{Status: status, Message: C.GoString(C.qwen3vl_result_error(r)), HTTPStatus: httpStatus, RequestID: requestID}
		if status == StatusCancelled {
			e.cause = ctx.Err()
		}
		return nil, e
	}
	reply := &Reply{
		Text:         C.GoStringN(C.qwen3vl_result_text(r), C.int(C.qwen3vl_result_text_len(r))),
		FinishReason: C.GoString(C.qwen3vl_result_finish_reason(r)),
		RequestID:    requestID,
		Usage: Usage{
			PromptTokens:     int64(C.qwen3vl_result_tokens(r, C.QWEN3VL_TOKENS_PROMPT)),
			CompletionTokens: int64(C.qwen3vl_result_tokens(r, C.QWEN3VL_TOKENS_COMPLETION)),
			TotalTokens:      int64(C.qwen3vl_result_tokens(r, C.QWEN3VL_TOKENS_TOTAL)),
		},
		JSON:       C.GoString(C.qwen3vl_result_json(r)),
		HTTPStatus: httpStatus,
		Attempts:   int(C.qwen3vl_result_attempts(r)),
		Elapsed:    time.Duration(float64(C.qwen3vl_result_elapsed_ms(r)) * float64(time.Millisecond)),
	}
	if calls := C.GoString(C.qwen3vl_result_tool_calls_json(r)); calls != "" {
		reply.ToolCalls = json.RawMessage(calls)
	}
	return reply, nil
}
