/* Batch comorbidity scores over a long CSV of diagnoses (patient_id,icd_code), as a claims
 * warehouse job would call them: the caller maps patients to dense indices, passes the codes as
 * strings and gets the scores back in its own buffer (Charlson, Quan 2011 weights; Elixhauser,
 * van Walraven points).
 *
 * Usage: batch_charlson DIAGNOSES.csv [EXPECTED.csv]
 * EXPECTED.csv (patient_id,charlson,elixhauser) makes the run a test: exit 1 on any difference. */
#include "cin.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 100000
#define MAX_PATIENTS 10000

static char *patients[MAX_PATIENTS];
static size_t n_patients = 0;

static char *copy(const char *s) {
    size_t len = strlen(s) + 1;
    char *c = (char *)malloc(len);
    if (c) memcpy(c, s, len);
    return c;
}

/* Dense index of a patient id (linear search: fine for an example). */
static long patient_index(const char *id) {
    for (size_t i = 0; i < n_patients; i++)
        if (strcmp(patients[i], id) == 0) return (long)i;
    if (n_patients == MAX_PATIENTS) return -1;
    patients[n_patients] = copy(id);
    return patients[n_patients] ? (long)n_patients++ : -1;
}

static int fail(const char *what, CinStatus st) {
    const char *msg = cin_last_error_message();
    fprintf(stderr, "%s: %s (%s)\n", what, cin_status_str(st), msg ? msg : "");
    return 1;
}

/* Compares with EXPECTED.csv; returns the number of differences (or -1 on a read error). */
static int compare(const char *path, const int32_t *charlson, const int32_t *elix) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[256], id[128];
    int c, e, diffs = 0, seen = 0;
    if (!fgets(line, sizeof line, f)) diffs = -1; /* header */
    while (diffs >= 0 && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127[^,],%d,%d", id, &c, &e) != 3) continue;
        seen++;
        long i = -1;
        for (size_t k = 0; k < n_patients; k++)
            if (strcmp(patients[k], id) == 0) i = (long)k;
        if (i < 0 || charlson[i] != c || elix[i] != e) {
            fprintf(stderr, "patient %s: expected %d,%d got %d,%d\n", id, c, e, i < 0 ? -1 : charlson[i],
                    i < 0 ? -1 : elix[i]);
            diffs++;
        }
    }
    fclose(f);
    if (diffs == 0 && (size_t)seen != n_patients) {
        fprintf(stderr, "expected %d patients, the diagnoses have %zu\n", seen, n_patients);
        diffs = 1;
    }
    return diffs;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIAGNOSES.csv [EXPECTED.csv]\n", argv[0]);
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
    int header = 1, rc = 0;
    while (fgets(line, sizeof line, f) && n < MAX_ROWS) {
        if (header) {
            header = 0;
            continue;
        }
        line[strcspn(line, "\r\n")] = 0;
        char *comma = strchr(line, ',');
        if (!comma) continue;
        *comma = 0;
        long p = patient_index(line);
        char *code = copy(comma + 1);
        if (p < 0 || !code) {
            free(code);
            rc = 1;
            break;
        }
        idx[n] = (uint32_t)p;
        codes[n++] = code;
    }
    fclose(f);

    /* Ask for the size the rows need, then score into buffers of exactly that size. */
    size_t needed = 0;
    CinStatus st = cin_charlson_sized((const char *const *)codes, idx, n, NULL, 0, &needed);
    if (n_patients > 0 && (st != CIN_STATUS_BUFFER_TOO_SMALL || needed != n_patients))
        rc |= fail("size query", st);
    int32_t *charlson = (int32_t *)calloc(n_patients ? n_patients : 1, sizeof *charlson);
    int32_t *elix = (int32_t *)calloc(n_patients ? n_patients : 1, sizeof *elix);
    if (!charlson || !elix) rc = 1;
    if (!rc && (st = cin_charlson((const char *const *)codes, idx, n, charlson, n_patients)) != CIN_STATUS_OK)
        rc |= fail("cin_charlson", st);
    if (!rc && (st = cin_elixhauser((const char *const *)codes, idx, n, elix, n_patients)) != CIN_STATUS_OK)
        rc |= fail("cin_elixhauser", st);
    if (!rc) {
        printf("patient_id,charlson,elixhauser\n");
        for (size_t i = 0; i < n_patients; i++) printf("%s,%d,%d\n", patients[i], charlson[i], elix[i]);
        if (argc > 2 && compare(argv[2], charlson, elix) != 0) rc = 1;
    }

    /* A buffer too small for the patients referenced is refused, not overrun, and untouched. */
    if (!rc && n_patients > 1) {
        charlson[0] = -12345;
        st = cin_charlson((const char *const *)codes, idx, n, charlson, 1);
        if (st != CIN_STATUS_BUFFER_TOO_SMALL || charlson[0] != -12345) {
            fprintf(stderr, "expected CIN_STATUS_BUFFER_TOO_SMALL and an untouched buffer\n");
            rc = 1;
        }
    }
    for (size_t i = 0; i < n; i++) free(codes[i]);
    for (size_t i = 0; i < n_patients; i++) free(patients[i]);
    free(charlson);
    free(elix);
    return rc;
}
