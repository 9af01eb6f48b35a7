// test/onnx/parity.js — runs bpnn_onnx's files in onnxruntime-node and
// compares their outputs with the server's (test/t/013_onnx.pl writes, per model
// NAME in the directory given: NAME.onnx, NAME.model.json, the model's text
// form, and NAME.rows.json, rows of {x: features (null: missing),
// p: bpnn_predict_proba, label: bpnn_predict} or {x, v: bpnn_predict_values}).
//
// The tolerance is a bound derived per row and output from the arithmetic,
// computed here in float8 from the model's weights (first-order forward
// error analysis, u = 2^-24, the unit roundoff of float4):
//   - the scaler: both sides compute float(((double) float(x) - shift) *
//     scale) in IEEE float8, one rounding to float4 at the end: no difference
//   - a layer's sums s_j = b_j + sum_k a_k w_kj of K = inputs + 1 float4
//     terms, in any order and with or without FMA: each side is within
//     gamma_K * S_j of the exact sum (gamma_K = K u / (1 - K u), S_j = |b_j| +
//     sum_k |a_k| |w_kj|), so they differ by at most 2 gamma_K S_j, plus
//     sum_k |w_kj| e_k from the inputs' difference e_k
//   - an activation: Lipschitz constant L (bipolar sigmoid 1/2, tanh 1,
//     sigmoid 1/4, relu and linear 1) times the difference of its input, plus
//     ACT_EPS for the two implementations' approximations of tanh and the
//     logistic function (bpnn's nn.c states 2e-7 absolute for tanh and 3e-7
//     relative for exp; ACT_EPS = 1e-6 leaves onnxruntime's MLAS up to 6e-7)
//   - softmax: |dp_i| <= p_i (|du_i| + sum_j p_j |du_j|) + p_i SOFTMAX_REL,
//     SOFTMAX_REL = 1e-6 + 2 (classes + 2) u for the exponentials, the sum
//     and the division on both sides
//   - squared-error probabilities q = clip((o - lo) / (hi - lo)), p = q / sum
//     q: |dp_i| <= (|dq_i| + p_i sum_j |dq_j|) / (sum q - sum_j |dq_j|)
//   - a regressor's value: |target scale| times its output's difference
//   - and the float4 rounding of the runtime's output, u |p| (bpnn gives
//     float8).
// A label is compared where the top two probabilities are further apart
// than their bounds allow to swap; rows nearer a tie are counted, not
// compared.  Prints one ok:/FAILED: line per model.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const U = Math.pow(2, -24);
const ACT_EPS = 1e-6;
const LIPSCHITZ = {bipolar_sigmoid: 0.5, tanh: 1, sigmoid: 0.25, relu: 1, linear: 1};

function activate(act, v) {
	switch (act) {
		case 'bipolar_sigmoid': return Math.tanh(v / 2);
		case 'tanh': return Math.tanh(v);
		case 'sigmoid': return 1 / (1 + Math.exp(-v));
		case 'relu': return v > 0 ? v : 0;
		case 'linear': return v;
	}
	throw new Error('activation ' + act);
}

// the outputs of one row in float8 and the bound on the difference of the
// two runtimes' outputs (before the probabilities)
function forward_bound(model, x) {
	const n = model.layers[0];
	let a = new Array(n), e = new Array(n).fill(0);
	for (let f = 0; f < n; f++) {
		let v = x[f] === null ? model.impute[f] : x[f];
		a[f] = Math.fround((Math.fround(v) - model.normalization.shift[f]) * model.normalization.scale[f]);
	}
	const layers = model.layers.length - 1;
	for (let l = 0; l < layers; l++) {
		const nin = model.layers[l], nout = model.layers[l + 1], w = model.weights[l];
		const act = l + 1 === layers ? model.output_activation : model.activation;
		const K = nin + 1, gamma = K * U / (1 - K * U);
		const out = new Array(nout), eout = new Array(nout);
		for (let j = 0; j < nout; j++) {
			let s = w[nin * nout + j], S = Math.abs(s), prop = 0;
			for (let k = 0; k < nin; k++) {
				s += a[k] * w[k * nout + j];
				S += (Math.abs(a[k]) + e[k]) * Math.abs(w[k * nout + j]);
				prop += Math.abs(w[k * nout + j]) * e[k];
			}
			const du = 2 * gamma * S + prop;
			if (act === 'softmax') {
				out[j] = s;
				eout[j] = du;
			} else {
				out[j] = activate(act, s);
				eout[j] = LIPSCHITZ[act] * du + (act === 'relu' || act === 'linear' ? 0 : ACT_EPS);
			}
		}
		a = out;
		e = eout;
	}
	return {out: a, err: e};
}

