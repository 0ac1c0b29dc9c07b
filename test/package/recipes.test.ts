// The README's scale-out recipes as written: every ```yaml block parses; the GitHub Actions workflow has
// the shape Actions reads; the Kubernetes blocks are the files of deploy/k8s/, valid against a schema of
// the fields they use and the API's rules between fields; the pod's shell script turns each exit code of
// the command into the pod's exit the README's table gives; the Dockerfile copies what exists.
// Docker and a cluster cannot run here: this is what can be checked without them.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { EXIT_CODE } from '../../src/engine/types.ts';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The body of every fenced block of the README in `lang`. */
function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map(
    (m) => m[1] ?? '',
  );
}

describe('README YAML', () => {
  const yamlBlocks = blocks('yaml');

  it('every ```yaml block parses with no error or warning', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(4);
    for (const text of yamlBlocks) {
      for (const doc of parseAllDocuments(text)) {
        expect(doc.errors.map((e) => e.message)).toEqual([]);
        expect(doc.warnings.map((e) => e.message)).toEqual([]);
      }
    }
  });

  it('the GitHub Actions workflow: jobs and steps Actions reads, scalar inputs, one slice per matrix entry', () => {
    const workflows = yamlBlocks
      .map((t) => parseYaml(t) as Record<string, unknown>)
      .filter((d) => d !== null && typeof d === 'object' && 'jobs' in d);
    expect(workflows.length).toBe(1);
    const wf = workflows[0] as {
      jobs: Record<
        string,
        {
          'runs-on': string;
          needs?: string;
          strategy?: { matrix: { shard: number[] } };
          steps: Array<Record<string, unknown>>;
        }
      >;
    };
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
    const step = {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        uses: { type: 'string', pattern: '^[\\w-]+/[\\w-]+@v\\d+$' },
        run: { type: 'string' },
        with: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
        'continue-on-error': { type: 'boolean' },
      },
      oneOf: [{ required: ['uses'] }, { required: ['run'] }],
    };
    const validate = ajv.compile({
      type: 'object',
      additionalProperties: false,
      required: ['name', 'on', 'jobs'],
      properties: {
        name: { type: 'string' },
        on: { type: 'string' },
        jobs: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['runs-on', 'steps'],
            properties: {
              'runs-on': { type: 'string' },
              needs: { type: 'string' },
              strategy: {
                type: 'object',
                additionalProperties: false,
                properties: { 'fail-fast': { type: 'boolean' }, matrix: { type: 'object' } },
              },
              steps: { type: 'array', minItems: 1, items: step },
            },
          },
        },
      },
    });
    expect(validate(wf) ? [] : validate.errors).toEqual([]);
    const shard = wf.jobs.shard;
    const merge = wf.jobs.merge;
    if (shard === undefined || merge === undefined) throw new Error('jobs shard and merge expected');
    const matrix = shard.strategy?.matrix.shard ?? [];
    const fuzz = shard.steps.map((s) => s.run).find((r) => typeof r === 'string' && r.includes(' fuzz '));
    const m = /--shard \$\{\{ matrix\.shard \}\}\/(\d+) /.exec(String(fuzz));
    expect(matrix).toEqual([...Array(Number(m?.[1])).keys()]);
    expect(merge.needs).toBe('shard');
    // The merge downloads what the slices upload.
    const input = (steps: Array<Record<string, unknown>>, uses: string) =>
      steps.find((s) => s.uses === uses)?.with as Record<string, unknown> | undefined;
    const upload = input(shard.steps, 'actions/upload-artifact@v4');
    const download = input(merge.steps, 'actions/download-artifact@v4');
    // An Actions expression, not a template string.
    expect(upload?.name).toBe(['corpus-$', '{{ matrix.shard }}'].join(''));
    expect(download?.pattern).toBe('corpus-*');
    expect(merge.steps.at(-1)?.run).toBe(`npx ttm-sim corpus merge ${String(download?.path)}/* --all`);
  });
});

// --- Kubernetes -----------------------------------------------------------------------------------

const MANIFESTS = ['corpus-pvc.yaml', 'campaign-job.yaml', 'merge-job.yaml'] as const;
const manifest = (f: string) => readFileSync(join(ROOT, 'deploy/k8s', f), 'utf8');

