/// Slicing and concatenation along one axis. A shape is seen as (outer, axis, inner): the
/// elements before the axis, along it, and after it, so every case is a copy of contiguous
/// runs of `inner` values.
extension Tensor {
    func split(at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        precondition((0..<rank).contains(axis), "axis \(axis) of a rank-\(rank) tensor \(shape)")
        return (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// The elements with index in `range` along `axis` (the axis keeps its place).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let (outer, length, inner) = split(at: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= length, "slice \(range) of axis \(axis) with length \(length)")
        var out = [Double]()
        out.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer {
            let start = (o * length + range.lowerBound) * inner
            out.append(contentsOf: storage[start..<(start + range.count * inner)])
        }
        var newShape = shape
        newShape[axis] = range.count
        return Tensor(shape: newShape, storage: out)
    }

    /// Tensors joined along `axis`; all other dimensions must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let first = parts[0]
        for p in parts {
            precondition(p.rank == first.rank && (0..<p.rank).allSatisfy { $0 == axis || p.shape[$0] == first.shape[$0] },
                         "cannot concatenate \(first.shape) and \(p.shape) along axis \(axis)")
        }
        let (outer, _, inner) = first.split(at: axis)
        var out = [Double]()
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for o in 0..<outer {
            for p in parts {
                let run = p.shape[axis] * inner
                out.append(contentsOf: p.storage[(o * run)..<((o + 1) * run)])
            }
        }
        var newShape = first.shape
        newShape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        return Tensor(shape: newShape, storage: out)
    }

    /// Zeros of length `length` along `axis` with this tensor placed at `offset` (the adjoint
    /// of `slice`).
    public func padded(axis: Int, offset: Int, length: Int) -> Tensor {
        let (outer, width, inner) = split(at: axis)
        precondition(offset >= 0 && offset + width <= length, "cannot place \(width) at \(offset) in \(length)")
        var out = [Double](repeating: 0, count: outer * length * inner)
        for o in 0..<outer {
            let from = o * width * inner, to = (o * length + offset) * inner
            for i in 0..<(width * inner) { out[to + i] = storage[from + i] }
        }
        var newShape = shape
        newShape[axis] = length
        return Tensor(shape: newShape, storage: out)
    }
}

extension Variable {
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let length = shape[axis]
        return .record(value.slice(axis: axis, range), [self]) { g, need in
            [need[0] ? g.padded(axis: axis, offset: range.lowerBound, length: length) : nil]
        }
    }

    /// Column (or element) `index` along `axis`, keeping the axis with length 1.
    public func slice(axis: Int, _ index: Int) -> Variable { slice(axis: axis, index..<(index + 1)) }

    public func padded(axis: Int, offset: Int, length: Int) -> Variable {
        let width = shape[axis]
        return .record(value.padded(axis: axis, offset: offset, length: length), [self]) { g, need in
            [need[0] ? g.slice(axis: axis, offset..<(offset + width)) : nil]
        }
    }

    public static func concatenate(_ parts: [Variable], axis: Int) -> Variable {
        let widths = parts.map { $0.shape[axis] }
        return .record(Tensor.concatenate(parts.map(\.value), axis: axis), parts) { g, need in
            var offset = 0
            return widths.enumerated().map { k, w in
                defer { offset += w }
                return need[k] ? g.slice(axis: axis, offset..<(offset + w)) : nil
            }
        }
    }

    public func reshaped(_ newShape: [Int]) -> Variable {
        let old = shape
        return .record(value.reshaped(newShape), [self]) { g, need in [need[0] ? g.reshaped(old) : nil] }
    }
}
