import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import pg from "pg";
import { skipUnless } from "../../../test/helpers/components.ts";
import { linearRegExp } from "./linear-regexp.ts";
import { compilePattern } from "./regex.ts";

function compiled(source: string, options = ""): string {
  const r = compilePattern(source, options);
  assert.ok(r.ok, `${source} was rejected: ${r.ok ? "" : r.message}`);
  return r.pattern;
}

function rejected(source: string, message: RegExp): void {
  const r = compilePattern(source, "");
  assert.ok(!r.ok, `${source} was accepted as ${r.ok ? r.pattern : ""}`);
  assert.match(r.message, message);
}

describe("regex: rewriting", () => {
  test("literals are escaped, classes spelled out, lazy quantifiers dropped", () => {
    assert.equal(compiled("Segmentation fault"), "Segmentation fault");
    assert.equal(compiled("a.b"), "a[^\\n]b");
    assert.equal(compiled("a.b", "s"), "a.b");
    assert.equal(compiled("\\d+\\.\\d{1,3}?"), "[0-9]+\\.[0-9]{1,3}");
    assert.equal(compiled("\\s\\W"), "[\\t-\\r ][^0-9A-Z_a-z]");
    assert.equal(compiled("(a|b)c"), "(?:a|b)c");
    assert.equal(compiled("{x}"), "\\{x\\}");
    assert.equal(compiled("\\x41\\u00e9\\ud83d\\ude00"), "Aé😀");
    assert.equal(compiled("[a-c\\]-]"), "[a-c\\]\\-]");
  });

  test("i folds ASCII letters only; m uses a lookbehind for ^ and, at the end, a newline for $", () => {
    assert.equal(compiled("Ab1é", "i"), "[aA][bB]1é");
    assert.equal(compiled("[a-cX]", "i"), "[a-cXA-Cx]");
    assert.equal(compiled("^a$", "m"), "(?:^|(?<=\\n))a(?:$|\\n)");
    assert.equal(compiled("(^a$|b$)", "m"), "(?:(?:^|(?<=\\n))a(?:$|\\n)|b(?:$|\\n))");
  });

  test("the linear-time form: UTF-16 classes, native \\b, counts above 16 split", () => {
    const linear = (source: string, options = "") => {
      const r = compilePattern(source, options);
      assert.ok(r.ok, `${source} was rejected: ${r.ok ? "" : r.message}`);
      return r.linear;
    };
    assert.equal(
      linear("a.b"),
      "a(?:[\\u0000-\\u0009\\u000B-\\uD7FF\\uE000-\\uFFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])b",
    );
    assert.equal(linear("[^a-z😀]"), linear("[^a-z\\ud83d\\ude00]"));
    assert.match(linear("[😀-😂]"), /^\\uD83D\[\\uDE00-\\uDE02\]$/);
    assert.equal(linear("\\bx\\B"), "\\bx(?<![\\uD800-\\uDBFF])\\B");
    assert.equal(linear("x{40}"), "x{16}x{16}x{8}");
    assert.equal(linear("x{5,40}"), "x{5}x{0,16}x{0,16}x{0,3}");
    assert.equal(linear("x{20,}"), "x{16}x{4,}");
    assert.equal(linear("😀+"), "(?:😀)+");
  });

  test("only patterns without quantifier or alternation may backtrack (they cannot take long)", () => {
    const engine = (source: string) => {
      const r = compilePattern(source, "");
      assert.ok(r.ok);
      return r.engine;
    };
    for (const s of ["Segmentation fault", "^relax-", "a[bc]\\d\\b.", "(?<=x)y"])
      assert.equal(engine(s), "backtracking", s);
    for (const s of ["a*", "a+", "a?", "a{2}", "a|b", "(.*)(.*)x", "(?<=a|b)c"])
      assert.equal(engine(s), "linear", s);
  });

  test("unsupported or ambiguous syntax is refused with the reason", () => {
    rejected("a(b", /missing \) \(at character 2/);
    rejected("a)b", /unmatched \)/);
    rejected("[abc", /missing \]/);
    rejected("[]a]", /empty class \[\]; write \\\] for a literal \]/);
    rejected("+a", /nothing to repeat \(at character 1/);
    rejected("a{2}{3}", /nothing to repeat/);
    rejected("^*", /nothing to repeat/);
    rejected("a++", /possessive/);
    rejected("a{1,300}", /repeat counts go up to 100/);
    rejected("a{3,1}", /out of order/);
    rejected("a{,3}", /write \{0,n\}/);
    rejected("(a+)+", /nested repetition/);
    rejected("(?:a*b){2}", /nested repetition/);
    rejected("(?<n>a)", /named groups/);
    rejected("(?i)abc", /inline options such as \(\?i\) are not supported; use \$options/);
    rejected("(a)\\1", /back-references/);
    rejected("\\p{L}", /unknown escape \\p/);
    rejected("[[:alpha:]]", /POSIX classes/);
    rejected("[\\D]", /\\D cannot be used inside/);
    rejected("[z-a]", /range out of order/);
    rejected("[a-\\d]", /cannot end a range/);
    rejected("\\x4", /\\x needs 2 hex digits/);
    rejected("\\ud800", /unpaired surrogate/);
    rejected("a\\", /\\ at the end/);
    rejected("x".repeat(1001), /longer than 1000/);
    rejected("a(?=b)", /lookahead \(\?= \(\?! is not supported/);
    rejected("a(?!b)", /lookahead/);
  });

  test("assertions that can meet between two characters are limited: PostgreSQL compiles them in exponential time", () => {
    const tooMany = /too many ways to pass anchors, word boundaries and lookbehinds/;
    // (|$|^){17,}|| (fast-check seed 1843) ran PostgreSQL for over 20 minutes in CI
    rejected("(|$|^){17,}||", tooMany);
    rejected("(?:|$|^){8}", tooMany); // 3^8 ways; {12} takes 1.8 s
    rejected("(?:(?<!)|\\.?){16}^", tooMany); // 1.3 s
    rejected("\\b(?:|^){14}", tooMany); // 0.6 s
    rejected("(?:|\\b){16}", tooMany); // too complex, after 0.2 s
    rejected("\\b".repeat(13), tooMany);
    rejected("(?:a?\\b){0,8}", tooMany);
    rejected("(?<=(?:|$|^){8})a", tooMany);
    assert.ok(compilePattern("(?:|^){8}", "").ok);
    assert.ok(!compilePattern("(?:|^){8}", "m").ok, "^ with option m is ^ or a lookbehind: 3^8 ways");
    for (const source of [
      "(?:|$|^){7}",
      "\\b".repeat(12),
      "\\b(?:|^){11}",
      "(?:a?\\b){0,7}",
      "^\\bx\\b$",
      "(|1?|é?){17,}",
      "(?:a|b|c|d|e|f|g|h){0,8}x",
      // characters between (words that all start with the same letter would keep 60 threads of the
      // linear-time engine alive after each w: 190 steps, MAX_LINEAR_STEPS)
      Array.from({ length: 60 }, (_, i) => `\\b${"abcdefghijklmnopqrstuvwxyz"[i % 26]}${i}\\b`).join("|"),
    ])
      assert.ok(compilePattern(source, "").ok, source);
  });

  test("patterns too big for the linear-time engine are refused: its time is their unrolled size times the text", () => {
    const tooBig =
      /too big for SQLite's linear-time engine: it counts \d+ steps per character of text, where 130 fit .*repeat less/;
    rejected(".{0,100}x", tooBig); // 5.4 s over 1 MB
    rejected(".{0,100}".repeat(4), tooBig); // 26 s over 1 MB
    rejected(`${".{0,100}".repeat(111)}x`, tooBig); // 94 s over 100 kB
    rejected("(?:a|b|c|d|e|f|g|h){0,100}x", tooBig);
    rejected("a{0,65}x", tooBig);
    rejected(`${"a".repeat(200)}.*`, tooBig); // on "aaa…" all 200 prefixes wait for their next a
    rejected(`${"ab".repeat(150)}.*`, tooBig); // on "abab…" 150 of them
    const words = Array.from(
      { length: 60 },
      (_, i) => `\\b${"abcdefghijklmnopqrstuvwxyz"[i % 26]}${i}word\\b`,
    );
    for (const source of [
      "Segmentation fault",
      "^relax-[0-9]{1,3}$",
      "\\d+\\.\\d{1,3}",
      "(error|warning): .*",
      "(.*)(.*)(.*)(.*)(.*)x",
      "[A-Za-z_][A-Za-z0-9_]{0,63}",
      words.join("|"),
      `(?:${words.join("|")})`,
      "a{0,64}x",
      ".{0,32}x",
      `${Array.from({ length: 80 }, (_, i) => `step${i}`).join(" ")}.*`, // not periodic: 1 or 2 alive
    ]) {
      const r = compilePattern(source, "");
      assert.ok(r.ok, `${source} was rejected: ${r.ok ? "" : r.message}`);
      const ri = compilePattern(source, "i");
      assert.ok(ri.ok, `${source} /i was rejected: ${ri.ok ? "" : ri.message}`);
    }
  });

  test("a pattern just under the limit answers over 1 MB on SQLite's engine", () => {
    for (const [source, unit] of [
      ["a{0,64}x", "a"], // 1.9 s on 2 loaded cores
      [".{0,32}x", "a"],
      [".{0,32}x", "😀"],
    ] as const) {
      const r = compilePattern(source, "");
      assert.ok(r.ok && r.engine === "linear");
      const text = unit.repeat(1_000_000 / unit.length);
      const started = performance.now();
      assert.equal(linearRegExp(r.linear).test(text), false); // what ferry_regexp runs
      const ms = performance.now() - started;
      assert.ok(ms < 5_000, `${source} over 1 MB of ${unit} took ${ms} ms`);
    }
  });

  test("with option m, $ may only end the pattern (the linear-time engine has no lookahead)", () => {
    for (const source of ["a$b", "a$\\nb", "(a$)*", "(a$)+b", "(a$|b)c", "(?<=a$)b"]) {
      const r = compilePattern(source, "m");
      assert.ok(!r.ok, `${source} was accepted`);
      assert.match(r.message, /with option m, \$ can only end the pattern/);
    }
    assert.ok(compilePattern("a$b", "").ok, "without m, $ is the end of the text anywhere");
    assert.ok(compilePattern("(a$)?", "m").ok);
  });
});

