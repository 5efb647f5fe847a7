//! One push command, two registries: a GGUF going to Ollama and to ModelScope is hashed once
//! (the command's digest cache), and a second round hashes nothing.

#[path = "support/fake_modelscope.rs"]
mod fake_modelscope;
#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use fake_modelscope::FakeModelScope;
use fake_ollama::FakeOllama;
use fault_injection::{Recorder, fake_gguf, fast_options};
use ruvltra_export::push::modelscope::{ModelScopeBackend, ModelScopeEndpoint, ModelScopeTarget};
use ruvltra_export::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use ruvltra_export::push::{ArtifactFile, Backend, DigestCache, OllamaModel, PushContext, Release};
use ruvltra_export::secret::Secret;

#[test]
fn a_gguf_for_two_registries_is_hashed_once() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "ruvltra-Q4_K_M.gguf", 2_000_000, 1);
    let release = Release {
        models: vec![OllamaModel::new(
            "ruv/ruvltra:q4_k_m".parse().unwrap(),
            &gguf,
        )],
        files: vec![ArtifactFile::from_path("ruvltra-Q4_K_M.gguf", &gguf).unwrap()],
    };
    let ollama_server = FakeOllama::start("0.12.0");
    let modelscope_server = FakeModelScope::start("tok");
    let ollama = OllamaBackend::new(OllamaTarget {
        host: OllamaHost::parse(&ollama_server.url()).unwrap(),
        ..OllamaTarget::default()
    })
    .unwrap();
    let mut target = ModelScopeTarget::new("ruv/ruvltra".parse().unwrap(), Secret::new("tok"));
    target.endpoint = ModelScopeEndpoint::from_url(&modelscope_server.url()).unwrap();
    let modelscope = ModelScopeBackend::new(target).unwrap();
    let backends: [&dyn Backend; 2] = [&ollama, &modelscope];

    let cache = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&cache, &recorder, fast_options());
    for backend in backends {
        let plan = backend.plan(&release, &ctx).unwrap();
        backend.push(&plan, &release, &ctx).unwrap();
        assert!(
            backend.verify(&release, &ctx).unwrap().is_ok(),
            "{}",
            backend.name()
        );
    }
    assert_eq!(
        cache.bytes_hashed(),
        2_000_000,
        "hashed once for both registries"
    );
    for backend in backends {
        assert!(
            backend.plan(&release, &ctx).unwrap().is_up_to_date(),
            "{}",
            backend.name()
        );
    }
    assert_eq!(cache.bytes_hashed(), 2_000_000, "nothing hashed again");
}
