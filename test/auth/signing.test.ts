import assert from "node:assert/strict";
import { AUTH_HEADERS, contentSha256, formatSigningDate, parseSigningDate, ReplayGuard, SIGNATURE_ALGORITHM, signRequest, verifyRequest } from "../../src/auth";
import { hmacHex, stringToSign } from "../../src/auth/canonical";
import { TarnError } from "../../src/errors";

const METHOD = "/tarn.metadata.v1.ObjectService/StageObject";
const KEY = "AKIAABCDEFGHIJKLMNOP";
const SECRET = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-abcd";
const NOW = Date.UTC(2026, 10, 24, 13, 5, 44);
const BODY = Buffer.from("serialized request");

const secretFor = (id: string) => (id === KEY ? SECRET : undefined);

function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({ method: METHOD, accessKeyId: KEY, secretAccessKey: SECRET, body: BODY, now: new Date(NOW), ...overrides });
}

function refused(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TarnError, `not a TarnError: ${String(err)}`);
    assert.equal(err.code, "UNAUTHENTICATED");
    assert.match(err.message, message);
    return true;
  });
}

describe("auth: client request signing", () => {
  it("round-trips: a signed request verifies and names its key", () => {
    const headers = signed();
    assert.equal(headers[AUTH_HEADERS.date], "20261124T130544Z");
    assert.equal(headers[AUTH_HEADERS.contentSha256], contentSha256(BODY));
    assert.match(headers[AUTH_HEADERS.signature], /^[0-9a-f]{64}$/);
    const verified = verifyRequest({ method: METHOD, headers, body: BODY, now: NOW + 1000, secretFor });
    assert.equal(verified.accessKeyId, KEY);
    assert.equal(verified.date, NOW);
    assert.equal(verified.nonce, headers[AUTH_HEADERS.nonce]);
  });

  it("accepts headers as grpc-js gives repeated values (arrays of one)", () => {
    const headers = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k, [v]]));
    assert.equal(verifyRequest({ method: METHOD, headers, body: BODY, now: NOW, secretFor }).accessKeyId, KEY);
  });

  it("uses a fresh nonce for every request", () => {
    assert.notEqual(signed()[AUTH_HEADERS.nonce], signed()[AUTH_HEADERS.nonce]);
  });

  it("refuses an unknown access key id by name", () => {
    const headers = signRequest({ method: METHOD, accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: SECRET, now: new Date(NOW) });
    refused(() => verifyRequest({ method: METHOD, headers, now: NOW, secretFor }), /^unknown access key id AKIAUNKNOWNUNKNOWN00$/);
  });

  it("refuses a request signed with the wrong secret", () => {
    const headers = signed({ secretAccessKey: SECRET.replace("a", "b") });
    refused(() => verifyRequest({ method: METHOD, headers, body: BODY, now: NOW, secretFor }), /signature does not match for access key id AKIAABCDEFGHIJKLMNOP/);
  });

  for (const [name, change] of [
    ["date", (h: Record<string, string>) => (h[AUTH_HEADERS.date] = "20261124T130545Z")],
    ["nonce", (h: Record<string, string>) => (h[AUTH_HEADERS.nonce] = "0".repeat(32))],
    ["content hash", (h: Record<string, string>) => (h[AUTH_HEADERS.contentSha256] = contentSha256(Buffer.from("other")))],
    ["signature", (h: Record<string, string>) => (h[AUTH_HEADERS.signature] = "f".repeat(64))],
  ] as const) {
    it(`refuses a tampered ${name}`, () => {
      const headers = signed();
      change(headers);
      refused(() => verifyRequest({ method: METHOD, headers, now: NOW, secretFor }), /signature does not match/);
    });
  }

  it("refuses malformed header values before looking at the signature", () => {
    const cases: Array<[string, string, RegExp]> = [
      [AUTH_HEADERS.nonce, "short", /malformed x-tarn-nonce 'short'/],
      [AUTH_HEADERS.nonce, "a".repeat(20) + "\nAKIA", /malformed x-tarn-nonce: only printable ASCII/],
      [AUTH_HEADERS.contentSha256, "ABC", /malformed x-tarn-content-sha256: expected 64 lowercase hex digits/],
      [AUTH_HEADERS.accessKeyId, "AKIA KEY", /malformed x-tarn-access-key-id: only printable ASCII without spaces/],
    ];
    for (const [name, value, message] of cases) {
      refused(() => verifyRequest({ method: METHOD, headers: { ...signed(), [name]: value }, now: NOW, secretFor }), message);
    }
    refused(() => verifyRequest({ method: METHOD, headers: { ...signed(), [AUTH_HEADERS.date]: ["a", "b"] }, now: NOW, secretFor }), /header x-tarn-date must appear once, as text/);
  });

  it("refuses a signature replayed on another method", () => {
    refused(() => verifyRequest({ method: "/tarn.metadata.v1.RepositoryService/DeleteRepository", headers: signed(), body: BODY, now: NOW, secretFor }), /signature does not match/);
  });

  it("refuses a request whose message was changed after signing", () => {
    refused(() => verifyRequest({ method: METHOD, headers: signed(), body: Buffer.from("serialized requesT"), now: NOW, secretFor }), /request message does not match its x-tarn-content-sha256/);
  });

  it("refuses a request without signature headers, naming the missing one", () => {
    const headers: Record<string, string> = signed();
    delete headers[AUTH_HEADERS.signature];
    refused(() => verifyRequest({ method: METHOD, headers, now: NOW, secretFor }), /missing x-tarn-signature header/);
    refused(() => verifyRequest({ method: METHOD, headers: {}, now: NOW, secretFor }), /missing x-tarn-access-key-id header/);
  });

  it("accepts clock skew up to 5 minutes either way and refuses more, saying which way", () => {
    const headers = signed();
    const fiveMinutes = 5 * 60 * 1000;
    assert.equal(verifyRequest({ method: METHOD, headers, now: NOW + fiveMinutes, secretFor }).accessKeyId, KEY);
    assert.equal(verifyRequest({ method: METHOD, headers, now: NOW - fiveMinutes, secretFor }).accessKeyId, KEY);
    refused(() => verifyRequest({ method: METHOD, headers, now: NOW + fiveMinutes + 1000, secretFor }), /request expired: x-tarn-date 20261124T130544Z is 301 s behind the server's clock/);
    refused(() => verifyRequest({ method: METHOD, headers, now: NOW - 3600_000, secretFor }), /is 3600 s ahead of the server's clock .*check the client's clock/);
  });

  it("refuses a malformed date even when correctly signed", () => {
    for (const bad of ["2026-11-24T13:05:44Z", "20260231T000000Z", "20261124T130544"]) {
      // Sign over the malformed date by hand, through the same canonical form the signer uses.
      const headers: Record<string, string> = { ...signed() };
      headers[AUTH_HEADERS.date] = bad;
      headers[AUTH_HEADERS.signature] = hmacHex(
        SECRET,
        stringToSign({ algorithm: SIGNATURE_ALGORITHM, method: METHOD, date: bad, nonce: headers[AUTH_HEADERS.nonce], signer: KEY, onBehalfOf: "", contentSha256: contentSha256(BODY) }),
      );
      refused(() => verifyRequest({ method: METHOD, headers, body: BODY, now: NOW, secretFor }), new RegExp(`malformed x-tarn-date '${bad}'`));
      assert.equal(parseSigningDate(bad), undefined, bad);
    }
    assert.equal(parseSigningDate(formatSigningDate(new Date(NOW))), NOW);
  });
});

