//! The two numbering tables GGUF files use, kept apart on purpose: `ggml_type` for each
//! tensor and `LLAMA_FTYPE` for `general.file_type`. Mixing them up is the bug that makes
//! other readers print `IQ2_XXS` for the most common quant, `Q4_K_M` (file type 15).

use std::fmt;

/// Defines a numbered enum with an `Unknown(u32)` fallback, its conversions and names.
macro_rules! numbered {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $num:literal => $label:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        // Variant names are llama.cpp's own (`Q4_K_M`), so they can be searched for.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A number this table does not know, kept so nothing is lost or misnamed.
            Unknown(u32),
        }

        impl $name {
            /// Every known value, in numeric order.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The value for a number read from a file; unknown numbers are kept.
            pub fn from_u32(number: u32) -> $name {
                match number {
                    $( $num => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }

            /// The number stored in files.
            pub fn to_u32(self) -> u32 {
                match self {
                    $( $name::$variant => $num, )+
                    $name::Unknown(other) => other,
                }
            }

            /// The name llama.cpp uses, or `None` for an unknown number.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($label), )+
                    $name::Unknown(_) => None,
                }
            }

            /// The known value with this name (exact, upper-case), if any.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $( $label => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "unknown ({})", self.to_u32()),
                }
            }
        }
    };
}

numbered! {
    /// The type of one tensor's data (ggml's `ggml_type`), as stored in tensor infos.
    GgmlType {
        /// 32-bit float.
        F32 = 0 => "F32",
        /// 16-bit float.
        F16 = 1 => "F16",
        /// 4-bit, blocks of 32 with a scale.
        Q4_0 = 2 => "Q4_0",
        /// 4-bit, blocks of 32 with scale and minimum.
        Q4_1 = 3 => "Q4_1",
        /// 5-bit, blocks of 32.
        Q5_0 = 6 => "Q5_0",
        /// 5-bit, blocks of 32 with minimum.
        Q5_1 = 7 => "Q5_1",
        /// 8-bit, blocks of 32.
        Q8_0 = 8 => "Q8_0",
        /// 8-bit, blocks of 32 with sum.
        Q8_1 = 9 => "Q8_1",
        /// 2-bit k-quant.
        Q2_K = 10 => "Q2_K",
        /// 3-bit k-quant.
        Q3_K = 11 => "Q3_K",
        /// 4-bit k-quant.
        Q4_K = 12 => "Q4_K",
        /// 5-bit k-quant.
        Q5_K = 13 => "Q5_K",
        /// 6-bit k-quant.
        Q6_K = 14 => "Q6_K",
        /// 8-bit k-quant (intermediate).
        Q8_K = 15 => "Q8_K",
        /// i-quant, 2.06 bits.
        IQ2_XXS = 16 => "IQ2_XXS",
        /// i-quant, 2.31 bits.
        IQ2_XS = 17 => "IQ2_XS",
        /// i-quant, 3.06 bits.
        IQ3_XXS = 18 => "IQ3_XXS",
        /// i-quant, 1.56 bits.
        IQ1_S = 19 => "IQ1_S",
        /// i-quant, 4.5 bits, non-linear.
        IQ4_NL = 20 => "IQ4_NL",
        /// i-quant, 3.44 bits.
        IQ3_S = 21 => "IQ3_S",
        /// i-quant, 2.5 bits.
        IQ2_S = 22 => "IQ2_S",
        /// i-quant, 4.25 bits.
        IQ4_XS = 23 => "IQ4_XS",
        /// 8-bit integer.
        I8 = 24 => "I8",
        /// 16-bit integer.
        I16 = 25 => "I16",
        /// 32-bit integer.
        I32 = 26 => "I32",
        /// 64-bit integer.
        I64 = 27 => "I64",
        /// 64-bit float.
        F64 = 28 => "F64",
        /// i-quant, 1.75 bits.
        IQ1_M = 29 => "IQ1_M",
        /// bfloat16.
        BF16 = 30 => "BF16",
        /// Ternary, 1.69 bits.
        TQ1_0 = 34 => "TQ1_0",
        /// Ternary, 2.06 bits.
        TQ2_0 = 35 => "TQ2_0",
        /// Microscaling FP4.
        MXFP4 = 39 => "MXFP4",
    }
}

impl GgmlType {
    /// Elements per block and bytes per block, for types whose layout is known.
    ///
    /// Used to size tensor data when writing and to check row lengths.
    pub fn block_layout(self) -> Option<(u64, u64)> {
        let layout = match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q5_0 => (32, 22),
            GgmlType::Q5_1 => (32, 24),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q8_1 => (32, 36),
            GgmlType::Q2_K => (256, 84),
            GgmlType::Q3_K => (256, 110),
            GgmlType::Q4_K => (256, 144),
            GgmlType::Q5_K => (256, 176),
            GgmlType::Q6_K => (256, 210),
            GgmlType::Q8_K => (256, 292),
            GgmlType::IQ2_XXS => (256, 66),
            GgmlType::IQ2_XS => (256, 74),
            GgmlType::IQ3_XXS => (256, 98),
            GgmlType::IQ1_S => (256, 50),
            GgmlType::IQ4_NL => (32, 18),
            GgmlType::IQ3_S => (256, 110),
            GgmlType::IQ2_S => (256, 82),
            GgmlType::IQ4_XS => (256, 136),
            GgmlType::I8 => (1, 1),
            GgmlType::I16 => (1, 2),
            GgmlType::I32 => (1, 4),
            GgmlType::I64 => (1, 8),
            GgmlType::F64 => (1, 8),
            GgmlType::IQ1_M => (256, 56),
            GgmlType::BF16 => (1, 2),
            GgmlType::TQ1_0 => (256, 54),
            GgmlType::TQ2_0 => (256, 66),
            GgmlType::MXFP4 => (32, 17),
            GgmlType::Unknown(_) => return None,
        };
        Some(layout)
    }

    /// The bytes a tensor of `elements` elements takes, or `None` for an unknown type or
    /// an element count that is not a whole number of blocks.
    pub fn data_size(self, elements: u64) -> Option<u64> {
        let (block, bytes) = self.block_layout()?;
        if elements % block != 0 {
            return None;
        }
        (elements / block).checked_mul(bytes)
    }
}