// probabilities as nn_outputs_to_proba computes them, and their bounds
function proba_bound(model, fb) {
	const n = fb.out.length;
	const p = new Array(n), dp = new Array(n);
	if (model.output_activation === 'softmax') {
		const top = Math.max(...fb.out);
		let sum = 0;
		for (let j = 0; j < n; j++) sum += (p[j] = Math.exp(fb.out[j] - top));
		let mix = 0;
		for (let j = 0; j < n; j++) { p[j] /= sum; mix += p[j] * fb.err[j]; }
		const rel = 1e-6 + 2 * (n + 2) * U;
		for (let j = 0; j < n; j++) dp[j] = p[j] * (fb.err[j] + mix) + p[j] * rel + U * p[j];
		return {p, dp};
	}
	const lo = model.output_activation === 'sigmoid' ? 0 : -1, hi = 1;
	let sum = 0, dsum = 0;
	const dq = new Array(n);
	for (let j = 0; j < n; j++) {
		let q = (fb.out[j] - lo) / (hi - lo);
		p[j] = q < 1e-6 ? 1e-6 : (q > 1 ? 1 : q);
		sum += p[j];
		dsum += (dq[j] = fb.err[j] / (hi - lo));
	}
	for (let j = 0; j < n; j++) p[j] /= sum;
	for (let j = 0; j < n; j++) dp[j] = (dq[j] + p[j] * dsum) / (sum - dsum) + U * p[j] + 1e-15;
	return {p, dp};
}

async function check(dir, name) {
	const model = JSON.parse(fs.readFileSync(path.join(dir, name + '.model.json'), 'utf8'));
	const rows = JSON.parse(fs.readFileSync(path.join(dir, name + '.rows.json'), 'utf8'));
	const session = await ort.InferenceSession.create(path.join(dir, name + '.onnx'));
	const n = model.layers[0], regressor = model.task === 'regression';
	const input = new Float32Array(rows.length * n);
	rows.forEach((r, i) => r.x.forEach((v, f) => { input[i * n + f] = v === null ? NaN : v; }));
	const result = await session.run({features: new ort.Tensor('float32', input, [rows.length, n])});
	const width = model.layers[model.layers.length - 1];
	const got = regressor ? result.value : result.probabilities;
	let worst = 0, worst_ratio = 0, max_bound = 0, bad = [], labels = 0, ties = 0, missing = 0;

	if (got.dims[0] !== rows.length || got.dims[1] !== width)
		return `FAILED: ${name}: output shape [${got.dims}], not [${rows.length}, ${width}]`;
	rows.forEach((r, i) => {
		const fb = forward_bound(model, r.x);
		let want, bound;
		if (r.x.includes(null)) missing++;
		if (regressor) {
			want = r.v;
			bound = fb.err.map((d, k) => Math.abs(model.target.scale[k]) * d + U * Math.abs(want[k]) + 1e-12);
		} else {
			want = r.p;
			bound = proba_bound(model, fb).dp;
		}
		for (let k = 0; k < width; k++) {
			const diff = Math.abs(got.data[i * width + k] - want[k]);
			worst = Math.max(worst, diff);
			worst_ratio = Math.max(worst_ratio, diff / bound[k]);
			max_bound = Math.max(max_bound, bound[k]);
			if (!(diff <= bound[k]) && bad.length < 3)
				bad.push(`row ${i} output ${k}: ${got.data[i * width + k]} vs ${want[k]} (bound ${bound[k].toExponential(2)})`);
		}
		if (!regressor) {
			const order = want.map((p, k) => k).sort((a, b) => want[b] - want[a]);
			if (want[order[0]] - want[order[1]] > bound[order[0]] + bound[order[1]]) {
				labels++;
				if (result.label.data[i] !== r.label && bad.length < 3)
					bad.push(`row ${i}: label ${result.label.data[i]}, bpnn_predict ${r.label}`);
			} else
				ties++;
		}
	});
	const what = regressor ? 'bpnn_predict_values' : 'bpnn_predict_proba';
	const summary = `${rows.length} rows${missing ? ` (${missing} with missing values)` : ''}, ` +
		`largest difference ${worst.toExponential(2)}, at most ${(worst_ratio * 100).toFixed(1)}% of its bound ` +
		`(bounds up to ${max_bound.toExponential(2)})` +
		(regressor ? '' : `; labels equal on ${labels} rows, ${ties} near a tie not compared`);
	return bad.length === 0 ? `ok: onnxruntime-node gives ${what} of ${name}: ${summary}`
		: `FAILED: ${name}: ${bad.join('; ')} (${summary})`;
}

(async () => {
	const dir = process.argv[2];
	const names = fs.readdirSync(dir).filter(f => f.endsWith('.onnx')).map(f => f.slice(0, -5)).sort();
	for (const name of names) {
		try {
			console.log(await check(dir, name));
		} catch (err) {
			console.log(`FAILED: ${name}: ${err.message}`);
		}
	}
})();
