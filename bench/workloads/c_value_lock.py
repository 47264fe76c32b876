# (c) 2 processes x 5,000 increments of one Value under one Lock (spawn start method).
import json
import multiprocessing as mp
import sys
import time


def increment(v, lock, n):
    for _ in range(n):
        with lock:
            v.value += 1


if __name__ == '__main__':
    mp.set_start_method('spawn')
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    t0 = time.perf_counter()
    lock = mp.Lock()
    v = mp.Value('i', 0, lock=False)
    ps = [mp.Process(target=increment, args=(v, lock, n)) for _ in range(2)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    t_end = time.perf_counter()
    print(json.dumps({
        'elapsed': t_end - t0,
        'check': v.value == 2 * n and all(p.exitcode == 0 for p in ps),
        'value': v.value,
    }))
