# (d) Pool(2).map of x*x over 100,000 items, default chunksize (spawn start method).
import json
import multiprocessing as mp
import sys
import time


def square(x):
    return x * x


if __name__ == '__main__':
    mp.set_start_method('spawn')
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    pool = mp.Pool(2)
    t_pool = time.perf_counter()
    result = pool.map(square, range(n))
    t_map = time.perf_counter()
    pool.close()
    pool.join()
    t_end = time.perf_counter()
    print(json.dumps({
        'elapsed': t_end - t0,
        'check': len(result) == n and sum(result) == sum(i * i for i in range(n)),
        'phases': {'pool_start': t_pool - t0, 'map': t_map - t_pool, 'close_join': t_end - t_map},
    }))
