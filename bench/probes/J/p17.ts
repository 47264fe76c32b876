// Tree total: a child sums a nested tree into a shared value while holding a recursive lock; main reads it afterwards.
import { Process, RLock, Value, isMainProcess, type RawSharedValue } from '@process-topology/multiprocessing';

type TreeNode = { value: number; children: TreeNode[] };

const TREE: TreeNode = {
  value: 1,
  children: [
    { value: 2, children: [{ value: 4, children: [] }] },
    { value: 3, children: [] },
  ],
};

async function visit(node: TreeNode, lock: RLock, total: RawSharedValue<'i'>): Promise<void> {
  await lock.acquire();
  await total.set((await total.get()) + node.value);
  if (node.children.length === 0) return;
  for (const child of node.children) await visit(child, lock, total);
  await lock.release();
}

export async function summer(tree: TreeNode, lock: RLock, total: RawSharedValue<'i'>) {
  await visit(tree, lock, total);
}

if (isMainProcess()) {
  const lock = new RLock();
  const total = Value('i', 0, { lock: false });
  const child = new Process({ target: summer, args: [TREE, lock, total] });
  child.start();
  await child.join();
  const sum = await lock.withLock(() => total.get());
  console.log('tree total', sum);
}
