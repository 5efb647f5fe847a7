//! Split-file names as llama.cpp's `gguf-split` writes them: `<prefix>-00001-of-00003.gguf`.

use std::fmt;

/// A parsed split-file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SplitName {
    /// Everything before `-NNNNN-of-MMMMM.gguf`.
    pub prefix: String,
    /// The part number, 1-based as in the name.
    pub number: u32,
    /// The number of parts.
    pub count: u32,
}

impl SplitName {
    /// Parses the last path component of `file_name`; `None` unless it ends in
    /// `-NNNNN-of-MMMMM.gguf` (five digits each, as llama.cpp writes) with
    /// `1 <= NNNNN <= MMMMM`.
    pub fn parse(file_name: &str) -> Option<SplitName> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let stem = base.strip_suffix(".gguf")?;
        // "-00001-of-00003" is 15 bytes.
        let cut = stem.len().checked_sub(15)?;
        let (prefix, tail) = (stem.get(..cut)?, stem.get(cut..)?);
        let tail = tail.as_bytes();
        let digits = |b: &[u8]| -> Option<u32> {
            if b.len() == 5 && b.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(b).ok()?.parse().ok()
            } else {
                None
            }
        };
        if tail.first() != Some(&b'-') || tail.get(6..10) != Some(b"-of-".as_slice()) {
            return None;
        }
        let number = digits(tail.get(1..6)?)?;
        let count = digits(tail.get(10..15)?)?;
        if number == 0 || number > count || prefix.is_empty() {
            return None;
        }
        Some(SplitName {
            prefix: prefix.to_owned(),
            number,
            count,
        })
    }

    /// The file name of part `number` (1-based) of the same split.
    pub fn part_file_name(&self, number: u32) -> String {
        format!("{}-{number:05}-of-{:05}.gguf", self.prefix, self.count)
    }
}

impl fmt::Display for SplitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.part_file_name(self.number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_names() {
        let s = SplitName::parse("dir/Qwen2.5-72B-Q4_K_M-00002-of-00003.gguf").unwrap();
        assert_eq!(s.prefix, "Qwen2.5-72B-Q4_K_M");
        assert_eq!((s.number, s.count), (2, 3));
        assert_eq!(
            s.part_file_name(1),
            "Qwen2.5-72B-Q4_K_M-00001-of-00003.gguf"
        );
        assert_eq!(s.to_string(), "Qwen2.5-72B-Q4_K_M-00002-of-00003.gguf");
    }

    #[test]
    fn rejects_other_names() {
        assert_eq!(SplitName::parse("model-q4_k_m.gguf"), None);
        assert_eq!(SplitName::parse("m-00000-of-00003.gguf"), None);
        assert_eq!(SplitName::parse("m-00004-of-00003.gguf"), None);
        assert_eq!(SplitName::parse("m-0001-of-00003.gguf"), None);
        assert_eq!(SplitName::parse("-00001-of-00003.gguf"), None);
        assert_eq!(SplitName::parse("m-00001-of-00003.bin"), None);
    }
}
