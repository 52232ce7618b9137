/* Bad-input and contract tests of the C ABI: every call with NULLs, wrong sizes, bad bytes,
 * out-of-range values or unknown codes returns its status and a message, nothing crashes, and no
 * message repeats a patient identifier. Exit code 0 = all passed. */
#include "cin.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                       \
        }                                                                     \
    } while (0)

/* The call returned `want` and left a message for this thread. */
#define EXPECT(call, want)                                                                           \
    do {                                                                                             \
        CinStatus got_ = (call);                                                                     \
        const char *msg_ = cin_last_error_message();                                                 \
        if (got_ != (want) || msg_ == NULL || msg_[0] == 0) {                                        \
            fprintf(stderr, "FAILED %s:%d: %s gave %d (%s), wanted %d\n", __FILE__, __LINE__, #call, \
                    (int)got_, msg_ ? msg_ : "no message", (int)(want));                             \
            failures++;                                                                              \
        }                                                                                            \
    } while (0)

#define OK(call) CHECK((call) == CIN_STATUS_OK && cin_last_error_message() == NULL)

/* A patient id that must never show up in an error message. */
#define SECRET_ID "MRN-SECRET-4711"

static const char BUNDLE[] =
    "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
    "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"male\",\"birthDate\":\"1948-01-02\"}},"
    "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\","
    "\"subject\":{\"reference\":\"Patient/p1\"},"
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"4548-4\"}]},"
    "\"effectiveDateTime\":\"2025-03-01T08:00:00\",\"valueQuantity\":{\"value\":5.2,\"unit\":\"%\"}}},"
    "{\"resource\":{\"resourceType\":\"MedicationRequest\",\"id\":\"m1\",\"status\":\"active\",\"intent\":\"order\","
    "\"subject\":{\"reference\":\"Patient/p1\"},\"authoredOn\":\"2025-02-01\","
    "\"medicationCodeableConcept\":{\"coding\":[{\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\","
    "\"code\":\"855332\",\"display\":\"warfarin sodium 5 MG Oral Tablet\"}]}}}"
    "]}";

/* An HL7 v2 admission (segments end in CR). */
static const char ADT_A01[] =
    "MSH|^~\\&|EHR|HOSP|CIN|CIN|202503100800||ADT^A01|MSG0001|P|2.5\r"
    "EVN|A01|202503100800\r"
    "PID|1||H123^^^HOSP^MR||DOE^JOHN||19480102|M\r"
    "PV1|1|I|WARD^101^1^HOSP||||||||||||||||V1001|||||||||||||||||||||||||202503100800\r";

static void *other_thread(void *arg) {
    (void)arg;
    /* The first thread's failure is not this thread's last error. */
    return (void *)(cin_last_error_message() == NULL ? (void *)0 : (void *)1);
}

static void test_version_and_status(void) {
    CHECK(cin_version_number() == CIN_VERSION_NUMBER);
    CHECK(strcmp(cin_version(), "0.1.0") == 0);
    CHECK(strcmp(cin_status_str(CIN_STATUS_OK), "ok") == 0);
    CHECK(strcmp(cin_status_str(CIN_STATUS_BUFFER_TOO_SMALL), "buffer too small") == 0);
    /* Values the library never returns (out of range) still have a description. */
    CHECK(strcmp(cin_status_str((CinStatus)12345), "unknown status") == 0);
    CHECK(strcmp(cin_status_str((CinStatus)-1), "unknown status") == 0);
    CHECK(strcmp(cin_alert_kind_str((CinAlertKind)999), "unknown") == 0);
    CHECK(strcmp(cin_alert_kind_str(CIN_ALERT_KIND_DUPLICATE_TEST), "duplicate_test") == 0);
    CHECK(strcmp(cin_severity_str((CinSeverity)-7), "unknown") == 0);
    CHECK(strcmp(cin_severity_str(CIN_SEVERITY_CONTRAINDICATED), "contraindicated") == 0);
}

