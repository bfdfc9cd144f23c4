/// The deterministic, language-neutral mapping of a key to one of 10,000 buckets.
///
/// Every process of the fleet, in any language, must put a key in the same bucket,
/// or a key would flip between old and new behaviour depending on which process
/// served it. The rule is the one in the control-database contract:
///
///     bucket(salt, key) = fmix64(fnv1a64(utf8(salt + ":" + key))) mod 10000
///
/// ```swift
/// Bucketing.bucket(salt: "users-v2", key: "user-1") // 1826
/// ```
public enum Bucketing {
    /// The number of buckets; a rollout is expressed in the same unit (basis points).
    public static let bucketCount: UInt64 = 10_000

    /// The bucket (0..<10000) of `key` in the migration salted by `salt`.
    public static func bucket(salt: String, key: String) -> Int {
        var hash = FNV1a64()
        hash.combine(salt.utf8)
        hash.combine(CollectionOfOne(UInt8(ascii: ":")))
        hash.combine(key.utf8)
        return Int(fmix64(hash.value) % bucketCount)
    }

    /// A bucket function with the salt already hashed in, for hot paths that bucket many keys
    /// of one migration: `Bucketing.hasher(salt:).bucket(key)` equals `bucket(salt:key:)`.
    public static func hasher(salt: String) -> Hasher {
        var hash = FNV1a64()
        hash.combine(salt.utf8)
        hash.combine(CollectionOfOne(UInt8(ascii: ":")))
        return Hasher(seed: hash.value)
    }

    /// See ``hasher(salt:)``. A plain value: copying it costs nothing and shares nothing.
    public struct Hasher: Sendable, Equatable {
        @usableFromInline let seed: UInt64

        @usableFromInline init(seed: UInt64) { self.seed = seed }

        /// The bucket (0..<10000) of `key`.
        @inlinable
        public func bucket(_ key: String) -> Int {
            var key = key
            let value = key.withUTF8 { bytes in
                var hash = seed
                for byte in bytes {
                    hash ^= UInt64(byte)
                    hash &*= 0x0000_0100_0000_01b3
                }
                return hash
            }
            return Int(Bucketing.finalize(value) % Bucketing.bucketCount)
        }
    }

    @inlinable @inline(__always)
    static func finalize(_ value: UInt64) -> UInt64 { fmix64(value) }

    /// MurmurHash3's 64-bit finaliser: spreads FNV's weak low bits over the whole word.
    @usableFromInline
    static func fmix64(_ input: UInt64) -> UInt64 {
        var k = input
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}

/// 64-bit FNV-1a over bytes, fed incrementally so no concatenated string is built.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }
}
