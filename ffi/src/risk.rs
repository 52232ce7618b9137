//! Batch comorbidity scores over long-format rows (one ICD-10 code per row with the row's dense
//! patient index), as a claims warehouse calls them: no network, caller buffers.

use crate::network::write_out;
use crate::status::*;
use cin_core::risk::{charlson_indexed, elixhauser_indexed};
use std::ffi::c_char;

type Scorer = fn(&[&str], &[u32], usize) -> cin_core::Result<Vec<i32>>;

/// Patients referenced by the rows: highest index + 1 (0 without rows).
fn patients_needed(idx: &[u32]) -> usize {
    idx.iter().max().map_or(0, |m| *m as usize + 1)
}

/// The input rows of a batch score.
struct Rows {
    codes: *const *const c_char,
    patient_idx: *const u32,
    n: usize,
}

/// Where the scores go: `capacity` scores at `out_scores`, the needed length to `out_len` (when
/// not NULL); `fill_capacity` scores every slot (the `n_patients` form) rather than the needed
/// length only.
struct Dest {
    out_scores: *mut i32,
    capacity: usize,
    out_len: *mut usize,
    fill_capacity: bool,
}

/// # Safety
/// As the public functions: `codes` and `patient_idx` have `n` elements, `out_scores` has
/// `capacity` writable elements (or is NULL with `capacity` 0), `out_len` is NULL or writable.
unsafe fn score(what: &str, scorer: Scorer, rows: Rows, dest: Dest) -> CinStatus {
    let Rows {
        codes,
        patient_idx,
        n,
    } = rows;
    let Dest {
        out_scores,
        capacity,
        out_len,
        fill_capacity,
    } = dest;
    guard(|| {
        if out_scores.is_null() && capacity > 0 {
            return Err(FfiError::null("out_scores"));
        }
        // SAFETY: forwarded contract.
        let idx = unsafe { slice_arg(patient_idx, n, "patient_idx") }?;
        let needed = patients_needed(idx);
        if !out_len.is_null() {
            // SAFETY: non-null, writable per the contract.
            unsafe { write_out(out_len, "out_len", needed) }?;
        }
        if needed > capacity {
            return Err(FfiError::new(
                CIN_STATUS_BUFFER_TOO_SMALL,
                format!(
                    "{what}: the rows reference {needed} patients, the score buffer holds \
                     {capacity}"
                ),
            ));
        }
        // SAFETY: forwarded contract.
        let codes = unsafe { str_array_arg(codes, n, "codes") }?;
        let len = if fill_capacity { capacity } else { needed };
        let scores = scorer(&codes, idx, len)?;
        // SAFETY: `scores.len() == len <= capacity` elements writable at `out_scores`.
        unsafe { std::ptr::copy_nonoverlapping(scores.as_ptr(), out_scores, scores.len()) };
        Ok(())
    })
}

/// Charlson comorbidity index (Quan et al. 2005 ICD-10 codes, Quan 2011 weights, hierarchy
/// applied) of `n_patients` patients from `n` rows: row i has the ICD-10 code `codes[i]` (with
/// or without the dot) of patient `patient_idx[i]`. All `n_patients` scores are written
/// (patients without rows score 0). An index not below `n_patients` is
/// `CIN_STATUS_BUFFER_TOO_SMALL` (see `cin_charlson_sized` for the needed size); nothing is
/// written on failure. No network; safe from any thread.
///
/// # Safety
/// `codes` and `patient_idx` point to `n` elements (each code NUL-terminated); `out_scores`
/// points to `n_patients` writable elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_charlson(
    codes: *const *const c_char,
    patient_idx: *const u32,
    n: usize,
    out_scores: *mut i32,
    n_patients: usize,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        score(
            "charlson",
            charlson_indexed,
            Rows {
                codes,
                patient_idx,
                n,
            },
            Dest {
                out_scores,
                capacity: n_patients,
                out_len: std::ptr::null_mut(),
                fill_capacity: true,
            },
        )
    }
}

