// pt_shm: the shim's shared-memory addon (Node-API, C). One shared segment per program run (a
// memfd the root creates and every child maps, inherited as a file descriptor), a bump allocator
// in it, and process-owned robust locks over futexes:
//
//   lock word (int32 at off):   0 free, else (holder pid | WAITERS)
//   off+4:  RLock recursion count (written only by the holder, or for it by the root's hub)
//   off+8:  pid of a holder that died, set by the root's hub when it hands the lock on; the next
//           acquire takes it (and reports OwnerDiedError)
//   off+12: operations counter (acquires, releases, and waits beginning): progress, for the root's
//           deadlock detector, which sees no frame of these operations
//
// The owner is a process (its pid), not a thread, as in the shim's hub-side locks. A blocked
// acquire waits on a thread of a small pool (FUTEX_WAIT, with a timeout), which takes the lock for
// the process and tells the JS thread through a thread-safe function; the event loop keeps running.
// Robustness: the kernel's robust futex lists are per thread and glibc's own, so a dead holder is
// noticed by the root's hub instead (its connection closes without an orderly goodbye), which
// hands the dead pid's locks on (handOn). Linux only: elsewhere the module does not build and the
// shim uses the hub's locks.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Bind the thread functions glibc 2.34 re-versioned to their old versions, so the prebuilt binary
// also loads on older glibc (x86-64: 2.2.5, aarch64: 2.17 are the base versions).
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver pthread_create,pthread_create@GLIBC_2.17");
__asm__(".symver pthread_attr_setstacksize,pthread_attr_setstacksize@GLIBC_2.17");
#endif

#define WAITERS (1 << 30)
#define PID_MASK (WAITERS - 1)

static uint8_t *base = NULL;
static size_t base_size = 0;

// ---- futex and atomics ----------------------------------------------------------------------------

static int futex_wait(int32_t *addr, int32_t expected, const struct timespec *rel) {
  return (int)syscall(SYS_futex, addr, FUTEX_WAIT, expected, rel, NULL, 0);
}

static void futex_wake_all(int32_t *addr) { syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }

static int32_t *word(uint32_t off) { return (int32_t *)(base + off); }

