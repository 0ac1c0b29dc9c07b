// The shape of a corpus file (campaign.json, shard-K-of-N.json), checked field by field before a
// campaign resumes from it or a merge reads it: a file edited by hand, cut short by a full disk or
// written by another tool is refused with the name of the first field that is wrong
// (`failures[2].token must be a string, got 17`), instead of failing later inside the campaign.

type Check = (value: unknown, at: string) => string | null;

function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const str: Check = (v, at) => (typeof v === 'string' ? null : `${at} must be a string, got ${show(v)}`);
const count: Check = (v, at) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    ? null
    : `${at} must be a whole number >= 0, got ${show(v)}`;
const num: Check = (v, at) =>
  typeof v === 'number' && Number.isFinite(v) ? null : `${at} must be a number, got ${show(v)}`;
const bool: Check = (v, at) =>
  typeof v === 'boolean' ? null : `${at} must be true or false, got ${show(v)}`;

function nullable(c: Check): Check {
  return (v, at) => (v === null ? null : c(v, at));
}

function optional(c: Check): Check {
  return (v, at) => (v === undefined ? null : c(v, at));
}

function list(item: Check): Check {
  return (v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list, got ${show(v)}`;
    for (let i = 0; i < v.length; i++) {
      const bad = item(v[i], `${at}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  };
}

/** A plain object whose every value passes `item` (counters by name). */
function record(item: Check): Check {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return `${at} must be an object, got ${show(v)}`;
    for (const [k, x] of Object.entries(v)) {
      const bad = item(x, `${at}.${k}`);
      if (bad !== null) return bad;
    }
    return null;
  };
}

/** An object with these fields (others are let through: later formats may add some). */
function shape(fields: Record<string, Check>): Check {
  return (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return `${at} must be an object, got ${show(v)}`;
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(fields)) {
      const bad = c(Object.hasOwn(o, k) ? o[k] : undefined, at === '' ? k : `${at}.${k}`);
      if (bad !== null) return bad;
    }
    return null;
  };
}

const failure = shape({
  signature: str,
  kind: str,
  id: str,
  message: str,
  actor: nullable(str),
  schedule: count,
  arm: str,
  seed: str,
  token: str,
  steps: count,
  count: count,
  finding: optional(str),
  shrunk: nullable(
    shape({
      token: str,
      steps: count,
      preemptions: count,
      faults: count,
      tries: count,
      ms: num,
      timedOut: bool,
    }),
  ),
});

const CORPUS_RECORD = shape({
  scenario: str,
  scenarioHash: str,
  baseSeed: str,
  strategy: str,
  mutations: list(str),
  designs: optional(list(str)),
  faults: str,
  shard: optional(count),
  shards: optional(count),
  schedules: optional(nullable(count)),
  next: count,
  steps: count,
  calibration: shape({
    k: count,
    n: count,
    steps: count,
    meanSteps: count,
    faultSites: count,
    sites: list(str),
    siteSteps: optional(record(count)),
  }),
  armRuns: record(count),
  armFailures: record(count),
  failures: list(failure),
  knownBugs: optional(list(failure)),
  goals: list(shape({ id: str, description: str, reached: count })),
  faultRuns: count,
  lateFaultRuns: count,
  faultSitesEvaluated: optional(record(count)),
  faultSitesFired: optional(record(count)),
  coverage: shape({ triples: list(str), pairs: list(str) }),
  corpus: list(shape({ seed: str, tape: list(count), faults: list(count) })),
});

/** suite.json: the suite's scenarios and the options its campaigns share (src/explore/suite.ts). */
const SUITE_RECORD = shape({
  scenarios: list(str),
  schedules: nullable(count),
  baseSeed: str,
  strategy: str,
  mutations: list(str),
  designs: optional(list(str)),
  faults: str,
  maxSteps: nullable(count),
  shards: nullable(count),
});

/** The first field of a parsed suite.json that has the wrong shape, as a sentence; null when none. */
export function suiteRecordProblem(data: unknown): string | null {
  return SUITE_RECORD(data, '');
}

/** The first field of a parsed corpus file that has the wrong shape, as a sentence; null when none. */
export function corpusRecordProblem(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return `the file must hold one JSON object, it holds ${show(data)}`;
  }
  return CORPUS_RECORD(data, '');
}
