/// Keys that act inside a dialog besides typing, Enter and Esc: named once for the handler,
/// the dialog's text and the footer.
enum DialogKeys {
    /// Overrides what may be overridden (failing gates that allow it), after a typed reason.
    static let override = Key.character("F")
    static let overrideLabel = "F"
}
