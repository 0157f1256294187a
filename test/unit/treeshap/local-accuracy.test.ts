import fc from "fast-check";
import { parseModel } from "../../../src/models/load.js";
import { buildEnsemble, type RawTree } from "../../../src/models/builder.js";
import { DecisionFlag, MissingType, type TreeEnsemble } from "../../../src/models/ensemble.js";
import { Explainer, expectedValues, zeroFractions } from "../../../src/treeshap/explainer.js";
import { fixtureBytes, fixtureNames, readFixture } from "./fixtures.js";

/** Values that exercise every branch rule: NaN, zeros, near-zero, negatives, categories, large. */
const cell = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, 0, -0, 1e-36, -1e-36, 1e-30, 3, 7, 59, 1000, -1, -0.5, 2.5) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }).map((v) => v) },
);

function closeRel(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}

function checkLocalAccuracy(explainer: Explainer, rows: Float64Array, n: number): void {
  const pred = explainer.predict(rows, n);
  const shap = explainer.shap(rows, n);
  const w = explainer.numFeatures + 1;
  for (let i = 0; i < n * explainer.numOutputs; i++) {
    let sum = 0;
    for (let j = 0; j < w; j++) sum += shap[i * w + j]!;
    if (!closeRel(sum, pred[i]!, 1e-9))
      throw new Error(`row×output ${i}: bias + Σ shap = ${sum}, prediction ${pred[i]}`);
  }
}

describe.each(fixtureNames())("local accuracy on random rows: %s", (name) => {
  const fx = readFixture(name);
  const model = parseModel(fixtureBytes(fx.model), "auto");

  test("bias + Σ shap == prediction (1e-9 relative) for random rows", async () => {
    const explainer = await Explainer.load(model);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: fx.numFeatures, maxLength: fx.numFeatures }), {
          minLength: 1,
          maxLength: 8,
        }),
        async (rows) => {
          checkLocalAccuracy(explainer, Float64Array.from(rows.flat()), rows.length);
        },
      ),
      { numRuns: 40 },
    );
    explainer.dispose();
  });
});

// ---------------------------------------------------------------- random trees vs brute-force Shapley

interface SpecNode {
  readonly feature: number;
  readonly threshold: number;
  readonly decision: number;
  readonly left: SpecNode | number;
  readonly right: SpecNode | number;
  readonly coverLeft: number;
  readonly coverRight: number;
}

const NUM_FEATURES = 5;

