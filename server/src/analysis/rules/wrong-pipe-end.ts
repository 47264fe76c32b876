// wrong-pipe-end (docs/rules/wrong-pipe-end.md): with `Pipe(false)` the first end only receives and the second only
// sends; send() on the first or recv() on the second fails ("connection is read-only" /
// "connection is write-only").
import type { Finding } from '../../../../common/model';
import { defineRule, type RuleContext } from '../rule-context';
import { byCall } from '../passes/flow-paths';
import { endName } from '../rule-helpers';
import { finding } from '../rule-helpers';

export default defineRule({
  id: 'wrong-pipe-end',
  severity: 'error',
  family: 'lifecycle',
  summary: 'send on the receive-only end, or recv on the send-only end, of a one-way pipe.',
  run: wrongPipeEnd,
});

function wrongPipeEnd(ctx: RuleContext): Finding[] {
  const wrong = ctx.extraction.ops.filter((o) => o.obj.kind === 'pipe' && !o.obj.unknown && o.obj.duplex === false
    && ((o.kind === 'send' && o.end === 0) || (o.kind === 'recv' && o.end === 1)));
  return [...byCall(wrong).values()].map((ops) => {
    const op = ops[0]!;
    const pipe = op.obj;
    const sending = op.kind === 'send';
    const role = sending ? 'receive-only' : 'send-only';
    const error = sending ? 'connection is read-only' : 'connection is write-only';
    return finding(ctx, {
      rule: 'wrong-pipe-end',
      severity: 'error',
      message: `${op.method}() on ${endName(pipe, op.end)}, the ${role} end of a one-way Pipe(false): it fails with "${error}"`
        + ` (the first end only receives, the second only sends)`,
      at: op.call,
      related: [{ message: 'the one-way pipe is created here', at: pipe.node }],
      sites: [pipe, ...new Set(ops.map((o) => o.proc))],
      ops,
    });
  });
}
