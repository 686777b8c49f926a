package qwen3vl_test

// The package against the stand-in server (Tests/server/stand_in.py), its port in STAND_IN_PORT.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qwen3vl"
)

const hello = `{"messages": [{"role": "user", "content": "Hello there"}]}`

var uid int64

func clientFor(t *testing.T, scenario string) *qwen3vl.Client {
	t.Helper()
	port := os.Getenv("STAND_IN_PORT")
	if port == "" {
		t.Fatal("STAND_IN_PORT is not set (source scripts/stand-in.sh)")
	}
	opts := fmt.Sprintf(`{"api_key": "k", "max_retries": 0, "base_url": "http://127.0.0.1:%s/s/%s/go%d-%d/v1"}`,
		port, scenario, os.Getpid(), atomic.AddInt64(&uid, 1))
	c, err := qwen3vl.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func asError(t *testing.T, err error) *qwen3vl.Error {
	t.Helper()
	var e *qwen3vl.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *qwen3vl.Error", err, err)
	}
	return e
}

func TestChat(t *testing.T) {
	c := clientFor(t, "ok")
	r, err := c.Chat(context.Background(), hello)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "echo: Hello there" || r.FinishReason != "stop" || r.HTTPStatus != 200 || r.Attempts != 1 {
		t.Fatalf("reply %+v", r)
	}
	if !strings.HasPrefix(r.RequestID, "inf-") || r.Usage.PromptTokens != 11 || r.Usage.TotalTokens <= r.Usage.CompletionTokens {
		t.Fatalf("request id %q, usage %+v", r.RequestID, r.Usage)
	}
	if !strings.Contains(r.JSON, `"chat.completion"`) || r.ToolCalls != nil || r.Elapsed <= 0 {
		t.Fatalf("json %q, tool calls %s, elapsed %v", r.JSON, r.ToolCalls, r.Elapsed)
	}
}

func TestRequestAsGoValue(t *testing.T) {
	c := clientFor(t, "ok")
	for _, req := range []any{
		map[string]any{"messages": []map[string]any{{"role": "user", "content": `say "hi" \ ☃`}}},
		struct {
			Messages []map[string]string `json:"messages"`
		}{[]map[string]string{{"role": "user", "content": `say "hi" \ ☃`}}},
		[]byte(`{"messages": [{"role": "user", "content": "say \"hi\" \\ ☃"}]}`),
	} {
		r, err := c.Chat(context.Background(), req)
		if err != nil || r.Text != `echo: say "hi" \ ☃` {
			t.Fatalf("%T: %v, %+v", req, err, r)
		}
	}
	_, err := c.Chat(context.Background(), map[string]any{"bad": make(chan int)})
	if e := asError(t, err); e.Status != qwen3vl.StatusInvalidRequest {
		t.Fatal(e)
	}
}

func TestHTTPError(t *testing.T) {
	_, err := clientFor(t, "status:401").Chat(context.Background(), hello)
	e := asError(t, err)
	if e.Status != qwen3vl.StatusAuth || e.HTTPStatus != 401 || !strings.Contains(e.Message, "stand-in says 401") {
		t.Fatalf("%+v", e)
	}
	if err.Error() != "QWEN3VL_ERR_AUTH: "+e.Message || errors.Unwrap(err) != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	_, err := qwen3vl.NewClient(`{"timeout_ms": "soon"}`)
	if e := asError(t, err); e.Status != qwen3vl.StatusInvalidArgument || !strings.Contains(e.Message, "timeout_ms") {
		t.Fatal(e)
	}
	c := clientFor(t, "ok")
	_, err = c.Chat(context.Background(), `{"messages": [{"role": "user", "content": 5}]}`)
	if e := asError(t, err); e.Status != qwen3vl.StatusInvalidRequest || !strings.Contains(e.Message, "messages[0].content") {
		t.Fatal(e)
	}
	_, err = c.Chat(context.Background(), "{\"messages\": \x00}")
	if e := asError(t, err); e.Status != qwen3vl.StatusInvalidArgument || !strings.Contains(e.Message, "NUL") {
		t.Fatal(e)
	}
}

func TestStream(t *testing.T) {
	c := clientFor(t, "sse")
	var seen strings.Builder
	chunks := 0
	r, err := c.Stream(context.Background(), hello, func(delta string) bool {
		seen.WriteString(delta)
		chunks++
		return true
	})
	if err != nil || r.Text != "echo: Hello there" || seen.String() != r.Text || chunks < 10 {
		t.Fatalf("%v %+v %q %d", err, r, seen.String(), chunks)
	}
	seen.Reset()
	_, err = c.Stream(context.Background(), hello, func(delta string) bool {
		seen.WriteString(delta)
		return seen.Len() < 4
	})
	if e := asError(t, err); e.Status != qwen3vl.StatusCancelled || seen.String() != "echo" {
		t.Fatal(e, seen.String())
	}
}

func TestPanicInCallbackGoesOnAfterTheCall(t *testing.T) {
	c := clientFor(t, "sse")
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v", v)
			}
		}()
		c.Stream(context.Background(), hello, func(delta string) bool {
			if delta == "o" {
				panic("boom")
			}
			return true
		})
		t.Fatal("Stream returned")
	}()
	if r, err := c.Stream(context.Background(), hello, func(string) bool { return true }); err != nil || r.Text != "echo: Hello there" {
		t.Fatal(err)
	}
}

func TestContextCancels(t *testing.T) {
	c := clientFor(t, "slow:3000")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	t0 := time.Now()
	_, err := c.Chat(ctx, hello)
	if e := asError(t, err); e.Status != qwen3vl.StatusCancelled || !errors.Is(err, context.Canceled) || time.Since(t0) > 1500*time.Millisecond {
		t.Fatal(e, time.Since(t0))
	}
	// A deadline, and a context already over: no request is sent.
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.Stream(ctx, hello, func(string) bool { return true })
	if !errors.Is(err, context.DeadlineExceeded) || asError(t, err).Status != qwen3vl.StatusCancelled {
		t.Fatal(err)
	}
	_, err = c.Chat(ctx, hello)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
}

func TestManyGoroutines(t *testing.T) {
	c := clientFor(t, "ok")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				want := fmt.Sprintf("g%d c%d", g, i)
				r, err := c.Chat(context.Background(), map[string]any{"messages": []any{map[string]any{"role": "user", "content": want}}})
				if err == nil && r.Text != "echo: "+want {
					err = fmt.Errorf("got %q", r.Text)
				}
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseCancelsCallsInFlight(t *testing.T) {
	c := clientFor(t, "slow:3000")
	done := make(chan error)
	go func() {
		_, err := c.Chat(context.Background(), hello)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	t0 := time.Now()
	c.Close()
	if e := asError(t, <-done); e.Status != qwen3vl.StatusCancelled || time.Since(t0) > 1500*time.Millisecond {
		t.Fatal(e)
	}
	_, err := c.Chat(context.Background(), hello)
	if e := asError(t, err); e.Status != qwen3vl.StatusInvalidArgument || !strings.Contains(e.Message, "closed") {
		t.Fatal(e)
	}
	c.Close()
	if qwen3vl.Version() != "0.1.0" || qwen3vl.StatusTimeout.String() != "QWEN3VL_ERR_TIMEOUT" {
		t.Fatal(qwen3vl.Version())
	}
}
