import assert from "node:assert/strict";
import fc from "fast-check";
import { checkBranchName, checkObjectPath, checkRefExpression, checkRepositoryName, formatTarnUri, parseBranchUri, parseRefUri, parseRepositoryUri, parseTarnUri } from "../../src/cli/uri";
import { TarnError } from "../../src/errors";

function refused(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TarnError, String(err));
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.match(err.message, message);
    return true;
  });
}

describe("cli: tarn:// URIs", () => {
  it("parses repository, ref and path", () => {
    assert.deepEqual(parseTarnUri("tarn://repo"), { repository: "repo" });
    assert.deepEqual(parseTarnUri("tarn://repo/main"), { repository: "repo", ref: "main" });
    assert.deepEqual(parseTarnUri("tarn://repo/main/a/b/c.parquet"), { repository: "repo", ref: "main", path: "a/b/c.parquet" });
    assert.deepEqual(parseTarnUri("tarn://repo/main/"), { repository: "repo", ref: "main", path: "" });
    assert.deepEqual(parseTarnUri("tarn://repo/main//double"), { repository: "repo", ref: "main", path: "/double" });
    assert.deepEqual(parseTarnUri("tarn://my-repo-2/feature_x.1/dir with spaces/ünïcødé 🙂"), { repository: "my-repo-2", ref: "feature_x.1", path: "dir with spaces/ünïcødé 🙂" });
  });

  it("round-trips through formatTarnUri", () => {
    for (const text of ["tarn://abc", "tarn://abc/v1.0", "tarn://abc/main~2/x/y", "tarn://abc/main/"]) {
      assert.equal(formatTarnUri(parseTarnUri(text)), text);
    }
  });

  it("accepts ref expressions: commit ids, @, ~N and ^N", () => {
    for (const ref of ["main@", "main~", "main~2", "main^", "main^2", "main@~1^2~3", "a1b2c3d4", "0123456789abcdef".repeat(4), "v1.2.3", "_x", "release-2024.01"]) {
      assert.equal(parseTarnUri(`tarn://repo/${ref}`).ref, ref);
    }
  });

  it("refuses what is not a tarn URI, saying the expected form", () => {
    refused(() => parseTarnUri("repo/main"), /'repo\/main' is not a tarn URI: expected tarn:\/\/REPO\[\/REF\[\/PATH\]\]/);
    refused(() => parseTarnUri("s3://bucket/key"), /its scheme is 's3'/);
    refused(() => parseTarnUri("lakefs://repo/main"), /its scheme is 'lakefs'/);
    refused(() => parseTarnUri("TARN://repo"), /lowercase 'tarn', then ':\/\/'/);
    refused(() => parseTarnUri("tarn:/repo"), /lowercase 'tarn', then ':\/\/'/);
    refused(() => parseTarnUri("tarn://"), /missing repository name in 'tarn:\/\/'/);
  });

  it("refuses bad repository names, one message per mistake", () => {
    refused(() => parseTarnUri("tarn://ab"), /invalid repository name 'ab' in 'tarn:\/\/ab': it is 2 characters long; it must be 3 to 63/);
    refused(() => parseTarnUri(`tarn://${"a".repeat(64)}`), /it is 64 characters long; it must be 3 to 63/);
    refused(() => parseTarnUri("tarn://My-Repo/main"), /character 'M' is not allowed; use lowercase letters, digits and '-' \(use lowercase\)/);
    refused(() => parseTarnUri("tarn://my_repo"), /character '_' is not allowed/);
    refused(() => parseTarnUri("tarn://-repo"), /it must start with a lowercase letter or digit/);
    assert.equal(checkRepositoryName("a".repeat(63)), "a".repeat(63));
    assert.equal(checkRepositoryName("0-9"), "0-9");
  });

  it("refuses bad refs, one message per mistake", () => {
    refused(() => parseTarnUri("tarn://repo//path"), /empty ref after 'tarn:\/\/repo\/'; write tarn:\/\/repo or tarn:\/\/repo\/REF/);
    refused(() => parseTarnUri("tarn://repo/"), /empty ref/);
    refused(() => parseTarnUri("tarn://repo/-main"), /invalid ref '-main' in 'tarn:\/\/repo\/-main': it must start with a letter, digit or '_'/);
    refused(() => parseTarnUri("tarn://repo/.hidden"), /it must start with a letter, digit or '_'/);
    refused(() => parseTarnUri("tarn://repo/ma:in"), /character ':' is not allowed; names use letters, digits, '_', '.' and '-'; a ref may end with '@', '~N' or '\^N'/);
    refused(() => parseTarnUri("tarn://repo/brånch"), /character 'å' is not allowed/);
    refused(() => parseTarnUri("tarn://repo/main~x"), /unexpected 'x' after 'main~'; '~' and '\^' take an optional number/);
    refused(() => parseTarnUri("tarn://repo/main~2abc"), /unexpected 'abc' after 'main~2'/);
    refused(() => parseTarnUri("tarn://repo/main@@"), /'@' may appear once, right after the branch name/);
    refused(() => parseTarnUri("tarn://repo/main~1@"), /'@' may appear once/);
    refused(() => parseTarnUri("tarn://repo/~1"), /it must start with a branch, tag or commit id before '~'/);
    refused(() => parseTarnUri(`tarn://repo/${"b".repeat(257)}`), /it is 257 bytes long; at most 256 are allowed/);
    assert.equal(checkRefExpression("b".repeat(256)), "b".repeat(256));
  });

  it("refuses bad paths: NUL, over 1024 bytes, lone surrogates", () => {
    refused(() => parseTarnUri("tarn://repo/main/a\0b"), /invalid path in 'tarn:\/\/repo\/main\/a.b': it contains a NUL character at position 1/);
    refused(() => parseTarnUri(`tarn://repo/main/${"é".repeat(513)}`), /it is 1026 bytes long; at most 1024 are allowed/);
    refused(() => checkObjectPath("a\uD800b"), /not valid UTF-8 \(a lone surrogate\)/);
    assert.equal(checkObjectPath("x".repeat(1024)), "x".repeat(1024));
    assert.equal(checkObjectPath("🙂".repeat(256)), "🙂".repeat(256), "256 four-byte characters are exactly 1024 bytes");
  });

  it("checks branch and tag names alone", () => {
    assert.equal(checkBranchName("feature.x-1"), "feature.x-1");
    refused(() => checkBranchName("main~1"), /invalid branch name 'main~1': character '~' is not allowed/);
    refused(() => checkBranchName("", "tag"), /missing tag name/);
  });

  it("checks what each kind of command expects", () => {
    assert.deepEqual(parseRepositoryUri("tarn://repo"), { repository: "repo" });
    refused(() => parseRepositoryUri("tarn://repo/main"), /expected a repository URI tarn:\/\/REPO, got 'tarn:\/\/repo\/main' which also names a ref/);
    assert.deepEqual(parseRefUri("tarn://repo/main~1"), { repository: "repo", ref: "main~1", path: "" });
    assert.deepEqual(parseRefUri("tarn://repo/main/"), { repository: "repo", ref: "main", path: "" });
    refused(() => parseRefUri("tarn://repo"), /'tarn:\/\/repo' names no ref: expected tarn:\/\/repo\/REF$/);
    refused(() => parseRefUri("tarn://repo/main/x"), /without a path, got 'tarn:\/\/repo\/main\/x' \(path 'x'\)/);
    refused(() => parseRefUri("tarn://repo/main", "required"), /names no object: expected tarn:\/\/repo\/main\/PATH/);
    assert.deepEqual(parseRefUri("tarn://repo/v1/dir/", "optional"), { repository: "repo", ref: "v1", path: "dir/" });
    assert.deepEqual(parseBranchUri("tarn://repo/dev/f.csv", "required"), { repository: "repo", branch: "dev", path: "f.csv" });
    refused(() => parseBranchUri("tarn://repo/main@"), /names the ref expression 'main@'; this command needs a branch name/);
  });
});

