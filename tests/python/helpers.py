"""Hand-built records with known answers, shared by the tests."""

import json

PATIENT = "pt-0001"

# One patient on warfarin (RxNorm 855332, warfarin sodium 5 MG Oral Tablet) since 2024-02-01
# with an HbA1c (LOINC 4548-4) resulted on 2024-02-10: ibuprofen must raise the warfarin + NSAID
# interaction and a new HbA1c order within 90 days a duplicate-test alert.
HAND_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"resource": {"resourceType": "Patient", "id": PATIENT, "gender": "female", "birthDate": "1950-02-03"}},
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "mr1",
                "status": "active",
                "intent": "order",
                "subject": {"reference": "Patient/" + PATIENT},
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": "855332",
                            "display": "warfarin sodium 5 MG Oral Tablet",
                        }
                    ]
                },
                "authoredOn": "2024-02-01",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "subject": {"reference": "Patient/" + PATIENT},
                "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
                "effectiveDateTime": "2024-02-10T09:00:00Z",
                "valueQuantity": {"value": 7.9, "unit": "%"},
            }
        },
    ],
}


def hand_bundle_bytes() -> bytes:
    return json.dumps(HAND_BUNDLE).encode()
