#!/usr/bin/env bash
# Regenerates the man page and shell completions from the command line definition.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/tocsin
"$bin" man > dist/tocsin.1
"$bin" completions bash > dist/completions/tocsin.bash
"$bin" completions zsh > dist/completions/_tocsin
"$bin" completions fish > dist/completions/tocsin.fish
