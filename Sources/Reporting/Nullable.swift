/// An optional record field that is always written: `null` when the value is absent.
///
/// The run record distinguishes "unknown" (`null`: the run measured nothing there) from
/// "missing" (an older record, or a field that does not apply, left out). Plain optionals use
/// the second convention, as Swift's synthesized `Codable` does; a field declared
/// `@Nullable var x: T?` uses the first, so no hand-written `encode(to:)` can forget a line.
/// Decoding accepts both `null` and a missing key.
@propertyWrapper
public struct Nullable<Value> {
    public var wrappedValue: Value?
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    public init() { wrappedValue = nil }
}

extension Nullable: Equatable where Value: Equatable {}
extension Nullable: Sendable where Value: Sendable {}

extension Nullable: Encodable where Value: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension Nullable: Decodable where Value: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }
}

extension KeyedDecodingContainer {
    /// A missing key decodes as `nil` (synthesized decoding would otherwise require the key).
    public func decode<Value: Decodable>(_ type: Nullable<Value>.Type, forKey key: Key) throws -> Nullable<Value> {
        Nullable(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
