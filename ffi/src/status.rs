//! Status codes, the thread-local last error and the one guard every entry point runs in: null
//! and UTF-8 checks turn into statuses, panics are caught (a panic must never unwind into the
//! host EHR) and the message of the last failure is kept for `cin_last_error_message`.

use cin_core::CinError;
use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Result of every fallible call: an `int32_t` in C, 0 = OK. Values are append-only and never
/// reused. A plain integer (not a C enum) so any value a caller passes back is well defined.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CinStatus(pub i32);

/// Success.
pub const CIN_STATUS_OK: CinStatus = CinStatus(0);
/// A required pointer argument was NULL.
pub const CIN_STATUS_NULL_POINTER: CinStatus = CinStatus(1);
/// An argument is wrong: unknown patient, bad date, out-of-range enum value, mismatched lengths.
pub const CIN_STATUS_INVALID_INPUT: CinStatus = CinStatus(2);
/// Input bytes could not be parsed (truncated JSON, not HL7, broken CSV).
pub const CIN_STATUS_PARSE_ERROR: CinStatus = CinStatus(3);
/// The caller's buffer is too small; the needed size was written to the length out-parameter.
pub const CIN_STATUS_BUFFER_TOO_SMALL: CinStatus = CinStatus(4);
/// An internal error was caught before it could cross into the caller (a bug: please report).
pub const CIN_STATUS_PANIC: CinStatus = CinStatus(5);
/// A file or directory could not be read.
pub const CIN_STATUS_IO_ERROR: CinStatus = CinStatus(6);
/// A knowledge base or rule file is malformed.
pub const CIN_STATUS_KNOWLEDGE_BASE_ERROR: CinStatus = CinStatus(7);
/// A string argument is not valid UTF-8.
pub const CIN_STATUS_INVALID_UTF8: CinStatus = CinStatus(8);

/// A failure on its way to the caller: status plus message (no patient data).
pub(crate) struct FfiError {
    pub status: CinStatus,
    pub message: String,
}

impl FfiError {
    pub fn new(status: CinStatus, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }
    pub fn null(name: &str) -> Self {
        FfiError::new(CIN_STATUS_NULL_POINTER, format!("argument {name} is NULL"))
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        FfiError::new(CIN_STATUS_INVALID_INPUT, message)
    }
}

impl From<CinError> for FfiError {
    fn from(e: CinError) -> Self {
        let status = match &e {
            CinError::Parse { .. } => CIN_STATUS_PARSE_ERROR,
            CinError::InvalidInput(_) => CIN_STATUS_INVALID_INPUT,
            CinError::Io { .. } => CIN_STATUS_IO_ERROR,
            CinError::KnowledgeBase { .. } => CIN_STATUS_KNOWLEDGE_BASE_ERROR,
            _ => CIN_STATUS_INVALID_INPUT,
        };
        FfiError::new(status, e.to_string())
    }
}

pub(crate) type FfiResult<T> = Result<T, FfiError>;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

// `try_with`: during thread teardown the slot may be gone; a failed call must still return
// its status there rather than panic outside the guard.
fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', " ")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = Some(c));
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|e| {
        if e.borrow().is_some() {
            *e.borrow_mut() = None;
        }
    });
}

/// Runs one entry point: maps errors to statuses, records the message, catches panics.
pub(crate) fn guard(f: impl FnOnce() -> FfiResult<()>) -> CinStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            clear_last_error();
            CIN_STATUS_OK
        }
        Ok(Err(e)) => {
            set_last_error(&e.message);
            e.status
        }
        Err(_) => {
            set_last_error("internal error: a panic was caught at the C boundary");
            CIN_STATUS_PANIC
        }
    }
}

/// A NUL-terminated UTF-8 argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: non-null and NUL-terminated per the function contract.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|e| {
        FfiError::new(
            CIN_STATUS_INVALID_UTF8,
            format!("argument {name} is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

/// An optional NUL-terminated UTF-8 argument (NULL = absent).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(ptr, name) }.map(Some)
    }
}

/// A `(bytes, len)` argument; NULL is allowed only with `len == 0`.
///
/// # Safety
/// `ptr` points to `len` readable bytes (or is NULL with `len == 0`).
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const c_char,
    len: usize,
    name: &str,
) -> FfiResult<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(FfiError::null(name))
        };
    }
    if len > isize::MAX as usize {
        return Err(FfiError::invalid(format!(
            "{name}: length {len} is impossible"
        )));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `ptr`.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// An array of `n` NUL-terminated UTF-8 strings (`codes`, `drugs`); NULL is allowed only with
/// `n == 0`. A NULL element or a non-UTF-8 one is reported with its row number.
///
/// # Safety
/// `ptr` points to `n` readable pointers, each NULL or a NUL-terminated string.
pub(crate) unsafe fn str_array_arg<'a>(
    ptr: *const *const c_char,
    n: usize,
    name: &str,
) -> FfiResult<Vec<&'a str>> {
    // SAFETY: forwarded contract.
    let ptrs = unsafe { slice_arg(ptr, n, name) }?;
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| FfiError::invalid(format!("{name}: {n} rows cannot be allocated")))?;
    for (row, p) in ptrs.iter().enumerate() {
        if p.is_null() {
            return Err(FfiError::null(&format!("{name}[{row}]")));
        }
        // SAFETY: non-null element, NUL-terminated per the contract.
        out.push(unsafe { str_arg(*p, &format!("{name}[{row}]")) }?);
    }
    Ok(out)
}

