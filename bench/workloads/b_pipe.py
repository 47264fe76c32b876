# (b) 5,000 Pipe round trips between the parent and a child that echoes (spawn start method).
import json
import multiprocessing as mp
import sys
import time


def echo(conn):
    while True:
        x = conn.recv()
        if x is None:
            break
        conn.send(x)


if __name__ == '__main__':
    mp.set_start_method('spawn')
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    t0 = time.perf_counter()
    a, b = mp.Pipe()
    p = mp.Process(target=echo, args=(b,))
    p.start()
    ok = True
    a.send(0)
    ok = a.recv() == 0
    t_first = time.perf_counter()
    for i in range(1, n):
        a.send(i)
        ok = ok and a.recv() == i
    a.send(None)
    p.join()
    t_end = time.perf_counter()
    print(json.dumps({
        'elapsed': t_end - t0,
        'check': ok and p.exitcode == 0,
        'phases': {'first_item': t_first - t0, 'transfer': t_end - t_first},
    }))
