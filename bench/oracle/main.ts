// The oracle benchmark's command line: generate programs from a seed, analyze them, run them under
// the shim, and report agreement by rule and by feature (see bench/README.md, "The shim as the
// oracle"). Not a timing benchmark: the figures are counts, so it may run on a busy machine.
//
//   npx tsx bench/oracle/main.ts [--count 200] [--seed 1] [--from 0] [--concurrency 3]
//       [--runs 1] [--max-runs 3] [--json FILE] [--markdown FILE] [--compare OLD.json]
//       [--scenario a,b] [--variant correct|bug] [--keep] [--work DIR] [--show ID] [--write DIR]
//       [--explain] [--explain-only ID...] [--no-run] [--show ID --plain [--except axis,axis]]
//       [--report-from OUT.json]   (the Markdown report of an earlier JSON output)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generate, type GenerateOptions } from './generate';
import { evaluate, generatorClaims } from './evaluate';
import { Explainer, describeExplanation } from './explain';
import { disagreements } from './judge';
import { buildReport, compareRecords, disagreementClasses, records, renderMarkdown, type ProgramRecord, type Report } from './report';
import { writeProgram } from './run';
import type { Program } from './types';

interface Args {
  count: number;
  seed: number;
  from: number;
  concurrency: number;
  runs: number;
  maxRuns: number;
  json?: string;
  markdown?: string;
  compare?: string;
  scenarios?: string[];
  variant?: 'correct' | 'bug';
  keep: boolean;
  work: string;
  show?: string;
  write?: string;
  explain: boolean;
  explainOnly: string[];
  noRun: boolean;
  plain: boolean;
  except: string[];
  reportFrom?: string;
}