static int cas(int32_t *w, int32_t expected, int32_t desired) {
  return __atomic_compare_exchange_n(w, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/** After taking the lock: count the operation, take the dead holder's pid if one was left. */
static int32_t took(uint32_t off) {
  __atomic_fetch_add(word(off + 12), 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(word(off + 8), __ATOMIC_SEQ_CST) == 0) return 0;
  return __atomic_exchange_n(word(off + 8), 0, __ATOMIC_SEQ_CST);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// ---- waiters ------------------------------------------------------------------------------------

typedef struct Req {
  int32_t id;
  uint32_t off;
  int32_t pid;
  int64_t deadline; // monotonic ns; -1: none
  volatile int cancelled;
  int take;         // take the lock for `pid` (else only wait until it was released: -3)
  int32_t result;   // -1 timed out, -2 cancelled, -3 released (try again), 0 acquired, >0 acquired from this dead holder
  struct Req *next; // queue, then the active list
} Req;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static Req *queue_head = NULL, *queue_tail = NULL;
static Req *active = NULL; // taken by a thread, not yet reported
static int idle_threads = 0;
static napi_threadsafe_function tsfn = NULL;

static void run(Req *r) {
  int32_t *w = word(r->off);
  int32_t mine = r->pid | WAITERS; // others may be waiting: the release must wake them
  for (;;) {
    if (r->cancelled) {
      r->result = -2;
      return;
    }
    int32_t c = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    if (c == 0 && !r->take) {
      r->result = -3;
      return;
    }
    if (c == 0) {
      if (cas(w, 0, mine)) {
        r->result = took(r->off);
        return;
      }
      continue;
    }
    if (!(c & WAITERS)) {
      if (!cas(w, c, c | WAITERS)) continue;
      c |= WAITERS;
    }
    struct timespec rel, *relp = NULL;
    if (r->deadline >= 0) {
      int64_t left = r->deadline - now_ns();
      if (left <= 0) {
        r->result = -1;
        return;
      }
      rel.tv_sec = left / 1000000000LL;
      rel.tv_nsec = left % 1000000000LL;
      relp = &rel;
    }
    futex_wait(w, c, relp);
  }
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (queue_head == NULL) pthread_cond_wait(&cv, &mu);
    Req *r = queue_head;
    queue_head = r->next;
    if (queue_head == NULL) queue_tail = NULL;
    idle_threads--;
    r->next = active;
    active = r;
    pthread_mutex_unlock(&mu);
    run(r);
    pthread_mutex_lock(&mu);
    for (Req **p = &active; *p; p = &(*p)->next) {
      if (*p == r) {
        *p = r->next;
        break;
      }
    }
    idle_threads++;
    pthread_mutex_unlock(&mu);
    napi_call_threadsafe_function(tsfn, r, napi_tsfn_blocking);
  }
  return NULL;
}

// ---- Node-API glue --------------------------------------------------------------------------------

#define CHECK(call)                                                                                  \
  do {                                                                                               \
    if ((call) != napi_ok) {                                                                         \
      napi_throw_error(env, NULL, "pt_shm: " #call " failed");                                       \
      return NULL;                                                                                   \
    }                                                                                                \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static int args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, NULL, "pt_shm: missing arguments");
    return 0;
  }
  return 1;
}

static int64_t int_arg(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

/** An offset of a lock (16 bytes) inside the mapping, or -1 (after throwing). */
static int64_t lock_off(napi_env env, napi_value v) {
  int64_t off = int_arg(env, v);
  if (base == NULL || off < 0 || (off & 15) != 0 || (size_t)off + 16 > base_size) {
    napi_throw_range_error(env, NULL, "pt_shm: bad lock offset");
    return -1;
  }
  return off;
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  Req *r = data;
  if (env != NULL && js_cb != NULL) {
    napi_value undefined, argv[2];
    napi_get_undefined(env, &undefined);
    argv[0] = num(env, r->id);
    argv[1] = num(env, r->result);
    napi_call_function(env, undefined, js_cb, 2, argv, NULL);
  }
  free(r);
}

/** init(onWake): onWake(id, result) is called on the JS thread when a waitLock ends. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  if (tsfn != NULL) return NULL;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "pt_shm.wake", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &tsfn));
  CHECK(napi_unref_threadsafe_function(env, tsfn)); // pending waits keep the process alive in JS
  return NULL;
}

/** create(size) -> fd of a new anonymous shared segment of `size` bytes (zero-filled). */
static napi_value js_create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  int64_t size = int_arg(env, argv[0]);
  int fd = (int)syscall(SYS_memfd_create, "pt-mp-shm", 1 /* MFD_CLOEXEC */);
  if (fd < 0 || ftruncate(fd, size) != 0) {
    if (fd >= 0) close(fd);
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  return num(env, fd);
}

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint; // the mapping lives as long as the process
}

/**
 * map(fd, size): map the segment (once per process). JS sees its blocks through view(): an
 * ArrayBuffer over the whole segment would count as external memory and make V8 collect garbage
 * sooner (64 MiB is its threshold).
 */
static napi_value js_map(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  int fd = (int)int_arg(env, argv[0]);
  size_t size = (size_t)int_arg(env, argv[1]);
  if (base != NULL) {
    napi_throw_error(env, NULL, "pt_shm: already mapped");
    return NULL;
  }
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  base = p;
  base_size = size;
  return NULL;
}

/** view(off, bytes) -> ArrayBuffer over that block of the segment. */
static napi_value js_view(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  int64_t off = int_arg(env, argv[0]);
  int64_t bytes = int_arg(env, argv[1]);
  if (base == NULL || off < 0 || bytes < 0 || (size_t)(off + bytes) > base_size) {
    napi_throw_range_error(env, NULL, "pt_shm: bad block");
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_external_arraybuffer(env, base + off, (size_t)bytes, unmap, NULL, &out));
  return out;
}

/**
 * alloc(bytes, kind) -> offset of a fresh zeroed block (16-byte aligned) after its 16-byte header
 * [kind, bytes], or -1 when the segment is full. Header 0: the bump pointer (starts at 64).
 */
static napi_value js_alloc(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  int64_t bytes = int_arg(env, argv[0]);
  int32_t kind = (int32_t)int_arg(env, argv[1]);
  if (base == NULL || bytes < 0 || bytes > (int64_t)base_size) return num(env, -1);
  int64_t need = 16 + ((bytes + 15) & ~(int64_t)15);
  int64_t *bump = (int64_t *)base;
  int64_t expected = __atomic_load_n(bump, __ATOMIC_SEQ_CST);
  for (;;) {
    int64_t at = expected < 64 ? 64 : expected;
    if (at + need > (int64_t)base_size) return num(env, -1);
    if (__atomic_compare_exchange_n(bump, &expected, at + need, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
      int32_t *h = (int32_t *)(base + at);
      __atomic_store_n(&h[1], (int32_t)bytes, __ATOMIC_SEQ_CST);
      __atomic_store_n(&h[0], kind, __ATOMIC_SEQ_CST);
      return num(env, (double)(at + 16));
    }
  }
}

/** blocks(kind) -> offsets of the blocks of that kind allocated so far (the hub's death scan). */
static napi_value js_blocks(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  int32_t kind = (int32_t)int_arg(env, argv[0]);
  napi_value out;
  CHECK(napi_create_array(env, &out));
  if (base == NULL) return out;
  int64_t end = __atomic_load_n((int64_t *)base, __ATOMIC_SEQ_CST);
  uint32_t n = 0;
  for (int64_t at = 64; at + 16 <= end;) {
    int32_t *h = (int32_t *)(base + at);
    int32_t k = __atomic_load_n(&h[0], __ATOMIC_SEQ_CST);
    int32_t bytes = __atomic_load_n(&h[1], __ATOMIC_SEQ_CST);
    if (k == 0) break; // being written by its allocator
    if (k == kind) napi_set_element(env, out, n++, num(env, (double)(at + 16)));
    at += 16 + ((bytes + 15) & ~15);
  }
  return out;
}

/** tryLock(off, pid) -> -1 held by someone, 0 taken, >0 taken from that dead holder. */
static napi_value js_try_lock(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  int64_t off = lock_off(env, argv[0]);
  if (off < 0) return NULL;
  int32_t pid = (int32_t)int_arg(env, argv[1]);
  if (!cas(word(off), 0, pid)) return num(env, -1);
  return num(env, took(off));
}

/** unlock(off) -> the lock word before (0: it was not locked; then nothing changed). */
static napi_value js_unlock(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  int64_t off = lock_off(env, argv[0]);
  if (off < 0) return NULL;
  int32_t *w = word(off);
  int32_t prev = __atomic_load_n(w, __ATOMIC_SEQ_CST);
  if (prev == 0) return num(env, 0);
  __atomic_store_n(word(off + 4), 0, __ATOMIC_SEQ_CST);
  prev = __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(word(off + 12), 1, __ATOMIC_SEQ_CST);
  if (prev & WAITERS) futex_wake_all(w);
  return num(env, prev);
}

/** handOn(off, pid): if `pid` holds the lock, free it for the next acquirer with its death noted. */
static napi_value js_hand_on(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  int64_t off = lock_off(env, argv[0]);
  if (off < 0) return NULL;
  int32_t dead = (int32_t)int_arg(env, argv[1]);
  int32_t *w = word(off);
  for (;;) {
    int32_t c = __atomic_load_n(w, __ATOMIC_SEQ_CST);
    if ((c & PID_MASK) != dead || c == 0) {
      napi_value f;
      napi_get_boolean(env, 0, &f);
      return f;
    }
    __atomic_store_n(word(off + 8), dead, __ATOMIC_SEQ_CST);
    __atomic_store_n(word(off + 4), 0, __ATOMIC_SEQ_CST);
    if (cas(w, c, 0)) break;
  }
  __atomic_fetch_add(word(off + 12), 1, __ATOMIC_SEQ_CST);
  futex_wake_all(w);
  napi_value t;
  napi_get_boolean(env, 1, &t);
  return t;
}

/**
 * waitLock(id, off, pid, timeoutMs (<0: none), take): on a waiter thread, take the lock for `pid`
 * (take = 1: the root's hub, for another process) or wait until it is free (take = 0: the process
 * itself then tries, so a holder that releases and acquires again in a loop keeps it, as CPython's
 * locks do, instead of handing over at every release); onWake(id, r) after.
 */
static napi_value js_wait_lock(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, 5, argv)) return NULL;
  int64_t off = lock_off(env, argv[1]);
  if (off < 0) return NULL;
  if (tsfn == NULL) {
    napi_throw_error(env, NULL, "pt_shm: init() first");
    return NULL;
  }
  double timeout_ms = 0;
  napi_get_value_double(env, argv[3], &timeout_ms);
  Req *r = calloc(1, sizeof(Req));
  if (r == NULL) {
    napi_throw_error(env, NULL, "pt_shm: out of memory");
    return NULL;
  }
  r->id = (int32_t)int_arg(env, argv[0]);
  r->off = (uint32_t)off;
  r->pid = (int32_t)int_arg(env, argv[2]);
  r->take = (int)int_arg(env, argv[4]);
  r->deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)(timeout_ms * 1e6);
  __atomic_fetch_add(word(off + 12), 1, __ATOMIC_SEQ_CST); // a process begins to wait: progress too
  pthread_mutex_lock(&mu);
  if (queue_tail) queue_tail->next = r;
  else queue_head = r;
  queue_tail = r;
  int spawn = idle_threads == 0;
  if (spawn) idle_threads++; // counted idle until it takes its first request
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  if (spawn) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, worker, NULL) != 0) {
      pthread_mutex_lock(&mu);
      idle_threads--;
      pthread_mutex_unlock(&mu);
    }
    pthread_attr_destroy(&attr);
  }
  return NULL;
}

