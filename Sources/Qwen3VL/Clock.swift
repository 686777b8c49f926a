#if canImport(Glibc)
import Glibc
#endif

/// Monotonic and wall-clock time without Foundation.
enum Clock {
    /// Monotonic nanoseconds: for deadlines and durations.
    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(max(0, ts.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, ts.tv_nsec))
    }

    /// CPU nanoseconds the calling thread has used: for what a step of a call costs.
    static func threadCPUNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(max(0, ts.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, ts.tv_nsec))
    }

    /// Seconds since the epoch: for HTTP dates.
    static func epochSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// Milliseconds from now until `deadline`, 0 if it has passed.
    static func msUntil(_ deadlineNs: UInt64) -> Int64 {
        let now = nowNs()
        return deadlineNs > now ? Int64((deadlineNs - now) / 1_000_000) : 0
    }

    /// `now + ms`, saturating instead of overflowing.
    static func deadline(afterMs ms: Int64) -> UInt64 {
        let (d, o) = UInt64(max(0, ms)).multipliedReportingOverflow(by: 1_000_000)
        let (sum, o2) = nowNs().addingReportingOverflow(d)
        return o || o2 ? UInt64.max : sum
    }
}