function parse(argv: string[]): Args {
  const a: Args = { count: 200, seed: 1, from: 0, concurrency: 3, runs: 1, maxRuns: 3, keep: false, work: path.join(__dirname, '..', '.oracle-runs'), explain: false, explainOnly: [], noRun: false, plain: false, except: [] };
  const num = (v: string | undefined, name: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) fail(`${name} needs a whole number, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => argv[++i];
    switch (k) {
      case '--count': a.count = num(v(), k); break;
      case '--seed': a.seed = num(v(), k); break;
      case '--from': a.from = num(v(), k); break;
      case '--concurrency': a.concurrency = Math.max(1, num(v(), k)); break;
      case '--runs': a.runs = Math.max(1, num(v(), k)); break;
      case '--max-runs': a.maxRuns = Math.max(1, num(v(), k)); break;
      case '--json': a.json = v(); break;
      case '--markdown': a.markdown = v(); break;
      case '--compare': a.compare = v(); break;
      case '--scenario': a.scenarios = (v() ?? '').split(',').filter(Boolean); break;
      case '--variant': {
        const x = v();
        if (x !== 'correct' && x !== 'bug') fail('--variant is correct or bug');
        a.variant = x;
        break;
      }
      case '--keep': a.keep = true; break;
      case '--work': a.work = path.resolve(v() ?? fail('--work needs a folder')); break;
      case '--show': a.show = v(); break;
      case '--write': a.write = path.resolve(v() ?? fail('--write needs a folder')); break;
      case '--explain': a.explain = true; break;
      case '--explain-only': a.explainOnly.push(v() ?? fail('--explain-only needs a program id')); break;
      case '--no-run': a.noRun = true; break;
      case '--plain': a.plain = true; break;
      case '--report-from': a.reportFrom = v(); break;
      case '--except': a.except = (v() ?? '').split(',').filter(Boolean); break;
      case '--help': case '-h':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
        process.exit(0);
        break;
      default: fail(`unknown option ${k}`);
    }
  }
  a.maxRuns = Math.max(a.maxRuns, a.runs);
  return a;
}

function fail(msg: string): never {
  console.error(`oracle: ${msg}`);
  process.exit(2);
}

/** `s1-0042-bug` (or `1:42:bug`) -> the program. */
function byId(id: string, opts: GenerateOptions): Program {
  const m = /^s?(\d+)[-:](\d+)(?:[-:](ok|correct|bug))?$/.exec(id);
  if (!m) fail(`not a program id: ${id}`);
  const variant = m[3] === 'bug' ? 'bug' : m[3] ? 'correct' : undefined;
  return generate(Number(m[1]), Number(m[2]), { ...opts, ...(variant ? { variant } : {}) });
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const gopts: GenerateOptions = { ...(args.scenarios ? { scenarios: args.scenarios } : {}), ...(args.variant ? { variant: args.variant } : {}) };
  if (args.reportFrom) {
    const old = JSON.parse(fs.readFileSync(args.reportFrom, 'utf8')) as { meta: { seed: number; from: number; count: number; runs: number; maxRuns: number; rev: string }; summary: Report };
    const m = old.meta;
    console.log(renderMarkdown(old.summary, { seed: m.seed, count: m.count, from: m.from, runs: `${m.runs}..${m.maxRuns} runs each`, oracle: 'plain runs' }));
    console.log(`(at ${m.rev})`);
    return;
  }
  if (args.show) {
    let p = byId(args.show, gopts);
    if (args.plain) {
      // Every way of writing at its plainest but the ones named: the shape of a fixture.
      const overrides = new Map(Object.entries(p.axes).filter(([a]) => !args.except.includes(a)).map(([a, x]) => [a, x.plain]));
      p = generate(p.seed, p.index, { ...gopts, variant: p.variant === 'bug' ? 'bug' : 'correct', overrides });
    }
    const { files, ...meta } = p;
    console.log(JSON.stringify(meta, null, 2));
    for (const f of files) console.log(`\n// ===== ${f.path}\n${f.text}`);
    return;
  }
  if (args.explainOnly.length > 0) {
    const x = new Explainer(path.join(args.work, 'explain'));
    for (const id of args.explainOnly) {
      const p = byId(id, gopts);
      console.log(`${p.id} (${p.scenario}${p.bug ? `/${p.bug.kind}` : ''})`);
      for (const e of x.explain(p)) console.log(`  ${describeExplanation(e)}`);
    }
    return;
  }
  const programs = Array.from({ length: args.count }, (_, i) => generate(args.seed, args.from + i, gopts));
  if (args.write) {
    for (const p of programs) writeProgram(p, path.join(args.write, p.id));
    console.log(`wrote ${programs.length} programs under ${args.write}`);
    return;
  }
  const started = Date.now();
  console.error(`oracle: ${programs.length} programs (seed ${args.seed}, from ${args.from}), ${args.concurrency} at once, load ${os.loadavg()[0]!.toFixed(1)}`);
  const results = await evaluate(programs, {
    workDir: path.join(args.work, `seed-${args.seed}`),
    concurrency: args.concurrency,
    policy: { runs: args.runs, maxRuns: args.maxRuns },
    clean: !args.keep,
    ...(args.noRun ? { oracle: generatorClaims } : {}),
    progress: (done, total, r) => {
      const j = r.judgement;
      const flags = [
        j.generator.agrees ? '' : 'GENERATOR≠SHIM',
        j.blocking === 'miss' || j.runtime.some((x) => x.verdict === 'miss') || j.race === 'miss' ? 'MISS' : '',
        j.blocking === 'false-alarm' || j.runtime.some((x) => x.verdict === 'false-alarm') || j.race === 'false-alarm' ? 'FALSE-ALARM' : '',
      ].filter(Boolean).join(' ');
      console.error(`[${done}/${total}] ${r.program.id} ${r.program.scenario}${r.program.bug ? `/${r.program.bug.kind}` : ''}: ${r.runs.map((x) => x.outcome).join(',')} ${flags}`);
    },
  });
  const report = buildReport(results);
  if (args.explain) {
    const x = new Explainer(path.join(args.work, 'explain'));
    let n = 0;
    for (const r of results) {
      const d = disagreements(r.judgement);
      if (d.length === 0) continue;
      r.explanations = x.explain(r.program, d, gopts);
      if (++n % 10 === 0) console.error(`explained ${n} programs`);
    }
    report.classes = disagreementClasses(results);
  }
  let rev = 'unknown';
  try {
    rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname }).toString().trim();
  } catch { /* not a checkout */ }
  const md = renderMarkdown(report, { seed: args.seed, count: args.count, from: args.from, runs: args.noRun ? 'no runs' : `${args.runs}..${args.maxRuns} runs each`, oracle: args.noRun ? "the generator's claims" : 'plain runs' });
  console.log(md);
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s at ${rev})`);
  if (args.markdown) fs.writeFileSync(args.markdown, md + '\n');
  const out = {
    meta: { seed: args.seed, from: args.from, count: args.count, runs: args.runs, maxRuns: args.maxRuns, oracle: args.noRun ? 'generator-claims' : 'plain-runs', rev, date: new Date().toISOString(), load: os.loadavg()[0] },
    summary: report,
    programs: records(results),
  };
  // One program per line: compact, and two outputs diff line by line.
  if (args.json) {
    fs.writeFileSync(args.json, `{"meta": ${JSON.stringify(out.meta)},\n"summary": ${JSON.stringify(out.summary)},\n"programs": [\n${out.programs.map((p) => JSON.stringify(p)).join(',\n')}\n]}\n`);
  }
  if (args.compare) {
    const before = JSON.parse(fs.readFileSync(args.compare, 'utf8')) as { programs: ProgramRecord[] };
    const changes = compareRecords(before.programs, out.programs);
    console.log(`\n### Changes against ${args.compare} (${changes.length})\n`);
    for (const c of changes) console.log(`- ${c}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