/// As `cin_charlson` into a buffer of `capacity` scores: `*out_len` receives the number of
/// patients the rows reference (highest index + 1), on success and on
/// `CIN_STATUS_BUFFER_TOO_SMALL`; that many scores are written. Pass `out_scores` NULL and
/// `capacity` 0 to ask for the size.
///
/// # Safety
/// As `cin_charlson`; `out_scores` has `capacity` writable elements; `out_len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_charlson_sized(
    codes: *const *const c_char,
    patient_idx: *const u32,
    n: usize,
    out_scores: *mut i32,
    capacity: usize,
    out_len: *mut usize,
) -> CinStatus {
    if out_len.is_null() {
        return guard(|| Err(FfiError::null("out_len")));
    }
    // SAFETY: forwarded contract.
    unsafe {
        score(
            "charlson",
            charlson_indexed,
            Rows {
                codes,
                patient_idx,
                n,
            },
            Dest {
                out_scores,
                capacity,
                out_len,
                fill_capacity: false,
            },
        )
    }
}

/// Elixhauser comorbidities as the van Walraven score (Quan et al. 2005 ICD-10 codes, van
/// Walraven et al. 2009 weights, hierarchy applied); arguments and errors as `cin_charlson`.
/// Scores can be negative.
///
/// # Safety
/// As `cin_charlson`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_elixhauser(
    codes: *const *const c_char,
    patient_idx: *const u32,
    n: usize,
    out_scores: *mut i32,
    n_patients: usize,
) -> CinStatus {
    // SAFETY: forwarded contract.
    unsafe {
        score(
            "elixhauser",
            elixhauser_indexed,
            Rows {
                codes,
                patient_idx,
                n,
            },
            Dest {
                out_scores,
                capacity: n_patients,
                out_len: std::ptr::null_mut(),
                fill_capacity: true,
            },
        )
    }
}

/// As `cin_charlson_sized` for the van Walraven score.
///
/// # Safety
/// As `cin_charlson_sized`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_elixhauser_sized(
    codes: *const *const c_char,
    patient_idx: *const u32,
    n: usize,
    out_scores: *mut i32,
    capacity: usize,
    out_len: *mut usize,
) -> CinStatus {
    if out_len.is_null() {
        return guard(|| Err(FfiError::null("out_len")));
    }
    // SAFETY: forwarded contract.
    unsafe {
        score(
            "elixhauser",
            elixhauser_indexed,
            Rows {
                codes,
                patient_idx,
                n,
            },
            Dest {
                out_scores,
                capacity,
                out_len,
                fill_capacity: false,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(codes: &[&std::ffi::CStr], idx: &[u32], cap: usize) -> (CinStatus, Vec<i32>, usize) {
        let ptrs: Vec<*const c_char> = codes.iter().map(|c| c.as_ptr()).collect();
        let mut out = vec![-99; cap];
        let mut len = 0usize;
        let st = unsafe {
            cin_charlson_sized(
                ptrs.as_ptr(),
                idx.as_ptr(),
                idx.len(),
                out.as_mut_ptr(),
                cap,
                &mut len,
            )
        };
        (st, out, len)
    }

    #[test]
    fn sized_reports_the_length_and_leaves_the_rest() {
        // I50.9 heart failure 2 (Quan 2011), E11.9 diabetes without complications 0,
        // C78.0 metastatic 6 (drops any malignancy).
        let codes = [c"I50.9", c"E11.9", c"C78.0"];
        let (st, out, len) = call(&codes, &[0, 0, 2], 4);
        assert_eq!((st, len), (CIN_STATUS_OK, 3));
        assert_eq!(out, [2, 0, 6, -99]);
        let (st, out, len) = call(&codes, &[0, 0, 2], 2);
        assert_eq!((st, len), (CIN_STATUS_BUFFER_TOO_SMALL, 3));
        assert_eq!(out, [-99, -99], "nothing written on failure");
        let (st, _, len) = call(&[], &[], 0);
        assert_eq!((st, len), (CIN_STATUS_OK, 0));
    }
}
