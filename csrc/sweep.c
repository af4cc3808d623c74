/*
 * Many training runs in one call, spread over threads: the engine of
 * pyneuron.sweep.  Each thread takes the next job from a shared counter and
 * runs pn_train on it; pn_train's result depends only on its own arguments,
 * so which thread ran a job, and how many there were, changes nothing.  The
 * jobs run on helper threads while the caller waits (on the caller itself
 * only if no thread can start), and the SIMD levels that served the helpers
 * count as the caller's (pn_simd_served): a test of the level a sweep ran
 * at sees every job's kernels.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "kernels.h"

typedef struct {
    pn_train_job *jobs;
    int64_t count;
    atomic_int_fast64_t next; /* the next job to take */
} job_queue;

static void work(job_queue *q) {
    for (;;) {
        const int64_t i = atomic_fetch_add(&q->next, 1);
        if (i >= q->count) return;
        pn_train_job *j = &q->jobs[i];
        j->status = pn_train(j->net, j->config, j->data, j->state, j->rec, j->epochs);
    }
}

/* A helper thread: its jobs, then the levels that served them. */
static void *help(void *q) {
    work((job_queue *)q);
    return (void *)(intptr_t)pn_simd_served(0);
}

pn_status pn_train_jobs(pn_train_job *jobs, int64_t count, int threads) {
    if (count < 0) return PN_ERR_SIZE;
    if (threads < 1 || threads > PN_MAX_THREADS) return PN_ERR_ARG;
    if (count == 0) return PN_OK;
    if (!jobs) return PN_ERR_NULL;
    if ((uintptr_t)jobs % alignof(pn_train_job)) return PN_ERR_ALIGN;
    job_queue q = {.jobs = jobs, .count = count};
    atomic_init(&q.next, 0);
    if (threads > count) threads = (int)count;
    pthread_t helpers[PN_MAX_THREADS];
    int started = 0;
    while (started < threads && pthread_create(&helpers[started], NULL, help, &q) == 0) started++;
    if (!started) work(&q);
    for (int t = 0; t < started; t++) {
        void *served;
        pthread_join(helpers[t], &served);
        pn_simd_count_served((int)(intptr_t)served);
    }
    return PN_OK;
}
