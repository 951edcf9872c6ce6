// Who may do what: a small statement model in the style of AWS IAM and lakeFS. A user has one policy, a
// list of statements; each allows or denies actions on resources, both matched with '*' wildcards.
// A request is allowed when some statement allows it and none denies it (a matching deny always wins).
import { TarnError, invalidArgument } from "../errors";

export const ACTIONS = [
  "repos:Read", // read objects, refs, commits, diffs of a repository
  "repos:Write", // stage, delete, commit, branch, tag, merge, revert, reset in a repository
  "repos:Manage", // create and delete repositories
  "auth:Manage", // users, their policies, anyone's access keys
  "cluster:Read", // cluster status
  "cluster:Manage", // membership changes, leadership transfer
] as const;

export type Action = (typeof ACTIONS)[number];

export type Effect = "allow" | "deny";

export interface Statement {
  effect: Effect;
  /** Actions or patterns: "repos:Read", "repos:*", "*". */
  actions: string[];
  /** Resources or patterns: "tarn:repo:NAME", "tarn:repo:*", "tarn:auth", "tarn:cluster", "*". */
  resources: string[];
}

export interface Policy {
  statements: Statement[];
}

export interface Principal {
  id: string;
  policy: Policy;
}

export const AUTH_RESOURCE = "tarn:auth";
export const CLUSTER_RESOURCE = "tarn:cluster";
export const repoResource = (repository: string) => `tarn:repo:${repository}`;

// ---- presets

export function adminPolicy(): Policy {
  return { statements: [{ effect: "allow", actions: ["*"], resources: ["*"] }] };
}

/** Read access to the named repositories ("*" = all) and to cluster status. */
export function readOnlyPolicy(repositories: string[] | "*"): Policy {
  return {
    statements: [
      { effect: "allow", actions: ["repos:Read"], resources: repoResources(repositories) },
      { effect: "allow", actions: ["cluster:Read"], resources: [CLUSTER_RESOURCE] },
    ],
  };
}

/** Read and write access to the named repositories ("*" = all), without creating or deleting them. */
export function readWritePolicy(repositories: string[] | "*"): Policy {
  return {
    statements: [
      { effect: "allow", actions: ["repos:Read", "repos:Write"], resources: repoResources(repositories) },
      { effect: "allow", actions: ["cluster:Read"], resources: [CLUSTER_RESOURCE] },
    ],
  };
}

function repoResources(repositories: string[] | "*"): string[] {
  return repositories === "*" ? [repoResource("*")] : repositories.map(repoResource);
}

// ---- decisions

export interface Decision {
  allowed: boolean;
  /** Why, for logs and for the PERMISSION_DENIED message. */
  reason: string;
}

/** Glob match where '*' stands for any run of characters (including none) and nothing else is special. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  if (!value.startsWith(parts[0]) || value.length < parts[0].length + parts[parts.length - 1].length) return false;
  if (!value.endsWith(parts[parts.length - 1])) return false;
  let at = parts[0].length;
  const end = value.length - parts[parts.length - 1].length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

const matches = (s: Statement, action: Action, resource: string) =>
  s.actions.some((a) => wildcardMatch(a, action)) && s.resources.some((r) => wildcardMatch(r, resource));

export function authorize(principal: Principal, action: Action, resource: string): Decision {
  const statements = principal.policy.statements;
  const deny = statements.findIndex((s) => s.effect === "deny" && matches(s, action, resource));
  if (deny >= 0) return { allowed: false, reason: `statement ${deny + 1} of user ${principal.id}'s policy denies ${action} on ${resource}` };
  const allow = statements.findIndex((s) => s.effect === "allow" && matches(s, action, resource));
  if (allow >= 0) return { allowed: true, reason: `statement ${allow + 1} of user ${principal.id}'s policy allows ${action} on ${resource}` };
  return { allowed: false, reason: `no statement of user ${principal.id}'s policy allows ${action} on ${resource}` };
}

/** Throws TarnError PERMISSION_DENIED with the decision's reason. */
export function requirePermission(principal: Principal, action: Action, resource: string): void {
  const decision = authorize(principal, action, resource);
  if (!decision.allowed) throw new TarnError("PERMISSION_DENIED", `permission denied: ${decision.reason}`);
}

// ---- validation of policies that come from users

const ACTION_PATTERN = /^(\*|(repos|auth|cluster):(\*|[A-Za-z]+))$/;
const RESOURCE_PATTERN = /^(\*|tarn:(auth|cluster|repo:[a-z0-9*-]+))$/;

/**
 * Refuses malformed or meaningless statements, naming the first one at fault. A policy without statements
 * is valid: its user may only call WhoAmI and manage their own keys until granted more.
 */
export function checkPolicy(policy: Policy): Policy {
  if (!policy || !Array.isArray(policy.statements)) throw invalidArgument("invalid policy: it needs a list of statements");
  policy.statements.forEach((s, i) => {
    const where = `invalid policy statement ${i + 1}`;
    if (s.effect !== "allow" && s.effect !== "deny") throw invalidArgument(`${where}: effect must be 'allow' or 'deny', not '${String(s.effect)}'`);
    if (!Array.isArray(s.actions) || s.actions.length === 0) throw invalidArgument(`${where}: it needs at least one action`);
    if (!Array.isArray(s.resources) || s.resources.length === 0) throw invalidArgument(`${where}: it needs at least one resource`);
    for (const a of s.actions) {
      const known = a.includes("*") ? ACTION_PATTERN.test(a) : (ACTIONS as readonly string[]).includes(a);
      if (!known) throw invalidArgument(`${where}: unknown action '${a}' (known: ${ACTIONS.join(", ")}, or wildcards like repos:*)`);
    }
    for (const r of s.resources) {
      if (!RESOURCE_PATTERN.test(r)) throw invalidArgument(`${where}: unknown resource '${r}' (expected tarn:repo:NAME, tarn:repo:*, tarn:auth, tarn:cluster or *)`);
    }
  });
  return policy;
}
