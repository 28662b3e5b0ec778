import ArgumentParser
import FlowGuide

/// The `flowguide` command: guided sampling of flow-matching models (docs/cli.md).
///
/// `main()` is FlowGuide's own: every failure is reported as ONE line `error: …` on stderr
/// (ArgumentParser's default adds the usage screen), with exit code 64 for a bad command line and
/// 1 for a failure while running (see ``CLIFailure``). Help and `--version` behave as usual.
@main
struct FlowGuideCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowguide",
        abstract: "Guided sampling of flow-matching models (CFG, APG, Momentum Guidance).",
        discussion: "Run 'flowguide sample --help' for the sampler's options; docs/cli.md describes every flag.",
        version: KernelRuntime.version,
        subcommands: [SampleCommand.self, TrainCommand.self, EvalCommand.self, DataCommand.self, ModelsCommand.self, ExperimentCommand.self,
                      CompareOptimizersCommand.self],
        defaultSubcommand: SampleCommand.self
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help, --version
            let failure = CLIFailure(error, usage: { message(for: $0) }, exitCode: { exitCode(for: $0) })
            failure.reportAndExit()
        }
    }
}
