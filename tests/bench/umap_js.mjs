// The umap-js side of umap-js.sh: UMAP (umap-js 1.4, PAIR's port of
// umap-learn) with umap-learn's defaults (15 neighbours, min_dist 0.1, 2-D)
// on float32 rows read from a file, seeded, its layout written back.
//
//   node umap_js.mjs ROWS.f32 DIM LAYOUT.f32 EPOCHS SEED   (EPOCHS 0: umap-js's own)
//
// Prints one JSON line: points and seconds.
import { UMAP } from 'umap-js';
import fs from 'fs';

const [, , input, dimText, output, epochs, seedText] = process.argv;
const bytes = fs.readFileSync(input);
const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
const dim = Number(dimText), n = flat.length / dim;
const rows = [];
for (let i = 0; i < n; i++)
  rows.push(Array.from(flat.subarray(i * dim, (i + 1) * dim)));

// mulberry32, so that a run repeats
let state = Number(seedText) >>> 0;
function random() {
  state = (state + 0x6D2B79F5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const params = { nNeighbors: 15, minDist: 0.1, nComponents: 2, random };
if (Number(epochs) > 0)
  params.nEpochs = Number(epochs);
const start = Date.now();
const layout = new UMAP(params).fit(rows);
const out = new Float32Array(n * 2);
layout.forEach((point, i) => { out[2 * i] = point[0]; out[2 * i + 1] = point[1]; });
fs.writeFileSync(output, Buffer.from(out.buffer));
console.log(JSON.stringify({ n, seconds: (Date.now() - start) / 1000 }));
