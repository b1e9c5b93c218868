// int8 in ONNX Runtime: runs a fixpoint QDQ artifact (model.onnx) in
// onnxruntime-node on the Fashion-MNIST test set, reports ORT's top-1, its
// top-1 agreement with fixpoint's own int8 predictions (a file written by
// `fixpoint eval --save_top1`), and ORT's int8 and fp32 images/s at batch 1
// and 64 (2 threads).
//   node bench/compare_int8.js --artifact DIR --float models/seed_cnn.onnx
//        --fixpoint_top1 preds.txt [--seconds 3]
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dataDir = opt('data', '/usr/share/datasets/fashion-mnist');
const seconds = Number(opt('seconds', 3));
const threads = 2;

function readIdx(path) {
  const b = zlib.gunzipSync(fs.readFileSync(path));
  const dims = b[3];
  const shape = [];
  for (let i = 0; i < dims; i++) shape.push(b.readUInt32BE(4 + 4 * i));
  return { shape, data: b.subarray(4 + 4 * dims) };
}

async function session(model) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
}

async function predict(sess, images) {
  const n = images.shape[0], px = 28 * 28, batch = 100;
  const top1 = new Int32Array(n);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const x = new Float32Array(m * px);
    for (let i = 0; i < m * px; i++) x[i] = images.data[s * px + i] / 255;
    const out = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [m, 1, 28, 28]) });
    const y = out[sess.outputNames[0]].data;
    const k = y.length / m;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (y[i * k + j] > y[i * k + best]) best = j;
      top1[s + i] = best;
    }
  }
  return top1;
}

async function speed(sess, batch) {
  const x = new Float32Array(batch * 784).map((_, i) => ((i * 2654435761) % 256) / 255);
  const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', x, [batch, 1, 28, 28]) };
  for (let i = 0; i < 3; i++) await sess.run(feeds);
  const t0 = process.hrtime.bigint();
  let runs = 0, elapsed = 0;
  do {
    await sess.run(feeds);
    runs++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < seconds);
  return runs * batch / elapsed;
}

async function main() {
  const artifact = opt('artifact');
  const images = readIdx(`${dataDir}/t10k-images-idx3-ubyte.gz`);
  const labels = readIdx(`${dataDir}/t10k-labels-idx1-ubyte.gz`).data;
  const int8 = await session(`${artifact}/model.onnx`);
  const ortTop1 = await predict(int8, images);
  const ours = fs.readFileSync(opt('fixpoint_top1'), 'utf8').trim().split('\n').map(Number);
  let correct = 0, agree = 0;
  for (let i = 0; i < ortTop1.length; i++) {
    correct += ortTop1[i] === labels[i];
    agree += ortTop1[i] === ours[i];
  }
  const result = {
    artifact,
    ort_int8_top1: correct / ortTop1.length,
    agreement_with_fixpoint_int8: agree / ortTop1.length,
    ort_int8_ips_b1: await speed(int8, 1),
    ort_int8_ips_b64: await speed(int8, 64),
  };
  if (opt('float')) {
    const fp32 = await session(opt('float'));
    result.ort_fp32_ips_b1 = await speed(fp32, 1);
    result.ort_fp32_ips_b64 = await speed(fp32, 64);
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
