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
        pthread_cond_init(cond, nil)
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
