import Foundation
import PackagePlugin

/// Compiles the package's top-level `Runbooks/*.md` into the target as Swift string
/// constants, so the default plan's runbooks travel inside the `migctl` binary.
@main
struct EmbedRunbooks: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "Runbooks")
        let runbooks = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedRunbooks.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(runbooks.count) runbooks",
                executable: try context.tool(named: "RunbookEmbedder").url,
                arguments: [output.path] + runbooks.map(\.path),
                inputFiles: runbooks,
                outputFiles: [output]
            ),
        ]
    }
}
