/* Many threads, one network: an EHR's order-entry servers check orders and prescriptions for
 * different patients at once against one shared CinNetwork (queries need no lock; loads do).
 * Each of 8 threads checks HbA1c orders and ibuprofen prescriptions; every answer must equal the
 * one a single thread got for the same check beforehand.
 *
 * Build: add -lpthread. */
#include "cin.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define CHECKS 150
#define TOTAL (THREADS * CHECKS)

static CinNetwork *net;
static size_t n_patients;
static char *at; /* the end of the synthetic data: "now" for the replayed orders */

/* What one check answered: the number of alerts, the worst kind and a hash of the JSON. */
typedef struct Answer {
    size_t order_alerts, rx_alerts;
    CinAlertKind order_kind, rx_kind;
    unsigned long json_hash;
} Answer;

static Answer expected[TOTAL];

static unsigned long hash(const char *s) {
    unsigned long h = 5381;
    while (*s) h = h * 33u + (unsigned char)*s++;
    return h;
}

/* Runs check k (patient k mod n): returns 0 on success. */
static int check(size_t k, Answer *out) {
    char *id = NULL, *json = NULL;
    CinAlertSummary order, rx;
    int rc = 1;
    if (cin_network_patient_id(net, k % n_patients, &id) != CIN_STATUS_OK) return 1;
    if (cin_network_check_order_summary(net, id, "LOINC", "4548-4", at, &order) == CIN_STATUS_OK &&
        cin_network_check_prescription_summary(net, id, "ibuprofen", at, &rx) == CIN_STATUS_OK &&
        cin_network_check_prescription(net, id, "ibuprofen", at, &json) == CIN_STATUS_OK) {
        out->order_alerts = order.count;
        out->order_kind = order.kind;
        out->rx_alerts = rx.count;
        out->rx_kind = rx.kind;
        out->json_hash = hash(json);
        rc = 0;
    }
    cin_string_free(json);
    cin_string_free(id);
    return rc;
}

static void *worker(void *arg) {
    size_t t = (size_t)arg, mismatches = 0;
    for (size_t i = 0; i < CHECKS; i++) {
        size_t k = t * CHECKS + i;
        Answer a;
        memset(&a, 0, sizeof a);
        if (check(k, &a) != 0) return (void *)1;
        mismatches += memcmp(&a, &expected[k], sizeof a) != 0;
    }
    return mismatches ? (void *)1 : NULL;
}

int main(void) {
    if (cin_network_synthetic(2000, 42, &net) != CIN_STATUS_OK) {
        fprintf(stderr, "%s\n", cin_last_error_message());
        return 1;
    }
    n_patients = cin_network_patient_count(net);
    if (n_patients != 2000 || cin_network_data_end(net, &at) != CIN_STATUS_OK) {
        cin_network_free(net);
        return 1;
    }
    /* One thread first: the reference answers (memset so struct padding compares equal). */
    memset(expected, 0, sizeof expected);
    size_t duplicates = 0, interactions = 0;
    for (size_t k = 0; k < TOTAL; k++) {
        if (check(k, &expected[k]) != 0) {
            fprintf(stderr, "check %zu failed: %s\n", k, cin_last_error_message());
            return 1;
        }
        duplicates += expected[k].order_kind == CIN_ALERT_KIND_DUPLICATE_TEST;
        interactions += expected[k].rx_kind == CIN_ALERT_KIND_DRUG_INTERACTION;
    }
    printf("at %s: %zu of %d HbA1c orders duplicate a recent result, %zu ibuprofen orders interact\n", at,
           duplicates, TOTAL, interactions);

    pthread_t th[THREADS];
    int rc = 0;
    for (size_t t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)t) != 0) return 1;
    for (size_t t = 0; t < THREADS; t++) {
        void *ret = NULL;
        pthread_join(th[t], &ret);
        if (ret) {
            fprintf(stderr, "thread %zu: answers differ from the single-threaded run\n", t);
            rc = 1;
        }
    }
    /* The checks must have had something to find, or the comparison proves little. */
    if (duplicates == 0 || interactions == 0) {
        fprintf(stderr, "expected some duplicate-test and interaction alerts\n");
        rc = 1;
    }
    printf("%d threads x %d checks: %s\n", THREADS, CHECKS, rc ? "MISMATCH" : "same answers");
    cin_string_free(at);
    cin_network_free(net);
    return rc;
}
