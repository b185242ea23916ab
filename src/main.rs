fn main() -> std::process::ExitCode {
    tocsin::main()
}
