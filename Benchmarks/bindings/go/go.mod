module bench

go 1.19

require qwen3vl v0.0.0

replace qwen3vl => ../../../bindings/go
