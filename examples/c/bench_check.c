/* Overhead of the C ABI: N prescription checks through cin_network_check_prescription (alerts as
 * JSON, the string released each time) and through the typed summary (no JSON), on the built-in
 * synthetic network. Compare with `cargo run --release -p cin-ffi --example
 * bench_check_prescription -- N`, the same checks called from Rust.
 *
 * Usage: bench_check [N]   (default 1000000) */
#include "cin.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PATIENTS 2000
#define ROUNDS 5

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000L;
    if (n <= 0) return 2;
    CinNetwork *net = NULL;
    char *at = NULL;
    char *ids[PATIENTS];
    size_t count = 0;
    int rc = 0;
    if (cin_network_synthetic(PATIENTS, 42, &net) != CIN_STATUS_OK || cin_network_data_end(net, &at) != CIN_STATUS_OK) {
        fprintf(stderr, "setup failed\n");
        cin_network_free(net);
        return 1;
    }
    for (; count < PATIENTS; count++)
        if (cin_network_patient_id(net, count, &ids[count]) != CIN_STATUS_OK) break;
    if (count != PATIENTS) rc = 1;

    /* Warm-up: one check per patient builds the network's lazy indexes before timing. */
    for (size_t i = 0; i < count && !rc; i++) {
        CinAlertSummary s;
        rc = cin_network_check_prescription_summary(net, ids[i], "ibuprofen", at, &s) != CIN_STATUS_OK;
    }

    /* Each form is timed in ROUNDS rounds of n / ROUNDS calls and the fastest round counts: the
     * machine may be shared, and other work only ever slows a round down. The forms run one
     * after the other, not interleaved: interleaving them measured the allocator's changing
     * state more than the calls. */
    size_t alerts = 0, bytes = 0;
    double json_s = 1e30, typed_s = 1e30;
    long per_round = n / ROUNDS > 0 ? n / ROUNDS : 1;
    for (int round = 0; round < ROUNDS && !rc; round++) {
        /* JSON form: what an EHR that shows the alert text calls. */
        double t0 = now_s();
        for (long i = 0; i < per_round && !rc; i++) {
            char *json = NULL;
            if (cin_network_check_prescription(net, ids[i % PATIENTS], "ibuprofen", at, &json) != CIN_STATUS_OK) {
                rc = 1;
                break;
            }
            bytes += json[1] != ']';
            cin_string_free(json);
        }
        double t = now_s() - t0;
        if (t < json_s) json_s = t;
    }
    for (int round = 0; round < ROUNDS && !rc; round++) {
        /* Typed form: triage without JSON. */
        double t0 = now_s();
        for (long i = 0; i < per_round && !rc; i++) {
            CinAlertSummary s;
            if (cin_network_check_prescription_summary(net, ids[i % PATIENTS], "ibuprofen", at, &s) !=
                CIN_STATUS_OK) {
                rc = 1;
                break;
            }
            alerts += s.count > 0;
        }
        double t = now_s() - t0;
        if (t < typed_s) typed_s = t;
    }
    n = per_round;

    if (!rc) {
        printf("C: %ld checks per round, best of %d: json %.0f ns/call, typed summary %.0f ns/call\n", n, ROUNDS,
               json_s * 1e9 / (double)n,
               typed_s * 1e9 / (double)n);
        /* Both forms saw alerts on the same checks. */
        if (alerts != bytes || alerts == 0) {
            fprintf(stderr, "json and typed forms disagree (%zu vs %zu checks with alerts)\n", bytes, alerts);
            rc = 1;
        }
    }
    for (size_t i = 0; i < count; i++) cin_string_free(ids[i]);
    cin_string_free(at);
    cin_network_free(net);
    return rc;
}