describe("cli: tarn:// URIs, property-based", () => {
  const chars = (alphabet: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...alphabet.split("")), minLength: min, maxLength: max });
  const repo = fc.tuple(chars("abcdefghijklmnopqrstuvwxyz0123456789", 1, 1), chars("abcdefghijklmnopqrstuvwxyz0123456789-", 2, 62)).map(([a, b]) => a + b);
  const word = "ABCXYZabcxyz0189_";
  const name = fc.tuple(chars(word, 1, 1), chars(word + ".-", 0, 40)).map(([a, b]) => a + b);
  const modifier = fc.tuple(fc.constantFrom("~", "^"), fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined })).map(([m, n]) => m + (n ?? ""));
  const ref = fc.tuple(name, fc.boolean(), fc.array(modifier, { maxLength: 3 })).map(([n, at, mods]) => n + (at ? "@" : "") + mods.join(""));
  const objectPath = fc.string({ unit: "grapheme", maxLength: 60 }).filter((p) => !p.includes("\0"));

  it("parses every valid URI back into its parts", () => {
    fc.assert(
      fc.property(repo, fc.option(ref, { nil: undefined }), fc.option(objectPath, { nil: undefined }), (r, f, p) => {
        const uri = { repository: r, ...(f !== undefined ? { ref: f, ...(p !== undefined ? { path: p } : {}) } : {}) };
        const text = formatTarnUri(uri);
        assert.deepEqual(parseTarnUri(text), uri);
      }),
      { numRuns: 500 },
    );
  });

  it("answers any string with a result or an INVALID_ARGUMENT, never anything else", () => {
    const near = fc.tuple(fc.constantFrom("tarn://", "tarn:/", "", "TARN://"), fc.string({ unit: fc.constantFrom(..."ab-_.~^@/:\0 Aé1".split("")), maxLength: 30 })).map(([a, b]) => a + b);
    fc.assert(
      fc.property(fc.oneof(near, fc.string()), (text) => {
        try {
          const uri = parseTarnUri(text);
          assert.equal(formatTarnUri(uri), text);
        } catch (err) {
          assert.ok(err instanceof TarnError && err.code === "INVALID_ARGUMENT", `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
