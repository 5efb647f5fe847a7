//! Reading an answer's body with a size cap, so a server that streams forever cannot grow the
//! process without bound.

use std::io::Read;

/// Why a capped read failed.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the cap; nothing past the cap was read.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The connection broke or timed out while reading.
    #[error("reading the answer failed: {0}")]
    Read(#[source] std::io::Error),
}

/// Reads all of `body`, failing once it passes `limit` bytes (at most `limit + 1` bytes are
/// read).
pub fn read_capped(body: impl Read, limit: u64) -> Result<Vec<u8>, BodyError> {
    let mut bytes = Vec::new();
    body.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(BodyError::Read)?;
    if bytes.len() as u64 > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_endless_bodies() {
        assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
        let endless = std::io::repeat(b'x');
        assert!(matches!(
            read_capped(endless, 1024),
            Err(BodyError::TooLarge { limit: 1024 })
        ));
    }
}
