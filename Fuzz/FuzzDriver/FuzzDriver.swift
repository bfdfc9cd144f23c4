import Foundation

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

nonisolated(unsafe) private var target: ((UnsafeBufferPointer<UInt8>) -> Void)?
#endif

/// Runs a fuzz target: under libFuzzer (built with `-sanitize=fuzzer -DFUZZING` by
/// `scripts/fuzz`) it hands the target to libFuzzer's driver with the command line;
/// built normally it replays each file or folder of files given as arguments, so the
/// corpus doubles as a regression test.
public func runFuzzTarget(_ body: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> Never {
    #if FUZZING
    target = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        target?(UnsafeBufferPointer(start: data, count: size))
        return 0
    })
    #else
    var files: [String] = []
    for argument in CommandLine.arguments.dropFirst() {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else { continue }
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
            files += names.sorted().map { "\(argument)/\($0)" }
        } else {
            files.append(argument)
        }
    }
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        data.withUnsafeBytes { body($0.bindMemory(to: UInt8.self)) }
    }
    print("replayed \(files.count) inputs without a crash")
    exit(0)
    #endif
}
