// tarn://REPO[/REF[/PATH]] URIs, parsed strictly with DESIGN.md's name rules. Every mistake gets its own
// message naming the URI and the part at fault; nothing is percent-decoded (as lakectl's lakefs:// URIs).
import { invalidArgument } from "../errors";

export const SCHEME = "tarn://";

export interface TarnUri {
  repository: string;
  /** A branch, tag, commit id or ref expression (main~2, v1^2, main@). */
  ref?: string;
  /** Everything after the ref's slash; "" for a trailing slash (tarn://repo/main/). */
  path?: string;
}

const MAX_NAME_BYTES = 256;
const MAX_PATH_BYTES = 1024;
const USAGE = "expected tarn://REPO[/REF[/PATH]]";

// ---- names

/** Repository: [a-z0-9][a-z0-9-]{2,62}. Returns the name or throws INVALID_ARGUMENT saying what is wrong. */
export function checkRepositoryName(name: string, where = ""): string {
  const at = where ? ` in ${where}` : "";
  if (name === "") throw invalidArgument(`missing repository name${at}`);
  const bad = /[^a-z0-9-]/.exec(name);
  if (bad) {
    const hint = /[A-Z]/.test(bad[0]) ? " (use lowercase)" : "";
    throw invalidArgument(`invalid repository name '${name}'${at}: character '${bad[0]}' is not allowed; use lowercase letters, digits and '-'${hint}`);
  }
  if (name.startsWith("-")) throw invalidArgument(`invalid repository name '${name}'${at}: it must start with a lowercase letter or digit`);
  if (name.length < 3 || name.length > 63) {
    throw invalidArgument(`invalid repository name '${name}'${at}: it is ${name.length} characters long; it must be 3 to 63`);
  }
  return name;
}

/** Branch or tag: [\w][\w.-]* up to 256 bytes. `kind` names it in messages. */
export function checkBranchName(name: string, kind: "branch" | "tag" = "branch", where = ""): string {
  const at = where ? ` in ${where}` : "";
  if (name === "") throw invalidArgument(`missing ${kind} name${at}`);
  checkNameChars(name, `${kind} name`, at, "");
  return name;
}

function checkNameChars(name: string, what: string, at: string, refHint: string): void {
  if (!/^\w/.test(name)) {
    throw invalidArgument(`invalid ${what} '${name}'${at}: it must start with a letter, digit or '_'`);
  }
  const bad = /[^\w.-]/.exec(name);
  if (bad) {
    throw invalidArgument(`invalid ${what} '${name}'${at}: character '${bad[0]}' is not allowed; names use letters, digits, '_', '.' and '-'${refHint}`);
  }
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_NAME_BYTES) throw invalidArgument(`invalid ${what}${at}: it is ${bytes} bytes long; at most ${MAX_NAME_BYTES} are allowed`);
}

/**
 * A ref expression: a branch or tag name or a commit id (prefix), then optionally '@' (the branch's
 * committed state), then any number of '~N' / '^N' (N optional, meaning 1).
 */
export function checkRefExpression(ref: string, where = ""): string {
  const at = where ? ` in ${where}` : "";
  if (ref === "") throw invalidArgument(`missing ref${at}`);
  const base = /^[^@~^]*/.exec(ref)![0];
  if (base === "") throw invalidArgument(`invalid ref '${ref}'${at}: it must start with a branch, tag or commit id before '${ref[0]}'`);
  checkNameChars(base, "ref", at, "; a ref may end with '@', '~N' or '^N'");
  let rest = ref.slice(base.length);
  if (rest.startsWith("@")) rest = rest.slice(1);
  const modifiers = /^(?:[~^]\d*)*/.exec(rest)![0];
  const trailing = rest.slice(modifiers.length);
  if (trailing.startsWith("@")) {
    throw invalidArgument(`invalid ref '${ref}'${at}: '@' may appear once, right after the branch name (as in main@~1)`);
  }
  if (trailing !== "") {
    throw invalidArgument(`invalid ref '${ref}'${at}: unexpected '${trailing}' after '${ref.slice(0, ref.length - trailing.length)}'; '~' and '^' take an optional number, as in main~2 or main^2`);
  }
  return ref;
}

