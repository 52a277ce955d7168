// The lessons' index: lists LESSONS (kit.js) in reading order, after checking that the loaded
// library knows each of them.
import { LESSONS, libraryLessons, loadLibrary, setStatus } from './kit.js';

const BLURB = /** @type {Record<string, string>} */ ({
  affine: 'scale, zero point, clamp and round-half-even; quint8 vs qint8; symmetric vs affine; reduce_range.',
  observers: 'MinMax, MovingAverage and Histogram on the same batches; clipping vs rounding error; how many calibration samples are enough.',
  'per-channel': 'why per-channel weight scales help, on a real layer; Conv+BN folding with the numbers before and after.',
  integer: 'one quantized Linear in integers: i32 accumulation, the requantization multiplier, checked against float.',
  formats: 'the bit layouts of f16 and bf16, their range, subnormals and rounding step; where a real gradient falls.',
  'loss-scaling': "a GradScaler simulator: a schedule of ok / inf / NaN steps, the scale, the growth tracker, skipped steps.",
  autocast: 'which ops run in f16 and why (the op lists), with the trace of a real step.',
  pipeline: 'train in 16-mixed, quantize to int8, find the layer that hurts, keep it float, export.',
});

const list = /** @type {HTMLElement} */ (document.getElementById('lesson-list'));
// Two parts: int8 quantization (lessons 1–4), FP16 mixed-precision training (5–7), then both.
const PART = /** @type {Record<string, string>} */ ({ affine: 'Part 1 · int8 quantization', formats: 'Part 2 · FP16 mixed-precision training', pipeline: 'Part 3 · both together' });
list.innerHTML = LESSONS.map((l, i) => (PART[l.name] ? `<li class="part" aria-hidden="true">${PART[l.name]}</li>` : '') + `<li value="${i + 1}"><a href="${l.file}">${l.title}</a> — ${BLURB[l.name] ?? ''}</li>`).join('');
loadLibrary().then(() => {
  const known = libraryLessons();
  const missing = LESSONS.filter((l) => !known.includes(l.name)).map((l) => l.name);
  if (missing.length) setStatus('error', `The library has no lesson ${missing.join(', ')}; rebuild www/pkg (scripts/build-wasm).`);
});
