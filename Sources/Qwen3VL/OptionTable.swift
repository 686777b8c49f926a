/// One key of an options object (the client's `options_json`, a call's `call_options_json`): its
/// name and how its JSON value sets the options. The table of keys is the one list a parser, the
/// header's documentation and the README are held to (OneSourceTests compares them).
struct OptionKey<Options>: Sendable {
    /// Sets one field of the options from a value of the key's type.
    typealias Setter<Value> = @Sendable (inout Options, Value) -> Void

    let name: String
    let apply: @Sendable (inout Options, JSONRef) throws(Qwen3VLError) -> Void

    private init(_ name: String, _ apply: @escaping @Sendable (inout Options, JSONRef) throws(Qwen3VLError) -> Void) {
        self.name = name
        self.apply = apply
    }

    /// A key whose JSON value `read` takes (nil: not the `want` the message asks for).
    private static func typed<Value>(
        _ name: String, _ want: String, _ read: @escaping @Sendable (JSONRef) -> Value?, _ set: @escaping Setter<Value>
    ) -> OptionKey {
        OptionKey(name) { (o, v) throws(Qwen3VLError) in
            guard let value = read(v) else { throw wrongType(name, want, v) }
            set(&o, value)
        }
    }

    static func string(_ name: String, _ set: @escaping Setter<String>) -> OptionKey {
        typed(name, "a string", { $0.string }, set)
    }

    static func nonEmptyString(_ name: String, _ set: @escaping Setter<String>) -> OptionKey {
        typed(name, "a non-empty string", { $0.string.flatMap { $0.isEmpty ? nil : $0 } }, set)
    }

    static func integer(_ name: String, _ set: @escaping Setter<Int64>) -> OptionKey {
        typed(name, "an integer", { $0.int }, set)
    }

    static func boolean(_ name: String, _ set: @escaping Setter<Bool>) -> OptionKey {
        typed(name, "a boolean", { $0.bool }, set)
    }

    /// A key whose value `read` parses and checks itself (its messages name the key).
    static func parsed<Value>(
        _ name: String, _ read: @escaping @Sendable (JSONRef) throws(Qwen3VLError) -> Value,
        _ set: @escaping @Sendable (inout Options, Value) -> Void
    ) -> OptionKey {
        OptionKey(name) { (o, v) throws(Qwen3VLError) in set(&o, try read(v)) }
    }

    /// An object of strings (`headers`, `query`), kept in document order.
    static func stringPairs(_ name: String, _ set: @escaping Setter<[(name: String, value: String)]>) -> OptionKey {
        OptionKey(name) { (o, v) throws(Qwen3VLError) in
            guard v.kind == .object else { throw wrongType(name, "an object of strings", v) }
            var list: [(name: String, value: String)] = []
            for (key, value) in v.members {
                guard let s = value.string else { throw wrongType("\(name).\(key)", "a string", value) }
                list.append((key, s))
            }
            set(&o, list)
        }
    }
}

private func wrongType(_ key: String, _ want: String, _ got: JSONRef) -> Qwen3VLError {
    Qwen3VLError(.invalidArgument, "option \(key) must be \(want), not \(got.kindName)")
}

extension OptionKey {
    /// Sets `options` from an options JSON object, key by key, as `keys` say; `what` names a key in
    /// messages ("option", "call option"). Duplicate and unknown keys are refused.
    static func apply(_ json: String, to options: inout Options, keys: [OptionKey], what: String) throws(Qwen3VLError) {
        let doc: JSONDocument
        switch JSONDocument.parse(json, rejectDuplicates: true) {
        case .success(let d): doc = d
        case .failure(let e): throw Qwen3VLError(.invalidArgument, "\(what)s JSON does not parse: \(e.description)")
        }
        guard doc.root.kind == .object else {
            throw Qwen3VLError(.invalidArgument, "\(what)s must be a JSON object, not \(doc.root.kindName)")
        }
        for (key, value) in doc.root.members {
            guard let option = keys.first(where: { $0.name == key }) else {
                throw Qwen3VLError(.invalidArgument, "unknown \(what) \"\(key)\"")
            }
            try option.apply(&options, value)
        }
    }
}
