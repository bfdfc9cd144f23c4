import Foundation

/// The top row: migration, database, operator and clock.
enum HeaderView {
    static func render(_ data: ConsoleData?, operatorName: String, in rect: Rect, into screen: inout Screen) {
        screen.fill(Rect(left: rect.left, top: rect.top, width: rect.width, height: 1), style: .inverse)
        let name = data?.migration.name.terminalSafe ?? "…"
        let left = " migctl · \(name) · \((data?.location ?? "").terminalSafe) · \(operatorName.terminalSafe)"
        let clock = data.map { Format.dateTime($0.now) + "Z " } ?? ""
        screen.put(left, row: rect.top, column: rect.left, style: Style(bold: true, reverse: true), maxWidth: rect.width - clock.count - 1)
        screen.put(clock, row: rect.top, column: rect.right - clock.count, style: .inverse)
    }
}
