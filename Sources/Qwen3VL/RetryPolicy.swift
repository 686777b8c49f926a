/// Which failures are retried and how long to wait before the next attempt.
enum RetryPolicy {
    /// Server-suggested waits longer than this are ignored in favour of our own backoff.
    static let maxHonouredRetryAfterMs: Int64 = 60_000

    /// HTTP statuses worth another attempt: 408, 409, 429 and every 5xx.
    static func isRetryable(httpStatus: Int) -> Bool {
        httpStatus == 408 || httpStatus == 409 || httpStatus == 429 || (500...599).contains(httpStatus)
    }

    /// Exponential backoff for the retry that follows `failedAttempts` failures: 0.5 s × 2^(n-1),
    /// capped at 8 s, shortened by up to a quarter at random so that clients do not retry in step.
    /// `random` is in [0, 1).
    static func backoffMs(failedAttempts: Int, random: Double) -> Int64 {
        let exponent = failedAttempts <= 1 ? 0 : min(failedAttempts - 1, 5)
        let base = min(500 << Int64(exponent), 8_000)
        let jitter = 1 - 0.25 * max(0, min(random, 1))
        return Int64(Double(base) * jitter)
    }

    /// The wait a server asked for, from `retry-after-ms` (milliseconds) or `Retry-After` (seconds or
    /// an HTTP date), when it is present, sane and no longer than 60 s; nil otherwise.
    static func serverDelayMs(retryAfterMs: String?, retryAfter: String?, nowEpochSeconds: Int64) -> Int64? {
        if let s = retryAfterMs, let ms = Double(trimmed(s)), ms.isFinite, ms >= 0,
            ms <= Double(maxHonouredRetryAfterMs)
        {
            return Int64(ms)
        }
        guard let s = retryAfter.map(trimmed), !s.isEmpty else { return nil }
        if let secs = Double(s) {
            guard secs.isFinite, secs >= 0, secs * 1000 <= Double(maxHonouredRetryAfterMs) else { return nil }
            return Int64(secs * 1000)
        }
        guard let when = HTTPDate.parse(s) else { return nil }
        let delta = (when - nowEpochSeconds) * 1000
        return (0...maxHonouredRetryAfterMs).contains(delta) ? delta : (delta < 0 ? 0 : nil)
    }

    /// The wait before the next attempt: the server's, else our backoff.
    static func delayMs(
        failedAttempts: Int, retryAfterMs: String?, retryAfter: String?,
        nowEpochSeconds: Int64, random: Double
    ) -> Int64 {
        serverDelayMs(retryAfterMs: retryAfterMs, retryAfter: retryAfter, nowEpochSeconds: nowEpochSeconds)
            ?? backoffMs(failedAttempts: failedAttempts, random: random)
    }

    /// `s` without the spaces and tabs HTTP allows around a header value.
    private static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let c = t.first, c == " " || c == "\t" { t.removeFirst() }
        while let c = t.last, c == " " || c == "\t" { t.removeLast() }
        return String(t)
    }
}
