// fp32 throughput: fixpoint vs ONNX Runtime (npm onnxruntime-node), side by
// side in one run. ONNX Runtime runs in this process; fixpoint's measurement
// runs in bench/infer_bench (a child). Engines are interleaved per repetition
// (this VM's speed drifts) and the table reports medians and the median of
// per-repetition ratios.
//   node bench/compare_fp32.js [--build build] [--reps 3] [--seconds 3]
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = path.resolve(__dirname, '..');
const build = path.resolve(root, opt('build', 'build'));
const reps = Number(opt('reps', 3));
const seconds = Number(opt('seconds', 3));
const models = (opt('models', 'seed_cnn,resnet_small')).split(',');
const batches = (opt('batches', '1,64')).split(',').map(Number);
const threads = Number(opt("threads", 2));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fixpointRun(model, batch) {
  const out = execFileSync(path.join(build, 'bench', 'fp_bench_infer'), [
    `--model=${model}`, `--batch=${batch}`, `--seconds=${seconds}`, `--threads=${threads}`,
  ]).toString();
  return JSON.parse(out.trim().split('\n').pop());
}

async function ortRun(session, inputName, batch) {
  const n = batch * 28 * 28;
  const data = new Float32Array(n);
  let s = 42;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = (s >>> 8) / 16777216; }
  const feeds = { [inputName]: new ort.Tensor('float32', data, [batch, 1, 28, 28]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const t0 = process.hrtime.bigint();
  let runs = 0, elapsed = 0;
  do {
    await session.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < seconds);
  return { images_per_s: runs * batch / elapsed };
}

async function main() {
  const rows = [];
  for (const name of models) {
    const model = path.join(root, 'models', `${name}.onnx`);
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    for (const batch of batches) {
      const fx = [], ox = [], ratio = [];
      let kernels = {};
      for (let r = 0; r < reps; r++) {
        const f = fixpointRun(model, batch);
        const o = await ortRun(session, session.inputNames[0], batch);
        fx.push(f.images_per_s); ox.push(o.images_per_s); ratio.push(f.images_per_s / o.images_per_s);
        kernels = f.kernels;
      }
      rows.push({ model: name, batch, fixpoint: median(fx), ort: median(ox), ratio: median(ratio), kernels });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }
  }
  console.log(`fp32 images/s, ${threads} threads, median of ${reps} interleaved repetitions of ${seconds} s`);
  console.log(`ONNX Runtime ${ort.env.versions.common} (onnxruntime-node)\n`);
  console.log('| model | batch | fixpoint img/s | ONNX Runtime img/s | fixpoint / ORT |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.batch} | ${r.fixpoint.toFixed(0)} | ${r.ort.toFixed(0)} | ${r.ratio.toFixed(2)} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
