//! The huggingface backend against a fake Hub (`tests/support/fake_hf_upload.rs`).

#[path = "support/fake_hf_upload.rs"]
mod fake_hf_upload;
#[path = "support/fault_injection.rs"]
mod fault_injection;

#[test]
fn smoke() {
    let server = fake_hf_upload::FakeHub::start("tok");
    let client = reqwest::blocking::Client::new();
    let r = client
        .get(format!("{}/api/models/a/b/tree/main", server.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
}
