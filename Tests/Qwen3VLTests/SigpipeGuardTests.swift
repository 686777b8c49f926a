import CQwen3VLShims
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The SIGPIPE guard: which libcurl builds get it, and that it swallows what our own writes raise.
/// (Tests/c/test_security.c shows the library's calls survive TLS resets with SIGPIPE at its default.)
@Suite struct SigpipeGuardTests {
    @Test func onlyForBuildsWhoseTLSWritesCanRaiseIt() {
        #expect(q3v_sigpipe_guard_needed(0x075800, "OpenSSL/3.0.19") == 0) // 7.88.0: its BIO sends with MSG_NOSIGNAL
        #expect(q3v_sigpipe_guard_needed(0x080b01, "OpenSSL/3.5.0") == 0)
        #expect(q3v_sigpipe_guard_needed(0x075701, "OpenSSL/3.0.7") == 1) // 7.87.1: OpenSSL writes to the socket itself
        #expect(q3v_sigpipe_guard_needed(0x080b01, "GnuTLS/3.8.9") == 1)
        #expect(q3v_sigpipe_guard_needed(0x080b01, "(OpenSSL/3.0.19) GnuTLS/3.8.9") == 1) // MultiSSL, GnuTLS chosen
        #expect(q3v_sigpipe_guard_needed(0x074a00, nil) == 0) // no TLS at all
    }

    @Test func swallowsASIGPIPERaisedWhileHeld() {
        var state = q3v_sigpipe_state()
        q3v_sigpipe_hold(&state)
        #expect(state.active == 1)
        raise(SIGPIPE) // held in this thread; at its default action it would end the process once let through
        var pending = sigset_t()
        sigpending(&pending)
        var action = sigaction()
        sigaction(SIGPIPE, nil, &action)
        // An ignored signal is never pending (SIG_IGN is handler value 1).
        let ignored = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self) == 1
        #expect(ignored || sigismember(&pending, SIGPIPE) == 1)
        q3v_sigpipe_release(&state)
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0)
        var mask = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &mask)
        #expect(sigismember(&mask, SIGPIPE) == 0) // unblocked again, as it was
    }
}
