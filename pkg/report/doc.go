// Package report writes what a bulkassign run did and reads it back: the result CSV,
// the rollback file, the manifest and the lock beside them, the final outcome per
// input line, the capacity table and the run's summary.
//
// # Files of a run
//
// A run with the result file OUT works with four files, all in OUT's directory:
//
//   - OUT, the result CSV: one row per input row the run finished (see below).
//   - OUT.rollback.csv (RollbackPath): an input that undoes the run's updates.
//   - OUT.manifest.json (ManifestPath): what OUT was made from.
//   - OUT.lock (LockPath): present while a run holds OUT.
//
// # Result CSV (version 2)
//
// The header is Header: line, customer, user, sku, sku_id, remove_sku, license_group,
// status, http_status, error_code, error_message, attempts, request_id,
// correlation_id, finished_at, user_id, excluded_plans, row_key. status is one of
// succeeded, unchanged (the desired state already held: nothing was sent), failed,
// skipped, planned. finished_at is RFC 3339 in UTC; http_status 0 and a zero time are
// empty cells. row_key is RowKey of the input row (16 hex characters of SHA-256 over
// its customer, user, SKU, SKU to remove and excluded plans, normalised), so that a
// resumed run can tell whether the input's row at a line is the one the file's row was
// made from.
//
// Version 1 files (HeaderV1: the first 16 columns) are read by Read and ReadVersion,
// their rows with an empty ExcludedPlans and RowKey; Resume refuses to append to one
// (ErrOldFormat).
//
// Both the result CSV and the rollback file are written and read with gocsv
// (github.com/gocarina/gocsv): a row is a struct of string cells tagged with the
// header's names, marshalled one row at a time and read back through gocsv's
// pull-style Unmarshaller, one record at a time. Headers are written as bytes and
// checked exactly before gocsv reads them; messages name file lines, as encoding/csv
// counts them under gocsv.
//
// A Writer builds each row into a buffer and hands it to the file in a single write,
// so a run killed at any moment leaves every finished row on disk and at most a torn
// last line. Resume reads such a file back, drops the torn line, truncates the file to
// its last complete row and appends from there.
//
// After resumed runs a file holds several rows for one line (its failure, then its
// success); the last row of a line is its final outcome. Final picks those, Summarize
// counts them and groups failures and skips by reason, WriteRetryInput writes the
// lines to send again as an input.
//
// # Rollback file
//
// The header is RollbackHeader: line, customer, user, sku, sku_name, remove_sku,
// remove_sku_name, excluded_plans. It is bulkassign's input format (customer, user,
// sku, remove_sku, excluded_plans: SKUs by product SKU ID, excluded plans by service
// plan ID, ';'-separated), plus columns for people that an input reader ignores: line
// (the input lines whose update the row undoes, ';'-separated) and the product names.
// Every row is one line of the file (line breaks in cells are written as spaces). A
// rollback file of an older bulkassign (RollbackHeaderV1: customer, user, sku,
// remove_sku, excluded_plans) is read by ReadRollback, never appended to.
//
// # Manifest
//
// OUT.manifest.json is a JSON object written atomically (temporary file, rename) at
// the start of a fresh run: {"format": 1, "input": the input's path as given,
// "input_sha256": hex SHA-256 of the whole input file, "input_rows": its data rows,
// "customer": the default customer setting, "api": "partnercenter" or "graph",
// "created": RFC 3339}. A resumed run compares it with its own (CheckResume) and
// refuses another input or other settings, naming the lines that differ: a resume
// needs the same input and settings; an edited input is run with a new output.
//
// # Lock
//
// A run holds OUT.lock for its whole length (Lock, OutputLock.Release): an exclusive
// flock (LockFileEx on Windows) taken without waiting, on a file that holds the
// holder's {"pid", "host", "started"} as JSON. A second run on the same output fails at
// once with a *LockedError naming the holder. The system drops the lock of a process
// that dies, so a lock file left by a killed run does not block the next. The lock
// covers OUT, its rollback file and its manifest.
//
// # Rules
//
// No cell of the result CSV, the rollback file or a retry input starts with a
// character that makes a spreadsheet run it as a formula (=, +, -, @, tab, carriage
// return): such cells are written with a leading single quote, which Read and
// ReadRollback remove again and Unquote removes for other readers. The rollback file
// and the lock file are refused when they are symbolic links or not regular files.
// Library messages name files and settings, never command-line flags.
//
// WriteCapacityTable and WriteCapacityJSON print the capacity check a plan makes
// before anything is sent (available units as returned by the subscribedskus call,
// https://learn.microsoft.com/en-us/partner-center/developer/get-available-licenses-by-license-group),
// and Summary tallies a run for people (WriteText) and for programs (its JSON form),
// one count per input line, however many runs the lines took. LinesText names input
// lines compactly in messages ("lines 5-9 and 12").
//
// The package imports none of bulkassign's other packages: it is the end of the data
// flow.
package report
