//! The readable form of a report: one aligned block per file.

use std::fmt::Write;

use super::FileReport;
use crate::gguf::{ByteOrder, SpecialToken};

/// Renders a report for a terminal: the file's name, then one `label  value` line per fact.
/// Plain text without colour, ending in a newline.
pub fn render_text(report: &FileReport) -> String {
    let header = &report.header;
    let mut lines: Vec<(&str, String)> = Vec::new();
    let or_none = |value: Option<&str>| value.map_or_else(|| "(none)".to_owned(), str::to_owned);
    lines.push(("architecture", or_none(header.architecture())));
    lines.push(("name", or_none(header.name())));
    lines.push(("size label", or_none(header.size_label())));
    let parameters = header.parameter_count();
    lines.push((
        "parameters",
        format!("{} ({})", grouped(parameters), short_count(parameters)),
    ));
    lines.push(("quant", quant_line(report)));
    lines.push((
        "context length",
        header
            .context_length()
            .map_or_else(|| "(none)".to_owned(), grouped),
    ));
    let mut template = match header.chat_template() {
        Some(text) => format!("present, {} bytes", grouped(text.len() as u64)),
        None => "absent".to_owned(),
    };
    let named: Vec<&str> = header
        .named_chat_templates()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    if !named.is_empty() {
        let _ = write!(template, " (also named: {})", named.join(", "));
    }
    lines.push(("chat template", template));
    let special = header.special_tokens();
    let roles = [
        ("bos", &special.bos),
        ("eos", &special.eos),
        ("eot", &special.eot),
        ("eom", &special.eom),
        ("pad", &special.pad),
        ("unk", &special.unk),
    ];
    let tokens: Vec<String> = roles
        .iter()
        .filter_map(|(role, token)| token.as_ref().map(|t| format!("{role} {}", token_text(t))))
        .collect();
    lines.push((
        "special tokens",
        if tokens.is_empty() {
            "(none)".to_owned()
        } else {
            tokens.join(", ")
        },
    ));
    let histogram: Vec<String> = header
        .tensor_type_histogram()
        .iter()
        .map(|count| format!("{} {}", count.ggml_type, count.tensors))
        .collect();
    let mut tensors = grouped(header.tensors().len() as u64);
    if !histogram.is_empty() {
        let _ = write!(tensors, " ({})", histogram.join(", "));
    }
    lines.push(("tensors", tensors));
    lines.push((
        "file size",
        format!(
            "{} bytes ({})",
            grouped(report.file_size),
            short_bytes(report.file_size)
        ),
    ));
    lines.push((
        "sha256",
        match &report.sha256 {
            Some((digest, origin)) => format!("{} ({})", digest.as_str(), origin.as_str()),
            None => "(unknown; `--hash` computes it for local files)".to_owned(),
        },
    ));
    lines.push((
        "gguf",
        format!(
            "v{}, {}-endian, {} metadata keys, data at byte {}",
            header.version(),
            match header.byte_order() {
                ByteOrder::Little => "little",
                ByteOrder::Big => "big",
            },
            header.metadata().len(),
            grouped(header.data_offset())
        ),
    ));
    if let Some(fetched) = report.bytes_fetched {
        lines.push((
            "fetched",
            format!(
                "{} bytes in {} range request(s)",
                grouped(fetched),
                report.round_trips
            ),
        ));
    }
    let width = lines
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("{}\n", report.file);
    for (label, value) in lines {
        let _ = writeln!(out, "  {label:<width$}  {value}");
    }
    out
}

fn quant_line(report: &FileReport) -> String {
    let header = match report.header.file_type() {
        Some(ft) => format!("{ft} (general.file_type {})", ft.to_u32()),
        None => "(no general.file_type)".to_owned(),
    };
    let name = match report.name_quant {
        Some(quant) => format!("file name says {quant}"),
        None => "no quant in the file name".to_owned(),
    };
    let verdict = match &report.quant_mismatch {
        None if report.name_quant.is_some() => "agree",
        None => "",
        Some(m) if m.severity() == crate::gguf::Severity::Error => "CONTRADICT",
        Some(_) => "differ",
    };
    if verdict.is_empty() {
        format!("{header}; {name}")
    } else {
        format!("{header}; {name}: {verdict}")
    }
}

/// `id` and the token's text in backticks, with control characters escaped so a newline
/// token does not break the layout.
fn token_text(token: &SpecialToken) -> String {
    match &token.text {
        Some(text) => format!("{} `{}`", token.id, text.escape_debug()),
        None => format!("{} (not in the vocabulary)", token.id),
    }
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `494032768` as `494.0M`.
fn short_count(n: u64) -> String {
    let units = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    let value = n as f64;
    units.iter().find(|(scale, _)| value >= *scale).map_or_else(
        || n.to_string(),
        |(scale, unit)| format!("{:.1}{unit}", value / scale),
    )
}

/// Bytes in binary units, `397.2 MiB`.
fn short_bytes(n: u64) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = "bytes";
    for next in units {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    if unit == "bytes" {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(short_count(494_032_768), "494.0M");
        assert_eq!(short_count(12), "12");
        assert_eq!(short_bytes(10_874_545), "10.4 MiB");
        assert_eq!(short_bytes(100), "100 bytes");
    }
}
