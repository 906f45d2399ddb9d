import ArgumentParser
import Foundation
import GFNCore

// One clear line for every error, never a trap or a stack trace:
// exit 2 for usage errors (bad flags or values), 1 for runtime failures.
Interruption.install()
Interruption.startWatchdog()
ProcessTies.dieWithParentIfAsked()
do {
    var command = try GFNCompare.parseAsRoot()
    try command.run()
} catch let error as GFNError {
    FileHandle.standardError.write(Data("gfn-compare: error: \(error.description)\n".utf8))
    switch error {
    case .invalidInput: exit(2)
    case .runtime: exit(1)
    case .interrupted: exit(130)
    }
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let code = GFNCompare.exitCode(for: error)
    if code == .success {
        GFNCompare.exit(withError: error)  // --help, --version
    }
    let message = GFNCompare.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    FileHandle.standardError.write(Data("gfn-compare: error: \(message) (see 'gfn-compare --help')\n".utf8))
    exit(code == .validationFailure ? 2 : code.rawValue)
}
