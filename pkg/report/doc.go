// Package report writes what a bulkassign run did and reads it back.
//
// The result CSV holds one row per input data row (see Header and Result). A Writer
// builds each row with encoding/csv and hands it to the file in a single write, so a
// run killed at any moment leaves every finished row on disk and at most a torn last
// line. Resume reads such a file back, drops the torn line, truncates the file to its
// last complete row and appends from there; Succeeded and ResumeKey tell the planner
// which input rows an earlier run already assigned.
//
// No cell of the result CSV starts with a character that makes a spreadsheet run it
// as a formula (=, +, -, @, tab, carriage return): such cells are written with a
// leading single quote, which Read removes again.
//
// WriteCapacityTable and WriteRequestCounts print the capacity check a plan makes
// before anything is sent (available units as returned by the subscribedskus call,
// https://learn.microsoft.com/en-us/partner-center/developer/get-available-licenses-by-license-group),
// and Summary tallies a run for people (WriteText) and for programs (its JSON form).
//
// The package imports none of bulkassign's other packages: it is the end of the data
// flow.
package report
