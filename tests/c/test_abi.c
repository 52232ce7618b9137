/* Bad-input and contract tests of the C ABI: every call with NULLs, wrong sizes or bad bytes
 * returns its status and a message, and nothing crashes. Exit code 0 = all passed. */
#include "cin.h"
#include <stdio.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
            failures++;                                                          \
        }                                                                        \
    } while (0)

int main(void) {
    /* Version: header and library agree. */
    CHECK(cin_version_number() == CIN_VERSION_NUMBER);
    CHECK(strcmp(cin_version(), "0.1.0") == 0);

    /* Status strings, including values the library never returns. */
    CHECK(strcmp(cin_status_str(CIN_STATUS_OK), "ok") == 0);
    CHECK(strcmp(cin_status_str((CinStatus)12345), "unknown status") == 0);
    CHECK(strcmp(cin_status_str((CinStatus)-1), "unknown status") == 0);

    /* NULL out-pointers and handles. */
    CHECK(cin_network_new(NULL) == CIN_STATUS_NULL_POINTER);
    CHECK(cin_last_error_message() != NULL);
    char *json = NULL;
    CHECK(cin_network_counts_json(NULL, &json) == CIN_STATUS_NULL_POINTER);
    CHECK(json == NULL);
    cin_network_free(NULL);
    cin_string_free(NULL);

    CinNetwork *net = NULL;
    CHECK(cin_network_new(&net) == CIN_STATUS_OK && net != NULL);
    CHECK(cin_last_error_message() == NULL);
    CHECK(cin_network_counts_json(net, NULL) == CIN_STATUS_NULL_POINTER);
    CHECK(cin_network_counts_json(net, &json) == CIN_STATUS_OK);
    CHECK(json != NULL && strstr(json, "\"patients\":0") != NULL);
    cin_string_free(json);
    cin_network_free(net);

    if (failures) {
        fprintf(stderr, "%d C ABI checks failed\n", failures);
        return 1;
    }
    printf("C ABI checks passed\n");
    return 0;
}
