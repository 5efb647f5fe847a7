//! The ollama backend against a fake Ollama server (`tests/support/fake_ollama.rs`).

#[path = "support/fault_injection.rs"]
mod fault_injection;
#[path = "support/fake_ollama.rs"]
mod fake_ollama;

#[test]
fn smoke() {
    let server = fake_ollama::FakeOllama::start("0.6.0");
    let client = reqwest::blocking::Client::new();
    let r = client.get(format!("{}/api/version", server.url())).send().unwrap();
    assert_eq!(r.status(), 200);
}