numbered! {
    /// `general.file_type`: the quantization of the file as a whole, numbered as llama.cpp's
    /// `LLAMA_FTYPE` (NOT the per-tensor [`GgmlType`] numbers).
    FileType {
        /// 0: all F32.
        F32 = 0 => "F32",
        /// 1: mostly F16.
        F16 = 1 => "F16",
        /// 2.
        Q4_0 = 2 => "Q4_0",
        /// 3.
        Q4_1 = 3 => "Q4_1",
        /// 7.
        Q8_0 = 7 => "Q8_0",
        /// 8.
        Q5_0 = 8 => "Q5_0",
        /// 9.
        Q5_1 = 9 => "Q5_1",
        /// 10.
        Q2_K = 10 => "Q2_K",
        /// 11.
        Q3_K_S = 11 => "Q3_K_S",
        /// 12.
        Q3_K_M = 12 => "Q3_K_M",
        /// 13.
        Q3_K_L = 13 => "Q3_K_L",
        /// 14.
        Q4_K_S = 14 => "Q4_K_S",
        /// 15: the most common published quant.
        Q4_K_M = 15 => "Q4_K_M",
        /// 16.
        Q5_K_S = 16 => "Q5_K_S",
        /// 17.
        Q5_K_M = 17 => "Q5_K_M",
        /// 18.
        Q6_K = 18 => "Q6_K",
        /// 19.
        IQ2_XXS = 19 => "IQ2_XXS",
        /// 20.
        IQ2_XS = 20 => "IQ2_XS",
        /// 21.
        Q2_K_S = 21 => "Q2_K_S",
        /// 22.
        IQ3_XS = 22 => "IQ3_XS",
        /// 23.
        IQ3_XXS = 23 => "IQ3_XXS",
        /// 24.
        IQ1_S = 24 => "IQ1_S",
        /// 25.
        IQ4_NL = 25 => "IQ4_NL",
        /// 26.
        IQ3_S = 26 => "IQ3_S",
        /// 27.
        IQ3_M = 27 => "IQ3_M",
        /// 28.
        IQ2_S = 28 => "IQ2_S",
        /// 29.
        IQ2_M = 29 => "IQ2_M",
        /// 30.
        IQ4_XS = 30 => "IQ4_XS",
        /// 31.
        IQ1_M = 31 => "IQ1_M",
        /// 32.
        BF16 = 32 => "BF16",
        /// 36.
        TQ1_0 = 36 => "TQ1_0",
        /// 37.
        TQ2_0 = 37 => "TQ2_0",
        /// 38: MXFP4 experts, other tensors in higher precision.
        MXFP4_MOE = 38 => "MXFP4_MOE",
        /// 1024: the converter did not know the type and guessed it.
        GUESSED = 1024 => "GUESSED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_type_table_is_llama_ftype() {
        assert_eq!(FileType::from_u32(15), FileType::Q4_K_M);
        assert_eq!(FileType::from_u32(24), FileType::IQ1_S);
        assert_eq!(FileType::from_u32(32), FileType::BF16);
        assert_eq!(FileType::from_u32(7), FileType::Q8_0);
        assert_eq!(FileType::from_u32(38), FileType::MXFP4_MOE);
        assert_eq!(FileType::from_u32(1024), FileType::GUESSED);
        assert_eq!(FileType::from_u32(4), FileType::Unknown(4));
        assert_eq!(FileType::Unknown(4).to_string(), "unknown (4)");
        for ft in FileType::KNOWN {
            assert_eq!(FileType::from_u32(ft.to_u32()), *ft);
            assert_eq!(ft.name().and_then(FileType::from_name), Some(*ft));
        }
    }

    #[test]
    fn ggml_type_table_is_separate() {
        assert_eq!(GgmlType::from_u32(15), GgmlType::Q8_K);
        assert_eq!(GgmlType::from_u32(12), GgmlType::Q4_K);
        assert_eq!(GgmlType::from_u32(30), GgmlType::BF16);
        assert_eq!(GgmlType::from_u32(39), GgmlType::MXFP4);
        assert_eq!(GgmlType::from_u32(31), GgmlType::Unknown(31));
        for t in GgmlType::KNOWN {
            assert_eq!(GgmlType::from_u32(t.to_u32()), *t);
            assert!(t.block_layout().is_some());
        }
    }

    #[test]
    fn data_sizes() {
        assert_eq!(GgmlType::Q4_K.data_size(512), Some(288));
        assert_eq!(GgmlType::Q8_0.data_size(64), Some(68));
        assert_eq!(GgmlType::Q8_0.data_size(65), None);
        assert_eq!(GgmlType::F32.data_size(3), Some(12));
    }
}
