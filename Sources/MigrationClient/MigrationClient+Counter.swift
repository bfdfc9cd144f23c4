import Foundation
import MigrationCore
import Synchronization

extension MigrationClient {
    /// A counter's in-memory total, spread over cache-line-padded slots so threads adding at
    /// once rarely touch the same line: adding is one uncontended atomic instruction.
    ///
    /// A counter only grows: ``add(_:)`` ignores an amount below zero rather than stop the
    /// process or poison the flush, and the next flush logs it and counts it in
    /// `client.count.refused`. Totals saturate at `Int64.max`; they never wrap.
    public final class Counter: @unchecked Sendable {
        public let name: String
        /// 64 slots, one per 64-byte line (8 atomics apart); only their atomic operations touch them.
        private let slots: UnsafeMutablePointer<Atomic<Int64>>
        private static let slotCount = 64, stride = 8
        /// How many negative amounts were ignored since the last flush; touched only then.
        private let refused = Atomic<Int64>(0)

        init(name: String) {
            self.name = name
            slots = .allocate(capacity: Self.slotCount * Self.stride)
            for i in 0..<(Self.slotCount * Self.stride) { (slots + i).initialize(to: Atomic(0)) }
        }

        deinit {
            slots.deinitialize(count: Self.slotCount * Self.stride)
            slots.deallocate()
        }

        /// Adds `amount` (1 by default); it reaches the database with the next flush.
        /// A negative amount is ignored, then logged and counted by the next flush.
        @inline(__always)
        public func add(_ amount: Int64 = 1) {
            guard amount >= 0 else {
                refused.add(1, ordering: .relaxed)
                return
            }
            let thread = UInt64(pthread_self())
            let slot = slots + Int((thread &* 0x9E37_79B9_7F4A_7C15) >> 58) * Self.stride
            let (old, new) = slot.pointee.wrappingAdd(amount, ordering: .relaxed)
            // Only non-negative amounts arrive here, so a smaller result means the slot passed Int64.max.
            if new < old { slot.pointee.store(.max, ordering: .relaxed) }
        }

        /// Takes the total added since the last take, saturating at `Int64.max`. A slot read
        /// below zero has just passed `Int64.max` (see ``add(_:)``), so it counts as `Int64.max`.
        func take() -> Int64 {
            var total: Int64 = 0
            for slot in 0..<Self.slotCount {
                let value = slots[slot * Self.stride].exchange(0, ordering: .relaxed)
                total = total.saturatingAdding(value < 0 ? .max : value)
            }
            return total
        }

        /// Takes how many negative amounts were ignored since the last take.
        func takeRefused() -> Int64 { refused.exchange(0, ordering: .relaxed) }

        var isEmpty: Bool { (0..<Self.slotCount).allSatisfy { slots[$0 * Self.stride].load(ordering: .relaxed) == 0 } }
    }
}
