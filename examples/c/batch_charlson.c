/* Batch Charlson comorbidity index over a long CSV of diagnoses (patient_id,icd_code), as a
 * claims warehouse job would call it: patients are mapped to dense indices by the caller, codes
 * are passed as strings, scores come back in a caller buffer.
 *
 * Usage: batch_charlson FILE.csv */
#include "cin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 100000
#define MAX_PATIENTS 10000

static char *patients[MAX_PATIENTS];
static size_t n_patients = 0;

static uint32_t patient_index(const char *id) {
    for (size_t i = 0; i < n_patients; i++)
        if (strcmp(patients[i], id) == 0) return (uint32_t)i;
    size_t len = strlen(id) + 1;
    patients[n_patients] = malloc(len);
    memcpy(patients[n_patients], id, len);
    return (uint32_t)n_patients++;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.csv\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static char *codes[MAX_ROWS];
    static uint32_t idx[MAX_ROWS];
    size_t n = 0;
    char line[256];
    int header = 1;
    while (fgets(line, sizeof line, f) && n < MAX_ROWS && n_patients < MAX_PATIENTS) {
        if (header) { header = 0; continue; }
        line[strcspn(line, "\r\n")] = 0;
        char *comma = strchr(line, ',');
        if (!comma) continue;
        *comma = 0;
        idx[n] = patient_index(line);
        size_t len = strlen(comma + 1) + 1;
        codes[n] = malloc(len);
        memcpy(codes[n], comma + 1, len);
        n++;
    }
    fclose(f);

    int32_t *scores = calloc(n_patients ? n_patients : 1, sizeof *scores);
    CinStatus st = cin_charlson((const char *const *)codes, idx, n, scores, n_patients);
    int rc = 0;
    if (st != CIN_STATUS_OK) {
        fprintf(stderr, "cin_charlson: %s: %s\n", cin_status_str(st), cin_last_error_message());
        rc = 1;
    } else {
        printf("patient_id,charlson\n");
        for (size_t i = 0; i < n_patients; i++) printf("%s,%d\n", patients[i], scores[i]);
    }
    /* A buffer too small for the patients referenced is refused, not overrun. */
    if (n_patients > 1 && cin_charlson((const char *const *)codes, idx, n, scores, 1) != CIN_STATUS_BUFFER_TOO_SMALL) {
        fprintf(stderr, "expected CIN_STATUS_BUFFER_TOO_SMALL\n");
        rc = 1;
    }
    for (size_t i = 0; i < n; i++) free(codes[i]);
    for (size_t i = 0; i < n_patients; i++) free(patients[i]);
    free(scores);
    return rc;
}