/** Any UTF-8 without NUL, up to 1024 bytes. */
export function checkObjectPath(path: string, where = ""): string {
  const at = where ? ` in ${where}` : "";
  const nul = path.indexOf("\0");
  if (nul >= 0) throw invalidArgument(`invalid path${at}: it contains a NUL character at position ${nul}`);
  // In 'u' mode a surrogate pair is one code point, so this finds only lone halves, which UTF-8 cannot encode.
  if (/[\uD800-\uDFFF]/u.test(path)) throw invalidArgument(`invalid path${at}: it is not valid UTF-8 (a lone surrogate)`);
  const bytes = Buffer.byteLength(path, "utf8");
  if (bytes > MAX_PATH_BYTES) throw invalidArgument(`invalid path${at}: it is ${bytes} bytes long; at most ${MAX_PATH_BYTES} are allowed`);
  return path;
}

// ---- URIs

export function parseTarnUri(text: string): TarnUri {
  if (!text.startsWith(SCHEME)) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
    if (scheme && scheme[1].toLowerCase() === "tarn") throw invalidArgument(`invalid URI '${text}': ${USAGE} (lowercase 'tarn', then '://')`);
    if (scheme) throw invalidArgument(`'${text}' is not a tarn URI: its scheme is '${scheme[1]}', ${USAGE}`);
    throw invalidArgument(`'${text}' is not a tarn URI: ${USAGE}`);
  }
  const rest = text.slice(SCHEME.length);
  const firstSlash = rest.indexOf("/");
  const repository = firstSlash < 0 ? rest : rest.slice(0, firstSlash);
  checkRepositoryName(repository, `'${text}'`);
  if (firstSlash < 0) return { repository };

  const afterRepo = rest.slice(firstSlash + 1);
  const secondSlash = afterRepo.indexOf("/");
  const ref = secondSlash < 0 ? afterRepo : afterRepo.slice(0, secondSlash);
  if (ref === "") {
    throw invalidArgument(`invalid URI '${text}': empty ref after 'tarn://${repository}/'; write tarn://${repository} or tarn://${repository}/REF`);
  }
  checkRefExpression(ref, `'${text}'`);
  if (secondSlash < 0) return { repository, ref };
  return { repository, ref, path: checkObjectPath(afterRepo.slice(secondSlash + 1), `'${text}'`) };
}

export function formatTarnUri(uri: TarnUri): string {
  let text = SCHEME + uri.repository;
  if (uri.ref !== undefined) text += "/" + uri.ref;
  if (uri.path !== undefined) text += "/" + uri.path;
  return text;
}

// ---- what a command expects

/** tarn://REPO, nothing after it (repo create, branch list). */
export function parseRepositoryUri(text: string): { repository: string } {
  const uri = parseTarnUri(text);
  if (uri.ref !== undefined) throw invalidArgument(`expected a repository URI tarn://REPO, got '${text}' which also names a ref`);
  return { repository: uri.repository };
}

/**
 * tarn://REPO/REF with a path as the command allows: `forbidden` (log, show, diff; a trailing slash is
 * tolerated), `optional` (fs ls: a prefix), `required` (fs cat, fs stat).
 */
export function parseRefUri(text: string, path: "forbidden" | "optional" | "required" = "forbidden"): Required<Pick<TarnUri, "repository" | "ref">> & { path: string } {
  const uri = parseTarnUri(text);
  if (uri.ref === undefined) throw invalidArgument(`'${text}' names no ref: expected tarn://${uri.repository}/REF${path === "forbidden" ? "" : "/PATH"}`);
  const p = uri.path ?? "";
  if (path === "forbidden" && p !== "") throw invalidArgument(`expected tarn://REPO/REF without a path, got '${text}' (path '${p}')`);
  if (path === "required" && p === "") throw invalidArgument(`'${text}' names no object: expected tarn://${uri.repository}/${uri.ref}/PATH`);
  return { repository: uri.repository, ref: uri.ref, path: p };
}

/** tarn://REPO/BRANCH[/PATH] where the ref must be a plain branch name (writes: upload, commit, merge target). */
export function parseBranchUri(text: string, path: "forbidden" | "optional" | "required" = "forbidden"): { repository: string; branch: string; path: string } {
  const uri = parseRefUri(text, path);
  if (/[@~^]/.test(uri.ref)) {
    throw invalidArgument(`'${text}' names the ref expression '${uri.ref}'; this command needs a branch name (writes go to branches only)`);
  }
  return { repository: uri.repository, branch: uri.ref, path: uri.path };
}
