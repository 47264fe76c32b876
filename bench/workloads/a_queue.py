# (a) 50,000 small items through a Queue, from one child to the parent (spawn start method).
# Prints one JSON line: {"elapsed": s, "check": bool, "phases": {...}}. Timed from inside, after imports.
import json
import multiprocessing as mp
import sys
import time


def producer(q, n):
    for i in range(n):
        q.put(i)


if __name__ == '__main__':
    mp.set_start_method('spawn')
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    t0 = time.perf_counter()
    q = mp.Queue()
    p = mp.Process(target=producer, args=(q, n))
    p.start()
    total = q.get()
    t_first = time.perf_counter()
    for _ in range(n - 1):
        total += q.get()
    p.join()
    t_end = time.perf_counter()
    print(json.dumps({
        'elapsed': t_end - t0,
        'check': total == n * (n - 1) // 2 and p.exitcode == 0,
        'phases': {'first_item': t_first - t0, 'transfer': t_end - t_first},
    }))
