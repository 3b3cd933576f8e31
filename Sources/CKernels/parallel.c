// See CKernels.h: a small persistent pool of worker threads for Learn's fork-join loops.
//
// One job at a time. The caller publishes (task, context, chunks) under a new generation; the
// caller and the workers claim chunk indices from one atomic ticket, (generation << 16) | next
// index, so a worker still looking at an older job can never claim a chunk of the new one (the
// ticket is closed before the job is rewritten, as in a seqlock). The caller runs chunks too and
// returns once every chunk is done. Workers spin briefly after a job (the next operation of a
// training step follows within microseconds), then sleep on a condition variable; the caller,
// waiting for a chunk that a descheduled worker holds (other processes share the cores), spins
// briefly and then sleeps too, so that its core is free for that worker. A call made
// while the pool is busy (from a worker, or from a second thread) runs its chunks in the calling
// thread: a caller's results must never depend on which thread ran a chunk.
//
// When other processes keep the cores busy, a worker descheduled while it holds a chunk makes
// the caller wait for a whole time slice, and a fork-join pass becomes slower than one thread.
// The caller weighs each job against what it would have cost serially: its own time in chunks
// scaled by the chunks it ran (all of them, had it been alone). When the last 64 jobs took
// longer than that estimate (splitting made them slower), the pool reports itself unavailable
// for half a second (callers then run their operations whole, unsplit), then it is tried again.
// On an idle machine the caller still waits a little for a worker waking from sleep (7–13 % of
// a job in an LNN step, measured; its 64-job windows take 0.52–0.93 of the estimate), which an
// earlier rule (waiting over a tenth of the time) mistook for contention, turning the second
// core off for most of the step. Since no result depends on the split,
// this changes only the speed.
#define _GNU_SOURCE
#include "CKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define MAX_WORKERS 63
#define MAX_CHUNKS 4096
#define INDEX_BITS 16
#define CLOSED 0xffffu  // an index above any chunk count
#define SPIN 4000       // polls before a thread sleeps (a pause is ~20–60 cycles: tens of µs)

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;  // held by the caller of a job
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;  // the sleep/wake handshake
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER; // the caller sleeping until done
static atomic_int caller_waiting;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static size_t workers;                                     // threads besides the caller

static _Atomic(nk_task) job_task;
static _Atomic(void *) job_context;
static atomic_size_t job_chunks;
static atomic_uint_fast64_t ticket;
static atomic_uint_fast64_t generation;
static atomic_size_t done_chunks;

// Contention (only the caller holding `busy` touches these).
#define WINDOW 64           // jobs over which waiting is weighed
#define SPLIT_LIMIT 1.0     // split time over the estimated serial time above which splitting stops
#define SERIAL_SECONDS 0.5  // time without splitting once that limit is exceeded
#define CALLER_SPIN 200     // polls before the caller sleeps, freeing its core for a worker
static double window_time, window_serial;
static unsigned window_jobs;
static _Atomic double serial_until;  // CLOCK_MONOTONIC seconds
static size_t jobs_split, jobs_serial;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

size_t nk_affinity_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (size_t)n : 1;
}

static inline void relax(void) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

// Runs chunks of the job of generation g until none is left (or the job is no longer g's);
// returns how many this thread ran.
static size_t run_chunks(uint_fast64_t g) {
    size_t ran = 0;
    nk_task task = atomic_load_explicit(&job_task, memory_order_relaxed);
    void *context = atomic_load_explicit(&job_context, memory_order_relaxed);
    size_t n = atomic_load_explicit(&job_chunks, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    uint_fast64_t t = atomic_load_explicit(&ticket, memory_order_relaxed);
    for (;;) {
        if (t >> INDEX_BITS != g || (t & CLOSED) >= n) return ran;
        if (!atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acquire, memory_order_relaxed)) continue;
        task(context, (size_t)(t & CLOSED));
        ran++;
        if (atomic_fetch_add_explicit(&done_chunks, 1, memory_order_seq_cst) + 1 == n
            && atomic_load_explicit(&caller_waiting, memory_order_seq_cst)) {
            pthread_mutex_lock(&lock);
            pthread_cond_broadcast(&finished);
            pthread_mutex_unlock(&lock);
        }
        t = atomic_load_explicit(&ticket, memory_order_relaxed);
    }
}

