#if canImport(Glibc)
import Glibc
#endif

/// State behind a pthread mutex. Used instead of Synchronization.Mutex because ThreadSanitizer
/// understands pthread locks (it intercepts them), but not the statically linked, uninstrumented
/// futex code inside the Swift runtime; with this, TSan runs over the library mean something.
final class Locked<State>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&state)
    }
}
