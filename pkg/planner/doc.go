// Package planner turns an input CSV of user/SKU rows into a Plan: every row validated,
// resolved against its customer's catalogue, compared with what its user already holds,
// grouped into changes and checked against the seats available, before anything is
// sent. The plan is a diff: reads belong to the plan, a run only writes.
//
// # Input
//
// The file has a header row. Header names match in any case and order, with surrounding
// spaces ignored. It may be UTF-8 (with or without a byte-order mark) or UTF-16 with
// one (Excel's "Unicode text"), separated by commas, semicolons or tabs (told from the
// header line), with LF or CRLF line ends, quoted fields and blank lines. A line over 1
// MiB or a record of more than 256 fields is refused with its line. The columns are:
//
//   - user (required): the user's object ID or user principal name.
//   - sku (required unless remove_sku is there): the SKU to assign, by product name
//     ("Office 365 Enterprise E3"), part number (ENTERPRISEPACK) or product SKU ID, in
//     any case.
//   - remove_sku: a SKU to remove in the same request; a row with both is a swap.
//   - excluded_plans: service plans of sku to leave off, separated by ";", each by
//     service name, display name or ID; "none" (NoPlansExcluded) for every plan on.
//   - customer: the row's customer ID (a tenant ID for Graph); Options.DefaultCustomer
//     otherwise.
//
// Other columns are ignored with a warning (a rollback file's line, sku_name and
// remove_sku_name without one).
//
// # Planning
//
// Build reads each customer's catalogue once (Catalogue) and resolves every row
// against it; a misspelt SKU or service plan is a problem that names the line and
// suggests the closest names. Duplicate rows are merged with a warning; contradictions
// (get and lose the same SKU, the same SKU with other excluded plans) are problems.
// Every problem of the file is reported at once, each with its line, in an *InputError.
//
// # Users and the diff
//
// With Options.Users (a client.Directory), Build reads every user the file names, and
// what they hold, once the file has been read without problems: by lookups when they
// cost at most 1,000 reads, else from a listing of the directory that stops as soon as
// it has cost more than looking the rest up would (so a small file in a large tenant
// never lists it), reads running concurrently on the directory's read budget. Names not
// found are looked for among the deleted users. The rows that name one user two ways
// (object ID and principal name) are merged into one change, and a contradiction
// between them is a problem. Then each row is compared with what its user holds:
//
//   - a row whose desired state holds (the SKU held, as asked; the SKU to remove not
//     held; a swap already done) is unchanged, and nothing is sent for it;
//   - a row that names no excluded plans asks for the SKU, not for a plan change; one
//     that names them (or "none") asks for exactly those, so a user who holds the SKU
//     with other plans gets an update that takes no seat;
//   - a row is skipped, with the reason, when the service would refuse it: the user is
//     not found or not active, has no usage location for an assignment (unless
//     Options.UsageLocation is set: the change then sets it first), or holds the
//     license to remove through a group.
//
// Each Change carries the rows of a rollback file that undo it, from what the user
// held. Capacity is checked per customer and SKU on the seats the plan takes; under
// ShortfallAbort a shortfall returns the plan with a *ShortfallError, under
// ShortfallPartial rows are granted in file order while seats last. Without
// Options.Users every row is a change, every assignment takes a seat (the counts are
// upper bounds), and no change has undo rows.
//
// # Scale
//
// The file is read as a stream: read ahead on one goroutine, parsed into batches of
// records on another (recordReader, which gives encoding/csv's records, lines and
// errors without a string per record), and taken by column index. The plan keeps
// rows, users and what they hold as small records without pointers, and reads the
// users of several customers side by side. A million rows plan without reads in about
// half a second on two cores, in about 110 MB (BenchmarkBuild and
// `go run ./scripts/bench -only planning`).
package planner
