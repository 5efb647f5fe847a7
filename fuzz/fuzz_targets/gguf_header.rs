//! Fuzzes the GGUF header reader: any bytes, with and without the file length, must give a
//! header or a typed error — never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruvltra_export::gguf::GgufHeader;

fuzz_target!(|data: &[u8]| {
    let _ = GgufHeader::read(data, Some(data.len() as u64));
    let _ = GgufHeader::read(data, None);
});
