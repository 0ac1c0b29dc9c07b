// Scenario files: how much work one run of a file's scenario is, estimated from its configuration
// before anything runs, so a file that would run for minutes and fill the memory (1 GiB BOs faulted a
// thousand times) is refused with the estimate instead. The unit is the page operation: a page
// populated, written, touched through a CPU mapping, moved or read back. Each of the model's page
// operations costs a roughly constant time (a page is an object with its data, its mappings and the
// checks every step makes of it), so the estimate is proportional to a run's time and memory within a
// small factor. Counts are upper bounds where the schedule decides (every validation may move its BO).

/**
 * The default limit. The built-in scenarios' configurations are at most 7,680; at the 50 to 180 µs per
 * page operation bench/scenario_work.ts measured, the limit is a run of 5 to 18 s.
 */
export const DEFAULT_WORK_LIMIT = 100_000;

/** Where the estimate comes from, for the message. */
export interface WorkPart {
  readonly what: string;
  readonly ops: number;
}

export interface WorkEstimate {
  readonly ops: number;
  /** The parts, heaviest first. */
  readonly parts: readonly WorkPart[];
}

const KIB_PER_PAGE = 4;

function num(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  return typeof v === 'number' ? v : 0;
}

function total(parts: WorkPart[]): WorkEstimate {
  const sorted = [...parts].sort((a, b) => b.ops - a.ops || (a.what < b.what ? -1 : 1));
  return { ops: parts.reduce((a, p) => a + p.ops, 0), parts: sorted };
}

function vramPressureWork(c: Record<string, unknown>): WorkEstimate {
  const avg = Math.ceil((num(c, 'minBoKiB') + num(c, 'maxBoKiB')) / 2 / KIB_PER_PAGE);
  const max = num(c, 'maxBoKiB') / KIB_PER_PAGE;
  const clients = num(c, 'clients');
  const frames = num(c, 'frames');
  const perFrame = num(c, 'bosPerClient') + num(c, 'sharedBos');
  const resident =
    (clients * num(c, 'bosPerClient') + num(c, 'sharedBos')) * avg +
    (clients * num(c, 'pageTableKiB')) / KIB_PER_PAGE;
  return total([
    {
      what: `${clients} clients × ${frames} frames validating ${perFrame} BOs of ${avg} pages on average`,
      ops: clients * frames * perFrame * avg,
    },
    {
      what: `${frames} frames × ${num(c, 'readbacks')} readbacks of 2 BOs of up to ${max} pages`,
      ops: frames * num(c, 'readbacks') * 2 * max,
    },
    { what: `${resident} pages created, suspended and resumed`, ops: 2 * resident },
  ]);
}

function memoryPressureWork(c: Record<string, unknown>): WorkEstimate {
  const pages = num(c, 'writers') * num(c, 'bosPerWriter') * num(c, 'boPages');
  return total([
    {
      what: `${num(c, 'writers')} writers × ${num(c, 'bosPerWriter')} BOs of ${num(c, 'boPages')} pages populated, written, checked, backed up and restored`,
      ops: 4 * pages,
    },
    { what: `${num(c, 'readers')} readers reading the ${pages} pages back`, ops: num(c, 'readers') * pages },
    {
      what: `${num(c, 'kswapdWakeups')} kswapd wake-ups reclaiming ${num(c, 'watermarkPages')} pages`,
      ops: num(c, 'kswapdWakeups') * num(c, 'watermarkPages'),
    },
  ]);
}

interface BoCfg {
  readonly name: string;
  readonly device: string;
  readonly kib: number;
}

interface TaskCfg {
  readonly kind: string;
  readonly name: string;
  readonly bo?: string;
  readonly bos?: readonly string[];
  readonly device?: string;
  readonly pages?: number;
  readonly repeat?: number;
}

function raceWork(c: Record<string, unknown>): WorkEstimate {
  const bos = (c.bos ?? []) as readonly BoCfg[];
  const tasks = (c.tasks ?? []) as readonly TaskCfg[];
  const pagesOf = new Map(bos.map((b) => [b.name, b.kib / KIB_PER_PAGE]));
  const resident = bos.reduce((a, b) => a + b.kib / KIB_PER_PAGE, 0);
  const parts: WorkPart[] = [
    { what: `${bos.length} BOs of ${resident} pages created, suspended and resumed`, ops: 2 * resident },
  ];
  tasks.forEach((t, i) => {
    const repeat = t.repeat ?? 1;
    let pages = 0;
    if (t.kind === 'fault') pages = pagesOf.get(t.bo ?? '') ?? 0;
    else if (t.kind === 'exec') pages = (t.bos ?? []).reduce((a, n) => a + (pagesOf.get(n) ?? 0), 0);
    else if (t.kind === 'reclaim') pages = t.pages ?? 0;
    else if (t.kind === 'evict')
      pages = bos.filter((b) => b.device === t.device).reduce((a, b) => a + b.kib / KIB_PER_PAGE, 0);
    if (pages > 0) {
      parts.push({
        what: `tasks[${i}] "${t.name}", ${t.kind === 'exec' || t.kind === 'evict' ? 'an' : 'a'} ${t.kind} task over ${pages} pages ${repeat} time${repeat === 1 ? '' : 's'}`,
        ops: repeat * pages,
      });
    }
  });
  return total(parts);
}

/** The estimated work of one run of a scenario file's (complete, normalised) configuration. */
export function estimateWork(config: Record<string, unknown>): WorkEstimate {
  switch (config.scenario) {
    case 'vram-pressure':
      return vramPressureWork(config);
    case 'memory-pressure':
      return memoryPressureWork(config);
    case 'race':
      return raceWork(config);
    default:
      return { ops: 0, parts: [] };
  }
}
