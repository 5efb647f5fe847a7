// The reference peer of the remote-header benchmark: reads one GGUF header over HTTP with
// `@huggingface/gguf` (npm), the Hub's own JavaScript reader. Usage: node hf_gguf_peer.mjs URL
// (run where `npm install @huggingface/gguf` put node_modules; see remote-header.sh).
import { gguf } from "@huggingface/gguf";

const { metadata, tensorInfos } = await gguf(process.argv[2]);
const tokens = metadata["tokenizer.ggml.tokens"];
console.log(
  `@huggingface/gguf: ${Object.keys(metadata).length} keys, ` +
    `${tokens ? tokens.length : 0} tokens, ${tensorInfos.length} tensors`,
);
