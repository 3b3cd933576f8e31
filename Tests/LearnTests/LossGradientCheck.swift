import XCTest
@testable import Learn

/// Every loss term's gradient with respect to three entries (first, middle, last) of every
/// parameter tensor, against central differences of the term (h = 1e-6, relative 1e-6).
func assertLossGradientsMatchFiniteDifferences(_ model: any Model, on batch: Batch, _ label: String,
                                               file: StaticString = #filePath, line: UInt = #line) throws {
    let θ = model.variables
    for name in model.lossNames {
        let exact = gradient(of: try model.losses(batch)[name]!, wrt: θ)
        func value() throws -> Double { try Recording.with(false) { try model.losses(batch)[name]!.value.scalar } }
        let h = 1e-6
        for (k, p) in θ.enumerated() {
            for i in Set([0, p.value.count / 2, p.value.count - 1]) {
                let saved = p.value.storage[i]
                p.value.storage[i] = saved + h
                let up = try value()
                p.value.storage[i] = saved - h
                let down = try value()
                p.value.storage[i] = saved
                let difference = (up - down) / (2 * h)
                XCTAssertEqual(exact[k].value.storage[i], difference, accuracy: 1e-6 * max(1, abs(difference)),
                               "\(label) \(name): \(model.parameters[k].name)[\(i)]", file: file, line: line)
            }
        }
    }
}
