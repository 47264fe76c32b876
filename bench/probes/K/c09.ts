// A Mailbox class wraps a condition; the sender may deliver before the receiver starts waiting.
import { Condition, Process, Value, isMainProcess, type SynchronizedValue } from '@process-topology/multiprocessing';

class Mailbox {
  constructor(private readonly cond: Condition, private readonly slot: SynchronizedValue<'i'>) {}

  async deliver(v: number) {
    await this.cond.acquire();
    try {
      await this.slot.set(v);
      await this.cond.notify();
    } finally {
      await this.cond.release();
    }
  }

  async receive(): Promise<number> {
    await this.cond.acquire();
    try {
      await this.cond.waitFor(async () => (await this.slot.get()) !== 0);
      return await this.slot.get();
    } finally {
      await this.cond.release();
    }
  }
}

export async function sender(cond: Condition, slot: SynchronizedValue<'i'>) {
  await new Mailbox(cond, slot).deliver(42);
}

export async function receiver(cond: Condition, slot: SynchronizedValue<'i'>) {
  console.log('received', await new Mailbox(cond, slot).receive());
}

if (isMainProcess()) {
  const cond = new Condition();
  const slot = Value('i', 0);
  const first = new Process({ target: sender, args: [cond, slot] });
  first.start();
  await first.join();
  const second = new Process({ target: receiver, args: [cond, slot] });
  second.start();
  await second.join();
}
