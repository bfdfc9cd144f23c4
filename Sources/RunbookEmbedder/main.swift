// Writes a Swift file declaring `EmbeddedRunbooks.files`: file name -> Markdown text.
// Used only by the EmbedRunbooks build plugin.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: RunbookEmbedder OUTPUT.swift RUNBOOK.md...\n".utf8))
    exit(64)
}
var source = "// Generated from Runbooks/ by the EmbedRunbooks plugin. Do not edit.\n"
source += "enum EmbeddedRunbooks {\n    static let files: [String: String] = [\n"
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let text = try String(contentsOf: url, encoding: .utf8)
    // A raw string with enough #s that no sequence in the text can close it.
    var hashes = "#"
    while text.contains("\"" + hashes) { hashes += "#" }
    source += "        \"\(url.lastPathComponent)\": \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
}
source += "    ]\n}\n"
try source.write(toFile: output, atomically: true, encoding: .utf8)
