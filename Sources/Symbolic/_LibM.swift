#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libm under names that cannot collide with `Expr.sqrt`, `MathFunction.exp` and friends.
@inline(__always) func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
@inline(__always) func Foundation_exp(_ x: Double) -> Double { exp(x) }
@inline(__always) func Foundation_log(_ x: Double) -> Double { log(x) }
@inline(__always) func Foundation_log2(_ x: Double) -> Double { log2(x) }
@inline(__always) func Foundation_log10(_ x: Double) -> Double { log10(x) }
@inline(__always) func Foundation_lgamma(_ x: Double) -> Double { lgamma(x) }
@inline(__always) func Foundation_sin(_ x: Double) -> Double { sin(x) }
@inline(__always) func Foundation_cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func Foundation_tan(_ x: Double) -> Double { tan(x) }
@inline(__always) func Foundation_atan(_ x: Double) -> Double { atan(x) }
@inline(__always) func Foundation_sinh(_ x: Double) -> Double { sinh(x) }
@inline(__always) func Foundation_cosh(_ x: Double) -> Double { cosh(x) }
@inline(__always) func Foundation_tanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func Foundation_sqrt(_ x: Double) -> Double { sqrt(x) }
