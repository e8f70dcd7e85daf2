// Tasks of the demo flow (examples/demo/flow.yaml). A js task is an exported function called
// with the job's resolved inputs; its return value is the job's output.

/** mulberry32: a tiny seeded generator, so the demo's answer is the same on every machine. */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Throw `samples` darts at the unit square; count those inside the quarter circle. */
export function sample({ seed, samples }) {
  const next = generator(seed);
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = next();
    const y = next();
    if (x * x + y * y <= 1) inside++;
  }
  return { seed, samples, inside };
}

/** Fan-in: combine the partial counts into one estimate of π. */
export function combine({ parts }) {
  const samples = parts.reduce((n, p) => n + p.samples, 0);
  const inside = parts.reduce((n, p) => n + p.inside, 0);
  return { samples, inside, pi: (4 * inside) / samples };
}
