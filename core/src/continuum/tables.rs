//! The care-continuum analyses as [`Table`]s with the column names the bindings publish
//! (encounters, readmissions, follow-ups). Row logic stays in the analysis files; this file only
//! lays rows out as columns.

use crate::model::{EncIdx, OrgIdx};
use crate::network::Network;
use crate::table::{Column, Table};

impl Network {
    fn org_str(&self, o: Option<OrgIdx>) -> Option<String> {
        o.map(|o| self.org_id(o).to_string())
    }
    fn enc_str(&self, e: EncIdx) -> Option<String> {
        Some(self.encounter_id(e).to_string())
    }

    /// Every encounter of every merged patient, by patient then start time: `encounter_id`,
    /// `patient_id`, `org_id`, `setting`, `start`, `end`, `discharge_disposition`.
    pub fn encounters_table(&self) -> Table {
        let mut rows = Vec::with_capacity(self.encounters.len());
        for &p in self.patient_list() {
            rows.extend(self.patient_encounters(p).map(|e| (p, e)));
        }
        let col = |f: &dyn Fn(&(crate::model::PatientIdx, EncIdx)) -> Option<String>| {
            Column::Str(rows.iter().map(f).collect())
        };
        Table::new()
            .with("encounter_id", col(&|&(_, e)| self.enc_str(e)))
            .with(
                "patient_id",
                col(&|&(p, _)| Some(self.patient_id(p).to_string())),
            )
            .with(
                "org_id",
                col(&|&(_, e)| self.org_str(self.encounter(e).org)),
            )
            .with(
                "setting",
                col(&|&(_, e)| Some(self.encounter(e).setting.as_str().to_string())),
            )
            .with(
                "start",
                Column::Time(
                    rows.iter()
                        .map(|&(_, e)| Some(self.encounter(e).start))
                        .collect(),
                ),
            )
            .with(
                "end",
                Column::Time(rows.iter().map(|&(_, e)| self.encounter(e).end).collect()),
            )
            .with(
                "discharge_disposition",
                col(&|&(_, e)| Some(self.encounter(e).disposition.as_str().to_string())),
            )
    }

    /// [`Network::readmissions`] as a table: `patient_id`, `index_encounter_id`,
    /// `index_discharge`, `readmit_encounter_id`, `readmit_admit`, `days_between`, `cross_org`.
    pub fn readmissions_table(&self, days: i64) -> Table {
        let rows = self.readmissions(days);
        Table::new()
            .with(
                "patient_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.patient_id(r.patient).to_string()))
                        .collect(),
                ),
            )
            .with(
                "index_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| self.enc_str(r.index_encounter))
                        .collect(),
                ),
            )
            .with(
                "index_discharge",
                Column::Time(rows.iter().map(|r| Some(r.index_discharge)).collect()),
            )
            .with(
                "readmit_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| self.enc_str(r.readmit_encounter))
                        .collect(),
                ),
            )
            .with(
                "readmit_admit",
                Column::Time(rows.iter().map(|r| Some(r.readmit_admit)).collect()),
            )
            .with(
                "days_between",
                Column::Int(rows.iter().map(|r| Some(r.days_between)).collect()),
            )
            .with(
                "cross_org",
                Column::Bool(rows.iter().map(|r| Some(r.cross_org)).collect()),
            )
    }

    /// [`Network::followups`] as a table: `patient_id`, `discharge_encounter_id`, `discharge`,
    /// `followup_encounter_id` (null when missed), `days`.
    pub fn followups_table(&self, days: i64) -> Table {
        let rows = self.followups(days);
        Table::new()
            .with(
                "patient_id",
                Column::Str(
                    rows.iter()
                        .map(|r| Some(self.patient_id(r.patient).to_string()))
                        .collect(),
                ),
            )
            .with(
                "discharge_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| self.enc_str(r.discharge_encounter))
                        .collect(),
                ),
            )
            .with(
                "discharge",
                Column::Time(rows.iter().map(|r| Some(r.discharge)).collect()),
            )
            .with(
                "followup_encounter_id",
                Column::Str(
                    rows.iter()
                        .map(|r| r.followup_encounter.and_then(|e| self.enc_str(e)))
                        .collect(),
                ),
            )
            .with("days", Column::Int(rows.iter().map(|r| r.days).collect()))
    }
}
