import Foundation

/// Progress on standard error: a redrawn bar on a terminal, one line per stage otherwise
/// (so logs and CI output stay readable). Results never go here.
public final class ProgressReporter: @unchecked Sendable {
    private let isTerminal: Bool
    private let enabled: Bool
    private let lock = NSLock()
    private var stage = ""
    private var lastDrawn = -1

    public init(enabled: Bool = true) {
        self.enabled = enabled
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    /// Starts a stage: prints its name (and ends any bar in progress).
    public func begin(_ name: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if isTerminal && lastDrawn >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        stage = name
        lastDrawn = -1
        if !isTerminal { FileHandle.standardError.write(Data("[gfn-compare] \(name)…\n".utf8)) }
    }

    /// Updates the current stage's completed fraction (drawn only on a terminal), with an
    /// optional detail after the bar (e.g. iteration, loss, time left).
    public func update(_ fraction: Double, detail: String? = nil) {
        guard enabled, isTerminal else { return }
        lock.lock(); defer { lock.unlock() }
        let pct = Int((max(0, min(1, fraction)) * 100).rounded(.down))
        guard pct != lastDrawn else { return }
        lastDrawn = pct
        let width = 30
        let filled = pct * width / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(stage) [\(bar)] \(pct)%\(detail.map { " " + $0 } ?? "")".utf8))
    }

    /// A one-off line within the current stage (an estimate, a notice).
    public func note(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(stage): \(text)\n".utf8))
            lastDrawn = -1
        } else {
            FileHandle.standardError.write(Data("[gfn-compare] \(stage): \(text)\n".utf8))
        }
    }

    /// Ends the current stage with a short result.
    public func end(_ detail: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(stage): \(detail)\n".utf8))
        } else {
            FileHandle.standardError.write(Data("[gfn-compare] \(stage): \(detail)\n".utf8))
        }
        lastDrawn = -1
    }
}
