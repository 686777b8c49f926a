// One non-streamed call at a time through the Go binding, as floor.c does it from C:
//
//	bench BASE N text|map   -> one JSON line: wall and CPU time per call
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"qwen3vl"
)

func cpu() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	c, err := qwen3vl.NewClient(fmt.Sprintf(`{"api_key": "k", "max_retries": 0, "base_url": %q}`, os.Args[1]))
	if err != nil {
		panic(err)
	}
	var request any = `{"model":"alibaba/qwen3-vl-32b-instruct","messages":[{"role":"user","content":"Describe the image."}]}`
	name := "Go (JSON text)"
	if os.Args[3] == "map" {
		name = "Go (map)"
	}
	ctx := context.Background()
	ok, t0, c0 := 0, time.Now(), cpu()
	for i := -5; i < n; i++ {
		if i == 0 {
			t0, c0 = time.Now(), cpu()
		}
		if os.Args[3] == "map" { // built per call, as a program building its requests does
			request = map[string]any{"model": "alibaba/qwen3-vl-32b-instruct",
				"messages": []any{map[string]any{"role": "user", "content": "Describe the image."}}}
		}
		r, err := c.Chat(ctx, request)
		if i >= 0 && err == nil && r.Text != "" {
			ok++
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	fmt.Printf(`{"contender":%q,"us_per_op":%.2f,"cpu_us_per_op":%.2f,"ok":%d,"n":%d}`+"\n", name, per(time.Since(t0)), per(cpu()-c0), ok, n)
}
