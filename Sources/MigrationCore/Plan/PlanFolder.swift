import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The folder a plan lives in: the only place its runbooks may be read from, and where its
/// command gates' relative programs are found.
///
/// Runbooks are copied into the shared database, so a runbook path that leads elsewhere
/// (`../../etc/passwd`, a symlink to `/etc/shadow`, `/proc/self/environ`) would publish
/// whatever it names. A runbook must be a regular file, inside the folder once every symlink
/// is resolved on both sides, and at most ``Limits/runbookBytes``.
///
/// ```swift
/// let folder = try PlanFolder(planFile.deletingLastPathComponent())
/// let plan = try PlanFile.parse(text, file: name, paths: folder.paths)
/// let text = try folder.readRunbook("runbooks/old-only.md")
/// ```
public struct PlanFolder: Sendable {
    /// The folder with every symlink resolved.
    public let url: URL

    /// - Throws: ``PathRefusal`` when the folder does not exist or is not a folder.
    public init(_ folder: URL) throws(PathRefusal) {
        guard let real = Self.realPath(folder.path) else {
            throw PathRefusal(path: folder.path, reason: "does not exist; check the folder")
        }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw PathRefusal(path: folder.path, reason: "is not a folder")
        }
        url = URL(fileURLWithPath: real, isDirectory: true)
    }

    /// Checks the plan's runbooks and programs against this folder.
    public var paths: PlanPaths {
        let folder = self
        return PlanPaths(checkRunbook: { path throws(PathRefusal) in _ = try folder.runbookFile(path) },
                         resolveProgram: { program throws(PathRefusal) in try folder.program(program) })
    }

    /// The text of the runbook at `path`, relative to the folder.
    ///
    /// - Throws: ``PathRefusal`` when it is missing, outside the folder, not a regular file,
    ///   too big, unreadable or not UTF-8.
    public func readRunbook(_ path: String) throws(PathRefusal) -> String {
        let file = try runbookFile(path)
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw PathRefusal(path: path, reason: "cannot be read; check its permissions")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Limits.runbookBytes + 1) ?? Data()
        } catch {
            throw PathRefusal(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard data.count <= Limits.runbookBytes else { throw Self.tooBig(path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PathRefusal(path: path, reason: "is not UTF-8 text")
        }
        return text
    }

    /// The resolved file of the runbook at `path`, once every rule holds.
    func runbookFile(_ path: String) throws(PathRefusal) -> String {
        guard Limits.fits(path, Limits.pathScalars) else {
            throw PathRefusal(path: String(path.prefix(40)) + "…", reason: "is longer than \(Limits.pathScalars) characters")
        }
        guard !path.hasPrefix("/") else {
            throw PathRefusal(path: path, reason: "is absolute; name the runbook relative to the plan's folder, inside it")
        }
        let joined = url.path + "/" + path
        guard let real = Self.realPath(joined) else {
            throw PathRefusal(path: path, reason: errno == ENOENT || errno == ENOTDIR ? PathRefusal.missingRunbook
                                                                                   : "cannot be resolved (\(String(cString: strerror(errno))))")
        }
        guard real.hasPrefix(url.path == "/" ? "/" : url.path + "/") else {
            throw PathRefusal(path: path, reason: "leads outside the plan's folder (to \(real)); runbooks must be files inside it")
        }
        var info = stat()
        guard stat(real, &info) == 0 else { throw PathRefusal(path: path, reason: PathRefusal.missingRunbook) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw PathRefusal(path: path, reason: "is not a regular file; a runbook is a Markdown file")
        }
        guard Int(info.st_size) <= Limits.runbookBytes else { throw Self.tooBig(path) }
        guard access(real, R_OK) == 0 else { throw PathRefusal(path: path, reason: "cannot be read; check its permissions") }
        return real
    }

    /// The program for a command gate's `argv[0]`: a bare name (`pg_isready`) stays a PATH
    /// lookup and an absolute path stays as written; a relative path with a slash
    /// (`./check-disk.sh`) becomes the absolute path of that file in this folder, which
    /// must exist and be executable.
    public func program(_ program: String) throws(PathRefusal) -> String {
        guard program.contains("/"), !program.hasPrefix("/") else { return program }
        let absolute = URL(fileURLWithPath: url.path + "/" + program).standardized.path
        var info = stat()
        guard stat(absolute, &info) == 0 else {
            throw PathRefusal(path: program, reason: "does not exist in the plan's folder \(url.path); relative programs are found there")
        }
        guard info.st_mode & S_IFMT == S_IFREG, access(absolute, X_OK) == 0 else {
            throw PathRefusal(path: program, reason: "is not executable (\(absolute)); make it a program with chmod +x")
        }
        return absolute
    }

    private static func tooBig(_ path: String) -> PathRefusal {
        PathRefusal(path: path, reason: "is bigger than \(Limits.bytes(Limits.runbookBytes)); a runbook is at most that")
    }

    /// The path with every symlink, `.` and `..` resolved, or nil (with `errno` set).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
