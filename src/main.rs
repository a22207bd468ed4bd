//! The liftoff binary: parses the command line and maps outcomes to exit codes
//! (0 ready, 1 not ready, 2 the input could not be assessed).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