describe("auth: replay guard", () => {
  it("refuses the same nonce twice and forgets it once out of the window", () => {
    const guard = new ReplayGuard(5 * 60 * 1000);
    guard.check(KEY, "n1", NOW, NOW);
    guard.check(KEY, "n2", NOW, NOW);
    guard.check("AKIAOTHEROTHEROTHER0", "n1", NOW, NOW);
    refused(() => guard.check(KEY, "n1", NOW, NOW + 1000), /replayed request: nonce n1 of AKIAABCDEFGHIJKLMNOP was already used/);
    assert.equal(guard.size, 3);
    guard.check(KEY, "n3", NOW + 11 * 60 * 1000, NOW + 11 * 60 * 1000);
    assert.equal(guard.size, 1);
  });

  it("when full, forgets the oldest second and refuses requests that old rather than risk a replay", () => {
    const guard = new ReplayGuard(5 * 60 * 1000, 3);
    guard.check(KEY, "a", NOW - 2000, NOW);
    guard.check(KEY, "b", NOW - 1000, NOW);
    guard.check(KEY, "c", NOW, NOW);
    guard.check(KEY, "d", NOW, NOW);
    assert.equal(guard.size, 3);
    refused(() => guard.check(KEY, "a", NOW - 2000, NOW), /too old to check for replay/);
    refused(() => guard.check(KEY, "c", NOW, NOW), /replayed request/);
  });
});