static void test_null_arguments(CinNetwork *net) {
    char *json = NULL;
    CinIngestReport rep;
    CinAlertSummary sum;
    EXPECT(cin_network_new(NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_synthetic(10, 1, NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_counts_json(NULL, &json), CIN_STATUS_NULL_POINTER);
    CHECK(json == NULL);
    EXPECT(cin_network_counts_json(net, NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_fhir(NULL, BUNDLE, strlen(BUNDLE), &rep), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_fhir(net, NULL, 10, &rep), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_hl7(net, NULL, 10, &rep), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_synthea_csv(net, NULL, &rep), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_claims_tuva(NULL, "/tmp", &rep), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_order(NULL, "p1", "LOINC", "4548-4", NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_order(net, NULL, "LOINC", "4548-4", NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_order(net, "p1", NULL, "4548-4", NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_order(net, "p1", "LOINC", NULL, NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_order(net, "p1", "LOINC", "4548-4", NULL, NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_prescription(net, "p1", NULL, NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_prescription_summary(net, "p1", "ibuprofen", NULL, NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_check_prescription_summary(NULL, "p1", "ibuprofen", NULL, &sum), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_check_interactions(NULL, 2, &json), CIN_STATUS_NULL_POINTER);
    const char *with_null[] = {"warfarin", NULL};
    EXPECT(cin_check_interactions(with_null, 2, &json), CIN_STATUS_NULL_POINTER);
    CHECK(strstr(cin_last_error_message(), "drugs[1]") != NULL);
    EXPECT(cin_network_report_json(NULL, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_risk_json(net, NULL), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_patient_id(NULL, 0, &json), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_load_drug_kb(net, NULL, 3, false), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_network_ingest_hl7(NULL, ADT_A01, strlen(ADT_A01), NULL, NULL, NULL), CIN_STATUS_NULL_POINTER);
    CHECK(cin_network_patient_count(NULL) == 0);
    uint32_t idx[2] = {0, 1};
    int32_t scores[2];
    EXPECT(cin_charlson(NULL, idx, 2, scores, 2), CIN_STATUS_NULL_POINTER);
    const char *codes[2] = {"I50.9", "E11.9"};
    EXPECT(cin_charlson(codes, NULL, 2, scores, 2), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_elixhauser(codes, idx, 2, NULL, 2), CIN_STATUS_NULL_POINTER);
    EXPECT(cin_charlson_sized(codes, idx, 2, scores, 2, NULL), CIN_STATUS_NULL_POINTER);
    CHECK(json == NULL);
    /* NULL is a no-op for the release functions. */
    cin_network_free(NULL);
    cin_string_free(NULL);
}

static void test_bad_bytes(CinNetwork *net) {
    CinIngestReport rep;
    char *json = NULL;
    /* Truncated JSON: a parse error that says where, and nothing is recorded. */
    EXPECT(cin_network_load_fhir(net, BUNDLE, 120, &rep), CIN_STATUS_PARSE_ERROR);
    CHECK(strstr(cin_last_error_message(), "JSON") != NULL);
    /* A 0-length buffer (with and without a pointer). */
    EXPECT(cin_network_load_fhir(net, BUNDLE, 0, &rep), CIN_STATUS_PARSE_ERROR);
    EXPECT(cin_network_load_fhir(net, NULL, 0, &rep), CIN_STATUS_PARSE_ERROR);
    /* Non-UTF-8 bytes. */
    static const char latin1[] = "{\"resourceType\":\"Patient\",\"id\":\"M\xfcller\"}";
    EXPECT(cin_network_load_fhir(net, latin1, strlen(latin1), &rep), CIN_STATUS_PARSE_ERROR);
    CHECK(strstr(cin_last_error_message(), "M\xfcller") == NULL);
    EXPECT(cin_network_check_order(net, "p\xff", "LOINC", "4548-4", NULL, &json), CIN_STATUS_INVALID_UTF8);
    EXPECT(cin_network_check_prescription(net, "p1", "ibu\xc3", NULL, &json), CIN_STATUS_INVALID_UTF8);
    const char *bad_codes[] = {"I50.9", "E1\xff"};
    uint32_t idx[2] = {0, 0};
    int32_t score = -1;
    EXPECT(cin_charlson(bad_codes, idx, 2, &score, 1), CIN_STATUS_INVALID_UTF8);
    CHECK(score == -1);
    EXPECT(cin_network_load_synthea_csv(net, "/nonexistent/\xff", &rep), CIN_STATUS_INVALID_UTF8);
    /* Knowledge bases: truncated, empty and non-UTF-8 files are refused; the old KB stays. */
    static const char kb[] = "{\"interactions\": [";
    EXPECT(cin_network_load_drug_kb(net, kb, strlen(kb), true), CIN_STATUS_KNOWLEDGE_BASE_ERROR);
    EXPECT(cin_network_load_drug_kb(net, kb, 0, false), CIN_STATUS_KNOWLEDGE_BASE_ERROR);
    EXPECT(cin_network_load_duplicate_rules(net, "{\"fam", 5), CIN_STATUS_KNOWLEDGE_BASE_ERROR);
    EXPECT(cin_network_load_duplicate_rules(net, "\xff\xfe", 2), CIN_STATUS_KNOWLEDGE_BASE_ERROR);
    EXPECT(cin_network_load_measures(net, "[", 1), CIN_STATUS_KNOWLEDGE_BASE_ERROR);
    /* Missing directories are i/o errors. */
    EXPECT(cin_network_load_synthea_csv(net, "/nonexistent/synthea", &rep), CIN_STATUS_IO_ERROR);
    EXPECT(cin_network_load_claims_tuva(net, "/nonexistent/tuva", &rep), CIN_STATUS_IO_ERROR);
}

static void test_checks(CinNetwork *net) {
    char *json = NULL;
    CinAlertSummary sum;
    /* A duplicate HbA1c 10 days after a normal one, through every output form. */
    OK(cin_network_check_order(net, "p1", "http://loinc.org", "4548-4", "2025-03-11", &json));
    CHECK(json && strstr(json, "\"kind\":\"duplicate_test\"") && strstr(json, "\"rule_id\":\"duptest.hba1c\""));
    CHECK(json && strstr(json, "\"evidence\":{") && strstr(json, "\"source\":\""));
    cin_string_free(json);
    json = NULL;
    OK(cin_network_check_order_summary(net, "p1", "LOINC", "4548-4", "2025-03-11", &sum));
    CHECK(sum.count == 1 && sum.kind == CIN_ALERT_KIND_DUPLICATE_TEST && sum.severity == CIN_SEVERITY_MAJOR);
    CHECK(strcmp(sum.rule_id, "duptest.hba1c") == 0);
    /* 200 days later the interval has passed: no alert. */
    OK(cin_network_check_order_summary(net, "p1", "LOINC", "4548-4", "2025-09-17", &sum));
    CHECK(sum.count == 0 && sum.kind == CIN_ALERT_KIND_NONE && sum.severity == CIN_SEVERITY_NONE);
    /* Unknown code system, unknown patient, bad date: invalid input, no identifier echoed. */
    EXPECT(cin_network_check_order(net, "p1", "ACME-LAB", "4548-4", NULL, &json), CIN_STATUS_INVALID_INPUT);
    CHECK(strstr(cin_last_error_message(), "code system") != NULL);
    EXPECT(cin_network_check_order(net, SECRET_ID, "LOINC", "4548-4", NULL, &json), CIN_STATUS_INVALID_INPUT);
    CHECK(strstr(cin_last_error_message(), SECRET_ID) == NULL);
    EXPECT(cin_network_check_prescription(net, SECRET_ID, "ibuprofen", NULL, &json), CIN_STATUS_INVALID_INPUT);
    CHECK(strstr(cin_last_error_message(), SECRET_ID) == NULL);
    EXPECT(cin_network_check_prescription(net, "p1", "ibuprofen", "last tuesday", &json), CIN_STATUS_INVALID_INPUT);
    CHECK(json == NULL);
    /* Typed alerts: too small a buffer gives the count and writes nothing. */
    CinAlertInfo infos[4];
    size_t n = 99;
    memset(infos, 0x5a, sizeof infos);
    EXPECT(cin_network_check_prescription_alerts(net, "p1", "ibuprofen", "2025-03-11", infos, 0, &n),
           CIN_STATUS_BUFFER_TOO_SMALL);
    CHECK(n == 1 && infos[0].kind == 0x5a5a5a5a);
    EXPECT(cin_network_check_prescription_alerts(net, "p1", "ibuprofen", "2025-03-11", NULL, 4, &n),
           CIN_STATUS_NULL_POINTER);
    OK(cin_network_check_prescription_alerts(net, "p1", "ibuprofen", "2025-03-11", infos, 4, &n));
    CHECK(n == 1 && infos[0].kind == CIN_ALERT_KIND_DRUG_INTERACTION && infos[0].severity >= CIN_SEVERITY_MAJOR);
    CHECK(strcmp(infos[0].rule_id, "fda-warfarin-nsaid") == 0);
    OK(cin_network_check_order_alerts(net, "p1", "LOINC", "4548-4", "2025-03-11", infos, 4, &n));
    CHECK(n == 1 && infos[0].kind == CIN_ALERT_KIND_DUPLICATE_TEST);
    /* An unknown drug cannot be checked, and says so. */
    OK(cin_network_check_prescription_summary(net, "p1", "notadrugatall", "2025-03-11", &sum));
    CHECK(sum.count == 1 && sum.kind == CIN_ALERT_KIND_UNMAPPED_DRUG);
    /* Interactions without a patient: the embedded KB, then the network's own (replaced) KB. */
    const char *pair[] = {"warfarin", "ibuprofen"};
    OK(cin_check_interactions(pair, 2, &json));
    CHECK(json && strstr(json, "\"kind\":\"drug_interaction\""));
    cin_string_free(json);
    json = NULL;
    OK(cin_check_interactions(NULL, 0, &json));
    CHECK(json && strcmp(json, "[]") == 0);
    cin_string_free(json);
    json = NULL;
}

static void test_tables_and_reports(CinNetwork *net) {
    char *out = NULL;
    EXPECT(cin_network_report(net, (CinReportFormat)3, &out), CIN_STATUS_INVALID_INPUT);
    EXPECT(cin_network_report(net, (CinReportFormat)-1, &out), CIN_STATUS_INVALID_INPUT);
    CHECK(out == NULL);
    OK(cin_network_report(net, CIN_REPORT_FORMAT_JSON, &out));
    CHECK(out && out[0] == '{' && strstr(out, "\"counts\"") && strstr(out, "\"measures\""));
    cin_string_free(out);
    OK(cin_network_report(net, CIN_REPORT_FORMAT_HTML, &out));
    CHECK(out && strstr(out, "<html") != NULL);
    cin_string_free(out);
    OK(cin_network_report(net, CIN_REPORT_FORMAT_TEXT, &out));
    CHECK(out && strlen(out) > 20);
    cin_string_free(out);
    OK(cin_network_risk_json(net, &out));
    CHECK(out && strstr(out, "\"patient_id\":[\"p1\"]") != NULL);
    cin_string_free(out);
    OK(cin_network_counts_json(net, &out));
    CHECK(out && strstr(out, "\"patients\":1") != NULL);
    cin_string_free(out);
    out = NULL;
    EXPECT(cin_network_measures_json(net, "2025-01-01", NULL, &out), CIN_STATUS_INVALID_INPUT);
    EXPECT(cin_network_measures_json(net, "2025-01-01", "someday", &out), CIN_STATUS_INVALID_INPUT);
    OK(cin_network_measures_json(net, "2025-01-01", "2025-12-31", &out));
    CHECK(out && out[0] == '{');
    cin_string_free(out);
    out = NULL;
    /* Patients by index: in range, and one past the end. */
    CHECK(cin_network_patient_count(net) == 1);
    OK(cin_network_patient_id(net, 0, &out));
    CHECK(out && strcmp(out, "p1") == 0);
    cin_string_free(out);
    out = NULL;
    EXPECT(cin_network_patient_id(net, 1, &out), CIN_STATUS_INVALID_INPUT);
    CHECK(out == NULL);
}

static void test_risk_buffers(void) {
    const char *codes[] = {"I50.9", "J44.9", "C78.0", "N18.4"};
    uint32_t idx[] = {0, 0, 3, 3};
    int32_t scores[4] = {-1, -1, -1, -1};
    size_t len = 0;
    /* Too small: the needed size is reported and the buffer untouched. */
    EXPECT(cin_charlson(codes, idx, 4, scores, 3), CIN_STATUS_BUFFER_TOO_SMALL);
    CHECK(scores[0] == -1);
    EXPECT(cin_elixhauser_sized(codes, idx, 4, scores, 2, &len), CIN_STATUS_BUFFER_TOO_SMALL);
    CHECK(len == 4 && scores[0] == -1);
    /* Quan 2011: heart failure 2 + pulmonary 1; metastatic 6 + renal 1; others 0. */
    OK(cin_charlson(codes, idx, 4, scores, 4));
    CHECK(scores[0] == 3 && scores[1] == 0 && scores[2] == 0 && scores[3] == 7);
    /* van Walraven: heart failure 7 + pulmonary 3; metastatic 12 + renal failure 5. */
    OK(cin_elixhauser_sized(codes, idx, 4, scores, 4, &len));
    CHECK(len == 4 && scores[0] == 10 && scores[3] == 17);
    /* No rows: nothing needed, nothing read. */
    OK(cin_charlson_sized(NULL, NULL, 0, NULL, 0, &len));
    CHECK(len == 0);
    /* A huge n_patients is an error, not an abort. */
    EXPECT(cin_charlson(codes, idx, 4, scores, (size_t)-1 / 2), CIN_STATUS_INVALID_INPUT);
}

static void test_hl7(CinNetwork *net) {
    char *alerts = NULL, *ack = NULL;
    CinIngestReport rep;
    OK(cin_network_ingest_hl7(net, ADT_A01, strlen(ADT_A01), &alerts, &ack, &rep));
    CHECK(ack && strstr(ack, "MSA|AA|MSG0001") != NULL);
    CHECK(alerts && strstr(alerts, "\"kind\":\"admission\"") != NULL);
    CHECK(rep.loaded > 0);
    cin_string_free(alerts);
    cin_string_free(ack);
    alerts = ack = NULL;
    /* Garbage is not a failure of the call: the ACK rejects it. */
    OK(cin_network_ingest_hl7(net, "hello", 5, &alerts, &ack, &rep));
    CHECK(ack && strstr(ack, "MSA|A") != NULL && strstr(ack, "MSA|AA") == NULL);
    CHECK(alerts && strcmp(alerts, "[]") == 0);
    cin_string_free(alerts);
    cin_string_free(ack);
    /* The network's KB replaced by an empty one: the interaction is gone for this network only. */
    char *json = NULL;
    const char *pair[] = {"warfarin", "ibuprofen"};
    OK(cin_network_load_drug_kb(net, "{}", 2, true));
    OK(cin_network_check_interactions(net, pair, 2, &json));
    CHECK(json && strstr(json, "drug_interaction") == NULL);
    cin_string_free(json);
    OK(cin_check_interactions(pair, 2, &json));
    CHECK(json && strstr(json, "drug_interaction") != NULL);
    cin_string_free(json);
}

int main(void) {
    test_version_and_status();

    CinNetwork *net = NULL;
    OK(cin_network_new(&net));
    CHECK(net != NULL);
    test_null_arguments(net);

    /* Thread-local errors: this thread's failure is invisible on another thread. */
    EXPECT(cin_network_new(NULL), CIN_STATUS_NULL_POINTER);
    pthread_t th;
    void *ret = (void *)1;
    CHECK(pthread_create(&th, NULL, other_thread, NULL) == 0 && pthread_join(th, &ret) == 0 && ret == NULL);

    CinIngestReport rep;
    memset(&rep, 0, sizeof rep);
    OK(cin_network_load_fhir(net, BUNDLE, strlen(BUNDLE), &rep));
    CHECK(rep.loaded == 4 && rep.skipped == 0 && rep.issues == 0);
    char *ingest = NULL;
    OK(cin_network_last_ingest_json(net, &ingest));
    CHECK(ingest && strstr(ingest, "\"Patient\":1") != NULL);
    cin_string_free(ingest);
    /* A summary is optional. */
    OK(cin_network_load_fhir(net, BUNDLE, strlen(BUNDLE), NULL));
    /* Bulk-data ndjson (one resource per line) and HL7 v2 text, each in a network of its own. */
    CinNetwork *other = NULL;
    static const char NDJSON[] = "{\"resourceType\":\"Patient\",\"id\":\"a\",\"gender\":\"female\"}\n"
                                 "{\"resourceType\":\"Patient\",\"id\":\"b\",\"gender\":\"male\"}\n";
    OK(cin_network_new(&other));
    OK(cin_network_load_fhir(other, NDJSON, strlen(NDJSON), &rep));
    CHECK(rep.loaded == 2 && rep.issues == 0 && cin_network_patient_count(other) == 2);
    OK(cin_network_load_hl7(other, ADT_A01, strlen(ADT_A01), &rep));
    CHECK(rep.loaded > 0 && cin_network_patient_count(other) == 3);
    cin_network_free(other);

    test_bad_bytes(net);
    test_checks(net);
    test_tables_and_reports(net);
    test_risk_buffers();
    test_hl7(net);
    cin_network_free(net);

    if (failures) {
        fprintf(stderr, "%d C ABI checks failed\n", failures);
        return 1;
    }
    printf("C ABI checks passed\n");
    return 0;
}
