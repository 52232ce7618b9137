/* The C ABI on the project's real test data (../shared/data, or $CIN_SHARED_DATA): Synthea CSV
 * and Tuva claims load with the counts the files hold, and every malformed HL7 input of the
 * nHapi fuzz corpus goes through both HL7 entry points without a crash. Skips with a note when
 * the data is not there. */
#define _POSIX_C_SOURCE 200809L
#include "cin.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = (char *)malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = (char *)realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The number of merged patients, read from cin_network_counts_json. */
static long patients(const CinNetwork *net) {
    char *json = NULL;
    long n = -1;
    if (cin_network_counts_json(net, &json) == CIN_STATUS_OK) {
        const char *p = strstr(json, "\"patients\":");
        if (p) n = strtol(p + strlen("\"patients\":"), NULL, 10);
    }
    cin_string_free(json);
    return n;
}

int main(void) {
    const char *root = getenv("CIN_SHARED_DATA");
    char path[4096];
    if (!root) root = "../shared/data";
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", root);
    FILE *probe = fopen(path, "r");
    if (!probe) {
        printf("note: %s not found, shared-data C tests skipped\n", root);
        return 0;
    }
    fclose(probe);

    CinNetwork *net = NULL;
    CinIngestReport rep;
    /* synthea_csv/patients.csv has 11 data rows (counted with `tail -n +2 patients.csv | wc -l`). */
    CHECK(cin_network_new(&net) == CIN_STATUS_OK);
    snprintf(path, sizeof path, "%s/synthea_csv", root);
    CHECK(cin_network_load_synthea_csv(net, path, &rep) == CIN_STATUS_OK);
    CHECK(rep.loaded > 0);
    CHECK(patients(net) == 11);
    cin_network_free(net);

    /* claims_tuva: 50 distinct eligibility.csv patient_id values (counted with python3 csv). */
    CHECK(cin_network_new(&net) == CIN_STATUS_OK);
    snprintf(path, sizeof path, "%s/claims_tuva", root);
    CHECK(cin_network_load_claims_tuva(net, path, &rep) == CIN_STATUS_OK);
    CHECK(patients(net) == 50);
    char *json = NULL;
    CHECK(cin_network_risk_json(net, &json) == CIN_STATUS_OK && strstr(json, "\"charlson\"") != NULL);
    cin_string_free(json);

    /* Fuzzer-made HL7 inputs: a status or an ACK for each, never a crash. */
    snprintf(path, sizeof path, "%s/hl7v2/nhapi_badinputs", root);
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    size_t files = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char file[4096 + 256];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        size_t len = 0;
        char *bytes = read_file(file, &len);
        if (!bytes) continue;
        files++;
        CinStatus st = cin_network_load_hl7(net, bytes, len, &rep);
        CHECK(st == CIN_STATUS_OK || st == CIN_STATUS_PARSE_ERROR);
        char *alerts = NULL, *ack = NULL;
        CHECK(cin_network_ingest_hl7(net, bytes, len, &alerts, &ack, &rep) == CIN_STATUS_OK);
        CHECK(ack != NULL && strncmp(ack, "MSH", 3) == 0);
        cin_string_free(alerts);
        cin_string_free(ack);
        free(bytes);
    }
    if (dir) closedir(dir);
    /* 19 files (`ls nhapi_badinputs | wc -l`). */
    CHECK(files == 19);
    cin_network_free(net);

    if (failures) {
        fprintf(stderr, "%d shared-data checks failed\n", failures);
        return 1;
    }
    printf("shared-data C checks passed (%zu fuzz inputs)\n", files);
    return 0;
}
