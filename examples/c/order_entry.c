/* Order entry as an EHR calls it: the network already holds the patient's results from other
 * organisations (here: a FHIR bundle the HIE received); before the clinician signs an HbA1c order
 * and a new prescription, the EHR asks cin_core whether the test was just done elsewhere and
 * whether the drug interacts with anything another prescriber ordered. Exits 0 only when both
 * alerts come back as expected.
 *
 * Build: cargo build --release -p cin-ffi
 *        cc -std=c11 $(PKG_CONFIG_PATH=target/release pkg-config --cflags cin) \
 *           examples/c/order_entry.c target/release/libcin.a -lpthread -ldl -lm */
#include "cin.h"
#include <stdio.h>
#include <string.h>

/* A FHIR R4 bundle from another organisation: one patient, a normal HbA1c (5.4 %) 12 days before
 * the order, and an active warfarin prescription from a cardiologist. */
static const char BUNDLE[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"resource\":{\"resourceType\":\"Organization\",\"id\":\"cardio\",\"name\":\"Heart Clinic\"}},"
    "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1950-04-02\"}},"
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"a1c\",\"status\":\"final\","
    "\"subject\":{\"reference\":\"Patient/p1\"},\"performer\":[{\"reference\":\"Organization/cardio\"}],"
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},"
    "\"effectiveDateTime\":\"2025-06-01T09:30:00\","
    "\"valueQuantity\":{\"value\":5.4,\"unit\":\"%\"}}},"
    "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"rx1\",\"status\":\"active\",\"intent\":\"order\","
    "\"subject\":{\"reference\":\"Patient/p1\"},"
    "\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\","
    "\"code\":\"855332\",\"display\":\"warfarin sodium 5 MG Oral Tablet\"}]},"
    "\"authoredOn\":\"2025-05-20\"}}"
    "]}";

#define ORDER_TIME "2025-06-13T10:00:00"

static int fail(const char *what, CinStatus st) {
    const char *msg = cin_last_error_message();
    fprintf(stderr, "%s: %s (%s)\n", what, cin_status_str(st), msg ? msg : "");
    return 1;
}

int main(void) {
    CinNetwork *net = NULL;
    CinIngestReport rep;
    CinStatus st = cin_network_new(&net);
    if (st != CIN_STATUS_OK) return fail("cin_network_new", st);
    st = cin_network_load_fhir(net, BUNDLE, strlen(BUNDLE), &rep);
    if (st != CIN_STATUS_OK) {
        cin_network_free(net);
        return fail("cin_network_load_fhir", st);
    }
    printf("loaded %zu records, %zu skipped, %zu issues\n", rep.loaded, rep.skipped, rep.issues);
    /* Four resources plus the Bundle itself. */
    int rc = rep.loaded == 5 && rep.issues == 0 ? 0 : 1;

    /* 1. The HbA1c order: the full alert as JSON for the clinician's screen. */
    char *alerts = NULL;
    st = cin_network_check_order(net, "p1", "http://loinc.org", "4548-4", ORDER_TIME, &alerts);
    if (st != CIN_STATUS_OK) rc |= fail("cin_network_check_order", st);
    else {
        printf("HbA1c order -> %s\n", alerts);
        if (!strstr(alerts, "\"kind\":\"duplicate_test\"")) rc = 1;
    }
    cin_string_free(alerts);

    /* 2. Triage without a JSON parser: the typed summary of each check. */
    CinAlertSummary order, rx;
    st = cin_network_check_order_summary(net, "p1", "LOINC", "4548-4", ORDER_TIME, &order);
    if (st != CIN_STATUS_OK) rc |= fail("cin_network_check_order_summary", st);
    else {
        printf("HbA1c order: %zu alert(s), worst %s/%s\n", order.count, cin_alert_kind_str(order.kind),
               cin_severity_str(order.severity));
        /* 12 days after a normal result is inside the 60-day hard interval of the hba1c rule. */
        if (order.count != 1 || order.kind != CIN_ALERT_KIND_DUPLICATE_TEST ||
            order.severity != CIN_SEVERITY_MAJOR)
            rc = 1;
    }
    st = cin_network_check_prescription_summary(net, "p1", "ibuprofen 400 MG Oral Tablet", ORDER_TIME, &rx);
    if (st != CIN_STATUS_OK) rc |= fail("cin_network_check_prescription_summary", st);
    else {
        printf("ibuprofen: %zu alert(s), worst %s/%s rule %s\n", rx.count, cin_alert_kind_str(rx.kind),
               cin_severity_str(rx.severity), rx.rule_id);
        if (rx.count < 1 || rx.kind != CIN_ALERT_KIND_DRUG_INTERACTION || rx.severity < CIN_SEVERITY_MAJOR ||
            strstr(rx.rule_id, "warfarin") == NULL)
            rc = 1;
    }

    /* 3. Every alert as typed structs: ask for the count first, then fill a buffer. */
    size_t n = 0;
    st = cin_network_check_prescription_alerts(net, "p1", "ibuprofen", ORDER_TIME, NULL, 0, &n);
    if (st != CIN_STATUS_BUFFER_TOO_SMALL || n != rx.count) rc |= fail("count of typed alerts", st);
    CinAlertInfo infos[8];
    st = cin_network_check_prescription_alerts(net, "p1", "ibuprofen", ORDER_TIME, infos, 8, &n);
    if (st != CIN_STATUS_OK) rc |= fail("cin_network_check_prescription_alerts", st);
    else
        for (size_t i = 0; i < n && i < 8; i++)
            printf("  alert %zu: %s %s %s\n", i, cin_alert_kind_str(infos[i].kind),
                   cin_severity_str(infos[i].severity), infos[i].rule_id);

    /* A prescription with nothing to interact with raises no alert. */
    st = cin_network_check_prescription_summary(net, "p1", "amoxicillin", ORDER_TIME, &rx);
    if (st != CIN_STATUS_OK || rx.count != 0 || rx.kind != CIN_ALERT_KIND_NONE) rc = 1;

    cin_network_free(net);
    if (rc) fprintf(stderr, "order_entry: unexpected result\n");
    return rc;
}
