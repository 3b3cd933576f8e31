/// A model's architecture as ordered key=value pairs (`hidden=200 layers=2 activation=tanh`),
/// enough for its registry entry to rebuild it: what a checkpoint stores besides the tensors.
/// Keys and values are words without spaces or '='.
public struct ModelSpec: Sendable, Equatable, CustomStringConvertible {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) { self.key = key; self.value = value }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry]) { self.entries = entries }

    /// The value of `key`, if present.
    public subscript(key: String) -> String? { entries.first { $0.key == key }?.value }

    /// `key=value key=value`, in order.
    public var description: String { entries.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

    /// Parses `key=value` words; nil when a word has no '=' or an empty key.
    public init?(parsing text: Substring) {
        var entries: [Entry] = []
        for word in text.split(separator: " ") {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else { return nil }
            entries.append(Entry(String(word[..<eq]), String(word[word.index(after: eq)...])))
        }
        self.entries = entries
    }
}