static void *worker(void *unused) {
    (void)unused;
    uint_fast64_t seen = 0;
    for (;;) {
        uint_fast64_t g;
        int spins = 0;
        while ((g = atomic_load_explicit(&generation, memory_order_acquire)) == seen && spins < SPIN) { spins++; relax(); }
        if (g == seen) {
            pthread_mutex_lock(&lock);
            while ((g = atomic_load_explicit(&generation, memory_order_acquire)) == seen) pthread_cond_wait(&wake, &lock);
            pthread_mutex_unlock(&lock);
        }
        seen = g;
        run_chunks(g);
    }
    return 0;
}

static void start(void) {
    size_t cores = nk_affinity_cores();
    size_t n = cores > MAX_WORKERS + 1 ? MAX_WORKERS : cores - 1;
    for (size_t i = 0; i < n; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker, 0) == 0) workers++;
        pthread_attr_destroy(&attr);
    }
}

void nk_parallel_for(size_t chunks, nk_task task, void *context) {
    if (chunks > 1 && chunks <= MAX_CHUNKS) pthread_once(&started, start);
    if (chunks <= 1 || chunks > MAX_CHUNKS || workers == 0 || pthread_mutex_trylock(&busy) != 0) {
        for (size_t i = 0; i < chunks; i++) task(context, i);
        return;
    }
    double start = now();
    if (start < atomic_load_explicit(&serial_until, memory_order_relaxed)) {
        jobs_serial++;
        pthread_mutex_unlock(&busy);
        for (size_t i = 0; i < chunks; i++) task(context, i);
        return;
    }
    jobs_split++;
    uint_fast64_t g = atomic_load_explicit(&generation, memory_order_relaxed);
    // Close the previous job's ticket before its description changes.
    atomic_store_explicit(&ticket, (g << INDEX_BITS) | CLOSED, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&job_task, task, memory_order_relaxed);
    atomic_store_explicit(&job_context, context, memory_order_relaxed);
    atomic_store_explicit(&job_chunks, chunks, memory_order_relaxed);
    atomic_store_explicit(&done_chunks, 0, memory_order_relaxed);
    g += 1;
    atomic_store_explicit(&ticket, g << INDEX_BITS, memory_order_release);
    pthread_mutex_lock(&lock);
    atomic_store_explicit(&generation, g, memory_order_release);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    size_t mine = run_chunks(g);
    double own = now();
    int spins = 0;
    while (atomic_load_explicit(&done_chunks, memory_order_acquire) < chunks && spins < CALLER_SPIN) { spins++; relax(); }
    if (atomic_load_explicit(&done_chunks, memory_order_acquire) < chunks) {
        pthread_mutex_lock(&lock);
        atomic_store_explicit(&caller_waiting, 1, memory_order_seq_cst);
        while (atomic_load_explicit(&done_chunks, memory_order_seq_cst) < chunks) pthread_cond_wait(&finished, &lock);
        atomic_store_explicit(&caller_waiting, 0, memory_order_relaxed);
        pthread_mutex_unlock(&lock);
    }
    double end = now();
    window_time += end - start;
    // The serial estimate: the caller's time from the dispatch to its last chunk, per chunk,
    // times all the chunks (a job whose chunks the workers took all of counts as neither gain
    // nor loss). It includes the dispatch, so a job the caller ran whole (a worker too slow to
    // wake) counts as even, not as a loss that could push an idle window over the limit.
    // (Estimating from the chunks alone was tried: LNN steps of 45-68 ms followed, but the
    // machine was noisy then, PyTorch's step moving from 40 to 49 ms; not conclusive.)
    window_serial += mine > 0 ? (own - start) * (double)chunks / (double)mine : end - start;
    if (++window_jobs == WINDOW) {
        if (window_time > SPLIT_LIMIT * window_serial) atomic_store_explicit(&serial_until, end + SERIAL_SECONDS, memory_order_relaxed);
        window_time = window_serial = 0;
        window_jobs = 0;
    }
    pthread_mutex_unlock(&busy);
}

void nk_parallel_counts(size_t *split, size_t *serial) {
    *split = jobs_split;
    *serial = jobs_serial;
}

int nk_parallel_available(void) {
    pthread_once(&started, start);
    return workers > 0 && now() >= atomic_load_explicit(&serial_until, memory_order_relaxed);
}

size_t nk_parallel_workers(void) {
    pthread_once(&started, start);
    return workers + 1;
}

int nk_cpu_has_avx2_fma(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}
