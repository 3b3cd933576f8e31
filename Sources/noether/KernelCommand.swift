import ArgumentParser
import Foundation
import REPL

/// `noether kernel install` and `noether kernel serve`: Noether as a Jupyter kernel.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel", abstract: "Noether as a Jupyter kernel (JupyterLab, Notebook, jupyter console, nbclient).",
        subcommands: [KernelInstall.self, KernelServe.self])
}

struct KernelServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve one session over JSON lines on standard input and output (what the kernel runs).")

    func run() throws { KernelServer().run() }
}

struct KernelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Register the Noether kernel with Jupyter (for this user by default).",
        discussion: "The kernel is a thin Python wrapper over ipykernel that drives this noether binary; the Python it runs with must have ipykernel (python3 -m pip install ipykernel).")

    @Flag(help: "Install for this user (the default): $JUPYTER_DATA_DIR, else ~/.local/share/jupyter.") var user = false
    @Flag(help: "Install into the Python environment's prefix (a virtual environment's share/jupyter).") var sysPrefix = false
    @Option(help: ArgumentHelp("Install into DIR/share/jupyter/kernels.", valueName: "DIR")) var prefix: String?
    @Option(help: ArgumentHelp("The Python that runs the kernel (default: the active virtual environment's, else python3).", valueName: "PATH")) var python: String?
    @Option(help: "The kernel's name.") var name = "noether"
    @Option(help: "The name Jupyter shows.") var displayName = "Noether"

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw CommandFailure(description: "--user, --sys-prefix and --prefix each say where to install; give one")
        }
        guard name.range(of: "^[a-zA-Z0-9._-]+$", options: .regularExpression) != nil else {
            throw CommandFailure(description: "--name takes letters, digits, '.', '_' and '-' only (Jupyter's rule for kernel names), not '\(name)'")
        }
    }

    func run() throws {
        let python = try findPython()
        let base: String
        if let prefix {
            base = URL(fileURLWithPath: prefix).standardizedFileURL.path + "/share/jupyter"
        } else if sysPrefix {
            base = try KernelInstall.output(python, ["-c", "import sys; print(sys.prefix)"]) + "/share/jupyter"
        } else {
            let environment = ProcessInfo.processInfo.environment
            base = environment["JUPYTER_DATA_DIR"]
                ?? (environment["XDG_DATA_HOME"].map { $0 + "/jupyter" } ?? NSHomeDirectory() + "/.local/share/jupyter")
        }
        let directory = base + "/kernels/" + name
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let spec: [String: Any] = [
            "argv": [python, directory + "/noether_kernel.py", "-f", "{connection_file}"],
            "display_name": displayName,
            "language": "noether",
            "interrupt_mode": "signal",
            "env": ["NOETHER_EXECUTABLE": executable],
            "metadata": ["debugger": false],
        ]
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let json = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try json.write(to: URL(fileURLWithPath: directory + "/kernel.json"))
            try Data(KernelWrapper.source.utf8).write(to: URL(fileURLWithPath: directory + "/noether_kernel.py"))
        } catch {
            throw CommandFailure(description: "could not write the kernel spec to \(directory): \(error.localizedDescription)")
        }
        print("installed the Jupyter kernel '\(name)' in \(directory)")
        print("  python: \(python) (with ipykernel); noether: \(executable)")
    }

    /// The Python to run the kernel with, checked to have ipykernel.
    func findPython() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let candidate = python ?? environment["VIRTUAL_ENV"].map { $0 + "/bin/python" } ?? KernelInstall.onPath("python3")
        guard let candidate, FileManager.default.isExecutableFile(atPath: candidate) else {
            throw CommandFailure(description: "no Python found\(python.map { " at \($0)" } ?? " (python3 is not on PATH)"); install python3 and ipykernel, or pass --python PATH")
        }
        let absolute = URL(fileURLWithPath: candidate).standardizedFileURL.path
        do { _ = try KernelInstall.output(absolute, ["-c", "import ipykernel"]) } catch {
            throw CommandFailure(description: "\(absolute) has no ipykernel, which the kernel needs: install it (\(absolute) -m pip install ipykernel, or Debian's python3-ipykernel), or pass --python with a Python that has it")
        }
        return absolute
    }

    static func onPath(_ program: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The trimmed standard output of a program that must succeed.
    static func output(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailure(description: "\(program) \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