function nodeArb(depth: number): fc.Arbitrary<SpecNode | number> {
  const leaf = fc.double({ min: -5, max: 5, noNaN: true });
  if (depth === 0) return leaf;
  return fc.oneof(
    { weight: 1, arbitrary: leaf },
    {
      weight: 3,
      arbitrary: fc.record({
        feature: fc.integer({ min: 0, max: NUM_FEATURES - 1 }),
        threshold: fc.constantFrom(-1, -0.25, 0, 0.5, 1.5),
        decision: fc.constantFrom(
          MissingType.NaN << DecisionFlag.MISSING_SHIFT,
          (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | DecisionFlag.DEFAULT_LEFT,
          MissingType.None << DecisionFlag.MISSING_SHIFT,
          (MissingType.Zero << DecisionFlag.MISSING_SHIFT) | DecisionFlag.DEFAULT_LEFT,
          (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | DecisionFlag.FLOAT32_LESS,
        ),
        left: nodeArb(depth - 1),
        right: nodeArb(depth - 1),
        coverLeft: fc.integer({ min: 1, max: 100 }),
        coverRight: fc.integer({ min: 1, max: 100 }),
      }),
    },
  );
}

function flatten(root: SpecNode | number, output: number): RawTree {
  const t = {
    left: [] as number[],
    right: [] as number[],
    feature: [] as number[],
    threshold: [] as number[],
  };
  const decision: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const visit = (n: SpecNode | number, c: number): number => {
    const id = t.left.length;
    t.left.push(-1);
    t.right.push(-1);
    t.feature.push(-1);
    t.threshold.push(0);
    decision.push(0);
    value.push(typeof n === "number" ? n : 0);
    cover.push(c);
    if (typeof n !== "number") {
      t.feature[id] = n.feature;
      t.threshold[id] = n.threshold;
      decision[id] = n.decision;
      t.left[id] = visit(n.left, n.coverLeft);
      t.right[id] = visit(n.right, n.coverRight);
      cover[id] = n.coverLeft + n.coverRight;
    }
    return id;
  };
  visit(root, 1);
  return { output, root: 0, ...t, decision, value, cover, gain: new Array<number>(value.length).fill(0) };
}

function ensembleOf(trees: (SpecNode | number)[]): TreeEnsemble {
  return buildEnsemble(
    {
      format: "lightgbm",
      featureNames: Array.from({ length: NUM_FEATURES }, (_, k) => `f${k}`),
      numFeatures: NUM_FEATURES,
      numOutputs: 1,
      objective: "regression",
      baseScore: new Float64Array([0.125]),
      catBoundaries: new Int32Array([0]),
      catBits: new Uint32Array(0),
    },
    trees.map((t) => flatten(t, 0)),
  );
}

/** The branch rule, written independently of the WASM core. */
function goesLeft(m: TreeEnsemble, i: number, x: number): boolean {
  const d = m.decision[i]!;
  const missing = (d & DecisionFlag.MISSING_MASK) >> DecisionFlag.MISSING_SHIFT;
  if (Number.isNaN(x)) {
    if (missing === MissingType.NaN) return (d & DecisionFlag.DEFAULT_LEFT) !== 0;
    x = 0;
  }
  if (d & DecisionFlag.FLOAT32_LESS) return Math.fround(x) < Math.fround(m.threshold[i]!);
  if (Math.abs(x) <= 1.0000000180025095e-35) {
    if (missing === MissingType.Zero) return (d & DecisionFlag.DEFAULT_LEFT) !== 0;
    x = 0;
  }
  return x <= m.threshold[i]!;
}

/** E[f(x) | x_S] under the covers (the value function path-dependent TreeSHAP explains). */
function conditional(
  m: TreeEnsemble,
  zf: Float64Array,
  i: number,
  x: Float64Array,
  inS: (f: number) => boolean,
): number {
  const l = m.left[i]!;
  if (l < 0) return m.value[i]!;
  const r = m.right[i]!;
  const f = m.feature[i]!;
  if (inS(f)) return conditional(m, zf, goesLeft(m, i, x[f]!) ? l : r, x, inS);
  return zf[l]! * conditional(m, zf, l, x, inS) + zf[r]! * conditional(m, zf, r, x, inS);
}

function bruteForceShap(m: TreeEnsemble, x: Float64Array): Float64Array {
  const zf = zeroFractions(m);
  const M = m.numFeatures;
  const value = (mask: number): number => {
    let s = m.baseScore[0]!;
    for (let t = 0; t < m.numTrees; t++)
      s += conditional(m, zf, m.treeStart[t]!, x, (f) => (mask & (1 << f)) !== 0);
    return s;
  };
  const fact = [1];
  for (let k = 1; k <= M; k++) fact[k] = fact[k - 1]! * k;
  const phi = new Float64Array(M + 1);
  for (let j = 0; j < M; j++) {
    for (let mask = 0; mask < 1 << M; mask++) {
      if (mask & (1 << j)) continue;
      let size = 0;
      for (let k = 0; k < M; k++) if (mask & (1 << k)) size++;
      const w = (fact[size]! * fact[M - size - 1]!) / fact[M]!;
      phi[j] = phi[j]! + w * (value(mask | (1 << j)) - value(mask));
    }
  }
  phi[M] = value(0);
  return phi;
}

test("random trees: SHAP equals brute-force Shapley values of the cover-weighted conditional expectation", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(nodeArb(5), { minLength: 1, maxLength: 4 }),
      fc.array(cell, { minLength: NUM_FEATURES, maxLength: NUM_FEATURES }),
      fc.constantFrom("fast", "classic", "direct"),
      async (trees, row, algorithm) => {
        const model = ensembleOf(trees);
        const explainer = await Explainer.load(
          model,
          algorithm === "direct" ? { algorithm: "fast", tableBudgetBytes: 0 } : { algorithm },
        );
        const x = Float64Array.from(row);
        const ours = explainer.shap(x, 1);
        const exact = bruteForceShap(model, x);
        for (let j = 0; j <= NUM_FEATURES; j++) {
          if (!closeRel(ours[j]!, exact[j]!, 1e-9))
            throw new Error(`feature ${j}: ours ${ours[j]}, brute force ${exact[j]}`);
        }
        expect(explainer.expectedValue[0]).toBeCloseTo(expectedValues(model)[0]!, 12);
        checkLocalAccuracy(explainer, x, 1);
        explainer.dispose();
      },
    ),
    { numRuns: 300 },
  );
});

describe.each(fixtureNames())("leaves without a kept table: %s", (name) => {
  const fx = readFixture(name);
  const model = parseModel(fixtureBytes(fx.model), "auto");

  test("a block of rows (tables built for the block) and one row at a time (path polynomial) agree", async () => {
    const explainer = await Explainer.load(model, { algorithm: "fast", tableBudgetBytes: 0 });
    const n = fx.rows.length;
    const rows = Float64Array.from(fx.rows.flat(), (v) => v ?? NaN);
    const block = explainer.shap(rows, n);
    const w = block.length / n;
    for (let r = 0; r < n; r++) {
      const one = explainer.shap(rows.subarray(r * fx.numFeatures, (r + 1) * fx.numFeatures), 1);
      one.forEach((v, j) => {
        if (!closeRel(v, block[r * w + j]!, 1e-12))
          throw new Error(`row ${r}, value ${j}: one row ${v}, in a block of ${n} ${block[r * w + j]}`);
      });
    }
    explainer.dispose();
  });
});

