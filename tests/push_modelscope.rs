//! The modelscope backend against a fake ModelScope (`tests/support/fake_modelscope.rs`).

#[path = "support/fake_modelscope.rs"]
mod fake_modelscope;
#[path = "support/fault_injection.rs"]
mod fault_injection;

#[test]
fn smoke() {
    let server = fake_modelscope::FakeModelScope::start("tok");
    let client = reqwest::blocking::Client::new();
    let r = client
        .get(format!("{}/api/v1/models/a/b", server.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
}
