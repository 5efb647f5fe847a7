//! The option names checked in as `SERVER_OPTIONS` are exactly what the real `llama-server
//! --help` prints, so a preset that passes our validator is one llama-server accepts.

#[path = "support/llama_server.rs"]
mod llama_server;
mod support;

use llama_server::{HelpOption, help_text, parse_help};
use ruvltra_export::render::llamacpp::SERVER_OPTIONS;

/// The Rust source of `SERVER_OPTIONS` for `options`, to paste when llama.cpp changes.
fn table_source(options: &[HelpOption]) -> String {
    let mut out = String::from("pub const SERVER_OPTIONS: &[ServerOption] = &[\n");
    for option in options {
        let names = option
            .names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let env = option
            .env
            .as_ref()
            .map_or("None".to_owned(), |e| format!("Some({e:?})"));
        out.push_str(&format!(
            "    ServerOption {{ names: &[{names}], value: {:?}, env: {env} }},\n",
            option.value
        ));
    }
    out.push_str("];\n");
    out
}

#[test]
fn checked_in_options_match_llama_server_help() {
    let real = parse_help(&help_text());
    assert!(
        real.len() > 100
            && real
                .iter()
                .any(|o| o.names.iter().any(|n| n == "--ctx-size"))
            && real
                .iter()
                .any(|o| o.env.as_deref() == Some("LLAMA_ARG_CTX_SIZE")),
        "parsing `llama-server --help` found too little: {real:?}"
    );
    let ours: Vec<HelpOption> = SERVER_OPTIONS
        .iter()
        .map(|o| HelpOption {
            names: o.names.iter().map(|n| (*n).to_owned()).collect(),
            value: o.value.to_owned(),
            env: o.env.map(str::to_owned),
        })
        .collect();
    if ours != real {
        let missing: Vec<_> = real.iter().filter(|o| !ours.contains(o)).collect();
        let stale: Vec<_> = ours.iter().filter(|o| !real.contains(o)).collect();
        panic!(
            "SERVER_OPTIONS in src/render/llamacpp/options.rs differs from `llama-server --help`\n\
             only in llama-server: {missing:#?}\nonly in ours: {stale:#?}\n\
             replace the table with:\n{}",
            table_source(&real)
        );
    }
}

#[test]
fn help_parser_reads_names_values_and_env() {
    let help = "----- common params -----\n\n\
        -h,    --help, --usage                  print usage and exit\n\
        -c,    --ctx-size N                     size of the prompt context\n\
        \x20                                       (env: LLAMA_ARG_CTX_SIZE)\n\
        -ngl,  --gpu-layers, --n-gpu-layers N\n\
        \x20                                       max. number of layers\n\
        \x20                                       (env: LLAMA_ARG_N_GPU_LAYERS)\n\
        --mmap, --no-mmap                       whether to memory-map model\n\
        \x20                                       (env: LLAMA_ARG_MMAP)\n";
    let parsed = parse_help(help);
    let option = |names: &[&str], value: &str, env: Option<&str>| HelpOption {
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        value: value.to_owned(),
        env: env.map(str::to_owned),
    };
    assert_eq!(
        parsed,
        [
            option(&["-h", "--help", "--usage"], "", None),
            option(&["-c", "--ctx-size"], "N", Some("LLAMA_ARG_CTX_SIZE")),
            option(
                &["-ngl", "--gpu-layers", "--n-gpu-layers"],
                "N",
                Some("LLAMA_ARG_N_GPU_LAYERS")
            ),
            option(&["--mmap", "--no-mmap"], "", Some("LLAMA_ARG_MMAP")),
        ]
    );
}