// A schema of the fields the manifests use, with the value sets of the Kubernetes API reference
// (batch/v1 Job, core/v1 PodSpec, Container, PersistentVolumeClaim). No other field is allowed, so a
// misspelt or misplaced one is an error.
const name = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const volumeMount = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'mountPath'],
  properties: { name, mountPath: { type: 'string', pattern: '^/' } },
};
const container = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'image'],
  properties: {
    name,
    image: { type: 'string', minLength: 1 },
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    command: { type: 'array', items: { type: 'string' } },
    args: { type: 'array', items: { type: 'string' } },
    volumeMounts: { type: 'array', items: volumeMount },
  },
};
const podSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['containers'],
  properties: {
    restartPolicy: { enum: ['Never', 'OnFailure'] },
    securityContext: {
      type: 'object',
      additionalProperties: false,
      properties: {
        runAsUser: { type: 'integer', minimum: 0 },
        runAsGroup: { type: 'integer', minimum: 0 },
        fsGroup: { type: 'integer', minimum: 0 },
      },
    },
    containers: { type: 'array', minItems: 1, items: container },
    volumes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'persistentVolumeClaim'],
        properties: {
          name,
          persistentVolumeClaim: {
            type: 'object',
            additionalProperties: false,
            required: ['claimName'],
            properties: { claimName: name },
          },
        },
      },
    },
  },
};
const metadata = { type: 'object', additionalProperties: false, required: ['name'], properties: { name } };
const K8S_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        apiVersion: { const: 'batch/v1' },
        kind: { const: 'Job' },
        metadata,
        spec: {
          type: 'object',
          additionalProperties: false,
          required: ['template'],
          properties: {
            completionMode: { enum: ['NonIndexed', 'Indexed'] },
            completions: { type: 'integer', minimum: 1 },
            parallelism: { type: 'integer', minimum: 0 },
            backoffLimit: { type: 'integer', minimum: 0 },
            backoffLimitPerIndex: { type: 'integer', minimum: 0 },
            podFailurePolicy: {
              type: 'object',
              additionalProperties: false,
              required: ['rules'],
              properties: {
                rules: {
                  type: 'array',
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    required: ['action', 'onExitCodes'],
                    properties: {
                      action: { enum: ['FailJob', 'FailIndex', 'Ignore', 'Count'] },
                      onExitCodes: {
                        type: 'object',
                        additionalProperties: false,
                        required: ['operator', 'values'],
                        properties: {
                          containerName: name,
                          operator: { enum: ['In', 'NotIn'] },
                          // The API refuses 0 with In, and more than 255 values.
                          values: {
                            type: 'array',
                            minItems: 1,
                            maxItems: 255,
                            uniqueItems: true,
                            items: { type: 'integer', minimum: 1, maximum: 255 },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            template: {
              type: 'object',
              additionalProperties: false,
              required: ['spec'],
              properties: { spec: podSpec },
            },
          },
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        apiVersion: { const: 'v1' },
        kind: { const: 'PersistentVolumeClaim' },
        metadata,
        spec: {
          type: 'object',
          additionalProperties: false,
          required: ['accessModes', 'resources'],
          properties: {
            accessModes: {
              type: 'array',
              minItems: 1,
              items: { enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
            },
            resources: {
              type: 'object',
              additionalProperties: false,
              required: ['requests'],
              properties: {
                requests: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['storage'],
                  properties: { storage: { type: 'string', pattern: '^[0-9]+(Ki|Mi|Gi|Ti)?$' } },
                },
              },
            },
          },
        },
      },
    },
  ],
};

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Job {
  kind: 'Job';
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    backoffLimitPerIndex?: number;
    podFailurePolicy?: {
      rules: Array<{ action: string; onExitCodes: { containerName?: string; values: number[] } }>;
    };
    template: { spec: { restartPolicy?: string; containers: Container[] } };
  };
}

const job = (f: string) => parseYaml(manifest(f)) as Job;
const campaign = job('campaign-job.yaml');
const fuzzContainer = campaign.spec.template.spec.containers[0] as Container;
const podScript = fuzzContainer.args?.[0] ?? '';

describe('Kubernetes recipe', () => {
  it('the README shows the files of deploy/k8s/ as they are', () => {
    const shown = blocks('yaml');
    for (const f of MANIFESTS) expect(shown, f).toContain(manifest(f));
  });

  it('every manifest validates against the schema of the fields it uses', () => {
    const validate = new Ajv({ allErrors: true }).compile(K8S_SCHEMA);
    for (const f of MANIFESTS) {
      const docs = parseAllDocuments(manifest(f));
      expect(docs.length, f).toBe(1);
      const value = docs[0]?.toJS() as unknown;
      expect(validate(value) ? [] : validate.errors, f).toEqual([]);
    }
  });

  it("the Job API's rules between fields hold", () => {
    for (const f of ['campaign-job.yaml', 'merge-job.yaml']) {
      const { spec } = job(f);
      const pod = spec.template.spec;
      const containers = pod.containers.map((c) => c.name);
      // A Job's pods restart Never or OnFailure; podFailurePolicy needs Never (batch/v1 Job validation).
      if (spec.podFailurePolicy !== undefined) expect(pod.restartPolicy, f).toBe('Never');
      // backoffLimitPerIndex needs an Indexed Job, and an Indexed Job needs completions.
      if (spec.backoffLimitPerIndex !== undefined) expect(spec.completionMode, f).toBe('Indexed');
      if (spec.completionMode === 'Indexed') expect(spec.completions, f).toBeGreaterThan(0);
      for (const rule of spec.podFailurePolicy?.rules ?? []) {
        // FailIndex is allowed only with backoffLimitPerIndex; the exit-code rule names a container.
        if (rule.action === 'FailIndex') expect(spec.backoffLimitPerIndex, f).toBeDefined();
        expect(containers, f).toContain(rule.onExitCodes.containerName);
      }
      // The image the README builds, by its version, used as loaded into the nodes.
      for (const c of pod.containers) {
        expect(c.image, f).toBe(`ttm-sim:${VERSION}`);
        expect(c.imagePullPolicy, f).toBe('IfNotPresent');
      }
    }
    expect(README).toContain(`docker build -t ttm-sim:${VERSION} .`);
  });

  it('the slices are the Job completions, and the merge reads the directory they write', () => {
    const m = /--shard "\$JOB_COMPLETION_INDEX\/(\d+)" --corpus (\S+)/.exec(podScript);
    expect(Number(m?.[1])).toBe(campaign.spec.completions);
    const merge = job('merge-job.yaml').spec.template.spec.containers[0];
    expect(merge?.command).toEqual(['ttm-sim', 'corpus', 'merge', m?.[2], '--all']);
    const pvc = parseYaml(manifest('corpus-pvc.yaml')) as { metadata: { name: string } };
    for (const f of ['campaign-job.yaml', 'merge-job.yaml'])
      expect(manifest(f)).toContain(`claimName: ${pvc.metadata.name} }`);
    // Bad input and a simulator bug fail their index at once; they would come back on every retry.
    expect(campaign.spec.podFailurePolicy?.rules).toEqual([
      {
        action: 'FailIndex',
        onExitCodes: { containerName: 'fuzz', operator: 'In', values: [EXIT_CODE.badInput, EXIT_CODE.crash] },
      },
    ]);
  });

  // The pod's script with a stand-in `ttm-sim` first on PATH: it records its arguments, then exits
  // with $CODE, or (with $WAIT set) waits for SIGTERM and exits $CODE when it comes.
  const bin = mkdtempSync(join(tmpdir(), 'ttm-sim-pod-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(
    join(bin, 'ttm-sim'),
    `#!/bin/sh
printf '%s\\n' "$@" > "$OUT/args"
if [ -n "$WAIT" ]; then
  trap 'echo term > "$OUT/signal"; exit "$CODE"' TERM
  touch "$OUT/started"
  while :; do sleep 0.05; done
fi
exit "$CODE"
`,
  );
  chmodSync(join(bin, 'ttm-sim'), 0o755);
  const [shell, flag] = fuzzContainer.command ?? [];
  const podEnv = (code: number, extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    JOB_COMPLETION_INDEX: '5',
    OUT: bin,
    CODE: String(code),
    ...extra,
  });

  it('the pod succeeds when its slice ran (0, 1, 3) and fails with the code for every other exit', () => {
    expect([shell, flag]).toEqual(['sh', '-c']);
    const codes = [...Object.values(EXIT_CODE), 130, 137];
    const podExit: Record<number, number | null> = {};
    for (const code of codes) {
      const r = spawnSync(shell as string, [flag as string, podScript], {
        env: podEnv(code),
        encoding: 'utf8',
      });
      podExit[code] = r.status;
    }
    expect(podExit).toEqual({ 0: 0, 1: 0, 2: 2, 3: 0, 4: 4, 130: 130, 137: 137 });
    expect(readFileSync(join(bin, 'args'), 'utf8').trim().split('\n')).toEqual([
      'fuzz',
      '--scenario',
      'vram-pressure',
      '--schedules',
      '80000',
      '--time-budget',
      '1h',
      '--shard',
      '5/8',
      '--corpus',
      '/corpus/vram-pressure',
    ]);
  });

  it('an evicted pod (SIGTERM) passes the signal on and fails, even when its slice had found a failure', async () => {
    for (const f of ['signal', 'started']) rmSync(join(bin, f), { force: true });
    const child = spawn(shell as string, [flag as string, podScript], {
      env: podEnv(EXIT_CODE.correctness, { WAIT: '1' }),
      stdio: 'ignore',
    });
    let ended = false;
    const exited = new Promise<number | null>((done) =>
      child.on('exit', (code) => {
        ended = true;
        done(code);
      }),
    );
    // However slow the machine, until the stand-in runs (or the shell ends without it: then it fails below).
    while (!ended && !existsSync(join(bin, 'started'))) await sleep(25);
    expect(existsSync(join(bin, 'started'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(readFileSync(join(bin, 'signal'), 'utf8')).toBe('term\n');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));

  it('builds on the Node the package declares, installs the packed tarball globally, and copies what exists', () => {
    const from = lines.filter((l) => l.startsWith('FROM '));
    expect(from.map((l) => l.split(' ')[1])).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    const engines = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    expect(engines).toMatch(/^>=20\./);
    expect(lines).toContain('RUN mkdir /pkg && npm pack --pack-destination /pkg');
    expect(lines).toContain(
      'RUN npm install --global --no-audit --no-fund /pkg/*.tgz && rm -rf /pkg && npm cache clean --force',
    );
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const sources = l.split(/\s+/).slice(1, -1);
      for (const s of sources) expect(existsSync(join(ROOT, s)), s).toBe(true);
    }
    // The build context leaves out what npm ci makes inside the image.
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const d of ['node_modules', 'dist', '.git']) expect(ignored).toContain(d);
  });
});