/** Random patterns from the documented syntax, over a small alphabet so that they match often. */
const patternArb: fc.Arbitrary<string> = fc.letrec<{ alt: string; seq: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 6, arbitrary: fc.constantFrom("a", "b", "A", "1", " ", "\\n", "\\.", ".", "é", "-") },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "\\d",
        "\\w",
        "\\s",
        "\\D",
        "\\W",
        "\\S",
        "[a-c]",
        "[^a]",
        "[A-Z1]",
        "[\\s.]",
        "😀",
        "[😀-😂a]",
        "[^😀]",
      ),
    },
    { weight: 1, arbitrary: tie("alt").map((a) => `(${a})`) },
  ),
  seq: fc
    .array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc
            .tuple(tie("atom"), fc.constantFrom("", "", "*", "+", "?", "{1,2}", "+?", "{0,18}", "{17,}"))
            .map(([a, q]) => a + q),
        },
        { weight: 1, arbitrary: fc.constantFrom("^", "$", "\\b", "\\B") },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom("(?=", "(?!", "(?<=", "(?<!"), tie("alt"))
            .map(([o, a]) => `${o}${a})`),
        },
      ),
      { maxLength: 4 },
    )
    .map((parts) => parts.join("")),
  alt: fc.array(tie("seq"), { minLength: 1, maxLength: 3 }).map((s) => s.join("|")),
})).alt;

