"""The reference GGUF reader (llama.cpp's gguf-py, PyPI `gguf`) as JSON, for conformance tests.

Usage:
  gguf_reference.py make DIR          write test files with gguf-py's GGUFWriter into DIR
  gguf_reference.py dump CACHE FILE.. read each FILE with GGUFReader; write its JSON into CACHE
                                      (skipped when cached) and print {FILE: json_path}

The cache key is the file's absolute path, size and mtime, so a corpus file is read once and
a regenerated file is read again. GGUFReader is slow on big vocabularies (it builds a numpy
array per element), which is why the cache exists.

JSON per file: {"version", "byte_order", "alignment", "data_offset",
  "fields": [{"key", "offset", "types": [type names], "value"}],
  "tensors": [{"name", "shape", "type", "offset"}]}
Floats are given as their IEEE bit patterns ({"f32": bits} / {"f64": bits}) so the comparison
is exact, NaN included. Tensor offsets are relative to the data section.
"""

import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, GGUFValueType, GGUFWriter, GGMLQuantizationType, GGUFEndian
from gguf.constants import GGML_QUANT_SIZES


def scalar(vtype, part):
    """One element (a 1-element numpy array) as JSON."""
    if vtype == GGUFValueType.FLOAT32:
        return {"f32": int(part.astype(np.float32).view(np.uint32)[0])}
    if vtype == GGUFValueType.FLOAT64:
        return {"f64": int(part.astype(np.float64).view(np.uint64)[0])}
    if vtype == GGUFValueType.BOOL:
        return bool(part[0])
    if vtype == GGUFValueType.STRING:
        return bytes(part).decode("utf-8")
    return int(part[0])


def field_json(field):
    types = [t.name for t in field.types]
    main = field.types[0]
    if main == GGUFValueType.ARRAY:
        if len(field.types) > 2:
            # gguf-py flattens nested arrays; there is nothing exact to compare against.
            value = None
        else:
            sub = field.types[-1] if len(field.types) > 1 else None
            value = [scalar(sub, field.parts[i]) for i in field.data]
            if sub is None:
                # An empty array: gguf-py records no element type, read it from the parts.
                types.append(GGUFValueType(int(field.parts[-2][0])).name)
    else:
        value = scalar(main, field.parts[field.data[0]])
    return {"key": field.name, "offset": int(field.offset), "types": types, "value": value}


def dump(path):
    reader = GGUFReader(path)
    fields = [field_json(f) for k, f in reader.fields.items() if not k.startswith("GGUF.")]
    version = int(reader.fields["GGUF.version"].parts[0][0])
    tensors = [
        {
            "name": t.name,
            "shape": [int(d) for d in t.shape],
            "type": int(t.tensor_type),
            "offset": int(t.data_offset) - int(reader.data_offset),
        }
        for t in reader.tensors
    ]
    return {
        "version": version,
        "byte_order": "big" if reader.byte_order == "S" else "little",
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "fields": fields,
        "tensors": tensors,
    }


def cache_key(path):
    st = os.stat(path)
    key = f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def quant_bytes(qtype, shape, seed):
    """Random bytes of the right size for a quantized tensor of `shape` (numpy order)."""
    block, size = GGML_QUANT_SIZES[qtype]
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    row = shape[-1] // block * size
    return rng.integers(0, 256, size=tuple(shape[:-1]) + (row,), dtype=np.uint8)


def make(out_dir, endian, name):
    path = os.path.join(out_dir, name)
    w = GGUFWriter(path, "llama", endianess=endian)
    w.add_name("Reference Writer Test")
    w.add_uint8("test.u8", 250)
    w.add_int8("test.i8", -7)
    w.add_uint16("test.u16", 65000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.1)
    w.add_uint64("test.u64", 2**64 - 1)
    w.add_int64("test.i64", -(2**63))
    w.add_float64("test.f64", -1e300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo, wörld ✓ <|im_end|>")
    w.add_string("test.empty_string", "")
    w.add_array("test.strings", ["a", "", "ü", "<|endoftext|>"])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.floats", [0.5, -1.25, 3.0e-3])
    w.add_array("test.bools", [True, False, True])
    w.add_key_value("test.u8s", [1, 2, 255], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT8)
    w.add_key_value("test.i16s", [-1, 2], GGUFValueType.ARRAY, sub_type=GGUFValueType.INT16)
    w.add_key_value("test.u64s", [2**63, 5], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT64)
    w.add_key_value("test.f64s", [1.5, -2.5], GGUFValueType.ARRAY, sub_type=GGUFValueType.FLOAT64)
    w.add_context_length(32768)
    w.add_file_type(15)
    w.add_tensor("token_embd.weight", np.arange(64 * 4, dtype=np.float32).reshape(4, 64))
    w.add_tensor("output_norm.weight", np.ones(64, dtype=np.float16))
    w.add_tensor(
        "blk.0.attn_q.weight",
        quant_bytes(GGMLQuantizationType.Q8_0, (3, 64), 1),
        raw_dtype=GGMLQuantizationType.Q8_0,
    )
    w.add_tensor(
        "blk.0.ffn_up.weight",
        quant_bytes(GGMLQuantizationType.Q4_K, (2, 256), 2),
        raw_dtype=GGMLQuantizationType.Q4_K,
    )
    w.add_tensor("blk.0.idx", np.array([1, 2, 3], dtype=np.int32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        out_dir = argv[1]
        os.makedirs(out_dir, exist_ok=True)
        paths = [
            make(out_dir, GGUFEndian.LITTLE, "writer-le.gguf"),
            make(out_dir, GGUFEndian.BIG, "writer-be.gguf"),
        ]
        print(json.dumps(paths))
        return 0
    if len(argv) >= 2 and argv[0] == "dump":
        cache = argv[1]
        os.makedirs(cache, exist_ok=True)
        out = {}
        for path in argv[2:]:
            target = os.path.join(cache, cache_key(path) + ".json")
            if not os.path.exists(target):
                tmp = target + ".tmp"
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(dump(path), f)
                os.replace(tmp, target)
            out[path] = target
        print(json.dumps(out))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
