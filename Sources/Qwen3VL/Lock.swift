#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with a condition variable. Used instead of Synchronization.Mutex because
/// ThreadSanitizer understands pthread locks (it intercepts them), but not the statically linked,
/// uninstrumented futex code inside the Swift runtime; with this, TSan runs over the library mean
/// something. The condition serves state that threads wait on (a logger being swapped while other
/// threads are inside it).
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) // timed waits on the monotonic clock
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        cond.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Waits for a broadcast; only inside `withLock`.
    func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits for a broadcast until the monotonic deadline; false once it has passed.
    func wait(untilNs deadline: UInt64) -> Bool {
        guard Clock.nowNs() < deadline else { return false }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(cond, mutex, &ts) != ETIMEDOUT
    }

    func broadcast() { pthread_cond_broadcast(cond) }
}

/// State behind a ``ConditionLock``.
final class Locked<State>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var state: State

    init(_ state: State) { self.state = state }

    func withLock<R>(_ body: (inout State) -> R) -> R {
        lock.withLock { body(&state) }
    }
}