/**
 * The native engine, the reference here, backtracks: a group that must repeat 17 times and can
 * match empty in several ways, such as (|1?|é?){17,}, takes 3^17 paths on a text it does not
 * match (0.4 s at {12,}, three times as long for each more; seed 281 ran for minutes). SQLite
 * runs such a pattern on the linear-time engine, compared with PostgreSQL below on all patterns.
 */
const backtrackingFinishes = (source: string) => !source.includes("){17,}");

const optionsArb = fc.subarray(["i", "m", "s"]).map((o) => o.join(""));
const asciiText = fc.string({
  unit: fc.constantFrom("a", "b", "A", "B", "1", " ", "\n", "_", ".", "-"),
  maxLength: 8,
});
const anyText = fc.string({
  unit: fc.constantFrom("a", "A", "1", " ", "\n", "\r", "é", "É", "😀", "\u00a0", "\u2028", "\u212a", "_"),
  maxLength: 6,
});

describe("regex: meaning", () => {
  test("on ASCII text without \\r, the rewrite means what the pattern means in JavaScript", () => {
    fc.assert(
      fc.property(
        patternArb,
        optionsArb,
        fc.array(asciiText, { maxLength: 10 }),
        (source, options, texts) => {
          const r = compilePattern(source, options);
          fc.pre(r.ok);
          fc.pre(!/[\u{10000}-\u{10ffff}]/u.test(source)); // native without u reads an astral class wrongly
          fc.pre(backtrackingFinishes(source));
          const native = new RegExp(source, options);
          const ours = new RegExp(r.ok ? r.pattern : "", "su");
          const linear = linearRegExp(r.ok ? r.linear : "");
          for (const t of texts) {
            assert.equal(ours.test(t), native.test(t), `${source} /${options} on ${JSON.stringify(t)}`);
            assert.equal(
              linear.test(t),
              native.test(t),
              `linear ${source} /${options} on ${JSON.stringify(t)}`,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("on any text, the linear-time form means what the code-point form means", () => {
    fc.assert(
      fc.property(patternArb, optionsArb, fc.array(anyText, { maxLength: 10 }), (source, options, texts) => {
        const r = compilePattern(source, options);
        fc.pre(r.ok);
        if (!r.ok) return;
        fc.pre(backtrackingFinishes(source));
        // V8 with u tries positions inside a surrogate pair, where no code point starts:
        // /\B/u.exec("a😀a") answers 2; starting from ^ it tries only code points
        const points = new RegExp(`^[^]*?(?:${r.pattern})`, "su");
        // what SQLite runs: the UTF-16 form, on the engine regex.ts chose
        const sqlite = r.engine === "linear" ? linearRegExp(r.linear) : new RegExp(r.linear);
        for (const t of texts)
          assert.equal(sqlite.test(t), points.test(t), `${source} /${options} on ${JSON.stringify(t)}`);
      }),
      { numRuns: 300 },
    );
  });

  describe("PostgreSQL reads the rewrite as JavaScript does", { skip: skipUnless("postgres") }, () => {
    let client: pg.Client;
    before(async () => {
      // a pattern PostgreSQL cannot compile in time fails the test instead of hanging it
      client = new pg.Client({ connectionString: process.env.FERRY_TEST_PG_URL, statement_timeout: 30_000 });
      await client.connect();
    });
    after(async () => {
      await client.end();
    });

    test("the slowest patterns within the assertion limit compile quickly", async () => {
      // 4096 ways or fewer (zero-width.ts); a few more repeats take seconds to hours
      for (const [source, options] of [
        ["(?:|$|^){7}", ""],
        ["\\b(?:|^){11}", ""],
        ["(?:(?<!)|\\.?){12}^", ""],
        ["\\b(?:|(?<!)|a?){11}(?<!)", ""],
        ["(?:\\b|\\B|){5}", ""],
        ["(?:|^){7}(?:a|$)", "m"],
      ]) {
        const r = compilePattern(source!, options!);
        assert.ok(r.ok, `${source} was rejected: ${r.ok ? "" : r.message}`);
        const started = performance.now();
        await client.query("SELECT 'ab' ~ $1", [r.pattern]);
        assert.ok(performance.now() - started < 5_000, `${source} took ${performance.now() - started} ms`);
      }
    });

    test("random patterns on text with non-ASCII letters, \\r, U+2028 and astral characters", async () => {
      await fc.assert(
        fc.asyncProperty(
          patternArb,
          optionsArb,
          fc.array(anyText, { minLength: 1, maxLength: 12 }),
          async (source, options, texts) => {
            const r = compilePattern(source, options);
            fc.pre(r.ok);
            const pattern = r.ok ? r.pattern : "";
            const js = texts.map((t) => linearRegExp(r.ok ? r.linear : "").test(t));
            const { rows } = await client.query(
              "SELECT t ~ $1 AS m FROM unnest($2::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
              [pattern, texts],
            );
            assert.deepEqual(
              rows.map((row: { m: boolean }) => row.m),
              js,
              `${source} /${options} → ${pattern}`,
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
