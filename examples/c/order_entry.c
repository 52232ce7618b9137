/* Order entry as an EHR calls it: the network already holds the patient's results from other
 * organisations (here: a FHIR bundle the HIE received); before the clinician signs an HbA1c order
 * and a new prescription, the EHR asks cin_core whether the test was just done elsewhere and
 * whether the drug interacts with anything another prescriber ordered.
 *
 * Build: cargo build --release -p cin-ffi
 *        gcc -std=c11 -Iinclude examples/c/order_entry.c target/release/libcin.a -lpthread -ldl -lm */
#include "cin.h"
#include <stdio.h>
#include <string.h>

/* A FHIR R4 bundle from another organisation: one patient, an HbA1c 12 days before the order,
 * and an active warfarin prescription from a cardiologist. */
static const char BUNDLE[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"resource\":{\"resourceType\":\"Organization\",\"id\":\"cardio\",\"name\":\"Heart Clinic\"}},"
    "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\",\"birthDate\":\"1950-04-02\"}},"
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"a1c\",\"status\":\"final\","
    "\"subject\":{\"reference\":\"Patient/p1\"},\"performer\":[{\"reference\":\"Organization/cardio\"}],"
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},"
    "\"effectiveDateTime\":\"2025-06-01T09:30:00\","
    "\"valueQuantity\":{\"value\":7.9,\"unit\":\"%\"}}},"
    "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"rx1\",\"status\":\"active\",\"intent\":\"order\","
    "\"subject\":{\"reference\":\"Patient/p1\"},"
    "\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\","
    "\"code\":\"855332\",\"display\":\"warfarin sodium 5 MG Oral Tablet\"}]},"
    "\"authoredOn\":\"2025-05-20\"}}"
    "]}";

static int report(const char *what, CinStatus st, char *json) {
    if (st != CIN_STATUS_OK) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, cin_status_str(st), cin_last_error_message());
        return 1;
    }
    printf("%s -> %s\n", what, json);
    return 0;
}

int main(void) {
    CinNetwork *net = NULL;
    CinIngestReport rep;
    if (cin_network_new(&net) != CIN_STATUS_OK) return 1;
    CinStatus st = cin_network_load_fhir(net, BUNDLE, strlen(BUNDLE), &rep);
    if (st != CIN_STATUS_OK) {
        fprintf(stderr, "load failed: %s\n", cin_last_error_message());
        cin_network_free(net);
        return 1;
    }
    printf("loaded %zu records, %zu skipped, %zu issues\n", rep.loaded, rep.skipped, rep.issues);

    int rc = 0;
    char *alerts = NULL;
    st = cin_network_check_order(net, "p1", "http://loinc.org", "4548-4", "2025-06-13T10:00:00", &alerts);
    rc |= report("HbA1c order", st, alerts);
    int duplicate = alerts && strstr(alerts, "\"duplicate_test\"") != NULL;
    cin_string_free(alerts);

    alerts = NULL;
    st = cin_network_check_prescription(net, "p1", "ibuprofen 400 MG Oral Tablet", "2025-06-13T10:00:00", &alerts);
    rc |= report("ibuprofen prescription", st, alerts);
    int interaction = alerts && strstr(alerts, "\"drug_interaction\"") != NULL;
    cin_string_free(alerts);

    /* Triage without a JSON parser: the typed summary of the most severe alert. */
    CinAlertSummary top;
    st = cin_network_check_prescription_summary(net, "p1", "ibuprofen", "2025-06-13T10:00:00", &top);
    if (st == CIN_STATUS_OK)
        printf("most severe: kind %d severity %d rule %s (%zu alerts)\n", top.kind, top.severity, top.rule_id, top.count);
    else
        rc = 1;

    cin_network_free(net);
    if (!duplicate || !interaction) {
        fprintf(stderr, "expected a duplicate-test and a drug-interaction alert\n");
        return 1;
    }
    return rc;
}