/** The float32 next to `t` towards `dir` (what fround can land on either side of a threshold). */
function nextFloat32(t: number, dir: 1 | -1): number {
  const f = new Float32Array([t]);
  const i = new Int32Array(f.buffer);
  if (t === 0) i[0] = dir > 0 ? 1 : 0x80000001 | 0;
  else i[0] = i[0]! + (t > 0 === dir > 0 ? 1 : -1);
  return f[0]!;
}

test("numeric splits at edge values: SHAP's branch (normalised rows, one comparison) is the split rule's", async () => {
  // One split, left leaf 1, right leaf 2: bias + Σφ is the leaf the SHAP pass chose.
  const thresholds = [
    0,
    -0,
    0.5,
    -0.25,
    1e-36,
    -1e-36,
    1e-35,
    0.1,
    3.4028234663852886e38,
    -Infinity,
    Infinity,
  ];
  const threshold = fc.oneof(fc.constantFrom(...thresholds), fc.double({ noNaN: true, min: -1e6, max: 1e6 }));
  const decisions = [
    MissingType.NaN << DecisionFlag.MISSING_SHIFT,
    (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | DecisionFlag.DEFAULT_LEFT,
    MissingType.None << DecisionFlag.MISSING_SHIFT,
    MissingType.Zero << DecisionFlag.MISSING_SHIFT,
    (MissingType.Zero << DecisionFlag.MISSING_SHIFT) | DecisionFlag.DEFAULT_LEFT,
    (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | DecisionFlag.FLOAT32_LESS,
    (MissingType.NaN << DecisionFlag.MISSING_SHIFT) | DecisionFlag.FLOAT32_LESS | DecisionFlag.DEFAULT_LEFT,
  ];
  await fc.assert(
    fc.asyncProperty(
      threshold,
      fc.constantFrom(...decisions),
      fc.integer({ min: 0, max: 11 }),
      async (t, d, pick) => {
        const f = Math.fround(t);
        const near = [
          t,
          f,
          nextFloat32(f, 1),
          nextFloat32(f, -1),
          t * (1 + 1e-12),
          t * (1 - 1e-12),
          (f + nextFloat32(f, 1)) / 2,
        ];
        const x = [...near, 0, -0, NaN, 1e-36, -1e-36][pick]!;
        const model = ensembleOf([
          { feature: 0, threshold: t, decision: d, left: 1, right: 2, coverLeft: 3, coverRight: 5 },
        ]);
        const row = new Float64Array(NUM_FEATURES).fill(x);
        const i = model.treeStart[0]!;
        const want =
          model.value[goesLeft(model, i, x) ? model.left[i]! : model.right[i]!]! + model.baseScore[0]!;
        for (const options of [
          { algorithm: "fast" as const },
          { algorithm: "fast" as const, tableBudgetBytes: 0 },
        ]) {
          const explainer = await Explainer.load(model, options);
          const phi = explainer.shap(row, 1);
          const got = phi.reduce((a, b) => a + b, 0);
          explainer.dispose();
          if (!closeRel(got, want, 1e-12))
            throw new Error(
              `threshold ${t}, decision ${d}, x ${x}: SHAP sums to ${got}, the split rule gives ${want}`,
            );
        }
      },
    ),
    { numRuns: 600 },
  );
});

test("one explainer serves many batches, including ones that grow its memory", async () => {
  const fx = readFixture("lgb_regression_nan");
  const explainer = await Explainer.load(parseModel(fixtureBytes(fx.model), "lightgbm"));
  const small = Float64Array.from(fx.rows[3]!.map((v) => v ?? NaN));
  const before = explainer.shap(small, 1);
  const n = 20_000;
  const big = new Float64Array(n * fx.numFeatures);
  for (let r = 0; r < n; r++) big.set(small, r * fx.numFeatures);
  const many = explainer.shap(big, n);
  expect(Array.from(many.subarray((n - 1) * before.length))).toEqual(Array.from(before));
  expect(Array.from(explainer.shap(small, 1))).toEqual(Array.from(before));
  expect(explainer.shap(new Float64Array(0), 0)).toHaveLength(0);
  explainer.dispose();
  expect(() => explainer.predict(small, 1)).toThrow(/disposed/);
});
