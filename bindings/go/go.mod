module qwen3vl

go 1.19
