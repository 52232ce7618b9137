/* Many threads, one network: an EHR's order-entry servers check orders and prescriptions for
 * different patients at once against one shared CinNetwork (queries need no lock; loads do).
 *
 * Build: add -lpthread. */
#include "cin.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 8
#define CHECKS 200

static CinNetwork *net;
static size_t n_patients;

static void *worker(void *arg) {
    size_t t = (size_t)arg;
    size_t alerts_seen = 0;
    for (size_t i = 0; i < CHECKS; i++) {
        char *id = NULL;
        if (cin_network_patient_id(net, (t * CHECKS + i) % n_patients, &id) != CIN_STATUS_OK) return (void *)1;
        char *json = NULL;
        if (cin_network_check_order(net, id, "LOINC", "4548-4", NULL, &json) != CIN_STATUS_OK) {
            cin_string_free(id);
            return (void *)1;
        }
        alerts_seen += strstr(json, "duplicate_test") != NULL;
        cin_string_free(json);
        json = NULL;
        if (cin_network_check_prescription(net, id, "ibuprofen", NULL, &json) != CIN_STATUS_OK) {
            cin_string_free(id);
            return (void *)1;
        }
        cin_string_free(json);
        cin_string_free(id);
    }
    printf("thread %zu: %zu of %d HbA1c orders would duplicate a recent result\n", t, alerts_seen, CHECKS);
    return NULL;
}

int main(void) {
    if (cin_network_synthetic(2000, 42, &net) != CIN_STATUS_OK) {
        fprintf(stderr, "%s\n", cin_last_error_message());
        return 1;
    }
    n_patients = cin_network_patient_count(net);
    if (n_patients == 0) return 1;
    pthread_t th[THREADS];
    for (size_t t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, (void *)t);
    int rc = 0;
    for (size_t t = 0; t < THREADS; t++) {
        void *ret = NULL;
        pthread_join(th[t], &ret);
        if (ret) rc = 1;
    }
    cin_network_free(net);
    return rc;
}
