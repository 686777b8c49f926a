import Testing
@testable import Qwen3VL
