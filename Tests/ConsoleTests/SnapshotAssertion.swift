import Console
import Foundation
import Testing

/// Compares a screen with `Snapshots/NAME.txt`, as whole lines. Run with
/// `RECORD_SNAPSHOTS=1 swift test` to write the files anew after an intended change.
func assertSnapshot(_ screen: Screen, named name: String, filePath: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().appending(path: "Snapshots/\(name).txt")
    let actual = screen.lines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record(Comment(rawValue: "no snapshot \(name).txt; record it with RECORD_SNAPSHOTS=1"), sourceLocation: sourceLocation)
        return
    }
    guard actual != expected else { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    var diff: [String] = []
    for i in 0..<max(a.count, e.count) where (i < a.count ? a[i] : nil) != (i < e.count ? e[i] : nil) {
        diff.append("line \(i + 1):\n  expected |\(i < e.count ? e[i] : "")|\n  actual   |\(i < a.count ? a[i] : "")|")
    }
    let report = "screen differs from \(name).txt:\n" + diff.joined(separator: "\n")
    Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
}

/// Renders one frame at a size.
func frame(_ data: ConsoleData?, state: ConsoleState = ConsoleState(), width: Int = 80, height: Int = 24,
           glyphs: Glyphs = .unicode, problem: String? = nil) -> Screen {
    var screen = Screen(width: width, height: height, filler: "¤")
    ConsoleView.render(data: data, state: state, operatorName: "ana@ops-1", problem: problem,
                       context: RenderContext(glyphs: glyphs), into: &screen)
    return screen
}