/// A `(ptr, n)` array argument; NULL is allowed only with `n == 0`.
///
/// # Safety
/// `ptr` points to `n` readable, initialised elements (or is NULL with `n == 0`).
pub(crate) unsafe fn slice_arg<'a, T>(ptr: *const T, n: usize, name: &str) -> FfiResult<&'a [T]> {
    if ptr.is_null() {
        return if n == 0 {
            Ok(&[])
        } else {
            Err(FfiError::null(name))
        };
    }
    if n.checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(FfiError::invalid(format!(
            "{name}: length {n} is impossible"
        )));
    }
    // SAFETY: the caller guarantees `n` readable elements at `ptr`; size checked above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Bytes in front of every string handed to C: the capacity of its allocation, so
/// `cin_string_free` can release a string built in a growable buffer without the shrinking copy
/// `CString::into_raw` makes (that copy was most of the C ABI's overhead on a check).
const HEADER: usize = std::mem::size_of::<usize>();

/// An empty buffer to build a string for the caller in (JSON is written straight into it).
pub(crate) fn string_buffer(capacity: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER + capacity + 1);
    v.resize(HEADER, 0);
    v
}

/// Hands a buffer from [`string_buffer`] to the caller as a NUL-terminated string (release with
/// `cin_string_free`). A NUL inside the text (never in JSON, which escapes it) is dropped.
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub(crate) unsafe fn write_buffer(out: *mut *mut c_char, mut v: Vec<u8>) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null("out"));
    }
    if v.len() < HEADER {
        return Err(FfiError::new(
            CIN_STATUS_PANIC,
            "string buffer without header",
        ));
    }
    if v[HEADER..].contains(&0) {
        let text: Vec<u8> = v[HEADER..].iter().copied().filter(|b| *b != 0).collect();
        v.truncate(HEADER);
        v.extend_from_slice(&text);
    }
    v.push(0);
    let mut v = std::mem::ManuallyDrop::new(v);
    let cap = v.capacity();
    v[..HEADER].copy_from_slice(&cap.to_ne_bytes());
    // SAFETY: the allocation holds at least HEADER + 1 bytes; the pointer after the header is
    // the string, NUL-terminated. `cin_string_free` rebuilds the Vec from the header.
    unsafe { *out = v.as_mut_ptr().add(HEADER).cast() };
    Ok(())
}

/// Hands a string to the caller (release with `cin_string_free`).
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub(crate) unsafe fn write_string(out: *mut *mut c_char, s: String) -> FfiResult<()> {
    let mut v = string_buffer(s.len());
    v.extend_from_slice(s.as_bytes());
    // SAFETY: forwarded contract.
    unsafe { write_buffer(out, v) }
}

/// Alerts as a JSON array (the shape of `cin_core::alert::alerts_to_json`) written straight
/// into a caller string.
///
/// # Safety
/// `out` is NULL (an error) or writable.
pub(crate) unsafe fn write_alerts_json(
    out: *mut *mut c_char,
    value: &[cin_core::Alert],
) -> FfiResult<()> {
    if out.is_null() {
        return Err(FfiError::null("out"));
    }
    let mut v = string_buffer(128);
    serde_json::to_writer(&mut v, value)
        .map_err(|e| FfiError::invalid(format!("JSON encoding: {e}")))?;
    // SAFETY: forwarded contract.
    unsafe { write_buffer(out, v) }
}

/// A static description of a status code.
#[unsafe(no_mangle)]
pub extern "C" fn cin_status_str(status: CinStatus) -> *const c_char {
    let s: &'static CStr = match status.0 {
        0 => c"ok",
        1 => c"a required pointer argument was NULL",
        2 => c"invalid input",
        3 => c"parse error",
        4 => c"buffer too small",
        5 => c"internal error (panic caught)",
        6 => c"i/o error",
        7 => c"knowledge base error",
        8 => c"string argument is not UTF-8",
        _ => c"unknown status",
    };
    s.as_ptr()
}

/// The message of this thread's last failed call, or NULL after a success. Valid until the next
/// `cin_*` call on the same thread.
#[unsafe(no_mangle)]
pub extern "C" fn cin_last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |c| c.as_ptr()))
        .unwrap_or(std::ptr::null())
}

/// Releases a string returned by the library. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cin_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `write_buffer`: HEADER bytes before it hold the capacity of the
        // Vec<u8> allocation that starts there.
        unsafe {
            let base = s.cast::<u8>().sub(HEADER);
            let cap = usize::from_ne_bytes(base.cast::<[u8; HEADER]>().read());
            drop(Vec::from_raw_parts(base, 0, cap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> Option<String> {
        let p = cin_last_error_message();
        // SAFETY: NULL or this thread's live message.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn a_panic_becomes_a_status_and_success_clears_the_message() {
        let st = guard(|| panic!("boom"));
        assert_eq!(st, CIN_STATUS_PANIC);
        let msg = last_error().unwrap();
        assert!(msg.contains("panic") && !msg.contains("boom"), "{msg}");
        assert_eq!(guard(|| Ok(())), CIN_STATUS_OK);
        assert_eq!(last_error(), None);
    }

    #[test]
    fn core_errors_keep_their_kind() {
        let st = guard(|| Err(CinError::invalid("x").into()));
        assert_eq!(st, CIN_STATUS_INVALID_INPUT);
        assert_eq!(last_error().as_deref(), Some("invalid input: x"));
    }

    #[test]
    fn strings_with_nul_lose_only_the_nul() {
        let mut out: *mut c_char = std::ptr::null_mut();
        unsafe { write_string(&mut out, "a\0b".to_string()) }
            .ok()
            .unwrap();
        assert_eq!(unsafe { CStr::from_ptr(out) }, c"ab");
        unsafe { cin_string_free(out) };
    }
}
