/// Splits text into lines at "\n", accepting Windows ("\r\n") line endings.
///
/// Swift's `Character` treats "\r\n" as one grapheme, so splitting a `String` at the Character
/// "\n" does not split a CRLF file at all; this splits the Unicode scalars instead and drops
/// a "\r" before each "\n". A leading byte-order mark is dropped too. As with
/// `split(omittingEmptySubsequences: false)`, text ending in a newline gives a last empty line.
public enum TextLines {
    public static func split(_ text: String) -> [Substring] {
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        return scalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            Substring(line.last == "\r" ? line.dropLast() : line)
        }
    }
}
