# (e) start 10 processes (a target that returns at once), then join them (spawn start method).
import json
import multiprocessing as mp
import sys
import time


def noop():
    pass


if __name__ == '__main__':
    mp.set_start_method('spawn')
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    t0 = time.perf_counter()
    ps = [mp.Process(target=noop) for _ in range(n)]
    for p in ps:
        p.start()
    t_started = time.perf_counter()
    for p in ps:
        p.join()
    t_end = time.perf_counter()
    print(json.dumps({
        'elapsed': t_end - t0,
        'check': all(p.exitcode == 0 for p in ps),
        'phases': {'start': t_started - t0, 'join': t_end - t_started},
    }))
