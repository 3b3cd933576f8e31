import Foundation
import Symbolic
import Dynamics
import Learn

/// The options `train` and `resume` share, read once, and the run itself with its progress
/// on standard error.
struct TrainingRun {
    static let options: [OptionDeclaration] = [
        .init("steps", .whole(1...1_000_000), default: 2000, "optimizer steps"),
        .init("lr", .positive, defaultText: "1e-3, or the resumed run's", "Adam's learning rate"),
        .init("batch", .whole(0...10_000_000), default: 0, "rows per step; 0 is the whole train split"),
        .init("seed", .whole(0...Int.max), default: 0, "the seed of the initial weights and the minibatch draws"),
        .init("plateau", .between(0, 1), "the factor that cuts the rate"),
        .init("patience", .whole(1...1_000_000), default: 100, "steps without improvement before a cut"),
        .init("checkpoint", .file, "write model and optimizer here as training goes"),
    ]

    var steps: Int, batch: Int, seed: UInt64, rate: Double
    var plateau: Double?, patience: Int, checkpoint: String?

    /// Reads the options; `rate` is the resumed run's learning rate, when there is one.
    init(_ call: BoundCall, rate: Double?) throws {
        try call.checkGivenOptions()
        steps = try call.whole("steps")!
        batch = try call.whole("batch")!
        seed = UInt64(try call.whole("seed")!)
        self.rate = try call.number("lr") ?? rate ?? 1e-3
        plateau = try call.number("plateau")
        patience = try call.whole("patience")!
        checkpoint = try call.file("checkpoint")
    }

    /// Trains `model` with `optimizer` on `data`, reporting progress on standard error: in
    /// place on a terminal, plain lines otherwise (transcripts and notebooks read standard
    /// output only).
    func train(_ model: any FieldModel, optimizer: Adam, schedule state: LearningRateScheduler.State?, on data: Dataset, _ call: BoundCall) throws -> Value {
        optimizer.learningRate = rate
        do {
            let schedule: LearningRateSchedule = plateau.map { .reduceOnPlateau(factor: $0, patience: patience, threshold: 1e-4, minimum: rate * 1e-4) } ?? .constant
            let terminal = isatty(STDERR_FILENO) != 0
            let options = TrainingOptions(steps: steps, batchSize: batch, learningRate: rate, seed: seed, reportEvery: max(1, steps / (terminal ? 100 : 10)),
                                          schedule: schedule, checkpointPath: checkpoint)
            let report = try Learn.train(model, on: DerivativePairs(data), options: options, optimizer: optimizer, schedule: state) { p in
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + p.bar() : p.line + "\n").utf8))
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            return .object(ModelValue(model: model, optimizer: optimizer, schedule: report.schedule, report: report, names: data.names, parameters: data.parameters, system: data.system))
        } catch {
            throw call.fail("\(error)", at: checkpoint == nil ? call.positional[1].location : call.location)
        }
    }
}
