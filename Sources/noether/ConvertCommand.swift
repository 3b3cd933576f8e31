import ArgumentParser
import Dynamics
import Foundation
import REPL

/// `noether convert notebooks-txt/kepler.txt --to ipynb` and back with `--to txt`.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert a notebook between Noether's text form and Jupyter's .ipynb (outputs included).",
        discussion: "A text notebook (as noether run writes it: \\n line endings, a final newline) converted to .ipynb and back is identical, byte for byte; a notebook written in Jupyter becomes a text notebook that 'noether check' can check (an output line the text form cannot hold is reported).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case ipynb, txt }

    @Argument(help: "The notebook to convert.") var file: String
    @Option(help: "The format to write: ipynb or txt.") var to: Format
    @Option(name: [.short, .long], help: ArgumentHelp("Where to write (default: the file's name with the new extension).", valueName: "path")) var output: String?

    func run() throws {
        let destination = output ?? (file.hasSuffix(".ipynb") || file.hasSuffix(".txt")
            ? String(file[..<file.lastIndex(of: ".")!]) : file) + "." + to.rawValue
        guard URL(fileURLWithPath: destination).standardizedFileURL != URL(fileURLWithPath: file).standardizedFileURL else {
            throw CommandFailure(description: "\(file) is already .\(to.rawValue); give another name with --output")
        }
        let data: Data
        switch to {
        case .ipynb:
            data = Notebook(text: try readNotebook(file)).ipynb()
        case .txt:
            let source: Data
            do { source = try RegularFile.read(file) } catch { throw CommandFailure(description: "\(error)") }
            var warnings: [String] = []
            do { data = Data(try Notebook.text(fromIPYNB: source, name: file, warnings: &warnings).utf8) } catch { throw CommandFailure(description: "\(error)") }
            for w in warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        }
        do { try AtomicFile.write(data, to: destination) } catch { throw CommandFailure(description: "\(error)") }
        print("wrote \(destination)")
    }
}
