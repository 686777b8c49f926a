import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The thread that prepares a client's non-blocking calls whose preparation is slow: those with
/// images to resize (decoded and encoded anew: tens of milliseconds of CPU per photo), and large
/// requests (parsing and checking a data URI of megabytes takes about as long). Neither the host's
/// thread (qwen3vl_call_start returns at once) nor the I/O thread (which would stall every other
/// transfer of the client meanwhile) may run that. Started with the first such call, so a client
/// that sends only small requests has no such thread; calls are prepared one at a time, in order.
final class Preparer: @unchecked Sendable {
    /// Requests this large and more are parsed here: a smaller one takes well under a millisecond,
    /// less than handing it over would cost the host's thread.
    static let largeRequest = 64 << 10

    /// Whether a call's preparation belongs here: a large request, or one that may have images
    /// while resizing is on (told without parsing it, see ``MediaInliner/mayHaveMedia(_:)``).
    static func takes(_ request: UnsafeRawBufferPointer, resizing: Bool) -> Bool {
        request.count >= largeRequest || (resizing && MediaInliner.mayHaveMedia(request))
    }

    /// A call waiting to be prepared: its own copy of the request (the host's is borrowed only for
    /// qwen3vl_call_start) and its options.
    struct Job {
        let call: AsyncCall
        let request: Bytes
        let options: CallOptions
        let start: UInt64
    }

    private let lock = ConditionLock()
    /// Few wait at a time (each takes tens of milliseconds), so a plain array serves as the queue.
    private var jobs: [Job] = []
    private var thread: pthread_t?
    private var stopped = false
    /// Read by a preparation in progress, between its stages, so that shutdown need not wait for it.
    private let stopping = Atomic<Bool>(false)
    private let prepare: (Job) -> Void

    /// `prepare` runs on the thread, for each job in turn.
    init(prepare: @escaping (Job) -> Void) { self.prepare = prepare }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Queues a job, starting the thread if this is the first; false once stopped or when the thread
    /// cannot be started.
    func submit(_ job: Job) -> Bool {
        lock.withLock {
            guard !stopped, thread != nil || startThread() else { return false }
            jobs.append(job)
            lock.broadcast()
            return true
        }
    }

    /// Stops the thread (a preparation in progress stops at its next stage), joins it, and returns
    /// the jobs it never began. Idempotent; never called on the thread itself.
    func shutdown() -> [Job] {
        stopping.store(true, ordering: .releasing)
        let t: pthread_t? = lock.withLock {
            stopped = true
            lock.broadcast()
            defer { thread = nil }
            return thread
        }
        if let t { pthread_join(t, nil) }
        return lock.withLock {
            defer { jobs.removeAll() }
            return jobs
        }
    }

    private func startThread() -> Bool {
        thread = LibraryThread.start(self)
        return thread != nil
    }

    private func loop() {
        while let job = next() { prepare(job) }
    }

    /// The next job, waiting for one; nil once stopped.
    private func next() -> Job? {
        lock.withLock {
            while !stopped && jobs.isEmpty { lock.wait() }
            guard !stopped else { return nil }
            return jobs.removeFirst()
        }
    }
}

extension Preparer: LibraryThreadBody {
    func runThread() { loop() }
}
