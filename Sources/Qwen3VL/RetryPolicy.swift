#if canImport(Glibc)
import Glibc
#endif

/// Which failures are retried and how long to wait before the next attempt.
public enum RetryPolicy {
    /// Server-suggested waits longer than this are ignored in favour of our own backoff.
    public static let maxHonouredRetryAfterMs: Int64 = 60_000

    /// HTTP statuses worth another attempt: 408, 409, 429 and every 5xx.
    public static func isRetryable(httpStatus: Int) -> Bool {
        httpStatus == 408 || httpStatus == 409 || httpStatus == 429 || (500...599).contains(httpStatus)
    }

    /// Exponential backoff for the retry that follows `failedAttempts` failures: 0.5 s × 2^(n-1),
    /// capped at 8 s, shortened by up to a quarter at random so that clients do not retry in step.
    /// `random` is in [0, 1).
    public static func backoffMs(failedAttempts: Int, random: Double) -> Int64 {
        let exponent = failedAttempts <= 1 ? 0 : min(failedAttempts - 1, 5)
        let base = min(500 << Int64(exponent), 8_000)
        let jitter = 1 - 0.25 * max(0, min(random, 1))
        return Int64(Double(base) * jitter)
    }

    /// The wait a server asked for, from `retry-after-ms` (milliseconds) or `Retry-After` (seconds or
    /// an HTTP date), when it is present, sane and no longer than 60 s; nil otherwise.
    public static func serverDelayMs(retryAfterMs: String?, retryAfter: String?, nowEpochSeconds: Int64) -> Int64? {
        if let s = retryAfterMs, let ms = Double(s.trimmingSpaces), ms.isFinite, ms >= 0,
           ms <= Double(maxHonouredRetryAfterMs) {
            return Int64(ms)
        }
        guard let s = retryAfter?.trimmingSpaces, !s.isEmpty else { return nil }
        if let secs = Double(s) {
            guard secs.isFinite, secs >= 0, secs * 1000 <= Double(maxHonouredRetryAfterMs) else { return nil }
            return Int64(secs * 1000)
        }
        guard let when = HTTPDate.parse(s) else { return nil }
        let delta = (when - nowEpochSeconds) * 1000
        return (0...maxHonouredRetryAfterMs).contains(delta) ? delta : (delta < 0 ? 0 : nil)
    }

    /// The wait before the next attempt: the server's, else our backoff.
    public static func delayMs(failedAttempts: Int, retryAfterMs: String?, retryAfter: String?,
                               nowEpochSeconds: Int64, random: Double) -> Int64 {
        serverDelayMs(retryAfterMs: retryAfterMs, retryAfter: retryAfter, nowEpochSeconds: nowEpochSeconds)
            ?? backoffMs(failedAttempts: failedAttempts, random: random)
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), the only date form servers send in Retry-After today:
/// "Wed, 21 Oct 2015 07:28:00 GMT".
enum HTTPDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ s: String) -> Int64? {
        let parts = s.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5].uppercased() == "GMT",
              let day = Int(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: parts[2].lowercased()),
              let year = Int(parts[3]), (1970...9999).contains(year) else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Int(hms[0]), let m = Int(hms[1]), let sec = Int(hms[2]),
              (0...23).contains(h), (0...59).contains(m), (0...60).contains(sec) else { return nil }
        return daysFromCivil(year, month + 1, day) * 86_400 + Int64(h * 3600 + m * 60 + sec)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
