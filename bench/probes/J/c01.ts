// Report builder: a child renders report sections into a small bounded queue; main drains every section, then joins.
import { Process, Queue, isMainProcess } from '@process-topology/multiprocessing';

const SECTIONS = ['intro', 'method', 'results', 'discussion', 'appendix'];
const BUFFER = 2;

export async function render(sections: string[], out: Queue<[string, string]>) {
  for (const s of sections) {
    const body = s.toUpperCase().padEnd(12, '.');
    await out.put([s, body]);
  }
}

if (isMainProcess()) {
  const out = new Queue<[string, string]>(BUFFER);
  const renderer = new Process({ target: render, args: [SECTIONS, out] });
  renderer.start();
  const rendered = new Map<string, string>();
  while (rendered.size < SECTIONS.length) {
    const [name, body] = await out.get();
    rendered.set(name, body);
  }
  await renderer.join();
  for (const name of SECTIONS) console.log(rendered.get(name));
}