/** cancelWait(id): a waitLock still pending ends with -2 (or reports the lock it just took). */
static napi_value js_cancel_wait(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  int32_t id = (int32_t)int_arg(env, argv[0]);
  pthread_mutex_lock(&mu);
  for (Req *r = queue_head; r; r = r->next) if (r->id == id) r->cancelled = 1;
  for (Req *r = active; r; r = r->next) {
    if (r->id == id) {
      r->cancelled = 1;
      futex_wake_all(word(r->off));
    }
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"map", NULL, js_map, NULL, NULL, NULL, napi_default, NULL},
      {"view", NULL, js_view, NULL, NULL, NULL, napi_default, NULL},
      {"alloc", NULL, js_alloc, NULL, NULL, NULL, napi_default, NULL},
      {"blocks", NULL, js_blocks, NULL, NULL, NULL, napi_default, NULL},
      {"tryLock", NULL, js_try_lock, NULL, NULL, NULL, napi_default, NULL},
      {"unlock", NULL, js_unlock, NULL, NULL, NULL, napi_default, NULL},
      {"handOn", NULL, js_hand_on, NULL, NULL, NULL, napi_default, NULL},
      {"waitLock", NULL, js_wait_lock, NULL, NULL, NULL, napi_default, NULL},
      {"cancelWait", NULL, js_cancel_wait, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
